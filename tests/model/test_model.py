"""The model on constructed cases whose true answer is known by hand."""

from __future__ import annotations

import pytest
from factories import make_scenario, unit

from linkage_opt.analysis.explain import explain_unmet, reason_text
from linkage_opt.errors import InfeasibleError
from linkage_opt.solving.api import solve
from linkage_opt.solving.check import check_plan

OFF = {"rules": {"supervision": {"enabled": False}, "party_share": {"enabled": False}, "budget": {"enabled": False}}}


def covered(plan, need_id):
    return float(plan.coverage.set_index("need_id").loc[need_id, "covered"])


def vol(vid, home="A", hours=10.0, skills="general", party=True, **kw):
    return {"volunteer_id": vid, "home_unit": home, "hours": hours, "skills": skills, "party_member": party, **kw}


def test_higher_weight_served_first_and_explained():
    # one volunteer, 8 h; elderly_care (weight 0.4) 10 h and culture-like low weight need: the low one is explained
    sc = make_scenario(
        {**OFF, "categories": {"culture": {"weight": 0.05}, "elderly_care": {"label": "养老服务"}}},
        units=[unit("A")],
        needs=[
            {"need_id": "hi", "unit_id": "A", "category": "elderly_care", "quantity": 10},
            {"need_id": "lo", "unit_id": "A", "category": "culture", "quantity": 5},
        ],
        volunteers=[vol("v1", hours=8)],
    )
    plan = solve(sc)
    assert covered(plan, "hi") == pytest.approx(8.0)
    assert covered(plan, "lo") == pytest.approx(0.0)
    ex = explain_unmet(plan.formulation, plan.solution, plan.tables()).set_index("need_id")
    assert ex.loc["lo", "reason_code"] == "capacity_exhausted"
    assert "the only eligible provider is fully used" in ex.loc["lo", "reason"]
    assert "100% went to needs ranked higher" in ex.loc["lo", "reason"]
    assert "A elderly_care 8 hours" in ex.loc["lo", "reason"]
    zh = reason_text(ex.loc["lo"].to_dict(), "zh")  # the category's label and the unit, in Chinese
    assert "A养老服务 8 小时" in zh and "elderly_care" not in zh and "hours" not in zh, zh


def test_no_provider_in_reach_is_explained():
    sc = make_scenario(
        OFF,
        units=[unit("A"), unit("B", x=50)],
        needs=[{"need_id": "far", "unit_id": "B", "category": "elderly_care", "quantity": 4}],
        volunteers=[vol("v1", hours=8)],
    )
    plan = solve(sc)
    ex = explain_unmet(plan.formulation, plan.solution, plan.tables()).set_index("need_id")
    assert ex.loc["far", "reason_code"] == "no_provider"
    assert "1 provider with the skill exist" in ex.loc["far", "reason"]


def test_supervision_ratio_binds():
    # professional category: volunteers need 1 worker hour per 4 volunteer hours; worker has 2 h
    sc = make_scenario(
        {
            "rules": {
                "supervision": {"enabled": True, "volunteer_hours_per_worker_hour": 4},
                "party_share": {"enabled": False},
                "budget": {"enabled": False},
            }
        },
        units=[unit("A")],
        needs=[{"need_id": "m", "unit_id": "A", "category": "mental_health", "quantity": 30}],
        volunteers=[vol("v1", hours=20, skills="mental_health")],
        social_workers=[{"worker_id": "w1", "base_unit": "A", "hours": 2, "skills": "mental_health"}],
    )
    plan = solve(sc)
    # worker 2 h + volunteers at most 4 * 2 = 8 h
    assert covered(plan, "m") == pytest.approx(10.0)
    assert not check_plan(sc, plan.tables(), plan.summary)
    ex = explain_unmet(plan.formulation, plan.solution, plan.tables()).set_index("need_id")
    assert ex.loc["m", "reason_code"] == "rule_binding"
    assert "supervision ratio" in ex.loc["m", "reason"]


def test_party_member_share_binds():
    sc = make_scenario(
        {
            "rules": {
                "supervision": {"enabled": False},
                "party_share": {"enabled": True, "min_share": 0.5},
                "budget": {"enabled": False},
            }
        },
        units=[unit("A")],
        needs=[{"need_id": "e", "unit_id": "A", "category": "elderly_care", "quantity": 30}],
        volunteers=[vol("p1", hours=3, party=True), vol("o1", hours=20, party=False)],
    )
    plan = solve(sc)
    assert covered(plan, "e") == pytest.approx(6.0)  # 3 party hours allow 3 other hours


def test_budget_caps_paid_hours():
    sc = make_scenario(
        {
            "rules": {
                "supervision": {"enabled": False},
                "party_share": {"enabled": False},
                "budget": {"enabled": True, "amount": 100},
            }
        },
        units=[unit("A")],
        needs=[{"need_id": "e", "unit_id": "A", "category": "elderly_care", "quantity": 10}],
        social_workers=[{"worker_id": "w1", "base_unit": "A", "hours": 10, "skills": "general", "cost_per_hour": 50}],
    )
    plan = solve(sc)
    assert covered(plan, "e") == pytest.approx(2.0)
    assert plan.objective["money"] == pytest.approx(100.0)


def test_indivisible_need_goes_whole_or_not_at_all():
    sc = make_scenario(
        OFF,
        units=[unit("A")],
        needs=[{"need_id": "case", "unit_id": "A", "category": "elderly_care", "quantity": 8, "indivisible": True}],
        volunteers=[vol("v1", hours=5), vol("v2", hours=5)],
    )
    plan = solve(sc)
    assert covered(plan, "case") == 0.0
    ex = explain_unmet(plan.formulation, plan.solution, plan.tables()).set_index("need_id")
    assert ex.loc["case", "reason_code"] in ("indivisible", "no_provider")
    sc2 = sc.replace(volunteers=sc.volunteers.assign(hours=[9.0, 5.0]))
    plan2 = solve(sc2)
    rows = plan2.allocations[plan2.allocations["need_id"] == "case"]
    assert list(rows["provider_id"]) == ["v1"] and float(rows["quantity"].iloc[0]) == pytest.approx(8.0)


def test_guaranteed_conflict_is_diagnosed_minimally():
    # two guaranteed needs share one volunteer with 10 h: 6 + 6 > 10; a third guarantee elsewhere is fine
    sc = make_scenario(
        OFF,
        units=[unit("A"), unit("B", x=1), unit("C", x=40)],
        needs=[
            {"need_id": "a", "unit_id": "A", "category": "elderly_care", "quantity": 6, "tier": "guaranteed"},
            {"need_id": "b", "unit_id": "B", "category": "elderly_care", "quantity": 6, "tier": "guaranteed"},
            {"need_id": "c", "unit_id": "C", "category": "elderly_care", "quantity": 2, "tier": "guaranteed"},
        ],
        volunteers=[vol("v1", hours=10, max_km=5), vol("v3", home="C", hours=5)],
    )
    with pytest.raises(InfeasibleError) as info:
        solve(sc)
    diag = info.value.diagnosis
    assert diag.minimal
    assert sorted(n.need_id for n in diag.conflict) == ["a", "b"]
    assert sum(n.shortfall for n in diag.relaxation) == pytest.approx(2.0 * 1.0, rel=0.2)  # 12 h asked, 10 - travel
    text = str(info.value)
    assert "unit A (A), elderly_care: 6 hours guaranteed" in text
    assert "Cheapest relaxation" in text


def test_goods_only_serve_categories_using_the_item_and_earmarks_hold():
    sc = make_scenario(
        OFF,
        units=[unit("A"), unit("B", town="T2")],
        needs=[
            {"need_id": "aid", "unit_id": "A", "category": "material_aid", "quantity": 5},
            {"need_id": "rel", "unit_id": "A", "category": "relief", "quantity": 100},
            {"need_id": "relB", "unit_id": "B", "category": "relief", "quantity": 100},
        ],
        charity=[
            {"lot_id": "rice", "donor": "d", "kind": "goods", "quantity": 50, "item": "rice"},
            {"lot_id": "cash", "donor": "d", "kind": "funds", "quantity": 60, "town": "T2"},
        ],
    )
    plan = solve(sc)
    assert covered(plan, "aid") == pytest.approx(5.0)
    assert covered(plan, "rel") == pytest.approx(0.0)  # rice does not serve relief; cash is earmarked to T2
    assert covered(plan, "relB") == pytest.approx(60.0)


def test_expiring_lot_used_first():
    sc = make_scenario(
        OFF,
        units=[unit("A")],
        needs=[{"need_id": "rel", "unit_id": "A", "category": "relief", "quantity": 100}],
        charity=[
            {"lot_id": "late", "donor": "d", "kind": "funds", "quantity": 100, "expires": "2027-12-31"},
            {"lot_id": "soon", "donor": "d", "kind": "funds", "quantity": 100, "expires": "2026-12-15"},
        ],
    )
    plan = solve(sc)
    used = plan.providers.set_index("provider_id")["used"]
    assert used["soon"] == pytest.approx(100.0) and used["late"] == pytest.approx(0.0)


def test_fixed_cost_facility_location_by_hand():
    # two sites, fixed 100 and 30; serving both customers from the cheap site costs 30 + 2*10 = 50 < alternatives
    sc = make_scenario(
        {
            **OFF,
            "categories": {"supply": {"unit": "units", "weight": 1}},
            "objective": {"order": ["cost"], "tolerance": 0},
        },
        units=[unit("c1"), unit("c2")],
        needs=[
            {"need_id": "d1", "unit_id": "c1", "category": "supply", "quantity": 1, "tier": "guaranteed"},
            {"need_id": "d2", "unit_id": "c2", "category": "supply", "quantity": 1, "tier": "guaranteed"},
        ],
        organizations=[
            {"org_id": "f1", "name": "f1", "base_unit": "c1", "capacity": 2, "fixed_cost": 100, "skills": "supply"},
            {"org_id": "f2", "name": "f2", "base_unit": "c1", "capacity": 2, "fixed_cost": 30, "skills": "supply"},
        ],
        reach=[
            {"provider_id": f, "unit_id": c, "cost_per_unit": cost}
            for f, c, cost in [("f1", "c1", 1), ("f1", "c2", 1), ("f2", "c1", 10), ("f2", "c2", 10)]
        ],
    )
    plan = solve(sc)
    assert plan.objective["money"] == pytest.approx(50.0)
    assert plan.providers.set_index("provider_id").loc["f2", "fixed_cost"] == pytest.approx(30.0)


def test_program_whole_instances_and_inputs():
    sc = make_scenario(
        OFF,
        units=[unit("A", party_capacity=1)],
        needs=[{"need_id": "e", "unit_id": "A", "category": "elderly_care", "quantity": 10}],
        volunteers=[vol("v1", hours=4, skills="mental_health")],  # cannot serve elderly care directly
        social_workers=[{"worker_id": "w1", "base_unit": "A", "hours": 3, "skills": "mental_health"}],
        organizations=[{"org_id": "o1", "name": "o", "base_unit": "A"}],
        programs=[
            {
                "program_id": "p",
                "org_id": "o1",
                "category": "elderly_care",
                "output_per_instance": 6,
                "volunteer_hours": 0,
                "worker_hours": 0,
                "funds": 40,
            }
        ],
        charity=[{"lot_id": "L", "donor": "d", "kind": "funds", "quantity": 100}],
    )
    plan = solve(sc)
    # party branch coordinates one instance: 6 of 10 hours
    assert covered(plan, "e") == pytest.approx(6.0)
    progs = plan.programs.set_index("program_id")
    assert int(progs.loc["p", "instances"]) == 1
    funds = plan.allocations[(plan.allocations["program_id"] == "p") & (plan.allocations["provider_kind"] == "charity")]
    assert funds["load"].sum() == pytest.approx(40.0)
    assert not check_plan(sc, plan.tables(), plan.summary)


def test_worker_max_units():
    sc = make_scenario(
        OFF,
        units=[unit("A"), unit("B", x=1), unit("C", x=2)],
        needs=[{"need_id": u, "unit_id": u, "category": "elderly_care", "quantity": 3} for u in "ABC"],
        social_workers=[{"worker_id": "w", "base_unit": "A", "hours": 30, "skills": "general", "max_units": 2}],
    )
    plan = solve(sc)
    served_units = set(plan.allocations.loc[plan.allocations["provider_id"] == "w", "unit_id"])
    assert len(served_units) == 2
    assert plan.objective["coverage"] == pytest.approx(2 / 3, rel=1e-6)


def test_weighted_mode_agrees_on_clear_priorities():
    sc = make_scenario(
        {**OFF, "objective": {"mode": "weighted"}},
        units=[unit("A")],
        needs=[
            {"need_id": "e", "unit_id": "A", "category": "elderly_care", "quantity": 5},
            {"need_id": "m", "unit_id": "A", "category": "mental_health", "quantity": 5},
        ],
        volunteers=[vol("v1", hours=5, skills="elderly_care;mental_health")],
    )
    plan = solve(sc)
    assert covered(plan, "e") == pytest.approx(5.0)  # weight 0.4 beats 0.3
    assert "weighted" in plan.objective


def test_marginal_values_match_hand_computed_duals():
    from linkage_opt.analysis.explain import marginal_values

    # one need of 10 h (the only need: weighted coverage = covered / 10); a volunteer with 8 h at distance 0
    sc = make_scenario(
        OFF,
        units=[unit("A")],
        needs=[{"need_id": "e", "unit_id": "A", "category": "elderly_care", "quantity": 10}],
        volunteers=[vol("v1", hours=8)],
    )
    plan = solve(sc)
    mv = marginal_values(plan.formulation, plan.solution).set_index("group")
    assert mv.loc["volunteers of A", "coverage_per_unit"] == pytest.approx(0.1)
    assert "+10 hours -> weighted coverage +100.000 points" in mv.loc["volunteers of A", "example"]

    # budget binds: a worker paid 50/h, budget 100 -> each extra yuan buys 1/50 h = 0.1/50 coverage
    sc = make_scenario(
        {
            "rules": {
                "supervision": {"enabled": False},
                "party_share": {"enabled": False},
                "budget": {"enabled": True, "amount": 100},
            }
        },
        units=[unit("A")],
        needs=[{"need_id": "e", "unit_id": "A", "category": "elderly_care", "quantity": 10}],
        social_workers=[{"worker_id": "w1", "base_unit": "A", "hours": 10, "skills": "general", "cost_per_hour": 50}],
    )
    plan = solve(sc)
    mv = marginal_values(plan.formulation, plan.solution).set_index("group")
    assert mv.loc["district budget", "coverage_per_unit"] == pytest.approx(0.1 / 50)
    assert mv.loc["social workers of A", "coverage_per_unit"] == pytest.approx(0.0)  # hours are not what binds


def test_stage_slack_is_the_tolerance_for_a_proven_optimum_and_the_proved_gap_otherwise():
    from linkage_opt.solving.solve import stage_slack

    # proven optimal (bound == value): the configured tolerance, relative to max(1, |value|)
    assert stage_slack(0.8, 0.8, 1e-9, 0.005) == pytest.approx(1e-9)
    assert stage_slack(2e5, 2e5, 1e-9, 0.005) == pytest.approx(2e-4)
    # within the requested gap: the gap actually proved ...
    assert stage_slack(0.95, 0.952, 1e-9, 0.005) == pytest.approx(0.002)
    assert stage_slack(2e5, 2e5 - 300, 1e-9, 0.005) == pytest.approx(300.0)
    # ... never more than the requested gap (a stage stopped by its time limit)
    assert stage_slack(0.7, 0.95, 1e-9, 0.005) == pytest.approx(0.005)
    assert stage_slack(0.7, None, 1e-9, 0.005) == pytest.approx(1e-9)


def test_later_stages_keep_earlier_terms_within_the_recorded_slack():
    # two volunteers of equal reach; the cost stage may not give up coverage beyond the coverage stage's slack
    sc = make_scenario(
        {**OFF, "categories": {"culture": {"weight": 0.05}}},
        units=[unit("A")],
        needs=[
            {"need_id": "hi", "unit_id": "A", "category": "elderly_care", "quantity": 10},
            {"need_id": "lo", "unit_id": "A", "category": "culture", "quantity": 5},
        ],
        volunteers=[vol("v1", hours=8), vol("v2", hours=4, party=False)],
    )
    plan = solve(sc, mip_gap=0.0)
    cov = next(s for s in plan.summary["stages"] if s["stage"] == "coverage")
    assert cov["slack"] == pytest.approx(sc.config.objective.tolerance * max(1.0, abs(cov["objective"])))
    assert plan.summary["objective"]["coverage"] >= cov["objective"] - cov["slack"] - 1e-9
    assert plan.summary["stages"][-1]["slack"] is None


def test_stage_time_shares_give_the_first_stage_most_and_use_all_the_time():
    from linkage_opt.solving.solve import stage_time_share

    assert stage_time_share(0, 3) == pytest.approx(0.8)
    assert stage_time_share(1, 3) == pytest.approx(0.5)
    assert stage_time_share(2, 3) == pytest.approx(1.0)
    assert stage_time_share(0, 1) == pytest.approx(1.0)
    # with every stage using its whole share, the shares add up to the limit
    left, used = 1.0, 0.0
    for i in range(3):
        used += left * stage_time_share(i, 3)
        left = 1.0 - used
    assert used == pytest.approx(1.0)


def test_radius_bands_keep_each_person_within_their_own_radius():
    """Two volunteers of one home unit and group, one reaching 1 km and one 5 km: one pool, one flow per unit,
    and the pool_reach row keeps the far unit to the far volunteer, in the model and in the plan."""
    from linkage_opt.model.formulation import build

    units = [unit("A", 0, 0), unit("B", 3, 0)]
    vols = [
        {
            "volunteer_id": "near",
            "home_unit": "A",
            "hours": 10.0,
            "skills": ("care",),
            "max_km": 1.0,
            "party_member": True,
        },
        {
            "volunteer_id": "far",
            "home_unit": "A",
            "hours": 10.0,
            "skills": ("care",),
            "max_km": 5.0,
            "party_member": True,
        },
    ]
    cfg = {"categories": {"care": {"weight": 1.0}}, "costs": {"travel_overhead_per_km": 0.0}}

    def plan_for(b_hours: float):
        needs = [
            {"need_id": "a", "unit_id": "A", "category": "care", "quantity": 8.0, "tier": "basic"},
            {"need_id": "b", "unit_id": "B", "category": "care", "quantity": b_hours, "tier": "basic"},
        ]
        sc = make_scenario(cfg, units=units, needs=needs, volunteers=vols)
        form = build(sc)
        assert form.var("x").size == 2 and form.model.row_blocks["pool_reach"].size == 1
        plan = solve(sc, mip_gap=0.0)
        assert check_plan(sc, plan.tables(), plan.summary) == []
        rows = plan.allocations
        assert set(rows.loc[rows["unit_id"] == "B", "provider_id"]) <= {"far"}
        return plan.coverage.set_index("need_id")["covered"]

    both = plan_for(8.0)  # far serves B, near and the rest of far serve A: everything met
    assert both["a"] == pytest.approx(8.0) and both["b"] == pytest.approx(8.0)
    short = plan_for(15.0)  # B gets at most the far volunteer's 10 hours, not the near one's
    assert short["b"] == pytest.approx(10.0)
