"""The five-community linkage rules (五社联动): one module per rule, one registry.

:data:`RULES` lists the rules in order; the formulation (:func:`add_all`), the config schema
(``rules.<key>``), aggregation (:func:`aggregation`), the independent check, ``explain``, ``diagnose``
and the rule of thumb's report all loop over it. A rule's config key, its row block and its module
share one name; what a rule module provides is :class:`~linkage_opt.rules.base.Rule`.

* :mod:`.supervision`        -- social workers lead volunteers (supervision ratio);
* :mod:`.party_share`        -- party-member volunteers lead by example (share of volunteer hours);
* :mod:`.party_capacity`     -- a unit's party branch coordinates at most ``party_capacity`` instances;
* :mod:`.budget`             -- district spending within ``rules.budget.amount``;
* :mod:`.max_hours_per_unit` -- no volunteer gives more than ``hours`` in one unit.

To add a rule: write one module here (copy the smallest, :mod:`.party_capacity`), add it to
:data:`RULES`, test it (``tests/rules/test_registry.py``) and give its texts (``TEXTS``, English message
ids) their Chinese in the catalog; see docs/model.md, "How to add a rule".
Eligibility rules (goods lots only serve categories that use their item, earmarks) live in
:mod:`linkage_opt.model.reach`; the preference for expiring lots (``rules.expiry``) is part of the cost term
in :mod:`linkage_opt.model.formulation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..i18n import ByLang, Msg
from . import budget, max_hours_per_unit, party_capacity, party_share, supervision
from .base import NO_AGGREGATION, Aggregation, PlanFacts, Rule, RuleSettings, UnmetContext, service_hours

if TYPE_CHECKING:
    from ..inputs.config import Config
    from ..inputs.scenario import Scenario
    from ..model.linear import LinearModel

RULES: tuple[Rule, ...] = (supervision, party_share, party_capacity, budget, max_hours_per_unit)
BY_KEY: dict[str, Rule] = {r.KEY: r for r in RULES}

__all__ = [
    "BY_KEY",
    "NO_AGGREGATION",
    "RULES",
    "Aggregation",
    "PlanFacts",
    "Rule",
    "RuleSettings",
    "UnmetContext",
    "active_rules",
    "add_all",
    "aggregation",
    "msg",
    "service_hours",
    "text",
]


def active_rules(cfg: Config) -> list[Rule]:
    return [r for r in RULES if r.active(cfg)]


def add_all(m: LinearModel, scenario: Scenario, P: pd.DataFrame, money: np.ndarray) -> None:
    """Every active rule's row block."""
    for rule in active_rules(scenario.config):
        rule.add_rows(m, scenario, P, money)


def aggregation(scenario: Scenario) -> Aggregation:
    """What the active rules together need kept apart when identical providers are merged."""
    out = NO_AGGREGATION
    for rule in active_rules(scenario.config):
        out = out | rule.aggregation(scenario)
    return out


def msg(rule: Rule, what: str, cfg: Config, **extra: object) -> Msg:
    """One of a rule's texts (``name``, ``binding``, ``conflict``) as a message filled in with
    ``params(config)`` and ``extra``, rendered in the reader's language where it is shown."""
    return Msg(rule.TEXTS[what], **rule.params(cfg), **extra)


def text(rule: Rule, what: str, cfg: Config, lang: str = "en", **extra: object) -> str:
    """One of a rule's texts in a language, filled in (:func:`msg` rendered). ``category_zh``, for callers
    that still pass a category's Chinese label beside ``category``, becomes the category's Chinese word."""
    if "category_zh" in extra:
        zh = str(extra.pop("category_zh"))
        extra["category"] = ByLang({"en": str(extra.get("category", zh)), "zh": zh})
    return msg(rule, what, cfg, **extra).render(lang)
