"""What the cli's modules (``commands``, ``runs``, ``sweep``) share: this invocation's language, its messages,
the one error guard (:func:`guard`: errors as messages and exit codes), and the plan's summary table. Each
module prints on its own consoles (passed in), so that none imports another's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console

from .. import lang as L
from ..errors import InfeasibleError, LinkageError, OutputError, ValidationError
from ..i18n import Msg
from ..solving.summary import Summary
from ..terminal import print_table, qty

__all__ = ["print_table", "qty"]  # tables readable at 80 columns, quantities with units (linkage_opt.terminal)

# The language of this invocation's messages (--lang, else $LINKAGE_OPT_LANG, else English).
state: dict = {"lang": "en", "root": ""}  # root: `linkage-opt --lang X <command>`; process_started: main()'s


def set_root_lang(value: str, err_console: Console) -> str:
    """``linkage-opt --lang zh <command>``: the language of every subcommand that is given no ``--lang``."""
    state["root"] = set_lang(value, err_console)
    return state["root"]


def set_lang(value: str | None, err_console: Console) -> str:
    """Fix this invocation's language; a bad value is a usage error (exit 2)."""
    try:
        state["lang"] = L.resolve(value or state["root"] or None)
    except ValueError:
        err_console.print(
            L.t("unknown language {value!r}: use en or zh", "en", value=value)
            + " / "
            + L.t("unknown language {value!r}: use en or zh", "zh", value=value),
            highlight=False,
        )
        raise typer.Exit(2) from None
    return state["lang"]


def T(msgid: str, /, *, context: str | None = None, **kw) -> str:
    """A message (its English text) in this invocation's language."""
    return L.t(msgid, state["lang"], context=context, **kw)


def label(family: str, code: object) -> str:
    """A code's word (a status, a column of a table) in this invocation's language."""
    return L.label(family, code, state["lang"])


def report_error(exc: BaseException, err_console: Console) -> int:
    """Print an error the user can act on; return the exit code. Never a traceback for our own errors."""
    if isinstance(exc, ValidationError):
        n = len(exc.problems)
        err_console.print(
            "[bold red]"
            + L.ngettext("{n} input problem found", "{n} input problems found", n, state["lang"]).format(n=n)
            + "[/]"
        )
        for p in exc.problems:
            err_console.print("  - " + L.problem_str(p, state["lang"]), markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    if isinstance(exc, InfeasibleError):
        err_console.print("[bold red]" + T("No plan can satisfy every requirement.") + "[/]")
        text = exc.diagnosis.message(state["lang"]) if getattr(exc, "diagnosis", None) is not None else str(exc)
        err_console.print(text, markup=False, highlight=False)
        return exc.exit_code
    if isinstance(exc, OutputError):  # disk full, read-only, not a folder: nothing was changed
        from rich.markup import escape

        err_console.print(
            f"[bold red]{T('error:')}[/] " + escape(L.render(exc.args[0] if exc.args else str(exc), state["lang"])),
            highlight=False,
            soft_wrap=True,
        )
        return exc.exit_code
    if isinstance(exc, LinkageError):
        from rich.markup import escape

        text = L.render(exc.args[0], state["lang"]) if exc.args and isinstance(exc.args[0], Msg) else str(exc)
        err_console.print(f"[bold red]{T('error:')}[/] " + escape(text), highlight=False)
        return exc.exit_code
    err_console.print(f"[bold red]{T('internal error:')}[/] {type(exc).__name__}: {exc}", highlight=False)
    err_console.print(T("Please report this with the command you ran."), highlight=False)
    return 4


def run_guarded(fn: Callable[..., int | None], err_console: Console, interrupted: str, *args, **kwargs) -> int:
    """``fn``'s exit code; our errors as messages and exit codes (:func:`report_error`), Ctrl-C as 130 with
    the message ``interrupted`` (a msgid), never a traceback."""
    try:
        return int(fn(*args, **kwargs) or 0)
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        err_console.print(T(interrupted), highlight=False)
        return 130
    except Exception as exc:
        return report_error(exc, err_console)


def guard(
    err_console: Callable[[], Console], interrupted: str
) -> Callable[[Callable[..., int | None]], Callable[..., None]]:
    """The one error guard of the commands, as a decorator: the command returns its exit code, the guard
    exits with it (:func:`run_guarded`). ``err_console`` is looked up at each call (tests replace it)."""

    def decorate(command: Callable[..., int | None]) -> Callable[..., None]:
        @functools.wraps(command)
        def guarded(*args, **kwargs) -> None:
            raise typer.Exit(run_guarded(command, err_console(), interrupted, *args, **kwargs))

        return guarded

    return decorate


def bound_text(v) -> str:
    """A stage's objective or bound: 162,499.44 (the cost stage, yuan and penalty) or 0.8936 (a coverage
    stage, 0 to 1), never 162499.4364801293."""
    from ..terminal import number

    if v is None:
        return "-"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return number(f, 4 if abs(f) < 10 else 2)


def print_plan(plan, out: Path | None, console: Console) -> None:
    """The plan's headline figures (``plan.summary``, a :class:`~linkage_opt.solving.summary.Summary`)."""
    from rich.markup import escape
    from rich.table import Table

    s: Summary = plan.summary
    met = s.metrics
    t = Table(
        title=escape(T("Plan {scenario} · {period}", scenario=s.scenario, period=s.period)),
        show_header=False,
        title_justify="left",
    )
    t.add_column(style="bold")
    t.add_column(justify="right")
    status = s.status
    t.add_row(T("status"), L.t_or(f"status.{status}", status, state["lang"]))
    t.add_row(T("weighted coverage"), f"{met.weighted_coverage:.2%}")
    t.add_row(T("guaranteed needs met"), f"{met.guaranteed_met} / {met.guaranteed_needs}")
    t.add_row(T("min unit coverage ratio"), f"{met.min_unit_ratio:.2%}")
    t.add_row(T("units below equity floor"), str(met.units_below_equity_floor))
    t.add_row(T("money spent (yuan)"), f"{s.objective.money:,.2f}")
    t.add_row(T("idle volunteer/worker hours"), qty(met.idle_hours, "hours", state["lang"], 1))
    gap = s.gap
    stage = L.t_or(f"stage.{s.objective_stage}", s.objective_stage or "", state["lang"])
    t.add_row(
        T("final stage / bound / gap"), f"{stage} / {bound_text(s.best_bound)} / {'-' if gap is None else f'{gap:.3%}'}"
    )
    kept = [
        (
            T("{stage}: not run (no time left)", stage=L.t_or(f"stage.{st.stage}", st.stage, state["lang"]))
            if st.status == "skipped"
            else T("{stage}: kept the plan it started from", stage=L.t_or(f"stage.{st.stage}", st.stage, state["lang"]))
        )
        for st in s.stages
        if st.kept_start and st.status in ("skipped", "time_limit")
    ]
    if kept:
        t.add_row(T("stages stopped by the time limit"), "; ".join(kept))
    tm = s.timings
    t.add_row(
        T("load / build / solve / write (s)"),
        " / ".join("-" if v is None else f"{v:.2f}" for v in (tm.load_s, tm.build_s, tm.solve_s, tm.write_s)),
    )
    t.add_row(
        T("model"),
        T(
            "{vars} vars, {rows} rows, {ints} integer",
            vars=f"{s.model.variables:,}",
            rows=f"{s.model.constraints:,}",
            ints=f"{s.model.integer_variables:,}",
        ),
    )
    print_table(t, console)
    if out is not None:
        console.print(T("Plan written to [bold]{path}[/]", path=escape(str(out))))
    if (s.rule_of_thumb_start or {}).get("best_found"):
        console.print(
            T("note: no plan better than the repaired rule of thumb was found in the time given; it is the plan")
        )
    if (s.dispatch or {}).get("stopped_by_deadline"):
        console.print(
            T(
                "note: rounding to dispatchable amounts did not finish within the time limit's margin, so the "
                "plan keeps the model's exact amounts; plan again with a longer --time-limit to round them"
            )
        )
