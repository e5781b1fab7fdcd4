"""``solve_monolithic(scenario) -> Plan``: build the model, solve it stage by stage, turn the answer into a plan.

The public ``solve`` (``lo.solve``, :mod:`linkage_opt.solving.api`) runs this for a whole scenario, and
:mod:`linkage_opt.solving.decompose` for each part of a decomposed one.

Lexicographic mode solves one stage per objective term in the configured order; after each stage,
a row keeps that term within :func:`stage_slack` of the value just achieved (``objective.tolerance``
for a stage proven optimal, the gap it proved when solved to ``mip_gap``; docs/model.md), and the
stage's solution is the starting point of the next. Weighted mode solves once with a blended objective.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from .._version import __version__
from ..errors import InfeasibleError, SolverError, ValidationError
from ..i18n import Msg
from ..inputs.config import solver_option_problems, with_option_problems
from ..inputs.scenario import Scenario, lapsed_lots
from ..model.formulation import Formulation, Term, build, equity_value, settle_equity
from ..solvers import SolverOptions, Status, features, get_backend
from ..solvers.base import MipProblem, SolveResult, call_deadline, max_violation, relative_gap, seconds_left
from .baseline import rule_of_thumb_start
from .dispatch import settle_objective
from .plan import Plan, build_tables, clean_solution, plan_metrics
from .summary import Summary

log = logging.getLogger(__name__)


@dataclass
class StageResult:
    stage: str
    result: SolveResult
    value: float | None  # the stage's own term at the stage's solution
    slack: float | None = None  # how far later stages may move this term (stage_slack); None for the last
    outcome: str | None = None  # "skipped" (not run: no time left) or "time_limit" (stopped, kept its start)

    @property
    def ran(self) -> bool:
        return self.outcome != "skipped"

    def as_dict(self) -> dict:
        r = self.result
        out = {
            "stage": self.stage,
            "status": self.outcome or r.status.value,
            "objective": r.objective,
            "best_bound": r.best_bound,
            "gap": r.gap,
            "solve_s": round(r.solve_seconds, 4),
            "slack": self.slack,
        }
        if "lp_rounding" in r.extra:  # LP rounding: the stage's answer (accepted) or the full MIP's start
            out["lp_rounding"] = r.extra["lp_rounding"]
        if r.extra.get("kept_start") or self.outcome:  # the stage's answer is the plan it started from
            out["kept_start"] = True
            out["message"] = r.message
        for key in ("bound_note", "first_start"):
            if key in r.extra:
                out[key] = r.extra[key]
        return out


def solver_options(scenario: Scenario, **overrides) -> tuple[str, SolverOptions]:
    """Backend name and options from the config, with non-None keyword overrides applied.

    Raises :class:`ValidationError` naming each override out of range (``--time-limit -5``, ``nan``,
    ``--mip-gap -1``, ``--threads 0``, ``--backend gurobi``): the ranges of the config's ``solver:`` section.
    """
    problems = solver_option_problems(**overrides)
    if problems:
        raise ValidationError(problems)
    s = scenario.config.solver
    backend = (overrides.pop("backend", None) or s.backend).strip().lower()
    vals = dict(time_limit=s.time_limit, mip_gap=s.mip_gap, threads=s.threads, seed=s.seed, log=s.log)
    for k, v in overrides.items():
        if v is not None:
            vals[k] = float(v) if k in ("time_limit", "mip_gap") else v
    return backend, SolverOptions(**vals)


FIRST_STAGE_TIME_WEIGHT = 8.0


def stage_time_share(i: int, n_stages: int) -> float:
    """Share of the time left that stage ``i`` (0-based) of ``n_stages`` may use.

    The first stage weighs FIRST_STAGE_TIME_WEIGHT, each later one 1, over the stages not yet run (three
    stages: 8/10, then 1/2 and 1 of what is left). Only the first stage must find a plan from nothing;
    a later one starts from the previous stage's plan and keeps it if its time runs out, and a stage
    that finishes early leaves its time to those after it.
    """
    weights = [FIRST_STAGE_TIME_WEIGHT if j == 0 else 1.0 for j in range(i, n_stages)]
    return weights[0] / sum(weights)


def stage_slack(value: float, bound: float | None, tolerance: float, mip_gap: float) -> float:
    """How far a later stage may let an earlier stage's term fall below (rise above) its value ``value``.

    ``max(tolerance * max(1, |value|), min(|bound - value|, mip_gap * max(1, |value|)))``: the configured
    tolerance, or -- when the stage was only proven to within the MIP gap -- the gap it actually proved
    (never more than the requested gap). Insisting on an incumbent to 1e-9 that is itself only known to be
    within ``|bound - value|`` of the optimum is what made later stages slow to prove; with this slack the
    final plan's term is within ``|bound - value| + slack <= 2 * mip_gap * max(1, |value|)`` of that
    stage's true optimum. A stage solved to optimality (gap 0) keeps the plain tolerance. See docs/model.md.
    """
    scale = max(1.0, abs(value))
    proved = abs(bound - value) if bound is not None and np.isfinite(bound) else 0.0
    return max(tolerance * scale, min(proved, mip_gap * scale))


def stage_problem(
    form: Formulation, c: np.ndarray, sense: str, offset: float, fixed: list[tuple], tolerance: float, A=None
) -> MipProblem:
    """The model with objective c and earlier stage optima kept within their slack.

    ``fixed`` holds ``(term, value)`` (slack ``tolerance * max(1, |value|)``) or ``(term, value, slack)``.
    """
    extra = []
    for item in fixed:
        term, value = item[0], item[1]
        slack = item[2] if len(item) > 2 else tolerance * max(1.0, abs(value))
        if term.sense == "max":
            extra.append((term.c, value - term.offset - slack, np.inf))
        else:
            extra.append((term.c, -np.inf, value - term.offset + slack))
    return form.model.problem(c, sense, offset, A=A, extra_rows=extra)


LP_ROUNDING_MIN_COLUMNS = 20_000  # `auto`: below this HiGHS's own root does better (measured; docs/performance.md)
LP_ROUNDING_TIME_SHARE = 0.95  # of a stage's time, for the LP and the restricted MIP together
MIN_STAGE_SECONDS = 0.5  # a stage (or the MIP after LP rounding) that has a start and less time than this is not run
# The MIP after LP rounding is not started with less time left than this share of the stage's LP seconds:
# HiGHS's MIP presolve does not stop at the time limit, and on the realistic district it took 14.7 s (the
# stage's LP 38.3 s): given 5 s, the cost stage's MIP ran 10 s past the deadline (docs/performance.md).
FULL_MIP_LP_SHARE = 0.5
MIN_STEP_SECONDS = 1.0  # an optional step (a second LP, the RINS step) needs this much time left
# A later stage whose share of the time is below this times the first stage's LP relaxation is skipped: its
# own LP (on the realistic district the first stage's takes 18 s cold, the later ones 24-43 s from its basis)
# would not finish, and the stage would keep its start anyway; the time goes to the outputs instead.
LP_SKIP_FACTOR = 1.5


def lp_cannot_finish(seconds: float, first_lp_s: float) -> bool:
    """Whether a later stage given ``seconds`` is skipped: less than ``LP_SKIP_FACTOR`` times the first
    stage's LP relaxation (``first_lp_s`` seconds), so its own LP would not finish."""
    return seconds < LP_SKIP_FACTOR * first_lp_s


def use_lp_rounding(form: Formulation, problem: MipProblem, backend_name: str) -> bool:
    """Whether ``lp_rounding`` runs for this stage (a later stage has ``problem.start``: it fixes only ``y``)."""
    mode = form.scenario.config.solver.lp_rounding
    fixed = ("y",) if problem.start is not None else ("y", "z_org")
    if (
        mode == "never"
        or not features(backend_name).lp_rounding
        or not problem.n_integer
        or not any(form.has(n) and form.var(n).size for n in fixed)
    ):
        return False
    return mode == "always" or problem.n_cols >= LP_ROUNDING_MIN_COLUMNS


class Rounding(NamedTuple):
    result: SolveResult | None  # the stage's answer, when proven within mip_gap of the LP bound
    start: np.ndarray | None  # otherwise the full MIP's start (the restricted MIP's plan, or ``previous``)
    bound: float | None = None  # the LP relaxation's objective (a bound on the stage), when it was solved
    basis: object | None = None  # the LP's optimal basis: the next stage's LP starts from it
    info: dict | None = None  # what ran: fixed from "lp" or "previous", LP and restricted-MIP seconds


def lp_rounding(
    form: Formulation,
    problem: MipProblem,
    backend,
    options: SolverOptions,
    previous: np.ndarray | None = None,
    basis: object | None = None,
    tiebreak: tuple[np.ndarray, float] | None = None,
    spare_until: Callable[[float], float | None] | None = None,
) -> Rounding:
    """A stage's plan from its LP relaxation and a restricted MIP: ``Rounding(result, None, bound)`` when the
    plan is proven within ``mip_gap`` of the LP bound (the stage is then solved), ``Rounding(None, start,
    bound)`` to start the full MIP from it (``previous`` or None when the heuristic found nothing better).

    Program instances ``y`` (and in the first stage organization engagements ``z_org`` and the indivisible
    cases ``xi`` the LP has already decided) are fixed; the remaining integers (undecided cases, social
    workers' unit assignments) stay integer in a much smaller MIP. Fixing the workers' assignments too,
    rounded from the LP, made the realistic district's restricted problem infeasible (a volunteer case
    kept in a supervised category lost its supervising worker), while leaving them free solved it to
    optimality (docs/performance.md):

    * first stage (``previous`` is None): ``y`` between the LP's value rounded down and rounded up, and
      ``z_org`` rounded up. Every ``y`` at its floor is one of the restricted plans (rounding down only
      lowers program output and the inputs it needs), and the MIP chooses which fractional instances to
      round up: on the realistic district 162 of 4,747 are fractional, and fixing them all at the floor
      left the coverage stage 0.53 points below its LP bound, against 0.22 with the choice
      (docs/performance.md). Engaging an organization only adds capacity (its fixed cost may break the
      budget row, in which case the restricted MIP is infeasible and nothing is returned);
    * later stages: ``y`` between the previous stage's plan ``previous`` and the LP's value, rounded
      outwards (the previous plan is in the box, and rounding the LP alone would break the rows that keep
      earlier stages' values; on the realistic district at 200 s the cost stage reached 467,157 with the box
      against 476,635 with ``y`` fixed at ``previous``), engagements free so that an organization whose
      programs are not needed is not paid for (fixing them too gave a dearer cost stage on the district;
      docs/performance.md). ``previous`` is the restricted MIP's start, so what comes back is never worse.

    A restricted plan not yet within the gap gets one RINS step (below). The LP relaxation of ``problem``
    gives the bound either way: by interior point + crossover, or by
    primal simplex from ``basis``, the previous stage's LP basis, when given (several times faster on
    the district's equity LP, docs/performance.md; the interior point runs if the warm start fails). Whatever this returns
    satisfies every row of ``problem``.

    Flows the LP leaves idle at a cost (:func:`idle_flows`) are fixed at 0 in the restricted MIPs.

    ``tiebreak`` ``(g, g0)``, from :func:`tiebreak_term`, is added to the objective of the restricted MIPs
    (not of the LP or ``problem``): among the stage's (near-)optimal plans they take one good for the
    later stages' terms, which the LP's degenerate optimal face otherwise leaves to chance (the coverage
    stage's plan left the realistic district's lowest unit at 0.196 against an equity LP bound of 0.843:
    charity money went to whichever unit, at the same coverage). ``g @ x + g0`` lies in ``[0, G]`` for a
    max stage (``[-G, 0]`` for a min stage), so it costs the stage's own term at most ``G``; the bound is
    the unperturbed LP's, and what is returned is measured by the stage's own objective.

    ``spare_until(lp_seconds)``, when given, may return a later deadline for the restricted MIPs than the
    stage's own: the time of later stages that will be skipped anyway because their LPs could not finish
    (``solve_formulation`` decides that from this LP's seconds).
    """
    t0 = time.perf_counter()
    solved_as = problem
    if tiebreak is not None:
        g, g0 = tiebreak
        solved_as = dataclasses.replace(problem, c=problem.c + g, offset=problem.offset + g0)
    now = time.monotonic()
    end = call_deadline(options, now)  # the stage's deadline; LP rounding may use its first LP_ROUNDING_TIME_SHARE
    end = None if end is None else now + max(0.0, end - now) * LP_ROUNDING_TIME_SHARE
    ipm = dataclasses.replace(options, time_limit=None, deadline=end, lp_method="ipm")  # HiGHS's simplex stalls here
    lp = dataclasses.replace(problem, integrality=np.zeros_like(problem.integrality), start=None)
    lp, links, dropped = without_linking_rows(form, lp)
    # an earlier stage's basis fits only an LP without the same model rows (its own rows come after them)
    warm_from = basis[1] if isinstance(basis, LpBasis) and basis.dropped == dropped else None
    basis = warm_from
    lp = dataclasses.replace(lp, basis=basis)
    lp_res = backend.solve(lp, ipm)
    if basis is not None and lp_res.status != Status.OPTIMAL:  # the warm start failed: from scratch
        left = seconds_left(end)
        if left is None or left > MIN_STEP_SECONDS:
            lp_res = backend.solve(dataclasses.replace(lp, basis=None), ipm)
    if lp_res.status != Status.OPTIMAL or lp_res.x is None:
        return Rounding(None, previous)
    lp_res = dataclasses.replace(lp_res, x=lift_links(lp_res.x, links, problem.col_hi))
    lp_s, warm = time.perf_counter() - t0, lp_res.extra.get("warm_basis", False)
    later = spare_until(lp_s) if spare_until is not None else None
    if later is not None and (end is None or later > end):
        end = later
        ipm = dataclasses.replace(ipm, deadline=end)
    bound = lp_res.objective
    basis = LpBasis(dropped, lp_res.extra["basis"]) if lp_res.extra.get("basis") is not None else None
    idle = idle_flows(form, problem, lp_res, previous, options.mip_gap)
    # (block, lowest, highest value) of each restricted column; NaN: left free by the rounding
    if previous is None:
        y_lo, y_hi = np.floor(lp_res.x + 1e-6), np.ceil(lp_res.x - 1e-6)
        z_up, cases = np.ceil(lp_res.x - 1e-6), _integral(lp_res.x)
        boxes = [("y", y_lo, np.maximum(y_hi, y_lo)), ("z_org", z_up, z_up), ("xi", cases, cases)]
    else:
        # between the previous plan's count and the LP's, rounded outwards: the previous plan is in the box
        y_prev = np.round(previous)
        boxes = [("y", np.minimum(y_prev, np.floor(lp_res.x + 1e-6)), np.maximum(y_prev, np.ceil(lp_res.x - 1e-6)))]
    ids = [form.var(name).ids for name, _, _ in boxes if form.has(name)]
    lows = [lo[form.var(name).ids] for name, lo, _ in boxes if form.has(name)]
    highs = [hi[form.var(name).ids] for name, _, hi in boxes if form.has(name)]
    info = {
        "fixed": "lp" if previous is None else "previous",
        "lp_s": round(lp_s, 3),
        "lp_warm": warm,
        "idle_flows_fixed": int(len(idle)),
        "linking_rows_relaxed": 0 if links is None else int(links.shape[0]),
    }

    def restricted_mip(
        keep: list[np.ndarray], start: np.ndarray | None, values: list[np.ndarray] | None = None
    ) -> SolveResult:
        """The problem with each kept column in its box (or fixed at ``values``) and the idle flows at 0;
        without the idle flows fixed when that has no plan (too few flows left to round with)."""
        lo, hi = problem.col_lo.copy(), problem.col_hi.copy()
        for j, (i, k) in enumerate(zip(ids, keep)):
            a, b = (lows[j], highs[j]) if values is None else (values[j], values[j])
            k = k & np.isfinite(a)
            lo[i[k]] = np.clip(a[k], problem.col_lo[i[k]], problem.col_hi[i[k]])
            hi[i[k]] = np.clip(b[k], lo[i[k]], problem.col_hi[i[k]])
        sparse_hi = hi.copy()
        sparse_hi[idle] = np.maximum(lo[idle], 0.0)
        r = backend.solve(dataclasses.replace(solved_as, col_lo=lo, col_hi=sparse_hi, start=start), ipm)
        left = seconds_left(end)
        if len(idle) and r.x is None and r.status != Status.ERROR and (left is None or left > MIN_STEP_SECONDS):
            info["idle_flows"] = f"freed again: {r.status.value} with them at 0"
            again = backend.solve(dataclasses.replace(solved_as, col_lo=lo, col_hi=hi, start=start), ipm)
            again.solve_seconds += r.solve_seconds
            r = again
        if r.x is not None and solved_as is not problem:  # measured by the stage's own objective
            r = dataclasses.replace(r, objective=problem.objective_value(r.x))
        return r

    def within_gap(r: SolveResult) -> bool:
        gap = relative_gap(r.objective, bound)
        return gap is not None and gap <= options.mip_gap + 1e-12

    left = seconds_left(end)
    if left is not None and left < MIN_STAGE_SECONDS:  # no time for the restricted MIP: the LP bound only
        return Rounding(None, previous, bound, basis, {**info, "restricted_mip": "no time left"})
    res = restricted_mip([np.ones(len(i), bool) for i in ids], previous)
    info["restricted_mip_s"] = round(res.solve_seconds, 3)
    if res.x is None or res.objective is None:
        return Rounding(None, previous, bound, basis, info)
    # Not within the gap: free the fixed columns where the LP and the restricted plan disagree and keep
    # the rest (RINS, Danna et al. 2005), starting from the restricted plan. On the district's cost stage
    # this reached 1,827,211; without it, HiGHS's search from the restricted plan ended at 2,075,832.
    values = [np.round(res.x[i]) for i in ids]
    agree = [np.abs(lp_res.x[i] - v) <= 1e-6 for i, v in zip(ids, values)]
    left = seconds_left(end)
    if not within_gap(res) and not all(a.all() for a in agree) and (left is None or left > MIN_STEP_SECONDS):
        rins = restricted_mip(agree, res.x, values)
        info["rins_s"] = round(rins.solve_seconds, 3)
        if (
            rins.objective is not None
            and rins.x is not None
            and (rins.objective > res.objective if problem.sense == "max" else rins.objective < res.objective)
        ):
            res = rins
    if within_gap(res):
        solved = SolveResult(
            Status.OPTIMAL,
            res.x,
            res.objective,
            bound,
            relative_gap(res.objective, bound),
            res.solver,
            res.solver_version,
            time.perf_counter() - t0,
            "within the gap of the LP bound after LP rounding",
            extra={"lp_rounding": {"accepted": True, **info}},
        )
        return Rounding(solved, None, bound, basis, info)
    return Rounding(None, res.x, bound, basis, {**info, "restricted_objective": res.objective})


# Per-edge linking rows (a flow, case or program at most its bound times its organization's engagement
# ``z`` or its worker's unit assignment ``a``) left out of LP rounding's LP relaxation: 13,566 of the
# realistic district's 33,328 rows, with two entries each. Without them the LP is a relaxation of the
# stage's LP, so its optimum still bounds the stage (0.856052 against 0.855970 for the coverage stage:
# 0.01 %, within any gap asked for), and the interior point is faster (docs/performance.md). The restricted
# MIPs keep every row, so what they return satisfies every rule; ``z`` is first raised to what the LP's
# flows and programs need (:func:`lift_links`), so that rounding it up keeps the organizations they use.
LP_RELAXED_ROW_BLOCKS = ("org_link_flow", "org_link_case", "org_link_program", "worker_link_flow", "worker_link_case")


class LpBasis(NamedTuple):
    """An LP relaxation's optimal basis (the backend's) and the names of the row blocks that LP left out."""

    dropped: tuple[str, ...]
    basis: object


def without_linking_rows(form: Formulation, lp: MipProblem) -> tuple[MipProblem, sp.csr_matrix | None, tuple[str, ...]]:
    """``lp`` without the rows of :data:`LP_RELAXED_ROW_BLOCKS` whose linking columns the objective does not
    price (a relaxation of it), those rows (each ``a x - c v <= 0``, ``c > 0`` on the one linking column
    ``v``; None when there are none) and the names of their blocks. Extra rows after the model's (the
    stages' rows) are kept, so an earlier stage's basis fits when the same blocks were left out."""
    m = form.model
    A = sp.csr_matrix(lp.A)
    ids, names = [], []
    for name in LP_RELAXED_ROW_BLOCKS:
        if name not in m.row_blocks or not m.row_blocks[name].size:
            continue
        rows = m.row_blocks[name].ids
        block = A[rows]
        linking = np.unique(block.indices[block.data < 0])
        if np.any(lp.c[linking] != 0):  # the stage prices them (the cost stage's fixed costs): kept, or the
            continue  # LP would pay only a fraction of each and its bound would be much weaker
        ids.append(rows)
        names.append(name)
    if not ids:
        return lp, None, ()
    drop = np.concatenate(ids)
    keep = np.ones(lp.n_rows, bool)
    keep[drop] = False
    relaxed = dataclasses.replace(lp, A=A[keep], row_lo=lp.row_lo[keep], row_hi=lp.row_hi[keep])
    return relaxed, A[drop], tuple(names)


def lift_links(x: np.ndarray, links: sp.csr_matrix | None, col_hi: np.ndarray) -> np.ndarray:
    """``x`` with each linking column raised to the least value its dropped rows need, ``v >= a x / c``
    (at most its upper bound): an engagement the LP without those rows left below what its flows use."""
    if links is None or not links.nnz:
        return x
    coo = links.tocoo()
    pos = coo.data > 0
    act = np.zeros(links.shape[0])
    np.add.at(act, coo.row[pos], coo.data[pos] * x[coo.col[pos]])
    neg = ~pos
    need = act[coo.row[neg]] / -coo.data[neg]
    out = np.array(x, float, copy=True)
    np.maximum.at(out, coo.col[neg], need)
    return np.minimum(out, col_hi)


IDLE_FLOW_SHARE = 0.01  # an idle flow is fixed at 0 when using it fully would lose this share of the gap


def idle_flows(
    form: Formulation, problem: MipProblem, lp_res: SolveResult, previous: np.ndarray | None, mip_gap: float
) -> np.ndarray:
    """Flow columns (block ``x``) left at 0 by the LP whose reduced cost makes using them costly: ``x_j = 0``
    at the LP optimum and ``|d_j| ub_j > IDLE_FLOW_SHARE · max(g, 1e-4) · max(1, |B_LP|)`` (``d``: the LP's
    reduced costs, ``ub``: the column's upper bound, ``g``: ``mip_gap``), and not used by ``previous``.

    A plan that gives such a flow its whole upper bound is below the LP bound by at least that much, so
    plans within the gap use these flows little or not at all, and the restricted MIPs fix them at 0.
    Why: they are most of the model (realistic district: 75,887 of the 101,976 flows, of which the LP
    uses 3,107), and the restricted MIP spent 17.6 of its 23.8 s in its root LP over them; with them fixed
    it takes 4-6 s to the same coverage (0.8537, bound 0.8560; docs/performance.md). This is a
    heuristic restriction like the rounding's boxes: the bound is the full LP's, and a restricted MIP that
    has no plan with them fixed runs again without (``lp_rounding``)."""
    if not form.has("x") or lp_res.col_duals is None or lp_res.x is None:
        return np.zeros(0, dtype=np.int64)
    ids = form.var("x").ids
    ub = problem.col_hi[ids]
    loss = np.abs(lp_res.col_duals[ids]) * np.where(np.isfinite(ub), ub, 0.0)
    scale = IDLE_FLOW_SHARE * max(mip_gap, 1e-4) * max(1.0, abs(float(lp_res.objective or 0.0)))
    idle = (lp_res.x[ids] <= 1e-9) & (problem.col_lo[ids] <= 0.0) & (loss > scale)
    if previous is not None:
        idle &= previous[ids] <= 1e-9
    return ids[idle]


def _integral(x: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """``x`` where it is integral (to ``tol``), NaN elsewhere: indivisible cases the LP has already decided
    are kept, the others stay integer in the restricted MIP."""
    r = np.round(x)
    return np.where(np.abs(x - r) <= tol, r, np.nan)


def tighter_bound(result: SolveResult, lp_bound: float | None, sense: str) -> SolveResult:
    """The result with the LP relaxation's bound where it is tighter than the solver's own.

    A MIP stopped by its time limit inside the root may report only a trivial bound (for the equity term,
    1); the LP relaxation solved before it bounds the same problem.
    """
    if lp_bound is None or result.objective is None:
        return result
    b = result.best_bound
    tighter = b is None or not np.isfinite(b) or (lp_bound < b if sense == "max" else lp_bound > b)
    if not tighter:
        return result
    return dataclasses.replace(result, best_bound=lp_bound, gap=relative_gap(result.objective, lp_bound))


BOUND_TOL = 1e-5  # relative: a bound this close to the wrong side of the plan's value is the value itself (HiGHS's
# feasibility tolerance, 1e-7 on rows of yuan, put a cost plan 1.65e-6 below its bound of 0)


def term_range(form: Formulation, name: str) -> tuple[float, float]:
    """The values objective term ``name`` can take at any plan of ``form``.

    Weighted coverage and the maxmin equity term (the lowest unit ratio) lie in [0, 1] by their
    definitions (docs/model.md); the floor-mode equity term, minus the shortfalls below the floor, in
    [-floor * units, 0]. Every term also lies within what its coefficients and the column bounds allow
    (``offset + sum_j min/max(c_j lo_j, c_j hi_j)``). A solver's bound outside this range is loose, never
    tighter than the range's end, so it is reported as that end (:func:`checked_bound`).
    """
    lo, hi = -math.inf, math.inf
    if name in form.terms:
        term = form.terms[name]
        lb, ub = form.model.bounds()
        with np.errstate(invalid="ignore"):
            a, b = term.c * lb, term.c * ub
        nz = term.c != 0
        a, b = np.where(nz, a, 0.0), np.where(nz, b, 0.0)
        lo = float(term.offset + np.minimum(a, b).sum())
        hi = float(term.offset + np.maximum(a, b).sum())
        lo, hi = (lo if np.isfinite(lo) else -math.inf), (hi if np.isfinite(hi) else math.inf)
    if name == "coverage":
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    elif name == "equity":
        eq = form.scenario.config.equity
        if eq.mode == "maxmin":
            lo, hi = max(lo, 0.0), min(hi, 1.0)
        else:
            n = form.var("s_eq").size if form.has("s_eq") else 0
            lo, hi = max(lo, -eq.floor * n), min(hi, 0.0)
    return lo, hi


TIEBREAK_SHARE = 0.25  # of the MIP gap: how far the later stages' tie-break may move a stage's own term


def tiebreak_term(form: Formulation, sense: str, later: list[str], mip_gap: float) -> tuple[np.ndarray, float] | None:
    """The later stages' terms as a tie-break for a stage of sense ``sense``: ``(g, g0)`` with
    ``g @ x + g0 = ±sum_j eps_j h_j(x)``, where ``h_j`` in [0, 1] is later term j rescaled over its range
    (:func:`term_range`; 1 at its best end) and ``sum_j eps_j = G = TIEBREAK_SHARE * mip_gap``, split
    equally; + for a max stage, - for a min stage. None when there is nothing to add (no later term with
    a finite range, or ``mip_gap`` 0: a stage asked for its exact optimum gets no tie-break).

    Added to a stage's objective ``T`` it gives ``P = T ± g`` with ``0 <= |g| <= G``, so a bound on P is
    a bound on T, and a plan within ``mip_gap - G`` of P's bound is within ``mip_gap`` of T's
    (docs/model.md, "Lexicographic stages"). :func:`lp_rounding` uses it.
    """
    total = TIEBREAK_SHARE * mip_gap
    terms = []
    for name in later:
        lo, hi = term_range(form, name)
        if name in form.terms and np.isfinite(lo) and np.isfinite(hi) and hi - lo > 1e-12:
            terms.append((form.terms[name], lo, hi))
    if total <= 0 or not terms:
        return None
    g, g0 = np.zeros(form.model.n_cols), 0.0
    eps = total / len(terms)
    for term, lo, hi in terms:
        if term.sense == "max":  # h = (c x + offset - lo) / (hi - lo)
            g += eps * term.c / (hi - lo)
            g0 += eps * (term.offset - lo) / (hi - lo)
        else:  # h = (hi - c x - offset) / (hi - lo)
            g -= eps * term.c / (hi - lo)
            g0 += eps * (hi - term.offset) / (hi - lo)
    return (g, g0) if sense == "max" else (-g, -g0)


def checked_bound(result: SolveResult, sense: str, value_range: tuple[float, float] | None = None) -> SolveResult:
    """The result with a bound that can be reported: on the far side of the plan's value, within the term's range.

    * A bound beyond the term's range (``value_range``, see :func:`term_range`) is valid but looser than
      the range's end, which is reported instead. HiGHS stopped before its root LP is solved reports the
      bound its presolve gets from the column bounds alone (a coverage bound of 7.6 on a 40-unit scenario,
      30.73 on a 170-unit district, for a term that cannot exceed 1).
    * A bound on the wrong side of the returned plan's value (below it for a max term) cannot be valid:
      within ``BOUND_TOL`` (relative) it is solver tolerance and the value itself is the bound, beyond that
      it is not reported (None) and a result that claimed optimality is only feasible.

    What was changed is said in ``extra["bound_note"]``.
    """
    b = result.best_bound
    if b is None:
        return result
    obj = result.objective
    note = None
    if not np.isfinite(b):
        b, note = None, Msg("the solver reported no finite bound")
    else:
        lo, hi = value_range if value_range is not None else (-math.inf, math.inf)
        if sense == "max" and b > hi:
            b, note = (
                hi,
                Msg("the solver's bound {b:.6g} exceeds the term's largest possible value {hi:.6g}", b=b, hi=hi),
            )
        elif sense == "min" and b < lo:
            b, note = (
                lo,
                Msg("the solver's bound {b:.6g} is below the term's smallest possible value {lo:.6g}", b=b, lo=lo),
            )
        if obj is not None:
            tol = BOUND_TOL * max(1.0, abs(obj))
            wrong = obj - b if sense == "max" else b - obj  # > 0: on the wrong side
            if wrong > tol:
                note = Msg(
                    "the solver's bound {b:.9g} lies on the wrong side of the plan's value {obj:.9g}: not a valid bound, not reported",
                    b=b,
                    obj=obj,
                )
                log.warning("%s (%s)", note, result.solver)
                b = None
            elif wrong > 0:
                b = obj
    if b == result.best_bound:
        return result
    status = result.status
    if b is None and status == Status.OPTIMAL and result.x is not None:
        status = Status.FEASIBLE
    extra = {**result.extra, "bound_note": note} if note else dict(result.extra)
    return dataclasses.replace(result, status=status, best_bound=b, gap=relative_gap(obj, b), extra=extra)


def _better(sense: str, a: float, b: float) -> bool:
    """Is value ``a`` better than ``b`` by more than solver noise?"""
    tol = 1e-9 * max(1.0, abs(b))
    return a > b + tol if sense == "max" else a < b - tol


def keep_start(result: SolveResult, problem: MipProblem, start: np.ndarray, mip_gap: float) -> SolveResult:
    """``result`` unless ``start`` (a plan satisfying every row of ``problem``) is better: then the start.

    A stage whose backend found nothing (time limit, a start it did not accept, an error) or something worse
    than the plan it started from answers with that plan; the solver's bound still bounds the stage, so
    the start is OPTIMAL when that bound proves it within ``mip_gap``.
    """
    value = problem.objective_value(start)
    if result.has_solution and not _better(problem.sense, value, float(result.objective)):
        return result
    bound = result.best_bound
    if bound is not None and np.isfinite(bound) and abs(bound - value) <= BOUND_TOL * max(1.0, abs(value)):
        # the start is as good as the solver's bound to its tolerance (the solver's own plan was worse only
        # by float noise): the start is the optimum and bounds itself
        bound = max(bound, value) if problem.sense == "max" else min(bound, value)
    gap = relative_gap(value, bound)
    proven = (
        gap is not None
        and gap <= mip_gap + 1e-12
        and (
            bound >= value - BOUND_TOL * max(1.0, abs(value))
            if problem.sense == "max"
            else bound <= value + BOUND_TOL * max(1.0, abs(value))
        )
    )
    why = (
        Msg("{solver}: {error}", solver=result.solver, error=result.message or result.status.value)
        if not result.has_solution
        else Msg("{solver} returned a worse plan ({objective:.9g})", solver=result.solver, objective=result.objective)
    )
    extra = {**result.extra, "kept_start": True, "solver_status": result.status.value}
    return SolveResult(
        Status.OPTIMAL if proven else Status.FEASIBLE,
        np.asarray(start, float),
        value,
        bound,
        gap,
        result.solver,
        result.solver_version,
        result.solve_seconds,
        f"kept its start; {why}",
        extra=extra,
    )


def _first_start(form: Formulation, problem: MipProblem, x: np.ndarray | None) -> tuple[np.ndarray | None, str | None]:
    """``first_start`` settled (equity auxiliaries) and checked against every row of the first stage."""
    if x is None:
        return None, None
    x = np.asarray(x, dtype=float)
    if x.shape != (problem.n_cols,):
        note = Msg("refused: {shape} values for {n_cols} columns", shape=x.shape, n_cols=problem.n_cols)
    else:
        x = settle_equity(form, x)
        worst = max_violation(problem, x)
        if worst <= 1e-6:
            return x, "used"
        note = Msg("refused: it breaks a row, bound or integrality by {worst:.3g}", worst=worst)
    log.warning("the first stage's start was %s", note)
    return None, note


def solve_formulation(
    form: Formulation,
    backend_name: str,
    options: SolverOptions,
    progress: Callable[[str], None] | None = None,
    first_start: np.ndarray | None = None,
) -> tuple[np.ndarray, list[StageResult], str]:
    """Run the stages; return the final (cleaned) solution, per-stage results and the overall status.

    One deadline, ``options.deadline`` or ``options.time_limit`` from now (the earlier), holds for every
    solver call below: each stage gets a share of what is left (:func:`stage_time_share`) and returns by
    its share's end; a stage that has a start and less than ``MIN_STAGE_SECONDS`` left is skipped.

    Each later stage starts from the previous stage's plan and keeps it when its backend finds nothing
    better (:func:`keep_start`), so no stage after the first ends without a plan. ``first_start`` -- any
    vector satisfying every row of the model, e.g. a repaired rule-of-thumb plan -- is the first stage's
    start and its answer if the first stage finds nothing at least as good; one that breaks a row is not
    used (``stages[0]["first_start"]`` says so). Every reported bound passes :func:`checked_bound`.
    """
    cfg = form.scenario.config.objective
    backend = get_backend(backend_name)
    A = form.model.matrix()
    stages: list[StageResult] = []
    deadline = call_deadline(options, time.monotonic())
    within = dataclasses.replace(options, time_limit=None, deadline=deadline)  # every call: by the deadline

    if cfg.mode == "weighted":
        c = np.zeros(form.model.n_cols)
        offset = 0.0
        for name, lam in cfg.weights.items():
            if name not in form.terms:  # equity is modelled only when it has weight
                continue
            term = form.terms[name]
            sign = 1.0 if term.sense == "max" else -1.0
            c += sign * lam * term.c
            offset += sign * lam * term.offset
        plan_stages = [("weighted", c, "max", offset)]
    else:
        plan_stages = [
            (name, form.terms[name].c, form.terms[name].sense, form.terms[name].offset) for name in cfg.order
        ]

    fixed: list[tuple[Term, float, float]] = []
    x_best: np.ndarray | None = None
    lp_basis = None  # the last LP relaxation's basis (LP rounding), the next one's start
    first_lp_s: float | None = None  # seconds the first stage's LP relaxation took (LP rounding)
    overall = Status.OPTIMAL
    for i, (name, c, sense, offset) in enumerate(plan_stages):
        problem = stage_problem(form, c, sense, offset, fixed, cfg.tolerance, A=A)
        value_range = term_range(form, name) if name != "weighted" else None
        first_note = None
        if x_best is not None:  # the previous stage's plan satisfies every row here: a warm start
            start = settle_equity(form, x_best)
        else:
            start, first_note = _first_start(form, problem, first_start)
        left = seconds_left(deadline)
        share = None if left is None else max(0.0, left) * stage_time_share(i, len(plan_stages))
        hopeless = (
            start is not None
            and share is not None
            and first_lp_s is not None
            and lp_cannot_finish(share, first_lp_s)
            and use_lp_rounding(form, dataclasses.replace(problem, start=start), backend_name)
        )
        if start is not None and left is not None and (left < MIN_STAGE_SECONDS or hopeless):
            # no time for this stage (or not enough for its LP relaxation, which the first stage's LP
            # measured): the plan so far is its answer, and the time left goes to the outputs
            value = problem.objective_value(start)
            why = (
                f"skipped: {max(left, 0.0):.2f} s of the time limit left"
                if not hopeless
                else f"skipped: its LP relaxation would not finish in the {share:.1f} s left to it "
                f"(the first stage's took {first_lp_s:.1f} s)"
            )
            skipped = SolveResult(
                Status.FEASIBLE,
                start,
                value,
                None,
                None,
                backend_name,
                stages[-1].result.solver_version if stages else backend.version(),
                0.0,
                why,
            )
            if first_note:
                skipped.extra["first_start"] = first_note
            stages.append(StageResult(name, skipped, value, outcome="skipped"))
            overall, x_best = Status.FEASIBLE, start
            if name != "weighted" and i + 1 < len(plan_stages):  # a later stage keeps this one's value
                stages[-1].slack = cfg.tolerance * max(1.0, abs(float(value)))
                fixed.append((form.terms[name], float(value), stages[-1].slack))
            continue
        if progress:
            progress(Msg("solving stage {i}/{n}: {stage}", i=i + 1, n=len(plan_stages), stage=Msg(name)))
        stage_end = None if left is None else time.monotonic() + max(0.0, left) * stage_time_share(i, len(plan_stages))
        opts = dataclasses.replace(within, deadline=stage_end)  # this stage's share of the time still left
        result, t_round, lp_bound, info = None, None, None, None
        rounding_problem = dataclasses.replace(problem, start=start if x_best is not None else None)
        if use_lp_rounding(form, rounding_problem, backend_name):
            if progress:
                progress(
                    Msg("solving stage {i}/{n}: {stage} (LP rounding)", i=i + 1, n=len(plan_stages), stage=Msg(name))
                )
            t_round = time.perf_counter()
            later = [n for n, *_ in plan_stages[i + 1 :]]

            def spare_until(lp_s: float, i: int = i, stage_end: float | None = stage_end) -> float | None:
                """The whole deadline, less what exiting the loop needs, when the later stages would all
                be skipped; else None. All are skipped exactly when even all the time after this stage
                is too little (``lp_cannot_finish``): a skipped stage leaves its share to the next, and
                the last one gets everything left."""
                if i > 0 or i + 1 >= len(plan_stages) or deadline is None or stage_end is None:
                    return None
                if not lp_cannot_finish(max(0.0, deadline - stage_end), lp_s):
                    return None
                return deadline - MIN_STAGE_SECONDS

            result, r_start, lp_bound, lp_basis, info = lp_rounding(
                form,
                rounding_problem,
                backend,
                opts,
                previous=rounding_problem.start,
                basis=lp_basis,
                tiebreak=tiebreak_term(form, sense, later, options.mip_gap),
                spare_until=spare_until,
            )
            if i == 0 and info and info.get("lp_s") is not None:
                first_lp_s = float(info["lp_s"])
            t_round = time.perf_counter() - t_round
            if (
                result is None
                and r_start is not None
                and (start is None or _better(sense, problem.objective_value(r_start), problem.objective_value(start)))
            ):
                start = r_start
        if result is None:
            problem = dataclasses.replace(problem, start=start)
            left = seconds_left(stage_end)
            lp_s = float(info["lp_s"]) if info and info.get("lp_s") is not None else 0.0
            if (
                t_round is not None
                and start is not None
                and left is not None
                and left < max(MIN_STAGE_SECONDS, FULL_MIP_LP_SHARE * lp_s)
            ):
                result = SolveResult.no_plan(
                    Status.NO_SOLUTION,
                    backend_name,
                    backend.version(),
                    0.0,
                    f"no time left for the MIP after LP rounding ({max(left, 0.0):.1f} s"
                    + (f"; its presolve alone would take about {FULL_MIP_LP_SHARE * lp_s:.1f} s)" if lp_s else ")"),
                )
            else:
                result = backend.solve(problem, opts)
                left = seconds_left(deadline)
                if (
                    start is None
                    and not result.has_solution
                    and result.status == Status.NO_SOLUTION
                    and left is not None
                    and left >= MIN_STAGE_SECONDS
                ):
                    # the first stage found no plan in its share: nothing after it can run without one, so it
                    # gets all the time left (the later stages are then skipped, or get what it leaves)
                    again = backend.solve(problem, dataclasses.replace(within, deadline=deadline))
                    again.solve_seconds += result.solve_seconds
                    again.extra["second_try"] = True
                    result = again
            if t_round is not None:  # LP rounding ran and gave (at most) the start: count its time too
                result.solve_seconds += t_round
                result.extra["lp_rounding"] = {"start_s": round(t_round, 3), "accepted": False, **(info or {})}
                result = tighter_bound(result, lp_bound, sense)
        if result.status == Status.INFEASIBLE and i == 0 and start is None:
            from .diagnose import diagnose

            diagnosis = diagnose(form, backend_name, within)
            raise InfeasibleError(diagnosis.message(), diagnosis)
        result = checked_bound(result, sense, value_range)  # against the solver's own plan
        if start is not None:
            result = keep_start(result, problem, start, options.mip_gap)
            if t_round is not None:  # a start kept without the MIP's bound still has the LP's
                result = tighter_bound(result, lp_bound, sense)
        result = checked_bound(result, sense, value_range)  # against the plan kept
        if first_note:
            result.extra["first_start"] = first_note
        if not result.has_solution:
            if result.status == Status.NO_SOLUTION:
                limit = "" if options.time_limit is None else f" ({options.time_limit:g} s)"
                raise SolverError(f"{backend_name} found no plan within the time limit{limit}; raise solver.time_limit")
            raise SolverError(f"{backend_name} failed at stage {name!r}: {result.status.value} {result.message}")
        x_best = result.x
        if result.status != Status.OPTIMAL:
            overall = Status.FEASIBLE
        value = result.objective
        outcome = None
        if (
            result.extra.get("kept_start")
            and result.status != Status.OPTIMAL
            and result.extra.get("solver_status") in (Status.NO_SOLUTION.value, Status.FEASIBLE.value)
        ):
            outcome = "time_limit"
        stage = StageResult(name, result, value, outcome=outcome)
        stages.append(stage)
        if name != "weighted" and i + 1 < len(plan_stages):
            stage.slack = stage_slack(float(value), result.best_bound, cfg.tolerance, options.mip_gap)
            fixed.append((form.terms[name], float(value), stage.slack))
    return settle_equity(form, clean_solution(form, x_best)), stages, overall.value


def writing_margin(time_limit: float | None) -> float | None:
    """What ``plan`` may take past ``time_limit`` to explain and write the plan: 5 % of it or 10 s, the larger."""
    return None if time_limit is None else max(0.05 * float(time_limit), 10.0)


OUTPUT_SECONDS_PER_ROW = 4.5e-4  # what a plan's tables, explanations and files take after the solve, per person
# and need row: twice the realistic city's 19.3 s for 85,260 rows (50,000 volunteers, 1,100 workers, 34,160
# needs; 710,353 allocation rows, 13.3 s of them writing allocations.csv), docs/performance.md
OUTPUT_RESERVE_SHARE = 0.25  # of the time limit, at most, taken from the solve for that


def output_reserve(scenario: Scenario, time_limit: float | None) -> float:
    """Seconds the stages end before the time limit so that the plan's tables and files fit in the writing
    margin: what they are estimated to take (``OUTPUT_SECONDS_PER_ROW`` per volunteer, social worker and
    need row) beyond the margin, at most ``OUTPUT_RESERVE_SHARE`` of the limit. 0 for a district (its 7,291
    rows: 3.3 s, within the 10-s margin); 28 s for the realistic city at 180 s, which otherwise ended its
    command 14 s past the margin."""
    if time_limit is None:
        return 0.0
    t = scenario.tables
    rows = sum(len(t[name]) for name in ("volunteers", "social_workers", "needs") if name in t)
    beyond = OUTPUT_SECONDS_PER_ROW * rows - (writing_margin(time_limit) or 0.0)
    return float(min(max(0.0, beyond), OUTPUT_RESERVE_SHARE * float(time_limit)))


def after_solve_deadline(started: float, time_limit: float | None) -> float | None:
    """The ``time.monotonic()`` instant by which the optional solve after the plan's (the marginal-value LP of
    ``explain.attach_explanations``) must end: half the writing margin past the deadline of a solve begun
    at ``started``, the other half being left for the tables, workbook, report and files."""
    margin = writing_margin(time_limit)
    return None if margin is None else started + float(time_limit) + 0.5 * margin


def solve_monolithic(
    scenario: Scenario,
    *,
    backend: str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    seed: int | None = None,
    log: bool | None = None,
    progress: Callable[[str], None] | None = None,
    load_seconds: float | None = None,
    history=None,
    tables_deadline: float | None = None,
) -> Plan:
    """One plan for the whole scenario, in one model: :func:`linkage_opt.solving.api.solve` (``lo.solve``)
    without ``decompose=``, and what :mod:`linkage_opt.solving.decompose` runs for each part.

    The arguments, and the errors raised, are those of :func:`linkage_opt.solving.api.solve`.
    """
    from ..inputs.history import apply_history, pairing_changes
    from ..inputs.load import validate_scenario

    started = time.monotonic()  # the time limit runs from here: building the model counts against it
    # bad input is a ValidationError, with the loader's messages, before anything is built
    option_problems = solver_option_problems(
        backend=backend, time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed, log=log
    )
    checked = scenario
    scenario = with_option_problems(option_problems, lambda: validate_scenario(checked))
    scenario = apply_history(scenario, history)
    previous_pairs = history.previous_pairs() if history is not None else None
    backend_name, options = solver_options(
        scenario, backend=backend, time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed, log=log
    )
    options = dataclasses.replace(options, deadline=call_deadline(options, started))
    if options.deadline is not None:  # a plan too large to write within the margin ends its stages earlier
        options = dataclasses.replace(options, deadline=options.deadline - output_reserve(scenario, options.time_limit))
    if progress:
        progress(Msg("building the model"))
    t0 = time.perf_counter()
    form = build(scenario, previous_pairs)
    build_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    # the planners' rule of thumb, repaired where it breaks a rule: the first stage's start, so the plan is
    # never (lexicographically) worse than it; unused when no repair makes it satisfy every requirement
    # guarantees placed first (when the repairs leave one short) may take all the time left and a quarter of
    # the writing margin: it stops at its first plan (a zero objective), it is the plan every stage starts
    # from, and without it a short limit on a busy machine ends with no plan at all (a sweep variant at 20 s,
    # load 5-8, did: docs/performance.md). Usually it takes a second or two and the stages get the rest.
    guarantee_deadline = None
    if options.deadline is not None:
        guarantee_deadline = options.deadline + 0.25 * (writing_margin(options.time_limit) or 0.0)
    rule_start, rule_report = rule_of_thumb_start(
        form, backend_name, dataclasses.replace(options, time_limit=None, deadline=guarantee_deadline)
    )
    x, stages, status = solve_formulation(
        form, backend_name, options, progress, first_start=rule_start if rule_report["feasible"] else None
    )
    solve_s = time.perf_counter() - t1
    first = stages[0].result.extra if stages else {}
    rule_report = {
        **rule_report,
        "start": first.get(
            "first_start",
            "not used: "
            + ("it breaks " + ", ".join(rule_report["blocked_by"]) if rule_report["blocked_by"] else "not needed"),
        ),
        "best_found": bool(rule_report["feasible"] and first.get("first_start") == "used" and first.get("kept_start")),
    }

    dispatch: dict = {}
    if tables_deadline is None and options.deadline is not None:
        # the time limit is a wall: rounding to dispatchable amounts gets half the writing margin (before the
        # explanations, which stop at their own deadline), and a plan it has not finished by then keeps the
        # model's exact amounts (valid; the summary says so). A quarter stopped the realistic district's.
        margin = writing_margin(options.time_limit)
        tables_deadline = options.deadline + 0.5 * (margin or 0.0)
    tables = build_tables(form, x, previous_pairs, dispatch=dispatch, deadline=tables_deadline)
    ran = [s for s in stages if s.ran and s.value is not None]
    last = ran[-1] if ran else stages[-1]  # the figures of the last stage that ran (later ones were skipped)
    objective = objective_terms(form, x)
    if scenario.config.objective.mode == "weighted":
        objective["weighted"] = stages[0].value
    objective = settle_objective(objective, tables, form, dispatch)  # of the plan as handed out
    m = form.model
    summary = {
        "status": status,
        "objective": objective,
        "objective_stage": last.stage,
        "best_bound": last.result.best_bound,
        "gap": relative_gap(last.result.objective, last.result.best_bound),
        "stages": [s.as_dict() for s in stages],
        "solver": {
            "name": backend_name,
            "version": stages[-1].result.solver_version,
            "time_limit": options.time_limit,
            "mip_gap": options.mip_gap,
            "threads": options.threads,
            "seed": options.seed,
        },
        "timings": {
            "load_s": round(load_seconds, 4) if load_seconds is not None else None,
            "build_s": round(build_s, 4),
            "solve_s": round(solve_s, 4),
            "write_s": None,
        },
        "model": {
            "variables": m.n_cols,
            "constraints": m.n_rows,
            "nonzeros": int(m.matrix().nnz),
            "integer_variables": int(m.integrality().sum()),
            "blocks": {k: b.size for k, b in m.var_blocks.items()},
            **form.info,
        },
        "metrics": plan_metrics(tables, scenario),
        "dispatch": dispatch,
        "rule_of_thumb_start": rule_report,
        "lapsed_lots": lapsed_lots(scenario),  # charity lots expired before the period: left out
        "config": str(scenario.config_path) if scenario.config_path else None,
        "inputs": dict(scenario.input_hashes),
        "package_version": __version__,
        "scenario": scenario.config.name,
        "period": scenario.config.period,
        "created_at": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
    }
    if previous_pairs is not None and scenario.config.stability.enabled:
        summary["stability"] = pairing_changes(previous_pairs, tables["allocations"], scenario)
    return Plan(**tables, summary=Summary.model_validate(summary), formulation=form, solution=x, solve_started=started)


def objective_terms(form: Formulation, x: np.ndarray) -> dict:
    """Each objective term at the plan, as the solver sees it (recomputable from the CSVs, docs/outputs.md)."""
    out = {name: term.value(x) for name, term in form.terms.items()}
    out["equity"] = equity_value(form, x)  # equals the settled equity term when it is modelled
    out["money"] = float(form.col_money @ x)
    out["stability_penalty"] = float(form.col_stability @ x)
    out["expiry_penalty"] = out["cost"] - out["money"] - out["stability_penalty"]
    return out
