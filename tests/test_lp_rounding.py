"""The first stage's LP-rounding start (solver.lp_rounding): what it returns satisfies every row, a plan it
declares solved is within the gap of the LP bound, and plans with and without it agree within the gap."""

from __future__ import annotations

import numpy as np
import pytest

from linkage_opt.check import check_plan
from linkage_opt.formulation import build
from linkage_opt.generate import generate_command
from linkage_opt.load import load_scenario
from linkage_opt.solve import lp_rounding, solve, stage_problem, use_lp_rounding
from linkage_opt.solvers import SolverOptions, get_backend

GAP = 0.005


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    root = tmp_path_factory.mktemp("town")
    return load_scenario(generate_command(root / "sc", "town", seed=3))


def _with(scenario, mode: str, gap: float = GAP):
    cfg = scenario.config
    return scenario.replace(config=cfg.model_copy(update={"solver": cfg.solver.model_copy(
        update={"lp_rounding": mode, "mip_gap": gap, "time_limit": 120.0})}))


def test_auto_leaves_small_models_alone(town):
    form = build(town)
    term = form.terms["coverage"]
    problem = stage_problem(form, term.c, "max", term.offset, [], 1e-9)
    assert not use_lp_rounding(form, problem, "highs")               # 20,000 columns or more only
    assert use_lp_rounding(build(_with(town, "always")), problem, "highs")
    assert not use_lp_rounding(build(_with(town, "always")), problem, "cbc")   # HiGHS's IPM only


def test_what_lp_rounding_returns_satisfies_every_row(town):
    form = build(_with(town, "always"))
    term = form.terms["coverage"]
    problem = stage_problem(form, term.c, "max", term.offset, [], 1e-9)
    result, start = lp_rounding(form, problem, get_backend("highs"), SolverOptions(time_limit=60, mip_gap=GAP))
    x = result.x if result is not None else start
    assert x is not None, "the town's rounding finds a plan"
    act = problem.A @ x
    tol = 1e-6 * np.maximum(1.0, np.abs(act))
    assert np.all(act >= problem.row_lo - tol) and np.all(act <= problem.row_hi + tol)
    assert np.all(x >= problem.col_lo - 1e-9) and np.all(x <= problem.col_hi + 1e-9)
    ints = problem.integrality.astype(bool)
    assert np.allclose(x[ints], np.round(x[ints]), atol=1e-6)
    if result is not None:        # declared solved: within the gap of the LP relaxation's bound
        assert result.best_bound >= result.objective - 1e-9
        assert (result.best_bound - result.objective) / max(1.0, abs(result.objective)) <= GAP + 1e-12


def test_plans_with_and_without_lp_rounding_agree_within_the_gap(town):
    a = solve(_with(town, "always"))
    b = solve(_with(town, "never"))
    assert a.status == b.status == "optimal"
    assert "lp_rounding" in a.summary["stages"][0] and "lp_rounding" not in b.summary["stages"][0]
    ca, cb = a.objective["coverage"], b.objective["coverage"]
    assert abs(ca - cb) <= 2 * GAP * max(1.0, abs(cb)) + 1e-9
    for plan in (a, b):
        assert not check_plan(town, plan.tables(), plan.summary)
