"""rxlt.scoring.rotation: orthogonal Procrustes recovers a planted rotation, equals scipy's solution, and is the
identity where the pairs leave it free."""
import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes
from scipy.stats import ortho_group

from rxlt.scoring.rotation import fit_record, procrustes, rotate


def test_recovers_a_planted_rotation():
    d = 16
    q = ortho_group.rvs(d, random_state=3)
    x = np.random.default_rng(0).normal(size=(200, d))
    w = procrustes(x, x @ q)
    assert np.abs(w - q).max() < 1e-10
    assert np.abs(rotate(x, w) - x @ q).max() < 1e-4  # float32 output


def test_equals_scipy_orthogonal_procrustes_on_noisy_pairs():
    rng = np.random.default_rng(1)
    d = 12
    x = rng.normal(size=(80, d))
    y = x @ ortho_group.rvs(d, random_state=5) + 0.3 * rng.normal(size=(80, d))
    reference, _ = orthogonal_procrustes(x, y)
    assert np.abs(procrustes(x, y) - reference).max() < 1e-10


def test_fewer_pairs_than_dimensions_fit_exactly_and_leave_the_rest_alone():
    """N < d: the pairs are mapped exactly, W is orthogonal, and a direction orthogonal to both sides' spans is
    not moved (the minimiser closest to the identity, not an arbitrary completion)."""
    rng = np.random.default_rng(2)
    d, n = 20, 4
    q = ortho_group.rvs(d, random_state=7)
    x = rng.normal(size=(n, d))
    y = x @ q
    w = procrustes(x, y)
    assert np.abs(x @ w - y).max() < 1e-10
    assert np.abs(w.T @ w - np.eye(d)).max() < 1e-10
    basis = np.linalg.svd(np.vstack([x, y]))[2][2 * n:]  # directions orthogonal to every x and y row
    assert np.abs(basis @ w - basis).max() < 1e-10


@pytest.mark.parametrize("n", [0, 1, 5, 30])
def test_identity_when_the_language_is_already_aligned_or_there_are_no_pairs(n):
    x = np.random.default_rng(n).normal(size=(n, 10))
    assert np.abs(procrustes(x, x) - np.eye(10)).max() < 1e-10


def test_fit_record_and_shape_check():
    x = np.random.default_rng(4).normal(size=(30, 6))
    q = ortho_group.rvs(6, random_state=1)
    rec = fit_record(x, x @ q, procrustes(x, x @ q))
    assert rec["pairs"] == 30 and rec["mean_sq_distance_after"] < 1e-18 < rec["mean_sq_distance_before"]
    assert rec["distance_from_identity"] == pytest.approx(np.linalg.norm(q - np.eye(6)))
    with pytest.raises(ValueError, match="one shape"):
        procrustes(x, x[:, :5])
