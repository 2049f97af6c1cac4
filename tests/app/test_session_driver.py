"""SessionDriver: a real Session on a real PTY under a Qt event loop."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication

from app.session_driver import SessionDriver
from app.worker.host import relayed_session
from terminal.frames import ScreenReplica
from terminal.session import Session


@pytest.fixture
def qcore() -> QCoreApplication:
    app = QCoreApplication.instance() or QCoreApplication([])
    return app  # type: ignore[return-value]


class Recorder:
    def __init__(self, driver: SessionDriver) -> None:
        self.driver = driver
        self.replica = ScreenReplica(40, 5)
        self.frames = 0
        self.exits: list[Any] = []
        driver.frame_due.connect(self.take)
        driver.exited.connect(self.exits.append)

    def take(self) -> None:
        self.frames += 1
        self.replica.apply(self.driver.session.take_frame())

    def text(self) -> str:
        return "\n".join(self.replica.display())


def run_until(qtbot, predicate, timeout: int = 10_000) -> None:
    qtbot.waitUntil(lambda: bool(predicate()), timeout=timeout)


def test_output_reaches_frames_and_exit_is_reported_once(qtbot) -> None:
    session = Session(["sh", "-c", "echo hello-driver; exit 7"], cols=40, rows=5)
    rec = Recorder(SessionDriver(session))
    run_until(qtbot, lambda: rec.exits)
    qtbot.wait(200)
    assert rec.exits == [7]
    assert "hello-driver" in rec.text()


@pytest.mark.parametrize("relayed", [False, True], ids=["direct", "relay"])
def test_typed_input_and_a_large_paste_arrive(qtbot, relayed: bool) -> None:
    """Also through the worker's relay, whose input descriptor is not its output's: the
    driver must watch that one for writability, or the paste never drains."""
    argv = ["sh", "-c", "stty -echo; wc -c; exit 0"]
    if relayed:
        session = relayed_session(argv, cols=40, rows=5)
        assert session.write_fd != session.fd or not session.pty.relay_pids  # type: ignore[attr-defined]
    else:
        session = Session(argv, cols=40, rows=5)
    driver = SessionDriver(session)
    rec = Recorder(driver)
    line = b"x" * 1000 + b"\n"
    driver.write(line * 1024)  # 1 MiB, more than the PTY buffer: queued, drained on writable
    driver.write(b"\x04")
    run_until(qtbot, lambda: rec.exits, timeout=30_000)
    assert str(len(line) * 1024) in rec.text()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the relay is Linux's")
@pytest.mark.parametrize("which", [0, 1], ids=["output-cat", "input-cat"])
def test_a_killed_relay_cat_does_not_end_the_tab(qtbot, which: int) -> None:
    """The notifiers go on watching the same descriptor numbers, which the master takes
    over: typed input still reaches the shell and its output the screen."""
    session = relayed_session(["sh"], cols=40, rows=5, env={**os.environ, "PS1": "$ "})
    driver = SessionDriver(session)
    rec = Recorder(driver)
    driver.write(b"echo up-$((6*7))\n")
    run_until(qtbot, lambda: "up-42" in rec.text())
    pid = session.pty.relay_pids[which]  # type: ignore[attr-defined]
    os.kill(pid, signal.SIGKILL)
    qtbot.wait(200)
    driver.write(b"echo still-$((40+2))\n")
    run_until(qtbot, lambda: "still-42" in rec.text())
    assert not rec.exits and not session.eof
    driver.write(b"exit 5\n")
    run_until(qtbot, lambda: rec.exits)
    assert rec.exits == [5]


def test_frames_are_paced_under_a_flood(qtbot) -> None:
    now = [0.0]
    session = Session(["sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo $i; i=$((i+1)); done"],
                      cols=40, rows=5)
    driver = SessionDriver(session, max_fps=60, clock=lambda: now[0])
    rec = Recorder(driver)
    run_until(qtbot, lambda: rec.exits)
    # The clock never advanced: one frame at the first output, then only the timer's
    # (which fires on real time but finds the fake clock unchanged) and the final one.
    assert "2999" in rec.text()
    assert rec.frames < 3000 / 10


def test_resize_reaches_the_program(qtbot) -> None:
    session = Session(["sh", "-c", "read x; stty size; exit 0"], cols=40, rows=5)
    driver = SessionDriver(session)
    rec = Recorder(driver)
    driver.resize(33, 5)
    driver.write(b"\n")
    run_until(qtbot, lambda: rec.exits)
    assert "5 33" in rec.text()


def test_output_within_a_frame_interval_is_coalesced_into_one_later_frame(qtbot) -> None:
    now = [100.0]
    session = Session(["sh", "-c", "sleep 5"], cols=40, rows=5)
    driver = SessionDriver(session, max_fps=60, clock=lambda: now[0])
    due: list[float] = []
    driver.frame_due.connect(lambda: due.append(now[0]))
    driver.schedule_frame()
    assert len(due) == 1  # idle: at once, so typing echoes without delay
    driver.schedule_frame()
    driver.schedule_frame()
    assert len(due) == 1  # within 1/60 s of the last: deferred to the frame tick
    now[0] += 1.0
    qtbot.waitUntil(lambda: len(due) == 2, timeout=1000)
    qtbot.wait(100)
    assert len(due) == 2  # the two requests became one frame
    driver.stop()
    session.terminate(0.0)
