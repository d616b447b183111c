"""A frozen lower part of the encoder: its embeddings and first K transformer layers, fixed in every condition.

Freezing the lower layers is a known help for zero-shot transfer (Wu & Dredze 2019, "Beto, Bentz, Becas: The
Surprising Cross-Lingual Effectiveness of BERT", EMNLP, §5: freezing the bottom layers of mBERT during English
fine-tuning raises zero-shot accuracy), and it makes the lower layers' outputs a pure function of the input
tokens: computed once, they serve every run of a study (rxlt.features.prefix_cache). For that the frozen part
runs without dropout in training as in evaluation (`freeze_prefix` keeps it in eval mode), so the cached and the
recomputed states are the same function.

`prefix_states` computes the output of layer K (K = 0: the embedding output); `top_outputs` runs layers K+1..L
on such states and returns what the encoder itself would (last hidden state, BERT's pooler output where the
model has a pretrained pooler). Both follow transformers' BertModel/XLMRobertaModel forward (transformers 5:
`embeddings`, `create_bidirectional_mask`, `encoder.layer[i](hidden, mask)`), so a head reads the same
numbers either way (tests/test_prefix_cache.py).
"""
from __future__ import annotations

import types

import torch
from torch import nn

FROZEN_ATTR = "rxlt_frozen_layers"  # on the encoder: how many transformer layers are frozen (0 = none)
PREFIX_ATTR = "rxlt_prefix_layer"  # ... and whose output is cached: the frozen layers, or fewer (the linear probe)


def layer_count(encoder: nn.Module) -> int:
    return len(encoder.encoder.layer)


def frozen_layers(encoder: nn.Module) -> int:
    return int(getattr(encoder, FROZEN_ATTR, 0))


def prefix_layer(encoder: nn.Module) -> int:
    """The layer whose output the prefix cache holds (0 = none); the layers above it run on those states."""
    return int(getattr(encoder, PREFIX_ATTR, frozen_layers(encoder)))


def _stay_in_eval(module: nn.Module, mode: bool = True) -> nn.Module:
    """`train()` of a frozen module: it stays in eval mode (no dropout), whatever its parent asks."""
    return nn.Module.train(module, False)


def _freeze(module: nn.Module) -> None:
    for p in module.parameters():
        p.requires_grad_(False)
    module.eval()
    module.train = types.MethodType(_stay_in_eval, module)  # parent.train() recurses through child.train()


def freeze_prefix(encoder: nn.Module, layers: int, cached: int | None = None) -> None:
    """Freeze the embeddings and the first `layers` transformer layers (0: nothing); `layers` = all layers freezes
    the whole encoder (the linear probe). The frozen modules keep eval mode, so they compute without dropout.
    `cached` (≤ layers; default = layers): the layer whose output the prefix cache holds — a probe in a study whose
    other runs freeze fewer layers shares their cache and runs its remaining frozen layers itself."""
    total = layer_count(encoder)
    if not 0 <= layers <= total:
        raise ValueError(f"frozen_layers={layers}, but the encoder has {total} layers: use 0..{total}")
    cached = layers if cached is None else cached
    if not 0 <= cached <= layers:
        raise ValueError(f"the cached layer {cached} must be one of the frozen layers 0..{layers}")
    setattr(encoder, PREFIX_ATTR, cached)
    if layers == 0:
        return
    _freeze(encoder.embeddings)
    for layer in encoder.encoder.layer[:layers]:
        _freeze(layer)
    if layers == total and getattr(encoder, "pooler", None) is not None:
        _freeze(encoder.pooler)
    setattr(encoder, FROZEN_ATTR, layers)


def _mask(encoder: nn.Module, hidden: torch.Tensor, attention_mask: torch.Tensor):
    from transformers.masking_utils import create_bidirectional_mask

    return create_bidirectional_mask(config=encoder.config, inputs_embeds=hidden, attention_mask=attention_mask)


@torch.no_grad()
def prefix_states(encoder: nn.Module, layers: int, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                  token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
    """[B, T, H] output of transformer layer `layers` (0 = the embedding output), as the encoder computes it."""
    segments = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
    hidden = encoder.embeddings(input_ids=input_ids, **segments)
    mask = _mask(encoder, hidden, attention_mask)
    for layer in encoder.encoder.layer[:layers]:
        hidden = layer(hidden, mask)
    return hidden


def top_outputs(encoder: nn.Module, states: torch.Tensor, attention_mask: torch.Tensor):
    """The encoder's outputs computed from the cached states of layer K = prefix_layer: layers K+1..L, then the
    pooler."""
    from transformers.modeling_outputs import BaseModelOutputWithPooling

    hidden = states
    mask = _mask(encoder, hidden, attention_mask)
    for layer in encoder.encoder.layer[prefix_layer(encoder):]:
        hidden = layer(hidden, mask)
    pooler = getattr(encoder, "pooler", None)
    return BaseModelOutputWithPooling(last_hidden_state=hidden, pooler_output=None if pooler is None else pooler(hidden))
