"""Social workers lead volunteers (``rules.supervision``, rows ``supervision``).

In supervised categories, at least one social-worker hour per ``k`` volunteer hours in each unit:
``k * (worker hours in u, c) - (volunteer hours in u, c) >= 0``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import pandas as pd
from pydantic import Field

from .. import limits
from ..i18n import N_
from .base import INF, NO_AGGREGATION, Aggregation, PlanFacts, RuleSettings, UnmetContext, service_hours

if TYPE_CHECKING:
    from ..inputs.config import Config
    from ..inputs.scenario import Scenario
    from ..model.linear import LinearModel

KEY = "supervision"


class Settings(RuleSettings):
    # k: at least 1 worker-hour per k volunteer-hours
    volunteer_hours_per_worker_hour: Annotated[float, Field(gt=0, le=limits.MAX_NUMBER)] = 10.0
    categories: list[str] | None = None  # default: the professional categories


KEY_DOCS = {
    "enabled": "Social workers lead volunteers: the supervision-ratio rule.",
    "volunteer_hours_per_worker_hour": "`k`: at least one social-worker hour per `k` volunteer hours in a unit and supervised category.",
    "categories": "Supervised categories (default: the professional ones).",
}

TEXTS = {
    "name": N_("supervision ratio"),
    "binding": N_("supervision ratio in {category} (1 social-worker hour per {k:g} volunteer hours)"),
    "conflict": N_("supervision ratio (at least 1 social-worker hour per {k:g} volunteer hours in {cats})"),
}


def active(cfg: Config) -> bool:
    return bool(cfg.rules.supervision.enabled)


def params(cfg: Config) -> dict[str, Any]:
    return {
        "k": cfg.rules.supervision.volunteer_hours_per_worker_hour,
        "cats": ", ".join(cfg.supervised_categories) or "-",
    }


def aggregation(scenario: Scenario) -> Aggregation:
    return NO_AGGREGATION


def add_rows(m: LinearModel, scenario: Scenario, P: pd.DataFrame, money: np.ndarray) -> None:
    cfg = scenario.config
    supervised = cfg.supervised_categories
    if not supervised:
        return
    k = cfg.rules.supervision.volunteer_hours_per_worker_hour
    vol = service_hours(m, P, "volunteer")
    vol = vol[vol["category"].isin(supervised)]
    if not len(vol):
        return
    keys = vol[["u", "category"]].drop_duplicates().sort_values(["u", "category"]).reset_index(drop=True)
    rows = m.add_rows(KEY, keys.assign(unit_id=scenario.units["unit_id"].to_numpy()[keys["u"]]), 0.0, INF)
    idx = pd.MultiIndex.from_frame(keys)
    m.add_coefs(
        rows.start + idx.get_indexer(pd.MultiIndex.from_frame(vol[["u", "category"]])),
        vol["col"].to_numpy(),
        -vol["h"].to_numpy(float),
    )
    wk = service_hours(m, P, "social_worker")
    r = idx.get_indexer(pd.MultiIndex.from_frame(wk[["u", "category"]])) if len(wk) else np.zeros(0, np.int64)
    keep = r >= 0
    m.add_coefs(rows.start + r[keep], wk["col"].to_numpy()[keep], k * wk["h"].to_numpy(float)[keep])


def check(scenario: Scenario, facts: PlanFacts) -> list[tuple[str, str]]:
    cfg = scenario.config
    k = cfg.rules.supervision.volunteer_hours_per_worker_hour
    out: list[tuple[str, str]] = []
    for unit in facts.units.index:
        for cat in cfg.supervised_categories:
            vh = facts.hours[("volunteer", unit, cat)]
            wh = facts.hours[("social_worker", unit, cat)]
            if vh > k * wh * (1 + facts.tol) + 1e-5:
                out.append(
                    (f"unit {unit} {cat}", f"{vh:.6g} volunteer hours need >= {vh / k:.6g} worker hours, got {wh:.6g}")
                )
    return out


def explains(ctx: UnmetContext, tight: pd.DataFrame) -> bool:
    if not len(tight) or not np.any(ctx.kinds == "volunteer"):
        return False
    return bool(np.any((tight["u"].to_numpy() == ctx.u) & (tight["category"].to_numpy() == ctx.category)))
