"""How many rows per batch the frozen-prefix computation should take (rxlt.features.prefix_cache.PREFIX_BATCH_ROWS).

A study computes its frozen lower layers once per language (one cache entry each). A language's test items in one
inference batch are all padded to the longest; length-sorted batches of fewer rows pad less but run smaller matrix
products. This measures both on the default study's data (SIB-200 test, the first `--items` items per language,
e5-small with `--frozen` of 12 layers frozen): padded ÷ real tokens for each batch size over all 205 languages, and
the wall time of the prefix for the first `--languages` languages at each batch size and precision (interleaved
rounds, median), the cache switched off.

    .venv/bin/python benchmarks/prefix_batching.py [--languages 20] [--rounds 2] [--rows 128 32 16 8]

Writes benchmarks/results/prefix_batching.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

os.environ["RXLT_PREFIX_CACHE"] = "0"  # time the computation, not the cache

from rxlt.data import catalog  # noqa: E402
from rxlt.features import prefix_cache  # noqa: E402
from rxlt.features.batching import Encoded, encode_frame, length_sorted_batches  # noqa: E402
from rxlt.model.checkpoint import load_encoder  # noqa: E402
from rxlt.model.frozen_prefix import freeze_prefix  # noqa: E402
from rxlt.model.precision import resolve_precision  # noqa: E402
from rxlt.phases.english_training import load_tokenizer  # noqa: E402
from rxlt.phases.evaluate import cap  # noqa: E402
from rxlt.run.study import model_path  # noqa: E402

OUT = Path(__file__).parent / "results"


def padding_ratio(data: Encoded, languages: np.ndarray, rows: int) -> float:
    """Padded ÷ real tokens when each language's rows go in length-sorted batches of `rows`."""
    lengths = data.lengths()
    padded = 0
    for language in dict.fromkeys(languages.tolist()):
        mine = np.flatnonzero(languages == language)
        sub = Encoded([data.input_ids[i] for i in mine], None, data.pad_id, None)
        padded += sum(int(lengths[mine][b].max()) * len(b) for b in length_sorted_batches(sub, rows))
    return padded / int(lengths.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=102, help="test items per language (the default study's)")
    ap.add_argument("--frozen", type=int, default=11)
    ap.add_argument("--languages", type=int, default=20, help="languages timed (all 205 are counted for padding)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rows", type=int, nargs="+", default=[128, 32, 16, 8])
    args = ap.parse_args()

    tokenizer = load_tokenizer("e5-small")
    used = cap(catalog.examples("sib200", "test"), args.items).reset_index(drop=True)
    index = {label: i for i, label in enumerate(catalog.labels("sib200"))}
    data = encode_frame(tokenizer, used, index, 128)
    languages = used.language.to_numpy()
    encoder = load_encoder(model_path("e5-small"))[0]
    freeze_prefix(encoder, args.frozen)
    encoder.eval()
    timed = list(dict.fromkeys(languages.tolist()))[: args.languages]
    precisions = list(dict.fromkeys([resolve_precision("auto"), "fp32"]))
    chosen = prefix_cache.PREFIX_BATCH_ROWS
    seconds: dict[tuple, list[float]] = {}
    with torch.no_grad():
        for _ in range(args.rounds):
            for precision in precisions:
                for rows in args.rows:
                    start = time.perf_counter()
                    for language in timed:
                        prefix_cache._compute(encoder, data, np.flatnonzero(languages == language), rows, precision)
                    seconds.setdefault((precision, rows), []).append(time.perf_counter() - start)
    table = [{"precision": p, "rows": r, "padding_ratio": round(padding_ratio(data, languages, r), 3),
              "seconds_median": round(float(np.median(s)), 2), "seconds": [round(x, 2) for x in s]}
             for (p, r), s in seconds.items()]
    for row in table:
        base = next(t for t in table if t["precision"] == row["precision"] and t["rows"] == max(args.rows))
        row["speedup_vs_%d" % max(args.rows)] = round(base["seconds_median"] / row["seconds_median"], 2)
    meta = {"items_per_language": args.items, "frozen_layers": args.frozen, "languages_timed": len(timed),
            "rows_in_all": len(used), "real_tokens_in_all": int(data.lengths().sum()), "rounds": args.rounds,
            "threads": torch.get_num_threads(), "cpu": platform.processor() or platform.machine(),
            "date": time.strftime("%Y-%m-%d"), "PREFIX_BATCH_ROWS": chosen}
    OUT.mkdir(exist_ok=True)
    (OUT / "prefix_batching.json").write_text(json.dumps({"meta": meta, "table": table}, indent=1))
    key = "speedup_vs_%d" % max(args.rows)
    lines = [f"# Frozen-prefix batch size on SIB-200 ({meta['date']})", "",
             f"e5-small, first {args.frozen} of 12 layers; {len(used)} rows ({args.items} per language × 205), "
             f"{meta['real_tokens_in_all']} real tokens; time: the first {len(timed)} languages, median of "
             f"{args.rounds} interleaved rounds, {meta['threads']} threads, cache off, {meta['cpu']}. "
             f"rxlt uses PREFIX_BATCH_ROWS = {chosen}.", "",
             f"| precision | rows per batch | padded ÷ real tokens (205 languages) | seconds | × {max(args.rows)} rows |",
             "|---|---|---|---|---|"]
    lines += [f"| {t['precision']} | {t['rows']} | {t['padding_ratio']} | {t['seconds_median']} | {t[key]} |"
              for t in table]
    (OUT / "prefix_batching.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
