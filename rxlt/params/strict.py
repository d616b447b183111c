"""Strict, typed parameters: frozen dataclasses built from flat YAML or notebook literals.

Unknown keys, wrong types and bad values are errors that name the file and key (papermill itself
only warns), raised before any compute starts.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from rxlt.lookup import suggest

T = TypeVar("T")


class ParamsError(ValueError):
    """Bad parameters; the message names the source, the key and what would be valid."""


def param(default, help: str, **kwargs):
    """A dataclass field with help text (shown by `rxlt params PHASE`)."""
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda d=default: type(d)(d), metadata={"help": help}, **kwargs)
    return dataclasses.field(default=default, metadata={"help": help}, **kwargs)


def _check_type(value: Any, annotation, where: str) -> Any:
    """Return `value` converted to `annotation` where lossless (int -> float, list -> tuple), else raise."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        errors = []
        for option in typing.get_args(annotation):
            try:
                return _check_type(value, option, where)
            except ParamsError as exc:
                errors.append(str(exc))
        raise ParamsError(errors[0])
    if annotation is type(None):
        if value is None:
            return None
        raise ParamsError(f"{where}: expected null, got {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ParamsError(f"{where}: expected a list, got {type(value).__name__} {value!r}")
        (item_type, *_) = typing.get_args(annotation) or (Any,)
        items = [_check_type(v, item_type, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items)
    if annotation is Any:
        return value
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation in (int, float) and isinstance(value, bool):
        raise ParamsError(f"{where}: expected {annotation.__name__}, got boolean {value!r}")
    if not isinstance(value, annotation):
        raise ParamsError(f"{where}: expected {annotation.__name__}, got {type(value).__name__} {value!r}")
    return value


def build(cls: type[T], values: dict[str, Any], source: str = "parameters") -> T:
    """Build dataclass `cls` from `values`, rejecting unknown keys and mistyped values."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in values if k not in fields]
    if unknown:
        key = unknown[0]
        raise ParamsError(f"{source}: unknown key {key!r} for {cls.__name__}: {suggest(key, fields)}")
    hints = typing.get_type_hints(cls)
    converted = {k: _check_type(v, hints[k], f"{source}: key {k!r}") for k, v in values.items()}
    try:
        return cls(**converted)
    except ParamsError as exc:
        raise ParamsError(f"{source}: {exc}") from None


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Load a flat YAML mapping (top-level keys only)."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path}: no such parameters file")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ParamsError(f"{path}: expected a mapping of key: value, got {type(data).__name__}")
    return data


def load(cls: type[T], path: str | Path, **overrides) -> T:
    return build(cls, {**read_yaml(path), **overrides}, source=str(path))


def to_dict(config) -> dict[str, Any]:
    """Plain, JSON/YAML-ready dict of a config (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}


def describe(cls) -> str:
    """One line per key: name, type, default, help."""
    hints = typing.get_type_hints(cls)
    lines = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        t = getattr(hints[f.name], "__name__", str(hints[f.name]))
        lines.append(f"{f.name} ({t}, default {default!r}): {f.metadata.get('help', '')}")
    return "\n".join(lines)


def require(condition: bool, key: str, message: str) -> None:
    """Raise a ParamsError about `key` unless `condition` (for __post_init__ checks)."""
    if not condition:
        raise ParamsError(f"key {key!r}: {message}")
