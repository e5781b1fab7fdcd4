"""A scenario built in memory from a config mapping and pandas DataFrames (issue #16, item 3):
``lo.scenario_from_frames`` checks the frames as the loader checks files, with the same messages."""

from __future__ import annotations

import copy
import re

import pandas as pd
import pytest
from conftest import TINY_CONFIG, TINY_TABLES, write_scenario

import linkage_opt as lo
from linkage_opt.schema import TABLE_ORDER


def _frames(tables: dict | None = None, drop: tuple[str, ...] = ()) -> dict[str, pd.DataFrame]:
    data = {**copy.deepcopy(TINY_TABLES), **(tables or {})}
    return {
        name: pd.DataFrame(rows, columns=list(rows[0]) if rows else list(TINY_TABLES[name][0]))
        for name, rows in data.items()
        if name not in drop
    }


def _file_problems(tmp_path, tables=None, drop=(), config=None) -> list[str]:
    cfg = write_scenario(tmp_path / "files", tables=tables, drop=drop, config=config)
    with pytest.raises(lo.ValidationError) as info:
        lo.load_scenario(cfg)
    folder = str(tmp_path / "files" / "data") + "/"
    # the same problems, with a table's name where the file's path was
    return [
        re.sub(r"\b(\w+)\.csv\b", r"\1", str(p).replace(folder, "")).replace(str(cfg), "config")
        for p in info.value.problems
    ]


def _frame_problems(tables=None, drop=(), config=None) -> list[str]:
    cfg = copy.deepcopy(TINY_CONFIG)
    cfg.update(config or {})
    with pytest.raises(lo.ValidationError) as info:
        lo.scenario_from_frames(cfg, _frames(tables, drop))
    assert info.value.exit_code == 2
    return [str(p) for p in info.value.problems]


def test_good_frames_give_the_scenario_the_files_give_and_it_solves(tiny_scenario):
    from_files = lo.load_scenario(tiny_scenario)
    sc = lo.scenario_from_frames(TINY_CONFIG, _frames())
    assert sc.is_validated and sc.config_path is None
    assert sc.config.model_dump(exclude={"data"}) == from_files.config.model_dump(exclude={"data"})
    for name in TABLE_ORDER:
        pd.testing.assert_frame_equal(pd.DataFrame(sc.tables[name]), pd.DataFrame(from_files.tables[name]))
    plan = lo.solve(sc, time_limit=20)
    expect = lo.solve(from_files, time_limit=20)
    assert plan.status == expect.status == "optimal"
    pd.testing.assert_frame_equal(plan.coverage, expect.coverage)
    pd.testing.assert_frame_equal(plan.allocations, expect.allocations)


def test_typed_frames_and_chinese_headers_are_read_as_their_text():
    frames = _frames()
    units = frames["units"].assign(population=[3200, 850, 4100], lat=[30.2741, 30.28, 30.25])
    frames["units"] = units.rename(columns={"population": "人口"})
    frames["needs"] = frames["needs"].assign(quantity=frames["needs"]["quantity"].astype(float), indivisible=False)
    sc = lo.scenario_from_frames(TINY_CONFIG, frames)
    assert sc.units["population"].tolist() == [3200.0, 850.0, 4100.0]
    assert sc.needs["indivisible"].dtype == bool
    assert sc.origins["units"].label("population") == "population (人口)"


@pytest.mark.parametrize(
    "tables, drop",
    [
        ({"needs": [{**r, "quantity": "-7"} if i == 1 else r for i, r in enumerate(TINY_TABLES["needs"])]}, ()),
        ({"needs": [{k: v for k, v in r.items() if k != "quantity"} for r in TINY_TABLES["needs"]]}, ()),
        ({"needs": [{**r, "unit_id": "U9", "tier": "urgent"} for r in TINY_TABLES["needs"]]}, ()),
        (
            {
                "volunteers": [{**r, "hours": "lots"} for r in TINY_TABLES["volunteers"]],
                "units": [{**r, "unit_id": "U1"} for r in TINY_TABLES["units"]],
            },
            (),
        ),
        ({"units": []}, ()),
        ({}, ("needs",)),
    ],
)
def test_bad_frames_give_the_problems_the_equivalent_files_give(tmp_path, tables, drop):
    from_files = _file_problems(tmp_path, tables, drop)
    from_frames = _frame_problems(tables, drop)
    if drop:  # a missing file is a missing table: said in a table's words, not a folder's
        assert from_frames == [
            "needs: the needs table is missing -- hint: give tables['needs'] as a pandas "
            "DataFrame with the columns of docs/data.md"
        ]
        assert len(from_files) == 1 and "the needs table is missing: file not found" in from_files[0]
        return
    assert from_frames == from_files
    assert all(p.split(",")[0].split(":")[0] in TABLE_ORDER for p in from_frames)


def test_a_bad_config_is_reported_with_the_tables_problems(tmp_path):
    tables = {"needs": [{**r, "category": "nursing"} for r in TINY_TABLES["needs"]]}
    got = _frame_problems(tables, config={"period": "2026/12"})
    assert got[0].startswith("config, column period: period: Value error, period must look like 2026-12")
    assert any(p.startswith("needs, row 2, column category: unknown category 'nursing'") for p in got), got
    assert got == _file_problems(tmp_path, tables, config={"period": "2026/12"})


def test_unknown_tables_and_non_frames_are_typed_errors():
    frames = _frames()
    frames["need"] = frames.pop("needs")
    frames["units"] = [{"unit_id": "U1"}]
    with pytest.raises(lo.ValidationError) as info:
        lo.scenario_from_frames(TINY_CONFIG, frames)
    got = [str(p) for p in info.value.problems]
    assert "tables: unknown table 'need' -- hint: did you mean 'needs'? the tables are " in got[0]
    assert "units: the units table is not a pandas DataFrame (value: 'list')" in got[1]
    assert "needs: the needs table is missing" in got[2]
    with pytest.raises(lo.ValidationError, match="tables must be a mapping"):
        lo.scenario_from_frames(TINY_CONFIG, [1, 2])
    with pytest.raises(lo.ValidationError, match="the config must be a YAML mapping"):
        lo.scenario_from_frames("tiny.yaml", _frames())


def test_a_plain_scenario_of_frames_is_validated_by_solve_not_a_key_error():
    """``lo.Scenario(config, frames)`` of raw text frames: solve checks them, with typed errors only."""
    from linkage_opt.inputs.config import parse_config

    cfg = parse_config(TINY_CONFIG, "config")
    frames = _frames()
    frames["reach"] = pd.DataFrame(columns=["provider_id", "unit_id"])
    plan = lo.solve(lo.Scenario(cfg, frames), time_limit=20)
    assert plan.status == "optimal"
    frames["needs"] = frames["needs"].drop(columns="quantity")
    with pytest.raises(lo.ValidationError, match="missing required column 'quantity'"):
        lo.solve(lo.Scenario(cfg, frames), time_limit=20)
