"""Test doubles for the terminal view: a recording ``SessionHandle`` and frame builders,
plus ``start_shell`` for tests that need a real shell on a real PTY (through the app
shell's local backend, the same door the application uses)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from app.gui.backend import SessionHandle
from terminal.frames import Cursor, Frame, Line, Style


class FakeHandle(SessionHandle):
    """Records what the view sends; the test emits frames with ``send``."""

    def __init__(self, history: Sequence[Line] = ()) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.sizes: list[tuple[int, int]] = []
        self.full_frames_requested = 0
        self.history = list(history)  # what the "producer" retains, by absolute number
        self.fetches: list[tuple[int, int]] = []
        self.seq = 0

    @property
    def session_id(self) -> str:
        return "fake"

    @property
    def persistent(self) -> bool:
        return False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def resize(self, columns: int, rows: int) -> None:
        self.sizes.append((columns, rows))

    def close(self) -> None:
        pass

    def foreground_process(self) -> str:
        return ""

    def cwd(self) -> str:
        return ""

    def is_busy(self) -> bool:
        return False

    def fetch_history(self, first: int, count: int) -> list[tuple[int, Line]]:
        self.fetches.append((first, count))
        return [(n, self.history[n]) for n in range(first, first + count)
                if 0 <= n < len(self.history)]

    def request_full_frame(self) -> None:
        self.full_frames_requested += 1

    @property
    def sent(self) -> bytes:
        return b"".join(self.written)

    def send(self, frame: Frame) -> None:
        self.frame.emit(frame)


def line(text: str = "", sid: int = 0, *, wrapped: bool = False) -> Line:
    return Line(((text, sid),) if text else (), wrapped)


def frame(
    rows: Iterable[Line | str],
    *,
    columns: int = 20,
    height: int | None = None,
    cursor: Cursor | None = None,
    styles: dict[int, Style] | None = None,
    private_modes: Iterable[int] = (7, 25),
    alternate: bool = False,
    history_total: int = 0,
    history_size: int | None = None,
    history_tail: Sequence[Line] = (),
    title: str = "",
) -> Frame:
    """A full frame of ``rows`` (strings become default-style lines)."""
    lines = [r if isinstance(r, Line) else line(r) for r in rows]
    height = height or len(lines)
    return Frame(
        columns=columns,
        rows=height,
        full=True,
        lines=dict(enumerate(lines)),
        cursor=cursor or Cursor(0, 0),
        private_modes=frozenset(private_modes),
        styles=dict(styles or {}),
        alternate=alternate,
        history_total=history_total,
        history_size=history_total if history_size is None else history_size,
        history_tail=tuple(history_tail),
        title=title,
    )


def start_shell(argv: Sequence[str] | None = None, **kwargs: Any) -> Any:
    """A real program on a real PTY behind the app shell's ``LocalSessionHandle``; a
    plain ``sh`` with a short prompt by default, so screens are predictable."""
    from app.gui.local_backend import LocalSessionHandle

    env = dict(os.environ)
    env.update({"PS1": "$ ", "TERM": "xterm-256color", "ENV": "", "HISTFILE": "/dev/null"})
    env.update(kwargs.pop("env", {}))
    return LocalSessionHandle(list(argv or ["/bin/sh"]), env=env, **kwargs)
