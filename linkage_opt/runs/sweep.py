"""Sweeps: many variants of one scenario, each solved on a Dask distributed worker (``docs/operations.md``,
"Sweeps").

A grid axis is written like a what-if change whose value is a comma-separated list
(``rules.budget.amount=150000,200000,250000``, ``volunteers.hours*=0.8,1.0``,
``needs[category=elderly_care].quantity*=1,1.2``); the variants are every combination of the axes'
values (``sample`` picks that many of them at random). ``perturb_weights=A`` instead makes ``sample``
variants whose category weights are each multiplied by a factor drawn from ``[1 - A, 1 + A]`` (their total
kept), plus the base: :mod:`linkage_opt.analysis.robustness` reports how stable each unit's coverage is across them.

Where it runs: ``scheduler="local"`` starts a :class:`distributed.LocalCluster` of ``workers`` processes with
one thread each (the default); ``scheduler="tcp://HOST:PORT"`` uses a running scheduler. The scenario is sent
to the workers with the tasks (no shared file system is assumed); each variant is solved with one solver
thread and the time limit given (default: the config's).

The sweep folder::

    sweeps/district/
      variants/<fingerprint>.json   one file per finished variant, written atomically as it finishes
      sweep.csv, sweep.xlsx         one row per variant (and the robustness sheets)
      sweep.html                    trade-off charts against the rule of thumb
      sweep.json                    what was swept, counts, peak memory per worker
      robustness_units.csv, robustness_unit_categories.csv    with perturb_weights
      .lock                         one sweep into the folder at a time

A variant's fingerprint is sha256 over the base scenario's content, the variant's changes, the solver
options and the package version; a re-run finds the finished variants in ``variants/`` and solves only the
others (a variant that failed with an error is tried again; an infeasible one is a result and is kept).
Ctrl-C or SIGTERM (through the CLI) cancels what is running: every finished variant stays on disk, and the
summary files are written for them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InfeasibleError, LinkageError, OutputPathError, Problem, SolverError, ValidationError
from ..i18n import Msg
from .sweep_report import sweep_html, sweep_workbook

STORE = "variants"
META = "sweep.json"
STORE_VERSION = 1
DEFAULT_TIME_LIMIT = 600.0  # seconds per variant when neither the config nor the caller gives one
CONNECT_TIMEOUT = 30.0  # seconds to reach a scheduler given by address
WORKERS_TIMEOUT = 60.0  # seconds to wait for the first worker of a scheduler given by address

_AXIS = re.compile(r"^\s*(?P<target>(?:[^=*+\[\s]|\[[^\]]*\])+?)\s*(?P<op>\*=|\+=|=)\s*(?P<values>.+?)\s*$")

# one row per variant: the columns after the axes (docs/operations.md, "Sweeps")
RESULT_COLUMNS = [
    "status",
    "weighted_coverage",
    "rule_of_thumb_coverage",
    "min_unit_ratio",
    "guaranteed_met",
    "guaranteed_needs",
    "units_below_equity_floor",
    "money",
    "gap",
    "seconds",
    "reused",
    "worker",
    "worker_peak_mb",
    "fingerprint",
    "error",
]


# ---------------------------------------------------------------------------------------------------
# What is swept
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    """One ``--grid``: a target and operator (``volunteers.hours*=``) and its values."""

    text: str
    target: str
    op: str
    values: tuple[str, ...]

    @property
    def key(self) -> str:
        """The axis's column in the sweep table: ``rules.budget.amount``, ``volunteers.hours*=``."""
        return self.target if self.op == "=" else f"{self.target}{self.op}"

    def change(self, value: str) -> str:
        return f"{self.target}{self.op}{value}"


@dataclass(frozen=True)
class Variant:
    """One variant: its number, its changes (what-if syntax) and what they set, per axis."""

    number: int
    changes: tuple[str, ...]
    inputs: dict = field(default_factory=dict)
    fingerprint: str = ""


def _grid_problem(text: str, message: Msg, hint: Msg) -> Problem:
    return Problem("--grid", None, None, message, hint=hint, value=text)


def parse_axis(text: str) -> Axis:
    """``KEY=V1,V2,...`` (also ``*=`` and ``+=``, with table filters) as an :class:`Axis`."""
    m = _AXIS.match(text or "")
    if not m:
        raise ValidationError(
            [
                _grid_problem(
                    text,
                    Msg("cannot read the grid {grid!r}", grid=text),
                    Msg(
                        "write KEY=V1,V2,..., KEY*=F1,F2,... or KEY+=A1,A2,..., e.g. {example}",
                        example="rules.budget.amount=150000,200000 or volunteers.hours*=0.8,1.0",
                    ),
                )
            ]
        )
    values = tuple(v.strip() for v in m["values"].split(","))
    if any(not v for v in values):
        raise ValidationError(
            [
                _grid_problem(
                    text,
                    Msg("the grid {grid!r} has an empty value", grid=text),
                    Msg("separate the values with commas, e.g. {example}", example="volunteers.hours*=0.8,1.0"),
                )
            ]
        )
    if len(set(values)) != len(values):
        raise ValidationError(
            [_grid_problem(text, Msg("the grid {grid!r} lists a value twice", grid=text), Msg("give each value once"))]
        )
    return Axis(text, m["target"], m["op"], values)


SAATY_STEPS = tuple([1.0 / k for k in range(9, 1, -1)] + [float(k) for k in range(1, 10)])  # 1/9 .. 1 .. 9


def saaty_step(value: float, step: int) -> float:
    """``value`` (on Saaty's scale or a reciprocal) moved ``step`` places along 1/9, 1/8, ..., 1, 2, ..., 9
    (clipped at the ends)."""
    i = int(np.argmin([abs(np.log(value) - np.log(s)) for s in SAATY_STEPS]))
    return SAATY_STEPS[min(len(SAATY_STEPS) - 1, max(0, i + step))]


def ahp_variants(config, criteria: list[str], matrix: np.ndarray, samples: int, seed: int = 0) -> list[Variant]:
    """The base (variant 1, sample 0: the config's weights) and ``samples`` variants whose AHP judgements are
    each moved by at most one Saaty step (up, down or kept, equally likely; the reciprocal alike): the
    weights of the criteria are the principal eigenvector of the moved matrix, scaled to the total the
    config gives those criteria (the other categories keep theirs)."""
    from ..inputs.ahp import ahp_weights

    cats = list(config.categories)
    base = {c: float(config.categories[c].weight) for c in cats}
    total = sum(base[c] for c in criteria)
    rng = np.random.default_rng(seed)
    n = len(criteria)
    out = [Variant(1, (), {"sample": 0, **{f"weight.{c}": base[c] for c in cats}})]
    for k in range(1, samples + 1):
        A = np.ones((n, n))
        moved = 0
        for i in range(n):
            for j in range(i + 1, n):
                step = int(rng.integers(-1, 2))
                A[i, j] = saaty_step(float(matrix[i, j]), step)
                A[j, i] = 1.0 / A[i, j]
                moved += A[i, j] != float(matrix[i, j])
        w = ahp_weights(list(criteria), A).weights
        new = dict(base)
        for c in criteria:
            new[c] = float(total * w[c])
        changes = tuple(f"categories.{c}.weight={new[c]!r}" for c in cats if new[c] != base[c])
        out.append(
            Variant(
                k + 1, changes, {"sample": k, "judgements_moved": int(moved), **{f"weight.{c}": new[c] for c in cats}}
            )
        )
    return out


def grid_variants(axes: Sequence[Axis], sample: int | None = None, seed: int = 0) -> list[Variant]:
    """Every combination of the axes' values (the first axis varying slowest), or ``sample`` of them."""
    combos = list(itertools.product(*[a.values for a in axes])) if axes else [()]
    if sample is not None and sample < len(combos):
        pick = np.sort(np.random.default_rng(seed).choice(len(combos), size=sample, replace=False))
        combos = [combos[i] for i in pick]
    return [
        Variant(i + 1, tuple(a.change(v) for a, v in zip(axes, combo)), {a.key: _typed(v) for a, v in zip(axes, combo)})
        for i, combo in enumerate(combos)
    ]


def weight_variants(config, amount: float, samples: int, seed: int = 0) -> list[Variant]:
    """The base (variant 1, sample 0) and ``samples`` variants whose category weights are each multiplied by a
    factor drawn uniformly from ``[1 - amount, 1 + amount]``, rescaled so that their total is unchanged."""
    cats = list(config.categories)
    base = np.array([float(config.categories[c].weight) for c in cats])
    rng = np.random.default_rng(seed)
    out = [Variant(1, (), {"sample": 0, **{f"weight.{c}": float(w) for c, w in zip(cats, base)}})]
    for k in range(1, samples + 1):
        w = base * rng.uniform(1.0 - amount, 1.0 + amount, size=len(cats))
        if w.sum() > 0:
            w = w * (base.sum() / w.sum())
        w = np.where(amount == 0, base, w)
        # a weight left as it is is no change: zero perturbation makes every sample the base (one solve)
        changes = tuple(f"categories.{c}.weight={float(x)!r}" for c, x, b in zip(cats, w, base) if float(x) != float(b))
        out.append(Variant(k + 1, changes, {"sample": k, **{f"weight.{c}": float(x) for c, x in zip(cats, w)}}))
    return out


def _typed(value: str):
    try:
        return float(value)
    except ValueError:
        return value


# ---------------------------------------------------------------------------------------------------
# Fingerprints
# ---------------------------------------------------------------------------------------------------


def scenario_digest(scenario) -> str:
    """sha256 of what a scenario is: the validated config and every table's content (not where they came from)."""
    from .ledger import canonical_json

    h = hashlib.sha256()
    h.update(canonical_json(scenario.config.model_dump(mode="json")).encode("utf-8"))
    for name in sorted(scenario.tables):
        h.update(f"\0{name}\0".encode())
        h.update(pd.DataFrame(scenario.tables[name]).to_csv(index=False).encode("utf-8"))
    return h.hexdigest()


def variant_fingerprint(base_digest: str, changes: Iterable[str], solver: dict) -> str:
    """sha256 of one variant's inputs: the base scenario, its changes (in order), the solver options, the version."""
    from .._version import __version__
    from .ledger import canonical_json

    doc = {
        "store_version": STORE_VERSION,
        "package_version": __version__,
        "base": base_digest,
        "changes": list(changes),
        "solver": solver,
    }
    return hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------------
# One variant, on a worker
# ---------------------------------------------------------------------------------------------------


def _peak_mb() -> float | None:
    try:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        return round(kb / 1024.0, 1)
    except (ImportError, OSError, ValueError):
        return None


def _where() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def run_variant(base, changes: Sequence[str], solver: dict) -> dict:
    """Apply ``changes`` to ``base``, solve with ``solver`` options (one thread); the record kept for it.

    Never raises for a variant that cannot be planned: ``status`` is ``infeasible`` (the conflict in
    ``error``) or ``failed`` (the error)."""
    from ..analysis.whatif import apply_change, parse_change
    from ..solving.api import solve
    from ..solving.baseline import compare

    t0 = time.perf_counter()
    rec: dict = {"status": "failed", "error": ""}
    try:
        scenario = base
        for ch in changes:
            scenario = apply_change(scenario, parse_change(ch))
        plan = solve(scenario, **solver)
        met = plan.summary["metrics"]
        rec.update(
            status=plan.status,
            weighted_coverage=met["weighted_coverage"],
            min_unit_ratio=met["min_unit_ratio"],
            guaranteed_met=met["guaranteed_met"],
            guaranteed_needs=met["guaranteed_needs"],
            units_below_equity_floor=met["units_below_equity_floor"],
            money=plan.summary["objective"]["money"],
            gap=plan.summary.get("gap"),
        )
        try:
            rec["rule_of_thumb_coverage"] = compare(plan.formulation, plan)["baseline"]["weighted_coverage"]
        except Exception:
            rec["rule_of_thumb_coverage"] = None
        cov = plan.coverage
        agg = (
            cov.assign(wn=cov["weight"] * cov["need"], wc=cov["weight"] * cov["covered"])
            .groupby(["unit_id", "unit_name", "category"], sort=True)[["need", "covered", "wn", "wc"]]
            .sum()
            .reset_index()
        )
        rec["coverage"] = {c: agg[c].tolist() for c in agg.columns}
    except InfeasibleError as exc:
        rec.update(status="infeasible", error=str(exc).strip() or "infeasible")
    except ValidationError as exc:
        rec["error"] = "; ".join(str(p) for p in exc.problems)
    except LinkageError as exc:
        rec["error"] = str(exc)
    except Exception as exc:
        rec["error"] = f"{type(exc).__name__}: {exc}"
    rec["seconds"] = round(time.perf_counter() - t0, 3)
    rec["worker"] = _where()
    rec["worker_peak_mb"] = _peak_mb()
    return rec


# ---------------------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What :func:`sweep` returns. ``table``: one row per variant (the axes' values, then
    :data:`RESULT_COLUMNS`); ``workers``: peak memory per worker; ``robustness`` with ``perturb_weights``."""

    table: pd.DataFrame
    workers: pd.DataFrame
    folder: Path | None = None
    robustness: object | None = None  # linkage_opt.analysis.robustness.Robustness
    solved: int = 0  # variants solved by this call
    reused: int = 0  # variants found finished in the folder
    failed: int = 0  # variants that failed with an error (not infeasible)
    interrupted: bool = False
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.interrupted

    def axis_columns(self) -> list[str]:
        """The columns of :attr:`table` that are the variants' inputs (the axes), not results."""
        return [c for c in self.table.columns if c not in ("variant", "label", *RESULT_COLUMNS)]


# ---------------------------------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------------------------------


def _option_problems(workers, sample, perturb_weights, scheduler, grid, perturb_ahp=None) -> list[Problem]:
    out = []
    if perturb_ahp is not None:
        if perturb_weights is not None:
            out.append(
                Problem(
                    "--perturb-ahp",
                    None,
                    None,
                    Msg("--perturb-ahp and --perturb-weights cannot be combined"),
                    hint=Msg("perturb the weights, or the AHP judgements they come from"),
                )
            )
        if grid:
            out.append(
                Problem(
                    "--perturb-ahp",
                    None,
                    None,
                    Msg("--perturb-ahp and --grid cannot be combined"),
                    hint=Msg("sweep the grid, or perturb the judgements of one scenario"),
                )
            )

    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or not 1 <= workers <= 256):
        out.append(
            Problem(
                "--workers",
                None,
                None,
                Msg("the number of workers must be a whole number from 1 to 256"),
                value=workers,
                hint=Msg("e.g. --workers 2"),
            )
        )
    if workers is not None and scheduler != "local":
        out.append(
            Problem(
                "--workers",
                None,
                None,
                Msg("--workers applies to --scheduler local only"),
                value=workers,
                hint=Msg("the workers of a scheduler are started with `dask worker ADDRESS`"),
            )
        )
    if sample is not None and (not isinstance(sample, int) or isinstance(sample, bool) or sample < 1):
        out.append(
            Problem(
                "--sample",
                None,
                None,
                Msg("the sample size must be a whole number of at least 1"),
                value=sample,
                hint=Msg("e.g. --sample 50"),
            )
        )
    if perturb_ahp is not None:
        pass
    elif perturb_weights is not None:
        if not isinstance(perturb_weights, (int, float)) or not 0 <= float(perturb_weights) < 1:
            out.append(
                Problem(
                    "--perturb-weights",
                    None,
                    None,
                    Msg("the perturbation must be from 0 to less than 1"),
                    value=perturb_weights,
                    hint=Msg("e.g. --perturb-weights 0.2 (each weight within ±20 %)"),
                )
            )
        if grid:
            out.append(
                Problem(
                    "--perturb-weights",
                    None,
                    None,
                    Msg("--perturb-weights and --grid cannot be combined"),
                    hint=Msg("sweep the grid, or perturb the weights of one scenario"),
                )
            )
    elif not grid:
        out.append(
            Problem(
                "--grid",
                None,
                None,
                Msg("nothing to sweep"),
                hint=Msg("give --grid KEY=V1,V2,... (repeatable) or --perturb-weights A --sample N"),
            )
        )
    if not isinstance(scheduler, str) or not (
        scheduler == "local" or re.fullmatch(r"(tcp|tls|inproc|ucx)://\S+", scheduler)
    ):
        out.append(
            Problem(
                "--scheduler",
                None,
                None,
                Msg("{scheduler!r} is not a scheduler", scheduler=scheduler),
                hint=Msg("local (a cluster of worker processes on this machine) or tcp://HOST:PORT"),
            )
        )
    return out


def sweep(
    scenario,
    grid: Sequence[str] = (),
    *,
    sample: int | None = None,
    perturb_weights: float | None = None,
    seed: int = 0,
    out=None,
    scheduler: str = "local",
    workers: int | None = None,
    client=None,
    time_limit: float | None = None,
    backend: str | None = None,
    mip_gap: float | None = None,
    lang: str = "en",
    force: bool = False,
    progress: Callable[[int, int, dict], None] | None = None,
    perturb_ahp: str | Path | None = None,
) -> SweepResult:
    """Solve every variant of ``scenario`` (a :class:`~linkage_opt.Scenario` or a config path) on Dask.

    ``grid``: axes as ``KEY=V1,V2,...`` (what-if syntax, ``*=``/``+=``, table filters); ``sample``: that many
    variants drawn at random from the grid (with ``perturb_weights``: the number of perturbed samples, default
    20; ``perturb_ahp``: an AHP judgements file, ``linkage-opt weights ahp``'s input, whose judgements each
    sample moves by at most one Saaty step, :func:`ahp_variants`). ``out``: the sweep folder (finished variants are reused from it; None: nothing written).
    ``scheduler``: ``"local"`` (a LocalCluster of ``workers`` processes, default 2) or ``"tcp://HOST:PORT"``;
    ``client``: a :class:`distributed.Client` to use instead. ``progress(done, total, record)`` is called as
    each variant finishes (``record`` None for the reused ones, reported first).

    Raises :class:`ValidationError` for a bad grid, option or scenario (before anything is solved) and for a
    scheduler that cannot be reached; :class:`OutputPathError` / :class:`OutputError` for a sweep folder that
    cannot be used; ``KeyboardInterrupt`` after writing what finished. A variant that fails is a row with its
    error, never an exception.
    """
    from ..analysis.whatif import apply_change, parse_change
    from ..inputs.config import solver_option_problems, with_option_problems
    from ..inputs.load import load_scenario, validate_scenario
    from ..inputs.scenario import Scenario

    started = time.perf_counter()
    problems = _option_problems(workers, sample, perturb_weights, scheduler, list(grid), perturb_ahp)
    problems += solver_option_problems(backend=backend, time_limit=time_limit, mip_gap=mip_gap)
    axes: list[Axis] = []
    for text in grid:
        try:
            axes.append(parse_axis(text))
        except ValidationError as exc:
            problems += exc.problems
    ahp_criteria: list[str] = []
    ahp_matrix = np.ones((0, 0))
    if perturb_ahp is not None:
        from ..inputs.ahp import AhpInputError, load_pairwise

        try:
            ahp_criteria, ahp_matrix = load_pairwise(perturb_ahp)
        except AhpInputError as exc:
            problems += [
                Problem(
                    str(perturb_ahp),
                    None,
                    None,
                    msg,
                    hint=Msg("the judgements file of `linkage-opt weights ahp` (docs/ahp.md)"),
                )
                for msg in exc.problems
            ]
    keys = [a.key for a in axes]
    for k in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(
            _grid_problem(k, Msg("the grid sweeps {key} twice", key=k), Msg("give each KEY once, with all its values"))
        )
    if isinstance(scenario, Scenario):
        base = with_option_problems(problems, lambda: validate_scenario(scenario))
    else:
        base = with_option_problems(problems, lambda: load_scenario(scenario))
    unknown = [c for c in ahp_criteria if c not in base.config.categories]
    if unknown:
        raise ValidationError(
            [
                Problem(
                    str(perturb_ahp),
                    None,
                    None,
                    Msg("AHP criteria that are not categories of the config: {names}", names=", ".join(unknown)),
                    hint=Msg(
                        "the criteria must be the config's category names: {names}",
                        names=", ".join(base.config.categories),
                    ),
                )
            ]
        )
    # every value of every axis applied alone: a bad key, column or value is exit 2 before anything runs
    bad = []
    for a in axes:
        for v in a.values:
            try:
                apply_change(base, parse_change(a.change(v)))
            except ValidationError as exc:  # the first value that fails names the axis's problem
                bad += [
                    dataclasses.replace(p, file="--grid" + p.file[len("--set") :]) if p.file.startswith("--set") else p
                    for p in exc.problems
                ]
                break
    if bad:
        raise ValidationError(bad)

    solver = {
        "backend": backend,
        "time_limit": time_limit if time_limit is not None else (base.config.solver.time_limit or DEFAULT_TIME_LIMIT),
        "mip_gap": mip_gap,
        "threads": 1,
    }
    solver = {k: v for k, v in solver.items() if v is not None}
    if perturb_ahp is not None:
        variants = ahp_variants(base.config, ahp_criteria, ahp_matrix, sample or 20, seed)
    elif perturb_weights is not None:
        variants = weight_variants(base.config, float(perturb_weights), sample or 20, seed)
    else:
        variants = grid_variants(axes, sample, seed)
    digest = scenario_digest(base)
    variants = [dataclasses.replace(v, fingerprint=variant_fingerprint(digest, v.changes, solver)) for v in variants]
    meta = {
        "scenario": base.config.name,
        "period": base.config.period,
        "config": str(base.config_path) if base.config_path else None,
        "grid": [a.text for a in axes],
        "sample": sample,
        "perturb_weights": perturb_weights,
        "perturb_ahp": None if perturb_ahp is None else str(perturb_ahp),
        "seed": seed,
        "solver": solver,
        "scheduler": scheduler if client is None else "client",
        "base_digest": digest,
    }

    folder = Path(out) if out is not None else None
    if folder is None:
        return _run(base, variants, solver, None, scheduler, workers, client, progress, meta, lang, started)
    from ..outdir import writer_lock

    _check_sweep_folder(folder, force)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from ..outdir import os_failure

        raise os_failure(folder, exc, earlier=False, subject=Msg("the sweep folder")) from None
    with writer_lock(folder, folder):
        return _run(base, variants, solver, folder, scheduler, workers, client, progress, meta, lang, started)


def is_sweep_folder(path: Path) -> bool:
    return (path / META).is_file() or (path / STORE).is_dir()


def _check_sweep_folder(folder: Path, force: bool) -> None:
    from ..outdir import inspect_folder

    where, state = inspect_folder(folder, "the sweep folder ")  # a file, FIFO or device: refused, unopened
    if state == "absent" or force:
        return
    entries = [p for p in where.iterdir() if p.name != ".lock"]
    if entries and not is_sweep_folder(where):
        raise OutputPathError(
            Msg(
                "the sweep folder {folder!r} exists and is not a linkage-opt sweep folder; nothing was changed; choose another --out or pass --force",
                folder=str(folder),
            )
        )


def _store_path(folder: Path, fingerprint: str) -> Path:
    return folder / STORE / f"{fingerprint}.json"


def read_store(folder: Path, fingerprint: str) -> dict | None:
    """The finished record of a variant in ``folder`` (None when absent, unreadable or of another version)."""
    try:
        rec = json.loads(_store_path(folder, fingerprint).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or rec.get("fingerprint") != fingerprint or rec.get("store_version") != STORE_VERSION:
        return None
    return rec


def _write_record(folder: Path, rec: dict) -> None:
    from ..solving.plan import write_file_atomic

    (folder / STORE).mkdir(exist_ok=True)
    write_file_atomic(
        _store_path(folder, rec["fingerprint"]),
        json.dumps(_jsonable(rec), ensure_ascii=False, allow_nan=False, sort_keys=True) + "\n",
    )


def _jsonable(obj):
    """JSON-safe copy: numpy scalars as Python numbers, NaN as null, infinities as "inf"."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None if obj != obj else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _connect(scheduler: str, workers: int | None):
    """``(client, cluster)``: a LocalCluster of processes (one thread each), or a client of ``scheduler``."""
    import warnings

    from distributed import Client, LocalCluster

    if scheduler == "local":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # the workers' own logs at CRITICAL only: a variant's error is in its record, and an interrupted
                # sweep must not print Dask's heartbeat tracebacks as its workers lose the scheduler
                cluster = LocalCluster(
                    n_workers=workers or 2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    silence_logs=logging.CRITICAL,
                )
        except Exception as exc:
            raise SolverError(
                f"cannot start the local Dask cluster ({type(exc).__name__}: {exc}); from a script, "
                "call the sweep under `if __name__ == '__main__':` (its worker processes are "
                "spawned)"
            ) from None
        return Client(cluster), cluster
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValidationError(
            [
                Problem(
                    "--scheduler",
                    None,
                    None,
                    Msg(
                        "cannot reach the scheduler {scheduler} or it has no workers ({error})",
                        scheduler=scheduler,
                        error=type(exc).__name__,
                    ),
                    hint=Msg("start one with `dask scheduler` and `dask worker ADDRESS`, or use --scheduler local"),
                )
            ]
        ) from None
    return client, None


def _run(base, variants, solver, folder, scheduler, workers, client, progress, meta, lang, started) -> SweepResult:
    records: dict[str, dict] = {}
    reused = set()
    if folder is not None:
        for v in variants:
            if v.fingerprint in records:
                continue
            rec = read_store(folder, v.fingerprint)
            if rec is not None and rec.get("status") != "failed":
                records[v.fingerprint] = rec
                reused.add(v.fingerprint)
    pending = list(dict.fromkeys(v.fingerprint for v in variants if v.fingerprint not in records))
    by_fp = {v.fingerprint: v for v in variants}
    total = len(set(by_fp))
    done = len(records)
    if progress:
        progress(done, total, None)
    interrupted = False
    own = None
    futures = []
    try:
        if pending:
            from distributed import as_completed

            if client is None:
                client, own = _connect(scheduler, workers)
                owned_client = client
            else:
                owned_client = None
            try:
                base_f = client.scatter(base, hash=False)
                futures = [
                    client.submit(
                        run_variant,
                        base_f,
                        by_fp[fp].changes,
                        solver,
                        pure=False,
                        key=f"linkage-variant-{fp[:16]}-{os.urandom(4).hex()}",
                    )
                    for fp in pending
                ]
                fp_of = {f.key: fp for f, fp in zip(futures, pending)}
                for fut in as_completed(futures):
                    fp = fp_of[fut.key]
                    try:
                        rec = fut.result()
                    except Exception as exc:
                        rec = {
                            "status": "failed",
                            "error": f"{type(exc).__name__}: {exc}",
                            "seconds": None,
                            "worker": None,
                            "worker_peak_mb": None,
                        }
                    rec.update(
                        fingerprint=fp,
                        store_version=STORE_VERSION,
                        changes=list(by_fp[fp].changes),
                        finished_at=_utc_now(),
                    )
                    records[fp] = rec
                    if folder is not None:
                        _write_record(folder, rec)
                    done += 1
                    if progress:
                        progress(done, total, rec)
            except KeyboardInterrupt:
                interrupted = True
                for f in futures:
                    f.cancel()
                raise
            finally:
                if owned_client is not None:
                    _close(owned_client, own)
    except KeyboardInterrupt:
        result = _result(variants, records, reused, folder, meta, started, interrupted=True)
        if folder is not None:
            _write_summary(folder, result, lang, base, quick=True)
        raise
    result = _result(variants, records, reused, folder, meta, started, interrupted=interrupted)
    if meta.get("perturb_weights") is not None or meta.get("perturb_ahp") is not None:
        from ..analysis.robustness import robustness

        result.robustness = robustness(result.table, records, variants)
    if folder is not None:
        _write_summary(folder, result, lang, base)
    return result


def _close(client, cluster) -> None:
    import contextlib

    with contextlib.suppress(Exception):
        client.close(timeout=10)
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close(timeout=10)


def _utc_now() -> str:
    from .ledger import utc_now

    return utc_now()


def _result(variants, records, reused, folder, meta, started, interrupted) -> SweepResult:
    rows = []
    for v in variants:
        rec = records.get(v.fingerprint)
        label = "; ".join(v.changes) if v.changes else "base"
        if v.inputs.get("sample"):  # a weight sample: its weights are the weight.* columns
            label = f"sample {v.inputs['sample']}"
        row = {"variant": v.number, "label": label, **v.inputs}
        if rec is None:
            row.update(status="not run", fingerprint=v.fingerprint, reused=False)
        else:
            row.update({c: rec.get(c) for c in RESULT_COLUMNS})
            row["fingerprint"] = v.fingerprint
            row["reused"] = v.fingerprint in reused
        rows.append(row)
    table = pd.DataFrame(rows)
    for c in RESULT_COLUMNS:
        if c not in table:
            table[c] = None
    input_cols = [c for c in table.columns if c not in ("variant", "label", *RESULT_COLUMNS)]
    table = table[["variant", "label", *input_cols, *RESULT_COLUMNS]]
    solved_recs = [r for fp, r in records.items() if fp not in reused]
    w = pd.DataFrame(
        [
            {"worker": r.get("worker"), "variants": 1, "peak_mb": r.get("worker_peak_mb"), "seconds": r.get("seconds")}
            for r in solved_recs
            if r.get("worker")
        ]
    )
    if len(w):
        w = (
            w.groupby("worker", sort=True)
            .agg(variants=("variants", "sum"), peak_mb=("peak_mb", "max"), seconds=("seconds", "sum"))
            .reset_index()
        )
    else:
        w = pd.DataFrame(columns=["worker", "variants", "peak_mb", "seconds"])
    failed = sum(1 for fp, r in records.items() if r.get("status") == "failed")
    meta = {
        **meta,
        "variants": len(variants),
        "distinct_variants": len({v.fingerprint for v in variants}),
        "solved": len(solved_recs),
        "reused": len(reused),
        "failed": failed,
        "not_run": int((table["status"] == "not run").sum()),
        "interrupted": interrupted,
        "seconds": round(time.perf_counter() - started, 3),
        "finished_at": _utc_now(),
        "workers": w.to_dict("records"),
    }
    return SweepResult(
        table=table,
        workers=w,
        folder=folder,
        solved=len(solved_recs),
        reused=len(reused),
        failed=failed,
        interrupted=interrupted,
        seconds=meta["seconds"],
        meta=meta,
    )


def _write_summary(folder: Path, result: SweepResult, lang: str, base, quick: bool = False) -> None:
    """sweep.csv and sweep.json (and, unless ``quick``, sweep.xlsx, sweep.html and the robustness CSVs)."""
    from ..solving.plan import csv_bytes, write_file_atomic

    write_file_atomic(folder / "sweep.csv", csv_bytes(result.table))
    rob = result.robustness
    if rob is not None:
        write_file_atomic(folder / "robustness_units.csv", csv_bytes(rob.units))
        write_file_atomic(folder / "robustness_unit_categories.csv", csv_bytes(rob.unit_categories))
    if not quick:
        write_file_atomic(folder / "sweep.xlsx", sweep_workbook(result, lang))
        write_file_atomic(folder / "sweep.html", sweep_html(result, lang, base))
    meta = dict(result.meta)
    if rob is not None:
        meta["robustness"] = rob.summary
    write_file_atomic(folder / META, json.dumps(_jsonable(meta), ensure_ascii=False, indent=2, allow_nan=False) + "\n")
