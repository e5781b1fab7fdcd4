"""``linkage-opt run`` and ``linkage-opt runs list|show|diff|publish|restore``: monthly runs and their ledger.

Registered on the main app by :func:`register` (one line in ``linkage_opt/cli/commands.py``). Also runnable on
its own: ``python -m linkage_opt.cli.runs run CONFIG --period 2026-12``.

Exit codes of ``run``: 0 optimal, 1 feasible with a gap, 2 bad input, 3 infeasible, 4 solver or
internal error, 5 another run of the period is in progress (``--wait`` to wait for it), 130
interrupted (Ctrl-C or SIGTERM; recorded as failed). A run skipped because the same inputs were
already planned exits with that run's code (0 or 1).
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .. import lang as L
from ..i18n import N_, Msg
from . import common as _common

console = Console()
err_console = Console(stderr=True)

RUNS_HELP = "Runs folder (plan folders and ledger.sqlite)."
RUNS_ENV = "LINKAGE_OPT_RUNS"

runs_app = typer.Typer(
    name="runs",
    help="The run ledger: list, show, diff, publish and restore recorded runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@runs_app.callback()
def _runs_root(
    lang: Annotated[str | None, typer.Option("--lang", help="Language of messages: en or zh.")] = None,
) -> None:
    if lang is not None:  # `linkage-opt runs --lang zh list`: as on the root command
        _common.set_root_lang(lang, err_console)


T = _common.T
# every command: errors as messages and exit codes (linkage_opt.cli.common.guard)
guarded = _common.guard(lambda: err_console, N_("interrupted; the run is recorded as failed and nothing was published"))


# ``--lang`` for the commands that only print messages (``run`` has its own: it writes files too)
LangOpt = Annotated[str | None, typer.Option("--lang", help="Language of messages: en or zh.")]


def _set_lang(lang: str | None) -> str:
    return _common.set_lang(lang, err_console)


def _jsonable(obj):
    """JSON-safe copy: non-finite floats as strings ("inf"), numpy scalars as Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        with contextlib.suppress(TypeError, ValueError):
            obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if obj != obj else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _print_json(obj) -> None:
    typer.echo(json.dumps(_jsonable(obj), ensure_ascii=False, indent=2, allow_nan=False))


# ---------------------------------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------------------------------


def _raise_interrupt(signum, _frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


@guarded
def run_command(
    config: Annotated[Path, typer.Argument(help="Scenario config YAML (one config serves every month).")],
    period: Annotated[str, typer.Option("--period", "-p", help="Period to plan: YYYY-MM, or 'current' / 'next'.")],
    runs: Annotated[Path, typer.Option("--runs", envvar=RUNS_ENV, help=RUNS_HELP)] = Path("runs"),
    force: Annotated[
        bool, typer.Option("--force", help="Plan again even if these exact inputs were planned already.")
    ] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait", min=0, help="Seconds to wait for another run of the same period (default: exit 5 at once)."
        ),
    ] = 0.0,
    log_format: Annotated[
        str, typer.Option("--log-format", help="Log lines on stderr: text, or json (one object per line).")
    ] = "text",
    backend: Annotated[str | None, typer.Option(help="Solver backend (default: the config's).")] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds for the whole solve (default: the config's).")
    ] = None,
    ledger: Annotated[Path | None, typer.Option("--ledger", help="Ledger file (default RUNS/ledger.sqlite).")] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of plan.xlsx, report.html and messages: en or zh (default $LINKAGE_OPT_LANG, else en).",
        ),
    ] = None,
) -> int:
    """Plan one period: locked, recorded in the run ledger, written to RUNS/PERIOD/rN/ atomically, published.

    The same inputs (config, input files, solver options, history) planned before are not planned
    again unless --force: the earlier run is shown and its exit code returned. Exit codes: 0 optimal,
    1 feasible with a gap, 2 bad input, 3 infeasible, 4 solver/internal error, 5 another run of this
    period is in progress, 130 interrupted.
    """
    from ..runs.logging_setup import FORMATS, setup_logging

    if log_format not in FORMATS:
        err_console.print(f"[red]error:[/] --log-format must be one of {', '.join(FORMATS)}", highlight=False)
        raise typer.Exit(2)
    setup_logging(log_format)
    lang = _set_lang(lang)

    from ..runs.runner import run_period

    try:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)  # systemd stop: finish the row, clean up
    except ValueError:  # not the main thread
        previous = None
    try:
        outcome = run_period(
            config,
            period,
            runs,
            force=force,
            wait=wait,
            ledger_path=ledger,
            backend=backend,
            time_limit=time_limit,
            lang=lang,
        )
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return _report_outcome(outcome)


def _report_outcome(outcome) -> int:
    from types import SimpleNamespace

    if outcome.error is not None:
        code = _common.report_error(outcome.error, err_console)
        if outcome.run_id:
            err_console.print(
                T("recorded as run [bold]{run_id}[/] ({status})", run_id=outcome.run_id, status=outcome.status),
                highlight=False,
            )
        return outcome.exit_code if outcome.exit_code is not None else code
    if outcome.reused:
        console.print(outcome.message, highlight=False)
    if outcome.summary is not None:
        with contextlib.suppress(KeyError, TypeError):
            _common.print_plan(SimpleNamespace(summary=outcome.summary), None, console)
    where = T(" in [bold]{path}[/]", path=outcome.plan_dir) if outcome.plan_dir else ""
    if not outcome.reused:
        console.print(
            T(
                "run [bold]{run_id}[/]: {status}, published{where}",
                run_id=outcome.run_id,
                status=outcome.status,
                where=where,
            ),
            highlight=False,
        )
    else:
        console.print(T("run [bold]{run_id}[/]{where}", run_id=outcome.run_id, where=where), highlight=False)
    return outcome.exit_code


# ---------------------------------------------------------------------------------------------------
# runs list / show
# ---------------------------------------------------------------------------------------------------

STATE_STYLE = {
    "optimal": "green",
    "feasible": "yellow",
    "infeasible": "red",
    "failed": "red",
    "running": "cyan",
    "interrupted": "magenta",
}


def _short_time(text: str | None, tz: str | None = None) -> str:
    """A recorded (UTC) time in the configured time zone (``timezone:`` of the run's config; Asia/Shanghai)."""
    from ..analysis.compare import fmt_time

    return fmt_time(text, tz) if text else "-"


def _run_timezone(run: dict) -> str | None:
    from ..analysis.compare import timezone_of

    try:
        doc = json.loads(run["fingerprint_doc"]) if run.get("fingerprint_doc") else {}
    except ValueError:
        doc = {}
    return timezone_of(doc.get("config") or {})


def _duration(row: dict) -> str:
    from ..runs.ledger import parse_time

    a, b = parse_time(row.get("started_at")), parse_time(row.get("finished_at"))
    if a is None or b is None:
        return "-"
    return f"{(b - a).total_seconds():.1f}"


def _first_line(text: str | None, width: int = 70) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


@runs_app.command("list")
@guarded
def runs_list(
    runs: Annotated[Path, typer.Option("--runs", envvar=RUNS_ENV, help=RUNS_HELP)] = Path("runs"),
    period: Annotated[str | None, typer.Option("--period", "-p", help="Only this period (YYYY-MM).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ledger: Annotated[Path | None, typer.Option("--ledger", help="Ledger file (default RUNS/ledger.sqlite).")] = None,
    lang: LangOpt = None,
) -> int:
    """Every recorded run, oldest first. A run whose process died shows as [magenta]interrupted[/]."""
    _set_lang(lang)

    from ..runs.runner import list_runs

    rows = list_runs(runs, period, ledger)
    if as_json:
        _print_json(rows)
        return 0
    if not rows:
        console.print(T("no runs recorded in {runs}", runs=runs), highlight=False)
        return 0
    from rich import box

    t = Table(title=T("Runs in {runs}  (★ published)", runs=runs), title_justify="left", box=box.SIMPLE_HEAD)
    for col, kw in (
        ("run", {"no_wrap": True}),
        ("state", {"no_wrap": True}),
        ("started", {"no_wrap": True}),
        ("exit", {"justify": "right", "no_wrap": True}),
        ("inputs", {"no_wrap": True}),
        ("message", {"overflow": "fold", "min_width": 16}),
    ):
        t.add_column(_common.label("runs.col", col), **kw)
    for r in rows:
        st = r["state"]
        t.add_row(
            r["run_id"],
            f"[{STATE_STYLE.get(st, 'white')}]{st}[/]" + (" ★" if r["published"] else ""),
            _short_time(r["started_at"]),
            "" if r["exit_code"] is None else str(r["exit_code"]),
            (r["input_fingerprint"] or "")[:8],
            _first_line(r["message"]),
        )
    _common.print_table(t, console)
    return 0


@runs_app.command("show")
@guarded
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id, e.g. 2026-12-r3.")],
    runs: Annotated[Path, typer.Option("--runs", envvar=RUNS_ENV, help=RUNS_HELP)] = Path("runs"),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ledger: Annotated[Path | None, typer.Option("--ledger", help="Ledger file (default RUNS/ledger.sqlite).")] = None,
    lang: LangOpt = None,
) -> int:
    """One run: status, inputs fingerprint, history used, headline figures, and whether its folder is intact."""
    _set_lang(lang)

    from ..runs.ledger import Ledger, RunNotFoundError, verify_plan_dir
    from ..runs.runner import check_runs_folder, ledger_path_for, resolve_plan_dir, run_state

    check_runs_folder(runs)
    path = ledger_path_for(runs, ledger)
    if not path.exists():
        raise RunNotFoundError(Msg("no ledger at {path} (check --runs)", path=path))
    with Ledger(path) as lg:
        run = lg.get_run(run_id)
        if run is None:
            raise RunNotFoundError(Msg("no run {run_id!r} in the ledger {path}", run_id=run_id, path=path))
        plan_dir = resolve_plan_dir(run, runs)
        files = verify_plan_dir(lg, run_id, plan_dir) if plan_dir is not None and lg.plan_files(run_id) else {}
    run["state"] = run_state(run, runs)
    summary = json.loads(run["summary_json"]) if run.get("summary_json") else None
    fp_doc = json.loads(run["fingerprint_doc"]) if run.get("fingerprint_doc") else None
    history = json.loads(run["history_json"]) if run.get("history_json") else None
    if as_json:
        out = {k: v for k, v in run.items() if k not in ("summary_json", "fingerprint_doc", "history_json")}
        out.update(
            summary=summary,
            fingerprint_doc=fp_doc,
            history=history,
            files=files,
            plan_dir_path=str(plan_dir) if plan_dir else None,
        )
        _print_json(out)
        return 0
    t = Table(title=T("Run {run_id}", run_id=run_id), show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column(overflow="fold")
    st = run["state"]
    t.add_row(T("state"), f"[{STATE_STYLE.get(st, 'white')}]{st}[/]" + (T("  ★ published") if run["published"] else ""))
    t.add_row(T("period / revision"), f"{run['period']} / r{run['revision']}")
    tz = _run_timezone(run)
    t.add_row(T("started / finished"), f"{_short_time(run['started_at'], tz)} / {_short_time(run['finished_at'], tz)}")
    t.add_row(T("took (s)"), _duration(run))
    t.add_row(T("exit code"), "-" if run["exit_code"] is None else str(run["exit_code"]))
    if plan_dir is None:
        t.add_row(T("plan folder"), "-")
    else:
        t.add_row(T("plan folder"), f"{plan_dir}" + ("" if plan_dir.is_dir() else T("  (not present)")))
    t.add_row(T("config"), run.get("config_path") or "-")
    t.add_row(T("input fingerprint"), run.get("input_fingerprint") or "-")
    if fp_doc:
        t.add_row(
            T("inputs", context="runs.row.inputs"), ", ".join(f"{n} {h[:10]}" for n, h in fp_doc.get("inputs", []))
        )
        t.add_row(T("solver"), json.dumps(fp_doc.get("solver")))
        t.add_row(T("package version"), str(fp_doc.get("package_version")))
    if history:
        t.add_row(
            T("history used"),
            T(
                "previous plan {previous}; coverage of {coverage}",
                previous=history.get("previous") or "-",
                coverage=", ".join(history.get("coverage") or []) or "-",
            ),
        )
    t.add_row(T("process"), T("pid {pid} on {host}", pid=run.get("pid"), host=run.get("host")))
    if run.get("message"):
        t.add_row(T("message"), run["message"])
    if summary:
        m = summary.get("metrics", {})
        o = summary.get("objective", {})
        if "weighted_coverage" in m:
            t.add_row(T("weighted coverage"), f"{m['weighted_coverage']:.2%}")
        if "guaranteed_met" in m:
            t.add_row(T("guaranteed needs met"), f"{m['guaranteed_met']} / {m.get('guaranteed_needs')}")
        if "min_unit_ratio" in m:
            t.add_row(T("min unit coverage ratio"), f"{m['min_unit_ratio']:.2%}")
        if "money" in o:
            t.add_row(T("money (yuan)"), f"{o['money']:,.2f}")
        stab = summary.get("stability")
        if isinstance(stab, dict):
            t.add_row(
                T("stability"),
                T("{kept} pairings kept, {changed} changed", kept=stab.get("kept", 0), changed=stab.get("changed", 0)),
            )
    if files:
        bad = {n: s for n, s in files.items() if s != "ok"}
        t.add_row(
            T("files"),
            T("all intact")
            if not bad
            else "; ".join(f"{n}: {s}" for n, s in bad.items()) + T("  (runs restore rebuilds from the ledger)"),
        )
    _common.print_table(t, console)
    return 0


# ---------------------------------------------------------------------------------------------------
# runs diff
# ---------------------------------------------------------------------------------------------------


def load_plan(ref: str, runs: Path, ledger: Path | None = None) -> tuple[str, dict]:
    """A plan by run id (from the ledger) or by plan folder path: (label, {table: frame, 'summary': dict})."""
    from ..runs.ledger import PLAN_TABLES, Ledger, LedgerUsageError, RunNotFoundError
    from ..runs.runner import check_runs_folder, ledger_path_for
    from ..solving.plan import Plan

    p = Path(ref)
    if p.is_dir() and (p / "summary.json").exists():
        plan = Plan.read(p)  # the one reader of plan folders: every file from one version of it
        tables = {**plan.tables(), "summary": plan.summary}
        tables["config"] = _recorded_config(tables["summary"])
        return str(p), tables
    check_runs_folder(runs)
    path = ledger_path_for(runs, ledger)
    if not path.exists():
        raise RunNotFoundError(
            Msg("{ref!r} is neither a plan folder nor a run id (no ledger at {path})", ref=ref, path=path)
        )
    with Ledger(path) as lg:
        run = lg.get_run(ref)
        if run is None:
            raise RunNotFoundError(f"{ref!r} is neither a plan folder nor a run id in {path}")
        tables = lg.plan_tables(ref)
        if len(tables) < len(PLAN_TABLES):
            raise LedgerUsageError(f"run {ref} ({run['status']}) has no plan to compare")
        tables["summary"] = json.loads(run["summary_json"]) if run.get("summary_json") else None
        tables["config"] = (
            json.loads(run["fingerprint_doc"]).get("config")
            if run.get("fingerprint_doc")
            else _recorded_config(tables["summary"])
        )
    return ref, tables


def _recorded_config(summary: dict | None) -> dict | None:
    """The config a plan folder names in its summary.json, as a dict (None when it cannot be read)."""
    path = (summary or {}).get("config")
    if not path:
        return None
    try:
        from ..inputs.config import load_config

        return load_config(path).model_dump(mode="json")
    except Exception:
        return None


PCT = ("weighted_coverage", "min_unit_ratio")


def _fmt(v, pct: bool = False) -> str:
    """A figure as people read it: 24,000 and 9,805.34, never 2.4e+04 or 9805.342962505638."""
    from ..analysis.compare import fmt_number

    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if pct:
        return f"{v:.2%}"
    return fmt_number(v)


def _signed(v, pct: bool = False) -> str:
    from ..analysis.compare import fmt_signed

    if v is None:
        return "-"
    s = f"{v * 100:+.2f} {T('pt')}" if pct else fmt_signed(v).replace("−", "-")
    return f"[green]{s}[/]" if v > 0 else f"[red]{s}[/]" if v < 0 else s


@runs_app.command("diff")
@guarded
def runs_diff(
    run_a: Annotated[str, typer.Argument(help="Earlier plan: run id (e.g. 2026-11-r2) or plan folder.")],
    run_b: Annotated[str, typer.Argument(help="Later plan: run id or plan folder.")],
    runs: Annotated[Path, typer.Option("--runs", envvar=RUNS_ENV, help=RUNS_HELP)] = Path("runs"),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows shown per table (JSON: all).")] = 40,
    ledger: Annotated[Path | None, typer.Option("--ledger", help="Ledger file (default RUNS/ledger.sqlite).")] = None,
    lang: LangOpt = None,
) -> int:
    """What changed from plan A to plan B.

    Coverage per unit and category, capacity used per provider, (provider, unit) pairings added and
    removed, and the headline figures. A and B are run ids or plan folders.
    """
    _set_lang(lang)

    from ..analysis.compare import changes, describe, yardstick, yardstick_rows
    from ..analysis.compare import text as ctext
    from ..runs.runner import diff_plans

    la, a = load_plan(run_a, runs, ledger)
    lb, b = load_plan(run_b, runs, ledger)
    d = diff_plans(a, b)
    sticks = [yardstick(a["coverage"]), yardstick(b["coverage"])]
    ch = changes(a, b, a.get("config"), b.get("config"), ref_a=la, ref_b=lb)
    if as_json:
        _print_json({"a": la, "b": lb, **d, "yardstick": {"a": sticks[0], "b": sticks[1]}, "changes": ch})
        return 0
    lang = _common.state["lang"]
    console.print(f"[bold]{la}[/] → [bold]{lb}[/]", highlight=False)
    labels = ch.get("labels") or {}
    rows = yardstick_rows(sticks, lang, lambda c: (labels.get(c) or {}).get(lang) or c)
    _table(ctext("y.title", lang), (T("figure"), "A", "B"), [(k, *v) for k, v in rows], len(rows), left=1)
    console.print(ctext("y.note", lang), style="dim", highlight=False)
    from rich.markup import escape

    words = describe(ch, lang, limit=limit)
    console.print("[bold]" + T("What changed, in words") + "[/]", highlight=False)
    if not words:
        console.print("  " + ctext("none", lang), highlight=False)
    for sec in words:
        console.print(f"  [bold]{escape(sec['title'])}[/]", highlight=False)
        for item in sec["items"]:
            console.print(f"    • {escape(item)}", highlight=False)
    metrics = [(k, v) for k, v in d["metrics"].items() if v["a"] is not None or v["b"] is not None]
    if metrics:
        _table(
            T("Headline figures"),
            (T("figure"), "A", "B", T("change")),
            [
                (
                    L.t_or(f"metric.{k}", k, lang),
                    _fmt(v["a"], k in PCT),
                    _fmt(v["b"], k in PCT),
                    _signed(v["delta"], k in PCT),
                )
                for k, v in metrics
            ],
            limit,
            left=1,
        )
    lot_uom = {p["provider_id"]: p["uom"] for p in ch["inputs"]["providers"]}

    def _cat(cat: str) -> str:  # a category's label and its unit of measure
        spec = labels.get(cat) or {}
        uom = L.uom(spec.get("unit") or "", lang)
        return f"{spec.get(lang) or cat} ({uom})" if uom else (spec.get(lang) or cat)

    def _kind(kind: str, pid: str) -> str:
        uom = "hours" if kind in ("volunteer", "social_worker") else lot_uom.get(pid, "")
        return L.kind(kind, lang) + (f" ({L.uom(uom, lang)})" if uom else "")

    _table(
        T("Coverage by unit and category: {n} changed", n=len(d["coverage"])),
        tuple(_common.label("diff.cov", i) for i in range(7)),
        [
            (
                f"{r['unit_name']} ({r['unit_id']})" if r["unit_name"] else r["unit_id"],
                _cat(r["category"]),
                f"{_fmt(r['need_a'])}→{_fmt(r['need_b'])}",
                _fmt(r["covered_a"]),
                _fmt(r["covered_b"]),
                _signed(r["delta_covered"]),
                f"{r['ratio_a']:.0%}→{r['ratio_b']:.0%}",
            )
            for r in d["coverage"]
        ],
        limit,
    )
    _table(
        T("Capacity used by provider: {n} changed", n=len(d["providers"])),
        tuple(_common.label("diff.prov", i) for i in range(6)),
        [
            (
                _kind(r["provider_kind"], r["provider_id"]),
                r["provider_id"] + (T(" (only in {side})", side=r["only_in"].upper()) if r["only_in"] else ""),
                _fmt(r["capacity"]) if r["capacity"] is not None and math.isfinite(r["capacity"]) else T("unlimited"),
                _fmt(r["used_a"]),
                _fmt(r["used_b"]),
                _signed(r["delta_used"]),
            )
            for r in d["providers"]
        ],
        limit,
    )
    pr = d["pairings"]
    _table(
        T(
            "Pairings: {added} added, {removed} removed, {kept} kept",
            added=len(pr["added"]),
            removed=len(pr["removed"]),
            kept=pr["kept"],
        ),
        ("", _common.label("diff.prov", 0), _common.label("diff.prov", 1), _common.label("diff.cov", 0)),
        [("[green]+[/]", r["provider_kind"], r["provider_id"], r["unit_id"]) for r in pr["added"]]
        + [("[red]−[/]", r["provider_kind"], r["provider_id"], r["unit_id"]) for r in pr["removed"]],
        limit,
        left=4,
    )
    return 0


def _table(title: str, columns, rows, limit: int, left: int = 2) -> None:
    """A heading line, then (if any rows) a compact table; the first ``left`` columns left-aligned, no wrap."""
    from rich import box

    console.print(f"[bold]{title}[/]", highlight=False)
    if not rows:
        return
    t = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for i, c in enumerate(columns):
        t.add_column(c, justify="left" if i < left else "right", no_wrap=i < left)
    for r in rows[:limit]:
        t.add_row(*r)
    if len(rows) > limit:
        t.caption = T("{n} more (--limit, or --json for all)", n=len(rows) - limit)
    _common.print_table(t, console)


# ---------------------------------------------------------------------------------------------------
# runs publish / restore
# ---------------------------------------------------------------------------------------------------


@runs_app.command("publish")
@guarded
def runs_publish(
    run_id: Annotated[str, typer.Argument(help="Run id to publish, e.g. 2026-12-r2.")],
    runs: Annotated[Path, typer.Option("--runs", envvar=RUNS_ENV, help=RUNS_HELP)] = Path("runs"),
    wait: Annotated[
        float, typer.Option("--wait", min=0, help="Seconds to wait for a run of that period to finish.")
    ] = 0.0,
    ledger: Annotated[Path | None, typer.Option("--ledger", help="Ledger file (default RUNS/ledger.sqlite).")] = None,
    lang: LangOpt = None,
) -> int:
    """Make a recorded optimal or feasible run the published plan of its period (e.g. to roll back).

    The next month's carry-over and stability read the published plan.
    """
    _set_lang(lang)

    from ..runs.runner import publish_run

    run = publish_run(run_id, runs, ledger, wait=wait)
    console.print(
        T(
            "[green]published[/] {run_id} for {period} ({path})",
            run_id=run["run_id"],
            period=run["period"],
            path=run["plan_dir"],
        ),
        highlight=False,
    )
    return 0


@runs_app.command("restore")
@guarded
def runs_restore(
    run_id: Annotated[str, typer.Argument(help="Run id whose plan folder to rebuild from the ledger.")],
    runs: Annotated[Path, typer.Option("--runs", envvar=RUNS_ENV, help=RUNS_HELP)] = Path("runs"),
    to: Annotated[
        Path | None, typer.Option("--to", help="Write here instead of the run's own folder (must not exist).")
    ] = None,
    ledger: Annotated[Path | None, typer.Option("--ledger", help="Ledger file (default RUNS/ledger.sqlite).")] = None,
    lang: LangOpt = None,
) -> int:
    """Rebuild a plan folder byte for byte from the ledger; every file is checked against its recorded sha256."""
    _set_lang(lang)

    from ..runs.runner import restore_run

    report = restore_run(run_id, runs, to=to, ledger_path=ledger)
    console.print(
        T(
            "[green]restored[/] {run_id} into {path} ({n} files, sha256 verified)",
            run_id=run_id,
            path=report.target,
            n=len(report.files),
        ),
        highlight=False,
    )
    if report.redacted:
        console.print(
            T(
                "{files}: the shareable copies the ledger keeps, without personal columns (the full sheets "
                "are only in the run's own folder)",
                files=", ".join(report.redacted),
            ),
            highlight=False,
        )
    return 0


# ---------------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------------


def register(app: typer.Typer) -> None:
    """Add ``run`` and the ``runs`` group to the main ``linkage-opt`` app."""
    app.command("run")(run_command)
    app.add_typer(runs_app, name="runs")


app = typer.Typer(
    name="linkage-opt",
    help="Monthly runs and the run ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
