"""Every backend behind the one interface: known optima, senses, infeasibility, duals, MPS, agreement."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage_opt.solvers import MipProblem, SolverOptions, Status, available_backends, get_backend
from linkage_opt.solvers.mps import read_mps_solve_bare, write_mps

BACKENDS = available_backends()
MIP_BACKENDS = [b for b in ("highs", "cbc", "scip") if b in BACKENDS]  # the ones taking any MILP
MKNAP = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "mknap" / "mknap1.txt"
INF = np.inf


def problem(c, A, row_lo, row_hi, col_lo, col_hi, integer, sense="min", offset=0.0) -> MipProblem:
    c = np.asarray(c, float)
    return MipProblem(
        c=c,
        A=sp.csr_matrix(np.asarray(A, float)),
        row_lo=np.asarray(row_lo, float),
        row_hi=np.asarray(row_hi, float),
        col_lo=np.asarray(col_lo, float),
        col_hi=np.asarray(col_hi, float),
        integrality=np.broadcast_to(np.asarray(integer, bool), c.shape),
        sense=sense,
        offset=offset,
    )


def knapsack(offset=0.0) -> MipProblem:
    # max 10a + 13b + 7c  s.t. 3a + 4b + 2c <= 6, binary: a+b (23) and a+b+c do not fit, b + c = 20 is best
    return problem([10, 13, 7], [[3, 4, 2]], [-INF], [6], np.zeros(3), np.ones(3), True, "max", offset)


def assignment() -> MipProblem:
    # 3x3 assignment, min cost. Of the 6 permutations only 0->1, 1->0, 2->2 costs 5 (1 + 2 + 2); the diagonal costs 6
    cost = np.array([[4.0, 1, 3], [2, 0, 5], [3, 2, 2]])
    n = 3
    rows, cols = [], []
    for i in range(n):
        for j in range(n):
            rows += [i, n + j]
            cols += [i * n + j] * 2
    A = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(2 * n, n * n))
    return MipProblem(
        c=cost.ravel(),
        A=A,
        row_lo=np.ones(2 * n),
        row_hi=np.ones(2 * n),
        col_lo=np.zeros(9),
        col_hi=np.ones(9),
        integrality=np.ones(9, bool),
        sense="min",
    )


def random_knapsacks(sense: str) -> MipProblem:
    """250 binaries, 30 dense knapsack rows: takes HiGHS seconds to prove, so a short limit stops it early."""
    rng = np.random.default_rng(0)
    n, m = 250, 30
    A = rng.integers(1, 50, (m, n)).astype(float)
    c = rng.integers(10, 100, n).astype(float)
    return problem(
        c if sense == "max" else -c,
        A,
        np.full(m, -INF),
        A.sum(axis=1) / 3,
        np.zeros(n),
        np.ones(n),
        True,
        sense,
        offset=3.25,
    )


# -- registry -------------------------------------------------------------------------------------------------------


def test_registry_names_default_and_unknown():
    assert "highs" in BACKENDS
    assert get_backend("").name == "highs" and get_backend("HiGHS").name == "highs"
    with pytest.raises(ValueError, match="highs, cbc, scip, cpsat"):
        get_backend("gurobi")


def test_importing_the_package_loads_no_solver_library():
    code = (
        "import sys, linkage_opt.solvers as s; s.get_backend('highs'); "
        "print([m for m in ('highspy', 'pulp', 'ortools') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("backend", BACKENDS)
def test_backends_declare_features_and_have_what_they_declare(backend):
    from linkage_opt.solvers import Features, features

    f = features(backend)
    assert isinstance(f, Features)
    if not (f.duals or f.warm_basis):
        return  # nothing more declared (CP-SAT takes no continuous LP)
    lp = problem([1, 2], [[1, 1]], [1], [INF], [0, 0], [INF, INF], False)  # min x + 2y, x + y >= 1
    r = get_backend(backend).solve(lp, SolverOptions())
    assert r.status == Status.OPTIMAL and r.objective == pytest.approx(1.0)
    if f.duals:
        assert r.row_duals is not None and r.row_duals[0] == pytest.approx(1.0)
    if f.warm_basis:
        assert r.extra.get("basis") is not None
        again = get_backend(backend).solve(dataclasses.replace(lp, basis=r.extra["basis"]), SolverOptions())
        assert again.objective == pytest.approx(1.0) and again.extra.get("warm_basis")


def test_callers_ask_for_features_not_names():
    from linkage_opt.solvers import with_feature

    assert with_feature("duals", "cbc") == "highs" and with_feature("duals", "highs") == "highs"
    assert with_feature("duals", "not a backend") == "highs"
    root = Path(__file__).resolve().parents[2] / "linkage_opt"
    for path in root.rglob("*.py"):
        if path.parent.name == "solvers":
            continue
        text = path.read_text(encoding="utf-8")
        assert '!= "highs"' not in text and '== "highs"' not in text and 'in ("highs"' not in text, path


# -- known optima, senses, offsets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_known_optima(backend):
    b = get_backend(backend)
    r = b.solve(knapsack(offset=1.5), SolverOptions())
    assert r.status == Status.OPTIMAL and r.objective == pytest.approx(21.5)
    assert list(np.round(r.x)) == [0, 1, 1]
    r = b.solve(assignment(), SolverOptions())
    assert r.status == Status.OPTIMAL and r.objective == pytest.approx(5.0)
    assert np.flatnonzero(np.round(r.x)).tolist() == [1, 3, 8]
    assert r.solver == backend and r.solver_version


@pytest.mark.parametrize("backend", BACKENDS)
def test_sense_and_offset_reported_in_the_problems_own_sense(backend):
    b = get_backend(backend)
    mx = b.solve(knapsack(offset=-4.0), SolverOptions(mip_gap=0.0))
    mn = b.solve(dataclasses.replace(knapsack(offset=-4.0), c=-knapsack().c, sense="min"), SolverOptions(mip_gap=0.0))
    assert mx.objective == pytest.approx(16.0) and mn.objective == pytest.approx(-24.0)
    # a proven optimum has its bound on the right side of (and next to) the objective
    assert mx.objective - 1e-6 <= mx.best_bound <= mx.objective + 1e-4
    assert mn.objective - 1e-4 <= mn.best_bound <= mn.objective + 1e-6
    assert mx.gap == pytest.approx(0.0, abs=1e-4) and mn.gap == pytest.approx(0.0, abs=1e-4)


# -- infeasible and unbounded ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_infeasible(backend):
    p = problem([1, 1], [[1, 1]], [3], [INF], [0, 0], [1, 1], True)
    r = get_backend(backend).solve(p, SolverOptions())
    assert r.status == Status.INFEASIBLE and r.x is None and not r.has_solution


@pytest.mark.parametrize("backend", MIP_BACKENDS)
def test_infeasible_mip_with_unbounded_relaxation_is_infeasible(backend):
    # 2a + 2b = 1 has no integer solution; c is unbounded above. CBC calls this "unbounded", SCIP "inf. or unb."
    p = problem([0, 0, 1], [[2, 2, 0]], [1], [1], [0, 0, 0], [5, 5, INF], [True, True, False], "max")
    assert get_backend(backend).solve(p, SolverOptions()).status == Status.INFEASIBLE


@pytest.mark.parametrize("backend", MIP_BACKENDS)
def test_unbounded_mip(backend):
    p = problem([0, 0, 1], [[2, 2, 0]], [2], [2], [0, 0, 0], [5, 5, INF], [True, True, False], "max")
    assert get_backend(backend).solve(p, SolverOptions()).status == Status.UNBOUNDED


# -- LP duals -------------------------------------------------------------------------------------------------------


def test_highs_lp_duals_match_hand_computed_shadow_prices_max():
    # max 3x + 2y  s.t. x + y <= 4, x + 3y <= 9, 0 <= x <= 2, y >= 0: optimum x = 2, y = 2 (value 10), row 2 slack.
    # Row 1: raising 4 by t lets y = 2 + t (until row 2 binds at t = 1/3): +2 per unit. Row 2: slack, 0.
    # x's upper bound: raising 2 by t gives x = 2 + t, y = 2 - t: 3t - 2t = +1 per unit.
    p = problem([3, 2], [[1, 1], [1, 3]], [-INF, -INF], [4, 9], [0, 0], [2, INF], False, "max")
    r = get_backend("highs").solve(p, SolverOptions())
    assert r.status == Status.OPTIMAL and r.objective == pytest.approx(10.0) and r.best_bound == pytest.approx(10.0)
    assert r.row_duals == pytest.approx([2.0, 0.0])
    assert r.col_duals == pytest.approx([1.0, 0.0], abs=1e-9)


def test_highs_lp_duals_match_hand_computed_shadow_prices_min():
    # min 4a + 3b  s.t. a + b >= 3, a + 2b >= 4, a, b >= 0: optimum a = 0, b = 3 (value 9), row 2 slack (6 >= 4).
    # Row 1: raising 3 by t raises b by t: +3 per unit. a's reduced cost: 4 - 3 = 1.
    p = problem([4, 3], [[1, 1], [1, 2]], [3, 4], [INF, INF], [0, 0], [INF, INF], False)
    r = get_backend("highs").solve(p, SolverOptions())
    assert r.objective == pytest.approx(9.0) and r.x == pytest.approx([0.0, 3.0])
    assert r.row_duals == pytest.approx([3.0, 0.0], abs=1e-9)
    assert r.col_duals == pytest.approx([1.0, 0.0], abs=1e-9)


def test_no_duals_for_a_mip():
    r = get_backend("highs").solve(knapsack(), SolverOptions())
    assert r.row_duals is None and r.col_duals is None


# -- time limit -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sense", ["max", "min"])
def test_time_limit_is_reported_honestly(backend, sense):
    p = random_knapsacks(sense)
    r = get_backend(backend).solve(p, SolverOptions(time_limit=0.3, mip_gap=0.0))
    assert r.status in (Status.FEASIBLE, Status.NO_SOLUTION, Status.OPTIMAL)
    if r.status == Status.NO_SOLUTION:
        assert r.x is None and r.objective is None
        return
    assert r.objective == pytest.approx(p.objective_value(r.x))
    assert np.all(p.A @ r.x <= p.row_hi + 1e-6)
    assert r.best_bound is not None
    # the bound is on the far side of the objective, in the problem's own sense, offset included
    assert (r.best_bound >= r.objective - 1e-6) if sense == "max" else (r.best_bound <= r.objective + 1e-6)
    assert r.gap == pytest.approx(abs(r.objective - r.best_bound) / max(1.0, abs(r.objective)))
    if r.status == Status.OPTIMAL:
        assert r.gap <= 1e-6
    else:
        assert r.gap > 0


# -- options ---------------------------------------------------------------------------------------------------------


def test_highs_accepts_changing_thread_counts_within_one_process():
    b = get_backend("highs")
    for threads in (None, 1, 2, None, 1):
        r = b.solve(knapsack(), SolverOptions(threads=threads))
        assert r.status == Status.OPTIMAL and r.objective == pytest.approx(20.0), threads


def test_solvers_print_nothing_without_log():
    code = """
import numpy as np, scipy.sparse as sp
from linkage_opt.solvers import MipProblem, SolverOptions, available_backends, get_backend
p = MipProblem(c=np.array([10.0, 13, 7]), A=sp.csr_matrix([[3.0, 4, 2]]), row_lo=np.array([-np.inf]),
               row_hi=np.array([6.0]), col_lo=np.zeros(3), col_hi=np.ones(3), integrality=np.ones(3, bool), sense="max")
lp = MipProblem(**{**p.__dict__, "integrality": np.zeros(3, bool)})
for name in available_backends():
    for q in (p, lp) if name != "cpsat" else (p,):
        assert get_backend(name).solve(q, SolverOptions()).status.value == "optimal", name
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and out.stderr == ""


@pytest.mark.skipif("cbc" not in BACKENDS, reason="CBC not available")
def test_cbc_leaves_no_files_behind(tmp_path, monkeypatch):
    work, tmp = tmp_path / "cwd", tmp_path / "tmp"
    work.mkdir()
    tmp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("TMPDIR", str(tmp))
    assert get_backend("cbc").solve(knapsack(), SolverOptions()).status == Status.OPTIMAL
    stopped = get_backend("cbc").solve(random_knapsacks("max"), SolverOptions(time_limit=0.2))
    assert stopped.status in (Status.FEASIBLE, Status.NO_SOLUTION, Status.OPTIMAL)
    assert list(work.iterdir()) == [] and list(tmp.iterdir()) == []


@pytest.mark.parametrize("backend", MIP_BACKENDS)
def test_a_column_in_no_row_keeps_its_bounds(backend):
    # b appears nowhere (zero cost, no row): PuLP leaves it out of CBC's model; its value must still respect 1.5..2.5
    p = problem([1, 0], [[1, 0]], [0.5], [INF], [0, 1.5], [1, 2.5], True)
    r = get_backend(backend).solve(p, SolverOptions())
    assert r.status == Status.OPTIMAL and r.objective == pytest.approx(1.0) and r.x == pytest.approx([1.0, 2.0])


# -- CP-SAT ----------------------------------------------------------------------------------------------------------

needs_cpsat = pytest.mark.skipif("cpsat" not in BACKENDS, reason="OR-Tools not available")


@needs_cpsat
def test_cpsat_refuses_continuous_columns():
    p = dataclasses.replace(knapsack(), integrality=np.array([True, False, True]))
    r = get_backend("cpsat").solve(p, SolverOptions())
    assert r.status == Status.ERROR and r.x is None
    assert r.message == (
        "CP-SAT needs an all-integer model; this model has 1 continuous columns; use highs, cbc or scip"
    )


@needs_cpsat
def test_cpsat_refuses_what_it_could_only_solve_by_scaling_or_guessing():
    frac = dataclasses.replace(knapsack(), A=sp.csr_matrix([[3.0, 4.5, 2]]))
    r = get_backend("cpsat").solve(frac, SolverOptions())
    assert r.status == Status.ERROR and "1 fractional matrix entries" in r.message
    free = dataclasses.replace(knapsack(), col_hi=np.array([1.0, 1.0, INF]))
    r = get_backend("cpsat").solve(free, SolverOptions())
    assert r.status == Status.ERROR and "1 columns with an infinite" in r.message


@needs_cpsat
def test_cpsat_tightens_fractional_bounds_exactly():
    # a >= 0.5 with a integer forces a = 1 (rounding 0.5 to even would give 0); row bound 6.5 means 6
    p = problem([1, 0], [[1, 0]], [0.5], [INF], [0, 1.5], [1, 2.5], True)
    r = get_backend("cpsat").solve(p, SolverOptions())
    assert r.status == Status.OPTIMAL and r.x == pytest.approx([1.0, 2.0])
    r = get_backend("cpsat").solve(dataclasses.replace(knapsack(), row_hi=np.array([6.5])), SolverOptions())
    assert r.objective == pytest.approx(20.0)


# -- OR-Library multidimensional knapsack --------------------------------------------------------------------------


def read_mknap(path: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """OR-Library mknap1: K, then per problem n m optimum, n profits, m rows of n weights, m capacities."""
    tok = path.read_text().split()
    pos = 1
    out = []
    for _ in range(int(tok[0])):
        n, m, opt = int(tok[pos]), int(tok[pos + 1]), float(tok[pos + 2])
        pos += 3
        profit = np.array(tok[pos : pos + n], float)
        pos += n
        weight = np.array(tok[pos : pos + n * m], float).reshape(m, n)
        pos += n * m
        cap = np.array(tok[pos : pos + m], float)
        pos += m
        out.append((profit, weight, cap, opt))
    assert pos == len(tok)
    return out


@pytest.mark.skipif(not MKNAP.exists(), reason="../shared/benchmarks is not beside the project")
def test_mknap1_reaches_known_optima_with_highs():
    instances = read_mknap(MKNAP)
    assert len(instances) == 7
    for profit, weight, cap, opt in instances:
        n = len(profit)
        p = problem(profit, weight, np.full(len(cap), -INF), cap, np.zeros(n), np.ones(n), True, "max")
        r = get_backend("highs").solve(p, SolverOptions(mip_gap=0.0))
        assert r.status == Status.OPTIMAL and r.objective == pytest.approx(opt, abs=1e-6)
        assert np.all(weight @ r.x <= cap + 1e-6)


# -- MPS -------------------------------------------------------------------------------------------------------------


def test_mps_round_trip_in_a_fresh_process(tmp_path):
    res = read_mps_solve_bare(write_mps(assignment(), tmp_path / "a.mps"), SolverOptions(mip_gap=0.0))
    assert res["status"] == "Optimal" and res["objective"] == pytest.approx(5.0) and res["bound"] == pytest.approx(5.0)
    assert res["wall_s"] >= res["solve_s"] > 0
    # maximisation and offset survive (OBJSENSE section, objective-row RHS) ...
    res = read_mps_solve_bare(write_mps(knapsack(offset=1.5), tmp_path / "k.mps"), SolverOptions())
    assert res["objective"] == pytest.approx(21.5)
    # ... or are written as the equivalent minimisation for readers that ignore OBJSENSE
    path = write_mps(knapsack(offset=1.5), tmp_path / "kmin.mps", max_as_min=True)
    assert "OBJSENSE" not in path.read_text()
    assert read_mps_solve_bare(path, SolverOptions())["objective"] == pytest.approx(-21.5)


def test_mps_uses_valid_names_and_same_lp_optimum(tmp_path):
    lp = problem([3, 2], [[1, 1], [1, 3]], [-INF, -INF], [4, 9], [0, 0], [2, INF], False, "max")
    named = dataclasses.replace(lp, col_names=("ship_x", "ship_y"), row_names=("hours", "funds"))
    text = write_mps(named, tmp_path / "lp.mps").read_text()
    assert "ship_x" in text and "funds" in text
    res = read_mps_solve_bare(tmp_path / "lp.mps", SolverOptions())
    assert res["objective"] == pytest.approx(10.0) and res["bound"] == pytest.approx(10.0)


# -- backends agree ----------------------------------------------------------------------------------------------------


@st.composite
def small_mips(draw):
    n = draw(st.integers(2, 6))
    m = draw(st.integers(1, 4))
    A = np.array([[draw(st.integers(0, 6)) for _ in range(n)] for _ in range(m)], float)
    c = np.array([draw(st.integers(-5, 9)) for _ in range(n)], float)
    ints = np.array([draw(st.booleans()) for _ in range(n)])
    # x = 0 is feasible and every column is bounded: a finite optimum always exists
    return problem(
        c,
        A,
        np.full(m, -INF),
        A.sum(axis=1) / 2 + 1,
        np.zeros(n),
        np.full(n, 3.0),
        ints,
        draw(st.sampled_from(["min", "max"])),
        offset=draw(st.sampled_from([0.0, 2.5])),
    )


@settings(max_examples=25, deadline=None)
@given(small_mips())
def test_backends_agree_on_random_bounded_mips(p):
    ref = get_backend("highs").solve(p, SolverOptions(mip_gap=0.0))
    assert ref.status == Status.OPTIMAL
    others = [b for b in ("cbc", "scip") if b in BACKENDS]
    if "cpsat" in BACKENDS and p.n_integer == p.n_cols:
        others.append("cpsat")
    for b in others:
        r = get_backend(b).solve(p, SolverOptions(mip_gap=0.0))
        assert r.status == Status.OPTIMAL, b
        assert r.objective == pytest.approx(ref.objective, rel=1e-6, abs=1e-6), b


def test_highs_does_not_trust_a_start_reported_optimal_outside_the_gap():
    """A start far from optimal must not come back as 'optimal' (guard against a HiGHS quirk)."""
    p = assignment()
    bad = np.zeros(9)
    bad[[0, 4, 8]] = 1.0  # the diagonal: cost 4 + 0 + 2 = 6, optimum is 5
    r = get_backend("highs").solve(MipProblem(**{**p.__dict__, "start": bad}), SolverOptions(mip_gap=0.0))
    assert r.status == Status.OPTIMAL and r.objective == pytest.approx(5.0)


def test_highs_runs_when_its_global_scheduler_has_another_thread_count(monkeypatch):
    """HiGHS refuses a run ("Not Set") whose threads differ from its global scheduler's, which an earlier run
    in the process started: seen in CI on a decomposed part. Alone, the scheduler is restarted and the run
    retried; the plan comes back."""
    from linkage_opt.solvers import highs as H

    p = MipProblem(
        c=np.array([1.0, 1.0]),
        A=sp.csr_matrix(np.array([[1.0, 1.0]])),
        row_lo=np.array([1.0]),
        row_hi=np.array([np.inf]),
        col_lo=np.zeros(2),
        col_hi=np.full(2, 5.0),
        integrality=np.array([True, False]),
        sense="min",
    )
    backend = get_backend("highs")
    assert backend.solve(p, SolverOptions(threads=2)).status == Status.OPTIMAL
    monkeypatch.setitem(H._scheduler, "threads", 1)  # the bookkeeping no longer matches HiGHS's scheduler
    r = backend.solve(p, SolverOptions(threads=1))
    assert r.status == Status.OPTIMAL and r.objective == pytest.approx(1.0)


@pytest.mark.skipif("cbc" not in BACKENDS, reason="CBC is not installed")
def test_cbc_reaches_the_optimum_its_preprocessing_missed():
    """min -2 x2 - 4 x4 s.t. 6 x0 + 2 x2 + 4 x4 <= 7, 0 <= x <= 3, x4 integer: -7 (x4 = 1, x2 = 1.5). CBC's
    integer preprocessing returned -6 (hypothesis found it in the random comparison above)."""
    A = sp.csr_matrix(([6.0, 2.0, 4.0], ([0, 0, 0], [0, 2, 4])), shape=(1, 5))
    p = MipProblem(
        np.array([0.0, 0.0, -2.0, 0.0, -4.0]),
        A,
        np.array([-INF]),
        np.array([7.0]),
        np.zeros(5),
        np.full(5, 3.0),
        np.array([False, False, False, False, True]),
    )
    r = get_backend("cbc").solve(p, SolverOptions(mip_gap=0.0))
    assert r.status == Status.OPTIMAL and r.objective == pytest.approx(-7.0)
