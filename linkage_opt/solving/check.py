"""Check a plan against its scenario, independently of the model that produced it.

This module re-derives every rule from the raw scenario tables with its own logic, column by column
(it does not import the formulation): eligibility (reach, skills, earmarks, items, lots lapsed before the
plan's period), capacities, guarantees,
indivisibility, program instances and inputs, the linkage rules (each rule module's own ``check``, on
facts gathered here from the plan's rows, :class:`linkage_opt.rules.PlanFacts`), and the objective figures in
``summary.json``. The property-based tests run it on random scenarios; planners can run it with
``linkage-opt check``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.scenario import Scenario, lapsed_lots
from ..rules import RULES, PlanFacts
from ..schema import GENERAL
from .summary import Summary


@dataclass(frozen=True)
class Violation:
    rule: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where}: {self.detail}"


def _close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-6) -> bool:
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def _distance(units: pd.DataFrame, cfg, a: str, b: str) -> float:
    if a == b:
        return 0.0
    ua, ub = units.loc[a], units.loc[b]
    if all(np.isfinite([ua["x_km"], ua["y_km"], ub["x_km"], ub["y_km"]])):
        return math.hypot(ua["x_km"] - ub["x_km"], ua["y_km"] - ub["y_km"])
    return cfg.reach.same_town_km if ua["town"] == ub["town"] else math.inf


def _close_v(a: np.ndarray, b: np.ndarray, rel: float = 1e-6, abs_: float = 1e-6) -> np.ndarray:
    """:func:`_close`, elementwise (the same IEEE arithmetic: ``inf`` is close to ``inf``, NaN to nothing)."""
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= np.maximum(abs_, rel * np.maximum(np.abs(a), np.abs(b)))


def _blank(values) -> np.ndarray:
    """``not v`` for each value (an empty string or None is blank, NaN is not: as the row-by-row rules read it)."""
    return np.array([not v for v in values], bool)


class _Providers:
    """Every provider of the scenario, one row each, with what the rules read about it (arrays by position)."""

    def __init__(self, scenario: Scenario, units: pd.DataFrame, cfg):
        frames, records = [], {}
        for table, col, kind in (
            ("social_workers", "worker_id", "social_worker"),
            ("volunteers", "volunteer_id", "volunteer"),
            ("organizations", "org_id", "organization"),
            ("charity", "lot_id", "charity"),
        ):
            t = scenario.tables[table]
            n = len(t)

            def get(name: str, default, t: pd.DataFrame = t, n: int = n) -> np.ndarray:
                return t[name].to_numpy() if name in t.columns else pd.Series([default] * n, dtype=object).to_numpy()

            cap_col = {
                "social_worker": "hours",
                "volunteer": "hours",
                "organization": "capacity",
                "charity": "quantity",
            }[kind]
            home = (
                get("home_unit" if kind == "volunteer" else "base_unit", None)
                if kind != "charity"
                else np.full(n, None, object)
            )
            frames.append(
                pd.DataFrame(
                    {
                        "pid": t[col].astype(str).to_numpy(),
                        "kind": kind,
                        "cap": pd.to_numeric(pd.Series(get(cap_col, np.nan)), errors="coerce").to_numpy(float),
                        "home": home,
                        "max_km": pd.to_numeric(pd.Series(get("max_km", np.nan)), errors="coerce").to_numpy(float),
                        "rate": pd.to_numeric(pd.Series(get("cost_per_hour", np.nan)), errors="coerce").to_numpy(float),
                        "party": get("party_member", False),
                        "skills": get("skills", ()),
                        "lot_unit": get("unit_id", ""),
                        "lot_town": get("town", ""),
                        "lot_kind": get("kind", ""),
                        "lot_cat": get("category", ""),
                        "item": get("item", ""),
                        "expires": get("expires", None),
                    }
                )
            )
            records[kind] = t
        P = pd.concat(frames, ignore_index=True)
        # a provider id listed twice: the last listing wins (as a dict filled table by table)
        P = P.drop_duplicates("pid", keep="last").reset_index(drop=True)
        self.frame = P
        self.pos = pd.Index(P["pid"])
        self.kind = P["kind"].to_numpy()
        default_km = {k: float(getattr(cfg.reach.max_km, k)) for k in ("social_worker", "volunteer", "organization")}
        self.radius = np.where(
            np.isfinite(P["max_km"].to_numpy(float)),
            P["max_km"].to_numpy(float),
            np.array([default_km.get(k, np.inf) for k in self.kind], float),
        )
        home = P["home"].to_numpy()
        self.home_is_str = np.array([isinstance(h, str) for h in home], bool)
        self.home_pos = units.index.get_indexer(pd.Index([h if isinstance(h, str) else "" for h in home]))
        self.lot_unit_blank = _blank(P["lot_unit"])
        self.lot_town_blank = _blank(P["lot_town"])


def _unit_distance(
    ux: np.ndarray, uy: np.ndarray, town: np.ndarray, same_km: float, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """:func:`_distance` between units at positions ``a`` and ``b`` (``a`` < 0: unknown, infinite)."""
    out = np.full(len(a), np.inf)
    ok = (a >= 0) & (b >= 0)
    ia, ib = a[ok], b[ok]
    d = np.hypot(ux[ia] - ux[ib], uy[ia] - uy[ib])
    finite = np.isfinite(d)
    d = np.where(finite, d, np.where(town[ia] == town[ib], same_km, np.inf))
    d = np.where(ia == ib, 0.0, d)
    out[ok] = d
    return out


def check_plan(
    scenario: Scenario, tables: dict[str, pd.DataFrame], summary: Summary | Mapping | None = None, tol: float = 1e-6
) -> list[Violation]:
    """Every violation of the scenario's rules by the plan tables (empty list = the plan is valid).

    The rules are re-derived from the raw tables, column by column (each allocation row is judged on its
    own, as one would by hand; the figures are summed with ``groupby``). Violations are listed rule by rule,
    rows in table order within a rule."""
    cfg = scenario.config
    V: list[Violation] = []
    units = scenario.units.set_index("unit_id")
    units.index = units.index.astype(str)
    needs = scenario.needs.set_index("need_id")
    alloc = tables["allocations"].copy().reset_index(drop=True)
    alloc["need_id"] = alloc["need_id"].fillna("").astype(str)
    alloc["program_id"] = alloc["program_id"].fillna("").astype(str)
    programs_out = tables["programs"]

    # lots expired before the period's first day (the plan's period: `run --period` overrides the config's)
    period = str(summary.get("period") or cfg.period) if summary is not None else cfg.period
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        period = cfg.period
    if period != cfg.period:
        scenario = scenario.replace(config=cfg.model_copy(update={"period": period}))
    lapsed = set(lapsed_lots(scenario))
    PV = _Providers(scenario, units, cfg)
    ux = pd.to_numeric(units["x_km"], errors="coerce").to_numpy(float)
    uy = pd.to_numeric(units["y_km"], errors="coerce").to_numpy(float)
    utown = units["town"].astype(str).to_numpy()
    same_km = float(cfg.reach.same_town_km)
    reach_t = scenario.reach
    explicit_pids = set(reach_t["provider_id"].astype(str)) if len(reach_t) else set()
    explicit_rows = (
        reach_t.assign(_p=reach_t["provider_id"].astype(str), _u=reach_t["unit_id"].astype(str))
        .drop_duplicates(["_p", "_u"], keep="last")
        .set_index(["_p", "_u"])
        if len(reach_t)
        else None
    )

    def reaches(pos: np.ndarray, upos: np.ndarray, ustr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(reaches?, distance) of the providers at ``pos`` to the units at ``upos`` (ids ``ustr``)."""
        kind = PV.kind[pos]
        d = _unit_distance(ux, uy, utown, same_km, PV.home_pos[pos], upos)
        pid = PV.frame["pid"].to_numpy()[pos]
        is_exp = np.array([p in explicit_pids for p in pid], bool)
        ok = d <= PV.radius[pos] + 1e-9
        charity = kind == "charity"
        if charity.any():
            lu, lt = PV.frame["lot_unit"].to_numpy()[pos], PV.frame["lot_town"].to_numpy()[pos]
            ok_c = (PV.lot_unit_blank[pos] | (lu == ustr)) & (
                PV.lot_town_blank[pos] | (lt == utown[np.maximum(upos, 0)])
            )
            ok = np.where(charity, ok_c, ok)
            d = np.where(charity, 0.0, d)
        if is_exp.any():
            if explicit_rows is not None:
                listed = pd.MultiIndex.from_arrays([pid[is_exp], ustr[is_exp]]).isin(explicit_rows.index)
            else:
                listed = np.zeros(int(is_exp.sum()), bool)
            ok[is_exp] = listed
            de = np.where(PV.home_is_str[pos][is_exp] & ~charity[is_exp], d[is_exp], 0.0)
            de = np.where(np.isfinite(de), de, 0.0)
            d[is_exp] = np.where(listed, de, 0.0)
        return ok, d

    skill_cache: dict[tuple[int, str], bool] = {}

    def skilled(p: int, cat: str) -> bool:
        key = (p, cat)
        if key in skill_cache:
            return skill_cache[key]
        spec = cfg.categories[cat]
        kind = PV.kind[p]
        r = PV.frame.iloc[p]
        if kind == "charity":
            if r["lot_cat"] and r["lot_cat"] != cat:
                ok = False
            elif r["lot_kind"] == "funds":
                ok = spec.funds_per_unit is not None
            else:
                ok = r["item"] in spec.items
        else:
            skills = set(r["skills"])
            if cat in skills:
                ok = True
            elif GENERAL in skills and spec.funds_per_unit is None and not spec.items:
                ok = not (kind == "volunteer" and spec.professional)
            else:
                ok = False
        skill_cache[key] = ok
        return ok

    n = len(alloc)
    kind = alloc["provider_kind"].astype(str).to_numpy()
    pid = alloc["provider_id"].astype(str).to_numpy()
    unit = alloc["unit_id"].astype(str).to_numpy()
    cat = alloc["category"].astype(str).to_numpy()
    nid = alloc["need_id"].to_numpy()
    prog = alloc["program_id"].to_numpy()
    qty = pd.to_numeric(alloc["quantity"], errors="coerce").to_numpy(float)
    load_col = pd.to_numeric(alloc["load"], errors="coerce").to_numpy(float)
    cost_col = pd.to_numeric(alloc["cost"], errors="coerce").to_numpy(float)
    money = float(sum(cost_col.tolist(), 0.0))  # in row order, as summed row by row
    upos = units.index.get_indexer(pd.Index(unit))
    known_cat = np.isin(cat, list(cfg.categories))
    ref_ok = (upos >= 0) & known_cat
    has_need = nid != ""
    has_prog = prog != ""
    ppos = PV.pos.get_indexer(pd.Index(pid))
    is_provider_row = ref_ok & ~np.isin(kind, ("program", "budget"))
    prov_ok = is_provider_row & (ppos >= 0)
    prov_ok[prov_ok] = PV.kind[ppos[prov_ok]] == kind[prov_ok]
    rows = np.flatnonzero(prov_ok)
    found: dict[str, list[tuple[int, Violation]]] = defaultdict(list)  # rule -> (row, violation), row order kept

    def where(i: int) -> str:
        return f"allocations row {i + 2} ({kind[i]} {pid[i]} -> {unit[i]} {cat[i]})"

    def add(rule: str, idx, detail) -> None:
        for k, i in enumerate(np.asarray(idx).tolist()):
            found[rule].append((i, Violation(rule, where(i), detail if isinstance(detail, str) else detail[k])))

    add("reference", np.flatnonzero(~ref_ok), "unknown unit or category")
    bad_budget = ref_ok & (kind == "budget") & (has_need | ~has_prog)
    add("budget", np.flatnonzero(bad_budget), "budget money may only feed programs")
    add("reference", np.flatnonzero(is_provider_row & ~prov_ok), "unknown provider or wrong kind")

    # provider rows: reach, lapsed lots, skills, load and cost
    rp = ppos[rows]
    ok_reach, dist = reaches(rp, upos[rows], unit[rows])
    d_row = np.zeros(n)
    d_row[rows] = dist
    lapsed_rows = rows[(kind[rows] == "charity") & np.isin(pid[rows], list(lapsed))]
    exp = PV.frame["expires"].to_numpy()
    add(
        "lapsed_lot",
        lapsed_rows,
        [
            f"lot {pid[i]} expired on {pd.Timestamp(exp[ppos[i]]).date()}, before the period {period} starts"
            for i in lapsed_rows
        ],
    )
    add("reach", rows[~ok_reach], "unit is not within the provider's reach or earmark")
    used = pd.Series(load_col[rows]).groupby(pid[rows]).sum()

    need_rows = rows[has_need[rows]]
    in_rows = rows[~has_need[rows]]
    npos = needs.index.astype(str).get_indexer(pd.Index(nid[need_rows]))
    n_unit = needs["unit_id"].astype(str).to_numpy()
    n_cat = needs["category"].astype(str).to_numpy()
    mismatch = npos < 0
    mismatch[~mismatch] = (n_unit[npos[~mismatch]] != unit[need_rows[~mismatch]]) | (
        n_cat[npos[~mismatch]] != cat[need_rows[~mismatch]]
    )
    add("reference", need_rows[mismatch], "need does not match unit/category")
    unskilled = np.array([not skilled(int(ppos[i]), cat[i]) for i in need_rows], bool)
    add("skill", need_rows[unskilled], "provider may not serve this category")
    # the load and cost of one unit of need, as the rules give them
    hpu = np.array([cfg.categories[c].hours_per_unit for c in cat[need_rows]], float)
    kn = kind[need_rows]
    dn = d_row[need_rows]
    people_n = np.isin(kn, ("social_worker", "volunteer"))
    over = cfg.costs.travel_overhead_per_km
    with np.errstate(invalid="ignore"):
        l_people = hpu * (1 + over * dn)
        rate = np.where(
            kn == "social_worker",
            PV.frame["rate"].to_numpy(float)[ppos[need_rows]],
            float(cfg.costs.volunteer_cost_per_hour),
        )
        rate = np.where(np.isnan(rate), 0.0, rate)
        c_travel = cfg.costs.travel_per_km * dn * hpu
        c_people = rate * l_people + c_travel
    lot_kind = PV.frame["lot_kind"].to_numpy()[ppos[need_rows]]
    item = PV.frame["item"].to_numpy()[ppos[need_rows]]
    l_charity = np.array(
        [
            (cfg.categories[c].funds_per_unit if lk == "funds" else cfg.categories[c].items.get(it, 1.0))
            if k == "charity"
            else np.nan
            for c, lk, it, k in zip(cat[need_rows], lot_kind, item, kn)
        ],
        dtype=float,
    )
    unit_load = np.where(people_n, l_people, np.where(kn == "organization", 1.0, l_charity))
    unit_cost = np.where(people_n, c_people, np.where(kn == "organization", c_travel, 0.0))
    if explicit_rows is not None and len(need_rows):
        key = pd.MultiIndex.from_arrays([pid[need_rows], unit[need_rows]])
        loc = explicit_rows.index.get_indexer(key)
        hit = loc >= 0
        for col, target in (("load_per_unit", unit_load), ("cost_per_unit", unit_cost)):
            if col in explicit_rows.columns and hit.any():
                v = pd.to_numeric(explicit_rows[col], errors="coerce").to_numpy(float)[loc[hit]]
                target[hit] = np.where(np.isnan(v), target[hit], v)
    with np.errstate(invalid="ignore"):
        bad_load = ~_close_v(load_col[need_rows], unit_load * qty[need_rows], 1e-6)
        bad_cost = ~_close_v(cost_col[need_rows], unit_cost * qty[need_rows], 1e-6, 1e-6)
    add(
        "load",
        need_rows[bad_load],
        [
            f"load {alloc.at[i, 'load']} != {ld:g} x quantity {alloc.at[i, 'quantity']}"
            for i, ld in zip(need_rows[bad_load], unit_load[bad_load])
        ],
    )
    add(
        "cost",
        need_rows[bad_cost],
        [
            f"cost {alloc.at[i, 'cost']} != {c:g} x quantity {alloc.at[i, 'quantity']}"
            for i, c in zip(need_rows[bad_cost], unit_cost[bad_cost])
        ],
    )
    # inputs to programs: hours (people) or money (lots)
    ki = kind[in_rows]
    people_i = np.isin(ki, ("social_worker", "volunteer"))
    add("reference", in_rows[~has_prog[in_rows]], "row serves neither a need nor a program")
    unskilled_i = np.array([bool(pe) and not skilled(int(ppos[i]), cat[i]) for i, pe in zip(in_rows, people_i)], bool)
    add("skill", in_rows[unskilled_i], "provider may not serve this category")
    lk_i = PV.frame["lot_kind"].to_numpy()[ppos[in_rows]]
    lc_i = PV.frame["lot_cat"].to_numpy()[ppos[in_rows]]
    bad_ear = (ki == "charity") & np.array(
        [lk != "funds" or bool(lc and lc != c) for lk, lc, c in zip(lk_i, lc_i, cat[in_rows])], bool
    )
    add("earmark", in_rows[bad_ear], "lot may not fund this program")
    for rule in ("reference", "budget", "lapsed_lot", "reach", "skill", "load", "cost", "earmark"):
        V.extend(v for _, v in sorted(found.pop(rule, []), key=lambda t: t[0]))

    # service hours of people, for the linkage rules
    hrs = np.zeros(n)
    need_people = need_rows[people_n]
    hrs[need_people] = qty[need_people] * np.array([cfg.categories[c].hours_per_unit for c in cat[need_people]], float)
    in_people = in_rows[people_i]
    with np.errstate(invalid="ignore", divide="ignore"):
        hrs[in_people] = load_col[in_people] / (1 + over * d_row[in_people])
    ppl = rows[np.isin(kind[rows], ("social_worker", "volunteer"))]
    hours: defaultdict = defaultdict(float)
    person_hours: defaultdict = defaultdict(float)
    vol_hours: defaultdict = defaultdict(float)
    if len(ppl):
        f = pd.DataFrame({"k": kind[ppl], "p": pid[ppl], "u": unit[ppl], "c": cat[ppl], "h": hrs[ppl]})
        hours.update(f.groupby(["k", "u", "c"], sort=False)["h"].sum().to_dict())
        person_hours.update(f.groupby(["k", "p", "u"], sort=False)["h"].sum().to_dict())
        vf = f[f["k"] == "volunteer"]
        if len(vf):
            party = PV.frame["party"].to_numpy()[ppos[ppl[f["k"].to_numpy() == "volunteer"]]].astype(bool)
            vol_hours.update(vf.assign(party=party).groupby(["u", "party"], sort=False)["h"].sum().to_dict())

    # covered per need: provider rows and program rows
    prog_rows = np.flatnonzero(ref_ok & (kind == "program"))
    cov_rows = np.concatenate([need_rows, prog_rows[has_need[prog_rows]]])
    covered = pd.Series(qty[cov_rows]).groupby(nid[cov_rows]).sum()
    served_by = pd.Series(pid[need_rows]).groupby(nid[need_rows])

    # capacities (organizations: direct load + instances)
    inst_by_org = programs_out.groupby("org_id")["instances"].sum() if len(programs_out) else pd.Series(dtype=float)
    P = PV.frame
    total = P["pid"].map(used).fillna(0.0).to_numpy(float)
    is_org = PV.kind == "organization"
    total = total + np.where(is_org, P["pid"].map(inst_by_org.astype(float)).fillna(0.0).to_numpy(float), 0.0)
    cap = P["cap"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        over_cap = np.isfinite(cap) & (total > cap * (1 + tol) + tol)
    for j in np.flatnonzero(over_cap):
        V.append(
            Violation("capacity", f"{PV.kind[j]} {P['pid'].iat[j]}", f"uses {total[j]:.6g} of capacity {cap[j]:.6g}")
        )

    # needs: coverage, guarantees, indivisibility
    nids = needs.index.to_numpy()
    c_need = pd.Series(nids).map(covered).fillna(0.0).to_numpy(float)
    q_need = pd.to_numeric(needs["quantity"], errors="coerce").to_numpy(float)
    guaranteed = needs["tier"].to_numpy() == "guaranteed"
    indiv = needs["indivisible"].fillna(False).astype(bool).to_numpy()
    n_served = pd.Series(nids).map(served_by.size()).fillna(0).to_numpy(int)
    bad_over = c_need > q_need * (1 + tol) + tol
    bad_g = guaranteed & (c_need < q_need * (1 - tol) - tol)
    bad_i = indiv & (c_need > tol) & ((n_served != 1) | ~_close_v(c_need, q_need))
    lists = served_by.apply(list) if bad_i.any() else None
    for j in np.flatnonzero(bad_over | bad_g | bad_i):
        nid_j, c, q = nids[j], c_need[j], q_need[j]
        if bad_over[j]:
            V.append(Violation("coverage", f"need {nid_j}", f"covered {c:.6g} exceeds need {q:.6g}"))
        if bad_g[j]:
            V.append(Violation("guarantee", f"need {nid_j}", f"guaranteed {q:.6g}, covered only {c:.6g}"))
        if bad_i[j]:
            got = lists.get(nid_j, []) if lists is not None else []
            V.append(Violation("indivisible", f"need {nid_j}", f"served by {got} covering {c:.6g} of {q:.6g}"))

    # programs
    progs = scenario.programs.set_index("program_id") if len(scenario.programs) else None
    spec_of = progs.to_dict("index") if progs is not None else {}
    is_prog = kind == "program"
    delivered = (
        pd.Series(qty[is_prog]).groupby([prog[is_prog], unit[is_prog]]).sum()
        if is_prog.any()
        else pd.Series(dtype=float)
    )
    inp = np.flatnonzero(has_prog & ~is_prog)
    # an input's amount: people's hours net of travel (their reach distance to the unit), money as given
    inp_kind = kind[inp]
    inp_people = np.isin(inp_kind, ("social_worker", "volunteer"))
    d_in = np.zeros(len(inp))
    sel = inp_people & (ppos[inp] >= 0)
    if sel.any():
        d_in[sel] = reaches(ppos[inp[sel]], upos[inp[sel]], unit[inp[sel]])[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        amount = np.where(inp_people, load_col[inp] / (1 + over * d_in), load_col[inp])
    col_of = np.select(
        [inp_kind == "social_worker", inp_kind == "volunteer", np.isin(inp_kind, ("charity", "budget"))],
        ["worker_hours", "volunteer_hours", "funds"],
        "",
    )
    given = pd.Series(amount).groupby([prog[inp], unit[inp], col_of]).sum() if len(inp) else pd.Series(dtype=float)
    given_d = given.to_dict()
    delivered_d = delivered.to_dict()
    for pid_p, unit_p, k, org_fixed in zip(
        programs_out["program_id"].astype(str),
        programs_out["unit_id"].astype(str),
        programs_out["instances"].astype(float),
        programs_out["fixed_cost"].astype(float),
    ):
        where_p = f"program {pid_p} in {unit_p}"
        spec = spec_of[pid_p]
        if k != round(k) or k < 0:
            V.append(Violation("program", where_p, f"instances {k} not a whole number"))
        if pd.notna(spec["max_per_unit"]) and k > spec["max_per_unit"] + tol:
            V.append(Violation("program", where_p, f"{k:g} instances > max_per_unit {spec['max_per_unit']:g}"))
        if len(spec["eligible_units"]) and unit_p not in spec["eligible_units"]:
            V.append(Violation("program", where_p, "unit not in the program's eligible_units"))
        if not len(spec["eligible_units"]):
            op = PV.pos.get_indexer([str(spec["org_id"])])
            up = units.index.get_indexer([unit_p])
            if op[0] < 0 or not reaches(op, up, np.array([unit_p], object))[0][0]:
                V.append(Violation("reach", where_p, "unit not within the organization's reach"))
        got = float(delivered_d.get((pid_p, unit_p), 0.0))
        if got > k * float(spec["output_per_instance"]) * (1 + tol) + tol:
            V.append(
                Violation("program", where_p, f"delivers {got:.6g} > {k:g} x output {spec['output_per_instance']:g}")
            )
        for col in ("worker_hours", "volunteer_hours", "funds"):
            amt = float(given_d.get((pid_p, unit_p, col), 0.0))
            need = k * float(spec[col] if pd.notna(spec[col]) else 0.0)
            if not _close(amt, need, 1e-6, 1e-5):
                V.append(Violation("program_inputs", where_p, f"{col}: given {amt:.6g}, needs {need:.6g}"))
        money += org_fixed

    # linkage rules: each rule's own check (linkage_opt.rules), on what the plan's tables give
    money += float(tables["providers"]["fixed_cost"].sum())
    facts = PlanFacts(
        units=units,
        programs=programs_out,
        money=money,
        tol=tol,
        hours=hours,
        vol_hours=vol_hours,
        person_hours=person_hours,
    )
    for rule in RULES:
        if rule.active(cfg):
            V.extend(Violation(rule.KEY, where, detail) for where, detail in rule.check(scenario, facts))

    # the summary's figures, recomputed
    if summary is not None:
        cov = tables["coverage"]
        wc = float((cov["weight"] * cov["covered"]).sum())
        if not _close(wc, summary["objective"]["coverage"], 1e-6, 1e-7):
            V.append(
                Violation("summary", "objective.coverage", f"{summary['objective']['coverage']} != recomputed {wc}")
            )
        if not _close(money, summary["objective"]["money"], 1e-6, 1e-4):
            V.append(Violation("summary", "objective.money", f"{summary['objective']['money']} != recomputed {money}"))
        eq = recompute_equity(cov, cfg)
        if eq is not None and not _close(eq, summary["objective"]["equity"], 1e-6, 1e-6):
            V.append(Violation("summary", "objective.equity", f"{summary['objective']['equity']} != recomputed {eq}"))
    return V


def recompute_equity(cov: pd.DataFrame, cfg) -> float | None:
    """The equity term from coverage.csv (docs/outputs.md)."""
    g = (
        cov.assign(wn=cov["weight"] * cov["need"], wc=cov["weight"] * cov["covered"])
        .groupby("unit_id")[["wn", "wc"]]
        .sum()
    )
    g = g[g["wn"] > 0]
    if not len(g):
        return 1.0 if cfg.equity.mode == "maxmin" else 0.0
    ratio = g["wc"] / g["wn"]
    if cfg.equity.mode == "maxmin":
        return float(ratio.min())
    return float(-np.maximum(0.0, cfg.equity.floor - ratio).sum())
