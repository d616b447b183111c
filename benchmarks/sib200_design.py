"""The default study's design on SIB-200, measured: English dev/test and zero-shot accuracy, and time, by encoder depth
and by how many top layers train (the rest frozen, their output computed once: rxlt.features.prefix_cache).

For each depth L (the encoder's first L of 12 layers) it trains, with rxlt's own loop, heads and caches:
- `probe`: a linear head on the mean-pooled output of the frozen L-layer encoder (head lr 1e-2, 30 epochs);
- `top-T`: the top T layers and a fresh head (layers 1..L-T frozen; encoder lr --lr, head lr 1e-3, 10 epochs),
on SIB-200's 701 English training sentences, keeping the epoch with the best English dev accuracy (99 sentences;
every epoch's dev accuracy is recorded, which is how the study's epoch count is chosen). It then scores English test
(204) and a fixed zero-shot sample: every 5th SIB-200 variety (41) × the first --items test items by index_id (the
same items in every language). Time is CPU seconds of this process (robust to other jobs on the machine; on
an idle machine wall ≈ CPU / threads), per training run and per 1,000 evaluated sentences through the trained
layers; "prefix" is the one-off cost of the frozen layers' output for all the texts above.

Run: `.venv/bin/python benchmarks/sib200_design.py` (about 20 CPU-minutes). Writes benchmarks/results/sib200_design.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from rxlt.data import catalog
from rxlt.features.batching import encode_frame
from rxlt.features.prefix_cache import with_prefix
from rxlt.model.checkpoint import freeze_word_embeddings, load_encoder
from rxlt.model.frozen_prefix import freeze_prefix
from rxlt.model.heads import build_head
from rxlt.train.loop import Stream, predict_logits, seed_everything, train_streams
from rxlt.train.objectives import ERM

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results"
TASK = "sib200"


def data(items: int) -> dict:
    labels = catalog.labels(TASK)
    langs = catalog.evaluation_languages(TASK)
    sample = [lang for lang in langs[::5] if lang != "en"]
    zs = catalog.examples(TASK, "test", sample).sort_values(["language", "key"]).groupby("language").head(items)
    return {"labels": labels, "train": catalog.examples(TASK, "train", ["en"]), "dev": catalog.examples(TASK, "dev", ["en"]),
            "test": catalog.examples(TASK, "test", ["en"]), "zero_shot": zs.reset_index(drop=True), "sample": sample}


def run(d: dict, depth: int, trained: int, seed: int, args) -> dict:
    """One configuration: `trained` = 0 is the linear probe."""
    seed_everything(seed)
    encoder, tok, _ = load_encoder("e5-small", depth)
    freeze_word_embeddings(encoder)
    freeze_prefix(encoder, depth - trained)
    index = {label: i for i, label in enumerate(d["labels"])}
    t0 = time.process_time()
    enc = {k: with_prefix(encoder, encode_frame(tok, d[k], index, 128), 64, "fp32",
                          groups=d[k].language.to_numpy()) for k in ("train", "dev", "test", "zero_shot")}
    prefix_s = time.process_time() - t0
    torch.manual_seed(seed)
    model = build_head("classification", encoder, d["labels"], "mean")
    probe = trained == 0
    cfg = SimpleNamespace(epochs=30 if probe else args.epochs, batch_size=32, lr=args.lr, head_lr=1e-2 if probe else 1e-3,
                          weight_decay=0.01, warmup_ratio=0.1, max_grad_norm=1.0, precision="fp32")
    t0 = time.process_time()
    history = train_streams([Stream(TASK, model, enc["train"], enc["dev"])], ERM(), cfg, seed, desc=f"L{depth} T{trained}")
    train_s = time.process_time() - t0
    t0 = time.process_time()
    zs_pred = predict_logits(model, enc["zero_shot"], 128, "fp32").argmax(1)
    eval_s = time.process_time() - t0
    en_pred = predict_logits(model, enc["test"], 128, "fp32").argmax(1)
    zs = d["zero_shot"].assign(correct=zs_pred == enc["zero_shot"].labels)
    per_language = zs.groupby("language").correct.mean()
    selected = next(h for h in history if h["selected"])
    return {"depth": depth, "trained_layers": trained, "condition": "probe" if probe else f"top-{trained}", "seed": seed,
            "epochs": cfg.epochs, "lr": None if probe else args.lr, "head_lr": cfg.head_lr,
            "dev_by_epoch": [round(h["dev_score"], 4) for h in history], "selected_epoch": selected["epoch"],
            "english_dev": selected["dev_score"], "english_test": float((en_pred == enc["test"].labels).mean()),
            "zero_shot_mean": float(per_language.mean()), "per_language": per_language.round(4).to_dict(),
            "prefix_cpu_s": round(prefix_s, 1), "train_cpu_s": round(train_s, 1),
            "eval_cpu_s_per_1000": round(1000 * eval_s / len(zs), 2), "threads": torch.get_num_threads()}


def markdown(results: list[dict], args, sample: list[str]) -> str:
    import pandas as pd

    df = pd.DataFrame(results)
    g = df.groupby(["depth", "condition"], sort=False)
    lines = ["# SIB-200 design table: accuracy and time by encoder depth and trained layers (embedded e5-small)", "",
             f"Measured {time.strftime('%Y-%m-%d')} with `benchmarks/sib200_design.py` (fp32, {df.threads.iloc[0]} "
             f"thread(s), seeds {sorted(int(x) for x in df.seed.unique())}): English train 701 / dev 99 / test 204; zero-shot "
             f"{len(sample)} varieties (every 5th) × the first {args.items} test items. Mean ± SD over seeds. CPU "
             "seconds of this process; an evaluation run costs eval s/1000 × sentences.", "",
             "| depth | trained | epochs | English dev | English test | zero-shot mean | best epoch | train CPU s | "
             "eval CPU s / 1000 sentences |", "|---|---|---|---|---|---|---|---|---|"]
    for (depth, cond), r in g:
        def ms(col, k=100):
            return f"{k * r[col].mean():.1f} ± {k * r[col].std(ddof=1):.1f}" if len(r) > 1 else f"{k * r[col].mean():.1f}"
        lines.append(f"| {depth} | {cond} | {r.epochs.iloc[0]} | {ms('english_dev')} | {ms('english_test')} | "
                     f"{ms('zero_shot_mean')} | {r.selected_epoch.min()}–{r.selected_epoch.max()} | "
                     f"{r.train_cpu_s.mean():.0f} | {r.eval_cpu_s_per_1000.mean():.2f} |")
    lines += ["", "English dev accuracy by epoch (mean over seeds):", "", "| depth | trained | by epoch |", "|---|---|---|"]
    for (depth, cond), r in g:
        curve = np.mean(np.stack(r.dev_by_epoch.to_list()), axis=0)
        lines.append(f"| {depth} | {cond} | {' '.join(f'{100 * v:.0f}' for v in curve)} |")
    lines += ["", "Reading (the default study's choice, params/embedded.yaml): all 12 layers — every shallower encoder loses "
              "zero-shot accuracy (top-1: 76.9 at 12 layers, 74.8 at 10, 71.8 at 6; the probe 78.1 → 63.9) — with the "
              "top layer trained: two trained layers gain English accuracy but not zero-shot accuracy, at twice the "
              "training and evaluation cost. Epochs: the top-1 dev curve is flat from epoch 6 of 10.", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depths", type=int, nargs="+", default=[12, 10, 8, 6])
    ap.add_argument("--trained", type=int, nargs="+", default=[0, 1, 2], help="top layers trained; 0 = linear probe")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--items", type=int, default=60, help="zero-shot test items per language (first by index_id)")
    args = ap.parse_args()
    d = data(args.items)
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    for depth in args.depths:
        for trained in args.trained:
            for seed in args.seeds:
                results.append(run(d, depth, trained, seed, args))
                print({k: v for k, v in results[-1].items() if k not in ("per_language", "dev_by_epoch")}, flush=True)
                (OUT / "sib200_design.json").write_text(json.dumps({"args": vars(args), "sample": d["sample"],
                                                                    "results": results}, indent=1))
                (OUT / "sib200_design.md").write_text(markdown(results, args, d["sample"]))


if __name__ == "__main__":
    main()
