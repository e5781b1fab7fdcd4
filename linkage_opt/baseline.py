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
import pandas as pd
from rich.console import Console
from rich.table import Table

from .formulation import Formulation, settle_equity
from .plan import Plan, build_tables
from .reach import member_frame
from .schema import TIERS

ROUNDS = 50


def baseline_flows(form: Formulation) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The rule of thumb on the (provider class, need) edges: ``(edges, units of need per edge, xi values)``.

    Indivisible needs go whole to the first candidate carrier (member) that can still carry them.
    """
    idx = form.edges
    p = idx["p"].to_numpy()
    n = idx["n"].to_numpy()
    load = idx["load"].to_numpy(float)
    q = form.needs["q"].to_numpy(float)
    tier = form.needs["tier"].to_numpy()
    indiv = form.needs["indivisible"].to_numpy(bool)
    cap_left = form.providers["capacity"].to_numpy(float).copy()
    mf = member_frame(form.providers)
    member_left = mf["capacity"].to_numpy(float).copy()
    xi = form.model.var("xi")
    xi_val = np.zeros(xi.size)
    xi_n = xi.index["n"].to_numpy() if xi.size else np.zeros(0, np.int64)
    served = np.zeros(len(q))            # units of need served
    units = np.zeros(len(idx))           # units of need per edge

    for t in TIERS:
        # indivisible needs: whole, first candidate that can still carry it (need order, then member order)
        for j in np.flatnonzero((form.needs["tier"].to_numpy()[xi_n] == t) if xi.size else np.zeros(0, bool)):
            need = xi_n[j]
            cp, mem = int(xi.index["p"].iat[j]), int(xi.index["member"].iat[j])
            L = float(xi.index["load"].iat[j] * xi.index["q"].iat[j])
            if served[need] > 0 or member_left[mem] + 1e-9 < L or cap_left[cp] + 1e-9 < L:
                continue
            xi_val[j] = 1.0
            served[need] = q[need]
            member_left[mem] -= L
            cap_left[cp] -= L
        in_tier = tier[n] == t
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
    return idx, units, xi_val


def baseline_solution(form: Formulation) -> np.ndarray:
    """The rule of thumb as a solution vector of the model (direct service only, no programs)."""
    idx, units, xi_val = baseline_flows(form)
    return to_model_vector(form, idx, units, xi_val)


def to_model_vector(form: Formulation, idx: pd.DataFrame, units: np.ndarray, xi_val: np.ndarray) -> np.ndarray:
    """A model vector from direct service per (class, need) edge: pools, demands, need rows, engagements."""
    m = form.model
    vec = np.zeros(m.n_cols)
    P = form.providers
    N = form.needs
    live = units > 1e-12
    e = idx[live]
    amt = units[live]
    p, n = e["p"].to_numpy(), e["n"].to_numpy()
    kind = P["kind"].to_numpy()[p]
    people = np.isin(kind, ("social_worker", "volunteer"))
    g = form.groups[p]
    xb, sb, cb = m.var("x"), m.var("s"), m.var("cov")
    pool_key = pd.MultiIndex.from_frame(form.pools[["g", "category"]]) if len(form.pools) else None
    pool = np.full(len(e), -1, np.int64)
    if pool_key is not None and people.any():
        pos = pool_key.get_indexer(pd.MultiIndex.from_arrays([g[people], e["category"].to_numpy()[people]]))
        pool[people] = form.pools["pool"].to_numpy()[pos]
    dem = xb.index[["d", "u", "category"]].drop_duplicates()
    d = pd.MultiIndex.from_frame(dem[["u", "category"]]).get_indexer(pd.MultiIndex.from_frame(e[["u", "category"]]))
    d = dem["d"].to_numpy()[d]
    xkey = pd.MultiIndex.from_arrays([xb.index["pool"].to_numpy(), np.where(xb.index["pool"].to_numpy() >= 0, -1,
                                                                           xb.index["p"].to_numpy()), xb.index["d"].to_numpy()])
    col = xkey.get_indexer(pd.MultiIndex.from_arrays([pool, np.where(pool >= 0, -1, p), d]))
    np.add.at(vec, xb.start + col, amt)
    if people.any():
        skey = pd.MultiIndex.from_frame(sb.index[["p", "pool"]])
        scol = skey.get_indexer(pd.MultiIndex.from_arrays([p[people], pool[people]]))
        np.add.at(vec, sb.start + scol, amt[people] * e["load"].to_numpy(float)[people])
    q = N["q"].to_numpy(float)
    cpos = pd.Index(cb.index["n"]).get_indexer(n)
    np.add.at(vec, cb.start + cpos, amt / q[n])
    xi = m.var("xi")
    vec[xi.ids] = xi_val
    vec[cb.ids] = np.minimum(vec[cb.ids], 1.0)
    if form.has("z_org"):                       # engage every organization the plan uses
        z = form.var("z_org")
        used = set(p[kind == "organization"].tolist())
        if xi.size:
            used |= set(xi.index["p"].to_numpy()[xi_val > 0.5].tolist())
        vec[z.ids] = np.isin(z.index["p"].to_numpy(), list(used)).astype(float)
    if form.has("a"):                           # a worker serves the units it gives hours in
        a = form.var("a")
        pu = set(zip(p[kind == "social_worker"].tolist(), e["u"].to_numpy()[kind == "social_worker"].tolist()))
        if xi.size:
            sel = xi_val > 0.5
            pu |= set(zip(xi.index["p"].to_numpy()[sel].tolist(), xi.index["u"].to_numpy()[sel].tolist()))
        vec[a.ids] = np.fromiter(((pp, uu) in pu for pp, uu in zip(a.index["p"].tolist(), a.index["u"].tolist())),
                                 bool, a.size).astype(float)
    return settle_equity(form, vec)


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
