"""Cursor motion of the grid: CUU..CUP, CHA/HPA/VPA, CNL/CPL, BS, tabs (HT, CHT, CBT,
HTS, TBC) and the margins that bound them (DECSTBM, DECSLRM).

A mixin of ``terminal._screen.GridScreen``, split out to keep each module readable; the
state it works on is declared below and owned by ``GridScreen``. Every motion clears a
pending wrap. Clamping follows xterm: CUU/CUD stop at the scroll margins when they start
inside them, origin mode (DECOM) makes CUP/HPA/VPA relative to the margins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING


class MotionMixin:
    """Cursor movement, tab stops and margins."""

    columns: int
    lines: int
    x: int
    y: int
    pending: bool
    top: int
    bottom: int
    left: int
    right: int
    tabstops: set[int]
    private_modes: set[int]

    if TYPE_CHECKING:

        @property
        def lr_margins(self) -> bool: ...
        @property
        def origin(self) -> bool: ...
        def _update_simple(self) -> None: ...
        def carriage_return(self) -> None: ...

    # -- cursor motion ----------------------------------------------------------------
    def _hbounds(self) -> tuple[int, int]:
        """The columns the cursor may move within horizontally from where it is."""
        if self.lr_margins and self.left <= self.x <= self.right:
            return self.left, self.right
        return 0, self.columns - 1

    def cursor_up(self, count: int = 1) -> None:
        top = self.top if self.y >= self.top else 0
        self.y = max(top, self.y - max(1, count))
        self.pending = False

    def cursor_down(self, count: int = 1) -> None:
        bottom = self.bottom if self.y <= self.bottom else self.lines - 1
        self.y = min(bottom, self.y + max(1, count))
        self.pending = False

    def cursor_up1(self, count: int = 1) -> None:
        self.cursor_up(count)
        self.carriage_return()

    def cursor_down1(self, count: int = 1) -> None:
        self.cursor_down(count)
        self.carriage_return()

    def cursor_back(self, count: int = 1) -> None:
        left, _ = self._hbounds()
        self.x = max(left, min(self.x, self.columns - 1) - max(1, count))
        self.pending = False

    def backspace(self) -> None:
        left, _ = self._hbounds()
        if self.x > left:
            self.x -= 1 if not self.pending else 0
        self.pending = False

    def cursor_forward(self, count: int = 1) -> None:
        _, right = self._hbounds()
        self.x = min(right, self.x + max(1, count))
        self.pending = False

    def cursor_position(self, line: int = 1, column: int = 1) -> None:
        """CUP/HVP: 1-based, relative to the margins in origin mode (clamped there)."""
        line, column = max(1, line) - 1, max(1, column) - 1
        if self.origin:
            self.y = min(self.top + line, self.bottom)
            left, right = (self.left, self.right) if self.lr_margins else (0, self.columns - 1)
            self.x = min(left + column, right)
        else:
            self.y = min(line, self.lines - 1)
            self.x = min(column, self.columns - 1)
        self.pending = False

    def cup(self, line: str | None, column: str | None) -> None:
        """CUP from its parameter text (the tokenizer's fast path). Hot path."""
        if 6 in self.private_modes:
            self.cursor_position(int(line) if line else 1, int(column) if column else 1)
            return
        y = int(line) - 1 if line else 0
        x = int(column) - 1 if column else 0
        self.y = 0 if y < 0 else (y if y < self.lines else self.lines - 1)
        self.x = 0 if x < 0 else (x if x < self.columns else self.columns - 1)
        self.pending = False

    def cursor_to_column(self, column: int = 1) -> None:
        """CHA/HPA."""
        column = max(1, column) - 1
        if self.origin and self.lr_margins:
            self.x = min(self.left + column, self.right)
        else:
            self.x = min(column, self.columns - 1)
        self.pending = False

    def cursor_to_line(self, line: int = 1) -> None:
        """VPA."""
        line = max(1, line) - 1
        if self.origin:
            self.y = min(self.top + line, self.bottom)
        else:
            self.y = min(line, self.lines - 1)
        self.pending = False

    def tab(self, count: int = 1) -> None:
        """HT / CHT: to the next tab stop, at most the right margin."""
        _, right = self._hbounds()
        x = self.x
        for _ in range(max(1, count)):
            x += 1
            while x < right and x not in self.tabstops:
                x += 1
            if x >= right:
                x = right
                break
        self.x = x
        self.pending = False

    def back_tab(self, count: int = 1) -> None:
        """CBT: to the previous tab stop, at least the left margin."""
        left, _ = self._hbounds()
        x = self.x
        for _ in range(max(1, count)):
            x -= 1
            while x > left and x not in self.tabstops:
                x -= 1
            if x <= left:
                x = left
                break
        self.x = x
        self.pending = False

    def set_tab_stop(self) -> None:
        self.tabstops.add(self.x)

    def clear_tab_stop(self, how: int = 0) -> None:
        if how == 0:
            self.tabstops.discard(self.x)
        elif how in (3, 5):
            self.tabstops.clear()

    # -- margins ----------------------------------------------------------------------
    def set_margins(self, top: int = 0, bottom: int = 0) -> None:
        """DECSTBM; the cursor goes home. An empty or inverted region is ignored."""
        top = max(1, top) - 1
        bottom = (bottom or self.lines) - 1
        bottom = min(bottom, self.lines - 1)
        if bottom <= top:
            return
        self.top, self.bottom = top, bottom
        self._update_simple()
        self.cursor_position()

    def set_left_right_margins(self, left: int = 0, right: int = 0) -> None:
        """DECSLRM (only while DECLRMM is set); the cursor goes home."""
        left = max(1, left) - 1
        right = min((right or self.columns), self.columns) - 1
        if right <= left:
            return
        self.left, self.right = left, right
        self._update_simple()
        self.cursor_position()

    def _reset_lr(self) -> None:
        self.left, self.right = 0, self.columns - 1
        self._update_simple()
