"""English intermediate-task catalogue: local hub-layout snapshots load; missing data fails clearly."""
from pathlib import Path

import pytest

from rxlt.data import catalog, hub_tasks

FIXTURES = Path(__file__).parent / "fixtures" / "hub"


@pytest.fixture()
def local_hub(monkeypatch):
    monkeypatch.setenv("RXLT_DATA_DIR", str(FIXTURES))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def test_catalogue_spans_domains_and_kinds():
    cat = hub_tasks.catalogue()
    assert {"mnli", "anli", "qqp", "squad", "hellaswag", "cosmosqa", "commonsenseqa"} <= set(cat.task)
    assert cat.domain.nunique() == len(cat) and {"pair-classification", "multiple-choice", "extractive-qa"} <= set(cat.kind)


def test_mnli_loads_from_a_local_snapshot_with_label_names(local_hub):
    train = catalog.examples("mnli", "train")
    assert len(train) == 12 and list(train.columns) == ["text", "label", "text_pair", "language"]
    assert train.label.tolist()[:3] == ["entailment", "neutral", "contradiction"]
    assert train.text_pair.iloc[0] == "A person plays music."
    assert len(catalog.examples("mnli", "dev")) == 6
    assert catalog.labels("mnli") == ["entailment", "neutral", "contradiction"]


def test_unlabelled_rows_are_dropped(local_hub):
    dev = catalog.examples("qqp", "dev")
    assert len(dev) == 1 and dev.label.tolist() == ["duplicate"]


def test_missing_local_data_offline_is_a_clear_error(local_hub):
    with pytest.raises(FileNotFoundError, match=r"nyu-mll/glue split 'train': not found locally in .*glue and the hub load failed"):
        catalog.examples("sst2", "train")


def test_multiple_choice_and_qa_tasks_load_in_the_contract_schema(local_hub):
    siqa = catalog.examples("siqa", "train")
    assert list(siqa.columns[:4]) == ["premise", "question", "choices", "label"] and len(siqa) == 4
    assert siqa.choices.iloc[1] == ["ignore the friend", "apologize to his friend", "buy a new car"]
    assert siqa.label.tolist() == [0, 1, 2, 0]  # the hub's "1".."3" -> indices
    hs = catalog.examples("hellaswag", "train")
    assert len(hs) == 3 and hs.label.tolist() == [0, 1, 2]  # the unlabelled row is dropped
    squad = catalog.examples("squad", "dev")
    row = squad.iloc[0]
    assert row.question == "What is the capital of Norway?" and row.answers == ["Oslo", "Oslo"]
    assert row.context[row.answer_starts[0]:].startswith("Oslo")
    with pytest.raises(ValueError, match="train and dev splits only"):
        catalog.examples("mnli", "test")


def test_a_corrupt_file_is_named(tmp_path, monkeypatch):
    bad = tmp_path / "nyu-mll" / "glue" / "qqp"
    bad.mkdir(parents=True)
    (bad / "train-00000-of-00001.parquet").write_text("not parquet")
    monkeypatch.setenv("RXLT_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="train-00000-of-00001.parquet: cannot read as parquet"):
        hub_tasks.load_split("qqp", "train")


def test_pair_task_mixes_with_an_embedded_task_in_phase_1(local_hub, tmp_path):
    from rxlt.params.phases import IntermediateParams
    from rxlt.params.strict import build
    from rxlt.phases.intermediate import run_intermediate
    from rxlt.results import read_results, start_run

    cfg = build(IntermediateParams, {"tasks": ["mnli", "cldr-reltime"], "mixing": "mixture", "encoder_layers": 1,
                                     "epochs": 1, "run_dir": str(tmp_path / "r")})
    history = run_intermediate(start_run("01_intermediate", cfg))
    res = read_results(tmp_path / "r")
    assert set(res["metrics"]) == {"mnli", "cldr-reltime"} and set(history.task) == {"mnli", "cldr-reltime"}
    assert res["samples"]["mnli"]["train"]["used"] == 12
