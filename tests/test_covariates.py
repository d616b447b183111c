"""Resource covariates (sourced values, explicit unknowns) and the reports index listing the study report."""
import json

import numpy as np
import pytest

from rxlt.languages.covariates import WIKIPEDIA, covariate_table, predictor_values
from rxlt.lookup import UnknownNameError
from rxlt.reporting.index import record_report, write_index


def test_covariates_golden_values_and_explicit_unknowns():
    cov = covariate_table(["en", "sw", "yo", "nb", "ja", "agq"]).set_index("language")
    # wiki.csv@0adee01: English 2,622,505,044 tokens / 6,171,405 articles; nb is the "no" edition
    assert cov.loc["en", "wiki_tokens_m"] == pytest.approx(2622.505044)
    assert cov.loc["en", "wiki_articles"] == 6171405
    assert WIKIPEDIA["nb"] == WIKIPEDIA["no"]
    assert cov.loc["sw", "log2_cc100_gib"] == pytest.approx(np.log2(1.6))  # XLM-R Table 6: 1.6 GiB
    assert not cov.loc["yo", "seen"] and np.isnan(cov.loc["yo", "log2_cc100_gib"])
    assert cov.loc["en", "distance_from_english"] == 0 and cov.loc["ja", "distance_from_english"] == 2
    assert cov.loc["sw", "distance_from_english"] == 1
    assert np.isnan(cov.loc["agq", "distance_from_english"])  # family not sourced: unknown, not guessed
    values, excluded = predictor_values(cov.reset_index(), "log2_cc100_gib")
    # languages without a CC-100 size are excluded, by name (nb takes CC-100's Norwegian row `no`)
    assert sorted(excluded) == ["agq", "yo"] and set(values.index) == {"en", "sw", "ja", "nb"}
    with pytest.raises(UnknownNameError, match="did you mean"):
        predictor_values(cov.reset_index(), "log2_cc100")


def test_index_leads_with_the_study_report_and_lists_params(tmp_path):
    base = {"status": "complete", "results": "r.json", "smoke": True, "seconds": 1.0}
    record_report(tmp_path, "demo", {**base, "phase": "04_tiers", "run_id": "tiers-1", "params": {"seed": 0},
                                     "report": "demo/04_tiers/tiers-1.html", "answer": "tiers answer"})
    record_report(tmp_path, "demo", {**base, "phase": "05_report", "run_id": "report-1",
                                     "params": {"resource_predictor": "log2_cc100_gib"},
                                     "report": "demo/05_report/report-1.html",
                                     "answer": "### Does it?\n\n- **Answer:** **yes** <script>x</script>"})
    page = write_index(tmp_path).read_text()
    assert "href='demo/05_report/report-1.html'" in page and "tiers answer" not in page
    assert "<h3>Does it?</h3>" in page and "<strong>yes</strong>" in page
    assert "<script>x</script>" not in page  # markdown answers are escaped
    assert "<code>resource_predictor=log2_cc100_gib</code>" in page and "smoke study" in page
    assert json.loads((tmp_path / "index.json").read_text())["studies"]["demo"]["05_report/report-1"]["phase"] == "05_report"
