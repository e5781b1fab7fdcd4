"""Hypothesis strategies shared by the property tests: random small scenarios with every kind of row."""

from __future__ import annotations

import numpy as np
from factories import make_scenario, unit
from hypothesis import strategies as st

CATS = ["elderly_care", "mental_health", "relief", "material_aid"]
TIERS = ["guaranteed", "basic", "improvement"]


@st.composite
def scenarios(draw, guarantees: bool = True):
    n_units = draw(st.integers(2, 4))
    units = [
        unit(
            f"U{i}",
            x=draw(st.integers(0, 8)),
            y=draw(st.integers(0, 8)),
            town=draw(st.sampled_from(["T1", "T2"])),
            tags=draw(st.sampled_from(["", "pilot", "pilot;remote"])),
            party_capacity=draw(st.sampled_from([np.nan, 0.0, 1.0, 3.0])),
        )
        for i in range(n_units)
    ]
    uids = [u["unit_id"] for u in units]
    needs = []
    for i in range(draw(st.integers(1, 7))):
        cat = draw(st.sampled_from(CATS))
        tier = draw(st.sampled_from(TIERS if guarantees else TIERS[1:]))
        qty = (
            draw(st.sampled_from([0.0, 1.0, 3.0, 8.0, 20.0]))
            if cat in ("elderly_care", "mental_health")
            else draw(st.sampled_from([0.0, 2.0, 50.0, 500.0]))
        )
        needs.append(
            {
                "need_id": f"n{i}",
                "unit_id": draw(st.sampled_from(uids)),
                "category": cat,
                "quantity": qty,
                "tier": tier,
                "indivisible": draw(st.booleans()) and qty > 0,
            }
        )
    skills = st.sampled_from([("general",), ("elderly_care",), ("mental_health",), ("general", "mental_health")])
    volunteers = [
        {
            "volunteer_id": f"v{i}",
            "home_unit": draw(st.sampled_from(uids)),
            "hours": draw(st.sampled_from([0.0, 4.0, 10.0])),
            "skills": draw(skills),
            "party_member": draw(st.booleans()),
            "max_km": draw(st.sampled_from([np.nan, 2.0, 20.0])),
        }
        for i in range(draw(st.integers(0, 5)))
    ]
    workers = [
        {
            "worker_id": f"w{i}",
            "base_unit": draw(st.sampled_from(uids)),
            "hours": draw(st.sampled_from([5.0, 20.0])),
            "skills": draw(st.sampled_from([("general",), ("mental_health",), ("elderly_care", "mental_health")])),
            "max_units": draw(st.sampled_from([np.nan, 1.0, 2.0])),
            "cost_per_hour": draw(st.sampled_from([0.0, 50.0])),
        }
        for i in range(draw(st.integers(0, 3)))
    ]
    orgs, programs = [], []
    for i in range(draw(st.integers(0, 2))):
        orgs.append(
            {
                "org_id": f"o{i}",
                "name": f"org{i}",
                "base_unit": draw(st.sampled_from(uids)),
                "capacity": draw(st.sampled_from([np.nan, 3.0, 30.0])),
                "fixed_cost": draw(st.sampled_from([0.0, 500.0])),
                "skills": draw(st.sampled_from([(), ("elderly_care",)])),
            }
        )
        for j in range(draw(st.integers(0, 2))):
            programs.append(
                {
                    "program_id": f"p{i}{j}",
                    "org_id": f"o{i}",
                    "category": draw(st.sampled_from(["elderly_care", "mental_health"])),
                    "output_per_instance": draw(st.sampled_from([2.0, 5.0])),
                    "fixed_cost": draw(st.sampled_from([0.0, 100.0])),
                    "worker_hours": draw(st.sampled_from([0.0, 1.0])),
                    "volunteer_hours": draw(st.sampled_from([0.0, 2.0])),
                    "funds": draw(st.sampled_from([0.0, 50.0])),
                    "max_per_unit": draw(st.sampled_from([np.nan, 1.0, 2.0])),
                }
            )
    lots = []
    for i in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["funds", "goods"]))
        lots.append(
            {
                "lot_id": f"L{i}",
                "donor": "d",
                "kind": kind,
                "quantity": draw(st.sampled_from([30.0, 300.0])),
                "item": "rice" if kind == "goods" else "",
                "category": draw(st.sampled_from(["", "relief"])) if kind == "funds" else "",
                # an earmark names a town that has units (the loader, and so solve, refuses others)
                "town": draw(st.sampled_from(["", *sorted({u["town"] for u in units})])),
                "expires": draw(st.sampled_from([None, "2026-12-20", "2027-06-01"])),
            }
        )
    config = {
        "rules": {
            "supervision": {"enabled": draw(st.booleans()), "volunteer_hours_per_worker_hour": 4},
            "party_share": {"enabled": draw(st.booleans()), "min_share": 0.3},
            "party_capacity": {"enabled": draw(st.booleans())},
            "budget": {"enabled": draw(st.booleans()), "amount": draw(st.sampled_from([0.0, 300.0, 5000.0]))},
        },
        "equity": {"mode": draw(st.sampled_from(["maxmin", "floor"]))},
        "objective": {"mode": draw(st.sampled_from(["lexicographic", "weighted"]))},
        "solver": {"mip_gap": 0.0, "time_limit": 30},
    }
    return make_scenario(
        config,
        units=units,
        needs=needs,
        volunteers=volunteers,
        social_workers=workers,
        organizations=orgs,
        programs=programs,
        charity=lots,
    )
