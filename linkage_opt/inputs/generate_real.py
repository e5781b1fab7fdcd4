"""Generated scenarios that look like real rolls (issue 15, item 4): the ``real_*`` presets.

The classic presets (``town``, ``district``, ``city`` in :mod:`linkage_opt.inputs.generate_classic`) stay byte
for byte what they were; tests and earlier benchmark figures rely on them. Their rolls are tidy: nine volunteer
skill profiles, hours 4-20, towns 16 km apart. Real rolls are not, and the model's size and difficulty
follow the difference. This module writes what a district's registers look like (everything invented;
nothing describes real people):

* **geography**: counties (one for a district) of towns; each town a seat with dense urban communities
  (社区) within 0.5-2 km and villages (村) spread over the rest of the town, ~8 km between town seats, so
  that ~15 units lie within 4 km of a unit in the plains; some counties of a city are mountains, where
  everything is 1.6-2.4 times further apart; the county seat town holds half its units as communities;
* **volunteers**: an individual skill set each (1-3 of the service categories or ``general``, drawn
  without replacement with skewed popularity that differs between communities and villages), skewed
  monthly hours (a lognormal mixture: most 2-10 h, retirees ~12 h, clipped to 1-40 h, half hours), a
  party-member share drawn per unit (15-40 %), their own ``max_km`` for about a quarter of them;
* **social workers** in town social-work stations (乡镇社工站), full- or part-time, 1-3 skills or
  ``general``, 45-90 yuan/hour, some ``max_units`` or their own radius;
* **organizations** of the usual kinds with 1-3 **programs** each; **charity lots** with earmarks and
  expiry dates spread over the coming year (about a fifth lapse inside the planning month, none has
  lapsed before it);
* **needs**: ~17 rows per unit (several rows per category and tier: sub-groups such as grid cells or
  village groups), tiers ``guaranteed``/``basic``/``improvement``, 0.23 indivisible home-care cases per
  unit (居家照护个案: one person must carry the case), and demand set to 1.25-1.35 times supply in hours,
  yuan and packages;
* **every rule on** (supervision ratio, party share, party capacity, budget, expiry), with a **binding
  budget**: 65-75 % of what paying every social worker's hours (and their travel) would cost, before
  contracts and programs, which compete for the same money.

Feasible by construction as the classic generator is: a certificate serves every guarantee with
providers of the same county in reach (party members first, the party-share rule honoured, workers only
for professional categories, a household case whole to one worker, lots within their earmarks), shrinking
or demoting what it cannot serve (``meta.json`` records each), and the budget is never below 1.25 times
what the certificate spends.

**Stream-friendly.** The unit skeleton (coordinates, populations, towns) is made for all units first;
every other table is made county by county (each county with its own random streams, so the result
does not depend on how the work is chunked) and appended to its CSV file at once; the volunteers table is
written in chunks of :data:`CHUNK_ROWS` rows. Only per-county sums (supply, costs, certificate spending)
outlive a county, so a province-sized run holds one county's people in memory at a time. All draws are
vectorised numpy from ``np.random.default_rng`` streams spawned from the seed: same arguments, same bytes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import yaml

from . import generate_classic as G
from .scenario import planar_coordinates

MODEL = "realistic"
CHUNK_ROWS = 20_000

# Presets (sizes in the classic generator's terms; programs and need rows follow from them).
# real_town: one town of 22 units; real_district: modelled on Wutongqiao district (五通桥区: 8 towns, 170
# units); real_city: a prefecture-level city (Leshan has about 2,000 communities and villages).
# linkage_opt.inputs.generate.PRESETS lists them after the classic ones.
REAL_PRESETS: dict[str, dict[str, int]] = {
    "real_town": {"units": 22, "volunteers": 550, "workers": 12, "orgs": 4, "lots": 14},
    "real_district": {"units": 170, "volunteers": 4250, "workers": 94, "orgs": 26, "lots": 102},
    "real_city": {"units": 2000, "volunteers": 50000, "workers": 1100, "orgs": 300, "lots": 1200},
    # a province like Sichuan: ~167 counties, ~1,430 towns; planned with `plan --decompose town|county`
    "province": {"units": 30000, "volunteers": 750000, "workers": 16600, "orgs": 4600, "lots": 18000},
}
REAL_PER_UNIT = {"volunteers": 25.0, "workers": 94 / 170, "orgs": 26 / 170, "lots": 0.6}

# Geography
UNITS_PER_TOWN = 21.0
UNITS_PER_COUNTY = 180.0
TOWN_STEP_KM = 4.7  # Vogel-spiral step of town seats around the county seat (~8 km apart)
MOUNTAIN_SHARE = 0.3  # counties of a city that are mountains (not the first, the urban core)
PERIOD = G.PERIOD
PERIOD_START = pd.Timestamp(PERIOD + "-01")

# Volunteers
VOL_TOKENS = [
    "general",
    "elderly_care",
    "left_behind_children",
    "disability_support",
    "mental_health",
    "community_environment",
    "culture",
]
VOL_POP = {  # skill popularity (relative), communities / villages
    "community": [0.14, 0.28, 0.12, 0.08, 0.08, 0.10, 0.20],
    "village": [0.16, 0.26, 0.24, 0.05, 0.05, 0.14, 0.10],
}
VOL_N_SKILLS_P = [0.45, 0.35, 0.20]  # 1, 2 or 3 skills
VOL_PARTY_SHARE = (0.15, 0.40)  # per unit, uniform
VOL_MAX_KM = [(np.nan, 0.76), (1.0, 0.04), (2.0, 0.08), (3.0, 0.05), (8.0, 0.04), (10.0, 0.03)]
VOL_HOURS = {"regular": (5.0, 0.55), "retired": (12.0, 0.5), "retired_share": 0.15, "min": 1.0, "max": 40.0}

# Social workers
WORKER_SKILL_P = {
    "elderly_care": 0.26,
    "left_behind_children": 0.20,
    "disability_support": 0.20,
    "mental_health": 0.20,
    "community_environment": 0.07,
    "culture": 0.07,
}

# Needs: (kind, category) -> {tier: (rate per 1,000 residents per month, chance the unit reports it)}.
NEED_SPEC = {
    "community": {
        "elderly_care": {"guaranteed": (8, 0.35), "basic": (70, 1.0), "improvement": (25, 0.65)},
        "left_behind_children": {"guaranteed": (2, 0.1), "basic": (20, 0.6), "improvement": (8, 0.3)},
        "disability_support": {"guaranteed": (4, 0.25), "basic": (12, 0.6), "improvement": (4, 0.2)},
        "mental_health": {"guaranteed": (2, 0.15), "basic": (18, 0.7), "improvement": (8, 0.4)},
        "low_income_relief": {"guaranteed": (1500, 0.4), "basic": (5000, 1.0), "improvement": (1500, 0.3)},
        "community_environment": {"basic": (15, 0.5), "improvement": (20, 0.6)},
        "culture": {"basic": (12, 0.5), "improvement": (28, 0.8)},
        "material_aid": {"guaranteed": (3, 0.2), "basic": (10, 0.9), "improvement": (3, 0.3)},
    },
    "village": {
        "elderly_care": {"guaranteed": (12, 0.4), "basic": (85, 1.0), "improvement": (20, 0.45)},
        "left_behind_children": {"guaranteed": (5, 0.2), "basic": (90, 0.95), "improvement": (20, 0.4)},
        "disability_support": {"guaranteed": (6, 0.25), "basic": (14, 0.5), "improvement": (3, 0.15)},
        "mental_health": {"guaranteed": (2, 0.05), "basic": (10, 0.35), "improvement": (6, 0.25)},
        "low_income_relief": {"guaranteed": (3500, 0.45), "basic": (9000, 0.9), "improvement": (2000, 0.25)},
        "community_environment": {"basic": (70, 0.6), "improvement": (20, 0.4)},
        "culture": {"basic": (10, 0.3), "improvement": (30, 0.5)},
        "material_aid": {"guaranteed": (6, 0.25), "basic": (25, 0.9), "improvement": (5, 0.3)},
    },
}
EXTRA_ROWS_MEAN = 0.68  # rows per (unit, category, tier) reported: 1 + Poisson(this x sqrt(pop / median))
CASES_PER_UNIT = 0.23  # indivisible home-care cases
PROGRAMS_PER_ORG = 51 / 26  # 1-3 each
CASE_CATS = (["elderly_care", "disability_support", "mental_health"], [0.5, 0.3, 0.2])
CASE_GUARANTEED = 0.4
DEMAND_OVER_SUPPLY = (1.25, 1.35)
BUDGET_SHARE = (0.65, 0.75)  # of the cost of every paid worker hour and its travel
BUDGET_OVER_CERTIFICATE = 1.25
FAMILIES = ("hours", "yuan", "packages")
TIERS = ("guaranteed", "basic", "improvement")

# Columns written, per table (the order of the CSV headers).
COLUMNS = {
    "units": ["unit_id", "name", "county", "town", "kind", "population", "lat", "lon", "tags", "party_capacity"],
    "needs": ["need_id", "unit_id", "category", "quantity", "tier", "indivisible"],
    "volunteers": ["volunteer_id", "home_unit", "hours", "skills", "party_member", "max_km"],
    "social_workers": ["worker_id", "base_unit", "hours", "skills", "org_id", "max_units", "cost_per_hour", "max_km"],
    "organizations": ["org_id", "name", "base_unit", "capacity", "fixed_cost", "max_km", "skills"],
    "programs": [
        "program_id",
        "name",
        "name_en",
        "org_id",
        "category",
        "output_per_instance",
        "fixed_cost",
        "worker_hours",
        "volunteer_hours",
        "funds",
        "max_per_unit",
        "eligible_units",
    ],
    "charity": ["lot_id", "donor", "kind", "quantity", "item", "category", "town", "unit_id", "expires"],
}


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------


def generate_realistic(
    out_dir: str | Path,
    *,
    units: int,
    volunteers: int,
    workers: int,
    orgs: int,
    lots: int,
    seed: int,
    preset_name: str | None = None,
) -> Path:
    """Write a realistic synthetic scenario into ``out_dir`` (``config.yaml``, ``data/*.csv``, ``meta.json``).

    Returns the config path. Deterministic: the same arguments give the same bytes.
    """
    sizes = {"units": units, "volunteers": volunteers, "workers": workers, "orgs": orgs, "lots": lots}
    root = np.random.SeedSequence(int(seed))
    s_layout, s_alloc, s_global, s_blocks = root.spawn(4)
    g_layout, g_alloc, g_global = (np.random.default_rng(s) for s in (s_layout, s_alloc, s_global))

    S = _skeleton(g_layout, units)
    n_counties = int(S["county_n"])
    blocks = [np.flatnonzero(S["_county"] == c) for c in range(n_counties)]
    alloc = _allocate(g_alloc, S, blocks, sizes)
    ratio = {f: float(g_global.uniform(*DEMAND_OVER_SUPPLY)) for f in FAMILIES}
    budget_share = float(g_global.uniform(*BUDGET_SHARE))
    block_seeds = s_blocks.spawn(n_counties)

    out = Path(out_dir)
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    widths = _widths(sizes, alloc)
    totals = _Totals()
    sinks = {t: _CsvSink(data / f"{t}.csv", cols) for t, cols in COLUMNS.items()}
    try:
        counters = {"programs": 0}
        for c, idx in enumerate(blocks):
            _block(block_seeds[c], S, idx, c, alloc, widths, counters, ratio, sinks, totals)
    finally:
        for s in sinks.values():
            s.close()

    worker_cost = totals.sums["worker_cost_full"]
    budget = max(budget_share * worker_cost, BUDGET_OVER_CERTIFICATE * totals.sums["certificate_money"] + 2000.0)
    budget = float(math.ceil(budget / 1000.0) * 1000.0)
    cfg_path = out / "config.yaml"
    name = f"synthetic {preset_name or 'custom realistic'} scenario (seed {seed})"
    cfg_path.write_text(_config_text(name, budget, sizes, seed, preset_name, totals), encoding="utf-8")
    meta = _meta(sizes, seed, preset_name, S, totals, ratio, budget, budget_share)
    (out / "meta.json").write_text(
        json.dumps(G._jsonable(meta), indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return cfg_path


# --------------------------------------------------------------------------------------------------
# Units: the skeleton for every unit (small: a few numbers per unit)
# --------------------------------------------------------------------------------------------------


def _vogel(n: int, step: float) -> tuple[np.ndarray, np.ndarray]:
    """n points of a sunflower (Vogel) spiral, the first at the origin; nearest neighbours ~1.8 step apart."""
    k = np.arange(n, dtype=float)
    r = step * np.sqrt(k)
    a = k * math.pi * (3.0 - math.sqrt(5.0))
    return r * np.cos(a), r * np.sin(a)


def _skeleton(rng: np.random.Generator, n_units: int) -> dict:
    """Counties, towns and units: ids, names, kinds, coordinates, populations, tags, party capacity."""
    n_towns = max(1, int(round(n_units / UNITS_PER_TOWN)))
    n_towns = min(n_towns, n_units)
    n_counties = max(1, min(n_towns, int(round(n_units / UNITS_PER_COUNTY))))
    towns_per_county = G._largest_remainder(n_towns, rng.uniform(0.7, 1.3, n_counties), minimum=1)
    county_of_town = np.repeat(np.arange(n_counties), towns_per_county)
    seat_town = np.r_[True, county_of_town[1:] != county_of_town[:-1]]  # first town of each county
    # terrain: the first county is the urban core; some others are mountains (everything further apart)
    mountain = (rng.random(n_counties) < MOUNTAIN_SHARE) & (np.arange(n_counties) > 0)
    terrain = np.where(mountain, rng.uniform(1.6, 2.4, n_counties), rng.uniform(1.0, 1.25, n_counties))
    terrain[0] = 1.0
    # units per town: county seats larger
    w = np.where(seat_town, rng.uniform(1.5, 2.0, n_towns), rng.uniform(0.6, 1.4, n_towns))
    units_per_town = G._largest_remainder(n_units, w, minimum=1)
    # county centres: a spiral with room for each county's towns; town seats: a spiral around the county seat
    county_r = TOWN_STEP_KM * terrain * np.sqrt(towns_per_county) + 4.0
    kx, ky = _vogel(n_counties, 1.15 * float(county_r.mean()))
    kx = kx + rng.uniform(-2, 2, n_counties) * (n_counties > 1)
    ky = ky + rng.uniform(-2, 2, n_counties) * (n_counties > 1)
    tx, ty = np.zeros(n_towns), np.zeros(n_towns)
    start = 0
    for c in range(n_counties):
        m = int(towns_per_county[c])
        vx, vy = _vogel(m, TOWN_STEP_KM * float(terrain[c]))
        jit = rng.uniform(-0.8, 0.8, (2, m)) * float(terrain[c])
        jit[:, 0] = 0.0
        tx[start : start + m] = kx[c] + vx + jit[0]
        ty[start : start + m] = ky[c] + vy + jit[1]
        start += m
    town_scale = terrain[county_of_town]
    town_radius = 1.1 * TOWN_STEP_KM * town_scale * np.where(seat_town, 1.15, 1.0)

    town_of = np.repeat(np.arange(n_towns), units_per_town)
    n = int(units_per_town.sum())
    share = np.where(seat_town, rng.uniform(0.45, 0.6, n_towns), rng.uniform(0.08, 0.22, n_towns))
    n_comm = np.clip(np.round(units_per_town * share), 1, units_per_town).astype(np.int64)
    n_comm = np.where(units_per_town > 1, np.minimum(n_comm, units_per_town - 1), n_comm)
    starts = np.cumsum(units_per_town) - units_per_town
    pos = np.arange(n) - starts[town_of]
    is_comm = pos < n_comm[town_of]
    # communities: area-uniform in the urban core (radius grows with their number); villages: the rest
    core = 0.45 * np.sqrt(n_comm) * np.where(seat_town, 1.0, 0.8)
    core_u = core[town_of]
    r_comm = core_u * np.sqrt(rng.uniform(0.02, 1.0, n))
    a_in = core_u + 0.3
    b_out = np.maximum(town_radius[town_of], a_in + 1.0)
    r_vil = np.sqrt(a_in**2 + rng.random(n) ** 1.15 * (b_out**2 - a_in**2))
    r = np.where(is_comm, r_comm, r_vil)
    r = np.where(is_comm & (pos == 0), rng.uniform(0.05, 0.3, n), r)  # the town seat's own community
    ang = rng.uniform(0, 2 * np.pi, n)
    x = tx[town_of] + r * np.cos(ang)
    y = ty[town_of] + r * np.sin(ang)
    lat = np.round(G.CENTRE_LAT + y / G.KM_PER_DEG_LAT, 5)
    lon = np.round(G.CENTRE_LON + x / G.KM_PER_DEG_LON, 5)
    # the loader's plane (planar_coordinates of the written text): distances as the model sees them
    ux, uy = planar_coordinates(
        np.array([float(G._fmt_coord(v)) for v in lat]), np.array([float(G._fmt_coord(v)) for v in lon])
    )

    county_of_unit = county_of_town[town_of]
    seat_u = seat_town[town_of]
    mount_u = mountain[county_of_unit]
    med_comm = np.where(seat_u, 4200.0, 3000.0)
    pop = np.where(
        is_comm,
        np.clip(rng.lognormal(np.log(med_comm), 0.45, n), 1200, 15000),
        np.clip(rng.lognormal(np.log(1400.0), 0.45, n) * np.where(mount_u, 0.8, 1.0), 300, 4500),
    )
    pop = (np.round(pop / 10) * 10).astype(np.int64)
    remote = ~is_comm & ((r >= 0.8 * town_radius[town_of]) | (mount_u & (r >= 0.55 * town_radius[town_of])))
    pilot = is_comm & (rng.random(n) < 0.12)
    if is_comm.any() and not pilot.any():
        pilot[np.flatnonzero(is_comm)[0]] = True
    weak = ~is_comm & (rng.random(n) < 0.08)
    tags = np.array(
        [
            ";".join(t for t, on in (("pilot", p), ("remote", rm), ("weak_party_org", wk)) if on)
            for p, rm, wk in zip(pilot, remote, weak)
        ],
        dtype=object,
    )
    party_capacity = np.where(is_comm, rng.integers(3, 7, n), rng.integers(1, 4, n))

    # names and ids
    county_names = [
        nm + ("县" if mountain[c] or c % 3 == 2 else "区") for c, nm in enumerate(G._pair_names(rng, n_counties, ""))
    ]
    town_base = G._pair_names(rng, n_towns, "")
    town_names = np.array([b + ("街道" if seat_town[t] else "镇") for t, b in enumerate(town_base)], dtype=object)
    local_town = np.arange(n_towns) - np.repeat(np.cumsum(towns_per_county) - towns_per_county, towns_per_county)
    cw, tw = len(str(n_counties)), len(str(int(towns_per_county.max())))
    iw = max(2, len(str(int(units_per_town.max()))))
    ids = np.empty(n, dtype=object)
    names = np.empty(n, dtype=object)
    for t in range(n_towns):
        m = int(units_per_town[t])
        nm = G._pair_names(rng, m, "")
        nc = int(n_comm[t])
        prefix = (f"K{county_of_town[t] + 1:0{cw}d}-" if n_counties > 1 else "") + f"T{local_town[t] + 1:0{tw}d}-"
        s = int(starts[t])
        for i in range(m):
            if i < nc:
                ids[s + i] = f"{prefix}C{i + 1:0{iw}d}"
                names[s + i] = nm[i] + "社区"
            else:
                ids[s + i] = f"{prefix}V{i - nc + 1:0{iw}d}"
                names[s + i] = nm[i] + "村"
    return {
        "n": n,
        "county_n": n_counties,
        "town_n": n_towns,
        "unit_id": ids,
        "name": names,
        "county": np.array(county_names, dtype=object)[county_of_unit],
        "town": town_names[town_of],
        "kind": np.where(is_comm, "community", "village"),
        "population": pop,
        "lat": lat,
        "lon": lon,
        "x": ux,
        "y": uy,
        "tags": tags,
        "party_capacity": party_capacity,
        "remote": remote,
        "_county": county_of_unit,
        "_town": town_of,
        "_seat_town": seat_u,
        "_town_first": pos == 0,
        "_mountain": mount_u,
        "towns_per_county": towns_per_county,
        "county_names": county_names,
    }


def _allocate(rng: np.random.Generator, S: dict, blocks: list[np.ndarray], sizes: dict) -> dict:
    """Whole numbers of each kind of provider (and of household cases) per unit or county, exactly the totals."""
    pop = S["population"].astype(float)
    village = S["kind"] == "village"
    county_pop = np.array([pop[b].sum() for b in blocks])
    county_units = np.array([len(b) for b in blocks], float)
    # volunteers: per unit, in proportion to population (villages mobilise a larger share of residents)
    vw = pop * np.where(village, 1.25, 1.0) * rng.uniform(0.75, 1.3, S["n"])
    out = {
        "volunteers": G._largest_remainder(sizes["volunteers"], vw),
        "workers": G._largest_remainder(sizes["workers"], county_units),
        "orgs": G._largest_remainder(sizes["orgs"], county_pop),
        "lots": G._largest_remainder(sizes["lots"], county_pop),
        "cases": G._largest_remainder(int(round(CASES_PER_UNIT * S["n"])), county_units),
    }
    out["programs"] = np.clip(
        G._largest_remainder(int(round(PROGRAMS_PER_ORG * sizes["orgs"])), out["orgs"]), out["orgs"], 3 * out["orgs"]
    )
    return out


def _widths(sizes: dict, alloc: dict) -> dict:
    return {
        "volunteers": max(5, len(str(sizes["volunteers"]))),
        "workers": max(4, len(str(sizes["workers"]))),
        "orgs": max(3, len(str(sizes["orgs"]))),
        "programs": max(4, len(str(3 * sizes["orgs"]))),
        "lots": max(4, len(str(sizes["lots"]))),
    }


# --------------------------------------------------------------------------------------------------
# One county: every table, calibrated, certified, written
# --------------------------------------------------------------------------------------------------


class _Totals:
    """What outlives a county: sums for the budget, the config and meta.json."""

    def __init__(self):
        self.sums: dict[str, float] = {
            k: 0.0
            for k in (
                "worker_cost_full",
                "certificate_money",
                "contracts",
                "program_potential_instances",
                "program_potential_cost",
            )
        }
        self.supply = {f: 0.0 for f in FAMILIES}
        self.demand = {f: 0.0 for f in FAMILIES}
        self.rows = {t: 0 for t in COLUMNS}
        self.counts: dict[str, int] = {
            "guaranteed_rows": 0,
            "indivisible_rows": 0,
            "party_members": 0,
            "volunteer_classes": 0,
            "volunteers_with_own_max_km": 0,
        }
        self.hours: list[np.ndarray] = []  # a compact sample for the quantiles (at most 200,000 values)
        self.skill_sets: dict[str, int] = {}
        self.party_share_units: list[np.ndarray] = []
        self.expiry = {"in_period": 0, "later": 0, "none": 0}
        self.certificate = {"guarantees_shrunk": [], "guarantees_made_basic": []}

    def add_hours(self, h: np.ndarray) -> None:
        have = sum(len(a) for a in self.hours)
        if have < 200_000:
            self.hours.append(h[: 200_000 - have].copy())


def _block(seq: np.random.SeedSequence, S, idx, c, alloc, widths, counters, ratio, sinks, totals: _Totals) -> None:
    g_vol, g_work, g_org, g_lot, g_need = (np.random.default_rng(s) for s in seq.spawn(5))
    U = _block_units(S, idx)
    V = _volunteers(g_vol, U, alloc["volunteers"][idx], int(alloc["volunteers"][: idx[0]].sum()), widths)
    O, PR = _orgs(
        g_org, U, int(alloc["orgs"][c]), int(alloc["programs"][c]), int(alloc["orgs"][:c].sum()), widths, counters
    )
    W = _workers(g_work, U, int(alloc["workers"][c]), int(alloc["workers"][:c].sum()), O, widths)
    L = _lots(g_lot, U, int(alloc["lots"][c]), int(alloc["lots"][:c].sum()), widths)
    N = _needs(g_need, U, int(alloc["cases"][c]))
    supply, costs = _supply_and_costs(U, V, W, O, PR, L)
    _calibrate(N, supply, ratio)
    cert = _Cert(U, V, W, L)
    N, info = cert.run(N)
    _need_ids(N, U)
    for sh in info["guarantees_shrunk"]:
        sh["need_id"] = N["need_id"].iat[sh.pop("row")]
    totals.certificate["guarantees_shrunk"] += info["guarantees_shrunk"]
    totals.certificate["guarantees_made_basic"] += [N["need_id"].iat[i] for i in info["made_basic_rows"]]

    # totals
    for f in FAMILIES:
        totals.supply[f] += supply[f]
        totals.demand[f] += float(N.loc[N["family"] == f, "q"].sum())
    totals.sums["worker_cost_full"] += costs["worker_cost_full"]
    totals.sums["contracts"] += costs["contracts"]
    totals.sums["program_potential_instances"] += costs["program_potential_instances"]
    totals.sums["program_potential_cost"] += costs["program_potential_cost"]
    totals.sums["certificate_money"] += cert.money
    totals.counts["guaranteed_rows"] += int((N["tier"] == "guaranteed").sum())
    totals.counts["indivisible_rows"] += int(N["indivisible"].sum())
    totals.counts["party_members"] += int(V["party_member"].sum())
    totals.counts["volunteers_with_own_max_km"] += int(np.isfinite(V["max_km"]).sum())
    totals.counts["volunteer_classes"] += _classes(V)
    totals.add_hours(V["hours"])
    for s, k in zip(*np.unique(V["skills"].astype(str), return_counts=True)):
        totals.skill_sets[s] = totals.skill_sets.get(s, 0) + int(k)
    n_v = np.bincount(V["_home"], minlength=len(idx))
    n_p = np.bincount(V["_home"], weights=V["party_member"], minlength=len(idx))
    totals.party_share_units.append(n_p[n_v > 0] / n_v[n_v > 0])
    for k in totals.expiry:
        totals.expiry[k] += int((L["_exp_class"] == k).sum())

    # write
    _write_block(sinks, totals, U, N, V, W, O, PR, L)


def _block_units(S: dict, idx: np.ndarray) -> pd.DataFrame:
    cols = [
        "unit_id",
        "name",
        "county",
        "town",
        "kind",
        "population",
        "lat",
        "lon",
        "x",
        "y",
        "tags",
        "party_capacity",
        "remote",
        "_town",
        "_seat_town",
        "_town_first",
        "_mountain",
    ]
    U = pd.DataFrame({k: S[k][idx] for k in cols})
    U["_remote"] = U["remote"]
    return U


def _topk_mask(rng: np.random.Generator, weights: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per row, k distinct columns drawn with probability proportional to weights (Efraimidis-Spirakis)."""
    keys = rng.random(weights.shape) ** (1.0 / weights)
    order = np.argsort(-keys, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(weights.shape[1])[None, :].repeat(len(weights), 0), axis=1)
    return rank < k[:, None]


def _mask_strings(mask: np.ndarray, tokens: list[str]) -> np.ndarray:
    """Rows of a boolean mask -> ';'-joined tokens (vectorised through a lookup of every bit pattern)."""
    bits = (mask.astype(np.int64) << np.arange(len(tokens))).sum(axis=1)
    table = np.array(
        [";".join(t for j, t in enumerate(tokens) if b >> j & 1) for b in range(1 << len(tokens))], dtype=object
    )
    return table[bits]


def _volunteers(rng, U: pd.DataFrame, counts: np.ndarray, offset: int, widths: dict) -> dict:
    n = int(counts.sum())
    home = np.repeat(np.arange(len(U)), counts)
    kind = U["kind"].to_numpy()[home]
    # party members: a share drawn per unit, exactly that many per unit, at random within the unit
    share = rng.uniform(*VOL_PARTY_SHARE, len(U))
    k_party = np.round(share * counts).astype(np.int64)
    order = np.lexsort((rng.random(n), home))
    start = np.cumsum(counts) - counts
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n) - start[home[order]]
    party = rank < k_party[home]
    # hours: a lognormal mixture (regulars and retirees), party members a little more; half hours
    hv = VOL_HOURS
    retired = rng.random(n) < hv["retired_share"]
    med = np.where(retired, hv["retired"][0], hv["regular"][0])
    sig = np.where(retired, hv["retired"][1], hv["regular"][1])
    hours = rng.lognormal(np.log(med), sig) * np.where(party, 1.15, 1.0)
    hours = np.clip(np.round(hours * 2) / 2, hv["min"], hv["max"])
    # skills: 1-3 tokens drawn without replacement, popularity by the home unit's kind
    wts = np.where(
        (kind == "community")[:, None], np.array(VOL_POP["community"])[None, :], np.array(VOL_POP["village"])[None, :]
    )
    k = rng.choice(3, size=n, p=VOL_N_SKILLS_P) + 1
    skills = _mask_strings(_topk_mask(rng, wts, k), VOL_TOKENS)
    mk_opts = np.array([m for m, _ in VOL_MAX_KM])
    max_km = mk_opts[G._choice(rng, VOL_MAX_KM, [p for _, p in VOL_MAX_KM], n)]
    w = widths["volunteers"]
    return {
        "volunteer_id": np.array([f"VOL{offset + i + 1:0{w}d}" for i in range(n)], dtype=object),
        "home_unit": U["unit_id"].to_numpy()[home],
        "hours": hours,
        "skills": skills,
        "party_member": party,
        "max_km": max_km,
        "_home": home,
    }


def _classes(V: dict) -> int:
    """Volunteer classes the model's aggregation would form (same home, radius, party flag and served
    categories; ``general`` covers the non-professional service categories), before any is kept solo."""
    if not len(V["_home"]):
        return 0
    toks = VOL_TOKENS
    general_cats = [j for j, t in enumerate(toks) if t in G.NON_PROF]
    bits = np.zeros(len(V["_home"]), np.int64)
    for j, t in enumerate(toks):
        has = np.char.find(np.char.add(np.char.add(";", V["skills"].astype(str)), ";"), f";{t};") >= 0
        if t == "general":
            for g in general_cats:
                bits |= has.astype(np.int64) << g
        else:
            bits |= has.astype(np.int64) << j
    radius = np.where(np.isfinite(V["max_km"]), V["max_km"], G.MAX_KM["volunteer"])
    key = pd.DataFrame({"h": V["_home"], "r": radius, "p": V["party_member"], "b": bits})
    return int(len(key.drop_duplicates()))


def _workers(rng, U: pd.DataFrame, n: int, offset: int, O: pd.DataFrame, widths: dict) -> dict:
    """Social workers in the town stations (乡镇社工站): at least one per town while there are enough."""
    town = U["_town"].to_numpy()
    towns = np.unique(town)
    first = np.flatnonzero(U["_town_first"].to_numpy())  # each town's seat community
    units_in = np.array([(town == t).sum() for t in towns], float)
    wt = units_in * np.where(U["_seat_town"].to_numpy()[first], 1.6, 1.0)
    per_town = G._largest_remainder(n, wt, minimum=1 if n >= len(towns) else 0)
    t_of = np.repeat(np.arange(len(towns)), per_town)
    # most at the station (the seat community); a third posted in a unit of the town (驻村/驻社区社工)
    posted = rng.random(n) < 0.33
    pick = np.empty(n, np.int64)
    for j in range(len(towns)):
        members = np.flatnonzero(town == towns[j])
        sel = np.flatnonzero(t_of == j)
        pick[sel] = members[rng.integers(0, len(members), len(sel))]
    base = np.where(posted, pick, first[t_of])
    part = rng.random(n) < 0.2
    hours = np.where(part, rng.integers(40, 81, n), rng.integers(110, 161, n)).astype(float)
    general = rng.random(n) < 0.2
    cats = list(WORKER_SKILL_P)
    k = rng.choice(3, size=n, p=[0.35, 0.4, 0.25]) + 1
    mask = _topk_mask(rng, np.tile(np.array([WORKER_SKILL_P[c] for c in cats]), (n, 1)), k)
    sk = _mask_strings(mask, cats)
    skills = np.where(general, "general", sk).astype(object)
    prof = mask[:, [cats.index(c) for c in G.PROFESSIONAL]].any(axis=1) & ~general
    cost = np.clip(np.round(rng.lognormal(np.log(56.0), 0.15, n) + 12 * prof), 45, 90)
    max_units = np.where(rng.random(n) < 0.3, rng.integers(3, 9, n), 0).astype(float)
    max_units[max_units == 0] = np.nan
    r = rng.random(n)
    max_km = np.where(r < 0.15, 20.0, np.where(r < 0.25, 6.0, np.nan))
    org = np.full(n, "", dtype=object)
    if len(O):
        has = rng.random(n) < 0.7
        org = np.where(has, O["org_id"].to_numpy()[rng.integers(0, len(O), n)], "").astype(object)
    w = widths["workers"]
    return {
        "worker_id": np.array([f"SW{offset + i + 1:0{w}d}" for i in range(n)], dtype=object),
        "base_unit": U["unit_id"].to_numpy()[base],
        "hours": hours,
        "skills": skills,
        "org_id": org,
        "max_units": max_units,
        "cost_per_hour": cost,
        "max_km": max_km,
        "_home": base,
    }


def _orgs(
    rng, U: pd.DataFrame, n: int, n_programs: int, offset: int, widths: dict, counters: dict
) -> tuple[pd.DataFrame, pd.DataFrame]:
    kind = U["kind"].to_numpy()
    town = U["_town"].to_numpy()
    w = U["population"].to_numpy(float) * np.where(kind == "community", 3.0, 0.4)
    base = rng.choice(len(U), size=n, p=w / w.sum()) if n else np.zeros(0, np.int64)
    typ = G._choice(rng, G.ORG_TYPES, G.ORG_TYPE_P, n)
    ow, pw = widths["orgs"], widths["programs"]
    unit_ids = U["unit_id"].to_numpy()
    towns = U["town"].to_numpy()
    xs, ys = U["x"].to_numpy(float), U["y"].to_numpy(float)
    pair = G._pair_names(rng, n, "")
    # programs per organization: one each, the rest on two further slots per organization at random
    extra = rng.permutation(2 * n)[: max(0, n_programs - n)] % n if n else np.zeros(0, np.int64)
    n_prog_of = 1 + np.bincount(extra, minlength=n)
    org_rows, prog_rows = [], []
    templates = G.PROGRAM_TEMPLATES
    for i in range(n):
        suffix, pool, (lo, hi) = G.ORG_TYPES[typ[i]]
        b = int(base[i])
        skills = (
            [pool[j] for j in sorted(rng.choice(len(pool), size=int(rng.integers(1, len(pool) + 1)), replace=False))]
            if pool
            else []
        )
        fixed = 0.0 if hi == 0 else float(round(rng.uniform(lo, hi) / 500) * 500)
        capacity = float(rng.integers(60, 201)) if skills else float(rng.integers(10, 41))
        max_km = (
            float(rng.choice([12.0, 15.0, 18.0])) if (suffix == "乡村社会工作服务社" or rng.random() < 0.15) else np.nan
        )
        oid = f"ORG{offset + i + 1:0{ow}d}"
        org_rows.append(
            {
                "org_id": oid,
                "name": f"{towns[b]}{pair[i]}{suffix}",
                "base_unit": unit_ids[b],
                "capacity": capacity,
                "fixed_cost": fixed,
                "max_km": max_km,
                "skills": ";".join(skills),
            }
        )
        n_prog = int(n_prog_of[i])
        if suffix == "环保公益协会":
            own = [t for t in range(len(templates)) if templates[t][2] == "community_environment"]
        elif suffix == "文化志愿服务协会":
            own = [t for t in range(len(templates)) if templates[t][2] == "culture"]
        else:
            own = [t for t in range(len(templates)) if templates[t][2] in skills]
        others = [t for t in range(len(templates)) if t not in own]
        picks = list(rng.permutation(own))[:n_prog]
        if len(picks) < n_prog:
            picks += list(rng.permutation(others))[: n_prog - len(picks)]
        radius = max_km if np.isfinite(max_km) else G.MAX_KM["organization"]
        d = np.hypot(xs - xs[b], ys - ys[b])
        same_town = np.flatnonzero((town == town[b]) & (d <= radius - 0.5))
        for t in picks:
            name, name_en, cat, out, fc, wh, vh, funds, mpu = templates[int(t)]
            f = rng.uniform(0.8, 1.25)
            eligible = ""
            if rng.random() < 0.3 and len(same_town) > 1:
                kk = int(min(len(same_town), rng.integers(3, 9)))
                eligible = ";".join(unit_ids[np.sort(rng.choice(same_town, size=kk, replace=False))])
            counters["programs"] += 1
            prog_rows.append(
                {
                    "program_id": f"PRG{counters['programs']:0{pw}d}",
                    "name": name,
                    "name_en": name_en,
                    "org_id": oid,
                    "category": cat,
                    "output_per_instance": float(round(out * f)),
                    "fixed_cost": float(round(fc * f / 50) * 50),
                    "worker_hours": float(wh),
                    "volunteer_hours": float(vh),
                    "funds": float(round(funds * f / 50) * 50),
                    "max_per_unit": float(mpu) if rng.random() > 0.15 else np.nan,
                    "eligible_units": eligible,
                }
            )
    O = pd.DataFrame(org_rows, columns=COLUMNS["organizations"])
    PR = pd.DataFrame(prog_rows, columns=COLUMNS["programs"])
    return O, PR


def _lots(rng, U: pd.DataFrame, n: int, offset: int, widths: dict) -> pd.DataFrame:
    towns = U["town"].to_numpy()
    town_list = np.array(list(dict.fromkeys(towns)), dtype=object)
    unit_ids = U["unit_id"].to_numpy()
    funds = rng.random(n) < 0.55
    item = np.where(rng.random(n) < 0.55, G.ITEMS[0], G.ITEMS[1])
    q_funds = np.clip(np.round(rng.lognormal(np.log(6000), 0.8, n) / 100) * 100, 500, 60000)
    q_goods = np.where(item == "rice_bag", rng.integers(20, 121, n), rng.integers(20, 101, n)).astype(float)
    cr = rng.random(n)
    category = np.where(
        funds,
        np.where(
            cr < 0.45, G.FUNDS_CAT, np.where(cr < 0.53, "elderly_care", np.where(cr < 0.60, "left_behind_children", ""))
        ),
        np.where(cr < 0.3, G.GOODS_CAT, ""),
    )
    wr = rng.random(n)
    unit_pick = rng.integers(0, len(U), n)
    unit_em = np.where(wr < 0.06, unit_ids[unit_pick], "")
    town_em = np.where(
        (wr >= 0.06) & (wr < 0.21) & (len(town_list) > 1), town_list[rng.integers(0, len(town_list), n)], ""
    )
    q = np.where(funds, q_funds, q_goods)
    q = np.where((unit_em != "") & funds, np.minimum(q, 5000.0), q)
    q = np.where((unit_em != "") & ~funds, np.minimum(q, 30.0), q)
    # expiry: about a fifth lapse inside the planning month, most of the rest during the next year
    er = rng.random(n)
    cls = np.where(er < 0.22, "in_period", np.where(er < 0.67, "later", "none"))
    days_in = rng.integers(2, PERIOD_START.days_in_month, n)  # day 3..end of the month
    days_later = rng.integers(PERIOD_START.days_in_month, PERIOD_START.days_in_month + 365, n)
    offs = np.where(cls == "in_period", days_in, days_later)
    dates = (np.datetime64(PERIOD_START.date()) + offs.astype("timedelta64[D]")).astype(str)
    expires = np.where(cls == "none", "", dates).astype(object)
    fd = np.array(G.FUNDS_DONORS, dtype=object)[rng.integers(0, len(G.FUNDS_DONORS), n)]
    gd = np.array(G.GOODS_DONORS, dtype=object)[rng.integers(0, len(G.GOODS_DONORS), n)]
    donor = np.where(funds, fd, gd)
    donor = np.where(donor == "商会", towns[unit_pick] + "商会", donor)
    w = widths["lots"]
    return pd.DataFrame(
        {
            "lot_id": [f"LOT{offset + i + 1:0{w}d}" for i in range(n)],
            "donor": donor,
            "kind": np.where(funds, "funds", "goods"),
            "quantity": q,
            "item": np.where(funds, "", item),
            "category": category,
            "town": town_em,
            "unit_id": unit_em,
            "expires": expires,
            "_exp_class": cls,
        }
    )


# --------------------------------------------------------------------------------------------------
# Needs: rows, calibration against supply
# --------------------------------------------------------------------------------------------------


def _family(cat: str) -> str:
    return G.CATEGORIES[cat]["unit"]


def _needs(rng, U: pd.DataFrame, n_cases: int) -> pd.DataFrame:
    """Need rows with raw quantities (rates x population, split over sub-group rows); cases fixed."""
    kinds = U["kind"].to_numpy()
    pop = U["population"].to_numpy(float)
    combos = [(c, t) for c in G.CAT_NAMES for t in TIERS]
    n_u = len(U)
    rate = np.zeros((n_u, len(combos)))
    prob = np.zeros((n_u, len(combos)))
    for j, (c, t) in enumerate(combos):
        for kind in ("community", "village"):
            spec = NEED_SPEC[kind].get(c, {}).get(t)
            if spec:
                m = kinds == kind
                rate[m, j], prob[m, j] = spec
    reported = rng.random((n_u, len(combos))) < prob
    uu, jj = np.nonzero(reported)  # row-major: unit, then combo order
    med = np.where(kinds == "community", 3500.0, 1400.0)
    lam = EXTRA_ROWS_MEAN * np.sqrt(pop / med)
    k = 1 + rng.poisson(lam[uu])
    total = rate[uu, jj] * pop[uu] / 1000.0 * rng.lognormal(0.0, 0.35, len(uu))
    remote = U["_remote"].to_numpy()[uu]
    cat_of = np.array([c for c, _ in combos], dtype=object)[jj]
    total = total * np.where(remote & np.isin(cat_of, ["elderly_care", "left_behind_children"]), 1.15, 1.0)
    # split each (unit, category, tier) total over its rows
    row_combo = np.repeat(np.arange(len(uu)), k)
    share = rng.gamma(2.0, 1.0, len(row_combo))
    share = share / np.bincount(row_combo, weights=share)[row_combo]
    N = pd.DataFrame(
        {
            "u": uu[row_combo],
            "category": cat_of[row_combo],
            "tier": np.array([t for _, t in combos], dtype=object)[jj][row_combo],
            "q": total[row_combo] * share,
            "indivisible": False,
        }
    )
    # indivisible home-care cases, in units chosen by population (villages more often)
    if n_cases and n_u:
        w = pop * np.where(kinds == "village", 1.3, 1.0)
        cu = np.sort(rng.choice(n_u, size=n_cases, p=w / w.sum()))
        cc = np.array(CASE_CATS[0], dtype=object)[G._choice(rng, CASE_CATS[0], CASE_CATS[1], n_cases)]
        ct = np.where(rng.random(n_cases) < CASE_GUARANTEED, "guaranteed", "basic")
        cq = np.clip(np.round(rng.lognormal(np.log(12.0), 0.45, n_cases)), 4, 40)
        N = pd.concat(
            [N, pd.DataFrame({"u": cu, "category": cc, "tier": ct, "q": cq, "indivisible": True})], ignore_index=True
        )
    N["family"] = N["category"].map(_family)
    N["_cat"] = N["category"].map({c: i for i, c in enumerate(G.CAT_NAMES)})
    N["_tier"] = N["tier"].map(G.TIER_ORDER)
    N = N.sort_values(["u", "_cat", "_tier", "indivisible"], kind="stable").drop(columns=["_cat", "_tier"])
    return N.reset_index(drop=True)


def _round_q(family: str, q: np.ndarray) -> np.ndarray:
    if family == "yuan":
        return np.maximum(200.0, np.round(q / 100.0) * 100.0)
    return np.maximum(1.0, np.round(q))


def _supply_and_costs(U, V, W, O, PR, L) -> tuple[dict, dict]:
    """Supply per family (the figures demand is calibrated against) and the costs the budget is set from.

    hours: volunteer + social-worker hours + program potential, i.e. min(party capacity of the units,
    capacity of the organizations running programs) instances x the mean net output (output less the
    inputs) of the hour programs; yuan: funds lots that may serve relief (no earmark or relief's);
    packages: goods lots.
    """
    hour_prog = PR[PR["category"].map(_family) == "hours"] if len(PR) else PR
    net = (hour_prog["output_per_instance"] - hour_prog["worker_hours"] - hour_prog["volunteer_hours"]).clip(lower=0)
    run_orgs = O["org_id"].isin(PR["org_id"]) if len(O) else pd.Series([], dtype=bool)
    instances = min(float(U["party_capacity"].sum()), float(O.loc[run_orgs, "capacity"].sum())) if len(PR) else 0.0
    prog_hours = instances * float(net.mean()) if len(net) else 0.0
    supply = {
        "hours": float(V["hours"].sum()) + float(W["hours"].sum()) + prog_hours,
        "yuan": float(L.loc[(L["kind"] == "funds") & L["category"].isin(["", G.FUNDS_CAT]), "quantity"].sum()),
        "packages": float(L.loc[L["kind"] == "goods", "quantity"].sum()),
    }
    # every paid worker hour at its rate, plus travel at ~3 km a trip (what spending on all of them costs)
    worker_cost = float((W["hours"] * (W["cost_per_hour"] + G.TRAVEL_PER_KM * 3.0)).sum())
    costs = {
        "worker_cost_full": worker_cost,
        "contracts": float(O["fixed_cost"].sum()),
        "program_potential_instances": instances,
        "program_hours": prog_hours,
        "program_potential_cost": instances * float((PR["fixed_cost"] + PR["funds"]).mean()) if len(PR) else 0.0,
    }
    return supply, costs


def _calibrate(N: pd.DataFrame, supply: dict, ratio: dict) -> None:
    """Scale the divisible rows of each family so that demand = ratio x supply (cases kept); round."""
    q = N["q"].to_numpy(float).copy()
    fam = N["family"].to_numpy()
    scalable = ~N["indivisible"].to_numpy(bool)
    for f in FAMILIES:
        m = fam == f
        sel = m & scalable
        raw = q[sel].copy()
        fixed = float(q[m & ~scalable].sum())
        if raw.sum() > 0 and supply[f] > 0:
            target = max(ratio[f] * supply[f] - fixed, 0.1 * ratio[f] * supply[f])
            scale = target / float(raw.sum())
            for _ in range(4):  # rounding (and its minimum) moves small rows: correct the scale for it
                got = float(_round_q(f, raw * scale).sum())
                if got <= 0 or abs(got - target) <= 0.002 * target:
                    break
                scale *= target / got
            q[sel] = raw * scale
        # no supply of this family in the county: keep the raw rates (a real shortfall)
        q[m] = _round_q(f, q[m])
    N["q"] = q


# --------------------------------------------------------------------------------------------------
# Feasibility certificate (the classic generator's rules, on one county)
# --------------------------------------------------------------------------------------------------


class _Cert(G._Certificate):
    """The classic certificate on one county, with the whole area's plane and category-earmarked goods."""

    def __init__(self, U: pd.DataFrame, V: dict, W: dict, L: pd.DataFrame):
        Vf = pd.DataFrame(
            {
                "_home": V["_home"],
                "hours": V["hours"],
                "max_km": V["max_km"],
                "party_member": V["party_member"],
                "skills": V["skills"],
            }
        )
        Wf = pd.DataFrame(
            {
                "_home": W["_home"],
                "hours": W["hours"],
                "max_km": W["max_km"],
                "cost_per_hour": W["cost_per_hour"],
                "max_units": W["max_units"],
                "skills": W["skills"],
            }
        )
        super().__init__(U, Vf, Wf, L)
        self.ux = U["x"].to_numpy(float)  # the loader's plane over all units, not this county's own
        self.uy = U["y"].to_numpy(float)

    def _lots(self, u: int, cat: str) -> np.ndarray:
        if not len(self.l_cap):
            return np.zeros(0, np.int64)
        if cat == G.FUNDS_CAT:
            ok = (self.l_kind == "funds") & np.isin(self.l_cat, ["", G.FUNDS_CAT])
        else:
            ok = (self.l_kind == "goods") & np.isin(self.l_item, list(G.ITEMS)) & np.isin(self.l_cat, ["", G.GOODS_CAT])
        ok &= ((self.l_town == "") | (self.l_town == self.town[u])) & (
            (self.l_unit == "") | (self.l_unit == self.uid[u])
        )
        ok &= self.l_cap > 1e-9
        idx = np.flatnonzero(ok)
        rank = np.where(
            self.l_unit[idx] != "", 0, np.where(self.l_town[idx] != "", 1, np.where(self.l_cat[idx] != "", 2, 3))
        )
        return idx[np.lexsort((idx, rank))]

    def run(self, N: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
        """Serve every guarantee (cases first), shrinking those it cannot serve in full, demoting those it
        cannot serve at all to ``basic``. Returns the needs and what was changed (by row)."""
        tier = N["tier"].to_numpy(object).copy()
        q_all = N["q"].to_numpy(float).copy()
        ind = N["indivisible"].to_numpy(bool)
        g = np.flatnonzero(tier == "guaranteed")
        order = np.r_[g[ind[g]], g[~ind[g]]]
        units, cats, fams = N["u"].to_numpy(), N["category"].to_numpy(), N["family"].to_numpy()
        shrunk, demoted = [], []
        for n in order:
            u, cat, q = int(units[n]), str(cats[n]), float(q_all[n])
            if ind[n]:
                if not self.serve_case(u, cat, q):
                    tier[n] = "basic"
                    demoted.append(int(n))
                continue
            got = self.serve(u, cat, q)
            if got < q - 1e-9:
                new_q = float(_round_q(fams[n], np.array([got * 0.999]))[0]) if got > 0 else 0.0
                if new_q > got or new_q <= 0:
                    tier[n] = "basic"
                    demoted.append(int(n))
                else:
                    q_all[n] = new_q
                    shrunk.append({"row": int(n), "from": q, "to": new_q})
        N = N.assign(tier=tier, q=q_all)
        return N, {"guarantees_shrunk": shrunk, "made_basic_rows": demoted}


def _need_ids(N: pd.DataFrame, U: pd.DataFrame) -> None:
    """``<unit>/<category>/<tier>`` for the first row of its kind, ``/2``, ``/3`` ... for further rows;
    cases ``.../case``, ``.../case2``. Assigned after the certificate (which may change a row's tier)."""
    uid = U["unit_id"].to_numpy()[N["u"].to_numpy()]
    base = pd.Series(uid, dtype=object) + "/" + N["category"].astype(str) + "/" + N["tier"].astype(str)
    ind = N["indivisible"].to_numpy(bool)
    key = base + np.where(ind, "#", "")
    k = key.groupby(key, sort=False).cumcount().to_numpy() + 1
    sfx = np.where(ind, np.where(k > 1, "/case" + k.astype(str), "/case"), np.where(k > 1, "/" + k.astype(str), ""))
    N["need_id"] = (base + sfx).to_numpy(object)
    N["unit_id"] = uid


# --------------------------------------------------------------------------------------------------
# Writing: one CSV per table, appended county by county
# --------------------------------------------------------------------------------------------------


class _CsvSink:
    """A CSV file written in pieces: the header at once, then rows appended as they are made."""

    def __init__(self, path: Path, columns: list[str]):
        self.columns = columns
        self.fh: IO[str] = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - held until close()
        self.fh.write(",".join(columns) + "\n")

    def write(self, cols: dict, chunk: int = CHUNK_ROWS) -> int:
        n = len(next(iter(cols.values()))) if cols else 0
        for s in range(0, n, chunk):
            frame = pd.DataFrame({k: pd.Series(list(cols[k][s : s + chunk]), dtype=object) for k in self.columns})
            frame.to_csv(self.fh, index=False, header=False, lineterminator="\n")
        return n

    def close(self) -> None:
        self.fh.close()


def _num(values) -> np.ndarray:
    return np.array(G._num_col(values), dtype=object)


def _bools(values) -> np.ndarray:
    return np.where(np.asarray(values, bool), "true", "false").astype(object)


def _write_block(sinks, totals: _Totals, U, N, V, W, O, PR, L) -> None:
    rows = totals.rows
    rows["units"] += sinks["units"].write(
        {
            "unit_id": U["unit_id"].to_numpy(),
            "name": U["name"].to_numpy(),
            "county": U["county"].to_numpy(),
            "town": U["town"].to_numpy(),
            "kind": U["kind"].to_numpy(),
            "population": _num(U["population"]),
            "lat": [G._fmt_coord(v) for v in U["lat"]],
            "lon": [G._fmt_coord(v) for v in U["lon"]],
            "tags": U["tags"].to_numpy(),
            "party_capacity": _num(U["party_capacity"]),
        }
    )
    rows["needs"] += sinks["needs"].write(
        {
            "need_id": N["need_id"].to_numpy(),
            "unit_id": N["unit_id"].to_numpy(),
            "category": N["category"].to_numpy(),
            "quantity": _num(N["q"]),
            "tier": N["tier"].to_numpy(),
            "indivisible": _bools(N["indivisible"]),
        }
    )
    rows["volunteers"] += sinks["volunteers"].write(
        {
            "volunteer_id": V["volunteer_id"],
            "home_unit": V["home_unit"],
            "hours": _num(V["hours"]),
            "skills": V["skills"],
            "party_member": _bools(V["party_member"]),
            "max_km": _num(V["max_km"]),
        }
    )
    rows["social_workers"] += sinks["social_workers"].write(
        {
            "worker_id": W["worker_id"],
            "base_unit": W["base_unit"],
            "hours": _num(W["hours"]),
            "skills": W["skills"],
            "org_id": W["org_id"],
            "max_units": _num(W["max_units"]),
            "cost_per_hour": _num(W["cost_per_hour"]),
            "max_km": _num(W["max_km"]),
        }
    )
    rows["organizations"] += sinks["organizations"].write(
        {
            "org_id": O["org_id"].to_numpy(),
            "name": O["name"].to_numpy(),
            "base_unit": O["base_unit"].to_numpy(),
            "capacity": _num(O["capacity"]),
            "fixed_cost": _num(O["fixed_cost"]),
            "max_km": _num(O["max_km"]),
            "skills": O["skills"].to_numpy(),
        }
    )
    rows["programs"] += sinks["programs"].write(
        {
            **{k: PR[k].to_numpy() for k in ("program_id", "name", "name_en", "org_id", "category", "eligible_units")},
            **{
                k: _num(PR[k])
                for k in (
                    "output_per_instance",
                    "fixed_cost",
                    "worker_hours",
                    "volunteer_hours",
                    "funds",
                    "max_per_unit",
                )
            },
        }
    )
    rows["charity"] += sinks["charity"].write(
        {
            **{
                k: L[k].to_numpy()
                for k in ("lot_id", "donor", "kind", "item", "category", "town", "unit_id", "expires")
            },
            "quantity": _num(L["quantity"]),
        }
    )


def _config_text(name: str, budget: float, sizes: dict, seed: int, preset: str | None, totals: _Totals) -> str:
    cfg = yaml.safe_load(G._config_text(name, budget, sizes, seed, preset))
    cfg["solver"] = {"backend": "highs", "time_limit": 300, "mip_gap": 0.005, "seed": 0}
    head = (
        f"# SYNTHETIC scenario written by `{G.GENERATOR}` (model: {MODEL}; preset: {preset or 'custom'}, "
        f"seed {seed}).\n"
        f"# Sizes: {totals.rows['units']} units, {totals.rows['volunteers']} volunteers, "
        f"{totals.rows['social_workers']} social workers,\n"
        f"# {totals.rows['organizations']} organizations ({totals.rows['programs']} programs), "
        f"{totals.rows['charity']} charity lots, {totals.rows['needs']} need rows.\n"
        "# Everything is invented; every rule is on and the budget binds. See meta.json; regenerate rather\n"
        "# than edit.\n"
    )
    return head + yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False, width=120)


def _meta(sizes, seed, preset, S, totals: _Totals, ratio, budget, budget_share) -> dict:
    hours = np.concatenate(totals.hours) if totals.hours else np.zeros(0)
    ps = np.concatenate(totals.party_share_units) if totals.party_share_units else np.zeros(0)
    n_vol = max(totals.rows["volunteers"], 1)
    sd = {}
    for f in FAMILIES:
        sd[f] = {
            "supply": round(totals.supply[f], 1),
            "demand": round(totals.demand[f], 1),
            "target_demand_over_supply": round(ratio[f], 4),
            "demand_over_supply": round(totals.demand[f] / totals.supply[f], 4) if totals.supply[f] > 0 else None,
        }
    q = (lambda p: float(np.quantile(hours, p))) if len(hours) else (lambda p: None)
    return {
        "generator": G.GENERATOR,
        "generator_version": G.GENERATOR_VERSION,
        "model": MODEL,
        "preset": preset,
        "seed": int(seed),
        "sizes": sizes,
        "rows": dict(totals.rows),
        "counties": int(S["county_n"]),
        "towns": int(S["town_n"]),
        "units_by_kind": {k: int(v) for k, v in zip(*np.unique(S["kind"], return_counts=True))},
        "need_rows": totals.rows["needs"],
        "guaranteed_rows": totals.counts["guaranteed_rows"],
        "indivisible_rows": totals.counts["indivisible_rows"],
        "reach_density": {"median_units_within_4_km": units_within(S["x"], S["y"], 4.0, median=True)},
        "volunteers": {
            "party_member_share": totals.counts["party_members"] / n_vol,
            "party_share_by_unit": {
                "min": float(ps.min()) if len(ps) else None,
                "max": float(ps.max()) if len(ps) else None,
            },
            "hours_quantiles": {
                "p10": q(0.1),
                "p50": q(0.5),
                "p90": q(0.9),
                "p99": q(0.99),
                "max": float(hours.max()) if len(hours) else None,
            },
            "hours_share_2_to_10": float(((hours >= 2) & (hours <= 10)).mean()) if len(hours) else None,
            "distinct_skill_sets": len(totals.skill_sets),
            "aggregation_classes": totals.counts["volunteer_classes"],
            "aggregation_classes_share": totals.counts["volunteer_classes"] / n_vol,
            "own_max_km_share": totals.counts["volunteers_with_own_max_km"] / n_vol,
        },
        "charity_expiry": dict(totals.expiry),
        "supply_demand": sd,
        "budget": budget,
        "budget_basis": {
            "all_worker_hours_cost": round(totals.sums["worker_cost_full"], 2),
            "share": round(budget_share, 4),
            "contracts": totals.sums["contracts"],
            "program_potential_instances": totals.sums["program_potential_instances"],
            "program_potential_cost": round(totals.sums["program_potential_cost"], 2),
            "estimated_cost_of_serving_all": round(
                totals.sums["worker_cost_full"] + totals.sums["contracts"] + totals.sums["program_potential_cost"], 2
            ),
        },
        "certificate": {
            "money": round(totals.sums["certificate_money"], 2),
            "guaranteed_rows_served": totals.counts["guaranteed_rows"],
            "guarantees_shrunk": totals.certificate["guarantees_shrunk"],
            "guarantees_made_basic": totals.certificate["guarantees_made_basic"],
        },
    }


def units_within(x: np.ndarray, y: np.ndarray, km: float, median: bool = False):
    """Per unit, the number of other units within ``km`` (a k-d tree: fine for a province)."""
    from scipy.spatial import cKDTree

    pts = np.c_[np.asarray(x, float), np.asarray(y, float)]
    if not len(pts):
        return 0.0 if median else np.zeros(0, np.int64)
    counts = cKDTree(pts).query_ball_point(pts, km, return_length=True) - 1
    return float(np.median(counts)) if median else counts
