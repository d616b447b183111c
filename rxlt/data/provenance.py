"""Which data files a run read, and from the hub at which commit — recorded into results.json.

`rxlt.results.start_run` clears the record and `Run.finish` writes it under provenance.data_sources, so a
run lists every source its loaders touched in between: local files (path, bytes), local hub snapshots
(`huggingface-cli download --local-dir` metadata) and hub datasets (repo, config, split, requested revision
and the commit actually read).

How the commit is found, best first (checked against the installed datasets 5.2 / huggingface_hub 2.4):
1. the loaded `datasets.Dataset`: for a hub dataset without a script, `datasets.load.HubDatasetModuleFactory`
   passes the commit hash as the builder `hash`, which names the Arrow cache folder
   `<config>/<version>/<commit>/` — so the 40-hex component of `ds.cache_files` is the commit the rows came
   from, online or offline (when served from that cache);
2. the requested revision when it is already a full commit SHA;
3. online only: `huggingface_hub.HfApi().dataset_info(repo, revision=...).sha`;
4. the hub cache's `datasets--<org>--<name>/refs/<revision or main>` file (what offline mode resolves).
A local snapshot's commit is the first line of `<dir>/.cache/huggingface/download/<file>.metadata`
(huggingface_hub/_local_folder.py), which the CLI writes for every file it downloads.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

SHA = re.compile(r"^[0-9a-f]{40}$")
_USED: list[dict] = []


def reset() -> None:
    _USED.clear()


def used() -> list[dict]:
    return [dict(x) for x in _USED]


def record(entry: dict) -> dict:
    if entry not in _USED:
        _USED.append(entry)
    return entry


def record_files(task: str, split: str, files) -> None:
    for f in files:
        p = Path(f)
        record({"task": task, "split": split, "source": "local", "path": str(p.resolve()),
                "bytes": p.stat().st_size if p.is_file() else None})


def snapshot_commit(files, snapshot_dir: Path) -> str | None:
    """The commit of files in a `--local-dir` snapshot; None when a file has no download metadata;
    several commits are joined by ','."""
    commits = set()
    for f in files:
        meta = snapshot_dir / ".cache" / "huggingface" / "download" / f"{Path(f).relative_to(snapshot_dir).as_posix()}.metadata"
        if not meta.is_file():
            return None
        first = meta.read_text(encoding="utf-8").splitlines()[:1]
        if not first or not SHA.match(first[0].strip()):
            return None
        commits.add(first[0].strip())
    return ",".join(sorted(commits)) or None


def record_snapshot(repo_id: str, config, split: str, files, snapshot_dir: Path) -> dict:
    commit = snapshot_commit(files, snapshot_dir)
    return record({"source": "hub snapshot", "repo_id": repo_id, "config": config, "split": split,
                   "path": str(Path(snapshot_dir).resolve()), "files": [Path(f).relative_to(snapshot_dir).as_posix()
                                                                         for f in files],
                   "commit": commit, "commit_from": "download metadata" if commit else "unknown (no .metadata files)"})


def _offline() -> bool:
    return any(os.environ.get(k, "").upper() in {"1", "ON", "YES", "TRUE"}
               for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_cache_dir() -> Path:
    """huggingface_hub.constants' rule, read at call time: HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME/hub."""
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                                                     "huggingface")
    return Path(os.path.expanduser(os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
                                   or os.path.join(home, "hub")))


def commit_from_dataset(ds) -> str | None:
    for info in getattr(ds, "cache_files", None) or []:
        for part in Path(info.get("filename", "")).parts:
            if SHA.match(part):
                return part
    return None


def resolve_commit(repo_id: str, revision: str | None = None, ds=None) -> tuple[str | None, str]:
    """(commit, how it was found) for a hub dataset; (None, reason) when it cannot be told."""
    found = commit_from_dataset(ds) if ds is not None else None
    if found:
        return found, "datasets cache folder of the loaded data"
    if revision and SHA.match(revision):
        return revision, "pinned revision"
    if not _offline():
        try:
            from huggingface_hub import HfApi

            return HfApi().dataset_info(repo_id, revision=revision).sha, "HfApi().dataset_info"
        except Exception as exc:  # noqa: BLE001 - provenance must not fail a run; say why it is missing
            reason = f"HfApi().dataset_info failed ({type(exc).__name__})"
    else:
        reason = "offline"
    ref = hub_cache_dir() / f"datasets--{repo_id.replace('/', '--')}" / "refs" / (revision or "main")
    if ref.is_file():
        text = ref.read_text(encoding="utf-8").strip()
        if SHA.match(text):
            return text, f"hub cache {ref}"
    return None, f"unresolved ({reason}; no {ref})"


def record_hub(repo_id: str, config, split: str, revision: str | None, ds=None) -> dict:
    commit, how = resolve_commit(repo_id, revision, ds)
    return record({"source": "hub", "repo_id": repo_id, "config": config, "split": split,
                   "revision_requested": revision, "commit": commit, "commit_from": how})
