"""The classic synthetic scenarios (issue 6): the ``town``, ``district`` and ``city`` presets.

``generate_classic(out_dir, units=..., volunteers=..., workers=..., orgs=..., lots=..., seed=...)``
(run by :func:`linkage_opt.inputs.generate.generate`, which checks the sizes and picks this generator or
:mod:`linkage_opt.inputs.generate_real`) writes an ordinary scenario -- ``out_dir/config.yaml``
referencing the CSV folder ``out_dir/data`` -- plus ``out_dir/meta.json`` (the parameters, supply against
demand, and the feasibility certificate's figures). Everything is invented; nothing describes real
people. The structure mimics a Sichuan district around 29.40 N, 103.82 E:

* **towns** (乡镇) of 10-20 units on a jittered grid about 16 km apart; each has a centre with dense
  communities (社区) within 0.2-2.5 km and sparse villages (村) 3-15 km out (most of them nearer);
  villages 10 km or more from their centre are tagged ``remote`` and lie beyond the default radius of
  social workers based in the centre (12 km), as remote villages do; ~15% of communities are
  ``pilot``, ~8% of villages ``weak_party_org``;
* **needs**: 4-8 rows per unit from per-1,000-resident rates (villages: more left-behind children and
  relief; communities: more mental health and culture), ~15% of rows ``guaranteed``, ~15% of units with
  an indivisible household case (个案, professional categories); quantities are scaled so that supply
  is ~80-88% of demand per family (hours, yuan, packages) and priorities matter;
* **volunteers** live in units in proportion to population; 22-28% party members (exact count),
  mostly the ``general`` skill, 4-20 hours, some with their own ``max_km``;
* **social workers** with specific (often professional) skills or ``general``, some ``max_units``,
  40-85 yuan/hour; at least one in every town centre when there are enough of them;
* **organizations** with 2-4 **programs** each, fixed costs and capacities;
* **charity lots**: funds and goods (rice, cooking oil) with earmarks (category, town, unit) and
  expiry dates.

**Feasible by construction.** Only guarantees can make the model infeasible (docs/model.md), so the
generator builds a *certificate*: it serves every guaranteed row with eligible providers in reach --
workers and party-member volunteers first, other volunteers within the party-share rule, workers only
for professional categories, one worker for a whole household case, lots within their earmarks --
honouring capacities with travel overhead, ``max_units`` and the supervision rule, and sets the
district budget well above the certificate's cost. A guarantee the certificate cannot serve in full is
shrunk to what it could (or made ``basic`` if nothing). A few guarantees are then made deliberately
**tight**: raised to use ~90% of what the certificate's providers in reach still have (recorded in
``meta.json``, ``tight_guarantees``).

**Deterministic.** The same arguments and seed give byte-identical files (independent random streams
per table; no set iteration; fixed number formatting). Vectorised with numpy: the ``city`` preset
(2,000 units, 50,000 volunteers) generates in seconds.

The tables of names and helpers here (categories, organization types, donors, the certificate) are
shared: :mod:`linkage_opt.inputs.generate_real` builds on them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .scenario import planar_coordinates

# --------------------------------------------------------------------------------------------------
# Presets and sizes
# --------------------------------------------------------------------------------------------------

CLASSIC_PRESETS: dict[str, dict] = {
    "town": {"units": 15, "volunteers": 300, "workers": 15, "orgs": 5, "lots": 40},
    "district": {"units": 200, "volunteers": 5000, "workers": 150, "orgs": 40, "lots": 500},
    "city": {"units": 2000, "volunteers": 50000, "workers": 1500, "orgs": 300, "lots": 5000},
}
# Providers per unit when only --units is given (the district preset's proportions).
PER_UNIT = {"volunteers": 25.0, "workers": 0.75, "orgs": 0.2, "lots": 2.5}
GENERATOR = "linkage_opt.generate"  # meta.json's "generator": a folder it marks may be written over
GENERATOR_VERSION = 1

# --------------------------------------------------------------------------------------------------
# Fixed parameters (mirrored in the config written)
# --------------------------------------------------------------------------------------------------

CENTRE_LAT, CENTRE_LON = 29.40, 103.82
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320 * math.cos(math.radians(CENTRE_LAT))
TOWN_SPACING_KM = 16.0
PERIOD = "2026-12"
MAX_KM = {"social_worker": 12.0, "volunteer": 5.0, "organization": 20.0}
TRAVEL_PER_KM = 0.5
TRAVEL_OVERHEAD_PER_KM = 0.02
VOLUNTEER_COST_PER_HOUR = 0.0
SUPERVISION_K = 8.0
PARTY_MIN_SHARE = 0.2
SAFETY = 1e-3  # certificate: relative capacity margin; radius margin in km below

CATEGORIES: dict[str, dict] = {
    "elderly_care": {"label": "养老服务", "label_en": "Elderly care", "unit": "hours", "weight": 0.22},
    "left_behind_children": {
        "label": "留守儿童关爱",
        "label_en": "Left-behind children",
        "unit": "hours",
        "weight": 0.18,
    },
    "disability_support": {
        "label": "助残服务",
        "label_en": "Disability support",
        "unit": "hours",
        "weight": 0.12,
        "professional": True,
    },
    "mental_health": {
        "label": "心理疏导",
        "label_en": "Mental health support",
        "unit": "hours",
        "weight": 0.10,
        "professional": True,
    },
    "low_income_relief": {
        "label": "困难群众救助",
        "label_en": "Low-income relief",
        "unit": "yuan",
        "weight": 0.20,
        "funds_per_unit": 1,
    },
    "community_environment": {
        "label": "人居环境",
        "label_en": "Community environment",
        "unit": "hours",
        "weight": 0.05,
    },
    "culture": {"label": "文化活动", "label_en": "Cultural activities", "unit": "hours", "weight": 0.05},
    "material_aid": {
        "label": "物资帮扶",
        "label_en": "Material aid",
        "unit": "packages",
        "weight": 0.08,
        "items": {"rice_bag": 1, "cooking_oil": 1},
    },
}
CAT_NAMES = list(CATEGORIES)
SERVICE = [c for c, s in CATEGORIES.items() if "funds_per_unit" not in s and "items" not in s]
PROFESSIONAL = [c for c in SERVICE if CATEGORIES[c].get("professional")]
NON_PROF = [c for c in SERVICE if c not in PROFESSIONAL]
FUNDS_CAT = "low_income_relief"
GOODS_CAT = "material_aid"
ITEMS = ("rice_bag", "cooking_oil")
TIER_ORDER = {"guaranteed": 0, "basic": 1, "improvement": 2}

# Need rows a unit may report: (category, tier, rate per 1,000 residents, chance the unit reports it).
NEED_RATES = {
    "community": [
        ("elderly_care", "guaranteed", 6.0, 0.40),
        ("elderly_care", "basic", 76.0, 1.0),
        ("elderly_care", "improvement", 28.0, 0.6),
        ("left_behind_children", "basic", 27.0, 0.6),
        ("disability_support", "guaranteed", 3.5, 0.15),
        ("disability_support", "basic", 13.0, 0.5),
        ("mental_health", "basic", 22.0, 0.65),
        ("low_income_relief", "guaranteed", 2000.0, 0.5),
        ("low_income_relief", "basic", 6000.0, 1.0),
        ("community_environment", "improvement", 24.0, 0.4),
        ("culture", "improvement", 30.0, 0.6),
        ("material_aid", "basic", 11.0, 0.85),
    ],
    "village": [
        ("elderly_care", "guaranteed", 10.0, 0.40),
        ("elderly_care", "basic", 88.0, 1.0),
        ("left_behind_children", "basic", 98.0, 1.0),
        ("disability_support", "guaranteed", 6.0, 0.15),
        ("disability_support", "basic", 15.0, 0.35),
        ("mental_health", "improvement", 15.0, 0.25),
        ("low_income_relief", "guaranteed", 4000.0, 0.5),
        ("low_income_relief", "basic", 9500.0, 0.85),
        ("community_environment", "basic", 80.0, 0.5),
        ("culture", "improvement", 36.0, 0.35),
        ("material_aid", "basic", 28.0, 0.85),
    ],
}
# Rows dropped first when a unit reports more than 8, added first when it reports fewer than 4.
DROP_ORDER = [
    "culture",
    "community_environment",
    "mental_health",
    "disability_support",
    "left_behind_children",
    "material_aid",
    "elderly_care",
    "low_income_relief",
]
MIN_ROWS, MAX_ROWS = 4, 8
CASE_SHARE = 0.15  # units with an indivisible household case

# Volunteer skill profiles and shares.
VOL_SKILLS = [
    ("general", 0.62),
    ("general;elderly_care", 0.09),
    ("general;left_behind_children", 0.06),
    ("elderly_care", 0.05),
    ("left_behind_children", 0.05),
    ("community_environment", 0.03),
    ("culture", 0.04),
    ("general;disability_support", 0.03),  # e.g. retired nurses: trained, supervised
    ("mental_health", 0.03),
]
VOL_MAX_KM = [(None, 0.80), (2.0, 0.10), (3.0, 0.04), (8.0, 0.06)]

WORKER_SKILL_P = {
    "elderly_care": 0.26,
    "left_behind_children": 0.20,
    "disability_support": 0.20,
    "mental_health": 0.20,
    "community_environment": 0.07,
    "culture": 0.07,
}

# Program templates: name, name_en, category, output, fixed_cost, worker_h, volunteer_h, funds, max_per_unit.
PROGRAM_TEMPLATES = [
    ("老年助餐", "Meals for the elderly", "elderly_care", 60, 1000, 4, 24, 1200, 2),
    ("居家探访", "Home visits", "elderly_care", 40, 400, 6, 16, 200, 3),
    ("邻里守望", "Neighbourhood watch for elders living alone", "elderly_care", 36, 300, 3, 18, 200, 2),
    ("四点半课堂", "After-school 4:30 class", "left_behind_children", 48, 800, 4, 20, 600, 2),
    ("寒假成长营", "Winter-holiday growth camp", "left_behind_children", 40, 1200, 6, 12, 1000, 1),
    ("康复陪伴", "Rehabilitation companionship", "disability_support", 30, 1000, 8, 8, 500, 2),
    ("心理沙龙", "Mental-health salon", "mental_health", 24, 900, 6, 0, 300, 2),
    ("环境整治", "Village clean-up campaign", "community_environment", 60, 300, 2, 30, 400, 2),
    ("文艺汇演", "New Year variety show", "culture", 50, 800, 2, 20, 1500, 1),
    ("长者智慧课堂", "Smartphone class for seniors", "culture", 30, 400, 2, 10, 300, 2),
    ("爱心超市", "Charity supermarket (points for goods)", "material_aid", 30, 0, 2, 6, 2400, 1),
]
# Organization types: name suffix, direct-service skills drawn from, fixed cost range (0 = station).
ORG_TYPES = [
    (
        "社会工作服务中心",
        ["elderly_care", "mental_health", "disability_support", "left_behind_children"],
        (8000, 30000),
    ),
    ("社工服务站", ["elderly_care", "left_behind_children", "community_environment"], (0, 0)),
    ("乡村社会工作服务社", ["elderly_care", "left_behind_children"], (3000, 12000)),
    ("心理健康服务中心", ["mental_health"], (10000, 30000)),
    ("助残服务中心", ["disability_support"], (6000, 20000)),
    ("文化志愿服务协会", ["culture"], (2000, 8000)),
    ("环保公益协会", [], (2000, 8000)),
]
ORG_TYPE_P = [0.30, 0.22, 0.16, 0.08, 0.08, 0.08, 0.08]

FUNDS_DONORS = [
    "区慈善会",
    "市慈善总会",
    "区红十字会",
    "爱心人士（匿名）",
    "农商银行（化名）",
    "盐化有限公司（化名）",
    "物流有限公司（化名）",
    "商会",
]
GOODS_DONORS = ["区慈善会", "粮油有限公司（化名）", "爱心超市联盟（化名）", "商会", "盐化有限公司（化名）"]

NAME_CHARS = list("金石竹桂杨柳新龙凤清白云桥河江山花茶安平和兴福民乐永泰丰华光明东西南北红青双水沙岩林田溪")


# --------------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------------


def generate_classic(
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
    """Write a classic synthetic scenario into ``out_dir`` (``config.yaml``, ``data/*.csv``, ``meta.json``).

    The sizes are taken as given (:func:`linkage_opt.inputs.generate.generate` checks them first). Returns the
    config path. Deterministic: same arguments, same bytes.
    """
    sizes = {
        "units": int(units),
        "volunteers": int(volunteers),
        "workers": int(workers),
        "orgs": int(orgs),
        "lots": int(lots),
    }
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(8)]
    g_units, g_vol, g_work, g_org, g_lot, g_need, g_calib, g_cert = streams

    U = _make_units(g_units, sizes["units"])
    V = _make_volunteers(g_vol, U, sizes["volunteers"])
    W = _make_workers(g_work, U, sizes["workers"], sizes["orgs"])
    O, PR = _make_orgs(g_org, U, sizes["orgs"])
    L = _make_lots(g_lot, U, sizes["lots"])
    N = _make_needs(g_need, U)
    calib = _calibrate(g_calib, U, V, W, O, PR, L, N)
    cert = _Certificate(U, V, W, L)
    N, cert_info = cert.run(N, g_cert)
    budget = _budget(U, W, O, PR, cert.money)

    out = Path(out_dir)
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    _write_tables(data, U, N, V, W, O, PR, L)
    cfg_path = out / "config.yaml"
    name = f"synthetic {preset_name or 'custom'} scenario (seed {seed})"
    cfg_path.write_text(_config_text(name, budget, sizes, seed, preset_name), encoding="utf-8")
    meta = {
        "generator": GENERATOR,
        "generator_version": GENERATOR_VERSION,
        "preset": preset_name,
        "seed": int(seed),
        "sizes": sizes,
        "towns": int(U["town"].nunique()),
        "units_by_kind": {k: int(v) for k, v in U["kind"].value_counts().sort_index().items()},
        "need_rows": int(len(N)),
        "guaranteed_rows": int((N["tier"] == "guaranteed").sum()),
        "indivisible_rows": int(N["indivisible"].sum()),
        "party_member_share": float(V["party_member"].mean()) if len(V) else None,
        "supply_demand": calib,
        "budget": budget,
        "certificate": cert_info,
    }
    (out / "meta.json").write_text(
        json.dumps(_jsonable(meta), indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return cfg_path


# --------------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------------


def _largest_remainder(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    weights = np.asarray(weights, float)
    n = len(weights)
    counts = np.full(n, minimum, np.int64)
    rest = total - minimum * n
    if rest <= 0 or n == 0:
        return counts
    raw = rest * weights / weights.sum()
    fl = np.floor(raw).astype(np.int64)
    counts += fl
    left = int(total - counts.sum())
    order = np.lexsort((np.arange(n), -(raw - fl)))
    counts[order[:left]] += 1
    return counts


def _pair_names(rng: np.random.Generator, n: int, suffix: str) -> list[str]:
    """n distinct two-character names (repeating with a number when there are more than the pairs)."""
    k = len(NAME_CHARS)
    pairs = [a + b for a in NAME_CHARS for b in NAME_CHARS if a != b]
    order = rng.permutation(len(pairs))
    out = []
    for i in range(n):
        base = pairs[order[i % len(pairs)]]
        out.append(f"{base}{'' if i < len(pairs) else i // len(pairs) + 1}{suffix}")
    del k
    return out


def _make_units(rng: np.random.Generator, n_units: int) -> pd.DataFrame:
    n_towns = max(1, int(round(n_units / 15)))
    sizes = _largest_remainder(n_units, rng.uniform(0.7, 1.3, n_towns), minimum=1 if n_units >= n_towns else 0)
    # town centres: the n grid cells nearest the district centre, jittered
    side = int(math.ceil(math.sqrt(n_towns))) + 2
    gx, gy = np.meshgrid(np.arange(side) - (side - 1) / 2, np.arange(side) - (side - 1) / 2)
    gx, gy = gx.ravel(), gy.ravel()
    cell = np.lexsort((np.arctan2(gy, gx), gx**2 + gy**2))[:n_towns]
    cx = gx[cell] * TOWN_SPACING_KM + rng.uniform(-3, 3, n_towns)
    cy = gy[cell] * TOWN_SPACING_KM + rng.uniform(-3, 3, n_towns)
    if n_towns == 1:
        cx[:], cy[:] = 0.0, 0.0
    town_names = _pair_names(rng, n_towns, "镇")
    tw = len(str(n_towns))

    town_of = np.repeat(np.arange(n_towns), sizes)
    n = int(sizes.sum())
    # communities per town: a quarter to 40% of its units (the district seat, town 0, half)
    share = np.where(np.arange(n_towns) == 0, 0.5, rng.uniform(0.25, 0.4, n_towns))
    n_comm = np.clip(np.round(sizes * share), 1, np.maximum(sizes - 1, 1)).astype(np.int64)
    n_comm = np.minimum(n_comm, sizes)
    starts = np.cumsum(sizes) - sizes
    pos_in_town = np.arange(n) - starts[town_of]
    is_comm = pos_in_town < n_comm[town_of]
    # placement: communities 0.2-2.5 km from the centre (the first near it), villages 3-15 km (most nearer)
    r = np.where(is_comm, rng.uniform(0.2, 2.5, n), 3.0 + 12.0 * rng.beta(1.3, 2.6, n))
    r = np.where(is_comm & (pos_in_town == 0), rng.uniform(0.1, 0.5, n), r)
    ang = rng.uniform(0, 2 * np.pi, n)
    x = cx[town_of] + r * np.cos(ang)
    y = cy[town_of] + r * np.sin(ang)
    lat = np.round(CENTRE_LAT + y / KM_PER_DEG_LAT, 5)
    lon = np.round(CENTRE_LON + x / KM_PER_DEG_LON, 5)
    pop = np.where(
        is_comm,
        np.clip(rng.lognormal(np.log(5500), 0.4, n), 2000, 15000),
        np.clip(rng.lognormal(np.log(1500), 0.35, n), 500, 3500),
    )
    pop = (np.round(pop / 10) * 10).astype(np.int64)

    remote = ~is_comm & (r >= 10.0)
    pilot = is_comm & (rng.random(n) < 0.15)
    if is_comm.any() and not pilot.any():
        pilot[np.flatnonzero(is_comm)[0]] = True
    weak = ~is_comm & (rng.random(n) < 0.08)
    tags = [
        ";".join(t for t, on in (("pilot", p), ("remote", rm), ("weak_party_org", w)) if on)
        for p, rm, w in zip(pilot, remote, weak)
    ]
    party_capacity = np.where(is_comm, rng.integers(4, 9, n), rng.integers(2, 5, n))

    ids, names = [], []
    for t in range(n_towns):
        m = int(sizes[t])
        if m == 0:
            continue
        nm = _pair_names(rng, m, "")
        nc = int(n_comm[t])
        for i in range(m):
            if i < nc:
                ids.append(f"T{t + 1:0{tw}d}-C{i + 1:02d}")
                names.append(nm[i] + "社区")
            else:
                ids.append(f"T{t + 1:0{tw}d}-V{i - nc + 1:02d}")
                names.append(nm[i] + "村")
    return pd.DataFrame(
        {
            "unit_id": ids,
            "name": names,
            "town": np.array(town_names, dtype=object)[town_of],
            "kind": np.where(is_comm, "community", "village"),
            "population": pop,
            "lat": lat,
            "lon": lon,
            "tags": tags,
            "party_capacity": party_capacity,
            "_town": town_of,
            "_r": r,
            "_remote": remote,
        }
    )


# --------------------------------------------------------------------------------------------------
# Providers
# --------------------------------------------------------------------------------------------------


def _choice(rng: np.random.Generator, options: list, probs: list[float], n: int) -> np.ndarray:
    p = np.asarray(probs, float)
    return rng.choice(len(options), size=n, p=p / p.sum())


def _make_volunteers(rng: np.random.Generator, U: pd.DataFrame, n: int) -> pd.DataFrame:
    pop = U["population"].to_numpy(float)
    # villages mobilise a larger share of residents (熟人社会)
    w = pop * np.where(U["kind"].to_numpy() == "village", 1.5, 1.0)
    home = np.sort(rng.choice(len(U), size=n, p=w / w.sum())) if n else np.zeros(0, np.int64)
    party = np.zeros(n, bool)
    n_party = int(round(n * rng.uniform(0.22, 0.28)))
    party[rng.permutation(n)[:n_party]] = True
    hours = np.clip(np.round(rng.triangular(4, 8, 20, n) + 1.5 * party), 4, 20)
    skills = np.array([s for s, _ in VOL_SKILLS], dtype=object)[_choice(rng, VOL_SKILLS, [p for _, p in VOL_SKILLS], n)]
    mk = np.array([m if m is not None else np.nan for m, _ in VOL_MAX_KM])[
        _choice(rng, VOL_MAX_KM, [p for _, p in VOL_MAX_KM], n)
    ]
    width = max(5, len(str(n)))
    return pd.DataFrame(
        {
            "volunteer_id": [f"VOL{i + 1:0{width}d}" for i in range(n)],
            "home_unit": U["unit_id"].to_numpy()[home] if n else np.zeros(0, object),
            "hours": hours,
            "skills": skills,
            "party_member": party,
            "max_km": mk,
            "_home": home,
        }
    )


def _make_workers(rng: np.random.Generator, U: pd.DataFrame, n: int, n_orgs: int) -> pd.DataFrame:
    kind = U["kind"].to_numpy()
    town = U["_town"].to_numpy()
    n_towns = int(town.max()) + 1 if len(U) else 0
    # one worker in every town centre first (the town's first unit), the rest by population
    first_units = np.flatnonzero(np.r_[True, town[1:] != town[:-1]])
    k_first = min(n, n_towns)
    w = U["population"].to_numpy(float) * np.where(kind == "community", 2.0, 1.0)
    rest = rng.choice(len(U), size=n - k_first, p=w / w.sum()) if n > k_first else np.zeros(0, np.int64)
    base = np.sort(np.r_[first_units[:k_first], rest]).astype(np.int64)
    part_time = rng.random(n) < 0.2
    hours = np.where(part_time, rng.integers(40, 81, n), rng.integers(100, 161, n)).astype(float)
    general = rng.random(n) < 0.25
    n_sk = rng.integers(1, 4, n)
    cats = list(WORKER_SKILL_P)
    p = np.array([WORKER_SKILL_P[c] for c in cats])
    keys = rng.random((n, len(cats))) ** (1.0 / p)  # weighted sampling without replacement (Efraimidis-Spirakis)
    order = np.argsort(-keys, axis=1, kind="stable")
    skills = []
    prof_skilled = np.zeros(n, bool)
    for i in range(n):
        if general[i]:
            skills.append("general")
            continue
        chosen = sorted(order[i, : n_sk[i]])
        names = [cats[j] for j in chosen]
        prof_skilled[i] = any(c in PROFESSIONAL for c in names)
        skills.append(";".join(names))
    cost = np.round(rng.uniform(40, 65, n) + 15 * prof_skilled)
    max_units = np.where(rng.random(n) < 0.3, rng.integers(2, 6, n), 0).astype(float)
    max_units[max_units == 0] = np.nan
    r = rng.random(n)
    max_km = np.where(r < 0.2, 20.0, np.where(r < 0.3, 8.0, np.nan))  # outreach workers; near-home workers
    has_org = (rng.random(n) < 0.6) & (n_orgs > 0)
    org = np.where(has_org, rng.integers(0, max(n_orgs, 1), n), -1)
    width = max(4, len(str(n)))
    ow = max(3, len(str(n_orgs)))
    return pd.DataFrame(
        {
            "worker_id": [f"SW{i + 1:0{width}d}" for i in range(n)],
            "base_unit": U["unit_id"].to_numpy()[base] if n else np.zeros(0, object),
            "hours": hours,
            "skills": skills,
            "org_id": [f"ORG{o + 1:0{ow}d}" if o >= 0 else "" for o in org],
            "max_units": max_units,
            "cost_per_hour": cost,
            "max_km": max_km,
            "_home": base,
        }
    )


def _make_orgs(rng: np.random.Generator, U: pd.DataFrame, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    kind = U["kind"].to_numpy()
    town = U["_town"].to_numpy()
    w = U["population"].to_numpy(float) * np.where(kind == "community", 3.0, 0.5)
    base = rng.choice(len(U), size=n, p=w / w.sum()) if n else np.zeros(0, np.int64)
    typ = _choice(rng, ORG_TYPES, ORG_TYPE_P, n)
    ow = max(3, len(str(n)))
    org_rows, prog_rows = [], []
    unit_ids = U["unit_id"].to_numpy()
    town_names = U["town"].to_numpy()
    xs, ys = _unit_xy(U)
    pair = _pair_names(rng, n, "")
    for i in range(n):
        suffix, skill_pool, (lo, hi) = ORG_TYPES[typ[i]]
        b = int(base[i])
        if skill_pool:
            k = int(rng.integers(1, len(skill_pool) + 1))
            sk = sorted(rng.choice(len(skill_pool), size=k, replace=False))
            skills = [skill_pool[j] for j in sk]
        else:
            skills = []
        fixed = 0.0 if hi == 0 else float(round(rng.uniform(lo, hi) / 500) * 500)
        capacity = float(rng.integers(40, 151)) if skills else float(rng.integers(10, 41))
        max_km = (
            float(rng.choice([12.0, 15.0, 18.0])) if (suffix == "乡村社会工作服务社" or rng.random() < 0.15) else np.nan
        )
        oid = f"ORG{i + 1:0{ow}d}"
        org_rows.append(
            {
                "org_id": oid,
                "name": f"{town_names[b]}{pair[i]}{suffix}",
                "base_unit": unit_ids[b],
                "capacity": capacity,
                "fixed_cost": fixed,
                "max_km": max_km,
                "skills": ";".join(skills),
            }
        )
        # programs: 2-4, categories of its skills first
        n_prog = int(rng.integers(2, 5))
        own = [t for t in range(len(PROGRAM_TEMPLATES)) if PROGRAM_TEMPLATES[t][2] in skills]
        if suffix == "环保公益协会":
            own = [t for t in range(len(PROGRAM_TEMPLATES)) if PROGRAM_TEMPLATES[t][2] == "community_environment"]
        if suffix == "文化志愿服务协会":
            own = [t for t in range(len(PROGRAM_TEMPLATES)) if PROGRAM_TEMPLATES[t][2] == "culture"]
        others = [t for t in range(len(PROGRAM_TEMPLATES)) if t not in own]
        picks = list(rng.permutation(own))[:n_prog]
        if len(picks) < n_prog:
            picks += list(rng.permutation(others))[: n_prog - len(picks)]
        radius = max_km if np.isfinite(max_km) else MAX_KM["organization"]
        d = np.hypot(xs - xs[b], ys - ys[b])
        same_town = np.flatnonzero((town == town[b]) & (d <= radius - 0.5))
        for t in picks:
            name, name_en, cat, out, fc, wh, vh, funds, mpu = PROGRAM_TEMPLATES[int(t)]
            f = rng.uniform(0.8, 1.25)
            eligible = ""
            if rng.random() < 0.3 and len(same_town) > 1:
                k = int(min(len(same_town), rng.integers(3, 9)))
                eligible = ";".join(unit_ids[np.sort(rng.choice(same_town, size=k, replace=False))])
            prog_rows.append(
                {
                    "program_id": "",
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
    O = pd.DataFrame(org_rows, columns=["org_id", "name", "base_unit", "capacity", "fixed_cost", "max_km", "skills"])
    O["_home"] = np.asarray(base, np.int64)
    PR = pd.DataFrame(
        prog_rows,
        columns=[
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
    )
    pw = max(4, len(str(len(PR))))
    PR["program_id"] = [f"PRG{i + 1:0{pw}d}" for i in range(len(PR))]
    return O, PR


def _make_lots(rng: np.random.Generator, U: pd.DataFrame, n: int) -> pd.DataFrame:
    towns = U["town"].to_numpy()
    town_list = list(dict.fromkeys(towns))
    unit_ids = U["unit_id"].to_numpy()
    funds = rng.random(n) < 0.55
    item = np.where(rng.random(n) < 0.5, ITEMS[0], ITEMS[1])
    q_funds = np.clip(np.round(rng.lognormal(np.log(8000), 0.7, n) / 500) * 500, 1000, 50000)
    q_goods = np.where(item == "rice_bag", rng.integers(20, 71, n), rng.integers(15, 51, n)).astype(float)
    cat_r = rng.random(n)
    category = np.where(
        funds & (cat_r < 0.45),
        FUNDS_CAT,
        np.where(funds & (cat_r < 0.50), "elderly_care", np.where(funds & (cat_r < 0.55), "left_behind_children", "")),
    )
    where_r = rng.random(n)
    unit_pick = rng.integers(0, len(U), n)
    town_pick = rng.integers(0, len(town_list), n)
    unit_em = np.where(where_r < 0.05, unit_ids[unit_pick], "")
    town_em = np.where(
        (where_r >= 0.05) & (where_r < (0.20 if len(town_list) > 1 else 0.05)),
        np.array(town_list, dtype=object)[town_pick],
        "",
    )
    unit_em = np.where(unit_em != "", unit_em, "")
    q = np.where(funds, q_funds, q_goods)
    q = np.where((unit_em != "") & funds, np.minimum(q, 8000.0), q)
    q = np.where((unit_em != "") & ~funds, np.minimum(q, 20.0), q)
    exp_r = rng.random(n)
    expires = np.select(
        [exp_r < 0.15, exp_r < 0.25, exp_r < 0.35, exp_r < 0.42],
        ["2026-12-31", "2027-01-31", "2027-03-31", "2027-06-30"],
        "",
    )
    fd = np.array(FUNDS_DONORS, dtype=object)[rng.integers(0, len(FUNDS_DONORS), n)]
    gd = np.array(GOODS_DONORS, dtype=object)[rng.integers(0, len(GOODS_DONORS), n)]
    donor = np.where(funds, fd, gd)
    # town chambers of commerce give to their own town
    donor = np.where(donor == "商会", np.array([towns[u] for u in unit_pick], dtype=object) + "商会", donor)
    width = max(4, len(str(n)))
    return pd.DataFrame(
        {
            "lot_id": [f"LOT{i + 1:0{width}d}" for i in range(n)],
            "donor": donor,
            "kind": np.where(funds, "funds", "goods"),
            "quantity": q,
            "item": np.where(funds, "", item),
            "category": category,
            "town": town_em,
            "unit_id": unit_em,
            "expires": expires,
        }
    )


# --------------------------------------------------------------------------------------------------
# Needs and calibration
# --------------------------------------------------------------------------------------------------


def _round_q(cat: str, q: np.ndarray) -> np.ndarray:
    unit = CATEGORIES[cat]["unit"]
    if unit == "yuan":
        return np.maximum(500.0, np.round(q / 100.0) * 100.0)
    return np.maximum(2.0, np.round(q))


def _make_needs(rng: np.random.Generator, U: pd.DataFrame) -> pd.DataFrame:
    """Rows with raw quantities (rates x population); scaled to supply in :func:`_calibrate`."""
    rows_u, rows_c, rows_t, rows_q, rows_ind = [], [], [], [], []
    kinds = U["kind"].to_numpy()
    pops = U["population"].to_numpy(float)
    remote = U["_remote"].to_numpy()
    n = len(U)
    case = rng.random(n) < CASE_SHARE
    case_cat = np.where(rng.random(n) < 0.5, "mental_health", "disability_support")
    case_tier = np.where(rng.random(n) < 0.3, "guaranteed", "basic")
    case_q = rng.integers(6, 21, n).astype(float)
    for u in range(n):
        spec = NEED_RATES[kinds[u]]
        draws = rng.random(len(spec))
        factors = rng.uniform(0.8, 1.25, len(spec))
        picked = [i for i in range(len(spec)) if draws[i] < spec[i][3]]
        limit = MAX_ROWS - int(case[u])
        while len(picked) > limit:
            droppable = [i for i in picked if spec[i][1] != "guaranteed"]
            droppable.sort(key=lambda i: (DROP_ORDER.index(spec[i][0]), spec[i][1] != "improvement"))
            picked.remove(droppable[0])
        if len(picked) + int(case[u]) < MIN_ROWS:
            missing = [i for i in range(len(spec)) if i not in picked and spec[i][1] != "guaranteed"]
            missing.sort(key=lambda i: -DROP_ORDER.index(spec[i][0]))
            picked = sorted(picked + missing[: MIN_ROWS - len(picked) - int(case[u])])
        for i in picked:
            cat, tier, rate, _ = spec[i]
            q = rate * pops[u] / 1000.0 * factors[i]
            if remote[u] and cat in ("elderly_care", "left_behind_children"):
                q *= 1.15  # scattered households: more travel-intensive care per person
            rows_u.append(u)
            rows_c.append(cat)
            rows_t.append(tier)
            rows_q.append(q)
            rows_ind.append(False)
        if case[u]:
            rows_u.append(u)
            rows_c.append(str(case_cat[u]))
            rows_t.append(str(case_tier[u]))
            rows_q.append(float(case_q[u]))
            rows_ind.append(True)
    N = pd.DataFrame({"u": rows_u, "category": rows_c, "tier": rows_t, "q": rows_q, "indivisible": rows_ind})
    N["_cat"] = N["category"].map({c: i for i, c in enumerate(CAT_NAMES)})
    N["_tier"] = N["tier"].map(TIER_ORDER)
    N = N.sort_values(["u", "_cat", "_tier", "indivisible"], kind="stable").reset_index(drop=True)
    uid = U["unit_id"].to_numpy()[N["u"].to_numpy()]
    base = pd.Series(uid, dtype=object) + "/" + N["category"] + "/" + N["tier"]
    N["need_id"] = np.where(N["indivisible"], base + "/case", base)
    N["unit_id"] = uid
    return N.drop(columns=["_cat", "_tier"])


def _calibrate(rng: np.random.Generator, U, V, W, O, PR, L, N) -> dict:
    """Scale need quantities so that estimated supply is ~80-88% of demand in hours, yuan and packages."""
    ratio = {
        "hours": float(rng.uniform(0.78, 0.86)),
        "yuan": float(rng.uniform(0.80, 0.88)),
        "packages": float(rng.uniform(0.80, 0.88)),
    }
    people_h = float(V["hours"].sum() + W["hours"].sum())
    org_cap = float(O["capacity"].sum())
    pcap = float(U["party_capacity"].sum())
    instances = 0.9 * min(pcap, 0.8 * org_cap) if len(PR) else 0.0
    gain = float((PR["output_per_instance"] - PR["worker_hours"] - PR["volunteer_hours"]).mean()) if len(PR) else 0.0
    supply = {
        # people's hours less travel overhead, plus what programs add over their inputs, plus direct org service
        "hours": people_h / (1 + TRAVEL_OVERHEAD_PER_KM * 2) + instances * max(gain, 0.0) + 0.2 * org_cap,
        "yuan": float(L.loc[(L["kind"] == "funds") & L["category"].isin(["", FUNDS_CAT]), "quantity"].sum()) * 0.85,
        "packages": float(L.loc[L["kind"] == "goods", "quantity"].sum()),
    }
    out = {}
    unit_of = N["category"].map(lambda c: CATEGORIES[c]["unit"]).to_numpy()
    q = N["q"].to_numpy(float).copy()
    scalable = ~N["indivisible"].to_numpy()
    for fam in ("hours", "yuan", "packages"):
        sel = (unit_of == fam) & scalable
        fixed = float(q[(unit_of == fam) & ~scalable].sum())
        raw = float(q[sel].sum())
        target = supply[fam] / ratio[fam]
        if raw > 0 and supply[fam] > 0:
            q[sel] *= max(target - fixed, 0.1 * target) / raw
        elif raw > 0:
            q[sel] *= 0.0 if fam != "hours" else 1.0  # nothing supplies this family: keep hours raw, others tiny
        out[fam] = {"supply_estimate": round(supply[fam], 1), "target_supply_over_demand": round(ratio[fam], 4)}
    cats = N["category"].to_numpy()
    for c in CAT_NAMES:
        m = cats == c
        q[m] = _round_q(c, q[m])
    N["q"] = q
    for fam in out:
        dem = float(q[unit_of == fam].sum())
        out[fam]["demand"] = dem
        out[fam]["supply_over_demand"] = round(supply[fam] / dem, 4) if dem > 0 else None
    return out


def _budget(U, W, O, PR, cert_money: float) -> float:
    """District budget: 90% of a rough estimate of what an unlimited plan spends (every paid worker hour,
    every contract, programs up to the party branches' capacity), so that it binds a little; never below
    twice the certificate's cost, so that the guarantees stay affordable."""
    workers = float((W["hours"] * W["cost_per_hour"]).sum())
    contracts = float(O["fixed_cost"].sum())
    instances = min(float(U["party_capacity"].sum()), 0.8 * float(O["capacity"].sum())) if len(PR) else 0.0
    programs = instances * float((PR["fixed_cost"] + PR["funds"]).mean()) if len(PR) else 0.0
    est = workers + contracts + programs
    return float(math.ceil(max(0.9 * est, 2.0 * cert_money + 1000.0) / 500.0) * 500.0)


# --------------------------------------------------------------------------------------------------
# Feasibility certificate
# --------------------------------------------------------------------------------------------------


def _unit_xy(U: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Unit coordinates exactly as the loader will compute them (from the lat/lon text written)."""
    lat = np.array([float(_fmt_coord(v)) for v in U["lat"].to_numpy(float)])
    lon = np.array([float(_fmt_coord(v)) for v in U["lon"].to_numpy(float)])
    return planar_coordinates(lat, lon)


class _Certificate:
    """Serve every guarantee with eligible providers in reach, honouring every rule the model has.

    Volunteers serve non-professional service categories (party members first, others only as far as
    the party-share rule allows in the served unit); social workers serve any category in their skills
    (professional ones only by workers, so the supervision rule holds with no volunteer hours); funds
    and goods lots serve relief and material aid within their earmarks; a household case goes whole to
    one worker. Travel overhead, ``max_units`` and radii are as in the model (radii with a margin).
    """

    def __init__(self, U, V, W, L):
        self.U = U
        self.ux, self.uy = _unit_xy(U)
        self.town = U["town"].to_numpy()
        self.uid = U["unit_id"].to_numpy()
        self.n_units = len(U)
        # volunteers (sorted by home)
        self.v_home = V["_home"].to_numpy(np.int64)
        self.v_cap = V["hours"].to_numpy(float).copy()
        self.v_rad = V["max_km"].fillna(MAX_KM["volunteer"]).to_numpy(float)
        self.v_party = V["party_member"].to_numpy(bool)
        vs = [tuple(s.split(";")) for s in V["skills"]]
        self.v_can = {c: np.array([(c in s) or ("general" in s and c in NON_PROF) for s in vs], bool) for c in NON_PROF}
        self.v_start = np.searchsorted(self.v_home, np.arange(self.n_units + 1))
        self.v_maxrad = float(self.v_rad.max()) if len(self.v_rad) else 0.0
        # workers
        self.w_home = W["_home"].to_numpy(np.int64)
        self.w_cap = W["hours"].to_numpy(float).copy()
        self.w_rad = W["max_km"].fillna(MAX_KM["social_worker"]).to_numpy(float)
        self.w_rate = W["cost_per_hour"].to_numpy(float)
        self.w_max = W["max_units"].to_numpy(float)
        ws = [tuple(s.split(";")) for s in W["skills"]]
        self.w_can = {c: np.array([(c in s) or ("general" in s) for s in ws], bool) for c in SERVICE}
        self.w_served: list[set[int]] = [set() for _ in range(len(W))]
        # lots
        self.l_cap = L["quantity"].to_numpy(float).copy()
        self.l_kind = L["kind"].to_numpy()
        self.l_item = L["item"].to_numpy()
        self.l_cat = L["category"].to_numpy()
        self.l_town = L["town"].to_numpy()
        self.l_unit = L["unit_id"].to_numpy()
        # rules
        self.party_h = np.zeros(self.n_units)
        self.other_h = np.zeros(self.n_units)
        self.money = 0.0

    # -- candidates ------------------------------------------------------------------------------
    def _dist(self, homes: np.ndarray, u: int) -> np.ndarray:
        return np.hypot(self.ux[homes] - self.ux[u], self.uy[homes] - self.uy[u])

    def _volunteers(self, u: int, cat: str) -> tuple[np.ndarray, np.ndarray]:
        if cat not in self.v_can or not len(self.v_home):
            return np.zeros(0, np.int64), np.zeros(0)
        du = np.hypot(self.ux - self.ux[u], self.uy - self.uy[u])
        homes = np.flatnonzero(du <= self.v_maxrad)
        idx = (
            np.concatenate([np.arange(self.v_start[h], self.v_start[h + 1]) for h in homes])
            if len(homes)
            else np.zeros(0, np.int64)
        )
        idx = idx.astype(np.int64)
        d = du[self.v_home[idx]]
        ok = (d <= self.v_rad[idx] - 0.01) & self.v_can[cat][idx] & (self.v_cap[idx] > 1e-9)
        idx, d = idx[ok], d[ok]
        o = np.lexsort((idx, d))
        return idx[o], d[o]

    def _workers(self, u: int, cat: str) -> tuple[np.ndarray, np.ndarray]:
        if not len(self.w_home):
            return np.zeros(0, np.int64), np.zeros(0)
        d = self._dist(self.w_home, u)
        ok = (d <= self.w_rad - 0.01) & self.w_can[cat] & (self.w_cap > 1e-9)
        idx = np.flatnonzero(ok)
        keep = [
            i
            for i in idx
            if not np.isfinite(self.w_max[i]) or u in self.w_served[i] or len(self.w_served[i]) < self.w_max[i]
        ]
        idx = np.array(keep, np.int64)
        d = d[idx]
        o = np.lexsort((idx, d))
        return idx[o], d[o]

    def _lots(self, u: int, cat: str) -> np.ndarray:
        if not len(self.l_cap):
            return np.zeros(0, np.int64)
        if cat == FUNDS_CAT:
            ok = (self.l_kind == "funds") & np.isin(self.l_cat, ["", FUNDS_CAT])
        else:
            ok = (self.l_kind == "goods") & np.isin(self.l_item, list(ITEMS)) & (self.l_cat == "")
        ok &= ((self.l_town == "") | (self.l_town == self.town[u])) & (
            (self.l_unit == "") | (self.l_unit == self.uid[u])
        )
        ok &= self.l_cap > 1e-9
        idx = np.flatnonzero(ok)
        # the most restricted lots first: unit earmarks, then town, then category
        rank = np.where(
            self.l_unit[idx] != "", 0, np.where(self.l_town[idx] != "", 1, np.where(self.l_cat[idx] != "", 2, 3))
        )
        return idx[np.lexsort((idx, rank))]

    # -- allocation --------------------------------------------------------------------------------
    @staticmethod
    def _take(avail: np.ndarray, need: float) -> np.ndarray:
        before = np.cumsum(avail) - avail
        return np.clip(need - before, 0.0, avail)

    def available(self, u: int, cat: str) -> float:
        """What the certificate could still give need (u, cat), in units of need."""
        total = 0.0
        if cat in self.v_can:
            vi, vd = self._volunteers(u, cat)
            load = (1 + TRAVEL_OVERHEAD_PER_KM * vd) * (1 + SAFETY)
            a = self.v_cap[vi] / load
            party = float(a[self.v_party[vi]].sum())
            allow = max(
                0.0,
                (self.party_h[u] + party) * (1 - PARTY_MIN_SHARE) / PARTY_MIN_SHARE * (1 - SAFETY) - self.other_h[u],
            )
            total += party + min(float(a[~self.v_party[vi]].sum()), allow)
        wi, wd = self._workers(u, cat)
        total += float((self.w_cap[wi] / ((1 + TRAVEL_OVERHEAD_PER_KM * wd) * (1 + SAFETY))).sum())
        return total

    def serve(self, u: int, cat: str, q: float) -> float:
        """Serve up to q of a divisible need; return the amount served."""
        left = q
        if cat in (FUNDS_CAT, GOODS_CAT):
            li = self._lots(u, cat)
            t = self._take(self.l_cap[li], left)
            self.l_cap[li] -= t
            return float(t.sum())
        if cat in self.v_can:
            vi, vd = self._volunteers(u, cat)
            load = (1 + TRAVEL_OVERHEAD_PER_KM * vd) * (1 + SAFETY)
            for party in (True, False):
                if left <= 1e-9:
                    break
                sel = self.v_party[vi] == party
                idx, ld, dd = vi[sel], load[sel], vd[sel]
                avail = self.v_cap[idx] / ld
                if not party:
                    allow = max(
                        0.0, self.party_h[u] * (1 - PARTY_MIN_SHARE) / PARTY_MIN_SHARE * (1 - SAFETY) - self.other_h[u]
                    )
                    lim = min(left, allow)
                else:
                    lim = left
                t = self._take(avail, lim)
                self.v_cap[idx] -= t * ld
                self.money += float((t * (VOLUNTEER_COST_PER_HOUR * ld + TRAVEL_PER_KM * dd)).sum())
                got = float(t.sum())
                if party:
                    self.party_h[u] += got
                else:
                    self.other_h[u] += got
                left -= got
        if left > 1e-9:
            wi, wd = self._workers(u, cat)
            ld = (1 + TRAVEL_OVERHEAD_PER_KM * wd) * (1 + SAFETY)
            t = self._take(self.w_cap[wi] / ld, left)
            used = t > 0
            self.w_cap[wi] -= t * ld
            self.money += float((t * (self.w_rate[wi] * ld + TRAVEL_PER_KM * wd)).sum()) * (1 + SAFETY)
            for i in wi[used]:
                self.w_served[int(i)].add(u)
            left -= float(t.sum())
        return q - max(left, 0.0)

    def serve_case(self, u: int, cat: str, q: float) -> bool:
        wi, wd = self._workers(u, cat)
        ld = (1 + TRAVEL_OVERHEAD_PER_KM * wd) * (1 + SAFETY)
        ok = np.flatnonzero(self.w_cap[wi] >= ld * q)
        if not len(ok):
            return False
        j = ok[0]
        i = int(wi[j])
        self.w_cap[i] -= ld[j] * q
        self.money += q * (self.w_rate[i] * ld[j] + TRAVEL_PER_KM * wd[j]) * (1 + SAFETY)
        self.w_served[i].add(u)
        return True

    def run(self, N: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
        """Serve every guarantee (shrinking those it cannot), then add a few tight ones; returns the needs."""
        g = np.flatnonzero(N["tier"].to_numpy() == "guaranteed")
        ind = N["indivisible"].to_numpy()
        order = np.r_[g[ind[g]], g[~ind[g]]]
        shrunk, demoted = [], []
        for n in order:
            u, cat, q = int(N.at[n, "u"]), N.at[n, "category"], float(N.at[n, "q"])
            if ind[n]:
                if not self.serve_case(u, cat, q):
                    N.at[n, "tier"] = "basic"
                    demoted.append(N.at[n, "need_id"])
                continue
            got = self.serve(u, cat, q)
            if got < q - 1e-9:
                new_q = float(_round_q(cat, np.array([got * 0.999]))[0]) if got > 0 else 0.0
                if new_q > got or new_q <= 0:
                    N.at[n, "tier"] = "basic"
                    demoted.append(N.at[n, "need_id"])
                else:
                    N.at[n, "q"] = new_q
                    shrunk.append({"need_id": N.at[n, "need_id"], "from": q, "to": new_q})
        N, tight = self._tighten(N, rng)
        ind = N["indivisible"].to_numpy()
        # need ids carry the tier: rename demoted rows (a basic row of that category may exist already)
        if demoted:
            ids = N["need_id"].to_numpy(object)
            taken = set(ids)
            for n in np.flatnonzero(np.isin(ids, demoted)):
                base = f"{N.at[n, 'unit_id']}/{N.at[n, 'category']}/basic" + ("/case" if ind[n] else "")
                new = base if base not in taken else base + "/2"
                taken.add(new)
                N.at[n, "need_id"] = new
        return N, {
            "money": round(self.money, 2),
            "guaranteed_rows_served": int((N["tier"] == "guaranteed").sum()),
            "guarantees_shrunk": shrunk,
            "guarantees_made_basic": demoted,
            "tight_guarantees": tight,
        }

    def _tighten(self, N: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, list[dict]]:
        """Add a few guaranteed home-care cases (居家照护个案, indivisible disability support) sized to
        nearly all the hours the best-placed worker in reach has left, above the second best's where it
        can be: one specific worker must carry the case for the plan to exist."""
        n_guar = int((N["tier"] == "guaranteed").sum())
        k = max(1, int(round(0.03 * n_guar)))
        rows_per_unit = np.bincount(N["u"].to_numpy(np.int64), minlength=self.n_units)
        has_case = np.zeros(self.n_units, bool)
        has_case[N.loc[N["indivisible"], "u"].to_numpy(np.int64)] = True
        kind_rank = np.where(self.U["_remote"].to_numpy(), 0, np.where(self.U["kind"].to_numpy() == "village", 1, 2))
        shuffle = rng.permutation(self.n_units)
        order = shuffle[np.argsort(kind_rank[shuffle], kind="stable")]
        cat = "disability_support"
        added, out = [], []
        for u in order:
            if len(out) >= k:
                break
            if has_case[u] or rows_per_unit[u] >= MAX_ROWS:
                continue
            wi, wd = self._workers(int(u), cat)
            if not len(wi):
                continue
            ld = (1 + TRAVEL_OVERHEAD_PER_KM * wd) * (1 + SAFETY)
            room = np.sort(self.w_cap[wi] / ld)[::-1]
            top = float(room[0])
            second = float(room[1]) if len(room) > 1 else 0.0
            if top < 40.0:
                continue
            q = float(np.floor(min(0.97 * top, 150.0, max(second + 1.0, 0.9 * top))))
            if not self.serve_case(int(u), cat, q):
                continue
            uid = self.uid[u]
            added.append(
                {
                    "u": int(u),
                    "category": cat,
                    "tier": "guaranteed",
                    "q": q,
                    "indivisible": True,
                    "need_id": f"{uid}/{cat}/guaranteed/case",
                    "unit_id": uid,
                }
            )
            out.append(
                {
                    "need_id": f"{uid}/{cat}/guaranteed/case",
                    "quantity": q,
                    "best_worker_hours_left_before": round(top, 1),
                    "second_best_hours_left": round(second, 1),
                    "workers_able_to_carry_it": int((room >= q).sum()),
                }
            )
        if added:
            N = pd.concat([N, pd.DataFrame(added)], ignore_index=True)
            N["_cat"] = N["category"].map({c: i for i, c in enumerate(CAT_NAMES)})
            N["_tier"] = N["tier"].map(TIER_ORDER)
            N = (
                N.sort_values(["u", "_cat", "_tier", "indivisible"], kind="stable")
                .drop(columns=["_cat", "_tier"])
                .reset_index(drop=True)
            )
        return N, out


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def _fmt_coord(v: float) -> str:
    return f"{v:.5f}"


def _fmt_num(v) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return ""
    v = float(v)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(round(v, 6))


def _num_col(values) -> list[str]:
    return [_fmt_num(v) for v in np.asarray(values, float)]


def _bool_col(values) -> list[str]:
    return ["true" if v else "false" for v in values]


def _write_csv(path: Path, columns: dict[str, list]) -> None:
    frame = pd.DataFrame({k: pd.Series(list(v), dtype=object) for k, v in columns.items()})
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _write_tables(folder: Path, U, N, V, W, O, PR, L) -> None:
    _write_csv(
        folder / "units.csv",
        {
            "unit_id": U["unit_id"],
            "name": U["name"],
            "town": U["town"],
            "kind": U["kind"],
            "population": _num_col(U["population"]),
            "lat": [_fmt_coord(v) for v in U["lat"]],
            "lon": [_fmt_coord(v) for v in U["lon"]],
            "tags": U["tags"],
            "party_capacity": _num_col(U["party_capacity"]),
        },
    )
    _write_csv(
        folder / "needs.csv",
        {
            "need_id": N["need_id"],
            "unit_id": N["unit_id"],
            "category": N["category"],
            "quantity": _num_col(N["q"]),
            "tier": N["tier"],
            "indivisible": _bool_col(N["indivisible"]),
        },
    )
    _write_csv(
        folder / "volunteers.csv",
        {
            "volunteer_id": V["volunteer_id"],
            "home_unit": V["home_unit"],
            "hours": _num_col(V["hours"]),
            "skills": V["skills"],
            "party_member": _bool_col(V["party_member"]),
            "max_km": _num_col(V["max_km"]),
        },
    )
    _write_csv(
        folder / "social_workers.csv",
        {
            "worker_id": W["worker_id"],
            "base_unit": W["base_unit"],
            "hours": _num_col(W["hours"]),
            "skills": W["skills"],
            "org_id": W["org_id"],
            "max_units": _num_col(W["max_units"]),
            "cost_per_hour": _num_col(W["cost_per_hour"]),
            "max_km": _num_col(W["max_km"]),
        },
    )
    _write_csv(
        folder / "organizations.csv",
        {
            "org_id": O["org_id"],
            "name": O["name"],
            "base_unit": O["base_unit"],
            "capacity": _num_col(O["capacity"]),
            "fixed_cost": _num_col(O["fixed_cost"]),
            "max_km": _num_col(O["max_km"]),
            "skills": O["skills"],
        },
    )
    _write_csv(
        folder / "programs.csv",
        {
            "program_id": PR["program_id"],
            "name": PR["name"],
            "name_en": PR["name_en"],
            "org_id": PR["org_id"],
            "category": PR["category"],
            "output_per_instance": _num_col(PR["output_per_instance"]),
            "fixed_cost": _num_col(PR["fixed_cost"]),
            "worker_hours": _num_col(PR["worker_hours"]),
            "volunteer_hours": _num_col(PR["volunteer_hours"]),
            "funds": _num_col(PR["funds"]),
            "max_per_unit": _num_col(PR["max_per_unit"]),
            "eligible_units": PR["eligible_units"],
        },
    )
    _write_csv(
        folder / "charity.csv",
        {
            "lot_id": L["lot_id"],
            "donor": L["donor"],
            "kind": L["kind"],
            "quantity": _num_col(L["quantity"]),
            "item": L["item"],
            "category": L["category"],
            "town": L["town"],
            "unit_id": L["unit_id"],
            "expires": L["expires"],
        },
    )


def _config_text(name: str, budget: float, sizes: dict, seed: int, preset: str | None) -> str:
    cfg = {
        "name": name,
        "period": PERIOD,
        "data": "data",
        "categories": {c: dict(spec) for c, spec in CATEGORIES.items()},
        "tag_multipliers": {"pilot": 1.1, "weak_party_org": 1.3, "remote": 1.2},
        "tier_multipliers": {"guaranteed": 3.0, "basic": 1.0, "improvement": 0.4},
        "reach": {"max_km": dict(MAX_KM)},
        "costs": {
            "travel_per_km": TRAVEL_PER_KM,
            "travel_overhead_per_km": TRAVEL_OVERHEAD_PER_KM,
            "volunteer_cost_per_hour": VOLUNTEER_COST_PER_HOUR,
        },
        "rules": {
            "supervision": {"enabled": True, "volunteer_hours_per_worker_hour": SUPERVISION_K},
            "party_share": {"enabled": True, "min_share": PARTY_MIN_SHARE},
            "party_capacity": {"enabled": True},
            "budget": {"enabled": True, "amount": budget},
            "expiry": {"enabled": True, "horizon_days": 31},
        },
        "objective": {"mode": "lexicographic", "order": ["coverage", "equity", "cost"]},
        "equity": {"mode": "maxmin"},
        "solver": {"backend": "highs", "time_limit": 600, "mip_gap": 0.001, "seed": 0},
    }
    head = (
        f"# SYNTHETIC scenario written by `{GENERATOR}` (preset: {preset or 'custom'}, seed {seed}).\n"
        f"# Sizes: {sizes['units']} units, {sizes['volunteers']} volunteers, {sizes['workers']} social workers,\n"
        f"# {sizes['orgs']} organizations, {sizes['lots']} charity lots. Everything is invented; see meta.json for\n"
        "# supply against demand and the feasibility certificate. Regenerate rather than edit.\n"
    )
    return head + yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False, width=120)


def _jsonable(o):
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating, float)):
        v = float(o)
        return round(v, 6) if np.isfinite(v) else None
    if isinstance(o, np.bool_):
        return bool(o)
    return o
