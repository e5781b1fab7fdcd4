"""Reading the scenario's tables: CSV files in a folder, or sheets of one ``.xlsx`` workbook.

Everything is read as text, exactly as the user typed it (the validator in :mod:`linkage_opt.inputs.load`
coerces types). Headers are normalised to the canonical column names of :mod:`linkage_opt.schema`
(case-insensitive English, or a Chinese alias). Blank rows are skipped but every data row keeps its
spreadsheet row number (the header is row 1 when it is on the first line).

CSV encodings: UTF-8 (with or without BOM), GBK/GB18030 (what Excel and WPS save on Chinese
Windows), UTF-16 with BOM ("Unicode text"); each strictly, the whole file at once. Nothing else is
guessed: a file that is none of them is refused with the row and byte offset of its first bad byte.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import hashlib
import io
import math
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import limits
from ..errors import Problem
from ..i18n import Msg
from ..limits import KIND_WORDS, TooLarge, path_kind, read_limited, size_text
from ..schema import COMMENT_PREFIX, TABLE_LABELS, TABLES, Table

EXCEL_SUFFIXES = (".xlsx", ".xlsm")


# -- headers -----------------------------------------------------------------------------------------


def normalise_header(text: object) -> str:
    """Strip, lower-case, and write internal spaces and hyphens as ``_``: ``Unit ID`` -> ``unit_id``."""
    s = "" if text is None else str(text)
    s = s.replace("\ufeff", "").replace("\u3000", " ").strip()
    s = re.sub(r"[\s\-]+", "_", s)
    return s.lower()


def header_label(headers, column: str | None) -> str | None:
    """``quantity``, or ``quantity (数量)`` when the header the user wrote (``headers[column]``) differs."""
    if column is None:
        return None
    written = headers.get(column)
    if written is not None and normalise_header(written) != column:
        return f"{column} ({written})"
    return column


def header_map(table: Table) -> dict[str, str]:
    """Normalised header -> canonical column name (canonical names and their aliases)."""
    out: dict[str, str] = {}
    for c in table.columns:
        out[normalise_header(c.name)] = c.name
        for a in c.aliases:
            out.setdefault(normalise_header(a), c.name)
    return out


def display_path(path: Path | str) -> str:
    """A path as messages show it: normalised, relative to the working folder when inside it."""
    p = os.path.normpath(str(path))
    if os.path.isabs(p):
        try:
            rel = os.path.relpath(p)
        except ValueError:  # another drive on Windows
            return p
        if not rel.startswith(".."):
            return rel
    return p


# -- the raw table ----------------------------------------------------------------------------------


@dataclass
class RawTable:
    """One table as read: text cells under canonical (or normalised extra) column names."""

    table: str
    file: str  # display path of the file (the workbook for sheets)
    sheet: str | None  # sheet name for workbooks
    frame: pd.DataFrame  # every cell a str; canonical columns first, then extras
    rows: list[int]  # spreadsheet row number of each frame row
    headers: dict[str, str]  # column -> header as the user wrote it
    header_row: int = 1
    extras: list[str] = field(default_factory=list)  # columns not in the schema, in file order
    unusable: dict[str, set[int]] = field(default_factory=dict)  # column -> frame rows of refused cells

    @property
    def source(self) -> str:
        return f"{self.file} [{self.sheet}]" if self.sheet else self.file

    def column_label(self, column: str | None) -> str | None:
        """``quantity``, or ``quantity (数量)`` when the user's header differs from the canonical name."""
        return header_label(self.headers, column)

    def problem(
        self, row: int | None, column: str | None, message: str, hint: str = "", value: object = None
    ) -> Problem:
        return Problem(self.file, row, self.column_label(column), message, hint=hint, value=value, sheet=self.sheet)


def _shorten(text: str, n: int = 200) -> str:
    """A cell as a message echoes it: at most ``n`` characters."""
    return text if len(text) <= n else text[:n] + "…"


def _long_cell(file: str, row: int, column: str | None, sheet: str | None, length: int) -> Problem:
    return Problem(
        file,
        row,
        column,
        Msg(
            "the cell is longer than {max_cell_chars:,} characters ({length:,})",
            max_cell_chars=limits.MAX_CELL_CHARS,
            length=length,
        ),
        hint=Msg(
            "shorten it: a cell holds at most {max_cell_chars:,} characters", max_cell_chars=limits.MAX_CELL_CHARS
        ),
        sheet=sheet,
    )


def _build(
    table: Table, file: str, sheet: str | None, records: list[tuple[int, list[str]]]
) -> tuple[RawTable | None, list[Problem]]:
    """Turn (row number, cells) records into a RawTable; the first non-blank record is the header."""
    problems: list[Problem] = []
    # blank rows and comment rows (first cell starting with '#', e.g. the template's notes row) are skipped
    records = [
        (n, cells)
        for n, cells in records
        if any(c.strip() for c in cells) and not (cells and cells[0].lstrip().startswith(COMMENT_PREFIX))
    ]
    expected = ", ".join(c.name for c in table.columns if c.required)
    if not records:
        return None, [
            Problem(
                file,
                None,
                None,
                Msg("the table is empty: no header row"),
                hint=Msg("the first row must hold the column names, e.g. {expected}", expected=expected),
                sheet=sheet,
            )
        ]
    header_row, header_cells = records[0]
    mapping = header_map(table)
    known = [c.name for c in table.columns]
    columns: list[tuple[int, str, str]] = []  # (position, column name, header as written)
    seen: dict[str, str] = {}
    for pos, written in enumerate(header_cells):
        written_s = written.replace("\ufeff", "").strip()
        if not written_s:
            continue  # a column without a header cannot be referred to: ignored, cells too
        if len(written_s) > limits.MAX_CELL_CHARS:
            problems.append(_long_cell(file, header_row, None, sheet, len(written_s)))
            continue
        norm = normalise_header(written_s)
        name = mapping.get(norm, norm)
        if name in seen:
            problems.append(
                Problem(
                    file,
                    header_row,
                    name,
                    Msg(
                        "column {name!r} appears twice (headers {name2!r} and {written_s!r})",
                        name=name,
                        name2=seen[name],
                        written_s=written_s,
                    ),
                    hint=Msg("keep one of them"),
                    value=written_s,
                    sheet=sheet,
                )
            )
            continue
        seen[name] = written_s
        columns.append((pos, name, written_s))
    if not any(name in known or _close(name, list(mapping)) for _, name, _ in columns):
        # Not this table at all (another file, or a file that is no table): say so without echoing it.
        return None, [
            Problem(
                file,
                header_row,
                None,
                Msg("this is not the {name} table: none of its column headers is a {name} column", name=table.name),
                hint=Msg(
                    "the first row must hold the column names, e.g. {expected}; check which file the config names",
                    expected=expected,
                ),
                sheet=sheet,
            )
        ]
    n_header = len(header_cells)
    data: dict[str, list[str]] = {name: [] for _, name, _ in columns}
    rows: list[int] = []
    unusable: dict[str, set[int]] = {}
    for n, cells in records[1:]:
        i = len(rows)
        extra = [c for c in cells[n_header:] if c.strip()]
        if extra:
            problems.append(
                Problem(
                    file,
                    n,
                    None,
                    Msg("the row has {n} cells but the header has {n_header} columns", n=len(cells), n_header=n_header),
                    hint=Msg("a value with a comma must be quoted, or a header is missing"),
                    value=_shorten(extra[0]),
                    sheet=sheet,
                )
            )
        rows.append(n)
        for pos, name, _ in columns:
            text = cells[pos] if pos < len(cells) else ""
            if len(text) > limits.MAX_CELL_CHARS:  # refused; the rest of the row is still checked
                problems.append(_long_cell(file, n, name, sheet, len(text)))
                unusable.setdefault(name, set()).add(i)
                text = ""
            data[name].append(text)
    extras = [name for _, name, _ in columns if name not in known]
    order = [name for name in known if name in data] + extras
    frame = pd.DataFrame({name: pd.Series(data[name], dtype=object) for name in order})
    frame.index = pd.RangeIndex(len(rows))
    raw = RawTable(
        table.name, file, sheet, frame, rows, {name: w for _, name, w in columns}, header_row, extras, unusable
    )
    return raw, problems


class _Oversize(Exception):
    """A table past the row, column or cell limits (reading stopped there)."""

    def __init__(self, row: int, message: str, hint: str):
        super().__init__(message)
        self.row, self.message, self.hint = row, message, hint


def bounded_records(rows, to_text=None) -> list[tuple[int, list[str]]]:
    """``(row number, cells as text)`` of an iterable of rows, held to the table limits.

    Raises :class:`_Oversize` at the first row past ``MAX_TABLE_ROWS``, with a value beyond column
    ``MAX_TABLE_COLUMNS`` (trailing empty cells do not count), or past ``MAX_TABLE_CELLS`` in all.
    """
    out: list[tuple[int, list[str]]] = []
    total = 0
    for n, row in enumerate(rows, start=1):
        if n > limits.MAX_TABLE_ROWS:
            raise _Oversize(
                n,
                Msg("the table has more than {max_table_rows:,} rows", max_table_rows=limits.MAX_TABLE_ROWS),
                Msg("split the table, or remove the empty rows at its end"),
            )
        width = len(row)
        if width > limits.MAX_TABLE_COLUMNS:
            while width and (row[width - 1] is None or row[width - 1] == ""):
                width -= 1
            if width > limits.MAX_TABLE_COLUMNS:
                raise _Oversize(
                    n,
                    Msg(
                        "the row has a value in column {width:,}, past the limit of {max_table_columns:,} columns",
                        width=width,
                        max_table_columns=limits.MAX_TABLE_COLUMNS,
                    ),
                    Msg("remove the cells far to the right"),
                )
            row = row[:width]
        total += width
        if total > limits.MAX_TABLE_CELLS:
            raise _Oversize(
                n,
                Msg("the table has more than {max_table_cells:,} cells", max_table_cells=limits.MAX_TABLE_CELLS),
                Msg("split the table"),
            )
        out.append((n, [to_text(v) for v in row] if to_text is not None else list(row)))
    return out


# -- CSV ------------------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str | None, str, int | None]:
    """``(text, encoding, None)`` for a CSV's bytes, or ``(None, reason, row)`` when they are not text.

    Strict: UTF-8 (with or without BOM), else the whole file as GBK/GB18030, else UTF-16 when it starts
    with a BOM. No other encoding is guessed: a file that decodes in none of them without replacement
    characters is refused, naming the spreadsheet row and the byte offset of the first bad byte (in
    UTF-8 when the file has UTF-8 text before it, else in GB18030), so one damaged name never turns the
    whole file into another code page's characters.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", None
        except UnicodeDecodeError as exc:
            return None, f"invalid UTF-16 at byte offset {exc.start:,}", None
    if data.startswith(b"PK\x03\x04"):
        return None, "this is a zip file (an Excel workbook?), not CSV text", None
    if b"\x00" in data:
        return None, "binary content, not CSV text", None
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8"), "utf-8", None
    except UnicodeDecodeError as exc:
        utf8 = exc
    if not bom:
        try:
            return data.decode("gb18030"), "gb18030", None
        except UnicodeDecodeError as exc:
            gb = exc
    # Which reading to blame: UTF-8 when valid UTF-8 multi-byte text comes before its first bad byte
    # (or the file has a UTF-8 BOM), else GB18030 (the first non-ASCII byte already fails in UTF-8).
    if bom or any(b >= 0x80 for b in data[: utf8.start + bom]):
        encoding, name, start, other = "utf-8", "UTF-8", bom, "GBK/GB18030" if not bom else ""
        offset = utf8.start + bom
    else:
        encoding, name, start, other = "gb18030", "GBK/GB18030", 0, "UTF-8"
        offset = gb.start
    row = _row_at(data[start:offset].decode(encoding))
    reason = Msg(
        "invalid {name} at byte offset {offset:,} (0x{offset2:02X})", name=name, offset=offset, offset2=data[offset]
    )
    if other:
        reason += Msg("; the file is not {other} text either", other=other)
    return None, reason, row


def _row_at(prefix: str) -> int:
    """The spreadsheet row (record number, as :func:`parse_csv_text` counts) at the end of ``prefix``."""
    try:
        return len(parse_csv_text(prefix + "x"))  # the sentinel starts (or continues) the record
    except (csv.Error, _Oversize):
        return prefix.count("\n") + 1


class CsvRowError(csv.Error):
    """A CSV record that cannot be parsed, with its spreadsheet row."""

    def __init__(self, message: str, row: int):
        super().__init__(message)
        self.row = row


def parse_csv_text(text: str) -> list[tuple[int, list[str]]]:
    """Records with their spreadsheet row numbers (a quoted multi-line cell stays one row), held to the
    table limits (:func:`bounded_records`); :class:`CsvRowError` names the row of a record that fails."""
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = "\t" if ("\t" in first and "," not in first) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    done: list[int] = []

    def rows():
        for cells in reader:
            done.append(1)
            yield cells

    try:
        return bounded_records(rows())
    except csv.Error as exc:
        raise CsvRowError(str(exc), len(done) + 1) from None


# -- Excel cells ----------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A workbook cell as the user sees it: ints without ``.0``, dates as ISO, booleans true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


# -- data sources ------------------------------------------------------------------------------------


def _close(name: str, options: list[str]) -> str:
    m = difflib.get_close_matches(name, options, n=1, cutoff=0.75)
    return m[0] if m else ""


class FolderSource:
    """Tables as ``<table>.csv`` files in a folder (or the file named in ``config.tables``)."""

    def __init__(self, folder: Path, overrides: dict[str, str]):
        self.folder = folder
        self.overrides = overrides
        self.hashes: dict[str, str] = {}
        self.warnings: list[Problem] = []

    def _path(self, table: str) -> Path:
        name = self.overrides.get(table) or f"{table}.csv"
        path = self.folder / name
        if not path.exists() and Path(name).parent == Path("."):
            # Windows users do not see case: Units.csv is units.csv.
            matches = [p for p in self.folder.iterdir() if p.name.lower() == name.lower()]
            if len(matches) == 1:
                path = matches[0]
        if not path.exists() and table not in self.overrides and table in TABLE_LABELS:
            zh = self.folder / f"{TABLE_LABELS[table]}.csv"  # 单位.csv for units.csv
            if zh.exists():
                path = zh
        return path

    def read(self, table: str) -> tuple[RawTable | None, list[Problem]]:
        spec = TABLES[table]
        try:
            path = self._path(table)
        except (OSError, ValueError):  # e.g. a file name with a NUL in config.tables
            path = self.folder / str(self.overrides.get(table, table)).replace("\0", "")
        kind = path_kind(path)
        shown = display_path(path)
        if kind is None:
            if spec.optional:
                return None, []
            present = sorted(p.name for p in self.folder.glob("*.csv"))
            guess = _close(path.name, present)
            hint = (Msg("did you mean {guess!r}? ", guess=guess) if guess else "") + (
                Msg("CSV files found: {present}", present=", ".join(present))
                if present
                else Msg("the folder has no CSV files")
            )
            if table not in self.overrides:
                hint += Msg(
                    "; name the file {name} or set tables: {{{table}: <file>}} in the config",
                    name=path.name,
                    table=table,
                )
            return None, [
                Problem(shown, None, None, Msg("the {table} table is missing: file not found", table=table), hint=hint)
            ]
        if kind != "file":  # never opened: a FIFO would block, a device never end
            return None, [
                Problem(
                    shown,
                    None,
                    None,
                    Msg("the {table} table is {kind}, not a CSV file", table=table, kind=KIND_WORDS[kind]),
                    hint=Msg("give a CSV file for the {table} table (tables: in the config names it)", table=table),
                )
            ]
        try:
            data = read_limited(path, limits.MAX_TABLE_BYTES)
        except TooLarge:
            return None, [
                Problem(
                    shown,
                    None,
                    None,
                    Msg(
                        "the file is larger than {size}, the limit for one table",
                        size=size_text(limits.MAX_TABLE_BYTES),
                    ),
                    hint=Msg("check that this is the table meant; see 'Limits' in docs/operations.md"),
                )
            ]
        except OSError as exc:
            return None, [
                Problem(
                    shown,
                    None,
                    None,
                    Msg("cannot read the file: {error}", error=exc.strerror or exc),
                    hint=Msg("check that the file is readable and not locked by another program"),
                )
            ]
        self.hashes[shown] = hashlib.sha256(data).hexdigest()
        text, how, row = decode_text(data)
        if text is None:
            hint = Msg("save it from Excel/WPS as 'CSV UTF-8' (or CSV), one table per file")
            if row is not None:
                hint = Msg(
                    "the bytes there are damaged or in another encoding (no other encoding is guessed): fix that cell, or save the file again as 'CSV UTF-8'"
                )
            return None, [Problem(shown, row, None, Msg("cannot read the file as CSV: {how}", how=how), hint=hint)]
        try:
            records = parse_csv_text(text)
        except _Oversize as exc:
            return None, [Problem(shown, exc.row, None, exc.message, hint=exc.hint)]
        except CsvRowError as exc:
            if "field larger than field limit" in str(exc):
                return None, [
                    Problem(
                        shown,
                        exc.row,
                        None,
                        Msg(
                            "a cell is longer than {max_cell_chars:,} characters", max_cell_chars=limits.MAX_CELL_CHARS
                        ),
                        hint=Msg(
                            "shorten it (a cell holds at most {max_cell_chars:,} characters); a quote that is never closed also makes the rest of the file one cell",
                            max_cell_chars=limits.MAX_CELL_CHARS,
                        ),
                    )
                ]
            return None, [
                Problem(
                    shown,
                    exc.row,
                    None,
                    Msg("cannot parse the CSV: {exc}", exc=exc),
                    hint=Msg("check quoting: a value with a comma or a quote must be quoted"),
                )
            ]
        if spec.optional and not any(any(c.strip() for c in cells) for _, cells in records):
            return None, []
        return _build(spec, shown, None, records)

    def close(self) -> None:
        pass


SHARED_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,15}:)?si[\s/>]")


def workbook_problem(data: bytes) -> tuple[str, str] | None:
    """``(message, hint)`` when a workbook's zip is past the limits, checked from the zip's directory and
    a streaming count of shared strings before openpyxl parses anything; None when it is within them (or
    not a zip at all: openpyxl then says the file is not a workbook)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None
    hint = Msg("a real workbook is far smaller: re-save it from Excel/WPS; see 'Limits' in docs/operations.md")
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.MAX_WORKBOOK_MEMBERS:
            return Msg("the workbook holds more than {n:,} files", n=limits.MAX_WORKBOOK_MEMBERS), hint
        unpacked = sum(i.file_size for i in infos)
        if unpacked > limits.MAX_WORKBOOK_UNPACKED_BYTES:
            return (
                Msg(
                    "the workbook unpacks to {size}, more than the limit of {limit}",
                    size=size_text(unpacked),
                    limit=size_text(limits.MAX_WORKBOOK_UNPACKED_BYTES),
                ),
                hint,
            )
        count = 0
        for info in infos:
            if not info.filename.lower().endswith(".xml") or info.is_dir():
                continue
            tail = b""
            try:
                with zf.open(info) as fh:  # zipfile stops at the declared size and checks the CRC
                    while chunk := fh.read(1 << 20):
                        buf = tail + chunk
                        count += sum(1 for m in SHARED_STRING_TAG.finditer(buf) if m.end() > len(tail))
                        tail = buf[-32:]
                        if count > limits.MAX_SHARED_STRINGS:
                            return (
                                Msg("the workbook has more than {n:,} shared strings", n=limits.MAX_SHARED_STRINGS),
                                hint,
                            )
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
                return None  # openpyxl reports the corrupt member
    return None


class WorkbookSource:
    """Tables as sheets of one ``.xlsx`` workbook (sheet named after the table, or ``config.tables``)."""

    def __init__(self, path: Path, overrides: dict[str, str]):
        self.path = path
        self.shown = display_path(path)
        self.overrides = overrides
        self.hashes: dict[str, str] = {}
        self.warnings: list[Problem] = []
        self.book = None
        self.error: Problem | None = None
        try:
            data = read_limited(path, limits.MAX_WORKBOOK_BYTES)
        except TooLarge:
            self.error = Problem(
                self.shown,
                None,
                None,
                Msg("the workbook is larger than {size}, the limit", size=size_text(limits.MAX_WORKBOOK_BYTES)),
                hint=Msg("check that this is the workbook meant; see 'Limits' in docs/operations.md"),
            )
            return
        except OSError as exc:
            self.error = Problem(
                self.shown,
                None,
                None,
                Msg("cannot read the workbook: {error}", error=exc.strerror or exc),
                hint=Msg("check that the file is readable (close it in Excel/WPS if locked)"),
            )
            return
        self.hashes[self.shown] = hashlib.sha256(data).hexdigest()
        too_big = workbook_problem(data)
        if too_big is not None:
            self.error = Problem(self.shown, None, None, too_big[0], hint=too_big[1])
            return
        try:
            import openpyxl

            self.book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError, EOFError) as exc:
            self.error = Problem(
                self.shown,
                None,
                None,
                Msg("cannot open the workbook: not a valid .xlsx file"),
                hint=Msg("save it from Excel/WPS as 'Excel Workbook (*.xlsx)'"),
                value=type(exc).__name__,
            )
        except Exception as exc:
            self.error = Problem(
                self.shown,
                None,
                None,
                Msg("cannot open the workbook: {error}", error=type(exc).__name__),
                hint=Msg("save it from Excel/WPS as 'Excel Workbook (*.xlsx)'"),
            )

    def _sheet(self, name: str, table: str | None = None) -> str | None:
        names = self.book.sheetnames
        if name in names:
            return name
        folded = [s for s in names if s.strip().lower() == name.strip().lower()]
        if len(folded) == 1:
            return folded[0]
        if table is not None and table in TABLE_LABELS:  # a sheet named 单位 is the units table
            zh = [s for s in names if s.strip() == TABLE_LABELS[table]]
            if len(zh) == 1:
                return zh[0]
        return None

    def read(self, table: str) -> tuple[RawTable | None, list[Problem]]:
        spec = TABLES[table]
        if self.book is None:  # open_source reported why
            return None, []
        wanted = self.overrides.get(table) or table
        sheet = self._sheet(wanted, None if table in self.overrides else table)
        if sheet is None:
            if spec.optional:
                return None, []
            names = self.book.sheetnames
            guess = _close(wanted, names)
            hint = (Msg("did you mean {guess!r}? ", guess=guess) if guess else "") + Msg(
                "sheets found: {names}", names=", ".join(names)
            )
            if table not in self.overrides:
                hint += Msg("; name a sheet {table!r} or set tables: {{{table}: <sheet>}} in the config", table=table)
            return None, [
                Problem(
                    self.shown,
                    None,
                    None,
                    Msg("the {table} table is missing: no sheet {wanted!r}", table=table, wanted=wanted),
                    hint=hint,
                )
            ]
        try:
            ws = self.book[sheet]
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()  # some writers record wrong dimensions: read every row there is
            records = bounded_records(ws.iter_rows(values_only=True), cell_text)
        except _Oversize as exc:
            return None, [Problem(self.shown, exc.row, None, exc.message, hint=exc.hint, sheet=sheet)]
        except Exception as exc:
            return None, [
                Problem(
                    self.shown,
                    None,
                    None,
                    Msg("cannot read the sheet: {error}", error=type(exc).__name__),
                    sheet=sheet,
                    hint=Msg("re-save the workbook from Excel/WPS"),
                )
            ]
        if spec.optional and not any(any(c.strip() for c in cells) for _, cells in records):
            return None, []
        state = getattr(ws, "sheet_state", "visible")
        if state in ("hidden", "veryHidden"):  # read, but said: what is planned should be visible
            self.warnings.append(
                Problem(
                    self.shown,
                    None,
                    None,
                    Msg("the sheet is hidden in the workbook; it was read as the {table} table", table=table),
                    hint=Msg("unhide it in Excel/WPS (or remove it) so that what is planned can be seen"),
                    sheet=sheet,
                )
            )
        return _build(spec, self.shown, sheet, records)

    def close(self) -> None:
        if self.book is not None:
            self.book.close()


def value_text(value: object) -> str:
    """A cell of a pandas frame as the text a user would have typed (the loader parses it as it parses a
    file's cell): blanks (None, NaN, NaT) as ``""``, whole floats without ``.0``, booleans true/false, dates
    as ISO, lists and tuples joined with ``;``."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return ""
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (tuple, list, set, frozenset, np.ndarray)):
        return ";".join(value_text(v) for v in value)
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


class FrameSource:
    """The tables of a scenario given as pandas DataFrames (:func:`linkage_opt.inputs.load.scenario_from_frames`),
    read as :class:`FolderSource` reads CSV files: every cell as text (:func:`value_text`), the column
    names as the header row (row 1; the frame's first row is row 2, whatever its index), so that the
    loader checks them with the same rules and messages. A problem names the table where a file's
    would name the file: ``needs, row 3, column quantity``."""

    def __init__(self, tables: dict[str, object]):
        self.tables = tables
        self.hashes: dict[str, str] = {}
        self.warnings: list[Problem] = []

    def read(self, table: str) -> tuple[RawTable | None, list[Problem]]:
        spec = TABLES[table]
        frame = self.tables.get(table)
        if frame is None:
            if spec.optional:
                return None, []
            return None, [
                Problem(
                    table,
                    None,
                    None,
                    Msg("the {table} table is missing", table=table),
                    hint=Msg(
                        "give tables[{table!r}] as a pandas DataFrame with the columns of docs/data.md", table=table
                    ),
                )
            ]
        if not isinstance(frame, pd.DataFrame):
            return None, [
                Problem(
                    table,
                    None,
                    None,
                    Msg("the {table} table is not a pandas DataFrame", table=table),
                    hint=Msg("give each table as a pandas DataFrame"),
                    value=type(frame).__name__,
                )
            ]
        columns = list(frame.columns)
        rows = [[value_text(c) for c in columns]]
        rows += [[value_text(v) for v in values] for values in frame.itertuples(index=False, name=None)]
        try:
            records = bounded_records(rows)
        except _Oversize as exc:
            return None, [Problem(table, exc.row, None, exc.message, hint=exc.hint)]
        if spec.optional and not any(any(c.strip() for c in cells) for _, cells in records):
            return None, []
        return _build(spec, table, None, records)

    def close(self) -> None:
        pass


def open_source(
    config_dir: Path, data: str, overrides: dict[str, str], config_file: str
) -> tuple[FolderSource | WorkbookSource | None, list[Problem]]:
    """The data source the config's ``data:`` points to (relative to the config's folder)."""
    path = config_dir / data
    shown = display_path(path)
    kind = path_kind(path)
    if kind is None:
        return None, [
            Problem(
                config_file,
                None,
                "data",
                Msg("data folder or workbook not found: {shown}", shown=shown),
                hint=Msg("data is relative to the config file's folder"),
                value=data,
            )
        ]
    if kind == "folder":
        return FolderSource(path, overrides), []
    hint = Msg("give a folder of CSV files or an .xlsx workbook")
    if kind != "file":  # never opened
        return None, [
            Problem(
                config_file,
                None,
                "data",
                Msg("data is {kind}, not a folder or an .xlsx workbook: {shown}", kind=KIND_WORDS[kind], shown=shown),
                hint=hint,
                value=data,
            )
        ]
    if kind == "file":
        if path.suffix.lower() in EXCEL_SUFFIXES:
            src = WorkbookSource(path, overrides)
            return (None, [src.error]) if src.error else (src, [])
        if path.suffix.lower() == ".xls":
            hint = Msg("old .xls workbooks are not read: save it as .xlsx (Excel Workbook)")
        elif path.suffix.lower() == ".csv":
            hint = Msg("give the folder that holds the CSV files, not one file")
    return None, [
        Problem(
            config_file,
            None,
            "data",
            Msg("data must be a folder or an .xlsx workbook: {shown}", shown=shown),
            hint=hint,
            value=data,
        )
    ]
