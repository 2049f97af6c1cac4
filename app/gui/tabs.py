"""One tab's page and the tab widget that holds them.

A ``TabPage`` is what sits in one tab: the terminal view of one session, plus a line under
it for the session's notices and, when the program has exited and the tab is held, the
"[process exited with status N]" line. A page whose program could not start shows the
error instead of a view. The page works out its tab's title (the program's OSC 0/2 title,
else the ``--title`` given, else the foreground process) and tracks the activity and bell
marks the tab bar shows while the tab is in the background.

It listens to the ``SessionHandle`` directly (frames carry the title; the handle rings the
bell), so it depends on the view only for the view's constructor and ``apply_settings``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QPushButton, QTabBar, QTabWidget, QVBoxLayout, QWidget

from app.gui.backend import SessionHandle

log = logging.getLogger(__name__)

# How often a tab without a program-set title looks at the foreground process name.
TITLE_POLL_MS = 1000

ACTIVITY_MARK = "● "
BELL_MARK = "🔔 "


def exit_message(status: int | None) -> str:
    if status is None:
        return "[process exited]"
    if status < 0:
        return f"[process killed by signal {-status}]"
    return f"[process exited with status {status}]"


class TabPage(QWidget):
    """The contents of one tab. ``handle`` is None when the program failed to start."""

    # The title or a mark changed: the window repaints the tab text (and its own title).
    title_changed = Signal()
    # The program exited and the tab is not held: the window removes the tab.
    finished = Signal()
    # The program rang the bell (whether or not the tab is current).
    bell_rang = Signal()
    # "Restart here" was clicked on a tab whose session ended with a crashed worker.
    restart_requested = Signal()

    def __init__(
        self,
        handle: SessionHandle | None,
        view: QWidget | None,
        *,
        hold: bool = False,
        initial_title: str = "",
        program: str = "",
        error: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.handle = handle
        self.view = view
        self.hold = hold
        self.exit_status: int | None = None
        self.exited = handle is None
        self.activity = False
        self.bell = False
        self.current = False
        self._initial_title = initial_title
        self._program = os.path.basename(program) if program else ""
        self._program_title = ""
        self._foreground = ""
        self._shutting_down = False
        self.restart_button: QPushButton | None = None
        # The view's size in pixels the window is fitted to (``--geometry``), if any.
        self.wanted_view_size: QSize | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.notice_label = _status_label("notice")
        # Floats over the view's bottom-right corner rather than taking a row from it:
        # a held tab keeps the size its program last saw, and no resize overlay flashes.
        self.status_label = _status_label("exitStatus")
        self.status_label.setParent(self)
        self.status_label.setStyleSheet(
            "#exitStatus { background: rgba(40, 40, 40, 220); color: #f0f0f0;"
            " border-radius: 3px; }"
        )
        if view is not None:
            layout.addWidget(view, 1)
            self.setFocusProxy(view)
        else:
            self.error_label = QLabel(error, self)
            self.error_label.setObjectName("startError")
            self.error_label.setWordWrap(True)
            self.error_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(self.error_label, 1)
            self._initial_title = initial_title or self._program or "error"
        layout.addWidget(self.notice_label)

        self._poll = QTimer(self)
        self._poll.setObjectName("title_poll")
        self._poll.setInterval(TITLE_POLL_MS)
        self._poll.timeout.connect(self._poll_foreground)
        if handle is not None:
            handle.frame.connect(self._on_frame)
            handle.exited.connect(self._on_exited)
            handle.bell.connect(self._on_bell)
            handle.notice.connect(self._on_notice)
            lost = getattr(handle, "lost", None)
            if lost is not None:  # worker-hosted: the session may end with the worker
                lost.connect(self._on_lost)
            self._poll.start()
            QTimer.singleShot(0, self, self._poll_foreground)  # self: dropped if deleted first

    # -- what the window reads -------------------------------------------------------
    def title(self) -> str:
        return self._program_title or self._initial_title or self._foreground or self._program

    def tab_text(self) -> str:
        mark = BELL_MARK if self.bell else ACTIVITY_MARK if self.activity else ""
        return mark + (self.title() or "shell")

    def is_busy(self) -> bool:
        if self.handle is None or self.exited:
            return False
        return self.handle.is_busy()

    def busy_program(self) -> str:
        return (self.handle.foreground_process() if self.handle else "") or "a program"

    def cwd(self) -> str:
        """Where a new tab opened from this one starts ("" when unknown)."""
        if self.handle is None:
            return ""
        path = self.handle.cwd() or getattr(self, "_osc7_cwd", "")
        return path if path and os.path.isdir(path) else ""

    def set_current(self, current: bool) -> None:
        self.current = current
        if current and (self.activity or self.bell):
            self.activity = self.bell = False
            self.title_changed.emit()

    def apply_settings(self, settings: Any) -> None:
        apply = getattr(self.view, "apply_settings", None) or getattr(
            self.view, "set_settings", None
        )
        if apply is not None:
            apply(settings)
        elif self.view is not None and hasattr(self.view, "settings"):
            self.view.settings = settings

    def shutdown(self) -> None:
        """End the program on purpose (the tab is being closed)."""
        self._shutting_down = True
        self._poll.stop()
        if self.handle is not None:
            try:
                self.handle.frame.disconnect(self._on_frame)
                self.handle.exited.disconnect(self._on_exited)
            except (RuntimeError, TypeError):
                pass
            self.handle.close()

    def sizeHint(self) -> QSize:
        if self.wanted_view_size is None or self.view is None:
            return super().sizeHint()
        hint = QSize(self.wanted_view_size)
        if not self.notice_label.isHidden():
            hint.setHeight(hint.height() + self.notice_label.sizeHint().height())
        return hint

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_status()

    def _place_status(self) -> None:
        label = self.status_label
        label.adjustSize()
        # Clear of the view's scrollbar on the right.
        inset = 4 + (self.view.contentsMargins().right() if self.view is not None else 0)
        label.move(max(0, self.width() - label.width() - inset),
                   max(0, self.height() - label.height() - 4))

    # -- the handle's signals --------------------------------------------------------
    def _on_frame(self, frame: Any) -> None:
        changed = False
        title = getattr(frame, "title", "") or ""
        if title != self._program_title:
            self._program_title = title
            changed = True
        if getattr(frame, "cwd", ""):
            self._osc7_cwd = frame.cwd
        # A full frame is what attaching, reattaching and resizing send, not new output;
        # output after it comes as changed rows.
        if (not self.current and not self.activity and getattr(frame, "lines", None)
                and not getattr(frame, "full", False)):
            self.activity = True
            changed = True
        if changed:
            self.title_changed.emit()

    def _on_bell(self) -> None:
        if not self.current and not self.bell:
            self.bell = True
            self.title_changed.emit()
        self.bell_rang.emit()

    def _on_notice(self, text: str) -> None:
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))

    def _on_lost(self) -> None:
        """The session died with the worker: keep the screen, offer a fresh start."""
        self.exited = True
        self._poll.stop()
        if self.restart_button is None:
            self.restart_button = QPushButton("Restart here", self)
            self.restart_button.setObjectName("restartHere")
            self.restart_button.clicked.connect(self.restart_requested.emit)
            self.layout().addWidget(self.restart_button)
        self.title_changed.emit()

    def restart_spec(self) -> tuple[list[str] | None, str]:
        """The command and directory a "restart here" runs again."""
        info = getattr(self.handle, "info", {}) or {}
        argv = list(info.get("argv") or []) or None
        return argv, str(info.get("foreground_cwd") or info.get("cwd") or "")

    def _on_exited(self, status: object) -> None:
        if self.exited or self._shutting_down:
            return
        self.exited = True
        self.exit_status = status if isinstance(status, int) else None
        self._poll.stop()
        log.info("tab program %r exited with %r", self.title(), status)
        if self.hold:
            self.status_label.setText(exit_message(self.exit_status))
            self._place_status()
            self.status_label.show()
            self.status_label.raise_()
            self.title_changed.emit()
        else:
            self.finished.emit()

    def _poll_foreground(self) -> None:
        if self.handle is None or self.exited:
            return
        name = self.handle.foreground_process()
        if name and name != self._foreground:
            self._foreground = name
            self.title_changed.emit()


def _status_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setContentsMargins(6, 2, 6, 2)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


class TabWidget(QTabWidget):
    """Tabs that can be dragged to a new place and closed from their close button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.setMovable(True)
        self.setTabsClosable(True)
        self.setUsesScrollButtons(True)
        self.setElideMode(Qt.TextElideMode.ElideRight)
        self.tabBar().setSelectionBehaviorOnRemove(QTabBar.SelectionBehavior.SelectPreviousTab)
        # Keys are the terminal's: the bar never takes the focus away from the view.
        self.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def page(self, index: int) -> TabPage:
        widget = self.widget(index)
        assert isinstance(widget, TabPage)
        return widget

    def pages(self) -> list[TabPage]:
        return [self.page(i) for i in range(self.count())]

    def move_current(self, step: int) -> None:
        index = self.currentIndex()
        target = index + step
        if index < 0 or not 0 <= target < self.count():
            return
        self.tabBar().moveTab(index, target)

    def cycle(self, step: int) -> None:
        if self.count():
            self.setCurrentIndex((self.currentIndex() + step) % self.count())

    def for_each_page(self, fn: Callable[[TabPage], None]) -> None:
        for page in self.pages():
            fn(page)
