"""Loading encoders, and saving/restoring an encoder with a task head (any kind in rxlt.model.heads).

A fine-tuned model directory holds the encoder as a delta on its base (`encoder_delta.safetensors`,
`encoder.json`), the head's weights (`head.safetensors`) and `head.json`: the head's kind, its
labels (classification, tagging) and pooling (and the retrieval dual encoder's query/candidate lengths). Directories written before heads had kinds load as
classification.
"""
from __future__ import annotations

import json
from pathlib import Path

from torch import nn

from rxlt.model.aliases import MODELS
from rxlt.model.embedded import resolve_model
from rxlt.model.frozen_prefix import freeze_prefix
from rxlt.model.heads import SequenceClassifier, TaskHead, build_head

ENCODER_WEIGHTS = "encoder_delta.safetensors"
ENCODER_META = "encoder.json"
HEAD_WEIGHTS = "head.safetensors"
HEAD_META = "head.json"


# The classification head lives with the other heads (rxlt.model.heads); the old name stays importable.
EncoderClassifier = SequenceClassifier


def load_base_encoder(model: str, encoder_layers: int = 0, keep_ids=None) -> tuple[nn.Module, object]:
    """(encoder, tokenizer) for an alias, hub id or checkpoint dir; keep the first `encoder_layers` layers (0 = all).

    keep_ids: None, or tokenizer -> token ids the run uses: the word embeddings then hold only those rows
    (rxlt.model.vocabulary; outputs identical, ~384 MB less for the embedded encoder).
    """
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    from rxlt.model.aliases import is_alias, model_spec
    from rxlt.model.vocabulary import load_trimmed_embedded, trim_embeddings

    path = resolve_model(model)
    hf_logging.set_verbosity_error()  # "pooler newly initialised" is expected for e5: that pooler is dropped
    tokenizer = AutoTokenizer.from_pretrained(path)
    kept = None if keep_ids is None else keep_ids(tokenizer)
    if kept is not None and is_alias(model) and "embedded" in model_spec(model):
        encoder = load_trimmed_embedded(path, model, kept)  # only the kept rows are ever dequantised (no pooler)
    else:
        encoder = load_pretrained(path)
        if kept is not None:
            trim_embeddings(encoder, kept)
    if encoder_layers:
        layers = encoder.encoder.layer
        if encoder_layers > len(layers):
            raise ValueError(f"encoder_layers={encoder_layers} but {model} has only {len(layers)} layers")
        encoder.encoder.layer = layers[:encoder_layers]
        encoder.config.num_hidden_layers = encoder_layers
    # Names of parameters still equal to the base checkpoint's: save_encoder may skip them if frozen.
    encoder.rxlt_base_keys = {k for k, _ in encoder.named_parameters()}
    return encoder, tokenizer


def load_pretrained(path: str) -> nn.Module:
    """AutoModel of a checkpoint, keeping a BERT pooler only where the checkpoint has pretrained pooler weights.

    mBERT's checkpoint has them and upstream's classification, multiple-choice and retrieval heads read
    `pooler_output` (rxlt.model.heads), so they are loaded; the embedded e5 has none
    (shared/reference/embedded-encoder.md: "No pooler"), so its pooler would be random: dropped (`pooler = None`).
    Loading runs under a forked RNG, so initialising a pooler that is then dropped leaves the seeded state (and
    every head initialised after it) as it was."""
    import torch
    from transformers import AutoModel

    with torch.random.fork_rng(devices=[]):
        encoder, info = AutoModel.from_pretrained(path, output_loading_info=True)
    if getattr(encoder, "pooler", None) is not None and any(k.startswith("pooler.") for k in info["missing_keys"]):
        encoder.pooler = None
    return encoder


def default_pooling(model: str) -> str:
    """How classification, multiple-choice and dual-encoder heads pool for an alias (rxlt.model.aliases: mBERT's
    pretrained pooler, XLM-R's first token, e5's mean); 'cls' for other names."""
    return MODELS[model]["pooling"] if model in MODELS else "cls"


def freeze_word_embeddings(encoder: nn.Module) -> None:
    encoder.get_input_embeddings().weight.requires_grad_(False)


def save_encoder(encoder: nn.Module, out_dir: Path, base: dict) -> None:
    """Save the encoder as a delta on its base: only parameters that were trainable.

    `base` = {"model": ..., "encoder_layers": ...} (and the chain it came from); frozen tensors
    (the 250k-row word embeddings) are reloaded from the base model instead of copied per run.
    """
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    from rxlt.model.vocabulary import embedding_delta

    untouched = getattr(encoder, "rxlt_base_keys", set())
    delta = {k: p.detach().contiguous().cpu() for k, p in encoder.named_parameters()
             if p.requires_grad or k not in untouched}
    delta.update(embedding_delta(encoder))  # a trimmed, trained embedding: which ids its rows are
    save_file(delta, str(out_dir / ENCODER_WEIGHTS))
    (out_dir / ENCODER_META).write_text(json.dumps(base, indent=2))


def load_encoder(source: str, encoder_layers: int = 0, keep_ids=None) -> tuple[nn.Module, object, dict]:
    """Load an encoder from an alias/hub id/path, or from a directory written by `save_encoder`
    (keep_ids: vocabulary trimming, see load_base_encoder)."""
    from safetensors.torch import load_file

    from rxlt.model.vocabulary import apply_embedding_delta

    meta_file = Path(source) / ENCODER_META
    if not meta_file.is_file():
        encoder, tokenizer = load_base_encoder(source, encoder_layers, keep_ids)
        return encoder, tokenizer, {"model": source, "encoder_layers": encoder_layers}
    meta = json.loads(meta_file.read_text())
    if encoder_layers and encoder_layers != meta["encoder_layers"]:
        raise ValueError(f"{meta_file}: saved with encoder_layers={meta['encoder_layers']}, asked for {encoder_layers}")
    encoder, tokenizer = load_base_encoder(meta["model"], meta["encoder_layers"], keep_ids)
    delta = load_file(str(Path(source) / ENCODER_WEIGHTS))
    changed = set(delta)
    apply_embedding_delta(encoder, delta)  # full or trimmed rows into a full or trimmed matrix
    _, unexpected = encoder.load_state_dict(delta, strict=False)
    if unexpected:
        raise ValueError(f"{source}: checkpoint has parameters the base model lacks: {unexpected[:5]}")
    encoder.rxlt_base_keys -= changed
    return encoder, tokenizer, meta


def save_model(model: TaskHead, out_dir: Path, base: dict, labels: list[str] | None) -> None:
    """Encoder delta + head weights + head.json ({kind, labels, pooling, ...})."""
    from safetensors.torch import save_file

    save_encoder(model.encoder, out_dir, base)
    save_file({k: v.detach().contiguous().cpu() for k, v in model.head.state_dict().items()}, str(out_dir / HEAD_WEIGHTS))
    (out_dir / HEAD_META).write_text(json.dumps({**model.config(), "labels": labels}, indent=2))


def load_model(source: str | Path, keep_ids=None) -> tuple[TaskHead, object, list[str] | None]:
    """(model, tokenizer, labels) from a directory written by `save_model` (phase 2's `model/`);
    keep_ids: vocabulary trimming (load_base_encoder)."""
    from safetensors.torch import load_file

    source = Path(source)
    if not (source / HEAD_META).is_file():
        raise FileNotFoundError(f"{source}: no {HEAD_META}; expected a fine-tuned model directory (phase 2 output)")
    head_meta = json.loads((source / HEAD_META).read_text())
    encoder, tokenizer, meta = load_encoder(str(source), keep_ids=keep_ids)
    freeze_prefix(encoder, meta.get("frozen_layers", 0), meta.get("prefix_layer"))  # as trained; cacheable
    model = build_head(head_meta.get("kind", "classification"), encoder, head_meta.get("labels"),
                       head_meta.get("pooling", "mean"), tag_subword=head_meta.get("tag_subword", "first"),
                       lengths=(head_meta.get("query_length", 64), head_meta.get("candidate_length", 64)))
    model.head.load_state_dict(load_file(str(source / HEAD_WEIGHTS)))
    return model, tokenizer, head_meta.get("labels")


# Names of the classification-only version, kept for callers and notebooks that use them.
save_classifier = save_model
load_classifier = load_model
