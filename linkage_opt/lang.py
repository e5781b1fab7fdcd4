"""Languages of what linkage-opt writes for people: CLI messages, workbook headers, the HTML report.

The words themselves live in the gettext catalog (``linkage_opt/locale/zh/LC_MESSAGES/linkage_opt.po``; English
is the message id, see :mod:`linkage_opt.i18n`); this module holds the helpers the outputs share and the
tables of codes (column names, tiers, kinds, statuses) marked with ``N_`` whose words are looked up where
they are shown. The language comes from ``--lang`` or, failing that, the ``LINKAGE_OPT_LANG`` environment
variable (``en`` when neither is set). Machine-read files (CSV headers, ``summary.json`` keys) stay in
English so that scripts and ``linkage-opt check`` read every plan the same way.

    >>> t("Plan written to [bold]{path}[/]", "zh", path="plans/x")
    '方案已写入 [bold]plans/x[/]'
"""

from __future__ import annotations

import functools

from .i18n import DEFAULT, ENV, LANGS, MISSES, N_, Msg, fmt, ngettext, render, resolve
from .i18n import _ as gettext

__all__ = ["DEFAULT", "ENV", "LANGS", "MISSES", "N_", "Msg", "Plural", "gettext", "ngettext", "render", "resolve", "t"]


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a counted noun (``{n} unit`` / ``{n} units``) for extraction only."""
    return (singular, plural)


class Plural(Msg):
    """A counted message rendered later (``ngettext`` in the reader's language): ``Plural(Nn_("{n} unit",
    "{n} units"), 3)`` reads as ``3 units`` and renders as ``3 个单位``; ``n`` is also a parameter."""

    forms: tuple[str, str]

    def __new__(cls, forms: tuple[str, str], n: int, /, **params):
        params = {"n": n, **params}
        self = str.__new__(cls, fmt(forms[0] if n == 1 else forms[1], params, "en"))
        self.msgid = forms[0]
        self.params = params
        self.forms = (forms[0], forms[1])
        return self

    def render(self, lang: str | None = None) -> str:
        lang = resolve(lang)
        if lang == "en":
            return str.__str__(self)
        return fmt(ngettext(*self.forms, self.params["n"], lang), self.params, lang)

    def __reduce__(self):
        params = dict(self.params)
        n = params.pop("n")
        return (_plural, (type(self), self.forms, n, params))


def _plural(cls, forms, n, params):
    return cls(forms, n, **params)


def C_(context: str, msgid: str) -> tuple[str, str]:
    """Marks ``msgid`` in ``context`` (one English word, two translations) for extraction only."""
    return (context, msgid)


def t(msgid: str, lang: str | None = None, /, *, context: str | None = None, **kw) -> str:
    """The message ``msgid`` (its English text) in ``lang``, formatted with ``kw``."""
    lang = resolve(lang)
    text = msgid
    if lang != "en":
        from .i18n import _catalog

        key = f"{context}\x04{msgid}" if context else msgid
        text = _catalog(lang).get(key) or gettext(msgid, lang)
    return text.format(**{k: render(v, lang) if isinstance(v, Msg) else v for k, v in kw.items()}) if kw else text


def tr(entry: str | tuple[str, str], lang: str | None = None, /, **kw) -> str:
    """A word of a table marked with ``N_`` (a message id) or ``C_`` (a context and a message id) in ``lang``,
    formatted with ``kw``: the tables of the report, the sheets and comparisons."""
    if isinstance(entry, tuple):
        return t(entry[1], lang, context=entry[0], **kw)
    return t(entry, lang, **kw)


def label(family: str, code: object, lang: str | None = None, fallback: str | None = None) -> str:
    """The word for ``code`` in a family of codes (``status``, ``stage``, ``metric``, ...) in ``lang``; the
    ``fallback`` (else the code itself) when the code is unknown (a new status, say)."""
    entry = LABELS.get(family, {}).get(str(code))
    if entry is None:
        return fallback if fallback is not None else str(code)
    if isinstance(entry, tuple):
        return t(entry[1], lang, context=entry[0])
    return t(entry, lang)


def t_or(key: str, fallback: str, lang: str | None = None) -> str:
    """``family.code`` (``status.optimal``) in ``lang``, or ``fallback`` for an unknown code."""
    family, _, code = key.rpartition(".")
    return label(family, code, lang, fallback)


def column(name: str, lang: str | None = None) -> str:
    """A human header for an output column (the machine name when none is known)."""
    entry = COLUMNS.get(name)
    return gettext(entry, lang) if entry else name


def category_label(config, category: str, lang: str | None = None) -> str:
    """A category's name as planners know it: ``label`` (Chinese) or ``label_en`` from the config."""
    cat = getattr(config, "categories", {}).get(category)
    if cat is None:
        return category
    if resolve(lang) == "zh":
        return getattr(cat, "label", None) or category
    return getattr(cat, "label_en", None) or category


def uom(name: str, lang: str | None = None) -> str:
    """A unit of measure (``hours``) in ``lang``."""
    if resolve(lang) == "en" or name not in UOMS:
        return name
    return t(name, lang, context="uom")


def tier(name: str, lang: str | None = None) -> str:
    entry = TIER_LABELS.get(name)
    return gettext(entry, lang) if entry else name


def kind(name: str, lang: str | None = None) -> str:
    entry = KIND_LABELS.get(name)
    return gettext(entry, lang) if entry else name


def plural(count: int, word: str, lang: str | None = None) -> str:
    """``3 units`` in English, ``3 个单位`` in Chinese (``word`` names an entry of :data:`PLURALS`)."""
    one, many = PLURALS[word]
    return ngettext(one, many, count, lang).format(n=f"{count:,}")


def problem_str(problem, lang: str | None = None) -> str:
    """One input problem in ``lang``: location, message, value and hint (see ``Problem.render``)."""
    return problem.render(lang)


def reflow(text: str) -> str:
    """``text`` with the line breaks inside each paragraph joined, so that ``--help`` wraps it at the
    terminal's width instead of breaking where the docstring's source lines end. Paragraphs are separated by
    blank lines; one whose lines are a list or indented (examples) is kept as it is."""
    paragraphs = text.split("\n\n")
    out = []
    for para in paragraphs:
        lines = para.split("\n")
        keep = para.startswith("\b") or any(line[:1] in (" ", "-", "*", "•", "\t") for line in lines[1:])
        if keep:
            out.append(para)
            continue
        joined = ""
        for line in (x.strip() for x in lines if x.strip()):
            # Chinese runs on without a space; other scripts are joined by one
            joined += line if not joined or _cjk(joined[-1]) or _cjk(line[0]) else " " + line
        out.append(joined)
    return "\n\n".join(out)


def _cjk(ch: str) -> bool:
    return 0x3000 <= ord(ch) <= 0x9FFF or 0xFF00 <= ord(ch) <= 0xFFEF


def help_text(text: str | None, lang: str | None = None) -> str | None:
    """A command's or option's ``--help`` text in ``lang``, reflowed (:func:`reflow`); as it is when the
    catalog has none (tests check that every help text of the CLI is in the catalog). The catalog is looked
    up by the text as written and as reflowed (the same command objects may be shown in both languages)."""
    if not text:
        return text
    lang = resolve(lang)
    if lang == "en":
        return reflow(text)
    from .i18n import _catalog

    catalog = _catalog(lang)
    found = catalog.get(text)
    if found is None:
        found = _reflowed_catalog(lang).get(reflow(text))
    return reflow(found) if found is not None else text


@functools.cache
def _reflowed_catalog(lang: str) -> dict[str, str]:
    from .i18n import _catalog

    return {reflow(k): v for k, v in _catalog(lang).items() if isinstance(k, str) and k and isinstance(v, str)}


def help_zh(text: str | None) -> str | None:
    return help_text(text, "zh")


COLUMNS: dict[str, str] = {
    "provider_kind": N_("Provider kind"),
    "provider_id": N_("Provider"),
    "provider_name": N_("Provider name"),
    "unit_id": N_("Unit ID"),
    "unit_name": N_("Unit"),
    "town": N_("Town"),
    "category": N_("Category"),
    "category_label": N_("Category name"),
    "need_id": N_("Need ID"),
    "program_id": N_("Program"),
    "org_id": N_("Organization"),
    "quantity": N_("Quantity"),
    "load": N_("Capacity used"),
    "cost": N_("Cost (yuan)"),
    "tier": N_("Tier"),
    "need": N_("Need"),
    "covered": N_("Covered"),
    "unmet": N_("Unmet"),
    "coverage_ratio": N_("Coverage ratio"),
    "weight": N_("Weight"),
    "priority": N_("Priority"),
    "capacity": N_("Capacity"),
    "used": N_("Used"),
    "utilization": N_("Utilisation"),
    "fixed_cost": N_("Fixed cost (yuan)"),
    "instances": N_("Instances"),
    "output": N_("Output"),
    "delivered": N_("Delivered"),
    "reason_code": N_("Reason code"),
    "reason": N_("Why"),
    "metric": N_("Metric"),
    "value": N_("Value"),
    "optimized": N_("Optimized plan"),
    "baseline": N_("Rule of thumb"),
}

TIER_LABELS: dict[str, str] = {
    "guaranteed": N_("guaranteed"),
    "basic": N_("basic"),
    "improvement": N_("improvement"),
}

KIND_LABELS: dict[str, str] = {
    "social_worker": N_("social worker"),
    "volunteer": N_("volunteer"),
    "organization": N_("organization"),
    "program": N_("program"),
    "charity": N_("charity lot"),
    "budget": N_("district budget"),
    "community": N_("community"),
    "village": N_("village"),
    "funds": N_("funds"),
    "goods": N_("goods"),
}

# Units of measure, translated in the context "uom" ("hours" is 小时 here, 时长 as a table header).
_UOMS = (
    C_("uom", "hours"),
    C_("uom", "yuan"),
    C_("uom", "items"),
    C_("uom", "households"),
    C_("uom", "persons"),
    C_("uom", "sessions"),
    C_("uom", "packages"),
    C_("uom", "cases"),
)
UOMS = tuple(u for _, u in _UOMS)

# Counted nouns: ngettext's singular and plural, with the count as {n}.
PLURALS: dict[str, tuple[str, str]] = {
    "unit": Nn_("{n} unit", "{n} units"),
    "community": Nn_("{n} community", "{n} communities"),
    "village": Nn_("{n} village", "{n} villages"),
    "row": Nn_("{n} row", "{n} rows"),
    "lot": Nn_("{n} lot", "{n} lots"),
    "provider": Nn_("{n} provider", "{n} providers"),
    "reach_row": Nn_("{n} explicit provider-unit row", "{n} explicit provider-unit rows"),
}

# Families of codes shown as words: a solve's status and stages, metrics, the CLI's table headers.
LABELS: dict[str, dict[str, str | tuple[str, str]]] = {
    "status": {
        "optimal": N_("optimal"),
        "feasible": N_("feasible (time limit; see gap)"),
        "infeasible": N_("infeasible"),
        "failed": N_("failed"),
        "not run": N_("not run"),
    },
    "stage": {
        "coverage": N_("coverage"),
        "equity": N_("equity"),
        "cost": N_("cost"),
        "weighted": N_("weighted"),
    },
    "metric": {
        "weighted_coverage": N_("weighted coverage"),
        "guaranteed_met": N_("guaranteed needs met"),
        "guaranteed_needs": N_("guaranteed needs"),
        "units_below_equity_floor": N_("units below equity floor"),
        "min_unit_ratio": N_("lowest unit coverage ratio"),
        "idle_hours": N_("idle volunteer/worker hours"),
        "unmet_need_rows": N_("needs not fully met"),
        "money": N_("money spent (yuan)"),
        "status": N_("status"),
    },
    "explain": {
        "unit": C_("explain.unit", "unit"),
        "category": N_("category"),
        "tier": N_("tier"),
        "unmet_need": N_("unmet / need"),
        "why": N_("why"),
        "group": N_("group"),
        "members": N_("members"),
        "per": N_("per extra"),
        "effect": N_("effect"),
    },
    "sweep.col": {
        "variant": N_("#"),
        "changes": N_("changes"),
        "status": C_("sweep.col.status", "status"),
        "coverage": N_("weighted coverage"),
        "rule": N_("rule of thumb"),
        "min_ratio": N_("lowest unit"),
        "guaranteed": N_("guaranteed met"),
        "money": N_("money (yuan)"),
        "gap": N_("gap"),
        "seconds": N_("s"),
    },
    "ahp": {
        "lambda_max": N_("lambda_max"),
        "consistency index CI": N_("consistency index CI"),
        "random index RI": N_("random index RI"),
        "consistency ratio CR": N_("consistency ratio CR"),
    },
    "runs.col": {
        "run": N_("run"),
        "state": N_("state"),
        "started": N_("started"),
        "exit": N_("exit"),
        "inputs": N_("inputs"),
        "message": N_("message"),
    },
    "diff.cov": {
        "0": C_("diff.cov.0", "unit"),
        "1": N_("category"),
        "2": N_("need A→B"),
        "3": N_("covered A"),
        "4": N_("covered B"),
        "5": N_("Δ covered"),
        "6": N_("ratio A→B"),
    },
    "diff.prov": {
        "0": N_("kind"),
        "1": N_("provider"),
        "2": N_("capacity"),
        "3": N_("used A"),
        "4": N_("used B"),
        "5": N_("Δ used"),
    },
}

# Typer's and Click's own words in --help (rich_utils' constants, replaced while Chinese help is shown).
TYPER_PANELS: dict[str, str] = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}


def typer_panels(lang: str | None = None) -> dict[str, str]:
    """Typer's panel titles and markers in ``lang``."""
    return {k: gettext(v, lang) for k, v in TYPER_PANELS.items()}


# Units of measure in Chinese, for the modules that still build Chinese text themselves (explain, diagnose).
UOM_ZH = {u: t(u, "zh", context="uom") for u in UOMS}
