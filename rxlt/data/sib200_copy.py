"""Writes the shipped SIB-200 copy, rxlt/data/sib200/annotated/<lang>/{train,dev,test}.tsv.gz, from an upstream
checkout's data/annotated/ (dadelani/sib-200@593cea88519930f776c1a4a1980b6a35b39dca57).

    python -m rxlt.data.sib200_copy /path/to/sib-200/data/annotated

Each file is gzip-compressed byte for byte (gzip header without name or time, so the output is reproducible);
N'Ko comes from the folder nqo_Nkoo/ or, where only that exists, from nqo_Nkoo.zip (upstream ships it zipped,
its files are identical). labels.txt (the same 7 lines in every folder) is kept once, as sib200/labels.txt.
"""
from __future__ import annotations

import gzip
import io
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent / "sib200"
SPLITS = ("train", "dev", "test")


def compress(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def main(src: Path) -> None:
    langs = sorted(p.name for p in src.iterdir() if p.is_dir())
    if (src / "nqo_Nkoo.zip").is_file() and "nqo_Nkoo" not in langs:
        langs.append("nqo_Nkoo")
    labels = None
    for lang in sorted(langs):
        for split in SPLITS:
            path = src / lang / f"{split}.tsv"
            data = path.read_bytes() if path.is_file() else \
                zipfile.ZipFile(src / "nqo_Nkoo.zip").read(f"nqo_Nkoo/{split}.tsv")
            (OUT / "annotated" / lang).mkdir(parents=True, exist_ok=True)
            (OUT / "annotated" / lang / f"{split}.tsv.gz").write_bytes(compress(data))
        here = (src / lang / "labels.txt").read_bytes() if (src / lang / "labels.txt").is_file() else labels
        assert labels is None or here == labels, f"{lang}: labels.txt differs"
        labels = here
    (OUT / "labels.txt").write_bytes(labels)
    print(f"{len(langs)} varieties written under {OUT / 'annotated'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
