"""The one interface every solver backend implements.

The formulation hands a backend a :class:`MipProblem` -- plain sparse arrays, no modelling layer --
and gets back a :class:`SolveResult`. Backends know nothing about volunteers or villages.

    minimise (or maximise)  c @ x + offset
    subject to              row_lo <= A @ x <= row_hi
                            col_lo <= x <= col_hi
                            x[j] integer where integrality[j]
"""

from __future__ import annotations

import enum
import math
import time
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import scipy.sparse as sp


class Status(str, enum.Enum):
    OPTIMAL = "optimal"  # proven optimal within the requested gap
    FEASIBLE = "feasible"  # a solution, stopped by time limit (gap reported)
    INFEASIBLE = "infeasible"  # proven infeasible
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"  # stopped (time limit) before any solution was found
    ERROR = "error"


@dataclass(frozen=True)
class MipProblem:
    c: np.ndarray
    A: sp.csr_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    integrality: np.ndarray  # bool, one per column
    sense: Literal["min", "max"] = "min"
    offset: float = 0.0
    col_names: tuple[str, ...] | None = None  # optional, for MPS/LP export and debugging
    row_names: tuple[str, ...] | None = None
    name: str = "linkage"
    start: np.ndarray | None = None  # optional feasible start (e.g. the previous stage's plan)
    basis: object | None = None  # optional LP basis from the same backend (SolveResult.extra["basis"])
    # of a problem with the same columns and the first rows of this one

    @property
    def n_cols(self) -> int:
        return int(self.c.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.A.shape[0])

    @property
    def n_integer(self) -> int:
        return int(np.count_nonzero(self.integrality))

    def objective_value(self, x: np.ndarray) -> float:
        return float(self.c @ x + self.offset)


@dataclass(frozen=True)
class SolverOptions:
    time_limit: float | None = None  # seconds; None = no limit
    mip_gap: float = 1e-4  # relative gap at which a MIP counts as solved
    threads: int | None = None  # None = solver default
    seed: int = 0  # fixed for reproducible plans
    log: bool = False  # echo the solver's own log to stderr
    lp_method: str | None = None  # "ipm": interior point for the LP (a MIP's root LP); None: the default
    deadline: float | None = None  # time.monotonic() by which the call must return; None = none. With
    # time_limit too, the earlier of the two applies (see seconds_left)


@dataclass
class SolveResult:
    status: Status
    x: np.ndarray | None  # primal values (None when no solution)
    objective: float | None  # c @ x + offset of the returned x, in the problem's sense
    best_bound: float | None  # dual bound (== objective for an LP or proven optimum)
    gap: float | None  # relative gap |objective - bound| / max(1, |objective|)
    solver: str  # backend name, e.g. "highs"
    solver_version: str
    solve_seconds: float
    message: str = ""
    row_duals: np.ndarray | None = None  # LPs only (no integer columns); None otherwise
    col_duals: np.ndarray | None = None  # reduced costs, LPs only
    extra: dict = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        return self.x is not None and self.status in (Status.OPTIMAL, Status.FEASIBLE)

    @classmethod
    def no_plan(
        cls,
        status: Status,
        solver: str,
        solver_version: str,
        solve_seconds: float,
        message: str = "",
        extra: dict | None = None,
    ) -> SolveResult:
        """A result without a solution (infeasible, out of time, an error): no x, objective, bound or gap."""
        return cls(
            status,
            None,
            None,
            None,
            None,
            solver,
            solver_version,
            solve_seconds,
            message,
            extra={} if extra is None else extra,
        )


@dataclass(frozen=True)
class Features:
    """What a backend offers beyond solving a MIP, declared as the class attribute ``features`` (callers ask
    for a feature, never for a backend by name)."""

    lp_rounding: bool = False  # fast LP relaxations with vertex solutions, and MIP starts: ``solver.lp_rounding``
    warm_basis: bool = False  # an LP starts from an earlier LP's basis (``MipProblem.basis``, ``extra["basis"]``)
    duals: bool = False  # LP row and column duals (``SolveResult.row_duals``): marginal values


class Backend(Protocol):
    name: str
    features: Features

    def available(self) -> bool: ...

    def version(self) -> str: ...

    def solve(self, problem: MipProblem, options: SolverOptions) -> SolveResult: ...


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """The gap every backend reports, computed one way so that backends agree."""
    if objective is None or bound is None or not np.isfinite(bound):
        return None
    return abs(objective - bound) / max(1.0, abs(objective))


MIN_RUN_SECONDS = 0.05  # a run with less time left than this is not started (NO_SOLUTION, "no time left")
WATCHDOG_GRACE = 1.0  # seconds past a call's deadline after which a backend stops its solver from outside


def call_deadline(options: SolverOptions, started: float) -> float | None:
    """The ``time.monotonic()`` instant by which a backend call begun at ``started`` must return.

    The earlier of ``started + time_limit`` and ``options.deadline``; None when neither is set. Building
    and handing over the model (arrays, files, subprocesses) count against it, not only the solver's run.
    """
    ends = []
    if options.time_limit is not None and math.isfinite(options.time_limit):
        ends.append(started + float(options.time_limit))
    if options.deadline is not None and math.isfinite(options.deadline):
        ends.append(float(options.deadline))
    return min(ends) if ends else None


def seconds_left(deadline: float | None) -> float | None:
    """Seconds until ``deadline`` (a ``time.monotonic()`` instant; may be negative), or None for no deadline."""
    return None if deadline is None else deadline - time.monotonic()


def max_violation(problem: MipProblem, x: np.ndarray | None) -> float:
    """The largest amount by which ``x`` breaks a row, a column bound or integrality of ``problem``.

    A row's violation is relative to ``max(1, |bound|, sum_j |a_ij x_j|)`` (a row of large terms carries
    their rounding), a column bound's to ``max(1, |bound|)``, integrality is the absolute distance to the
    nearest integer; ``inf`` for a missing vector, one of the wrong length, or one with a NaN.
    """
    if x is None:
        return math.inf
    x = np.asarray(x, dtype=float)
    if x.shape != (problem.n_cols,) or not np.all(np.isfinite(x)):
        return math.inf
    worst = 0.0

    def rel(excess: np.ndarray, bound: np.ndarray, size: np.ndarray | float = 1.0) -> float:
        with np.errstate(invalid="ignore"):
            v = np.where(np.isfinite(bound), excess / np.maximum(np.maximum(1.0, np.abs(bound)), size), 0.0)
        return float(np.max(v, initial=0.0))

    if problem.n_rows:
        act = problem.A @ x
        size = abs(problem.A) @ np.abs(x)
        worst = max(rel(problem.row_lo - act, problem.row_lo, size), rel(act - problem.row_hi, problem.row_hi, size))
    if problem.n_cols:
        ints = np.asarray(problem.integrality, bool)
        frac = float(np.max(np.abs(x[ints] - np.round(x[ints])), initial=0.0))
        worst = max(worst, rel(problem.col_lo - x, problem.col_lo), rel(x - problem.col_hi, problem.col_hi), frac)
    return worst
