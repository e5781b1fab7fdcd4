"""A blank input workbook for community workers to fill in: ``linkage-opt template OUT.xlsx [--lang zh]``.

One sheet per table of the data contract (:mod:`linkage_opt.schema`), named in English or Chinese; row 1
holds the headers (canonical names, or their first Chinese alias), row 2 a notes row explaining each
column (its first cell starts with ``#``, so the loader skips it), and from row 3 on the cells carry
drop-down lists and number checks: tiers, unit and lot kinds, booleans, the config's categories, and
unit ids taken from the units sheet. A first sheet explains how to fill it in and how to plan it.
A filled-in template loads as it is (``data: the_workbook.xlsx`` in a config).
"""

from __future__ import annotations

import io
import unicodedata

from .. import lang as L
from ..i18n import N_
from ..schema import LOT_KINDS, TABLE_LABELS, TABLE_ORDER, TABLES, TIERS, UNIT_KINDS, Column

MAX_ROWS = 5000  # rows carrying drop-downs and checks
LISTS_SHEET = "_lists"  # hidden sheet holding the drop-down values

# The first sheet: its caption and lines (English message ids, their Chinese in the catalog).
README = (
    N_("How to fill in"),
    [
        N_(
            "linkage-opt input workbook: one sheet per table. Row 1 is the header, row 2 explains each column "
            "(keep it: rows starting with # are skipped); write data from row 3 on."
        ),
        N_("Required columns are marked *. Leave optional cells blank for the default."),
        N_(
            "Drop-down lists offer the allowed values (tiers, kinds, yes/no, categories, unit ids from the units sheet)."
        ),
        N_("Lists of values (skills, tags, eligible units) are separated by ';'."),
        N_("Optional sheets (programs, charity, reach) may stay empty."),
        N_(
            "To plan it: in a config YAML set  data: <this file>.xlsx  then run  linkage-opt validate <config>  "
            "and  linkage-opt plan <config>."
        ),
        N_("Every column is documented in docs/data.md."),
    ],
)

# The booleans' drop-down: input values the loader accepts (inputs.load.TRUE_WORDS / FALSE_WORDS), not
# translations.
BOOL_VALUES = {"en": ("true", "false"), "zh": ("是", "否")}


def _width(text: str) -> int:
    """Display width: a CJK character takes two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def sheet_name(table: str, lang: str) -> str:
    return TABLE_LABELS[table] if lang == "zh" else table


def header(col: Column, lang: str) -> str:
    return col.aliases[0] if lang == "zh" and col.aliases else col.name


def note(col: Column, lang: str) -> str:
    """The notes-row text of a column: its ``doc`` (a message id, its Chinese in the catalog) in ``lang``, without
    the backticks that mark ids, keys and values."""
    text = L.t(col.doc, lang).replace("`", "") if col.doc else ""
    if col.unit and lang == "en":
        text += f" [{col.unit}]"
    return ("* " if col.required else "") + text


def choices(col: Column, lang: str, categories: list[str]) -> list[str] | None:
    """The drop-down values of a column, or None."""
    if col.type == "enum":
        if col.choices == TIERS:
            return [L.tier(t, lang) for t in TIERS] if lang == "zh" else list(TIERS)
        if col.choices == UNIT_KINDS:
            return [L.kind(k, lang) for k in UNIT_KINDS] if lang == "zh" else list(UNIT_KINDS)
        if col.choices == LOT_KINDS:
            return [L.kind(k, lang) for k in LOT_KINDS] if lang == "zh" else list(LOT_KINDS)
        return list(col.choices)
    if col.type == "bool":
        return list(BOOL_VALUES[lang])
    if col.ref == "categories" and col.type != "list" and categories:
        return list(categories)
    return None


def build_template(lang: str | None = None, config=None) -> bytes:
    """The blank workbook as bytes; ``config`` (a loaded Config) supplies the category drop-down."""
    import xlsxwriter

    lang = L.resolve(lang)
    categories = list(config.categories) if config is not None else []
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    head_req = wb.add_format({"bold": True, "bg_color": "#F8CBAD", "border": 1})
    notes = wb.add_format(
        {"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top", "bg_color": "#F2F2F2"}
    )
    title = wb.add_format({"bold": True, "font_size": 14})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})

    # How to fill it in.
    caption = L.t(README[0], lang)
    lines = [L.t(line, lang) for line in README[1]]
    ws = wb.add_worksheet(caption)
    ws.write_string(0, 0, caption, title)
    for i, line in enumerate(lines, start=2):
        ws.write_string(i, 0, f"{i - 1}. {line}", wrap)
    if categories:
        r = len(lines) + 3
        ws.write_string(r, 0, L.t("Categories in the config", lang), title)
        for j, c in enumerate(categories, start=1):
            ws.write_string(r + j, 0, f"{c} = {L.category_label(config, c, lang)}")
    ws.set_column(0, 0, 110)

    # Drop-down values live on a hidden last sheet, so that long lists work and stay editable.
    list_ranges: dict[tuple, str] = {}

    def list_range(values: list[str]) -> str:
        key = tuple(values)
        if key not in list_ranges:
            letter = xlsxwriter.utility.xl_col_to_name(len(list_ranges))
            list_ranges[key] = f"='{LISTS_SHEET}'!${letter}$1:${letter}${len(values)}"
        return list_ranges[key]

    units_sheet = sheet_name("units", lang)
    for table in TABLE_ORDER:
        spec = TABLES[table]
        ws = wb.add_worksheet(sheet_name(table, lang))
        for j, col in enumerate(spec.columns):
            ws.write_string(0, j, header(col, lang), head_req if col.required else head)
            text = note(col, lang)
            ws.write_string(1, j, ("# " + text) if j == 0 else text, notes)
            width = max(12, min(40, _width(header(col, lang)) + 4))
            ws.set_column(j, j, width)
            _validation(ws, j, col, lang, categories, list_range, units_sheet)
        ws.set_row(1, 60)
        ws.freeze_panes(2, 0)
        ws.autofilter(0, 0, 0, len(spec.columns) - 1)
    lists = wb.add_worksheet(LISTS_SHEET)
    for col, values in enumerate(list_ranges):
        for i, v in enumerate(values):
            lists.write_string(i, col, v)
    lists.hide()
    wb.close()
    return buf.getvalue()


def _validation(ws, j: int, col: Column, lang: str, categories: list[str], list_range, units_sheet: str) -> None:
    values = choices(col, lang, categories)
    if values:
        ws.data_validation(
            2,
            j,
            MAX_ROWS,
            j,
            {
                "validate": "list",
                "source": list_range(values),
                "error_title": L.t("Not an allowed value", lang),
                "error_message": L.t("Choose from the list: {values}", lang, values=", ".join(values)[:200]),
            },
        )
    elif col.ref == "units" and col.type == "id":
        # unit ids from the units sheet; a warning (not a stop) so ids may be pasted before the units
        ws.data_validation(
            2,
            j,
            MAX_ROWS,
            j,
            {
                "validate": "list",
                "source": f"='{units_sheet}'!$A$3:$A${MAX_ROWS}",
                "error_type": "warning",
                "error_title": L.t("Unknown unit", lang),
                "error_message": L.t("This id is not in the units sheet.", lang),
            },
        )
    elif col.type in ("float", "int") and col.min is not None:
        ws.data_validation(
            2,
            j,
            MAX_ROWS,
            j,
            {
                "validate": "integer" if col.type == "int" else "decimal",
                "criteria": ">=",
                "value": col.min,
                "error_title": L.t("Not a valid number", lang),
                "error_message": (
                    L.t("Enter a whole number of at least {min:g}", lang, min=col.min)
                    if col.type == "int"
                    else L.t("Enter a number of at least {min:g}", lang, min=col.min)
                ),
            },
        )


def write_template(path, lang: str | None = None, config=None) -> None:
    """Write the template atomically (a temporary file beside ``path``, then renamed)."""
    from ..solving.plan import write_file_atomic

    write_file_atomic(path, build_template(lang, config))
