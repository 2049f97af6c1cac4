"""The worker's SQLite store: session records, transcripts and full-text search.

What it does: keeps a record of every session (command, directory, title, placement, exit)
and its transcript (the lines that left the screen, in chunks, plus the last saved screen),
indexes the transcript with FTS5 (trigram, so substrings match) and searches it.

How it stays free of races (see docs/STORAGE.md):

* **One writer.** Every write is a message on a queue drained by one thread, which commits
  what arrived in each ``batch_seconds`` window in one ``BEGIN IMMEDIATE`` transaction.
  Callers never hold a transaction, so a read-then-write race cannot happen, and a flood
  costs one commit per batch, not one per line. ``kill -9`` loses at most the batch being
  collected.
* **Readers on their own read-only connections**, each query inside one read transaction,
  so a reader sees a consistent WAL snapshot while the writer goes on.
* **The index trails the writes.** Trigram indexing is slower than a flood; the writer
  indexes in small steps when idle, and search scans the not-yet-indexed chunks (and the
  saved screens) directly, so results are always complete.
* ``busy_timeout`` plus retries: "database is locked" never reaches a person.

What it does not do: no Qt, no sockets; it knows sessions only by id.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import msgpack

from app import memtrim
from app.worker.store_schema import migrate
from terminal._lines import STYLED, entry_line
from terminal.frames import Line, Style

log = logging.getLogger("emberterm.store")

BUSY_TIMEOUT_MS = 5000
# Operations that run in their own transaction(s) after the batch before them.
SPECIAL_OPS = ("forget", "index_all", "lost", "take_layout")
T = TypeVar("T")


@dataclass
class SessionRecord:
    id: str
    command: list[str]
    cwd: str = ""
    title: str = ""
    created: float = 0.0
    ended: float | None = None
    exit_status: int | None = None
    window: int = 0
    tab: int = 0
    private: bool = False
    lines_total: int = 0
    lost: bool = False  # ended with its worker (crash, reboot), not on its own


@dataclass(frozen=True)
class Retention:
    """How much transcript to keep. Enforced by the writer in small steps when idle."""

    max_age_days: float = 90.0
    # Transcript text and style runs; the trigram index adds about twice this on disk.
    max_bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True)
class SearchHit:
    session_id: str
    number: int  # absolute line number in its session
    text: str
    session_title: str
    session_ended: float | None
    created: float


@dataclass
class _Op:
    kind: str
    args: tuple[Any, ...] = ()
    done: threading.Event | None = None
    result: list[Any] = field(default_factory=list)


# -- line (de)serialisation ------------------------------------------------------------
# A chunk stores its lines' text once, joined by newlines (what the full-text index reads),
# and in ``runs`` what makes the lines that are not plain (a plain line: default style, not
# wrapped, no mark -- most of a flood) what they are, in one of three forms told apart by
# the first byte:
#
# * ``_RAW``: ``text`` is the emulator's compact history entries (``terminal._lines``)
#   joined by newlines, headers and all. This is what a flood writes: one join in C and
#   nothing per line, on a writer thread that shares the GIL with the parser. (Cutting the
#   headers off, even as slices, cost the flood ~0.14 s of CPU per 30 MB of ``cat``.) A
#   header is self-delimiting and a line's text never holds a newline or NUL, so
#   ``_split_raw`` reads it back. Raw chunks are never indexed as they are: the indexer
#   (idle) first rewrites each in the ``_COMPACT`` form, so indexed text is always clean.
# * ``_COMPACT``: then, for each such line, ``chr(index)`` and the line's header in that
#   compact form, UTF-8 with surrogates passed (style ids are any code point).
# * msgpack ``{index: [wrapped, mark, [[length, style id], ...]]}``: ``Line`` objects (saved
#   screens), and chunks written before the other forms existed.
_NO_STYLED = msgpack.packb({})
_COMPACT = b"\x01"  # neither is ever the first byte of a msgpack map
_RAW = b"\x02"

Item = Line | str


class JoinedEntries:
    """Compact entries already joined by newlines, in pieces (a chunk's raw text once
    they are joined again): how a flood's lines reach the store and wait for its writer.
    The worker joins them as they enter history (``of``: one C join per feed), so the
    lines a flood pushes past the history bound are freed there and then, not held as
    tens of thousands of small objects until a frame hands them over and the writer
    gets to them. Under a flood read through the relay those small objects raised the
    heap's high-water mark by megabytes of pymalloc arenas that stayed, pinned by the
    lines kept (decision 0016)."""

    __slots__ = ("count", "pieces")

    def __init__(self, pieces: list[str], count: int) -> None:
        self.pieces = pieces
        self.count = count

    @classmethod
    def of(cls, entries: Sequence[str]) -> JoinedEntries:
        return cls(["\n".join(entries)], len(entries))

    def extend(self, other: JoinedEntries) -> None:
        self.pieces.extend(other.pieces)
        self.count += other.count

    def __len__(self) -> int:
        return self.count


def _encode_lines(items: Sequence[Item] | JoinedEntries) -> tuple[str, bytes]:
    if isinstance(items, JoinedEntries) or (items and isinstance(items[0], str)):
        # compact entries: a flood's lines
        pieces = items.pieces if isinstance(items, JoinedEntries) else items
        joined = "\n".join(pieces)  # type: ignore[arg-type]
        return joined, (_RAW if STYLED in joined else _NO_STYLED)
    texts: list[str] = []
    styled: dict[int, list[Any]] = {}
    for i, item in enumerate(items):
        if isinstance(item, str):  # (an entry among Lines: never from the worker)
            item = entry_line(item)
        runs = item.runs
        if item.wrapped or item.mark or any(sid for _, sid in runs):
            styled[i] = [item.wrapped, item.mark, [[len(t), sid] for t, sid in runs]]
        texts.append("".join(t for t, _ in runs))
    return "\n".join(texts), msgpack.packb(styled, use_bin_type=True)


_YIELD_LINES = 256  # lines the indexer cleans between two chances for the parser to run


def _split_raw(text: str, pause: Callable[[], None] | None = None) -> list[str]:
    """The compact entries a ``_RAW`` chunk's text joins. ``pause`` is called every
    ``_YIELD_LINES`` lines (the indexer passes ``time.sleep(0)``: this is Python work on
    the writer thread, and the parser on the main thread must not wait for the GIL)."""
    entries: list[str] = []
    pos, size = 0, len(text)
    while pos <= size:
        if pause is not None and not len(entries) % _YIELD_LINES:
            pause()
        # A header (STYLED, flags, code length, code) may hold any character, newlines too.
        head = pos + 3 + ord(text[pos + 2]) if text.startswith(STYLED, pos) else pos
        stop = text.find("\n", head)
        if stop < 0:
            stop = size
        entries.append(text[pos:stop])
        pos = stop + 1
    return entries


def _compact(
    text: str, runs: bytes, pause: Callable[[], None] | None = None
) -> tuple[str, bytes]:
    """A ``_RAW`` chunk in the ``_COMPACT`` form (clean text for the index); ``pause`` as
    for ``_split_raw``."""
    if runs[:1] != _RAW:
        return text, runs
    entries = _split_raw(text, pause)
    heads: list[str] = []
    for i, entry in enumerate(entries):
        if pause is not None and not i % _YIELD_LINES:
            pause()
        if entry.startswith(STYLED):
            end = 3 + ord(entry[2])
            heads.append(chr(i) + entry[:end])
            entries[i] = entry[end:]
    return "\n".join(entries), _COMPACT + "".join(heads).encode("utf-8", "surrogatepass")


def _decode_lines(text: str, runs_blob: bytes) -> list[Line]:
    kind = runs_blob[:1]
    if kind == _RAW:
        return [entry_line(entry) for entry in _split_raw(text)]
    if kind == _COMPACT:
        heads = runs_blob[1:].decode("utf-8", "surrogatepass")
        texts = text.split("\n")
        out = [Line(((t, 0),)) if t else Line() for t in texts]
        pos = 0
        while pos < len(heads):
            i = ord(heads[pos])
            end = pos + 4 + ord(heads[pos + 3])
            out[i] = entry_line(heads[pos + 1 : end] + texts[i])
            pos = end
        return out
    styled = msgpack.unpackb(runs_blob, raw=False, strict_map_key=False)
    out = []
    for i, line_text in enumerate(text.split("\n")):
        spec = styled.get(i)
        if spec is None:
            out.append(Line(((line_text, 0),)) if line_text else Line())
            continue
        wrapped, mark, runs = spec
        pos = 0
        parts = []
        for length, sid in runs:
            parts.append((line_text[pos : pos + length], sid))
            pos += length
        out.append(Line(tuple(parts), bool(wrapped), mark))
    return out


class Store:
    """The SQLite store. ``start()`` it, write from any thread, ``close()`` to flush."""

    def __init__(
        self,
        path: Path,
        *,
        enabled: bool = True,
        batch_seconds: float = 0.05,
        idle_seconds: float = 0.2,
        index_chunk_rows: int = 200,
        retention: Retention | None = None,
        retention_interval: float = 60.0,
        clock: Callable[[], float] = time.time,
        trim: Callable[[], object] = memtrim.trim,
    ) -> None:
        self.path = Path(path)
        self._trim = trim
        self._indexed_since_trim = False
        self.enabled = enabled
        self.batch_seconds = batch_seconds
        self.idle_seconds = idle_seconds
        self.index_chunk_rows = index_chunk_rows
        self.retention = retention or Retention()
        self.retention_interval = retention_interval
        self._last_retention = -float("inf")
        self.clock = clock
        self._queue: queue.Queue[_Op] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._private: set[str] = set()
        self._local = threading.local()
        self.batches_committed = 0
        self.write_errors = 0
        # A disk that stalls must not grow the worker without bound: past this many
        # queued operations, transcript lines are dropped (counted and logged) instead.
        self.max_queued = 50_000
        self.dropped_lines = 0

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> Store:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            # Created 0600 before SQLite touches it; SQLite gives -wal/-shm the same mode.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.path.chmod(0o600)
        conn = self._connect()
        try:
            migrate(conn)
            self._private = {
                r[0] for r in conn.execute("SELECT id FROM sessions WHERE private = 1")
            }
        finally:
            conn.close()
        self._thread = threading.Thread(target=self._writer, name="store-writer", daemon=True)
        self._thread.start()
        return self

    def close(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        self._submit("stop", wait=timeout)
        self._thread.join(timeout)
        self._thread = None

    def _connect(self, *, readonly: bool = False) -> sqlite3.Connection:
        if readonly:
            conn = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, isolation_level=None,
                check_same_thread=False,
            )
        else:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            # Checkpoints copy every page a second time; the writer does them when idle
            # (``_idle_work``) rather than every 4 MB of a flood, where they cost a fifth
            # of what the store costs. A flood that never pauses still checkpoints every
            # WAL_CHECKPOINT_PAGES, and the WAL file is cut back to that size after.
            conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            conn.execute(f"PRAGMA journal_size_limit={WAL_CHECKPOINT_PAGES * 4096}")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return conn

    # -- writes (queued; safe from any thread) -----------------------------------------
    def _submit(self, kind: str, *args: Any, wait: float | None = None) -> Any:
        op = _Op(kind, args, threading.Event() if wait is not None else None)
        self._queue.put(op)
        if op.done is not None:
            if not op.done.wait(wait):
                raise TimeoutError(f"store: {kind} did not complete in {wait} s")
            if op.result and isinstance(op.result[0], BaseException):
                raise op.result[0]
            return op.result[0] if op.result else None
        return None

    def create_session(self, record: SessionRecord) -> None:
        if record.private:
            self._private.add(record.id)
        self._submit("create", record)

    def update_session(self, session_id: str, **fields: Any) -> None:
        allowed = {"title", "cwd", "window", "tab"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot update session field(s): {sorted(unknown)}")
        if session_id in self._private:
            fields.pop("title", None)
            fields.pop("cwd", None)
        if fields:
            self._submit("update", session_id, fields)

    def append_lines(
        self, session_id: str, first_number: int, lines: Sequence[Item] | JoinedEntries,
        styles: dict[int, Style],
    ) -> None:
        """Lines that left the screen, numbered from ``first_number``: ``Line`` objects,
        or the emulator's compact history entries, best already joined (``JoinedEntries``:
        cheapest under a flood)."""
        if lines and self.enabled and session_id not in self._private:
            if self._queue.qsize() >= self.max_queued:
                if not self.dropped_lines:
                    log.error("store: the writer is %d operations behind; dropping lines",
                              self._queue.qsize())
                self.dropped_lines += len(lines)
                return
            payload: list[Item] | JoinedEntries
            if isinstance(lines, JoinedEntries):
                payload = JoinedEntries(list(lines.pieces), lines.count)
            elif isinstance(lines[0], str):
                payload = JoinedEntries.of(lines)  # type: ignore[arg-type]
            else:
                payload = list(lines)
            self._submit("lines", session_id, first_number, payload, dict(styles),
                         self.clock())

    def save_screen(
        self, session_id: str, first_number: int, lines: Sequence[Line], styles: dict[int, Style]
    ) -> None:
        """The current screen (replaces the previous one saved for the session)."""
        if self.enabled and session_id not in self._private:
            self._submit("screen", session_id, first_number, list(lines), dict(styles),
                         self.clock())

    def end_session(self, session_id: str, exit_status: int | None) -> None:
        self._submit("end", session_id, exit_status, self.clock())

    def mark_running_as_lost(self) -> int:
        """At worker start: sessions a dead worker left "running" ended with it."""
        return int(self._submit("lost", self.clock(), wait=30.0))

    def previous_layout(self, *, take: bool = False) -> list[SessionRecord]:
        """Sessions that ended with the previous worker (a crash or a reboot), in window and
        tab order: the layout a GUI can reopen with fresh shells. ``take`` clears it."""
        records = [r for r in self.list_sessions() if r.lost]
        if take and records:
            self._submit("take_layout", wait=10.0)
        return records

    def forget(self, session_id: str | None = None, timeout: float = 60.0) -> int:
        """Remove transcripts for good (one session, or all) and VACUUM. Returns chunks gone."""
        return int(self._submit("forget", session_id, wait=timeout))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything queued so far is committed."""
        self._submit("flush", wait=timeout)

    def index_all(self, timeout: float = 60.0) -> None:
        """Index every chunk now (normally done in steps when idle)."""
        self._submit("index_all", wait=timeout)

    # -- the writer thread ---------------------------------------------------------------
    def _writer(self) -> None:
        conn = self._connect()
        try:
            while True:
                try:
                    first = self._queue.get(timeout=self.idle_seconds)
                except queue.Empty:
                    self._idle_work(conn)
                    continue
                batch = [first]
                deadline = time.monotonic() + self.batch_seconds
                while batch[-1].kind not in (*SPECIAL_OPS, "stop", "flush"):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    try:
                        batch.append(self._queue.get(timeout=remaining))
                    except queue.Empty:
                        break
                self._commit_batch(conn, batch)
                if batch[-1].kind == "stop":
                    return
        finally:
            conn.close()

    def _commit_batch(self, conn: sqlite3.Connection, batch: list[_Op]) -> None:
        special = batch[-1] if batch[-1].kind in SPECIAL_OPS else None
        plain = batch[:-1] if special else batch
        def apply_plain() -> None:
            for op in _coalesce(plain):
                getattr(self, f"_w_{op.kind}")(conn, *op.args)

        try:
            _transaction(conn, apply_plain)
            self.batches_committed += 1
            for op in plain:
                if op.done:
                    op.done.set()
            if special is not None:
                special.result.append(getattr(self, f"_w_{special.kind}")(conn, *special.args))
                assert special.done is not None
                special.done.set()
        except Exception as exc:  # a bad batch must not kill the writer
            self.write_errors += 1
            log.exception("store: a write batch failed and was dropped")
            for op in batch:
                if op.done:
                    op.result[:] = [exc]
                    op.done.set()

    def _w_stop(self, conn: sqlite3.Connection) -> None:
        pass

    def _w_flush(self, conn: sqlite3.Connection) -> None:
        pass

    def _w_create(self, conn: sqlite3.Connection, r: SessionRecord) -> None:
        # An upsert, not INSERT OR REPLACE: a replace deletes the row first, and the
        # delete cascades to the session's transcript.
        private = r.private
        conn.execute(
            "INSERT INTO sessions(id, command, cwd, title, created, ended, exit_status,"
            " window, tab, private, lines_total) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET command = excluded.command, cwd = excluded.cwd,"
            " title = excluded.title, window = excluded.window, tab = excluded.tab,"
            " private = excluded.private",
            (r.id, json.dumps([] if private else r.command), "" if private else r.cwd,
             "" if private else r.title, r.created or self.clock(), r.ended, r.exit_status,
             r.window, r.tab, int(private), r.lines_total),
        )

    def _w_update(self, conn: sqlite3.Connection, session_id: str, fields: dict[str, Any]) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        conn.execute(f"UPDATE sessions SET {sets} WHERE id = ?", (*fields.values(), session_id))

    def _store_styles(
        self, conn: sqlite3.Connection, session_id: str, styles: dict[int, Style]
    ) -> None:
        conn.executemany(
            "INSERT OR IGNORE INTO styles(session_id, id, style) VALUES (?,?,?)",
            [(session_id, sid, msgpack.packb(list(st))) for sid, st in styles.items() if sid],
        )

    def _w_lines(
        self, conn: sqlite3.Connection, session_id: str, first: int,
        lines: list[Item] | JoinedEntries, styles: dict[int, Style], created: float,
    ) -> None:
        self._store_styles(conn, session_id, styles)
        text, runs = _encode_lines(lines)
        insert = (
            "INSERT INTO chunks(session_id, first_number, count, text, runs, created)"
            " VALUES (?,?,?,?,?,?)"
        )
        try:
            conn.execute(insert, (session_id, first, len(lines), text, runs, created))
        except UnicodeEncodeError:
            # A raw header holding a style id in the surrogate range is not UTF-8; the
            # compact form keeps such ids in the runs blob instead. (Nothing was written:
            # binding fails before the statement runs.)
            text, runs = _compact(text, runs)
            conn.execute(insert, (session_id, first, len(lines), text, runs, created))
        conn.execute(
            "UPDATE sessions SET lines_total = max(lines_total, ?) WHERE id = ?",
            (first + len(lines), session_id),
        )

    def _w_screen(
        self, conn: sqlite3.Connection, session_id: str, first: int, lines: list[Line],
        styles: dict[int, Style], saved: float,
    ) -> None:
        self._store_styles(conn, session_id, styles)
        text, runs = _encode_lines(lines)
        conn.execute(
            "INSERT OR REPLACE INTO screens(session_id, first_number, text, runs, saved)"
            " VALUES (?,?,?,?,?)",
            (session_id, first, text, runs, saved),
        )

    def _w_end(
        self, conn: sqlite3.Connection, session_id: str, status: int | None, ended: float
    ) -> None:
        conn.execute(
            "UPDATE sessions SET ended = ?, exit_status = ? WHERE id = ? AND ended IS NULL",
            (ended, status, session_id),
        )

    def _w_lost(self, conn: sqlite3.Connection, ended: float) -> int:
        def mark() -> int:
            (running,) = conn.execute(
                "SELECT count(*) FROM sessions WHERE ended IS NULL").fetchone()
            if running:
                # Only the latest loss is "the last layout"; an older one is history now.
                conn.execute("UPDATE sessions SET lost = 0 WHERE lost = 1")
                conn.execute(
                    "UPDATE sessions SET ended = ?, lost = 1 WHERE ended IS NULL", (ended,))
            return int(running)

        return _transaction(conn, mark)

    def _w_take_layout(self, conn: sqlite3.Connection) -> int:
        return _transaction(
            conn, lambda: int(conn.execute("UPDATE sessions SET lost = 0 WHERE lost = 1").rowcount)
        )

    def _w_forget(self, conn: sqlite3.Connection, session_id: str | None) -> int:
        def delete() -> int:
            if session_id is None:
                gone = conn.execute("DELETE FROM chunks").rowcount
                conn.execute("DELETE FROM screens")
                conn.execute("DELETE FROM styles")
                conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('delete-all')")
                conn.execute("UPDATE meta SET value = 0 WHERE key = 'indexed_upto'")
                conn.execute("UPDATE sessions SET lines_total = 0, title = ''")
            else:
                gone = conn.execute(
                    "DELETE FROM chunks WHERE session_id = ?", (session_id,)
                ).rowcount
                conn.execute("DELETE FROM screens WHERE session_id = ?", (session_id,))
                conn.execute("DELETE FROM styles WHERE session_id = ?", (session_id,))
                conn.execute(
                    "UPDATE sessions SET lines_total = 0, title = '' WHERE id = ?", (session_id,)
                )
            return int(gone)

        gone = _transaction(conn, delete)
        # Deleted pages would otherwise keep the text on disk until reused.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(gone)

    def _w_index_all(self, conn: sqlite3.Connection) -> None:
        while self._index_step(conn, 10_000):
            pass

    # -- idle work: indexing and retention, in small transactions -------------------------
    def _idle_work(self, conn: sqlite3.Connection) -> None:
        try:
            if self._index_step(conn, self.index_chunk_rows):
                self._indexed_since_trim = True
                return
            if self._indexed_since_trim:
                # The index caught up: copy the WAL into the database (deferred from the
                # flood, see _connect), and give back the ~20 MB of freed heap trigram
                # indexing leaves per 10 MB indexed, which glibc keeps unless asked.
                self._indexed_since_trim = False
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                conn.execute("PRAGMA shrink_memory")
                self._trim()
            self._retention_step(conn)
        except sqlite3.Error:
            log.exception("store: idle work failed; will try again")

    def _index_step(self, conn: sqlite3.Connection, rows: int) -> int:
        return _transaction(conn, lambda: self._index_rows(conn, rows))

    def _index_rows(self, conn: sqlite3.Connection, rows: int) -> int:
        (upto,) = conn.execute("SELECT value FROM meta WHERE key = 'indexed_upto'").fetchone()
        last = conn.execute(
            "SELECT max(id) FROM (SELECT id FROM chunks WHERE id > ? ORDER BY id LIMIT ?)",
            (upto, rows),
        ).fetchone()[0]
        if last is None:
            return 0
        raw = conn.execute(
            "SELECT id, text, runs FROM chunks WHERE id > ? AND id <= ? AND runs = ?",
            (upto, last, _RAW),
        ).fetchall()
        # A generator, not a list: executemany takes one row at a time, so only one
        # chunk's lines (up to MAX_CHUNK_LINES small strings) are alive at once. A list
        # of a whole step's (a 10 MB flood: 150,000 lines) raised the heap's high-water
        # mark by ~10 MB of pymalloc arenas that the lines kept afterwards could pin.
        conn.executemany(
            "UPDATE chunks SET text = ?, runs = ? WHERE id = ?",
            ((*_compact(text, runs, _let_others_run), chunk) for chunk, text, runs in raw),
        )
        conn.execute(
            "INSERT INTO chunks_fts(rowid, text)"
            " SELECT id, text FROM chunks WHERE id > ? AND id <= ?",
            (upto, last),
        )
        conn.execute("UPDATE meta SET value = ? WHERE key = 'indexed_upto'", (last,))
        return int(last - upto)

    def _retention_step(self, conn: sqlite3.Connection, rows: int = 200) -> int:
        now = time.monotonic()
        if now - self._last_retention < self.retention_interval:
            return 0
        gone = _transaction(conn, lambda: self._retention_rows(conn, rows))
        if not gone:  # nothing left to trim: rest until the next interval
            self._last_retention = now
        return gone

    @staticmethod
    def content_bytes(conn: sqlite3.Connection) -> int:
        """Transcript bytes kept (text and runs; the index adds to this on disk). O(1)."""
        (value,) = conn.execute("SELECT value FROM meta WHERE key = 'content_bytes'").fetchone()
        return int(value)

    def _retention_rows(self, conn: sqlite3.Connection, rows: int) -> int:
        cutoff = self.clock() - self.retention.max_age_days * 86400
        gone = conn.execute(
            "DELETE FROM chunks WHERE id IN"
            " (SELECT id FROM chunks WHERE created < ? ORDER BY id LIMIT ?)",
            (cutoff, rows),
        ).rowcount
        conn.execute(
            "DELETE FROM sessions WHERE ended IS NOT NULL AND ended < ?", (cutoff,)
        )
        if self.content_bytes(conn) > self.retention.max_bytes:
            # A few of the oldest chunks per step, so the writer is never held for long.
            gone += conn.execute(
                "DELETE FROM chunks WHERE id IN (SELECT id FROM chunks ORDER BY id LIMIT ?)",
                (max(1, rows // 20),),
            ).rowcount
        return int(gone)

    # -- reads (read-only connections, one snapshot per call) -----------------------------
    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect(readonly=True)
            self._local.conn = conn
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def list_sessions(self, *, include_ended: bool = True) -> list[SessionRecord]:
        sql = "SELECT * FROM sessions" + ("" if include_ended else " WHERE ended IS NULL")
        with self._snapshot() as conn:
            conn.row_factory = sqlite3.Row
            try:
                rows = conn.execute(sql + " ORDER BY window, tab, created").fetchall()
            finally:
                conn.row_factory = None
        return [
            SessionRecord(
                id=r["id"], command=json.loads(r["command"]), cwd=r["cwd"], title=r["title"],
                created=r["created"], ended=r["ended"], exit_status=r["exit_status"],
                window=r["window"], tab=r["tab"], private=bool(r["private"]),
                lines_total=r["lines_total"], lost=bool(r["lost"]),
            )
            for r in rows
        ]

    def get_session(self, session_id: str) -> SessionRecord | None:
        return next((r for r in self.list_sessions() if r.id == session_id), None)

    def styles(self, session_id: str) -> dict[int, Style]:
        with self._snapshot() as conn:
            rows = conn.execute(
                "SELECT id, style FROM styles WHERE session_id = ?", (session_id,)
            ).fetchall()
        return {sid: Style(*msgpack.unpackb(blob, raw=False)) for sid, blob in rows}

    def fetch_lines(self, session_id: str, first: int, count: int) -> list[tuple[int, Line]]:
        """Transcript lines ``first .. first+count-1`` that are stored, by absolute number."""
        last = first + count
        with self._snapshot() as conn:
            rows = conn.execute(
                "SELECT first_number, text, runs FROM chunks WHERE session_id = ?"
                " AND first_number < ? AND first_number + count > ? ORDER BY first_number",
                (session_id, last, first),
            ).fetchall()
        out: list[tuple[int, Line]] = []
        for start, text, runs in rows:
            for offset, line in enumerate(_decode_lines(text, runs)):
                if first <= start + offset < last:
                    out.append((start + offset, line))
        return out

    def last_screen(self, session_id: str) -> tuple[int, list[Line]] | None:
        with self._snapshot() as conn:
            row = conn.execute(
                "SELECT first_number, text, runs FROM screens WHERE session_id = ?",
                (session_id,),
            ).fetchone()
        if row is None:
            return None
        return row[0], _decode_lines(row[1], row[2])

    def search(
        self, query: str, *, session_id: str | None = None, limit: int = 200,
        case_sensitive: bool = False,
    ) -> list[SearchHit]:
        """Lines containing ``query`` (a substring), newest first, across every session."""
        if not query:
            return []
        # One folding for every path (indexed, unindexed, screens): str.lower, close to
        # the trigram tokenizer's own case folding. SQL lower() folds ASCII only, so the
        # unindexed tail is filtered here in Python rather than in SQL.
        needle = query if case_sensitive else query.lower()

        def matches(line: str) -> bool:
            return needle in (line if case_sensitive else line.lower())

        hits: list[SearchHit] = []
        where_session = " AND c.session_id = ?" if session_id else ""
        params: tuple[Any, ...] = (session_id,) if session_id else ()
        with self._snapshot() as conn:
            (upto,) = conn.execute("SELECT value FROM meta WHERE key = 'indexed_upto'").fetchone()
            rows: list[tuple[Any, ...]] = []
            if len(query) >= 3 and "\n" not in query:
                # trigram: a quoted phrase matches any substring of three or more characters
                phrase = '"' + query.replace('"', '""') + '"'
                rows += conn.execute(
                    "SELECT c.session_id, c.first_number, c.text, c.created, s.title, s.ended"
                    " FROM chunks_fts f JOIN chunks c ON c.id = f.rowid"
                    " JOIN sessions s ON s.id = c.session_id"
                    f" WHERE chunks_fts MATCH ?{where_session} AND c.id <= ?",
                    (phrase, *params, upto),
                ).fetchall()
                tail_from = upto
            else:
                tail_from = 0  # too short for trigrams: scan everything
            tail = [
                (chunk_sid, start, _compact(text, runs)[0], created, title, ended)
                for chunk_sid, start, text, runs, created, title, ended in conn.execute(
                    "SELECT c.session_id, c.first_number, c.text, c.runs, c.created, s.title,"
                    " s.ended FROM chunks c JOIN sessions s ON s.id = c.session_id"
                    f" WHERE c.id > ?{where_session}",
                    (tail_from, *params),
                )
                # A raw chunk's headers never hide a match: each line's text is contiguous.
                if needle in (text if case_sensitive else text.lower())
            ]
            tail += conn.execute(
                "SELECT c.session_id, c.first_number, c.text, c.saved, s.title, s.ended"
                f" FROM screens c JOIN sessions s ON s.id = c.session_id WHERE 1{where_session}",
                params,
            ).fetchall()
            rows += [row for row in tail if needle in (row[2] if case_sensitive
                                                       else row[2].lower())]
        seen: set[tuple[str, int]] = set()
        for sid, start, text, created, title, ended in rows:
            for offset, line in enumerate(text.split("\n")):
                key = (sid, start + offset)
                if key not in seen and matches(line):
                    seen.add(key)
                    hits.append(SearchHit(sid, start + offset, line, title, ended, created))
        hits.sort(key=lambda h: (h.created, h.number), reverse=True)
        return hits[:limit]

    def stats(self) -> dict[str, int]:
        with self._snapshot() as conn:
            (chunks, lines, size) = conn.execute(
                "SELECT count(*), coalesce(sum(count), 0),"
                " coalesce(sum(length(CAST(text AS BLOB)) + length(runs)), 0) FROM chunks"
            ).fetchone()
            (upto,) = conn.execute("SELECT value FROM meta WHERE key = 'indexed_upto'").fetchone()
            (unindexed,) = conn.execute(
                "SELECT count(*) FROM chunks WHERE id > ?", (upto,)
            ).fetchone()
        return {"chunks": chunks, "lines": lines, "bytes": size, "unindexed_chunks": unindexed,
                "queued": self._queue.qsize(), "dropped_lines": self.dropped_lines}


def _let_others_run() -> None:
    time.sleep(0)  # releases the GIL: a thread waiting for it takes it now, not in 5 ms


MAX_CHUNK_LINES = 4096
WAL_CHECKPOINT_PAGES = 16384  # 64 MiB of 4 KiB pages (SQLite's default: 1000)


def _coalesce(ops: list[_Op]) -> list[_Op]:
    """Merge each session's consecutive appended lines into chunks of up to 4096 lines.

    The order of everything else is kept, and a session's pending lines are written before
    any other operation on that session (its end, its screen), so nothing is reordered
    where it matters.
    """
    out: list[_Op] = []
    pending: dict[str, _Op] = {}

    def flush(session_id: str) -> None:
        op = pending.pop(session_id, None)
        if op is not None:
            out.append(op)

    for op in ops:
        if op.kind != "lines":
            if op.args and isinstance(op.args[0], str):
                flush(op.args[0])
            out.append(op)
            continue
        session_id, first, lines, styles, created = op.args
        held = pending.get(session_id)
        if (
            held is not None
            and held.args[1] + len(held.args[2]) == first
            and len(held.args[2]) + len(lines) <= MAX_CHUNK_LINES
            # a chunk is all compact entries or all Lines (_encode_lines joins entries)
            and isinstance(held.args[2], JoinedEntries) == isinstance(lines, JoinedEntries)
        ):
            held.args[2].extend(lines)  # JoinedEntries.extend or list.extend, alike
            held.args[3].update(styles)
            continue
        flush(session_id)
        copy = (
            JoinedEntries(list(lines.pieces), lines.count)
            if isinstance(lines, JoinedEntries)
            else list(lines)
        )
        pending[session_id] = _Op("lines", (session_id, first, copy, dict(styles), created))
    for session_id in list(pending):
        flush(session_id)
    return out


# -- transaction helpers ---------------------------------------------------------------
_LOCKED = re.compile(r"locked|busy", re.IGNORECASE)


def _transaction(conn: sqlite3.Connection, body: Callable[[], T], attempts: int = 30) -> T:
    """Run ``body`` in a ``BEGIN IMMEDIATE`` transaction, retrying while the file is busy.

    IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading a
    read lock; busy_timeout covers most waits and the retry covers the rest (another
    process holding the lock longer), so "database is locked" never reaches a person.
    """
    for attempt in range(attempts):
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if not _LOCKED.search(str(exc)) or attempt == attempts - 1:
                raise
            log.warning("store: database busy (%s); retrying", exc)
            time.sleep(min(0.5, 0.01 * 2**attempt))
            continue
        try:
            result = body()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result
    raise AssertionError("unreachable")
