"""Category labels (养老服务 for elderly_care) and the drop-downs' Chinese enum values are accepted wherever keys
are, in the tables and in `explain --category`; hints list the values in the user's language (#13 item 4)."""

from __future__ import annotations

import copy

import pytest
from conftest import TINY_TABLES, write_scenario
from typer.testing import CliRunner

from linkage_opt.cli.commands import app
from linkage_opt.errors import ValidationError
from linkage_opt.inputs.load import load_scenario


def _tables(**changes):
    tables = copy.deepcopy(TINY_TABLES)
    for (table, row, col), value in changes.items():
        tables[table][row][col] = value
    return tables


def test_a_category_label_is_accepted_for_its_key(tmp_path):
    tables = copy.deepcopy(TINY_TABLES)
    tables["needs"][0].update(category="养老服务", tier="兜底保障")
    tables["volunteers"][1]["skills"] = "养老服务;general"
    tables["programs"][0]["category"] = "养老服务"
    sc = load_scenario(
        write_scenario(tmp_path, tables=tables, config={"categories": {"mental_health": {"label_en": "Mental health"}}})
    )
    assert sc.needs["category"].iloc[0] == "elderly_care" and sc.needs["tier"].iloc[0] == "guaranteed"
    assert "elderly_care" in sc.volunteers["skills"].iloc[1]
    assert sc.programs["category"].iloc[0] == "elderly_care"


def test_an_english_label_is_accepted_too(tmp_path):
    tables = copy.deepcopy(TINY_TABLES)
    tables["needs"][2]["category"] = "Mental health"
    sc = load_scenario(
        write_scenario(tmp_path, tables=tables, config={"categories": {"mental_health": {"label_en": "Mental health"}}})
    )
    assert sc.needs["category"].iloc[2] == "mental_health"


def test_hints_list_values_in_the_users_language(tmp_path):
    tables = copy.deepcopy(TINY_TABLES)
    tables["needs"][0].update(category="养老", tier="兜低")
    with pytest.raises(ValidationError) as exc:
        load_scenario(write_scenario(tmp_path, tables=tables))
    by_col = {p.column: p for p in exc.value.problems}
    tier, cat = by_col["tier"], by_col["category"]
    assert "guaranteed, basic, improvement" in tier.render("en")
    zh = tier.render("zh")
    assert "兜底保障、基本服务、提升服务" in zh and "guaranteed" not in zh
    assert "elderly_care" in cat.render("en")
    zh = cat.render("zh")
    assert "养老服务" in zh and "elderly_care" not in zh and "是否想写 '养老服务'" in zh


def test_explain_category_takes_the_label(tmp_path):
    from linkage_opt.analysis.explain import attach_explanations
    from linkage_opt.solving.api import solve

    cfg = write_scenario(tmp_path)
    sc = load_scenario(cfg)
    plan = solve(sc)
    attach_explanations(plan)
    out = tmp_path / "plan"
    plan.write(out)
    r = CliRunner().invoke(app, ["--lang", "zh", "explain", str(out), "--category", "养老服务"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["--lang", "zh", "explain", str(out), "--category", "养老"])
    assert r.exit_code == 2 and "养老服务" in r.output


def test_labels_and_chinese_enum_values_in_every_column_that_takes_a_key(tmp_path):
    """The columns docs/data.md names: a charity lot's earmark, an organization's and a social worker's skills,
    a lot's kind and a unit's kind in the drop-downs' Chinese; and docs/data.md says so."""
    from pathlib import Path

    tables = copy.deepcopy(TINY_TABLES)
    tables["charity"][0].update(category="养老服务", kind="资金" if tables["charity"][0]["kind"] == "funds" else "物资")
    tables["organizations"][0]["skills"] = "养老服务"
    tables["social_workers"][0]["skills"] = "mental_health;养老服务"
    tables["units"][0]["kind"] = "社区" if tables["units"][0]["kind"] == "community" else "村"
    sc = load_scenario(write_scenario(tmp_path, tables=tables))
    assert sc.charity["category"].iloc[0] == "elderly_care"
    assert sc.charity["kind"].iloc[0] == TINY_TABLES["charity"][0]["kind"]
    assert "elderly_care" in sc.organizations["skills"].iloc[0]
    assert "elderly_care" in sc.social_workers["skills"].iloc[0]
    assert sc.units["kind"].iloc[0] == TINY_TABLES["units"][0]["kind"]
    doc = (Path(__file__).resolve().parents[2] / "docs" / "data.md").read_text(encoding="utf-8")
    assert "`养老服务` for `elderly_care`" in doc and "drop-downs offer (兜底保障/基本服务/提升服务" in doc
