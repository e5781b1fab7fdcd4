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
        depth = len(path.relative_to(PKG).parts) - 1  # 0 for linkage_opt/x.py
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                to_root = (node.level == depth + 1 and not node.module) or (
                    node.level == 0 and node.module == "linkage_opt"
                )
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


# Cycles accepted as debt (docs/architecture.md "Layout"): none. A cycle found is a failure; one put here must
# say why, and the test fails again once it is gone.
KNOWN_CYCLES: list[set[str]] = []


def _cycles(graph) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            for j in range(i, len(edges[node])):
                nxt = edges[node][j]
                if nxt not in index:
                    work += [(node, j + 1), (nxt, 0)]
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                if low[node] == index[node]:
                    component = set()
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        component.add(m)
                        if m == node:
                            break
                    if len(component) > 1:
                        found.append(component)
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return found


def test_no_import_cycles_between_the_package_modules():
    """grimp's graph counts every import, the ones inside functions too (those that import-linter's layers
    see as well): no two modules of linkage_opt import each other, directly or round a loop, but the debt
    of KNOWN_CYCLES. A lazy import of a heavy library (highspy, xlsxwriter, dask, matplotlib) is not a cycle."""
    import grimp

    graph = grimp.build_graph("linkage_opt", exclude_type_checking_imports=True)
    cycles = _cycles(graph)
    unknown = [sorted(c) for c in cycles if c not in KNOWN_CYCLES]
    assert not unknown, unknown
    assert all(c in cycles for c in KNOWN_CYCLES), "a known cycle is gone: take it off KNOWN_CYCLES"


def test_the_cycle_finder_finds_a_cycle():
    class Graph:
        modules = frozenset({"a", "b", "c", "d"})

        @staticmethod
        def find_modules_directly_imported_by(m):
            return {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}[m]

    assert _cycles(Graph()) == [{"a", "b", "c"}]
