"""What the command line prints for people, shared by every layer that prints (the cli, ``analysis.summary``
for ``validate``, ``solving.baseline`` for ``plan --baseline``): tables that stay readable in a narrow
terminal (:func:`print_table`), and quantities with their unit of measure (:func:`qty`)."""

from __future__ import annotations

import math

from rich.console import Console


def print_table(table, console: Console) -> None:
    """Print a rich table, or -- when it is wider than the terminal (80 columns, say) -- the same content
    stacked: one block per row, the first cell as its heading and every other cell as ``header: value``
    (wrapped to the terminal's width, CJK characters counted as two cells). A table of one or two columns
    (a list, or figures and their values) is printed as it is: rich fits it to the width."""
    from rich.measure import Measurement
    from rich.padding import Padding
    from rich.text import Text

    cols = table.columns
    natural = Measurement.get(console, console.options.update_width(10_000), table).maximum
    if len(cols) <= 2 or natural <= console.width:
        console.print(table)
        return
    if table.title:
        console.print(table.title, style="bold", highlight=False)
    headers = [Text.from_markup(c.header) if isinstance(c.header, str) else c.header for c in cols]
    cells = [list(c.cells) for c in cols]
    for i in range(table.row_count):
        row = [cells[j][i] if i < len(cells[j]) else "" for j in range(len(cols))]
        first = Text.from_markup(row[0]) if isinstance(row[0], str) else row[0]
        console.print(first, style="bold", highlight=False)
        for h, v in zip(headers[1:], row[1:]):
            value = Text.from_markup(v) if isinstance(v, str) else v
            if isinstance(value, Text) and not value.plain.strip():
                continue
            line = Text()
            head = h if isinstance(h, Text) else Text(str(h))
            if head.plain.strip():
                line.append_text(head)
                line.append(": ")
            line.append_text(value if isinstance(value, Text) else Text(str(value)))
            console.print(Padding(line, (0, 0, 0, 2), expand=False), highlight=False)  # a wrapped line stays indented
    if table.caption:
        console.print(table.caption, style="dim", highlight=False)


def number(v, decimals: int = 2) -> str:
    """A figure as people read it: thousands separated, at most ``decimals`` decimals, never scientific
    (24,000; 9,805.34; 12.5; 0 for 0.0000001)."""
    if v is None:
        return "-"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(f):
        return "∞" if f > 0 else "-" if f != f else "-∞"
    if abs(f - round(f)) < 0.5 * 10**-decimals:
        return f"{round(f):,.0f}"
    text = f"{f:,.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def qty(v, unit: str, lang: str, decimals: int = 2) -> str:
    """A quantity and its unit of measure in ``lang``: ``12.5 h`` / ``12.5 小时``, ``1,200 yuan`` / ``1,200 元``;
    ``unit`` is ``hours``, ``yuan``, ``items`` or any other word (a goods lot's item: ``bags``)."""
    return f"{number(v, decimals)} {unit_word(unit, lang)}".rstrip()


def unit_word(unit: str, lang: str) -> str:
    """A unit of measure as printed after a number: ``h`` / ``小时``, ``yuan`` / ``元``, a goods item as given."""
    from .lang import uom

    if not unit:
        return ""
    return "h" if unit == "hours" and lang != "zh" else uom(unit, lang)
