"""The five-community linkage rules (五社联动), each switchable and parameterised in the config.

One function per rule; each adds one labelled row block to the model:

* :func:`supervision_ratio`   -- social workers lead volunteers: in supervised categories, at least one
  worker-hour per ``k`` volunteer-hours in each unit (``rules.supervision``, rows ``supervision``);
* :func:`party_member_share`  -- party-member volunteers lead by example: at least share ``rho`` of a
  unit's volunteer hours (``rules.party_share``, rows ``party_share``);
* ``party_capacity`` (the package's :mod:`linkage_opt.rules.party_capacity`) -- a unit's party branch coordinates at most ``party_capacity``
  program instances (``rules.party_capacity``);
* ``budget`` (the package's :func:`linkage_opt.rules.budget.district_budget`) -- government-purchase spending (fixed costs, paid hours, travel,
  budget-funded program money) stays within ``rules.budget.amount``.

Eligibility rules (goods lots only serve categories that use their item, earmarks) live in
:mod:`linkage_opt.model.reach`; the preference for expiring lots is part of the cost term in
:mod:`linkage_opt.model.formulation`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage_opt.inputs.scenario import Scenario
from linkage_opt.model.linear import LinearModel
from linkage_opt.rules.budget import district_budget  # unchanged by the new model
from linkage_opt.rules.party_capacity import add_rows as party_capacity_rows

INF = np.inf


def add_all(m: LinearModel, scenario: Scenario, P: pd.DataFrame, money: np.ndarray) -> None:
    r = scenario.config.rules
    if r.supervision.enabled:
        supervision_ratio(m, scenario, P)
    if r.party_share.enabled and r.party_share.min_share > 0:
        party_member_share(m, scenario, P)
    if r.party_capacity.enabled:
        party_capacity_rows(m, scenario, P, money)
    if r.budget.enabled and r.budget.amount is not None:
        district_budget(m, money, r.budget.amount)


def service_hours(m: LinearModel, P: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Columns giving hours of service by providers of one kind, with (u, category, p) and hours per unit of column."""
    kinds = P["kind"].to_numpy()
    parts = []
    x = m.var("x")
    if x.size:
        sel = np.flatnonzero(kinds[x.index["p"].to_numpy()] == kind)
        ix = x.index.iloc[sel]
        parts.append(
            pd.DataFrame(
                {
                    "col": x.ids[sel],
                    "u": ix["u"].to_numpy(),
                    "category": ix["category"].to_numpy(),
                    "p": ix["p"].to_numpy(),
                    "h": (ix["hours"] * ix["q"]).to_numpy(float),
                }
            )
        )
    block = m.var({"social_worker": "w_in", "volunteer": "v_in"}[kind])
    if block.size:
        parts.append(
            pd.DataFrame(
                {
                    "col": block.ids,
                    "u": block.index["u"].to_numpy(),
                    "category": block.index["category"].to_numpy(),
                    "p": block.index["p"].to_numpy(),
                    "h": 1.0,
                }
            )
        )
    if not parts:
        return pd.DataFrame({"col": [], "u": [], "category": [], "p": [], "h": []})
    out = pd.concat(parts, ignore_index=True)
    return out[out["h"] > 0]


def supervision_ratio(m: LinearModel, scenario: Scenario, P: pd.DataFrame) -> None:
    """k * (worker hours in u, c) - (volunteer hours in u, c) >= 0  for supervised categories c."""
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
    rows = m.add_rows("supervision", keys.assign(unit_id=scenario.units["unit_id"].to_numpy()[keys["u"]]), 0.0, INF)
    idx = pd.MultiIndex.from_frame(keys)
    m.add_coefs(rows.start + idx.get_indexer(pd.MultiIndex.from_frame(vol[["u", "category"]])), vol["col"], -vol["h"])
    wk = service_hours(m, P, "social_worker")
    r = idx.get_indexer(pd.MultiIndex.from_frame(wk[["u", "category"]])) if len(wk) else np.zeros(0, np.int64)
    keep = r >= 0
    m.add_coefs(rows.start + r[keep], wk["col"].to_numpy()[keep], k * wk["h"].to_numpy(float)[keep])


def party_member_share(m: LinearModel, scenario: Scenario, P: pd.DataFrame) -> None:
    """(1 - rho) * party volunteer hours - rho * other volunteer hours >= 0, per unit with volunteer service."""
    rho = scenario.config.rules.party_share.min_share
    vol = service_hours(m, P, "volunteer")
    if not len(vol):
        return
    units = np.unique(vol["u"].to_numpy())
    rows = m.add_rows(
        "party_share", pd.DataFrame({"u": units, "unit_id": scenario.units["unit_id"].to_numpy()[units]}), 0.0, INF
    )
    party = P["party"].to_numpy()[vol["p"].to_numpy()]
    coef = np.where(party, 1.0 - rho, -rho) * vol["h"].to_numpy(float)
    m.add_coefs(rows.start + np.searchsorted(units, vol["u"].to_numpy()), vol["col"], coef)
