"""The terminal view: one session's screen painted from frames, and its keyboard and mouse.

``TerminalView(handle, settings)`` owns a ``ScreenReplica``. Frames from
``handle.frame`` are applied to it and only the damaged rows are repainted (painting
itself is ``app.gui.painter``). Keys go through ``app.gui.keymap`` to ``terminal.keys``,
mouse reports through ``terminal.mouse``, pastes through ``terminal.paste``, all as bytes
to ``handle.write``. The view never parses terminal output.

Scrolling: the view shows the rows starting at an absolute line number (``top``); at
the bottom it follows the screen, scrolled up it stays on the same lines while output
arrives (nothing yanks a reader), and typing returns it to the bottom. Lines older than
the replica holds are fetched with ``handle.fetch_history``.

Seams for tests (and for the app shell): ``open_url`` (Ctrl+click on a link),
``confirm_paste`` (the multi-line paste question), ``clipboard``. Timers are named:
``cursor_blink``, ``resize_overlay``, ``bell_flash``, ``find_refresh``, ``accessible_notice``.

Shortcuts handled here when no window action takes them first: Ctrl+Shift+C/V,
Shift+Insert, Ctrl+Shift+F, Shift+PgUp/PgDn/Home/End, Ctrl+=/Ctrl+-/Ctrl+0.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, QSizeF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAccessible,
    QClipboard,
    QColor,
    QFocusEvent,
    QGuiApplication,
    QInputMethodEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QCheckBox, QMessageBox, QScrollBar, QWidget

from app.gui import accessibility, keymap
from app.gui.backend import SessionHandle
from app.gui.colors import Palette, load_scheme_or_default
from app.gui.find import FindBar, FindController, Match
from app.gui.links import LinkSpan, link_at, open_with_desktop, safe_to_open
from app.gui.painter import Overlay, RowPainter
from app.gui.selection import (
    Mode,
    Selection,
    cluster_at,
    expand,
    line_selection,
    selected_text,
    word_selection,
)
from app.gui.view_settings import ViewSettings
from terminal import mouse
from terminal.frames import Frame, Line, ScreenReplica
from terminal.keys import Key, KeyModes, Mod, encode
from terminal.paste import BRACKETED_PASTE, encode_paste, paste_is_multiline

# Returns (go ahead, do not ask again) for a paste of the given text.
ConfirmPaste = Callable[[QWidget, str], tuple[bool, bool]]
UrlOpener = Callable[[str], None]

FETCH_CHUNK = 500  # history lines asked for at a time when scrolling past the replica
FETCHED_KEEP = 5000  # fetched lines kept beyond what the replica has room for
MATCH_COLOUR = QColor(255, 200, 0, 90)
CURRENT_MATCH_COLOUR = QColor(255, 140, 0, 170)
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
META = Qt.KeyboardModifier.MetaModifier
MOD_MASK = ALT | CTRL | SHIFT | META
NO_MODS = Qt.KeyboardModifier.NoModifier

_SHAPES = {1: "block", 2: "block", 3: "underline", 4: "underline", 5: "bar", 6: "bar"}
_BUTTONS = {
    Qt.MouseButton.LeftButton: mouse.MouseButton.LEFT,
    Qt.MouseButton.MiddleButton: mouse.MouseButton.MIDDLE,
    Qt.MouseButton.RightButton: mouse.MouseButton.RIGHT,
    Qt.MouseButton.BackButton: mouse.MouseButton.BUTTON_8,
    Qt.MouseButton.ForwardButton: mouse.MouseButton.BUTTON_9,
}


def ask_before_paste(parent: QWidget, text: str) -> tuple[bool, bool]:
    """The default paste question: a message box with a "don't ask again" box."""
    lines = text.count("\n") + text.count("\r") - text.count("\r\n")
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(parent.tr("Paste several lines?"))
    box.setText(
        parent.tr(
            "The text holds {n} line break(s). The program did not ask for bracketed "
            "paste, so each line may run as a command as soon as it arrives."
        ).format(n=lines)
    )
    preview = text if len(text) <= 400 else text[:400] + "…"
    box.setDetailedText(preview)
    box.setStandardButtons(QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Ok).setText(parent.tr("Paste"))
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    check = QCheckBox(parent.tr("Don't ask again"), box)
    box.setCheckBox(check)
    ok = box.exec() == QMessageBox.StandardButton.Ok
    return ok, ok and check.isChecked()


class TerminalView(QWidget):
    """One terminal: paints a ``ScreenReplica`` fed by a ``SessionHandle``."""

    bell_rang = Signal()
    activity = Signal()  # output arrived while the view was hidden
    title_changed = Signal(str)
    grid_resized = Signal(int, int)  # columns, rows asked of the session
    settings_changed = Signal(object)  # the view changed a setting (don't ask again)
    link_opened = Signal(str)

    def __init__(
        self,
        handle: SessionHandle,
        settings: ViewSettings | None = None,
        *,
        open_url: UrlOpener | None = None,
        confirm_paste: ConfirmPaste | None = None,
        clipboard: QClipboard | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.handle = handle
        self.settings = settings or ViewSettings()
        self._open_url = open_url or open_with_desktop
        self._confirm_paste = confirm_paste or ask_before_paste
        self._clipboard = clipboard or QGuiApplication.clipboard()
        self.replica = ScreenReplica(max_history=max(self.settings.scrollback_lines, 0))
        self._top: int | None = None  # absolute number of the top row; None = follow
        self._fetched: OrderedDict[int, Line] = OrderedDict()
        self._grid = (0, 0)
        self._grid_sent = (0, 0)  # the grid the session was last told
        self._shown_once = False
        self._font_size = self.settings.font_size
        self.selection: Selection | None = None
        self._selecting = False
        self._last_selected = ""
        self._clicks = 0
        self._last_click = (0.0, QPoint())
        self._report_button: mouse.MouseButton | None = None
        self._last_report_cell: tuple[int, int] | None = None
        self._wheel_rest = 0
        self._hover: tuple[int, LinkSpan] | None = None
        self._preedit = ""
        self._blink_on = True
        self._flash = False
        self._overlay_text = ""

        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.IBeamCursor)
        self.setAccessibleName("Terminal")

        self.scrollbar = QScrollBar(Qt.Orientation.Vertical, self)
        self.scrollbar.setObjectName("scrollbar")
        self.scrollbar.setCursor(Qt.CursorShape.ArrowCursor)
        self.scrollbar.valueChanged.connect(self._on_scrollbar)
        self.find_bar = FindBar(self)
        self.find_bar.hide()
        self.find_bar.closed.connect(self._on_find_closed)
        self.finder = FindController(self.replica, self.find_bar, self,
                                     older=handle.search_history)
        self.finder.changed.connect(self.update)
        self.finder.reveal.connect(self._reveal)

        self._blink = self._timer("cursor_blink", self.settings.cursor_blink_ms, self._toggle_blink)
        self._overlay_timer = self._timer("resize_overlay", 1000, self._hide_overlay, True)
        self._bell_timer = self._timer("bell_flash", 120, self._end_flash, True)
        self._find_timer = self._timer("find_refresh", 150, self.finder.refresh, True)
        self._a11y_timer = self._timer(
            "accessible_notice", 250, lambda: accessibility.notify_text_changed(self), True
        )

        self._configure_look()
        accessibility.install()
        handle.frame.connect(self._on_frame)
        handle.history_arrived.connect(self.update)
        handle.bell.connect(self._on_bell)
        handle.clipboard.connect(self._on_clipboard_request)
        handle.request_full_frame()

    def _timer(self, name: str, ms: int, slot: Callable[[], None], single: bool = False) -> QTimer:
        timer = QTimer(self)
        timer.setObjectName(name)
        timer.setInterval(ms)
        timer.setSingleShot(single)
        timer.timeout.connect(slot)
        return timer

    # -- settings, font and grid ----------------------------------------------------------
    def _configure_look(self) -> None:
        s = self.settings
        scheme = s.colors or load_scheme_or_default(s.scheme)
        self.palette_ = Palette(scheme)
        self.painter = RowPainter(
            s.font_family,
            self._font_size,
            self.palette_,
            self.devicePixelRatioF(),
            bold_is_bright=s.bold_is_bright,
        )
        pad = s.padding
        self.setContentsMargins(pad, pad, pad + self.scrollbar.sizeHint().width(), pad)
        self._blink.setInterval(max(s.cursor_blink_ms, 50))
        self._restart_blink()
        self._layout_children()
        self._update_grid()
        self.update()

    def apply_settings(self, settings: ViewSettings) -> None:
        """Take new settings (a config reload); zoom is reset to the new font size."""
        self.settings = settings
        self._font_size = settings.font_size
        self._configure_look()

    def grid_origin(self) -> QPointF:
        """Top-left of cell (0, 0), on a whole device pixel so no edge is blurred."""
        area = self.contentsRect()
        dpr = self.painter.dpr
        return QPointF(round(area.left() * dpr) / dpr, round(area.top() * dpr) / dpr)

    def cell_size(self) -> QSizeF:
        m = self.painter.metrics
        return QSizeF(m.width, m.height)

    def grid_size(self) -> tuple[int, int]:
        """Columns and rows that fit the widget (what the session was asked for)."""
        return self._grid

    def sizeHint(self) -> QSize:
        m = self.painter.metrics
        margins = self.contentsMargins()
        return QSize(
            math.ceil(80 * m.width) + margins.left() + margins.right(),
            math.ceil(24 * m.height) + margins.top() + margins.bottom(),
        )

    def _update_grid(self) -> None:
        m = self.painter.metrics
        area = self.contentsRect()
        columns = max(int(area.width() / m.width + 1e-6), 1)
        rows = max(int(area.height() / m.height + 1e-6), 1)
        if (columns, rows) == self._grid:
            return
        self._grid = (columns, rows)
        if self.isVisible() and self._shown_once:
            self._show_overlay(f"{columns}×{rows}")
        self._send_grid()
        self.grid_resized.emit(columns, rows)
        self._update_scrollbar()

    def _send_grid(self) -> None:
        """Tell the session the grid, once the view is on screen: the sizes a window
        passes through while it is built would resize a running session (one reopened
        after the GUI was killed) and cut its screen to a width it never had."""
        if not self.isVisible() or self._grid == self._grid_sent:
            return
        self._grid_sent = self._grid
        self.handle.resize(*self._grid)

    def _layout_children(self) -> None:
        width = self.scrollbar.sizeHint().width()
        self.scrollbar.setGeometry(self.width() - width, 0, width, self.height())
        hint = self.find_bar.sizeHint()
        bar_width = min(max(hint.width(), 360), self.width() - width)
        self.find_bar.setGeometry(self.width() - width - bar_width, 0, bar_width, hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._layout_children()
        self._update_grid()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._update_grid()
        self._send_grid()
        self._shown_once = True

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.DevicePixelRatioChange:
            self._configure_look()  # cell metrics snap to the new device pixels
        super().changeEvent(event)

    def zoom_in(self) -> None:
        self._zoom(self._font_size + 1)

    def zoom_out(self) -> None:
        self._zoom(self._font_size - 1)

    def zoom_reset(self) -> None:
        self._zoom(self.settings.font_size)

    def _zoom(self, size: float) -> None:
        size = min(max(size, self.settings.font_size_min), self.settings.font_size_max)
        if size != self._font_size:
            self._font_size = size
            self._configure_look()

    # -- frames ---------------------------------------------------------------------------
    def _on_frame(self, frame: Frame) -> None:
        replica = self.replica
        old_total, old_alt, old_title = replica.history_total, replica.alternate, replica.title
        old_shape = replica.cursor.shape
        damaged = replica.apply(frame)
        if replica.alternate != old_alt:
            self._top = None
            self.selection = None
        if replica.history_total < old_total:
            # The producer's numbering restarted (a new session behind the handle):
            # fetched lines and the reading position no longer mean anything.
            self._fetched.clear()
            self._top = None
        if self._top is not None:
            self._top = max(self._top, self._oldest_number())
        self._update_scrollbar()
        if replica.title != old_title:
            self.title_changed.emit(replica.title)
        if replica.cursor.shape != old_shape:
            self._restart_blink()  # DECSCUSR may have turned blinking on or off
        if replica.history_total != old_total or self._top is not None:
            self.update()
        else:
            for row in damaged:
                self.update(self._row_rect(row))
        if damaged and not self.isVisible():
            self.activity.emit()
        if self.find_bar.isVisible() and self.finder.active and not self._find_timer.isActive():
            self._find_timer.start()
        if QAccessible.isActive() and not self._a11y_timer.isActive():
            self._a11y_timer.start()  # at most a few notices a second, even under a flood

    def top_number(self) -> int:
        """Absolute number of the line in the top row."""
        return self.replica.history_total if self._top is None else self._top

    @property
    def at_bottom(self) -> bool:
        return self._top is None

    def _oldest_number(self) -> int:
        r = self.replica
        return min(r.history_total - r.history_size, r.first_held_number)

    def line(self, number: int) -> Line | None:
        """The line with absolute ``number``, from the replica or fetched history."""
        found = self.replica.line(number)
        if found is None:
            found = self._fetched.get(number)
        return found

    def _row_rect(self, row: int) -> QRect:
        m = self.painter.metrics
        top = self.grid_origin().y() + row * m.height
        return QRect(0, math.floor(top), self.width(), math.ceil(m.height) + 1)

    # -- scrolling ------------------------------------------------------------------------
    def _update_scrollbar(self) -> None:
        r = self.replica
        bar = self.scrollbar
        bar.blockSignals(True)
        bar.setRange(self._oldest_number(), r.history_total)
        bar.setPageStep(max(self._grid[1], 1))
        bar.setSingleStep(1)
        bar.setValue(self.top_number())
        bar.blockSignals(False)

    def _on_scrollbar(self, value: int) -> None:
        self.scroll_to(value)

    def scroll_to(self, number: int) -> None:
        """Show ``number`` in the top row (the bottom or beyond follows the screen)."""
        r = self.replica
        number = max(min(number, r.history_total), self._oldest_number())
        new_top = None if number >= r.history_total else number
        if new_top == self._top:
            return
        self._top = new_top
        if new_top is not None:
            self._ensure_history(new_top)
        self._update_scrollbar()
        self.update()

    def scroll_lines(self, delta: int) -> None:
        self.scroll_to(self.top_number() + delta)

    def scroll_to_bottom(self) -> None:
        self.scroll_to(self.replica.history_total)

    def _ensure_history(self, top: int) -> None:
        """Fetch the history lines the rows from ``top`` need that nothing here holds:
        a window around them, not everything back to ``top`` (a jump to the oldest line
        of a long history costs one page, not the whole history)."""
        r = self.replica
        held_from = r.first_held_number
        end = min(top + max(self._grid[1], 1), held_from)
        if all(n in self._fetched for n in range(top, end)):
            return
        first = max(top - FETCH_CHUNK // 2, r.history_total - r.history_size, 0)
        end = min(end + FETCH_CHUNK // 2, held_from)
        if first >= end:
            return
        try:
            fetched = sorted(self.handle.fetch_history(first, end - first), key=lambda t: t[0])
        except Exception:  # a backend that cannot page: show blanks, keep working
            return
        if fetched and fetched[-1][0] == held_from - 1:
            # Joins the replica's history: keep it there while the replica has room.
            added = r.prepend_history(fetched[0][0], [line for _, line in fetched])
            fetched = fetched[: len(fetched) - added]
        for number, line in fetched:
            self._fetched[number] = line
            self._fetched.move_to_end(number)
        while len(self._fetched) > FETCHED_KEEP:
            self._fetched.popitem(last=False)

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        rect = event.rect()
        pal = self.palette_
        p.fillRect(rect, pal.background)
        m = self.painter.metrics
        origin = self.grid_origin()
        ox, oy = origin.x(), origin.y()
        _columns, rows = self._grid
        first = max(int((rect.top() - oy) / m.height), 0)
        last = min(int((rect.bottom() - oy) / m.height), rows - 1)
        top = self.top_number()
        styles = self.replica.styles
        for row in range(first, last + 1):
            number = top + row
            line = self.line(number)
            overlays = self._overlays(number)
            link = self._hover[1] if self._hover and self._hover[0] == number else None
            y = oy + row * m.height
            if line is not None:
                self.painter.paint_row(
                    p, ox, y, line, styles, overlays, (link.start, link.end) if link else None
                )
            else:
                for start, end, colour in overlays:
                    p.fillRect(QRectF(ox + start * m.width, y, (end - start) * m.width,
                                      m.height), colour)
        self._paint_cursor(p, ox, oy, top)
        if self._flash:
            flash = QColor(pal.foreground)
            flash.setAlpha(60)
            p.fillRect(self.rect(), flash)
        if self._overlay_text:
            self.painter.paint_notice(p, QPointF(self.contentsRect().center()), self._overlay_text)
        p.end()

    def _overlays(self, number: int) -> list[Overlay]:
        overlays: list[Overlay] = []
        columns = max(self._grid[0], self.replica.columns)
        for i, match in self.finder.on_line(number):
            span = match.columns_on(number, columns)
            if span:
                colour = CURRENT_MATCH_COLOUR if i == self.finder.current else MATCH_COLOUR
                overlays.append((span[0], span[1], colour))
        if self.selection is not None:
            span = self.selection.columns_on(number, columns)
            if span:
                overlays.append((span[0], span[1], self.palette_.selection_background))
        return overlays

    def _cursor_shape(self) -> tuple[str, bool]:
        shape = self.replica.cursor.shape
        if shape in _SHAPES:
            return _SHAPES[shape], shape % 2 == 1
        name = self.settings.cursor_shape
        return (name if name in ("block", "underline", "bar") else "block"), (
            self.settings.cursor_blink
        )

    def _paint_cursor(self, p: QPainter, ox: float, oy: float, top: int) -> None:
        r = self.replica
        cursor = r.cursor
        row = r.history_total + cursor.y - top
        if not cursor.visible or not 0 <= row < self._grid[1]:
            return
        m = self.painter.metrics
        x, y = ox + cursor.x * m.width, oy + row * m.height
        focused = self.hasFocus()
        if self._preedit:
            self.painter.paint_preedit(p, x, y, self._preedit)
            return
        shape, _ = self._cursor_shape()
        if focused and not self._blink_on:
            return
        line = r.lines[cursor.y] if 0 <= cursor.y < len(r.lines) else None
        cluster, cells, sid = cluster_at(line, cursor.x) if line else (" ", 1, 0)
        style = r.styles.get(sid)
        look = self.painter.look(style) if style is not None else None
        self.painter.paint_cursor(p, x, y, cells, shape, focused, cluster, look)

    def _show_overlay(self, text: str) -> None:
        self._overlay_text = text
        self._overlay_timer.start(self.settings.resize_overlay_ms)
        self.update()

    def _hide_overlay(self) -> None:
        self._overlay_text = ""
        self.update()

    def overlay_text(self) -> str:
        """The size overlay shown now ("" when none), e.g. "120×40"."""
        return self._overlay_text

    # -- cursor blink ---------------------------------------------------------------------
    def _restart_blink(self) -> None:
        self._blink_on = True
        _, blinks = self._cursor_shape()
        if blinks and self.hasFocus() and self.settings.cursor_blink_ms > 0:
            self._blink.start()
        else:
            self._blink.stop()
        self._update_cursor_row()

    def _toggle_blink(self) -> None:
        self._blink_on = not self._blink_on
        self._update_cursor_row()

    def _update_cursor_row(self) -> None:
        r = self.replica
        row = r.history_total + r.cursor.y - self.top_number()
        if 0 <= row < max(self._grid[1], 1):
            self.update(self._row_rect(row))

    # -- keyboard -------------------------------------------------------------------------
    def focusNextPrevChild(self, forward: bool) -> bool:
        return False  # Tab and Shift+Tab belong to the program

    def event(self, event: QEvent) -> bool:
        # Some Qt styles bind Tab before keyPressEvent sees it; take it here.
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
        ):
            self.keyPressEvent(event)
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers() & MOD_MASK
        if self._shortcut(key, mods):
            event.accept()
            return
        if key == Qt.Key.Key_Control:
            self._update_hover(self.mapFromGlobal(self.cursor().pos()), True)
        translated = keymap.translate(key, event.modifiers(), event.text())
        event.accept()  # a terminal keeps every key, even those that send nothing
        if translated is None:
            return
        self.send_input(encode(translated[0], translated[1], self.key_modes()))

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Control and self._hover is not None:
            self._set_hover(None)
        super().keyReleaseEvent(event)

    def key_modes(self) -> KeyModes:
        r = self.replica
        return KeyModes.from_modes(
            r.private_modes, r.ansi_modes, backspace_sends_bs=self.settings.backspace_sends_ctrl_h
        )

    def _shortcut(self, key: int, mods: Qt.KeyboardModifier) -> bool:
        ctrl_shift = mods == CTRL | SHIFT
        if ctrl_shift and key == Qt.Key.Key_C:
            self.copy()
        elif (ctrl_shift and key == Qt.Key.Key_V) or (mods == SHIFT and key == Qt.Key.Key_Insert):
            self.paste()
        elif ctrl_shift and key == Qt.Key.Key_F:
            self.show_find()
        elif mods == SHIFT and key == Qt.Key.Key_PageUp:
            self.scroll_lines(-max(self._grid[1] - 1, 1))
        elif mods == SHIFT and key == Qt.Key.Key_PageDown:
            self.scroll_lines(max(self._grid[1] - 1, 1))
        elif mods == SHIFT and key == Qt.Key.Key_Home:
            self.scroll_to(self._oldest_number())
        elif mods == SHIFT and key == Qt.Key.Key_End:
            self.scroll_to_bottom()
        elif mods in (CTRL, CTRL | SHIFT) and key in (Qt.Key.Key_Equal, Qt.Key.Key_Plus):
            self.zoom_in()
        elif mods == CTRL and key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
        elif mods == CTRL and key == Qt.Key.Key_0:
            self.zoom_reset()
        elif key == Qt.Key.Key_F3 and self.find_bar.isVisible() and mods in (SHIFT, NO_MODS):
            (self.find_previous if mods == SHIFT else self.find_next)()
        else:
            return False
        return True

    def send_input(self, data: bytes) -> None:
        """Send typed bytes to the program; typing returns the view to the bottom."""
        if not data:
            return
        self.scroll_to_bottom()
        self._restart_blink()
        self.handle.write(data)

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        commit = event.commitString()
        if commit:
            self.send_input(commit.encode("utf-8"))
        if self._preedit != event.preeditString():
            self._preedit = event.preeditString()
            self._update_cursor_row()
            self.update()
        event.accept()

    def inputMethodQuery(self, query: Qt.InputMethodQuery) -> object:
        q = Qt.InputMethodQuery
        if query == q.ImCursorRectangle:
            return self.cursor_rect()
        if query == q.ImFont:
            return self.painter.fonts[0]
        if query == q.ImEnabled:
            return True
        if query in (q.ImCursorPosition, q.ImAnchorPosition):
            return 0
        if query in (q.ImSurroundingText, q.ImCurrentSelection):
            return ""
        if query == q.ImHints:
            return Qt.InputMethodHint.ImhNoPredictiveText | Qt.InputMethodHint.ImhNoAutoUppercase
        return super().inputMethodQuery(query)

    def cursor_rect(self) -> QRect:
        """The cursor's cell in widget coordinates (where input methods put their popup)."""
        r = self.replica
        m = self.painter.metrics
        origin = self.grid_origin()
        row = r.history_total + r.cursor.y - self.top_number()
        return QRectF(
            origin.x() + r.cursor.x * m.width, origin.y() + row * m.height, m.width, m.height
        ).toAlignedRect()

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        if mouse.FOCUS_EVENTS in self.replica.private_modes:
            self.handle.write(mouse.FOCUS_IN)
        self._restart_blink()
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if mouse.FOCUS_EVENTS in self.replica.private_modes:
            self.handle.write(mouse.FOCUS_OUT)
        self._restart_blink()
        self._set_hover(None)
        self.update()

    # -- copy and paste -------------------------------------------------------------------
    def selected_text(self) -> str:
        if self.selection is None or self.selection.empty:
            return ""
        return selected_text(self.selection, self.line, max(self.replica.columns, 1))

    def copy(self) -> None:
        text = self.selected_text()
        if text:
            self._clipboard.setText(text, QClipboard.Mode.Clipboard)

    def paste(self) -> None:
        self.paste_text(self._clipboard.text(QClipboard.Mode.Clipboard))

    def paste_primary(self) -> None:
        if self._clipboard.supportsSelection():
            text = self._clipboard.text(QClipboard.Mode.Selection)
        else:
            text = self._last_selected
        self.paste_text(text)

    def paste_text(self, text: str) -> None:
        """Paste ``text``: bracketed when the program asked, after a question when
        several lines would run as commands one by one."""
        if not text:
            return
        modes = self.replica.private_modes
        if BRACKETED_PASTE not in modes and paste_is_multiline(text) and (
            self.settings.paste_warning
        ):
            ok, never_again = self._confirm_paste(self, text)
            if never_again:
                self.settings = replace(self.settings, paste_warning=False)
                self.settings_changed.emit(self.settings)
            if not ok:
                return
        self.send_input(encode_paste(text, modes))

    def _on_clipboard_request(self, which: str, text: str) -> None:
        # OSC 52 from the program: set the clipboard ("c") or the primary selection ("p").
        if not self.settings.allow_clipboard_write:
            return
        if ("p" in which or "s" in which) and self._clipboard.supportsSelection():
            self._clipboard.setText(text, QClipboard.Mode.Selection)
        if "c" in which or not which:
            self._clipboard.setText(text, QClipboard.Mode.Clipboard)

    def _selection_finished(self) -> None:
        text = self.selected_text()
        if not text:
            return
        self._last_selected = text
        if self._clipboard.supportsSelection():
            self._clipboard.setText(text, QClipboard.Mode.Selection)
        if self.settings.copy_on_select:
            self._clipboard.setText(text, QClipboard.Mode.Clipboard)

    def clear_selection(self) -> None:
        if self.selection is not None:
            self.selection = None
            self.update()

    # -- mouse ----------------------------------------------------------------------------
    def _cell(self, pos: QPointF | QPoint) -> tuple[int, int, int]:
        """(row, column, nearest column boundary) under ``pos``, clamped to the grid."""
        m = self.painter.metrics
        origin = self.grid_origin()
        x, y = pos.x() - origin.x(), pos.y() - origin.y()
        columns, rows = self._grid
        row = min(max(math.floor(y / m.height), 0), rows - 1)
        col = min(max(math.floor(x / m.width), 0), columns - 1)
        boundary = min(max(round(x / m.width), 0), columns)
        return row, col, boundary

    def _point(self, pos: QPointF | QPoint, boundary: bool = True) -> tuple[int, int]:
        row, col, edge = self._cell(pos)
        return self.top_number() + row, edge if boundary else col

    def _reporting(self, mods: Qt.KeyboardModifier) -> int | None:
        if mods & SHIFT:
            return None  # Shift bypasses the program: select locally
        return mouse.tracking_mode(self.replica.private_modes)

    def _report(self, action: mouse.MouseAction, button: mouse.MouseButton, event: object) -> None:
        pos = event.position()  # type: ignore[attr-defined]
        row, col, _ = self._cell(pos)
        mods = keymap.modifiers(event.modifiers())  # type: ignore[attr-defined]
        report = mouse.MouseEvent(action, button, col, row, mods)
        data = mouse.encode_mouse(report, self.replica.private_modes)
        self._last_report_cell = (row, col)
        if data:
            self.handle.write(data)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        button = event.button()
        mods = event.modifiers() & MOD_MASK
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if self._reporting(mods) is not None and button in _BUTTONS:
            self._report_button = _BUTTONS[button]
            self._report(mouse.MouseAction.PRESS, self._report_button, event)
            return
        pos = event.position()
        if button == Qt.MouseButton.LeftButton and mods & CTRL:
            link = self._link_at(pos)
            if link is not None:
                self._activate_link(link.url)
                return
        if button == Qt.MouseButton.MiddleButton:
            self.paste_primary()
            return
        if button != Qt.MouseButton.LeftButton:
            return
        now = time.monotonic()
        last_time, last_pos = self._last_click
        near = (pos.toPoint() - last_pos).manhattanLength() <= QApplication.startDragDistance()
        interval = QApplication.doubleClickInterval() / 1000
        self._clicks = self._clicks % 3 + 1 if near and now - last_time <= interval else 1
        self._last_click = (now, pos.toPoint())
        number, column = self._point(pos)
        if self._clicks == 2:
            self.selection = word_selection(
                self.line, self._point(pos, boundary=False), self.settings.word_chars
            )
        elif self._clicks == 3:
            self.selection = line_selection(self.line, number, max(self.replica.columns, 1))
        elif mods & SHIFT and self.selection is not None:
            self.selection = self._extend(self.selection, (number, column), pos)
        else:
            mode = Mode.BLOCK if mods & ALT else Mode.CHARS
            self.selection = Selection((number, column), (number, column), mode)
        self._selecting = True
        self.update()

    def _extend(self, selection: Selection, point: tuple[int, int], pos: QPointF) -> Selection:
        if selection.mode in (Mode.WORDS, Mode.LINES):
            point = self._point(pos, boundary=False)
            moved = Selection(selection.anchor, point, selection.mode, selection.anchor_span)
            return expand(moved, self.line, self.settings.word_chars, self.replica.columns)
        return Selection(selection.anchor, point, selection.mode)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        mods = event.modifiers() & MOD_MASK
        pos = event.position()
        tracking = self._reporting(mods)
        if tracking is not None and not self._selecting:
            held = self._report_button
            if tracking == mouse.ANY_EVENT_MOUSE or (
                held is not None and tracking == mouse.BUTTON_EVENT_MOUSE
            ):
                row, col, _ = self._cell(pos)
                if (row, col) != self._last_report_cell:
                    button = held if held is not None else mouse.MouseButton.NONE
                    self._report(mouse.MouseAction.MOTION, button, event)
            return
        if self._selecting and self.selection is not None:
            m = self.painter.metrics
            if pos.y() < self.contentsRect().top():
                self.scroll_lines(-1)
            elif pos.y() > self.contentsRect().bottom() - m.height / 2 and not self.at_bottom:
                self.scroll_lines(1)
            self.selection = self._extend(self.selection, self._point(pos), pos)
            self.update()
            return
        self._update_hover(pos, bool(mods & CTRL))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._report_button is not None and not self._selecting:
            button = self._report_button
            self._report_button = None
            # The press was reported, so the release is too, even with Shift held now:
            # otherwise the program would think the button is still down.
            if mouse.tracking_mode(self.replica.private_modes) is not None:
                self._report(mouse.MouseAction.RELEASE, button, event)
            return
        if self._selecting:
            self._selecting = False
            if self.selection is not None and self.selection.empty:
                self.selection = None
                self.update()
            else:
                self._selection_finished()

    def wheelEvent(self, event: QWheelEvent) -> None:
        self._wheel_rest += event.angleDelta().y()
        steps = int(self._wheel_rest / 120)
        if steps == 0:
            return
        self._wheel_rest -= steps * 120
        mods = event.modifiers() & MOD_MASK
        r = self.replica
        if self._reporting(mods) is not None:
            button = mouse.MouseButton.WHEEL_UP if steps > 0 else mouse.MouseButton.WHEEL_DOWN
            for _ in range(abs(steps)):
                self._report(mouse.MouseAction.PRESS, button, event)
        elif r.alternate and not mods & SHIFT:
            key = Key.UP if steps > 0 else Key.DOWN
            data = encode(key, Mod.NONE, self.key_modes())
            self.handle.write(data * (abs(steps) * max(self.settings.wheel_lines, 1)))
        else:
            self.scroll_lines(-steps * max(self.settings.wheel_lines, 1))
        event.accept()

    # -- links ----------------------------------------------------------------------------
    def _link_at(self, pos: QPointF | QPoint) -> LinkSpan | None:
        row, col, _ = self._cell(pos)
        line = self.line(self.top_number() + row)
        return link_at(line, col, self.replica.styles) if line is not None else None

    def _update_hover(self, pos: QPointF | QPoint, ctrl: bool) -> None:
        point = pos.toPoint() if isinstance(pos, QPointF) else pos
        if not ctrl or not self.contentsRect().contains(point):
            self._set_hover(None)
            return
        link = self._link_at(pos)
        row, _, _ = self._cell(pos)
        self._set_hover((self.top_number() + row, link) if link else None)

    def _set_hover(self, hover: tuple[int, LinkSpan] | None) -> None:
        if hover == self._hover:
            return
        for item in (self._hover, hover):
            if item is not None:
                self.update(self._row_rect(item[0] - self.top_number()))
        self._hover = hover
        self.setCursor(
            Qt.CursorShape.PointingHandCursor if hover else Qt.CursorShape.IBeamCursor
        )

    def hovered_link(self) -> str:
        return self._hover[1].url if self._hover else ""

    def _activate_link(self, url: str) -> None:
        if safe_to_open(url):
            self._open_url(url)
            self.link_opened.emit(url)

    # -- find -----------------------------------------------------------------------------
    def show_find(self) -> None:
        self._layout_children()
        self.find_bar.open_bar(self.selected_text().split("\n")[0])

    def find(  # type: ignore[override]
        self, text: str | None = None, *, case_sensitive: bool = False, regex: bool = False
    ) -> int:
        """Search for ``text``, highlight every match and go to the newest; returns the
        number of matches. Without ``text``, open the find bar (the window's "find"
        action calls ``find()``). Shadows the static ``QWidget.find(window_id)``."""
        if text is None:
            self.show_find()
            return len(self.finder.matches)
        return self.finder.search(text, case_sensitive, regex)

    def find_next(self) -> None:
        self.finder.next()

    def find_previous(self) -> None:
        self.finder.previous()

    @property
    def matches(self) -> list[Match]:
        return self.finder.matches

    @property
    def current_match(self) -> int | None:
        return self.finder.current

    def _reveal(self, match: Match) -> None:
        top, rows = self.top_number(), max(self._grid[1], 1)
        if not top <= match.line < top + rows:
            self.scroll_to(match.line - rows // 2)

    def _on_find_closed(self) -> None:
        self.finder.clear()
        self.setFocus()

    # -- bell -----------------------------------------------------------------------------
    def _on_bell(self) -> None:
        if self.settings.bell == "visual":
            self._flash = True
            self._bell_timer.start()
            self.update()
        if self.settings.bell_urgent:
            QApplication.alert(self.window())
        self.bell_rang.emit()

    def _end_flash(self) -> None:
        self._flash = False
        self.update()

    # -- accessibility --------------------------------------------------------------------
    def _visible_lines(self) -> list[str]:
        top = self.top_number()
        lines = []
        for row in range(max(self._grid[1], 1)):
            line = self.line(top + row)
            lines.append(line.text.rstrip() if line is not None else "")
        while lines and not lines[-1]:
            lines.pop()
        return lines

    def accessible_text(self) -> str:
        """The visible rows as text, one line per row (what a screen reader reads)."""
        return "\n".join(self._visible_lines())

    def accessible_cursor_offset(self) -> int:
        r = self.replica
        row = r.history_total + r.cursor.y - self.top_number()
        return accessibility.offset_of(self._visible_lines(), row, r.cursor.x)

    def accessible_character_rect(self, offset: int) -> QRect:
        cell = accessibility.cell_of(self._visible_lines(), offset)
        if cell is None:
            return QRect()
        m = self.painter.metrics
        origin = self.grid_origin()
        return QRectF(origin.x() + cell[1] * m.width, origin.y() + cell[0] * m.height,
                      m.width, m.height).toAlignedRect()

    def accessible_offset_at(self, point: QPoint) -> int:
        row, col, _ = self._cell(point)
        return accessibility.offset_of(self._visible_lines(), row, col)
