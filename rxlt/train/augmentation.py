"""RS-DA data augmentation (Huang et al. 2021, `perturb.py` of uclanlp/Robust-XLT@175cddb).

Every whitespace token with synonyms is replaced by a uniform draw from {token} ∪ synonyms(token)
(so a token with k synonyms changes with probability k/(k+1)); `copies` perturbed copies per
example; the original is dropped unless `keep_original`. Both sentences of a pair (`text`, `text_pair`)
are perturbed, independently, as the released script does (protocols.md §1.2). Differences from the released script,
each a parameter: tokens are looked up lowercased with surrounding punctuation set aside (the
script matches raw tokens, so 'Movie' or 'movie,' never change), replacements keep the token's
capitalisation, and at most `max_synonyms` candidates are used (the SAFER lists hold ≤ 8).

Length matching (off by default, not in the paper): with `pieces` (text -> number of sub-word pieces under the
run's tokenizer), a word is only replaced by candidates that tokenise into no more pieces than the word itself,
and the draw is uniform over the word and those candidates. WordNet substitutes otherwise tokenise into more
pieces than the words they replace (augmented data ≈ 9% more tokens: benchmarks/results/objectives.md,
rs_da_tokens_vs_original 1.089), making augmented batches longer and rs_da steps slower than erm's. Both tokenizers rxlt uses pre-split on whitespace (SentencePiece's Metaspace, BERT's
WordPiece), so a text's piece count is the sum over its space-separated tokens: no augmented text ever has more
pieces than its original.
"""
from __future__ import annotations

import functools
import re
from typing import Callable

import numpy as np
import pandas as pd

from rxlt.train.synonyms import PROTECTED_WORDS

TEXT_COLUMNS = ("text", "text_pair")  # the columns RS-DA perturbs, each independently
_EDGE = re.compile(r"^(\W*)(.*?)(\W*)$", re.UNICODE)


def _candidates(token: str, synonyms, max_synonyms: int, case_insensitive: bool) -> tuple[str, str, str, list[str]]:
    pre, core, post = _EDGE.match(token).groups() if case_insensitive else ("", token, "")
    key = core.lower() if case_insensitive else core
    if not key or key in PROTECTED_WORDS:
        return pre, core, post, []
    return pre, core, post, synonyms(key)[:max_synonyms]


def _match_case(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def perturb_text(text: str, synonyms, rng: np.random.Generator, max_synonyms: int = 8, case_insensitive: bool = True,
                 pieces: Callable[[str], int] | None = None) -> str:
    """`text` with each word that has synonyms replaced by a uniform draw from itself and its candidates; with
    `pieces`, only candidates whose token (punctuation and case included) has no more pieces than the word's."""
    out = []
    for token in text.split(" "):
        pre, core, post, cands = _candidates(token, synonyms, max_synonyms, case_insensitive)
        if cands and pieces is not None:
            limit = pieces(token)
            cands = [c for c in cands if pieces(pre + _match_case(c, core) + post) <= limit]
        if cands:
            pick = int(rng.integers(0, len(cands) + 1))  # 0 keeps the word itself
            core = core if pick == 0 else _match_case(cands[pick - 1], core)
        out.append(pre + core + post)
    return " ".join(out)


def augment(df: pd.DataFrame, synonyms, copies: int, seed: int, keep_original: bool = False,
            max_synonyms: int = 8, case_insensitive: bool = True, columns=None,
            pieces: Callable[[str], int] | None = None) -> pd.DataFrame:
    """`copies` perturbed copies of every row of `df`, deterministic per seed. `columns` are perturbed, each
    independently: text cells, or lists of texts (a multiple-choice task's `choices`) element by element;
    by default `text` and, for pair tasks, `text_pair`. `pieces`: length matching (module docstring); it is
    called once per distinct token."""
    rng = np.random.default_rng(seed)
    columns = [c for c in TEXT_COLUMNS if c in df.columns] if columns is None else list(columns)
    if pieces is not None:
        pieces = functools.lru_cache(maxsize=None)(pieces)

    def perturb(cell):
        if isinstance(cell, str):
            return perturb_text(cell, synonyms, rng, max_synonyms, case_insensitive, pieces)
        return [perturb_text(t, synonyms, rng, max_synonyms, case_insensitive, pieces) for t in cell]

    parts = [df.assign(copy=0)] if keep_original else []
    for c in range(1, copies + 1):
        parts.append(df.assign(**{col: [perturb(x) for x in df[col]] for col in columns}, copy=c))
    return pd.concat(parts, ignore_index=True)


def piece_counter(tokenizer) -> Callable[[str], int]:
    """text -> number of sub-word pieces the tokenizer makes of it (no special tokens; NFC as rxlt.features.batching)."""
    import unicodedata

    def pieces(text: str) -> int:
        return len(tokenizer(unicodedata.normalize("NFC", text), add_special_tokens=False)["input_ids"])

    return pieces
