"""Why a need is unmet, what binds, and what one more hour or yuan would buy.

Reasons are computed from the model and the plan, never guessed. For each need left (partly) unmet:

``no_provider``          no provider with the skill reaches the unit (and no program may run there);
``capacity_exhausted``   every eligible provider is fully used, and by which needs ranked higher
                         (priority per hour of the provider's capacity);
``indivisible``          the need must go whole to one provider, and none has that much left;
``rule_binding``         eligible capacity is left, but a linkage rule row is tight (each rule of
                         :data:`linkage_opt.rules.RULES` says whether its tight rows explain the need)
                         or a worker's ``max_units``;
``traded_off``           capacity was left but giving it here would lower priority-weighted coverage,
                         equity or cost elsewhere beyond the lexicographic tolerance (ties).

Marginal values come from the LP of the coverage stage with every integer variable fixed at its plan
value: the dual of a provider's capacity row is the weighted coverage gained per extra unit of its
capacity (valid for small changes, within the LP's sensitivity range). Per provider group (volunteers
or social workers living in one unit, each lot, each organization, the district budget) the best
member's dual is reported: one more hour given to that group goes to the member who can use it best.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .. import lang as L
from ..errors import fmt_qty
from ..i18n import ByLang, Cat, Msg, join, render
from ..lang import C_, UOM_ZH
from ..model.formulation import Formulation
from ..rules import RULES, UnmetContext, active_rules
from ..rules import budget as budget_rule
from ..solvers import DEFAULT_BACKEND, SolverOptions, Status, get_backend, with_feature

TOL = 1e-6


def _row_activity(form: Formulation, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    A = form.model.matrix()
    lo, hi = form.model.row_bounds()
    return A @ x, lo, hi


def _tight_rows(form: Formulation, x: np.ndarray, block: str) -> pd.DataFrame:
    m = form.model
    if block not in m.row_blocks:
        return pd.DataFrame()
    b = m.row_blocks[block]
    act, lo, hi = _row_activity(form, x)
    a, l, h = act[b.ids], lo[b.ids], hi[b.ids]
    tight = (np.isfinite(h) & (h - a <= TOL * np.maximum(1.0, np.abs(h)))) | (
        np.isfinite(l) & (a - l <= TOL * np.maximum(1.0, np.abs(l)))
    )
    return b.index[tight]


# Chinese words of the marginal values' units (a value of the ``per`` column).
# What one more unit of capacity is (``marginal_values.csv`` ``per``): its words in the catalog, context "per".
PER_WORDS = (C_("per", "hour"), C_("per", "yuan"), C_("per", "item"), C_("per", "service unit"))


def per_word(per: str, lang: str | None = None, plural: bool = False) -> str:
    """``per`` (hour, yuan, item, service unit) in ``lang``; English plural on ``plural`` (``10 hours``)."""
    if L.resolve(lang) == "en":
        return f"{per}s" if plural and per in ("hour", "item", "service unit") else per
    return L.t(per, lang, context="per")


# The explanations table (explanations.csv): a reason code and its parameters (``reason_params``, JSON), from
# which :func:`reason_msg` makes the reason in the reader's language; ``reason`` is its English text.
EXPLANATION_COLUMNS = [
    "need_id",
    "unit_id",
    "unit_name",
    "category",
    "tier",
    "need",
    "unmet",
    "reason_code",
    "reason",
    "detail",
    "reason_params",
]


def reason_msg(code: str, params: Mapping) -> Msg:
    """The reason of an explanation (its ``reason_code`` and ``reason_params``) as a message."""
    p = dict(params)
    category = ByLang({"en": str(p.get("category", "")), "zh": str(p.get("category_label") or p.get("category", ""))})
    if code == "not_explained":
        return Msg("not explained: the time limit's margin ran out first (a longer --time-limit explains every need)")
    if code == "dispatch_rounding":
        return Msg(
            "met in the model; rounding the hours and goods to dispatchable amounts (steps of {step:g} h, whole "
            "items and yuan) left {unmet} unmet",
            step=float(p["step"]),
            unmet=fmt_qty(p["unmet"]),
        )
    if code == "no_provider":
        n = int(p.get("with_skill") or 0)
        why = (
            Msg(" (no provider in the district has this skill)")
            if not n
            else Msg(" ({n} provider with the skill exist, none within reach)", n=n)
            if n == 1
            else Msg(" ({n} providers with the skill exist, none within reach)", n=n)
        )
        return Msg(
            "no provider within reach of {unit} can serve {category}{why}", unit=p["unit"], category=category, why=why
        )
    if code == "indivisible":
        uom = str(p["uom"])
        return Msg(
            "{need} {uom} must go whole to one provider; none of the {n} eligible providers has that much left",
            need=fmt_qty(p["need"]),
            uom=ByLang({"en": uom, "zh": UOM_ZH.get(uom, uom)}),
            n=int(p["eligible"]),
        )
    if code == "capacity_exhausted":
        k = int(p["eligible"])
        head = (
            Msg("the only eligible provider is fully used")
            if k == 1
            else Msg("all {n} eligible providers are fully used", n=k)
        )
        if not p.get("used"):
            return head
        parts: list[str] = []
        if p.get("higher") is not None:
            parts.append(
                Msg(
                    "{pct} went to needs ranked higher ({listed})", pct=p["higher"], listed=_listed(p.get("listed", ""))
                )
            )
        if p.get("here") is not None:
            parts.append(Msg("{pct} to this need", pct=p["here"]))
        if p.get("rest") is not None:
            parts.append(
                Msg(
                    "{pct} to needs of equal or lower priority per unit or to programs (kept there for equity, "
                    "cost or the linkage rules)",
                    pct=p["rest"],
                )
            )
        comma = ByLang({"en": ", ", "zh": "，"})
        listed = Cat(*[x for i, part in enumerate(parts) for x in ((comma, part) if i else (part,))])
        return join([head, Msg("of their capacity, {parts}", parts=listed)])
    if code == "rule_binding":
        texts: dict[str, list[str]] = {"en": [], "zh": []}
        rules = {rule.KEY: rule for rule in RULES}
        for key, rule_params in (p.get("rules") or {}).items():
            for lang in texts:
                rule = rules.get(key)
                texts[lang].append(
                    Msg(rule.TEXTS["binding"], **rule_params, category=category).render(lang)
                    if rule is not None
                    else key
                )
        if p.get("max_units"):
            for lang in texts:
                texts[lang].append(Msg("a social worker's max_units").render(lang))
        both = {lang: words[0] if words else "" for lang, words in texts.items()}
        for i in range(1, len(texts["en"])):
            for lang in both:
                both[lang] = Msg("{first} and {second}", first=both[lang], second=texts[lang][i]).render(lang)
        binding = ByLang(both)
        n = len(texts["en"])
        return (
            Msg("eligible capacity is left, but {binding} binds", binding=binding)
            if n == 1
            else Msg("eligible capacity is left, but {binding} bind", binding=binding)
        )
    if code == "traded_off":
        return Msg(
            "eligible capacity is left, but using it here would lower coverage of needs ranked higher, equity or "
            "cost beyond the tolerance (a tie in priority)"
        )
    raise KeyError(code)


def _params(value: object) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            out = json.loads(value)
        except ValueError:
            return {}
        return out if isinstance(out, dict) else {}
    return {}


def reason_text(row: Mapping, lang: str | None = None) -> str:
    """The reason of one row of the explanations table in ``lang``, made from its code and parameters. A plan
    folder written before the parameters were kept shows its ``reason`` column as it is."""
    code = str(row.get("reason_code") or "")
    raw = row.get("reason_params")
    if isinstance(raw, dict | str) and raw:
        try:
            return render(reason_msg(code, _params(raw)), lang)
        except (KeyError, ValueError, TypeError, IndexError):
            pass
    reason = row.get("reason")
    return "" if reason is None or reason != reason else str(reason)


def _explanation(r, unit_name: str, code: str, params: dict, detail: str = "") -> dict:
    return {
        "need_id": r.need_id,
        "unit_id": r.unit_id,
        "unit_name": unit_name,
        "category": r.category,
        "tier": r.tier,
        "need": r.need,
        "unmet": r.unmet,
        "reason_code": code,
        "reason": str(reason_msg(code, params)),
        "detail": detail,
        "reason_params": json.dumps(params, ensure_ascii=False, sort_keys=True),
    }


def explain_unmet(
    form: Formulation, x: np.ndarray, tables: dict[str, pd.DataFrame], deadline: float | None = None
) -> pd.DataFrame:
    """One row per (partly) unmet need: reason code, reason in plain words, and details.

    With ``deadline`` (``time.monotonic()``) the needs are explained in order of priority weight until
    then; the rest get reason code ``not_explained`` (``plan`` keeps to its time limit's margin).
    """
    sc = form.scenario
    cfg = sc.config
    N = form.needs
    P = form.providers
    cov = tables["coverage"]
    alloc = tables["allocations"]
    unit_names = dict(zip(sc.units["unit_id"].astype(str), sc.units["name"].astype(str)))
    xi = form.edges
    slack = _capacity_slack(form, x)
    members = P["members"].to_numpy()
    n_members = P["n_members"].to_numpy()
    W = N["weight"].to_numpy(float)

    tight = {rule.KEY: _tight_rows(form, x, rule.KEY) for rule in active_rules(cfg)}
    wu = _tight_rows(form, x, "worker_units")
    max_units_workers = set(wu["p"]) if len(wu) else set()
    y = form.model.var("y")
    skill_anywhere = _skill_anywhere(form)

    from ..model.disaggregate import allocation_rows

    exact = allocation_rows(form, x)  # the model's split, before rounding to dispatchable amounts
    model_covered = exact[exact["need_id"] != ""].groupby("need_id")["quantity"].sum() if len(exact) else {}

    rows = []
    unmet_rows = cov[cov["unmet"] > TOL * np.maximum(1.0, cov["need"])]
    need_pos = {nid: i for i, nid in enumerate(N["need_id"])}
    # looked up once, not per unmet need: the edges of each need, where programs may run, who served what
    order = np.argsort(xi["n"].to_numpy(), kind="stable")
    bounds = np.searchsorted(xi["n"].to_numpy()[order], np.arange(len(N) + 1))
    program_keys = set(zip(y.index["u"].tolist(), y.index["category"].tolist())) if y.size else set()
    uses = _Uses(alloc, N, need_pos)
    by_weight = (
        np.argsort(-N["weight"].to_numpy(float)[unmet_rows["need_id"].map(need_pos).to_numpy(np.int64)], kind="stable")
        if len(unmet_rows)
        else np.zeros(0, np.int64)
    )
    unmet_rows = unmet_rows.iloc[by_weight]  # the weightiest first (back in table order at the end)
    for r in unmet_rows.itertuples(index=False):
        n = need_pos[r.need_id]
        unit_name = unit_names.get(r.unit_id, r.unit_id)
        if deadline is not None and time.monotonic() > deadline:
            rows.append(_explanation(r, unit_name, "not_explained", {}))
            continue
        if float(model_covered.get(r.need_id, 0.0)) >= r.need - TOL * max(1.0, r.need):
            rows.append(
                _explanation(
                    r,
                    unit_name,
                    "dispatch_rounding",
                    {"step": float(cfg.dispatch.step), "unmet": round(float(r.unmet), 6)},
                )
            )
            continue
        u = int(N["u"].iat[n])
        cat = r.category
        unit_label = f"{unit_names.get(r.unit_id, r.unit_id)} ({r.unit_id})"
        cat_label = getattr(cfg.categories[cat], "label", None) or cat
        uom = cfg.categories[cat].unit
        edges = order[bounds[n] : bounds[n + 1]]
        programs_here = (u, cat) in program_keys
        detail = ""
        if not len(edges) and not programs_here:
            code = "no_provider"
            params: dict = {
                "unit": unit_label,
                "category": cat,
                "category_label": cat_label,
                "with_skill": int(skill_anywhere.get(cat, 0)),
            }
        else:
            ep = xi["p"].to_numpy()[edges]
            load = xi["load"].to_numpy(float)[edges]
            free = slack[ep]
            usable = free > TOL * np.maximum(1.0, load)
            if N["indivisible"].iat[n] and not np.any(free >= load * r.need - TOL):
                code = "indivisible"
                params = {"need": round(float(r.need), 6), "uom": uom, "eligible": int(n_members[ep].sum())}
            elif not np.any(usable):
                code = "capacity_exhausted"
                people = [m for p_ in ep for m in members[p_]]
                higher = _higher_priority_use(uses, people, W[n], form, r.need_id)
                params = {"eligible": int(n_members[ep].sum()), **higher["params"]}
                detail = higher["detail"]
            else:
                code = "rule_binding"
                binding: dict[str, dict] = {}
                ctx = UnmetContext(
                    u=u,
                    category=cat,
                    kinds=P["kind"].to_numpy()[ep[usable]],
                    classes=ep[usable],
                    rates=P["rate"].to_numpy(float)[ep[usable]],
                    programs_here=bool(programs_here),
                )
                for rule in active_rules(cfg):
                    if rule.explains(ctx, tight[rule.KEY]):
                        binding[rule.KEY] = dict(rule.params(cfg))
                max_units = any(p in max_units_workers for p in ep[usable])
                if binding or max_units:
                    params = {"category": cat, "category_label": cat_label, "rules": binding, "max_units": max_units}
                else:
                    code = "traded_off"
                    params = {}
        rows.append(_explanation(r, unit_name, code, params, detail))
    out = pd.DataFrame(rows, columns=EXPLANATION_COLUMNS)
    if len(out):  # back in the coverage table's order
        out = out.iloc[np.argsort(by_weight, kind="stable")].reset_index(drop=True)
    return out


def _capacity_slack(form: Formulation, x: np.ndarray) -> np.ndarray:
    """Capacity left per provider (class) at the plan, from its capacity row (inf when unlimited)."""
    slack = np.full(len(form.providers), np.inf)
    rows = form.model.row_blocks.get("capacity")
    if rows is not None and rows.size:
        act = form.model.matrix()[rows.start : rows.stop] @ x
        _, hi = form.model.row_bounds()
        p = rows.index["p"].to_numpy()
        cap = form.providers["capacity"].to_numpy(float)[p]
        # rows of engaged organizations read "use - cap * z <= 0": what is left is cap - use either way
        z_based = hi[rows.ids] == 0.0
        slack[p] = np.where(z_based & (cap > 0), -act, hi[rows.ids] - act)
        if form.has("z_org"):
            zb = form.var("z_org")
            zp = zb.index["p"].to_numpy()
            engaged = zb.take(x) > 0.5
            slack[zp] = np.where(engaged, slack[zp], form.providers["capacity"].to_numpy(float)[zp])
    return slack


def _skill_anywhere(form: Formulation) -> dict[str, int]:
    from ..model.reach import Providers, provider_categories

    pc = provider_categories(form.scenario, Providers(form.providers))
    return pc.groupby("category")["p"].nunique().to_dict()


def _pct(v: float) -> str:
    return "<1%" if 0 < v < 0.005 else (">99%" if 0.995 <= v < 1 else f"{v:.0%}")


class _Uses:
    """People's allocation rows (programs and the budget left out), indexed by provider, with each row's need
    weight: what :func:`_higher_priority_use` reads for every need whose providers are fully used."""

    def __init__(self, alloc: pd.DataFrame, N: pd.DataFrame, need_pos: dict):
        rows = alloc[~alloc["provider_kind"].isin(["program", "budget"])].reset_index(drop=True)
        weight = N["weight"].to_numpy(float)
        pos = rows["need_id"].map(need_pos)
        rows["w"] = np.where(pos.notna(), weight[pos.fillna(0).astype(np.int64).to_numpy()], np.nan)
        self.rows = rows
        self.by_provider = rows.groupby("provider_id", sort=False).indices

    def of(self, providers: list) -> pd.DataFrame:
        idx = [self.by_provider[p] for p in dict.fromkeys(providers) if p in self.by_provider]
        return self.rows.iloc[np.sort(np.concatenate(idx))] if idx else self.rows.iloc[:0]


def _higher_priority_use(uses: _Uses, providers: list, w_n: float, form: Formulation, this_need: str) -> dict:
    """How the eligible providers' capacity was used: needs ranked higher, this need, the rest."""
    mine = uses.of(providers)
    total = float(mine["load"].sum())
    if total <= 0:
        return {"params": {"used": False}, "detail": ""}
    served = mine[(mine["need_id"] != "") & (mine["need_id"] != this_need)]
    hi = served[served["w"].to_numpy(float) > w_n * (1 + 1e-9)]
    here = float(mine.loc[mine["need_id"] == this_need, "load"].sum())
    rest = total - float(hi["load"].sum()) - here
    names = dict(zip(form.scenario.units["unit_id"].astype(str), form.scenario.units["name"].astype(str)))
    cats = form.scenario.config.categories
    # capacity used: people's hours; a lot's yuan (funds) or items (goods)
    hi = hi.assign(
        uom=np.where(
            hi["provider_kind"].to_numpy() != "charity",
            "hours",
            np.where([bool(cats[c].funds_per_unit) if c in cats else False for c in hi["category"]], "yuan", "items"),
        )
    )
    top = hi.groupby(["unit_id", "category", "uom"])["load"].sum().sort_values(ascending=False).head(3)
    # each: [unit name, category, its label, the capacity used, its unit of measure]
    listed = [
        [names.get(u, u), c, (getattr(cats[c], "label", None) or c) if c in cats else c, round(float(v), 6), uom]
        for (u, c, uom), v in top.items()
    ]
    params = {
        "used": True,
        "listed": listed,
        "higher": _pct(hi["load"].sum() / total) if len(hi) else None,
        "here": _pct(here / total) if here > 0 else None,
        "rest": _pct(rest / total) if rest > 1e-9 * total else None,
    }
    return {"params": params, "detail": _listed(listed).render("en")}


def _listed(listed: object) -> Msg:
    """Needs ranked higher that took the capacity (``capacity_exhausted``'s ``listed``), in the reader's words:
    unit, category (its label in Chinese), the amount and its unit of measure. A plan folder written before
    they were kept apart holds one English string, shown as it is."""
    if isinstance(listed, str):
        return Msg("{text}", text=listed)
    parts = [
        Msg(
            "{unit} {category} {quantity} {uom}",
            unit=u,
            category=ByLang({"en": c, "zh": label}),
            quantity=fmt_qty(q),
            uom=ByLang({"en": uom, "zh": UOM_ZH.get(uom, uom)}),
        )
        for u, c, label, q, uom in listed
    ]
    return join(parts)


MARGINAL_LP_SECONDS = 120.0  # the marginal-value LP's own limit (and ``deadline``, when given, if earlier)
MARGINAL_LP_SHARE = 0.6  # of the first stage's LP time: less time left than this and the LP is not started


def marginal_values(
    form: Formulation, x: np.ndarray, backend_name: str = DEFAULT_BACKEND, deadline: float | None = None
) -> pd.DataFrame:
    """Weighted coverage gained per extra unit of capacity, per provider group and for the budget.

    The values are the duals of an LP (the integers fixed at ``x``) solved within ``MARGINAL_LP_SECONDS``
    and by ``deadline`` (a ``time.monotonic()`` instant) when given; without time for it the table is
    empty, like when the LP does not solve.
    """
    m = form.model
    ints = m.integrality()
    lb, ub = m.bounds()
    lb = lb.copy()
    ub = ub.copy()
    lb[ints] = x[ints]
    ub[ints] = x[ints]
    term = form.terms["coverage"]
    prob = m.problem(term.c, "max", term.offset)
    prob = type(prob)(
        c=prob.c,
        A=prob.A,
        row_lo=prob.row_lo,
        row_hi=prob.row_hi,
        col_lo=lb,
        col_hi=ub,
        integrality=np.zeros_like(ints),
        sense="max",
        offset=prob.offset,
    )
    cols = [
        "group",
        "provider_kind",
        "home_unit",
        "unit_name",
        "members",
        "best_member",
        "coverage_per_unit",
        "per",
        "example",
    ]
    if deadline is not None and deadline - time.monotonic() < 0.5:
        return pd.DataFrame(columns=cols)
    res = get_backend(backend_name).solve(
        prob, SolverOptions(time_limit=MARGINAL_LP_SECONDS, deadline=deadline, log=False)
    )
    if res.status != Status.OPTIMAL or res.row_duals is None:
        return pd.DataFrame(columns=cols)
    duals = np.asarray(res.row_duals, float)
    P = form.providers
    sc = form.scenario
    cap_rows = m.row_blocks.get("capacity")
    out = []
    if cap_rows is not None and cap_rows.size:
        p = cap_rows.index["p"].to_numpy()
        d = np.maximum(duals[cap_rows.ids], 0.0)
        kinds = P["kind"].to_numpy()[p]
        homes = P["home"].to_numpy()[p]
        frame = pd.DataFrame(
            {
                "p": p,
                "kind": kinds,
                "home": homes,
                "dual": d,
                "provider_id": [P["members"].iat[i][0] for i in p],
                "n": P["n_members"].to_numpy()[p],
            }
        )
        people = frame[frame["kind"].isin(["social_worker", "volunteer"])]
        names = sc.units["name"].astype(str).to_numpy()
        uids = sc.units["unit_id"].astype(str).to_numpy()
        for (kind, home), g in people.groupby(["kind", "home"], sort=True):
            best = g.loc[g["dual"].idxmax()]
            out.append(
                {
                    "provider_kind": kind,
                    "home_unit": uids[home],
                    "unit_name": names[home],
                    "members": int(g["n"].sum()),
                    "best_member": best["provider_id"],
                    "coverage_per_unit": float(best["dual"]),
                    "per": "hour",
                }
            )
        lot_kinds = (
            dict(zip(sc.charity["lot_id"].astype(str), sc.charity["kind"].astype(str))) if len(sc.charity) else {}
        )
        for r in frame[~frame["kind"].isin(["social_worker", "volunteer"])].itertuples(index=False):
            # each lot in its own unit: yuan for a funds lot, items for goods
            per = (
                "service unit"
                if r.kind == "organization"
                else ("yuan" if lot_kinds.get(str(r.provider_id)) == "funds" else "item")
            )
            out.append(
                {
                    "provider_kind": r.kind,
                    "home_unit": "",
                    "unit_name": "",
                    "members": int(r.n),
                    "best_member": r.provider_id,
                    "coverage_per_unit": float(r.dual),
                    "per": per,
                }
            )
    bud = m.row_blocks.get(budget_rule.KEY) if budget_rule.active(sc.config) else None
    if bud is not None and bud.size:
        out.append(
            {
                "provider_kind": "budget",
                "home_unit": "",
                "unit_name": "",
                "members": 1,
                "best_member": "district_budget",
                "coverage_per_unit": float(max(duals[bud.start], 0.0)),
                "per": "yuan",
            }
        )
    df = pd.DataFrame(out, columns=[c for c in cols if c not in ("group", "example")])
    records = df.to_dict("records")
    df.insert(0, "group", [str(group_msg(r)) for r in records])
    df["example"] = [str(example_msg(r)) for r in records]
    return df.sort_values(["coverage_per_unit", "group"], ascending=[False, True], kind="stable").reset_index(drop=True)


def group_msg(row: Mapping) -> Msg:
    """A marginal value's provider group (``group``) as a message: the people of one unit, a lot, an
    organization or the district budget."""
    kind = str(row.get("provider_kind") or "")
    if kind == "social_worker":
        return Msg("social workers of {unit}", unit=str(row.get("unit_name") or ""))
    if kind == "volunteer":
        return Msg("volunteers of {unit}", unit=str(row.get("unit_name") or ""))
    if kind == "organization":
        return Msg("organization {id}", id=str(row.get("best_member") or ""))
    if kind == "charity":
        return Msg("charity {id}", id=str(row.get("best_member") or ""))
    if kind == "budget":
        return Msg("district budget")
    return Msg("{kind} {id}", kind=kind, id=str(row.get("best_member") or ""))


def example_msg(row: Mapping) -> Msg:
    """What a marginal value means (``example``): +10 hours (+1,000 yuan) and the weighted coverage gained."""
    per = str(row.get("per") or "")
    step = 1000.0 if per == "yuan" else 10.0
    return Msg(
        "+{step:,.0f} {per} -> weighted coverage +{points:.3f} points",
        step=step,
        per=ByLang({"en": per_word(per, "en", plural=step != 1), "zh": per_word(per, "zh")}),
        points=float(row.get("coverage_per_unit") or 0.0) * step * 100,
    )


def attach_explanations(plan, backend_name: str | None = None, deadline: float | None = None) -> None:
    """Add ``explanations.csv`` and ``marginal_values.csv`` to a solved plan's files.

    ``deadline`` (``time.monotonic()``) bounds the marginal-value LP, the one solve after the plan's; the
    callers pass ``solve.after_solve_deadline`` so that ``plan`` keeps to its time limit's margin.
    """
    form = plan.formulation
    x = plan.solution
    backend_name = backend_name or plan.summary["solver"]["name"]
    backend_name = with_feature("duals", backend_name)  # duals come from an LP with duals whatever solved the MIP
    # the explanations take at most half of what is left before the deadline, the marginal-value LP the rest
    half = None if deadline is None else time.monotonic() + 0.5 * max(0.0, deadline - time.monotonic())
    plan.extras["explanations.csv"] = explain_unmet(form, x, plan.tables(), half)
    # the marginal-value LP is the model's LP with the integers fixed: about as long as the first stage's LP
    # relaxation, when LP rounding measured one. With less time than MARGINAL_LP_SHARE of that it would not
    # finish, and the outputs after it would lose the time it spent: it is not started.
    first = (plan.summary.get("stages") or [{}])[0]
    lp_s = (first.get("lp_rounding") or {}).get("lp_s")
    if deadline is not None and lp_s and deadline - time.monotonic() < MARGINAL_LP_SHARE * float(lp_s):
        deadline = time.monotonic()
    plan.extras["marginal_values.csv"] = marginal_values(form, x, backend_name, deadline)
