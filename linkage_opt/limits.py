"""The limits every input is held to, in one place (documented in docs/operations.md, "Limits").

Each is far above what a real district needs (the 2,000-unit ``generate --preset city`` scenario is
3.5 MB of CSV, about 70 MB unpacked as a workbook) and far below what would exhaust a machine or
reach the solver as an "infinite" number. An input over a limit is bad input: exit 2, located like
every other problem, nothing read past the limit.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

from .i18n import Msg

MIB = 1024 * 1024

# Files
MAX_CONFIG_BYTES = 1 * MIB  # the YAML config
MAX_CONFIG_DEPTH = 20  # nesting of mappings and lists in the config
MAX_CONFIG_NODES = 100_000  # values in the config, counting each use of a YAML alias
MAX_TABLE_BYTES = 64 * MIB  # one CSV file
MAX_WORKBOOK_BYTES = 64 * MIB  # the .xlsx file itself (compressed)
MAX_WORKBOOK_UNPACKED_BYTES = 256 * MIB  # the sum of its members' unpacked sizes, checked before parsing
MAX_WORKBOOK_MEMBERS = 10_000  # files inside the .xlsx zip
MAX_SHARED_STRINGS = 1_000_000  # entries of the workbook's shared-strings table
MAX_TABLE_ROWS = 1_000_000  # rows of one table (CSV records or sheet rows, blank ones too)
MAX_TABLE_COLUMNS = 1_000  # the last column holding a value
MAX_TABLE_CELLS = 20_000_000  # cells of one table in all

# Cells and values
MAX_CELL_CHARS = 10_000  # one cell of a table (CSV field or workbook cell)
MAX_NUMBER = 1e12  # |number| in a table or the config (1e12 yuan, hours, km, ...)
MIN_DATE = dt.date(1900, 1, 1)  # dates in tables (expires)
MAX_DATE = dt.date(2199, 12, 31)
MIN_YEAR, MAX_YEAR = MIN_DATE.year, MAX_DATE.year  # the period YYYY-MM

# Solver options (config `solver:` and --time-limit / --mip-gap / --threads / --seed / solve(...))
MAX_TIME_LIMIT = 30 * 24 * 3600.0  # seconds (30 days); blank / None = no limit
MAX_MIP_GAP = 1.0  # relative gap, 0 <= gap <= 1
MAX_THREADS = 1024
MAX_SEED = 2**31 - 1  # solvers take a 32-bit seed
MAX_DAYS = 36_600  # rules.expiry.horizon_days (100 years)
MAX_MONTHS = 1_200  # carry_over.months


def path_kind(path: Path | str) -> str | None:
    """What a path is, following symlinks: ``file``, ``folder``, ``device``, ``fifo``, ``socket``,
    ``other``, or None when nothing is there (or the path cannot be looked at: a NUL byte, say)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "other"


KIND_WORDS = {
    "folder": Msg("a folder"),
    "device": Msg("a device"),
    "fifo": Msg("a named pipe (FIFO)"),
    "socket": Msg("a socket"),
    "other": Msg("not a regular file"),
}


class TooLarge(Exception):
    """A file is larger than its limit (nothing past the limit was read)."""

    def __init__(self, limit: int):
        super().__init__(f"larger than {size_text(limit)}")
        self.limit = limit


def read_limited(path: Path | str, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; :class:`TooLarge` past it (OSError as usual).

    At most ``limit + 1`` bytes are read, so a file that grows while being read cannot exhaust memory.
    """
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(limit)
    return data


def size_text(n: int) -> str:
    """A byte count as a person reads it: ``64 MiB``, ``1.5 MiB``, ``900 bytes``."""
    if n >= MIB:
        return f"{n / MIB:g} MiB" if (n / MIB) == int(n / MIB) else f"{n / MIB:.1f} MiB"
    return f"{n:,} bytes"
