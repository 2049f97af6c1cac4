"""Global search: every session's history, live and ended, from one dialog (Ctrl+Shift+H).

``GlobalSearchDialog`` is a query field, a list of hits and a count. It searches as you
type (debounced by ``SEARCH_DELAY_MS``), through a seam the window supplies::

    search(query, deliver)   # asynchronous; later: deliver([hit, ...])

Each hit is one row of the worker's ``search`` reply: ``{"session", "line", "text",
"title", "ended", "live", "time"}``; the worker sends them newest first and the list keeps
that order. A reply for a query that is no longer the current one is dropped, so a slow
answer never overwrites a newer one. Up/Down move through the hits without leaving the
query field, Enter or a double-click emits ``open_hit(session, line, live)`` and closes the
dialog, Escape closes it. Opening the session's tab and scrolling its view to the line is
the window's job.

``for_backend`` builds the dialog on the GUI's ``RemoteBackend`` (or anything with its
``call``): the ``search`` request goes on the ``query`` channel, and a failed call (no
worker, circuit open, timeout) shows ``UNAVAILABLE`` as a notice instead of "No matches".
A search may also hand ``deliver`` a notice itself: ``deliver(hits, notice)``.

Not done here: regex and per-session search (the request has both; the store does
substrings), and showing an ended session's transcript (the window decides what opening
an ended session means).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from ipc.messages import MsgType

Hit = dict[str, Any]


class Deliver(Protocol):
    """What a search is handed: call it once with the hits (``notice``: see ``set_notice``;
    ``None`` leaves the notice as it is). A call for a superseded query is ignored."""

    def __call__(self, hits: list[Hit], notice: str | None = None) -> None: ...


SearchFn = Callable[[str, Deliver], None]

SEARCH_DELAY_MS = 150  # typing pauses shorter than this do not start a search
SEARCH_LIMIT = 200  # hits asked for; the worker returns the newest ones
MAX_QUERY = 1024  # the ``search`` request's own limit
SNIPPET_CHARS = 120  # a longer line is shown trimmed around its match
SNIPPET_BEFORE = 40  # of which at most this much comes before the match
UNAVAILABLE = "Search is not available: the session server is not connected"

HIT_ROLE = Qt.ItemDataRole.UserRole  # the hit dict
HTML_ROLE = Qt.ItemDataRole.UserRole + 1  # what the delegate paints

_MATCH_STYLE = "font-weight:bold; background-color:#ffd54f; color:#000000"


def find_match(text: str, query: str) -> tuple[int, int] | None:
    """Where ``query`` first occurs in ``text``, ignoring case, as ``(start, end)``."""
    if not query:
        return None
    folded = text.lower()
    if len(folded) == len(text):  # str.lower kept every index (the usual case)
        at = folded.find(query.lower())
        return (at, at + len(query)) if at >= 0 else None
    # A character whose lower case is longer (İ): compare one window at a time.
    wanted = query.lower()
    for at in range(len(text) - len(query) + 1):
        if text[at : at + len(query)].lower() == wanted:
            return at, at + len(query)
    return None


def snippet(text: str, query: str, width: int = SNIPPET_CHARS) -> tuple[str, str, str]:
    """``(before, match, after)`` of the line, trimmed to about ``width`` characters around
    the match (an ellipsis marks each cut); ``match`` is empty if the query is not found."""
    text = text.rstrip()
    span = find_match(text, query)
    start, end = span if span else (0, 0)
    if len(text) > width:
        first = max(0, min(start - SNIPPET_BEFORE, len(text) - width))
        if span and end - first > width:  # a long match: show its beginning
            first = start
        last = first + width
        cut = text[first:last]
        start, end = start - first, min(end, last) - first
        if first > 0:
            cut, start, end = "…" + cut, start + 1, end + 1
        if last < len(text):
            cut += "…"
        text = cut
    if not span:
        return text, "", ""
    return text[:start], text[start:end], text[end:]


def session_label(hit: Hit) -> str:
    """The session's title, else the beginning of its id."""
    title = str(hit.get("title") or "").strip()
    return title or str(hit.get("session", ""))[:8]


def marker(hit: Hit) -> str:
    return "live" if hit.get("live") else "ended"


def count_text(hits: list[Hit], limit: int | None = None) -> str:
    """"12 matches in 3 sessions" (and a hint when the list stopped at ``limit``)."""
    if not hits:
        return "No matches"
    sessions = len({hit.get("session") for hit in hits})
    text = (f"{len(hits)} match{'es' if len(hits) != 1 else ''} in "
            f"{sessions} session{'s' if sessions != 1 else ''}")
    if limit is not None and len(hits) >= limit:
        text += " (the newest shown; refine the query for older ones)"
    return text


def _when(stamp: Any) -> str:
    if not isinstance(stamp, (int, float)) or stamp <= 0:
        return ""
    local = time.localtime(stamp)
    same_day = time.localtime()[:3] == local[:3]
    return time.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M", local)


def row_text(hit: Hit) -> str:
    """The row as plain text (what accessibility tools read)."""
    return f"{session_label(hit)} ({marker(hit)}), line {hit.get('line')}: " \
           f"{str(hit.get('text', '')).strip()}"


def row_html(hit: Hit, query: str) -> str:
    """The row as the delegate paints it: a header, then the line with its match marked."""
    before, match, after = snippet(str(hit.get("text", "")), query)
    header = [html.escape(session_label(hit)), marker(hit), f"line {hit.get('line')}"]
    when = _when(hit.get("time"))
    if when:
        header.append(when)
    body = html.escape(before)
    if match:
        body += f'<span style="{_MATCH_STYLE}">{html.escape(match)}</span>'
    body += html.escape(after)
    return (f"<div><small>{' · '.join(header)}</small></div>"
            f'<div style="white-space:pre; font-family:monospace">{body or "&nbsp;"}</div>')


class _HitDelegate(QStyledItemDelegate):
    """Paints a row's ``HTML_ROLE`` on the style's item background (selection included)."""

    def _document(self, option: QStyleOptionViewItem,
                  index: QModelIndex | QPersistentModelIndex) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(3)
        text_option = QTextOption()
        text_option.setWrapMode(QTextOption.WrapMode.NoWrap)
        doc.setDefaultTextOption(text_option)
        doc.setHtml(str(index.data(HTML_ROLE) or ""))
        return doc

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        doc = self._document(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(role))
        painter.save()
        painter.setClipRect(opt.rect)
        painter.translate(opt.rect.topLeft())
        doc.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        doc = self._document(option, index)
        return QSize(int(doc.idealWidth()), int(doc.size().height()))


class GlobalSearchDialog(QDialog):
    """Search every session's history; pick a hit to open its session at that line."""

    # session id, absolute line number (64-bit: a long-lived session passes 2**31), live
    open_hit = Signal(str, "qlonglong", bool)  # type: ignore[arg-type]

    def __init__(self, search: SearchFn, parent: QWidget | None = None, *,
                 limit: int | None = SEARCH_LIMIT) -> None:
        super().__init__(parent)
        self.setObjectName("globalSearch")
        self.setWindowTitle("Search all sessions")
        self._search = search
        self._limit = limit
        self._generation = 0  # bumped for every query issued or abandoned
        self.close_on_open = True

        self.query = QLineEdit(self)
        self.query.setObjectName("globalSearchQuery")
        self.query.setPlaceholderText("Search the history of every session, live and ended")
        self.query.setClearButtonEnabled(True)
        self.query.setMaxLength(MAX_QUERY)
        self.notice = QLabel(self)
        self.notice.setObjectName("globalSearchNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.results = QListWidget(self)
        self.results.setObjectName("globalSearchResults")
        self.results.setItemDelegate(_HitDelegate(self.results))
        self.results.setUniformItemSizes(True)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay in the query field
        self.count = QLabel(self)
        self.count.setObjectName("globalSearchCount")

        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.notice)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.count)
        self.resize(760, 440)

        self.debounce = QTimer(self)
        self.debounce.setObjectName("globalSearchDebounce")
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(SEARCH_DELAY_MS)
        self.debounce.timeout.connect(self._issue)
        self.query.textChanged.connect(self._on_text_changed)
        self.query.installEventFilter(self)
        self.results.installEventFilter(self)
        self.results.doubleClicked.connect(lambda index: self._open(self.results.item(index.row())))

    @staticmethod
    def shortcut() -> QKeySequence:
        """Ctrl+Shift+H ("history"). Not Ctrl+Shift+F: that is the find bar of the current
        tab (``KEY_ACTIONS["find"]``), which searches only what that view holds; and plain
        Ctrl+letter keys belong to the program in the terminal."""
        return QKeySequence("Ctrl+Shift+H")

    @classmethod
    def for_backend(cls, backend: Any, parent: QWidget | None = None, *,
                    limit: int = SEARCH_LIMIT) -> GlobalSearchDialog:
        """A dialog searching through ``backend.call`` (``RemoteBackend``): the ``search``
        request on the ``query`` channel; a failed call shows ``UNAVAILABLE``, a reply's
        own ``notice`` (history is not being recorded) is shown too; a good reply clears
        the notice. Notices of superseded queries are ignored like their hits."""
        def search(query: str, deliver: Deliver) -> None:
            def done(reply: Any) -> None:
                if isinstance(reply, dict):
                    deliver(list(reply.get("hits") or []), str(reply.get("notice") or ""))
                else:  # None: not connected, circuit open, timeout, error reply
                    deliver([], UNAVAILABLE)

            call = getattr(backend, "call", None)
            if call is None:
                done(None)
            else:
                call(MsgType.SEARCH, {"query": query, "limit": limit}, done, channel="query")

        return cls(search, parent, limit=limit)

    # -- public --------------------------------------------------------------------------
    def present(self) -> None:
        """Show (or bring back) the dialog with the query selected, searching again so
        lines written since the last search are found."""
        self.show()
        self.raise_()
        self.activateWindow()
        self.query.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.query.selectAll()
        if self.query.text().strip():
            self._issue()

    def set_notice(self, text: str) -> None:
        """A line above the results (the worker is unreachable, history is off); "" hides it."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def hits(self) -> list[Hit]:
        return [self.results.item(i).data(HIT_ROLE) for i in range(self.results.count())]

    def current_hit(self) -> Hit | None:
        item = self.results.currentItem()
        hit: Hit | None = item.data(HIT_ROLE) if item is not None else None
        return hit

    # -- searching -----------------------------------------------------------------------
    def _on_text_changed(self, text: str) -> None:
        if text.strip():
            self.debounce.start()
            return
        self.debounce.stop()
        self._generation += 1  # a reply still on its way is for a query that is gone
        self.results.clear()
        self.count.clear()

    def _issue(self) -> None:
        self.debounce.stop()
        query = self.query.text()
        if not query.strip():
            return
        self._generation += 1
        generation = self._generation
        self.count.setText("Searching…")

        def deliver(hits: list[Hit], notice: str | None = None) -> None:
            # The dialog may be gone (closed and deleted) before a slow reply arrives.
            if shiboken6.isValid(self) and generation == self._generation:
                if notice is not None:
                    self.set_notice(notice)
                self._show(query, hits)

        self._search(query, deliver)

    def _show(self, query: str, hits: list[Hit]) -> None:
        self.results.clear()
        for hit in hits:
            item = QListWidgetItem(row_text(hit))
            item.setData(HIT_ROLE, hit)
            item.setData(HTML_ROLE, row_html(hit, query))
            item.setToolTip(str(hit.get("text", "")).rstrip())
            self.results.addItem(item)
        if hits:
            self.results.setCurrentRow(0)
        # No hits and a notice (the worker is unreachable): the notice says it all.
        quiet = not hits and self.notice.isVisibleTo(self)
        self.count.setText("" if quiet else count_text(hits, self._limit))

    # -- keys and opening ----------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._key(event)
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._key(event):
            super().keyPressEvent(event)  # Escape: QDialog rejects (closes)

    def _key(self, event: QKeyEvent) -> bool:
        key = Qt.Key(event.key())
        moves = {
            Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1,
            Qt.Key.Key_PageUp: -self._page(), Qt.Key.Key_PageDown: self._page(),
        }
        if key in moves and self.results.count():
            row = self.results.currentRow() + moves[key]
            self.results.setCurrentRow(max(0, min(row, self.results.count() - 1)))
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.debounce.isActive():  # typed, then Enter at once: search now, not a stale hit
                self._issue()
            else:
                self._open(self.results.currentItem())
            return True  # never QDialog's default-button Enter (it would close the dialog)
        return False

    def _page(self) -> int:
        height = self.results.sizeHintForRow(0) if self.results.count() else 0
        return max(1, self.results.viewport().height() // height) if height > 0 else 10

    def _open(self, item: QListWidgetItem | None) -> None:
        hit = item.data(HIT_ROLE) if item is not None else None
        if not hit:
            return
        self.open_hit.emit(str(hit["session"]), int(hit["line"]), bool(hit.get("live")))
        if self.close_on_open:
            self.accept()
