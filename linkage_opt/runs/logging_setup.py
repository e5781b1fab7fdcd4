"""Logging for unattended runs: human text or one JSON object per line, always on stderr.

Every record the runner emits is an *event* with a fixed shape::

    {"timestamp": "2026-11-25T02:00:01.123Z", "level": "info", "event": "run.finished",
     "run_id": "2026-12-r3", "period": "2026-12", "message": "...", "fields": {"status": "optimal", ...}}

``timestamp`` is UTC (ISO 8601 with milliseconds), ``level`` lower case, ``run_id`` and ``period`` are
``null`` when not known yet, ``fields`` holds the event's own data. The top-level keys never change,
so a log shipper can index them; ``fields`` grows as events gain data. Records from other loggers
(libraries) come out in the same shape with ``event`` set to the logger name.

Use :func:`log_event` to emit, :func:`setup_logging` once per process (the CLI does it).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import sys
from typing import IO

LOGGER_NAME = "linkage_opt.runs"
FORMATS = ("text", "json")

_HANDLER_MARK = "_linkage_opt_handler"


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


def log_event(
    event: str,
    *,
    level: int = logging.INFO,
    run_id: str | None = None,
    period: str | None = None,
    message: str = "",
    logger: logging.Logger | None = None,
    **fields,
) -> None:
    """Emit one event. ``fields`` must be JSON-serialisable (anything else is written with ``str``)."""
    (logger or get_logger()).log(
        level, message or event, extra={"event": event, "run_id": run_id, "period": period, "fields": fields}
    )


def _timestamp(record: logging.LogRecord) -> str:
    t = _dt.datetime.fromtimestamp(record.created, tz=_dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line (no embedded newlines), keys in a fixed order."""

    def format(self, record: logging.LogRecord) -> str:
        fields = dict(getattr(record, "fields", None) or {})
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        obj = {
            "timestamp": _timestamp(record),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", None) or record.name,
            "run_id": getattr(record, "run_id", None),
            "period": getattr(record, "period", None),
            "message": record.getMessage(),
            "fields": fields,
        }
        return json.dumps(obj, ensure_ascii=False, default=str, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """``2026-11-25T02:00:01.123Z INFO  run.finished [2026-12-r3] message key=value ...``"""

    def format(self, record: logging.LogRecord) -> str:
        event = getattr(record, "event", None) or record.name
        run_id = getattr(record, "run_id", None)
        period = getattr(record, "period", None)
        where = f" [{run_id or period}]" if (run_id or period) else ""
        msg = record.getMessage()
        text = f"{_timestamp(record)} {record.levelname:<7} {event}{where}"
        if msg and msg != event:
            text += f" {msg}"
        fields = getattr(record, "fields", None) or {}
        if fields:
            text += " " + " ".join(f"{k}={_short(v)}" for k, v in fields.items())
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _short(v: object) -> str:
    s = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
    return s if len(s) <= 200 else s[:197] + "..."


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def setup_logging(fmt: str = "text", level: int | str = logging.INFO, stream: IO[str] | None = None) -> logging.Handler:
    """Send the ``linkage_opt`` loggers' records to ``stream`` (default: stderr) as ``text`` or ``json``.

    Idempotent: a handler installed by an earlier call is replaced, so lines are never duplicated.
    Only the ``linkage_opt`` logger is configured; the root logger is left alone.
    """
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    reset_logging()
    logger = logging.getLogger("linkage_opt")
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    setattr(handler, _HANDLER_MARK, True)
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler


def reset_logging() -> None:
    """Remove the handler :func:`setup_logging` installed (and its level), e.g. between tests."""
    logger = logging.getLogger("linkage_opt")
    for h in list(logger.handlers):
        if getattr(h, _HANDLER_MARK, False):
            logger.removeHandler(h)
            logger.setLevel(logging.NOTSET)
