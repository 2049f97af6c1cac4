"""The POSIX backend of ``terminal.pty``: a child on ``openpty``, non-blocking I/O on the master.

What it does: starts the child with ``subprocess.Popen`` on the slave side of a new
pseudo-terminal, as the leader of a new session whose controlling terminal that is; reads
and writes the master side without ever blocking; resizes with ``TIOCSWINSZ`` (the kernel
sends the foreground process group SIGWINCH); hangs up, kills and reaps the child; names
the foreground process group's leader and its working directory from ``/proc`` (Linux).

What it does not do: no threads, no signal handlers (exit is noticed as EOF/EIO on the
master, then reaped with ``waitpid``), no parsing of output.

Why ``subprocess.Popen`` and not ``ptyprocess``: ptyprocess looks the program up on our
PATH rather than the child's, calls ``chdir`` in the forked child without catching its
failure (a bad cwd leaves a copy of the parent running), and leaves the child of a failed
``exec`` unreaped. Popen reports a missing program or a bad cwd as an exception in the
parent and reaps that child itself; the one thing it lacks, making the tty the child's
controlling terminal, is a single ``ioctl`` in ``preexec_fn``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import struct
import subprocess
import termios
from collections.abc import Mapping, Sequence

from terminal.pty import (
    DEFAULT_MAX_PENDING_WRITE,
    DEFAULT_TERMINATE_GRACE,
    PtyError,
    SpawnError,
    WriteQueueFullError,
    check_cwd,
    child_environment,
    default_argv,
    resolve_program,
)

__all__ = ["PosixPty", "spawn_posix"]


# termios.IUTF8 only exists from Python 3.12; Linux and macOS share the value.
_IUTF8: int = getattr(termios, "IUTF8", 0x4000)


def _set_winsize(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _take_controlling_tty() -> None:
    # Runs in the child between fork and exec, after setsid() and after the slave was
    # made fd 0: without a controlling terminal a shell has no job control and Ctrl+C
    # would signal nobody.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _prepare_slave(slave: int, cols: int, rows: int) -> None:
    _set_winsize(slave, cols, rows)
    # So that the line editor of a canonical-mode read erases a whole UTF-8 character
    # on backspace, as every modern terminal sets it.
    attrs = termios.tcgetattr(slave)
    attrs[0] |= _IUTF8
    termios.tcsetattr(slave, termios.TCSANOW, attrs)


def spawn_posix(
    argv: Sequence[str] | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    cols: int = 80,
    rows: int = 24,
    max_pending_write: int = DEFAULT_MAX_PENDING_WRITE,
) -> PosixPty:
    """Start ``argv`` on a new pseudo-terminal; see ``terminal.pty.spawn``."""
    args = list(argv) if argv else default_argv(env)
    child_env = child_environment(env)
    # Checked before anything is opened, so a failure has nothing to clean up and the
    # message names the culprit; Popen's own checks below remain the authority (the
    # directory could vanish in between).
    program = resolve_program(args[0], child_env)
    start_dir = check_cwd(cwd)
    master, slave = os.openpty()
    try:
        _prepare_slave(slave, cols, rows)
        process = subprocess.Popen(
            args,
            executable=program,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=start_dir,
            env=child_env,
            start_new_session=True,
            preexec_fn=_take_controlling_tty,
        )
    except OSError as exc:
        os.close(master)
        what = start_dir if start_dir is not None and exc.filename == start_dir else args[0]
        raise SpawnError(f"cannot start {args[0]!r}: {exc}", what=what) from exc
    except BaseException:
        os.close(master)
        raise
    finally:
        # The child holds its own copies; ours would keep the slave open after the child
        # exits, and EOF on the master would never come.
        os.close(slave)
    os.set_blocking(master, False)
    return PosixPty(process, master, tuple(args), cols, rows, max_pending_write)


class PosixPty:
    """A running child on a pseudo-terminal; see ``terminal.pty.Pty`` for the contract."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        master_fd: int,
        argv: tuple[str, ...],
        cols: int,
        rows: int,
        max_pending_write: int = DEFAULT_MAX_PENDING_WRITE,
    ) -> None:
        self._process = process
        self._fd = master_fd
        self._argv = argv
        self._size = (cols, rows)
        self._max_pending = max_pending_write
        # One buffer rather than a deque of chunks: deleting from the front of a
        # bytearray is cheap in CPython, and os.write takes it without a copy.
        self._out = bytearray()
        self._eof = False

    # -- identity and state -----------------------------------------------------------
    @property
    def fd(self) -> int:
        return self._fd

    @property
    def pid(self) -> int:
        return self._process.pid

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
        return self._fd < 0

    @property
    def wants_write(self) -> bool:
        return bool(self._out) and not self.closed

    @property
    def pending_write_bytes(self) -> int:
        return len(self._out)

    @property
    def exit_status(self) -> int | None:
        return self._process.poll()

    # -- I/O --------------------------------------------------------------------------
    def read(self, limit: int = 65536) -> bytes:
        if self.closed:
            return b""
        try:
            data = os.read(self._fd, limit)
        except BlockingIOError:
            return b""
        except OSError as exc:
            # Linux reports a master whose slave side is closed by every process as
            # EIO rather than as end of file.
            if exc.errno == errno.EIO:
                self._eof = True
                return b""
            raise PtyError(f"reading the terminal of pid {self.pid} failed: {exc}") from exc
        if not data:
            self._eof = True
        return data

    def write(self, data: bytes) -> None:
        if self.closed:
            raise PtyError(f"the terminal of pid {self.pid} is closed")
        if not data:
            return
        if len(self._out) + len(data) > self._max_pending:
            raise WriteQueueFullError(
                f"{len(self._out)} bytes already wait for pid {self.pid}; "
                f"refusing {len(data)} more (bound {self._max_pending})"
            )
        self._out += data
        # Try at once: keystrokes should not wait for an event loop round trip.
        self.flush()

    def flush(self) -> None:
        while self._out and not self.closed:
            try:
                written = os.write(self._fd, self._out)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno != errno.EIO:
                    raise PtyError(f"writing to pid {self.pid} failed: {exc}") from exc
                # Nobody holds the slave open any more: the input can never be read.
                self._out.clear()
                self._eof = True
                return
            del self._out[:written]

    def resize(self, cols: int, rows: int) -> None:
        if cols < 1 or rows < 1:
            raise ValueError(f"terminal size must be positive, got {cols}x{rows}")
        if self.closed:
            return
        _set_winsize(self._fd, cols, rows)
        self._size = (cols, rows)

    # -- lifetime ---------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def terminate(self, grace: float = DEFAULT_TERMINATE_GRACE) -> int | None:
        if self._process.poll() is None:
            # Not yet reaped, so the pid (and the process group it leads) is still ours.
            self._signal(signal.SIGHUP)
            self._signal(signal.SIGCONT)  # a stopped child cannot act on the hangup
            if self.wait(grace) is None:
                self._signal(signal.SIGKILL)
                self._process.wait()
        self._close_fd()
        return self._process.returncode

    def close(self) -> None:
        if self._process.poll() is None:
            self.terminate()
        self._close_fd()

    def _signal(self, sig: signal.Signals) -> None:
        # The child leads its own session, so its process group id is its pid; the group
        # also holds what it ran in the foreground without job control.
        for send in (os.killpg, os.kill):
            try:
                send(self.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def _close_fd(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            self._out.clear()
            os.close(fd)

    # -- what runs in it --------------------------------------------------------------
    def _foreground_pgid(self) -> int | None:
        if self.closed:
            return None
        try:
            return os.tcgetpgrp(self._fd)
        except OSError:
            return None

    def _candidates(self) -> list[int]:
        # The foreground group's leader first, then the child itself; never a pid we
        # already reaped, which the system may have given to an unrelated process.
        if self._process.returncode is not None:
            return []
        pgid = self._foreground_pgid()
        return [self.pid] if pgid is None or pgid == self.pid else [pgid, self.pid]

    def is_busy(self) -> bool:
        pgid = self._foreground_pgid()
        return pgid is not None and pgid != self.pid

    def foreground_process_name(self) -> str | None:
        for pid in self._candidates():
            try:
                with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as f:
                    return f.read().rstrip("\n")
            except OSError:
                continue  # no /proc (macOS), or the group's leader has exited
        return None

    def cwd(self) -> str | None:
        for pid in self._candidates():
            try:
                return os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                continue
        return None
