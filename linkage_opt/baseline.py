"""The planners' rule of thumb, computed on the same model so both plans are measured one way.

Rule of thumb (what district offices do by hand today): tier by tier (guaranteed, then basic, then
improvement), each provider splits its remaining hours (each lot its remaining money or goods) over
the needs it is eligible for within reach, pro rata to what those needs still lack. Offers that would
over-serve a need are scaled back and the freed capacity is offered again, until nothing changes. An
indivisible need goes whole to the first eligible provider that can still carry it. No programs, no
linkage rules, no look-ahead: that is exactly what the optimizer is compared against.
"""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table

from .formulation import Formulation
from .plan import Plan, build_tables
from .schema import TIERS

ROUNDS = 50


def baseline_solution(form: Formulation) -> np.ndarray:
    """A solution vector of the model (flows only) following the rule of thumb."""
    m = form.model
    xb = m.var("x")
    idx = xb.index
    p = idx["p"].to_numpy()
    n = idx["n"].to_numpy()
    load = idx["load"].to_numpy(float)
    q = form.needs["q"].to_numpy(float)
    tier = form.needs["tier"].to_numpy()
    indiv = form.needs["indivisible"].to_numpy(bool)
    cap_left = form.providers["capacity"].to_numpy(float).copy()
    served = np.zeros(len(q))            # units of need served
    units = np.zeros(len(idx))           # units of need per edge

    for t in TIERS:
        in_tier = tier[n] == t
        # indivisible needs: whole, first eligible provider that can carry it (provider order, then need order)
        for e in np.flatnonzero(in_tier & indiv[n]):
            need = n[e]
            if served[need] > 0 or cap_left[p[e]] + 1e-9 < q[need] * load[e]:
                continue
            units[e] = q[need]
            served[need] = q[need]
            cap_left[p[e]] -= q[need] * load[e]
        # divisible needs: simultaneous pro-rata split, repeated while capacity is freed
        E = np.flatnonzero(in_tier & ~indiv[n] & (load > 0))
        for _ in range(ROUNDS):
            if not len(E):
                break
            r = np.maximum(q[n[E]] - served[n[E]], 0.0)
            demand_load = r * load[E]                               # load needed to meet the rest
            per_p = np.bincount(p[E], weights=demand_load, minlength=len(cap_left))
            share = np.divide(cap_left[p[E]], per_p[p[E]], out=np.zeros(len(E)), where=per_p[p[E]] > 0)
            offer = r * np.minimum(share, 1.0)                      # units of need offered on each edge
            offered = np.bincount(n[E], weights=offer, minlength=len(q))
            rest = np.maximum(q - served, 0.0)
            scale = np.divide(rest, offered, out=np.ones(len(q)), where=offered > rest)
            offer = offer * np.minimum(scale[n[E]], 1.0)
            if offer.sum() <= 1e-9:
                break
            units[E] += offer
            served += np.bincount(n[E], weights=offer, minlength=len(q))
            cap_left -= np.bincount(p[E], weights=offer * load[E], minlength=len(cap_left))
            cap_left = np.maximum(cap_left, 0.0)

    x = np.zeros(m.n_cols)
    x[xb.ids] = np.divide(units, q[n], out=np.zeros(len(idx)), where=q[n] > 0)
    return np.clip(x, 0.0, 1.0)


def compare(form: Formulation, plan: Plan) -> dict:
    """Side-by-side figures of the optimized plan and the rule of thumb."""
    from .solve import plan_metrics

    xb = baseline_solution(form)
    base_tables = build_tables(form, xb)
    base = plan_metrics(base_tables, form.scenario)
    base["money"] = float(form.col_money @ xb)
    opt = dict(plan.summary["metrics"])
    opt["money"] = plan.summary["objective"]["money"]
    keys = ["weighted_coverage", "guaranteed_met", "guaranteed_needs", "units_below_equity_floor", "min_unit_ratio",
            "idle_hours", "unmet_need_rows", "money"]
    return {
        "rule": "tier by tier, each provider's capacity split pro rata to the needs it can reach; no programs",
        "optimized": {k: opt[k] for k in keys},
        "baseline": {k: base[k] for k in keys},
        "difference": {k: opt[k] - base[k] for k in keys},
        "baseline_coverage": base_tables["coverage"],
    }


def attach_baseline(plan: Plan, scenario=None) -> dict:
    """Compute the baseline for a solved plan and add ``baseline.json`` to the files it writes."""
    form = plan.formulation
    if form is None:
        raise ValueError("this plan carries no formulation; solve it with linkage_opt.solve")
    cmp = compare(form, plan)
    cov = cmp.pop("baseline_coverage")
    plan.extras["baseline.json"] = cmp
    plan.extras["baseline_coverage.csv"] = cov
    plan.summary["baseline"] = {"weighted_coverage": cmp["baseline"]["weighted_coverage"]}
    return cmp


LABELS = {
    "weighted_coverage": ("weighted coverage", "{:.2%}"),
    "guaranteed_met": ("guaranteed needs met", "{:.0f}"),
    "guaranteed_needs": ("guaranteed needs", "{:.0f}"),
    "units_below_equity_floor": ("units below equity floor", "{:.0f}"),
    "min_unit_ratio": ("lowest unit coverage ratio", "{:.2%}"),
    "idle_hours": ("idle volunteer/worker hours", "{:,.1f}"),
    "unmet_need_rows": ("needs not fully met", "{:.0f}"),
    "money": ("money spent (yuan)", "{:,.0f}"),
}


def print_comparison(cmp: dict, console: Console, lang: str | None = None) -> None:
    from . import lang as L

    t = Table(title=L.t("base.title", lang), title_justify="left")
    t.add_column(L.t("base.metric", lang))
    t.add_column(L.t("base.optimized", lang), justify="right")
    t.add_column(L.t("base.rule", lang), justify="right")
    t.add_column(L.t("base.difference", lang), justify="right")
    for key, (_, fmt) in LABELS.items():
        label = L.t(f"metric.{key}", lang)
        o, b, d = cmp["optimized"][key], cmp["baseline"][key], cmp["difference"][key]
        dfmt = fmt.replace("{:", "{:+") if "%" not in fmt else "{:+.2%}"
        t.add_row(label, fmt.format(o), fmt.format(b), dfmt.format(d))
    console.print(t)
