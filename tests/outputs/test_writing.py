"""The time limit is a wall for the outputs too (issue #15): optional outputs that would not fit in the
writing margin are left out, named in summary.json with the command that makes them later."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from linkage_opt.cli.commands import app
from linkage_opt.outputs import writing


def test_outputs_that_do_not_fit_the_margin_are_left_out_and_named(tmp_path, monkeypatch):
    monkeypatch.setattr(writing, "SHEET_S_PER_CELL", 1.0)       # the workbook "needs" hours
    out = tmp_path / "plan"
    r = CliRunner().invoke(app, ["plan", "configs/zhugen.yaml", "--out", str(out), "--time-limit", "30"],
                           terminal_width=200)
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
