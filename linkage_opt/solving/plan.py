"""The allocation plan: tables a planner reads, the summary a machine checks, and atomic writing.

Output contract (``docs/outputs.md``): ``allocations.csv``, ``coverage.csv``, ``providers.csv``,
``programs.csv``, ``summary.json``; CSVs in UTF-8 with BOM so Excel/WPS show Chinese correctly.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import outdir
from ..errors import Problem, ValidationError
from ..i18n import Msg
from ..inputs.scenario import Scenario
from ..model.disaggregate import allocation_rows
from ..model.formulation import Formulation
from ..model.reach import member_frame
from .summary import Objective, Summary, Timings

ALLOCATION_COLUMNS = [
    "provider_kind",
    "provider_id",
    "unit_id",
    "category",
    "need_id",
    "program_id",
    "quantity",
    "load",
    "cost",
]
COVERAGE_COLUMNS = [
    "need_id",
    "unit_id",
    "unit_name",
    "category",
    "tier",
    "need",
    "covered",
    "unmet",
    "coverage_ratio",
    "weight",
    "priority",
]
PROVIDER_COLUMNS = ["provider_kind", "provider_id", "capacity", "used", "utilization", "fixed_cost"]
PROGRAM_COLUMNS = ["program_id", "org_id", "unit_id", "category", "instances", "output", "delivered", "fixed_cost"]
TABLE_FILES = {
    "allocations": "allocations.csv",
    "coverage": "coverage.csv",
    "providers": "providers.csv",
    "programs": "programs.csv",
}
# the kind of each column of the four tables: how every reader of a plan (read_plan_table) types them
COLUMN_KINDS: dict[str, list[tuple[str, str]]] = {
    "allocations": [
        ("provider_kind", "str"),
        ("provider_id", "str"),
        ("unit_id", "str"),
        ("category", "str"),
        ("need_id", "str"),
        ("program_id", "str"),
        ("quantity", "float"),
        ("load", "float"),
        ("cost", "float"),
    ],
    "coverage": [
        ("need_id", "str"),
        ("unit_id", "str"),
        ("unit_name", "str"),
        ("category", "str"),
        ("tier", "str"),
        ("need", "float"),
        ("covered", "float"),
        ("unmet", "float"),
        ("coverage_ratio", "float"),
        ("weight", "float"),
        ("priority", "float"),
    ],
    "providers": [
        ("provider_kind", "str"),
        ("provider_id", "str"),
        ("capacity", "float"),
        ("used", "float"),
        ("utilization", "float"),
        ("fixed_cost", "float"),
    ],
    "programs": [
        ("program_id", "str"),
        ("org_id", "str"),
        ("unit_id", "str"),
        ("category", "str"),
        ("instances", "int"),
        ("output", "float"),
        ("delivered", "float"),
        ("fixed_cost", "float"),
    ],
}
# the other files a plan folder may hold that Plan.read reads back (reports, `explain`, `check` use them)
EXTRA_CSV_FILES = ("explanations.csv", "marginal_values.csv", "baseline_coverage.csv")
EXTRA_JSON_FILES = ("baseline.json", "changes.json")
ID_COLUMNS = {
    "need_id": str,
    "program_id": str,
    "unit_id": str,
    "provider_id": str,
    "org_id": str,
    "unit_name": str,
    "category": str,
}
DAMAGED_HINT = Msg("the plan folder is damaged: plan again, or `linkage-opt runs restore`")

EPS = 1e-9

# What makes a plan folder's optional outputs (explanations, baseline, plan.xlsx, report.html, the sheets):
# linkage_opt.outputs.writing.attach_outputs, which the outputs layer registers here (register_output_writer)
# when it is imported -- and `import linkage_opt` imports it -- so that Plan.write names it without solving
# importing a layer above (docs/architecture.md, "Layout").
OutputWriter = Callable[..., object]
_output_writer: OutputWriter | None = None


def register_output_writer(writer: OutputWriter) -> None:
    """Make ``writer`` (``attach_outputs``'s signature) what :meth:`Plan.write` calls for ``desk``, ``explain``
    and ``baseline``."""
    global _output_writer
    _output_writer = writer


def output_writer() -> OutputWriter:
    if _output_writer is None:  # linkage_opt/__init__ imports linkage_opt.outputs.writing, which registers it
        raise RuntimeError("no output writer registered: import linkage_opt (linkage_opt.outputs.writing)")
    return _output_writer


@dataclass
class Plan:
    """What :func:`linkage_opt.solve` returns: pandas tables plus the solver's figures."""

    allocations: pd.DataFrame
    coverage: pd.DataFrame
    providers: pd.DataFrame
    programs: pd.DataFrame
    # the solver's figures (summary.json), typed; a mapping given here (a parsed summary.json) is validated
    summary: Summary
    # optional extra files: name -> dict (json), DataFrame (csv), str (UTF-8 text) or bytes (e.g. plan.xlsx)
    extras: dict = field(default_factory=dict)
    formulation: object = field(default=None, repr=False, compare=False)  # the model it came from (not written)
    solution: object = field(default=None, repr=False, compare=False)  # the solver's column values
    # time.monotonic() when solve began: the time limit's writing margin runs from it (linkage_opt.outputs.writing)
    solve_started: float | None = field(default=None, repr=False, compare=False)
    wall_started: float | None = field(default=None, repr=False, compare=False)  # a command's start (the CLI)

    def __post_init__(self) -> None:
        self.summary = Summary.coerce(self.summary)

    @property
    def status(self) -> str:
        return self.summary.status

    @property
    def objective(self) -> Objective:
        return self.summary.objective

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "allocations": self.allocations,
            "coverage": self.coverage,
            "providers": self.providers,
            "programs": self.programs,
        }

    @classmethod
    def read(cls, plan_dir: str | Path) -> Plan:
        """A plan folder written by :meth:`write`, back as a Plan (tables, summary, and the extras that
        reports use: ``explanations.csv``, ``marginal_values.csv``, ``baseline.json``, ``changes.json``). No model or solution.

        The one reader of plan folders (``explain``, ``check``, ``report``, ``runs diff`` and the reports all
        read through it): every file comes from one version of the plan, even while a writer replaces it;
        the tables typed by :data:`COLUMN_KINDS` (:func:`read_plan_table`). Raises
        :class:`~linkage_opt.errors.ValidationError` when ``plan_dir`` is not a plan folder or a file of it
        is missing or damaged."""
        plan_dir = Path(plan_dir)
        if not (plan_dir / "summary.json").is_file():
            raise ValidationError([not_a_plan_problem(plan_dir)])
        try:
            return outdir.read_through(plan_dir, cls._read_version)
        except (FileNotFoundError, NotADirectoryError) as exc:  # a file of the plan is missing, not a replacement
            raise ValidationError(
                [
                    Problem(
                        str(exc.filename or plan_dir),
                        None,
                        None,
                        Msg("cannot read the plan file: {error}", error=type(exc).__name__),
                        hint=DAMAGED_HINT,
                    )
                ]
            ) from None

    @classmethod
    def _read_version(cls, plan_dir: Path) -> Plan:
        current = plan_dir
        try:
            tables: dict[str, pd.DataFrame] = {}
            for name, file in TABLE_FILES.items():
                current = plan_dir / file
                tables[name] = read_plan_table(name, current)
            current = plan_dir / "summary.json"
            summary = Summary.model_validate(json.loads(current.read_text(encoding="utf-8")))  # extras kept
            extras: dict = {}
            for name in EXTRA_CSV_FILES:
                current = plan_dir / name
                if current.exists():
                    extras[name] = read_plan_csv(current, dtype=dict(ID_COLUMNS))
            for name in EXTRA_JSON_FILES:
                current = plan_dir / name
                if current.exists():
                    extras[name] = json.loads(current.read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):  # a writer replaced the version: read_through reads again
            raise
        except (OSError, ValueError, pd.errors.ParserError) as exc:  # JSONDecodeError, UnicodeError, a summary.json
            # of the wrong shape (pydantic's ValidationError): ValueErrors
            raise ValidationError(
                [
                    Problem(
                        str(current),
                        None,
                        None,
                        Msg("cannot read the plan file: {error}", error=type(exc).__name__),
                        hint=DAMAGED_HINT,
                    )
                ]
            ) from None
        return cls(
            tables["allocations"],
            tables["coverage"],
            tables["providers"],
            tables["programs"],
            summary=summary,
            extras=extras,
        )

    def write(
        self,
        out_dir: str | Path,
        *,
        overwrite: bool = True,
        desk: bool = False,
        lang: str | None = None,
        scenario=None,
        explain: bool | None = None,
        baseline: bool = False,
        redact: bool = False,
        progress: Callable[[str], None] | None = None,
        on_error: Callable[[str, Exception], None] | None = None,
    ) -> Path:
        """Write the plan folder ``out_dir`` atomically: a reader sees the earlier plan or this one, complete.

        The plan's own files (the CSVs, ``summary.json``) and its ``extras`` are always written. ``desk=True``
        writes what ``linkage-opt plan`` writes: the explanations and marginal values, ``plan.xlsx``,
        ``report.html`` and the action sheets in ``lang`` (``--lang``, else ``$LINKAGE_OPT_LANG``, else
        English), each while it fits in the time limit's writing margin -- the one list of outputs of
        :func:`linkage_opt.outputs.writing.attach_outputs`, which the command and the monthly runner call through this
        method too. ``explain`` (default: as ``desk``) the explanations alone; ``baseline`` the rule-of-thumb
        comparison (``plan --baseline``); ``redact`` the sheets without personal columns (``plan --redact``).
        The desk files describe ``scenario``, by default the one the plan was solved for; ``progress`` and
        ``on_error`` are :func:`~linkage_opt.outputs.writing.attach_outputs`'s.

        Every file is written into a temporary sibling and fsynced first. With ``overwrite`` (the
        default) ``out_dir`` becomes a symbolic link to a hidden sibling ``.<name>.v-*`` holding the
        files, and an existing plan is replaced by renaming a new link over it (``docs/operations.md``,
        "Outputs and atomicity"); without it ``out_dir`` must not exist and becomes a real folder.
        Writers into one parent folder take turns (its ``.lock``).

        Raises :class:`~linkage_opt.errors.OutputPathError` (exit 2) when ``out_dir`` exists and is not
        a folder (a file, FIFO, device: never opened), or exists and ``overwrite`` is off;
        :class:`~linkage_opt.errors.OutputError` (exit 4) when the disk is full, the file system is
        read-only or permission is denied. Either way no plan was changed.
        """
        explain = desk if explain is None else explain
        if desk or explain or baseline:
            attach_outputs = output_writer()  # linkage_opt.outputs.writing.attach_outputs
            scenario = scenario if scenario is not None else getattr(self.formulation, "scenario", None)
            if scenario is None and (desk or baseline):
                raise ValidationError(
                    [
                        Problem(
                            str(out_dir),
                            None,
                            None,
                            Msg("this plan carries no scenario for its desk files"),
                            hint=Msg("pass scenario=, the scenario it was planned for"),
                        )
                    ]
                )
            attach_outputs(
                self,
                scenario,
                out_dir,
                lang=lang,
                explain=explain,
                desk=desk,
                baseline=baseline,
                redact=redact,
                progress=progress,
                on_error=on_error,
            )
        if progress is not None:
            progress(Msg("writing"))
        t0 = time.perf_counter()
        summary = self.summary.to_dict()  # summary.json: the keys that are set, in their order
        summary["timings"] = dict(summary.get("timings", {}))

        def fill(tmp: Path) -> None:
            for name, frame in self.tables().items():
                write_csv(frame, tmp / TABLE_FILES[name])
            for name, extra in self.extras.items():
                if isinstance(extra, pd.DataFrame):
                    write_csv(extra, tmp / name)
                elif isinstance(extra, (bytes, str)):
                    write_bytes(extra.encode("utf-8") if isinstance(extra, str) else extra, tmp / name)
                else:
                    write_json(extra, tmp / name)
            summary["timings"]["write_s"] = round(time.perf_counter() - t0, 4)
            write_json(summary, tmp / "summary.json")

        out = outdir.write_folder(out_dir, fill, replace=overwrite)
        if "timings" not in self.summary:
            self.summary.timings = Timings()
        self.summary.timings.write_s = summary["timings"]["write_s"]
        return out


def not_a_plan_problem(plan_dir) -> Problem:
    return Problem(
        str(plan_dir),
        None,
        None,
        Msg("not a linkage-opt plan folder (no summary.json)"),
        hint=Msg("give the --out folder of `linkage-opt plan`"),
    )


# Cells that a spreadsheet would run as a formula (OWASP "CSV injection"), and the quote that defuses them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_QUOTE = "'"


def _needs_quote(value) -> bool:
    return isinstance(value, str) and value != "" and (value[0] in FORMULA_STARTS or value[0] == TEXT_QUOTE)


def escape_cell(value):
    """A text cell Excel/WPS will show as text: ``'`` before a leading ``= + - @``, tab or CR.

    A value that already starts with ``'`` gets one more, so :func:`unescape_cell` is its exact inverse.
    Numbers are left alone (``-3`` in a number column is a number, not a formula).
    """
    return TEXT_QUOTE + value if _needs_quote(value) else value


def unescape_cell(value):
    if isinstance(value, str) and value.startswith(TEXT_QUOTE):
        return value[1:]
    return value


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def _quote_mask(series: pd.Series) -> pd.Series:
    """Which cells of a text column :func:`escape_cell` changes, found column-wise (the realistic city's
    710,353 allocation rows: a cell-by-cell test took 2.1 s of writing ``allocations.csv``)."""
    try:
        first = series.str.slice(0, 1)
    except AttributeError:  # an object column without any text
        return series.map(_needs_quote).astype(bool)
    return first.isin((*FORMULA_STARTS, TEXT_QUOTE)).fillna(False).astype(bool)  # a cell not text: NaN, False


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell escaped by :func:`escape_cell` (a copy only when needed)."""
    out = None
    for col in frame.columns:
        if _is_text(frame[col]):
            s = frame[col]
            mask = _quote_mask(s)
            if mask.any():
                if out is None:
                    out = frame.copy()
                out[col] = s.where(~mask, s[mask].map(escape_cell))
    return frame if out is None else out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM, CRLF line ends (RFC 4180: a cell holding a line break is quoted), full precision, no
    index, formula-like text escaped; flushed to disk."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        escape_frame(frame).to_csv(fh, index=False, float_format="%.10g", lineterminator="\r\n")
        fh.flush()
        os.fsync(fh.fileno())


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The bytes :func:`write_csv` writes, for :func:`write_file_atomic`."""
    text = escape_frame(frame).to_csv(index=False, float_format="%.10g", lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


def read_plan_csv(path=None, *, text: str | None = None, **kwargs) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv` (from ``path``, or its ``text``), undoing the formula escaping."""
    import io

    kwargs.setdefault("keep_default_na", False)
    if text is not None:
        frame = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), **kwargs)
    else:
        frame = pd.read_csv(path, encoding="utf-8-sig", **kwargs)
    for col in frame.columns:
        if _is_text(frame[col]):
            s = frame[col]
            if s.map(lambda v: isinstance(v, str) and v.startswith(TEXT_QUOTE)).any():
                frame[col] = s.map(unescape_cell)
    return frame


def read_plan_table(name: str, path=None, *, text: str | None = None) -> pd.DataFrame:
    """One of the four plan tables (``allocations``, ...) from its CSV file or text, each column typed by
    :data:`COLUMN_KINDS`: ids and names as text (``""`` when blank), numbers as numbers (NaN when blank)."""
    cols = COLUMN_KINDS[name]
    return read_plan_csv(
        path,
        text=text,
        keep_default_na=False,
        na_values={c: [""] for c, kind in cols if kind != "str"},
        dtype={c: str for c, kind in cols if kind == "str"},
    )


_usual_permissions = outdir.usual_permissions  # the file and folder helpers live in outdir.py now
_fsync_dir = outdir.fsync_dir


def write_file_atomic(path: str | Path, data: bytes | str, fsync: bool = True) -> None:
    """Write one file so that readers see the old file or the new one, never a part: a temporary file
    beside it (usual permissions; fsynced, and the folder after the rename, unless ``fsync`` is off for
    a short-lived record), then renamed over it. ``str`` data is written as UTF-8.

    Raises :class:`~linkage_opt.errors.OutputPathError` (exit 2) when ``path`` is a folder, FIFO, device
    or socket (never opened) or a part of it is a file, :class:`~linkage_opt.errors.OutputError` (exit 4)
    when the disk is full, the file system read-only or permission denied; the old file is then as it was."""
    path = Path(path)
    outdir.check_output_file(path)
    earlier = os.path.lexists(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        _usual_permissions(Path(tmp), 0o666)  # mkstemp makes 0600
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise outdir.os_failure(path, exc, earlier=earlier, subject=Msg("the file")) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    if fsync:
        _fsync_dir(path.parent)


def write_bytes(data: bytes, path: Path) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_json(obj: dict, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2, sort_keys=False, default=_json_default)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def plan_metrics(tables: dict, scenario: Scenario) -> dict:
    """Headline figures a planner reads first."""
    cov = tables["coverage"]
    prov = tables["providers"]
    g = cov[cov["tier"] == "guaranteed"]
    need = cov["need"].sum()
    per_unit = (
        cov.assign(wn=cov["weight"] * cov["need"], wc=cov["weight"] * cov["covered"])
        .groupby("unit_id")[["wn", "wc"]]
        .sum()
    )
    per_unit = per_unit[per_unit["wn"] > 0]
    ratios = per_unit["wc"] / per_unit["wn"]
    people = prov[prov["provider_kind"].isin(["social_worker", "volunteer"])]
    floor = scenario.config.equity.floor
    return {
        "weighted_coverage": float((cov["weight"] * cov["covered"]).sum()),
        "plain_coverage_by_category": {
            c: float(d["covered"].sum() / d["need"].sum()) if d["need"].sum() > 0 else 1.0
            for c, d in cov.groupby("category")
        },
        "guaranteed_needs": int(len(g)),
        "guaranteed_met": int((g["unmet"] <= 1e-6 * np.maximum(1.0, g["need"])).sum()),
        "units_below_equity_floor": int((ratios < floor - 1e-9).sum()),
        "min_unit_ratio": float(ratios.min()) if len(ratios) else 1.0,
        "idle_hours": float((people["capacity"] - people["used"]).clip(lower=0).sum()),
        "total_need_rows": int(len(cov)),
        "unmet_need_rows": int((cov["unmet"] > 1e-6 * np.maximum(1.0, cov["need"])).sum()),
        "total_need": float(need),
    }


# ---------------------------------------------------------------------------------------------------
# From a solution vector to tables
# ---------------------------------------------------------------------------------------------------


def clean_solution(form: Formulation, x: np.ndarray) -> np.ndarray:
    """Snap solver noise: integers rounded, |v| < 1e-9 set to 0. Used for both tables and objective."""
    x = np.asarray(x, float).copy()
    ints = form.model.integrality()
    x[ints] = np.round(x[ints])
    x[np.abs(x) < EPS] = 0.0
    lb, ub = form.model.bounds()
    return np.clip(x, lb, ub)


def build_tables(
    form: Formulation,
    x: np.ndarray,
    previous_pairs: pd.DataFrame | None = None,
    dispatch: dict | None = None,
    rounded: bool = True,
    deadline: float | None = None,
) -> dict[str, pd.DataFrame]:
    """The plan tables at solution ``x``, in dispatchable amounts (:mod:`linkage_opt.dispatch`; its report
    goes into ``dispatch`` when a dict is given; a pass still running at ``deadline``, a ``time.monotonic()``
    instant, is abandoned and the exact amounts kept). ``rounded=False``: the model's exact amounts (the
    rule-of-thumb yardstick of ``--baseline``, whose slivers would take long to round and only lower it)."""
    from .dispatch import dispatch_rows

    sc = form.scenario
    P = form.providers
    N = form.needs
    m = form.model
    units = sc.units
    need_ids = N["need_id"].to_numpy()
    if rounded:
        alloc, rep = dispatch_rows(
            allocation_rows(form, x),
            form,
            previous_pairs,
            money_before=float(form.col_money @ x) if form.col_money is not None else None,
            deadline=deadline,
        )
    else:
        alloc, rep = allocation_rows(form, x), {}
    if dispatch is not None:
        dispatch.update(rep)
    yb = m.var("y")
    placements = yb.index
    yv = yb.take(x) if yb.size else np.zeros(0)
    kind_order = {"social_worker": 0, "volunteer": 1, "organization": 2, "program": 3, "charity": 4, "budget": 5}
    alloc = (
        alloc.assign(_k=alloc["provider_kind"].map(kind_order))
        .sort_values(["unit_id", "category", "_k", "provider_id", "need_id", "program_id"], kind="stable")
        .drop(columns="_k")
        .reset_index(drop=True)
    )

    # coverage per need
    covered = np.zeros(len(N))
    if len(alloc):
        by_need = alloc[alloc["need_id"] != ""].groupby("need_id")["quantity"].sum()
        covered = pd.Series(need_ids).map(by_need).fillna(0.0).to_numpy(float)
    need = N["q"].to_numpy(float)
    covered = np.minimum(covered, need)
    ratio = np.divide(covered, need, out=np.ones_like(need), where=need > 0)
    cov = pd.DataFrame(
        {
            "need_id": need_ids,
            "unit_id": N["unit_id"].to_numpy(),
            "unit_name": units["name"].astype(str).to_numpy()[N["u"]],
            "category": N["category"].to_numpy(),
            "tier": N["tier"].to_numpy(),
            "need": need,
            "covered": covered,
            "unmet": need - covered,
            "coverage_ratio": ratio,
            "weight": N["weight"].to_numpy(float),
            "priority": N["priority"].to_numpy(float),
        }
    )[COVERAGE_COLUMNS]

    # providers, one row per real provider (classes listed member by member)
    mf = member_frame(P)
    used = np.zeros(len(mf))
    if len(alloc):
        real = alloc[alloc["provider_kind"].isin(["social_worker", "volunteer", "organization", "charity"])]
        used = mf["provider_id"].map(real.groupby("provider_id")["load"].sum()).fillna(0.0).to_numpy(float)
    if yb.size:
        inst_by_p = pd.Series(yv).groupby(placements["p"].to_numpy()).sum()
        used = used + mf["p"].map(inst_by_p).fillna(0.0).to_numpy(float)
    capacity = mf["capacity"].to_numpy(float)
    util = np.divide(used, capacity, out=np.zeros_like(used), where=np.isfinite(capacity) & (capacity > 0))
    fixed_paid = np.zeros(len(P))
    zb = m.var("z_org")
    if zb.size:
        fixed_paid[zb.index["p"].to_numpy()] = zb.take(x) * P["fixed_cost"].to_numpy(float)[zb.index["p"].to_numpy()]
    prov = pd.DataFrame(
        {
            "provider_kind": mf["provider_kind"],
            "provider_id": mf["provider_id"],
            "capacity": capacity,
            "used": used,
            "utilization": util,
            "fixed_cost": fixed_paid[mf["p"].to_numpy()],
        }
    )[PROVIDER_COLUMNS]

    # programs
    if yb.size:
        sel = np.flatnonzero(yv > 0)
        pl = placements.iloc[sel]
        delivered = alloc[alloc["provider_kind"] == "program"].groupby(["program_id", "unit_id"])["quantity"].sum()
        key = pd.MultiIndex.from_arrays([pl["program_id"].to_numpy(), pl["unit_id"].to_numpy()])
        progs = pd.DataFrame(
            {
                "program_id": pl["program_id"].to_numpy(),
                "org_id": pl["org_id"].to_numpy(),
                "unit_id": pl["unit_id"].to_numpy(),
                "category": pl["category"].to_numpy(),
                "instances": yv[sel],
                "output": yv[sel] * pl["output"].to_numpy(float),
                "delivered": delivered.reindex(key).fillna(0.0).to_numpy(float),
                "fixed_cost": yv[sel] * pl["fixed_cost"].to_numpy(float),
            }
        )
        progs["instances"] = progs["instances"].round().astype(np.int64)
    else:
        progs = pd.DataFrame(columns=PROGRAM_COLUMNS)
    return {"allocations": alloc, "coverage": cov, "providers": prov, "programs": progs[PROGRAM_COLUMNS]}
