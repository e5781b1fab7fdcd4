"""What earlier periods pass to this one: carry-over, multi-month equity and stable pairings.

* **Carry-over** (config ``carry_over``): each need of an earlier period's plan in the listed tiers
  that was left unmet comes back as a new need row of the same unit, category and tier, for at most
  ``cap`` times its original quantity (an indivisible row comes back whole, or not at all when
  ``cap < 1``). Only the most recent period is carried, so nothing is carried twice.
* **Multi-month equity**: over the last ``months`` periods, a unit's cumulative weighted shortfall
  ratio ``S_u = Σ weight·unmet / Σ weight·need`` raises the priority of all its needs by the factor
  ``1 + shortfall_boost · S_u`` (column ``history_multiplier`` of the units table, read by
  :func:`linkage_opt.model.formulation.weighted_needs`).
* **Stability** (config ``stability``): the (provider, unit) pairings of the previous published plan
  are passed to the model, which charges ``penalty_per_hour`` per hour a volunteer or social worker
  gives in a *new* pairing (cost stage) and optionally caps the number of new pairings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .scenario import Scenario

PEOPLE = ("social_worker", "volunteer")


@dataclass(frozen=True)
class History:
    previous_allocations: pd.DataFrame | None = None  # allocations.csv of the previous plan
    past_coverage: list[tuple[str, pd.DataFrame]] = field(default_factory=list)  # (period, coverage.csv), newest first

    def previous_pairs(self) -> pd.DataFrame:
        """(provider_id, unit_id) pairs served by volunteers and social workers in the previous plan."""
        a = self.previous_allocations
        if a is None or not len(a):
            return pd.DataFrame({"provider_id": pd.Series([], dtype=object), "unit_id": pd.Series([], dtype=object)})
        a = a[a["provider_kind"].isin(PEOPLE) & (a["load"].astype(float) > 1e-9)]
        return (
            a[["provider_id", "unit_id"]]
            .astype(str)
            .drop_duplicates()
            .sort_values(["provider_id", "unit_id"])
            .reset_index(drop=True)
        )


def apply_history(scenario: Scenario, history: History | None) -> Scenario:
    """Carry-over rows and the multi-month priority multiplier (no-op when carry_over is off)."""
    cfg = scenario.config.carry_over
    if history is None or not cfg.enabled or not history.past_coverage:
        return scenario
    units = scenario.units.copy()
    needs = scenario.needs.copy()
    unit_ids = set(units["unit_id"].astype(str))
    cats = set(scenario.config.categories)

    # carry-over from the most recent period
    period, cov = history.past_coverage[0]
    cov = cov.copy()
    cov["need_id"] = cov["need_id"].astype(str)
    prev_needs = dict(zip(scenario.needs["need_id"].astype(str), scenario.needs["indivisible"]))
    short = cov[
        cov["tier"].isin(cfg.tiers)
        & (cov["unmet"].astype(float) > 1e-9)
        & cov["unit_id"].astype(str).isin(unit_ids)
        & cov["category"].astype(str).isin(cats)
    ]
    rows = []
    for r in short.itertuples(index=False):
        need, unmet = float(r.need), float(r.unmet)
        indivisible = bool(prev_needs.get(str(r.need_id).split("@")[0], False)) and unmet >= need - 1e-9
        qty = unmet if indivisible else min(unmet, cfg.cap * need)
        if indivisible and cfg.cap < 1:
            continue
        if qty <= 1e-9:
            continue
        rows.append(
            {
                "need_id": f"{r.need_id}@{period}",
                "unit_id": str(r.unit_id),
                "category": str(r.category),
                "quantity": qty,
                "tier": str(r.tier),
                "indivisible": indivisible,
            }
        )
    if rows:
        extra = pd.DataFrame(rows)
        extra = extra[~extra["need_id"].isin(set(needs["need_id"].astype(str)))]
        needs = pd.concat([needs, extra.reindex(columns=needs.columns)], ignore_index=True)
        needs["indivisible"] = needs["indivisible"].fillna(False).astype(bool)

    # multi-month equity: cumulative weighted shortfall per unit
    window = history.past_coverage[: cfg.months]
    parts = [
        c.assign(
            wn=c["weight"].astype(float) * c["need"].astype(float),
            wu=c["weight"].astype(float) * c["unmet"].astype(float),
        )[["unit_id", "wn", "wu"]]
        for _, c in window
    ]
    agg = pd.concat(parts).astype({"unit_id": str}).groupby("unit_id")[["wn", "wu"]].sum()
    ratio = (agg["wu"] / agg["wn"].where(agg["wn"] > 0)).fillna(0.0)
    mult = 1.0 + cfg.shortfall_boost * units["unit_id"].astype(str).map(ratio).fillna(0.0).to_numpy(float)
    units["history_multiplier"] = mult
    return scenario.replace(units=units, needs=needs)


def pairing_changes(previous: pd.DataFrame, allocations: pd.DataFrame, scenario: Scenario) -> dict:
    """Pairings kept and changed against the previous plan, each change with its reason."""
    prev = set(map(tuple, previous[["provider_id", "unit_id"]].astype(str).to_numpy())) if len(previous) else set()
    a = allocations[allocations["provider_kind"].isin(PEOPLE) & (allocations["load"].astype(float) > 1e-9)]
    now = set(map(tuple, a[["provider_id", "unit_id"]].astype(str).to_numpy()))
    present = set(scenario.volunteers["volunteer_id"].astype(str)) | set(
        scenario.social_workers["worker_id"].astype(str)
    )
    changes = []
    for pid, uid in sorted(prev - now):
        if pid not in present:
            why = "provider not available this period"
        elif not ((a["provider_id"] == pid).any()):
            why = "provider's hours not needed or not usable this period"
        else:
            why = "provider's hours went to needs of higher priority elsewhere"
        changes.append({"provider_id": pid, "unit_id": uid, "change": "ended", "reason": why})
    prev_providers = {p for p, _ in prev}
    for pid, uid in sorted(now - prev):
        why = "new provider" if pid not in prev_providers else "unit's need could not be met by its earlier providers"
        changes.append({"provider_id": pid, "unit_id": uid, "change": "new", "reason": why})
    return {
        "kept": len(prev & now),
        "changed": len(changes),
        "ended": len(prev - now),
        "new": len(now - prev),
        "changes": changes,
    }
