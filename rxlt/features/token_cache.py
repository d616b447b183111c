"""Token ids cached on disk: tokenise a data set once per (tokenizer, texts, max length).

Two entry points: `cached_token_ids` (classification, multiple choice, retrieval: one id list per text) and
`cached_features` (tagging and extractive QA: several integer sequences per row — sub-word ids with their
word ids, or QA windows with offsets — keyed also by every setting that changes them, e.g. doc_stride).

Tokenisation is a pure function of the tokenizer (its full serialised definition: vocabulary,
normaliser, pre-tokeniser, post-processor), the texts (and sentence pairs), the truncation rule and
max_length, so the key is a SHA-256 of exactly those. A changed tokenizer, data set or max_length is a
different key (a miss), never a stale hit. Files are written to a temporary name and renamed, so
parallel workers (a study's kernels, Slurm array tasks) never read a half-written entry.

Location: `<cache_root>/tokens/` (`$RXLT_CACHE`, else the user cache dir: rxlt.cache.cache_root); tagging and QA
features under `tokens/features/<kind>/`.
`RXLT_TOKEN_CACHE=0` turns the cache off (tokenise every time).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

FORMAT = "1"  # bump when the stored layout or the tokenisation call changes
# hits and misses of this process (tests and benchmarks read it; timing is never how a hit is detected)
stats: Counter = Counter()


def enabled() -> bool:
    return os.environ.get("RXLT_TOKEN_CACHE", "1") not in ("0", "false", "no", "off")


def cache_dir() -> Path:
    from rxlt.cache import cache_root

    return cache_root() / "tokens"


def tokenizer_fingerprint(tokenizer) -> str:
    """SHA-256 of the tokenizer's complete definition. Memoised per object and vocabulary size (hashing a 250k
    vocabulary takes ~0.1 s); a copy (new object) or added tokens (new size) are hashed afresh."""
    stamp = (id(tokenizer), len(tokenizer))
    cached = getattr(tokenizer, "_rxlt_fingerprint", None)
    if cached and cached[0] == stamp:
        return cached[1]
    h = hashlib.sha256(type(tokenizer).__name__.encode())
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        h.update(backend.to_str().encode())
    else:  # a slow tokenizer: its vocabulary and special tokens
        h.update(repr(sorted(tokenizer.get_vocab().items())).encode())
    h.update(repr(sorted(tokenizer.special_tokens_map.items())).encode())
    h.update(str(tokenizer.pad_token_id).encode())
    fingerprint = h.hexdigest()
    try:
        tokenizer._rxlt_fingerprint = (stamp, fingerprint)
    except AttributeError:
        pass
    return fingerprint


def cache_key(tokenizer, texts: list[str], pairs: list[str] | None, max_length: int) -> str:
    h = hashlib.sha256(f"rxlt-tokens v{FORMAT}\0{tokenizer_fingerprint(tokenizer)}\0{max_length}\0".encode())
    h.update(b"pairs:longest_first\0" if pairs is not None else b"single:truncate\0")
    h.update(str(len(texts)).encode())
    for i, t in enumerate(texts):
        h.update(b"\x1e" + t.encode("utf-8", "surrogatepass"))
        if pairs is not None:
            h.update(b"\x1f" + pairs[i].encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _path(key: str) -> Path:
    return cache_dir() / key[:2] / f"{key}.npz"


def _load(path: Path) -> list[list[int]] | None:
    try:
        with np.load(path) as z:
            flat, offsets = z["ids"], z["offsets"]
    except (OSError, ValueError, KeyError):  # missing, or unreadable (e.g. a disk error): recompute
        return None
    flat = flat.tolist()
    return [flat[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]


def _store(path: Path, ids: list[list[int]]) -> None:
    offsets = np.zeros(len(ids) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(r) for r in ids])
    flat = np.fromiter((t for r in ids for t in r), dtype=np.int32, count=int(offsets[-1]))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, ids=flat, offsets=offsets)
        os.replace(tmp, path)  # atomic: readers see the old state or the whole file
    except OSError:
        Path(tmp).unlink(missing_ok=True)  # a read-only or full cache dir only costs the speed-up


def cached_token_ids(tokenizer, texts: list[str], pairs: list[str] | None, max_length: int,
                     tokenize: Callable[[], list[list[int]]]) -> list[list[int]]:
    """`tokenize()`'s result, from the cache when this exact input was tokenised before."""
    if not enabled() or not texts:
        return tokenize()
    path = _path(cache_key(tokenizer, texts, pairs, max_length))
    ids = _load(path) if path.is_file() else None
    if ids is None or len(ids) != len(texts):
        stats["ids_miss"] += 1
        ids = [list(r) for r in tokenize()]
        _store(path, ids)
    else:
        stats["ids_hit"] += 1
    return ids


# ---------------------------------------------------------------- several sequences per row (tagging, QA)

def feature_key(kind: str, tokenizer, settings: dict, rows: Sequence[Sequence[str]]) -> str:
    """SHA-256 of the feature kind, the tokenizer, every setting that changes the output, and the rows (each a
    sequence of strings: a sentence's words, or (question, context))."""
    head = f"rxlt-features v{FORMAT}\0{kind}\0{tokenizer_fingerprint(tokenizer)}\0{sorted(settings.items())!r}\0"
    h = hashlib.sha256(head.encode())
    h.update(str(len(rows)).encode())
    for row in rows:
        h.update(b"\x1e" + str(len(row)).encode())
        for field in row:
            h.update(b"\x1f" + field.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _load_fields(path: Path, names: Sequence[str]) -> dict[str, list[list[int]]] | None:
    try:
        with np.load(path) as z:
            arrays = {n: (z[n].tolist(), z[f"{n}.offsets"]) for n in names}
    except (OSError, ValueError, KeyError):  # missing, unreadable or another layout: recompute
        return None
    return {n: [flat[o[i] : o[i + 1]] for i in range(len(o) - 1)] for n, (flat, o) in arrays.items()}


def _store_fields(path: Path, fields: dict[str, list[list[int]]]) -> None:
    arrays = {}
    for name, rows in fields.items():
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(r) for r in rows])
        arrays[name] = np.fromiter((t for r in rows for t in r), dtype=np.int64, count=int(offsets[-1]))
        arrays[f"{name}.offsets"] = offsets
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)  # atomic, as _store
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def cached_features(kind: str, tokenizer, settings: dict, rows: Sequence[Sequence[str]], names: Sequence[str],
                    compute: Callable[[], dict[str, list[list[int]]]]) -> dict[str, list[list[int]]]:
    """`compute()`'s result — the integer sequences `names` (None encoded by the caller, e.g. as -1) — from the
    cache when these rows were tokenised before with this tokenizer and these settings."""
    if not enabled() or not rows:
        return compute()
    path = cache_dir() / "features" / kind / f"{feature_key(kind, tokenizer, settings, rows)}.npz"
    fields = _load_fields(path, names) if path.is_file() else None
    if fields is None:
        stats[f"{kind}_miss"] += 1
        fields = {n: [list(r) for r in v] for n, v in compute().items()}
        _store_fields(path, fields)
    else:
        stats[f"{kind}_hit"] += 1
    return fields
