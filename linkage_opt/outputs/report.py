"""``report.html``: one self-contained page a planner or a party committee reads in a browser.

Everything is inside the file (inline CSS, charts as inline SVG drawn by matplotlib with text kept as
text, so the browser renders Chinese with its own fonts); nothing is fetched from the network. The HTML
comes from ``templates/report.html.j2`` through jinja2 with autoescaping on: unit, provider and category
names are user input and always appear escaped.

    >>> from linkage_opt.outputs.report import build_report, attach_report, report_from_dir
    >>> html = build_report(plan, scenario, lang="zh")      # a solved Plan and its Scenario
    >>> attach_report(plan, scenario, lang="en")            # plan.extras["report.html"], written by Plan.write
    >>> html = report_from_dir("plans/zhugen", lang="zh")  # from a written plan folder

Sections: headline figures; coverage by unit and category (heat map); a map of the units; guaranteed
needs; provider utilisation; unmet needs and why; optimized plan vs rule of thumb (when ``baseline.json``
is there). Report-specific words live in :data:`TEXT` (both languages for every key); column headers,
tiers and provider kinds come from :mod:`linkage_opt.lang`.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .. import lang as L
from ..analysis.compare import fmt_time, timezone_of
from ..i18n import N_, Msg, Translator
from ..inputs.load import load_recorded_scenario
from ..lang import C_
from ..solving.plan import Plan
from ..solving.summary import Summary

HEATMAP_MAX_UNITS = 60  # heat map rows: the worst-covered units when there are more
MAP_LABEL_MAX = 80  # name every unit on the map up to this many; else only the worst-covered
MAP_LABEL_WORST = 20
MAP_VECTOR_MAX = 300  # above this many units the map's markers are drawn as one embedded PNG
UNIT_BARS_MAX = 40  # units in the "hours used per unit" chart
TABLE_MAX_ROWS = 300  # rows of the guaranteed-needs and unmet-needs tables
TOL = 1e-6
KIND_ORDER = ["social_worker", "volunteer", "organization", "charity_funds", "charity_goods"]
TIER_ORDER = {"guaranteed": 0, "basic": 1, "improvement": 2}
CMAP = "RdYlGn"
FONTS = [
    "DejaVu Sans",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "WenQuanYi Micro Hei",
    "Arial Unicode MS",
]

# The report's words looked up by code (its template marks its own words with _() and pgettext()): English
# message ids whose Chinese is in the catalog.
TEXT: dict[str, str | tuple[str, str]] = {
    "title": N_("Allocation plan report"),
    "period": N_("Period"),
    "config": N_("Config"),
    "solver": N_("Solver"),
    "k.status": N_("Status"),
    "k.weighted_coverage": N_("Weighted coverage"),
    "k.guaranteed": N_("Guaranteed needs met"),
    "k.min_unit_ratio": N_("Lowest unit coverage"),
    "k.below_floor": N_("Units below equity floor ({floor})"),
    "k.money": N_("Money spent (yuan)"),
    "k.idle_hours": N_("Idle worker/volunteer hours"),
    "k.unmet_rows": N_("Needs not fully met"),
    "k.objective": N_("Objective ({stage} stage)"),
    "k.bound": N_("Best bound"),
    "k.gap": N_("Gap"),
    "status.optimal": N_("optimal"),
    "status.feasible": N_("feasible (time limit)"),
    "status.infeasible": N_("infeasible"),
    "stage.coverage": N_("coverage"),
    "stage.equity": N_("equity"),
    "stage.cost": N_("cost"),
    "stage.weighted": N_("weighted"),
    "term.coverage": C_("report.term.coverage", "coverage"),
    "term.equity": N_("equity"),
    "term.cost": N_("cost stage value"),
    "term.money": N_("money (yuan)"),
    "term.expiry_penalty": N_("expiry penalty"),
    "term.stability_penalty": N_("stability penalty"),
    "heat.capped": N_("Showing the {shown} worst-covered of {total} units."),
    "heat.below_floor": N_("below the equity floor ({floor})"),
    "legend.coverage": N_("Coverage ratio"),
    "map.labels_capped": N_("Names shown for the {n} worst-covered units only."),
    "map.none": N_("The units have no coordinates (lat/lon or x_km/y_km); no map."),
    "map.x": N_("km east"),
    "map.y": N_("km north"),
    "capped_rows": N_("Showing {shown} of {total} rows."),
    "p.unlimited": N_("unlimited"),
    "p.charity_funds": N_("charity funds"),
    "p.charity_goods": N_("charity goods"),
    "p.used_pct": N_("Share of capacity used"),
    "p.units_capped": N_("The {shown} units receiving the most hours, of {total}."),
    "p.hours": C_("report.p.hours", "hours"),
    "reason.no_provider": N_("no provider within reach"),
    "reason.capacity_exhausted": N_("capacity exhausted"),
    "reason.indivisible": N_("indivisible need"),
    "reason.rule_binding": N_("a linkage rule binds"),
    "reason.traded_off": N_("traded off"),
    "reason.dispatch_rounding": N_("rounded to dispatchable amounts"),
    "b.caption": N_(
        "Rule of thumb: tier by tier, each provider's capacity split pro rata to the needs it can reach; "
        "no programs; repaired where it breaks a linkage rule."
    ),
    "b.caption_first": N_("Guarantees were placed first where repairs alone left one short."),
    "pp": N_("pp"),
    "m.weighted_coverage": N_("Weighted coverage"),
    "m.guaranteed_met": N_("Guaranteed needs met"),
    "m.guaranteed_needs": C_("report.m.guaranteed_needs", "Guaranteed needs"),
    "m.units_below_equity_floor": N_("Units below equity floor"),
    "m.min_unit_ratio": N_("Lowest unit coverage"),
    "m.idle_hours": N_("Idle worker/volunteer hours"),
    "m.unmet_need_rows": N_("Needs not fully met"),
    "m.money": N_("Money spent (yuan)"),
    "no_scenario": N_("The scenario could not be loaded ({why}): no map, category ids instead of names."),
    "footer": N_("Generated by linkage-opt {version}. Self-contained: no network needed to view."),
}

BASELINE_FORMATS = {
    "weighted_coverage": "pct",
    "guaranteed_met": "int",
    "guaranteed_needs": "int",
    "units_below_equity_floor": "int",
    "min_unit_ratio": "pct",
    "idle_hours": "num1",
    "unmet_need_rows": "int",
    "money": "money",
}


def text(key: str, lang: str, /, **kw) -> str:
    return L.tr(TEXT[key], lang, **kw)


# ---------------------------------------------------------------------------------------------------
# Number formatting (shared with the tests, so they look for exactly what the page shows)
# ---------------------------------------------------------------------------------------------------


def fmt_pct(v, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{float(v):.{digits}%}"


def fmt_money(v) -> str:
    return "–" if v is None else f"{float(v):,.0f}"


def fmt_num(v, digits: int = 1) -> str:
    if v is None:
        return "–"
    v = float(v)
    if not math.isfinite(v):
        return "∞" if v > 0 else "–"
    return f"{v:,.{digits}f}"


def fmt_qty(v) -> str:
    v = float(v)
    if not math.isfinite(v):
        return "∞"
    return f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.2f}".rstrip("0").rstrip(".")


def fmt_measured(v, unit: str, lang: str) -> str:
    """A quantity with its unit of measure: ``42 h`` / ``42 小时``, ``20,400 yuan`` / ``20,400 元``, ``12 bags``."""
    from ..terminal import unit_word

    word = unit_word(unit, lang)
    return f"{fmt_qty(v)} {word}" if word else fmt_qty(v)


def fmt_value(v) -> str:
    """An objective value or bound: thousands separated, two decimals at most (never 1.23e+06)."""
    if v is None:
        return "–"
    v = float(v)
    if not math.isfinite(v):
        return "–"
    return f"{v:,.0f}" if abs(v - round(v)) < 0.005 else f"{v:,.2f}"


def fmt_gap(v) -> str:
    if v is None:
        return "–"
    v = float(v)
    return f"{v:.4%}" if math.isfinite(v) else "–"


def _fmt(kind: str, v) -> str:
    return {"pct": fmt_pct, "money": fmt_money, "num1": fmt_num, "int": lambda x: f"{float(x):,.0f}"}[kind](v)


def _fmt_diff(kind: str, v, lang: str = "en") -> str:
    v = float(v)
    if kind == "pct":
        return f"{v * 100:+.1f} {text('pp', lang)}"
    if kind == "money":
        return f"{v:+,.0f}"
    if kind == "num1":
        return f"{v:+,.1f}"
    return f"{v:+,.0f}"


# ---------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------


def build_report(plan, scenario=None, lang: str = "en") -> str:
    """The report of a solved plan as one self-contained HTML page (a ``str``).

    ``plan`` is a :class:`linkage_opt.solving.plan.Plan`; its ``extras`` may hold ``explanations.csv`` (DataFrame),
    ``baseline.json`` (dict) and ``baseline_coverage.csv`` (DataFrame), each shown when present.
    ``scenario`` gives coordinates, category names and the equity floor; without it the map is left out.
    """
    lang = L.resolve(lang)
    ctx = _context(plan, scenario, lang)
    return _render(ctx)


def attach_report(plan, scenario=None, lang: str = "en") -> str:
    """Build the report and add it to the plan's files as ``report.html``; returns the HTML."""
    html = build_report(plan, scenario, lang)
    plan.extras["report.html"] = html
    return html


def report_from_dir(plan_dir, lang: str = "en", scenario=None) -> str:
    """Rebuild the report from a written plan folder (its CSVs and JSON files).

    The scenario is loaded from the config recorded in ``summary.json`` (looked up as written, then
    relative to the plan folder and its parents) unless ``scenario`` is given; when it cannot be found
    the report is still built, without the map, and says why.
    """
    plan_dir = Path(plan_dir)
    if not (plan_dir / "summary.json").exists():
        raise FileNotFoundError(Msg("{path} is not a linkage-opt plan folder (no summary.json)", path=plan_dir))
    plan = Plan.read(plan_dir)
    summary = plan.summary
    problem = None
    if scenario is None:
        scenario, problem = load_recorded_scenario(summary.config, plan_dir)
    lang = L.resolve(lang)
    ctx = _context(plan, scenario, lang)
    if problem:
        ctx["notes"].append(text("no_scenario", lang, why=problem))
    return _render(ctx)


# ---------------------------------------------------------------------------------------------------
# The page's content
# ---------------------------------------------------------------------------------------------------


def _context(plan, scenario, lang: str) -> dict:
    summary: Summary = Summary.coerce(plan.summary)  # a partial one (no metrics, no solver) is shown as far as it goes
    cov = plan.coverage.copy() if plan.coverage is not None else pd.DataFrame()
    for col in ("need", "covered", "unmet", "coverage_ratio", "weight"):
        if col in cov:
            cov[col] = pd.to_numeric(cov[col], errors="coerce").fillna(0.0)
    config = getattr(scenario, "config", None)
    floor = float(config.equity.floor) if config is not None else 0.5

    def cat_label(cat: str) -> str:
        # without the config, the key with spaces (elderly care) so that headers can wrap
        return L.category_label(config, cat, lang) if config is not None else str(cat).replace("_", " ")

    def cat_qty(v, cat: str) -> str:  # a need's quantity in its category's unit of measure
        spec = config.categories.get(str(cat)) if config is not None else None
        return fmt_measured(v, spec.unit if spec is not None else "", lang)

    names = _unit_names(cov, scenario, lang)
    unit_stats = _unit_stats(cov, names)
    metrics = summary.metrics.to_dict()  # the figures recorded ({} when none were)
    if not metrics and len(cov):
        metrics = _metrics_from_coverage(cov, unit_stats, floor)

    ctx = {
        "lang": lang,
        "col": lambda name: L.column(name, lang),
        "scenario_name": summary.scenario or getattr(config, "name", "") or "",
        "period": summary.period or getattr(config, "period", "") or "",
        "created_at": fmt_time(summary.created_at, timezone_of(config)) if summary.created_at else "",
        "config_path": summary.config if "config" in summary else "",
        "solver": _solver_line(summary),
        "version": summary.package_version or "",
        "notes": [],
        "status": summary.status,
        "status_label": _status_label(summary.status, lang),
    }
    ctx["kpis"] = _kpis(summary, metrics, floor, lang)
    ctx["objective_terms"] = [
        {"label": text(f"term.{k}", lang) if f"term.{k}" in TEXT else k, "value": fmt_value(v)}
        for k, v in summary.objective.items()
    ]
    ctx["heatmap"] = _heatmap(cov, unit_stats, cat_label, floor, lang)
    ctx["map"] = _map(unit_stats, scenario, lang)
    ctx["guaranteed"] = _guaranteed(cov, names, cat_label, lang, cat_qty)
    ctx["providers"] = _providers(plan, scenario, names, lang)
    ctx["unmet"] = _unmet(cov, plan.extras.get("explanations.csv"), names, cat_label, lang, cat_qty)
    ctx["baseline"] = _baseline(
        plan.extras.get("baseline.json"), plan.extras.get("baseline_coverage.csv"), cov, cat_label, lang
    )
    return ctx


def _unit_names(cov: pd.DataFrame, scenario, lang: str) -> dict[str, str]:
    names: dict[str, str] = {}
    if len(cov) and "unit_name" in cov:
        names.update(dict(zip(cov["unit_id"].astype(str), cov["unit_name"].astype(str))))
    if scenario is not None:
        u = scenario.units
        names.update(dict(zip(u["unit_id"].astype(str), u["name"].astype(str))))
        if lang == "en" and "name_en" in u:
            for uid, en in zip(u["unit_id"].astype(str), u["name_en"]):
                if isinstance(en, str) and en.strip():
                    names[uid] = en.strip()
    return names


def _unit_stats(cov: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Per unit: priority-weighted need, weighted covered, weighted ratio (as in summary metrics)."""
    if not len(cov):
        return pd.DataFrame(columns=["unit_id", "name", "wn", "wc", "ratio"])
    g = (
        cov.assign(wn=cov["weight"] * cov["need"], wc=cov["weight"] * cov["covered"])
        .groupby(cov["unit_id"].astype(str), sort=False)[["wn", "wc"]]
        .sum()
    )
    g["ratio"] = np.divide(g["wc"], g["wn"], out=np.ones(len(g)), where=g["wn"].to_numpy() > 0)
    g = g.reset_index().rename(columns={"index": "unit_id"})
    g["name"] = g["unit_id"].map(names).fillna(g["unit_id"])
    return g


def _metrics_from_coverage(cov, stats, floor) -> dict:
    g = cov[cov["tier"] == "guaranteed"]
    has = stats[stats["wn"] > 0]
    return {
        "weighted_coverage": float((cov["weight"] * cov["covered"]).sum()),
        "guaranteed_needs": int(len(g)),
        "guaranteed_met": int((g["unmet"] <= TOL * np.maximum(1.0, g["need"])).sum()),
        "units_below_equity_floor": int((has["ratio"] < floor - 1e-9).sum()),
        "min_unit_ratio": float(has["ratio"].min()) if len(has) else 1.0,
        "unmet_need_rows": int((cov["unmet"] > TOL * np.maximum(1.0, cov["need"])).sum()),
    }


def _solver_line(summary: Summary) -> str:
    s = summary.solver
    if not s:
        return ""
    parts = [" ".join(str(v) for v in (s.name, s.version) if v)]  # a decomposed plan records no version
    if s.time_limit is not None:
        parts.append(f"time_limit={s.time_limit:g}s")
    if s.mip_gap is not None:
        parts.append(f"mip_gap={s.mip_gap:g}")
    return ", ".join(parts)


def _status_label(status: str, lang: str) -> str:
    key = f"status.{status}"
    return text(key, lang) if key in TEXT else status


def _kpis(summary: Summary, m: dict, floor: float, lang: str) -> list[dict]:
    obj = summary.objective
    stage = summary.objective_stage or ""
    stage_label = text(f"stage.{stage}", lang) if f"stage.{stage}" in TEXT else stage
    money = obj.money if "money" in obj else m.get("money")
    g_met, g_all = m.get("guaranteed_met"), m.get("guaranteed_needs")
    stage_value = obj[stage] if stage in obj else summary.get("objective_value")  # (an older folder's key)
    below = m.get("units_below_equity_floor")
    kpis = [
        (
            "status",
            text("k.status", lang),
            _status_label(summary.status, lang),
            "good" if summary.status == "optimal" else "warn",
        ),
        ("weighted-coverage", text("k.weighted_coverage", lang), fmt_pct(m.get("weighted_coverage")), ""),
        (
            "guaranteed",
            text("k.guaranteed", lang),
            f"{g_met} / {g_all}" if g_all is not None else "–",
            "" if g_all is None else ("good" if g_met == g_all else "bad"),
        ),
        ("min-unit-ratio", text("k.min_unit_ratio", lang), fmt_pct(m.get("min_unit_ratio")), ""),
        (
            "below-floor",
            text("k.below_floor", lang, floor=fmt_pct(floor, 0)),
            "–" if below is None else f"{below}",
            "" if not below else "bad",
        ),
        ("money", text("k.money", lang), fmt_money(money), ""),
        ("idle-hours", text("k.idle_hours", lang), fmt_num(m.get("idle_hours")), ""),
        (
            "unmet-rows",
            text("k.unmet_rows", lang),
            "–" if m.get("unmet_need_rows") is None else f"{m['unmet_need_rows']}",
            "",
        ),
        ("objective", text("k.objective", lang, stage=stage_label), fmt_value(stage_value), ""),
        ("bound", text("k.bound", lang), fmt_value(summary.best_bound), ""),
        ("gap", text("k.gap", lang), fmt_gap(summary.gap), ""),
    ]
    return [{"id": i, "label": lab, "value": val, "cls": cls} for i, lab, val, cls in kpis]


# Heat map ------------------------------------------------------------------------------------------

_CMAP = None


def _colour(v: float) -> tuple[str, str]:
    """Background (RdYlGn at the coverage ratio) and a readable text colour."""
    global _CMAP
    if _CMAP is None:
        from matplotlib import colormaps

        _CMAP = colormaps[CMAP]
    r, g, b, _ = _CMAP(float(np.clip(v, 0.0, 1.0)))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}", ("#000" if lum > 0.5 else "#fff")


def _gradient() -> str:
    stops = [f"{_colour(v)[0]} {v * 100:.0f}%" for v in np.linspace(0, 1, 11)]
    return "linear-gradient(to right, " + ", ".join(stops) + ")"


def _heatmap(cov: pd.DataFrame, stats: pd.DataFrame, cat_label, floor: float, lang: str) -> dict:
    if not len(cov):
        return {"rows": [], "cats": [], "note": "", "gradient": _gradient(), "flag": "", "any_below": False}
    agg = cov.groupby([cov["unit_id"].astype(str), "category"], sort=False)[["need", "covered"]].sum()
    cats = list(dict.fromkeys(cov["category"]))
    order = stats.sort_values(["ratio", "wn"], ascending=[True, False], kind="stable")
    total = len(order)
    note = ""
    if total > HEATMAP_MAX_UNITS:
        order = order.head(HEATMAP_MAX_UNITS)
        note = text("heat.capped", lang, shown=HEATMAP_MAX_UNITS, total=total)
    lookup = agg.to_dict("index")
    rows = []
    for r in order.itertuples(index=False):
        cells = []
        for c in cats:
            v = lookup.get((r.unit_id, c))
            if v is None or v["need"] <= 0:
                cells.append(None)
                continue
            ratio = min(v["covered"] / v["need"], 1.0)
            bg, fg = _colour(ratio)
            cells.append(
                {
                    "text": fmt_pct(ratio, 0),
                    "bg": bg,
                    "fg": fg,
                    "title": f"{fmt_qty(v['covered'])} / {fmt_qty(v['need'])}",
                }
            )
        bg, fg = _colour(r.ratio)
        rows.append(
            {
                "unit_id": r.unit_id,
                "name": r.name,
                "cells": cells,
                "total": {"text": fmt_pct(r.ratio, 0), "bg": bg, "fg": fg, "title": fmt_pct(r.ratio)},
                "below": bool(r.wn > 0 and r.ratio < floor - 1e-9),
            }
        )
    return {
        "rows": rows,
        "cats": [cat_label(c) for c in cats],
        "note": note,
        "gradient": _gradient(),
        "flag": text("heat.below_floor", lang, floor=fmt_pct(floor, 0)),
        "any_below": any(r["below"] for r in rows),
    }


# Charts --------------------------------------------------------------------------------------------


def _rc() -> dict:
    return {
        "svg.fonttype": "none",
        "svg.hashsalt": "linkage-opt",
        "text.parse_math": False,
        "font.family": "sans-serif",
        "font.sans-serif": FONTS,
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _text_width_in(label: str, size: float = 9.0) -> float:
    """Rough rendered width of a label in inches (CJK glyphs one em, others ~0.6 em): matplotlib's own
    fonts lack CJK glyphs, so its measurements cannot size the margins for Chinese labels."""
    em = size / 72.0
    return sum(em if ord(ch) > 0x2E80 else 0.6 * em for ch in label)


def _short(label: str, n: int = 22) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


_SVG_HEAD = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def _svg(fig, prefix: str) -> str:
    """The figure as an inline ``<svg>`` element: no XML prolog or metadata, ids made unique per chart."""
    buf = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Glyph ... missing from font": the browser draws the text
        fig.savefig(buf, format="svg", dpi=100, metadata={"Date": None, "Creator": None})
    s = _METADATA.sub("", _SVG_HEAD.sub("", buf.getvalue(), count=1), count=1)
    s = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', s)
    s = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", s)
    s = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', s)
    s = re.sub(
        r'\swidth="[\d.]+pt" height="[\d.]+pt"', ' class="chart" preserveAspectRatio="xMidYMid meet"', s, count=1
    )
    return s


def _figure(w: float, h: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), dpi=72)


def _map(stats: pd.DataFrame, scenario, lang: str) -> dict:
    if scenario is None:
        return {"svg": None, "note": ""}
    import matplotlib

    u = scenario.units
    xy = pd.DataFrame(
        {
            "unit_id": u["unit_id"].astype(str),
            "x": pd.to_numeric(u.get("x_km"), errors="coerce"),
            "y": pd.to_numeric(u.get("y_km"), errors="coerce"),
        }
    )
    d = stats.merge(xy, on="unit_id", how="inner").dropna(subset=["x", "y"])
    if not len(d):
        return {"svg": None, "note": text("map.none", lang)}
    wn = d["wn"].to_numpy(float)
    big = max(600.0 * min(1.0, 25.0 / len(d)), 30.0)  # marker area (pt²) of the largest need
    size = big * (0.08 + 0.92 * np.sqrt(wn / wn.max())) if wn.max() > 0 else np.full(len(d), big / 2)
    note = ""
    if len(d) > MAP_LABEL_MAX:
        label_idx = set(d.sort_values("ratio", kind="stable").index[:MAP_LABEL_WORST])
        note = text("map.labels_capped", lang, n=MAP_LABEL_WORST)
    else:
        label_idx = set(d.index)
    with matplotlib.rc_context(_rc()):
        fig = _figure(9.0, 6.5)
        ax = fig.add_axes((0.08, 0.09, 0.74, 0.86))
        sc = ax.scatter(
            d["x"],
            d["y"],
            s=size,
            c=d["ratio"],
            cmap=CMAP,
            vmin=0,
            vmax=1,
            edgecolors="#333",
            linewidths=0.6,
            alpha=0.9,
            zorder=2,
            rasterized=len(d) > MAP_VECTOR_MAX,
        )  # many markers: one embedded PNG, text stays text
        for i, name, x, y in zip(d.index, d["name"], d["x"], d["y"]):
            if i in label_idx:
                ax.annotate(
                    _short(str(name), 16),
                    (x, y),
                    xytext=(6, 5),
                    textcoords="offset points",
                    fontsize=8,
                    color="#222",
                    zorder=3,
                )
        ax.margins(x=0.12, y=0.08)
        ax.set_aspect("equal", adjustable="datalim")
        ax.grid(True, color="#e5e5e5", zorder=0)
        ax.set_xlabel(text("map.x", lang))
        ax.set_ylabel(text("map.y", lang))
        cax = fig.add_axes((0.9, 0.15, 0.02, 0.7))
        cb = fig.colorbar(sc, cax=cax)
        cb.set_label(text("legend.coverage", lang))
        cb.ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        return {"svg": _svg(fig, "map"), "note": note}


def _hbar(
    labels: list[str],
    values: list[float],
    annotations: list[str],
    xlabel: str,
    prefix: str,
    xmax: float | None = None,
    pct: bool = False,
    colour: str = "#3b7dd8",
) -> str:
    import matplotlib

    with matplotlib.rc_context(_rc()):
        left = min(max(_text_width_in(lab) for lab in labels) + 0.25, 3.2) if labels else 1.0
        h = 0.9 + 0.32 * len(labels)
        w = 8.0
        fig = _figure(w, h)
        ax = fig.add_axes((left / w, 0.55 / h, 1 - left / w - 0.16, 1 - 0.75 / h))
        y = np.arange(len(labels))
        ax.barh(y, values, color=colour, height=0.6, zorder=2)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        top = xmax if xmax is not None else (max(values) * 1.05 if values and max(values) > 0 else 1.0)
        ax.set_xlim(0, top)
        for yi, v, a in zip(y, values, annotations):
            ax.text(min(v, top) + top * 0.01, yi, a, va="center", fontsize=8, color="#333")
        if pct:
            ax.set_xticks(np.linspace(0, 1, 6))
            ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(xlabel)
        ax.grid(True, axis="x", color="#e5e5e5", zorder=0)
        return _svg(fig, prefix)


def _stacked_units(frame: pd.DataFrame, kinds: list[str], kind_labels: list[str], xlabel: str, prefix: str) -> str:
    import matplotlib

    colours = {"social_worker": "#3b7dd8", "volunteer": "#f2a33a"}
    labels = [_short(n) for n in frame.index]
    with matplotlib.rc_context(_rc()):
        left = min(max(_text_width_in(lab) for lab in labels) + 0.25, 3.2)
        h = 1.3 + 0.26 * len(labels)
        w = 8.0
        fig = _figure(w, h)
        ax = fig.add_axes((left / w, 0.5 / h, 1 - left / w - 0.05, 1 - 1.0 / h))
        y = np.arange(len(labels))
        acc = np.zeros(len(labels))
        for k, lab in zip(kinds, kind_labels):
            v = frame[k].to_numpy(float) if k in frame else np.zeros(len(labels))
            ax.barh(y, v, left=acc, height=0.65, color=colours.get(k, "#888"), label=lab, zorder=2)
            acc += v
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.grid(True, axis="x", color="#e5e5e5", zorder=0)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(kinds), frameon=False, fontsize=8)
        return _svg(fig, prefix)


def _grouped_bars(cats: list[str], a: list[float], b: list[float], la: str, lb: str, prefix: str) -> str:
    import matplotlib

    with matplotlib.rc_context(_rc()):
        labels = [_short(c, 14) for c in cats]
        left = min(max(_text_width_in(lab) for lab in labels) + 0.25, 3.2)
        h = 1.2 + 0.5 * len(labels)
        w = 8.0
        fig = _figure(w, h)
        ax = fig.add_axes((left / w, 0.5 / h, 1 - left / w - 0.1, 1 - 1.0 / h))
        y = np.arange(len(labels))
        ax.barh(y - 0.2, a, height=0.38, color="#2e8b57", label=la, zorder=2)
        ax.barh(y + 0.2, b, height=0.38, color="#b0b0b0", label=lb, zorder=2)
        for yi, va, vb in zip(y, a, b):
            ax.text(va + 0.01, yi - 0.2, fmt_pct(va, 0), va="center", fontsize=7)
            ax.text(vb + 0.01, yi + 0.2, fmt_pct(vb, 0), va="center", fontsize=7)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.1)
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        ax.grid(True, axis="x", color="#e5e5e5", zorder=0)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False, fontsize=8)
        return _svg(fig, prefix)


# Tables --------------------------------------------------------------------------------------------


def _guaranteed(cov: pd.DataFrame, names, cat_label, lang: str, cat_qty=None) -> dict:
    cat_qty = cat_qty or (lambda v, cat: fmt_qty(v))
    if not len(cov) or "tier" not in cov:
        return {"rows": [], "met": 0, "total": 0, "note": ""}
    g = cov[cov["tier"] == "guaranteed"].copy()
    g["met"] = g["unmet"] <= TOL * np.maximum(1.0, g["need"])
    g = g.sort_values("met", kind="stable")
    total, met = len(g), int(g["met"].sum())
    note = ""
    if total > TABLE_MAX_ROWS:
        g = g.head(TABLE_MAX_ROWS)
        note = text("capped_rows", lang, shown=TABLE_MAX_ROWS, total=total)
    rows = [
        {
            "unit": names.get(str(r.unit_id), str(r.unit_id)),
            "unit_id": str(r.unit_id),
            "category": cat_label(r.category),
            "need": cat_qty(r.need, r.category),
            "covered": cat_qty(r.covered, r.category),
            "met": bool(r.met),
        }
        for r in g.itertuples(index=False)
    ]
    return {"rows": rows, "met": met, "total": total, "note": note}


# the unit of measure of each provider group's capacity (organizations: service units of their own)
GROUP_UNITS = {"social_worker": "hours", "volunteer": "hours", "charity_funds": "yuan", "charity_goods": "items"}


def _providers(plan, scenario, names, lang: str) -> dict:
    prov = plan.providers
    out = {"rows": [], "chart": None, "units_chart": None, "units_note": "", "idle": [], "idle_total": 0}
    if prov is None or not len(prov):
        return out
    prov = prov.copy()
    for c in ("capacity", "used", "fixed_cost"):
        prov[c] = pd.to_numeric(prov[c], errors="coerce").fillna(0.0)
    group = prov["provider_kind"].astype(str).copy()
    if scenario is not None and len(scenario.charity):
        lot_kind = dict(zip(scenario.charity["lot_id"].astype(str), scenario.charity["kind"].astype(str)))
        is_ch = group == "charity"
        group[is_ch] = [f"charity_{lot_kind.get(pid, 'funds')}" for pid in prov.loc[is_ch, "provider_id"].astype(str)]
    prov["group"] = group

    def group_label(gk: str) -> str:
        if gk.startswith("charity_"):
            key = f"p.{gk}"
            return text(key, lang) if key in TEXT else L.kind("charity", lang)
        return L.kind(gk, lang)

    labels, values, ann = [], [], []
    for gk in [k for k in KIND_ORDER if k in set(group)] + sorted(set(group) - set(KIND_ORDER)):
        d = prov[prov["group"] == gk]
        finite = np.isfinite(d["capacity"].to_numpy(float))
        cap = float(d.loc[finite, "capacity"].sum())
        used = float(d["used"].sum())
        used_f = float(d.loc[finite, "used"].sum())
        util = used_f / cap if cap > 0 else None
        unit = GROUP_UNITS.get(gk, "")
        out["rows"].append(
            {
                "kind": group_label(gk),
                "count": len(d),
                "capacity": fmt_measured(cap, unit, lang) if finite.all() else text("p.unlimited", lang),
                "used": fmt_measured(used, unit, lang),
                "util": fmt_pct(util) if util is not None else "–",
                "idle": fmt_measured(max(cap - used_f, 0.0), unit, lang) if finite.all() else "–",
            }
        )
        if util is not None:
            labels.append(group_label(gk))
            values.append(min(util, 1.0))
            ann.append(f"{fmt_pct(util)}  ({fmt_qty(used_f)} / {fmt_qty(cap)})")
    if labels:
        out["chart"] = _hbar(labels, values, ann, text("p.used_pct", lang), "util", xmax=1.35, pct=True)

    alloc = plan.allocations
    if alloc is not None and len(alloc):
        people = alloc[alloc["provider_kind"].isin(["social_worker", "volunteer"])].copy()
        people["load"] = pd.to_numeric(people["load"], errors="coerce").fillna(0.0)
        if len(people):
            per = people.pivot_table(
                index=people["unit_id"].astype(str),
                columns="provider_kind",
                values="load",
                aggfunc="sum",
                fill_value=0.0,
            )
            per["_total"] = per.sum(axis=1)
            per = per.sort_values("_total", ascending=False, kind="stable")
            total = len(per)
            if total > UNIT_BARS_MAX:
                per = per.head(UNIT_BARS_MAX)
                out["units_note"] = text("p.units_capped", lang, shown=UNIT_BARS_MAX, total=total)
            per.index = [names.get(i, i) for i in per.index]
            kinds = [k for k in ("social_worker", "volunteer") if k in per]
            out["units_chart"] = _stacked_units(
                per, kinds, [L.kind(k, lang) for k in kinds], text("p.hours", lang), "uhours"
            )
    people = prov[prov["provider_kind"].isin(["social_worker", "volunteer"])].copy()
    people["idle"] = (people["capacity"] - people["used"]).clip(lower=0)
    people = people[people["idle"] > TOL].sort_values(["idle", "provider_id"], ascending=[False, True], kind="stable")
    out["idle_total"] = len(people)
    out["idle"] = [
        {
            "kind": L.kind(r.provider_kind, lang),
            "id": str(r.provider_id),
            "capacity": fmt_measured(r.capacity, "hours", lang),
            "used": fmt_measured(r.used, "hours", lang),
            "idle": fmt_measured(r.idle, "hours", lang),
            "util": fmt_pct(r.used / r.capacity) if r.capacity > 0 else "–",
        }
        for r in people.head(15).itertuples(index=False)
    ]
    return out


def _unmet(cov: pd.DataFrame, expl, names, cat_label, lang: str, cat_qty=None) -> dict:
    cat_qty = cat_qty or (lambda v, cat: fmt_qty(v))
    if not len(cov):
        return {"rows": [], "total": 0, "note": "", "has_reasons": False}
    if isinstance(expl, pd.DataFrame) and len(expl):
        e = expl.copy()
        has = True
    else:
        e = cov[cov["unmet"] > TOL * np.maximum(1.0, cov["need"])].copy()
        e["reason_code"] = ""
        e["reason"] = ""
        has = isinstance(expl, pd.DataFrame)  # an empty explanations.csv: nothing unmet to explain
    for c in ("need", "unmet"):
        e[c] = pd.to_numeric(e[c], errors="coerce").fillna(0.0)
    e["_t"] = e["tier"].map(TIER_ORDER).fillna(9)
    e = e.sort_values(["_t", "unmet"], ascending=[True, False], kind="stable")
    total = len(e)
    note = ""
    if total > TABLE_MAX_ROWS:
        e = e.head(TABLE_MAX_ROWS)
        note = text("capped_rows", lang, shown=TABLE_MAX_ROWS, total=total)
    from ..analysis.explain import reason_text

    rows = []
    for r in e.to_dict("records"):
        code = str(r.get("reason_code") or "")
        reason = reason_text(r, lang)
        rows.append(
            {
                "unit": names.get(str(r["unit_id"]), str(r.get("unit_name") or r["unit_id"])),
                "unit_id": str(r["unit_id"]),
                "category": cat_label(r["category"]),
                "tier": L.tier(str(r["tier"]), lang),
                "need": cat_qty(r["need"], r["category"]),
                "unmet": cat_qty(r["unmet"], r["category"]),
                "code": code,
                "code_label": text(f"reason.{code}", lang) if f"reason.{code}" in TEXT else code,
                "reason": reason,
            }
        )
    return {"rows": rows, "total": total, "note": note, "has_reasons": has}


def _baseline(cmp, base_cov, cov: pd.DataFrame, cat_label, lang: str) -> dict | None:
    if not isinstance(cmp, dict) or "optimized" not in cmp or "baseline" not in cmp:
        return None
    rows = []
    for key, kind in BASELINE_FORMATS.items():
        o, b = cmp["optimized"].get(key), cmp["baseline"].get(key)
        if o is None or b is None:
            continue
        rows.append(
            {
                "label": text(f"m.{key}", lang),
                "opt": _fmt(kind, o),
                "base": _fmt(kind, b),
                "diff": _fmt_diff(kind, float(o) - float(b), lang),
            }
        )
    chart = None
    if isinstance(base_cov, pd.DataFrame) and len(base_cov) and len(cov):
        bc = base_cov.copy()
        for c in ("need", "covered"):
            bc[c] = pd.to_numeric(bc[c], errors="coerce").fillna(0.0)
        opt = cov.groupby("category", sort=False)[["need", "covered"]].sum()
        base = bc.groupby("category", sort=False)[["need", "covered"]].sum().reindex(opt.index).fillna(0.0)
        ok = opt["need"] > 0
        opt, base = opt[ok], base[ok]
        if len(opt):
            a = (opt["covered"] / opt["need"]).clip(upper=1).tolist()
            b = np.minimum(
                np.divide(
                    base["covered"].to_numpy(float),
                    base["need"].to_numpy(float),
                    out=np.zeros(len(base)),
                    where=base["need"].to_numpy() > 0,
                ),
                1.0,
            ).tolist()
            chart = _grouped_bars(
                [cat_label(c) for c in opt.index], a, b, L.column("optimized", lang), L.column("baseline", lang), "base"
            )
    caption = text("b.caption", lang)
    if ((cmp.get("repair") or {}).get("guarantees_first") or {}).get("used"):
        caption += ("" if lang == "zh" else " ") + text("b.caption_first", lang)
    return {"rows": rows, "chart": chart, "caption": caption}


# ---------------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------------

_ENVS: dict[str, object] = {}


def _env(lang: str | None = None):
    """The templates' jinja2 environment for ``lang``: autoescaped, with ``jinja2.ext.i18n`` and the
    project's translations installed (``_()``, ``pgettext()``, ``ngettext()`` in the templates; their
    parameters are ``str.format`` fields, ``_("{n} needs").format(n=...)``, as in the code)."""
    lang = L.resolve(lang)
    env = _ENVS.get(lang)
    if env is None:
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
            autoescape=True,  # every name in the page is user input
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
        )
        env.install_gettext_translations(Translator(lang), newstyle=False)  # type: ignore[attr-defined]
        _ENVS[lang] = env
    return env


def _render(ctx: dict) -> str:
    from markupsafe import Markup

    for section, keys in (("map", ("svg",)), ("providers", ("chart", "units_chart")), ("baseline", ("chart",))):
        part = ctx.get(section)
        if part:
            for k in keys:
                if part.get(k):
                    part[k] = Markup(part[k])  # matplotlib's SVG: its text is XML-escaped by matplotlib
    return _env(ctx["lang"]).get_template("report.html.j2").render(**ctx)
