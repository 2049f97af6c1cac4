"""The app shell against real shells on real PTYs, with the real terminal view.

Each test opens windows through ``AppState`` (as ``main`` does) with ``sh`` as the shell, so
no person's shell start-up files are involved. Questions the window asks go to a recording
``confirm`` seam.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize

from app.config import LoadResult, load_config, parse_config
from app.gui.app_state import AppState
from app.gui.tabs import TabPage
from app.gui.view import TerminalView
from app.gui.window import Launch, MainWindow

TIMEOUT = 10_000


class Questions:
    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, parent: Any, title: str, text: str) -> bool:
        self.asked.append(text)
        return self.answer


def sh_config(extra: str = "") -> LoadResult:
    config, warnings = parse_config(extra + "\n[shell]\nprogram = 'sh'\n")
    assert warnings == []
    return LoadResult(config, [])


@pytest.fixture
def states(qtbot: Any) -> Iterator[list[AppState]]:
    """AppStates made by a test; every window left open is closed (programs ended) after."""
    made: list[AppState] = []
    yield made
    for state in made:
        state.confirm = Questions(True)
        for window in list(state.windows):
            window.close()


def make_state(states: list[AppState], loaded: LoadResult | None = None, *,
               watch: bool = False, answer: bool = True) -> AppState:
    state = AppState(loaded or sh_config(), watch=watch, confirm=Questions(answer))
    states.append(state)
    return state


def open_window(qtbot: Any, state: AppState, launch: Launch | None = None) -> MainWindow:
    window = state.new_window(launch)
    qtbot.waitExposed(window)
    return window


def view_of(page: TabPage) -> TerminalView:
    assert isinstance(page.view, TerminalView)
    return page.view


def screen_text(page: TabPage) -> str:
    return "\n".join(view_of(page).replica.display())


def wait_for_text(qtbot: Any, page: TabPage, pattern: str) -> re.Match[str]:
    found: list[re.Match[str]] = []

    def check() -> bool:
        match = re.search(pattern, screen_text(page))
        if match:
            found.append(match)
        return bool(match)

    qtbot.waitUntil(check, timeout=TIMEOUT)
    return found[0]


def type_line(page: TabPage, text: str) -> None:
    assert page.handle is not None
    page.handle.write(text.encode() + b"\r")


def wait_prompt(qtbot: Any, page: TabPage) -> None:
    assert page.handle is not None
    qtbot.waitUntil(lambda: page.handle.foreground_process() == "sh", timeout=TIMEOUT)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_tabs_open_switch_move_retitle_and_close(qtbot: Any, states: list[AppState]) -> None:
    state = make_state(states)
    window = open_window(qtbot, state)
    first = window.pages()[0]
    wait_prompt(qtbot, first)
    qtbot.waitUntil(lambda: window.tabs.tabText(0) == "sh", timeout=TIMEOUT)

    type_line(first, r"printf '\033]2;hello\007'")
    qtbot.waitUntil(lambda: window.tabs.tabText(0) == "hello", timeout=TIMEOUT)
    assert window.windowTitle() == "hello"

    window.actions_by_name["new_tab"].trigger()
    second = window.pages()[1]
    assert window.tabs.currentIndex() == 1
    wait_prompt(qtbot, second)
    qtbot.waitUntil(lambda: window.windowTitle() == "sh", timeout=TIMEOUT)

    window.actions_by_name["next_tab"].trigger()
    assert window.current_page() is first and window.windowTitle() == "hello"
    window.actions_by_name["previous_tab"].trigger()
    assert window.current_page() is second
    window.actions_by_name["move_tab_left"].trigger()
    assert window.pages() == [second, first]

    # Output in the background tab marks it.
    type_line(first, "echo background-output")
    qtbot.waitUntil(lambda: window.tabs.tabText(1).startswith("● "), timeout=TIMEOUT)

    assert second.handle is not None
    pid = second.handle.pid
    window.actions_by_name["close_tab"].trigger()
    assert window.pages() == [first]
    assert pid is not None and not alive(pid)
    assert state.confirm.asked == []  # type: ignore[attr-defined]  (an idle shell)


def test_new_tab_opens_in_the_current_tabs_directory(
    qtbot: Any, states: list[AppState], tmp_path: Path
) -> None:
    window = open_window(qtbot, make_state(states))
    first = window.pages()[0]
    wait_prompt(qtbot, first)
    type_line(first, f"cd '{tmp_path}'")
    assert first.handle is not None
    qtbot.waitUntil(lambda: first.handle.cwd() == str(tmp_path), timeout=TIMEOUT)
    second = window.new_tab()
    wait_prompt(qtbot, second)
    type_line(second, "pwd")
    wait_for_text(qtbot, second, re.escape(str(tmp_path)))


def test_command_without_hold_closes_tab_window_and_app(qtbot: Any, states: list[AppState]) -> None:
    state = make_state(states)
    with qtbot.waitSignal(state.last_window_closed, timeout=TIMEOUT):
        state.new_window(Launch(argv=["sh", "-c", "exit 3"]))
    assert state.windows == []


def test_command_with_hold_keeps_the_tab_and_shows_the_status(
    qtbot: Any, states: list[AppState]
) -> None:
    state = make_state(states)
    window = open_window(qtbot, state, Launch(argv=["sh", "-c", "echo bye; exit 3"], hold=True))
    page = window.pages()[0]
    qtbot.waitUntil(lambda: page.exited, timeout=TIMEOUT)
    assert page.status_label.text() == "[process exited with status 3]"
    assert page.status_label.isVisible()
    assert "bye" in screen_text(page)
    assert window.tabs.count() == 1 and state.windows == [window]
    window.close_tab()  # an exited program is never "busy"
    assert state.confirm.asked == []  # type: ignore[attr-defined]


def test_closing_a_busy_tab_asks_and_ends_the_program(qtbot: Any, states: list[AppState]) -> None:
    state = make_state(states, answer=False)
    window = open_window(qtbot, state)
    window.new_tab()
    page = window.pages()[1]
    wait_prompt(qtbot, page)
    type_line(page, "sh -c 'echo PID=$$; exec sleep 60'")
    pid = int(wait_for_text(qtbot, page, r"PID=(\d+)").group(1))
    assert page.handle is not None
    qtbot.waitUntil(page.handle.is_busy, timeout=TIMEOUT)

    assert window.close_tab() is False  # "No"
    assert "sleep" in state.confirm.asked[0]  # type: ignore[attr-defined]
    assert alive(pid) and window.tabs.count() == 2

    state.confirm.answer = True  # type: ignore[attr-defined]
    assert window.close_tab() is True
    assert window.tabs.count() == 1
    qtbot.waitUntil(lambda: not alive(pid), timeout=TIMEOUT)


def test_closing_a_window_with_a_busy_tab_asks_once(qtbot: Any, states: list[AppState]) -> None:
    state = make_state(states, answer=False)
    window = open_window(qtbot, state)
    page = window.pages()[0]
    wait_prompt(qtbot, page)
    type_line(page, "sh -c 'echo PID=$$; exec sleep 60'")
    pid = int(wait_for_text(qtbot, page, r"PID=(\d+)").group(1))
    assert page.handle is not None
    qtbot.waitUntil(page.handle.is_busy, timeout=TIMEOUT)
    assert not window.close()
    assert alive(pid)
    state.confirm.answer = True  # type: ignore[attr-defined]
    with qtbot.waitSignal(state.last_window_closed, timeout=TIMEOUT):
        assert window.close()
    qtbot.waitUntil(lambda: not alive(pid), timeout=TIMEOUT)
    assert len(state.confirm.asked) == 2  # type: ignore[attr-defined]


def test_resizing_the_window_changes_what_stty_size_prints(
    qtbot: Any, states: list[AppState]
) -> None:
    window = open_window(qtbot, make_state(states), Launch(columns=100, rows=30))
    page = window.pages()[0]
    view = view_of(page)
    wait_prompt(qtbot, page)
    qtbot.waitUntil(lambda: view.grid_size() == (100, 30), timeout=TIMEOUT)
    type_line(page, "stty size")
    wait_for_text(qtbot, page, r"\b30 100\b")

    window.resize(window.size() - QSize(int(10 * view.cell_size().width()),
                                       int(5 * view.cell_size().height())))
    qtbot.waitUntil(lambda: view.grid_size() == (90, 25), timeout=TIMEOUT)
    type_line(page, "clear; stty size")
    wait_for_text(qtbot, page, r"\b25 90\b")


def test_a_missing_program_shows_an_error_and_the_app_goes_on(
    qtbot: Any, states: list[AppState]
) -> None:
    state = make_state(states)
    window = open_window(qtbot, state, Launch(argv=["no-such-program-xyz"]))
    page = window.pages()[0]
    assert page.view is None
    assert "no-such-program-xyz" in page.error_label.text()
    assert "not found" in page.error_label.text()
    window.new_tab()
    wait_prompt(qtbot, window.pages()[1])

    # A configured shell that does not exist: the same, in a window of its own.
    broken = make_state(states, LoadResult(parse_config("shell.program = 'no-such-shell-xyz'")[0],
                                           []))
    other = open_window(qtbot, broken)
    assert "no-such-shell-xyz" in other.pages()[0].error_label.text()


def test_bad_config_starts_with_a_message_naming_key_and_line(
    qtbot: Any, states: list[AppState], tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[shell]\nprogram = 'sh'\n[font]\nsize = 'huge'\ncolour = 'red'\n")
    state = make_state(states, load_config(path))
    window = open_window(qtbot, state)
    text = window.banner.label.text()
    assert window.banner.isVisible()
    assert f"{path}:4: 'font.size' must be a number" in text
    assert f"{path}:5: unknown key 'font.colour'" in text
    assert view_of(window.pages()[0]).settings.font_size == 11.0  # the default
    wait_prompt(qtbot, window.pages()[0])


def test_config_change_applies_live(qtbot: Any, states: list[AppState], tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[shell]\nprogram = 'sh'\n[font]\nsize = 11\n")
    state = make_state(states, load_config(path), watch=True)
    window = open_window(qtbot, state)
    view = view_of(window.pages()[0])
    assert view.settings.font_size == 11.0

    path.write_text("[shell]\nprogram = 'sh'\n[font]\nsize = 15\n[keys]\nnew_tab = 'Ctrl+T'\n")
    qtbot.waitUntil(lambda: view.settings.font_size == 15.0, timeout=TIMEOUT)
    assert window.actions_by_name["new_tab"].shortcut().toString() == "Ctrl+T"

    # An editor that writes a new file and renames it over the old one.
    replacement = tmp_path / "config.toml.new"
    replacement.write_text("[shell]\nprogram = 'sh'\n[font]\nsize = 13\n")
    os.replace(replacement, path)
    qtbot.waitUntil(lambda: view.settings.font_size == 13.0, timeout=TIMEOUT)

    # And again, to prove the replaced file is still watched; a bad value is reported.
    time.sleep(0.05)
    path.write_text("[shell]\nprogram = 'sh'\n[font]\nsize = 14\n[cursor]\nshape = 'x'\n")
    qtbot.waitUntil(lambda: view.settings.font_size == 14.0, timeout=TIMEOUT)
    assert "'cursor.shape' must be one of" in window.banner.label.text()
    assert window.banner.isVisible()


def test_bell_marks_the_window_urgent(qtbot: Any, states: list[AppState]) -> None:
    alerts: list[Any] = []
    state = AppState(sh_config(), watch=False, confirm=Questions(), alert=alerts.append)
    states.append(state)
    window = open_window(qtbot, state)
    page = window.pages()[0]
    wait_prompt(qtbot, page)
    type_line(page, r"printf '\007'")
    qtbot.waitUntil(lambda: alerts == [window], timeout=TIMEOUT)


@pytest.mark.parametrize("warnings", [[], ["a warning banner takes room too"]])
def test_geometry_sizes_the_first_window(
    qtbot: Any, states: list[AppState], warnings: list[str]
) -> None:
    loaded = sh_config()
    state = make_state(states, LoadResult(loaded.config, warnings))
    window = open_window(qtbot, state, Launch(columns=60, rows=12))
    assert window.banner.isVisible() == bool(warnings)
    view = view_of(window.pages()[0])
    qtbot.waitUntil(lambda: view.grid_size() == (60, 12), timeout=TIMEOUT)
    qtbot.wait(50)
    assert view.overlay_text() == ""  # sized before it was shown: no visible resize


def test_key_bindings_work_while_the_terminal_has_the_focus(
    qtbot: Any, states: list[AppState]
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window = open_window(qtbot, make_state(states))
    with qtbot.waitActive(window):
        window.activateWindow()
    first = window.pages()[0]
    wait_prompt(qtbot, first)
    view = view_of(first)
    view.setFocus()
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    QTest.keyClick(view, Qt.Key.Key_T, ctrl_shift)
    assert window.tabs.count() == 2
    QTest.keyClick(view_of(window.pages()[1]), Qt.Key.Key_PageUp,
                   Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() is first
    QTest.keyClick(view, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 1
    QTest.keyClick(view_of(window.pages()[1]), Qt.Key.Key_W, ctrl_shift)
    assert window.tabs.count() == 1
    # Plain keys still reach the program.
    QTest.keyClicks(view, "echo typed-$((6*7))")
    QTest.keyClick(view, Qt.Key.Key_Return)
    wait_for_text(qtbot, first, r"typed-42")


def test_dont_ask_again_on_a_paste_holds_for_every_tab(qtbot: Any, states: list[AppState]) -> None:
    state = make_state(states)
    window = open_window(qtbot, state)
    window.new_tab()
    first, second = (view_of(page) for page in window.pages())
    assert first.settings.paste_warning and second.settings.paste_warning
    first.settings_changed.emit(replace(first.settings, paste_warning=False))
    assert not second.settings.paste_warning
    assert not view_of(window.new_tab()).settings.paste_warning
    # A config reload keeps the person's choice.
    state.apply_loaded(sh_config("[font]\nsize = 12\n"))
    assert not second.settings.paste_warning and second.settings.font_size == 12.0
