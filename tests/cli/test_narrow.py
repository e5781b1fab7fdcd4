"""What the command line and the plan's pages show people, on the sample, in both languages (#13 item 4):
tables readable at 80 columns (no line wider than 80 cells, CJK counted as two), numbers formatted (no
float noise, no scientific notation), quantities with their unit of measure, and the Chinese sheets with
no Latin-script fragment other than ids, keys and values."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner
from words import latin_left

from linkage_opt.cli import commands, runs, sweep
from linkage_opt.cli.commands import app

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "configs" / "zhugen.yaml"
WIDTH = 80
NOISE = re.compile(r"\d\.\d{5,}|\de[+-]\d\d")  # 9805.342962505638, 2.4e+04
LANGS = ("en", "zh")
HOURS = {"en": " h", "zh": " 小时"}


def _narrow_consoles(mp: pytest.MonkeyPatch) -> None:
    """The cli's consoles as a terminal of 80 columns makes them (COLUMNS is read when a console is made)."""
    mp.setenv("COLUMNS", str(WIDTH))
    mp.setenv("LINKAGE_OPT_NO_PDF", "1")
    for module in (commands, runs, sweep):
        mp.setattr(module, "console", Console())
        mp.setattr(module, "err_console", Console(stderr=True))


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": str(WIDTH)})


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Every command's output at 80 columns, in both languages: {(command, lang): text}; and the plan folders."""
    tmp = tmp_path_factory.mktemp("narrow")
    variant = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    variant["data"] = str((SAMPLE.parent / variant["data"]).resolve())
    variant["rules"]["budget"]["amount"] = float(variant["rules"]["budget"].get("amount") or 200000) * 0.8
    variant_cfg = tmp / "variant.yaml"
    variant_cfg.write_text(yaml.safe_dump(variant, allow_unicode=True), encoding="utf-8")
    out: dict = {}
    with pytest.MonkeyPatch.context() as mp:
        _narrow_consoles(mp)
        for lang in LANGS:
            plan_dir = tmp / f"plan_{lang}"
            steps = {
                "plan": ("plan", str(SAMPLE), "--out", str(plan_dir), "--baseline", "--lang", lang),
                "explain": ("explain", str(plan_dir), "--lang", lang),
                "explain_unit": ("explain", str(plan_dir), "--unit", "新华社区", "--lang", lang),
                "validate": ("validate", str(SAMPLE), "--lang", lang),
                "whatif": ("whatif", str(SAMPLE), "--set", "volunteers.hours*=1.1", "--lang", lang),
            }
            for name, args in steps.items():
                r = _invoke(*args)
                assert r.exit_code in (0, 1), (name, lang, r.output)
                out[(name, lang)] = r.output
            out[("plan_dir", lang)] = plan_dir
        runs_dir = tmp / "runs"
        r1 = _invoke("run", str(SAMPLE), "--period", "2026-12", "--runs", str(runs_dir))
        r2 = _invoke("run", str(variant_cfg), "--period", "2026-12", "--runs", str(runs_dir))
        assert r1.exit_code == 0 and r2.exit_code == 0, (r1.output, r2.output)
        for lang in LANGS:
            out[("run", lang)] = r1.output if lang == "en" else ""
            for name, args in {
                "runs list": ("runs", "list"),
                "runs show": ("runs", "show", "2026-12-r2"),
                "runs diff": ("runs", "diff", "2026-12-r1", "2026-12-r2"),
            }.items():
                r = _invoke(*args, "--runs", str(runs_dir), "--lang", lang)
                assert r.exit_code == 0, (name, lang, r.output)
                out[(name, lang)] = r.output
            out[("sweep", lang)] = _sweep_table(mp, lang)
    return out


def _sweep_table(mp: pytest.MonkeyPatch, lang: str) -> str:
    """What `sweep` prints of its result (the variants themselves are planned on Dask: tests/runs/test_sweep.py)."""
    from linkage_opt.cli import common

    buf = Console(width=WIDTH, record=True, file=io.StringIO())
    mp.setattr(sweep, "console", buf)
    common.state["lang"] = lang
    table = pd.DataFrame(
        [
            {
                "variant": i,
                "label": f"rules.budget.amount={v:,}",
                "status": "optimal",
                "reused": i == 1,
                "guaranteed_met": 34,
                "guaranteed_needs": 34,
                "money": 162388.56 - i * 9805.342962505638,
                "gap": 0.0,
                "seconds": 3.2,
                "weighted_coverage": 0.8933,
                "rule_of_thumb_coverage": 0.7988,
                "min_unit_ratio": 0.5536,
                "error": "",
            }
            for i, v in enumerate((150000, 200000, 250000))
        ]
    )
    result = SimpleNamespace(
        table=table,
        meta={"perturb_weights": None},
        solved=2,
        reused=1,
        failed=0,
        seconds=9.6,
        workers=pd.DataFrame([{"worker": "tcp://127.0.0.1:40001", "variants": 3, "peak_mb": 412.5}]),
        robustness=None,
    )
    sweep._print_result(result)
    text = buf.export_text()
    common.state["lang"] = "en"
    return text


COMMANDS = ["plan", "explain", "explain_unit", "validate", "whatif", "runs list", "runs show", "runs diff", "sweep"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("command", COMMANDS)
def test_no_line_is_wider_than_80_cells(outputs, command, lang):
    text = outputs[(command, lang)]
    assert text.strip(), (command, lang)
    wide = [(cell_len(line), line) for line in text.splitlines() if cell_len(line) > WIDTH]
    assert not wide, (command, lang, wide[:5])


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("command", [*COMMANDS, "run"])
def test_no_float_noise_in_what_is_printed(outputs, command, lang):
    # `run`'s log lines on stderr (``2026-12-02T15:57:33.020Z INFO run.finished ... objective={...}``) are
    # records for machines, their figures at full precision (docs/operations.md, "Logs"): not checked here
    log = re.compile(r"^\d{4}-\d\d-\d\dT")
    bad = [line for line in outputs[(command, lang)].splitlines() if NOISE.search(line) and not log.match(line)]
    assert not bad, (command, lang, bad[:5])


def _page_text(path: Path) -> str:
    doc = path.read_text(encoding="utf-8")
    doc = re.sub(r"<style.*?</style>", " ", doc, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", doc))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", ["report.html", "sheets.html"])
def test_no_float_noise_in_the_pages(outputs, lang, page):
    text = _page_text(outputs[("plan_dir", lang)] / page)
    bad = [m.group(0) for m in re.finditer(r".{0,30}(?:\d\.\d{5,}|\de[+-]\d\d).{0,10}", text)]
    assert not bad, (lang, page, bad[:5])


@pytest.mark.parametrize("lang", LANGS)
def test_quantities_carry_their_unit(outputs, lang):
    """Hours in h / 小时 wherever the CLI prints them; explain's needs in their category's unit; report.html's
    tables of needs and providers with units."""
    from linkage_opt import lang as L

    plan = outputs[("plan", lang)]
    idle = [line for line in plan.splitlines() if L.t("idle volunteer/worker hours", lang) in line]
    assert idle and all(HOURS[lang].strip() in line for line in idle), idle
    assert not re.search(r"\d{6}\.\d", plan)  # 162,499.44, not 162499.4364801293
    unmet = [
        line for line in outputs[("explain", lang)].splitlines() if L.label("explain", "unmet_need", lang) + ":" in line
    ]
    words = {L.uom(u, lang) for u in L.UOMS} | {"h"}
    assert unmet and all(line.rstrip().split(" ")[-1] in words for line in unmet), unmet[:5]
    whatif = [
        line
        for line in outputs[("whatif", lang)].splitlines()
        if L.t_or("metric.idle_hours", "idle hours", lang) in line
    ]
    assert whatif and all(HOURS[lang].strip() in line for line in whatif), whatif
    report = _page_text(outputs[("plan_dir", lang)] / "report.html")
    assert re.search(r"\d[\d,.]* " + ("元" if lang == "zh" else "yuan"), report)
    assert re.search(r"\d[\d,.]*" + HOURS[lang] + r"\b" if lang == "en" else r"\d[\d,.]* 小时", report)


def test_the_chinese_sheets_have_no_latin_fragment_but_ids_keys_and_values(outputs):
    """sheets.html in Chinese: every word of the page is the catalog's Chinese; Latin letters left are ids
    (ZG-C01, VOL001), keys and the inputs' own values (names, the scenario's title)."""
    from linkage_opt.inputs.load import load_scenario

    sc = load_scenario(SAMPLE)
    text = _page_text(outputs[("plan_dir", "zh")] / "sheets.html")
    values = {
        sc.config.name,
        *(
            str(v)
            for f in sc.tables.values()
            for c in f.columns
            if f[c].dtype == object
            for v in f[c]
            if isinstance(v, str) and v.strip()
        ),
    }
    for v in sorted(values, key=len, reverse=True):
        text = text.replace(v, " ")
    left = {line.strip()[:80]: latin_left(line) for line in text.splitlines() if latin_left(line)}
    assert not left, left


def test_the_tables_are_stacked_when_narrow_and_whole_when_wide(outputs):
    """At 80 columns explain's table is one block per need (``header: value``); at 200 it is a table."""
    from linkage_opt import lang as L

    narrow = outputs[("explain", "zh")]
    assert L.label("explain", "unmet_need", "zh") + ":" in narrow and "┃" not in narrow.split("\n\n")[0]
    plan_dir = outputs[("plan_dir", "zh")]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLUMNS", "250")
        mp.setattr(commands, "console", Console())
        r = CliRunner().invoke(app, ["explain", str(plan_dir), "--lang", "zh"], env={"COLUMNS": "250"})
    assert r.exit_code == 0 and "┃" in r.output
