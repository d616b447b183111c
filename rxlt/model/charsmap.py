"""Build a SentencePiece `precompiled_charsmap` (the blob HF `normalizers.Precompiled` reads).

The blob is `u32 trie_bytes | darts-clone double array (u32 units) | NUL-terminated outputs`.
Each unit packs: label (bits 0-7), has_leaf (bit 8), offset (bits 10-31, <<8 if bit 9);
a leaf unit holds `value | 1<<31`, the byte offset of its output string. Lookup walks
`pos ^= offset; pos ^= byte` (darts-clone's layout, as read by the `spm_precompiled` crate).
We only need keys that are single code points (that is what the E5S1 file stores).
"""
from __future__ import annotations

import struct

_LEAF_BIT = 1 << 31
_MAX_OFFSET = 1 << 21  # offsets above this would need the <<8 extension; our tries stay far below


def _unit(label: int, offset: int, has_leaf: bool) -> int:
    if offset >= _MAX_OFFSET:
        raise ValueError(f"double-array offset {offset} too large")
    return label | (int(has_leaf) << 8) | (offset << 10)


def build_precompiled_charsmap(mapping: dict[str, str]) -> bytes:
    """Encode {source string: replacement} as a Precompiled charsmap blob."""
    outputs = bytearray()
    trie: dict = {}
    for key in sorted(mapping, key=lambda k: k.encode("utf-8")):
        node = trie
        for byte in key.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = len(outputs)  # leaf value = offset of the NUL-terminated output
        outputs += mapping[key].encode("utf-8") + b"\0"

    units: list[int] = [0]
    used = {0}
    used_bases: set[int] = set()
    lowest_free = [1]  # slots below this are all taken: no base search needs to start lower

    def place(node: dict, pos: int, label: int) -> None:
        labels = [0 if k is None else k for k in node]
        while lowest_free[0] in used:
            lowest_free[0] += 1
        base = lowest_free[0] & ~0xFF  # children share one 256-slot block with their base
        # A base must be unique (so a label match proves the parent) and all child slots free.
        while base in used_bases or any((base ^ lab) in used for lab in labels):
            base += 1
        used_bases.add(base)
        for lab in labels:
            used.add(base ^ lab)
        need = max(base ^ lab for lab in labels) + 1
        if need > len(units):
            units.extend([0] * (need - len(units)))
        units[pos] = _unit(label, base ^ pos, None in node)
        if None in node:
            units[base] = node[None] | _LEAF_BIT
        for lab, child in node.items():
            if lab is not None:
                place(child, base ^ lab, lab)

    place(trie, 0, 0)
    trie_bytes = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(outputs)
