"""Editing controls of the grid: insert and delete characters and lines, erase (plain and
selective), DECALN, REP, and the VT420 rectangle operations.

A mixin of ``terminal._screen.GridScreen``, split out to keep each module readable; the
state it works on is declared below and owned by ``GridScreen``. Behaviour follows
xterm's ctlseqs: ICH/DCH/IL/DL act inside the left/right margins when DECLRMM is set,
erased cells take the current background only (BCE), selective erases spare cells
protected by DECSCA.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from terminal._lines import History, Row
from terminal.unicode import char_width


class EditingMixin:
    """ICH DCH ECH EL ED IL DL REP DECALN DECFRA DECERA DECSERA DECCRA."""

    columns: int
    lines: int
    rows: list[Row]
    x: int
    y: int
    pending: bool
    sid: int
    top: int
    bottom: int
    left: int
    right: int
    last_text: str
    _protected: set[int]
    dirty: set[int]
    history: History

    if TYPE_CHECKING:

        @property
        def lr_margins(self) -> bool: ...
        @property
        def origin(self) -> bool: ...
        def erase_sid(self, current: int = -1) -> int: ...
        def _touch(self, y: int) -> None: ...
        def _clip_wide(self, row: Row, a: int, b: int) -> None: ...
        def _blank(self) -> Row: ...
        def _shift_block(self, top: int, bottom: int, count: int) -> None: ...
        def scroll_region_down(self, count: int) -> None: ...
        def carriage_return(self) -> None: ...
        def cursor_position(self, line: int = 1, column: int = 1) -> None: ...
        def draw(self, text: str) -> None: ...
        def damage_all(self, *, full: bool = False) -> None: ...
        def _reset_lr(self) -> None: ...

    def _in_margins(self) -> bool:
        return self.top <= self.y <= self.bottom and (
            not self.lr_margins or self.left <= self.x <= self.right
        )

    def insert_lines(self, count: int = 1) -> None:
        """IL: blank lines at the cursor row within the region; cursor to the left margin."""
        if not self._in_margins():
            return
        count = min(max(1, count), self.bottom - self.y + 1)
        saved_top = self.top
        self.top = self.y
        try:
            self.scroll_region_down(count) if self.lr_margins else self._il(count)
        finally:
            self.top = saved_top
        self.carriage_return()

    def _il(self, count: int) -> None:
        rows = self.rows
        del rows[self.bottom - count + 1 : self.bottom + 1]
        for _ in range(count):
            rows.insert(self.y, self._blank())
        self.dirty.update(range(self.y, self.bottom + 1))

    def delete_lines(self, count: int = 1) -> None:
        """DL: remove lines at the cursor row within the region (never into history)."""
        if not self._in_margins():
            return
        count = min(max(1, count), self.bottom - self.y + 1)
        if self.lr_margins:
            saved_top = self.top
            self.top = self.y
            try:
                self._shift_block(self.y, self.bottom, count)
            finally:
                self.top = saved_top
        else:
            rows = self.rows
            del rows[self.y : self.y + count]
            for _ in range(count):
                rows.insert(self.bottom - count + 1, self._blank())
            self.dirty.update(range(self.y, self.bottom + 1))
        self.carriage_return()

    def _line_span(self) -> tuple[int, int]:
        """Cells ICH/DCH act on: cursor to the right margin (or the screen edge)."""
        if self.lr_margins and self.left <= self.x <= self.right:
            return self.x, self.right + 1
        return self.x, self.columns

    def insert_characters(self, count: int = 1) -> None:
        """ICH: blanks at the cursor, the rest of the line (to the margin) moves right."""
        a, b = self._line_span()
        if self.lr_margins and not self.left <= self.x <= self.right:
            return
        count = min(max(1, count), b - a)
        row = self.rows[self.y]
        self._clip_wide(row, a, b)
        sid = self.erase_sid()
        row.chars[a:b] = [" "] * count + row.chars[a : b - count]
        row.styles[a:b] = [sid] * count + row.styles[a : b - count]
        self._repair(row, a, b)
        self.pending = False
        self._touch(self.y)

    def delete_characters(self, count: int = 1) -> None:
        """DCH: the rest of the line (to the margin) moves left; blanks come in."""
        a, b = self._line_span()
        if self.lr_margins and not self.left <= self.x <= self.right:
            return
        count = min(max(1, count), b - a)
        row = self.rows[self.y]
        self._clip_wide(row, a, b)
        sid = self.erase_sid()
        row.chars[a:b] = row.chars[a + count : b] + [" "] * count
        row.styles[a:b] = row.styles[a + count : b] + [sid] * count
        self._repair(row, a, b)
        self.pending = False
        self._touch(self.y)

    def _repair(self, row: Row, a: int, b: int) -> None:
        """Blank halves of wide characters that a shift inside ``[a, b)`` orphaned."""
        chars = row.chars
        if chars[a] == "":
            chars[a] = " "
        last = chars[b - 1]
        if last and char_width(last[0]) == 2 and (b >= len(chars) or chars[b] != ""):
            chars[b - 1] = " "

    def erase_characters(self, count: int = 1) -> None:
        """ECH: blank ``count`` cells from the cursor (the cursor stays)."""
        self._erase_cells(self.y, self.x, min(self.columns, self.x + max(1, count)))
        self.pending = False

    def _erase_cells(self, y: int, a: int, b: int, selective: bool = False) -> None:
        if a >= b:
            return
        row = self.rows[y]
        self._clip_wide(row, a, b)
        sid = self.erase_sid()
        if selective and self._protected:
            protected = self._protected
            chars, styles = row.chars, row.styles
            for x in range(a, b):
                if styles[x] not in protected:
                    chars[x] = " "
                    styles[x] = sid
        else:
            row.chars[a:b] = [" "] * (b - a)
            row.styles[a:b] = [sid] * (b - a)
        if a == 0 and b == self.columns:
            row.wrapped = False
        self._touch(y)

    def erase_in_line(self, how: int = 0, private: bool = False) -> None:
        """EL (and DECSEL when ``private``: protected cells survive)."""
        if how == 0:
            a, b = self.x, self.columns
        elif how == 1:
            a, b = 0, self.x + 1
        elif how == 2:
            a, b = 0, self.columns
        else:
            return
        self._erase_cells(self.y, a, b, private)
        self.pending = False

    def erase_in_display(self, how: int = 0, private: bool = False) -> None:
        """ED (and DECSED): 0 below, 1 above, 2 all, 3 the scrollback."""
        if how == 0:
            self.erase_in_line(0, private)
            ys = range(self.y + 1, self.lines)
        elif how == 1:
            self.erase_in_line(1, private)
            ys = range(self.y)
        elif how == 2:
            ys = range(self.lines)
        elif how == 3:
            self.history.clear()
            return
        else:
            return
        for y in ys:
            self._erase_cells(y, 0, self.columns, private)
        self.pending = False

    def alignment_display(self) -> None:
        """DECALN: fill with E, reset margins, cursor home."""
        self.top, self.bottom = 0, self.lines - 1
        self._reset_lr()
        for y in range(self.lines):
            row = self.rows[y] = Row(self.columns)
            row.chars[:] = ["E"] * self.columns
        self.cursor_position()
        self.damage_all()

    def repeat_character(self, count: int = 1) -> None:
        """REP: the last printed character again, ``count`` times (bounded by the screen)."""
        last = self.last_text[-1:]
        if last:
            count = min(max(1, count), self.columns * self.lines)
            self.draw(last * count)

    # -- rectangles (VT420) -----------------------------------------------------------
    def rect(self, params: list[int], first: int = 0) -> tuple[int, int, int, int] | None:
        """``Pt;Pl;Pb;Pr`` from ``params[first:]`` as 0-based inclusive screen cells."""
        p = [*params[first : first + 4], 0, 0, 0, 0][:4]
        top, left = max(1, p[0]) - 1, max(1, p[1]) - 1
        bottom = (p[2] or self.lines) - 1
        right = (p[3] or self.columns) - 1
        if self.origin:
            top, bottom = top + self.top, bottom + self.top
            if self.lr_margins:
                left, right = left + self.left, right + self.left
            bottom, right = min(bottom, self.bottom), min(right, self.right)
        bottom, right = min(bottom, self.lines - 1), min(right, self.columns - 1)
        if top > bottom or left > right:
            return None
        return top, left, bottom, right

    def fill_rectangle(self, char: str, box: tuple[int, int, int, int]) -> None:
        """DECFRA: fill with ``char`` in the current rendition."""
        top, left, bottom, right = box
        for y in range(top, bottom + 1):
            row = self.rows[y]
            self._clip_wide(row, left, right + 1)
            row.chars[left : right + 1] = [char] * (right - left + 1)
            row.styles[left : right + 1] = [self.sid] * (right - left + 1)
            self._touch(y)

    def erase_rectangle(self, box: tuple[int, int, int, int], selective: bool = False) -> None:
        """DECERA / DECSERA (selective spares protected cells)."""
        top, left, bottom, right = box
        for y in range(top, bottom + 1):
            self._erase_cells(y, left, right + 1, selective)

    def copy_rectangle(self, box: tuple[int, int, int, int], dest_top: int, dest_left: int) -> None:
        """DECCRA: copy cells (text and rendition), clipped at the screen edge."""
        top, left, bottom, right = box
        height = min(bottom - top, self.lines - 1 - dest_top) + 1
        width = min(right - left, self.columns - 1 - dest_left) + 1
        if height <= 0 or width <= 0:
            return
        sources = self.rows[top : top + height]
        block = [(r.chars[left : left + width], r.styles[left : left + width]) for r in sources]
        for i, (chars, styles) in enumerate(block):
            row = self.rows[dest_top + i]
            self._clip_wide(row, dest_left, dest_left + width)
            row.chars[dest_left : dest_left + width] = chars
            row.styles[dest_left : dest_left + width] = styles
            self._repair(row, dest_left, dest_left + width)
            self._touch(dest_top + i)
