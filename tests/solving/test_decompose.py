"""Decomposed plans (linkage_opt.solving.decompose): same optimum as the monolithic model when the coupling rows are
slack, every global row held when they bind, a valid global bound, the CLI and the Python API."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import write_scenario
from factories import make_scenario, unit
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import linkage_opt as lo
from linkage_opt.cli.commands import app
from linkage_opt.solving import decompose as D
from linkage_opt.solving.check import check_plan
from linkage_opt.solving.decompose import makespan, split_capacity


def two_towns(gap_km: float, budget: float, lot: float = 4000.0, radius: float = 3.0):
    """Two towns of three units each, ``gap_km`` apart: local volunteers and workers, one funds lot and one
    goods lot without earmarks (usable in both towns), the district budget paying the workers."""
    units, needs, vols, workers = [], [], [], []
    for t, (town, x0) in enumerate((("A", 0.0), ("B", gap_km))):
        for i in range(3):
            uid = f"{town}{i}"
            units.append(unit(uid, x0 + i * 1.0, 0.0, town=town))
            needs += [
                {
                    "need_id": f"{uid}-e",
                    "unit_id": uid,
                    "category": "elderly_care",
                    "quantity": 20.0 + 7 * i,
                    "tier": "guaranteed" if i == 0 else "basic",
                },
                {
                    "need_id": f"{uid}-m",
                    "unit_id": uid,
                    "category": "mental_health",
                    "quantity": 6.0 + 3 * t,
                    "tier": "improvement",
                },
                {
                    "need_id": f"{uid}-r",
                    "unit_id": uid,
                    "category": "relief",
                    "quantity": 900.0 + 150 * i,
                    "tier": "basic",
                },
                {
                    "need_id": f"{uid}-a",
                    "unit_id": uid,
                    "category": "material_aid",
                    "quantity": 5.0 + i,
                    "tier": "basic",
                },
            ]
            vols.append(
                {
                    "volunteer_id": f"V{uid}",
                    "home_unit": uid,
                    "hours": 9.0 + 2 * i,
                    "skills": ("general",),
                    "party_member": i != 1,
                    "max_km": radius,
                }
            )
        workers.append(
            {
                "worker_id": f"W{town}",
                "base_unit": f"{town}1",
                "hours": 30.0,
                "skills": ("mental_health", "elderly_care"),
                "cost_per_hour": 40.0,
                "max_km": radius,
            }
        )
    charity = [
        {"lot_id": "L-funds", "donor": "D", "kind": "funds", "quantity": lot, "category": "relief"},
        {"lot_id": "L-rice", "donor": "D", "kind": "goods", "quantity": 14.0, "item": "rice", "category": ""},
    ]
    # the model's exact amounts (dispatch rounding is a pass after each part's solve, so it would round the
    # parts and the whole differently; what is compared here is the optimum of the model)
    cfg = {
        "rules": {"budget": {"enabled": True, "amount": budget}},
        "solver": {"mip_gap": 0.0},
        "dispatch": {"enabled": False},
    }
    return make_scenario(cfg, units=units, needs=needs, volunteers=vols, social_workers=workers, charity=charity)


def test_slack_coupling_gives_the_monolithic_optimum():
    # towns 100 km apart: only the two lots and an ample budget are shared, and their rows are slack
    sc = two_towns(100.0, budget=1e7, lot=1e6)
    mono = lo.solve(sc, mip_gap=0.0)
    dec = lo.solve(sc, mip_gap=0.0, decompose="town", workers=0)
    assert dec.summary["objective"]["coverage"] == pytest.approx(mono.summary["objective"]["coverage"], abs=1e-6)
    assert check_plan(sc, dec.tables(), dec.summary) == []
    d = dec.summary["decomposition"]
    assert d["parts"] == 2 and d["by"] == "town"
    # the Lagrangian bound is a valid bound: never below the monolithic optimum
    assert dec.summary["best_bound"] >= mono.summary["objective"]["coverage"] - 1e-6
    assert 0.0 <= dec.summary["gap"] < 0.05  # the LP bound: the gap is the integrality gap only


def test_binding_budget_and_shared_people_hold_globally():
    # towns 2 km apart with 3 km radii: people reach the other town; the budget and the funds lot bind
    sc = two_towns(2.0, budget=900.0, lot=2500.0)
    mono = lo.solve(sc, mip_gap=0.0)
    dec = lo.solve(sc, mip_gap=0.0, decompose="town", workers=0)
    assert check_plan(sc, dec.tables(), dec.summary) == []
    assert dec.summary["objective"]["money"] <= 900.0 + 1e-6
    budgets = [r["budget"] for r in dec.summary["decomposition"]["part_table"]]
    assert sum(budgets) <= 900.0 + 1e-6
    used = dec.providers.set_index("provider_id")["used"]
    assert used["L-funds"] <= 2500.0 + 1e-6
    shared = [
        p
        for p in ("VA0", "VA1", "VA2", "VB0", "VB1", "VB2", "WA", "WB")
        if dec.allocations[dec.allocations["provider_id"] == p]["unit_id"].str[0].nunique() > 1
    ]
    for p in shared:  # a person serving both towns stays within their hours
        cap = sc.volunteers.set_index("volunteer_id")["hours"].get(
            p, sc.social_workers.set_index("worker_id")["hours"].get(p)
        )
        assert used[p] <= cap + 1e-6
    mono_cov = mono.summary["objective"]["coverage"]
    assert dec.summary["objective"]["coverage"] <= mono_cov + 1e-6
    assert dec.summary["best_bound"] >= mono_cov - 1e-6  # valid global bound


def test_a_part_lp_at_a_budget_share_keeps_to_it_and_prices_it():
    """Round k's LP of a part at its budget share spends at most that share and reports the budget's
    marginal value (its cut's budget term). Before, the LP looked the budget row up under a name it does not
    have, so every part kept the whole budget and every cut had a budget price of 0."""
    from linkage_opt.inputs.load import validate_scenario

    sc = validate_scenario(two_towns(2.0, budget=900.0, lot=2500.0))
    labels = D.partition(sc, "town")
    names = sorted(pd.unique(labels))
    parts = D.provider_parts(sc, pd.Index(names).get_indexer(labels.to_numpy()), len(names))
    task = D.part_tasks(sc, labels, parts, names, relax_fixed_costs=True)[0]
    whole = D.relax_part(task, 60.0)
    tight = D.relax_part(task, 60.0, budget_rhs=100.0)
    assert whole["status"] == tight["status"] == "optimal"
    assert tight["money"] <= 100.0 + 1e-6 < whole["money"]
    assert tight["value"] < whole["value"] and tight["budget_dual"] > 0


def test_part_seconds_share_the_worker_time_left_by_size():
    """A part's time is set when a worker takes it: its share (by need rows) of the worker time left until
    the end, less what running parts hold; never past the end, never below the floor (lowered so that the
    parts still to come fit)."""
    from linkage_opt.solving.decompose import MIN_PART_SECONDS, MIN_PART_SECONDS_TIGHT, part_seconds

    # 2 workers, 100 s left, nothing running: 200 worker-seconds; a part of weight 1 of 4 gets 50 s
    assert part_seconds(1.0, 4.0, 0.0, 100.0, [], 2) == pytest.approx(50.0)
    # a part running until 60 holds 60 of them: (200 - 60) / 4
    assert part_seconds(1.0, 4.0, 0.0, 100.0, [60.0], 2) == pytest.approx(35.0)
    assert part_seconds(4.0, 4.0, 0.0, 100.0, [], 2) == pytest.approx(100.0)  # at most what is left
    assert part_seconds(1.0, 1000.0, 99.0, 100.0, [], 2) == MIN_PART_SECONDS  # at least the floor
    # ... unless the parts still to come cannot all have it: 80 parts, 2 workers, 100 s left (200 worker-s)
    # get 2.5 s each at least, not 3 s (80 x 3 s / 2 = 120 s: 20 s past the end)
    assert part_seconds(1.0, 1000.0, 0.0, 100.0, [], 2, pending_count=80) == pytest.approx(2.5)
    assert part_seconds(1.0, 1000.0, 99.0, 100.0, [], 2, pending_count=80) == MIN_PART_SECONDS_TIGHT
    assert part_seconds(1.0, 4.0, 0.0, None, [], 2) is None  # no time limit
    assert part_seconds(1.0, 4.0, 0.0, 100.0, [], 2, fixed=7.0) == 7.0  # --part-time-limit


def test_split_capacity_never_exceeds_the_total():
    s = split_capacity(10.0, {0: 8.0, 1: 8.0, 2: 0.0})
    assert sum(s.values()) <= 10.0 and s[0] == pytest.approx(5.0) and s[2] == 0.0
    s = split_capacity(10.0, {0: 2.0, 1: 4.0})  # slack shared equally on top of the uses
    assert s == {0: pytest.approx(4.0), 1: pytest.approx(6.0)}
    s = split_capacity(7.0, {0: 1.0, 1: 1.0, 2: 1.0}, integral=True)
    assert sum(s.values()) == 7.0 and all(float(v).is_integer() for v in s.values())
    assert makespan([5, 4, 3, 3], 2) == 8 and makespan([5, 4, 3, 3], 8) == 5


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.0, 500.0),  # capacity
            st.lists(st.floats(0.0, 300.0), min_size=2, max_size=6),  # each part's use
            st.booleans(),  # an organization with whole-number shares
        ),
        min_size=1,
        max_size=12,
    )
)
def test_split_capacities_at_once_gives_the_shares_of_one_at_a_time(providers):
    n_parts = 6
    members, cap, integral = {}, {}, set()
    uses: list[dict[str, float]] = [{} for _ in range(n_parts)]
    for k, (total, use, whole) in enumerate(providers):
        pid = f"p{k}"
        members[pid] = tuple(range(len(use)))
        cap[pid] = float(round(total)) if whole else total
        if whole:
            integral.add(pid)
        for part, u in enumerate(use):
            uses[part][pid] = u
    got = D.split_capacities(members, cap, uses, integral)
    for pid, ps in members.items():
        one = split_capacity(cap[pid], {p: uses[p][pid] for p in ps}, integral=pid in integral)
        assert sum(got[p][pid] for p in ps) <= cap[pid] + 1e-9  # never more than the capacity
        for p in ps:
            assert got[p][pid] == pytest.approx(one[p], abs=D.SHARE_RESOLUTION + 1e-9)


def test_parts_whose_round_0_lp_did_not_finish_get_shares_and_budget_by_weight():
    """A part whose round-0 LP was not solved used nothing, so it got no share of anything and no budget, and
    its guarantees could not be met (the province: 225 parts solved again). It now gets an estimate."""
    full = D.PartTasks(["a", "b", "c"], lambda p: None, np.array([0.5, 0.3, 0.2]), np.array([4, 3, 2]), np.ones(3))
    first = [
        {"status": "optimal", "use": {"v": 6.0}, "money": 100.0},
        {"status": "not_solved", "use": {}, "money": 0.0},
        {"status": "no_time_left", "use": {}, "money": 0.0},
    ]
    shared = {"v": (0, 1, 2), "w": (1, 2)}
    cap = {"v": 10.0, "w": 5.0}
    assert D.estimate_unsolved(first, full, shared, cap, 1000.0) == 2
    assert first[0]["use"] == {"v": 6.0} and first[0]["money"] == 100.0  # solved parts keep their LP's
    assert first[1]["use"] == {"v": pytest.approx(3.0), "w": pytest.approx(3.0)}  # capacity by weight
    assert first[2]["use"] == {"v": pytest.approx(2.0), "w": pytest.approx(2.0)}
    assert first[1]["money"] == pytest.approx(60.0)  # the solved parts' money per weight (100 / 0.5) x 0.3
    shares = D.split_capacities(shared, cap, [r["use"] for r in first])
    assert all(shares[p]["v"] > 0 for p in range(3)) and shares[1]["w"] > 0 and shares[2]["w"] > 0


def test_map_runs_nothing_handed_over_after_its_deadline():
    runner = D._Runner(None, 0)  # in this process
    calls: list[int] = []
    items = D._Lazy(3, lambda i: calls.append(i) or i)
    assert runner.map(lambda x: x * 2, items) == [0, 2, 4] and calls == [0, 1, 2]
    calls.clear()
    assert runner.map(lambda x: x * 2, items, until=0.0) == [None, None, None] and calls == []  # not built


def run(*args: str):
    return CliRunner().invoke(app, list(args), terminal_width=200)


def test_bad_column_exits_2_naming_the_columns(tmp_path):
    cfg = write_scenario(tmp_path / "s")
    r = run("plan", str(cfg), "--out", str(tmp_path / "p"), "--decompose", "county", "--workers", "0")
    assert r.exit_code == 2, r.output
    assert "county" in r.output and "town" in r.output  # names the column, lists the usable ones


def test_cli_on_dask_then_check(tmp_path):
    cfg = write_scenario(tmp_path / "s")
    out = tmp_path / "p"
    r = run("plan", str(cfg), "--out", str(out), "--decompose", "town", "--workers", "2", "--time-limit", "60")
    assert r.exit_code in (0, 1), r.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    d = summary["decomposition"]
    assert d["parts"] == 2 and d["workers"] == 2 and d["check"]["violations"] == 0
    assert set(d["projected_wall_s"]) >= {"1", "2"} and d["peak_mb_by_worker"]
    assert summary["best_bound"] >= summary["objective"]["coverage"] - 1e-9
    r = run("check", str(out))
    assert r.exit_code == 0, r.output


# --- the province preset: written county by county ---------------------------------------------------


def test_province_preset_is_registered_and_allowed():
    from linkage_opt.inputs.generate import PRESETS, REALISTIC_PRESETS, resolve_sizes

    assert "province" in REALISTIC_PRESETS
    assert PRESETS["province"]["units"] == 30000 and PRESETS["province"]["volunteers"] == 750000
    assert resolve_sizes("province", realistic=True) == PRESETS["province"]
    with pytest.raises(ValueError, match="--decompose"):  # classic rolls keep the old limit
        resolve_sizes(None, units=30000)


def test_province_like_run_streams_consistent_files_in_bounded_memory(tmp_path):
    import tracemalloc

    from linkage_opt.inputs.generate_real import generate_realistic

    n = 720  # four counties of a province-like roll, 25 volunteers a unit
    sizes = {"units": n, "volunteers": 25 * n, "workers": 400, "orgs": 110, "lots": 430}
    tracemalloc.start()
    cfg = generate_realistic(tmp_path / "prov", seed=5, preset_name=None, **sizes)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # the volunteers table alone is ~0.9 MB of CSV; what is held is one county and the unit skeleton
    assert peak < 40 * 2**20, peak
    data = cfg.parent / "data"
    U = pd.read_csv(data / "units.csv", dtype=str)
    V = pd.read_csv(data / "volunteers.csv", dtype=str)
    N = pd.read_csv(data / "needs.csv", dtype=str)
    W = pd.read_csv(data / "social_workers.csv", dtype=str)
    assert len(U) == n and U["unit_id"].is_unique and U["county"].nunique() == 4
    assert len(V) == 25 * n and V["volunteer_id"].is_unique and V["home_unit"].isin(U["unit_id"]).all()
    assert N["need_id"].is_unique and N["unit_id"].isin(U["unit_id"]).all()
    assert W["base_unit"].isin(U["unit_id"]).all()
    sc = lo.load_scenario(cfg)  # and it loads as one scenario
    assert len(sc.units) == n
    assert set(sc.units["county"]) == set(U["county"])


def test_python_api_with_a_scheduler_address():
    from distributed import LocalCluster

    sc = two_towns(100.0, budget=1e7, lot=1e6)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        plan = lo.solve(sc, decompose="town", scheduler=cluster.scheduler_address, time_limit=60)
    d = plan.summary["decomposition"]
    assert d["scheduler"] == cluster.scheduler_address and d["workers"] == 1
    assert check_plan(sc, plan.tables(), plan.summary) == []
    assert plan.formulation is None and len(plan.coverage) == len(sc.needs)


def test_generated_town_split_in_two_bound_is_valid(tmp_path, seed=1):
    """A generated town split into two parts sharing most people and lots (the coupling binds): the
    coordinating LP's bound is never below the monolithic optimum, the merged plan never above it."""
    from linkage_opt.inputs.generate import generate_command
    from linkage_opt.inputs.load import validate_scenario
    from linkage_opt.inputs.scenario import Scenario

    generate_command(tmp_path / "g", preset="town", seed=seed)
    sc = lo.load_scenario(tmp_path / "g" / "config.yaml")
    t = {k: v.copy() for k, v in sc.tables.items()}
    t["units"]["part"] = ["A" if i % 3 else "B" for i in range(len(t["units"]))]
    cfg = sc.config.model_copy(
        update={
            "solver": sc.config.solver.model_copy(update={"mip_gap": 0.0}),
            "dispatch": sc.config.dispatch.model_copy(update={"enabled": False}),
        }
    )
    sc = validate_scenario(Scenario(cfg, t))
    mono = lo.solve(sc, mip_gap=0.0, time_limit=120)
    dec = lo.solve(sc, mip_gap=0.0, decompose="part", workers=0, time_limit=120)
    # against the monolithic plan and its bound (both valid whether or not it closed its gap under load)
    found = (
        (mono.summary.get("dispatch") or {})
        .get("model_objective", {})
        .get("coverage", mono.summary["objective"]["coverage"])
    )
    bound = next(s for s in mono.summary["stages"] if s["stage"] == "coverage")["best_bound"]
    assert dec.summary["best_bound"] >= found - 1e-6
    assert dec.summary["objective"]["coverage"] <= bound + 1e-6
    assert check_plan(sc, dec.tables(), dec.summary) == []
