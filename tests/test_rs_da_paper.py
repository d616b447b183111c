"""RS-DA with the paper's synonym list is Robust-XLT's perturb.py (uclanlp/Robust-XLT@175cddb): a uniform draw over
the word and its neighbours, `copies` copies, the original dropped, raw whitespace tokens — statistically and
draw for draw on seeded PAWS-X sentences; each rxlt deviation is an explicit key. WordNet augmentation never
touches capitalised tokens, keeps to one part of speech and frequent senses, and never draws a lemma of a sense
WordNet marks offensive."""
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chisquare

from conftest import SHARED
from rxlt.train.augmentation import augment, describe, file_sha256, perturb_text
from rxlt.train.synonyms import (PAPER_SYNONYMS_FILE, PAPER_SYNONYMS_SHA256, PROTECTED_WORDS, JsonSynonyms,
                                 WordNetSynonyms)

SHARED_LIST = SHARED / "robust-xlt" / "counterfitted_neighbors.json"
PAWSX_DEV = SHARED / "xtreme-r" / "pawsx" / "dev-en.tsv"


@pytest.fixture(scope="module")
def paper_list() -> Path:
    """The shipped copy of the paper's list, or ../shared's; skip when neither is there."""
    for path in (PAPER_SYNONYMS_FILE, SHARED_LIST):
        if path.is_file():
            return path
    pytest.skip("the paper's counterfitted_neighbors.json is neither shipped nor in ../shared/robust-xlt")


@pytest.fixture(scope="module")
def neighbors(paper_list) -> dict:
    return json.loads(paper_list.read_text())


def perturb_py(sent: str, table: dict, n: int) -> list[str]:
    """perturb.py's `perturb`, re-expressed: split on ' ', each token with a non-empty neighbour list replaced by
    np.random.randint over [token] + neighbours, n copies (the global legacy numpy generator)."""
    words, out = sent.split(" "), []
    for _ in range(n):
        drawn = []
        for w in words:
            options = [w] + table.get(w, [])
            drawn.append(options[np.random.randint(0, len(options))] if len(options) > 1 else w)
        out.append(" ".join(drawn))
    return out


def test_the_list_is_the_papers_byte_for_byte(paper_list):
    assert file_sha256(paper_list) == PAPER_SYNONYMS_SHA256
    if SHARED_LIST.is_file() and PAPER_SYNONYMS_FILE.is_file():
        assert PAPER_SYNONYMS_FILE.read_bytes() == SHARED_LIST.read_bytes()


def test_seeded_pawsx_copies_equal_perturb_py_draw_for_draw(neighbors, paper_list):
    if PAWSX_DEV.is_file():
        rows = [line.rstrip("\n").split("\t") for line in PAWSX_DEV.read_text(encoding="utf-8").splitlines()[:40]]
    else:  # sentences in PAWS's tokenisation (spaces around punctuation)
        rows = [["the movie was a good film , and no one left early .", "no one left the good movie early .", "1"],
                ["Kathy and her husband are stable financially .", "her husband is financially stable .", "0"]]
    df = pd.DataFrame(rows, columns=["text", "text_pair", "label"])
    for seed in (0, 7):
        out = augment(df, JsonSynonyms(paper_list), 10, seed=seed)
        np.random.seed(seed)
        expected = {col: [] for col in ("text", "text_pair")}
        for s1, s2, _ in rows:  # perturb.py: per line, the first sentence's 10 copies, then the second's
            expected["text"].append(perturb_py(s1, neighbors, 10))
            expected["text_pair"].append(perturb_py(s2, neighbors, 10))
        assert len(out) == 10 * len(df) and (out["copy"] >= 1).all()  # the original is dropped
        for col in ("text", "text_pair"):
            got = out[col].to_numpy().reshape(10, len(df))  # block c = copy c of every row
            assert [[got[c][i] for c in range(10)] for i in range(len(df))] == expected[col]
        assert out.label.tolist() == df.label.tolist() * 10
        changed = (out.text.to_numpy() != np.tile(df.text.to_numpy(), 10)).mean()
        assert changed > 0.5  # the draw does substitute (so the equality above is not vacuous)


def test_draw_is_uniform_over_the_word_and_its_neighbours(neighbors, paper_list):
    table = JsonSynonyms(paper_list)
    words = ["movie", "no", "good"]
    assert len(neighbors["movie"]) == 8 and "no" in neighbors  # "no" is not protected by perturb.py
    n = 1800
    df = pd.DataFrame({"text": [" ".join(words)]})
    out = augment(df, table, n, seed=3)
    for k, w in enumerate(words):
        drawn = out.text.str.split(" ").str[k]
        options = [w] + neighbors[w]
        counts = drawn.value_counts().reindex(options, fill_value=0)
        assert counts.sum() == n  # nothing outside [word] + neighbours
        assert chisquare(counts.to_numpy()).pvalue > 1e-3, (w, counts.to_dict())  # uniform (seeded, deterministic)
    # tokens are matched raw: capitalised or punctuated forms are not keys, so they never change
    assert set(augment(pd.DataFrame({"text": ["Movie movie, MOVIE"]}), table, 200, seed=0).text) == {"Movie movie, MOVIE"}


def test_deviations_are_keys_and_named_in_the_run_record(paper_list):
    table = JsonSynonyms(paper_list)
    seen = {perturb_text("No good Movie,", table, np.random.RandomState(s), tokens="normalized", protected=True)
            for s in range(300)}
    assert all(t.startswith("No ") for t in seen)  # "no" protected
    assert {t.split(" ")[2][-1] for t in seen} == {","} and len({t.split(" ")[2] for t in seen}) > 3
    assert "no" in PROTECTED_WORDS
    faithful = describe(str(paper_list), "raw", False, 8, False, False)
    assert faithful["method"].startswith("RS-DA (Huang et al. 2021)") and faithful["deviations_from_perturb_py"] == []
    deviating = describe(str(paper_list), "normalized", True, 8, True, False)
    assert deviating["deviations_from_perturb_py"] == ["rs_da_tokens: normalized", "rs_da_protected_words",
                                                       "rs_da_keep_original"]
    assert describe("", "raw", False, 8, False, False, "/usr/share/wordnet")["method"].startswith(
        "WordNet synonym augmentation (not the paper's RS-DA")


# ---------------------------------------------------------------- WordNet
def _wordnet():
    try:
        return WordNetSynonyms()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


# How WordNet 3.0's glosses say a sense is offensive, as plain phrases (read from its data.* files; independent of
# rxlt.train.synonyms.OFFENSIVE_GLOSS, which must catch every one): searched in the definition, examples removed.
OFFENCE_PHRASES = (
    "(ethnic slur)", "ethnic slur", "(offensive)", "(vulgar)", "(obscene)", "(disparaging)", "(derogatory)",
    "offensive term", "offensive name", "offensive word", "obscene term", "obscene word", "vulgar term", "vulgar slang",
    "vulgar word", "disparaging term", "disparaging name", "derogatory term", "contemptuous term", "insulting term",
    "pejorative term", "term of abuse", "terms of abuse", "term of contempt", "terms of contempt",
    "now considered offensive", "used pejoratively", "used disparagingly",
)
# and in a usage example: "in England `fanny' is vulgar slang for female genitals"
OFFENCE_IN_EXAMPLE = ("' is vulgar slang", "' is offensive slang", "' is an offensive term", "' is obscene slang")


def _marked_lemmas(root: Path) -> tuple[set[str], set[str]]:
    """(lemmas of every synset with a usage-domain pointer to WordNet's ethnic slur, disparagement or obscenity
    synsets — found by their lemmas, independently of rxlt's offsets — or whose gloss says it is offensive
    (OFFENCE_PHRASES, OFFENCE_IN_EXAMPLE); every lemma sharing a synset with one of them: the only words for which a
    marked lemma could be a candidate)."""
    def words(p):
        return [w.split("(")[0].lower() for w in p[4: 4 + 2 * int(p[3], 16): 2]]

    def offensive(gloss):
        definition = re.sub(r'"[^"]*"', " ", gloss).lower()
        return any(ph in definition for ph in OFFENCE_PHRASES) or any(ph in gloss for ph in OFFENCE_IN_EXAMPLE)

    data = {pos: (root / f"data.{pos}").read_text(encoding="utf-8").splitlines() for pos in ("noun", "verb", "adj", "adv")}
    domains = set()
    for line in data["noun"]:
        if not line.startswith("  ") and any(f" {d} " in line.split("|")[0] for d in ("ethnic_slur", "disparagement", "obscenity")):
            p = line.split("|")[0].split()
            if p[1] == "10" and {"ethnic_slur", "disparagement", "obscenity"} & set(words(p)):  # noun.communication
                domains.add(int(p[0]))
    assert len(domains) == 3
    marked = set()
    for lines in data.values():
        for line in lines:
            if line.startswith("  "):
                continue
            head, _, gloss = line.partition("|")
            p = head.split()
            if any(p[j] == ";u" and int(p[j + 1]) in domains for j in range(len(p) - 1)) or offensive(gloss):
                marked.update(words(p))
    neighbours = set()
    for pos, lines in data.items():
        offsets = []
        for line in (root / f"index.{pos}").read_text(encoding="utf-8").splitlines():
            if line.split(" ", 1)[0] in marked:
                p = line.split()
                offsets += [int(o) for o in p[-int(p[2]):]]
        with open(root / f"data.{pos}", "rb") as f:
            for off in offsets:
                f.seek(off)
                neighbours.update(words(f.readline().decode("utf-8").split()))
    return marked, neighbours


def test_no_wordnet_substitute_is_ever_a_lemma_of_an_offensive_sense():
    wn = _wordnet()
    marked, words = _marked_lemmas(wn.root)
    assert {"wop", "dago", "greaseball", "ginzo", "colored", "wanker", "gonif", "loony_bin", "fanny"} <= marked
    missed = sorted(marked - wn.banned_lemmas)
    assert not missed, f"lemmas of senses WordNet labels offensive that rxlt would offer: {missed}"
    assert len(words) > 500
    assert wn("guinea") == () and wn("italian") == ()  # issue 14: guinea → wop, dago, greaseball
    assert "colored" not in wn("dark-skinned")  # "a United States term for Blacks that is now considered offensive"
    assert "use" in wn("apply")  # "a racial slur" in a usage example of `apply` is no mark
    offered = {c for w in words for c in wn(w)}  # every word that shares a synset with a marked lemma
    assert len(offered) > 100 and not offered & marked and not offered & wn.banned_lemmas
    texts = ["a guinea for the italian man", "Guinea Turkey China turkey china", "the black cat is a bastard",
             "a dark-skinned man"]
    out = augment(pd.DataFrame({"text": texts}), wn, 50, seed=0)
    drawn = {t for new, old in zip(out.text, texts * 50) for t, o in zip(new.split(" "), old.split(" ")) if t != o}
    assert not drawn & marked


def test_offensive_gloss_labels_are_read_from_the_definition():
    from rxlt.train.synonyms import offensive_gloss

    for gloss in ("a United States term for Blacks that is now considered offensive", "terms of abuse for a masturbator",
                  "pejorative terms for an insane asylum", "(ethnic slur) offensive term for a person of X descent",
                  "(used pejoratively) out of fashion; old fashioned", "a thief (often used as a general term of abuse)",
                  'external female sex organs; "in England `fanny\' is vulgar slang for female genitals"'):
        assert offensive_gloss(gloss), gloss
    for gloss in ('refer (a word or name) to a person or thing; "He applied this racial slur to me!"',
                  "an inoffensive or indirect expression that is substituted for one that is considered offensive",
                  'being appropriate to everyday language; "the technical and vulgar names for an animal species"',
                  "a rude or vulgar fool", "slang for a jail"):
        assert not offensive_gloss(gloss), gloss


def test_wordnet_keeps_proper_nouns_one_part_of_speech_and_frequent_senses():
    wn = _wordnet()
    for text in ("Guinea Turkey China", "Guinea-Bissau Turkey, China."):
        for tokens in ("raw", "normalized"):  # normalized does not lower-case for WordNet: capitals stay
            assert set(augment(pd.DataFrame({"text": [text]}), wn, 30, seed=1, tokens=tokens).text) == {text}
    assert wn("Movie") == () and "film" in wn("movie") and "flick" not in wn("movie")  # untagged sense of flick
    assert "large" in wn("big") and "nation" in wn("country")
    for word in ("run", "good", "find", "cheap", "world", "quick", "country", "house", "start"):
        senses = wn.senses(word)
        assert len({pos for pos, _ in senses}) <= 1, word  # one part of speech
    assert all(c not in PROTECTED_WORDS for w in ("country", "find") for c in wn(w))
    assert wn("a") == () and wn("will") == ()  # closed-class homographs (angstrom, volition)
