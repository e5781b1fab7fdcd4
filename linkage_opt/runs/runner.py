"""Monthly runs: one period planned at a time, recorded in the ledger, written atomically, published.

``run_period(config, "2026-12", "runs")`` does, in order:

1. takes the period's lock ``runs/2026-12/.lock`` (:mod:`filelock`; the kernel releases it when the
   process dies, however it dies). A second run of the same period waits up to ``wait`` seconds, then
   stops with :class:`RunInProgressError` (exit code 5) naming the holder's pid;
2. removes temporary folders a killed run left in ``runs/2026-12/`` (``.r*.tmp-*``);
3. loads and validates the scenario; ``period`` overrides the config's ``period`` (logged when they
   differ), so one config serves every month;
4. reads the history from the ledger (only when ``carry_over`` or ``stability`` is on): the previous
   period's published allocations and the published coverage of the last ``carry_over.months`` periods;
5. computes the input fingerprint: sha256 over the validated config, every input file's sha256, the
   package version, the solver options and the history runs used. If an optimal or feasible run of the
   period has the same fingerprint and ``force`` is not set, nothing is planned: that run is returned
   (``reused``), with its exit code;
6. records a ``running`` row, solves, writes the plan into ``runs/2026-12/r<revision>/`` (a new folder
   every time; :meth:`Plan.write` writes a temp sibling and renames it; an existing folder is never
   replaced), then in one ledger transaction stores the plan, finalises the row and publishes it (the
   previous published revision of the period is unpublished; its folder stays). ``published.json`` in
   the period folder names the published revision for readers that do not open the ledger.

Every outcome is recorded: bad input (exit 2) and infeasible (3, with the diagnosis) and solver or
internal errors (4) finalise the row as ``infeasible``/``failed`` with the message.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import re
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from .._version import __version__
from ..errors import InfeasibleError, LinkageError, Problem, ValidationError
from ..i18n import Msg
from ..outdir import LOCK_NAME, folder_lock, inspect_folder, os_failure
from ..solving.plan import write_file_atomic
from ..solving.summary import Summary
from .ledger import (
    DEFAULT_LEDGER_NAME,
    SUCCESS,
    Ledger,
    LedgerError,
    LedgerUsageError,
    RunNotFoundError,
    canonical_json,
    restore_plan,
    sha256_bytes,
    sha256_file,
    utc_now,
)
from .logging_setup import log_event

EXIT_OPTIMAL, EXIT_FEASIBLE, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_ERROR, EXIT_BUSY = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED = 130
FINGERPRINT_VERSION = 1
PERIOD_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
REVISION_RE = re.compile(r"r(\d+)")
OWNER_NAME = ".lock.owner"
PUBLISHED_NAME = "published.json"


class RunInProgressError(LinkageError):
    """Another run of the same period holds its lock (exit code 5: try again later)."""

    exit_code = EXIT_BUSY

    def __init__(self, period: str, owner: dict | None, waited: float):
        self.period = period
        self.owner = owner or {}
        pid = self.owner.get("pid")
        host = self.owner.get("host")
        who: str = ""
        if pid:
            who = (
                Msg(" (pid {pid} on {host})", pid=pid, host=host)
                if host and host != socket.gethostname()
                else Msg(" (pid {pid})", pid=pid)
            )
        tail = Msg("; waited {waited:g} s", waited=waited) if waited else Msg("; pass --wait SECONDS to wait for it")
        super().__init__(Msg("another run of {period} is in progress{who}{tail}", period=period, who=who, tail=tail))


@dataclass
class RunOutcome:
    period: str
    status: str  # optimal | feasible | infeasible | failed
    exit_code: int
    run_id: str | None = None  # None only when nothing was recorded
    revision: int | None = None
    plan_dir: Path | None = None  # absolute path of the plan folder (successful runs)
    reused: bool = False  # an earlier run with the same fingerprint was returned
    published: bool = False
    message: str = ""
    fingerprint: str | None = None
    summary: Summary | None = None  # the plan's summary (of the earlier run, when reused)
    error: BaseException | None = field(default=None, repr=False)  # what went wrong, for the CLI to report
    plan: object = field(default=None, repr=False)  # the Plan (fresh runs only)


# ---------------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------------


def shift_period(period: str, months: int) -> str:
    y, m = (int(p) for p in period.split("-"))
    k = y * 12 + (m - 1) + months
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def resolve_period(text: str, today: _dt.date | None = None) -> str:
    """``YYYY-MM``, or ``current`` / ``next`` (this or next calendar month, local time; handy in timers)."""
    t = str(text).strip().lower()
    today = today or _dt.date.today()
    if t in ("current", "this"):
        return f"{today.year:04d}-{today.month:02d}"
    if t == "next":
        return shift_period(f"{today.year:04d}-{today.month:02d}", 1)
    if not PERIOD_RE.fullmatch(t):
        raise ValidationError(
            [
                Problem(
                    "--period",
                    None,
                    None,
                    Msg("period must look like 2026-12 (YYYY-MM), or be 'current' or 'next'"),
                    value=text,
                )
            ]
        )
    return t


# ---------------------------------------------------------------------------------------------------
# Lock helpers
# ---------------------------------------------------------------------------------------------------


def period_lock_path(runs_dir: Path, period: str) -> Path:
    return Path(runs_dir) / period / LOCK_NAME


def read_owner(period_dir: Path) -> dict | None:
    try:
        return json.loads((period_dir / OWNER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _holder(period_dir: Path) -> dict | None:
    """The lock holder's record, read after failing to get the lock. The holder writes it just after
    taking the lock, so give it a moment when the record is absent or names a process that is gone."""
    deadline = time.monotonic() + 1.0
    while True:
        owner = read_owner(period_dir)
        if owner and (owner.get("host") != socket.gethostname() or pid_alive(owner.get("pid"))):
            return owner
        if time.monotonic() >= deadline:
            return None  # no live holder on record
        time.sleep(0.05)


def _write_owner(period_dir: Path, info: dict) -> None:
    write_file_atomic(period_dir / OWNER_NAME, json.dumps(info) + "\n", fsync=False)


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], OSError)


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OSError, ValueError, OverflowError):
        return False
    return True


def lock_is_held(lock_path: Path) -> bool:
    """Whether some process holds the lock (a non-blocking probe, released at once)."""
    from filelock import FileLock, Timeout

    if not Path(lock_path).exists():
        return False
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    except OSError:
        return False
    lock.release()
    return False


def run_state(row: dict, runs_dir: str | Path) -> str:
    """The status to show: the recorded one, or ``interrupted`` for a ``running`` row nobody is running.

    A ``running`` row is live only if its process still exists (same host) *and* the period's lock is
    held; a killed run's process is gone and the kernel released its lock.
    """
    if row["status"] != "running":
        return row["status"]
    if row.get("host") in (None, socket.gethostname()) and row.get("pid") and not pid_alive(row["pid"]):
        return "interrupted"
    return "running" if lock_is_held(period_lock_path(Path(runs_dir), row["period"])) else "interrupted"


def clean_temporary(period_dir: Path) -> list[str]:
    """Remove what killed runs left in a period folder: ``.r*.tmp-*``/``.r*.old-*`` folders, temp files."""
    removed = []
    if not period_dir.is_dir():
        return removed
    for p in sorted(period_dir.iterdir()):
        if p.name.startswith(".") and (".tmp-" in p.name or ".old-" in p.name):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                with _suppress():
                    p.unlink()
            removed.append(p.name)
    return removed


def _disk_revisions(period_dir: Path) -> int:
    best = 0
    if period_dir.is_dir():
        for p in period_dir.iterdir():
            m = REVISION_RE.fullmatch(p.name)
            if m:
                best = max(best, int(m.group(1)))
    return best


def write_published_pointer(period_dir: Path, run: dict) -> None:
    """``runs/<period>/published.json``: the published revision, for readers without the ledger."""
    write_file_atomic(
        period_dir / PUBLISHED_NAME,
        json.dumps(
            {
                "run_id": run["run_id"],
                "period": run["period"],
                "revision": run["revision"],
                "plan_dir": Path(run["plan_dir"]).name if run.get("plan_dir") else None,
                "status": run["status"],
                "input_fingerprint": run.get("input_fingerprint"),
                "published_at": utc_now(),
            },
            indent=2,
        )
        + "\n",
    )


# ---------------------------------------------------------------------------------------------------
# Fingerprint and history
# ---------------------------------------------------------------------------------------------------


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return str(a) == str(b)


def input_fingerprint(scenario, period: str, solver: dict, history: dict | None) -> tuple[str, dict]:
    """sha256 over what determines the plan, and the document hashed (kept in the ledger to explain it).

    The config enters as validated (so comments and key order do not matter, the period override
    does); input files by content (file name + sha256; moving the data folder changes nothing).
    """
    inputs = []
    for key, digest in sorted(scenario.input_hashes.items()):
        if scenario.config_path is not None and _same_file(key, scenario.config_path):
            continue
        inputs.append([Path(key).name, digest])
    if not inputs and scenario.config_path is not None:  # a loader that recorded no hashes: hash the data
        data = Path(scenario.config_path).parent / scenario.config.data
        files = sorted(p for p in data.iterdir() if p.is_file()) if data.is_dir() else [data] if data.is_file() else []
        inputs = [[p.name, sha256_file(p)] for p in files]
    doc = {
        "fingerprint_version": FINGERPRINT_VERSION,
        "period": period,
        "package_version": __version__,
        "config": scenario.config.model_dump(mode="json"),
        "inputs": sorted(inputs),
        "solver": solver,
        "history": history,
    }
    return sha256_bytes(canonical_json(doc).encode("utf-8")), doc


def history_wanted(config) -> bool:
    return bool(config.carry_over.enabled or config.stability.enabled)


def build_history(ledger: Ledger, config, period: str):
    """History from the published plans of earlier periods, and the run ids it came from.

    ``previous_allocations``: the published plan of the calendar month before ``period``.
    ``past_coverage``: published coverage of the ``carry_over.months`` calendar months before ``period``
    (a month with no published plan is skipped), most recent first.
    """
    from ..inputs.history import History

    prev = ledger.published_run(shift_period(period, -1))
    prev_alloc = ledger.plan_table(prev["run_id"], "allocations") if prev else None
    months = config.carry_over.months if config.carry_over.enabled else 1
    past, ids = [], []
    for k in range(1, months + 1):
        p = shift_period(period, -k)
        run = ledger.published_run(p)
        if run is None:
            continue
        cov = ledger.plan_table(run["run_id"], "coverage")
        if cov is not None:
            past.append((p, cov))
            ids.append(run["run_id"])
    history = History(previous_allocations=prev_alloc, past_coverage=past)
    return history, {"previous": prev["run_id"] if prev else None, "coverage": ids}


# ---------------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------------


def ledger_path_for(runs_dir: str | Path, ledger_path: str | Path | None = None) -> Path:
    return Path(ledger_path) if ledger_path else Path(runs_dir) / DEFAULT_LEDGER_NAME


def check_runs_folder(runs_dir: str | Path) -> None:
    """Refuse (:class:`~linkage_opt.errors.OutputPathError`, exit 2) a runs folder that exists and is not a
    folder: a file, FIFO or device is never opened, nothing is recorded."""
    inspect_folder(runs_dir, what="the runs folder ")


def run_period(
    config_path: str | Path,
    period: str,
    runs_dir: str | Path = "runs",
    *,
    force: bool = False,
    wait: float = 0.0,
    lock_timeout: float = 30.0,
    ledger_path: str | Path | None = None,
    backend: str | None = None,
    time_limit: float | None = None,
    explain: bool = True,
    logger: logging.Logger | None = None,
    lang: str | None = None,
) -> RunOutcome:
    """Plan one period under its lock, record it in the ledger and publish it. See the module doc.

    ``wait``: seconds to wait for another run of the same period (0: fail at once with
    :class:`RunInProgressError`). ``lock_timeout``: seconds to wait for the ledger database when
    another process is writing to it (runs of different periods share the ledger).

    Raises :class:`RunInProgressError` (nothing recorded) and :class:`~linkage_opt.runs.ledger.LedgerError`;
    every other outcome, including bad input, is recorded and returned with its exit code and ``error``.
    """
    from filelock import Timeout

    period = resolve_period(period)
    runs_dir = Path(runs_dir)
    check_runs_folder(runs_dir)
    period_dir = runs_dir / period
    ev = _Events(logger, period)

    try:
        period_dir.mkdir(parents=True, exist_ok=True)
        lock = folder_lock(period_dir)  # also the lock of every writer into the period folder
        waited = 0.0
        lock.acquire(timeout=0)
    except Timeout:
        if wait <= 0:
            raise RunInProgressError(period, _holder(period_dir), 0.0) from None
        owner = _holder(period_dir)
        ev(
            "run.waiting",
            message=f"another run of {period} is in progress; waiting up to {wait:g} s",
            holder_pid=(owner or {}).get("pid"),
        )
        t0 = time.monotonic()
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise RunInProgressError(period, _holder(period_dir), wait) from None
        waited = time.monotonic() - t0
    except OSError as exc:  # read-only or full, before anything was recorded (Timeout, an
        raise os_failure(runs_dir, exc, earlier=True, subject=Msg("the runs folder")) from None  # OSError, is above)
    try:
        _write_owner(period_dir, {"pid": os.getpid(), "host": socket.gethostname(), "since": utc_now()})
        removed = clean_temporary(period_dir)
        if removed:
            ev("run.cleanup", message="removed what an interrupted run left", removed=removed)
        with Ledger(ledger_path_for(runs_dir, ledger_path), timeout=lock_timeout) as ledger:
            return _run_locked(
                ledger,
                Path(config_path),
                period,
                runs_dir,
                period_dir,
                force=force,
                backend=backend,
                time_limit=time_limit,
                explain=explain,
                ev=ev,
                waited=waited,
                lang=lang,
            )
    finally:
        with _suppress():
            (period_dir / OWNER_NAME).unlink()
        lock.release()


class _Events:
    def __init__(self, logger, period: str):
        self.logger = logger
        self.period = period
        self.run_id: str | None = None

    def __call__(self, event: str, level: int = logging.INFO, message: str = "", **fields) -> None:
        log_event(
            event, level=level, run_id=self.run_id, period=self.period, message=message, logger=self.logger, **fields
        )


DESK_SHEETS = ("plan.xlsx", "sheets.html", "sheets.pdf")  # the files that name people (privacy.personal)


def _ledger_copies(plan, scenario, lang, files: dict[str, Path], ev: _Events) -> dict[str, bytes]:
    """What the ledger keeps of the action sheets: the copies without personal columns (docs/operations.md,
    "The run ledger and personal details"). The full sheets stay in the plan folder only. If the copies
    cannot be made, the sheets are left out of the ledger (never kept with the details)."""
    from ..outputs.writing import WritingBudget, redacted_desk_files

    present = [n for n in DESK_SHEETS if n in files]
    if not present:
        return {}
    # the copy's PDF is printed within the time limit's writing margin, like the plan's own (it waited up to
    # Chromium's 300 s before); a PDF not printed in time is not kept in the ledger
    started = getattr(plan, "solve_started", None)
    end = WritingBudget.after(started, plan.summary.solver.time_limit).end if started is not None else None
    try:
        copies = redacted_desk_files(plan, scenario, lang, pdf="sheets.pdf" in files, pdf_deadline=end)
    except Exception as exc:
        copies = None
        ev("run.redact_failed", level=logging.WARNING, message=f"{type(exc).__name__}: {exc}")
    if copies is None or (copies and any(n not in copies for n in present)):
        for n in present:  # e.g. no PDF printed this time: not kept with the details
            if copies is None or n not in copies:
                files.pop(n, None)
        copies = copies or {}
    return {n: data for n, data in copies.items() if n in files}


def _run_locked(
    ledger: Ledger,
    config_path: Path,
    period: str,
    runs_dir: Path,
    period_dir: Path,
    *,
    force: bool,
    backend: str | None,
    time_limit: float | None,
    explain: bool,
    ev: _Events,
    waited: float,
    lang: str | None = None,
) -> RunOutcome:
    from ..inputs.load import load_scenario

    t0 = time.perf_counter()
    started_at = utc_now()
    try:
        config_text = config_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        config_text = None
    base_row = dict(
        period=period,
        started_at=started_at,
        config_path=str(config_path.resolve()),
        config_text=config_text,
        package_version=__version__,
        pid=os.getpid(),
        host=socket.gethostname(),
    )

    # -- validate --------------------------------------------------------------------------------------
    try:
        scenario = load_scenario(config_path)
        if scenario.config.period != period:
            ev(
                "run.period_override",
                level=logging.WARNING,
                message=f"the config says period {scenario.config.period}; planning {period} as asked",
                config_period=scenario.config.period,
            )
            scenario = scenario.replace(config=scenario.config.model_copy(update={"period": period}))
        from ..solvers import BACKENDS
        from ..solving.solve import solver_options

        backend_name, opts = solver_options(scenario, backend=backend, time_limit=time_limit)
        if backend_name.lower() not in BACKENDS:  # bad input, before anything is planned
            raise ValidationError(
                [
                    Problem(
                        "--backend" if backend else str(config_path),
                        None,
                        None if backend else "solver.backend",
                        Msg("unknown solver backend {backend_name!r}", backend_name=backend_name),
                        hint=Msg("choose one of: {backends}", backends=", ".join(BACKENDS)),
                    )
                ]
            )
        solver = {
            "backend": backend_name.lower(),
            "time_limit": opts.time_limit,
            "mip_gap": opts.mip_gap,
            "threads": opts.threads,
            "seed": opts.seed,
        }
    except ValidationError as exc:
        return _record_failure(ledger, base_row, runs_dir, period_dir, "failed", EXIT_BAD_INPUT, exc, ev)
    except Exception as exc:
        return _record_failure(ledger, base_row, runs_dir, period_dir, "failed", EXIT_ERROR, exc, ev)
    load_s = time.perf_counter() - t0

    # -- history and fingerprint -----------------------------------------------------------------------
    history, history_ids = (
        build_history(ledger, scenario.config, period) if history_wanted(scenario.config) else (None, None)
    )
    fingerprint, fp_doc = input_fingerprint(scenario, period, solver, history_ids)

    if not force:
        existing = ledger.find_reusable(period, fingerprint)
        if existing is not None:
            return _reuse(ledger, existing, runs_dir, period_dir, ev)

    # -- plan ------------------------------------------------------------------------------------------
    revision = max(ledger.max_revision(period), _disk_revisions(period_dir)) + 1
    run_id = f"{period}-r{revision}"
    plan_dir = period_dir / f"r{revision}"
    ev.run_id = run_id
    ledger.insert_run(
        run_id=run_id,
        revision=revision,
        status="running",
        input_fingerprint=fingerprint,
        fingerprint_doc=canonical_json(fp_doc),
        plan_dir=_rel(plan_dir, runs_dir),
        history_json=json.dumps(history_ids) if history_ids is not None else None,
        **base_row,
    )
    ev(
        "run.started",
        message=f"planning {period} as {run_id}",
        config=str(config_path),
        fingerprint=fingerprint,
        revision=revision,
        forced=force,
        waited_s=round(waited, 3),
        history=history_ids,
    )
    outcome = RunOutcome(
        period=period, status="running", exit_code=EXIT_ERROR, run_id=run_id, revision=revision, fingerprint=fingerprint
    )
    try:
        from ..solving.api import solve

        plan = solve(
            scenario,
            backend=backend,
            time_limit=time_limit,
            load_seconds=load_s,
            history=history,
            progress=lambda msg: ev("run.progress", level=logging.DEBUG, message=msg),
        )

        def output_failed(output: str, exc: Exception) -> None:  # the plan is written and published without it
            ev(OUTPUT_FAILED_EVENTS[output], level=logging.WARNING, message=f"{type(exc).__name__}: {exc}")

        try:
            attach_changes(plan, scenario, ledger, period, run_id)
        except Exception as exc:
            ev("run.changes_failed", level=logging.WARNING, message=f"{type(exc).__name__}: {exc}")

        # the one list of outputs of `linkage-opt plan` (linkage_opt.outputs.writing.attach_outputs); the desk files
        # describe the scenario as loaded (before carry-over), as before
        plan.write(
            plan_dir, overwrite=False, desk=True, lang=lang, scenario=scenario, explain=explain, on_error=output_failed
        )
        files = {p.name: p for p in sorted(plan_dir.iterdir()) if p.is_file()}
        redacted = _ledger_copies(plan, scenario, lang, files, ev)
        summary_text = (plan_dir / "summary.json").read_text(encoding="utf-8")
        exit_code = EXIT_OPTIMAL if plan.status == "optimal" else EXIT_FEASIBLE
        message = Msg(
            "{status}; weighted coverage {summary:.4f}",
            status=plan.status,
            summary=plan.summary.metrics.weighted_coverage,
        )
        try:
            ledger.finish_run(
                run_id,
                status=plan.status,
                exit_code=exit_code,
                message=message,
                summary_json=summary_text,
                tables=plan.tables(),
                files=files,
                publish=True,
                redacted=redacted,
            )
        except LedgerError:  # e.g. the disk filled up: the folder is unrecorded and never published
            shutil.rmtree(plan_dir, ignore_errors=True)
            raise
    except InfeasibleError as exc:
        return _finish_failure(ledger, outcome, "infeasible", EXIT_INFEASIBLE, exc, ev)
    except ValidationError as exc:
        return _finish_failure(ledger, outcome, "failed", EXIT_BAD_INPUT, exc, ev)
    except LinkageError as exc:
        return _finish_failure(ledger, outcome, "failed", exc.exit_code, exc, ev)
    except Exception as exc:
        return _finish_failure(ledger, outcome, "failed", EXIT_ERROR, exc, ev, internal=True)
    except BaseException as exc:  # KeyboardInterrupt, SIGTERM turned into one by the CLI
        with _suppress_all():
            ledger.finish_run(
                run_id,
                status="failed",
                exit_code=EXIT_INTERRUPTED,
                message=f"interrupted ({type(exc).__name__}{': ' + str(exc) if str(exc) else ''})",
            )
            ev("run.interrupted", level=logging.ERROR, message="interrupted; the run is recorded as failed")
        raise
    with _suppress_all():
        write_published_pointer(period_dir, ledger.get_run(run_id))
    ev(
        "run.finished",
        message=f"{run_id}: {message}; published",
        status=plan.status,
        exit_code=exit_code,
        plan_dir=str(plan_dir),
        objective=plan.summary.objective.to_dict(),
        seconds=round(time.perf_counter() - t0, 3),
        stability=_stability_counts(plan.summary),
    )
    outcome.status = plan.status
    outcome.exit_code = exit_code
    outcome.plan_dir = plan_dir.resolve()
    outcome.published = True
    outcome.message = message
    outcome.summary = plan.summary
    outcome.plan = plan
    return outcome


# the warning event of an optional output that failed (the run still publishes its plan)
OUTPUT_FAILED_EVENTS = {
    "explanations": "run.explain_failed",
    "baseline": "run.baseline_failed",
    "desk": "run.desk_files_failed",
}


class _suppress_all:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], Exception)


CHANGES_FILE = "changes.json"


def attach_changes(plan, scenario, ledger: Ledger, period: str, run_id: str | None = None) -> dict | None:
    """``changes.json``: what changed since the last published plan (:meth:`Ledger.last_published`), for the
    committee page and ``runs diff``; nothing when no plan was published before."""
    from ..analysis.compare import changes
    from .ledger import PLAN_TABLES

    prev = ledger.last_published(period, exclude=run_id)
    if prev is None:
        return None
    tables = ledger.plan_tables(prev["run_id"])
    if len(tables) < len(PLAN_TABLES):
        return None
    fp = json.loads(prev["fingerprint_doc"]) if prev.get("fingerprint_doc") else {}
    ch = changes(
        tables,
        plan.tables(),
        fp.get("config"),
        scenario.config.model_dump(mode="json"),
        ref_a=prev["run_id"],
        ref_b=run_id or period,
        lot_uoms=lot_uoms(scenario),
    )
    plan.extras[CHANGES_FILE] = ch
    return ch


def lot_uoms(scenario) -> dict[str, str]:
    """Each charity lot's unit of measure: yuan for funds, items for goods."""
    c = scenario.charity
    if c is None or not len(c):
        return {}
    return {str(i): "yuan" if k == "funds" else "items" for i, k in zip(c["lot_id"], c["kind"])}


def _stability_counts(summary: Summary) -> dict | None:
    s = summary.stability
    return {k: s[k] for k in ("kept", "changed") if k in s} if isinstance(s, dict) else None


def _rel(path: Path, base: Path) -> str:
    """Plan folders are recorded relative to the runs folder, so the runs folder can be moved or restored."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def resolve_plan_dir(run: dict, runs_dir: str | Path) -> Path | None:
    if not run.get("plan_dir"):
        return None
    p = Path(run["plan_dir"])
    return p if p.is_absolute() else Path(runs_dir) / p


def _error_message(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, LinkageError) else f"internal error: {type(exc).__name__}: {exc}"


def _record_failure(
    ledger: Ledger,
    base_row: dict,
    runs_dir: Path,
    period_dir: Path,
    status: str,
    code: int,
    exc: BaseException,
    ev: _Events,
) -> RunOutcome:
    """A run that failed before planning (bad input): one row, inserted already final."""
    period = base_row["period"]
    revision = max(ledger.max_revision(period), _disk_revisions(period_dir)) + 1
    run_id = f"{period}-r{revision}"
    ev.run_id = run_id
    message = _error_message(exc)
    ledger.insert_run(
        run_id=run_id,
        revision=revision,
        status=status,
        exit_code=code,
        message=message,
        finished_at=utc_now(),
        **base_row,
    )
    ev(
        "run.failed",
        level=logging.ERROR,
        message=message.splitlines()[0],
        status=status,
        exit_code=code,
        problems=[str(p) for p in getattr(exc, "problems", [])][:50],
    )
    return RunOutcome(
        period=period, status=status, exit_code=code, run_id=run_id, revision=revision, message=message, error=exc
    )


def _finish_failure(
    ledger: Ledger, outcome: RunOutcome, status: str, code: int, exc: BaseException, ev: _Events, internal: bool = False
) -> RunOutcome:
    message = _error_message(exc)
    try:
        ledger.finish_run(outcome.run_id, status=status, exit_code=code, message=message)
    except LedgerError as lexc:  # the ledger cannot be written either (disk full): report the first error
        ev("run.record_failed", level=logging.ERROR, message=str(lexc))
    ev(
        "run.failed",
        level=logging.ERROR,
        message=message.splitlines()[0],
        status=status,
        exit_code=code,
        **({"exception": type(exc).__name__} if internal else {}),
    )
    outcome.status = status
    outcome.exit_code = code
    outcome.message = message
    outcome.error = exc
    return outcome


def _reuse(ledger: Ledger, run: dict, runs_dir: Path, period_dir: Path, ev: _Events) -> RunOutcome:
    ev.run_id = run["run_id"]
    plan_dir = resolve_plan_dir(run, runs_dir)
    note = ""
    if plan_dir is not None and not (plan_dir / "summary.json").exists():
        if plan_dir.exists():
            note = Msg("; its folder {plan_dir} is incomplete (not touched)", plan_dir=plan_dir)
        else:
            restore_plan(ledger, run["run_id"], plan_dir)
            note = Msg("; its plan folder was missing and has been restored from the ledger")
    message = Msg(
        "{run} was already planned with the same inputs: {run2} ({run3}{v}){note}; pass --force to plan again",
        run=run["period"],
        run2=run["run_id"],
        run3=run["status"],
        v=", published" if run["published"] else ", not the published revision",
        note=note,
    )
    ev(
        "run.reused",
        message=message,
        status=run["status"],
        exit_code=run["exit_code"],
        plan_dir=str(plan_dir) if plan_dir else None,
        published=run["published"],
    )
    summary = Summary.model_validate(json.loads(run["summary_json"])) if run.get("summary_json") else None
    return RunOutcome(
        period=run["period"],
        status=run["status"],
        exit_code=int(run["exit_code"] or 0),
        run_id=run["run_id"],
        revision=run["revision"],
        plan_dir=plan_dir.resolve() if plan_dir else None,
        reused=True,
        published=run["published"],
        message=message,
        fingerprint=run["input_fingerprint"],
        summary=summary,
    )


# ---------------------------------------------------------------------------------------------------
# Listing, publishing, restoring (used by `linkage-opt runs ...`)
# ---------------------------------------------------------------------------------------------------


def list_runs(
    runs_dir: str | Path = "runs", period: str | None = None, ledger_path: str | Path | None = None
) -> list[dict]:
    """Every recorded run (oldest first) with ``state``: its status, or ``interrupted``."""
    check_runs_folder(runs_dir)
    path = ledger_path_for(runs_dir, ledger_path)
    if not path.exists():
        return []
    with Ledger(path) as ledger:
        rows = ledger.list_runs(resolve_period(period) if period else None)
    for r in rows:
        r["state"] = run_state(r, runs_dir)
    return rows


def _with_period_lock(runs_dir: Path, period: str, wait: float, fn):
    from filelock import Timeout

    period_dir = runs_dir / period
    try:
        period_dir.mkdir(parents=True, exist_ok=True)
        lock = folder_lock(period_dir)
        lock.acquire(timeout=max(0.0, wait))
    except Timeout:
        raise RunInProgressError(period, _holder(period_dir), wait) from None
    except OSError as exc:
        raise os_failure(runs_dir, exc, earlier=True, subject=Msg("the runs folder")) from None
    try:
        return fn(period_dir)
    finally:
        lock.release()


def publish_run(
    run_id: str, runs_dir: str | Path = "runs", ledger_path: str | Path | None = None, wait: float = 0.0
) -> dict:
    """Make a recorded optimal/feasible run the published plan of its period (e.g. to roll back)."""
    runs_dir = Path(runs_dir)
    check_runs_folder(runs_dir)
    with Ledger(ledger_path_for(runs_dir, ledger_path)) as ledger:
        run = ledger.get_run(run_id)
        if run is None:
            raise RunNotFoundError(Msg("no run {run_id!r} in the ledger {path}", run_id=run_id, path=ledger.path))
        if run["status"] not in SUCCESS:
            raise LedgerUsageError(
                Msg(
                    "run {run_id} is {run}; only an optimal or feasible run can be published",
                    run_id=run_id,
                    run=run["status"],
                )
            )

        def _do(period_dir: Path) -> dict:
            plan_dir = resolve_plan_dir(run, runs_dir)
            if plan_dir is None or not (plan_dir / "summary.json").exists():
                raise LedgerUsageError(
                    Msg(
                        "the plan folder of {run_id} is missing; restore it first (linkage-opt runs restore {run_id})",
                        run_id=run_id,
                    )
                )
            published = ledger.publish(run_id)
            write_published_pointer(period_dir, published)
            log_event("run.published", run_id=run_id, period=run["period"], message=f"{run_id} published")
            return published

        return _with_period_lock(runs_dir, run["period"], wait, _do)


def restore_run(
    run_id: str,
    runs_dir: str | Path = "runs",
    to: str | Path | None = None,
    ledger_path: str | Path | None = None,
    wait: float = 0.0,
):
    """Rebuild a recorded plan folder from the ledger (default: where it was), checked file by file."""
    runs_dir = Path(runs_dir)
    check_runs_folder(runs_dir)
    with Ledger(ledger_path_for(runs_dir, ledger_path)) as ledger:
        run = ledger.get_run(run_id)
        if run is None:
            raise RunNotFoundError(Msg("no run {run_id!r} in the ledger {path}", run_id=run_id, path=ledger.path))
        if to is not None:
            return restore_plan(ledger, run_id, to)
        target = resolve_plan_dir(run, runs_dir)
        if target is None:
            raise LedgerUsageError(Msg("run {run_id} has no plan folder", run_id=run_id))
        return _with_period_lock(runs_dir, run["period"], wait, lambda _d: restore_plan(ledger, run_id, target))


# ---------------------------------------------------------------------------------------------------
# Comparing two plans
# ---------------------------------------------------------------------------------------------------


def diff_plans(a: dict, b: dict, tol: float = 1e-9) -> dict:
    """What changed from plan ``a`` to plan ``b`` (each: table name -> DataFrame, optional ``summary``).

    * ``coverage``: per unit and category, need and covered in each plan and the deltas (rows that changed);
    * ``providers``: per provider, capacity used in each plan and the delta (rows that changed);
    * ``pairings``: (provider kind, provider, unit) served in one plan and not the other;
    * ``metrics``: headline figures from the summaries, when both have one.
    """
    import pandas as pd

    def cov_by(t):
        c = t["coverage"].astype({"unit_id": str, "category": str})
        g = c.groupby(["unit_id", "category"], sort=True).agg(
            unit_name=("unit_name", "first"), need=("need", "sum"), covered=("covered", "sum")
        )
        return g

    ca, cb = cov_by(a), cov_by(b)
    cov = ca.merge(cb, how="outer", left_index=True, right_index=True, suffixes=("_a", "_b"))
    cov["unit_name"] = cov["unit_name_a"].where(cov["unit_name_a"].notna(), cov["unit_name_b"])
    for col in ("need_a", "need_b", "covered_a", "covered_b"):
        cov[col] = cov[col].astype(float).fillna(0.0)
    cov["delta_covered"] = cov["covered_b"] - cov["covered_a"]
    cov["delta_need"] = cov["need_b"] - cov["need_a"]
    cov["ratio_a"] = [c / n if n > 0 else 1.0 for c, n in zip(cov["covered_a"], cov["need_a"])]
    cov["ratio_b"] = [c / n if n > 0 else 1.0 for c, n in zip(cov["covered_b"], cov["need_b"])]
    cov["delta_ratio"] = cov["ratio_b"] - cov["ratio_a"]
    changed = cov[(cov["delta_covered"].abs() > tol) | (cov["delta_need"].abs() > tol)].reset_index()
    coverage = [
        {
            "unit_id": r.unit_id,
            "unit_name": "" if pd.isna(r.unit_name) else str(r.unit_name),
            "category": r.category,
            "need_a": r.need_a,
            "need_b": r.need_b,
            "covered_a": r.covered_a,
            "covered_b": r.covered_b,
            "delta_covered": r.delta_covered,
            "ratio_a": r.ratio_a,
            "ratio_b": r.ratio_b,
            "delta_ratio": r.delta_ratio,
        }
        for r in changed.itertuples(index=False)
    ]

    def prov(t):
        p = t["providers"].astype({"provider_kind": str, "provider_id": str})
        return p.groupby(["provider_kind", "provider_id"], sort=True).agg(
            capacity=("capacity", "sum"), used=("used", "sum")
        )

    pa, pb = prov(a), prov(b)
    pv = pa.merge(pb, how="outer", left_index=True, right_index=True, suffixes=("_a", "_b"))
    pv["in_a"] = pv["used_a"].notna()
    pv["in_b"] = pv["used_b"].notna()
    for col in ("used_a", "used_b"):
        pv[col] = pv[col].astype(float).fillna(0.0)
    pv["delta_used"] = pv["used_b"] - pv["used_a"]
    pch = pv[(pv["delta_used"].abs() > tol) | (pv["in_a"] != pv["in_b"])].reset_index()
    providers = [
        {
            "provider_kind": r.provider_kind,
            "provider_id": r.provider_id,
            "capacity": _num(r.capacity_b if r.in_b else r.capacity_a),
            "used_a": r.used_a,
            "used_b": r.used_b,
            "delta_used": r.delta_used,
            "only_in": None if r.in_a == r.in_b else ("a" if r.in_a else "b"),
        }
        for r in pch.itertuples(index=False)
    ]

    def pairs(t):
        al = t["allocations"]
        if not len(al):
            return set()
        al = al[(al["quantity"].astype(float).abs() > tol) | (al["load"].astype(float).abs() > tol)]
        return set(zip(al["provider_kind"].astype(str), al["provider_id"].astype(str), al["unit_id"].astype(str)))

    sa, sb = pairs(a), pairs(b)
    pairing = {
        "added": [dict(zip(("provider_kind", "provider_id", "unit_id"), k)) for k in sorted(sb - sa)],
        "removed": [dict(zip(("provider_kind", "provider_id", "unit_id"), k)) for k in sorted(sa - sb)],
        "kept": len(sa & sb),
    }

    metrics = {}
    sa_sum, sb_sum = a.get("summary"), b.get("summary")
    if sa_sum and sb_sum:

        def pick(s):
            m, o = s.get("metrics", {}), s.get("objective", {})
            return {
                "status": s.get("status"),
                "weighted_coverage": m.get("weighted_coverage"),
                "guaranteed_met": m.get("guaranteed_met"),
                "min_unit_ratio": m.get("min_unit_ratio"),
                "units_below_equity_floor": m.get("units_below_equity_floor"),
                "money": o.get("money"),
                "idle_hours": m.get("idle_hours"),
            }

        ma, mb = pick(sa_sum), pick(sb_sum)
        for k in ma:
            delta = (mb[k] - ma[k]) if isinstance(ma[k], (int, float)) and isinstance(mb[k], (int, float)) else None
            metrics[k] = {"a": ma[k], "b": mb[k], "delta": delta}
    return {"coverage": coverage, "providers": providers, "pairings": pairing, "metrics": metrics}


def _num(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f
