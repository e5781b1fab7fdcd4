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
from ..i18n import N_, ByLang, Cat, Msg, join
from ..inputs.config import Config
from ..lang import LANGS, Nn_, Plural, uom
from ..model.formulation import Formulation, build
from ..rules import BY_KEY, active_rules
from ..rules import msg as rule_msg
from ..solvers import SolverOptions, Status, get_backend
from ..solvers.base import MipProblem, call_deadline, seconds_left

MAX_FILTER = 40  # guarantees tested one by one in the deletion filter
MIN_SOLVE_SECONDS = 0.5  # a step of the diagnosis is not started with less of the time limit left
NO_TIME = N_("the time limit left no time to {what}: raise solver.time_limit for a full diagnosis")
STEPS = {  # the steps of the diagnosis, as NO_TIME names them
    "relaxation": N_("find the cheapest relaxation"),
    "rules": N_("try the linkage rules one by one"),
    "conflict": N_("find a minimal set of conflicting guarantees"),
}
# Eligible providers counted by kind, in the user's words.
PROVIDERS = {
    "social_worker": Nn_("{n} social worker", "{n} social workers"),
    "volunteer": Nn_("{n} volunteer", "{n} volunteers"),
    "organization": Nn_("{n} organization", "{n} organizations"),
    "charity": Nn_("{n} charity", "{n} charities"),
    "program": Nn_("{n} program", "{n} programs"),
}


def _uom(name: str) -> Msg:
    """A category's unit of measure (``hours``) in each language (the catalog's word in the context ``uom``)."""
    return ByLang({lang: uom(name, lang) for lang in LANGS})


def _listing(items: list[Msg]) -> Msg:
    """Counted nouns one after the other (``3 volunteers, 1 organization``; ``、`` in Chinese)."""
    out = items[0]
    for item in items[1:]:
        out = Msg("{list}, {item}", list=out, item=item)
    return out


def _bullet(text: Msg) -> Msg:
    return Cat("  - ", text)


@dataclass
class NeedShort:
    need_id: str
    unit_id: str
    unit_name: str
    category: str
    unit_of_measure: str
    required: float
    attainable: float  # what can be provided in the cheapest relaxation
    shortfall: float
    direct_capacity: float  # need the eligible providers could serve if each served only this need
    program_capacity: float  # need the eligible programs could serve (instances capped by org and party branch)
    eligible_providers: dict  # kind -> count

    def msg(self) -> Msg:
        """The guarantee, what can be provided and who could provide it, as a message."""
        u = _uom(self.unit_of_measure)
        prov = [Plural(PROVIDERS[k], n) for k, n in self.eligible_providers.items() if k != "program"]
        parts: list[Msg] = [
            Msg(
                "{amount} {uom} from {providers}", amount=fmt_qty(self.direct_capacity), uom=u, providers=_listing(prov)
            )
            if prov
            else Msg("no eligible provider within reach")
        ]
        if self.eligible_providers.get("program"):
            parts.append(
                Msg(
                    "up to {amount} {uom} from {programs}",
                    amount=fmt_qty(self.program_capacity),
                    uom=u,
                    programs=Plural(PROVIDERS["program"], self.eligible_providers["program"]),
                )
            )
        return Msg(
            "unit {unit} ({unit_id}), {category}: {required} {uom} guaranteed, at most {attainable} {uom} "
            "can be provided (eligible within reach: {within})",
            unit=self.unit_name,
            unit_id=self.unit_id,
            category=self.category,
            required=fmt_qty(self.required),
            attainable=fmt_qty(self.attainable),
            uom=u,
            within=join(parts),
        )

    def text(self, lang: str = "en") -> str:
        return self.msg().render(lang)


@dataclass
class Diagnosis:
    conflict: list[NeedShort]  # irreducible set of guarantees (when minimal=True)
    relaxation: list[NeedShort]  # cheapest relaxation: guarantees to lower and by how much
    rules: list[str] = field(default_factory=list)  # messages (Msg): the rules in the conflict
    minimal: bool = True
    notes: list[str] = field(default_factory=list)  # messages (Msg): what the diagnosis could not do

    def msg(self) -> Msg:
        """The whole diagnosis, one line after the other, as a message rendered in the reader's language."""
        if not self.conflict and not self.relaxation:  # the diagnosis could not run (time) or failed
            lines = [Msg("Guaranteed needs cannot all be met (the solver proved that no plan meets them all).")]
            lines += [_bullet(_as_msg(r)) for r in self.rules]
            lines += [Msg("Note: {note}", note=_as_msg(t)) for t in self.notes]
            return _lines(lines)
        lines = [
            Msg(
                "Guaranteed needs cannot all be met. These requirements conflict (an irreducible set: drop any "
                "one and the rest can be met):"
            )
            if self.minimal
            else Msg("Guaranteed needs cannot all be met. These requirements conflict:")
        ]
        lines += [_bullet(n.msg()) for n in self.conflict]
        if self.rules:
            lines.append(Cat("  ", Plural(Nn_("together with the rule:", "together with the rules:"), len(self.rules))))
            lines += [_bullet(_as_msg(r)) for r in self.rules]
        lines.append(Msg("Cheapest relaxation (what would make the plan feasible):"))
        for n in self.relaxation:
            lines.append(
                _bullet(
                    Msg(
                        "lower the guarantee of {unit} ({unit_id}) {category} by {shortfall} {uom} (to {attainable}), or add "
                        "that much eligible capacity within reach",
                        unit=n.unit_name,
                        unit_id=n.unit_id,
                        category=n.category,
                        shortfall=fmt_qty(n.shortfall),
                        uom=_uom(n.unit_of_measure),
                        attainable=fmt_qty(n.attainable),
                    )
                )
            )
        lines += [Msg("Note: {note}", note=_as_msg(t)) for t in self.notes]
        return _lines(lines)

    def message(self, lang: str = "en") -> str:
        return self.msg().render(lang)

    def as_dict(self) -> dict:
        return {
            "conflict": [asdict(n) for n in self.conflict],
            "relaxation": [asdict(n) for n in self.relaxation],
            "rules": [str(r) for r in self.rules],
            "minimal": self.minimal,
            "notes": [str(t) for t in self.notes],
        }


def _as_msg(text: str) -> Msg:
    """A rule or a note: a message already, or a plain value shown as it is."""
    return text if isinstance(text, Msg) else Msg("{text}", text=text)


def _lines(lines: list[Msg]) -> Msg:
    parts: list[str] = []
    for line in lines:
        parts += ["\n", line] if parts else [line]
    return Cat(*parts)


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
    prob = MipProblem(
        c=c,
        A=A2,
        row_lo=lo,
        row_hi=hi,
        col_lo=np.concatenate([lb, np.zeros(len(rows))]),
        col_hi=np.concatenate([ub, np.ones(len(rows))]),
        integrality=np.concatenate([m.integrality(), np.zeros(len(rows), bool)]),
        sense="min",
    )
    return prob, needs, rows


def _feasible_with(form: Formulation, keep_rows: np.ndarray, all_rows: np.ndarray, backend, options) -> bool | None:
    """Is the model feasible when only the guarantees on ``keep_rows`` are enforced? None: not known (time)."""
    m = form.model
    lo, hi = m.row_bounds()
    lo = lo.copy()
    lo[all_rows] = 0.0
    lo[keep_rows] = 1.0
    lb, ub = m.bounds()
    prob = MipProblem(
        c=np.zeros(m.n_cols),
        A=m.matrix(),
        row_lo=lo,
        row_hi=hi,
        col_lo=lb,
        col_hi=ub,
        integrality=m.integrality(),
        sense="min",
    )
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
    counts = {
        k: int(nm[kinds == k].sum())
        for k in ("social_worker", "volunteer", "organization", "charity")
        if np.any(kinds == k)
    }
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
    return NeedShort(
        str(N["need_id"].iat[n]),
        str(N["unit_id"].iat[n]),
        str(sc.units["name"].iat[u]),
        cat,
        sc.config.categories[cat].unit,
        q,
        attainable,
        q - attainable,
        direct,
        program,
        counts,
    )


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

    def time_for(step: str) -> bool:
        left = seconds_left(deadline)
        if left is None or left >= MIN_SOLVE_SECONDS:
            return True
        note = Msg(NO_TIME, what=Msg(STEPS[step]))
        if note not in notes:
            notes.append(note)
        return False

    notes: list[str] = []
    if not time_for("relaxation"):
        return Diagnosis([], [], [], minimal=False, notes=notes)
    prob, needs, rows = elastic_problem(form)
    res = backend.solve(prob, opts)
    if not res.has_solution:
        return Diagnosis(
            [], [], [Msg("the solver could not solve the relaxation: {message}", message=res.message)], minimal=False
        )
    e = res.x[form.model.n_cols :]
    short = np.flatnonzero(e > 1e-6)
    relaxation = [_describe(form, int(needs[i]), 1.0 - float(e[i])) for i in short]
    base_short = float(res.objective)

    # rules whose removal reduces the shortfall
    rules_involved: list[str] = []
    cfg = form.scenario.config
    for key, variant_cfg in _rule_variants(form).items():
        if not time_for("rules"):
            break
        variant = build(form.scenario.replace(config=variant_cfg))
        vres = backend.solve(elastic_problem(variant)[0], opts)
        if vres.has_solution and vres.objective < base_short - 1e-7 * max(1.0, base_short):
            rules_involved.append(rule_msg(BY_KEY[key], "conflict", cfg))

    # candidates: the short guarantees and guaranteed needs competing for the same providers
    xn, xp = form.edges["n"].to_numpy(), form.edges["p"].to_numpy()
    short_needs = needs[short]
    shared_p = np.unique(xp[np.isin(xn, short_needs)])
    competitors = np.unique(xn[np.isin(xp, shared_p)])
    cand_mask = np.isin(needs, short_needs) | np.isin(needs, competitors)
    cand = np.flatnonzero(cand_mask)
    # the filter needs an infeasible start: competition can also run through chains of providers
    minimal = (
        len(cand) <= MAX_FILTER
        and time_for("conflict")
        and _feasible_with(form, rows[cand], rows, backend, opts) is False
    )
    if minimal:
        # deletion filter: try dropping competitors first, then the short ones
        order = sorted(cand, key=lambda i: (i in set(short), int(needs[i])))
        keep = list(order)
        for i in order:
            trial = [j for j in keep if j != i]
            feasible = _feasible_with(form, rows[trial], rows, backend, opts) if time_for("conflict") else None
            if feasible is None:  # not known in time: the set so far is not shown to be minimal
                minimal = False
                break
            if not feasible:
                keep = trial
        conflict_idx = keep if minimal else list(short)
    else:
        conflict_idx = list(short)
    conflict = [_describe(form, int(needs[i]), 1.0 - float(e[i])) for i in sorted(conflict_idx)]
    return Diagnosis(conflict, relaxation, rules_involved, minimal, notes)
