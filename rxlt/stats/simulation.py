"""Synthetic zero-shot studies that look like real ones, for calibrating every test rxlt reports.

One draw is a whole study: languages with skewed resource values (log2 CC-100 GiB taken from the language table,
a share of languages unseen in pretraining), 15-5,000 test items per language (optionally fewer where resources are
scarcer), the same test items in every run of a language (paired across seeds and conditions) and optionally in every
language (parallel test sets), 0/1 item outcomes from a logit model with a resource-dependent baseline (ceiling
effects for high-resource languages), and run effects: a shift common to every language of one training run (seed),
a run × language and a run × item term (shared by the languages when items are parallel).

    logit P(correct) = α(x_l) + z_i + ρ_r + ω_rl + v_ri + [condition run] · (γ0 + β (x_l − x̄) + u_l)

Under `effect = slope = tau = 0` the condition and the baseline are identical training procedures: every gain, tier
mean, contrast and slope is 0 on every scale, so each rejection is a false positive. benchmarks/stats_calibration.py
runs thousands of draws; the unit tests a few. Everything is vectorised with numpy (one draw ≈ milliseconds).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def cc100_log_sizes() -> np.ndarray:
    """log2 CC-100 GiB of every language in the language table that has one (XLM-R paper Table 6; sorted)."""
    from rxlt.languages.metadata import LANGUAGES

    return np.sort(np.log2([r["cc100_gib"] for r in LANGUAGES.values() if r["in_cc100"] and r["cc100_gib"]]))


@dataclass(frozen=True)
class StudyDesign:
    """What one synthetic study looks like (logit-scale SDs; defaults are moderate, see the benchmark's table)."""

    languages: int = 40
    seeds: int = 6
    items: tuple[int, int] = (15, 5000)  # per language, log-uniform between the two (equal: every language the same)
    items_follow_resource: bool = True  # fewer items where resources are scarcer (as in CLDR-derived tasks)
    parallel: bool = False  # the same items (difficulty and run × item terms) in every language; needs equal counts
    unseen_fraction: float = 0.2  # languages without a CC-100 size (no x: excluded from slopes, "low" in contrasts)
    base_logit: float = 0.8  # baseline logit at the mean resource value
    base_logit_slope: float = 0.25  # per unit of x: > 0 puts high-resource languages near the ceiling
    sd_item: float = 1.0  # item difficulty
    sd_run: float = 0.10  # shift common to every language of one run (a seed's luck)
    sd_run_language: float = 0.05
    sd_run_item: float = 0.3
    effect: float = 0.0  # condition effect at the mean x (logit)
    slope: float = 0.0  # condition effect per unit x (logit)
    tau: float = 0.0  # between-language SD of the condition effect (logit)
    name: str = field(default="", compare=False)

    def __post_init__(self):
        if self.parallel and self.items[0] != self.items[1]:
            raise ValueError(f"parallel test sets need one item count for every language, got {self.items}")
        if self.languages < 4 or self.seeds < 1:
            raise ValueError("a study needs >= 4 languages and >= 1 seed")


@dataclass
class SimulatedStudy:
    """One draw: per-language facts and per (condition, seed, language) outcomes."""

    x: np.ndarray  # (L,) log2 CC-100 GiB, NaN = unseen
    n: np.ndarray  # (L,) test items
    low: np.ndarray  # (L,) bool: unseen or lowest third of the seen by x
    high: np.ndarray  # (L,) bool: highest third of the seen by x
    scores: np.ndarray  # (2, S, L) mean score of baseline (0) / condition (1) runs
    gains: np.ndarray  # (L, S) condition − baseline, seed-paired
    item_var: np.ndarray  # (L, S) var(per-item differences) / items
    plus_minus: np.ndarray  # (L, 2) items × seeds with difference +1 / −1 (for the pooled item test)


def design_languages(design: StudyDesign) -> tuple[np.ndarray, np.ndarray]:
    """(x, items) of the design's languages: x at evenly spaced quantiles of the real CC-100 sizes, the lowest
    `unseen_fraction` replaced by NaN (unseen); items log-uniform, sorted with x when items_follow_resource."""
    L = design.languages
    sizes = cc100_log_sizes()
    x = np.quantile(sizes, (np.arange(L) + 0.5) / L)
    n_unseen = int(round(design.unseen_fraction * L))
    x[:n_unseen] = np.nan
    lo, hi = design.items
    n = np.round(np.exp(np.linspace(np.log(lo), np.log(hi), L))).astype(int) if lo != hi else np.full(L, lo)
    if not design.items_follow_resource:
        n = n[np.random.default_rng(12345).permutation(L)]
    return x, n


def draw_study(design: StudyDesign, rng: np.random.Generator) -> SimulatedStudy:
    x, n = design_languages(design)
    L, S = design.languages, design.seeds
    seen = np.isfinite(x)
    xbar = float(np.nanmean(x))
    x_gen = np.where(seen, x, np.nanmin(x) - 2.0)  # unseen languages behave like very small ones
    lang = np.repeat(np.arange(L), n)
    N = lang.size
    pos = np.arange(N) - np.repeat(np.cumsum(n) - n, n)  # item index inside its language
    z = rng.normal(0, design.sd_item, n[0])[pos] if design.parallel else rng.normal(0, design.sd_item, N)
    alpha = design.base_logit + design.base_logit_slope * (x_gen - xbar)
    gamma = design.effect + design.slope * (x_gen - xbar) + rng.normal(0, design.tau, L)
    base = (alpha[lang] + z).astype(np.float32)
    correct = np.empty((2, S, N), dtype=np.int8)
    f32 = np.float32
    for c in (0, 1):
        for s in range(S):  # float32 draws: the per-item noise is far below float32 resolution's concern
            v = design.sd_run_item * (rng.standard_normal(n[0], dtype=f32)[pos] if design.parallel
                                      else rng.standard_normal(N, dtype=f32))
            shift = rng.normal(0, design.sd_run) + rng.normal(0, design.sd_run_language, L) + (gamma if c == 1 else 0.0)
            logit = base + v + shift.astype(f32)[lang]
            # P(correct) = 1/(1 + e^-logit)  <=>  u·(1 + e^-logit) < 1
            correct[c, s] = rng.random(N, dtype=f32) * (1 + np.exp(-logit)) < 1
    sums = np.stack([np.stack([np.bincount(lang, correct[c, s], minlength=L) for s in range(S)]) for c in (0, 1)])
    scores = sums / n
    d = (correct[1] - correct[0]).astype(np.float64)  # (S, N)
    d_sum = np.stack([np.bincount(lang, d[s], minlength=L) for s in range(S)])  # (S, L)
    d_sq = np.stack([np.bincount(lang, d[s] ** 2, minlength=L) for s in range(S)])
    var = (d_sq - d_sum ** 2 / n) / (n - 1)
    plus = np.bincount(lang, (d > 0).sum(0), minlength=L)
    minus = np.bincount(lang, (d < 0).sum(0), minlength=L)
    third = np.nanquantile(x, [1 / 3, 2 / 3]) if seen.sum() >= 3 else (np.inf, -np.inf)
    return SimulatedStudy(x=x, n=n, low=~seen | (x <= third[0]), high=seen & (x > third[1]), scores=scores,
                          gains=(scores[1] - scores[0]).T, item_var=(var / n).T, plus_minus=np.stack([plus, minus], 1))
