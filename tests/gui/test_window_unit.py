"""Window and tab behaviour with recording fake sessions: fast, no PTYs.

The same behaviours against real shells on real PTYs are in test_window.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QWidget

from app.config import Config, LoadResult, parse_config
from app.gui.app_state import AppState, view_settings_from_config
from app.gui.backend import SessionHandle
from app.gui.tabs import ACTIVITY_MARK, BELL_MARK
from app.gui.window import Launch, MainWindow
from terminal.frames import Cursor, Frame, Line


class FakeHandle(SessionHandle):
    """Records what the window asks of it; the test drives its signals."""

    def __init__(self, argv: Any, **kwargs: Any) -> None:
        super().__init__()
        self.argv = argv
        self.kwargs = kwargs
        self.closed = False
        self.busy = False
        self.foreground = "bash"
        self.directory = "/"

    session_id = "fake"
    persistent = False

    def write(self, data: bytes) -> None:
        pass

    def resize(self, columns: int, rows: int) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def foreground_process(self) -> str:
        return self.foreground

    def cwd(self) -> str:
        return self.directory

    def is_busy(self) -> bool:
        return self.busy

    def send(self, title: str = "", lines: int = 1, full: bool = False) -> None:
        frame = Frame(80, 24, full, {i: Line((("x", 0),)) for i in range(lines)}, Cursor(),
                      title=title)
        self.frame.emit(frame)


class FakeView(QWidget):
    def __init__(self, handle: SessionHandle, settings: Any) -> None:
        super().__init__()
        self.handle = handle
        self.settings = settings
        self.calls: list[str] = []

    def apply_settings(self, settings: Any) -> None:
        self.settings = settings

    def copy(self) -> None:
        self.calls.append("copy")


class Questions:
    """The confirm seam: records questions, answers with ``answer``."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, parent: QWidget, title: str, text: str) -> bool:
        self.asked.append(text)
        return self.answer


def make_state(
    *, config: Config | None = None, warnings: list[str] | None = None,
    factory: Callable[..., SessionHandle] = FakeHandle, answer: bool = True,
) -> AppState:
    alerts: list[QWidget] = []
    state = AppState(
        LoadResult(config or Config(), warnings or []),
        watch=False,
        handle_factory=factory,
        view_factory=FakeView,
        confirm=Questions(answer),
        alert=alerts.append,
    )
    state.alerts = alerts  # type: ignore[attr-defined]
    return state


@pytest.fixture
def state(qtbot: Any) -> AppState:
    return make_state()


@pytest.fixture
def window(qtbot: Any, state: AppState) -> MainWindow:
    window = state.new_window(Launch(title="first"))
    qtbot.addWidget(window)
    return window


def handle(window: MainWindow, index: int) -> FakeHandle:
    h = window.pages()[index].handle
    assert isinstance(h, FakeHandle)
    return h


def titles(window: MainWindow) -> list[str]:
    return [window.tabs.tabText(i) for i in range(window.tabs.count())]


def test_first_tab_runs_the_launch(window: MainWindow) -> None:
    assert handle(window, 0).argv is None  # the configured shell: the session decides
    assert window.windowTitle() == "first"
    assert titles(window) == ["first"]


def test_configured_shell_and_sizes(qtbot: Any) -> None:
    config, _ = parse_config("[shell]\nprogram = 'zsh'\nargs = ['-l']\n[window]\ncolumns = 90\n"
                             "[scrollback]\nlines = 5\n")
    state = make_state(config=config)
    window = state.new_window(Launch(rows=10))
    qtbot.addWidget(window)
    h = handle(window, 0)
    assert h.argv == ["zsh", "-l"]
    assert h.kwargs == {"cwd": None, "columns": 90, "rows": 10, "history": 5}


def test_new_tab_opens_in_the_current_tabs_directory(window: MainWindow, tmp_path: Path) -> None:
    handle(window, 0).directory = str(tmp_path)
    window.actions_by_name["new_tab"].trigger()
    assert window.tabs.count() == 2 and window.tabs.currentIndex() == 1
    assert handle(window, 1).kwargs["cwd"] == str(tmp_path)


def test_switch_and_move(window: MainWindow) -> None:
    window.new_tab()
    window.new_tab()
    pages = window.pages()
    window.actions_by_name["next_tab"].trigger()
    assert window.tabs.currentIndex() == 0  # wraps around
    window.actions_by_name["previous_tab_alt"].trigger()
    assert window.tabs.currentIndex() == 2
    window.actions_by_name["move_tab_left"].trigger()
    assert window.pages() == [pages[0], pages[2], pages[1]]
    assert window.tabs.currentIndex() == 1
    window.actions_by_name["move_tab_right"].trigger()
    window.actions_by_name["move_tab_right"].trigger()  # already last: stays
    assert window.pages() == pages
    assert window.tabs.tabBar().isMovable()


def test_program_title_wins_then_foreground_name(qtbot: Any, window: MainWindow) -> None:
    h = handle(window, 0)
    h.send(title="hello")
    assert titles(window) == ["hello"] and window.windowTitle() == "hello"
    h.send(title="")
    assert titles(window) == ["first"]  # the --title again


def test_foreground_process_names_an_untitled_tab(qtbot: Any, window: MainWindow) -> None:
    window.new_tab()
    h = handle(window, 1)
    h.foreground = "vim"
    qtbot.waitUntil(lambda: titles(window)[1] == "vim", timeout=3000)
    assert window.windowTitle() == "vim"


def test_activity_and_bell_marks_on_background_tabs(qtbot: Any, window: MainWindow) -> None:
    state = window._state
    window.new_tab()
    first = handle(window, 0)
    first.send(title="one")
    assert titles(window)[0] == ACTIVITY_MARK + "one"
    first.bell.emit()
    assert titles(window)[0] == BELL_MARK + "one"
    handle(window, 1).bell.emit()  # the current tab: no mark
    assert not titles(window)[1].startswith(BELL_MARK)
    assert state.alerts == [window, window]  # type: ignore[attr-defined]
    window.tabs.setCurrentIndex(0)
    assert titles(window)[0] == "one"  # marks cleared when seen
    assert window.windowTitle() == "one"


def test_a_full_frame_is_not_activity(qtbot: Any, window: MainWindow) -> None:
    """Attaching, reattaching after a restart of the worker and a restored GUI's adopting
    send a background tab its whole screen: that is not new output (found in a trial:
    after a kill -9 of the GUI the restored background tab showed the mark)."""
    window.new_tab()
    background = handle(window, 0)
    background.send(title="one", lines=24, full=True)
    assert titles(window)[0] == "one"
    background.send(title="one", lines=1)  # a changed row: new output
    assert titles(window)[0] == ACTIVITY_MARK + "one"


def test_bell_urgency_is_configurable(qtbot: Any) -> None:
    config, _ = parse_config("[bell]\nurgent = false\n")
    state = make_state(config=config)
    window = state.new_window()
    qtbot.addWidget(window)
    handle(window, 0).bell.emit()
    assert state.alerts == []  # type: ignore[attr-defined]


def test_program_exit_closes_tab_then_window_then_signals_last(qtbot: Any, state: AppState) -> None:
    window = state.new_window()
    window.new_tab()
    with qtbot.waitSignal(state.last_window_closed, timeout=3000):
        handle(window, 1).exited.emit(0)
        assert window.tabs.count() == 1
        handle(window, 0).exited.emit(3)
    assert state.windows == []


def test_hold_keeps_the_tab_and_shows_the_status(qtbot: Any, state: AppState) -> None:
    window = state.new_window(Launch(argv=["sh"], hold=True))
    qtbot.addWidget(window)
    handle(window, 0).exited.emit(3)
    page = window.pages()[0]
    assert window.tabs.count() == 1
    assert page.status_label.text() == "[process exited with status 3]"
    assert page.status_label.isVisibleTo(window)
    assert not page.is_busy()


def test_closing_a_busy_tab_asks_and_honours_no(qtbot: Any) -> None:
    state = make_state(answer=False)
    window = state.new_window()
    qtbot.addWidget(window)
    window.new_tab()
    h = handle(window, 1)
    h.busy, h.foreground = True, "vim"
    assert window.close_tab() is False
    assert state.confirm.asked and "vim" in state.confirm.asked[0]  # type: ignore[attr-defined]
    assert not h.closed and window.tabs.count() == 2
    state.confirm.answer = True  # type: ignore[attr-defined]
    window.actions_by_name["close_tab"].trigger()
    assert h.closed and window.tabs.count() == 1


def test_closing_an_idle_tab_does_not_ask(window: MainWindow) -> None:
    window.new_tab()
    h = handle(window, 1)
    assert window.close_tab()
    assert h.closed
    assert window._state.confirm.asked == []  # type: ignore[attr-defined]


def test_closing_the_window_asks_once_and_ends_every_program(qtbot: Any) -> None:
    state = make_state(answer=False)
    window = state.new_window()
    window.new_tab()
    h0, h1 = handle(window, 0), handle(window, 1)
    h1.busy = True
    assert not window.close()
    assert not h0.closed
    state.confirm.answer = True  # type: ignore[attr-defined]
    with qtbot.waitSignal(state.last_window_closed):
        assert window.close()
    assert h0.closed and h1.closed
    assert len(state.confirm.asked) == 2  # type: ignore[attr-defined]


def test_a_program_that_cannot_start_gives_an_error_tab(qtbot: Any) -> None:
    def failing(argv: Any, **kwargs: Any) -> SessionHandle:
        if argv == ["nope"]:
            raise FileNotFoundError("program not found or not executable: 'nope'")
        return FakeHandle(argv, **kwargs)

    state = make_state(factory=failing)
    window = state.new_window(Launch(argv=["nope"]))
    qtbot.addWidget(window)
    page = window.pages()[0]
    label = page.findChild(QLabel, "startError")
    assert "Cannot start nope" in label.text() and "not found" in label.text()
    window.new_tab()  # the app carries on
    assert window.tabs.count() == 2
    assert window.close_tab(0)


def test_new_window(window: MainWindow) -> None:
    window.actions_by_name["new_window"].trigger()
    state = window._state
    assert len(state.windows) == 2
    other = state.windows[1]
    assert handle(other, 0).kwargs["cwd"] == "/"
    other.close()
    assert len(state.windows) == 1


def test_startup_warnings_shown_once_in_a_banner(qtbot: Any) -> None:
    state = make_state(warnings=["c.toml:2: 'font.size' must be a number"])
    first = state.new_window()
    second = state.new_window()
    qtbot.addWidget(first)
    qtbot.addWidget(second)
    assert first.banner.isVisible()
    assert "'font.size'" in first.banner.label.text()
    assert not second.banner.isVisible()


def test_reloaded_config_reaches_views_and_shortcuts(window: MainWindow) -> None:
    state = window._state
    config, warnings = parse_config("[font]\nsize = 15\n[keys]\nnew_tab = 'Ctrl+T'\n")
    state.apply_loaded(LoadResult(config, warnings))
    view = window.pages()[0].view
    assert isinstance(view, FakeView)
    assert view.settings.font_size == 15.0
    assert window.actions_by_name["new_tab"].shortcut().toString() == "Ctrl+T"


def test_unknown_shortcut_name_is_warned(window: MainWindow) -> None:
    config, warnings = parse_config("[keys]\nfind = 'Ctrl+Frobnicate'\n")
    assert warnings == []  # the shape is fine; Qt does not know the key
    window._state.apply_loaded(LoadResult(config, warnings))
    assert "keys.find" in window.banner.label.text()


def test_view_actions_reach_the_current_view(window: MainWindow) -> None:
    window.actions_by_name["copy"].trigger()
    window.actions_by_name["paste"].trigger()  # the fake has no paste: nothing happens
    view = window.pages()[0].view
    assert isinstance(view, FakeView) and view.calls == ["copy"]


def test_view_settings_follow_the_config() -> None:
    config, _ = parse_config("[bell]\nvisual = false\n[cursor]\nshape = 'bar'\n")
    settings = view_settings_from_config(config)
    assert settings.bell == "none"
    assert settings.cursor_shape == "bar"
    assert settings.scrollback_lines == 10000


def test_a_clean_reload_hides_old_warnings(qtbot: Any) -> None:
    state = make_state(warnings=["c.toml:2: 'font.size' must be a number"])
    window = state.new_window()
    qtbot.addWidget(window)
    assert window.banner.isVisible()
    state.apply_loaded(LoadResult(Config(), []))
    assert not window.banner.isVisible()


def test_a_view_that_cannot_be_built_ends_the_program_and_shows_why(qtbot: Any) -> None:
    handles: list[FakeHandle] = []

    def factory(argv: Any, **kwargs: Any) -> SessionHandle:
        handles.append(FakeHandle(argv, **kwargs))
        return handles[-1]

    def broken_view(handle: SessionHandle, settings: Any) -> QWidget:
        raise ValueError("no such font")

    state = AppState(LoadResult(Config(), []), watch=False, handle_factory=factory,
                     view_factory=broken_view, confirm=Questions())
    window = state.new_window()
    qtbot.addWidget(window)
    assert handles[0].closed
    label = window.pages()[0].findChild(QLabel, "startError")
    assert "no such font" in label.text()


def test_the_warning_banner_paints_its_dark_background_under_its_light_text(
    qtbot: Any,
) -> None:
    """Found in a trial: the style sheet's background was never painted (a plain QWidget
    subclass needs WA_StyledBackground), so the pale text stood on light grey."""
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from app.gui.window import BANNER_BACKGROUND, Banner

    parent = QWidget()  # a child, as in the window (a top-level paints it regardless)
    qtbot.addWidget(parent)
    layout = QVBoxLayout(parent)
    banner = Banner(parent)
    layout.addWidget(banner)
    banner.show_messages(["config.toml:5: unknown key 'colours.background'; ignored"])
    parent.resize(600, 80)
    parent.show()
    image = parent.grab().toImage()
    inside = banner.geometry().bottomRight()
    corner = QColor(image.pixel(inside.x() - 40, inside.y() - 3))
    assert corner.name() == QColor(BANNER_BACKGROUND).name()
