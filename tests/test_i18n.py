"""The gettext catalog (linkage_opt/locale/zh/LC_MESSAGES/linkage_opt.po): complete, not fuzzy, in step with the
code, and Chinese without stray English; `--lang` on the root command."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from typer.testing import CliRunner
from words import latin_left

from linkage_opt import i18n
from linkage_opt.cli.commands import app

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "linkage_opt" / "locale" / "zh" / "LC_MESSAGES" / "linkage_opt.po"
KEYWORDS = ["t", "T", "Msg", "N_", "C_:1c,2", "Nn_:1,2", "ngettext:1,2", "gettext", "_", "pgettext:1c,2"]


def _catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="zh")


def test_no_untranslated_or_fuzzy_entry():
    bad = [
        m.id
        for m in _catalog()
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert not bad, bad


def test_every_message_in_the_code_is_in_the_catalog(tmp_path):
    pot = tmp_path / "messages.pot"
    cmd = [
        str(Path(sys.executable).with_name("pybabel")),
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "--no-default-keywords",
        *[f"-k{k}" for k in KEYWORDS],
        "--no-location",
        "-o",
        str(pot),
        ".",
    ]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        extracted = read_po(f)
    have = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog() if m.id}
    missing = [m.id for m in extracted if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in have]
    assert not missing, missing


def test_placeholders_match():
    names = re.compile(r"\{(\w*)")
    bad = [
        m.id
        for m in _catalog()
        if m.id and isinstance(m.id, str) and set(names.findall(m.id)) != set(names.findall(m.string))
    ]
    assert not bad, bad


def test_chinese_messages_have_no_stray_english():
    bad = {}
    for m in _catalog():
        if not m.id:
            continue
        for s in m.string if isinstance(m.string, tuple) else (m.string,):
            left = latin_left(s)
            if left:
                bad[s] = left
    assert not bad, bad


def _walk(group, path=()):
    yield path
    for name, cmd in getattr(group, "commands", {}).items():
        yield from _walk(cmd, (*path, name))


def _command(group, path):
    for name in path:
        group = group.commands[name]
    return group


def test_every_help_in_chinese_has_no_stray_english(monkeypatch):
    import typer.main

    monkeypatch.setenv("COLUMNS", "200")
    bad = {}
    root = typer.main.get_command(app)
    for path in _walk(root):
        cmd = _command(root, path)  # its arguments' and subcommands' names are ids, as the user types them
        names = {p.name for p in cmd.params if p.name} | set(getattr(cmd, "commands", {}))
        r = CliRunner().invoke(app, ["--lang", "zh", *path, "--help"])
        assert r.exit_code == 0, (path, r.output)
        body = "\n".join(line for line in r.output.splitlines() if not line.strip().startswith(("Usage", "用法")))
        body = re.sub(r"--[\w-]+|\[[^\]]*\]|<[^>]*>|\b[A-Z_]{2,}\b", " ", body)  # options, defaults, metavars
        left = [
            w
            for w in latin_left(body)
            if w.lower() not in {"usage", "text", "float", "integer", "path", "command", "args", "options"}
            and w not in names
        ]
        if left:
            bad[" ".join(path)] = sorted(set(left))
    assert not bad, bad


def test_lang_on_the_root_command(tiny_scenario):
    r = CliRunner().invoke(app, ["--lang", "zh", "--help"])
    assert r.exit_code == 0 and "规划一个区的社会资源" in r.output and "选项" in r.output
    r = CliRunner().invoke(app, ["--lang", "zh", "validate", str(tiny_scenario)])
    assert r.exit_code == 0 and "通过" in r.output
    r = CliRunner().invoke(app, ["validate", str(tiny_scenario)])  # and English again
    assert r.exit_code == 0 and "OK" in r.output
    r = CliRunner().invoke(app, ["--lang", "fr", "validate", str(tiny_scenario)])
    assert r.exit_code == 2


def test_help_wraps_to_the_terminal_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    r = CliRunner().invoke(app, ["--lang", "zh", "plan", "--help"])
    assert r.exit_code == 0 and max(len(line) for line in r.output.splitlines()) > 100


def test_a_stale_mo_is_recompiled(tmp_path, monkeypatch):
    loc = tmp_path / "locale"
    shutil.copytree(PO.parents[2], loc)
    monkeypatch.setattr(i18n, "LOCALE_DIR", loc)
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("zh").gettext("error:") == "错误："
        assert (loc / "zh" / "LC_MESSAGES" / "linkage_opt.mo").exists()
    finally:
        i18n.translations.cache_clear()


def test_a_problem_carries_its_message_id_and_parameters(tmp_path):
    from linkage_opt.errors import Problem
    from linkage_opt.i18n import Msg

    p = Problem(
        "needs.csv",
        3,
        "unit_id",
        Msg("unknown {noun} {el!r}", noun=Msg("unit"), el="U9"),
        hint=Msg("it must be one of {listing}", listing="U1, U2"),
    )
    assert p.msgid == "unknown {noun} {el!r}" and p.params["el"] == "U9"
    assert str(p) == "needs.csv, row 3, column unit_id: unknown unit 'U9' -- hint: it must be one of U1, U2"
    assert p.render("zh") == "needs.csv，第 3 行，列 unit_id：未知的单位 'U9' —— 提示：必须是以下之一：U1, U2"
    import pickle

    assert pickle.loads(pickle.dumps(p)).render("zh") == p.render("zh")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_plural_forms(lang):
    from linkage_opt import lang as L

    assert L.plural(1, "unit", lang) == ("1 unit" if lang == "en" else "1 个单位")
    assert L.plural(1200, "unit", lang) == ("1,200 units" if lang == "en" else "1,200 个单位")


def _display_width(line: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


@pytest.mark.parametrize("columns", [160, 80])
def test_chinese_help_wraps_to_the_terminal_width_not_at_80(monkeypatch, columns):
    """A long Chinese help line (plan --decompose: 87 columns of text, 118 with its option) stays whole at COLUMNS=160 and wraps,
    with no line wider than the terminal, at COLUMNS=80."""
    monkeypatch.setenv("COLUMNS", str(columns))
    r = CliRunner().invoke(app, ["--lang", "zh", "plan", "--help"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert max(_display_width(line) for line in lines) <= columns
    help_zh = i18n._(
        "Plan the parts of a units column (town, county, ...) separately on Dask and merge them (docs/model.md).", "zh"
    )
    assert _display_width(help_zh) > 80
    whole = [line for line in lines if help_zh in line]
    assert bool(whole) == (columns == 160), (columns, help_zh)
    if columns == 80:  # wrapped: its first words are on one line, its last on another
        assert any(help_zh[:8] in line for line in lines) and any(help_zh[-8:] in line for line in lines)


def test_no_regex_translation_is_left():
    """Every message is a message id and its parameters (#16 item 2): the old pattern table is gone."""
    import linkage_opt

    package = Path(linkage_opt.__file__).parent
    assert not list(package.rglob("_legacy_zh*")), "linkage_opt._legacy_zh is back"
    users = [str(p) for p in package.rglob("*.py") if "_legacy_zh" in p.read_text(encoding="utf-8")]
    assert not users, users
    i18n.MISSES.clear()
    assert i18n.render("not a message id of ours", "zh") == "not a message id of ours"
    assert i18n.MISSES == ["not a message id of ours"]  # shown as it is, and recorded
    i18n.MISSES.clear()


def test_pydantic_errors_are_messages_of_the_catalog():
    """pydantic's errors become messages by their type and ctx, reading exactly as pydantic words them."""
    from pydantic import ValidationError as PydanticValidationError

    from linkage_opt.inputs.config import PYDANTIC_MESSAGES, Config, pydantic_message

    bad = {
        "period": 5,
        "data": [1],
        "zz": 1,
        "reach": 3,
        "tables": {"x": 1},
        "categories": {"a": {"weight": "x", "professional": "maybe", "hours_per_unit": float("inf")}},
        "objective": {"mode": "x", "order": "abc"},
        "equity": {"floor": -1},
        "solver": {"threads": 1.5, "seed": "9" * 30, "time_limit": -1, "mip_gap": 5, "backend": "gurobi"},
    }
    with pytest.raises(PydanticValidationError) as info:
        Config.model_validate(bad)
    errors = info.value.errors()
    assert len({e["type"] for e in errors}) >= 10
    i18n.MISSES.clear()
    for err in errors:
        msg = pydantic_message(err)
        assert err["type"] in PYDANTIC_MESSAGES, err
        assert str(msg) == err["msg"] and msg.msgid == PYDANTIC_MESSAGES[err["type"]]
        zh = msg.render("zh")
        assert zh != err["msg"] and not latin_left(re.sub(r"'[^']*'", " ", zh)), (err["msg"], zh)
    assert not i18n.MISSES, i18n.MISSES


@pytest.fixture(scope="module")
def sample_plan_zh(tmp_path_factory):
    out = tmp_path_factory.mktemp("zhugen_zh") / "plan"
    r = CliRunner().invoke(
        app, ["plan", str(ROOT / "configs" / "zhugen.yaml"), "--out", str(out), "--lang", "zh", "--time-limit", "600"]
    )
    assert r.exit_code == 0, r.output
    return out


def test_plan_csvs_keep_codes_and_parameters_not_chinese_columns(sample_plan_zh):
    import pandas as pd

    csvs = sorted(sample_plan_zh.rglob("*.csv"))
    assert any(p.name == "explanations.csv" for p in csvs)
    for path in csvs:
        columns = list(pd.read_csv(path, nrows=0).columns)
        assert not [c for c in columns if str(c).endswith("_zh")], (path.name, columns)
    ex = pd.read_csv(sample_plan_zh / "explanations.csv", dtype=str)
    assert {"reason_code", "reason_params", "reason"} <= set(ex.columns)


def test_explain_in_chinese_shows_chinese_reasons(sample_plan_zh, monkeypatch):
    import pandas as pd
    from rich.console import Console

    from linkage_opt.analysis.explain import reason_text
    from linkage_opt.cli import commands
    from linkage_opt.inputs.load import load_scenario

    ex = pd.read_csv(sample_plan_zh / "explanations.csv", dtype=str, keep_default_na=False)
    assert len(ex), "the sample plan leaves some needs unmet: their reasons are what is checked"
    sc = load_scenario(ROOT / "configs" / "zhugen.yaml")
    ids = {str(v) for col in ("unit_id", "name") for v in sc.units[col]} | set(sc.config.categories)
    ids |= {
        str(v) for t in ("volunteers", "social_workers", "organizations", "charity") for v in getattr(sc, t).iloc[:, 0]
    }
    ids |= set(ex["reason_code"]) | set(ex["need_id"])

    def left(text: str) -> list[str]:
        return [w for w in latin_left(text) if w not in ids and not any(w in i for i in ids)]

    i18n.MISSES.clear()
    monkeypatch.setattr(commands, "console", Console(width=2000))  # one line a row: each reason whole
    r = CliRunner().invoke(app, ["explain", str(sample_plan_zh), "--lang", "zh"])
    assert r.exit_code == 0, r.output
    assert not i18n.MISSES, i18n.MISSES
    for row in ex.to_dict("records"):
        zh = reason_text(row, "zh")
        assert zh != row["reason"] and zh in r.output, (row["reason_code"], zh)
        assert not left(zh), (zh, left(zh))
    assert not left(r.output), left(r.output)


def test_every_help_is_chinese_however_the_language_is_given_and_fits_80_columns(monkeypatch):
    """Every command's and subcommand's --help: `linkage-opt --lang zh CMD --help`, `linkage-opt CMD --lang zh
    --help` and LINKAGE_OPT_LANG=zh give the same Chinese help (the walk above checks its words); at 80
    columns it wraps, never wider and never cut off with an ellipsis."""
    import typer.main
    from rich.cells import cell_len

    monkeypatch.setenv("COLUMNS", "80")
    root = typer.main.get_command(app)

    def body(output: str) -> str:
        return "\n".join(line for line in output.splitlines() if not line.strip().startswith(("Usage", "用法")))

    for path in _walk(root):
        first = CliRunner().invoke(app, ["--lang", "zh", *path, "--help"])
        assert first.exit_code == 0, (path, first.output)
        after = CliRunner().invoke(app, [*path, "--lang", "zh", "--help"]) if path else first
        env = CliRunner().invoke(app, [*path, "--help"], env={"LINKAGE_OPT_LANG": "zh", "COLUMNS": "80"})
        assert after.exit_code == 0 and env.exit_code == 0, path
        assert body(first.output) == body(after.output) == body(env.output), path
        assert "选项" in first.output or "命令" in first.output, path
        wide = [line for line in first.output.splitlines() if cell_len(line) > 80]
        assert not wide and "…" not in first.output, (path, wide)
