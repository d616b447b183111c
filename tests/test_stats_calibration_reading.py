"""benchmarks/stats_calibration.py's Reading is generated from its tables: every procedure whose rate is marked **!**
in a design is said not to keep its level there, and no procedure is said to keep it where the table marks it.
Checked on the committed results and on a made-up table (the benchmark itself is run by hand)."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from stats_calibration import _flagged, _verdict, markdown  # noqa: E402

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def test_verdict_follows_the_flags():
    rows = [{"design": "a", "rates": {"k": 0.05}}, {"design": "b", "rates": {"k": 0.20}}]
    assert _flagged(0.20, 2000) and not _flagged(0.05, 2000) and not _flagged(0.054, 2000)
    assert _verdict(rows, "k", 2000) == "**does not keep its level** in 1 of 2 designs (b: 0.200; elsewhere 0.050-0.050)"
    assert _verdict(rows[:1], "k", 2000) == "keeps its level in every design (0.050-0.050)"
    assert _verdict(rows[1:], "k", 2000).startswith("**keeps its level in none** of the 1 designs")


def test_committed_reading_agrees_with_its_tables():
    data = json.loads((RESULTS / "stats_calibration.json").read_text())
    rows, reps = data["null_designs"], data["meta"]["reps"]
    md = markdown(rows, data["ceiling_effect"], data["power"], reps, data["meta"]["seconds"])
    assert md == (RESULTS / "stats_calibration.md").read_text()  # the committed page is this run's
    reading = md[md.index("## Reading"):]
    for key in ("lang_t", "family_t", "tier_new", "contrast_new", "slope_main", "slope_logit", "slope_weighted",
                "slope_boot"):
        assert _verdict(rows, key, reps) in reading, key
        bad = [r["design"] for r in rows if _flagged(r["rates"][key], reps)]
        said = _verdict(rows, key, reps)
        assert ("does not keep its level" in said or "keeps its level in none" in said) == bool(bad), key
        assert ("keeps its level in every design" in said) == (not bad), key
    assert "keeps its level in every design" not in _verdict(rows, "slope_boot", reps)
