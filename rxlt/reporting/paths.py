"""Paths as a report shows them: never an absolute path of the machine that produced it.

Reports travel (a zip of `reports/` to a co-author), so a run directory is shown relative to the repository, or,
for a study whose runs live elsewhere (`--runs-dir`), relative to the folder that holds its runs directory: both
read `runs/<study>/<phase>/<run id>` in the default layout. Paths under the home directory read `~/…`; system
paths that are the same on every machine (`/usr/share/wordnet`) are shown as they are.
"""
from __future__ import annotations

from pathlib import Path

from rxlt.results import repo_root


def display_root(run_dir) -> Path | None:
    """The folder holding a study's runs directory, for a run directory laid out `<runs>/<study>/<phase>/<run id>`
    (every run of a study is); None for anything shallower."""
    if not run_dir:
        return None
    parents = Path(run_dir).parents
    return parents[3] if len(parents) > 4 else None


def shown_path(value: str, root: Path | None = None) -> str:
    """`value` relative to the repository, else to `root` (see display_root), else to the home directory (`~/…`);
    relative paths and paths elsewhere unchanged."""
    if not isinstance(value, str) or not value.startswith("/"):
        return value
    path = Path(value)
    for base, prefix in ((repo_root(), ""), (root, ""), (Path.home(), "~/")):
        if base is not None and str(base) not in ("/", "") and path.is_relative_to(base):
            rel = path.relative_to(base).as_posix()
            return f"{prefix}{rel}" if rel != "." else (prefix.rstrip("/") or ".")
    return value


def shown_value(value, root: Path | None = None):
    """shown_path over a parameter value: strings, and strings inside lists and tuples."""
    if isinstance(value, (list, tuple)):
        return [shown_value(v, root) for v in value]
    return shown_path(value, root) if isinstance(value, str) else value
