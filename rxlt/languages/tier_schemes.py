"""Resource tiers: which languages count as low-, mid- or high-resource, by a named scheme."""
from __future__ import annotations

import numpy as np

from rxlt.languages.metadata import language
from rxlt.lookup import lookup

TIER_ORDER = ("unseen", "low", "mid", "high", "unclassified")


SEEN_COLUMNS = {"cc100": "in_cc100", "wikipedia": "in_mbert"}  # pretraining corpus -> metadata flag


def _joshi_tier(row: dict, seen: str = "in_cc100") -> str:
    # languages.md "suggested tiering": LOW = Joshi 0-2 or unseen; MID = 3; HIGH = 4-5. Unseen languages
    # (not in the model's pretraining data) get their own tier rather than being imputed.
    if not row[seen]:
        return "unseen"
    if row["joshi"] is None:
        return "unclassified"
    return "low" if row["joshi"] <= 2 else "mid" if row["joshi"] == 3 else "high"


TIER_SCHEMES: dict[str, str] = {
    "joshi": "Joshi et al. 2020 class: low 0-2, mid 3, high 4-5; not in the model's pretraining data -> unseen; "
             "no class -> unclassified",
    "cc100": "terciles of log CC-100 GiB among the evaluated seen languages; not in the model's pretraining data -> unseen",
}


def assign_tiers(codes, scheme: str = "joshi", corpus: str = "cc100") -> dict[str, str]:
    """Tier of each language code under `scheme` (see TIER_SCHEMES); `corpus` (cc100 | wikipedia) says which
    languages the model saw in pretraining (XLM-R/e5: CC-100; mBERT: Wikipedia)."""
    lookup(TIER_SCHEMES, scheme, "tier scheme")
    seen_col = lookup(SEEN_COLUMNS, corpus, "pretraining corpus")
    rows = {c: language(c) for c in codes}
    if scheme == "joshi":
        return {c: _joshi_tier(r, seen_col) for c, r in rows.items()}
    seen = {c: np.log2(r["cc100_gib"]) for c, r in rows.items() if r[seen_col] and r["cc100_gib"]}
    cuts = np.quantile(list(seen.values()), [1 / 3, 2 / 3]) if seen else (0, 0)
    tiers = {}
    for c, r in rows.items():
        if c not in seen:
            tiers[c] = "unseen" if not r[seen_col] else "unclassified"
        else:
            tiers[c] = "low" if seen[c] <= cuts[0] else "mid" if seen[c] <= cuts[1] else "high"
    return tiers
