"""Useful FLOPs of a finished classification study: the encoder layers and heads its design requires, counted once.

"Useful" = what the design needs, not what a run happened to compute: the frozen layers' output over every distinct
text once (the test sets, English train/dev, intermediate and augmented rows — rxlt.features.prefix_cache), then per
run only the layers above them: forward for evaluation and English-dev selection, forward + backward (×3) for
training, and for objectives that perturb the input embeddings (rs_rp; PGD and free AT: forward + backward per
step) the frozen layers again on every training batch. Per token and layer a BERT layer costs
2·(4H² + 2HF) + 4·T·H multiply-adds ×2 (H hidden, F feed-forward, T the row's length); the head and embedding lookups
are left out (under 1 %). Token counts come from the study's own data through rxlt's tokenizer (token cache).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rxlt.data import catalog
from rxlt.features.batching import encode_frame
from rxlt.results import is_complete, read_results


def layer_flops(lengths: np.ndarray, hidden: int, ffn: int) -> float:
    """Forward FLOPs of one transformer layer over rows of these lengths (dense products + attention scores)."""
    lengths = np.asarray(lengths, dtype=np.float64)
    return float((2 * (4 * hidden * hidden + 2 * hidden * ffn) * lengths + 4 * lengths * lengths * hidden).sum())


def _lengths(tokenizer, frame, max_length: int) -> np.ndarray:
    labels = {label: i for i, label in enumerate(sorted(set(frame.label)))}
    return encode_frame(tokenizer, frame, labels, max_length).lengths()


def study_flops(study_dir: Path) -> dict:
    """{part: FLOPs} and the total for the finished runs of a study directory."""
    from rxlt.phases.english_training import load_tokenizer
    from rxlt.phases.evaluate import cap

    runs = {p: [read_results(d) for d in sorted((study_dir / p).iterdir()) if is_complete(d)]
            for p in ("01_intermediate", "02_finetune", "03_evaluate") if (study_dir / p).is_dir()}
    some = (runs.get("02_finetune") or [None])[0]
    if some is None:
        raise ValueError(f"{study_dir}: no finished fine-tuning run")
    config = some["config"]
    tokenizer = load_tokenizer(config["model"])
    from transformers import AutoConfig

    from rxlt.model.embedded import resolve_model

    model = AutoConfig.from_pretrained(resolve_model(config["model"]))
    layers = config.get("encoder_layers") or model.num_hidden_layers
    hidden, ffn, length = model.hidden_size, model.intermediate_size, config["max_length"]
    per_layer = lambda lengths: layer_flops(lengths, hidden, ffn)  # noqa: E731
    parts = {"prefix (once)": 0.0, "evaluation": 0.0, "training": 0.0, "selection (English dev)": 0.0}
    prefix_rows: dict[str, np.ndarray] = {}  # distinct row sets whose frozen-layer output is computed once

    def english(task, split):
        return catalog.examples(task, split, [catalog.SOURCE_LANGUAGE])

    for res in runs.get("03_evaluate", []):
        ft = read_results(res["finetune_run"])["config"]
        task = read_results(res["finetune_run"])["trained_task"]
        test = cap(catalog.examples(task, "test", list(res["samples"]["test"])), res["config"]["max_test_items"])
        lens = _lengths(tokenizer, test, ft["max_length"])
        k = ft.get("frozen_layers", 0) if not ft.get("linear_probe") else config.get("frozen_layers", 0)
        prefix_rows[f"test:{task}:{len(test)}"] = (lens, k)
        parts["evaluation"] += per_layer(lens) * (layers - k)
    for phase in ("01_intermediate", "02_finetune"):
        for res in runs.get(phase, []):
            c = res["config"]
            k_frozen = layers if c.get("linear_probe") else c.get("frozen_layers", 0)
            k = c.get("frozen_layers", 0)
            trained = layers - k_frozen
            for s in res["training"]:
                task = s["task"]
                used = s["samples"]["train"]["used"]
                train = _lengths(tokenizer, english(task, "train"), length)
                train = np.resize(train, used)  # augmented or capped rows: the same length distribution
                dev = _lengths(tokenizer, english(task, "dev"), length)
                epochs = len(s["history"])
                augmented = used != s["samples"]["train"]["original"]  # rs_da's copies differ by seed
                prefix_rows[f"train:{task}:{used}:{c['seed'] if augmented else ''}"] = (train, k)
                prefix_rows[f"dev:{task}"] = (dev, k)
                parts["selection (English dev)"] += per_layer(dev) * (layers - k) * epochs
                perturbs = c.get("objective", "erm") in ("rs_rp", "adversarial", "adversarial_free", "adversarial_universal")
                steps = c.get("adv_steps", 1) + 1 if c.get("objective") == "adversarial" else 1
                # the trained layers forward + backward; frozen layers above the cache run forward (probe)
                parts["training"] += per_layer(train) * epochs * (3 * trained + (k_frozen - k)) * steps
                if perturbs:  # the frozen layers on every perturbed batch (forward; + backward for PGD / free AT)
                    parts["training"] += per_layer(train) * epochs * k * (1 if c["objective"] == "rs_rp" else 3 * steps)
    for lens, k in prefix_rows.values():
        parts["prefix (once)"] += per_layer(lens) * k
    return {**parts, "total": float(sum(parts.values())), "layers": layers, "hidden": hidden, "ffn": ffn}
