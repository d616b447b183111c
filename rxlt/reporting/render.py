"""The one render path's last step: an executed notebook -> an offline HTML report for reading.

Reports are for readers: code cells are hidden unless asked for (`report_code` of the study: hide, fold under
a "code" toggle, or show), and the notebook's own default `parameters` cell is never rendered — it is not
what the run used. The values the run used come first: papermill's injected cell (shown with the code) and the
resolved-parameters table each phase notebook prints first. Offline template: no CDN scripts
(../shared/reference/toolchain.md §1d), streams coalesced, images embedded.

The executed notebook in the run directory keeps what ran, absolute paths included; its rendered copy under
`reports/` must read the same on any machine, so the paths that only exist on this one — the repository, the
folder holding the study's runs, the home directory — are written relative (`runs/<study>/…`, `rxlt/…`, `~/…`)
in papermill's injected cell and in every text output (a warning's or a traceback's file names).
"""
from __future__ import annotations

import base64
import re
from pathlib import Path

from rxlt.reporting.paths import display_root
from rxlt.results import repo_root

TEMPLATE_DIR = Path(__file__).parent / "templates"
CODE_DISPLAY = ("hide", "fold", "show")


def render_html(notebook_path: Path, html_path: Path, code: str = "hide") -> Path:
    """Render an executed notebook with the offline template; `code` is one of CODE_DISPLAY."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor, TagRemovePreprocessor

    if code not in CODE_DISPLAY:
        raise ValueError(f"code display {code!r}: choose one of {list(CODE_DISPLAY)}")
    nb = nbformat.read(notebook_path, as_version=4)
    relative_paths(nb, notebook_path.parent)
    hidden = code == "hide"
    exporter = HTMLExporter(template_name="rxlt_offline", extra_template_basedirs=[str(TEMPLATE_DIR)], embed_images=True,
                            exclude_input=hidden, exclude_input_prompt=hidden, exclude_output_prompt=code != "show")
    exporter.register_preprocessor(CoalesceStreamsPreprocessor(enabled=True), enabled=True)
    # the defaults cell is never the input; with code hidden the injected cell (no outputs) goes too
    remove = {"parameters"} | ({"injected-parameters"} if hidden else set())
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=remove, enabled=True), enabled=True)
    run = notebook_path.parent
    resources = {"metadata": {"path": str(run), "name": f"{run.parent.name} {run.name}"}, "rxlt_code": code}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = html_path.with_suffix(".html.tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(html_path)
    return html_path


def _machine_paths(run_dir: Path) -> list[tuple[re.Pattern, str]]:
    """(pattern, replacement) for this machine's folders, deepest first: the runs' root and the repository become
    relative, the home directory `~`."""
    roots = {str(repo_root()): "", str(Path.home()): "~/"}
    root = display_root(run_dir)
    if root is not None:
        roots.setdefault(str(root), "")
    out = []
    for folder, prefix in sorted(roots.items(), key=lambda kv: -len(kv[0])):
        if folder in ("", "/"):
            continue
        # the folder itself, as a path's start (followed by '/') or whole (followed by a quote, space, end, …)
        pattern = re.compile(re.escape(folder) + r"(/|(?=[\s\"'<>,;:)\]]|$))")
        out.append((pattern, prefix))
    return out


def relative_paths(nb, run_dir: Path) -> None:
    """Rewrite this machine's absolute paths in the injected parameters and in every output's text, in place."""
    rules = _machine_paths(run_dir)

    def fix(text: str) -> str:
        for pattern, prefix in rules:
            text = pattern.sub(lambda m: prefix if m.group(1) else (prefix.rstrip("/") or "."), text)
        return text

    def fix_any(value):
        if isinstance(value, str):
            return fix(value)
        if isinstance(value, list):
            return [fix_any(v) for v in value]
        return value

    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = fix(cell.source)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = fix_any(output["text"])
            if "traceback" in output:
                output["traceback"] = fix_any(output["traceback"])
            if "evalue" in output:
                output["evalue"] = fix(output["evalue"])
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in output.get("data", {}):
                    output["data"][mime] = fix_any(output["data"][mime])


def headline_image(notebook_path: Path, tag: str) -> bytes | None:
    """The first PNG the cell tagged `tag` displayed (None when the cell drew nothing or is absent)."""
    import nbformat

    nb = nbformat.read(notebook_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and tag in cell.metadata.get("tags", []):
            for output in cell.get("outputs", []):
                png = output.get("data", {}).get("image/png")
                if png:
                    return base64.b64decode(png)
    return None
