#!/usr/bin/env python3
"""Benchmark the whole pipeline on generated scenarios, against the bare solver on the same model.

    python benchmarks/run.py --preset real_district --backend highs [--seed S] [--gap 0.005] [--time-limit T]
                             [--threads N] [--repeat N] [--no-bare] [--bare-all-stages] [--bare-time-limit T]
                             [--no-explain]
                             [--keep DIR] [--jsonl FILE]
    python benchmarks/run.py --sweep [--sizes 25,50,100,200] [--realistic] [--seed S] [--repeat 3] [--solve]
                             [--csv docs/perf_build_vs_edges.csv] [--png docs/perf_build_vs_edges.png]

``--preset`` is any preset of ``linkage_opt.inputs.generate.PRESETS``: the realistic ``real_town``,
``real_district`` (the default) and ``real_city``, or the classic ``town``, ``district`` and ``city``
whose figures earlier versions of ``docs/performance.md`` report.

A run generates the preset scenario (``linkage_opt.inputs.generate``, in a child process so that its memory
does not count) into a temporary folder (or ``--keep DIR``), then does in this process what
``linkage-opt plan`` does, timing each stage: load (+ validation), build, solve (the lexicographic
stages), post (plan tables and metrics), explain (reasons and marginal values; ``--no-explain`` skips
it), write. It then rebuilds the final stage's model exactly as the pipeline solved it
(``linkage_opt.solving.solve.stage_problem``: the model plus the rows fixing earlier stages' optima), writes it
as MPS and times HiGHS alone on that file in a fresh process with the same options
(``linkage_opt.solvers.mps.read_mps_solve_bare``). With ``--bare-all-stages`` every stage's model is
exported and timed. One JSON line per run goes to stdout (and is appended to ``--jsonl``). What is
compared is spelled out in ``benchmarks/README.md``.

``--sweep`` generates scenarios of several sizes (providers in proportion to units, the district
preset's ratios, or with ``--realistic`` realistic rolls in the real_district preset's ratios), builds each model ``--repeat`` times and writes a CSV and a plot of model-build time
against the number of reach edges (``n_edges``, the figure ``plan.summary["model"]["n_edges"]``
reports), with a least-squares line.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from linkage_opt.inputs.generate import PRESETS, REALISTIC_PRESETS  # noqa: E402
from linkage_opt.inputs.generate_classic import PER_UNIT  # noqa: E402
from linkage_opt.inputs.generate_real import REAL_PER_UNIT  # noqa: E402


def _rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:  # pragma: no cover
        return float("nan")


def _peak_rss_mb() -> float:
    """Peak resident set of this process so far (ru_maxrss: KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def generate_into(
    folder: Path, seed: int, preset: str | None = None, sizes: dict | None = None, realistic: bool = False
) -> tuple[Path, float]:
    """Generate a scenario in a child process; return the config path and the seconds it took."""
    cmd = [sys.executable, "-m", "linkage_opt.inputs.generate", str(folder), "--seed", str(seed)]
    if preset:
        cmd += ["--preset", preset]
    if realistic and preset not in REALISTIC_PRESETS:
        cmd += ["--realistic"]
    for k, v in (sizes or {}).items():
        cmd += [f"--{k}", str(int(v))]
    t0 = time.perf_counter()
    out = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")},
    )
    if out.returncode != 0:
        raise SystemExit(f"generation failed: {out.stderr.strip()}")
    return folder / "config.yaml", time.perf_counter() - t0


# --------------------------------------------------------------------------------------------------
# One pipeline run
# --------------------------------------------------------------------------------------------------


def stage_problems(plan, final_only: bool) -> list[tuple[str, object]]:
    """The MipProblem of each stage the pipeline solved, as it solved it (without the warm start)."""
    from linkage_opt.solving.solve import stage_problem

    form = plan.formulation
    cfg = form.scenario.config.objective
    stages = plan.summary["stages"]
    A = form.model.matrix()
    out = []
    if cfg.mode == "weighted":
        c = np.zeros(form.model.n_cols)
        offset = 0.0
        for name, lam in cfg.weights.items():
            if name in form.terms:
                term = form.terms[name]
                sign = 1.0 if term.sense == "max" else -1.0
                c += sign * lam * term.c
                offset += sign * lam * term.offset
        return [("weighted", form.model.problem(c, "max", offset, A=A))]
    fixed = []
    for i, st in enumerate(stages):
        term = form.terms[st["stage"]]
        if not final_only or i == len(stages) - 1:
            out.append(
                (st["stage"], stage_problem(form, term.c, term.sense, term.offset, list(fixed), cfg.tolerance, A=A))
            )
        if st["objective"] is None:
            break
        slack = st.get("slack")  # the slack the pipeline used (linkage_opt.solving.solve.stage_slack)
        fixed.append((term, float(st["objective"])) if slack is None else (term, float(st["objective"]), float(slack)))
    return out


def run_once(config: Path, args, run_index: int, plan_dir: Path, mps_dir: Path) -> dict:
    from linkage_opt.inputs.load import load_scenario
    from linkage_opt.solvers import SolverOptions
    from linkage_opt.solving.api import solve

    rec: dict = {"run": run_index}
    t_start = time.perf_counter()
    t0 = time.perf_counter()
    scenario = load_scenario(config)
    load_s = time.perf_counter() - t0
    rss = {"after_load": _rss_mb()}

    t1 = time.perf_counter()
    plan = solve(
        scenario,
        backend=args.backend,
        time_limit=args.time_limit,
        mip_gap=args.gap,
        threads=args.threads,
        load_seconds=load_s,
    )
    solve_call_s = time.perf_counter() - t1
    rss["after_solve"] = _rss_mb()
    tm = plan.summary["timings"]

    explain_s = None
    if args.explain:
        from linkage_opt.analysis.explain import attach_explanations

        t2 = time.perf_counter()
        attach_explanations(plan)
        explain_s = time.perf_counter() - t2
        rss["after_explain"] = _rss_mb()

    t3 = time.perf_counter()
    plan.write(plan_dir)
    write_s = time.perf_counter() - t3
    pipeline_s = time.perf_counter() - t_start
    peak = _peak_rss_mb()

    s = plan.summary.to_dict()  # plain JSON values (the typed Summary of linkage_opt.solving.summary)
    stage_solve = sum(st["solve_s"] for st in s["stages"])
    rec.update(
        {
            "load_s": round(load_s, 3),
            "build_s": tm["build_s"],
            "solve_s": tm["solve_s"],
            "post_s": round(solve_call_s - tm["build_s"] - tm["solve_s"], 3),
            "explain_s": None if explain_s is None else round(explain_s, 3),
            "write_s": round(write_s, 3),
            "pipeline_s": round(pipeline_s, 3),
            "pipeline_core_s": round(pipeline_s - (explain_s or 0.0), 3),
            "solver_calls_s": round(stage_solve, 3),
            "outside_solver_s": round(pipeline_s - stage_solve, 3),
            "peak_rss_mb": round(peak, 1),
            "rss_mb": {k: round(v, 1) for k, v in rss.items()},
            "model": {
                "variables": s["model"]["variables"],
                "rows": s["model"]["constraints"],
                "nonzeros": s["model"]["nonzeros"],
                "integers": s["model"]["integer_variables"],
                "n_edges": s["model"].get("n_edges"),
                "n_flows": s["model"].get("n_flows"),
                "n_placements": s["model"].get("n_placements"),
            },
            "status": s["status"],
            "objective": {k: v for k, v in s["objective"].items()},
            "objective_stage": s["objective_stage"],
            "best_bound": s["best_bound"],
            "gap": s["gap"],
            "stages": s["stages"],
            "solver_version": s["solver"]["version"],
            "weighted_coverage": s["metrics"]["weighted_coverage"],
            "min_unit_ratio": s["metrics"]["min_unit_ratio"],
            "guaranteed_met": f"{s['metrics']['guaranteed_met']}/{s['metrics']['guaranteed_needs']}",
        }
    )

    if args.bare:
        opts = SolverOptions(time_limit=args.time_limit, mip_gap=args.gap, threads=args.threads, seed=0)
        if args.bare_time_limit is not None:
            opts = dataclasses.replace(opts, time_limit=args.bare_time_limit)
        elif args.time_limit is None:
            opts = dataclasses.replace(opts, time_limit=scenario.config.solver.time_limit)
        if args.gap is None:
            opts = dataclasses.replace(opts, mip_gap=scenario.config.solver.mip_gap)
        from linkage_opt.solvers.highs import objective_scale_exponent
        from linkage_opt.solvers.mps import read_mps_solve_bare, write_mps

        bare = []
        for i, (name, problem) in enumerate(stage_problems(plan, final_only=not args.bare_all_stages)):
            path = mps_dir / f"stage{i + 1}_{name}.mps"
            tw = time.perf_counter()
            write_mps(problem, path)
            mps_write_s = time.perf_counter() - tw
            # the same HiGHS options the backend sets from the model (objective scaling), so like for like
            scale = objective_scale_exponent(problem.c)
            res = read_mps_solve_bare(path, opts, {"user_objective_scale": scale} if scale else None)
            st = next((x for x in s["stages"] if x["stage"] == name), {})
            bare.append(
                {
                    "stage": name,
                    "mps_mb": round(path.stat().st_size / 2**20, 2),
                    "mps_write_s": round(mps_write_s, 3),
                    "user_objective_scale": scale,
                    "status": res["status"],
                    "objective": res["objective"],
                    "bound": res["bound"],
                    "read_s": round(res["read_s"], 3),
                    "solve_s": round(res["solve_s"], 3),
                    "process_s": round(res["process_s"], 3),
                    "wall_s": round(res["wall_s"], 3),
                    "pipeline_stage_solve_s": st.get("solve_s"),
                    "pipeline_stage_objective": st.get("objective"),
                    "pipeline_stage_status": st.get("status"),
                }
            )
            if not args.keep_mps:
                path.unlink()
        final = bare[-1]
        rec["bare"] = bare
        rec["bare_options"] = dataclasses.asdict(opts)
        rec["bare_final_stage_s"] = round(final["read_s"] + final["solve_s"], 3)
        rec["bare_final_stage_solve_s"] = final["solve_s"]
        rec["overhead"] = round(pipeline_s / rec["bare_final_stage_s"], 3) if rec["bare_final_stage_s"] > 0 else None
        rec["overhead_core"] = (
            round((pipeline_s - (explain_s or 0.0)) / rec["bare_final_stage_s"], 3)
            if rec["bare_final_stage_s"] > 0
            else None
        )
        if args.bare_all_stages:
            total = sum(b["read_s"] + b["solve_s"] for b in bare)
            rec["bare_all_stages_s"] = round(total, 3)
            rec["overhead_all_stages"] = round(pipeline_s / total, 3) if total > 0 else None
            rec["overhead_all_stages_core"] = round((pipeline_s - (explain_s or 0.0)) / total, 3) if total > 0 else None
    return rec


def bench(args) -> int:
    sizes = PRESETS[args.preset]
    tmp = None
    if args.keep:
        folder = Path(args.keep)
        if folder.exists() and any(folder.iterdir()) and (folder / "config.yaml").exists() and args.reuse:
            config, gen_s = folder / "config.yaml", None
        else:
            folder.mkdir(parents=True, exist_ok=True)
            config, gen_s = generate_into(folder, args.seed, preset=args.preset)
    else:
        tmp = Path(tempfile.mkdtemp(prefix=f"bench-{args.preset}-"))
        folder = tmp / "scenario"
        config, gen_s = generate_into(folder, args.seed, preset=args.preset)
    work = Path(tempfile.mkdtemp(prefix="bench-work-"))
    try:
        for i in range(args.repeat):
            rec = {
                "preset": args.preset,
                "realistic": args.preset in REALISTIC_PRESETS,
                "seed": args.seed,
                "backend": args.backend,
                "mip_gap": args.gap,
                "time_limit": args.time_limit,
                "threads": args.threads,
                "sizes": sizes,
                "generate_s": None if gen_s is None else round(gen_s, 3),
                "cpu_count": os.cpu_count(),
            }
            rec.update(run_once(config, args, i + 1, work / f"plan{i + 1}", work))
            line = json.dumps(rec, ensure_ascii=False, default=float)
            print(line, flush=True)
            if args.jsonl:
                with open(args.jsonl, "a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
            if args.keep_mps:
                print(f"MPS files kept in {work}", file=sys.stderr)
    finally:
        if not args.keep_mps:
            shutil.rmtree(work, ignore_errors=True)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


# --------------------------------------------------------------------------------------------------
# Sweep: build time against reach edges
# --------------------------------------------------------------------------------------------------


def sweep(args) -> int:
    from linkage_opt.inputs.load import load_scenario
    from linkage_opt.model.formulation import build

    units_list = [int(s) for s in args.sizes.split(",")]
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        for n in units_list:
            per_unit = REAL_PER_UNIT if args.realistic else PER_UNIT
            sizes = {"units": n, **{k: int(round(r * n)) for k, r in per_unit.items()}}
            config, gen_s = generate_into(tmp / f"u{n}", args.seed, sizes=sizes, realistic=args.realistic)
            t0 = time.perf_counter()
            scenario = load_scenario(config)
            load_s = time.perf_counter() - t0
            times = []
            form = None
            for _ in range(args.repeat):
                tb = time.perf_counter()
                form = build(scenario)
                times.append(time.perf_counter() - tb)
            m = form.model
            row = {
                "realistic": args.realistic,
                "units": n,
                "volunteers": sizes["volunteers"],
                "workers": sizes["workers"],
                "orgs": sizes["orgs"],
                "lots": sizes["lots"],
                "n_edges": form.info["n_edges"],
                "n_flows": form.info["n_flows"],
                "n_placements": form.info["n_placements"],
                "variables": m.n_cols,
                "rows": m.n_rows,
                "nonzeros": int(m.matrix().nnz),
                "integers": int(m.integrality().sum()),
                "generate_s": round(gen_s, 3),
                "load_s": round(load_s, 3),
                "build_min_s": round(min(times), 4),
                "build_median_s": round(float(np.median(times)), 4),
            }
            del form
            if args.solve:
                from linkage_opt.solving.api import solve

                t1 = time.perf_counter()
                plan = solve(
                    scenario,
                    backend=args.backend,
                    time_limit=args.time_limit,
                    mip_gap=args.gap,
                    threads=args.threads,
                    load_seconds=load_s,
                )
                row.update(
                    {
                        "plan_n_edges": plan.summary["model"]["n_edges"],
                        "plan_build_s": plan.summary["timings"]["build_s"],
                        "solve_s": plan.summary["timings"]["solve_s"],
                        "status": plan.status,
                        "plan_wall_s": round(time.perf_counter() - t1, 3),
                    }
                )
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    import pandas as pd

    frame = pd.DataFrame(rows)
    Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.csv, index=False, lineterminator="\n")
    e = frame["n_edges"].to_numpy(float)
    t = frame["build_min_s"].to_numpy(float)
    slope, intercept = np.polyfit(e, t, 1)
    pred = slope * e + intercept
    r2 = 1.0 - float(((t - pred) ** 2).sum()) / float(((t - t.mean()) ** 2).sum()) if len(t) > 1 else 1.0
    loglog = float(np.polyfit(np.log(e), np.log(t), 1)[0]) if len(t) > 1 else float("nan")
    fit = {"slope_s_per_1000_edges": slope * 1000, "intercept_s": intercept, "r2": r2, "loglog_exponent": loglog}
    print(json.dumps({"fit": fit, "csv": str(args.csv), "png": str(args.png)}), flush=True)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    ax.plot(e, t, "o", color="#1f77b4", label=f"build time (min of {args.repeat})")
    xs = np.linspace(0, e.max() * 1.05, 50)
    ax.plot(
        xs,
        slope * xs + intercept,
        "-",
        color="#d62728",
        label=f"least squares: {slope * 1000:.3f} s per 1,000 edges + {intercept:.2f} s (R² = {r2:.3f})",
    )
    for n, ei, ti in zip(frame["units"], e, t):
        ax.annotate(f"{n} units", (ei, ti), textcoords="offset points", xytext=(5, -12), fontsize=8)
    ax.set_xlabel("reach edges (provider classes x units in reach)")
    ax.set_ylabel("model build time (s)")
    ax.set_title("linkage-opt: model build time vs reach edges")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    Path(args.png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.png)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--preset",
        choices=list(PRESETS),
        default="real_district",
        help="generator preset (default real_district; the classic ones: town, district, city)",
    )
    ap.add_argument("--backend", default="highs")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (the solver seed stays the config's, 0)")
    ap.add_argument("--gap", type=float, default=0.005, help="relative MIP gap (default 0.005)")
    ap.add_argument(
        "--time-limit", type=float, default=None, help="seconds for the whole solve (default: the config's)"
    )
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-bare", dest="bare", action="store_false", help="skip the bare-solver comparison")
    ap.add_argument("--bare-all-stages", action="store_true", help="time the bare solver on every stage's model")
    ap.add_argument(
        "--bare-time-limit",
        type=float,
        default=None,
        help="time limit of each bare solve (default: the run's --time-limit, i.e. the same options)",
    )
    ap.add_argument("--no-explain", dest="explain", action="store_false", help="skip explanations and marginal values")
    ap.add_argument("--keep", type=Path, help="generate into (and keep) this folder instead of a temporary one")
    ap.add_argument("--reuse", action="store_true", help="with --keep: reuse a scenario already there")
    ap.add_argument("--keep-mps", action="store_true", help="keep the MPS files (their folder is printed)")
    ap.add_argument("--jsonl", type=Path, help="also append each JSON line to this file")
    ap.add_argument("--sweep", action="store_true", help="build-time sweep over --sizes; writes --csv and --png")
    ap.add_argument("--sizes", default="25,50,100,200")
    ap.add_argument("--solve", action="store_true", help="with --sweep: also solve each size")
    ap.add_argument(
        "--realistic", action="store_true", help="with --sweep: realistic rolls (linkage_opt.inputs.generate_real)"
    )
    ap.add_argument("--csv", default=str(ROOT / "docs" / "perf_build_vs_edges.csv"))
    ap.add_argument("--png", default=str(ROOT / "docs" / "perf_build_vs_edges.png"))
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.sweep:
        if args.repeat == 1 and "--repeat" not in (argv or sys.argv[1:]):
            args.repeat = 3
        return sweep(args)
    return bench(args)


if __name__ == "__main__":
    raise SystemExit(main())
