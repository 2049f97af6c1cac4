"""The POSIX backend of ``terminal.pty``: a child started by ``ptyprocess``, non-blocking I/O.

What it does: starts the child with ``ptyprocess`` (``forkpty``: a new session whose
controlling terminal is the new pseudo-terminal) by the absolute path found on the child's
own PATH; sets the size, IUTF8 and the working directory in the child before ``exec``;
reads and writes the master side without ever blocking -- or, with ``relay`` (Linux),
has two ``cat`` processes do the master's blocking I/O while the owner reads and writes
their pipes without blocking (``_Relay``, decision 0016), and reads the master itself if a
relay ``cat`` dies while the terminal lives on; resizes with ``TIOCSWINSZ`` (the
kernel sends the foreground process group SIGWINCH); hangs up, kills and reaps the child;
names the foreground process group's leader and its working directory from ``/proc``
(Linux).

What it does not do: no threads, no signal handlers (exit is noticed as EOF/EIO on the
master, then reaped with ``waitpid`` on the child's own pid, never ``-1``), no parsing of
output, and none of ptyprocess's blocking file objects: only its fork-and-exec is used.

ptyprocess 0.7 has three defects that this module works around (see
docs/decisions/0009-posix-pty-on-ptyprocess.md): it searches *our* PATH (we resolve the
program on the child's PATH first and pass the absolute path); its ``chdir`` runs unguarded
in the forked child, so a bad directory leaves a copy of our process running (we check the
directory first and do the ``chdir`` ourselves in ``preexec_fn``, whose failure ptyprocess
reports to the parent like a failed ``exec``); and it raises on a failed ``exec`` without
reaping the child (``_Fork`` records the child as ptyprocess creates its result, so that we
can reap it).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Mapping, Sequence

import ptyprocess

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

log = logging.getLogger(__name__)

__all__ = ["PosixPty", "spawn_posix"]


# termios.IUTF8 only exists from Python 3.12; Linux and macOS share the value.
_IUTF8: int = getattr(termios, "IUTF8", 0x4000)

# Signals Python ignores at startup. An ignored disposition survives exec, and ptyprocess
# (unlike subprocess, whose restore_signals does this) leaves them ignored: ``yes | head``
# in the shell would then report "Broken pipe" instead of ending quietly.
_RESTORED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(signal, name)
)

# The exit code of a forked child in which ptyprocess raised where it does not catch, before
# exec (see ``spawn_posix``): the shell's "command could not be run".
_CHILD_SETUP_FAILED = 127


# Relayed output is buffered in a pipe this large (Linux: F_SETPIPE_SZ; 1 MiB is the
# default most an unprivileged process may ask for), so the relay keeps draining the
# terminal while the parser works through what it read before.
RELAY_PIPE_SIZE = 1 << 20
_F_SETPIPE_SZ = 1031
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> Callable[[], None]:
    """A ``preexec_fn``: the relay is killed when the process that started it dies (a
    relay that outlived a killed worker would hold the terminal open, and its shell would
    never get its hangup)."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork

    def setup() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # it died before the line above
            os._exit(1)

    return setup


class _Relay:
    """Two ``cat`` processes doing the blocking I/O on a master, beside the parser.

    Reading a pseudo-terminal gives at most 4 KiB per call, and each call waits for the
    kernel to refill its line-discipline buffer; in one Python process those waits add
    to the parsing (a thread does not help: every 4 KiB would have to win the GIL back).
    So one ``cat`` copies the master into a large pipe and another copies a pipe into the
    master, while the owner reads and writes the pipes without blocking, a megabyte at a
    time under a flood. The master is blocking (it is shared with the ``cat``s) and only
    used for ioctls. Linux only (``prctl``); see docs/decisions/0016-pty-relay.md.
    """

    def __init__(self, cat: str, master: int) -> None:
        out_r, out_w = os.pipe()
        in_r, in_w = os.pipe()
        self.read_fd, self.write_fd = out_r, in_w
        self._procs: list[subprocess.Popen[bytes]] = []
        try:
            try:
                fcntl.fcntl(out_w, _F_SETPIPE_SZ, RELAY_PIPE_SIZE)
            except OSError:
                pass  # the default pipe size works, only slower under a flood
            os.set_blocking(master, True)
            for stdin, stdout in ((master, out_w), (in_r, master)):
                self._procs.append(
                    subprocess.Popen(
                        [cat],
                        stdin=stdin,
                        stdout=stdout,
                        stderr=subprocess.DEVNULL,
                        start_new_session=True,  # not hit by signals to our group
                        preexec_fn=_die_with_parent(os.getpid()),
                    )
                )
        except BaseException:
            self.close()
            raise
        finally:
            os.close(out_w)
            os.close(in_r)
        os.set_blocking(out_r, False)
        os.set_blocking(in_w, False)

    @property
    def pids(self) -> list[int]:
        return [proc.pid for proc in self._procs]

    def close(self) -> None:
        """Close our ends and end both ``cat``s (the terminal may still be open)."""
        for fd in (self.read_fd, self.write_fd):
            if fd >= 0:
                os.close(fd)
        self.read_fd = self.write_fd = -1
        self.stop()

    def stop(self) -> None:
        """End both ``cat``s (killed and reaped); our ends of the pipes stay open."""
        for proc in self._procs:
            proc.kill()
            proc.wait()
        self._procs = []


def _relay_program() -> str | None:
    """The ``cat`` a relay runs, where relaying is possible (Linux), else None."""
    return shutil.which("cat") if sys.platform.startswith("linux") else None


def _set_winsize(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class _Fork(ptyprocess.PtyProcess):  # type: ignore[misc]  # ptyprocess has no types
    """``PtyProcess.spawn`` reduced to fork-and-exec: the child and the master fd, nothing else.

    ``spawn`` builds its result with ``cls(pid, fd)`` right after the fork and only then
    learns (from its error pipe) whether ``exec`` worked; when it did not, it raises and the
    instance, the only thing that knows the pid, is lost with the child unreaped. This
    ``__init__`` records the child where ``spawn_posix`` finds it (per thread) before that
    can happen. It also opens none of PtyProcess's file objects: those own ``fd``, block,
    and close it when collected, while here the descriptor belongs to ``PosixPty``. For the
    same reason ``__del__`` (PtyProcess's closes the fd, sleeps and kills the child) is a
    no-op: this object is dropped as soon as ``spawn`` returns or raises.
    """

    def __init__(self, pid: int, fd: int, *_args: object, **_kwargs: object) -> None:
        self.pid = pid
        self.fd = fd
        self.closed = False
        _born.child = (pid, fd)

    def __del__(self) -> None:
        pass


# What the last ``_Fork`` of this thread recorded: (pid, master fd), or None.
_born = threading.local()


def _child_setup(start_dir: str | None) -> Callable[[], None]:
    """What runs in the child after ``forkpty`` (the terminal is fd 0) and before ``exec``."""

    def setup() -> None:
        for sig in _RESTORED_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        # So that the line editor of a canonical-mode read erases a whole UTF-8 character
        # on backspace, as every modern terminal sets it. Set before exec: a program that
        # reads its terminal's modes at startup must already see it.
        attrs = termios.tcgetattr(0)
        attrs[0] |= _IUTF8
        termios.tcsetattr(0, termios.TCSANOW, attrs)
        # Here rather than through spawn's ``cwd``: ptyprocess catches what preexec_fn
        # raises and reports it to the parent, but not a failure of its own chdir.
        if start_dir is not None:
            os.chdir(start_dir)

    return setup


def _discard_child(pid: int, fd: int) -> None:
    """Close the master and kill and reap a child that ``spawn`` gave up on."""
    os.close(fd)
    # The child of a failed exec is exiting already; one that got as far as exec must not
    # outlive a spawn that raised. Its pid is unreaped, so it cannot name another process.
    for send in (os.killpg, os.kill):
        try:
            send(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def spawn_posix(
    argv: Sequence[str] | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    cols: int = 80,
    rows: int = 24,
    max_pending_write: int = DEFAULT_MAX_PENDING_WRITE,
    relay: bool = False,
) -> PosixPty:
    """Start ``argv`` on a new pseudo-terminal; see ``terminal.pty.spawn``. ``relay``:
    do the terminal's I/O through a ``_Relay`` where possible (Linux)."""
    args = list(argv) if argv else default_argv(env)
    child_env = child_environment(env)
    # Checked before anything is forked, so the common failures cost nothing to clean up
    # and name the culprit; the chdir in the child remains the authority (the directory
    # could vanish in between), and its failure is reported, not fatal to us.
    start_dir = check_cwd(cwd)
    program = resolve_program(args[0], child_env, cwd=start_dir)
    parent = os.getpid()
    _born.child = None
    try:
        child = _Fork.spawn(
            [program, *args[1:]],
            env=child_env,
            dimensions=(rows, cols),
            preexec_fn=_child_setup(start_dir),
        )
    except BaseException as exc:
        if os.getpid() != parent:
            # ptyprocess raised in the forked child outside the steps it guards; unwinding
            # further would run a copy of our program. Die here, as exec failing would.
            os._exit(_CHILD_SETUP_FAILED)
        born: tuple[int, int] | None = _born.child
        _born.child = None
        if born is not None:
            _discard_child(*born)
        if not isinstance(exc, Exception):
            raise
        raise _spawn_error(exc, args[0], start_dir, forked=born is not None) from exc
    _born.child = None
    pid: int = child.pid
    fd: int = child.fd
    try:
        # forkpty's master is inheritable: another program we start would keep the
        # terminal open and EOF would never come.
        os.set_inheritable(fd, False)
        os.set_blocking(fd, False)
        cat = _relay_program() if relay else None
        relayed = _Relay(cat, fd) if cat is not None else None
    except BaseException:
        _discard_child(pid, fd)
        raise
    return PosixPty(pid, fd, tuple(args), cols, rows, max_pending_write, relayed)


def _spawn_error(
    exc: Exception, program: str, start_dir: str | None, *, forked: bool
) -> SpawnError:
    # ptyprocess re-raises a failed exec as a plain OSError carrying its errno, and a failure
    # in preexec_fn as the builtin class it had (FileNotFoundError, PermissionError, ...);
    # the only step of ours there that raises an OSError is the chdir.
    if forked and start_dir is not None and isinstance(exc, OSError) and type(exc) is not OSError:
        return SpawnError(f"cannot start {program!r} in {start_dir!r}: {exc}", what=start_dir)
    return SpawnError(f"cannot start {program!r}: {exc}", what=program)


class PosixPty:
    """A running child on a pseudo-terminal; see ``terminal.pty.Pty`` for the contract."""

    def __init__(
        self,
        pid: int,
        master_fd: int,
        argv: tuple[str, ...],
        cols: int,
        rows: int,
        max_pending_write: int = DEFAULT_MAX_PENDING_WRITE,
        relay: _Relay | None = None,
    ) -> None:
        self._pid = pid
        self._status: int | None = None  # set once the child is reaped
        self._fd = master_fd
        self._relay = relay
        # Where output is read and input written: the master, or the relay's pipes.
        self._read_fd = relay.read_fd if relay is not None else master_fd
        self._write_fd = relay.write_fd if relay is not None else master_fd
        self._argv = argv
        self._size = (cols, rows)
        self._max_pending = max_pending_write
        # One buffer rather than a deque of chunks: deleting from the front of a
        # bytearray is cheap in CPython, and os.write takes it without a copy.
        self._out = bytearray()
        self._draining: _Relay | None = None  # a dropped relay whose pipe is still read
        self._eof = False

    # -- identity and state -----------------------------------------------------------
    @property
    def fd(self) -> int:
        return self._read_fd

    @property
    def write_fd(self) -> int:
        return self._write_fd

    @property
    def relay_pids(self) -> list[int]:
        """The relay's ``cat`` processes (none when the master is read directly)."""
        return self._relay.pids if self._relay is not None else []

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
        return self._fd < 0

    @property
    def wants_write(self) -> bool:
        return bool(self._out) and not self.closed

    @property
    def pending_write_bytes(self) -> int:
        return len(self._out)

    @property
    def exit_status(self) -> int | None:
        return self._reap(block=False)

    # -- I/O --------------------------------------------------------------------------
    def read(self, limit: int = 65536) -> bytes:
        if self.closed:
            return b""
        try:
            data = os.read(self._read_fd, limit)
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
            if self._draining is not None or (self._relay is not None and self._drop_relay()):
                # The terminal lives on and a dropped relay's pipe is empty: the master
                # takes over its descriptor number, so the owner's watch carries on.
                relay, self._draining = self._draining, None
                assert relay is not None
                os.dup2(self._fd, relay.read_fd)
                return b""
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
                written = os.write(self._write_fd, self._out)
            except BlockingIOError:
                return
            except OSError as exc:
                # EPIPE: the relay's writer is gone, with the terminal or on its own.
                if exc.errno not in (errno.EIO, errno.EPIPE):
                    raise PtyError(f"writing to pid {self.pid} failed: {exc}") from exc
                if self._relay is not None and self._drop_relay():
                    continue  # the terminal lives on: write the master itself
                # Nobody holds the slave open any more: the input can never be read.
                self._out.clear()
                self._eof = True
                return
            del self._out[:written]

    def _drop_relay(self) -> bool:
        """A relay ``cat`` ended (our read saw its pipe's end, or a write its EPIPE).

        If the terminal ended, so did the ``cat``s, as they should at the end of output:
        False, and nothing changes. If the terminal lives on (a ``cat`` was killed on its
        own), end the other ``cat`` too and go on without them: True. Input goes to the
        master at once; output is read from the relay's pipe until it is empty, then from
        the master (``read``). Bytes a dying ``cat`` held itself, and input still queued
        for the writing one, are lost; nothing after them.

        The master takes over the relay's descriptor numbers (``dup2``), so an owner that
        watches ``fd`` and ``write_fd`` (``QSocketNotifier``s) goes on unaware."""
        relay = self._relay
        assert relay is not None
        probe = select.poll()
        probe.register(self._fd, select.POLLIN)
        if dict(probe.poll(0)).get(self._fd, 0) & select.POLLHUP:
            return False  # the slave side is closed: this is the terminal's end
        self._relay, self._draining = None, relay
        relay.stop()  # neither cat may read or write the master beside us from now on
        os.set_blocking(self._fd, False)
        os.dup2(self._fd, relay.write_fd)
        log.warning(
            "a relay of pid %d's terminal ended while the terminal lives on; "
            "reading and writing the terminal directly from now on",
            self.pid,
        )
        return True

    def resize(self, cols: int, rows: int) -> None:
        if cols < 1 or rows < 1:
            raise ValueError(f"terminal size must be positive, got {cols}x{rows}")
        if self.closed:
            return
        _set_winsize(self._fd, cols, rows)
        self._size = (cols, rows)

    # -- lifetime ---------------------------------------------------------------------
    def _reap(self, *, block: bool) -> int | None:
        """The exit status, reaping the child if it has exited (waiting for it if ``block``)."""
        if self._status is None:
            try:
                pid, status = os.waitpid(self._pid, 0 if block else os.WNOHANG)
            except ChildProcessError:
                # Someone else reaped it (SIGCHLD ignored, say): the status is lost, and
                # like subprocess we call that 0 rather than report a live child forever.
                self._status = 0
            else:
                if pid == self._pid:
                    self._status = os.waitstatus_to_exitcode(status)
        return self._status

    def wait(self, timeout: float | None = None) -> int | None:
        if timeout is None:
            return self._reap(block=True)
        # waitpid has no timeout; poll with a growing pause, as subprocess does.
        deadline = time.monotonic() + timeout
        pause = 0.0005
        while (status := self._reap(block=False)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            pause = min(pause * 2, remaining, 0.05)
            time.sleep(pause)
        return status

    def terminate(self, grace: float = DEFAULT_TERMINATE_GRACE) -> int | None:
        if self._reap(block=False) is None:
            # Not yet reaped, so the pid (and the process group it leads) is still ours.
            self._signal(signal.SIGHUP)
            self._signal(signal.SIGCONT)  # a stopped child cannot act on the hangup
            if self.wait(grace) is None:
                self._signal(signal.SIGKILL)
                self._reap(block=True)
        self._close_fd()
        return self._status

    def close(self) -> None:
        if self._reap(block=False) is None:
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
            for own in {self._read_fd, self._write_fd} - {fd, -1}:
                if self._relay is None:  # a dropped relay's numbers (copies of fd by now)
                    os.close(own)
            self._read_fd = self._write_fd = -1
            self._out.clear()
            if self._relay is not None:
                self._relay.close()
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
        if self._status is not None:
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
