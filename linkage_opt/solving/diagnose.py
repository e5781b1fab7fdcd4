"""Why no plan exists: the conflicting guarantees, in the user's terms, and the cheapest relaxation.

Only guaranteed needs can make the model infeasible (every other row holds with nothing served), so:

1. **Elastic relaxation.** Each guaranteed coverage row gets a slack ``e_n`` in [0, 1] (the share of
   the guarantee dropped); minimising ``sum_n coef_n * e_n`` (party-priority weight of what is dropped)
   gives the cheapest relaxation: lower guarantee n by ``e_n * q_n``.
2. **Minimal conflict.** Starting from the short guarantees and the guarantees competing with them for
   the same providers, a deletion filter drops every guarantee whose removal leaves the rest still
   infeasible; what remains is an irreducible set: infeasible together, feasible if any one is dropped.
3. **Rules involved.** Each enabled linkage rule is switched off in turn; a rule whose removal reduces
   the shortfall is part of the conflict.

The solve's deadline (``SolverOptions.deadline``, else ``time_limit`` from the call) holds for the whole
diagnosis: every solve gets only what is left of it, and when too little is left the steps not yet run
are left out (the rules not tried are not named; the conflict is the short guarantees, not a minimal
set), with a line saying so.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp

from ..errors import fmt_qty
from ..inputs.config import Config
from ..model.formulation import Formulation, build
from ..rules import BY_KEY, active_rules
from ..rules import text as rule_text
from ..solvers import SolverOptions, Status, get_backend
from ..solvers.base import MipProblem, call_deadline, seconds_left

KIND_ZH = {"social_worker": "名社工", "volunteer": "名志愿者", "organization": "个社会组织", "charity": "个慈善批次",
           "program": "个服务项目"}
MAX_FILTER = 40          # guarantees tested one by one in the deletion filter
MIN_SOLVE_SECONDS = 0.5  # a step of the diagnosis is not started with less of the time limit left
NO_TIME = "the time limit left no time to {what}: raise solver.time_limit for a full diagnosis"
NO_TIME_ZH = {"find the cheapest relaxation": "求最小放宽方案", "try the linkage rules one by one": "逐条检验联动规则",
              "find a minimal set of conflicting guarantees": "求最小冲突集"}


@dataclass
class NeedShort:
    need_id: str
    unit_id: str
    unit_name: str
    category: str
    unit_of_measure: str
    required: float
    attainable: float            # what can be provided in the cheapest relaxation
    shortfall: float
    direct_capacity: float       # need the eligible providers could serve if each served only this need
    program_capacity: float      # need the eligible programs could serve (instances capped by org and party branch)
    eligible_providers: dict     # kind -> count

    def text(self, lang: str = "en") -> str:
        if lang == "zh":
            return self.text_zh()
        u = self.unit_of_measure
        prov = _plural_list({k: n for k, n in self.eligible_providers.items() if k != "program"})
        parts = [f"{fmt_qty(self.direct_capacity)} {u} from {prov}" if prov else "no eligible provider within reach"]
        if self.eligible_providers.get("program"):
            parts.append(f"up to {fmt_qty(self.program_capacity)} {u} from {_plural_list({'program': self.eligible_providers['program']})}")
        return (f"unit {self.unit_name} ({self.unit_id}), {self.category}: {fmt_qty(self.required)} {u} guaranteed, "
                f"at most {fmt_qty(self.attainable)} {u} can be provided (eligible within reach: {'; '.join(parts)})")


    def text_zh(self) -> str:
        from ..lang import uom

        u = uom(self.unit_of_measure, "zh")
        prov = "、".join(f"{n} {KIND_ZH[k]}" for k, n in self.eligible_providers.items() if k != "program")
        parts = [f"{prov}共 {fmt_qty(self.direct_capacity)} {u}" if prov else "服务范围内没有符合条件的资源"]
        if self.eligible_providers.get("program"):
            parts.append(f"{self.eligible_providers['program']} 个服务项目最多 {fmt_qty(self.program_capacity)} {u}")
        return (f"单位 {self.unit_name}（{self.unit_id}），{self.category}：兜底保障 {fmt_qty(self.required)} {u}，"
                f"最多只能提供 {fmt_qty(self.attainable)} {u}（服务范围内符合条件的：{'；'.join(parts)}）")


def _plural_list(counts: dict) -> str:
    return ", ".join(f"{n} {k.replace('_', ' ')}{'s' if n != 1 else ''}" for k, n in counts.items())


@dataclass
class Diagnosis:
    conflict: list[NeedShort]                    # irreducible set of guarantees (when minimal=True)
    relaxation: list[NeedShort]                  # cheapest relaxation: guarantees to lower and by how much
    rules: list[str] = field(default_factory=list)
    minimal: bool = True
    rules_zh: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)       # what the diagnosis could not do (the time limit)
    notes_zh: list[str] = field(default_factory=list)

    def message(self, lang: str = "en") -> str:
        if lang == "zh":
            return self.message_zh()
        if not self.conflict and not self.relaxation:   # the diagnosis could not run (time) or failed
            return "\n".join(["Guaranteed needs cannot all be met (the solver proved that no plan meets them all)."]
                             + [f"  - {r}" for r in self.rules] + [f"Note: {t}" for t in self.notes])
        lines = ["Guaranteed needs cannot all be met. These requirements conflict"
                 + (" (an irreducible set: drop any one and the rest can be met):" if self.minimal else ":")]
        lines += [f"  - {n.text()}" for n in self.conflict]
        if self.rules:
            lines.append("  together with the rule" + ("s" if len(self.rules) > 1 else "") + ":")
            lines += [f"  - {r}" for r in self.rules]
        lines.append("Cheapest relaxation (what would make the plan feasible):")
        for n in self.relaxation:
            lines.append(f"  - lower the guarantee of {n.unit_name} ({n.unit_id}) {n.category} by {fmt_qty(n.shortfall)} "
                         f"{n.unit_of_measure} (to {fmt_qty(n.attainable)}), or add that much eligible capacity within reach")
        lines += [f"Note: {t}" for t in self.notes]
        return "\n".join(lines)

    def message_zh(self) -> str:
        from ..lang import uom

        if not self.conflict and not self.relaxation:
            return "\n".join(["兜底保障需求无法全部满足（求解器已证明没有方案能全部满足）。"]
                             + [f"  - {r}" for r in (self.rules_zh or self.rules)]
                             + [f"注意：{t}" for t in (self.notes_zh or self.notes)])
        lines = ["兜底保障需求无法全部满足。以下要求相互冲突"
                 + ("（不可再约简：去掉任何一项，其余都能满足）：" if self.minimal else "：")]
        lines += [f"  - {n.text_zh()}" for n in self.conflict]
        if self.rules_zh or self.rules:
            lines.append("  同时受以下规则约束：")
            lines += [f"  - {r}" for r in (self.rules_zh or self.rules)]
        lines.append("代价最小的放宽办法（可使方案可行）：")
        for n in self.relaxation:
            u = uom(n.unit_of_measure, "zh")
            lines.append(f"  - 把 {n.unit_name}（{n.unit_id}）{n.category} 的兜底保障降低 {fmt_qty(n.shortfall)} {u}"
                         f"（降至 {fmt_qty(n.attainable)}），或在服务范围内增加同样多的符合条件的能力")
        lines += [f"注意：{t}" for t in (self.notes_zh or self.notes)]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"conflict": [asdict(n) for n in self.conflict], "relaxation": [asdict(n) for n in self.relaxation],
                "rules": list(self.rules), "minimal": self.minimal, "notes": list(self.notes)}


def _guaranteed_rows(form: Formulation) -> tuple[np.ndarray, np.ndarray]:
    """(need index, row number) of every guaranteed coverage row."""
    rows = form.model.row_blocks["coverage"]
    n = rows.index["n"].to_numpy()
    g = form.needs["tier"].to_numpy()[n] == "guaranteed"
    return n[g], rows.ids[g]


def elastic_problem(form: Formulation) -> tuple[MipProblem, np.ndarray, np.ndarray]:
    """The model plus one slack per guaranteed need; minimise the priority-weighted guarantee dropped."""
    m = form.model
    needs, rows = _guaranteed_rows(form)
    A = m.matrix()
    E = sp.csr_matrix((np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(m.n_rows, len(rows)))
    A2 = sp.hstack([A, E], format="csr")
    lo, hi = m.row_bounds()
    lb, ub = m.bounds()
    coef = form.needs["coef"].to_numpy(float)[needs]
    coef = np.where(coef > 0, coef, 1e-6)
    c = np.concatenate([np.zeros(m.n_cols), coef])
    prob = MipProblem(c=c, A=A2, row_lo=lo, row_hi=hi, col_lo=np.concatenate([lb, np.zeros(len(rows))]),
                      col_hi=np.concatenate([ub, np.ones(len(rows))]),
                      integrality=np.concatenate([m.integrality(), np.zeros(len(rows), bool)]), sense="min")
    return prob, needs, rows


def _feasible_with(form: Formulation, keep_rows: np.ndarray, all_rows: np.ndarray, backend,
                   options) -> bool | None:
    """Is the model feasible when only the guarantees on ``keep_rows`` are enforced? None: not known (time)."""
    m = form.model
    lo, hi = m.row_bounds()
    lo = lo.copy()
    lo[all_rows] = 0.0
    lo[keep_rows] = 1.0
    lb, ub = m.bounds()
    prob = MipProblem(c=np.zeros(m.n_cols), A=m.matrix(), row_lo=lo, row_hi=hi, col_lo=lb, col_hi=ub,
                      integrality=m.integrality(), sense="min")
    res = backend.solve(prob, options)
    if res.status in (Status.OPTIMAL, Status.FEASIBLE):
        return True
    return False if res.status == Status.INFEASIBLE else None


def _describe(form: Formulation, n: int, attainable_frac: float) -> NeedShort:
    N = form.needs
    sc = form.scenario
    q = float(N["q"].iat[n])
    u = int(N["u"].iat[n])
    cat = str(N["category"].iat[n])
    P = form.providers
    edges = form.edges
    sel = edges["n"].to_numpy() == n
    p = edges["p"].to_numpy()[sel]
    load = edges["load"].to_numpy(float)[sel]
    cap = P["capacity"].to_numpy(float)[p]
    direct = float(np.sum(np.where(load > 0, cap / np.maximum(load, 1e-12), np.inf))) if len(p) else 0.0
    kinds = P["kind"].to_numpy()[p]
    nm = P["n_members"].to_numpy()[p]
    counts = {k: int(nm[kinds == k].sum()) for k in ("social_worker", "volunteer", "organization", "charity") if np.any(kinds == k)}
    program = 0.0
    y = form.model.var("y")
    if y.size:
        pl = y.index
        here = np.flatnonzero((pl["u"].to_numpy() == u) & (pl["category"].to_numpy() == cat))
        if len(here):
            inst = pl["ymax"].to_numpy(float)[here]
            inst = np.minimum(inst, P["capacity"].to_numpy(float)[pl["p"].to_numpy()[here]])
            party = float(sc.units["party_capacity"].iat[u])
            if sc.config.rules.party_capacity.enabled and np.isfinite(party):
                inst = np.minimum(inst, party)
            program = float(np.sum(inst * pl["output"].to_numpy(float)[here]))
            counts["program"] = len(here)
    attainable = q * attainable_frac
    return NeedShort(str(N["need_id"].iat[n]), str(N["unit_id"].iat[n]), str(sc.units["name"].iat[u]), cat,
                     sc.config.categories[cat].unit, q, attainable, q - attainable, direct, program, counts)


def _rule_variants(form: Formulation) -> dict[str, Config]:
    """Per active rule (linkage_opt.rules), the config with that rule switched off."""
    cfg = form.scenario.config
    r = cfg.rules
    out = {}
    for rule in active_rules(cfg):
        off = getattr(r, rule.KEY).model_copy(update={"enabled": False})
        out[rule.KEY] = cfg.model_copy(update={"rules": r.model_copy(update={rule.KEY: off})})
    return out


def diagnose(form: Formulation, backend_name: str, options: SolverOptions) -> Diagnosis:
    backend = get_backend(backend_name)
    deadline = call_deadline(options, time.monotonic())
    opts = SolverOptions(mip_gap=1e-6, threads=options.threads, seed=options.seed, deadline=deadline)

    def time_for(what: str) -> bool:
        left = seconds_left(deadline)
        if left is None or left >= MIN_SOLVE_SECONDS:
            return True
        if NO_TIME.format(what=what) not in notes:
            notes.append(NO_TIME.format(what=what))
            notes_zh.append(f"时间限制已用尽，未能{NO_TIME_ZH[what]}：请提高 solver.time_limit 以得到完整诊断")
        return False

    notes: list[str] = []
    notes_zh: list[str] = []
    if not time_for("find the cheapest relaxation"):
        return Diagnosis([], [], [], minimal=False, notes=notes, notes_zh=notes_zh)
    prob, needs, rows = elastic_problem(form)
    res = backend.solve(prob, opts)
    if not res.has_solution:
        return Diagnosis([], [], ["the solver could not solve the relaxation: " + res.message], minimal=False)
    e = res.x[form.model.n_cols:]
    short = np.flatnonzero(e > 1e-6)
    relaxation = [_describe(form, int(needs[i]), 1.0 - float(e[i])) for i in short]
    base_short = float(res.objective)

    # rules whose removal reduces the shortfall
    rules_involved, rules_zh = [], []
    cfg = form.scenario.config
    for key, variant_cfg in _rule_variants(form).items():
        if not time_for("try the linkage rules one by one"):
            break
        variant = build(form.scenario.replace(config=variant_cfg))
        vres = backend.solve(elastic_problem(variant)[0], opts)
        if vres.has_solution and vres.objective < base_short - 1e-7 * max(1.0, base_short):
            rules_involved.append(rule_text(BY_KEY[key], "conflict", cfg, "en"))
            rules_zh.append(rule_text(BY_KEY[key], "conflict", cfg, "zh"))

    # candidates: the short guarantees and guaranteed needs competing for the same providers
    xn, xp = form.edges["n"].to_numpy(), form.edges["p"].to_numpy()
    short_needs = needs[short]
    shared_p = np.unique(xp[np.isin(xn, short_needs)])
    competitors = np.unique(xn[np.isin(xp, shared_p)])
    cand_mask = np.isin(needs, short_needs) | np.isin(needs, competitors)
    cand = np.flatnonzero(cand_mask)
    # the filter needs an infeasible start: competition can also run through chains of providers
    minimal = (len(cand) <= MAX_FILTER and time_for("find a minimal set of conflicting guarantees")
               and _feasible_with(form, rows[cand], rows, backend, opts) is False)
    if minimal:
        # deletion filter: try dropping competitors first, then the short ones
        order = sorted(cand, key=lambda i: (i in set(short), int(needs[i])))
        keep = list(order)
        for i in order:
            trial = [j for j in keep if j != i]
            feasible = _feasible_with(form, rows[trial], rows, backend, opts) if time_for(
                "find a minimal set of conflicting guarantees") else None
            if feasible is None:      # not known in time: the set so far is not shown to be minimal
                minimal = False
                break
            if not feasible:
                keep = trial
        conflict_idx = keep if minimal else list(short)
    else:
        conflict_idx = list(short)
    conflict = [_describe(form, int(needs[i]), 1.0 - float(e[i])) for i in sorted(conflict_idx)]
    return Diagnosis(conflict, relaxation, rules_involved, minimal, rules_zh, notes, notes_zh)
