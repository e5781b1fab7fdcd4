"""The validated scenario: config plus canonical tables, immutable once built.

``linkage_opt.load.load_scenario`` produces it; the formulation only ever reads it. Canonical tables
have exactly the columns of :data:`linkage_opt.schema.TABLES` (plus any extra user columns, kept
for reports), with types coerced and defaults filled:

* ids and strings are ``str``; absent optional strings are ``""``;
* ``list`` columns are ``tuple[str, ...]`` (split on ``;``, stripped, empties dropped);
* numbers are ``float`` (``int`` columns too, NaN when blank and no default);
* booleans are ``bool``; dates are ``pandas.Timestamp`` or ``NaT``;
* ``units`` gains ``x_km``/``y_km`` from ``lat``/``lon`` (NaN when the unit has no coordinates);
* ``needs.need_id`` is filled when blank; optional tables that were absent are empty frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd

from .config import Config
from .schema import PROVIDER_TABLES, TABLES


@dataclass(frozen=True)
class Scenario:
    config: Config
    tables: Mapping[str, pd.DataFrame]
    config_path: Path | None = None
    # sha256 of every input file (and the config), keyed by path as given; recorded in summary.json
    input_hashes: Mapping[str, str] = field(default_factory=dict)
    # where each table came from, for messages: table -> "data/zhugen/needs.csv" or "book.xlsx [needs]"
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", MappingProxyType(dict(self.tables)))
        object.__setattr__(self, "input_hashes", MappingProxyType(dict(self.input_hashes)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        for name in TABLES:
            if name not in self.tables:
                raise ValueError(f"scenario is missing table {name!r}")

    # Convenient read-only views -------------------------------------------------------------------
    @property
    def units(self) -> pd.DataFrame:
        return self.tables["units"]

    @property
    def needs(self) -> pd.DataFrame:
        return self.tables["needs"]

    @property
    def volunteers(self) -> pd.DataFrame:
        return self.tables["volunteers"]

    @property
    def social_workers(self) -> pd.DataFrame:
        return self.tables["social_workers"]

    @property
    def organizations(self) -> pd.DataFrame:
        return self.tables["organizations"]

    @property
    def programs(self) -> pd.DataFrame:
        return self.tables["programs"]

    @property
    def charity(self) -> pd.DataFrame:
        return self.tables["charity"]

    @property
    def reach(self) -> pd.DataFrame:
        return self.tables["reach"]

    @property
    def period(self) -> str:
        return self.config.period

    def replace(self, *, config: Config | None = None, **tables: pd.DataFrame) -> "Scenario":
        """A new scenario with some tables (or the config) replaced; used by what-ifs and carry-over."""
        new_tables = dict(self.tables)
        for name, frame in tables.items():
            if name not in TABLES:
                raise KeyError(f"unknown table {name!r}")
            new_tables[name] = frame
        return Scenario(config or self.config, new_tables, self.config_path, self.input_hashes, self.sources)

    def provider_ids(self) -> dict[str, str]:
        """Every provider id -> its kind (social_worker, volunteer, organization, charity)."""
        out: dict[str, str] = {}
        for table, (col, kind) in PROVIDER_TABLES.items():
            for pid in self.tables[table][col]:
                out[str(pid)] = kind
        return out


def empty_table(name: str) -> pd.DataFrame:
    """A canonical empty frame for an optional table that was not given."""
    cols = {}
    for c in TABLES[name].columns:
        if c.type in ("float", "int"):
            cols[c.name] = pd.Series([], dtype=float)
        elif c.type == "bool":
            cols[c.name] = pd.Series([], dtype=bool)
        elif c.type == "date":
            cols[c.name] = pd.Series([], dtype="datetime64[ns]")
        else:
            cols[c.name] = pd.Series([], dtype=object)
    return pd.DataFrame(cols)


def planar_coordinates(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project degrees to km on a local equirectangular plane (error far below 0.1% across a city)."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return np.full(lat.shape, np.nan), np.full(lat.shape, np.nan)
    lat0 = float(np.mean(lat[ok]))
    lon0 = float(np.mean(lon[ok]))
    x = (lon - lon0) * 111.320 * np.cos(np.radians(lat0))
    y = (lat - lat0) * 110.574
    return x, y
