"""The language table agrees with the sourced reference table and answers unknown codes helpfully."""
import re
from pathlib import Path

import pytest

from rxlt.languages.metadata import LANGUAGES, XTREME_R_LANGUAGES, language
from rxlt.lookup import UnknownNameError

REF = Path(__file__).resolve().parents[2] / "shared" / "reference" / "languages.md"


def test_fifty_xtreme_r_languages_with_full_metadata():
    assert len(XTREME_R_LANGUAGES) == 50
    for code in XTREME_R_LANGUAGES:
        row = LANGUAGES[code]
        assert row["joshi"] in range(6) and row["family"] and row["script"], code
    # languages.md: absent from XLM-R's 100 pretraining languages
    assert [c for c in XTREME_R_LANGUAGES if not LANGUAGES[c]["in_cc100"]] == ["ht", "qu", "wo", "yo"]
    assert LANGUAGES["en"]["cc100_gib"] == 300.8 and LANGUAGES["sw"]["cc100_gib"] == 1.6


@pytest.mark.skipif(not REF.is_file(), reason="../shared/reference/languages.md not present")
def test_matches_reference_table():
    for line in REF.read_text().splitlines():
        m = re.match(r"^\| ([a-z]{2}) \| [^|]+ \| [^|]+ \| [^|]+ \| (\d)[^|]* \| ([^|]+) \|", line)
        if m:
            code, joshi, gib = m.group(1), int(m.group(2)), m.group(3).split()[0]
            assert LANGUAGES[code]["joshi"] == joshi, code
            if not gib.startswith("—"):
                assert LANGUAGES[code]["cc100_gib"] == float(gib), code


def test_unknown_language_suggests():
    with pytest.raises(UnknownNameError, match="did you mean .*'sw'"):
        language("sx")
