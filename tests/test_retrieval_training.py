"""The retrieval dual encoder (rxlt.model.heads.DualEncoder): its in-batch softmax loss against a numpy computation,
training on tiny pairs with every embedding-space objective, Mewsli-X and LAReQA phase 2 -> phase 3 through the
real entry points on tiny files in the upstream formats, and LAReQA candidates encoded as upstream's one string
(google-research/xtreme@66367fa third_party/evaluate_retrieval.py)."""
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from rxlt.model.heads import DualEncoder, build_head, in_batch_softmax_loss
from rxlt.params.phases import EvaluateParams, FinetuneParams
from rxlt.params.strict import build
from rxlt.phases.evaluate import run_evaluation
from rxlt.phases.finetune import run_finetune
from rxlt.results import read_results, start_run

FIX = Path(__file__).parent / "fixtures" / "xtreme" / "download"
FAST = {"model": "e5-small", "encoder_layers": 2, "epochs": 2, "batch_size": 4, "lr": 1e-4, "head_lr": 1e-3,
        "precision": "fp32"}


def _numpy_loss(q, c, scale):
    """Hand computation: cosine matrix × scale, softmax per query row, -log p(own candidate), mean."""
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    c = c / np.linalg.norm(c, axis=1, keepdims=True)
    logits = scale * q @ c.T
    logits = logits - logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(-np.mean(np.diag(logp)))


def test_in_batch_softmax_loss_golden():
    q = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    c = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    # by hand for scale 1: cosines row 0 = [1, .7071, 0], row 1 = [0, .7071, 1], row 2 = [.7071, 1, .7071];
    # loss = mean(-log softmax(row)[i]): row 0 log(e + e^.7071 + 1) - 1 = 1.74859 - 1 = .74859; row 1 1.74859 - .70711
    # = 1.04148; row 2 log(2e^.7071 + e) - .70711 = 1.91317 - .70711 = 1.20606; mean .99870
    cos = np.array([[1, 2 ** -0.5, 0], [0, 2 ** -0.5, 1], [2 ** -0.5, 1, 2 ** -0.5]])
    by_hand = np.mean([np.log(np.exp(cos[i]).sum()) - cos[i, i] for i in range(3)])
    assert by_hand == pytest.approx(0.99870, abs=1e-5)
    got = in_batch_softmax_loss(torch.tensor(q), torch.tensor(c), torch.tensor([1.0]))
    assert float(got) == pytest.approx(by_hand, abs=1e-6)
    for scale in (1.0, 20.0, 100.0):  # 100 = upstream's initial logit_scale (bert.py@4fd68dc)
        got = in_batch_softmax_loss(torch.tensor(q), torch.tensor(c), torch.tensor([scale]))
        assert float(got) == pytest.approx(_numpy_loss(q, c, scale), rel=1e-5)


def _pairs(tok, n=8):
    from rxlt.features.pairs import encode_pairs

    # queries and their candidates share no word: the encoder must learn which goes with which
    words = ["apple", "river", "mountain", "violin", "engine", "garden", "planet", "castle"][:n]
    others = ["copper", "window", "silence", "thunder", "pencil", "harbour", "lemon", "tunnel"][:n]
    rows = pd.DataFrame({"query": words, "candidate": others, "target": others})
    return encode_pairs(tok, rows, 16, 16)


def test_dual_encoder_batches_and_loss_match_the_pure_function(tiny_encoder, e5_tokenizer):
    data = _pairs(e5_tokenizer, 4)
    batch = data.collate([0, 1, 2])
    assert batch["input_ids"].shape[0] == 6 and int(batch["num_queries"]) == 3
    assert batch["input_ids"][0, : len(data.input_ids[0][0])].tolist() == data.input_ids[0][0]  # queries first
    assert batch["input_ids"][3, : len(data.input_ids[0][1])].tolist() == data.input_ids[0][1]  # then candidates
    model = build_head("retrieval", tiny_encoder, pooling="mean", lengths=(16, 32)).eval()
    assert isinstance(model, DualEncoder) and model.head.logit_scale.item() == 100.0
    assert model.config() == {"kind": "retrieval", "pooling": "mean", "query_length": 16, "candidate_length": 32}
    with torch.no_grad():
        emb = model.embed(batch["input_ids"], batch["attention_mask"])
        expected = in_batch_softmax_loss(emb[:3], emb[3:], model.head.logit_scale)
        assert float(model.task_loss(batch)) == pytest.approx(float(expected), rel=1e-5)
        # one pass over 2B padded rows = the towers run separately (padding is masked)
        alone = model.embed(**{k: v[:3, : max(len(data.input_ids[i][0]) for i in range(3))]
                               for k, v in batch.items() if k != "num_queries"})
    assert torch.allclose(alone, emb[:3], atol=1e-5)


@pytest.mark.parametrize("objective", ["erm", "adversarial", "adversarial_free", "rs_rp"])
def test_dual_encoder_loss_decreases_with_each_embedding_space_objective(objective, tiny_encoder, e5_tokenizer):
    from rxlt.train.loop import seed_everything
    from rxlt.train.objectives import make_objective

    seed_everything(0)
    data = _pairs(e5_tokenizer, 8)
    model = build_head("retrieval", tiny_encoder, pooling="mean", lengths=(16, 16))
    obj = make_objective(objective, adv_eps=0.1, adv_alpha=0.05, noise_sigma=0.1)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    batch = data.collate(range(8))

    def clean_loss():
        model.eval()
        with torch.no_grad():
            return float(model.task_loss(batch))

    before = clean_loss()
    for _ in range(15):
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = obj.loss(model, batch)
        loss.backward()
        opt.step()
    after = clean_loss()
    assert np.isfinite(after) and after < 0.5 * before, (before, after)


def test_lareqa_candidate_is_one_string_sentence_plus_context(tiny_encoder, e5_tokenizer):
    from rxlt.data.retrieval_pairs import candidate_strings
    from rxlt.phases.evaluate import _embed
    from rxlt.scoring.retrieval import embed

    rows = pd.DataFrame({"role": ["candidate", "candidate"], "key": ["en_1_0", "en_1_1"],
                         "text": ["Paris is big.", "It has\nparks."],
                         "context": ["Paris is big. It has\nparks.", "Paris is big. It has\nparks."]})
    # xtreme@66367fa evaluate_retrieval.py: (candidate.sentence + candidate.context).replace("\n", ""), no separator
    assert candidate_strings(rows) == ["Paris is big.Paris is big. It hasparks.", "It hasparks.Paris is big. It hasparks."]
    assert candidate_strings(rows.drop(columns="context")) == ["Paris is big.", "It has\nparks."]
    how = SimpleNamespace(layer=0, pooling="mean", query_length=8, candidate_length=32)
    cfg = SimpleNamespace(batch_size=4, precision="fp32")
    got = _embed(tiny_encoder, e5_tokenizer, rows, cfg, how)
    single = embed(tiny_encoder, e5_tokenizer, candidate_strings(rows), 0, "mean", 32, 4, "fp32")
    pair = embed(tiny_encoder, e5_tokenizer, rows.text.tolist(), 0, "mean", 32, 4, "fp32", text_pairs=rows.context.tolist())
    assert np.allclose(got, single) and not np.allclose(got, pair)


def test_squad_retrieval_pairs_follow_the_lareqa_processor():
    from rxlt.data.retrieval_pairs import sentence_spans, squad_pairs

    ctx = "The Louvre opened in 1793. It is in Paris! \"Many\" visit it each year.  Its director is Dr. Smith."
    spans = sentence_spans(ctx)
    assert [ctx[s:e] for s, e in spans] == ["The Louvre opened in 1793.", "It is in Paris!", "\"Many\" visit it each year.",
                                            "Its director is Dr.", "Smith."]  # sb_sed's "Dr." re-join is not reproduced
    df = pd.DataFrame({"key": ["a", "b", "c"], "question": ["When?", "Where?", "Who?"], "context": [ctx, ctx, "No."],
                       "answers": [["1793", "in 1793"], ["Paris"], ["x"]],
                       "answer_starts": [[ctx.index("1793"), 0], [ctx.index("Paris")], [1]], "language": "en"})
    pairs = squad_pairs(df)
    assert pairs.key.tolist() == ["a", "b", "c"]
    assert pairs.candidate.tolist() == ["The Louvre opened in 1793.", "It is in Paris!", "No."]  # first answer only
    assert pairs.target.tolist() == ["1_0", "1_1", "2_0"] and pairs.candidate_context.tolist()[:2] == [ctx, ctx]
    gap = pd.DataFrame({"key": ["d"], "question": ["?"], "context": [ctx], "answers": [["x"]],
                        "answer_starts": [[ctx.index("  Its") + 1]], "language": "en"})
    assert squad_pairs(gap).empty  # the answer starts between sentences: skipped, as upstream


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    root = tmp_path / "data"
    shutil.copytree(FIX / "mewslix", root / "mewslix")
    shutil.copytree(FIX / "lareqa", root / "lareqa")
    shutil.copytree(FIX / "squad", root / "squad")
    monkeypatch.setenv("RXLT_DATA_DIR", str(root))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    return root


def _phases(tmp_path, task, **extra):
    ft = tmp_path / f"ft-{task}"
    run_finetune(start_run("02_finetune", build(FinetuneParams, {**FAST, "task": task, "run_dir": str(ft), **extra})))
    ev = tmp_path / f"ev-{task}"
    cfg = build(EvaluateParams, {"finetune_run": str(ft), "bootstrap_samples": 100, "precision": "fp32", "run_dir": str(ev)})
    table = run_evaluation(start_run("03_evaluate", cfg))
    return read_results(ft), read_results(ev), table, ev


def test_mewslix_phase_2_to_3_trains_the_dual_encoder_and_scores_mrr_at_20(data_dir, tmp_path):
    from rxlt.scoring.metrics import mrr_at_k

    res2, res3, table, ev = _phases(tmp_path, "mewslix")
    assert res2["kind"] == "retrieval" and res2["trained_task"] == "wikipedia-pairs"
    assert res2["metrics"]["dev_metric"] == "mrr_at_20" and 0 < res2["metrics"]["english_dev_score"] <= 1
    assert res2["samples"]["train"]["used"] == 3 and res2["samples"]["dev"]["used"] == 1
    assert len(res2["training"][0]["history"]) == 2 and res2["metrics"]["english_test_score"] is None
    head = json.loads((tmp_path / "ft-mewslix" / "model" / "head.json").read_text())
    assert head == {"kind": "retrieval", "pooling": "mean", "query_length": 64, "candidate_length": 64, "labels": None}
    per = res3["metrics"]["per_language"]
    assert res3["metrics"]["metric"] == "mrr_at_20" and set(per) == {"de", "en"}
    assert res3["samples"]["test"]["de"] == {"original": 2, "used": 2}
    assert res3["retrieval_embedding"] == {"layer": 0, "pooling": "mean", "query_length": 64, "candidate_length": 64,
                                           "trained": True}
    preds = pd.read_csv(ev / "predictions.csv.gz", dtype={"key": str, "target": str, "top1": str})
    for lang, g in preds.groupby("language"):
        assert per[lang]["score"] == pytest.approx(g.rr_at_20.mean()) == per[lang]["mrr_at_20"]
        assert 1 / 4 <= per[lang]["score"] <= 1  # 4 candidate entities: the gold one is at worst fourth
    # the trained tower embeds at phase 3 (last layer, its pooling and lengths), not the zero-shot middle layer
    from rxlt.data.xtreme_loader import load
    from rxlt.model.checkpoint import load_model
    from rxlt.phases.evaluate import embedding_settings
    from rxlt.scoring.retrieval import embed, ranked_keys

    model, tok, _ = load_model(tmp_path / "ft-mewslix" / "model")
    assert 0 < abs(model.head.logit_scale.item() - 100.0) < 0.1  # the trained softmax scale is saved and restored
    how = embedding_settings(model, SimpleNamespace(retrieval_layer=-1, retrieval_pooling="cls", retrieval_max_length=9))
    assert (how.layer, how.pooling, how.query_length, how.candidate_length) == (0, "mean", 64, 64)
    test = load("mewslix", "test", ["de"])
    q, c = test[test.role == "query"], test[test.role == "candidate"]
    ranked = ranked_keys(embed(model.encoder, tok, q.text.tolist(), 0, "mean", 64, 8, "fp32"),
                         embed(model.encoder, tok, c.text.tolist(), 0, "mean", 64, 8, "fp32"), c.key.tolist(), 20)
    assert per["de"]["mrr_at_20"] == pytest.approx(mrr_at_k(ranked, q.target.tolist()))


def test_lareqa_phase_2_trains_on_squad_retrieval_pairs_and_phase_3_scores_map_at_20(data_dir, tmp_path):
    res2, res3, table, ev = _phases(tmp_path, "lareqa", epochs=1, retrieval_candidate_length=48)
    assert res2["kind"] == "retrieval" and res2["trained_task"] == "squad-retrieval"
    # the fixture's SQuAD train has 2 questions, dev 1; each first answer lies in a sentence, so none is skipped
    assert res2["samples"]["train"]["used"] == 2 and res2["samples"]["dev"]["used"] == 1
    assert res2["metrics"]["dev_metric"] == "mrr_at_20" and res2["metrics"]["english_dev_score"] == 1.0  # 1 candidate
    head = json.loads((tmp_path / "ft-lareqa" / "model" / "head.json").read_text())
    assert (head["query_length"], head["candidate_length"]) == (96, 48)  # train_lareqa.sh@4fd68dc's 96; 48 as set
    from rxlt.model.checkpoint import load_model
    from rxlt.phases.evaluate import embedding_settings

    how = embedding_settings(load_model(tmp_path / "ft-lareqa" / "model")[0], None)
    assert (how.query_length, how.candidate_length) == (96, 48)  # phase 3 embeds with the trained lengths
    per = res3["metrics"]["per_language"]
    assert res3["metrics"]["metric"] == "map_at_20" and set(per) == {"de", "en"}
    preds = pd.read_csv(ev / "predictions.csv.gz", dtype={"key": str, "target": str, "top1": str})
    for lang, g in preds.groupby("language"):
        assert per[lang]["score"] == pytest.approx(g.ap_at_20.mean()) == per[lang]["map_at_20"]


def test_objectives_are_checked_for_the_dual_encoder_before_compute():
    from rxlt.params.strict import ParamsError

    for objective in ("erm", "adversarial", "adversarial_free", "rs_rp"):
        assert build(FinetuneParams, {"task": "lareqa", "objective": objective}).objective == objective
    with pytest.raises(ParamsError, match="'rs_da' does not apply to retrieval tasks .*retrieval targets"):
        build(FinetuneParams, {"task": "lareqa", "objective": "rs_da"})
    with pytest.raises(ParamsError, match="retrieval_query_length"):
        build(FinetuneParams, {"task": "mewslix", "retrieval_query_length": -1})
    assert build(FinetuneParams, {"task": "mewslix", "retrieval_query_length": 32}).retrieval_query_length == 32
    # on a task without a dual encoder the lengths would be ignored yet change the run id: refused
    with pytest.raises(ParamsError, match="retrieval_candidate_length.*dual-encoder retrieval tasks"):
        build(FinetuneParams, {"task": "cldr-territory", "retrieval_candidate_length": 128})
