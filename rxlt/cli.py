"""`rxlt` command line: run studies, export the embedded encoder, describe parameters."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rxlt.data.readers import DataFileError
from rxlt.params.strict import ParamsError


def _study(args) -> int:
    from rxlt.run.runner import main_exit_code, run_study
    from rxlt.run.study import default_runs_dir, expand, load_study

    cfg = load_study(args.params, smoke=args.smoke)
    if args.max_workers:
        from dataclasses import replace

        cfg = replace(cfg, max_workers=args.max_workers)
    runs_dir = Path(args.runs_dir) if args.runs_dir else default_runs_dir()
    reports_dir = Path(args.reports_dir) if args.reports_dir else runs_dir.parent / "reports"
    if args.dry_run:
        for spec in expand(cfg, runs_dir):
            print(f"{spec.key}  needs: {', '.join(spec.needs) or '-'}")
        return 0
    outcomes = run_study(cfg, runs_dir.resolve(), reports_dir.resolve(), executor=args.executor,
                         retry_failed=args.retry_failed)
    print(f"reports: {reports_dir.resolve() / 'index.html'}")
    return main_exit_code(outcomes)


def _status(args) -> int:
    import json

    from rxlt.run.ledger import format_status, study_status
    from rxlt.run.study import default_runs_dir, expand, load_study

    cfg = load_study(args.params, smoke=args.smoke)
    runs_dir = (Path(args.runs_dir) if args.runs_dir else default_runs_dir()).resolve()
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
    import json

    from rxlt.data.catalog import catalogue, summary

    if not args.task:  # the catalogue: every task by role, kind, domain and source
        table = catalogue()
        print(json.dumps(table.to_dict(orient="records"), indent=1) if args.json else table.to_string(index=False))
        return 0
    table = summary(args.task, data_dir=args.data_dir or None)
    if args.json:
        print(json.dumps(table.to_dict(orient="records"), indent=1))
    elif table.empty:
        print(f"{args.task}: no data found")
    else:
        ok = table[table.problem == ""]
        if not ok.empty:
            print(ok.pivot(index="language", columns="split", values="examples").fillna(0).astype(int).to_string())
        for _, row in table[table.problem != ""].iterrows():
            print(f"{row.split}: unusable: {row.problem}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rxlt", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("study", help="run a study (params/*.yaml): all phases, skipping finished runs")
    s.add_argument("params", help="flat YAML study file, e.g. params/embedded.yaml")
    s.add_argument("--smoke", action="store_true", help="tiny settings for a pipeline check (tests)")
    s.add_argument("--executor", default="local",
                   help="where runs execute: local (this machine, the default) or slurm (job arrays; see README)")
    s.add_argument("--retry-failed", action="store_true",
                   help="run only the runs that failed (or were skipped after a failure) last time")
    s.add_argument("--max-workers", type=int, default=0, help="override the study's max_workers")
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
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except (ParamsError, LookupError, FileNotFoundError, FileExistsError, DataFileError, RuntimeError) as exc:
        print(f"rxlt: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
