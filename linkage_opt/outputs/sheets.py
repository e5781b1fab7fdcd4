"""Action sheets: the plan as papers for the people who do the work.

* a **task sheet** per community/village: what arrives, from whom, how many hours or what goods, and the
  contacts;
* a **roster** per volunteer and per social worker: where, what, how many hours;
* a **notice** per organization (its programs and instances by unit, the inputs it receives, its direct
  service) and per **donor** (where each lot went);
* a one-page **committee summary** in plain words (met, unmet and why, equity, spend against the budget;
  the solver's figures in an appendix).

Each kind is a function returning a :class:`Sheet` (title, and one DataFrame per block -- a unit, a
person, an organization, a donor); :func:`build_sheets` returns them all. ``plan.xlsx`` gets one
worksheet per kind (``workbook.py``: print areas, A4 page set-up, repeated header rows, a page break per
block), ``sheets.html`` is the print-ready page (``templates/sheets.html.j2``: CSS ``@page``, a page per
block, a font stack that falls back to Microsoft YaHei), and ``sheets.pdf`` is printed from it by
headless Chromium when one is found (:func:`html_to_pdf`; skipped silently otherwise).

Personal details (the extra input columns that ``privacy.personal`` names: names, phones, ...) appear
only here, on the sheets of their own row -- a person's roster, the task sheet of the unit they go to, an
organization's or donor's notice -- and ``redact=True`` (``--redact``) leaves them out. Texts: :data:`TEXT`,
both languages for every key.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import lang as L
from ..analysis.compare import describe, fmt_time, has_changes, timezone_of
from ..analysis.compare import text as ctext
from ..i18n import N_
from ..inputs.readers import normalise_header
from ..lang import C_
from ..model.reach import distance_matrix
from ..schema import TABLES
from ..solving.summary import Summary
from .report import TEXT as RT
from .report import _env, fmt_gap, fmt_pct, fmt_value

TEXT: dict[str, str | tuple[str, str]] = {
    "title": N_("Action sheets"),
    "k.tasks": N_("Task sheets"),
    "k.rosters": N_("Rosters"),
    "k.organizations": N_("Organization notices"),
    "k.donors": N_("Donor notices"),
    "k.committee": N_("Committee summary"),
    "task.title": N_("Task sheet: {unit}"),
    "task.intro": N_("What arrives in {unit} ({town}) in {period}, and from whom."),
    "roster.title": N_("Roster: {name}"),
    "roster.intro": N_("{kind} {name}: where to go and what to do in {period} ({hours} hours in all)."),
    "org.title": N_("Notice to {name}"),
    "org.intro": N_("The programs {name} runs in {period}, where, and what it receives for them."),
    "donor.title": N_("Where the donation of {name} went"),
    "donor.intro": N_("Each lot given by {name}, and the units and needs it serves in {period}."),
    "committee.title": N_("Summary for the party committee: {scenario}, {period}"),
    "c.met": N_("Met"),
    "c.met_text": N_("{full} of {total} needs are met in full, {part} in part; priority-weighted coverage is {wc}."),
    "c.guaranteed_all": N_("Every guaranteed need is met: {met} of {total}."),
    "c.guaranteed_some": N_("Guaranteed needs met: {met} of {total}."),
    "c.unmet": N_("Not met, and why"),
    "c.unmet_none": N_("Every need is met in full."),
    "c.unmet_text": N_("{n} needs are not fully met; the largest:"),
    "c.reasons": N_("Reasons: {reasons}."),
    "c.equity": N_("Equity"),
    "c.equity_text": N_(
        "The lowest unit coverage is {low} ({unit}); {below} units are below the equity floor of {floor}."
    ),
    "c.below_list": N_("Below the floor: {units}."),
    "c.spend": N_("Spending"),
    "c.spend_budget": N_("District money spent: {money} yuan of a budget of {budget} yuan ({share})."),
    "c.spend_nobudget": N_("District money spent: {money} yuan (no budget cap)."),
    "c.charity": N_("Charity funds used: {funds} yuan; goods handed out: {goods} items."),
    "c.dispatch": N_(
        "Hours are handed out in steps of {step} h, at least {min} h per person and unit; rounding set aside {hours} hours."
    ),
    "c.appendix": N_("Appendix: solver figures"),
    "a.status": N_("Status"),
    "a.objective": C_("sheets.a.objective", "Objective terms"),
    "a.bound": N_("Best bound / gap"),
    "a.solver": N_("Solver"),
    "a.model": N_("Model size"),
    "a.model_text": N_("{v} variables, {r} constraints"),
    "col.block": N_("For"),
    "col.from": N_("From"),
    "col.kind": C_("sheets.col.kind", "Kind"),
    "col.what": N_("What"),
    "col.tier": N_("Tier"),
    "col.amount": N_("Amount"),
    "col.unit_of": N_("Unit of measure"),
    "col.contact": N_("Contact"),
    "col.where": N_("Where"),
    "col.town": N_("Town"),
    "col.hours": N_("Hours"),
    "col.program": C_("sheets.col.program", "Program"),
    "col.instances": N_("Instances"),
    "col.inputs": N_("Inputs received"),
    "col.lot": N_("Lot"),
    "col.details": N_("Details"),
    "hours": C_("sheets.hours", "hours"),
    "yuan": N_("yuan"),
    "items": N_("items"),
    "program_input": N_("for program {program}"),
    "inputs_text": N_("{w} worker hours, {v} volunteer hours, {f} yuan"),
    "direct": N_("direct service"),
    "budget": N_("district budget"),
    "none": N_("Nothing planned."),
    "redacted": N_("Shareable copy: personal details removed."),
    "footer": N_("linkage-opt {version}, {created}"),
}

NAME_COLUMNS = ("姓名", "名字", "name", "person_name", "full_name")  # a person's name among the extra columns


def text(key: str, lang: str, /, **kw) -> str:
    return L.tr(TEXT[key], lang, **kw)


@dataclass
class Block:
    """One page: a unit, a person, an organization or a donor."""

    key: str
    title: str
    intro: str
    table: pd.DataFrame
    details: list[tuple[str, str]] = field(default_factory=list)  # (header, value): contact details


@dataclass
class Sheet:
    kind: str
    title: str
    blocks: list[Block]


def fmt_amount(v) -> str:
    """An amount as people write it: 3, 3.5, 1,200 (no float noise)."""
    v = float(v)
    if not math.isfinite(v):
        return "∞"
    r = round(v)
    if abs(v - r) < 1e-6:
        return f"{r:,.0f}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------------------------------
# Details of rows (extra columns), personal ones only when not redacted
# ---------------------------------------------------------------------------------------------------


def extra_columns(scenario, table: str) -> list[str]:
    known = {c.name for c in TABLES[table].columns} | {"x_km", "y_km"}
    frame = scenario.tables[table]
    return [c for c in frame.columns if c not in known]


def details_of(scenario, table: str, key_col: str, redact: bool) -> dict[str, list[tuple[str, str]]]:
    """key -> [(column, value)] of the table's extra columns (personal ones left out when ``redact``)."""
    if scenario is None:
        return {}
    frame = scenario.tables[table]
    privacy = scenario.config.privacy
    cols = [c for c in extra_columns(scenario, table) if not (redact and privacy.is_personal(c))]
    out: dict[str, list[tuple[str, str]]] = {}
    if not cols or not len(frame):
        return out
    for key, *vals in zip(frame[key_col].astype(str), *(frame[c] for c in cols)):
        out[key] = [(c, str(v).strip()) for c, v in zip(cols, vals) if isinstance(v, str) and v.strip()]
    return out


def _person_name(details: list[tuple[str, str]]) -> str | None:
    names = {normalise_header(n) for n in NAME_COLUMNS}
    for c, v in details:
        if normalise_header(c) in names:
            return v
    return None


def _contact(details: list[tuple[str, str]], skip_name: bool = True) -> str:
    names = {normalise_header(n) for n in NAME_COLUMNS}
    return "; ".join(f"{c}: {v}" for c, v in details if not (skip_name and normalise_header(c) in names))


# ---------------------------------------------------------------------------------------------------
# Lookups shared by the sheets
# ---------------------------------------------------------------------------------------------------


class _Names:
    def __init__(self, plan, scenario, lang: str, redact: bool):
        self.lang = lang
        self.scenario = scenario
        cfg = scenario.config if scenario is not None else None
        self.config = cfg
        self.units: dict[str, str] = {}
        self.towns: dict[str, str] = {}
        if len(plan.coverage) and "unit_name" in plan.coverage:
            self.units.update(dict(zip(plan.coverage["unit_id"].astype(str), plan.coverage["unit_name"].astype(str))))
        self.orgs: dict[str, str] = {}
        self.programs: dict[str, str] = {}
        self.lots: dict[str, dict] = {}
        self.people: dict[str, list[tuple[str, str]]] = {}
        self.unit_details: dict[str, list[tuple[str, str]]] = {}
        self.org_details: dict[str, list[tuple[str, str]]] = {}
        self.lot_details: dict[str, list[tuple[str, str]]] = {}
        if scenario is None:
            return
        u = scenario.units
        en = lang == "en"
        for uid, name, name_en, town in zip(u["unit_id"].astype(str), u["name"].astype(str), u["name_en"], u["town"]):
            self.units[uid] = name_en.strip() if en and isinstance(name_en, str) and name_en.strip() else name
            self.towns[uid] = str(town or "")
        o = scenario.organizations
        for oid, name, name_en in zip(o["org_id"].astype(str), o["name"].astype(str), o["name_en"]):
            self.orgs[oid] = name_en.strip() if en and isinstance(name_en, str) and name_en.strip() else name
        pr = scenario.programs
        for pid, name, name_en in zip(pr["program_id"].astype(str), pr["name"], pr["name_en"]):
            n = name_en if en and isinstance(name_en, str) and name_en.strip() else name
            self.programs[pid] = str(n).strip() if isinstance(n, str) and n.strip() else pid
        ch = scenario.charity
        for r in ch.to_dict("records"):
            self.lots[str(r["lot_id"])] = r
        self._dist = distance_matrix(scenario)
        self._uidx = {uid: i for i, uid in enumerate(u["unit_id"].astype(str))}
        self._home = dict(
            zip(scenario.volunteers["volunteer_id"].astype(str), scenario.volunteers["home_unit"].astype(str))
        )
        self._home.update(
            zip(scenario.social_workers["worker_id"].astype(str), scenario.social_workers["base_unit"].astype(str))
        )
        self.people.update(details_of(scenario, "volunteers", "volunteer_id", redact))
        self.people.update(details_of(scenario, "social_workers", "worker_id", redact))
        self.unit_details = details_of(scenario, "units", "unit_id", redact)
        self.org_details = details_of(scenario, "organizations", "org_id", redact)
        self.lot_details = details_of(scenario, "charity", "lot_id", redact)

    def travel_factor(self, pid, uid) -> float:
        """Load per service hour of a person in a unit (1 + travel overhead x km), as the model counts it."""
        if self.config is None or not hasattr(self, "_dist"):
            return 1.0
        h, u = self._uidx.get(self._home.get(str(pid), ""), -1), self._uidx.get(str(uid), -1)
        d = self._dist[h, u] if h >= 0 and u >= 0 else 0.0
        return 1.0 + self.config.costs.travel_overhead_per_km * (d if math.isfinite(d) else 0.0)

    def unit(self, uid) -> str:
        return self.units.get(str(uid), str(uid))

    def category(self, cat) -> str:
        return L.category_label(self.config, cat, self.lang) if self.config is not None else str(cat)

    def measure(self, cat) -> str:
        if self.config is None or cat not in self.config.categories:
            return ""
        unit = self.config.categories[cat].unit
        return text(unit, self.lang) if unit in ("hours", "yuan", "items") else unit

    def program(self, pid) -> str:
        return self.programs.get(str(pid), str(pid))

    def person(self, pid) -> str:
        """A person's name (from a name column, unless redacted) and id."""
        name = _person_name(self.people.get(str(pid), []))
        return f"{name} ({pid})" if name else str(pid)

    def provider(self, kind: str, pid: str) -> str:
        if kind in ("volunteer", "social_worker"):
            return self.person(pid)
        if kind in ("organization", "program"):
            return self.orgs.get(pid, pid) if kind == "organization" else self.program(pid)
        if kind == "charity":
            lot = self.lots.get(pid)
            return f"{lot['donor']} ({pid})" if lot else pid
        if kind == "budget":
            return text("budget", self.lang)
        return pid

    def contact(self, kind: str, pid: str) -> str:
        if kind in ("volunteer", "social_worker"):
            return _contact(self.people.get(str(pid), []))
        if kind == "organization":
            return _contact(self.org_details.get(str(pid), []), skip_name=False)
        if kind == "charity":
            return _contact(self.lot_details.get(str(pid), []), skip_name=False)
        return ""


def _hours(frame: pd.DataFrame, names: _Names) -> np.ndarray:
    """Service hours of people's rows (quantity x hours per unit; program inputs: load / travel factor)."""
    config = names.config
    hpu = np.array(
        [
            config.categories[c].hours_per_unit if config is not None and c in config.categories else 1.0
            for c in frame["category"]
        ],
        float,
    )
    is_need = frame["need_id"].fillna("").astype(str).to_numpy() != ""
    lf = np.array(
        [
            1.0 if n else names.travel_factor(p, u)
            for n, p, u in zip(is_need, frame["provider_id"].astype(str), frame["unit_id"].astype(str))
        ],
        float,
    )
    return np.round(np.where(is_need, frame["quantity"].to_numpy(float) * hpu, frame["load"].to_numpy(float) / lf), 9)


def _amount(frame: pd.DataFrame, names: _Names) -> tuple[np.ndarray, list[str]]:
    """What arrives per allocation row, in what: hours (people), the lot's yuan or items, need units."""
    kinds = frame["provider_kind"].astype(str).to_numpy()
    people = np.isin(kinds, ("volunteer", "social_worker"))
    hours = _hours(frame, names) if len(frame) else np.zeros(0)
    amount = np.where(
        people,
        hours,
        np.where(
            np.isin(kinds, ("charity", "budget")), frame["load"].to_numpy(float), frame["quantity"].to_numpy(float)
        ),
    )
    measures = []
    for k, pid, cat in zip(kinds, frame["provider_id"].astype(str), frame["category"]):
        if k in ("volunteer", "social_worker"):
            measures.append(text("hours", names.lang))
        elif k == "budget":
            measures.append(text("yuan", names.lang))
        elif k == "charity":
            lot = names.lots.get(pid, {})
            measures.append(
                text("yuan", names.lang)
                if lot.get("kind") != "goods"
                else (str(lot.get("item") or "") or text("items", names.lang))
            )
        else:
            measures.append(names.measure(cat))
    return amount, measures


def _what(row, names: _Names) -> str:
    cat = names.category(row["category"])
    prog = str(row.get("program_id") or "")
    if prog:
        return (
            f"{cat} ({text('program_input', names.lang, program=names.program(prog))})"
            if row["provider_kind"] != "program"
            else f"{cat}: {names.program(prog)}"
        )
    return cat


# ---------------------------------------------------------------------------------------------------
# The sheets
# ---------------------------------------------------------------------------------------------------


def task_sheets(plan, scenario=None, lang: str = "en", redact: bool = False, names: _Names | None = None) -> Sheet:
    """A task sheet per unit: what arrives, from whom, how much, and whom to call."""
    names = names or _Names(plan, scenario, lang, redact)
    a = plan.allocations
    a = a[a["provider_kind"].astype(str) != "budget"] if len(a) else a
    blocks = []
    units = list(dict.fromkeys(plan.coverage["unit_id"].astype(str))) if len(plan.coverage) else []
    by_unit = {u: d for u, d in a.groupby(a["unit_id"].astype(str), sort=False)} if len(a) else {}
    for uid in units:
        d = by_unit.get(uid, a.iloc[:0])
        amount, measure = _amount(d, names) if len(d) else (np.zeros(0), [])
        rows = []
        for r, v, m in zip(d.to_dict("records"), amount, measure):
            if v <= 1e-9:
                continue
            kind, pid = str(r["provider_kind"]), str(r["provider_id"])
            rows.append(
                {
                    "from": names.provider(kind, pid),
                    "kind": L.kind(kind, lang),
                    "what": _what(r, names),
                    "tier": _tier(r, plan, lang),
                    "amount": fmt_amount(v),
                    "unit_of": m,
                    "contact": names.contact(kind, pid),
                }
            )
        table = _merge(pd.DataFrame(rows, columns=["from", "kind", "what", "tier", "amount", "unit_of", "contact"]))
        title = text("task.title", lang, unit=names.unit(uid))
        period = plan.summary.period or ""
        blocks.append(
            Block(
                uid,
                title,
                text("task.intro", lang, unit=names.unit(uid), town=names.towns.get(uid, ""), period=period),
                table,
                names.unit_details.get(uid, []),
            )
        )
    return Sheet("tasks", text("k.tasks", lang), blocks)


def _merge(table: pd.DataFrame) -> pd.DataFrame:
    """One line per provider and what (need rows of one category and tier merged), amounts summed."""
    if not len(table):
        return table
    t = table.assign(_v=[float(x.replace(",", "")) for x in table["amount"]])
    keys = [c for c in table.columns if c != "amount"]
    g = t.groupby(keys, sort=False, as_index=False)["_v"].sum()
    g["amount"] = [fmt_amount(v) for v in g["_v"]]
    return g[list(table.columns)]


def _tier(row, plan, lang: str) -> str:
    nid = str(row.get("need_id") or "")
    if not nid:
        return ""
    tiers = getattr(plan, "_tiers", None)
    if tiers is None:
        tiers = dict(zip(plan.coverage["need_id"].astype(str), plan.coverage["tier"].astype(str)))
        plan._tiers = tiers
    return L.tier(tiers.get(nid, ""), lang) if tiers.get(nid) else ""


def rosters(plan, scenario=None, lang: str = "en", redact: bool = False, names: _Names | None = None) -> Sheet:
    """A roster per volunteer and per social worker who serves: where, what, how many hours."""
    names = names or _Names(plan, scenario, lang, redact)
    a = plan.allocations
    people = a[a["provider_kind"].isin(["social_worker", "volunteer"])] if len(a) else a
    blocks = []
    if len(people):
        hours = _hours(people, names)
        what = [_what(r, names) for r in people[["provider_kind", "category", "program_id"]].to_dict("records")]
        per: dict = {}
        for kind, pid, uid, w, h in zip(
            people["provider_kind"].astype(str),
            people["provider_id"].astype(str),
            people["unit_id"].astype(str),
            what,
            hours,
        ):
            if h <= 1e-9:
                continue
            lines = per.setdefault((kind, pid), {})
            lines[(uid, w)] = lines.get((uid, w), 0.0) + float(h)
        period = plan.summary.period or ""
        for (kind, pid), lines in per.items():
            t = pd.DataFrame(
                [
                    {"where": names.unit(u), "town": names.towns.get(u, ""), "what": w, "hours": fmt_amount(h)}
                    for (u, w), h in lines.items()
                ],
                columns=["where", "town", "what", "hours"],
            )
            title = text("roster.title", lang, name=names.person(pid))
            intro = text(
                "roster.intro",
                lang,
                kind=L.kind(kind, lang),
                name=names.person(pid),
                period=period,
                hours=fmt_amount(sum(lines.values())),
            )
            blocks.append(Block(pid, title, intro, t, names.people.get(pid, [])))
    return Sheet("rosters", text("k.rosters", lang), blocks)


def organization_notices(
    plan, scenario=None, lang: str = "en", redact: bool = False, names: _Names | None = None
) -> Sheet:
    """A notice per organization: programs and instances by unit, the inputs given, its direct service."""
    names = names or _Names(plan, scenario, lang, redact)
    progs, a = plan.programs, plan.allocations
    orgs = list(dict.fromkeys(list(progs["org_id"].astype(str)) if len(progs) else []))
    if len(a):
        orgs += [
            o
            for o in dict.fromkeys(a.loc[a["provider_kind"] == "organization", "provider_id"].astype(str))
            if o not in orgs
        ]
    blocks = []
    fed = a[(a["program_id"].fillna("").astype(str) != "") & (a["provider_kind"] != "program")] if len(a) else a
    inputs = (
        {k: d for k, d in fed.groupby([fed["program_id"].astype(str), fed["unit_id"].astype(str)], sort=False)}
        if len(fed)
        else {}
    )
    for oid in orgs:
        rows = []
        mine = progs[progs["org_id"].astype(str) == oid] if len(progs) else progs
        for p in mine.to_dict("records"):
            inp = inputs.get((str(p["program_id"]), str(p["unit_id"])), fed.iloc[:0])
            w = float(inp.loc[inp["provider_kind"] == "social_worker", "load"].sum())
            v = float(inp.loc[inp["provider_kind"] == "volunteer", "load"].sum())
            f = float(inp.loc[inp["provider_kind"].isin(["charity", "budget"]), "load"].sum())
            hw = _hours(inp[inp["provider_kind"] == "social_worker"], names).sum() if w else 0.0
            hv = _hours(inp[inp["provider_kind"] == "volunteer"], names).sum() if v else 0.0
            rows.append(
                {
                    "program": names.program(p["program_id"]),
                    "where": names.unit(p["unit_id"]),
                    "what": names.category(p["category"]),
                    "instances": fmt_amount(p["instances"]),
                    "inputs": text("inputs_text", lang, w=fmt_amount(hw), v=fmt_amount(hv), f=fmt_amount(f)),
                }
            )
        direct = a[(a["provider_kind"] == "organization") & (a["provider_id"].astype(str) == oid)] if len(a) else a
        for (u, c), d in direct.groupby(["unit_id", "category"], sort=False) if len(direct) else []:
            rows.append(
                {
                    "program": text("direct", lang),
                    "where": names.unit(u),
                    "what": names.category(c),
                    "instances": "",
                    "inputs": f"{fmt_amount(d['quantity'].sum())} {names.measure(c)}",
                }
            )
        name = names.orgs.get(oid, oid)
        blocks.append(
            Block(
                oid,
                text("org.title", lang, name=name),
                text("org.intro", lang, name=name, period=(plan.summary.period or "")),
                pd.DataFrame(rows, columns=["program", "where", "what", "instances", "inputs"]),
                names.org_details.get(oid, []),
            )
        )
    return Sheet("organizations", text("k.organizations", lang), blocks)


def donor_notices(plan, scenario=None, lang: str = "en", redact: bool = False, names: _Names | None = None) -> Sheet:
    """A notice per donor: where each of its lots went (the accountability donors ask for)."""
    names = names or _Names(plan, scenario, lang, redact)
    a = plan.allocations
    lots = a[a["provider_kind"] == "charity"] if len(a) else a
    by_donor: dict[str, list] = {}
    for pid in dict.fromkeys(lots["provider_id"].astype(str)) if len(lots) else []:
        donor = str(names.lots.get(pid, {}).get("donor") or pid)
        by_donor.setdefault(donor, []).append(pid)
    blocks = []
    for donor, pids in by_donor.items():
        d = lots[lots["provider_id"].astype(str).isin(pids)]
        amount, measure = _amount(d, names)
        rows = [
            {
                "lot": pid,
                "where": names.unit(r["unit_id"]),
                "what": _what(r, names),
                "tier": _tier(r, plan, lang),
                "amount": fmt_amount(v),
                "unit_of": m,
            }
            for (_, r), pid, v, m in zip(d.iterrows(), d["provider_id"].astype(str), amount, measure)
            if v > 1e-9
        ]
        details = []
        for pid in pids:
            details += [(c, v) for c, v in names.lot_details.get(pid, []) if (c, v) not in details]
        blocks.append(
            Block(
                donor,
                text("donor.title", lang, name=donor),
                text("donor.intro", lang, name=donor, period=(plan.summary.period or "")),
                _merge(pd.DataFrame(rows, columns=["lot", "where", "what", "tier", "amount", "unit_of"])),
                details,
            )
        )
    return Sheet("donors", text("k.donors", lang), blocks)


def committee_summary(plan, scenario=None, lang: str = "en", names: _Names | None = None) -> dict:
    """The one-page summary for the party committee: paragraphs in plain words, and an appendix."""
    names = names or _Names(plan, scenario, lang, True)
    s: Summary = plan.summary
    m = s.metrics.to_dict()  # the figures recorded ({} when none were)
    cov = plan.coverage
    total = len(cov)
    tol = 1e-6 * np.maximum(1.0, cov["need"].to_numpy(float)) if total else np.zeros(0)
    unmet = cov["unmet"].to_numpy(float) if total else np.zeros(0)
    full = int((unmet <= tol).sum())
    part = int(((unmet > tol) & (cov["covered"].to_numpy(float) > tol)).sum()) if total else 0
    sections = []
    met = [text("c.met_text", lang, full=full, total=total, part=part, wc=fmt_pct(m.get("weighted_coverage")))]
    g_met, g_all = m.get("guaranteed_met"), m.get("guaranteed_needs")
    if g_all:
        met.append(text("c.guaranteed_all" if g_met == g_all else "c.guaranteed_some", lang, met=g_met, total=g_all))
    sections.append({"title": text("c.met", lang), "paragraphs": met, "items": []})
    ex = plan.extras.get("explanations.csv")
    items, paras = [], []
    n_unmet = int((unmet > tol).sum())
    if n_unmet == 0:
        paras.append(text("c.unmet_none", lang))
    else:
        paras.append(text("c.unmet_text", lang, n=n_unmet))
        if isinstance(ex, pd.DataFrame) and len(ex):
            e = ex.assign(_u=pd.to_numeric(ex["unmet"], errors="coerce").fillna(0.0)).sort_values("_u", ascending=False)
            from ..analysis.explain import reason_text

            for r in e.head(5).to_dict("records"):
                reason = reason_text(r, lang)
                items.append(
                    f"{names.unit(r['unit_id'])} · {names.category(r['category'])} · "
                    f"{L.tier(str(r['tier']), lang)}: {fmt_amount(r['unmet'])} / {fmt_amount(r['need'])} "
                    f"{names.measure(r['category'])} — {_short(reason)}"
                )
            counts = e["reason_code"].astype(str).value_counts()
            reasons = ", ".join(
                f"{L.tr(RT[f'reason.{k}'], lang) if f'reason.{k}' in RT else k} ({v})" for k, v in counts.items()
            )
            paras.append(text("c.reasons", lang, reasons=reasons))
        else:
            c = cov[unmet > tol].sort_values("unmet", ascending=False).head(5)
            items = [
                f"{names.unit(r.unit_id)} · {names.category(r.category)}: {fmt_amount(r.unmet)} / {fmt_amount(r.need)}"
                for r in c.itertuples()
            ]
    sections.append({"title": text("c.unmet", lang), "paragraphs": paras, "items": items})
    floor = float(scenario.config.equity.floor) if scenario is not None else 0.5
    eq_paras = []
    if total:
        g = (
            cov.assign(wn=cov["weight"] * cov["need"], wc=cov["weight"] * cov["covered"])
            .groupby(cov["unit_id"].astype(str), sort=False)[["wn", "wc"]]
            .sum()
        )
        g = g[g["wn"] > 0]
        ratio = (g["wc"] / g["wn"]).sort_values(kind="stable")
        if len(ratio):
            below = [names.unit(u) for u, r in ratio.items() if r < floor - 1e-9]
            eq_paras.append(
                text(
                    "c.equity_text",
                    lang,
                    low=fmt_pct(ratio.iloc[0]),
                    unit=names.unit(ratio.index[0]),
                    below=len(below),
                    floor=fmt_pct(floor, 0),
                )
            )
            if below:
                eq_paras.append(
                    text("c.below_list", lang, units="、".join(below) if lang == "zh" else ", ".join(below))
                )
    sections.append({"title": text("c.equity", lang), "paragraphs": eq_paras, "items": []})
    obj = s.objective
    money = float(obj.money or 0.0)
    budget = scenario.config.rules.budget if scenario is not None else None
    spend = []
    if budget is not None and budget.enabled and budget.amount:
        spend.append(
            text(
                "c.spend_budget",
                lang,
                money=fmt_amount(round(money)),
                budget=fmt_amount(budget.amount),
                share=fmt_pct(money / budget.amount),
            )
        )
    else:
        spend.append(text("c.spend_nobudget", lang, money=fmt_amount(round(money))))
    a = plan.allocations
    if len(a):
        ch = a[a["provider_kind"] == "charity"]
        kinds = ch["provider_id"].astype(str).map(lambda p: names.lots.get(p, {}).get("kind", "funds"))
        spend.append(
            text(
                "c.charity",
                lang,
                funds=fmt_amount(ch.loc[kinds == "funds", "load"].sum()),
                goods=fmt_amount(ch.loc[kinds == "goods", "load"].sum()),
            )
        )
    dsp = s.dispatch or {}
    if dsp.get("enabled"):
        spend.append(
            text(
                "c.dispatch",
                lang,
                step=fmt_amount(dsp.get("step_hours", 0.5)),
                min=fmt_amount(dsp.get("min_hours", 1.0)),
                hours=fmt_amount(dsp.get("lost_hours", 0.0)),
            )
        )
    sections.append({"title": text("c.spend", lang), "paragraphs": spend, "items": []})
    sections += since_last(plan, lang, names)
    appendix = [
        (text("a.status", lang), L.t_or(f"status.{s.status}", s.status, lang)),
        (
            text("a.objective", lang),
            ("；" if lang == "zh" else "; ").join(
                f"{L.tr(RT[f'term.{k}'], lang) if f'term.{k}' in RT else k} {fmt_value(v)}" for k, v in obj.items()
            ),
        ),
        (text("a.bound", lang), f"{fmt_value(s.best_bound)} / {fmt_gap(s.gap)}"),
        (text("a.solver", lang), " ".join(str(v) for v in (s.solver.name, s.solver.version) if v)),
        (text("a.model", lang), text("a.model_text", lang, v=f"{s.model.variables:,}", r=f"{s.model.constraints:,}")),
    ]
    return {
        "title": text("committee.title", lang, scenario=s.scenario or "", period=s.period or ""),
        "sections": sections,
        "appendix_title": text("c.appendix", lang),
        "appendix": appendix,
    }


def since_last(plan, lang: str, names: _Names | None = None) -> list[dict]:
    """The committee page's "since the last published plan" section, from the plan's ``changes.json``
    (written by ``linkage-opt run``; none for a plan with no published plan before it)."""
    ch = plan.extras.get("changes.json")
    if not isinstance(ch, dict):
        return []
    title = ctext("since", lang, ref=ch.get("a", ""))
    if not has_changes(ch):
        return [{"title": title, "paragraphs": [ctext("none", lang)], "items": []}]
    unit_names = dict(names.units) if names is not None else None
    return [
        {"title": f"{title} · {sec['title']}", "paragraphs": [], "items": sec["items"]}
        for sec in describe(ch, lang, limit=8, unit_names=unit_names)
    ]


def _short(s: str, n: int = 90) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def build_sheets(plan, scenario=None, lang: str | None = None, redact: bool = False) -> dict:
    """Every action sheet: ``{"committee": dict, "tasks": Sheet, "rosters": Sheet, "organizations": Sheet,
    "donors": Sheet}``."""
    lang = L.resolve(lang)
    names = _Names(plan, scenario, lang, redact)
    return {
        "committee": committee_summary(plan, scenario, lang, names),
        "tasks": task_sheets(plan, scenario, lang, redact, names),
        "rosters": rosters(plan, scenario, lang, redact, names),
        "organizations": organization_notices(plan, scenario, lang, redact, names),
        "donors": donor_notices(plan, scenario, lang, redact, names),
    }


COLUMN_KEYS = {
    "from": "col.from",
    "kind": "col.kind",
    "what": "col.what",
    "tier": "col.tier",
    "amount": "col.amount",
    "unit_of": "col.unit_of",
    "contact": "col.contact",
    "where": "col.where",
    "town": "col.town",
    "hours": "col.hours",
    "program": "col.program",
    "instances": "col.instances",
    "inputs": "col.inputs",
    "lot": "col.lot",
}


def header(col: str, lang: str) -> str:
    return text(COLUMN_KEYS[col], lang) if col in COLUMN_KEYS else col


# ---------------------------------------------------------------------------------------------------
# HTML and PDF
# ---------------------------------------------------------------------------------------------------

FONT_STACK = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif'


def build_sheets_html(
    plan, scenario=None, lang: str | None = None, redact: bool = False, sheets: dict | None = None
) -> str:
    """``sheets.html``: the committee page, then a page per unit, person, organization and donor
    (``sheets``: what :func:`build_sheets` returned for the same arguments, to build them once)."""
    lang = L.resolve(lang)
    sheets = sheets or build_sheets(plan, scenario, lang, redact)
    s: Summary = plan.summary
    kinds = []
    for kind in ("tasks", "rosters", "organizations", "donors"):
        sh = sheets[kind]
        kinds.append(
            {
                "kind": kind,
                "title": sh.title,
                "blocks": [
                    {
                        "key": b.key,
                        "title": b.title,
                        "intro": b.intro,
                        "details": b.details,
                        "headers": [header(c, lang) for c in b.table.columns],
                        "rows": b.table.astype(str).values.tolist(),
                    }
                    for b in sh.blocks
                ],
            }
        )
    return (
        _env(lang)
        .get_template("sheets.html.j2")
        .render(
            # the page's own words are the template's _() (jinja2.ext.i18n); what is passed is data, and the
            # blocks' titles and intros already in ``lang`` (they name units, people, periods)
            lang=lang,
            committee=sheets["committee"],
            kinds=kinds,
            fonts=FONT_STACK,
            redacted=bool(redact),
            version=s.package_version or "",
            created=fmt_time(s.created_at, timezone_of(getattr(scenario, "config", None))),
        )
    )


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


PDF_TIMEOUT_S = 300.0  # without a time limit: Chromium printed the realistic district's 2.9 MB page in about 75 s
PDF_MIN_S = 2.0  # less than this left in the writing margin: not started


def html_to_pdf(html: str, timeout: float = PDF_TIMEOUT_S) -> tuple[bytes | None, str]:
    """``(pdf bytes, "written")`` printed by headless Chromium within ``timeout`` seconds, or ``(None, why
    not)``. Chromium runs in its own process group, all of which is killed when the time is up."""
    if os.environ.get("LINKAGE_OPT_NO_PDF") == "1":
        return None, "skipped: LINKAGE_OPT_NO_PDF=1"
    exe = find_chromium()
    if exe is None:
        return None, "skipped: no Chromium found"
    if timeout < PDF_MIN_S:
        return None, "skipped: no time left in the writing margin"
    with tempfile.TemporaryDirectory(prefix="linkage-sheets-") as tmp:
        src, out = Path(tmp) / "sheets.html", Path(tmp) / "sheets.pdf"
        src.write_text(html, encoding="utf-8")
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={out}",
            src.as_uri(),
        ]
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            return None, f"skipped: {type(exc).__name__}"
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # the browser and every helper process it started
            proc.wait()
            return None, f"skipped: not printed within {timeout:.0f} s"
        if out.is_file() and out.stat().st_size > 0:
            return out.read_bytes(), "written"
    return None, "skipped: Chromium wrote no PDF"


def attach_pdf(plan, html: str, deadline: float | None = None) -> str:
    """``sheets.pdf`` printed from ``html`` into the plan's files by ``deadline`` (``time.monotonic()``;
    None: within :data:`PDF_TIMEOUT_S`); the outcome is in ``summary["sheets"]["pdf"]`` and returned."""
    timeout = PDF_TIMEOUT_S if deadline is None else min(PDF_TIMEOUT_S, deadline - time.monotonic())
    data, status = html_to_pdf(html, timeout)
    if data is not None:
        plan.extras["sheets.pdf"] = data
    plan.summary.sheets = {**(plan.summary.sheets or {"html": "sheets.html"}), "pdf": status}
    return status


def pdf_out_of_time(status: str) -> bool:
    """Whether ``html_to_pdf``'s outcome ``status`` means the time ran out (not: no Chromium, or not asked)."""
    return status.startswith(("skipped: not printed within", "skipped: no time left"))


def attach_sheets(
    plan, scenario=None, lang: str | None = None, redact: bool = False, pdf: bool = True, sheets: dict | None = None
) -> str:
    """``sheets.html`` (and ``sheets.pdf`` when Chromium is found) into the plan's files; the outcome is in
    ``summary["sheets"]``."""
    html = build_sheets_html(plan, scenario, lang, redact, sheets)
    plan.extras["sheets.html"] = html
    plan.summary.sheets = {"html": "sheets.html", "pdf": "skipped: not asked", "redacted": bool(redact)}
    if pdf:
        attach_pdf(plan, html)
    return html
