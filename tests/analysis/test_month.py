"""Month over month, the fixed yardstick, and how a person reads figures: numbers, units, times, narrow tables.

* ``changes.json`` (what changed since the last published plan) on two runs where an input changed, the
  committee page's section from it, and ``runs diff`` in words, in English and Chinese;
* the yardstick does not move with the weights; ``whatif`` shows it and the weighted score as its own;
* numbers never in scientific notation or float noise; times in the configured time zone;
* a table wider than an 80-column terminal is stacked;
* ``explain --unit/--category`` of an unknown value: exit 2 with a suggestion; no rows of effect 0.000.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_scenario
from plans import constructed_plans
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from linkage_opt.analysis import compare
from linkage_opt.cli.commands import app
from linkage_opt.cli.common import print_table
from linkage_opt.errors import ValidationError, fmt_qty
from linkage_opt.outputs.report import fmt_value
from linkage_opt.runs.logging_setup import reset_logging
from linkage_opt.runs.runner import run_period


@pytest.fixture(autouse=True)
def _no_leftover_log_handler():
    yield
    reset_logging()


def invoke(*args: str, width: int = 200):
    return CliRunner().invoke(app, list(args), terminal_width=width)


def _rewrite(path: Path, column: str, key: tuple[str, str], value: str) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for r in rows:
        if r[key[0]] == key[1]:
            r[column] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def two_months(tmp_path_factory):
    """November planned and published; then U1's guaranteed need raised 40 -> 60 h and V1's hours cut
    20 -> 8 h, and December planned."""
    root = tmp_path_factory.mktemp("month")
    cfg = write_scenario(root / "sc")
    runs = root / "runs"
    nov = run_period(cfg, "2026-11", runs)
    assert nov.exit_code == 0
    _rewrite(root / "sc" / "data" / "needs.csv", "quantity", ("category", "elderly_care"), "60")
    _rewrite(root / "sc" / "data" / "volunteers.csv", "hours", ("volunteer_id", "V1"), "8")
    dec = run_period(cfg, "2026-12", runs, lang="zh")
    assert dec.exit_code == 0
    reset_logging()
    return runs, nov, dec


# ---------------------------------------------------------------------------------------------------
# month over month
# ---------------------------------------------------------------------------------------------------


def test_changes_json_names_the_last_published_plan_and_the_input_changes(two_months):
    runs, _, _ = two_months
    assert not (runs / "2026-11" / "r1" / "changes.json").exists()  # nothing was published before
    ch = json.loads((runs / "2026-12" / "r1" / "changes.json").read_text(encoding="utf-8"))
    assert (ch["a"], ch["b"]) == ("2026-11-r1", "2026-12-r1")
    needs = ch["inputs"]["needs"]
    assert [(n["change"], n["unit_id"], n["quantity_a"], n["quantity_b"]) for n in needs] == [
        ("changed", "U1", 40.0, 60.0)
    ]
    provs = [
        (p["change"], p["provider_id"], p["capacity_a"], p["capacity_b"], p["uom"]) for p in ch["inputs"]["providers"]
    ]
    assert ("changed", "V1", 20.0, 8.0, "hours") in provs
    u1 = next(u for u in ch["units"] if u["unit_id"] == "U1")
    assert u1["change"] == "gained" and u1["categories"][0]["covered_b"] == pytest.approx(60.0)
    assert {c.get("need_id") or c.get("provider_id") for c in u1["causes"]} >= {"U1/elderly_care/guaranteed", "V1"}


def test_committee_page_says_what_changed_since_last_month_in_chinese(two_months):
    runs, _, _ = two_months
    html = (runs / "2026-12" / "r1" / "sheets.html").read_text(encoding="utf-8")
    assert "与上次发布的方案（2026-11-r1）相比" in html
    assert "需求变化：东门社区（U1） · 养老服务 40 → 60 小时" in html
    assert "志愿者 V1：20 → 8 小时" in html
    # the report command re-writes the page (from the folder's changes.json) in English
    r = invoke("report", str(runs / "2026-12" / "r1"), "--out", str(runs / "en"))
    assert r.exit_code == 0, r.output
    en = (runs / "en" / "sheets.html").read_text(encoding="utf-8")
    assert "Since the last published plan (2026-11-r1)" in en
    assert re.search(r"need changed: 东门社区 \(U1\) · .* 40 → 60 hours", en)


def test_runs_diff_says_in_words_what_changed_and_shows_the_yardstick(two_months):
    runs, _, _ = two_months
    r = invoke("runs", "diff", "2026-11-r1", "2026-12-r1", "--runs", str(runs))
    assert r.exit_code == 0, r.output
    out = r.stdout
    for expected in (
        "Fixed yardstick",
        "coverage, guaranteed",
        "weighted score (own weights)",
        "What changed, in words",
        "东门社区 (U1) gained",
        "need changed",
        "volunteer V1: 20 → 8 hours",
        "volunteer (hours)",
    ):
        assert expected in out, expected
    assert "e+0" not in out
    zh = invoke("runs", "diff", "2026-11-r1", "2026-12-r1", "--runs", str(runs), "--lang", "zh")
    assert zh.exit_code == 0
    for expected in ("固定尺度", "变化说明", "满足情况改善", "志愿者 V1：20 → 8 小时", "加权满足率", "资金支出（元）"):
        assert expected in zh.stdout, expected
    js = json.loads(invoke("runs", "diff", "2026-11-r1", "2026-12-r1", "--runs", str(runs), "--json").stdout)
    assert set(js["yardstick"]) == {"a", "b"} and js["changes"]["inputs"]["needs"][0]["quantity_b"] == 60.0


def test_changes_of_constructed_plans_name_people_who_changed_units():
    a, b = constructed_plans()
    ch = compare.changes(a, b)
    assert [(m["provider_id"], m["units_a"], m["units_b"]) for m in ch["moved"]] == [
        ("V1", ["U1"], []),
        ("V2", [], ["U1"]),
    ]
    assert [(p["change"], p["provider_id"]) for p in ch["inputs"]["providers"]] == [("added", "V2")]
    u1 = ch["units"][0]
    assert u1["unit_id"] == "U1" and u1["change"] == "gained"
    words = compare.describe(ch, "en")
    flat = " ".join(i for s in words for i in s["items"])
    assert "volunteer V1 changed units: 东门社区 (U1) → none" in flat
    assert "volunteer V2 added (20 hours)" in flat
    zh = " ".join(i for s in compare.describe(ch, "zh") for i in s["items"])
    assert "志愿者 V1 服务单位变化：东门社区（U1） → 无" in zh
    assert compare.describe(compare.changes(a, a), "en") == []


def test_weights_and_budget_changes_are_named():
    a, b = constructed_plans()
    ca = {
        "categories": {"elderly_care": {"weight": 0.2, "unit": "hours", "label": "养老服务"}},
        "rules": {"budget": {"enabled": True, "amount": 300000}},
    }
    cb = {
        "categories": {"elderly_care": {"weight": 0.3, "unit": "hours", "label": "养老服务"}},
        "rules": {"budget": {"enabled": True, "amount": 250000}},
    }
    ch = compare.changes(a, b, ca, cb)
    assert [s["change"] for s in ch["inputs"]["settings"]] == ["budget", "weight"]
    zh = " ".join(i for s in compare.describe(ch, "zh") for i in s["items"])
    assert "预算 300,000 → 250,000 元" in zh and "养老服务权重 0.2 → 0.3" in zh
    u1 = next(u for u in ch["units"] if u["unit_id"] == "U1")
    assert any(c["change"] == "weight" for c in u1["causes"])


# ---------------------------------------------------------------------------------------------------
# the fixed yardstick
# ---------------------------------------------------------------------------------------------------


def test_the_yardstick_does_not_move_with_the_weights():
    a, _ = constructed_plans()
    cov = a["coverage"]
    heavier = cov.assign(weight=cov["weight"] * [5.0, 1.0, 0.1])
    y1, y2 = compare.yardstick(cov), compare.yardstick(heavier)
    assert {k: v for k, v in y1.items() if k != "weighted_score"} == {
        k: v for k, v in y2.items() if k != "weighted_score"
    }
    assert y1["weighted_score"] != y2["weighted_score"]
    assert y1["coverage_by_category"] == {"elderly_care": pytest.approx(10 / 25), "mental_health": 1.0}
    assert y1["lowest_unit"] == "U1" and y1["lowest_unit_ratio"] == pytest.approx(0.4)


def test_whatif_shows_the_yardstick_and_the_weighted_score_as_its_own(tmp_path):
    cfg = write_scenario(tmp_path / "sc")
    r = invoke("whatif", str(cfg), "--set", "categories.elderly_care.weight=0.9", "--out", str(tmp_path / "w.csv"))
    assert r.exit_code == 0, r.output
    for expected in (
        "Fixed yardstick",
        "coverage, guaranteed",
        "guaranteed needs met",
        "lowest unit ratio",
        "weighted score (own weights)",
        "do not move when weights change",
    ):
        assert expected in r.stdout, expected
    df = pd.read_csv(tmp_path / "w.csv")
    assert {"coverage_guaranteed", "coverage_cat_elderly_care", "lowest_unit_ratio_fixed", "weighted_score"} <= set(df)


# ---------------------------------------------------------------------------------------------------
# numbers, times, narrow terminals
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (24000, "24,000"),
        (9805.342962505638, "9,805.34"),
        (2.999999999999999, "3"),
        (12.5, "12.5"),
        (0.00001, "0"),
        (1234567.891, "1,234,567.89"),
    ],
)
def test_numbers_are_formatted_for_people(value, text):
    assert compare.fmt_number(value) == text
    assert "e" not in fmt_qty(value) and "e" not in fmt_value(value)
    assert fmt_value(1234567.891) == "1,234,567.89" and fmt_qty(0.00001) == "0" and fmt_qty(24000) == "24,000"


def test_times_are_shown_in_the_configured_time_zone(tmp_path):
    assert compare.fmt_time("2026-12-02T04:19:02+00:00") == "2026-12-02 12:19 (UTC+08:00)"
    assert compare.fmt_time("2026-12-02T04:19:02Z", "Europe/London") == "2026-12-02 04:19 (UTC+00:00)"
    from linkage_opt.inputs.config import load_config

    assert load_config(write_scenario(tmp_path / "a")).timezone == "Asia/Shanghai"
    with pytest.raises(ValidationError, match="unknown time zone"):
        load_config(write_scenario(tmp_path / "b", config={"timezone": "Mars/Olympus"}))


def test_report_and_sheets_show_local_times(two_months):
    runs, _, _ = two_months
    html = (runs / "2026-12" / "r1" / "report.html").read_text(encoding="utf-8")
    sheets = (runs / "2026-12" / "r1" / "sheets.html").read_text(encoding="utf-8")
    assert "(UTC+08:00)" in html and "(UTC+08:00)" in sheets and "+00:00" not in sheets


def test_a_wide_table_is_stacked_at_80_columns():
    t = Table(title="wide")
    for c in ("unit", "category", "need A→B", "covered A", "covered B", "Δ covered", "ratio A→B", "note"):
        t.add_column(c)
    t.add_row("东门社区 (U1)", "elderly care (hours)", "40→60", "40", "60", "+20", "100%→100%", "a long note " * 3)
    con = Console(width=80, record=True, color_system=None)
    print_table(t, con)
    out = con.export_text()
    assert "  covered B: 60" in out and "  ratio A→B: 100%→100%" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    wide = Console(width=250, record=True, color_system=None)
    print_table(t, wide)
    assert "covered B:" not in wide.export_text()  # a wide terminal keeps the table


# ---------------------------------------------------------------------------------------------------
# explain
# ---------------------------------------------------------------------------------------------------


def test_explain_unknown_unit_or_category_is_exit_2_with_a_suggestion(two_months):
    runs, _, _ = two_months
    plan = str(runs / "2026-12" / "r1")
    r = invoke("explain", plan, "--unit", "东门社")
    assert r.exit_code == 2 and "did you mean '东门社区'" in r.stderr and "Traceback" not in r.output
    r = invoke("explain", plan, "--category", "elderly", "--lang", "zh")  # suggested as the planner writes it
    assert r.exit_code == 2 and "是否想写 '养老服务'" in r.stderr and "Traceback" not in r.output
    r = invoke("explain", plan, "--category", "elderly")
    assert r.exit_code == 2 and "did you mean 'elderly_care'" in r.stderr
    assert invoke("explain", plan, "--unit", "U1").exit_code == 0


def test_explain_lists_no_rows_of_effect_zero_and_counts_lots_in_their_own_unit(two_months):
    runs, _, _ = two_months
    plan = runs / "2026-12" / "r1"
    mv = pd.read_csv(plan / "marginal_values.csv")
    lots = mv[mv["provider_kind"] == "charity"]
    assert set(lots["per"]) <= {"yuan", "item"} and "unit of the lot" not in set(mv["per"])
    r = invoke("explain", str(plan), "--lang", "zh")
    assert r.exit_code == 0, r.output
    assert "批次单位" not in r.stdout and "0.000 个百分点" not in r.stdout
    assert "+0.000 points" not in invoke("explain", str(plan)).stdout
