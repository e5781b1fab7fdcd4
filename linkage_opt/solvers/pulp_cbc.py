"""COIN-OR CBC: the portable backend, run as the CBC executable that PuLP 2.x/3.x bundle.

The model goes to CBC as an MPS file written by HiGHS from the arrays (C++, no Python object per row
or column; building PuLP's model took longer than many solves: docs/performance.md), always as a minimisation without offset (a maximisation is written
as ``min -c @ x``; the offset is added back here), so that no reader's handling of ``OBJSENSE`` or of an
objective constant matters. Columns are ``c0, c1, ...`` in order, which is how CBC's solution file is
read back. A start (``MipProblem.start``) is handed over as a CBC solution file with ``-mips``. Every file
of that exchange (MPS, start, solution, log) lives in a temporary directory removed afterwards.

The time limit is a wall, not a wish. CBC's own ``-sec`` (elapsed time) is checked only between
branch-and-bound nodes: its root LP, cuts and heuristics can run far past it (docs/performance.md,
"Measurements the code relies on"). So CBC gets what is left of the call's time after the model file is written, and a
watchdog sends it SIGINT ``WATCHDOG_GRACE`` seconds after the call's deadline (CBC then stops and writes
its best solution, if it is in the tree search) and kills it ``CBC_KILL_GRACE`` seconds after that. A
killed CBC writes no solution: the call returns NO_SOLUTION (the caller keeps the previous stage's plan).

Honesty of the result:

* status comes from CBC's solution file: a MIP stopped by the time limit with a solution is FEASIBLE;
  a solution of a stopped run is checked against every row and bound before it is returned;
* the dual bound is read from CBC's own log ("Lower bound:" in the final summary), widened by half a
  unit of its last printed digit so that rounding never makes it tighter than CBC proved; a proven
  optimum without such a line has bound = objective; when the log's objective is not that of the
  returned solution (to 1e-4) the bound is None;
* CBC calls a MIP "unbounded" when its LP relaxation is, even if the MIP has no feasible point; such a
  verdict is checked by solving again with a zero objective;
* CBC whose time runs out in preprocessing can call a feasible model infeasible ("Pre-processing says
  infeasible or unbounded"): an infeasible verdict after 80 % or more of the run's time is NO_SOLUTION.

``SolverOptions.log`` echoes CBC's log to stderr while it runs (tailing the log file; CBC's output is
line-buffered through ``stdbuf`` where that exists).
"""

from __future__ import annotations

import contextlib
import decimal
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
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
    max_violation,
    relative_gap,
    seconds_left,
)

CBC_KILL_GRACE = 2.0  # seconds between the watchdog's SIGINT and SIGKILL
FEASIBILITY_TOL = 1e-6  # a stopped run's solution must satisfy every row and bound to this (relative)

_RESULT = re.compile(r"^Result - (.*)$", re.M)
_OBJECTIVE = re.compile(r"^Objective value:\s+(\S+)", re.M)
_BOUND = re.compile(r"^(?:Lower|Upper) bound:\s+(\S+)", re.M)
_NO_BOUND = 1e49  # CBC writes 1e+50 for "no bound"


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
    tail = log[log.rfind("Result - ") :] if "Result - " in log else ""
    obj = _OBJECTIVE.search(tail)
    # CBC's summary prints the objective of its internal model, which can differ from that of the solution
    # file's values in the fifth digit (-0.95106821 against -0.95108248 on a 40-unit coverage stage)
    if not tail or obj is None or not math.isclose(float(obj.group(1)), objective_cx, rel_tol=1e-4, abs_tol=1e-6):
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
    """CBC, the executable bundled with PuLP (the 'cbc' backend); see the module docstring."""

    name = "cbc"
    features = Features()

    def available(self) -> bool:
        try:
            return bool(self._executable())
        except Exception:
            return False

    def version(self) -> str:
        import pulp

        return f"pulp {pulp.__version__} / CBC"

    @staticmethod
    def _executable() -> str | None:
        import pulp

        with warnings.catch_warnings():  # PuLP 3.x deprecates the bundled CBC; it works until PuLP 4 (pinned < 4)
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(msg=False)
            return solver.path if solver.available() else None

    def solve(self, problem: MipProblem, options: SolverOptions) -> SolveResult:
        """Solve ``problem``; ``solve_seconds`` covers writing the model file, CBC's run and reading back."""
        t0 = time.perf_counter()
        deadline = call_deadline(options, time.monotonic())
        return self._solve(problem, options, deadline, t0)

    def _solve(self, problem: MipProblem, options: SolverOptions, deadline: float | None, t0: float) -> SolveResult:
        version = self.version()
        fail = lambda st, msg, **extra: SolveResult(  # noqa: E731
            st,
            None,
            None,
            None,
            None,
            self.name,
            version,
            time.perf_counter() - t0,
            msg,
            extra=extra,
        )
        if problem.n_cols == 0:
            ok = bool(np.all(problem.row_lo <= 0.0) and np.all(problem.row_hi >= 0.0))
            if not ok:
                return fail(Status.INFEASIBLE, "a row without columns excludes 0")
            off = float(problem.offset)
            return SolveResult(
                Status.OPTIMAL, np.zeros(0), off, off, 0.0, self.name, version, time.perf_counter() - t0, "empty model"
            )
        exe = self._executable()
        if exe is None:
            return fail(Status.ERROR, "CBC: PuLP's bundled CBC executable is not available")
        with tempfile.TemporaryDirectory(prefix="linkage-cbc-") as tmp:
            try:
                args = self._write(problem, options, tmp, exe)
            except (OSError, ValueError) as exc:
                return fail(Status.ERROR, f"CBC: could not write the model file: {exc}")
            t_run = time.perf_counter()
            extra = {"build_seconds": t_run - t0}
            left = seconds_left(deadline)
            if left is not None and left <= MIN_RUN_SECONDS:
                return fail(
                    Status.NO_SOLUTION, "no time left to run CBC after writing the model", **extra, run_seconds=0.0
                )
            if left is not None:
                args[args.index("-sec") + 1] = f"{max(left, 0.01):.3f}"
            log, stopped, rc = self._run(args, tmp, left, options.log)
            extra["run_seconds"] = time.perf_counter() - t_run
            if stopped:
                extra["watchdog"] = stopped
            status_line, x = self._read_solution(os.path.join(tmp, "solution.txt"), problem)
        if status_line is None:
            if stopped == "killed":
                return fail(
                    Status.NO_SOLUTION,
                    f"CBC ran past its time limit and was stopped "
                    f"{WATCHDOG_GRACE + CBC_KILL_GRACE:g} s after it, without a solution",
                    **extra,
                )
            return fail(Status.ERROR, f"CBC ended (exit {rc}) without a solution file: {log.strip()[-300:]}", **extra)
        first = status_line.split()
        word = first[0] if first else ""
        if word == "Infeasible" or status_line.startswith("Integer infeasible"):
            if left is not None and extra["run_seconds"] >= 0.8 * left:
                # CBC 2.10 whose time runs out in preprocessing says "Pre-processing says infeasible" of a
                # feasible model (a 40-unit coverage stage given 0.65 s): a verdict at the limit is not trusted
                return fail(
                    Status.NO_SOLUTION,
                    "CBC's time ran out as it reported infeasibility (not trusted): stopped without a solution",
                    **extra,
                )
            return fail(Status.INFEASIBLE, "infeasible", **extra)
        if word == "Unbounded":
            st, message = self._check_unbounded(problem, options, deadline)
            return fail(st, message, **extra)
        optimal = word == "Optimal"
        stopped_with_x = word == "Stopped" and len(first) >= 5 and first[4] == "objective" and problem.n_integer > 0
        if not (optimal or stopped_with_x):
            if word == "Stopped":
                return fail(
                    Status.NO_SOLUTION, f"stopped (time limit) without a solution ({status_line.strip()})", **extra
                )
            return fail(Status.ERROR, f"CBC: {status_line.strip()}", **extra)
        if not optimal and max_violation(problem, x) > FEASIBILITY_TOL:
            return fail(Status.NO_SOLUTION, "stopped; the solution CBC wrote breaks a row or bound", **extra)
        obj = problem.objective_value(x)
        if problem.n_integer == 0:
            bound = obj if optimal else None
        else:
            cx_min = -(obj - float(problem.offset)) if problem.sense == "max" else obj - float(problem.offset)
            bound_min = _parse_bound(log, "min", cx_min)  # CBC minimised c @ x (or -c @ x), without offset
            bound = (
                None
                if bound_min is None
                else (
                    -bound_min + float(problem.offset) if problem.sense == "max" else bound_min + float(problem.offset)
                )
            )
        message = "optimal" if optimal else "stopped with a solution (time limit)"
        return SolveResult(
            Status.OPTIMAL if optimal else Status.FEASIBLE,
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

    @staticmethod
    def _write(problem: MipProblem, options: SolverOptions, tmp: str, exe: str) -> list[str]:
        """Write the model (and a start) into ``tmp``; return CBC's command line (``-sec`` to be filled in)."""
        from .mps import write_mps

        c = -problem.c if problem.sense == "max" else problem.c
        as_min = replace(
            problem,
            c=np.asarray(c, float),
            sense="min",
            offset=0.0,
            col_names=None,
            row_names=None,
            start=None,
            basis=None,
        )
        model = os.path.join(tmp, "model.mps")
        write_mps(as_min, model)
        seed = int(options.seed) + 1  # CBC reads seed 0 as "seed from the clock"
        args = [
            exe,
            model,
            "-timeMode",
            "elapsed",
            "-sec",
            "1e100",
            "-ratio",
            repr(float(options.mip_gap)),
            "-randomSeed",
            str(seed),
            "-randomCbcSeed",
            str(seed),
            # CBC's integer preprocessing returned a wrong optimum: min -2 x2 - 4 x4, 6 x0 + 2 x2 + 4 x4 <= 7,
            # 0 <= x <= 3, x4 integer, gave -6 (x2 = 3) against -7 (x4 = 1, x2 = 1.5); without it, -7
            "-preprocess",
            "off",
        ]
        if options.threads is not None:
            args += ["-threads", str(int(options.threads))]
        if problem.start is not None and problem.n_integer:
            start = os.path.join(tmp, "start.txt")
            x0 = np.asarray(problem.start, float)
            with open(start, "w") as f:  # CBC's solution-file format, read back by name
                f.write("Stopped on time - objective value 0\n")
                f.writelines(f"{j:>7} c{j} {v!r:>15} 0\n" for j, v in enumerate(x0.tolist()))
            args += ["-mips", start]
        args += ["-solve", "-solution", os.path.join(tmp, "solution.txt")]
        if shutil.which("stdbuf"):  # line-buffered output: a stopped CBC's log is not lost in its buffer
            args = [shutil.which("stdbuf"), "-oL", *args]
        return args

    @staticmethod
    def _run(args: list[str], tmp: str, left: float | None, echo: bool) -> tuple[str, str | None, int | None]:
        """Run CBC with the watchdog; returns (log, how the watchdog stopped it or None, exit code)."""
        log_path = os.path.join(tmp, "cbc.log")
        stopped = None
        with open(log_path, "w") as log, _echo_to_stderr(log_path, echo):
            proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=tmp)
            try:
                try:
                    proc.wait(timeout=None if left is None else max(left, 0.0) + WATCHDOG_GRACE)
                except subprocess.TimeoutExpired:
                    stopped = "interrupted"
                    if os.name == "posix":
                        proc.send_signal(signal.SIGINT)  # CBC stops its search and writes the best solution
                    else:
                        proc.terminate()
                    try:
                        proc.wait(timeout=CBC_KILL_GRACE)
                    except subprocess.TimeoutExpired:
                        stopped = "killed"
                        proc.kill()
                        proc.wait()
            finally:
                if proc.poll() is None:  # interrupted from outside (KeyboardInterrupt): never leave CBC running
                    proc.kill()
                    proc.wait()
        with open(log_path, errors="replace") as f:
            return f.read(), stopped, proc.returncode

    @staticmethod
    def _read_solution(path: str, problem: MipProblem) -> tuple[str | None, np.ndarray | None]:
        """CBC's solution file: its status line and the column values (None, None if there is none).

        CBC lists only nonzero columns (by default); a column not listed is 0, clipped to its bounds (a
        column in no row and not in the objective is not in CBC's model at all).
        """
        try:
            with open(path, errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return None, None
        if not lines:
            return None, None
        x = np.full(problem.n_cols, np.nan)
        for line in lines[1:]:
            tok = line.split()
            if tok and tok[0] == "**":
                tok = tok[1:]
            if len(tok) < 3 or not tok[1].startswith("c") or not tok[1][1:].isdigit():
                continue
            j = int(tok[1][1:])
            if j < problem.n_cols:
                try:
                    x[j] = float(tok[2])
                except ValueError:
                    return None, None
        missing = np.isnan(x)
        if missing.any():
            lo = np.where(problem.integrality, np.ceil(problem.col_lo), problem.col_lo)
            hi = np.where(problem.integrality, np.floor(problem.col_hi), problem.col_hi)
            x[missing] = np.clip(0.0, lo, hi)[missing]
        return lines[0], x

    def _check_unbounded(
        self, problem: MipProblem, options: SolverOptions, deadline: float | None
    ) -> tuple[Status, str]:
        """CBC said 'unbounded': tell unbounded from infeasible by solving again with a zero objective."""
        left = seconds_left(deadline)
        if left is not None and left <= MIN_RUN_SECONDS:
            return Status.ERROR, "CBC: unbounded LP relaxation (no time left to check feasibility)"
        res = self._solve(
            replace(problem, c=np.zeros(problem.n_cols), start=None), options, deadline, time.perf_counter()
        )
        if res.status in (Status.OPTIMAL, Status.FEASIBLE):
            return Status.UNBOUNDED, "unbounded (CBC: unbounded; the model has a feasible point)"
        if res.status == Status.INFEASIBLE:
            return Status.INFEASIBLE, "infeasible (CBC reported the LP relaxation unbounded)"
        return Status.ERROR, "CBC: unbounded LP relaxation; the feasibility check was inconclusive"
