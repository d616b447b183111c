"""Accuracy effect of `rs_da_length_match`: two studies that differ only in that key, compared per language.

    # the embedded study's settings with conditions [direct], objectives [erm, rs_da], once per value:
    sed -e 's/^study: embedded/study: rsda-lm-false/' -e 's/^conditions: .*/conditions: [direct]/' \
        -e 's/^objectives: .*/objectives: [erm, rs_da]/' params/embedded.yaml > /tmp/rsda-false.yaml
    echo 'rs_da_length_match: false' >> /tmp/rsda-false.yaml   # and the same with true / rsda-lm-true
    .venv/bin/rxlt study /tmp/rsda-false.yaml --runs-dir /tmp/rsda/runs   # and /tmp/rsda-true.yaml
    PYTHONPATH=. .venv/bin/python benchmarks/rs_da_length.py /tmp/rsda/runs/rsda-lm-false /tmp/rsda/runs/rsda-lm-true

Per seed, the rs_da evaluation of each study (same seed, same test items): mean accuracy over the evaluated
languages (English excluded), English accuracy, and the rs_da − erm gain of each; the difference
length-matched − faithful over seeds (mean, per-seed values) and over languages (per-language accuracy averaged
over seeds; paired bootstrap, rxlt.stats.intervals.paired_bootstrap_diff). Writes benchmarks/results/rs_da_length.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rxlt.stats.intervals import paired_bootstrap_diff  # noqa: E402

OUT = Path(__file__).resolve().parent / "results"


def evaluations(study: Path) -> dict[tuple[str, int], dict]:
    """(objective, seed) -> {'per_language': {lang: accuracy}, 'train': phase-2 sample counts}."""
    out = {}
    for path in sorted((study / "03_evaluate").glob("*/results.json")):
        ev = json.loads(path.read_text())
        ft = json.loads((Path(ev["finetune_run"]) / "results.json").read_text())
        out[ft["config"]["objective"], ev["finetune_seed"]] = {
            "per_language": {lang: m["accuracy"] for lang, m in ev["metrics"]["per_language"].items()},
            "train": ft["samples"]["train"]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("faithful", type=Path, help="study runs dir with rs_da_length_match: false")
    ap.add_argument("matched", type=Path, help="study runs dir with rs_da_length_match: true")
    args = ap.parse_args()
    runs = {"faithful": evaluations(args.faithful), "matched": evaluations(args.matched)}
    seeds = sorted(s for o, s in runs["faithful"] if o == "rs_da")
    langs = sorted(l for l in runs["faithful"]["rs_da", seeds[0]]["per_language"] if l != "en")
    rows = []
    for seed in seeds:
        row = {"seed": seed}
        for name, r in runs.items():
            acc = r["rs_da", seed]["per_language"]
            erm = r["erm", seed]["per_language"]
            row[name] = {"zero_shot_mean": float(np.mean([acc[l] for l in langs])), "english": acc["en"],
                         "gain_over_erm": float(np.mean([acc[l] - erm[l] for l in langs])),
                         "texts_changed": r["rs_da", seed]["train"]["fraction_of_texts_changed"]}
        rows.append(row)
    per_lang = {name: [np.mean([r["rs_da", s]["per_language"][l] for s in seeds]) for l in langs] for name, r in runs.items()}
    over_langs = paired_bootstrap_diff(per_lang["matched"], per_lang["faithful"], n_boot=2000, seed=0)
    seed_diffs = [r["matched"]["zero_shot_mean"] - r["faithful"]["zero_shot_mean"] for r in rows]
    result = {"seeds": seeds, "languages_other_than_english": len(langs), "rows": rows,
              "matched_minus_faithful": {"over_seeds": seed_diffs, "mean_over_seeds": float(np.mean(seed_diffs)),
                                         "over_languages": over_langs}}
    OUT.mkdir(exist_ok=True)
    (OUT / "rs_da_length.json").write_text(json.dumps(result, indent=2))
    lines = ["# rs_da with and without `rs_da_length_match` (benchmarks/rs_da_length.py)", "",
             f"Embedded study settings (cldr-territory, 6 layers, 10 epochs, rs_da_copies 2, WordNet), direct fine-tuning, "
             f"seeds {seeds}; zero-shot mean over {len(langs)} languages (English excluded).", "",
             "| seed | variant | zero-shot mean acc | English acc | gain over erm (zero-shot mean) | texts changed |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        for name in ("faithful", "matched"):
            v = r[name]
            lines.append(f"| {r['seed']} | {name} | {v['zero_shot_mean']:.3f} | {v['english']:.3f} | "
                         f"{v['gain_over_erm']:+.3f} | {v['texts_changed']:.1%} |")
    o = over_langs
    lines += ["", f"matched − faithful: per seed {', '.join(f'{d:+.3f}' for d in seed_diffs)}; over languages "
              f"{o['diff']:+.3f} [{o['ci_low']:+.3f}, {o['ci_high']:+.3f}], {o['p_text']} (paired bootstrap, "
              f"{o['resamples']} resamples, n = {o['n']}: a p below 1/resamples is written as p < 1/B)."]
    (OUT / "rs_da_length.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
