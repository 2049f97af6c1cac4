"""The GUI's link to the worker: start it, talk through it, survive its death and stops."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from app.gui.remote_backend import RemoteBackend, RemoteError, RemoteSessionHandle
from app.gui.supervisor import WorkerSupervisor, spawn_worker
from app.paths import state_paths
from ipc.messages import MsgType
from terminal.frames import ScreenReplica


class Tab:
    def __init__(self, handle: RemoteSessionHandle) -> None:
        self.handle = handle
        self.replica = ScreenReplica(40, 6)
        self.notices: list[str] = []
        self.exits: list[object] = []
        handle.frame.connect(self.replica.apply)
        handle.notice.connect(self.notices.append)
        handle.exited.connect(self.exits.append)

    def text(self) -> str:
        return "\n".join(self.replica.display())


@pytest.fixture
def make_link(qtbot, emberterm_home: Path):
    """``make_link(**backend_options)``: a connected supervisor and backend on a real
    worker; the workers it spawned are stopped afterwards."""
    paths = state_paths().ensure()
    spawned: list[int] = []
    supervisors: list[WorkerSupervisor] = []

    def spawn(p):  # the real spawner, recording pids so the test can clean up
        proc = spawn_worker(p)
        spawned.append(proc.pid)
        return proc

    def make(**backend_options):  # type: ignore[no-untyped-def]
        supervisor = WorkerSupervisor(paths, spawn=spawn)
        supervisors.append(supervisor)
        backend = RemoteBackend(supervisor, **backend_options)
        supervisor.start()
        qtbot.waitUntil(lambda: supervisor.state == "connected", timeout=15_000)
        return supervisor, backend, spawned

    yield make
    for supervisor in supervisors:
        supervisor.stop()
    for pid in spawned:
        try:
            os.kill(pid, signal.SIGCONT)
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


@pytest.fixture
def link(make_link):
    return make_link()


def worker_pid(supervisor: WorkerSupervisor) -> int:
    return int(supervisor.client.server_info.get("pid", 0))  # type: ignore[union-attr]


def test_starts_a_worker_and_runs_a_session_in_it(qtbot, link) -> None:
    _, backend, spawned = link
    assert len(spawned) == 1
    tab = Tab(backend.create(["sh"], cwd=None, columns=40, rows=6))
    tab.handle.write(b"echo remote-$((2*21))\n")
    qtbot.waitUntil(lambda: "remote-42" in tab.text(), timeout=10_000)
    assert tab.handle.persistent


def test_a_missing_program_is_a_clear_error_not_a_fallback(qtbot, link) -> None:
    _, backend, _ = link
    with pytest.raises(RemoteError) as info:
        backend.create(["/no/such/program"], cwd=None, columns=40, rows=6)
    assert not info.value.unavailable
    assert "program not found" in info.value.user_message


def test_kill_9_of_the_worker_restarts_it_and_keeps_the_dead_tabs_screen(qtbot, link) -> None:
    supervisor, backend, spawned = link
    tab = Tab(backend.create(["sh"], cwd=None, columns=40, rows=6))
    tab.handle.write(b"echo before-the-crash\n")
    qtbot.waitUntil(lambda: "before-the-crash" in tab.text(), timeout=10_000)
    first = worker_pid(supervisor)
    os.kill(first, signal.SIGKILL)
    qtbot.waitUntil(lambda: tab.handle.is_lost, timeout=20_000)
    assert "before-the-crash" in tab.text()  # the last screen stays readable
    assert supervisor.state == "connected" and worker_pid(supervisor) != first
    assert len(spawned) == 2
    fresh = Tab(backend.create(["sh"], cwd=None, columns=40, rows=6))
    fresh.handle.write(b"echo after-the-restart\n")
    qtbot.waitUntil(lambda: "after-the-restart" in fresh.text(), timeout=10_000)


def test_input_while_disconnected_is_held_then_sent(qtbot, link) -> None:
    supervisor, backend, _ = link
    tab = Tab(backend.create(["sh"], cwd=None, columns=40, rows=6))
    qtbot.waitUntil(lambda: "#" in tab.text() or "$" in tab.text(), timeout=10_000)
    supervisor.client.close()  # a dropped connection, the worker lives on
    tab.handle.write(b"echo held-input\n")
    assert any("held" in n for n in tab.notices)
    qtbot.waitUntil(lambda: "held-input" in tab.text().split("echo")[-1], timeout=15_000)


def test_sigstop_makes_calls_fall_back_and_sigcont_heals(qtbot, link) -> None:
    supervisor, backend, _ = link
    tab = Tab(backend.create(["sh"], cwd=None, columns=40, rows=6))
    pid = worker_pid(supervisor)
    os.kill(pid, signal.SIGSTOP)
    try:
        results: list[object] = []
        for _ in range(8):
            backend.call(MsgType.STATUS, {}, results.append)
        qtbot.waitUntil(lambda: len(results) == 8, timeout=30_000)
        assert results == [None] * 8  # every call got its fallback
        states = supervisor.client.breakers.states()  # type: ignore[union-attr]
        assert states["control"] == "open", states
    finally:
        os.kill(pid, signal.SIGCONT)
    ok: list[object] = []

    def probe() -> bool:
        backend.call(MsgType.STATUS, {}, ok.append)
        return bool(ok and ok[-1])

    qtbot.waitUntil(probe, timeout=30_000)
    tab.handle.write(b"echo alive-again\n")
    qtbot.waitUntil(lambda: "alive-again" in tab.text(), timeout=10_000)


def test_keys_typed_while_the_worker_is_stopped_arrive_when_it_goes_on(qtbot, link) -> None:
    """Each key's write times out while the worker is stopped, but it is in the socket:
    all of them reach the shell, in order, once the worker goes on. (A version that sent
    one write at a time lost every key behind the first.)"""
    supervisor, backend, _ = link
    tab = Tab(backend.create(["sh"], cwd=None, columns=40, rows=6))
    tab.handle.write(b"PS1='$ '\n")
    qtbot.waitUntil(lambda: "$" in tab.text(), timeout=10_000)
    pid = worker_pid(supervisor)
    notices: list[str] = []
    tab.handle.notice.connect(notices.append)
    os.kill(pid, signal.SIGSTOP)
    try:
        for key in b"echo typed-$((6*7))\n":
            tab.handle.write(bytes([key]))
            qtbot.wait(20)
        qtbot.wait(6000)  # past the writes' deadline (5 s)
    finally:
        os.kill(pid, signal.SIGCONT)
    qtbot.waitUntil(lambda: "typed-42" in tab.text(), timeout=20_000)
    assert not [n for n in notices if "did not reach" in n]


def test_bell_and_clipboard_requests_reach_the_window(qtbot, link) -> None:
    _, backend, _ = link
    handle = backend.create(["sh"], cwd=None, columns=40, rows=6)
    Tab(handle)
    bells: list[bool] = []
    copies: list[tuple[str, str]] = []
    handle.bell.connect(lambda: bells.append(True))
    handle.clipboard.connect(lambda sel, text: copies.append((sel, text)))
    # OSC 52 with base64 of "copied-42"
    handle.write(b"printf '\\a\\033]52;c;Y29waWVkLTQy\\a'\n")
    qtbot.waitUntil(lambda: bool(bells) and bool(copies), timeout=10_000)
    assert copies == [("c", "copied-42")]


def test_the_gui_gives_the_heap_back_once_frames_stop(qtbot, make_link) -> None:
    trims: list[int] = []
    _, backend, _ = make_link(trim=lambda: trims.append(1))
    tab = Tab(backend.create(["sh"], cwd=None, columns=40, rows=6))
    tab.handle.write(b"i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done\n")
    qtbot.waitUntil(lambda: "line-299" in tab.text(), timeout=10_000)
    assert trims == []  # frames were coming a moment ago
    qtbot.waitUntil(lambda: trims == [1], timeout=5_000)  # a quiet second later
    qtbot.wait(1500)
    assert trims == [1]  # once per burst, not on every tick
