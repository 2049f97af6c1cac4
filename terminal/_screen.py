"""The grid: cursor, margins, drawing, erasing and scrolling over a line store.

Method names follow ``pyte.Screen`` (``draw``, ``index``, ``erase_in_line``...), so the
parser dispatches with pyte's vocabulary; the state behind them is ours: rows of
``terminal._lines.Row`` instead of pyte's per-cell ``Char`` dicts, a cursor that waits to
wrap in the last column as xterm's does, left/right margins, and a bounded compact history.

Behaviour follows xterm's ctlseqs unless a docstring says otherwise. Parameters arrive
already clamped to a sane range by the parser; methods clamp again to the screen.
"""

from __future__ import annotations

from pyte import charsets

from terminal._editing import EditingMixin
from terminal._flood import to_cells
from terminal._lines import History, Row, row_entry
from terminal._motion import MotionMixin
from terminal._sgr import KEEP, Delta, sgr_delta
from terminal.frames import Attr, Style, StyleTable
from terminal.unicode import char_width

ZWJ = "\u200d"
# Style caches stay small however many distinct sequences a program sends.
_CACHE_LIMIT = 4096
# Style ids are never retired (frames.StyleTable is append-only), so a program that sends
# endless distinct truecolours or links would grow the table without end; past this many
# styles (~15 MB) new renditions are ignored and text keeps the current one.
STYLE_LIMIT = 1 << 16
_PROTECTED = int(Attr.PROTECTED)
_NEW = tuple.__new__


class SavedCursor:
    """What DECSC saves and DECRC restores (per screen, as in xterm)."""

    __slots__ = ("autowrap", "charsets", "gl", "origin", "pending", "sid", "x", "y")

    def __init__(self) -> None:
        self.x = 0
        self.y = 0
        self.pending = False
        self.sid = 0
        self.origin = False
        self.autowrap = True
        self.charsets: list[str | None] = [None, None]
        self.gl = 0


class GridScreen(MotionMixin, EditingMixin):
    """A screen of ``lines`` rows by ``columns`` cells with scrollback."""

    def __init__(self, columns: int, lines: int, history: int = 10000) -> None:
        self.columns = max(1, columns)
        self.lines = max(1, lines)
        self.styles = StyleTable()
        self.history = History(history)
        self.dirty: set[int] = set()
        self.all_dirty = True
        self.full_damage = True  # screen switch / resize / reset: the next frame is full
        # The style table's own list and index, read directly on the SGR hot path.
        self._style_list = self.styles._styles
        self._style_ids = self.styles._ids
        self._sgr_cache: dict[tuple[int, str], int] = {}
        self._delta_cache: dict[str, Delta] = {}
        self._erase_cache: dict[int, int] = {0: 0}
        self._protected: set[int] = set()
        self.alternate = False
        self._other_rows: list[Row] = []
        self._other_saved = SavedCursor()
        self.reset_grid()

    # -- state ------------------------------------------------------------------------
    def reset_grid(self) -> None:
        cols, lines = self.columns, self.lines
        self.alternate = False
        self.rows: list[Row] = [Row(cols) for _ in range(lines)]
        self._other_rows = [Row(cols) for _ in range(lines)]
        self.x = self.y = 0
        self.pending = False
        self.sid = 0
        self.top, self.bottom = 0, lines - 1
        self.left, self.right = 0, cols - 1
        self.private_modes: set[int] = {7, 25}
        self.ansi_modes: set[int] = set()
        self.tabstops: set[int] = set(range(8, cols, 8))
        self.charsets: list[str | None] = [None, None]
        self.gl = 0
        self.charset_map: str | None = None
        self.saved = SavedCursor()
        self._other_saved = SavedCursor()
        self.last_text = ""  # for REP
        self._update_simple()
        self.damage_all(full=True)

    def _update_simple(self) -> None:
        """Whether the flood fast path (``terminal._flood``) and the plain draw apply."""
        self.plain_draw = self.charset_map is None and 4 not in self.ansi_modes
        full_width = self.left == 0 and self.right == self.columns - 1
        self.simple = (
            self.plain_draw
            and self.columns >= 2
            and 7 in self.private_modes
            and (full_width or 69 not in self.private_modes)
        )

    def damage_all(self, *, full: bool = False) -> None:
        self.all_dirty = True
        if full:
            self.full_damage = True

    def _touch(self, y: int) -> None:
        self.rows[y].line = None
        self.dirty.add(y)

    @property
    def autowrap(self) -> bool:
        return 7 in self.private_modes

    @property
    def origin(self) -> bool:
        return 6 in self.private_modes

    @property
    def lr_margins(self) -> bool:
        return 69 in self.private_modes

    # -- styles -----------------------------------------------------------------------
    @property
    def style(self) -> Style:
        """The current rendition (``sid`` is its id; SGR changes it)."""
        return self.styles[self.sid]

    def set_style(self, style: Style) -> None:
        sid = self._style_ids.get(style)
        if sid is None:
            if len(self._style_list) >= STYLE_LIMIT:
                return  # the table is full: the rendition stays as it was
            sid = self.styles.intern(style)
            if style[2] & _PROTECTED:
                self._protected.add(sid)
        self.sid = sid

    def select_graphic_rendition_text(self, params: str) -> None:
        """SGR from its raw parameter text; cached per (style, text). Hot path."""
        key = (self.sid, params)
        sid = self._sgr_cache.get(key)
        self.sid = self._sgr_miss(key) if sid is None else sid

    def _sgr_miss(self, key: tuple[int, str]) -> int:
        """The style id after SGR ``key[1]`` from style ``key[0]``; fills the caches.
        Hot path for programs that change truecolours all the time."""
        current, params = key
        delta = self._delta_cache.get(params)
        if delta is None:
            if len(self._delta_cache) > _CACHE_LIMIT:
                self._delta_cache.clear()
            delta = self._delta_cache[params] = sgr_delta(params)
        fg, bg, on, off, underline, ul_color = delta
        old_fg, old_bg, attrs, old_ul, old_ul_color, link = self._style_list[current]
        style = _NEW(
            Style,
            (
                old_fg if fg == KEEP else fg,
                old_bg if bg == KEEP else bg,
                (attrs & ~off) | on,
                old_ul if underline == KEEP else underline,
                old_ul_color if ul_color == KEEP else ul_color,
                link,
            ),
        )
        ids = self._style_ids
        sid = ids.get(style)
        if sid is None:
            if len(self._style_list) >= STYLE_LIMIT:
                return current  # the table is full: the rendition stays as it was
            # StyleTable.intern, inlined: a new style per SGR is common with truecolour.
            sid = ids[style] = len(self._style_list)
            self._style_list.append(style)
            if style[2] & _PROTECTED:
                self._protected.add(sid)
            # A brand-new style means this pair was never seen: it is cached when it comes
            # round again, so pairs that never repeat (random truecolour) do not churn it.
            return sid
        cache = self._sgr_cache
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        cache[key] = sid
        return sid

    def select_graphic_rendition(self, *attrs: int) -> None:
        """pyte's signature: SGR from integer parameters."""
        self.select_graphic_rendition_text(";".join(map(str, attrs)))

    def erase_sid(self, current: int = -1) -> int:
        """Erased cells take the background colour only of the current style (or of
        style ``current``): xterm's BCE."""
        if current < 0:
            current = self.sid
        sid = self._erase_cache.get(current)
        if sid is None:
            bg = self.styles[current].bg
            sid = self.styles.intern(Style(bg=bg)) if bg != -1 else 0
            self._erase_cache[current] = sid
        return sid

    # -- drawing ----------------------------------------------------------------------
    def draw(self, text: str) -> None:
        """Print ``text`` at the cursor, wrapping at the right margin. Hot path."""
        if self.plain_draw:
            if text.isascii():
                x = self.x
                end = x + len(text)
                if end <= self.right and not self.pending:
                    # The common case: the text fits before the margin.
                    row = self.rows[self.y]
                    chars = row.chars
                    if chars[x] == "" and x:
                        chars[x - 1] = " "
                    if chars[end] == "":
                        chars[end] = " "
                    chars[x:end] = text
                    row.styles[x:end] = [self.sid] * len(text)
                    row.line = None
                    self.dirty.add(self.y)
                    self.x = end
                else:
                    self._draw_ascii(text)
            else:
                prev = self._previous_cell()
                joining = prev >= 0 and self.rows[self.y].chars[prev].endswith(ZWJ)
                cells, orphans = to_cells(text, joining, prev >= 0)
                for ch in orphans:
                    self._attach(ch)
                if cells:
                    self._draw_cells(cells)
        else:
            if self.charset_map is not None:
                text = text.translate(self.charset_map)
            self._draw_chars(text)
        self.last_text = text

    def _draw_cells(self, cells: list[str]) -> None:
        """Write cells (wide characters as two) from the cursor, wrapping."""
        cols = self.columns
        autowrap = 7 in self.private_modes
        sid = self.sid
        pos, n = 0, len(cells)
        while pos < n:
            if self.pending:
                self._wrap()
            x, y = self.x, self.y
            right = self.right if x <= self.right else cols - 1
            stop = min(n, pos + right - x + 1)
            if stop < n and cells[stop] == "":
                stop -= 1  # the wide character there goes to the next line
                if stop == pos:
                    # Nothing fits: blank the one cell left and wrap (or drop it).
                    if autowrap and right > 0:
                        self._erase_one(y, x)
                        self.x = right
                        self.pending = True
                    else:
                        pos += 2
                    continue
            end = self._put(y, x, cells[pos:stop], sid)
            pos = stop
            if end > right:
                self.x = right
                if autowrap:
                    self.pending = True
                else:
                    break
            else:
                self.x = end

    def _put(self, y: int, x: int, chunk: str | list[str], sid: int) -> int:
        """Write ``chunk`` (one cell per item) into row ``y`` from column ``x``, blanking
        the other half of any wide character it cuts; returns the column after it.
        Hot path: once per row segment drawn."""
        row = self.rows[y]
        chars = row.chars
        k = len(chunk)
        end = x + k
        if chars[x] == "" and x:
            chars[x - 1] = " "
        if end < self.columns and chars[end] == "":
            chars[end] = " "
        chars[x:end] = chunk
        row.styles[x:end] = [sid] * k
        row.line = None
        self.dirty.add(y)
        return end

    def _erase_one(self, y: int, x: int) -> None:
        row = self.rows[y]
        self._clip_wide(row, x, x + 1)
        row.chars[x] = " "
        row.line = None
        self.dirty.add(y)

    def _draw_ascii(self, text: str) -> None:
        # Hot path: whole slices of the text per row.
        cols = self.columns
        right = self.right if self.x <= self.right else cols - 1
        autowrap = 7 in self.private_modes
        pos, n = 0, len(text)
        while pos < n:
            if self.pending:
                self._wrap()
                right = self.right
            x, y = self.x, self.y
            room = right - x + 1
            chunk = text[pos : pos + room]
            end = self._put(y, x, chunk, self.sid)
            chars = self.rows[y].chars
            pos += len(chunk)
            if end > right:
                self.x = right
                if autowrap:
                    self.pending = True
                elif pos < n:
                    chars[right] = text[-1]
                    break
            else:
                self.x = end

    def _wrap(self) -> None:
        """The pending wrap: mark the row continued, go to the next line's left margin."""
        self.rows[self.y].wrapped = True
        self.rows[self.y].line = None
        self.dirty.add(self.y)
        self.pending = False
        self.x = self.left if self.lr_margins else 0
        self.index()

    def _draw_chars(self, text: str) -> None:
        cols = self.columns
        irm = 4 in self.ansi_modes
        autowrap = 7 in self.private_modes
        width = char_width
        for ch in text:
            w = width(ch)
            if w == 0 or self._joins(ch):
                if ch >= " ":
                    self._attach(ch)
                continue
            if self.pending:
                self._wrap()
            right = self.right if self.x <= self.right else cols - 1
            if w == 2 and self.x == right:
                if autowrap and right > (self.left if self.lr_margins else 0):
                    self._touch(self.y)
                    self.rows[self.y].chars[self.x] = " "
                    self._wrap()
                    right = self.right if self.x <= self.right else cols - 1
                if self.x == right:
                    w = 1 if right == 0 else w
                    if w == 2:
                        self.x -= 1
            if irm:
                self.insert_characters(w)
            x, y = self.x, self.y
            row = self.rows[y]
            chars = row.chars
            end = x + w
            if chars[x] == "" and x:
                chars[x - 1] = " "
            if end < cols and chars[end] == "":
                chars[end] = " "
            chars[x] = ch
            row.styles[x] = self.sid
            if w == 2:
                chars[x + 1] = ""
                row.styles[x + 1] = self.sid
            row.line = None
            self.dirty.add(y)
            if end > right:
                self.x = right
                if autowrap:
                    self.pending = True
            else:
                self.x = end

    def _previous_cell(self) -> int:
        x = self.x if self.pending else self.x - 1
        if x > 0 and self.rows[self.y].chars[x] == "":
            x -= 1
        return x

    def _joins(self, ch: str) -> bool:
        """A character after a zero-width joiner rides on the joiner's cell."""
        x = self._previous_cell()
        return x >= 0 and self.rows[self.y].chars[x].endswith(ZWJ)

    def _attach(self, ch: str) -> None:
        """Zero-width characters (combining marks, ZWJ, VS16) join the previous cell."""
        x = self._previous_cell()
        if x < 0:
            return
        row = self.rows[self.y]
        if len(row.chars[x]) < 32:  # a bound on one cell's combining stack
            row.chars[x] += ch
            row.line = None
            self.dirty.add(self.y)

    def _push_rows(self, rows: list[Row]) -> None:
        self.history.extend([row_entry(row) for row in rows])

    # -- scrolling --------------------------------------------------------------------
    def _blank(self) -> Row:
        return Row(self.columns, self.erase_sid())

    def scroll_region_up(self, count: int) -> None:
        """Scroll the region up ``count`` lines; lines leaving a region at the top of a
        full-width primary screen enter history."""
        top, bottom = self.top, self.bottom
        count = min(count, bottom - top + 1)
        if count <= 0:
            return
        if (self.left == 0 and self.right == self.columns - 1) or not self.lr_margins:
            rows = self.rows
            gone = rows[top : top + count]
            if top == 0 and not self.alternate:
                self._push_rows(gone)
            del rows[top : top + count]
            for _ in range(count):
                rows.insert(bottom - count + 1, self._blank())
            if top == 0 and bottom == self.lines - 1:
                self.all_dirty = True
            else:
                self.dirty.update(range(top, bottom + 1))
        else:
            self._shift_block(top, bottom, count)

    def scroll_region_down(self, count: int) -> None:
        top, bottom = self.top, self.bottom
        count = min(count, bottom - top + 1)
        if count <= 0:
            return
        if (self.left == 0 and self.right == self.columns - 1) or not self.lr_margins:
            rows = self.rows
            del rows[bottom - count + 1 : bottom + 1]
            for _ in range(count):
                rows.insert(top, self._blank())
            self.dirty.update(range(top, bottom + 1))
        else:
            self._shift_block(top, bottom, -count)

    def _shift_block(self, top: int, bottom: int, count: int) -> None:
        """Move the cells between the left and right margins up (count > 0) or down."""
        left, right = self.left, self.right + 1
        rows = self.rows
        sid = self.erase_sid()
        blank_c = [" "] * (right - left)
        blank_s = [sid] * (right - left)
        order = range(top, bottom + 1) if count > 0 else range(bottom, top - 1, -1)
        for y in order:
            src = y + count
            row = rows[y]
            self._clip_wide(row, left, right)
            if top <= src <= bottom:
                other = rows[src]
                self._clip_wide(other, left, right)
                row.chars[left:right] = other.chars[left:right]
                row.styles[left:right] = other.styles[left:right]
            else:
                row.chars[left:right] = blank_c
                row.styles[left:right] = blank_s
            self._touch(y)

    def _clip_wide(self, row: Row, a: int, b: int) -> None:
        """Blank wide characters cut in half by the edges of cells ``[a, b)``."""
        chars = row.chars
        if 0 < a < len(chars) and chars[a] == "":
            chars[a - 1] = " "
            chars[a] = " "
        if 0 < b < len(chars) and chars[b] == "":
            chars[b - 1] = " "
            chars[b] = " "

    def index(self) -> None:
        """IND / LF: down one line, scrolling the region at its bottom margin."""
        if self.y == self.bottom:
            self.scroll_region_up(1)
        elif self.y < self.lines - 1:
            self.y += 1
        self.pending = False

    def reverse_index(self) -> None:
        """RI: up one line, scrolling the region down at its top margin."""
        if self.y == self.top:
            self.scroll_region_down(1)
        elif self.y > 0:
            self.y -= 1
        self.pending = False

    def linefeed(self) -> None:
        self.index()
        if 20 in self.ansi_modes:
            self.carriage_return()

    def next_line(self) -> None:
        """NEL: CR then IND."""
        self.carriage_return()
        self.index()

    def carriage_return(self) -> None:
        self.x = self.left if self.lr_margins and self.x >= self.left else 0
        self.pending = False

    def scroll_up(self, count: int = 1) -> None:
        """SU (``CSI Ps S``): scroll the region up; the cursor does not move."""
        self.scroll_region_up(max(1, count))

    def scroll_down(self, count: int = 1) -> None:
        """SD (``CSI Ps T``)."""
        self.scroll_region_down(max(1, count))

    # -- character sets ---------------------------------------------------------------
    def define_charset(self, code: str, mode: str) -> None:
        """SCS: ``ESC ( 0`` puts DEC line drawing in G0, ``ESC ) 0`` in G1."""
        slot = {"(": 0, ")": 1}.get(mode)
        if slot is None:
            return
        table = charsets.MAPS.get(code) if code in ("0", "A") else None
        self.charsets[slot] = table
        self._select_charset()

    def shift_in(self) -> None:
        self.gl = 0
        self._select_charset()

    def shift_out(self) -> None:
        self.gl = 1
        self._select_charset()

    def _select_charset(self) -> None:
        table = self.charsets[self.gl]
        if table is not self.charset_map:  # ncurses sends ESC ( B with every sgr0
            self.charset_map = table
            self._update_simple()

    # -- cursor save / restore --------------------------------------------------------
    def save_cursor(self) -> None:
        s = self.saved
        s.x, s.y, s.pending, s.sid = self.x, self.y, self.pending, self.sid
        s.origin, s.autowrap = self.origin, self.autowrap
        s.charsets, s.gl = self.charsets[:], self.gl

    def restore_cursor(self) -> None:
        s = self.saved
        self.x, self.y = min(s.x, self.columns - 1), min(s.y, self.lines - 1)
        self.pending = s.pending and self.x == self.columns - 1
        self.sid = s.sid
        for mode, on in ((6, s.origin), (7, s.autowrap)):
            if on:
                self.private_modes.add(mode)
            else:
                self.private_modes.discard(mode)
        self.charsets, self.gl = s.charsets[:], s.gl
        self._select_charset()

    # -- screens ----------------------------------------------------------------------
    def switch_screen(self, alternate: bool, *, clear: bool = False) -> None:
        """Show the alternate (or primary) screen; its content is never history."""
        if alternate == self.alternate:
            if clear and alternate:
                self._clear_all()
            return
        self.rows, self._other_rows = self._other_rows, self.rows
        self.saved, self._other_saved = self._other_saved, self.saved
        self.alternate = alternate
        if clear and alternate:
            self._clear_all()
        self.damage_all(full=True)

    def _clear_all(self) -> None:
        sid = self.erase_sid()
        self.rows[:] = [Row(self.columns, sid) for _ in range(self.lines)]
        self.damage_all()

    def resize(self, columns: int, lines: int) -> None:
        """New size. Fewer rows push the rows above the cursor into history (xterm);
        width changes truncate or pad rows (no reflow)."""
        columns, lines = max(1, columns), max(1, lines)
        if columns == self.columns and lines == self.lines:
            return
        for alt in (False, True):
            is_current = alt == self.alternate
            rows = self.rows if is_current else self._other_rows
            saved = self.saved if is_current else self._other_saved
            # The rows above the screen's cursor (its saved one when not shown) go up.
            cursor_y = self.y if is_current else saved.y
            up = self._resize_rows(rows, columns, lines, history=not alt, cursor_y=cursor_y)
            saved.y = max(0, saved.y - up)
            if is_current:
                self.y -= up
        old_cols = self.columns
        self.columns, self.lines = columns, lines
        if columns > old_cols:
            self.tabstops.update(range((old_cols // 8 + 1) * 8, columns, 8))
        self.tabstops = {t for t in self.tabstops if t < columns}
        self.top, self.bottom = 0, lines - 1
        self._reset_lr()
        self.x = min(self.x, columns - 1)
        self.y = min(self.y, lines - 1)
        if self.x < columns - 1:
            self.pending = False
        for s in (self.saved, self._other_saved):
            s.x, s.y = min(s.x, columns - 1), min(s.y, lines - 1)
        self.dirty.clear()
        self.damage_all(full=True)

    def _resize_rows(
        self, rows: list[Row], columns: int, lines: int, *, history: bool, cursor_y: int
    ) -> int:
        """Fit ``rows`` to the new size; return how many rows left at the top."""
        up = 0
        if lines < len(rows):
            up = min(len(rows) - lines, max(0, cursor_y - lines + 1))
            if up:
                if history:
                    self._push_rows(rows[:up])
                del rows[:up]
            del rows[lines:]
        for row in rows:
            n = len(row.chars)
            if columns < n:
                del row.chars[columns:]
                del row.styles[columns:]
                last = row.chars[-1]
                if last and char_width(last[0]) == 2:
                    row.chars[-1] = " "
            elif columns > n:
                row.chars.extend([" "] * (columns - n))
                row.styles.extend([0] * (columns - n))
            row.line = None
        while len(rows) < lines:
            rows.append(Row(columns))
        return up
