"""A cap on one volunteer's hours in one unit (``rules.max_hours_per_unit``, rows ``max_hours_per_unit``).

No volunteer gives more than ``hours`` hours of service in any one unit (direct service, program inputs
and carried indivisible cases together; service hours, as in the other linkage rules, travel overhead not
counted). The model pools people, so the row is per provider class ``p`` of ``n_p`` members and unit ``u``:

    sum of p's service hours in u  <=  n_p * hours

Exact, because :meth:`aggregation` keeps the members of a class identical (same hours as well), keeps
flows per class (no pooling of classes into groups) and makes the plan spread a class's flows evenly
over its members, so each member gives ``1/n_p`` of the class's hours in every unit; volunteers who could
carry an indivisible need stay individual (a case is one member's, and cases do not split evenly).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import pandas as pd
from pydantic import Field

from .. import limits
from ..i18n import N_
from ..schema import GENERAL
from .base import NO_AGGREGATION, Aggregation, PlanFacts, RuleSettings, UnmetContext, service_hours

if TYPE_CHECKING:
    from ..inputs.config import Config
    from ..inputs.scenario import Scenario
    from ..model.linear import LinearModel

KEY = "max_hours_per_unit"


class Settings(RuleSettings):
    hours: Annotated[float, Field(gt=0, le=limits.MAX_NUMBER)] | None = None  # None = no cap


KEY_DOCS = {
    "enabled": "Cap the hours one volunteer gives in one unit.",
    "hours": "Most service hours one volunteer gives in any one unit (direct service, program inputs and carried cases together); blank = no cap.",
}

TEXTS = {
    "name": N_("a volunteer's hours per unit"),
    "binding": N_("the cap of {hours:g} hours per volunteer in a unit"),
    "conflict": N_("hours cap per volunteer and unit (at most {hours:g} hours of one volunteer in a unit)"),
}


def active(cfg: Config) -> bool:
    s = cfg.rules.max_hours_per_unit
    return bool(s.enabled and s.hours is not None)


def params(cfg: Config) -> dict[str, Any]:
    return {"hours": cfg.rules.max_hours_per_unit.hours or 0.0}


def aggregation(scenario: Scenario) -> Aggregation:
    cfg = scenario.config
    if not active(cfg):
        return NO_AGGREGATION
    N = scenario.needs
    ind = N[N["indivisible"].astype(bool) & (N["quantity"].astype(float) > 0)] if len(N) else N
    cats = set(ind["category"].astype(str)) if len(ind) else set()
    carriers: set[str] = set()
    if cats:
        general = any(
            cfg.categories[c].funds_per_unit is None
            and not cfg.categories[c].items
            and not cfg.categories[c].professional
            for c in cats
            if c in cfg.categories
        )
        for vid, skills in zip(scenario.volunteers["volunteer_id"].astype(str), scenario.volunteers["skills"]):
            sk = set(skills)
            if sk & cats or (general and GENERAL in sk):
                carriers.add(vid)
    return Aggregation(attributes=("capacity",), individual=frozenset(carriers), per_class=True)


def add_rows(m: LinearModel, scenario: Scenario, P: pd.DataFrame, money: np.ndarray) -> None:
    cap = scenario.config.rules.max_hours_per_unit.hours
    vol = service_hours(m, P, "volunteer")
    if not len(vol):
        return
    if np.any(vol["p"].to_numpy() < 0):
        raise AssertionError("max_hours_per_unit needs volunteers' flows per class (Aggregation.per_class)")
    keys = vol[["p", "u"]].drop_duplicates().sort_values(["p", "u"]).reset_index(drop=True)
    n = P["n_members"].to_numpy(float)[keys["p"].to_numpy()]
    keys = keys.assign(
        provider_id=[ms[0] for ms in P["members"].to_numpy()[keys["p"].to_numpy()]],
        unit_id=scenario.units["unit_id"].to_numpy()[keys["u"].to_numpy()],
    )
    rows = m.add_rows(KEY, keys, -np.inf, n * cap)
    idx = pd.MultiIndex.from_frame(keys[["p", "u"]])
    m.add_coefs(
        rows.start + idx.get_indexer(pd.MultiIndex.from_frame(vol[["p", "u"]])),
        vol["col"].to_numpy(),
        vol["h"].to_numpy(float),
    )


def check(scenario: Scenario, facts: PlanFacts) -> list[tuple[str, str]]:
    cap = scenario.config.rules.max_hours_per_unit.hours
    out: list[tuple[str, str]] = []
    for (kind, pid, unit), h in sorted(facts.person_hours.items()):
        if kind == "volunteer" and h > cap * (1 + facts.tol) + 1e-5:
            out.append((f"volunteer {pid} in unit {unit}", f"gives {h:.6g} hours > {cap:g}"))
    return out


def explains(ctx: UnmetContext, tight: pd.DataFrame) -> bool:
    if not len(tight):
        return False
    here = tight["u"].to_numpy() == ctx.u
    return bool(np.any(here & np.isin(tight["p"].to_numpy(), ctx.classes[ctx.kinds == "volunteer"])))
