"""Randomized-smoothing certification is Cohen et al.'s CERTIFY (locuslab/smoothing@78a4d94 code/core.py): separate
selection and estimation samples, the Clopper-Pearson bound of statsmodels, abstention below 1/2; certified accuracy
at radius r and E[R·1(correct)] count wrong and abstained items as 0 (analyze.py ApproximateAccuracy)."""
import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

from rxlt.features.batching import encode
from rxlt.model.checkpoint import EncoderClassifier
from rxlt.scoring import smoothing as rs
from rxlt.train.loop import predict_logits


def test_certify_golden_against_cohens_core_py():
    alpha, sigma = 0.001, 0.5
    selection = np.array([[90, 10], [60, 40], [10, 90], [95, 5]])
    estimation = np.array([[990, 10], [300, 700], [0, 1000], [520, 480]])
    top, radius = rs.certify(selection, estimation, sigma, alpha)
    for i in range(4):  # Smooth.certify: cAHat from the selection counts, nA of it in the estimation counts
        c_hat = int(selection[i].argmax())
        p_bar = proportion_confint(estimation[i, c_hat], estimation[i].sum(), alpha=2 * alpha, method="beta")[0]
        if p_bar < 0.5:
            assert top[i] == rs.ABSTAIN and radius[i] == 0.0
        else:
            assert top[i] == c_hat and radius[i] == pytest.approx(sigma * norm.ppf(p_bar), rel=1e-9)
    # item 1: selection says class 0, estimation's majority is class 1 — CERTIFY abstains, it does not switch class
    # (one shared sample set, as rxlt used to do, would have certified class 1 with a positive radius)
    assert top.tolist() == [0, rs.ABSTAIN, 1, rs.ABSTAIN]


def test_certified_accuracy_and_mean_radius_count_wrong_and_abstained_items_as_zero():
    correct = np.array([True, False, True, False])  # item 1 wrong with a large radius, item 3 abstained
    radius = np.array([1.0, 3.0, 0.2, 0.0])
    sigma = 0.5
    at = rs.certified_accuracy(correct, radius, sigma, (0.0, 0.5, 1.0, 2.0, 7.0))
    # analyze.py: (df["correct"] & (df["radius"] >= radius)).mean() at radius r·σ
    assert at == {"0": 0.5, "0.5": 0.25, "1": 0.25, "2": 0.25, "7": 0.0}
    assert rs.mean_correct_radius(correct, radius) == pytest.approx((1.0 + 0.2) / 4)
    assert rs.mean_correct_radius(correct, radius) < radius.mean()  # the old mean_certified_radius (1.05)


def test_smoothing_at_zero_noise_equals_plain_prediction_and_draws_are_one_seeded_stream(tiny_encoder, e5_tokenizer):
    model = EncoderClassifier(tiny_encoder, 3).eval()
    texts = [" ".join(["x"] * (1 + i % 4)) for i in range(20)]
    data = encode(e5_tokenizer, texts, [0] * 20, max_length=16)
    votes = rs.smoothed_votes(model, data, 5, 0.0, 8, "fp32", torch.Generator().manual_seed(0))
    assert (votes.sum(1) == 5).all()
    np.testing.assert_array_equal(votes.argmax(1), predict_logits(model, data, 8, "fp32").argmax(1))
    gen = torch.Generator().manual_seed(1)
    first, second = (rs.smoothed_votes(model, data, 30, 5.0, 8, "fp32", gen) for _ in range(2))
    again = rs.smoothed_votes(model, data, 30, 5.0, 8, "fp32", torch.Generator().manual_seed(1))
    np.testing.assert_array_equal(first, again)  # seeded
    assert not np.array_equal(first, second)  # selection and estimation draw different noise


def test_embedding_scale_is_the_rms_of_the_inputs_and_is_stored_with_the_model(tiny_encoder, e5_tokenizer, tmp_path):
    model = EncoderClassifier(tiny_encoder, 2)
    data = encode(e5_tokenizer, ["a b c", "hello world again and again"], [0, 1], max_length=16)
    rms, tokens = rs.embedding_rms(model, data, batch_size=3)  # chunks of 3 tokens
    ids = torch.tensor([i for row in data.input_ids for i in row])
    direct = model.encoder.get_input_embeddings()(ids).detach().double()
    assert tokens == len(ids) and rms == pytest.approx(float(direct.pow(2).mean().sqrt()), rel=1e-6)
    rs.write_embedding_scale(tmp_path, rms, tokens, "English test")
    assert rs.read_embedding_scale(tmp_path)["embedding_rms"] == rms and rs.read_embedding_scale(tmp_path / "x") is None


def test_evaluation_smoothing_row_reports_certified_accuracy_on_a_grid():
    from rxlt.phases.evaluate import smoothing_row

    g = pd.DataFrame({"smoothed_prediction": ["a", "b", "", "a"], "smoothed_correct": [1, 0, 0, 1],
                      "certified_radius": [0.4, 2.0, 0.0, 0.1], "radius_in_sigma": [0.8, 4.0, 0.0, 0.2]})
    row = smoothing_row(g, (0.0, 0.5, 1.0))
    assert row["abstained"] == 0.25 and row["smoothed_accuracy"] == 0.5
    assert (row["certified_accuracy_at_0sigma"], row["certified_accuracy_at_0.5sigma"],
            row["certified_accuracy_at_1sigma"]) == (0.5, 0.25, 0.0)
    assert row["mean_correct_radius"] == pytest.approx(0.125) and "mean_certified_radius" not in row
