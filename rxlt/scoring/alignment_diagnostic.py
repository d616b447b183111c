"""How aligned a language already is with English: nearest-neighbour rates of translations, per layer.

For n parallel items embedded in language x and in English, S[i, j] = cos(x_i, en_j). Then, per layer:
- `x_to_en`: the share of x sentences whose most similar English sentence is their own translation
  (S[i, i] > S[i, j] for every j ≠ i);
- `en_to_x`: the share of English sentences whose most similar x sentence is their translation
  (S[j, j] > S[i, j] for every i ≠ j);
- `mexa`: both at once for the same item — MEXA's alignment score (Kargaran et al. 2024, "MEXA: Multilingual
  Evaluation of English-Centric LLMs via Cross-Lingual Alignment", arXiv 2410.05873; cisnlp/MEXA@bc28c41
  compute_mexa.py `mexa()`: the diagonal element strictly greater than every other element of its row and of its
  column, count / n). Strict inequalities, as there: a tie is not a hit.
Cosine similarity as in compute_mexa.py (float64). Chance level is about 1/n.

Representations: mean over real tokens of each hidden layer (0 = the embedding output, k = the output of layer k),
the encoder reading of XTREME's Tatoeba; MEXA pools decoder LLMs with a position-weighted mean or the last token,
which suits causal attention, not encoders. Phase 3 also scores the head's input (the model's own pooling of the
last layer; rotated, for the rotation method). The items are the task's test items, paired by key: never the
parallel items a rotation was fitted on.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

SOURCE_LANGUAGE = "en"


def cosine_matrix(x, en) -> np.ndarray:
    """S[i, j] = cos(x_i, en_j), float64; a zero vector has similarity 0 with everything."""
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(en, dtype=np.float64)
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    return (a / np.where(na > 0, na, 1.0)) @ (b / np.where(nb > 0, nb, 1.0)).T


def nearest_neighbour_rates(x, en) -> dict:
    """x_to_en, en_to_x and mexa (see the module docstring) of paired rows x[i] ↔ en[i]; n = rows (needs ≥ 2)."""
    s = cosine_matrix(x, en)
    n = len(s)
    if n < 2 or s.shape != (n, n):
        raise ValueError(f"the diagnostic needs n >= 2 paired rows on both sides, got {np.shape(x)} and {np.shape(en)}")
    diag = np.diag(s)
    off = s.copy()
    np.fill_diagonal(off, -np.inf)
    row_hit = diag > off.max(axis=1)   # x_i's nearest English sentence is its translation
    col_hit = diag > off.max(axis=0)   # en_i's nearest x sentence is its translation
    return {"x_to_en": float(row_hit.mean()), "en_to_x": float(col_hit.mean()),
            "mexa": float((row_hit & col_hit).mean()), "n": int(n)}


def diagnostic_table(keys, languages, layers: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per (language ≠ English, representation): the three rates on the items that language shares with
    English, paired by key. `keys` and `languages` label the rows of every array in `layers`
    ({representation name: [N, d] array}); representations are e.g. "layer 0" … "layer 6", "head input"."""
    frame = pd.DataFrame({"key": np.asarray(keys, dtype=str), "language": np.asarray(languages, dtype=str)})
    frame["row"] = np.arange(len(frame))
    english = frame[frame.language == SOURCE_LANGUAGE].drop_duplicates("key").set_index("key")
    rows = []
    for lang, g in frame[frame.language != SOURCE_LANGUAGE].groupby("language", sort=True):
        g = g.drop_duplicates("key")
        g = g[g.key.isin(english.index)].sort_values("key")
        if len(g) < 2:
            continue
        mine, theirs = g.row.to_numpy(), english.loc[g.key, "row"].to_numpy()
        for name, values in layers.items():
            rows.append({"language": lang, "representation": name,
                         **nearest_neighbour_rates(values[mine], values[theirs])})
    return pd.DataFrame(rows, columns=["language", "representation", "x_to_en", "en_to_x", "mexa", "n"])
