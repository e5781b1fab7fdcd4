"""The texts of the diagnosis, the rules and the input template come from the catalog (issue 16): no module
holds Chinese next to English any more, and the Chinese diagnosis and template read fully in Chinese."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import openpyxl
import pytest
from factories import make_scenario, unit

from linkage_opt import i18n
from linkage_opt.errors import InfeasibleError
from linkage_opt.model.formulation import build
from linkage_opt.solvers import SolverOptions
from linkage_opt.solving.api import solve
from linkage_opt.solving.diagnose import diagnose

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "linkage_opt"
CJK = re.compile(r"[\u4e00-\u9fff]")

# Modules whose Chinese string literals are data, not translations: accepted input spellings (headers, enum
# values, table names, booleans), synthetic Chinese names, the spellings docs/data.md lists.
DATA = {
    "schema.py",
    "inputs/generate.py",
    "inputs/generate_classic.py",
    "inputs/generate_real.py",
    "inputs/docgen.py",
    "inputs/load.py",  # the yes/no words and the date pattern (2026年12月1日) the loader accepts
    "inputs/config.py",
}  # privacy.personal's default column names (姓名, 联系电话, ...)
# Literals that are data in modules otherwise free of Chinese: input values the loader accepts, column names
# recognised in the planners' extra columns, a language's own name, the practice's name in the app's help.
DATA_LITERALS = {
    "outputs/template.py": {"是", "否"},
    "analysis/whatif.py": {"是"},
    "i18n.py": {"中文"},
    "outputs/sheets.py": {"姓名", "名字"},
    "cli/commands.py": {"Plan how a district's social resources reach its communities and villages (五社联动)."},
}
# Still being moved to the catalog (transitional; shrink as they go): none left.
TRANSITIONAL: set[str] = set()


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def chinese_literals(path: Path) -> list[str]:
    """The string literals of a module (f-strings' parts too, not docstrings) that hold Chinese."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip and CJK.search(n.value)
    ]


def test_no_module_writes_chinese_beside_english():
    bad = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).as_posix()
        if rel in DATA or rel in TRANSITIONAL:
            continue
        left = [s for s in chinese_literals(path) if s not in DATA_LITERALS.get(rel, set())]
        if left:
            bad[rel] = left
    assert not bad, bad


def test_the_scope_of_this_issue_is_free_of_chinese_literals():
    for rel in (
        "solving/diagnose.py",
        "outputs/template.py",
        *[f"rules/{p.name}" for p in (PKG / "rules").glob("*.py")],
    ):
        assert rel not in DATA | TRANSITIONAL
        assert set(chinese_literals(PKG / rel)) <= DATA_LITERALS.get(rel, set()), rel


def test_the_template_booleans_are_words_the_loader_accepts():
    from linkage_opt.inputs.load import FALSE_WORDS, TRUE_WORDS
    from linkage_opt.outputs.template import BOOL_VALUES

    for yes, no in BOOL_VALUES.values():
        assert yes in TRUE_WORDS and no in FALSE_WORDS


# What may stay in Latin letters in a Chinese text: values of the data (ids, names, category keys), config
# keys, file names, the command and its subcommands.
KEPT = re.compile(r"[\w.-]*[_./:<>;][\w.<>/:;-]*|\blinkage-opt\b|\bYAML\b|\b(?:validate|plan)\b")


def latin_left(text: str, values: tuple[str, ...] = ()) -> list[str]:
    for v in sorted(values, key=len, reverse=True):
        text = text.replace(v, " ")
    return re.findall(r"[A-Za-z]{2,}", KEPT.sub(" ", text))


def _two_guarantees(**config):
    # two guaranteed needs share one party-member volunteer with 10 h, capped at 5 h per unit: 6 + 6 > 10
    return make_scenario(
        {
            "rules": {
                "supervision": {"enabled": False},
                "party_share": {"enabled": False},
                "budget": {"enabled": False},
                "max_hours_per_unit": {"hours": 5.0},
            },
            **config,
        },
        units=[unit("A"), unit("B", x=1)],
        needs=[
            {"need_id": "a", "unit_id": "A", "category": "elderly_care", "quantity": 6, "tier": "guaranteed"},
            {"need_id": "b", "unit_id": "B", "category": "elderly_care", "quantity": 6, "tier": "guaranteed"},
        ],
        volunteers=[
            {
                "volunteer_id": "v1",
                "home_unit": "A",
                "hours": 10,
                "skills": "general",
                "party_member": True,
                "max_km": 5,
            }
        ],
    )


def test_the_diagnosis_reads_fully_in_either_language():
    sc = _two_guarantees()
    with pytest.raises(InfeasibleError) as info:
        solve(sc)
    diag = info.value.diagnosis
    assert diag.rules, "the hours cap takes part in the conflict"
    en, misses = diag.message("en"), len(i18n.MISSES)
    zh = diag.message("zh")
    assert len(i18n.MISSES) == misses
    assert en == str(info.value) and "Guaranteed needs cannot all be met" in en
    assert "hours cap per volunteer and unit (at most 5 hours of one volunteer in a unit)" in en
    assert zh.startswith("兜底保障需求无法全部满足") and "同时受以下规则约束" in zh and "代价最小的放宽办法" in zh
    assert "志愿者单点服务时长上限（每名志愿者在一个单位最多 5 小时）" in zh
    assert "1 名志愿者" in zh and "小时" in zh
    assert not latin_left(zh, ("A", "B", "elderly_care")), zh


def test_a_diagnosis_cut_short_by_the_time_limit_says_so_in_chinese():
    import time

    form = build(_two_guarantees())
    diag = diagnose(form, "highs", SolverOptions(deadline=time.monotonic() - 1.0))
    zh = diag.message("zh")
    assert diag.notes and "时间限制已用尽，未能求最小放宽方案" in zh
    assert not latin_left(zh), zh
    assert "the time limit left no time to find the cheapest relaxation" in diag.message()


def test_the_template_reads_fully_in_chinese():
    from linkage_opt.inputs.config import load_config
    from linkage_opt.outputs.template import build_template

    cfg = load_config(ROOT / "configs" / "zhugen.yaml")
    misses = len(i18n.MISSES)
    wb = openpyxl.load_workbook(io.BytesIO(build_template("zh", cfg)))
    assert len(i18n.MISSES) == misses
    first = wb.worksheets[0]
    assert first.title == "填写说明"
    texts = [str(c.value) for row in first.iter_rows() for c in row if c.value is not None]
    texts = [t for t in texts if not re.match(r"\w+ = ", t)]  # the categories: key = label (data)
    checks = [(dv.errorTitle, dv.error) for ws in wb.worksheets for dv in ws.data_validations.dataValidation]
    assert checks and all(title and message for title, message in checks)
    values = (*cfg.categories, "true", "false")
    for text in texts + [t for pair in checks for t in pair]:  # the drop-down's values after ： are data
        assert not latin_left(text.split("：", 1)[0] if "请从下拉列表中选择" in text else text, values), text
    en = openpyxl.load_workbook(io.BytesIO(build_template("en", cfg)))
    assert en.worksheets[0].title == "How to fill in"
    titles = {dv.errorTitle for ws in en.worksheets for dv in ws.data_validations.dataValidation}
    assert titles <= {"Not an allowed value", "Unknown unit", "Not a valid number"}
