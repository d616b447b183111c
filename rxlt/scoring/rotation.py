"""Orthogonal Procrustes: the rotation that maps one language's sentence representations onto English's.

Given N parallel items with representations X (target language, N × d) and Y (English, N × d), the orthogonal map
W minimising ||X W − Y||_F is W = U Vᵀ from the SVD Xᵀ Y = U Σ Vᵀ (Schönemann 1966, "A generalized solution of the
orthogonal Procrustes problem", Psychometrika 31; used for cross-lingual maps of word vectors by Xing et al. 2015
after Mikolov et al. 2013's unconstrained linear map, and computed this way by Smith et al. 2017, "Offline bilingual
word vectors, orthogonal transformations and the inverted softmax", ICLR). `scipy.linalg.orthogonal_procrustes`
computes the same W; the tests compare against it.

With fewer pairs than dimensions (N < d, e.g. 10 or 100 sentences and e5-small's 384 dimensions), XᵀY has rank
r < d and the minimiser is not unique: any orthogonal map on the (d − r)-dimensional complement gives the same fit,
and a plain SVD fills it with whatever singular vectors it happens to return — an arbitrary rotation of every
direction the N pairs do not constrain. `procrustes` takes, among all minimisers, the one closest to the identity
(largest trace): on the complement it solves a second Procrustes problem towards I. So X = Y gives W = I exactly,
N = 0 gives I, and N ≥ d gives Schönemann's W. (This tie-break is rxlt's; the papers above fit N ≫ d.)

The map is applied to the pooled features the classification head reads (phase 3, rxlt.phases.rotation_evaluation):
no centring or length normalisation, so a pure rotation of the head's inputs.
"""
from __future__ import annotations

import numpy as np


def procrustes(source, target) -> np.ndarray:
    """Orthogonal W (d × d, float64) minimising ||source @ W − target||_F, the one closest to the identity when the
    pairs leave it undetermined (fewer independent pairs than dimensions)."""
    x = np.asarray(source, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 2:
        raise ValueError(f"procrustes needs two N × d arrays of one shape, got {x.shape} and {y.shape}")
    d = x.shape[1]
    m = x.T @ y
    u, s, vt = np.linalg.svd(m)
    tol = (s[0] if s.size else 0.0) * d * np.finfo(np.float64).eps
    r = int((s > tol).sum())
    w = u[:, :r] @ vt[:r]
    if r < d:  # the complement: maximise tr(U2 Q V2ᵀ) = tr(Q V2ᵀ U2) over orthogonal Q (closest to I)
        u2, v2 = u[:, r:], vt[r:].T
        p, _, rt = np.linalg.svd(v2.T @ u2)
        w = w + u2 @ (rt.T @ p.T) @ v2.T
    return w


def rotate(features, w) -> np.ndarray:
    """features @ w as float32 (the dtype the head reads)."""
    return (np.asarray(features, dtype=np.float64) @ w).astype(np.float32)


def fit_record(source, target, w) -> dict:
    """How well the map fits its own pairs: mean squared distance per pair before and after, and the distance of
    W from the identity (Frobenius) — 0 means nothing was rotated."""
    x = np.asarray(source, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    n = max(1, len(x))
    return {"pairs": int(len(x)), "mean_sq_distance_before": float(((x - y) ** 2).sum() / n),
            "mean_sq_distance_after": float(((x @ w - y) ** 2).sum() / n),
            "distance_from_identity": float(np.linalg.norm(w - np.eye(len(w))))}
