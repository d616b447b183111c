"""How the study report notebook shows its results: conclusion first, watermark, linked run table."""
from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML, Markdown, display

# A fixed, semi-transparent diagonal label over every page of a smoke study's report (inline CSS only:
# the offline HTML has no external files).
_WATERMARK = """<div class="rxlt-watermark" style="position:fixed;top:40%;left:0;width:100%;text-align:center;
transform:rotate(-30deg);font-size:96px;font-weight:800;color:rgba(200,0,0,0.13);pointer-events:none;z-index:9999;">
SMOKE STUDY — NOT EVIDENCE</div>
<div style="background:#fde8e8;border:2px solid #b00;padding:8px 12px;font-weight:bold;color:#900">
SMOKE STUDY: tiny data and few training steps. The numbers below check the pipeline; they are not evidence
for or against the hypothesis.</div>"""


def show_conclusion(out: dict, cfg) -> None:
    """The answer paragraph, the watermark for smoke studies, and the reporting conventions."""
    if cfg.smoke:
        display(HTML(_WATERMARK))
    d = out["design"]
    display(Markdown(
        f"## Conclusion\n\n{out['answer']}\n\n"
        f"*Design:* tasks {', '.join(d['tasks'])}; conditions {', '.join(d['conditions'])}; {d['seeds']} seed(s) per "
        f"condition; {d['languages']} languages (median {d['items_per_language_median']:.0f} test items each). "
        f"*Resource predictor:* `{out.get('resource_predictor', cfg.resource_predictor)}`; *tiers:* `{cfg.tier_scheme}`. "
        f"*English in averages:* {'yes' if cfg.include_english else 'no'} (never in the slopes: it is the source language). "
        f"*Model selection:* English dev {'/'.join(d.get('dev_metrics', ['accuracy']))} only (zero-shot; no "
        "target-language dev data used)."))


def show_table(df: pd.DataFrame, digits: int = 4, max_rows: int = 60):
    """A rounded table without the index (long tables are cut with a note)."""
    if df is None or len(df) == 0:
        display(Markdown("*(empty)*"))
        return
    note = f"\n\n*{len(df) - max_rows} more rows in the exported tables.*" if len(df) > max_rows else ""
    head = df.head(max_rows)
    # p-values keep 3 significant digits (rounding would print 9e-05 as 0.0001 and 1e-6 as 0)
    fmt = {c: "{:.3g}" for c in head.columns if c.startswith(("p_", "q_"))}
    fmt.update({c: f"{{:.{digits}f}}" for c in head.select_dtypes("float").columns if c not in fmt})
    display(head.style.hide(axis="index").format(fmt, na_rep="—"))
    if note:
        display(Markdown(note))


def show_links(links: pd.DataFrame) -> None:
    """Every run behind the report, linked to its own HTML report (relative links work inside reports/)."""
    rows = "".join(
        f"<tr><td>{html.escape(r.role)}</td><td><a href='{html.escape(r.report)}'>{html.escape(r.run)}</a></td>"
        f"<td><code>{html.escape(r.results)}</code></td></tr>" for r in links.itertuples())
    display(HTML(f"<table><tr><th>role</th><th>run (report)</th><th>results.json</th></tr>{rows}</table>"))
