"""Plan tables built by hand and recorded in a ledger, shared by the runs and analysis tests."""

from __future__ import annotations

import pandas as pd

from linkage_opt.runs.ledger import Ledger
from linkage_opt.solving.plan import write_csv, write_json


def write_plan_folder(folder, tables, extras=None):
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        write_csv(frame, folder / f"{name}.csv")
    for name, frame in (extras or {}).items():
        write_csv(frame, folder / name)
    write_json(
        {"status": "optimal", "period": "2026-12", "metrics": {"weighted_coverage": 0.9}}, folder / "summary.json"
    )
    return {p.name: p for p in sorted(folder.iterdir())}


def record(lg: Ledger, run_id: str, folder, tables, *, period="2026-12", revision=1, publish=True, extras=None):
    files = write_plan_folder(folder, tables, extras)
    lg.insert_run(run_id=run_id, period=period, revision=revision, input_fingerprint="f" * 64)
    lg.finish_run(
        run_id,
        status="optimal",
        exit_code=0,
        summary_json=(folder / "summary.json").read_text("utf-8"),
        tables=tables,
        files=files,
        publish=publish,
    )
    return files


def plan_tables(alloc_rows, cov_rows, prov_rows):
    alloc = pd.DataFrame(
        alloc_rows,
        columns=[
            "provider_kind",
            "provider_id",
            "unit_id",
            "category",
            "need_id",
            "program_id",
            "quantity",
            "load",
            "cost",
        ],
    )
    cov = pd.DataFrame(
        cov_rows,
        columns=[
            "need_id",
            "unit_id",
            "unit_name",
            "category",
            "tier",
            "need",
            "covered",
            "unmet",
            "coverage_ratio",
            "weight",
            "priority",
        ],
    )
    prov = pd.DataFrame(
        prov_rows, columns=["provider_kind", "provider_id", "capacity", "used", "utilization", "fixed_cost"]
    )
    progs = pd.DataFrame(
        columns=["program_id", "org_id", "unit_id", "category", "instances", "output", "delivered", "fixed_cost"]
    )
    return {"allocations": alloc, "coverage": cov, "providers": prov, "programs": progs}


def constructed_plans():
    a = plan_tables(
        [
            ("volunteer", "V1", "U1", "elderly_care", "n1", "", 10.0, 10.0, 0.0),
            ("social_worker", "W1", "U2", "mental_health", "n3", "", 4.0, 4.0, 140.0),
        ],
        [
            ("n1", "U1", "东门社区", "elderly_care", "basic", 20.0, 10.0, 10.0, 0.5, 1.0, 1.0),
            ("n2", "U1", "东门社区", "elderly_care", "basic", 5.0, 0.0, 5.0, 0.0, 1.0, 1.0),
            ("n3", "U2", "西岭村", "mental_health", "basic", 4.0, 4.0, 0.0, 1.0, 1.0, 1.0),
        ],
        [("volunteer", "V1", 10.0, 10.0, 1.0, 0.0), ("social_worker", "W1", 80.0, 4.0, 0.05, 0.0)],
    )
    b = plan_tables(
        [
            ("volunteer", "V1", "U2", "mental_health", "n3", "", 0.0, 0.0, 0.0),  # zero row: no pairing
            ("volunteer", "V2", "U1", "elderly_care", "n1", "", 15.0, 15.0, 0.0),
            ("social_worker", "W1", "U2", "mental_health", "n3", "", 4.0, 4.0, 140.0),
        ],
        [
            ("n1", "U1", "东门社区", "elderly_care", "basic", 20.0, 15.0, 5.0, 0.75, 1.0, 1.0),
            ("n2", "U1", "东门社区", "elderly_care", "basic", 5.0, 0.0, 5.0, 0.0, 1.0, 1.0),
            ("n3", "U2", "西岭村", "mental_health", "basic", 4.0, 4.0, 0.0, 1.0, 1.0, 1.0),
        ],
        [
            ("volunteer", "V1", 10.0, 0.0, 0.0, 0.0),
            ("volunteer", "V2", 20.0, 15.0, 0.75, 0.0),
            ("social_worker", "W1", 80.0, 4.0, 0.05, 0.0),
        ],
    )
    return a, b
