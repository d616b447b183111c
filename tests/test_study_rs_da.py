"""A study's `rs_da_length_match` reaches phase 2: the rs_da fine-tuning runs get it, the other objectives'
runs do not (phase 2 refuses it for them), and it is refused when no objective is rs_da."""
import pytest

from rxlt.params.phases import FinetuneParams
from rxlt.params.strict import ParamsError, build
from rxlt.run.study import StudyParams, expand

BASE = {"study": "lm", "objectives": ["erm", "rs_da"], "seeds": [0, 1], "conditions": ["direct", "intermediate"]}


def finetunes(cfg, root):
    return {s.run_id.rsplit("-", 1)[0]: s.params for s in expand(cfg, root) if s.phase == "02_finetune"}


def test_length_match_reaches_every_rs_da_finetune_run_and_only_those(tmp_path):
    on = finetunes(build(StudyParams, {**BASE, "rs_da_length_match": True}), tmp_path)
    assert len(on) == 8 and all(isinstance(p, FinetuneParams) for p in on.values())
    got = {name: (p.objective, p.rs_da_length_match) for name, p in on.items()}
    assert got == {f"{c}-{o}-s{s}": (o, o == "rs_da") for c in ("direct", "intermediate") for o in ("erm", "rs_da")
                   for s in (0, 1)}
    off = finetunes(build(StudyParams, BASE), tmp_path)
    assert not any(p.rs_da_length_match for p in off.values())
    # the rs_da runs become new runs (new ids); the erm runs keep theirs
    ids_on = {s.run_id for s in expand(build(StudyParams, {**BASE, "rs_da_length_match": True}), tmp_path)
              if s.phase == "02_finetune"}
    ids_off = {s.run_id for s in expand(build(StudyParams, BASE), tmp_path) if s.phase == "02_finetune"}
    assert {i.split("-")[1] for i in ids_on - ids_off} == {"rs_da"} and len(ids_on - ids_off) == 4


def test_length_match_without_rs_da_is_refused_naming_the_key():
    with pytest.raises(ParamsError, match=r"key 'rs_da_length_match': applies to objective 'rs_da', which is not "
                                          r"among objectives \['erm', 'rs_rp'\]"):
        build(StudyParams, {**BASE, "objectives": ["erm", "rs_rp"], "rs_da_length_match": True})
