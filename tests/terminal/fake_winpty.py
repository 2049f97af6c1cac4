"""A recording fake of pywinpty's ``winpty`` module, for testing the Windows backend anywhere.

It copies the behaviour of pywinpty 2.x ``winpty/ptyprocess.py`` that the backend relies on:

* ``PtyProcess.spawn(argv, cwd=None, env=None, dimensions=(24, 80), backend=None)`` is a
  classmethod; a ``str`` argv is split, anything but a list/tuple is a ``TypeError``; the
  program is looked up on the child's ``PATH`` and a miss is ``FileNotFoundError``
  ("The command was not found or was not executable: ..."); ``argv[0]`` becomes the full
  path; ``dimensions`` is ``(rows, cols)``; a native failure is ``WinptyError``.
* ``read(size=1024) -> str`` blocks until output, raises ``EOFError`` once the
  console is closed and drained.
* ``write(s: str) -> int`` takes text, not bytes, and raises ``EOFError`` when the child
  is not alive.
* ``setwinsize(rows, cols)``, ``isalive()``, ``exitstatus`` (None while alive),
  ``terminate(force=False) -> bool``, ``pid``.

Here "installed programs" are a dict given to ``FakeWinpty``; the test plays the child with
``emit`` (output), ``exit`` (end with a status) and ``block_writes`` (a child that does not
read its input). Every call is recorded for the test to inspect.
"""

from __future__ import annotations

import os
import queue
import shlex
import threading
from collections.abc import Mapping
from typing import Any


class WinptyError(Exception):
    """pywinpty's native error type."""


class FakePtyProcess:
    module: FakeWinpty  # set on the per-module subclass

    def __init__(self, argv: list[str], cwd: str, env: Mapping[str, str], rows: int, cols: int):
        self.argv = argv
        self.launch_dir = cwd
        self.env = dict(env)
        self.dimensions = (rows, cols)
        self.pid: int | None = 4242 + len(self.module.spawned)
        self.written: list[str] = []
        self.sizes: list[tuple[int, int]] = []
        self.terminations: list[bool] = []
        self._output: queue.Queue[str | None] = queue.Queue()
        self._alive = True
        self._status: int | None = None
        self.writes_open = threading.Event()
        self.writes_open.set()

    # -- pywinpty's API ---------------------------------------------------------------
    @classmethod
    def spawn(
        cls,
        argv: Any,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        dimensions: tuple[int, int] = (24, 80),
        backend: int | None = None,
    ) -> FakePtyProcess:
        cls.module.spawn_calls.append(
            {"argv": argv, "cwd": cwd, "env": env, "dimensions": dimensions, "backend": backend}
        )
        if isinstance(argv, str):
            argv = shlex.split(argv, posix=False)
        if not isinstance(argv, (list, tuple)):
            raise TypeError(f"Expected a list or tuple for argv, got {argv!r}")
        argv = list(argv)
        env = env or os.environ
        path = cls.module.programs.get(argv[0])
        if path is None:
            raise FileNotFoundError(f"The command was not found or was not executable: {argv[0]}.")
        if cls.module.native_failure is not None:
            raise WinptyError(cls.module.native_failure)
        argv[0] = path
        proc = cls(argv, cwd or os.getcwd(), env, dimensions[0], dimensions[1])
        cls.module.spawned.append(proc)
        return proc

    def read(self, size: int = 1024) -> str:
        item = self._output.get()
        if item is None:
            self._output.put(None)  # stays at end of file for later reads
            raise EOFError("Pty is closed")
        return item if len(item) <= size else self._split(item, size)

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() expects str, got {type(s).__name__}")
        self.writes_open.wait()
        if not self._alive:
            raise EOFError("Pty is closed")
        self.written.append(s)
        return len(s)

    def setwinsize(self, rows: int, cols: int) -> None:
        self.sizes.append((rows, cols))
        self.dimensions = (rows, cols)

    def isalive(self) -> bool:
        return self._alive

    @property
    def exitstatus(self) -> int | None:
        return None if self._alive else self._status

    def terminate(self, force: bool = False) -> bool:
        self.terminations.append(force)
        if self._alive:
            # pywinpty's terminate() starts with os.kill(pid, SIGINT), which on Windows is
            # TerminateProcess with the signal's number (2) as the exit code.
            self.exit(2)
        return True

    # -- the test plays the child -----------------------------------------------------
    def emit(self, text: str) -> None:
        self._output.put(text)

    def exit(self, status: int) -> None:
        self._status = status
        self._alive = False
        self._output.put(None)
        self.writes_open.set()  # a blocked write now fails as on a dead console

    def block_writes(self) -> None:
        self.writes_open.clear()

    def input_text(self) -> str:
        return "".join(self.written)

    def _split(self, item: str, size: int) -> str:
        # Put the rest back at the front: a real console hands it to the next read.
        rest = item[size:]
        with self._output.mutex:
            self._output.queue.appendleft(rest)
        return item[:size]


class FakeWinpty:
    """Stands in for ``import winpty``: ``FakeWinpty(programs={"cmd.exe": r"C:\\...cmd.exe"})``."""

    WinptyError = WinptyError

    def __init__(self, programs: Mapping[str, str] | None = None) -> None:
        self.programs = dict(programs or {})
        self.spawn_calls: list[dict[str, Any]] = []
        self.spawned: list[FakePtyProcess] = []
        self.native_failure: str | None = None
        self.PtyProcess = type("PtyProcess", (FakePtyProcess,), {"module": self})
