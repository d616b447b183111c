"""The data a run read, and the hub commit it came from, end up in results.json (rxlt.data.provenance).
Never touches the network: HF_HUB_OFFLINE=1, and the one online path is tested with a patched HfApi."""
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from rxlt.data import provenance
from rxlt.data.xtreme_loader import load

FIX = Path(__file__).parent / "fixtures"
DL = FIX / "xtreme" / "download"
SHA1 = "0123456789abcdef0123456789abcdef01234567"
SHA2 = "89abcdef0123456789abcdef0123456789abcdef"


def test_local_snapshot_commit_comes_from_the_cli_download_metadata(offline, tmp_path, monkeypatch):
    snap = tmp_path / "facebook" / "xnli"
    shutil.copytree(FIX / "hub" / "facebook" / "xnli", snap)
    for f in snap.rglob("*.parquet"):  # what `huggingface-cli download --local-dir` writes per file
        meta = snap / ".cache/huggingface/download" / f"{f.relative_to(snap).as_posix()}.metadata"
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(f"{SHA1}\n{'e' * 40}\n1712656091.123\n")
    monkeypatch.setenv("RXLT_DATA_DIR", str(tmp_path))
    with pytest.warns(UserWarning, match="commit actually read is recorded"):
        load("xnli", "test", ["de"])
    (entry,) = provenance.used()
    assert entry["source"] == "hub snapshot" and entry["repo_id"] == "facebook/xnli" and entry["config"] == "de"
    assert entry["commit"] == SHA1 and entry["files"] == ["de/test-00000-of-00001.parquet"]
    (snap / ".cache").rename(snap / ".cache-gone")
    provenance.reset()
    with pytest.warns(UserWarning):
        load("xnli", "test", ["de"])
    assert provenance.used()[0]["commit"] is None  # no metadata: said, not guessed


def test_commit_of_a_loaded_dataset_is_its_datasets_cache_folder(offline, tmp_path, monkeypatch):
    # datasets 5: HubDatasetModuleFactory hands the commit to the builder as `hash`, which names the cache folder
    ds = SimpleNamespace(cache_files=[{"filename": f"/c/facebook___xnli/fr/0.0.0/{SHA2}/xnli-test.arrow"}],
                         to_pandas=lambda: pd.DataFrame({"premise": ["a"], "hypothesis": ["b"], "label": [0]}))
    calls = []
    monkeypatch.setattr("datasets.load_dataset", lambda *a, **k: calls.append((a, k)) or ds)
    with pytest.warns(UserWarning):
        frame = load("xnli", "test", ["fr"])
    assert len(frame) == 1 and calls[0][1]["revision"] is None
    assert provenance.used() == [{"source": "hub", "repo_id": "facebook/xnli", "config": "fr", "split": "test",
                                    "revision_requested": None, "commit": SHA2,
                                    "commit_from": "datasets cache folder of the loaded data"}]


def test_commit_from_pin_hub_cache_refs_or_patched_api(offline, tmp_path, monkeypatch):
    assert provenance.resolve_commit("google/xquad", SHA1) == (SHA1, "pinned revision")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    commit, how = provenance.resolve_commit("google/xquad")
    assert commit is None and how.startswith("unresolved (offline")
    ref = tmp_path / "datasets--google--xquad" / "refs" / "main"
    ref.parent.mkdir(parents=True)
    ref.write_text(SHA2)
    assert provenance.resolve_commit("google/xquad") == (SHA2, f"hub cache {ref}")
    # online: HfApi().dataset_info(...).sha (patched: no request leaves this machine)
    import huggingface_hub

    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("HF_DATASETS_OFFLINE")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    seen = []
    monkeypatch.setattr(huggingface_hub.HfApi, "dataset_info",
                        lambda self, repo_id, revision=None, **k: seen.append((repo_id, revision)) or SimpleNamespace(sha=SHA1))
    assert provenance.resolve_commit("google/xquad", "main") == (SHA1, "HfApi().dataset_info")
    assert seen == [("google/xquad", "main")]


def test_results_json_lists_the_files_a_run_read(offline, tmp_path):
    from rxlt.params.phases import FinetuneParams
    from rxlt.params.strict import build
    from rxlt.results import read_results, start_run

    provenance.record({"stale": True})
    run = start_run("02_finetune", build(FinetuneParams, {"task": "xnli", "run_dir": str(tmp_path / "run")}))
    load("xnli", "dev", ["de"], data_dir=DL)
    load("mewslix", "test", ["en"], data_dir=DL)
    run.finish(metrics={}, samples={})
    sources = read_results(tmp_path / "run")["provenance"]["data_sources"]
    assert {"stale": True} not in sources  # start_run clears what earlier runs read
    paths = [Path(s["path"]).relative_to(DL.resolve()).as_posix() for s in sources]
    assert paths == ["xnli/dev-de.tsv", "mewslix/wikinews_mentions-test.jsonl", "mewslix/candidate_set_entities.jsonl"]
    assert sources[0] == {"task": "xnli", "split": "dev", "source": "local", "path": str((DL / "xnli/dev-de.tsv").resolve()),
                          "bytes": (DL / "xnli/dev-de.tsv").stat().st_size}
    json.dumps(sources)  # plain JSON
