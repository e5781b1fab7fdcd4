"""Sweep benchmark: 8 variants of the realistic district on a LocalCluster of 1 worker, then of 2 workers.

Prints the wall time of each sweep (cluster start included), the speed-up of 2 workers over 1 (target:
at least 1.7) and the peak memory of every worker process (its peak resident set, ``ru_maxrss``, as each
variant reports it). The scenario is generated with ``linkage-opt generate --preset real_district --seed 1``
unless ``--scenario`` names a config. Each variant gets ``--time-limit`` seconds (default 30: the realistic
district takes about 60 s a variant with the config's own limit), so that both runs do the same work.

    python benchmarks/sweep.py                       # generate into a temp folder, 30 s a variant
    python benchmarks/sweep.py --scenario scenarios/district/config.yaml --time-limit 60 --json bench.json

The variants: ``rules.budget.amount*=0.8,0.9,1.0,1.1`` x ``volunteers.hours*=0.8,1.0``. The two sweeps write
into separate folders, so the second reuses nothing from the first.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GRID = ["rules.budget.amount*=0.8,0.9,1.0,1.1", "volunteers.hours*=0.8,1.0"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, help="config of the scenario (default: generate real_district, seed 1)")
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds per variant (default 30)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="cluster sizes to compare (default 1 2)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    import linkage_opt as lo

    work = Path(tempfile.mkdtemp(prefix="linkage-sweep-bench-"))
    cfg = args.scenario
    if cfg is None:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "linkage_opt.cli.commands",
                "generate",
                "--preset",
                "real_district",
                "--seed",
                "1",
                str(work / "district"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        cfg = work / "district" / "config.yaml"
    scenario = lo.load_scenario(cfg)
    print(
        f"scenario {cfg}: {len(scenario.units)} units, {len(scenario.needs)} need rows; 8 variants "
        f"({' x '.join(GRID)}), {args.time_limit:g} s each, 1 solver thread per worker"
    )
    runs = []
    for n in args.workers:
        t0 = time.perf_counter()
        res = lo.sweep(scenario, GRID, out=work / f"sweep-{n}", workers=n, time_limit=args.time_limit)
        wall = time.perf_counter() - t0
        t = res.table
        runs.append(
            {
                "workers": n,
                "wall_s": round(wall, 1),
                "variants": len(t),
                "statuses": t["status"].value_counts().to_dict(),
                "solve_s_sum": round(float(t["seconds"].sum()), 1),
                "coverage": [None if v is None or v != v else round(float(v), 4) for v in t["weighted_coverage"]],
                "errors": sorted({str(e).splitlines()[0] for e in t["error"] if e}),
                "peak_mb_per_worker": {str(w["worker"]): w["peak_mb"] for w in res.workers.to_dict("records")},
            }
        )
        r = runs[-1]
        print(
            f"{n} worker(s): {r['wall_s']:.1f} s wall, {r['solve_s_sum']:.1f} s of variant solves, "
            f"statuses {r['statuses']}"
        )
        for w, mb in r["peak_mb_per_worker"].items():
            print(f"    {w}: peak {mb:,.0f} MB")
    if len(runs) >= 2:
        speedup = runs[0]["wall_s"] / runs[-1]["wall_s"]
        print(f"speed-up of {runs[-1]['workers']} workers over {runs[0]['workers']}: {speedup:.2f} (target >= 1.7)")
    else:
        speedup = None
    if args.json:
        args.json.write_text(json.dumps({"time_limit": args.time_limit, "runs": runs, "speedup": speedup}, indent=2))
    return 0


if __name__ == "__main__":  # the guard matters: the cluster's worker processes are spawned
    sys.exit(main())
