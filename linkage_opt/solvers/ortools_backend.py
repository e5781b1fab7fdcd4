"""OR-Tools backends: SCIP through model_builder (filled from the sparse arrays), CP-SAT for all-integer models.

SCIP: ``ModelBuilderHelper.fill_model_from_sparse_data`` takes the bounds, costs and the CSR matrix as
arrays; only the integer columns are then marked one call each (the helper has no array setter for
integrality). The model is solved through ``ModelSolverHelper``, the helper behind ``model_builder.Solver``,
because it returns all column values as one array. SCIP searches on one thread, so ``threads`` does not
apply. OR-Tools reports SCIP's "infeasible or unbounded" as INFEASIBLE (with a note in the status
string); that case is settled by solving again with a zero objective. SCIP logs to stdout from C++ and
model_builder cannot take a Python log callback, so with ``log`` file descriptor 1 is pointed at stderr
during the solve. A start (``MipProblem.start``) is handed over as a solution hint, which SCIP tries as a
first solution. Time: SCIP gets what is left of the call's time after the model is built; it honours
its own limit, presolve included (docs/performance.md, "Measurements the code relies on"), while
``interrupt_solve`` does not stop it in OR-Tools 9.15, so there is no watchdog.

CP-SAT: exact integer arithmetic, so it takes only models that are integer already -- every column
integer with finite bounds, integral matrix and objective coefficients (to within 1e-9 of float noise).
Anything else is refused with an ERROR result naming the problem; nothing is scaled. Fractional bounds of
integer columns and fractional row bounds over integer rows are tightened to the integers inside them,
which is exact. The model is built row by row in Python, and that build counts against the time limit:
when the call's deadline passes during it, the call returns NO_SOLUTION. A start is a hint; a watchdog
calls ``stop_search`` ``WATCHDOG_GRACE`` seconds after the deadline should CP-SAT not stop by itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from dataclasses import replace

import numpy as np

from .base import (
    MIN_RUN_SECONDS,
    WATCHDOG_GRACE,
    Features,
    MipProblem,
    SolveResult,
    SolverOptions,
    Status,
    call_deadline,
    relative_gap,
    seconds_left,
)

_INTEGRAL_TOL = 1e-9  # a coefficient this close to an integer is that integer (float noise, not scaling)
_CP_INF = 2.0**62  # CP-SAT works in int64; larger column bounds are refused as unbounded


@contextlib.contextmanager
def _stdout_to_stderr(enabled: bool):
    """Point file descriptor 1 at stderr meanwhile (if ``enabled``)."""
    if not enabled:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _ortools_version() -> str:
    import ortools

    return f"ortools {ortools.__version__}"


class ScipBackend:
    """SCIP as bundled with OR-Tools (the 'scip' backend)."""

    name = "scip"
    features = Features()

    def available(self) -> bool:
        try:
            from ortools.linear_solver.python import model_builder_helper as mbh

            return bool(mbh.ModelSolverHelper("scip").solver_is_supported())
        except Exception:
            return False

    def version(self) -> str:
        return _ortools_version() + " / SCIP"

    @staticmethod
    def _model(problem: MipProblem):
        """The model_builder model of ``problem``, objective offset and sense included."""
        from ortools.linear_solver.python import model_builder as mb

        f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
        model = mb.Model()
        h = model.helper
        h.fill_model_from_sparse_data(
            f64(problem.col_lo),
            f64(problem.col_hi),
            f64(problem.c),
            f64(problem.row_lo),
            f64(problem.row_hi),
            problem.A.tocsr().astype(np.float64),
        )
        for j in np.flatnonzero(problem.integrality).tolist():
            h.set_var_integrality(j, True)
        h.set_maximize(problem.sense == "max")
        h.set_objective_offset(float(problem.offset))
        if problem.start is not None and problem.n_integer:
            for j, v in enumerate(np.asarray(problem.start, dtype=float).tolist()):
                h.add_hint(j, v)
        return model

    @staticmethod
    def _run(model, options: SolverOptions, time_limit: float | None):
        from ortools.linear_solver.python import model_builder_helper as mbh

        solver = mbh.ModelSolverHelper("scip")
        if time_limit is not None:
            solver.set_time_limit_in_seconds(float(time_limit))
        solver.set_solver_specific_parameters(
            f"limits/gap = {float(options.mip_gap)!r}\nrandomization/randomseedshift = {int(options.seed)}\n"
        )
        solver.enable_output(bool(options.log))
        with _stdout_to_stderr(options.log):
            solver.solve(model.helper)
        return solver

    def solve(self, problem: MipProblem, options: SolverOptions) -> SolveResult:
        """Solve ``problem``; ``solve_seconds`` covers building the model and SCIP's run."""
        from ortools.linear_solver.python import model_builder as mb

        t0 = time.perf_counter()
        deadline = call_deadline(options, time.monotonic())
        version = self.version()
        model = self._model(problem)
        t_run = time.perf_counter()
        left = seconds_left(deadline)
        if left is not None and left <= MIN_RUN_SECONDS:
            return SolveResult.no_plan(
                Status.NO_SOLUTION,
                self.name,
                version,
                t_run - t0,
                "no time left to run SCIP after building the model",
                extra={"build_seconds": t_run - t0, "run_seconds": 0.0},
            )
        solver = self._run(model, options, left)
        S = mb.SolveStatus
        status, note = solver.status(), solver.status_string()
        if status == S.INFEASIBLE and "INFORUNBD" in note:
            st, message = self._infeasible_or_unbounded(problem, options, deadline)
        elif status == S.INFEASIBLE:
            st, message = Status.INFEASIBLE, "infeasible"
        elif status == S.UNBOUNDED:
            st, message = Status.UNBOUNDED, "unbounded"
        elif status == S.OPTIMAL and solver.has_solution():
            st, message = Status.OPTIMAL, "optimal"
        elif status == S.FEASIBLE and solver.has_solution():
            st, message = Status.FEASIBLE, "stopped with a solution"
        elif status == S.NOT_SOLVED:
            st, message = Status.NO_SOLUTION, f"stopped (time limit) without a solution ({note})"
        else:
            st, message = Status.ERROR, f"SCIP via OR-Tools: {status.name} {note}".strip()
        extra = {"build_seconds": t_run - t0, "run_seconds": time.perf_counter() - t_run}
        if st not in (Status.OPTIMAL, Status.FEASIBLE):
            return SolveResult(
                st, None, None, None, None, self.name, version, time.perf_counter() - t0, message, extra=extra
            )
        x = np.asarray(solver.variable_values(), dtype=float)
        obj = problem.objective_value(x)
        if problem.n_integer:
            bound = float(solver.best_objective_bound())  # includes the offset, in the problem's sense
            bound = bound if np.isfinite(bound) else None
        else:
            bound = obj if st == Status.OPTIMAL else None
        return SolveResult(
            st,
            x,
            obj,
            bound,
            relative_gap(obj, bound),
            self.name,
            version,
            time.perf_counter() - t0,
            message,
            extra=extra,
        )

    def _infeasible_or_unbounded(
        self, problem: MipProblem, options: SolverOptions, deadline: float | None
    ) -> tuple[Status, str]:
        """SCIP said 'infeasible or unbounded': a feasible point (zero objective) means unbounded."""
        from ortools.linear_solver.python import model_builder as mb

        model = self._model(replace(problem, c=np.zeros(problem.n_cols), start=None))
        limit = seconds_left(deadline)
        if limit is not None and limit <= MIN_RUN_SECONDS:
            return Status.ERROR, "SCIP: infeasible or unbounded (no time left to tell which)"
        solver = self._run(model, options, limit)
        status = solver.status()
        if status in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE):
            return Status.UNBOUNDED, "unbounded (SCIP: infeasible or unbounded; the model has a feasible point)"
        if status == mb.SolveStatus.INFEASIBLE:
            return Status.INFEASIBLE, "infeasible (SCIP: infeasible or unbounded; no feasible point exists)"
        return Status.ERROR, f"SCIP: infeasible or unbounded; the feasibility check ended {status.name}"


def _not_integral(a: np.ndarray) -> int:
    return int(np.count_nonzero(np.abs(a - np.round(a)) > _INTEGRAL_TOL))


class CpSatBackend:
    """OR-Tools CP-SAT for all-integer models (the 'cpsat' backend)."""

    name = "cpsat"
    features = Features()

    def available(self) -> bool:
        try:
            from ortools.sat.python import cp_model  # noqa: F401
        except ImportError:
            return False
        return True

    def version(self) -> str:
        return _ortools_version() + " / CP-SAT"

    @staticmethod
    def refusal(problem: MipProblem) -> str:
        """Why CP-SAT cannot take ``problem`` as it is ("" when it can)."""
        n_cont = problem.n_cols - problem.n_integer
        if n_cont:
            return (
                f"CP-SAT needs an all-integer model; this model has {n_cont} continuous columns; use highs, cbc or scip"
            )
        n_inf = int(np.count_nonzero(~(np.abs(problem.col_lo) < _CP_INF) | ~(np.abs(problem.col_hi) < _CP_INF)))
        if n_inf:
            return (
                f"CP-SAT needs finite bounds on every column; this model has {n_inf} columns with an infinite "
                "(or beyond 2**62) bound; use highs, cbc or scip"
            )
        bad_a, bad_c = _not_integral(problem.A.data), _not_integral(np.asarray(problem.c, float))
        if bad_a or bad_c:
            return (
                f"CP-SAT needs integral coefficients; this model has {bad_a} fractional matrix entries and "
                f"{bad_c} fractional objective coefficients; use highs, cbc or scip"
            )
        return ""

    def solve(self, problem: MipProblem, options: SolverOptions) -> SolveResult:
        """Solve ``problem`` (ERROR result, with the reason, for a model CP-SAT cannot take exactly)."""
        from ortools.sat.python import cp_model

        t0 = time.perf_counter()
        deadline = call_deadline(options, time.monotonic())
        version = self.version()
        why = self.refusal(problem)
        if why:
            return SolveResult(Status.ERROR, None, None, None, None, self.name, version, time.perf_counter() - t0, why)
        lo = np.ceil(problem.col_lo - _INTEGRAL_TOL)
        hi = np.floor(problem.col_hi + _INTEGRAL_TOL)
        if np.any(lo > hi):
            return SolveResult.no_plan(
                Status.INFEASIBLE,
                self.name,
                version,
                time.perf_counter() - t0,
                f"{int(np.count_nonzero(lo > hi))} integer columns have no integer between their bounds",
            )
        m = cp_model.CpModel()
        xs = [m.new_int_var(int(a), int(b), f"x{j}") for j, (a, b) in enumerate(zip(lo.tolist(), hi.tolist()))]
        A = problem.A.tocsr()
        indptr, cols, vals = A.indptr.tolist(), A.indices.tolist(), np.round(A.data).astype(np.int64).tolist()
        row_lo = np.ceil(problem.row_lo - _INTEGRAL_TOL).tolist()
        row_hi = np.floor(problem.row_hi + _INTEGRAL_TOL).tolist()
        out_of_time = SolveResult.no_plan(
            Status.NO_SOLUTION,
            self.name,
            version,
            0.0,
            "no time left to run CP-SAT: the time limit passed while building its model",
        )
        for i in range(problem.n_rows):
            if i % 1024 == 0 and deadline is not None and time.monotonic() >= deadline - MIN_RUN_SECONDS:
                return replace(out_of_time, solve_seconds=time.perf_counter() - t0)
            s, e = indptr[i], indptr[i + 1]
            expr = cp_model.LinearExpr.weighted_sum([xs[j] for j in cols[s:e]], vals[s:e])
            rl, rh = row_lo[i], row_hi[i]
            if np.isfinite(rl) and np.isfinite(rh):
                m.add_linear_constraint(expr, int(rl), int(rh))
            elif np.isfinite(rh):
                m.add(expr <= int(rh))
            elif np.isfinite(rl):
                m.add(expr >= int(rl))
        nz = np.flatnonzero(problem.c)
        objective = cp_model.LinearExpr.weighted_sum(
            [xs[j] for j in nz], np.round(problem.c[nz]).astype(np.int64).tolist()
        )
        (m.maximize if problem.sense == "max" else m.minimize)(objective)
        if problem.start is not None:
            for v, val in zip(
                xs, np.clip(np.round(np.asarray(problem.start, float)), lo, hi).astype(np.int64).tolist()
            ):
                m.add_hint(v, val)
        left = seconds_left(deadline)
        if left is not None and left <= MIN_RUN_SECONDS:
            return replace(out_of_time, solve_seconds=time.perf_counter() - t0)
        solver = cp_model.CpSolver()
        p = solver.parameters
        if left is not None:
            p.max_time_in_seconds = float(left)
        p.relative_gap_limit = float(options.mip_gap)
        p.random_seed = int(options.seed)
        if options.threads is not None:
            p.num_workers = int(options.threads)
        p.log_search_progress = bool(options.log)
        p.log_to_stdout = False
        if options.log:
            solver.log_callback = lambda line: sys.stderr.write(line + "\n")
        t_run = time.perf_counter()
        watchdog = None
        if left is not None:  # CP-SAT honours max_time_in_seconds; this only backs it up
            watchdog = threading.Timer(max(0.0, left) + WATCHDOG_GRACE, solver.stop_search)
            watchdog.daemon = True
            watchdog.start()
        try:
            status = solver.solve(m)
        finally:
            if watchdog is not None:
                watchdog.cancel()
        extra = {"build_seconds": t_run - t0, "run_seconds": time.perf_counter() - t_run}
        seconds = time.perf_counter() - t0
        if status == cp_model.INFEASIBLE:
            return SolveResult(
                Status.INFEASIBLE, None, None, None, None, self.name, version, seconds, "infeasible", extra=extra
            )
        if status == cp_model.MODEL_INVALID:
            return SolveResult.no_plan(
                Status.ERROR,
                self.name,
                version,
                seconds,
                f"CP-SAT: model invalid: {m.validate()}",
                extra=extra,
            )
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return SolveResult.no_plan(
                Status.NO_SOLUTION,
                self.name,
                version,
                seconds,
                f"stopped (time limit) without a solution ({solver.status_name(status)})",
                extra=extra,
            )
        x = np.array([solver.value(v) for v in xs], dtype=float)
        obj = problem.objective_value(x)
        bound = float(solver.best_objective_bound) + float(problem.offset)  # CP-SAT's bound is for c @ x alone
        optimal = status == cp_model.OPTIMAL
        return SolveResult(
            Status.OPTIMAL if optimal else Status.FEASIBLE,
            x,
            obj,
            bound,
            relative_gap(obj, bound),
            self.name,
            version,
            seconds,
            "optimal" if optimal else "stopped with a solution",
            extra=extra,
        )
