#!/usr/bin/env python3
"""Generate the bundled Zhugen Town (竹根镇) sample scenario -- SYNTHETIC data, reproducibly.

    python data/make_zhugen.py            # writes data/zhugen/*.csv, data/zhugen.xlsx, configs/zhugen*.yaml
    python data/make_zhugen.py --check    # ... and prints the supply/demand and feasibility-margin report

Everything is fictional but modelled on the five-community linkage (五社联动) pilot in Zhugen Town,
Wutongqiao District (五通桥区), Leshan, Sichuan: four pilot urban communities around the town centre
plus surrounding villages, two of them in neighbouring Jinshan Town (金山镇). Names of communities,
villages, organizations and donors are invented; no row describes a real person or household.

The script is deterministic: the same seed gives byte-identical CSVs, workbook and configs.
Only the standard library, numpy and openpyxl are used.

Design targets (``--check`` prints the arithmetic; the script refuses to write files that miss them):

* every guaranteed need can be met with a comfortable margin: for each guaranteed row, the hours
  (or yuan) of eligible providers in reach exceed the guaranteed demand competing for those same
  providers by at least 50%;
* overall supply is SHORT of demand, so that party-led priorities matter: even the pooled upper
  bound of supply stays below the basic + improvement demand left after guaranteed needs. The solved
  plan covers about 80% of basic + improvement hours and relief yuan and about 73% of material-aid
  packages (see data/zhugen/README.md).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import math
import re
import sys
import zipfile
from pathlib import Path

import numpy as np

SEED = 20261201
ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data" / "zhugen"
XLSX = ROOT / "data" / "zhugen.xlsx"
CONFIG = ROOT / "configs" / "zhugen.yaml"
CONFIG_XLSX = ROOT / "configs" / "zhugen_xlsx.yaml"

# Town centre of Zhugen (approximate); units are placed by km offsets (east, north) from it.
CENTRE_LAT, CENTRE_LON = 29.400, 103.820
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320 * math.cos(math.radians(CENTRE_LAT))

# District budget (yuan) for December 2026. Chosen so that it binds a little: with an unlimited
# budget the plan spends about 182,000 yuan (paid social-worker hours, travel, contract fees, program
# instances); at 162,500 weighted coverage drops by under 1% and two small contracts are left out
# (see data/zhugen/README.md). Budgets that bind make the MIP harder: at this value HiGHS proves
# optimality in roughly 10-25 s on 2 cores, while some nearby values took up to ~50 s in our trials.
BUDGET = 162_500

# Config parameters used both in the YAML and in the feasibility check below.
MAX_KM = {"social_worker": 15.0, "volunteer": 4.0, "organization": 25.0}
TRAVEL_OVERHEAD_PER_KM = 0.02
PARTY_MIN_SHARE = 0.2

# --------------------------------------------------------------------------------------------------
# Categories (mirrors the config; the config text below is the commented, user-facing version)
# --------------------------------------------------------------------------------------------------
CATEGORIES = {
    # name: (label, label_en, unit, weight, professional, kind)  kind: service | funds | goods
    "elderly_care": ("养老服务", "Elderly care", "hours", 0.22, False, "service"),
    "left_behind_children": ("留守儿童关爱", "Left-behind children", "hours", 0.18, False, "service"),
    "disability_support": ("助残服务", "Disability support", "hours", 0.12, True, "service"),
    "mental_health": ("心理疏导", "Mental health support", "hours", 0.10, True, "service"),
    "low_income_relief": ("困难群众救助", "Low-income relief", "yuan", 0.20, False, "funds"),
    "community_environment": ("人居环境", "Community environment", "hours", 0.05, False, "service"),
    "culture": ("文化活动", "Cultural activities", "hours", 0.05, False, "service"),
    "material_aid": ("物资帮扶", "Material aid", "packages", 0.08, False, "goods"),
}
ITEMS = {"material_aid": {"rice_bag": 1, "cooking_oil": 1}}
assert abs(sum(c[3] for c in CATEGORIES.values()) - 1.0) < 1e-9

# --------------------------------------------------------------------------------------------------
# Units: 4 pilot communities near the centre, 7 villages of Zhugen, 2 villages of Jinshan Town
# --------------------------------------------------------------------------------------------------
# unit_id, name, name_en, town, kind, population, east_km, north_km, tags, party_capacity
UNITS = [
    ("ZG-C01", "新华社区", "Xinhua Shequ", "竹根镇", "community", 8200, 0.3, 0.5, "pilot", 6),
    ("ZG-C02", "光明社区", "Guangming Shequ", "竹根镇", "community", 6300, -1.2, 0.8, "pilot", 5),
    ("ZG-C03", "沿河社区", "Yanhe Shequ", "竹根镇", "community", 5400, 1.1, -0.9, "pilot", 5),
    ("ZG-C04", "桥滩社区", "Qiaotan Shequ", "竹根镇", "community", 3600, -0.6, -1.5, "pilot", 4),
    ("ZG-V01", "团结村", "Tuanjie Cun", "竹根镇", "village", 2300, 3.2, 1.5, "", 4),
    ("ZG-V02", "新建村", "Xinjian Cun", "竹根镇", "village", 1900, -3.0, 2.6, "", 3),
    ("ZG-V03", "杨柳村", "Yangliu Cun", "竹根镇", "village", 2100, 2.0, -3.8, "", 3),
    ("ZG-V04", "茶花村", "Chahua Cun", "竹根镇", "village", 1500, -4.2, -2.3, "weak_party_org", 3),
    ("ZG-V05", "石桥村", "Shiqiao Cun", "竹根镇", "village", 1300, 6.2, 3.6, "remote", 2),
    ("ZG-V06", "双龙村", "Shuanglong Cun", "竹根镇", "village", 1100, -7.2, 5.0, "remote;weak_party_org", 2),
    ("ZG-V07", "红岩村", "Hongyan Cun", "竹根镇", "village", 900, 1.5, -9.5, "remote", 2),
    ("JS-V08", "金星村", "Jinxing Cun", "金山镇", "village", 1700, 9.5, -5.5, "remote", 3),
    ("JS-V09", "桂花村", "Guihua Cun", "金山镇", "village", 1250, 11.0, -3.0, "remote", 2),
]
UNIT_IDS = [u[0] for u in UNITS]
POS = {u[0]: (u[6], u[7]) for u in UNITS}
TOWN = {u[0]: u[3] for u in UNITS}
KIND = {u[0]: u[4] for u in UNITS}
POP = {u[0]: u[5] for u in UNITS}
TAGS = {u[0]: [t for t in u[8].split(";") if t] for u in UNITS}


def dist(a: str, b: str) -> float:
    (x1, y1), (x2, y2) = POS[a], POS[b]
    return math.hypot(x1 - x2, y1 - y2)


def latlon(uid: str) -> tuple[float, float]:
    x, y = POS[uid]
    return round(CENTRE_LAT + y / KM_PER_DEG_LAT, 5), round(CENTRE_LON + x / KM_PER_DEG_LON, 5)


# --------------------------------------------------------------------------------------------------
# Needs
# --------------------------------------------------------------------------------------------------
# Rates per 1,000 residents per month (hours, yuan or packages), by unit kind, for each (category, tier)
# row a unit may have; `p` is the chance that a unit reports the row at all (guaranteed rows: always
# where listed). Villages have more left-behind children and relief cases; communities more elderly
# living alone, mental-health referrals and cultural demand.
NEED_RATES = {
    "community": [
        ("elderly_care", "guaranteed", 6.0, 1.0),
        ("elderly_care", "basic", 76.0, 1.0),
        ("elderly_care", "improvement", 28.0, 0.75),
        ("left_behind_children", "basic", 27.0, 0.75),
        ("disability_support", "guaranteed", 3.5, 0.5),
        ("disability_support", "basic", 13.0, 0.5),
        ("mental_health", "basic", 22.0, 0.75),
        ("low_income_relief", "guaranteed", 2000.0, 1.0),
        ("low_income_relief", "basic", 6000.0, 1.0),
        ("community_environment", "improvement", 24.0, 0.5),
        ("culture", "improvement", 30.0, 0.75),
        ("material_aid", "basic", 11.0, 1.0),
    ],
    "village": [
        ("elderly_care", "guaranteed", 10.0, 1.0),
        ("elderly_care", "basic", 88.0, 1.0),
        ("left_behind_children", "basic", 98.0, 1.0),
        ("disability_support", "guaranteed", 6.0, 0.35),
        ("disability_support", "basic", 15.0, 0.35),
        ("mental_health", "improvement", 15.0, 0.25),
        ("low_income_relief", "guaranteed", 4000.0, 1.0),
        ("low_income_relief", "basic", 9500.0, 0.8),
        ("community_environment", "basic", 80.0, 0.6),
        ("culture", "improvement", 36.0, 0.4),
        ("material_aid", "basic", 28.0, 1.0),
    ],
}
MAX_ROWS_PER_UNIT = 8
# Household cases (个案): indivisible rows, one worker (or trained volunteer) must take the whole case.
# unit, category, hours, tier
CASES = [
    ("ZG-C01", "mental_health", 16, "basic"),
    ("ZG-C02", "disability_support", 12, "guaranteed"),
    ("ZG-V03", "disability_support", 14, "basic"),
    ("ZG-V06", "mental_health", 10, "guaranteed"),
    ("JS-V08", "disability_support", 18, "basic"),
]


def _round_q(cat: str, q: float) -> float:
    unit = CATEGORIES[cat][2]
    if unit == "yuan":
        return float(max(500, round(q / 100.0) * 100))
    return float(max(4, round(q)))


def make_needs(rng: np.random.Generator) -> list[dict]:
    rows = []
    for uid in UNIT_IDS:
        picked = []
        for cat, tier, rate, p in NEED_RATES[KIND[uid]]:
            if tier == "guaranteed" and p >= 1.0:
                picked.append((cat, tier, rate))
            elif rng.random() < p:
                picked.append((cat, tier, rate))
        n_cases = sum(1 for c in CASES if c[0] == uid)
        # keep 4-8 rows per unit, household cases included: drop optional rows of low priority first
        limit = MAX_ROWS_PER_UNIT - n_cases
        order = ["culture", "community_environment", "mental_health", "disability_support",
                 "left_behind_children", "material_aid", "elderly_care", "low_income_relief"]
        while len(picked) > limit:
            droppable = [r for r in picked if r[1] != "guaranteed"]
            droppable.sort(key=lambda r: (order.index(r[0]), r[1] != "improvement"))
            picked.remove(droppable[0])
        for cat, tier, rate in picked:
            q = rate * POP[uid] / 1000.0 * rng.uniform(0.8, 1.25)
            if "remote" in TAGS[uid] and cat in ("elderly_care", "left_behind_children"):
                q *= 1.15            # scattered households: more travel-intensive care per person
            rows.append({"unit_id": uid, "category": cat, "quantity": _round_q(cat, q), "tier": tier,
                         "indivisible": False})
        for cuid, cat, hours, tier in CASES:
            if cuid == uid:
                rows.append({"unit_id": uid, "category": cat, "quantity": float(hours), "tier": tier,
                             "indivisible": True})
    tier_order = {"guaranteed": 0, "basic": 1, "improvement": 2}
    cat_order = list(CATEGORIES)
    rows.sort(key=lambda r: (UNIT_IDS.index(r["unit_id"]), cat_order.index(r["category"]),
                             tier_order[r["tier"]], r["indivisible"]))
    seen: dict[tuple, int] = {}
    for r in rows:
        key = (r["unit_id"], r["category"], r["tier"])
        seen[key] = seen.get(key, 0) + 1
        suffix = "case" if r["indivisible"] else ""
        base = f"{r['unit_id']}/{r['category']}/{r['tier']}"
        r["need_id"] = f"{base}/{suffix}" if suffix else (base if seen[key] == 1 else f"{base}/{seen[key]}")
    return [{k: r[k] for k in ("need_id", "unit_id", "category", "quantity", "tier", "indivisible")} for r in rows]


# --------------------------------------------------------------------------------------------------
# Volunteers
# --------------------------------------------------------------------------------------------------
N_VOLUNTEERS = 232
# skill profiles and their shares; remote villages lean to elderly care and left-behind children
SKILL_PROFILES = [
    ("general", 0.52),
    ("general;elderly_care", 0.10),
    ("elderly_care", 0.07),
    ("left_behind_children", 0.07),
    ("general;left_behind_children", 0.05),
    ("general;disability_support", 0.05),
    ("disability_support", 0.03),
    ("mental_health", 0.03),
    ("culture", 0.04),
    ("community_environment", 0.04),
]
assert abs(sum(p for _, p in SKILL_PROFILES) - 1.0) < 1e-9


def _spread(total: int, weights: dict[str, float], minimum: int) -> dict[str, int]:
    """Integer counts proportional to weights (largest remainder), at least `minimum` each."""
    counts = {k: minimum for k in weights}
    rest = total - minimum * len(weights)
    wsum = sum(weights.values())
    raw = {k: rest * w / wsum for k, w in weights.items()}
    for k in weights:
        counts[k] += int(math.floor(raw[k]))
    left = total - sum(counts.values())
    for k in sorted(weights, key=lambda k: (-(raw[k] - math.floor(raw[k])), UNIT_IDS.index(k)))[:left]:
        counts[k] += 1
    return counts


def make_volunteers(rng: np.random.Generator) -> list[dict]:
    # villages mobilise a larger share of residents (熟人社会), so weight them up a little
    weights = {u: POP[u] * (1.0 if KIND[u] == "community" else 1.6) for u in UNIT_IDS}
    counts = _spread(N_VOLUNTEERS, weights, minimum=8)
    profiles = [p for p, _ in SKILL_PROFILES]
    probs = np.array([s for _, s in SKILL_PROFILES])
    remote_probs = probs.copy()
    for i, p in enumerate(profiles):
        if "elderly_care" in p or "left_behind_children" in p:
            remote_probs[i] *= 1.6
    remote_probs /= remote_probs.sum()
    rows = []
    k = 0
    for uid in UNIT_IDS:
        n = counts[uid]
        share = 0.18 if "weak_party_org" in TAGS[uid] else rng.uniform(0.22, 0.32)
        n_party = max(3, int(round(share * n)))
        party = np.zeros(n, bool)
        party[rng.choice(n, n_party, replace=False)] = True
        for i in range(n):
            k += 1
            pr = remote_probs if "remote" in TAGS[uid] else probs
            skills = profiles[int(rng.choice(len(profiles), p=pr))]
            # hours per month: most give a few hours a week; party members a little more (带头)
            hours = int(np.clip(round(rng.triangular(4, 9, 20) + (2 if party[i] else 0)), 4, 20))
            r = rng.random()
            if KIND[uid] == "village" and r < 0.12:
                max_km = 6.0           # has an e-bike / motorbike
            elif r < 0.22:
                max_km = 2.0           # elderly volunteers: near home only
            else:
                max_km = None          # the config default (4 km)
            rows.append({"volunteer_id": f"VOL{k:03d}", "home_unit": uid, "hours": float(hours), "skills": skills,
                         "party_member": bool(party[i]), "max_km": max_km})
    return rows


# --------------------------------------------------------------------------------------------------
# Social organizations, social workers, programs (hand-written: these are few and named)
# --------------------------------------------------------------------------------------------------
ORGANIZATIONS = [
    # org_id, name, name_en, base_unit, capacity, fixed_cost, max_km, skills (direct service)
    ("ORG01", "乐山市五通桥区阳光社会工作服务中心", "Wutongqiao Sunshine Social Work Service Center", "ZG-C01",
     110, 20000, None, "elderly_care;mental_health"),
    ("ORG02", "乐山市桥善社会工作服务中心", "Leshan Qiaoshan Social Work Service Center", "ZG-C03",
     90, 15000, None, "disability_support;left_behind_children"),
    ("ORG03", "五通桥区竹韵文化志愿服务协会", "Wutongqiao Zhuyun Cultural Volunteer Association", "ZG-C02",
     20, 5000, None, "culture"),
    ("ORG04", "竹根镇社会工作服务站", "Zhugen Town Social Work Station", "ZG-C04",
     80, 0, None, "elderly_care;left_behind_children;community_environment"),
    ("ORG05", "五通桥区益农乡村社会工作服务社", "Wutongqiao Yinong Rural Social Work Cooperative", "JS-V08",
     60, 8000, 14.0, "elderly_care;left_behind_children"),
    ("ORG06", "乐山市心晴心理健康服务中心", "Leshan Xinqing Mental Health Service Center", "ZG-C02",
     30, 30000, None, "mental_health"),
    ("ORG07", "五通桥区绿色家园环保服务协会", "Wutongqiao Green Home Environmental Association", "ZG-V01",
     10, 5000, None, ""),
]

SOCIAL_WORKERS = [
    # worker_id, base_unit, hours, skills, org_id, max_units, cost_per_hour, max_km
    ("SW01", "ZG-C01", 150, "elderly_care;mental_health", "ORG01", None, 60, None),
    ("SW02", "ZG-C01", 120, "elderly_care;disability_support", "ORG01", None, 55, None),
    ("SW03", "ZG-C01", 90, "mental_health", "ORG06", 3, 80, None),
    ("SW04", "ZG-C02", 140, "general", None, None, 50, None),
    ("SW05", "ZG-C02", 100, "mental_health;disability_support", "ORG06", None, 75, None),
    ("SW06", "ZG-C03", 150, "disability_support;left_behind_children", "ORG02", None, 55, None),
    ("SW07", "ZG-C03", 110, "left_behind_children;elderly_care", "ORG02", 4, 50, None),
    ("SW08", "ZG-C03", 80, "disability_support", "ORG02", 2, 60, 8.0),
    ("SW09", "ZG-C04", 160, "general", "ORG04", None, 45, None),
    ("SW10", "ZG-C04", 120, "elderly_care;left_behind_children;community_environment", "ORG04", None, 40, None),
    ("SW11", "ZG-C04", 70, "culture;community_environment", "ORG03", 3, 40, None),
    ("SW12", "ZG-V01", 100, "elderly_care;disability_support", None, None, 45, None),
    ("SW13", "ZG-V03", 90, "left_behind_children;mental_health", None, 4, 50, None),
    ("SW14", "ZG-V04", 80, "elderly_care;left_behind_children", "ORG04", None, 40, None),
    ("SW15", "JS-V08", 130, "elderly_care;left_behind_children;disability_support", "ORG05", None, 45, None),
    ("SW16", "JS-V08", 60, "mental_health;elderly_care", "ORG05", 2, 50, None),
    ("SW17", "ZG-C02", 100, "elderly_care;culture", None, None, 45, None),
]

PROGRAMS = [
    # program_id, name, name_en, org_id, category, output, fixed_cost, worker_h, volunteer_h, funds, max_per_unit, eligible
    ("PRG01", "老年助餐", "Meals for the elderly", "ORG01", "elderly_care", 60, 1000, 4, 24, 1200, 2,
     "ZG-C01;ZG-C02;ZG-C03;ZG-C04;ZG-V01"),
    ("PRG02", "居家探访", "Home visits", "ORG04", "elderly_care", 40, 400, 6, 16, 200, 3,
     "ZG-C03;ZG-C04;ZG-V02;ZG-V03;ZG-V04;ZG-V06"),
    ("PRG03", "邻里守望", "Neighbourhood watch for elders living alone", "ORG05", "elderly_care", 36, 300, 3, 18, 200,
     2, "ZG-V05;ZG-V07;JS-V08;JS-V09"),
    ("PRG04", "四点半课堂", "After-school 4:30 class", "ORG02", "left_behind_children", 48, 800, 4, 20, 600, 2,
     "ZG-C02;ZG-V01;ZG-V02;ZG-V03;ZG-V05"),
    ("PRG05", "寒假成长营", "Winter-holiday growth camp", "ORG05", "left_behind_children", 40, 1200, 6, 12, 1000, 1,
     "ZG-V04;ZG-V06;ZG-V07;JS-V08;JS-V09"),
    ("PRG06", "康复陪伴", "Rehabilitation companionship", "ORG02", "disability_support", 30, 1000, 8, 8, 500, 2,
     "ZG-C01;ZG-C03;ZG-V02;JS-V08"),
    ("PRG07", "心理沙龙", "Mental-health salon", "ORG06", "mental_health", 24, 900, 6, 0, 300, 2, ""),
    ("PRG08", "环境整治", "Village clean-up campaign", "ORG07", "community_environment", 60, 300, 2, 30, 400, 2, ""),
    ("PRG09", "文艺汇演", "New Year variety show", "ORG03", "culture", 50, 800, 2, 20, 1500, 1, ""),
    ("PRG10", "长者智慧课堂", "Smartphone class for seniors", "ORG03", "culture", 30, 400, 2, 10, 300, 2, ""),
    ("PRG11", "爱心超市", "Charity supermarket (points for goods)", "ORG04", "material_aid", 30, 0, 2, 6, 2400, 1,
     "ZG-C01;ZG-C04;ZG-V01;JS-V08"),
]

# --------------------------------------------------------------------------------------------------
# Charity lots
# --------------------------------------------------------------------------------------------------
FUNDS_DONORS = [
    ("五通桥区慈善会", 0.22), ("乐山市慈善总会", 0.12), ("竹根镇商会", 0.14), ("嘉州盐化有限公司（化名）", 0.10),
    ("桥滩物流有限公司（化名）", 0.08), ("五通桥区红十字会", 0.08), ("爱心人士（匿名）", 0.14), ("金山镇商会", 0.06),
    ("竹根农商银行（化名）", 0.06),
]
GOODS_DONORS = ["五通桥区慈善会", "竹根镇商会", "川南粮油有限公司（化名）", "嘉州盐化有限公司（化名）", "爱心超市联盟（化名）"]


def make_charity(rng: np.random.Generator) -> list[dict]:
    rows = []
    names = [d for d, _ in FUNDS_DONORS]
    probs = np.array([p for _, p in FUNDS_DONORS])
    probs = probs / probs.sum()
    # funds lots: (earmark_category, earmark_town, earmark_unit, expires) patterns, then random amounts
    patterns = (
        [("low_income_relief", "", "", "")] * 8
        + [("", "", "", "")] * 10
        + [("", "竹根镇", "", ""), ("", "竹根镇", "", ""), ("low_income_relief", "竹根镇", "", "")]
        + [("", "金山镇", "", ""), ("low_income_relief", "金山镇", "", "")]
        + [("", "", "ZG-V06", ""), ("low_income_relief", "", "ZG-V07", ""), ("", "", "ZG-C01", "")]
        + [("elderly_care", "", "", ""), ("left_behind_children", "", "", "")]
        + [("", "", "", "2026-12-31"), ("low_income_relief", "", "", "2026-12-31")]   # year-end donations
    )
    k = 0
    for cat, town, unit, exp in patterns:
        k += 1
        donor = names[int(rng.choice(len(names), p=probs))]
        if town == "金山镇":
            donor = "金山镇商会"
        elif town == "竹根镇" and rng.random() < 0.6:
            donor = "竹根镇商会"
        if unit:
            amount = rng.uniform(2000, 8000)
        elif town == "金山镇":
            amount = rng.uniform(4000, 15000)      # two small villages: keep the town earmark modest
        elif cat:
            amount = rng.uniform(5000, 30000)
        else:
            amount = float(np.exp(rng.uniform(math.log(2000), math.log(50000))))
        amount = float(min(50000, max(2000, round(amount / 500) * 500)))
        rows.append({"lot_id": f"LOT{k:02d}", "donor": donor, "kind": "funds", "quantity": amount, "item": "",
                     "category": cat, "town": town, "unit_id": unit, "expires": exp})
    # goods lots: rice and cooking oil; oil from the year-end drive expires soon
    goods = (
        [("rice_bag", "", "", "2027-02-28")] * 4 + [("rice_bag", "", "", "")] * 3
        + [("cooking_oil", "", "", "2026-12-31")] * 2 + [("cooking_oil", "", "", "2027-01-31")] * 2
        + [("cooking_oil", "", "", "")] * 2 + [("rice_bag", "金山镇", "", "")] + [("rice_bag", "", "ZG-V06", "2027-01-31")]
    )
    for item, town, unit, exp in goods:
        k += 1
        donor = GOODS_DONORS[int(rng.integers(len(GOODS_DONORS)))] if town != "金山镇" else "金山镇商会"
        q = rng.integers(25, 70) if item == "rice_bag" else rng.integers(20, 50)
        if unit:
            q = rng.integers(10, 20)
        rows.append({"lot_id": f"LOT{k:02d}", "donor": donor, "kind": "goods", "quantity": float(q), "item": item,
                     "category": "", "town": town, "unit_id": unit, "expires": exp})
    return rows


# --------------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------------
def build_tables() -> dict[str, list[dict]]:
    units = []
    for uid, name, name_en, town, kind, pop, _, _, tags, pcap in UNITS:
        lat, lon = latlon(uid)
        units.append({"unit_id": uid, "name": name, "name_en": name_en, "town": town, "kind": kind,
                      "population": pop, "lat": lat, "lon": lon, "tags": tags, "party_capacity": pcap})
    needs = make_needs(np.random.default_rng([SEED, 1]))
    volunteers = make_volunteers(np.random.default_rng([SEED, 2]))
    charity = make_charity(np.random.default_rng([SEED, 3]))
    orgs = [{"org_id": o[0], "name": o[1], "name_en": o[2], "base_unit": o[3], "capacity": o[4], "fixed_cost": o[5],
             "max_km": o[6], "skills": o[7]} for o in ORGANIZATIONS]
    workers = [{"worker_id": w[0], "base_unit": w[1], "hours": w[2], "skills": w[3], "org_id": w[4], "max_units": w[5],
                "cost_per_hour": w[6], "max_km": w[7]} for w in SOCIAL_WORKERS]
    programs = [{"program_id": p[0], "name": p[1], "name_en": p[2], "org_id": p[3], "category": p[4],
                 "output_per_instance": p[5], "fixed_cost": p[6], "worker_hours": p[7], "volunteer_hours": p[8],
                 "funds": p[9], "max_per_unit": p[10], "eligible_units": p[11]} for p in PROGRAMS]
    return {"units": units, "needs": needs, "volunteers": volunteers, "social_workers": workers,
            "organizations": orgs, "programs": programs, "charity": charity}


COLUMNS = {
    "units": ["unit_id", "name", "name_en", "town", "kind", "population", "lat", "lon", "tags", "party_capacity"],
    "needs": ["need_id", "unit_id", "category", "quantity", "tier", "indivisible"],
    "volunteers": ["volunteer_id", "home_unit", "hours", "skills", "party_member", "max_km"],
    "social_workers": ["worker_id", "base_unit", "hours", "skills", "org_id", "max_units", "cost_per_hour", "max_km"],
    "organizations": ["org_id", "name", "name_en", "base_unit", "capacity", "fixed_cost", "max_km", "skills"],
    "programs": ["program_id", "name", "name_en", "org_id", "category", "output_per_instance", "fixed_cost",
                 "worker_hours", "volunteer_hours", "funds", "max_per_unit", "eligible_units"],
    "charity": ["lot_id", "donor", "kind", "quantity", "item", "category", "town", "unit_id", "expires"],
}


def _csv_value(v) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def write_csvs(tables: dict[str, list[dict]]) -> None:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS[name])
        for r in rows:
            w.writerow([_csv_value(r[c]) for c in COLUMNS[name]])
        (DATA_DIR / f"{name}.csv").write_text(buf.getvalue(), encoding="utf-8")


FIXED_TIME = dt.datetime(2026, 11, 20, 9, 0, 0)


def _xlsx_value(v):
    if v is None or v == "":
        return None
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def write_xlsx(tables: dict[str, list[dict]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in tables.items():
        ws = wb.create_sheet(name)
        ws.append(COLUMNS[name])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            values = []
            for c in COLUMNS[name]:
                v = r[c]
                if c == "expires" and v:
                    v = dt.datetime.strptime(v, "%Y-%m-%d")     # a real Excel date
                values.append(_xlsx_value(v))
            ws.append(values)
        if name == "charity":
            col = COLUMNS[name].index("expires") + 1
            for row in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                row[0].number_format = "yyyy-mm-dd"
        for i, c in enumerate(COLUMNS[name], start=1):
            width = max(len(c), *(len(str(r[c] or "")) * (2 if any(ord(ch) > 127 for ch in str(r[c] or "")) else 1)
                                  for r in rows)) + 2
            ws.column_dimensions[ws.cell(1, i).column_letter].width = min(width, 60)
        ws.freeze_panes = "A2"
    wb.properties.creator = "data/make_zhugen.py"
    wb.properties.title = "Zhugen Town five-community linkage — SYNTHETIC sample"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    wb.save(raw)
    # rewrite the archive with fixed entry times so that the workbook is byte-for-byte reproducible
    out = io.BytesIO()
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            content = zin.read(info.filename)
            if info.filename == "docProps/core.xml":       # openpyxl stamps `modified` at save time
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, content)
            zout.writestr(zi, content)
    XLSX.write_bytes(out.getvalue())


# --------------------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------------------
CONFIG_TEXT = """\
# =================================================================================================
#  Zhugen Town (竹根镇), Wutongqiao District (五通桥区), Leshan -- five-community linkage (五社联动)
#  *** SYNTHETIC EXAMPLE ***  All units, people, organizations, donors and numbers are invented;
#  the scenario is only modelled on the town's pilot. Generated by data/make_zhugen.py -- edit that
#  script (not this file) and re-run it to change the sample. Copy this file to start your own.
#
#  The five parts of the linkage and where they live in the data:
#    社区   communities (the platform) ...... units.csv   (4 pilot communities + 9 villages)
#    社会组织 social organizations ......... organizations.csv, programs.csv (service projects)
#    社工   professional social workers .... social_workers.csv (they lead; supervise volunteers)
#    志愿者 community volunteers ........... volunteers.csv (party-member volunteers lead by example)
#    慈善资源 charity resources ............. charity.csv (donated funds and goods, in lots)
#  What each unit needs this month is in needs.csv. Every key is documented in docs/data.md.
# =================================================================================================

name: "竹根镇五社联动示例（合成数据）/ Zhugen Town five-community linkage -- SYNTHETIC sample"
period: "2026-12"                  # planning month, YYYY-MM
# Where the tables are, relative to this file: the CSV folder (configs/zhugen.yaml) or the one-workbook
# version with a sheet per table (configs/zhugen_xlsx.yaml). The two hold the same data.
data: {data}

# -------------------------------------------------------------------------------------------------
# Need categories. The keys (elderly_care, ...) are what needs.csv, programs.csv, skills and charity
# earmarks refer to. `weight` is the party committee's priority (they sum to 1 here; derive them with
# `linkage-opt weights ahp` if you have pairwise judgements). This month's priorities (党委重点):
# elderly care, left-behind children and low-income relief. Among categories measured in the same unit
# (hours, say), a need of a category with a higher weight is worth more per hour, so it is met first
# (docs/model.md, "Priority weights"); tier and unit-tag multipliers scale that further.
#   unit            unit of measure of the needs in this category
#   professional    true: a volunteer needs the category itself among their skills (`general` is not
#                   enough), and volunteer hours need social-worker supervision (rules.supervision)
#   hours_per_unit  provider hours per unit of need (1 for categories measured in hours)
#   funds_per_unit  set for money categories: charity funds lots serve them directly (yuan per unit)
#   items           set for goods categories: which donated items serve them, and how many per unit
# -------------------------------------------------------------------------------------------------
categories:
  elderly_care:
    label: 养老服务
    label_en: Elderly care
    unit: hours
    weight: 0.22                   # priority: ageing population, many elders living alone
  left_behind_children:
    label: 留守儿童关爱
    label_en: Left-behind children
    unit: hours
    weight: 0.18                   # priority: parents work away from the villages
  disability_support:
    label: 助残服务
    label_en: Disability support
    unit: hours
    weight: 0.12
    professional: true             # rehabilitation companionship needs trained people
  mental_health:
    label: 心理疏导
    label_en: Mental health support
    unit: hours
    weight: 0.10
    professional: true
  low_income_relief:
    label: 困难群众救助
    label_en: Low-income relief
    unit: yuan
    weight: 0.20                   # priority: 兜底保障 for households in difficulty
    funds_per_unit: 1              # 1 yuan of a funds lot meets 1 yuan of need
  community_environment:
    label: 人居环境
    label_en: Community environment
    unit: hours
    weight: 0.05
  culture:
    label: 文化活动
    label_en: Cultural activities
    unit: hours
    weight: 0.05
  material_aid:
    label: 物资帮扶
    label_en: Material aid
    unit: packages
    weight: 0.08
    items:                         # one bag of rice or one bottle of cooking oil makes one package
      rice_bag: 1
      cooking_oil: 1

# Unit tags (units.csv `tags`) scale a unit's priority; a unit with several tags gets the product.
tag_multipliers:
  pilot: 1.1                       # 试点社区: the four pilot communities
  weak_party_org: 1.3              # 软弱涣散村党组织: villages whose party branch is being strengthened
  remote: 1.2                      # 偏远村: villages far from the town centre

# Need tiers (needs.csv `tier`): guaranteed needs (兜底) must be met in full -- the plan is infeasible
# otherwise; basic and improvement needs are met as far as resources go, in priority order.
tier_multipliers:
  guaranteed: 3.0
  basic: 1.0
  improvement: 0.4

# Who can reach whom. Distances come from the units' lat/lon (no reach.csv in this sample).
reach:
  max_km:                          # defaults; a row's own max_km column overrides them
    social_worker: 15              # social workers cover the whole town and Jinshan's near villages
    volunteer: 4                   # volunteers serve their own and neighbouring units
    organization: 25               # organizations (and their programs) serve the whole area

costs:
  travel_per_km: 0.5               # yuan per km per hour of service (travel allowance)
  travel_overhead_per_km: 0.02     # +2% provider hours per km travelled (time on the road)
  volunteer_cost_per_hour: 0       # set e.g. 5 to budget a meal/transport subsidy (误餐补贴) per volunteer hour

# The five-community linkage rules. Each can be switched off to see what it costs.
rules:
  supervision:                     # 社工引领: social workers lead volunteers
    enabled: true
    volunteer_hours_per_worker_hour: 8   # k: >= 1 social-worker hour per 8 volunteer hours, per unit,
                                         # in the professional categories (disability, mental health)
  party_share:                     # 党员志愿者带头: party-member volunteers lead by example
    enabled: true
    min_share: 0.2                 # >= 20% of the volunteer hours in each unit given by party members
  party_capacity:                  # 党组织统筹: a unit's party branch coordinates at most
    enabled: true                  # units.csv `party_capacity` program instances a month
  budget:                          # district purchase-of-services budget (政府购买服务)
    enabled: true
    amount: {budget:<23d}# yuan for the month: paid social-worker hours, travel, contract
                                   # fees, program instances, budget-funded program money. It binds a
                                   # little: an unlimited budget would spend ~182,000 and engage two
                                   # more small organizations. Blank (amount:) = unlimited.
  expiry:                          # use donated goods and year-end funds before they lapse
    enabled: true
    horizon_days: 31               # lots expiring before 2027-01-01 count as expiring this month

# How plans are ranked: first weighted coverage of needs, then equity between units, then cost.
objective:
  mode: lexicographic
  order: [coverage, equity, cost]

equity:
  mode: maxmin                     # raise the worst-served unit's weighted coverage ratio

solver:
  backend: highs
  time_limit: 60                   # seconds for the whole solve
  mip_gap: 1.0e-4
  seed: 0                          # fixed: the same inputs give the same plan
"""


def write_configs() -> None:
    CONFIG.parent.mkdir(parents=True, exist_ok=True)
    for path, data in ((CONFIG, "../data/zhugen"), (CONFIG_XLSX, "../data/zhugen.xlsx")):
        path.write_text(CONFIG_TEXT.format(data=data, budget=BUDGET), encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# Supply, demand and the feasibility margin
# --------------------------------------------------------------------------------------------------
def _skills(s: str) -> set[str]:
    return {x for x in (s or "").split(";") if x}


def _person_serves(kind: str, skills: set[str], cat: str) -> bool:
    professional = CATEGORIES[cat][4]
    service = CATEGORIES[cat][5] == "service"
    if not service:
        return False
    if cat in skills:
        return True
    if "general" in skills:
        return kind != "volunteer" or not professional
    return False


def _providers(t: dict) -> list[dict]:
    """People and organizations as (id, kind, home, radius, capacity, skills, party)."""
    out = []
    for w in t["social_workers"]:
        out.append({"id": w["worker_id"], "kind": "social_worker", "home": w["base_unit"],
                    "radius": w["max_km"] or MAX_KM["social_worker"], "cap": float(w["hours"]),
                    "skills": _skills(w["skills"]), "party": False})
    for v in t["volunteers"]:
        out.append({"id": v["volunteer_id"], "kind": "volunteer", "home": v["home_unit"],
                    "radius": v["max_km"] or MAX_KM["volunteer"], "cap": float(v["hours"]),
                    "skills": _skills(v["skills"]), "party": v["party_member"]})
    for o in t["organizations"]:
        out.append({"id": o["org_id"], "kind": "organization", "home": o["base_unit"],
                    "radius": o["max_km"] or MAX_KM["organization"], "cap": float(o["capacity"]),
                    "skills": _skills(o["skills"]), "party": False})
    return out


def _lot_serves(lot: dict, cat: str, uid: str) -> bool:
    kind = CATEGORIES[cat][5]
    if lot["category"] and lot["category"] != cat:
        return False
    if lot["town"] and lot["town"] != TOWN[uid]:
        return False
    if lot["unit_id"] and lot["unit_id"] != uid:
        return False
    if kind == "funds":
        return lot["kind"] == "funds"
    if kind == "goods":
        return lot["kind"] == "goods" and lot["item"] in ITEMS[cat]
    return False


def feasibility_report(t: dict) -> tuple[str, float, float]:
    """Rough arithmetic: guaranteed-need margins and total supply against demand. Returns (text, min margin, short)."""
    lines = []
    P = _providers(t)
    needs = t["needs"]
    reach = {p["id"]: {u for u in UNIT_IDS if dist(p["home"], u) <= p["radius"] + 1e-9} for p in P}

    # -- guaranteed margins ---------------------------------------------------------------------------
    g = [n for n in needs if n["tier"] == "guaranteed"]

    def eligible(n) -> list[dict]:
        return [p for p in P if n["unit_id"] in reach[p["id"]] and _person_serves(p["kind"], p["skills"], n["category"])]

    def lots_for(n) -> list[dict]:
        return [lot for lot in t["charity"] if _lot_serves(lot, n["category"], n["unit_id"])]

    def eff_hours(ps: list[dict], indivisible_q: float | None = None) -> float:
        """Usable hours: volunteers count at most party hours / rho (party-share rule); cases need one person."""
        if indivisible_q is not None:
            return sum(p["cap"] for p in ps if p["kind"] != "organization" and p["cap"] >= indivisible_q * 1.25)
        vol = [p for p in ps if p["kind"] == "volunteer"]
        vol_h = sum(p["cap"] for p in vol)
        party_h = sum(p["cap"] for p in vol if p["party"])
        return sum(p["cap"] for p in ps if p["kind"] != "volunteer") + min(vol_h, party_h / PARTY_MIN_SHARE)

    lines.append("Guaranteed needs: eligible supply in reach vs guaranteed demand competing for it")
    lines.append(f"  {'need':48s} {'qty':>8s} {'supply':>9s} {'compete':>9s} {'margin':>7s}")
    margins = []
    for n in g:
        cat = n["category"]
        if CATEGORIES[cat][5] == "service":
            ps = eligible(n)
            ids = {p["id"] for p in ps}
            supply = eff_hours(ps, n["quantity"] if n["indivisible"] else None)
            # guaranteed hours (any category) that could draw on any of these providers
            compete = sum(m["quantity"] for m in g if CATEGORIES[m["category"]][5] == "service"
                          and ids & {p["id"] for p in eligible(m)})
            if n["indivisible"]:
                n_people = sum(1 for p in ps if p["kind"] != "organization" and p["cap"] >= n["quantity"] * 1.25)
                lines.append(f"  {n['need_id']:48s} case: {n_people} people in reach can take the whole case")
        else:
            lots = lots_for(n)
            ids = {lot["lot_id"] for lot in lots}
            supply = sum(lot["quantity"] for lot in lots)
            compete = sum(m["quantity"] for m in g if m["category"] == cat
                          and ids & {lot["lot_id"] for lot in lots_for(m)})
        margin = supply / compete if compete else float("inf")
        margins.append(margin)
        lines.append(f"  {n['need_id']:48s} {n['quantity']:8.0f} {supply:9.0f} {compete:9.0f} {margin:7.2f}")
    min_margin = min(margins) if margins else float("inf")
    lines.append(f"  smallest margin: {min_margin:.2f} (target >= 1.5)")

    # -- total supply vs demand by category -------------------------------------------------------------
    lines.append("")
    lines.append("Demand by category and tier")
    lines.append(f"  {'category':24s} {'unit':9s} {'guaranteed':>11s} {'basic':>9s} {'improve':>9s} {'total':>9s}")
    dem = {}
    for cat in CATEGORIES:
        row = {tier: sum(n["quantity"] for n in needs if n["category"] == cat and n["tier"] == tier)
               for tier in ("guaranteed", "basic", "improvement")}
        dem[cat] = row
        lines.append(f"  {cat:24s} {CATEGORIES[cat][2]:9s} {row['guaranteed']:11.0f} {row['basic']:9.0f} "
                     f"{row['improvement']:9.0f} {sum(row.values()):9.0f}")

    lines.append("")
    lines.append("Supply (people may serve several categories: per-category figures overlap)")
    vol_h = sum(v["hours"] for v in t["volunteers"])
    sw_h = sum(w["hours"] for w in t["social_workers"])
    org_cap = sum(o["capacity"] for o in t["organizations"] if o["skills"])
    lines.append(f"  volunteers {len(t['volunteers'])}: {vol_h:.0f} h "
                 f"(party members {sum(v['party_member'] for v in t['volunteers'])}, "
                 f"{sum(v['hours'] for v in t['volunteers'] if v['party_member']):.0f} h); "
                 f"social workers {len(t['social_workers'])}: {sw_h:.0f} h; "
                 f"organizations' direct-service capacity {org_cap:.0f} h")
    # program potential: instances allowed by max_per_unit, eligibility, need and party capacity
    prog_out = {c: 0.0 for c in CATEGORIES}
    prog_in = {c: [0.0, 0.0, 0.0] for c in CATEGORIES}
    slots = {u: float(uu[9]) for u, uu in zip(UNIT_IDS, UNITS)}
    for p in PROGRAMS:
        _, _, _, org, cat, out, fixed, wh, vh, funds, mpu, elig = p
        org_row = next(o for o in ORGANIZATIONS if o[0] == org)
        radius = org_row[6] or MAX_KM["organization"]
        units = elig.split(";") if elig else [u for u in UNIT_IDS if dist(org_row[3], u) <= radius]
        for u in units:
            need_uc = sum(n["quantity"] for n in needs if n["unit_id"] == u and n["category"] == cat and not n["indivisible"])
            k = min(mpu, math.ceil(need_uc / out - 1e-9)) if need_uc > 0 else 0
            prog_out[cat] += min(k * out, need_uc)
            prog_in[cat][0] += k * wh
            prog_in[cat][1] += k * vh
            prog_in[cat][2] += k * funds
    total_slots = sum(slots.values())
    lines.append(f"  programs {len(PROGRAMS)}: party branches can coordinate {total_slots:.0f} instances a month")
    lines.append(f"  {'category':24s} {'people h':>9s} {'programs':>9s} {'(inputs w/v h, yuan)':>24s} "
                 f"{'lots':>9s} {'demand':>9s}")
    for cat in CATEGORIES:
        ppl = sum(p["cap"] for p in P if _person_serves(p["kind"], p["skills"], cat))
        lots = sum(lot["quantity"] for lot in t["charity"]
                   if (lot["category"] in ("", cat)) and
                   ((CATEGORIES[cat][5] == "funds" and lot["kind"] == "funds")
                    or (CATEGORIES[cat][5] == "goods" and lot["kind"] == "goods" and lot["item"] in ITEMS[cat])))
        wi, vi, fi = prog_in[cat]
        lines.append(f"  {cat:24s} {ppl:9.0f} {prog_out[cat]:9.0f} {f'{wi:.0f} / {vi:.0f} h, {fi:.0f}':>24s} "
                     f"{lots:9.0f} {sum(dem[cat].values()):9.0f}")

    # pooled hours: people hours + program leverage (output beyond the hours it consumes)
    hour_cats = [c for c in CATEGORIES if CATEGORIES[c][5] == "service"]
    d_hours = sum(sum(dem[c].values()) for c in hour_cats)
    g_hours = sum(dem[c]["guaranteed"] for c in hour_cats)
    leverage = sum(max(0.0, prog_out[c] - prog_in[c][0] - prog_in[c][1]) for c in hour_cats)
    s_hours = vol_h + sw_h + org_cap + leverage
    funds = sum(lot["quantity"] for lot in t["charity"] if lot["kind"] == "funds")
    goods = sum(lot["quantity"] for lot in t["charity"] if lot["kind"] == "goods")
    prog_funds = sum(v[2] for v in prog_in.values())
    d_relief = sum(dem["low_income_relief"].values())
    g_relief = dem["low_income_relief"]["guaranteed"]
    d_goods = sum(dem["material_aid"].values())
    lines.append("")
    lines.append("Pooled supply vs demand (upper bounds: travel time, reach, skills and rules cut supply further)")
    short_h = (s_hours - g_hours) / (d_hours - g_hours)
    lines.append(f"  service hours: supply {s_hours:.0f} h (people {vol_h + sw_h + org_cap:.0f} + program leverage "
                 f"{leverage:.0f}) vs demand {d_hours:.0f} h (guaranteed {g_hours:.0f}); after guaranteed needs "
                 f"supply meets {short_h:.0%} of basic+improvement")
    short_f = (funds - g_relief) / (d_relief - g_relief + prog_funds)
    lines.append(f"  yuan: funds lots {funds:.0f} vs relief demand {d_relief:.0f} (guaranteed {g_relief:.0f}) + "
                 f"program funds if every instance ran {prog_funds:.0f}; after guaranteed: {short_f:.0%} "
                 f"(the district budget may also pay program funds)")
    short_g = (goods + prog_out["material_aid"]) / d_goods
    lines.append(f"  packages: goods lots {goods:.0f} + charity-supermarket programs {prog_out['material_aid']:.0f} "
                 f"vs demand {d_goods:.0f}: {short_g:.0%}")
    return "\n".join(lines), min_margin, short_h


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="print the supply/demand and feasibility-margin report")
    args = ap.parse_args(argv)
    tables = build_tables()
    report, min_margin, short = feasibility_report(tables)
    if min_margin < 1.5:
        print(report, file=sys.stderr)
        print(f"error: a guaranteed need has margin {min_margin:.2f} < 1.5", file=sys.stderr)
        return 1
    if short >= 1.0:
        print(report, file=sys.stderr)
        print(f"error: supply is not short of demand (pooled upper bound {short:.0%})", file=sys.stderr)
        return 1
    write_csvs(tables)
    write_xlsx(tables)
    write_configs()
    counts = ", ".join(f"{k} {len(v)}" for k, v in tables.items())
    print(f"wrote {DATA_DIR.relative_to(ROOT)}/*.csv, {XLSX.relative_to(ROOT)}, {CONFIG.relative_to(ROOT)}, "
          f"{CONFIG_XLSX.relative_to(ROOT)}  ({counts})")
    if args.check:
        print()
        print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
