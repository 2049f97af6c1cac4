"""The Windows backend of ``terminal.pty``: pywinpty's ``PtyProcess`` behind the ``Pty`` contract.

What it does: starts the child with ``winpty.PtyProcess.spawn`` (ConPTY or winpty), and
gives the owner what POSIX gives it for free: one descriptor to watch. A reader thread
blocks in ``PtyProcess.read`` and sends what it gets, UTF-8 encoded, into one end of a
socket pair; the owner watches and reads the other end, which reaches end of file when the
child's output does. A writer thread hands queued input to ``PtyProcess.write``, which may
block while the child does not read, so ``write`` never blocks the owner; there is nothing
to wait for, so ``wants_write`` is always false and ``flush`` does nothing.

What it does not do: it cannot name the foreground process or its working directory
(ConPTY does not say), and there is no hangup: ``terminate`` uses pywinpty's own
``terminate(force=True)``. pywinpty speaks ``str``, not bytes: input is decoded as UTF-8
(split sequences survive, through an incremental decoder) and output encoded as UTF-8.

The pywinpty module is a parameter (``winpty_module``) so that tests on any platform can
drive this backend with a recording fake of pywinpty's API.
"""

from __future__ import annotations

import codecs
import importlib
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from terminal.pty import (
    DEFAULT_MAX_PENDING_WRITE,
    DEFAULT_TERMINATE_GRACE,
    PtyError,
    SpawnError,
    WriteQueueFullError,
    check_cwd,
    child_environment,
    default_argv,
)

__all__ = ["WindowsPty", "spawn_windows"]

_READ_SIZE = 4096
_POLL_INTERVAL = 0.02  # pywinpty has no wait-with-timeout; ``wait`` polls ``isalive``
_THREAD_JOIN = 2.0


class WinptyProcess(Protocol):
    """The part of ``winpty.PtyProcess`` (pywinpty 2.x) this backend uses."""

    pid: int | None

    def read(self, size: int = ...) -> str: ...
    def write(self, s: str) -> int: ...
    def setwinsize(self, rows: int, cols: int) -> None: ...
    def isalive(self) -> bool: ...
    def terminate(self, force: bool = ...) -> bool: ...

    @property
    def exitstatus(self) -> int | None: ...


def spawn_windows(
    argv: Sequence[str] | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    cols: int = 80,
    rows: int = 24,
    max_pending_write: int = DEFAULT_MAX_PENDING_WRITE,
    winpty_module: Any = None,
) -> WindowsPty:
    """Start ``argv`` on a pseudo-console; see ``terminal.pty.spawn``.

    ``winpty_module`` stands in for ``import winpty`` (tests pass a fake).
    """
    args = list(argv) if argv else default_argv(env)
    child_env = child_environment(env)
    start_dir = check_cwd(cwd)
    module = winpty_module
    if module is None:
        try:
            module = importlib.import_module("winpty")
        except ImportError as exc:
            raise SpawnError("pywinpty (module winpty) is not installed", what="winpty") from exc
    # pywinpty looks the program up itself (on the child's PATH) and says FileNotFoundError;
    # the native layer raises WinptyError for what else fails.
    native_error: type[BaseException] = getattr(module, "WinptyError", OSError)
    try:
        process = module.PtyProcess.spawn(
            args, cwd=start_dir, env=child_env, dimensions=(rows, cols)
        )
    except FileNotFoundError as exc:
        raise SpawnError(f"program not found or not executable: {args[0]!r}", what=args[0]) from exc
    except (OSError, native_error) as exc:
        raise SpawnError(f"cannot start {args[0]!r}: {exc}", what=args[0]) from exc
    return WindowsPty(process, tuple(args), cols, rows, max_pending_write)


class WindowsPty:
    """A running child on a pseudo-console; see ``terminal.pty.Pty`` for the contract."""

    def __init__(
        self,
        process: WinptyProcess,
        argv: tuple[str, ...],
        cols: int,
        rows: int,
        max_pending_write: int = DEFAULT_MAX_PENDING_WRITE,
    ) -> None:
        self._process = process
        self._pid = int(process.pid or 0)
        self._argv = argv
        self._size = (cols, rows)
        self._max_pending = max_pending_write
        self._eof = False
        self._closed = False
        self._exit_status: int | None = None
        self._watched, self._feed = socket.socketpair()
        self._watched.setblocking(False)
        # Input waiting for the writer thread, and its byte count (what is queued plus
        # what the thread is handing to pywinpty right now).
        self._inbox: deque[bytes] = deque()
        self._pending = 0
        self._wake = threading.Condition()
        self._reader = threading.Thread(
            target=self._pump_output, name=f"emberterm-pty-reader-{self._pid}", daemon=True
        )
        self._writer = threading.Thread(
            target=self._pump_input, name=f"emberterm-pty-writer-{self._pid}", daemon=True
        )
        self._reader.start()
        self._writer.start()

    # -- identity and state -----------------------------------------------------------
    @property
    def fd(self) -> int:
        return -1 if self._closed else self._watched.fileno()

    @property
    def write_fd(self) -> int:
        return self.fd  # never watched: writes never wait here (wants_write is false)

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def argv(self) -> tuple[str, ...]:
        return self._argv

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    @property
    def eof(self) -> bool:
        return self._eof

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def wants_write(self) -> bool:
        return False  # the writer thread waits, not the owner

    @property
    def pending_write_bytes(self) -> int:
        with self._wake:
            return self._pending

    @property
    def exit_status(self) -> int | None:
        if self._exit_status is None and not self._process.isalive():
            self._exit_status = self._process.exitstatus
        return self._exit_status

    # -- I/O --------------------------------------------------------------------------
    def read(self, limit: int = 65536) -> bytes:
        if self._closed:
            return b""
        try:
            data = self._watched.recv(limit)
        except BlockingIOError:
            return b""
        except OSError:
            data = b""  # the reader thread's end went away: same as end of output
        if not data:
            self._eof = True
        return data

    def write(self, data: bytes) -> None:
        if self._closed:
            raise PtyError(f"the terminal of pid {self.pid} is closed")
        if not data:
            return
        with self._wake:
            if self._pending + len(data) > self._max_pending:
                raise WriteQueueFullError(
                    f"{self._pending} bytes already wait for pid {self.pid}; "
                    f"refusing {len(data)} more (bound {self._max_pending})"
                )
            self._inbox.append(bytes(data))
            self._pending += len(data)
            self._wake.notify()

    def flush(self) -> None:
        """Nothing to do: the writer thread drains the queue."""

    def resize(self, cols: int, rows: int) -> None:
        if cols < 1 or rows < 1:
            raise ValueError(f"terminal size must be positive, got {cols}x{rows}")
        if self._closed:
            return
        self._process.setwinsize(rows, cols)  # pywinpty's order: rows first
        self._size = (cols, rows)

    # -- lifetime ---------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._process.isalive():
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(_POLL_INTERVAL)
        return self.exit_status

    def terminate(self, grace: float = DEFAULT_TERMINATE_GRACE) -> int | None:
        if self._process.isalive():
            self._process.terminate(force=True)
            self.wait(grace)
        self._release()
        return self.exit_status

    def close(self) -> None:
        self.terminate()

    def _release(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._wake:
            self._inbox.clear()
            self._pending = 0
            self._wake.notify()
        self._watched.close()  # a reader thread still sending gets an error and ends
        self._reader.join(_THREAD_JOIN)
        self._writer.join(_THREAD_JOIN)

    # -- the threads ------------------------------------------------------------------
    def _pump_output(self) -> None:
        try:
            while True:
                try:
                    text = self._process.read(_READ_SIZE)
                except EOFError:
                    return
                if text:
                    self._feed.sendall(text.encode("utf-8", "replace"))
        except OSError:
            return  # the owner closed its end: nobody reads any more
        finally:
            self._feed.close()  # the owner's end now reads as end of file

    def _pump_input(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            with self._wake:
                while not self._inbox and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                chunk = self._inbox.popleft()
            text = decoder.decode(chunk)
            try:
                if text:
                    self._process.write(text)
            except (EOFError, OSError):
                # The child is gone: its input can never be read.
                with self._wake:
                    self._inbox.clear()
                    self._pending = 0
                continue
            with self._wake:
                self._pending = max(0, self._pending - len(chunk))

    # -- what runs in it: ConPTY does not say -----------------------------------------
    def foreground_process_name(self) -> str | None:
        return None

    def cwd(self) -> str | None:
        return None

    def is_busy(self) -> bool:
        return False
