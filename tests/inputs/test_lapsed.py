"""Charity lots whose ``expires`` date is before the period's first day are not planned (issue #12, item 1)."""

from __future__ import annotations

import json

import pytest
from conftest import write_scenario
from factories import make_scenario, unit
from rich.console import Console
from typer.testing import CliRunner

from linkage_opt.cli import commands as cli
from linkage_opt.inputs.scenario import lapsed_lots
from linkage_opt.solving.api import solve
from linkage_opt.solving.check import check_plan

OFF = {"rules": {"supervision": {"enabled": False}, "party_share": {"enabled": False}, "budget": {"enabled": False}}}


def lot(lid, quantity=100.0, expires=None, **kw):
    return {"lot_id": lid, "donor": "d", "kind": "funds", "quantity": quantity, "expires": expires, **kw}


def _relief(period, lots, **tables):
    return make_scenario(
        {**OFF, "period": period},
        units=[unit("A")],
        needs=[{"need_id": "r", "unit_id": "A", "category": "relief", "quantity": 100}],
        charity=lots,
        **tables,
    )


def test_a_lot_expired_before_the_period_is_not_planned():
    sc = _relief("2027-01", [lot("old", expires="2026-12-31")])
    assert lapsed_lots(sc) == ["old"]
    plan = solve(sc)
    assert plan.allocations.empty or "old" not in set(plan.allocations["provider_id"])
    assert float(plan.coverage["covered"].sum()) == pytest.approx(0.0)
    assert plan.summary["lapsed_lots"] == ["old"]


def test_lots_expiring_inside_the_period_are_still_used_first():
    # the first day of the period is still usable (expires = the last day the lot can be used)
    sc = _relief(
        "2027-01",
        [
            lot("late", expires="2027-12-31"),
            lot("first_day", expires="2027-01-01"),
            lot("lapsed", expires="2026-11-30"),
        ],
    )
    assert lapsed_lots(sc) == ["lapsed"]
    plan = solve(sc)
    used = plan.allocations.groupby("provider_id")["quantity"].sum()
    assert used.get("first_day", 0.0) == pytest.approx(100.0)  # the expiring one goes first ...
    assert used.get("late", 0.0) == pytest.approx(0.0)  # ... the later one waits
    assert "lapsed" not in used.index
    assert plan.summary["lapsed_lots"] == ["lapsed"]


def test_a_lapsed_lot_with_explicit_reach_rows_is_left_out_too():
    sc = _relief(
        "2027-01", [lot("old", expires="2026-12-31"), lot("new")], reach=[{"provider_id": "old", "unit_id": "A"}]
    )
    plan = solve(sc)
    assert set(plan.allocations["provider_id"]) == {"new"}
    assert plan.summary["lapsed_lots"] == ["old"]


def test_check_fails_a_plan_that_uses_a_lapsed_lot():
    dec = _relief("2026-12", [lot("old", expires="2026-12-31")])
    plan = solve(dec)  # in December the lot is still good, and used
    assert "old" in set(plan.allocations["provider_id"])
    assert not check_plan(dec, plan.tables(), plan.summary)
    jan = dec.replace(config=dec.config.model_copy(update={"period": "2027-01"}))
    violations = check_plan(jan, plan.tables())
    assert [v.rule for v in violations] == ["lapsed_lot"], violations
    assert "lot old expired on 2026-12-31, before the period 2027-01 starts" in str(violations[0])
    # the period recorded in the plan's summary counts (a `run --period` overrides the config's)
    summary = {**plan.summary, "period": "2027-01"}
    assert "lapsed_lot" in {v.rule for v in check_plan(dec, plan.tables(), summary)}


def _cli(args, monkeypatch):
    monkeypatch.setattr(cli, "console", Console(width=10_000))
    monkeypatch.setattr(cli, "err_console", Console(stderr=True, width=10_000))
    r = CliRunner().invoke(cli.app, args)
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r


def test_validate_warns_and_the_plan_lists_lapsed_lots(tmp_path, monkeypatch):
    cfg = write_scenario(tmp_path / "s", config={"period": "2027-01"})  # lot L2 expires 2026-12-20
    r = _cli(["validate", str(cfg)], monkeypatch)
    assert r.exit_code == 0, r.output
    assert (
        "warning: data/charity.csv, row 3, column expires: lot 'L2' lapsed on 2026-12-20, before the period "
        "2027-01 starts: it is left out of the plan"
    ) in r.stderr.replace(str(tmp_path / "s") + "/", ""), r.stderr
    out = tmp_path / "plan"
    r = _cli(["plan", str(cfg), "--out", str(out)], monkeypatch)
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["lapsed_lots"] == ["L2"]
    r = _cli(["check", str(out)], monkeypatch)
    assert r.exit_code == 0, r.output


def test_the_lapsed_warning_reads_in_chinese(tmp_path, monkeypatch):
    cfg = write_scenario(tmp_path / "s", config={"period": "2027-01"})
    r = _cli(["validate", str(cfg), "--lang", "zh"], monkeypatch)
    assert r.exit_code == 0, r.output
    assert "批次 'L2' 已于 2026-12-20 过期" in r.stderr, r.stderr
    assert "left out" not in r.stderr and "hint" not in r.stderr
