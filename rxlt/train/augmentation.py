"""Synonym data augmentation: RS-DA as Robust-XLT's `perturb.py` draws it, and the deviations rxlt offers as keys.

perturb.py (uclanlp/Robust-XLT@175cddb, `perturb`): a sentence is split on single spaces; a token that is a key of
the neighbour table with a non-empty list is replaced by a uniform draw from [token] + neighbours (index 0 keeps
it, so a token with k neighbours changes with probability k/(k+1)), other tokens stay; `--num` copies per
sentence; each line's first sentence gets its copies, then its second, independently; only the copies are
written (the original is dropped); draws come from numpy's global legacy generator (`np.random.randint`, never
seeded there). `augment` makes the same draws in the same order from `np.random.RandomState(seed)`: per row, per
column, per copy, per token — so with `np.random.seed(seed)` perturb.py's function gives the same copies
(tests/test_rs_da_paper.py). Multiple-choice rows (not in the paper) perturb the premise and each choice likewise.

Deviations, each a key of phase 2 (off = perturb.py):
- `rs_da_tokens: normalized` (tokens="normalized"): look tokens up lower-cased with edge punctuation set aside,
  and give the substitute the token's capitalisation (perturb.py matches raw tokens: 'Movie' and 'movie,' never
  change). Sources that never replace capitalised tokens (WordNet: proper nouns) are not lower-cased.
- `rs_da_protected_words` (protected=True): never replace rxlt.train.synonyms.PROTECTED_WORDS.
- `rs_da_max_synonyms`: at most that many candidates (the paper's list holds ≤ 8, so 8 keeps all of it).
- `rs_da_keep_original`: train on the originals too.
- `rs_da_length_match` (with `pieces`, text -> number of sub-word pieces under the run's tokenizer): a word is only
  replaced by candidates that tokenise into no more pieces than the word itself, the draw uniform over the word and
  those. WordNet substitutes otherwise tokenise into more pieces than the words they replace (≈ 9 % more tokens:
  benchmarks/results/objectives.md). Both tokenizers rxlt uses pre-split on whitespace (SentencePiece's Metaspace,
  BERT's WordPiece), so a text's piece count is the sum over its space-separated tokens: no augmented text ever
  has more pieces than its original.
"""
from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from rxlt.train.synonyms import PAPER_SYNONYMS_SHA256, PROTECTED_WORDS

TEXT_COLUMNS = ("text", "text_pair")  # the columns RS-DA perturbs, each independently
TOKEN_MODES = ("raw", "normalized")
_EDGE = re.compile(r"^(\W*)(.*?)(\W*)$", re.UNICODE)


def _candidates(token: str, synonyms, max_synonyms: int, tokens: str, protected: bool) -> tuple[str, str, str, list[str]]:
    pre, core, post = _EDGE.match(token).groups() if tokens == "normalized" else ("", token, "")
    key = core.lower() if tokens == "normalized" and getattr(synonyms, "folds_case", True) else core
    if not key or (protected and key.lower() in PROTECTED_WORDS):
        return pre, core, post, []
    return pre, core, post, list(synonyms(key))[:max_synonyms]


def _match_case(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def perturb_text(text: str, synonyms, rng: np.random.RandomState, max_synonyms: int = 8, tokens: str = "raw",
                 protected: bool = False, pieces: Callable[[str], int] | None = None) -> str:
    """`text` with each token that has candidates replaced by a uniform draw from itself and them (one
    `rng.randint` per such token, as perturb.py); with `pieces`, only candidates whose token (punctuation and
    case included) has no more pieces than the original token's."""
    if tokens not in TOKEN_MODES:
        raise ValueError(f"tokens {tokens!r}: expected one of {TOKEN_MODES}")
    out = []
    for token in text.split(" "):
        pre, core, post, cands = _candidates(token, synonyms, max_synonyms, tokens, protected)
        if cands and tokens == "normalized":
            cands = [_match_case(c, core) for c in cands]
        if cands and pieces is not None:
            limit = pieces(token)
            cands = [c for c in cands if pieces(pre + c + post) <= limit]
        if cands:
            pick = int(rng.randint(0, len(cands) + 1))  # 0 keeps the token itself: [token] + neighbours
            core = core if pick == 0 else cands[pick - 1]
        out.append(pre + core + post)
    return " ".join(out)


def augment(df: pd.DataFrame, synonyms, copies: int, seed: int, keep_original: bool = False,
            max_synonyms: int = 8, tokens: str = "raw", protected: bool = False, columns=None,
            pieces: Callable[[str], int] | None = None) -> pd.DataFrame:
    """`copies` perturbed copies of every row of `df` (copy c of all rows is block c), deterministic per seed,
    drawn in perturb.py's order (module docstring). `columns` are perturbed, each independently: text cells, or
    lists of texts (a multiple-choice task's `choices`) element by element; by default `text` and, for pair
    tasks, `text_pair`. `pieces`: length matching; it is called once per distinct token."""
    rng = np.random.RandomState(seed)
    columns = [c for c in TEXT_COLUMNS if c in df.columns] if columns is None else list(columns)
    if pieces is not None:
        pieces = functools.lru_cache(maxsize=None)(pieces)

    def perturb(text):
        return perturb_text(text, synonyms, rng, max_synonyms, tokens, protected, pieces)

    drawn = {col: [[None] * len(df) for _ in range(copies)] for col in columns}
    for i in range(len(df)):
        for col in columns:
            cell = df[col].iat[i]
            for c in range(copies):
                drawn[col][c][i] = perturb(cell) if isinstance(cell, str) else [perturb(t) for t in cell]
    parts = [df.assign(copy=0)] if keep_original else []
    for c in range(copies):
        parts.append(df.assign(**{col: drawn[col][c] for col in columns}, copy=c + 1))
    return pd.concat(parts, ignore_index=True)


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def describe(synonyms_file: str, tokens: str, protected: bool, max_synonyms: int, keep_original: bool,
             length_match: bool, wordnet_dir: str = "") -> dict:
    """What a run's augmentation was, for results.json: the paper's RS-DA only with the paper's list (checked by
    its sha256) and perturb.py's draw; WordNet runs are "WordNet synonym augmentation"."""
    deviations = [name for name, on in (("rs_da_tokens: normalized", tokens == "normalized"),
                                        ("rs_da_protected_words", protected),
                                        ("rs_da_keep_original", keep_original),
                                        ("rs_da_length_match", length_match)) if on]
    if synonyms_file:
        paper = Path(synonyms_file).is_file() and file_sha256(synonyms_file) == PAPER_SYNONYMS_SHA256
        if paper and max_synonyms < 8:
            deviations.append(f"rs_da_max_synonyms: {max_synonyms}")
        source = ("the paper's counterfitted_neighbors.json (uclanlp/Robust-XLT@175cddb, sha256 verified)" if paper
                  else f"{synonyms_file} (not the paper's list: sha256 differs)")
        if paper and not deviations:
            method = "RS-DA (Huang et al. 2021): perturb.py's augmentation with the paper's synonym list"
        elif paper:
            method = "RS-DA with the paper's synonym list, with deviations from perturb.py: " + ", ".join(deviations)
        else:
            method = "synonym augmentation with a synonym file that is not the paper's (not the paper's RS-DA)"
    else:
        source = f"WordNet 3.0 ({wordnet_dir}): dominant part of speech, frequent senses, no proper nouns, no lemma " \
                 f"of a sense WordNet marks offensive (rxlt.train.synonyms.WordNetSynonyms)"
        method = "WordNet synonym augmentation (not the paper's RS-DA, whose synonym list is counter-fitted neighbours)"
    return {"method": method, "synonyms": source, "deviations_from_perturb_py": deviations}


def piece_counter(tokenizer) -> Callable[[str], int]:
    """text -> number of sub-word pieces the tokenizer makes of it (no special tokens; NFC as rxlt.features.batching)."""
    import unicodedata

    def pieces(text: str) -> int:
        return len(tokenizer(unicodedata.normalize("NFC", text), add_special_tokens=False)["input_ids"])

    return pieces
