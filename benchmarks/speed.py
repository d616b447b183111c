"""rxlt's training loop and evaluation against plain baselines, side by side in one process.

    PYTHONPATH=. .venv/bin/python benchmarks/speed.py [--repeats 3] [--steps 10] [--layers 6] [--quick]

What runs, interleaved (repeat 1: every variant, repeat 2: every variant, …), so drift on a shared machine hits
all variants alike:
1. Matrix-product peak of this CPU in fp32 and bf16 (torch.mm at the encoder's shapes and 2048³; best of
   several): the denominators of "% of peak".
2. Fine-tuning, same model (the embedded encoder, `--layers`, word embeddings frozen, the same mean-pooled
   linear head), same data, batch size, learning rate and number of steps:
   - `trainer-fixed`: a plain `transformers.Trainer` fed run_glue-style features: padded to max_length
     (run_glue.py's `pad_to_max_length` defaults to True, `max_seq_length` to 128) with default_data_collator;
   - `trainer-dynamic`: the same Trainer with `DataCollatorWithPadding` (pads to each batch's longest);
   - `rxlt`: rxlt.train.loop.train_streams (dynamic padding, vocabulary trimmed, shuffled batches);
   - `rxlt-grouped`: the same with length_grouping=50 (HF's mega-batch factor).
   Data: cldr-territory English train (max_length 32, the embedded study's) and PAWS-X English dev pairs
   (max_length 128, XTREME's), 1,600 pairs for training and the other 400 for accuracy, when
   /work/shared/xtreme-r (or $RXLT_XTREME_DIR) has it. Accuracy after the same steps: English dev (CLDR) or
   the 400 held-out pairs (PAWS-X), with the same prediction function for every variant.
3. The embedded encoder's training step at the reference shape (12 layers, batch 32 × 64 tokens, frozen word
   embeddings; embedded-encoder.md): seconds per step in fp32 and bf16, FLOPs counted by
   torch.utils.flop_counter.FlopCounterMode, achieved GFLOP/s and % of the measured matmul peaks.
4. Zero-shot evaluation over the embedded study's languages (cldr-territory test, `--eval-items` per
   language): rxlt.train.loop.predict_logits (length-sorted batches, dynamic padding) vs the same model on
   batches in data order padded to max_length (fixed-length padding).

Achieved GFLOP/s of the fine-tuning rows: analytic FLOPs of the tokens each variant computes (padding included:
6 × matmul parameters × tokens + attention, i.e. forward + backward), over the wall time. Peak RSS: this process,
sampled every 20 ms during each variant (the maximum seen). Writes benchmarks/results/speed.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
XTREME_DIR = Path(os.environ.get("RXLT_XTREME_DIR", ROOT.parent / "shared" / "xtreme-r"))
if not XTREME_DIR.is_dir():
    XTREME_DIR = Path("/work/shared/xtreme-r")


# ---------------------------------------------------------------- measuring

class PeakRSS:
    """Maximum resident set size of this process while the block runs (sampled every 20 ms)."""

    def __enter__(self):
        import psutil

        self.proc, self.peak, self.stop = psutil.Process(), 0, threading.Event()
        self.peak = self.proc.memory_info().rss

        def sample():
            while not self.stop.wait(0.02):
                self.peak = max(self.peak, self.proc.memory_info().rss)

        self.thread = threading.Thread(target=sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def matmul_peak(dtype: torch.dtype, seconds: float = 1.0, shapes=None) -> dict:
    """Best GFLOP/s of torch.mm over the encoder's shapes (tokens × 384 × 1536 …) and a 2048³ product."""
    shapes = shapes or [(2048, 384, 1536), (2048, 1536, 384), (2048, 384, 384), (2048, 2048, 2048)]
    best = {}
    for m, k, n in shapes:
        a, b = torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
        torch.mm(a, b)
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds or reps < 1:
            torch.mm(a, b)
            reps += 1
        best[f"{m}x{k}x{n}"] = 2 * m * k * n * reps / (time.perf_counter() - t0) / 1e9
    return {"peak_gflops": max(best.values()), "by_shape": best}


def encoder_flops(tokens: int, seq_len: float, layers: int, hidden: int = 384, ffn: int = 1536) -> float:
    """Forward FLOPs of a BERT encoder over `tokens` tokens in sequences of `seq_len`: the four attention
    projections and two FFN matrices (2 FLOPs per multiply-add), and QKᵀ and AV."""
    per_token = layers * (2 * (4 * hidden * hidden + 2 * hidden * ffn) + 4 * seq_len * hidden)
    return tokens * per_token


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


# ---------------------------------------------------------------- data and models

def datasets(quick: bool, names=("cldr-territory", "pawsx-en")) -> dict:
    from rxlt.phases.kind_handlers import task_examples

    out = {"cldr-territory": {"train": task_examples("cldr-territory", "train", ["en"]),
                              "eval": task_examples("cldr-territory", "dev", ["en"]), "max_length": 32}}
    if (XTREME_DIR / "pawsx" / "dev-en.tsv").is_file() and not quick and "pawsx-en" in names:
        from rxlt.data.xtreme_loader import load

        paws = load("pawsx", "dev", ["en"], data_dir=XTREME_DIR).reset_index(drop=True)
        out["pawsx-en"] = {"train": paws.iloc[:1600].reset_index(drop=True),
                           "eval": paws.iloc[1600:].reset_index(drop=True), "max_length": 128}
    return out


def encoder(layers: int, trim_texts=None):
    from rxlt.model.checkpoint import freeze_word_embeddings, load_base_encoder

    keep = None
    if trim_texts is not None:
        from rxlt.features.batching import encode
        from rxlt.model.vocabulary import token_ids

        keep = lambda tok: token_ids(*(encode(tok, texts, None, ml, text_pairs=pairs)  # noqa: E731
                                       for texts, pairs, ml in trim_texts), tokenizer=tok)
    enc, tok = load_base_encoder("e5-small", layers, keep_ids=keep)
    freeze_word_embeddings(enc)
    return enc, tok


def classifier(enc, n_labels: int, seed: int = 0):
    from rxlt.model.checkpoint import EncoderClassifier

    torch.manual_seed(seed)
    return EncoderClassifier(enc, n_labels, "mean")


class TrainerModel(torch.nn.Module):
    """The same classifier behind the (input_ids, attention_mask, labels) -> {loss, logits} interface Trainer
    expects."""

    def __init__(self, clf):
        super().__init__()
        self.clf = clf

    def forward(self, input_ids=None, attention_mask=None, labels=None, **_):
        logits = self.clf(input_ids=input_ids, attention_mask=attention_mask)
        loss = torch.nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return {"loss": loss, "logits": logits}


def texts_of(df):
    return (df.text.tolist(), df.text_pair.tolist() if "text_pair" in df else None)


# ---------------------------------------------------------------- fine-tuning variants

def repeat_to(df, n: int):
    import pandas as pd

    return pd.concat([df] * -(-n // len(df)), ignore_index=True).iloc[:n]


def run_rxlt(data: dict, labels: list[str], args, grouping: int) -> dict:
    from rxlt.features.batching import encode_frame
    from rxlt.train.loop import Stream, train_streams
    from rxlt.train.objectives import ERM

    n = args.steps * args.batch_size
    train = repeat_to(data["train"], n)
    index = {l: i for i, l in enumerate(labels)}
    with PeakRSS() as rss:
        t0 = time.perf_counter()
        # rxlt trims the vocabulary to the rows of the texts it will see (training and held-out)
        enc, tok = encoder(args.layers, [(*texts_of(df), data["max_length"]) for df in (train, data["eval"])])
        model = classifier(enc, len(labels))
        load_s = time.perf_counter() - t0
        tr = encode_frame(tok, train, index, data["max_length"])
        dev = encode_frame(tok, data["eval"].iloc[: args.batch_size], index, data["max_length"])  # end-of-epoch check
        cfg = SimpleNamespace(epochs=1, batch_size=args.batch_size, lr=5e-5, head_lr=1e-3, weight_decay=0.01,
                              warmup_ratio=0.1, max_grad_norm=1.0, precision=args.precision, length_grouping=grouping)
        t0 = time.perf_counter()
        train_streams([Stream("bench", model, tr, dev)], ERM(), cfg, 0, desc="")
        wall = time.perf_counter() - t0
    # tokens computed: each batch padded to its longest row (re-derive the batches the loop used)
    tokens = padded_tokens_rxlt(tr, args.batch_size, grouping)
    return {"wall_s": wall, "load_s": load_s, "peak_rss_mb": rss.peak / 2**20, "model": model, "tok": tok,
            "tokens": tokens, "real_tokens": int(tr.lengths().sum())}


def padded_tokens_rxlt(data, batch_size: int, grouping: int) -> tuple[int, float]:
    from rxlt.train.loop import epoch_schedule

    lengths = data.lengths()
    sched = epoch_schedule([len(data)], batch_size, np.random.default_rng(0), 1.0, [lengths], grouping)
    total = sum(len(b) * int(lengths[b].max()) for _, b in sched)
    mean_len = float(np.mean([lengths[b].max() for _, b in sched]))
    return total, mean_len


def run_trainer(data: dict, labels: list[str], args, dynamic: bool) -> dict:
    import datasets as hfds
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments, default_data_collator

    n = args.steps * args.batch_size
    train = repeat_to(data["train"], n)
    index = {l: i for i, l in enumerate(labels)}
    with PeakRSS() as rss:
        t0 = time.perf_counter()
        enc, tok = encoder(args.layers)  # the full vocabulary: what a plain pipeline loads
        model = TrainerModel(classifier(enc, len(labels)))
        load_s = time.perf_counter() - t0
        texts, pairs = texts_of(train)
        # run_glue.py: padding = "max_length" if pad_to_max_length (default True) else False
        feats = tok(texts, pairs, truncation=True, max_length=data["max_length"],
                    padding=False if dynamic else "max_length")
        ds = hfds.Dataset.from_dict({"input_ids": feats["input_ids"], "attention_mask": feats["attention_mask"],
                                     "labels": [index[l] for l in train.label]})
        with tempfile.TemporaryDirectory() as tmp:
            targs = TrainingArguments(
                output_dir=tmp, per_device_train_batch_size=args.batch_size, max_steps=args.steps, learning_rate=5e-5,
                weight_decay=0.01, warmup_steps=0.1, max_grad_norm=1.0, lr_scheduler_type="linear",
                logging_strategy="no", save_strategy="no", eval_strategy="no", report_to="none", use_cpu=True,
                disable_tqdm=True, dataloader_num_workers=0, seed=0, bf16=args.precision == "bf16")
            collator = DataCollatorWithPadding(tok) if dynamic else default_data_collator
            trainer = Trainer(model=model, args=targs, train_dataset=ds, data_collator=collator)
            t0 = time.perf_counter()
            trainer.train()
            wall = time.perf_counter() - t0
    lengths = np.array([len(x) for x in feats["input_ids"]]) if dynamic else None
    if dynamic:  # Trainer's random sampler: batch composition differs, estimate with a seeded shuffle
        order = np.random.default_rng(0).permutation(len(lengths))
        batches = [order[i : i + args.batch_size] for i in range(0, len(order), args.batch_size)]
        tokens = sum(len(b) * int(lengths[b].max()) for b in batches)
        mean_len = float(np.mean([lengths[b].max() for b in batches]))
    else:
        tokens, mean_len = n * data["max_length"], float(data["max_length"])
    real = int(np.sum([sum(m) for m in feats["attention_mask"]]))
    return {"wall_s": wall, "load_s": load_s, "peak_rss_mb": rss.peak / 2**20, "model": model.clf, "tok": tok,
            "tokens": (tokens, mean_len), "real_tokens": real}


def held_out_accuracy(model, tok, data: dict, labels: list[str]) -> float:
    from rxlt.features.batching import encode_frame
    from rxlt.train.loop import accuracy, predict_logits

    ev = encode_frame(tok, data["eval"], {l: i for i, l in enumerate(labels)}, data["max_length"])
    return accuracy(predict_logits(model, ev, 128, "fp32"), ev.labels)


# ---------------------------------------------------------------- the reference training step

def reference_step(precision: str, steps: int, layers: int = 12) -> dict:
    """Seconds per step of rxlt's ERM step at batch 32 × 64 tokens (embedded-encoder.md's shape)."""
    from torch.utils.flop_counter import FlopCounterMode

    from rxlt.model.precision import autocast
    from rxlt.train.objectives import ERM

    enc, _ = encoder(layers)
    model = classifier(enc, 6).train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=5e-5)
    g = torch.Generator().manual_seed(0)
    batch = {"input_ids": torch.randint(5, 250000, (32, 64), generator=g), "attention_mask": torch.ones(32, 64, dtype=torch.long),
             "labels": torch.randint(0, 6, (32,), generator=g)}

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast(precision):
            loss = ERM().loss(model, batch)
        loss.backward()
        opt.step()

    with FlopCounterMode(display=False) as fc:
        step()
    flops = fc.get_total_flops()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return {"flops": flops, "times": times}


# ---------------------------------------------------------------- evaluation

def eval_fixed(model, data, batch_size: int, max_length: int) -> np.ndarray:
    """Baseline: batches in data order, every one padded to max_length."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(data), batch_size):
            rows = data.input_ids[i : i + batch_size]
            ids = torch.full((len(rows), max_length), data.pad_id, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for j, r in enumerate(rows):
                ids[j, : len(r)], mask[j, : len(r)] = torch.tensor(r), 1
            out.append(model(input_ids=ids, attention_mask=mask).float().numpy())
    return np.concatenate(out)


# ---------------------------------------------------------------- memory of vocabulary trimming

TRIM_PROBE = """
import sys, torch
sys.path.insert(0, {root!r})
from rxlt.features.batching import encode
from rxlt.model.checkpoint import EncoderClassifier, freeze_word_embeddings, load_base_encoder
from rxlt.phases.kind_handlers import task_examples
from rxlt.model.vocabulary import token_ids
texts = task_examples("cldr-territory", "train", ["en"]).text.tolist()
keep = (lambda tok: token_ids(encode(tok, texts, None, 32), tokenizer=tok)) if {trim} else None
enc, tok = load_base_encoder("e5-small", {layers}, keep_ids=keep)
freeze_word_embeddings(enc)
model = EncoderClassifier(enc, 6, "mean")
batch = encode(tok, texts[:32], [0] * 32, 32).collate(range(32))
loss = model.task_loss(batch)
loss.backward()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork + exec
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(hwm / 1024, enc.get_input_embeddings().weight.shape[0])
"""


def trim_memory(layers: int) -> dict:
    """Peak RSS of a fresh process that loads the encoder and runs one training step, trimmed or not."""
    import subprocess

    out = {}
    for trim in (False, True):
        code = TRIM_PROBE.format(root=str(ROOT), trim=trim, layers=layers)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "HF_HUB_OFFLINE": "1"})
        peak, rows = res.stdout.split()[-2:]
        out["trimmed" if trim else "full"] = {"peak_rss_mb": float(peak), "embedding_rows": int(rows)}
    return out


# ---------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10, help="optimisation steps per fine-tuning run")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--layers", type=int, default=6, help="encoder layers for fine-tuning and evaluation (study: 6)")
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--reference-steps", type=int, default=4, help="timed fp32 steps of the 12-layer reference step")
    ap.add_argument("--bf16-steps", type=int, default=-1,
                    help="timed bf16 steps of the reference step (-1: as fp32 with bf16 units, else none: emulated bf16 "
                         "takes minutes per step; the matmul peaks and benchmarks/precision_accuracy.py show it)")
    ap.add_argument("--eval-items", type=int, default=20, help="test items per language (0 = all)")
    ap.add_argument("--data", nargs="+", default=["cldr-territory", "pawsx-en"], help="fine-tuning data sets")
    ap.add_argument("--reference-repeats", type=int, default=0, help="repeats of the reference step (0: repeats - 1)")
    ap.add_argument("--quick", action="store_true", help="CLDR only, 1 repeat, few steps (a smoke test)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    from rxlt.model.precision import cpu_has_fast_bf16, resolve_precision

    if args.quick:
        args.repeats, args.steps, args.reference_steps, args.eval_items = 1, 3, 0, 2
    args.precision = resolve_precision(args.precision)
    torch.manual_seed(0)
    info = {"torch": torch.__version__, "threads": torch.get_num_threads(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "cpu_fast_bf16": cpu_has_fast_bf16(), "precision": args.precision,
            "args": {k: v for k, v in vars(args).items()}}
    import transformers

    info["transformers"] = transformers.__version__
    print(json.dumps(info), flush=True)

    # 1. peaks
    # without bf16 units a 2048³ bf16 product takes tens of seconds: the encoder's shapes only, then
    bf16_shapes = None if info["cpu_fast_bf16"] or torch.cuda.is_available() else [(2048, 384, 1536), (2048, 1536, 384)]
    peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16, shapes=bf16_shapes)}
    print({k: round(v["peak_gflops"], 1) for k, v in peaks.items()}, flush=True)

    # 2. fine-tuning, interleaved
    from rxlt.phases.kind_handlers import task_labels

    sets = {k: v for k, v in datasets(args.quick, args.data).items() if k in args.data}
    variants = {"trainer-fixed": lambda d, l: run_trainer(d, l, args, False),
                "trainer-dynamic": lambda d, l: run_trainer(d, l, args, True),
                "rxlt": lambda d, l: run_rxlt(d, l, args, 0),
                "rxlt-grouped": lambda d, l: run_rxlt(d, l, args, 50)}
    ft: dict = {}
    for r in range(args.repeats):
        for name, data in sets.items():
            labels = task_labels("cldr-territory") if name == "cldr-territory" else sorted(data["train"].label.unique())
            for v, fn in variants.items():
                res = fn(data, labels)
                row = ft.setdefault((name, v), {"wall": [], "rss": [], "load": []})
                row["wall"].append(res["wall_s"])
                row["rss"].append(res["peak_rss_mb"])
                row["load"].append(res["load_s"])
                row["tokens"], row["real_tokens"] = res["tokens"], res["real_tokens"]
                if r == args.repeats - 1:
                    row["accuracy"] = held_out_accuracy(res["model"], res["tok"], data, labels)
                print(f"repeat {r + 1} {name} {v}: {res['wall_s']:.2f} s", flush=True)
                del res

    # 3. reference step (12 layers, 32 x 64), fp32 and bf16 interleaved
    ref = {"fp32": {"times": []}, "bf16": {"times": []}}
    bf16_steps = args.bf16_steps if args.bf16_steps >= 0 else (args.reference_steps if info["cpu_fast_bf16"] else 0)
    for r in range(args.reference_repeats or max(1, args.repeats - 1)):
        for prec in ("fp32", "bf16"):
            if not (args.reference_steps if prec == "fp32" else bf16_steps) or (prec == "bf16" and r and not info["cpu_fast_bf16"]):
                continue  # emulated bf16: one measurement is enough to show it
            res = reference_step(prec, args.reference_steps if prec == "fp32" else bf16_steps)
            ref[prec]["flops"] = res["flops"]
            ref[prec]["times"] += res["times"]
            print(f"reference step {prec}: {statistics.median(res['times']):.2f} s", flush=True)

    # 4. evaluation over the study's languages
    from rxlt.data import catalog
    from rxlt.features.batching import encode_frame
    from rxlt.train.loop import predict_logits

    langs = catalog.evaluation_languages("cldr-territory")
    test = catalog.examples("cldr-territory", "test", langs)
    if args.eval_items:
        test = test.sort_values(["language", "key"]).groupby("language", sort=False).head(args.eval_items).reset_index(drop=True)
    labels = task_labels("cldr-territory")
    enc, tok = encoder(args.layers)
    model = classifier(enc, len(labels)).eval()
    data = encode_frame(tok, test, {l: i for i, l in enumerate(labels)}, 32)
    ev = {"rxlt": [], "fixed-32": []}
    for r in range(args.repeats):
        t0 = time.perf_counter()
        a = predict_logits(model, data, 128, args.precision)
        ev["rxlt"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        b = eval_fixed(model, data, 128, 32)
        ev["fixed-32"].append(time.perf_counter() - t0)
        print(f"eval repeat {r + 1}: rxlt {ev['rxlt'][-1]:.2f} s, fixed {ev['fixed-32'][-1]:.2f} s", flush=True)
    same_pred = float((a.argmax(-1) == b.argmax(-1)).mean())
    max_diff = float(np.abs(a - b).max())

    memory = trim_memory(args.layers)
    print(memory, flush=True)
    write(args, info, peaks, sets, ft, ref, ev, len(test), len(langs), same_pred, max_diff, data, memory)


def write(args, info, peaks, sets, ft, ref, ev, n_eval, n_langs, same_pred, max_diff, data, memory) -> None:
    import psutil

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    p32, p16 = peaks["fp32"]["peak_gflops"], peaks["bf16"]["peak_gflops"]
    rows, lines = [], []
    lines += ["# Speed: rxlt vs plain baselines (benchmarks/speed.py)", "",
              f"Machine: {info['threads']} torch threads, CPU capability {info['cpu_capability']}, fast bf16 "
              f"{'yes' if info['cpu_fast_bf16'] else 'no (AVX512-BF16/AMX absent: bf16 is emulated)'}; torch "
              f"{info['torch']}, transformers {info['transformers']}. Precision of the comparisons: {args.precision} "
              "(rxlt's `auto` on this machine). Medians of interleaved repeats, [min–max].", "",
              "## Matrix-product peak (torch.mm, best shape)", "",
              "| dtype | GFLOP/s | by shape |", "|---|---|---|",
              f"| fp32 | {p32:.1f} | {', '.join(f'{k}: {v:.0f}' for k, v in peaks['fp32']['by_shape'].items())} |",
              f"| bf16 | {p16:.1f} | {', '.join(f'{k}: {v:.0f}' for k, v in peaks['bf16']['by_shape'].items())} |", "",
              f"## Fine-tuning: {args.steps} steps × batch {args.batch_size}, {args.layers} layers, frozen word embeddings", "",
              "| data | variant | wall s | examples/s | vs trainer-fixed | tokens computed (real) | mean padded length | "
              "achieved GFLOP/s | % of fp32 peak | accuracy after the same steps | peak RSS MB |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in sets:
        base = statistics.median(ft[(name, "trainer-fixed")]["wall"])
        for v in ("trainer-fixed", "trainer-dynamic", "rxlt", "rxlt-grouped"):
            row = ft[(name, v)]
            s = summary(row["wall"])
            tokens, mean_len = row["tokens"]
            flops = 3 * encoder_flops(tokens, mean_len, args.layers)  # forward + backward ≈ 3 × forward
            gflops = flops / s["median"] / 1e9
            ex_s = args.steps * args.batch_size / s["median"]
            rows.append({"data": name, "variant": v, "wall_s": s, "examples_per_s": ex_s, "speedup_vs_trainer_fixed": base / s["median"],
                         "tokens_computed": tokens, "real_tokens": row["real_tokens"], "mean_padded_length": mean_len,
                         "achieved_gflops": gflops, "pct_fp32_peak": 100 * gflops / p32, "accuracy": row.get("accuracy"),
                         "peak_rss_mb": max(row["rss"]), "load_s": statistics.median(row["load"])})
            lines.append(f"| {name} | {v} | {s['median']:.2f} [{s['min']:.2f}–{s['max']:.2f}] | {ex_s:.1f} | "
                         f"{base / s['median']:.2f}× | {tokens} ({row['real_tokens']}) | {mean_len:.1f} | {gflops:.1f} | "
                         f"{100 * gflops / p32:.0f} % | {row.get('accuracy', float('nan')):.3f} | {max(row['rss']):.0f} |")
    lines += ["", "Wall time is the training call only (trainer.train() / train_streams, which also scores a 32-item dev "
              "batch at the epoch's end); model loading and tokenisation are outside it. Achieved GFLOP/s counts the "
              "tokens each variant computes, padding included, so it measures the hardware, while examples/s measures "
              "the useful work.", ""]
    ref_rows = {}
    lines += ["## Training step at the reference shape (12 layers, batch 32 × 64 tokens, frozen word embeddings)", "",
              "| precision | s/step | FLOPs/step (FlopCounterMode) | achieved GFLOP/s | % of fp32 peak | % of bf16 peak |",
              "|---|---|---|---|---|---|"]
    for prec, r in ref.items():
        if not r["times"]:
            continue
        s = summary(r["times"])
        g = r["flops"] / s["median"] / 1e9
        ref_rows[prec] = {"s_per_step": s, "flops": r["flops"], "achieved_gflops": g, "pct_fp32_peak": 100 * g / p32,
                          "pct_bf16_peak": 100 * g / p16}
        lines.append(f"| {prec} | {s['median']:.2f} [{s['min']:.2f}–{s['max']:.2f}] | {r['flops'] / 1e9:.0f} G | {g:.1f} | "
                     f"{100 * g / p32:.0f} % | {100 * g / p16:.0f} % |")
    if not ref["bf16"]["times"]:
        lines.append(f"| bf16 | not timed: no bf16 units, emulated bf16 products run at {p16:.1f} GFLOP/s "
                     f"({p32 / p16:.0f}× slower than fp32) | | | | |")
    lines += ["", "embedded-encoder.md (another CPU, with bf16 units): 1.69 s fp32, 0.71 s bf16 for this step.", ""]
    e_r, e_f = summary(ev["rxlt"]), summary(ev["fixed-32"])
    lines += [f"## Zero-shot evaluation: cldr-territory test, {n_langs} languages, {n_eval} items "
              f"({'first ' + str(args.eval_items) + ' per language' if args.eval_items else 'all'}), {args.layers} layers, batch 128", "",
              "| variant | wall s | examples/s | speed-up | tokens computed |", "|---|---|---|---|---|",
              f"| fixed-length padding (32) | {e_f['median']:.2f} [{e_f['min']:.2f}–{e_f['max']:.2f}] | {n_eval / e_f['median']:.0f} | 1.00× | {n_eval * 32} |",
              f"| rxlt (length-sorted, dynamic) | {e_r['median']:.2f} [{e_r['min']:.2f}–{e_r['max']:.2f}] | {n_eval / e_r['median']:.0f} | "
              f"{e_f['median'] / e_r['median']:.2f}× | {padded_eval_tokens(data, 128)} |", "",
              f"Same predictions: {same_pred:.2%} of items (max |Δ logit| {max_diff:.2e}: padding changes only summation order).", "",
              f"## Vocabulary trimming: peak RSS of a fresh process (load the {args.layers}-layer encoder, one training step)", "",
              "| word embeddings | rows | peak RSS MB |", "|---|---|---|",
              *(f"| {k} | {v['embedding_rows']} | {v['peak_rss_mb']:.0f} |" for k, v in memory.items()), "",
              f"Peak RSS of this benchmark process: {psutil.Process().memory_info().rss / 2**20:.0f} MB now, "
              f"{__import__('resource').getrusage(__import__('resource').RUSAGE_SELF).ru_maxrss / 1024:.0f} MB max."]
    payload = {"info": info, "peaks": peaks, "finetuning": rows, "reference_step": ref_rows, "trim_memory": memory,
               "evaluation": {"items": n_eval, "languages": n_langs, "rxlt_s": e_r, "fixed_s": e_f,
                              "speedup": e_f["median"] / e_r["median"], "same_prediction": same_pred, "max_abs_logit_diff": max_diff}}
    (out / "speed.json").write_text(json.dumps(payload, indent=2, default=str))
    (out / "speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def padded_eval_tokens(data, batch_size: int) -> int:
    from rxlt.features.batching import length_sorted_batches

    lengths = data.lengths()
    return int(sum(len(b) * lengths[b].max() for b in length_sorted_batches(data, batch_size)))


if __name__ == "__main__":
    main()
