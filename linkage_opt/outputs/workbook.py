"""The planner's workbook ``plan.xlsx``: the plan's tables as Excel/WPS sheets, in English or Chinese.

Sheets: Summary, Coverage (coverage ratio coloured red → amber → green), Allocations, Providers,
Programs, Unmet. Every sheet has a frozen header row, filters, column widths fitted to the content, and
numbers stored as numbers. Text is always written as a text cell and never as a formula; a text cell that
starts with ``=``, ``+``, ``-``, ``@``, tab or CR also carries Excel's quote prefix (OWASP's advice on
CSV/formula injection), so that editing the cell in Excel/WPS does not turn it into a formula either.

Written with XlsxWriter (fast, constant memory for large plans); ``tests/outputs/test_desk.py`` reads the
result back with openpyxl.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd

from .. import lang as L
from ..analysis.compare import fmt_time, timezone_of
from ..i18n import N_
from ..inputs.load import load_recorded_scenario
from ..lang import C_
from ..solving.plan import FORMULA_STARTS, TABLE_FILES, Plan
from ..solving.summary import Summary
from .sheets import build_sheets, header, text

SHEETS: dict[str, str | tuple[str, str]] = {
    "summary": N_("Summary"),
    "coverage": C_("sheet.coverage", "Coverage"),
    "allocations": N_("Allocations"),
    "providers": C_("sheet.providers", "Providers"),
    "programs": N_("Programs"),
    "unmet": C_("sheet.unmet", "Unmet"),
}

# Summary rows: (key, label (a message id), number format or None).
SUMMARY_ROWS = (
    ("scenario", C_("workbook.row.scenario", "Scenario"), None),
    ("period", C_("workbook.row.period", "Period"), None),
    ("status", N_("Solver status"), None),
    ("weighted_coverage", N_("Weighted coverage"), "0.00%"),
    ("guaranteed", C_("workbook.row.guaranteed", "Guaranteed needs met"), None),
    ("min_unit_ratio", N_("Lowest unit coverage ratio"), "0.00%"),
    ("units_below_equity_floor", N_("Units below the equity floor"), "0"),
    ("unmet_need_rows", C_("workbook.row.unmet_need_rows", "Needs not fully met"), "0"),
    ("money", N_("Money spent (yuan)"), "#,##0.00"),
    ("idle_hours", N_("Idle volunteer/worker hours"), "#,##0.0"),
    ("objective_stage", N_("Final stage"), None),
    ("best_bound", N_("Best bound (final stage)"), "#,##0.000000"),
    ("gap", N_("Relative gap"), "0.000%"),
    ("solver", N_("Solver"), None),
    ("created_at", N_("Created"), None),
    ("config", N_("Config"), None),
)

BASELINE_ROWS = (
    ("weighted_coverage", N_("Weighted coverage"), "0.00%"),
    ("guaranteed_met", C_("workbook.row.guaranteed_met", "Guaranteed needs met"), "0"),
    ("units_below_equity_floor", N_("Units below the equity floor"), "0"),
    ("min_unit_ratio", N_("Lowest unit coverage ratio"), "0.00%"),
    ("idle_hours", N_("Idle volunteer/worker hours"), "#,##0.0"),
    ("unmet_need_rows", C_("workbook.row.unmet_need_rows", "Needs not fully met"), "0"),
    ("money", N_("Money spent (yuan)"), "#,##0.00"),
)

# Column number formats by output column.
NUMBER_FORMATS = {
    "coverage_ratio": "0.0%",
    "utilization": "0.0%",
    "weight": "0.000000",
    "priority": "0.000",
    "cost": "#,##0.00",
    "fixed_cost": "#,##0.00",
    "quantity": "#,##0.##",
    "load": "#,##0.##",
    "need": "#,##0.##",
    "covered": "#,##0.##",
    "unmet": "#,##0.##",
    "capacity": "#,##0.##",
    "used": "#,##0.##",
    "output": "#,##0.##",
    "delivered": "#,##0.##",
    "instances": "0",
}

# Rows per table sheet: the workbook is for people (and Excel stops at 1,048,576 rows); the CSVs hold all.
# Writing costs about 10 microseconds a cell, so this also bounds the time a city plan spends here.
MAX_SHEET_ROWS = 100_000

TEXT_LABELS: dict[str, str | tuple[str, str]] = {
    "baseline_title": N_("Against the rule of thumb"),
    "difference": N_("Difference"),
    "capped": N_("Sheet {sheet} shows the first {shown} of {total} rows; {csv} has them all."),
    "no_unmet": N_("Every need is met in full."),
    "guaranteed_value": N_("{met} of {total}"),
}


def _txt(key: str, lang: str, **kw) -> str:
    return L.tr(TEXT_LABELS[key], lang, **kw)


def build_workbook(
    plan, scenario=None, lang: str | None = None, redact: bool = False, sheets: dict | None = None
) -> bytes:
    """The workbook as bytes (``Plan.write`` puts it beside the CSVs as ``plan.xlsx``)."""
    import xlsxwriter

    lang = L.resolve(lang)
    buf = io.BytesIO()
    # strings_to_formulas/numbers/urls off: a text cell is written as text, whatever it looks like.
    wb = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": True,
        },
    )
    fmt = _Formats(wb)
    config = scenario.config if scenario is not None else None
    capped = [
        (L.tr(SHEETS[k], lang), len(getattr(plan, k)), TABLE_FILES[k])  # in the order of the sheets
        for k in ("coverage", "allocations", "providers", "programs")
        if len(getattr(plan, k)) > MAX_SHEET_ROWS
    ]
    _summary_sheet(wb, fmt, plan, lang, capped, timezone_of(config))
    cov = _localise(plan.coverage.head(MAX_SHEET_ROWS), config, lang)
    ws = _table_sheet(wb, fmt, L.tr(SHEETS["coverage"], lang), cov, lang)
    if len(cov) and "coverage_ratio" in cov.columns:
        col = list(cov.columns).index("coverage_ratio")
        ws.conditional_format(
            1,
            col,
            len(cov),
            col,
            {
                "type": "3_color_scale",
                "min_type": "num",
                "min_value": 0,
                "mid_type": "num",
                "mid_value": 0.5,
                "max_type": "num",
                "max_value": 1,
                "min_color": "#F8696B",
                "mid_color": "#FFEB84",
                "max_color": "#63BE7B",
            },
        )
    _table_sheet(
        wb, fmt, L.tr(SHEETS["allocations"], lang), _localise(plan.allocations.head(MAX_SHEET_ROWS), config, lang), lang
    )
    prov = _localise(plan.providers.head(MAX_SHEET_ROWS), config, lang)
    ws = _table_sheet(wb, fmt, L.tr(SHEETS["providers"], lang), prov, lang)
    if len(prov) and "utilization" in prov.columns:
        col = list(prov.columns).index("utilization")
        ws.conditional_format(
            1,
            col,
            len(prov),
            col,
            {
                "type": "data_bar",
                "bar_color": "#63A0D6",
                "min_type": "num",
                "min_value": 0,
                "max_type": "num",
                "max_value": 1,
            },
        )
    _table_sheet(
        wb, fmt, L.tr(SHEETS["programs"], lang), _localise(plan.programs.head(MAX_SHEET_ROWS), config, lang), lang
    )
    _table_sheet(
        wb, fmt, L.tr(SHEETS["unmet"], lang), _unmet_frame(plan, config, lang), lang, empty_note=_txt("no_unmet", lang)
    )
    _action_sheets(wb, fmt, plan, scenario, lang, redact, sheets)
    wb.close()
    return buf.getvalue()


def workbook_from_dir(plan_dir, lang: str | None = None, scenario=None, redact: bool = False) -> bytes:
    """The workbook of a written plan folder (the scenario, for category names, from its recorded config)."""
    from pathlib import Path

    plan = Plan.read(plan_dir)
    if scenario is None:
        scenario, _ = load_recorded_scenario(plan.summary.config, Path(plan_dir))
    return build_workbook(plan, scenario, lang, redact)


def attach_workbook(
    plan, scenario=None, lang: str | None = None, redact: bool = False, sheets: dict | None = None
) -> None:
    """Add ``plan.xlsx`` to the plan's files (``sheets``: the action sheets, when already built)."""
    plan.extras["plan.xlsx"] = build_workbook(plan, scenario, lang, redact, sheets)


# The action sheets (linkage_opt/outputs/sheets.py), one worksheet per kind, after the table sheets.
ACTION_SHEETS: dict[str, str | tuple[str, str]] = {
    "committee": N_("Committee"),
    "tasks": N_("Task sheets"),
    "rosters": N_("Rosters"),
    "organizations": N_("Org notices"),
    "donors": N_("Donor notices"),
}


def _print_setup(ws, last_row: int, last_col: int, landscape: bool, repeat: int | None, breaks=()) -> None:
    """A4, fitted to one page wide, margins, print area, header rows repeated on every page, a break per block."""
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.print_area(0, 0, max(last_row, 0), max(last_col, 0))
    if repeat is not None:
        ws.repeat_rows(0, repeat)
    if breaks:
        ws.set_h_pagebreaks(list(breaks)[:1000])  # Excel's limit on manual breaks is 1026
    ws.set_footer("&C&P / &N")


def _action_sheets(wb, fmt, plan, scenario, lang: str, redact: bool, sheets: dict | None = None) -> None:
    sheets = sheets or build_sheets(plan, scenario, lang, redact)
    c = sheets["committee"]
    ws = wb.add_worksheet(L.tr(ACTION_SHEETS["committee"], lang))
    ws.write_string(0, 0, c["title"], fmt.title)
    r = 2
    for sec in c["sections"]:
        ws.write_string(r, 0, sec["title"], fmt.bold)
        r += 1
        for p in list(sec["paragraphs"]) + [f"• {it}" for it in sec["items"]]:
            write_text(ws, r, 0, p, fmt)
            r += 1
        r += 1
    ws.write_string(r, 0, c["appendix_title"], fmt.bold)
    r += 1
    for k, v in c["appendix"]:
        ws.write_string(r, 0, k)
        write_text(ws, r, 1, str(v), fmt)
        r += 1
    ws.set_column(0, 0, 100, fmt.wrap)
    ws.set_column(1, 1, 60)
    _print_setup(ws, r, 1, landscape=False, repeat=None)
    for kind in ("tasks", "rosters", "organizations", "donors"):
        sh = sheets[kind]
        ws = wb.add_worksheet(L.tr(ACTION_SHEETS[kind], lang))
        cols = list(sh.blocks[0].table.columns) if sh.blocks else []
        width = len(cols) + 1
        ws.write_string(0, 0, sh.title, fmt.title)
        ws.write_string(1, 0, _block_label(lang), fmt.header)
        for j, col in enumerate(cols, start=1):
            ws.write_string(1, j, header(col, lang), fmt.header)
        widths = [24] + [max(10, min(40, _width(header(col, lang)) + 4)) for col in cols]
        r, breaks = 2, []
        for b in sh.blocks:
            if r > 2:
                breaks.append(r)
            write_text(ws, r, 0, b.title, fmt)
            ws.set_row(r, None, fmt.bold)
            details = "; ".join(f"{k}: {v}" for k, v in b.details)
            write_text(ws, r, 1, b.intro + (f"  {details}" if details else ""), fmt)
            r += 1
            for row in b.table.itertuples(index=False):
                write_text(ws, r, 0, b.title, fmt)
                for j, v in enumerate(row, start=1):
                    if cols[j - 1] in NUMERIC_SHEET_COLUMNS and _number(v) is not None:
                        ws.write_number(r, j, _number(v), fmt.num("#,##0.##"))
                    else:
                        write_text(ws, r, j, str(v), fmt)
                    widths[j] = min(60, max(widths[j], _width(v) + 2))
                r += 1
        for j, w in enumerate(widths):
            ws.set_column(j, j, w)
        ws.freeze_panes(2, 0)
        _print_setup(ws, r - 1, width - 1, landscape=True, repeat=1, breaks=breaks)


NUMERIC_SHEET_COLUMNS = {"amount", "hours", "instances"}


def _number(v) -> float | None:
    try:
        x = float(str(v).replace(",", ""))
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _block_label(lang: str) -> str:
    return text("col.block", lang)


class _Formats:
    def __init__(self, wb):
        self.header = wb.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.text = wb.add_format({})
        self.quoted = wb.add_format({"quote_prefix": True})
        self.bold = wb.add_format({"bold": True})
        self.title = wb.add_format({"bold": True, "font_size": 13})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self._num: dict[str, object] = {}
        self._wb = wb

    def num(self, pattern: str | None):
        if pattern is None:
            return None
        if pattern not in self._num:
            self._num[pattern] = self._wb.add_format({"num_format": pattern})
        return self._num[pattern]


def write_text(ws, row: int, col: int, value: str, fmt: _Formats) -> None:
    """A text cell, quote-prefixed when it starts like a formula."""
    cell_fmt = fmt.quoted if value and value[0] in FORMULA_STARTS else None
    ws.write_string(row, col, value, cell_fmt)


def _write_value(ws, row: int, col: int, value, fmt: _Formats, num_fmt=None) -> None:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        ws.write_blank(row, col, None)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value)
        if math.isfinite(v):
            ws.write_number(row, col, v, num_fmt)
        else:
            ws.write_string(row, col, "inf" if v > 0 else "-inf")
    else:
        write_text(ws, row, col, str(value), fmt)


def _table_sheet(wb, fmt: _Formats, name: str, frame: pd.DataFrame, lang: str, empty_note: str | None = None):
    ws = wb.add_worksheet(name)
    cols = list(frame.columns)
    widths = []
    for j, c in enumerate(cols):
        header = L.column(c, lang)
        ws.write_string(0, j, header, fmt.header)
        widths.append(max(8, _width(header)))
    num_fmts = [fmt.num(NUMBER_FORMATS.get(c)) for c in cols]
    n = len(frame)
    for j, c in enumerate(cols):
        nf = num_fmts[j]
        series = frame[c]
        numeric = (
            pd.api.types.is_float_dtype(series.dtype) or pd.api.types.is_integer_dtype(series.dtype)
        ) and not pd.api.types.is_bool_dtype(series.dtype)
        if numeric:
            # a numeric column: numbers straight to the sheet (blank for NaN, text for +-inf), no per-cell dispatch
            vals = series.to_numpy(float)
            finite = np.isfinite(vals)
            write_number = ws.write_number
            for i in np.flatnonzero(finite).tolist():
                write_number(i + 1, j, vals[i], nf)
            for i in np.flatnonzero(~finite & ~np.isnan(vals)).tolist():
                ws.write_string(i + 1, j, "inf" if vals[i] > 0 else "-inf")
            head = vals[:500]
            sample = max((_width(f"{v:,.2f}") for v in head[np.isfinite(head)].tolist()), default=0)
        else:
            col_vals = series.tolist()
            sample = 0
            for i in range(n):
                v = col_vals[i]
                if hasattr(v, "item"):
                    v = v.item()
                _write_value(ws, i + 1, j, v, fmt, nf)
                if i < 500:
                    sample = max(sample, _width(v if not isinstance(v, float) else f"{v:,.2f}"))
        widths[j] = min(60, max(widths[j], sample + 2))
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    ws.freeze_panes(1, 0)
    if cols:
        ws.autofilter(0, 0, max(n, 1), len(cols) - 1)
    if n == 0 and empty_note:
        ws.write_string(1, 0, empty_note)
    return ws


def _width(v) -> int:
    s = "" if v is None else str(v)
    # East Asian characters take about two columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _localise(frame: pd.DataFrame, config, lang: str) -> pd.DataFrame:
    """Add readable labels: category names, and tiers and provider kinds in the chosen language."""
    out = frame.copy()
    if "category" in out.columns and config is not None:
        pos = list(out.columns).index("category") + 1
        out.insert(pos, "category_label", [L.category_label(config, c, lang) if c else "" for c in out["category"]])
    if lang != "en":
        if "tier" in out.columns:
            out["tier"] = [L.tier(v, lang) for v in out["tier"]]
        if "provider_kind" in out.columns:
            out["provider_kind"] = [L.kind(v, lang) for v in out["provider_kind"]]
    return out


def _unmet_frame(plan, config, lang: str) -> pd.DataFrame:
    ex = plan.extras.get("explanations.csv")
    if isinstance(ex, pd.DataFrame):
        cols = ["need_id", "unit_id", "unit_name", "category", "tier", "need", "unmet", "reason_code"]
        frame = ex[[c for c in cols if c in ex.columns]].copy()
        from ..analysis.explain import reason_text

        frame["reason"] = [reason_text(r, lang) for r in ex.to_dict("records")]
    else:
        cov = plan.coverage
        frame = cov.loc[
            cov["unmet"] > 1e-6 * cov["need"].clip(lower=1.0),
            ["need_id", "unit_id", "unit_name", "category", "tier", "need", "unmet"],
        ].copy()
    return _localise(frame.reset_index(drop=True), config, lang)


def _summary_sheet(wb, fmt: _Formats, plan, lang: str, capped=(), tz: str | None = None) -> None:
    ws = wb.add_worksheet(L.tr(SHEETS["summary"], lang))
    s: Summary = plan.summary
    met = s.metrics.to_dict()  # the figures recorded ({} when none were)
    obj = s.objective
    values = {
        "scenario": s.scenario,
        "period": s.period,
        "status": L.t_or(f"status.{s.status}", s.status, lang),
        "weighted_coverage": met.get("weighted_coverage"),
        "guaranteed": _txt("guaranteed_value", lang, met=met.get("guaranteed_met"), total=met.get("guaranteed_needs")),
        "min_unit_ratio": met.get("min_unit_ratio"),
        "units_below_equity_floor": met.get("units_below_equity_floor"),
        "unmet_need_rows": met.get("unmet_need_rows"),
        "money": obj.money if "money" in obj else None,
        "idle_hours": met.get("idle_hours"),
        "objective_stage": L.t_or(f"stage.{s.objective_stage}", s.objective_stage or "", lang),
        "best_bound": s.best_bound,
        "gap": s.gap,
        "solver": " ".join(str(v) for v in (s.solver.name, s.solver.version) if v),
        "created_at": fmt_time(s.created_at, tz) if s.created_at else None,
        "config": s.config,
    }
    header = (L.column("metric", lang), L.column("value", lang))
    ws.write_string(0, 0, header[0], fmt.header)
    ws.write_string(0, 1, header[1], fmt.header)
    r = 1
    for key, label, pattern in SUMMARY_ROWS:
        ws.write_string(r, 0, L.tr(label, lang), fmt.bold)
        _write_value(ws, r, 1, values.get(key), fmt, fmt.num(pattern))
        r += 1
    base = plan.extras.get("baseline.json")
    if isinstance(base, dict) and "baseline" in base:
        r += 1
        ws.write_string(r, 0, _txt("baseline_title", lang), fmt.title)
        r += 1
        for j, h in enumerate(
            (
                L.column("metric", lang),
                L.column("optimized", lang),
                L.column("baseline", lang),
                _txt("difference", lang),
            )
        ):
            ws.write_string(r, j, h, fmt.header)
        r += 1
        for key, label, pattern in BASELINE_ROWS:
            ws.write_string(r, 0, L.tr(label, lang), fmt.bold)
            for j, side in enumerate(("optimized", "baseline", "difference"), start=1):
                _write_value(ws, r, j, base.get(side, {}).get(key), fmt, fmt.num(pattern))
            r += 1
    if capped:
        r += 1
        for sheet, n, csv_name in capped:
            ws.write_string(
                r, 0, _txt("capped", lang, sheet=sheet, shown=f"{MAX_SHEET_ROWS:,}", total=f"{n:,}", csv=csv_name)
            )
            r += 1
    ws.set_column(0, 0, 34)
    ws.set_column(1, 3, 24)
    ws.freeze_panes(1, 0)
