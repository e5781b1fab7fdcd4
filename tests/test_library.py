"""The library boundary (issue #12, item 5): typed errors only, a scenario that cannot be changed in place,
and solve() validating what it is given with the loader's own messages."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from conftest import TINY_TABLES, write_scenario
from rich.console import Console
from typer.testing import CliRunner

import linkage_opt as lo
from linkage_opt.cli import commands as cli
from linkage_opt.inputs.scenario import ReadOnlyFrame


@pytest.fixture
def sc(tiny_scenario):
    return lo.load_scenario(tiny_scenario)


def _cli_problem_lines(tmp_path, monkeypatch, tables) -> list[str]:
    monkeypatch.setattr(cli, "err_console", Console(stderr=True, width=10_000))
    cfg = write_scenario(tmp_path / "cli", tables=tables)
    r = CliRunner().invoke(cli.app, ["validate", str(cfg)])
    assert r.exit_code == 2, r.output
    return [ln.strip()[2:] for ln in r.stderr.splitlines() if ln.strip().startswith("- ")]


def test_solve_refuses_a_negative_need_set_with_dataclasses_replace(sc, tmp_path, monkeypatch):
    needs = sc.needs.copy()
    needs.loc[1, "quantity"] = -7
    bad = dataclasses.replace(sc, tables={**sc.tables, "needs": needs})
    with pytest.raises(lo.ValidationError) as info:
        lo.solve(bad)
    assert info.value.exit_code == 2
    got = [str(p) for p in info.value.problems]
    # the same message as `linkage-opt validate` on a file holding -7 in that cell
    tables = {**TINY_TABLES, "needs": [dict(r) for r in TINY_TABLES["needs"]]}
    tables["needs"][1]["quantity"] = "-7"
    expected = _cli_problem_lines(tmp_path, monkeypatch, tables)
    assert [g.replace(str(sc.config_path.parent), "") for g in got] == [
        e.replace(str(tmp_path / "cli"), "") for e in expected
    ], (got, expected)
    assert got[0].endswith(
        "data/needs.csv, row 3, column quantity: must not be negative (value: '-7') -- hint: give 0 or more"
    )


@pytest.mark.parametrize(
    "table, change, expect",
    [
        ("needs", lambda f: f.drop(columns="quantity"), "column quantity: missing required column 'quantity'"),
        ("needs", lambda f: f.assign(unit_id="U9"), "column unit_id: unknown unit 'U9'"),
        ("needs", lambda f: f.assign(tier="urgent"), "column tier: 'urgent' is not one of"),
        ("volunteers", lambda f: f.assign(hours=float("inf")), "column hours: not a finite number"),
        ("charity", lambda f: f.assign(quantity=1e308), "column quantity: is larger than the limit of 1e+12"),
        ("charity", lambda f: f.assign(expires=pd.Timestamp("2250-01-01")), "column expires: the date is outside"),
        ("units", lambda f: f.iloc[:0], "the units table has no rows"),
        ("reach", lambda f: f.assign(provider_id="nobody"), "column provider_id: unknown provider 'nobody'"),
    ],
)
def test_solve_validates_every_kind_of_change(sc, table, change, expect):
    bad = dataclasses.replace(sc, tables={**sc.tables, table: change(sc.tables[table])})
    with pytest.raises(lo.ValidationError) as info:
        lo.solve(bad)
    assert any(expect in str(p) for p in info.value.problems), str(info.value)


def test_a_config_changed_past_pydantic_is_validated_again(sc):
    bad = sc.replace(config=sc.config.model_copy(update={"period": "2026/12"}))
    with pytest.raises(lo.ValidationError) as info:
        lo.solve(bad)
    assert "column period: period: Value error, period must look like 2026-12" in str(info.value)


def test_solve_takes_a_scenario_only():
    with pytest.raises(lo.ValidationError, match="expected a Scenario, got str"):
        lo.solve("configs/zhugen.yaml")


def test_a_scenario_without_every_table_is_a_validation_error(sc):
    tables = {k: v for k, v in sc.tables.items() if k != "reach"}
    with pytest.raises(lo.ValidationError, match="missing table 'reach'"):
        dataclasses.replace(sc, tables=tables)
    with pytest.raises(lo.ValidationError, match="table 'needs' is not a DataFrame"):
        dataclasses.replace(sc, tables={**sc.tables, "needs": [1, 2]})


def test_a_loaded_scenario_is_not_validated_twice(sc, monkeypatch):
    import linkage_opt.inputs.load as load

    assert sc.is_validated
    assert load.validate_scenario(sc) is sc
    again = load.validate_scenario(sc.replace(needs=sc.needs.copy()))
    assert again.is_validated and load.validate_scenario(again) is again


@pytest.mark.parametrize(
    "mutate",
    [
        lambda f: f.loc.__setitem__((0, "quantity"), -7),
        lambda f: f.iloc.__setitem__((0, 3), -7),
        lambda f: f.at.__setitem__((0, "quantity"), -7),
        lambda f: f.iat.__setitem__((0, 3), -7),
        lambda f: f.__setitem__("quantity", 0),
        lambda f: setattr(f, "quantity", 0),
        lambda f: f.__delitem__("quantity"),
        lambda f: f.insert(0, "x", 1),
        lambda f: f.pop("quantity"),
        lambda f: f.fillna(0, inplace=True),
        lambda f: f.replace(40.0, -7.0, inplace=True),
        lambda f: f.sort_values("quantity", inplace=True),
        lambda f: f.drop(columns="tier", inplace=True),
        lambda f: f.mask(f.isna(), inplace=True),
        lambda f: setattr(f, "index", [9, 8, 7]),
        lambda f: setattr(f, "columns", list("abcdef")),
    ],
)
def test_scenario_tables_cannot_be_changed_in_place(sc, mutate):
    before = sc.needs.copy()
    with pytest.raises(TypeError, match="scenario tables are read-only"):
        mutate(sc.needs)
    pd.testing.assert_frame_equal(pd.DataFrame(sc.needs), before)


def test_arrays_and_derived_frames_cannot_reach_back_into_the_scenario(sc):
    before = sc.needs.copy()
    with pytest.raises(ValueError):
        sc.needs["quantity"].to_numpy()[0] = -7  # copy-on-write: a read-only view
    with pytest.raises(ValueError):
        sc.needs["quantity"].values[0] = -7
    derived = sc.needs[sc.needs["quantity"] > 0]  # a plain, writable DataFrame ...
    assert type(derived) is pd.DataFrame and not isinstance(sc.needs.copy(), ReadOnlyFrame)
    derived.loc[derived.index[0], "quantity"] = -7  # ... whose changes stay in it
    col = sc.needs["quantity"]
    col.iloc[0] = -7
    pd.testing.assert_frame_equal(pd.DataFrame(sc.needs), before)


def test_a_frame_handed_to_a_scenario_is_not_changed_through_it_later(sc):
    needs = sc.needs.copy()
    new = sc.replace(needs=needs)
    needs.loc[0, "quantity"] = -7  # the caller's own frame, after the fact
    assert float(new.needs.loc[0, "quantity"]) == 40.0


def test_load_scenario_raises_typed_errors_only(tmp_path):
    for bad in ("conf\0ig.yaml", tmp_path / "missing.yaml", tmp_path, 42):
        with pytest.raises(lo.ValidationError) as info:
            lo.load_scenario(bad)
        assert info.value.exit_code == 2 and info.value.problems
    with pytest.raises(lo.ValidationError, match="the path contains a NUL byte"):
        lo.load_scenario("conf\0ig.yaml")
    with pytest.raises(lo.ValidationError, match="the config is a folder, not a file"):
        lo.load_scenario(tmp_path)


def test_plan_read_of_a_missing_or_damaged_folder_is_a_typed_error(tmp_path, tiny_scenario):
    with pytest.raises(lo.ValidationError, match=r"not a linkage-opt plan folder \(no summary.json\)"):
        lo.Plan.read(tmp_path / "missing")
    with pytest.raises(lo.ValidationError, match="not a linkage-opt plan folder"):
        lo.Plan.read("pl\0an")
    plan = lo.solve(lo.load_scenario(tiny_scenario))
    plan.write(tmp_path / "p")
    (tmp_path / "p" / "allocations.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(lo.ValidationError, match="cannot read the plan file"):
        lo.Plan.read(tmp_path / "p")
    (tmp_path / "p" / "allocations.csv").unlink()
    with pytest.raises(lo.ValidationError, match=r"allocations\.csv: cannot read the plan file: FileNotFoundError"):
        lo.Plan.read(tmp_path / "p")


def test_check_of_a_plan_with_a_damaged_summary_is_exit_2(tmp_path, tiny_scenario):
    plan = lo.solve(lo.load_scenario(tiny_scenario))
    plan.write(tmp_path / "p")
    (tmp_path / "p" / "summary.json").write_text("{not json", encoding="utf-8")
    r = CliRunner().invoke(cli.app, ["check", str(tmp_path / "p")], terminal_width=400)
    assert r.exit_code == 2 and "cannot read the plan file: JSONDecodeError" in r.output, r.output
    assert "internal error" not in r.output
