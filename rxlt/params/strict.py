"""Strict, typed parameters: frozen dataclasses built from flat YAML or notebook literals.

Unknown keys, wrong types and bad values are errors that name the file and key (papermill itself
only warns), raised before any compute starts. Files are read strictly: UTF-8 (a byte-order mark is
allowed), one YAML document holding a non-empty mapping, every key once (PyYAML itself lets the last of
two equal keys win silently), no non-finite numbers.
"""
from __future__ import annotations

import dataclasses
import math
import re
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
    if annotation is float and isinstance(value, str) and _YAML11_FLOAT_TEXT.fullmatch(value.strip()):
        # YAML 1.1 (PyYAML) reads 5e-5 as text: its floats need a dot ("5.0e-5")
        raise ParamsError(f"{where}: expected float, got text {value!r}: YAML reads a number without a dot as "
                          f"text; write {_with_dot(value.strip())}")
    if not isinstance(value, annotation):
        got = "null" if value is None else f"{type(value).__name__} {value!r}"
        raise ParamsError(f"{where}: expected {annotation.__name__}, got {got}")
    if annotation is float and not math.isfinite(value):
        raise ParamsError(f"{where}: must be a finite number, got {value!r}")
    return value


_YAML11_FLOAT_TEXT = re.compile(r"[-+]?\d+[eE][-+]?\d+")


def _with_dot(text: str) -> str:
    mantissa, _, exponent = text.lower().partition("e")
    return f"{mantissa}.0e{exponent}"


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


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise _DuplicateKey(key, seen[key], key_node.start_mark.line + 1)
            seen.setdefault(key, key_node.start_mark.line + 1)
        return super().construct_mapping(node, deep=deep)


class _DuplicateKey(Exception):
    def __init__(self, key, first: int, again: int):
        super().__init__(key, first, again)
        self.key, self.first, self.again = key, first, again


def decode_utf8(data: bytes, path: str | Path) -> str:
    """Text of a UTF-8 file (a leading byte-order mark dropped); otherwise a ParamsError naming the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = " (it looks like UTF-16)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise ParamsError(f"{path}:{line}: not UTF-8 text{hint}: byte 0x{data[exc.start]:02x} at column {column}; "
                          f"save the file as UTF-8") from None


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Load a flat, non-empty YAML mapping (top-level keys only), strictly: see the module docstring."""
    path = Path(path)
    if path.is_dir():
        raise ParamsError(f"{path}: is a directory; give a YAML parameters file")
    if not path.is_file():
        raise ParamsError(f"{path}: no such parameters file")
    text = decode_utf8(path.read_bytes(), path)
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except _DuplicateKey as dup:
        raise ParamsError(f"{path}:{dup.again}: key {dup.key!r} given twice (first on line {dup.first}); "
                          f"keep one") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        what = " ".join(str(x) for x in (getattr(exc, "problem", None), getattr(exc, "context", None)) if x) or \
            str(exc).splitlines()[0]
        raise ParamsError(f"{where}: not valid YAML: {what}" + (f" (column {mark.column + 1})" if mark else "")) from None
    if data is None or data == {}:
        raise ParamsError(f"{path}: empty (no key: value lines), which would silently mean every default; write "
                          f"the keys (`rxlt params study`, `rxlt params PHASE` list them)")
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


# rxlt.train.loop seeds numpy's global generator (np.random.seed), which takes 0 <= seed < 2**32 only
SEED_LIMIT = 2**32


def check_seed(seed: int, key: str) -> None:
    """A seed every generator the runs use accepts (a negative one fails only inside the first run)."""
    require(0 <= seed < SEED_LIMIT, key, f"{seed} is out of range: use 0 <= seed < 2**32 (numpy's seed range)")
