"""The linkage MIP, built as sparse arrays from a :class:`Scenario`; its size follows the district's
structure (home units, categories, units in reach), not the number of people or need rows.

Read alongside ``docs/model.md``: every symbol there names the function here that builds it.

People (social workers, volunteers) reach units through two levels. A *group* is the people who share
a home unit, radius, party flag, hourly rate and previous-period units (``provider_groups``); a *pool* is
one group and one category. Level one splits each provider class's hours over the pools of its group
(``s``, a person's individual skills decide which pools); level two sends a pool's hours to the units in
the group's reach (``x``), where they serve the need directly (``dk``) or go into programs. Needs are met
per (unit, category) *demand*: whatever reaches the demand is shared out over its need rows (``cov``), so
tiers do not multiply columns.
Per-person columns exist only where a rule is per person: indivisible needs (``xi``, one binary per
candidate carrier), a worker's ``max_units`` and limited new pairings (those people form groups of one).

Variables (one block each, labelled by an index frame)
    s      hours of provider class p given to pool (g, c)                  >= 0
    x      hours a pool sends to demand (u, c); units of need an organization or lot serves there   [0, Q]
    dk     units of need of demand (u, c) served directly by social workers / volunteers   [0, Q_uc]
    cov    fraction of a divisible need row met                             [0, 1]
    xi     indivisible need n carried whole by one person, organization or lot   binary
    y      program instances of program k in unit u                         integer [0, ymax]
    o      units of need of demand (u, c) met by placement (k, u)           [0, ymax * output]
    f_in   charity funds a lot gives to programs in (u, c)                  >= 0
    b_in   district-budget funds given to programs in (u, c)                >= 0
    z_org  organization engaged (pays its fixed cost)                       binary
    a      social worker p serves unit u (only where max_units binds)       binary
    t / s_eq  equity: minimum unit ratio (maxmin) or shortfalls (floor)

Rows: ``coverage`` (per need), ``service`` (per demand), ``arrivals`` (per demand and kind of people),
``pool_balance`` (per pool), ``capacity`` (per
provider class), ``member_capacity`` (per carrier of an indivisible need in a class), ``program_output``,
``pool_funds``, ``org_link_*``, ``worker_units`` /
``worker_link_*``, ``equity``; the five-community linkage rules are added by :mod:`linkage_opt.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .. import rules
from ..inputs.scenario import Scenario
from .linear import Block, LinearModel
from .reach import (
    aggregate_providers,
    build_providers,
    distance_matrix,
    member_frame,
    provider_categories,
    provider_unit_edges,
    unit_index,
)

INF = np.inf
PEOPLE = ("social_worker", "volunteer")


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
    providers: pd.DataFrame  # provider classes (row p = class p)
    needs: pd.DataFrame  # needs with weights (row n = need n)
    units: pd.Index  # unit ids (position = unit index)
    terms: dict[str, Term]
    # cached column attributes for reporting
    col_money: np.ndarray = field(default=None)  # money cost per column (yuan per unit of variable)
    col_stability: np.ndarray = field(default=None)  # stability penalty per column (new pairings)
    info: dict = field(default_factory=dict)
    groups: np.ndarray = field(default=None)  # group of each provider class (-1: organization, lot)
    pools: pd.DataFrame = field(default=None)  # pool rows: g, category, pool, far_p (its farthest-reaching class)
    reach: tuple = field(default=None, repr=False)  # (provider_unit_edges, provider_categories) of the build
    rule_of_thumb: tuple | None = field(default=None, repr=False)  # (vector, report) of baseline.rule_of_thumb_start

    def var(self, name: str) -> Block:
        return self.model.var_blocks[name]

    def has(self, name: str) -> bool:
        return name in self.model.var_blocks

    def need_cover(self, x: np.ndarray) -> np.ndarray:
        """The fraction of each need row met at solution ``x`` (1 for needs of zero quantity)."""
        out = np.where(self.needs["q"].to_numpy(float) > 0, 0.0, 1.0)
        cov = self.var("cov")
        if cov.size:
            np.add.at(out, cov.index["n"].to_numpy(), cov.take(x))
        xi = self.var("xi")
        if xi.size:
            np.add.at(out, xi.index["n"].to_numpy(), xi.take(x))
        return out

    @cached_property
    def edges(self) -> pd.DataFrame:
        """Who may serve which need directly: (provider class p, need n) with load, cost and hours per unit
        of need, ``p, n, u, category, dist_km, load, cost, hours, q, indivisible``. Not model columns (the
        model serves demands, not need rows): the rule of thumb, ``explain`` and ``diagnose`` read it."""
        return eligible_edges(self.scenario, self.providers, self.needs, self.reach)


# ---------------------------------------------------------------------------------------------------
# Needs and their party-led weights
# ---------------------------------------------------------------------------------------------------


def weighted_needs(scenario: Scenario) -> pd.DataFrame:
    """Needs with their priority and normalised weight.

    priority_n = w_c * m_tags(u) * m_tier(n)
    W_n        = priority_n / Q_unit(c)     Q_unit: total need of all categories measured in c's unit
    weight_n   = W_n / sum_m W_m q_m        so that weighted coverage = sum_n weight_n * covered_n is in [0, 1].

    Within one unit of measure (hours, say) the party's category weights therefore compare need for
    need, hour for hour: the category ranked higher is served first. Categories in other units (yuan,
    packages) form their own groups, each weighing in with its categories' weights.
    """
    cfg = scenario.config
    units = unit_index(scenario)
    nd = scenario.needs
    q = nd["quantity"].to_numpy(float)
    cat = nd["category"].astype(str).to_numpy()
    tier = nd["tier"].astype(str).to_numpy()

    tags = scenario.units["tags"]
    tag_mult = np.array(
        [np.prod([cfg.tag_multipliers.get(t, 1.0) for t in ts]) if len(ts) else 1.0 for ts in tags], dtype=float
    )  # one entry per unit, not per need
    if "history_multiplier" in scenario.units:  # multi-month equity (linkage_opt.inputs.history)
        tag_mult = tag_mult * scenario.units["history_multiplier"].fillna(1.0).to_numpy(float)
    u = units.get_indexer(nd["unit_id"].astype(str))
    w_c = np.array([cfg.categories[c].weight for c in cat], dtype=float) if len(cat) else np.zeros(0)
    m_tier = np.array([cfg.tier_multipliers[t] for t in tier], dtype=float) if len(tier) else np.zeros(0)
    priority = w_c * tag_mult[u] * m_tier
    uom = np.array([cfg.categories[c].unit for c in cat], dtype=object) if len(cat) else np.zeros(0, object)
    Q_c = pd.Series(q).groupby(uom).transform("sum").to_numpy() if len(q) else np.zeros(0)
    W = np.divide(priority, Q_c, out=np.zeros_like(priority), where=Q_c > 0)
    total = float(np.sum(W * q))
    weight = W / total if total > 0 else W
    return pd.DataFrame(
        {
            "need_id": nd["need_id"].astype(str).to_numpy(),
            "u": u,
            "unit_id": nd["unit_id"].astype(str).to_numpy(),
            "category": cat,
            "tier": tier,
            "q": q,
            "indivisible": nd["indivisible"].astype(bool).to_numpy(),
            "priority": priority,
            "weight": weight,  # per unit of need
            "coef": weight * q,  # score of meeting the need in full
        }
    )


# ---------------------------------------------------------------------------------------------------
# Edge attributes
# ---------------------------------------------------------------------------------------------------


def _per_unit_load_cost(
    scenario: Scenario, P: pd.DataFrame, e: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Load (provider capacity per unit of need), money cost per unit, and service hours per unit.

    ``e`` has ``p`` (a provider class of the right kind, home, rate and lot attributes), ``category``,
    ``dist_km``, ``load_override`` and ``cost_override``.
    """
    cfg = scenario.config
    cats = e["category"].to_numpy()
    kind = P["kind"].to_numpy()[e["p"].to_numpy()]
    d = e["dist_km"].to_numpy(float)
    hpu = np.array([cfg.categories[c].hours_per_unit for c in cats], float) if len(cats) else np.zeros(0)
    rate = P["rate"].to_numpy(float)[e["p"].to_numpy()]
    people = (kind == "social_worker") | (kind == "volunteer")
    org = kind == "organization"
    lot = kind == "charity"

    load = np.ones(len(e))
    load = np.where(people, hpu * (1.0 + cfg.costs.travel_overhead_per_km * d), load)
    if lot.any():
        item = P["item"].to_numpy()[e["p"].to_numpy()]
        lot_kind = P["lot_kind"].to_numpy()[e["p"].to_numpy()]
        lot_load = np.array(
            [
                (cfg.categories[c].funds_per_unit if lk == "funds" else cfg.categories[c].items.get(it, 1.0)) or 1.0
                for c, lk, it in zip(cats[lot], lot_kind[lot], item[lot])
            ],
            float,
        )
        load[lot] = lot_load
    cost = np.where(people | org, cfg.costs.travel_per_km * d * hpu, 0.0) + np.where(people, rate * load, 0.0)
    hours = np.where(people, hpu, 0.0)

    lo = e["load_override"].to_numpy(float)
    co = e["cost_override"].to_numpy(float)
    load = np.where(np.isfinite(lo), lo, load)
    cost = np.where(np.isfinite(co), co, cost)
    return load, cost, hours


def eligible_edges(
    scenario: Scenario, P: pd.DataFrame, N: pd.DataFrame, reach: tuple[pd.DataFrame, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """(provider class, need) pairs a provider may serve directly, with per-unit load, cost and hours.

    ``reach`` is ``(provider_unit_edges, provider_categories)`` when the caller has them (the model's build).
    An indivisible need keeps only the classes with a member who can carry all of it.
    """
    if reach is None:
        from .reach import Providers

        prov = Providers(P)
        reach = provider_unit_edges(scenario, prov, distance_matrix(scenario)), provider_categories(scenario, prov)
    E, PC = reach
    act = N.loc[N["q"].to_numpy() > 0, ["u", "category", "q", "indivisible"]].copy()
    act["n"] = act.index.to_numpy()
    flows = E.merge(PC, on="p", how="inner").merge(act, on=["u", "category"], how="inner")
    load, cost, hours = _per_unit_load_cost(scenario, P, flows)
    flows["load"], flows["cost"], flows["hours"] = load, cost, hours
    biggest = np.array([max(cs) if len(cs) else 0.0 for cs in P["member_caps"]], float)
    too_big = flows["indivisible"].to_numpy() & (load * flows["q"].to_numpy() > biggest[flows["p"].to_numpy()] + 1e-9)
    flows = flows.loc[~too_big].sort_values(["n", "p"], kind="stable").reset_index(drop=True)
    return flows[["p", "n", "u", "category", "dist_km", "load", "cost", "hours", "q", "indivisible"]]


# ---------------------------------------------------------------------------------------------------
# Groups of people: who is interchangeable once their hours are given to a category
# ---------------------------------------------------------------------------------------------------


def provider_groups(
    scenario: Scenario, P: pd.DataFrame, prev_units: list[tuple], per_class: bool = False
) -> np.ndarray:
    """Group id per provider class (-1 for organizations and lots).

    Volunteer classes with the same home unit, party flag, hourly rate and previous-period units form one
    group: once a member's hours are given to a category they are interchangeable in every row (travel,
    cost, party share, stability), except that a member reaches only the units within its own radius,
    which the ``pool_reach`` rows keep (:func:`_pool_reach_rows`). Social workers, people with explicit ``reach`` rows and
    (with ``stability.max_new_pairings``) people who served last period are groups of one, because a rule
    or an override is theirs alone. ``solver.aggregate: false``, and a rule limiting each person's hours
    per unit (``per_class``, :class:`linkage_opt.rules.Aggregation`), make every class its own group.
    """
    explicit = set(scenario.reach["provider_id"].astype(str)) if len(scenario.reach) else set()
    limited = scenario.config.stability.enabled and scenario.config.stability.max_new_pairings is not None
    aggregate = scenario.config.solver.aggregate
    keys = []
    for p, row in enumerate(P.itertuples(index=False)):
        if row.kind not in PEOPLE:
            keys.append(None)
        elif (
            not aggregate
            or per_class
            or row.kind == "social_worker"
            or any(mid in explicit for mid in row.members)
            or (limited and prev_units[p])
        ):
            keys.append(("solo", p))
        else:
            keys.append(("v", int(row.home), bool(row.party), float(row.rate), prev_units[p]))
    codes: dict = {}
    out = np.full(len(P), -1, np.int64)
    for p, k in enumerate(keys):
        if k is not None:
            out[p] = codes.setdefault(k, len(codes))
    return out


def previous_units(P: pd.DataFrame, units: pd.Index, previous_pairs: pd.DataFrame | None) -> list[tuple]:
    """The units each class's members served in the previous plan (members of a class share them)."""
    if previous_pairs is None or not len(previous_pairs):
        return [()] * len(P)
    pp = previous_pairs.astype(str)
    pp = pp.assign(u=units.get_indexer(pp["unit_id"]))
    pp = pp[pp["u"] >= 0]
    by_id = pp.groupby("provider_id")["u"].apply(lambda s: tuple(sorted(set(s.tolist())))).to_dict()
    return [by_id.get(ms[0], ()) if len(ms) else () for ms in P["members"]]


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
    stab = cfg.stability
    agg = rules.aggregation(scenario)  # what the active rules need kept apart (linkage_opt.rules)
    keep_solo = set(agg.individual)
    if stab.enabled and stab.max_new_pairings is not None and previous_pairs is not None and len(previous_pairs):
        keep_solo |= set(previous_pairs["provider_id"].astype(str))
    if cfg.solver.aggregate:
        prov = aggregate_providers(scenario, prov, previous_pairs, keep_individual=keep_solo, keep_apart=agg.attributes)
    P = prov.frame
    N = weighted_needs(scenario)
    q_n = N["q"].to_numpy(float)
    active = q_n > 0
    indiv = N["indivisible"].to_numpy(bool)
    divisible = active & ~indiv
    dist = distance_matrix(scenario)
    E = provider_unit_edges(scenario, prov, dist)
    PC = provider_categories(scenario, prov)
    nP = len(P)
    kind = P["kind"].to_numpy()
    party = P["party"].to_numpy(bool)
    prev_u = previous_units(P, units, previous_pairs) if stab.enabled else [()] * nP
    group = provider_groups(scenario, P, prev_u, per_class=agg.per_class)
    n_groups = int(group.max()) + 1 if len(group) and group.max() >= 0 else 0
    rep = np.full(n_groups, -1, np.int64)  # a representative class per group
    for p in range(nP - 1, -1, -1):
        if group[p] >= 0:
            rep[group[p]] = p
    solo = np.bincount(group[group >= 0], minlength=n_groups) == 1 if n_groups else np.zeros(0, bool)

    # -- demands (u, c) of divisible need ---------------------------------------------------------
    dem = N.loc[divisible].groupby(["u", "category"], as_index=False, sort=True)["q"].sum().rename(columns={"q": "Q"})
    dem["d"] = np.arange(len(dem))

    # -- pools (g, c) and the reach of each group --------------------------------------------------
    pcp = PC[np.isin(kind[PC["p"].to_numpy()], PEOPLE)] if len(PC) else PC
    pcp = pcp.assign(g=group[pcp["p"].to_numpy()])
    pools = (
        pcp[["g", "category"]].drop_duplicates().sort_values(["g", "category"], kind="stable").reset_index(drop=True)
    )
    pools["pool"] = np.arange(len(pools))
    # a pool reaches what its farthest-reaching class reaches (its members share a home unit): that class
    # stands for the pool in reach, travel and cost; the pool_reach rows keep nearer classes to their radius
    radius = P["radius_km"].to_numpy(float)
    far = pcp.assign(r=radius[pcp["p"].to_numpy()]).sort_values(["g", "category", "r", "p"], kind="stable")
    far = far.drop_duplicates(["g", "category"], keep="last")[["g", "category", "p"]]
    far = far.rename(columns={"p": "far_p"})
    pools = pools.merge(far, on=["g", "category"]).sort_values("pool", kind="stable").reset_index(drop=True)
    ge = E[np.isin(E["p"].to_numpy(), pools["far_p"].to_numpy())].rename(columns={"p": "far_p"})

    def people_edges(targets: pd.DataFrame) -> pd.DataFrame:
        """(pool, unit) edges to ``targets`` (u, category), with the pool's farthest-reaching class as ``p``."""
        e = pools.merge(ge[["far_p", "u", "dist_km", "cost_override", "load_override"]], on="far_p").merge(
            targets, on=["u", "category"]
        )
        return e.assign(p=e["far_p"].to_numpy()).drop(columns="far_p")

    # -- direct service x: pools, organizations and lots to demands --------------------------------
    xp = people_edges(dem[["u", "category", "Q", "d"]])
    other = np.flatnonzero(~np.isin(kind, PEOPLE))
    xo = (
        E[np.isin(E["p"].to_numpy(), other)]
        .merge(PC, on="p")
        .merge(dem[["u", "category", "Q", "d"]], on=["u", "category"])
        .assign(pool=-1, g=-1)
    )
    flows = pd.concat([xp, xo], ignore_index=True)
    load, cost, hours = _per_unit_load_cost(scenario, P, flows)
    # people's flows are in service hours (direct service and program inputs alike: the same travel
    # overhead and cost per hour); organizations' and lots' in units of need
    hpu = np.array([cfg.categories[c].hours_per_unit for c in flows["category"]], float) if len(flows) else np.zeros(0)
    is_people = flows["pool"].to_numpy() >= 0
    per = np.where(is_people & (hpu > 0), hpu, 1.0)
    flows["load"], flows["cost"] = load / per, cost / per
    flows["hours"] = np.where(is_people, 1.0, 0.0)
    flows["kind"] = kind[flows["p"].to_numpy()]
    flows["party"] = party[flows["p"].to_numpy()]
    people_flow = flows["pool"].to_numpy() >= 0
    # a flow belongs to one class only for organizations, lots and groups of one
    own = np.where(
        people_flow,
        np.where(solo[np.maximum(flows["g"].to_numpy(), 0)] if n_groups else False, flows["p"].to_numpy(), -1),
        flows["p"].to_numpy(),
    )
    flows["p"] = own
    flows["q"] = 1.0  # hours per column = hours * q (1 for people, 0 otherwise)
    flows = flows[~is_people | (hpu > 0)].reset_index(drop=True)
    flows = flows.sort_values(["d", "pool", "p"], kind="stable").reset_index(drop=True)
    people_flow = flows["pool"].to_numpy() >= 0
    x_cols = ["pool", "g", "p", "kind", "party", "d", "u", "category", "dist_km", "load", "cost", "hours", "q", "Q"]

    # -- indivisible needs: one binary per candidate carrier ---------------------------------------
    ind = N.loc[active & indiv, ["u", "category", "q"]].copy()
    ind["n"] = ind.index.to_numpy()
    cand = E.merge(PC, on="p").merge(ind, on=["u", "category"])
    load, cost, hours = _per_unit_load_cost(scenario, P, cand)
    cand["load"], cand["cost"], cand["hours"] = load, cost, hours
    mf = member_frame(P).reset_index(drop=True)
    mf["member"] = np.arange(len(mf))
    cand = cand.merge(mf[["p", "member", "provider_id", "capacity"]].rename(columns={"capacity": "member_cap"}), on="p")
    cand = cand[cand["load"].to_numpy() * cand["q"].to_numpy() <= cand["member_cap"].to_numpy() + 1e-9]
    cand = cand.assign(kind=kind[cand["p"].to_numpy()], party=party[cand["p"].to_numpy()], indivisible=True)
    cand = cand.sort_values(["n", "member"], kind="stable").reset_index(drop=True)

    # -- programs y[k, u], output o ----------------------------------------------------------------
    placements = _program_placements(scenario, P, E, N, active)
    placements = placements.merge(dem[["u", "category", "d"]], on=["u", "category"], how="left")
    # most hours a kind can use at a demand: its direct need plus what its programs could take
    in_max = {
        kd: np.bincount(
            placements["d"].to_numpy(np.int64),
            weights=(placements["ymax"] * placements[col]).to_numpy(float),
            minlength=len(dem),
        )
        if len(placements)
        else np.zeros(len(dem))
        for kd, col in (("social_worker", "worker_hours"), ("volunteer", "volunteer_hours"))
    }
    hpu_d = np.array([cfg.categories[c].hours_per_unit for c in dem["category"]], float) if len(dem) else np.zeros(0)
    if len(flows):
        fk = flows["kind"].to_numpy()
        fd = flows["d"].to_numpy()
        pf = flows["pool"].to_numpy() >= 0
        extra = np.where(fk == "social_worker", in_max["social_worker"][fd], in_max["volunteer"][fd])
        flows["Q"] = np.where(pf, hpu_d[fd] * flows["Q"].to_numpy(float) + extra, flows["Q"].to_numpy(float))

    # -- program inputs: pools to (u, c) program pools; lots; the budget ---------------------------
    in_pools = _pools(placements)
    used_pools = np.unique(flows.loc[people_flow, "pool"].to_numpy().astype(np.int64))
    pools = pools[pools["pool"].isin(used_pools)].reset_index(drop=True)
    s_index = pcp.merge(pools, on=["g", "category"])[["p", "g", "category", "pool"]]
    s_index = s_index.sort_values(["pool", "p"], kind="stable").reset_index(drop=True)

    # -- columns -----------------------------------------------------------------------------------
    s = m.add_vars("s", s_index, 0.0, INF)  # bounded by the class capacity row (its dual: value of an hour)
    x = m.add_vars("x", flows[x_cols], 0.0, flows["Q"].to_numpy(float) if len(flows) else 0.0)
    div_n = np.flatnonzero(divisible)
    cov = m.add_vars(
        "cov",
        pd.DataFrame(
            {
                "n": div_n,
                "d": dem.set_index(["u", "category"])["d"]
                .reindex(pd.MultiIndex.from_arrays([N["u"].to_numpy()[div_n], N["category"].to_numpy()[div_n]]))
                .to_numpy(np.int64)
                if len(div_n)
                else np.zeros(0, np.int64),
            }
        ),
        0.0,
        1.0,
    )
    xi = m.add_vars(
        "xi",
        cand[
            [
                "p",
                "member",
                "provider_id",
                "kind",
                "party",
                "n",
                "u",
                "category",
                "dist_km",
                "load",
                "cost",
                "hours",
                "q",
            ]
        ],
        0.0,
        1.0,
        integer=True,
    )
    y = m.add_vars("y", placements, 0.0, placements["ymax"].to_numpy(float) if len(placements) else 0.0, integer=True)
    o = m.add_vars(
        "o",
        placements[["k", "u", "category", "d"]],
        0.0,
        (placements["ymax"] * placements["output"]).to_numpy(float) if len(placements) else 0.0,
    )
    # direct service of a demand by each kind of people, in units of need (what their hours buy there)
    arrivals = flows.loc[people_flow, ["d", "kind"]].drop_duplicates()
    if len(placements):
        for kd, col in (("social_worker", "worker_hours"), ("volunteer", "volunteer_hours")):
            need_d = placements.loc[placements[col] > 0, ["d"]].assign(kind=kd)
            arrivals = pd.concat([arrivals, need_d], ignore_index=True)
    arrivals = arrivals.drop_duplicates().sort_values(["d", "kind"], kind="stable").reset_index(drop=True)
    arrivals = arrivals.assign(
        u=dem["u"].to_numpy()[arrivals["d"].to_numpy()] if len(arrivals) else [],
        category=dem["category"].to_numpy()[arrivals["d"].to_numpy()] if len(arrivals) else [],
    )
    dk = m.add_vars("dk", arrivals, 0.0, dem["Q"].to_numpy(float)[arrivals["d"].to_numpy()] if len(arrivals) else 0.0)
    f_in = m.add_vars("f_in", _funds_edges(P, E, in_pools), 0.0, INF)
    b_pools = in_pools.loc[in_pools["funds"] > 0, ["u", "category"]].reset_index(drop=True)
    b_in = m.add_vars("b_in", b_pools, 0.0, INF)

    fixed = P["fixed_cost"].to_numpy(float)
    used_org = np.zeros(nP, bool)
    for blk in (x, xi):
        bp = blk.index["p"].to_numpy()
        used_org[bp[(bp >= 0)][kind[bp[bp >= 0]] == "organization"]] = True
    if len(placements):
        used_org[placements["p"].to_numpy()] = True
    org_rows = np.flatnonzero((kind == "organization") & (fixed > 0) & used_org)
    z = m.add_vars("z_org", pd.DataFrame({"p": org_rows}), 0.0, 1.0, integer=True)
    a = m.add_vars("a", _worker_unit_pairs(P, [x.index, xi.index]), 0.0, 1.0, integer=True)

    # -- coverage rows per need: cov_n (divisible) or sum of carriers (indivisible), = 1 if guaranteed
    act_n = np.flatnonzero(active)
    cov_rows = m.add_rows(
        "coverage", pd.DataFrame({"n": act_n}), np.where(N["tier"].to_numpy()[act_n] == "guaranteed", 1.0, 0.0), 1.0
    )
    row_of_need = np.full(len(N), -1, np.int64)
    row_of_need[act_n] = cov_rows.ids
    m.add_coefs(row_of_need[cov.index["n"].to_numpy()], cov.ids, 1.0)
    m.add_coefs(row_of_need[xi.index["n"].to_numpy()], xi.ids, 1.0)

    # -- service rows per demand: what arrives = what the need rows take ---------------------------
    srv = m.add_rows(
        "service",
        dem[["u", "category"]].assign(unit_id=units.to_numpy()[dem["u"].to_numpy()] if len(dem) else []),
        0.0,
        0.0,
    )
    direct = np.flatnonzero(x.index["pool"].to_numpy() < 0)  # organizations and lots
    m.add_coefs(srv.start + x.index["d"].to_numpy()[direct], x.ids[direct], 1.0)
    m.add_coefs(srv.start + dk.index["d"].to_numpy(), dk.ids, 1.0)
    if o.size:
        m.add_coefs(srv.start + o.index["d"].to_numpy(), o.ids, 1.0)
    m.add_coefs(srv.start + cov.index["d"].to_numpy(), cov.ids, -q_n[cov.index["n"].to_numpy()])

    # -- pool balance: hours given to a pool = hours it spends (with travel overhead) --------------
    if len(pools):
        pb = m.add_rows("pool_balance", pools[["g", "category"]], 0.0, 0.0)
        row_of_pool = np.full(int(pools["pool"].max()) + 1, -1, np.int64)
        row_of_pool[pools["pool"].to_numpy()] = pb.ids
        m.add_coefs(row_of_pool[s.index["pool"].to_numpy()], s.ids, 1.0)
        pf = np.flatnonzero(x.index["pool"].to_numpy() >= 0)
        m.add_coefs(row_of_pool[x.index["pool"].to_numpy()[pf]], x.ids[pf], -x.index["load"].to_numpy(float)[pf])

    _pool_reach_rows(m, P, s, x)

    # -- arrivals per demand and kind: people's hours there = direct service + program inputs -------
    if dk.size:
        arr = m.add_rows("arrivals", arrivals[["u", "category", "kind"]], 0.0, 0.0)
        akey = pd.MultiIndex.from_frame(arrivals[["d", "kind"]])
        pf = np.flatnonzero(x.index["pool"].to_numpy() >= 0)
        r = akey.get_indexer(pd.MultiIndex.from_frame(x.index.iloc[pf][["d", "kind"]]))
        m.add_coefs(arr.start + r, x.ids[pf], 1.0)
        m.add_coefs(arr.ids, dk.ids, -hpu_d[arrivals["d"].to_numpy()])
        for kd, col in (("social_worker", "worker_hours"), ("volunteer", "volunteer_hours")):
            per = placements[col].to_numpy(float) if len(placements) else np.zeros(0)
            sel = np.flatnonzero(per > 0)
            if len(sel):
                r = akey.get_indexer(
                    pd.MultiIndex.from_arrays([placements["d"].to_numpy()[sel], np.full(len(sel), kd)])
                )
                m.add_coefs(arr.start + r, y.ids[sel], -per[sel])

    # -- capacity rows per provider class, and per carrier where a class has several members --------
    _capacity_rows(m, P, s, x, xi, y, f_in, z)
    _member_capacity_rows(m, P, xi)

    # -- program output and input pools ------------------------------------------------------------
    if y.size:
        # o <= min(output, Q_uc) * y: an instance serves at most what the demand has, so where the demand
        # is smaller than one instance's output the LP cannot buy a sliver of an instance for a sliver of
        # need (valid: o <= Q_uc always, and y >= 1 once o > 0); it closes part of the cost stage's root gap
        q_here = dem["Q"].to_numpy(float)[placements["d"].to_numpy(np.int64)]
        out_rows = m.add_rows("program_output", placements[["program_id", "unit_id"]], -INF, 0.0)
        m.add_coefs(out_rows.ids, o.ids, 1.0)
        m.add_coefs(out_rows.ids, y.ids, -np.minimum(placements["output"].to_numpy(float), q_here))
        _pool_rows(m, "pool_funds", in_pools, placements, y, [f_in, b_in], "funds")

    # -- linking rows for activation binaries ------------------------------------------------------
    _org_link_rows(m, P, x, xi, y, z, cfg.solver.strong_linking)
    _worker_unit_rows(m, P, x, xi, a)

    # -- stability: new (provider, unit) pairings against the previous plan -------------------------
    stab_hours = _new_pairing_rows(m, scenario, P, rep, prev_u, previous_pairs)

    # -- five-community linkage rules --------------------------------------------------------------
    money = _money_vector(m, P, placements)
    rules.add_all(m, scenario, P, money)

    # -- objective terms ---------------------------------------------------------------------------
    form = Formulation(scenario, m, P, N, units, terms={}, col_money=money, groups=group, pools=pools, reach=(E, PC))
    form.info.update(
        n_edges=len(E),
        n_flows=len(flows),
        n_pools=len(pools),
        n_groups=n_groups,
        n_demands=len(dem),
        n_carriers=len(cand),
        n_placements=len(placements),
    )
    form.terms["coverage"] = _coverage_term(m, N)
    obj = cfg.objective
    if ("equity" in obj.order) if obj.mode == "lexicographic" else obj.weights.get("equity", 0) > 0:
        form.terms["equity"] = _equity_term(m, scenario, N)  # adds the equity variables and rows
    form.col_money = np.pad(money, (0, m.n_cols - len(money)))
    for term in form.terms.values():
        term.c = np.pad(term.c, (0, m.n_cols - len(term.c)))
    form.col_stability = np.pad(stab_hours, (0, m.n_cols - len(stab_hours))) * stab.penalty_per_hour
    form.terms["cost"] = _cost_term(m, scenario, P, form.col_money + form.col_stability)
    return form


def _program_placements(
    scenario: Scenario, P: pd.DataFrame, E: pd.DataFrame, N: pd.DataFrame, active: np.ndarray
) -> pd.DataFrame:
    """Where each program may run (k, u), with its instance bound (only where its category has divisible need)."""
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
    if not len(pr):
        return empty_pl
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
    return pl[list(empty_pl.columns)]


def _pools(placements: pd.DataFrame) -> pd.DataFrame:
    """(unit, category) pools of program inputs, with which inputs they need at all."""
    if not len(placements):
        return pd.DataFrame(
            {
                "u": pd.Series([], dtype=np.int64),
                "category": pd.Series([], dtype=object),
                "worker_hours": pd.Series([], dtype=float),
                "volunteer_hours": pd.Series([], dtype=float),
                "funds": pd.Series([], dtype=float),
            }
        )
    return placements.groupby(["u", "category"], as_index=False, sort=True)[
        ["worker_hours", "volunteer_hours", "funds"]
    ].max()


def _funds_edges(P: pd.DataFrame, E: pd.DataFrame, pools: pd.DataFrame) -> pd.DataFrame:
    """Edges (funds lot, pool): the lot reaches the unit and its category earmark (if any) matches."""
    need = pools.loc[pools["funds"] > 0, ["u", "category"]]
    lots = np.flatnonzero((P["kind"].to_numpy() == "charity") & (P["lot_kind"].to_numpy() == "funds"))
    ed = E.loc[E["p"].isin(lots), ["p", "u"]].merge(need, on="u")
    em = P["earmark_category"].to_numpy()[ed["p"].to_numpy()] if len(ed) else np.zeros(0, object)
    ed = ed[(em == "") | (em == ed["category"].to_numpy())]
    return ed.sort_values(["u", "category", "p"], kind="stable").reset_index(drop=True)


def _worker_unit_pairs(P: pd.DataFrame, indexes: list[pd.DataFrame]) -> pd.DataFrame:
    """(worker, unit) pairs needing an assignment binary: the worker's max_units is below its reachable units."""
    kinds = P["kind"].to_numpy()
    mu = P["max_units"].to_numpy(float)
    pu = pd.concat([ix.loc[ix["p"] >= 0, ["p", "u"]] for ix in indexes], ignore_index=True).drop_duplicates()
    pu = pu[(kinds[pu["p"].to_numpy()] == "social_worker") & np.isfinite(mu[pu["p"].to_numpy()])]
    n_units = pu.groupby("p")["u"].transform("size").to_numpy()
    pu = pu[n_units > mu[pu["p"].to_numpy()]]
    return pu.sort_values(["p", "u"], kind="stable").reset_index(drop=True)


def _flow_cap(P: pd.DataFrame, block: Block) -> np.ndarray:
    """Most a column of ``x`` (hours for people, units of need otherwise) or ``xi`` (1) can carry: its bound
    ``Q``, or what its class's capacity allows."""
    ix = block.index
    if "Q" not in ix:
        return np.ones(block.size)
    p = ix["p"].to_numpy()
    load = ix["load"].to_numpy(float)
    cap = np.where(p >= 0, P["capacity"].to_numpy(float)[np.maximum(p, 0)], np.inf)
    by_cap = np.divide(cap, load, out=np.full(len(p), np.inf), where=load > 0)
    return np.minimum(ix["Q"].to_numpy(float), by_cap)


def _new_pairing_rows(
    m: LinearModel,
    scenario: Scenario,
    P: pd.DataFrame,
    rep: np.ndarray,
    prev_u: list[tuple],
    previous_pairs: pd.DataFrame | None,
) -> np.ndarray:
    """Hours per column given in a new (provider, unit) pairing by people who served last period.

    A group's members share their previous units, so a pool's flow to unit u is new exactly when u is
    not among them. With ``stability.max_new_pairings`` (people who served are then groups of one) also
    adds binaries ``g[p,u]`` (column <= its largest value * g) and the row ``sum g <= max_new_pairings``.
    """
    hours = np.zeros(m.n_cols)
    cfg = scenario.config.stability
    if not cfg.enabled or previous_pairs is None or not len(previous_pairs):
        return hours
    n_groups = len(rep)  # rep: a representative class per group (members share previous units)
    cols, pu, per = [], [], []
    for name in ("x", "xi"):
        b = m.var(name)
        if not b.size:
            continue
        ix = b.index
        people = np.isin(ix["kind"].to_numpy(), PEOPLE)
        cls = np.where(
            ix["p"].to_numpy() >= 0,
            ix["p"].to_numpy(),
            rep[np.maximum(ix["g"].to_numpy(), 0)] if "g" in ix and n_groups else -1,
        )
        u = ix["u"].to_numpy()
        served = np.array([len(prev_u[c]) > 0 if c >= 0 else False for c in cls], bool)
        is_new = (
            people
            & served
            & ~np.fromiter((c >= 0 and uu in prev_u[c] for c, uu in zip(cls.tolist(), u.tolist())), bool, len(u))
        )
        h = ix["load"].to_numpy(float) * (ix["q"].to_numpy(float) if "q" in ix else 1.0)
        hours[b.ids[is_new]] = h[is_new]
        cols.append(b.ids[is_new])
        pu.append(np.column_stack([cls[is_new], u[is_new]]))
        if name == "x":
            per.append(_flow_cap(P, b)[is_new])
        else:
            per.append(np.ones(int(is_new.sum())))
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


def _pool_reach_rows(m: LinearModel, P: pd.DataFrame, s: Block, x: Block) -> None:
    """Radius bands of a pool whose classes reach differently far (rows ``pool_reach``).

    A group's members share a home unit but not their radius, so the classes of a pool, sorted by radius
    ``r_1 < ... < r_K``, reach nested sets of units. For every ``k >= 2`` the hours the pool spends beyond
    ``r_(k-1)`` (with travel overhead) come from the classes reaching at least ``r_k``:

        sum_{d : dist(d) > r_(k-1)} l_d x_(pool,d)  <=  sum_{p in pool : r_p >= r_k} s_(p,pool)

    With the pool balance this is exact (Hall's condition for nested reach: a set of demands is served by
    the classes reaching its farthest one, so the farthest bands are the binding sets), and the plan
    splits the pool's rows farthest first over the classes reaching farthest first
    (:func:`linkage_opt.model.disaggregate.allocation_rows`, step 2). One flow per pool and demand instead
    of one per radius: the flows no longer multiply with the radii people give.
    """
    if not s.size or not x.size:
        return
    radius = P["radius_km"].to_numpy(float)
    sp = s.index["pool"].to_numpy()
    sr = radius[s.index["p"].to_numpy()]
    bands = pd.DataFrame({"pool": sp, "r": sr}).drop_duplicates().sort_values(["pool", "r"], kind="stable")
    prev_r = bands.groupby("pool")["r"].shift(1)
    bands = bands.assign(r_prev=prev_r.to_numpy(float))[prev_r.notna().to_numpy()].reset_index(drop=True)
    if not len(bands):
        return
    rows = m.add_rows("pool_reach", bands[["pool", "r"]].rename(columns={"r": "radius_km"}), -INF, 0.0)
    bands["row"] = rows.ids
    xi_ = np.flatnonzero(x.index["pool"].to_numpy() >= 0)
    fx = pd.DataFrame(
        {
            "pool": x.index["pool"].to_numpy()[xi_],
            "col": x.ids[xi_],
            "dist": x.index["dist_km"].to_numpy(float)[xi_],
            "load": x.index["load"].to_numpy(float)[xi_],
        }
    ).merge(bands[["pool", "r_prev", "row"]], on="pool")
    fx = fx[fx["dist"].to_numpy() > fx["r_prev"].to_numpy() + 1e-9]  # as reach: within radius + 1e-9
    m.add_coefs(fx["row"].to_numpy(), fx["col"].to_numpy(), fx["load"].to_numpy(float))
    fs = pd.DataFrame({"pool": sp, "col": s.ids, "r": sr}).merge(
        bands[["pool", "r", "row"]].rename(columns={"r": "rk"}), on="pool"
    )
    fs = fs[fs["r"].to_numpy() >= fs["rk"].to_numpy()]
    m.add_coefs(fs["row"].to_numpy(), fs["col"].to_numpy(), -1.0)


def _capacity_rows(
    m: LinearModel, P: pd.DataFrame, s: Block, x: Block, xi: Block, y: Block, f_in: Block, z: Block
) -> None:
    """Per provider class: hours given to pools (people) or load served (organizations, lots), plus the
    indivisible needs its members carry, program instances (organizations) and program funds (lots)
    <= capacity (* z for an organization with a fixed cost)."""
    cap = P["capacity"].to_numpy(float)
    has_z = np.zeros(len(P), bool)
    if z.size:
        has_z[z.index["p"].to_numpy()] = True
    rows_p = np.flatnonzero(np.isfinite(cap))
    hi = np.where(has_z[rows_p], 0.0, cap[rows_p])
    blk = m.add_rows(
        "capacity", pd.DataFrame({"p": rows_p, "provider_id": P["provider_id"].to_numpy()[rows_p]}), -INF, hi
    )
    row_of_p = np.full(len(P), -1, np.int64)
    row_of_p[rows_p] = blk.ids

    def link(block: Block, coef: np.ndarray, p: np.ndarray | None = None) -> None:
        if not block.size:
            return
        p = block.index["p"].to_numpy() if p is None else p
        r = np.where(p >= 0, row_of_p[np.maximum(p, 0)], -1)
        keep = r >= 0
        m.add_coefs(r[keep], block.ids[keep], np.broadcast_to(coef, (block.size,))[keep])

    link(s, np.ones(s.size))
    if x.size:  # organizations and lots (pools draw on classes through s)
        xp = np.where(x.index["pool"].to_numpy() < 0, x.index["p"].to_numpy(), -1)
        link(x, x.index["load"].to_numpy(float), xp)
    link(xi, xi.index["load"].to_numpy(float) * xi.index["q"].to_numpy(float))
    link(f_in, np.ones(f_in.size))
    if y.size:
        link(y, np.ones(y.size))
    if z.size:
        zp = z.index["p"].to_numpy()
        r = row_of_p[zp]
        keep = r >= 0
        m.add_coefs(r[keep], z.ids[keep], -cap[zp][keep])


def _member_capacity_rows(m: LinearModel, P: pd.DataFrame, xi: Block) -> None:
    """A member of a class carries indivisible needs within its own hours: sum of load * xi <= its capacity.

    The class row already bounds the class's total; the member's divisible hours are then filled into
    what its indivisible needs leave (``disaggregate``), which is exact because members are interchangeable.
    """
    if not xi.size:
        return
    nm = P["n_members"].to_numpy()[xi.index["p"].to_numpy()]
    sel = np.flatnonzero(nm > 1)
    if not len(sel):
        return
    members, inv = np.unique(xi.index["member"].to_numpy()[sel], return_inverse=True)
    mf = member_frame(P)
    rows = m.add_rows(
        "member_capacity",
        pd.DataFrame({"member": members, "provider_id": mf["provider_id"].to_numpy()[members]}),
        -INF,
        mf["capacity"].to_numpy(float)[members],
    )
    m.add_coefs(
        rows.start + inv.ravel(), xi.ids[sel], (xi.index["load"].to_numpy(float) * xi.index["q"].to_numpy(float))[sel]
    )


def _pool_rows(
    m: LinearModel,
    name: str,
    pools: pd.DataFrame,
    placements: pd.DataFrame,
    y: Block,
    inputs: Block | list[Block],
    col: str,
) -> None:
    """sum of inputs given to pool (u, c) == sum over programs k in (u, c) of need_k * y_k."""
    need = pools.loc[pools[col] > 0, ["u", "category"]].reset_index(drop=True)
    if not len(need):
        return
    rows = m.add_rows(name, need, 0.0, 0.0)
    key = pd.MultiIndex.from_frame(need[["u", "category"]])
    for block in inputs if isinstance(inputs, list) else [inputs]:
        if block.size:
            r = key.get_indexer(pd.MultiIndex.from_frame(block.index[["u", "category"]]))
            m.add_coefs(rows.start + r, block.ids, 1.0)
    per = placements[col].to_numpy(float)
    r = key.get_indexer(pd.MultiIndex.from_frame(placements[["u", "category"]]))
    keep = (r >= 0) & (per > 0)
    m.add_coefs(rows.start + r[keep], y.ids[keep], -per[keep])


STRONG_LINKING_MAX_ROWS = 20_000


def _org_link_rows(
    m: LinearModel, P: pd.DataFrame, x: Block, xi: Block, y: Block, z: Block, strong: str = "auto"
) -> None:
    """An engaged organization only: x <= min(Q_uc, cap / load) * z on each of its demands, xi <= z, and
    y <= ymax * z. The capacity row already forces a capped organization's flows to zero when z = 0; the
    per-flow rows tighten the LP (the strong facility-location form; one per demand an organization
    reaches), so ``solver.strong_linking: auto`` adds them while there are at most STRONG_LINKING_MAX_ROWS
    (on OR-Library capa they made the root LP alone outlast the time limit: docs/performance.md). An organization
    without a capacity always gets them: then they are what enforces engagement."""
    if not z.size:
        return
    z_of_p = np.full(len(P), -1, np.int64)
    z_of_p[z.index["p"].to_numpy()] = z.ids
    for block, name in ((x, "org_link_flow"), (xi, "org_link_case")):
        if not block.size:
            continue
        bp = block.index["p"].to_numpy()
        zx = np.where(bp >= 0, z_of_p[np.maximum(bp, 0)], -1)
        sel = np.flatnonzero(zx >= 0)
        if strong == "never" or (strong == "auto" and len(sel) > STRONG_LINKING_MAX_ROWS):
            sel = sel[~np.isfinite(P["capacity"].to_numpy(float)[bp[sel]])]
        if len(sel):
            r = m.add_rows(name, block.index.iloc[sel][["p", "u", "category"]], -INF, 0.0)
            m.add_coefs(r.ids, block.ids[sel], 1.0)
            m.add_coefs(r.ids, zx[sel], -_flow_cap(P, block)[sel])
    zy = z_of_p[y.index["p"].to_numpy()] if y.size else np.zeros(0, np.int64)
    sel = np.flatnonzero(zy >= 0)
    if len(sel):
        r = m.add_rows("org_link_program", y.index.iloc[sel][["program_id", "unit_id"]], -INF, 0.0)
        m.add_coefs(r.ids, y.ids[sel], 1.0)
        m.add_coefs(r.ids, zy[sel], -y.index["ymax"].to_numpy(float)[sel])


def _worker_unit_rows(m: LinearModel, P: pd.DataFrame, x: Block, xi: Block, a: Block) -> None:
    """max_units: sum_u a[p,u] <= max_units[p]; each of the worker's columns in u <= its largest value * a[p,u]."""
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
    for block, name in ((x, "worker_link_flow"), (xi, "worker_link_case")):
        if not block.size:
            continue
        ai = key.get_indexer(pd.MultiIndex.from_frame(block.index[["p", "u"]]))
        sel = np.flatnonzero(ai >= 0)
        if not len(sel):
            continue
        rr = m.add_rows(name, block.index.iloc[sel][["p", "u"]], -INF, 0.0)
        m.add_coefs(rr.ids, block.ids[sel], 1.0)
        m.add_coefs(rr.ids, a.start + ai[sel], -_flow_cap(P, block)[sel])


# ---------------------------------------------------------------------------------------------------
# Objective terms
# ---------------------------------------------------------------------------------------------------


def _money_vector(m: LinearModel, P: pd.DataFrame, placements: pd.DataFrame) -> np.ndarray:
    """District money per unit of each column: paid hours, travel, fixed costs, budget-funded program money."""
    c = np.zeros(m.n_cols)
    for name in ("x", "xi"):
        b = m.var(name)
        if b.size:
            c[b.ids] = b.index["cost"].to_numpy(float) * (b.index["q"].to_numpy(float) if "q" in b.index else 1.0)
    b = m.var("b_in")
    c[b.ids] = 1.0
    y = m.var("y")
    if y.size:
        c[y.ids] = placements["fixed_cost"].to_numpy(float)
    z = m.var("z_org")
    if z.size:
        c[z.ids] = P["fixed_cost"].to_numpy(float)[z.index["p"].to_numpy()]
    return c


def cover_columns(m: LinearModel) -> tuple[np.ndarray, np.ndarray]:
    """(column, need) pairs whose value is the fraction of that need met: ``cov`` and ``xi``."""
    cols, needs = [], []
    for name in ("cov", "xi"):
        b = m.var(name)
        cols.append(b.ids)
        needs.append(b.index["n"].to_numpy(np.int64) if b.size else np.zeros(0, np.int64))
    return np.concatenate(cols), np.concatenate(needs)


def _coverage_term(m: LinearModel, N: pd.DataFrame) -> Term:
    """Weighted coverage = sum_n weight_n * covered_n  (in [0, 1]); maximised."""
    c = np.zeros(m.n_cols)
    cols, n = cover_columns(m)
    c[cols] = N["coef"].to_numpy(float)[n]
    return Term("coverage", c, 0.0, "max")


def _equity_term(m: LinearModel, scenario: Scenario, N: pd.DataFrame) -> Term:
    """Equity over units: the minimum weighted coverage ratio (maxmin), or minus the shortfalls below a floor."""
    cfg = scenario.config
    coef = N["coef"].to_numpy(float)
    u_of_n = N["u"].to_numpy()
    D = np.bincount(u_of_n, weights=coef, minlength=len(scenario.units)) if len(N) else np.zeros(len(scenario.units))
    units_with_need = np.flatnonzero(D > 0)
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
    cols, n = cover_columns(m)
    m.add_coefs(row_of_u[u_of_n[n]], cols, coef[n] / D[u_of_n[n]])
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
            for name in ("x", "xi", "f_in"):
                b = m.var(name)
                if not b.size:
                    continue
                p = b.index["p"].to_numpy()
                sel = (p >= 0) & expiring[np.maximum(p, 0)]
                per = (
                    (b.index["load"].to_numpy(float) * b.index["q"].to_numpy(float))
                    if name != "f_in"
                    else np.ones(b.size)
                )
                c[b.ids[sel]] -= pen * per[sel]
    return Term("cost", c, offset, "min")


def expiring_lots(scenario: Scenario, P: pd.DataFrame) -> np.ndarray:
    """Lots whose ``expires`` date falls before the period start + horizon (they lapse if not used now)."""
    cfg = scenario.config
    start = pd.Timestamp(cfg.period + "-01")
    horizon = start + pd.Timedelta(days=cfg.rules.expiry.horizon_days)
    exp = pd.to_datetime(P["expires"])
    return ((P["kind"] == "charity") & exp.notna() & (exp < horizon)).to_numpy()


def unit_ratios(form: Formulation, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(units with need, their weighted coverage ratio R_u) at solution x."""
    N = form.needs
    coef = N["coef"].to_numpy(float)
    u_of_n = N["u"].to_numpy()
    n_units = len(form.scenario.units)
    D = np.bincount(u_of_n, weights=coef, minlength=n_units) if len(N) else np.zeros(n_units)
    covered = np.where(N["q"].to_numpy(float) > 0, form.need_cover(x), 0.0) if len(N) else np.zeros(0)
    got = np.bincount(u_of_n, weights=coef * covered, minlength=n_units) if len(N) else np.zeros(n_units)
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
    if form.has("s_eq"):
        floor = form.scenario.config.equity.floor
        x[form.var("s_eq").ids] = np.clip(floor - ratio, 0.0, floor)
    return x


def equity_value(form: Formulation, x: np.ndarray) -> float:
    """The equity term at x from the unit ratios: min ratio (maxmin) or minus the shortfalls (floor)."""
    _units, ratio = unit_ratios(form, x)
    eq = form.scenario.config.equity
    if eq.mode == "maxmin":
        return float(ratio.min()) if len(ratio) else 1.0
    return float(-np.maximum(0.0, eq.floor - ratio).sum())
