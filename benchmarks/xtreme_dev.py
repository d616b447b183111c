"""Zero-shot transfer of the embedded encoder on real XTREME-R dev/test files (development-size check).

Not a reproduction of published numbers: English *training* data (MNLI, EWT train) is not available
offline, so (shared/xtreme-r/README.md):
- XNLI: the 15 languages' dev sets are translations of the same 2,490 items; items are cut by key
  (rxlt.data.xtreme_loader.split_by_item) into 60 % train / 10 % selection / 30 % test. Train and select on the
  English rows of the first two portions; test on the third portion in all 15 languages, so no
  translation of a training item is ever tested.
- UD-POS: train on English EWT dev (90 % of its sentences, 10 % for selection); test on the UD v2.7 test
  treebank of each of the 37 languages (one treebank per language, so not comparable to XTREME's pooled sets).

Run: `nice .venv/bin/python benchmarks/xtreme_dev.py --data ../shared/xtreme-r` (several minutes on CPU).
Writes benchmarks/results/xtreme_dev.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import torch

from rxlt.data import xtreme_loader
from rxlt.data.xtreme_tasks import XTREME_TASKS
from rxlt.model.checkpoint import default_pooling, freeze_word_embeddings, load_encoder
from rxlt.model.heads import build_head
from rxlt.model.precision import resolve_precision
from rxlt.phases.kind_handlers import dev_scorer, handler, headline
from rxlt.train.loop import Stream, seed_everything, train_streams
from rxlt.train.objectives import ERM

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results"


def settings(args) -> SimpleNamespace:
    # TrainingParams defaults (head_lr 1e-3, warm-up 10 %; lr from --lr); max length 128 as XTREME (protocols.md §2.2)
    return SimpleNamespace(epochs=args.epochs, batch_size=32, lr=args.lr, head_lr=1e-3, weight_decay=0.01, warmup_ratio=0.1,
                           max_grad_norm=1.0, precision=args.precision, max_length=128, qa_max_length=384, doc_stride=128,
                           n_best=20, max_answer_length=30, mlqa=False, tag_subword="first", length_grouping=0)


def run_task(name, kind, labels, train, dev, test, args) -> dict:
    seed_everything(0)
    encoder, tok, _ = load_encoder("e5-small", args.layers)
    freeze_word_embeddings(encoder)
    cfg = settings(args)
    h = handler(kind)
    torch.manual_seed(0)
    model = build_head(kind, encoder, labels, default_pooling("e5-small"))
    score = None if kind == "classification" else dev_scorer(kind, tok, dev, labels, SimpleNamespace(**{**vars(cfg), "batch_size": 64}))
    stream = Stream(name, model, h.encode(tok, train, labels, cfg), h.encode(tok, dev, labels, cfg), score=score)
    t0 = time.time()
    history = train_streams([stream], ERM(), cfg, seed=0, desc=name)
    t_train = time.time() - t0
    t0 = time.time()
    preds = h.predict(model, tok, test, labels, SimpleNamespace(**{**vars(cfg), "batch_size": 64}), desc=f"{name} test")
    t_test = time.time() - t0
    rows = [{"language": lang, "n": len(g), **h.score(g)} for lang, g in preds.groupby("language", sort=True)]
    for r in rows:
        r["score"] = headline(kind, r)
    table = pd.DataFrame(rows)
    others = table[table.language != "en"]
    return {"task": name, "kind": kind, "metric": h.metric, "train_items": len(train), "selection_items": len(dev),
            "history": history, "train_seconds": round(t_train, 1), "test_seconds": round(t_test, 1),
            "per_language": table.to_dict("records"),
            "macro_including_english": float(table.score.mean()), "macro_excluding_english": float(others.score.mean()),
            "english": float(table[table.language == "en"].score.mean()) if (table.language == "en").any() else None}


def xnli(args) -> dict:
    frame = xtreme_loader.load("xnli", "dev", data_dir=args.data)
    cut = xtreme_loader.split_by_item(frame, {"train": 0.6, "dev": 0.1, "test": 0.3}, seed=0)
    en = cut[cut.language == "en"]
    train, dev = en[en.split == "train"], en[en.split == "dev"]
    test = cut[cut.split == "test"]
    if args.max_test_items:
        test = test.sort_values(["language", "key"]).groupby("language").head(args.max_test_items)
    assert not set(test.key) & set(train.key), "a test item's translation is in the training data"
    return run_task("xnli", "classification", XTREME_TASKS["xnli"]["labels"], train.reset_index(drop=True),
                    dev.reset_index(drop=True), test.reset_index(drop=True), args)


def _order(value):
    return int(value) if str(value).isdigit() else value


def udpos(args) -> dict:
    en = xtreme_loader.load("udpos", "dev", ["en"], data_dir=args.data)
    rng = np.random.default_rng(0)
    select = rng.random(len(en)) < 0.1
    test = xtreme_loader.load("udpos", "test", data_dir=args.data)
    if args.max_test_items:
        test = test.sort_values(["language", "key"], key=lambda c: c.map(_order)).groupby("language").head(args.max_test_items)
    return run_task("udpos", "tagging", XTREME_TASKS["udpos"]["labels"], en[~select].reset_index(drop=True),
                    en[select].reset_index(drop=True), test.reset_index(drop=True), args)


def markdown(results: list[dict], args) -> str:
    lines = [f"# Zero-shot dev-size check on real XTREME-R files (embedded e5-small, first {args.layers} of 12 layers)", "",
             f"Measured {time.strftime('%Y-%m-%d')} with `benchmarks/xtreme_dev.py` on CPU "
             f"(precision {resolve_precision(args.precision)}), {args.epochs} epochs, encoder lr {args.lr}, batch 32, ERM, seed 0, "
             "4-bit weights dequantised; test items per language: " + (str(args.max_test_items) if args.max_test_items else "all") + ". "
             "Not comparable to published XTREME-R numbers (see the script's docstring for the splits).", ""]
    for r in results:
        sel = next(h for h in r["history"] if h["selected"])
        lines += [f"## {r['task']} ({r['metric']})", "",
                  f"train {r['train_items']} English items, selection {r['selection_items']} (selected epoch "
                  f"{sel['epoch']}, dev {sel['dev_score']:.3f}); train {r['train_seconds']} s, test {r['test_seconds']} s. "
                  f"English {100 * (r['english'] or float('nan')):.1f}; macro over the other languages "
                  f"{100 * r['macro_excluding_english']:.1f} (English excluded).", "",
                  "| language | n | score (%) |", "|---|---|---|"]
        lines += [f"| {p['language']} | {p['n']} | {100 * p['score']:.1f} |" for p in r["per_language"]]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "xtreme-r")
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5, help="encoder learning rate (TrainingParams default 5e-5)")
    ap.add_argument("--tasks", nargs="+", default=["xnli", "udpos"])
    ap.add_argument("--max-test-items", type=int, default=0, help="cap per language (0 = all), first items by key")
    ap.add_argument("--precision", default="auto", help="auto, bf16 or fp32 (fp32 to compare with runs made before "
                    "precision auto chose bf16 on CPUs with fast bf16)")
    args = ap.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"{args.data}: not found; pass --data DIR (the shared xtreme-r folder)")
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    for t in args.tasks:  # written after each task, so a long run keeps what it finished
        results.append({"xnli": xnli, "udpos": udpos}[t](args))
        (OUT / "xtreme_dev.json").write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                                         "results": results}, indent=2, default=float))
        (OUT / "xtreme_dev.md").write_text(markdown(results, args))
    print(markdown(results, args))


if __name__ == "__main__":
    main()
