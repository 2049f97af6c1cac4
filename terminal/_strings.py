"""OSC and DCS strings: titles, working directory, hyperlinks, clipboard, semantic marks,
the colour palette and its queries, DECRQSS.

A mixin of ``terminal.emulator.Emulator``, split out to keep each module readable; the
state it works on is declared below. Strings arrive complete and bounded from the parser
(``terminal._parser``); here every value a program controls is bounded again: titles,
icon names, URIs and paths to ``TEXT_LIMIT``, clipboard payloads to ``CLIPBOARD_LIMIT``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from terminal import _replies as rep
from terminal._lines import History, Row
from terminal._sgr import sgr_report
from terminal.events import EmulatorListener
from terminal.frames import Attr, Style

TEXT_LIMIT = 4096  # titles, icon names, hyperlink URIs, working directories
CLIPBOARD_LIMIT = 1 << 20  # OSC 52 payload (base64 text)


class StringsMixin:
    """OSC 0/1/2/4/7/8/10/11/12/52/104/110-112/133 and DCS $q / +q."""

    title: str
    icon_title: str
    cwd: str
    cursor_shape: int
    listener: EmulatorListener
    palette: list[int]
    dynamic_colors: list[int]
    rows: list[Row]
    y: int
    top: int
    bottom: int
    left: int
    right: int
    history: History
    reply: Callable[[str], None]

    if TYPE_CHECKING:

        @property
        def style(self) -> Style: ...
        def set_style(self, style: Style) -> None: ...
        def _touch(self, y: int) -> None: ...

    # -- OSC --------------------------------------------------------------------------
    def set_title(self, title: str) -> None:
        self.title = title[:TEXT_LIMIT]
        self.listener.title_changed(self.title)

    def set_icon_name(self, name: str) -> None:
        self.icon_title = name[:TEXT_LIMIT]
        self.listener.icon_title_changed(self.icon_title)

    def osc_dispatch(self, text: str, terminator: str) -> None:
        """``ESC ] code ; data`` with any number of code digits."""
        code_text, _, data = text.partition(";")
        if not code_text.isdigit() or len(code_text) > 5:
            return
        code = int(code_text)
        if code in (0, 1, 2):
            if code in (0, 1):
                self.set_icon_name(data)
            if code in (0, 2):
                self.set_title(data)
        elif code == 7:
            self._osc_cwd(data)
        elif code == 8:
            _params, _, uri = data.partition(";")
            uri = uri if len(uri) <= TEXT_LIMIT else ""
            if uri != self.style.link:
                self.set_style(self.style._replace(link=uri))
        elif code == 52:
            self._osc_clipboard(data)
        elif code == 133:
            self._osc_mark(data)
        elif code == 4:
            self._osc_palette(data, terminator)
        elif code in (10, 11, 12):
            self._osc_dynamic(code, data, terminator)
        elif code == 104:
            if data:
                for part in data.split(";"):
                    if part.isdigit() and int(part) < 256:
                        self.palette[int(part)] = rep.DEFAULT_PALETTE[int(part)]
            else:
                self.palette = list(rep.DEFAULT_PALETTE)
        elif code in (110, 111, 112):
            default = (rep.DEFAULT_FOREGROUND, rep.DEFAULT_BACKGROUND, rep.DEFAULT_CURSOR)
            self.dynamic_colors[code - 110] = default[code - 110]

    def _reset_colors(self) -> None:
        self.palette = list(rep.DEFAULT_PALETTE)
        self.dynamic_colors = [rep.DEFAULT_FOREGROUND, rep.DEFAULT_BACKGROUND, rep.DEFAULT_CURSOR]

    def _osc_cwd(self, data: str) -> None:
        if len(data) > TEXT_LIMIT:
            return
        path = unquote(urlsplit(data).path) if data.startswith("file:") else data
        self.cwd = path
        self.listener.cwd_changed(path)

    def _osc_clipboard(self, data: str) -> None:
        selection, _, payload = data.partition(";")
        selection = selection or "c"
        if payload == "?":
            self.listener.clipboard_query(selection)
            return
        if len(payload) > CLIPBOARD_LIMIT:
            return
        try:
            decoded = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            return
        self.listener.clipboard_set(selection, decoded)

    def _osc_mark(self, data: str) -> None:
        kind, _, params = data.partition(";")
        if kind in ("A", "B", "C", "D"):
            row = self.rows[self.y]
            row.mark = kind
            self._touch(self.y)
            self.listener.mark(kind, self.history.total + self.y, params[:TEXT_LIMIT])

    def _osc_palette(self, data: str, terminator: str) -> None:
        parts = data.split(";")
        for i in range(0, len(parts) - 1, 2):
            index_text, spec = parts[i], parts[i + 1]
            if not index_text.isdigit() or int(index_text) > 255:
                continue
            index = int(index_text)
            if spec == "?":
                self.reply(f"\x1b]4;{index};{rep.color_spec(self.palette[index])}{terminator}")
            else:
                color = rep.parse_color(spec)
                if color is not None:
                    self.palette[index] = color

    def _osc_dynamic(self, code: int, data: str, terminator: str) -> None:
        """OSC 10/11/12: each further parameter applies to the next code (xterm)."""
        for offset, spec in enumerate(data.split(";")):
            which = code + offset - 10
            if which > 2:
                break
            if spec == "?":
                spec_text = rep.color_spec(self.dynamic_colors[which])
                self.reply(f"\x1b]{code + offset};{spec_text}{terminator}")
            else:
                color = rep.parse_color(spec)
                if color is not None:
                    self.dynamic_colors[which] = color

    # -- DCS --------------------------------------------------------------------------
    def dcs_dispatch(self, text: str) -> None:
        """DECRQSS (``DCS $ q Pt ST``) is answered; XTGETTCAP is declined; the rest
        (sixel, ReGIS, tmux passthrough...) is consumed and ignored."""
        if text.startswith("$q"):
            self.reply(self._decrqss(text[2:]))
        elif text.startswith("+q"):
            self.reply(rep.DCS + "0+r" + rep.ST)

    def _decrqss(self, setting: str) -> str:
        if setting == "m":
            value = sgr_report(self.style) + "m"
        elif setting == "r":
            value = f"{self.top + 1};{self.bottom + 1}r"
        elif setting == "s":
            value = f"{self.left + 1};{self.right + 1}s"
        elif setting == " q":
            value = f"{self.cursor_shape or 1} q"
        elif setting == '"q':
            value = ("1" if self.style.attrs & Attr.PROTECTED else "0") + '"q'
        elif setting == '"p':
            value = '62;1"p'
        else:
            return rep.DCS + "0$r" + rep.ST
        return rep.DCS + "1$r" + value + rep.ST
