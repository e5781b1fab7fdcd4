"""The formulation as it stood before the structure-sized model (issue #15): one flow column per
(provider class, need row). Kept only as a reference the property tests compare the new model with;
use it with ``solver.aggregate: false`` (every provider its own class), which makes it exact."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from linkage_opt.inputs.scenario import Scenario
from linkage_opt.model.formulation import (  # shared: weights and edge parameters  # unchanged by the new model
    _funds_edges,
    _per_unit_load_cost,
    _pool_rows,
    _pools,
    expiring_lots,
    weighted_needs,
)
from linkage_opt.model.linear import Block, LinearModel
from linkage_opt.model.reach import (
    aggregate_providers,
    build_providers,
    distance_matrix,
    member_frame,
    provider_categories,
    provider_unit_edges,
    unit_index,
)
from reference import rules

INF = np.inf


@dataclass
class Term:
    """One objective term: value = c @ x + offset, to be maximised or minimised."""

    name: str
    c: np.ndarray
    offset: float
    sense: str  # "max" or "min"

    def value(self, x: np.ndarray) -> float:
        return float(self.c @ x + self.offset)


@dataclass
class Formulation:
    scenario: Scenario
    model: LinearModel
    providers: pd.DataFrame  # providers frame (row p = provider p)
    needs: pd.DataFrame  # needs with weights (row n = need n)
    units: pd.Index  # unit ids (position = unit index)
    terms: dict[str, Term]
    # cached column attributes for reporting
    col_money: np.ndarray = field(default=None)  # money cost per column (yuan per unit of variable)
    col_stability: np.ndarray = field(default=None)  # stability penalty per column (new pairings)
    info: dict = field(default_factory=dict)

    def var(self, name: str) -> Block:
        return self.model.var_blocks[name]

    def has(self, name: str) -> bool:
        return name in self.model.var_blocks

    def need_cover(self, x: np.ndarray) -> np.ndarray:
        """Fraction of each need met (the interface ``linkage_opt.solving.solve`` uses)."""
        out = np.where(self.needs["q"].to_numpy(float) > 0, 0.0, 1.0)
        for name in ("x", "o"):
            b = self.var(name)
            if b.size:
                np.add.at(out, b.index["n"].to_numpy(), b.take(x))
        return out

    @property
    def edges(self) -> pd.DataFrame:
        return self.var("x").index


# ---------------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------------


def build(scenario: Scenario, previous_pairs: pd.DataFrame | None = None) -> Formulation:
    """Assemble the whole model. Pure function of its inputs (deterministic ordering throughout).

    ``previous_pairs`` (provider_id, unit_id) of the previous plan switch on the stability penalty
    when the config's ``stability.enabled`` is set.
    """
    cfg = scenario.config
    m = LinearModel()
    units = unit_index(scenario)
    prov = build_providers(scenario)
    if cfg.solver.aggregate:
        prov = aggregate_providers(scenario, prov, previous_pairs)
    P = prov.frame
    N = weighted_needs(scenario)
    active = N["q"].to_numpy() > 0
    dist = distance_matrix(scenario)
    E = provider_unit_edges(scenario, prov, dist)
    PC = provider_categories(scenario, prov)
    nP = len(P)
    kind = P["kind"].to_numpy()
    cap = P["capacity"].to_numpy(float)

    # -- direct flows x[p, n] ----------------------------------------------------------------------
    needs_active = N.loc[active, ["u", "category", "q", "indivisible"]].copy()
    needs_active["n"] = np.flatnonzero(active)
    flows = E.merge(PC, on="p", how="inner").merge(
        needs_active, left_on=["u", "category"], right_on=["u", "category"], how="inner"
    )
    load, cost, hours = _per_unit_load_cost(scenario, P, flows)
    flows["load"], flows["cost"], flows["hours"] = load, cost, hours
    # an indivisible need can only go to a provider that can carry all of it
    too_big = flows["indivisible"].to_numpy() & (
        flows["load"].to_numpy() * flows["q"].to_numpy() > cap[flows["p"].to_numpy()] + 1e-9
    )
    flows = flows.loc[~too_big].sort_values(["n", "p"], kind="stable").reset_index(drop=True)
    x = m.add_vars(
        "x",
        flows[["p", "n", "u", "category", "dist_km", "load", "cost", "hours", "q", "indivisible"]],
        0.0,
        1.0,
        integer=flows["indivisible"].to_numpy(bool),
    )

    # -- programs y[k, u], output o ----------------------------------------------------------------
    placements, outputs = _program_placements(scenario, P, E, N, active)
    y = m.add_vars("y", placements, 0.0, placements["ymax"].to_numpy(float) if len(placements) else 0.0, integer=True)
    o = m.add_vars("o", outputs, 0.0, 1.0)

    # -- program inputs pooled per (unit, category) ------------------------------------------------
    pools = _pools(placements)
    w_in = m.add_vars("w_in", _input_edges(scenario, P, E, PC, pools, "social_worker", "worker_hours"), 0.0, INF)
    v_in = m.add_vars("v_in", _input_edges(scenario, P, E, PC, pools, "volunteer", "volunteer_hours"), 0.0, INF)
    f_in = m.add_vars("f_in", _funds_edges(P, E, pools), 0.0, INF)
    b_pools = pools.loc[pools["funds"] > 0, ["u", "category"]].reset_index(drop=True)
    b_in = m.add_vars("b_in", b_pools, 0.0, INF)

    # -- activation binaries -----------------------------------------------------------------------
    fixed = P["fixed_cost"].to_numpy(float)
    used_org = np.zeros(nP, bool)
    used_org[flows.loc[kind[flows["p"]] == "organization", "p"].to_numpy()] = True
    if len(placements):
        used_org[placements["p"].to_numpy()] = True
    org_rows = np.flatnonzero((kind == "organization") & (fixed > 0) & used_org)
    z = m.add_vars("z_org", pd.DataFrame({"p": org_rows}), 0.0, 1.0, integer=True)
    a = m.add_vars("a", _worker_unit_pairs(P, x.index, w_in.index), 0.0, 1.0, integer=True)

    # -- coverage rows: 0 (or 1 if guaranteed) <= sum_p x + sum_k o <= 1 ----------------------------
    act_n = np.flatnonzero(active)
    cov_rows = m.add_rows(
        "coverage", pd.DataFrame({"n": act_n}), np.where(N["tier"].to_numpy()[act_n] == "guaranteed", 1.0, 0.0), 1.0
    )
    row_of_need = np.full(len(N), -1, np.int64)
    row_of_need[act_n] = cov_rows.ids
    m.add_coefs(row_of_need[x.index["n"].to_numpy()], x.ids, 1.0)
    if o.size:
        m.add_coefs(row_of_need[o.index["n"].to_numpy()], o.ids, 1.0)

    # -- capacity rows per provider ----------------------------------------------------------------
    _capacity_rows(m, P, x, y, w_in, v_in, f_in, z)

    # -- program output and input pools ------------------------------------------------------------
    if y.size:
        out_rows = m.add_rows("program_output", placements[["program_id", "unit_id"]], -INF, 0.0)
        m.add_coefs(out_rows.start + o.index["k"].to_numpy(), o.ids, o.index["q"].to_numpy(float))
        m.add_coefs(out_rows.ids, y.ids, -placements["output"].to_numpy(float))
        _pool_rows(m, "pool_worker_hours", pools, placements, y, w_in, "worker_hours")
        _pool_rows(m, "pool_volunteer_hours", pools, placements, y, v_in, "volunteer_hours")
        _pool_rows(m, "pool_funds", pools, placements, y, [f_in, b_in], "funds")

    # -- linking rows for activation binaries ------------------------------------------------------
    _org_link_rows(m, P, x, y, z, cfg.solver.strong_linking)
    _worker_unit_rows(m, P, x, w_in, a)

    # -- stability: new (provider, unit) pairings against the previous plan -------------------------
    stab_hours = _new_pairing_rows(m, scenario, P, previous_pairs)

    # -- five-community linkage rules --------------------------------------------------------------
    money = _money_vector(m, P, placements)
    rules.add_all(m, scenario, P, money)

    # -- objective terms ---------------------------------------------------------------------------
    form = Formulation(scenario, m, P, N, units, terms={}, col_money=money)
    form.info.update(n_edges=len(E), n_flows=len(flows), n_placements=len(placements))
    form.terms["coverage"] = _coverage_term(m, N)
    obj = cfg.objective
    if ("equity" in obj.order) if obj.mode == "lexicographic" else obj.weights.get("equity", 0) > 0:
        form.terms["equity"] = _equity_term(m, scenario, N)  # adds the equity variables and rows
    form.col_money = np.pad(money, (0, m.n_cols - len(money)))
    for term in form.terms.values():
        term.c = np.pad(term.c, (0, m.n_cols - len(term.c)))
    form.col_stability = (
        np.pad(stab_hours, (0, m.n_cols - len(stab_hours))) * scenario.config.stability.penalty_per_hour
    )
    form.terms["cost"] = _cost_term(m, scenario, P, form.col_money + form.col_stability)
    return form


def _program_placements(
    scenario: Scenario, P: pd.DataFrame, E: pd.DataFrame, N: pd.DataFrame, active: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where each program may run (k, u), with its instance bound; and the needs its output may serve."""
    pr = scenario.programs
    empty_pl = pd.DataFrame(
        {
            c: pd.Series([], dtype=t)
            for c, t in [
                ("k", np.int64),
                ("program_id", object),
                ("p", np.int64),
                ("org_id", object),
                ("u", np.int64),
                ("unit_id", object),
                ("category", object),
                ("output", float),
                ("fixed_cost", float),
                ("worker_hours", float),
                ("volunteer_hours", float),
                ("funds", float),
                ("ymax", float),
            ]
        }
    )
    empty_out = pd.DataFrame(
        {"k": pd.Series([], dtype=np.int64), "n": pd.Series([], dtype=np.int64), "q": pd.Series([], dtype=float)}
    )
    if not len(pr):
        return empty_pl, empty_out
    units = unit_index(scenario)
    pid_index = pd.Index(P["provider_id"])
    progs = pd.DataFrame(
        {
            "program_id": pr["program_id"].astype(str).to_numpy(),
            "org_id": pr["org_id"].astype(str).to_numpy(),
            "p": pid_index.get_indexer(pr["org_id"].astype(str)),
            "category": pr["category"].astype(str).to_numpy(),
            "output": pr["output_per_instance"].to_numpy(float),
            "fixed_cost": pr["fixed_cost"].fillna(0.0).to_numpy(float),
            "worker_hours": pr["worker_hours"].fillna(0.0).to_numpy(float),
            "volunteer_hours": pr["volunteer_hours"].fillna(0.0).to_numpy(float),
            "funds": pr["funds"].fillna(0.0).to_numpy(float),
            "max_per_unit": pr["max_per_unit"].to_numpy(float),
            "eligible": pr["eligible_units"].to_numpy(),
        }
    )
    progs = progs[progs["output"] > 0]
    # explicit eligible units, else the organization's reach
    has_list = np.array([len(e) > 0 for e in progs["eligible"]], bool)
    listed = progs[has_list].explode("eligible")
    listed = listed.assign(u=units.get_indexer(listed["eligible"].astype(str)))
    by_reach = progs[~has_list].merge(E[["p", "u"]], on="p", how="inner")
    pl = pd.concat([listed.drop(columns="eligible"), by_reach.drop(columns="eligible")], ignore_index=True)
    # only where the unit has divisible need in the program's category
    div = N.loc[active & ~N["indivisible"].to_numpy(), ["u", "category", "q"]]
    need_uc = div.groupby(["u", "category"], as_index=False)["q"].sum().rename(columns={"q": "need_uc"})
    pl = pl.merge(need_uc, on=["u", "category"], how="inner")
    absorb = np.ceil(pl["need_uc"].to_numpy() / pl["output"].to_numpy() - 1e-9)
    mpu = pl["max_per_unit"].to_numpy(float)
    pl["ymax"] = np.where(np.isfinite(mpu), np.minimum(mpu, absorb), absorb)
    pl = pl[pl["ymax"] > 0].sort_values(["program_id", "u"], kind="stable").reset_index(drop=True)
    pl["k"] = np.arange(len(pl))
    pl["unit_id"] = units.to_numpy()[pl["u"].to_numpy()] if len(pl) else []
    pl = pl[list(empty_pl.columns)]
    needs_div = N.loc[active & ~N["indivisible"].to_numpy(), ["u", "category", "q"]].copy()
    needs_div["n"] = np.flatnonzero(active & ~N["indivisible"].to_numpy())
    out = pl[["k", "u", "category"]].merge(needs_div, on=["u", "category"], how="inner")
    out = out.sort_values(["k", "n"], kind="stable").reset_index(drop=True)[["k", "n", "q"]]
    return pl, out


def _input_edges(
    scenario: Scenario,
    P: pd.DataFrame,
    E: pd.DataFrame,
    PC: pd.DataFrame,
    pools: pd.DataFrame,
    provider_kind: str,
    need_col: str,
) -> pd.DataFrame:
    """Edges (provider, pool) for people giving hours to programs: skill in the category, unit in reach."""
    cfg = scenario.config
    need = pools.loc[pools[need_col] > 0, ["u", "category"]]
    kinds = P["kind"].to_numpy()
    pc = PC[kinds[PC["p"].to_numpy()] == provider_kind] if len(PC) else PC
    ed = E[["p", "u", "dist_km"]].merge(pc, on="p").merge(need, on=["u", "category"])
    ed = ed.sort_values(["u", "category", "p"], kind="stable").reset_index(drop=True)
    d = ed["dist_km"].to_numpy(float)
    rate = P["rate"].to_numpy(float)[ed["p"].to_numpy()] if len(ed) else np.zeros(0)
    ed["load"] = 1.0 + cfg.costs.travel_overhead_per_km * d
    ed["cost"] = rate * ed["load"].to_numpy() + cfg.costs.travel_per_km * d
    return ed


def _worker_unit_pairs(P: pd.DataFrame, x_index: pd.DataFrame, w_index: pd.DataFrame) -> pd.DataFrame:
    """(worker, unit) pairs needing an assignment binary: the worker's max_units is below its reachable units."""
    kinds = P["kind"].to_numpy()
    mu = P["max_units"].to_numpy(float)
    pu = pd.concat([x_index[["p", "u"]], w_index[["p", "u"]]], ignore_index=True).drop_duplicates()
    pu = pu[(kinds[pu["p"].to_numpy()] == "social_worker") & np.isfinite(mu[pu["p"].to_numpy()])]
    n_units = pu.groupby("p")["u"].transform("size").to_numpy()
    pu = pu[n_units > mu[pu["p"].to_numpy()]]
    return pu.sort_values(["p", "u"], kind="stable").reset_index(drop=True)


def _new_pairing_rows(
    m: LinearModel, scenario: Scenario, P: pd.DataFrame, previous_pairs: pd.DataFrame | None
) -> np.ndarray:
    """Hours per column given in a new (provider, unit) pairing by people who served last period.

    With ``stability.max_new_pairings`` also adds binaries ``g[p,u]`` (x <= g, inputs <= hours * g)
    and the row ``sum g <= max_new_pairings``.
    """
    hours = np.zeros(m.n_cols)
    cfg = scenario.config.stability
    if not cfg.enabled or previous_pairs is None or not len(previous_pairs):
        return hours
    mf = member_frame(P)
    class_of = dict(zip(mf["provider_id"], mf["p"]))
    units = unit_index(scenario)
    prev_p = previous_pairs["provider_id"].astype(str).map(class_of).fillna(-1).to_numpy(np.int64)
    prev_u = units.get_indexer(previous_pairs["unit_id"].astype(str))
    ok = (prev_p >= 0) & (prev_u >= 0)
    prev_key = set(zip(prev_p[ok].tolist(), prev_u[ok].tolist()))
    active = np.zeros(len(P), bool)
    active[prev_p[ok]] = True
    kinds = P["kind"].to_numpy()
    cols, pu, per = [], [], []
    for name in ("x", "w_in", "v_in"):
        b = m.var(name)
        if not b.size:
            continue
        p = b.index["p"].to_numpy()
        u = b.index["u"].to_numpy()
        people = np.isin(kinds[p], ("social_worker", "volunteer")) & active[p]
        is_new = people & ~np.fromiter(((a, c) in prev_key for a, c in zip(p.tolist(), u.tolist())), bool, len(p))
        h = b.index["load"].to_numpy(float) * (b.index["q"].to_numpy(float) if name == "x" else 1.0)
        hours[b.ids[is_new]] = h[is_new]
        cols.append(b.ids[is_new])
        pu.append(np.column_stack([p[is_new], u[is_new]]))
        per.append(np.where(name == "x", 1.0, P["capacity"].to_numpy(float)[p[is_new]]))
    if cfg.max_new_pairings is not None and cols:
        cols_a = np.concatenate(cols)
        pu_a = np.vstack(pu)
        big = np.concatenate(per)
        pairs, inv = np.unique(pu_a, axis=0, return_inverse=True)
        g = m.add_vars("g_new", pd.DataFrame({"p": pairs[:, 0], "u": pairs[:, 1]}), 0.0, 1.0, integer=True)
        link = m.add_rows("new_pairing_link", pd.DataFrame({"col": cols_a}), -INF, 0.0)
        m.add_coefs(link.ids, cols_a, 1.0)
        m.add_coefs(link.ids, g.start + inv.ravel(), -big)
        cap = m.add_rows(
            "new_pairings", pd.DataFrame({"what": ["max_new_pairings"]}), -INF, float(cfg.max_new_pairings)
        )
        m.add_coefs(np.full(g.size, cap.start), g.ids, 1.0)
        hours = np.pad(hours, (0, m.n_cols - len(hours)))
    return hours


def _capacity_rows(
    m: LinearModel, P: pd.DataFrame, x: Block, y: Block, w_in: Block, v_in: Block, f_in: Block, z: Block
) -> None:
    """sum of load over a provider's flows and program inputs (+ instances for organizations) <= capacity."""
    cap = P["capacity"].to_numpy(float)
    has_z = np.zeros(len(P), bool)
    if z.size:
        has_z[z.index["p"].to_numpy()] = True
    finite = np.isfinite(cap)
    rows_p = np.flatnonzero(finite)
    # organizations with an activation binary: capacity * z on the left (hi = 0)
    hi = np.where(has_z[rows_p], 0.0, cap[rows_p])
    blk = m.add_rows(
        "capacity", pd.DataFrame({"p": rows_p, "provider_id": P["provider_id"].to_numpy()[rows_p]}), -INF, hi
    )
    row_of_p = np.full(len(P), -1, np.int64)
    row_of_p[rows_p] = blk.ids

    def link(block: Block, coef: np.ndarray) -> None:
        if not block.size:
            return
        r = row_of_p[block.index["p"].to_numpy()]
        keep = r >= 0
        m.add_coefs(r[keep], block.ids[keep], coef[keep])

    link(x, x.index["load"].to_numpy(float) * x.index["q"].to_numpy(float))
    link(w_in, w_in.index["load"].to_numpy(float))
    link(v_in, v_in.index["load"].to_numpy(float))
    link(f_in, np.ones(f_in.size))
    if y.size:
        link(y, np.ones(y.size))
    if z.size:
        zp = z.index["p"].to_numpy()
        r = row_of_p[zp]
        keep = r >= 0
        m.add_coefs(r[keep], z.ids[keep], -cap[zp][keep])


STRONG_LINKING_MAX_ROWS = 20_000


def _org_link_rows(m: LinearModel, P: pd.DataFrame, x: Block, y: Block, z: Block, strong: str = "auto") -> None:
    """An organization runs programs only if engaged (y <= ymax * z); its flows x <= z (strong linking).

    The capacity row already forces flows to zero when z = 0, so the per-edge rows only tighten the LP
    relaxation (the textbook strong facility-location form). They cost one row per edge: ``auto``
    adds them while there are at most STRONG_LINKING_MAX_ROWS (on OR-Library capa, 100,000 of them made
    the root LP alone outlast a 120 s limit, while without them HiGHS was within 4% in that time).
    """
    if not z.size:
        return
    z_of_p = np.full(len(P), -1, np.int64)
    z_of_p[z.index["p"].to_numpy()] = z.ids
    zx = z_of_p[x.index["p"].to_numpy()] if x.size else np.zeros(0, np.int64)
    sel = np.flatnonzero(zx >= 0)
    uncapped = (
        np.flatnonzero(~np.isfinite(P["capacity"].to_numpy(float)[x.index["p"].to_numpy()[sel]])) if len(sel) else []
    )
    if strong == "never" or (strong == "auto" and len(sel) > STRONG_LINKING_MAX_ROWS):
        sel = sel[uncapped]  # without a capacity row, x <= z is what enforces engagement
    if len(sel):
        r = m.add_rows("org_link_flow", x.index.iloc[sel][["p", "n"]], -INF, 0.0)
        m.add_coefs(r.ids, x.ids[sel], 1.0)
        m.add_coefs(r.ids, zx[sel], -1.0)
    zy = z_of_p[y.index["p"].to_numpy()] if y.size else np.zeros(0, np.int64)
    sel = np.flatnonzero(zy >= 0)
    if len(sel):
        r = m.add_rows("org_link_program", y.index.iloc[sel][["program_id", "unit_id"]], -INF, 0.0)
        m.add_coefs(r.ids, y.ids[sel], 1.0)
        m.add_coefs(r.ids, zy[sel], -y.index["ymax"].to_numpy(float)[sel])


def _worker_unit_rows(m: LinearModel, P: pd.DataFrame, x: Block, w_in: Block, a: Block) -> None:
    """max_units: sum_u a[p,u] <= max_units[p]; x[p,n] <= a[p,u(n)]; w_in[p,u,c] <= hours[p] * a[p,u]."""
    if not a.size:
        return
    ap = a.index["p"].to_numpy()
    workers = np.unique(ap)
    r = m.add_rows(
        "worker_units",
        pd.DataFrame({"p": workers, "provider_id": P["provider_id"].to_numpy()[workers]}),
        -INF,
        P["max_units"].to_numpy(float)[workers],
    )
    m.add_coefs(r.start + np.searchsorted(workers, ap), a.ids, 1.0)
    key = pd.MultiIndex.from_frame(a.index[["p", "u"]])
    for block, name, coef in ((x, "worker_link_flow", None), (w_in, "worker_link_input", "cap")):
        if not block.size:
            continue
        ai = key.get_indexer(pd.MultiIndex.from_frame(block.index[["p", "u"]]))
        sel = np.flatnonzero(ai >= 0)
        if not len(sel):
            continue
        rr = m.add_rows(name, block.index.iloc[sel][["p", "u"]], -INF, 0.0)
        m.add_coefs(rr.ids, block.ids[sel], 1.0)
        big = 1.0 if coef is None else P["capacity"].to_numpy(float)[block.index["p"].to_numpy()[sel]]
        m.add_coefs(rr.ids, a.start + ai[sel], -np.broadcast_to(big, (len(sel),)))


# ---------------------------------------------------------------------------------------------------
# Objective terms
# ---------------------------------------------------------------------------------------------------


def _money_vector(m: LinearModel, P: pd.DataFrame, placements: pd.DataFrame) -> np.ndarray:
    """District money per unit of each column: paid hours, travel, fixed costs, budget-funded program money."""
    c = np.zeros(m.n_cols)
    x = m.var("x")
    c[x.ids] = x.index["cost"].to_numpy(float) * x.index["q"].to_numpy(float)
    for name in ("w_in", "v_in"):
        b = m.var(name)
        if b.size:
            c[b.ids] = b.index["cost"].to_numpy(float)
    b = m.var("b_in")
    c[b.ids] = 1.0
    y = m.var("y")
    if y.size:
        c[y.ids] = placements["fixed_cost"].to_numpy(float)
    z = m.var("z_org")
    if z.size:
        c[z.ids] = P["fixed_cost"].to_numpy(float)[z.index["p"].to_numpy()]
    return c


def _coverage_term(m: LinearModel, N: pd.DataFrame) -> Term:
    """Weighted coverage = sum_n weight_n * covered_n  (in [0, 1]); maximised."""
    c = np.zeros(m.n_cols)
    coef = N["coef"].to_numpy(float)
    for name in ("x", "o"):
        b = m.var(name)
        if b.size:
            c[b.ids] = coef[b.index["n"].to_numpy()]
    return Term("coverage", c, 0.0, "max")


def _equity_term(m: LinearModel, scenario: Scenario, N: pd.DataFrame) -> Term:
    """Equity over units: the minimum weighted coverage ratio (maxmin), or minus the shortfalls below a floor."""
    cfg = scenario.config
    coef = N["coef"].to_numpy(float)
    u_of_n = N["u"].to_numpy()
    D = np.bincount(u_of_n, weights=coef, minlength=len(scenario.units)) if len(N) else np.zeros(len(scenario.units))
    units_with_need = np.flatnonzero(D > 0)
    # constant part of each ratio: needs of zero quantity count as met
    if cfg.equity.mode == "maxmin":
        t = m.add_vars("t", pd.DataFrame({"what": ["min_ratio"]}), 0.0, 1.0)
        rows = m.add_rows("equity", pd.DataFrame({"u": units_with_need}), 0.0, INF)
        m.add_coefs(rows.ids, np.full(len(units_with_need), t.start), -1.0)
    else:
        floor = cfg.equity.floor
        s = m.add_vars("s_eq", pd.DataFrame({"u": units_with_need}), 0.0, floor)
        rows = m.add_rows("equity", pd.DataFrame({"u": units_with_need}), floor, INF)
        m.add_coefs(rows.ids, s.ids, 1.0)
    row_of_u = np.full(len(scenario.units), -1, np.int64)
    row_of_u[units_with_need] = rows.ids
    for name in ("x", "o"):
        b = m.var(name)
        if b.size:
            n = b.index["n"].to_numpy()
            m.add_coefs(row_of_u[u_of_n[n]], b.ids, coef[n] / D[u_of_n[n]])
    c = np.zeros(m.n_cols)
    if cfg.equity.mode == "maxmin":
        c[m.var("t").ids] = 1.0
    else:
        c[m.var("s_eq").ids] = -1.0
    return Term("equity", c, 0.0, "max")


def _cost_term(m: LinearModel, scenario: Scenario, P: pd.DataFrame, money: np.ndarray) -> Term:
    """Money spent, plus a small penalty per unit of a soon-expiring lot left unused (so those go first)."""
    cfg = scenario.config
    c = money.copy()
    offset = 0.0
    exp = cfg.rules.expiry
    if exp.enabled and exp.penalty_per_unit > 0:
        expiring = expiring_lots(scenario, P)
        if expiring.any():
            pen = exp.penalty_per_unit
            offset = pen * float(P["capacity"].to_numpy(float)[expiring].sum())
            x = m.var("x")
            sel = expiring[x.index["p"].to_numpy()]
            c[x.ids[sel]] -= pen * (x.index["load"].to_numpy(float) * x.index["q"].to_numpy(float))[sel]
            f = m.var("f_in")
            if f.size:
                sel = expiring[f.index["p"].to_numpy()]
                c[f.ids[sel]] -= pen
    return Term("cost", c, offset, "min")


def unit_ratios(form: Formulation, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(units with need, their weighted coverage ratio R_u) at solution x."""
    N = form.needs
    coef = N["coef"].to_numpy(float)
    u_of_n = N["u"].to_numpy()
    n_units = len(form.scenario.units)
    D = np.bincount(u_of_n, weights=coef, minlength=n_units) if len(N) else np.zeros(n_units)
    got = np.zeros(n_units)
    for name in ("x", "o"):
        b = form.model.var(name)
        if b.size:
            n = b.index["n"].to_numpy()
            got += np.bincount(u_of_n[n], weights=coef[n] * b.take(x), minlength=n_units)
    units = np.flatnonzero(D > 0)
    return units, got[units] / D[units]


def settle_equity(form: Formulation, x: np.ndarray) -> np.ndarray:
    """Set the equity auxiliaries to the values the plan implies (t = min ratio, s_u = shortfall).

    Stages after the equity stage only keep the equity term above its fixed value, so t or s may sit
    loose; settling them keeps every row satisfied and makes the reported equity exact.
    """
    x = x.copy()
    _units, ratio = unit_ratios(form, x)
    if form.has("t"):
        x[form.var("t").ids] = float(np.clip(ratio.min(), 0.0, 1.0)) if len(ratio) else 0.0
    if form.has("s"):
        floor = form.scenario.config.equity.floor
        x[form.var("s").ids] = np.clip(floor - ratio, 0.0, floor)
    return x


def equity_value(form: Formulation, x: np.ndarray) -> float:
    """The equity term at x from the unit ratios: min ratio (maxmin) or minus the shortfalls (floor)."""
    _units, ratio = unit_ratios(form, x)
    eq = form.scenario.config.equity
    if eq.mode == "maxmin":
        return float(ratio.min()) if len(ratio) else 1.0
    return float(-np.maximum(0.0, eq.floor - ratio).sum())
