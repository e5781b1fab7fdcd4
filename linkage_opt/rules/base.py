"""What every linkage rule provides (:class:`Rule`), and the pieces rules share.

A rule is one module of :mod:`linkage_opt.rules` named by its config key (``rules.<key>`` in the YAML);
the row block it adds to the model has the same name, and so does every violation, repair and text
about it. The module provides, as module-level names (a module satisfies the :class:`Rule` protocol):

``KEY``          config key = row block name = module name
``Settings``     its pydantic settings model (a :class:`RuleSettings`, so ``enabled`` is always there)
``KEY_DOCS``     what each setting means (rendered into ``docs/data.md``)
``TEXTS``        its texts as English message ids marked with ``N_`` (their Chinese is in the catalog,
                 ``linkage_opt/locale/zh/LC_MESSAGES/linkage_opt.po``): ``name`` (the planner's words),
                 ``binding`` (why an unmet need is not served, ``explain``), ``conflict`` (a rule in
                 a conflict of guarantees, ``diagnose``); made messages by ``rules.msg`` with
                 ``params(config)``
``active``       whether it adds rows under a config
``params``       the values its texts quote
``aggregation``  what it needs kept apart when identical providers are merged (:class:`Aggregation`)
``add_rows``     its row block
``check``        the independent check from a plan's tables (:class:`PlanFacts`), no model involved
``explains``     whether one of its tight rows explains a need left unmet (:class:`UnmetContext`)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from ..inputs.config import Config
    from ..inputs.scenario import Scenario
    from ..model.linear import LinearModel

INF = np.inf
TEXT_KINDS = ("name", "binding", "conflict")


class RuleSettings(BaseModel):
    """A rule's settings: strict like the rest of the config (unknown keys are errors, no NaN)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    enabled: bool = True


@dataclass(frozen=True)
class Aggregation:
    """What a rule needs of the merging of identical providers (:func:`linkage_opt.model.reach.aggregate_providers`).

    ``attributes``  provider columns whose values members of one class must share (besides the usual ones);
    ``individual``  provider ids kept out of classes altogether;
    ``per_class``   people's flows stay per provider class (no pooling of classes into groups), and the plan
                    spreads a class's flows evenly over its members (identical by ``attributes``), so that
                    a per-person limit on the class's rows (``n x limit``) holds for every member.
    """

    attributes: tuple[str, ...] = ()
    individual: frozenset[str] = frozenset()
    per_class: bool = False

    def __or__(self, other: Aggregation) -> Aggregation:
        return Aggregation(
            tuple(dict.fromkeys(self.attributes + other.attributes)),
            self.individual | other.individual,
            self.per_class or other.per_class,
        )


NO_AGGREGATION = Aggregation()


@dataclass
class PlanFacts:
    """What the independent check (:mod:`linkage_opt.solving.check`) derived from a plan's tables, for the rules."""

    units: pd.DataFrame  # the scenario's units, indexed by unit_id
    programs: pd.DataFrame  # programs.csv of the plan
    money: float  # district money the plan spends
    tol: float
    hours: dict = field(default_factory=lambda: defaultdict(float))  # (kind, unit, category) -> service hours
    vol_hours: dict = field(default_factory=lambda: defaultdict(float))  # (unit, party member?) -> volunteer hours
    person_hours: dict = field(default_factory=lambda: defaultdict(float))  # (kind, provider_id, unit) -> service hours


@dataclass
class UnmetContext:
    """A need left unmet while eligible capacity is left: what ``explain`` asks each rule about."""

    u: int  # the need's unit (position)
    category: str
    kinds: np.ndarray  # kinds of the eligible provider classes with capacity left
    classes: np.ndarray  # those classes (positions in the provider frame)
    rates: np.ndarray  # their hourly rates
    programs_here: bool  # a program may run in the unit for the category


class Rule(Protocol):
    # read-only members (a module's names satisfy them; ``Settings`` may be any RuleSettings subclass)
    @property
    def KEY(self) -> str: ...

    @property
    def Settings(self) -> type[RuleSettings]: ...

    @property
    def KEY_DOCS(self) -> dict[str, str]: ...

    @property
    def TEXTS(self) -> dict[str, str]: ...  # TEXT_KINDS -> English message id

    def active(self, cfg: Config) -> bool: ...

    def params(self, cfg: Config) -> dict[str, Any]: ...

    def aggregation(self, scenario: Scenario) -> Aggregation: ...

    def add_rows(self, m: LinearModel, scenario: Scenario, P: pd.DataFrame, money: np.ndarray) -> None: ...

    def check(self, scenario: Scenario, facts: PlanFacts) -> list[tuple[str, str]]: ...

    def explains(self, ctx: UnmetContext, tight: pd.DataFrame) -> bool: ...


def settings(cfg: Config, key: str) -> Any:
    """The settings of rule ``key`` in a config."""
    return getattr(cfg.rules, key)


def service_hours(m: LinearModel, P: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Columns giving hours of service by providers of one kind: ``col, p, u, category, party, h`` with ``h``
    the service hours per unit of the column (direct service ``x`` and carried cases ``xi``: the category's
    hours per unit of need; people's ``x`` is in hours, direct service and program inputs alike: 1). ``p``
    is the provider class, -1 for a pool's flow shared by several classes."""
    parts = []
    for name in ("x", "xi"):
        b = m.var(name)
        if not b.size:
            continue
        ix = b.index
        sel = np.flatnonzero(ix["kind"].to_numpy() == kind)
        ix = ix.iloc[sel]
        h = (ix["hours"] * ix["q"]).to_numpy(float) if "hours" in ix else np.ones(len(sel))
        parts.append(
            pd.DataFrame(
                {
                    "col": b.ids[sel],
                    "p": ix["p"].to_numpy(np.int64),
                    "u": ix["u"].to_numpy(),
                    "category": ix["category"].to_numpy(),
                    "party": ix["party"].to_numpy(bool),
                    "h": h,
                }
            )
        )
    if not parts:
        return pd.DataFrame({"col": [], "p": [], "u": [], "category": [], "party": [], "h": []})
    out = pd.concat(parts, ignore_index=True)
    return out[out["h"] > 0]
