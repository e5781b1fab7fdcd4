"""Dispatchable amounts: the plan's people, lots and budget money in amounts one can hand out.

The model's hours are continuous, and the exact order-filling of :mod:`linkage_opt.model.disaggregate` lays a
class's hours over its members end to end, so a member can be left with 0.076 h. This pass rewrites the
allocation rows of social workers, volunteers and charity lots so that

* every person's hours in a (unit, category) are a multiple of ``dispatch.step`` (default 0.5 h) and at
  least ``dispatch.min_hours`` (default 1 h), or nothing;
* goods are whole items and money whole yuan (the lots' rows, and the budget money given to programs);
* totals stay exact where a rule needs them: guaranteed needs, program inputs (instances x hours or
  funds per instance) and indivisible cases are never reduced.

How: per *dispatch group* -- the members of one provider group (people, ``formulation.provider_groups``:
interchangeable in every row once their hours are given to a category) or of one lot class, serving one
(unit, category) -- the group's amount per need row or program is rounded *down* to the step, except for
the protected rows above, whose fraction (less than one step) stays with one person who already serves
there (an *odd amount*, counted in the report). The group's whole steps are then shared over its members
(each keeps the whole steps it had, the ones lost go from the smallest amounts first, and a member left
with less than ``min_hours`` hands its steps to another member with room, or gets topped up to
``min_hours`` from the largest), and laid over the need rows by :func:`~linkage_opt.model.disaggregate.fill`,
in whole steps. Program money from lots and the district budget is rounded to whole yuan per program with
the program's total kept (largest remainder, within the lots' and the budget's room).

Rounding down never adds load, cost or volunteer hours, so capacities, the budget, coverage caps and the
reach, skill and earmark rules hold as before; the two rules it can break -- social-worker supervision
(fewer worker hours) and the party-member share (fewer party hours) -- are checked after the pass, and
the groups that broke one are left exact and the pass is run again. What was lost (hours, yuan, items,
need covered, weighted coverage) is in ``summary.json`` under ``dispatch``; the objective figures in the
summary are recomputed from the final tables (:func:`settle_objective`), so ``linkage-opt check`` agrees.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from ..model.disaggregate import fill
from ..model.reach import distance_matrix, member_frame

EPS = 1e-9
SNAP = 1e-6  # an amount within this many steps of a whole number of steps is that number
CHECK_TOL = 1e-5  # hours: what linkage-opt check allows on the rules the pass can break (the final test)
DECIMALS = 9  # output amounts are rounded to this many decimals (no 2.999999999999999)
PEOPLE = ("social_worker", "volunteer")
CONSOLIDATE_TAKERS = 8  # a small group's hours are offered to at most this many of the largest groups beside it
COLUMNS = ["provider_kind", "provider_id", "unit_id", "category", "need_id", "program_id", "quantity", "load", "cost"]


def denoise(values, decimals: int = DECIMALS) -> np.ndarray:
    """Floats without representation noise: rounded to ``decimals`` places, -0.0 as 0.0."""
    v = np.round(np.asarray(values, float), decimals)
    return v + 0.0


class _Late(Exception):
    """The pass's deadline has passed: it is abandoned and the model's exact amounts are kept."""


def _on_time(ctx: _Context) -> None:
    if ctx.deadline is not None and time.monotonic() > ctx.deadline:
        raise _Late


def dispatch_rows(
    alloc: pd.DataFrame,
    form,
    previous_pairs: pd.DataFrame | None = None,
    money_before: float | None = None,
    deadline: float | None = None,
) -> tuple[pd.DataFrame, dict]:
    """``(allocation rows in dispatchable amounts, report)``; see the module's docstring.

    ``deadline`` (a ``time.monotonic()`` instant): a pass still running then is abandoned and the rows keep
    the model's exact amounts (valid, not rounded; ``report["stopped_by_deadline"]``)."""
    try:
        return _dispatch_rows(alloc, form, previous_pairs, money_before, deadline)
    except _Late:
        return _clean(alloc), {**_empty_report(form.scenario.config.dispatch), "stopped_by_deadline": True}


def _empty_report(dcfg) -> dict:
    return {
        "enabled": bool(dcfg.enabled),
        "step_hours": dcfg.step,
        "min_hours": dcfg.min_hours,
        "lost_hours": 0.0,
        "lost_yuan": 0.0,
        "lost_items": 0.0,
        "lost_need_rows": 0,
        "odd_amounts": 0,
        "below_min": 0,
        "kept_exact_groups": 0,
        "stability_lost_load": 0.0,
    }


def _dispatch_rows(
    alloc: pd.DataFrame, form, previous_pairs: pd.DataFrame | None, money_before: float | None, deadline: float | None
) -> tuple[pd.DataFrame, dict]:
    scenario = form.scenario
    cfg = scenario.config
    dcfg = cfg.dispatch
    report = _empty_report(dcfg)
    if not dcfg.enabled or not len(alloc):
        return _clean(alloc), report
    exact = alloc
    alloc, moved, spent = _consolidate(_Context(alloc, form, previous_pairs, deadline), money_before)
    if money_before is not None:
        money_before += spent
    ctx = _Context(alloc, form, previous_pairs, deadline)
    report["consolidated_rows"] = moved
    budget = cfg.rules.budget
    ctx.headroom = (
        math.inf
        if not budget.enabled or budget.amount is None
        else (budget.amount - money_before if money_before is not None else 0.0)
    )
    rows, rep, exempt = _rounded(ctx)
    saved = float(ctx.alloc["cost"].sum() - rows["cost"].sum())
    if rep.get("budget_blocked", 0) and saved > 1e-6 and math.isfinite(ctx.headroom):
        # what rounding down saved may pay for moving guaranteed needs' fractions to paid hours
        base = ctx.headroom
        ctx.headroom = base + saved
        again = _rounded(ctx)
        money_after = float(again[0]["cost"].sum() - ctx.alloc["cost"].sum())
        if again[1].get("balanced_need_rows", 0) and money_after <= base + 1e-9:
            rows, rep, exempt = again
        ctx.headroom = base
    rows, rep = _fund_programs(ctx, rows, rep, money_before)
    rep.pop("budget_blocked", None)
    rep["kept_exact_groups"] = len(exempt)
    if _broken_groups(ctx, rows, CHECK_TOL) and not _broken_groups(
        _Context(exact, form, previous_pairs, deadline), exact, CHECK_TOL
    ):
        # the pass never breaks a rule the exact plan keeps: if one is still broken (a move that the pass's own
        # accounting missed), the model's exact amounts are the plan
        return _clean(exact), {**_empty_report(dcfg), "kept_exact_plan": True}
    report.update(rep)
    return _clean(rows), report


def _unit_cap(cfg) -> float:
    """``rules.max_hours_per_unit``'s hours, or infinity when the rule is off."""
    rule = getattr(cfg.rules, "max_hours_per_unit", None)
    return rule.hours if rule is not None and rule.enabled and rule.hours is not None else math.inf


def _volunteer_unit_hours(ctx: _Context, amount: np.ndarray, rows: np.ndarray) -> dict:
    """Hours per (volunteer, unit) over the rows selected by mask ``rows``: what the per-unit cap limits."""
    out: dict = {}
    for i in np.flatnonzero(rows & (ctx.kind == "volunteer")):
        out[(ctx.pid[i], ctx.unit[i])] = out.get((ctx.pid[i], ctx.unit[i]), 0.0) + amount[i]
    return out


def _consolidate(ctx: _Context, money_before: float | None) -> tuple[pd.DataFrame, int, float]:
    """Service that rounding would drop because its whole dispatch group holds less than ``min_hours`` in a
    (unit, category) -- two volunteers with 0.5 h each on a 1-h need, or 0.8 volunteer hours supervised by
    0.2 worker hours -- moved to a person of another group already serving there, when the rules allow it:

    * a volunteer's hours go to another volunteer or to a social worker (supervision only gains), if the
      unit's party-member share still holds after the move; a worker's hours go only to a worker, or to a
      volunteer if the category is not supervised;
    * the receiver has room in their capacity and under ``rules.max_hours_per_unit``, and the budget pays
      for any dearer hours.

    Only divisible, non-guaranteed need rows move (protected rows keep their exact amounts); coverage and
    every total are unchanged. Returns the rows, how many were moved and the money the moves added."""
    a = ctx.alloc.copy()
    movable = ctx.handled & ctx.is_need & ~ctx.protected & np.isin(ctx.kind, PEOPLE)
    if not movable.any():
        return a, 0, 0.0
    cfg = ctx.cfg
    r = cfg.rules
    people = ctx.handled & np.isin(ctx.kind, PEOPLE)
    cap = _unit_cap(cfg)
    party_rule = r.party_share.enabled and r.party_share.min_share > 0
    supervised = set(cfg.supervised_categories) if r.supervision.enabled else set()
    budget = r.budget
    headroom = (
        math.inf
        if not budget.enabled or budget.amount is None
        else (budget.amount - money_before if money_before is not None else 0.0)
    )
    residual = dict(ctx.residual0)
    unit_hours = _volunteer_unit_hours(ctx, ctx.amount, people)

    def party(i: int) -> bool:
        return ctx.kind[i] == "volunteer" and bool(ctx.party.get(ctx.pid[i], False))

    vol_hours: dict = {}  # per unit: [volunteer hours, party-member hours], indivisible cases' hours included
    for i in np.flatnonzero((ctx.kind == "volunteer") & (ctx.p >= 0)):
        vh = vol_hours.setdefault(ctx.unit[i], [0.0, 0.0])
        vh[0] += ctx.amount[i]
        vh[1] += ctx.amount[i] if party(i) else 0.0

    def share_change(rows: list, taker: int) -> tuple[float, float] | None:
        """The unit's (volunteer, party) hours after the move, or None if the party share would break."""
        tot, par = vol_hours.get(ctx.unit[taker], [0.0, 0.0])
        for i in rows:
            if ctx.kind[i] == "volunteer":
                tot -= ctx.amount[i]
                par -= ctx.amount[i] if party(i) else 0.0
            if ctx.kind[taker] == "volunteer":
                tot += ctx.amount[i]
                par += ctx.amount[i] if party(taker) else 0.0
        if party_rule and tot > 1e-6 and par < r.party_share.min_share * tot - 1e-7:
            return None
        return tot, par

    def may_take(giver: int, taker: int) -> bool:
        if ctx.kind[giver] == "social_worker" and ctx.kind[taker] == "volunteer":
            return ctx.cat[giver] not in supervised  # supervision would lose worker hours
        return True

    buckets: dict = {}
    for i in np.flatnonzero(people):
        g = ctx.gkey[i]
        buckets.setdefault((g[1], g[2]), {}).setdefault(g, []).append(i)
    kind = a["provider_kind"].to_numpy(object).copy()
    pid = a["provider_id"].astype(str).to_numpy(object).copy()
    load = a["load"].to_numpy(float).copy()
    cost = a["cost"].to_numpy(float).copy()
    moved, spent = 0, 0.0
    for groups in buckets.values():
        if len(groups) < 2:
            continue
        _on_time(ctx)
        total = {g: float(ctx.amount[rows].sum()) for g, rows in groups.items()}
        small = [
            g
            for g, rows in groups.items()
            if EPS < total[g] < ctx.min_amt[rows[0]] - SNAP * ctx.step[rows[0]] and movable[rows].all()
        ]
        for g in sorted(small, key=lambda k: total[k]):
            rows = groups[g]
            amt = total[g]
            if amt <= EPS:
                continue
            takers = sorted((k for k in groups if k != g and total[k] > EPS), key=lambda k: -total[k])
            for k in takers[:CONSOLIDATE_TAKERS]:
                host_row = max(groups[k], key=lambda i: residual[ctx.pid[i]])
                host = ctx.pid[host_row]
                l_per, c_per = ctx.l_per[host_row], ctx.c_per[host_row]
                extra = float(sum(ctx.amount[i] * (c_per - ctx.c_per[i]) for i in rows))
                after = share_change(rows, host_row)
                if (
                    after is None
                    or not all(may_take(i, host_row) for i in rows)
                    or residual[host] < amt * l_per - EPS
                    or extra > headroom + 1e-9
                    or (
                        ctx.kind[host_row] == "volunteer"
                        and unit_hours.get((host, ctx.unit[host_row]), 0.0) + amt > cap + 1e-9
                    )
                ):
                    continue
                for i in rows:
                    residual[ctx.pid[i]] += float(load[i])
                    kind[i] = ctx.kind[host_row]
                    pid[i] = host
                    load[i] = ctx.amount[i] * l_per
                    cost[i] = ctx.amount[i] * c_per
                residual[host] -= amt * l_per
                vol_hours[ctx.unit[host_row]] = list(after)
                unit_hours[(host, ctx.unit[host_row])] = unit_hours.get((host, ctx.unit[host_row]), 0.0) + amt
                headroom -= max(extra, 0.0)
                spent += extra
                total[k] += amt
                total[g] = 0.0
                groups[k] = groups[k] + rows
                moved += len(rows)
                break
    if not moved:
        return a, 0, 0.0
    a["provider_kind"], a["provider_id"], a["load"], a["cost"] = kind, pid, load, cost
    keys = ["provider_kind", "provider_id", "unit_id", "category", "need_id", "program_id"]
    merged = (
        a.fillna({"need_id": "", "program_id": ""})
        .groupby(keys, sort=False, as_index=False)[["quantity", "load", "cost"]]
        .sum()
    )
    return merged[list(a.columns)], moved, spent


def _rounded(ctx: _Context) -> tuple[pd.DataFrame, dict, set]:
    """The rounding pass, run again with the groups that broke supervision or the party share kept exact."""
    exempt: set = set()
    for _ in range(6):
        _on_time(ctx)
        rows, rep = _round_once(ctx, exempt)
        broken = _broken_groups(ctx, rows)
        if not broken - exempt:
            break
        exempt |= broken
    return rows, rep, exempt


def _clean(alloc: pd.DataFrame) -> pd.DataFrame:
    out = alloc.copy()
    for col in ("quantity", "load", "cost"):
        if col in out:
            out[col] = denoise(out[col].to_numpy(float))
    keep = (out["quantity"].abs() > EPS) | (out["load"].abs() > EPS) | (out["cost"].abs() > EPS) if len(out) else []
    return out[keep].reset_index(drop=True) if len(out) else out


class _Context:
    """What the pass needs to know about each row and provider, computed once."""

    def travel_factor(self, provider_id: str, unit_id: str) -> float:
        """``1 + travel_overhead_per_km x distance`` from the person's home to the unit: what an hour given to a
        program there costs of their capacity (a person the pass gave program hours who had none there)."""
        dist, home, uidx, overhead = self._travel
        p = self.member_p.get(provider_id, -1)
        h = int(home[p]) if p >= 0 and home[p] is not None and home[p] >= 0 else -1
        u = uidx.get(unit_id, -1)
        d = dist[h, u] if h >= 0 and u >= 0 else 0.0
        return 1.0 + overhead * (d if math.isfinite(d) else 0.0)

    def __init__(self, alloc: pd.DataFrame, form, previous_pairs, deadline: float | None = None):
        self.deadline = deadline
        sc = form.scenario
        cfg = sc.config
        self.cfg = cfg
        self.alloc = alloc.reset_index(drop=True)
        a = self.alloc
        P = form.providers
        mf = member_frame(P)
        self.member_p = dict(zip(mf["provider_id"].astype(str), mf["p"].to_numpy()))
        self.capacity = dict(zip(mf["provider_id"].astype(str), mf["capacity"].to_numpy(float)))
        groups = getattr(form, "groups", None)
        groups = np.asarray(groups) if groups is not None else np.full(len(P), -1)
        kind = a["provider_kind"].to_numpy()
        pid = a["provider_id"].astype(str).to_numpy()
        p = np.array([self.member_p.get(x, -1) for x in pid])
        self.p = p
        needs = sc.needs.set_index("need_id")
        tier = needs["tier"].to_dict()
        indiv = needs["indivisible"].astype(bool).to_dict()
        nid = a["need_id"].fillna("").astype(str).to_numpy()
        prog = a["program_id"].fillna("").astype(str).to_numpy()
        is_need = nid != ""
        self.handled = (
            np.isin(kind, (*PEOPLE, "charity")) & (p >= 0) & ~np.array([indiv.get(n, False) for n in nid], bool)
        )
        # amount: hours for people, yuan or items for lots
        hpu = np.array([cfg.categories[c].hours_per_unit if c in cfg.categories else 1.0 for c in a["category"]], float)
        units = sc.units["unit_id"].astype(str).tolist()
        uidx = {u: i for i, u in enumerate(units)}
        dist = distance_matrix(sc)
        home = P["home"].to_numpy() if "home" in P else np.full(len(P), -1)
        overhead = cfg.costs.travel_overhead_per_km
        q = a["quantity"].to_numpy(float)
        load = a["load"].to_numpy(float)
        cost = a["cost"].to_numpy(float)
        people = np.isin(kind, PEOPLE)
        self._travel = (dist, home, uidx, overhead)
        lf_prog = np.ones(len(a))
        for i in np.flatnonzero(people & ~is_need & (p >= 0)):
            lf_prog[i] = self.travel_factor(pid[i], str(a.at[i, "unit_id"]))
        amount = np.where(people, np.where(is_need, q * hpu, load / lf_prog), load)
        self.amount = amount
        safe = np.where(amount > EPS, amount, 1.0)
        self.q_per = np.where(is_need, q / safe, 0.0)
        self.l_per = np.where(amount > EPS, load / safe, np.where(people & ~is_need, lf_prog, 1.0))
        self.c_per = np.where(amount > EPS, cost / safe, 0.0)
        self.step = np.where(people, cfg.dispatch.step, 1.0)
        self.min_amt = np.where(people, max(cfg.dispatch.min_hours, cfg.dispatch.step), 1.0)
        self.protected = (~is_need) | np.array([tier.get(n) == "guaranteed" for n in nid], bool)
        self.sink = np.where(is_need, "n:" + nid, "p:" + prog)
        gk = np.where(p >= 0, groups[np.maximum(p, 0)] if len(groups) else -1, -1)
        self.gkey = [
            (k, u, c, int(g) if (k in PEOPLE and g >= 0) else -int(pp) - 1)
            for k, u, c, g, pp in zip(kind, a["unit_id"].astype(str), a["category"].astype(str), gk, p)
        ]
        used = a.groupby(a["provider_id"].astype(str))["load"].sum()
        self.residual0 = {m: self.capacity[m] - float(used.get(m, 0.0)) for m in self.capacity}
        self.kind = kind
        self.pid = pid
        self.unit = a["unit_id"].astype(str).to_numpy()
        self.cat = a["category"].astype(str).to_numpy()
        self.need = nid
        self.prog = prog
        self.is_need = is_need
        ch = sc.charity
        self.lot_kind = dict(zip(ch["lot_id"].astype(str), ch["kind"].astype(str))) if len(ch) else {}
        vol = sc.volunteers
        self.party = dict(zip(vol["volunteer_id"].astype(str), vol["party_member"].astype(bool))) if len(vol) else {}
        self.prev = None
        if previous_pairs is not None and len(previous_pairs) and cfg.stability.enabled:
            pp = previous_pairs.astype(str)
            self.prev = (set(pp["provider_id"]), set(zip(pp["provider_id"], pp["unit_id"])))


def _round_once(ctx: _Context, exempt: set) -> tuple[pd.DataFrame, dict]:
    rep = {
        "lost_hours": 0.0,
        "lost_yuan": 0.0,
        "lost_items": 0.0,
        "lost_need_rows": 0,
        "odd_amounts": 0,
        "below_min": 0,
        "stability_lost_load": 0.0,
        "balanced_need_rows": 0,
    }
    residual = dict(ctx.residual0)
    a, amount = _balance_protected(ctx, exempt, residual, rep)
    idx = np.flatnonzero(ctx.handled)
    groups: dict = {}
    for i in idx:
        groups.setdefault(ctx.gkey[i], []).append(i)
    new_parts: list[tuple] = []
    replaced = np.zeros(len(a), bool)
    units = amount / ctx.step
    whole = (np.abs(units - np.round(units)) <= SNAP) & ((amount <= EPS) | (amount >= ctx.min_amt - SNAP * ctx.step))
    for key, rows in groups.items():
        if key in exempt:
            continue
        rows = np.asarray(rows)
        if whole[rows].all():
            continue  # already in whole steps of at least min_hours
        _on_time(ctx)
        out = _round_group(ctx, a, amount, rows, residual, rep)
        if out is None:
            continue
        replaced[rows] = True
        new_parts.extend(out)
    kept = a[~replaced]
    kept = kept[(kept["load"].abs() > EPS) | (kept["quantity"].abs() > EPS) | ~ctx.handled[~replaced]]
    if new_parts:
        new = pd.DataFrame.from_records(new_parts, columns=COLUMNS)
        res = pd.concat([kept, new[list(a.columns)]], ignore_index=True)
    else:
        res = kept.copy()
    return res, rep


def _balance_protected(ctx: _Context, exempt: set, residual: dict, rep: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """A need row (or a program's worker or volunteer hours in a unit) served by several dispatch groups in
    fractions of a step: the fractions moved between the groups (to those with room under their capacity
    and ``rules.max_hours_per_unit``, the budget permitting) so that each group holds whole steps. The total
    stays exact for guaranteed needs and program inputs; for other needs it keeps its whole steps (rounding
    each group down on its own would lose up to a step per group). Returns the rows and their amounts after
    the moves."""
    a = ctx.alloc.copy()
    amount = ctx.amount.copy()
    qlc = a[["quantity", "load", "cost"]].to_numpy(float).copy()
    people = ctx.handled & np.isin(ctx.kind, PEOPLE)
    need_rows = np.flatnonzero(people & (ctx.protected | ctx.is_need))
    if not len(need_rows):
        return a, amount
    headroom = ctx.headroom
    step = ctx.cfg.dispatch.step
    cap = _unit_cap(ctx.cfg)
    unit_hours = _volunteer_unit_hours(ctx, amount, people)
    by_sink: dict = {}
    for i in need_rows:
        # a need row takes any people's hours; a program's worker and volunteer hours are two totals
        key = (ctx.sink[i],) if ctx.is_need[i] else (ctx.sink[i], ctx.unit[i], ctx.kind[i])
        by_sink.setdefault(key, []).append(i)
    for rows in by_sink.values():
        gk: dict = {}
        for i in rows:
            gk.setdefault(ctx.gkey[i], []).append(i)
        if len(gk) < 2 or any(g in exempt for g in gk):
            continue
        _on_time(ctx)
        keys = list(gk)
        tot = np.array([amount[gk[g]].sum() / step for g in keys])
        frac = tot - np.floor(tot + SNAP)
        frac[frac < SNAP] = 0.0
        if not (frac > 0).any():
            continue
        exact = bool(ctx.protected[rows[0]])
        k_up = frac.sum()
        if exact and abs(k_up - round(k_up)) > SNAP:
            continue  # the need itself is not whole steps: nothing to balance
        k_up = int(round(k_up)) if exact else int(math.floor(k_up + SNAP))
        if k_up == 0:
            continue
        ups, budget_left = [], headroom
        for j in np.argsort(-frac, kind="stable"):
            if len(ups) == k_up:
                break
            if frac[j] <= 0:
                continue
            extra = (1.0 - frac[j]) * step
            rows_j = gk[keys[j]]
            l_per, c_per = ctx.l_per[rows_j[0]], ctx.c_per[rows_j[0]]
            host = max(rows_j, key=lambda i: residual[ctx.pid[i]])
            if (
                residual[ctx.pid[host]] >= extra * l_per - EPS
                and budget_left >= extra * c_per - 1e-9
                and (
                    ctx.kind[host] != "volunteer"
                    or unit_hours.get((ctx.pid[host], ctx.unit[host]), 0.0) + extra <= cap + 1e-9
                )
            ):
                ups.append((j, host, extra))
                budget_left -= extra * c_per
        if len(ups) < k_up:
            if exact:
                rep["budget_blocked"] = rep.get("budget_blocked", 0) + 1
                continue
            if not ups:
                continue
        up_set = {j for j, _, _ in ups}
        for _j, host, extra in ups:
            _scale_row(ctx, qlc, amount, host, amount[host] + extra, residual)
            if ctx.kind[host] == "volunteer":
                unit_hours[(ctx.pid[host], ctx.unit[host])] = (
                    unit_hours.get((ctx.pid[host], ctx.unit[host]), 0.0) + extra
                )
        for j in range(len(keys)):
            if j in up_set or frac[j] <= 0:
                continue
            cut = frac[j] * step
            for i in sorted(gk[keys[j]], key=lambda i: amount[i]):  # from the smallest rows
                take = min(cut, amount[i])
                _scale_row(ctx, qlc, amount, i, amount[i] - take, residual)
                cut -= take
                if cut <= EPS:
                    break
        headroom = budget_left
        rep["balanced_need_rows"] += 1
    ctx.headroom_after_balance = headroom
    a[["quantity", "load", "cost"]] = qlc
    return a, amount


def _scale_row(ctx: _Context, qlc: np.ndarray, amount: np.ndarray, i: int, new: float, residual: dict) -> None:
    """Row ``i`` scaled to ``new`` (hours or yuan or items): ``qlc`` holds the rows' quantity, load and cost."""
    new = max(new, 0.0)
    old_load = float(qlc[i, 1])
    qlc[i] = (new * ctx.q_per[i], new * ctx.l_per[i], new * ctx.c_per[i])
    amount[i] = new
    residual[ctx.pid[i]] += old_load - new * ctx.l_per[i]


def _round_group(
    ctx: _Context, a: pd.DataFrame, amount: np.ndarray, rows: np.ndarray, residual: dict, rep: dict
) -> list[tuple] | None:
    """The group's rows in whole steps (records of ALLOCATION columns), or None to keep them as they are."""
    step = float(ctx.step[rows[0]])
    min_steps = int(math.ceil(ctx.min_amt[rows[0]] / step - SNAP))
    amt = amount[rows] / step  # in steps
    sinks, s_inv = np.unique(ctx.sink[rows], return_inverse=True)
    members, m_inv = np.unique(ctx.pid[rows], return_inverse=True)
    tot = np.bincount(s_inv, amt, len(sinks))
    cur = np.bincount(m_inv, amt, len(members))
    prot = np.zeros(len(sinks), bool)
    np.logical_or.at(prot, s_inv, ctx.protected[rows])
    whole = np.floor(tot + SNAP)
    frac = np.where(tot - whole > SNAP, tot - whole, 0.0)
    odd = np.where(prot, frac, 0.0)  # protected: the fraction is kept (an odd amount)
    target = whole.copy()
    # a group whose amount is below min_hours: the unprotected part goes
    if (target.sum() + odd.sum()) < min_steps - SNAP:
        target[~prot] = 0
    if (
        np.allclose(target, tot, atol=SNAP)
        and np.allclose(cur, np.round(cur), atol=SNAP)
        and ((cur < SNAP) | (cur >= min_steps - SNAP)).all()
    ):
        return None  # already dispatchable
    # per-member room, in steps: what it has here plus its idle capacity
    first_row = {m: rows[np.flatnonzero(m_inv == j)[0]] for j, m in enumerate(members)}
    l_max = np.array([ctx.l_per[rows[m_inv == j]].max() for j in range(len(members))])
    room = np.array([cur[j] + max(residual[m], 0.0) / (l_max[j] * step) for j, m in enumerate(members)])
    cap_steps = np.floor(room + SNAP).astype(np.int64)
    F = int(round(target.sum()))
    give = np.minimum(np.floor(cur + SNAP).astype(np.int64), cap_steps)
    d = F - int(give.sum())
    if d < 0:  # fewer steps: from the smallest amounts first
        for j in np.argsort(give, kind="stable"):
            take = min(int(give[j]), -d)
            give[j] -= take
            d += take
            if d == 0:
                break
    if d > 0:  # more: to the largest fractions, then the largest
        order = sorted(range(len(members)), key=lambda j: (-(cur[j] - math.floor(cur[j] + SNAP)), -give[j], j))
        for j in order:
            add = min(int(cap_steps[j] - give[j]), d)
            give[j] += add
            d -= add
            if d == 0:
                break
    if d > 0:  # members full in fractions of a step: the unprotected rows give up whole steps
        for sj in np.argsort(-np.where(prot, -1.0, target), kind="stable"):
            if prot[sj] or d == 0:
                continue
            cut = min(int(target[sj]), d)
            target[sj] -= cut
            d -= cut
    if d > 0:  # no room for a whole step: keep the group exact
        return None
    # min_hours: a member with a few steps hands them on, or is topped up from the largest
    for j in np.argsort(give, kind="stable"):
        if not 0 < give[j] < min_steps:
            continue
        others = [k for k in np.argsort(-give, kind="stable") if k != j and give[k] > 0]
        for k in others:
            move = min(int(cap_steps[k] - give[k]), int(give[j]))
            give[k] += move
            give[j] -= move
            if give[j] == 0:
                break
        if 0 < give[j] < min_steps:
            for k in others:
                spare = int(give[k] - min_steps)
                move = min(spare, min_steps - int(give[j]), int(cap_steps[j] - give[j]))
                if move > 0:
                    give[k] -= move
                    give[j] += move
                if give[j] >= min_steps:
                    break
    # odd amounts: each to the member with the most steps that has room for it
    odd_m = np.zeros(len(members))
    for s in np.flatnonzero(odd > 0):
        order = np.argsort(-give, kind="stable")
        for j in order:
            if room[j] - give[j] - odd_m[j] >= odd[s] - SNAP:
                odd_m[j] += odd[s]
                break
        else:
            return None  # cannot place it: keep the group exact
        rep["odd_amounts"] += 1
    total_m = give + odd_m
    rep["below_min"] += int(((total_m > SNAP) & (total_m < min_steps - SNAP)).sum())
    # lay the whole steps over the sinks, then the odd amounts
    si, di, steps_amt = fill(np.zeros(len(members)), give.astype(float), np.zeros(len(sinks)), target)
    so, do, odd_amt = fill(np.zeros(len(members)), odd_m, np.zeros(len(sinks)), odd)
    mi = np.concatenate([si, so])
    sj = np.concatenate([di, do])
    val = np.concatenate([np.round(steps_amt), odd_amt]) * step
    # per-sink ratios, from any of the group's rows on that sink
    sink_row = {s: rows[np.flatnonzero(s_inv == s)[0]] for s in range(len(sinks))}
    merged: dict = {}
    for m_j, s_j, v in zip(mi.tolist(), sj.tolist(), val.tolist()):
        if v > EPS:
            merged[(m_j, s_j)] = merged.get((m_j, s_j), 0.0) + v
    new = []
    new_load = np.zeros(len(members))
    for (m_j, s_j), v in merged.items():
        r = sink_row[s_j]
        new.append(
            (
                ctx.kind[r],
                members[m_j],
                ctx.unit[r],
                ctx.cat[r],
                ctx.need[r],
                ctx.prog[r],
                v * ctx.q_per[r],
                v * ctx.l_per[r],
                v * ctx.c_per[r],
            )
        )
        new_load[m_j] += v * ctx.l_per[r]
    # bookkeeping: residual capacity, what was lost
    old_load = np.bincount(m_inv, a["load"].to_numpy(float)[rows], len(members))
    for j, m in enumerate(members):
        delta = float(old_load[j] - new_load[j])
        residual[m] += delta
        if ctx.prev is not None and ctx.kind[first_row[m]] in PEOPLE:
            served, pairs = ctx.prev
            if m in served and (m, str(ctx.unit[first_row[m]])) not in pairs:
                rep["stability_lost_load"] += delta
    lost = (tot - target - odd) * step
    kind = ctx.kind[rows[0]]
    if kind in PEOPLE:
        rep["lost_hours"] += float(lost.sum())
    elif _is_goods(ctx, rows[0]):
        rep["lost_items"] += float(lost.sum())
    else:
        rep["lost_yuan"] += float(lost.sum())
    rep["lost_need_rows"] += int((lost > EPS).sum())
    return new


def _is_goods(ctx: _Context, r: int) -> bool:
    return ctx.lot_kind.get(ctx.pid[r]) == "goods"


def _broken_groups(ctx: _Context, rows: pd.DataFrame, tol: float = 1e-7) -> set:
    """The dispatch groups to keep exact because rounding broke supervision, the party-member share or a
    volunteer's hours cap in a unit (by more than ``tol`` hours; ``linkage-opt check`` allows 1e-5)."""
    cfg = ctx.cfg
    broken: set = set()
    people1 = _hours_frame(ctx, rows)
    r = cfg.rules
    if r.supervision.enabled and cfg.supervised_categories:
        k = r.supervision.volunteer_hours_per_worker_hour
        h1 = people1.groupby(["unit_id", "category", "provider_kind"])["hours"].sum()
        for u, c in {(u, c) for u, c, _ in h1.index if c in cfg.supervised_categories}:
            vh = float(h1.get((u, c, "volunteer"), 0.0))
            wh = float(h1.get((u, c, "social_worker"), 0.0))
            if vh > k * wh + tol:
                broken |= {g for g in set(ctx.gkey) if g[0] == "social_worker" and g[1] == u and g[2] == c}
    if r.party_share.enabled and r.party_share.min_share > 0:
        rho = r.party_share.min_share
        v1 = people1[people1["provider_kind"] == "volunteer"]
        if len(v1):
            v1 = v1.assign(party=v1["provider_id"].map(ctx.party).fillna(False).astype(bool))
            for u, d in v1.groupby("unit_id"):
                tot = float(d["hours"].sum())
                party = float(d.loc[d["party"], "hours"].sum())
                if tot > 1e-6 and party < rho * tot - tol:
                    # every volunteer group of the unit: rounding party members down breaks the share, and so
                    # does a fraction moved up to a group of non-members (_balance_protected)
                    broken |= {g for g in set(ctx.gkey) if g[0] == "volunteer" and g[1] == u}
    cap = _unit_cap(cfg)
    if math.isfinite(cap):
        # rules.max_hours_per_unit: a volunteer whom rounding took past the cap in a unit keeps exact amounts there
        v1 = people1[people1["provider_kind"] == "volunteer"]
        if len(v1):
            per = v1.groupby(["provider_id", "unit_id"])["hours"].sum()
            over = {(p, u) for (p, u), h in per.items() if h > cap + tol}
            if over:
                broken |= {
                    g
                    for g, i in zip(ctx.gkey, range(len(ctx.gkey)))
                    if g[0] == "volunteer" and (ctx.pid[i], g[1]) in over
                }
    return broken


def _hours_frame(ctx: _Context, rows: pd.DataFrame) -> pd.DataFrame:
    """Service hours of people per row (quantity x hours per unit; program inputs: load / travel factor)."""
    people = rows[rows["provider_kind"].isin(PEOPLE)]
    hpu = np.array([ctx.cfg.categories[c].hours_per_unit for c in people["category"]], float)
    is_need = people["need_id"].fillna("").astype(str).to_numpy() != ""
    lf = _program_factor(ctx, people)  # program rows: that person's travel factor in that unit
    h = np.where(is_need, people["quantity"].to_numpy(float) * hpu, people["load"].to_numpy(float) / lf)
    return people[["provider_kind", "provider_id", "unit_id", "category"]].assign(hours=h)


def _program_factor(ctx: _Context, people: pd.DataFrame) -> np.ndarray:
    a = ctx.alloc
    prog = ~ctx.is_need & np.isin(ctx.kind, PEOPLE)
    table = {
        (pid, u): l for pid, u, l in zip(ctx.pid[prog], a["unit_id"].astype(str).to_numpy()[prog], ctx.l_per[prog])
    }
    return np.array(
        [
            table.get((str(p), str(u))) or ctx.travel_factor(str(p), str(u))
            for p, u in zip(people["provider_id"], people["unit_id"])
        ],
        float,
    )


def _fund_programs(ctx: _Context, rows: pd.DataFrame, rep: dict, money_before: float | None):
    """Program money (lots and the district budget) in whole yuan per program, its total kept."""
    rows = rows.reset_index(drop=True)
    sel = (
        rows["provider_kind"].isin(["charity", "budget"])
        & (rows["need_id"].fillna("") == "")
        & (rows["program_id"].fillna("") != "")
    )
    if not sel.any():
        return rows, rep
    load = rows["load"].to_numpy(float).copy()
    cost = rows["cost"].to_numpy(float).copy()
    used = rows[rows["provider_kind"] == "charity"].groupby("provider_id")["load"].sum()
    lot_room = {m: ctx.capacity.get(m, 0.0) - float(used.get(m, 0.0)) for m in used.index}
    budget = ctx.cfg.rules.budget
    if budget.enabled and budget.amount is not None:
        if money_before is None:
            headroom = 0.0  # the spending is not known: no yuan more
        else:
            money = money_before + float(rows["cost"].sum()) - float(ctx.alloc["cost"].sum())
            headroom = budget.amount - money
    else:
        headroom = math.inf
    for _, d in rows[sel].groupby(["unit_id", "program_id"], sort=False):
        _on_time(ctx)
        ids = d.index.to_numpy()
        total = load[ids].sum()
        if abs(total - round(total)) > SNAP or np.allclose(load[ids], np.round(load[ids]), atol=SNAP):
            continue
        floor_ = np.floor(load[ids] + SNAP)
        deficit = int(round(total - floor_.sum()))
        frac = load[ids] - floor_
        new = floor_.copy()
        for j in np.argsort(-frac, kind="stable"):
            if deficit == 0:
                break
            up = 1.0 - frac[j]
            who = rows.at[ids[j], "provider_kind"]
            pid = str(rows.at[ids[j], "provider_id"])
            if who == "charity" and lot_room.get(pid, 0.0) >= up - SNAP:
                lot_room[pid] -= up
            elif who == "budget" and headroom >= up - 1e-9:
                headroom -= up
            else:
                continue
            new[j] += 1
            deficit -= 1
        if deficit:
            continue  # no room: this program's money stays as it was
        for j, i in enumerate(ids):  # what a floor frees is not counted as room again (conservative)
            if rows.at[i, "provider_kind"] == "budget":
                cost[i] = new[j]
            load[i] = new[j]
    rows["load"] = load
    rows["cost"] = cost
    return rows, rep


def settle_objective(objective: dict, tables: dict, form, report: dict) -> dict:
    """The objective figures of the final (dispatched) plan, from its tables as ``linkage-opt check``
    recomputes them (docs/outputs.md); the model's figures are kept in ``report["model_objective"]``."""
    from ..model.formulation import expiring_lots
    from .check import recompute_equity

    cfg = form.scenario.config
    out = dict(objective)
    report["model_objective"] = {k: float(v) for k, v in objective.items() if v is not None}
    cov, alloc, progs, prov = tables["coverage"], tables["allocations"], tables["programs"], tables["providers"]
    out["coverage"] = float((cov["weight"] * cov["covered"]).sum())
    eq = recompute_equity(cov, cfg)
    if eq is not None:
        out["equity"] = eq
    out["money"] = float(
        alloc["cost"].sum() + (progs["fixed_cost"].sum() if len(progs) else 0.0) + prov["fixed_cost"].sum()
    )
    pen = 0.0
    exp = cfg.rules.expiry
    if exp.enabled and exp.penalty_per_unit > 0:
        P = form.providers
        expiring = expiring_lots(form.scenario, P)
        if expiring.any():
            lots = {m for p in np.flatnonzero(expiring) for m in P["members"].iloc[p]}
            d = prov[prov["provider_id"].astype(str).isin(lots)]
            pen = exp.penalty_per_unit * float((d["capacity"] - d["used"]).clip(lower=0).sum())
    out["expiry_penalty"] = pen
    out["stability_penalty"] = float(objective.get("stability_penalty", 0.0)) - cfg.stability.penalty_per_hour * float(
        report.get("stability_lost_load", 0.0)
    )
    out["cost"] = out["money"] + out["expiry_penalty"] + out["stability_penalty"]
    if "weighted" in objective:
        w = cfg.objective.weights
        out["weighted"] = sum(
            sign * w.get(name, 0.0) * out[name]
            for name, sign in (("coverage", 1.0), ("equity", 1.0), ("cost", -1.0))
            if name in form.terms
        )
    report["lost_weighted_coverage"] = report["model_objective"].get("coverage", out["coverage"]) - out["coverage"]
    for k in ("lost_hours", "lost_yuan", "lost_items", "stability_lost_load", "lost_weighted_coverage"):
        report[k] = float(np.round(report.get(k, 0.0), DECIMALS)) + 0.0
    return out
