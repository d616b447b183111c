"""Bad input, tried as a new user would: every row gets one clear line (naming the file, key or line and what is
valid), exit code 2, before any run starts and before anything is written.

The table runs the real entry points in-process (`rxlt.cli.main`, `rxlt.launch.main`, `rxlt.notebook`'s config
builder) with training stubbed out: a row that gets past validation reaches the stub, which counts as "silent".
`python tests/test_bad_input.py` prints the survey: tried / clear / unclear / traceback / silent.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest

REPO = Path(__file__).resolve().parents[1]
XTREME = REPO / "tests" / "fixtures" / "xtreme"
SUITES = REPO / "tests" / "fixtures" / "suites" / "upstream"
SIB200 = REPO / "tests" / "fixtures" / "sib200"

# a valid, tiny study every row edits
BASE = {
    "study": "bad", "model": "e5-small", "encoder_layers": "1", "target_task": "cldr-territory",
    "intermediate_tasks": "[cldr-unit]", "conditions": "[direct, intermediate]", "objectives": "[erm]",
    "seeds": "[0]", "epochs": "1", "intermediate_epochs": "1", "max_length": "16", "precision": "fp32",
    "languages": "[en, de]", "max_test_items": "12", "bootstrap_samples": "100",
}


# the base study on SIB-200 with both alignment methods (a valid control; rows edit one key)
ALIGN = {"target_task": "sib200", "intermediate_tasks": "[wordnet-gloss]", "languages": "[en, yor_Latn]",
         "alignment_methods": "[rotation, align_l2]", "parallel_sentences": "[0, 10]"}


class Reached(BaseException):
    """Validation passed: the entry point got to the point of running a notebook."""


@dataclass
class Case:
    id: str
    cmd: str  # study | smoke | dry | status | launch | summary | params | notebook
    setup: object  # tmp -> list of arguments (or, for "notebook", the namespace dict)
    names: tuple = ()  # what the line must name: file, key or line ("{tmp}" = the row's directory)
    says: tuple = ()  # what the line must say is valid
    good: bool = False  # a control: valid input that must get through validation
    warn: bool = False  # `rxlt data summary` with other splits usable: exit 0 and one warning line instead
    env: dict = field(default_factory=dict)  # environment of the row ("{tmp}" = the row's directory)
    phase: str = "02_finetune"  # launch / notebook rows


@dataclass
class Attempt:
    kind: str  # clear | unclear | traceback | silent | reached (controls)
    code: object = None
    err: str = ""
    wrote: list = field(default_factory=list)


def study_text(**edits) -> str:
    values = {**BASE, **edits}
    return "".join(f"{k}: {v}\n" for k, v in values.items() if v is not None)


def write(tmp: Path, name: str, content) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def mkdir(tmp: Path, name: str) -> Path:
    (tmp / name).mkdir(parents=True)
    return tmp / name


def study(**edits):
    return lambda tmp: [str(write(tmp, "s.yaml", study_text(**edits)))]


def raw(content, name="s.yaml"):
    return lambda tmp: [str(write(tmp, name, content))]


def data(task: str, layout: str = "download", edit=None):
    """`rxlt data summary TASK --data-dir <copy of a fixture layout>`, with `edit(root)` applied to the copy."""
    def setup(tmp):
        root = tmp / "data"
        shutil.copytree(XTREME / layout, root)
        if edit:
            edit(root)
        return [task, "--data-dir", str(root)]
    return setup


def suite_data(task: str, edit=None, fixture: Path = SUITES):
    """`rxlt data summary TASK --data-dir <copy of the suites' upstream fixture>` (or another fixture), edited."""
    def setup(tmp):
        root = tmp / "data"
        shutil.copytree(fixture, root)
        if edit:
            edit(root)
        return [task, "--data-dir", str(root)]
    return setup


def study_on(data_setup, **edits):
    """A study reading the data directory `data_setup` builds ({tmp}/data: the row sets RXLT_DATA_DIR to it)."""
    return lambda tmp: data_setup(tmp) and [str(write(tmp, "s.yaml", study_text(**edits)))]


def corrupt(rel: str, at_line: int = 2, pad_to: int = 0):
    """Replace line `at_line` of a copied data file by Latin-1 bytes; `pad_to` first repeats line 1 so the bad
    byte sits far into the file (where a read buffer's position and the line number differ)."""
    def edit(root):
        path = root / rel
        lines = path.read_bytes().splitlines(keepends=True)
        if pad_to:  # repeat the first data line (after a header, if any)
            lines = lines[:1] + lines[1:2] * pad_to + lines[2:]
        lines[at_line - 1] = b"caf\xe9 au lait\t" + lines[at_line - 1]
        path.write_bytes(b"".join(lines))
    return edit


def without_unlabelled_test(edit):
    """The XNLI fixture's test-de.tsv is download_data.sh's unlabelled one (a warning of its own): drop it."""
    def both(root):
        (root / "xnli" / "test-de.tsv").unlink()
        edit(root)
    return both


def crlf(rel: str, then):
    """Windows line ends, then `then` (line numbers must still count lines, not bytes or CRs)."""
    def edit(root):
        path = root / rel
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
        then(root)
    return edit


def empty(rel: str):
    return lambda root: (root / rel).write_text("")


def qas_string(root):
    path = root / "xquad" / "xquad.de.json"
    doc = json.loads(path.read_text())
    doc["data"][0]["paragraphs"][0]["qas"][0] = "Wer schrieb Faust?"
    path.write_text(json.dumps(doc))


def keep_only(*rels):
    def edit(root):
        for p in sorted(root.rglob("*"), reverse=True):
            if p.is_file() and str(p.relative_to(root)) not in rels:
                p.unlink()
    return edit


NON_UTF8 = b"study: bad\nseeds: [0]\n# caf\xe9\n"
LAUNCH_OK = "model: e5-small\nencoder_layers: 1\nepochs: 1\n"
F = "{tmp}/s.yaml"

CASES = [
    # ---- the study file itself ----
    Case("missing file", "study", lambda tmp: [str(tmp / "nope.yaml")], ("{tmp}/nope.yaml",), ("no such",)),
    Case("directory as study file", "study", lambda tmp: [str(tmp)], ("{tmp}",), ("is a directory",)),
    Case("non-UTF-8 study file", "study", raw(NON_UTF8), (F + ":3",), ("not UTF-8",)),
    Case("UTF-16 study file", "study", raw(study_text().encode("utf-16")), (F + ":1",), ("not UTF-8",)),
    Case("empty study file", "study", raw(""), (F,), ("empty",)),
    Case("comment-only study file", "study", raw("# my study\n# seeds: [0]\n"), (F,), ("empty",)),
    Case("whitespace-only study file", "study", raw("\n   \n\n"), (F,), ("empty",)),
    Case("study file without a study name", "study", study(study=None), (F, "'study'"), ("runs/<study>",)),
    Case("top-level list", "study", raw("- study: x\n- seeds: [0]\n"), (F,), ("mapping",)),
    Case("top-level scalar", "study", raw("just words\n"), (F,), ("mapping",)),
    Case("unclosed bracket", "study", raw("study: bad\nseeds: [0, 1\n"), (F + ":3",), ("not valid YAML",)),
    Case("tab indentation", "study", raw("study: bad\n\tseeds: [0]\n"), (F + ":2",), ("not valid YAML",)),
    Case("duplicate key", "study", raw(study_text() + "seeds: [1]\n"), (F, "'seeds'"), ("twice", "line 8")),
    Case("duplicate key, other type", "study", raw(study_text() + "epochs: ten\n"), (F, "'epochs'"), ("twice",)),
    Case("unknown key", "study", raw(study_text() + "epochz: 3\n"), (F, "'epochz'"), ("did you mean 'epochs'",)),
    Case("key in wrong case", "study", raw(study_text() + "Epochs: 3\n"), (F, "'Epochs'"), ("did you mean 'epochs'",)),
    Case("nested mapping value", "study", study(model="{name: e5-small}"), (F, "'model'"), ("expected str",)),
    Case("null value", "study", study(epochs=""), (F, "'epochs'"), ("expected int",)),
    # ---- study keys ----
    Case("seeds scalar", "study", study(seeds="0"), (F, "'seeds'"), ("expected a list",)),
    Case("seeds text", "study", study(seeds="[a]"), (F, "'seeds'"), ("expected int",)),
    Case("negative seed", "study", study(seeds="[-1]"), (F, "'seeds'"), ("0 <= seed < 2**32",)),
    Case("seed too large", "study", study(seeds="[4294967296]"), (F, "'seeds'"), ("0 <= seed < 2**32",)),
    Case("duplicate seeds", "study", study(seeds="[0, 0]"), (F, "'seeds'"), ("duplicate",)),
    Case("no seeds", "study", study(seeds="[]"), (F, "'seeds'"), ("at least one",)),
    Case("fractional seed", "study", study(seeds="[1.5]"), (F, "'seeds'"), ("expected int",)),
    Case("boolean seed", "study", study(seeds="[true]"), (F, "'seeds'"), ("expected int",)),
    Case("duplicate objectives", "study", study(objectives="[erm, erm]"), (F, "'objectives'"), ("duplicate",)),
    Case("no objectives", "study", study(objectives="[]"), (F, "'objectives'"), ("at least one",)),
    Case("unknown objective", "study", study(objectives="[ermm]"), (F, "'objectives'"), ("did you mean 'erm'",)),
    Case("objectives scalar", "study", study(objectives="erm"), (F, "'objectives'"), ("expected a list",)),
    Case("duplicate conditions", "study", study(conditions="[direct, direct]"), (F, "'conditions'"), ("duplicate",)),
    Case("unknown condition", "study", study(conditions="[direkt]"), (F, "'conditions'"), ("did you mean 'direct'",)),
    Case("no conditions", "study", study(conditions="[]"), (F, "'conditions'"), ("at least one",)),
    Case("duplicate intermediate tasks", "study", study(intermediate_tasks="[cldr-unit, cldr-unit]"),
         (F, "'intermediate_tasks'"), ("duplicate",)),
    Case("no intermediate tasks", "study", study(intermediate_tasks="[]"), (F, "'intermediate_tasks'"),
         ("at least one",)),
    Case("unknown intermediate task", "study", study(intermediate_tasks="[cldr-unitt]"), (F, "'intermediate_tasks'"),
         ("did you mean 'cldr-unit'",)),
    Case("unknown target task", "study", study(target_task="cldr-teritory"), (F, "'target_task'"),
         ("did you mean 'cldr-territory'",)),
    Case("target task among intermediate", "study", study(intermediate_tasks="[cldr-territory]"),
         (F, "'intermediate_tasks'"), ("target task",)),
    Case("study ..", "study", study(study='".."'), (F, "'study'"), ("one path component",)),
    Case("study .", "study", study(study='"."'), (F, "'study'"), ("one path component",)),
    Case("study a/b", "study", study(study="a/b"), (F, "'study'"), ("one path component",)),
    Case("study ../escape", "study", study(study="../escape"), (F, "'study'"), ("one path component",)),
    Case("study empty", "study", study(study='""'), (F, "'study'"), ("one path component",)),
    Case("study with a space", "study", study(study='"my study"'), (F, "'study'"), ("one path component",)),
    Case("study starting with -", "study", study(study="-rf"), (F, "'study'"), ("one path component",)),
    Case("study too long", "study", study(study="x" * 300), (F, "'study'"), ("at most 100",)),
    Case("study number", "study", study(study="42"), (F, "'study'"), ("expected str",)),
    Case("model ./no-such-model", "study", study(model="./no-such-model"), (F, "'model'", "no-such-model"),
         ("does not exist",)),
    Case("model absolute missing path", "study", study(model="/no/such/model"), (F, "'model'", "/no/such/model"),
         ("does not exist",)),
    Case("model ~ missing path", "study", study(model="~/no-such-model"), (F, "'model'"), ("does not exist",)),
    Case("model unknown alias", "study", study(model="xlmr-base"), (F, "'model'"), ("unknown model alias",)),
    Case("model empty", "study", study(model='""'), (F, "'model'"), ("unknown model alias",)),
    Case("model a regular file", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text(
        model=str(write(tmp, "weights.bin", "x")))))], (F, "'model'", "weights.bin"), ("not a directory",)),
    Case("model dir without config.json", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text(
        model=str(mkdir(tmp, "empty-model")))))], (F, "'model'", "empty-model"), ("config.json",)),
    Case("encoder_layers 99", "study", study(encoder_layers="99"), (F, "'encoder_layers'"), ("has 12 layers",)),
    Case("encoder_layers 13", "study", study(encoder_layers="13"), (F, "'encoder_layers'"), ("has 12 layers",)),
    Case("encoder_layers -1", "study", study(encoder_layers="-1"), (F, "'encoder_layers'"), (">= 0",)),
    Case("encoder_layers text", "study", study(encoder_layers='"6"'), (F, "'encoder_layers'"), ("expected int",)),
    Case("frozen_layers above the kept layers", "study", study(frozen_layers="2"), (F, "'frozen_layers'"),
         ("keeps 1 layers", "use 0..1")),
    Case("frozen_layers 13", "study", study(encoder_layers="0", frozen_layers="13"), (F, "'frozen_layers'"),
         ("use 0..12",)),
    Case("frozen_layers -1", "study", study(frozen_layers="-1"), (F, "'frozen_layers'"), (">= 0",)),
    Case("frozen_layers 1 of 1 (every layer frozen)", "study", study(frozen_layers="1"), good=True),
    Case("probe condition", "study", study(conditions="[probe, direct]"), good=True),
    Case("probe_epochs 0", "study", study(conditions="[probe, direct]", probe_epochs="0"), (F, "'probe_epochs'"),
         (">= 1",)),
    Case("intermediate_objectives outside objectives", "study", study(intermediate_objectives="[rs_rp]"),
         (F, "'intermediate_objectives'"), ("not among objectives",)),
    Case("intermediate_objectives without the intermediate condition", "study",
         study(conditions="[direct]", intermediate_objectives="[erm]"), (F, "'intermediate_objectives'"),
         ("intermediate condition",)),
    Case("intermediate_objectives twice", "study", study(objectives="[erm, rs_rp]", intermediate_objectives="[erm, erm]"),
         (F, "'intermediate_objectives'"), ("duplicate",)),
    Case("intermediate_max_items -1", "study", study(intermediate_max_items="-1"), (F, "'intermediate_max_items'"),
         (">= 0",)),
    Case("languages in the task's other codes", "study", study(target_task="sib200", languages="[en, de, yo]"),
         good=True),
    Case("lr .inf", "study", study(lr=".inf"), (F, "'lr'"), ("finite",)),
    Case("lr .nan", "study", study(lr=".nan"), (F, "'lr'"), ("finite",)),
    Case("lr negative", "study", study(lr="-1.0e-5"), (F, "'lr'"), ("> 0",)),
    Case("lr zero", "study", study(lr="0"), (F, "'lr'"), ("> 0",)),
    Case("lr 5e-5 read as text", "study", study(lr="5e-5"), (F, "'lr'"), ("5.0e-5",)),
    Case("head_lr .inf", "study", study(head_lr=".inf"), (F, "'head_lr'"), ("finite",)),
    Case("head_lr zero", "study", study(head_lr="0.0"), (F, "'head_lr'"), ("> 0",)),
    Case("weight_decay .nan", "study", study(weight_decay=".nan"), (F, "'weight_decay'"), ("finite",)),
    Case("weight_decay negative", "study", study(weight_decay="-0.1"), (F, "'weight_decay'"), (">= 0",)),
    Case("warmup_ratio 1", "study", study(warmup_ratio="1.0"), (F, "'warmup_ratio'"), ("[0, 1)",)),
    Case("adv_eps .inf", "study", study(adv_eps=".inf"), (F, "'adv_eps'"), ("finite",)),
    Case("adv_eps zero", "study", study(adv_eps="0.0"), (F, "'adv_eps'"), ("> 0",)),
    Case("adv_steps zero", "study", study(adv_steps="0"), (F, "'adv_steps'"), (">= 1",)),
    Case("adv_norm l3", "study", study(adv_norm="l3"), (F, "'adv_norm'"), ("'l2' or 'linf'",)),
    Case("noise_sigma negative", "study", study(noise_sigma="-1.0"), (F, "'noise_sigma'"), (">= 0",)),
    Case("noise_sigma .inf", "study", study(noise_sigma=".inf"), (F, "'noise_sigma'"), ("finite",)),
    Case("rs_da_copies zero", "study", study(rs_da_copies="0"), (F, "'rs_da_copies'"), (">= 1",)),
    Case("epochs zero", "study", study(epochs="0"), (F, "'epochs'"), (">= 1",)),
    Case("intermediate_epochs zero", "study", study(intermediate_epochs="0"), (F, "'intermediate_epochs'"), (">= 1",)),
    Case("batch_size zero", "study", study(batch_size="0"), (F, "'batch_size'"), (">= 1",)),
    Case("max_length zero", "study", study(max_length="0"), (F, "'max_length'"), (">= 1",)),
    Case("precision fp64", "study", study(precision="fp64"), (F, "'precision'"), ("'bf16'",)),
    Case("unknown language", "study", study(languages="[en, xx]"), (F, "'languages'"), ("unknown language 'xx'",)),
    Case("no languages", "study", study(languages="[]"), (F, "'languages'"), ("['all']",)),
    Case("duplicate languages", "study", study(languages="[en, de, en]"), (F, "'languages'"), ("duplicate",)),
    Case("languages scalar", "study", study(languages="all"), (F, "'languages'"), ("expected a list",)),
    Case("languages all and more", "study", study(languages="[all, en]"), (F, "'languages'"), ("['all'] alone",)),
    Case("language without test items", "study", study(languages="[en, haw]"), (F, "'languages'"),
         ("too few cldr-territory test items",)),
    Case("max_test_items negative", "study", study(max_test_items="-1"), (F, "'max_test_items'"), (">= 0",)),
    Case("bootstrap_samples 10", "study", study(bootstrap_samples="10"), (F, "'bootstrap_samples'"), ("at least 100",)),
    Case("unknown tier scheme", "study", study(tier_scheme="joshy"), (F, "'tier_scheme'"), ("did you mean 'joshi'",)),
    Case("max_workers zero", "study", study(max_workers="0"), (F, "'max_workers'"), (">= 1",)),
    Case("slurm_mem_gb zero", "study", study(slurm_mem_gb="0"), (F, "'slurm_mem_gb'"), (">= 1",)),
    Case("synonyms_file without rs_da", "study", study(synonyms_file="x.json"), (F, "'synonyms_file'"),
         ("applies to objective 'rs_da'",)),
    Case("missing synonyms_file", "study", study(objectives="[rs_da]", synonyms_file="/no/such/neighbors.json"),
         (F, "'synonyms_file'"), ("does not exist",)),
    Case("synonyms_file a directory", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text(
         objectives="[rs_da]", synonyms_file=str(mkdir(tmp, "neighbors")))))], (F, "'synonyms_file'", "{tmp}/neighbors"),
         ("is a directory",)),
    Case("non-UTF-8 synonyms_file", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text(
         objectives="[rs_da]", synonyms_file=str(write(tmp, "n.json", b'{"movie": ["film"],\n "caf\xe9": []}')))))],
         (F, "'synonyms_file'", "{tmp}/n.json:2"), ("not UTF-8",)),
    Case("synonyms_file not JSON", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text(
         objectives="[rs_da]", synonyms_file=str(write(tmp, "n.json", '{"movie": ["film"],\n oops}')))))],
         (F, "'synonyms_file'", "{tmp}/n.json:2"), ("not valid JSON",)),
    Case("languages: only English", "study", study(languages="[en]"), (F, "'languages'"),
         ("only the source language", "at least one other language")),
    Case("max_length 1", "study", study(max_length="1"), (F, "'max_length'"), (">= 2",)),
    Case("max_length above the model's positions", "study", study(max_length="600"), (F, "'max_length'", "e5-small"),
         ("512 tokens", "2..512")),
    Case("bootstrap_samples absurd", "study", study(bootstrap_samples="10000000"), (F, "'bootstrap_samples'"),
         ("at most 100,000",)),
    Case("rs_da_length_match without rs_da", "study", study(rs_da_length_match="true"), (F, "'rs_da_length_match'"),
         ("applies to objective 'rs_da'",)),
    # ---- the command line ----
    Case("--runs-dir a regular file", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text())), "--runs-dir",
         str(write(tmp, "runs.txt", "x"))], ("--runs-dir", "runs.txt"), ("not a directory",)),
    Case("--runs-dir below a regular file", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text())),
         "--runs-dir", str(write(tmp, "f.txt", "x") / "runs")], ("--runs-dir", "f.txt"), ("not a directory",)),
    Case("--reports-dir a regular file", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text())),
         "--reports-dir", str(write(tmp, "rep.txt", "x"))], ("--reports-dir", "rep.txt"), ("not a directory",)),
    Case("--max-workers negative", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text())), "--max-workers",
         "-1"], ("--max-workers",), (">= 1",)),
    Case("--max-workers 0", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text())), "--max-workers", "0"],
         ("--max-workers 0",), (">= 1",)),
    Case("--runs-dir in /proc", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text())), "--runs-dir",
         "/proc/rxlt-runs"], ("--runs-dir", "/proc/rxlt-runs"), ("cannot create a directory",)),
    Case("--max-workers text", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text())), "--max-workers",
         "two"], ("--max-workers",), ("invalid int",)),
    Case("unknown executor", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text())), "--executor", "slurmm"],
         ("executor",), ("did you mean 'slurm'",)),
    Case("unknown option", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text())), "--smok"], ("--smok",),
         ("unrecognized",)),
    Case("hub model not cached offline", "study", study(model="nobody/no-such-encoder"),
         ("'model'", "nobody/no-such-encoder"), ("HF_HUB_OFFLINE",)),
    Case("empty local data file of the target task", "study", lambda tmp: data("xnli", edit=empty("xnli/dev-de.tsv"))(
         tmp) and [str(write(tmp, "s.yaml", study_text(target_task="xnli", intermediate_tasks="[squad]",
                                                        languages="[de]")))],
         ("dev-de.tsv",), ("empty file",), env={"RXLT_DATA_DIR": "{tmp}/data"}),
    Case("empty local file of a suite target task", "study", study_on(suite_data(
         "xglue-nc", empty("xglue_full_dataset/NC/xglue.nc.de.test")), target_task="xglue-nc", languages="[de]"),
         ("xglue.nc.de.test",), ("empty file", "xglue-nc test"), env={"RXLT_DATA_DIR": "{tmp}/data"}),
    Case("empty local file of a suite's English training set", "study", study_on(suite_data(
         "afrisenti", empty("tweeteval/datasets/sentiment/train_text.txt")), target_task="afrisenti",
         languages="[all]"), ("train_text.txt",), ("empty file", "afrisenti train"), env={"RXLT_DATA_DIR": "{tmp}/data"}),
    Case("empty local SIB-200 file", "study", study_on(suite_data(
         "sib200", empty("data/annotated/yor_Latn/test.tsv"), SIB200), target_task="sib200", languages="[yor_Latn]"),
         ("yor_Latn/test.tsv",), ("empty file", "sib200 test"), env={"RXLT_DATA_DIR": "{tmp}/data"}),
    Case("corrupt ledger", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text())), "--runs-dir",
         str(write(tmp, "runs/bad/ledger.json", "{not json").parents[1])], ("ledger.json",), ("not valid JSON",)),
    # ---- --smoke: the full study is validated before it is shrunk ----
    Case("--smoke, negative seed", "smoke", study(seeds="[-1]"), (F, "'seeds'"), ("0 <= seed < 2**32",)),
    Case("--smoke, lr .inf", "smoke", study(lr=".inf"), (F, "'lr'"), ("finite",)),
    Case("--smoke, unknown language", "smoke", study(languages="[xx]"), (F, "'languages'"), ("unknown language",)),
    Case("--smoke, epochs zero", "smoke", study(epochs="0"), (F, "'epochs'"), (">= 1",)),
    Case("--smoke, duplicate seeds", "smoke", study(seeds="[3, 3]"), (F, "'seeds'"), ("duplicate",)),
    Case("--dry-run, study ..", "dry", study(study='".."'), (F, "'study'"), ("one path component",)),
    Case("--dry-run, empty file", "dry", raw(""), (F,), ("empty",)),
    # ---- rxlt status ----
    Case("status, non-UTF-8 file", "status", raw(NON_UTF8), (F + ":3",), ("not UTF-8",)),
    Case("status, empty file", "status", raw(""), (F,), ("empty",)),
    Case("status, duplicate key", "status", raw(study_text() + "study: other\n"), (F, "'study'"), ("twice",)),
    Case("status, --runs-dir a regular file", "status", lambda tmp: [str(write(tmp, "s.yaml", study_text())),
         "--runs-dir", str(write(tmp, "runs.txt", "x"))], ("--runs-dir", "runs.txt"), ("not a directory",)),
    Case("status, never run", "status", study(), ("'bad'",), ("has no runs",)),
    Case("status, corrupt ledger", "status", lambda tmp: [str(write(tmp, "s.yaml", study_text())), "--runs-dir",
         str(write(tmp, "runs/bad/ledger.json", "[1, 2").parents[1])], ("ledger.json",), ("not valid JSON",)),
    # ---- rxlt params ----
    Case("params, unknown phase", "params", lambda tmp: ["02_fintune"], ("'02_fintune'",), ("did you mean",)),
    # ---- python -m rxlt.launch ----
    Case("launch, no arguments", "launch", lambda tmp: [], ("PHASE PARAMS.yaml",), ("usage",)),
    Case("launch, unknown phase", "launch", lambda tmp: ["02_fintune", str(write(tmp, "p.yaml", LAUNCH_OK))],
         ("'02_fintune'",), ("did you mean '02_finetune'",)),
    Case("launch, missing file", "launch", lambda tmp: ["02_finetune", str(tmp / "p.yaml")], ("{tmp}/p.yaml",),
         ("no such",)),
    Case("launch, non-UTF-8 file", "launch", lambda tmp: ["02_finetune", str(write(tmp, "p.yaml", NON_UTF8[11:]))],
         ("{tmp}/p.yaml:2",), ("not UTF-8",)),
    Case("launch, empty file", "launch", lambda tmp: ["02_finetune", str(write(tmp, "p.yaml", "# nothing\n"))],
         ("{tmp}/p.yaml",), ("empty",)),
    Case("launch, duplicate key", "launch", lambda tmp: ["02_finetune", str(write(tmp, "p.yaml",
         LAUNCH_OK + "epochs: 2\n"))], ("{tmp}/p.yaml", "'epochs'"), ("twice",)),
    Case("launch, unknown key", "launch", lambda tmp: ["02_finetune", str(write(tmp, "p.yaml", LAUNCH_OK + "seeds: [0]\n"))],
         ("{tmp}/p.yaml", "'seeds'"), ("did you mean 'seed'",)),
    Case("launch, model ./no-such-model", "launch", lambda tmp: ["02_finetune", str(write(tmp, "p.yaml",
         "model: ./no-such-model\n"))], ("{tmp}/p.yaml", "'model'"), ("does not exist",)),
    Case("launch, hub model not cached offline", "launch", lambda tmp: ["02_finetune", str(write(tmp, "p.yaml",
         "model: nobody/no-such-encoder\n"))], ("{tmp}/p.yaml", "'model'"), ("HF_HUB_OFFLINE",)),
    Case("launch, lr .inf", "launch", lambda tmp: ["02_finetune", str(write(tmp, "p.yaml", LAUNCH_OK + "lr: .inf\n"))],
         ("{tmp}/p.yaml", "'lr'"), ("finite",)),
    Case("launch, encoder_layers 99", "launch", lambda tmp: ["02_finetune", str(write(tmp, "p.yaml",
         "encoder_layers: 99\n"))], ("{tmp}/p.yaml", "'encoder_layers'"), ("has 12 layers",)),
    Case("launch, seed -1", "launch", lambda tmp: ["02_finetune", str(write(tmp, "p.yaml", LAUNCH_OK + "seed: -1\n"))],
         ("{tmp}/p.yaml", "'seed'"), ("0 <= seed < 2**32",)),
    Case("launch, evaluation seed -1", "launch", lambda tmp: ["03_evaluate", str(write(tmp, "p.yaml",
         "finetune_run: x\nseed: -1\n"))], ("{tmp}/p.yaml", "'seed'"), ("0 <= seed < 2**32",), phase="03_evaluate"),
    # ---- a notebook's parameters cell (the same builder the kernels run) ----
    Case("notebook, lr inf", "notebook", lambda tmp: {"lr": float("inf")}, ("notebook parameters", "'lr'"),
         ("finite",)),
    Case("notebook, model ./no-such-model", "notebook", lambda tmp: {"model": "./no-such-model"},
         ("notebook parameters", "'model'"), ("does not exist",)),
    Case("notebook, encoder_layers 99", "notebook", lambda tmp: {"encoder_layers": 99},
         ("notebook parameters", "'encoder_layers'"), ("has 12 layers",)),
    Case("notebook, seed -1", "notebook", lambda tmp: {"seed": -1}, ("notebook parameters", "'seed'"),
         ("0 <= seed < 2**32",)),
    Case("notebook, smoothing_sigma nan", "notebook", lambda tmp: {"finetune_run": "x", "smoothing_sigma": float("nan")},
         ("notebook parameters", "'smoothing_sigma'"), ("finite",), phase="03_evaluate"),
    # ---- rxlt data summary ----
    Case("summary, unknown task", "summary", lambda tmp: ["xnlii"], ("'xnlii'",), ("did you mean 'xnli'",)),
    Case("summary, --data-dir missing", "summary", lambda tmp: ["xnli", "--data-dir", str(tmp / "nowhere")],
         ("--data-dir", "nowhere"), ("does not exist",)),
    Case("summary, --data-dir a file", "summary", lambda tmp: ["xnli", "--data-dir", str(write(tmp, "d.txt", "x"))],
         ("--data-dir", "d.txt"), ("not a directory",)),
    Case("summary, --data-dir empty", "summary", lambda tmp: ["xnli", "--data-dir", str(mkdir(tmp, "d"))],
         ("xnli", "{tmp}/d"), ("no usable data",)),
    Case("summary, nothing usable", "summary", data("xnli", edit=keep_only("xnli/test-de.tsv")),
         ("test-de.tsv:1",), ("no usable data",)),
    Case("summary, non-UTF-8 XNLI TSV", "summary", data("xnli", edit=without_unlabelled_test(corrupt("xnli/dev-de.tsv", 3))),
         ("dev-de.tsv:3",), ("not UTF-8",), warn=True),
    Case("summary, non-UTF-8 deep in a TSV", "summary", data("xnli", edit=without_unlabelled_test(
         corrupt("xnli/dev-de.tsv", 4000, 4000))),
         ("dev-de.tsv:4000",), ("not UTF-8",), warn=True),
    Case("summary, non-UTF-8 deep in a CRLF TSV", "summary", data("xnli", edit=without_unlabelled_test(crlf(
         "xnli/dev-de.tsv", corrupt("xnli/dev-de.tsv", 2500, 3000)))), ("dev-de.tsv:2500",), ("not UTF-8",), warn=True),
    Case("summary, non-UTF-8 PAWS-X upstream TSV", "summary", data("pawsx", "upstream",
         corrupt("x-final/de/dev_2k.tsv", 2)), ("dev_2k.tsv:2",), ("not UTF-8",)),
    Case("summary, non-UTF-8 deep in PAWS-X upstream", "summary", data("pawsx", "upstream",
         corrupt("x-final/de/dev_2k.tsv", 3000, 3000)), ("dev_2k.tsv:3000",), ("not UTF-8",)),
    Case("summary, non-UTF-8 XNLI-1.0 TSV", "summary", data("xnli", "upstream", corrupt("XNLI-1.0/xnli.dev.tsv", 3)),
         ("xnli.dev.tsv:3",), ("not UTF-8",)),
    Case("summary, non-UTF-8 SQuAD JSON", "summary", data("xquad", edit=corrupt("xquad/xquad.de.json", 1)),
         ("xquad.de.json:1",), ("not UTF-8",), warn=True),
    Case("summary, invalid SQuAD JSON", "summary", data("xquad", edit=lambda root: (root / "xquad/xquad.de.json")
         .write_text('{"data": [\n  {"paragraphs": [}\n]}')), ("xquad.de.json:2",), ("not valid JSON",), warn=True),
    Case("summary, string in qas", "summary", data("xquad", edit=qas_string), ("xquad.de.json", "qas[0]"),
         ("expected an object",), warn=True),
    Case("summary, non-UTF-8 XCOPA JSONL", "summary", data("xcopa", edit=corrupt("xcopa/test.et.jsonl", 2)),
         ("test.et.jsonl:2",), ("not UTF-8",), warn=True),
    Case("summary, non-UTF-8 CoNLL-U", "summary", data("udpos", "upstream",
         corrupt("udpos/UD_German-Fixture/de_fixture-ud-test.conllu", 3)), ("de_fixture-ud-test.conllu:3",),
         ("not UTF-8",)),
    Case("summary, non-UTF-8 PAN-X TSV", "summary", data("panx", edit=corrupt("panx/dev-de.tsv", 2)),
         ("dev-de.tsv:2",), ("not UTF-8",), warn=True),
    Case("summary, non-UTF-8 Tatoeba", "summary", data("tatoeba", edit=corrupt("tatoeba/v1/tatoeba.deu-eng.deu", 2)),
         ("tatoeba.deu-eng.deu:2",), ("not UTF-8",)),
    Case("summary, non-UTF-8 Mewsli-X JSONL", "summary", data("mewslix",
         edit=corrupt("mewslix/wikinews_mentions-test.jsonl", 1)), ("wikinews_mentions-test.jsonl:1",), ("not UTF-8",), warn=True),
    Case("summary, empty XNLI TSV", "summary", data("xnli", edit=without_unlabelled_test(empty("xnli/dev-de.tsv"))), ("dev-de.tsv",),
         ("empty",), warn=True),
    Case("summary, empty PAN-X TSV", "summary", data("panx", edit=empty("panx/dev-de.tsv")), ("dev-de.tsv",),
         ("empty",), warn=True),
    Case("summary, empty XCOPA JSONL", "summary", data("xcopa", edit=empty("xcopa/test.et.jsonl")),
         ("test.et.jsonl",), ("empty",), warn=True),
    Case("summary, empty SQuAD JSON", "summary", data("xquad", edit=empty("xquad/xquad.de.json")),
         ("xquad.de.json",), ("empty",), warn=True),
    Case("summary, empty XGLUE file", "summary", suite_data("xglue-nc", empty("xglue_full_dataset/NC/xglue.nc.de.test")),
         ("xglue.nc.de.test",), ("empty file",), warn=True),
    Case("summary, empty Belebele JSONL", "summary", suite_data("belebele", empty("Belebele/hau_Latn.jsonl")),
         ("hau_Latn.jsonl",), ("empty file",), warn=True),
    Case("summary, AfriSenti TSV with a header only", "summary", suite_data("afrisenti", lambda root: (
         root / "afrisent-semeval-2023/data/hau/test.tsv").write_text("tweet\tlabel\n")), ("hau/test.tsv",),
         ("empty file",), warn=True),
    Case("summary, empty MasakhaNER 2.0 file", "summary", suite_data("masakhaner2", empty(
         "MasakhaNER2.0/data/hau/test.txt")), ("hau/test.txt",), ("empty file",), warn=True),
    Case("summary, empty AmericasNLI TSV", "summary", suite_data("americasnli", empty(
         "americasnli/data/anli_final/test/aym.tsv")), ("aym.tsv",), ("empty file",), warn=True),
    Case("summary, empty NusaX CSV", "summary", suite_data("nusax", empty(
         "nusax/datasets/sentiment/javanese/test.csv")), ("javanese/test.csv",), ("empty file",), warn=True),
    # ---- controls: valid input that must get through ----
    Case("control: the base study", "study", study(), good=True),
    Case("control: UTF-8 with a byte-order mark", "study", raw(b"\xef\xbb\xbf" + study_text().encode()), good=True),
    Case("control: CRLF line ends", "study", raw(study_text().replace("\n", "\r\n")), good=True),
    Case("control: a local model directory", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text(
        model=str(write(tmp, "m/config.json", '{"num_hidden_layers": 2}').parent), encoder_layers="2")))], good=True),
    Case("control: --smoke", "smoke", study(), good=True),
    Case("control: launch", "launch", lambda tmp: ["02_finetune", str(write(tmp, "p.yaml", LAUNCH_OK))], good=True),
    Case("control: summary", "summary", data("xnli"), good=True),
    Case("control: the paper's synonym list", "study", study(objectives="[rs_da]", synonyms_file=str(
        REPO / "rxlt/train/robust_xlt/counterfitted_neighbors.json")), good=True),
    Case("control: --max-workers 2", "study", lambda tmp: [str(write(tmp, "s.yaml", study_text())), "--max-workers",
         "2"], good=True),
    Case("control: summary of a suite task", "summary", suite_data("xglue-nc"), good=True),
    Case("control: a suite target task with local files", "study", study_on(suite_data("xglue-nc"),
         target_task="xglue-nc", languages="[de]"), good=True, env={"RXLT_DATA_DIR": "{tmp}/data"}),
    Case("control: SIB-200 with local files", "study", study_on(suite_data("sib200", fixture=SIB200),
         target_task="sib200", languages="[yor_Latn]"), good=True, env={"RXLT_DATA_DIR": "{tmp}/data"}),
    # ---- alignment keys (rxlt.run.alignment_grid, rxlt.data.parallel) ----
    Case("parallel sentences above a language's items", "study", study(**{**ALIGN, "parallel_sentences": "[10, 1000]"}),
         (F, "'parallel_sentences'", "yor_Latn has 800"), ("fewer", "N = 1000")),
    Case("negative parallel sentences", "study", study(**{**ALIGN, "parallel_sentences": "[-5]"}),
         (F, "'parallel_sentences'"), ("non-negative integer or 'all'",)),
    Case("parallel sentences as words", "study", study(**{**ALIGN, "parallel_sentences": "[some]"}),
         (F, "'parallel_sentences'"), ("non-negative integer or 'all'",)),
    Case("unknown alignment method", "study", study(**{**ALIGN, "alignment_methods": "[rotate]"}),
         (F, "'alignment_methods'"), ("did you mean 'rotation'",)),
    Case("alignment without parallel data", "study", study(alignment_methods="[rotation]", parallel_sentences="[10]"),
         (F, "'alignment_methods'", "cldr-territory"), ("no parallel items",)),
    Case("control: an alignment study", "study", study(**ALIGN), good=True),
]


def _snapshot(tmp: Path) -> dict:
    return {str(p.relative_to(tmp)): (p.stat().st_size, p.stat().st_mtime_ns) for p in tmp.rglob("*")}


def attempt(case: Case, tmp: Path) -> Attempt:
    """Run one row against the real entry point; classify what a user would see."""
    from rxlt import cli, launch

    args = case.setup(tmp)
    if case.cmd in ("study", "smoke", "dry"):
        args = ["study", *args] + (["--smoke"] if case.cmd == "smoke" else []) + (["--dry-run"] if case.cmd == "dry" else [])
        args += [] if "--runs-dir" in args else ["--runs-dir", str(tmp / "runs")]
        args += [] if "--reports-dir" in args else ["--reports-dir", str(tmp / "reports")]
    elif case.cmd == "status":
        args = ["status", *args] + ([] if "--runs-dir" in args else ["--runs-dir", str(tmp / "runs")])
    elif case.cmd in ("summary", "params"):
        args = (["data", "summary"] if case.cmd == "summary" else ["params"]) + args
    before = _snapshot(tmp)
    err, out = io.StringIO(), io.StringIO()
    code, crashed = None, ""

    def reached(*a, **k):
        raise Reached

    env = {k: v.format(tmp=tmp) for k, v in case.env.items()}
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out), mock.patch.dict(os.environ, env), \
            mock.patch("rxlt.run.runner.execute", reached), mock.patch("rxlt.run.execution.execute", reached), \
            mock.patch("rxlt.launch.notebook_cells", reached):
        try:
            if case.cmd == "launch":
                code = launch.main(args)
            elif case.cmd == "notebook":
                from rxlt.notebook import from_namespace
                from rxlt.params.phases import PHASES

                try:
                    from_namespace(PHASES[case.phase], args)
                except ValueError as exc:  # the kernel shows this exception's message under the cell
                    print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
                    code = 2
                else:
                    code = 0
            else:
                code = cli.main(args)
        except Reached:
            code = "reached"
        except SystemExit as exc:  # argparse
            code = exc.code
        except BaseException:  # noqa: BLE001 - what the user would see as a traceback
            crashed = traceback.format_exc()
    text = err.getvalue() + crashed
    wrote = sorted(set(_snapshot(tmp)) - set(before)) if code != "reached" else []
    if crashed or "Traceback" in text:
        return Attempt("traceback", code, text, wrote)
    if code == "reached" or code == 0 and (case.good or not case.warn):
        return Attempt("reached" if case.good else "silent", code, text, wrote)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    named = all(n.format(tmp=tmp) in text for n in case.names)
    ok = code == 2 and len(lines) == 1 and named and not wrote
    if case.warn:  # the table of the usable splits on stdout, one warning naming the bad file on stderr
        ok = code == 0 and len(lines) == 1 and lines[0].startswith("rxlt: warning:") and named
    elif code == 0:
        return Attempt("silent", code, text, wrote)
    return Attempt("clear" if ok else "unclear", code, text, wrote)


@pytest.fixture()
def clean_env(monkeypatch, tmp_path):
    from rxlt.data import provenance

    monkeypatch.delenv("RXLT_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    provenance.reset()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_one_clear_line_and_exit_code_2(case, tmp_path, clean_env):
    got = attempt(case, tmp_path)
    if case.good:
        assert got.kind == "reached" and not got.err.strip() or case.cmd == "summary" and got.code == 0, got
        return
    assert got.kind == "clear", f"{got.kind} (exit {got.code}, wrote {got.wrote}):\n{got.err}"
    missing = [f for f in case.says if f.format(tmp=tmp_path) not in got.err]
    assert not missing, f"{missing} not in: {got.err}"


def survey() -> dict:
    """Every row, classified; printed by `python tests/test_bad_input.py`."""
    import tempfile

    os.environ.pop("RXLT_DATA_DIR", None)
    os.environ["HF_HUB_OFFLINE"] = os.environ["HF_DATASETS_OFFLINE"] = "1"
    counts: dict[str, int] = {}
    home = os.getcwd()
    for case in CASES:
        if case.good:
            continue
        with tempfile.TemporaryDirectory() as d:
            os.chdir(d)
            got = attempt(case, Path(d))
            os.chdir(home)
        counts[got.kind] = counts.get(got.kind, 0) + 1
        first = (got.err.strip().splitlines() or [""])[-1 if got.kind == "traceback" else 0][:150]
        print(f"{got.kind:9s} {case.id:45s} exit {got.code}  {first}")
    print({"tried": sum(counts.values()), **counts})
    return counts


if __name__ == "__main__":
    survey()
