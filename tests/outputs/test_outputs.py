"""Outputs are folders or nothing: refused non-folders, atomic replacement, one writer at a time,
leftovers cleaned, disk full and read-only file systems as OutputError (docs/operations.md,
"Outputs and atomicity").

The kill and concurrency tests start real processes that stop inside the writer at an exact step
(``linkage_opt.outdir.STEP_HOOK``, set only by the helper script below), then SIGKILL them.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import write_scenario
from typer.testing import CliRunner

import linkage_opt as lo
import linkage_opt.outdir as od
import linkage_opt.solving.plan as plan_mod
from linkage_opt import lang as L
from linkage_opt.cli.commands import app
from linkage_opt.errors import LinkageError, OutputError, OutputPathError
from linkage_opt.runs.ledger import Ledger, LedgerWriteError

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str):
    return CliRunner().invoke(app, list(args), terminal_width=200)


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> lo.Plan:
    cfg = write_scenario(tmp_path_factory.mktemp("scenario"))
    return lo.solve(lo.load_scenario(cfg))


def tagged(plan: lo.Plan, tag: str) -> lo.Plan:
    """A copy of ``plan`` whose summary and coverage table both carry ``tag`` (to tell plans apart)."""
    cov = plan.coverage.copy()
    cov["unit_name"] = tag
    return lo.Plan(
        allocations=plan.allocations,
        coverage=cov,
        providers=plan.providers,
        programs=plan.programs,
        summary={**plan.summary, "scenario": tag, "timings": dict(plan.summary["timings"])},
        extras={"note.txt": tag},
    )


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir())}


def hidden(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def assert_clean(parent: Path, name: str) -> None:
    """Nothing beside ``name`` but its one current version folder."""
    target = parent / name
    assert target.is_symlink()
    assert hidden(parent, name) == [os.readlink(target)]


# ---------------------------------------------------------------------------------------------------
# layout
# ---------------------------------------------------------------------------------------------------


def test_a_plan_folder_is_a_link_to_one_complete_version(solved, tmp_path):
    out = tmp_path / "plans" / "zhugen"
    tagged(solved, "A").write(out)
    first = os.readlink(out)
    assert od.version_pattern("zhugen").fullmatch(first) and not Path(first).is_absolute()
    assert (tmp_path / "plans" / ".lock").is_file()
    assert lo.Plan.read(out).summary["scenario"] == "A"
    tagged(solved, "B").write(out)
    assert os.readlink(out) != first
    assert_clean(out.parent, "zhugen")  # the earlier version was removed
    read = lo.Plan.read(out)
    assert read.summary["scenario"] == "B" and set(read.coverage["unit_name"]) == {"B"}


def test_a_real_folder_from_older_versions_is_migrated_atomically(solved, tmp_path, monkeypatch):
    for exchange in (True, False):
        out = tmp_path / f"legacy-{exchange}"
        tagged(solved, "A").write(out, overwrite=False)  # a real folder, as older versions wrote
        assert out.is_dir() and not out.is_symlink()
        monkeypatch.setattr(od, "USE_RENAMEAT2", exchange)
        tagged(solved, "B").write(out)
        assert lo.Plan.read(out).summary["scenario"] == "B"
        assert_clean(tmp_path, out.name)


def test_a_foreign_link_is_followed_to_its_folder(solved, tmp_path):
    real = tmp_path / "store" / "december"
    tagged(solved, "A").write(real)
    alias = tmp_path / "current"
    alias.symlink_to(real)
    tagged(solved, "B").write(alias)
    assert os.readlink(alias) == str(real)  # the user's link is kept
    assert lo.Plan.read(real).summary["scenario"] == "B"
    assert_clean(real.parent, "december")
    broken = tmp_path / "broken"
    broken.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputPathError, match="which does not exist"):
        tagged(solved, "C").write(broken)
    assert not (tmp_path / "nowhere").exists()


def test_stale_leftovers_older_than_the_lock_holder_are_removed(solved, tmp_path):
    out = tmp_path / "plan"
    tagged(solved, "A").write(out)
    old = time.time() - 3600
    for name in (".plan.tmp-killed1", ".plan.old-killed2", ".plan.v-20200101T000000000000Z-dead00"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "coverage.csv").write_text("x")
        os.utime(tmp_path / name, (old, old))
    (tmp_path / ".plan.tmp-link-dead").symlink_to(".plan.v-20200101T000000000000Z-dead00")
    os.utime(tmp_path / ".plan.tmp-link-dead", (old, old), follow_symlinks=False)
    newer = tmp_path / ".plan.tmp-someone-else"  # made after the writer took the lock
    newer.mkdir()
    future = time.time() + 3600
    os.utime(newer, (future, future))
    (tmp_path / ".other.tmp-x").mkdir()  # another folder's: not ours to judge
    os.utime(tmp_path / ".other.tmp-x", (old, old))
    tagged(solved, "B").write(out)
    assert hidden(tmp_path, "plan") == sorted([os.readlink(out), newer.name])
    assert (tmp_path / ".other.tmp-x").exists()


def test_plan_read_of_a_missing_folder_is_a_typed_error(tmp_path):
    with pytest.raises(lo.ValidationError, match="not a linkage-opt plan folder"):
        lo.Plan.read(tmp_path / "missing")


# ---------------------------------------------------------------------------------------------------
# not a folder: file, FIFO, device -- refused with or without --force, nothing touched, never opened
# ---------------------------------------------------------------------------------------------------


def _node(kind: str, path: Path) -> Path:
    if kind == "file":
        path.write_text("keep me")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a private twin of /dev/null
        except (PermissionError, AttributeError):
            pytest.skip("cannot make a device node here")
    return path


def _same_node(path: Path, before: os.stat_result) -> bool:
    after = os.lstat(path)
    return (after.st_ino, after.st_mode, after.st_rdev, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_mode,
        before.st_rdev,
        before.st_size,
        before.st_mtime_ns,
    )


@pytest.mark.parametrize("kind", ["file", "fifo", "device"])
def test_plan_write_refuses_what_is_not_a_folder(solved, tmp_path, kind):
    node = _node(kind, tmp_path / "out")
    before = os.lstat(node)
    for overwrite in (True, False):
        with pytest.raises(OutputPathError, match="not a folder") as exc:
            solved.write(node, overwrite=overwrite)
        assert exc.value.exit_code == 2 and "nothing was changed" in str(exc.value)
    assert _same_node(node, before)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no lock, no temp folder, nothing


def test_cli_plan_out_at_a_file_or_device_is_exit_2_with_or_without_force(tiny_scenario, tmp_path):
    for kind in ("file", "device"):
        node = _node(kind, tmp_path / f"out-{kind}")
        before = os.lstat(node)
        for force in ((), ("--force",)):
            r = run("plan", str(tiny_scenario), "--out", str(node), *force)
            assert r.exit_code == 2, r.output
            assert "not a folder" in r.output and "internal error" not in r.output
            assert _same_node(node, before)
    r = run("plan", str(tiny_scenario), "--out", str(tmp_path / "out-file" / "sub"))  # a part is a file
    assert r.exit_code == 2 and "cannot be written" in r.output
    assert (tmp_path / "out-file").read_text() == "keep me"
    r = run("plan", str(tiny_scenario), "--out", str(tmp_path / "out-file"), "--lang", "zh")
    assert r.exit_code == 2 and "已存在，是普通文件，不是文件夹" in r.output


def test_cli_plan_out_dev_null_with_force_leaves_dev_null_alone(tiny_scenario):
    before = os.lstat("/dev/null")
    assert stat.S_ISCHR(before.st_mode)
    with pytest.raises(OutputPathError):  # refused by the check itself before we let the CLI near it
        od.check_output_folder("/dev/null")
    r = run("plan", str(tiny_scenario), "--out", "/dev/null", "--force")
    assert r.exit_code == 2 and "character device" in r.output, r.output
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert not [p for p in os.listdir("/dev") if p.startswith(".null.")]


def _cli(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real command in a process of its own, so that a hang on a FIFO fails the test, not the suite."""
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_fifo_outputs_are_refused_without_hanging(tiny_scenario, tmp_path):
    fifo = _node("fifo", tmp_path / "pipe")
    before = os.lstat(fifo)
    cases = [
        (["plan", str(tiny_scenario), "--out", str(fifo)], "named pipe (FIFO), not a folder"),
        (["plan", str(tiny_scenario), "--out", str(fifo), "--force"], "named pipe (FIFO), not a folder"),
        (["run", str(tiny_scenario), "--period", "2026-12", "--runs", str(fifo)], "the runs folder"),
        (
            ["run", str(tiny_scenario), "--period", "2026-12", "--runs", str(tmp_path / "runs"), "--ledger", str(fifo)],
            "is a named pipe (FIFO), not a file",
        ),
        (["whatif", str(tiny_scenario), "--set", "volunteers.hours*=2", "--out", str(fifo)], "not a regular file"),
    ]
    for args, text in cases:
        res = _cli(args, tmp_path)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert text in res.stderr.replace("\n", " ") and "Traceback" not in res.stderr, res.stderr
        assert _same_node(fifo, before)


def test_run_and_runs_with_runs_at_a_file_are_exit_2(tiny_scenario, tmp_path):
    from linkage_opt.cli.runs import app as runs_app

    afile = _node("file", tmp_path / "runs-file")
    before = os.lstat(afile)
    cli = CliRunner()
    r = cli.invoke(runs_app, ["run", str(tiny_scenario), "--period", "2026-12", "--runs", str(afile)])
    assert r.exit_code == 2 and "the runs folder" in r.output and "not a folder" in r.output, r.output
    assert "internal error" not in r.output
    for args in (
        ["runs", "list"],
        ["runs", "show", "2026-12-r1"],
        ["runs", "publish", "2026-12-r1"],
        ["runs", "restore", "2026-12-r1"],
    ):
        r = cli.invoke(runs_app, [*args, "--runs", str(afile)])
        assert r.exit_code == 2 and "not a folder" in r.output, (args, r.output)
    assert _same_node(afile, before)


def test_other_output_options_refuse_non_folders(tiny_scenario, tmp_path):
    plan_dir = tmp_path / "plan"
    assert run("plan", str(tiny_scenario), "--out", str(plan_dir)).exit_code == 0
    afile = _node("file", tmp_path / "afile")
    r = run("report", str(plan_dir), "--out", str(afile))
    assert r.exit_code == 2 and "not a folder" in r.output, r.output
    r = run("report", str(plan_dir), "--out", str(plan_dir / "report.html" / "x.html"))
    assert r.exit_code == 2, r.output
    folder = tmp_path / "x.xlsx"
    folder.mkdir()
    r = run("template", str(folder), "--force")
    assert r.exit_code == 2 and "not a regular file" in r.output, r.output
    assert afile.read_text() == "keep me"


# ---------------------------------------------------------------------------------------------------
# disk full, read-only: OutputError, exit 4, "no plan was changed", the earlier plan intact
# ---------------------------------------------------------------------------------------------------

FAILURES = [
    (errno.ENOSPC, "the disk is full"),
    (errno.EROFS, "the file system is read-only"),
    (errno.EACCES, "permission denied"),
    (errno.EDQUOT, "the disk quota is exceeded"),
]


def _fail_at(monkeypatch, where: str, err: int):
    exc = OSError(err, os.strerror(err))

    def boom(*a, **k):
        raise exc

    if where == "write":
        real = plan_mod.write_csv
        calls = []

        def second_fails(frame, path):
            calls.append(path)
            if len(calls) >= 2:  # the disk fills up after the first file, and stays full
                raise exc
            real(frame, path)

        monkeypatch.setattr(plan_mod, "write_csv", second_fails)
    elif where == "mkdtemp":
        monkeypatch.setattr(od.tempfile, "mkdtemp", boom)
    elif where == "version":
        monkeypatch.setattr(od.os, "rename", boom)
    elif where == "swap":
        monkeypatch.setattr(od.os, "replace", boom)
        monkeypatch.setattr(od, "exchange", boom)
    elif where == "lock":
        monkeypatch.setattr(od, "folder_lock", boom)


@pytest.mark.parametrize("where", ["write", "mkdtemp", "version", "swap", "lock"])
@pytest.mark.parametrize("err,reason", FAILURES[:2])
def test_disk_full_and_read_only_while_writing_change_no_plan(solved, tmp_path, monkeypatch, where, err, reason):
    out = tmp_path / "plan"
    tagged(solved, "A").write(out)
    before = files_of(out)
    with monkeypatch.context() as m:
        _fail_at(m, where, err)
        with pytest.raises(OutputError) as exc:
            tagged(solved, "B").write(out)
    text = str(exc.value)
    assert exc.value.exit_code == 4 and not isinstance(exc.value, OutputPathError)
    assert reason in text and "no plan was changed" in text and "still holds the earlier plan" in text
    assert files_of(out) == before
    assert_clean(tmp_path, "plan")


@pytest.mark.parametrize("err,reason", FAILURES)
def test_cli_plan_on_a_full_or_read_only_disk_says_no_plan_was_changed(
    tiny_scenario, tmp_path, monkeypatch, err, reason
):
    out = tmp_path / "plan"
    assert run("plan", str(tiny_scenario), "--out", str(out)).exit_code == 0
    before = files_of(out)
    _fail_at(monkeypatch, "write", err)
    r = run("plan", str(tiny_scenario), "--out", str(out))
    assert r.exit_code == 4, r.output
    assert reason in r.output and "no plan was changed" in r.output
    assert "internal error" not in r.output and "report this" not in r.output
    assert files_of(out) == before
    L.MISSES.clear()
    r = run("plan", str(tiny_scenario), "--out", str(out), "--lang", "zh")
    assert r.exit_code == 4 and "方案没有任何改动" in r.output and "仍是原来的方案" in r.output, r.output
    assert not L.MISSES, L.MISSES


def test_a_new_plan_on_a_full_disk_leaves_nothing(solved, tmp_path, monkeypatch):
    _fail_at(monkeypatch, "write", errno.ENOSPC)
    with pytest.raises(OutputError, match="was not created"):
        solved.write(tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock"]


def test_report_on_a_full_disk_is_an_output_error(tiny_scenario, tmp_path, monkeypatch):
    out = tmp_path / "plan"
    assert run("plan", str(tiny_scenario), "--out", str(out)).exit_code == 0
    before = files_of(out)
    real_mkstemp = plan_mod.tempfile.mkstemp

    def full(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(plan_mod.tempfile, "mkstemp", full)
    r = run("report", str(out), "--lang", "zh")
    assert r.exit_code == 4 and "磁盘已满" in r.output and "内部错误" not in r.output, r.output
    monkeypatch.setattr(plan_mod.tempfile, "mkstemp", real_mkstemp)
    assert files_of(out) == before


# the monthly run


def test_a_run_on_a_full_disk_is_recorded_as_an_output_error(tiny_scenario, tmp_path, monkeypatch):
    from linkage_opt.cli.runs import app as runs_app
    from linkage_opt.runs.runner import run_period

    runs = tmp_path / "runs"
    earlier = run_period(tiny_scenario, "2026-11", runs)
    earlier_files = files_of(earlier.plan_dir)
    _fail_at(monkeypatch, "write", errno.ENOSPC)
    outcome = run_period(tiny_scenario, "2026-12", runs)
    assert outcome.exit_code == 4 and isinstance(outcome.error, OutputError)
    assert "no plan was changed" in outcome.message and "the disk is full" in outcome.message
    assert sorted(p.name for p in (runs / "2026-12").iterdir()) == [".lock"]  # no r1, no temp folder
    with Ledger(runs / "ledger.sqlite") as lg:
        row = lg.get_run(outcome.run_id)
    assert (row["status"], row["exit_code"], row["published"]) == ("failed", 4, False)
    assert files_of(earlier.plan_dir) == earlier_files
    r = CliRunner().invoke(runs_app, ["run", str(tiny_scenario), "--period", "2026-12", "--runs", str(runs)])
    assert r.exit_code == 4 and "no plan was changed" in r.output and "internal error" not in r.output, r.output


def test_a_full_or_read_only_ledger_is_a_typed_error_and_stays_intact(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as lg:
        pages = lg.conn.execute("PRAGMA page_count").fetchone()[0]
        lg.conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"
        with pytest.raises(LedgerWriteError) as exc:
            lg.insert_run(run_id="2026-12-r1", period="2026-12", revision=1, config_text="x" * 200_000)
        assert isinstance(exc.value, OutputError) and exc.value.exit_code == 4
        assert "the disk is full" in str(exc.value) and "no plan was changed" in str(exc.value)
    with Ledger(path) as lg:
        lg.conn.execute("PRAGMA query_only = ON")  # SQLite's "readonly database"
        with pytest.raises(LedgerWriteError, match="read-only"):
            lg.insert_run(run_id="2026-12-r1", period="2026-12", revision=1)
    with Ledger(path) as lg:
        assert lg.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert lg.list_runs() == []
    L.MISSES.clear()
    assert isinstance(exc.value.args[0], L.Msg)  # the message id and its parameters
    assert "方案没有任何改动" in L.render(exc.value.args[0], "zh") and not L.MISSES


def test_a_run_whose_ledger_fills_up_at_the_end_leaves_no_unrecorded_folder(tiny_scenario, tmp_path, monkeypatch):
    from linkage_opt.runs import ledger as ledger_mod
    from linkage_opt.runs.runner import run_period

    runs = tmp_path / "runs"
    earlier = run_period(tiny_scenario, "2026-11", runs)

    def full(self, *a, **k):
        raise ledger_mod._write_failure(self.path, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(Ledger, "finish_run", full)
    outcome = run_period(tiny_scenario, "2026-12", runs)
    assert outcome.exit_code == 4 and isinstance(outcome.error, LedgerWriteError)
    assert "no plan was changed" in str(outcome.error)
    assert not (runs / "2026-12" / "r1").exists()
    assert (earlier.plan_dir / "summary.json").is_file()


# ---------------------------------------------------------------------------------------------------
# killed between the steps; two writers at once; readers during replacement
# ---------------------------------------------------------------------------------------------------

HELPER = """
import os, sys, time
from pathlib import Path

import linkage_opt.outdir as od

pause_at = os.environ.get("LO_TEST_PAUSE_AT", "")        # read only by this test helper
hook = Path(os.environ["LO_TEST_HOOK_DIR"])
if os.environ.get("LO_TEST_NO_RENAMEAT2"):
    od.USE_RENAMEAT2 = False

def step(name, path):
    (hook / f"{os.getpid()}-{name}").write_text(str(path))
    if name == pause_at:
        deadline = time.monotonic() + 60
        while not (hook / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.02)

od.STEP_HOOK = step
if sys.argv[1] == "write":                                  # write: Plan.read(SOURCE).write(DIR)
    from linkage_opt.solving.plan import Plan
    Plan.read(sys.argv[2]).write(sys.argv[3])
else:                                                       # the CLI
    from linkage_opt.cli.commands import main
    sys.argv = ["linkage-opt", *sys.argv[1:]]
    main()
"""


def start(tmp_path: Path, args: list[str], hook: Path, pause_at: str = "", no_renameat2: bool = False, name: str = "w"):
    helper = tmp_path / "helper.py"
    if not helper.exists():
        helper.write_text(HELPER, encoding="utf-8")
    env = {**os.environ, "LO_TEST_HOOK_DIR": str(hook), "LO_TEST_PAUSE_AT": pause_at, "COLUMNS": "200"}
    env.pop("LO_TEST_NO_RENAMEAT2", None)
    if no_renameat2:
        env["LO_TEST_NO_RENAMEAT2"] = "1"
    err = tmp_path / f"{name}.err"
    proc = subprocess.Popen(
        [sys.executable, str(helper), *args],
        cwd=tmp_path,
        env=env,
        stdout=open(tmp_path / f"{name}.out", "w"),  # noqa: SIM115 - the child owns them
        stderr=open(err, "w"),  # noqa: SIM115
    )
    return proc, err


def wait_for(cond, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def reached(hook: Path, proc, step: str) -> bool:
    return (hook / f"{proc.pid}-{step}").exists()


def kill_at(tmp_path: Path, solved: lo.Plan, step: str, *, legacy: bool = False, no_renameat2: bool = False):
    """Write plan A to DIR, then start a process writing plan B and SIGKILL it at ``step``."""
    out = tmp_path / "plans" / "dir"
    tagged(solved, "A").write(out, overwrite=not legacy)
    source = tmp_path / "source-b"
    tagged(solved, "B").write(source)
    before = files_of(out)
    hook = tmp_path / "hook"
    hook.mkdir()
    proc, err = start(tmp_path, ["write", str(source), str(out)], hook, step, no_renameat2)
    try:
        wait_for(lambda: reached(hook, proc, step) or proc.poll() is not None, what=f"the writer at {step}")
        assert proc.poll() is None, err.read_text()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return out, before


@pytest.mark.parametrize("step", ["locked", "written", "versioned"])
def test_a_writer_killed_before_the_swap_leaves_the_earlier_plan(solved, tmp_path, step):
    out, before = kill_at(tmp_path, solved, step)
    assert files_of(out) == before  # DIR: the complete earlier plan
    assert lo.Plan.read(out).summary["scenario"] == "A"
    tagged(solved, "C").write(out)  # the next writer cleans up
    assert lo.Plan.read(out).summary["scenario"] == "C"
    assert_clean(out.parent, "dir")


def test_a_writer_killed_after_the_swap_leaves_the_new_plan(solved, tmp_path):
    out, _ = kill_at(tmp_path, solved, "swapped")
    read = lo.Plan.read(out)
    assert read.summary["scenario"] == "B" and set(read.coverage["unit_name"]) == {"B"}
    assert len(hidden(out.parent, "dir")) == 2  # the earlier version, not yet removed
    tagged(solved, "C").write(out)
    assert_clean(out.parent, "dir")


def test_a_writer_killed_while_migrating_a_real_folder_leaves_the_earlier_plan(solved, tmp_path):
    out, before = kill_at(tmp_path, solved, "versioned", legacy=True)  # renameat2 exchanges in one step
    assert out.is_dir() and not out.is_symlink() and files_of(out) == before


def test_without_renameat2_the_one_window_is_repaired_by_the_next_writer(solved, tmp_path):
    out, before = kill_at(tmp_path, solved, "aside", legacy=True, no_renameat2=True)
    assert not os.path.lexists(out)  # the documented window of the fallback
    [aside] = [p for p in hidden(out.parent, "dir") if ".old-" in p]
    assert files_of(out.parent / aside) == before  # the earlier plan, complete, aside
    tagged(solved, "C").write(out)
    assert lo.Plan.read(out).summary["scenario"] == "C"
    assert_clean(out.parent, "dir")


def test_two_concurrent_writers_both_finish_and_dir_is_one_complete_plan(tmp_path):
    cfg_a = write_scenario(tmp_path / "alpha", config={"name": "alpha"})
    cfg_b = write_scenario(tmp_path / "beta", config={"name": "beta"})
    out = tmp_path / "plans" / "shared"
    hook = tmp_path / "hook"
    hook.mkdir()
    a, err_a = start(tmp_path, ["plan", str(cfg_a), "--out", str(out)], hook, "versioned", name="a")
    b = None
    try:
        wait_for(lambda: reached(hook, a, "versioned") or a.poll() is not None, what="writer A to hold the lock")
        assert a.poll() is None, err_a.read_text()
        b, err_b = start(tmp_path, ["plan", str(cfg_b), "--out", str(out)], hook, name="b")
        wait_for(lambda: reached(hook, b, "lock") or b.poll() is not None, what="writer B to wait for the lock")
        time.sleep(0.5)
        assert not reached(hook, b, "locked") and b.poll() is None, err_b.read_text()  # B waits for A
        (hook / "release").write_text("")
        assert a.wait(timeout=120) == 0, err_a.read_text()
        assert b.wait(timeout=120) == 0, err_b.read_text()
    finally:
        (hook / "release").write_text("")
        for p in (a, b):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "beta"  # the later writer's plan, whole
    assert "beta" in (out / "report.html").read_text(encoding="utf-8")
    assert {"plan.xlsx", "coverage.csv", "allocations.csv"} <= set(os.listdir(out))
    assert_clean(out.parent, "shared")
    assert run("check", str(out)).exit_code == 0


def test_readers_always_see_one_complete_plan_while_writers_replace_it(solved, tmp_path):
    out = tmp_path / "plan"
    tagged(solved, "A0").write(out)
    errors: list[BaseException] = []
    seen: set[str] = set()
    done = threading.Event()

    def writer(tag: str) -> None:
        try:
            for i in range(6):
                tagged(solved, f"{tag}{i}").write(out)
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        while not done.is_set():
            try:
                p = lo.Plan.read(out)
                tags = set(p.coverage["unit_name"]) | {p.summary["scenario"]}
                assert len(tags) == 1, tags  # never two plans mixed
                seen.update(tags)
            except BaseException as exc:
                errors.append(exc)
                return

    readers = [threading.Thread(target=reader) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(t,)) for t in ("X", "Y")]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join(120)
    done.set()
    for t in readers:
        t.join(60)
    assert not errors, errors
    assert len(seen) >= 2
    assert_clean(tmp_path, "plan")
    assert isinstance(OutputError("x"), LinkageError)
