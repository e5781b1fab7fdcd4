"""The command line: exit codes, files written (atomically) or not written, messages without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_scenario
from typer.testing import CliRunner

from linkage_opt.cli.commands import app

ROOT = Path(__file__).resolve().parents[2]
PLAN_FILES = {
    "allocations.csv",
    "coverage.csv",
    "providers.csv",
    "programs.csv",
    "summary.json",
    "explanations.csv",
    "marginal_values.csv",
}


def run(*args: str):
    return CliRunner().invoke(app, list(args), terminal_width=200)


def test_version_and_help():
    r = run("--version")
    assert r.exit_code == 0 and "linkage-opt" in r.output
    r = run("--help")
    assert r.exit_code == 0 and "plan" in r.output and "validate" in r.output


def test_plan_tiny_writes_every_file_and_checks(tiny_scenario, tmp_path):
    out = tmp_path / "plan"
    r = run("plan", str(tiny_scenario), "--out", str(out), "--baseline")
    assert r.exit_code == 0, r.output
    assert PLAN_FILES | {"baseline.json"} <= {p.name for p in out.iterdir()}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "optimal"
    assert set(summary["timings"]) == {"load_s", "build_s", "solve_s", "write_s"}
    assert all(len(h) == 64 for h in summary["inputs"].values()) and len(summary["inputs"]) >= 2
    # CSVs carry a BOM for Excel/WPS
    assert (out / "coverage.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    r = run("check", str(out))
    assert r.exit_code == 0, r.output
    r = run("explain", str(out))
    assert r.exit_code == 0, r.output


def over_demanded(tmp_path: Path) -> Path:
    tables = {
        "needs": [
            {
                "need_id": "big",
                "unit_id": "U1",
                "category": "elderly_care",
                "quantity": "500",
                "tier": "guaranteed",
                "indivisible": "false",
            },
            {
                "need_id": "ok",
                "unit_id": "U2",
                "category": "material_aid",
                "quantity": "12",
                "tier": "basic",
                "indivisible": "false",
            },
        ]
    }
    return write_scenario(tmp_path / "sc", tables=tables)


def test_infeasible_exits_3_names_the_conflict_and_writes_nothing(tmp_path):
    cfg = over_demanded(tmp_path)
    out = tmp_path / "plan"
    res = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "plan", str(cfg), "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert res.returncode == 3, res.stderr
    text = res.stdout + res.stderr
    assert "Traceback" not in text
    assert "东门社区 (U1), elderly_care: 500 hours guaranteed" in text
    assert "Cheapest relaxation" in text
    assert not out.exists()
    assert not any(p.name.startswith(".plan") for p in tmp_path.iterdir())
    res = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "plan", str(cfg), "--out", str(out), "--lang", "zh"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert res.returncode == 3
    assert "没有任何方案能同时满足全部要求" in res.stderr
    assert "单位 东门社区（U1），elderly_care：兜底保障 500 小时" in res.stderr and "代价最小的放宽办法" in res.stderr
    assert not out.exists()


def test_existing_plan_is_replaced_whole_and_a_failed_write_leaves_it_intact(tiny_scenario, tmp_path, monkeypatch):
    out = tmp_path / "plan"
    assert run("plan", str(tiny_scenario), "--out", str(out)).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    import linkage_opt.solving.plan as plan_mod

    calls = {"n": 0}
    real = plan_mod.write_csv

    def failing(frame, path):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full (simulated)")
        real(frame, path)

    monkeypatch.setattr(plan_mod, "write_csv", failing)
    r = run("plan", str(tiny_scenario), "--out", str(out))
    assert r.exit_code == 4 and "disk full" in r.output and "no plan was changed" in r.output
    assert "internal error" not in r.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    current = os.readlink(out)  # out is a link to the one version folder
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".plan")] == [current]


def test_refuses_to_overwrite_a_folder_that_is_not_a_plan(tiny_scenario, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    r = run("plan", str(tiny_scenario), "--out", str(out))
    assert r.exit_code == 2 and "not a linkage-opt plan" in r.output
    assert (out / "notes.txt").read_text() == "keep me"


def test_bad_backend_is_a_clear_error(tiny_scenario, tmp_path):
    r = run("plan", str(tiny_scenario), "--out", str(tmp_path / "p"), "--backend", "gurobi")
    assert r.exit_code == 2, r.output  # bad input, not "internal error"
    assert "unknown solver backend 'gurobi'" in r.output and "choose one of: highs, cbc, scip, cpsat" in r.output
    assert "Traceback" not in r.output and "internal error" not in r.output and not (tmp_path / "p").exists()


@pytest.mark.parametrize("backend", ["cbc", "scip"])
def test_other_backends_reach_the_same_plan_value(tiny_scenario, tmp_path, backend):
    a = tmp_path / "a"
    b = tmp_path / "b"
    assert run("plan", str(tiny_scenario), "--out", str(a), "--mip-gap", "0").exit_code == 0
    assert run("plan", str(tiny_scenario), "--out", str(b), "--backend", backend, "--mip-gap", "0").exit_code == 0
    sa = json.loads((a / "summary.json").read_text(encoding="utf-8"))["objective"]
    sb = json.loads((b / "summary.json").read_text(encoding="utf-8"))["objective"]
    for term in ("coverage", "equity", "money"):
        assert sb[term] == pytest.approx(sa[term], rel=1e-6, abs=1e-6)


def test_whatif_tabulates_variants(tiny_scenario, tmp_path):
    out = tmp_path / "w.csv"
    r = run(
        "whatif",
        str(tiny_scenario),
        "--set",
        "volunteers.hours*=2",
        "--set",
        "categories.relief.weight=0.5",
        "--out",
        str(out),
    )
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, encoding="utf-8-sig")
    assert list(df["variant"]) == ["base", "volunteers.hours*=2", "categories.relief.weight=0.5"]
    assert df.loc[1, "weighted_coverage"] >= df.loc[0, "weighted_coverage"] - 1e-9
    r = run("whatif", str(tiny_scenario), "--set", "volunteers.hourz*=2")
    assert r.exit_code == 2 and "did you mean 'hours'" in r.output


def test_plan_is_deterministic(tiny_scenario, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run("plan", str(tiny_scenario), "--out", str(a)).exit_code == 0
    assert run("plan", str(tiny_scenario), "--out", str(b)).exit_code == 0
    for name in ("allocations.csv", "coverage.csv", "providers.csv", "programs.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_help_wraps_at_the_terminal_width_not_at_the_docstrings_line_ends():
    """`plan --help` at 120 columns: the exit-code paragraph runs on (its source lines end at about 100)."""
    r = CliRunner().invoke(app, ["plan", "--help"], env={"COLUMNS": "120"})
    assert r.exit_code == 0
    text = " ".join(r.output.split())
    assert "3 infeasible (with the conflicting requirements named), 4 solver" in text
    line = next(x for x in r.output.splitlines() if "Exit codes" in x)
    assert "requirements named" in line, line  # on the same line: not broken where the source was
    zh = CliRunner().invoke(app, ["--lang", "zh", "plan", "--help"], env={"COLUMNS": "120"})
    assert zh.exit_code == 0 and "退出码" in zh.output and " 除 " not in zh.output
