"""Execute a study's runs with papermill in dependency order; skip finished runs; render reports.

A run counts as done only when its results.json says "complete" (written last, atomically); any
other run directory is partial and is cleared and executed again. Failures are reported with the
path of the executed notebook and do not stop independent runs.
"""
from __future__ import annotations

import fcntl
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path

from rxlt.params.strict import to_dict
from rxlt.phases.finetune import condition_of
from rxlt.progress import BATCH_ENV
from rxlt.reporting.index import record_run, write_index
from rxlt.run.execution import NOTEBOOK_NAME, Outcome, execute, kernel_name
from rxlt.run.executors import check_executor, make_executor
from rxlt.run.ledger import Ledger
from rxlt.results import is_complete
from rxlt.run.study import RunSpec, StudyParams, expand


def report_path(reports_dir: Path, study: str, spec: RunSpec) -> Path:
    return reports_dir / study / spec.phase / f"{spec.run_id}.html"


def _record(outcome: Outcome, cfg: StudyParams, reports_dir: Path) -> None:
    """Render the run's report and record it in reports/index.json (rxlt.reporting.index: locked, atomic)."""
    spec = outcome.spec
    record_run(reports_dir, cfg.study, phase=spec.phase, run_id=spec.run_id, status=outcome.status,
               params=to_dict(spec.params), notebook=Path(spec.params.run_dir) / NOTEBOOK_NAME,
               seconds=None if outcome.status == "cached" else outcome.seconds, error=outcome.error,
               log=outcome.log, needs=spec.needs, smoke=cfg.smoke, code=cfg.report_code,
               condition=condition_of(spec.params) if spec.phase == "02_finetune" else "")


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _say(msg: str) -> None:
    print(msg, flush=True)


def run_study(cfg: StudyParams, runs_dir: Path, reports_dir: Path, executor: str = "local",
              retry_failed: bool = False) -> list[Outcome]:
    """Execute every unfinished run of the study (only those that failed last time with
    `retry_failed`); return one outcome per run (runs left alone are "pending")."""
    check_executor(executor)
    specs = expand(cfg, runs_dir)
    if executor == "slurm":
        from rxlt.run.slurm import check_cluster

        check_cluster(cfg)
    study_dir = runs_dir / cfg.study
    study_dir.mkdir(parents=True, exist_ok=True)
    lock = open(study_dir / ".lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise RuntimeError(f"another rxlt process is running study {cfg.study!r} ({study_dir}); wait for it to finish") from None
    os.environ[BATCH_ENV] = "1"  # inherited by every papermill kernel
    if cfg.max_workers > 1 and "OMP_NUM_THREADS" not in os.environ:  # share the cores instead of oversubscribing
        os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // cfg.max_workers))
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` shuts kernels down like Ctrl-C does
    kernel = kernel_name()
    outcomes: dict[str, Outcome] = {}
    pending = list(specs)
    for spec in specs:
        if is_complete(spec.params.run_dir):
            outcomes[spec.key] = Outcome(spec, "cached")
            _record(outcomes[spec.key], cfg, reports_dir)
    pending = [s for s in specs if s.key not in outcomes]
    ledger = Ledger(study_dir)
    if retry_failed:
        failed = ledger.failed()
        for spec in pending:
            if spec.key not in failed:
                outcomes[spec.key] = Outcome(spec, "pending", error="not retried: it had not failed")
        pending = [s for s in pending if s.key in failed]
    total, t0 = len(specs), time.time()
    cached = sum(o.status == "cached" for o in outcomes.values())
    _say(f"study {cfg.study}: {total} runs, {cached} already finished, "
         f"{len(pending)} to run{' (failed last time)' if retry_failed else ''} "
         f"(executor {executor}, kernel {kernel})")

    def started(spec: RunSpec, job_id: str = "", log: str = "") -> None:
        ledger.set(spec.key, state="submitted" if job_id else "running", executor=executor, job_id=job_id,
                   log=log or str(Path(spec.params.run_dir) / NOTEBOOK_NAME))

    def finished(outcome: Outcome) -> None:
        spec = outcome.spec
        outcomes[spec.key] = outcome
        _record(outcome, cfg, reports_dir)
        notebook = str(Path(spec.params.run_dir) / NOTEBOOK_NAME)
        old = ledger.entries.get(spec.key, {})
        ledger.set(spec.key, state=outcome.status, executor=executor, job_id=old.get("job_id"),
                   log=outcome.log or notebook, error=outcome.error)
        logs = f"{notebook}" + (f", {outcome.log}" if outcome.log else "")
        extra = f" — {outcome.error}; see {logs}" if outcome.error else ""
        _say(f"[{time.time() - t0:6.0f}s] {outcome.status:8s} {spec.key} ({outcome.seconds:.0f}s){extra}")

    if executor == "slurm":
        from rxlt.run.slurm import check_not_running, collect, submit

        try:
            check_not_running(ledger, pending)
            jobs = submit(cfg, pending, kernel, study_dir, started)
            _say(f"submitted {len(jobs)} runs to Slurm; logs under {study_dir / 'slurm'}; `rxlt status` shows progress")
            collect(jobs, finished)
        finally:
            write_index(reports_dir)
            lock.close()
        return [outcomes[s.key] for s in specs]
    pool = make_executor(executor, cfg.max_workers)
    running = {}
    try:
        while pending or running:
            for spec in list(pending):
                if len(running) >= cfg.max_workers:
                    break
                states = [outcomes[n].status if n in outcomes else None for n in spec.needs]
                if any(s in ("failed", "skipped", "pending") for s in states):
                    pending.remove(spec)
                    finished(Outcome(spec, "skipped", error="an upstream run failed"))
                elif all(s in ("complete", "cached") for s in states):
                    _say(f"[{time.time() - t0:6.0f}s] start  {spec.key}")
                    started(spec)
                    running[pool.submit(execute, spec, kernel)] = spec
                    pending.remove(spec)
            if not running:
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                running.pop(fut)
                finished(fut.result())
    finally:
        pool.shutdown()
        write_index(reports_dir)
        lock.close()
    return [outcomes[s.key] for s in specs]


def main_exit_code(outcomes: list[Outcome]) -> int:
    bad = [o for o in outcomes if o.status in ("failed", "skipped")]
    for o in bad:
        print(f"{o.status}: {o.spec.key}: {o.error}", file=sys.stderr)
    return 1 if bad else 0
