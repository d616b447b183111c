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


def test_method_keys_reach_only_the_runs_of_their_objective(tmp_path):
    """adv_eps_scale → adversarial and adversarial_free runs; free_replays → adversarial_free; rs_da_tokens and
    rs_da_protected_words → rs_da: the other objectives' runs keep their ids."""
    base = {"study": "keys", "objectives": ["erm", "adversarial", "adversarial_free", "rs_da"], "seeds": [0],
            "conditions": ["direct"]}
    keys = {"adv_eps_scale": "relative", "free_replays": 2, "rs_da_tokens": "normalized", "rs_da_protected_words": True}
    on = finetunes(build(StudyParams, {**base, **keys}), tmp_path)
    got = {name.split("-")[1]: (p.adv_eps_scale, p.free_replays, p.rs_da_tokens, p.rs_da_protected_words)
           for name, p in on.items()}
    assert got == {"erm": ("absolute", 4, "raw", False), "adversarial": ("relative", 4, "raw", False),
                   "adversarial_free": ("relative", 2, "raw", False), "rs_da": ("absolute", 4, "normalized", True)}
    ids = lambda c: {s.run_id for s in expand(c, tmp_path) if s.phase == "02_finetune"}  # noqa: E731
    new = ids(build(StudyParams, {**base, **keys})) - ids(build(StudyParams, base))
    assert sorted(i.split("-")[1] for i in new) == ["adversarial", "adversarial_free", "rs_da"]
    for key, value in keys.items():  # refused where no objective reads them
        with pytest.raises(ParamsError, match=f"key '{key}': applies to objective"):
            build(StudyParams, {**base, "objectives": ["erm", "rs_rp"], key: value})
    with pytest.raises(ParamsError, match="key 'adv_eps_scale': relative applies to objectives adversarial and "
                                          "adversarial_free"):
        build(FinetuneParams, {"objective": "adversarial_universal", "adv_eps_scale": "relative"})
    with pytest.raises(ParamsError, match="key 'free_replays': applies to objective 'adversarial_free' only"):
        build(FinetuneParams, {"objective": "adversarial", "free_replays": 2})
    with pytest.raises(ParamsError, match="key 'rs_da_tokens'"):
        build(FinetuneParams, {"objective": "rs_da", "rs_da_tokens": "lower"})
