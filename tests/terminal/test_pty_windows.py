"""The Windows backend (terminal._pty_windows) against a recording fake of pywinpty.

The fake (tests/terminal/fake_winpty.py) copies pywinpty 2.x's PtyProcess API; it comes in
through ``spawn_windows(winpty_module=...)``. The socket pair, the threads and the
UTF-8 handling are real and run here on any platform.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from terminal._pty_windows import WindowsPty, spawn_windows
from terminal.pty import TERM_PROGRAM_VERSION, Pty, SpawnError, WriteQueueFullError
from tests.terminal.fake_winpty import FakePtyProcess, FakeWinpty

CMD = r"C:\Windows\System32\cmd.exe"
BOUND = 10.0


@pytest.fixture
def winpty() -> FakeWinpty:
    return FakeWinpty(programs={"cmd.exe": CMD})


@pytest.fixture
def ptys() -> Iterator[list[WindowsPty]]:
    spawned: list[WindowsPty] = []
    yield spawned
    for pty in spawned:
        pty.close()


def start(ptys: list[WindowsPty], winpty: FakeWinpty, **kwargs: object) -> WindowsPty:
    kwargs.setdefault("cols", 80)
    kwargs.setdefault("rows", 24)
    pty = spawn_windows(["cmd.exe", "/k", "echo hi"], winpty_module=winpty, **kwargs)  # type: ignore[arg-type]
    ptys.append(pty)
    return pty


def child(winpty: FakeWinpty) -> FakePtyProcess:
    assert len(winpty.spawned) == 1
    return winpty.spawned[0]


def read_until(pty: WindowsPty, done: Callable[[bytes], bool]) -> bytes:
    out = b""
    while not done(out) and not pty.eof:
        readable, _, _ = select.select([pty.fd], [], [], BOUND)
        assert readable, f"nothing readable; got {out!r}"
        out += pty.read()
    return out


def eventually(condition: Callable[[], bool]) -> bool:
    """Whether ``condition`` becomes true within the bound (threads are at work)."""
    done = threading.Event()
    for _ in range(int(BOUND / 0.01)):
        if condition():
            return True
        done.wait(0.01)
    return condition()


def test_spawn_passes_argv_cwd_env_and_dimensions_as_pywinpty_expects(
    ptys: list[WindowsPty], winpty: FakeWinpty, tmp_path: Path
) -> None:
    pty = start(ptys, winpty, cwd=tmp_path, env={"PATH": "C:\\bin", "KEEP": "1"}, cols=120, rows=40)
    call = winpty.spawn_calls[0]
    assert call["argv"] == ["cmd.exe", "/k", "echo hi"]
    assert call["cwd"] == str(tmp_path)
    assert call["dimensions"] == (40, 120)  # (rows, cols)
    env = call["env"]
    assert env["KEEP"] == "1"
    assert env["TERM"] == "xterm-256color"
    assert env["COLORTERM"] == "truecolor"
    assert env["TERM_PROGRAM"] == "emberterm"
    assert env["TERM_PROGRAM_VERSION"] == TERM_PROGRAM_VERSION
    assert pty.pid == child(winpty).pid
    as_pty: Pty = pty  # mypy checks that the backend honours the Pty protocol
    assert as_pty.argv == pty.argv
    assert pty.argv == ("cmd.exe", "/k", "echo hi")


def test_output_reaches_the_watched_descriptor_as_utf8(
    ptys: list[WindowsPty], winpty: FakeWinpty
) -> None:
    pty = start(ptys, winpty)
    assert pty.read() == b""  # nothing yet, and no blocking
    child(winpty).emit("héllo ✓ " + "x" * 10000)
    expected = ("héllo ✓ " + "x" * 10000).encode()
    assert read_until(pty, lambda out: len(out) >= len(expected)) == expected
    assert not pty.eof


def test_write_hands_text_to_pywinpty_and_keeps_split_utf8_whole(
    ptys: list[WindowsPty], winpty: FakeWinpty
) -> None:
    pty = start(ptys, winpty)
    data = "dir ✓\r".encode()
    pty.write(data[:5])  # ends in the middle of the check mark
    pty.write(data[5:])
    assert eventually(lambda: child(winpty).input_text() == "dir ✓\r")
    assert eventually(lambda: pty.pending_write_bytes == 0)
    assert not pty.wants_write


def test_write_never_blocks_while_the_child_does_not_read(
    ptys: list[WindowsPty], winpty: FakeWinpty
) -> None:
    pty = start(ptys, winpty)
    child(winpty).block_writes()
    pty.write(b"a" * 1000)
    pty.write(b"b" * 1000)  # returned although pywinpty's write is stuck
    assert pty.pending_write_bytes > 0
    child(winpty).writes_open.set()
    assert eventually(lambda: pty.pending_write_bytes == 0)
    assert child(winpty).input_text() == "a" * 1000 + "b" * 1000


def test_write_queue_is_bounded(winpty: FakeWinpty, ptys: list[WindowsPty]) -> None:
    pty = start(ptys, winpty, max_pending_write=4096)
    child(winpty).block_writes()
    with pytest.raises(WriteQueueFullError):
        for _ in range(100):
            pty.write(b"z" * 1024)
    child(winpty).writes_open.set()


def test_resize_calls_setwinsize_rows_first(ptys: list[WindowsPty], winpty: FakeWinpty) -> None:
    pty = start(ptys, winpty)
    pty.resize(132, 43)
    assert child(winpty).sizes == [(43, 132)]
    assert pty.size == (132, 43)


def test_exit_gives_eof_on_the_descriptor_and_the_status(
    ptys: list[WindowsPty], winpty: FakeWinpty
) -> None:
    pty = start(ptys, winpty)
    assert pty.exit_status is None
    child(winpty).emit("bye")
    child(winpty).exit(3)
    assert read_until(pty, lambda out: False) == b"bye"
    assert pty.eof
    assert pty.exit_status == 3
    assert pty.wait(BOUND) == 3


def test_terminate_forces_the_child_and_stops_both_threads(
    ptys: list[WindowsPty], winpty: FakeWinpty
) -> None:
    before = {t.name for t in threading.enumerate()}
    pty = start(ptys, winpty)
    ours = {t.name for t in threading.enumerate()} - before
    assert len(ours) == 2
    status = pty.terminate()
    assert child(winpty).terminations == [True]
    assert status == 2
    assert pty.closed
    assert pty.fd == -1
    assert not ({t.name for t in threading.enumerate()} & ours)
    with pytest.raises(Exception, match="closed"):
        pty.write(b"x")


def test_missing_program_raises_spawn_error_naming_it(
    winpty: FakeWinpty, ptys: list[WindowsPty]
) -> None:
    with pytest.raises(SpawnError, match=r"nope\.exe") as info:
        spawn_windows(["nope.exe"], winpty_module=winpty)
    assert info.value.what == "nope.exe"
    assert winpty.spawned == []


def test_bad_cwd_raises_before_pywinpty_is_called(winpty: FakeWinpty, tmp_path: Path) -> None:
    with pytest.raises(SpawnError, match="gone"):
        spawn_windows(["cmd.exe"], cwd=tmp_path / "gone", winpty_module=winpty)
    assert winpty.spawn_calls == []


def test_native_failure_becomes_spawn_error_and_leaks_no_socket(winpty: FakeWinpty) -> None:
    winpty.native_failure = "CreateProcessW failed"
    before = set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()
    with pytest.raises(SpawnError, match="CreateProcessW failed"):
        spawn_windows(["cmd.exe"], winpty_module=winpty)
    after = set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()
    assert after == before
