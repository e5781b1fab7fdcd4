"""Import hygiene that import-linter (pyproject.toml, run by `make test`) cannot express."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "linkage_opt"


def _is_module(package: Path, name: str) -> bool:
    return (package / f"{name}.py").is_file() or (package / name / "__init__.py").is_file()


def test_no_module_imports_the_package_that_imports_it():
    """`linkage_opt/__init__` imports load, plan, solve, ...: none of them may import the package's own
    attributes back (`from . import __version__` was such a cycle)."""
    bad = []
    for path in PKG.rglob("*.py"):
        if path == PKG / "__init__.py":
            continue
        depth = len(path.relative_to(PKG).parts) - 1          # 0 for linkage_opt/x.py
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                to_root = (node.level == depth + 1 and not node.module) or (node.level == 0 and node.module == "linkage_opt")
                if to_root:
                    bad += [f"{path.relative_to(PKG)}: {a.name}" for a in node.names if not _is_module(PKG, a.name)]
            elif isinstance(node, ast.Import):
                bad += [f"{path.relative_to(PKG)}: import {a.name}" for a in node.names if a.name == "linkage_opt"]
    assert not bad, bad


def test_tests_mirror_the_package():
    """Each subpackage has its tests in the folder of the same name (tests/solving/ for linkage_opt/solving/),
    and no test folder stands for a subpackage that does not exist."""
    tests = Path(__file__).resolve().parent
    packages = {p.name for p in PKG.iterdir() if (p / "__init__.py").is_file() and p.name != "locale"}
    folders = {p.name for p in tests.iterdir() if p.is_dir() and any(p.glob("test_*.py"))}
    assert folders == packages, (sorted(packages - folders), sorted(folders - packages))
