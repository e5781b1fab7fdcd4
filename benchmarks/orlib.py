"""Turn public OR-Library instances into ordinary linkage-opt scenarios.

The engine is checked against problems authored elsewhere, through the ordinary ``plan`` command:

* generalized assignment (GAP): agent i -> social worker ``agent<i>`` with ``hours`` = capacity;
  job j -> unit ``job<j>`` with one guaranteed, indivisible need of quantity 1; ``reach`` rows carry
  ``cost_per_unit`` = c_ij and ``load_per_unit`` = r_ij. Max-profit files (gap1-gap12) become the
  equivalent minimisation with cost' = P - p_ij (P the largest profit): every job is assigned exactly
  once, so profit = n P - cost'. ``meta.json`` records that, and ``report`` prints the original value.
* capacitated facility location (CFLP): facility i -> organization ``fac<i>`` with ``capacity`` and
  ``fixed_cost``; customer j -> unit ``cust<j>`` with a guaranteed divisible need = demand_j; ``reach``
  rows carry the per-unit allocation cost c_ij / demand_j (the files give the cost of serving all of j).

Usage:
    python benchmarks/orlib.py gap FILE INDEX OUTDIR [--sense max|min]
    python benchmarks/orlib.py cflp FILE OUTDIR [--capacity VALUE]
    python benchmarks/orlib.py report PLAN_DIR SCENARIO_DIR       # the original objective of a plan
then
    linkage-opt plan OUTDIR/config.yaml --out PLAN_DIR

File formats: ``../shared/benchmarks/README.md`` (OR-Library, J.E. Beasley).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

import numpy as np

RULES_OFF = """rules:
  supervision: {enabled: false}
  party_share: {enabled: false}
  party_capacity: {enabled: false}
  budget: {enabled: false}
  expiry: {enabled: false}
costs: {travel_per_km: 0, travel_overhead_per_km: 0}
objective:
  mode: lexicographic
  order: [cost]        # coverage is fixed by the guarantees; only cost is left to optimise
  tolerance: 0
solver:
  backend: highs
  time_limit: 300
  mip_gap: 0
  seed: 0
"""


def _tokens(path: Path) -> list[str]:
    return path.read_text().split()


def read_gap(path: Path, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Problem ``index`` (1-based) of an OR-Library GAP file: cost/profit (m x n), resource (m x n), capacity (m).

    A Yagiura file holds one problem without the leading count; ``index`` must then be 1.
    """
    tok = _tokens(path)
    nums = [int(float(t)) for t in tok]
    pos = 0
    first_m, first_n = nums[0], nums[1]
    # OR-Library files start with P (number of problems); Yagiura's start with m n directly.
    single = len(nums) == 2 + 2 * first_m * first_n + first_m
    count = 1 if single else nums[0]
    pos = 0 if single else 1
    if not 1 <= index <= count:
        raise SystemExit(f"{path} holds {count} problem(s); INDEX must be 1..{count}")
    for k in range(1, count + 1):
        m, n = nums[pos], nums[pos + 1]
        pos += 2
        c = np.array(nums[pos : pos + m * n], dtype=float).reshape(m, n)
        pos += m * n
        r = np.array(nums[pos : pos + m * n], dtype=float).reshape(m, n)
        pos += m * n
        b = np.array(nums[pos : pos + m], dtype=float)
        pos += m
        if k == index:
            return c, r, b
    raise AssertionError("unreachable")


def gap_sense(path: Path) -> str:
    """gap1-gap12 are stated as maximisation of profit; types A-E as minimisation of cost."""
    return "max" if re.fullmatch(r"gap\d+\.txt", path.name) else "min"


def read_cflp(path: Path, capacity: float | None = None):
    """(capacity m, fixed cost m, demand n, cost m x n of serving all of customer j from facility i)."""
    tok = _tokens(path)
    m, n = int(tok[0]), int(tok[1])
    pos = 2
    caps, fixed = [], []
    for _ in range(m):
        cap_tok = tok[pos]
        if cap_tok.lower() == "capacity":
            if capacity is None:
                raise SystemExit(
                    f"{path.name} writes 'capacity' as a placeholder: pass --capacity VALUE "
                    "(see cflp_optima.csv for the values with known optima)"
                )
            caps.append(float(capacity))
        else:
            caps.append(float(cap_tok))
        fixed.append(float(tok[pos + 1]))
        pos += 2
    demand = np.zeros(n)
    cost = np.zeros((m, n))
    for j in range(n):
        demand[j] = float(tok[pos])
        pos += 1
        cost[:, j] = [float(t) for t in tok[pos : pos + m]]
        pos += m
    return np.array(caps), np.array(fixed), demand, cost


def _write_csv(path: Path, header: list[str], rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _num(v: float) -> str:
    return repr(float(v)) if not float(v).is_integer() else str(int(v))


def _common_tables(out: Path, unit_ids: list[str]) -> None:
    _write_csv(
        out / "units.csv",
        ["unit_id", "name", "town", "kind", "population"],
        [[u, u, "T", "community", 0] for u in unit_ids],
    )
    _write_csv(out / "volunteers.csv", ["volunteer_id", "home_unit", "hours", "skills", "party_member"], [])


def write_gap(path: Path, index: int, out: Path, sense: str | None = None) -> dict:
    c, r, b = read_gap(path, index)
    sense = sense or gap_sense(path)
    m, n = c.shape
    if sense == "max":
        top = float(c.max())
        cost = top - c
        meta = {"sense": "max", "offset": n * top, "scale": -1.0}
    else:
        cost = c
        meta = {"sense": "min", "offset": 0.0, "scale": 1.0}
    out.mkdir(parents=True, exist_ok=True)
    jobs = [f"job{j + 1}" for j in range(n)]
    agents = [f"agent{i + 1}" for i in range(m)]
    _common_tables(out, jobs)
    _write_csv(
        out / "needs.csv",
        ["need_id", "unit_id", "category", "quantity", "tier", "indivisible"],
        [[f"j{j + 1}", jobs[j], "assign", 1, "guaranteed", "true"] for j in range(n)],
    )
    _write_csv(
        out / "social_workers.csv",
        ["worker_id", "base_unit", "hours", "skills"],
        [[agents[i], jobs[0], _num(b[i]), "assign"] for i in range(m)],
    )
    _write_csv(out / "organizations.csv", ["org_id", "name", "base_unit"], [])
    _write_csv(
        out / "reach.csv",
        ["provider_id", "unit_id", "cost_per_unit", "load_per_unit"],
        [[agents[i], jobs[j], _num(cost[i, j]), _num(r[i, j])] for i in range(m) for j in range(n)],
    )
    name = f"OR-Library GAP {path.name} #{index} ({m} agents, {n} jobs, {sense})"
    (out / "config.yaml").write_text(
        f"# {name}: generated by benchmarks/orlib.py from OR-Library (J.E. Beasley).\n"
        f'name: "{name}"\nperiod: "2000-01"\ndata: .\n'
        "categories:\n  assign: {unit: jobs, weight: 1}\n" + RULES_OFF,
        encoding="utf-8",
    )
    meta.update(problem="gap", file=path.name, index=index, agents=m, jobs=n)
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def write_cflp(path: Path, out: Path, capacity: float | None = None) -> dict:
    caps, fixed, demand, cost = read_cflp(path, capacity)
    m, n = cost.shape
    out.mkdir(parents=True, exist_ok=True)
    custs = [f"cust{j + 1}" for j in range(n)]
    facs = [f"fac{i + 1}" for i in range(m)]
    _common_tables(out, custs)
    _write_csv(
        out / "needs.csv",
        ["need_id", "unit_id", "category", "quantity", "tier"],
        [[f"d{j + 1}", custs[j], "supply", _num(demand[j]), "guaranteed"] for j in range(n)],
    )
    _write_csv(out / "social_workers.csv", ["worker_id", "base_unit", "hours", "skills"], [])
    _write_csv(
        out / "organizations.csv",
        ["org_id", "name", "base_unit", "capacity", "fixed_cost", "skills"],
        [[facs[i], facs[i], custs[0], _num(caps[i]), _num(fixed[i]), "supply"] for i in range(m)],
    )
    per_unit = np.divide(cost, demand[None, :], out=np.zeros_like(cost), where=demand[None, :] > 0)
    _write_csv(
        out / "reach.csv",
        ["provider_id", "unit_id", "cost_per_unit", "load_per_unit"],
        [[facs[i], custs[j], repr(float(per_unit[i, j])), 1] for i in range(m) for j in range(n)],
    )
    name = f"OR-Library CFLP {path.name}" + (f" capacity {capacity:g}" if capacity else "") + f" ({m} x {n})"
    (out / "config.yaml").write_text(
        f"# {name}: generated by benchmarks/orlib.py from OR-Library (J.E. Beasley).\n"
        f'name: "{name}"\nperiod: "2000-01"\ndata: .\n'
        "categories:\n  supply: {unit: units, weight: 1}\n" + RULES_OFF,
        encoding="utf-8",
    )
    meta = {
        "problem": "cflp",
        "file": path.name,
        "capacity": capacity,
        "facilities": m,
        "customers": n,
        "sense": "min",
        "offset": 0.0,
        "scale": 1.0,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def original_objective(plan_dir: Path, scenario_dir: Path) -> float:
    """The instance's own objective value of a plan (profit for max-GAP, cost otherwise)."""
    summary = json.loads((Path(plan_dir) / "summary.json").read_text(encoding="utf-8"))
    meta = json.loads((Path(scenario_dir) / "meta.json").read_text())
    return meta["offset"] + meta["scale"] * summary["objective"]["money"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gap", help="convert one GAP problem")
    g.add_argument("file", type=Path)
    g.add_argument("index", type=int)
    g.add_argument("outdir", type=Path)
    g.add_argument("--sense", choices=["max", "min"], default=None, help="default: max for gap1-12, min otherwise")
    c = sub.add_parser("cflp", help="convert one CFLP instance")
    c.add_argument("file", type=Path)
    c.add_argument("outdir", type=Path)
    c.add_argument("--capacity", type=float, default=None, help="value for the 'capacity' placeholder (capa-capc)")
    r = sub.add_parser("report", help="print the original objective of a plan")
    r.add_argument("plan_dir", type=Path)
    r.add_argument("scenario_dir", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "gap":
        meta = write_gap(args.file, args.index, args.outdir, args.sense)
    elif args.cmd == "cflp":
        meta = write_cflp(args.file, args.outdir, args.capacity)
    else:
        print(f"{original_objective(args.plan_dir, args.scenario_dir):.6f}")
        return 0
    print(f"wrote {args.outdir / 'config.yaml'} ({meta['problem']}, {meta['sense']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
