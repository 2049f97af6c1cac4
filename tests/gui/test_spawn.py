"""Starting the worker before Qt loads, and the supervisor waiting for that worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.gui.spawn import spawn_worker, start_early, worker_listening
from app.paths import StatePaths, state_paths


class Recorder:
    """A spawner that records its calls; ``real`` starts real workers."""

    def __init__(self, real: bool = False) -> None:
        self.real = real
        self.calls = 0
        self.procs: list[subprocess.Popen[bytes]] = []

    def __call__(self, paths: StatePaths) -> Any:
        self.calls += 1
        if not self.real:
            return object()
        proc = spawn_worker(paths)
        self.procs.append(proc)
        return proc

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                proc.wait(10)


def test_nothing_is_started_when_a_worker_seems_up(emberterm_home: Path) -> None:
    paths = state_paths().ensure()
    paths.token_file.write_text("t")
    Path(paths.socket_name).touch()
    spawn = Recorder()
    assert worker_listening(paths)
    assert start_early(paths, spawn) is None
    assert spawn.calls == 0


@pytest.mark.parametrize("missing", ["token", "socket"])
def test_a_worker_is_started_when_its_token_or_socket_is_missing(
    emberterm_home: Path, missing: str
) -> None:
    paths = state_paths().ensure()
    if missing != "token":
        paths.token_file.write_text("t")
    if missing != "socket" and sys.platform != "win32":
        Path(paths.socket_name).touch()
    spawn = Recorder()
    assert start_early(paths, spawn) is not None
    assert spawn.calls == 1


def test_the_supervisor_waits_for_the_early_worker_instead_of_starting_another(
    qtbot: Any, emberterm_home: Path
) -> None:
    from app.gui.supervisor import WorkerSupervisor

    paths = state_paths().ensure()
    early, later = Recorder(real=True), Recorder(real=True)
    supervisor = WorkerSupervisor(paths, spawn=later)
    try:
        proc = start_early(paths, early)
        assert proc is not None
        supervisor.start(started=proc)
        qtbot.waitUntil(lambda: supervisor.state == "connected", timeout=15_000)
        assert later.calls == 0
        assert supervisor.client is not None
        assert supervisor.client.server_info.get("pid") == proc.pid
        assert supervisor.restarts  # it counts against the restart budget like any start
    finally:
        supervisor.stop()
        early.kill()
        later.kill()


def test_an_early_worker_that_died_is_replaced(qtbot: Any, emberterm_home: Path) -> None:
    from app.gui.supervisor import WorkerSupervisor

    paths = state_paths().ensure()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    later = Recorder(real=True)
    supervisor = WorkerSupervisor(paths, spawn=later, start_timeout=0.5)
    try:
        supervisor.start(started=dead)
        qtbot.waitUntil(lambda: supervisor.state == "connected", timeout=15_000)
        assert later.calls == 1
    finally:
        supervisor.stop()
        later.kill()


def test_spawn_imports_neither_qt_nor_the_client() -> None:
    # It runs before them on purpose (docs/decisions/0012-parallel-start.md).
    code = ("import sys, app.gui.spawn; "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'ipc', 'asyncio'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
