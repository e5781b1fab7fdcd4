"""A unit's party branch coordinates at most ``party_capacity`` program instances (``rules.party_capacity``,
rows ``party_capacity``): ``sum of program instances in unit u <= party_capacity[u]`` where given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..i18n import N_
from .base import INF, NO_AGGREGATION, Aggregation, PlanFacts, RuleSettings, UnmetContext

if TYPE_CHECKING:
    from ..inputs.config import Config
    from ..inputs.scenario import Scenario
    from ..model.linear import LinearModel

KEY = "party_capacity"


class Settings(RuleSettings):
    pass


KEY_DOCS = {
    "enabled": "A unit's party branch coordinates at most `party_capacity` program instances.",
}

TEXTS = {
    "name": N_("party-branch capacity"),
    "binding": N_("party-branch capacity for program instances"),
    "conflict": N_("party-branch capacity (program instances a unit's party branch can coordinate)"),
}


def active(cfg: Config) -> bool:
    return bool(cfg.rules.party_capacity.enabled)


def params(cfg: Config) -> dict[str, Any]:
    return {}


def aggregation(scenario: Scenario) -> Aggregation:
    return NO_AGGREGATION


def add_rows(m: LinearModel, scenario: Scenario, P: pd.DataFrame, money: np.ndarray) -> None:
    y = m.var("y")
    if not y.size:
        return
    pc = scenario.units["party_capacity"].to_numpy(float)
    u = y.index["u"].to_numpy()
    limited = np.unique(u[np.isfinite(pc[u])])
    if not len(limited):
        return
    rows = m.add_rows(
        KEY, pd.DataFrame({"u": limited, "unit_id": scenario.units["unit_id"].to_numpy()[limited]}), -INF, pc[limited]
    )
    sel = np.flatnonzero(np.isin(u, limited))
    m.add_coefs(rows.start + np.searchsorted(limited, u[sel]), y.ids[sel], 1.0)


def check(scenario: Scenario, facts: PlanFacts) -> list[tuple[str, str]]:
    if not len(facts.programs):
        return []
    out: list[tuple[str, str]] = []
    for unit, inst in facts.programs.groupby("unit_id")["instances"].sum().items():
        cap = float(facts.units["party_capacity"].get(unit, np.nan))
        if np.isfinite(cap) and inst > cap + facts.tol:
            out.append((f"unit {unit}", f"{inst:g} instances > {cap:g}"))
    return out


def explains(ctx: UnmetContext, tight: pd.DataFrame) -> bool:
    return bool(len(tight) and ctx.programs_here and np.any(tight["u"].to_numpy() == ctx.u))
