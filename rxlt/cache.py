"""Where rxlt keeps its per-machine caches: the converted encoder, token ids, CLDR extractions.

`$RXLT_CACHE`, else the platform's user cache directory (e.g. ~/.cache/rxlt). Every layer that caches
asks here, so none of them needs another layer for it.
"""
from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """`$RXLT_CACHE`, else the platform's user cache dir (e.g. ~/.cache/rxlt)."""
    env = os.environ.get("RXLT_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("rxlt"))
