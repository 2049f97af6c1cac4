"""The local backend: frame pacing (fake session, fake clock) and real shells on real PTYs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from app.gui.local_backend import LocalSessionHandle


class FakeSession:
    """A session over a pipe: readable when the test writes to ``feed``."""

    def __init__(self, argv: Any, *, on_exit: Callable[[int | None], None], **kwargs: Any):
        self.argv = argv
        self.kwargs = kwargs
        self.on_exit = on_exit
        self.fd, self.feed = os.pipe()
        self.dirty = 0
        self.frames_taken = 0
        self.written: list[bytes] = []
        self.wants_write = False
        self.terminated = False
        self.sizes: list[tuple[int, int]] = []

    def on_readable(self) -> None:
        data = os.read(self.fd, 65536)
        self.dirty += len(data)

    def on_writable(self) -> None:
        self.wants_write = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def resize(self, cols: int, rows: int) -> None:
        self.sizes.append((cols, rows))
        self.dirty += 1

    def take_frame(self) -> Any:
        if not self.dirty:
            return None
        self.dirty = 0
        self.frames_taken += 1
        return ("frame", self.frames_taken)

    def terminate(self) -> None:
        self.terminated = True

    def close_fds(self) -> None:
        for fd in (self.fd, self.feed):
            try:
                os.close(fd)
            except OSError:
                pass


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake(qtbot: Any) -> Iterator[tuple[LocalSessionHandle, FakeSession, Clock]]:
    sessions: list[FakeSession] = []

    def factory(argv: Any, **kwargs: Any) -> FakeSession:
        sessions.append(FakeSession(argv, **kwargs))
        return sessions[-1]

    clock = Clock()
    handle = LocalSessionHandle(["prog"], columns=100, rows=30, session_factory=factory,
                                clock=clock)
    yield handle, sessions[0], clock
    handle.close()
    sessions[0].close_fds()


def test_session_gets_the_arguments(fake: Any) -> None:
    handle, session, _ = fake
    assert session.argv == ["prog"]
    assert session.kwargs["cols"] == 100 and session.kwargs["rows"] == 30
    assert handle.persistent is False
    assert handle.session_id.startswith("local-")


def test_idle_output_is_sent_at_once_and_a_flood_is_paced(qtbot: Any, fake: Any) -> None:
    handle, session, clock = fake
    frames: list[Any] = []
    handle.frame.connect(frames.append)
    os.write(session.feed, b"a")
    qtbot.waitUntil(lambda: len(frames) == 1, timeout=2000)
    timer = handle.findChild(QTimer, "frame_tick")
    assert timer is not None and not timer.isActive()

    # 5 ms later: within the 1/60 s interval, so the frame waits for the tick.
    clock.now += 0.005
    os.write(session.feed, b"b")
    qtbot.waitUntil(lambda: session.dirty > 0, timeout=2000)
    assert len(frames) == 1
    assert timer.isActive()
    for _ in range(20):  # more output while the tick is pending: still one frame
        os.write(session.feed, b"c")
    qtbot.waitUntil(lambda: not timer.isActive(), timeout=2000)
    assert len(frames) == 2

    # Idle again (well past the interval): immediate.
    clock.now += 1.0
    os.write(session.feed, b"d")
    qtbot.waitUntil(lambda: len(frames) == 3, timeout=2000)


def test_write_enables_the_write_notifier_only_while_input_waits(qtbot: Any, fake: Any) -> None:
    handle, session, _ = fake
    session.wants_write = True
    handle.write(b"abc")
    assert session.written == [b"abc"]
    assert handle._write_notifier.isEnabled()
    # The pipe's read end is never writable; drive the notifier's slot directly.
    handle._on_writable()
    assert not handle._write_notifier.isEnabled()


def test_exit_is_reported_once_after_the_last_frame(qtbot: Any, fake: Any) -> None:
    handle, session, _ = fake
    events: list[Any] = []
    handle.frame.connect(lambda f: events.append(f))
    handle.exited.connect(lambda status: events.append(("exited", status)))
    session.dirty = 5
    session.on_exit(3)
    session.on_exit(3)
    assert events == [("frame", 1), ("exited", 3)]
    handle.write(b"ignored after exit")
    assert session.written == []


def test_close_terminates(fake: Any) -> None:
    handle, session, _ = fake
    handle.close()
    handle.close()
    assert session.terminated
    assert not handle._read_notifier.isEnabled()


def test_resize_reaches_the_session(qtbot: Any, fake: Any) -> None:
    handle, session, _ = fake
    frames: list[Any] = []
    handle.frame.connect(frames.append)
    handle.resize(90, 20)
    assert session.sizes == [(90, 20)]
    assert frames  # idle: the resized screen is sent at once


def test_unknown_queries_have_safe_answers(fake: Any) -> None:
    handle, _, _ = fake
    assert handle.foreground_process() == ""
    assert handle.cwd() == ""
    assert handle.is_busy() is False
    assert handle.fetch_history(0, 10) == []
