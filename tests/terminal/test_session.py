"""terminal.session with the real emulator on real pseudo-terminals (sh, bash, cat, sleep, stty).

``drive`` is the owner: it watches the descriptor like the worker's socket notifier does
and calls ``on_readable`` / ``on_writable``. Its bound only stops a hang; nothing here
asserts on speed.
"""

from __future__ import annotations

import os
import select
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from terminal.emulator import Emulator
from terminal.pty import Pty, SpawnError, spawn
from terminal.session import EmulatorLike, Session

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminals")

BOUND = 30.0


@pytest.fixture
def sessions() -> Iterator[list[Session]]:
    made: list[Session] = []
    yield made
    for session in made:
        session.close()


def start(sessions: list[Session], argv: list[str] | None, **kwargs: Any) -> Session:
    session = Session(argv, **kwargs)
    sessions.append(session)
    return session


def drive(session: Session, until: Callable[[], bool], bound: float = BOUND) -> None:
    """Run the owner's loop until ``until()`` or the session's output ends."""
    waited = 0.0
    while not until() and not session.eof:
        writers = [session.fd] if session.wants_write else []
        readable, writable, _ = select.select([session.fd], writers, [], 0.5)
        if writable:
            session.on_writable()
        if readable:
            session.on_readable()
        if not readable and not writable:
            waited += 0.5
            if waited > bound:
                return
    if session.eof:
        session.on_readable()  # what a notifier sees once more at EOF


def screen_has(session: Session, text: str) -> Callable[[], bool]:
    emulator = session.emulator
    assert isinstance(emulator, Emulator)
    return lambda: any(row.rstrip() == text for row in emulator.display)


def display(session: Session) -> list[str]:
    emulator = session.emulator
    assert isinstance(emulator, Emulator)
    return [row.rstrip() for row in emulator.display]


def shell_prompt(sessions: list[Session], **kwargs: Any) -> Session:
    """An interactive sh whose first prompt is on the screen, so input follows it."""
    session = start(sessions, ["sh"], env=dict(os.environ, PS1="$ "), **kwargs)
    drive(session, lambda: display(session)[0] == "$")
    assert display(session)[0] == "$"
    return session


def test_output_reaches_the_emulator_screen(sessions: list[Session]) -> None:
    session = shell_prompt(sessions)
    session.write(b"echo hel''lo\n")  # the quotes keep the echoed command from matching
    drive(session, screen_has(session, "hello"))
    assert display(session)[:2] == ["$ echo hel''lo", "hello"]


def test_device_attributes_reply_reaches_the_program(sessions: list[Session]) -> None:
    replies: list[bytes] = []

    def recording_emulator(columns: int, lines: int, **kwargs: Any) -> EmulatorLike:
        on_reply = kwargs.pop("on_reply")

        def reply(data: bytes) -> None:
            replies.append(data)
            on_reply(data)

        return Emulator(columns, lines, on_reply=reply, **kwargs)

    # The program asks (DA1) and reads the answer from its terminal up to the final "c";
    # it prints what it got without the ESC, so the screen shows it as text.
    script = (
        "stty raw -echo; printf '\\033[c'; IFS= read -r -d c reply; stty sane;"
        ' printf "got[%s]\\n" "${reply#?}"; sleep 100'
    )
    session = start(
        sessions,
        ["bash", "--norc", "--noprofile", "-c", script],
        emulator_factory=recording_emulator,
    )
    drive(session, lambda: any(row.startswith("got[") for row in display(session)))
    assert len(replies) == 1
    assert replies[0].startswith(b"\x1b[?") and replies[0].endswith(b"c")
    expected = "got[" + replies[0][1:-1].decode() + "]"
    assert expected in display(session)


def test_exit_is_reported_once_with_the_status(sessions: list[Session]) -> None:
    exits: list[int] = []
    session = start(sessions, ["sh", "-c", "echo bye; exit 7"], on_exit=exits.append)
    drive(session, lambda: session.exited)
    assert exits == [7]
    assert session.exited and session.exit_status == 7
    assert "bye" in display(session)
    # Everything an owner might still do afterwards must not report it again.
    session.on_readable()
    session.check_exit()
    session.terminate()
    session.close()
    assert exits == [7]


def test_a_callback_that_closes_the_session_does_not_report_twice(
    sessions: list[Session],
) -> None:
    exits: list[int] = []

    def on_exit(status: int) -> None:
        exits.append(status)
        session.close()

    session = start(sessions, ["sh", "-c", "exit 3"], on_exit=on_exit)
    drive(session, lambda: session.exited)
    assert exits == [3]


def test_exit_is_found_while_a_background_job_keeps_the_terminal_open(
    sessions: list[Session],
) -> None:
    exits: list[int] = []
    env = dict(os.environ, PS1="$ ")
    session = start(
        sessions, ["bash", "--norc", "--noprofile", "-i"], env=env, on_exit=exits.append
    )
    session.write(b"sleep 60 & echo bg=$!\nexit 4\n")
    drive(session, lambda: any(row.startswith("bg=") for row in display(session)))
    background = next(int(row[3:]) for row in display(session) if row.startswith("bg="))
    try:
        # No end of output comes (the job holds the terminal): the owner's timer finds it.
        drive(session, lambda: session.check_exit() is not None)
        assert exits == [4]
        assert not session.pty.eof
    finally:
        os.kill(background, signal.SIGKILL)


def test_terminate_reports_the_exit_once(sessions: list[Session]) -> None:
    exits: list[int] = []
    session = start(sessions, ["sleep", "100"], on_exit=exits.append)
    assert session.terminate() == -signal.SIGHUP
    session.close()
    session.on_readable()
    assert exits == [-signal.SIGHUP]
    assert session.eof


def test_resize_resizes_screen_and_terminal(sessions: list[Session]) -> None:
    session = shell_prompt(sessions, cols=80, rows=24)
    session.take_frame()
    session.resize(100, 30)
    frame = session.take_frame()
    assert (frame.columns, frame.rows) == (100, 30)
    session.write(b"stty size\n")
    drive(session, screen_has(session, "30 100"))
    assert display(session)[:2] == ["$ stty size", "30 100"]


def test_ctrl_c_reaches_the_program(sessions: list[Session]) -> None:
    exits: list[int] = []
    session = start(sessions, ["sleep", "100"], on_exit=exits.append)
    session.write(b"\x03")
    drive(session, lambda: session.exited)
    assert exits == [-signal.SIGINT]


def test_one_call_drains_no_more_than_the_read_budget(sessions: list[Session]) -> None:
    script = "head -c 300000 /dev/zero | tr '\\0' x; echo; echo done; sleep 100"
    session = start(sessions, ["sh", "-c", script], read_budget=8192)
    fed: list[int] = []
    while "done" not in display(session):
        readable, _, _ = select.select([session.fd], [], [], BOUND)
        assert readable
        fed.append(session.on_readable())
    assert max(fed) <= 8192
    assert sum(fed) >= 300000


def test_input_after_exit_is_dropped_quietly(sessions: list[Session]) -> None:
    session = start(sessions, ["sh", "-c", "exit 0"])
    drive(session, lambda: session.exited)
    session.write(b"nobody reads this\n")
    assert session.pending_write_bytes == 0


def test_identity_and_foreground(sessions: list[Session], tmp_path: Path) -> None:
    session = start(sessions, ["sleep", "100"], cwd=tmp_path)
    assert session.argv == ("sleep", "100")
    assert session.initial_cwd == str(tmp_path)
    assert session.pid > 0 and session.fd >= 0
    if os.path.isdir("/proc/self"):
        assert session.foreground_process_name() == "sleep"
        assert session.cwd() == str(tmp_path)
    assert not session.is_busy()
    session.terminate()
    assert session.foreground_process_name() is None
    assert session.cwd() is None
    assert not session.is_busy()


def test_an_existing_pty_can_be_handed_in(sessions: list[Session]) -> None:
    pty = spawn(["cat"], cols=40, rows=10)
    session = start(sessions, None, pty=pty, cols=40, rows=10)
    assert session.pty is pty
    session.write(b"via-cat\n")
    drive(session, lambda: display(session)[:2] == ["via-cat", "via-cat"])
    assert display(session)[:2] == ["via-cat", "via-cat"]


def test_spawn_arguments_reach_the_pty_factory(sessions: list[Session], tmp_path: Path) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []

    def recording_spawn(argv: Any, **kwargs: Any) -> Pty:
        calls.append((argv, kwargs))
        return spawn(argv, **kwargs)

    env = dict(os.environ, MARK="m")
    start(sessions, ["cat"], cwd=tmp_path, env=env, cols=33, rows=11, pty_factory=recording_spawn)
    assert calls == [(["cat"], {"cwd": tmp_path, "env": env, "cols": 33, "rows": 11})]


def test_spawn_failure_surfaces_and_an_emulator_failure_spawns_nothing(
    sessions: list[Session],
) -> None:
    with pytest.raises(SpawnError, match="no-such-program-xyz"):
        start(sessions, ["no-such-program-xyz"])
    spawned: list[Pty] = []

    def counting_spawn(argv: Any, **kwargs: Any) -> Pty:
        pty = spawn(argv, **kwargs)
        spawned.append(pty)
        return pty

    def broken_emulator(*args: Any, **kwargs: Any) -> EmulatorLike:
        raise RuntimeError("emulator refused")

    with pytest.raises(RuntimeError, match="emulator refused"):
        start(sessions, ["cat"], pty_factory=counting_spawn, emulator_factory=broken_emulator)
    assert spawned == []
