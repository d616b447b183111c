"""rxlt's training loop against a plain transformers.Trainer at equal accuracy: same model, optimiser, data, epochs.

    PYTHONPATH=. .venv/bin/python benchmarks/trainer_accuracy.py [--epochs 20] [--layers 6] [--seeds 0 1 2 3 4]
        [--data cldr-territory|pawsx] [--max-train N] [--eval-items N] [--out benchmarks/results]
    # smoke check: --layers 1 --epochs 1 --seeds 0 --max-train 64 --eval-items 5 --out /tmp/ta

benchmarks/speed.py compares throughput after a fixed, small number of steps, where the variants' accuracies still
differ. Here every variant trains to the end of the same schedule, so the speed-up can be read next to the accuracy it
buys. Per seed, interleaved (seed 0: every variant, seed 1: every variant, …) so machine drift hits all alike:
- `trainer-fixed`: transformers.Trainer on run_glue-style features, padded to max_length (run_glue.py's
  `pad_to_max_length` defaults to True) with default_data_collator;
- `trainer-dynamic`: the same Trainer with DataCollatorWithPadding (pads each batch to its longest row);
- `rxlt`: rxlt.train.loop.train_streams, as speed.py calls it (dynamic padding, shuffled batches);
- `rxlt-grouped`: the same with length_grouping=50 (seeded length-grouped batches, HF's mega-batch factor).
One untimed epoch of every variant on a few items runs first (one-off costs of the first run in a process).
Same for all three: the embedded e5-small encoder cut to `--layers`, word embeddings frozen, the mean-pooled linear
head of speed.py (built by its `encoder`/`classifier`, head seeded with the run's seed), AdamW with lr `--lr` for the
encoder and `--head-lr` for the head and weight decay on every trained tensor (the Trainer gets this optimiser through
its `optimizers` argument: its default one would exclude biases and LayerNorm from decay), a linear decay to 0 without
warm-up, gradient clipping at 1.0, batch size, epochs, max_length and precision. Every variant keeps its last epoch
(rxlt's English-dev selection is disabled by a score that grows with the epoch; Trainer evaluates nothing).
Wall time is training only (tokenisation is reported apart). Evaluation: one prediction function for all
(rxlt.train.loop.predict_logits, fp32) on English test and zero-shot on every test language of the task.

Data: `cldr-territory`: English train, max_length 32 (the embedded study's); test in every language with enough
items (rxlt.data.catalog.evaluation_languages). `pawsx`: real PAWS-X dev from ../shared/xtreme-r (no train split there):
English items with keys of the first 1,600 English rows train, the other 400 keys are the test set in all 7
languages (the files are translations of the same items, so splitting by key keeps test items unseen);
max_length 128 (XTREME's).

Differences rxlt − Trainer: over seeds (mean and a t interval of the per-seed differences, English test and the
mean over the other languages), and over languages (per-language accuracy averaged over seeds; mean difference with
a paired bootstrap interval, rxlt.stats.intervals.paired_bootstrap_diff). Writes benchmarks/results/trainer_accuracy.{md,json}.
"""
from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import ROOT, XTREME_DIR, TrainerModel, classifier, encoder, texts_of  # noqa: E402  (speed.py's builders)

VARIANTS = ("trainer-fixed", "trainer-dynamic", "rxlt", "rxlt-grouped")
BASELINE = "trainer-fixed"
GROUPING = 50  # rxlt-grouped: length_grouping mega-batches of 50 batches (HF's group_by_length factor, as speed.py)
MAX_LENGTH = {"cldr-territory": 32, "pawsx": 128}  # embedded study's CLDR length; XTREME's 128 (protocols.md §2.2)
PAWSX_TRAIN_KEYS = 1600  # as benchmarks/speed.py: 1,600 English pairs train, the other 400 keys test


# ---------------------------------------------------------------- data

def load_data(name: str, max_train: int, eval_items: int) -> dict:
    """{'train': English rows, 'test': rows of every test language, 'labels', 'max_length'}."""
    from rxlt.data import catalog

    if name == "cldr-territory":
        train = catalog.examples(name, "train", ["en"])
        test = catalog.examples(name, "test", catalog.evaluation_languages(name))
        labels = catalog.labels(name)
    else:
        from rxlt.data.xtreme_loader import load

        if not (XTREME_DIR / "pawsx" / "dev-en.tsv").is_file():
            raise SystemExit(f"--data pawsx needs PAWS-X dev files in {XTREME_DIR}/pawsx (set RXLT_XTREME_DIR)")
        paws = load("pawsx", "dev", None, data_dir=XTREME_DIR)
        train_keys = set(paws[paws.language == "en"].key.iloc[:PAWSX_TRAIN_KEYS])
        train = paws[(paws.language == "en") & paws.key.isin(train_keys)]
        test = paws[~paws.key.isin(train_keys)]
        labels = ["different", "paraphrase"]
    train = train.reset_index(drop=True)
    if max_train:
        train = train.iloc[:max_train]
    if eval_items:  # first items per language in key order (deterministic), as rxlt.phases.evaluate's cap
        test = test.sort_values(["language", "key"]).groupby("language", sort=False).head(eval_items)
    return {"train": train, "test": test.reset_index(drop=True), "labels": labels, "max_length": MAX_LENGTH[name]}


# ---------------------------------------------------------------- the three training runs

def optimiser(model, args) -> torch.optim.Optimizer:
    """rxlt.train.loop.train_streams' AdamW: encoder at lr, head at head_lr, weight decay on every trained tensor."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    return torch.optim.AdamW([{"params": [p for n, p in named if ".head." not in f".{n}"], "lr": args.lr},
                              {"params": [p for n, p in named if ".head." in f".{n}"], "lr": args.head_lr}],
                             weight_decay=args.weight_decay)


def run_trainer(data: dict, args, seed: int, dynamic: bool, precision: str) -> dict:
    import datasets as hfds
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments, default_data_collator

    from rxlt.model.precision import compute_device

    enc, tok = encoder(args.layers)
    model = TrainerModel(classifier(enc, len(data["labels"]), seed)).to(compute_device())
    index = {l: i for i, l in enumerate(data["labels"])}
    t0 = time.perf_counter()
    texts, pairs = texts_of(data["train"])
    # run_glue.py: padding = "max_length" if pad_to_max_length (default True) else False
    feats = tok(texts, pairs, truncation=True, max_length=data["max_length"], padding=False if dynamic else "max_length")
    ds = hfds.Dataset.from_dict({"input_ids": feats["input_ids"], "attention_mask": feats["attention_mask"],
                                 "labels": [index[l] for l in data["train"].label]})
    tokenize_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        targs = TrainingArguments(
            output_dir=tmp, per_device_train_batch_size=args.batch_size, num_train_epochs=args.epochs,
            learning_rate=args.lr, weight_decay=args.weight_decay, warmup_steps=0, max_grad_norm=1.0,
            lr_scheduler_type="linear", logging_strategy="no", save_strategy="no", eval_strategy="no",
            report_to="none", use_cpu=not torch.cuda.is_available(), disable_tqdm=True, dataloader_num_workers=0,
            seed=seed, bf16=precision == "bf16", fp16=precision == "fp16")
        trainer = Trainer(model=model, args=targs, train_dataset=ds, optimizers=(optimiser(model, args), None),
                          data_collator=DataCollatorWithPadding(tok) if dynamic else default_data_collator)
        t0 = time.perf_counter()
        trainer.train()
        train_s = time.perf_counter() - t0
    return {"model": model.clf, "tok": tok, "train_s": train_s, "tokenize_s": tokenize_s}


def run_rxlt(data: dict, args, seed: int, precision: str, grouping: int = 0) -> dict:
    from rxlt.features.batching import encode_frame
    from rxlt.train.loop import Stream, train_streams
    from rxlt.train.objectives import ERM

    enc, tok = encoder(args.layers)
    model = classifier(enc, len(data["labels"]), seed)
    index = {l: i for i, l in enumerate(data["labels"])}
    t0 = time.perf_counter()
    train = encode_frame(tok, data["train"], index, data["max_length"])
    tokenize_s = time.perf_counter() - t0
    cfg = SimpleNamespace(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, head_lr=args.head_lr,
                          weight_decay=args.weight_decay, warmup_ratio=0.0, max_grad_norm=1.0, precision=precision,
                          length_grouping=grouping)
    epoch = itertools.count()  # a score that grows every epoch: the last epoch is kept, as Trainer keeps it
    t0 = time.perf_counter()
    train_streams([Stream("bench", model, train, train, score=lambda _m: next(epoch))], ERM(), cfg, seed, desc="")
    return {"model": model, "tok": tok, "train_s": time.perf_counter() - t0, "tokenize_s": tokenize_s}


def per_language_accuracy(model, tok, data: dict) -> dict[str, float]:
    """The same prediction function for every variant: rxlt.train.loop.predict_logits, fp32."""
    from rxlt.features.batching import encode_frame
    from rxlt.train.loop import predict_logits

    test = data["test"]
    enc = encode_frame(tok, test, {l: i for i, l in enumerate(data["labels"])}, data["max_length"])
    correct = predict_logits(model, enc, 128, "fp32").argmax(-1) == enc.labels
    return {lang: float(correct[idx].mean()) for lang, idx in test.groupby("language").indices.items()}


# ---------------------------------------------------------------- statistics

def t_interval(d: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean of paired differences and its t interval (NaN bounds with fewer than 2 pairs)."""
    from scipy.stats import t

    d = np.asarray(d, dtype=np.float64)
    mean = float(d.mean())
    if len(d) < 2:
        return mean, float("nan"), float("nan")
    half = float(t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))
    return mean, mean - half, mean + half


def mean_sd(values: list[float]) -> dict:
    return {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")}


def summarise(runs: list[dict], seeds: list[int]) -> tuple[dict, list[dict]]:
    from rxlt.stats.intervals import paired_bootstrap_diff

    by = {(r["variant"], r["seed"]): r for r in runs}
    variants = {}
    for v in VARIANTS:
        rs = [by[v, s] for s in seeds]
        variants[v] = {k: mean_sd([r[k] for r in rs]) for k in ("train_s", "examples_per_s", "speedup_vs_trainer_fixed",
                                                                 "english_accuracy", "mean_accuracy_other_languages")}
    diffs = []
    languages = sorted(l for l in runs[0]["per_language"] if l != "en")
    for ours, base in itertools.product(("rxlt", "rxlt-grouped"), ("trainer-fixed", "trainer-dynamic")):
        row = {"comparison": f"{ours} − {base}"}
        for key in ("english_accuracy", "mean_accuracy_other_languages"):
            m, lo, hi = t_interval([by[ours, s][key] - by[base, s][key] for s in seeds])
            row[f"{key}_over_seeds"] = {"diff": m, "ci_low": lo, "ci_high": hi, "n": len(seeds)}
        per_lang = lambda v: [np.mean([by[v, s]["per_language"][l] for s in seeds]) for l in languages]  # noqa: E731
        row["accuracy_over_languages"] = paired_bootstrap_diff(per_lang(ours), per_lang(base), n_boot=2000, seed=0)
        diffs.append(row)
    return variants, diffs


# ---------------------------------------------------------------- report

def fmt(d: dict, digits: int = 3) -> str:
    return f"{d['mean']:.{digits}f} ± {d['sd']:.{digits}f}" if np.isfinite(d["sd"]) else f"{d['mean']:.{digits}f}"


def ci(d: dict) -> str:
    return f"{d['diff']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}] (n={d['n']})"


def write_report(out: Path, meta: dict, runs: list[dict], variants: dict, diffs: list[dict]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "trainer_accuracy.json").write_text(json.dumps({"meta": meta, "runs": runs, "variants": variants,
                                                           "differences": diffs}, indent=2))
    lines = [f"# Trainer vs rxlt at equal schedules — {meta['data']}", "", "```", json.dumps(meta, indent=1), "```", "",
             "Mean ± sd over seeds. Zero-shot mean: test accuracy averaged over the languages other than English "
             f"({meta['languages_other_than_english']} languages).", "",
             "| variant | train s | examples/s | × trainer-fixed | English test acc | zero-shot mean acc |",
             "|---|---|---|---|---|---|"]
    for v, s in variants.items():
        lines.append(f"| {v} | {fmt(s['train_s'], 1)} | {fmt(s['examples_per_s'], 1)} | {fmt(s['speedup_vs_trainer_fixed'], 2)} "
                     f"| {fmt(s['english_accuracy'])} | {fmt(s['mean_accuracy_other_languages'])} |")
    lines += ["", "Differences (95% intervals): over seeds, t interval of the per-seed differences; over languages, "
              "paired bootstrap of per-language accuracies averaged over seeds.", "",
              "| comparison | English acc (seeds) | zero-shot mean acc (seeds) | per-language acc (languages) |",
              "|---|---|---|---|"]
    for d in diffs:
        lines.append(f"| {d['comparison']} | {ci(d['english_accuracy_over_seeds'])} | "
                     f"{ci(d['mean_accuracy_other_languages_over_seeds'])} | {ci(d['accuracy_over_languages'])} |")
    lines += ["", "| seed | variant | train s | tokenise s | examples/s | English acc | zero-shot mean acc |",
              "|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['seed']} | {r['variant']} | {r['train_s']:.1f} | {r['tokenize_s']:.2f} | "
                     f"{r['examples_per_s']:.1f} | {r['english_accuracy']:.3f} | {r['mean_accuracy_other_languages']:.3f} |")
    (out / "trainer_accuracy.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    import transformers

    from rxlt.model.precision import resolve_precision

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", choices=sorted(MAX_LENGTH), default="cldr-territory")
    # 20 epochs: the embedded pilot's CLDR runs (reference/embedded-pilot.md); 6 layers: params/embedded.yaml
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-5, help="encoder learning rate (rxlt's default)")
    ap.add_argument("--head-lr", type=float, default=1e-3, help="head learning rate (rxlt's default)")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--precision", default="auto", help="auto, bf16, fp16 (CUDA) or fp32; the same for all variants")
    ap.add_argument("--max-train", type=int, default=0, help="first N training items (0 = all; smoke runs)")
    ap.add_argument("--eval-items", type=int, default=0, help="first N test items per language (0 = all; smoke runs)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    precision = resolve_precision(args.precision)
    data = load_data(args.data, args.max_train, args.eval_items)
    n_train = len(data["train"])
    def run(v, data, args, seed):
        if v.startswith("rxlt"):
            return run_rxlt(data, args, seed, precision, GROUPING if v == "rxlt-grouped" else 0)
        return run_trainer(data, args, seed, v == "trainer-dynamic", precision)

    # one untimed epoch of every variant on a few items first: the first Trainer run of a process pays one-off
    # costs (imports, thread pools, allocator growth) that would otherwise land on seed 0's baseline
    warm = {**data, "train": data["train"].head(2 * args.batch_size)}
    for v in VARIANTS:
        run(v, warm, argparse.Namespace(**{**vars(args), "epochs": 1}), args.seeds[0])
    runs = []
    for seed in args.seeds:
        timed = {}
        for v in VARIANTS:
            res = run(v, data, args, seed)
            acc = per_language_accuracy(res["model"], res["tok"], data)
            other = [a for l, a in acc.items() if l != "en"]
            timed[v] = res["train_s"]
            runs.append({"seed": seed, "variant": v, "train_s": res["train_s"], "tokenize_s": res["tokenize_s"],
                         "examples_per_s": args.epochs * n_train / res["train_s"],
                         "english_accuracy": acc["en"], "mean_accuracy_other_languages": float(np.mean(other)),
                         "per_language": acc})
            print(f"seed {seed} {v}: {res['train_s']:.1f} s, en {acc['en']:.3f}, zero-shot mean {np.mean(other):.3f}",
                  flush=True)
            del res
        for r in runs[-len(VARIANTS):]:
            r["speedup_vs_trainer_fixed"] = timed[BASELINE] / r["train_s"]
    variants, diffs = summarise(runs, args.seeds)
    meta = {"data": args.data, "train_items": n_train, "test_items": len(data["test"]),
            "languages_other_than_english": len(runs[0]["per_language"]) - 1, "max_length": data["max_length"],
            "layers": args.layers, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
            "head_lr": args.head_lr, "weight_decay": args.weight_decay, "schedule": "linear to 0, no warm-up",
            "selection": "last epoch (all variants)", "seeds": args.seeds, "precision": precision,
            "eval_items_per_language": args.eval_items or "all", "device": "cuda" if torch.cuda.is_available() else "cpu",
            "threads": torch.get_num_threads(), "cpu": platform.processor() or platform.machine(),
            "torch": torch.__version__, "transformers": transformers.__version__,
            "smoke": bool(args.max_train or args.eval_items or args.epochs < 5 or len(args.seeds) < 2)}
    write_report(Path(args.out), meta, runs, variants, diffs)


if __name__ == "__main__":
    main()
