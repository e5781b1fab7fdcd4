"""People's details (extra columns: names, phones) reach the action sheets that need them and nothing else;
``privacy.personal`` names them; ``--redact`` writes a shareable plan without them."""

from __future__ import annotations

import io
import zipfile

import pytest
from conftest import PHONE_U1, PHONE_V1, PHONE_W1, desk_tables, write_scenario
from typer.testing import CliRunner

from linkage_opt.cli.commands import app
from linkage_opt.errors import ValidationError
from linkage_opt.inputs.load import load_scenario
from linkage_opt.outputs import sheets as S
from linkage_opt.outputs.report import build_report
from linkage_opt.outputs.workbook import build_workbook

PERSONAL = (PHONE_V1, PHONE_W1, PHONE_U1, "张小红", "王芳", "赵书记")


def _cli(*args):
    return CliRunner().invoke(app, list(args), terminal_width=200)


def _xlsx_text(data: bytes) -> str:
    """Every string in a workbook (shared strings and inline), so nothing hides in a cell."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))


def test_details_go_to_the_sheets_of_their_own_rows(desk_scenario):
    _, scenario, plan = desk_scenario
    sh = S.build_sheets(plan, scenario, "zh")
    rosters = {b.key: b for b in sh["rosters"].blocks}
    assert ("联系电话", PHONE_V1) in rosters["V1"].details
    assert PHONE_V1 not in repr(rosters["V2"].details) + rosters["V2"].table.to_string()
    assert ("联系电话", PHONE_W1) in rosters["W1"].details
    tasks = {b.key: b for b in sh["tasks"].blocks}
    assert ("联系电话", PHONE_U1) in tasks["U1"].details
    assert PHONE_V1 in " ".join(tasks["U1"].table["contact"])  # who comes, and how to reach them
    assert PHONE_U1 not in repr(tasks["U2"].details) + repr(tasks["U3"].details)
    # the committee page and the organizations' notices carry no one's details
    committee = repr(sh["committee"])
    orgs = " ".join(b.table.to_string() + repr(b.details) for b in sh["organizations"].blocks)
    for s in PERSONAL:
        assert s not in committee and s not in orgs


def test_nowhere_else_report_csvs_summary_messages_ledger(desk_scenario, tmp_path):
    cfg, scenario, plan = desk_scenario
    for lang in ("en", "zh"):
        html = build_report(plan, scenario, lang)
        for s in PERSONAL:
            assert s not in html
    r = _cli("plan", str(cfg), "--out", str(tmp_path / "p"), "--lang", "zh")
    assert r.exit_code == 0, r.output
    out = tmp_path / "p"
    for f in out.iterdir():
        if f.name in ("plan.xlsx", "sheets.html", "sheets.pdf"):
            continue
        text = f.read_text(encoding="utf-8-sig")
        for s in PERSONAL:
            assert s not in text, (f.name, s)
    for s in PERSONAL:
        assert s not in r.output
    assert PHONE_V1 in (out / "sheets.html").read_text(encoding="utf-8")
    assert PHONE_V1 in _xlsx_text((out / "plan.xlsx").read_bytes())
    for args in (("validate", str(cfg)), ("check", str(out)), ("explain", str(out))):
        r = _cli(*args)
        for s in PERSONAL:
            assert s not in r.output, (args, s)
    # the monthly run: the ledger's summaries and what `runs list` / `runs show` print (the sheets the
    # ledger archives are the shareable copies: test_the_ledger_keeps_the_sheets_without_personal_columns)
    import sqlite3

    from linkage_opt.runs.runner import run_period

    rec = run_period(cfg, "2026-12", tmp_path / "runs")
    with sqlite3.connect(tmp_path / "runs" / "ledger.sqlite") as conn:
        summaries = " ".join(str(r) for r in conn.execute("SELECT * FROM runs").fetchall())
    assert summaries
    run_id = rec.run_id
    shown = [
        _cli("runs", "list", "--runs", str(tmp_path / "runs")),
        _cli("runs", "show", str(run_id), "--runs", str(tmp_path / "runs")),
    ]
    assert [r.exit_code for r in shown] == [0, 0], [r.output for r in shown]
    assert run_id in shown[0].output
    outputs = [r.output for r in shown]
    for s in PERSONAL:
        assert s not in summaries
        for o in outputs:
            assert s not in o


def test_error_messages_do_not_echo_details(tmp_path):
    tables = desk_tables()
    tables["volunteers"][0]["hours"] = "lots"
    cfg = write_scenario(tmp_path, tables=tables)
    with pytest.raises(ValidationError) as exc:
        load_scenario(cfg)
    text = str(exc.value) + " ".join(str(p) for p in exc.value.problems)
    assert "lots" in text
    for s in PERSONAL:
        assert s not in text
    r = _cli("validate", str(cfg), "--lang", "zh")
    assert r.exit_code == 2
    for s in PERSONAL:
        assert s not in r.output


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_redact_writes_a_shareable_plan(desk_scenario, tmp_path, lang):
    cfg, _, _ = desk_scenario
    r = _cli("plan", str(cfg), "--out", str(tmp_path / "p"), "--redact", "--lang", lang)
    assert r.exit_code == 0, r.output
    out = tmp_path / "p"
    html = (out / "sheets.html").read_text(encoding="utf-8")
    xlsx = _xlsx_text((out / "plan.xlsx").read_bytes())
    for s in PERSONAL:
        assert s not in html and s not in xlsx, s
    assert "周末可到" in html  # 备注 is not a personal column: kept
    assert S.text("redacted", lang) in html
    import json

    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["sheets"]["redacted"] is True
    # report --redact re-writes a plan folder's sheets without them; without --redact they come back
    r = _cli("report", str(out), "--lang", lang)
    assert r.exit_code == 0, r.output
    assert PHONE_V1 in (out / "sheets.html").read_text(encoding="utf-8")
    r = _cli("report", str(out), "--lang", lang, "--redact")
    assert r.exit_code == 0, r.output
    assert PHONE_V1 not in (out / "sheets.html").read_text(encoding="utf-8")
    assert PHONE_V1 not in _xlsx_text((out / "plan.xlsx").read_bytes())


def test_privacy_personal_names_the_columns(tmp_path, desk_scenario):
    _, _, plan = desk_scenario
    cfg = write_scenario(tmp_path, tables=desk_tables(), config={"privacy": {"personal": ["备注", "姓名"]}})
    scenario = load_scenario(cfg)
    assert scenario.config.privacy.is_personal("备注") and not scenario.config.privacy.is_personal("联系电话")
    html = S.build_sheets_html(plan, scenario, "zh", redact=True)
    assert "周末可到" not in html and "张小红" not in html  # listed: removed
    assert PHONE_V1 in html  # not listed any more: kept
    xlsx = _xlsx_text(build_workbook(plan, scenario, "zh", redact=True))
    assert "周末可到" not in xlsx and PHONE_V1 in xlsx


def test_privacy_config_is_strict(tmp_path):
    cfg = write_scenario(tmp_path, config={"privacy": {"personall": ["x"]}})
    with pytest.raises(ValidationError) as exc:
        load_scenario(cfg)
    assert "personal" in str(exc.value.problems)


def test_the_ledger_keeps_the_sheets_without_personal_columns(desk_scenario, tmp_path, monkeypatch, caplog):
    """The monthly run's plan folder has the full sheets; the ledger keeps plan.xlsx and sheets.html without
    the personal columns (and its summaries, messages and log lines never had them); `runs show` finds the
    folder intact; `runs restore` writes the shareable copies, every other file byte for byte."""
    import logging
    import sqlite3

    from linkage_opt.runs.ledger import Ledger, restore_plan, verify_plan_dir
    from linkage_opt.runs.runner import run_period

    monkeypatch.setenv("LINKAGE_OPT_NO_PDF", "1")
    cfg, _, _ = desk_scenario
    runs = tmp_path / "runs"
    with caplog.at_level(logging.DEBUG):
        rec = run_period(cfg, "2026-12", runs, lang="zh")
    assert rec.exit_code == 0, rec
    folder = runs / "2026-12" / "r1"
    assert PHONE_V1 in (folder / "sheets.html").read_text(encoding="utf-8")  # the full sheets, on disk
    assert PHONE_V1 in _xlsx_text((folder / "plan.xlsx").read_bytes())
    logged = caplog.text + " ".join(str(getattr(r, "fields", "")) for r in caplog.records)
    with sqlite3.connect(runs / "ledger.sqlite") as conn:
        stored = conn.execute("SELECT name, content, data, stored_sha256 FROM plan_files").fetchall()
        everything = " ".join(str(r) for r in conn.execute("SELECT * FROM runs").fetchall())
    kept = {name: (content.encode("utf-8") if content is not None else data) for name, content, data, _ in stored}
    assert {"plan.xlsx", "sheets.html"} <= set(kept)
    assert {name for name, *_, st in stored if st} == {"plan.xlsx", "sheets.html"}
    texts = {
        n: _xlsx_text(b) if n.endswith(".xlsx") else (b or b"").decode("utf-8", "replace") for n, b in kept.items()
    }
    for s in PERSONAL:
        assert s not in everything and s not in logged, s
        for name, text in texts.items():
            assert s not in text, (name, s)
    assert "周末可到" in texts["sheets.html"]  # a column that is not personal stays
    assert S.text("redacted", "zh") in texts["sheets.html"]
    with Ledger(runs / "ledger.sqlite") as lg:
        assert set(verify_plan_dir(lg, rec.run_id, folder).values()) == {"ok"}  # the folder as written
        report = restore_plan(lg, rec.run_id, tmp_path / "restored")
    assert report.ok and set(report.redacted) == {"plan.xlsx", "sheets.html"}
    restored = tmp_path / "restored"
    assert PHONE_V1 not in (restored / "sheets.html").read_text(encoding="utf-8")
    for f in folder.iterdir():
        if f.name not in report.redacted:
            assert (restored / f.name).read_bytes() == f.read_bytes(), f.name
    r = _cli("runs", "show", rec.run_id, "--runs", str(runs))
    assert r.exit_code == 0 and PHONE_V1 not in r.output, r.output


def test_the_ledger_copy_pdf_is_printed_within_the_writing_margin(desk_scenario, monkeypatch):
    """The redacted copy of sheets.pdf the ledger keeps is printed within what is left of the time limit's
    writing margin, not Chromium's own 300 s (on the city it waited the whole 300 s); a copy not printed is
    not kept."""
    import time

    from linkage_opt.outputs import writing as W
    from linkage_opt.runs import runner as R
    from linkage_opt.solving.api import solve

    cfg, _, _ = desk_scenario
    scenario = load_scenario(cfg)
    plan = solve(scenario, time_limit=20)
    timeouts: list[float] = []

    def fake_pdf(html: str, timeout: float = S.PDF_TIMEOUT_S):
        timeouts.append(timeout)
        return (b"%PDF" if timeout >= S.PDF_MIN_S else None), "written"

    monkeypatch.setattr(W, "html_to_pdf", fake_pdf)
    files = {"plan.xlsx": None, "sheets.html": None, "sheets.pdf": None}
    copies = R._ledger_copies(plan, scenario, "en", dict(files), lambda *a, **k: None)
    assert "sheets.pdf" in copies and 0 < timeouts[-1] <= 20 + W.writing_margin(20)  # the margin, not 300 s
    plan.solve_started = time.monotonic() - 100  # the margin is over
    kept = dict(files)
    copies = R._ledger_copies(plan, scenario, "en", kept, lambda *a, **k: None)
    assert timeouts[-1] < S.PDF_MIN_S and "sheets.pdf" not in copies and "sheets.pdf" not in kept
