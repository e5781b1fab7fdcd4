"""Who may serve what, where: providers, their reachable units, and eligible (provider, need) edges.

Everything here is vectorised over numpy/pandas; no loop runs over providers, edges or needs.
The only Python loop is over distinct home units (at most the number of units).

Rules (``docs/model.md`` section "Eligibility"):

* a person or organization reaches the units within its radius of its home/base unit (distance from
  coordinates; ``max_km`` per row, else the config default for its kind); units without coordinates
  are reachable only from the same town (at distance ``reach.same_town_km``) or the unit itself;
* a charity lot reaches every unit, narrowed by its earmarks (``unit_id``, ``town``);
* a provider with rows in the ``reach`` table reaches exactly those units, with their cost/load overrides;
* skills: a social worker serves its skill categories (``general`` = every service category); a
  volunteer its skill categories and, with ``general``, every non-professional service category
  (service categories are those without ``funds_per_unit`` or ``items``); an organization serves its
  ``skills`` categories directly (it may also run programs); a funds lot serves categories that have
  ``funds_per_unit``, a goods lot categories whose ``items`` include its item; a lot's category
  earmark narrows that further.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.scenario import Scenario, lapsed_lots
from ..schema import GENERAL

PEOPLE_KINDS = ("social_worker", "volunteer", "organization")


@dataclass(frozen=True)
class Providers:
    """All providers in one frame, in a fixed order: workers, volunteers, organizations, lots.

    Columns: ``provider_id, kind, home (unit index or -1), radius_km, capacity, rate, party, skills,
    lot_kind, item, earmark_category, earmark_town, earmark_unit, expires, org_id, max_units, fixed_cost``.
    ``capacity`` is hours for people, instances/service units for organizations (inf when unlimited),
    yuan or items for lots. ``rate`` is money per hour of load (paid from the district budget).
    """

    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)


def unit_index(scenario: Scenario) -> pd.Index:
    return pd.Index(scenario.units["unit_id"].astype(str), name="unit_id")


def build_providers(scenario: Scenario) -> Providers:
    cfg = scenario.config
    units = unit_index(scenario)
    parts = []

    w = scenario.social_workers
    if len(w):
        parts.append(
            pd.DataFrame(
                {
                    "provider_id": w["worker_id"].astype(str).to_numpy(),
                    "kind": "social_worker",
                    "home": units.get_indexer(w["base_unit"].astype(str)),
                    "radius_km": w["max_km"].fillna(cfg.reach.max_km.social_worker).to_numpy(float),
                    "capacity": w["hours"].to_numpy(float),
                    "rate": w["cost_per_hour"].fillna(0.0).to_numpy(float),
                    "party": False,
                    "skills": w["skills"].to_numpy(),
                    "org_id": w["org_id"].fillna("").astype(str).to_numpy(),
                    "max_units": w["max_units"].to_numpy(float),
                }
            )
        )
    v = scenario.volunteers
    if len(v):
        parts.append(
            pd.DataFrame(
                {
                    "provider_id": v["volunteer_id"].astype(str).to_numpy(),
                    "kind": "volunteer",
                    "home": units.get_indexer(v["home_unit"].astype(str)),
                    "radius_km": v["max_km"].fillna(cfg.reach.max_km.volunteer).to_numpy(float),
                    "capacity": v["hours"].to_numpy(float),
                    "rate": cfg.costs.volunteer_cost_per_hour,
                    "party": v["party_member"].astype(bool).to_numpy(),
                    "skills": v["skills"].to_numpy(),
                }
            )
        )
    o = scenario.organizations
    if len(o):
        parts.append(
            pd.DataFrame(
                {
                    "provider_id": o["org_id"].astype(str).to_numpy(),
                    "kind": "organization",
                    "home": units.get_indexer(o["base_unit"].astype(str)),
                    "radius_km": o["max_km"].fillna(cfg.reach.max_km.organization).to_numpy(float),
                    "capacity": o["capacity"].fillna(np.inf).to_numpy(float),
                    "rate": 0.0,
                    "party": False,
                    "skills": o["skills"].to_numpy(),
                    "fixed_cost": o["fixed_cost"].fillna(0.0).to_numpy(float),
                }
            )
        )
    c = scenario.charity
    c = c[~c["lot_id"].astype(str).isin(lapsed_lots(scenario))]  # lapsed lots cannot be used: not in the model
    if len(c):
        parts.append(
            pd.DataFrame(
                {
                    "provider_id": c["lot_id"].astype(str).to_numpy(),
                    "kind": "charity",
                    "home": -1,
                    "radius_km": np.inf,
                    "capacity": c["quantity"].to_numpy(float),
                    "rate": 0.0,
                    "party": False,
                    "skills": [()] * len(c),
                    "lot_kind": c["kind"].astype(str).to_numpy(),
                    "item": c["item"].fillna("").astype(str).to_numpy(),
                    "earmark_category": c["category"].fillna("").astype(str).to_numpy(),
                    "earmark_town": c["town"].fillna("").astype(str).to_numpy(),
                    "earmark_unit": c["unit_id"].fillna("").astype(str).to_numpy(),
                    "expires": pd.to_datetime(c["expires"]).to_numpy(),
                }
            )
        )
    cols = {
        "provider_id": "",
        "kind": "",
        "home": -1,
        "radius_km": 0.0,
        "capacity": 0.0,
        "rate": 0.0,
        "party": False,
        "skills": (),
        "org_id": "",
        "max_units": np.nan,
        "fixed_cost": 0.0,
        "lot_kind": "",
        "item": "",
        "earmark_category": "",
        "earmark_town": "",
        "earmark_unit": "",
        "expires": pd.NaT,
    }
    if parts:
        frame = pd.concat(parts, ignore_index=True)
    else:
        frame = pd.DataFrame({k: pd.Series([], dtype=object) for k in cols})
    for col, default in cols.items():
        if col not in frame:
            frame[col] = [default] * len(frame) if isinstance(default, tuple) else default
        elif not isinstance(default, tuple):
            frame[col] = (
                frame[col].fillna(default)
                if default is not pd.NaT and not (isinstance(default, float) and np.isnan(default))
                else frame[col]
            )
    frame["skills"] = [tuple(s) if isinstance(s, (tuple, list)) else () for s in frame["skills"]]
    frame["home"] = frame["home"].astype(np.int64)
    frame["party"] = frame["party"].astype(bool)
    frame["expires"] = pd.to_datetime(frame["expires"])
    frame["members"] = [(pid,) for pid in frame["provider_id"]]
    frame["member_caps"] = [(c,) for c in frame["capacity"].to_numpy(float)]
    frame["n_members"] = 1
    return Providers(frame)


def aggregate_providers(
    scenario: Scenario,
    prov: Providers,
    previous_pairs: pd.DataFrame | None = None,
    keep_individual: set | frozenset = frozenset(),
    keep_apart: tuple[str, ...] = (),
) -> Providers:
    """Merge identical volunteers, and identical charity lots, into classes. Exact:

    * volunteers with the same home, radius, party flag, served categories (skills, with `general`
      expanded: `general;elderly_care` serves what `general` does), hourly rate and previous-period units are
      interchangeable: any flow of the class splits over its members by hours (plan tables list each
      member, :mod:`linkage_opt.model.disaggregate`); lots likewise by kind, item, earmarks and expiry class;
    * an indivisible need goes whole to one *member* (the model's ``xi`` block has one binary per
      candidate member), so classes are formed whether or not their members could carry one;
    * providers with explicit ``reach`` rows, and those named in ``keep_individual`` (people whose
      pairings a rule limits one by one), stay individual;
    * volunteers differing in a column named in ``keep_apart`` stay in different classes (the rules'
      needs, :func:`linkage_opt.rules.aggregation`: e.g. ``capacity`` for a per-person cap).
    """
    P = prov.frame
    if not len(P):
        return prov
    cfg = scenario.config
    explicit = set(scenario.reach["provider_id"].astype(str)) if len(scenario.reach) else set()
    explicit |= set(keep_individual)
    prof = {c for c, spec in cfg.categories.items() if spec.professional}
    service = {c for c, spec in cfg.categories.items() if spec.funds_per_unit is None and not spec.items}

    general_cats = frozenset(service - prof)  # what a volunteer's `general` skill covers

    def served(skills) -> tuple:
        """The categories a volunteer may serve: `general;elderly_care` serves what `general` does."""
        sk = set(skills)
        out = (sk - {GENERAL}) | (general_cats if GENERAL in sk else frozenset())
        return tuple(sorted(out))

    prev = {}
    if previous_pairs is not None and len(previous_pairs):
        prev = previous_pairs.astype(str).groupby("provider_id")["unit_id"].apply(lambda s: tuple(sorted(s))).to_dict()
    horizon = pd.Timestamp(cfg.period + "-01") + pd.Timedelta(days=cfg.rules.expiry.horizon_days)
    keys = []
    for row in P.itertuples(index=False):
        if row.kind not in ("volunteer", "charity") or row.provider_id in explicit:
            keys.append(("solo", row.provider_id))
        elif row.kind == "volunteer":
            keys.append(
                (
                    "v",
                    row.home,
                    float(row.radius_km),
                    bool(row.party),
                    served(row.skills),
                    float(row.rate),
                    prev.get(row.provider_id, ()),
                    *(getattr(row, a) for a in keep_apart),
                )
            )
        else:
            expiring = bool(cfg.rules.expiry.enabled and pd.notna(row.expires) and row.expires < horizon)
            keys.append(
                ("l", row.lot_kind, row.item, row.earmark_category, row.earmark_town, row.earmark_unit, expiring)
            )
    codes = pd.Series(keys, index=P.index).map({k: i for i, k in enumerate(dict.fromkeys(keys))})
    # members in a stable order: lots lapsing first, then by input order
    exp_ns = pd.to_datetime(P["expires"]).to_numpy(dtype="datetime64[ns]").view(np.int64)
    exp_ns = np.where(exp_ns == np.iinfo(np.int64).min, np.iinfo(np.int64).max, exp_ns)  # NaT last
    S = P.assign(_key=codes.to_numpy(), _exp=exp_ns, _pos=np.arange(len(P))).sort_values(
        ["_key", "_exp", "_pos"], kind="stable"
    )
    key = S["_key"].to_numpy()
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ids = S["provider_id"].to_numpy(object)
    caps = S["capacity"].to_numpy(float)
    out = S.iloc[starts].copy()
    out["n_members"] = np.diff(np.r_[starts, len(key)])
    out["members"] = [tuple(a) for a in np.split(ids, starts[1:])]
    out["member_caps"] = [tuple(a.tolist()) for a in np.split(caps, starts[1:])]
    out["capacity"] = np.add.reduceat(caps, starts)
    out["_pos"] = np.minimum.reduceat(S["_pos"].to_numpy(), starts)
    out = out.drop(columns="_key")
    many = out["n_members"].to_numpy() > 1
    out.loc[many, "provider_id"] = [
        f"{pid}+{k - 1}" for pid, k in zip(out.loc[many, "provider_id"], out.loc[many, "n_members"])
    ]
    out = out.sort_values("_pos", kind="stable").drop(columns=["_exp", "_pos"]).reset_index(drop=True)
    out["home"] = out["home"].astype(np.int64)
    out["n_members"] = out["n_members"].astype(np.int64)
    return Providers(out)


def member_frame(P: pd.DataFrame) -> pd.DataFrame:
    """One row per real provider (classes exploded): kind, provider_id, capacity, class row p."""
    n = P["n_members"].to_numpy(np.int64)
    return pd.DataFrame(
        {
            "p": np.repeat(np.arange(len(P)), n),
            "provider_kind": np.repeat(P["kind"].to_numpy(), n),
            "provider_id": np.fromiter((m for ms in P["members"] for m in ms), dtype=object, count=int(n.sum())),
            "capacity": np.fromiter((c for cs in P["member_caps"] for c in cs), dtype=float, count=int(n.sum())),
        }
    )


def distance_matrix(scenario: Scenario) -> np.ndarray:
    """Unit-to-unit distances in km (inf where unreachable for lack of coordinates)."""
    u = scenario.units
    x = u["x_km"].to_numpy(float)
    y = u["y_km"].to_numpy(float)
    d = np.sqrt((x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2)
    missing = ~(np.isfinite(x) & np.isfinite(y))
    if missing.any():
        town = u["town"].astype(str).to_numpy()
        same_town = town[:, None] == town[None, :]
        fallback = np.where(same_town, scenario.config.reach.same_town_km, np.inf)
        either = missing[:, None] | missing[None, :]
        d = np.where(either, fallback, d)
    np.fill_diagonal(d, 0.0)
    return d


def provider_unit_edges(scenario: Scenario, providers: Providers, dist: np.ndarray) -> pd.DataFrame:
    """Edges (provider row, unit index) with distance and optional cost/load overrides.

    Columns: ``p, u, dist_km, cost_override, load_override`` (overrides NaN when not given).
    """
    P = providers.frame
    n_units = dist.shape[0]
    explicit = scenario.reach
    explicit = explicit[~explicit["provider_id"].astype(str).isin(lapsed_lots(scenario))]  # as build_providers
    explicit_ids = set(explicit["provider_id"].astype(str)) if len(explicit) else set()
    has_explicit = P["provider_id"].isin(explicit_ids).to_numpy()

    pieces = []
    # 1. People and organizations by distance from home, grouped by home unit.
    people = np.flatnonzero((P["home"].to_numpy() >= 0) & ~has_explicit)
    if len(people):
        order = np.argsort(dist, axis=1, kind="stable")
        sorted_d = np.take_along_axis(dist, order, axis=1)
        homes = P["home"].to_numpy()[people]
        radii = P["radius_km"].to_numpy(float)[people]
        counts = np.empty(len(people), dtype=np.int64)
        for h in np.unique(homes):
            sel = homes == h
            counts[sel] = np.searchsorted(sorted_d[h], radii[sel] + 1e-9, side="right")
        rep_p = np.repeat(people, counts)
        rep_h = np.repeat(homes, counts)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        pos = np.arange(counts.sum()) - starts
        units_hit = order[rep_h, pos]
        pieces.append(pd.DataFrame({"p": rep_p, "u": units_hit, "dist_km": sorted_d[rep_h, pos]}))

    # 2. Charity lots: every unit, narrowed by earmarks.
    lots = np.flatnonzero((P["kind"].to_numpy() == "charity") & ~has_explicit)
    if len(lots):
        towns = scenario.units["town"].astype(str).to_numpy()
        uids = scenario.units["unit_id"].astype(str).to_numpy()
        em_town = P["earmark_town"].to_numpy()[lots]
        em_unit = P["earmark_unit"].to_numpy()[lots]
        ok = np.ones((len(lots), n_units), dtype=bool)
        ok &= (em_town[:, None] == "") | (em_town[:, None] == towns[None, :])
        ok &= (em_unit[:, None] == "") | (em_unit[:, None] == uids[None, :])
        li, ui = np.nonzero(ok)
        pieces.append(pd.DataFrame({"p": lots[li], "u": ui, "dist_km": 0.0}))

    edges = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame({"p": [], "u": [], "dist_km": []})
    edges["cost_override"] = np.nan
    edges["load_override"] = np.nan

    # 3. Explicit reach rows replace distance-derived reach for the providers they name.
    if len(explicit):
        pid_index = pd.Index(P["provider_id"])
        uidx = unit_index(scenario)
        p = pid_index.get_indexer(explicit["provider_id"].astype(str))
        u = uidx.get_indexer(explicit["unit_id"].astype(str))
        homes = P["home"].to_numpy()[p]
        d = np.where(homes >= 0, dist[np.maximum(homes, 0), u], 0.0)
        d = np.where(np.isfinite(d), d, 0.0)
        ex = pd.DataFrame(
            {
                "p": p,
                "u": u,
                "dist_km": d,
                "cost_override": explicit["cost_per_unit"].to_numpy(float),
                "load_override": explicit["load_per_unit"].to_numpy(float),
            }
        )
        # Earmarks still narrow a lot's explicit reach.
        edges = pd.concat([edges, ex], ignore_index=True)
    edges = edges.astype({"p": np.int64, "u": np.int64})
    return edges.sort_values(["p", "u"], kind="stable").reset_index(drop=True)


def provider_categories(scenario: Scenario, providers: Providers) -> pd.DataFrame:
    """Pairs (provider row p, category) a provider may serve directly, by skills, lot kind, item and earmark."""
    cfg = scenario.config
    cats = list(cfg.categories)
    professional = {c for c, spec in cfg.categories.items() if spec.professional}
    # `general` covers service categories only: money and goods categories are met by lots
    service = [c for c, spec in cfg.categories.items() if spec.funds_per_unit is None and not spec.items]
    P = providers.frame
    kinds = P["kind"].to_numpy()
    rows_p: list[np.ndarray] = []
    rows_c: list[np.ndarray] = []

    people = np.flatnonzero(kinds != "charity")
    if len(people):
        sk = P["skills"].to_numpy()[people]
        lens = np.fromiter((len(s) for s in sk), dtype=np.int64, count=len(sk))
        flat = np.fromiter((c for s in sk for c in s), dtype=object, count=int(lens.sum()))
        pp = np.repeat(people, lens)
        pair = pd.DataFrame({"p": pp, "category": flat})
        general = pair["category"] == GENERAL
        direct = pair[~general]
        gen_p = pair.loc[general, "p"].to_numpy()
        expanded = []
        if len(gen_p):
            gkinds = kinds[gen_p]
            for c in service:
                # volunteers' `general` excludes professional categories; workers' and orgs' does not
                allowed = gkinds != "volunteer" if c in professional else np.ones(len(gen_p), bool)
                expanded.append(pd.DataFrame({"p": gen_p[allowed], "category": c}))
        people_pairs = pd.concat([direct, *expanded], ignore_index=True)
        rows_p.append(people_pairs["p"].to_numpy(np.int64))
        rows_c.append(people_pairs["category"].to_numpy(object))

    lots = np.flatnonzero(kinds == "charity")
    if len(lots):
        lot_kind = P["lot_kind"].to_numpy()[lots]
        item = P["item"].to_numpy()[lots]
        em_cat = P["earmark_category"].to_numpy()[lots]
        for c in cats:
            spec = cfg.categories[c]
            ok = np.zeros(len(lots), bool)
            if spec.funds_per_unit is not None:
                ok |= lot_kind == "funds"
            if spec.items:
                ok |= (lot_kind == "goods") & np.isin(item, list(spec.items))
            ok &= (em_cat == "") | (em_cat == c)
            rows_p.append(lots[ok])
            rows_c.append(np.full(int(ok.sum()), c, dtype=object))

    if not rows_p:
        return pd.DataFrame({"p": pd.Series([], dtype=np.int64), "category": pd.Series([], dtype=object)})
    out = pd.DataFrame({"p": np.concatenate(rows_p), "category": np.concatenate(rows_c)})
    return out.drop_duplicates().sort_values(["p", "category"], kind="stable").reset_index(drop=True)
