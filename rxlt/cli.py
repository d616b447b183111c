"""`rxlt` command line: run studies, export the embedded encoder, describe parameters."""
from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from pathlib import Path

from rxlt.data.readers import DataFileError
from rxlt.params.strict import ParamsError


INTERRUPTED_EXIT_CODES = (130, 143)  # 128 + SIGINT, 128 + SIGTERM


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors, and no abbreviated options (`--retry` is not `--retry-failed`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} -h`)\n")


def _directory(value: str, option: str, create: bool) -> Path:
    """An output (create=True) or input directory given on the command line, checked before anything runs."""
    path = Path(value).expanduser().resolve()
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                raise ParamsError(f"{option} {value}: {p} is not a directory")
            if create and not os.access(p, os.W_OK | os.X_OK):
                raise ParamsError(f"{option} {value}: {p} is not writable")
            if create:  # can a directory be made there? (root passes os.access on /proc, sysfs, …)
                try:
                    os.rmdir(tempfile.mkdtemp(prefix=".rxlt-probe-", dir=p))
                except OSError as exc:
                    raise ParamsError(f"{option} {value}: cannot create a directory in {p} "
                                      f"({exc.strerror or exc}); give a writable directory") from None
            break
    return path


def _study(args) -> int:
    from rxlt.run.runner import StudyInterrupted, main_exit_code, preflight, run_study
    from rxlt.run.study import default_runs_dir, expand, load_study

    cfg = load_study(args.params, smoke=args.smoke)
    if args.max_workers is not None:
        from dataclasses import replace

        if args.max_workers < 1:
            raise ParamsError(f"--max-workers {args.max_workers}: must be >= 1 (runs at once)")
        cfg = replace(cfg, max_workers=args.max_workers)
    runs_dir = _directory(args.runs_dir, "--runs-dir", create=True) if args.runs_dir else default_runs_dir()
    reports_dir = (_directory(args.reports_dir, "--reports-dir", create=True) if args.reports_dir
                   else runs_dir.parent / "reports")
    if args.dry_run:
        for spec in expand(cfg, runs_dir):
            print(f"{spec.key}  needs: {', '.join(spec.needs) or '-'}")
        return 0
    preflight(cfg, runs_dir.resolve(), args.executor)
    resume = shlex.join([*args.command_as_typed, *args.argv])
    try:
        outcomes = run_study(cfg, runs_dir.resolve(), reports_dir.resolve(), executor=args.executor,
                             retry_failed=args.retry_failed, resume=resume)
    except StudyInterrupted as stop:
        print(f"rxlt: {stop}; resume with: {resume}", file=sys.stderr, flush=True)
        return stop.exit_code
    print(f"reports: {reports_dir.resolve() / 'index.html'}")
    return main_exit_code(outcomes)


def _status(args) -> int:
    import json

    from rxlt.run.ledger import format_status, study_status
    from rxlt.run.study import default_runs_dir, expand, load_study

    cfg = load_study(args.params, smoke=args.smoke)
    runs_dir = _directory(args.runs_dir, "--runs-dir", create=False) if args.runs_dir else default_runs_dir()
    study_dir = runs_dir / cfg.study
    if not study_dir.is_dir():
        raise FileNotFoundError(f"{study_dir}: study {cfg.study!r} has no runs under {runs_dir} "
                                f"(another --runs-dir{'' if args.smoke else ', or --smoke'}?)")
    rows = study_status(expand(cfg, runs_dir), study_dir)
    print(json.dumps({"study": cfg.study, "runs_dir": str(runs_dir), "runs": rows}, indent=2) if args.json
          else format_status(rows))
    return 0


def _export(args) -> int:
    from rxlt.model.embedded import export_encoder

    out = export_encoder(args.model, args.dir)
    print(f"wrote {args.model} to {out} (load with AutoModel/AutoTokenizer.from_pretrained)")
    return 0


def _params(args) -> int:
    from rxlt.lookup import lookup
    from rxlt.params.phases import PHASES
    from rxlt.params.strict import describe
    from rxlt.run.study import StudyParams

    cls = StudyParams if args.phase == "study" else lookup(PHASES, args.phase, "phase")
    print(describe(cls))
    return 0


def _data_summary(args) -> int:
    """Examples per split x language; exit 2 when nothing usable is found (problems of single splits are warned)."""
    import json

    from rxlt.data.catalog import catalogue, summary

    if not args.task:  # the catalogue: every task by role, kind, domain and source
        table = catalogue()
        print(json.dumps(table.to_dict(orient="records"), indent=1) if args.json else table.to_string(index=False))
        return 0
    data_dir = None
    if args.data_dir:
        data_dir = _directory(args.data_dir, "--data-dir", create=False)
        if not data_dir.exists():
            raise FileNotFoundError(f"--data-dir {args.data_dir}: {data_dir} does not exist")
    table = summary(args.task, data_dir=data_dir)
    ok, bad = table[table.problem == ""], table[table.problem != ""]
    if args.json:
        print(json.dumps(table.to_dict(orient="records"), indent=1))
    elif not ok.empty:
        print(ok.pivot(index="language", columns="split", values="examples").fillna(0).astype(int).to_string())
    if ok.empty:
        where = (f"under {data_dir}" if data_dir else f"under $RXLT_DATA_DIR={os.environ['RXLT_DATA_DIR']}"
                 if os.environ.get("RXLT_DATA_DIR") else "(no --data-dir, $RXLT_DATA_DIR unset, nothing from the hub)")
        problems = "".join(f"; {row.split}: {row.problem}" for _, row in bad.iterrows())
        raise DataFileError(f"{args.task}: no usable data {where}{problems or '; no file of the task found'}")
    for _, row in bad.iterrows():
        print(f"rxlt: warning: {args.task} {row.split}: unusable: {row.problem}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="rxlt", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("study", help="run a study (params/*.yaml): all phases, skipping finished runs")
    s.add_argument("params", help="flat YAML study file, e.g. params/embedded.yaml")
    s.add_argument("--smoke", action="store_true", help="tiny settings for a pipeline check (tests)")
    s.add_argument("--executor", default="local",
                   help="where runs execute: local (this machine, the default) or slurm (job arrays; see README)")
    s.add_argument("--retry-failed", action="store_true",
                   help="run only the runs that failed, were skipped after a failure, or were interrupted last time")
    s.add_argument("--max-workers", type=int, default=None, help="override the study's max_workers (>= 1)")
    s.add_argument("--runs-dir", default="", help="default: <repo>/runs")
    s.add_argument("--reports-dir", default="", help="default: next to the runs dir, reports/")
    s.add_argument("--dry-run", action="store_true", help="list the runs and their dependencies, run nothing")
    s.set_defaults(fn=_study)
    t = sub.add_parser("status", help="done / running / queued / failed / pending runs of a study, with log paths")
    t.add_argument("params", help="the study's YAML file (as given to `rxlt study`)")
    t.add_argument("--smoke", action="store_true", help="the study's --smoke variant")
    t.add_argument("--runs-dir", default="", help="default: <repo>/runs")
    t.add_argument("--json", action="store_true", help="machine-readable output")
    t.set_defaults(fn=_status)
    e = sub.add_parser("encoder", help="the embedded encoder")
    esub = e.add_subparsers(dest="action", required=True)
    x = esub.add_parser("export", help="write a save_pretrained directory (model + tokenizer)")
    x.add_argument("dir")
    x.add_argument("--model", default="e5-small", help="embedded model alias")
    x.set_defaults(fn=_export)
    d = sub.add_parser("params", help="list the keys of a phase (or 'study') with types, defaults and help")
    d.add_argument("phase", help="study, 01_intermediate, 02_finetune, 03_evaluate or 04_tiers")
    d.set_defaults(fn=_params)
    dt = sub.add_parser("data", help="task data on this machine")
    dsub = dt.add_subparsers(dest="action", required=True)
    ds = dsub.add_parser("summary", help="examples per split x language of a task; without a task, the catalogue")
    ds.add_argument("task", nargs="?", default="",
                    help="e.g. sib200, xnli, pawsx, xcopa, udpos, panx, xquad, mlqa, tydiqa, mewslix, lareqa, tatoeba, "
                         "xglue-nc, xglue-wpr, belebele, afrisenti, masakhaner2, americasnli, nusax, wordnet-gloss, "
                         "cldr-territory (empty: list every task)")
    ds.add_argument("--data-dir", default="", help="local copy (default: $RXLT_DATA_DIR, else the hub)")
    ds.add_argument("--json", action="store_true", help="records [{task, split, language, examples}] as JSON")
    ds.set_defaults(fn=_data_summary)
    return p


def main(argv=None) -> int:
    """The `rxlt` command (argv None: this process's arguments)."""
    console = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    # how to run this again, as the user ran it: `.venv/bin/rxlt`, `python -m rxlt`, or plain `rxlt`
    args.command_as_typed = ([sys.argv[0]] if Path(sys.argv[0]).name == "rxlt" else ["python", "-m", "rxlt"]) \
        if console else ["rxlt"]
    try:
        code = args.fn(args)
        if console and code in INTERRUPTED_EXIT_CODES:
            # a stopped study has written and closed everything; the interpreter's teardown (torch & co.,
            # seconds on a busy machine) would only delay the prompt the user pressed Ctrl-C for
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    except (ParamsError, LookupError, OSError, DataFileError, RuntimeError) as exc:
        print(f"rxlt: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C while the study was still being read: nothing ran
        print("rxlt: interrupted before any run started; run the same command again to start", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
