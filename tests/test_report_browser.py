"""The study report phase end to end on a tiny synthetic study with a planted effect, then in Chromium.

The synthetic study has the same files a real one has (results.json of intermediate, fine-tuning and
evaluation runs, predictions.csv.gz); its gains are planted to shrink with CC-100 size, so the report
must answer "yes" for `intermediate` and "not detected" for a condition with no effect. The report
notebook is executed with papermill (rxlt.run.execution.execute) and rendered with the offline template;
Chromium (Debian's `chromium`, installed with apt-get when missing) paints it headless.
"""
import base64
import json
import re
import tempfile
from pathlib import Path

import headless
import numpy as np
import pandas as pd
import pytest

from rxlt.languages.covariates import covariate_table
from rxlt.params.phases import ReportParams
from rxlt.params.strict import ParamsError, build
from rxlt.reporting.render import render_html
from rxlt.run.execution import execute, kernel_name
from rxlt.results import write_json_atomic
from rxlt.run.study import RunSpec, expand, load_study

REPO = Path(__file__).resolve().parents[1]
SEEN = ["de", "ja", "el", "fi", "bg", "hi", "sw", "af", "ta", "eu", "am", "xh"]  # CC-100 sizes 0.1 … 69 GiB
UNSEEN = ["yo", "zu", "qu"]
LANGS = ["en"] + SEEN + UNSEEN
N_ITEMS = 40
SEEDS = (0, 1, 2)  # 3 seeds: with 2 the seed-specific slope has 1 df and a planted effect is often not detectable


def _write(run_dir: Path, data: dict) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(run_dir / "results.json", {"status": "complete", **data})
    return run_dir


def make_study(root: Path) -> list[str]:
    """Evaluation runs of conditions direct / intermediate (planted slope) / direct+rs_rp (no effect) × 3 seeds."""
    rng = np.random.default_rng(0)
    cov = covariate_table(LANGS).set_index("language")
    base_p = 0.5
    evals = []
    for seed in SEEDS:
        inter = _write(root / "01_intermediate" / f"inter-s{seed}", {"phase": "01_intermediate", "config": {"tasks": ["cldr-unit"]}})
        base_correct = {l: rng.random(N_ITEMS) < base_p for l in LANGS}
        for cond, objective, init in (("direct", "erm", ""), ("intermediate", "erm", str(inter)), ("direct+rs_rp", "rs_rp", "")):
            name = f"{cond.replace('+', '-')}-s{seed}"
            ft = _write(root / "02_finetune" / name, {"phase": "02_finetune", "config": {"model": "e5-small", "objective": objective,
                                                                                  "init_from": init}})
            rows, per_lang = [], {}
            for l in LANGS:
                size = cov.loc[l, "log2_cc100_gib"]
                gain = 0.0
                if cond == "intermediate":  # planted: +0.25 at the bottom, shrinking by 0.04 per doubling; unseen +0.3
                    gain = 0.3 if np.isnan(size) else 0.25 - 0.04 * (size + 3.3)
                # paired with the baseline's items: flip wrong→right (gain > 0) or right→wrong (gain < 0)
                # with the probability that makes the expected accuracy base_p + gain
                flip = rng.random(N_ITEMS) < abs(gain) / ((1 - base_p) if gain > 0 else base_p)
                correct = base_correct[l] | flip if gain > 0 else base_correct[l] & ~flip
                if cond == "direct+rs_rp":  # no effect: a fresh draw at the baseline accuracy
                    correct = rng.random(N_ITEMS) < base_p
                rows += [{"language": l, "key": f"k{i}", "group": f"k{i}", "split": "test", "text": "-", "label": "a",
                          "prediction": "a" if c else "b", "correct": int(c)} for i, c in enumerate(correct)]
                acc = float(np.mean(correct))
                per_lang[l] = {"accuracy": acc, "ci_low": max(0, acc - 0.15), "ci_high": min(1, acc + 0.15), "n": N_ITEMS}
            ev = root / "03_evaluate" / name
            ev.mkdir(parents=True)
            pd.DataFrame(rows).to_csv(ev / "predictions.csv.gz", index=False)
            _write(ev, {"phase": "03_evaluate", "task": "cldr-territory", "condition": cond, "finetune_seed": seed,
                        "finetune_run": str(ft), "metrics": {"metric": "accuracy", "per_language": per_lang},
                        "artifacts": {"predictions": "predictions.csv.gz"}})
            evals.append(str(ev))
    return evals


@pytest.fixture(scope="session")  # built once per worker, even if other files run in between
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    params = build(ReportParams, {"evaluation_runs": make_study(root), "smoke": True, "permutation_samples": 500,
                                  "bootstrap_samples": 300, "run_dir": str(root / "05_report" / "report-x")}, source="test")
    outcome = execute(RunSpec("05_report", "report-x", params), kernel_name())
    assert outcome.status == "complete", outcome.error
    run_dir = Path(params.run_dir)
    html = render_html(run_dir / "notebook.ipynb", root / "reports" / "05_report" / "report-x.html")
    return run_dir, html


def test_report_answers_the_planted_effect_and_writes_tidy_tables(report):
    run_dir, _ = report
    res = json.loads((run_dir / "results.json").read_text())
    tests = {t["condition"]: t for t in res["metrics"]["interaction_tests"]}
    assert tests["intermediate"]["estimate"] < 0 and tests["intermediate"]["ci_high"] < 0  # planted −0.04/doubling
    assert tests["intermediate"]["estimate"] == pytest.approx(-0.04, abs=0.02)
    assert tests["direct+rs_rp"]["ci_low"] < 0 < tests["direct+rs_rp"]["ci_high"]
    assert tests["intermediate"]["n_groups"] == len(SEEN) and tests["intermediate"]["df_languages"] == len(SEEN) - 2
    assert 1 <= tests["intermediate"]["df"] <= len(SEEN) - 2  # Satterthwaite with the seed-specific slope
    answer = res["metrics"]["answer"]
    lines = answer.split("\n")
    assert "SMOKE" in lines[0] and lines[2].startswith("### Does `intermediate` keep better zero-shot transfer")
    assert lines[4].startswith("- **Answer:** **yes**")
    assert "points of accuracy per doubling of CC-100 data" in answer
    other = next(line for line in lines if line.startswith("- **`direct+rs_rp` vs `direct`**"))
    assert "**not detected**" in other
    assert "exclude English" in answer and "English dev accuracy only" in answer
    # unseen languages are excluded from the slope by name, and analysed as a tier (never imputed)
    assert sorted(res["metrics"]["excluded_from_slope"]["intermediate"]) == sorted(UNSEEN)
    checks = [r["check"] for r in res["metrics"]["robustness"] if r["condition"] == "intermediate"]
    assert any("unseen" in c for c in checks) and any("distance" in c for c in checks)
    tidy = pd.read_parquet(run_dir / "tidy_results.parquet")
    assert len(tidy) == 3 * len(SEEDS) * len(LANGS) and set(tidy.condition) == {"direct", "intermediate", "direct+rs_rp"}
    assert set(tidy.columns) >= {"task", "language", "condition", "intermediate_tasks", "objective", "seed", "metric", "value", "n"}
    assert set(tidy[tidy.condition == "intermediate"].intermediate_tasks) == {"cldr-unit"}
    assert pd.read_csv(run_dir / "tidy_results.csv").shape == tidy.shape
    items = pd.read_parquet(run_dir / "items.parquet")
    assert len(items) == 3 * len(SEEDS) * len(LANGS) * N_ITEMS
    cov = pd.read_csv(run_dir / "covariates.csv").set_index("language")
    assert cov.loc[UNSEEN, "log2_cc100_gib"].isna().all() and not cov.loc[UNSEEN, "seen"].any()
    assert res["english_in_averages"] is False and "English dev" in res["model_selection"]


def _at(html: str, mark: str) -> int:
    """Where the element marked data-rxlt=<mark> starts (nbconvert may rewrite the attribute's quotes)."""
    return re.search(f"data-rxlt=[\"']{mark}[\"']", html).start()


def test_report_html_is_offline_with_figures_links_and_watermark(report):
    run_dir, html_path = report
    html = html_path.read_text()
    assert len(re.findall(r"<img[^>]+src=\"data:image/png;base64", html)) >= 6
    assert not re.search(r"<script[^>]+src=", html), "the report must not load external scripts"
    assert "SMOKE STUDY — NOT EVIDENCE" in html
    assert html.index("Conclusion") < html.index("celltag_headline-figure") < _at(html, "parameters") \
        < html.index("Robustness checks") < html.index("What the design can detect")
    assert "../03_evaluate/intermediate-s0.html" in html and "../02_finetune/direct-s1.html" in html
    # the answer's bullets before the figure, the other conditions after it
    assert html.index("<strong>Effect size:</strong>") < html.index("celltag_headline-figure") \
        < html.index("<code>direct+rs_rp</code> vs")
    # the per-language table has every language, by code and name
    table = re.search(r"data-rxlt=.language-table..*?</table>", html, re.S).group(0)
    assert all(re.search(f"id=.lang-{code}.", table) for code in LANGS) and ">Swahili<" in table and ">Yoruba<" in table
    # paths as the repository shows them, never this machine's (the study lives in a temporary folder)
    assert str(run_dir.parents[1]) not in html and "/03_evaluate/intermediate-s0/results.json" in html


def test_report_with_code_shows_the_values_the_run_used_first(report, tmp_path):
    """report_code: show — the notebook's defaults cell is dropped, papermill's injected values come first."""
    run_dir, _ = report
    html = render_html(run_dir / "notebook.ipynb", tmp_path / "shown.html", code="show").read_text()
    assert "celltag_parameters" not in html and "runs/scratch/03_evaluate" not in html[:_at(html, "parameters")]
    injected = html.index("celltag_injected-parameters")
    assert injected < _at(html, "parameters") and injected < html.index("<span class=\"nn\">rxlt.notebook")
    assert str(run_dir.parents[1]) not in html and "/03_evaluate/intermediate-s0" in html
    folded = render_html(run_dir / "notebook.ipynb", tmp_path / "folded.html", code="fold").read_text()
    assert folded.count("<details class=\"rxlt-code\"><summary>code</summary>") >= 10


def test_report_params_and_study_dag():
    with pytest.raises(ParamsError, match="resource_predictor"):
        build(ReportParams, {"evaluation_runs": ["x"], "resource_predictor": "cc100"}, source="test")
    specs = expand(load_study(REPO / "params" / "embedded.yaml", smoke=True), Path(tempfile.gettempdir()) / "rxlt-dag")
    phases = [s.phase for s in specs]
    assert phases[-2:] == ["04_tiers", "05_report"]
    report = specs[-1]
    assert report.params.smoke and specs[-2].key in report.needs
    assert set(report.params.evaluation_runs) == {s.params.run_dir for s in specs if s.phase == "03_evaluate"}


def test_report_paints_in_headless_chromium(report, tmp_path):
    browser = headless.chromium()
    _, html_path = report
    headless.screenshot(browser, html_path, tmp_path / "report.png")
    assert headless.ink(tmp_path / "report.png") > 0.01, "the report screenshot is blank"
    # every embedded figure must decode and paint: put each on its own page and look at it
    images = re.findall(r"src=\"(data:image/png;base64,[^\"]+)\"", html_path.read_text())
    assert len(images) >= 6
    for i, src in enumerate(images):
        base64.b64decode(src.split(",", 1)[1], validate=True)
        page = tmp_path / f"fig{i}.html"
        page.write_text(f"<html><body style='margin:0;background:#fff'><img src='{src}' style='width:1000px'></body></html>")
        headless.screenshot(browser, page, tmp_path / f"fig{i}.png", size="1000,900")
        assert headless.ink(tmp_path / f"fig{i}.png") > 0.005, f"figure {i} painted blank"


def test_single_condition_study_says_there_is_no_comparison(tmp_path):
    from rxlt.phases.report import run_report
    from rxlt.reporting import study_figures
    from rxlt.results import start_run

    runs = [r for r in make_study(tmp_path / "study") if "/direct-s" in r]
    cfg = build(ReportParams, {"evaluation_runs": runs, "run_dir": str(tmp_path / "rep"), "bootstrap_samples": 100}, source="test")
    out = run_report(start_run("05_report", cfg))
    assert out["answer"].startswith("Only one condition was run")
    assert study_figures.gain_vs_resource(out["language_gains"], "log2_cc100_gib") is None
    assert json.loads((tmp_path / "rep" / "results.json").read_text())["metrics"]["interaction_tests"] == []
    with pytest.raises(ValueError, match="baseline_condition 'intermediate' was not run"):
        run_report(start_run("05_report", build(ReportParams, {"evaluation_runs": runs, "baseline_condition": "intermediate",
                                                              "run_dir": str(tmp_path / "rep2")}, source="test")))
