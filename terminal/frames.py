"""The screen as data: styles, lines, cursor, frames and the replica a GUI paints from.

This module is the vocabulary between the emulator (which produces frames), the wire
(which carries them, see ``Frame.to_wire``) and the GUI (which applies them to a
``ScreenReplica`` and paints that). It holds no emulation logic.

Conventions, shared by everything that handles a screen:

* A **colour** is an ``int``: ``DEFAULT_COLOR`` (-1) for the terminal's default, 0-255 for
  the xterm palette, ``rgb(r, g, b)`` (bit 24 set) for truecolor.
* A **style** is an interned ``Style``; lines refer to it by its id in a ``StyleTable``.
  Id 0 is always the default style. The table only grows, so a receiver that once learned
  an id can keep it for the life of the connection.
* A **line** is a tuple of runs ``(text, style_id)``. A wide character appears once in the
  text and takes two cells; zero-width characters (combining marks, ZWJ, variation
  selectors) ride on the character before them. Cells past the last run are blank in the
  default style. ``wrapped`` says the line continues on the next one (a soft wrap).
* Every line has an **absolute number** counted from the session's first line: history
  line *k* (0-based, oldest first, including lines since dropped) has number *k*, and
  screen row *r* has number ``history_total + r``. History paging, selection, search hits
  and the store all use these numbers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import IntFlag
from typing import Any, NamedTuple

from terminal.unicode import text_width

DEFAULT_COLOR = -1
_RGB_FLAG = 1 << 24


def rgb(r: int, g: int, b: int) -> int:
    """A truecolor value."""
    return _RGB_FLAG | (r & 0xFF) << 16 | (g & 0xFF) << 8 | (b & 0xFF)


def is_rgb(color: int) -> bool:
    return color >= _RGB_FLAG


def rgb_components(color: int) -> tuple[int, int, int]:
    return (color >> 16) & 0xFF, (color >> 8) & 0xFF, color & 0xFF


class Attr(IntFlag):
    """Boolean character attributes (SGR and DECSCA)."""

    NONE = 0
    BOLD = 1
    DIM = 2
    ITALIC = 4
    BLINK = 8
    INVERSE = 16
    CONCEAL = 32
    STRIKE = 64
    OVERLINE = 128
    RAPID_BLINK = 256
    PROTECTED = 512  # DECSCA: not erased by DECSED/DECSEL/DECSERA; never painted differently


class Underline:
    """Underline styles, as numbered by ``SGR 4:n``."""

    NONE = 0
    SINGLE = 1
    DOUBLE = 2
    CURLY = 3
    DOTTED = 4
    DASHED = 5


class Style(NamedTuple):
    """How a run of text looks. Interned: equal styles share one id."""

    fg: int = DEFAULT_COLOR
    bg: int = DEFAULT_COLOR
    attrs: int = 0
    underline: int = Underline.NONE
    underline_color: int = DEFAULT_COLOR
    link: str = ""  # OSC 8 hyperlink URI, "" when none


DEFAULT_STYLE = Style()

Run = tuple[str, int]


class StyleTable:
    """Interns styles to small ints. Append-only: an id never changes meaning."""

    __slots__ = ("_ids", "_styles")

    def __init__(self) -> None:
        self._styles: list[Style] = [DEFAULT_STYLE]
        self._ids: dict[Style, int] = {DEFAULT_STYLE: 0}

    def intern(self, style: Style) -> int:
        sid = self._ids.get(style)
        if sid is None:
            sid = len(self._styles)
            self._styles.append(style)
            self._ids[style] = sid
        return sid

    def __getitem__(self, sid: int) -> Style:
        return self._styles[sid]

    def __len__(self) -> int:
        return len(self._styles)

    def since(self, first_id: int) -> dict[int, Style]:
        """The entries with ids ``>= first_id`` (what a receiver that knows fewer lacks)."""
        return {i: self._styles[i] for i in range(first_id, len(self._styles))}


class Line(NamedTuple):
    """One row of text as runs of ``(text, style_id)``."""

    runs: tuple[Run, ...] = ()
    wrapped: bool = False
    # OSC 133 semantic mark of the row: "A" prompt start, "B" command start,
    # "C" output start, "D" command finished, "" none.
    mark: str = ""

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.runs)

    def cells(self) -> int:
        return sum(text_width(text) for text, _ in self.runs)


BLANK_LINE = Line()


class Cursor(NamedTuple):
    x: int = 0
    y: int = 0
    visible: bool = True
    # DECSCUSR parameter: 0 = the user's configured default, 1/2 block, 3/4 underline,
    # 5/6 bar; odd values blink, even values are steady.
    shape: int = 0
    # The cursor sits in the last column with a wrap pending (the next printable wraps).
    wrap_pending: bool = False


# How many lines that entered history since the previous frame a frame carries; older
# ones are fetched on demand (``history.fetch``).
HISTORY_TAIL_LIMIT = 1000


@dataclass(slots=True)
class Frame:
    """What changed on a screen since the previous frame its receiver saw."""

    columns: int
    rows: int
    full: bool  # replace every row (attach, resize, screen switch, after a dropped frame)
    lines: dict[int, Line]  # changed rows by index; every row when ``full``
    cursor: Cursor
    private_modes: frozenset[int] = frozenset()  # DEC private modes set (66 = DECKPAM)
    ansi_modes: frozenset[int] = frozenset()  # ANSI modes set (4 = IRM, 20 = LNM)
    title: str = ""
    icon_title: str = ""
    cwd: str = ""  # OSC 7, as a file:// URI's path; "" until the program says
    alternate: bool = False  # the alternate screen is shown
    history_total: int = 0  # lines that ever entered history = number of screen row 0
    history_size: int = 0  # of which still retained by the producer
    history_tail: tuple[Line, ...] = ()  # newest last; numbers end at history_total - 1
    styles: dict[int, Style] = field(default_factory=dict)  # table entries to learn
    seq: int = 0

    # -- wire form: plain lists/ints/strs, so any codec (msgpack) can carry it ----------
    def to_wire(self) -> dict[str, Any]:
        c = self.cursor
        return {
            "c": self.columns,
            "r": self.rows,
            "f": self.full,
            "l": [[row, *_line_to_wire(line)] for row, line in self.lines.items()],
            "k": [c.x, c.y, c.visible, c.shape, c.wrap_pending],
            "pm": sorted(self.private_modes),
            "am": sorted(self.ansi_modes),
            "t": self.title,
            "it": self.icon_title,
            "cwd": self.cwd,
            "alt": self.alternate,
            "ht": self.history_total,
            "hs": self.history_size,
            "tail": [_line_to_wire(line) for line in self.history_tail],
            "s": [[sid, *style] for sid, style in self.styles.items()],
            "q": self.seq,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Frame:
        """Inverse of ``to_wire``; raises ``ValueError`` on a malformed value."""
        try:
            k = data["k"]
            return cls(
                columns=int(data["c"]),
                rows=int(data["r"]),
                full=bool(data["f"]),
                lines={int(item[0]): _line_from_wire(item[1:]) for item in data["l"]},
                cursor=Cursor(int(k[0]), int(k[1]), bool(k[2]), int(k[3]), bool(k[4])),
                private_modes=frozenset(int(m) for m in data["pm"]),
                ansi_modes=frozenset(int(m) for m in data["am"]),
                title=str(data["t"]),
                icon_title=str(data["it"]),
                cwd=str(data["cwd"]),
                alternate=bool(data["alt"]),
                history_total=int(data["ht"]),
                history_size=int(data["hs"]),
                history_tail=tuple(_line_from_wire(item) for item in data["tail"]),
                styles={int(s[0]): style_from_wire(s[1:]) for s in data["s"]},
                seq=int(data["q"]),
            )
        except (KeyError, IndexError, TypeError) as exc:
            raise ValueError(f"malformed frame: {exc!r}") from exc


def line_to_wire(line: Line) -> list[Any]:
    return _line_to_wire(line)


def line_from_wire(item: list[Any]) -> Line:
    return _line_from_wire(item)


def _line_to_wire(line: Line) -> list[Any]:
    return [[[t, s] for t, s in line.runs], line.wrapped, line.mark]


def _line_from_wire(item: Any) -> Line:
    runs, wrapped, mark = item
    return Line(tuple((str(t), int(s)) for t, s in runs), bool(wrapped), str(mark))


def style_from_wire(item: Any) -> Style:
    fg, bg, attrs, underline, underline_color, link = item
    return Style(int(fg), int(bg), int(attrs), int(underline), int(underline_color), str(link))


class ScreenReplica:
    """The receiving end of frames: the screen and the history tail a GUI paints from.

    ``apply`` returns the set of screen rows that changed, so a view repaints only those.
    History is kept up to ``max_history`` lines; lines older than what the replica holds
    are fetched from the producer and added with ``prepend_history``.
    """

    def __init__(self, columns: int = 80, rows: int = 24, *, max_history: int = 10000) -> None:
        self.columns = columns
        self.rows = rows
        self.lines: list[Line] = [BLANK_LINE] * rows
        self.cursor = Cursor()
        self.private_modes: frozenset[int] = frozenset({7, 25})
        self.ansi_modes: frozenset[int] = frozenset()
        self.title = ""
        self.icon_title = ""
        self.cwd = ""
        self.alternate = False
        self.styles: dict[int, Style] = {0: DEFAULT_STYLE}
        self.history: deque[Line] = deque(maxlen=max_history)
        self.history_total = 0  # absolute number of screen row 0
        self.history_size = 0  # lines the producer still retains
        self.seq = 0

    # -- applying ---------------------------------------------------------------------
    def apply(self, frame: Frame) -> set[int]:
        self.styles.update(frame.styles)
        resized = frame.columns != self.columns or frame.rows != self.rows
        if resized:
            self.columns, self.rows = frame.columns, frame.rows
            self.lines = [BLANK_LINE] * frame.rows
        damaged: set[int]
        if frame.full or resized:
            self.lines = [frame.lines.get(row, BLANK_LINE) for row in range(frame.rows)]
            damaged = set(range(frame.rows))
        else:
            damaged = set()
            for row, line in frame.lines.items():
                if 0 <= row < self.rows:
                    self.lines[row] = line
                    damaged.add(row)
        self._apply_history(frame)
        if frame.cursor != self.cursor:
            for row in (self.cursor.y, frame.cursor.y):
                if 0 <= row < self.rows:
                    damaged.add(row)
        self.cursor = frame.cursor
        self.private_modes = frame.private_modes
        self.ansi_modes = frame.ansi_modes
        self.title = frame.title
        self.icon_title = frame.icon_title
        self.cwd = frame.cwd
        self.alternate = frame.alternate
        self.seq = frame.seq
        return damaged

    def _apply_history(self, frame: Frame) -> None:
        tail = frame.history_tail
        first_new = frame.history_total - len(tail)
        if first_new != self.history_total:
            # Lines went into history that this replica never saw (the tail was bounded)
            # or the producer's numbering restarted: what is held no longer joins up, so
            # drop it; older lines are fetched on demand.
            self.history.clear()
        self.history.extend(tail)
        self.history_total = frame.history_total
        self.history_size = frame.history_size

    def prepend_history(self, first_number: int, lines: Iterable[Line]) -> int:
        """Add fetched older lines that end right where the held history starts.

        Returns how many were added (0 when they do not join up or no room is left).
        """
        lines = list(lines)
        oldest_held = self.history_total - len(self.history)
        if first_number + len(lines) != oldest_held:
            return 0
        room = (self.history.maxlen or 0) - len(self.history)
        added = lines[max(0, len(lines) - room) :]
        self.history.extendleft(reversed(added))
        return len(added)

    # -- reading ----------------------------------------------------------------------
    @property
    def first_held_number(self) -> int:
        """Absolute number of the oldest history line held here."""
        return self.history_total - len(self.history)

    def line(self, number: int) -> Line | None:
        """The line with absolute ``number`` (history or screen), if held."""
        if number >= self.history_total:
            row = number - self.history_total
            return self.lines[row] if row < self.rows else None
        index = number - self.first_held_number
        return self.history[index] if index >= 0 else None

    def display(self) -> list[str]:
        """The screen as text, one string per row padded to the width (pyte's convention:
        a wide character appears once)."""
        width = self.columns
        return [line.text + " " * (width - line.cells()) for line in self.lines]

    def iter_lines(self, first: int, last: int) -> Iterator[tuple[int, Line]]:
        for number in range(first, last):
            line = self.line(number)
            if line is not None:
                yield number, line
