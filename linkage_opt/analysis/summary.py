"""What a scenario holds, in figures (``summarize``) and as rich tables (``print_summary``).

The output depends on the data only (no paths, no timings), so the same scenario given as a CSV
folder and as an ``.xlsx`` workbook prints the same.
"""

from __future__ import annotations

import math

import pandas as pd
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..inputs.scenario import Scenario
from ..schema import TIERS
from ..terminal import print_table


def _num(x: float) -> float | int:
    x = float(x)
    return int(x) if math.isfinite(x) and x.is_integer() else round(x, 6)


def summarize(scenario: Scenario) -> dict:
    """Figures of a scenario: units, needs, providers, charity, reach (plain Python types, JSON-ready)."""
    cfg = scenario.config
    u, n = scenario.units, scenario.needs
    v, w = scenario.volunteers, scenario.social_workers
    o, pr, c, r = scenario.organizations, scenario.programs, scenario.charity, scenario.reach

    by_town: dict[str, dict] = {}
    for town, grp in u.groupby("town", sort=True):
        by_town[str(town)] = {
            "communities": int((grp["kind"] == "community").sum()),
            "villages": int((grp["kind"] == "village").sum()),
            "population": _num(grp["population"].sum()),
        }
    units = {
        "total": len(u),
        "communities": int((u["kind"] == "community").sum()),
        "villages": int((u["kind"] == "village").sum()),
        "population": _num(u["population"].sum()),
        "with_coordinates": int((u["x_km"].notna() & u["y_km"].notna()).sum()),
        "by_town": by_town,
    }

    by_tier = {}
    for tier in TIERS:
        sel = n[n["tier"] == tier]
        by_tier[tier] = {
            "rows": len(sel),
            "units": int(sel["unit_id"].nunique()),
            "indivisible": int(sel["indivisible"].sum()),
        }
    by_category = {}
    for cat, spec in cfg.categories.items():
        sel = n[n["category"] == cat]
        by_category[cat] = {
            "label": spec.label,
            "unit": spec.unit,
            "rows": len(sel),
            "quantity": _num(sel["quantity"].sum()),
            "by_tier": {tier: _num(sel.loc[sel["tier"] == tier, "quantity"].sum()) for tier in TIERS},
        }
    needs = {"rows": len(n), "units": int(n["unit_id"].nunique()), "by_tier": by_tier, "by_category": by_category}

    party = v[v["party_member"].astype(bool)] if len(v) else v
    providers = {
        "volunteers": {
            "count": len(v),
            "hours": _num(v["hours"].sum()),
            "party_members": len(party),
            "party_member_hours": _num(party["hours"].sum()),
        },
        "social_workers": {"count": len(w), "hours": _num(w["hours"].sum())},
        "organizations": {
            "count": len(o),
            "serving_directly": int(sum(1 for s in o["skills"] if len(s))),
            "capacity_limited": int(o["capacity"].notna().sum()),
        },
        "programs": {"count": len(pr)},
    }

    funds = c[c["kind"] == "funds"]
    goods = c[c["kind"] == "goods"]
    goods_items = {
        str(item): {"lots": len(g), "quantity": _num(g["quantity"].sum())}
        for item, g in goods.groupby("item", sort=True)
    }
    charity = {
        "lots": len(c),
        "funds": {"lots": len(funds), "yuan": _num(funds["quantity"].sum())},
        "goods": {"lots": len(goods), "items": goods_items},
        "earmarked": int(((c["category"] != "") | (c["town"] != "") | (c["unit_id"] != "")).sum()) if len(c) else 0,
        "with_expiry": int(pd.notna(c["expires"]).sum()) if len(c) else 0,
    }
    reach = {"rows": len(r), "providers": int(r["provider_id"].nunique()) if len(r) else 0}
    return {
        "name": cfg.name,
        "period": cfg.period,
        "units": units,
        "needs": needs,
        "providers": providers,
        "charity": charity,
        "reach": reach,
    }


def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:,.4f}".rstrip("0").rstrip(".")
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def _table(title: str, *columns: str, left: int = 1) -> Table:
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for i, col in enumerate(columns):
        t.add_column(col, justify="left" if i < left else "right")
    return t


def print_summary(scenario: Scenario, console: Console, lang: str | None = None) -> None:
    """Print the scenario's figures as rich tables (identical for CSV and workbook inputs)."""
    from .. import lang as L

    lang = L.resolve(lang)

    def T(key: str, **kw) -> str:
        return L.t(key, lang, **kw)

    def _n(count: int, word: str) -> str:
        return L.plural(count, word, lang)

    s = summarize(scenario)
    console.print(
        T("[bold]Scenario {name}[/] · period {period}", name=escape(s["name"]), period=s["period"]), highlight=False
    )

    u = s["units"]
    t = _table(
        T(
            "Units: {total} ({communities}, {villages})",
            total=f"{u['total']:,}",
            communities=_n(u["communities"], "community"),
            villages=_n(u["villages"], "village"),
        ),
        T("town"),
        T("communities"),
        T("villages"),
        T("population"),
    )
    for town, d in u["by_town"].items():
        t.add_row(escape(town), _fmt(d["communities"]), _fmt(d["villages"]), _fmt(d["population"]))
    t.add_row(f"[bold]{T('total')}[/]", _fmt(u["communities"]), _fmt(u["villages"]), _fmt(u["population"]))
    print_table(t, console)
    if u["with_coordinates"] < u["total"]:
        console.print(
            T(
                "{units} without coordinates: reachable within their town only",
                units=_n(u["total"] - u["with_coordinates"], "unit"),
            ),
            highlight=False,
        )

    n = s["needs"]
    t = _table(
        T("Needs by tier: {rows} in {units}", rows=_n(n["rows"], "row"), units=_n(n["units"], "unit")),
        T("tier"),
        T("rows"),
        T("units"),
        T("indivisible"),
    )
    for tier, d in n["by_tier"].items():
        t.add_row(L.tier(tier, lang), _fmt(d["rows"]), _fmt(d["units"]), _fmt(d["indivisible"]))
    print_table(t, console)
    t = _table(
        T("Needs by category (in the category's unit)"),
        T("category"),
        T("unit", context="sum.unit"),
        *(L.tier(x, lang) for x in TIERS),
        T("total"),
        left=2,
    )
    t.columns[0].min_width = min(28, max((len(c) for c in n["by_category"]), default=8))
    t.columns[0].overflow = "fold"
    for cat, d in n["by_category"].items():
        name = f"{cat}\n{d['label']}" if d["label"] else cat
        t.add_row(
            escape(name), escape(L.uom(d["unit"], lang)), *(_fmt(d["by_tier"][x]) for x in TIERS), _fmt(d["quantity"])
        )
    print_table(t, console)

    p = s["providers"]
    t = _table(T("Providers"), T("kind"), T("count"), T("hours"))
    vol = p["volunteers"]
    t.add_row(T("volunteers"), _fmt(vol["count"]), _fmt(vol["hours"]))
    t.add_row(T("  of whom party members"), _fmt(vol["party_members"]), _fmt(vol["party_member_hours"]))
    t.add_row(T("social workers"), _fmt(p["social_workers"]["count"]), _fmt(p["social_workers"]["hours"]))
    org = p["organizations"]
    t.add_row(T("organizations ({n} serving directly)", n=org["serving_directly"]), _fmt(org["count"]), "-")
    t.add_row(T("programs"), _fmt(p["programs"]["count"]), "-")
    print_table(t, console)

    c = s["charity"]
    t = _table(T("Charity: {lots}", lots=_n(c["lots"], "lot")), T("resource"), T("lots"), T("quantity"))
    t.add_row(T("funds (yuan)"), _fmt(c["funds"]["lots"]), _fmt(c["funds"]["yuan"]))
    for item, d in c["goods"]["items"].items():
        t.add_row(T("goods: {item}", item=escape(item)), _fmt(d["lots"]), _fmt(d["quantity"]))
    print_table(t, console)
    if c["lots"]:
        console.print(
            T(
                "{earmarked} earmarked, {expiring} with an expiry date",
                earmarked=_n(c["earmarked"], "lot"),
                expiring=_n(c["with_expiry"], "lot"),
            ),
            highlight=False,
        )

    r = s["reach"]
    console.print(
        T("Reach: {rows} for {providers}", rows=_n(r["rows"], "reach_row"), providers=_n(r["providers"], "provider"))
        + ("" if r["rows"] else T(" (reach follows distance, skills and earmarks)")),
        highlight=False,
    )
