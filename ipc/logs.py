"""Structured logs: one JSON object a line, one rotating file per process, correlation ids.

Every line carries ``ts`` (UTC, ISO 8601, milliseconds), ``level``, ``process`` (``gui``,
``worker``, ``cli``), ``pid``, ``logger``, ``msg`` and ``cid``, the correlation id of the
request being handled, plus any ``extra={...}`` fields and ``exc`` when there is a
traceback. The correlation id is taken from a context variable set with
``with correlation(cid): ...``, so code deep in a call never has to pass it along; asyncio
tasks inherit it, threads start without one. A person quotes the ``(ref ...)`` of an error
message, and ``find(log_dir, ref)`` gathers the lines of both processes about it.

What it does not do: it does not decide what is logged or sanitize messages (details stay
in the log on purpose; ``ipc.errors.sanitize`` guards what leaves it). Qt-free.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import logging.handlers
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ipc.ids import new_correlation_id

__all__ = [
    "CorrelationFilter",
    "JsonFormatter",
    "configure",
    "correlation",
    "current_correlation_id",
    "find",
    "new_correlation_id",
    "unconfigure",
]

MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5

_current: contextvars.ContextVar[str] = contextvars.ContextVar("emberterm_cid", default="")
_installed: list[logging.Handler] = []

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__
) | {"message", "asctime", "cid", "taskName"}


def current_correlation_id() -> str:
    """The correlation id of the work in progress here ("" outside any)."""
    return _current.get()


@contextmanager
def correlation(cid: str | None = None) -> Iterator[str]:
    """Tag everything logged inside the block with ``cid`` (a new one when not given)."""
    value = cid or new_correlation_id()
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


class CorrelationFilter(logging.Filter):
    """Puts the current correlation id on each record, unless ``extra`` gave one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "cid", ""):
            record.cid = _current.get()
        return True


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "process": self.process,
            "pid": record.process,
            "logger": record.name,
            "msg": record.getMessage(),
            "cid": getattr(record, "cid", "") or _current.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=repr)


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files hold details (paths, commands) meant only for their owner: mode 0600."""

    def _open(self) -> Any:
        stream = super()._open()
        if sys.platform != "win32":
            os.chmod(self.baseFilename, 0o600)
        return stream


def configure(
    process: str,
    log_dir: Path,
    level: int | str = logging.INFO,
    *,
    max_bytes: int = MAX_BYTES,
    backups: int = BACKUPS,
    echo: bool = False,
) -> logging.Handler:
    """Send the root logger's records to ``log_dir/<process>.log`` as JSON lines.

    Calling it again replaces what an earlier call installed. ``echo`` also writes plain
    text to stderr (for development). Returns the file handler.
    """
    unconfigure()
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = _PrivateRotatingFileHandler(
        log_dir / f"{process}.log", maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
    )
    handler.setFormatter(JsonFormatter(process))
    handler.addFilter(CorrelationFilter())
    handlers: list[logging.Handler] = [handler]
    if echo:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(cid)s] "
                                              "%(message)s"))
        stream.addFilter(CorrelationFilter())
        handlers.append(stream)
    root = logging.getLogger()
    root.setLevel(level)
    for h in handlers:
        root.addHandler(h)
    _installed.extend(handlers)
    return handler


def unconfigure() -> None:
    """Remove and close what ``configure`` installed."""
    root = logging.getLogger()
    while _installed:
        handler = _installed.pop()
        root.removeHandler(handler)
        handler.close()


def find(log_dir: Path, cid: str) -> list[dict[str, Any]]:
    """Every logged entry whose correlation id starts with ``cid`` (a full id or the
    ``ref`` a person quoted), from all processes' current and rotated files, oldest first.
    """
    if not cid:
        return []
    found: list[dict[str, Any]] = []
    for path in sorted(log_dir.glob("*.log*"), key=_oldest_first):
        try:
            with path.open(encoding="utf-8", errors="replace") as lines:
                for line in lines:
                    if cid not in line:
                        continue
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(entry, dict) and str(entry.get("cid", "")).startswith(cid):
                        found.append(entry)
        except OSError:
            continue
    found.sort(key=lambda entry: str(entry.get("ts", "")))
    return found


def _oldest_first(path: Path) -> tuple[str, int]:
    """``gui.log.2`` before ``gui.log.1`` before ``gui.log`` (so equal timestamps keep order)."""
    stem, _, suffix = path.name.partition(".log")
    number = int(suffix[1:]) if suffix[1:].isdigit() else 0
    return stem, -number
