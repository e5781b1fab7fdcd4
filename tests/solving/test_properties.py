"""Property-based invariants of plans on random small scenarios (hypothesis).

For every random scenario the engine either returns a plan that the independent checker
(:mod:`linkage_opt.solving.check`) finds valid -- capacities, reach, skills, earmarks, guarantees,
indivisibility, program inputs, linkage rules -- with objective terms that recompute from the
tables; or it raises InfeasibleError whose conflict set is irreducible.
"""

from __future__ import annotations

import pandas as pd
import pytest
from factories import make_scenario, unit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import scenarios

from linkage_opt.errors import InfeasibleError
from linkage_opt.solving.api import solve
from linkage_opt.solving.check import check_plan


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_plans_are_valid_or_infeasibility_is_irreducible(sc):
    try:
        plan = solve(sc)
    except InfeasibleError as exc:
        diag = exc.diagnosis
        assert diag.relaxation, "an infeasible scenario must come with a relaxation"
        assert all(n.shortfall > 0 for n in diag.relaxation)
        if diag.minimal:
            # dropping any one guarantee of the conflict set makes the rest feasible
            for short in diag.conflict:
                needs = sc.needs.copy()
                others = [s.need_id for s in diag.conflict if s.need_id != short.need_id]
                keep = needs["need_id"].isin(others) | (needs["tier"] != "guaranteed")
                needs.loc[~keep, "tier"] = "basic"
                solve(sc.replace(needs=needs))  # must not raise
        return
    violations = check_plan(sc, plan.tables(), plan.summary)
    assert not violations, "\n".join(map(str, violations))
    assert plan.status == "optimal"
    assert 0.0 <= plan.objective["coverage"] <= 1.0 + 1e-9


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(guarantees=False))
def test_without_guarantees_always_feasible_and_baseline_no_better(sc):
    from linkage_opt.solving.baseline import compare

    plan = solve(sc)
    assert not check_plan(sc, plan.tables(), plan.summary)
    if sc.config.objective.mode == "lexicographic" and sc.config.objective.order[0] == "coverage":
        cmp = compare(plan.formulation, plan)
        # the rule of thumb ignores the linkage rules, so it may only win where a rule binds
        rules = sc.config.rules
        if not (rules.supervision.enabled or rules.party_share.enabled or rules.budget.enabled):
            assert cmp["optimized"]["weighted_coverage"] >= cmp["baseline"]["weighted_coverage"] - 1e-6


def test_same_scenario_same_plan_tables():
    sc = make_scenario(
        units=[unit("A"), unit("B", x=2)],
        needs=[
            {"need_id": "n1", "unit_id": "A", "category": "elderly_care", "quantity": 6},
            {"need_id": "n2", "unit_id": "B", "category": "elderly_care", "quantity": 6},
        ],
        volunteers=[
            {"volunteer_id": "v1", "home_unit": "A", "hours": 5, "skills": "general", "party_member": True},
            {"volunteer_id": "v2", "home_unit": "B", "hours": 5, "skills": "general", "party_member": True},
        ],
    )
    a, b = solve(sc), solve(sc)
    for name in ("allocations", "coverage", "providers", "programs"):
        assert a.tables()[name].to_csv() == b.tables()[name].to_csv()


@pytest.mark.parametrize("mode", ["maxmin", "floor"])
def test_equity_recomputes_from_tables(mode):
    from linkage_opt.solving.check import recompute_equity

    sc = make_scenario(
        {"equity": {"mode": mode, "floor": 0.8}},
        units=[unit("A"), unit("B", x=1), unit("C", x=30)],
        needs=[{"unit_id": u, "category": "elderly_care", "quantity": 10} for u in "ABC"],
        volunteers=[{"volunteer_id": "v1", "home_unit": "A", "hours": 12, "skills": "general", "party_member": True}],
    )
    plan = solve(sc)
    assert plan.objective["equity"] == pytest.approx(recompute_equity(plan.coverage, sc.config), abs=1e-7)
    # C is out of reach: its ratio is 0, so maxmin equity is 0 and the floor shortfall includes 0.8 for C
    if mode == "maxmin":
        assert plan.objective["equity"] == pytest.approx(0.0, abs=1e-9)
    else:
        assert plan.objective["equity"] <= -0.8 + 1e-9


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(guarantees=False), st.integers(2, 6))
def test_aggregating_identical_providers_does_not_change_the_optimum(sc, copies):
    """Classes of identical volunteers and lots give the same optimum as the unreduced model (issue 6)."""
    # make aggregation bite: clone every volunteer and lot a few times
    vols = sc.volunteers
    lots = sc.charity
    if len(vols):
        # odd copies spell `general` as `general;elderly_care` (the same served categories): they merge too
        def spelled(skills, k):
            return (
                (*tuple(skills), "elderly_care")
                if k % 2 and "general" in skills and "elderly_care" not in skills
                else skills
            )

        vols = pd.concat(
            [
                vols.assign(volunteer_id=vols["volunteer_id"] + f"_{k}", skills=[spelled(s, k) for s in vols["skills"]])
                for k in range(copies)
            ],
            ignore_index=True,
        )
    if len(lots):
        lots = pd.concat([lots.assign(lot_id=lots["lot_id"] + f"_{k}") for k in range(copies)], ignore_index=True)
    sc = sc.replace(volunteers=vols, charity=lots)
    flat = sc.replace(
        config=sc.config.model_copy(update={"solver": sc.config.solver.model_copy(update={"aggregate": False})})
    )
    a, b = solve(sc), solve(flat)
    assert a.formulation.model.n_cols <= b.formulation.model.n_cols
    for term in ("coverage", "equity", "money"):  # the models' values (before dispatch rounding)
        assert a.summary["dispatch"]["model_objective"][term] == pytest.approx(
            b.summary["dispatch"]["model_objective"][term], rel=1e-6, abs=1e-6
        ), term
    assert not check_plan(sc, a.tables(), a.summary)


def test_volunteer_classes_merge_skill_spellings_that_serve_the_same_categories():
    """`general;elderly_care` serves exactly what `general` does (elderly care is not professional): one class."""
    from linkage_opt.model.reach import aggregate_providers, build_providers

    vols = [
        {"volunteer_id": f"v{i}", "home_unit": "A", "hours": 5, "skills": sk, "party_member": True}
        for i, sk in enumerate(["general", "general;elderly_care", "elderly_care;general", "elderly_care"])
    ]
    sc = make_scenario(
        {"categories": {"culture": {"weight": 0.05}}},
        units=[unit("A"), unit("B", x=1)],
        needs=[
            {"need_id": "n1", "unit_id": "A", "category": "elderly_care", "quantity": 9},
            {"need_id": "n2", "unit_id": "B", "category": "culture", "quantity": 12},
        ],
        volunteers=vols,
    )
    P = aggregate_providers(sc, build_providers(sc)).frame
    assert sorted(P["n_members"].tolist()) == [1, 3]
    flat = sc.replace(
        config=sc.config.model_copy(update={"solver": sc.config.solver.model_copy(update={"aggregate": False})})
    )
    a, b = solve(sc, mip_gap=0.0), solve(flat, mip_gap=0.0)
    for term in ("coverage", "equity", "money"):  # the models' values (before dispatch rounding)
        assert a.summary["dispatch"]["model_objective"][term] == pytest.approx(
            b.summary["dispatch"]["model_objective"][term], rel=1e-6, abs=1e-6
        ), term
    assert not check_plan(sc, a.tables(), a.summary)
