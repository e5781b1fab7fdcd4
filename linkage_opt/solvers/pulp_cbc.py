"""COIN-OR CBC through PuLP: the portable backend (PuLP ships the CBC binary)."""

from __future__ import annotations

import tempfile
import time
import warnings

import numpy as np

from .base import MipProblem, SolveResult, SolverOptions, Status, relative_gap


class CbcBackend:
    name = "cbc"

    def available(self) -> bool:
        try:
            import pulp

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return bool(pulp.PULP_CBC_CMD(msg=False).available())
        except Exception:  # noqa: BLE001 - any failure means "not available"
            return False

    def version(self) -> str:
        import pulp

        return f"pulp {pulp.__version__} / CBC"

    def solve(self, problem: MipProblem, options: SolverOptions) -> SolveResult:
        # PuLP 3.x deprecates the bundled CBC and direct LpVariable construction; both still work (pulp < 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return self._solve(problem, options)

    def _solve(self, problem: MipProblem, options: SolverOptions) -> SolveResult:
        import pulp

        t0 = time.perf_counter()
        sense = pulp.LpMaximize if problem.sense == "max" else pulp.LpMinimize
        prob = pulp.LpProblem(problem.name or "linkage", sense)
        lo = [None if not np.isfinite(v) else float(v) for v in problem.col_lo]
        hi = [None if not np.isfinite(v) else float(v) for v in problem.col_hi]
        xs = [pulp.LpVariable(f"x{j}", lowBound=lo[j], upBound=hi[j],
                              cat=pulp.LpInteger if problem.integrality[j] else pulp.LpContinuous)
              for j in range(problem.n_cols)]
        nz = np.flatnonzero(problem.c)
        prob += pulp.LpAffineExpression([(xs[j], float(problem.c[j])) for j in nz]) + float(problem.offset)
        A = problem.A.tocsr()
        for i in range(problem.n_rows):
            s, e = A.indptr[i], A.indptr[i + 1]
            expr = pulp.LpAffineExpression([(xs[j], float(v)) for j, v in zip(A.indices[s:e], A.data[s:e])])
            rl, rh = problem.row_lo[i], problem.row_hi[i]
            if np.isfinite(rl) and np.isfinite(rh) and rl == rh:
                prob += pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{i}", float(rh))
                continue
            if np.isfinite(rh):
                prob += pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{i}u", float(rh))
            if np.isfinite(rl):
                prob += pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{i}l", float(rl))
        opts = [f"randomSeed {int(options.seed) + 1}", f"randomCbcSeed {int(options.seed) + 1}"]
        with tempfile.TemporaryDirectory(prefix="linkage-cbc-") as tmp:
            solver = pulp.PULP_CBC_CMD(msg=bool(options.log), timeLimit=options.time_limit, gapRel=options.mip_gap,
                                       threads=options.threads, options=opts, keepFiles=False)
            solver.tmpDir = tmp
            try:
                prob.solve(solver)
            except pulp.PulpSolverError as exc:
                return SolveResult(Status.ERROR, None, None, None, None, self.name, self.version(),
                                   time.perf_counter() - t0, str(exc))
        seconds = time.perf_counter() - t0
        # sol_status: 1 optimal, 2 a solution (stopped early), 0 none, -1 infeasible, -2 unbounded
        ss = prob.sol_status
        if ss == pulp.LpSolutionInfeasible or prob.status == pulp.LpStatusInfeasible:
            return SolveResult(Status.INFEASIBLE, None, None, None, None, self.name, self.version(), seconds, "infeasible")
        if ss == pulp.LpSolutionUnbounded or prob.status == pulp.LpStatusUnbounded:
            return SolveResult(Status.UNBOUNDED, None, None, None, None, self.name, self.version(), seconds, "unbounded")
        if ss not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            st = Status.NO_SOLUTION if prob.status == pulp.LpStatusNotSolved else Status.ERROR
            return SolveResult(st, None, None, None, None, self.name, self.version(), seconds, pulp.LpStatus[prob.status])
        x = np.array([v.varValue if v.varValue is not None else 0.0 for v in xs], dtype=float)
        obj = problem.objective_value(x)
        if ss == pulp.LpSolutionOptimal:
            # CBC proved optimality within gapRel; PuLP does not expose the bound itself
            return SolveResult(Status.OPTIMAL, x, obj, obj if problem.n_integer == 0 else None,
                               0.0 if problem.n_integer == 0 else None, self.name, self.version(), seconds, "optimal")
        return SolveResult(Status.FEASIBLE, x, obj, None, relative_gap(obj, None), self.name, self.version(), seconds,
                           "stopped with a solution (time limit)")
