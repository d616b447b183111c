"""Phases 4 and 5 on a metric without per-item correctness (UD-POS, seqeval F1), through the real entry points
on tiny fabricated run directories; golden numbers computed by hand / numpy / scipy. Also: a mixed-metric set
of runs is refused naming the runs, and runs written before the `*_score` rename still read."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from rxlt.params.phases import ReportParams, TiersParams
from rxlt.params.strict import build
from rxlt.results import start_run, write_json_atomic

LANGS = ["en", "de", "fr", "ja", "el", "sw", "yo", "zu"]  # joshi tiers: high ×4, mid el, low sw, unseen yo zu
TIER = {"en": "high", "de": "high", "fr": "high", "ja": "high", "el": "mid", "sw": "low", "yo": "unseen", "zu": "unseen"}
BASE = {"en": 0.90, "de": 0.80, "fr": 0.82, "ja": 0.60, "el": 0.75, "sw": 0.50, "yo": 0.40, "zu": 0.45}
GAIN = {"en": 0.00, "de": 0.01, "fr": -0.01, "ja": 0.02, "el": 0.03, "sw": 0.08, "yo": 0.10, "zu": 0.06}
N = {l: 10 + i for i, l in enumerate(LANGS)}  # sentences per language


def f1(cond: str, seed: int, lang: str) -> float:
    """direct: BASE + 0.01·seed; intermediate: that + GAIN ± 0.02 (seed 1: +, seed 0: −), so the seed-paired
    differences are GAIN ± 0.02 and their mean over the two seeds is GAIN."""
    value = BASE[lang] + 0.01 * seed
    return value + GAIN[lang] + (0.02 if seed == 1 else -0.02) if cond == "intermediate" else value


def _write(run_dir: Path, data: dict) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(run_dir / "results.json", {"status": "complete", **data})
    return run_dir


def _finetune(root: Path, name: str, seed: int, init: str, task: str, dev_metric: str) -> Path:
    return _write(root / "02_finetune" / name, {
        "phase": "02_finetune", "condition": name.split("-")[0],
        "config": {"model": "xlm-roberta-base", "encoder_layers": 0, "epochs": 3, "objective": "erm", "seed": seed,
                   "task": task, "init_from": init},
        "metrics": {"english_dev_score": 0.9, "english_test_score": 0.88, "dev_metric": dev_metric,
                    "test_metric": dev_metric, "selected_epoch": 2}})


def make_tagging_study(root: Path, task: str = "udpos", metric: str = "seqeval_f1", headline: str = "f1",
                       langs=tuple(LANGS)) -> list[str]:
    """direct / intermediate × seeds 0, 1 of udpos, as phase 3 writes them (metric seqeval_f1, headline f1)."""
    evals = []
    for seed in (0, 1):
        inter = _write(root / "01_intermediate" / f"inter-s{seed}", {"phase": "01_intermediate", "config": {"tasks": ["panx"]}})
        for cond, init in (("direct", ""), ("intermediate", str(inter))):
            name = f"{cond}-s{seed}"
            ft = _finetune(root, name, seed, init, task, "seqeval_f1" if task == "udpos" else "squad_em_f1_mean")
            ev = root / "03_evaluate" / name
            ev.mkdir(parents=True)
            pd.DataFrame({"language": LANGS, "key": range(len(LANGS)),  # as tagging writes them (not read) "tokens": "['a']", "tags": "['NOUN']",
                          "prediction": "['NOUN']", "words_unpredicted": 0}).to_csv(ev / "predictions.csv.gz", index=False)
            per_lang = {l: {headline: f1(cond, seed, l), "words_unpredicted": 0, "words": 4 * N[l], "score": f1(cond, seed, l),
                            "ci_low": None, "ci_high": None, "n": N[l]} for l in langs}
            _write(ev, {"phase": "03_evaluate", "task": task, "condition": cond, "finetune_seed": seed,
                        "finetune_run": str(ft), "artifacts": {"predictions": "predictions.csv.gz"},
                        "metrics": {"metric": metric, "headline": headline, "per_language": per_lang}})
            evals.append(str(ev))
    return evals


def _language_seed_ci(table):
    """Mean of a language × seed table ± t(min(L, S) − 1) · sqrt((MS_language + MS_seed) / (L·S)), by hand."""
    y = np.asarray(table, dtype=float)
    L, S = y.shape
    ms = S * y.mean(1).var(ddof=1) + L * y.mean(0).var(ddof=1)
    half = sps.t.ppf(0.975, min(L, S) - 1) * np.sqrt(ms / (L * S))
    return y.mean() - half, y.mean() + half


@pytest.fixture()
def tagging_runs(tmp_path):
    return make_tagging_study(tmp_path / "study")


def test_tiers_phase_on_seqeval_f1_pairs_by_seed(tagging_runs, tmp_path):
    from rxlt.phases.tiers import run_tiers

    cfg = build(TiersParams, {"evaluation_runs": tagging_runs, "bootstrap_samples": 500, "run_dir": str(tmp_path / "t4")})
    out = run_tiers(start_run("04_tiers", cfg))
    res = json.loads((tmp_path / "t4" / "results.json").read_text())
    m = res["metrics"]
    assert (m["metric"], m["higher_is_better"], m["item_paired"], m["pairing"]) == ("seqeval_f1", True, False, "seed (run level)")
    assert "corpus-level (no per-item scores)" in m["note"] and "higher is better" in m["note"]
    assert res["model_selection"] == "English dev seqeval_f1 only (zero-shot)"
    assert res["samples"]["test_items"] == sum(N.values()) and res["samples"]["seeds"] == [0, 1]

    # the tidy table: one row per run × language, the score in a column named by the metric, gap to English
    tidy = pd.read_csv(tmp_path / "t4" / "tidy_results.csv", keep_default_na=False, na_values=[""])
    assert len(tidy) == 4 * len(LANGS) and set(tidy.metric) == {"seqeval_f1"}
    for r in tidy.itertuples():
        assert r.seqeval_f1 == pytest.approx(f1(r.condition, r.seed, r.language))
        assert r.gap == pytest.approx(f1(r.condition, r.seed, r.language) - f1(r.condition, r.seed, "en"))
        assert r.tier == TIER[r.language]

    # per tier: mean over languages (English out) and seeds, interval over the language × seed table
    tiers = pd.DataFrame(m["tier_score"]).set_index(["condition", "tier"])
    assert "tier_accuracy" not in m and "mean_seqeval_f1" in tiers
    high = [[f1("direct", s, l) for s in (0, 1)] for l in ("de", "fr", "ja")]  # seed means 0.805, 0.825, 0.605
    assert tiers.loc[("direct", "high"), "mean_seqeval_f1"] == pytest.approx((0.805 + 0.825 + 0.605) / 3)
    assert (tiers.loc[("direct", "high"), "ci_low"], tiers.loc[("direct", "high"), "ci_high"]) == pytest.approx(_language_seed_ci(high))
    assert tiers.loc[("direct", "high"), "df"] == 1 and tiers.loc[("direct", "high"), "seeds"] == 2
    assert tiers.loc[("intermediate", "unseen"), "mean_seqeval_f1"] == pytest.approx((0.405 + 0.10 + 0.455 + 0.06) / 2)
    assert tiers.loc[("direct", "unseen"), "languages"] == 2

    # gains: mean over seeds of the seed-paired differences = GAIN; 2 seeds: no per-language test (needs 6)
    gains = out["gains"].set_index("language")
    assert gains.gain.to_dict() == pytest.approx(GAIN)
    assert gains.seeds.eq(2).all() and gains.p_value.isna().all() and m["languages_significant_after_holm"] == []
    assert gains.test.str.startswith("not tested: 2 seed(s)").all() and "No per-language claim: 2 seed(s)" in m["answer"]
    tier_gain = pd.DataFrame(m["tier_gain"]).set_index("tier")
    assert tier_gain.loc["high", "mean_gain"] == pytest.approx((0.01 - 0.01 + 0.02) / 3)  # English excluded
    assert tier_gain.loc["unseen", "mean_gain"] == pytest.approx(0.08)
    per_seed_high = [[GAIN[l] - 0.02, GAIN[l] + 0.02] for l in ("de", "fr", "ja")]  # seed 0: −0.02, seed 1: +0.02
    assert (tier_gain.loc["high", "ci_low"], tier_gain.loc["high", "ci_high"]) == pytest.approx(_language_seed_ci(per_seed_high))

    # low (sw, yo, zu) minus high (de, fr, ja): 0.08 − 0.02/3. The ±0.02 seed shift is common to all languages, so
    # the per-seed contrasts agree and the interval is the Welch SE (scipy) with df = min(3, 3) − 1 = 2
    c = m["low_minus_high_gain"][0]
    assert c["difference"] == pytest.approx(0.08 - 0.02 / 3) and (c["n_low"], c["n_high"]) == (3, 3)
    low, hi = [GAIN[l] for l in ("sw", "yo", "zu")], [GAIN[l] for l in ("de", "fr", "ja")]
    welch = sps.ttest_ind(low, hi, equal_var=False)
    se = c["difference"] / welch.statistic
    assert c["se"] == pytest.approx(se) and c["df"] == 2
    assert (c["ci_low"], c["ci_high"]) == pytest.approx((c["difference"] - sps.t.ppf(0.975, 2) * se,
                                                         c["difference"] + sps.t.ppf(0.975, 2) * se))
    seen = ["de", "fr", "ja", "el", "sw"]
    from rxlt.languages.metadata import language

    rho = sps.spearmanr(np.log2([language(l)["cc100_gib"] for l in seen]), [GAIN[l] for l in seen]).statistic
    assert m["gain_vs_log_cc100"][0]["rho"] == pytest.approx(rho) and m["gain_vs_log_cc100"][0]["n"] == 5

    # the answer names the metric and the pairing, never "accuracy"
    assert "seqeval F1 gain is larger for low-resource languages" in m["answer"] and "mean gain +0.080" in m["answer"]
    assert "corpus-level (no per-item scores)" in m["answer"] and "accuracy" not in m["answer"].lower()
    # phase 4 describes; the verdict is phase 5's (no second, possibly contradicting one here)
    assert "excludes 0" not in m["answer"] and "study report's (phase 5)" in m["answer"]


def test_a_task_without_english_test_data_has_no_gap(tmp_path):
    """Tatoeba (retrieval, English is the target side) and XCOPA have no English test items: no transfer gap,
    said in the answer; everything else as for any metric."""
    from rxlt.phases.tiers import run_tiers

    langs = [l for l in LANGS if l != "en"]
    runs = make_tagging_study(tmp_path / "study", "tatoeba", "retrieval_accuracy", "score", langs)
    cfg = build(TiersParams, {"evaluation_runs": runs, "bootstrap_samples": 200, "run_dir": str(tmp_path / "t4")})
    out = run_tiers(start_run("04_tiers", cfg))
    res = json.loads((tmp_path / "t4" / "results.json").read_text())
    assert res["english_evaluated"] is False and res["metrics"]["tier_gap"] == [] and out["scores"].gap.isna().all()
    assert res["metrics"]["pairing"] == "seed (run level)"
    assert out["gains"].set_index("language").gain.to_dict() == pytest.approx({l: GAIN[l] for l in langs})
    assert "retrieval accuracy gain" in out["answer"] and "no transfer gap to English" in out["answer"]
    assert res["model_selection"] == "English dev squad_em_f1_mean only (zero-shot)"  # Tatoeba's encoder trains on SQuAD


def test_mixed_metrics_are_refused_naming_the_runs(tagging_runs, tmp_path):
    from rxlt.phases.tiers import run_tiers

    acc = tmp_path / "study" / "03_evaluate" / "xnli-s0"
    ft = _finetune(tmp_path / "study", "direct-xnli-s0", 0, "", "xnli", "accuracy")
    pd.DataFrame({"language": LANGS, "key": 0, "correct": 1}).to_csv(tmp_path / "p.csv", index=False)
    _write(acc, {"phase": "03_evaluate", "task": "xnli", "condition": "direct", "finetune_seed": 0, "finetune_run": str(ft),
                 "metrics": {"metric": "accuracy", "per_language": {l: {"accuracy": 0.5, "n": 1} for l in LANGS}},
                 "artifacts": {"predictions": "../../../p.csv"}})
    cfg = build(TiersParams, {"evaluation_runs": tagging_runs + [str(acc)], "run_dir": str(tmp_path / "t4")})
    with pytest.raises(ValueError, match=r"different metrics \(accuracy: .*/03_evaluate/xnli-s0; seqeval_f1: "
                                         r".*/direct-s0, .*/intermediate-s1\)") as e:
        run_tiers(start_run("04_tiers", cfg))
    assert "one metric" in str(e.value)
    assert not (tmp_path / "t4" / "results.json").exists()


def test_runs_of_two_tasks_sharing_a_metric_are_refused_listing_the_runs_per_task(tmp_path):
    """XNLI and PAWS-X runs are both scored by accuracy, but their languages and items differ: phase 4 refuses
    them before any analysis, naming every run under its task."""
    from rxlt.phases.tiers import run_tiers

    xnli = make_tagging_study(tmp_path / "xnli", task="xnli", metric="accuracy", headline="accuracy")
    pawsx = make_tagging_study(tmp_path / "pawsx", task="pawsx", metric="accuracy", headline="accuracy")
    cfg = build(TiersParams, {"evaluation_runs": xnli + pawsx, "run_dir": str(tmp_path / "t4")})
    with pytest.raises(ValueError, match=r"different tasks \(pawsx: .*/pawsx/03_evaluate/direct-s0, .*; xnli: "
                                         r".*/xnli/03_evaluate/direct-s0, .*\); phase 4 compares conditions within one task"
                       ) as e:
        run_tiers(start_run("04_tiers", cfg))
    pawsx_part, xnli_part = str(e.value).split("; xnli: ")
    assert all(run in pawsx_part and run not in xnli_part for run in pawsx)
    assert all(run in xnli_part for run in xnli) and len(xnli) == len(pawsx) == 4
    assert not (tmp_path / "t4" / "results.json").exists()


def test_unknown_metric_is_refused_before_analysis(tagging_runs, tmp_path):
    from rxlt.phases.tiers import load_evaluations

    for run in tagging_runs:
        res = json.loads((Path(run) / "results.json").read_text())
        res["metrics"]["metric"] = "bleu"
        write_json_atomic(Path(run) / "results.json", res)
    with pytest.raises(ValueError, match="metric 'bleu' is not in rxlt.data.metric_directions.METRICS"):
        load_evaluations(tagging_runs)


def test_tiers_notebook_runs_on_f1_runs(tagging_runs, tmp_path):
    """The 04 notebook itself (papermill): its tables and figures take the metric's column names."""
    from rxlt.run.execution import execute, kernel_name
    from rxlt.run.study import RunSpec

    params = build(TiersParams, {"evaluation_runs": tagging_runs, "bootstrap_samples": 100,
                                 "run_dir": str(tmp_path / "nb" / "04_tiers" / "t")})
    outcome = execute(RunSpec("04_tiers", "t", params), kernel_name())
    assert outcome.status == "complete", outcome.error
    text = (tmp_path / "nb" / "04_tiers" / "t" / "notebook.ipynb").read_text()
    assert "Metric: seqeval F1" in text and "English dev seqeval_f1 only" in text and "CLDR" not in text


def test_report_phase_on_f1_runs_names_the_metric(tagging_runs, tmp_path):
    from rxlt.phases.report import run_report

    cfg = build(ReportParams, {"evaluation_runs": tagging_runs, "bootstrap_samples": 200, "permutation_samples": 200,
                               "run_dir": str(tmp_path / "rep")}, source="test")
    out = run_report(start_run("05_report", cfg))
    res = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert out["metric"] == "seqeval_f1" and out["tests"].p_value.isna().all()
    assert res["metrics"]["languages_significant_after_holm"] == []
    assert res["samples"]["test_items"] == sum(N.values()) and res["model_selection"] == "English dev seqeval_f1 only (zero-shot)"
    assert "points of seqeval_f1" in out["answer"] and "No per-language claim: 2 seed(s)" in out["answer"]
    # what the calibration found is said where it applies: the main test with 2 seeds, the OLS bootstrap always
    assert "With 2 seeds the seed-specific slope has one degree of freedom" in out["answer"]
    boot = out["robustness"][out["robustness"].check.str.startswith("OLS on language means")]
    assert len(boot) and boot.note.str.contains("a description, not a test").all()
    # the model is XLM-R: `auto` takes CC-100 sizes and XLM-R's seen list
    assert res["metrics"]["resource_predictor"] == "log2_cc100_gib" and res["metrics"]["pretraining_corpus"] == "cc100"
    assert "accuracy" not in out["answer"].lower()
    gains = out["gains"]
    assert gains[gains.seed == 0].set_index("language").gain.to_dict() == pytest.approx({l: g - 0.02 for l, g in GAIN.items()})
    assert pd.read_parquet(tmp_path / "rep" / "items.parquet").empty  # no item-level correctness for tagging


def test_runs_written_before_the_score_rename_still_read(tmp_path, tagging_runs):
    """Finished runs on disk keep `english_dev_accuracy`, `english_test_accuracy`, history `dev_accuracy[...]`
    and no `dev_metric`/`headline`; readers fall back to them."""
    from rxlt.phases.english_training import history_table
    from rxlt.phases.tiers import load_evaluations, study_design
    from rxlt.reporting import phase_figures
    from rxlt.phases.explore import metric_column, summarize
    from rxlt.results import read_metric, read_results

    history = [{"epoch": 1, "train_loss": 0.9, "dev_accuracy": 0.5, "dev_accuracy[a]": 0.4, "selected": False},
               {"epoch": 2, "train_loss": 0.5, "dev_accuracy": 0.7, "dev_accuracy[a]": 0.6, "selected": True}]
    old = _write(tmp_path / "old-ft", {"phase": "02_finetune", "condition": "direct",
                                       "config": {"model": "e5-small", "encoder_layers": 6, "epochs": 2, "objective": "erm",
                                                  "seed": 0, "task": "cldr-territory", "init_from": ""},
                                       "metrics": {"english_dev_accuracy": 0.7, "english_test_accuracy": 0.65, "selected_epoch": 2},
                                       "training": [{"task": "cldr-territory", "history": history, "selected_epoch": 2}]})
    res = read_results(old)
    assert read_metric(res["metrics"], "english_dev_score") == 0.7 and read_metric(res["metrics"], "english_test_score") == 0.65
    with pytest.raises(KeyError, match="'english_dev_score' \\(or the older 'english_dev_accuracy'\\) not among"):
        read_metric({}, "english_dev_score")
    table = history_table(res["training"])
    assert list(table.dev_score) == [0.5, 0.7] and set(table.dev_metric) == {"accuracy"}
    assert not any(c.startswith(("dev_accuracy", "dev_score[")) for c in table.columns)
    fig = phase_figures.training_curves(table)
    assert fig.axes[1].get_title() == "English dev accuracy (model selection)"
    new = history_table([{"task": "udpos", "dev_metric": "seqeval_f1", "history": [
        {"epoch": 1, "train_loss": 0.9, "dev_score": 0.3, "selected": True}]}])  # as phase 2 writes it now
    assert list(new.dev_score) == [0.3] and phase_figures.training_curves(new).axes[1].get_ylabel() == "dev seqeval_f1"

    # an old evaluation run (no `headline`) on an old fine-tuning run (no `dev_metric`): accuracy, item-paired
    ev = tmp_path / "old-ev"
    pd.DataFrame({"language": ["en", "de"], "key": ["k0", "k0"], "correct": [1, 0]}).to_csv(tmp_path / "old.csv", index=False)
    _write(ev, {"phase": "03_evaluate", "task": "cldr-territory", "condition": "direct", "finetune_seed": 0,
                "finetune_run": str(old), "artifacts": {"predictions": "../old.csv"},
                "metrics": {"metric": "accuracy", "per_language": {"en": {"accuracy": 1.0, "n": 1}, "de": {"accuracy": 0.0, "n": 1}}}})
    scores, preds = load_evaluations([ev])
    assert scores.set_index("language").accuracy.to_dict() == {"en": 1.0, "de": 0.0} and len(preds) == 2
    assert study_design([ev])["dev_metrics"] == ["accuracy"]

    # a tidy_results.csv from phase 4 before the `metric` column: explore reads it as accuracy
    old_tidy = pd.DataFrame({"run": "r", "condition": "direct", "seed": 0, "language": ["en", "de"], "accuracy": [1.0, 0.0],
                             "gap": [0.0, -1.0], "tier": "high", "n": 1})
    assert metric_column(old_tidy) == "accuracy"
    assert summarize(old_tidy).set_index("language").accuracy.to_dict() == {"en": 1.0, "de": 0.0}


def test_item_scores_for_qa_and_tatoeba_reproduce_the_headline(tmp_path):
    """QA runs carry per-question (EM + F1)/2, retrieval runs per-query P@1 / AP / RR in both Tatoeba directions: the
    report takes the column (and direction) whose per-language mean is the run's headline value, whatever direction
    phase 3 reports."""
    from rxlt.reporting.tidy import item_results

    root = tmp_path / "s"
    ft = _finetune(root, "direct-s0", 0, "", "xquad", "squad_em_f1_mean")
    qa = root / "03_evaluate" / "qa"
    qa.mkdir(parents=True)
    pd.DataFrame({"language": ["de", "de", "sw"], "key": ["q1", "q2", "q1"], "exact_match": [1.0, 0.0, 0.0],
                  "f1": [1.0, 0.5, 0.2], "score": [1.0, 0.25, 0.1]}).to_csv(qa / "predictions.csv.gz", index=False)
    _write(qa, {"phase": "03_evaluate", "task": "xquad", "condition": "direct", "finetune_seed": 0, "finetune_run": str(ft),
                "artifacts": {"predictions": "predictions.csv.gz"},
                "metrics": {"metric": "squad_em_f1_mean", "headline": "score",
                            "per_language": {"de": {"score": 0.625, "n": 2}, "sw": {"score": 0.1, "n": 1}}}})
    tat = root / "03_evaluate" / "tatoeba"
    tat.mkdir(parents=True)
    # x->en P@1: de 1/2, sw 1; en->x: de 0, sw 0 — the headline below is en->x (XTREME-R's direction)
    pd.DataFrame({"language": ["de", "de", "sw", "de", "de", "sw"], "key": ["0", "1", "0", "0", "1", "0"],
                  "direction": ["x->en"] * 3 + ["en->x"] * 3, "correct": [1, 0, 1, 0, 0, 0],
                  "ap_at_20": 0.0, "rr_at_20": 0.0}).to_csv(tat / "predictions.csv.gz", index=False)
    _write(tat, {"phase": "03_evaluate", "task": "tatoeba", "condition": "direct", "finetune_seed": 0, "finetune_run": str(ft),
                 "artifacts": {"predictions": "predictions.csv.gz"},
                 "metrics": {"metric": "retrieval_accuracy", "headline": "score",
                             "per_language": {"de": {"score": 0.0, "n": 2}, "sw": {"score": 0.0, "n": 1}}}})
    items = item_results([qa, tat])
    assert items[items.run == "qa"].score.tolist() == [1.0, 0.25, 0.1]
    assert items[items.run == "tatoeba"].score.tolist() == [0.0, 0.0, 0.0]  # the en->x rows
    assert items.attrs["sources"] == {"qa": "score", "tatoeba": "correct (en->x)"}
    # a headline no per-item column reproduces, and a corpus-level metric: no item scores, and the reason is kept
    res = json.loads((tat / "results.json").read_text())
    res["metrics"]["per_language"]["de"]["score"] = 0.3
    write_json_atomic(tat / "results.json", res)
    tagging = make_tagging_study(tmp_path / "tag")[:1]
    items = item_results([tat, *tagging])
    assert items.empty and items.attrs["sources"]["tatoeba"] == "no per-item column reproduces the headline"
    assert "corpus-level" in items.attrs["sources"]["direct-s0"]
