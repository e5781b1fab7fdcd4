"""LP rounding (solver.lp_rounding): what it returns satisfies every row, a plan it declares solved is within
the gap of the LP bound, a later stage's keeps its programs between the previous plan's and the LP's and is never worse than the previous plan, and
plans with and without it agree within the gap."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage_opt import lang
from linkage_opt.inputs.generate import generate_command
from linkage_opt.inputs.load import load_scenario
from linkage_opt.model.formulation import build, equity_value, settle_equity
from linkage_opt.solvers import SolverOptions, Status, get_backend
from linkage_opt.solvers.base import SolveResult
from linkage_opt.solving.api import solve
from linkage_opt.solving.check import check_plan
from linkage_opt.solving.solve import (
    IDLE_FLOW_SHARE,
    TIEBREAK_SHARE,
    idle_flows,
    lift_links,
    lp_rounding,
    stage_problem,
    stage_slack,
    tiebreak_term,
    tighter_bound,
    use_lp_rounding,
    without_linking_rows,
)

GAP = 0.005


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    root = tmp_path_factory.mktemp("town")
    return load_scenario(generate_command(root / "sc", "town", seed=3))


def _with(scenario, mode: str, gap: float = GAP):
    cfg = scenario.config
    return scenario.replace(
        config=cfg.model_copy(
            update={"solver": cfg.solver.model_copy(update={"lp_rounding": mode, "mip_gap": gap, "time_limit": 120.0})}
        )
    )


def _coverage_stage(scenario):
    """The scenario's model with LP rounding on, its coverage term and the coverage stage's problem."""
    form = build(_with(scenario, "always"))
    term = form.terms["coverage"]
    return form, term, stage_problem(form, term.c, "max", term.offset, [], 1e-9)


def _rounded_coverage(scenario):
    """The coverage stage rounded (``lp_rounding``, gap GAP, 60 s): the model, term, problem, the plan
    returned (solved or the start) and the rounding's bound and report."""
    form, term, problem = _coverage_stage(scenario)
    result, start, bound, _, info = lp_rounding(
        form, problem, get_backend("highs"), SolverOptions(time_limit=60, mip_gap=GAP)
    )
    return form, term, problem, (result.x if result is not None else start), bound, info


def test_auto_leaves_small_models_alone(town):
    form = build(town)
    term = form.terms["coverage"]
    problem = stage_problem(form, term.c, "max", term.offset, [], 1e-9)
    assert not use_lp_rounding(form, problem, "highs")  # 20,000 columns or more only
    assert use_lp_rounding(build(_with(town, "always")), problem, "highs")
    assert not use_lp_rounding(build(_with(town, "always")), problem, "cbc")  # HiGHS's IPM only


def test_what_lp_rounding_returns_satisfies_every_row(town):
    form, term, problem = _coverage_stage(town)
    result, start, bound, _, _ = lp_rounding(
        form, problem, get_backend("highs"), SolverOptions(time_limit=60, mip_gap=GAP)
    )
    x = result.x if result is not None else start
    assert x is not None, "the town's rounding finds a plan"
    assert bound is not None and bound >= term.value(x) - 1e-9  # the LP bounds the plan
    _assert_feasible(problem, x)
    if result is not None:  # declared solved: within the gap of the LP relaxation's bound
        assert result.best_bound == bound >= result.objective - 1e-9
        assert (result.best_bound - result.objective) / max(1.0, abs(result.objective)) <= GAP + 1e-12


def _assert_feasible(problem, x):
    act = problem.A @ x
    tol = 1e-6 * np.maximum(1.0, np.abs(act))
    assert np.all(act >= problem.row_lo - tol) and np.all(act <= problem.row_hi + tol)
    assert np.all(x >= problem.col_lo - 1e-9) and np.all(x <= problem.col_hi + 1e-9)
    ints = problem.integrality.astype(bool)
    assert np.allclose(x[ints], np.round(x[ints]), atol=1e-6)


def test_the_first_stage_chooses_which_fractional_programs_round_up(town):
    """Each program's instances lie between the LP's value rounded down and up, and the plan is no worse
    than the one with every program rounded down (the restricted MIP's box contains that plan, up to the
    idle flows it also fixes at 0; on this town they cost it nothing)."""
    form = build(_with(town, "always"))
    backend, options = get_backend("highs"), SolverOptions(time_limit=60, mip_gap=0.0)
    cov = form.terms["coverage"]
    problem = stage_problem(form, cov.c, "max", cov.offset, [], 1e-9)
    result, start, _, _, _ = lp_rounding(form, problem, backend, options)
    x = result.x if result is not None else start
    lp = backend.solve(
        dataclasses.replace(problem, integrality=np.zeros_like(problem.integrality)), SolverOptions(lp_method="ipm")
    )
    y = form.var("y").ids
    assert np.all(x[y] >= np.floor(lp.x[y] + 1e-6) - 1e-9) and np.all(x[y] <= np.ceil(lp.x[y] - 1e-6) + 1e-9)
    lo, hi = problem.col_lo.copy(), problem.col_hi.copy()
    lo[y] = hi[y] = np.floor(lp.x[y] + 1e-6)
    z = form.var("z_org").ids
    lo[z] = hi[z] = np.ceil(lp.x[z] - 1e-6)
    floored = backend.solve(dataclasses.replace(problem, col_lo=lo, col_hi=hi), options)
    assert floored.objective is not None and cov.value(x) >= floored.objective - 1e-7
    # on this town 14 programs are fractional in the LP, and rounding some up is worth it (0.9603 > 0.9588)
    assert cov.value(x) > floored.objective + 1e-4


@pytest.mark.parametrize("gap", [GAP, 1e-4])  # 1e-4: not accepted at once, so the RINS step runs
def test_a_later_stage_keeps_programs_near_the_previous_plan_and_never_does_worse(town, gap):
    form = build(_with(town, "always"))
    backend, options = get_backend("highs"), SolverOptions(time_limit=60, mip_gap=gap)
    cov, eq = form.terms["coverage"], form.terms["equity"]
    first = stage_problem(form, cov.c, "max", cov.offset, [], 1e-9)
    result, start, bound, basis, _ = lp_rounding(form, first, backend, SolverOptions(time_limit=60, mip_gap=GAP))
    assert basis is not None
    x1 = result.x if result is not None else start
    v = cov.value(x1)
    second = stage_problem(form, eq.c, "max", eq.offset, [(cov, v, stage_slack(v, bound, 1e-9, GAP))], 1e-9)
    previous = settle_equity(form, x1)
    _assert_feasible(second, previous)
    result, start, bound, _, info = lp_rounding(form, second, backend, options, previous=previous, basis=basis)
    cold = lp_rounding(form, second, backend, options, previous=previous)
    assert abs(bound - cold.bound) <= 1e-7 * max(1.0, abs(bound))  # the warm LP is the same LP
    assert info["lp_warm"] and info["linking_rows_relaxed"] > 0  # the first stage's basis was taken
    lp, _, dropped = without_linking_rows(
        form, dataclasses.replace(second, integrality=np.zeros_like(second.integrality))
    )
    assert dropped == basis.dropped  # the same rows left out as in the first stage's LP, whose basis fits
    warm = backend.solve(dataclasses.replace(lp, basis=basis.basis), options)
    assert warm.extra["warm_basis"] and warm.status == Status.OPTIMAL
    assert abs(warm.objective - cold.bound) <= 1e-7 * max(1.0, abs(bound))
    x2 = result.x if result is not None else start
    _assert_feasible(second, x2)
    assert eq.value(x2) >= eq.value(previous) - 1e-9  # the previous plan was its start
    assert bound is not None and bound >= eq.value(x2) - 1e-9
    assert info["fixed"] == "previous"
    assert gap == GAP or "rins_s" in info
    if "rins_s" not in info:  # no RINS step: programs between the previous plan's and the LP's, rounded outwards
        ids = form.var("y").ids
        prev, lp_y = np.round(previous[ids]), warm.x[ids]
        assert np.all(x2[ids] >= np.minimum(prev, np.floor(lp_y + 1e-6)) - 1e-9)
        assert np.all(x2[ids] <= np.maximum(prev, np.ceil(lp_y - 1e-6)) + 1e-9)
    if result is not None:
        assert result.extra["lp_rounding"]["fixed"] == "previous"


def test_the_lp_bound_replaces_a_weaker_solver_bound():
    r = SolveResult(Status.FEASIBLE, np.zeros(1), 0.90, 1.0, 0.1, "highs", "1", 1.0)
    assert tighter_bound(r, 0.95, "max").best_bound == 0.95
    assert abs(tighter_bound(r, 0.95, "max").gap - 0.05) < 1e-12
    assert tighter_bound(r, 1.2, "max").best_bound == 1.0  # the solver's is tighter: kept
    m = SolveResult(Status.FEASIBLE, np.zeros(1), 100.0, 50.0, 0.5, "highs", "1", 1.0)
    assert tighter_bound(m, 80.0, "min").best_bound == 80.0
    assert tighter_bound(m, 40.0, "min").best_bound == 50.0
    assert tighter_bound(m, None, "min") is m


def test_plans_with_and_without_lp_rounding_agree_within_the_gap(town):
    said: list[str] = []
    a = solve(_with(town, "always"), progress=said.append)
    b = solve(_with(town, "never"))
    assert a.status == b.status == "optimal"
    assert "lp_rounding" in a.summary["stages"][0] and "lp_rounding" not in b.summary["stages"][0]
    ca, cb = a.objective["coverage"], b.objective["coverage"]
    assert abs(ca - cb) <= 2 * GAP * max(1.0, abs(cb)) + 1e-9
    for plan in (a, b):
        assert not check_plan(town, plan.tables(), plan.summary)

    # every stage announced its rounding, and the progress lines read in Chinese too
    assert sum("(LP rounding)" in line for line in said) == len(a.summary["stages"]) == 3
    lang.MISSES.clear()
    zh = [lang.render(line, "zh") for line in said]
    assert not lang.MISSES and not any(w in line for line in zh for w in ("coverage", "equity", "cost", "rounding"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), sense=st.sampled_from(["max", "min"]))
def test_the_tiebreak_lies_within_its_share_of_the_gap_at_every_point_of_the_box(town, seed, sense):
    """``g @ x + g0`` is in [0, G] (max stage) or [-G, 0] (min stage) wherever the columns are within their
    bounds, so a bound on the perturbed objective bounds the stage's own term."""
    form = build(town)
    tb = tiebreak_term(form, sense, ["equity", "cost"], GAP)
    assert tb is not None
    g, g0 = tb
    lb, ub = form.model.bounds()
    rng = np.random.default_rng(seed)
    u = rng.random(len(lb))
    x = np.where(np.isfinite(ub), lb + u * (np.where(np.isfinite(ub), ub, lb) - lb), lb + u * 10)
    val = float(g @ x + g0)
    G = TIEBREAK_SHARE * GAP
    if sense == "max":
        assert -1e-12 <= val <= G + 1e-12
    else:
        assert -G - 1e-12 <= val <= 1e-12
    assert tiebreak_term(form, sense, ["equity", "cost"], 0.0) is None  # an exact optimum asked: no tie-break


def test_the_coverage_stage_breaks_ties_towards_equity_at_its_own_objective(town):
    """With the later terms as a tie-break the restricted plan is measured by coverage alone, stays within
    the gap of the coverage LP bound, and its lowest unit ratio is well above the plan without it."""
    form = build(_with(town, "always"))
    cov = form.terms["coverage"]
    problem = stage_problem(form, cov.c, "max", cov.offset, [], 1e-9)
    backend, options = get_backend("highs"), SolverOptions(time_limit=60, mip_gap=GAP)
    plain = lp_rounding(form, problem, backend, options)
    tied = lp_rounding(form, problem, backend, options, tiebreak=tiebreak_term(form, "max", ["equity", "cost"], GAP))
    x0 = plain.result.x if plain.result is not None else plain.start
    x1 = tied.result.x if tied.result is not None else tied.start
    _assert_feasible(problem, x1)
    assert tied.bound == pytest.approx(plain.bound, abs=1e-9)  # the LP is the stage's own
    if tied.result is not None:
        assert tied.result.objective == pytest.approx(cov.value(x1), abs=1e-9)
        assert tied.bound - tied.result.objective <= GAP + 1e-12
    # on this town: 0.765 without the tie-break, 0.951 with it, at coverage 0.9599 both
    assert equity_value(form, x1) > equity_value(form, x0) + 0.1


def test_idle_flows_are_unused_costly_flows_the_previous_plan_does_not_use(town):
    """``idle_flows`` picks flow columns (block x) at 0 in the LP whose reduced cost times their upper bound
    exceeds the share of the gap, never one the previous plan uses."""
    form, _, problem = _coverage_stage(town)
    lp = get_backend("highs").solve(
        dataclasses.replace(problem, integrality=np.zeros_like(problem.integrality)), SolverOptions(lp_method="ipm")
    )
    idle = idle_flows(form, problem, lp, None, GAP)
    x = form.var("x")
    assert len(idle) and np.all((idle >= x.start) & (idle < x.stop))
    assert np.all(lp.x[idle] <= 1e-9)
    scale = IDLE_FLOW_SHARE * GAP * max(1.0, abs(lp.objective))
    assert np.all(np.abs(lp.col_duals[idle]) * problem.col_hi[idle] > scale)
    # used by a previous plan: never idle
    previous = np.zeros(problem.n_cols)
    previous[idle[: len(idle) // 2]] = 1.0
    assert not set(idle_flows(form, problem, lp, previous, GAP)) & set(idle[: len(idle) // 2].tolist())
    # a backend without reduced costs fixes nothing
    assert len(idle_flows(form, problem, dataclasses.replace(lp, col_duals=None), None, GAP)) == 0


def test_a_restricted_mip_without_a_plan_on_the_idle_flows_runs_again_with_them(town, monkeypatch):
    """With every flow fixed at 0 the guarantees cannot be met, so the restricted MIP has no plan; it runs
    again with the flows free, and the rounding still returns a plan that satisfies every row."""
    import linkage_opt.solving.solve as solve_mod

    monkeypatch.setattr(solve_mod, "idle_flows", lambda form, *_: form.var("x").ids)
    form, cov, problem, x, bound, info = _rounded_coverage(town)
    assert x is not None and info["idle_flows_fixed"] == form.var("x").size
    assert info["idle_flows"].startswith("freed again: infeasible")
    _assert_feasible(problem, x)
    assert bound >= cov.value(x) - 1e-9


def test_spared_time_reaches_the_restricted_mips(town):
    """``spare_until`` extends the restricted MIPs' deadline past the stage's own (the solver options used to
    keep the old one); without it they end by the stage's share."""
    import time

    form, _, problem = _coverage_stage(town)
    highs = get_backend("highs")
    seen: list[tuple[bool, float | None]] = []

    class Recording:
        def solve(self, p, options):
            seen.append((bool(p.n_integer), options.deadline))
            return highs.solve(p, options)

    later = time.monotonic() + 1000.0
    lp_rounding(form, problem, Recording(), SolverOptions(time_limit=60, mip_gap=0.0), spare_until=lambda s: later)
    assert [d for is_mip, d in seen if is_mip] == [later] * sum(is_mip for is_mip, _ in seen) and seen[-1][0]
    seen.clear()
    lp_rounding(form, problem, Recording(), SolverOptions(time_limit=60, mip_gap=0.0))
    assert all(d is not None and d < time.monotonic() + 60 for _, d in seen)


def test_the_lp_without_linking_rows_bounds_the_stage_and_its_engagements_are_lifted(town):
    """LP rounding's LP leaves out the per-edge linking rows whose linking columns the stage does not price:
    a relaxation (its optimum bounds the full LP's), and the engagements raised by ``lift_links`` satisfy
    the rows left out. The cost stage prices engagements (fixed costs), so it keeps the organizations'."""
    form = build(_with(town, "always"))
    backend, options = get_backend("highs"), SolverOptions(time_limit=60)
    cov, cost = form.terms["coverage"], form.terms["cost"]
    full = stage_problem(form, cov.c, "max", cov.offset, [], 1e-9)
    full = dataclasses.replace(full, integrality=np.zeros_like(full.integrality))
    relaxed, links, dropped = without_linking_rows(form, full)
    assert "org_link_flow" in dropped and "worker_link_flow" in dropped and links is not None
    assert relaxed.n_rows == full.n_rows - links.shape[0] and relaxed.n_cols == full.n_cols
    a, b = backend.solve(full, options), backend.solve(relaxed, options)
    assert b.objective >= a.objective - 1e-7  # a relaxation: never below the full LP
    x = lift_links(b.x, links, full.col_hi)
    assert np.all(links @ x <= 1e-7)  # every row left out holds after the lift
    assert np.all(x >= b.x - 1e-12) and np.all(x <= full.col_hi + 1e-12)  # only raised, within bounds
    money = stage_problem(form, cost.c, cost.sense, cost.offset, [], 1e-9)
    _, _, kept_out = without_linking_rows(form, money)
    assert not any(name.startswith("org_link") for name in kept_out)
