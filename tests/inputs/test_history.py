"""Carry-over, multi-month equity and stability change the plan as docs/model.md says."""

from __future__ import annotations

import pandas as pd
import pytest
from factories import make_scenario, unit

from linkage_opt.inputs.history import History, apply_history
from linkage_opt.solving.api import solve
from linkage_opt.solving.check import check_plan

OFF = {"rules": {"supervision": {"enabled": False}, "party_share": {"enabled": False}, "budget": {"enabled": False}}}


def vol(vid, home, hours, **kw):
    return {"volunteer_id": vid, "home_unit": home, "hours": hours, "skills": "general", "party_member": True, **kw}


def two_units(config=None, hours_a=4.0):
    return make_scenario(
        {**OFF, **(config or {})},
        units=[unit("A"), unit("B", x=1)],
        needs=[
            {"need_id": "a", "unit_id": "A", "category": "elderly_care", "quantity": 10},
            {"need_id": "b", "unit_id": "B", "category": "elderly_care", "quantity": 10},
        ],
        volunteers=[vol("v1", "A", hours_a), vol("v2", "B", 4.0)],
    )


def previous_coverage(unmet_a: float, unmet_b: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "need_id": ["a", "b"],
            "unit_id": ["A", "B"],
            "category": ["elderly_care"] * 2,
            "tier": ["basic"] * 2,
            "need": [10.0, 10.0],
            "covered": [10 - unmet_a, 10 - unmet_b],
            "unmet": [unmet_a, unmet_b],
            "coverage_ratio": [1 - unmet_a / 10, 1 - unmet_b / 10],
            "weight": [0.05, 0.05],
            "priority": [0.4, 0.4],
        }
    )


def test_carry_over_adds_capped_rows_of_last_month_unmet():
    sc = two_units({"carry_over": {"enabled": True, "cap": 0.5}})
    out = apply_history(sc, History(past_coverage=[("2026-11", previous_coverage(8.0, 2.0))]))
    carried = out.needs[out.needs["need_id"].str.contains("@")].set_index("need_id")["quantity"]
    assert carried["a@2026-11"] == pytest.approx(5.0)  # min(8 unmet, 0.5 x 10)
    assert carried["b@2026-11"] == pytest.approx(2.0)
    off = apply_history(two_units(), History(past_coverage=[("2026-11", previous_coverage(8.0, 2.0))]))
    assert len(off.needs) == 2  # switched off: nothing carried


def test_cumulative_shortfall_raises_a_units_priority_and_moves_hours_there():
    # one shared volunteer reaches both units; last months A was short, B was not
    sc = make_scenario(
        {**OFF, "carry_over": {"enabled": True, "cap": 0.0, "shortfall_boost": 2.0}},
        units=[unit("A"), unit("B", x=1)],
        needs=[
            {"need_id": "a", "unit_id": "A", "category": "elderly_care", "quantity": 10},
            {"need_id": "b", "unit_id": "B", "category": "elderly_care", "quantity": 10},
        ],
        volunteers=[vol("v", "B", 10.0)],
    )
    history = History(
        past_coverage=[("2026-11", previous_coverage(10.0, 0.0)), ("2026-10", previous_coverage(10.0, 0.0))]
    )
    plan = solve(sc, history=history)
    cov = plan.coverage.set_index("need_id")["covered"]
    # all hours to A despite travel (load 1.02 per hour at 1 km): 10 / 1.02 = 9.80 h, dispatched in 0.5 h steps
    assert cov["a"] == pytest.approx(9.5, rel=1e-6)
    assert plan.summary["dispatch"]["model_objective"]["coverage"] > 0
    assert cov["b"] == pytest.approx(0.0, abs=1e-6)
    assert not check_plan(apply_history(sc, history), plan.tables(), plan.summary)


def test_stability_keeps_last_months_pairings_and_reports_changes():
    # v serves A or B equally well; last month it served B
    sc = make_scenario(
        {
            **OFF,
            "stability": {"enabled": True, "penalty_per_hour": 5.0},
            "costs": {"travel_per_km": 0.0, "travel_overhead_per_km": 0.0},
        },
        units=[unit("A"), unit("B", x=1)],
        needs=[
            {"need_id": "a", "unit_id": "A", "category": "elderly_care", "quantity": 5},
            {"need_id": "b", "unit_id": "B", "category": "elderly_care", "quantity": 5},
        ],
        volunteers=[vol("v", "A", 5.0), vol("w", "A", 5.0)],
    )
    prev = pd.DataFrame(
        {
            "provider_kind": ["volunteer", "volunteer"],
            "provider_id": ["v", "w"],
            "unit_id": ["B", "A"],
            "category": ["elderly_care"] * 2,
            "need_id": ["b", "a"],
            "program_id": ["", ""],
            "quantity": [5.0, 5.0],
            "load": [5.0, 5.0],
            "cost": [0.0, 0.0],
        }
    )
    plan = solve(sc, history=History(previous_allocations=prev))
    pairs = set(map(tuple, plan.allocations[["provider_id", "unit_id"]].to_numpy()))
    assert pairs == {("v", "B"), ("w", "A")}
    assert plan.summary["stability"]["kept"] == 2 and plan.summary["stability"]["changed"] == 0
    # with the pairing swapped last month, the plan swaps too
    prev2 = prev.assign(unit_id=["A", "B"])
    plan2 = solve(sc, history=History(previous_allocations=prev2))
    assert set(map(tuple, plan2.allocations[["provider_id", "unit_id"]].to_numpy())) == {("v", "A"), ("w", "B")}


def test_hard_cap_on_new_pairings_and_reasons():
    sc = make_scenario(
        {**OFF, "stability": {"enabled": True, "penalty_per_hour": 0.0, "max_new_pairings": 0}},
        units=[unit("A"), unit("B", x=1)],
        needs=[{"need_id": "a", "unit_id": "A", "category": "elderly_care", "quantity": 10}],
        volunteers=[vol("v", "A", 10.0)],
    )
    prev = pd.DataFrame(
        {
            "provider_kind": ["volunteer"],
            "provider_id": ["v"],
            "unit_id": ["B"],
            "category": ["elderly_care"],
            "need_id": ["x"],
            "program_id": [""],
            "quantity": [1.0],
            "load": [1.0],
            "cost": [0.0],
        }
    )
    plan = solve(sc, history=History(previous_allocations=prev))
    assert plan.coverage["covered"].sum() == pytest.approx(0.0)  # serving A would be a new pairing
    free = sc.replace(
        config=sc.config.model_copy(
            update={"stability": sc.config.stability.model_copy(update={"max_new_pairings": 1})}
        )
    )
    plan = solve(free, history=History(previous_allocations=prev))
    assert plan.coverage["covered"].sum() == pytest.approx(10.0)
    changes = {(c["provider_id"], c["unit_id"], c["change"]): c["reason"] for c in plan.summary["stability"]["changes"]}
    assert (
        changes[("v", "B", "ended")] == "provider's hours not needed or not usable this period"
        or changes[("v", "B", "ended")] == "provider's hours went to needs of higher priority elsewhere"
    )
    assert ("v", "A", "new") in changes
