"""Bounded inputs (issue #12, item 4): workbooks checked before openpyxl parses them, hidden sheets,
solver options through the library, the limits documented where the operator reads them."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
from conftest import write_scenario

from linkage_opt import limits
from linkage_opt.errors import ValidationError
from linkage_opt.inputs.load import load_scenario

ROOT = Path(__file__).resolve().parents[2]


SST = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _add_shared_strings(book: Path, sst: bytes) -> None:
    """Give a workbook a shared-strings part (content type and relationship too, as Excel writes it)."""
    tmp = book.with_suffix(".tmp")
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST}"/></Types>'.encode()
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    f'<Relationship Id="rIdSst" Type="{SST_REL}" Target="sharedStrings.xml"/></Relationships>'.encode(),
                )
            dst.writestr(info, data)
        dst.writestr("xl/sharedStrings.xml", sst)
    tmp.replace(book)


def _problems(cfg: Path) -> list[str]:
    with pytest.raises(ValidationError) as info:
        load_scenario(cfg)
    return [str(p) for p in info.value.problems]


def test_a_shared_strings_zip_bomb_is_refused_quickly_before_openpyxl(tmp_path, monkeypatch):
    """A small workbook whose shared-strings table holds 1.2 million entries (13 MiB unpacked, 50 KB packed)."""
    cfg = write_scenario(tmp_path, fmt="xlsx")
    book = tmp_path / "data.xlsx"
    n = 1_200_000
    bomb = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        + "<si><t>x</t></si>" * n
        + "</sst>"
    ).encode("utf-8")
    _add_shared_strings(book, bomb)
    assert book.stat().st_size < 1_000_000

    import openpyxl

    def never(*a, **k):
        raise AssertionError("openpyxl was asked to parse the bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    t0 = time.perf_counter()
    problems = _problems(cfg)
    assert time.perf_counter() - t0 < 10
    assert len(problems) == 1 and problems[0].endswith(
        "data.xlsx: the workbook has more than 1,000,000 shared strings -- hint: a real workbook is far smaller: "
        "re-save it from Excel/WPS; see 'Limits' in docs/operations.md"
    ), problems


def test_a_workbook_with_a_few_shared_strings_still_loads(tmp_path):
    cfg = write_scenario(tmp_path, fmt="xlsx")
    _add_shared_strings(
        tmp_path / "data.xlsx",
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        b'main" count="2" uniqueCount="2"><si><t>a</t></si><si><t>b</t></si>'
        b"</sst>",
    )
    assert len(load_scenario(cfg).units) == 3


def test_the_unpacked_size_is_checked_from_the_zip_directory(tmp_path, monkeypatch):
    cfg = write_scenario(tmp_path, fmt="xlsx")
    with zipfile.ZipFile(tmp_path / "data.xlsx") as zf:
        unpacked = sum(i.file_size for i in zf.infolist())
    monkeypatch.setattr(limits, "MAX_WORKBOOK_UNPACKED_BYTES", unpacked - 1)
    problems = _problems(cfg)
    assert (
        len(problems) == 1
        and f"the workbook unpacks to {unpacked:,} bytes, more than the limit of {unpacked - 1:,} bytes" in problems[0]
    ), problems
    monkeypatch.setattr(limits, "MAX_WORKBOOK_UNPACKED_BYTES", unpacked)
    load_scenario(cfg)  # exactly at the limit: read


def test_the_workbook_file_size_is_bounded(tmp_path, monkeypatch):
    cfg = write_scenario(tmp_path, fmt="xlsx")
    monkeypatch.setattr(limits, "MAX_WORKBOOK_BYTES", 1000)
    assert "the workbook is larger than 1,000 bytes, the limit" in _problems(cfg)[0]


def test_a_workbook_with_very_many_members_is_refused(tmp_path, monkeypatch):
    cfg = write_scenario(tmp_path, fmt="xlsx")
    monkeypatch.setattr(limits, "MAX_WORKBOOK_MEMBERS", 3)
    assert "the workbook holds more than 3 files" in _problems(cfg)[0]


def test_a_hidden_sheet_is_read_with_a_warning(tmp_path):
    """Choice: a hidden sheet is read (it may be how the district keeps its files) but never silently."""
    import openpyxl

    from linkage_opt.inputs.scenario import scenario_warnings

    cfg = write_scenario(tmp_path, fmt="xlsx")
    wb = openpyxl.load_workbook(tmp_path / "data.xlsx")
    wb["volunteers"].sheet_state = "hidden"
    wb.save(tmp_path / "data.xlsx")
    sc = load_scenario(cfg)
    assert len(sc.volunteers) == 2
    warnings = [str(w) for w in scenario_warnings(sc)]
    assert len(warnings) == 1 and warnings[0].endswith(
        "data.xlsx [sheet volunteers]: the sheet is hidden in the workbook; it was read as the volunteers table "
        "-- hint: unhide it in Excel/WPS (or remove it) so that what is planned can be seen"
    ), warnings


def test_validate_prints_the_hidden_sheet_warning_and_exits_0(tmp_path):
    import openpyxl
    from typer.testing import CliRunner

    from linkage_opt.cli.commands import app

    cfg = write_scenario(tmp_path, fmt="xlsx")
    wb = openpyxl.load_workbook(tmp_path / "data.xlsx")
    wb["charity"].sheet_state = "veryHidden"
    wb.save(tmp_path / "data.xlsx")
    r = CliRunner().invoke(app, ["validate", str(cfg)], terminal_width=400)
    assert r.exit_code == 0, r.output
    assert "warning:" in r.stderr and "the sheet is hidden in the workbook" in r.stderr


@pytest.mark.parametrize(
    "kwargs, expect",
    [
        ({"time_limit": -5}, "--time-limit: Input should be greater than 0 (value: -5)"),
        ({"time_limit": float("nan")}, "--time-limit: Input should be a finite number"),
        ({"time_limit": 1e9}, "--time-limit: Input should be less than or equal to 2592000"),
        ({"mip_gap": -1}, "--mip-gap: Input should be greater than or equal to 0"),
        ({"threads": 0}, "--threads: Input should be greater than or equal to 1"),
        ({"threads": 2.5}, "--threads: Input should be a valid integer"),
        ({"seed": -1}, "--seed: Input should be greater than or equal to 0"),
        (
            {"backend": "gurobi"},
            "--backend: unknown solver backend 'gurobi' (value: 'gurobi') -- hint: choose one of: "
            "highs, cbc, scip, cpsat",
        ),
    ],
)
def test_solve_checks_its_options_like_the_command_line(tiny_scenario, kwargs, expect):
    import linkage_opt as lo

    sc = lo.load_scenario(tiny_scenario)
    with pytest.raises(lo.ValidationError) as info:
        lo.solve(sc, **kwargs)
    assert expect in str(info.value), str(info.value)


def test_a_bad_backend_of_a_config_changed_in_python_is_an_input_problem(tiny_scenario):
    """`solver.backend: gurobi` reaching solve past the loader (model_copy skips pydantic): exit-2 error."""
    import linkage_opt as lo

    sc = lo.load_scenario(tiny_scenario)
    solver = sc.config.solver.model_copy(update={"backend": "gurobi", "threads": 10**20})
    bad = sc.replace(config=sc.config.model_copy(update={"solver": solver}))
    with pytest.raises(lo.ValidationError) as info:
        lo.solve(bad)
    text = str(info.value)
    assert "column solver.backend: solver.backend: Value error, unknown solver backend 'gurobi'" in text
    assert "column solver.threads" in text and info.value.exit_code == 2


def test_every_limit_is_documented():
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text[text.index("## Limits") :]
    section = section[: section.index("\n## ", 4)] if "\n## " in section[4:] else section
    for name in dir(limits):
        if name.startswith("MAX_") or name.startswith("MIN_"):
            assert f"`{name}`" in section, f"docs/operations.md, Limits: {name} is not documented"
