"""The flood fast path: many lines of text and SGR at once, laid out without replay.

Performance-critical (issue 4). The parser hands over a *block*: printable text mixed with
CR LF pairs and SGR sequences, as ``cat``, ``ls --color``, compilers and ``git log`` write
it. When the screen is in a plain state (autowrap on, no insert mode, no character set,
full-width scroll region containing the cursor) the block is split into lines, each line
into style runs, each line wrapped into rows by slicing; rows that would scroll out of
the region go straight to history as compact entries, without ever being drawn, and only
the rows that end up visible are built. The result is the one per-character replay would
give, and ``tests/terminal/test_emulator_flood.py`` checks that against the slow path.

Outside the plain state, or for a short block, the same block is replayed through the
ordinary ``draw``/CR/LF/SGR methods.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from itertools import chain, repeat
from typing import TYPE_CHECKING

from terminal._lines import LAZY, Entry, Row, styled_entry
from terminal.unicode import char_width

if TYPE_CHECKING:
    from terminal._screen import GridScreen

ZWJ = "\u200d"
COMBINING_LIMIT = 32  # characters one cell may carry (base + zero-width ones)

_CUP_SPLIT = re.compile(r"\x1b\[(\d{1,4})?(?:;(\d{1,4}))?H")
_SGR_SPLIT = re.compile(r"\x1b\[([0-9;:]*)m")
_SGR = re.compile(r"\x1b\[[0-9;:]*m")

# The cell left blank where a wide character did not fit: on a fresh row it has the
# default style, over an existing row it keeps the style the cell had (as ``draw`` does).
PAD = -1
# The compact entry of a wrapped row in the default style: this header, the run code
# (its length, style 0) and the text; a blank wrapped row has no runs.
_WRAPPED = styled_entry("", "\x00\x00", True, "")[:3]
_WRAPPED_BLANK = styled_entry("", "", True, "")
# The style of a piece's only run when that run is a lazy history entry: a row of a
# styled line laid out unseen, kept as the program wrote it (``terminal._lines.LAZY``).
_LAZY_RUN = PAD - 1

# ASCII text; cells ("" is the right half of a wide character); or a 1-tuple holding
# non-ASCII text whose cells are made only if the row is drawn (``_unmade_fits``, ``_made``).
Seq = str | list[str] | tuple[str]
Runs = list[tuple[Seq, int]]
Piece = tuple[Runs, bool, int]  # one screen row: runs, wrapped, style of its blank cells


def _char_class(ranges: object) -> str:
    parts = []
    for first, last in ranges:  # type: ignore[attr-defined]
        parts.append(re.escape(chr(first)) + ("-" + re.escape(chr(last)) if last > first else ""))
    return "[" + "".join(parts) + "]"


def _bmp(ranges: object) -> list[tuple[int, int]]:
    return [(a, min(b, 0xFFFF)) for a, b in ranges if a <= 0xFFFF]  # type: ignore[attr-defined]


def _width_patterns() -> tuple[re.Pattern[str], ...] | None:
    """Regexes for zero-width and wide characters of the Basic Multilingual Plane, built
    from wcwidth's own tables, so whole runs are classified in C (sre matches BMP classes
    with a bitmap; astral ranges are scanned one by one, 100x slower, so text with astral
    characters takes the per-character loop). None if the tables are not where wcwidth
    keeps them.

    Returns: a zero-width character, a run of them, a wide character, a run of wide
    characters (captured)."""
    try:
        # ``import wcwidth.wcwidth`` would give the function the package re-exports.
        tables = importlib.import_module("wcwidth.wcwidth")
        zero = _char_class(_bmp(tables._ZERO_WIDTH_TABLE))
        wide = _char_class(_bmp(tables._WIDE_EASTASIAN_TABLE))
        patterns = (
            re.compile(zero),
            re.compile(zero + "+"),
            re.compile(wide),
            re.compile("(" + wide + "+)"),
        )
    except (ImportError, AttributeError, TypeError, ValueError, re.error):
        return None
    # The tables must agree with char_width, the authority; check a few telling cases.
    for ch, width in (("a", 1), ("\u0301", 0), ("\u200d", 0), ("\ufe0f", 0), ("日", 2)):
        if char_width(ch) != width or bool(patterns[0].match(ch)) != (width == 0):
            return None
        if width and bool(patterns[2].match(ch)) != (width == 2):
            return None
    return patterns


_PATTERNS = _width_patterns()
# More zero-width characters in a row than one cell carries (so they are not its text).
_TOO_MANY_MARKS = re.compile(f"{_PATTERNS[0].pattern}{{{COMBINING_LIMIT}}}") if _PATTERNS else None
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _narrow_or_wide(text: str, wide_runs: re.Pattern[str]) -> list[str]:
    """Cells of text without zero-width characters: a "" after each wide one. In C but
    for one step per run of wide characters."""
    parts = wide_runs.split(text)
    if len(parts) == 1:
        return list(text)
    cells: list[str] = []
    for i, part in enumerate(parts):
        if i & 1:
            cells.extend(chain.from_iterable(zip(part, repeat(""))))
        elif part:
            cells.extend(part)
    return cells


def to_cells(text: str, joining: bool = False, before: bool = True) -> tuple[list[str], str]:
    """Cells for ``text`` and the leading zero-width characters that have no cell here
    (they belong to the cell before). ``joining`` says the cell before ended with ZWJ;
    ``before`` that there is a cell before (else such characters are dropped). Hot path:
    text without zero-width characters is classified by regular expressions in C; the
    rest goes character by character (measured faster than regex clustering there)."""
    if _PATTERNS is not None and not joining:
        zero, wide_runs = _PATTERNS[0], _PATTERNS[3]
        if zero.search(text) is None and _ASTRAL.search(text) is None:
            return _narrow_or_wide(text, wide_runs), ""
    return _to_cells_slow(text, joining, before)


_WIDTHS: dict[str, int] = {}  # char_width, memoised where a dict lookup beats a call


def _to_cells_slow(text: str, joining: bool, before: bool) -> tuple[list[str], str]:
    """``to_cells`` one character at a time. Hot path for text with combining marks."""
    cells: list[str] = []
    append = cells.append
    orphans = ""
    widths = _WIDTHS
    for ch in text:
        if ch < "\u0300":
            if not joining or ch < "\x80":
                # Latin: one cell, never zero-width (no control reaches drawing); ASCII
                # never joins an emoji sequence.
                joining = False
                append(ch)
                continue
            w = 1
        else:
            w = widths.get(ch, -1)
            if w < 0:
                if len(widths) > 65536:
                    widths.clear()
                w = widths[ch] = char_width(ch)
        if w == 0 or joining:
            joining = ch == ZWJ
            if cells:
                i = -2 if cells[-1] == "" else -1
                if len(cells[i]) < COMBINING_LIMIT:
                    cells[i] += ch
            elif not before:
                joining = False
            elif len(orphans) < COMBINING_LIMIT:
                orphans += ch
            continue
        append(ch)
        if w == 2:
            append("")
    return cells, orphans


def draw_segments(screen: GridScreen, line: str) -> None:
    """Replay one line's text and SGR through the ordinary methods."""
    if "\x1b" not in line:
        if line:
            screen.draw(line)
        return
    parts = _SGR_SPLIT.split(line)
    sgr = screen.select_graphic_rendition_text
    draw = screen.draw
    if parts[0]:
        draw(parts[0])
    for i in range(1, len(parts), 2):
        sgr(parts[i])
        if parts[i + 1]:
            draw(parts[i + 1])


def draw_block(screen: GridScreen, block: str) -> None:
    """Print a block of text, CR LF pairs, SGR and CUP sequences. Hot path."""
    if "H" in block:
        parts = _CUP_SPLIT.split(block)
        if len(parts) > 1:
            # Cursor-addressed output (curses, vim, top): the pieces between CUPs, each
            # through the paths below; one C-level split finds all the CUPs.
            cup = screen.cup
            _draw_lines(screen, parts[0])
            for i in range(1, len(parts), 3):
                cup(parts[i], parts[i + 1])
                if parts[i + 2]:
                    _draw_lines(screen, parts[i + 2])
            return
    _draw_lines(screen, block)


def _draw_lines(screen: GridScreen, block: str) -> None:
    """Text, CR LF pairs and SGR: flooded when there are several lines, else replayed."""
    if "\n" not in block:
        draw_segments(screen, block)
        return
    while "\n\n" in block:
        # An LF right after CR LF starts at column 0 too: the same as another CR LF.
        # (In a block an LF only ever follows CR LF; each pass fixes one LF of a run.)
        block = block.replace("\n\n", "\n\r\n")
    lines = block.split("\r\n")
    draw_segments(screen, lines[0])
    rest = lines[1:]
    if len(rest) >= 2 and screen.simple and screen.top <= screen.y <= screen.bottom:
        _flood(screen, rest)
        return
    for line in rest:
        screen.carriage_return()
        screen.linefeed()
        draw_segments(screen, line)


def _sgr_runs(screen: GridScreen, line: str, sid: int) -> tuple[Runs, int]:
    """One line's text as runs of (text, style id) from style ``sid``, applying its SGR;
    and the style after it. Hot path."""
    if "\x1b" not in line:
        return [(line, sid)], sid
    parts = _SGR_SPLIT.split(line)
    cache = screen._sgr_cache
    miss = screen._sgr_miss
    runs: Runs = [(parts[0], sid)] if parts[0] else []
    for i in range(1, len(parts), 2):
        key = (sid, parts[i])
        found = cache.get(key)
        sid = miss(key) if found is None else found
        text = parts[i + 1]
        if text:
            if runs and runs[-1][1] == sid:  # an SGR that changed nothing
                runs[-1] = (runs[-1][0] + text, sid)  # type: ignore[operator]
            else:
                runs.append((text, sid))
    return runs, sid


def resolve_entry(screen: GridScreen, entry: Entry) -> Entry:
    """The compact entry a lazy one (``terminal._lines.LAZY``) stands for, its styles
    interned in ``screen``'s table now; any other entry as it is."""
    if not entry.startswith(LAZY):
        return entry
    flags = ord(entry[1])
    runs = _sgr_runs(screen, entry[4:], ord(entry[2]))[0] or [("", 0)]
    # A continuation row's blank cells take the background of the style printing its
    # first character, as ``_layout`` gives them.
    fill = screen.erase_sid(runs[0][1]) if flags & 2 else 0
    return _entry(runs, bool(flags & 1), fill, ord(entry[3]))


def _lazy_rows(line: str, columns: int) -> list[str]:
    """A styled ASCII line cut into rows of ``columns`` characters, SGR and all; each
    row after the first starts with the SGR that set the style it starts in (those since
    the last reset), so it can be resolved on its own."""
    rows: list[str] = []
    cur: list[str] = []
    room = columns
    prefix = ""
    for i, part in enumerate(_SGR_SPLIT.split(line)):
        if i & 1:
            seq = "\x1b[" + part + "m"
            cur.append(seq)
            prefix = seq if part in ("", "0") else prefix + seq
            continue
        while part:
            if not room:
                rows.append("".join(cur))
                cur, room = [prefix], columns
            cur.append(part[:room])
            taken = min(room, len(part))
            part = part[taken:]
            room -= taken
    rows.append("".join(cur))
    return rows


def _cell_runs(runs: Runs) -> Runs:
    """Non-ASCII runs as cells; zero-width characters starting a run join the previous."""
    out: Runs = []
    joining = False
    for text, sid in runs:
        assert isinstance(text, str)
        cells, orphans = to_cells(text, joining, bool(out))
        if orphans:
            prev = out[-1][0]
            assert isinstance(prev, list)
            i = -2 if prev[-1] == "" else -1
            prev[i] += orphans
        if cells:
            out.append((cells, sid))
        if out:
            last = out[-1][0]
            joining = last[-2 if last[-1] == "" else -1].endswith(ZWJ)
    return out


def _layout(runs: Runs, cols: int, fill: int, erase_of: Callable[[int], int]) -> list[Piece]:
    """Wrap one line's runs into rows of at most ``cols`` cells. The first row's blank
    cells take style ``fill``; a continuation row's take the background of the style
    printing its first character (the wrap scrolled it in: BCE)."""
    if sum([len(seq) for seq, _ in runs]) <= cols:
        return [(runs, False, fill)]
    pieces: list[Piece] = []
    cur: Runs = []
    room = cols
    for seq, sid in runs:
        assert not isinstance(seq, tuple)  # only whole rows put their cells off
        while seq:
            if room == 0:
                pieces.append((cur, True, fill))
                cur, room = [], cols
                fill = erase_of(sid)
            if len(seq) <= room:
                cur.append((seq, sid))
                room -= len(seq)
                break
            take = room
            if isinstance(seq, list) and seq[take] == "":
                take -= 1  # a wide character does not fit: it starts the next row
            if take:
                cur.append((seq[:take], sid))
            if take < room:
                cur.append((" ", PAD))
            seq = seq[take:]
            room = 0
    pieces.append((cur, False, fill))
    return pieces


def _flood(screen: GridScreen, rest: list[str]) -> None:
    """Lay out ``rest`` (lines each preceded by CR LF) directly."""
    cols = screen.columns
    joined = "".join(rest)
    if "\x1b" not in joined and joined.isascii():
        _flood_plain(screen, rest, cols)
        return
    pieces: list[Piece] = []
    append = pieces.append
    erase_of = screen.erase_sid
    sid = screen.sid
    fill = erase_of(sid)
    # Lines before the last screenful can only end in history (each is a row at least):
    # they may put their cells off. The rest are drawn; making their cells at once is
    # cheaper than measuring them first.
    unseen = len(rest) - screen.lines
    last = len(rest) - 1  # its width places the cursor: its cells are made
    # Of those, lines past the rows drawn over the screen below the cursor may even put
    # off their styles, unless something (the worker's transcript) listens to history.
    lazy_from = screen.bottom - screen.y if screen.history.sink is None else unseen
    cache = screen._sgr_cache
    for i, line in enumerate(rest):
        if "\x1b" not in line:
            # No SGR: one run in the current style (the common case, kept lean).
            if line.isascii():
                if len(line) <= cols:
                    append(([(line, sid)], False, fill))
                    continue
                runs: Runs = [(line, sid)]
            else:
                if not fill and i != last and _unmade_fits(line, cols):
                    append(([((line,), sid)], False, fill))  # cells made if ever written
                    continue
                cells = to_cells(line, False, False)[0]
                if len(cells) <= cols:
                    append(([(cells, sid)] if cells else [("", 0)], False, fill))
                    continue
                runs = [(cells, sid)]
            pieces.extend(_layout(runs, cols, fill, erase_of))
            continue
        if lazy_from <= i < unseen and not fill and line.isascii():
            # Styled ASCII that will scroll away unseen, ending in a reset (``ls``,
            # ``git log``, compilers): the style after it is the reset's, found in the
            # cache, and its own styles are resolved only if it is ever read.
            final_sgr = line.rfind("\x1b[")
            reset = "0" if line.startswith("\x1b[0m", final_sgr) else None
            if reset is None and line.startswith("\x1b[m", final_sgr):
                reset = ""
            if reset is not None:
                rows = [line] if len(_SGR.sub("", line)) <= cols else _lazy_rows(line, cols)
                head = chr(sid) + chr(cols)
                for k, raw in enumerate(rows):
                    flags = (k < len(rows) - 1) | (k > 0) << 1  # wrapped, continuation
                    append(([(LAZY + chr(flags) + head + raw, _LAZY_RUN)], False, 0))
                # SGR 0 keeps only what SGR cannot change (the hyperlink): from the
                # style at the start it gives what it gives from the one before it.
                key = (sid, reset)
                found = cache.get(key)
                sid = screen._sgr_miss(key) if found is None else found
                fill = erase_of(sid)
                continue
        runs, sid = _sgr_runs(screen, line, sid)
        if not line.isascii():
            runs = _cell_runs(runs)
        if not runs:
            runs = [("", 0)]
        pieces.extend(_layout(runs, cols, fill, erase_of))
        fill = erase_of(sid)  # the LF after the line scrolls in a blank row
    screen.sid = sid
    _place(
        screen,
        len(pieces),
        lambda i, y: _overlay(screen, y, pieces[i][0], pieces[i][1]),
        lambda i: _row(*pieces[i], cols),
        lambda a, b: [_entry(*piece, cols) for piece in pieces[a:b]],
        sum([len(seq) for seq, _ in pieces[-1][0]]),
    )


def _flood_plain(screen: GridScreen, rest: list[str], cols: int) -> None:
    """ASCII lines in one style: rows are slices of the text."""
    sid = screen.sid
    fill = screen.erase_sid()
    lengths = list(map(len, rest))
    if max(lengths) <= cols:
        texts = rest
        wraps: list[bool] | None = None
    else:
        # Lines that fit are copied in runs (slices, in C); only the long ones are cut.
        texts, wraps = [], []
        start = 0
        for i in [i for i, n in enumerate(lengths) if n > cols]:
            if i > start:
                texts += rest[start:i]
                wraps += [False] * (i - start)
            line = rest[i]
            if lengths[i] <= 2 * cols:
                texts += (line[:cols], line[cols:])
                wraps += (True, False)
            else:
                chunks = [line[k : k + cols] for k in range(0, len(line), cols)]
                texts += chunks
                wraps += [True] * (len(chunks) - 1)
                wraps.append(False)
            start = i + 1
        texts += rest[start:]
        wraps += [False] * (len(rest) - start)

    def entries(a: int, b: int) -> list[Entry]:
        if sid == 0 and fill == 0:
            if wraps is None:
                return [t.rstrip(" ") for t in texts[a:b]]
            # styled_entry(text, chr(len(text)) + "\x00", True, "") for a wrapped row,
            # spelled out: once per row of every flood the worker records.
            return [
                (_WRAPPED + chr(len(t)) + "\x00" + t if t else _WRAPPED_BLANK) if w else t
                for t, w in zip([t.rstrip(" ") for t in texts[a:b]], wraps[a:b], strict=True)
            ]
        return [
            _entry([(texts[i], sid)], wraps[i] if wraps else False, fill, cols) for i in range(a, b)
        ]

    _place(
        screen,
        len(texts),
        lambda i, y: _overlay(screen, y, [(texts[i], sid)], wraps[i] if wraps else False),
        lambda i: Row.from_text(texts[i], sid, cols, wraps[i] if wraps else False, fill),
        entries,
        len(texts[-1]),
    )


def _made(runs: Runs) -> list[tuple[str | list[str], int]]:
    """``runs`` with text whose cells were put off (a 1-tuple) made into cells."""
    return [
        (to_cells(seq[0], False, False)[0], sid) if isinstance(seq, tuple) else (seq, sid)
        for seq, sid in runs
    ]


def _unmade_fits(text: str, columns: int) -> bool:
    """Whether non-ASCII ``text`` fits in a row of ``columns`` cells with its cells
    joined being the text itself (no mark at the start, none past what a cell holds, no
    ZWJ, nothing astral), found in C: characters, less marks, plus wide ones -- or just
    its length when even all-wide it would fit. Else False: make the cells. Hot path:
    the alternative is ``_to_cells_slow``, a Python step per character."""
    many = _TOO_MANY_MARKS
    if _PATTERNS is None or many is None or ZWJ in text or _ASTRAL.search(text) is not None:
        return False
    zero, zero_runs, wide, _ = _PATTERNS
    if zero.match(text) is not None or many.search(text) is not None:
        return False
    if 2 * len(text) <= columns:
        return True
    narrow = len(text) - sum(map(len, zero_runs.findall(text)))
    return narrow + len(wide.findall(text)) <= columns


def _row(runs: Runs, wrapped: bool, fill: int, cols: int) -> Row:
    if len(runs) == 1 and runs[0][0].__class__ is tuple and runs[0][1] == fill == 0:
        # Non-ASCII text in the default style whose cells were put off: a lazy row that
        # makes them only if something writes to it (a 4 KiB read at 200x60 draws a
        # screenful the next read scrolls away).
        return Row.from_text(runs[0][0], 0, cols, wrapped)
    made = _made(runs)
    if len(made) == 1 and made[0][1] != PAD:
        return Row.from_text(made[0][0], made[0][1], cols, wrapped, fill)
    row = Row.__new__(Row)
    chars: list[str] = []
    styles: list[int] = []
    for seq, sid in made:
        chars.extend(seq)
        styles.extend([fill if sid == PAD else sid] * len(seq))
    pad = cols - len(chars)
    chars.extend(" " * pad)
    styles.extend([fill] * pad)
    row.chars, row.styles, row.wrapped, row.mark, row.line = chars, styles, wrapped, "", None
    return row


def _entry(runs: Runs, wrapped: bool, fill: int, cols: int) -> Entry:
    """The same compact entry ``row_entry`` makes of the row ``_row`` would build.
    Hot path: once per row that scrolls away unseen."""
    if runs[0][1] == _LAZY_RUN:
        return runs[0][0]  # type: ignore[return-value]
    if not fill:
        texts = [
            seq if seq.__class__ is str else seq[0] if seq.__class__ is tuple else "".join(seq)
            for seq, _ in runs
        ]
        sids = [sid for _, sid in runs]
        if PAD not in sids and "" not in texts:
            # Runs from _sgr_runs never repeat a style next to each other.
            last = sids[-1]
            if last == 0:
                trimmed = texts[-1].rstrip(" ")
                if trimmed:
                    texts[-1] = trimmed
                else:
                    texts.pop()
                    sids.pop()
            if not wrapped and (not texts or (len(texts) == 1 and sids[0] == 0)):
                return texts[0] if texts else ""
            code = "".join([chr(len(t)) + chr(sid) for t, sid in zip(texts, sids, strict=True)])
            return styled_entry("".join(texts), code, wrapped, "")
    merged: list[tuple[str, int]] = []
    width = 0
    for seq, sid in runs:
        width += len(seq)
        text = seq if isinstance(seq, str) else "".join(seq)
        if not text:
            continue
        if sid == PAD:
            sid = fill
        if merged and merged[-1][1] == sid:
            merged[-1] = (merged[-1][0] + text, sid)
        else:
            merged.append((text, sid))
    if fill and width < cols:
        if merged and merged[-1][1] == fill:
            merged[-1] = (merged[-1][0] + " " * (cols - width), fill)
        else:
            merged.append((" " * (cols - width), fill))
    if merged and merged[-1][1] == 0:
        text = merged[-1][0].rstrip(" ")
        if text:
            merged[-1] = (text, 0)
        else:
            merged.pop()
    if not wrapped:
        if not merged:
            return ""
        if len(merged) == 1 and merged[0][1] == 0:
            return merged[0][0]
    text = "".join(t for t, _ in merged)
    code = "".join([chr(len(t)) + chr(s) for t, s in merged])
    return styled_entry(text, code, wrapped, "")


def _overlay(screen: GridScreen, y: int, runs: Runs, wrapped: bool) -> None:
    """Draw a row's runs from column 0 over what a row already holds."""
    row = screen.rows[y]
    chars, styles = row.chars, row.styles
    x = 0
    for seq, sid in _made(runs):
        k = len(seq)
        chars[x : x + k] = seq
        if sid != PAD:
            styles[x : x + k] = [sid] * k
        x += k
    if x < screen.columns and chars[x] == "":
        chars[x] = " "
    if wrapped:
        row.wrapped = True
    row.line = None
    screen.dirty.add(y)


def _place(
    screen: GridScreen,
    n: int,
    overlay_at: Callable[[int, int], None],
    row_at: Callable[[int], Row],
    entries: Callable[[int, int], list[Entry]],
    last_width: int,
) -> None:
    """Put ``n`` rows below the cursor, scrolling the region as a run of LFs would:
    ``overlay_at(i, y)`` draws row *i* over screen row *y*, ``row_at(i)`` builds it fresh,
    ``entries(a, b)`` makes history entries of rows ``a..b-1``."""
    cols = screen.columns
    top, bottom = screen.top, screen.bottom
    y0 = screen.y
    overlay = min(n, bottom - y0)
    for i in range(overlay):
        overlay_at(i, y0 + 1 + i)
    scrolls = n - overlay
    if scrolls:
        height = bottom - top + 1
        rows = screen.rows
        fresh_from = max(overlay, n - height)
        fresh = [row_at(i) for i in range(fresh_from, n)]
        to_history = top == 0 and not screen.alternate
        if scrolls >= height:
            if to_history:
                screen._push_rows(rows[top : bottom + 1])
                history = screen.history
                # Rows that would leave history at once are skipped -- unless someone
                # (the worker's transcript) listens to every line that enters.
                first = overlay if history.sink else max(overlay, fresh_from - history.limit)
                history.add_count(first - overlay)
                history.extend(entries(first, fresh_from))
            rows[top : bottom + 1] = fresh
        else:
            if to_history:
                screen._push_rows(rows[top : top + scrolls])
            del rows[top : top + scrolls]
            at = bottom - scrolls + 1
            rows[at:at] = fresh
        if top == 0 and bottom == screen.lines - 1:
            screen.all_dirty = True
        else:
            screen.dirty.update(range(top, bottom + 1))
    screen.y = min(y0 + n, bottom)
    if last_width >= cols:
        screen.x = cols - 1
        screen.pending = True
    else:
        screen.x = last_width
        screen.pending = False
