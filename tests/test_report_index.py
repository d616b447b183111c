"""reports/index.json and index.html without a study: concurrent writers lose nothing, the page puts the answer and
the headline figure before a compact run table, failed and skipped runs stand out and link their log, and paths
are shown relative. The real smoke study's index is checked in a browser in test_study_e2e.py."""
import json
import multiprocessing
import re
from pathlib import Path

import pytest

from rxlt.params.strict import ParamsError
from rxlt.reporting.answer import split_answer, split_bullets
from rxlt.reporting.index import read_index, record_report, record_run, write_index
from rxlt.reporting.paths import display_root, shown_path
from rxlt.results import repo_root
from rxlt.run.study import expand, load_study

PARAMS = Path(__file__).resolve().parents[1] / "params"

# the shape rxlt.phases.report.conclusion writes (smoke banner, question, headline bullets, others, conventions)
ANSWER = """> **SMOKE STUDY — tiny data, few steps: these numbers check the pipeline, they are not evidence.**

### Does `intermediate` keep better zero-shot transfer for low- than for high-resource languages (vs `direct`)?

- **Answer:** **yes** — the gain shrinks as resources grow (the 95% interval excludes 0).
- **Effect size:** the gain changes by **-4.00 points of accuracy per doubling of CC-100 data** (95% CI [-5.00, -3.00]).
- **Power:** the design detects a slope of ±1.50 points per doubling of CC-100 data with 80% power (α = 0.05).

**Robust and combined conditions** (same model; Holm over all conditions; points per doubling of CC-100 data):

- **`direct+rs_rp` vs `direct`** (mean gain +0.10 points): **not detected** — the 95% interval includes 0.

*Conventions:* averages over languages exclude English (the source language)."""


def _writer(reports: str, study: str, n: int) -> None:
    for i in range(n):
        record_report(Path(reports), study, {"phase": "03_evaluate", "run_id": f"{study}-{i}", "status": "complete",
                                             "params": {"seed": i}})
        if i % 10 == 0:
            write_index(Path(reports))


def test_concurrent_writers_keep_every_entry(tmp_path):
    """Four processes, two studies sharing one reports/ folder: every entry of every writer survives."""
    ctx = multiprocessing.get_context("fork")
    jobs = [ctx.Process(target=_writer, args=(str(tmp_path), study, 40)) for study in ("a", "b", "a2", "b2")]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(timeout=120)
        assert job.exitcode == 0
    studies = read_index(tmp_path)["studies"]
    assert {s: len(r) for s, r in studies.items()} == {"a": 40, "b": 40, "a2": 40, "b2": 40}
    assert not list(tmp_path.glob(".*.tmp")) and not list(tmp_path.glob("*.tmp"))  # atomic replace left nothing
    write_index(tmp_path)
    assert (tmp_path / "index.html").read_text().count("<tr id='run-03_evaluate-") == 160


def test_answer_is_cut_into_question_headline_and_the_rest():
    a = split_answer(ANSWER)
    assert a.banner.startswith("> **SMOKE") and a.question.startswith("Does `intermediate`")
    assert "**Effect size:**" in a.headline and "**Power:**" in a.headline and "rs_rp" not in a.headline
    assert a.more_title == "Robust and combined conditions" and any("rs_rp" in b for b in a.more)
    whole = split_answer("Only one condition was run: there is no comparison to report.")
    assert whole.question == "" and whole.headline.startswith("Only one condition")
    first, rest, labels = split_bullets(a.headline)  # the index's first screen: answer and effect size
    assert "**Answer:**" in first and "**Effect size:**" in first and "Power" not in first
    assert rest.startswith("- **Power:**") and labels == ["Power"]
    assert split_bullets("- **Answer:** yes") == ("- **Answer:** yes", "", [])


def test_paths_are_shown_relative_to_the_repository_or_the_runs_folder(tmp_path):
    run = tmp_path / "runs" / "s" / "03_evaluate" / "x"
    assert display_root(run) == tmp_path
    assert shown_path(str(run), display_root(run)) == "runs/s/03_evaluate/x"
    assert shown_path(str(repo_root() / "runs" / "s" / "p" / "r")) == "runs/s/p/r"
    assert shown_path(str(Path.home() / "corpora" / "x.json")) == "~/corpora/x.json"
    assert shown_path("/usr/share/wordnet") == "/usr/share/wordnet" and shown_path("rel/path") == "rel/path"


def _entry(phase, run_id, status="complete", **extra):
    return {"phase": phase, "run_id": run_id, "status": status, "params": {"model": "e5-small", "seed": 0},
            "report": f"s/{phase}/{run_id}.html" if status != "skipped" else "", "seconds": 12.5, **extra}


def test_index_page_answer_first_compact_runs_failures_flagged(tmp_path):
    (tmp_path / "s" / "05_report").mkdir(parents=True)
    entries = [
        _entry("02_finetune", "direct-erm-s0", condition="direct", objective="erm", seed=0,
               params={"model": "e5-small", "epochs": 2, "seed": 0, "init_from": ""}),
        _entry("02_finetune", "intermediate-erm-s0", "failed", condition="intermediate", objective="erm", seed=0,
               error="RuntimeError: boom", log="s/02_finetune/intermediate-erm-s0.log.txt",
               params={"model": "e5-small", "epochs": 3, "seed": 0, "init_from": "runs/s/01_intermediate/i"}),
        _entry("03_evaluate", "intermediate-erm-s0", "skipped", needs=["02_finetune/intermediate-erm-s0"],
               error="an upstream run failed"),
        _entry("05_report", "report", answer=ANSWER, figure="s/05_report/report-headline-figure.png",
               metric={"text": "slope (intermediate) -4.00 [-5.00, -3.00] points", "value": -0.04}),
    ]
    for e in entries:
        record_report(tmp_path, "s", e)
    page = write_index(tmp_path).read_text()
    order = [page.index(k) for k in ("data-rxlt='answer'", "data-rxlt='headline-figure'", "data-rxlt='run-table'")]
    assert order == sorted(order)
    assert page.index("<strong>Effect size:</strong>") < page.index("data-rxlt='headline-figure'")
    assert "<details class='more'><summary>Robust and combined conditions (1 more comparisons)" in page
    # differing parameters become a column, shared ones are listed once, lineage paths only in the folded config
    assert "<th title=''>epochs</th>" in page and page.count("<code>model=e5-small</code>") == 1
    assert "<th title=''>init_<wbr>from</th>" not in page and "runs/s/01_intermediate/i" in page
    failed = re.search(r"<tr id='run-02_finetune-intermediate-erm-s0' class='failed'>.*?</tr>", page).group(0)
    assert "href='s/02_finetune/intermediate-erm-s0.log.txt'>log</a>" in failed
    skipped = re.search(r"<tr id='run-03_evaluate-intermediate-erm-s0' class='skipped'>.*?</tr>", page).group(0)
    assert "href='#run-02_finetune-intermediate-erm-s0'>upstream</a>" in skipped
    assert "1 run(s) failed, 1 skipped" in page and "RuntimeError: boom" in page
    assert "<script src" not in page and "http" not in page.split("<body>")[1]


def test_record_run_renders_and_keeps_the_original_wall_time(tmp_path):
    """A cached run is recorded with the wall time its executed notebook recorded, its paths shown relative."""
    import nbformat

    run_dir = tmp_path / "runs" / "s" / "03_evaluate" / "direct-erm-s0"
    run_dir.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(metadata={"papermill": {"duration": 21.25}})
    nb.cells = [nbformat.v4.new_markdown_cell("# Phase 3"),
                nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(f"finetune_run = '{tmp_path}/runs/s/02_finetune/f'",
                                          metadata={"tags": ["injected-parameters"]}),
                nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output(
                    "stream", name="stderr", text=f"warning from {repo_root()}/rxlt/x.py and {tmp_path}/runs/s\n")])]
    nbformat.write(nb, run_dir / "notebook.ipynb")
    (run_dir / "results.json").write_text(json.dumps({
        "status": "complete", "phase": "03_evaluate", "condition": "direct", "metrics": {"average": {
            "macro_accuracy_excluding_english": 0.4, "languages": 7}}, "provenance": {"duration_s": 3.0}}))
    params = {"finetune_run": str(tmp_path / "runs/s/02_finetune/f"), "seed": 0, "run_dir": str(run_dir)}
    reports = tmp_path / "reports"
    entry = record_run(reports, "s", phase="03_evaluate", run_id="direct-erm-s0", status="cached", params=params,
                       notebook=run_dir / "notebook.ipynb", code="show")
    assert entry["seconds"] == 21.2 and entry["status"] == "complete" and entry["condition"] == "direct"
    assert entry["params"]["finetune_run"] == "runs/s/02_finetune/f"
    assert entry["results"] == "runs/s/03_evaluate/direct-erm-s0/results.json"
    assert entry["metric"]["text"].startswith("macro accuracy 0.400")
    page = (reports / entry["report"]).read_text()
    assert "x = 1" not in page  # the notebook's defaults cell is never rendered
    assert "runs/s/02_finetune/f" in page and "rxlt/x.py" in page
    assert str(tmp_path) not in page and str(repo_root()) not in page
    hidden = record_run(reports, "s", phase="03_evaluate", run_id="direct-erm-s0", status="cached", params=params,
                        notebook=run_dir / "notebook.ipynb", code="hide")  # another render option: rendered again
    assert hidden["render"] == {"code": "hide"} and "finetune_run" not in (reports / hidden["report"]).read_text()


def test_report_code_is_a_study_key_that_changes_no_run_id(tmp_path):
    from test_study_keys import EMBEDDED_SMOKE_IDS  # the golden ids

    shown = tmp_path / "shown.yaml"
    shown.write_text((PARAMS / "cldr.yaml").read_text() + "\nreport_code: show\n")
    cfg = load_study(shown, smoke=True)
    assert cfg.report_code == "show" and load_study(PARAMS / "embedded.yaml").report_code == "hide"
    assert sorted(s.key for s in expand(cfg, tmp_path)) == EMBEDDED_SMOKE_IDS
    shown.write_text((PARAMS / "embedded.yaml").read_text() + "\nreport_code: visible\n")
    with pytest.raises(ParamsError, match="report_code.*'hide', 'fold', 'show'"):
        load_study(shown)
