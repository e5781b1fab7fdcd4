"""The ``linkage-opt`` command line. Thin: parse options, call the library, print, map errors to exit codes.

Exit codes: 0 optimal, 1 feasible with a gap (time limit), 2 bad input, 3 infeasible, 4 solver or internal error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from typer.core import TyperGroup

from .. import lang as L
from .._clock import IMPORTED_AT
from .._version import __version__
from ..errors import Problem, ValidationError, fmt_qty
from ..i18n import N_, Msg, plain
from . import common as _common

EPILOG = (
    "Examples:\n\n"
    "  linkage-opt validate configs/zhugen.yaml\n\n"
    "  linkage-opt plan configs/zhugen.yaml --out plans/zhugen\n\n"
    "  linkage-opt plan configs/zhugen.yaml --out plans/zhugen --backend cbc --time-limit 30"
)


class LocalisedGroup(TyperGroup):
    """The root command group: with ``--lang zh`` (or LINKAGE_OPT_LANG=zh) every --help is in Chinese.

    The language is read from the raw arguments before they are parsed, so ``--help`` (which is printed
    while parsing) is already translated; the help texts are translated by the gettext catalog (:mod:`linkage_opt.i18n`).
    """

    def parse_args(self, ctx, args):
        import typer.rich_utils as ru

        _common.state["root"] = ""  # a new invocation (tests run many in one process)
        lang = _peek_lang(args) or "en"
        for name, text in L.typer_panels(lang).items():  # process-wide strings of typer: set both ways
            setattr(ru, name, text if lang != "en" else _TYPER_PANELS_EN[name])
        localise_help(self, lang)  # in English too: the docstrings' line breaks are reflowed
        return super().parse_args(ctx, args)


def _foldable_help() -> None:
    """The commands and options panels of ``--help`` crop a line they cannot break at a space with "…";
    Chinese has no spaces, so a description was cut at 80 columns. Their texts are made to fold (break
    anywhere) instead: Chinese wraps at the terminal's width, English (whose words are short) is unchanged."""
    import typer.rich_utils as ru
    from rich.text import Text

    def fold(out):
        for part in [out, *getattr(out, "renderables", [])]:  # a Text, or the Columns of an option's help
            if isinstance(part, Text):
                part.overflow = "fold"
        return out

    for name in ("_make_command_help", "_get_parameter_help"):
        make = getattr(ru, name)
        if not getattr(make, "folds", False):

            def folding(*args, _make=make, **kwargs):
                return fold(_make(*args, **kwargs))

            folding.folds = True  # type: ignore[attr-defined]
            setattr(ru, name, folding)


_foldable_help()


def _typer_panels_en() -> dict:
    import typer.rich_utils as ru

    return {name: getattr(ru, name) for name in L.TYPER_PANELS}


_TYPER_PANELS_EN = _typer_panels_en()


def _peek_lang(args) -> str | None:
    value = None
    for i, a in enumerate(args):
        if a == "--lang" and i + 1 < len(args):
            value = args[i + 1]
        elif a.startswith("--lang="):
            value = a.split("=", 1)[1]
    try:
        return L.resolve(value)
    except ValueError:
        return None


def localise_help(command, lang: str = "zh") -> None:
    """Translate the help texts of ``command`` and everything under it (the click objects of this call)."""
    command.help = L.help_text(command.help, lang)
    if getattr(command, "short_help", None):
        command.short_help = L.help_text(command.short_help, lang)
    if getattr(command, "epilog", None):
        command.epilog = L.help_text(command.epilog, lang)
    for p in command.params:
        if getattr(p, "help", None):
            p.help = L.help_text(p.help, lang)
    original = command.get_help_option

    def get_help_option(ctx, _original=original):  # --help itself is made on demand
        opt = _original(ctx)
        if opt is not None and getattr(opt, "help", None):
            opt.help = L.help_text(opt.help, lang)
        return opt

    command.get_help_option = get_help_option
    for sub in (getattr(command, "commands", None) or {}).values():
        localise_help(sub, lang)


app = typer.Typer(
    cls=LocalisedGroup,
    name="linkage-opt",
    help="Plan how a district's social resources reach its communities and villages (五社联动).",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

console = Console()
err_console = Console(stderr=True)

# The language of this invocation's messages: shared with linkage_opt.cli.runs (linkage_opt.cli.common).
_state = _common.state

REDACT_HELP = (
    "Write the action sheets (plan.xlsx, sheets.html, sheets.pdf) without the personal columns "
    "named by the config's privacy.personal: a plan to share."
)
LANG_HELP = "Language of messages, workbook and report: en or zh (default $LINKAGE_OPT_LANG, else en)."


# --lang, declared once (the root callback and every command): `lang: LangOpt = None`
LangOpt = Annotated[str | None, typer.Option("--lang", help=LANG_HELP, show_default=False)]


def set_lang(value: str | None) -> str:
    """Fix this invocation's language; a bad value is a usage error (exit 2)."""
    return _common.set_lang(value, err_console)


T = _common.T
# the steps of writing.attach_outputs, as the status line shows them
PROGRESS = {
    "explaining": "explaining unmet needs",
    "baseline": "computing the rule-of-thumb baseline",
    "workbook": "writing the workbook and report",
    "writing": "writing the plan",
}


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"linkage-opt {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version and exit."),
    ] = None,
    lang: LangOpt = None,
) -> None:
    """linkage-opt: five-community linkage resource planning."""
    if lang is not None:  # `linkage-opt --lang zh plan ...`: every subcommand's default
        _common.set_root_lang(lang, err_console)


def report_error(exc: BaseException) -> int:
    """Print an error the user can act on; return the exit code. Never a traceback for our own errors."""
    return _common.report_error(exc, err_console)


def print_warnings(scenario) -> None:
    """The scenario's warnings (a lapsed lot, a hidden sheet read): on stderr, located like input problems."""
    from ..inputs.scenario import scenario_warnings

    for p in scenario_warnings(scenario):
        err_console.print(
            f"[yellow]{T('warning:')}[/] " + L.problem_str(p, _state["lang"]), highlight=False, soft_wrap=True
        )


def load_checked(config: Path, **options):
    """The scenario, with the command's solver options checked too: every problem of both in one
    ValidationError (the options first), so that one run of a command lists all there is to fix."""
    from ..inputs.config import solver_option_problems, with_option_problems
    from ..inputs.load import load_scenario

    return with_option_problems(solver_option_problems(**options), lambda: load_scenario(config))


# every command: errors as messages and exit codes (linkage_opt.cli.common.guard)
guarded = _common.guard(lambda: err_console, N_("interrupted; nothing was written"))


@app.command()
@guarded
def validate(config: Annotated[Path, typer.Argument(help="Scenario config YAML.")], lang: LangOpt = None) -> int:
    """Load and check a scenario; print what was loaded. Exit 2 with every problem listed if anything is wrong."""
    set_lang(lang)

    from ..analysis.summary import print_summary
    from ..inputs.load import load_scenario

    scenario = load_scenario(config)
    print_summary(scenario, console, _state["lang"])
    print_warnings(scenario)
    console.print(T("[green]OK[/]: the scenario is valid."))
    return 0


def _print_plan(plan, out: Path | None) -> None:
    _common.print_plan(plan, out, console)


def _exit_code_for(status: str) -> int:
    return 0 if status == "optimal" else 1


@app.command()
@guarded
def plan(
    config: Annotated[Path, typer.Argument(help="Scenario config YAML.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for the plan (default plans/<config name>).")
    ] = None,
    backend: Annotated[str | None, typer.Option(help="Solver backend: highs (default), cbc, scip, cpsat.")] = None,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Seconds for the whole solve.")] = None,
    mip_gap: Annotated[float | None, typer.Option("--mip-gap", help="Relative MIP gap, e.g. 0.001.")] = None,
    threads: Annotated[int | None, typer.Option(help="Solver threads.")] = None,
    seed: Annotated[int | None, typer.Option(help="Solver random seed.")] = None,
    solver_log: Annotated[bool, typer.Option("--solver-log", help="Show the solver's own log.")] = False,
    baseline: Annotated[
        bool, typer.Option("--baseline", help="Also compute the rule-of-thumb plan and compare.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an --out folder that is not a linkage-opt plan.")
    ] = False,
    redact: Annotated[bool, typer.Option("--redact", help=REDACT_HELP)] = False,
    decompose: Annotated[
        str | None,
        typer.Option(
            "--decompose",
            help="Plan the parts of a units column (town, "
            "county, ...) separately on Dask and merge them (docs/model.md).",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="With --decompose: a Dask scheduler address "
            "(tcp://host:8786); default a local cluster of --workers processes.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="With --decompose: local worker processes (default 2; 0 = in this process)."),
    ] = None,
    lang: LangOpt = None,
) -> int:
    """Solve a scenario and write the allocation plan (atomically) into --out.

    Exit codes: 0 optimal, 1 feasible with a gap, 2 bad input, 3 infeasible (with the conflicting
    requirements named), 4 solver or internal error. Beside the CSVs and summary.json it writes plan.xlsx
    and report.html in the chosen language.
    """
    set_lang(lang)

    import time

    from ..outdir import check_output_folder
    from ..solving.api import solve

    target = out or Path("plans") / config.stem
    check_output_folder(target)  # a file, FIFO or device is refused, --force or not (nothing opened)
    if target.exists() and not force and any(target.iterdir()) and not (target / "summary.json").exists():
        err_console.print(
            f"[red]{T('error:')}[/] "
            + T("{path} exists and is not a linkage-opt plan; choose another --out or pass --force", path=target),
            highlight=False,
        )
        return 2
    t0 = time.perf_counter()
    with console.status(T("loading scenario")) as status:
        scenario = load_checked(
            config, backend=backend, time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed
        )
        print_warnings(scenario)
        load_s = time.perf_counter() - t0
        result = solve(
            scenario,
            backend=backend,
            time_limit=time_limit,
            mip_gap=mip_gap,
            threads=threads,
            seed=seed,
            log=solver_log or None,
            progress=lambda msg: status.update(L.render(msg, _state["lang"])),
            load_seconds=load_s,
            decompose=decompose,
            scheduler=scheduler,
            workers=workers,
        )
        if decompose:
            return _write_decomposed(result, scenario, target, baseline, status, redact)
        # the one list of outputs (linkage_opt.outputs.writing.attach_outputs), within the time limit's margin,
        # counted from the command's start (the interpreter and the imports are part of the wall)
        result.wall_started = _common.state.get("process_started")
        result.write(
            target,
            desk=True,
            lang=_state["lang"],
            scenario=scenario,
            baseline=baseline,
            redact=redact,
            progress=lambda step: status.update(T(PROGRESS[step])),
        )
    skipped = result.summary.outputs_skipped or []
    for item in skipped:
        why = (
            T(
                "{output} not written: it needs about {estimated_s} s and {left_s} s of the time limit's margin were left; make it with: {later}",
                **item,
            )
            if "estimated_s" in item
            else T(
                "{output} not written: the time limit's margin ran out while it was being made; make it with: {later}",
                **item,
            )
        )
        err_console.print(f"[yellow]{T('warning:')}[/] " + why, highlight=False, soft_wrap=True)
    _print_plan(result, target)
    if baseline and "baseline.json" in result.extras:
        from ..solving.baseline import print_comparison

        print_comparison(result.extras["baseline.json"], console, _state["lang"])
    return _exit_code_for(result.status)


def _write_decomposed(result, scenario, target: Path, baseline: bool, status, redact: bool = False) -> int:
    """A decomposed plan: checked against every rule (linkage_opt.solving.check) before it is written; no marginal
    values (there is no single model) and no rule-of-thumb comparison. Exit 4 when the check fails."""
    import time

    from ..solving.check import check_plan

    status.update("checking the merged plan")
    t0 = time.perf_counter()
    violations = check_plan(scenario, result.tables(), result.summary)
    result.summary.decomposition["check"] = {
        "violations": len(violations),
        "seconds": round(time.perf_counter() - t0, 3),
        "first": [str(v) for v in violations[:20]],
    }
    result.write(
        target,
        desk=True,
        lang=_state["lang"],
        scenario=scenario,
        redact=redact,
        progress=lambda step: status.update(T(PROGRESS[step])),
    )
    _print_plan(result, target)
    d = result.summary.decomposition
    console.print(
        f"decomposed by {d['by']}: {d['parts']} parts on {d['workers']} worker(s); global bound "
        f"{d['bound']:.6f}, gap {result.summary.gap:.3%}; check: {len(violations)} violation(s)",
        highlight=False,
    )
    if baseline:
        console.print("--baseline is not computed for decomposed plans", highlight=False)
    if violations:
        for v in violations[:10]:
            err_console.print(str(v), highlight=False)
        return 4
    return _exit_code_for(result.status)


def _read_plan_dir(plan_dir: Path) -> dict:
    """The files of one version of a plan folder, by the one reader of plan folders (:meth:`Plan.read`):
    ``summary``, the four tables and, when written, ``explanations`` and ``marginal_values``."""
    from ..solving.plan import Plan

    plan = Plan.read(plan_dir)
    out: dict = {"summary": plan.summary, **plan.tables()}
    for name in ("explanations", "marginal_values"):
        if f"{name}.csv" in plan.extras:
            out[name] = plan.extras[f"{name}.csv"]
    return out


@app.command()
@guarded
def explain(
    plan_dir: Annotated[Path, typer.Argument(help="A plan folder written by `linkage-opt plan`.")],
    unit: Annotated[str | None, typer.Option("--unit", help="Only this unit (id or name).")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Only this category.")] = None,
    top: Annotated[int, typer.Option(help="How many marginal values to show.")] = 10,
    lang: LangOpt = None,
) -> int:
    """Why needs are unmet, and what one more hour or yuan would buy (from the model, not guessed)."""
    set_lang(lang)

    from rich.table import Table

    p = _read_plan_dir(plan_dir)
    if "explanations" not in p:
        err_console.print(T("this plan has no explanations.csv; re-run `linkage-opt plan`"), highlight=False)
        return 2
    ex = p["explanations"]
    cov = p["coverage"]
    if unit:
        known = list(dict.fromkeys([*cov["unit_id"].astype(str), *cov["unit_name"].astype(str)]))
        _known_or_exit("--unit", unit, known, "unit")
        ex = ex[(ex["unit_id"] == unit) | (ex["unit_name"] == unit)]
    labels = _category_labels(p.get("summary"))
    units = _category_units(p.get("summary"))
    if category:
        keys = sorted(set(cov["category"].astype(str)))
        by_label = {w: k for k in keys for w in (labels.get(k) or {}).values() if w not in keys}
        key = by_label.get(category, category)  # 养老服务 for elderly_care
        _known_or_exit("--category", key, keys, "category", labels)
        ex = ex[ex["category"] == key]
    from rich.markup import escape

    from ..analysis.explain import example_msg, group_msg, per_word, reason_text

    t = Table(title=T("Unmet needs ({n})", n=len(ex)), title_justify="left", show_lines=False)
    for key in ("unit", "category", "tier", "unmet_need", "why"):
        t.add_column(L.label("explain", key, _state["lang"]), overflow="fold")
    for r in ex.to_dict("records"):
        reason = reason_text(r, _state["lang"])
        t.add_row(
            escape(f"{r['unit_name']} ({r['unit_id']})"),
            escape((labels.get(str(r["category"])) or {}).get(_state["lang"]) or str(r["category"])),
            L.tier(r["tier"], _state["lang"]),
            f"{fmt_qty(r['unmet'])} / " + _common.qty(r["need"], units.get(str(r["category"]), ""), _state["lang"]),
            f"[bold]{r['reason_code']}[/]: {escape(str(reason))}",
        )
    _common.print_table(t, console)
    mv = p.get("marginal_values")
    if mv is not None and len(mv):
        mv = mv[_effect(mv) >= 0.0005]  # no rows of effect 0.000
        if not len(mv):
            console.print(
                "[bold]"
                + T("Marginal value of more capacity (weighted coverage)")
                + "[/]: "
                + T("no extra hour, yuan or item would raise the weighted coverage"),
                highlight=False,
            )
    if mv is not None and len(mv):
        if unit:
            mv = mv[(mv["home_unit"] == unit) | (mv["unit_name"] == unit) | (mv["provider_kind"] == "budget")]
        t2 = Table(title=T("Marginal value of more capacity (weighted coverage)"), title_justify="left")
        for key in ("group", "members", "per", "effect"):
            t2.add_column(L.label("explain", key, _state["lang"]))
        for r in mv.head(top).to_dict("records"):
            members = (
                _common.qty(r["members"], "persons", _state["lang"])
                if r.get("provider_kind") in ("volunteer", "social_worker")
                else str(r["members"])
            )
            t2.add_row(
                escape(L.render(group_msg(r), _state["lang"])),
                members,
                per_word(str(r["per"]), _state["lang"]),
                escape(L.render(example_msg(r), _state["lang"])),
            )
        _common.print_table(t2, console)
    return 0


def _effect(mv):
    """The effect shown for each marginal-value row, in points of weighted coverage (+10 h, +1,000 yuan...)."""
    import numpy as np

    step = np.where(mv["per"].astype(str) == "yuan", 1000.0, 10.0)
    return mv["coverage_per_unit"].astype(float).to_numpy() * step * 100


def _category_labels(summary: dict | None) -> dict[str, dict[str, str]]:
    """category -> {"zh": label, "en": label_en} from the config the plan records (empty when it cannot be read)."""
    path = (summary or {}).get("config")
    if not path:
        return {}
    try:
        from ..inputs.config import load_config

        cats = load_config(path).categories
    except Exception:  # moved or changed since: the keys alone
        return {}
    return {k: {lang: v for lang, v in (("zh", c.label), ("en", c.label_en)) if v} for k, c in cats.items()}


def _category_units(summary: dict | None) -> dict[str, str]:
    """category -> its unit of measure (``hours``, ``persons``, ...) from the config the plan records."""
    path = (summary or {}).get("config")
    if not path:
        return {}
    try:
        from ..inputs.config import load_config

        return {k: c.unit for k, c in load_config(path).categories.items()}
    except Exception:  # moved or changed since: quantities without their unit
        return {}


def _known_or_exit(
    option: str, value: str, known: list[str], noun: str, labels: dict[str, dict[str, str]] | None = None
) -> None:
    """A value of ``--unit``/``--category`` that the plan does not have: exit 2 with the nearest one, values
    shown in the user's language (a category's label)."""
    if value in known:
        return
    import difflib

    from ..i18n import ByLang

    labels = labels or {}
    words = {k: ByLang({lang: (labels.get(k) or {}).get(lang) or k for lang in L.LANGS}) for k in known}
    close = difflib.get_close_matches(
        value, [*known, *(w.render(lang) for w in words.values() for lang in L.LANGS)], n=1, cutoff=0.4
    )
    guess = next((k for k, w in words.items() if close and close[0] in (k, *(w.render(x) for x in L.LANGS))), None)
    listing = ByLang(
        {
            lang: ", ".join(words[k].render(lang) for k in known[:8]) + (", ..." if len(known) > 8 else "")
            for lang in L.LANGS
        }
    )
    raise ValidationError(
        [
            Problem(
                option,
                None,
                None,
                Msg("no {noun} {value!r} in this plan", noun=Msg(noun), value=value),
                hint=Msg("did you mean {close!r}?", close=words[guess])
                if guess
                else Msg("one of: {listing}", listing=listing),
            )
        ]
    )


@app.command()
@guarded
def check(
    plan_dir: Annotated[Path, typer.Argument(help="A plan folder written by `linkage-opt plan`.")],
    config: Annotated[
        Path | None, typer.Option("--config", help="Scenario config (default: the one recorded in summary.json).")
    ] = None,
    lang: LangOpt = None,
) -> int:
    """Re-check a plan against its scenario independently of the model: exit 0 valid, 1 violations found."""
    set_lang(lang)

    from ..inputs.load import load_scenario
    from ..solving.check import check_plan

    p = _read_plan_dir(plan_dir)
    cfg_path = config or (Path(p["summary"]["config"]) if p["summary"].get("config") else None)
    if cfg_path is None:
        err_console.print(T("give --config: the plan does not record its config"), highlight=False)
        return 2
    scenario = load_scenario(cfg_path)
    tables = {k: p[k] for k in ("allocations", "coverage", "providers", "programs")}
    violations = check_plan(scenario, tables, p["summary"])
    if violations:
        for v in violations:
            err_console.print(f"  - {v}", markup=False, highlight=False)
        err_console.print(T("[red]{n} violation(s)[/]", n=len(violations)))
        return 1
    console.print(
        T(
            "[green]OK[/]: every capacity, reach, skill, earmark, guarantee and rule holds; the summary's objective terms recompute from the tables."
        )
    )
    return 0


@app.command()
@guarded
def whatif(
    config: Annotated[Path, typer.Argument(help="Scenario config YAML.")],
    set_: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="A change, e.g. volunteers.hours*=1.1 or categories.elderly_care.weight=0.4 (repeatable: one variant each).",
        ),
    ],
    combine: Annotated[bool, typer.Option("--combine", help="Also plan all changes together.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the comparison as CSV here.")] = None,
    time_limit: Annotated[float | None, typer.Option("--time-limit")] = None,
    backend: Annotated[str | None, typer.Option()] = None,
    lang: LangOpt = None,
) -> int:
    """Plan variants and tabulate each metric's change against the base plan."""
    set_lang(lang)

    from rich.table import Table

    from ..analysis.whatif import METRICS, run_whatif
    from ..terminal import unit_word

    if out:
        from ..outdir import check_output_file

        check_output_file(out)  # before planning: a FIFO, device or folder is refused
    scenario = load_checked(config, backend=backend, time_limit=time_limit)
    with console.status(T("planning variants")) as status:
        df = run_whatif(
            scenario,
            set_,
            combine=combine,
            progress=lambda m: status.update(L.render(m, _state["lang"])),
            time_limit=time_limit,
            backend=backend,
        )
    print_yardstick(df, scenario)
    t = Table(title=T("What-if: change against the base plan"), title_justify="left")
    t.add_column(T("variant"))
    t.add_column(T("status", context="whatif.status"))
    for key, label, _ in METRICS:
        t.add_column(
            T("weighted score (own weights)")
            if key == "weighted_coverage"
            else L.t_or(f"metric.{key}", label, _state["lang"]),
            justify="right",
        )
    unit_of = {"idle_hours": " " + unit_word("hours", _state["lang"])}  # 12.5 h / 12.5 小时
    for _, r in df.iterrows():
        cells = []
        for key, _, fmt in METRICS:
            if r["status"] == "infeasible" or key not in r or r[key] != r[key]:
                cells.append("-")
            elif r["variant"] == "base":
                cells.append(fmt.format(r[key]) + unit_of.get(key, ""))
            else:
                d = r[f"delta_{key}"]
                cells.append(
                    fmt.format(r[key])
                    + unit_of.get(key, "")
                    + (
                        f" ({'+' if d >= 0 else ''}{fmt.format(d)})"
                        if "%" not in fmt
                        else f" ({d * 100:+.2f} {T('pt')})"
                    )
                )
        t.add_row(
            T("base") if r["variant"] == "base" else str(r["variant"]),
            L.t_or(f"status.{r['status']}", str(r["status"]), _state["lang"]),
            *cells,
        )
    _common.print_table(t, console)
    if out:
        from ..solving.plan import csv_bytes, write_file_atomic

        write_file_atomic(out, csv_bytes(df))  # a FIFO or device is refused, never opened
    return 0


def print_yardstick(df, scenario) -> None:
    """``whatif``'s first table: every variant on the fixed yardstick (measures that do not move with the
    weights), the change against the base in brackets, and each variant's weighted score under its own
    weights as its own row; then the note that explains it."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from ..analysis.compare import text as ctext
    from ..analysis.compare import yardstick_rows
    from ..analysis.whatif import yardstick_of

    lang = _state["lang"]
    sticks = [yardstick_of(r) for r in df.to_dict("records")]
    shown = [(str(v), s) for v, s in zip(df["variant"], sticks) if s is not None]
    if not shown:
        return
    rows = yardstick_rows([s for _, s in shown], lang, lambda c: L.category_label(scenario.config, c, lang))
    t = Table(title=ctext("y.title", lang), title_justify="left", box=box.SIMPLE_HEAD)
    t.add_column(T("figure"), no_wrap=True)
    for name, _ in shown:
        t.add_column(escape(T("base") if name == "base" else name), justify="right", overflow="fold")
    base_is_first = shown[0][0] == "base"
    was = T("base", context="whatif.was")
    for label, cells in rows:
        out = [cells[0]]
        for c in cells[1:]:
            out.append(c if not base_is_first or c == cells[0] else f"{c} [dim]({was} {cells[0]})[/]")
        t.add_row(escape(label), *out)
    _common.print_table(t, console)
    console.print(ctext("y.note", lang), style="dim", highlight=False)


@app.command()
@guarded
def generate(
    out: Annotated[
        Path, typer.Argument(help="Folder for the generated scenario (new, empty, or an earlier generated one).")
    ],
    preset: Annotated[
        str | None,
        typer.Option(
            help="town (~15 units), district (200 units) or city (2,000 units); "
            "realistic rolls: real_town (22), real_district (170), real_city (2,000), province (30,000; "
            "written county by county, planned with plan --decompose)."
        ),
    ] = None,
    units: Annotated[int | None, typer.Option(help="Number of units (overrides the preset).")] = None,
    volunteers: Annotated[int | None, typer.Option(help="Number of volunteers (overrides the preset).")] = None,
    workers: Annotated[int | None, typer.Option(help="Number of social workers (overrides the preset).")] = None,
    orgs: Annotated[int | None, typer.Option(help="Number of social organizations (overrides the preset).")] = None,
    lots: Annotated[int | None, typer.Option(help="Number of charity lots (overrides the preset).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same files, byte for byte.")] = 0,
    realistic: Annotated[
        bool,
        typer.Option(
            "--realistic",
            help="Realistic rolls with --units (implied by the real_* "
            "presets): individual skills, skewed hours, clustered towns, a binding budget.",
        ),
    ] = False,
    lang: LangOpt = None,
) -> int:
    """Write a seeded synthetic scenario with realistic structure (towns, villages, skills, party members)."""
    set_lang(lang)

    from ..inputs.generate import generate_command

    try:
        with console.status(T("generating")):
            path = generate_command(out, preset, units, volunteers, workers, orgs, lots, seed, realistic=realistic)
    except ValueError as exc:
        message = exc.args[0] if exc.args and isinstance(exc.args[0], Msg) else plain(str(exc))
        raise ValidationError(
            [
                Problem(
                    "generate",
                    None,
                    None,
                    message,
                    hint=Msg("e.g. linkage-opt generate --preset district --seed 1 scenarios/district"),
                )
            ]
        ) from None
    console.print(T("wrote [bold]{path}[/]; plan it with: linkage-opt plan {path}", path=path))
    return 0


weights_app = typer.Typer(help="Party-led category weights.", no_args_is_help=True)
app.add_typer(weights_app, name="weights")


@weights_app.callback()
def _weights_root(lang: LangOpt = None) -> None:
    if lang is not None:  # `linkage-opt weights --lang zh ahp ...`: as on the root command
        _common.set_root_lang(lang, err_console)


@weights_app.command("ahp")
@guarded
def weights_ahp(
    pairwise: Annotated[Path, typer.Argument(help="Pairwise comparison YAML (Saaty 1-9 scale), see docs/ahp.md.")],
    write: Annotated[Path | None, typer.Option("--write", help="Write the weights into this scenario config.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="With --write: write the updated config here instead.")
    ] = None,
    threshold: Annotated[float, typer.Option(help="Largest consistency ratio accepted.")] = 0.1,
    lang: LangOpt = None,
) -> int:
    """Derive category weights from a party committee's pairwise comparisons (principal eigenvector).

    Refuses (exit 2) when the consistency ratio exceeds the threshold, naming the most inconsistent pairs.
    """
    set_lang(lang)

    from rich.table import Table

    from ..inputs.ahp import AhpInputError, ahp_weights, format_result, load_pairwise, write_weights

    try:
        criteria, matrix = load_pairwise(pairwise)
    except AhpInputError as exc:
        raise ValidationError([Problem(str(pairwise), None, None, p) for p in exc.problems]) from None
    result = ahp_weights(criteria, matrix, threshold=threshold)
    t = Table(title=T("AHP weights"), title_justify="left", show_header=False)
    for k, v in format_result(result):
        t.add_row(L.t_or(f"ahp.{k}", k, _state["lang"]), v)
    _common.print_table(t, console)
    if not result.consistent:
        err_console.print(
            T(
                "[red]refused:[/] consistency ratio {cr:.3f} exceeds {threshold:g}; revise the most inconsistent judgements:",
                cr=result.cr,
                threshold=threshold,
            ),
            highlight=False,
        )
        for a, b, given, implied, ratio in result.inconsistent_pairs[:3]:
            err_console.print(
                T(
                    "  - {a} vs {b}: judged {given:.3g}, the other judgements imply {implied:.3g} ({ratio:.2f}x off)",
                    a=a,
                    b=b,
                    given=given,
                    implied=implied,
                    ratio=ratio,
                ),
                highlight=False,
            )
        return 2
    if write is not None:
        path = write_weights(write, result.weights, out)
        console.print(T("weights written to [bold]{path}[/]", path=path or out or write))
    return 0


@app.command()
@guarded
def template(
    out: Annotated[Path, typer.Argument(help="The .xlsx file to write.")],
    config: Annotated[
        Path | None, typer.Option("--config", help="Take the category drop-down from this config.")
    ] = None,
    lang: LangOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> int:
    """Write a blank input workbook: every sheet, headers, a notes row, drop-down lists (tiers, kinds, categories)."""
    set_lang(lang)

    from ..outputs.template import write_template

    if out.suffix.lower() != ".xlsx":
        raise ValidationError(
            [
                Problem(
                    str(out),
                    None,
                    None,
                    Msg("the template must be an .xlsx file"),
                    hint=Msg("give a name ending in .xlsx"),
                )
            ]
        )
    if out.exists() and not force:
        raise ValidationError(
            [Problem(str(out), None, None, Msg("the file exists"), hint=Msg("choose another name or pass --force"))]
        )
    cfg = None
    if config is not None:
        from ..inputs.config import load_config

        cfg = load_config(config)
    write_template(out, _state["lang"], cfg)
    console.print(
        T(
            "template written to [bold]{path}[/]: fill it in, set `data: {name}` in a config, then run linkage-opt validate",
            path=out,
            name=out.name,
        )
    )
    return 0


@app.command()
@guarded
def report(
    plan_dir: Annotated[Path, typer.Argument(help="A plan folder written by `linkage-opt plan`.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write (default: report.html and plan.xlsx "
            "in the plan folder; a .html path writes the report only).",
        ),
    ] = None,
    redact: Annotated[bool, typer.Option("--redact", help=REDACT_HELP)] = False,
    lang: LangOpt = None,
) -> int:
    """Re-write a plan's report.html, plan.xlsx and action sheets (sheets.html, sheets.pdf), e.g. in the other
    language."""
    set_lang(lang)

    import contextlib

    from ..inputs.load import load_recorded_scenario
    from ..outdir import check_output_folder, inspect_folder, read_through, writer_lock
    from ..outputs.report import report_from_dir
    from ..outputs.workbook import workbook_from_dir
    from ..solving.plan import write_file_atomic

    p = _read_plan_dir(plan_dir)  # a clear error when it is not a plan folder
    html_only = out is not None and out.suffix.lower() == ".html"
    if out is not None and not html_only:
        check_output_folder(out)  # a file, FIFO or device is refused (never opened)
    into_plan = out is None
    where, state = inspect_folder(plan_dir)
    # Writing into a replaceable plan folder: take its writers' lock, so that the files go into
    # the version they were made from (a plan writer waits meanwhile).
    hold = writer_lock(where.parent, plan_dir) if into_plan and state == "ours" else contextlib.nullcontext()

    def build(version: Path):
        scenario, _ = load_recorded_scenario(p["summary"].get("config"), plan_dir)  # once, for both files
        html = report_from_dir(version, _state["lang"], scenario)
        if html_only:
            return version, [(out, html)]
        folder = version if into_plan else out
        from ..outputs.sheets import build_sheets_html, html_to_pdf
        from ..solving.plan import Plan

        sheets = build_sheets_html(Plan.read(version), scenario, _state["lang"], redact)
        files = [
            (folder / "report.html", html),
            (folder / "plan.xlsx", workbook_from_dir(version, _state["lang"], scenario, redact)),
            (folder / "sheets.html", sheets),
        ]
        pdf, _ = html_to_pdf(sheets)
        if pdf is not None:
            files.append((folder / "sheets.pdf", pdf))
        return version, files

    with hold:
        _, targets = read_through(plan_dir, build)
        for path, data in targets:
            write_file_atomic(path, data)
    shown = [str(Path(plan_dir) / path.name) if into_plan else str(path) for path, _ in targets]
    console.print(T("report written to [bold]{path}[/]", path=", ".join(shown)))
    return 0


from .runs import register as _register_runs  # noqa: E402  - run, runs list/show/diff/publish/restore

_register_runs(app)

from .sweep import register as _register_sweep  # noqa: E402  - sweep (variants on Dask)

_register_sweep(app)


def main() -> None:
    """Console-script entry point."""
    # a process of its own: the wall of `plan --time-limit` counts from when the package was imported
    # (CliRunner in the tests calls `app` in one long-lived process and counts from the solve's start)
    _common.state["process_started"] = IMPORTED_AT
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:
        sys.exit(report_error(exc))


if __name__ == "__main__":
    main()
