"""The main window: a tab bar of terminals, its key bindings and the warnings banner.

A window owns its tabs (``app.gui.tabs``) and nothing else: sessions come from the
application state (``AppState.make_handle``), views from ``AppState.make_view``, questions
to the person through ``AppState.confirm`` (a seam tests answer), the configuration from
``AppState.config``. Closing a tab or the window on purpose ends its programs, asking first
when one of them is busy; a tab whose program exits closes by itself unless it is held.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QFontMetricsF, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.config import KEY_ACTIONS, Config
from app.gui.backend import SessionHandle
from app.gui.tabs import TabPage, TabWidget

if TYPE_CHECKING:
    from app.gui.app_state import AppState

log = logging.getLogger(__name__)

APP_TITLE = "Emberterm"

# The window menu (☰ in the tab bar's corner), in order; None is a separator.
MENU: tuple[tuple[str, str | None], ...] = (
    ("New tab", "new_tab"), ("New private tab", "new_private_tab"),
    ("New window", "new_window"), ("", None),
    ("Copy", "copy"), ("Paste", "paste"), ("", None),
    ("Find in this tab…", "find"), ("Search all history…", "global_search"), ("", None),
    ("Zoom in", "zoom_in"), ("Zoom out", "zoom_out"), ("Reset zoom", "zoom_reset"), ("", None),
    ("Close tab", "close_tab"),
)


@dataclass(frozen=True)
class Launch:
    """What the first tab of a new window runs (the command line's part)."""

    argv: Sequence[str] | None = None  # None: the configured shell
    cwd: str | None = None
    hold: bool = False
    title: str = ""
    columns: int | None = None  # None: the configured window size
    rows: int | None = None
    handle: SessionHandle | None = None  # an existing session to show (a restored tab)


BANNER_BACKGROUND = "#5c3b00"
BANNER_TEXT = "#ffe9b8"


class Banner(QWidget):
    """A non-modal strip at the top of the window for warnings; the person dismisses it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        # A plain QWidget subclass paints a style sheet's background only with this
        # attribute; without it the light text stood on the window's light grey.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(f"#banner {{ background: {BANNER_BACKGROUND}; }} "
                           f"#banner QLabel {{ color: {BANNER_TEXT}; }}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        self.action = QPushButton(self)
        self.action.setObjectName("bannerAction")
        self.action.hide()
        self._act: Callable[[], None] | None = None
        self.action.clicked.connect(self._on_action)
        layout.addWidget(self.action, 0, Qt.AlignmentFlag.AlignTop)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_messages(self, messages: Sequence[str]) -> None:
        if not messages:
            return
        self.label.setText("\n".join(messages))
        self.show()

    def offer(self, message: str, button: str, act: Callable[[], None]) -> None:
        """A message with one action button; clicking it acts and dismisses the banner."""
        self.show_messages([message])
        self.action.setText(button)
        self._act = act
        self.action.show()

    def _on_action(self) -> None:
        act, self._act = self._act, None
        self.hide()
        self.action.hide()
        if act is not None:
            act()


class MainWindow(QMainWindow):
    """One window of tabs."""

    # Emitted once when the window has closed (its tabs' programs are ended).
    closed = Signal()

    def __init__(self, state: AppState, launch: Launch | None = None) -> None:
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(APP_TITLE)
        self._state = state
        self._closing = False
        self._wanted_grid: tuple[int, int] | None = None
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.banner = Banner(central)
        self.tabs = TabWidget(central)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        # The window's menu: the actions that have keys, for those who look for them.
        self.menu_button = QToolButton(self.tabs)
        self.menu_button.setObjectName("windowMenu")
        self.menu_button.setText("☰")
        self.menu_button.setAutoRaise(True)
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.menu_button)
        self.menu_button.setMenu(self.menu)
        self.tabs.setCornerWidget(self.menu_button, Qt.Corner.TopLeftCorner)
        self.link_status = QLabel(self.tabs)
        self.link_status.setObjectName("linkStatus")
        self.link_status.setContentsMargins(6, 0, 6, 0)
        self.tabs.setCornerWidget(self.link_status, Qt.Corner.TopRightCorner)
        self._link = getattr(state, "link", None)
        if self._link is not None:
            self._on_link_status(self._link.status_text())
            # A bound slot: Qt disconnects it when this window is deleted.
            self._link.status_changed.connect(self._on_link_status)
        self.tabs.currentChanged.connect(self._on_current_changed)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.actions_by_name: dict[str, QAction] = {}
        self._make_actions()
        self.apply_config(state.config)
        launch = launch or Launch()
        page = self.open_tab(
            launch.argv,
            cwd=launch.cwd,
            hold=launch.hold,
            title=launch.title,
            columns=launch.columns,
            rows=launch.rows,
            handle=launch.handle,
        )
        self._size_for(page, launch.columns or state.config["window.columns"],
                       launch.rows or state.config["window.rows"])

    # -- tabs ------------------------------------------------------------------------
    def pages(self) -> list[TabPage]:
        return self.tabs.pages()

    def current_page(self) -> TabPage | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, TabPage) else None

    def open_tab(
        self,
        argv: Sequence[str] | None = None,
        *,
        cwd: str | None = None,
        hold: bool = False,
        title: str = "",
        columns: int | None = None,
        rows: int | None = None,
        handle: SessionHandle | None = None,
        private: bool = False,
    ) -> TabPage:
        """Start a program in a new tab (the configured shell when ``argv`` is None), or
        show the existing session ``handle`` (a tab restored after the GUI was killed).

        A program that cannot start gives a tab showing why, never an exception.
        """
        config = self._state.config
        columns = columns or config["window.columns"]
        rows = rows or config["window.rows"]
        command = list(argv) if argv else self._state.shell_argv()
        program = command[0] if command else ""
        try:
            if handle is None:
                handle = self._state.make_handle(command, cwd=cwd, columns=columns, rows=rows,
                                                 private=private)
        except Exception as exc:  # any failure to start is shown in the tab, not raised
            log.warning("cannot start %r in %r: %s", command, cwd, exc)
            page = TabPage(None, None, initial_title=title, program=program,
                           error=f"Cannot start {program or 'the shell'}:\n{exc}")
        else:
            try:
                view = self._state.make_view(handle)
            except Exception as exc:  # a view that cannot be built must not leak the program
                log.exception("cannot make a view for %r", command)
                handle.close()
                page = TabPage(None, None, initial_title=title, program=program,
                               error=f"Cannot show {program or 'the shell'}:\n{exc}")
            else:
                page = TabPage(handle, view, hold=hold, initial_title=title, program=program)
                handle.setParent(page)
                changed = getattr(view, "settings_changed", None)
                if changed is not None:
                    changed.connect(self._state.remember_view_settings)
        page.title_changed.connect(self._on_page_title_changed)
        page.finished.connect(self._on_page_finished)
        page.bell_rang.connect(self._on_bell)
        page.restart_requested.connect(lambda p=page: self._restart(p))
        index = self.tabs.addTab(page, page.tab_text())
        self.tabs.setCurrentIndex(index)
        page.setFocus()
        return page

    def _restart(self, page: TabPage) -> None:
        """"Restart here": the same command in the same directory, in place of the tab
        whose session ended with a crashed worker."""
        argv, cwd = page.restart_spec()
        index = self.tabs.indexOf(page)
        fresh = self.open_tab(argv, cwd=cwd if cwd and os.path.isdir(cwd) else None)
        self.tabs.tabBar().moveTab(self.tabs.indexOf(fresh), index)
        page.shutdown()
        self._remove(page)
        self.tabs.setCurrentWidget(fresh)

    def new_private_tab(self) -> TabPage:
        """A shell whose output is never written to the history store."""
        current = self.current_page()
        cwd = current.cwd() if current else ""
        page = self.open_tab(None, cwd=cwd or None, title="private", private=True)
        return page

    def new_tab(self) -> TabPage:
        """A shell in a new tab, in the current tab's working directory."""
        current = self.current_page()
        cwd = current.cwd() if current else ""
        return self.open_tab(None, cwd=cwd or None)

    def close_tab(self, index: int | None = None) -> bool:
        """Close a tab on purpose (the current one by default); False if the person declined."""
        if index is None:
            index = self.tabs.currentIndex()
        if not 0 <= index < self.tabs.count():
            return False
        page = self.tabs.page(index)
        if page.is_busy() and not self._state.confirm(
            self,
            "Close tab?",
            f"“{page.busy_program()}” is still running in this tab.\n"
            "Closing the tab ends it.",
        ):
            return False
        page.shutdown()
        self._remove(page)
        return True

    def _remove(self, page: TabPage) -> None:
        index = self.tabs.indexOf(page)
        if index >= 0:
            self.tabs.removeTab(index)
        page.deleteLater()
        if self.tabs.count() == 0 and not self._closing:
            self.close()

    def _on_page_finished(self) -> None:
        page = self.sender()
        if isinstance(page, TabPage):
            self._remove(page)

    def _on_page_title_changed(self) -> None:
        page = self.sender()
        if isinstance(page, TabPage):
            self._retitle(page)

    def _retitle(self, page: TabPage) -> None:
        index = self.tabs.indexOf(page)
        if index < 0:
            return
        self.tabs.setTabText(index, page.tab_text())
        self.tabs.setTabToolTip(index, page.title())
        if page is self.current_page():
            self.setWindowTitle(page.title() or APP_TITLE)

    def _on_current_changed(self, index: int) -> None:
        for other in self.pages():
            other.set_current(False)
        page = self.current_page()
        if page is None:
            return
        page.set_current(True)
        self._retitle(page)
        page.setFocus()

    def _on_bell(self) -> None:
        # QApplication.alert does nothing for the active window, so no check here.
        if self._state.config["bell.urgent"]:
            self._state.alert(self)

    # -- window ----------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        # Quitting (or closing again) asks nobody, not even the worker which tabs are busy.
        if not (self._closing or self._state.quitting):
            busy = [page.busy_program() for page in self.pages() if page.is_busy()]
            if busy and not self._state.confirm(
                self,
                "Close window?",
                "Still running: " + ", ".join(f"“{name}”" for name in busy) + ".\n"
                "Closing the window ends them.",
            ):
                event.ignore()
                return
        self._closing = True
        for page in self.pages():
            page.shutdown()
        event.accept()
        super().closeEvent(event)
        self.closed.emit()

    def _on_link_status(self, text: str) -> None:
        self.show_link_status(text, self._link.status_detail() if self._link else "")

    def show_link_status(self, text: str, detail: str) -> None:
        """The session server's health, in the tab bar's corner (detail as tooltip)."""
        self.link_status.setText(text)
        self.link_status.setToolTip(detail)
        self.link_status.setVisible(bool(text))

    def show_warnings(self, messages: Sequence[str]) -> None:
        self.banner.show_messages(messages)
        self.fit()

    def apply_config(self, config: Config) -> None:
        """Key bindings and view settings from ``config`` (at start and on every reload)."""
        problems = []
        for name, action in self.actions_by_name.items():
            text = config.shortcut(name)
            sequence = QKeySequence.fromString(text, QKeySequence.SequenceFormat.PortableText)
            if text and (sequence.isEmpty() or not sequence.toString()):
                problems.append(f"keys.{name}: Qt does not know the shortcut “{text}”")
            action.setShortcut(sequence)
        if problems:
            self.show_warnings(problems)
        settings = self._state.view_settings()
        self.tabs.for_each_page(lambda page: page.apply_settings(settings))

    def _make_actions(self) -> None:
        handlers: dict[str, Callable[[], Any]] = {
            "new_tab": self.new_tab,
            "close_tab": self.close_tab,
            "next_tab": lambda: self.tabs.cycle(1),
            "previous_tab": lambda: self.tabs.cycle(-1),
            "next_tab_alt": lambda: self.tabs.cycle(1),
            "previous_tab_alt": lambda: self.tabs.cycle(-1),
            "move_tab_right": lambda: self.tabs.move_current(1),
            "move_tab_left": lambda: self.tabs.move_current(-1),
            "new_window": self._new_window,
            "new_private_tab": self.new_private_tab,
            "global_search": self.show_global_search,
            "copy": lambda: self._view_call("copy"),
            "paste": lambda: self._view_call("paste"),
            "find": lambda: self._view_call("show_find"),
            "zoom_in": lambda: self._view_call("zoom_in"),
            "zoom_out": lambda: self._view_call("zoom_out"),
            "zoom_reset": lambda: self._view_call("zoom_reset"),
        }
        for name in KEY_ACTIONS:
            action = QAction(name.replace("_", " "), self)
            action.setObjectName(name)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda *_, fn=handlers[name]: fn())
            self.addAction(action)
            self.actions_by_name[name] = action
        for label, name in MENU:
            if name is None:
                self.menu.addSeparator()
                continue
            self.actions_by_name[name].setText(label)
            self.menu.addAction(self.actions_by_name[name])

    def show_global_search(self) -> None:
        """The search of every session's history (needs the session server)."""
        show = getattr(self._state, "show_global_search", None)
        if show is not None:
            show(self)

    def _new_window(self) -> None:
        current = self.current_page()
        cwd = current.cwd() if current else ""
        self._state.new_window(Launch(cwd=cwd or None))

    def _view_call(self, *names: str) -> None:
        page = self.current_page()
        view = page.view if page else None
        for name in names:
            fn = getattr(view, name, None)
            if callable(fn):
                fn()
                return

    def _size_for(self, page: TabPage, columns: int, rows: int) -> None:
        """Size the window so the first view shows ``columns`` x ``rows`` cells.

        The page asks for exactly that view size (its ``sizeHint``), so the window's own
        size hint adds the tab bar, the banner and the style's margins; ``fit`` applies it
        before the window is shown (no resize, no size overlay after). Once shown, a last
        correction (``_fit_grid``) covers what hints cannot know.
        """
        self._wanted_grid = (columns, rows)
        if page.view is not None:
            width, height = self._cell_size(page)
            margins = page.view.contentsMargins()
            page.wanted_view_size = QSize(
                math.ceil(columns * width) + margins.left() + margins.right(),
                math.ceil(rows * height) + margins.top() + margins.bottom(),
            )
        self.fit()

    def fit(self) -> None:
        """Resize to the size hint while not yet shown (after the banner changed)."""
        if not self.isVisible() and self._wanted_grid is not None:
            # The central widget is all there is (no menus, tool or status bars). Its
            # layout caches hints until a posted layout request, so drop the cache.
            central = self.centralWidget()
            layout = central.layout() if central is not None else None
            if central is not None and layout is not None:
                layout.invalidate()
                self.resize(central.sizeHint())

    def _cell_size(self, page: TabPage) -> tuple[float, float]:
        cell = getattr(page.view, "cell_size", None)
        if callable(cell):
            size = cell()
            return float(size.width()), float(size.height())
        settings = self._state.view_settings()
        font = QFont(getattr(settings, "font_family", "monospace"))
        font.setPointSizeF(float(getattr(settings, "font_size", 11)))
        metrics = QFontMetricsF(font)
        return metrics.horizontalAdvance("M"), metrics.height()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._wanted_grid is not None:
            QTimer.singleShot(0, self, self._fit_grid)

    def _fit_grid(self) -> None:
        wanted, self._wanted_grid = self._wanted_grid, None
        page = self.current_page()
        if wanted is None or page is None or page.view is None:
            return
        columns, rows = wanted
        width, height = self._cell_size(page)
        area = page.view.contentsRect()
        grow_w = math.ceil(columns * width) - area.width()
        grow_h = math.ceil(rows * height) - area.height()
        if grow_w or grow_h:
            self.resize(self.width() + grow_w, self.height() + grow_h)
