"""MPS export of a MipProblem, and timing HiGHS alone on an MPS file in a fresh process.

The benchmark harness uses these to show the figure that matters: the pipeline's wall time against
the bare solver's on the very same model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .base import MipProblem, SolverOptions
from .highs import HighsBackend, new_highs


def write_mps(problem: MipProblem, path: str | Path) -> Path:
    """Write the problem as (free) MPS via HiGHS; the objective sense is kept (OBJSENSE section)."""
    import highspy

    path = Path(path)
    h = new_highs()
    if h.passModel(HighsBackend()._model(problem)) == highspy.HighsStatus.kError:
        raise ValueError("HiGHS rejected the model")
    h.writeModel(str(path))
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
h.readModel(sys.argv[1])
t2 = time.perf_counter()
h.run()
t3 = time.perf_counter()
info = h.getInfo()
print(json.dumps({"status": h.modelStatusToString(h.getModelStatus()), "objective": info.objective_function_value,
                  "bound": info.mip_dual_bound, "read_s": t2 - t1, "solve_s": t3 - t2, "process_s": t3 - t0}))
"""


def read_mps_solve_bare(path: str | Path, options: SolverOptions) -> dict:
    """HiGHS reading the MPS file and solving it in a fresh Python process, with the same options."""
    opts = {"mip_rel_gap": float(options.mip_gap), "random_seed": int(options.seed)}
    if options.time_limit is not None:
        opts["time_limit"] = float(options.time_limit)
    if options.threads is not None:
        opts["threads"] = int(options.threads)
    import time

    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _BARE, str(path), json.dumps(opts)], capture_output=True, text=True,
                         check=True)
    wall = time.perf_counter() - t0
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1]
    res = json.loads(line)
    res["wall_s"] = wall
    return res
