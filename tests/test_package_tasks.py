"""English intermediate tasks from installed Debian packages: the file formats parse (tiny files in the packages'
formats), the real tasks build offline when the packages are there (skip otherwise), split by item, hold no
SIB-200 text, and phase 1 trains on them with the classification head."""
from pathlib import Path

import pytest

from rxlt.data import catalog, package_tasks, provenance, sib200
from rxlt.data.readers import DataFileError

WORDNET = Path(package_tasks.WORDNET_DIR)
FORTUNES = Path(package_tasks.FORTUNES_DIR)
# wndb(5WN) lines: offset lex_filenum ss_type w_cnt (hex) word lex_id ... p_cnt pointers | gloss
SYNSETS = {
    "noun": [("02084071", 5, "n", "dog", 'a member of the genus Canis that has been domesticated; "the dog barked"'),
             ("07747607", 13, "n", "apple", "fruit with red or yellow or green skin and crisp flesh"),
             ("02121620", 5, "n", "cat", "feline mammal usually having thick soft fur"),
             ("07739125", 13, "n", "pear", 'sweet juicy gritty-textured fruit; "a ripe pear"; "pears in syrup"')],
    "verb": [("01835496", 38, "v", "travel", "change location; move, travel, or proceed"),
             ("00941990", 32, "v", "talk", 'express in speech; "She talks a lot of nonsense"')],
    "adj": [("00001740", 0, "a", "able", "(usually followed by `to') having the necessary means or skill"),
            ("00002098", 0, "a", "unable", 'not having the necessary means; "unable to get to town"')],
    "adv": [("00001740", 2, "r", "a_cappella", "without musical accompaniment")],
}


# enough more synsets that every split has some (phase 1 reads train, dev and test)
FILLER = [(f"{10000000 + i}", 9 + i % 3, "n", f"word{i}", f"made-up definition number {i} of a noun")
          for i in range(40)]


def write_wordnet(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for pos, name in package_tasks.WORDNET_FILES.items():
        lines = ["  1 This software and database is being provided to you, the LICENSEE, by  "]
        synsets = SYNSETS[pos] + (FILLER if pos == "noun" else [])
        lines += [f"{off} {lex:02d} {ss} 01 {word} 0 000 | {gloss}  " for off, lex, ss, word, gloss in synsets]
        (root / name).write_text("\n".join(lines) + "\n")


def write_fortunes(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for topic in package_tasks.FORTUNE_TOPICS:
        items = [f"A {topic} saying number {i}, long enough to keep." for i in range(3)]
        items.append("short")  # under 20 characters: left out
        if topic == "science":
            items.append("_\bE_\bm_\bp_\bh_\ba_\bs_\bi_\bs is removed from\n\tthis science line.")
        (root / topic).write_text("\n%\n".join(items) + "\n%\n", encoding="utf-8")


@pytest.fixture()
def package_dirs(tmp_path, monkeypatch, offline):
    write_wordnet(tmp_path / "wordnet")
    write_fortunes(tmp_path / "fortunes")
    monkeypatch.setenv("RXLT_WORDNET_DIR", str(tmp_path / "wordnet"))
    monkeypatch.setenv("RXLT_FORTUNES_DIR", str(tmp_path / "fortunes"))
    return tmp_path


def test_wordnet_glosses_parse_to_definitions_and_lexicographer_files(package_dirs):
    rows = {r["key"]: r for r in package_tasks.wordnet_glosses()}
    assert len(rows) == 9 + len(FILLER) and len(package_tasks.LEXNAMES) == 45
    assert rows["n02084071"] == {"key": "n02084071", "text": "a member of the genus Canis that has been domesticated",
                                 "label": "noun.animal"}
    assert rows["n07739125"]["text"] == "sweet juicy gritty-textured fruit" and rows["n07739125"]["label"] == "noun.food"
    assert rows["v00941990"]["label"] == "verb.communication" and rows["r00001740"]["label"] == "adv.all"
    assert rows["a00001740"]["text"].startswith("(usually followed by `to')")
    (package_dirs / "wordnet" / "data.adv").write_text("00001740 02 r a_cappella 0 000 without a bar\n")
    with pytest.raises(DataFileError, match=r"data\.adv:1: expected `synset_offset lex_filenum"):
        package_tasks.wordnet_glosses()


def test_fortunes_parse_by_topic_and_clean_overstriking(package_dirs):
    rows = package_tasks.fortune_items()
    assert len(rows) == 16 * 3 + 1 and {r["label"] for r in rows} == set(package_tasks.FORTUNE_TOPICS)
    assert [r["text"] for r in rows if r["key"] == "science:4"] == ["Emphasis is removed from this science line."]


def test_splits_are_by_item_deterministic_and_the_tasks_reach_phase_1_through_the_catalog(package_dirs):
    frames = {s: catalog.examples("wordnet-gloss", s) for s in ("train", "dev", "test")}
    keys = [set(f.key) for f in frames.values()]
    assert sum(map(len, keys)) == 9 + len(FILLER) and all(keys) and not (keys[0] & keys[1] or keys[0] & keys[2] or keys[1] & keys[2])
    assert all(package_tasks.split_of(k) == s for s, f in frames.items() for k in f.key)
    assert list(frames["train"].columns) == ["language", "key", "text", "label"] and set(frames["train"].language) == {"en"}
    assert catalog.labels("wordnet-gloss") == list(package_tasks.LEXNAMES)
    assert any(u["task"] == "fortune-topic" for u in (catalog.examples("fortune-topic", "train"), provenance.used())[1])


def test_a_missing_package_is_a_clear_error(tmp_path, monkeypatch, offline):
    monkeypatch.setenv("RXLT_WORDNET_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="install Debian's wordnet-base"):
        catalog.examples("wordnet-gloss", "train")


def _real(task: str):
    if not package_tasks.available(task):
        pytest.skip(f"{task}: {package_tasks.task_spec(task)['package']} not installed (make setup installs it)")
    return package_tasks.build(task)


@pytest.mark.parametrize("task, labels", [("wordnet-gloss", 45), ("fortune-topic", 16)])
def test_real_tasks_build_offline_split_by_item_and_hold_no_sib200_text(task, labels, offline, monkeypatch):
    monkeypatch.delenv("RXLT_WORDNET_DIR", raising=False)
    monkeypatch.delenv("RXLT_FORTUNES_DIR", raising=False)
    df = _real(task)
    assert df.label.nunique() == labels and df.key.is_unique and df.text.is_unique
    assert set(df.split) == {"train", "dev", "test"} and (df.split == "train").mean() > 0.7
    english = {" ".join(t.split()).casefold() for s in sib200.SPLITS for t in sib200.load(s, ["en"]).text}
    assert not set(df.text.map(lambda t: " ".join(t.split()).casefold())) & english
    if task == "wordnet-gloss":  # capped per label: at most 300 train / 40 dev / 40 test items of each file
        assert df[df.split == "train"].groupby("label").size().max() <= 300


def test_phase_1_trains_on_both_package_tasks(package_dirs, tmp_path):
    from rxlt.params.phases import IntermediateParams
    from rxlt.params.strict import build
    from rxlt.phases.intermediate import run_intermediate
    from rxlt.results import read_results, start_run

    cfg = build(IntermediateParams, {"tasks": ["wordnet-gloss", "fortune-topic"], "encoder_layers": 1, "epochs": 1,
                                     "run_dir": str(tmp_path / "r")})
    run_intermediate(start_run("01_intermediate", cfg))
    res = read_results(tmp_path / "r")
    assert set(res["metrics"]) == {"wordnet-gloss", "fortune-topic"}
    assert res["samples"]["fortune-topic"]["train"]["used"] == len(catalog.examples("fortune-topic", "train"))
    assert any(s.get("task") == "wordnet-gloss" for s in res["provenance"]["data_sources"])
