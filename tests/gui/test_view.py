"""The terminal view against a recording handle: damage, scrolling, input, mouse, bell,
zoom, input methods, links, accessibility. Real shells are in test_view_shell.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakes import FakeHandle, frame, line
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import (
    QAccessible,
    QColor,
    QFocusEvent,
    QGuiApplication,
    QInputMethodEvent,
    QMouseEvent,
    QWheelEvent,
)
from PySide6.QtTest import QTest

from app.gui.selection import Selection
from app.gui.view import TerminalView
from app.gui.view_settings import ViewSettings
from terminal.frames import Cursor, Frame, Line, Style

M = Qt.KeyboardModifier


class RecordingView(TerminalView):
    """Records the rectangles asked to repaint."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.updates: list[QRect | None] = []
        super().__init__(*args, **kwargs)

    def update(self, *args: Any) -> None:  # type: ignore[override]
        self.updates.append(args[0] if args else None)
        super().update(*args)


class Env:
    def __init__(self, qtbot: Any, **settings: Any) -> None:
        self.handle = FakeHandle([line(f"old {i}") for i in range(1000)])
        self.opened: list[str] = []
        self.asked: list[str] = []
        self.answer = (True, False)
        self.view = RecordingView(
            self.handle,
            ViewSettings(**settings),
            open_url=self.opened.append,
            confirm_paste=lambda _p, text: (self.asked.append(text) or self.answer),
        )
        qtbot.addWidget(self.view)
        self.view.resize(400, 240)
        self.view.show()
        qtbot.waitExposed(self.view)
        self.columns, self.rows = self.view.grid_size()

    def screen(self, rows: list[Line | str], **kwargs: Any) -> Frame:
        rows = list(rows) + [""] * (self.rows - len(rows))
        f = frame(rows, columns=self.columns, **kwargs)
        self.handle.send(f)
        return f

    def center(self, row: int, col: int) -> QPoint:
        m = self.view.painter.metrics
        area = self.view.contentsRect()
        return QPointF(area.left() + (col + 0.5) * m.width,
                       area.top() + (row + 0.5) * m.height).toPoint()

    def edge(self, row: int, col: int) -> QPoint:
        """A point just right of the left edge of a cell: a drag selects from the nearest
        cell boundary, and a cell's exact centre rounds either way with odd widths."""
        m = self.view.painter.metrics
        area = self.view.contentsRect()
        return QPointF(area.left() + (col + 0.2) * m.width,
                       area.top() + (row + 0.5) * m.height).toPoint()


@pytest.fixture
def env(qtbot: Any) -> Iterator[Env]:
    yield Env(qtbot)


def hover(widget: Any, pos: QPoint, mods: Any) -> None:
    event = QMouseEvent(QEvent.Type.MouseMove, QPointF(pos), QPointF(widget.mapToGlobal(pos)),
                        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, mods)
    QGuiApplication.sendEvent(widget, event)


def wheel(widget: Any, pos: QPoint, delta: int, mods: Any = M.NoModifier) -> None:
    event = QWheelEvent(QPointF(pos), QPointF(widget.mapToGlobal(pos)), QPoint(0, 0),
                        QPoint(0, delta), Qt.MouseButton.NoButton, mods,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QGuiApplication.sendEvent(widget, event)


def test_grid_from_widget_size_and_resize_reaches_the_session(env: Env) -> None:
    assert env.handle.sizes[-1] == env.view.grid_size()
    assert env.handle.full_frames_requested == 1
    m = env.view.painter.metrics
    env.view.resize(env.view.width() + int(m.width * 3), env.view.height())
    assert env.handle.sizes[-1] == (env.columns + 3, env.rows)
    assert env.view.overlay_text() == f"{env.columns + 3}×{env.rows}"


def test_only_damaged_rows_are_repainted(env: Env) -> None:
    env.screen(["a", "b", "c"], cursor=Cursor(0, 2))
    env.view.updates.clear()
    change = Frame(columns=env.columns, rows=env.rows, full=False, lines={1: line("B")},
                   cursor=Cursor(0, 2), private_modes=frozenset({7, 25}))
    env.handle.send(change)
    m = env.view.painter.metrics
    row_rects = [r for r in env.view.updates if r is not None]
    assert env.view.updates and None not in env.view.updates
    assert all(r.height() <= m.height + 2 for r in row_rects)
    assert {round((r.top() - env.view.contentsRect().top()) / m.height) for r in row_rects} == {1}


def test_keys_go_through_the_keymap_with_the_modes(env: Env) -> None:
    env.screen(["$"], private_modes=(1, 25))  # DECCKM
    QTest.keyClicks(env.view, "ls")
    QTest.keyClick(env.view, Qt.Key.Key_Up)
    QTest.keyClick(env.view, Qt.Key.Key_C, M.ControlModifier)
    QTest.keyClick(env.view, Qt.Key.Key_Tab)
    QTest.keyClick(env.view, Qt.Key.Key_Return)
    assert env.handle.sent == b"ls\x1bOA\x03\t\r"


def test_backspace_setting(qtbot: Any) -> None:
    e = Env(qtbot, backspace_sends_ctrl_h=True)
    QTest.keyClick(e.view, Qt.Key.Key_Backspace)
    assert e.handle.sent == b"\x08"


def test_scrollback_keys_anchor_and_typing_returns(env: Env) -> None:
    tail = [line(f"old {i}") for i in range(900, 1000)]
    env.screen(["$"], history_total=1000, history_tail=tail)
    assert env.view.top_number() == 1000 and env.view.at_bottom
    QTest.keyClick(env.view, Qt.Key.Key_PageUp, M.ShiftModifier)
    top = env.view.top_number()
    assert top == 1000 - (env.rows - 1)
    assert env.view.scrollbar.value() == top
    # New output pushes lines into history: the reader stays on the same lines.
    more = [line(f"new {i}") for i in range(5)]
    env.screen(["$"], history_total=1005, history_tail=more)
    assert env.view.top_number() == top
    assert env.view.line(top) == line(f"old {top}")
    QTest.keyClick(env.view, Qt.Key.Key_End, M.ShiftModifier)
    assert env.view.at_bottom
    QTest.keyClick(env.view, Qt.Key.Key_Home, M.ShiftModifier)
    assert env.view.top_number() == 0
    QTest.keyClicks(env.view, "x")
    assert env.view.at_bottom


def test_scrolling_past_the_replica_fetches_history(env: Env) -> None:
    tail = [line(f"old {i}") for i in range(990, 1000)]
    env.screen(["$"], history_total=1000, history_tail=tail)
    assert env.view.replica.first_held_number == 990
    env.view.scroll_to(500)
    assert env.handle.fetches
    assert env.view.line(500) == line("old 500")
    assert env.view.line(500 + env.rows - 1) == line(f"old {500 + env.rows - 1}")


def test_a_jump_to_the_oldest_line_fetches_one_page_not_everything(qtbot: Any) -> None:
    e = Env(qtbot)
    e.handle.history = [line(f"old {i}") for i in range(100000)]
    e.screen(["$"], history_total=100000, history_tail=[line("old 99999")])
    QTest.keyClick(e.view, Qt.Key.Key_Home, M.ShiftModifier)
    assert e.view.top_number() == 0
    assert e.view.line(0) == line("old 0")
    assert sum(count for _, count in e.handle.fetches) < 1000


def test_wheel_scrolls_history_on_the_primary_screen(env: Env) -> None:
    tail = [line(f"old {i}") for i in range(900, 1000)]
    env.screen(["$"], history_total=1000, history_tail=tail)
    wheel(env.view, env.center(1, 1), 120)
    assert env.view.top_number() == 1000 - 3
    wheel(env.view, env.center(1, 1), -120)
    assert env.view.at_bottom
    assert env.handle.sent == b""


def test_wheel_on_the_alternate_screen_sends_arrows_respecting_decckm(env: Env) -> None:
    env.screen(["vim"], alternate=True, private_modes=(1, 25))
    wheel(env.view, env.center(1, 1), 120)
    wheel(env.view, env.center(1, 1), -120)
    assert env.handle.sent == b"\x1bOA" * 3 + b"\x1bOB" * 3
    assert env.view.at_bottom


def test_mouse_reporting_and_shift_bypass(env: Env) -> None:
    env.screen(["app"], private_modes=(25, 1002))  # button-event tracking, default encoding
    QTest.mousePress(env.view, Qt.MouseButton.LeftButton, pos=env.center(2, 3))
    QTest.mouseMove(env.view, env.center(2, 5))
    QTest.mouseRelease(env.view, Qt.MouseButton.LeftButton, pos=env.center(2, 5))
    assert env.handle.sent == (b"\x1b[M" + bytes((32, 36, 35)) + b"\x1b[M" + bytes((64, 38, 35))
                               + b"\x1b[M" + bytes((35, 38, 35)))
    env.handle.written.clear()
    QTest.mousePress(env.view, Qt.MouseButton.LeftButton, M.ShiftModifier, env.edge(0, 0))
    QTest.mouseMove(env.view, env.edge(0, 3))
    QTest.mouseRelease(env.view, Qt.MouseButton.LeftButton, M.ShiftModifier, env.edge(0, 3))
    assert env.handle.sent == b""
    assert env.view.selected_text() == "app"
    wheel(env.view, env.center(0, 0), -120)
    assert env.handle.sent == b"\x1b[M" + bytes((97, 33, 33))


def test_a_reported_press_gets_its_release_even_with_shift(env: Env) -> None:
    env.screen(["app"], private_modes=(25, 1000, 1006))
    QTest.mousePress(env.view, Qt.MouseButton.LeftButton, pos=env.center(0, 0))
    QTest.mouseRelease(env.view, Qt.MouseButton.LeftButton, M.ShiftModifier, env.center(0, 0))
    assert env.handle.sent == b"\x1b[<0;1;1M\x1b[<4;1;1m"


def test_focus_reports_when_mode_1004(env: Env) -> None:
    env.screen(["x"], private_modes=(25, 1004))
    QGuiApplication.sendEvent(env.view, QFocusEvent(QFocusEvent.Type.FocusOut))
    QGuiApplication.sendEvent(env.view, QFocusEvent(QFocusEvent.Type.FocusIn))
    assert env.handle.sent == b"\x1b[O\x1b[I"


def test_shift_click_extends_and_alt_drag_selects_a_rectangle(env: Env) -> None:
    env.screen(["0123456789", "abcdefghij", "ABCDEFGHIJ"])
    m = env.view.painter.metrics
    area = env.view.contentsRect()

    def edge(row: int, col: int) -> QPoint:
        return QPointF(area.left() + col * m.width + 1, area.top() + (row + 0.5) * m.height
                       ).toPoint()

    QTest.mouseClick(env.view, Qt.MouseButton.LeftButton, pos=edge(0, 2))
    QTest.qWait(QGuiApplication.styleHints().mouseDoubleClickInterval() + 30)
    QTest.mousePress(env.view, Qt.MouseButton.LeftButton, pos=edge(0, 2))
    QTest.mouseMove(env.view, edge(0, 4))
    QTest.mouseRelease(env.view, Qt.MouseButton.LeftButton, pos=edge(0, 4))
    QTest.qWait(QGuiApplication.styleHints().mouseDoubleClickInterval() + 30)
    QTest.mouseClick(env.view, Qt.MouseButton.LeftButton, M.ShiftModifier, edge(1, 3))
    assert env.view.selected_text() == "23456789\nabc"
    QTest.qWait(QGuiApplication.styleHints().mouseDoubleClickInterval() + 30)
    QTest.mousePress(env.view, Qt.MouseButton.LeftButton, M.AltModifier, edge(0, 1))
    QTest.mouseMove(env.view, edge(2, 4))
    QTest.mouseRelease(env.view, Qt.MouseButton.LeftButton, M.AltModifier, edge(2, 4))
    assert env.view.selected_text() == "123\nbcd\nBCD"


def test_copy_and_paste_shortcuts_and_bracketed_paste(env: Env) -> None:
    env.screen(["hello"], private_modes=(25, 2004))
    env.view.selection = Selection((0, 0), (0, 5))
    QTest.keyClick(env.view, Qt.Key.Key_C, M.ControlModifier | M.ShiftModifier)
    assert QGuiApplication.clipboard().text() == "hello"
    QGuiApplication.clipboard().setText("a\nb\x1b[201~c")
    QTest.keyClick(env.view, Qt.Key.Key_V, M.ControlModifier | M.ShiftModifier)
    QTest.keyClick(env.view, Qt.Key.Key_Insert, M.ShiftModifier)
    assert env.handle.sent == b"\x1b[200~a\nbc\x1b[201~" * 2
    assert env.asked == []


def test_multiline_paste_warning_cancel_and_dont_ask_again(env: Env) -> None:
    changed: list[Any] = []
    env.view.settings_changed.connect(changed.append)
    env.answer = (False, False)
    env.view.paste_text("rm -rf x\nls\n")
    assert env.handle.sent == b"" and len(env.asked) == 1
    env.answer = (True, True)
    env.view.paste_text("one\ntwo")
    assert env.handle.sent == b"one\rtwo"
    assert env.view.settings.paste_warning is False and changed
    env.view.paste_text("three\nfour")
    assert len(env.asked) == 2  # not asked again
    env.view.paste_text("single line")  # never asked for one line
    assert len(env.asked) == 2


def test_input_method_commit_and_preedit_at_the_cursor(env: Env) -> None:
    env.screen(["$ "], cursor=Cursor(2, 0))
    env.view.setFocus()
    event = QInputMethodEvent("にほ", [])
    QGuiApplication.sendEvent(env.view, event)
    assert env.handle.sent == b""
    image = env.view.grab().toImage()
    m = env.view.painter.metrics
    area = env.view.contentsRect()
    preedit = image.copy(QRectF(area.left() + 2 * m.width, area.top(), 4 * m.width, m.height
                                ).toRect())
    assert len({preedit.pixel(x, y) for x in range(preedit.width())
                for y in range(preedit.height())}) > 2  # glyphs, underline, cursor bar
    commit = QInputMethodEvent()
    commit.setCommitString("日本")
    QGuiApplication.sendEvent(env.view, commit)
    assert env.handle.sent == "日本".encode()
    rect = env.view.inputMethodQuery(Qt.InputMethodQuery.ImCursorRectangle)
    assert rect.contains(env.center(0, 2))
    assert env.view.testAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled)


def test_zoom_changes_the_font_and_the_grid(env: Env) -> None:
    width = env.view.cell_size().width()
    for _ in range(4):  # a point may round to the same pixel width; four never do
        QTest.keyClick(env.view, Qt.Key.Key_Equal, M.ControlModifier)
    assert env.view.cell_size().width() > width
    assert env.handle.sizes[-1][0] < env.columns
    for _ in range(8):
        QTest.keyClick(env.view, Qt.Key.Key_Minus, M.ControlModifier)
    assert env.view.cell_size().width() < width
    QTest.keyClick(env.view, Qt.Key.Key_0, M.ControlModifier)
    assert env.view.cell_size().width() == width
    assert env.handle.sizes[-1] == (env.columns, env.rows)
    assert env.handle.sent == b""  # none of these reached the program


def test_bell_flashes_and_signals(env: Env) -> None:
    rang: list[bool] = []
    env.view.bell_rang.connect(lambda: rang.append(True))
    env.screen([""])
    env.handle.bell.emit()
    assert rang == [True]
    image = env.view.grab().toImage()
    assert image.pixelColor(env.center(3, 3)) != env.view.palette_.background
    env.view.findChild(type(env.view._bell_timer), "bell_flash").timeout.emit()
    image = env.view.grab().toImage()
    assert image.pixelColor(env.center(3, 3)) == env.view.palette_.background


def test_no_flash_when_the_bell_is_off(qtbot: Any) -> None:
    e = Env(qtbot, bell="none")
    e.screen([""])
    e.handle.bell.emit()
    assert e.view.grab().toImage().pixelColor(e.center(3, 3)) == e.view.palette_.background


def _cursor_pixel(e: Env, dx: float = 1) -> QColor:
    m = e.view.painter.metrics
    area = e.view.contentsRect()
    x = area.left() + 5 * m.width
    y = area.top() + m.height
    image = e.view.grab().toImage()
    return image.pixelColor(QPointF(x + dx, y + m.height / 2).toPoint())


@pytest.mark.parametrize(("shape", "left_is_cursor", "middle_is_cursor"),
                         [(2, True, True), (4, False, False), (6, True, False)])
def test_cursor_shapes_from_decscusr(qtbot: Any, shape: int, left_is_cursor: bool,
                                     middle_is_cursor: bool) -> None:
    e = Env(qtbot)
    e.view.setFocus()
    qtbot.waitUntil(e.view.hasFocus)
    e.screen(["", ""], cursor=Cursor(5, 1, shape=shape))
    cursor = e.view.palette_.cursor
    assert (_cursor_pixel(e) == cursor) is left_is_cursor
    image = e.view.grab().toImage()
    assert (image.pixelColor(e.center(1, 5)) == cursor) is middle_is_cursor


def test_cursor_is_hollow_without_focus(env: Env) -> None:
    env.screen(["", ""], cursor=Cursor(5, 1, shape=2))
    env.view.clearFocus()
    env.view.window().activateWindow()
    assert not env.view.hasFocus()
    cursor = env.view.palette_.cursor
    assert _cursor_pixel(env, 0) == cursor  # the outline's left edge
    assert env.view.grab().toImage().pixelColor(env.center(1, 5)) != cursor  # hollow


def test_blink_timer_runs_for_a_blinking_cursor_only(qtbot: Any) -> None:
    e = Env(qtbot)
    e.view.setFocus()
    qtbot.waitUntil(e.view.hasFocus)
    timer = e.view.findChild(type(e.view._blink), "cursor_blink")
    e.screen([""], cursor=Cursor(0, 0, shape=1))
    assert timer.isActive()
    e.screen([""], cursor=Cursor(0, 0, shape=2))
    assert not timer.isActive()


def test_ctrl_hover_underlines_and_ctrl_click_opens_osc8_and_urls(env: Env) -> None:
    styles = {1: Style(link="https://osc8.example/")}
    env.screen([Line((("go ", 0), ("here", 1), (" or www.example.org.", 0)))], styles=styles)
    hover(env.view, env.center(0, 4), M.NoModifier)
    assert env.view.hovered_link() == ""  # no Ctrl: no link
    hover(env.view, env.center(0, 4), M.ControlModifier)
    assert env.view.hovered_link() == "https://osc8.example/"
    assert env.view.cursor().shape() == Qt.CursorShape.PointingHandCursor
    hover(env.view, env.center(0, 1), M.ControlModifier)
    assert env.view.hovered_link() == ""
    QTest.mouseClick(env.view, Qt.MouseButton.LeftButton, M.ControlModifier, env.center(0, 4))
    QTest.mouseClick(env.view, Qt.MouseButton.LeftButton, M.ControlModifier, env.center(0, 15))
    assert env.opened == ["https://osc8.example/", "http://www.example.org"]
    assert env.handle.sent == b""


def test_unsafe_link_schemes_are_not_opened(env: Env) -> None:
    env.screen([Line((("x", 1),))], styles={1: Style(link="javascript:alert(1)")})
    QTest.mouseClick(env.view, Qt.MouseButton.LeftButton, M.ControlModifier, env.center(0, 0))
    assert env.opened == []


def test_osc52_sets_the_clipboard(env: Env) -> None:
    env.handle.clipboard.emit("c", "from the program")
    assert QGuiApplication.clipboard().text() == "from the program"


def test_find_without_text_opens_the_bar(env: Env) -> None:
    # The window's "find" action calls view.find() (shadowing QWidget.find, a static).
    env.screen(["abc abc"])
    env.view.find()
    assert env.view.find_bar.isVisible()
    QTest.keyClicks(env.view.find_bar.edit, "abc")
    assert len(env.view.matches) == 2
    QTest.keyClick(env.view.find_bar.edit, Qt.Key.Key_Escape)
    assert not env.view.find_bar.isVisible() and env.view.matches == []


def test_title_signal(env: Env) -> None:
    titles: list[str] = []
    env.view.title_changed.connect(titles.append)
    env.screen([""], title="vim")
    assert titles == ["vim"]


def test_accessible_value_and_text_interface(env: Env) -> None:
    env.screen(["first row", "", "third"], cursor=Cursor(2, 2))
    iface = QAccessible.queryAccessibleInterface(env.view)
    assert iface is not None
    assert iface.text(QAccessible.Text.Value) == "first row\n\nthird"
    text = iface.textInterface()
    assert text.characterCount() == len("first row\n\nthird")
    assert text.text(11, 16) == "third"
    assert text.cursorPosition() == 13




def test_the_real_paste_question_and_its_dont_ask_again_box(qtbot: Any) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QCheckBox, QMessageBox

    handle = FakeHandle()
    view = TerminalView(handle)  # the default question: a QMessageBox
    qtbot.addWidget(view)
    view.show()
    seen: list[str] = []

    def answer(tick_box: bool, button: QMessageBox.StandardButton) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        if tick_box:
            box.findChild(QCheckBox).setChecked(True)
        box.button(button).click()

    QTimer.singleShot(0, lambda: answer(False, QMessageBox.StandardButton.Cancel))
    view.paste_text("a\nb\n")
    assert handle.sent == b"" and "2 line break" in seen[0]
    QTimer.singleShot(0, lambda: answer(True, QMessageBox.StandardButton.Ok))
    view.paste_text("c\nd")
    assert handle.sent == b"c\rd"
    assert view.settings.paste_warning is False
    view.paste_text("e\nf")  # no box this time: nothing would answer it
    assert handle.sent == b"c\rde\rf"


def test_scheme_and_settings_apply(env: Env) -> None:
    env.view.apply_settings(ViewSettings(scheme="dracula", font_size=14))
    assert env.view.palette_.background == QColor("#282a36")
    assert env.view.grid_size()[0] < env.columns  # bigger font, fewer columns
    env.view.apply_settings(ViewSettings(scheme="no-such-scheme"))
    assert env.view.palette_.background == QColor("#1c1917")  # the default scheme


def test_a_view_tells_its_session_the_grid_only_once_it_is_on_screen(qtbot: Any) -> None:
    """A window passes through provisional sizes while it is built. A reopened session
    (the GUI was killed; the shell runs on) told one of them would have its screen cut
    to a width it never had, and widening again cannot bring the text back."""
    handle = FakeHandle([])
    view = TerminalView(handle, ViewSettings())
    qtbot.addWidget(view)
    for width in (120, 300, 200):
        view.resize(width, 150)
    assert handle.sizes == []
    view.resize(400, 240)
    view.show()
    qtbot.waitExposed(view)
    assert handle.sizes == [view.grid_size()]
    m = view.painter.metrics
    view.resize(view.width() + int(m.width * 2), view.height())
    assert handle.sizes[-1] == (view.grid_size()[0], view.grid_size()[1])
    assert len(handle.sizes) == 2
