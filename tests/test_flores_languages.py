"""The FLORES-200 / suite language table: every SIB-200 variety and every suite code resolves, values agree with
the sources they cite and with the language-level rows, and the predictors' coverage is stated."""
import pytest

from rxlt.data import sib200
from rxlt.languages import flores
from rxlt.languages.covariates import covariate_table, predictor_coverage
from rxlt.languages.metadata import (FLORES_VARIETIES, LANGUAGES, VARIETY_COLUMNS, flores_code, language, resolve,
                                     rxlt_code)
from rxlt.languages.tier_schemes import assign_tiers
from rxlt.lookup import UnknownNameError


def test_every_sib200_variety_has_a_row_with_sourced_columns():
    assert FLORES_VARIETIES == tuple(sorted(sib200.VARIETIES)) and len(FLORES_VARIETIES) == 205
    for code in FLORES_VARIETIES:
        r = language(code)
        assert r["code"] == code and set(VARIETY_COLUMNS) <= set(r), code
        assert r["script"] == code.split("_")[1] and r["iso639_3"] == code[:3] and r["name"], code
        assert r["joshi"] in (None, 0, 1, 2, 3, 4, 5) and r["in_cc100"] == (r["cc100_gib"] is not None), code
        assert r["family"], code  # Glottolog 5.1 has every one of them
    # coverage (reported in the module's docstring and by predictor_coverage)
    rows = [LANGUAGES[c] for c in FLORES_VARIETIES]
    assert sum(r["joshi"] is not None for r in rows) == 170
    assert sum(r["in_cc100"] for r in rows) == 90 and sum(r["in_mbert"] for r in rows) == 87


def test_values_match_their_sources():
    # CC-100 (XLM-R Table 6 via mayhewsw/multilingual-data-stats cc-100.csv)
    assert language("eng_Latn")["cc100_gib"] == 300.8 and language("swh_Latn")["cc100_gib"] == 1.6
    assert language("zho_Hans")["cc100_gib"] == 46.9 and language("zho_Hant")["cc100_gib"] == 16.6
    assert language("hin_Latn")["cc100_gib"] == 0.5 and language("urd_Latn")["in_cc100"]  # the "Romanized" rows
    assert not language("arb_Latn")["in_cc100"] and not language("npi_Latn")["in_cc100"]  # script differs
    assert not language("arz_Arab")["in_cc100"] and language("arz_Arab")["macrolanguage"] == "ara"
    assert language("kor_Hang")["cc100_gib"] == 54.2  # Hang is within CLDR's Kore
    # Joshi (lang2tax via MaLA-LM): a variety of a language with a row takes its class; others by name
    assert language("yor_Latn")["joshi"] == 2 and language("arb_Latn")["joshi"] == 5
    assert language("awa_Deva")["joshi"] == 0 and language("azb_Arab")["joshi"] is None  # azari=0, southern azerbaijani=1
    assert "joshi ambiguous" in language("azb_Arab")["note"]
    # mBERT (google-research/bert multilingual.md) and Glottolog families
    assert language("zho_Hant")["in_mbert"] and language("azb_Arab")["in_mbert"] and not language("hau_Latn")["in_mbert"]
    assert language("yor_Latn")["family"] == "Atlantic-Congo" and language("eus_Latn")["family"] == "Isolate"


def _evaluated_languages() -> list[str]:
    """Every row a SIB-200, Belebele or suite task evaluates (the suites' codes resolved as the loaders do)."""
    from rxlt.data.suite_loader import SUITE_TASKS

    codes = {language(lg)["code"] for spec in SUITE_TASKS.values() for lg in spec["languages"]}
    return sorted(codes | set(FLORES_VARIETIES))


def test_every_evaluated_language_has_a_family_and_a_joshi_class_or_its_reason():
    """Glottolog 5.1 gives every family (luo: Nilotic, pcm: Indo-European, where it places Nigerian Pidgin); a missing
    Joshi class says why in the row's note — ambiguous entries, or the hand review (rxlt.languages.joshi_review) —
    or inherits from a language-level row that says why."""
    from rxlt.languages.joshi_review import JOSHI_REVIEW

    assert (language("luo")["family"], language("pcm")["family"]) == ("Nilotic", "Indo-European")
    assert language("luo_Latn")["family"] == language("luo")["family"]
    unexplained = []
    for code in _evaluated_languages():
        r = language(code)
        assert r["family"], code
        if r["joshi"] is not None:
            continue
        base = LANGUAGES.get(r["rxlt_code"]) if f"joshi = row {r['rxlt_code']}" in r["note"] else None
        why = (base or r)["note"]
        if "joshi ambiguous" not in why and "joshi (reviewed" not in why:
            unexplained.append(code)
    assert not unexplained, f"no Joshi class and no reason: {unexplained}"
    # reviewed classes: the taxonomy names the same language (a group's name; a spelling with k)
    assert (language("nah")["joshi"], language("shp")["joshi"]) == (1, 0)
    assert language("quy_Latn")["joshi"] is None and "macrolanguage que" in language("quy_Latn")["note"]
    assert language("bbj")["joshi"] is None and "babungo" in language("bbj")["note"]  # an LLM code is no evidence
    assert all(code in LANGUAGES for code in JOSHI_REVIEW)


def test_varieties_agree_with_their_language_level_rows():
    for code in FLORES_VARIETIES:
        r = language(code)
        base = LANGUAGES.get(r["rxlt_code"])
        if base is None:
            continue
        assert r["joshi"] == base["joshi"], code
        if r["script"] == base["script"] and base["code"] != "zh":
            assert (r["cc100_gib"], r["in_cc100"], r["in_mbert"]) == \
                (base["cc100_gib"], base["in_cc100"], base["in_mbert"]), code


@pytest.mark.parametrize("code, key", [
    ("yor_Latn", "yor_Latn"), ("yor_latn", "yor_Latn"), ("ary_arab", "ary_Arab"), ("yor-Latn", "yor_Latn"),
    ("yor", "yor_Latn"), ("ace", "ace_Latn"), ("zho", "zho_Hans"), ("swa", "sw"), ("orm", "om"), ("tw", "twi_Latn"),
    ("yo", "yo"), ("en", "en"), ("pcm", "pcm"), ("arq", "arq"), ("nah", "nah"), ("YO", "yo"),
])
def test_codes_resolve(code, key):
    assert resolve(code) == key


def test_codes_map_to_and_from_the_two_letter_codes():
    assert flores_code("yo") == "yor_Latn" and flores_code("ar") == "arb_Arab" and flores_code("zh") == "zho_Hans"
    assert flores_code("ak") == "aka_Latn" and flores_code("pcm") is None
    assert rxlt_code("yor_Latn") == "yo" and rxlt_code("arb_Latn") == "ar" and rxlt_code("twi_Latn") == "ak"
    assert rxlt_code("swh_Latn") == "sw" and rxlt_code("ace_Latn") is None
    for code in FLORES_VARIETIES:  # round trip through the language-level row where it names this variety
        two = rxlt_code(code)
        if two and flores_code(two) == code:
            assert resolve(two) == two and rxlt_code(flores_code(two)) == two


def test_unknown_codes_suggest():
    with pytest.raises(UnknownNameError, match="no FLORES-200 variety 'yor_Latm'.*did you mean 'yor_Latn'"):
        language("yor_latm")
    with pytest.raises(UnknownNameError, match="unknown language 'xyz'"):
        language("xyz")


def test_every_suite_code_resolves_with_its_metadata():
    assert set(flores.SUITE_CODES) == {"afrisenti", "masakhaner2", "americasnli", "nusax", "belebele"}
    assert [len(v) for v in flores.SUITE_CODES.values()] == [14, 20, 10, 12, 122]
    for suite, codes in flores.SUITE_CODES.items():
        for code in codes:
            r = language(code)
            assert r["name"] and r["script"], (suite, code)
            if suite == "belebele":
                assert r["code"] == code and r["src"] in ("flores", "belebele"), code
    assert language("bzd")["family"] == "Chibchan" and language("oto")["family"] == "Otomanguean"


def test_tiers_and_predictor_coverage_cover_all_205_without_dropping_any():
    tiers = assign_tiers(FLORES_VARIETIES, "joshi")
    assert len(tiers) == 205 and sum(t == "unseen" for t in tiers.values()) == 115
    cov = covariate_table(FLORES_VARIETIES)
    assert len(cov) == 205
    coverage = predictor_coverage(cov).set_index("predictor")
    assert coverage.loc["log2_cc100_gib", "with_value"] == 90 and coverage.loc["joshi", "with_value"] == 170
    # a size predictor is defined only for languages the model's corpus saw (XLM-R's CC-100 here): never imputed
    assert coverage.loc["log2_wiki_tokens_m", "with_value"] == 90 and cov.wiki_tokens_m.notna().sum() == 166
    mbert = predictor_coverage(covariate_table(FLORES_VARIETIES, "wikipedia")).set_index("predictor")
    assert mbert.loc["log2_wiki_tokens_m", "with_value"] == 87 and mbert.loc["log2_cc100_gib", "with_value"] == 72
    assert (coverage.with_value + coverage.without_value == 205).all()
    assert "acm_Arab" in coverage.loc["joshi", "missing"]
    assert cov.set_index("language").wiki_tokens_m["ace_Latn"] == pytest.approx(0.370318)  # an edition only here
