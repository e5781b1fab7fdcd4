"""What-if variants: change a table column or a config value, re-plan, compare with the base plan.

A change is written ``TARGET OP VALUE`` with OP one of ``=``, ``*=``, ``+=``:

* a table column, optionally filtered: ``volunteers.hours*=1.1``,
  ``volunteers[home_unit=U03].hours+=4``, ``needs[category=elderly_care].quantity*=1.2``;
* a config value by its dotted path: ``categories.elderly_care.weight=0.4``,
  ``rules.budget.amount=300000``, ``rules.party_share.enabled=false``.

Each ``--set`` is one variant; ``combine=True`` adds one more variant with all changes together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import yaml

from ..errors import InfeasibleError, Problem, ValidationError
from ..i18n import Msg
from ..inputs.config import Config
from ..inputs.scenario import Scenario
from ..schema import TABLES
from .compare import yardstick

_CHANGE = re.compile(r"^\s*(?P<target>(?:[^=*+\[\s]|\[[^\]]*\])+?)\s*(?P<op>\*=|\+=|=)\s*(?P<value>.+?)\s*$")
_FILTER = re.compile(r"^(?P<table>\w+)(\[(?P<col>\w+)=(?P<val>[^\]]+)\])?\.(?P<column>\w+)$")

METRICS = [
    ("weighted_coverage", "weighted coverage", "{:.2%}"),
    ("guaranteed_met", "guaranteed needs met", "{:.0f}"),
    ("min_unit_ratio", "lowest unit ratio", "{:.2%}"),
    ("units_below_equity_floor", "units below floor", "{:.0f}"),
    ("idle_hours", "idle hours", "{:,.1f}"),
    ("money", "money (yuan)", "{:,.0f}"),
]


@dataclass(frozen=True)
class Change:
    text: str
    target: str
    op: str
    value: str


def parse_change(text: str) -> Change:
    m = _CHANGE.match(text)
    if not m:
        raise ValidationError(
            [
                Problem(
                    "--set",
                    None,
                    None,
                    Msg("cannot read the change {text!r}", text=text),
                    hint=Msg(
                        "write TARGET=VALUE, TARGET*=FACTOR or TARGET+=AMOUNT, e.g. volunteers.hours*=1.1 or categories.elderly_care.weight=0.4"
                    ),
                )
            ]
        )
    return Change(text, m["target"], m["op"], m["value"])


def _number(change: Change) -> float:
    try:
        return float(change.value)
    except ValueError:
        raise ValidationError(
            [
                Problem(
                    "--set",
                    None,
                    None,
                    Msg("{text!r}: {value!r} is not a number", text=change.text, value=change.value),
                    hint=Msg("*= and += take a number"),
                )
            ]
        ) from None


def apply_change(scenario: Scenario, change: Change) -> Scenario:
    m = _FILTER.match(change.target)
    if m and m["table"] in TABLES:
        return _apply_table(scenario, change, m)
    return _apply_config(scenario, change)


def _apply_table(scenario: Scenario, change: Change, m: re.Match) -> Scenario:
    table, column = m["table"], m["column"]
    frame = scenario.tables[table].copy()
    spec = TABLES[table]
    if column not in frame.columns:
        import difflib

        close = difflib.get_close_matches(column, list(frame.columns), n=1)
        raise ValidationError(
            [
                Problem(
                    "--set",
                    None,
                    None,
                    Msg(
                        "{text!r}: table {table} has no column {column!r}", text=change.text, table=table, column=column
                    ),
                    hint=Msg("did you mean {close!r}?", close=close[0]) if close else Msg("see docs/data.md"),
                )
            ]
        )
    rows = np.ones(len(frame), bool)
    if m["col"]:
        if m["col"] not in frame.columns:
            raise ValidationError(
                [
                    Problem(
                        "--set",
                        None,
                        None,
                        Msg("{text!r}: no column {m!r} to filter on", text=change.text, m=m["col"]),
                        hint=Msg("filter as table[column=value].column"),
                    )
                ]
            )
        rows = frame[m["col"]].astype(str).to_numpy() == m["val"]
        if not rows.any():
            raise ValidationError(
                [
                    Problem(
                        "--set",
                        None,
                        None,
                        Msg(
                            "{text!r}: no {table} row has {m}={m2}",
                            text=change.text,
                            table=table,
                            m=m["col"],
                            m2=m["val"],
                        ),
                        hint=Msg("check the id"),
                    )
                ]
            )
    col_type = next((c.type for c in spec.columns if c.name == column), "str")
    if change.op == "=":
        if col_type in ("float", "int"):
            value: object = _number(change)
        elif col_type == "bool":
            value = change.value.strip().lower() in ("1", "true", "yes", "是")
        else:
            value = change.value
        frame.loc[rows, column] = value
    else:
        if col_type not in ("float", "int"):
            raise ValidationError(
                [
                    Problem(
                        "--set",
                        None,
                        None,
                        Msg("{text!r}: {table}.{column} is not numeric", text=change.text, table=table, column=column),
                        hint=Msg("*= and += apply to numeric columns"),
                    )
                ]
            )
        num = _number(change)
        vals = frame[column].to_numpy(float)
        frame[column] = np.where(rows, vals * num if change.op == "*=" else vals + num, vals)
        lo = next((c.min for c in spec.columns if c.name == column), None)
        if lo is not None and (frame[column] < lo).any():
            raise ValidationError(
                [
                    Problem(
                        "--set",
                        None,
                        None,
                        Msg("{text!r} makes {table}.{column} negative", text=change.text, table=table, column=column),
                        hint=Msg("{column} must be >= {lo:g}", column=column, lo=lo),
                    )
                ]
            )
    return scenario.replace(**{table: frame})


def _apply_config(scenario: Scenario, change: Change) -> Scenario:
    raw = scenario.config.model_dump(mode="json")
    keys = change.target.split(".")
    node = raw
    for k in keys[:-1]:
        if not isinstance(node, dict) or k not in node:
            raise ValidationError(
                [
                    Problem(
                        "--set",
                        None,
                        None,
                        Msg("{text!r}: no config key {target!r}", text=change.text, target=change.target),
                        hint=Msg("give a table column (volunteers.hours) or a config path (rules.budget.amount)"),
                    )
                ]
            )
        node = node[k]
    last = keys[-1]
    if not isinstance(node, dict) or (last not in node and change.op != "="):
        raise ValidationError(
            [
                Problem(
                    "--set",
                    None,
                    None,
                    Msg("{text!r}: no config key {target!r}", text=change.text, target=change.target),
                    hint=Msg("see docs/data.md for config keys"),
                )
            ]
        )
    if change.op == "=":
        node[last] = yaml.safe_load(change.value)
    else:
        num = _number(change)
        cur = node[last]
        if not isinstance(cur, (int, float)) or isinstance(cur, bool):
            raise ValidationError(
                [
                    Problem(
                        "--set",
                        None,
                        None,
                        Msg("{text!r}: {target} is not a number", text=change.text, target=change.target),
                        hint=Msg("use = to set it"),
                    )
                ]
            )
        node[last] = cur * num if change.op == "*=" else cur + num
    from ..inputs.config import parse_config

    cfg: Config = parse_config(raw, f"--set {change.text}")
    return scenario.replace(config=cfg)


def flat_yardstick(ys: dict) -> dict:
    """The fixed yardstick (:func:`linkage_opt.analysis.compare.yardstick`) as flat columns: ``coverage_<tier>``,
    ``coverage_cat_<category>``, ``guaranteed_met_fixed``, ``lowest_unit_ratio_fixed``, ``weighted_score``."""
    out: dict = {f"coverage_{t}": v for t, v in ys["coverage_by_tier"].items()}
    out.update({f"coverage_cat_{c}": v for c, v in ys["coverage_by_category"].items()})
    out.update(
        guaranteed_met_fixed=ys["guaranteed_met"],
        guaranteed_needs=ys["guaranteed_needs"],
        lowest_unit_ratio_fixed=ys["lowest_unit_ratio"],
        weighted_score=ys["weighted_score"],
    )
    return out


def yardstick_of(row) -> dict | None:
    """A :func:`run_whatif` row's yardstick back as the dict of :func:`linkage_opt.analysis.compare.yardstick`."""
    if row.get("status") == "infeasible" or row.get("weighted_score") != row.get("weighted_score"):
        return None
    tiers = {
        k[len("coverage_") :]: v
        for k, v in row.items()
        if k.startswith("coverage_") and not k.startswith("coverage_cat_") and v == v
    }
    cats = {k[len("coverage_cat_") :]: v for k, v in row.items() if k.startswith("coverage_cat_") and v == v}
    return {
        "coverage_by_tier": tiers,
        "coverage_by_category": cats,
        "guaranteed_met": int(row["guaranteed_met_fixed"]),
        "guaranteed_needs": int(row["guaranteed_needs"]),
        "lowest_unit_ratio": row["lowest_unit_ratio_fixed"],
        "weighted_score": row["weighted_score"],
    }


def run_whatif(
    scenario: Scenario, changes: list[str], combine: bool = False, progress=None, **solve_options
) -> pd.DataFrame:
    """Plan the base and every variant; one row per plan with its metrics and their change vs the base, and
    the fixed yardstick (:func:`flat_yardstick`: measures that do not move with the weights)."""
    from ..solving.api import solve

    parsed = [parse_change(c) for c in changes]
    variants: list[tuple[str, Scenario]] = [("base", scenario)]
    for ch in parsed:
        variants.append((ch.text, apply_change(scenario, ch)))
    if combine and len(parsed) > 1:
        sc = scenario
        for ch in parsed:
            sc = apply_change(sc, ch)
        variants.append(("all changes", sc))
    rows = []
    for name, sc in variants:
        if progress:
            progress(f"planning {name}")
        try:
            plan = solve(sc, **solve_options)
            met = dict(plan.summary["metrics"])
            met["money"] = plan.summary["objective"]["money"]
            rows.append(
                {
                    "variant": name,
                    "status": plan.status,
                    **{k: met[k] for k, _, _ in METRICS},
                    **flat_yardstick(yardstick(plan.coverage)),
                }
            )
        except InfeasibleError as exc:
            rows.append({"variant": name, "status": "infeasible", "note": str(exc).splitlines()[0]})
    df = pd.DataFrame(rows)
    base = df.iloc[0]
    for k, _, _ in METRICS:
        if k in df:
            df[f"delta_{k}"] = df[k] - base[k] if base["status"] != "infeasible" else np.nan
    return df
