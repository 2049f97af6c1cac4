"""Per-client frame sync: send each client only what it has not seen.

The emulator's ``take_frame()`` reads damage once; several clients may watch one session
and each may have fallen behind by a different amount. So the worker absorbs every emulator
frame into a ``ScreenState`` that stamps each row with the version in which it last
changed, and each client has a ``ClientCursor`` saying which version it has seen. A
client's next frame holds the rows newer than that, the current cursor, modes and title,
the history count and the lines that entered history since (bounded), and the style-table
entries it does not know yet. A client that fell behind gets the latest state in one
frame, never a queue of stale ones (mosh's state synchronisation, tmux's redraw).

Hot path: ``absorb`` and ``frame_for`` run once per frame tick (at most 60 a second per
session under a flood); they touch only changed rows.

Qt-free, so it is tested by feeding an emulator and comparing replicas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from terminal.frames import HISTORY_TAIL_LIMIT, Frame, Line, ScreenReplica, StyleTable

HistoryReader = Callable[[int, int], list[Line]]


@dataclass
class ClientCursor:
    """What one client has seen of one session."""

    seen_version: int = -1  # -1: nothing yet, the next frame is full
    history_seen: int = 0  # history_total of the last frame sent
    styles_known: int = 0  # style ids below this are known to the client
    seq: int = 0
    size: tuple[int, int] | None = None  # the size this client's window asked for

    def force_full(self) -> None:
        """After dropped frames: the next frame replaces everything."""
        self.seen_version = -1


class ScreenState(ScreenReplica):
    """The latest state of one session's screen, each row stamped with a version.

    A replica (it applies the emulator's frames the way a window does) plus, per row, the
    version in which it last changed; it keeps no history of its own (the emulator has it).
    """

    def __init__(self, columns: int, rows: int) -> None:
        super().__init__(columns, rows, max_history=0)
        self.version = 0
        self.reset_version = 0  # last version that replaced every row (resize, switch)
        self.row_versions = [0] * rows

    def absorb(self, frame: Frame) -> None:
        """Take in what the emulator's ``take_frame()`` returned."""
        self.version += 1
        v = self.version
        full = frame.full or (frame.columns, frame.rows) != (self.columns, self.rows)
        self.apply(frame)
        if full:
            self.row_versions = [v] * frame.rows
            self.reset_version = v
        else:
            versions = self.row_versions
            for row in frame.lines:
                if 0 <= row < self.rows:
                    versions[row] = v

    def frame_for(
        self,
        client: ClientCursor,
        styles: StyleTable,
        history: HistoryReader,
        *,
        tail_limit: int = HISTORY_TAIL_LIMIT,
    ) -> Frame | None:
        """The frame that brings ``client`` up to date, or None when it already is."""
        full = client.seen_version < self.reset_version or client.seen_version < 0
        if (
            not full
            and client.seen_version == self.version
            and client.history_seen == self.history_total
            and client.styles_known == len(styles)
        ):
            return None
        if full:
            lines = dict(enumerate(self.lines))
        else:
            seen = client.seen_version
            lines = {r: self.lines[r] for r, v in enumerate(self.row_versions) if v > seen}
        new_history = self.history_total - (0 if full else client.history_seen)
        if new_history > tail_limit:
            # More went by than a tail may carry: the client's history will have a gap
            # whatever we send, and what lies before the gap is fetched on demand. So one
            # screenful (what a first page up shows) rather than the whole bound: under a
            # flood that is 60 frames a second, each of them decoded, encoded, sent and
            # decoded again.
            tail_limit = min(tail_limit, self.rows)
        count = max(0, min(new_history, tail_limit, self.history_size))
        tail = tuple(history(self.history_total - count, count)) if count else ()
        client.seq += 1
        frame = Frame(
            columns=self.columns,
            rows=self.rows,
            full=full,
            lines=lines,
            cursor=self.cursor,
            private_modes=self.private_modes,
            ansi_modes=self.ansi_modes,
            title=self.title,
            icon_title=self.icon_title,
            cwd=self.cwd,
            alternate=self.alternate,
            history_total=self.history_total,
            history_size=self.history_size,
            history_tail=tail,
            styles=styles.since(client.styles_known),
            seq=client.seq,
        )
        client.seen_version = self.version
        client.history_seen = self.history_total
        client.styles_known = len(styles)
        return frame

