"""The bundled Zhugen Town sample: loads the same from CSVs and the workbook, and plans validly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linkage_opt.cli.commands import app
from linkage_opt.inputs.load import load_scenario
from linkage_opt.solving.check import check_plan

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "configs" / "zhugen.yaml"
XLSX = ROOT / "configs" / "zhugen_xlsx.yaml"


def test_validate_prints_identical_summaries_for_csv_and_workbook():
    a = CliRunner().invoke(app, ["validate", str(CSV)], terminal_width=120)
    b = CliRunner().invoke(app, ["validate", str(XLSX)], terminal_width=120)
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    assert a.output == b.output


def test_csv_and_workbook_give_the_same_tables():
    a, b = load_scenario(CSV), load_scenario(XLSX)
    for name in a.tables:
        assert a.tables[name].reset_index(drop=True).equals(b.tables[name].reset_index(drop=True)), name


@pytest.fixture(scope="module")
def sample_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("zhugen") / "plan"
    # a generous time limit: CI machines may be slower or busy; the plan must still be proven optimal
    r = CliRunner().invoke(
        app, ["plan", str(CSV), "--out", str(out), "--baseline", "--time-limit", "600"], terminal_width=160
    )
    assert r.exit_code == 0, r.output
    return out


def test_sample_plan_is_optimal_and_every_rule_holds(sample_plan):
    import pandas as pd

    summary = json.loads((sample_plan / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "optimal"
    assert summary["metrics"]["guaranteed_met"] == summary["metrics"]["guaranteed_needs"]
    tables = {
        n: pd.read_csv(
            sample_plan / f"{n}.csv",
            encoding="utf-8-sig",
            keep_default_na=False,
            dtype={"need_id": str, "program_id": str, "unit_id": str, "provider_id": str},
        )
        for n in ("allocations", "coverage", "providers", "programs")
    }
    assert not check_plan(load_scenario(CSV), tables, summary)


def test_sample_plan_beats_the_rule_of_thumb(sample_plan):
    cmp = json.loads((sample_plan / "baseline.json").read_text(encoding="utf-8"))
    assert cmp["optimized"]["weighted_coverage"] > cmp["baseline"]["weighted_coverage"]
    assert cmp["optimized"]["guaranteed_met"] >= cmp["baseline"]["guaranteed_met"]


def test_sample_plan_gives_the_workbook_and_report_in_both_languages(sample_plan, tmp_path):
    import openpyxl

    summary = json.loads((sample_plan / "summary.json").read_text(encoding="utf-8"))
    coverage = f"{summary['metrics']['weighted_coverage'] * 100:.1f}%"
    r = CliRunner().invoke(app, ["report", str(sample_plan), "--lang", "zh", "--out", str(tmp_path / "zh")])
    assert r.exit_code == 0, r.output
    for lang, folder, sheet, words in (
        ("en", sample_plan, "Coverage", ("Headline figures", "Elderly care")),
        ("zh", tmp_path / "zh", "需求满足", ("核心指标", "养老服务", "兜底保障需求")),
    ):
        wb = openpyxl.load_workbook(folder / "plan.xlsx")
        n_needs = len((sample_plan / "coverage.csv").read_text(encoding="utf-8-sig").splitlines()) - 1
        assert wb[sheet].max_row == 1 + n_needs, lang  # header + one row per need
        html = (folder / "report.html").read_text(encoding="utf-8")
        assert coverage in html and all(w in html for w in words), lang
