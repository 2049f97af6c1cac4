"""The application's state: the configuration, the open windows and the seams tests use.

``AppState`` is the one object windows share. It holds the current ``Config`` (and reloads
it live when a path is watched), makes session handles (the local backend for now; the
worker's remote handles in a later issue) and views, and keeps the set of windows: when
the last one closes it emits ``last_window_closed`` and the entry point quits.

Seams (keyword arguments, so tests never patch attributes): ``handle_factory`` makes a
``SessionHandle``, ``view_factory`` a view for it, ``confirm(parent, title, text) -> bool``
asks the person a yes/no question, ``alert(window)`` marks a window urgent.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.config import Config, LoadResult
from app.gui.backend import SessionHandle
from app.gui.window import Launch, MainWindow

log = logging.getLogger(__name__)

HandleFactory = Callable[..., SessionHandle]
ViewFactory = Callable[[SessionHandle, Any], QWidget]
Confirm = Callable[[QWidget, str, str], bool]


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    """The real ``confirm``: a modal question whose default answer is No."""
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def local_handle(argv: Sequence[str] | None, **kwargs: Any) -> SessionHandle:
    from app.gui.local_backend import LocalSessionHandle

    return LocalSessionHandle(argv, **kwargs)


def terminal_view(handle: SessionHandle, settings: Any) -> QWidget:
    from app.gui.view import TerminalView

    return TerminalView(handle, settings)


# ViewSettings field <- (config key, conversion). Fields the view lacks are skipped.
VIEW_SETTINGS_KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "font_family": ("font.family", str),
    "font_size": ("font.size", float),
    "scheme": ("scheme", str),
    "cursor_shape": ("cursor.shape", str),
    "cursor_blink": ("cursor.blink", bool),
    "word_chars": ("selection.word_chars", str),
    "copy_on_select": ("selection.copy_on_select", bool),
    "paste_warning": ("paste.warning", bool),
    "bell": ("bell.visual", lambda visual: "visual" if visual else "none"),
    "bell_urgent": ("bell.urgent", bool),
    "backspace_sends_ctrl_h": ("keyboard.backspace_sends_ctrl_h", bool),
    "scrollback_lines": ("scrollback.lines", int),
}


def view_settings_from_config(config: Config) -> Any:
    """The view's ``ViewSettings`` for ``config``."""
    from app.gui.view_settings import ViewSettings

    names = {f.name for f in dataclasses.fields(ViewSettings)}
    values = {
        name: convert(config[key])
        for name, (key, convert) in VIEW_SETTINGS_KEYS.items()
        if name in names
    }
    return ViewSettings(**values)


class AppState(QObject):
    """The configuration and the windows of one GUI process."""

    last_window_closed = Signal()
    config_changed = Signal(object)

    def __init__(
        self,
        loaded: LoadResult | None = None,
        *,
        watch: bool = True,
        handle_factory: HandleFactory = local_handle,
        view_factory: ViewFactory = terminal_view,
        confirm: Confirm = ask_yes_no,
        alert: Callable[[QWidget], None] | None = None,
        link: Any = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        # The worker link (``app.gui.worker_link.WorkerLink``), None for in-process only.
        self.link = link
        loaded = loaded or LoadResult(Config(), [])
        self.config = loaded.config
        self.startup_warnings = list(loaded.warnings)
        self.windows: list[MainWindow] = []
        self._handle_factory = handle_factory
        self._view_factory = view_factory
        self.confirm = confirm
        self._alert = alert or (lambda window: QApplication.alert(window))
        self._warned = False
        # Settings a person changed from a view ("don't ask again"), kept for this process
        # over what the config file says.
        self.view_overrides: dict[str, Any] = {}
        self.quitting = False  # shutdown(): windows close without asking anything
        self.watcher = None
        if link is not None:
            # Where each session's tab is, so a GUI started after a crash reopens them.
            self._layout_timer = QTimer(self)
            self._layout_timer.setObjectName("layout_record")
            self._layout_timer.setInterval(1000)
            self._layout_timer.timeout.connect(lambda: link.record_layout(self.windows))
            self._layout_timer.start()
            link.backend.spawned.connect(self.show_spawned)
        if watch and loaded.path is not None:
            from app.gui.config_watch import ConfigWatcher

            self.watcher = ConfigWatcher(Path(loaded.path), loaded, self)
            self.watcher.changed.connect(self.apply_loaded)

    # -- windows ---------------------------------------------------------------------
    def new_window(self, launch: Launch | None = None, *, show: bool = True) -> MainWindow:
        window = MainWindow(self, launch)
        self.windows.append(window)
        window.closed.connect(lambda w=window: self._forget(w))
        if not self._warned and self.startup_warnings:
            # Shown once, in the first window, and logged.
            self._warned = True
            window.show_warnings(self.startup_warnings)
        if show:
            window.show()
        return window

    def shutdown(self) -> None:
        """End every program and close every window without asking (quit, SIGTERM)."""
        self.quitting = True
        self.confirm = lambda *_: True
        for window in list(self.windows):
            window.close()

    def _forget(self, window: MainWindow) -> None:
        if window in self.windows:
            self.windows.remove(window)
        if not self.windows:
            log.info("last window closed")
            self.last_window_closed.emit()

    # -- sessions and views ----------------------------------------------------------
    def shell_argv(self) -> list[str] | None:
        program = self.config["shell.program"]
        return [program, *self.config["shell.args"]] if program else None

    def make_handle(
        self, argv: Sequence[str] | None, *, cwd: str | None, columns: int, rows: int,
        private: bool = False,
    ) -> SessionHandle:
        extra = {"private": True} if private else {}  # only the worker keeps transcripts
        return self._handle_factory(
            argv, cwd=cwd, columns=columns, rows=rows, history=self.config["scrollback.lines"],
            **extra,
        )

    def show_spawned(self, sid: str, info: dict[str, Any]) -> None:
        """A session started from the CLI (``emberterm cli spawn``): a new tab in the
        active window (else the newest; a new window if there is none), made current, as
        kitty's ``launch --type=tab`` does."""
        if self.link is None:
            return
        if any(page.handle is not None and page.handle.session_id == sid
               for window in self.windows for page in window.pages()):
            return  # already shown (this GUI attached it itself)
        # transcript: a program that ended before this attach still shows its last screen
        handle = self.link.adopt({**info, "session": sid}, transcript=True)
        active = QApplication.activeWindow()
        window = next((w for w in self.windows if w is active), None) or (
            self.windows[-1] if self.windows else None)
        if window is None:
            from app.gui.window import Launch

            self.new_window(Launch(handle=handle))
            return
        window.open_tab(handle=handle)
        log.info("showing session %s, started by another client, in a new tab", sid)

    # -- the history of every session ----------------------------------------------------
    def show_global_search(self, window: MainWindow) -> None:
        """The ``global_search`` action (Ctrl+Shift+H, and the window's menu)."""
        from app.gui.search_dialog import UNAVAILABLE, GlobalSearchDialog

        dialog = getattr(window, "global_search_dialog", None)
        if dialog is None:
            backend = self.link.backend if self.link is not None else None
            dialog = GlobalSearchDialog.for_backend(backend, window)
            dialog.open_hit.connect(
                lambda sid, line, live, w=window: self.open_search_hit(w, sid, line, live))
            window.global_search_dialog = dialog
        if self.link is None or self.link.supervisor.state != "connected":
            dialog.set_notice(UNAVAILABLE)
        dialog.present()

    def open_search_hit(self, origin: MainWindow, sid: str, line: int, live: bool) -> None:
        """Show session ``sid`` scrolled to ``line``: its tab if one is open, else a new
        tab (a live session attached, an ended one read-only from the store)."""
        for window in self.windows:
            for index, page in enumerate(window.pages()):
                if page.handle is not None and page.handle.session_id == sid:
                    window.tabs.setCurrentIndex(index)
                    window.raise_()
                    window.activateWindow()
                    if page.view is not None:
                        page.view.scroll_to(line)
                    return
        if self.link is None:
            return
        handle = self.link.adopt({"session": sid}, transcript=not live)
        page = origin.open_tab(handle=handle, hold=not live)
        if page.view is not None and page.handle is not None:
            view, scrolled = page.view, [False]

            def scroll_once(_frame: object) -> None:
                # The first frame sets the history count the line is measured against;
                # later frames must not yank a reader back there.
                if not scrolled[0]:
                    scrolled[0] = True
                    view.scroll_to(line)

            page.handle.frame.connect(scroll_once)

    def make_view(self, handle: SessionHandle) -> QWidget:
        return self._view_factory(handle, self.view_settings())

    def view_settings(self) -> Any:
        settings = view_settings_from_config(self.config)
        return dataclasses.replace(settings, **self.view_overrides)

    def remember_view_settings(self, changed: Any) -> None:
        """A view changed one of its settings (e.g. "don't ask again" on a paste).

        Remembered for new tabs and reloads, and given to the open views, whose zoom and
        other state are left alone (only the changed fields are replaced).
        """
        base = view_settings_from_config(self.config)
        for f in dataclasses.fields(changed):
            value = getattr(changed, f.name)
            if f.name in VIEW_SETTINGS_KEYS and value != getattr(base, f.name):
                self.view_overrides[f.name] = value
        for window in self.windows:
            for page in window.pages():
                view: Any = page.view
                current: Any = getattr(view, "settings", None)
                if dataclasses.is_dataclass(current) and not isinstance(current, type):
                    view.settings = dataclasses.replace(current, **self.view_overrides)

    def alert(self, window: QWidget) -> None:
        self._alert(window)

    # -- configuration ---------------------------------------------------------------
    def apply_loaded(self, loaded: LoadResult) -> None:
        """A reloaded config: apply it to every window and show its warnings there."""
        self.config = loaded.config
        for window in list(self.windows):
            window.apply_config(self.config)
            if loaded.warnings:
                window.show_warnings(loaded.warnings)
            else:  # the file is fine again: the old warnings no longer hold
                window.banner.hide()
        self.config_changed.emit(self.config)
