"""The HTML of reports/index.html: per study, the question and its answer beside the headline figure (the first
screen), then one compact, sortable row per run.

The run table keeps what tells runs apart — phase, condition, objective, seed, status, the run's headline
number, wall time, and as extra columns only the parameters whose values differ between runs; parameters
every run shares are listed once above it, and each run's full configuration is folded in its row. Failed
and skipped runs are highlighted, listed above the table, and link their log. Plain HTML and inline CSS;
the table's sorting and filtering is a small inline script (rxlt.reporting.tables).
"""
from __future__ import annotations

import html
import json
from datetime import datetime

from rxlt.reporting.answer import inline_html, split_answer, split_bullets, to_html
from rxlt.reporting.paths import display_root, shown_value
from rxlt.reporting.tables import interactive_table

PHASE_ORDER = ("01_intermediate", "02_finetune", "03_evaluate", "04_tiers", "05_report")
LINEAGE = ("run_dir", "init_from", "finetune_run", "evaluation_runs")  # paths: the condition column says it
OWN_COLUMNS = ("seed", "objective")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:14px 28px 40px;max-width:1400px;
     color:#1f2328;font-size:14px;line-height:1.45;box-sizing:border-box}
h1{font-size:20px;margin:0 0 2px}h2{font-size:18px;margin:18px 0 8px;padding-top:8px;border-top:2px solid #d0d7de}
h3{font-size:15px;margin:4px 0 6px}code{font-size:12.5px;background:#f3f4f6;padding:0 3px;border-radius:3px}
.muted{color:#57606a;font-size:12.5px;margin:0}
.smoke{display:inline-block;background:#b00;color:#fff;font-size:12px;font-weight:700;padding:2px 8px;border-radius:3px;
       vertical-align:middle;margin-left:6px}
.lead{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:22px;align-items:start}
.lead.solo{grid-template-columns:minmax(0,1fr)}@media (max-width:1000px){.lead{grid-template-columns:minmax(0,1fr)}}
.answer ul{margin:4px 0;padding-left:20px}.answer li{margin:0 0 4px}
.answer blockquote{margin:0 0 6px;padding:4px 10px;background:#fde8e8;border-left:4px solid #b00;color:#700}
.answer blockquote p{margin:0}
figure{margin:0}figure img{width:100%;height:auto;border:1px solid #d0d7de;border-radius:4px}
figcaption{font-size:12px;color:#57606a;margin-top:2px}
details.more{margin:8px 0}details.more>summary{cursor:pointer;font-weight:600}
details.more ul{margin:4px 0;padding-left:20px}
details.how{margin:4px 0 8px}details.how>summary{cursor:pointer;color:#0969da}
.conventions{font-size:12.5px;color:#57606a}
.problems{background:#fde8e8;border:1px solid #b00;border-radius:4px;padding:6px 10px;margin:6px 0}
.shared{font-size:12px;color:#333;margin:4px 0 8px}.shared code{font-size:11.5px;margin-right:2px;white-space:nowrap}
.rxlt-table tr.failed td,.rxlt-table tr.skipped td{background:#fde8e8}
td .bad{color:#b00;font-weight:700}
.cfgbox{position:relative}
.cfg{position:absolute;right:0;top:1.5em;z-index:5;width:min(1000px,90vw);column-count:3;column-gap:18px;background:#fff;
     border:1px solid #d0d7de;border-radius:4px;box-shadow:0 4px 14px rgba(0,0,0,.15);padding:8px 10px;
     white-space:normal;font-size:11.5px;line-height:1.4;word-break:break-all}
.cfg code{background:none;padding:0}
details.config>summary{cursor:pointer;color:#0969da}
[data-rxlt=run-table][data-rxlt=run-table] .rxlt-scroll{overflow:visible}
td.run code{background:none;font-size:12px}
"""


def index_html(data: dict, now: datetime) -> str:
    studies = sorted(data.get("studies", {}).items(),
                     key=lambda kv: (any(r.get("smoke") for r in kv[1].values()), kv[0]))  # real studies first
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'><title>rxlt reports</title>",
             f"<style>{CSS}</style></head><body>",
             "<h1>rxlt reports</h1>",
             f"<p class='muted'>Updated {now.isoformat(timespec='seconds')}. Per study: the question and its answer, "
             "then every run, linked to its report (executed phase notebooks; open offline, paths relative to the "
             "repository).</p>"]
    if len(studies) > 1:
        parts.append("<p class='muted'>Studies: " + " · ".join(
            f"<a href='#study-{html.escape(s)}'>{html.escape(s)}</a>" for s, _ in studies) + "</p>")
    for study, runs in studies:
        parts.append(study_section(study, runs))
    parts.append("</body></html>")
    return "\n".join(parts)


def _final(runs: dict) -> dict | None:
    """The study report run (older studies: the tiers run) that answers the question."""
    for phase in ("05_report", "04_tiers"):
        done = [r for r in runs.values() if r["phase"] == phase and r.get("status") == "complete" and r.get("answer")]
        if done:
            return max(done, key=lambda r: r.get("updated", ""))
    return None


def study_section(study: str, runs: dict) -> str:
    smoke = any(r.get("smoke") for r in runs.values())
    out = [f"<section id='study-{html.escape(study)}'>",
           f"<h2>Study <code>{html.escape(study)}</code>"
           + ("<span class='smoke'>smoke study: not evidence</span>" if smoke else "") + "</h2>"]
    final = _final(runs)
    if final:
        out.append(_answer_block(final))
    else:
        out.append("<p data-rxlt='answer'><b>No answer yet:</b> the study report (05_report) has not finished.</p>")
    out.append(_runs_block(study, runs))
    out.append("</section>")
    return "\n".join(out)


def _answer_block(final: dict) -> str:
    answer = split_answer(final["answer"])
    report = html.escape(final.get("report", ""))
    links = (f"<p><a href='{report}'><b>Full study report</b></a> (evidence, robustness checks, power) · "
             f"<a href='{report}#languages'>per-language scores</a></p>" if report else "")
    question = f"<h3>{inline_html(answer.question)}</h3>" if answer.question else ""
    first, details, labels = split_bullets(answer.headline)
    how = (f"<details class='how'><summary>The evidence: {html.escape(', '.join(labels).lower() or 'how it was tested')}"
           "</summary>"
           f"{to_html(details)}</details>" if details else "")
    text = (f"<div class='answer' data-rxlt='answer'>{to_html(answer.banner)}{question}{to_html(first)}{how}"
            f"{links}</div>")
    figure = ""
    if final.get("figure"):
        figure = (f"<figure data-rxlt='headline-figure'><a href='{report}'><img src='{html.escape(final['figure'])}' "
                  "alt='Gain over the baseline per resource tier and resource slope, every condition'></a>"
                  "<figcaption>The whole study at a glance: gain over the baseline per resource tier (mean over "
                  "languages, 95% bootstrap interval) and the resource slope of the gain (mixed model, 95% CI) for "
                  "every condition; the question's condition on top.</figcaption></figure>")
    notes = [b for b in answer.more if b.lstrip().startswith("*") and not b.lstrip().startswith("**")]
    more = [b for b in answer.more if b not in notes]
    bullets = sum(line.lstrip().startswith("- ") for b in more for line in b.splitlines())
    title = answer.more_title + (f" ({bullets} more comparisons)" if bullets else "")
    folded = (f"<details class='more'><summary>{html.escape(title)}</summary>"
              f"{''.join(to_html(b) for b in more)}</details>" if more else "")
    return (f"<div class='lead{'' if figure else ' solo'}'>{text}{figure}</div>{folded}"
            + "".join(f"<div class='conventions'>{to_html(b)}</div>" for b in notes))


def _sort_key(r: dict):
    phase = PHASE_ORDER.index(r["phase"]) if r["phase"] in PHASE_ORDER else len(PHASE_ORDER)
    return phase, r.get("condition") or "", r.get("objective") or "", r.get("seed") if r.get("seed") is not None else -1, r["run_id"]


def _params(r: dict) -> dict:
    """The entry's parameters as shown (entries written before paths were shown relative are fixed here)."""
    results = r.get("results", "")
    root = display_root(results.rsplit("/", 1)[0]) if results.startswith("/") else None
    return {k: shown_value(v, root) for k, v in r.get("params", {}).items()}


def split_params(rows: list[dict]) -> tuple[dict, list[str]]:
    """(parameters with one value in every run that has them, keys whose values differ between runs)."""
    values: dict[str, set] = {}
    for r in rows:
        for k, v in r["shown"].items():
            if k not in LINEAGE:
                values.setdefault(k, set()).add(json.dumps(v, sort_keys=True))
    shared = {k: json.loads(next(iter(v))) for k, v in values.items() if len(v) == 1 and k not in OWN_COLUMNS}
    differ = [k for k, v in values.items() if len(v) > 1 and k not in OWN_COLUMNS]
    return shared, differ


def split_defaults(shared: dict, rows: list[dict]) -> tuple[dict, dict]:
    """(shared values the study set, shared values equal to their phase's default): the first say what the study is,
    the rest are folded (rxlt.params.phases.PHASES gives each phase's defaults; paths compare as shown)."""
    from dataclasses import MISSING, fields

    from rxlt.params.phases import PHASES

    defaults: dict[str, set] = {}
    for phase in {r["phase"] for r in rows if r["phase"] in PHASES}:
        for f in fields(PHASES[phase]):
            value = f.default if f.default is not MISSING else f.default_factory()
            defaults.setdefault(f.name, set()).add(json.dumps(list(value) if isinstance(value, tuple) else value))
    chosen = {k: v for k, v in shared.items() if json.dumps(v) not in defaults.get(k, set())}
    return chosen, {k: v for k, v in shared.items() if k not in chosen}


def _value(v) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def _runs_block(study: str, runs: dict) -> str:
    for r in runs.values():  # a run that never ran has the condition of the run it waited for
        up = [runs[k] for k in r.get("needs", []) if k in runs and runs[k]["phase"] == "02_finetune"]
        if not r.get("condition") and up and up[0].get("condition"):
            r["condition"] = up[0]["condition"]
    rows = sorted(runs.values(), key=_sort_key)
    for r in rows:
        r["shown"] = _params(r)
    shared, differ = split_params(rows)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.get("status", "?")] = counts.get(r.get("status", "?"), 0) + 1
    seconds = sum(r["seconds"] for r in rows if isinstance(r.get("seconds"), (int, float)))
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    out = [f"<h3>Runs</h3><p class='muted'>{len(rows)} runs: {summary}; {seconds / 60:.1f} min of run time "
           "(wall seconds per run; runs finished earlier keep their original time). Click a header to sort.</p>"]
    failed = [r for r in rows if r.get("status") == "failed"]
    skipped = [r for r in rows if r.get("status") == "skipped"]
    if failed or skipped:
        def item(r):
            return (f"<li>{_status_html(r, runs)} <a href='#run-{html.escape(r['phase'])}-{html.escape(r['run_id'])}'>"
                    f"<code>{html.escape(r['phase'])}/{html.escape(r['run_id'])}</code></a>"
                    f"{(' — ' + html.escape(r['error'])) if r.get('error') else ''}</li>")
        box = f"<b>{len(failed)} run(s) failed, {len(skipped)} skipped</b> (a skipped run waited for one that failed)"
        box += f"<ul>{''.join(item(r) for r in failed)}</ul>" if failed else ""
        if skipped:
            box += (f"<details><summary>the {len(skipped)} skipped runs</summary>"
                    f"<ul>{''.join(item(r) for r in skipped)}</ul></details>")
        out.append(f"<div class='problems' data-rxlt='problems'>{box}</div>")
    if shared:
        chosen, default = split_defaults(shared, rows)
        code = lambda items: " ".join(f"<code>{html.escape(k)}={html.escape(_value(v))}</code>"  # noqa: E731
                                      for k, v in sorted(items.items()))
        out.append("<div class='shared'><b>Shared by every run that has the key:</b> " + code(chosen)
                   + (f"<details class='how'><summary>and {len(default)} phase defaults</summary>{code(default)}"
                      "</details>" if default else "") + "</div>")
    columns = ["phase", "run", "condition", "objective", "seed", "status", "headline metric", "seconds", *differ, "config"]
    table = []
    for r in rows:
        report = r.get("report", "")
        run = (f"<a href='{html.escape(report)}'><code>{html.escape(r['run_id'])}</code></a>" if report
               else f"<code>{html.escape(r['run_id'])}</code>")
        metric = r.get("metric") or {}
        shown_metric = (f"<span title='{html.escape(metric.get('title', ''))}'>{html.escape(metric.get('text', ''))}</span>"
                        if metric else "—", repr(float(metric["value"])) if metric.get("value") is not None else "")
        config = (f"<b style='column-span:all;display:block;margin-bottom:4px'>Configuration of "
                  f"{html.escape(r['phase'])}/{html.escape(r['run_id'])}</b>")
        config += "".join(f"<code>{html.escape(k)}</code>=<code>{html.escape(_value(v))}</code><br>"
                          for k, v in r["shown"].items())
        config += f"<code>results</code>=<code>{html.escape(r.get('results', ''))}</code>"
        table.append([r["phase"], (run, r["run_id"]), r.get("condition") or "—", r.get("objective") or "—",
                      r.get("seed"), (_status_html(r, runs), r.get("status", "")), shown_metric, r.get("seconds"),
                      *[_cell(r["shown"].get(k)) for k in differ],
                      (f"<div class='cfgbox'><details class='config'><summary>config</summary>"
                       f"<div class='cfg'>{config}</div></details></div>", "")])
    ids = [f"run-{r['phase']}-{r['run_id']}" for r in rows]
    classes = [r.get("status", "") for r in rows]
    out.append(interactive_table(columns, table, row_ids=ids, row_classes=classes, mark="run-table", digits=1,
                                 placeholder="filter runs (condition, objective, status, …)", wrap=("headline metric",),
                                 titles={"seconds": "wall seconds of the run (kernel start to last cell)",
                                         "headline metric": "the run's own headline number; the study's answer is above"}))
    return "\n".join(out)


def _cell(v):
    if v is None:
        return None
    return v if isinstance(v, (int, float, bool)) else _value(v)


def _status_html(r: dict, runs: dict) -> str:
    status = r.get("status", "?")
    if status == "failed":
        log = r.get("log") or r.get("report")
        link = f" <a href='{html.escape(log)}'>log</a>" if log else ""
        return f"<span class='bad' title='{html.escape(r.get('error', ''))}'>failed</span>{link}"
    if status == "skipped":
        up = [k for k in r.get("needs", []) if runs.get(k, {}).get("status") in ("failed", "skipped")]
        link = "".join(f" <a href='#run-{html.escape(k.replace('/', '-'))}'>upstream</a>" for k in up[:1])
        return f"<span class='bad' title='{html.escape(r.get('error', ''))}'>skipped</span>{link}"
    return html.escape(status)
