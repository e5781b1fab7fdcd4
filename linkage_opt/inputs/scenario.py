"""The validated scenario: config plus canonical tables, immutable once built.

``linkage_opt.inputs.load.load_scenario`` produces it; the formulation only ever reads it. Canonical tables
have exactly the columns of :data:`linkage_opt.schema.TABLES` (plus any extra user columns, kept
for reports), with types coerced and defaults filled:

* ids and strings are ``str``; absent optional strings are ``""``;
* ``list`` columns are ``tuple[str, ...]`` (split on ``;``, stripped, empties dropped);
* numbers are ``float`` (``int`` columns too, NaN when blank and no default);
* booleans are ``bool``; dates are ``pandas.Timestamp`` or ``NaT``;
* ``units`` gains ``x_km``/``y_km`` from ``lat``/``lon`` (NaN when the unit has no coordinates);
* ``needs.need_id`` is filled when blank; optional tables that were absent are empty frames.

The tables are :class:`ReadOnlyFrame` objects: read them as any DataFrame; changing one in place
(``scenario.needs.loc[0, "quantity"] = -7``, ``scenario.needs["quantity"] = 0``, ``inplace=True``) raises
``TypeError``. A changed scenario is a new one -- ``scenario.replace(needs=frame)`` or
``dataclasses.replace`` -- and :func:`linkage_opt.solve` validates it again, with the loader's messages.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError
from ..i18n import Msg
from ..schema import PROVIDER_TABLES, TABLES
from .config import Config
from .readers import header_label

READ_ONLY = (
    "scenario tables are read-only: make a changed copy (frame = scenario.needs.copy(); ...) and "
    "a new scenario with scenario.replace(needs=frame)"
)


class _ReadOnlyIndexer:
    """``.loc`` / ``.iloc`` / ``.at`` / ``.iat`` of a :class:`ReadOnlyFrame`: reading only."""

    __slots__ = ("_indexer",)

    def __init__(self, indexer):
        object.__setattr__(self, "_indexer", indexer)

    def __getitem__(self, key):
        return self._indexer[key]

    def __setitem__(self, key, value):
        raise TypeError(READ_ONLY)

    def __call__(self, *args, **kwargs):
        return _ReadOnlyIndexer(self._indexer(*args, **kwargs))

    def __getattr__(self, name):
        return getattr(self._indexer, name)


class ReadOnlyFrame(pd.DataFrame):
    """A scenario table: a DataFrame that refuses to be changed in place (``TypeError``).

    Whatever is derived from it (``frame[...]``, ``.copy()``, ``.assign()``, ``.merge()``, ...) is a plain,
    writable DataFrame; pandas' copy-on-write keeps those changes out of the scenario's table, and out of
    it any later change of the frame it was built from.
    """

    _metadata: ClassVar[list[str]] = []

    @property
    def _constructor(self):
        return pd.DataFrame

    def _refuse(self, *args, **kwargs):
        raise TypeError(READ_ONLY)

    __setitem__ = __delitem__ = insert = pop = _update_inplace = _refuse

    def __setattr__(self, name, value):
        if name in ("index", "columns") or (not name.startswith("_") and name in getattr(self, "columns", ())):
            raise TypeError(READ_ONLY)
        super().__setattr__(name, value)

    loc = property(lambda self: _ReadOnlyIndexer(pd.DataFrame.loc.fget(self)))
    iloc = property(lambda self: _ReadOnlyIndexer(pd.DataFrame.iloc.fget(self)))
    at = property(lambda self: _ReadOnlyIndexer(pd.DataFrame.at.fget(self)))
    iat = property(lambda self: _ReadOnlyIndexer(pd.DataFrame.iat.fget(self)))


def _no_inplace(name: str):
    method = getattr(pd.DataFrame, name)

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        if kwargs.get("inplace"):
            raise TypeError(READ_ONLY)
        return method(self, *args, **kwargs)

    return guarded


for _name in dir(pd.DataFrame):  # every method with an `inplace=` switch refuses it
    if _name.startswith("_") or not callable(getattr(pd.DataFrame, _name, None)):
        continue
    try:
        if "inplace" in inspect.signature(getattr(pd.DataFrame, _name)).parameters:
            setattr(ReadOnlyFrame, _name, _no_inplace(_name))
    except (TypeError, ValueError):
        pass


def read_only(frame: pd.DataFrame) -> ReadOnlyFrame:
    """``frame`` as a :class:`ReadOnlyFrame` (the same object when it is one already; data shared, not copied)."""
    if isinstance(frame, ReadOnlyFrame):
        return frame
    return ReadOnlyFrame(frame)


@dataclass(frozen=True)
class TableOrigin:
    """Where a table's rows came from, so that problems found later name them as the loader does."""

    file: str  # display path of the CSV file or the workbook
    sheet: str | None = None  # sheet name for workbooks
    rows: tuple[int, ...] = ()  # spreadsheet row number of each table row
    headers: Mapping[str, str] = field(default_factory=dict)  # column -> header as the user wrote it
    header_row: int = 1

    def row(self, i: int, n_rows: int) -> int:
        """The spreadsheet row of table row ``i`` (by position when the table no longer has the rows read)."""
        return self.rows[i] if len(self.rows) == n_rows else self.header_row + 1 + i

    def label(self, column: str | None) -> str | None:
        """``quantity``, or ``quantity (数量)`` when the user's header differs (as the loader's messages)."""
        return header_label(self.headers, column)


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
    # set by the loader (and by linkage_opt.inputs.load.validate_scenario): the config and tables it validated
    validated: InitVar[bool] = False
    _checked: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self, validated: bool) -> None:
        if not isinstance(self.tables, Mapping):
            raise ValidationError(
                [
                    Problem(
                        "Scenario",
                        None,
                        None,
                        Msg("tables must be a mapping of table name to DataFrame"),
                        hint=Msg("build scenarios with load_scenario"),
                    )
                ]
            )
        bad = [n for n, f in self.tables.items() if not isinstance(f, pd.DataFrame)]
        missing = [n for n in TABLES if n not in self.tables]
        if bad or missing:
            what = (
                Msg("table {bad!r} is not a DataFrame", bad=bad[0])
                if bad
                else Msg("the scenario is missing table {missing!r}", missing=missing[0])
            )
            raise ValidationError(
                [
                    Problem(
                        "Scenario",
                        None,
                        None,
                        what,
                        hint=Msg(
                            "every table of docs/data.md, as a pandas DataFrame (linkage_opt.inputs.scenario.empty_table for an empty one)"
                        ),
                    )
                ]
            )
        object.__setattr__(self, "tables", MappingProxyType({n: read_only(f) for n, f in self.tables.items()}))
        object.__setattr__(self, "input_hashes", MappingProxyType(dict(self.input_hashes)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        object.__setattr__(self, "origins", MappingProxyType(dict(self.origins)))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        if validated:
            object.__setattr__(self, "_checked", (self.config, dict(self.tables)))

    def __reduce__(self):
        """Pickled as plain parts (the read-only views are rebuilt), so that a scenario travels with a task
        to another process or machine (``linkage_opt.sweep``); a validated scenario arrives validated."""
        return (
            _rebuild,
            (
                self.config,
                {n: pd.DataFrame(f) for n, f in self.tables.items()},
                self.config_path,
                dict(self.input_hashes),
                dict(self.sources),
                dict(self.origins),
                self.warnings,
                self.is_validated,
            ),
        )

    @property
    def is_validated(self) -> bool:
        """True when this config and these very tables were validated (by the loader, or by ``solve``)."""
        c = self._checked
        return c is not None and c[0] is self.config and all(self.tables.get(n) is f for n, f in c[1].items())

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

    def replace(self, *, config: Config | None = None, **tables: pd.DataFrame) -> Scenario:
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


def _rebuild(config, tables, config_path, input_hashes, sources, origins, warnings, validated) -> Scenario:
    return Scenario(config, tables, config_path, input_hashes, sources, origins, warnings, validated=validated)


def period_start(period: str) -> pd.Timestamp:
    """The first day of a ``YYYY-MM`` period."""
    return pd.Timestamp(f"{period}-01")


def lapsed_lots(scenario: Scenario) -> list[str]:
    """Ids of the charity lots whose ``expires`` date is before the period's first day, in table order.

    They cannot be used any more: the model leaves them out (:func:`linkage_opt.model.reach.build_providers`),
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
            out.append(
                Problem(
                    origin.file,
                    origin.row(i, len(c)),
                    origin.label("expires"),
                    Msg(
                        "lot {lid!r} lapsed on {isoformat}, before the period {period} starts: it is left out of the plan",
                        lid=lid,
                        isoformat=expires.date().isoformat(),
                        period=period,
                    ),
                    hint=Msg("correct its expires date, or remove the lot"),
                    sheet=origin.sheet,
                )
            )
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
