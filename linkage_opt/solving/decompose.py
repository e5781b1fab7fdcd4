"""Decomposed plans for a city or a province: ``solve(scenario, decompose="town")``, ``plan --decompose town``.

The units are split into parts by a column of the ``units`` table (``town``, ``county``, or any other).
Parts share only a few resources: the district budget, people whose reach crosses a part boundary,
charity lots whose earmarks (or lack of them) let several parts use them, and organizations reaching
several parts. The plan is made in three steps (``docs/model.md``, "Decomposed plans"):

1. **Relaxation rounds** (one Dask task per part per round): the LP relaxation of the weighted-coverage
   stage of the part with the structure of full shared capacities, first at full capacities, then at
   shares of the shared rows and the budget. Each solved LP gives a supergradient cut of the part's LP
   value function; the **coordinating LP** over those cuts (:func:`master_bound`) is a valid **global
   upper bound** on weighted coverage, and its shares steer the next round.
2. **Coordination** (here): each shared resource's capacity is divided among the parts that may use it as
   in the last round's shares (the slack, when there is any, equally); an organization with a fixed cost
   and a social worker with ``max_units`` go whole to the part that would use them most, so that no
   fixed cost is paid twice and no unit limit is exceeded.
3. **Part plans** (one Dask task per part): each part is a scenario of its own -- its units, the
   providers that reach it with their shares as capacities, its share of the budget, and category weights
   rescaled so that its weights are the global ones up to one factor -- solved by the ordinary
   pipeline (:func:`linkage_opt.solving.solve.solve_monolithic`, what :func:`linkage_opt.solve` runs without
   ``decompose=``). The part plans are merged into one :class:`~linkage_opt.solving.plan.Plan` whose
   objective is recomputed from the merged tables; every global row (provider capacities, lots, the
   budget) holds because the shares add up to at most the capacities.

Tasks run on Dask distributed: a ``LocalCluster`` of ``workers`` processes (one thread each, the solver
single-threaded) by default, or any scheduler by address. The scenario pieces travel with the tasks.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError
from ..i18n import Msg
from ..inputs.scenario import Scenario, lapsed_lots
from ..rules.budget import KEY as BUDGET_ROWS  # the budget row block
from .solve import lift_links, solve_monolithic, stage_problem, without_linking_rows
from .summary import Summary

DEFAULT_WORKERS = 2
SHARE_RESOLUTION = 1e-6  # shares of continuous capacities are rounded down to this
RELAXATION_TIME_SHARE = 0.25  # of the time limit, for the relaxation rounds: the rounds after round 0 end by then
ROUND0_TIME_SHARE = 0.4  # ... and round 0's LPs (every part's uses steer the coordination) by this
MIN_PART_SECONDS = 3.0  # the least time a part is given (from its hand-over to a worker to its plan) ...
# ... unless the parts not yet handed out cannot all have it by the parts' end: then an equal share of the worker
# time left, down to this. A part's first plan, the repaired rule of thumb, takes well under this (a realistic
# city part gave one at 0.3 s); with 1.5 s, the realistic city at 90 s took 113 s (95 parts at 1.5 s each
# after a 34-s round 0), with 0.5 s 86 s and coverage 0.473 instead of 0.599 (docs/performance.md)
MIN_PART_SECONDS_TIGHT = 0.5
PART_TABLES_SHARE = 0.25  # of a part's time, kept after its solve for its tables (dispatch stops by the deadline)
# ... and a part solved again (repair) at least this, twice as long each attempt (the time limit may be
# overrun). It was 8 s: on the province at 2,400 s, 225 repaired parts at 8 s or more each were most of a
# 51 % overrun, and a part's first plan (the repaired rule of thumb) takes well under 1 s
RETRY_MIN_SECONDS = 1.5  # a part without a plan may need a MIP for its first one: not less than this
RETRY_ATTEMPTS = 3  # repairs of a part without a plan, each with twice the least time of the last
MAP_WINDOW = 2  # tasks per worker handed to Dask at a time in a relaxation round (the next built as one ends)
MERGE_RESERVE = 0.1  # of the time limit, kept for merging (and the caller's check and writing)


# ---------------------------------------------------------------------------------------------------
# Partition and who reaches which part
# ---------------------------------------------------------------------------------------------------


def partition(scenario: Scenario, column: str) -> pd.Series:
    """The part label of every unit (indexed like ``scenario.units``), from the units column ``column``.

    Raises :class:`ValidationError` (exit 2) when the column is absent or blank for some unit, naming the
    column and the columns the units table has."""
    units = scenario.units
    origin = scenario.sources.get("units", "units")
    usable = [
        c
        for c in units.columns
        if c not in ("x_km", "y_km", "lat", "lon", "population", "party_capacity", "tags", "name")
        and units[c].astype(str).str.len().gt(0).any()
    ]
    if column not in units.columns:
        raise ValidationError(
            [
                Problem(
                    origin,
                    None,
                    column,
                    Msg("--decompose {column}: the units table has no column {column!r}", column=column),
                    hint=Msg("split by one of its columns: ") + ", ".join(usable),
                )
            ]
        )
    labels = units[column].fillna("").astype(str).str.strip()
    blank = np.flatnonzero(labels.to_numpy() == "")
    if len(blank):
        uid = units["unit_id"].astype(str).iloc[int(blank[0])]
        raise ValidationError(
            [
                Problem(
                    origin,
                    None,
                    column,
                    Msg(
                        "--decompose {column}: {n} unit(s) have no {column} (first {uid!r})",
                        column=column,
                        n=len(blank),
                        uid=uid,
                    ),
                    hint=Msg("fill the column for every unit, or split by another: ") + ", ".join(usable),
                )
            ]
        )
    return pd.Series(labels.to_numpy(), index=units.index, name=column)


def provider_parts(scenario: Scenario, part_code: np.ndarray, n_parts: int) -> dict[str, tuple[int, ...]]:
    """Provider id -> the parts (codes, sorted) holding a unit it may serve, by reach and earmarks, and then
    only the parts with a need in a category it serves (skills; a lot's kind, item and earmark): a
    volunteer, worker or lot counted in a part it cannot serve would only get a share there that it leaves
    idle, and a copy in that part's scenario. Organizations keep every part in reach (their programs and
    their own skills decide there).

    Reach as in :mod:`linkage_opt.model.reach`: explicit ``reach`` rows; else within ``max_km`` of the home unit
    (units without coordinates: ``reach.same_town_km`` within their town); lots by their unit and town
    earmarks; an organization also where its programs' ``eligible_units`` are."""
    from scipy.spatial import cKDTree

    from ..model.reach import build_providers

    cfg = scenario.config
    units = scenario.units
    uid = units["unit_id"].astype(str).to_numpy()
    pos = pd.Index(uid)
    town = units["town"].astype(str).to_numpy()
    xy = units[["x_km", "y_km"]].to_numpy(float)
    has_xy = np.isfinite(xy).all(axis=1)
    with_xy = np.flatnonzero(has_xy)
    tree = cKDTree(xy[with_xy]) if len(with_xy) else None
    no_xy_town: dict[str, set[int]] = {}
    for i in np.flatnonzero(~has_xy):
        no_xy_town.setdefault(town[i], set()).add(int(part_code[i]))
    town_parts: dict[str, set[int]] = {}
    for t, p in zip(town, part_code):
        town_parts.setdefault(t, set()).add(int(p))
    same_km = cfg.reach.same_town_km

    providers = build_providers(scenario)
    P = providers.frame
    explicit = {}
    if len(scenario.reach):
        r = scenario.reach
        codes = part_code[pos.get_indexer(r["unit_id"].astype(str))]
        for pid, grp in pd.Series(codes).groupby(r["provider_id"].astype(str).to_numpy()):
            explicit[pid] = tuple(sorted(set(int(c) for c in grp)))

    out: dict[str, tuple[int, ...]] = {}
    cache: dict[tuple[int, float], tuple[int, ...]] = {}

    def around(home: int, radius: float) -> tuple[int, ...]:
        key = (home, radius)
        if key not in cache:
            got = {int(part_code[home])}
            if has_xy[home] and tree is not None and np.isfinite(radius):
                idx = tree.query_ball_point(xy[home], radius + 1e-9)
                got.update(int(c) for c in np.unique(part_code[with_xy[idx]]))
            elif has_xy[home] and tree is not None:
                got.update(int(c) for c in np.unique(part_code[with_xy]))
            if same_km <= radius:  # units without coordinates are same_town_km from their town's units
                got.update(no_xy_town.get(town[home], ()))
                if not has_xy[home]:
                    got.update(town_parts.get(town[home], ()))
            cache[key] = tuple(sorted(got))
        return cache[key]

    everywhere = tuple(range(n_parts))
    for pid, kind, home, radius, e_unit, e_town in zip(
        P["provider_id"], P["kind"], P["home"], P["radius_km"], P["earmark_unit"], P["earmark_town"]
    ):
        if pid in explicit:
            out[pid] = explicit[pid]
        elif kind == "charity":
            if e_unit:
                out[pid] = (int(part_code[pos.get_loc(e_unit)]),)
            elif e_town:
                out[pid] = tuple(sorted(town_parts.get(e_town, ())))
            else:
                out[pid] = everywhere
        else:
            out[pid] = around(int(home), float(radius))
    pr = scenario.programs
    for org, eligible in zip(pr["org_id"].astype(str), pr["eligible_units"]):
        if len(eligible) and org in out and org not in explicit:
            extra = {int(part_code[pos.get_loc(u)]) for u in eligible if u in pos}
            out[org] = tuple(sorted(set(out[org]) | extra))
    return _serving_parts(scenario, providers, part_code, out)


def _serving_parts(
    scenario: Scenario, providers, part_code: np.ndarray, out: dict[str, tuple[int, ...]]
) -> dict[str, tuple[int, ...]]:
    """``out`` with each volunteer's, worker's and lot's parts narrowed to those with a need (of positive
    quantity) in a category it may serve (:func:`linkage_opt.model.reach.provider_categories`). A part where
    it serves no category has no row it could enter (direct service, program inputs and supervision are
    all per category), so the parts' optimum is unchanged; one that serves nowhere keeps its home part."""
    from ..model.reach import provider_categories

    nd = scenario.needs
    if not len(nd):
        return out
    unit_code = pd.Series(part_code, index=scenario.units["unit_id"].astype(str).to_numpy())
    q = pd.to_numeric(nd["quantity"], errors="coerce").fillna(0.0).to_numpy(float)
    codes = unit_code.reindex(nd["unit_id"].astype(str).to_numpy()).to_numpy()
    wanted = pd.DataFrame({"part": codes[q > 0], "category": nd["category"].astype(str).to_numpy()[q > 0]})
    n_parts = int(np.max(part_code)) + 1 if len(part_code) else 0
    has_need: dict[str, np.ndarray] = {}  # category -> which parts have a need in it
    for c, g in wanted.drop_duplicates().groupby("category")["part"]:
        mask = np.zeros(n_parts, bool)
        mask[g.to_numpy(np.int64)] = True
        has_need[c] = mask
    P = providers.frame
    pc = provider_categories(scenario, providers)
    ids = P["provider_id"].astype(str).to_numpy()
    cats_of: list[tuple] = [()] * len(P)
    if len(pc):
        for p_row, cats in pc.groupby("p", sort=False)["category"]:
            cats_of[int(p_row)] = tuple(sorted(cats))
    # one mask per distinct set of categories (a few hundred), never a set of parts per provider: a
    # province's 750,000 volunteers times its 1,429 town parts did not fit in 24 GB
    masks: dict[tuple, np.ndarray] = {}

    def serves(cats: tuple) -> np.ndarray:
        if cats not in masks:
            m = np.zeros(n_parts, bool)
            for c in cats:
                if c in has_need:
                    m |= has_need[c]
            masks[cats] = m
        return masks[cats]

    narrowed = dict(out)
    for p_row, (pid, kind, home) in enumerate(zip(ids, P["kind"].to_numpy(), P["home"].to_numpy())):
        if kind == "organization" or pid not in out:
            continue
        ok = serves(cats_of[p_row])
        mine = out[pid]
        keep = tuple(np.flatnonzero(ok).tolist()) if len(mine) == n_parts else tuple(c for c in mine if ok[c])
        if not keep:  # serves nowhere: listed in its home part (a lot: its first), where it stays idle
            own = int(part_code[int(home)]) if home >= 0 else -1
            keep = (own,) if own in out[pid] else out[pid][:1]
        narrowed[pid] = keep
    return narrowed


# ---------------------------------------------------------------------------------------------------
# Part scenarios (picklable: config + plain tables; the Scenario is rebuilt in the worker)
# ---------------------------------------------------------------------------------------------------


@dataclass
class PartTask:
    label: str
    config: object  # linkage_opt.inputs.config.Config
    tables: dict  # table name -> plain DataFrame
    share: float  # the part's share of the global weight (global coverage = share x part's)
    n_units: int
    n_shared: int = 0

    def scenario(self) -> Scenario:
        from ..inputs.load import validate_scenario

        return validate_scenario(Scenario(self.config, self.tables))


@dataclass
class PartTasks:
    """The parts' tasks, each built from the scenario when indexed (``tasks[p]``), not all held at once: the
    province's 1,429 town parts hold 20 million (provider, part) rows between them, most of the
    coordinator's 19 GB when they were built together. ``weight_shares``, ``n_needs`` and ``n_units`` are
    known without building a task."""

    names: list[str]
    build: Callable[[int], PartTask]
    weight_shares: np.ndarray  # PartTask.share of each part
    n_needs: np.ndarray  # need rows of each part
    n_units: np.ndarray  # units of each part (without the providers' home units it keeps)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, p: int) -> PartTask:
        return self.build(int(p))

    def __iter__(self):
        return (self.build(p) for p in range(len(self.names)))


def _scaled_config(cfg, part_needs: pd.DataFrame, q_global: dict[str, float], budget: float | None):
    """The config of a part: category weights times Q_part / Q_global of their unit of measure (so that the
    part's normalised weights are the global ones divided by the part's share), the budget its share."""
    q = pd.to_numeric(part_needs["quantity"], errors="coerce").fillna(0.0)
    uom = part_needs["category"].astype(str).map({c: s.unit for c, s in cfg.categories.items()})
    q_part = q.groupby(uom.to_numpy()).sum().to_dict() if len(q) else {}
    cats = {}
    for name, spec in cfg.categories.items():
        g, p = q_global.get(spec.unit, 0.0), q_part.get(spec.unit, 0.0)
        cats[name] = spec.model_copy(update={"weight": spec.weight * p / g}) if g > 0 and p > 0 else spec
    update = {"categories": cats}
    if budget is not None:
        rb = cfg.rules.budget
        update["rules"] = cfg.rules.model_copy(update={"budget": rb.model_copy(update={"amount": float(budget)})})
    return cfg.model_copy(update=update)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(frame).copy()


def part_tasks(
    scenario: Scenario,
    labels: pd.Series,
    parts: dict[str, tuple[int, ...]],
    names: list[str],
    capacity: dict[int, dict[str, float]] | None = None,
    budgets: dict[int, float] | None = None,
    owner: dict[str, int] | None = None,
    relax_fixed_costs: bool = False,
) -> PartTasks:
    """One :class:`PartTask` per part, each built when it is asked for (:class:`PartTasks`). ``capacity[p][provider_id]`` replaces that provider's capacity in part
    ``p`` (None: every provider at full capacity); a provider whose share there is 0 is left out of the part;
    ``owner[pid] = p`` gives a provider to part ``p`` alone; ``budgets[p]`` is the part's budget (None: the
    whole budget). ``relax_fixed_costs`` sets the fixed cost of every organization several parts may use to 0
    (the relaxation rounds: a global plan pays it once, each part would pay it again)."""
    from ..model.formulation import weighted_needs

    cfg = scenario.config
    units = scenario.units
    uid = units["unit_id"].astype(str).to_numpy()
    code = pd.Index(names).get_indexer(labels.to_numpy())
    weights = weighted_needs(scenario)
    nd = scenario.needs
    need_code = code[pd.Index(uid).get_indexer(nd["unit_id"].astype(str))]
    coef_by_part = pd.Series(weights["coef"].to_numpy()).groupby(need_code).sum()
    q_all = pd.to_numeric(nd["quantity"], errors="coerce").fillna(0.0)
    uom_all = nd["category"].astype(str).map({c: s.unit for c, s in cfg.categories.items()})
    q_global = q_all.groupby(uom_all.to_numpy()).sum().to_dict() if len(nd) else {}
    budget_on = cfg.rules.budget.enabled and cfg.rules.budget.amount is not None
    lapsed = set(lapsed_lots(scenario))
    owner = owner or {}
    shared_ids = {pid for pid, ps in parts.items() if len(ps) > 1}

    def rows_by_part(pid_col: pd.Series) -> dict[int, np.ndarray]:
        """Part -> positions of the rows of a provider table that part may use (numpy over the (row, part)
        pairs; a loop per pair took 29 s on the province)."""
        ids = pid_col.astype(str).to_numpy()
        where = [(owner[pid],) if pid in owner else parts.get(pid, ()) for pid in ids]
        counts = np.fromiter((len(t) for t in where), np.int64, len(where))
        n = int(counts.sum())
        part = np.fromiter((p for t in where for p in t), np.int64, n)
        row = np.repeat(np.arange(len(ids), dtype=np.int64), counts)
        if capacity is not None:  # no share of it there: that part cannot use it
            none: dict[str, float] = {}
            share = np.fromiter(
                (capacity.get(p, none).get(pid, 1.0) for pid, t in zip(ids, where) for p in t), float, n
            )
            part, row = part[share > 0.0], row[share > 0.0]
        order = np.argsort(part, kind="stable")
        part, row = part[order], row[order]
        cut = np.flatnonzero(np.diff(part)) + 1
        return {int(ps[0]): rs for ps, rs in zip(np.split(part, cut), np.split(row, cut)) if len(ps)}

    c_all = scenario.charity[~scenario.charity["lot_id"].astype(str).isin(lapsed)]
    index = {
        "volunteers": rows_by_part(scenario.volunteers["volunteer_id"]),
        "social_workers": rows_by_part(scenario.social_workers["worker_id"]),
        "organizations": rows_by_part(scenario.organizations["org_id"]),
        "charity": rows_by_part(c_all["lot_id"]),
    }
    none = np.zeros(0, np.int64)
    unit_pos = pd.Index(uid)
    need_part = code[unit_pos.get_indexer(nd["unit_id"].astype(str))]
    needs_by_part = (
        pd.Series(np.arange(len(nd))).groupby(need_part).apply(lambda s: s.to_numpy()).to_dict() if len(nd) else {}
    )

    def build(p: int) -> PartTask:
        name = names[p]
        in_part = code == p
        caps = (capacity or {}).get(p, {})
        tables: dict[str, pd.DataFrame] = {}
        v = scenario.volunteers.iloc[index["volunteers"].get(p, none)]
        w = scenario.social_workers.iloc[index["social_workers"].get(p, none)]
        o = scenario.organizations.iloc[index["organizations"].get(p, none)]
        c = c_all.iloc[index["charity"].get(p, none)]
        homes = set(v["home_unit"].astype(str)) | set(w["base_unit"].astype(str)) | set(o["base_unit"].astype(str))
        keep_units = in_part.copy()
        keep_units[unit_pos.get_indexer(list(homes))] = True
        part_ids = set(uid[in_part])
        tables["units"] = _plain(units[keep_units])
        tables["needs"] = _plain(nd.iloc[needs_by_part.get(p, none)])

        def with_caps(frame: pd.DataFrame, id_col: str, cap_col: str, caps: dict = caps) -> pd.DataFrame:
            frame = _plain(frame)
            if caps and len(frame):
                ids = frame[id_col].astype(str).to_numpy(object)
                new = np.fromiter((caps.get(i, np.nan) for i in ids), float, len(frame))
                frame[cap_col] = np.where(np.isnan(new), frame[cap_col].to_numpy(float), new)
            return frame

        tables["volunteers"] = with_caps(v, "volunteer_id", "hours")
        w = with_caps(w, "worker_id", "hours")
        org_ids = set(o["org_id"].astype(str))
        if len(w):
            w["org_id"] = [x if x in org_ids else "" for x in w["org_id"].fillna("").astype(str)]
        tables["social_workers"] = w
        o = with_caps(o, "org_id", "capacity")
        if relax_fixed_costs and len(o):
            several = np.array([len(parts.get(x, ())) > 1 for x in o["org_id"].astype(str)], bool)
            o["fixed_cost"] = np.where(several, 0.0, o["fixed_cost"].to_numpy(float))
        tables["organizations"] = o
        pr = scenario.programs
        pr = _plain(pr[pr["org_id"].astype(str).isin(org_ids)])
        if len(pr):
            elig = [tuple(u for u in e if u in part_ids) for e in pr["eligible_units"]]
            drop = np.array([len(e0) > 0 and len(e1) == 0 for e0, e1 in zip(pr["eligible_units"], elig)], bool)
            pr["eligible_units"] = elig
            pr = pr[~drop]
        tables["programs"] = pr
        tables["charity"] = with_caps(c, "lot_id", "quantity")
        r = scenario.reach
        included = (
            set(tables["volunteers"]["volunteer_id"].astype(str))
            | set(w["worker_id"].astype(str))
            | org_ids
            | set(tables["charity"]["lot_id"].astype(str))
        )
        tables["reach"] = _plain(
            r[r["provider_id"].astype(str).isin(included) & r["unit_id"].astype(str).isin(part_ids)]
        )
        budget = None
        if budget_on:
            budget = cfg.rules.budget.amount if budgets is None else budgets.get(p, 0.0)
        n_shared = len(included & shared_ids)
        return PartTask(
            name,
            _scaled_config(cfg, tables["needs"], q_global, budget),
            tables,
            float(coef_by_part.get(p, 0.0)),
            int(in_part.sum()),
            n_shared,
        )

    return PartTasks(
        list(names),
        build,
        np.array([float(coef_by_part.get(p, 0.0)) for p in range(len(names))], float),
        np.array([len(needs_by_part.get(p, none)) for p in range(len(names))], np.int64),
        np.bincount(code[code >= 0], minlength=len(names)).astype(np.int64),
    )


# ---------------------------------------------------------------------------------------------------
# The tasks (run in Dask workers)
# ---------------------------------------------------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def unsolved_relaxation(label: str, share: float, n_needs: int) -> dict:
    """A part's relaxation result before (or without) its LP: its trivial bound, its weight share ``share``
    (0 for a part without needs, status ``no_needs``), no uses and no money."""
    out = {"label": label, "bound": 1.0, "value": share, "use": {}, "score": {}, "money": 0.0, "status": "not_solved"}
    if not n_needs:
        out.update(bound=0.0, value=0.0, status="no_needs")
    return out


def relax_part(
    task: PartTask,
    time_limit: float | None = None,
    seed: int = 0,
    prices: dict | None = None,
    budget_price: float = 0.0,
    rhs: dict[str, float] | None = None,
    budget_rhs: float | None = None,
    end: float | None = None,
) -> dict:
    """Step 1 for one part: the coverage stage's LP relaxation with full shared capacities, each shared
    resource's use priced at ``prices[provider_id]`` (global coverage per hour, yuan or item) and money at
    ``budget_price`` (coverage per yuan): ``max share * coverage - prices . use - budget_price * money``.

    Returns ``value`` (that maximum, in global coverage units: with the prices times the capacities added
    over all parts it bounds the global weighted coverage), ``bound`` (the part's coverage at that LP
    solution, in the part's weights), what each provider would use (class use split over members by
    capacity), engagement values and money.

    With ``rhs`` (member id -> share) the model keeps the structure of the full capacities (variable bounds,
    candidate carriers) and only the right-hand sides of those members' class capacity rows become the sums
    of their shares (``budget_rhs``: the budget row's); this is the value function ``G_part(shares)`` of
    :func:`value_function_bound`, and ``duals`` (member id -> marginal value of one unit of its capacity, in
    global coverage) are its supergradient. ``end`` (a ``time.time()`` instant, the round's deadline: the
    clock of the machine the task runs on) caps ``time_limit``; a part whose LP is not solved by then counts
    with its trivial bound, its share."""
    from ..model.formulation import build
    from ..solvers import SolverOptions, Status, get_backend, with_feature

    t0 = time.perf_counter()
    out = unsolved_relaxation(task.label, task.share, len(task.tables["needs"]))
    if not len(task.tables["needs"]):
        out.update(seconds=time.perf_counter() - t0, peak_mb=_peak_mb(), pid=os.getpid())
        return out
    if end is not None:
        left = end - time.time()
        time_limit = left if time_limit is None else min(time_limit, left)
    if time_limit is not None and time_limit <= 0.0:
        out.update(status="no_time_left", seconds=time.perf_counter() - t0, peak_mb=_peak_mb(), pid=os.getpid())
        return out
    lp_end = None if time_limit is None else time.monotonic() + time_limit
    sc = task.scenario()
    form = build(sc)
    term = form.terms["coverage"]
    m = form.model
    P = form.providers
    c = term.c.astype(float).copy()
    share = max(task.share, 1e-300)
    z_ids = form.var("z_org").ids if form.has("z_org") and form.var("z_org").size else np.zeros(0, np.int64)
    if prices or budget_price:
        priced = np.zeros(m.n_cols)
        if prices and "capacity" in m.row_blocks and m.row_blocks["capacity"].size:
            rows = m.row_blocks["capacity"]
            mu = np.zeros(rows.size)
            for j, p in enumerate(rows.index["p"].to_numpy()):
                ms, caps = P["members"].iloc[p], np.asarray(P["member_caps"].iloc[p], float)
                tot = caps.sum()
                if tot > 0:
                    mu[j] = sum(prices.get(mid, 0.0) * cap for mid, cap in zip(ms, caps)) / tot
            priced += m.matrix()[rows.ids].T @ mu
        priced[z_ids] = 0.0
        priced += budget_price * form.col_money
        c -= priced / share
    problem = stage_problem(form, c, "max", term.offset, [], sc.config.objective.tolerance)
    lp = dataclasses.replace(problem, integrality=np.zeros_like(problem.integrality))
    if rhs is not None or budget_rhs is not None:
        hi = np.array(lp.row_hi, float, copy=True)
        if rhs and "capacity" in m.row_blocks and m.row_blocks["capacity"].size:
            rows = m.row_blocks["capacity"]
            for rid, p in zip(rows.ids, rows.index["p"].to_numpy()):
                ms = P["members"].iloc[p]
                if any(mid in rhs for mid in ms):
                    caps = P["member_caps"].iloc[p]
                    hi[rid] = float(sum(rhs.get(mid, cap) for mid, cap in zip(ms, caps)))
        if budget_rhs is not None and BUDGET_ROWS in m.row_blocks and m.row_blocks[BUDGET_ROWS].size:
            hi[m.row_blocks[BUDGET_ROWS].ids[0]] = float(budget_rhs)
        lp = dataclasses.replace(lp, row_hi=hi)
    # without the per-edge linking rows, as LP rounding's LP (a relaxation: its value still bounds the part,
    # so the coordinating LP's bound holds; about a third faster on the realistic district)
    lp, links, dropped = without_linking_rows(form, lp)
    keep = np.ones(m.n_rows, bool)
    for name in dropped:
        keep[m.row_blocks[name].ids] = False
    row_at = np.cumsum(keep) - 1  # a model row's position in the LP (for the rows kept)
    # fast vertex LP relaxations (interior point with crossover): asked for as a feature, not a backend's name
    backend = get_backend(with_feature("lp_rounding"))
    res = backend.solve(lp, SolverOptions(threads=1, seed=seed, lp_method="ipm", deadline=lp_end))
    if res.status == Status.OPTIMAL and res.x is not None:
        x = lift_links(np.asarray(res.x, float), links, lp.col_hi)
        out["bound"] = min(1.0, float(term.value(x)))
        out["value"] = share * float(res.objective)
        out["status"] = "optimal"
        xz = x.copy()
        if form.has("z_org") and form.var("z_org").size:
            z = form.var("z_org")
            xz[z.ids] = 0.0
            for p, val in zip(z.index["p"].to_numpy(), x[z.ids]):
                out["score"][str(P["provider_id"].iloc[p])] = float(val)
        if "capacity" in m.row_blocks and m.row_blocks["capacity"].size:
            rows = m.row_blocks["capacity"]
            act = m.matrix()[rows.ids] @ xz
            for p, a in zip(rows.index["p"].to_numpy(), act):
                ms, caps = P["members"].iloc[p], np.asarray(P["member_caps"].iloc[p], float)
                tot = caps.sum()
                for mid, cap in zip(ms, caps):
                    out["use"][mid] = max(0.0, float(a) * (cap / tot if tot > 0 else 1.0 / len(ms)))
        out["money"] = float(form.col_money @ x)
        out["duals"], out["budget_dual"] = {}, 0.0
        if res.row_duals is not None:  # marginal values, in global coverage per unit of capacity / per yuan
            if "capacity" in m.row_blocks and m.row_blocks["capacity"].size:
                rows = m.row_blocks["capacity"]
                for p, dv in zip(rows.index["p"].to_numpy(), res.row_duals[row_at[rows.ids]]):
                    if abs(dv) > 0:
                        for mid in P["members"].iloc[p]:
                            out["duals"][mid] = abs(float(dv)) * share
            if BUDGET_ROWS in m.row_blocks and m.row_blocks[BUDGET_ROWS].size:
                out["budget_dual"] = abs(float(res.row_duals[row_at[m.row_blocks[BUDGET_ROWS].ids[0]]])) * share
    else:
        out["status"] = res.status.value
    out.update(
        seconds=time.perf_counter() - t0,
        peak_mb=_peak_mb(),
        pid=os.getpid(),
        columns=int(form.model.n_cols),
        rows=int(form.model.n_rows),
    )
    return out


def part_weight(n_needs: int) -> float:
    """How much of the solve time a part with ``n_needs`` need rows gets, relative to the others (0 without
    needs)."""
    return float(max(1, n_needs)) if n_needs else 0.0


def part_seconds(
    weight: float,
    pending_weight: float,
    now: float,
    end: float | None,
    running_ends: list[float],
    n_workers: int,
    fixed: float | None = None,
    floor: float = MIN_PART_SECONDS,
    pending_count: int = 1,
) -> float | None:
    """The time a part gets when it is handed to a worker at ``now`` (``time.monotonic()``): ``fixed`` when
    given; otherwise its share (``weight`` of the ``pending_weight`` of the parts not yet handed out, itself
    included) of the worker time left until ``end`` -- ``n_workers x (end - now)`` less what the parts
    running until ``running_ends`` still hold -- at most ``end - now`` and at least ``floor``; None
    without an ``end``. When the ``pending_count`` parts not yet handed out (more than there are workers)
    cannot all have ``floor`` in that worker time, the floor is their equal share of it, at least ``MIN_PART_SECONDS_TIGHT``: the
    small parts then take a little less rather than all of them running past ``end`` (the realistic
    city's 95 town parts at 3 s each ended 14 s after it). Computed at hand-over, a part that finishes
    early leaves its time to those after it, and one that overran cannot push the others past ``end``."""
    if fixed is not None or end is None:
        return fixed
    left = end - now
    held = sum(max(0.0, e - now) for e in running_ends)
    pool = max(0.0, n_workers * left - held)
    share = pool * weight / pending_weight if pending_weight > 0 else left
    if pending_count > n_workers:  # the parts would queue past the end, each overrun adding to the next
        floor = min(floor, max(MIN_PART_SECONDS_TIGHT, pool / pending_count))
    return float(max(floor, min(left, share)))


def _solve_job(job: tuple, options: dict) -> dict:
    task, end = job
    return solve_part(task, options, end)


def solve_part(task: PartTask, options: dict, end: float | None = None) -> dict:
    """Step 3 for one part: the ordinary lexicographic solve of the part's scenario, done by ``end`` (a
    ``time.time()`` instant on the machine the task runs on; None: ``options["time_limit"]`` for the solve
    alone). Validation counts against it; the solve gets (1 - PART_TABLES_SHARE) of what is left, the rest
    being for the plan's tables, whose dispatch pass stops by ``end`` (exact amounts kept)."""
    from ..errors import InfeasibleError, SolverError

    t0 = time.perf_counter()
    part_end = None if end is None else time.monotonic() + (end - time.time())
    base = {
        "label": task.label,
        "pid": os.getpid(),
        "volunteers": int(len(task.tables["volunteers"])),
        "shared_providers": task.n_shared,
    }
    if not len(task.tables["needs"]):
        return {
            **base,
            "status": "no_needs",
            "tables": None,
            "summary": None,
            "seconds": time.perf_counter() - t0,
            "peak_mb": _peak_mb(),
        }
    try:
        sc = task.scenario()
        if part_end is not None:
            left = max(0.0, part_end - time.monotonic())
            options = {**options, "time_limit": max(0.1, (1.0 - PART_TABLES_SHARE) * left), "tables_deadline": part_end}
        t1 = time.perf_counter()
        plan = solve_monolithic(sc, **options)
        t2 = time.perf_counter()
        tables = dict(plan.tables())
        prov = tables["providers"]  # the merge sums what each provider gave; the idle ones add nothing
        busy = (prov["used"].to_numpy(float) > 0) | (prov["fixed_cost"].fillna(0.0).to_numpy(float) > 0)
        tables["providers"] = prov[busy].reset_index(drop=True)
    except (InfeasibleError, SolverError) as exc:
        return {
            **base,
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "tables": None,
            "summary": None,
            "seconds": time.perf_counter() - t0,
            "peak_mb": _peak_mb(),
        }
    seconds = time.perf_counter() - t0
    timings = {
        "validate_s": round(t1 - t0, 3),
        "solve_s": round(t2 - t1, 3),
        "given_s": None if part_end is None else round(part_end - time.monotonic() + seconds, 3),
        "late_s": None if part_end is None else round(time.monotonic() - part_end, 3),
    }
    return {
        **base,
        "status": plan.status,
        "tables": tables,
        "summary": plan.summary,
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "timings": timings,
    }


def run_parts(
    runner,
    tasks: PartTasks,
    order: list[int],
    options: dict,
    end: float | None,
    fixed: float | None = None,
    floor: float = MIN_PART_SECONDS,
) -> tuple[list[dict], list[float | None]]:
    """Solve ``tasks`` in ``order`` on the runner's workers, each part handed over when a worker is free with
    the time :func:`part_seconds` gives it then (``end``: the ``time.monotonic()`` instant by which all must
    be done; ``fixed``: every part that long). Returns the results and the seconds each part was given."""
    weights = {i: part_weight(int(tasks.n_needs[i])) for i in order}
    pending = list(order)
    given: list[float | None] = [None] * len(tasks)
    running: dict = {}

    def job(i: int) -> tuple:
        now = time.monotonic()
        secs = part_seconds(
            weights[i],
            sum(weights[j] for j in pending),
            now,
            end,
            list(running.values()),
            runner.n_workers,
            fixed,
            floor,
            len(pending),
        )
        given[i] = secs
        if secs is not None:
            running[i] = now + secs
        return (tasks[i], None if secs is None else time.time() + secs)

    out: list = [None] * len(tasks)

    def done(i: int, r: dict) -> None:
        out[i] = r
        running.pop(i, None)

    runner.feed(_solve_job, pending, job, done, options)
    return out, given


# ---------------------------------------------------------------------------------------------------
# Coordination: shares of the shared resources
# ---------------------------------------------------------------------------------------------------


def _shared_members(scenario: Scenario, parts: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """Provider id -> its parts, for the providers with a finite, positive capacity that several parts may
    use: the coupling capacity rows."""
    cap = _capacities(scenario)
    return {
        pid: ps
        for pid, ps in parts.items()
        if len(ps) > 1 and np.isfinite(cap.get(pid, np.inf)) and cap.get(pid, 0.0) > 0
    }


@dataclass
class Cut:
    """A supergradient cut of one part's LP value function from one round at shares:
    ``G_p(t, b) <= value + sum_r dual_r (t_r - share_r) + budget_dual (b - budget)``, in global coverage."""

    part: int
    value: float
    duals: dict[str, float]
    shares: dict[str, float]
    budget_dual: float = 0.0
    budget: float = 0.0


def master_bound(
    cuts: list[Cut],
    full_value: list[float],
    shared: dict[str, tuple[int, ...]],
    cap: dict[str, float],
    budget: float | None,
) -> tuple[float, dict[int, dict[str, float]], list[float] | None]:
    """The coordinating LP: ``max sum_p v_p`` over shares ``t`` of the shared capacities (``sum_p t_rp <=
    cap_r``) and of the budget, with ``v_p`` at most part ``p``'s full-capacity LP value and at most every cut
    of part ``p``. Each ``G_p`` is concave and lies below its cuts and its full-capacity value, and a global
    plan restricted to part ``p`` is feasible for ``G_p`` at its own uses, so the optimum is an **upper
    bound on the global weighted coverage** (that of the LP and so of the MIP); with more cuts it tends to
    the global LP's optimum (Kelley's cutting planes on the resource-directive master). Returns that bound
    (at most 1), the master's shares of the rows that some cut prices (part -> provider id -> share) and its
    budget shares (None without a budget row)."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    n = len(full_value)
    priced = sorted({pid for c in cuts for pid, y in c.duals.items() if y > 0 and pid in shared})
    pairs = [(pid, p) for pid in priced for p in shared[pid]]
    col = {pr: i for i, pr in enumerate(pairs)}
    nb = n if budget is not None else 0
    n_t, v0 = len(pairs), len(pairs) + nb
    nv = v0 + n
    rows, cols, vals, rhs = [], [], [], []
    r = 0
    for pid in priced:  # sum_p t_rp <= cap_r
        for p in shared[pid]:
            rows.append(r)
            cols.append(col[(pid, p)])
            vals.append(1.0)
        rhs.append(cap[pid])
        r += 1
    if nb:  # sum_p b_p <= budget
        rows += [r] * n
        cols += list(range(n_t, n_t + n))
        vals += [1.0] * n
        rhs.append(float(budget))
        r += 1
    for c in cuts:  # v_p - y . t_p - y_B b_p <= value - y . s - y_B s_B
        const = c.value
        rows.append(r)
        cols.append(v0 + c.part)
        vals.append(1.0)
        for pid, y in c.duals.items():
            if y > 0 and (pid, c.part) in col:
                rows.append(r)
                cols.append(col[(pid, c.part)])
                vals.append(-y)
                const -= y * c.shares.get(pid, 0.0)
        if nb and c.budget_dual > 0:
            rows.append(r)
            cols.append(n_t + c.part)
            vals.append(-c.budget_dual)
            const -= c.budget_dual * c.budget
        rhs.append(const)
        r += 1
    A = coo_matrix((vals, (rows, cols)), shape=(r, nv)).tocsr()
    obj = np.zeros(nv)
    obj[v0:] = -1.0
    bounds = (
        [(0.0, cap[pid]) for pid, _ in pairs]
        + [(0.0, float(budget or 0.0))] * nb
        + [(None, float(f)) for f in full_value]
    )
    res = linprog(obj, A_ub=A, b_ub=np.asarray(rhs, float), bounds=bounds, method="highs")
    if res.status != 0 or res.x is None:
        return min(1.0, float(sum(full_value))), {}, None
    x = res.x
    shares: dict[int, dict[str, float]] = {}
    for (pid, p), v in zip(pairs, x[:n_t]):
        shares.setdefault(p, {})[pid] = float(max(0.0, v))
    bud = [float(max(0.0, v)) for v in x[n_t : n_t + nb]] if nb else None
    return float(min(1.0, -res.fun)), shares, bud


def share_rounds(
    runner,
    full: list[PartTask],
    scenario: Scenario,
    parts: dict[str, tuple[int, ...]],
    rounds: int | None,
    end: float | None,
    lp_limit: float | None,
    seed: int,
    say: Callable[[str], None],
    round0_end: float | None = None,
) -> tuple[list[dict], list[dict], dict]:
    """Step 1: the parts' coverage-stage LPs, first at full capacities (what each part would use, and its
    most), then in rounds at shares of the shared capacities and the budget. Every round adds one cut per
    solved part to the coordinating LP (:func:`master_bound`), whose optimum is the global bound and whose
    shares, averaged with the last round's, are the next round's. Returns the full-capacity round, the
    final shares as relaxation-like results (``use``: the share, ``money``: the budget share) for
    :func:`coordinate`, and a report with each round's bound."""
    cfg = scenario.config
    cap = _capacities(scenario)
    shared = _shared_members(scenario, parts)
    budget = (
        float(cfg.rules.budget.amount) if cfg.rules.budget.enabled and cfg.rules.budget.amount is not None else None
    )
    n = len(full)
    n_rounds = 2 if rounds is None else max(0, int(rounds))
    t0 = time.monotonic()
    first = runner.map(_relax_job, full, lp_limit, seed, _wall(round0_end), until=round0_end)
    for p, r in enumerate(first):  # not handed over by round 0's deadline: not solved
        if r is None:
            first[p] = {
                **unsolved_relaxation(full.names[p], float(full.weight_shares[p]), int(full.n_needs[p])),
                "seconds": 0.0,
                "peak_mb": 0.0,
                "pid": None,
            }
    took = time.monotonic() - t0
    times = [[r["seconds"] for r in first]]
    peaks: dict[int, float] = {}
    solved = [r["status"] in ("optimal", "no_needs") for r in first]
    full_value = [r["value"] if ok else float(w) for r, w, ok in zip(first, full.weight_shares, solved)]
    estimated = estimate_unsolved(first, full, shared, cap, budget)
    cuts: list[Cut] = []

    def add_cuts(res: list[dict], shares: list[dict[str, float]] | None, budgets: list[float] | None) -> None:
        for p, r in enumerate(res):
            if r["pid"] is not None:
                peaks[r["pid"]] = max(peaks.get(r["pid"], 0.0), r["peak_mb"])
            if r["status"] != "optimal":
                continue
            duals = {pid: y for pid, y in r.get("duals", {}).items() if pid in shared}
            sh = {pid: (cap[pid] if shares is None else shares[p].get(pid, 0.0)) for pid in duals}
            b = (budget or 0.0) if budgets is None else budgets[p]
            cuts.append(Cut(p, r["value"], duals, sh, r.get("budget_dual", 0.0), b))

    add_cuts(first, None, None)
    t1 = time.monotonic()
    bound, best_t, best_b = master_bound(cuts, full_value, shared, cap, budget)
    history: list[dict] = [
        {
            "round": 0,
            "kind": "full capacities",
            "bound": bound,
            "seconds": round(took, 3),
            "master_s": round(time.monotonic() - t1, 3),
            "cuts": len(cuts),
            "not_solved": sum(not ok for ok in solved),
            "uses_estimated": estimated,
        }
    ]
    best, best_round = bound, 0
    shares: list[dict[str, float]] = [{} for _ in range(n)]
    for p, got in enumerate(split_capacities(shared, cap, [r["use"] for r in first])):
        shares[p].update(got)
    budgets = None
    if budget is not None:
        got = split_capacity(budget, {p: first[p]["money"] for p in range(n)})
        budgets = [got[p] for p in range(n)]
    uses = [r["use"] for r in first]
    for k in range(1, n_rounds + 1):
        if k > 1:  # the next shares: half the master's (for the rows some cut prices), half the last ones
            for pid, ps in shared.items():
                if any(pid in best_t.get(p, {}) for p in ps):
                    mix = {p: 0.5 * shares[p].get(pid, 0.0) + 0.5 * best_t.get(p, {}).get(pid, 0.0) for p in ps}
                    got = split_capacity(cap[pid], mix)
                else:
                    got = split_capacity(cap[pid], {p: uses[p].get(pid, 0.0) for p in ps})
                for p, v in got.items():
                    shares[p][pid] = v
            if budgets is not None and best_b is not None and budget is not None:
                got = split_capacity(budget, {p: 0.5 * budgets[p] + 0.5 * best_b[p] for p in range(n)})
                budgets = [got[p] for p in range(n)]
        if end is not None and time.monotonic() + took > end:
            break
        say(f"relaxation round {k + 1} (at shares)")
        t0 = time.monotonic()
        res = runner.map(
            _shares_job,
            _Lazy(n, lambda p, b=budgets: (full[p], shares[p], None if b is None else b[p])),
            lp_limit,
            seed,
            _wall(end),
        )
        took = time.monotonic() - t0
        times.append([r["seconds"] for r in res])
        add_cuts(res, shares, budgets)
        uses = [r["use"] if r["status"] == "optimal" else uses[p] for p, r in enumerate(res)]
        t1 = time.monotonic()
        bound, best_t, best_b = master_bound(cuts, full_value, shared, cap, budget)
        if bound < best:
            best, best_round = bound, k
        history.append(
            {
                "round": k,
                "kind": "shares",
                "bound": bound,
                "seconds": round(took, 3),
                "master_s": round(time.monotonic() - t1, 3),
                "cuts": len(cuts),
                "at_shares_lp": round(sum(r["value"] for r in res if r["status"] in ("optimal", "no_needs")), 6),
                "not_solved": sum(r["status"] not in ("optimal", "no_needs") for r in res),
            }
        )
    split = [
        {**first[p], "use": shares[p], "score": {}, "money": 0.0 if budgets is None else budgets[p]} for p in range(n)
    ]
    report = {
        "bound": float(best),
        "best_round": best_round,
        "rounds": history,
        "task_seconds": times,
        "peaks": peaks,
        "shared_capacity_rows": len(shared),
        "budget_row": budget is not None,
    }
    return first, split, report


def estimate_unsolved(
    first: list[dict],
    full: PartTasks,
    shared: dict[str, tuple[int, ...]],
    cap: dict[str, float],
    budget: float | None,
) -> int:
    """Give the round-0 results of the parts whose LP was not solved (round 0's deadline passed first) an
    estimated use, in place, and return how many: of each shared provider, its capacity split over the
    parts that may use it by their weights (``PartTask.share``); of money, the solved parts' money per
    weight times the part's weight (the budget by weight when no part was solved).

    Without an estimate such a part used nothing, so it got no share of any shared provider and no
    budget, and its guarantees had nothing to be met with: on the province at 2,400 s (round 0 stopped
    at its deadline) 225 of 1,429 parts found no plan and were solved again, most of a 51 % overrun."""
    todo = [p for p, r in enumerate(first) if r["status"] not in ("optimal", "no_needs")]
    if not todo:
        return 0
    w = np.maximum(np.asarray(full.weight_shares, float), 0.0)
    unsolved = set(todo)
    for p in todo:
        first[p] = {**first[p], "use": {}, "estimated": True}
    for pid, ps in shared.items():
        mine = [p for p in ps if p in unsolved]
        if mine:
            tot = float(w[list(ps)].sum())
            for p in mine:
                first[p]["use"][pid] = cap[pid] * (w[p] / tot if tot > 0 else 1.0 / len(ps))
    ok = [p for p, r in enumerate(first) if r["status"] == "optimal"]
    w_ok = float(w[ok].sum()) if ok else 0.0
    if ok and w_ok > 0:
        per_weight = sum(float(first[p]["money"]) for p in ok) / w_ok
    else:
        per_weight = (budget or 0.0) / max(float(w.sum()), 1e-300)
    for p in todo:
        first[p]["money"] = per_weight * float(w[p])
    return len(todo)


def _shares_job(job: tuple, lp_limit: float | None, seed: int, end: float | None = None) -> dict:
    task, rhs, budget_rhs = job
    return relax_part(task, lp_limit, seed, rhs=rhs, budget_rhs=budget_rhs, end=end)


def _relax_job(task: PartTask, lp_limit: float | None, seed: int, end: float | None = None) -> dict:
    return relax_part(task, lp_limit, seed, end=end)


def _wall(end: float | None) -> float | None:
    """A ``time.monotonic()`` instant as a ``time.time()`` one (what a task on another machine can use)."""
    return None if end is None else time.time() + (end - time.monotonic())


def split_capacity(total: float, uses: dict[int, float], integral: bool = False) -> dict[int, float]:
    """``total`` divided among the parts of ``uses`` (part -> what its relaxation would use): in proportion to
    the uses when they exceed ``total``; otherwise each gets its use and the slack is shared equally. Rounded
    down to :data:`SHARE_RESOLUTION` (whole numbers with ``integral``, largest remainders first), so that the
    shares never add up to more than ``total``."""
    parts = sorted(uses)
    if not parts:
        return {}
    u = np.array([max(0.0, uses[p]) for p in parts], float)
    s = u.sum()
    if not np.isfinite(total):
        return {p: total for p in parts}
    if s > total:
        raw = total * u / s
    else:
        raw = u + (total - s) / len(parts)
    if integral:
        base = np.floor(raw + 1e-9)
        left = int(round(math.floor(total + 1e-9) - base.sum()))
        order = np.argsort(-(raw - base), kind="stable")
        for i in order[: max(0, left)]:
            base[i] += 1
        raw = base
    else:
        raw = np.floor(raw / SHARE_RESOLUTION) * SHARE_RESOLUTION
        while raw.sum() > total and raw.max() > 0:  # float noise
            raw[np.argmax(raw)] -= SHARE_RESOLUTION
        raw = np.maximum(raw, 0.0)
    return {p: float(v) for p, v in zip(parts, raw)}


def split_capacities(
    members: dict[str, tuple[int, ...]],
    cap: dict[str, float],
    uses: list[dict[str, float]],
    integral: set[str] | frozenset = frozenset(),
) -> list[dict[str, float]]:
    """:func:`split_capacity` for every provider of ``members`` (provider id -> its parts, sorted) at once:
    part -> provider id -> its share, by the uses ``uses[part][provider id]``. The same shares as one call per
    provider (up to a last SHARE_RESOLUTION where float sums differ), in numpy over all (provider, part)
    pairs: the province's 560,000 shared providers took 58 s one by one. Providers in ``integral`` with a
    whole-number capacity get whole shares (one by one: organizations, a few thousand at most)."""
    out: list[dict[str, float]] = [{} for _ in range(len(uses))]
    ids = [pid for pid in members if np.isfinite(cap.get(pid, np.inf))]
    whole = [pid for pid in ids if pid in integral and float(cap[pid]).is_integer()]
    for pid in whole:
        for p, v in split_capacity(cap[pid], {p: uses[p].get(pid, 0.0) for p in members[pid]}, True).items():
            out[p][pid] = v
    ids = [pid for pid in ids if not (pid in integral and float(cap[pid]).is_integer())]
    if not ids:
        return out
    counts = np.fromiter((len(members[pid]) for pid in ids), np.int64, len(ids))
    n = int(counts.sum())
    part = np.fromiter((p for pid in ids for p in members[pid]), np.int64, n)
    provider = np.repeat(np.arange(len(ids)), counts)
    u = np.fromiter((uses[p].get(pid, 0.0) for pid in ids for p in members[pid]), float, n)
    u = np.maximum(u, 0.0)
    total = np.fromiter((cap[pid] for pid in ids), float, len(ids))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    s = np.add.reduceat(u, starts)
    t, k = total[provider], counts[provider]
    over = (s > total)[provider]
    raw = np.where(over, t * u / np.where(s > 0, s, 1.0)[provider], u + (t - s[provider]) / k)
    raw = np.floor(raw / SHARE_RESOLUTION) * SHARE_RESOLUTION
    for g in np.flatnonzero(np.add.reduceat(raw, starts) > total):  # float noise, as in split_capacity
        seg = raw[starts[g] : starts[g] + counts[g]]
        while seg.sum() > total[g] and seg.max() > 0:
            seg[np.argmax(seg)] -= SHARE_RESOLUTION
    raw = np.maximum(raw, 0.0)
    pids = np.asarray(ids, object)[provider]
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(len(uses) + 1))
    for p in range(len(uses)):
        sel = order[bounds[p] : bounds[p + 1]]
        if len(sel):
            out[p].update(zip(pids[sel].tolist(), raw[sel].tolist()))
    return out


def coordinate(
    scenario: Scenario, parts: dict[str, tuple[int, ...]], relaxed: list[dict]
) -> tuple[dict[int, dict[str, float]], dict[int, float] | None, dict[str, int], dict]:
    """Shares (part -> provider id -> capacity), budgets per part, whole assignments, and a report."""
    cfg = scenario.config
    cap: dict[str, float] = {}
    whole: set[str] = set()
    integral: set[str] = set()
    v, w, o, c = scenario.volunteers, scenario.social_workers, scenario.organizations, scenario.charity
    cap.update(zip(v["volunteer_id"].astype(str), v["hours"].astype(float)))
    cap.update(zip(w["worker_id"].astype(str), w["hours"].astype(float)))
    cap.update(zip(o["org_id"].astype(str), o["capacity"].astype(float).fillna(np.inf)))
    cap.update(zip(c["lot_id"].astype(str), c["quantity"].astype(float)))
    whole.update(o.loc[o["fixed_cost"].fillna(0.0).to_numpy(float) > 0, "org_id"].astype(str))
    whole.update(w.loc[w["max_units"].notna().to_numpy(), "worker_id"].astype(str))
    integral.update(o["org_id"].astype(str))
    uses = [r["use"] for r in relaxed]
    scores = [r["score"] for r in relaxed]
    owner: dict[str, int] = {}
    split: dict[str, tuple[int, ...]] = {}
    for pid, ps in parts.items():
        if len(ps) < 2:
            continue
        if pid in whole:
            best = max(ps, key=lambda p: (uses[p].get(pid, 0.0) + scores[p].get(pid, 0.0), -p))
            owner[pid] = best
        elif np.isfinite(cap.get(pid, np.inf)):
            split[pid] = ps
    n_split = len(split)
    shares = {p: got for p, got in enumerate(split_capacities(split, cap, uses, integral)) if got}
    budgets = None
    if cfg.rules.budget.enabled and cfg.rules.budget.amount is not None:
        budgets = split_capacity(float(cfg.rules.budget.amount), {p: r["money"] for p, r in enumerate(relaxed)})
    report = {
        "split_providers": n_split,
        "whole_providers": len(owner),
        "shared_providers": sum(1 for ps in parts.values() if len(ps) > 1),
    }
    return shares, budgets, owner, report


def _pool_unused(
    scenario: Scenario,
    parts: dict[str, tuple[int, ...]],
    shares: dict,
    budgets: dict | None,
    owner: dict[str, int],
    solved: list[dict],
    failed: list[int],
) -> tuple[dict, dict | None]:
    """New shares for the ``failed`` parts: each shared provider's share plus what the solved parts left
    unused of theirs (and what no part was given), split equally among the failed parts that may use it;
    the budget likewise. The solved parts keep their plans, so every global row still holds."""
    ok = [i for i, r in enumerate(solved) if r["status"] != "failed" and r["tables"] is not None]
    used: dict[int, pd.Series] = {i: solved[i]["tables"]["providers"].set_index("provider_id")["used"] for i in ok}
    cap = _capacities(scenario)
    fset = set(failed)
    new = {p: dict(v) for p, v in shares.items()}
    for pid, ps in parts.items():
        mine = [p for p in ps if p in fset and owner.get(pid, p) == p]
        if len(ps) < 2 or not mine or not np.isfinite(cap.get(pid, np.inf)) or pid in owner:
            continue
        given = sum(shares.get(p, {}).get(pid, 0.0) for p in ps)
        spare = max(0.0, cap[pid] - given)
        for p in ps:
            if p in used:
                spare += max(0.0, shares.get(p, {}).get(pid, 0.0) - float(used[p].get(pid, 0.0)))
        for p in mine:
            val = shares.get(p, {}).get(pid, 0.0) + spare / len(mine)
            new.setdefault(p, {})[pid] = math.floor(val / SHARE_RESOLUTION) * SHARE_RESOLUTION
    new_budgets = budgets
    if budgets is not None:
        amount = float(scenario.config.rules.budget.amount)
        spare = max(0.0, amount - sum(budgets.values()))
        for i in ok:
            spare += max(0.0, budgets.get(i, 0.0) - float(solved[i]["summary"]["objective"]["money"]))
        new_budgets = dict(budgets)
        for p in failed:
            new_budgets[p] = (
                math.floor((budgets.get(p, 0.0) + spare / len(failed)) / SHARE_RESOLUTION) * SHARE_RESOLUTION
            )
    return new, new_budgets


def _capacities(scenario: Scenario) -> dict[str, float]:
    v, w, o, c = scenario.volunteers, scenario.social_workers, scenario.organizations, scenario.charity
    cap: dict[str, float] = {}
    cap.update(zip(v["volunteer_id"].astype(str), v["hours"].astype(float)))
    cap.update(zip(w["worker_id"].astype(str), w["hours"].astype(float)))
    cap.update(zip(o["org_id"].astype(str), o["capacity"].astype(float).fillna(np.inf)))
    cap.update(zip(c["lot_id"].astype(str), c["quantity"].astype(float)))
    return cap


# ---------------------------------------------------------------------------------------------------
# Running tasks: Dask, or in this process
# ---------------------------------------------------------------------------------------------------


@dataclass
class _Lazy:
    """``n`` items, each made by ``make(i)`` when taken (``items[i]``), for :meth:`_Runner.map`."""

    n: int
    make: Callable[[int], object]

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> object:
        return self.make(i)


class _Runner:
    """Maps a function over tasks on Dask (a LocalCluster of processes, or a scheduler by address) or, with
    ``workers=0``, in this process."""

    def __init__(self, scheduler: str | None, workers: int | None):
        self.client = self.cluster = None
        self.local = workers == 0 and scheduler is None
        if self.local:
            self.n_workers = 1
            return
        from distributed import Client, LocalCluster

        if scheduler:
            self.client = Client(scheduler)
        else:
            n = int(workers or DEFAULT_WORKERS)
            self.cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                memory_limit=0,
                silence_logs=50,
            )
            self.client = Client(self.cluster)
        info = self.client.scheduler_info()
        self.n_workers = max(1, len(info.get("workers", {})))

    def map(self, fn, items, *args, until: float | None = None) -> list:
        """``[fn(items[i], *args) for i]``, with at most ``MAP_WINDOW`` tasks per worker handed over at a time:
        ``items[i]`` is taken (for :class:`PartTasks`, built) only when there is room for it, so the
        coordinator never holds every part's task at once. Items not yet handed over at ``until`` (a
        ``time.monotonic()`` instant) are not run: their results are None."""

        def late() -> bool:
            return until is not None and time.monotonic() >= until

        if self.local:
            return [None if late() else fn(items[i], *args) for i in range(len(items))]
        from distributed import as_completed

        n = len(items)
        out: list = [None] * n
        keys: dict = {}

        def submit(i: int):
            fut = self.client.submit(fn, items[i], *args, pure=False, key=f"{fn.__name__}-{i}-{time.time_ns()}")
            keys[fut.key] = i
            return fut

        window = max(1, MAP_WINDOW * self.n_workers)
        queue = as_completed([submit(i) for i in range(min(window, n))])
        nxt = min(window, n)
        for fut in queue:
            out[keys.pop(fut.key)] = fut.result()
            if nxt < n and not late():
                queue.add(submit(nxt))
                nxt += 1
        return out

    def feed(self, fn, pending: list[int], make, done, *args) -> None:
        """Run ``fn(make(i), *args)`` for each ``i`` of ``pending`` (taken from its front), at most one task per
        worker at a time, so that ``make`` runs when a worker is free; ``done(i, result)`` as each ends."""
        if self.local:
            while pending:
                i = pending[0]
                item = make(i)
                pending.pop(0)
                done(i, fn(item, *args))
            return
        from distributed import as_completed

        keys: dict = {}

        def submit() -> object:
            i = pending[0]
            item = make(i)
            pending.pop(0)
            fut = self.client.submit(fn, item, *args, pure=False, key=f"{fn.__name__}-{i}-{time.time_ns()}")
            keys[fut.key] = i
            return fut

        first = [submit() for _ in range(min(self.n_workers, len(pending)))]
        queue = as_completed(first)
        for fut in queue:
            i = keys.pop(fut.key)
            done(i, fut.result())
            if pending:
                queue.add(submit())

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def makespan(durations: list[float], n_workers: int) -> float:
    """Wall time of running tasks of these durations on ``n_workers`` (longest first to the least loaded)."""
    if not durations:
        return 0.0
    loads = [0.0] * max(1, n_workers)
    for d in sorted(durations, reverse=True):
        heapq.heapreplace(loads, loads[0] + d)
    return max(loads)


# ---------------------------------------------------------------------------------------------------
# The decomposed solve
# ---------------------------------------------------------------------------------------------------


def solve_decomposed(
    scenario: Scenario,
    by: str,
    *,
    backend: str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    seed: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    part_time_limit: float | None = None,
    rounds: int | None = None,
    progress: Callable[[str], None] | None = None,
    load_seconds: float | None = None,
):
    """Plan ``scenario`` part by part (parts: the values of units column ``by``); see the module docstring.

    ``time_limit`` is for the whole run (relaxation, part solves, merging); each part's solve gets an equal
    slice of what the relaxation leaves, times the number of workers over the number of parts (or
    ``part_time_limit``). Returns a :class:`~linkage_opt.solving.plan.Plan` without a model (``formulation`` None)."""
    from ..inputs.config import solver_option_problems
    from ..inputs.load import validate_scenario
    from ..model.formulation import weighted_needs
    from ..solvers.base import relative_gap
    from .check import recompute_equity
    from .plan import COVERAGE_COLUMNS, PROGRAM_COLUMNS, PROVIDER_COLUMNS, Plan, plan_metrics

    started = time.monotonic()
    problems = solver_option_problems(backend=backend, time_limit=time_limit, mip_gap=mip_gap, seed=seed)
    if workers is not None and workers < 0:
        problems.append(
            Problem(
                "--workers",
                None,
                None,
                Msg("--workers must be 0 or more, got {workers}", workers=workers),
                hint=Msg("0 runs the parts in this process, one after another"),
            )
        )
    if problems:
        raise ValidationError(problems)
    scenario = validate_scenario(scenario)
    labels = partition(scenario, by)
    names = sorted(pd.unique(labels))
    code = pd.Index(names).get_indexer(labels.to_numpy())
    t_part = time.perf_counter()
    parts = provider_parts(scenario, code, len(names))
    partition_s = time.perf_counter() - t_part
    say = progress or (lambda msg: None)

    runner = _Runner(scheduler, workers)
    try:
        n_workers = runner.n_workers
        # step 1: relaxations with full shared capacities, in parallel
        say(f"relaxing {len(names)} parts by {by} on {n_workers} worker(s)")
        t1 = time.perf_counter()
        full = part_tasks(scenario, labels, parts, names, relax_fixed_costs=True)
        build_tasks_s = time.perf_counter() - t1
        # every LP ends by the relaxation's deadline, round 0's too (a part whose LP is not solved by then
        # counts with its trivial bound, its weight share)
        lp_limit = None
        relax_end = None if time_limit is None else started + RELAXATION_TIME_SHARE * time_limit
        t1 = time.perf_counter()
        relaxed, split, lagrange = share_rounds(
            runner,
            full,
            scenario,
            parts,
            rounds,
            relax_end,
            lp_limit,
            int(seed or 0),
            say,
            None if time_limit is None else started + ROUND0_TIME_SHARE * time_limit,
        )
        relax_wall = time.perf_counter() - t1
        del full
        # step 2: coordination
        t2 = time.perf_counter()
        shares, budgets, owner, coord = coordinate(scenario, parts, split)
        tasks = part_tasks(scenario, labels, parts, names, capacity=shares, budgets=budgets, owner=owner)
        coordinate_s = time.perf_counter() - t2
        # step 3: the part plans
        # each part's time is set when a worker takes it: its share of the worker time left until the
        # parts' end (the time limit less MERGE_RESERVE), by need rows; the largest first
        parts_end = None if time_limit is None else started + (1.0 - MERGE_RESERVE) * time_limit
        fixed = part_time_limit
        opts = {"backend": backend, "time_limit": None, "mip_gap": mip_gap, "threads": 1, "seed": seed}
        say(
            f"solving {len(names)} parts on {n_workers} worker(s)"
            + (f", until {parts_end - time.monotonic():.0f} s from now" if parts_end is not None else "")
        )
        t3 = time.perf_counter()
        order = sorted(range(len(tasks)), key=lambda i: -int(tasks.n_needs[i]))  # the largest first
        solved, limits = run_parts(runner, tasks, order, opts, parts_end, fixed)
        given = [g for g in limits if g is not None]
        if given:
            part_time_limit = {"min": round(min(given), 2), "max": round(max(given), 2)}
        solve_wall = time.perf_counter() - t3
        failed = [i for i, r in enumerate(solved) if r["status"] == "failed"]
        repaired: list[str] = []
        repair_reasons: dict[str, int] = {}  # the first error of each repaired part, by its kind
        for attempt in range(RETRY_ATTEMPTS):  # give the parts without a plan what the others left unused
            if not failed:
                break
            say(f"repairing {len(failed)} part(s) with the capacity the others left unused")
            if attempt == 0:
                for i in failed:
                    kind = str(solved[i].get("error", "")).split(":", 1)[0] or "unknown"
                    repair_reasons[kind] = repair_reasons.get(kind, 0) + 1
            t5 = time.perf_counter()
            shares, budgets = _pool_unused(scenario, parts, shares, budgets, owner, solved, failed)
            retry = part_tasks(scenario, labels, parts, names, capacity=shares, budgets=budgets, owner=owner)
            # a part that found no plan in its time gets its share of what is left of the time limit (half the
            # merge reserve included), RETRY_MIN_SECONDS at least: the time limit may be overrun
            retry_end = None
            if time_limit is not None:
                floor = RETRY_MIN_SECONDS * 2.0**attempt  # each attempt twice the last one's least time
                retry_end = max(
                    time.monotonic() + floor * math.ceil(len(failed) / n_workers),
                    started + (1.0 - 0.5 * MERGE_RESERVE) * time_limit,
                )
            again, _ = run_parts(
                runner,
                retry,
                failed,
                opts,
                retry_end,
                None if fixed is None else max(2.0 * fixed, RETRY_MIN_SECONDS) * 2.0**attempt,
                RETRY_MIN_SECONDS * 2.0**attempt,
            )
            for i in failed:
                r = again[i]
                r["first_error"] = solved[i].get("first_error") or solved[i].get("error")
                r["seconds"] += solved[i]["seconds"]
                solved[i] = r
                if names[i] not in repaired:
                    repaired.append(names[i])
            solve_wall += time.perf_counter() - t5
            failed = [i for i in failed if solved[i]["status"] == "failed"]
    finally:
        runner.close()

    failed = [s for s in solved if s["status"] == "failed"]
    if failed:
        from ..errors import SolverError

        raise SolverError(
            f"{len(failed)} of {len(names)} parts failed; first {failed[0]['label']!r}: {failed[0]['error']}"
        )
    # merge
    t4 = time.perf_counter()
    got = [s for s in solved if s["tables"] is not None]
    cfg = scenario.config
    wn = weighted_needs(scenario)
    alloc = pd.concat([s["tables"]["allocations"] for s in got], ignore_index=True) if got else None
    cov = (
        pd.concat([s["tables"]["coverage"] for s in got], ignore_index=True)
        if got
        else pd.DataFrame(columns=COVERAGE_COLUMNS)
    )
    cov = cov.set_index("need_id").reindex(wn["need_id"].to_numpy())
    missing = cov["unit_id"].isna().to_numpy()
    unit_name = scenario.units.set_index(scenario.units["unit_id"].astype(str))["name"].astype(str)
    cov["unit_id"] = wn["unit_id"].to_numpy()
    cov["unit_name"] = unit_name.reindex(wn["unit_id"].to_numpy()).to_numpy()
    cov["category"] = wn["category"].to_numpy()
    cov["tier"] = wn["tier"].to_numpy()
    cov["need"] = wn["q"].to_numpy()
    cov.loc[missing, "covered"] = 0.0
    cov["unmet"] = cov["need"] - cov["covered"]
    cov["coverage_ratio"] = np.divide(
        cov["covered"].to_numpy(float),
        cov["need"].to_numpy(float),
        out=np.ones(len(cov)),
        where=cov["need"].to_numpy(float) > 0,
    )
    cov["weight"] = wn["weight"].to_numpy()
    cov["priority"] = wn["priority"].to_numpy()
    cov = cov.reset_index()[COVERAGE_COLUMNS]
    if alloc is None:
        from .plan import ALLOCATION_COLUMNS

        alloc = pd.DataFrame(columns=ALLOCATION_COLUMNS)
    progs = [s["tables"]["programs"] for s in got if len(s["tables"]["programs"])]
    programs = pd.concat(progs, ignore_index=True)[PROGRAM_COLUMNS] if progs else pd.DataFrame(columns=PROGRAM_COLUMNS)
    prov = (
        pd.concat([s["tables"]["providers"] for s in got], ignore_index=True)
        if got
        else pd.DataFrame(columns=PROVIDER_COLUMNS)
    )
    agg = prov.groupby("provider_id")[["used", "fixed_cost"]].sum() if len(prov) else None
    providers = _providers_table(scenario, agg)
    tables = {"allocations": alloc, "coverage": cov, "providers": providers, "programs": programs}

    coverage = float((cov["weight"] * cov["covered"]).sum())
    money = sum(s["summary"]["objective"]["money"] for s in got)
    cost = sum(s["summary"]["objective"]["cost"] for s in got)
    expiry = sum(s["summary"]["objective"]["expiry_penalty"] for s in got)
    equity = recompute_equity(cov, cfg)
    bound = min(1.0, lagrange["bound"])
    bound = max(bound, coverage)  # the relaxation's bound is never below a plan (solver tolerance aside)
    statuses = {s["status"] for s in solved}
    status = "optimal" if statuses <= {"optimal", "no_needs"} else "feasible"
    merge_s = time.perf_counter() - t4

    part_rows = []
    round_times = lagrange.pop("task_seconds")
    relax_times = [sum(ts) for ts in zip(*round_times)]
    for p, (r, s, r_s) in enumerate(zip(relaxed, solved, relax_times)):
        sm = s["summary"] or {}
        obj = sm.get("objective", {})
        share = float(tasks.weight_shares[p])
        part_rows.append(
            {
                "part": names[p],
                "units": int(tasks.n_units[p]),
                "needs": int(tasks.n_needs[p]),
                "volunteers": s.get("volunteers"),
                "shared_providers": s.get("shared_providers"),
                "weight_share": share,
                "budget": (budgets or {}).get(p),
                "relaxation_coverage": r["bound"],
                "relaxation_status": r["status"],
                "relaxation_s": round(r_s, 3),
                "status": s["status"],
                "coverage_in_part": obj.get("coverage"),
                "coverage_global": share * obj.get("coverage", 0.0),
                "money": obj.get("money"),
                "solve_s": round(s["seconds"], 3),
                "gap": sm.get("gap"),
                "worker_pid": s["pid"],
                "worker_peak_mb": round(s["peak_mb"], 1),
                "time_limit": (sm.get("solver") or {}).get("time_limit"),
                "given_s": (s.get("timings") or {}).get("given_s"),
                "late_s": (s.get("timings") or {}).get("late_s"),
                "part_validate_s": (s.get("timings") or {}).get("validate_s"),
                "part_plan_s": (s.get("timings") or {}).get("solve_s"),
                "first_error": s.get("first_error"),
                "dispatch_stopped": bool((sm.get("dispatch") or {}).get("stopped_by_deadline", False)),
                "stages": [f"{st['stage']}:{st['status']}:{st['solve_s']:.1f}s" for st in sm.get("stages", [])],
                "first_start": ((sm.get("rule_of_thumb_start") or {}).get("start")),
            }
        )
    solve_times = [s["seconds"] for s in solved]
    serial = partition_s + build_tasks_s + coordinate_s + merge_s
    peak_by_worker: dict[int, float] = {}
    for pid, mb in lagrange.pop("peaks").items():
        peak_by_worker[pid] = max(peak_by_worker.get(pid, 0.0), mb)
    for r in solved:
        peak_by_worker[r["pid"]] = max(peak_by_worker.get(r["pid"], 0.0), r["peak_mb"])
    projection = {}
    n = 1
    while True:
        projection[str(n)] = round(serial + sum(makespan(ts, n) for ts in round_times) + makespan(solve_times, n), 2)
        if n >= len(names):
            break
        n = min(n * 2, len(names))
    model_info = {
        "variables": sum((s["summary"] or {}).get("model", {}).get("variables", 0) for s in solved),
        "constraints": sum((s["summary"] or {}).get("model", {}).get("constraints", 0) for s in solved),
        "integer_variables": sum((s["summary"] or {}).get("model", {}).get("integer_variables", 0) for s in solved),
    }
    total_s = time.monotonic() - started
    summary = {
        "status": status,
        "objective": {
            "coverage": coverage,
            "equity": equity,
            "cost": cost,
            "money": money,
            "stability_penalty": 0.0,
            "expiry_penalty": expiry,
        },
        "objective_stage": "coverage",
        "best_bound": bound,
        "gap": relative_gap(coverage, bound),
        "stages": [],
        "decomposition": {
            "by": by,
            "parts": len(names),
            "workers": n_workers,
            "scheduler": scheduler or "LocalCluster",
            "bound": bound,
            "bound_method": "value-function bound: the parts' coverage-stage LPs at shares of the "
            "shared capacities and the budget, plus the largest marginal value of "
            "each shared row times what the shares leave of it (docs/model.md, "
            "Decomposed plans)",
            "lagrangian": lagrange,
            "coordination": {**coord, "repaired_parts": repaired, "repair_reasons": repair_reasons},
            "part_time_limit": part_time_limit,
            "timings": {
                "partition_s": round(partition_s, 3),
                "tasks_s": round(build_tasks_s, 3),
                "relaxation_wall_s": round(relax_wall, 3),
                "coordinate_s": round(coordinate_s, 3),
                "solve_wall_s": round(solve_wall, 3),
                "merge_s": round(merge_s, 3),
                "total_s": round(total_s, 3),
            },
            "critical_path_s": round(
                serial + sum(max(ts, default=0.0) for ts in round_times) + max(solve_times, default=0.0), 3
            ),
            "projected_wall_s": projection,
            "peak_mb_by_worker": {str(k): round(v, 1) for k, v in peak_by_worker.items()},
            "part_table": part_rows,
        },
        "solver": {
            "name": backend or cfg.solver.backend,
            "version": None,
            "time_limit": time_limit,
            "mip_gap": mip_gap if mip_gap is not None else cfg.solver.mip_gap,
            "threads": 1,
            "seed": seed,
        },
        "timings": {
            "load_s": round(load_seconds, 4) if load_seconds is not None else None,
            "build_s": None,
            "solve_s": round(total_s, 4),
            "write_s": None,
        },
        "model": model_info,
        "metrics": plan_metrics(tables, scenario),
        "rule_of_thumb_start": {},
        "lapsed_lots": lapsed_lots(scenario),
        "config": str(scenario.config_path) if scenario.config_path else None,
        "inputs": dict(scenario.input_hashes),
        "package_version": _version(),
        "scenario": cfg.name,
        "period": cfg.period,
        "created_at": pd.Timestamp.now(tz="UTC").replace(microsecond=0).isoformat(),
    }
    return Plan(**tables, summary=Summary.model_validate(summary), solve_started=started)


def _version() -> str:
    from .._version import __version__

    return __version__


def _providers_table(scenario: Scenario, agg: pd.DataFrame | None) -> pd.DataFrame:
    """One row per provider of the scenario (lapsed lots left out, as in a monolithic plan), with the use and
    fixed costs summed over the parts and the global capacity."""
    from .plan import PROVIDER_COLUMNS

    lapsed = set(lapsed_lots(scenario))
    frames = []
    for table, col, kind, cap in (
        ("social_workers", "worker_id", "social_worker", "hours"),
        ("volunteers", "volunteer_id", "volunteer", "hours"),
        ("organizations", "org_id", "organization", "capacity"),
        ("charity", "lot_id", "charity", "quantity"),
    ):
        t = scenario.tables[table]
        if kind == "charity":
            t = t[~t["lot_id"].astype(str).isin(lapsed)]
        frames.append(
            pd.DataFrame(
                {
                    "provider_kind": kind,
                    "provider_id": t[col].astype(str).to_numpy(),
                    "capacity": t[cap].astype(float).fillna(np.inf).to_numpy(),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    if agg is not None:
        out["used"] = out["provider_id"].map(agg["used"]).fillna(0.0).to_numpy(float)
        out["fixed_cost"] = out["provider_id"].map(agg["fixed_cost"]).fillna(0.0).to_numpy(float)
    else:
        out["used"] = 0.0
        out["fixed_cost"] = 0.0
    c = out["capacity"].to_numpy(float)
    out["utilization"] = np.divide(
        out["used"].to_numpy(float), c, out=np.zeros(len(out)), where=np.isfinite(c) & (c > 0)
    )
    return out[PROVIDER_COLUMNS]
