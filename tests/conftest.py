import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# `make test` runs the suite on pytest-xdist workers (one per core). Each worker and every kernel or torchrun
# process it starts then computes on one thread, so the workers share the cores instead of oversubscribing them.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """One xdist group per test file, unless the file names its own: a module-scoped fixture (a study, the Slurm
    cluster) is then built once, on the worker that runs the whole file (`--dist loadgroup`)."""
    for item in items:
        if not any(True for _ in item.iter_markers("xdist_group")):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


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
