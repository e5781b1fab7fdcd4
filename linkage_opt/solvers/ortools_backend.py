"""OR-Tools backends: SCIP through model_builder (filled from the sparse arrays), and CP-SAT for all-integer models."""

from __future__ import annotations

import time

import numpy as np

from .base import MipProblem, SolveResult, SolverOptions, Status, relative_gap


def _version() -> str:
    import ortools

    return f"ortools {ortools.__version__}"


class ScipBackend:
    name = "scip"

    def available(self) -> bool:
        try:
            from ortools.linear_solver.python import model_builder as mb

            return bool(mb.Solver("scip").solver_is_supported())
        except Exception:  # noqa: BLE001
            return False

    def version(self) -> str:
        return _version() + " / SCIP"

    def solve(self, problem: MipProblem, options: SolverOptions) -> SolveResult:
        from ortools.linear_solver.python import model_builder as mb

        t0 = time.perf_counter()
        model = mb.Model()
        h = model.helper
        h.fill_model_from_sparse_data(np.asarray(problem.col_lo, float), np.asarray(problem.col_hi, float),
                                      np.asarray(problem.c, float), np.asarray(problem.row_lo, float),
                                      np.asarray(problem.row_hi, float), problem.A.tocsr().astype(np.float64))
        for j in np.flatnonzero(problem.integrality):
            h.set_var_integrality(int(j), True)
        h.set_maximize(problem.sense == "max")
        h.set_objective_offset(float(problem.offset))
        solver = mb.Solver("scip")
        if options.time_limit is not None:
            solver.set_time_limit_in_seconds(float(options.time_limit))
        solver.set_solver_specific_parameters(
            f"limits/gap = {float(options.mip_gap)}\nrandomization/randomseedshift = {int(options.seed)}\n")
        solver.enable_output(bool(options.log))
        status = solver.solve(model)
        seconds = time.perf_counter() - t0
        S = mb.SolveStatus
        if status in (S.INFEASIBLE,):
            return SolveResult(Status.INFEASIBLE, None, None, None, None, self.name, self.version(), seconds, "infeasible")
        if status == S.UNBOUNDED:
            return SolveResult(Status.UNBOUNDED, None, None, None, None, self.name, self.version(), seconds, "unbounded")
        if status not in (S.OPTIMAL, S.FEASIBLE):
            st = Status.NO_SOLUTION if status == S.NOT_SOLVED else Status.ERROR
            return SolveResult(st, None, None, None, None, self.name, self.version(), seconds, solver.status_string)
        x = solver.values(model.get_variables()).to_numpy(dtype=float)
        obj = problem.objective_value(x)
        bound = solver.best_objective_bound if problem.n_integer else obj
        bound = float(bound) if bound is not None and np.isfinite(bound) else None
        st = Status.OPTIMAL if status == S.OPTIMAL else Status.FEASIBLE
        return SolveResult(st, x, obj, bound, relative_gap(obj, bound), self.name, self.version(), seconds,
                           solver.status_string)


class CpSatBackend:
    name = "cpsat"

    def available(self) -> bool:
        try:
            from ortools.sat.python import cp_model  # noqa: F401
        except ImportError:
            return False
        return True

    def version(self) -> str:
        return _version() + " / CP-SAT"

    def solve(self, problem: MipProblem, options: SolverOptions) -> SolveResult:
        from ortools.sat.python import cp_model

        t0 = time.perf_counter()
        A = problem.A.tocsr()
        n_cont = int(problem.n_cols - problem.n_integer)
        integral = lambda a: bool(np.all(np.isclose(a[np.isfinite(a)], np.round(a[np.isfinite(a)]))))  # noqa: E731
        if n_cont or not integral(A.data) or not integral(problem.c):
            why = (f"this model has {n_cont} continuous columns" if n_cont else
                   "this model has fractional coefficients")
            return SolveResult(Status.ERROR, None, None, None, None, self.name, self.version(), 0.0,
                               f"CP-SAT needs an all-integer model with integral coefficients; {why}; use highs, cbc or scip")
        big = 2 ** 50
        clip = lambda v: int(max(-big, min(big, round(v)))) if np.isfinite(v) else (big if v > 0 else -big)  # noqa: E731
        m = cp_model.CpModel()
        xs = [m.new_int_var(clip(problem.col_lo[j]), clip(problem.col_hi[j]), f"x{j}") for j in range(problem.n_cols)]
        for i in range(problem.n_rows):
            s, e = A.indptr[i], A.indptr[i + 1]
            expr = cp_model.LinearExpr.weighted_sum([xs[j] for j in A.indices[s:e]], [int(round(v)) for v in A.data[s:e]])
            m.add_linear_constraint(expr, clip(problem.row_lo[i]), clip(problem.row_hi[i]))
        nz = np.flatnonzero(problem.c)
        obj = cp_model.LinearExpr.weighted_sum([xs[j] for j in nz], [int(round(problem.c[j])) for j in nz])
        (m.maximize if problem.sense == "max" else m.minimize)(obj)
        solver = cp_model.CpSolver()
        if options.time_limit is not None:
            solver.parameters.max_time_in_seconds = float(options.time_limit)
        solver.parameters.relative_gap_limit = float(options.mip_gap)
        solver.parameters.random_seed = int(options.seed)
        solver.parameters.num_workers = int(options.threads or 2)
        solver.parameters.log_search_progress = bool(options.log)
        status = solver.solve(m)
        seconds = time.perf_counter() - t0
        if status == cp_model.INFEASIBLE:
            return SolveResult(Status.INFEASIBLE, None, None, None, None, self.name, self.version(), seconds, "infeasible")
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            st = Status.NO_SOLUTION if status == cp_model.UNKNOWN else Status.ERROR
            return SolveResult(st, None, None, None, None, self.name, self.version(), seconds, solver.status_name(status))
        x = np.array([solver.value(v) for v in xs], dtype=float)
        val = problem.objective_value(x)
        bound = float(solver.best_objective_bound) + float(problem.offset)
        st = Status.OPTIMAL if status == cp_model.OPTIMAL else Status.FEASIBLE
        return SolveResult(st, x, val, bound, relative_gap(val, bound), self.name, self.version(), seconds,
                           solver.status_name(status))
