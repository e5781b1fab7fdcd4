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
from .errors import InfeasibleError, LinkageError, Problem, ValidationError, fmt_qty

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
            err_console.print("  - " + str(p), markup=False, highlight=False, soft_wrap=True)
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
            status.update("explaining unmet needs")
            from .explain import attach_explanations

            attach_explanations(result)
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


def _read_plan_dir(plan_dir: Path) -> dict:
    import json

    import pandas as pd

    if not (plan_dir / "summary.json").exists():
        raise ValidationError([Problem(str(plan_dir), None, None, "not a linkage-opt plan folder (no summary.json)",
                                       hint="give the --out folder of `linkage-opt plan`")])
    out = {"summary": json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))}
    for name in ("allocations", "coverage", "providers", "programs", "explanations", "marginal_values"):
        f = plan_dir / f"{name}.csv"
        if f.exists():
            out[name] = pd.read_csv(f, encoding="utf-8-sig", keep_default_na=False,
                                    dtype={"need_id": str, "program_id": str, "unit_id": str, "provider_id": str})
    return out


@app.command()
def explain(
    plan_dir: Path = typer.Argument(..., help="A plan folder written by `linkage-opt plan`."),
    unit: Optional[str] = typer.Option(None, "--unit", help="Only this unit (id or name)."),
    category: Optional[str] = typer.Option(None, "--category", help="Only this category."),
    top: int = typer.Option(10, help="How many marginal values to show."),
) -> None:
    """Why needs are unmet, and what one more hour or yuan would buy (from the model, not guessed)."""

    def _do() -> int:
        from rich.table import Table

        p = _read_plan_dir(plan_dir)
        if "explanations" not in p:
            err_console.print("this plan has no explanations.csv; re-run `linkage-opt plan`", highlight=False)
            return 2
        ex = p["explanations"]
        if unit:
            ex = ex[(ex["unit_id"] == unit) | (ex["unit_name"] == unit)]
        if category:
            ex = ex[ex["category"] == category]
        t = Table(title=f"Unmet needs ({len(ex)})", title_justify="left", show_lines=False)
        for col in ("unit", "category", "tier", "unmet / need", "why"):
            t.add_column(col, overflow="fold")
        for r in ex.itertuples(index=False):
            t.add_row(f"{r.unit_name} ({r.unit_id})", r.category, r.tier, f"{fmt_qty(r.unmet)} / {fmt_qty(r.need)}",
                      f"[bold]{r.reason_code}[/]: {r.reason}")
        console.print(t)
        mv = p.get("marginal_values")
        if mv is not None and len(mv):
            if unit:
                mv = mv[(mv["home_unit"] == unit) | (mv["unit_name"] == unit) | (mv["provider_kind"] == "budget")]
            t2 = Table(title="Marginal value of more capacity (weighted coverage)", title_justify="left")
            for col in ("group", "members", "per extra", "effect"):
                t2.add_column(col)
            for r in mv.head(top).itertuples(index=False):
                t2.add_row(str(r.group), str(r.members), str(r.per), str(r.example))
            console.print(t2)
        return 0

    raise typer.Exit(run_guarded(_do))


@app.command()
def check(
    plan_dir: Path = typer.Argument(..., help="A plan folder written by `linkage-opt plan`."),
    config: Optional[Path] = typer.Option(None, "--config", help="Scenario config (default: the one recorded in summary.json)."),
) -> None:
    """Re-check a plan against its scenario independently of the model: exit 0 valid, 1 violations found."""

    def _do() -> int:
        from .check import check_plan
        from .load import load_scenario

        p = _read_plan_dir(plan_dir)
        cfg_path = config or (Path(p["summary"]["config"]) if p["summary"].get("config") else None)
        if cfg_path is None:
            err_console.print("give --config: the plan does not record its config", highlight=False)
            return 2
        scenario = load_scenario(cfg_path)
        tables = {k: p[k] for k in ("allocations", "coverage", "providers", "programs")}
        violations = check_plan(scenario, tables, p["summary"])
        if violations:
            for v in violations:
                err_console.print(f"  - {v}", markup=False, highlight=False)
            err_console.print(f"[red]{len(violations)} violation(s)[/]")
            return 1
        console.print("[green]OK[/]: every capacity, reach, skill, earmark, guarantee and rule holds; "
                      "the summary's objective terms recompute from the tables.")
        return 0

    raise typer.Exit(run_guarded(_do))


@app.command()
def whatif(
    config: Path = typer.Argument(..., help="Scenario config YAML."),
    set_: list[str] = typer.Option(..., "--set", help="A change, e.g. volunteers.hours*=1.1 or categories.elderly_care.weight=0.4 (repeatable: one variant each)."),
    combine: bool = typer.Option(False, "--combine", help="Also plan all changes together."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the comparison as CSV here."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit"),
    backend: Optional[str] = typer.Option(None),
) -> None:
    """Plan variants and tabulate each metric's change against the base plan."""

    def _do() -> int:
        from rich.table import Table

        from .load import load_scenario
        from .whatif import METRICS, run_whatif

        scenario = load_scenario(config)
        with console.status("planning variants") as status:
            df = run_whatif(scenario, set_, combine=combine, progress=lambda m: status.update(m),
                            time_limit=time_limit, backend=backend)
        t = Table(title="What-if: change against the base plan", title_justify="left")
        t.add_column("variant")
        t.add_column("status")
        for _, label, _ in METRICS:
            t.add_column(label, justify="right")
        for _, r in df.iterrows():
            cells = []
            for key, _, fmt in METRICS:
                if r["status"] == "infeasible" or key not in r or r[key] != r[key]:
                    cells.append("-")
                elif r["variant"] == "base":
                    cells.append(fmt.format(r[key]))
                else:
                    d = r[f"delta_{key}"]
                    cells.append(fmt.format(r[key]) + (f" ({'+' if d >= 0 else ''}{fmt.format(d)})" if "%" not in fmt
                                                      else f" ({d * 100:+.2f} pt)"))
            t.add_row(str(r["variant"]), str(r["status"]), *cells)
        console.print(t)
        if out:
            from .plan import write_csv

            out.parent.mkdir(parents=True, exist_ok=True)
            write_csv(df, out)
        return 0

    raise typer.Exit(run_guarded(_do))


@app.command()
def generate(
    out: Path = typer.Argument(..., help="Folder for the generated scenario (new, empty, or an earlier generated one)."),
    preset: Optional[str] = typer.Option(None, help="town (~15 units), district (200 units) or city (2,000 units)."),
    units: Optional[int] = typer.Option(None, help="Number of units (overrides the preset)."),
    volunteers: Optional[int] = typer.Option(None),
    workers: Optional[int] = typer.Option(None),
    orgs: Optional[int] = typer.Option(None),
    lots: Optional[int] = typer.Option(None),
    seed: int = typer.Option(0, help="Random seed: the same seed writes the same files, byte for byte."),
) -> None:
    """Write a seeded synthetic scenario with realistic structure (towns, villages, skills, party members)."""

    def _do() -> int:
        from .generate import generate_command

        try:
            with console.status("generating"):
                path = generate_command(out, preset, units, volunteers, workers, orgs, lots, seed)
        except ValueError as exc:
            raise ValidationError([Problem("generate", None, None, str(exc),
                                           hint="e.g. linkage-opt generate --preset district --seed 1 scenarios/district")]) from None
        console.print(f"wrote [bold]{path}[/]; plan it with: linkage-opt plan {path}")
        return 0

    raise typer.Exit(run_guarded(_do))


weights_app = typer.Typer(help="Party-led category weights.", no_args_is_help=True)
app.add_typer(weights_app, name="weights")


@weights_app.command("ahp")
def weights_ahp(
    pairwise: Path = typer.Argument(..., help="Pairwise comparison YAML (Saaty 1-9 scale), see docs/ahp.md."),
    write: Optional[Path] = typer.Option(None, "--write", help="Write the weights into this scenario config."),
    out: Optional[Path] = typer.Option(None, "--out", help="With --write: write the updated config here instead."),
    threshold: float = typer.Option(0.1, help="Largest consistency ratio accepted."),
) -> None:
    """Derive category weights from a party committee's pairwise comparisons (principal eigenvector).

    Refuses (exit 2) when the consistency ratio exceeds the threshold, naming the most inconsistent pairs.
    """

    def _do() -> int:
        from rich.table import Table

        from .ahp import AhpInputError, ahp_weights, format_result, load_pairwise, write_weights

        try:
            criteria, matrix = load_pairwise(pairwise)
        except AhpInputError as exc:
            raise ValidationError([Problem(str(pairwise), None, None, p) for p in exc.problems]) from None
        result = ahp_weights(criteria, matrix, threshold=threshold)
        t = Table(title="AHP weights", title_justify="left", show_header=False)
        for k, v in format_result(result):
            t.add_row(k, v)
        console.print(t)
        if not result.consistent:
            err_console.print(f"[red]refused:[/] consistency ratio {result.cr:.3f} exceeds {threshold:g}; "
                              "revise the most inconsistent judgements:", highlight=False)
            for a, b, given, implied, ratio in result.inconsistent_pairs[:3]:
                err_console.print(f"  - {a} vs {b}: judged {given:.3g}, the other judgements imply {implied:.3g} "
                                  f"({ratio:.2f}x off)", highlight=False)
            return 2
        if write is not None:
            path = write_weights(write, result.weights, out)
            console.print(f"weights written to [bold]{path or out or write}[/]")
        return 0

    raise typer.Exit(run_guarded(_do))


from .cli_runs import register as _register_runs  # noqa: E402  - run, runs list/show/diff/publish/restore

_register_runs(app)


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
