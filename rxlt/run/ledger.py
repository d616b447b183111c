"""A study's ledger: what the runner last did with each run, and where its log is.

runs/<study>/ledger.json maps run key -> {state, executor, log, job_id, error}. Only the process
holding the study lock writes it (atomically), so Slurm jobs never race on it. results.json stays
the truth for "done"; the ledger adds what results.json cannot say: submitted, running, failed,
interrupted (Ctrl-C / SIGTERM), and the log of each attempt. `rxlt status` reads both; `rxlt study --retry-failed` re-runs the failed.
"""
from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

from rxlt.results import is_complete, is_stale, write_json_atomic

LEDGER = "ledger.json"
STATES = ("done", "running", "queued", "failed", "interrupted", "pending")


class LedgerError(RuntimeError):
    """The ledger file cannot be read; the message names it and what to do."""


def read_ledger(study_dir: Path) -> dict[str, dict]:
    """The ledger's entries ({} when there is none yet); a damaged file is an error naming it."""
    path = Path(study_dir) / LEDGER
    if not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        entries = None
    except json.JSONDecodeError as exc:
        raise LedgerError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); rxlt writes it atomically, so it was "
                          f"edited or damaged: fix or delete it (finished runs stay finished: their results.json "
                          f"files are the truth)") from None
    if not isinstance(entries, dict) or not all(isinstance(e, dict) for e in entries.values()):
        raise LedgerError(f"{path}: not a ledger (expected a JSON object of run -> state); fix or delete it "
                          f"(finished runs stay finished: their results.json files are the truth)")
    return entries


class Ledger:
    def __init__(self, study_dir: Path):
        self.path = Path(study_dir) / LEDGER
        self.entries: dict[str, dict] = read_ledger(study_dir)

    def set(self, key: str, **entry) -> None:
        self.entries[key] = {k: v for k, v in entry.items() if v not in (None, "")}
        write_json_atomic(self.path, self.entries)

    def failed(self) -> set[str]:
        """Runs whose last attempt failed, was skipped because an upstream run failed, or was interrupted (so that
        `--retry-failed` stopped by Ctrl-C resumes with the same command)."""
        return {k for k, e in self.entries.items() if e.get("state") in ("failed", "skipped", "interrupted")}


# squeue states of a job that may still run; anything else (COMPLETED, CANCELLED, TIMEOUT, …) has ended
ACTIVE_SLURM_STATES = ("PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD",
                       "REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED")


def _slurm_states(job_ids: list[str]) -> dict[str, str] | None:
    """squeue's state of each of these jobs that is still queued or running; None when squeue is unavailable."""
    if not job_ids or not shutil.which("squeue"):
        return None
    try:
        out = subprocess.run(["squeue", "-h", "-r", "-o", "%i %T", "-j", ",".join(sorted(set(job_ids)))],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0 and "Invalid job id" not in out.stderr:
        return None
    states = {}
    for line in out.stdout.splitlines():
        job, state = line.split()  # -r: one line per array element, "<array id>_<index>"
        if state in ACTIVE_SLURM_STATES:
            states[job] = state
    return states


def _driver_alive(study_dir: Path) -> bool:
    """Whether an `rxlt study` process holds the study's lock right now."""
    lock_path = study_dir / ".lock"
    if not lock_path.is_file():
        return False
    with open(lock_path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
    return False


def study_status(specs, study_dir: Path) -> list[dict]:
    """One row per run of the study: key, state (done | running | queued | failed | pending), log, error."""
    ledger = Ledger(study_dir).entries
    alive = _driver_alive(study_dir)
    slurm_ids = [e["job_id"] for e in ledger.values() if e.get("job_id") and e.get("state") in ("submitted", "running")]
    squeue = _slurm_states(slurm_ids)
    rows = []
    for spec in specs:
        entry = ledger.get(spec.key, {})
        state, note = entry.get("state", ""), entry.get("error", "")
        if is_stale(spec.params.run_dir):
            state, note = "pending", "stale: finished by an older rxlt whose methods changed since (rxlt.results.METHODS)"
        elif is_complete(spec.params.run_dir):
            state, note = "done", ""
        elif state in ("failed", "skipped"):
            note = note or state
            state = "failed"
        elif state == "interrupted":  # Ctrl-C / SIGTERM stopped it; `rxlt study` runs it again
            note = note or "interrupted"
        elif state in ("submitted", "running") and entry.get("job_id") and squeue is not None:
            slurm = squeue.get(entry["job_id"])
            if slurm is None:  # left the queue without complete results
                state, note = "failed", "Slurm job ended without complete results"
            else:
                state = "running" if slurm in ("RUNNING", "COMPLETING") else "queued"
        elif state in ("submitted", "running"):
            state = ("running" if state == "running" else "queued") if alive else "pending"
            note = note if alive else "interrupted: its rxlt study process is gone"
        else:
            state = "pending"
        rows.append({"run": spec.key, "state": state, "log": entry.get("log", ""),
                     "job_id": entry.get("job_id", ""), "note": note})
    return rows


def format_status(rows: list[dict]) -> str:
    counts = {s: sum(r["state"] == s for r in rows) for s in STATES}
    lines = [" ".join(f"{s} {n}" for s, n in counts.items())]
    for r in rows:
        extra = "".join(f"  {x}" for x in (r["job_id"] and f"job {r['job_id']}", r["log"], r["note"]) if x)
        lines.append(f"{r['state']:8s} {r['run']}{extra}")
    return "\n".join(lines)
