"""rxlt.scoring.alignment_diagnostic against a brute-force computation: MEXA's own loop (cisnlp/MEXA@bc28c41
compute_mexa.py: scipy cosine per pair, diagonal strictly above the rest of its row and column) and the two
one-direction rates by explicit loops."""
import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cosine

from rxlt.scoring.alignment_diagnostic import diagnostic_table, nearest_neighbour_rates


def brute_force(x, en):
    n = len(x)
    s = np.array([[1 - cosine(x[i], en[j]) for j in range(n)] for i in range(n)])  # rows: x, columns: English
    row = [all(s[i, i] > s[i, j] for j in range(n) if j != i) for i in range(n)]
    col = [all(s[j, j] > s[i, j] for i in range(n) if i != j) for j in range(n)]
    both = [r and c for r, c in zip(row, col)]
    return {"x_to_en": np.mean(row), "en_to_x": np.mean(col), "mexa": np.mean(both), "n": n}


@pytest.mark.parametrize("noise", [0.2, 0.8, 2.0])
def test_rates_equal_brute_force(noise):
    rng = np.random.default_rng(int(noise * 10))
    en = rng.normal(size=(25, 8))
    x = en + noise * rng.normal(size=en.shape)
    got = nearest_neighbour_rates(x, en)
    want = brute_force(x, en)
    assert got == pytest.approx(want)
    assert 0 < got["mexa"] <= min(got["x_to_en"], got["en_to_x"]) or got["mexa"] == 0


def test_a_tie_is_not_a_hit_and_directions_differ():
    en = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    x = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 1.0]])  # x1 is closer to en0 than to its own translation en1
    got = nearest_neighbour_rates(x, en)
    assert got == pytest.approx(brute_force(x, en))
    assert got["x_to_en"] == pytest.approx(2 / 3) and got["en_to_x"] == pytest.approx(1 / 3)
    same = nearest_neighbour_rates(np.ones((3, 2)), np.ones((3, 2)))  # all tied: no hits
    assert same["mexa"] == same["x_to_en"] == same["en_to_x"] == 0


def test_table_pairs_items_by_key_whatever_their_order():
    rng = np.random.default_rng(9)
    n, d = 12, 5
    en = rng.normal(size=(n, d))
    de = en + 0.5 * rng.normal(size=(n, d))
    keys = [str(k) for k in range(n)]
    order = rng.permutation(n)  # German rows shuffled, one German item missing
    frame_keys = keys + [keys[i] for i in order[:-1]]
    langs = ["en"] * n + ["deu_Latn"] * (n - 1)
    layer = np.vstack([en, de[order[:-1]]])
    table = diagnostic_table(frame_keys, langs, {"layer 1": layer, "layer 0": layer * 2})
    kept = sorted(order[:-1], key=lambda i: keys[i])
    want = brute_force(de[kept], en[kept])
    assert list(table.representation) == ["layer 1", "layer 0"] and (table.language == "deu_Latn").all()
    for _, row in table.iterrows():
        assert {k: row[k] for k in want} == pytest.approx(want)
    assert isinstance(table, pd.DataFrame) and int(table.n.iloc[0]) == n - 1


def test_needs_two_pairs():
    with pytest.raises(ValueError, match="n >= 2"):
        nearest_neighbour_rates(np.ones((1, 3)), np.ones((1, 3)))
