"""Every backend behind the one interface: known optima, senses, infeasibility, duals, MPS, agreement."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage_opt.solvers import MipProblem, SolverOptions, Status, available_backends, get_backend
from linkage_opt.solvers.mps import read_mps_solve_bare, write_mps

BACKENDS = available_backends()
MKNAP = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "mknap" / "mknap1.txt"


def knapsack(offset=0.0) -> MipProblem:
    # max 10a + 13b + 7c  s.t. 3a + 4b + 2c <= 6, binary: best is b + c = 20
    return MipProblem(c=np.array([10.0, 13, 7]), A=sp.csr_matrix([[3.0, 4, 2]]), row_lo=np.array([-np.inf]),
                      row_hi=np.array([6.0]), col_lo=np.zeros(3), col_hi=np.ones(3), integrality=np.ones(3, bool),
                      sense="max", offset=offset)


def assignment() -> MipProblem:
    # 3x3 assignment, min cost; optimum 1 + 2 + 3 = 6 on the diagonal of this matrix is not optimal: 5 is
    cost = np.array([[4.0, 1, 3], [2, 0, 5], [3, 2, 2]])
    n = 3
    rows, cols = [], []
    for i in range(n):
        for j in range(n):
            rows += [i, n + j]
            cols += [i * n + j] * 2
    A = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(2 * n, n * n))
    return MipProblem(c=cost.ravel(), A=A, row_lo=np.ones(2 * n), row_hi=np.ones(2 * n), col_lo=np.zeros(9),
                      col_hi=np.ones(9), integrality=np.ones(9, bool), sense="min")


@pytest.mark.parametrize("backend", BACKENDS)
def test_known_optima(backend):
    b = get_backend(backend)
    r = b.solve(knapsack(offset=1.5), SolverOptions())
    assert r.status == Status.OPTIMAL and r.objective == pytest.approx(21.5)
    assert list(np.round(r.x)) == [0, 1, 1]
    r = b.solve(assignment(), SolverOptions())
    assert r.status == Status.OPTIMAL and r.objective == pytest.approx(5.0)   # 1 + 2 + 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_infeasible(backend):
    p = MipProblem(c=np.ones(2), A=sp.csr_matrix([[1.0, 1]]), row_lo=np.array([3.0]), row_hi=np.array([np.inf]),
                   col_lo=np.zeros(2), col_hi=np.ones(2), integrality=np.ones(2, bool))
    assert get_backend(backend).solve(p, SolverOptions()).status == Status.INFEASIBLE


def test_cpsat_refuses_continuous_columns():
    p = knapsack()
    p = MipProblem(**{**p.__dict__, "integrality": np.array([True, False, True])})
    r = get_backend("cpsat").solve(p, SolverOptions())
    assert r.status == Status.ERROR and "1 continuous columns" in r.message and "use highs" in r.message


def test_highs_lp_duals_match_hand_computed_shadow_prices():
    # max 3x + 2y  s.t. x + y <= 4 (dual 2), x + 3y <= 9 (slack), x <= 2 (reduced cost 1): x = 2, y = 2
    p = MipProblem(c=np.array([3.0, 2]), A=sp.csr_matrix([[1.0, 1], [1, 3]]), row_lo=np.array([-np.inf, -np.inf]),
                   row_hi=np.array([4.0, 9]), col_lo=np.zeros(2), col_hi=np.array([2.0, np.inf]),
                   integrality=np.zeros(2, bool), sense="max")
    r = get_backend("highs").solve(p, SolverOptions())
    assert r.objective == pytest.approx(10.0)
    assert r.row_duals == pytest.approx([2.0, 0.0])      # one more unit of row 1 lets y grow by 1: +2
    assert r.col_duals[0] == pytest.approx(1.0)          # raising x's bound: +3 for x, -2 for y


def test_time_limit_is_reported_honestly():
    rng = np.random.default_rng(0)
    n, m = 250, 30
    A = sp.csr_matrix(rng.integers(1, 50, (m, n)).astype(float))
    p = MipProblem(c=rng.integers(10, 100, n).astype(float), A=A, row_lo=np.full(m, -np.inf),
                   row_hi=A.sum(axis=1).A1 / 3, col_lo=np.zeros(n), col_hi=np.ones(n), integrality=np.ones(n, bool),
                   sense="max")
    r = get_backend("highs").solve(p, SolverOptions(time_limit=0.2, mip_gap=0.0))
    assert r.status in (Status.FEASIBLE, Status.NO_SOLUTION, Status.OPTIMAL)
    if r.status == Status.FEASIBLE:
        assert r.gap is not None and r.gap > 0 and r.best_bound >= r.objective
    if r.status == Status.OPTIMAL:
        assert r.gap == pytest.approx(0.0, abs=1e-9)


def read_mknap(path):
    tok = path.read_text().split()
    k = int(tok[0])
    pos = 1
    out = []
    for _ in range(k):
        n, m, opt = int(tok[pos]), int(tok[pos + 1]), float(tok[pos + 2])
        pos += 3
        p = np.array(tok[pos:pos + n], float)
        pos += n
        A = np.array(tok[pos:pos + n * m], float).reshape(m, n)
        pos += n * m
        b = np.array(tok[pos:pos + m], float)
        pos += m
        out.append((p, A, b, opt))
    return out


@pytest.mark.skipif(not MKNAP.exists(), reason="../shared/benchmarks is not beside the project")
def test_mknap1_reaches_known_optima_with_highs():
    for p, A, b, opt in read_mknap(MKNAP):
        prob = MipProblem(c=p, A=sp.csr_matrix(A), row_lo=np.full(len(b), -np.inf), row_hi=b, col_lo=np.zeros(len(p)),
                          col_hi=np.ones(len(p)), integrality=np.ones(len(p), bool), sense="max")
        r = get_backend("highs").solve(prob, SolverOptions(mip_gap=0.0))
        assert r.objective == pytest.approx(opt)


def test_mps_round_trip_in_a_fresh_process(tmp_path):
    path = write_mps(assignment(), tmp_path / "a.mps")
    res = read_mps_solve_bare(path, SolverOptions(mip_gap=0.0))
    assert res["objective"] == pytest.approx(5.0) and res["status"] == "Optimal"
    path = write_mps(knapsack(), tmp_path / "k.mps")
    assert read_mps_solve_bare(path, SolverOptions())["objective"] == pytest.approx(20.0)


@st.composite
def small_mips(draw):
    n = draw(st.integers(2, 6))
    m = draw(st.integers(1, 4))
    A = np.array([[draw(st.integers(0, 6)) for _ in range(n)] for _ in range(m)], float)
    c = np.array([draw(st.integers(-5, 9)) for _ in range(n)], float)
    ints = np.array([draw(st.booleans()) for _ in range(n)])
    return MipProblem(c=c, A=sp.csr_matrix(A), row_lo=np.full(m, -np.inf), row_hi=A.sum(axis=1) / 2 + 1,
                      col_lo=np.zeros(n), col_hi=np.full(n, 3.0), integrality=ints, sense=draw(st.sampled_from(["min", "max"])))


@settings(max_examples=25, deadline=None)
@given(small_mips())
def test_backends_agree_on_random_bounded_mips(p):
    ref = get_backend("highs").solve(p, SolverOptions(mip_gap=0.0))
    assert ref.status == Status.OPTIMAL
    for b in ("cbc", "scip"):
        if b in BACKENDS:
            r = get_backend(b).solve(p, SolverOptions(mip_gap=0.0))
            assert r.objective == pytest.approx(ref.objective, rel=1e-6, abs=1e-6), b


def test_highs_does_not_trust_a_start_reported_optimal_outside_the_gap():
    """A start far from optimal must not come back as 'optimal' (guard against a HiGHS quirk)."""
    p = assignment()
    bad = np.zeros(9)
    bad[[0, 4, 8]] = 1.0          # the diagonal: cost 4 + 0 + 2 = 6, optimum is 5
    r = get_backend("highs").solve(MipProblem(**{**p.__dict__, "start": bad}), SolverOptions(mip_gap=0.0))
    assert r.status == Status.OPTIMAL and r.objective == pytest.approx(5.0)
