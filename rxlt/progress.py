"""Progress bars: widgets when a person watches, one final text line in batch runs and reports."""
from __future__ import annotations

import os
import sys

BATCH_ENV = "RXLT_BATCH"  # set by the study runner; inherited by the papermill kernel


def progress(iterable, desc: str | None = None, total: int | None = None):
    if os.environ.get(BATCH_ENV):
        from tqdm.std import tqdm

        # Rare refreshes; papermill's coalesced streams keep only the last line in the report.
        return tqdm(iterable, desc=desc, total=total, file=sys.stdout, mininterval=30, ascii=True)
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total)
