"""The one render path's last step: executed notebook -> offline HTML, plus reports/index.html."""
from __future__ import annotations

import html
import json
from datetime import datetime, timezone
from pathlib import Path

import mistune

from rxlt.results import write_json_atomic

TEMPLATE_DIR = Path(__file__).parent / "templates"
INDEX_DATA = "index.json"


def render_html(notebook_path: Path, html_path: Path) -> Path:
    """Render an executed notebook with the offline template (no CDN scripts, streams coalesced)."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor, TagRemovePreprocessor

    nb = nbformat.read(notebook_path, as_version=4)
    exporter = HTMLExporter(template_name="rxlt_offline", extra_template_basedirs=[str(TEMPLATE_DIR)], embed_images=True)
    exporter.register_preprocessor(CoalesceStreamsPreprocessor(enabled=True), enabled=True)
    # papermill's injected-parameters cell repeats the parameters table shown by show_config
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"injected-parameters"}, enabled=True), enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"path": str(notebook_path.parent)}})
    html_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = html_path.with_suffix(".html.tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(html_path)
    return html_path


def record_report(reports_dir: Path, study: str, entry: dict) -> None:
    """Add or update one run's line in reports/index.json (the index page is rebuilt from it)."""
    path = reports_dir / INDEX_DATA
    data = json.loads(path.read_text()) if path.is_file() else {"studies": {}}
    runs = data["studies"].setdefault(study, {})
    runs[f"{entry['phase']}/{entry['run_id']}"] = entry
    write_json_atomic(path, data)


def write_index(reports_dir: Path) -> Path:
    """reports/index.html: every study, its runs, their parameters and status, linked to the reports."""
    path = reports_dir / INDEX_DATA
    data = json.loads(path.read_text()) if path.is_file() else {"studies": {}}
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>rxlt reports</title><style>",
             "body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;width:100%}",
             "td,th{border:1px solid #ccc;padding:4px 6px;font-size:13px;vertical-align:top}th{background:#f3f3f3}",
             ".smoke{color:#b00;font-weight:bold}.failed{color:#b00}code{font-size:12px}</style></head><body>",
             "<h1>rxlt reports</h1>",
             f"<p>Updated {datetime.now(timezone.utc).isoformat(timespec='seconds')}. Each report is an executed phase notebook; "
             "the parameters column shows what produced it (full config in the run's results.json).</p>"]
    for study, runs in sorted(data["studies"].items()):
        smoke = any(r.get("smoke") for r in runs.values())
        parts.append(f"<h2>Study <code>{html.escape(study)}</code>"
                     + (" <span class='smoke'>(smoke study: pipeline check, not evidence)</span>" if smoke else "") + "</h2>")
        # the phase-5 study report leads when there is one (older studies: the tiers report)
        final = [r for r in runs.values() if r["phase"] == "05_report" and r.get("status") == "complete"] or \
            [r for r in runs.values() if r["phase"] == "04_tiers" and r.get("status") == "complete"]
        for r in final:
            # the answer is markdown (headings, bullets, bold, code); mistune ships with nbconvert; raw HTML escaped
            answer = mistune.create_markdown(escape=True)(r.get("answer", ""))
            parts.append(f"<div><p><b>Study report:</b> <a href='{html.escape(r['report'])}'>{html.escape(r['report'])}</a>"
                         f"</p>{answer}</div>")
        parts.append("<table><tr><th>phase</th><th>run</th><th>status</th><th>parameters</th><th>report</th><th>results</th><th>seconds</th></tr>")
        for key in sorted(runs):
            r = runs[key]
            params = "<br>".join(f"<code>{html.escape(k)}={html.escape(json.dumps(v))}</code>" for k, v in r["params"].items())
            link = f"<a href='{html.escape(r['report'])}'>html</a>" if r.get("report") else "—"
            status = html.escape(r.get("status", "?"))
            parts.append(f"<tr><td>{r['phase']}</td><td><code>{html.escape(r['run_id'])}</code></td>"
                         f"<td class='{status}'>{status}</td><td>{params}</td><td>{link}</td>"
                         f"<td><code>{html.escape(r.get('results', ''))}</code></td><td>{r.get('seconds', '')}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    out = reports_dir / "index.html"
    reports_dir.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts), encoding="utf-8")
    return out
