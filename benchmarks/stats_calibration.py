"""Calibration of the study report's hypothesis test by simulation: type-I rate and claimed power.

    .venv/bin/python benchmarks/stats_calibration.py [--reps 1000] [--out benchmarks/results]

For each design (languages × seeds × test items, between-language SD tau, seed SD sigma) it simulates
item-level studies (rxlt.stats.power.simulate_gains) with no effect and with the minimum detectable slope
that rxlt.stats.hypotheses claims for 80 % power, and counts how often the report's test
(rxlt.stats.hypotheses.mixed_slope_test: gain ~ x + C(seed) + (1 | language), t with L − 2 df) rejects at
α = 0.05. Each rate is printed with its Monte-Carlo standard error sqrt(r(1 − r)/reps). The unit tests
(tests/test_hypotheses.py) run one small design with 150 replications; this runs several, longer.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from rxlt.stats.hypotheses import mixed_slope_test
from rxlt.stats.power import minimum_detectable_slope, simulate_gains, simulated_design_se

DESIGNS = [  # (languages, seeds, items, tau, sigma_seed)
    (12, 2, 60, 0.03, 0.02),   # the unit-test design
    (30, 2, 60, 0.03, 0.02),
    (30, 3, 200, 0.01, 0.01),  # item noise dominates
    (89, 2, 65, 0.03, 0.02),   # like the embedded study's 89 seen languages
]


def rate(design, slope, reps, seed) -> float:
    L, S, N, tau, sigma = design
    rng = np.random.default_rng(seed)
    hits = sum(mixed_slope_test(simulate_gains(rng, L, S, N, slope, tau, sigma), "gain", "x", within=("seed",))["p_value"] < 0.05
               for _ in range(reps))
    return hits / reps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = ap.parse_args()
    rows, t0 = [], time.time()
    for i, d in enumerate(DESIGNS):
        se = simulated_design_se(*d)
        mde = minimum_detectable_slope(se, d[0] - 2, 0.05, 0.8)
        t1 = rate(d, 0.0, args.reps, seed=100 + i)
        pw = rate(d, -mde, args.reps, seed=200 + i)
        rows.append({"languages": d[0], "seeds": d[1], "items": d[2], "tau": d[3], "sigma_seed": d[4], "mde": mde,
                     "type_one": t1, "type_one_mc_se": float(np.sqrt(0.05 * 0.95 / args.reps)),
                     "power": pw, "power_mc_se": float(np.sqrt(0.8 * 0.2 / args.reps))})
        print(rows[-1], flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"reps": args.reps, "seconds": round(time.time() - t0, 1), "machine": platform.platform(),
            "processor": platform.processor()}
    (out / "stats_calibration.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    lines = ["# Calibration of the report's slope test (rxlt.stats.hypotheses.mixed_slope_test)", "",
             f"{args.reps} simulated studies per cell, α = 0.05, target power 0.80; ± = one Monte-Carlo SE. "
             f"Run: `.venv/bin/python benchmarks/stats_calibration.py --reps {args.reps}` ({meta['seconds']} s).", "",
             "| languages | seeds | items | tau | sigma_seed | claimed MDE (slope) | type-I rate | power at MDE |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['languages']} | {r['seeds']} | {r['items']} | {r['tau']} | {r['sigma_seed']} | {r['mde']:.4f} | "
                     f"{r['type_one']:.3f} ± {r['type_one_mc_se']:.3f} | {r['power']:.3f} ± {r['power_mc_se']:.3f} |")
    (out / "stats_calibration.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
