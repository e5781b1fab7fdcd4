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

import time

import numpy as np
import pandas as pd

from ..errors import fmt_qty
from ..lang import UOM_ZH
from ..model.formulation import Formulation
from ..rules import UnmetContext, active_rules
from ..rules import budget as budget_rule
from ..rules import text as rule_text
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
        np.isfinite(l) & (a - l <= TOL * np.maximum(1.0, np.abs(l))))
    return b.index[tight]


# Chinese wording of units of measure, provider kinds and marginal-value units (``reason_zh`` etc.).
KIND_ZH = {"social_worker": "社工", "volunteer": "志愿者", "organization": "社会组织", "charity": "慈善批次"}
PER_ZH = {"hour": "小时", "yuan": "元", "item": "件", "service unit": "个服务单位", "unit of the lot": "个批次单位"}


def explain_unmet(form: Formulation, x: np.ndarray, tables: dict[str, pd.DataFrame],
                  deadline: float | None = None) -> pd.DataFrame:
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

    exact = allocation_rows(form, x)       # the model's split, before rounding to dispatchable amounts
    model_covered = exact[exact["need_id"] != ""].groupby("need_id")["quantity"].sum() if len(exact) else {}

    rows = []
    unmet_rows = cov[cov["unmet"] > TOL * np.maximum(1.0, cov["need"])]
    need_pos = {nid: i for i, nid in enumerate(N["need_id"])}
    # looked up once, not per unmet need: the edges of each need, where programs may run, who served what
    order = np.argsort(xi["n"].to_numpy(), kind="stable")
    bounds = np.searchsorted(xi["n"].to_numpy()[order], np.arange(len(N) + 1))
    program_keys = set(zip(y.index["u"].tolist(), y.index["category"].tolist())) if y.size else set()
    uses = _Uses(alloc, N, need_pos)
    by_weight = np.argsort(-N["weight"].to_numpy(float)[unmet_rows["need_id"].map(need_pos).to_numpy(np.int64)],
                           kind="stable") if len(unmet_rows) else np.zeros(0, np.int64)
    unmet_rows = unmet_rows.iloc[by_weight]            # the weightiest first (back in table order at the end)
    for r in unmet_rows.itertuples(index=False):
        n = need_pos[r.need_id]
        if deadline is not None and time.monotonic() > deadline:
            rows.append({"need_id": r.need_id, "unit_id": r.unit_id, "unit_name": unit_names.get(r.unit_id, r.unit_id),
                         "category": r.category, "tier": r.tier, "need": r.need, "unmet": r.unmet,
                         "reason_code": "not_explained",
                         "reason": "not explained: the time limit's margin ran out first (a longer --time-limit explains every need)",
                         "reason_zh": "未分析：时限的余量已用完（延长 --time-limit 可分析全部需求）", "detail": ""})
            continue
        if float(model_covered.get(r.need_id, 0.0)) >= r.need - TOL * max(1.0, r.need):
            step = cfg.dispatch.step
            rows.append({"need_id": r.need_id, "unit_id": r.unit_id, "unit_name": unit_names.get(r.unit_id, r.unit_id),
                         "category": r.category, "tier": r.tier, "need": r.need, "unmet": r.unmet,
                         "reason_code": "dispatch_rounding",
                         "reason": f"met in the model; rounding the hours and goods to dispatchable amounts "
                                   f"(steps of {step:g} h, whole items and yuan) left {fmt_qty(r.unmet)} unmet",
                         "detail": "",
                         "reason_zh": f"模型中已满足；按可派发数量取整（{step:g} 小时为单位、物资和资金取整）后"
                                      f"尚缺 {fmt_qty(r.unmet)}"})
            continue
        u = int(N["u"].iat[n])
        cat = r.category
        unit_label = f"{unit_names.get(r.unit_id, r.unit_id)} ({r.unit_id})"
        cat_zh = getattr(cfg.categories[cat], "label", None) or cat
        uom_zh = UOM_ZH.get(cfg.categories[cat].unit, cfg.categories[cat].unit)
        uom = cfg.categories[cat].unit
        edges = order[bounds[n]:bounds[n + 1]]
        programs_here = (u, cat) in program_keys
        detail = ""
        if not len(edges) and not programs_here:
            code = "no_provider"
            n_sk = skill_anywhere.get(cat, 0)
            reason = (f"no provider within reach of {unit_label} can serve {cat}"
                      + (f" ({n_sk} provider{'s' if n_sk != 1 else ''} with the skill exist, none within reach)" if n_sk
                         else " (no provider in the district has this skill)"))
            reason_zh = (f"{unit_label}服务范围内没有能提供{cat_zh}的资源"
                         + (f"（全区有 {n_sk} 个具备该技能的资源，均不在服务范围内）" if n_sk
                            else "（全区没有具备该技能的资源）"))
        else:
            ep = xi["p"].to_numpy()[edges]
            load = xi["load"].to_numpy(float)[edges]
            free = slack[ep]
            usable = free > TOL * np.maximum(1.0, load)
            if N["indivisible"].iat[n] and not np.any(free >= load * r.need - TOL):
                code = "indivisible"
                reason = (f"{fmt_qty(r.need)} {uom} must go whole to one provider; none of the {int(n_members[ep].sum())} eligible "
                          f"providers has that much left")
                reason_zh = (f"该需求 {fmt_qty(r.need)} {uom_zh}须整体由一个资源承担；{int(n_members[ep].sum())} 个"
                             f"符合条件的资源都没有这么多剩余能力")
            elif not np.any(usable):
                code = "capacity_exhausted"
                people = [m for p_ in ep for m in members[p_]]
                higher = _higher_priority_use(uses, people, W[n], form, r.need_id)
                k = int(n_members[ep].sum())
                reason = (("the only eligible provider is fully used" if k == 1
                           else f"all {k} eligible providers are fully used")
                          + (f"; {higher['text']}" if higher["text"] else ""))
                reason_zh = (("唯一符合条件的资源已用满" if k == 1 else f"{k} 个符合条件的资源均已用满")
                             + (f"；{higher['text_zh']}" if higher["text_zh"] else ""))
                detail = higher["detail"]
            else:
                code = "rule_binding"
                binding, binding_zh = [], []
                ctx = UnmetContext(u=u, category=cat, kinds=P["kind"].to_numpy()[ep[usable]], classes=ep[usable],
                                   rates=P["rate"].to_numpy(float)[ep[usable]], programs_here=bool(programs_here))
                for rule in active_rules(cfg):
                    if rule.explains(ctx, tight[rule.KEY]):
                        binding.append(rule_text(rule, "binding", cfg, "en", category=cat, category_zh=cat_zh))
                        binding_zh.append(rule_text(rule, "binding", cfg, "zh", category=cat, category_zh=cat_zh))
                if any(p in max_units_workers for p in ep[usable]):
                    binding.append("a social worker's max_units")
                    binding_zh.append("社工最多服务单位数")
                if binding:
                    reason = "eligible capacity is left, but " + " and ".join(binding) + " bind" + ("s" if len(binding) == 1 else "")
                    reason_zh = "仍有符合条件的剩余能力，但受" + "和".join(binding_zh) + "约束"
                else:
                    code = "traded_off"
                    reason = ("eligible capacity is left, but using it here would lower coverage of needs ranked higher, "
                              "equity or cost beyond the tolerance (a tie in priority)")
                    reason_zh = "仍有符合条件的剩余能力，但用在这里会降低更高优先需求的满足、公平性或增加成本（优先度相同时的取舍）"
        rows.append({"need_id": r.need_id, "unit_id": r.unit_id, "unit_name": unit_names.get(r.unit_id, r.unit_id),
                     "category": cat, "tier": r.tier, "need": r.need, "unmet": r.unmet, "reason_code": code,
                     "reason": reason, "reason_zh": reason_zh, "detail": detail})
    cols = ["need_id", "unit_id", "unit_name", "category", "tier", "need", "unmet", "reason_code", "reason", "detail",
            "reason_zh"]
    out = pd.DataFrame(rows, columns=cols)
    if len(out):     # back in the coverage table's order
        out = out.iloc[np.argsort(by_weight, kind="stable")].reset_index(drop=True)
    return out


def _capacity_slack(form: Formulation, x: np.ndarray) -> np.ndarray:
    """Capacity left per provider (class) at the plan, from its capacity row (inf when unlimited)."""
    slack = np.full(len(form.providers), np.inf)
    rows = form.model.row_blocks.get("capacity")
    if rows is not None and rows.size:
        act = form.model.matrix()[rows.start:rows.stop] @ x
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
        return {"text": "", "text_zh": "", "detail": ""}
    served = mine[(mine["need_id"] != "") & (mine["need_id"] != this_need)]
    hi = served[served["w"].to_numpy(float) > w_n * (1 + 1e-9)]
    here = float(mine.loc[mine["need_id"] == this_need, "load"].sum())
    rest = total - float(hi["load"].sum()) - here
    names = dict(zip(form.scenario.units["unit_id"].astype(str), form.scenario.units["name"].astype(str)))
    top = hi.groupby(["unit_id", "category"])["load"].sum().sort_values(ascending=False).head(3)
    listed = "; ".join(f"{names.get(u, u)} {c} {fmt_qty(v)}" for (u, c), v in top.items())
    parts, parts_zh = [], []
    if len(hi):
        parts.append(f"{_pct(hi['load'].sum() / total)} went to needs ranked higher ({listed})")
        parts_zh.append(f"{_pct(hi['load'].sum() / total)} 用于优先度更高的需求（{listed}）")
    if here > 0:
        parts.append(f"{_pct(here / total)} to this need")
        parts_zh.append(f"{_pct(here / total)} 用于本需求")
    if rest > 1e-9 * total:
        parts.append(f"{_pct(rest / total)} to needs of equal or lower priority per unit or to programs "
                     "(kept there for equity, cost or the linkage rules)")
        parts_zh.append(f"{_pct(rest / total)} 用于单位优先度相同或更低的需求或服务项目（出于公平、成本或联动规则）")
    return {"text": "of their capacity, " + ", ".join(parts), "text_zh": "其能力中，" + "，".join(parts_zh),
            "detail": listed}


MARGINAL_LP_SECONDS = 120.0   # the marginal-value LP's own limit (and ``deadline``, when given, if earlier)


def marginal_values(form: Formulation, x: np.ndarray, backend_name: str = DEFAULT_BACKEND,
                    deadline: float | None = None) -> pd.DataFrame:
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
    prob = type(prob)(c=prob.c, A=prob.A, row_lo=prob.row_lo, row_hi=prob.row_hi, col_lo=lb, col_hi=ub,
                      integrality=np.zeros_like(ints), sense="max", offset=prob.offset)
    cols = ["group", "provider_kind", "home_unit", "unit_name", "members", "best_member",
            "coverage_per_unit", "per", "example"]
    if deadline is not None and deadline - time.monotonic() < 0.5:
        return pd.DataFrame(columns=cols)
    res = get_backend(backend_name).solve(prob, SolverOptions(time_limit=MARGINAL_LP_SECONDS, deadline=deadline,
                                                              log=False))
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
        frame = pd.DataFrame({"p": p, "kind": kinds, "home": homes, "dual": d,
                              "provider_id": [P["members"].iat[i][0] for i in p],
                              "n": P["n_members"].to_numpy()[p]})
        people = frame[frame["kind"].isin(["social_worker", "volunteer"])]
        names = sc.units["name"].astype(str).to_numpy()
        uids = sc.units["unit_id"].astype(str).to_numpy()
        for (kind, home), g in people.groupby(["kind", "home"], sort=True):
            best = g.loc[g["dual"].idxmax()]
            out.append({"group": f"{kind.replace('_', ' ')}s of {names[home]}",
                        "group_zh": f"{names[home]}的{KIND_ZH[kind]}", "provider_kind": kind,
                        "home_unit": uids[home], "unit_name": names[home], "members": int(g["n"].sum()),
                        "best_member": best["provider_id"], "coverage_per_unit": float(best["dual"]), "per": "hour"})
        lot_kinds = dict(zip(sc.charity["lot_id"].astype(str), sc.charity["kind"].astype(str))) if len(sc.charity) else {}
        for r in frame[~frame["kind"].isin(["social_worker", "volunteer"])].itertuples(index=False):
            # each lot in its own unit: yuan for a funds lot, items for goods
            per = "service unit" if r.kind == "organization" else (
                "yuan" if lot_kinds.get(str(r.provider_id)) == "funds" else "item")
            out.append({"group": f"{r.kind} {r.provider_id}", "group_zh": f"{KIND_ZH[r.kind]} {r.provider_id}",
                        "provider_kind": r.kind, "home_unit": "", "unit_name": "",
                        "members": int(r.n), "best_member": r.provider_id, "coverage_per_unit": float(r.dual), "per": per})
    bud = m.row_blocks.get(budget_rule.KEY) if budget_rule.active(sc.config) else None
    if bud is not None and bud.size:
        out.append({"group": "district budget", "group_zh": "区级预算", "provider_kind": "budget", "home_unit": "", "unit_name": "", "members": 1,
                    "best_member": "district_budget", "coverage_per_unit": float(max(duals[bud.start], 0.0)), "per": "yuan"})
    df = pd.DataFrame(out, columns=[*cols[:-1], "group_zh"])
    step = np.where(df["per"] == "yuan", 1000.0, 10.0)
    df["example"] = [f"+{s:,.0f} {per}{'s' if s != 1 else ''} -> weighted coverage +{v * s * 100:.3f} points"
                     for s, per, v in zip(step, df["per"], df["coverage_per_unit"])]
    df["example_zh"] = [f"增加 {s:,.0f} {PER_ZH[per]} -> 加权满足率提高 {v * s * 100:.3f} 个百分点"
                        for s, per, v in zip(step, df["per"], df["coverage_per_unit"])]
    return df.sort_values(["coverage_per_unit", "group"], ascending=[False, True], kind="stable").reset_index(drop=True)


def attach_explanations(plan, backend_name: str | None = None, deadline: float | None = None) -> None:
    """Add ``explanations.csv`` and ``marginal_values.csv`` to a solved plan's files.

    ``deadline`` (``time.monotonic()``) bounds the marginal-value LP, the one solve after the plan's; the
    callers pass ``solve.after_solve_deadline`` so that ``plan`` keeps to its time limit's margin.
    """
    form = plan.formulation
    x = plan.solution
    backend_name = backend_name or plan.summary["solver"]["name"]
    backend_name = with_feature("duals", backend_name)   # duals come from an LP with duals whatever solved the MIP
    # the explanations take at most half of what is left before the deadline, the marginal-value LP the rest
    half = None if deadline is None else time.monotonic() + 0.5 * max(0.0, deadline - time.monotonic())
    plan.extras["explanations.csv"] = explain_unmet(form, x, plan.tables(), half)
    plan.extras["marginal_values.csv"] = marginal_values(form, x, backend_name, deadline)
