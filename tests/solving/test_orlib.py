"""External exactness: OR-Library instances, converted to ordinary scenarios, reach their known optima
through the ordinary CLI (`benchmarks/orlib.py` then `linkage-opt plan`), and the backends agree."""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linkage_opt.cli.commands import app
from linkage_opt.solvers import available_backends

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "orlib"

spec = importlib.util.spec_from_file_location("orlib", ROOT / "benchmarks" / "orlib.py")
orlib = importlib.util.module_from_spec(spec)
spec.loader.exec_module(orlib)

with open(DATA / "optima.csv", encoding="utf-8") as _fh:
    OPTIMA = list(csv.DictReader(_fh))
GAP = [r for r in OPTIMA if r["file"].startswith("gap")]
CFLP = [r for r in OPTIMA if r["file"].startswith("cap")]


def convert(row: dict, out: Path) -> Path:
    if row["file"].startswith("gap"):
        orlib.main(["gap", str(DATA / row["file"]), row["index"], str(out), "--sense", row["sense"]])
    else:
        orlib.main(["cflp", str(DATA / row["file"]), str(out)])
    return out / "config.yaml"


def plan(config: Path, out: Path, *extra: str) -> dict:
    result = CliRunner().invoke(app, ["plan", str(config), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("row", GAP, ids=[f"{r['instance']}-{r['sense']}" for r in GAP])
def test_gap_reaches_known_optimum(row, tmp_path):
    cfg = convert(row, tmp_path / "sc")
    plan(cfg, tmp_path / "plan")
    value = orlib.original_objective(tmp_path / "plan", tmp_path / "sc")
    assert value == pytest.approx(float(row["optimal_value"]), abs=1e-6)


@pytest.mark.parametrize("row", CFLP, ids=[r["instance"] for r in CFLP])
def test_cflp_reaches_known_optimum(row, tmp_path):
    cfg = convert(row, tmp_path / "sc")
    summary = plan(cfg, tmp_path / "plan")
    assert summary["status"] == "optimal"
    assert summary["objective"]["money"] == pytest.approx(float(row["optimal_value"]), rel=1e-9, abs=1e-3)


FAST = [b for b in ("cbc", "scip", "cpsat") if b in available_backends()]


@pytest.mark.parametrize("backend", FAST)
@pytest.mark.parametrize(
    "row", [r for r in GAP if r["file"] == "gap1.txt"][:4], ids=lambda r: f"{r['instance']}-{r['sense']}"
)
def test_backends_agree_on_gap(row, backend, tmp_path):
    cfg = convert(row, tmp_path / "sc")
    plan(cfg, tmp_path / "plan", "--backend", backend)
    assert orlib.original_objective(tmp_path / "plan", tmp_path / "sc") == pytest.approx(
        float(row["optimal_value"]), abs=1e-6
    )


@pytest.mark.parametrize("backend", [b for b in ("cbc", "scip") if b in available_backends()])
@pytest.mark.parametrize("row", CFLP[:2], ids=lambda r: r["instance"])
def test_backends_agree_on_cflp(row, backend, tmp_path):
    cfg = convert(row, tmp_path / "sc")
    summary = plan(cfg, tmp_path / "plan", "--backend", backend)
    assert summary["objective"]["money"] == pytest.approx(float(row["optimal_value"]), rel=1e-7)


def test_orlib_through_real_subprocesses(tmp_path):
    """The documented command lines, exactly as a user types them."""
    row = CFLP[0]
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "orlib.py"), "cflp", str(DATA / row["file"]), str(tmp_path / "sc")],
        check=True,
        capture_output=True,
    )
    res = subprocess.run(
        [
            sys.executable,
            str(ROOT / "cli.py"),
            "plan",
            str(tmp_path / "sc" / "config.yaml"),
            "--out",
            str(tmp_path / "plan"),
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text(encoding="utf-8"))
    assert summary["objective"]["money"] == pytest.approx(float(row["optimal_value"]), rel=1e-9)


@pytest.mark.parametrize("linking", ["never", "always"])
def test_strong_linking_rows_do_not_change_the_cflp_optimum(linking, tmp_path):
    row = CFLP[1]
    cfg = convert(row, tmp_path / "sc")
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace("  seed: 0\n", f"  seed: 0\n  strong_linking: {linking}\n"),
        encoding="utf-8",
    )
    summary = plan(cfg, tmp_path / "plan")
    assert summary["objective"]["money"] == pytest.approx(float(row["optimal_value"]), rel=1e-9)
    links = summary["model"]["constraints"]
    assert (links >= 800) == (linking == "always")  # the 16 x 50 edge rows only when asked for
