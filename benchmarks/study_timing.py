"""Wall time and peak memory of a whole study: once fresh, once again cached (every run already finished).

    PYTHONPATH=. .venv/bin/python benchmarks/study_timing.py [params/embedded.yaml] [--smoke] [--keep DIR]

Runs `rxlt study PARAMS --runs-dir <tmp>/runs --reports-dir <tmp>/reports` twice in a fresh temporary
directory, sampling every 0.5 s the summed resident memory (RSS) of the whole process tree (the CLI, its
executor, every papermill kernel and worker); peak = the largest sum seen. RSS counts shared pages (the torch
libraries) once per process, so the sum overstates physical memory somewhat: it is the conservative number.
The converted encoder and the token cache (`$RXLT_CACHE`) are reused, as they are by any second study on a
machine. Writes benchmarks/results/study_timing{,_smoke}.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def timed_study(params: str, smoke: bool, workdir: Path, log: Path) -> dict:
    rxlt = Path(sys.executable).parent / "rxlt"
    cmd = [str(rxlt) if rxlt.exists() else sys.executable, *([] if rxlt.exists() else ["-m", "rxlt"]), "study", params,
           "--runs-dir", str(workdir / "runs"), "--reports-dir", str(workdir / "reports"), *(["--smoke"] if smoke else [])]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    peak, samples = 0, 0
    t0 = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        ps = psutil.Process(proc.pid)
        while proc.poll() is None:
            peak = max(peak, tree_rss(ps))
            samples += 1
            time.sleep(0.5)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"`{' '.join(cmd)}` failed (exit {proc.returncode}); log: {log}")
    return {"command": " ".join(cmd), "wall_s": wall, "peak_tree_rss_mb": peak / 2**20, "samples": samples}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("params", nargs="?", default="params/embedded.yaml")
    ap.add_argument("--smoke", action="store_true", help="the study's --smoke variant (a pipeline check, ~2-3 min)")
    ap.add_argument("--keep", default="", help="run in this directory and keep it (default: a temporary one)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rxlt-study-timing-") as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        fresh = timed_study(args.params, args.smoke, work, work / "fresh.log")
        print(f"fresh: {fresh['wall_s']:.1f} s, peak {fresh['peak_tree_rss_mb']:.0f} MB", flush=True)
        cached = timed_study(args.params, args.smoke, work, work / "cached.log")
        print(f"cached: {cached['wall_s']:.1f} s, peak {cached['peak_tree_rss_mb']:.0f} MB", flush=True)
        runs = sum(1 for _ in (work / "runs").rglob("results.json"))
    name = "study_timing_smoke" if args.smoke else "study_timing"
    payload = {"params": args.params, "smoke": args.smoke, "runs": runs, "cpus": os.cpu_count(),
               "fresh": fresh, "cached": cached, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(payload, indent=2))
    (out / f"{name}.md").write_text("\n".join([
        f"# Study timing: `rxlt study {args.params}{' --smoke' if args.smoke else ''}` (benchmarks/study_timing.py)", "",
        f"{payload['date']}, {os.cpu_count()} CPUs, {runs} runs. Peak = largest summed RSS of the process tree "
        "(CLI + kernels), sampled every 0.5 s.", "",
        "| run | wall | peak memory (process tree RSS) |", "|---|---|---|",
        f"| fresh runs dir | {fresh['wall_s']:.1f} s ({fresh['wall_s'] / 60:.1f} min) | {fresh['peak_tree_rss_mb']:.0f} MB |",
        f"| cached re-run | {cached['wall_s']:.1f} s | {cached['peak_tree_rss_mb']:.0f} MB |", ""]))
    print((out / f"{name}.md").read_text())


if __name__ == "__main__":
    main()
