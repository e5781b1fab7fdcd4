"""The typed summary (linkage_opt.solving.summary.Summary): summary.json round trips key for key, an older
or newer folder's unknown keys are kept, Plan.read gives a Summary, and mypy checks attribute access."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import write_scenario

import linkage_opt as lo
from linkage_opt.solving.summary import Metrics, Stage, Summary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def plan(tiny_scenario_module):
    return lo.solve(lo.load_scenario(tiny_scenario_module))


@pytest.fixture(scope="module")
def tiny_scenario_module(tmp_path_factory):
    return write_scenario(tmp_path_factory.mktemp("tiny"))


def test_the_summary_is_typed(plan):
    s = plan.summary
    assert isinstance(s, Summary) and lo.Summary is Summary
    assert isinstance(s.metrics, Metrics) and isinstance(s.stages[0], Stage)
    assert s.status == plan.status and s.metrics.guaranteed_met == s.metrics.guaranteed_needs
    assert s.objective.money == s["objective"]["money"]  # the mapping of the dict it was, too
    assert s.stages[0].stage == s["stages"][0]["stage"] == "coverage"
    assert s.solver.name == "highs" and s.timings.build_s is not None
    assert "stability" not in s and s.get("stability") is None and s.stability is None


def test_summary_json_round_trips_key_for_key(plan, tmp_path):
    out = plan.write(tmp_path / "plan")
    text = (out / "summary.json").read_text(encoding="utf-8")
    raw = json.loads(text)
    assert list(raw)[:6] == ["status", "objective", "objective_stage", "best_bound", "gap", "stages"]
    read = lo.Plan.read(out)
    assert isinstance(read.summary, Summary)
    assert read.summary.to_dict() == raw
    assert json.dumps(read.summary.to_dict(), ensure_ascii=False, indent=2) + "\n" == text  # the same bytes
    assert list(read.summary.keys()) == list(raw)  # in the same order
    again = read.write(tmp_path / "again")
    assert json.loads((again / "summary.json").read_text(encoding="utf-8")) == {
        **raw,
        "timings": {**raw["timings"], "write_s": read.summary.timings.write_s},
    }


def test_keys_never_set_are_not_written(plan):
    d = plan.summary.to_dict()
    for key in ("decomposition", "baseline", "sheets", "outputs_skipped", "stability"):
        assert key not in d
    assert "lp_rounding" not in d["stages"][0] or plan.summary.stages[0].lp_rounding is not None


def test_unknown_keys_of_another_version_are_kept(plan, tmp_path):
    out = plan.write(tmp_path / "plan")
    raw = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    raw["from_the_future"] = {"x": 1}
    raw["metrics"]["new_metric"] = 0.5
    raw["stages"][0]["new_note"] = "n"
    del raw["dispatch"], raw["rule_of_thumb_start"]  # and keys an older version did not write
    (out / "summary.json").write_text(json.dumps(raw, ensure_ascii=False, indent=2), encoding="utf-8")
    read = lo.Plan.read(out)
    assert read.summary["from_the_future"] == {"x": 1} and read.summary.metrics["new_metric"] == 0.5
    assert read.summary.stages[0]["new_note"] == "n" and read.summary.dispatch is None
    assert read.summary.to_dict() == raw


def test_a_summary_of_the_wrong_shape_is_a_damaged_plan(plan, tmp_path):
    out = plan.write(tmp_path / "plan")
    raw = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    raw["stages"] = "not a list"
    (out / "summary.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(lo.ValidationError, match="cannot read the plan file"):
        lo.Plan.read(out)


def test_a_mapping_given_to_plan_becomes_a_summary(plan):
    p = lo.Plan(**plan.tables(), summary={**plan.summary, "scenario": "tagged"})
    assert isinstance(p.summary, Summary) and p.summary.scenario == "tagged"
    p.summary["outputs_skipped"] = [{"output": "report.html"}]  # set as the dict was, read as attributes
    assert p.summary.outputs_skipped == [{"output": "report.html"}]
    assert list(p.summary.to_dict())[-1] == "outputs_skipped"
    assert "outputs_skipped" not in plan.summary
    p.summary.solver = {"name": "cbc", "time_limit": 60}  # validated on assignment; 60 stays an int
    assert p.summary.solver.name == "cbc" and p.summary.to_dict()["solver"] == {"name": "cbc", "time_limit": 60}


@pytest.mark.slow
def test_mypy_checks_attribute_access(tmp_path):
    api = pytest.importorskip("mypy.api")
    typed = tmp_path / "typed.py"
    typed.write_text(
        textwrap.dedent("""
        import linkage_opt as lo

        def coverage(plan: lo.Plan) -> float:
            return plan.summary.metrics.weighted_coverage + plan.summary.stages[0].solve_s_or_none
    """),
        encoding="utf-8",
    )
    out, _, code = api.run(
        [
            str(typed),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--no-error-summary",
        ]
    )
    assert code == 1 and '"Stage" has no attribute "solve_s_or_none"' in out, out
    typed.write_text(
        typed.read_text(encoding="utf-8").replace(" + plan.summary.stages[0].solve_s_or_none", ""), encoding="utf-8"
    )
    out, _, code = api.run(
        [
            str(typed),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--no-error-summary",
        ]
    )
    assert code == 0, out
