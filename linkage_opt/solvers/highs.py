"""HiGHS through ``highspy``: the default backend. The CSR matrix is passed as it is (no Python loops)."""

from __future__ import annotations

import contextlib
import os
import sys
import time

import numpy as np

from .base import MipProblem, SolveResult, SolverOptions, Status, relative_gap


@contextlib.contextmanager
def _quiet_stdout():
    """HiGHS prints its banner from C++ when constructed; silence file descriptor 1 meanwhile."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs(log: bool = False):
    """A Highs instance with output switched off unless ``log`` (no banner on stdout)."""
    import highspy

    with _quiet_stdout():
        h = highspy.Highs()
        h.setOptionValue("output_flag", bool(log))
    return h


class HighsBackend:
    name = "highs"

    def available(self) -> bool:
        try:
            import highspy  # noqa: F401
        except ImportError:
            return False
        return True

    def version(self) -> str:
        h = new_highs()
        return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"

    def _model(self, problem: MipProblem):
        import highspy

        lp = highspy.HighsLp()
        lp.num_col_ = problem.n_cols
        lp.num_row_ = problem.n_rows
        lp.col_cost_ = np.asarray(problem.c, dtype=np.float64)
        lp.col_lower_ = np.asarray(problem.col_lo, dtype=np.float64)
        lp.col_upper_ = np.asarray(problem.col_hi, dtype=np.float64)
        lp.row_lower_ = np.asarray(problem.row_lo, dtype=np.float64)
        lp.row_upper_ = np.asarray(problem.row_hi, dtype=np.float64)
        lp.offset_ = float(problem.offset)
        lp.sense_ = highspy.ObjSense.kMaximize if problem.sense == "max" else highspy.ObjSense.kMinimize
        A = problem.A.tocsr()
        A.sort_indices()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = problem.n_cols
        lp.a_matrix_.num_row_ = problem.n_rows
        lp.a_matrix_.start_ = A.indptr.astype(np.int32)
        lp.a_matrix_.index_ = A.indices.astype(np.int32)
        lp.a_matrix_.value_ = A.data.astype(np.float64)
        if problem.n_integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                               for i in problem.integrality]
        return lp

    def solve(self, problem: MipProblem, options: SolverOptions) -> SolveResult:
        res = self._solve(problem, options, use_start=problem.start is not None)
        if problem.start is not None and res.status == Status.OPTIMAL and res.gap is not None \
                and res.gap > max(options.mip_gap, 1e-9) * 1.001 + 1e-9:
            # HiGHS 1.16 can report a user-supplied start as optimal when presolve settles the model;
            # a claimed optimum outside the requested gap is not trusted: solve again without the start
            res = self._solve(problem, options, use_start=False)
        return res

    def _solve(self, problem: MipProblem, options: SolverOptions, use_start: bool) -> SolveResult:
        import highspy

        t0 = time.perf_counter()
        h = new_highs(options.log)
        h.setOptionValue("log_to_console", bool(options.log))
        if options.time_limit is not None:
            h.setOptionValue("time_limit", float(options.time_limit))
        h.setOptionValue("mip_rel_gap", float(options.mip_gap))
        h.setOptionValue("random_seed", int(options.seed))
        if options.threads is not None:
            h.setOptionValue("threads", int(options.threads))
        version = f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"
        if problem.n_cols == 0:
            return SolveResult(Status.OPTIMAL, np.zeros(0), problem.offset, problem.offset, 0.0, self.name, version,
                               time.perf_counter() - t0)
        status = h.passModel(self._model(problem))
        if status == highspy.HighsStatus.kError:
            return SolveResult(Status.ERROR, None, None, None, None, self.name, version, time.perf_counter() - t0,
                               "HiGHS rejected the model")
        if use_start and problem.n_integer:
            sol = highspy.HighsSolution()
            sol.col_value = np.asarray(problem.start, dtype=np.float64)
            sol.value_valid = True
            h.setSolution(sol)
        h.run()
        ms = h.getModelStatus()
        info = h.getInfo()
        MS = highspy.HighsModelStatus
        has_x = info.primal_solution_status == 2   # kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value, dtype=float) if has_x else None
        seconds = time.perf_counter() - t0
        is_mip = problem.n_integer > 0
        if ms == MS.kOptimal:
            st = Status.OPTIMAL
        elif ms == MS.kInfeasible:
            st = Status.INFEASIBLE
        elif ms in (MS.kUnbounded,):
            st = Status.UNBOUNDED
        elif ms == MS.kUnboundedOrInfeasible:
            st = Status.INFEASIBLE if not has_x else Status.UNBOUNDED
        elif ms in (MS.kTimeLimit, MS.kIterationLimit, MS.kSolutionLimit, MS.kInterrupt, MS.kObjectiveBound,
                    MS.kObjectiveTarget):
            st = Status.FEASIBLE if has_x else Status.NO_SOLUTION
        else:
            st = Status.ERROR
        if x is None or st in (Status.INFEASIBLE, Status.UNBOUNDED, Status.ERROR):
            return SolveResult(st, None, None, None, None, self.name, version, seconds, h.modelStatusToString(ms))
        obj = problem.objective_value(x)
        if is_mip:
            bound = float(info.mip_dual_bound)
            bound = bound if np.isfinite(bound) else None
        else:
            bound = obj if st == Status.OPTIMAL else None
        res = SolveResult(st, x, obj, bound, relative_gap(obj, bound), self.name, version, seconds,
                          h.modelStatusToString(ms))
        if not is_mip and st == Status.OPTIMAL:
            sol = h.getSolution()
            if sol.dual_valid:
                # HiGHS reports duals for the sense it solved in; these are d(objective)/d(rhs) in the problem's sense
                res.row_duals = np.asarray(sol.row_dual, dtype=float)
                res.col_duals = np.asarray(sol.col_dual, dtype=float)
        return res
