"""The local backend: real shells on real PTYs, plus frame pacing with a fake clock."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from app.gui.local_backend import LocalSessionHandle
from terminal.frames import ScreenReplica
from terminal.pty import SpawnError


class Screen:
    """Applies a handle's frames to a replica and records exits and bells."""

    def __init__(self, handle: LocalSessionHandle) -> None:
        self.handle = handle
        self.replica = ScreenReplica(max_history=100)
        self.frames = 0
        self.exits: list[Any] = []
        self.bells = 0
        handle.frame.connect(self._frame)
        handle.exited.connect(self.exits.append)
        handle.bell.connect(self._bell)

    def _frame(self, frame: Any) -> None:
        self.frames += 1
        self.replica.apply(frame)

    def _bell(self) -> None:
        self.bells += 1

    def text(self) -> str:
        return "\n".join(self.replica.display())


def pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0): look at its state.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_output_title_bell_and_exit_status(qtbot: Any) -> None:
    handle = LocalSessionHandle(
        ["sh", "-c", r"printf 'hello-local\033]2;the-title\007\007'; exit 5"],
        columns=40, rows=5,
    )
    screen = Screen(handle)
    qtbot.waitUntil(lambda: bool(screen.exits), timeout=10_000)
    assert screen.exits == [5]
    assert "hello-local" in screen.text()
    assert screen.replica.title == "the-title"
    assert screen.bells == 1
    assert handle.persistent is False and handle.session_id.startswith("local-")


def test_input_goes_to_the_program_and_resize_reaches_it(qtbot: Any) -> None:
    handle = LocalSessionHandle(["sh", "-c", "read x; stty size; echo got-$x; exit 0"],
                                columns=40, rows=5)
    screen = Screen(handle)
    handle.resize(33, 7)
    handle.write(b"abc\r")
    qtbot.waitUntil(lambda: bool(screen.exits), timeout=10_000)
    assert "7 33" in screen.text()
    assert "got-abc" in screen.text()
    handle.write(b"after exit is dropped")


def test_questions_about_the_foreground(qtbot: Any, tmp_path: Any) -> None:
    handle = LocalSessionHandle(["sh"], cwd=str(tmp_path), columns=40, rows=5)
    screen = Screen(handle)
    qtbot.waitUntil(lambda: handle.foreground_process() == "sh", timeout=10_000)
    assert os.path.samefile(handle.cwd(), tmp_path)
    assert not handle.is_busy()
    handle.write(b"exec 2>/dev/null; sleep 30\r")
    qtbot.waitUntil(handle.is_busy, timeout=10_000)
    assert handle.foreground_process() == "sleep"
    pid = handle.pid
    assert pid is not None
    handle.close()
    assert pid_gone(pid)
    assert handle.foreground_process() == "" and not handle.is_busy()
    assert screen.exits == [] or len(screen.exits) == 1


def test_close_ends_a_program_that_ignores_hangup(qtbot: Any) -> None:
    handle = LocalSessionHandle(["sh", "-c", "trap '' HUP; echo ready; sleep 30"],
                                columns=40, rows=5)
    screen = Screen(handle)
    qtbot.waitUntil(lambda: "ready" in screen.text(), timeout=10_000)
    pid = handle.pid
    assert pid is not None
    started = time.monotonic()
    handle.close()
    handle.close()  # idempotent
    assert time.monotonic() - started < 5
    assert pid_gone(pid)


def test_history_can_be_fetched(qtbot: Any) -> None:
    handle = LocalSessionHandle(["sh", "-c", "seq 1 20; exit 0"], columns=20, rows=5)
    screen = Screen(handle)
    qtbot.waitUntil(lambda: bool(screen.exits), timeout=10_000)
    lines = handle.fetch_history(0, 3)
    assert [line.text.strip() for _, line in lines] == ["1", "2", "3"]
    before = screen.frames
    handle.request_full_frame()
    assert screen.frames >= before


def test_a_missing_program_raises_a_clear_error() -> None:
    with pytest.raises(SpawnError, match="no-such-program-xyz"):
        LocalSessionHandle(["no-such-program-xyz"])


def test_a_bad_cwd_raises_a_clear_error() -> None:
    with pytest.raises(SpawnError, match="/no/such/dir"):
        LocalSessionHandle(["sh"], cwd="/no/such/dir")


def test_a_flood_is_paced(qtbot: Any) -> None:
    now = [0.0]
    handle = LocalSessionHandle(
        ["sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo $i; i=$((i+1)); done"],
        columns=20, rows=5, clock=lambda: now[0],
    )
    screen = Screen(handle)
    assert handle.findChild(QTimer, "frame_tick") is not None
    qtbot.waitUntil(lambda: bool(screen.exits), timeout=20_000)
    assert "2999" in screen.text()
    assert screen.frames < 300  # far fewer frames than lines of output


def test_finished_sessions_leave_no_descriptors_behind(qtbot: Any) -> None:
    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    def run_one() -> None:
        handle = LocalSessionHandle(["sh", "-c", "exit 0"], columns=20, rows=5)
        screen = Screen(handle)
        qtbot.waitUntil(lambda: bool(screen.exits), timeout=10_000)
        handle.deleteLater()

    run_one()
    before = open_fds()
    for _ in range(5):
        run_one()
    qtbot.wait(50)
    assert open_fds() <= before
