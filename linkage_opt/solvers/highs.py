"""HiGHS through ``highspy``: the default backend.

The model reaches HiGHS in one ``passModel`` call made of numpy arrays (CSR matrix, bounds, costs,
integrality), so building it costs no Python loop over rows or columns.

Output: HiGHS prints a banner from C++ when an instance is created; that is silenced at the file
descriptor. With ``SolverOptions.log`` the solver's log is sent to stderr through HiGHS's logging
callback; without it nothing is printed at all.

Threads: HiGHS runs every solve of a process on one global task scheduler, sized by the ``threads``
option of the run that first creates it, and refuses a later run that asks for another size. This
module remembers the size it started the scheduler with and rebuilds the scheduler when a solve asks for
a different explicit count. If another HiGHS solve of this backend is running at that moment (another
Python thread), the scheduler cannot be rebuilt safely: the solve runs with the existing scheduler and
``extra["threads_note"]`` says so. ``threads=None`` always uses whatever scheduler exists.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time

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


def set_basis(h, basis, n_cols: int, n_rows: int) -> bool:
    """Start ``h`` from ``basis`` (a HighsBasis of the same columns); rows it does not cover are basic.

    An earlier stage's LP basis has the same columns and fewer rows (each stage adds the row that keeps
    the term before it), and the new rows' slacks are basic. A basis of another shape, or one HiGHS
    rejects, is not used (False).
    """
    import highspy

    rows = list(basis.row_status)
    if len(basis.col_status) != n_cols or len(rows) > n_rows:
        return False
    b = highspy.HighsBasis()
    b.col_status = list(basis.col_status)
    b.row_status = rows + [highspy.HighsBasisStatus.kBasic] * (n_rows - len(rows))
    b.valid = True
    return h.setBasis(b) == highspy.HighsStatus.kOk


def new_highs(log: bool = False):
    """A Highs instance that printed no banner; its log goes to stderr if ``log``, nowhere otherwise."""
    import highspy

    with _quiet_stdout():
        h = highspy.Highs()
        h.setOptionValue("output_flag", bool(log))
    h.setOptionValue("log_to_console", False)
    if log:
        h.cbLogging += lambda event: sys.stderr.write(event.message)
    return h


OBJECTIVE_TARGET = 128.0  # objective scaling brings the largest |c_j| near this (see objective_scale_exponent)


def objective_scale_exponent(c: np.ndarray) -> int:
    """Exponent k of the power-of-two objective scaling 2**k for HiGHS's ``user_objective_scale``.

    The coverage term's coefficients are tiny (weights sum to 1 over thousands of need rows: 1e-5 to
    1e-2), below the scale of HiGHS's absolute dual feasibility tolerance (1e-7) by only a few orders,
    and the cost term's are large (yuan). Scaling the objective so that its largest coefficient is near
    OBJECTIVE_TARGET halved the simplex iterations of the generated 60-unit coverage LP and let the
    district one finish (figures in docs/performance.md). A power of two is exact in floating point,
    HiGHS reports objective, bound and duals in the model's own units, and the optimum is unchanged.
    """
    nz = np.abs(c[np.isfinite(c)]) if len(c) else np.zeros(0)
    big = float(nz.max()) if len(nz) else 0.0
    if big <= 0.0:
        return 0
    return int(np.clip(np.round(np.log2(OBJECTIVE_TARGET / big)), -30, 30))


def highs_version() -> str:
    import highspy

    return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"


def pass_problem(h, problem: MipProblem):
    """Load ``problem`` into the Highs instance ``h`` from its arrays; returns the HighsStatus."""
    import highspy

    A = problem.A.tocsr()
    if not A.has_canonical_format:  # HiGHS rejects repeated entries; sum them on a copy, not the caller's matrix
        A = A.copy()
        A.sum_duplicates()
    sense = highspy.ObjSense.kMaximize if problem.sense == "max" else highspy.ObjSense.kMinimize
    f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
    return h.passModel(
        problem.n_cols,
        problem.n_rows,
        int(A.nnz),
        int(highspy.MatrixFormat.kRowwise),
        int(sense),
        float(problem.offset),
        f64(problem.c),
        f64(problem.col_lo),
        f64(problem.col_hi),
        f64(problem.row_lo),
        f64(problem.row_hi),
        A.indptr.astype(np.int32),
        A.indices.astype(np.int32),
        f64(A.data),
        np.asarray(problem.integrality, dtype=np.int32),
    )


_scheduler_lock = threading.Lock()
_scheduler = {"threads": None, "runs": 0}  # size the global scheduler was started with (0 = HiGHS's choice)


def _restart_scheduler(h, deadline: float | None) -> bool:
    """Restart HiGHS's global scheduler at ``h``'s thread count when no other run of this process uses it
    and time is left; whether it was restarted."""
    import highspy

    left = seconds_left(deadline)
    if left is not None and left <= MIN_RUN_SECONDS:
        return False
    with _scheduler_lock:
        if _scheduler["runs"] != 1:
            return False
        highspy.Highs.resetGlobalScheduler(True)
        value = h.getOptionValue("threads")
        _scheduler["threads"] = int(value[1] if isinstance(value, tuple) else value)
    return True


@contextlib.contextmanager
def _threads(h, requested: int | None):
    """Set ``h``'s threads option so that HiGHS accepts the run; yield a note if the request is not honoured."""
    import highspy

    want = 0 if requested is None else int(requested)
    note = ""
    with _scheduler_lock:
        started = _scheduler["threads"]
        if want != 0 and want != started:
            if _scheduler["runs"] == 0:
                highspy.Highs.resetGlobalScheduler(True)
                _scheduler["threads"] = want
            else:
                note = (
                    f"threads={want} not applied: another HiGHS solve in this process is running on the global "
                    f"scheduler started with threads={started}"
                )
                want = started or 0  # the scheduler's own size: HiGHS refuses a run that asks another ("Not Set")
        elif started is None:
            _scheduler["threads"] = want
        h.setOptionValue("threads", want)
        _scheduler["runs"] += 1
    try:
        yield note
    finally:
        with _scheduler_lock:
            _scheduler["runs"] -= 1


@contextlib.contextmanager
def _watchdog(h, left: float | None):
    """Cancel ``h``'s run from another thread if it lasts ``WATCHDOG_GRACE`` seconds beyond ``left``.

    HiGHS checks its own ``time_limit`` between iterations of each phase; the interrupt callbacks that
    ``cancelSolve`` works through are polled as often (simplex, IPM, MIP), so this is a backstop for a
    phase that overruns its limit, not a second limit; a cancelled district-sized LP returns at once
    (docs/performance.md, "Measurements the code relies on").
    """
    if left is None:
        yield
        return
    h.HandleUserInterrupt = True
    timer = threading.Timer(max(0.0, left) + WATCHDOG_GRACE, h.cancelSolve)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _empty_problem(problem: MipProblem, version: str, t0: float) -> SolveResult:
    """A model without columns (HiGHS would only say 'model empty'): its rows hold iff 0 lies within their bounds."""
    ok = bool(np.all(problem.row_lo <= 0.0) and np.all(problem.row_hi >= 0.0))
    seconds = time.perf_counter() - t0
    if not ok:
        return SolveResult(
            Status.INFEASIBLE, None, None, None, None, "highs", version, seconds, "a row without columns excludes 0"
        )
    off = float(problem.offset)
    return SolveResult(Status.OPTIMAL, np.zeros(0), off, off, 0.0, "highs", version, seconds, "empty model")


class HighsBackend:
    """The default backend; see the module docstring for output and thread handling."""

    name = "highs"
    features = Features(lp_rounding=True, warm_basis=True, duals=True)

    def available(self) -> bool:
        try:
            import highspy  # noqa: F401
        except ImportError:
            return False
        return True

    def version(self) -> str:
        return highs_version()

    def solve(self, problem: MipProblem, options: SolverOptions) -> SolveResult:
        """Solve ``problem``; ``solve_seconds`` covers loading the model and the run (split in ``extra``).

        The time limit and ``options.deadline`` cover loading the model too: HiGHS's ``time_limit`` is set to
        what is left after ``passModel``, and a watchdog cancels the run (``cancelSolve``, through HiGHS's
        simplex, IPM and MIP interrupt callbacks) if it is still running ``WATCHDOG_GRACE`` seconds later.
        """
        deadline = call_deadline(options, time.monotonic())
        res = self._solve(problem, options, use_start=problem.start is not None, deadline=deadline)
        if (
            problem.start is not None
            and res.status == Status.OPTIMAL
            and res.gap is not None
            and res.gap > max(options.mip_gap, 1e-9) * 1.001 + 1e-9
        ):
            # HiGHS 1.16 can report a user-supplied start as optimal when presolve settles the model;
            # a claimed optimum outside the requested gap is not trusted: solve again without the start
            left = seconds_left(deadline)
            if left is None or left > MIN_RUN_SECONDS:
                retry = self._solve(problem, options, use_start=False, deadline=deadline)
                if retry.has_solution or not res.has_solution:
                    return retry
            # no time (or no plan) for a second run: the start is a plan, proven only to its gap
            res.status, res.message = Status.FEASIBLE, "the start, not proven within the gap"
        return res

    def _solve(
        self, problem: MipProblem, options: SolverOptions, use_start: bool, deadline: float | None = None
    ) -> SolveResult:
        import highspy

        t0 = time.perf_counter()
        version = highs_version()
        if problem.n_cols == 0:
            return _empty_problem(problem, version, t0)
        h = new_highs(options.log)
        h.setOptionValue("mip_rel_gap", float(options.mip_gap))
        h.setOptionValue("random_seed", int(options.seed))
        scale = objective_scale_exponent(problem.c)
        if scale:
            h.setOptionValue("user_objective_scale", scale)
        if pass_problem(h, problem) == highspy.HighsStatus.kError:
            return SolveResult.no_plan(
                Status.ERROR,
                self.name,
                version,
                time.perf_counter() - t0,
                "HiGHS rejected the model (see the log with log=True)",
            )
        warm = (
            problem.basis is not None
            and not problem.n_integer
            and set_basis(h, problem.basis, problem.n_cols, problem.n_rows)
        )
        if warm:  # primal simplex from a basis: on the next stage's LP (same columns, a row more) it beats IPM
            h.setOptionValue("solver", "simplex")
            h.setOptionValue("simplex_strategy", 4)
        elif options.lp_method == "ipm":  # interior point with crossover (HiGHS's default): a vertex, exact duals
            h.setOptionValue("mip_lp_solver" if problem.n_integer else "solver", "ipm")
        if use_start and problem.n_integer:
            sol = highspy.HighsSolution()
            sol.col_value = np.asarray(problem.start, dtype=np.float64)
            sol.value_valid = True
            h.setSolution(sol)
        t_run = time.perf_counter()
        left = seconds_left(deadline)
        if left is not None and left <= MIN_RUN_SECONDS:
            return SolveResult.no_plan(
                Status.NO_SOLUTION,
                self.name,
                version,
                t_run - t0,
                "no time left to run HiGHS after loading the model",
                extra={"build_seconds": t_run - t0, "run_seconds": 0.0},
            )
        h.setOptionValue("time_limit", float("inf") if left is None else float(left))
        with _threads(h, options.threads) as threads_note, _watchdog(h, left):
            h.run()
            ms = h.getModelStatus()
            MS = highspy.HighsModelStatus
            if ms == MS.kNotset and _restart_scheduler(h, deadline):
                # HiGHS refused to start: its global scheduler runs another thread count than asked (an
                # earlier run in this process started it). Alone now, it is restarted and the run retried.
                h.run()
                ms = h.getModelStatus()
            if ms == MS.kUnboundedOrInfeasible:
                st, message = self._infeasible_or_unbounded(h, problem, deadline)
            elif ms == MS.kNotset and left is not None and (seconds_left(deadline) or 0.0) <= WATCHDOG_GRACE:
                # stopped by its time limit (or the watchdog) before it had a status, as a loaded machine
                # showed: out of time with no plan, which the callers handle (a start kept, a part repaired)
                st, message = Status.NO_SOLUTION, "HiGHS stopped by the time limit before it had a status"
            else:
                st, message = self._status(ms), h.modelStatusToString(ms)
        extra = {
            "build_seconds": t_run - t0,
            "run_seconds": time.perf_counter() - t_run,
            "objective_scale_exp": scale,
            "warm_basis": warm,
        }
        if threads_note:
            extra["threads_note"] = threads_note
        info = h.getInfo()
        is_mip = problem.n_integer > 0
        mip_bound = float(info.mip_dual_bound) if is_mip and np.isfinite(info.mip_dual_bound) else None
        has_x = info.primal_solution_status == highspy.kSolutionStatusFeasible
        seconds = time.perf_counter() - t0
        if st == Status.FEASIBLE and not has_x:
            st = Status.NO_SOLUTION
        elif st == Status.OPTIMAL and not has_x:  # not expected; never pass on an x HiGHS calls infeasible
            st, message = Status.ERROR, f"HiGHS reported '{message}' without a feasible solution"
        if st not in (Status.OPTIMAL, Status.FEASIBLE):
            bound = mip_bound if st == Status.NO_SOLUTION else None
            return SolveResult(st, None, None, bound, None, self.name, version, seconds, message, extra=extra)
        sol = h.getSolution()
        x = np.asarray(sol.col_value, dtype=float)
        obj = problem.objective_value(x)
        if is_mip:
            bound = mip_bound
        else:
            bound = obj if st == Status.OPTIMAL else None
        res = SolveResult(
            st, x, obj, bound, relative_gap(obj, bound), self.name, version, seconds, message, extra=extra
        )
        if not is_mip and st == Status.OPTIMAL and sol.dual_valid:
            # HiGHS gives d(objective)/d(bound) in the problem's own sense, for max problems too
            res.row_duals = np.asarray(sol.row_dual, dtype=float)
            res.col_duals = np.asarray(sol.col_dual, dtype=float)
            basis = h.getBasis()
            if basis.valid:
                res.extra["basis"] = basis
        return res

    @staticmethod
    def _status(ms) -> Status:
        import highspy

        MS = highspy.HighsModelStatus
        if ms == MS.kOptimal:
            return Status.OPTIMAL
        if ms == MS.kInfeasible:
            return Status.INFEASIBLE
        if ms == MS.kUnbounded:
            return Status.UNBOUNDED
        if ms in (
            MS.kTimeLimit,
            MS.kIterationLimit,
            MS.kSolutionLimit,
            MS.kInterrupt,
            MS.kHighsInterrupt,
            MS.kMemoryLimit,
            MS.kObjectiveBound,
            MS.kObjectiveTarget,
        ):
            return Status.FEASIBLE  # stopped early; the caller makes it NO_SOLUTION when no feasible x came back
        return Status.ERROR

    def _infeasible_or_unbounded(self, h, problem: MipProblem, deadline: float | None) -> tuple[Status, str]:
        """HiGHS said 'infeasible or unbounded'; decide which by solving with a zero objective on ``h``.

        Feasible means unbounded: an LP whose dual is infeasible, or a MIP (rational data) whose relaxation is
        unbounded, is unbounded as soon as it has a feasible point.
        """
        import highspy

        MS = highspy.HighsModelStatus
        remaining = seconds_left(deadline)
        if remaining is not None:
            if remaining <= MIN_RUN_SECONDS:
                return Status.ERROR, "HiGHS: infeasible or unbounded (no time left to tell which)"
            h.setOptionValue("time_limit", remaining)
        n = problem.n_cols
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
        h.run()
        ms = h.getModelStatus()
        if ms == MS.kOptimal:
            return Status.UNBOUNDED, "unbounded (HiGHS: infeasible or unbounded; the model has a feasible point)"
        if ms == MS.kInfeasible:
            return Status.INFEASIBLE, "infeasible (HiGHS: infeasible or unbounded; no feasible point exists)"
        return Status.ERROR, (
            f"HiGHS: infeasible or unbounded; the feasibility check ended '{h.modelStatusToString(ms)}'"
        )
