"""The run ledger: migrations, crash-safety settings, atomic finalisation, plan storage and exact restore."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from plans import record, write_plan_folder

from linkage_opt.runs import ledger as ledger_mod
from linkage_opt.runs.ledger import (
    MIGRATIONS,
    PLAN_TABLES,
    Ledger,
    LedgerError,
    Migration,
    restore_plan,
    sha256_file,
    verify_plan_dir,
)
from linkage_opt.solving.plan import (
    ALLOCATION_COLUMNS,
    COVERAGE_COLUMNS,
    PROGRAM_COLUMNS,
    PROVIDER_COLUMNS,
)


def tables_fixture() -> dict[str, pd.DataFrame]:
    """Plan tables with the awkward cases: Chinese text, blank ids, inf capacity, int instances, tiny floats."""
    alloc = pd.DataFrame(
        {
            "provider_kind": ["social_worker", "volunteer", "program", "budget"],
            "provider_id": ["W1", "V1", "P1", "district_budget"],
            "unit_id": ["U1", "U1", "U2", "U2"],
            "category": ["elderly_care", "elderly_care", "elderly_care", "elderly_care"],
            "need_id": ["n1", "n1", "n2", ""],
            "program_id": ["", "", "P1", "P1"],
            "quantity": [8.215248123456789, 20.0, 10.0, 0.0],
            "load": [8.215248123456789, 20.0, 0.0, 500.0],
            "cost": [287.53369, 0.0, 0.0, 500.0],
        }
    )[ALLOCATION_COLUMNS]
    cov = pd.DataFrame(
        {
            "need_id": ["n1", "n2"],
            "unit_id": ["U1", "U2"],
            "unit_name": ["东门社区", "西岭村"],
            "category": ["elderly_care", "elderly_care"],
            "tier": ["guaranteed", "basic"],
            "need": [40.0, 12.0],
            "covered": [28.215248123456789, 10.0],
            "unmet": [11.784751876543211, 2.0],
            "coverage_ratio": [0.7053812030864197, 10 / 12],
            "weight": [0.123, 1e-12],
            "priority": [3.0, 1.0],
        }
    )[COVERAGE_COLUMNS]
    prov = pd.DataFrame(
        {
            "provider_kind": ["social_worker", "volunteer", "organization"],
            "provider_id": ["W1", "V1", "O1"],
            "capacity": [80.0, 20.0, np.inf],
            "used": [8.215248123456789, 20.0, 1.0],
            "utilization": [0.10269060154320986, 1.0, 0.0],
            "fixed_cost": [0.0, 0.0, 2000.0],
        }
    )[PROVIDER_COLUMNS]
    progs = pd.DataFrame(
        {
            "program_id": ["P1"],
            "org_id": ["O1"],
            "unit_id": ["U2"],
            "category": ["elderly_care"],
            "instances": np.array([1], dtype=np.int64),
            "output": [10.0],
            "delivered": [10.0],
            "fixed_cost": [500.0],
        }
    )[PROGRAM_COLUMNS]
    return {"allocations": alloc, "coverage": cov, "providers": prov, "programs": progs}


def test_plan_table_contract_matches_the_plan_writer():
    # a new plan column must come with a ledger migration; this fails until it does
    assert [c for c, _ in PLAN_TABLES["allocations"][1]] == ALLOCATION_COLUMNS
    assert [c for c, _ in PLAN_TABLES["coverage"][1]] == COVERAGE_COLUMNS
    assert [c for c, _ in PLAN_TABLES["providers"][1]] == PROVIDER_COLUMNS
    assert [c for c, _ in PLAN_TABLES["programs"][1]] == PROGRAM_COLUMNS


def test_new_ledger_is_migrated_once_in_wal_mode_with_full_sync(tmp_path):
    path = tmp_path / "runs" / "ledger.sqlite"
    with Ledger(path) as lg:
        assert lg.schema_version() == len(MIGRATIONS)
        assert lg.journal_mode == "wal"
        assert lg.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert lg.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with Ledger(path) as lg:  # reopening applies nothing again
        rows = lg.conn.execute("SELECT version, description FROM schema_version").fetchall()
    assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]
    names = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "runs",
        "plan_allocations",
        "plan_coverage",
        "plan_providers",
        "plan_programs",
        "plan_files",
        "schema_version",
    } <= names


def test_a_failing_migration_leaves_the_ledger_as_it_was(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as lg:
        lg.insert_run(run_id="2026-11-r1", period="2026-11", revision=1)
    nxt = len(MIGRATIONS) + 1
    broken = [*MIGRATIONS, Migration(nxt, "broken", ("CREATE TABLE extra (x INTEGER)", "CREATE TABLE oops ("))]
    with pytest.raises(LedgerError, match="cannot be used"):
        Ledger(path, migrations=broken)
    # nothing of the new migration stayed: the corrected one creates the same table without a clash
    fixed = [*MIGRATIONS, Migration(nxt, "extra table", ("CREATE TABLE extra (x INTEGER)",))]
    with Ledger(path, migrations=fixed) as lg:
        assert lg.schema_version() == nxt
        assert lg.get_run("2026-11-r1")["status"] == "running"
    # and a linkage-opt that knows only the released migrations refuses the newer ledger instead of guessing
    with pytest.raises(LedgerError, match="newer than this linkage-opt"):
        Ledger(path)


def test_migrations_must_be_numbered_in_order(tmp_path):
    with pytest.raises(LedgerError, match="numbered"):
        Ledger(tmp_path / "l.sqlite", migrations=[Migration(2, "x", ("CREATE TABLE x (a INTEGER)",))])


def test_plan_rows_round_trip_and_restore_is_byte_identical(tmp_path):
    tables = tables_fixture()
    extra = {"explanations.csv": pd.DataFrame({"need_id": ["n1"], "reason": ["社工时长已用完, 100% 用于优先需求"]})}
    with Ledger(tmp_path / "runs" / "ledger.sqlite") as lg:
        files = record(lg, "2026-12-r1", tmp_path / "runs" / "2026-12" / "r1", tables, extras=extra)
        for name, frame in tables.items():
            back = lg.plan_table("2026-12-r1", name)
            pd.testing.assert_frame_equal(back, frame, check_dtype=True)
        stored = {r["name"]: r for r in lg.plan_files("2026-12-r1")}
        assert set(stored) == set(files)
        assert stored["allocations.csv"]["content"] is None  # rows, not a blob
        assert stored["explanations.csv"]["content"] is not None  # verbatim
        report = restore_plan(lg, "2026-12-r1", tmp_path / "restored")
        assert report.ok
        for name, path in files.items():
            assert (tmp_path / "restored" / name).read_bytes() == path.read_bytes(), name
        # an intact folder verifies; a hand-edited one is caught
        assert set(verify_plan_dir(lg, "2026-12-r1", tmp_path / "restored").values()) == {"ok"}
        with open(tmp_path / "restored" / "coverage.csv", "a", encoding="utf-8") as fh:
            fh.write("x\n")
        (tmp_path / "restored" / "providers.csv").unlink()
        status = verify_plan_dir(lg, "2026-12-r1", tmp_path / "restored")
        assert status["coverage.csv"] == "modified" and status["providers.csv"] == "missing"
        with pytest.raises(LedgerError, match="exists"):
            restore_plan(lg, "2026-12-r1", tmp_path / "restored")


def test_a_table_with_an_unknown_column_is_kept_verbatim(tmp_path):
    tables = tables_fixture()
    tables["allocations"] = tables["allocations"].assign(new_pairing=[True, False, False, False])
    with Ledger(tmp_path / "ledger.sqlite") as lg:
        files = record(lg, "2026-12-r1", tmp_path / "r1", tables)
        stored = {r["name"]: r for r in lg.plan_files("2026-12-r1")}
        assert stored["allocations.csv"]["content"] is not None
        assert lg.conn.execute("SELECT COUNT(*) FROM plan_allocations").fetchone()[0] == 0
        back = lg.plan_table("2026-12-r1", "allocations")
        assert list(back.columns) == list(tables["allocations"].columns)
        assert back["need_id"].tolist() == ["n1", "n1", "n2", ""]
        restore_plan(lg, "2026-12-r1", tmp_path / "restored")
        assert (tmp_path / "restored" / "allocations.csv").read_bytes() == files["allocations.csv"].read_bytes()


def test_finish_run_is_one_transaction(tmp_path, monkeypatch):
    tables = tables_fixture()
    with Ledger(tmp_path / "ledger.sqlite") as lg:
        record(lg, "2026-12-r1", tmp_path / "r1", tables)  # published
        files = write_plan_folder(tmp_path / "r2", tables)
        lg.insert_run(run_id="2026-12-r2", period="2026-12", revision=2)
        real = ledger_mod._insert_rows
        calls = []

        def failing(c, run_id, name, frame):
            calls.append(name)
            if len(calls) == 2:
                raise KeyboardInterrupt("killed mid-transaction")
            real(c, run_id, name, frame)

        monkeypatch.setattr(ledger_mod, "_insert_rows", failing)
        with pytest.raises(KeyboardInterrupt):
            lg.finish_run(
                "2026-12-r2", status="optimal", exit_code=0, summary_json="{}", tables=tables, files=files, publish=True
            )
        run = lg.get_run("2026-12-r2")
        assert run["status"] == "running" and not run["published"]
        assert lg.get_run("2026-12-r1")["published"]  # publication did not move
        for table, _ in PLAN_TABLES.values():
            n = lg.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE run_id = '2026-12-r2'").fetchone()[0]
            assert n == 0, table
        assert lg.plan_files("2026-12-r2") == []


def test_publish_keeps_one_published_run_per_period(tmp_path):
    tables = tables_fixture()
    with Ledger(tmp_path / "ledger.sqlite") as lg:
        record(lg, "2026-12-r1", tmp_path / "r1", tables, revision=1)
        record(lg, "2026-12-r2", tmp_path / "r2", tables, revision=2)
        record(lg, "2026-11-r1", tmp_path / "n1", tables, period="2026-11", revision=1)
        assert lg.published_run("2026-12")["run_id"] == "2026-12-r2"
        lg.publish("2026-12-r1")
        assert [r["run_id"] for r in lg.list_runs() if r["published"]] == ["2026-11-r1", "2026-12-r1"]
        lg.insert_run(run_id="2026-12-r3", period="2026-12", revision=3)
        lg.finish_run("2026-12-r3", status="infeasible", exit_code=3, message="guarantees conflict")
        with pytest.raises(LedgerError, match="only an optimal or feasible"):
            lg.publish("2026-12-r3")
        with pytest.raises(sqlite3.IntegrityError):  # (period, revision) is unique
            lg.insert_run(run_id="dup", period="2026-12", revision=3)
        assert lg.find_reusable("2026-12", "f" * 64)["run_id"] == "2026-12-r2"  # newest successful, same inputs
        assert lg.find_reusable("2026-12", "0" * 64) is None


def test_status_is_checked_by_the_database(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite") as lg:
        lg.insert_run(run_id="a", period="2026-12", revision=1)
        with pytest.raises(sqlite3.IntegrityError):
            lg.conn.execute("UPDATE runs SET status = 'interrupted' WHERE run_id = 'a'")


def test_sha256_file(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"abc")
    assert sha256_file(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_a_version_1_ledger_is_migrated_and_keeps_binary_files(tmp_path):
    """An existing ledger from before binary plan files gains them on opening; plan.xlsx is kept byte for byte."""
    path = tmp_path / "ledger.sqlite"
    with Ledger(path, migrations=MIGRATIONS[:1]) as lg:
        lg.insert_run(run_id="2026-11-r1", period="2026-11", revision=1)
    with Ledger(path) as lg:
        assert lg.schema_version() == len(MIGRATIONS)
        assert lg.get_run("2026-11-r1")["status"] == "running"
