"""Action sheets (linkage_opt/outputs/sheets.py): content in both languages, plan.xlsx print set-up and no formula
cells, sheets.html pages, sheets.pdf, and a real headless-Chromium render with Chinese glyphs."""

from __future__ import annotations

import io
import os
import shutil

import numpy as np
import openpyxl
import pytest

from linkage_opt import lang as L
from linkage_opt.outputs import sheets as S
from linkage_opt.outputs.workbook import ACTION_SHEETS, build_workbook


def test_every_text_is_in_the_catalog():
    from linkage_opt import i18n

    catalog = i18n._catalog("zh")
    for key, entry in [*S.TEXT.items(), *ACTION_SHEETS.items()]:
        msgid = f"{entry[0]}\x04{entry[1]}" if isinstance(entry, tuple) else entry
        assert msgid.strip() and catalog.get(msgid, "").strip(), key


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_sheet_kind_and_its_content(desk_scenario, lang):
    _, scenario, plan = desk_scenario
    sh = S.build_sheets(plan, scenario, lang)
    # a task sheet per unit, with what arrives from whom
    tasks = {b.key: b for b in sh["tasks"].blocks}
    assert set(tasks) == set(scenario.units["unit_id"])
    u1 = tasks["U1"]
    assert ("东门社区" in u1.title) and ("联系人", "赵书记") in u1.details
    froms = " ".join(u1.table["from"])
    assert "张小红 (V1)" in froms and "王芳 (W1)" in froms
    a = plan.allocations
    hours_u1 = a[(a["unit_id"] == "U1") & a["provider_kind"].isin(["volunteer", "social_worker"])]["quantity"].sum()
    assert sum(float(v.replace(",", "")) for v in u1.table["amount"]) == pytest.approx(hours_u1)
    # a roster per person who serves, hours adding up
    rosters = {b.key: b for b in sh["rosters"].blocks}
    people = set(a.loc[a["provider_kind"].isin(["volunteer", "social_worker"]), "provider_id"])
    assert set(rosters) == people
    v1 = a[a["provider_id"] == "V1"]["quantity"].sum()
    assert sum(float(x) for x in rosters["V1"].table["hours"]) == pytest.approx(v1)
    assert S.fmt_amount(v1) in rosters["V1"].intro
    # organizations: programs and instances by unit; donors: where each lot went
    orgs = {b.key: b for b in sh["organizations"].blocks}
    if len(plan.programs):
        assert "O1" in orgs
        assert [str(i) for i in plan.programs["instances"]] == list(orgs["O1"].table["instances"])
    donors = {b.key: b for b in sh["donors"].blocks}
    lots = a[a["provider_kind"] == "charity"]
    donor_of = dict(zip(scenario.charity["lot_id"], scenario.charity["donor"]))
    assert set(donors) == {donor_of[p] for p in lots["provider_id"]}
    # the committee page, in plain words, with an appendix
    c = sh["committee"]
    assert [s["title"] for s in c["sections"]] == [S.text(k, lang) for k in ("c.met", "c.unmet", "c.equity", "c.spend")]
    words = " ".join(p for s in c["sections"] for p in s["paragraphs"])
    assert S.text("c.spend_budget", lang, money="", budget="", share="").split()[0][:3] in words
    assert c["appendix"] and c["appendix_title"] == S.text("c.appendix", lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_workbook_sheets_print_setup_and_no_formulas(desk_scenario, lang):
    _, scenario, plan = desk_scenario
    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(plan, scenario, lang)))
    names = [L.tr(ACTION_SHEETS[k], lang) for k in ("committee", "tasks", "rosters", "organizations", "donors")]
    assert wb.sheetnames[-5:] == names
    sh = S.build_sheets(plan, scenario, lang)
    for kind, name in zip(("committee", "tasks", "rosters", "organizations", "donors"), names):
        ws = wb[name]
        assert ws.print_area, name
        assert ws.page_setup.paperSize in (9, "9")  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToHeight in (0, "0")  # one page wide, as long as it takes
        if kind == "committee":
            assert ws.page_setup.orientation == "portrait"
            continue
        assert ws.page_setup.orientation == "landscape"
        assert ws.print_title_rows == "$1:$2"  # title and header on every page
        assert len(ws.row_breaks.brk) == max(len(sh[kind].blocks) - 1, 0)  # a page per unit/person/...
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    # amounts are numbers
    ws = wb[L.tr(ACTION_SHEETS["rosters"], lang)]
    hours = [r[4] for r in ws.iter_rows(min_row=3, values_only=True) if isinstance(r[4], (int, float))]
    assert hours and all(isinstance(h, (int, float)) for h in hours)


def test_html_has_a_page_per_block_and_the_font_stack(desk_scenario):
    _, scenario, plan = desk_scenario
    html = S.build_sheets_html(plan, scenario, "zh")
    sh = S.build_sheets(plan, scenario, "zh")
    n = sum(len(sh[k].blocks) for k in ("tasks", "rosters", "organizations", "donors"))
    assert html.count('<section class="page') == n + 1
    assert "@page" in html and "page-break-after: always" in html
    assert '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei"' in html
    assert '<html lang="zh">' in html and "任务单：东门社区" in html and "党委汇报摘要" in html


def test_names_are_escaped(desk_scenario):
    _, scenario, plan = desk_scenario
    units = scenario.units.copy()
    units.loc[units["unit_id"] == "U2", "name"] = "<script>alert(1)</script>"
    html = S.build_sheets_html(plan, scenario.replace(units=units), "en")
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


needs_chromium = pytest.mark.skipif(_chromium() is None, reason="headless Chromium is not installed")


@needs_chromium
def test_pdf_through_headless_chromium(desk_scenario, monkeypatch):
    _, scenario, plan = desk_scenario
    monkeypatch.delenv("LINKAGE_OPT_NO_PDF", raising=False)
    p = type(plan)(**plan.tables(), summary=dict(plan.summary), extras=dict(plan.extras))
    S.attach_sheets(p, scenario, "zh")
    assert p.summary["sheets"]["pdf"] == "written"
    assert p.extras["sheets.pdf"][:5] == b"%PDF-"


def test_pdf_skipped_without_chromium(desk_scenario, monkeypatch):
    _, scenario, plan = desk_scenario
    monkeypatch.delenv("LINKAGE_OPT_NO_PDF", raising=False)
    monkeypatch.setattr(S, "find_chromium", lambda: None)
    p = type(plan)(**plan.tables(), summary=dict(plan.summary), extras=dict(plan.extras))
    S.attach_sheets(p, scenario, "en")
    assert "sheets.pdf" not in p.extras and "sheets.html" in p.extras
    assert p.summary["sheets"]["pdf"] == "skipped: no Chromium found"


GLYPH_JS = """
() => {
  const probe = (text, family) => {
    const c = document.createElement('canvas'); c.width = 64; c.height = 64;
    const g = c.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, 64, 64);
    g.fillStyle = '#000'; g.font = '40px ' + family; g.textBaseline = 'top'; g.fillText(text, 4, 8);
    const d = g.getImageData(0, 0, 64, 64).data; let dark = 0, sig = [];
    for (let i = 0; i < d.length; i += 4) { const v = d[i] < 128 ? 1 : 0; dark += v; sig.push(v); }
    return {dark, sig: sig.join(''), width: g.measureText(text).width};
  };
  const stack = getComputedStyle(document.body).fontFamily;
  const a = probe('养', stack), b = probe('老', stack), tofu = probe('\\u{10FFFD}', stack);
  const h1 = document.querySelector('section.committee h1');
  const span = document.createElement('span'); span.textContent = '资源配置'; h1.appendChild(span);
  return {stack, a_dark: a.dark, b_dark: b.dark, distinct: a.sig !== b.sig, a_is_tofu: a.sig === tofu.sig,
          width: a.width, span_width: span.getBoundingClientRect().width};
}
"""


@needs_chromium
def test_chromium_renders_committee_page_and_task_sheet_with_chinese_glyphs(desk_scenario, tmp_path):
    from PIL import Image
    from playwright.sync_api import sync_playwright

    _, scenario, plan = desk_scenario
    page_file = tmp_path / "sheets.html"
    page_file.write_text(S.build_sheets_html(plan, scenario, "zh"), encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1200})
            page.goto(page_file.as_uri())
            shots = []
            for sel in ("section.committee", "section.tasks"):
                el = page.locator(sel).first
                assert el.count() == 1
                out = tmp_path / f"{sel.split('.')[1]}.png"
                el.screenshot(path=str(out))
                shots.append(out)
            probe = page.evaluate(GLYPH_JS)
            task_text = page.locator("section.tasks").first.inner_text()
        finally:
            browser.close()
    for shot in shots:
        img = Image.open(shot).convert("L")
        px = np.asarray(img)
        assert (px < 128).mean() > 0.005, shot.name  # not a blank page: there is text on it
    assert "任务单" in task_text and "东门社区" in task_text
    assert "Noto Sans CJK SC" in probe["stack"] and "Microsoft YaHei" in probe["stack"]
    assert probe["a_dark"] > 30 and probe["b_dark"] > 30  # ink for each character
    assert probe["distinct"], "two CJK characters draw the same shape: tofu, no CJK font"
    assert not probe["a_is_tofu"]
    assert probe["width"] > 0 and probe["span_width"] > 0
