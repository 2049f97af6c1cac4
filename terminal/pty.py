"""Programs on pseudo-terminals, behind one interface on every platform.

What it does: ``spawn`` starts a program (by default the user's shell) on a new
pseudo-terminal and returns a ``Pty``. A ``Pty`` exposes one file descriptor, ``fd``, that
its owner watches for readability (on Windows a reader thread feeds a socket so that there
is such a descriptor); ``read`` never blocks; ``write`` never blocks either: what the
terminal cannot take at once waits in a queue that the owner drains with ``flush`` when
``wants_write`` is true and ``fd`` is writable (see docs/decisions/0002-pty-write-queue.md).
It also resizes the terminal, reports the exit status, terminates and reaps the child, and
names the foreground process and its working directory where the OS tells them.

What it does not do: it has no event loop, no threads of its own on POSIX and no timers;
it never parses output (that is ``terminal.emulator``) and knows nothing of Qt. The owner
(the worker's socket notifier or the GUI's local fallback, through ``terminal.session``)
decides when to read and when to flush. A ``Pty`` is not thread-safe: one thread calls it.

The backends live in ``terminal._pty_posix`` and ``terminal._pty_windows``; this module
holds what they share: the interface, the errors, the default program and the child's
environment.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from typing import Protocol

from terminal import __version__

__all__ = [
    "TERM_PROGRAM_VERSION",
    "Pty",
    "PtyError",
    "SpawnError",
    "WriteQueueFullError",
    "child_environment",
    "default_argv",
    "spawn",
]


TERM_PROGRAM_VERSION = __version__

# What a write may leave queued before ``write`` refuses more. Large enough for any paste a
# person makes (the acceptance test pastes 10 MiB), small enough that a child that never
# reads its input cannot make the owner's memory grow without limit.
DEFAULT_MAX_PENDING_WRITE = 64 * 1024 * 1024

# How long ``terminate`` waits after SIGHUP before it sends SIGKILL.
DEFAULT_TERMINATE_GRACE = 1.0


class PtyError(Exception):
    """Something about a pseudo-terminal failed; the message says what."""


class SpawnError(PtyError):
    """The program could not be started. ``what`` is the program or directory at fault."""

    def __init__(self, message: str, *, what: str) -> None:
        super().__init__(message)
        self.what = what


class WriteQueueFullError(PtyError):
    """A write would queue more than the pty's bound; nothing of it was queued."""


class Pty(Protocol):
    """A child process on a pseudo-terminal, driven by an owner that watches ``fd``."""

    @property
    def fd(self) -> int:
        """The descriptor to watch: readable when output (or EOF) is there."""

    @property
    def write_fd(self) -> int:
        """The descriptor to watch for writability while ``wants_write`` (often ``fd``)."""

    @property
    def pid(self) -> int: ...

    @property
    def argv(self) -> tuple[str, ...]: ...

    @property
    def size(self) -> tuple[int, int]:
        """``(cols, rows)`` as last set."""

    @property
    def eof(self) -> bool:
        """The child's side of the terminal is closed: stop watching ``fd``."""

    @property
    def wants_write(self) -> bool:
        """Queued input waits for ``fd`` to become writable; then call ``flush``."""

    @property
    def pending_write_bytes(self) -> int: ...

    @property
    def exit_status(self) -> int | None:
        """The exit code, ``-signal`` if a signal killed it, None while it runs.

        Reading it reaps the child if it has exited (it never blocks)."""

    @property
    def closed(self) -> bool: ...

    def read(self, limit: int = 65536) -> bytes:
        """Up to ``limit`` bytes of output; b"" when nothing is there or at EOF."""

    def write(self, data: bytes) -> None:
        """Send ``data`` to the child; what cannot go at once is queued, in order."""

    def flush(self) -> None:
        """Write as much of the queue as the terminal takes now, without blocking."""

    def resize(self, cols: int, rows: int) -> None: ...

    def wait(self, timeout: float | None = None) -> int | None:
        """Block up to ``timeout`` seconds (None: forever) for the exit status."""

    def terminate(self, grace: float = DEFAULT_TERMINATE_GRACE) -> int | None:
        """Hang up, kill after ``grace`` seconds if still alive, reap, close ``fd``."""

    def close(self) -> None:
        """``terminate`` if the child runs, then release ``fd``. Idempotent."""

    def foreground_process_name(self) -> str | None: ...

    def cwd(self) -> str | None:
        """The working directory of the foreground process (else the child's)."""

    def is_busy(self) -> bool:
        """A program other than the child itself owns the terminal's foreground."""


def default_argv(env: Mapping[str, str] | None = None) -> list[str]:
    """The user's shell: ``$SHELL``, else the passwd entry's shell, else ``/bin/sh``."""
    environ = os.environ if env is None else env
    shell = environ.get("SHELL", "")
    if not shell and sys.platform != "win32":
        import pwd  # POSIX only

        try:
            shell = pwd.getpwuid(os.getuid()).pw_shell
        except KeyError:  # a uid without a passwd entry (containers)
            shell = ""
    if not shell:
        shell = environ.get("COMSPEC", "cmd.exe") if sys.platform == "win32" else "/bin/sh"
    return [shell]


def child_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ``env`` (default: ours) plus what identifies the terminal."""
    result = dict(os.environ if env is None else env)
    # COLUMNS and LINES, if inherited, would override the size the tty reports and go
    # stale at the first resize.
    result.pop("COLUMNS", None)
    result.pop("LINES", None)
    result["TERM"] = "xterm-256color"
    result["COLORTERM"] = "truecolor"
    result["TERM_PROGRAM"] = "emberterm"
    result["TERM_PROGRAM_VERSION"] = TERM_PROGRAM_VERSION
    return result


def resolve_program(program: str, env: Mapping[str, str], *, cwd: str | None = None) -> str:
    """The absolute path ``program`` runs from, searched on the child's PATH; or ``SpawnError``.

    ``env`` is the child's environment, not ours. A relative name (``./tool``, or a PATH
    entry such as ``bin``) means what it would to the child, which starts in ``cwd``
    (None: our working directory).
    """
    search = env.get("PATH", os.defpath)
    candidate = program
    if cwd is not None:
        if os.path.dirname(program):
            candidate = os.path.join(cwd, program)
        if search:
            # An empty entry is the current directory, which joins to ``cwd`` itself.
            search = os.pathsep.join(os.path.join(cwd, d) for d in search.split(os.pathsep))
    found = shutil.which(candidate, path=search)
    if found is None:
        raise SpawnError(f"program not found or not executable: {program!r}", what=program)
    return os.path.abspath(found)


def check_cwd(cwd: str | os.PathLike[str] | None) -> str | None:
    """``cwd`` as a string if the child can start there; else ``SpawnError``."""
    if cwd is None:
        return None
    path = os.fspath(cwd)
    if not os.path.isdir(path):
        raise SpawnError(f"working directory does not exist: {path!r}", what=path)
    if not os.access(path, os.X_OK):
        raise SpawnError(f"working directory is not accessible: {path!r}", what=path)
    return path


def spawn(
    argv: Sequence[str] | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    cols: int = 80,
    rows: int = 24,
    max_pending_write: int = DEFAULT_MAX_PENDING_WRITE,
    relay: bool = False,
) -> Pty:
    """Start ``argv`` (default: the user's shell) on a new ``cols`` x ``rows`` terminal.

    ``env`` replaces our environment (None: inherit it); the terminal's own variables
    (``TERM``, ``COLORTERM``, ``TERM_PROGRAM``, ``TERM_PROGRAM_VERSION``) are always set.
    Raises ``SpawnError`` naming the program or directory when the child cannot start;
    nothing (descriptor, thread or process) is left behind then. ``max_pending_write``
    bounds the input queue: a ``write`` that would exceed it raises ``WriteQueueFullError``.
    ``relay`` (Linux; ignored elsewhere) moves the terminal's blocking I/O into two ``cat``
    processes, so that a flood is read while the owner parses (the worker uses it).
    """
    if cols < 1 or rows < 1:
        raise ValueError(f"terminal size must be positive, got {cols}x{rows}")
    if isinstance(argv, str):
        # A command line would be split into characters; say so rather than fail to find
        # a program called "s".
        raise TypeError("argv must be a sequence of strings, not a str")
    if sys.platform == "win32":
        from terminal._pty_windows import spawn_windows

        return spawn_windows(
            argv, cwd=cwd, env=env, cols=cols, rows=rows, max_pending_write=max_pending_write
        )
    from terminal._pty_posix import spawn_posix

    return spawn_posix(
        argv,
        cwd=cwd,
        env=env,
        cols=cols,
        rows=rows,
        max_pending_write=max_pending_write,
        relay=relay,
    )
