"""The emulator: bytes from a program in, a screen, history and frames out.

``Emulator`` joins the parser (``terminal._parser``) to the grid (``terminal._screen``)
and adds what is not grid: modes, answerbacks (through the one ``on_reply`` callback),
OSC and DCS strings, events (through one ``EmulatorListener``), and frames: damage is read
and reset in one place, ``take_frame``.

It does not own a PTY, a socket or a clock of its own: the clock used to time out
synchronized output (mode 2026) is injected.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from pyte import control as ctrl
from pyte import escape as esc

from terminal import _replies as rep
from terminal._flood import draw_block, draw_segments, resolve_entry
from terminal._lines import entry_line, entry_text
from terminal._parser import Handler, Parser
from terminal._screen import GridScreen
from terminal._strings import StringsMixin
from terminal.events import EmulatorListener, NullListener
from terminal.frames import HISTORY_TAIL_LIMIT, Attr, Cursor, Frame, Line

__all__ = ["Emulator", "EmulatorListener", "NullListener"]

SYNC_TIMEOUT = 1.0  # seconds a synchronized update (mode 2026) may hold frames
TITLE_STACK_LIMIT = 16

_ALT_SCREEN_MODES = (47, 1047, 1049)
# Private modes kept in ``private_modes`` for the GUI and the key encoder; any other
# number is acknowledged as unknown by DECRQM and otherwise ignored.
_KEPT_PRIVATE = rep.KNOWN_PRIVATE - {1048}
_KEPT_ANSI = frozenset({4, 20})


def _first(params: list[int], default: int = 1) -> int:
    return params[0] if params and params[0] else default


class Emulator(StringsMixin, GridScreen):
    """A VT/xterm-compatible terminal screen fed with bytes.

    ``columns``/``lines`` size the screen; ``history`` bounds the scrollback;
    ``on_reply`` receives answerback bytes for the program; ``listener`` receives events;
    ``cell_size`` is the (width, height) in pixels reported by XTWINOPS; ``clock`` times
    synchronized output.
    """

    def __init__(
        self,
        columns: int = 80,
        lines: int = 24,
        *,
        history: int = 10000,
        on_reply: Callable[[bytes], None] | None = None,
        listener: EmulatorListener | None = None,
        cell_size: tuple[int, int] = (8, 16),
        clock: Callable[[], float] = time.monotonic,
        sync_timeout: float = SYNC_TIMEOUT,
    ) -> None:
        self.title = ""
        self.icon_title = ""
        self.cwd = ""
        self.cursor_shape = 0
        self.on_reply = on_reply
        self.listener: EmulatorListener = listener if listener is not None else NullListener()
        self.cell_size = cell_size
        self.clock = clock
        self.sync_timeout = sync_timeout
        self._sync_since = 0.0
        self._title_stack: list[tuple[str, str]] = []
        self.palette: list[int] = []
        self.dynamic_colors: list[int] = []
        self._reset_colors()
        super().__init__(columns, lines, history)
        self._seq = 0
        self._styles_sent = 0
        self._history_sent = 0
        self._last_frame: Frame | None = None
        self._parser = Parser(self, self._control_table(), self._escape_table(), self._csi_table())

    # -- the public surface -----------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Process program output. Never raises; a split UTF-8 sequence or escape
        sequence is completed by the next call."""
        self._parser.feed(data)

    @property
    def display(self) -> list[str]:
        """The screen as text, one string per row padded to the width (pyte's form)."""
        return ["".join(row.chars) for row in self.rows]

    @property
    def cursor(self) -> tuple[int, int]:
        """``(x, y)``, 0-based; a cursor waiting to wrap is in the last column."""
        return self.x, self.y

    @property
    def scrollback(self) -> list[str]:
        """History lines as text (trailing blanks dropped), oldest first."""
        return [entry_text(resolve_entry(self, entry)) for entry in self.history.lines]

    def set_history_sink(self, sink: Callable[[int, list[str]], None] | None) -> None:
        """Be told of every line that enters history, as it enters: ``sink(number of the
        first, entries)``, entries in the compact form of ``terminal._lines`` (the text
        itself for a plain line; ``entry_line`` makes a ``Line``). With a sink set, lines
        of a flood that would leave the bounded history at once are made and passed on
        instead of skipped, so a transcript misses nothing."""
        self.history.sink = sink

    @property
    def history_total(self) -> int:
        """Absolute number of screen row 0 (lines that ever entered history)."""
        return self.history.total

    def history_lines(self, first: int, count: int) -> list[tuple[int, Line]]:
        """Lines with absolute numbers in ``[first, first + count)`` that still exist:
        history first, then screen rows (numbered from ``history_total``)."""
        out = [
            (number, entry_line(resolve_entry(self, entry)))
            for number, entry in self.history.entries(first, count)
        ]
        total = self.history.total
        for number in range(max(first, total), min(first + count, total + self.lines)):
            out.append((number, self.rows[number - total].to_line()))
        return out

    # -- frames -----------------------------------------------------------------------
    @property
    def synchronized(self) -> bool:
        """A synchronized update (mode 2026) is holding frames back."""
        return 2026 in self.private_modes and (self.clock() - self._sync_since < self.sync_timeout)

    def take_frame(self, tail_limit: int = HISTORY_TAIL_LIMIT) -> Frame:
        """What changed since the previous call; resets the damage. Hot path.

        The frame carries at most ``tail_limit`` of the lines that entered history since
        (a host that reads history itself, like the worker, passes 0).

        While a synchronized update is open (and not timed out) the previous frame's
        state is returned again with no rows, and the damage is kept for later.
        """
        last = self._last_frame
        if last is not None and self.synchronized:
            self._seq += 1
            return replace(last, full=False, lines={}, history_tail=(), styles={}, seq=self._seq)
        rows = self.rows
        full = self.full_damage or last is None
        if full or self.all_dirty:
            lines = {y: row.to_line() for y, row in enumerate(rows)}
        else:
            lines = {y: rows[y].to_line() for y in sorted(self.dirty)}
        history = self.history
        new = history.total - self._history_sent
        tail = tuple(entry_line(resolve_entry(self, e)) for e in history.tail(min(new, tail_limit)))
        styles = self.styles.since(self._styles_sent)
        self._seq += 1
        frame = Frame(
            columns=self.columns,
            rows=self.lines,
            full=full,
            lines=lines,
            cursor=Cursor(
                self.x, self.y, 25 in self.private_modes, self.cursor_shape, self.pending
            ),
            private_modes=frozenset(self.private_modes),
            ansi_modes=frozenset(self.ansi_modes),
            title=self.title,
            icon_title=self.icon_title,
            cwd=self.cwd,
            alternate=self.alternate,
            history_total=history.total,
            history_size=len(history),
            history_tail=tail,
            styles=styles,
            seq=self._seq,
        )
        self.dirty.clear()
        self.all_dirty = False
        self.full_damage = False
        self._history_sent = history.total
        self._styles_sent = len(self.styles)
        self._last_frame = frame
        return frame

    # -- dispatch tables (pyte's vocabulary, extended) --------------------------------
    def _control_table(self) -> dict[str, Callable[[], None]]:
        table: dict[str, Callable[[], None]] = {
            ctrl.BEL: self.bell,
            ctrl.BS: self.backspace,
            ctrl.HT: self.tab,
            ctrl.LF: self.linefeed,
            ctrl.VT: self.linefeed,
            ctrl.FF: self.linefeed,
            ctrl.CR: self.carriage_return,
            ctrl.SO: self.shift_out,
            ctrl.SI: self.shift_in,
        }
        return table

    def _escape_table(self) -> dict[str, Callable[[], None]]:
        table: dict[str, Callable[[], None]] = {
            esc.RIS: self.reset,
            esc.IND: self.index,
            esc.NEL: self.next_line,
            esc.RI: self.reverse_index,
            esc.HTS: self.set_tab_stop,
            esc.DECSC: self.save_cursor,
            esc.DECRC: self.restore_cursor,
            "#" + esc.DECALN: self.alignment_display,
            "=": lambda: self.private_modes.add(66),  # DECKPAM
            ">": lambda: self.private_modes.discard(66),  # DECKPNM
            "Z": lambda: self.report_device_attributes(),  # DECID
        }
        for slot in "()":
            for code in "0AB12<>45CRQKYEZH7=6":
                table[slot + code] = self._designate(slot, code)
        return table

    def _designate(self, slot: str, code: str) -> Callable[[], None]:
        return lambda: self.define_charset(code, slot)

    def _csi_table(self) -> dict[str, Handler]:
        f = _first
        t: dict[str, Handler] = {
            esc.ICH: lambda p: self.insert_characters(f(p)),
            esc.CUU: lambda p: self.cursor_up(f(p)),
            esc.CUD: lambda p: self.cursor_down(f(p)),
            esc.CUF: lambda p: self.cursor_forward(f(p)),
            esc.CUB: lambda p: self.cursor_back(f(p)),
            esc.CNL: lambda p: self.cursor_down1(f(p)),
            esc.CPL: lambda p: self.cursor_up1(f(p)),
            esc.CHA: lambda p: self.cursor_to_column(f(p)),
            esc.CUP: lambda p: self.cursor_position(f(p), f(p[1:])),
            esc.HVP: lambda p: self.cursor_position(f(p), f(p[1:])),
            esc.ED: lambda p: self.erase_in_display(f(p, 0)),
            esc.EL: lambda p: self.erase_in_line(f(p, 0)),
            "?J": lambda p: self.erase_in_display(f(p, 0), private=True),  # DECSED
            "?K": lambda p: self.erase_in_line(f(p, 0), private=True),  # DECSEL
            esc.IL: lambda p: self.insert_lines(f(p)),
            esc.DL: lambda p: self.delete_lines(f(p)),
            esc.DCH: lambda p: self.delete_characters(f(p)),
            esc.ECH: lambda p: self.erase_characters(f(p)),
            esc.HPR: lambda p: self.cursor_forward(f(p)),
            esc.VPR: lambda p: self.cursor_down(f(p)),
            esc.VPA: lambda p: self.cursor_to_line(f(p)),
            "`": lambda p: self.cursor_to_column(f(p)),  # HPA
            esc.TBC: lambda p: self.clear_tab_stop(f(p, 0)),
            "I": lambda p: self.tab(f(p)),  # CHT
            "Z": lambda p: self.back_tab(f(p)),  # CBT
            "b": lambda p: self.repeat_character(f(p)),  # REP
            "S": lambda p: self.scroll_up(f(p)),  # SU
            "T": lambda p: self.scroll_down(f(p)) if len(p) <= 1 else None,  # SD
            "^": lambda p: self.scroll_down(f(p)),  # SD (ECMA-48 spelling)
            esc.SM: lambda p: self.set_mode(*p),
            esc.RM: lambda p: self.reset_mode(*p),
            "?h": lambda p: self.set_mode(*p, private=True),
            "?l": lambda p: self.reset_mode(*p, private=True),
            esc.SGR: lambda p: None,  # the parser sends SGR text straight to the screen
            esc.DSR: lambda p: self.report_device_status(f(p, 0)),
            "?n": lambda p: self.report_device_status(f(p, 0), private=True),
            esc.DA: lambda p: self.report_device_attributes(f(p, 0)),
            ">c": lambda p: self.report_device_attributes(f(p, 0), kind=">"),
            "=c": lambda p: self.report_device_attributes(f(p, 0), kind="="),
            ">q": lambda p: self.reply(rep.XTVERSION) if f(p, 0) == 0 else None,
            esc.DECSTBM: lambda p: self.set_margins(f(p, 0), f(p[1:], 0)),
            "s": self._csi_s,
            "u": lambda p: self.restore_cursor(),  # SCORC
            " q": lambda p: self.set_cursor_style(f(p, 0)),  # DECSCUSR
            "!p": lambda p: self.soft_reset(),  # DECSTR
            '"q': lambda p: self.set_protection(f(p, 0)),  # DECSCA
            "$p": lambda p: self.request_mode(f(p, 0), private=False),  # DECRQM
            "?$p": lambda p: self.request_mode(f(p, 0), private=True),
            "t": self.window_ops,  # XTWINOPS
            "$x": self._decfra,
            "$z": lambda p: self._rect_erase(p, selective=False),  # DECERA
            "${": lambda p: self._rect_erase(p, selective=True),  # DECSERA
            "$v": self._deccra,
        }
        return t

    def draw_lines(self, text: str) -> None:
        """A block of text with CR LF pairs and SGR sequences (the flood fast path)."""
        draw_block(self, text)

    def draw_segments(self, text: str) -> None:
        """Text and SGR sequences without line breaks."""
        draw_segments(self, text)

    # -- controls with host effects ---------------------------------------------------
    def reply(self, text: str) -> None:
        if self.on_reply is not None:
            self.on_reply(text.encode())

    def bell(self, *args: object) -> None:
        self.listener.bell()

    def reset(self) -> None:
        """RIS: everything back to power-on state (the scrollback is kept)."""
        self.reset_grid()
        self.title = self.icon_title = ""
        self.cursor_shape = 0
        self._title_stack.clear()
        self._reset_colors()

    def soft_reset(self) -> None:
        """DECSTR: modes, margins, rendition and saved cursor to defaults; the screen
        and the cursor position stay (VT510 table 5-9). Autowrap is left on: VT510 turns
        it off, xterm restores its configured default, which is on."""
        self.private_modes.add(25)
        self.private_modes.discard(6)
        self.private_modes.add(7)
        self.private_modes.discard(1)
        self.private_modes.discard(66)
        self.ansi_modes.discard(4)
        self.top, self.bottom = 0, self.lines - 1
        self.left, self.right = 0, self.columns - 1
        self.set_style(self.styles[0])
        self.charsets = [None, None]
        self.gl = 0
        self._select_charset()
        saved = self.saved
        saved.x = saved.y = 0
        saved.sid = 0
        saved.origin = False
        saved.pending = False
        self._update_simple()

    def set_cursor_style(self, shape: int) -> None:
        """DECSCUSR: 0 default, 1/2 block, 3/4 underline, 5/6 bar."""
        if 0 <= shape <= 6:
            self.cursor_shape = shape

    def set_protection(self, how: int) -> None:
        """DECSCA: 1 marks following characters protected from selective erase."""
        attrs = self.style.attrs
        attrs = attrs | Attr.PROTECTED if how == 1 else attrs & ~Attr.PROTECTED
        self.set_style(self.style._replace(attrs=attrs))

    def _csi_s(self, params: list[int]) -> None:
        """``CSI s``: DECSLRM while DECLRMM is set, else SCOSC (save cursor)."""
        if self.lr_margins:
            self.set_left_right_margins(_first(params, 0), _first(params[1:], 0))
        else:
            self.save_cursor()

    # -- modes ------------------------------------------------------------------------
    def set_mode(self, *modes: int, private: bool = False) -> None:
        for mode in modes:
            self._set_one(mode, private, True)
        self._update_simple()

    def reset_mode(self, *modes: int, private: bool = False) -> None:
        for mode in modes:
            self._set_one(mode, private, False)
        self._update_simple()

    def _set_one(self, mode: int, private: bool, on: bool) -> None:
        if not private:
            if mode in _KEPT_ANSI:
                (self.ansi_modes.add if on else self.ansi_modes.discard)(mode)
            return
        if mode in _ALT_SCREEN_MODES:
            if on:
                if mode == 1049:
                    self.save_cursor()
                self.switch_screen(True, clear=mode == 1049)
                if mode == 1049:
                    self.save_cursor()  # the alternate screen's own saved cursor
            else:
                if mode == 1047 and self.alternate:
                    self._clear_all()
                was_alt = self.alternate
                self.switch_screen(False)
                if mode == 1049 and was_alt:
                    self.restore_cursor()
            (self.private_modes.add if on else self.private_modes.discard)(mode)
            for other in _ALT_SCREEN_MODES:
                if not on:
                    self.private_modes.discard(other)
            return
        if mode == 1048:
            self.save_cursor() if on else self.restore_cursor()
            return
        if mode not in _KEPT_PRIVATE:
            return
        if on:
            if mode == 2026 and mode not in self.private_modes:
                self._sync_since = self.clock()
            self.private_modes.add(mode)
        else:
            self.private_modes.discard(mode)
        if mode == 6:
            self.cursor_position()
        elif mode == 69 and not on:
            self._reset_lr()
        elif mode == 7 and not on:
            self.pending = False
        elif mode in (1000, 1002, 1003, 9) and on:
            # One mouse tracking mode at a time, as in xterm.
            self.private_modes.difference_update({9, 1000, 1002, 1003} - {mode})
        elif mode in (1005, 1006, 1015) and on:
            self.private_modes.difference_update({1005, 1006, 1015} - {mode})

    def request_mode(self, mode: int, *, private: bool) -> None:
        """DECRQM: ``CSI ? Ps ; Pm $ y`` (or without ``?`` for ANSI modes)."""
        if private:
            is_set = mode in self.private_modes or (mode in _ALT_SCREEN_MODES and self.alternate)
        else:
            is_set = mode in self.ansi_modes
        self.reply(rep.mode_report(mode, is_set, private))

    # -- reports ----------------------------------------------------------------------
    def report_device_attributes(self, mode: int = 0, kind: str = "", **kwargs: bool) -> None:
        """DA1 (``CSI c``), DA2 (``CSI > c``), DA3 (``CSI = c``)."""
        if mode != 0:
            return
        self.reply({"": rep.PRIMARY_DA, ">": rep.SECONDARY_DA, "=": rep.TERTIARY_DA}[kind])

    def report_device_status(self, mode: int, private: bool = False) -> None:
        """DSR 5 (status), DSR 6 (CPR) and DECXCPR (``CSI ? 6 n``). A cursor waiting to
        wrap reports the last column; in origin mode rows count from the top margin."""
        if mode == 5 and not private:
            self.reply(rep.CSI + "0n")
        elif mode == 6:
            y = self.y + 1
            x = self.x + 1
            if self.origin:
                y -= self.top
                if self.lr_margins:
                    x -= self.left
            self.reply(rep.CSI + (f"?{y};{x};1R" if private else f"{y};{x}R"))

    def window_ops(self, params: list[int]) -> None:
        """XTWINOPS: size reports (14, 16, 18, 19) and the title stack (22, 23)."""
        op = _first(params, 0)
        cw, ch = self.cell_size
        if op == 14:
            self.reply(rep.CSI + f"4;{self.lines * ch};{self.columns * cw}t")
        elif op == 16:
            self.reply(rep.CSI + f"6;{ch};{cw}t")
        elif op == 18:
            self.reply(rep.CSI + f"8;{self.lines};{self.columns}t")
        elif op == 19:
            self.reply(rep.CSI + f"9;{self.lines};{self.columns}t")
        elif op == 22:
            if len(self._title_stack) < TITLE_STACK_LIMIT:
                self._title_stack.append((self.title, self.icon_title))
        elif op == 23 and self._title_stack:
            title, icon = self._title_stack.pop()
            which = _first(params[1:], 0)
            if which in (0, 2):
                self.set_title(title)
            if which in (0, 1):
                self.set_icon_name(icon)

    # -- rectangles -------------------------------------------------------------------
    def _decfra(self, params: list[int]) -> None:
        """DECFRA ``CSI Pc ; Pt ; Pl ; Pb ; Pr $ x``: Pc is a printable code point."""
        code = _first(params, 0)
        if not (32 <= code <= 126 or 160 <= code <= 255):
            return
        box = self.rect(params, 1)
        if box is not None:
            char = chr(code)
            if self.charset_map is not None:
                char = char.translate(self.charset_map)
            self.fill_rectangle(char, box)

    def _rect_erase(self, params: list[int], *, selective: bool) -> None:
        box = self.rect(params)
        if box is not None:
            self.erase_rectangle(box, selective)

    def _deccra(self, params: list[int]) -> None:
        """DECCRA ``CSI Pts;Pls;Pbs;Prs;Pps;Ptd;Pld;Ppd $ v`` (pages ignored)."""
        box = self.rect(params)
        if box is None:
            return
        top = _first(params[5:]) - 1
        left = _first(params[6:]) - 1
        if self.origin:
            top += self.top
            if self.lr_margins:
                left += self.left
        if top < self.lines and left < self.columns:
            self.copy_rectangle(box, top, left)

    def debug(self, *args: object, **kwargs: object) -> None:
        """pyte's endpoint for unrecognised sequences: ignored."""
