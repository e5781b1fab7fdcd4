"""``solve(scenario) -> Plan``, the library's entry (``lo.solve``, ``linkage-opt plan``): one plan for the whole
scenario (:func:`linkage_opt.solving.solve.solve_monolithic`: the model, its stages, the tables) or, with
``decompose=``, a plan per part merged into one (:func:`linkage_opt.solving.decompose.solve_decomposed`,
which solves each part with ``solve_monolithic``). This module sits above both, so the imports point one way.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import Problem, ValidationError
from ..i18n import Msg
from ..inputs.scenario import Scenario
from .decompose import solve_decomposed
from .plan import Plan
from .solve import solve_monolithic


def solve(
    scenario: Scenario,
    *,
    backend: str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    seed: int | None = None,
    log: bool | None = None,
    progress: Callable[[str], None] | None = None,
    load_seconds: float | None = None,
    history=None,
    decompose: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    tables_deadline: float | None = None,
) -> Plan:
    """Plan a scenario.

    Raises :class:`ValidationError` for bad input before anything is built: an option out of range
    (named as on the command line: ``--time-limit``, ``--mip-gap``, ``--threads``, ``--seed``,
    ``--backend``), or a scenario that does not pass the loader's checks (it is validated again unless
    the loader validated exactly this config and these tables: :func:`linkage_opt.inputs.load.validate_scenario`);
    :class:`InfeasibleError` (with a diagnosis) when guarantees cannot all hold; :class:`SolverError`
    when the solver fails. Charity lots lapsed before the period are left out (``summary["lapsed_lots"]``).

    ``history`` (:class:`linkage_opt.inputs.history.History`) carries earlier periods: carry-over and
    multi-month equity are applied to the scenario, and the previous plan's pairings to the stability
    penalty, each as switched on in the config.

    ``decompose="town"`` (or any units column) plans the parts of that column separately on Dask
    (:func:`linkage_opt.solving.decompose.solve_decomposed`: ``scheduler`` an address, else a LocalCluster of
    ``workers`` processes; ``workers=0`` in this process) and merges them into one plan.

    ``tables_deadline`` (a ``time.monotonic()`` instant, later than the time limit's end): turning the
    solution into dispatchable amounts stops by then and keeps the exact amounts (a part of a decomposed plan
    must be done by its deadline; :func:`linkage_opt.dispatch.dispatch_rows`).
    """
    if decompose:  # one plan over many districts: parts solved on Dask (linkage_opt.solving.decompose, docs/model.md)
        if history is not None:
            raise ValidationError(
                [
                    Problem(
                        "--decompose",
                        None,
                        None,
                        Msg("decomposed plans do not take a history (carry-over, stability)"),
                        hint=Msg("plan without --decompose, or without history"),
                    )
                ]
            )
        return solve_decomposed(
            scenario,
            decompose,
            backend=backend,
            time_limit=time_limit,
            mip_gap=mip_gap,
            seed=seed,
            scheduler=scheduler,
            workers=workers,
            progress=progress,
            load_seconds=load_seconds,
        )
    return solve_monolithic(
        scenario,
        backend=backend,
        time_limit=time_limit,
        mip_gap=mip_gap,
        threads=threads,
        seed=seed,
        log=log,
        progress=progress,
        load_seconds=load_seconds,
        history=history,
        tables_deadline=tables_deadline,
    )
