"""Selection over absolute line numbers, and the text it copies.

A selection is two points ``(line, column)`` in absolute line numbers (history and screen
alike, see ``terminal.frames``) and cells, so it stays on the same text when output
scrolls it into history. Modes: characters (a drag), words (double-click), lines
(triple-click) and a rectangle (Alt+drag). Character selections run between cell
*boundaries*: from boundary 0 to 5 covers cells 0-4.

``selected_text`` joins soft-wrapped lines (``Line.wrapped``) without a newline, keeps
hard newlines and strips trailing blanks from each hard line.

Also here, because selection, find and links all need it: ``cells_of`` maps the text of a
line onto its cells (wide characters take two, zero-width ones ride on the one before).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from terminal.frames import Line
from terminal.unicode import char_width

Point = tuple[int, int]  # (absolute line number, column)
LineSource = Callable[[int], Line | None]


class Mode(Enum):
    CHARS = "chars"
    WORDS = "words"
    LINES = "lines"
    BLOCK = "block"


def cells_of(text: str) -> tuple[list[str], list[int]]:
    """Cluster ``text`` into cells: ``(clusters, columns)``, one entry per character cell
    start; ``columns[i]`` is the first column of ``clusters[i]``. A wide cluster's second
    cell has no entry of its own."""
    clusters: list[str] = []
    columns: list[int] = []
    col = 0
    if text.isascii():
        return list(text), list(range(len(text)))
    for ch in text:
        w = char_width(ch)
        if w == 0 and clusters:
            clusters[-1] += ch
            continue
        clusters.append(ch)
        columns.append(col)
        col += max(w, 1)
    return clusters, columns


def cluster_at(line: Line, column: int) -> tuple[str, int, int]:
    """``(cluster, cells, style_id)`` of the character starting at ``column``; a blank
    one-cell default-style cell when none starts there."""
    col = 0
    for text, sid in line.runs:
        clusters, cols = cells_of(text)
        for cluster, c in zip(clusters, cols, strict=True):
            if col + c == column:
                return cluster, _w(cluster), sid
        if clusters:
            col += cols[-1] + _w(clusters[-1])
    return " ", 1, 0


def index_columns(text: str) -> list[int]:
    """The column of each character index of ``text``, plus one entry for the end."""
    if text.isascii():
        return list(range(len(text) + 1))
    result: list[int] = []
    col = 0
    last_start = 0
    for ch in text:
        w = char_width(ch)
        if w == 0 and result:
            result.append(last_start)  # a combining mark belongs to the cell before it
            continue
        result.append(col)
        last_start = col
        col += max(w, 1)
    result.append(col)
    return result


def cell_slice(line: Line, start: int, end: int) -> str:
    """The text of cells ``[start, end)``; a wide character counts if it starts inside.
    Blank cells past the end of the text come back as spaces only between text."""
    clusters, columns = cells_of(line.text)
    return "".join(c for c, col in zip(clusters, columns, strict=True) if start <= col < end)


def is_word_char(cluster: str, word_chars: str) -> bool:
    ch = cluster[:1]
    return ch.isalnum() or (ch != "" and ch in word_chars) or char_width(ch) == 2


def word_span(line: Line, col: int, word_chars: str) -> tuple[int, int]:
    """The cells ``[start, end)`` of the word at ``col`` (one cell when not on a word)."""
    clusters, columns = cells_of(line.text)
    index = next((i for i, c in enumerate(columns) if c <= col < c + _w(clusters[i])), None)
    if index is None:
        return col, col + 1
    kind = is_word_char(clusters[index], word_chars)
    if not kind and clusters[index] != " ":
        return columns[index], columns[index] + _w(clusters[index])
    lo = hi = index
    while lo > 0 and is_word_char(clusters[lo - 1], word_chars) == kind and (
        kind or clusters[lo - 1] == " "
    ):
        lo -= 1
    while hi + 1 < len(clusters) and is_word_char(clusters[hi + 1], word_chars) == kind and (
        kind or clusters[hi + 1] == " "
    ):
        hi += 1
    return columns[lo], columns[hi] + _w(clusters[hi])


def _w(cluster: str) -> int:
    return max(char_width(cluster[0]), 1) if cluster else 1


@dataclass
class Selection:
    """The selected region; ``anchor`` is where it started, ``head`` where it ends now."""

    anchor: Point
    head: Point
    mode: Mode = Mode.CHARS
    # For words and lines, the span of the unit the anchor is in, so extending keeps it.
    anchor_span: tuple[Point, Point] | None = None

    def ordered(self) -> tuple[Point, Point]:
        """Start (inclusive) and end (exclusive) boundaries, in reading order."""
        a, b = sorted((self.anchor, self.head))
        if self.anchor_span is not None:
            a = min(a, self.anchor_span[0])
            b = max(b, self.anchor_span[1])
        return a, b

    @property
    def empty(self) -> bool:
        a, b = self.ordered()
        if self.mode is Mode.BLOCK:
            return self.anchor[1] == self.head[1]
        return a == b

    def lines(self) -> range:
        a, b = self.ordered()
        return range(a[0], b[0] + 1)

    def columns_on(self, number: int, columns: int) -> tuple[int, int] | None:
        """The cells ``[start, end)`` selected on line ``number``, or ``None``."""
        if self.mode is Mode.BLOCK:
            top, bottom = sorted((self.anchor[0], self.head[0]))
            if not top <= number <= bottom:
                return None
            left, right = sorted((self.anchor[1], self.head[1]))
            return (left, right) if right > left else None
        (l0, c0), (l1, c1) = self.ordered()
        if not l0 <= number <= l1:
            return None
        start = c0 if number == l0 else 0
        end = c1 if number == l1 else columns
        return (start, end) if end > start else None


def selected_text(selection: Selection, source: LineSource, columns: int) -> str:
    """The text a copy of ``selection`` puts on the clipboard."""
    parts: list[str] = []
    numbers = list(selection.lines())
    for i, number in enumerate(numbers):
        line = source(number)
        span = selection.columns_on(number, columns)
        last = i == len(numbers) - 1
        if line is None:
            text, wrapped = "", False
        else:
            text = cell_slice(line, *span) if span else ""
            wrapped = line.wrapped
        end_of_line = span is not None and span[1] >= columns
        if selection.mode is not Mode.BLOCK and wrapped and end_of_line and not last:
            parts.append(_pad_to(text, line, span, columns))  # soft wrap: no newline
            continue
        parts.append(text.rstrip(" ") + ("" if last else "\n"))
    return "".join(parts)


def _pad_to(text: str, line: Line | None, span: tuple[int, int] | None, columns: int) -> str:
    # A wrapped line's text may end before the last column (a blank cell where the line
    # broke); those blanks are real spaces in the joined text.
    if line is None or span is None:
        return text
    missing = columns - max(line.cells(), span[0])
    return text + " " * max(missing, 0)


def expand(
    selection: Selection, source: LineSource, word_chars: str, columns: int
) -> Selection:
    """Widen a words or lines selection's head to whole units (the anchor's unit is kept
    in ``anchor_span``)."""
    if selection.mode is Mode.WORDS:
        head_line, head_col = selection.head
        line = source(head_line)
        if line is None:
            return selection
        start, end = word_span(line, head_col, word_chars)
        anchor_is_before = selection.anchor_span is not None and selection.anchor_span[
            0
        ] <= (head_line, head_col)
        head = (head_line, end) if anchor_is_before else (head_line, start)
        return Selection(selection.anchor, head, selection.mode, selection.anchor_span)
    if selection.mode is Mode.LINES:
        first, last = logical_line(source, selection.head[0])
        if selection.anchor_span is not None and selection.anchor_span[0] <= selection.head:
            head = (last, columns)
        else:
            head = (first, 0)
        return Selection(selection.anchor, head, selection.mode, selection.anchor_span)
    return selection


def logical_line(source: LineSource, number: int) -> tuple[int, int]:
    """First and last absolute numbers of the soft-wrapped group ``number`` is in."""
    first = number
    while True:
        above = source(first - 1)
        if above is None or not above.wrapped:
            break
        first -= 1
    last = number
    while True:
        line = source(last)
        if line is None or not line.wrapped or source(last + 1) is None:
            break
        last += 1
    return first, last


def word_selection(source: LineSource, point: Point, word_chars: str) -> Selection:
    line = source(point[0])
    start, end = word_span(line, point[1], word_chars) if line else (point[1], point[1] + 1)
    span = ((point[0], start), (point[0], end))
    return Selection(span[0], span[1], Mode.WORDS, span)


def line_selection(source: LineSource, number: int, columns: int) -> Selection:
    first, last = logical_line(source, number)
    span = ((first, 0), (last, columns))
    return Selection(span[0], span[1], Mode.LINES, span)
