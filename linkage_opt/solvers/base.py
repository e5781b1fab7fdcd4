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
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import scipy.sparse as sp


class Status(str, enum.Enum):
    OPTIMAL = "optimal"          # proven optimal within the requested gap
    FEASIBLE = "feasible"        # a solution, stopped by time limit (gap reported)
    INFEASIBLE = "infeasible"    # proven infeasible
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
    integrality: np.ndarray                    # bool, one per column
    sense: Literal["min", "max"] = "min"
    offset: float = 0.0
    col_names: tuple[str, ...] | None = None   # optional, for MPS/LP export and debugging
    row_names: tuple[str, ...] | None = None
    name: str = "linkage"
    start: np.ndarray | None = None            # optional feasible start (e.g. the previous stage's plan)
    basis: object | None = None                # optional LP basis from the same backend (SolveResult.extra["basis"])
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
    time_limit: float | None = None   # seconds; None = no limit
    mip_gap: float = 1e-4             # relative gap at which a MIP counts as solved
    threads: int | None = None        # None = solver default
    seed: int = 0                     # fixed for reproducible plans
    log: bool = False                 # echo the solver's own log to stderr
    lp_method: str | None = None      # "ipm": interior point for the LP (a MIP's root LP); None: the default


@dataclass
class SolveResult:
    status: Status
    x: np.ndarray | None              # primal values (None when no solution)
    objective: float | None           # c @ x + offset of the returned x, in the problem's sense
    best_bound: float | None          # dual bound (== objective for an LP or proven optimum)
    gap: float | None                 # relative gap |objective - bound| / max(1, |objective|)
    solver: str                       # backend name, e.g. "highs"
    solver_version: str
    solve_seconds: float
    message: str = ""
    row_duals: np.ndarray | None = None   # LPs only (no integer columns); None otherwise
    col_duals: np.ndarray | None = None   # reduced costs, LPs only
    extra: dict = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        return self.x is not None and self.status in (Status.OPTIMAL, Status.FEASIBLE)


class Backend(Protocol):
    name: str

    def available(self) -> bool: ...

    def version(self) -> str: ...

    def solve(self, problem: MipProblem, options: SolverOptions) -> SolveResult: ...


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """The gap every backend reports, computed one way so that backends agree."""
    if objective is None or bound is None or not np.isfinite(bound):
        return None
    return abs(objective - bound) / max(1.0, abs(objective))
