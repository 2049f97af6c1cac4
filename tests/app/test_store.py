"""The SQLite store on real database files: round trips, concurrency, crash safety, search."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from app.worker.store import Retention, SessionRecord, Store, _transaction
from app.worker.store_schema import SCHEMA_VERSION, migrate
from terminal.frames import Line, Style, rgb

ROOT = Path(__file__).resolve().parents[2]


def line(text: str, sid: int = 0, wrapped: bool = False) -> Line:
    return Line(((text, sid),) if text else (), wrapped)  # a blank line has no runs


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = Store(tmp_path / "data" / "store.sqlite3", idle_seconds=0.05).start()
    yield s
    s.close()


def new_session(store: Store, **kw: object) -> str:
    sid = uuid.uuid4().hex
    store.create_session(SessionRecord(id=sid, command=["bash"], cwd="/tmp", **kw))  # type: ignore[arg-type]
    return sid


def test_lines_and_styles_round_trip(store: Store) -> None:
    sid = new_session(store, title="t")
    red = Style(fg=1, bg=rgb(1, 2, 3), attrs=1, link="https://x")
    lines = [Line((("ab", 0), ("cd", 7)), wrapped=True, mark="A"), line("中文 é", 7), line("")]
    store.append_lines(sid, 10, lines, {7: red})
    store.flush()
    assert store.fetch_lines(sid, 10, 3) == list(zip(range(10, 13), lines, strict=True))
    assert store.fetch_lines(sid, 11, 1) == [(11, lines[1])]
    assert store.styles(sid) == {7: red}
    assert store.get_session(sid).lines_total == 13  # type: ignore[union-attr]


def test_compact_history_entries_round_trip_like_lines(store: Store) -> None:
    from terminal._lines import line_entry

    sid = new_session(store)
    lines = [line("plain"), Line((("re", 1), ("d", 0)), wrapped=True, mark="C"), line(""),
             Line((("x" * 10, 2),)), line("tail")]
    store.append_lines(sid, 0, [line_entry(ln) for ln in lines], {})
    store.append_lines(sid, 5, [line_entry(line(f"p{i}")) for i in range(3)], {})
    store.flush()
    got = [ln for _, ln in store.fetch_lines(sid, 0, 100)]
    assert got == [*lines, line("p0"), line("p1"), line("p2")]


def test_compact_entries_keep_any_style_id_and_stay_searchable(store: Store) -> None:
    # Style ids are code points in the compact form; those in the surrogate range cannot
    # be plain UTF-8, and a chunk of many lines has line indexes past them too.
    from terminal._lines import line_entry

    sid = new_session(store)
    lines = [line(f"row {i}") for i in range(0xE000)]
    lines[5] = Line((("low", 0xD800), ("high", 0xDFFF)), wrapped=True)
    lines[0xDC00] = Line((("late", 3),), mark="A")
    store.append_lines(sid, 0, [line_entry(ln) for ln in lines], {})
    store.flush()
    got = [ln for _, ln in store.fetch_lines(sid, 0, len(lines))]
    assert got == lines
    assert [h.number for h in store.search("lowhigh")] == [5]
    store.index_all()
    assert [h.number for h in store.search("lowhigh")] == [5]


def test_a_flood_chunk_is_written_raw_and_indexed_clean(store: Store) -> None:
    # A wrapped row of ten cells in style 10 has a header holding two newlines (chr(10)):
    # reading the raw chunk back must not take them for line ends.
    from terminal._lines import line_entry

    sid = new_session(store)
    lines = [line("before"), Line((("x" * 10, 10),), wrapped=True), line("after"), line("")]
    store.append_lines(sid, 0, [line_entry(ln) for ln in lines], {})
    store.flush()
    conn = sqlite3.connect(store.path)
    (raw,) = conn.execute("SELECT text FROM chunks").fetchone()
    assert "\x00" in raw  # the flood paid for no per-line work
    assert [ln for _, ln in store.fetch_lines(sid, 0, 4)] == lines
    assert [(h.number, h.text) for h in store.search("after")] == [(2, "after")]
    assert [h.number for h in store.search("xxxxxxxxxx")] == [1]

    store.index_all()
    (clean,) = conn.execute("SELECT text FROM chunks").fetchone()
    assert clean == "before\n" + "x" * 10 + "\nafter\n"
    assert [ln for _, ln in store.fetch_lines(sid, 0, 4)] == lines
    assert [(h.number, h.text) for h in store.search("after")] == [(2, "after")]
    (counted,) = conn.execute(
        "SELECT sum(length(CAST(text AS BLOB)) + length(runs)) FROM chunks").fetchone()
    assert Store.content_bytes(conn) == counted
    conn.close()


def test_database_is_user_only_in_a_user_only_directory(store: Store) -> None:
    store.flush()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700


def test_two_clients_creating_sessions_at_once_never_collide(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    a, b = Store(path).start(), Store(path).start()  # two writers on one file, as two workers
    ids: list[str] = []
    errors: list[BaseException] = []

    def create(st: Store) -> None:
        try:
            for _ in range(100):
                ids.append(new_session(st))
        except BaseException as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(st,)) for st in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a.flush()
    b.flush()
    assert not errors
    assert sorted(r.id for r in a.list_sessions()) == sorted(ids)
    assert len(ids) == 400
    a.close()
    b.close()


def test_closing_a_session_while_its_output_is_written_loses_nothing(store: Store) -> None:
    sid = new_session(store)
    written = 0

    def flood() -> None:
        nonlocal written
        for i in range(300):
            store.append_lines(sid, i * 10, [line(f"L{i * 10 + k}") for k in range(10)], {})
            written = (i + 1) * 10

    t = threading.Thread(target=flood)
    t.start()
    time.sleep(0.01)
    store.end_session(sid, 0)
    t.join()
    store.flush()
    got = store.fetch_lines(sid, 0, 10_000)
    assert [n for n, _ in got] == list(range(written))
    assert [ln.text for _, ln in got] == [f"L{n}" for n in range(written)]
    assert store.get_session(sid).exit_status == 0  # type: ignore[union-attr]


def test_a_reader_during_a_long_write_sees_a_consistent_snapshot(store: Store) -> None:
    sid = new_session(store)
    store.flush()
    stop = threading.Event()
    seen: list[tuple[int, int]] = []

    def read() -> None:
        reader = Store(store.path)  # its own read-only connection
        while not stop.is_set():
            with reader._snapshot() as conn:
                (total,) = conn.execute(
                    "SELECT lines_total FROM sessions WHERE id = ?", (sid,)
                ).fetchone()
                time.sleep(0.002)  # the writer commits meanwhile; the snapshot must not move
                (stored,) = conn.execute(
                    "SELECT coalesce(sum(count), 0) FROM chunks WHERE session_id = ?", (sid,)
                ).fetchone()
            seen.append((total, stored))

    r = threading.Thread(target=read)
    r.start()
    i = 0
    while len(seen) < 20 and i < 5000:  # write until the reader has looked often enough
        store.append_lines(sid, i * 50, [line("x" * 80)] * 50, {})
        if i % 20 == 0:
            store.flush()
        i += 1
    store.flush()
    stop.set()
    r.join()
    assert len(seen) > 5
    assert all(total == stored for total, stored in seen), [p for p in seen if p[0] != p[1]][:5]
    assert any(total > 0 for total, _ in seen)


COUNTER_SQL = "CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, value INTEGER)"


def _counter_db(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(COUNTER_SQL)
    conn.execute("INSERT INTO counter VALUES (1, 0)")
    conn.close()


def _hammer(path: Path, increment, writers: int = 4, each: int = 50) -> list[BaseException]:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []

    def work() -> None:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=5000")
        for _ in range(each):
            try:
                increment(conn)
            except sqlite3.OperationalError as exc:
                errors.append(exc)
                conn.execute("ROLLBACK") if conn.in_transaction else None
        conn.close()

    threads = [threading.Thread(target=work) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _read_then_write(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN")  # deferred: starts as a reader
    (value,) = conn.execute("SELECT value FROM counter WHERE id = 1").fetchone()
    time.sleep(0.0005)  # the window in which another writer commits
    conn.execute("UPDATE counter SET value = ? WHERE id = 1", (value + 1,))
    conn.execute("COMMIT")


def test_naive_read_then_write_fails_under_four_concurrent_writers(tmp_path: Path) -> None:
    """The pattern the store avoids: a deferred transaction that reads, then writes.

    In WAL mode the upgrade from reader to writer fails with SQLITE_BUSY ("database is
    locked") as soon as another writer committed since the read -- busy_timeout does not
    help, because waiting cannot make the stale snapshot current.
    """
    path = tmp_path / "naive.sqlite3"
    _counter_db(path)
    errors = _hammer(path, _read_then_write)
    (value,) = sqlite3.connect(path).execute("SELECT value FROM counter").fetchone()
    assert errors, "expected 'database is locked' failures from the naive pattern"
    assert any("locked" in str(e) for e in errors)
    assert value < 4 * 50  # increments were lost with the failures


def test_the_stores_transaction_pattern_passes_the_same_load(tmp_path: Path) -> None:
    path = tmp_path / "store-pattern.sqlite3"
    _counter_db(path)

    def increment(conn: sqlite3.Connection) -> None:
        def body() -> None:
            (value,) = conn.execute("SELECT value FROM counter WHERE id = 1").fetchone()
            time.sleep(0.0005)
            conn.execute("UPDATE counter SET value = ? WHERE id = 1", (value + 1,))

        _transaction(conn, body)

    errors = _hammer(path, increment)
    (value,) = sqlite3.connect(path).execute("SELECT value FROM counter").fetchone()
    assert errors == []
    assert value == 4 * 50


def test_search_finds_text_of_an_ended_session_before_and_after_indexing(store: Store) -> None:
    sid = new_session(store, title="build")
    store.append_lines(sid, 0, [line("compiling"), line("error: needle-in-haystack")], {})
    store.end_session(sid, 1)
    store.flush()
    before = store.search("needle-in")
    store.index_all()
    assert store.stats()["unindexed_chunks"] == 0
    after = store.search("NEEDLE-IN")
    for hits in (before, after):
        assert [(h.session_id, h.number, h.text) for h in hits] == [
            (sid, 1, "error: needle-in-haystack")
        ]
        assert hits[0].session_ended is not None


def test_search_covers_indexed_and_unindexed_chunks_and_saved_screens(store: Store) -> None:
    a, b = new_session(store), new_session(store)
    store.append_lines(a, 0, [line("alpha zzz-1")], {})
    store.flush()
    store.index_all()
    store.append_lines(b, 0, [line("beta zzz-2")], {})  # not indexed yet
    store.save_screen(b, 1, [line("screen zzz-3"), line("")], {})
    store.flush()
    texts = {h.text for h in store.search("zzz-")}
    assert texts == {"alpha zzz-1", "beta zzz-2", "screen zzz-3"}
    assert [h.text for h in store.search("zzz", session_id=a)] == ["alpha zzz-1"]
    assert {h.text for h in store.search("z")} == texts  # too short for trigrams: scanned


def test_search_orders_newest_first(tmp_path: Path) -> None:
    now = [1000.0]
    st = Store(tmp_path / "s.sqlite3", clock=lambda: now[0]).start()
    sid = new_session(st)
    for i in range(3):
        now[0] += 10
        st.append_lines(sid, i, [line(f"hit {i}")], {})
        st.flush()
    assert [h.number for h in st.search("hit")] == [2, 1, 0]
    st.close()


def test_private_sessions_store_no_transcript(store: Store) -> None:
    sid = new_session(store, private=True, title="secret title")
    store.append_lines(sid, 0, [line("private-words")], {})
    store.save_screen(sid, 1, [line("private-screen")], {})
    store.flush()
    assert store.search("private") == []
    rec = store.get_session(sid)
    assert rec is not None and rec.private and rec.title == ""


def test_persistence_turned_off_keeps_records_but_no_text(tmp_path: Path) -> None:
    st = Store(tmp_path / "s.sqlite3", enabled=False).start()
    sid = new_session(st)
    st.append_lines(sid, 0, [line("not-kept")], {})
    st.flush()
    assert st.search("not-kept") == []
    assert st.get_session(sid) is not None
    st.close()


def test_forget_removes_text_for_good(store: Store) -> None:
    a, b = new_session(store), new_session(store)
    store.append_lines(a, 0, [line("forget-me-please")], {})
    store.append_lines(b, 0, [line("keep-me-please")], {})
    store.flush()
    store.index_all()
    assert store.forget(a) == 1
    assert store.search("forget-me") == []
    assert [h.text for h in store.search("keep-me")] == ["keep-me-please"]
    store.forget()
    assert store.search("please") == []
    raw = store.path.read_bytes() + (
        Path(str(store.path) + "-wal").read_bytes() if Path(str(store.path) + "-wal").exists()
        else b""
    )
    assert b"forget-me-please" not in raw and b"keep-me-please" not in raw


def test_retention_by_age_with_a_fake_clock(tmp_path: Path) -> None:
    now = [1_000_000.0]
    st = Store(
        tmp_path / "s.sqlite3", clock=lambda: now[0], idle_seconds=0.02,
        retention=Retention(max_age_days=1), retention_interval=0,
    ).start()
    old = new_session(st)
    st.append_lines(old, 0, [line("old-text")], {})
    st.end_session(old, 0)
    st.flush()
    now[0] += 2 * 86400
    recent = new_session(st)
    st.append_lines(recent, 0, [line("new-text")], {})
    st.flush()
    deadline = time.monotonic() + 10
    while st.search("old-text") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert st.search("old-text") == []
    assert [h.text for h in st.search("new-text")] == ["new-text"]
    assert st.get_session(old) is None
    st.close()


def test_retention_by_size_trims_oldest_chunks(tmp_path: Path) -> None:
    st = Store(
        tmp_path / "s.sqlite3", idle_seconds=0.02,
        retention=Retention(max_bytes=256 * 1024), retention_interval=0,
    ).start()
    sid = new_session(st)
    for i in range(100):
        st.append_lines(sid, i * 20, [line(f"{i:04d}" + "y" * 200)] * 20, {})
        st.flush()
    deadline = time.monotonic() + 20
    conn = sqlite3.connect(st.path)
    while Store.content_bytes(conn) > 256 * 1024 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert 0 < Store.content_bytes(conn) <= 256 * 1024
    numbers = [n for n, _ in st.fetch_lines(sid, 0, 10_000)]
    assert numbers and numbers[-1] == 1999 and numbers[0] > 0  # oldest went first
    st.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None)
    migrate(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer"):
        migrate(conn)


def test_running_sessions_of_a_dead_worker_are_marked_lost(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    first = Store(path).start()
    sid = new_session(first)
    first.flush()
    first.close()
    second = Store(path).start()
    assert second.mark_running_as_lost() == 1
    assert second.get_session(sid).ended is not None  # type: ignore[union-attr]
    second.close()


FLOOD_CHILD = textwrap.dedent(
    """
    import sys, time, uuid
    from pathlib import Path
    from app.worker.store import Store, SessionRecord
    from terminal.frames import Line
    st = Store(Path(sys.argv[1]), batch_seconds=0.05).start()
    sid = "flood"
    st.create_session(SessionRecord(id=sid, command=["yes"]))
    st.save_screen(sid, 0, [Line((("on-screen-marker", 0),))], {})
    n = 0
    print("ready", flush=True)
    while True:  # like the worker: what scrolled off in each 10 ms tick, in one call
        tick = [Line(((f"{time.time():.6f} line {n + k}", 0),)) for k in range(500)]
        st.append_lines(sid, n, tick, {})
        n += len(tick)
        time.sleep(0.01)
    """
)


def test_kill_9_during_a_flood_loses_at_most_the_last_batch(tmp_path: Path) -> None:
    path = tmp_path / "flood.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-c", FLOOD_CHILD, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
    time.sleep(1.0)
    killed_at = time.time()
    child.kill()
    child.wait()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    st = Store(path).start()
    lines = st.fetch_lines("flood", 0, 10**9)
    numbers = [n for n, _ in lines]
    assert numbers == list(range(len(numbers))), "a gap: a committed batch went missing"
    newest = float(lines[-1][1].text.split()[0])
    lost_seconds = killed_at - newest
    assert lost_seconds <= 0.1, f"lost {lost_seconds * 1000:.0f} ms of output"
    # Searchable after the crash: a transcript line and the saved screen.
    assert st.search(f"line {numbers[-1]}")
    assert [h.text for h in st.search("on-screen-marker")] == ["on-screen-marker"]
    st.close()


def test_chunk_ids_are_never_reused_so_nothing_escapes_the_index(store: Store) -> None:
    """Found by the store benchmark: forgetting the newest chunk let the next chunk take
    its id below the index's progress mark, where it was never indexed nor scanned."""
    a, b = new_session(store), new_session(store)
    store.append_lines(a, 0, [line("old-a")], {})
    store.flush()
    store.append_lines(b, 0, [line("b-line")], {})
    store.flush()
    store.index_all()
    store.forget(b)
    store.append_lines(a, 1, [line("new-needle")], {})
    store.flush()
    assert [h.text for h in store.search("new-needle")] == ["new-needle"]
    store.index_all()
    assert [h.text for h in store.search("new-needle")] == ["new-needle"]
    store.forget(a)  # used to fail: "database disk image is malformed"
    assert store.search("needle") == []


def test_case_folding_is_the_same_before_and_after_indexing(store: Store) -> None:
    sid = new_session(store)
    store.append_lines(sid, 0, [line("ÉCOLE straße")], {})
    store.flush()
    before = [h.text for h in store.search("école")]
    store.index_all()
    after = [h.text for h in store.search("école")]
    assert before == after == ["ÉCOLE straße"]


def test_content_bytes_counts_bytes_not_characters(store: Store) -> None:
    sid = new_session(store)
    store.append_lines(sid, 0, [line("中" * 1000)], {})
    store.flush()
    conn = sqlite3.connect(store.path)
    assert Store.content_bytes(conn) >= 3000


def test_creating_a_session_again_keeps_its_transcript(store: Store) -> None:
    sid = new_session(store)
    store.append_lines(sid, 0, [line("kept-1"), line("kept-2")], {})
    store.flush()
    store.create_session(SessionRecord(id=sid, command=["bash"], title="again"))
    store.flush()
    assert [ln.text for _, ln in store.fetch_lines(sid, 0, 10)] == ["kept-1", "kept-2"]


def test_a_private_sessions_command_is_not_kept(store: Store) -> None:
    sid = new_session(store, private=True)
    store.flush()
    assert store.get_session(sid).command == []  # type: ignore[union-attr]


def test_a_stalled_writer_bounds_the_queue_and_counts_what_it_drops(tmp_path: Path) -> None:
    st = Store(tmp_path / "s.sqlite3")  # never started: nothing drains the queue
    st.max_queued = 10
    for i in range(25):
        st.append_lines("s", i, [line("x")], {})
    assert st._queue.qsize() == 10
    assert st.dropped_lines == 15


def test_the_layout_lost_with_a_worker_can_be_reopened_once(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    first = Store(path).start()
    for tab, cwd in enumerate(["/tmp", "/var"]):
        first.create_session(SessionRecord(id=f"s{tab}", command=["bash"], cwd=cwd, tab=tab))
    first.create_session(SessionRecord(id="done", command=["make"], ended=1.0, exit_status=0))
    first.flush()
    first.close()  # ... and the machine reboots
    second = Store(path).start()
    assert second.mark_running_as_lost() == 2
    assert second.mark_running_as_lost() == 0  # a clean start keeps the lost layout
    layout = second.previous_layout()
    assert [(r.id, r.cwd, r.tab) for r in layout] == [("s0", "/tmp", 0), ("s1", "/var", 1)]
    assert [r.id for r in second.previous_layout(take=True)] == ["s0", "s1"]
    assert second.previous_layout() == []
    second.close()


def test_the_heap_is_trimmed_once_when_the_index_catches_up(tmp_path: Path) -> None:
    trims: list[int] = []
    s = Store(tmp_path / "store.sqlite3", idle_seconds=0.02, index_chunk_rows=1,
              trim=lambda: trims.append(1)).start()
    try:
        sid = new_session(s)
        for k in range(3):  # three chunks: three index steps, then caught up
            s.append_lines(sid, k, [line(f"indexed {k}")], {})
            s.flush()
        deadline = time.monotonic() + 10
        while not trims and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # more idle rounds: nothing new was indexed, no more trims
        assert trims == [1]
        assert s.stats()["unindexed_chunks"] == 0
    finally:
        s.close()


def test_lines_and_compact_entries_appended_in_turn_are_kept_apart(store: Store) -> None:
    from terminal._lines import line_entry

    sid = new_session(store)
    lines = [line("one"), Line((("two", 3),), wrapped=True), line("three"), line("four")]
    store.append_lines(sid, 0, lines[:2], {})
    store.append_lines(sid, 2, [line_entry(ln) for ln in lines[2:]], {})
    store.append_lines(sid, 4, [line("five")], {})
    store.flush()
    assert [ln for _, ln in store.fetch_lines(sid, 0, 5)] == [*lines, line("five")]


def test_a_flood_is_checkpointed_when_the_writer_is_idle_not_while_it_floods(
    tmp_path: Path,
) -> None:
    s = Store(tmp_path / "store.sqlite3", idle_seconds=0.05).start()
    try:
        sid = new_session(s)
        s.idle_seconds = 3600.0  # hold the idle work back while the flood is written
        s._submit("flush", wait=10)  # (the writer's wait now uses the long idle time)
        block = [line(f"flood line {i} " + "x" * 60) for i in range(20_000)]  # ~1.6 MB
        for k in range(4):  # ~6.4 MB: SQLite's default would have checkpointed at 4 MB
            s.append_lines(sid, k * 20_000, block, {})
        s.flush()
        db, wal = s.path, Path(str(s.path) + "-wal")
        assert wal.stat().st_size > 5_000_000 and db.stat().st_size < 1_000_000
        s.idle_seconds = 0.05
        s.append_lines(sid, 80_000, [line("last")], {})  # wakes the writer
        deadline = time.monotonic() + 20
        while db.stat().st_size < 5_000_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert db.stat().st_size >= 5_000_000  # copied in once the writer went idle
        found = [h.number for h in s.search("flood line 19999")]
        assert found == [79_999, 59_999, 39_999, 19_999]
    finally:
        s.close()


def test_cleaning_a_raw_chunk_lets_other_threads_run_every_few_hundred_lines() -> None:
    # The indexer cleans raw chunks in Python on the writer thread; the worker's parser
    # must not wait long for the GIL meanwhile (idle echo p99 went to 25 ms without it).
    from app.worker.store import _YIELD_LINES, _compact, _encode_lines
    from terminal._lines import line_entry

    lines = [Line((("x" * 90, 0),), wrapped=bool(i % 2)) for i in range(10 * _YIELD_LINES)]
    text, runs = _encode_lines([line_entry(ln) for ln in lines])
    pauses: list[int] = []
    clean, _ = _compact(text, runs, lambda: pauses.append(1))
    assert clean == "\n".join("x" * 90 for _ in lines)
    assert len(pauses) >= 2 * 10  # splitting and cutting, each every _YIELD_LINES lines


def test_a_floods_lines_wait_for_the_writer_joined_not_one_object_each(tmp_path: Path) -> None:
    """Under a flood the writer lags the parser. What waits in its queue must be a few
    large strings, not the entries themselves: tens of thousands of small strings raised
    the heap's high-water mark by megabytes of arenas that stayed (decision 0016)."""
    import sys

    from terminal._lines import line_entry

    st = Store(tmp_path / "s.sqlite3")  # never started: the queue keeps what it is given
    entries = [f"flood line {i}" for i in range(5000)]
    st.append_lines("s", 0, entries, {})
    st.append_lines("s", 5000, [line_entry(Line((("w", 2),), wrapped=True))], {})
    queued = [st._queue.get_nowait() for _ in range(2)]
    held = [queued[0].args[2], queued[1].args[2]]
    assert [len(h) for h in held] == [5000, 1]
    # Nothing in the queue refers to the entry strings any more: only the caller does.
    assert all(sys.getrefcount(entries[i]) == 2 for i in range(100))
    entries.clear()
    # ... and the writer still makes one chunk of both, read back line for line.
    st.start()
    try:
        sid = new_session(st)
        st.append_lines(sid, 0, [f"a{i}" for i in range(3)], {})
        st.append_lines(sid, 3, [line_entry(Line((("b", 2),), wrapped=True))], {})
        st.flush()
        got = [ln for _, ln in st.fetch_lines(sid, 0, 4)]
        assert got == [line("a0"), line("a1"), line("a2"), Line((("b", 2),), wrapped=True)]
        assert st.stats()["chunks"] == 1
    finally:
        st.close()
