"""Party-member volunteers lead by example (``rules.party_share``, rows ``party_share``).

At least share ``rho`` of a unit's volunteer hours are given by party members, per unit with volunteer
service: ``(1 - rho) * party volunteer hours - rho * other volunteer hours >= 0``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import pandas as pd
from pydantic import Field

from ..i18n import N_
from .base import INF, NO_AGGREGATION, Aggregation, PlanFacts, RuleSettings, UnmetContext, service_hours

if TYPE_CHECKING:
    from ..inputs.config import Config
    from ..inputs.scenario import Scenario
    from ..model.linear import LinearModel

KEY = "party_share"


class Settings(RuleSettings):
    min_share: Annotated[float, Field(ge=0, le=1)] = 0.2  # rho: share of a unit's volunteer hours by party members


KEY_DOCS = {
    "enabled": "Party-member volunteers lead by example: the party-member-share rule.",
    "min_share": "`rho`: least share of a unit's volunteer hours given by party members.",
}

TEXTS = {
    "name": N_("party-member share"),
    "binding": N_("party-member share of volunteer hours (at least {rho:.0%})"),
    "conflict": N_("party-member share (at least {rho:.0%} of a unit's volunteer hours by party members)"),
}


def active(cfg: Config) -> bool:
    s = cfg.rules.party_share
    return bool(s.enabled and s.min_share > 0)


def params(cfg: Config) -> dict[str, Any]:
    return {"rho": cfg.rules.party_share.min_share}


def aggregation(scenario: Scenario) -> Aggregation:
    return NO_AGGREGATION  # the party flag already keeps classes and groups apart


def add_rows(m: LinearModel, scenario: Scenario, P: pd.DataFrame, money: np.ndarray) -> None:
    rho = scenario.config.rules.party_share.min_share
    vol = service_hours(m, P, "volunteer")
    if not len(vol):
        return
    units = np.unique(vol["u"].to_numpy())
    rows = m.add_rows(KEY, pd.DataFrame({"u": units, "unit_id": scenario.units["unit_id"].to_numpy()[units]}), 0.0, INF)
    party = vol["party"].to_numpy(bool)
    coef = np.where(party, 1.0 - rho, -rho) * vol["h"].to_numpy(float)
    m.add_coefs(rows.start + np.searchsorted(units, vol["u"].to_numpy()), vol["col"].to_numpy(), coef)


def check(scenario: Scenario, facts: PlanFacts) -> list[tuple[str, str]]:
    rho = scenario.config.rules.party_share.min_share
    out: list[tuple[str, str]] = []
    for unit in facts.units.index:
        party, other = facts.vol_hours[(unit, True)], facts.vol_hours[(unit, False)]
        if party + other > 1e-6 and party < rho * (party + other) - 1e-5:
            out.append(
                (f"unit {unit}", f"party members give {party:.6g} of {party + other:.6g} volunteer hours (< {rho:.0%})")
            )
    return out


def explains(ctx: UnmetContext, tight: pd.DataFrame) -> bool:
    return bool(len(tight) and np.any(ctx.kinds == "volunteer") and np.any(tight["u"].to_numpy() == ctx.u))
