"""SIB-200: the shipped copy, the upstream layout and the hub layouts load into the same frames; bad files name
file and line; the splits never share an item; phases 1-3 and `rxlt study` accept the task."""
import gzip
import hashlib
import sys
import types
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from conftest import SHARED
from rxlt.data import catalog, provenance, sib200
from rxlt.data.readers import DataFileError
from rxlt.lookup import UnknownNameError

FIXTURES = Path(__file__).parent / "fixtures"
UPSTREAM = FIXTURES / "sib200"  # a clone's root: data/annotated/<lang>/<split>.tsv
SHARED_SIB = SHARED / "sib-200" / "annotated"


def test_shipped_copy_is_all_205_varieties_under_5_mb_per_file(offline):
    folders = sorted(p.name for p in (sib200.SHIPPED / "annotated").iterdir())
    assert folders == sorted(sib200.VARIETIES) and len(folders) == 205
    files = sorted((sib200.SHIPPED / "annotated").glob("*/*.tsv.gz"))
    assert len(files) == 615 and max(f.stat().st_size for f in files) < 5 * 2**20
    assert (sib200.SHIPPED / "LICENSE").read_text().startswith("Attribution-ShareAlike 4.0 International")
    assert "593cea88519930f776c1a4a1980b6a35b39dca57" in (sib200.SHIPPED / "README.md").read_text()


def test_shipped_copy_loads_offline_parallel_and_with_disjoint_splits(offline):
    test, train, dev = (sib200.load(s) for s in ("test", "train", "dev"))
    assert test.language.nunique() == 205 and (test.groupby("language").size() == 204).all()
    assert len(train) == 205 * 701 and len(dev) == 205 * 99
    assert list(test.columns) == ["language", "key", "index_id", "text", "label"] and "en" in set(test.language)
    assert set(test.label) == set(sib200.LABELS) == set(catalog.labels("sib200")) and len(sib200.LABELS) == 7
    # every language holds the same items, and no test item is a train or dev item in any language
    assert test.groupby("language").index_id.apply(frozenset).nunique() == 1
    assert not set(test.index_id) & (set(train.index_id) | set(dev.index_id)) and not set(train.index_id) & set(dev.index_id)
    assert len(set(test.index_id) | set(train.index_id) | set(dev.index_id)) == 1004
    # labels are per item: the same in every language
    assert test.groupby("index_id").label.nunique().max() == 1
    used = [u for u in provenance.used() if u.get("task") == "sib200"]
    assert len(used) == 615 and {u["source"] for u in used} == {"rxlt shipped copy"}
    assert all(u["upstream"].startswith("dadelani/sib-200@593cea8") and u["bytes"] > 0 for u in used)


@pytest.mark.skipif(not SHARED_SIB.is_dir(), reason="../shared/sib-200 not present")
def test_shipped_copy_is_byte_identical_to_upstream():
    for variety in sib200.VARIETIES:
        for split in sib200.SPLITS:
            src = SHARED_SIB / variety / f"{split}.tsv"
            data = src.read_bytes() if src.is_file() else \
                zipfile.ZipFile(SHARED_SIB / f"{variety}.zip").read(f"{variety}/{split}.tsv")
            shipped = gzip.decompress((sib200.SHIPPED / "annotated" / variety / f"{split}.tsv.gz").read_bytes())
            assert hashlib.sha256(shipped).digest() == hashlib.sha256(data).digest(), (variety, split)


def test_upstream_layout_reads_csv_quoting_and_the_zipped_nko(offline):
    df = sib200.load("test", data_dir=UPSTREAM)
    assert sorted(df.language.unique()) == ["en", "nqo_Nkoo", "yor_Latn"]
    en = df[df.language == "en"].set_index("index_id")
    assert en.text[10] == 'Engineers call the new chip "fast"\tand "cheap".'  # quotes undoubled, tab kept
    assert en.label[10] == "science/technology" and en.key[10] == "10"
    paths = [u["path"] for u in provenance.used()]
    assert any(p.endswith("nqo_Nkoo.zip!nqo_Nkoo/test.tsv") for p in paths)
    assert any(p.endswith("data/annotated/yor_Latn/test.tsv") for p in paths)
    assert sib200.available_languages("train", data_dir=UPSTREAM) == ["en", "nqo_Nkoo", "yor_Latn"]
    with pytest.raises(FileNotFoundError, match=r"sib200 test zul_Latn: .*zul_Latn/test.tsv does not exist"):
        sib200.load("test", ["zul_Latn"], data_dir=UPSTREAM)
    with pytest.raises(FileNotFoundError, match="no SIB-200 files under"):
        sib200.load("test", data_dir=FIXTURES / "xtreme")


def test_hub_snapshot_and_hub_give_the_upstream_frames(offline, monkeypatch):
    upstream = sib200.load("dev", ["en", "yo"], data_dir=UPSTREAM)
    monkeypatch.setenv("RXLT_DATA_DIR", str(FIXTURES / "hub"))
    snapshot = catalog.examples("sib200", "dev", ["en", "yor_Latn"])
    pd.testing.assert_frame_equal(snapshot, upstream)
    assert any(u.get("repo_id") == "Davlan/sib200" and u["split"] == "validation" for u in provenance.used())
    assert catalog.evaluation_languages("sib200") == ["en", "yor_Latn"]

    calls = []

    class FakeDataset:  # what datasets.load_dataset returns, enough for rxlt.data.hub_tasks._from_hub
        cache_files = []

        def __init__(self, config, split):
            self.frame = pd.read_parquet(FIXTURES / "hub" / "Davlan" / "sib200" / config / split / "0000.parquet")

        def to_pandas(self):
            return self.frame

    def load_dataset(repo, config, split, revision=None):
        calls.append((repo, config, split))
        return FakeDataset(config, split)

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    hub = sib200.load("dev", ["en", "yor_Latn"], source="hub")
    pd.testing.assert_frame_equal(hub, upstream)
    assert calls == [("Davlan/sib200", "eng_Latn", "validation"), ("Davlan/sib200", "yor_Latn", "validation")]


@pytest.mark.parametrize("body, message", [
    ("index_id\tcategory\ttext\n1\ttravel\t\"an unterminated quote\n", r"bad\.tsv:\d+: .*CSV-quoted TSV"),
    ("id\tcategory\ttext\n1\ttravel\tfine\n", r"bad\.tsv:1: header \['id', 'category', 'text'\]"),
    ("index_id\tcategory\ttext\n1\ttravel\tfine\n2\tcooking\tfine too\n", r"bad\.tsv:3: category 'cooking' is not one of"),
    ("index_id\tcategory\ttext\n1\ttravel\n", r"bad\.tsv:2: expected 3 tab-separated fields .* got 2"),
    ("index_id\tcategory\ttext\nx1\ttravel\tfine\n", r"bad\.tsv:2: index_id 'x1' is not an integer"),
    ("index_id\tcategory\ttext\n1\ttravel\ta\n1\ttravel\tb\n", r"bad\.tsv:3: index_id 1 occurs twice"),
])
def test_a_malformed_file_is_a_data_file_error_with_file_and_line(tmp_path, body, message):
    path = tmp_path / "bad.tsv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DataFileError, match=message):
        sib200.read_tsv(path)


def test_local_files_of_the_upstream_layout_and_an_empty_one(tmp_path, offline):
    """The runner's pre-run check sees the upstream copy's files (not the shipped copy, which the tests above check)."""
    import shutil

    root = tmp_path / "data"
    shutil.copytree(UPSTREAM, root)
    base = root / "data/annotated"
    assert sorted(catalog.local_files("sib200", root)) == sorted(  # N'Ko from its zip archive, as upstream ships it
        (s, p) for s in ("train", "dev", "test")
        for p in (base / "eng_Latn" / f"{s}.tsv", base / "yor_Latn" / f"{s}.tsv", base / "nqo_Nkoo.zip"))
    catalog.check_local_files("sib200", root)
    (root / "data/annotated/yor_Latn/test.tsv").write_text("")
    with pytest.raises(DataFileError, match=r"yor_Latn/test.tsv: empty file \(sib200 test\)"):
        catalog.check_local_files("sib200", root)
    assert sib200.local_files("test", root, source="shipped") == []


def test_non_parallel_languages_are_refused(tmp_path, offline):
    for lang, ids in (("eng_Latn", [1, 2]), ("yor_Latn", [1, 3])):
        (tmp_path / "data" / "annotated" / lang).mkdir(parents=True)
        rows = "".join(f"{i}\ttravel\ttext {i}\n" for i in ids)
        (tmp_path / "data" / "annotated" / lang / "test.tsv").write_text("index_id\tcategory\ttext\n" + rows)
    with pytest.raises(DataFileError, match="yor_Latn and eng_Latn hold different items"):
        sib200.load("test", data_dir=tmp_path)


def test_codes_resolve_to_varieties_and_unknown_ones_suggest(offline):
    assert [sib200.variety_of(c) for c in ("en", "eng_Latn", "yo", "yor", "yor_latn", "zh", "ar")] == \
        ["eng_Latn", "eng_Latn", "yor_Latn", "yor_Latn", "yor_Latn", "zho_Hans", "arb_Arab"]
    with pytest.raises(UnknownNameError, match="did you mean 'yor_Latn'"):
        sib200.load("test", ["yor_Latm"])
    with pytest.raises(ValueError, match="sib200 has no split 'validation'"):
        sib200.load("validation")
    with pytest.raises(ValueError, match="sib200 source 'web'"):
        sib200.load("test", source="web")


def test_phases_and_the_study_accept_sib200_and_reject_bad_languages_before_compute(offline, tmp_path):
    from dataclasses import replace

    from rxlt.params.phases import EvaluateParams, FinetuneParams, ParamsError
    from rxlt.params.strict import build
    from rxlt.run.study import expand, load_study

    cfg = load_study(Path(__file__).parents[1] / "params" / "sib200.yaml")  # its expansion: test_study_params_files
    evaluations = [r.params for r in expand(cfg, tmp_path) if r.phase == "03_evaluate"]
    # probe once per seed, direct and intermediate once per objective and seed
    assert len(evaluations) == len(cfg.seeds) * (1 + 2 * len(cfg.objectives)) == 45
    assert {p.languages for p in evaluations} == {("all",)}
    assert build(FinetuneParams, {"task": "sib200"}).task == "sib200"
    assert build(EvaluateParams, {"languages": ["yor_Latn", "en", "nqo_Nkoo"], "finetune_run": str(tmp_path)}).languages[0] == "yor_Latn"
    with pytest.raises(ParamsError, match="key 'languages'.*did you mean 'yor_Latn'"):
        expand(replace(cfg, languages=("en", "yor_Latm")), tmp_path)
