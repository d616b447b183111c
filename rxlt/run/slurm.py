"""`rxlt study PARAMS --executor slurm`: a study's runs as Slurm job arrays, through submitit.

One array job per phase (01_intermediate, 02_finetune, 03_evaluate, 04_tiers, 05_report), at most
`slurm_array_parallelism` of its runs at once, each phase's job depending `afterany` on the phases
submitted before it. `afterany`, not `afterok`: with `afterok` one failed run would leave every
later array pending forever (DependencyNeverSatisfied). Instead each job checks that its inputs are
complete when it starts and otherwise reports itself skipped, as the local executor does.

Each array element runs the same `runner.execute` as the local executor (papermill into the same
run directory, results.json written last), so run ids, caching and outputs are the same. The
`rxlt study` process waits for the jobs, renders the reports, and keeps the ledger (rxlt.run.ledger).
Slurm logs: runs/<study>/slurm/<job id>/<job id>_0_log.{out,err} (job id = <array id>_<index>).

Resources per run come from the study's `slurm_*` keys (`rxlt params study`):
partition -> --partition, slurm_gpus_per_run -> --gpus-per-node (0 for 04_tiers and 05_report),
slurm_cpus_per_run -> --cpus-per-task (and the run's OMP_NUM_THREADS), slurm_mem_gb -> --mem,
slurm_time_min_<phase> -> --time, slurm_array_parallelism -> --array=0-N%P.
01/02 training runs use `slurm_ddp_processes` data-parallel ranks (0 = one per GPU; rxlt.launch).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from rxlt.lookup import suggest
from rxlt.params.strict import ParamsError
from rxlt.progress import BATCH_ENV
from rxlt.run.ledger import _slurm_states
from rxlt.results import is_complete

PHASE_TIME = {  # phase -> the study key holding its time limit
    "01_intermediate": "slurm_time_min_intermediate",
    "02_finetune": "slurm_time_min_finetune",
    "03_evaluate": "slurm_time_min_evaluate",
    "04_tiers": "slurm_time_min_tiers",
    "05_report": "slurm_time_min_report",
}
CPU_PHASES = ("04_tiers", "05_report")  # statistics only: asking for a GPU would waste it
LOG_DIR = "slurm"
POLL_S = 5.0
LOST_AFTER_S = 30.0  # a job gone from squeue this long without a result pickle has died (killed, timed out)


def resources(cfg, phase: str) -> dict:
    """submitit AutoExecutor parameters of one phase's array job."""
    out = {
        "name": f"rxlt-{cfg.study}-{phase}",
        "timeout_min": getattr(cfg, PHASE_TIME[phase]),
        "cpus_per_task": cfg.slurm_cpus_per_run,
        "mem_gb": cfg.slurm_mem_gb,
        "tasks_per_node": 1,
        "nodes": 1,
        "slurm_array_parallelism": cfg.slurm_array_parallelism,
    }
    gpus = 0 if phase in CPU_PHASES else cfg.slurm_gpus_per_run
    if gpus:
        out["gpus_per_node"] = gpus
    if cfg.slurm_partition:
        out["slurm_partition"] = cfg.slurm_partition
    return out


def processes(cfg) -> int:
    """Data-parallel ranks per training run: slurm_ddp_processes, or one per GPU when it is 0."""
    return cfg.slurm_ddp_processes or max(1, cfg.slurm_gpus_per_run)


def check_cluster(cfg) -> None:
    """Clear errors before anything is submitted: no Slurm here, or an unknown partition."""
    if not shutil.which("sbatch"):
        raise RuntimeError("--executor slurm: `sbatch` is not on PATH; run on a Slurm login node "
                           "(or use --executor local)")
    try:
        import submitit  # noqa: F401
    except ImportError:
        raise RuntimeError("--executor slurm needs submitit: pip install submitit") from None
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%R"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RuntimeError(f"--executor slurm: cannot ask Slurm for its partitions (sinfo): {exc}") from None
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"--executor slurm: Slurm is not reachable from here (sinfo: {last}); is SLURM_CONF set?")
    partitions = sorted(set(out.stdout.split()))
    if cfg.slurm_partition:
        if cfg.slurm_partition not in partitions:
            raise ParamsError(f"key 'slurm_partition': unknown partition {cfg.slurm_partition!r}: "
                              f"{suggest(cfg.slurm_partition, partitions)}")


def check_not_running(ledger, pending) -> None:
    """Refuse to submit runs that an earlier, killed `rxlt study` left queued or running on Slurm:
    two jobs would write the same run directory."""
    ids = {s.key: ledger.entries.get(s.key, {}).get("job_id") for s in pending}
    active = _slurm_states([i for i in ids.values() if i]) or {}
    busy = [f"{key} (job {job})" for key, job in ids.items() if job in active]
    if busy:
        raise RuntimeError(f"{len(busy)} runs are still on Slurm from an earlier `rxlt study`: {', '.join(busy[:5])}"
                           f"{' …' if len(busy) > 5 else ''}; wait for them (`rxlt status`) or scancel them")


def run_job(spec, kernel: str, processes: int = 1):
    """What one array element runs: the run itself, if its inputs are complete (training runs over
    `processes` data-parallel ranks, one per GPU)."""
    from rxlt.run.execution import Outcome, execute_data_parallel

    root = Path(spec.params.run_dir).parents[1]  # runs/<study>/<phase>/<run id>
    missing = [n for n in spec.needs if not is_complete(root / n)]
    if missing:
        return Outcome(spec, "skipped", error=f"inputs not complete: {', '.join(missing)}")
    os.environ[BATCH_ENV] = "1"
    os.environ["OMP_NUM_THREADS"] = os.environ.get("SLURM_CPUS_PER_TASK", os.environ.get("OMP_NUM_THREADS", "1"))
    return execute_data_parallel(spec, kernel, processes)


def submit(cfg, pending, kernel: str, study_dir: Path, on_submit) -> list[tuple]:
    """Submit one array job per phase with its dependencies; return [(spec, job)]."""
    import submitit

    jobs, earlier = [], []
    for phase in PHASE_TIME:
        specs = [s for s in pending if s.phase == phase]
        if not specs:
            continue
        # %j = "<array id>_<index>" (or "<id>" for a one-run phase: submitit then submits no array)
        executor = submitit.AutoExecutor(folder=study_dir / LOG_DIR / "%j", cluster="slurm")
        executor.update_parameters(**resources(cfg, phase),
                                   slurm_additional_parameters={"dependency": "afterany:" + ":".join(earlier)} if earlier else {})
        array = executor.map_array(run_job, specs, [kernel] * len(specs), [processes(cfg)] * len(specs))
        earlier.append(array[0].job_id.split("_")[0])
        for spec, job in zip(specs, array):
            on_submit(spec, job.job_id, str(job.paths.stdout))
            jobs.append((spec, job))
    return jobs


def collect(jobs: list[tuple], on_outcome, poll_s: float = POLL_S) -> None:
    """Wait for every job; report each run's Outcome as soon as its job ends."""
    from rxlt.run.execution import Outcome

    waiting, gone_since = list(jobs), {}
    try:
        while waiting:
            time.sleep(poll_s)
            queued = _slurm_states([job.job_id for _, job in waiting]) or {}
            for spec, job in list(waiting):
                log = str(job.paths.stdout)
                if job.paths.result_pickle.exists():
                    try:
                        outcome = job.result()
                    except Exception as exc:  # the job raised: submitit re-raises it here
                        outcome = Outcome(spec, "failed", error=f"{type(exc).__name__}: {str(exc)[-500:]}")
                elif job.job_id in queued:
                    gone_since.pop(job.job_id, None)
                    continue
                elif time.time() - gone_since.setdefault(job.job_id, time.time()) < LOST_AFTER_S:
                    continue
                else:
                    outcome = Outcome(spec, "failed", error="the Slurm job ended without a result (killed, out of time or memory?)")
                outcome.log = log
                waiting.remove((spec, job))
                on_outcome(outcome)
    except KeyboardInterrupt:
        for _, job in waiting:  # leave nothing running behind an interrupted study
            job.cancel(check=False)
        raise
