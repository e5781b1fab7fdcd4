"""Comparing plans: a fixed yardstick, and what changed since the last published plan, in words.

* :func:`yardstick`: measures of a plan that do not move with the category weights -- coverage by tier
  and by category, guaranteed needs met, the lowest unit ratio -- and, as its own figure, the weighted
  score under the plan's own weights. Within a category, coverage is covered / need in the category's own
  unit of measure; a tier's or a unit's coverage is the plain mean over its categories (each category
  counts the same), so no weight enters. ``whatif`` and ``runs diff`` compare variants on these.
* :func:`changes`: from an earlier plan A to a later plan B (the four contract tables and each plan's
  config as a dict): which units gained or lost coverage, which volunteers and social workers changed
  units, and the input changes between the two (needs added, removed or changed, providers added or
  removed, hours or quantities changed, budget, weights), each unit's change with the input changes
  that touch it (its own needs, the providers that served it, the weights of its categories, the
  budget). The needs and providers of a plan are read from its coverage and providers tables, so no
  input file has to be kept: a plan is enough.
* :func:`describe`: the changes as sentences in English or Chinese (the committee page, ``runs diff``).

Texts: :data:`TEXT`, English message ids (``N_``) whose Chinese is in the catalog.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from .. import lang as L
from ..i18n import N_
from ..schema import TIERS

PEOPLE = ("volunteer", "social_worker")
TOL = 1e-6

# The words of comparisons: English message ids, translated through the catalog (linkage_opt/i18n.py).
TEXT: dict[str, str] = {
    "since": N_("Since the last published plan ({ref})"),
    "none": N_("No changes in coverage, assignments or inputs."),
    "units_title": N_("Coverage"),
    "gained": N_("{unit} gained: {what}."),
    "lost": N_("{unit} lost: {what}."),
    "cat_change": N_("{category} {a} → {b} {uom} ({ra} → {rb})"),
    "cat_change_same": N_("{category} {a} → {b} {uom} (still {ra})"),
    "because": N_(" Because: {causes}."),
    "people_title": N_("Assignments"),
    "moved": N_("{kind} {id} changed units: {a} → {b}."),
    "nowhere": N_("none"),
    "inputs_title": N_("Input changes"),
    "need_added": N_("need added: {unit} · {category} {q} {uom} ({tier})"),
    "need_carried": N_("need carried over: {unit} · {category} {q} {uom} ({tier})"),
    "need_removed": N_("need removed: {unit} · {category} {q} {uom} ({tier})"),
    "need_changed": N_("need changed: {unit} · {category} {a} → {b} {uom}"),
    "tier_changed": N_("need tier changed: {unit} · {category} {a} → {b}"),
    "provider_added": N_("{kind} {id} added ({q} {uom})"),
    "provider_removed": N_("{kind} {id} removed (had {q} {uom})"),
    "capacity_changed": N_("{kind} {id}: {a} → {b} {uom}"),
    "budget_changed": N_("budget {a} → {b} yuan"),
    "budget_unlimited": N_("no cap"),
    "weight_changed": N_("weight of {category} {a} → {b}"),
    "tier_weight_changed": N_("tier multiplier of {tier} {a} → {b}"),
    "more": N_("… and {n} more"),
    # the fixed yardstick
    "y.title": N_("Fixed yardstick (does not move with the weights)"),
    "y.tier": N_("coverage, {tier}"),
    "y.category": N_("coverage, {category}"),
    "y.guaranteed": N_("guaranteed needs met"),
    "y.lowest": N_("lowest unit ratio"),
    "y.score": N_("weighted score (own weights)"),
    "y.note": N_(
        "Coverage within a category is covered / need in its own unit of measure; a tier's and a unit's coverage is the plain mean over its categories, so these figures do not move when weights change. The weighted score uses each variant's own weights: compare it within a variant, not across."
    ),
}


def text(key: str, lang: str, /, **kw) -> str:
    """The comparison text ``key`` in ``lang``, formatted with ``kw``."""
    return L.t(TEXT[key], lang, **kw)


# ---------------------------------------------------------------------------------------------------
# Numbers as people read them
# ---------------------------------------------------------------------------------------------------


def fmt_number(v, decimals: int = 2) -> str:
    """Thousands separated, at most ``decimals`` decimals, never scientific: 24,000; 9,805.34; 12.5."""
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
    return f"{f:,.{decimals}f}".rstrip("0").rstrip(".")


def fmt_signed(v, decimals: int = 2) -> str:
    if v is None:
        return "-"
    s = fmt_number(abs(float(v)), decimals)
    return s if s == "0" else ("+" if float(v) > 0 else "−") + s


def fmt_ratio(v, decimals: int = 1) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{float(v):.{decimals}%}"


DEFAULT_TIMEZONE = "Asia/Shanghai"


def timezone_of(config) -> str:
    """The configured time zone (``timezone:`` of a Config or its dict), else Asia/Shanghai."""
    tz = config.get("timezone") if isinstance(config, dict) else getattr(config, "timezone", None)
    return str(tz) if tz else DEFAULT_TIMEZONE


def fmt_time(value, tz: str | None = None, seconds: bool = False) -> str:
    """An ISO-8601 timestamp (UTC as recorded) in the time zone ``tz``: ``2026-12-02 12:19 (UTC+08:00)``."""
    import datetime as _dt
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not value:
        return "-"
    try:
        t = _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.UTC)
    try:
        zone = ZoneInfo(tz or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    local = t.astimezone(zone)
    off = local.strftime("%z")
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" (UTC{off[:3]}:{off[3:]})"


# ---------------------------------------------------------------------------------------------------
# The fixed yardstick
# ---------------------------------------------------------------------------------------------------


def _cat_ratios(cov: pd.DataFrame) -> pd.Series:
    """covered / need per category (categories with a positive need)."""
    g = cov.groupby(cov["category"].astype(str), sort=True)[["need", "covered"]].sum()
    g = g[g["need"] > 0]
    return (g["covered"] / g["need"]).clip(upper=1.0)


def _mean_ratio(cov: pd.DataFrame) -> float:
    r = _cat_ratios(cov)
    return float(r.mean()) if len(r) else 1.0


def yardstick(coverage: pd.DataFrame) -> dict:
    """Measures of a plan that do not move with the weights, and the weighted score under its own weights."""
    cov = coverage.astype({"unit_id": str, "category": str, "tier": str}).copy()
    for c in ("need", "covered", "unmet", "weight"):
        cov[c] = pd.to_numeric(cov[c], errors="coerce").fillna(0.0)
    by_tier = {t: _mean_ratio(cov[cov["tier"] == t]) for t in TIERS if (cov["tier"] == t).any()}
    by_cat = {str(k): float(v) for k, v in _cat_ratios(cov).items()}
    g = cov[cov["tier"] == "guaranteed"]
    met = int((g["unmet"] <= TOL * g["need"].clip(lower=1.0)).sum())
    units = {str(u): _mean_ratio(c) for u, c in cov.groupby("unit_id", sort=True) if (c["need"] > 0).any()}
    low_unit = min(units, key=lambda u: (units[u], u)) if units else None
    return {
        "coverage_by_tier": by_tier,
        "coverage_by_category": by_cat,
        "guaranteed_met": met,
        "guaranteed_needs": int(len(g)),
        "lowest_unit_ratio": units[low_unit] if low_unit else 1.0,
        "lowest_unit": low_unit,
        "weighted_score": float((cov["weight"] * cov["covered"]).sum()),
    }


def yardstick_rows(
    sticks: list[dict], lang: str, category_label: Callable[[str], str] | None = None
) -> list[tuple[str, list[str]]]:
    """(label, one cell per plan) rows for a table of several plans' yardsticks; the weighted score last."""
    label = category_label or (lambda c: c)
    tiers = [t for t in TIERS if any(t in s["coverage_by_tier"] for s in sticks)]
    cats = sorted({c for s in sticks for c in s["coverage_by_category"]})
    rows = [
        (text("y.tier", lang, tier=L.tier(t, lang)), [fmt_ratio(s["coverage_by_tier"].get(t)) for s in sticks])
        for t in tiers
    ]
    rows += [
        (text("y.category", lang, category=label(c)), [fmt_ratio(s["coverage_by_category"].get(c)) for s in sticks])
        for c in cats
    ]
    rows.append((text("y.guaranteed", lang), [f"{s['guaranteed_met']:,} / {s['guaranteed_needs']:,}" for s in sticks]))
    rows.append((text("y.lowest", lang), [fmt_ratio(s["lowest_unit_ratio"]) for s in sticks]))
    rows.append((text("y.score", lang), [fmt_ratio(s["weighted_score"], 2) for s in sticks]))
    return rows


# ---------------------------------------------------------------------------------------------------
# What changed from plan A to plan B
# ---------------------------------------------------------------------------------------------------


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None  # unlimited capacity: no number to compare


def _needs(cov: pd.DataFrame) -> dict[str, dict]:
    names = ["" if isinstance(x, float) or x is None else str(x) for x in cov["unit_name"]]
    return {
        str(i): {
            "need_id": str(i),
            "unit_id": str(u),
            "unit_name": n,
            "category": str(c),
            "tier": str(t),
            "quantity": float(q),
        }
        for i, u, n, c, t, q in zip(cov["need_id"], cov["unit_id"], names, cov["category"], cov["tier"], cov["need"])
    }


def _providers(prov: pd.DataFrame) -> dict[tuple[str, str], float | None]:
    return {(str(k), str(i)): _num(c) for k, i, c in zip(prov["provider_kind"], prov["provider_id"], prov["capacity"])}


def _places(alloc: pd.DataFrame) -> dict[tuple[str, str], set[str]]:
    a = alloc[alloc["provider_kind"].astype(str).isin(PEOPLE)]
    a = a[
        (pd.to_numeric(a["quantity"], errors="coerce").fillna(0).abs() > TOL)
        | (pd.to_numeric(a["load"], errors="coerce").fillna(0).abs() > TOL)
    ]
    out: dict[tuple[str, str], set[str]] = {}
    for k, p, u in zip(a["provider_kind"].astype(str), a["provider_id"].astype(str), a["unit_id"].astype(str)):
        out.setdefault((k, p), set()).add(u)
    return out


def _served(alloc: pd.DataFrame) -> dict[str, set[tuple[str, str]]]:
    """unit -> providers (kind, id) that serve it."""
    out: dict[str, set[tuple[str, str]]] = {}
    for k, p, u in zip(
        alloc["provider_kind"].astype(str), alloc["provider_id"].astype(str), alloc["unit_id"].astype(str)
    ):
        out.setdefault(u, set()).add((k, p))
    return out


def _lot_uoms(alloc: pd.DataFrame, config: dict | None) -> dict[str, str]:
    """A charity lot's unit of measure, from the categories it serves: yuan for money, items for goods."""
    cats = (config or {}).get("categories") or {}
    out: dict[str, str] = {}
    ch = alloc[alloc["provider_kind"].astype(str) == "charity"]
    for p, c in zip(ch["provider_id"].astype(str), ch["category"].astype(str)):
        spec = cats.get(c) or {}
        out.setdefault(p, "yuan" if spec.get("funds_per_unit") or spec.get("unit") == "yuan" else "items")
    return out


def _budget(config: dict | None) -> float | None:
    b = (((config or {}).get("rules") or {}).get("budget")) or {}
    if not b.get("enabled", False) or b.get("amount") is None:
        return None
    return float(b["amount"])


def changes(
    a: dict,
    b: dict,
    config_a: dict | None = None,
    config_b: dict | None = None,
    ref_a: str = "A",
    ref_b: str = "B",
    lot_uoms: dict[str, str] | None = None,
) -> dict:
    """What changed from plan ``a`` to plan ``b`` (each: table name -> DataFrame), JSON-ready.

    ``config_a``/``config_b``: each plan's config as ``Config.model_dump(mode="json")`` (weights, budget;
    optional). ``lot_uoms``: charity lot id -> unit of measure (inferred from the categories served when
    not given)."""
    cfg = config_b or config_a or {}
    cats = cfg.get("categories") or {}
    uoms = {**_lot_uoms(a["allocations"], config_a), **_lot_uoms(b["allocations"], config_b), **(lot_uoms or {})}

    # -- inputs ----------------------------------------------------------------------------------------
    na, nb = _needs(a["coverage"]), _needs(b["coverage"])
    needs = []
    for nid in sorted(set(nb) - set(na)):
        needs.append(
            {
                "change": "carried" if "@" in nid else "added",
                **nb[nid],
                "quantity_a": None,
                "quantity_b": nb[nid]["quantity"],
            }
        )
    for nid in sorted(set(na) - set(nb)):
        needs.append({"change": "removed", **na[nid], "quantity_a": na[nid]["quantity"], "quantity_b": None})
    for nid in sorted(set(na) & set(nb)):
        x, y = na[nid], nb[nid]
        if abs(x["quantity"] - y["quantity"]) > TOL * max(1.0, x["quantity"]):
            needs.append({"change": "changed", **y, "quantity_a": x["quantity"], "quantity_b": y["quantity"]})
        if x["tier"] != y["tier"]:
            needs.append(
                {"change": "tier", **y, "tier_a": x["tier"], "quantity_a": x["quantity"], "quantity_b": y["quantity"]}
            )
    pa, pb = _providers(a["providers"]), _providers(b["providers"])
    providers = []
    for key in sorted(set(pa) | set(pb)):
        ca, cb = pa.get(key), pb.get(key)
        if key not in pa:
            change = "added"
        elif key not in pb:
            change = "removed"
        elif (ca is None) != (cb is None) or (
            ca is not None and cb is not None and abs(ca - cb) > TOL * max(1.0, abs(ca))
        ):
            change = "changed"
        else:
            continue
        providers.append(
            {
                "change": change,
                "provider_kind": key[0],
                "provider_id": key[1],
                "capacity_a": ca,
                "capacity_b": cb,
                "uom": uoms.get(key[1], "") if key[0] == "charity" else "hours" if key[0] in PEOPLE else "",
            }
        )
    settings = []
    ba, bb = _budget(config_a), _budget(config_b)
    if config_a is not None and config_b is not None and ba != bb:
        settings.append({"change": "budget", "a": ba, "b": bb})
    wa = {c: (s or {}).get("weight") for c, s in ((config_a or {}).get("categories") or {}).items()}
    wb = {c: (s or {}).get("weight") for c, s in ((config_b or {}).get("categories") or {}).items()}
    if config_a is not None and config_b is not None:
        for c in sorted(set(wa) | set(wb)):
            if wa.get(c) != wb.get(c):
                settings.append({"change": "weight", "category": c, "a": wa.get(c), "b": wb.get(c)})
        ta, tb = config_a.get("tier_multipliers") or {}, config_b.get("tier_multipliers") or {}
        for t in sorted(set(ta) | set(tb)):
            if ta.get(t) != tb.get(t):
                settings.append({"change": "tier_weight", "tier": t, "a": ta.get(t), "b": tb.get(t)})

    # -- people who changed units ----------------------------------------------------------------------
    la, lb = _places(a["allocations"]), _places(b["allocations"])
    moved = [
        {
            "provider_kind": k,
            "provider_id": p,
            "units_a": sorted(la.get((k, p), set())),
            "units_b": sorted(lb.get((k, p), set())),
        }
        for k, p in sorted(set(la) | set(lb))
        if la.get((k, p), set()) != lb.get((k, p), set())
    ]

    # -- units that gained or lost, each with the input changes that touch it -------------------------
    def per_cat(cov: pd.DataFrame) -> pd.DataFrame:
        c = cov.astype({"unit_id": str, "category": str})
        return c.groupby(["unit_id", "category"], sort=True).agg(
            unit_name=("unit_name", "first"), need=("need", "sum"), covered=("covered", "sum")
        )

    ga, gb = per_cat(a["coverage"]), per_cat(b["coverage"])
    m = ga.merge(gb, how="outer", left_index=True, right_index=True, suffixes=("_a", "_b"))
    for col in ("need_a", "need_b", "covered_a", "covered_b"):
        m[col] = m[col].astype(float).fillna(0.0)
    served_a, served_b = _served(a["allocations"]), _served(b["allocations"])
    changed_providers = {(p["provider_kind"], p["provider_id"]): p for p in providers}
    weights = {s["category"]: s for s in settings if s["change"] == "weight"}
    units: list[dict] = []
    for uid_key, grp in m.groupby(level=0, sort=True):
        uid = str(uid_key)
        rows = []
        for cat, r in zip(grp.index.get_level_values(1), (row for _, row in grp.iterrows())):
            if abs(r["covered_b"] - r["covered_a"]) > TOL * max(1.0, r["need_a"], r["need_b"]) or abs(
                r["need_b"] - r["need_a"]
            ) > TOL * max(1.0, r["need_a"]):
                rows.append(
                    {
                        "category": cat,
                        "need_a": r["need_a"],
                        "need_b": r["need_b"],
                        "covered_a": r["covered_a"],
                        "covered_b": r["covered_b"],
                        "ratio_a": r["covered_a"] / r["need_a"] if r["need_a"] > 0 else None,
                        "ratio_b": r["covered_b"] / r["need_b"] if r["need_b"] > 0 else None,
                    }
                )
        if not rows:
            continue
        name = next(
            (str(x) for x in list(grp["unit_name_b"]) + list(grp["unit_name_a"]) if isinstance(x, str) and x), ""
        )

        def ratio(side: str, g=grp) -> float | None:
            need, cov = g[f"need_{side}"], g[f"covered_{side}"]
            r = (cov[need > 0] / need[need > 0]).clip(upper=1.0)
            return float(r.mean()) if len(r) else None

        ra, rb = ratio("a"), ratio("b")
        causes: list[dict] = [n for n in needs if n["unit_id"] == uid]
        for key in sorted(served_a.get(uid, set()) | served_b.get(uid, set())):
            if key in changed_providers:
                causes.append(changed_providers[key])
        for mv in moved:
            if (uid in mv["units_a"]) != (uid in mv["units_b"]) and (
                mv["provider_kind"],
                mv["provider_id"],
            ) not in changed_providers:
                causes.append({"change": "moved", **mv})
        causes += [weights[r["category"]] for r in rows if r["category"] in weights]
        causes += [s for s in settings if s["change"] in ("budget", "tier_weight")]
        direction = "gained" if sum(r["covered_b"] - r["covered_a"] for r in rows) > 0 else "lost"
        if ra is not None and rb is not None and abs(rb - ra) > TOL:
            direction = "gained" if rb > ra else "lost"
        units.append(
            {
                "unit_id": uid,
                "unit_name": name,
                "change": direction,
                "ratio_a": ra,
                "ratio_b": rb,
                "categories": rows,
                "causes": causes,
            }
        )

    def order(u: dict) -> tuple:
        return (u["change"] != "lost", -abs(float(u["ratio_b"] or 0.0) - float(u["ratio_a"] or 0.0)), str(u["unit_id"]))

    units.sort(key=order)
    labels = {
        c: {
            "en": (s or {}).get("label_en") or c,
            "zh": (s or {}).get("label") or c,
            "unit": (s or {}).get("unit") or "",
        }
        for c, s in cats.items()
    }
    return {
        "a": ref_a,
        "b": ref_b,
        "units": units,
        "moved": moved,
        "inputs": {"needs": needs, "providers": providers, "settings": settings},
        "labels": labels,
    }


def has_changes(ch: dict) -> bool:
    i = ch.get("inputs") or {}
    return bool(ch.get("units") or ch.get("moved") or i.get("needs") or i.get("providers") or i.get("settings"))


# ---------------------------------------------------------------------------------------------------
# In words
# ---------------------------------------------------------------------------------------------------


class _Words:
    def __init__(self, ch: dict, lang: str, unit_names: dict[str, str] | None = None):
        self.lang = lang
        self.labels = ch.get("labels") or {}
        self.names = dict(unit_names or {})
        for u in ch.get("units") or []:
            if u.get("unit_name"):
                self.names.setdefault(u["unit_id"], u["unit_name"])
        for n in (ch.get("inputs") or {}).get("needs") or []:
            if n.get("unit_name"):
                self.names.setdefault(n["unit_id"], n["unit_name"])

    def unit(self, uid: str) -> str:
        name = self.names.get(uid)
        if not name or name == uid:
            return uid
        return f"{name}（{uid}）" if self.lang == "zh" else f"{name} ({uid})"

    def category(self, cat: str) -> str:
        return (self.labels.get(cat) or {}).get(self.lang) or cat

    def uom(self, cat: str) -> str:
        return L.uom((self.labels.get(cat) or {}).get("unit") or "", self.lang)

    def need(self, n: dict) -> str:
        lang = self.lang
        kw = {"unit": self.unit(n["unit_id"]), "category": self.category(n["category"]), "uom": self.uom(n["category"])}
        if n["change"] == "changed":
            return text("need_changed", lang, a=fmt_number(n["quantity_a"]), b=fmt_number(n["quantity_b"]), **kw)
        if n["change"] == "tier":
            return text(
                "tier_changed",
                lang,
                unit=kw["unit"],
                category=kw["category"],
                a=L.tier(n["tier_a"], lang),
                b=L.tier(n["tier"], lang),
            )
        key = {"added": "need_added", "carried": "need_carried", "removed": "need_removed"}[n["change"]]
        return text(key, lang, q=fmt_number(n["quantity"]), tier=L.tier(n["tier"], lang), **kw)

    def provider(self, p: dict) -> str:
        lang = self.lang
        kw = {"kind": L.kind(p["provider_kind"], lang), "id": p["provider_id"], "uom": L.uom(p.get("uom") or "", lang)}
        if p["change"] == "added":
            return text("provider_added", lang, q=fmt_number(p["capacity_b"]), **kw)
        if p["change"] == "removed":
            return text("provider_removed", lang, q=fmt_number(p["capacity_a"]), **kw)
        return text("capacity_changed", lang, a=fmt_number(p["capacity_a"]), b=fmt_number(p["capacity_b"]), **kw)

    def setting(self, s: dict) -> str:
        lang = self.lang
        if s["change"] == "budget":
            return text(
                "budget_changed",
                lang,
                a=fmt_number(s["a"]) if s["a"] is not None else text("budget_unlimited", lang),
                b=fmt_number(s["b"]) if s["b"] is not None else text("budget_unlimited", lang),
            )
        if s["change"] == "weight":
            return text(
                "weight_changed",
                lang,
                category=self.category(s["category"]),
                a=fmt_number(s["a"], 3),
                b=fmt_number(s["b"], 3),
            )
        return text(
            "tier_weight_changed", lang, tier=L.tier(s["tier"], lang), a=fmt_number(s["a"], 3), b=fmt_number(s["b"], 3)
        )

    def places(self, units: list[str]) -> str:
        sep = "、" if self.lang == "zh" else ", "
        return sep.join(self.unit(u) for u in units) if units else text("nowhere", self.lang)

    def move(self, mv: dict) -> str:
        return text(
            "moved",
            self.lang,
            kind=L.kind(mv["provider_kind"], self.lang),
            id=mv["provider_id"],
            a=self.places(mv["units_a"]),
            b=self.places(mv["units_b"]),
        )

    def cause(self, c: dict) -> str:
        if c["change"] in ("added", "removed", "changed", "carried", "tier") and "need_id" in c:
            return self.need(c)
        if "provider_id" in c and c["change"] != "moved":
            return self.provider(c)
        if c["change"] == "moved":
            return self.move(c).rstrip("。.")
        return self.setting(c)

    def unit_change(self, u: dict, max_causes: int = 4) -> str:
        lang = self.lang
        sep = "；" if lang == "zh" else "; "
        what = sep.join(
            text(
                "cat_change" if fmt_ratio(r["ratio_a"], 0) != fmt_ratio(r["ratio_b"], 0) else "cat_change_same",
                lang,
                category=self.category(r["category"]),
                a=fmt_number(r["covered_a"]),
                b=fmt_number(r["covered_b"]),
                uom=self.uom(r["category"]),
                ra=fmt_ratio(r["ratio_a"], 0),
                rb=fmt_ratio(r["ratio_b"], 0),
            )
            for r in u["categories"]
        )
        s = text(u["change"], lang, unit=self.unit(u["unit_id"]), what=what)
        causes = [self.cause(c) for c in u["causes"]]
        if causes:
            shown = causes[:max_causes]
            if len(causes) > max_causes:
                shown.append(text("more", lang, n=len(causes) - max_causes))
            s += text("because", lang, causes=sep.join(shown))
        return s


def describe(ch: dict, lang: str = "en", limit: int = 12, unit_names: dict[str, str] | None = None) -> list[dict]:
    """The changes in words: sections ``{"title", "items"}`` (coverage, assignments, input changes)."""
    lang = L.resolve(lang)
    w = _Words(ch, lang, unit_names)

    def cut(items: list[str]) -> list[str]:
        return items if len(items) <= limit else [*items[:limit], text("more", lang, n=len(items) - limit)]

    sections = []
    if ch.get("units"):
        sections.append({"title": text("units_title", lang), "items": cut([w.unit_change(u) for u in ch["units"]])})
    if ch.get("moved"):
        sections.append({"title": text("people_title", lang), "items": cut([w.move(m) for m in ch["moved"]])})
    i = ch.get("inputs") or {}
    inputs = (
        [w.need(n) for n in i.get("needs") or []]
        + [w.provider(p) for p in i.get("providers") or []]
        + [w.setting(s) for s in i.get("settings") or []]
    )
    if inputs:
        sections.append({"title": text("inputs_title", lang), "items": cut(inputs)})
    return sections
