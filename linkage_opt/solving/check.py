"""Check a plan against its scenario, independently of the model that produced it.

This module re-derives every rule from the raw scenario tables with plain, row-by-row logic (it does
not import the formulation): eligibility (reach, skills, earmarks, items, lots lapsed before the
plan's period), capacities, guarantees,
indivisibility, program instances and inputs, the linkage rules (each rule module's own ``check``, on
facts gathered here from the plan's rows, :class:`linkage_opt.rules.PlanFacts`), and the objective figures in
``summary.json``. The property-based tests run it on random scenarios; planners can run it with
``linkage-opt check``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.scenario import Scenario, lapsed_lots
from ..rules import RULES, PlanFacts
from ..schema import GENERAL


@dataclass(frozen=True)
class Violation:
    rule: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where}: {self.detail}"


def _close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-6) -> bool:
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def _distance(units: pd.DataFrame, cfg, a: str, b: str) -> float:
    if a == b:
        return 0.0
    ua, ub = units.loc[a], units.loc[b]
    if all(np.isfinite([ua["x_km"], ua["y_km"], ub["x_km"], ub["y_km"]])):
        return math.hypot(ua["x_km"] - ub["x_km"], ua["y_km"] - ub["y_km"])
    return cfg.reach.same_town_km if ua["town"] == ub["town"] else math.inf


def check_plan(scenario: Scenario, tables: dict[str, pd.DataFrame], summary: dict | None = None,
               tol: float = 1e-6) -> list[Violation]:
    """Every violation of the scenario's rules by the plan tables (empty list = the plan is valid)."""
    cfg = scenario.config
    V: list[Violation] = []
    units = scenario.units.set_index("unit_id")
    needs = scenario.needs.set_index("need_id")
    alloc = tables["allocations"].copy()
    alloc["need_id"] = alloc["need_id"].fillna("").astype(str)
    alloc["program_id"] = alloc["program_id"].fillna("").astype(str)
    programs_out = tables["programs"]

    # provider lookup
    prov: dict[str, tuple[str, pd.Series]] = {}
    for table, col, kind in (("social_workers", "worker_id", "social_worker"), ("volunteers", "volunteer_id", "volunteer"),
                             ("organizations", "org_id", "organization"), ("charity", "lot_id", "charity")):
        for _, r in scenario.tables[table].iterrows():
            prov[str(r[col])] = (kind, r)
    # lots expired before the period's first day (the plan's period: `run --period` overrides the config's)
    period = str(summary.get("period") or cfg.period) if summary is not None else cfg.period
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        period = cfg.period
    if period != cfg.period:
        scenario = scenario.replace(config=cfg.model_copy(update={"period": period}))
    lapsed = set(lapsed_lots(scenario))
    explicit: dict[str, dict[str, pd.Series]] = defaultdict(dict)
    for _, r in scenario.reach.iterrows():
        explicit[str(r["provider_id"])][str(r["unit_id"])] = r

    def reaches(pid: str, kind: str, r: pd.Series, unit: str) -> tuple[bool, float]:
        if pid in explicit:
            if unit not in explicit[pid]:
                return False, 0.0
            home = r.get("home_unit", r.get("base_unit")) if kind != "charity" else None
            d = _distance(units, cfg, str(home), unit) if home is not None and isinstance(home, str) else 0.0
            return True, (d if math.isfinite(d) else 0.0)
        if kind == "charity":
            ok = (not r["unit_id"] or r["unit_id"] == unit) and (not r["town"] or r["town"] == units.loc[unit, "town"])
            return ok, 0.0
        home = str(r["home_unit"] if kind == "volunteer" else r["base_unit"])
        radius = r["max_km"] if pd.notna(r.get("max_km", np.nan)) else getattr(cfg.reach.max_km, kind)
        d = _distance(units, cfg, home, unit)
        return d <= radius + 1e-9, d

    def skilled(kind: str, r: pd.Series, cat: str) -> bool:
        spec = cfg.categories[cat]
        if kind == "charity":
            if r["category"] and r["category"] != cat:
                return False
            if r["kind"] == "funds":
                return spec.funds_per_unit is not None
            return r["item"] in spec.items
        skills = set(r["skills"])
        if cat in skills:
            return True
        if GENERAL in skills and spec.funds_per_unit is None and not spec.items:
            return not (kind == "volunteer" and spec.professional)
        return False

    def unit_load_cost(pid, kind, r, unit, cat, d) -> tuple[float, float]:
        spec = cfg.categories[cat]
        h = spec.hours_per_unit
        if kind in ("social_worker", "volunteer"):
            load = h * (1 + cfg.costs.travel_overhead_per_km * d)
            rate = r["cost_per_hour"] if kind == "social_worker" else cfg.costs.volunteer_cost_per_hour
            cost = (0.0 if pd.isna(rate) else rate) * load + cfg.costs.travel_per_km * d * h
        elif kind == "organization":
            load, cost = 1.0, cfg.costs.travel_per_km * d * h
        else:
            load = spec.funds_per_unit if r["kind"] == "funds" else spec.items.get(r["item"], 1.0)
            cost = 0.0
        ex = explicit.get(pid, {}).get(unit)
        if ex is not None:
            if pd.notna(ex["load_per_unit"]):
                load = float(ex["load_per_unit"])
            if pd.notna(ex["cost_per_unit"]):
                cost = float(ex["cost_per_unit"])
        return load, cost

    used: dict[str, float] = defaultdict(float)
    covered: dict[str, float] = defaultdict(float)
    rows_per_need: dict[str, list[str]] = defaultdict(list)
    hours = defaultdict(float)   # (kind, unit, category) -> service hours
    vol_hours = defaultdict(float)  # (unit, party?) -> hours
    person_hours = defaultdict(float)  # (kind, provider, unit) -> service hours
    money = 0.0

    for i, a in alloc.iterrows():
        kind, pid, unit, cat = a["provider_kind"], str(a["provider_id"]), str(a["unit_id"]), str(a["category"])
        where = f"allocations row {i + 2} ({kind} {pid} -> {unit} {cat})"
        money += float(a["cost"])
        if unit not in units.index or cat not in cfg.categories:
            V.append(Violation("reference", where, "unknown unit or category"))
            continue
        if kind == "program":
            if a["need_id"]:
                covered[a["need_id"]] += float(a["quantity"])
            continue
        if kind == "budget":
            if a["need_id"] or not a["program_id"]:
                V.append(Violation("budget", where, "budget money may only feed programs"))
            continue
        if pid not in prov or prov[pid][0] != kind:
            V.append(Violation("reference", where, "unknown provider or wrong kind"))
            continue
        _, r = prov[pid]
        if kind == "charity" and pid in lapsed:
            V.append(Violation("lapsed_lot", where, f"lot {pid} expired on {pd.Timestamp(r['expires']).date()}, "
                                                    f"before the period {period} starts"))
        ok, d = reaches(pid, kind, r, unit)
        if not ok:
            V.append(Violation("reach", where, "unit is not within the provider's reach or earmark"))
        used[pid] += float(a["load"])
        if a["need_id"]:
            need = needs.loc[a["need_id"]]
            if need["unit_id"] != unit or need["category"] != cat:
                V.append(Violation("reference", where, "need does not match unit/category"))
            if not skilled(kind, r, cat):
                V.append(Violation("skill", where, "provider may not serve this category"))
            load, cost = unit_load_cost(pid, kind, r, unit, cat, d)
            if not _close(float(a["load"]), load * float(a["quantity"]), 1e-6):
                V.append(Violation("load", where, f"load {a['load']} != {load:g} x quantity {a['quantity']}"))
            if not _close(float(a["cost"]), cost * float(a["quantity"]), 1e-6, 1e-6):
                V.append(Violation("cost", where, f"cost {a['cost']} != {cost:g} x quantity {a['quantity']}"))
            covered[a["need_id"]] += float(a["quantity"])
            rows_per_need[a["need_id"]].append(pid)
            h = float(a["quantity"]) * cfg.categories[cat].hours_per_unit if kind in ("social_worker", "volunteer") else 0.0
        else:
            # input to a program: hours (people) or money (lots)
            if not a["program_id"]:
                V.append(Violation("reference", where, "row serves neither a need nor a program"))
            if kind in ("social_worker", "volunteer") and not skilled(kind, r, cat):
                V.append(Violation("skill", where, "provider may not serve this category"))
            if kind == "charity" and (r["kind"] != "funds" or (r["category"] and r["category"] != cat)):
                V.append(Violation("earmark", where, "lot may not fund this program"))
            h = float(a["load"]) / (1 + cfg.costs.travel_overhead_per_km * d) if kind in ("social_worker", "volunteer") else 0.0
        if kind in ("social_worker", "volunteer"):
            hours[(kind, unit, cat)] += h
            person_hours[(kind, pid, unit)] += h
        if kind == "volunteer":
            vol_hours[(unit, bool(r["party_member"]))] += h

    # capacities (organizations: direct load + instances)
    inst_by_org = programs_out.groupby("org_id")["instances"].sum() if len(programs_out) else pd.Series(dtype=float)
    for pid, (kind, r) in prov.items():
        cap = {"social_worker": r.get("hours"), "volunteer": r.get("hours"), "organization": r.get("capacity"),
               "charity": r.get("quantity")}[kind]
        total = used[pid] + (float(inst_by_org.get(pid, 0.0)) if kind == "organization" else 0.0)
        if pd.notna(cap) and total > float(cap) * (1 + tol) + tol:
            V.append(Violation("capacity", f"{kind} {pid}", f"uses {total:.6g} of capacity {float(cap):.6g}"))

    # needs: coverage, guarantees, indivisibility
    for nid, n in needs.iterrows():
        c = covered.get(nid, 0.0)
        q = float(n["quantity"])
        if c > q * (1 + tol) + tol:
            V.append(Violation("coverage", f"need {nid}", f"covered {c:.6g} exceeds need {q:.6g}"))
        if n["tier"] == "guaranteed" and c < q * (1 - tol) - tol:
            V.append(Violation("guarantee", f"need {nid}", f"guaranteed {q:.6g}, covered only {c:.6g}"))
        if n["indivisible"] and c > tol and (len(rows_per_need[nid]) != 1 or not _close(c, q)):
            V.append(Violation("indivisible", f"need {nid}", f"served by {rows_per_need[nid]} covering {c:.6g} of {q:.6g}"))

    # programs
    progs = scenario.programs.set_index("program_id") if len(scenario.programs) else None
    inputs = alloc[(alloc["program_id"] != "") & (alloc["provider_kind"] != "program")]
    for _, p in programs_out.iterrows():
        pid, unit, k = str(p["program_id"]), str(p["unit_id"]), float(p["instances"])
        where = f"program {pid} in {unit}"
        spec = progs.loc[pid]
        if k != round(k) or k < 0:
            V.append(Violation("program", where, f"instances {k} not a whole number"))
        if pd.notna(spec["max_per_unit"]) and k > spec["max_per_unit"] + tol:
            V.append(Violation("program", where, f"{k:g} instances > max_per_unit {spec['max_per_unit']:g}"))
        if len(spec["eligible_units"]) and unit not in spec["eligible_units"]:
            V.append(Violation("program", where, "unit not in the program's eligible_units"))
        if not len(spec["eligible_units"]):
            org = prov[str(spec["org_id"])][1]
            if not reaches(str(spec["org_id"]), "organization", org, unit)[0]:
                V.append(Violation("reach", where, "unit not within the organization's reach"))
        delivered = alloc[(alloc["provider_kind"] == "program") & (alloc["program_id"] == pid) & (alloc["unit_id"] == unit)]["quantity"].sum()
        if delivered > k * float(spec["output_per_instance"]) * (1 + tol) + tol:
            V.append(Violation("program", where, f"delivers {delivered:.6g} > {k:g} x output {spec['output_per_instance']:g}"))
        mine = inputs[(inputs["program_id"] == pid) & (inputs["unit_id"] == unit)]
        for col, kinds in (("worker_hours", ["social_worker"]), ("volunteer_hours", ["volunteer"]), ("funds", ["charity", "budget"])):
            got = mine[mine["provider_kind"].isin(kinds)]
            if col == "funds":
                amount = got["load"].sum()
            else:
                amount = sum(float(r["load"]) / (1 + cfg.costs.travel_overhead_per_km * reaches(
                    str(r["provider_id"]), r["provider_kind"], prov[str(r["provider_id"])][1], unit)[1])
                             for _, r in got.iterrows())
            need = k * float(spec[col] if pd.notna(spec[col]) else 0.0)
            if not _close(amount, need, 1e-6, 1e-5):
                V.append(Violation("program_inputs", where, f"{col}: given {amount:.6g}, needs {need:.6g}"))
        money += float(p["fixed_cost"])

    # linkage rules: each rule's own check (linkage_opt.rules), on what the plan's tables give
    money += float(tables["providers"]["fixed_cost"].sum())
    facts = PlanFacts(units=units, programs=programs_out, money=money, tol=tol, hours=hours, vol_hours=vol_hours,
                      person_hours=person_hours)
    for rule in RULES:
        if rule.active(cfg):
            V.extend(Violation(rule.KEY, where, detail) for where, detail in rule.check(scenario, facts))

    # the summary's figures, recomputed
    if summary is not None:
        cov = tables["coverage"]
        wc = float((cov["weight"] * cov["covered"]).sum())
        if not _close(wc, summary["objective"]["coverage"], 1e-6, 1e-7):
            V.append(Violation("summary", "objective.coverage", f"{summary['objective']['coverage']} != recomputed {wc}"))
        if not _close(money, summary["objective"]["money"], 1e-6, 1e-4):
            V.append(Violation("summary", "objective.money", f"{summary['objective']['money']} != recomputed {money}"))
        eq = recompute_equity(cov, cfg)
        if eq is not None and not _close(eq, summary["objective"]["equity"], 1e-6, 1e-6):
            V.append(Violation("summary", "objective.equity", f"{summary['objective']['equity']} != recomputed {eq}"))
    return V


def recompute_equity(cov: pd.DataFrame, cfg) -> float | None:
    """The equity term from coverage.csv (docs/outputs.md)."""
    g = cov.assign(wn=cov["weight"] * cov["need"], wc=cov["weight"] * cov["covered"]).groupby("unit_id")[["wn", "wc"]].sum()
    g = g[g["wn"] > 0]
    if not len(g):
        return 1.0 if cfg.equity.mode == "maxmin" else 0.0
    ratio = g["wc"] / g["wn"]
    if cfg.equity.mode == "maxmin":
        return float(ratio.min())
    return float(-np.maximum(0.0, cfg.equity.floor - ratio).sum())
