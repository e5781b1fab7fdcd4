"""COIN-OR CBC through PuLP: the portable backend (PuLP 2.x/3.x ship a CBC binary).

PuLP has no array interface: the model is built with one variable object per column and one
``LpAffineExpression`` per row, read straight off the CSR arrays (linear in the number of nonzeros),
then written to an MPS file that the CBC executable solves. Every file of that exchange (MPS, solution,
log) lives in a temporary directory removed afterwards.

Honesty of the result:

* status comes from CBC's solution file: a MIP stopped by the time limit with a solution is FEASIBLE;
* PuLP does not expose the dual bound, so it is read from CBC's own log ("Lower bound:" / "Upper bound:"
  in the final summary), widened by half a unit of its last printed digit so that rounding never makes it
  tighter than CBC proved; a proven optimum without such a line has bound = objective; when the log cannot
  be matched to the returned solution the bound is None;
* CBC calls a MIP "unbounded" when its LP relaxation is, even if the MIP has no feasible point; such a
  verdict is checked by solving again with a zero objective.

``SolverOptions.log`` echoes CBC's log to stderr while it runs (tailing the log file).
"""

from __future__ import annotations

import contextlib
import decimal
import math
import os
import re
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import replace

import numpy as np

from .base import MipProblem, SolveResult, SolverOptions, Status, relative_gap

_RESULT = re.compile(r"^Result - (.*)$", re.M)
_OBJECTIVE = re.compile(r"^Objective value:\s+(\S+)", re.M)
_BOUND = re.compile(r"^(?:Lower|Upper) bound:\s+(\S+)", re.M)
_NO_BOUND = 1e49   # CBC writes 1e+50 for "no bound"


@contextlib.contextmanager
def _echo_to_stderr(path: str, enabled: bool):
    """While the block runs, copy what is appended to ``path`` onto stderr (if ``enabled``)."""
    if not enabled:
        yield
        return
    done = threading.Event()

    def tail() -> None:
        pos = 0
        while True:
            finished = done.wait(0.2)
            with contextlib.suppress(OSError), open(path, errors="replace") as f:
                f.seek(pos)
                chunk = f.read()
                pos = f.tell()
                if chunk:
                    sys.stderr.write(chunk)
                    sys.stderr.flush()
            if finished:
                return

    t = threading.Thread(target=tail, name="cbc-log", daemon=True)
    t.start()
    try:
        yield
    finally:
        done.set()
        t.join()


def _parse_bound(log: str, sense: str, objective_cx: float) -> float | None:
    """CBC's final dual bound for ``c @ x`` (no offset), or None when the log does not vouch for it.

    The log's "Objective value" must match ``objective_cx`` (the returned solution), so that the bound
    read next to it belongs to this solve and is in the same sense and without offset.
    """
    tail = log[log.rfind("Result - "):] if "Result - " in log else ""
    obj = _OBJECTIVE.search(tail)
    if not tail or obj is None or not math.isclose(float(obj.group(1)), objective_cx, rel_tol=1e-7, abs_tol=1e-6):
        return None
    m = _BOUND.search(tail)
    if m is None:
        # no bound line: CBC only omits it when the search finished with the optimum proven
        return objective_cx if _RESULT.search(tail).group(1).strip() == "Optimal solution found" else None
    try:
        printed = decimal.Decimal(m.group(1))
    except decimal.InvalidOperation:
        return None
    if not printed.is_finite() or abs(printed) >= _NO_BOUND:
        return None
    half_unit = 0.5 * 10.0 ** printed.as_tuple().exponent
    return float(printed) + half_unit if sense == "max" else float(printed) - half_unit


class CbcBackend:
    """CBC via ``pulp.PULP_CBC_CMD`` (PuLP's bundled binary; the 'cbc' backend)."""

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
        """Solve ``problem``; ``solve_seconds`` covers building the PuLP model, CBC's run and reading back."""
        # PuLP 3.x deprecates the bundled CBC and free-standing LpVariable; both work until PuLP 4 (pinned < 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return self._solve(problem, options)

    def _solve(self, problem: MipProblem, options: SolverOptions) -> SolveResult:
        import pulp

        t0 = time.perf_counter()
        version = self.version()
        prob, xs = self._build(problem)
        t_run = time.perf_counter()
        try:
            log = self._run(prob, options, time_limit=options.time_limit)
        except pulp.PulpSolverError as exc:
            return SolveResult(Status.ERROR, None, None, None, None, self.name, version, time.perf_counter() - t0,
                               str(exc))
        ss, status = prob.sol_status, prob.status
        extra = {"build_seconds": t_run - t0}
        if ss == pulp.LpSolutionInfeasible or status == pulp.LpStatusInfeasible:
            st, message = Status.INFEASIBLE, "infeasible"
        elif ss == pulp.LpSolutionUnbounded or status == pulp.LpStatusUnbounded:
            st, message = self._check_unbounded(problem, options, t0)
        elif ss in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            st, message = None, ""
        elif status == pulp.LpStatusNotSolved:
            st, message = Status.NO_SOLUTION, "stopped (time limit) without a solution"
        else:
            st, message = Status.ERROR, f"CBC: {pulp.LpStatus.get(status, status)}"
        extra["run_seconds"] = time.perf_counter() - t_run
        if st is not None:
            return SolveResult(st, None, None, None, None, self.name, version, time.perf_counter() - t0, message,
                               extra=extra)
        x = self._values(problem, xs)
        obj = problem.objective_value(x)
        optimal = ss == pulp.LpSolutionOptimal
        if problem.n_integer == 0:
            bound = obj if optimal else None
        else:
            cx = obj - float(problem.offset)
            bound_cx = _parse_bound(log, problem.sense, cx)
            bound = None if bound_cx is None else bound_cx + float(problem.offset)
        message = "optimal" if optimal else "stopped with a solution (time limit)"
        return SolveResult(Status.OPTIMAL if optimal else Status.FEASIBLE, x, obj, bound, relative_gap(obj, bound),
                           self.name, version, time.perf_counter() - t0, message, extra=extra)

    @staticmethod
    def _build(problem: MipProblem):
        """The PuLP model (objective ``c @ x`` without the offset, which is added back on our side)."""
        import pulp

        prob = pulp.LpProblem(re.sub(r"\W", "_", problem.name or "linkage"),
                              pulp.LpMaximize if problem.sense == "max" else pulp.LpMinimize)
        new_var = getattr(prob, "add_variable", pulp.LpVariable)   # PuLP 3 API, plain LpVariable on PuLP 2
        lo = [None if not np.isfinite(v) else v for v in problem.col_lo.tolist()]
        hi = [None if not np.isfinite(v) else v for v in problem.col_hi.tolist()]
        cats = [pulp.LpInteger if i else pulp.LpContinuous for i in problem.integrality.tolist()]
        xs = [new_var(f"x{j}", lo[j], hi[j], cat=cats[j]) for j in range(problem.n_cols)]
        nz = np.flatnonzero(problem.c)
        prob.setObjective(pulp.LpAffineExpression(zip([xs[j] for j in nz], problem.c[nz].tolist())))
        A = problem.A.tocsr()
        indptr, cols, vals = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
        row_lo, row_hi = problem.row_lo.tolist(), problem.row_hi.tolist()
        for i in range(problem.n_rows):
            s, e = indptr[i], indptr[i + 1]
            expr = pulp.LpAffineExpression(zip([xs[j] for j in cols[s:e]], vals[s:e]))
            rl, rh = row_lo[i], row_hi[i]
            if rl == rh:
                prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{i}", rh))
                continue
            if math.isfinite(rh):
                prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{i}u", rh))
            if math.isfinite(rl):
                prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{i}l", rl))
        return prob, xs

    @staticmethod
    def _run(prob, options: SolverOptions, time_limit: float | None) -> str:
        """Solve ``prob`` with CBC inside a temporary directory; returns CBC's log."""
        import pulp

        seed = int(options.seed) + 1   # CBC reads seed 0 as "seed from the clock"
        with tempfile.TemporaryDirectory(prefix="linkage-cbc-") as tmp:
            log_path = os.path.join(tmp, "cbc.log")
            solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=float(options.mip_gap),
                                       threads=options.threads, logPath=log_path, keepFiles=False,
                                       options=[f"randomSeed {seed}", f"randomCbcSeed {seed}"])
            solver.tmpDir = tmp
            with _echo_to_stderr(log_path, options.log):
                prob.solve(solver)
            with open(log_path, errors="replace") as f:
                return f.read()

    def _check_unbounded(self, problem: MipProblem, options: SolverOptions, t0: float) -> tuple[Status, str]:
        """CBC said 'unbounded': tell unbounded from infeasible by solving again with a zero objective."""
        import pulp

        limit = None
        if options.time_limit is not None:
            limit = float(options.time_limit) - (time.perf_counter() - t0)
            if limit <= 0:
                return Status.ERROR, "CBC: unbounded LP relaxation (no time left to check feasibility)"
        prob, _ = self._build(replace(problem, c=np.zeros(problem.n_cols)))
        try:
            self._run(prob, options, time_limit=limit)
        except pulp.PulpSolverError as exc:
            return Status.ERROR, f"CBC: unbounded LP relaxation; the feasibility check failed: {exc}"
        if prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            return Status.UNBOUNDED, "unbounded (CBC: unbounded; the model has a feasible point)"
        if prob.sol_status == pulp.LpSolutionInfeasible or prob.status == pulp.LpStatusInfeasible:
            return Status.INFEASIBLE, "infeasible (CBC reported the LP relaxation unbounded)"
        return Status.ERROR, "CBC: unbounded LP relaxation; the feasibility check was inconclusive"

    @staticmethod
    def _values(problem: MipProblem, xs) -> np.ndarray:
        """Column values; a column in no row and not in the objective is absent from CBC's model and gets the
        value of its bounds nearest to 0 (integral for an integer column)."""
        x = np.array([np.nan if v.varValue is None else v.varValue for v in xs], dtype=float)
        missing = np.isnan(x)
        if missing.any():
            lo = np.where(problem.integrality, np.ceil(problem.col_lo), problem.col_lo)
            hi = np.where(problem.integrality, np.floor(problem.col_hi), problem.col_hi)
            x[missing] = np.clip(0.0, lo, hi)[missing]
        return x
