"""Wall time, peak memory and compute efficiency of a whole study: once fresh, once again cached (every run finished).

    PYTHONPATH=. .venv/bin/python benchmarks/study_timing.py [params/embedded.yaml] [--smoke] [--keep DIR] [--cold]
        [--precision fp32]

Runs `rxlt study PARAMS --runs-dir <tmp>/runs --reports-dir <tmp>/reports` twice in a fresh temporary
directory, sampling every 0.5 s the summed resident memory (RSS) of the whole process tree (the CLI, its
executor, every papermill kernel and worker); peak = the largest sum seen. RSS counts shared pages (the torch
libraries) once per process, so the sum overstates physical memory somewhat: it is the conservative number.
The converted encoder, the token cache and the frozen layers' cache (`$RXLT_CACHE`) are reused, as they are by any
second study on a machine; `--cold` starts from an empty cache, as a fresh machine does (the encoder is converted,
every text tokenised, the frozen layers computed). Next to the wall time: where it went (the runs' seconds summed by
phase), and the study's useful FLOPs (benchmarks/study_flops.py: what its design requires, counted once) ÷ (wall ×
this machine's matrix-product peak in the precision the study computes in: `precision: auto` resolves to bf16 on
CPUs with AVX512-BF16/AMX, else fp32), measured here before the study (benchmarks/speed.py's matmul_peak, 2 threads
as the runs use). Writes
benchmarks/results/study_timing{,_smoke}.{md,json}.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from study_flops import study_flops  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def phase_seconds(log: Path) -> dict:
    """Seconds of the runs that completed in this invocation, summed by phase (from the study's log lines)."""
    import re

    out: dict[str, float] = {}
    for phase, secs in re.findall(r"complete (\d\d_\w+)/\S+ \((\d+)s\)", log.read_text()):
        out[phase] = out.get(phase, 0.0) + float(secs)
    return out


def matmul_peaks() -> dict:
    """FLOP/s of this machine's best matrix product in fp32 and bf16 (speed.matmul_peak, the runs' thread count)."""
    import torch
    from speed import matmul_peak

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    return {"fp32": matmul_peak(torch.float32)["peak_gflops"] * 1e9,
            "bf16": matmul_peak(torch.bfloat16)["peak_gflops"] * 1e9}


def cpu_model() -> str:
    """The CPU's model name and whether it has bf16 matrix units (from /proc/cpuinfo; '?' elsewhere)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "?"
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    units = [f for f in ("amx_bf16", "avx512_bf16") if f in flags]
    return f"{name} ({', '.join(units) if units else 'no bf16 units'})"


def study_precision(params: str) -> str:
    """The precision the study's runs compute in on this machine (its `precision` key resolved here)."""
    from rxlt.model.precision import resolve_precision
    from rxlt.run.study import load_study

    return resolve_precision(load_study(ROOT / params).precision)


def timed_study(params: str, smoke: bool, workdir: Path, log: Path, env_extra: dict | None = None) -> dict:
    rxlt = Path(sys.executable).parent / "rxlt"
    cmd = [str(rxlt) if rxlt.exists() else sys.executable, *([] if rxlt.exists() else ["-m", "rxlt"]), "study", params,
           "--runs-dir", str(workdir / "runs"), "--reports-dir", str(workdir / "reports"), *(["--smoke"] if smoke else [])]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), **(env_extra or {})}
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
    return {"command": " ".join(cmd), "wall_s": wall, "peak_tree_rss_mb": peak / 2**20, "samples": samples,
            "run_seconds_by_phase": phase_seconds(log)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("params", nargs="?", default="params/embedded.yaml")
    ap.add_argument("--smoke", action="store_true", help="the study's --smoke variant (a pipeline check, ~2-3 min)")
    ap.add_argument("--keep", default="", help="run in this directory and keep it (default: a temporary one)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--cold", action="store_true", help="an empty $RXLT_CACHE, as on a fresh machine")
    ap.add_argument("--precision", default="", choices=["", "fp32", "bf16"],
                    help="run the study with this `precision` instead of its own (e.g. fp32 on a bf16 machine, to "
                         "see what a CPU without bf16 units computes); writes study_timing_<precision>.*")
    args = ap.parse_args()
    peaks = matmul_peaks()
    with tempfile.TemporaryDirectory(prefix="rxlt-study-timing-") as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        study_file = args.params
        if args.precision:  # the same study file with one key changed, in the work folder
            import yaml

            cfg = yaml.safe_load((ROOT / args.params).read_text())
            cfg["precision"] = args.precision
            study_file = str(work / Path(args.params).name)
            Path(study_file).write_text(yaml.safe_dump(cfg, sort_keys=False))
        precision = study_precision(study_file)
        print(f"matmul peaks: fp32 {peaks['fp32'] / 1e9:.0f}, bf16 {peaks['bf16'] / 1e9:.0f} GFLOP/s; the study "
              f"computes in {precision}", flush=True)
        cache = {"RXLT_CACHE": str(work / "cache")} if args.cold else {}
        fresh = timed_study(study_file, args.smoke, work, work / "fresh.log", cache)
        print(f"fresh: {fresh['wall_s']:.1f} s, peak {fresh['peak_tree_rss_mb']:.0f} MB", flush=True)
        cached = timed_study(study_file, args.smoke, work, work / "cached.log", cache)
        print(f"cached: {cached['wall_s']:.1f} s, peak {cached['peak_tree_rss_mb']:.0f} MB", flush=True)
        runs = sum(1 for _ in (work / "runs").rglob("results.json"))
        study_dir = next(d for d in (work / "runs").iterdir() if d.is_dir())
        flops = study_flops(study_dir) if not args.smoke else {}
    name = "study_timing" + ("_smoke" if args.smoke else "") + (f"_{args.precision}" if args.precision else "")
    peak = peaks.get(precision, peaks["fp32"])
    efficiency = flops["total"] / (fresh["wall_s"] * peak) if flops else float("nan")
    payload = {"params": args.params, "precision_override": args.precision or None, "smoke": args.smoke, "runs": runs, "cpus": os.cpu_count(), "cpu": cpu_model(), "cold_cache": args.cold,
               "fresh": fresh, "cached": cached, "useful_flops": flops, "precision": precision,
               "matmul_peak_flops": peaks, "peak_flops_used": peak,
               "flops_per_wall_peak": efficiency, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(payload, indent=2))
    (out / f"{name}.md").write_text("\n".join([
        f"# Study timing: `rxlt study {args.params}{' --smoke' if args.smoke else ''}`"
        f"{f' with precision: {args.precision}' if args.precision else ''} (benchmarks/study_timing.py)", "",
        f"{payload['date']}, {os.cpu_count()} CPUs ({payload['cpu']}), {runs} runs. Peak = largest summed RSS of the process tree "
        "(CLI + kernels), sampled every 0.5 s.", "",
        "| run | wall | peak memory (process tree RSS) |", "|---|---|---|",
        f"| fresh runs dir | {fresh['wall_s']:.1f} s ({fresh['wall_s'] / 60:.1f} min) | {fresh['peak_tree_rss_mb']:.0f} MB |",
        f"| cached re-run | {cached['wall_s']:.1f} s | {cached['peak_tree_rss_mb']:.0f} MB |", "",
        f"Cache: {'empty at the start (a fresh machine)' if args.cold else 'the machine’s (encoder converted before)'}.", "",
        "Runs' seconds by phase (summed over the runs; two run at a time): "
        + ", ".join(f"{k} {v:.0f} s" for k, v in sorted(fresh["run_seconds_by_phase"].items())) + ".", "",
        *([f"Useful FLOPs (benchmarks/study_flops.py): {flops['total'] / 1e12:.1f} TFLOP — "
           + ", ".join(f"{k} {v / 1e12:.1f}" for k, v in flops.items() if k not in ("total", "layers", "hidden", "ffn"))
           + f". The study computes in {precision} (measured peaks here: fp32 {peaks['fp32'] / 1e9:.0f}, bf16 "
           f"{peaks['bf16'] / 1e9:.0f} GFLOP/s); ÷ (wall × {precision} peak {peak / 1e9:.0f} GFLOP/s) = "
           f"**{100 * efficiency:.0f} %** of the machine's {precision} matrix-product capacity over the whole study, "
           "set-up excluded.", ""] if flops else [])]))
    print((out / f"{name}.md").read_text())


if __name__ == "__main__":
    main()
