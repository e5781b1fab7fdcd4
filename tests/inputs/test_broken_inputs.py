"""The broken-input corpus: each case starts from the tiny valid scenario (tests/conftest.py), applies one
mutation, and runs the real ``linkage-opt validate``. Every case must exit 2, name the file, row and
column of the problem, show no traceback, and write nothing into the scenario folder.

Most cases run in-process through typer's CliRunner (fast); a few run the CLI as a subprocess.
Byte-level fixtures (a GBK file, a binary file) live in ``tests/inputs/broken/``.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import TINY_TABLES, write_scenario
from rich.console import Console
from typer.testing import CliRunner

from linkage_opt.cli import commands as cli

BROKEN = Path(__file__).parent / "broken"

Tables = dict[str, list[dict[str, str]]]


@dataclass
class Case:
    id: str
    expect: list[str]  # substrings of stderr, in the user's terms
    tables: Callable[[Tables], None] | None = None  # mutate the rows before writing
    config: dict = field(default_factory=dict)  # config overrides
    post: Callable[[Path], None] | None = None  # mutate the written files (root folder)
    fmt: str = "csv"
    encoding: str = "utf-8"
    subprocess: bool = False
    args: list[str] = field(default_factory=list)  # `plan` with these options (default: `validate`)
    absent: list[str] = field(default_factory=list)  # must not appear in the output
    limits: dict = field(default_factory=dict)  # linkage_opt.limits patched (in-process cases only)


def cell(table: str, row: int, column: str, value: str) -> Callable[[Tables], None]:
    """Set one cell, addressed as in the spreadsheet (row 2 is the first data row)."""

    def f(t: Tables) -> None:
        t[table][row - 2][column] = value

    return f


def rename(table: str, old: str, new: str) -> Callable[[Tables], None]:
    def f(t: Tables) -> None:
        t[table] = [{(new if k == old else k): v for k, v in r.items()} for r in t[table]]

    return f


def drop_column(table: str, column: str) -> Callable[[Tables], None]:
    def f(t: Tables) -> None:
        for r in t[table]:
            del r[column]

    return f


def append(table: str, **row: str) -> Callable[[Tables], None]:
    def f(t: Tables) -> None:
        t[table].append({**{k: "" for k in t[table][0]}, **row})

    return f


def both(*fs: Callable[[Tables], None]) -> Callable[[Tables], None]:
    def f(t: Tables) -> None:
        for g in fs:
            g(t)

    return f


def _remove(rel: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).unlink()


def _copy_fixture(name: str, rel: str) -> Callable[[Path], None]:
    return lambda root: shutil.copyfile(BROKEN / name, root / rel)


def _write(rel: str, text: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).write_text(text, encoding="utf-8")


def _append_line(rel: str, line: str) -> Callable[[Path], None]:
    def f(root: Path) -> None:
        with open(root / rel, "a", encoding="utf-8") as fh:
            fh.write(line)

    return f


def _replace_bytes(rel: str, old: bytes, new: bytes) -> Callable[[Path], None]:
    def f(root: Path) -> None:
        data = (root / rel).read_bytes()
        assert old in data
        (root / rel).write_bytes(data.replace(old, new, 1))

    return f


def _gbk_with_bad_byte(root: Path) -> None:
    """needs.csv in GBK (Chinese headers) with one byte no GBK/GB18030 text has, in row 3."""
    text = (root / "data" / "needs.csv").read_text(encoding="utf-8")
    text = text.replace("need_id,unit_id", "需求编号,单位编号", 1)
    lines = text.encode("gbk").split(b"\n")
    lines[2] = lines[2].replace(b"material_aid", b"material\xffaid")
    (root / "data" / "needs.csv").write_bytes(b"\n".join(lines))


def _make_folder(rel: str) -> Callable[[Path], None]:
    def f(root: Path) -> None:
        (root / rel).unlink()
        (root / rel).mkdir()

    return f


def _symlink(rel: str, target: str) -> Callable[[Path], None]:
    def f(root: Path) -> None:
        (root / rel).unlink()
        (root / rel).symlink_to(target)

    return f


def _fifo(rel: str) -> Callable[[Path], None]:
    def f(root: Path) -> None:
        import os

        (root / rel).unlink()
        os.mkfifo(root / rel)

    return f


def _config_text(text: str) -> Callable[[Path], None]:
    return lambda root: (root / "scenario.yaml").write_text(text, encoding="utf-8")


def _edit_config(fn: Callable[[str], str]) -> Callable[[Path], None]:
    def f(root: Path) -> None:
        p = root / "scenario.yaml"
        p.write_text(fn(p.read_text(encoding="utf-8")), encoding="utf-8")

    return f


def _passwd_as_units(root: Path) -> None:
    """tables: {units: ../../etc/passwd}: a file that is no scenario table, named relative to the data folder."""
    import os

    rel = os.path.relpath("/etc/passwd", root / "data")
    _edit_config(lambda text: text + f"tables:\n  units: {rel}\n")(root)


def _xlsx_cell(sheet: str, row: int, column: int, value) -> Callable[[Path], None]:
    def f(root: Path) -> None:
        import openpyxl

        wb = openpyxl.load_workbook(root / "data.xlsx")
        wb[sheet].cell(row=row, column=column, value=value)
        wb.save(root / "data.xlsx")

    return f


ALIAS_BOMB = "b0: &b0 [x]\n" + "".join([f"b{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 10) + "]\n" for i in range(1, 7)])


def _chinese_gbk_needs(t: Tables) -> None:
    """needs with Chinese headers; saved as GBK like Excel/WPS on Chinese Windows; a number written in words."""
    names = {"unit_id": "单位编号", "category": "类别", "quantity": "数量", "tier": "层级", "indivisible": "不可拆分"}
    t["needs"] = [{names.get(k, k): v for k, v in r.items() if k != "need_id"} for r in t["needs"]]
    t["needs"][1]["数量"] = "十二"


CASES = [
    Case(
        "missing-column",
        ["needs.csv, row 1, column quantity: missing required column 'quantity'", "数量"],
        tables=drop_column("needs", "quantity"),
    ),
    Case(
        "misspelt-header",
        ["needs.csv, row 1, column quantty: unknown column 'quantty' (did you mean 'quantity'?)"],
        tables=rename("needs", "quantity", "quantty"),
    ),
    Case(
        "negative-hours",
        ["volunteers.csv, row 2, column hours: must not be negative", "'-5'"],
        tables=cell("volunteers", 2, "hours", "-5"),
    ),
    Case(
        "nan-quantity",
        ["needs.csv, row 3, column quantity: not a finite number", "'NaN'"],
        tables=cell("needs", 3, "quantity", "NaN"),
    ),
    Case(
        "text-in-number",
        ["units.csv, row 4, column population: not a number", "'about 4000'"],
        tables=cell("units", 4, "population", "about 4000"),
    ),
    Case(
        "duplicate-unit-id",
        ["units.csv, row 5, column unit_id: duplicate unit_id 'U1' (first on row 2)"],
        tables=append("units", unit_id="U1", name="重复", town="Nanhu", kind="village", population="10"),
    ),
    Case(
        "unknown-unit",
        ["needs.csv, row 2, column unit_id: unknown unit 'U9'"],
        tables=cell("needs", 2, "unit_id", "U9"),
    ),
    Case(
        "unknown-category",
        ["needs.csv, row 2, column category: unknown category 'elderly_cair'", "did you mean 'elderly_care'?"],
        tables=cell("needs", 2, "category", "elderly_cair"),
    ),
    Case(
        "bad-boolean",
        ["volunteers.csv, row 3, column party_member: not a yes/no value", "'maybe'", "是/否"],
        tables=cell("volunteers", 3, "party_member", "maybe"),
    ),
    Case(
        "bad-tier",
        [
            "needs.csv, row 4, column tier: 'guarantee' is not one of guaranteed, basic, improvement",
            "did you mean 'guaranteed'?",
        ],
        tables=cell("needs", 4, "tier", "guarantee"),
    ),
    Case(
        "earmark-unknown-town",
        ["charity.csv, row 3, column town: unknown town 'Xicheng'"],
        tables=cell("charity", 3, "town", "Xicheng"),
    ),
    Case(
        "goods-item-unused",
        ["charity.csv, row 3, column item: no category uses item 'flour'"],
        tables=cell("charity", 3, "item", "flour"),
    ),
    Case(
        "funds-with-item",
        ["charity.csv, row 2, column item: a funds lot must not have an item"],
        tables=cell("charity", 2, "item", "rice"),
    ),
    Case(
        "goods-without-item",
        ["charity.csv, row 3, column item: a goods lot needs an item", "rice"],
        tables=cell("charity", 3, "item", ""),
    ),
    Case(
        "missing-file",
        ["needs.csv: the needs table is missing: file not found"],
        post=_remove("data/needs.csv"),
        subprocess=True,
    ),
    Case(
        "missing-sheet",
        ["data.xlsx: the needs table is missing: no sheet 'needs'", "sheets found: units, volunteers"],
        fmt="xlsx",
        post=lambda root: _drop_sheet(root / "data.xlsx", "needs"),
    ),
    Case(
        "binary-file",
        ["units.csv: cannot read the file as CSV: binary content"],
        post=_copy_fixture("binary.csv", "data/units.csv"),
    ),
    Case(
        "xlsx-saved-as-csv",
        ["volunteers.csv: cannot read the file as CSV: this is a zip file"],
        post=_copy_fixture("workbook.xlsx", "data/volunteers.csv"),
    ),
    Case(
        "corrupt-workbook",
        ["data.xlsx: cannot open the workbook: not a valid .xlsx file"],
        fmt="xlsx",
        post=_write("data.xlsx", "this is not a workbook\n"),
    ),
    Case("empty-needs", ["needs.csv: the needs table has no rows"], tables=lambda t: t.update(needs=[])),
    Case(
        "bad-yaml",
        ["scenario.yaml, row 3, column 18: not valid YAML"],
        post=_write("scenario.yaml", "period: '2026-12'\ndata: data\ncategories: {a: [}\n"),
        subprocess=True,
    ),
    Case(
        "unknown-config-key",
        ["scenario.yaml, column solvr: unknown key 'solvr'", "did you mean 'solver'?"],
        config={"solvr": {"backend": "highs"}},
    ),
    Case(
        "bad-period",
        ["scenario.yaml, column period: period: Value error, period must look like 2026-12", "'2026/12'"],
        config={"period": "2026/12"},
    ),
    Case(
        "lat-without-lon",
        ["units.csv, row 3, column lon: lat is given without lon"],
        tables=cell("units", 3, "lon", ""),
    ),
    Case(
        "lat-out-of-range",
        ["units.csv, row 2, column lat: lat must be between -90 and 90", "'302.741'"],
        tables=cell("units", 2, "lat", "302.741"),
    ),
    Case(
        "duplicate-provider",
        ["charity.csv, row 2, column lot_id: provider id 'V1' is also used in", "volunteers.csv, row 2"],
        tables=cell("charity", 2, "lot_id", "V1"),
    ),
    Case(
        "non-integer-max-units",
        ["social_workers.csv, row 2, column max_units: must be a whole number", "'2.5'"],
        tables=cell("social_workers", 2, "max_units", "2.5"),
    ),
    Case(
        "max-units-zero",
        ["social_workers.csv, row 2, column max_units: must be at least 1"],
        tables=cell("social_workers", 2, "max_units", "0"),
    ),
    Case(
        "bad-date",
        ["charity.csv, row 3, column expires: not a date", "'next month'", "YYYY-MM-DD"],
        tables=cell("charity", 3, "expires", "next month"),
    ),
    Case(
        "impossible-date",
        ["charity.csv, row 3, column expires: not a real date", "'2026-02-30'"],
        tables=cell("charity", 3, "expires", "2026-02-30"),
    ),
    Case(
        "indivisible-zero",
        ["needs.csv, row 4, column quantity: an indivisible need must have quantity > 0"],
        tables=cell("needs", 4, "quantity", "0"),
    ),
    Case(
        "gbk-bad-number",
        ["needs.csv, row 3, column quantity (数量): not a number", "'十二'"],
        tables=_chinese_gbk_needs,
        encoding="gbk",
        subprocess=True,
    ),
    Case(
        "gbk-fixture-bad-number",
        ["1 input problem found", "needs.csv, row 4, column quantity (数量): not a number", "'１２件'"],
        post=_copy_fixture("needs_gbk.csv", "data/needs.csv"),
    ),
    Case(
        "unknown-skill",
        ["volunteers.csv, row 3, column skills: unknown skill 'cooking'"],
        tables=cell("volunteers", 3, "skills", "elderly_care;cooking"),
    ),
    Case(
        "org-skill-general",
        ["organizations.csv, row 2, column skills: unknown skill 'general'"],
        tables=cell("organizations", 2, "skills", "general"),
    ),
    Case(
        "eligible-unit-unknown",
        ["programs.csv, row 2, column eligible_units: unknown unit 'U7'"],
        tables=cell("programs", 2, "eligible_units", "U1、U7"),
    ),
    Case(
        "unknown-organization",
        ["programs.csv, row 2, column org_id: unknown organization 'O2'"],
        tables=cell("programs", 2, "org_id", "O2"),
    ),
    Case(
        "unknown-provider",
        ["reach.csv, row 3, column provider_id: unknown provider 'W9'"],
        tables=cell("reach", 3, "provider_id", "W9"),
    ),
    Case(
        "required-blank",
        ["units.csv, row 2, column name: required value is blank"],
        tables=cell("units", 2, "name", "  "),
    ),
    Case(
        "ragged-row",
        ["needs.csv, row 5: the row has 7 cells but the header has 6 columns"],
        post=_append_line("data/needs.csv", "n9,U1,relief,5,basic,false,oops\n"),
    ),
    Case(
        "data-not-found", ["scenario.yaml, column data: data folder or workbook not found"], config={"data": "nowhere"}
    ),
    Case(
        "xlsx-bad-number",
        ["data.xlsx [sheet needs], row 3, column quantity: not a number", "'12 packs'"],
        tables=cell("needs", 3, "quantity", "12 packs"),
        fmt="xlsx",
    ),
    Case(
        "duplicate-header",
        ["units.csv, row 1, column unit_id: column 'unit_id' appears twice"],
        tables=lambda t: [r.update({"单位编号": r["unit_id"]}) for r in t["units"]],
    ),
    # three invalid bytes in one name: refused (row and offset), never read in a guessed code page
    Case(
        "garbled-utf8-name",
        [
            "units.csv, row 3: cannot read the file as CSV: invalid UTF-8 at byte offset",
            "(0x80); the file is not GBK/GB18030 text either",
            "no other encoding is guessed",
        ],
        post=_replace_bytes("data/units.csv", "西岭村".encode(), "西".encode() + b"\x80\x81\xff" + "村".encode()),
    ),
    Case(
        "garbled-gbk",
        [
            "needs.csv, row 3: cannot read the file as CSV: invalid GBK/GB18030 at byte offset",
            "(0xFF); the file is not UTF-8 text either",
        ],
        post=_gbk_with_bad_byte,
    ),
    # -- numbers: finite and within the ceiling of 1e12, named with file, row and column (every table) ----
    Case(
        "quantity-1e308",
        ["needs.csv, row 2, column quantity: is larger than the limit of 1e+12", "'1e308'"],
        tables=cell("needs", 2, "quantity", "1e308"),
    ),
    Case(
        "population-too-large",
        ["units.csv, row 2, column population: is larger than the limit of 1e+12"],
        tables=cell("units", 2, "population", "12000000000000"),
    ),
    Case(
        "hours-inf",
        ["volunteers.csv, row 2, column hours: not a finite number", "'inf'"],
        tables=cell("volunteers", 2, "hours", "inf"),
    ),
    Case(
        "worker-cost-too-large",
        ["social_workers.csv, row 2, column cost_per_hour: is larger than the limit"],
        tables=cell("social_workers", 2, "cost_per_hour", "5e15"),
    ),
    Case(
        "org-capacity-negative",
        ["organizations.csv, row 2, column capacity: must not be negative"],
        tables=cell("organizations", 2, "capacity", "-1"),
    ),
    Case(
        "program-output-text",
        ["programs.csv, row 2, column output_per_instance: not a number", "'ten'"],
        tables=cell("programs", 2, "output_per_instance", "ten"),
    ),
    Case(
        "lot-quantity-1e300",
        ["charity.csv, row 2, column quantity: is larger than the limit of 1e+12"],
        tables=cell("charity", 2, "quantity", "1e300"),
    ),
    Case(
        "reach-load-too-large",
        ["reach.csv, row 3, column load_per_unit: is larger than the limit of 1e+12"],
        tables=cell("reach", 3, "load_per_unit", "1e200"),
    ),
    # -- dates in 1900-01-01 .. 2199-12-31 (not OutOfBoundsDatetime, exit 4) ----------------------------
    Case(
        "expires-9999",
        [
            "charity.csv, row 3, column expires: the date is outside 1900-01-01 .. 2199-12-31",
            "'9999-12-31'",
            "leave expires blank",
        ],
        tables=cell("charity", 3, "expires", "9999-12-31"),
    ),
    Case(
        "expires-1600",
        ["charity.csv, row 3, column expires: the date is outside", "'1600-01-01'"],
        tables=cell("charity", 3, "expires", "1600-01-01"),
    ),
    Case(
        "xlsx-expires-9999",
        ["data.xlsx [sheet charity], row 3, column expires: the date is outside"],
        tables=cell("charity", 3, "expires", "9999-12-31"),
        fmt="xlsx",
    ),
    # -- cells: at most 10,000 characters, the row named (also past the CSV parser's 131,072) -----------
    Case(
        "cell-too-long",
        ["units.csv, row 3, column name: the cell is longer than 10,000 characters (120,000)"],
        tables=cell("units", 3, "name", "村" * 120_000),
        absent=["村村村"],
    ),
    Case(
        "cell-past-csv-field-limit",
        ["units.csv, row 3: a cell is longer than 10,000 characters", "a quote that is never closed"],
        tables=cell("units", 3, "name", "x" * 140_000),
        absent=["check quoting"],
    ),
    Case(
        "xlsx-cell-too-long",
        ["data.xlsx [sheet units], row 2, column name: the cell is longer than 10,000"],
        tables=cell("units", 2, "name", "y" * 20_000),
        fmt="xlsx",
    ),
    Case(
        "xlsx-value-far-right",
        ["data.xlsx [sheet needs], row 3: the row has a value in column 1,500, past the limit of 1,000 columns"],
        fmt="xlsx",
        post=_xlsx_cell("needs", 3, 1500, "stray"),
    ),
    Case(
        "table-over-size-limit",
        ["units.csv: the file is larger than 200 bytes, the limit for one table"],
        limits={"MAX_TABLE_BYTES": 200},
    ),
    Case(
        "table-over-row-limit", ["volunteers.csv, row 3: the table has more than 2 rows"], limits={"MAX_TABLE_ROWS": 2}
    ),
    # -- table paths: a folder, a device, a FIFO say so; a file that is no table is not echoed -----------
    Case(
        "table-is-folder",
        ["units.csv: the units table is a folder, not a CSV file"],
        post=_make_folder("data/units.csv"),
        absent=["file not found"],
    ),
    Case(
        "table-is-dev-zero",
        ["units.csv: the units table is a device, not a CSV file"],
        post=_symlink("data/units.csv", "/dev/zero"),
        absent=["file not found"],
    ),
    Case(
        "optional-table-is-fifo",
        ["charity.csv: the charity table is a named pipe (FIFO), not a CSV file"],
        post=_fifo("data/charity.csv"),
    ),
    Case(
        "table-is-etc-passwd",
        ["passwd, row 1: this is not the units table: none of its column headers is a units column"],
        post=_passwd_as_units,
        absent=["root:", "/bin/", "nologin", "daemon"],
    ),
    Case(
        "every-header-misspelt",
        [
            "units.csv, row 1, column unit_idd: unknown column 'unit_idd' (did you mean 'unit_id'?)",
            "column namex: unknown column 'namex' (did you mean 'name'?)",
        ],
        tables=lambda t: t.update(
            units=[{k + ("d" if k == "unit_id" else "x"): v for k, v in r.items()} for r in t["units"]]
        ),
    ),
    Case(
        "data-is-a-device",
        ["scenario.yaml, column data: data is a device, not a folder or an .xlsx workbook"],
        config={"data": "/dev/null"},
    ),
    # -- the config: duplicate keys (both lines), size, nesting, numbers, solver settings -----------------
    Case(
        "duplicate-period",
        ["scenario.yaml, row 3: duplicate key 'period' (first on row 2)"],
        post=_edit_config(
            lambda t: t.replace("period: 2026-12\n", "period: 2026-12\nperiod: 2027-01\n").replace(
                "period: '2026-12'\n", "period: '2026-12'\nperiod: '2027-01'\n"
            )
        ),
    ),
    Case(
        "duplicate-category",
        ["duplicate key 'relief' (first on row", "YAML would silently use the last"],
        post=_edit_config(
            lambda t: (
                t + "categories:\n  relief: {weight: 0.1, funds_per_unit: 1}\n"
                "  relief: {weight: 0.9, funds_per_unit: 1}\n"
            )
        ),
        absent=["internal error"],
    ),
    Case(
        "config-too-large",
        ["scenario.yaml: the config is larger than 1 MiB, the limit"],
        post=_edit_config(lambda t: t + ("# padding\n" * 120_000)),
    ),
    Case(
        "config-too-deep",
        ["scenario.yaml, row ", ": the config is nested more than 20 levels deep"],
        post=_edit_config(lambda t: t + "notes: " + "[" * 40 + "]" * 40 + "\n"),
    ),
    Case(
        "config-alias-bomb",
        ["scenario.yaml: the config has more than 100,000 values"],
        post=_edit_config(lambda t: t + ALIAS_BOMB),
    ),
    Case(
        "config-not-utf8",
        ["scenario.yaml, row 1: cannot read the config: invalid UTF-8 at byte offset 9"],
        post=lambda root: (root / "scenario.yaml").write_bytes(b"name: caf\xe9\nperiod: '2026-12'\n"),
    ),
    Case(
        "config-is-folder",
        ["scenario.yaml: the config is a folder, not a file"],
        post=lambda root: ((root / "scenario.yaml").unlink(), (root / "scenario.yaml").mkdir()),
    ),
    Case(
        "weight-inf",
        ["column categories.relief.weight: categories.relief.weight: Input should be a finite number"],
        config={"categories": {"relief": {"weight": float("inf")}}},
    ),
    Case(
        "travel-per-km-1e300",
        ["column costs.travel_per_km: costs.travel_per_km: Input should be less than or equal to 1000000000000"],
        config={"costs": {"travel_per_km": 1e300}},
    ),
    Case(
        "period-1600",
        ["column period: period: Value error, period '1600-01' is outside the years 1900-2199"],
        config={"period": "1600-01"},
    ),
    Case(
        "horizon-days-1e20", ["column rules.expiry.horizon_days"], config={"rules": {"expiry": {"horizon_days": 1e20}}}
    ),
    Case(
        "config-backend-gurobi",
        [
            "column solver.backend: solver.backend: Value error, unknown solver backend 'gurobi'",
            "choose one of: highs, cbc, scip, cpsat",
        ],
        config={"solver": {"backend": "gurobi"}},
    ),
    Case(
        "config-threads-1e20",
        [
            "column solver.threads: solver.threads: Unable to parse input string as an integer",
            "a whole number from 1 to 1024",
        ],
        config={"solver": {"threads": 1e20}},
    ),
    Case(
        "config-threads-2000",
        ["column solver.threads: solver.threads: Input should be less than or equal to 1024"],
        config={"solver": {"threads": 2000}},
    ),
    Case(
        "config-time-limit-negative",
        ["column solver.time_limit: solver.time_limit: Input should be greater than 0"],
        config={"solver": {"time_limit": -5}},
    ),
    Case(
        "config-mip-gap-2",
        ["column solver.mip_gap: solver.mip_gap: Input should be less than or equal to 1"],
        config={"solver": {"mip_gap": 2}},
    ),
    Case(
        "config-seed-negative",
        ["column solver.seed: solver.seed: Input should be greater than or equal to 0"],
        config={"solver": {"seed": -1}},
    ),
    # -- command-line options of `plan` (the same ranges; with the scenario's problems in one pass) -------
    Case(
        "option-time-limit-negative",
        ["--time-limit: Input should be greater than 0 (value: -5.0)", "seconds for the whole solve"],
        args=["--time-limit", "-5"],
    ),
    Case("option-time-limit-nan", ["--time-limit: Input should be a finite number"], args=["--time-limit", "nan"]),
    Case(
        "option-mip-gap-negative",
        ["--mip-gap: Input should be greater than or equal to 0 (value: -1.0)"],
        args=["--mip-gap", "-1"],
    ),
    Case(
        "option-threads-zero",
        ["--threads: Input should be greater than or equal to 1 (value: 0)"],
        args=["--threads", "0"],
    ),
    Case(
        "option-seed-too-large",
        ["--seed: Input should be less than or equal to 2147483647"],
        args=["--seed", "99999999999"],
    ),
    Case(
        "option-backend-gurobi",
        ["--backend: unknown solver backend 'gurobi'", "choose one of: highs, cbc, scip, cpsat"],
        args=["--backend", "gurobi"],
    ),
    Case(
        "options-and-table-in-one-pass",
        [
            "2 input problems found",
            "--threads: Input should be greater than",
            "needs.csv, row 2, column unit_id: unknown unit 'U9'",
        ],
        args=["--threads", "0"],
        tables=cell("needs", 2, "unit_id", "U9"),
    ),
    Case(
        "earmark-unit-wrong-town",
        ["charity.csv, row 3, column town: earmarked unit 'U3' is in town 'Nanhu'"],
        tables=cell("charity", 3, "unit_id", "U3"),
    ),
]


def _drop_sheet(path: Path, sheet: str) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb.remove(wb[sheet])
    wb.save(path)


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def build(case: Case, root: Path) -> Path:
    tables = copy.deepcopy(TINY_TABLES)
    if case.tables:
        case.tables(tables)
    cfg = write_scenario(root, fmt=case.fmt, config=case.config, tables=tables, encoding=case.encoding)
    if case.post:
        case.post(root)
    return cfg


def run_validate(
    cfg: Path, *, in_process: bool, monkeypatch: pytest.MonkeyPatch, args: list[str] | None = None
) -> tuple[int, str, str]:
    command = ["plan", str(cfg), "--out", str(cfg.parent.parent / "plan"), *args] if args else ["validate", str(cfg)]
    if not in_process:
        proc = subprocess.run(
            [sys.executable, "-m", "linkage_opt.cli.commands", *command],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            env={**_env(), "COLUMNS": "10000"},
        )
        return proc.returncode, proc.stdout, proc.stderr
    # rich wraps at 80 columns when not on a terminal: give the consoles room so lines stay whole
    monkeypatch.setattr(cli, "console", Console(width=10_000))
    monkeypatch.setattr(cli, "err_console", Console(stderr=True, width=10_000))
    result = CliRunner().invoke(cli.app, command)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "COLUMNS"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_input_is_reported(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from linkage_opt import limits

    for name, value in case.limits.items():
        monkeypatch.setattr(limits, name, value)
    root = tmp_path / "scenario"
    cfg = build(case, root)
    before = _snapshot(root)
    code, out, err = run_validate(cfg, in_process=not case.subprocess, monkeypatch=monkeypatch, args=case.args)
    assert code == 2, f"exit {code}\nstdout:\n{out}\nstderr:\n{err}"
    for text in case.expect:
        assert text in err, f"{text!r} not in stderr:\n{err}"
    for text in case.absent:
        assert text not in out + err, f"{text!r} in the output:\n{out}\n{err}"
    assert not (tmp_path / "plan").exists()
    assert "Traceback" not in out + err
    assert "internal error" not in out + err
    assert "OK" not in out
    assert _snapshot(root) == before, "validate wrote into the scenario folder"


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 80
    assert len({c.id for c in CASES}) == len(CASES)


def test_corpus_covers_every_table_and_option() -> None:
    """Each table has a bad cell in the corpus, and each solver option a bad value (config and command line)."""
    from linkage_opt.inputs.config import OPTION_FLAGS
    from linkage_opt.schema import TABLES

    text = "\n".join(e for c in CASES for e in c.expect)
    for table in TABLES:
        assert f"{table}.csv, row " in text, f"no bad-cell case for the {table} table"
    for option, flag in OPTION_FLAGS.items():
        if option == "log":  # a switch: it has no bad value
            continue
        assert f"column solver.{option}" in text, f"no config case for solver.{option}"
        assert any(c.args and c.args[0] == flag for c in CASES), f"no command-line case for {flag}"


def test_every_problem_in_one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Problems in the config and in several tables are all reported by one `validate`."""
    case = Case(
        "many",
        [],
        config={"solvr": {}},
        tables=both(
            cell("units", 3, "population", "lots"),
            cell("needs", 2, "category", "elderly"),
            cell("volunteers", 2, "party_member", "maybe"),
            cell("charity", 3, "item", "flour"),
            cell("reach", 2, "unit_id", "U8"),
        ),
    )
    cfg = build(case, tmp_path / "scenario")
    code, _out, err = run_validate(cfg, in_process=True, monkeypatch=monkeypatch)
    assert code == 2
    assert "6 input problems found" in err, err
    expected = [
        "scenario.yaml, column solvr: unknown key 'solvr'",
        "units.csv, row 3, column population: not a number",
        "needs.csv, row 2, column category: unknown category 'elderly'",
        "volunteers.csv, row 2, column party_member: not a yes/no value",
        "charity.csv, row 3, column item: no category uses item 'flour'",
        "reach.csv, row 2, column unit_id: unknown unit 'U8'",
    ]
    positions = [err.find(e) for e in expected]
    assert all(p >= 0 for p in positions), err
    assert positions == sorted(positions), "config first, then tables in order"


def test_broken_config_still_checks_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An invalid config does not hide the tables' problems (categories still checked when readable)."""
    case = Case("config-and-table", [], config={"period": "December"}, tables=cell("needs", 3, "category", "relif"))
    cfg = build(case, tmp_path / "scenario")
    code, _, err = run_validate(cfg, in_process=True, monkeypatch=monkeypatch)
    assert code == 2
    assert "column period" in err
    assert "needs.csv, row 3, column category: unknown category 'relif'" in err
    assert "did you mean 'relief'?" in err


def test_problem_lines_name_the_users_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With Chinese headers, messages give the canonical column and the header as written."""

    def chinese(t: Tables) -> None:
        t["volunteers"] = [
            {
                "志愿者编号": r["volunteer_id"],
                "所在单位": r["home_unit"],
                "可用时长": r["hours"],
                "技能": r["skills"],
                "党员": r["party_member"],
            }
            for r in t["volunteers"]
        ]
        t["volunteers"][0]["党员"] = "也许"

    cfg = build(Case("zh", [], tables=chinese), tmp_path / "scenario")
    code, _, err = run_validate(cfg, in_process=True, monkeypatch=monkeypatch)
    assert code == 2
    assert "volunteers.csv, row 2, column party_member (党员): not a yes/no value (value: '也许')" in err


# -- fuzz: whatever is in a file, loading ends in a scenario or a ValidationError, never a crash ------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from linkage_opt.errors import ValidationError  # noqa: E402
from linkage_opt.inputs.load import load_scenario  # noqa: E402


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _load_or_problems(cfg: Path) -> None:
    try:
        load_scenario(cfg)
    except ValidationError as exc:
        assert exc.problems and all(p.file for p in exc.problems)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_fuzz_file_bytes(fuzz_root: Path, data: bytes) -> None:
    cfg = fuzz_root / "bytes" / "scenario.yaml"
    if not cfg.exists():
        write_scenario(cfg.parent)
    (cfg.parent / "data" / "charity.csv").write_bytes(data)
    _load_or_problems(cfg)


CELLS = [(t, r + 2, c) for t, rows in TINY_TABLES.items() for r, row in enumerate(rows) for c in row]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(CELLS), text=st.text(max_size=12))
def test_fuzz_cell_text(fuzz_root: Path, where, text: str) -> None:
    table, row, column = where
    tables = copy.deepcopy(TINY_TABLES)
    tables[table][row - 2][column] = text
    cfg = write_scenario(fuzz_root / "cells", tables=tables)
    _load_or_problems(cfg)


@pytest.mark.parametrize("case", [c for c in CASES if not c.subprocess], ids=[c.id for c in CASES if not c.subprocess])
def test_every_problem_reads_in_chinese(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--lang zh` translates each message and hint completely: no segment is left in English."""
    from linkage_opt import lang as L
    from linkage_opt import limits
    from linkage_opt.cli.commands import load_checked
    from linkage_opt.errors import ValidationError

    for name, value in case.limits.items():
        monkeypatch.setattr(limits, name, value)
    options = dict(zip((a.lstrip("-").replace("-", "_") for a in case.args[::2]), case.args[1::2]))
    options = {
        k: (float(v) if k in ("time_limit", "mip_gap") else v if k == "backend" else int(v)) for k, v in options.items()
    }
    cfg = build(case, tmp_path / "scenario")
    with pytest.raises(ValidationError) as info:
        load_checked(cfg, **options)
    L.MISSES.clear()
    lines = [L.problem_str(p, "zh") for p in info.value.problems]
    assert not L.MISSES, f"untranslated: {L.MISSES}\n" + "\n".join(lines)
    assert all("：" in line for line in lines)
