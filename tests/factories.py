"""Build canonical scenarios in Python for model tests (no files): partial rows, defaults filled in."""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage_opt.inputs.config import parse_config
from linkage_opt.inputs.scenario import Scenario, empty_table
from linkage_opt.schema import TABLES

BASE_CONFIG = {
    "period": "2026-12",
    "data": ".",
    "categories": {
        "elderly_care": {"weight": 0.4},
        "mental_health": {"weight": 0.3, "professional": True},
        "relief": {"unit": "yuan", "weight": 0.2, "funds_per_unit": 1.0},
        "material_aid": {"unit": "packages", "weight": 0.1, "items": {"rice": 1.0}},
    },
}


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def canonical(name: str, rows: list[dict]) -> pd.DataFrame:
    """A canonical table from partial rows: missing columns get the schema default (or blank)."""
    if not rows:
        return empty_table(name)
    df = pd.DataFrame(rows)
    for col in TABLES[name].columns:
        if col.name in df:
            if col.default is not None and col.type != "list":
                df[col.name] = df[col.name].where(df[col.name].notna(), col.default)
            if col.type == "bool":
                df[col.name] = df[col.name].fillna(False).astype(bool)
            if col.type == "list":
                df[col.name] = [
                    tuple(v) if isinstance(v, (list, tuple)) else tuple(s for s in str(v).split(";") if s)
                    for v in df[col.name]
                ]
            continue
        if col.type in ("float", "int"):
            df[col.name] = np.nan if col.default is None else float(col.default)
        elif col.type == "bool":
            df[col.name] = bool(col.default) if col.default is not None else False
        elif col.type == "list":
            df[col.name] = [()] * len(df)
        elif col.type == "date":
            df[col.name] = pd.NaT
        else:
            df[col.name] = "" if col.default is None else col.default
    for col in TABLES[name].columns:
        if col.type in ("float", "int"):
            df[col.name] = df[col.name].astype(float)
    if name == "units":
        for c in ("x_km", "y_km"):
            df[c] = df[c].astype(float)
    if name == "charity":
        df["expires"] = pd.to_datetime(df["expires"])
    return df


def make_scenario(config: dict | None = None, **tables: list[dict]) -> Scenario:
    cfg = parse_config(_merge(BASE_CONFIG, config or {}), "test-config")
    frames = {name: canonical(name, tables.get(name, [])) for name in TABLES}
    if "need_id" in frames["needs"] and len(frames["needs"]):
        ids = frames["needs"]["need_id"].astype(str)
        frames["needs"]["need_id"] = [i if i else f"n{k}" for k, i in enumerate(ids)]
    return Scenario(cfg, frames)


def unit(uid: str, x: float = 0.0, y: float = 0.0, town: str = "T", **kw) -> dict:
    return {
        "unit_id": uid,
        "name": kw.pop("name", uid),
        "town": town,
        "kind": kw.pop("kind", "community"),
        "population": kw.pop("population", 1000),
        "x_km": x,
        "y_km": y,
        **kw,
    }
