"""MPS export of a MipProblem, and timing HiGHS alone on an MPS file in a fresh process.

The benchmark harness uses these to show the figure that matters: the pipeline's wall time against the
bare solver's on the very same model.

Objective sense: HiGHS writes an ``OBJSENSE MAX`` section for a maximisation, which HiGHS, SCIP, Gurobi
and CPLEX read, but some readers ignore it (e.g. older CBC/GLPK builds, which then minimise). For those,
``write_mps(..., max_as_min=True)`` writes the equivalent minimisation of ``-c @ x - offset``; its
optimal objective is then the negated maximum. The objective offset is written the MPS way, as the
negated right-hand side of the objective row.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from .base import MipProblem, SolverOptions
from .highs import new_highs, pass_problem

_MPS_NAME = re.compile(r"^\S+$")


def _valid_names(names: tuple[str, ...] | None, n: int) -> bool:
    return names is not None and len(names) == n and len(set(names)) == n and all(map(_MPS_NAME.match, names))


def write_mps(problem: MipProblem, path: str | Path, max_as_min: bool = False) -> Path:
    """Write ``problem`` as MPS through HiGHS (fixed format when all names fit 8 characters, else free).

    Column and row names are used when they are valid MPS names (unique, no whitespace), otherwise HiGHS
    writes ``c0, c1, ...`` and ``r0, r1, ...``. See the module docstring for the objective sense.
    """
    import highspy

    if max_as_min and problem.sense == "max":
        problem = replace(problem, c=-problem.c, offset=-problem.offset, sense="min")
    path = Path(path)
    h = new_highs()
    if pass_problem(h, problem) == highspy.HighsStatus.kError:
        raise ValueError("HiGHS rejected the model")
    if _valid_names(problem.col_names, problem.n_cols):
        for j, name in enumerate(problem.col_names):
            h.passColName(j, name)
    if _valid_names(problem.row_names, problem.n_rows):
        for i, name in enumerate(problem.row_names):
            h.passRowName(i, name)
    if h.writeModel(str(path)) == highspy.HighsStatus.kError:
        raise OSError(f"HiGHS could not write {path}")
    return path


_BARE = r"""
import json, sys, time
t0 = time.perf_counter()
import highspy
opts = json.loads(sys.argv[2])
h = highspy.Highs()
h.setOptionValue("output_flag", False)
for k, v in opts.items():
    h.setOptionValue(k, v)
t1 = time.perf_counter()
read = h.readModel(sys.argv[1])
t2 = time.perf_counter()
h.run()
t3 = time.perf_counter()
info = h.getInfo()
has_x = info.primal_solution_status == highspy.kSolutionStatusFeasible
is_mip = any(v != highspy.HighsVarType.kContinuous for v in h.getLp().integrality_)
obj = info.objective_function_value if has_x else None
bound = info.mip_dual_bound if is_mip else (obj if h.getModelStatus() == highspy.HighsModelStatus.kOptimal else None)
print(json.dumps({"status": h.modelStatusToString(h.getModelStatus()), "read_ok": read != highspy.HighsStatus.kError,
                  "objective": obj, "bound": bound, "version": h.version(),
                  "read_s": t2 - t1, "solve_s": t3 - t2, "process_s": t3 - t0}))
"""


def read_mps_solve_bare(path: str | Path, options: SolverOptions, highs_options: dict | None = None) -> dict:
    """Solve the MPS file with HiGHS alone, in a fresh Python process, with the same options.

    Returns ``status`` (HiGHS's model status string), ``objective`` (None without a solution) and
    ``bound`` in the file's sense, ``version``, and the seconds spent: ``read_s`` (parsing the file),
    ``solve_s`` (``run()``), ``process_s`` (inside the child, from before ``import highspy``) and
    ``wall_s`` (the whole child process as seen from here). ``highs_options`` are set as given (e.g. the
    ``user_objective_scale`` the backend chose for this model, ``highs.objective_scale_exponent``).
    """
    opts = {"mip_rel_gap": float(options.mip_gap), "random_seed": int(options.seed), **(highs_options or {})}
    if options.time_limit is not None:
        opts["time_limit"] = float(options.time_limit)
    if options.threads is not None:
        opts["threads"] = int(options.threads)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _BARE, str(path), json.dumps(opts)], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"bare HiGHS run on {path} failed (exit {out.returncode}): {out.stderr.strip()[-2000:]}")
    res = json.loads(lines[-1])
    if not res.pop("read_ok"):
        raise RuntimeError(f"HiGHS could not read {path}")
    res["wall_s"] = wall
    return res
