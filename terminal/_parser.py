"""Bytes to calls: an incremental, bounded, never-raising control-sequence parser.

pyte's ``Stream`` reads one character at a time through a generator; here one compiled
regular expression matches a whole token at a time (a run of printable text with its
CR LF pairs, a complete CSI, a control, an ESC sequence, the start of a string), which is
what makes the emulator fast. The vocabulary is pyte's: the base dispatch tables are
``pyte.Stream.basic``/``escape``/``sharp``/``csi`` mapping codes to ``pyte.Screen`` method
names, extended with what pyte lacks.

Robustness rules (issue 3): CSI private markers and intermediates are part of the
dispatch key, so ``CSI > 4;1 m`` never reaches SGR; DCS, APC, PM and SOS strings are
consumed, never drawn; OSC and DCS strings are bounded; parameters are clamped; an
incomplete sequence at the end of a chunk waits for the next one; a handler that raises
is logged and skipped, and the data after it is still processed.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

# Strings longer than this are consumed and dropped (OSC 52 payloads may use all of it).
STRING_LIMIT = (1 << 20) + 64
# DCS requests we answer (DECRQSS, XTGETTCAP) are short.
DCS_LIMIT = 4096
# An unfinished CSI/ESC sequence longer than this is garbage, not a sequence.
PENDING_LIMIT = 4096
MAX_PARAMS = 32
MAX_PARAM = 65535

_TOKEN = re.compile(
    # 1: printable text, with CR LF (+ LFs), SGR and CUP sequences (a "block", see _flood)
    r"((?:[^\x00-\x1f\x7f-\x9f]+|\r\n+|\x1b\[[0-9;:]*m|\x1b\[\d{0,4}(?:;\d{0,4})?H)+)"
    # 2: CUP with plain parameters (3 row, 4 column), the commonest sequence of full-screen
    # programs, tried before the general CSI pattern
    r"|(\x1b\[(\d{1,4})?(?:;(\d{1,4}))?H)"
    r"|\x1b\[([0-?]*)([ -/]*)([@-~])"  # 5, 6, 7: CSI params, intermediates, final
    r"|([\x00-\x1a\x1c-\x1f\x7f-\x9f])"  # 8: one control character (C1 are ignored)
    r"|\x1b([ -/]+)([0-~])"  # 9, 10: ESC intermediates final (SCS, DECALN...)
    r"|\x1b([0-OQ-WYZ\\`-~])"  # 11: ESC final (DECSC, IND, RIS...)
    r"|\x1b([P\]X^_])"  # 12: DCS, OSC, SOS, PM, APC introducer
)
# The bytes of printable ASCII, CR and LF: a chunk with nothing else is one text block.
_PLAIN_BYTES = bytes(range(0x20, 0x7F)) + b"\r\n"
# CSI interrupted by C0 controls (executed in place, as a VT500 parser does).
_LOOSE_CSI = re.compile(r"\x1b\[([\x00-\x1a\x1c-\x3f]*)([@-~])")
_CSI_BODY = re.compile(r"([0-?]*)([ -/]*)\Z")
_INCOMPLETE = re.compile(r"\x1b(?:\[[\x00-\x1a\x1c-\x3f]*|[ -/]*)\Z")
_OSC_END = re.compile(r"[\x07\x18\x1a\x1b\x9c]")
_STR_END = re.compile(r"[\x18\x1a\x1b\x9c]")


class Target(Protocol):
    """What the parser drives (the emulator)."""

    def draw(self, text: str) -> None: ...
    def draw_lines(self, text: str) -> None: ...
    def draw_segments(self, text: str) -> None: ...
    def cup(self, line: str | None, column: str | None) -> None: ...
    def select_graphic_rendition_text(self, params: str) -> None: ...
    def osc_dispatch(self, text: str, terminator: str) -> None: ...
    def dcs_dispatch(self, text: str) -> None: ...


Handler = Callable[[list[int]], None]


def parse_params(text: str) -> list[int]:
    """``"1;;38:5:2"`` -> ``[1, 0, 38]``: empty is 0, sub-parameters dropped, clamped."""
    if not text:
        return []
    out = []
    for part in text.split(";", MAX_PARAMS)[:MAX_PARAMS]:
        if ":" in part:
            part = part.split(":", 1)[0]
        if not part:
            out.append(0)
        elif len(part) > 5:
            out.append(MAX_PARAM)
        else:
            out.append(min(int(part), MAX_PARAM))
    return out


class Parser:
    """Feeds UTF-8 bytes to a ``Target`` through dispatch tables of handlers.

    ``controls`` maps a C0 character, ``escapes`` an ESC final or intermediates+final,
    ``csi`` a key of private marker + intermediates + final (``"?h"``, ``"$p"``, ``"m"``)
    to a handler taking the integer parameters.
    """

    def __init__(
        self,
        target: Target,
        controls: dict[str, Callable[[], None]],
        escapes: dict[str, Callable[[], None]],
        csi: dict[str, Handler],
    ) -> None:
        self.target = target
        self.controls = controls
        self.escapes = escapes
        self.csi = csi
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""
        self._string: str | None = None  # the introducer of the string being read
        self._parts: list[str] = []
        self._size = 0
        self._overflow = False

    def reset(self) -> None:
        self._decoder.reset()
        self._pending = ""
        self._string = None
        self._parts = []

    def feed(self, data: bytes) -> None:
        """Parse ``data``; never raises. Hot path."""
        # Printable ASCII and CR LF pairs only (``cat`` of a log, a compiler): the whole
        # chunk is the one block the token pattern would find, told in C at ~1 ns a byte
        # instead of matched at ~6.
        plain = (
            not self._pending
            and self._string is None
            and not data.translate(None, _PLAIN_BYTES)
            and data.count(b"\r") == data.count(b"\r\n") == data.count(b"\n")
        )
        text = self._decoder.decode(data)
        if plain:
            try:
                if "\n" in text:
                    self.target.draw_lines(text)
                elif text:
                    self.target.draw(text)
            except Exception:  # as in the loop below: a bug must not lose the rest
                log.exception("drawing a block of text failed")
            return
        if self._pending:
            text = self._pending + text
            self._pending = ""
        pos = 0
        if self._string is not None:
            pos = self._read_string(text, 0)
        n = len(text)
        match = _TOKEN.match
        target = self.target
        draw = target.draw
        draw_lines = target.draw_lines
        cup = target.cup
        sgr = target.select_graphic_rendition_text
        controls = self.controls
        while pos < n:
            m = match(text, pos)
            if m is None:
                pos = self._odd(text, pos)
                continue
            pos = m.end()
            kind = m.lastindex
            try:
                if kind == 1:
                    run = m.group(1)
                    if "\x1b" in run or "\n" in run:
                        draw_lines(run)
                    else:
                        draw(run)
                elif kind == 2:
                    cup(m.group(3), m.group(4))
                elif kind == 7:
                    params, inter, final = m.group(5, 6, 7)
                    if final == "m" and not inter and (not params or params[0] not in "<=>?"):
                        sgr(params)
                    else:
                        self._csi(params, inter, final)
                elif kind == 8:
                    handler = controls.get(m.group(8))
                    if handler is not None:
                        handler()
                elif kind == 12:
                    self._string = m.group(12)
                    self._parts = []
                    self._size = 0
                    self._overflow = False
                    pos = self._read_string(text, pos)
                elif kind == 11:
                    esc = self.escapes.get(m.group(11))
                    if esc is not None:
                        esc()
                else:
                    esc = self.escapes.get(m.group(9) + m.group(10))
                    if esc is not None:
                        esc()
            except Exception:  # a bug in one handler must not lose the rest of the output
                log.exception("control sequence handler failed at %r", m.group(0)[:64])

    def _csi(self, params: str, inter: str, final: str) -> None:
        key = inter + final
        if params and params[0] in "<=>?":
            key = params[0] + key
            params = params[1:]
        handler = self.csi.get(key)
        if handler is None:
            return
        if "<" in params or "=" in params or ">" in params or "?" in params:
            return  # a marker after the first byte: malformed, ignored as xterm does
        if key == "m":
            self.target.select_graphic_rendition_text(params)
        else:
            handler(parse_params(params))

    def _odd(self, text: str, pos: int) -> int:
        """Anything the token pattern refuses starts with ESC: wait, repair or skip."""
        if _INCOMPLETE.match(text, pos):
            rest = text[pos:]
            if len(rest) <= PENDING_LIMIT:
                self._pending = rest
            return len(text)
        m = _LOOSE_CSI.match(text, pos)
        if m is not None:
            body = m.group(1)
            kept = []
            for i, ch in enumerate(body):
                if ch < " ":
                    if ch in "\x18\x1a":  # CAN/SUB abort the sequence
                        return m.start(1) + i + 1
                    handler = self.controls.get(ch)
                    if handler is not None:
                        handler()
                else:
                    kept.append(ch)
            parts = _CSI_BODY.match("".join(kept))
            if parts is not None:
                try:
                    self._csi(parts.group(1), parts.group(2), m.group(2))
                except Exception:
                    log.exception("control sequence handler failed")
            return m.end()
        # ESC [ or ESC intermediates cut short by something that cannot continue them:
        # drop the introducer; what follows is parsed afresh.
        if text.startswith("\x1b[", pos):
            end = pos + 2
            while end < len(text) and "0" <= text[end] <= "?":
                end += 1
            return end
        end = pos + 1
        while end < len(text) and " " <= text[end] <= "/":
            end += 1
        return end

    # -- strings ----------------------------------------------------------------------
    def _read_string(self, text: str, pos: int) -> int:
        """Consume string content from ``pos``; return where parsing resumes."""
        kind = self._string
        m = (_OSC_END if kind == "]" else _STR_END).search(text, pos)
        if m is None:
            self._store(text[pos:])
            return len(text)
        end = m.start()
        self._store(text[pos:end])
        ch = text[end]
        if ch == "\x1b":
            if end + 1 >= len(text):
                self._pending = "\x1b"  # maybe the first half of ST
                return len(text)
            if text[end + 1] == "\\":
                self._finish("\x1b\\")
                return end + 2
            self._finish("\x1b\\")  # ESC ends the string; the ESC starts what follows
            return end
        if ch in "\x18\x1a":
            self._string = None
            self._parts = []
            return end + 1
        self._finish("\x07" if ch == "\x07" else "\x1b\\")
        return end + 1

    def _store(self, chunk: str) -> None:
        if not chunk or self._string in ("_", "^", "X") or self._overflow:
            return
        limit = STRING_LIMIT if self._string == "]" else DCS_LIMIT
        self._size += len(chunk)
        if self._size > limit:
            self._overflow = True
            self._parts = []
            return
        self._parts.append(chunk)

    def _finish(self, terminator: str) -> None:
        kind, text = self._string, "".join(self._parts)
        overflow = self._overflow
        self._string = None
        self._parts = []
        if overflow:
            return
        try:
            if kind == "]":
                self.target.osc_dispatch(text, terminator)
            elif kind == "P":
                self.target.dcs_dispatch(text)
        except Exception:
            log.exception("string handler failed")
