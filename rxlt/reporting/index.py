"""reports/index.json — one entry per run of every study — and the reports/index.html built from it.

Several studies may share one `reports/` (and Slurm runs may finish at once), so every read-modify-write of
index.json holds an exclusive lock (`reports/.index.lock`, fcntl) and the JSON and the page are replaced
atomically: a writer never loses another's entries and a reader never sees half a file.

Everything an entry keeps is portable: links relative to `reports/`, paths shown relative to the repository
(rxlt.reporting.paths), figures and logs copied into `reports/<study>/…` next to the reports.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from rxlt.reporting.paths import display_root, shown_path, shown_value
from rxlt.reporting.render import CODE_DISPLAY, headline_image, render_html
from rxlt.results import RESULTS, read_results, write_json_atomic

INDEX_DATA = "index.json"
INDEX_PAGE = "index.html"
LOCK = ".index.lock"
HEADLINE_TAG = "headline-figure"  # the notebook cell whose figure leads the index (notebooks/05_report.py)
PATH_PARAMS = ("run_dir", "init_from", "finetune_run", "evaluation_runs")  # lineage: shown in the config only


@contextmanager
def locked(reports_dir: Path):
    """Hold the reports folder's index lock (blocking) for one read-modify-write."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    with open(reports_dir / LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_index(reports_dir: Path) -> dict:
    path = reports_dir / INDEX_DATA
    return json.loads(path.read_text()) if path.is_file() else {"studies": {}}


def record_report(reports_dir: Path, study: str, entry: dict) -> None:
    """Add or update one run's entry in reports/index.json (locked; the file is replaced atomically)."""
    with locked(reports_dir):
        data = read_index(reports_dir)
        data["studies"].setdefault(study, {})[f"{entry['phase']}/{entry['run_id']}"] = entry
        write_json_atomic(reports_dir / INDEX_DATA, data)


def write_index(reports_dir: Path) -> Path:
    """reports/index.html from index.json: per study the answer and headline figure, then the run table."""
    from rxlt.reporting.index_page import index_html

    out = reports_dir / INDEX_PAGE
    with locked(reports_dir):
        page = index_html(read_index(reports_dir), datetime.now(timezone.utc))
        tmp = out.with_name(f".{INDEX_PAGE}.{os.getpid()}.tmp")
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, out)
    return out


def record_run(reports_dir: Path, study: str, *, phase: str, run_id: str, status: str, params: dict,
               notebook: Path, seconds: float | None = None, error: str = "", log: str = "", needs=(),
               smoke: bool = False, code: str = "hide", condition: str = "") -> dict:
    """Render one run's report (when new, missing or rendered with other options), copy its headline figure and
    log next to it, and record its index entry. `status`: complete, cached (finished earlier), failed, skipped;
    `seconds` None = take the original wall time from the run's files; `condition` names the run's condition when
    it has no results to read it from (a failed fine-tuning run)."""
    if code not in CODE_DISPLAY:
        raise ValueError(f"report code display {code!r}: choose one of {list(CODE_DISPLAY)}")
    run_dir = Path(params["run_dir"])
    rel_dir = Path(study) / phase
    html_path = reports_dir / rel_dir / f"{run_id}.html"
    done = status in ("complete", "cached")
    code = code if done else "show"  # a failed run's report is its log: its code stays visible
    key = f"{phase}/{run_id}"
    old = read_index(reports_dir).get("studies", {}).get(study, {}).get(key, {})
    fresh = status != "cached" or not html_path.is_file() or old.get("render") != {"code": code}
    entry = {"phase": phase, "run_id": run_id, "status": "complete" if done else status, "needs": list(needs),
             "smoke": smoke, "render": {"code": code}, "error": error,
             "updated": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if status == "skipped":  # never ran: whatever notebook its directory holds is from an older attempt
        html_path.unlink(missing_ok=True)
    elif notebook.is_file() and fresh:
        render_html(notebook, html_path, code=code)
    entry["report"] = (rel_dir / html_path.name).as_posix() if html_path.is_file() else ""
    if log and Path(log).is_file() and Path(log) != notebook:  # e.g. the Slurm job's output: copied, so it travels
        copy = reports_dir / rel_dir / f"{run_id}.log.txt"
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, copy)
        entry["log"] = (rel_dir / copy.name).as_posix()
    root = display_root(run_dir)
    entry["params"] = {k: shown_value(v, root) for k, v in params.items() if k != "run_dir"}
    entry["results"] = shown_path(str(run_dir / RESULTS), root)
    results = read_results(run_dir) if done else None
    entry.update(lineage(phase, params, results))
    entry["condition"] = entry["condition"] or condition
    entry["metric"] = headline_metric(phase, results) if results else None
    entry["seconds"] = (round(seconds, 1) if seconds else wall_seconds(notebook, results)) if status != "skipped" else None
    if done and phase in ("04_tiers", "05_report"):
        entry["answer"] = results["metrics"]["answer"]
    if done and phase == "05_report":
        figure = reports_dir / rel_dir / f"{run_id}-{HEADLINE_TAG}.png"
        if fresh or not figure.is_file():
            png = headline_image(notebook, HEADLINE_TAG) if notebook.is_file() else None
            if png:
                figure.write_bytes(png)
        if figure.is_file():
            entry["figure"] = (rel_dir / figure.name).as_posix()
    record_report(reports_dir, study, entry)
    return entry


def wall_seconds(notebook: Path, results: dict | None) -> float | None:
    """A finished run's original wall time: its executed notebook's papermill duration (kernel start to last cell,
    what the study loop measures), else results.json's provenance duration (phase code only)."""
    try:
        meta = json.loads(notebook.read_text())["metadata"]["papermill"]
        if meta.get("duration"):
            return round(float(meta["duration"]), 1)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    duration = (results or {}).get("provenance", {}).get("duration_s")
    return round(float(duration), 1) if duration is not None else None


def lineage(phase: str, params: dict, results: dict | None) -> dict:
    """Condition, objective and seed of a run, for the index's columns (from its results, else its parameters)."""
    seed = params.get("seed") if phase in ("01_intermediate", "02_finetune", "03_evaluate") else None
    if phase == "01_intermediate":
        return {"condition": "intermediate training", "objective": "", "seed": seed}
    if phase in ("04_tiers", "05_report"):
        return {"condition": "all", "objective": "", "seed": None}
    upstream = results
    if phase == "03_evaluate":
        try:  # the objective is the fine-tuning run's
            upstream = read_results(params["finetune_run"])
        except (FileNotFoundError, ValueError, KeyError):
            upstream = None
    condition = (results or {}).get("condition") or (upstream or {}).get("condition") or ""
    objective = (upstream or {}).get("config", {}).get("objective") or params.get("objective", "")
    return {"condition": condition, "objective": objective, "seed": seed}


def _points(value: float, scale: float) -> str:
    return f"{value * scale:+.2f}"


def headline_metric(phase: str, results: dict) -> dict | None:
    """The one number a run is known by: {"label", "text", "value"} (value sorts the table)."""
    m = results.get("metrics", {})
    if phase == "01_intermediate":
        scores = [(t, v["english_dev_score"]) for t, v in m.items() if isinstance(v, dict) and "english_dev_score" in v]
        if not scores:
            return None
        metric = next(v for v in m.values() if isinstance(v, dict) and "english_dev_score" in v).get("dev_metric", "score")
        return {"label": f"en dev {metric}", "value": scores[-1][1],
                "text": f"en dev {metric} " + " · ".join(f"{s:.3f}" for _, s in scores),
                "title": ", ".join(f"{t} {s:.3f}" for t, s in scores)}
    if phase == "02_finetune" and "english_dev_score" in m:
        metric = m.get("dev_metric", "accuracy")
        return {"label": f"en dev {metric}", "value": m["english_dev_score"],
                "text": f"en dev {metric} {m['english_dev_score']:.3f}"}
    if phase == "03_evaluate":
        average = m.get("average", {})
        key = next((k for k in average if k.startswith("macro_") and k.endswith("_excluding_english")), None)
        if key is None or average[key] is None:
            return None
        metric = key[len("macro_"):-len("_excluding_english")]
        return {"label": f"macro {metric}", "value": average[key],
                "text": f"macro {metric} {average[key]:.3f} (no en)",
                "title": f"macro-average over the {average.get('languages', '?')} evaluated languages, English excluded"}
    if phase == "04_tiers":
        rows = m.get("low_minus_high_gain") or []
        row = next((r for r in rows if r.get("condition") == "intermediate"), rows[0] if rows else None)
        if not row or row.get("difference") is None:
            return None
        lo, hi = row.get("ci_low"), row.get("ci_high")
        ci = f" [{lo:+.3f}, {hi:+.3f}]" if lo is not None and hi is not None else ""
        return {"label": "low − high gain", "value": row["difference"],
                "text": f"low − high gain ({row['condition']}) {row['difference']:+.3f}{ci}"}
    if phase == "05_report":
        head = m.get("headline_condition")
        row = next((r for r in m.get("interaction_tests", []) if r.get("condition") == head), None)
        if not row or row.get("estimate") is None:
            return None
        scale = 100.0 if results.get("design", {}).get("value_max", 1.0) <= 1.0 else 1.0
        ci = (f" [{_points(row['ci_low'], scale)}, {_points(row['ci_high'], scale)}]"
              if row.get("ci_low") is not None and row.get("ci_high") is not None else "")
        unit = " points" if scale == 100.0 else ""
        return {"label": "resource slope", "value": row["estimate"],
                "text": f"slope ({head}) {_points(row['estimate'], scale)}{ci}{unit}",
                "title": f"change of the gain over the baseline per unit of {m.get('resource_predictor', 'resource')}"}
    return None
