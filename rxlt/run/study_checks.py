"""Checks of a study's values against what lies outside the study file — the model's position embeddings, the
synonym table on disk — and against what a study needs to answer its question (a zero-shot language), run by
StudyParams before anything runs. Each failure is one ParamsError naming the key, the value and what is valid.
"""
from __future__ import annotations

import json
from pathlib import Path

from rxlt.data.catalog import SOURCE_LANGUAGE
from rxlt.data.readers import not_utf8
from rxlt.model.availability import max_tokens
from rxlt.params.strict import ParamsError, require

MIN_LENGTH = 2  # the start and end tokens every tokenizer here adds: a shorter input holds no text at all
# Resampling draws a (resamples × units) index array at once (rxlt.stats.intervals, hypotheses): 100,000 × 224
# languages is 180 MB, and by then the Monte-Carlo SE of a 95 % interval's coverage, sqrt(0.025 · 0.975 / B), is
# 0.0005 — more resamples cost memory and minutes and change no reported digit.
MAX_BOOTSTRAP_SAMPLES = 100_000


def check_study_values(cfg) -> None:
    """The checks of this module on a StudyParams (its own __post_init__ has checked types and simple ranges)."""
    languages = list(cfg.languages)
    require(languages == ["all"] or any(code != SOURCE_LANGUAGE for code in languages), "languages",
            f"{languages} is only the source language {SOURCE_LANGUAGE!r}, on which every model is trained: list at "
            f"least one other language to test zero-shot transfer on, or ['all']")
    require(cfg.max_length >= MIN_LENGTH, "max_length",
            f"must be >= {MIN_LENGTH} (the start and end tokens take 2), got {cfg.max_length}")
    longest = max_tokens(cfg.model)
    if longest is not None:
        require(cfg.max_length <= longest, "max_length",
                f"{cfg.max_length}, but {cfg.model} has position embeddings for {longest} tokens: use "
                f"{MIN_LENGTH}..{longest}")
    require(cfg.bootstrap_samples <= MAX_BOOTSTRAP_SAMPLES, "bootstrap_samples",
            f"at most {MAX_BOOTSTRAP_SAMPLES:,} (more resamples only cost memory and time: the Monte-Carlo error of a "
            f"95 % interval is already 0.0005 there), got {cfg.bootstrap_samples:,}")


def check_synonyms_file(value: str, path: str, repo: Path) -> None:
    """`synonyms_file` (as given, and resolved to `path`) is a readable UTF-8 JSON table in counterfitted_neighbors.json
    format, {word: [neighbour, …]}; empty = WordNet."""
    if not value:
        return
    p = Path(path)
    if p.is_dir():
        raise ParamsError(f"key 'synonyms_file': {p} is a directory; give the path of the JSON file itself "
                          f"(counterfitted_neighbors.json format: {{word: [neighbour, …]}})")
    if not p.is_file():
        raise ParamsError(f"key 'synonyms_file': {p} does not exist (relative paths start at the repository {repo}); "
                          f"give the path of counterfitted_neighbors.json (uclanlp/Robust-XLT, or SAFER's "
                          f"lushleaf/Structure-free-certified-NLP) or leave it empty for WordNet")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ParamsError(f"key 'synonyms_file': {not_utf8(p)}; the table must be UTF-8 JSON") from None
    except OSError as exc:
        raise ParamsError(f"key 'synonyms_file': {p}: cannot be read ({exc.strerror})") from None
    try:
        table = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise ParamsError(f"key 'synonyms_file': {p}{f':{line}' if line else ''}: not valid JSON "
                          f"({getattr(exc, 'msg', exc)})") from None
    if not isinstance(table, dict) or not all(isinstance(v, list) for v in table.values()):
        raise ParamsError(f"key 'synonyms_file': {p}: expected a JSON object {{word: [neighbour, …]}} "
                          f"(counterfitted_neighbors.json format), got {type(table).__name__}")
