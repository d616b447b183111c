"""Step time of every training objective against plain ERM on the embedded encoder, side by side.

    .venv/bin/python benchmarks/objectives.py [--steps 6] [--rounds 5] [--layers 12] [--out benchmarks/results]
        [--pawsx-dir ../shared/xtreme-r]   # English PAWS-X sentence pairs (Robust-XLT's task) instead of CLDR;
                                           # writes objectives_pawsx.{md,json} instead of objectives.*

Each round runs every objective for `steps` optimisation steps on the same batches (English
cldr-territory training data, batch 32, word embeddings frozen), interleaved so machine drift hits all
alike; the table reports the median time per optimiser step and its ratio to ERM. Targets (issue: robust
fine-tuning): rs_rp ≤ 1.15×, rs_da ≤ 1.05×, PGD with K steps ≤ (K + 1.3)×, free variants ≤ 1.5×.
`rs_da` draws WordNet synonyms ("WordNet synonym augmentation"), `rs_da paper list` the paper's RS-DA list
(rxlt/train/robust_xlt/counterfitted_neighbors.json, perturb.py's draw), `rs_da length-matched` WordNet with
rs_da_length_match; every rs_da row reports its augmented data's tokens relative to the original (`tokens vs
original`; on CLDR territory names the faithful raw-token draw changes no text, so the paper list's row is ERM's
cost there — PAWS-X sentences, --pawsx-dir, are where it substitutes). `adversarial_free` (Shafahi et al.'s free AT)
replays each batch `free_replays` (4) times, one optimiser step each, as the training loop does; its time is per
optimiser step. `adversarial relative` is PGD-2 with adv_eps_scale: relative.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from rxlt.data import catalog
from rxlt.features.batching import collate, encode
from rxlt.model.checkpoint import EncoderClassifier, freeze_word_embeddings, load_encoder
from rxlt.model.precision import autocast, resolve_precision
from rxlt.train.augmentation import augment, piece_counter
from rxlt.train.objectives import make_objective
from rxlt.train.synonyms import PAPER_SYNONYMS_FILE, JsonSynonyms, synonym_source

VARIANTS = {  # label -> (objective, settings, target ratio); targets from the robust fine-tuning issue
    "erm": ("erm", {}, 1.0),
    "rs_rp": ("rs_rp", {"noise_sigma": 0.5}, 1.15),
    "rs_da": ("rs_da", {}, 1.05),  # WordNet
    "rs_da paper list": ("rs_da", {}, 1.05),  # the paper's counterfitted_neighbors.json
    "rs_da length-matched": ("rs_da", {}, 1.05),  # WordNet with rs_da_length_match (augment's `pieces`)
    "adversarial K=1": ("adversarial", {"adv_steps": 1}, 2.3),
    "adversarial K=2": ("adversarial", {"adv_steps": 2}, 3.3),
    "adversarial K=3": ("adversarial", {"adv_steps": 3}, 4.3),
    "adversarial K=2 relative": ("adversarial", {"adv_steps": 2, "adv_eps": 0.2, "adv_alpha": 0.125,
                                                 "adv_eps_scale": "relative"}, 3.3),
    "adversarial_free": ("adversarial_free", {"free_replays": 4}, 1.5),
    "adversarial_universal": ("adversarial_universal", {}, 1.5),
}
AUGMENTED = {"rs_da": "wordnet", "rs_da paper list": "paper", "rs_da length-matched": "wordnet+pieces"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    ap.add_argument("--pawsx-dir", default="", help="XTREME-layout data dir with pawsx/dev-en.tsv: sentence pairs")
    ap.add_argument("--max-length", type=int, default=0, help="tokens per input (default 32 CLDR, 128 PAWS-X)")
    ap.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                    help="autocast precision (auto: bf16 where the CPU has bf16 units, else fp32)")
    args = ap.parse_args()
    torch.manual_seed(0)
    encoder, tok, _ = load_encoder("e5-small", args.layers)
    freeze_word_embeddings(encoder)
    precision = resolve_precision(args.precision)
    if args.pawsx_dir:  # protocols.md §1.3: Robust-XLT trains PAWS-X at max_seq_length 128
        from rxlt.data.xtreme_loader import load

        df, task_labels, max_length = load("pawsx", "dev", ["en"], data_dir=args.pawsx_dir), ["different", "paraphrase"], 128
    else:
        df, task_labels, max_length = catalog.examples("cldr-territory", "train", ["en"]), catalog.labels("cldr-territory"), 32
    max_length = args.max_length or max_length
    model = EncoderClassifier(encoder, len(task_labels))
    labels = {l: i for i, l in enumerate(task_labels)}
    pairs = df.text_pair.tolist() if "text_pair" in df else None

    def encoded(rows):
        return encode(tok, rows.text.tolist(), [labels[l] for l in rows.label], max_length,
                      text_pairs=rows.text_pair.tolist() if pairs else None)

    plain = encoded(df)
    da_dfs = {"paper": augment(df, JsonSynonyms(PAPER_SYNONYMS_FILE), 3, seed=0)}
    try:
        source = synonym_source()
        da_dfs.update({"wordnet": augment(df, source, 3, seed=0),
                       "wordnet+pieces": augment(df, source, 3, seed=0, pieces=piece_counter(tok))})
    except FileNotFoundError:  # no WordNet here: same cost per step (rs_da changes data, not the step)
        da_dfs.update({"wordnet": df, "wordnet+pieces": df})
    augmented = {key: encoded(d) for key, d in da_dfs.items()}
    data = {name: (augmented[AUGMENTED[name]] if obj == "rs_da" else plain) for name, (obj, _, _) in VARIANTS.items()}
    rng = np.random.default_rng(0)
    # the same examples for every objective; rs_da sees their first augmented copy (rows 0..n-1)
    picks = [rng.choice(len(plain), args.batch_size, replace=False) for _ in range(args.steps)]
    batches = {name: [collate(data[name], idx) for idx in picks] for name in VARIANTS}
    # real tokens of all augmented rows over those of their originals (3 copies each)
    ratio = {name: float(data[name].lengths().sum() / (plain.lengths().sum() * len(data[name]) / len(plain)))
             for name in VARIANTS}
    extra = ratio["rs_da"]
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    times = {name: [] for name in VARIANTS}
    # padded tokens each variant pushes through the encoder per step: rs_da's batches are longer
    # because WordNet synonyms split into more sub-words, which is data, not objective overhead
    tokens = {name: float(np.mean([b["input_ids"].numel() for b in batches[name]])) for name in VARIANTS}
    for r in range(args.rounds + 1):  # round 0 warms up
        for name, (obj, settings, _) in VARIANTS.items():
            objective = make_objective(obj, **settings)
            replays = getattr(objective, "replays", 1)  # free AT: each batch m times, one step each (the loop's way)
            t0 = time.perf_counter()
            for batch in batches[name]:
                for _ in range(replays):
                    opt.zero_grad(set_to_none=True)
                    with autocast(precision):
                        loss = objective.loss(model, batch)
                    loss.backward()
                    opt.step()
            if r:
                times[name].append((time.perf_counter() - t0) / (args.steps * replays))
    base = float(np.median(times["erm"]))
    rows = []
    for name, (_, _, target) in VARIANTS.items():
        med = float(np.median(times[name]))
        rows.append({"objective": name, "median_s_per_step": round(med, 4),
                     "spread_s": round(float(np.max(times[name]) - np.min(times[name])), 4),
                     "ratio_to_erm": round(med / base, 3), "target_ratio": target, "meets_target": med / base <= target,
                     "padded_tokens_per_step": round(tokens[name], 1),
                     "tokens_vs_original": round(ratio[name], 3),
                     "ratio_per_token": round((med / tokens[name]) / (base / tokens["erm"]), 3)})
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"layers": args.layers, "batch_size": args.batch_size, "steps": args.steps, "rounds": args.rounds,
            "precision": precision, "threads": torch.get_num_threads(), "cpu": platform.processor() or platform.machine(),
            "rs_da_tokens_vs_original": round(extra, 3),
            "rs_da_length_matched_tokens_vs_original": round(ratio["rs_da length-matched"], 3),
            "rs_da_paper_list_tokens_vs_original": round(ratio["rs_da paper list"], 3),
            "rs_da_paper_list_texts_changed": round(float((da_dfs["paper"].text.to_numpy()
                                                           != np.tile(df.text.to_numpy(), 3)).mean()), 3),
            "data": "pawsx en dev" if args.pawsx_dir else "cldr-territory en train",
            "max_length": max_length}
    stem = "objectives_pawsx" if args.pawsx_dir else "objectives"
    (out / f"{stem}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    lines = ["| objective | s/step (median) | spread | × erm | target | ok | padded tokens/step | × erm per token "
             "| tokens vs original |", "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['objective']} | {r['median_s_per_step']} | {r['spread_s']} | {r['ratio_to_erm']} | ≤ {r['target_ratio']} | "
              f"{'yes' if r['meets_target'] else 'NO'} | {r['padded_tokens_per_step']:.0f} | {r['ratio_per_token']} | "
              f"{r['tokens_vs_original']} |" for r in rows]
    (out / f"{stem}.md").write_text(f"{meta}\n\n" + "\n".join(lines) + "\n")
    print(meta)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
