"""Accuracy effect of bf16 autocast on the embedded study, fp32 vs bf16 with the same seeds.

Runs the real phase-2 (direct, ERM) and phase-3 entry points of the embedded study's settings
(params/embedded.yaml: 6 layers, 10 epochs, batch 32, max_length 32, cldr-territory) once per precision and
seed, and compares per-language accuracy. Reduced grid (bf16 is emulated, hence ~8x slower, on CPUs
without AVX512-BF16/AMX): one condition, the seeds given, `--max-test-items` per language.

    PYTHONPATH=. .venv/bin/python benchmarks/precision_accuracy.py [--seeds 0 1] [--max-test-items 20]

Writes benchmarks/results/precision_accuracy.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# params/embedded.yaml's training settings
STUDY = {"model": "e5-small", "encoder_layers": 6, "epochs": 10, "batch_size": 32, "lr": 5e-5, "head_lr": 1e-3,
         "max_length": 32, "task": "cldr-territory", "objective": "erm"}


def run(precision: str, seed: int, max_test_items: int, workdir: Path) -> dict:
    from rxlt.params.phases import EvaluateParams, FinetuneParams
    from rxlt.params.strict import build
    from rxlt.phases.evaluate import PREDICTIONS, run_evaluation
    from rxlt.phases.finetune import run_finetune
    from rxlt.results import read_metric, read_results, start_run

    tag = f"{precision}-s{seed}"
    t0 = time.perf_counter()
    ft = build(FinetuneParams, {**STUDY, "seed": seed, "precision": precision, "run_dir": str(workdir / f"ft-{tag}")})
    run_finetune(start_run("02_finetune", ft))
    t1 = time.perf_counter()
    ev = build(EvaluateParams, {"finetune_run": ft.run_dir, "languages": ["all"], "max_test_items": max_test_items,
                                "precision": precision, "bootstrap_samples": 100, "seed": seed,
                                "run_dir": str(workdir / f"ev-{tag}")})
    run_evaluation(start_run("03_evaluate", ev))
    t2 = time.perf_counter()
    fr, er = read_results(ft.run_dir), read_results(ev.run_dir)
    preds = pd.read_csv(Path(ev.run_dir) / PREDICTIONS)
    return {"precision": precision, "seed": seed, "english_dev_accuracy": read_metric(fr["metrics"], "english_dev_score"),
            "selected_epoch": fr["metrics"]["selected_epoch"],
            "per_language": {k: v["accuracy"] for k, v in er["metrics"]["per_language"].items()},
            "macro_accuracy_excluding_english": er["metrics"]["average"]["macro_accuracy_excluding_english"],
            "predictions": preds.prediction.tolist(), "finetune_s": t1 - t0, "evaluate_s": t2 - t1}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--max-test-items", type=int, default=20)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--work", default="", help="keep runs here; finished (precision, seed) runs are reused on a re-run")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        for seed in args.seeds:
            for precision in ("fp32", "bf16"):
                done = work / f"{precision}-s{seed}-{args.max_test_items}.json"
                if done.is_file():
                    rows.append(json.loads(done.read_text()))
                else:
                    rows.append(run(precision, seed, args.max_test_items, work))
                    done.write_text(json.dumps(rows[-1]))
                print(f"{precision} seed {seed}: dev {rows[-1]['english_dev_accuracy']:.4f} "
                      f"macro {rows[-1]['macro_accuracy_excluding_english']:.4f} "
                      f"({rows[-1]['finetune_s']:.0f} s + {rows[-1]['evaluate_s']:.0f} s)", flush=True)
    comparisons = []
    for seed in args.seeds:
        a, b = (next(r for r in rows if r["seed"] == seed and r["precision"] == p) for p in ("fp32", "bf16"))
        diff = np.array([b["per_language"][k] - a["per_language"][k] for k in a["per_language"]])
        agree = float(np.mean(np.array(a["predictions"]) == np.array(b["predictions"])))
        comparisons.append({"seed": seed, "languages": len(diff), "dev_fp32": a["english_dev_accuracy"],
                            "dev_bf16": b["english_dev_accuracy"], "macro_fp32": a["macro_accuracy_excluding_english"],
                            "macro_bf16": b["macro_accuracy_excluding_english"],
                            "mean_per_language_diff": float(diff.mean()), "mean_abs_per_language_diff": float(np.abs(diff).mean()),
                            "max_abs_per_language_diff": float(np.abs(diff).max()), "prediction_agreement": agree,
                            "time_fp32_s": a["finetune_s"] + a["evaluate_s"], "time_bf16_s": b["finetune_s"] + b["evaluate_s"]})
    payload = {"settings": {**STUDY, "seeds": args.seeds, "max_test_items": args.max_test_items, "condition": "direct"},
               "comparisons": comparisons,
               "runs": [{k: v for k, v in r.items() if k != "predictions"} for r in rows]}
    (out / "precision_accuracy.json").write_text(json.dumps(payload, indent=2))
    lines = ["# bf16 vs fp32 on the embedded study (reduced grid)", "",
             f"Settings: params/embedded.yaml's phase-2 settings (6 layers, 10 epochs, batch 32, max_length 32), "
             f"condition direct, objective ERM, seeds {args.seeds}; phase 3 on every language, first "
             f"{args.max_test_items} test items each. Same seeds, only `precision` differs. "
             "Written by `benchmarks/precision_accuracy.py`.", "",
             "| seed | languages | English dev fp32 | bf16 | macro acc. (excl. en) fp32 | bf16 | mean Δ per language | "
             "mean abs Δ | max abs Δ | same prediction | time fp32 | bf16 |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in comparisons:
        lines.append(f"| {c['seed']} | {c['languages']} | {c['dev_fp32']:.4f} | {c['dev_bf16']:.4f} | {c['macro_fp32']:.4f} | "
                     f"{c['macro_bf16']:.4f} | {c['mean_per_language_diff']:+.4f} | {c['mean_abs_per_language_diff']:.4f} | "
                     f"{c['max_abs_per_language_diff']:.4f} | {c['prediction_agreement']:.1%} | {c['time_fp32_s']:.0f} s | "
                     f"{c['time_bf16_s']:.0f} s |")
    lines += ["", "Δ = bf16 − fp32 accuracy per language (20 items each, so one item = 0.05). Times are wall seconds of "
              "phase 2 + 3; on a shared machine they vary with other load (benchmarks/speed.py compares speed properly). "
              "On CPUs without AVX512-BF16/AMX, bf16 autocast is emulated and slower, so `auto` keeps fp32 there."]
    (out / "precision_accuracy.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
