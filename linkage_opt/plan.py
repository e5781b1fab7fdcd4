"""The allocation plan: tables a planner reads, the summary a machine checks, and atomic writing.

Output contract (``docs/outputs.md``): ``allocations.csv``, ``coverage.csv``, ``providers.csv``,
``programs.csv``, ``summary.json``; CSVs in UTF-8 with BOM so Excel/WPS show Chinese correctly.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .formulation import Formulation
from .reach import member_frame

ALLOCATION_COLUMNS = ["provider_kind", "provider_id", "unit_id", "category", "need_id", "program_id",
                      "quantity", "load", "cost"]
COVERAGE_COLUMNS = ["need_id", "unit_id", "unit_name", "category", "tier", "need", "covered", "unmet",
                    "coverage_ratio", "weight", "priority"]
PROVIDER_COLUMNS = ["provider_kind", "provider_id", "capacity", "used", "utilization", "fixed_cost"]
PROGRAM_COLUMNS = ["program_id", "org_id", "unit_id", "category", "instances", "output", "delivered",
                   "fixed_cost"]
TABLE_FILES = {"allocations": "allocations.csv", "coverage": "coverage.csv", "providers": "providers.csv",
               "programs": "programs.csv"}

EPS = 1e-9


@dataclass
class Plan:
    """What :func:`linkage_opt.solve` returns: pandas tables plus the solver's figures."""

    allocations: pd.DataFrame
    coverage: pd.DataFrame
    providers: pd.DataFrame
    programs: pd.DataFrame
    summary: dict
    # optional extra files: name -> dict (json), DataFrame (csv), str (UTF-8 text) or bytes (e.g. plan.xlsx)
    extras: dict = field(default_factory=dict)
    formulation: object = field(default=None, repr=False, compare=False)  # the model it came from (not written)
    solution: object = field(default=None, repr=False, compare=False)     # the solver's column values

    @property
    def status(self) -> str:
        return self.summary["status"]

    @property
    def objective(self) -> dict:
        return self.summary["objective"]

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"allocations": self.allocations, "coverage": self.coverage, "providers": self.providers,
                "programs": self.programs}

    @classmethod
    def read(cls, plan_dir: str | Path) -> "Plan":
        """A plan folder written by :meth:`write`, back as a Plan (tables, summary, and the extras that
        reports use: ``explanations.csv``, ``marginal_values.csv``, ``baseline.json``). No model or solution."""
        from .errors import Problem, ValidationError

        plan_dir = Path(plan_dir)
        if not (plan_dir / "summary.json").is_file():   # a missing folder too: a typed error, not a builtin
            raise ValidationError([Problem(str(plan_dir), None, None, "not a linkage-opt plan folder (no summary.json)",
                                           hint="give the --out folder of `linkage-opt plan`")])
        ids = {"need_id": str, "program_id": str, "unit_id": str, "provider_id": str, "org_id": str,
               "unit_name": str, "category": str}
        current = plan_dir
        try:
            tables = {}
            for name, file in TABLE_FILES.items():
                current = plan_dir / file
                tables[name] = read_plan_csv(current, dtype=ids)
            current = plan_dir / "summary.json"
            summary = json.loads(current.read_text(encoding="utf-8"))
            extras: dict = {}
            for name in ("explanations.csv", "marginal_values.csv", "baseline_coverage.csv"):
                current = plan_dir / name
                if current.exists():
                    extras[name] = read_plan_csv(current, dtype={k: v for k, v in ids.items()})
            current = plan_dir / "baseline.json"
            if current.exists():
                extras["baseline.json"] = json.loads(current.read_text(encoding="utf-8"))
        except (OSError, ValueError, pd.errors.ParserError) as exc:   # JSONDecodeError, UnicodeError: ValueErrors
            raise ValidationError([Problem(str(current), None, None, f"cannot read the plan file: {type(exc).__name__}",
                                           hint="the plan folder is damaged: plan again, or `linkage-opt runs restore`")]
                                  ) from None
        return cls(**tables, summary=summary, extras=extras)

    def write(self, out_dir: str | Path, *, overwrite: bool = True) -> Path:
        """Write every file into a temporary sibling folder, then move it into place.

        A killed or failed write leaves only a ``.<name>.tmp-*`` folder beside ``out_dir``; an existing
        ``out_dir`` is replaced only once the new plan is complete (moved aside, then removed).
        """
        t0 = time.perf_counter()
        out_dir = Path(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        if out_dir.exists() and not overwrite:
            raise FileExistsError(f"{out_dir} exists; choose another --out or pass --force")
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
        _usual_permissions(tmp, 0o777)   # mkdtemp makes 0700: a plan folder is for colleagues to read
        try:
            for name, frame in self.tables().items():
                write_csv(frame, tmp / TABLE_FILES[name])
            for name, extra in self.extras.items():
                if isinstance(extra, pd.DataFrame):
                    write_csv(extra, tmp / name)
                elif isinstance(extra, (bytes, str)):
                    write_bytes(extra.encode("utf-8") if isinstance(extra, str) else extra, tmp / name)
                else:
                    write_json(extra, tmp / name)
            summary = dict(self.summary)
            summary["timings"] = dict(summary.get("timings", {}))
            summary["timings"]["write_s"] = round(time.perf_counter() - t0, 4)
            write_json(summary, tmp / "summary.json")
            _fsync_dir(tmp)
            if out_dir.exists():
                aside = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
                os.rmdir(aside)
                os.replace(out_dir, aside)
                os.replace(tmp, out_dir)
                shutil.rmtree(aside, ignore_errors=True)
            else:
                os.replace(tmp, out_dir)
            _fsync_dir(out_dir.parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.summary["timings"]["write_s"] = summary["timings"]["write_s"]
        return out_dir


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


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell escaped by :func:`escape_cell` (a copy only when needed)."""
    out = None
    for col in frame.columns:
        if _is_text(frame[col]):
            s = frame[col]
            if s.map(_needs_quote).any():
                if out is None:
                    out = frame.copy()
                out[col] = s.map(escape_cell)
    return frame if out is None else out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM, CRLF line ends (RFC 4180: a cell holding a line break is quoted), full precision, no
    index, formula-like text escaped; flushed to disk."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        escape_frame(frame).to_csv(fh, index=False, float_format="%.10g", lineterminator="\r\n")
        fh.flush()
        os.fsync(fh.fileno())


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


def _usual_permissions(path: Path, mode: int) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


def write_file_atomic(path: str | Path, data: bytes | str, fsync: bool = True) -> None:
    """Write one file so that readers see the old file or the new one, never a part: a temporary file
    beside it (usual permissions; fsynced, and the folder after the rename, unless ``fsync`` is off for
    a short-lived record), then renamed over it. ``str`` data is written as UTF-8."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        _usual_permissions(Path(tmp), 0o666)   # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
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


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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


def build_tables(form: Formulation, x: np.ndarray) -> dict[str, pd.DataFrame]:
    sc = form.scenario
    P = form.providers
    N = form.needs
    m = form.model
    units = sc.units
    unit_ids = units["unit_id"].astype(str).to_numpy()
    pid = P["provider_id"].to_numpy()
    pkind = P["kind"].to_numpy()
    need_ids = N["need_id"].to_numpy()
    rows = []

    # direct service
    xb = m.var("x")
    xv = xb.take(x)
    sel = np.flatnonzero(xv > 0)
    ix = xb.index.iloc[sel]
    qty = ix["q"].to_numpy(float) * xv[sel]
    rows.append(pd.DataFrame({
        "provider_kind": pkind[ix["p"]], "provider_id": pid[ix["p"]], "unit_id": unit_ids[ix["u"]],
        "category": ix["category"].to_numpy(), "need_id": need_ids[ix["n"]], "program_id": "",
        "quantity": qty, "load": qty * ix["load"].to_numpy(float), "cost": qty * ix["cost"].to_numpy(float),
    }))

    # program output
    yb, ob = m.var("y"), m.var("o")
    placements = yb.index
    if ob.size:
        ov = ob.take(x)
        sel = np.flatnonzero(ov > 0)
        io = ob.index.iloc[sel]
        k = io["k"].to_numpy()
        qty = io["q"].to_numpy(float) * ov[sel]
        rows.append(pd.DataFrame({
            "provider_kind": "program", "provider_id": placements["program_id"].to_numpy()[k],
            "unit_id": placements["unit_id"].to_numpy()[k], "category": placements["category"].to_numpy()[k],
            "need_id": need_ids[io["n"]], "program_id": placements["program_id"].to_numpy()[k],
            "quantity": qty, "load": 0.0, "cost": 0.0,
        }))

    # program inputs, attributed to the programs that consumed them
    yv = yb.take(x) if yb.size else np.zeros(0)
    for block_name, col, kind in (("w_in", "worker_hours", None), ("v_in", "volunteer_hours", None),
                                  ("f_in", "funds", None), ("b_in", "funds", "budget")):
        b = m.var(block_name)
        if not b.size:
            continue
        v = b.take(x)
        sel = np.flatnonzero(v > 0)
        if not len(sel):
            continue
        ib = b.index.iloc[sel].reset_index(drop=True)
        amount = v[sel]
        if kind == "budget":
            prov_kind = np.full(len(sel), "budget", dtype=object)
            prov_id = np.full(len(sel), "district_budget", dtype=object)
            load = amount
            cost = amount
        else:
            prov_kind = pkind[ib["p"]]
            prov_id = pid[ib["p"]]
            load = amount * (ib["load"].to_numpy(float) if "load" in ib else 1.0)
            cost = amount * ib["cost"].to_numpy(float) if "cost" in ib else np.zeros(len(sel))
        piece = pd.DataFrame({"provider_kind": prov_kind, "provider_id": prov_id,
                              "u": ib["u"].to_numpy(), "category": ib["category"].to_numpy(),
                              "amount": amount, "load": load, "cost": cost})
        rows.append(_attribute_inputs(piece, placements, yv, col, unit_ids))

    alloc = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=ALLOCATION_COLUMNS)
    alloc = _expand_members(alloc[ALLOCATION_COLUMNS], P)
    kind_order = {"social_worker": 0, "volunteer": 1, "organization": 2, "program": 3, "charity": 4, "budget": 5}
    alloc = (alloc.assign(_k=alloc["provider_kind"].map(kind_order))
             .sort_values(["unit_id", "category", "_k", "provider_id", "need_id", "program_id"], kind="stable")
             .drop(columns="_k").reset_index(drop=True))

    # coverage per need
    covered = np.zeros(len(N))
    if len(alloc):
        by_need = alloc[alloc["need_id"] != ""].groupby("need_id")["quantity"].sum()
        covered = pd.Series(need_ids).map(by_need).fillna(0.0).to_numpy(float)
    need = N["q"].to_numpy(float)
    covered = np.minimum(covered, need)
    ratio = np.divide(covered, need, out=np.ones_like(need), where=need > 0)
    cov = pd.DataFrame({
        "need_id": need_ids, "unit_id": N["unit_id"].to_numpy(), "unit_name": units["name"].astype(str).to_numpy()[N["u"]],
        "category": N["category"].to_numpy(), "tier": N["tier"].to_numpy(), "need": need, "covered": covered,
        "unmet": need - covered, "coverage_ratio": ratio, "weight": N["weight"].to_numpy(float),
        "priority": N["priority"].to_numpy(float),
    })[COVERAGE_COLUMNS]

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
    prov = pd.DataFrame({"provider_kind": mf["provider_kind"], "provider_id": mf["provider_id"], "capacity": capacity,
                         "used": used, "utilization": util, "fixed_cost": fixed_paid[mf["p"].to_numpy()]})[PROVIDER_COLUMNS]

    # programs
    if yb.size:
        sel = np.flatnonzero(yv > 0)
        pl = placements.iloc[sel]
        delivered = (alloc[alloc["provider_kind"] == "program"].groupby(["program_id", "unit_id"])["quantity"].sum())
        key = pd.MultiIndex.from_arrays([pl["program_id"].to_numpy(), pl["unit_id"].to_numpy()])
        progs = pd.DataFrame({
            "program_id": pl["program_id"].to_numpy(), "org_id": pl["org_id"].to_numpy(),
            "unit_id": pl["unit_id"].to_numpy(), "category": pl["category"].to_numpy(), "instances": yv[sel],
            "output": yv[sel] * pl["output"].to_numpy(float),
            "delivered": delivered.reindex(key).fillna(0.0).to_numpy(float),
            "fixed_cost": yv[sel] * pl["fixed_cost"].to_numpy(float),
        })
        progs["instances"] = progs["instances"].round().astype(np.int64)
    else:
        progs = pd.DataFrame(columns=PROGRAM_COLUMNS)
    return {"allocations": alloc, "coverage": cov, "providers": prov, "programs": progs[PROGRAM_COLUMNS]}


def _expand_members(alloc: pd.DataFrame, P: pd.DataFrame) -> pd.DataFrame:
    """Split the rows of provider classes over their members, filling members in order (exact totals).

    Rows and members are laid end to end per class on one line (by load); each overlap of a row with a
    member is one output row, its quantity, load and cost in proportion. A member never exceeds its own
    capacity because the class's rows never exceed the class's capacity.
    """
    classes = P[P["n_members"] > 1]
    if not len(classes) or not len(alloc):
        return alloc
    cls_index = pd.Index(classes["provider_id"])
    ci = cls_index.get_indexer(alloc["provider_id"])
    mask = ci >= 0
    if not mask.any():
        return alloc
    rows = alloc[mask].assign(_c=ci[mask], _o=np.arange(int(mask.sum()))).sort_values(["_c", "_o"], kind="stable")
    load = rows["load"].to_numpy(float)
    c = rows["_c"].to_numpy()
    caps = [np.asarray(cs, float) for cs in classes["member_caps"]]
    class_total = np.array([cs.sum() for cs in caps])
    offset = np.concatenate([[0.0], np.cumsum(class_total + 1.0)])[:-1]      # disjoint spans per class
    ends_in_class = rows.groupby("_c")["load"].cumsum().to_numpy(float)
    r_hi = offset[c] + ends_in_class
    r_lo = r_hi - load
    m_hi = np.concatenate([offset[k] + np.cumsum(cs) for k, cs in enumerate(caps)])
    m_lo = m_hi - np.concatenate(caps)
    m_ids = np.fromiter((m for ms in classes["members"] for m in ms), dtype=object, count=len(m_hi))
    first = np.minimum(np.searchsorted(m_hi, r_lo, side="right"), len(m_hi) - 1)
    last = np.maximum(np.searchsorted(m_hi, r_hi - 1e-12, side="left"), first)
    last = np.minimum(last, len(m_hi) - 1)
    count = last - first + 1
    rep = np.repeat(np.arange(len(rows)), count)
    mem = np.repeat(first, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    overlap = np.minimum(r_hi[rep], m_hi[mem]) - np.maximum(r_lo[rep], m_lo[mem])
    share = np.where(load[rep] > 0, np.divide(overlap, load[rep], out=np.zeros(len(rep)), where=load[rep] > 0), 1.0)
    keep = share > 1e-12
    out = rows.iloc[rep[keep]].copy()
    out["provider_id"] = m_ids[mem[keep]]
    for col in ("quantity", "load", "cost"):
        out[col] = out[col].to_numpy(float) * share[keep]
    out = out.drop(columns=["_c", "_o"])
    return pd.concat([alloc[~mask], out], ignore_index=True)


def _attribute_inputs(piece: pd.DataFrame, placements: pd.DataFrame, yv: np.ndarray, col: str,
                      unit_ids: np.ndarray) -> pd.DataFrame:
    """Split pooled program inputs of each (unit, category) across the programs that used them, in order.

    Inputs and program demands are laid end to end on one line per pool; each overlap is one row.
    Totals per provider and per program are exact.
    """
    demand = placements.assign(d=yv * placements[col].to_numpy(float))
    demand = demand[demand["d"] > EPS]
    out = []
    for (u, c), sup in piece.groupby(["u", "category"], sort=True):
        dem = demand[(demand["u"] == u) & (demand["category"] == c)]
        s_hi = np.cumsum(sup["amount"].to_numpy())
        s_lo = s_hi - sup["amount"].to_numpy()
        d_hi = np.cumsum(dem["d"].to_numpy())
        d_lo = d_hi - dem["d"].to_numpy()
        lo = np.maximum(s_lo[:, None], d_lo[None, :])
        hi = np.minimum(s_hi[:, None], d_hi[None, :])
        si, di = np.nonzero(hi - lo > EPS)
        share = (hi - lo)[si, di] / sup["amount"].to_numpy()[si]
        out.append(pd.DataFrame({
            "provider_kind": sup["provider_kind"].to_numpy()[si], "provider_id": sup["provider_id"].to_numpy()[si],
            "unit_id": unit_ids[u], "category": c, "need_id": "",
            "program_id": dem["program_id"].to_numpy()[di], "quantity": 0.0,
            "load": sup["load"].to_numpy()[si] * share, "cost": sup["cost"].to_numpy()[si] * share,
        }))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=ALLOCATION_COLUMNS)
