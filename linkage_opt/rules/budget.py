"""The district budget (``rules.budget``, row ``budget``): government-purchase spending (fixed costs, paid
hours, travel, budget-funded program money) stays within ``rules.budget.amount``:
``sum of district money <= amount``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import pandas as pd
from pydantic import Field

from .. import limits
from ..i18n import N_
from .base import INF, NO_AGGREGATION, Aggregation, PlanFacts, RuleSettings, UnmetContext

if TYPE_CHECKING:
    from ..inputs.config import Config
    from ..inputs.scenario import Scenario
    from ..model.linear import LinearModel

KEY = "budget"


class Settings(RuleSettings):
    amount: Annotated[float, Field(ge=0, le=limits.MAX_NUMBER)] | None = None  # yuan; None = unlimited


KEY_DOCS = {
    "enabled": "Cap district spending (fixed costs, paid hours, travel, budget-funded program money).",
    "amount": "District budget in yuan; blank = unlimited.",
}

TEXTS = {
    "name": N_("district budget"),
    "binding": N_("district budget"),
    "conflict": N_("district budget ({amount:,.0f} yuan)"),
}


def active(cfg: Config) -> bool:
    b = cfg.rules.budget
    return bool(b.enabled and b.amount is not None)


def params(cfg: Config) -> dict[str, Any]:
    return {"amount": cfg.rules.budget.amount or 0.0}


def aggregation(scenario: Scenario) -> Aggregation:
    return NO_AGGREGATION


def add_rows(m: LinearModel, scenario: Scenario, P: pd.DataFrame, money: np.ndarray) -> None:
    district_budget(m, money, scenario.config.rules.budget.amount)


def district_budget(m: LinearModel, money: np.ndarray, amount: float) -> None:
    """The one row: ``money @ x <= amount``."""
    cols = np.flatnonzero(money)
    rows = m.add_rows(KEY, pd.DataFrame({"what": ["district_budget"]}), -INF, amount)
    m.add_coefs(np.full(len(cols), rows.start), cols, money[cols])


def check(scenario: Scenario, facts: PlanFacts) -> list[tuple[str, str]]:
    amount = scenario.config.rules.budget.amount
    if facts.money > amount * (1 + facts.tol) + 1e-4:
        return [("district", f"spends {facts.money:.6g} > budget {amount:.6g}")]
    return []


def explains(ctx: UnmetContext, tight: pd.DataFrame) -> bool:
    return bool(len(tight) and (np.any(ctx.rates > 0) or ctx.programs_here))
