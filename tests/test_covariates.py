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


def test_seen_list_and_predictor_follow_the_model_family():
    """mBERT's Wikipedia languages are not XLM-R's CC-100: yo (Yoruba) is in mBERT (wiki.csv "In mBERT?") but not
    in CC-100; e5 is XLM-R-family."""
    from rxlt.languages.covariates import exclusion_reasons, pretraining_corpus, resolve_predictor
    from rxlt.languages.tier_schemes import assign_tiers

    assert pretraining_corpus(["e5-small"]) == pretraining_corpus(["FacebookAI/xlm-roberta-base"]) == "cc100"
    assert pretraining_corpus(["mbert"]) == pretraining_corpus(["google-bert/bert-base-multilingual-cased"]) == "wikipedia"
    assert pretraining_corpus(["/some/local/checkpoint"]) is None
    with pytest.raises(ValueError, match="different pretraining corpora"):
        pretraining_corpus(["mbert", "xlm-roberta-base"])
    assert resolve_predictor("auto", ["mbert"])[:2] == ("log2_wiki_tokens_m", "wikipedia")
    assert resolve_predictor("auto", ["e5-small"])[:2] == ("log2_cc100_gib", "cc100")
    assert resolve_predictor("joshi", ["mbert"])[:2] == ("joshi", "wikipedia")  # explicit: kept; seen list by model
    with pytest.raises(ValueError, match="set resource_predictor"):
        resolve_predictor("auto", ["/some/local/checkpoint"])

    codes = ["en", "sw", "yo", "qu", "ceb"]
    xlmr = covariate_table(codes, "cc100").set_index("language")
    mbert = covariate_table(codes, "wikipedia").set_index("language")
    assert list(xlmr.seen) == [True, True, False, False, False] and list(mbert.seen) == [True, True, True, False, True]
    # a size predictor is never given to a language the model did not see
    assert np.isnan(xlmr.loc["yo", "log2_wiki_tokens_m"]) and mbert.loc["yo", "log2_wiki_tokens_m"] == pytest.approx(
        np.log2(WIKIPEDIA["yo"][1] / 1e6))
    assert np.isnan(mbert.loc["qu", "log2_wiki_tokens_m"])  # qu has a Wikipedia edition but is not an mBERT language
    reasons = exclusion_reasons(mbert.reset_index(), "log2_wiki_tokens_m")
    assert reasons == {"unseen": ["qu"], "no value": []}
    assert exclusion_reasons(xlmr.reset_index(), "log2_cc100_gib")["unseen"] == ["ceb", "qu", "yo"]
    assert assign_tiers(codes, "joshi", "wikipedia")["yo"] != "unseen" and assign_tiers(codes, "joshi")["yo"] == "unseen"
