"""How the phase notebooks show their results: parameters first, the study's answer before its evidence, tables a
reader can sort and filter, paths relative to the repository (rxlt.reporting.paths), a watermark on smoke studies."""
from __future__ import annotations

import dataclasses
import html
import json

import pandas as pd
from IPython.display import HTML, Markdown, display

from rxlt.params.strict import to_dict
from rxlt.reporting.answer import inline_html, split_answer, to_html
from rxlt.reporting.paths import display_root, shown_path, shown_value
from rxlt.reporting.tables import interactive_table

# A fixed, semi-transparent diagonal label over every page of a smoke study's report (inline CSS only:
# the offline HTML has no external files).
_WATERMARK = """<div class="rxlt-watermark" style="position:fixed;top:40%;left:0;width:100%;text-align:center;
transform:rotate(-30deg);font-size:96px;font-weight:800;color:rgba(200,0,0,0.13);pointer-events:none;z-index:9999;">
SMOKE STUDY — NOT EVIDENCE</div>
<div style="background:#fde8e8;border:2px solid #b00;padding:8px 12px;font-weight:bold;color:#900">
SMOKE STUDY: tiny data and few training steps. The numbers below check the pipeline; they are not evidence
for or against the hypothesis.</div>"""

_LIST_SHOWN = 100  # list values longer than this, in characters (evaluation_runs of a 40-run study), are folded
_CONFIG_STYLE = "<style>" + "".join(f"[data-rxlt=parameters][data-rxlt=parameters] {rule}" for rule in (
    "table{border-collapse:collapse;font-size:13px;margin:0;table-layout:auto}",
    *(f"{cell}{{text-align:left;padding:2px 10px 2px 0;border:none;border-bottom:1px solid #eee;vertical-align:top}}"
      for cell in ("th", "td")),
    "tr:nth-child(odd){background:none}", "code{background:none;padding:0}", "summary{cursor:pointer}")) + "</style>"


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _value_html(value) -> str:
    if isinstance(value, list) and len(_json(value)) > _LIST_SHOWN:
        items = "".join(f"<li><code>{html.escape(_json(v))}</code></li>" for v in value)
        return f"<details><summary>{len(value)} values</summary><ul style='margin:2px 0'>{items}</ul></details>"
    return f"<code>{html.escape(_json(value))}</code>"


def config_html(cfg) -> str:
    """The resolved parameters of a run: the values set for it (they differ from the phase's defaults) in full,
    with the default beside them, the rest folded; hover a key for its help text."""
    root = display_root(getattr(cfg, "run_dir", ""))
    rows_set, rows_default = [], []
    values = to_dict(cfg)
    for f in dataclasses.fields(cfg):
        value = shown_value(values[f.name], root)
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        default = shown_value(list(default) if isinstance(default, tuple) else default, root)
        key = f"<td title='{html.escape(f.metadata.get('help', ''))}'><code>{html.escape(f.name)}</code></td>"
        if value != default:
            rows_set.append(f"<tr>{key}<td>{_value_html(value)}</td><td style='color:#666'>{_value_html(default)}</td></tr>")
        else:
            rows_default.append(f"<tr>{key}<td>{_value_html(value)}</td></tr>")
    return (f"<div data-rxlt='parameters'>{_CONFIG_STYLE}<p style='margin:4px 0'><b>Parameters of this run</b> "
            f"(<code>{type(cfg).__name__}</code>, resolved: {len(rows_set)} set for this run, {len(rows_default)} at the "
            "phase's defaults; paths relative to the repository; hover a key for its meaning)</p>"
            f"<table><thead><tr><th>key</th><th>value</th><th>phase default</th></tr></thead>"
            f"<tbody>{''.join(rows_set)}</tbody></table>"
            f"<details><summary>{len(rows_default)} parameters at their defaults</summary>"
            f"<table><tbody>{''.join(rows_default)}</tbody></table></details></div>")


def show_config(cfg) -> None:
    display(HTML(config_html(cfg)))


def show_conclusion(out: dict, cfg) -> None:
    """The question and the headline condition's answer (effect size, interval, test, power); the watermark on
    smoke studies. The headline figure comes next, then show_other_conditions."""
    if cfg.smoke:
        display(HTML(_WATERMARK))
    answer = split_answer(out["answer"])
    banner = "" if cfg.smoke else to_html(answer.banner)  # the watermark says it already
    question = f"<h3>{inline_html(answer.question)}</h3>" if answer.question else ""
    display(HTML(f"<section data-rxlt='answer'><h2 id='conclusion'>Conclusion</h2>{banner}{question}"
                 f"{to_html(answer.headline)}</section>"))


def show_other_conditions(out: dict, cfg) -> None:
    """The answer's remaining paragraphs (the other conditions, conventions), then the design and conventions."""
    answer = split_answer(out["answer"])
    d = out["design"]
    display(Markdown(
        "\n\n".join(answer.more) + "\n\n"
        f"*Design:* tasks {', '.join(d['tasks'])}; conditions {', '.join(d['conditions'])}; {d['seeds']} seed(s) per "
        f"condition; {d['languages']} languages (median {d['items_per_language_median']:.0f} test items each). "
        f"*Resource predictor:* `{out['resource_predictor']}`; *tiers:* `{cfg.tier_scheme}`. "
        f"*English in averages:* {'yes' if cfg.include_english else 'no'} (never in the slopes: it is the source language). "
        f"*Model selection:* English dev {'/'.join(d.get('dev_metrics', ['accuracy']))} only (zero-shot; no "
        "target-language dev data used)."))


def show_table(df: pd.DataFrame, digits: int = 4, max_rows: int = 60, fold: int = 12):
    """A rounded table without the index: the first `fold` rows shown, the rest (up to `max_rows`) folded under a
    toggle; longer tables are cut with a note (the exported tables have every row)."""
    if df is None or len(df) == 0:
        display(Markdown("*(empty)*"))
        return
    head = df.head(max_rows)
    # p-values keep 3 significant digits (rounding would print 9e-05 as 0.0001 and 1e-6 as 0)
    fmt = {c: "{:.3g}" for c in head.columns if c.startswith(("p_", "q_"))}
    fmt.update({c: f"{{:.{digits}f}}" for c in head.select_dtypes("float").columns if c not in fmt})

    def styled(part: pd.DataFrame) -> str:
        return part.style.hide(axis="index").format(fmt, na_rep="—").to_html()

    if len(head) <= fold + 3:  # folding three rows away saves nothing
        display(HTML(styled(head)))
    else:
        display(HTML(f"{styled(head.head(fold))}<details><summary>{len(head) - fold} more rows</summary>"
                     f"{styled(head.iloc[fold:])}</details>"))
    if len(df) > max_rows:
        display(Markdown(f"*{len(df) - max_rows} more rows in the exported tables.*"))


def show_links(links: pd.DataFrame) -> None:
    """Every run behind the report, linked to its own HTML report (relative links work inside reports/)."""
    rows = [[r.role, (f"<a href='{html.escape(r.report)}'>{html.escape(r.run)}</a>", r.run),
             shown_path(r.results, display_root(r.results.rsplit("/", 1)[0]))] for r in links.itertuples()]
    display(HTML(interactive_table(["role", "run (report)", "results.json"], rows, mark="run-table",
                                   placeholder="filter runs")))


def _language_names(codes) -> dict:
    from rxlt.languages.metadata import LANGUAGES

    return {c: (LANGUAGES.get(c) or {}).get("name") or "" for c in codes}


def show_languages(table: pd.DataFrame, code: str = "language", digits: int = 3, anchor: str = "languages") -> None:
    """Every language's row in a table a reader can sort and filter by language name or code; each row is
    reachable as `#lang-<code>` (e.g. report.html#lang-sw)."""
    df = table.reset_index(drop=True)
    if "name" not in df:
        df.insert(df.columns.get_loc(code) + 1, "name", df[code].map(_language_names(df[code].unique())))
    rows = [[None if (isinstance(v, float) and pd.isna(v)) else (v.item() if hasattr(v, "item") else v) for v in row]
            for row in df.itertuples(index=False)]
    ids = [f"lang-{c}" for c in df[code]] if df[code].is_unique else None
    display(HTML(f"<div id='{html.escape(anchor)}'></div>" + interactive_table(
        [str(c) for c in df.columns], rows, row_ids=ids, mark="language-table", digits=digits, max_height=640,
        placeholder="filter: language name, code or tier",
        significant=tuple(str(c) for c in df.columns if str(c).startswith(("p ", "p_", "q_"))))))


def language_scores(out: dict, cfg) -> pd.DataFrame:
    """One row per (task,) language: name, tier, resource predictor, test items, the score of every condition
    (mean over seeds; baseline and headline condition first), and the headline condition's gain over the baseline
    with its per-language Holm p-value where the metric has per-item tests."""
    per, cov = out["per_language"], out["covariates"]
    head, base = out["headline"], cfg.baseline_condition
    order = [c for c in dict.fromkeys([base, head, *sorted(per.condition.unique())]) if c in set(per.condition)]
    keys = ["task", "language"] if per.task.nunique() > 1 else ["language"]
    scores = per.pivot_table(index=keys, columns="condition", values="value").reindex(columns=order).reset_index()
    scores.columns.name = None
    predictor = out["resource_predictor"]  # cfg says "auto"; the report phase resolved it from the model family
    info = cov[["language", "name", "tier", predictor]]
    items = per.groupby(keys, as_index=False).n.first()
    df = scores.merge(info, on="language", how="left").merge(items, on=keys, how="left")
    gains = out["language_gains"]
    if head and len(gains):
        g = gains[gains.condition == head].groupby(keys, as_index=False).gain.mean().rename(columns={"gain": f"gain {head}"})
        df = df.merge(g, on=keys, how="left")
        tests = out["tests"]
        if len(tests) and "p_holm" in tests:
            t = tests[tests.condition == head][keys + ["p_holm"]].rename(columns={"p_holm": "p Holm"})
            df = df.merge(t, on=keys, how="left")
    first = keys + ["name", "tier", predictor, "n"]
    return df[first + [c for c in df.columns if c not in first]].rename(columns={"n": "test items"})


def show_language_scores(out: dict, cfg) -> None:
    show_languages(language_scores(out, cfg))
