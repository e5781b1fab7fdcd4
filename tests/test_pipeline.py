"""One pipeline (issue #16, item 3): ``lo.solve(...).write(dir, desk=True, lang=...)`` writes the folder
``linkage-opt plan`` writes -- the same files, the same contents but for times -- and every reader of a plan
folder reads it through ``Plan.read``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import linkage_opt as lo
from linkage_opt.cli.commands import app

# what differs between two runs of one plan: when it ran and how long each step took
TIMED_KEYS = {"created_at", "timings", "solve_s", "seconds", "elapsed_s"}


def _untimed(obj):
    if isinstance(obj, dict):
        return {k: _untimed(v) for k, v in obj.items() if k not in TIMED_KEYS}
    if isinstance(obj, list):
        return [_untimed(v) for v in obj]
    return obj


def _workbook_cells(path: Path) -> dict:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {
            ws.title: [
                tuple(_TIMES.sub("<time>", v) if isinstance(v, str) else v for v in r)
                for r in ws.iter_rows(values_only=True)
            ]
            for ws in book.worksheets
        }
    finally:
        book.close()


_TIMES = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?(\+00:00|Z)?|\d+(\.\d+)? ?s\b")


def _contents(folder: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in sorted(folder.iterdir()):
        if f.suffix == ".json":
            out[f.name] = _untimed(json.loads(f.read_text(encoding="utf-8")))
        elif f.suffix == ".xlsx":
            out[f.name] = _workbook_cells(f)
        elif f.suffix == ".pdf":  # Chromium's rendering of sheets.html (compared there): present in both
            out[f.name] = "pdf"
        else:
            out[f.name] = _TIMES.sub("<time>", f.read_text(encoding="utf-8-sig"))
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_library_writes_the_folder_the_cli_writes(tiny_scenario, tmp_path, lang):
    by_cli = tmp_path / "cli"
    r = CliRunner().invoke(
        app,
        ["plan", str(tiny_scenario), "--out", str(by_cli), "--time-limit", "30", "--lang", lang],
        terminal_width=200,
    )
    assert r.exit_code == 0, r.output
    by_lib = tmp_path / "lib"
    plan = lo.solve(lo.load_scenario(tiny_scenario), time_limit=30)
    assert plan.write(by_lib, desk=True, lang=lang) == by_lib

    names = sorted(p.name for p in by_cli.iterdir())
    assert names == sorted(p.name for p in by_lib.iterdir())
    assert {
        "allocations.csv",
        "coverage.csv",
        "providers.csv",
        "programs.csv",
        "summary.json",
        "explanations.csv",
        "marginal_values.csv",
        "plan.xlsx",
        "report.html",
        "sheets.html",
    } <= set(names)
    cli_files, lib_files = _contents(by_cli), _contents(by_lib)
    for name in names:
        assert cli_files[name] == lib_files[name], name


def test_write_without_desk_writes_the_plans_own_files_only(tiny_scenario, tmp_path):
    plan = lo.solve(lo.load_scenario(tiny_scenario), time_limit=30)
    plan.write(tmp_path / "p")
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "allocations.csv",
        "coverage.csv",
        "programs.csv",
        "providers.csv",
        "summary.json",
    ]
    plan.write(tmp_path / "q", explain=True)
    assert {"explanations.csv", "marginal_values.csv"} <= {p.name for p in (tmp_path / "q").iterdir()}


def test_frames_in_and_frames_out(tiny_scenario, tmp_path):
    """The documented library example: DataFrames in, a plan folder and DataFrames out."""
    from conftest import TINY_CONFIG, TINY_TABLES

    frames = {name: pd.DataFrame(rows) for name, rows in TINY_TABLES.items() if rows}
    plan = lo.solve(lo.scenario_from_frames(TINY_CONFIG, frames), time_limit=30)
    plan.write(tmp_path / "plan", desk=True, lang="zh")
    back = lo.Plan.read(tmp_path / "plan")
    for name, frame in plan.tables().items():
        pd.testing.assert_frame_equal(
            back.tables()[name].reset_index(drop=True), frame.reset_index(drop=True), check_dtype=False
        )
    assert (tmp_path / "plan" / "report.html").exists() and "explanations.csv" in back.extras


def test_a_read_plan_cannot_make_desk_files_without_its_scenario(tiny_scenario, tmp_path):
    lo.solve(lo.load_scenario(tiny_scenario), time_limit=30).write(tmp_path / "p")
    read = lo.Plan.read(tmp_path / "p")
    with pytest.raises(lo.ValidationError, match="this plan carries no scenario for its desk files"):
        read.write(tmp_path / "q", desk=True)
    assert not (tmp_path / "q").exists()
    read.write(tmp_path / "q", desk=True, scenario=lo.load_scenario(tiny_scenario), lang="en")
    assert (tmp_path / "q" / "report.html").exists()


def test_every_reader_of_a_plan_folder_reads_it_through_plan_read(tiny_scenario, tmp_path, monkeypatch):
    from linkage_opt.cli import commands as cli
    from linkage_opt.cli import runs as cli_runs
    from linkage_opt.solving.plan import COLUMN_KINDS, Plan

    out = tmp_path / "p"
    lo.solve(lo.load_scenario(tiny_scenario), time_limit=30).write(out, explain=True)
    calls: list[Path] = []
    original = Plan.read.__func__

    def counted(cls, plan_dir):
        calls.append(Path(plan_dir))
        return original(cls, plan_dir)

    monkeypatch.setattr(Plan, "read", classmethod(counted))
    p = cli._read_plan_dir(out)
    _, q = cli_runs.load_plan(str(out), tmp_path / "runs")
    assert calls == [out, out]
    assert set(p) == {"summary", "allocations", "coverage", "providers", "programs", "explanations", "marginal_values"}
    for name, cols in COLUMN_KINDS.items():
        for col, kind in cols if len(p[name]) else ():  # (an empty table has no types to read)
            assert pd.api.types.is_numeric_dtype(p[name][col]) == (kind != "str"), (name, col)
        pd.testing.assert_frame_equal(p[name], q[name])
    assert CliRunner().invoke(app, ["check", str(out)]).exit_code == 0
    assert CliRunner().invoke(app, ["explain", str(out)]).exit_code == 0
