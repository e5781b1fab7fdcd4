"""Solver backends behind one interface (:class:`~linkage_opt.solvers.base.Backend`).

``highs`` (default, HiGHS via highspy), ``cbc`` (COIN-OR CBC via PuLP's bundled binary), ``scip`` (SCIP via
OR-Tools model_builder) and ``cpsat`` (OR-Tools CP-SAT, all-integer models only). Each backend imports its
solver library only when it is created, so importing this package stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import Backend, Features, MipProblem, SolveResult, SolverOptions, Status

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "Backend",
    "Features",
    "MipProblem",
    "SolveResult",
    "SolverOptions",
    "Status",
    "available_backends",
    "features",
    "get_backend",
    "with_feature",
]

DEFAULT_BACKEND = "highs"


def _highs() -> Backend:
    from .highs import HighsBackend

    return HighsBackend()


def _cbc() -> Backend:
    from .pulp_cbc import CbcBackend

    return CbcBackend()


def _scip() -> Backend:
    from .ortools_backend import ScipBackend

    return ScipBackend()


def _cpsat() -> Backend:
    from .ortools_backend import CpSatBackend

    return CpSatBackend()


BACKENDS: dict[str, Callable[[], Backend]] = {"highs": _highs, "cbc": _cbc, "scip": _scip, "cpsat": _cpsat}


def get_backend(name: str | None = DEFAULT_BACKEND) -> Backend:
    """The backend called ``name`` (case-insensitive; empty or None means the default, HiGHS).

    Raises ValueError listing the valid names for an unknown one.
    """
    key = (name or DEFAULT_BACKEND).strip().lower()
    if key not in BACKENDS:
        raise ValueError(f"unknown solver backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    return BACKENDS[key]()


def features(name: str | None = DEFAULT_BACKEND) -> Features:
    """What backend ``name`` offers (its class attribute ``features``)."""
    return get_backend(name).features


def with_feature(feature: str, name: str | None = DEFAULT_BACKEND) -> str:
    """``name`` when that backend has ``feature`` (a field of :class:`Features`), else the first backend that does."""
    try:
        if getattr(features(name), feature):
            return (name or DEFAULT_BACKEND).strip().lower()
    except ValueError:  # not a backend's name (a result's solver name, say): any backend with the feature
        pass
    return next(key for key in BACKENDS if getattr(features(key), feature))


def available_backends() -> list[str]:
    """Names of the backends whose solver library is installed and usable here, in registry order."""
    out = []
    for name, make in BACKENDS.items():
        try:
            if make().available():
                out.append(name)
        except ImportError:
            continue
    return out
