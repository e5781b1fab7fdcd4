"""The structure-sized formulation against the per-(provider, need) reference it replaced (issue #15).

On random small scenarios, every lexicographic stage (coverage, equity, cost) reaches the same optimum in
both models, solved to a zero gap; the reference runs unaggregated (one provider per class), so it is the
plain textbook model. Volunteers are cloned with different skill sets and radii so that pools, groups,
classes and radius bands all bite, and indivisible needs exercise the per-member carrier block.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference.formulation import build as build_reference
from strategies import scenarios

from linkage_opt.errors import InfeasibleError
from linkage_opt.model.formulation import build
from linkage_opt.solving.api import solve
from linkage_opt.solving.check import check_plan
from linkage_opt.solving.solve import BOUND_TOL, solve_formulation, solver_options

SKILLS = [
    ("general",),
    ("elderly_care",),
    ("mental_health",),
    ("general", "mental_health"),
    ("elderly_care", "mental_health"),
]


def _stages(form, sc):
    backend, options = solver_options(sc, mip_gap=0.0, time_limit=60)
    _x, stages, status = solve_formulation(form, backend, options)
    return {s.stage: s.value for s in stages}, status


def _flat(sc):
    return sc.replace(
        config=sc.config.model_copy(update={"solver": sc.config.solver.model_copy(update={"aggregate": False})})
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(1, 3), st.randoms(use_true_random=False))
def test_every_stage_reaches_the_reference_optimum(sc, copies, rnd):
    vols = sc.volunteers
    if len(vols):
        vols = pd.concat(
            [
                vols.assign(
                    volunteer_id=vols["volunteer_id"] + f"_{k}",
                    skills=[rnd.choice(SKILLS) for _ in range(len(vols))],
                    hours=[rnd.choice([1.0, 2.0, 4.0]) for _ in range(len(vols))],
                    # radii differ within a group: the pool_reach rows (radius bands) bite
                    max_km=[rnd.choice([float("nan"), 2.0, 5.0, 20.0]) for _ in range(len(vols))],
                )
                for k in range(copies)
            ],
            ignore_index=True,
        )
        sc = sc.replace(volunteers=vols)
    cfg = sc.config
    sc = sc.replace(
        config=cfg.model_copy(update={"objective": cfg.objective.model_copy(update={"mode": "lexicographic"})})
    )
    try:
        new, new_status = _stages(build(sc), sc)
    except InfeasibleError:
        with pytest.raises(InfeasibleError):
            _stages(build_reference(_flat(sc)), sc)
        return
    ref, ref_status = _stages(build_reference(_flat(sc)), sc)
    assert new_status == ref_status == "optimal"
    assert new.keys() == ref.keys()
    for stage in new:
        scale = max(1.0, abs(ref[stage]))
        # equal to the tolerance the solve itself treats as equal (a bound or plan within BOUND_TOL is the value)
        assert new[stage] == pytest.approx(ref[stage], abs=BOUND_TOL * scale), stage
    plan = solve(sc, mip_gap=0.0)
    assert not check_plan(sc, plan.tables(), plan.summary)


def test_model_size_follows_groups_not_people():
    """Forty volunteers of one home unit with forty different skill sets: one group, few columns."""
    from factories import make_scenario, unit

    cats = ["elderly_care", "mental_health"]
    vols = [
        {
            "volunteer_id": f"v{i}",
            "home_unit": "A",
            "hours": 1.0 + i % 7,
            "party_member": i % 3 == 0,
            "skills": tuple(c for j, c in enumerate(cats) if (i >> j) & 1) or ("general",),
        }
        for i in range(40)
    ]
    needs = [
        {"need_id": f"n{u}{c}{t}", "unit_id": u, "category": c, "quantity": 10, "tier": t}
        for u in "ABC"
        for c in cats
        for t in ("basic", "improvement")
    ]
    sc = make_scenario(units=[unit("A"), unit("B", x=1), unit("C", x=2)], needs=needs, volunteers=vols)
    form = build(sc)
    ref = build_reference(_flat(sc))
    # 2 party groups x 2 categories reach 3 units x 2 categories (one demand per unit and category)
    assert form.var("x").size <= 2 * 2 * 3
    assert ref.var("x").size >= 40 * 3 * 2
    a = solve(sc, mip_gap=0.0)
    backend, options = solver_options(sc, mip_gap=0.0)
    _, stages, _ = solve_formulation(ref, backend, options)
    # the model's value (the plan's own is that of its dispatchable amounts, linkage_opt/solving/dispatch.py)
    assert a.summary["dispatch"]["model_objective"]["coverage"] == pytest.approx(stages[0].value, abs=1e-7)
    assert not check_plan(sc, a.tables(), a.summary)
