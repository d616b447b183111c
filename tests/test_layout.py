"""The package's layout as rxlt/README.md states it: imports only point down its table, no import circle between
modules or between subpackages (imports inside functions included: a lazy import is still a dependency), and no
module over MAX_LINES lines. Read from the source with `ast`; nothing is imported.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rxlt"
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(target: str, known: dict[str, Path]) -> str | None:
    """The rxlt module that `target` (a dotted name, possibly module.attribute) is, or None outside rxlt."""
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def imports_of(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int, bool]]:
    """(imported rxlt module, line, inside a function or class?) of every import statement in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top_level = {id(n) for n in tree.body}
    for node in tree.body:  # statements nested in module-level if/try blocks are module-level too
        if isinstance(node, (ast.If, ast.Try)):
            top_level |= {id(n) for n in ast.walk(node) if not isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            if t == "rxlt" or t.startswith("rxlt."):
                resolved = _resolve(t, known)
                if resolved and resolved != name:
                    found.append((resolved, node.lineno, id(node) not in top_level))
    return found


def subpackage(module: str) -> str:
    """rxlt.data.catalog → data/; rxlt.results → results.py; rxlt (the package itself) → __init__.py."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__.py"
    return parts[1] + "/" if (PACKAGE / parts[1]).is_dir() else parts[1] + ".py"


def import_graph() -> dict[str, dict[str, list[str]]]:
    """module → imported module → ['path:line (in a function)', …]."""
    known = modules()
    graph: dict[str, dict[str, list[str]]] = {m: {} for m in known}
    for name, path in known.items():
        for target, line, nested in imports_of(name, path, known):
            where = f"{path.relative_to(PACKAGE.parent)}:{line}" + (" (in a function)" if nested else "")
            if where not in graph[name].get(target, []):
                graph[name].setdefault(target, []).append(where)
    return graph


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted: every import circle."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def subpackage_edges(graph) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for src, targets in graph.items():
        for dst, where in targets.items():
            a, b = subpackage(src), subpackage(dst)
            if a != b:
                out.setdefault((a, b), []).extend(where)
    return out


def readme_rows() -> list[list[str]]:
    """The map's rows, top to bottom, each as the subpackage names of its first cell (`phases/`, `cli.py`, …)."""
    rows = []
    for line in (PACKAGE / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            rows.append([n.removeprefix("rxlt/") for n in re.findall(r"`([^`]+)`", first)])
    return rows


def test_no_import_circle_between_modules():
    graph = import_graph()
    found = cycles({m: set(t) for m, t in graph.items()})
    detail = ["; ".join(f"{a} → {b} ({', '.join(graph[a][b])})" for a in c for b in c if b in graph[a]) for c in found]
    assert not found, "import circles between modules:\n" + "\n".join(detail)


def test_no_import_circle_between_subpackages():
    edges = subpackage_edges(import_graph())
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    found = cycles(graph)
    detail = ["; ".join(f"{a} → {b} ({', '.join(edges[a, b])})" for a in c for b in c if (a, b) in edges) for c in found]
    assert not found, "import circles between subpackages:\n" + "\n".join(detail)


def upward_imports(rows: list[list[str]], edges: dict[tuple[str, str], list[str]]) -> list[str]:
    """Subpackage imports from a row of the map to a row above it."""
    rank = {name: i for i, names in enumerate(rows) for name in names}
    return [f"{a} (row {rank[a] + 1}) → {b} (row {rank[b] + 1}): {', '.join(w)}"
            for (a, b), w in sorted(edges.items()) if a in rank and b in rank and rank[b] < rank[a]]


def test_imports_point_down_the_readme_table():
    rows = readme_rows()
    every = {subpackage(m) for m in modules()} - {"__init__.py", "__main__.py"}
    unlisted = sorted(every - {name for names in rows for name in names})
    assert not unlisted, f"rxlt/README.md's map has no row for {unlisted}"
    up = upward_imports(rows, subpackage_edges(import_graph()))
    assert not up, "imports pointing up rxlt/README.md's table:\n" + "\n".join(up)


def test_the_readme_lists_every_module():
    """Every module of a subpackage is named in the map (`name`, `name.py` or its path)."""
    named = set(re.findall(r"`([^`]+)`", (PACKAGE / "README.md").read_text(encoding="utf-8")))
    missing = [str(path.relative_to(PACKAGE)) for path in sorted(PACKAGE.glob("*/*.py"))
               if path.name != "__init__.py" and not {path.stem, path.name, str(path.relative_to(PACKAGE.parent)),
                                                      str(path.relative_to(PACKAGE))} & named]
    assert not missing, f"rxlt/README.md's map does not name {missing}"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_the_line_limit(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE.parent)} has {lines} lines (limit {MAX_LINES}): split it by responsibility"


def test_the_checker_finds_a_circle_an_upward_import_and_a_lazy_one(tmp_path):
    """The checks above can fail: circles of two and three modules are found (a chain is not), an import from a lower
    row to a higher one is reported, and an import inside a function is found and marked as such."""
    assert cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}}) == []
    rows = [["run/"], ["data/"], ["scoring/"]]
    assert upward_imports(rows, {("run/", "data/"): ["x"]}) == []
    assert upward_imports(rows, {("data/", "scoring/"): []}) == []
    assert upward_imports(rows, {("scoring/", "data/"): ["rxlt/scoring/m.py:3"]}) == [
        "scoring/ (row 3) → data/ (row 2): rxlt/scoring/m.py:3"]
    assert subpackage("rxlt.data.catalog") == "data/" and subpackage("rxlt.results") == "results.py"
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom rxlt.data import catalog\n\ndef f():\n    from ..scoring.metrics import accuracy\n")
    known = {"rxlt.data.catalog": module, "rxlt.scoring.metrics": module, "rxlt.train.m": module}
    assert imports_of("rxlt.train.m", module, known) == [("rxlt.data.catalog", 2, False),
                                                         ("rxlt.scoring.metrics", 5, True)]
