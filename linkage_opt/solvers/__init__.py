"""Solver backends behind one interface (:class:`~linkage_opt.solvers.base.Backend`).

``highs`` (default, HiGHS via highspy), ``cbc`` (COIN-OR CBC via PuLP), ``scip`` (SCIP via OR-Tools)
and ``cpsat`` (OR-Tools CP-SAT, all-integer models only). Solver libraries are imported lazily.
"""

from __future__ import annotations

from .base import Backend, MipProblem, SolveResult, SolverOptions, Status

__all__ = ["Backend", "MipProblem", "SolveResult", "SolverOptions", "Status", "get_backend", "available_backends",
           "BACKENDS"]


def _highs():
    from .highs import HighsBackend

    return HighsBackend()


def _cbc():
    from .pulp_cbc import CbcBackend

    return CbcBackend()


def _scip():
    from .ortools_backend import ScipBackend

    return ScipBackend()


def _cpsat():
    from .ortools_backend import CpSatBackend

    return CpSatBackend()


BACKENDS = {"highs": _highs, "cbc": _cbc, "scip": _scip, "cpsat": _cpsat}


def get_backend(name: str) -> Backend:
    key = (name or "highs").lower()
    if key not in BACKENDS:
        raise ValueError(f"unknown solver backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    return BACKENDS[key]()


def available_backends() -> list[str]:
    out = []
    for name, make in BACKENDS.items():
        try:
            if make().available():
                out.append(name)
        except ImportError:
            continue
    return out
