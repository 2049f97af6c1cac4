"""The line store: mutable screen rows, and compact immutable history.

A screen row (``Row``) keeps one entry per cell in two parallel lists: ``chars`` (the
character, ``""`` for the right half of a wide character, a base character plus any
zero-width characters riding on it) and ``styles`` (interned style ids). Lists make cursor
addressed writes a slice assignment and cost nothing in history, because a row is
converted when it leaves the screen.

History keeps each line as one ``str``: the text itself for an unwrapped, unmarked line
in the default style (the common case), otherwise the text behind a short header of flags
and runs (``chr(length) chr(style id)`` pairs), see ``styled_entry``. That is about the
size of the text; ``terminal.frames.Line`` objects are made only when a frame or a pager
asks for them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby, islice
from typing import TYPE_CHECKING, Any

from terminal.frames import Line, Run

# A history entry is one str: the text itself for a plain line, else STYLED, a flags
# character (bit 0 wrapped, bits 1-3 the OSC 133 mark's index in MARKS), the length of
# the run code, the run code (``chr(length) chr(style id)`` pairs) and the text.
Entry = str
STYLED = "\x00"  # never in a line's text: NUL is not printable
MARKS = " ABCD"
# A *lazy* entry: LAZY, flags (bit 0 wrapped, bit 1 a continuation row), chr(style id at
# its start), chr(columns), then the row as the program wrote it: ASCII with its SGR
# sequences (a continuation row starts with those that set its first style). A flood
# keeps rows of styled lines it lays out unseen this way when nothing listens to history
# (no sink): their styles are resolved only if someone reads them
# (``terminal._flood.resolve_entry``), and never leave the emulator in this form.
LAZY = "\x01"


def styled_entry(text: str, code: str, wrapped: bool, mark: str) -> Entry:
    flags = int(wrapped) | MARKS.index(mark or " ") << 1
    return STYLED + chr(flags) + chr(len(code)) + code + text


class Row:
    """One screen row. ``line`` caches its ``Line`` until the row is written again.

    A row made by ``from_text`` is *lazy*: it keeps the text it was made of (``_src``)
    and its ``Line``, and builds its cell lists only when something reads ``chars`` or
    ``styles`` (``__getattr__`` runs only for a slot never set, so a built row pays
    nothing). A flood read in small pieces (a 4 KiB PTY read fills a 200x60 screen)
    makes whole screens of rows that scroll away before anything draws over them; those
    never build their lists: history takes their cached ``Line``.
    """

    __slots__ = ("_src", "chars", "line", "mark", "styles", "wrapped")

    # (text or cells, style, fill, columns); a 1-tuple holds non-ASCII text whose cells
    # are made here, joined they are the text itself (see ``terminal._flood._row``)
    _src: tuple[str | list[str] | tuple[str], int, int, int]

    def __init__(self, columns: int, sid: int = 0) -> None:
        self.chars: list[str] = [" "] * columns
        self.styles: list[int] = [sid] * columns
        self.wrapped = False
        self.mark = ""
        self.line: Line | None = None

    if not TYPE_CHECKING:  # to mypy a Row has exactly its slots

        def __getattr__(self, name: str) -> list[Any]:
            if name not in ("chars", "styles"):
                raise AttributeError(name)
            text, sid, fill, columns = self._src  # only a lazy row lacks its lists
            if text.__class__ is tuple:  # non-ASCII text whose cells were put off
                from terminal._flood import to_cells  # (a cycle at import time)

                text = to_cells(text[0], False, False)[0]
            pad = columns - len(text)
            self.chars = [*text, *(" " * pad)]
            self.styles = [sid] * columns if sid == fill else [sid] * len(text) + [fill] * pad
            return self.chars if name == "chars" else self.styles

    @classmethod
    def from_text(
        cls, text: str | list[str] | tuple[str], sid: int, columns: int, wrapped: bool,
        fill: int = 0,
    ) -> Row:
        """A (lazy) row holding ``text`` from column 0 -- ASCII, or cells (``""`` after a
        wide character) -- at most ``columns`` cells, the rest blank in style ``fill``."""
        row = cls.__new__(cls)
        row._src = (text, sid, fill, columns)
        row.wrapped = wrapped
        row.mark = ""
        if sid != fill:
            row.line = None
            return row
        if text.__class__ is tuple:
            joined = text[0]  # type: ignore[index]
        else:
            joined = text if text.__class__ is str else "".join(text)
        if sid:
            row.line = Line(((joined + " " * (columns - len(text)), sid),), wrapped)
        else:
            stripped = joined.rstrip(" ")
            row.line = Line(((stripped, 0),) if stripped else (), wrapped)
        return row

    def copy(self) -> Row:
        row = Row.__new__(Row)
        row.chars = self.chars[:]
        row.styles = self.styles[:]
        row.wrapped = self.wrapped
        row.mark = self.mark
        row.line = self.line
        return row

    def to_line(self) -> Line:
        """The row as an immutable line (cached). Hot path: runs once per changed row."""
        line = self.line
        if line is None:
            line = self.line = Line(_runs(self.chars, self.styles), self.wrapped, self.mark)
        return line

    def text(self) -> str:
        return "".join(self.chars)


def _runs(chars: list[str], styles: list[int]) -> tuple[Run, ...]:
    """Runs of equal style; trailing blanks in the default style are dropped."""
    first = styles[0]
    if styles.count(first) == len(styles):
        text = "".join(chars)
        if first == 0:
            text = text.rstrip(" ")
        return ((text, first),) if text else ()
    runs: list[Run] = []
    start = 0
    for sid, group in groupby(styles):
        end = start + len(list(group))
        runs.append(("".join(chars[start:end]), sid))
        start = end
    text, sid = runs[-1]
    if sid == 0:
        text = text.rstrip(" ")
        if text:
            runs[-1] = (text, 0)
        else:
            runs.pop()
    return tuple(runs)


def row_entry(row: Row) -> Entry:
    """The compact history form of a screen row. Hot path: once per line scrolled off."""
    if row.line is None:
        styles = row.styles
        first = styles[0]
        if styles.count(first) == len(styles):
            text = "".join(row.chars)
            if first == 0:
                text = text.rstrip(" ")
                if not row.wrapped and not row.mark:
                    return text
                code = chr(len(text)) + "\x00" if text else ""
                return styled_entry(text, code, row.wrapped, row.mark)
            return styled_entry(text, chr(len(text)) + chr(first), row.wrapped, row.mark)
    return line_entry(row.to_line())


def line_entry(line: Line) -> Entry:
    """The compact history form of ``line``."""
    runs = line.runs
    if not line.wrapped and not line.mark:
        if not runs:
            return ""
        if len(runs) == 1 and runs[0][1] == 0:
            return runs[0][0]
    text = "".join(t for t, _ in runs)
    code = "".join(chr(len(t)) + chr(s) for t, s in runs)
    return styled_entry(text, code, line.wrapped, line.mark)


def entry_line(entry: Entry) -> Line:
    """The ``Line`` a compact history entry stands for (a lazy one must be resolved
    first: its style ids belong to its screen)."""
    if entry.startswith(LAZY):
        raise ValueError("a lazy history entry is resolved by its screen (resolve_entry)")
    if not entry.startswith(STYLED):
        return Line(((entry, 0),) if entry else ())
    flags = ord(entry[1])
    end = 3 + ord(entry[2])
    code, text = entry[3:end], entry[end:]
    runs: list[Run] = []
    start = 0
    for i in range(0, len(code), 2):
        end = start + ord(code[i])
        runs.append((text[start:end], ord(code[i + 1])))
        start = end
    return Line(tuple(runs), bool(flags & 1), MARKS[flags >> 1].strip())


def entry_text(entry: Entry) -> str:
    if not entry.startswith(STYLED):
        if entry.startswith(LAZY):
            raise ValueError("a lazy history entry is resolved by its screen (resolve_entry)")
        return entry
    return entry[3 + ord(entry[2]) :]


class History:
    """Lines scrolled off the top of the primary screen, oldest first, bounded.

    ``total`` counts every line that ever entered, so line *k* keeps number *k* after older
    lines are dropped or the history is cleared (``ED 3``).
    """

    __slots__ = ("lines", "sink", "total")

    def __init__(self, limit: int) -> None:
        self.lines: deque[Entry] = deque(maxlen=max(0, limit))
        self.total = 0
        # Told of every line that enters, before the bound can drop it: ``sink(number of
        # the first, entries)``. The worker records transcripts through it; when set, a
        # flood's lines are never skipped (``add_count``) but made and passed on.
        self.sink: Callable[[int, list[Entry]], None] | None = None

    @property
    def limit(self) -> int:
        return self.lines.maxlen or 0

    def __len__(self) -> int:
        return len(self.lines)

    def push(self, entry: Entry) -> None:
        if self.sink is not None:
            self.sink(self.total, [entry])
        self.lines.append(entry)
        self.total += 1

    def extend(self, entries: list[Entry]) -> None:
        if self.sink is not None and entries:
            self.sink(self.total, entries)
        self.lines.extend(entries)
        self.total += len(entries)

    def add_count(self, count: int) -> None:
        """Account for lines that entered and left at once (more than the limit)."""
        self.total += count

    def clear(self) -> None:
        self.lines.clear()

    @property
    def first_number(self) -> int:
        return self.total - len(self.lines)

    def entries(self, first: int, count: int) -> Iterator[tuple[int, Entry]]:
        """Entries with absolute numbers in ``[first, first + count)`` still held."""
        start = max(first, self.first_number)
        stop = min(first + count, self.total)
        if start >= stop:
            return iter(())
        offset = start - self.first_number
        held = len(self.lines)
        if offset > held // 2:
            # Walk from the newest end: recent pages are what a pager asks for most.
            back = list(islice(reversed(self.lines), held - offset))
            back.reverse()
            chosen: Iterable[Entry] = back[: stop - start]
        else:
            chosen = islice(self.lines, offset, offset + stop - start)
        return zip(range(start, stop), chosen, strict=False)

    def tail(self, count: int) -> list[Entry]:
        """The newest ``count`` entries, oldest first."""
        count = min(count, len(self.lines))
        items = list(islice(reversed(self.lines), count))
        items.reverse()
        return items
