import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture()
def offline(monkeypatch):
    """No data directory from the environment, no hub, and an empty record of the data sources read."""
    from rxlt.data import provenance

    monkeypatch.delenv("RXLT_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    provenance.reset()


@pytest.fixture(scope="session")
def e5_dir():
    """The converted embedded encoder (converted once per machine into the user cache)."""
    from rxlt.model.embedded import ensure_embedded

    return ensure_embedded("e5-small")


@pytest.fixture(scope="session")
def e5_tokenizer(e5_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(e5_dir)


@pytest.fixture()
def tiny_encoder(e5_tokenizer):
    """A 2-layer, 32-wide random BERT with the e5 vocabulary: fast enough to train in tests."""
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(e5_tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64, pad_token_id=1)
    model = BertModel(cfg, add_pooling_layer=False)
    model.rxlt_base_keys = {k for k, _ in model.named_parameters()}
    return model
