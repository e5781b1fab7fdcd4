"""Typed errors of the library. The CLI turns them into messages and exit codes, never tracebacks."""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import Msg, ngettext, render, resolve
from .i18n import _ as gettext


@dataclass(frozen=True)
class Problem:
    """One input problem, located as the user sees it: file (and sheet), spreadsheet row, column.

    ``message`` and ``hint`` are :class:`~linkage_opt.i18n.Msg`: a message id and its parameters, which read as
    English text and are rendered in another language by :meth:`render` at output time."""

    file: str
    row: int | None  # spreadsheet row number (header is row 1, first data row is row 2)
    column: str | None
    message: str
    hint: str = ""
    value: object = None
    sheet: str | None = None

    @property
    def msgid(self) -> str:
        """The message id of ``message`` (its English text with ``{name}`` placeholders)."""
        return self.message.msgid if isinstance(self.message, Msg) else self.message

    @property
    def params(self) -> dict:
        return dict(self.message.params) if isinstance(self.message, Msg) else {}

    def location(self, lang: str = "en") -> str:
        where = self.file
        if self.sheet:
            where += gettext(" [sheet {sheet}]", lang).format(sheet=self.sheet)
        if self.row is not None:
            where += gettext(", row {row}", lang).format(row=self.row)
        if self.column:
            where += gettext(", column {column}", lang).format(column=self.column)
        return where

    def render(self, lang: str | None = None) -> str:
        """The problem in ``lang``: location, message, value and hint."""
        lang = resolve(lang)
        text = self.location(lang) + gettext(": ", lang) + render(self.message, lang)
        if self.value is not None and self.value != "":
            text += gettext(" (value: {value})", lang).format(value=repr(self.value))
        if self.hint:
            text += gettext(" -- hint: {hint}", lang).format(hint=render(self.hint, lang))
        return text

    def __str__(self) -> str:
        return self.render("en")


class LinkageError(Exception):
    """Base class of every error linkage-opt raises on purpose."""

    exit_code = 4


class ValidationError(LinkageError):
    """Bad input: carries every problem found in one pass."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = ngettext("{n} input problem found", "{n} input problems found", n, "en").format(n=n)
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class InfeasibleError(LinkageError):
    """The requirements cannot all hold; ``diagnosis`` says which conflict, in the user's terms."""

    exit_code = 3

    def __init__(self, message: str, diagnosis=None):
        self.diagnosis = diagnosis
        super().__init__(message)


class SolverError(LinkageError):
    """The solver failed or gave no usable answer."""

    exit_code = 4


class OutputError(LinkageError):
    """A plan, or another output, could not be written: disk full, read-only file system, permission
    denied, or another writer holding the folder's lock too long (exit code 4). Nothing was changed:
    the earlier plan, if any, is intact. The message says so ("no plan was changed")."""

    exit_code = 4


class OutputPathError(OutputError):
    """An output path that cannot be a folder: it exists and is a file, a FIFO, a device or a socket, a
    part of it is a file, or a new folder was asked for where one exists (exit code 2: a bad option).
    Nothing was touched; a FIFO or device is never opened."""

    exit_code = 2


def fmt_qty(v: float) -> str:
    """A quantity as planners write it: 18,000 rather than 1.8e+04; 12.5 rather than 12.500000; at most two
    decimals, never scientific notation (0.00001 is 0)."""
    v = float(v)
    if v != v:
        return "-"
    if v in (float("inf"), float("-inf")):
        return "∞" if v > 0 else "-∞"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
