"""The ``linkage-opt`` command line. Thin: parse options, call the library, print, map errors to exit codes.

Exit codes: 0 optimal, 1 feasible with a gap (time limit), 2 bad input, 3 infeasible, 4 solver or internal error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from . import __version__
from .errors import InfeasibleError, LinkageError, ValidationError

EPILOG = (
    "Examples:\n\n"
    "  linkage-opt validate configs/zhugen.yaml\n\n"
    "  linkage-opt plan configs/zhugen.yaml --out plans/zhugen\n\n"
    "  linkage-opt plan configs/zhugen.yaml --out plans/zhugen --backend cbc --time-limit 30"
)

app = typer.Typer(
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


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"linkage-opt {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """linkage-opt: five-community linkage resource planning."""


def report_error(exc: BaseException) -> int:
    """Print an error the user can act on; return the exit code. Never a traceback for our own errors."""
    if isinstance(exc, ValidationError):
        n = len(exc.problems)
        err_console.print(f"[bold red]{n} input problem{'s' if n != 1 else ''} found[/]")
        for p in exc.problems:
            err_console.print("  - " + str(p), markup=False, highlight=False)
        return exc.exit_code
    if isinstance(exc, InfeasibleError):
        err_console.print("[bold red]No plan can satisfy every requirement.[/]")
        err_console.print(str(exc), markup=False, highlight=False)
        return exc.exit_code
    if isinstance(exc, LinkageError):
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        return exc.exit_code
    err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}", highlight=False)
    err_console.print("Please report this with the command you ran.", highlight=False)
    return 4


def run_guarded(fn, *args, **kwargs) -> int:
    try:
        return int(fn(*args, **kwargs) or 0)
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        err_console.print("interrupted; nothing was written")
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI boundary: every error becomes a message and a code
        return report_error(exc)


@app.command()
def validate(config: Path = typer.Argument(..., help="Scenario config YAML.")) -> None:
    """Load and check a scenario; print what was loaded. Exit 2 with every problem listed if anything is wrong."""

    def _do() -> int:
        from .load import load_scenario
        from .summary import print_summary

        scenario = load_scenario(config)
        print_summary(scenario, console)
        console.print("[green]OK[/]: the scenario is valid.")
        return 0

    raise typer.Exit(run_guarded(_do))


def _print_plan(plan, out: Path | None) -> None:
    from rich.table import Table

    s = plan.summary
    met = s["metrics"]
    t = Table(title=f"Plan {s['scenario']} · {s['period']}", show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column(justify="right")
    t.add_row("status", s["status"])
    t.add_row("weighted coverage", f"{met['weighted_coverage']:.2%}")
    t.add_row("guaranteed needs met", f"{met['guaranteed_met']} / {met['guaranteed_needs']}")
    t.add_row("min unit coverage ratio", f"{met['min_unit_ratio']:.2%}")
    t.add_row("units below equity floor", str(met["units_below_equity_floor"]))
    t.add_row("money spent (yuan)", f"{s['objective']['money']:,.2f}")
    t.add_row("idle volunteer/worker hours", f"{met['idle_hours']:,.1f}")
    gap = s.get("gap")
    t.add_row("final stage / bound / gap", f"{s['objective_stage']} / {s['best_bound']} / {'-' if gap is None else f'{gap:.3%}'}")
    tm = s["timings"]
    t.add_row("load / build / solve / write (s)",
              " / ".join("-" if tm.get(k) is None else f"{tm[k]:.2f}" for k in ("load_s", "build_s", "solve_s", "write_s")))
    t.add_row("model", f"{s['model']['variables']:,} vars, {s['model']['constraints']:,} rows, "
                       f"{s['model']['integer_variables']:,} integer")
    console.print(t)
    if out is not None:
        console.print(f"Plan written to [bold]{out}[/]")


def _exit_code_for(status: str) -> int:
    return 0 if status == "optimal" else 1


@app.command()
def plan(
    config: Path = typer.Argument(..., help="Scenario config YAML."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for the plan (default plans/<config name>)."),
    backend: Optional[str] = typer.Option(None, help="Solver backend: highs (default), cbc, scip, cpsat."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", help="Seconds for the whole solve."),
    mip_gap: Optional[float] = typer.Option(None, "--mip-gap", help="Relative MIP gap, e.g. 0.001."),
    threads: Optional[int] = typer.Option(None, help="Solver threads."),
    seed: Optional[int] = typer.Option(None, help="Solver random seed."),
    solver_log: bool = typer.Option(False, "--solver-log", help="Show the solver's own log."),
    baseline: bool = typer.Option(False, "--baseline", help="Also compute the rule-of-thumb plan and compare."),
    force: bool = typer.Option(False, "--force", help="Replace an --out folder that is not a linkage-opt plan."),
) -> None:
    """Solve a scenario and write the allocation plan (atomically) into --out.

    Exit codes: 0 optimal, 1 feasible with a gap, 2 bad input, 3 infeasible (with the conflicting
    requirements named), 4 solver or internal error.
    """

    def _do() -> int:
        import time

        from .load import load_scenario
        from .solve import solve

        target = out or Path("plans") / config.stem
        if target.exists() and not force and any(target.iterdir()) and not (target / "summary.json").exists():
            err_console.print(f"[red]error:[/] {target} exists and is not a linkage-opt plan; "
                              "choose another --out or pass --force", highlight=False)
            return 2
        t0 = time.perf_counter()
        with console.status("loading scenario") as status:
            scenario = load_scenario(config)
            load_s = time.perf_counter() - t0
            result = solve(scenario, backend=backend, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                           seed=seed, log=solver_log or None, progress=lambda msg: status.update(msg),
                           load_seconds=load_s)
            if baseline:
                from .baseline import attach_baseline

                status.update("computing the rule-of-thumb baseline")
                attach_baseline(result, scenario)
            status.update("writing the plan")
            result.write(target)
        _print_plan(result, target)
        if baseline and "baseline.json" in result.extras:
            from .baseline import print_comparison

            print_comparison(result.extras["baseline.json"], console)
        return _exit_code_for(result.status)

    raise typer.Exit(run_guarded(_do))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001
        sys.exit(report_error(exc))


if __name__ == "__main__":
    main()
