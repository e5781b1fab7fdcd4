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

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd

from .config import Config
from .errors import Problem
from .readers import normalise_header
from .schema import PROVIDER_TABLES, TABLES


@dataclass(frozen=True)
class TableOrigin:
    """Where a table's rows came from, so that problems found later name them as the loader does."""

    file: str                              # display path of the CSV file or the workbook
    sheet: str | None = None               # sheet name for workbooks
    rows: tuple[int, ...] = ()             # spreadsheet row number of each table row
    headers: Mapping[str, str] = field(default_factory=dict)   # column -> header as the user wrote it
    header_row: int = 1

    def row(self, i: int, n_rows: int) -> int:
        """The spreadsheet row of table row ``i`` (by position when the table no longer has the rows read)."""
        return self.rows[i] if len(self.rows) == n_rows else self.header_row + 1 + i

    def label(self, column: str | None) -> str | None:
        """``quantity``, or ``quantity (数量)`` when the user's header differs (as the loader's messages)."""
        if column is None:
            return None
        written = self.headers.get(column)
        if written is not None and normalise_header(written) != column:
            return f"{column} ({written})"
        return column


@dataclass(frozen=True)
class Scenario:
    config: Config
    tables: Mapping[str, pd.DataFrame]
    config_path: Path | None = None
    # sha256 of every input file (and the config), keyed by path as given; recorded in summary.json
    input_hashes: Mapping[str, str] = field(default_factory=dict)
    # where each table came from, for messages: table -> "data/zhugen/needs.csv" or "book.xlsx [needs]"
    sources: Mapping[str, str] = field(default_factory=dict)
    # file, sheet and spreadsheet rows of each table read (for messages about rows found after loading)
    origins: Mapping[str, TableOrigin] = field(default_factory=dict)
    # what the loader noticed but did not refuse (a hidden sheet read, say); see scenario_warnings()
    warnings: tuple[Problem, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", MappingProxyType(dict(self.tables)))
        object.__setattr__(self, "input_hashes", MappingProxyType(dict(self.input_hashes)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        object.__setattr__(self, "origins", MappingProxyType(dict(self.origins)))
        object.__setattr__(self, "warnings", tuple(self.warnings))
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
        return dataclasses.replace(self, config=config or self.config, tables=new_tables)

    def provider_ids(self) -> dict[str, str]:
        """Every provider id -> its kind (social_worker, volunteer, organization, charity)."""
        out: dict[str, str] = {}
        for table, (col, kind) in PROVIDER_TABLES.items():
            for pid in self.tables[table][col]:
                out[str(pid)] = kind
        return out


def period_start(period: str) -> pd.Timestamp:
    """The first day of a ``YYYY-MM`` period."""
    return pd.Timestamp(f"{period}-01")


def lapsed_lots(scenario: Scenario) -> list[str]:
    """Ids of the charity lots whose ``expires`` date is before the period's first day, in table order.

    They cannot be used any more: the model leaves them out (:func:`linkage_opt.reach.build_providers`),
    ``validate`` warns about each, ``summary.json`` lists them and ``linkage-opt check`` fails a plan that
    uses one. A lot expiring on a day inside the period is still planned (and used first: ``rules.expiry``).
    """
    c = scenario.charity
    if not len(c):
        return []
    expires = pd.to_datetime(c["expires"])
    lapsed = expires.notna() & (expires < period_start(scenario.config.period))
    return c.loc[lapsed.to_numpy(), "lot_id"].astype(str).tolist()


def scenario_warnings(scenario: Scenario) -> list[Problem]:
    """What ``validate`` and ``plan`` point out without refusing: the loader's warnings, then each lapsed lot."""
    out = list(scenario.warnings)
    lapsed = set(lapsed_lots(scenario))
    if not lapsed:
        return out
    c = scenario.charity
    origin = scenario.origins.get("charity") or TableOrigin(scenario.sources.get("charity", "charity"))
    period = scenario.config.period
    for i, (lid, expires) in enumerate(zip(c["lot_id"].astype(str), pd.to_datetime(c["expires"]))):
        if lid in lapsed:
            out.append(Problem(origin.file, origin.row(i, len(c)), origin.label("expires"),
                               f"lot {lid!r} lapsed on {expires.date().isoformat()}, before the period {period} "
                               "starts: it is left out of the plan",
                               hint="correct its expires date, or remove the lot", sheet=origin.sheet))
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
