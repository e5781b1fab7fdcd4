"""``linkage-opt sweep``: many variants of a scenario on Dask (``docs/operations.md``, "Sweeps").

Registered on the main app by :func:`register` (one line in ``linkage_opt/cli/commands.py``).

Exit codes: 0 every variant was planned (optimal, feasible or infeasible: each is a result), 1 the sweep
finished but some variants failed with an error (their rows say which), 2 bad input or a bad option (a
``--grid`` that cannot be read or applied, an unreachable ``--scheduler``, an ``--out`` that is not a sweep
folder), 4 internal error, 130 interrupted by Ctrl-C or SIGTERM (the finished variants stay in the folder).
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..i18n import N_
from . import common as _common

console = Console()
err_console = Console(stderr=True)
T = _common.T
_state = _common.state
# errors as messages and exit codes (linkage_opt.cli.common.guard)
guarded = _common.guard(lambda: err_console, N_("interrupted; nothing was written"))


def _raise_interrupt(signum, _frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


@guarded
def sweep_command(
    config: Annotated[Path, typer.Argument(help="Scenario config YAML.")],
    grid: list[str] = typer.Option(
        [],
        "--grid",
        help="An axis: KEY=V1,V2,... in the syntax of whatif --set (*=, +=, "
        "table filters); repeatable: every combination is one variant.",
    ),
    sample: Annotated[
        int | None,
        typer.Option(
            "--sample",
            help="Solve this many variants drawn at random from the "
            "grid (with --perturb-weights: the number of samples, default 20).",
        ),
    ] = None,
    perturb_weights: Annotated[
        float | None,
        typer.Option(
            "--perturb-weights",
            help="Move every category weight by up "
            "to this share (e.g. 0.2) in each sample and report how stable "
            "each unit's coverage and rank are.",
        ),
    ] = None,
    perturb_ahp: Annotated[
        Path | None,
        typer.Option(
            "--perturb-ahp",
            help="An AHP judgements file (the input of "
            "`weights ahp`): each sample moves every judgement by at most one "
            "Saaty step and takes the weights it gives; same report as "
            "--perturb-weights.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of --sample and --perturb-weights.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Sweep folder (default sweeps/<config name>); the variants finished in it before are reused.",
        ),
    ] = None,
    scheduler: Annotated[
        str,
        typer.Option(
            "--scheduler",
            help="local (worker processes on this machine) or the "
            "address of a running Dask scheduler, tcp://HOST:PORT.",
        ),
    ] = "local",
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes of the local cluster (default 2).")
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds for each variant's solve (default: the config's).")
    ] = None,
    mip_gap: Annotated[float | None, typer.Option("--mip-gap", help="Relative MIP gap, e.g. 0.001.")] = None,
    backend: Annotated[str | None, typer.Option(help="Solver backend: highs (default), cbc, scip, cpsat.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write into an --out folder that is not a sweep folder.")
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", help="Language of messages, workbook and report: en or zh (default $LINKAGE_OPT_LANG, else en)."
        ),
    ] = None,
) -> int:
    """Plan many variants of a scenario on Dask and tabulate them: a grid of changes, or perturbed weights.

    Writes a sweep folder: one row per variant in sweep.csv and sweep.xlsx, trade-off charts in sweep.html,
    and each finished variant in variants/ (reused by a re-run). Exit codes: 0 every variant planned,
    1 some variants failed (see their error), 2 bad input or option, 4 internal error, 130 interrupted
    (finished variants kept).
    """
    _common.set_lang(lang, err_console)
    target = out or Path("sweeps") / config.stem

    try:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)  # a stop keeps the finished variants
    except ValueError:  # not the main thread
        previous = None
    try:
        return _sweep(
            config,
            grid,
            sample,
            perturb_weights,
            seed,
            target,
            scheduler,
            workers,
            time_limit,
            mip_gap,
            backend,
            force,
            perturb_ahp,
        )
    except KeyboardInterrupt:
        from ..runs.sweep import STORE

        try:
            n = sum(1 for p in (target / STORE).iterdir() if p.suffix == ".json")
        except OSError:
            n = 0
        err_console.print(
            T("interrupted; the {n} finished variants are kept in {path} (a re-run reuses them)", n=n, path=target),
            highlight=False,
        )
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _sweep(
    config,
    grid,
    sample,
    perturb_weights,
    seed,
    target,
    scheduler,
    workers,
    time_limit,
    mip_gap,
    backend,
    force,
    perturb_ahp=None,
) -> int:
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..outdir import check_output_folder
    from ..runs.sweep import sweep

    check_output_folder(target, "the sweep folder ")  # a file, FIFO or device is refused before anything is loaded
    # the bar over variants appears once the inputs and options are checked (its first call)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    tasks: list = []

    def progress(done: int, total: int, rec) -> None:
        if not tasks:
            bar.start()
            tasks.append(bar.add_task(T("planning variants", context="sweep.running"), total=total))
        bar.update(tasks[0], completed=done, total=total)

    try:
        result = sweep(
            config,
            grid,
            sample=sample,
            perturb_weights=perturb_weights,
            seed=seed,
            out=target,
            scheduler=scheduler,
            workers=workers,
            time_limit=time_limit,
            mip_gap=mip_gap,
            backend=backend,
            lang=_state["lang"],
            force=force,
            progress=progress,
            perturb_ahp=perturb_ahp,
        )
    finally:
        if tasks:
            bar.stop()
    _print_result(result)
    console.print(T("Sweep written to [bold]{path}[/] (sweep.csv, sweep.xlsx, sweep.html)", path=escape(str(target))))
    return 0 if result.failed == 0 else 1


SHOWN_ROWS = 30
SHOWN_NOTES = 10


def _print_result(result) -> None:
    from rich.markup import escape
    from rich.table import Table

    from .. import lang as L

    t = result.table
    table = Table(title=T("Sweep: {n} variants", n=len(t)), title_justify="left")
    for key in (
        "variant",
        "changes",
        "status",
        "coverage",
        "rule",
        "min_ratio",
        "guaranteed",
        "money",
        "gap",
        "seconds",
    ):
        table.add_column(
            L.label("sweep.col", key, _state["lang"]),
            justify="right" if key not in ("changes", "status") else "left",
            overflow="fold",
        )

    def pct(v):
        return "-" if v is None or v != v else f"{float(v):.2%}"

    for r in t.head(SHOWN_ROWS).to_dict("records"):
        status = L.t_or(f"status.{r['status']}", str(r["status"]), _state["lang"])
        if r.get("reused"):
            status += T(" (reused)")
        g = (
            "-"
            if r.get("guaranteed_needs") is None or r["guaranteed_needs"] != r["guaranteed_needs"]
            else f"{int(r['guaranteed_met'])} / {int(r['guaranteed_needs'])}"
        )
        money = "-" if r.get("money") is None or r["money"] != r["money"] else f"{float(r['money']):,.0f}"
        gap = "-" if r.get("gap") is None or r["gap"] != r["gap"] else f"{float(r['gap']):.3%}"
        secs = "-" if r.get("seconds") is None or r["seconds"] != r["seconds"] else f"{float(r['seconds']):.1f}"
        table.add_row(
            str(r["variant"]),
            escape(str(r["label"])),
            escape(status),
            pct(r.get("weighted_coverage")),
            pct(r.get("rule_of_thumb_coverage")),
            pct(r.get("min_unit_ratio")),
            g,
            money,
            gap,
            secs,
        )
    _common.print_table(table, console)
    if len(t) > SHOWN_ROWS:
        console.print(T("{n} more variants in sweep.csv", n=len(t) - SHOWN_ROWS))
    notes = [r for r in t.to_dict("records") if r["status"] in ("failed", "infeasible") and r.get("error")]
    for r in notes[:SHOWN_NOTES]:
        status = L.t_or(f"status.{r['status']}", str(r["status"]), _state["lang"])
        console.print(
            f"  #{r['variant']} {status}: " + escape(str(r["error"]).splitlines()[0][:300]),
            highlight=False,
            soft_wrap=True,
        )
    if len(notes) > SHOWN_NOTES:
        console.print(T("{n} more variants in sweep.csv", n=len(notes) - SHOWN_NOTES))
    m = result.meta
    console.print(
        T(
            "{n} variants: {solved} solved, {reused} reused, {failed} failed; {seconds} s",
            n=len(t),
            solved=result.solved,
            reused=result.reused,
            failed=result.failed,
            seconds=f"{result.seconds:.1f}",
        ),
        highlight=False,
    )
    for w in result.workers.to_dict("records"):
        console.print(
            T(
                "worker {worker}: {n} variants, peak memory {mb} MB",
                worker=escape(str(w["worker"])),
                n=int(w["variants"]),
                mb="-" if w["peak_mb"] is None or w["peak_mb"] != w["peak_mb"] else f"{float(w['peak_mb']):,.0f}",
            ),
            highlight=False,
        )
    rob = result.robustness
    if rob is not None:
        s = rob.summary
        console.print(
            T(
                "Robustness: {samples} samples (weights within ±{pctw}); {changing} of {units} units change rank in some sample; widest range of a unit's coverage {widest}",
                samples=s.get("samples", 0),
                changing=s.get("units_changing_rank", 0),
                units=s.get("units", 0),
                widest=pct(s.get("largest_unit_range")),
                pctw=f"{float(m.get('perturb_weights') or 0):.0%}",
            ),
            highlight=False,
        )
        for r in rob.units.head(5).to_dict("records"):
            if r["range"] > 0 or r["rank_changed"]:
                console.print(
                    T(
                        "  {unit}: {lo} .. {hi} (base {base}); rank {rank} ({worst}..{best})",
                        unit=escape(f"{r['unit_name']} ({r['unit_id']})"),
                        lo=pct(r["min_ratio"]),
                        hi=pct(r["max_ratio"]),
                        base=pct(r["base_ratio"]),
                        rank=int(r["base_rank"]),
                        worst=int(r["worst_rank"]),
                        best=int(r["best_rank"]),
                    ),
                    highlight=False,
                )


def register(app) -> None:
    app.command("sweep")(sweep_command)


if __name__ == "__main__":  # python -m linkage_opt.cli.sweep CONFIG ...: the same as linkage-opt sweep
    typer.run(sweep_command)
