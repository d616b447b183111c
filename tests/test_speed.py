"""Speed features keep results exact: length-grouped batches, the token cache, vocabulary trimming, precision
resolution. No timings here (benchmarks/speed.py measures them)."""
import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from rxlt.features import token_cache
from rxlt.features.batching import encode, length_grouped_batches, shuffled_batches
from rxlt.model.checkpoint import EncoderClassifier, load_base_encoder, load_encoder, save_encoder
from rxlt.model.precision import choose_precision, resolve_precision
from rxlt.model.vocabulary import TrimmedEmbedding, token_ids, trim_embeddings
from rxlt.train.loop import Stream, epoch_schedule, train_streams
from rxlt.train.objectives import ERM
from rxlt.model.heads import word_embeddings


@pytest.fixture()
def token_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(token_cache, "cache_dir", lambda: tmp_path / "tokens")
    monkeypatch.setenv("RXLT_TOKEN_CACHE", "1")
    return tmp_path / "tokens"


# --- length-grouped batches -------------------------------------------------------------------------------

def test_length_grouped_batches_are_a_seeded_permutation_with_less_padding():
    lengths = np.random.default_rng(7).integers(2, 60, size=203)
    batches = length_grouped_batches(lengths, 8, np.random.default_rng(1), group=4)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(203))  # every example exactly once per epoch
    assert len(batches) == -(-203 // 8) and all(len(b) == 8 for b in batches[:-1] if len(b) != 203 % 8)
    again = length_grouped_batches(lengths, 8, np.random.default_rng(1), group=4)
    assert all((a == b).all() for a, b in zip(batches, again))  # same seed, same batches
    other = length_grouped_batches(lengths, 8, np.random.default_rng(2), group=4)
    assert any(len(a) != len(b) or (a != b).any() for a, b in zip(batches, other))
    padded = lambda bs: sum(len(b) * lengths[b].max() for b in bs)  # noqa: E731  tokens after dynamic padding
    plain = shuffled_batches(203, 8, np.random.default_rng(1))
    assert padded(batches) < 0.8 * padded(plain)


def test_epoch_schedule_without_grouping_is_unchanged():
    lengths = [np.arange(30) % 7 + 1, np.arange(11) + 1]
    a = epoch_schedule([30, 11], 4, np.random.default_rng(3), 2.0)
    b = epoch_schedule([30, 11], 4, np.random.default_rng(3), 2.0, lengths, 0)
    assert [(t, i.tolist()) for t, i in a] == [(t, i.tolist()) for t, i in b]
    grouped = epoch_schedule([30, 11], 4, np.random.default_rng(3), 2.0, lengths, 3)
    assert len(grouped) == len(a)  # as many steps: the learning-rate schedule is unchanged
    single = epoch_schedule([30], 4, np.random.default_rng(3), 1.0, lengths[:1], 3)
    assert sorted(np.concatenate([i for _, i in single]).tolist()) == list(range(30))


# --- token cache ------------------------------------------------------------------------------------------

def test_token_cache_hits_and_invalidates(e5_tokenizer, token_dir, monkeypatch):
    texts = [f"sentence number {i} in the cache test" for i in range(20)]
    calls = []
    real = token_cache.cached_token_ids

    def counting(tokenizer, texts, pairs, max_length, tokenize):
        return real(tokenizer, texts, pairs, max_length, lambda: calls.append(1) or tokenize())

    monkeypatch.setattr(token_cache, "cached_token_ids", counting)
    first = encode(e5_tokenizer, texts, list(range(20)), max_length=8)
    hit = encode(e5_tokenizer, texts, list(range(20)), max_length=8)
    assert len(calls) == 1 and hit.input_ids == first.input_ids  # second call: read back, identical
    assert all(len(r) <= 8 for r in hit.input_ids)
    assert len(list(token_dir.rglob("*.npz"))) == 1 and not list(token_dir.rglob(".tmp-*"))
    longer = encode(e5_tokenizer, texts, None, max_length=12)  # max_length is part of the key
    assert len(calls) == 2 and longer.input_ids != first.input_ids
    encode(e5_tokenizer, texts[:-1] + ["a changed last sentence"], None, max_length=8)  # data too
    assert len(calls) == 3
    encode(e5_tokenizer, texts, None, max_length=8, text_pairs=texts)  # pairs too
    assert len(calls) == 4
    changed = copy.deepcopy(e5_tokenizer)
    changed.add_tokens(["cachetestword"])  # a different tokenizer definition
    new = encode(changed, texts, None, max_length=8)
    assert len(calls) == 5 and new.input_ids == first.input_ids  # recomputed (same ids: the word is unused)
    monkeypatch.setenv("RXLT_TOKEN_CACHE", "0")
    assert encode(e5_tokenizer, texts, None, max_length=8).input_ids == first.input_ids and len(calls) == 6


def test_token_cache_on_or_off_gives_identical_training(tiny_encoder, e5_tokenizer, token_dir, monkeypatch):
    texts = [" ".join(["x"] * (1 + i % 4)) for i in range(24)]
    labels = [int(len(t.split()) > 2) for t in texts]
    cfg = SimpleNamespace(epochs=2, batch_size=8, lr=1e-3, head_lr=1e-2, weight_decay=0.0, warmup_ratio=0.0,
                          max_grad_norm=1.0, precision="fp32")
    state = copy.deepcopy(tiny_encoder.state_dict())

    def run(flag):
        monkeypatch.setenv("RXLT_TOKEN_CACHE", flag)
        tiny_encoder.load_state_dict(state)
        torch.manual_seed(0)
        model = EncoderClassifier(tiny_encoder, 2, "mean", dropout=0.0)
        data = encode(e5_tokenizer, texts, labels, max_length=16)
        return train_streams([Stream("toy", model, data, data)], ERM(), cfg, 0)

    assert run("0") == run("1") == run("1")  # off, cache miss, cache hit


# --- vocabulary trimming ----------------------------------------------------------------------------------

TEXTS = ["Hello world", "Guten Tag, wie geht's?", "東京は日本の首都です", "Habari ya asubuhi"]


@pytest.fixture(scope="module")
def full_and_trimmed(e5_dir):
    full, tok = load_base_encoder("e5-small", 1)
    keep = lambda t: token_ids(encode(t, TEXTS), tokenizer=t)  # noqa: E731
    trimmed, _ = load_base_encoder("e5-small", 1, keep_ids=keep)
    return full, trimmed, tok


def test_trimmed_encoder_gives_identical_outputs(full_and_trimmed):
    full, trimmed, tok = full_and_trimmed
    emb = trimmed.get_input_embeddings()
    assert isinstance(emb, TrimmedEmbedding) and len(emb.kept_ids) < 100 and emb.num_embeddings == 250037
    assert emb.padding_idx == int(emb.lookup[tok.pad_token_id])
    data = encode(tok, TEXTS)
    batch = data.collate(range(len(TEXTS)))
    with torch.no_grad():
        a, b = full(**batch).last_hidden_state, trimmed(**batch).last_hidden_state
        assert torch.equal(a, b)  # dequantised rows alone == rows of the full matrix
        ids = batch["input_ids"]
        # the objectives' path (perturbing inputs_embeds) sees the same embeddings
        assert torch.equal(full.get_input_embeddings()(ids), trimmed.get_input_embeddings()(ids))
    model = SimpleNamespace(encoder=trimmed)
    assert torch.equal(word_embeddings(model, ids), full.get_input_embeddings()(ids))
    with pytest.raises(ValueError, match="not in the trimmed vocabulary"):
        trimmed.get_input_embeddings()(torch.tensor([[0, 123456, 2]]))


def test_trimmed_trained_embeddings_round_trip(tmp_path, full_and_trimmed):
    full, _, tok = full_and_trimmed
    keep = lambda t: token_ids(encode(t, TEXTS[:2]), tokenizer=t)  # noqa: E731
    enc, _ = load_base_encoder("e5-small", 1, keep_ids=keep)
    emb = enc.get_input_embeddings()
    with torch.no_grad():
        emb.weight += 1.0  # "trained" rows
    save_encoder(enc, tmp_path / "enc", {"model": "e5-small", "encoder_layers": 1})
    # loaded untrimmed: trained rows where they were kept, base rows elsewhere
    back, _, _ = load_encoder(str(tmp_path / "enc"))
    w, base = back.get_input_embeddings().weight, full.get_input_embeddings().weight
    kept = emb.kept_ids
    assert torch.equal(w[kept], base[kept] + 1.0)
    other = torch.tensor([5, 100, 200000])
    assert torch.equal(w[other], base[other])
    assert "embeddings.word_embeddings.weight" not in back.rxlt_base_keys  # a later save keeps the trained rows
    # loaded trimmed to a larger set: the same, row by row
    wider = lambda t: token_ids(encode(t, TEXTS), tokenizer=t)  # noqa: E731
    again, _, _ = load_encoder(str(tmp_path / "enc"), keep_ids=wider)
    e2 = again.get_input_embeddings()
    ids = torch.as_tensor(np.asarray(e2.kept_ids))
    assert torch.equal(e2(ids), w[ids])


def test_trim_embeddings_of_a_loaded_model(tiny_encoder):
    tiny_encoder.eval()  # no dropout
    ids = torch.tensor([[0, 5, 9, 2, 1, 1]])
    before = tiny_encoder(input_ids=ids, attention_mask=(ids != 1).long()).last_hidden_state
    trim_embeddings(tiny_encoder, [0, 1, 2, 5, 9])
    after = tiny_encoder(input_ids=ids, attention_mask=(ids != 1).long()).last_hidden_state
    assert torch.equal(before, after)


def _phases(tmp_path, tag, trim):
    from rxlt.params.phases import EvaluateParams, FinetuneParams
    from rxlt.params.strict import build
    from rxlt.phases.evaluate import run_evaluation
    from rxlt.phases.finetune import run_finetune
    from rxlt.results import read_results, start_run

    ft = build(FinetuneParams, {"model": "e5-small", "encoder_layers": 1, "epochs": 1, "batch_size": 16,
                                "precision": "fp32", "task": "cldr-territory", "trim_vocabulary": trim,
                                "run_dir": str(tmp_path / f"ft-{tag}")})
    run_finetune(start_run("02_finetune", ft))
    ev = build(EvaluateParams, {"finetune_run": ft.run_dir, "languages": ["en", "de", "sw"], "max_test_items": 10,
                                "bootstrap_samples": 100, "precision": "fp32", "trim_vocabulary": trim,
                                "run_dir": str(tmp_path / f"ev-{tag}")})
    run_evaluation(start_run("03_evaluate", ev))
    return read_results(ft.run_dir), read_results(ev.run_dir)


def test_phase_2_and_3_metrics_identical_with_and_without_trimming(tmp_path, e5_dir):
    ft_full, ev_full = _phases(tmp_path, "full", False)
    ft_trim, ev_trim = _phases(tmp_path, "trim", True)
    assert ft_full["metrics"] == ft_trim["metrics"]
    assert ft_full["training"][0]["history"] == ft_trim["training"][0]["history"]
    assert ev_full["metrics"]["per_language"] == ev_trim["metrics"]["per_language"]


# --- precision --------------------------------------------------------------------------------------------

def test_precision_auto_follows_the_hardware():
    assert choose_precision(cuda=True, cuda_bf16=True, cpu_bf16=False) == "bf16"
    assert choose_precision(cuda=True, cuda_bf16=False, cpu_bf16=False) == "fp16"  # pre-Ampere GPUs: fp16 + scaler
    assert choose_precision(cuda=False, cuda_bf16=False, cpu_bf16=True) == "bf16"  # AVX512-BF16 / AMX
    assert choose_precision(cuda=False, cuda_bf16=False, cpu_bf16=False) == "fp32"  # emulated bf16 is slower
    assert resolve_precision("fp32") == "fp32" and resolve_precision("bf16") == "bf16"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            resolve_precision("fp16")


def test_precision_keys_are_validated():
    from rxlt.params.phases import FinetuneParams
    from rxlt.params.strict import ParamsError, build

    with pytest.raises(ParamsError, match="precision"):
        build(FinetuneParams, {"precision": "fp8"})
    with pytest.raises(ParamsError, match="length_grouping"):
        build(FinetuneParams, {"length_grouping": -1})
    assert build(FinetuneParams, {"precision": "fp16"}).precision == "fp16"
