"""The planners' rule of thumb, computed on the same model so both plans are measured one way.

Rule of thumb (what district offices do by hand today): tier by tier (guaranteed, then basic, then
improvement), each provider splits its remaining hours (each lot its remaining money or goods) over
the needs it is eligible for within reach, pro rata to what those needs still lack. Offers that would
over-serve a need are scaled back and the freed capacity is offered again, until nothing changes. An
indivisible need goes whole to the first eligible provider that can still carry it. No programs, no
linkage rules, no look-ahead: that is exactly what the optimizer is compared against.

Repaired (:func:`repaired_baseline`) it satisfies every rule; where the repairs leave a guarantee short,
the guarantees are placed first by a feasibility solve (:func:`guarantee_plan`) and the rule of thumb
shares out what is left (:func:`rule_of_thumb_start`). That plan starts the first stage of the solve,
so the optimized plan is never worse, and is what ``--baseline`` compares with.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from ..model.formulation import Formulation, settle_equity
from ..model.reach import member_frame
from ..rules import RULES, budget, party_share, supervision
from ..schema import TIERS
from ..solvers.base import Status
from .plan import Plan, build_tables, clean_solution, plan_metrics

ROUNDS = 50


def baseline_flows(form: Formulation, base: np.ndarray | None = None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The rule of thumb on the (provider class, need) edges: ``(edges, units of need per edge, xi values)``.

    Indivisible needs go whole to the first candidate carrier (member) that can still carry them. With
    ``base`` (a model vector, e.g. :func:`guarantee_plan`'s) the rule of thumb shares out only what
    ``base`` leaves: its service, class hours and members' hours are taken first.
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
    xi_p = xi.index["p"].to_numpy() if xi.size else np.zeros(0, np.int64)
    xi_member = xi.index["member"].to_numpy() if xi.size else np.zeros(0, np.int64)
    xi_load = (xi.index["load"] * xi.index["q"]).to_numpy(float) if xi.size else np.zeros(0)
    served = np.zeros(len(q))  # units of need served
    units = np.zeros(len(idx))  # units of need per edge
    if base is not None:
        served = form.need_cover(base) * q
        m = form.model
        cap_rows = m.row_blocks.get("capacity")
        if cap_rows is not None and cap_rows.size:
            cp = cap_rows.index["p"].to_numpy()
            slack = (
                m.row_bounds()[1][cap_rows.start : cap_rows.stop] - m.matrix()[cap_rows.start : cap_rows.stop] @ base
            )
            if form.has("z_org") and form.var("z_org").size:  # an organization base did not engage: all of it
                z = form.var("z_org")
                pos = pd.Index(cp).get_indexer(z.index["p"].to_numpy())
                slack[pos[pos >= 0]] += cap_left[cp[pos[pos >= 0]]] * (1.0 - base[z.ids[pos >= 0]])
            cap_left[cp] = np.maximum(slack, 0.0)
        if xi.size:
            on = base[xi.ids] > 0.5
            np.subtract.at(
                member_left, xi.index["member"].to_numpy()[on], (xi.index["load"] * xi.index["q"]).to_numpy(float)[on]
            )

    for t in TIERS:
        # indivisible needs: whole, first candidate that can still carry it (need order, then member order)
        for j in np.flatnonzero((form.needs["tier"].to_numpy()[xi_n] == t) if xi.size else np.zeros(0, bool)):
            need = xi_n[j]
            cp, mem, L = int(xi_p[j]), int(xi_member[j]), float(xi_load[j])
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
            demand_load = r * load[E]  # load needed to meet the rest
            per_p = np.bincount(p[E], weights=demand_load, minlength=len(cap_left))
            share = np.divide(cap_left[p[E]], per_p[p[E]], out=np.zeros(len(E)), where=per_p[p[E]] > 0)
            offer = r * np.minimum(share, 1.0)  # units of need offered on each edge
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
    xkey = pd.MultiIndex.from_arrays(
        [
            xb.index["pool"].to_numpy(),
            np.where(xb.index["pool"].to_numpy() >= 0, -1, xb.index["p"].to_numpy()),
            xb.index["d"].to_numpy(),
        ]
    )
    col = xkey.get_indexer(pd.MultiIndex.from_arrays([pool, np.where(pool >= 0, -1, p), d]))
    # people's columns are hours (the category's hours per unit of need); organizations' and lots' units
    per_cat = {c: v.hours_per_unit for c, v in form.scenario.config.categories.items()}
    hpu = e["category"].map(per_cat).to_numpy(float) if len(e) else np.zeros(0)
    np.add.at(vec, xb.start + col, np.where(people, amt * hpu, amt))
    if people.any():
        dkb = m.var("dk")
        dcol = pd.MultiIndex.from_frame(dkb.index[["d", "kind"]]).get_indexer(
            pd.MultiIndex.from_arrays([d[people], kind[people]])
        )
        np.add.at(vec, dkb.start + dcol, amt[people])
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
    if form.has("z_org"):  # engage every organization the plan uses
        z = form.var("z_org")
        used = set(p[kind == "organization"].tolist())
        if xi.size:
            used |= set(xi.index["p"].to_numpy()[xi_val > 0.5].tolist())
        vec[z.ids] = np.isin(z.index["p"].to_numpy(), list(used)).astype(float)
    if form.has("a"):  # a worker serves the units it gives hours in
        a = form.var("a")
        pu = set(zip(p[kind == "social_worker"].tolist(), e["u"].to_numpy()[kind == "social_worker"].tolist()))
        if xi.size:
            sel = xi_val > 0.5
            pu |= set(zip(xi.index["p"].to_numpy()[sel].tolist(), xi.index["u"].to_numpy()[sel].tolist()))
        vec[a.ids] = np.fromiter(
            ((pp, uu) in pu for pp, uu in zip(a.index["p"].tolist(), a.index["u"].tolist())), bool, a.size
        ).astype(float)
    return settle_equity(form, vec)


# Row blocks of the model in the planner's words, for what a repair could not mend.
RULE_WORDS = {
    "coverage": "guaranteed needs",
    "worker_units": "a social worker's max_units",
    "capacity": "capacity",
    "member_capacity": "capacity",
    "new_pairings": "stability: new pairings",
    **{rule.KEY: rule.TEXTS["name"] for rule in RULES},
}


def _base_hours(form: Formulation, base: np.ndarray | None, kind: str) -> pd.DataFrame:
    """Service hours of one kind of people in ``base`` per (u, category, party): ``u, category, party, h``."""
    from ..rules import service_hours

    if base is None:
        return pd.DataFrame({"u": [], "category": [], "party": [], "h": []})
    sh = service_hours(form.model, form.providers, kind)
    sh = sh.assign(h=sh["h"].to_numpy(float) * base[sh["col"].to_numpy(np.int64)])
    return sh[sh["h"] > 1e-12].groupby(["u", "category", "party"], as_index=False)["h"].sum()


def combine(form: Formulation, extra: np.ndarray, base: np.ndarray | None) -> np.ndarray:
    """``base`` plus the rule of thumb's ``extra`` service: amounts add up, binaries (engagements, a worker's
    units, carried cases) are the larger of the two, need rows stay at most met, equity settled."""
    if base is None:
        return extra
    out = extra + base
    for name in ("z_org", "a", "xi"):
        if form.has(name):
            ids = form.var(name).ids
            out[ids] = np.maximum(extra[ids], base[ids])
    if form.has("cov"):
        ids = form.var("cov").ids
        out[ids] = np.minimum(out[ids], 1.0)
    return settle_equity(form, out)


def repaired_baseline(form: Formulation, base: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """The rule of thumb, repaired where it breaks a rule, as a model vector; and what was done.

    The rule of thumb ignores the linkage rules. Repairs, each only removing service, in this order (a
    later one never undoes an earlier one): a social worker serving more units than ``max_units`` keeps
    the units where it gives most hours; volunteer hours in a supervised (unit, category) are scaled down
    to ``k`` per worker-hour; non-party volunteer hours in a unit are scaled down to the party share;
    money is brought within the budget (organizations with the largest contracts disengaged first while
    contracts alone exceed it, then all direct service scaled down alike, which keeps the ratio rules). The report says what changed and, when the
    repaired plan still breaks a row (a guarantee left short, say), which requirement blocks it:
    ``{"feasible": bool, "repairs": {...}, "blocked_by": [...]}``.

    With ``base`` (a plan satisfying every row, e.g. :func:`guarantee_plan`'s) the rule of thumb shares out
    what ``base`` leaves and the repairs take away only its own service: base's units stay a worker's,
    base's hours count in the ratios and the budget, so the sum satisfies every row ``base`` does.
    """
    cfg = form.scenario.config
    idx, units, xi_val = baseline_flows(form, base)
    units = units.copy()
    P = form.providers
    kind = P["kind"].to_numpy()[idx["p"].to_numpy()]
    hours = idx["hours"].to_numpy(float)
    u = idx["u"].to_numpy()
    cat = idx["category"].to_numpy()
    repairs: dict = {}
    xi = form.model.var("xi")
    xi_ix = xi.index

    # max_units: keep each worker's busiest units (direct service and carried cases)
    mu = P["max_units"].to_numpy(float)
    wk = np.flatnonzero((kind == "social_worker") & (units > 0))
    wc = (
        np.flatnonzero((xi_ix["kind"].to_numpy() == "social_worker") & (xi_val > 0.5))
        if xi.size
        else np.zeros(0, np.int64)
    )
    if len(wk) or len(wc):
        busy = pd.concat(
            [
                pd.DataFrame(
                    {"e": wk, "case": False, "p": idx["p"].to_numpy()[wk], "u": u[wk], "h": units[wk] * hours[wk]}
                ),
                pd.DataFrame(
                    {
                        "e": wc,
                        "case": True,
                        "p": xi_ix["p"].to_numpy()[wc],
                        "u": xi_ix["u"].to_numpy()[wc],
                        "h": (xi_ix["hours"] * xi_ix["q"]).to_numpy(float)[wc],
                    }
                ),
            ],
            ignore_index=True,
        )
        per = busy.groupby(["p", "u"], as_index=False)["h"].sum()
        if base is not None:  # the units base gives a worker come first and are never dropped
            bw = sorted(_base_pairs(form, base))
            extra = pd.DataFrame(
                {
                    "p": np.array([p for p, _ in bw], np.int64),
                    "u": np.array([uu for _, uu in bw], np.int64),
                    "h": np.full(len(bw), 1e18),
                }
            )
            per = pd.concat([per, extra], ignore_index=True).groupby(["p", "u"], as_index=False)["h"].sum()
        per["rank"] = per.groupby("p")["h"].rank(ascending=False, method="first")
        drop = per[per["rank"] > mu[per["p"].to_numpy(np.int64)]]
        if len(drop):
            key = set(zip(drop["p"], drop["u"]))
            gone = busy[[(p, uu) in key for p, uu in zip(busy["p"], busy["u"])]]
            units[gone.loc[~gone["case"], "e"].to_numpy(np.int64)] = 0.0
            xi_val[gone.loc[gone["case"], "e"].to_numpy(np.int64)] = 0.0
            repairs["max_units"] = int(len(drop))

    vol = kind == "volunteer"
    wkr = kind == "social_worker"
    xi_kind = xi_ix["kind"].to_numpy() if xi.size else np.zeros(0, object)
    xi_u = xi_ix["u"].to_numpy() if xi.size else np.zeros(0, np.int64)
    xi_cat = xi_ix["category"].to_numpy() if xi.size else np.zeros(0, object)
    xi_party = xi_ix["party"].to_numpy(bool) if xi.size else np.zeros(0, bool)
    xi_hours = (xi_ix["hours"] * xi_ix["q"]).to_numpy(float) if xi.size else np.zeros(0)
    r = cfg.rules
    base_v = _base_hours(form, base, "volunteer")
    base_w = _base_hours(form, base, "social_worker")
    n_units = len(form.units)
    if r.supervision.enabled and cfg.supervised_categories:
        # per (unit, supervised category): volunteer hours <= k * worker hours (base's hours count too)
        k = r.supervision.volunteer_hours_per_worker_hour
        sup = list(cfg.supervised_categories)
        code = {c: i for i, c in enumerate(sup)}

        def key(uu: np.ndarray, cc: np.ndarray) -> np.ndarray:
            ci = np.array([code.get(c, -1) for c in cc], np.int64) if len(cc) else np.zeros(0, np.int64)
            return np.where(ci >= 0, np.asarray(uu, np.int64) * len(sup) + ci, -1)

        n_keys = n_units * len(sup)
        ke, kc = key(u, cat), key(xi_u, xi_cat)
        kbv, kbw = (
            key(base_v["u"].to_numpy(), base_v["category"].to_numpy()),
            key(base_w["u"].to_numpy(), base_w["category"].to_numpy()),
        )

        def total(keys: np.ndarray, weights: np.ndarray) -> np.ndarray:
            ok = keys >= 0
            return np.bincount(keys[ok], weights=weights[ok], minlength=n_keys)

        on = xi_val > 0.5
        h_edge = units * hours
        hv = total(np.where(vol, ke, -1), h_edge)
        case_v = np.where((xi_kind == "volunteer") & on, kc, -1)
        hv_case = total(case_v, xi_hours)
        hw = total(np.where(wkr, ke, -1), h_edge) + total(np.where((xi_kind == "social_worker") & on, kc, -1), xi_hours)
        allowed = np.maximum(
            0.0, k * (hw + total(kbw, base_w["h"].to_numpy(float))) - total(kbv, base_v["h"].to_numpy(float))
        )
        broken = hv + hv_case > allowed + 1e-9
        drop_cases = broken & (hv_case > allowed)  # the cases alone break it: they go, then the rest is scaled
        xi_val[(case_v >= 0) & drop_cases[np.maximum(case_v, 0)]] = 0.0
        hv_case = np.where(drop_cases, 0.0, hv_case)
        factor = np.where(
            broken, np.divide(np.maximum(0.0, allowed - hv_case), hv, out=np.zeros(n_keys), where=hv > 0), 1.0
        )
        sel = vol & (ke >= 0)
        units[sel] *= factor[ke[sel]]
        if broken.any():
            repairs[supervision.KEY] = int(broken.sum())
    if r.party_share.enabled and r.party_share.min_share > 0:
        # per unit: other volunteers' hours <= party members' hours * (1 - rho) / rho
        rho = r.party_share.min_share
        party = P["party"].to_numpy()[idx["p"].to_numpy()].astype(bool)
        on = xi_val > 0.5
        h_edge = units * hours
        case_v = (xi_kind == "volunteer") & on

        def per_unit(sel: np.ndarray, uu: np.ndarray, weights: np.ndarray) -> np.ndarray:
            return np.bincount(np.asarray(uu, np.int64)[sel], weights=weights[sel], minlength=n_units)

        bu, bh, bp = base_v["u"].to_numpy(np.int64), base_v["h"].to_numpy(float), base_v["party"].to_numpy(bool)
        hp = per_unit(vol & party, u, h_edge) + per_unit(case_v & xi_party, xi_u, xi_hours) + per_unit(bp, bu, bh)
        ho = per_unit(vol & ~party, u, h_edge)
        ho_case = per_unit(case_v & ~xi_party, xi_u, xi_hours)
        allowed = np.maximum(0.0, hp * (1 - rho) / rho - per_unit(~bp, bu, bh))
        broken = ho + ho_case > allowed + 1e-9
        drop_cases = broken & (ho_case > allowed)
        xi_val[case_v & ~xi_party & drop_cases[xi_u.astype(np.int64)]] = 0.0
        ho_case = np.where(drop_cases, 0.0, ho_case)
        factor = np.where(
            broken, np.divide(np.maximum(0.0, allowed - ho_case), ho, out=np.zeros(n_units), where=ho > 0), 1.0
        )
        sel = vol & ~party
        units[sel] *= factor[u[sel]]
        if broken.any():
            repairs[party_share.KEY] = int(broken.sum())
    vec = combine(form, to_model_vector(form, idx, units, xi_val), base)
    if r.budget.enabled and r.budget.amount is not None:
        money = float(form.col_money @ vec)
        if money > r.budget.amount + 1e-6:
            orgs = P["fixed_cost"].to_numpy(float)
            z = form.var("z_org") if form.has("z_org") else None
            fixed_total = float(form.col_money[z.ids] @ vec[z.ids]) if z is not None and z.size else 0.0
            dropped = 0
            if z is not None and z.size:
                mine = vec[z.ids] if base is None else vec[z.ids] * (base[z.ids] < 0.5)  # base's stay engaged
                engaged = [int(p) for p, v in zip(z.index["p"], mine) if v > 0.5]
                for p in sorted(engaged, key=lambda p: -orgs[p]):
                    if fixed_total <= r.budget.amount + 1e-6:
                        break
                    units[idx["p"].to_numpy() == p] = 0.0
                    if xi.size:
                        xi_val[xi_ix["p"].to_numpy() == p] = 0.0
                    fixed_total -= orgs[p]
                    dropped += 1
            if base is not None:  # base's own money (its fixed costs are in fixed_total)
                fixed_total += float(form.col_money @ base) - (
                    float(form.col_money[z.ids] @ base[z.ids]) if z is not None and z.size else 0.0
                )
            if xi.size:  # carried cases cannot be scaled: the dearest go while they alone break it
                case_cost = (xi_ix["cost"] * xi_ix["q"]).to_numpy(float)
                for j in np.argsort(-case_cost * xi_val, kind="stable"):
                    if fixed_total + float(case_cost @ xi_val) <= r.budget.amount + 1e-6 or case_cost[j] <= 0:
                        break
                    xi_val[j] = 0.0
            vec = combine(form, to_model_vector(form, idx, units, xi_val), base)
            money = float(form.col_money @ vec)
            variable = float((units * idx["cost"].to_numpy(float)).sum())
            if money > r.budget.amount + 1e-6 and variable > 0:
                # every direct flow scaled alike: the ratio rules (supervision, party share) still hold
                # (for base plus a scaled share too: each ratio row is linear in the factor, and holds at 0 and 1)
                f = max(0.0, 1.0 - (money - r.budget.amount) / variable)
                units = units * f
                vec = combine(form, to_model_vector(form, idx, units, xi_val), base)
            repairs[budget.KEY] = {"organizations_disengaged": dropped}
    blocked = sorted({RULE_WORDS.get(b, b) for b in violated_blocks(form, vec)})
    return vec, {"feasible": not blocked, "repairs": repairs, "blocked_by": blocked}


def _base_pairs(form: Formulation, base: np.ndarray) -> set[tuple[int, int]]:
    """(social-worker class, unit) pairs in which ``base`` gives hours, carries a case or assigns the worker."""
    out: set[tuple[int, int]] = set()
    for name in ("x", "xi"):
        b = form.var(name)
        if not b.size:
            continue
        ix = b.index
        sel = (ix["kind"].to_numpy() == "social_worker") & (ix["p"].to_numpy() >= 0) & (base[b.ids] > 1e-9)
        out |= set(zip(ix["p"].to_numpy()[sel].tolist(), ix["u"].to_numpy()[sel].tolist()))
    if form.has("a") and form.var("a").size:  # and the units it is assigned to there (a = 1)
        a = form.var("a")
        on = base[a.ids] > 0.5
        out |= set(zip(a.index["p"].to_numpy()[on].tolist(), a.index["u"].to_numpy()[on].tolist()))
    return out


def violated_blocks(form: Formulation, vec: np.ndarray, tol: float = 1e-6) -> list[str]:
    """Row blocks (and column bounds) a vector breaks."""
    m = form.model
    act = m.matrix() @ vec
    lo, hi = m.row_bounds()
    scale = np.maximum(1.0, np.abs(act))
    bad = (act < lo - tol * scale) | (act > hi + tol * scale)
    out = [name for name, b in m.row_blocks.items() if bad[b.start : b.stop].any()]
    lb, ub = m.bounds()
    if ((vec < lb - tol) | (vec > ub + tol)).any():
        out.append("bounds")
    return out


def guarantee_plan(form: Formulation, backend_name: str, options) -> np.ndarray | None:
    """A plan that meets every guaranteed need and satisfies every rule, asking nothing else: the model
    with the other needs' coverage held at zero and a zero objective, first without programs (presolve
    then removes most of the model: about 2 s on the realistic district, where the full LP takes 20 s),
    with programs if guarantees need them. None when there are no guarantees or no plan is found by
    ``options``' deadline. The rule of thumb is then laid on top of it (:func:`repaired_baseline`)."""
    from ..solvers import get_backend

    N = form.needs
    guaranteed = (N["tier"].to_numpy() == "guaranteed") & (N["q"].to_numpy(float) > 0)
    if not guaranteed.any():
        return None
    m = form.model
    base = m.problem(np.zeros(m.n_cols), "min")
    hi = base.col_hi.copy()
    for name in ("cov", "xi"):
        if form.has(name) and form.var(name).size:
            b = form.var(name)
            hi[b.ids[~guaranteed[b.index["n"].to_numpy()]]] = 0.0
    no_programs = hi.copy()
    for name in ("y", "z_org"):
        if form.has(name):
            no_programs[form.var(name).ids] = 0.0
    backend = get_backend(backend_name)
    for col_hi in (no_programs, hi):
        res = backend.solve(dataclasses.replace(base, col_hi=col_hi), options)
        if res.x is not None and not violated_blocks(form, res.x):
            return settle_equity(form, clean_solution(form, res.x))
        if res.status != Status.INFEASIBLE:  # out of time, or the solver failed: no start
            return None
    return None


def rule_of_thumb_start(form: Formulation, backend_name: str, options) -> tuple[np.ndarray, dict]:
    """The repaired rule of thumb, guarantees first when repairs alone leave one short: what
    :func:`linkage_opt.solving.solve.solve_monolithic` starts the first stage from and ``--baseline`` compares with.

    The report is :func:`repaired_baseline`'s, with ``guarantees_first`` (seconds, whether it was used)
    when :func:`guarantee_plan` ran. Kept on the formulation so the comparison does not compute it again.
    """
    import time

    vec, report = repaired_baseline(form)
    if not report["feasible"]:
        t0 = time.perf_counter()
        base = guarantee_plan(form, backend_name, options)
        info = {"seconds": round(time.perf_counter() - t0, 3), "used": False}
        if base is not None:
            vec2, report2 = repaired_baseline(form, base)
            if report2["feasible"]:
                vec, report = vec2, report2
                info["used"] = True
        report = {**report, "guarantees_first": info}
    form.rule_of_thumb = (vec, report)
    return vec, report


def compare(form: Formulation, plan: Plan) -> dict:
    """Side-by-side figures of the optimized plan and the rule of thumb."""
    xb, repair = form.rule_of_thumb if form.rule_of_thumb is not None else repaired_baseline(form)
    base_tables = build_tables(form, xb, rounded=False)  # the yardstick unrounded: never lowered by rounding
    base = plan_metrics(base_tables, form.scenario)
    base["money"] = float(form.col_money @ xb)
    delivered = plan.summary.metrics.to_dict()
    delivered["money"] = plan.summary.objective.money
    if plan.solution is not None:
        # like for like: the optimized plan in the model's exact amounts too (rounding to dispatchable
        # amounts, linkage_opt.solving.dispatch, would lower either plan; the delivered figures are kept beside)
        x = np.asarray(plan.solution, float)
        opt = plan_metrics(build_tables(form, x, rounded=False), form.scenario)
        opt["money"] = float(form.col_money @ x)
    else:
        opt = delivered
    keys = [
        "weighted_coverage",
        "guaranteed_met",
        "guaranteed_needs",
        "units_below_equity_floor",
        "min_unit_ratio",
        "idle_hours",
        "unmet_need_rows",
        "money",
    ]
    return {
        "rule": "tier by tier, each provider's capacity split pro rata to the needs it can reach; no programs; "
        "repaired where it breaks a linkage rule"
        + (
            "; guarantees placed first where repairs alone left one short"
            if repair.get("guarantees_first", {}).get("used")
            else ""
        ),
        "amounts": "exact" if plan.solution is not None else "optimized dispatched, rule of thumb exact",
        "repair": repair,
        "optimized": {k: opt[k] for k in keys},
        "optimized_dispatched": {k: delivered[k] for k in keys},
        "baseline": {k: base[k] for k in keys},
        "difference": {k: opt[k] - base[k] for k in keys},
        "baseline_coverage": base_tables["coverage"],
    }


def attach_baseline(plan: Plan, scenario=None) -> dict:
    """Compute the baseline for a solved plan and add ``baseline.json`` to the files it writes."""
    form = plan.formulation
    if form is None:
        raise ValueError("this plan carries no formulation; solve it with linkage_opt.solving.solve")
    cmp = compare(form, plan)
    cov = cmp.pop("baseline_coverage")
    plan.extras["baseline.json"] = cmp
    plan.extras["baseline_coverage.csv"] = cov
    plan.summary.baseline = {"weighted_coverage": cmp["baseline"]["weighted_coverage"]}
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
    from .. import lang as L
    from ..terminal import print_table, qty

    t = Table(title=L.t("Optimized plan vs rule of thumb", lang), title_justify="left")
    t.add_column(L.t("metric", lang))
    t.add_column(L.t("optimized", lang), justify="right")
    t.add_column(L.t("rule of thumb", lang), justify="right")
    t.add_column(L.t("difference", lang), justify="right")
    for key, (_, fmt) in LABELS.items():
        label = L.label("metric", key, lang)
        o, b, d = cmp["optimized"][key], cmp["baseline"][key], cmp["difference"][key]
        if "%" in fmt:  # a ratio; its difference in percentage points
            cells = (fmt.format(o), fmt.format(b), f"{d * 100:+.2f} {L.t('pt', lang)}")
        elif key == "idle_hours":  # a quantity: with its unit
            cells = (
                qty(o, "hours", lang, 1),
                qty(b, "hours", lang, 1),
                ("+" if d >= 0 else "") + qty(d, "hours", lang, 1),
            )
        else:
            cells = (fmt.format(o), fmt.format(b), fmt.replace("{:", "{:+").format(d))
        t.add_row(label, *cells)
    if "optimized_dispatched" in cmp and cmp.get("amounts") == "exact":
        t.caption = L.t(
            "both plans in the model's exact amounts; the optimized plan rounded to dispatchable "
            "amounts has weighted coverage {coverage}",
            lang,
            coverage=f"{cmp['optimized_dispatched']['weighted_coverage']:.2%}",
        )
    print_table(t, console)
