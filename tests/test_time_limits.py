"""The time limit is a wall for every backend: each returns by its limit or deadline, counting its model
hand-over; CBC is stopped by a watchdog when it overruns its own limit.

Time assertions use generous margins (seconds, on shared CI cores), never speed."""

from __future__ import annotations

import os
import stat
import sys
import time

import numpy as np
import pytest
import scipy.sparse as sp

from linkage_opt.solvers import MipProblem, SolverOptions, Status, available_backends, get_backend
from linkage_opt.solvers.base import WATCHDOG_GRACE, max_violation

BACKENDS = available_backends()


def hard_knapsacks(n: int = 600, m: int = 40) -> MipProblem:
    """600 binaries, 40 dense knapsack rows: no backend proves it within a few seconds."""
    rng = np.random.default_rng(0)
    A = rng.integers(1, 50, (m, n)).astype(float)
    c = rng.integers(10, 100, n).astype(float)
    return MipProblem(c=c, A=sp.csr_matrix(A), row_lo=np.full(m, -np.inf), row_hi=A.sum(axis=1) / 3,
                      col_lo=np.zeros(n), col_hi=np.ones(n), integrality=np.ones(n, bool), sense="max")


# -- each backend, one call ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_returns_by_its_time_limit(backend):
    p = hard_knapsacks()
    t0 = time.monotonic()
    r = get_backend(backend).solve(p, SolverOptions(time_limit=1.0, mip_gap=0.0))
    wall = time.monotonic() - t0
    assert wall < 1.0 + 4.0, wall          # CBC's watchdog: 1 s grace + 2 s to kill; the others stop by themselves
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
    wrapper = _fake_cbc(tmp_path, f"#!{sys.executable}\nimport os, sys\na = sys.argv[1:]\n"
                                  f"a[a.index('-sec') + 1] = '1000'\nos.execv({real!r}, [{real!r}] + a)\n")
    monkeypatch.setattr(pulp_cbc.CbcBackend, "_executable", staticmethod(lambda: wrapper))
    p = hard_knapsacks()
    t0 = time.monotonic()
    r = get_backend("cbc").solve(p, SolverOptions(time_limit=1.0, mip_gap=0.0))
    wall = time.monotonic() - t0
    assert wall < 1.0 + WATCHDOG_GRACE + pulp_cbc.CBC_KILL_GRACE + 2.0, wall
    assert r.extra.get("watchdog") in ("interrupted", "killed")
    assert r.status in (Status.FEASIBLE, Status.NO_SOLUTION)
    if r.has_solution:        # SIGINT in the tree search: CBC writes its best solution, which is checked
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

    fake = _fake_cbc(tmp_path, f"#!{sys.executable}\nimport sys, time\na = sys.argv[1:]\n"
                               f"time.sleep({delay} * float(a[a.index('-sec') + 1]))\n"
                               "open(a[a.index('-solution') + 1], 'w').write('Integer infeasible - objective value 0\\n')\n")
    monkeypatch.setattr(pulp_cbc.CbcBackend, "_executable", staticmethod(lambda: fake))
    r = get_backend("cbc").solve(hard_knapsacks(), SolverOptions(time_limit=1.0))
    assert r.status == expected, r.message
