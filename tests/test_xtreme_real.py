"""Every real XTREME-R file under ../shared/xtreme-r parses with the counts its README states (skipped when
the folder is absent; the files are never copied into the project)."""
import pytest
from conftest import SHARED

from rxlt.data import xtreme_loader
from rxlt.data.xtreme_tasks import XTREME_TASKS

REAL = SHARED / "xtreme-r"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/xtreme-r is absent")


def counts(task: str, split: str) -> dict:
    return xtreme_loader.load(task, split, data_dir=REAL).groupby("language").size().to_dict()


def test_xnli_dev_2490_pairs_in_each_of_15_languages_aligned_by_line():
    dev = xtreme_loader.load("xnli", "dev", data_dir=REAL)
    assert dev.groupby("language").size().to_dict() == {lg: 2490 for lg in XTREME_TASKS["xnli"]["languages"]}
    labels = dev.pivot(index="key", columns="language", values="label")
    assert (labels.nunique(axis=1) == 1).all()  # line i of every dev-<lang>.tsv is the same item
    assert set(dev.label) == {"entailment", "neutral", "contradiction"}


def test_pawsx_dev_2000_pairs_in_each_of_7_languages():
    dev = xtreme_loader.load("pawsx", "dev", data_dir=REAL)
    assert dev.groupby("language").size().to_dict() == {lg: 2000 for lg in XTREME_TASKS["pawsx"]["languages"]}
    # line i of every dev-<lang>.tsv is the same item, but PAWS-X's translated sets carry their own labels:
    # 72 of the 2,000 items have a different label in at least one of the 7 files (96.4% agree; counted here)
    agree = (dev.pivot(index="key", columns="language", values="label").nunique(axis=1) == 1).mean()
    assert 0.95 < agree < 1.0


def test_xquad_1190_questions_in_each_of_12_languages_with_valid_offsets():
    test = xtreme_loader.load("xquad", "test", data_dir=REAL)
    assert test.groupby("language").size().to_dict() == {lg: 1190 for lg in XTREME_TASKS["xquad"]["languages"]}
    assert test.groupby("key").language.nunique().eq(12).all()  # ids shared by the 12 translations
    ok = [c[s:s + len(a)] == a for c, ss, aa in zip(test.context, test.answer_starts, test.answers)
          for s, a in zip(ss, aa)]
    assert all(ok)


def test_udpos_30389_test_sentences_over_37_languages_and_english_dev():
    test = counts("udpos", "test")
    assert len(test) == 37 and sum(test.values()) == 30389 and "wo" not in test
    assert counts("udpos", "dev") == {"en": 2002}  # UD_English-EWT dev at r2.7: 2,002 "# sent_id" lines


def test_udpos_multiword_tokens_are_fused_as_xtreme_download_data_sh_writes_them():
    """German GSD "zum" (zu + dem) and Spanish GSD "del" (de + el) are one token each, tagged ADP (the tie
    between the ADP and the DET goes to ADP in the converter's precedence lists); no split word is left."""
    test = xtreme_loader.load("udpos", "test", ["de", "es"], data_dir=REAL)
    pairs = {lg: [(w, t) for r in test[test.language == lg].itertuples() for w, t in zip(r.tokens, r.tags)]
             for lg in ("de", "es")}
    assert pairs["de"].count(("zum", "ADP")) == 29 and ("zu", "ADP") in pairs["de"]  # "zu" alone stays a word
    assert pairs["es"].count(("del", "ADP")) == 160
    # 16,498 word lines (awk) minus one per two-word multiword token (274 of them) = 16,224 tokens
    assert sum(len(t) for t in test[test.language == "de"].tokens) == 16224


def test_panx_dev_293600_sentences_over_47_languages():
    dev = counts("panx", "dev")
    assert len(dev) == 47 and sum(dev.values()) == 293600
    assert dev["en"] == 10000 and dev["yo"] == 100


def test_summary_sees_what_is_there():
    table = xtreme_loader.summary("pawsx", REAL)
    assert table.split.unique().tolist() == ["dev"] and table.examples.sum() == 14000
