"""The frozen lower layers' outputs, computed once per machine and reused by every run that shares them.

With `frozen_layers: K` (rxlt.model.frozen_prefix) the output of layer K is a pure function of the frozen
weights and the token rows, so a study computes it once for its test sets in all languages and its English
training and dev rows, and every run — each condition, objective and seed — only runs the layers above K. In
SIB-200's 205 languages that is the difference between K + 1 and one layer per evaluation run.

The key is a SHA-256 of exactly what the states depend on: the frozen parameters themselves (embeddings and
layers 1..K, every byte, so a phase-1 encoder whose lower layers stayed frozen shares the base model's entries
and any other one does not), K, the precision they were computed in, and the rows' token ids (and segment
starts). A changed model, layer count or data set is a miss, never a stale hit. Rows are grouped (e.g. by
language) into one entry per group, written to a temporary name and renamed; a lock per entry makes parallel
runs (a study's two workers) compute each group once, the others taking the groups nobody holds first.

Location: `<cache_root>/prefix/` (rxlt.cache.cache_root). Size: 4 bytes × hidden size per token (e5-small: 1.5 KB a
token; SIB-200's 204 test items in 205 languages, 1.96 M tokens: 3.0 GB). `RXLT_PREFIX_CACHE=0` turns it off.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rxlt.features.batching import Encoded, length_sorted_batches, pad_rows
from rxlt.model.frozen_prefix import prefix_layer, prefix_states
from rxlt.model.precision import autocast, resolve_precision

FORMAT = "1"  # bump when the stored layout or the computation changes
stats: Counter = Counter()  # groups loaded ("hit") or computed ("miss") by this process


def enabled() -> bool:
    return os.environ.get("RXLT_PREFIX_CACHE", "1") not in ("0", "false", "no", "off")


def cache_dir() -> Path:
    from rxlt.cache import cache_root

    return cache_root() / "prefix"


@dataclass
class PrefixEncoded(Encoded):
    """Token rows with the frozen layers' output for each: `states[i]` is row i's [len_i, hidden] float32 array."""

    states: list | None = None

    def collate(self, index) -> dict[str, torch.Tensor]:
        batch = super().collate(index)
        rows = [self.states[i] for i in index]
        width = batch["input_ids"].shape[1]
        padded = np.zeros((len(rows), width, rows[0].shape[1]), dtype=np.float32)
        for j, r in enumerate(rows):
            padded[j, : len(r)] = r
        batch["prefix_states"] = torch.from_numpy(padded)
        return batch


def encoder_fingerprint(encoder) -> str:
    """SHA-256 of the frozen part's parameters (names, shapes and bytes) and the model class; memoised on the encoder
    (its frozen parameters never change)."""
    layers = prefix_layer(encoder)
    cached = getattr(encoder, "_rxlt_prefix_fingerprint", None)
    if cached and cached[0] == layers:
        return cached[1]
    h = hashlib.sha256(f"rxlt-prefix v{FORMAT}\0{type(encoder).__name__}\0{layers}\0".encode())
    h.update(encoder.config.to_json_string(use_diff=False).encode())
    modules = [("embeddings", encoder.embeddings)] + [(f"layer{i}", m) for i, m in enumerate(encoder.encoder.layer[:layers])]
    for prefix, module in modules:
        for name, p in sorted(module.state_dict().items()):
            t = p.detach().contiguous().cpu()
            h.update(f"{prefix}.{name}{tuple(t.shape)}{t.dtype}".encode())
            if t.numel():
                h.update(t.view(-1).view(torch.uint8).numpy())  # the bytes in place: no copy of the 384 MB matrix
    fingerprint = h.hexdigest()
    encoder._rxlt_prefix_fingerprint = (layers, fingerprint)
    return fingerprint


def group_key(fingerprint: str, precision: str, rows: list[list[int]], segments: list | None) -> str:
    h = hashlib.sha256(f"{fingerprint}\0{precision}\0{len(rows)}\0".encode())
    for i, r in enumerate(rows):
        h.update(np.asarray(r, dtype=np.int64).tobytes() + b"\x1e")
        if segments is not None:
            h.update(str(segments[i]).encode() + b"\x1f")
    return h.hexdigest()


def _path(key: str) -> Path:
    return cache_dir() / key[:2] / f"{key}.npy"


def _load(path: Path, lengths: np.ndarray) -> list[np.ndarray] | None:
    try:
        flat = np.load(path, mmap_mode="r")  # only the rows a batch reads are paged in
    except (OSError, ValueError):
        return None
    if flat.ndim != 2 or flat.shape[0] != int(lengths.sum()):
        return None
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return [flat[offsets[i]: offsets[i + 1]] for i in range(len(lengths))]


def _store(path: Path, states: list[np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npy")
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, np.concatenate(states).astype(np.float32, copy=False))
        os.replace(tmp, path)  # atomic: readers see no file or the whole file
    except OSError:
        Path(tmp).unlink(missing_ok=True)  # a full or read-only cache dir only costs the speed-up


# A group is one language's test items (102 in the default study): in one batch every row is padded to the longest
# (2.31× the real tokens on SIB-200), in length-sorted batches of 16 rows 1.12×. Measured on 2 cores
# (benchmarks/results/prefix_batching.md): 16 rows run the prefix 2.4× faster than 128 in fp32, 1.6× in bf16
# (32 rows: 2.3× / 1.8×; 8 rows: 2.3× / 1.2×).
PREFIX_BATCH_ROWS = 16


def _compute(encoder, data: Encoded, rows: np.ndarray, batch_size: int, precision: str) -> list[np.ndarray]:
    """States of data's rows `rows` (length-sorted batches of `batch_size`, scattered back in order)."""
    device = next(encoder.parameters()).device
    layers = prefix_layer(encoder)
    sub = Encoded([data.input_ids[i] for i in rows], None, data.pad_id,
                  None if data.segment_starts is None else [data.segment_starts[i] for i in rows])
    out: list[np.ndarray] = [None] * len(rows)
    for index in length_sorted_batches(sub, batch_size):
        batch = pad_rows([sub.input_ids[i] for i in index], sub.pad_id,
                         None if sub.segment_starts is None else [sub.segment_starts[i] for i in index])
        with autocast(precision):
            states = prefix_states(encoder, layers, batch["input_ids"].to(device), batch["attention_mask"].to(device),
                                   batch["token_type_ids"].to(device) if "token_type_ids" in batch else None)
        states = states.float().cpu().numpy()
        for j, i in enumerate(index):
            out[i] = states[j, : len(sub.input_ids[i])].copy()
    return out


def with_prefix(encoder, data: Encoded, batch_size: int, precision: str, groups=None) -> Encoded:
    """`data` with the output of the encoder's frozen layers for every row (a PrefixEncoded), from the cache where
    it was computed before; `data` unchanged when nothing is frozen. `groups`: one label per row (e.g. language):
    each group is one cache entry, so studies over other subsets of groups reuse the shared ones."""
    if prefix_layer(encoder) == 0 or not len(data) or type(data) is not Encoded:  # sequence rows only
        return data
    precision = resolve_precision(precision)
    was_training = encoder.training
    encoder.eval()
    fingerprint = encoder_fingerprint(encoder)
    rows_per_batch = min(batch_size, PREFIX_BATCH_ROWS)
    labels = np.zeros(len(data), dtype=np.int64) if groups is None else np.asarray(groups)
    lengths = data.lengths()
    states: list[np.ndarray] = [None] * len(data)
    pending = [np.flatnonzero(labels == g) for g in dict.fromkeys(labels.tolist())]
    with torch.no_grad():
        while pending:
            rows = pending.pop(0)
            segments = None if data.segment_starts is None else [data.segment_starts[i] for i in rows]
            key = group_key(fingerprint, precision, [data.input_ids[i] for i in rows], segments)
            path = _path(key)
            got = _load(path, lengths[rows]) if enabled() and path.is_file() else None
            if got is None and enabled():
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path.with_suffix(".lock"), "w") as lock:
                    try:  # another run computes this group: take the next one first, come back later
                        fcntl.flock(lock, fcntl.LOCK_EX | (fcntl.LOCK_NB if pending else 0))
                    except BlockingIOError:
                        pending.append(rows)
                        continue
                    got = _load(path, lengths[rows]) if path.is_file() else None
                    if got is None:
                        got = _compute(encoder, data, rows, rows_per_batch, precision)
                        _store(path, got)
                        stats["miss"] += 1
                    else:
                        stats["hit"] += 1
            elif got is None:
                got = _compute(encoder, data, rows, rows_per_batch, precision)
                stats["miss"] += 1
            else:
                stats["hit"] += 1
            for i, s in zip(rows, got):
                states[i] = s
    encoder.train(was_training)
    return PrefixEncoded(data.input_ids, data.labels, data.pad_id, data.segment_starts, states=states)
