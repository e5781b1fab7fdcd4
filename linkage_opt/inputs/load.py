"""Load and validate a scenario: config + tables -> :class:`~linkage_opt.inputs.scenario.Scenario`.

Every problem is collected in one pass and raised together as a
:class:`~linkage_opt.errors.ValidationError`: config problems first, then each table's problems in
the order of :data:`linkage_opt.schema.TABLE_ORDER`, by spreadsheet row. Each problem names the file
(and sheet), the spreadsheet row, the column (canonical name, plus the header the user wrote when it
differs), the bad value and a hint.

The canonical form of the tables is described in :mod:`linkage_opt.inputs.scenario`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import limits
from ..errors import Problem, ValidationError
from ..i18n import ByLang, Msg
from ..schema import CHOICE_ALIASES, GENERAL, PROVIDER_TABLES, TABLE_ORDER, TABLES, TIERS, Column, Table
from .config import Config, ConfigLoader, _too_big, load_config, parse_config, read_config_text
from .readers import FolderSource, FrameSource, RawTable, WorkbookSource, normalise_header, open_source, value_text
from .scenario import Scenario, TableOrigin, empty_table, planar_coordinates

TRUE_WORDS = ("true", "t", "yes", "y", "1", "是", "是的", "对")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否", "不是", "错")
_TRUE = frozenset(TRUE_WORDS) | {"1.0"}
_FALSE = frozenset(FALSE_WORDS) | {"0.0"}
BOOL_HINT = Msg("write one of ") + ", ".join(f"{t}/{f}" for t, f in zip(TRUE_WORDS, FALSE_WORDS))

_FULLWIDTH = str.maketrans("０１２３４５６７８９．，－＋　：／\u2212", "0123456789.,-+ :/-")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:(,)\d{3}(?:,\d{3})*|( )\d{3}(?: \d{3})*)(?:\.\d+)?")
_NON_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
_DATE_ZH = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
_LIST_SEP = re.compile(r"[;；、]")


# -- cell parsers: (value, None) or (None, (message, hint)) -----------------------------------------


class _Bad(Exception):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


def parse_number(text: str) -> float:
    """``1200``, ``1,200``, ``1 200``, ``１２００``, ``1.5e3``; NaN and infinity are refused."""
    t = text.translate(_FULLWIDTH).replace("\xa0", " ").replace("\u2009", " ").replace("\u202f", " ").strip()
    if _PLAIN_NUMBER.fullmatch(t):
        v = float(t)
    elif _GROUPED_NUMBER.fullmatch(t):
        v = float(t.replace(",", "").replace(" ", ""))
    elif t.lower() in _NON_FINITE:
        raise _Bad(Msg("not a finite number"), Msg("give a number, or leave the cell blank where a blank is allowed"))
    elif re.fullmatch(r"[+-]?\d+,\d{1,2}", t):
        raise _Bad(Msg("not a number"), Msg("use '.' for decimals; commas only separate thousands (1,200)"))
    else:
        raise _Bad(Msg("not a number"), Msg("write digits only, e.g. 1200, 1,200 or 12.5 (no units or text)"))
    if not math.isfinite(v):
        raise _Bad(Msg("not a finite number"), Msg("give a number of ordinary size"))
    return v


def parse_bool(text: str) -> bool:
    t = text.translate(_FULLWIDTH).strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise _Bad(Msg("not a yes/no value"), BOOL_HINT)


def parse_date(text: str) -> pd.Timestamp:
    t = text.translate(_FULLWIDTH).strip()
    m = _DATE.fullmatch(t) or _DATE_ZH.fullmatch(t)
    if not m:
        raise _Bad(Msg("not a date"), Msg("write dates as YYYY-MM-DD (e.g. 2026-12-31) or YYYY/MM/DD"))
    try:
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _Bad(Msg("not a real date"), Msg("check the month and day")) from None
    if not limits.MIN_DATE <= day <= limits.MAX_DATE:
        raise _Bad(
            Msg(
                "the date is outside {isoformat} .. {isoformat2}",
                isoformat=limits.MIN_DATE.isoformat(),
                isoformat2=limits.MAX_DATE.isoformat(),
            ),
            Msg("give the real date (a lot that never expires: leave expires blank)"),
        )
    return pd.Timestamp(day)


def parse_list(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in _LIST_SEP.split(text) if p.strip())


def _did_you_mean(word: str, options, cutoff: float = 0.6) -> str:
    m = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=cutoff)
    return m[0] if m else ""


def _listing(options, limit: int = 12) -> str:
    opts = [str(o) for o in options]
    shown = ", ".join(opts[:limit])
    return shown + (f", ... ({len(opts)} in all)" if len(opts) > limit else "")


def _enum_word(value: str, lang: str) -> str:
    """An enum value as the input template's drop-down offers it in ``lang`` (兜底保障 for guaranteed)."""
    from .. import lang as L

    return L.tier(value, lang) if value in TIERS else L.kind(value, lang)


def _enum_aliases(choices) -> dict[str, str]:
    """The Chinese words of an enum's values (the drop-down's) -> the values."""
    return {_enum_word(c, "zh"): c for c in choices}


def _enum_listing(choices) -> ByLang:
    """Allowed values as the user writes them: the keys in English, the drop-down's words in Chinese."""
    return ByLang({"en": ", ".join(choices), "zh": "、".join(_enum_word(c, "zh") for c in choices)})


def _missing_value(col: Column):
    if col.type in ("float", "int"):
        return float(col.default) if col.default is not None else math.nan
    if col.type == "bool":
        return bool(col.default) if col.default is not None else False
    if col.type == "list":
        return parse_list(str(col.default)) if col.default else ()
    if col.type == "date":
        return pd.NaT
    return "" if col.default is None else str(col.default)


# -- what the tables are checked against --------------------------------------------------------------


@dataclass
class _Context:
    data: str | None
    overrides: dict[str, str]
    categories: dict[str, set[str]] | None  # category -> goods items; None when the config is unusable
    # category -> its label in Chinese (``label``) and English (``label_en``): accepted for the key in the tables
    labels: dict[str, dict[str, str]] = field(default_factory=dict)


def _context_from(config: Config) -> _Context:
    labels = {
        n: {k: v for k, v in (("zh", getattr(c, "label", None)), ("en", getattr(c, "label_en", None))) if v}
        for n, c in config.categories.items()
    }
    return _Context(config.data, dict(config.tables), {n: set(c.items) for n, c in config.categories.items()}, labels)


def _salvage_context(path: Path) -> _Context:
    """What can still be used from a config that failed validation (to check the tables anyway)."""
    try:  # bounded and safe as load_config (its problems are already reported)
        loader = ConfigLoader(read_config_text(path))
        try:
            raw = loader.get_single_data()
        finally:
            loader.dispose()
        if _too_big(raw):
            return _Context(None, {}, None)
    except Exception:
        return _Context(None, {}, None)
    return _salvage_raw(raw)


def _salvage_raw(raw: object) -> _Context:
    """What can still be used from a config document (a parsed mapping) that failed validation."""
    if not isinstance(raw, dict):
        return _Context(None, {}, None)
    data = raw.get("data") if isinstance(raw.get("data"), str) and raw.get("data") else None
    tables = raw.get("tables") if isinstance(raw.get("tables"), dict) else {}
    overrides = {k: v for k, v in tables.items() if k in TABLES and isinstance(v, str) and v}
    cats = raw.get("categories")
    categories = None
    if isinstance(cats, dict) and cats:
        categories = {}
        labels: dict[str, dict[str, str]] = {}
        for name, c in cats.items():
            items = c.get("items") if isinstance(c, dict) else None
            categories[str(name)] = {str(i) for i in items} if isinstance(items, dict) else set()
            if isinstance(c, dict):
                labels[str(name)] = {
                    k: str(c[f])
                    for k, f in (("zh", "label"), ("en", "label_en"))
                    if isinstance(c.get(f), str) and c.get(f)
                }
        return _Context(data, overrides, categories, labels)
    return _Context(data, overrides, categories)


# -- per-table validation -------------------------------------------------------------------------


class _TableCheck:
    """Coerces one raw table to canonical form, collecting problems."""

    def __init__(self, raw: RawTable, spec: Table):
        self.raw = raw
        self.spec = spec
        self.problems: list[Problem] = []
        self.values: dict[str, list] = {}
        self.present: set[str] = set(raw.frame.columns)
        # column -> frame rows whose cell did not parse (from the start: cells the reader refused, too long)
        self.bad: dict[str, set[int]] = {c: set(rows) for c, rows in raw.unusable.items()}
        self.n = len(raw.frame)

    def add(self, i: int | None, column: str | None, message: str, hint: str = "", value: object = None) -> None:
        row = self.raw.rows[i] if i is not None else None
        self.problems.append(self.raw.problem(row, column, message, hint, value))

    def cell(self, i: int, column: str) -> str:
        return str(self.raw.frame.at[i, column]) if column in self.present else ""

    def ok(self, i: int, column: str) -> bool:
        return i not in self.bad.get(column, ())

    # header level
    def check_columns(self) -> None:
        spec, raw = self.spec, self.raw
        missing = [c for c in spec.columns if c.name not in self.present]
        explained: set[str] = set()
        # A header not in the schema is kept, unless it looks like a misspelt known column that is absent.
        absent = {normalise_header(c.name): c.name for c in missing}
        for c in missing:
            for a in c.aliases:
                absent.setdefault(normalise_header(a), c.name)
        for extra in raw.extras:
            guess = _did_you_mean(extra, list(absent), cutoff=0.8)
            if guess:
                target = absent[guess]
                explained.add(target)
                written = raw.headers.get(extra, extra)
                self.problems.append(
                    Problem(
                        raw.file,
                        raw.header_row,
                        written,
                        Msg("unknown column {written!r} (did you mean {target!r}?)", written=written, target=target),
                        hint=Msg("rename the header to {target!r}", target=target),
                        sheet=raw.sheet,
                    )
                )
        for c in missing:
            if c.required and c.name not in explained:
                accepted = Msg(" (or {aliases})", aliases=" / ".join(c.aliases)) if c.aliases else ""
                self.problems.append(
                    Problem(
                        raw.file,
                        raw.header_row,
                        c.name,
                        Msg("missing required column {name!r}", name=c.name),
                        hint=Msg("add a column headed {name!r}{accepted}", name=c.name, accepted=accepted),
                        sheet=raw.sheet,
                    )
                )

    # cell level
    def coerce(self) -> None:
        for col in self.spec.columns:
            self.values[col.name] = self._coerce_column(col)

    def _coerce_column(self, col: Column) -> list:
        default = _missing_value(col)
        if col.name not in self.present:
            return [default] * self.n
        cells = [str(v).strip() for v in self.raw.frame[col.name].tolist()]
        out: list = [default] * self.n
        bad = self.bad.setdefault(col.name, set())
        fast: np.ndarray | None = None
        if col.type in ("float", "int") and self.n:
            fast = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(dtype=float)
        for i, text in enumerate(cells):
            if i in bad:  # refused by the reader (reported there)
                continue
            if not text:
                if col.required:
                    bad.add(i)
                    self.add(
                        i,
                        col.name,
                        Msg("required value is blank"),
                        hint=Msg("{name} is required: {doc}", name=col.name, doc=Msg(col.doc))
                        if col.doc
                        else Msg("{name} is required", name=col.name),
                    )
                continue
            try:
                if col.type in ("float", "int"):
                    v = fast[i] if fast is not None and math.isfinite(fast[i]) else parse_number(text)
                    if not abs(v) <= limits.MAX_NUMBER:
                        raise _Bad(
                            Msg("is larger than the limit of {max_number:g}", max_number=limits.MAX_NUMBER),
                            Msg(
                                "give an ordinary amount; numbers up to {max_number:g} are accepted",
                                max_number=limits.MAX_NUMBER,
                            ),
                        )
                    if col.type == "int" and not float(v).is_integer():
                        raise _Bad(Msg("must be a whole number"), Msg("write a whole number such as 3"))
                    if col.min is not None and v < col.min:
                        if col.min == 0:
                            raise _Bad(Msg("must not be negative"), Msg("give 0 or more"))
                        raise _Bad(
                            Msg("must be at least {min:g}", min=col.min),
                            Msg("give {min:g} or more", min=col.min)
                            + ("" if col.required else Msg(", or leave it blank")),
                        )
                    out[i] = float(v)
                elif col.type == "bool":
                    out[i] = parse_bool(text)
                elif col.type == "enum":
                    low = text.lower()
                    low = CHOICE_ALIASES.get(text.strip(), _enum_aliases(col.choices).get(text.strip(), low))
                    if low not in col.choices:
                        guess = _did_you_mean(low, col.choices)
                        choices = _enum_listing(col.choices)
                        raise _Bad(
                            Msg("{text!r} is not one of {choices}", text=text, choices=choices),
                            (Msg("did you mean {guess!r}? ", guess=_enum_listing((guess,))) if guess else "")
                            + Msg("write one of {choices}", choices=choices),
                        )
                    out[i] = low
                elif col.type == "date":
                    out[i] = parse_date(text)
                elif col.type == "list":
                    out[i] = parse_list(text)
                    if col.required and not out[i]:
                        raise _Bad(Msg("required value is blank"), Msg("give one or more values separated by ';'"))
                else:
                    out[i] = text
            except _Bad as exc:
                bad.add(i)
                self.add(i, col.name, exc.message, exc.hint, value=text)
        return out

    def check_key(self) -> None:
        key = self.spec.key
        if key is None or key not in self.present:
            return
        first: dict[str, int] = {}
        for i, v in enumerate(self.values[key]):
            if not v:
                continue
            if v in first:
                self.bad.setdefault(key, set()).add(i)
                self.add(
                    i,
                    key,
                    Msg("duplicate {key} {v!r} (first on row {rows})", key=key, v=v, rows=self.raw.rows[first[v]]),
                    hint=Msg("each {key} must be unique in the table", key=key),
                    value=v,
                )
            else:
                first[v] = i

    def check_rows(self) -> None:
        if self.n == 0 and not self.spec.may_be_empty:
            self.problems.append(
                Problem(
                    self.raw.file,
                    None,
                    None,
                    Msg("the {name} table has no rows", name=self.spec.name),
                    hint=Msg("add at least one row below the header"),
                    sheet=self.raw.sheet,
                )
            )

    def frame(self) -> pd.DataFrame:
        cols: dict[str, pd.Series] = {}
        for col in self.spec.columns:
            vals = self.values[col.name]
            if col.type in ("float", "int"):
                cols[col.name] = pd.Series(vals, dtype=float)
            elif col.type == "bool":
                cols[col.name] = pd.Series(vals, dtype=bool)
            elif col.type == "date":
                cols[col.name] = pd.Series(vals, dtype="datetime64[ns]")
            elif col.type == "list" or not vals:
                cols[col.name] = pd.Series(vals, dtype=object)
            else:
                cols[col.name] = pd.Series(vals)
        for extra in self.raw.extras:
            cols[extra] = pd.Series(self.raw.frame[extra].tolist(), dtype=object)
        df = pd.DataFrame(cols)
        df.index = pd.RangeIndex(len(df))
        return df


# -- cross-table checks -------------------------------------------------------------------------------


class _Refs:
    def __init__(self, checks: dict[str, _TableCheck], unreadable: set[str]):
        self.checks = checks
        self.unreadable = unreadable

    def ids(self, table: str, column: str) -> list[str] | None:
        """Values of a column (file order, duplicates dropped); None when the table could not be read."""
        chk = self.checks.get(table)
        if chk is None:
            return [] if TABLES[table].optional and table not in self.unreadable else None
        if column not in chk.present:
            return None
        return list(dict.fromkeys(v for v in chk.values[column] if v))

    def where(self, table: str) -> str:
        chk = self.checks.get(table)
        return chk.raw.source if chk is not None else table


def _ref_check(
    chk: _TableCheck,
    col: Column,
    known: list[str] | None,
    noun: str,
    where: str,
    extra_ok: tuple[str, ...] = (),
    labels: dict[str, dict[str, str]] | None = None,
) -> None:
    """Every value of ``col`` is one of ``known`` (or ``extra_ok``). ``labels``: key -> {lang: label} (the
    config's category labels): a label is accepted for its key (养老服务 for elderly_care) and stored as the key,
    and the hint lists the values in the user's language."""
    if known is None or col.name not in chk.present:
        return
    known_set = set(known) | set(extra_ok)
    options = list(known) + list(extra_ok)
    labels = labels or {}
    aliases = {w: k for k in known for w in (labels.get(k) or {}).values() if w not in known_set}
    if aliases:
        chk.values[col.name] = [
            tuple(aliases.get(e, e) for e in v) if isinstance(v, tuple) else aliases.get(v, v)
            for v in chk.values[col.name]
        ]

    def shown(values: list[str]) -> ByLang:
        return ByLang({lang: _listing([(labels.get(o) or {}).get(lang) or o for o in values]) for lang in ("en", "zh")})

    bad = chk.bad.setdefault(col.name, set())
    for i, v in enumerate(chk.values[col.name]):
        if i in bad:
            continue
        elements = v if isinstance(v, tuple) else ((v,) if v else ())
        for el in elements:
            if el in known_set:
                continue
            guess = _did_you_mean(el, options) or _did_you_mean(el, list(aliases))
            guess = aliases.get(guess, guess) if guess else guess
            hint = Msg("did you mean {guess!r}? ", guess=shown([guess])) if guess else ""
            hint += Msg("it must be one of {listing}", listing=shown(options)) + (
                Msg(" (from {where})", where=where) if where else ""
            )
            chk.add(
                i,
                col.name,
                Msg("unknown {noun} {el!r}", noun=Msg(noun), el=el),
                hint,
                value=el if isinstance(v, tuple) else v,
            )
            bad.add(i)
            break


def _check_references(checks: dict[str, _TableCheck], ctx: _Context, unreadable: set[str]) -> None:
    refs = _Refs(checks, unreadable)
    units = refs.ids("units", "unit_id")
    towns = refs.ids("units", "town")
    orgs = refs.ids("organizations", "org_id")
    cats = list(ctx.categories) if ctx.categories is not None else None
    providers: list[str] | None = []
    for table, (col, _kind) in PROVIDER_TABLES.items():
        got = refs.ids(table, col)
        providers = None if got is None or providers is None else providers + got
    targets = {
        "units": (units, "unit", refs.where("units")),
        "towns": (towns, "town", refs.where("units")),
        "organizations": (orgs, "organization", refs.where("organizations")),
        "categories": (cats, "category", Msg("the config's categories")),
        "providers": (providers, "provider", "volunteers, social_workers, organizations, charity"),
    }
    for table, chk in checks.items():
        if table == "units":
            continue
        for col in chk.spec.columns:
            if col.ref is not None:
                known, noun, where = targets[col.ref]
                _ref_check(chk, col, known, noun, where, labels=ctx.labels if col.ref == "categories" else None)
        if table in ("volunteers", "social_workers") and "skills" in chk.present:
            _ref_check(
                chk,
                chk.spec.column("skills"),
                cats,
                "skill",
                Msg("the config's categories, or general"),
                extra_ok=(GENERAL,),
                labels=ctx.labels,
            )
        if table == "organizations" and "skills" in chk.present:
            _ref_check(chk, chk.spec.column("skills"), cats, "skill", Msg("the config's categories"), labels=ctx.labels)


def _check_provider_ids(checks: dict[str, _TableCheck]) -> None:
    """Provider ids are unique across volunteers, social workers, organizations and charity lots."""
    first: dict[str, tuple[str, int]] = {}
    for table in TABLE_ORDER:
        if table not in PROVIDER_TABLES or table not in checks:
            continue
        chk = checks[table]
        col = PROVIDER_TABLES[table][0]
        if col not in chk.present:
            continue
        for i, v in enumerate(chk.values[col]):
            if not v or not chk.ok(i, col):
                continue
            if v in first and first[v][0] != table:
                other, row = first[v]
                chk.add(
                    i,
                    col,
                    Msg(
                        "provider id {v!r} is also used in {source}, row {row}",
                        v=v,
                        source=checks[other].raw.source,
                        row=row,
                    ),
                    hint=Msg(
                        "reach refers to providers by id: volunteer, social worker, organization and lot ids must all differ"
                    ),
                    value=v,
                )
            else:
                first.setdefault(v, (table, chk.raw.rows[i]))


def _check_units(chk: _TableCheck) -> None:
    v = chk.values
    lat, lon, xs, ys = (np.asarray(v[c], dtype=float) for c in ("lat", "lon", "x_km", "y_km"))
    use_ll = np.zeros(chk.n, dtype=bool)
    use_xy = np.zeros(chk.n, dtype=bool)
    for i in range(chk.n):
        if not all(chk.ok(i, c) for c in ("lat", "lon", "x_km", "y_km")):
            continue
        for a, lo, hi in (("lat", -90, 90), ("lon", -180, 180)):
            val = v[a][i]
            if not math.isnan(val) and not (lo <= val <= hi):
                chk.add(
                    i,
                    a,
                    Msg("{a} must be between {lo} and {hi}", a=a, lo=lo, hi=hi),
                    Msg("give degrees in decimal form, e.g. 30.2741"),
                    value=chk.cell(i, a),
                )
        for a, b in (("lat", "lon"), ("x_km", "y_km")):
            if math.isnan(v[a][i]) != math.isnan(v[b][i]):
                given, other = (a, b) if not math.isnan(v[a][i]) else (b, a)
                chk.add(
                    i,
                    other,
                    Msg("{given} is given without {other}", given=given, other=other),
                    Msg("give both {a} and {b}, or neither", a=a, b=b),
                )
        if not math.isnan(xs[i]) and not math.isnan(ys[i]):
            use_xy[i] = True
        elif not math.isnan(lat[i]) and not math.isnan(lon[i]) and (-90 <= lat[i] <= 90) and (-180 <= lon[i] <= 180):
            use_ll[i] = True
    if use_xy.any() and use_ll.any():
        i = int(np.flatnonzero(use_xy)[0])
        j = int(np.flatnonzero(use_ll)[0])
        chk.add(
            i,
            "x_km",
            Msg("this unit is placed by x_km/y_km but others (first on row {j}) only by lat/lon", j=chk.raw.rows[j]),
            Msg(
                "distances between the two kinds would be meaningless: give every unit lat/lon, or every unit x_km/y_km"
            ),
            value=chk.cell(i, "x_km"),
        )
    px, py = planar_coordinates(np.where(use_ll, lat, np.nan), np.where(use_ll, lon, np.nan))
    v["x_km"] = list(np.where(use_xy, xs, px))
    v["y_km"] = list(np.where(use_xy, ys, py))


def _check_needs(chk: _TableCheck) -> None:
    v = chk.values
    for i in range(chk.n):
        if v["indivisible"][i] and chk.ok(i, "quantity") and "quantity" in chk.present and v["quantity"][i] <= 0:
            chk.add(
                i,
                "quantity",
                Msg("an indivisible need must have quantity > 0"),
                Msg("give the quantity, or set indivisible to false"),
                value=chk.cell(i, "quantity"),
            )
    # need ids: given ones kept; blank ones generated as <unit_id>/<category>/<tier>, with #<row> on collision
    taken = {x for x in v["need_id"] if x}
    ids = list(v["need_id"])
    for i, x in enumerate(ids):
        if x:
            continue
        base = new = f"{v['unit_id'][i]}/{v['category'][i]}/{v['tier'][i]}"
        k = 1
        while new in taken:  # #<row>; a further -k only if a given id already ends like that
            new = f"{base}#{chk.raw.rows[i]}" + (f"-{k}" if k > 1 else "")
            k += 1
        taken.add(new)
        ids[i] = new
    v["need_id"] = ids


def _check_charity(chk: _TableCheck, ctx: _Context, units: _TableCheck | None) -> None:
    v = chk.values
    items: dict[str, list[str]] = {}
    if ctx.categories is not None:
        for cat, its in ctx.categories.items():
            for it in its:
                items.setdefault(it, []).append(cat)
    unit_town = {}
    if units is not None and {"unit_id", "town"} <= units.present:
        unit_town = dict(zip(units.values["unit_id"], units.values["town"]))
    for i in range(chk.n):
        if not chk.ok(i, "kind"):
            continue
        kind, item = v["kind"][i], v["item"][i]
        if kind == "goods":
            if not item:
                chk.add(
                    i,
                    "item",
                    Msg("a goods lot needs an item"),
                    Msg("name the item, e.g. one of {listing}", listing=_listing(sorted(items)))
                    if items
                    else Msg("name the item and list it under a category's items in the config"),
                )
            elif ctx.categories is not None and item not in items:
                guess = _did_you_mean(item, list(items))
                chk.add(
                    i,
                    "item",
                    Msg("no category uses item {item!r}", item=item),
                    (Msg("did you mean {guess!r}? ", guess=guess) if guess else "")
                    + Msg("add it to a category's items in the config (categories.<name>.items)"),
                    value=item,
                )
        elif kind == "funds" and item:
            chk.add(
                i,
                "item",
                Msg("a funds lot must not have an item"),
                Msg("clear the item, or set kind to goods"),
                value=item,
            )
        u, town = v["unit_id"][i], v["town"][i]
        if u and town and chk.ok(i, "unit_id") and chk.ok(i, "town") and u in unit_town and unit_town[u] != town:
            chk.add(
                i,
                "town",
                Msg("earmarked unit {u!r} is in town {u2!r}, not {town!r}", u=u, u2=unit_town[u], town=town),
                Msg("the lot could serve no unit: fix the town or the unit earmark, or clear one"),
                value=town,
            )


def _check_reach(chk: _TableCheck) -> None:
    if not {"provider_id", "unit_id"} <= chk.present:
        return
    first: dict[tuple[str, str], int] = {}
    for i, pair in enumerate(zip(chk.values["provider_id"], chk.values["unit_id"])):
        if not all(pair):
            continue
        if pair in first:
            chk.add(
                i,
                "unit_id",
                Msg(
                    "provider {pair!r} and unit {pair2!r} are listed twice (first on row {rows})",
                    pair=pair[0],
                    pair2=pair[1],
                    rows=chk.raw.rows[first[pair]],
                ),
                Msg("keep one row per provider and unit"),
                value=pair[1],
            )
        else:
            first[pair] = i


# -- entry point -------------------------------------------------------------------------------------


def load_scenario(config_path: str | Path) -> Scenario:
    """Read, validate and coerce a scenario; raise :class:`ValidationError` with every problem found."""
    try:
        config_path = Path(config_path)
    except TypeError:
        raise ValidationError(
            [
                Problem(
                    repr(config_path),
                    None,
                    None,
                    Msg("the config path must be a file path"),
                    hint=Msg("give a str or pathlib.Path"),
                )
            ]
        ) from None
    cfg_file = str(config_path)
    problems: list[Problem] = []
    hashes: dict[str, str] = {}
    config: Config | None = None
    try:
        config = load_config(config_path)
    except ValidationError as exc:
        problems.extend(exc.problems)
    if config is not None:  # a regular file within the limit: it was just read
        with contextlib.suppress(OSError, ValueError, limits.TooLarge):
            hashes[cfg_file] = hashlib.sha256(limits.read_limited(config_path, limits.MAX_CONFIG_BYTES)).hexdigest()
    ctx = _context_from(config) if config is not None else _salvage_context(config_path)
    if ctx.data is None:
        raise ValidationError(problems)

    source, found = open_source(config_path.parent, ctx.data, ctx.overrides, cfg_file)
    problems.extend(found)
    if source is None:
        raise ValidationError(problems)
    return _read_source(source, config, ctx, problems, hashes, config_path)


def _read_source(
    source: FolderSource | WorkbookSource | FrameSource,
    config: Config | None,
    ctx: _Context,
    problems: list[Problem],
    hashes: dict[str, str],
    config_path: Path | None,
) -> Scenario:
    """Read every table from ``source``, check them (:func:`_check_tables`) and build the Scenario; raise
    :class:`ValidationError` with ``problems`` (the config's, found before) and the tables' problems."""
    raws: dict[str, RawTable | None] = {}
    read_problems: dict[str, list[Problem]] = {}
    try:
        for table in TABLE_ORDER:
            raws[table], read_problems[table] = source.read(table)
    finally:
        source.close()
    hashes.update(source.hashes)
    warnings = list(source.warnings)

    checks = _check_tables(raws, read_problems, ctx, problems)
    if problems or config is None:
        raise ValidationError(problems)

    tables = {t: (checks[t].frame() if t in checks else empty_table(t)) for t in TABLE_ORDER}
    sources = {t: checks[t].raw.source for t in TABLE_ORDER if t in checks}
    origins = {
        t: TableOrigin(
            checks[t].raw.file,
            checks[t].raw.sheet,
            tuple(checks[t].raw.rows),
            dict(checks[t].raw.headers),
            checks[t].raw.header_row,
        )
        for t in TABLE_ORDER
        if t in checks
    }
    return Scenario(config, tables, config_path, hashes, sources, origins, tuple(warnings), validated=True)


def scenario_from_frames(config: Mapping[str, object] | Config, tables: Mapping[str, pd.DataFrame]) -> Scenario:
    """A scenario built in memory: ``config`` a mapping as the YAML file would give (or a
    :class:`~linkage_opt.inputs.config.Config`), ``tables`` table name -> pandas DataFrame (the tables of
    docs/data.md; the optional ones may be left out). The frames may hold text as a file would
    (``"1,200"``, ``"是"``, ``"2026-12-31"``, headers in Chinese) or typed values (numbers, booleans,
    timestamps, tuples for list columns).

    Validated as :func:`load_scenario` validates files -- the same rules and messages, every problem in one
    :class:`ValidationError` -- with the table's name where a file's name would be and the row a CSV of
    the frame would have (its header is row 1, the frame's first row is row 2, whatever the index):
    ``needs, row 3, column quantity: must not be negative``. The config's problems name ``config``.
    ``config["data"]`` is not needed (the tables are given) and is ignored.
    """
    problems: list[Problem] = []
    config_obj: Config | None = None
    raw: object = config.model_dump() if isinstance(config, Config) else config
    if isinstance(raw, Mapping):
        raw = dict(raw)
        raw.setdefault("data", "")
    try:
        config_obj = parse_config(raw, FRAMES_CONFIG)
    except ValidationError as exc:
        problems.extend(exc.problems)
    ctx = _context_from(config_obj) if config_obj is not None else _salvage_raw(raw)
    if not isinstance(tables, Mapping):
        raise ValidationError(
            [
                *problems,
                Problem(
                    "tables",
                    None,
                    None,
                    Msg("tables must be a mapping of table name to DataFrame"),
                    value=type(tables).__name__,
                ),
            ]
        )
    for name in tables:
        if name not in TABLES:
            guess = _did_you_mean(str(name), TABLE_ORDER)
            tables_are = Msg("the tables are {tables}", tables=", ".join(TABLE_ORDER))
            problems.append(
                Problem(
                    "tables",
                    None,
                    None,
                    Msg("unknown table {table!r}", table=name),
                    hint=Msg("did you mean {guess!r}? ", guess=guess) + tables_are if guess else tables_are,
                )
            )
    return _read_source(FrameSource(dict(tables)), config_obj, ctx, problems, {}, None)


FRAMES_CONFIG = "config"  # how problems of scenario_from_frames's config name it


def _check_tables(
    raws: dict[str, RawTable | None], read_problems: dict[str, list[Problem]], ctx: _Context, problems: list[Problem]
) -> dict[str, _TableCheck]:
    """Coerce and check every table read (each alone, then across tables); append the problems, table by
    table in TABLE_ORDER and by row, to ``problems``."""
    checks: dict[str, _TableCheck] = {}
    for table in TABLE_ORDER:
        raw = raws[table]
        if raw is None:
            continue
        chk = _TableCheck(raw, TABLES[table])
        chk.check_columns()
        chk.check_rows()
        chk.coerce()
        chk.check_key()
        checks[table] = chk
    _check_provider_ids(checks)
    _check_references(checks, ctx, {t for t in TABLE_ORDER if raws[t] is None and read_problems[t]})
    if "units" in checks:
        _check_units(checks["units"])
    if "needs" in checks:
        _check_needs(checks["needs"])
    if "charity" in checks:
        _check_charity(checks["charity"], ctx, checks.get("units"))
    if "reach" in checks:
        _check_reach(checks["reach"])
    for table in TABLE_ORDER:
        problems.extend(read_problems[table])
        if table in checks:
            problems.extend(sorted(checks[table].problems, key=lambda p: -1 if p.row is None else p.row))
    return checks


# -- a scenario built or changed in Python: validated again, as the loader validates files ---------

_as_text = value_text  # a canonical cell back as the text a user would have typed


def _raw_from_frame(table: str, frame: pd.DataFrame, origin: TableOrigin | None, source: str | None) -> RawTable:
    """A table of a Scenario as the reader would have produced it: text cells, spreadsheet rows."""
    if origin is None:
        origin = TableOrigin(source or f"the {table} table", None, (), {}, 1)
    n = len(frame)
    rows = [origin.row(i, n) for i in range(n)]
    columns = [str(c) for c in frame.columns]
    text = pd.DataFrame(
        {str(c): pd.Series([_as_text(v) for v in frame[c].tolist()], dtype=object) for c in frame.columns}
    )
    text.index = pd.RangeIndex(n)
    known = {c.name for c in TABLES[table].columns}
    headers = {c: origin.headers.get(c, c) for c in columns}
    return RawTable(
        table, origin.file, origin.sheet, text, rows, headers, origin.header_row, [c for c in columns if c not in known]
    )


def validate_scenario(scenario: Scenario) -> Scenario:
    """``scenario`` when the loader (or an earlier call) validated exactly this config and these tables;
    otherwise a new, canonical Scenario, checked as :func:`load_scenario` checks files -- the same rules and
    the same messages, naming the file, spreadsheet row and column each row came from -- or a
    :class:`ValidationError` with every problem. :func:`linkage_opt.solve` calls it first, so a scenario
    changed with ``scenario.replace`` or ``dataclasses.replace`` is never planned unchecked.
    """
    if not isinstance(scenario, Scenario):
        raise ValidationError(
            [
                Problem(
                    "solve",
                    None,
                    None,
                    Msg("expected a Scenario, got {error}", error=type(scenario).__name__),
                    hint=Msg("load one with linkage_opt.load_scenario(config_path)"),
                )
            ]
        )
    if scenario.is_validated:
        return scenario
    source = str(scenario.config_path) if scenario.config_path is not None else "the config"
    problems: list[Problem] = []
    config: Config | None = None
    try:  # model_copy(update=...) and model_construct skip pydantic's checks: run them
        dumped = scenario.config.model_dump() if isinstance(scenario.config, Config) else scenario.config
        config = parse_config(dumped, source)
    except ValidationError as exc:
        problems.extend(exc.problems)
    except Exception:
        problems.append(
            Problem(
                source,
                None,
                None,
                Msg("the scenario's config is not a linkage-opt Config"),
                hint=Msg("build it with linkage_opt.inputs.config.parse_config or load_scenario"),
            )
        )
    ctx = _context_from(config) if config is not None else _Context(None, {}, None)
    raws = {
        t: _raw_from_frame(t, scenario.tables[t], scenario.origins.get(t), scenario.sources.get(t)) for t in TABLE_ORDER
    }
    checks = _check_tables(raws, {t: [] for t in TABLE_ORDER}, ctx, problems)
    if problems or config is None:
        raise ValidationError(problems)
    tables = {t: checks[t].frame() for t in TABLE_ORDER}
    return Scenario(
        config,
        tables,
        scenario.config_path,
        scenario.input_hashes,
        scenario.sources,
        scenario.origins,
        scenario.warnings,
        validated=True,
    )


def load_recorded_scenario(config, plan_dir: Path):
    """``(scenario, None)`` from the config a plan records, or ``(None, why)`` when it cannot be loaded."""
    if not config:
        return None, "summary.json names no config"
    path = Path(config)
    candidates = (
        [path] if path.is_absolute() else [path] + [base / path for base in (plan_dir, *plan_dir.resolve().parents[:3])]
    )
    for cand in candidates:
        if cand.is_file():
            try:
                return load_scenario(cand), None
            except Exception as exc:  # a changed or broken config: still report the plan
                return None, f"{cand}: {type(exc).__name__}: {exc}"
    return None, f"{config} not found"
