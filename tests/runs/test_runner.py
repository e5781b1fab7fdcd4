"""Monthly runs: determinism, idempotency, recorded failures, history, crash safety, locking, diff, logs.

The crash and concurrency tests start real processes (``python helper.py run ...``, i.e. the ``run``
command) and hold them inside ``Plan.write`` with a hook that only the helper script installs.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_scenario
from plans import constructed_plans, record
from typer.testing import CliRunner

from linkage_opt.cli.runs import app
from linkage_opt.errors import ValidationError
from linkage_opt.runs.ledger import Ledger
from linkage_opt.runs.logging_setup import log_event, reset_logging, setup_logging
from linkage_opt.runs.runner import (
    REVISION_RE,
    RunInProgressError,
    diff_plans,
    list_runs,
    resolve_period,
    run_period,
    run_state,
    shift_period,
)

TABLES = ("allocations.csv", "coverage.csv", "providers.csv", "programs.csv")


@pytest.fixture(autouse=True)
def _no_leftover_log_handler():
    yield
    reset_logging()  # the CLI installs a stderr handler; do not leave it to other test modules


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return write_scenario(tmp_path / "scenario")


def ledger_rows(runs: Path, period: str | None = None) -> list[dict]:
    with Ledger(runs / "ledger.sqlite") as lg:
        return lg.list_runs(period)


def revision_dirs(period_dir: Path) -> list[str]:
    return sorted(p.name for p in period_dir.iterdir() if REVISION_RE.fullmatch(p.name))


# ---------------------------------------------------------------------------------------------------
# in-process runs
# ---------------------------------------------------------------------------------------------------


def test_forced_rerun_gives_byte_identical_tables_in_a_new_revision(cfg, tmp_path):
    runs = tmp_path / "runs"
    a = run_period(cfg, "2026-12", runs)
    b = run_period(cfg, "2026-12", runs, force=True)
    assert (a.run_id, b.run_id) == ("2026-12-r1", "2026-12-r2")
    assert a.exit_code == b.exit_code == 0 and not b.reused
    for name in TABLES:
        assert (a.plan_dir / name).read_bytes() == (b.plan_dir / name).read_bytes(), name
    # both folders stay; the newest is the published one
    assert revision_dirs(runs / "2026-12") == ["r1", "r2"]
    rows = ledger_rows(runs)
    assert [(r["run_id"], r["published"]) for r in rows] == [("2026-12-r1", False), ("2026-12-r2", True)]
    assert rows[0]["input_fingerprint"] == rows[1]["input_fingerprint"]
    assert json.loads((runs / "2026-12" / "published.json").read_text())["run_id"] == "2026-12-r2"
    # the ledger's copy of the plan is the plan
    with Ledger(runs / "ledger.sqlite") as lg:
        pd.testing.assert_frame_equal(lg.plan_table("2026-12-r2", "allocations"), b.plan.allocations, check_dtype=False)


def test_same_inputs_are_not_planned_twice(cfg, tmp_path):
    runs = tmp_path / "runs"
    first = run_period(cfg, "2026-12", runs)
    again = run_period(cfg, "2026-12", runs)
    assert again.reused and again.run_id == first.run_id and again.exit_code == first.exit_code
    assert again.plan_dir == first.plan_dir and "already planned" in again.message
    assert len(ledger_rows(runs)) == 1 and revision_dirs(runs / "2026-12") == ["r1"]

    # a comment in the config does not change the plan's inputs ...
    cfg.write_text("# reviewed by the street office\n" + cfg.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_period(cfg, "2026-12", runs).reused
    # ... a changed input file does
    needs = cfg.parent / "data" / "needs.csv"
    needs.write_text(needs.read_text(encoding="utf-8").replace(",40,", ",44,"), encoding="utf-8")
    changed = run_period(cfg, "2026-12", runs)
    assert not changed.reused and changed.run_id == "2026-12-r2"
    # ... and so does a solver option
    assert not run_period(cfg, "2026-12", runs, time_limit=30).reused
    assert len(ledger_rows(runs)) == 3

    # a deleted plan folder of the reusable run is rebuilt from the ledger, not re-solved
    import shutil

    shutil.rmtree(runs / "2026-12" / "r3")
    back = run_period(cfg, "2026-12", runs, time_limit=30)
    assert back.reused and back.run_id == "2026-12-r3" and "restored" in back.message
    assert (runs / "2026-12" / "r3" / "allocations.csv").exists()


def test_period_option_overrides_the_config(cfg, tmp_path):
    runs = tmp_path / "runs"
    out = run_period(cfg, "2027-01", runs)
    assert out.run_id == "2027-01-r1" and out.plan_dir == (runs / "2027-01" / "r1").resolve()
    assert json.loads((out.plan_dir / "summary.json").read_text(encoding="utf-8"))["period"] == "2027-01"
    assert resolve_period("2026-12") == "2026-12" and shift_period("2026-12", 1) == "2027-01"
    assert shift_period("2027-01", -2) == "2026-11"
    import datetime as dt

    assert resolve_period("next", dt.date(2026, 12, 25)) == "2027-01"
    with pytest.raises(ValidationError):
        run_period(cfg, "2026-13", runs)


def test_bad_input_and_infeasible_runs_are_recorded_without_a_plan_folder(cfg, tmp_path):
    runs = tmp_path / "runs"
    needs = cfg.parent / "data" / "needs.csv"
    good = needs.read_text(encoding="utf-8")
    needs.write_text(good.replace(",40,", ",forty,"), encoding="utf-8")
    bad = run_period(cfg, "2026-12", runs)
    assert (bad.exit_code, bad.status) == (2, "failed") and isinstance(bad.error, ValidationError)
    assert "needs.csv" in bad.message

    needs.write_text(good.replace(",40,", ",4000,"), encoding="utf-8")  # a guaranteed need nobody can meet
    inf = run_period(cfg, "2026-12", runs)
    assert (inf.exit_code, inf.status) == (3, "infeasible") and inf.message

    backend = run_period(cfg, "2026-12", runs, backend="gurobi")
    assert (backend.exit_code, backend.status) == (2, "failed") and "unknown solver backend" in backend.message

    rows = ledger_rows(runs)
    assert [(r["run_id"], r["status"], r["exit_code"], r["published"]) for r in rows] == [
        ("2026-12-r1", "failed", 2, False),
        ("2026-12-r2", "infeasible", 3, False),
        ("2026-12-r3", "failed", 2, False),
    ]
    assert revision_dirs(runs / "2026-12") == []
    assert not (runs / "2026-12" / "published.json").exists()
    # a failed run is not "the same inputs planned already": fixing the input plans
    needs.write_text(good, encoding="utf-8")
    ok = run_period(cfg, "2026-12", runs)
    assert (ok.run_id, ok.exit_code, ok.published) == ("2026-12-r4", 0, True)


def test_history_comes_from_the_published_plans_of_earlier_months(tmp_path):
    cfg = write_scenario(
        tmp_path / "scenario", config={"carry_over": {"enabled": True, "months": 2}, "stability": {"enabled": True}}
    )
    runs = tmp_path / "runs"
    nov = run_period(cfg, "2026-11", runs)
    dec = run_period(cfg, "2026-12", runs)
    assert nov.exit_code == 0 and dec.exit_code == 0
    with Ledger(runs / "ledger.sqlite") as lg:
        assert json.loads(lg.get_run("2026-11-r1")["history_json"]) == {"previous": None, "coverage": []}
        assert json.loads(lg.get_run("2026-12-r1")["history_json"]) == {
            "previous": "2026-11-r1",
            "coverage": ["2026-11-r1"],
        }
    assert "stability" in dec.summary and dec.summary["stability"]["changed"] == 0
    # a republished November changes December's inputs: December is planned again, not reused
    run_period(cfg, "2026-11", runs, force=True)
    dec2 = run_period(cfg, "2026-12", runs)
    assert not dec2.reused and dec2.run_id == "2026-12-r2"


def test_a_held_lock_stops_a_second_run_with_the_holders_pid(cfg, tmp_path):
    from filelock import FileLock

    runs = tmp_path / "runs"
    (runs / "2026-12").mkdir(parents=True)
    (runs / "2026-12" / ".lock.owner").write_text(json.dumps({"pid": os.getpid(), "host": os.uname().nodename}))
    with FileLock(str(runs / "2026-12" / ".lock")):
        with pytest.raises(
            RunInProgressError, match=rf"another run of 2026-12 is in progress \(pid {os.getpid()}\)"
        ) as e:
            run_period(cfg, "2026-12", runs, wait=0)
        assert e.value.exit_code == 5
        t0 = time.monotonic()
        with pytest.raises(RunInProgressError, match=r"waited 0\.3 s"):
            run_period(cfg, "2026-12", runs, wait=0.3)
        assert time.monotonic() - t0 >= 0.3
        r = CliRunner().invoke(app, ["run", str(cfg), "--period", "2026-12", "--runs", str(runs)])
        assert r.exit_code == 5 and "another run of 2026-12 is in progress" in r.stderr
    assert not (runs / "ledger.sqlite").exists() or ledger_rows(runs) == []


def test_running_rows_of_dead_processes_show_as_interrupted(tmp_path):
    from filelock import FileLock

    runs = tmp_path / "runs"
    (runs / "2026-12").mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with Ledger(runs / "ledger.sqlite") as lg:
        lg.insert_run(run_id="2026-12-r1", period="2026-12", revision=1, pid=dead.pid, host=os.uname().nodename)
        lg.insert_run(run_id="2026-12-r2", period="2026-12", revision=2, pid=os.getpid(), host=os.uname().nodename)
    states = {r["run_id"]: r["state"] for r in list_runs(runs)}
    assert states == {"2026-12-r1": "interrupted", "2026-12-r2": "interrupted"}  # alive, but holds no lock
    with FileLock(str(runs / "2026-12" / ".lock")):
        assert {r["run_id"]: r["state"] for r in list_runs(runs)}["2026-12-r2"] == "running"
        assert (
            run_state({"status": "running", "period": "2026-12", "pid": dead.pid, "host": os.uname().nodename}, runs)
            == "interrupted"
        )


# ---------------------------------------------------------------------------------------------------
# real processes: killed mid-write, concurrent runs
# ---------------------------------------------------------------------------------------------------

HELPER = """
import os, sys, time
from pathlib import Path

hook = os.environ.get("LINKAGE_OPT_TEST_HOOK_DIR")   # read only by this test helper
if hook:
    import linkage_opt.solving.plan as plan_mod

    real = plan_mod.write_csv
    calls = []

    def write_csv_then_hold(frame, path):
        real(frame, path)
        calls.append(path)
        if len(calls) == 1:          # one table written into the temp folder: hold here
            d = Path(hook)
            (d / f"ready-{os.getpid()}").write_text(str(path))
            deadline = time.monotonic() + 60
            while not (d / "release").exists() and time.monotonic() < deadline:
                time.sleep(0.02)

    plan_mod.write_csv = write_csv_then_hold

from linkage_opt.cli.runs import main

sys.argv = ["linkage-opt", *sys.argv[1:]]
main()
"""


def start(tmp_path: Path, args: list[str], hook: Path | None, name: str) -> tuple[subprocess.Popen, Path, Path]:
    helper = tmp_path / "helper.py"
    if not helper.exists():
        helper.write_text(HELPER, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "LINKAGE_OPT_TEST_HOOK_DIR"}
    if hook is not None:
        env["LINKAGE_OPT_TEST_HOOK_DIR"] = str(hook)
    out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    proc = subprocess.Popen(
        [sys.executable, str(helper), *args],
        cwd=tmp_path,
        env=env,
        stdout=open(out, "w"),  # noqa: SIM115 - the child owns them
        stderr=open(err, "w"),  # noqa: SIM115
    )
    return proc, out, err


def wait_for(cond, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_a_run_killed_mid_write_leaves_no_plan_folder_and_a_readable_ledger(cfg, tmp_path):
    runs = tmp_path / "runs"
    earlier = run_period(cfg, "2026-11", runs)  # an earlier month, published
    hook = tmp_path / "hook"
    hook.mkdir()
    proc, _, err = start(tmp_path, ["run", str(cfg), "--period", "2026-12", "--runs", str(runs)], hook, "killed")
    try:
        # the hook's file may exist a moment before its path is written into it: wait for the path
        wait_for(
            lambda: any(f.read_text() for f in hook.glob("ready-*")) or proc.poll() is not None,
            what="the run to start writing",
        )
        assert proc.poll() is None, err.read_text()
        first_file = Path(next(f for f in hook.glob("ready-*") if f.read_text()).read_text())
        assert first_file.parent.name.startswith(".r1.tmp-")  # writing into the temp sibling
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    period_dir = runs / "2026-12"
    assert revision_dirs(period_dir) == []  # no partial r1
    assert [p.name for p in period_dir.iterdir() if p.name.startswith(".r1.tmp-")]
    assert not (period_dir / "published.json").exists()

    with Ledger(runs / "ledger.sqlite") as lg:  # opens, intact, lists everything
        assert lg.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    states = {r["run_id"]: (r["state"], r["published"]) for r in list_runs(runs)}
    assert states == {earlier.run_id: ("optimal", True), "2026-12-r1": ("interrupted", False)}
    shown = CliRunner().invoke(app, ["runs", "list", "--runs", str(runs)])
    assert shown.exit_code == 0 and "interrupted" in shown.stdout and "2026-11-r1" in shown.stdout

    # the next run cleans the leftovers and plans in a new revision
    again = run_period(cfg, "2026-12", runs)
    assert again.run_id == "2026-12-r2" and again.exit_code == 0
    assert revision_dirs(period_dir) == ["r2"]
    assert not [p for p in period_dir.iterdir() if ".tmp-" in p.name]
    assert {r["run_id"]: r["state"] for r in list_runs(runs)}["2026-12-r1"] == "interrupted"


def test_sigterm_mid_write_is_recorded_and_cleaned_up(cfg, tmp_path):
    runs = tmp_path / "runs"
    hook = tmp_path / "hook"
    hook.mkdir()
    proc, _, err = start(tmp_path, ["run", str(cfg), "--period", "2026-12", "--runs", str(runs)], hook, "term")
    try:
        wait_for(lambda: any(hook.glob("ready-*")) or proc.poll() is not None, what="the run to start writing")
        proc.send_signal(signal.SIGTERM)  # systemd stop
        assert proc.wait(timeout=30) == 130, err.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert sorted(p.name for p in (runs / "2026-12").iterdir()) == [".lock"]  # temp folder removed by the writer
    [row] = ledger_rows(runs)
    assert (row["status"], row["exit_code"], row["published"]) == ("failed", 130, False)
    assert "SIGTERM" in row["message"]


def test_concurrent_runs_of_one_period_never_both_plan(cfg, tmp_path):
    runs = tmp_path / "runs"
    hook = tmp_path / "hook"
    hook.mkdir()
    args = ["run", str(cfg), "--period", "2026-12", "--runs", str(runs)]
    procs = [start(tmp_path, args, hook, f"p{i}") for i in range(2)]  # started together, --wait 0
    try:
        wait_for(lambda: any(hook.glob("ready-*")), what="one run to hold the lock mid-write")
        # a third run that may wait: it waits for the holder, then finds the same inputs planned
        waiter = start(tmp_path, [*args, "--wait", "60", "--log-format", "json"], None, "waiter")
        winner_pid = int(next(hook.glob("ready-*")).name.split("-")[1])
        loser = next(p for p in procs if p[0].pid != winner_pid)
        winner = next(p for p in procs if p[0].pid == winner_pid)
        assert loser[0].wait(timeout=30) == 5
        msg = loser[2].read_text()
        assert f"another run of 2026-12 is in progress (pid {winner_pid})" in msg, msg
        wait_for(
            lambda: "run.waiting" in waiter[2].read_text() or waiter[0].poll() is not None, what="the third run to wait"
        )
        assert waiter[0].poll() is None, waiter[2].read_text()
        (hook / "release").write_text("")
        assert winner[0].wait(timeout=60) == 0, winner[2].read_text()
        assert waiter[0].wait(timeout=60) == 0, waiter[2].read_text()
    finally:
        (hook / "release").write_text("")
        for p, _, _ in procs + ([waiter] if "waiter" in locals() else []):
            if p.poll() is None:
                p.kill()
                p.wait()
    assert "already planned with the same inputs: 2026-12-r1" in waiter[1].read_text().replace("\n", " ")
    events = [json.loads(line)["event"] for line in waiter[2].read_text().splitlines() if line.startswith("{")]
    assert events == ["run.waiting", "run.reused"]
    rows = ledger_rows(runs)
    assert [(r["run_id"], r["status"], r["pid"]) for r in rows] == [("2026-12-r1", "optimal", winner_pid)]
    assert revision_dirs(runs / "2026-12") == ["r1"]


# ---------------------------------------------------------------------------------------------------
# diff, CLI, logs
# ---------------------------------------------------------------------------------------------------


def test_diff_reports_coverage_capacity_and_pairing_changes():
    a, b = constructed_plans()
    d = diff_plans(a, b)
    assert [
        (r["unit_id"], r["category"], r["covered_a"], r["covered_b"], r["delta_covered"]) for r in d["coverage"]
    ] == [("U1", "elderly_care", 10.0, 15.0, 5.0)]
    assert d["coverage"][0]["ratio_a"] == pytest.approx(10 / 25) and d["coverage"][0]["ratio_b"] == pytest.approx(
        15 / 25
    )
    assert [(r["provider_id"], r["used_a"], r["used_b"], r["delta_used"], r["only_in"]) for r in d["providers"]] == [
        ("V1", 10.0, 0.0, -10.0, None),
        ("V2", 0.0, 15.0, 15.0, "b"),
    ]
    assert d["pairings"]["added"] == [{"provider_kind": "volunteer", "provider_id": "V2", "unit_id": "U1"}]
    assert d["pairings"]["removed"] == [{"provider_kind": "volunteer", "provider_id": "V1", "unit_id": "U1"}]
    assert d["pairings"]["kept"] == 1
    assert diff_plans(a, a) == {
        "coverage": [],
        "providers": [],
        "pairings": {"added": [], "removed": [], "kept": 2},
        "metrics": {},
    }


def test_runs_diff_command_on_recorded_runs_and_folders(tmp_path):
    a, b = constructed_plans()
    runs = tmp_path / "runs"
    with Ledger(runs / "ledger.sqlite") as lg:
        record(lg, "2026-11-r1", runs / "2026-11" / "r1", a, period="2026-11")
        record(lg, "2026-12-r1", runs / "2026-12" / "r1", b, period="2026-12")
    runner = CliRunner()
    for ref_b in ("2026-12-r1", str(runs / "2026-12" / "r1")):  # run id or plan folder
        r = runner.invoke(app, ["runs", "diff", "2026-11-r1", ref_b, "--runs", str(runs), "--json"])
        assert r.exit_code == 0, r.stderr
        d = json.loads(r.stdout)
        assert d["a"] == "2026-11-r1" and d["b"] == ref_b
        assert [(x["unit_id"], x["delta_covered"]) for x in d["coverage"]] == [("U1", 5.0)]
        assert [(x["provider_id"], x["delta_used"]) for x in d["providers"]] == [("V1", -10.0), ("V2", 15.0)]
        assert (len(d["pairings"]["added"]), len(d["pairings"]["removed"])) == (1, 1)
    text = runner.invoke(app, ["runs", "diff", "2026-11-r1", "2026-12-r1", "--runs", str(runs)])
    assert text.exit_code == 0
    for expected in ("东门社区", "+5", "V2 (only in B)", "1 added, 1 removed, 1 kept"):
        assert expected in text.stdout, expected
    missing = runner.invoke(app, ["runs", "diff", "2026-11-r1", "nope", "--runs", str(runs)])
    assert missing.exit_code == 2 and "neither a plan folder nor a run id" in missing.stderr


def test_cli_run_show_publish_restore_and_json_logs(cfg, tmp_path):
    runs = tmp_path / "runs"
    runner = CliRunner()
    r1 = runner.invoke(app, ["run", str(cfg), "--period", "2026-12", "--runs", str(runs), "--log-format", "json"])
    assert r1.exit_code == 0, r1.stderr
    logs = [json.loads(line) for line in r1.stderr.splitlines() if line.strip()]
    assert [x["event"] for x in logs] == ["run.started", "run.finished"]
    for x in logs:
        assert list(x) == ["timestamp", "level", "event", "run_id", "period", "message", "fields"]
        assert (x["run_id"], x["period"], x["level"]) == ("2026-12-r1", "2026-12", "info")
    assert logs[1]["fields"]["status"] == "optimal" and logs[1]["fields"]["exit_code"] == 0
    r2 = runner.invoke(app, ["run", str(cfg), "--period", "2026-12", "--runs", str(runs), "--force"])
    assert r2.exit_code == 0 and "2026-12-r2" in r2.stdout

    shown = runner.invoke(app, ["runs", "show", "2026-12-r1", "--runs", str(runs), "--json"])
    info = json.loads(shown.stdout)
    assert info["state"] == "optimal" and info["published"] is False
    assert set(info["files"].values()) == {"ok"} and info["fingerprint_doc"]["period"] == "2026-12"

    assert runner.invoke(app, ["runs", "publish", "2026-12-r1", "--runs", str(runs)]).exit_code == 0
    assert [r["run_id"] for r in ledger_rows(runs) if r["published"]] == ["2026-12-r1"]
    assert json.loads((runs / "2026-12" / "published.json").read_text())["run_id"] == "2026-12-r1"

    import shutil

    original = {p.name: p.read_bytes() for p in (runs / "2026-12" / "r1").iterdir()}
    shutil.rmtree(runs / "2026-12" / "r1")
    assert runner.invoke(app, ["runs", "show", "2026-12-r1", "--runs", str(runs)]).exit_code == 0
    rr = runner.invoke(app, ["runs", "restore", "2026-12-r1", "--runs", str(runs)])
    assert rr.exit_code == 0, rr.stderr
    assert {p.name: p.read_bytes() for p in (runs / "2026-12" / "r1").iterdir()} == original
    assert "plan.xlsx" in original and "report.html" in original  # restored byte for byte, binary included
    zh = runner.invoke(app, ["runs", "show", "2026-12-r1", "--runs", str(runs), "--lang", "zh"])
    assert zh.exit_code == 0 and "方案文件夹" in zh.stdout and "全部完好" in zh.stdout
    zh = runner.invoke(app, ["runs", "list", "--runs", str(runs), "--lang", "zh"])
    assert zh.exit_code == 0 and "已发布" in zh.stdout
    zh = runner.invoke(app, ["runs", "diff", "2026-12-r1", "2026-12-r2", "--runs", str(runs), "--lang", "zh"])
    assert zh.exit_code == 0 and "核心指标" in zh.stdout
    bad = runner.invoke(app, ["run", str(cfg), "--period", "2026-12", "--runs", str(runs), "--log-format", "xml"])
    assert bad.exit_code == 2


def test_json_log_lines_are_single_objects():
    buf = io.StringIO()
    setup_logging("json", stream=buf)
    setup_logging("json", stream=buf)  # idempotent: still one handler, one line per record
    log_event("run.started", run_id="2026-12-r1", period="2026-12", message="多行\nmessage", note={"a": 1})
    logging.getLogger("linkage_opt.solving.solve").warning("from a library")
    lines = buf.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(x) for x in lines)
    assert (
        first["event"] == "run.started"
        and first["fields"] == {"note": {"a": 1}}
        and first["message"] == "多行\nmessage"
    )
    assert second["event"] == "linkage_opt.solving.solve" and second["level"] == "warning" and second["run_id"] is None
