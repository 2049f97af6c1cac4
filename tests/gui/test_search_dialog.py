"""The global search dialog: debounced live search, stale replies, keys, a real store."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from app.config import KEY_ACTIONS
from app.gui.search_dialog import (
    HTML_ROLE,
    UNAVAILABLE,
    GlobalSearchDialog,
    count_text,
    row_html,
    snippet,
)
from app.worker.store import SessionRecord, Store
from ipc.messages import MsgType
from terminal.frames import Line

Hit = dict[str, Any]


def hit(session: str, line: int, text: str, *, title: str = "", live: bool = True,
        time: float = 0.0) -> Hit:
    return {"session": session, "line": line, "text": text, "title": title,
            "ended": None if live else 1.0, "live": live, "time": time}


class FakeSearch:
    """Records queries; answers each asynchronously (QTimer.singleShot) unless held."""

    def __init__(self, answers: Callable[[str], list[Hit]], *, hold: bool = False) -> None:
        self.answers = answers
        self.hold = hold
        self.queries: list[str] = []
        self.pending: list[tuple[str, Callable[[list[Hit]], None]]] = []

    def __call__(self, query: str, deliver: Callable[[list[Hit]], None]) -> None:
        self.queries.append(query)
        if self.hold:
            self.pending.append((query, deliver))
        else:
            QTimer.singleShot(5, lambda: deliver(self.answers(query)))

    def answer(self, index: int) -> None:
        query, deliver = self.pending[index]
        QTimer.singleShot(0, lambda: deliver(self.answers(query)))


HITS = [  # newest first, as the worker sends them
    hit("s3", 120, "make: *** [all] Error 2", title="build", time=300.0),
    hit("s1", 42, "error: no such file", title="", live=False, time=200.0),
    hit("s3", 7, "first error", title="build", time=100.0),
]


@pytest.fixture
def fake() -> FakeSearch:
    return FakeSearch(lambda q: [h for h in HITS if q.lower() in h["text"].lower()])


@pytest.fixture
def dialog(qtbot: Any, fake: FakeSearch) -> Iterator[GlobalSearchDialog]:
    d = GlobalSearchDialog(fake)
    qtbot.addWidget(d)
    d.present()
    yield d


def rows(d: GlobalSearchDialog) -> list[tuple[str, int]]:
    return [(h["session"], h["line"]) for h in d.hits()]


def test_typing_issues_one_debounced_search(qtbot: Any, dialog: GlobalSearchDialog,
                                            fake: FakeSearch) -> None:
    assert dialog.debounce.objectName() == "globalSearchDebounce"
    QTest.keyClicks(dialog.query, "error")
    assert fake.queries == []  # still typing
    qtbot.waitUntil(lambda: len(dialog.hits()) == 3)
    assert fake.queries == ["error"]


def test_results_newest_first_with_counts_and_markers(qtbot: Any, dialog: GlobalSearchDialog,
                                                      fake: FakeSearch) -> None:
    QTest.keyClicks(dialog.query, "error")
    qtbot.waitUntil(lambda: dialog.count.text() == "3 matches in 2 sessions")
    assert rows(dialog) == [("s3", 120), ("s1", 42), ("s3", 7)]
    texts = [dialog.results.item(i).text() for i in range(3)]
    assert texts[0] == "build (live), line 120: make: *** [all] Error 2"
    assert texts[1] == "s1 (ended), line 42: error: no such file"  # no title: the id
    html = dialog.results.item(0).data(HTML_ROLE)
    assert "font-weight:bold" in html and ">Error</span>" in html  # the match, highlighted
    assert dialog.results.currentRow() == 0
    dialog.results.grab()  # the delegate paints without complaint


def test_stale_replies_are_ignored(qtbot: Any, fake: FakeSearch) -> None:
    fake.hold = True
    d = GlobalSearchDialog(fake)
    qtbot.addWidget(d)
    d.present()
    QTest.keyClicks(d.query, "first")
    qtbot.waitUntil(lambda: fake.queries == ["first"])
    d.query.setText("such")
    qtbot.waitUntil(lambda: fake.queries == ["first", "such"])
    fake.answer(1)  # the second query is answered first ...
    qtbot.waitUntil(lambda: rows(d) == [("s1", 42)])
    fake.answer(0)  # ... the first one's late reply must not replace it
    qtbot.wait(50)
    assert rows(d) == [("s1", 42)]
    assert d.count.text() == "1 match in 1 session"


def test_enter_and_double_click_emit_open_hit(qtbot: Any, dialog: GlobalSearchDialog) -> None:
    QTest.keyClicks(dialog.query, "error")
    qtbot.waitUntil(lambda: len(dialog.hits()) == 3)
    QTest.keyClick(dialog.query, Qt.Key.Key_Down)
    assert dialog.current_hit() == HITS[1]
    with qtbot.waitSignal(dialog.open_hit) as blocker:
        QTest.keyClick(dialog.query, Qt.Key.Key_Return)
    assert blocker.args == ["s1", 42, False]
    assert not dialog.isVisible()  # opening a hit closes the dialog

    dialog.present()  # back, same query: searched again
    qtbot.waitUntil(lambda: len(dialog.hits()) == 3)
    QTest.keyClick(dialog.query, Qt.Key.Key_Down)
    QTest.keyClick(dialog.query, Qt.Key.Key_Down)
    QTest.keyClick(dialog.query, Qt.Key.Key_Down)  # stops at the last row
    QTest.keyClick(dialog.query, Qt.Key.Key_Up)
    assert dialog.current_hit() == HITS[1]
    rect = dialog.results.visualItemRect(dialog.results.item(0))
    with qtbot.waitSignal(dialog.open_hit) as blocker:
        QTest.mouseClick(dialog.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        QTest.mouseDClick(dialog.results.viewport(), Qt.MouseButton.LeftButton,
                          pos=rect.center())
    assert blocker.args == ["s3", 120, True]


def test_large_line_numbers_survive_the_signal(qtbot: Any) -> None:
    d = GlobalSearchDialog(lambda q, cb: cb([hit("s", 2**40, "x")]))
    qtbot.addWidget(d)
    d.present()
    QTest.keyClicks(d.query, "x")
    qtbot.waitUntil(lambda: len(d.hits()) == 1)
    with qtbot.waitSignal(d.open_hit) as blocker:
        QTest.keyClick(d.query, Qt.Key.Key_Enter)
    assert blocker.args == ["s", 2**40, True]


def test_escape_closes(qtbot: Any, dialog: GlobalSearchDialog) -> None:
    assert dialog.isVisible()
    QTest.keyClick(dialog.query, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_empty_query_clears_results(qtbot: Any, dialog: GlobalSearchDialog,
                                    fake: FakeSearch) -> None:
    QTest.keyClicks(dialog.query, "error")
    qtbot.waitUntil(lambda: len(dialog.hits()) == 3)
    dialog.query.clear()
    assert dialog.hits() == [] and dialog.count.text() == ""
    QTest.keyClicks(dialog.query, "   ")  # blank: not searched
    qtbot.wait(250)
    assert fake.queries == ["error"] and dialog.hits() == []


def test_a_reply_after_the_query_was_cleared_is_ignored(qtbot: Any, fake: FakeSearch) -> None:
    fake.hold = True
    d = GlobalSearchDialog(fake)
    qtbot.addWidget(d)
    QTest.keyClicks(d.query, "error")
    qtbot.waitUntil(lambda: fake.queries == ["error"])
    d.query.clear()
    fake.answer(0)
    qtbot.wait(50)
    assert d.hits() == []


def test_enter_right_after_typing_searches_at_once(qtbot: Any, dialog: GlobalSearchDialog,
                                                   fake: FakeSearch) -> None:
    QTest.keyClicks(dialog.query, "such")
    QTest.keyClick(dialog.query, Qt.Key.Key_Return)
    assert fake.queries == ["such"] and not dialog.debounce.isActive()
    assert dialog.isVisible()


def test_default_shortcut_is_free() -> None:
    sequence = GlobalSearchDialog.shortcut()
    assert sequence.toString() == "Ctrl+Shift+H"
    taken = {name for name, (default, _doc) in KEY_ACTIONS.items() if default == "Ctrl+Shift+H"}
    assert taken <= {"global_search"}  # the action that opens this dialog, if bound yet


def test_notice(qtbot: Any, dialog: GlobalSearchDialog) -> None:
    assert dialog.notice.isHidden()
    dialog.set_notice(UNAVAILABLE)
    assert dialog.notice.isVisible() and dialog.notice.text() == UNAVAILABLE
    dialog.set_notice("")
    assert dialog.notice.isHidden()


class FakeBackend:
    """``RemoteBackend.call``'s shape; a reply of None is what a failed call gives."""

    def __init__(self, reply: Any, *, hold: bool = False) -> None:
        self.reply = reply
        self.hold = hold
        self.calls: list[tuple[int, dict[str, Any], str | None]] = []
        self.callbacks: list[Callable[[Any], None]] = []

    def call(self, msg_type: int, payload: dict[str, Any],
             callback: Callable[[Any], None] | None = None, *,
             channel: str | None = None) -> None:
        self.calls.append((msg_type, payload, channel))
        assert callback is not None
        if self.hold:
            self.callbacks.append(callback)
        elif self.reply is None:
            callback(None)  # as RemoteBackend does with no client: before returning
        else:
            reply = self.reply
            QTimer.singleShot(0, lambda: callback(reply))


def test_for_backend_unreachable_worker_shows_the_notice(qtbot: Any) -> None:
    backend = FakeBackend(None)
    d = GlobalSearchDialog.for_backend(backend)
    qtbot.addWidget(d)
    d.present()
    QTest.keyClicks(d.query, "make")
    qtbot.waitUntil(lambda: d.notice.isVisible())
    assert d.notice.text() == UNAVAILABLE
    assert backend.calls == [(MsgType.SEARCH, {"query": "make", "limit": 200}, "query")]
    assert d.hits() == [] and d.count.text() == ""  # not "No matches": we do not know

    backend.reply = {"hits": [HITS[0]]}  # the worker is back
    d.query.setText("make:")
    qtbot.waitUntil(lambda: len(d.hits()) == 1)
    assert d.notice.isHidden() and d.count.text() == "1 match in 1 session"

    backend.reply = {"hits": [], "notice": "history is not being recorded"}
    d.query.setText("nothing")
    qtbot.waitUntil(lambda: d.notice.text() == "history is not being recorded")
    assert d.count.text() == ""


def test_for_backend_ignores_a_stale_failure(qtbot: Any) -> None:
    backend = FakeBackend(None, hold=True)
    d = GlobalSearchDialog.for_backend(backend)
    qtbot.addWidget(d)
    QTest.keyClicks(d.query, "make")
    qtbot.waitUntil(lambda: len(backend.calls) == 1)
    d.query.setText("make:")
    qtbot.waitUntil(lambda: len(backend.calls) == 2)
    backend.callbacks[1]({"hits": [HITS[0]]})
    backend.callbacks[0](None)  # the older query failed late: not this query's news
    assert d.notice.isHidden() and len(d.hits()) == 1


def test_a_reply_to_a_deleted_dialog_is_dropped(qtbot: Any) -> None:
    backend = FakeBackend(None, hold=True)
    d = GlobalSearchDialog.for_backend(backend)
    QTest.keyClicks(d.query, "make")
    qtbot.waitUntil(lambda: len(backend.calls) == 1)
    d.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(d))
    backend.callbacks[0]({"hits": [HITS[0]]})  # no RuntimeError from a deleted widget


def test_snippet_trims_long_lines_around_the_match() -> None:
    assert snippet("abc Needle xyz   ", "needle") == ("abc ", "Needle", " xyz")
    assert snippet("nothing here", "zzz") == ("nothing here", "", "")
    long = "x" * 300 + "NEEDLE" + "y" * 300
    before, match, after = snippet(long, "needle")
    assert match == "NEEDLE"
    assert before.startswith("…") and len(before) == 41 and after.endswith("…")
    assert len(before + match + after) == 122
    # a match near the end keeps the line's end
    before, match, after = snippet("z" * 300 + "end", "end")
    assert match == "end" and after == "" and before.startswith("…")
    # str.lower changing lengths (İ) does not shift the highlight
    assert snippet("İx needle", "needle") == ("İx ", "needle", "")


def test_counts_and_markup_escape_the_line() -> None:
    assert count_text([]) == "No matches"
    assert count_text(HITS[:1]) == "1 match in 1 session"
    assert count_text(HITS, limit=3).startswith("3 matches in 2 sessions (the newest")
    html = row_html(hit("s", 1, "<b>&</b> err", title="<t>"), "err")
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in html and "&lt;t&gt;" in html


# -- a real store ----------------------------------------------------------------------
def test_hits_from_a_real_store_mark_live_and_ended_sessions(qtbot: Any,
                                                             tmp_path: Path) -> None:
    clock = iter(float(t) for t in range(1000, 2000))
    store = Store(tmp_path / "store.sqlite3", clock=lambda: next(clock)).start()
    try:
        ended, live = uuid.uuid4().hex, uuid.uuid4().hex
        store.create_session(SessionRecord(id=ended, command=["bash"], title="old build"))
        store.create_session(SessionRecord(id=live, command=["bash"], title=""))
        store.append_lines(ended, 0, [Line(((t, 0),)) for t in
                                      ("$ make", "gcc: fatal error: no input", "done")], {})
        store.end_session(ended, 1)
        store.append_lines(live, 10, [Line(((t, 0),)) for t in
                                      ("$ ls", "Error: disk full", "ok")], {})
        store.flush()

        def search(query: str, deliver: Callable[[list[Hit]], None]) -> None:
            # what the worker's on_search does, answered later as over the socket
            hits = [{"session": h.session_id, "line": h.number, "text": h.text,
                     "title": h.session_title, "ended": h.session_ended,
                     "live": h.session_id == live, "time": h.created}
                    for h in store.search(query, limit=200)]
            QTimer.singleShot(0, lambda: deliver(hits))

        d = GlobalSearchDialog(search)
        qtbot.addWidget(d)
        d.present()
        QTest.keyClicks(d.query, "error")
        qtbot.waitUntil(lambda: len(d.hits()) == 2)
        assert rows(d) == [(live, 11), (ended, 1)]  # newest first
        assert d.results.item(0).text() == f"{live[:8]} (live), line 11: Error: disk full"
        assert d.results.item(1).text() == \
            "old build (ended), line 1: gcc: fatal error: no input"
        assert d.count.text() == "2 matches in 2 sessions"
        with qtbot.waitSignal(d.open_hit) as blocker:
            QTest.keyClick(d.query, Qt.Key.Key_Return)
        assert blocker.args == [live, 11, True]
    finally:
        store.close()
