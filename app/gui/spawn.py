"""Starting the worker process, without Qt: what ``main`` can do before the GUI loads.

``spawn_worker`` starts ``python -m app.worker`` detached (a new session, no terminal), so
it outlives the GUI. ``start_early`` starts one at once when no worker is listening, so
that the worker's start-up (~0.3 s of imports and opening the store) runs beside the GUI's
own (importing Qt, building the window) on another core instead of after it;
``WorkerSupervisor.start(started=...)`` then waits for that process instead of starting a
second one. See docs/decisions/0012-parallel-start.md.

What it does not do: connect, wait, or decide what a missing worker means; that stays
with ``app.gui.supervisor``. This module must not import Qt or ``ipc.client`` (importing
them is the very cost it runs beside).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.paths import StatePaths

ROOT = Path(__file__).resolve().parents[2]


def spawn_worker(paths: StatePaths) -> subprocess.Popen[bytes]:
    """Start ``python -m app.worker`` detached from this process and its terminal."""
    env = paths.environment()
    env.setdefault("PYTHONPATH", str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "app.worker"],
        cwd=str(ROOT), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
    )


def worker_listening(paths: StatePaths) -> bool:
    """Whether a worker seems to be up: its token and socket exist. (A stale pair, left by
    a worker that was killed, is found out by the supervisor when it connects.)"""
    if not paths.token_file.exists():
        return False
    return sys.platform == "win32" or os.path.exists(paths.socket_name)


def start_early(
    paths: StatePaths, spawn: Callable[[StatePaths], Any] = spawn_worker
) -> Any | None:
    """A worker process started now if none seems to be up, else None. Raises ``OSError``
    when it cannot be started (the supervisor then tries again and falls back)."""
    if worker_listening(paths):
        return None
    return spawn(paths)

