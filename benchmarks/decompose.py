#!/usr/bin/env python3
"""Benchmark decomposed plans (``plan --decompose``) on generated cities and provinces.

    python benchmarks/decompose.py --preset real_city --by town --time-limit 180 --workers 2 [--seed 1]
                                   [--keep DIR] [--jsonl FILE] [--monolithic-time-limit T] [--no-check]
    python benchmarks/decompose.py --preset province --by county --time-limit 3600 --workers 2

A run generates the preset (``linkage_opt.inputs.generate``, in a child process so that its memory is not
counted; or reuses ``--keep DIR`` when it holds the scenario), loads it, plans it with
``linkage_opt.solve(..., decompose=BY)`` on a Dask ``LocalCluster`` of ``--workers`` processes, and checks
the merged plan with ``linkage_opt.solving.check.check_plan``. It prints one JSON line (and appends it to
``--jsonl``): wall time of each step, the global bound and gap, the per-part solve times, peak memory per
worker (each worker process's ``ru_maxrss``), the critical path (the longest relaxation round and the
longest part solve, plus the serial steps) and the projected wall time for N workers (the measured task
times scheduled longest first onto N workers). With ``--monolithic-time-limit T`` the same scenario is
also planned as one model, for the "at most 1 % below the monolithic plan" comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="real_city")
    ap.add_argument("--by", default="town")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=180.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler", default=None)
    ap.add_argument("--keep", default=None)
    ap.add_argument("--jsonl", default=None)
    ap.add_argument("--monolithic-time-limit", type=float, default=None)
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--save-plan", default=None, help="pickle the plan's tables and summary to this file")
    args = ap.parse_args()

    import linkage_opt as lo
    from linkage_opt.solving.check import check_plan

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix=f"decompose-{args.preset}-"))
    cfg = folder / "config.yaml"
    gen_s = None
    if not cfg.exists():
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "linkage_opt.inputs.generate",
                "--preset",
                args.preset,
                "--seed",
                str(args.seed),
                str(folder),
            ],
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
        )
        gen_s = time.perf_counter() - t0
    load_avg_start = _load_average()
    t0 = time.perf_counter()
    scenario = lo.load_scenario(cfg)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan = lo.solve(
        scenario,
        time_limit=args.time_limit,
        decompose=args.by,
        workers=args.workers,
        scheduler=args.scheduler,
        load_seconds=load_s,
    )
    solve_s = time.perf_counter() - t0
    if args.save_plan:
        import pickle

        with open(args.save_plan, "wb") as fh:
            pickle.dump({"tables": plan.tables(), "summary": plan.summary}, fh)
    violations = None
    check_s = None
    if not args.no_check:
        t0 = time.perf_counter()
        violations = check_plan(scenario, plan.tables(), plan.summary)
        check_s = time.perf_counter() - t0
    d = plan.summary["decomposition"]
    part_times = sorted((r["solve_s"] for r in d["part_table"]), reverse=True)
    out = {
        "preset": args.preset,
        "by": args.by,
        "seed": args.seed,
        "time_limit": args.time_limit,
        "workers": d["workers"],
        "parts": d["parts"],
        "units": int(len(scenario.units)),
        "volunteers": int(len(scenario.volunteers)),
        "generate_s": None if gen_s is None else round(gen_s, 2),
        "load_s": round(load_s, 2),
        "solve_wall_s": round(solve_s, 2),
        "check_s": None if check_s is None else round(check_s, 2),
        "wall_s": round(load_s + solve_s + (check_s or 0.0), 2),
        "coverage": plan.summary["objective"]["coverage"],
        "bound": plan.summary["best_bound"],
        "gap": plan.summary["gap"],
        "status": plan.summary["status"],
        "money": plan.summary["objective"]["money"],
        "equity": plan.summary["objective"]["equity"],
        "violations": None if violations is None else len(violations),
        "first_violations": None if not violations else [str(v) for v in violations[:5]],
        "timings": d["timings"],
        "lagrangian": d["lagrangian"]["rounds"],
        "critical_path_s": d["critical_path_s"],
        "projected_wall_s": d["projected_wall_s"],
        "peak_mb_by_worker": d["peak_mb_by_worker"],
        "part_solve_s": {
            "max": part_times[0] if part_times else None,
            "median": part_times[len(part_times) // 2] if part_times else None,
            "sum": round(sum(part_times), 2),
            "top5": part_times[:5],
        },
        "repaired_parts": d["coordination"].get("repaired_parts"),
        "part_time_limit": d.get("part_time_limit"),
        "parts_late_s": sorted((r["late_s"] for r in d["part_table"] if r.get("late_s") is not None), reverse=True)[:5],
        "parts_dispatch_stopped": sum(bool(r.get("dispatch_stopped")) for r in d["part_table"]),
        "coordinator_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "load_average_start": load_avg_start,
        "load_average_end": _load_average(),
    }
    if args.monolithic_time_limit:
        t0 = time.perf_counter()
        try:
            mono = lo.solve(scenario, time_limit=args.monolithic_time_limit)
            out["monolithic"] = {
                "coverage": mono.summary["objective"]["coverage"],
                "status": mono.summary["status"],
                "bound": mono.summary["best_bound"],
                "wall_s": round(time.perf_counter() - t0, 2),
            }
        except lo.LinkageError as exc:
            out["monolithic"] = {
                "error": f"{type(exc).__name__}: {str(exc)[:200]}",
                "wall_s": round(time.perf_counter() - t0, 2),
            }
    line = json.dumps(out, ensure_ascii=False)
    print(line)
    if args.jsonl:
        with open(args.jsonl, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
