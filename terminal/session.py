"""A session: one program on a ``Pty`` and the ``Emulator`` that turns its output into a screen.

What it does: spawns the program, and when its owner says the descriptor is readable
(``on_readable``) drains what is there, up to a bound, and feeds it to the emulator in one
go; writes the emulator's replies (device attributes, cursor reports) back to the program;
sends input (``write``) and drains the input queue when the owner says the descriptor is
writable (``on_writable``); resizes the terminal and the screen together; and reports the
program's exit exactly once, with its status.

What it does not do: it watches nothing and has no timers or threads. The owner, the
worker under a Qt ``QSocketNotifier`` or the GUI's local fallback, watches ``fd`` for
readability always and ``write_fd`` (the same descriptor unless the terminal is relayed)
for writability while ``wants_write``; stops watching once ``eof``
(the descriptor then stays readable for ever), and calls ``close`` after it stopped. It
also calls ``check_exit`` on a slow timer: a shell that exits while a job it put in the
background still holds the terminal open produces no end of output to notice.
Because it knows no event loop the same class runs in both places. Like ``Pty`` it is
not thread-safe: the owner's thread makes every call.

The emulator comes from ``terminal.emulator`` unless ``emulator_factory`` says otherwise;
the PTY from ``terminal.pty.spawn`` unless ``pty`` or ``pty_factory`` does.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from terminal.frames import HISTORY_TAIL_LIMIT, Frame
from terminal.pty import DEFAULT_TERMINATE_GRACE, Pty, WriteQueueFullError, spawn

__all__ = ["EmulatorLike", "Session"]

log = logging.getLogger(__name__)

# How much output one ``on_readable`` takes before it returns to the owner's event loop:
# enough that a flood is parsed in large batches (one feed per call), little enough that
# the loop still gets to paint and to read keys between batches.
READ_BUDGET = 1024 * 1024
_READ_CHUNK = 64 * 1024

# How long ``on_readable`` waits for the exit status once output ended. The child closes
# its terminal a moment before the kernel lets us reap it, so a non-blocking check alone
# would miss most exits; a child that closes its terminal and lives on costs this once.
EXIT_REAP_WAIT = 0.5


class EmulatorLike(Protocol):
    """What a session needs of ``terminal.emulator.Emulator``."""

    def feed(self, data: bytes) -> None: ...

    def resize(self, columns: int, lines: int) -> None: ...

    def take_frame(self, tail_limit: int = ...) -> Frame: ...

    @property
    def title(self) -> str: ...


EmulatorFactory = Callable[..., EmulatorLike]
PtyFactory = Callable[..., Pty]
ExitCallback = Callable[[int], None]


def _default_emulator_factory(
    columns: int, lines: int, *, history: int, on_reply: Callable[[bytes], None]
) -> EmulatorLike:
    from terminal.emulator import Emulator  # imported late: tests may never need it

    emulator: EmulatorLike = Emulator(columns, lines, history=history, on_reply=on_reply)
    return emulator


class Session:
    """A program on a pseudo-terminal, with its screen.

    ``argv``, ``cwd``, ``env``, ``cols`` and ``rows`` are those of ``terminal.pty.spawn``;
    ``history`` is how many scrolled-off lines the emulator keeps. ``on_exit(status)`` is
    called once, when the program has exited and was reaped (status as in
    ``Pty.exit_status``).
    """

    def __init__(
        self,
        argv: Sequence[str] | None = None,
        *,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        cols: int = 80,
        rows: int = 24,
        history: int = 10000,
        on_exit: ExitCallback | None = None,
        pty: Pty | None = None,
        pty_factory: PtyFactory = spawn,
        emulator_factory: EmulatorFactory | None = None,
        read_budget: int = READ_BUDGET,
    ) -> None:
        self._on_exit = on_exit
        self._read_budget = read_budget
        self._exit_reported = False
        self._exit_status: int | None = None
        factory = emulator_factory or _default_emulator_factory
        # The emulator first: if it fails, no process has been started to leak.
        self._emulator = factory(cols, rows, history=history, on_reply=self._reply)
        self._pty = (
            pty if pty is not None else pty_factory(argv, cwd=cwd, env=env, cols=cols, rows=rows)
        )
        self._initial_cwd = os.fspath(cwd) if cwd is not None else os.getcwd()

    # -- identity ---------------------------------------------------------------------
    @property
    def emulator(self) -> EmulatorLike:
        return self._emulator

    @property
    def pty(self) -> Pty:
        return self._pty

    @property
    def argv(self) -> tuple[str, ...]:
        return self._pty.argv

    @property
    def initial_cwd(self) -> str:
        return self._initial_cwd

    @property
    def pid(self) -> int:
        return self._pty.pid

    @property
    def fd(self) -> int:
        return self._pty.fd

    @property
    def write_fd(self) -> int:
        """Watch this for writability while ``wants_write`` (``fd`` unless relayed)."""
        return self._pty.write_fd

    @property
    def wants_write(self) -> bool:
        return self._pty.wants_write

    @property
    def pending_write_bytes(self) -> int:
        return self._pty.pending_write_bytes

    @property
    def eof(self) -> bool:
        """The program's output ended: stop watching ``fd``."""
        return self._pty.eof or self._pty.closed

    @property
    def exited(self) -> bool:
        """The exit was reported (``on_exit`` has been called)."""
        return self._exit_reported

    @property
    def exit_status(self) -> int | None:
        return self._exit_status

    # -- driven by the owner ----------------------------------------------------------
    def on_readable(self) -> int:
        """Drain the program's output (up to the read budget) into the emulator.

        Returns how many bytes were fed. At end of output, reaps the program and
        reports its exit."""
        if self.eof:
            self.check_exit()
            return 0
        chunks: list[bytes] = []
        total = 0
        while total < self._read_budget:
            data = self._pty.read(min(_READ_CHUNK, self._read_budget - total))
            if not data:
                break
            chunks.append(data)
            total += len(data)
        if chunks:
            # One feed per call: the emulator's per-call costs (damage bookkeeping) are
            # paid once per batch, not once per 64 KiB.
            self._emulator.feed(b"".join(chunks))
        if self._pty.eof:
            if self._pty.exit_status is None:
                self._pty.wait(EXIT_REAP_WAIT)
            self.check_exit()
        return total

    def on_writable(self) -> None:
        """Send as much queued input as the terminal takes now."""
        if not self._pty.closed:
            self._pty.flush()

    def check_exit(self) -> int | None:
        """Reap the program if it has exited (never blocks); report the exit once."""
        status = self._pty.exit_status
        if status is not None:
            self._report_exit(status)
        return status

    # -- input and size ---------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Send input to the program. Input to a program whose terminal is gone is dropped.

        Raises ``WriteQueueFullError`` when the program has not read enough of what was
        sent before for ``data`` to fit."""
        if self.eof:
            return
        self._pty.write(data)

    def resize(self, cols: int, rows: int) -> None:
        """Resize the screen and the terminal (the program gets SIGWINCH)."""
        self._emulator.resize(cols, rows)
        if not self._pty.closed:
            self._pty.resize(cols, rows)

    def take_frame(self, tail_limit: int = HISTORY_TAIL_LIMIT) -> Frame:
        return self._emulator.take_frame(tail_limit)

    # -- what runs in it --------------------------------------------------------------
    def foreground_process_name(self) -> str | None:
        return None if self.eof else self._pty.foreground_process_name()

    def cwd(self) -> str | None:
        """The foreground program's working directory where the OS tells it."""
        return None if self.eof else self._pty.cwd()

    def is_busy(self) -> bool:
        """Something other than the session's own program runs in the foreground."""
        return not self.eof and self._pty.is_busy()

    # -- lifetime ---------------------------------------------------------------------
    def terminate(self, grace: float = DEFAULT_TERMINATE_GRACE) -> int | None:
        """Hang up on the program, kill it after ``grace`` seconds, reap it, close ``fd``.

        Stop watching ``fd`` first. Reports the exit if that was not done yet."""
        status = self._pty.terminate(grace)
        if status is not None:
            self._report_exit(status)
        return status

    def close(self) -> None:
        """Release everything: terminate the program if it runs. Stop watching ``fd`` first."""
        self._pty.close()
        self.check_exit()

    def _report_exit(self, status: int) -> None:
        if self._exit_reported:
            return
        # Set before the callback runs, so a callback that re-enters the session (say, by
        # calling close) cannot report a second time.
        self._exit_reported = True
        self._exit_status = status
        if self._on_exit is not None:
            self._on_exit(status)

    def _reply(self, data: bytes) -> None:
        # The emulator answers the program (DA, DSR, DECRQM...). A reply to a program
        # whose terminal is gone has nobody to read it.
        if self.eof:
            return
        try:
            self._pty.write(data)
        except WriteQueueFullError:
            log.warning("dropped a %d-byte reply to pid %d: input queue full", len(data), self.pid)

    def __repr__(self) -> str:
        state: Any = self._exit_status if self._exit_reported else "running"
        return f"<Session pid={self._pty.pid} argv={list(self.argv)!r} {state}>"
