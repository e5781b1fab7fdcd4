"""The run ledger: every monthly run, its inputs' fingerprint and its plan, in one SQLite file.

Default location ``runs/ledger.sqlite``. Written with the standard library's :mod:`sqlite3` only.

Crash safety
    The database is opened in WAL mode with ``synchronous=FULL``: a committed transaction survives a
    power cut, and a process killed at any instant leaves the database as of its last commit. Every
    write is one transaction (:meth:`Ledger.transaction`), so a run row, its plan rows and the
    published flag change together or not at all.

Portability
    The SQL is kept to what PostgreSQL also accepts: ``VARCHAR``/``TEXT``/``INTEGER``/
    ``DOUBLE PRECISION``/``BOOLEAN`` column types, ``CHECK``/``UNIQUE``/``REFERENCES ... ON DELETE
    CASCADE`` constraints, named ``:param`` placeholders (the style of SQLAlchemy's ``text()``), and
    timestamps as ISO-8601 UTC text (sortable). The SQLite-specific parts are confined to
    :meth:`Ledger._open` (PRAGMAs) and :meth:`Ledger.transaction` (``BEGIN IMMEDIATE``). Moving the
    ledger to a server database later means replacing those two methods with a SQLAlchemy engine built
    from a URL; the statements and migrations stay as they are.

Schema versions
    ``schema_version`` records every migration applied. :data:`MIGRATIONS` is an ordered list; a
    migration is never edited once released -- a change is a new migration appended at the end. All
    pending migrations are applied in one transaction when a ledger is opened (so two processes opening
    a new ledger at once cannot both apply them). A ledger newer than this version of linkage-opt is
    refused rather than guessed at.

Plan storage
    The four contract tables of a plan (``allocations``, ``coverage``, ``providers``, ``programs``;
    ``docs/outputs.md``) are stored as **normalised rows** keyed by ``(run_id, row_no)``, typed by the
    contract. Reasons: carry-over, multi-month equity and stability read earlier plans from here with
    plain queries; questions across months ("which villages were short three months running") are one
    ``SELECT`` away, for planners' dashboards too; and the database checks the types. Every file of the
    plan folder is listed in ``plan_files`` with its sha256 and size; files that are not contract tables
    (``summary.json`` is kept in ``runs.summary_json``; explanations and other extras) are stored
    verbatim as text, as is a contract table whose columns differ from those of the ledger's schema
    (so a future added column is never lost). :func:`restore_plan` rebuilds a plan folder byte for byte
    and checks every file against its recorded sha256.

Personal details
    The columns ``privacy.personal`` names (names, phones) are on the action sheets only (``plan.xlsx``,
    ``sheets.html``, ``sheets.pdf``). The ledger keeps those three files as the shareable copy without them
    (``--redact``'s files; ``stored_sha256`` is the copy's hash, ``sha256`` the plan folder's file's), so
    that no one's details sit in the database for years; the full sheets are in the plan folder on disk
    only. ``runs restore`` writes the shareable copies for them (and says so); every other file byte for
    byte. Summaries, messages and log lines never carry those columns.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import math
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LinkageError, OutputError
from ..i18n import N_, Msg
from ..solving.plan import COLUMN_KINDS, read_plan_table

if TYPE_CHECKING:  # pandas is imported where used: `runs list` and a lock refusal stay quick
    import pandas as pd

DEFAULT_LEDGER_NAME = "ledger.sqlite"
STATUSES = ("running", "optimal", "feasible", "infeasible", "failed")
SUCCESS = ("optimal", "feasible")


class LedgerError(LinkageError):
    """The ledger cannot be opened or used (exit code 4)."""

    exit_code = 4


class LedgerUsageError(LedgerError):
    """A request the ledger refuses: unknown run, publishing a failed run, restoring over a folder (exit 2)."""

    exit_code = 2


class RunNotFoundError(LedgerUsageError):
    """No such run id."""


class LedgerWriteError(LedgerError, OutputError):
    """The ledger cannot be written: disk full, read-only, I/O error (exit code 4). The transaction was
    rolled back: nothing was recorded, no plan was changed."""


# SQLite's primary result codes that mean "cannot write here", and what they mean for the user
_WRITE_FAILURES = {
    13: N_("the disk is full"),
    8: N_("the ledger is read-only"),
    10: N_("an input/output error"),
    14: N_("the ledger file cannot be opened"),
    3: N_("permission denied"),
}
_WRITE_FAILURE_TEXTS = (
    ("disk is full", 13),
    ("readonly", 8),
    ("read-only", 8),
    ("disk i/o error", 10),
    ("unable to open database", 14),
)


def _write_failure(path: Path, exc: sqlite3.Error) -> LedgerWriteError | None:
    """A :class:`LedgerWriteError` for an SQLite error that means the disk or file refuses writes, else None."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary not in _WRITE_FAILURES:
        text = str(exc).lower()
        primary = next((c for t, c in _WRITE_FAILURE_TEXTS if t in text), None)
    if primary is None:
        return None
    return LedgerWriteError(
        Msg(
            "cannot write the run ledger {path!r}; {primary} ({exc}); nothing was recorded; no plan was changed",
            path=str(path),
            primary=Msg(_WRITE_FAILURES[primary]),
            exc=exc,
        )
    )


# ---------------------------------------------------------------------------------------------------
# Plan tables: name -> (SQL table, [(column, kind)]) with kind in str | float | int.
# Must match linkage_opt.solving.plan's *_COLUMNS (tests/runs/test_ledger.py checks); a new column is a migration.
# ---------------------------------------------------------------------------------------------------

# the plan tables' SQL tables, with their columns' kinds as every reader of a plan types them
PLAN_TABLES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    name: (f"plan_{name}", cols) for name, cols in COLUMN_KINDS.items()
}
TABLE_FILES = {name: f"{name}.csv" for name in PLAN_TABLES}
SUMMARY_FILE = "summary.json"


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "runs, normalised plan tables, plan files",
        (
            """CREATE TABLE runs (
            run_id            VARCHAR(64)  NOT NULL PRIMARY KEY,
            period            VARCHAR(7)   NOT NULL,
            revision          INTEGER      NOT NULL,
            status            VARCHAR(16)  NOT NULL
                              CHECK (status IN ('running', 'optimal', 'feasible', 'infeasible', 'failed')),
            started_at        VARCHAR(32)  NOT NULL,
            finished_at       VARCHAR(32),
            input_fingerprint CHAR(64),
            fingerprint_doc   TEXT,
            config_path       TEXT,
            config_text       TEXT,
            summary_json      TEXT,
            plan_dir          TEXT,
            published         BOOLEAN      NOT NULL DEFAULT FALSE,
            exit_code         INTEGER,
            message           TEXT,
            history_json      TEXT,
            package_version   VARCHAR(32),
            pid               INTEGER,
            host              VARCHAR(255),
            UNIQUE (period, revision)
        )""",
            "CREATE INDEX runs_by_fingerprint ON runs (period, input_fingerprint)",
            """CREATE TABLE plan_allocations (
            run_id        VARCHAR(64) NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            row_no        INTEGER     NOT NULL,
            provider_kind VARCHAR(32) NOT NULL,
            provider_id   TEXT        NOT NULL,
            unit_id       TEXT        NOT NULL,
            category      TEXT        NOT NULL,
            need_id       TEXT        NOT NULL,
            program_id    TEXT        NOT NULL,
            quantity      DOUBLE PRECISION,
            load          DOUBLE PRECISION,
            cost          DOUBLE PRECISION,
            PRIMARY KEY (run_id, row_no)
        )""",
            """CREATE TABLE plan_coverage (
            run_id         VARCHAR(64) NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            row_no         INTEGER     NOT NULL,
            need_id        TEXT        NOT NULL,
            unit_id        TEXT        NOT NULL,
            unit_name      TEXT        NOT NULL,
            category       TEXT        NOT NULL,
            tier           VARCHAR(16) NOT NULL,
            need           DOUBLE PRECISION,
            covered        DOUBLE PRECISION,
            unmet          DOUBLE PRECISION,
            coverage_ratio DOUBLE PRECISION,
            weight         DOUBLE PRECISION,
            priority       DOUBLE PRECISION,
            PRIMARY KEY (run_id, row_no)
        )""",
            """CREATE TABLE plan_providers (
            run_id        VARCHAR(64) NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            row_no        INTEGER     NOT NULL,
            provider_kind VARCHAR(32) NOT NULL,
            provider_id   TEXT        NOT NULL,
            capacity      DOUBLE PRECISION,
            used          DOUBLE PRECISION,
            utilization   DOUBLE PRECISION,
            fixed_cost    DOUBLE PRECISION,
            PRIMARY KEY (run_id, row_no)
        )""",
            """CREATE TABLE plan_programs (
            run_id     VARCHAR(64) NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            row_no     INTEGER     NOT NULL,
            program_id TEXT        NOT NULL,
            org_id     TEXT        NOT NULL,
            unit_id    TEXT        NOT NULL,
            category   TEXT        NOT NULL,
            instances  INTEGER,
            output     DOUBLE PRECISION,
            delivered  DOUBLE PRECISION,
            fixed_cost DOUBLE PRECISION,
            PRIMARY KEY (run_id, row_no)
        )""",
            """CREATE TABLE plan_files (
            run_id     VARCHAR(64)  NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            name       VARCHAR(255) NOT NULL,
            sha256     CHAR(64)     NOT NULL,
            size_bytes INTEGER      NOT NULL,
            content    TEXT,
            PRIMARY KEY (run_id, name)
        )""",
        ),
    ),
    # plan.xlsx is binary: kept byte for byte in `data` (content stays NULL for such files)
    Migration(2, "binary plan files (plan.xlsx)", ("ALTER TABLE plan_files ADD COLUMN data BLOB",)),
    # the action sheets name people (privacy.personal): the ledger keeps a copy without them; sha256 stays
    # that of the file in the plan folder (verify_plan_dir), stored_sha256 is that of the copy kept
    Migration(
        3,
        "action sheets kept without personal columns (stored_sha256)",
        ("ALTER TABLE plan_files ADD COLUMN stored_sha256 CHAR(64)",),
    ),
]

RUN_COLUMNS = (
    "run_id",
    "period",
    "revision",
    "status",
    "started_at",
    "finished_at",
    "input_fingerprint",
    "fingerprint_doc",
    "config_path",
    "config_text",
    "summary_json",
    "plan_dir",
    "published",
    "exit_code",
    "message",
    "history_json",
    "package_version",
    "pid",
    "host",
)
# columns `runs list` needs (the big text columns are left out)
LIST_COLUMNS = (
    "run_id",
    "period",
    "revision",
    "status",
    "started_at",
    "finished_at",
    "input_fingerprint",
    "plan_dir",
    "published",
    "exit_code",
    "message",
    "pid",
    "host",
)


def utc_now() -> str:
    """ISO 8601 UTC with milliseconds, e.g. ``2026-11-25T02:00:01.123Z`` (sorts as text)."""
    t = _dt.datetime.now(_dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def parse_time(text: str | None) -> _dt.datetime | None:
    if not text:
        return None
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Ledger:
    """One open connection to the ledger; schema migrated on open. Use as a context manager."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0, migrations: Sequence[Migration] | None = None):
        self.path = Path(path)
        self.timeout = float(timeout)
        self.migrations = list(MIGRATIONS if migrations is None else migrations)
        self._conn: sqlite3.Connection | None = None
        self.journal_mode = ""
        self._open()

    # -- connection (SQLite-specific) -----------------------------------------------------------------
    def _open(self) -> None:
        import stat

        from ..outdir import kind_of, os_failure

        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise os_failure(self.path, exc, earlier=False, subject=Msg("the run ledger")) from None
        if st is not None and not stat.S_ISREG(st.st_mode):  # a FIFO would hang SQLite: never opened
            kind = "a folder" if stat.S_ISDIR(st.st_mode) else kind_of(st.st_mode)
            raise LedgerUsageError(
                Msg(
                    "the run ledger {path!r} is {kind}, not a file; give --ledger a file (it is created if missing) or --runs a folder",
                    path=str(self.path),
                    kind=kind,
                )
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise os_failure(self.path.parent, exc, earlier=False, subject=Msg("the runs folder")) from None
        try:
            conn = sqlite3.connect(str(self.path), timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise _write_failure(self.path, exc) or LedgerError(
                Msg("cannot open the run ledger {path}: {exc}", path=self.path, exc=exc)
            ) from None
        self._conn = conn
        try:
            self.journal_mode = str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            self._conn = None
            raise _write_failure(self.path, exc) or LedgerError(
                Msg(
                    "the run ledger {path} cannot be used: {exc} (restore it from a backup, or move it aside to start a new one)",
                    path=self.path,
                    exc=exc,
                )
            ) from None
        except BaseException:
            conn.close()
            self._conn = None
            raise

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise LedgerError(Msg("the ledger is closed"))
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any exception (or signal)."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:  # SQLite may already have rolled back (disk full, I/O error)
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:  # disk full, read-only: a typed error, nothing recorded
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            failure = _write_failure(self.path, exc)
            if failure is None:
                raise
            raise failure from None

    # -- migrations -----------------------------------------------------------------------------------
    def _migrate(self) -> None:
        versions = [m.version for m in self.migrations]
        if versions != list(range(1, len(versions) + 1)):
            raise LedgerError(
                Msg("migrations must be numbered 1, 2, 3, ... in order, got {versions}", versions=versions)
            )
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER NOT NULL PRIMARY KEY, description VARCHAR(200) NOT NULL, "
            "applied_at VARCHAR(32) NOT NULL)"
        )
        with self.transaction() as c:
            current = c.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
            if current > len(self.migrations):
                raise LedgerError(
                    Msg(
                        "the run ledger {path} has schema version {current}, newer than this linkage-opt knows ({n}); upgrade linkage-opt",
                        path=self.path,
                        current=current,
                        n=len(self.migrations),
                    )
                )
            for m in self.migrations[current:]:
                for stmt in m.statements:
                    c.execute(stmt)
                c.execute(
                    "INSERT INTO schema_version (version, description, applied_at) VALUES (:v, :d, :t)",
                    {"v": m.version, "d": m.description, "t": utc_now()},
                )

    def schema_version(self) -> int:
        return int(self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0)

    # -- runs -----------------------------------------------------------------------------------------
    def max_revision(self, period: str) -> int:
        row = self.conn.execute("SELECT MAX(revision) FROM runs WHERE period = :p", {"p": period}).fetchone()
        return int(row[0] or 0)

    def insert_run(self, **values) -> None:
        unknown = set(values) - set(RUN_COLUMNS)
        if unknown:
            raise KeyError(f"unknown run column(s): {sorted(unknown)}")
        if values.get("status", "running") not in STATUSES:
            raise ValueError(f"bad status {values['status']!r}")
        values.setdefault("status", "running")
        values.setdefault("started_at", utc_now())
        values.setdefault("published", False)
        cols = list(values)
        sql = f"INSERT INTO runs ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"
        with self.transaction() as c:
            c.execute(sql, values)

    def finish_run(
        self,
        run_id: str,
        *,
        status: str,
        exit_code: int,
        message: str = "",
        summary_json: str | None = None,
        tables: dict[str, pd.DataFrame] | None = None,
        files: dict[str, Path] | None = None,
        publish: bool = False,
        finished_at: str | None = None,
        redacted: dict[str, bytes] | None = None,
    ) -> None:
        """Finalise a run in one transaction: status, plan rows, file records, and (optionally) publication.

        ``files`` maps each file name of the written plan folder to its path; contract tables whose
        columns match the ledger's are stored as rows, every other file verbatim (see module doc).
        ``redacted`` maps a file name (``plan.xlsx``, ``sheets.html``, ``sheets.pdf``: the action sheets) to
        the copy to keep instead, without the personal columns (``privacy.personal``); the record keeps the
        folder's file's sha256 (so ``runs show`` checks the folder) and the copy's as ``stored_sha256``.
        """
        if status not in STATUSES or status == "running":
            raise ValueError(f"bad final status {status!r}")
        if publish and status not in SUCCESS:
            raise ValueError("only an optimal or feasible run can be published")
        prepared = _prepare_files(tables or {}, files or {}, redacted or {})
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE runs SET status = :s, exit_code = :e, message = :m, summary_json = :j, "
                "finished_at = :f WHERE run_id = :r",
                {
                    "s": status,
                    "e": int(exit_code),
                    "m": message,
                    "j": summary_json,
                    "f": finished_at or utc_now(),
                    "r": run_id,
                },
            )
            if cur.rowcount != 1:
                raise LedgerError(Msg("no run {run_id!r} in the ledger", run_id=run_id))
            for name, frame in prepared["rows"].items():
                _insert_rows(c, run_id, name, frame)
            if prepared["files"]:
                c.executemany(
                    "INSERT INTO plan_files (run_id, name, sha256, size_bytes, content, data, stored_sha256) "
                    "VALUES (:r, :n, :h, :b, :c, :d, :s)",
                    [
                        {
                            "r": run_id,
                            "n": n,
                            "h": h,
                            "b": b,
                            "c": content,
                            "d": prepared["blobs"].get(n),
                            "s": prepared["stored"].get(n),
                        }
                        for n, (h, b, content) in prepared["files"].items()
                    ],
                )
            if publish:
                self._publish(c, run_id)

    def publish(self, run_id: str) -> dict:
        """Make ``run_id`` the published plan of its period (the others of the period are unpublished)."""
        run = self.get_run(run_id)
        if run is None:
            raise RunNotFoundError(Msg("no run {run_id!r} in the ledger {path}", run_id=run_id, path=self.path))
        if run["status"] not in SUCCESS:
            raise LedgerUsageError(
                Msg(
                    "run {run_id} is {run}; only an optimal or feasible run can be published",
                    run_id=run_id,
                    run=run["status"],
                )
            )
        with self.transaction() as c:
            self._publish(c, run_id)
        return self.get_run(run_id)

    @staticmethod
    def _publish(c: sqlite3.Connection, run_id: str) -> None:
        period = c.execute("SELECT period FROM runs WHERE run_id = :r", {"r": run_id}).fetchone()[0]
        c.execute(
            "UPDATE runs SET published = :f WHERE period = :p AND published = :t AND run_id <> :r",
            {"f": False, "t": True, "p": period, "r": run_id},
        )
        c.execute("UPDATE runs SET published = :t WHERE run_id = :r", {"t": True, "r": run_id})

    def get_run(self, run_id: str) -> dict | None:
        row = self.conn.execute(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE run_id = :r", {"r": run_id}
        ).fetchone()
        return _run_dict(RUN_COLUMNS, row) if row else None

    def list_runs(self, period: str | None = None) -> list[dict]:
        sql = f"SELECT {', '.join(LIST_COLUMNS)} FROM runs"
        params: dict = {}
        if period:
            sql += " WHERE period = :p"
            params["p"] = period
        sql += " ORDER BY period, revision"
        return [_run_dict(LIST_COLUMNS, r) for r in self.conn.execute(sql, params).fetchall()]

    def find_reusable(self, period: str, fingerprint: str) -> dict | None:
        """The newest optimal/feasible run of ``period`` with this input fingerprint."""
        row = self.conn.execute(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE period = :p AND input_fingerprint = :f "
            "AND status IN ('optimal', 'feasible') ORDER BY revision DESC",
            {"p": period, "f": fingerprint},
        ).fetchone()
        return _run_dict(RUN_COLUMNS, row) if row else None

    def published_run(self, period: str) -> dict | None:
        row = self.conn.execute(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE period = :p AND published = :t ORDER BY revision DESC",
            {"p": period, "t": True},
        ).fetchone()
        return _run_dict(RUN_COLUMNS, row) if row else None

    def last_published(self, period: str, exclude: str | None = None) -> dict | None:
        """The last published plan as of ``period``: the published run of ``period`` itself (a plan of the
        month published before this one), else that of the newest earlier period; never ``exclude``."""
        row = self.conn.execute(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE period <= :p AND published = :t "
            "AND run_id <> :x ORDER BY period DESC, revision DESC",
            {"p": period, "t": True, "x": exclude or ""},
        ).fetchone()
        return _run_dict(RUN_COLUMNS, row) if row else None

    # -- plans ----------------------------------------------------------------------------------------
    def plan_files(self, run_id: str) -> list[dict]:
        rows = self.conn.execute(
            "SELECT name, sha256, size_bytes, content, data, stored_sha256 FROM plan_files "
            "WHERE run_id = :r ORDER BY name",
            {"r": run_id},
        ).fetchall()
        return [
            {"name": n, "sha256": h, "size_bytes": b, "content": c, "data": d, "stored_sha256": st}
            for n, h, b, c, d, st in rows
        ]

    def plan_table(self, run_id: str, name: str) -> pd.DataFrame | None:
        """One contract table of a recorded plan (``None`` if the run has no plan)."""
        import pandas as pd

        table, cols = PLAN_TABLES[name]
        verbatim = self.conn.execute(
            "SELECT content FROM plan_files WHERE run_id = :r AND name = :n", {"r": run_id, "n": TABLE_FILES[name]}
        ).fetchone()
        if verbatim is None:
            return None
        if verbatim[0] is not None:
            return read_plan_table(name, text=verbatim[0])
        names = [c for c, _ in cols]
        rows = self.conn.execute(
            f"SELECT {', '.join(names)} FROM {table} WHERE run_id = :r ORDER BY row_no", {"r": run_id}
        ).fetchall()
        data = {}
        for j, (c, kind) in enumerate(cols):
            values = [r[j] for r in rows]
            if kind == "float":
                data[c] = pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
            elif kind == "int":
                data[c] = pd.Series([0 if v is None else int(v) for v in values], dtype="int64")
            else:
                # no dtype given: pandas infers its default text dtype, as for the frames the plan writer gets
                data[c] = pd.Series(["" if v is None else str(v) for v in values], dtype=None if values else object)
        return pd.DataFrame(data, columns=names)

    def plan_tables(self, run_id: str) -> dict[str, pd.DataFrame]:
        out = {}
        for name in PLAN_TABLES:
            frame = self.plan_table(run_id, name)
            if frame is not None:
                out[name] = frame
        return out


def _run_dict(cols: Sequence[str], row: Sequence) -> dict:
    d = dict(zip(cols, row))
    if "published" in d:
        d["published"] = bool(d["published"])
    return d


def _is_missing(v) -> bool:
    if v is None or (isinstance(v, float) and v != v):
        return True
    import pandas as pd

    return v is pd.NA or v is pd.NaT


def _normalisable(frame: pd.DataFrame, name: str) -> bool:
    return [str(c) for c in frame.columns] == [c for c, _ in PLAN_TABLES[name][1]]


BINARY_SUFFIXES = (".xlsx", ".pdf")  # kept byte for byte (plan.xlsx, sheets.pdf)


def _prepare_files(
    tables: dict[str, pd.DataFrame], files: dict[str, Path], redacted: dict[str, bytes] | None = None
) -> dict:
    """Decide, per file, what goes into rows and what is kept verbatim; hash everything (outside the transaction).
    A file of ``redacted`` is kept as that copy (its hash in ``stored``); its record keeps the folder file's hash."""
    rows: dict[str, pd.DataFrame] = {}
    out: dict[str, tuple[str, int, str | None]] = {}
    blobs: dict[str, bytes] = {}
    stored: dict[str, str] = {}
    by_file = {TABLE_FILES[n]: n for n in PLAN_TABLES}
    redacted = redacted or {}
    for fname, path in sorted(files.items()):
        data = Path(path).read_bytes()
        content: str | None
        if fname in redacted:  # the action sheets, without personal columns
            kept = redacted[fname]
            stored[fname] = sha256_bytes(kept)
            if Path(fname).suffix.lower() in BINARY_SUFFIXES:
                content, blobs[fname] = None, kept
            else:
                content = kept.decode("utf-8")
            out[fname] = (sha256_bytes(data), len(data), content)
            continue
        table = by_file.get(fname)
        if fname == SUMMARY_FILE:
            content = None  # kept in runs.summary_json
        elif table is not None and table in tables and _normalisable(tables[table], table):
            rows[table] = tables[table]
            content = None
        elif Path(fname).suffix.lower() in BINARY_SUFFIXES:
            content = None
            blobs[fname] = data  # kept byte for byte
        else:
            try:
                content = data.decode("utf-8")
            except UnicodeDecodeError:
                raise LedgerError(
                    Msg("plan file {fname} is not UTF-8 text; it cannot be kept in the ledger", fname=fname)
                ) from None
        out[fname] = (sha256_bytes(data), len(data), content)
    return {"rows": rows, "files": out, "blobs": blobs, "stored": stored}


def _insert_rows(c: sqlite3.Connection, run_id: str, name: str, frame: pd.DataFrame) -> None:
    table, cols = PLAN_TABLES[name]
    if not len(frame):
        return
    columns = []
    for col, kind in cols:
        values = frame[col].tolist()
        if kind == "str":
            columns.append(["" if _is_missing(v) else str(v) for v in values])
        elif kind == "int":
            columns.append([None if _is_missing(v) else int(v) for v in values])
        else:
            columns.append([None if _is_missing(v) else float(v) for v in values])
    names = [col for col, _ in cols]
    sql = (
        f"INSERT INTO {table} (run_id, row_no, {', '.join(names)}) "
        f"VALUES (:run_id, :row_no, {', '.join(':' + n for n in names)})"
    )
    params = ({"run_id": run_id, "row_no": i, **dict(zip(names, vals))} for i, vals in enumerate(zip(*columns)))
    c.executemany(sql, params)


# ---------------------------------------------------------------------------------------------------
# Restoring a plan folder from the ledger
# ---------------------------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    target: Path
    files: dict[str, str]  # name -> "ok" | "mismatch"
    redacted: tuple[str, ...] = ()  # the files restored as the ledger keeps them: without personal columns

    @property
    def ok(self) -> bool:
        return all(v == "ok" for v in self.files.values())


def restore_plan(ledger: Ledger, run_id: str, target: str | Path) -> RestoreReport:
    """Rebuild the plan folder of ``run_id`` at ``target`` (atomically: temp sibling, then rename).

    Contract tables are rewritten from their rows with the plan writer (same bytes by construction);
    every other file from its verbatim copy. Each file is checked against its recorded sha256, and the
    folder is moved into place only if all match (else :class:`LedgerError`; nothing is left behind).
    ``target`` must not exist (:class:`LedgerUsageError`); a full or read-only disk is an
    :class:`~linkage_opt.errors.OutputError`.
    """
    from ..outdir import write_folder
    from ..solving.plan import write_csv

    run = ledger.get_run(run_id)
    if run is None:
        raise RunNotFoundError(Msg("no run {run_id!r} in the ledger {path}", run_id=run_id, path=ledger.path))
    records = ledger.plan_files(run_id)
    if not records:
        raise LedgerUsageError(
            Msg("run {run_id} ({run}) has no recorded plan to restore", run_id=run_id, run=run["status"])
        )
    target = Path(target)
    if os.path.lexists(target):  # a folder, file, FIFO or link: never opened, never replaced
        raise LedgerUsageError(
            Msg("{target} exists; restore into a new folder (--to) or move it aside first", target=target)
        )
    by_file = {TABLE_FILES[n]: n for n in PLAN_TABLES}
    status: dict[str, str] = {}

    def fill(tmp: Path) -> None:
        for rec in records:
            path = tmp / rec["name"]
            if rec["content"] is not None:
                with open(path, "wb") as fh:
                    fh.write(rec["content"].encode("utf-8"))
            elif rec.get("data") is not None:
                with open(path, "wb") as fh:
                    fh.write(rec["data"])
            elif rec["name"] == SUMMARY_FILE:
                with open(path, "wb") as fh:
                    fh.write((run["summary_json"] or "").encode("utf-8"))
            else:
                write_csv(ledger.plan_table(run_id, by_file[rec["name"]]), path)
            want = rec.get("stored_sha256") or rec["sha256"]  # a redacted copy: the copy's own hash
            status[rec["name"]] = "ok" if sha256_file(path) == want else "mismatch"
        bad = [n for n, s in status.items() if s != "ok"]
        if bad:
            raise LedgerError(
                Msg(
                    "restoring {run_id}: {bad} did not reproduce the recorded sha256; nothing was written",
                    run_id=run_id,
                    bad=", ".join(bad),
                )
            )

    # a new real folder, written in a temporary sibling under the parent's lock, then renamed into place
    write_folder(target, fill, replace=False)
    return RestoreReport(target, status, tuple(r["name"] for r in records if r.get("stored_sha256")))


def verify_plan_dir(ledger: Ledger, run_id: str, plan_dir: str | Path) -> dict[str, str]:
    """Each recorded file: ``ok``, ``modified`` or ``missing`` in ``plan_dir``; unrecorded files: ``extra``."""
    plan_dir = Path(plan_dir)
    out: dict[str, str] = {}
    recorded = ledger.plan_files(run_id)
    for rec in recorded:
        p = plan_dir / rec["name"]
        if not p.is_file():
            out[rec["name"]] = "missing"
        else:
            out[rec["name"]] = "ok" if sha256_file(p) == rec["sha256"] else "modified"
    if plan_dir.is_dir():
        known = {r["name"] for r in recorded}
        for p in sorted(plan_dir.iterdir()):
            if p.name not in known:
                out[p.name] = "extra"
    return out


def canonical_json(obj) -> str:
    """Stable JSON for hashing: sorted keys, no whitespace, UTF-8 kept."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
