"""The time limit is a wall: every backend, every stage, the diagnosis; a stage that finds nothing keeps the
plan it started from; a reported bound is always valid (right side of the plan, within the term's range).

Time assertions use generous margins (seconds, on shared CI cores), never speed."""

from __future__ import annotations

import dataclasses
import importlib
import itertools
import os
import stat
import sys
import time

import numpy as np
import pytest
import scipy.sparse as sp
from factories import make_scenario, unit

from linkage_opt.errors import SolverError
from linkage_opt.inputs.generate import generate_command
from linkage_opt.inputs.load import load_scenario
from linkage_opt.model.formulation import build
from linkage_opt.solvers import MipProblem, SolverOptions, Status, available_backends, get_backend
from linkage_opt.solvers.base import WATCHDOG_GRACE, SolveResult, max_violation
from linkage_opt.solving.api import solve
from linkage_opt.solving.check import check_plan
from linkage_opt.solving.diagnose import diagnose
from linkage_opt.solving.solve import (
    OUTPUT_SECONDS_PER_ROW,
    checked_bound,
    keep_start,
    output_reserve,
    solve_formulation,
    solver_options,
    stage_problem,
    term_range,
)

solve_mod = importlib.import_module("linkage_opt.solving.solve")  # the module (the package exports the function solve)

BACKENDS = available_backends()
SCENARIO_BACKENDS = [b for b in ("highs", "cbc", "scip") if b in BACKENDS]  # CP-SAT refuses continuous columns
MARGIN = 10.0  # what `plan` may take past its limit (issue #15: 5 % or 10 s, whichever is larger)
STAGE_STATUSES = {"optimal", "feasible", "time_limit", "skipped"}
OFF = {"rules": {"supervision": {"enabled": False}, "party_share": {"enabled": False}, "budget": {"enabled": False}}}


def hard_knapsacks(n: int = 600, m: int = 40) -> MipProblem:
    """600 binaries, 40 dense knapsack rows: no backend proves it within a few seconds."""
    rng = np.random.default_rng(0)
    A = rng.integers(1, 50, (m, n)).astype(float)
    c = rng.integers(10, 100, n).astype(float)
    return MipProblem(
        c=c,
        A=sp.csr_matrix(A),
        row_lo=np.full(m, -np.inf),
        row_hi=A.sum(axis=1) / 3,
        col_lo=np.zeros(n),
        col_hi=np.ones(n),
        integrality=np.ones(n, bool),
        sense="max",
    )


@pytest.fixture(scope="module")
def u40(tmp_path_factory):
    """A generated 40-unit scenario: HiGHS needs about 3 s for its coverage stage alone, CBC and SCIP more."""
    return load_scenario(generate_command(tmp_path_factory.mktemp("u40") / "sc", units=40, seed=1))


def assert_valid(scenario, form, x, summary=None) -> None:
    """The plan satisfies every row of the model, and the independent checker finds nothing (program funds
    included: lots and the budget are attributed to programs in one split, ``disaggregate.allocation_rows``)."""
    m = form.model
    lo, hi = m.row_bounds()
    lb, ub = m.bounds()
    model = MipProblem(
        c=np.zeros(m.n_cols), A=m.matrix(), row_lo=lo, row_hi=hi, col_lo=lb, col_hi=ub, integrality=m.integrality()
    )
    assert max_violation(model, x) <= 1e-6
    # the tables as solve() made them: rounded to dispatchable amounts, or exact when the limit stopped rounding
    stopped = bool(summary and (summary.get("dispatch") or {}).get("stopped_by_deadline"))
    tables = solve_mod.build_tables(form, x, rounded=not stopped)
    assert check_plan(scenario, tables, summary) == []


def assert_bounds_valid(plan) -> None:
    """Every stage's bound lies on the far side of its value and within its term's range."""
    form = plan.formulation
    for st in plan.summary["stages"]:
        b, v = st["best_bound"], st["objective"]
        if b is None or v is None or st["stage"] not in form.terms:
            continue
        lo, hi = term_range(form, st["stage"])
        assert lo - 1e-9 <= b <= hi + 1e-9, st
        if form.terms[st["stage"]].sense == "max":
            assert b >= v - 1e-9, st
        else:
            assert b <= v + 1e-9, st


# -- each backend, one call ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_returns_by_its_time_limit(backend):
    p = hard_knapsacks()
    t0 = time.monotonic()
    r = get_backend(backend).solve(p, SolverOptions(time_limit=1.0, mip_gap=0.0))
    wall = time.monotonic() - t0
    assert wall < 1.0 + 4.0, wall  # CBC's watchdog: 1 s grace + 2 s to kill; the others stop by themselves
    assert r.status in (Status.FEASIBLE, Status.NO_SOLUTION)
    if r.has_solution:
        assert max_violation(p, r.x) <= 1e-6
        assert r.best_bound is None or r.best_bound >= r.objective - 1e-6


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_time_left_means_no_run(backend):
    t0 = time.monotonic()
    r = get_backend(backend).solve(hard_knapsacks(), SolverOptions(deadline=time.monotonic() - 1.0))
    assert time.monotonic() - t0 < 3.0
    assert r.status == Status.NO_SOLUTION and r.x is None and "no time left" in r.message


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_earlier_of_time_limit_and_deadline_applies(backend):
    t0 = time.monotonic()
    r = get_backend(backend).solve(hard_knapsacks(), SolverOptions(time_limit=60.0, deadline=time.monotonic() + 1.0))
    assert time.monotonic() - t0 < 1.0 + 4.0
    assert r.status in (Status.FEASIBLE, Status.NO_SOLUTION)


def _fake_cbc(tmp_path, body: str) -> str:
    path = tmp_path / "cbc"
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.skipif("cbc" not in BACKENDS or os.name != "posix", reason="CBC and POSIX signals needed")
def test_cbc_past_its_own_limit_is_interrupted_and_its_best_solution_read(tmp_path, monkeypatch):
    """CBC checks ``-sec`` only between nodes; here it is told 1000 s, so only the watchdog can stop it."""
    from linkage_opt.solvers import pulp_cbc

    real = pulp_cbc.CbcBackend._executable()
    wrapper = _fake_cbc(
        tmp_path,
        f"#!{sys.executable}\nimport os, sys\na = sys.argv[1:]\n"
        f"a[a.index('-sec') + 1] = '1000'\nos.execv({real!r}, [{real!r}] + a)\n",
    )
    monkeypatch.setattr(pulp_cbc.CbcBackend, "_executable", staticmethod(lambda: wrapper))
    p = hard_knapsacks()
    t0 = time.monotonic()
    r = get_backend("cbc").solve(p, SolverOptions(time_limit=1.0, mip_gap=0.0))
    wall = time.monotonic() - t0
    assert wall < 1.0 + WATCHDOG_GRACE + pulp_cbc.CBC_KILL_GRACE + 2.0, wall
    assert r.extra.get("watchdog") in ("interrupted", "killed")
    assert r.status in (Status.FEASIBLE, Status.NO_SOLUTION)
    if r.has_solution:  # SIGINT in the tree search: CBC writes its best solution, which is checked
        assert max_violation(p, r.x) <= 1e-6


@pytest.mark.skipif("cbc" not in BACKENDS or os.name != "posix", reason="CBC and POSIX signals needed")
def test_cbc_that_ignores_sigint_is_killed(tmp_path, monkeypatch):
    from linkage_opt.solvers import pulp_cbc

    stubborn = _fake_cbc(tmp_path, "#!/bin/sh\ntrap '' INT\nexec sleep 60\n")
    monkeypatch.setattr(pulp_cbc.CbcBackend, "_executable", staticmethod(lambda: stubborn))
    t0 = time.monotonic()
    r = get_backend("cbc").solve(hard_knapsacks(), SolverOptions(time_limit=0.5))
    wall = time.monotonic() - t0
    assert wall < 0.5 + WATCHDOG_GRACE + pulp_cbc.CBC_KILL_GRACE + 2.0, wall
    assert r.status == Status.NO_SOLUTION and r.extra["watchdog"] == "killed"


@pytest.mark.skipif("cbc" not in BACKENDS or os.name != "posix", reason="CBC and POSIX needed")
@pytest.mark.parametrize("delay, expected", [(0.0, Status.INFEASIBLE), (0.9, Status.NO_SOLUTION)])
def test_cbc_infeasible_at_its_time_limit_is_not_trusted(tmp_path, monkeypatch, delay, expected):
    """CBC 2.10 whose time runs out in preprocessing can say 'Integer infeasible' of a feasible model."""
    from linkage_opt.solvers import pulp_cbc

    fake = _fake_cbc(
        tmp_path,
        f"#!{sys.executable}\nimport sys, time\na = sys.argv[1:]\n"
        f"time.sleep({delay} * float(a[a.index('-sec') + 1]))\n"
        "open(a[a.index('-solution') + 1], 'w').write('Integer infeasible - objective value 0\\n')\n",
    )
    monkeypatch.setattr(pulp_cbc.CbcBackend, "_executable", staticmethod(lambda: fake))
    r = get_backend("cbc").solve(hard_knapsacks(), SolverOptions(time_limit=1.0))
    assert r.status == expected, r.message


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_start_is_never_lost(backend):
    """Whatever a backend does with a start in too little time, keep_start answers at least as well."""
    p = hard_knapsacks()
    start = np.zeros(p.n_cols)
    start[:20] = 1.0  # feasible: 20 items fit under a third of each row's total
    assert max_violation(p, start) == 0.0
    r = get_backend(backend).solve(dataclasses.replace(p, start=start), SolverOptions(time_limit=0.2))
    kept = keep_start(r, dataclasses.replace(p, start=start), start, 0.0)
    assert kept.has_solution and kept.objective >= p.objective_value(start) - 1e-9
    assert max_violation(p, kept.x) <= 1e-6


# -- the whole solve ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    """The `town` preset: about 12 s for HiGHS's three stages, 6 s for CBC's, so a 3 s limit binds."""
    return load_scenario(generate_command(tmp_path_factory.mktemp("town") / "sc", "town", seed=0))


def _assert_plan_within(scenario, plan, wall, limit):
    assert wall < limit + MARGIN, wall
    assert plan.summary["status"] in ("feasible", "optimal")
    stages = plan.summary["stages"]
    assert [s["stage"] for s in stages] == ["coverage", "equity", "cost"]  # every stage recorded, run or not
    assert {s["status"] for s in stages} <= STAGE_STATUSES
    assert all(s["objective"] is not None for s in stages)
    assert sum(s["solve_s"] for s in stages) < limit + 4.0
    assert_valid(scenario, plan.formulation, plan.solution, plan.summary)
    assert_bounds_valid(plan)


@pytest.mark.parametrize("backend", SCENARIO_BACKENDS)
def test_plan_returns_by_the_limit_with_a_plan(town, backend):
    t0 = time.monotonic()
    plan = solve(town, backend=backend, time_limit=3.0)
    _assert_plan_within(town, plan, time.monotonic() - t0, 3.0)


@pytest.mark.parametrize("backend", SCENARIO_BACKENDS)
def test_two_seconds_on_forty_units(u40, backend):
    """A 2 s limit on a scenario no backend solves in 2 s: back by then; HiGHS with a plan, the others with a
    plan or "no plan within the time limit"."""
    t0 = time.monotonic()
    try:
        plan = solve(u40, backend=backend, time_limit=2.0)
    except SolverError as exc:
        # CBC and SCIP find their first plan here only after their root LP and heuristics (CBC about 1.5 s
        # unloaded, SCIP about 1 s): with two tries of the coverage stage in 2 s on loaded cores they may
        # find none. HiGHS's feasibility jump finds one in 0.3 s. The repaired rule of thumb, as the first
        # stage's start (solve_formulation's first_start), is what will make this a plan for every backend.
        assert backend != "highs" and "found no plan within the time limit" in str(exc)
        assert time.monotonic() - t0 < 2.0 + MARGIN
        return
    _assert_plan_within(u40, plan, time.monotonic() - t0, 2.0)


def test_lp_rounding_keeps_to_the_limit(u40):
    cfg = u40.config
    sc = u40.replace(config=cfg.model_copy(update={"solver": cfg.solver.model_copy(update={"lp_rounding": "always"})}))
    t0 = time.monotonic()
    plan = solve(sc, time_limit=2.0)
    assert time.monotonic() - t0 < 2.0 + MARGIN
    assert plan.summary["status"] in ("feasible", "optimal")
    assert_valid(sc, plan.formulation, plan.solution, plan.summary)
    assert_bounds_valid(plan)


class _Later:
    """A backend that is the real one for the first stage and, for later stages, runs it as ``later`` says."""

    def __init__(self, name: str, later):
        self.real, self.later, self.calls = get_backend(name), later, 0
        self.name = self.real.name

    def version(self) -> str:
        return self.real.version()

    def solve(self, problem, options):
        self.calls += 1
        return self.real.solve(problem, options) if self.calls == 1 else self.later(self.real, problem, options)


@pytest.mark.parametrize("backend", SCENARIO_BACKENDS)
def test_a_stage_out_of_time_keeps_the_previous_plan(u40, backend, monkeypatch):
    """Later stages' solver calls get no time: each stage is recorded as time_limit with the first stage's plan."""
    fake = _Later(backend, lambda real, p, o: real.solve(p, dataclasses.replace(o, deadline=time.monotonic() - 1)))
    monkeypatch.setattr(solve_mod, "get_backend", lambda name: fake)
    form = build(u40)
    _, options = solver_options(u40, backend=backend, time_limit=6.0)
    x, stages, status = solve_formulation(form, backend, options)
    assert status == "feasible"
    assert [s.as_dict()["status"] for s in stages[1:]] == ["time_limit", "time_limit"]
    assert all(s.as_dict()["kept_start"] for s in stages[1:])
    first = stages[0].result.x
    assert np.allclose(stages[1].result.x, solve_mod.settle_equity(form, first))
    assert stages[1].value == pytest.approx(form.terms["equity"].value(solve_mod.settle_equity(form, first)))
    assert form.terms["coverage"].value(x) == pytest.approx(stages[0].value, abs=1e-7)


@pytest.mark.parametrize("backend", SCENARIO_BACKENDS)
def test_a_stage_whose_start_is_not_taken_is_never_worse(u40, backend, monkeypatch):
    """Later stages run without their start and with 0.3 s: what a stage keeps is never worse than its start."""
    fake = _Later(
        backend,
        lambda real, p, o: real.solve(dataclasses.replace(p, start=None), dataclasses.replace(o, time_limit=0.3)),
    )
    monkeypatch.setattr(solve_mod, "get_backend", lambda name: fake)
    form = build(u40)
    _, options = solver_options(u40, backend=backend, time_limit=6.0)
    x, stages, status = solve_formulation(form, backend, options)
    assert status in ("feasible", "optimal")
    for prev, st in itertools.pairwise(stages):
        term = form.terms[st.stage]
        before = term.value(solve_mod.settle_equity(form, prev.result.x))
        assert (st.value >= before - 1e-9) if term.sense == "max" else (st.value <= before + 1e-9), st.stage
        assert st.result.has_solution
    assert_valid(u40, form, x)


def test_stages_without_time_are_skipped_and_recorded(u40, monkeypatch):
    """When the first stage leaves under MIN_STAGE_SECONDS, the later ones are 'skipped' with its plan."""
    monkeypatch.setattr(solve_mod, "stage_time_share", lambda i, n: 1.0)  # the first stage takes all the time
    t0 = time.monotonic()
    plan = solve(u40, time_limit=2.0)
    assert time.monotonic() - t0 < 2.0 + MARGIN
    st = plan.summary["stages"]
    assert [s["status"] for s in st[1:]] == ["skipped", "skipped"] and st[0]["status"] in ("feasible", "optimal")
    assert plan.summary["status"] == "feasible"
    assert plan.summary["objective_stage"] == "coverage"  # the bound reported is the last stage that ran
    assert all(s["best_bound"] is None and s["kept_start"] for s in st[1:])
    assert_valid(u40, plan.formulation, plan.solution, plan.summary)


def _open_scenario():
    """No guarantee: serving nothing (all zeros) satisfies every row."""
    return make_scenario(
        OFF,
        units=[unit("A"), unit("B", x=1)],
        needs=[
            {"need_id": "a", "unit_id": "A", "category": "elderly_care", "quantity": 6},
            {"need_id": "b", "unit_id": "B", "category": "elderly_care", "quantity": 4},
        ],
        volunteers=[{"volunteer_id": "v1", "home_unit": "A", "hours": 8, "skills": "general"}],
    )


def test_first_start_is_the_answer_when_the_first_stage_finds_nothing(monkeypatch):
    sc = _open_scenario()
    form = build(sc)
    real = get_backend("highs")
    calls = []

    class NothingFirst:
        name = "highs"

        def version(self):
            return real.version()

        def solve(self, problem, options):
            calls.append(problem.start)
            if len(calls) == 1:
                return SolveResult(
                    Status.NO_SOLUTION,
                    None,
                    None,
                    None,
                    None,
                    "highs",
                    real.version(),
                    0.0,
                    "stopped (time limit) without a solution",
                )
            return real.solve(problem, options)

    monkeypatch.setattr(solve_mod, "get_backend", lambda name: NothingFirst())
    zeros = np.zeros(form.model.n_cols)
    _x, stages, status = solve_formulation(form, "highs", SolverOptions(time_limit=30), first_start=zeros)
    assert calls[0] is not None and np.allclose(calls[0], solve_mod.settle_equity(form, zeros))  # the MIP start
    first = stages[0].as_dict()
    assert first["status"] == "time_limit" and first["kept_start"] and first["first_start"] == "used"
    assert first["objective"] == pytest.approx(0.0)
    assert status == "feasible" and len(stages) == 3


def test_first_start_does_not_hold_back_a_better_plan():
    sc = _open_scenario()
    form = build(sc)
    _x, stages, _status = solve_formulation(
        form, "highs", SolverOptions(time_limit=30), first_start=np.zeros(form.model.n_cols)
    )
    assert stages[0].value > 0.5 and not stages[0].as_dict().get("kept_start")
    assert stages[0].as_dict()["first_start"] == "used"


def test_a_first_start_that_breaks_a_row_is_refused():
    sc = make_scenario(
        OFF,
        units=[unit("A")],
        needs=[{"need_id": "g", "unit_id": "A", "category": "elderly_care", "quantity": 4, "tier": "guaranteed"}],
        volunteers=[{"volunteer_id": "v1", "home_unit": "A", "hours": 8, "skills": "general"}],
    )
    form = build(sc)
    _x, stages, status = solve_formulation(
        form, "highs", SolverOptions(time_limit=30), first_start=np.zeros(form.model.n_cols)
    )  # the guarantee is not met
    assert stages[0].as_dict()["first_start"].startswith("refused")
    assert status == "optimal" and stages[0].value > 0


def test_diagnosis_keeps_to_the_deadline():
    sc = make_scenario(
        OFF,
        units=[unit("A"), unit("B", x=1)],
        needs=[
            {"need_id": "a", "unit_id": "A", "category": "elderly_care", "quantity": 6, "tier": "guaranteed"},
            {"need_id": "b", "unit_id": "B", "category": "elderly_care", "quantity": 6, "tier": "guaranteed"},
        ],
        volunteers=[{"volunteer_id": "v1", "home_unit": "A", "hours": 10, "skills": "general", "max_km": 5}],
    )
    form = build(sc)
    t0 = time.monotonic()
    diag = diagnose(form, "highs", SolverOptions(deadline=time.monotonic() - 1.0))
    assert time.monotonic() - t0 < 2.0
    assert not diag.minimal and diag.notes and "raise solver.time_limit" in diag.message()
    assert "solver.time_limit" in diag.message("zh")
    full = diagnose(form, "highs", SolverOptions(time_limit=60))
    assert full.minimal and not full.notes


def test_the_marginal_value_lp_keeps_to_its_deadline(town):
    from linkage_opt.analysis.explain import marginal_values

    plan = solve(town, time_limit=5.0)
    t0 = time.monotonic()
    mv = marginal_values(plan.formulation, plan.solution, deadline=time.monotonic() - 1.0)
    assert time.monotonic() - t0 < 1.0 and mv.empty
    assert not marginal_values(plan.formulation, plan.solution, deadline=time.monotonic() + 60.0).empty


def test_the_cli_returns_by_the_limit_and_records_every_stage(u40, tmp_path):
    from typer.testing import CliRunner

    from linkage_opt.cli.commands import app

    t0 = time.monotonic()
    res = CliRunner().invoke(app, ["plan", str(u40.config_path), "--out", str(tmp_path / "p"), "--time-limit", "2"])
    wall = time.monotonic() - t0
    assert res.exit_code == 1, res.output
    assert wall < 2.0 + MARGIN, wall
    import json

    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["status"] == "feasible"
    assert [s["stage"] for s in summary["stages"]] == ["coverage", "equity", "cost"]
    assert {s["status"] for s in summary["stages"]} <= STAGE_STATUSES


# -- bounds ------------------------------------------------------------------------------------------------------------


def _result(obj, bound, status=Status.FEASIBLE):
    return SolveResult(status, np.zeros(1), obj, bound, None, "highs", "test", 1.0, "")


def test_a_bound_beyond_the_terms_range_is_reported_as_the_range_end():
    r = checked_bound(_result(0.312, 30.73), "max", (0.0, 1.0))
    assert r.best_bound == 1.0 and r.gap == pytest.approx(0.688)
    assert "exceeds the term's largest possible value 1" in r.extra["bound_note"]
    r = checked_bound(_result(5.0, -3.0), "min", (0.0, np.inf))
    assert r.best_bound == 0.0


def test_a_bound_on_the_wrong_side_is_never_reported():
    r = checked_bound(_result(0.9, 0.8, Status.OPTIMAL), "max", (0.0, 1.0))
    assert r.best_bound is None and r.gap is None and r.status == Status.FEASIBLE
    assert "wrong side" in r.extra["bound_note"]
    r = checked_bound(_result(100.0, 120.0), "min")
    assert r.best_bound is None
    r = checked_bound(_result(0.9, 0.9 - 1e-9), "max", (0.0, 1.0))  # solver tolerance: the value is the bound
    assert r.best_bound == 0.9 and r.gap == 0.0
    r = checked_bound(_result(0.9, 0.95), "max", (0.0, 1.0))  # a valid bound passes untouched
    assert r.best_bound == 0.95 and "bound_note" not in r.extra


def test_term_ranges_hold_at_the_lp_optimum(u40):
    """The documented ranges are real: the LP relaxation cannot push coverage or equity beyond [0, 1]."""
    form = build(u40)
    hi = get_backend("highs")
    for name in ("coverage", "equity"):
        term = form.terms[name]
        lo_r, hi_r = term_range(form, name)
        assert (lo_r, hi_r) == (0.0, 1.0)
        p = stage_problem(form, term.c, "max", term.offset, [], 1e-9)
        lp = hi.solve(dataclasses.replace(p, integrality=np.zeros_like(p.integrality)), SolverOptions(time_limit=60))
        assert lp.status == Status.OPTIMAL and lp.objective <= hi_r + 1e-7
    cost = form.terms["cost"]
    lo_c, _ = term_range(form, "cost")
    p = stage_problem(form, cost.c, "min", cost.offset, [], 1e-9)
    lp = hi.solve(dataclasses.replace(p, integrality=np.zeros_like(p.integrality)), SolverOptions(time_limit=60))
    assert lp.objective >= lo_c - 1e-6


def test_an_early_stop_reports_no_bound_above_one(u40):
    """HiGHS stopped inside its root reports the bound presolve gets from column bounds (7.6 here)."""
    form = build(u40)
    term = form.terms["coverage"]
    p = stage_problem(form, term.c, "max", term.offset, [], 1e-9)
    r = get_backend("highs").solve(p, SolverOptions(time_limit=0.6, threads=1))
    checked = checked_bound(r, "max", term_range(form, "coverage"))
    assert checked.best_bound is None or checked.best_bound <= 1.0
    if r.best_bound is not None and r.best_bound > 1.0:
        assert checked.best_bound == 1.0 and "bound_note" in checked.extra


def test_every_stage_bound_is_checked_in_the_pipeline(town, monkeypatch):
    """A backend reporting the 170-unit district's 30.73 for coverage, and a wrong-side bound for equity."""
    real = get_backend("highs")
    calls = []

    class Loose:
        name = "highs"

        def version(self):
            return real.version()

        def solve(self, problem, options):
            r = real.solve(problem, options)
            calls.append(r)
            if len(calls) == 1:
                return dataclasses.replace(r, best_bound=30.73, gap=None)
            if len(calls) == 2 and r.objective is not None:
                return dataclasses.replace(r, best_bound=r.objective - 0.1, gap=None)
            return r

    monkeypatch.setattr(solve_mod, "get_backend", lambda name: Loose())
    plan = solve(town, time_limit=6.0)
    cov, eq = plan.summary["stages"][:2]
    assert cov["best_bound"] == 1.0 and "exceeds" in cov["bound_note"]
    assert cov["slack"] <= town.config.solver.mip_gap * 1.0 + 1e-12  # the loose bound widens nothing
    assert eq["best_bound"] is None and "wrong side" in eq["bound_note"] and eq["status"] != "optimal"
    assert_bounds_valid(plan)


def test_a_slow_guarantees_first_start_still_gives_a_plan_within_the_margin(u40, monkeypatch):
    """On a busy machine the guarantees-first start (the plan every stage starts from) may take longer than
    the stages' share: it may then use the whole limit and a quarter of the margin, and the plan is that
    start, back within the limit plus the margin -- not "no plan"."""
    from linkage_opt.solving import baseline

    real = baseline.guarantee_plan

    def slow(form, backend_name, options):
        time.sleep(1.6)  # most of a 2-second limit gone before the search starts
        return real(form, backend_name, options)

    monkeypatch.setattr(baseline, "guarantee_plan", slow)
    t0 = time.monotonic()
    plan = solve(u40, time_limit=2.0)
    wall = time.monotonic() - t0
    assert wall < 2.0 + MARGIN, wall
    assert plan.summary["rule_of_thumb_start"]["guarantees_first"]["used"]
    assert plan.summary["metrics"]["guaranteed_met"] == plan.summary["metrics"]["guaranteed_needs"]
    assert_valid(u40, plan.formulation, plan.solution, plan.summary)


def test_a_later_stage_whose_lp_cannot_finish_is_skipped_and_keeps_the_plan(u40, monkeypatch):
    """A later stage whose share of the time is below LP_SKIP_FACTOR times the first stage's LP relaxation
    is not started (its LP would not finish and it would keep its start anyway): the time goes to the
    outputs, the summary says why, and the plan is the first stage's, valid."""
    from linkage_opt.solving import solve as solve_mod

    monkeypatch.setattr(solve_mod, "LP_SKIP_FACTOR", 1e9)  # every later LP "would not finish"
    cfg = u40.config
    sc = u40.replace(config=cfg.model_copy(update={"solver": cfg.solver.model_copy(update={"lp_rounding": "always"})}))
    t0 = time.monotonic()
    plan = solve(sc, time_limit=60.0)
    assert time.monotonic() - t0 < 60.0
    first, *later = plan.summary["stages"]
    assert first["lp_rounding"]["lp_s"] > 0
    assert [s["status"] for s in later] == ["skipped", "skipped"]
    assert all("its LP relaxation would not finish" in s["message"] for s in later)
    assert plan.summary["status"] == "feasible"
    assert_valid(sc, plan.formulation, plan.solution, plan.summary)


def test_a_plan_too_large_to_write_in_the_margin_ends_its_stages_earlier():
    """The stages of a scenario whose tables and files would not fit in the writing margin end before the
    time limit by what they need beyond it, at most a quarter of the limit; a district's fit (no reserve)."""
    from types import SimpleNamespace

    import pandas as pd

    def sized(people: int, needs: int) -> SimpleNamespace:
        return SimpleNamespace(
            tables={"volunteers": pd.DataFrame(index=range(people)), "needs": pd.DataFrame(index=range(needs))}
        )

    assert output_reserve(sized(4_250, 2_947), 60.0) == 0.0  # the realistic district: 3.3 s, within 10 s
    assert output_reserve(sized(4_250, 2_947), None) == 0.0
    city = output_reserve(sized(51_100, 34_160), 180.0)
    assert city == pytest.approx(OUTPUT_SECONDS_PER_ROW * 85_260 - 10.0)  # beyond the 10-s margin
    assert output_reserve(sized(1_000_000, 500_000), 180.0) == pytest.approx(45.0)  # a quarter of the limit
