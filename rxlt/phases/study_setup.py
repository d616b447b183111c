"""How a study was sized, read back from its runs: the encoder, what trained, for how long, on which items.

The study report shows it next to the answer, so a reader sees the sizes that the numbers come from (a laptop study
freezes layers and evaluates a subset of each language's test items) without opening a run's configuration.
"""
from __future__ import annotations

import pandas as pd

from rxlt.results import read_results

_OBJECTIVE_SETTINGS = {
    "rs_rp": lambda c: f"σ {c['noise_sigma']} ({c['noise_scale']}, {c['noise_kind']})",
    "rs_da": lambda c: f"{c['rs_da_copies']} copies, synonyms: {'paper list' if c['synonyms_file'] else 'WordNet'}",
    "adversarial": lambda c: f"PGD-{c['adv_steps']} {c['adv_norm']} ε {c['adv_eps']} ({c['adv_eps_scale']})",
    "adversarial_free": lambda c: f"free AT, m {c['free_replays']}, ε {c['adv_eps']} ({c['adv_eps_scale']})",
    "adversarial_universal": lambda c: f"universal δ, ε {c['adv_eps']}",
}


def _layers(config: dict) -> str:
    from rxlt.model.availability import layer_count

    kept = config.get("encoder_layers") or layer_count(config.get("model", ""))
    frozen = config.get("frozen_layers", 0)
    if config.get("linear_probe"):
        return f"{kept or 'all'} layers, all frozen (linear head only)"
    if not frozen:
        return f"{kept or 'all'} layers, all trained"
    return f"{kept or 'all'} layers, first {frozen} frozen" + (f", top {kept - frozen} trained" if kept else "")


def _rate(value) -> str:
    return "?" if value is None else f"{value:g}"


def study_setup(evaluation_runs) -> pd.DataFrame:
    """One row per condition: encoder, trained part, epochs and rates, the objective's settings, intermediate tasks,
    seeds, and the test items per language (used of available, and whether they are the same items everywhere)."""
    rows: dict[str, dict] = {}
    for d in evaluation_runs:
        ev = read_results(d)
        ft = read_results(ev["finetune_run"])
        c = ft["config"]
        cond = ft.get("condition", "?")
        row = rows.setdefault(cond, {"condition": cond, "seeds": set(), "items": set(), "of": set()})
        row["seeds"].add(ev.get("finetune_seed", c.get("seed")))
        tests = ev.get("samples", {}).get("test", {})
        row["items"].update(v["used"] for v in tests.values())
        row["of"].update(v["original"] for v in tests.values())
        if "model" in row:
            continue
        inter = read_results(c["init_from"])["config"] if c.get("init_from") else None
        try:  # runs written by other tools or older versions may lack a setting: then it is not shown
            setting = _OBJECTIVE_SETTINGS.get(c.get("objective", "erm"), lambda _: "")(c)
        except KeyError:
            setting = ""
        row.update({
            "model": c.get("model"), "encoder": _layers(c),
            "epochs": c.get("epochs"), "lr (encoder / head)": f"{_rate(c.get('lr'))} / {_rate(c.get('head_lr'))}",
            "objective": c.get("objective", "erm") + (f": {setting}" if setting else ""),
            "intermediate": (f"{' → '.join(inter.get('tasks', []))}, {inter.get('epochs', '?')} epoch(s)"
                             + (f", ≤ {inter['max_train_items']} items per task" if inter.get("max_train_items") else ""))
            if inter else "—",
            "max length": c.get("max_length"),
        })
    out = []
    for row in rows.values():
        items, of = sorted(row.pop("items")), sorted(row.pop("of"))
        row["seeds"] = ", ".join(str(s) for s in sorted(row["seeds"], key=str))
        row["test items per language"] = ("—" if not items else f"{items[0]} of {of[-1]}" if len(items) == 1 else
                                          f"{items[0]}–{items[-1]} of ≤ {of[-1]}")
        out.append(row)
    order = {"probe": 0, "direct": 1, "intermediate": 2}
    rank = lambda conds: conds.map(lambda c: f"{order.get(c.split('+')[0], 3)}{c}")  # noqa: E731
    return pd.DataFrame(out).sort_values("condition", key=rank, ignore_index=True) if out else pd.DataFrame()
