"""report.html: content in both languages, escaping of user names, no network, and a real browser render."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_TABLES, write_scenario
from factories import make_scenario, unit

from linkage_opt import lang as L
from linkage_opt.analysis.explain import attach_explanations
from linkage_opt.inputs.load import load_scenario
from linkage_opt.outputs import report as R
from linkage_opt.solving.api import solve
from linkage_opt.solving.baseline import attach_baseline
from linkage_opt.solving.plan import Plan

XSS = "<script>alert(1)</script>"
XSS_ORG = '"><img src=x onerror=alert(2)>'


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """The tiny scenario with a malicious unit name and a need no one can serve, solved, explained, with baseline."""
    root = tmp_path_factory.mktemp("report")
    tables = copy.deepcopy(TINY_TABLES)
    tables["units"][1]["name"] = XSS
    tables["organizations"][0]["name"] = XSS_ORG
    tables["needs"].append(
        {
            "need_id": "far",
            "unit_id": "U2",
            "category": "mental_health",
            "quantity": "9",
            "tier": "basic",
            "indivisible": "false",
        }
    )
    cfg_path = write_scenario(root, tables=tables)
    scenario = load_scenario(cfg_path)
    plan = solve(scenario, time_limit=20)
    attach_explanations(plan)
    attach_baseline(plan, scenario)
    return plan, scenario, root


@pytest.fixture(scope="module")
def html_en(solved):
    plan, scenario, _ = solved
    return R.build_report(plan, scenario, lang="en")


@pytest.fixture(scope="module")
def html_zh(solved):
    plan, scenario, _ = solved
    return R.build_report(plan, scenario, lang="zh")


def test_every_report_text_is_in_the_catalog():
    from babel.messages.pofile import read_po

    po = Path(R.__file__).parents[1] / "locale" / "zh" / "LC_MESSAGES" / "linkage_opt.po"
    with po.open("rb") as f:
        catalog = {(m.context, m.id): m.string for m in read_po(f, locale="zh") if m.id}
    for key, entry in R.TEXT.items():
        ctx, msgid = entry if isinstance(entry, tuple) else (None, entry)
        assert msgid.strip() and catalog.get((ctx, msgid), "").strip(), key
        # the same placeholders in both languages
        assert set(re.findall(r"{(\w+)}", msgid)) == set(re.findall(r"{(\w+)}", catalog[(ctx, msgid)])), key


def test_the_template_is_translated_by_jinja2_i18n():
    env = R._env("zh")
    assert "jinja2.ext.InternationalizationExtension" in env.extensions
    assert (
        env.from_string("{{ _('Headline figures') }}|{{ _('{n} needs are not fully met.').format(n=3) }}").render()
        == "核心指标|共有 3 项需求未完全满足。"
    )
    assert R._env("en").from_string("{{ _('Headline figures') }}").render() == "Headline figures"


def _kpi(html: str, kpi_id: str) -> str:
    m = re.search(rf'id="kpi-{kpi_id}"><div class="label">[^<]*</div><div class="value">([^<]*)</div>', html)
    assert m, kpi_id
    return m.group(1)


def test_headline_figures_match_the_summary(solved, html_en):
    plan, _, _ = solved
    m = plan.summary["metrics"]
    assert _kpi(html_en, "weighted-coverage") == R.fmt_pct(m["weighted_coverage"])
    assert _kpi(html_en, "guaranteed") == f"{m['guaranteed_met']} / {m['guaranteed_needs']}"
    assert _kpi(html_en, "min-unit-ratio") == R.fmt_pct(m["min_unit_ratio"])
    assert _kpi(html_en, "below-floor") == str(m["units_below_equity_floor"])
    assert _kpi(html_en, "money") == R.fmt_money(plan.summary["objective"]["money"])
    assert _kpi(html_en, "idle-hours") == R.fmt_num(m["idle_hours"])
    assert _kpi(html_en, "gap") == R.fmt_gap(plan.summary["gap"])
    assert _kpi(html_en, "bound") == R.fmt_value(plan.summary["best_bound"])
    assert _kpi(html_en, "status") == "optimal"


def test_sections_present_in_english(solved, html_en):
    plan, _, _ = solved
    for heading in (
        "Headline figures",
        "Coverage by unit and category",
        "Map of units",
        "Guaranteed needs",
        "Provider utilisation",
        "Unmet needs and why",
        "Optimized plan vs rule of thumb",
    ):
        assert heading in html_en
    assert html_en.count("<svg") >= 3  # map, utilisation, hours per unit, baseline
    assert 'class="heat"' in html_en and ">elderly_care<" in html_en  # no label_en in the config: the id
    # the unmet need and its reason from explanations.csv
    ex = plan.extras["explanations.csv"].set_index("need_id")
    assert ex.loc["far", "reason_code"] == "no_provider"
    assert "no provider within reach" in html_en
    assert R._fmt("pct", plan.extras["baseline.json"]["baseline"]["weighted_coverage"]) in html_en


def test_chinese_report_is_complete(html_zh):
    assert '<html lang="zh-CN">' in html_zh
    for key in ("title", "k.weighted_coverage", "k.guaranteed", "legend.coverage", "reason.no_provider"):
        assert R.text(key, "zh") in html_zh, key
    for heading in (
        "Headline figures",
        "Coverage by unit and category",
        "Map of units",
        "Guaranteed needs",
        "Provider utilisation",
        "Unmet needs and why",
        "Optimized plan vs rule of thumb",
    ):  # the template's
        assert L.t(heading, "zh") in html_zh and L.t(heading, "zh") != heading, heading
    assert "各单位（行）各类别（列）需求的满足比例" in html_zh  # the heat map's caption
    for header in ("单位名称", "服务类别", "需求量", "已满足", "原因代码", "优化方案", "经验分配"):
        assert header in html_zh
    assert "东门社区" in html_zh and ">养老服务<" in html_zh  # the config's Chinese category label
    # no English section headings or table headers left behind
    for english in (
        "Headline figures",
        "Guaranteed needs",
        "Provider utilisation",
        "Unmet needs",
        "Coverage ratio",
        "Rule of thumb",
        "Weighted coverage",
        ">Unit<",
        ">Category<",
    ):
        assert english not in html_zh, english


def test_unit_names_are_escaped(html_en, html_zh):
    for html in (html_en, html_zh):
        assert XSS not in html
        assert "<script" not in html.lower()
        assert "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")  # only ever as escaped text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_no_network_references(html_en, html_zh):
    for html in (html_en, html_zh):
        refs = re.findall(
            r"""(?:src|href|xlink:href|action|poster)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]*)""", html, re.I
        )
        assert refs == []
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", html, re.I)
        assert not re.search(r"@import", html, re.I)
        assert "<link" not in html.lower() and "<script" not in html.lower()
        assert "<!DOCTYPE svg" not in html and "<?xml" not in html


def test_attach_report_and_rebuild_from_the_folder(solved, tmp_path):
    plan, scenario, _ = solved
    plan = copy.copy(plan)
    plan.extras = dict(plan.extras)
    plan.summary = copy.deepcopy(plan.summary)
    R.attach_report(plan, scenario, lang="zh")
    out = plan.write(tmp_path / "plan")
    written = (out / "report.html").read_text(encoding="utf-8")
    assert written.startswith("<!DOCTYPE html>") and "东门社区" in written
    again = R.report_from_dir(out, lang="en")
    for kpi in ("weighted-coverage", "guaranteed", "money", "min-unit-ratio", "idle-hours"):
        assert _kpi(again, kpi) == _kpi(R.build_report(plan, scenario, "en"), kpi)
    assert "no provider within reach" in again and "Rule of thumb" in again and "<svg" in again
    assert "could not be loaded" not in again
    # the config gone: still a report, saying why, without the map
    summary = (out / "summary.json").read_text(encoding="utf-8")
    (out / "summary.json").write_text(summary.replace(str(scenario.config_path), "gone/nowhere.yaml"), encoding="utf-8")
    degraded = R.report_from_dir(out, lang="zh")
    assert "无法加载情景" in degraded and 'id="map"' not in degraded


def test_big_scenario_caps_the_heat_map_and_stays_small():
    rng = np.random.default_rng(7)
    n_units = 2000
    cats = ["elderly_care", "mental_health", "relief", "material_aid"]
    units = [
        unit(f"U{i:04d}", x=float(rng.uniform(0, 60)), y=float(rng.uniform(0, 40)), name=f"单位{i}")
        for i in range(n_units)
    ]
    sc = make_scenario(units=units)
    uid = np.repeat([u["unit_id"] for u in units], len(cats))
    need = rng.uniform(5, 50, len(uid))
    covered = need * rng.uniform(0, 1, len(uid))
    cov = pd.DataFrame(
        {
            "need_id": [f"{u}/{c}" for u, c in zip(uid, cats * n_units)],
            "unit_id": uid,
            "unit_name": [f"单位{int(u[1:])}" for u in uid],
            "category": cats * n_units,
            "tier": np.where(np.arange(len(uid)) % 7 == 0, "guaranteed", "basic"),
            "need": need,
            "covered": covered,
            "unmet": need - covered,
            "coverage_ratio": covered / need,
            "weight": 1.0 / need.sum(),
            "priority": 1.0,
        }
    )
    prov = pd.DataFrame(
        {
            "provider_kind": "volunteer",
            "provider_id": [f"V{i}" for i in range(3000)],
            "capacity": 10.0,
            "used": rng.uniform(0, 10, 3000),
            "utilization": 0.0,
            "fixed_cost": 0.0,
        }
    )
    alloc = pd.DataFrame(
        {
            "provider_kind": "volunteer",
            "provider_id": prov["provider_id"],
            "unit_id": rng.choice(uid, 3000),
            "category": "elderly_care",
            "need_id": "",
            "program_id": "",
            "quantity": 1.0,
            "load": prov["used"],
            "cost": 0.0,
        }
    )
    plan = Plan(
        allocations=alloc,
        coverage=cov,
        providers=prov,
        programs=pd.DataFrame(),
        summary={
            "status": "feasible",
            "objective": {"coverage": 0.5},
            "objective_stage": "coverage",
            "best_bound": 0.6,
            "gap": 0.1,
            "period": "2026-12",
            "scenario": "big",
        },
    )
    html = R.build_report(plan, sc, lang="en")  # its time is measured in benchmarks, not asserted here
    assert len(html.encode("utf-8")) < 1.5e6
    assert "Showing the 60 worst-covered of 2000 units." in html
    heat = html[html.index('<table class="heat">') :]
    heat = heat[: heat.index("</table>")]
    assert heat.count("<tr>") == 61  # header + 60 units
    assert "Names shown for the 20 worst-covered units only." in html
    assert "Showing 300 of" in html  # unmet needs table capped too


# ---------------------------------------------------------------------------------------------------
# A real browser: headless Chromium renders the page
# ---------------------------------------------------------------------------------------------------


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a Chromium binary; installs the Debian package when missing (as root), else skips."""
    path = _find_chromium()
    if path:
        return path
    if not shutil.which("apt-get"):
        pytest.skip("Chromium is not installed and apt-get is not available to install it")
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        pytest.skip("Chromium is not installed and installing it needs root (apt-get install chromium)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log = []
    for cmd in (
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
    ):
        if cmd[1] == "update" and _find_chromium():
            break
        try:
            r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
            log.append(f"{' '.join(cmd)} -> {r.returncode}: {r.stderr[-300:]}")
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.append(f"{' '.join(cmd)} -> {exc}")
        if cmd[1] == "install" and _find_chromium():
            break
    path = _find_chromium()
    if not path:
        pytest.skip("could not install Chromium: " + " | ".join(log))
    return path


def _chrome(binary: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp / 'profile'}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_chromium_renders_the_report(chromium, solved, html_zh, tmp_path):
    from PIL import Image

    page = tmp_path / "report.html"
    page.write_text(html_zh, encoding="utf-8")
    shot = tmp_path / "shot.png"
    r = _chrome(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert shot.exists(), r.stderr[-2000:]
    img = Image.open(shot).convert("RGB")
    assert img.size == (1280, 2000)
    small = img.resize((320, 500))
    colours = small.getcolors(maxcolors=320 * 500)
    assert len(colours) > 50  # charts and a heat map, not a blank page
    white = sum(n for n, c in colours if min(c) >= 245)
    assert white < 0.9 * 320 * 500

    dom = _chrome(chromium, tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    plan, _, _ = solved
    m = plan.summary["metrics"]
    html = dom.stdout
    assert L.t("Headline figures", "zh") in html
    assert _kpi(html, "weighted-coverage") == R.fmt_pct(m["weighted_coverage"])
    assert _kpi(html, "guaranteed") == f"{m['guaranteed_met']} / {m['guaranteed_needs']}"
    assert _kpi(html, "money") == R.fmt_money(plan.summary["objective"]["money"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text by the browser, never run
    assert html.count("<svg") >= 3
