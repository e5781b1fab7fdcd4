"""Typed errors of the library. The CLI turns them into messages and exit codes, never tracebacks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One input problem, located as the user sees it: file (and sheet), spreadsheet row, column."""

    file: str
    row: int | None          # spreadsheet row number (header is row 1, first data row is row 2)
    column: str | None
    message: str
    hint: str = ""
    value: object = None
    sheet: str | None = None

    def location(self) -> str:
        where = self.file
        if self.sheet:
            where += f" [sheet {self.sheet}]"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return where

    def __str__(self) -> str:
        text = f"{self.location()}: {self.message}"
        if self.value is not None and self.value != "":
            text += f" (value: {self.value!r})"
        if self.hint:
            text += f" -- hint: {self.hint}"
        return text


class LinkageError(Exception):
    """Base class of every error linkage-opt raises on purpose."""

    exit_code = 4


class ValidationError(LinkageError):
    """Bad input: carries every problem found in one pass."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} input problem{'s' if n != 1 else ''} found"
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
