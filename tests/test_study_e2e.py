"""The real entry point end to end: `rxlt study params/embedded.yaml --smoke` on tiny settings."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _study(tmp, *extra, wait=True):
    cmd = [sys.executable, "-m", "rxlt", "study", str(REPO / "params" / "embedded.yaml"), "--smoke",
           "--runs-dir", str(tmp / "runs"), "--reports-dir", str(tmp / "reports"), *extra]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    if not wait:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)


# session scope: a worker may run other files' tests between these, and a module-scoped fixture would then be torn
# down and the smoke study built again (minutes of CI)
@pytest.fixture(scope="session")
def smoke(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("smoke")
    t0 = time.time()
    res = _study(tmp)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return tmp, time.time() - t0, res.stdout + res.stderr


def _results(tmp):
    return {p.parent.parent.name + "/" + p.parent.name: json.loads(p.read_text())
            for p in (tmp / "runs" / "embedded-smoke").glob("*/*/results.json")}


def test_every_phase_ran_and_wrote_complete_results(smoke):
    tmp, seconds, out = smoke
    res = _results(tmp)
    phases = [k.split("/")[0] for k in res]
    # smoke grid: 1 seed × (probe + direct × {erm, rs_rp, rs_da} + intermediate × erm) on SIB-200
    assert {p: phases.count(p) for p in set(phases)} == {"01_intermediate": 1, "02_finetune": 5, "03_evaluate": 5, "04_tiers": 1,
                                                         "05_report": 1}
    for key, r in res.items():
        assert r["status"] == "complete", key
        assert r["provenance"]["versions"]["transformers"] and "commit" in r["provenance"]["git"]
        assert (tmp / "runs" / "embedded-smoke" / key / "notebook.ipynb").is_file()
    ev = [r for k, r in res.items() if k.startswith("03_evaluate")]
    for r in ev:
        langs = r["metrics"]["per_language"]
        assert sorted(langs) == sorted(["en", "deu_Latn", "jpn_Jpan", "ell_Grek", "swh_Latn", "yor_Latn", "zul_Latn"])
        for m in langs.values():
            assert 0 <= m["ci_low"] <= m["accuracy"] <= m["ci_high"] <= 1 and m["n"] == 12
        assert r["samples"]["test"]["deu_Latn"]["used"] == 12 and r["samples"]["test"]["deu_Latn"]["original"] == 204
        assert r["metrics"]["average"]["english_in_grid"] is True
    assert {r["condition"] for r in ev} == {"probe", "direct", "direct+rs_rp", "direct+rs_da", "intermediate"}
    ft = [r for k, r in res.items() if k.startswith("02_finetune")]
    inter = next(r for r in ft if r["condition"] == "intermediate")
    assert "01_intermediate" in inter["config"]["init_from"]
    da = next(r for r in ft if r["condition"] == "direct+rs_da")
    train = da["samples"]["train"]
    # the paper's RS-DA: its synonym list (shipped), 2 copies, the originals dropped
    assert train["used"] == 2 * train["original"] == 2 * 701 and 0.5 < train["fraction_of_texts_changed"] < 1
    assert "RS-DA" in train["method"] and "note" not in train
    probe = next(r for r in ft if r["condition"] == "probe")
    assert probe["config"]["linear_probe"] and not probe["config"]["init_from"]
    # the frozen lower layers: the same for every run (their output was computed once for all evaluations)
    assert {r["config"]["frozen_layers"] for r in ft} == {1}
    tiers = next(r for k, r in res.items() if k.startswith("04_tiers"))
    assert "SMOKE" in tiers["metrics"]["answer"] and tiers["english_in_tier_averages"] is False
    assert (tmp / "runs" / "embedded-smoke" / next(k for k in res if k.startswith("04_tiers")) / "tidy_results.csv").is_file()
    report_key = next(k for k in res if k.startswith("05_report"))
    report = res[report_key]
    assert "SMOKE" in report["metrics"]["answer"] and report["english_in_averages"] is False
    assert {t["condition"] for t in report["metrics"]["interaction_tests"]} == {r["condition"] for r in ev} - {"direct"}
    for name in ("tidy_results.csv", "tidy_results.parquet", "items.parquet", "covariates.csv"):
        assert (tmp / "runs" / "embedded-smoke" / report_key / name).is_file(), name


def test_the_report_says_how_the_study_was_sized(smoke):
    """The study report reads back each condition's sizes from its runs: what trained, the items per language."""
    tmp, _, _ = smoke
    report = next(r for k, r in _results(tmp).items() if k.startswith("05_report"))
    setup = {row["condition"]: row for row in report["design"]["setup"]}
    assert list(setup) == ["probe", "direct", "direct+rs_da", "direct+rs_rp", "intermediate"]
    assert setup["probe"]["encoder"] == "2 layers, all frozen (linear head only)"
    assert setup["direct"]["encoder"] == "2 layers, first 1 frozen, top 1 trained"
    assert all(row["test items per language"] == "12 of 204" and row["seeds"] == "0" for row in setup.values())
    assert setup["intermediate"]["intermediate"] == "wordnet-gloss → fortune-topic, 1 epoch(s), ≤ 200 items per task"
    assert setup["direct+rs_da"]["objective"] == "rs_da: 2 copies, synonyms: paper list"
    assert "parallel" in report["design"]["items_note"]


def test_reports_are_offline_html_with_figures_and_an_index(smoke):
    tmp, _, _ = smoke
    reports = sorted((tmp / "reports" / "embedded-smoke").glob("*/*.html"))
    assert len(reports) == 13
    for page in reports:
        text = page.read_text()
        assert not re.search(r"<script[^>]+src=", text), page  # no CDN (or any external) scripts
        assert "Traceback" not in text, page
    tiers_page = next(p for p in reports if p.parent.name == "04_tiers").read_text()
    assert tiers_page.count("data:image/png;base64") >= 3
    assert "SMOKE RUN" in tiers_page
    report_page = next(p for p in reports if p.parent.name == "05_report").read_text()
    assert report_page.count("data:image/png;base64") >= 6 and "SMOKE STUDY — NOT EVIDENCE" in report_page
    assert "../03_evaluate/" in report_page  # links to every run's report
    # progress bars end as one final text line, not one line per refresh
    ft_page = next(p for p in reports if p.parent.name == "02_finetune" and p.name.startswith("direct-erm")).read_text()
    assert ft_page.count("sib200: 100%") == 1
    for page in reports:  # for reading: the run's resolved parameters are its first table, no defaults cell, no code
        text = page.read_text()
        assert re.search("data-rxlt=[\"']parameters", text).start() < text.index("<table"), page
        assert "celltag_parameters" not in text and "celltag_injected-parameters" not in text, page
        assert 'class="jp-CodeMirrorEditor' not in text, page  # code cells hidden
    index = (tmp / "reports" / "index.html").read_text()
    assert index.count("<tr id='run-") == 13 and "smoke study" in index and "Full study report" in index
    assert "embedded-smoke/05_report/" in index and "embedded-smoke/05_report/report-" in index
    assert len(list((tmp / "reports" / "embedded-smoke" / "05_report").glob("*-headline-figure.png"))) == 1
    assert "<code>init_from</code>=<code>runs/embedded-smoke/01_intermediate/inter-s0-" in index  # folded config
    entries = json.loads((tmp / "reports" / "index.json").read_text())["studies"]["embedded-smoke"]
    assert all(isinstance(e["seconds"], float) and e["seconds"] > 0 for e in entries.values())  # wall time of each run
    assert {e["condition"] for e in entries.values() if e["phase"] == "03_evaluate"} == \
        {"probe", "direct", "direct+rs_rp", "direct+rs_da", "intermediate"}


def test_reports_folder_reads_first_and_travels_in_chromium(smoke, tmp_path):
    """reports/ zipped and unpacked elsewhere, opened offline in headless Chromium at 1400 px: the index shows the
    answer and the headline figure on its first screen (900 px) before a run table of a few screens; every link and
    image resolves inside the moved folder; no file there names a folder of this machine; the study report's
    per-language table filters by language name and sorts by code."""
    from urllib.parse import unquote, urlparse

    import headless

    browser = headless.chromium()
    tmp, _, _ = smoke
    archive = shutil.make_archive(str(tmp_path / "reports"), "zip", tmp / "reports")
    moved = tmp_path / "elsewhere" / "reports"
    shutil.unpack_archive(archive, moved)
    machine = [str(REPO), str(tmp), str(Path.home()), str(tmp_path)]
    for f in moved.rglob("*"):
        if f.suffix in (".html", ".json", ".txt"):
            text = f.read_text()
            assert not [m for m in machine if m in text], f"{f.relative_to(moved)} names a folder of this machine"
    index = moved / "index.html"
    report = next((moved / "embedded-smoke" / "05_report").glob("report-*.html"))
    filter_and_sort = """var box = document.querySelector('[data-rxlt=language-table]'); if (!box) return {};
      var input = box.querySelector('input'); input.value = 'swahili'; input.dispatchEvent(new Event('input'));
      var shown = Array.prototype.filter.call(box.querySelectorAll('tbody tr'), function (r) {
        return r.style.display !== 'none'; }).map(function (r) { return r.id; });
      input.value = ''; input.dispatchEvent(new Event('input'));
      var th = box.querySelector('thead th'); th.click(); th.click();
      return {shown: shown, first: box.querySelector('tbody tr').id};"""
    paths = {"index": index, "report": report}
    pages = {"index": headless.probe(browser, index), "report": headless.probe(browser, report, script=filter_and_sort)}
    for name, m in pages.items():
        marks = m["marks"]
        assert marks["answer"][0] < marks["run-table"][0] and marks["headline-figure"][0] < marks["run-table"][0], name
        for url in m["links"] + [i["src"] for i in m["images"] if not i["src"].startswith("data:")] + m["scripts"]:
            parsed = urlparse(url)
            assert parsed.scheme == "file", f"{name}: {url} leaves the folder (offline reports only)"
            target = Path(unquote(parsed.path))
            assert target.is_relative_to(moved) and target.exists(), f"{name}: {url} does not resolve after the move"
            if parsed.fragment:  # an anchor: on this page (as laid out) or in the linked one
                ids = m["ids"] if target == paths[name] else re.findall(r"id=['\"]([^'\"]+)", target.read_text())
                assert {parsed.fragment, unquote(parsed.fragment)} & set(ids), f"{name}: {url} points at no element"
        assert all(i["width"] > 0 for i in m["images"]), f"{name}: an image did not decode"
    first = pages["index"]["marks"]
    assert first["answer"][1] <= 900 and first["headline-figure"][1] <= 900, first  # the first screen at 1400 × 900
    table = first["run-table"]
    assert table[1] - table[0] < 2 * 900, "the run table of 13 runs should fit in two screens"
    assert pages["report"]["extra"] == {"shown": ["lang-swh_Latn"], "first": "lang-zul_Latn"}
    headless.screenshot(browser, index, tmp_path / "index.png", size="1400,900")
    assert headless.ink(tmp_path / "index.png") > 0.02, "the index's first screen painted (nearly) blank"


def test_rerun_recomputes_nothing(smoke):
    tmp, _, _ = smoke
    before = {k: r["provenance"]["finished"] for k, r in _results(tmp).items()}
    t0 = time.time()
    res = _study(tmp)
    assert res.returncode == 0, res.stderr
    assert "13 already finished, 0 to run" in res.stdout
    assert {k: r["provenance"]["finished"] for k, r in _results(tmp).items()} == before
    assert time.time() - t0 < 60


def _descendants(pid: int) -> set[int]:
    """Processes below `pid` (its notebook kernels), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _running(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                alive.add(pid)
        except (OSError, IndexError):
            pass
    return alive


def _wait_for(path: Path, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline and not path.exists():
        time.sleep(0.2)
    assert path.exists(), f"{path} never appeared"


def test_ctrl_c_stops_at_once_and_a_killed_study_resumes_without_redoing_finished_runs(smoke):
    from rxlt.results import is_complete
    from rxlt.run.ledger import study_status
    from rxlt.run.study import expand, load_study

    tmp, _, out = smoke
    assert "KeyboardInterrupt caught in kernel" not in out  # kernels are shut down without a SIGINT first
    runs = tmp / "runs" / "embedded-smoke"
    redo = sorted((runs / "03_evaluate").iterdir())[0]
    tiers = next((runs / "04_tiers").iterdir())
    report = next((runs / "05_report").iterdir())
    import shutil

    redone = [f"03_evaluate/{redo.name}", f"04_tiers/{tiers.name}", f"05_report/{report.name}"]
    uninterrupted = {k: r["metrics"] for k, r in _results(tmp).items() if k in redone}
    shutil.rmtree(redo)
    shutil.rmtree(tiers)
    shutil.rmtree(report)
    kept = {k: r["provenance"]["finished"] for k, r in _results(tmp).items()}

    # Ctrl-C: the terminal signals the driver's process group; each kernel runs in a session of its own
    proc = _study(tmp, wait=False)
    _wait_for(redo / "notebook.ipynb")
    time.sleep(2)
    kernels = _descendants(proc.pid)
    assert kernels, "the evaluation's kernel should be running"
    t0 = time.time()
    os.killpg(proc.pid, signal.SIGINT)
    text, _ = proc.communicate(timeout=60)
    assert time.time() - t0 < 10 and proc.returncode == 130, text[-2000:]
    last = text.strip().splitlines()[-1]
    assert last.startswith("rxlt: interrupted by SIGINT: 1 running run(s) stopped") and "Traceback" not in text
    assert last.endswith(f"resume with: python -m rxlt study {REPO / 'params' / 'embedded.yaml'} --smoke --runs-dir "
                         f"{tmp / 'runs'} --reports-dir {tmp / 'reports'}"), last
    deadline = time.time() + 5
    while _running(kernels) and time.time() < deadline:
        time.sleep(0.2)
    assert not _running(kernels), f"kernel processes left behind: {_running(kernels)}"
    assert not is_complete(redo) and not is_complete(tiers)  # an interrupted run never reads as complete
    assert json.loads((runs / "ledger.json").read_text())[redone[0]]["state"] == "interrupted"
    rows = {r["run"]: r for r in study_status(expand(load_study(REPO / "params" / "embedded.yaml", smoke=True),
                                                     tmp / "runs"), runs)}
    assert rows[redone[0]]["state"] == "interrupted" and "SIGINT" in rows[redone[0]]["note"]

    # SIGKILL of the driver itself (power loss, the OOM killer): no cleanup at all
    proc = _study(tmp, wait=False)
    deadline = time.time() + 120
    while time.time() < deadline and not (redo / "notebook.ipynb").exists():
        time.sleep(0.5)
    time.sleep(3)  # inside the evaluation notebook now
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert not (redo / "results.json").exists()  # a killed run never looks finished
    index = json.loads((tmp / "reports" / "index.json").read_text())["studies"]["embedded-smoke"]
    assert all(e["status"] == "complete" for k, e in index.items() if redo.name not in k and "04_tiers" not in k
               and "05_report" not in k)
    res = _study(tmp)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert "10 already finished, 3 to run" in res.stdout
    after = _results(tmp)
    assert all(after[k]["provenance"]["finished"] == v for k, v in kept.items())
    assert all(r["status"] == "complete" for r in after.values()) and len(after) == 13
    # the runs done again after the interruptions give what the uninterrupted study gave
    assert {k: after[k]["metrics"] for k in redone} == uninterrupted


def test_evaluation_refuses_a_model_with_another_label_map(smoke, tmp_path):
    import shutil

    from rxlt.params.phases import EvaluateParams
    from rxlt.params.strict import build
    from rxlt.phases.evaluate import run_evaluation
    from rxlt.results import start_run

    tmp, _, _ = smoke
    ft = next((tmp / "runs" / "embedded-smoke" / "02_finetune").glob("direct-erm-*"))
    copy = tmp_path / "ft"
    shutil.copytree(ft, copy)
    head = json.loads((copy / "model" / "head.json").read_text())
    head["labels"] = list(reversed(head["labels"]))
    (copy / "model" / "head.json").write_text(json.dumps(head))
    cfg = build(EvaluateParams, {"finetune_run": str(copy), "languages": ["en"], "run_dir": str(tmp_path / "ev")})
    with pytest.raises(ValueError, match="do not match task"):
        run_evaluation(start_run("03_evaluate", cfg))


def test_smoothing_sigma_is_stored_with_the_model_and_independent_of_the_evaluated_languages(smoke, tmp_path):
    """Phase 2 stores the English training embedding RMS (model/embedding_scale.json); phase 3's CERTIFY uses
    smoothing_sigma × it whatever languages it evaluates, with n0 selection and n estimation draws."""
    from rxlt.params.phases import EvaluateParams
    from rxlt.params.strict import build
    from rxlt.phases.evaluate import run_evaluation
    from rxlt.results import start_run

    tmp, _, _ = smoke
    ft = next((tmp / "runs" / "embedded-smoke" / "02_finetune").glob("direct-rs_rp-*"))
    scale = json.loads((ft / "model" / "embedding_scale.json").read_text())
    assert 0.05 < scale["embedding_rms"] < 0.2 and "English sib200 train" in scale["source"]
    runs = {}
    for langs in (["en", "deu_Latn"], ["jpn_Jpan", "swh_Latn"]):
        cfg = build(EvaluateParams, {"finetune_run": str(ft), "languages": langs, "max_test_items": 4,
                                     "smoothing_samples": 12, "smoothing_selection_samples": 4, "smoothing_sigma": 0.25,
                                     "bootstrap_samples": 100, "run_dir": str(tmp_path / "-".join(langs))})
        run_evaluation(start_run("03_evaluate", cfg))
        runs[tuple(langs)] = json.loads((tmp_path / "-".join(langs) / "results.json").read_text())["metrics"]
    a, b = runs[("en", "deu_Latn")], runs[("jpn_Jpan", "swh_Latn")]
    assert a["smoothing"]["sigma_absolute"] == b["smoothing"]["sigma_absolute"] == pytest.approx(0.25 * scale["embedding_rms"])
    assert (a["smoothing"]["selection_samples"], a["smoothing"]["estimation_samples"]) == (4, 12)
    assert "not a cross-lingual guarantee" in a["smoothing"]["guarantee"]
    for m in (*a["per_language"].values(), *b["per_language"].values()):
        grid = [m[f"certified_accuracy_at_{r}sigma"] for r in ("0", "0.5", "1", "1.5", "2")]
        assert grid == sorted(grid, reverse=True) and grid[0] == m["smoothed_accuracy"] <= 1
        assert 0 <= m["mean_correct_radius"] and "mean_certified_radius" not in m


def test_bad_study_file_fails_before_any_compute(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: x\nseeds: [0]\nepochz: 3\n")
    res = subprocess.run([sys.executable, "-m", "rxlt", "study", str(bad), "--runs-dir", str(tmp_path / "runs")],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert f"{bad}: unknown key 'epochz'" in res.stderr and "did you mean 'epochs'" in res.stderr
    assert not (tmp_path / "runs").exists()


def test_explore_notebook_slices_the_finished_study(smoke, tmp_path):
    import jupytext
    import papermill

    tmp, _, _ = smoke
    out = papermill.execute_notebook(
        jupytext.read(REPO / "notebooks" / "99_explore.py"), str(tmp_path / "explore.ipynb"), kernel_name="rxlt",
        progress_bar=False, parameters={"study": "embedded-smoke", "runs_dir": str(tmp / "runs"),
                                        "tiers": ["unseen", "high"], "seeds": [0]})
    outputs = [o for c in out.cells if c.cell_type == "code" for o in c.outputs]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2
    table = outputs[-1]["data"]["text/plain"]  # the per-language table
    # unseen (yor_Latn, zul_Latn) and high (en, deu_Latn, jpn_Jpan) kept; low (swh_Latn) and mid (ell_Grek) filtered out
    codes = r"\b(en|deu_Latn|jpn_Jpan|ell_Grek|swh_Latn|yor_Latn|zul_Latn)\b"
    assert set(re.findall(codes, table)) == {"en", "deu_Latn", "jpn_Jpan", "yor_Latn", "zul_Latn"}
