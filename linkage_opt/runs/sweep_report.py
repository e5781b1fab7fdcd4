"""The sweep folder's ``sweep.html`` (trade-off charts, self-contained) and ``sweep.xlsx`` (one sheet per table).

Charts are matplotlib SVGs drawn the way ``report.html`` draws them (:mod:`linkage_opt.outputs.report`): for
each numeric grid axis, the weighted coverage of every variant against the axis's value, with the rule
of thumb's coverage of the same variants beside it; for a weight-perturbation sweep, each unit's range
of coverage across the samples.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from .. import lang as L
from ..i18n import N_
from ..lang import C_

UNIT_RANGE_MAX = 40  # units in the robustness chart (the widest ranges)
TABLE_MAX_ROWS = 500  # variant rows in the page (the CSV and workbook hold them all)

TEXT: dict[str, str | tuple[str, str]] = {
    "title": N_("Sweep report"),
    "scenario": N_("Scenario"),
    "period": C_("sweep.period", "Period"),
    "counts": N_("{n} variants: {solved} solved now, {reused} reused, {failed} failed, {not_run} not run"),
    "solver": N_("Solver per variant: {solver}"),
    "workers": N_("Workers"),
    "worker": N_("worker"),
    "variants": N_("variants"),
    "peak_mb": N_("peak memory (MB)"),
    "seconds": N_("seconds"),
    "h.tradeoffs": N_("Trade-offs"),
    "h.variants": N_("Variants"),
    "h.robustness": N_("Robustness of the priorities"),
    "optimized": N_("optimized plan"),
    "rule": N_("rule of thumb"),
    "coverage": N_("weighted coverage"),
    "no_chart": N_("No numeric grid axis to chart."),
    "capped": N_("Showing {shown} of {total} rows; sweep.csv has them all."),
    "rob.summary": N_(
        "{samples} samples (the base and weights moved by up to ±{pct}); {changing} of {units} units change rank in at least one sample; the widest range of a unit's coverage is {widest}."
    ),
    "rob.caption": N_(
        "Each unit's coverage (judged with the base weights) across the samples: the bar spans the lowest to the highest, the dot is the base plan. Widest ranges first."
    ),
    "rob.unit": N_("unit"),
    "rob.base": C_("sweep.rob.base", "base"),
    "rob.range": N_("range"),
    "rob.ranks": N_("rank: base (worst..best)"),
    "rob.changed": N_("samples ranking it differently"),
}


def text(key: str, lang: str, **kw) -> str:
    return L.tr(TEXT[key], lang, **kw)


def _pct(v) -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "-"
    return "-" if v != v else f"{v:.1%}"


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "✓" if v else ""
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)


def _axis_columns(result) -> list[str]:
    return result.axis_columns()  # a linkage_opt.runs.sweep.SweepResult (sweep imports this module)


def _tradeoff_charts(result, lang: str) -> list[dict]:
    import matplotlib

    from ..outputs.report import _figure, _rc, _svg

    ok = result.table[result.table["status"].isin(["optimal", "feasible"])]
    charts = []
    for col in _axis_columns(result):
        if col == "sample" or col.startswith("weight."):
            continue
        x = pd.to_numeric(ok[col], errors="coerce")
        if x.notna().sum() < 1 or ok[col].map(lambda v: isinstance(v, str)).any():
            continue
        others = [c for c in _axis_columns(result) if c != col]
        frame = ok.assign(_x=x).dropna(subset=["_x"])
        groups = list(frame.groupby(others, sort=True, dropna=False)) if others else [((), frame)]
        with matplotlib.rc_context(_rc()):
            fig = _figure(8.0, 4.2)
            ax = fig.add_axes((0.09, 0.13, 0.62, 0.8))
            colours = matplotlib.colormaps["tab10"]
            for i, (gkey, g) in enumerate(groups[:10]):
                g = g.sort_values("_x")
                gkey = gkey if isinstance(gkey, tuple) else (gkey,)
                label = ", ".join(f"{o} {_cell(k)}" for o, k in zip(others, gkey)) or text("optimized", lang)
                ax.plot(
                    g["_x"],
                    pd.to_numeric(g["weighted_coverage"]),
                    marker="o",
                    color=colours(i % 10),
                    label=label,
                    zorder=3,
                )
                rule = pd.to_numeric(g["rule_of_thumb_coverage"], errors="coerce")
                if rule.notna().any():
                    ax.plot(
                        g["_x"],
                        rule,
                        marker="x",
                        linestyle="--",
                        color=colours(i % 10),
                        alpha=0.55,
                        label=f"{text('rule', lang)}" + (f" ({label})" if others else ""),
                        zorder=2,
                    )
            ax.set_xlabel(col)
            ax.set_ylabel(text("coverage", lang))
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
            ax.grid(True, color="#e5e5e5", zorder=0)
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=7)
            charts.append({"title": f"{text('coverage', lang)} / {col}", "svg": _svg(fig, f"axis{len(charts)}")})
    return charts


def _robustness_chart(rob, lang: str) -> str | None:
    if rob is None or not len(rob.units):
        return None
    import matplotlib

    from ..outputs.report import _figure, _rc, _short, _svg, _text_width_in

    u = rob.units.head(UNIT_RANGE_MAX)
    labels = [_short(str(n)) for n in u["unit_name"]]
    with matplotlib.rc_context(_rc()):
        left = min(max(_text_width_in(lab) for lab in labels) + 0.25, 3.2)
        h = 0.9 + 0.28 * len(labels)
        w = 8.0
        fig = _figure(w, h)
        ax = fig.add_axes((left / w, 0.55 / h, 1 - left / w - 0.05, 1 - 0.75 / h))
        y = np.arange(len(labels))
        lo, hi = u["min_ratio"].to_numpy(float), u["max_ratio"].to_numpy(float)
        ax.barh(y, np.maximum(hi - lo, 0.004), left=lo, height=0.55, color="#9cc3e6", zorder=2)
        ax.scatter(u["base_ratio"].to_numpy(float), y, color="#1f4e79", s=14, zorder=3)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.02)
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        ax.grid(True, axis="x", color="#e5e5e5", zorder=0)
        return _svg(fig, "robust")


def sweep_html(result, lang: str = "en", scenario=None) -> str:
    """The self-contained ``sweep.html`` of a :class:`~linkage_opt.runs.sweep.SweepResult`."""
    from markupsafe import Markup

    from ..outputs.report import _env

    lang = L.resolve(lang)
    t = result.table
    m = result.meta
    shown = t.head(TABLE_MAX_ROWS)
    cols = [c for c in t.columns if c not in ("fingerprint",)]
    rows = [
        [
            _pct(r[c]) if c in ("weighted_coverage", "rule_of_thumb_coverage", "min_unit_ratio") else _cell(r[c])
            for c in cols
        ]
        for r in shown.to_dict("records")
    ]
    rob = result.robustness
    rob_ctx = None
    if rob is not None:
        widest = rob.summary.get("largest_unit_range")
        rob_ctx = {
            "summary": text(
                "rob.summary",
                lang,
                samples=rob.summary.get("samples", 0),
                pct=f"{float(m.get('perturb_weights') or 0):.0%}",
                changing=rob.summary.get("units_changing_rank", 0),
                units=rob.summary.get("units", 0),
                widest=_pct(widest),
            ),
            "caption": text("rob.caption", lang),
            "chart": Markup(_robustness_chart(rob, lang) or ""),
            "head": [
                text("rob.unit", lang),
                text("rob.base", lang),
                text("rob.range", lang),
                text("rob.ranks", lang),
                text("rob.changed", lang),
            ],
            "rows": [
                [
                    f"{r['unit_name']} ({r['unit_id']})",
                    _pct(r["base_ratio"]),
                    f"{_pct(r['min_ratio'])} – {_pct(r['max_ratio'])}",
                    f"{int(r['base_rank'])} ({int(r['worst_rank'])}..{int(r['best_rank'])})",
                    str(int(r["samples_rank_changed"])),
                ]
                for r in rob.units.head(TABLE_MAX_ROWS).to_dict("records")
            ],
        }
    charts = [{"title": c["title"], "svg": Markup(c["svg"])} for c in _tradeoff_charts(result, lang)]
    ctx = {
        "lang": lang,
        "title": text("title", lang),
        "meta": [(text("scenario", lang), m.get("scenario") or ""), (text("period", lang), m.get("period") or "")],
        "counts": text(
            "counts",
            lang,
            n=m.get("variants", len(t)),
            solved=result.solved,
            reused=result.reused,
            failed=result.failed,
            not_run=m.get("not_run", 0),
        ),
        "solver": text("solver", lang, solver=", ".join(f"{k}={v}" for k, v in (m.get("solver") or {}).items())),
        "workers_title": text("workers", lang),
        "workers_head": [text("worker", lang), text("variants", lang), text("peak_mb", lang), text("seconds", lang)],
        "workers": [
            [str(r["worker"]), str(r["variants"]), _cell(r["peak_mb"]), _cell(r["seconds"])]
            for r in result.workers.to_dict("records")
        ],
        "h_tradeoffs": text("h.tradeoffs", lang),
        "charts": charts,
        "no_chart": text("no_chart", lang),
        "h_variants": text("h.variants", lang),
        "head": [L.column(c, lang) for c in cols],
        "rows": rows,
        "capped": text("capped", lang, shown=len(shown), total=len(t)) if len(t) > len(shown) else "",
        "h_robustness": text("h.robustness", lang),
        "robustness": rob_ctx,
    }
    return _env(ctx["lang"]).get_template("sweep.html.j2").render(**ctx)


def sweep_workbook(result, lang: str = "en") -> bytes:
    """``sweep.xlsx``: the variants (and, for a perturbation sweep, the robustness tables) as sheets."""
    import xlsxwriter

    from ..outputs.workbook import _Formats, _table_sheet

    lang = L.resolve(lang)
    buf = io.BytesIO()
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
    _table_sheet(wb, fmt, L.tr(SHEETS["variants"], lang), result.table, lang)
    _table_sheet(wb, fmt, L.tr(SHEETS["workers"], lang), result.workers, lang)
    if result.robustness is not None:
        _table_sheet(wb, fmt, L.tr(SHEETS["units"], lang), result.robustness.units, lang)
        _table_sheet(wb, fmt, L.tr(SHEETS["unit_categories"], lang), result.robustness.unit_categories, lang)
    wb.close()
    return buf.getvalue()


SHEETS: dict[str, str | tuple[str, str]] = {
    "variants": N_("Sweep"),
    "workers": N_("Workers"),
    "units": N_("Unit stability"),
    "unit_categories": N_("Unit categories"),
}
