"""The time limit is a wall for the outputs too (issue #15): optional outputs that would not fit in the
writing margin are left out, named in summary.json with the command that makes them later."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from linkage_opt.cli.commands import app
from linkage_opt.outputs import writing


def test_outputs_that_do_not_fit_the_margin_are_left_out_and_named(tmp_path, monkeypatch):
    monkeypatch.setattr(writing, "SHEET_S_PER_CELL", 1.0)  # the workbook "needs" hours
    out = tmp_path / "plan"
    r = CliRunner().invoke(
        app, ["plan", "configs/zhugen.yaml", "--out", str(out), "--time-limit", "30"], terminal_width=200
    )
    assert r.exit_code in (0, 1), r.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    skipped = summary["outputs_skipped"]
    assert [s["output"] for s in skipped] == ["plan.xlsx, report.html, sheets.html"]
    assert skipped[0]["later"] == f"linkage-opt report {out}"
    assert not any((out / f).exists() for f in ("plan.xlsx", "report.html", "sheets.html"))
    assert (out / "allocations.csv").exists() and (out / "explanations.csv").exists()
    assert "plan.xlsx, report.html, sheets.html not written" in r.output
    # and the command named makes them afterwards
    assert CliRunner().invoke(app, ["report", str(out)]).exit_code == 0
    assert (out / "plan.xlsx").exists() and (out / "report.html").exists()
    assert CliRunner().invoke(app, ["check", str(out)]).exit_code == 0


def test_explanations_past_their_deadline_are_marked_not_explained():
    import time

    import linkage_opt as lo
    from linkage_opt.analysis.explain import explain_unmet

    plan = lo.solve(lo.load_scenario("configs/zhugen.yaml"))
    full = explain_unmet(plan.formulation, plan.solution, plan.tables())
    none = explain_unmet(plan.formulation, plan.solution, plan.tables(), deadline=time.monotonic() - 1)
    assert len(full) and list(none["need_id"]) == list(full["need_id"])
    assert set(none["reason_code"]) == {"not_explained"}


def _slow_browser(tmp_path, monkeypatch):
    """A 'chromium' on PATH that starts a helper process and never prints: what a slow print looks like."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "chromium"
    pidfile = tmp_path / "helper.pid"
    exe.write_text(f"#!/bin/sh\nsleep 120 &\necho $! > {pidfile}\nwait\n", encoding="utf-8")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    monkeypatch.delenv("LINKAGE_OPT_NO_PDF", raising=False)
    return pidfile


def test_sheets_pdf_is_printed_within_its_deadline_or_not_at_all(tmp_path, monkeypatch):
    import os
    import time

    from linkage_opt.outputs import sheets

    pidfile = _slow_browser(tmp_path, monkeypatch)
    t0 = time.monotonic()
    data, status = sheets.html_to_pdf("<p>x</p>", timeout=2.5)
    assert data is None and status == "skipped: not printed within 2 s"
    assert time.monotonic() - t0 < 10
    helper = int(pidfile.read_text())
    time.sleep(0.2)
    try:  # the browser's own helpers are gone too
        os.kill(helper, 0)
        alive = Path(f"/proc/{helper}/stat").read_text().split()[2] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        alive = False
    assert not alive
    assert sheets.html_to_pdf("<p>x</p>", timeout=1.0) == (None, "skipped: no time left in the writing margin")


def test_a_plan_whose_pdf_does_not_fit_the_margin_names_it(tmp_path, monkeypatch):
    _slow_browser(tmp_path, monkeypatch)
    out = tmp_path / "plan"
    r = CliRunner().invoke(
        app, ["plan", "configs/zhugen.yaml", "--out", str(out), "--time-limit", "5"], terminal_width=200
    )
    assert r.exit_code in (0, 1), r.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [s["output"] for s in summary["outputs_skipped"]] == ["sheets.pdf"]
    assert summary["sheets"]["pdf"].startswith(("skipped: not printed within", "skipped: no time left"))
    assert (out / "plan.xlsx").exists() and (out / "sheets.html").exists() and not (out / "sheets.pdf").exists()
    assert "sheets.pdf not written" in r.output


def test_a_decomposed_plan_keeps_to_the_wall_too(tmp_path, monkeypatch):
    """A decomposed plan (no model) has the same writing budget: with a browser that never prints, its
    sheets.pdf is given up by the margin (it used to wait the browser's 300 s: 563 s for the city at 180 s)."""
    import time

    _slow_browser(tmp_path, monkeypatch)
    out = tmp_path / "plan"
    t0 = time.monotonic()
    r = CliRunner().invoke(
        app,
        [
            "plan",
            "configs/zhugen.yaml",
            "--decompose",
            "town",
            "--workers",
            "0",
            "--out",
            str(out),
            "--time-limit",
            "8",
        ],
        terminal_width=200,
    )
    elapsed = time.monotonic() - t0
    assert r.exit_code in (0, 1), r.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["decomposition"]["parts"] > 1
    assert [s["output"] for s in summary["outputs_skipped"]] == ["sheets.pdf"]
    assert elapsed < 8 + 10 + 5  # the limit, its margin, and the test's own start-up
