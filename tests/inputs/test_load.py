"""Loading scenarios: encodings, spellings, headers, CSV/xlsx equivalence, canonical form."""

from __future__ import annotations

import copy
import io
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_TABLES, write_scenario
from rich.console import Console

from linkage_opt.analysis.summary import print_summary, summarize
from linkage_opt.errors import ValidationError
from linkage_opt.inputs.load import _Bad, load_scenario, parse_bool, parse_number
from linkage_opt.inputs.scenario import empty_table, planar_coordinates
from linkage_opt.schema import TABLES


def tables(**changes) -> dict:
    t = copy.deepcopy(TINY_TABLES)
    t.update(changes)
    return t


def problems_of(cfg) -> list:
    with pytest.raises(ValidationError) as info:
        load_scenario(cfg)
    return info.value.problems


# -- canonical form ---------------------------------------------------------------------------------


def test_tiny_scenario_is_canonical(tiny_scenario):
    sc = load_scenario(tiny_scenario)
    assert set(sc.tables) == set(TABLES)
    for name, spec in TABLES.items():
        df = sc.tables[name]
        assert list(df.columns)[: len(spec.columns)] == [c.name for c in spec.columns], name
        assert isinstance(df.index, pd.RangeIndex)
        for col in spec.columns:
            s = df[col.name]
            if col.type in ("float", "int"):
                assert s.dtype == float, (name, col.name)
            elif col.type == "bool":
                assert s.dtype == bool, (name, col.name)
            elif col.type == "date":
                assert s.dtype == "datetime64[ns]", (name, col.name)
            elif col.type == "list":
                assert all(isinstance(v, tuple) for v in s), (name, col.name)
            else:
                assert all(isinstance(v, str) for v in s), (name, col.name)
    u = sc.units
    assert u["tags"].tolist() == [("pilot",), (), ("pilot", "weak_party_org")]
    assert u["party_capacity"].isna().all()
    assert sc.volunteers["party_member"].tolist() == [True, False]
    assert sc.social_workers["max_units"].tolist() == [3.0]
    assert sc.programs["eligible_units"].tolist() == [("U1", "U2")]
    assert sc.programs["funds"].tolist() == [0.0]  # default filled
    assert sc.charity["expires"].tolist()[1] == pd.Timestamp("2026-12-20")
    assert pd.isna(sc.charity["expires"].tolist()[0])
    assert sc.charity["item"].tolist() == ["", "rice"]
    assert sc.reach["cost_per_unit"].isna().tolist() == [True, False]
    assert sc.needs["indivisible"].tolist() == [False, False, True]
    assert sc.config.period == "2026-12"


def test_hashes_and_sources(tiny_scenario):
    sc = load_scenario(tiny_scenario)
    keys = list(sc.input_hashes)
    assert keys[0].endswith("scenario.yaml")
    assert {k.rsplit("/", 1)[-1] for k in keys[1:]} == {f"{t}.csv" for t in TABLES}
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in sc.input_hashes.values())
    assert sc.sources["needs"].endswith("data/needs.csv")
    assert sc.config_path == tiny_scenario
    # a changed file changes its hash
    before = dict(sc.input_hashes)
    path = tiny_scenario.parent / "data" / "needs.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("40", "41"), encoding="utf-8")
    after = load_scenario(tiny_scenario).input_hashes
    changed = [k for k in before if before[k] != after[k]]
    assert len(changed) == 1 and changed[0].endswith("needs.csv")


def test_optional_tables_may_be_absent(tmp_path):
    cfg = write_scenario(tmp_path, drop=("programs", "charity", "reach"))
    sc = load_scenario(cfg)
    for name in ("programs", "charity", "reach"):
        pd.testing.assert_frame_equal(sc.tables[name], empty_table(name))
        assert name not in sc.sources


def test_header_only_tables_are_empty(tmp_path):
    cfg = write_scenario(tmp_path, tables=tables(volunteers=[], reach=[]))
    sc = load_scenario(cfg)
    assert len(sc.volunteers) == 0 and len(sc.reach) == 0
    assert sc.volunteers["hours"].dtype == float


# -- encodings --------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_encodings(tmp_path, encoding):
    cfg = write_scenario(tmp_path, encoding=encoding)
    if encoding == "utf-8-sig":
        assert (tmp_path / "data" / "units.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    sc = load_scenario(cfg)
    assert sc.units["name"].tolist() == ["东门社区", "西岭村", "南湖社区"]
    assert sc.units.columns[0] == "unit_id"
    assert sc.organizations["name"].tolist() == ["阳光社工服务中心"]


def test_utf16_tab_separated_unicode_text(tmp_path):
    """Excel's "Unicode text" export: UTF-16 with BOM, tab-separated."""
    cfg = write_scenario(tmp_path)
    rows = [list(TINY_TABLES["units"][0])] + [list(r.values()) for r in TINY_TABLES["units"]]
    text = "\r\n".join("\t".join(r) for r in rows) + "\r\n"
    (tmp_path / "data" / "units.csv").write_bytes(text.encode("utf-16"))
    sc = load_scenario(cfg)
    assert sc.units["name"].tolist() == ["东门社区", "西岭村", "南湖社区"]


# -- headers ----------------------------------------------------------------------------------------


def test_chinese_headers_via_aliases(tmp_path):
    zh_units = {
        "unit_id": "社区编号",
        "name": "名称",
        "town": "镇街",
        "kind": "类型",
        "population": "人口",
        "lat": "纬度",
        "lon": "经度",
        "tags": "标签",
    }
    zh_needs = {
        "unit_id": "单位编号",
        "category": "服务类别",
        "quantity": "需求量",
        "tier": "保障层级",
        "indivisible": "不可拆分",
    }
    t = tables()
    t["units"] = [{zh_units[k]: v for k, v in r.items()} for r in t["units"]]
    t["needs"] = [{zh_needs[k]: v for k, v in r.items() if k != "need_id"} for r in t["needs"]]
    zh = load_scenario(write_scenario(tmp_path / "zh", tables=t))
    en = load_scenario(write_scenario(tmp_path / "en"))
    pd.testing.assert_frame_equal(zh.units, en.units)
    pd.testing.assert_frame_equal(zh.needs, en.needs)


def test_headers_are_case_and_space_insensitive(tmp_path):
    t = tables()
    names = {"unit_id": "Unit ID", "name": " NAME ", "town": "Town", "kind": "KIND", "population": "Population"}
    t["units"] = [{names.get(k, k): v for k, v in r.items()} for r in t["units"]]
    sc = load_scenario(write_scenario(tmp_path, tables=t))
    assert sc.units["unit_id"].tolist() == ["U1", "U2", "U3"]


def test_extra_columns_are_kept(tmp_path):
    t = tables()
    for r in t["units"]:
        r["备注"] = "note " + r["unit_id"]
        r["Contact Person"] = "李"
    sc = load_scenario(write_scenario(tmp_path, tables=t))
    assert sc.units["备注"].tolist() == ["note U1", "note U2", "note U3"]
    assert "contact_person" in sc.units.columns
    assert list(sc.units.columns)[: len(TABLES["units"].columns)] == [c.name for c in TABLES["units"].columns]


def test_misspelt_header_is_not_kept_silently(tmp_path):
    t = tables()
    t["units"] = [{("populaton" if k == "population" else k): v for k, v in r.items()} for r in t["units"]]
    (p,) = problems_of(write_scenario(tmp_path, tables=t))
    assert p.row == 1 and p.column == "populaton"
    assert "did you mean 'population'?" in p.message


# -- value spellings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("1200", 1200.0),
        ("1,200", 1200.0),
        ("1 200", 1200.0),
        ("１２００", 1200.0),
        ("1,234,567.5", 1234567.5),
        (" 12.5 ", 12.5),
        ("1e3", 1000.0),
        ("-3", -3.0),
        ("１２．５", 12.5),
        ("1\u00a0200", 1200.0),
    ],
)
def test_number_spellings(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["1,2", "12kg", "NaN", "inf", "1,20,0", "", "十二", "1.2.3"])
def test_bad_numbers(text):
    with pytest.raises(_Bad):
        parse_number(text)


@pytest.mark.parametrize(
    "text, value",
    [
        ("是", True),
        ("否", False),
        ("是的", True),
        ("对", True),
        ("错", False),
        ("YES", True),
        ("no", False),
        ("Y", True),
        ("n", False),
        ("1", True),
        ("0", False),
        ("True", True),
        ("FALSE", False),
        ("t", True),
        ("F", False),
        ("１", True),
    ],
)
def test_bool_spellings(text, value):
    assert parse_bool(text) is value


def test_spellings_in_files(tmp_path):
    t = tables()
    t["units"][0]["population"] = "1,200"
    t["units"][1]["population"] = "１２００"
    t["units"][2]["population"] = "4 100"
    t["units"][0]["kind"] = "Community"
    t["needs"][0]["tier"] = "GUARANTEED"
    t["needs"][0]["indivisible"] = "否"
    t["needs"][2]["indivisible"] = "是"
    t["volunteers"][0]["party_member"] = "是的"
    t["volunteers"][1]["party_member"] = "N"
    t["volunteers"][1]["skills"] = "elderly_care；general"
    t["social_workers"][0]["skills"] = "mental_health、elderly_care"
    t["charity"][1]["expires"] = "2026/12/20"
    sc = load_scenario(write_scenario(tmp_path, tables=t))
    assert sc.units["population"].tolist() == [1200.0, 1200.0, 4100.0]
    assert sc.units["kind"].tolist() == ["community", "village", "community"]
    assert sc.needs["tier"].tolist()[0] == "guaranteed"
    assert sc.needs["indivisible"].tolist() == [False, False, True]
    assert sc.volunteers["party_member"].tolist() == [True, False]
    assert sc.volunteers["skills"].tolist()[1] == ("elderly_care", "general")
    assert sc.social_workers["skills"].tolist()[0] == ("mental_health", "elderly_care")
    assert sc.charity["expires"].tolist()[1] == pd.Timestamp("2026-12-20")


def test_blank_rows_are_skipped_but_rows_keep_their_numbers(tmp_path):
    cfg = write_scenario(tmp_path)
    path = tmp_path / "data" / "needs.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, ",,,,,")  # a blank row 3 (as Excel saves one)
    lines.insert(3, "")  # and an empty line, row 4
    lines[4] = lines[4].replace(",12,", ",twelve,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (p,) = problems_of(cfg)
    assert (p.row, p.column, p.value) == (5, "quantity", "twelve")


def test_a_blank_required_value_is_explained_in_the_readers_language(tmp_path):
    """The hint quotes the column's doc, a message id: its Chinese comes from the catalog, as in the template."""
    from linkage_opt import i18n

    t = tables()
    t["units"][0]["name"] = ""
    (p,) = problems_of(write_scenario(tmp_path, tables=t))
    assert (p.column, p.hint) == ("name", "name is required: " + TABLES["units"].column("name").doc)
    i18n.MISSES.clear()
    zh = p.render("zh")
    assert not i18n.MISSES, i18n.MISSES
    assert "name 为必填：单位名称（社区或村）。" in zh, zh


# -- generated ids and coordinates ------------------------------------------------------------------


def test_generated_need_ids(tmp_path):
    need = {"need_id": "", "unit_id": "U1", "category": "elderly_care", "quantity": "5", "tier": "", "indivisible": ""}
    rows = [
        dict(need),
        dict(need),
        dict(need, need_id="N7"),
        dict(need, unit_id="U2"),
        dict(need, unit_id="U3", need_id="U3/elderly_care/basic"),
        dict(need, unit_id="U3"),
    ]
    sc = load_scenario(write_scenario(tmp_path, tables=tables(needs=rows)))
    assert sc.needs["need_id"].tolist() == [
        "U1/elderly_care/basic",
        "U1/elderly_care/basic#3",
        "N7",
        "U2/elderly_care/basic",
        "U3/elderly_care/basic",
        "U3/elderly_care/basic#7",
    ]
    assert sc.needs["tier"].tolist() == ["basic"] * 6  # the default tier
    assert sc.needs["indivisible"].tolist() == [False] * 6


def test_lat_lon_become_km(tiny_scenario):
    sc = load_scenario(tiny_scenario)
    lat, lon = sc.units["lat"].to_numpy(), sc.units["lon"].to_numpy()
    x, y = planar_coordinates(lat, lon)
    np.testing.assert_allclose(sc.units["x_km"], x)
    np.testing.assert_allclose(sc.units["y_km"], y)
    # U1-U2: about 1.6 km apart (haversine)
    d = math.hypot(x[0] - x[1], y[0] - y[1])
    r = 6371.0
    p1, p2 = math.radians(lat[0]), math.radians(lat[1])
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon[1] - lon[0]) / 2) ** 2
    assert d == pytest.approx(2 * r * math.asin(math.sqrt(a)), rel=5e-3)


def test_planar_coordinates_kept_and_units_without_coordinates(tmp_path):
    t = tables()
    for r, (x, y) in zip(t["units"], [("0", "0"), ("3", "4"), ("", "")]):
        r.update(lat="", lon="", x_km=x, y_km=y)
    sc = load_scenario(write_scenario(tmp_path, tables=t))
    assert sc.units["x_km"].tolist()[:2] == [0.0, 3.0]
    assert sc.units["y_km"].tolist()[:2] == [0.0, 4.0]
    assert np.isnan(sc.units["x_km"].tolist()[2])


def test_mixed_coordinate_kinds_are_refused(tmp_path):
    t = tables()
    t["units"][2].update(lat="", lon="", x_km="1", y_km="2")
    (p,) = problems_of(write_scenario(tmp_path, tables=t))
    assert (p.row, p.column) == (4, "x_km") and "lat/lon" in p.message


# -- config overrides and workbooks -----------------------------------------------------------------


def test_table_file_override(tmp_path):
    cfg = write_scenario(tmp_path, config={"tables": {"needs": "needs_dec.csv"}})
    (tmp_path / "data" / "needs.csv").rename(tmp_path / "data" / "needs_dec.csv")
    sc = load_scenario(cfg)
    assert len(sc.needs) == 3 and sc.sources["needs"].endswith("needs_dec.csv")


def test_sheet_override(tmp_path):
    import openpyxl

    cfg = write_scenario(tmp_path, fmt="xlsx", config={"tables": {"needs": "需求"}})
    wb = openpyxl.load_workbook(tmp_path / "data.xlsx")
    wb["needs"].title = "需求"
    wb.save(tmp_path / "data.xlsx")
    sc = load_scenario(cfg)
    assert len(sc.needs) == 3 and sc.sources["needs"].endswith("data.xlsx [需求]")


def _summary_text(sc) -> str:
    out = io.StringIO()
    print_summary(sc, Console(file=out, width=100, color_system=None))
    return out.getvalue()


def test_xlsx_and_csv_load_the_same(tmp_path):
    csv_sc = load_scenario(write_scenario(tmp_path / "csv"))
    xl_sc = load_scenario(write_scenario(tmp_path / "xlsx", fmt="xlsx"))
    assert xl_sc.sources["needs"].endswith("data.xlsx [needs]")
    for name in TABLES:
        pd.testing.assert_frame_equal(csv_sc.tables[name], xl_sc.tables[name], check_exact=True)
    assert summarize(csv_sc) == summarize(xl_sc)
    assert _summary_text(csv_sc) == _summary_text(xl_sc)


def test_excel_cells_convert_faithfully(tmp_path):
    """Numbers stored as numbers (ints without .0), dates as dates, booleans as booleans."""
    import datetime as dt

    import openpyxl

    # unit U1 renamed 101 everywhere: the workbook stores it as a number
    t = json.loads(json.dumps(TINY_TABLES).replace('"U1"', '"101"').replace("U1;", "101;"))
    cfg = write_scenario(tmp_path, fmt="xlsx", tables=t)
    wb = openpyxl.load_workbook(tmp_path / "data.xlsx")
    assert wb["units"]["A2"].value == 101
    ws = wb["charity"]
    ws["I3"] = dt.datetime(2026, 12, 20, 0, 0)
    ws["D3"] = 30.0
    wb.save(tmp_path / "data.xlsx")
    sc = load_scenario(cfg)
    assert sc.units["unit_id"].tolist()[0] == "101"  # not "101.0"
    assert sc.needs["need_id"].tolist()[0] == "101/elderly_care/guaranteed"
    assert sc.programs["eligible_units"].tolist()[0] == ("101", "U2")
    assert sc.charity["expires"].tolist()[1] == pd.Timestamp("2026-12-20")
    assert sc.charity["quantity"].tolist()[1] == 30.0


# -- summary ----------------------------------------------------------------------------------------


def test_summary_figures(tiny_scenario):
    s = summarize(load_scenario(tiny_scenario))
    assert s["name"] == "tiny" and s["period"] == "2026-12"
    assert s["units"]["communities"] == 2 and s["units"]["villages"] == 1
    assert s["units"]["by_town"]["Dongcheng"] == {"communities": 1, "villages": 1, "population": 4050}
    assert s["needs"]["by_tier"]["guaranteed"]["rows"] == 1
    assert s["needs"]["by_category"]["material_aid"]["unit"] == "packages"
    assert s["needs"]["by_category"]["material_aid"]["quantity"] == 12
    assert s["providers"]["volunteers"] == {"count": 2, "hours": 32.5, "party_members": 1, "party_member_hours": 20}
    assert s["providers"]["social_workers"] == {"count": 1, "hours": 80}
    assert s["providers"]["programs"]["count"] == 1
    assert s["charity"]["funds"] == {"lots": 1, "yuan": 5000}
    assert s["charity"]["goods"]["items"] == {"rice": {"lots": 1, "quantity": 30}}
    assert s["reach"]["rows"] == 2
    text = _summary_text(load_scenario(tiny_scenario))
    assert "tiny" in text and "2026-12" in text and "packages" in text
    assert str(tiny_scenario.parent) not in text


def test_loaded_scenario_solves(tiny_scenario):
    """The canonical tables are what the model reads: the tiny scenario plans end to end."""
    from linkage_opt.solving.api import solve

    plan = solve(load_scenario(tiny_scenario), time_limit=10)
    assert plan.status in ("optimal", "feasible")


def test_an_unreadable_table_does_not_cascade(tmp_path):
    """A missing or unreadable table is one problem, not one per reference to it."""
    cfg = write_scenario(tmp_path)
    (tmp_path / "data" / "units.csv").unlink()
    (tmp_path / "data" / "charity.csv").write_bytes(b"\x00\x01binary")
    tables_named = [p.file.rsplit("/", 1)[-1] for p in problems_of(cfg)]
    assert tables_named == ["units.csv", "charity.csv"]
