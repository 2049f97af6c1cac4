"""Keys as the bytes a program on the PTY reads: xterm's encoding, kept as data.

What it does: names keys with its own ``Key`` enum (the GUI maps Qt's keys onto it in one
table of its own), and turns a key or a typed character plus modifiers into the bytes
xterm sends for it (``encode``), given the input modes the program has set
(``KeyModes``). ``decode``/``parse_keys`` run the other way, using reverse maps derived
from the same tables, for tests, golden recordings and debugging.

The encoding is xterm's default PC-style keyboard (``TERM=xterm-256color``, as in
ctlseqs "PC-Style Function Keys"):

* text as UTF-8; Ctrl on a character as Xlib's ``XLookupString`` does (``@``..``~`` and
  Space to ``c & 0x1f``, ``2``..``8`` and ``/`` per ``CONTROL_DIGITS``), otherwise the
  character unchanged; Alt (and Meta) as an ESC prefix.
* Enter CR (CR LF under LNM); Backspace DEL (BS with the config flag or DECBKM, and Ctrl
  toggles between the two as in xterm); Tab, Shift+Tab ``CSI Z``; Escape ESC.
* cursor keys, Home, End, Begin: ``CSI X``, or ``SS3 X`` under DECCKM; F1-F4 ``SS3 P..S``;
  the rest ``CSI n ~``. With modifiers ``CSI 1;m X`` / ``CSI n;m ~``, where
  ``m = 1 + Mod`` (shift 1, alt 2, ctrl 4, meta 8). F13-F20 are Shift+F1..F8 (the
  ``kf13``..``kf20`` of xterm's terminfo).
* the keypad under DECKPAM: xterm's "VT220-style" application keypad table, ``SS3 c``
  (``SS3 m c`` with modifiers, as xterm and foot do); otherwise the keypad is text.

What it does not do: no Qt, no kitty keyboard protocol, no modifyOtherKeys, no VT52 mode,
no 8-bit C1 controls. Mouse reports live in ``terminal.mouse``, pasting in
``terminal.paste``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, IntFlag
from typing import NamedTuple, TypeVar

# Mode numbers as a ``terminal.frames.Frame`` carries them.
DECCKM = 1  # private: application cursor keys
DECNKM = 66  # private: application keypad (what ESC = / DECKPAM sets)
DECBKM = 67  # private: the backarrow key sends BS
LNM = 20  # ANSI: Enter sends CR LF

ESC = "\x1b"
CSI = ESC + "["
SS3 = ESC + "O"


class Mod(IntFlag):
    """Modifiers, valued so that xterm's modifier parameter is ``1 + mods``."""

    NONE = 0
    SHIFT = 1
    ALT = 2
    CTRL = 4
    META = 8


class Key(Enum):
    """Keys that are not plain text. Text is passed to ``encode`` as a ``str``."""

    ENTER = "enter"
    TAB = "tab"
    BACKSPACE = "backspace"
    ESCAPE = "escape"
    UP = "up"
    DOWN = "down"
    RIGHT = "right"
    LEFT = "left"
    BEGIN = "begin"  # keypad 5 with Num Lock off
    HOME = "home"
    END = "end"
    INSERT = "insert"
    DELETE = "delete"
    PAGE_UP = "page_up"
    PAGE_DOWN = "page_down"
    F1 = "f1"
    F2 = "f2"
    F3 = "f3"
    F4 = "f4"
    F5 = "f5"
    F6 = "f6"
    F7 = "f7"
    F8 = "f8"
    F9 = "f9"
    F10 = "f10"
    F11 = "f11"
    F12 = "f12"
    F13 = "f13"
    F14 = "f14"
    F15 = "f15"
    F16 = "f16"
    F17 = "f17"
    F18 = "f18"
    F19 = "f19"
    F20 = "f20"
    KP_0 = "kp_0"
    KP_1 = "kp_1"
    KP_2 = "kp_2"
    KP_3 = "kp_3"
    KP_4 = "kp_4"
    KP_5 = "kp_5"
    KP_6 = "kp_6"
    KP_7 = "kp_7"
    KP_8 = "kp_8"
    KP_9 = "kp_9"
    KP_MULTIPLY = "kp_multiply"
    KP_ADD = "kp_add"
    KP_SEPARATOR = "kp_separator"  # the keypad comma
    KP_SUBTRACT = "kp_subtract"
    KP_DECIMAL = "kp_decimal"
    KP_DIVIDE = "kp_divide"
    KP_EQUAL = "kp_equal"
    KP_ENTER = "kp_enter"
    KP_SPACE = "kp_space"
    KP_TAB = "kp_tab"


class Prefix(Enum):
    """When an unmodified key is sent with SS3 rather than CSI."""

    CSI = "csi"
    SS3 = "ss3"
    SS3_IN_DECCKM = "ss3 in DECCKM"


class FunctionKey(NamedTuple):
    number: int  # the parameter before ``;m`` (1 for keys that end in a letter)
    final: str
    prefix: Prefix = Prefix.CSI


# ctlseqs, "PC-Style Function Keys". Keys ending in a letter send no number unmodified.
FUNCTION_KEYS: Mapping[Key, FunctionKey] = {
    Key.UP: FunctionKey(1, "A", Prefix.SS3_IN_DECCKM),
    Key.DOWN: FunctionKey(1, "B", Prefix.SS3_IN_DECCKM),
    Key.RIGHT: FunctionKey(1, "C", Prefix.SS3_IN_DECCKM),
    Key.LEFT: FunctionKey(1, "D", Prefix.SS3_IN_DECCKM),
    Key.BEGIN: FunctionKey(1, "E", Prefix.SS3_IN_DECCKM),
    Key.END: FunctionKey(1, "F", Prefix.SS3_IN_DECCKM),
    Key.HOME: FunctionKey(1, "H", Prefix.SS3_IN_DECCKM),
    Key.F1: FunctionKey(1, "P", Prefix.SS3),
    Key.F2: FunctionKey(1, "Q", Prefix.SS3),
    Key.F3: FunctionKey(1, "R", Prefix.SS3),
    Key.F4: FunctionKey(1, "S", Prefix.SS3),
    Key.INSERT: FunctionKey(2, "~"),
    Key.DELETE: FunctionKey(3, "~"),
    Key.PAGE_UP: FunctionKey(5, "~"),
    Key.PAGE_DOWN: FunctionKey(6, "~"),
    Key.F5: FunctionKey(15, "~"),
    Key.F6: FunctionKey(17, "~"),
    Key.F7: FunctionKey(18, "~"),
    Key.F8: FunctionKey(19, "~"),
    Key.F9: FunctionKey(20, "~"),
    Key.F10: FunctionKey(21, "~"),
    Key.F11: FunctionKey(23, "~"),
    Key.F12: FunctionKey(24, "~"),
}

# A PC keyboard has no F13-F20: xterm's terminfo names Shift+F1..F8 as kf13..kf20.
SHIFTED_ALIASES: Mapping[Key, Key] = {
    Key.F13: Key.F1,
    Key.F14: Key.F2,
    Key.F15: Key.F3,
    Key.F16: Key.F4,
    Key.F17: Key.F5,
    Key.F18: Key.F6,
    Key.F19: Key.F7,
    Key.F20: Key.F8,
}

# ctlseqs, "VT220-Style Function Keys": the application keypad sends SS3 + this final.
KEYPAD_APPLICATION: Mapping[Key, str] = {
    Key.KP_SPACE: " ",
    Key.KP_TAB: "I",
    Key.KP_ENTER: "M",
    Key.KP_MULTIPLY: "j",
    Key.KP_ADD: "k",
    Key.KP_SEPARATOR: "l",
    Key.KP_SUBTRACT: "m",
    Key.KP_DECIMAL: "n",
    Key.KP_DIVIDE: "o",
    Key.KP_0: "p",
    Key.KP_1: "q",
    Key.KP_2: "r",
    Key.KP_3: "s",
    Key.KP_4: "t",
    Key.KP_5: "u",
    Key.KP_6: "v",
    Key.KP_7: "w",
    Key.KP_8: "x",
    Key.KP_9: "y",
    Key.KP_EQUAL: "X",
}

# The numeric keypad: what each keypad key is when it is not an application key.
KEYPAD_NUMERIC: Mapping[Key, Key | str] = {
    Key.KP_SPACE: " ",
    Key.KP_TAB: Key.TAB,
    Key.KP_ENTER: Key.ENTER,
    Key.KP_MULTIPLY: "*",
    Key.KP_ADD: "+",
    Key.KP_SEPARATOR: ",",
    Key.KP_SUBTRACT: "-",
    Key.KP_DECIMAL: ".",
    Key.KP_DIVIDE: "/",
    **{Key(f"kp_{d}"): str(d) for d in range(10)},
    Key.KP_EQUAL: "=",
}

# Ctrl on characters outside "@".."~" and Space, as Xlib's XLookupString maps them.
CONTROL_DIGITS: Mapping[str, str] = {
    "2": "\x00",
    "3": "\x1b",
    "4": "\x1c",
    "5": "\x1d",
    "6": "\x1e",
    "7": "\x1f",
    "8": "\x7f",
    "/": "\x1f",
}

BACKTAB = CSI + "Z"  # Shift+Tab
DEL = "\x7f"
BS = "\x08"


@dataclass(frozen=True, slots=True)
class KeyModes:
    """The input modes that change what keys send."""

    cursor_application: bool = False  # DECCKM
    keypad_application: bool = False  # DECKPAM
    newline: bool = False  # LNM: Enter sends CR LF
    backspace_sends_bs: bool = False  # config flag or DECBKM: Backspace sends ^H, not DEL

    @classmethod
    def from_modes(
        cls,
        private_modes: frozenset[int],
        ansi_modes: frozenset[int],
        *,
        backspace_sends_bs: bool = False,
    ) -> KeyModes:
        """Build from a frame's mode sets plus the user's Backspace preference."""
        return cls(
            cursor_application=DECCKM in private_modes,
            keypad_application=DECNKM in private_modes,
            newline=LNM in ansi_modes,
            backspace_sends_bs=backspace_sends_bs or DECBKM in private_modes,
        )


DEFAULT_MODES = KeyModes()


class KeyPress(NamedTuple):
    """A decoded key: a ``Key`` or a one-character ``str``, and its modifiers."""

    key: Key | str
    mods: Mod = Mod.NONE


def encode(key: Key | str, mods: Mod = Mod.NONE, modes: KeyModes = DEFAULT_MODES) -> bytes:
    """The bytes xterm sends for ``key`` with ``mods`` held, under ``modes``.

    A ``str`` key is the text the key produced (already shifted: "A", not Shift+"a"), so
    Shift is ignored for it. Modifiers apply only to single characters; longer text (an
    input-method commit) is sent as it is.
    """
    return _encode(key, Mod(mods), modes).encode("utf-8", "replace")


def _encode(key: Key | str, mods: Mod, modes: KeyModes) -> str:
    if isinstance(key, str):
        return _encode_text(key, mods)
    if key in SHIFTED_ALIASES:
        return _encode(SHIFTED_ALIASES[key], mods | Mod.SHIFT, modes)
    if key in FUNCTION_KEYS:
        return _encode_function(FUNCTION_KEYS[key], mods, modes)
    if key in KEYPAD_APPLICATION:
        if modes.keypad_application:
            param = str(1 + mods) if mods else ""
            return SS3 + param + KEYPAD_APPLICATION[key]
        return _encode(KEYPAD_NUMERIC[key], mods, modes)
    return _alt_prefix(mods) + _encode_special(key, mods, modes)


def _encode_function(seq: FunctionKey, mods: Mod, modes: KeyModes) -> str:
    if mods:
        return f"{CSI}{seq.number};{1 + mods}{seq.final}"
    if seq.final == "~":
        return f"{CSI}{seq.number}~"
    ss3 = seq.prefix is Prefix.SS3 or (
        seq.prefix is Prefix.SS3_IN_DECCKM and modes.cursor_application
    )
    return (SS3 if ss3 else CSI) + seq.final


def _encode_special(key: Key, mods: Mod, modes: KeyModes) -> str:
    if key is Key.ENTER:
        return "\r\n" if modes.newline else "\r"
    if key is Key.TAB:
        return BACKTAB if mods & Mod.SHIFT else "\t"
    if key is Key.BACKSPACE:
        # xterm: Ctrl toggles the key between its two codes (IsBackarrowToggle).
        return BS if modes.backspace_sends_bs != bool(mods & Mod.CTRL) else DEL
    if key is Key.ESCAPE:
        return ESC
    raise ValueError(f"no encoding for {key!r}")  # pragma: no cover - every Key is covered


def _encode_text(text: str, mods: Mod) -> str:
    if len(text) != 1:
        return text
    if mods & Mod.CTRL:
        text = control_character(text)
    return _alt_prefix(mods) + text


def _alt_prefix(mods: Mod) -> str:
    return ESC if mods & (Mod.ALT | Mod.META) else ""


def control_character(char: str) -> str:
    """What Ctrl makes of ``char`` (Xlib's rule); ``char`` itself when nothing."""
    code = ord(char)
    if 0x40 <= code < 0x7F or char == " ":
        return chr(code & 0x1F)
    return CONTROL_DIGITS.get(char, char)


# -- the reverse: derived from the tables above -------------------------------------------

_K = TypeVar("_K")
_V = TypeVar("_V")


def _invert(table: Mapping[_K, _V]) -> dict[_V, _K]:
    """The reverse of ``table``; refuses a table in which two keys share a value."""
    reverse = {value: key for key, value in table.items()}
    if len(reverse) != len(table):
        raise ValueError("table is not one-to-one")
    return reverse


_BY_FINAL = _invert({k: s.final for k, s in FUNCTION_KEYS.items() if s.final != "~"})
_BY_NUMBER = _invert({k: s.number for k, s in FUNCTION_KEYS.items() if s.final == "~"})
_KEYPAD_BY_FINAL = _invert(KEYPAD_APPLICATION)
if set(_BY_FINAL) & set(_KEYPAD_BY_FINAL):  # SS3 finals must name one key only
    raise ValueError("cursor and keypad finals overlap")

_TOKEN = re.compile(
    r"(?P<csi_alt>\x1b?)\x1b\[(?:(?P<num>\d+)(?:;(?P<csi_mod>\d+))?)?(?P<csi_final>[A-Z~])"
    r"|\x1bO(?P<ss3_mod>\d*)(?P<ss3_final>.)"
    r"|(?P<alt>\x1b?)(?P<char>\r\n|.)",
    re.DOTALL,
)


def parse_keys(data: bytes, modes: KeyModes = DEFAULT_MODES) -> list[KeyPress]:
    """Split bytes a terminal sent into key presses (the inverse of ``encode``).

    Greedy: ESC followed by ``[`` or ``O`` starts a sequence when one can follow, so
    Alt+"[" and Alt+"O" are recognised only where no sequence could be meant. Raises
    ``ValueError`` for a sequence that no key sends and for bytes that are not UTF-8.
    """
    text = data.decode("utf-8")
    presses: list[KeyPress] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        assert match is not None  # the last alternative matches any character
        if match["char"] == "\r\n" and not modes.newline:
            match = _TOKEN.match(text, pos, match.end() - 1)
            assert match is not None
        presses.append(_decode_token(match, modes))
        pos = match.end()
    return presses


def decode(data: bytes, modes: KeyModes = DEFAULT_MODES) -> KeyPress:
    """The one key press ``data`` encodes; ``ValueError`` if it is not exactly one."""
    presses = parse_keys(data, modes)
    if len(presses) != 1:
        raise ValueError(f"{data!r} is not one key")
    return presses[0]


def _decode_token(match: re.Match[str], modes: KeyModes) -> KeyPress:
    if match["csi_final"]:
        key, mods = _decode_csi(match["num"], _mods(match["csi_mod"]), match["csi_final"])
        # ESC before CSI: Alt+Shift+Tab, or an rxvt-style Alt+key.
        return KeyPress(key, mods | Mod.ALT if match["csi_alt"] else mods)
    if match["ss3_final"]:
        final, mods = match["ss3_final"], _mods(match["ss3_mod"])
        if final in _KEYPAD_BY_FINAL:
            return KeyPress(_KEYPAD_BY_FINAL[final], mods)
        if final in _BY_FINAL and not mods:
            return KeyPress(_BY_FINAL[final])
        raise ValueError(f"unknown key sequence {match[0]!r}")
    alt = Mod.ALT if match["alt"] else Mod.NONE
    key, mods = _decode_char(match["char"], modes)
    return KeyPress(key, mods | alt)


def _decode_csi(number: str | None, mods: Mod, final: str) -> KeyPress:
    if final == "Z" and number is None:
        return KeyPress(Key.TAB, Mod.SHIFT)
    if final == "~" and number is not None and int(number) in _BY_NUMBER:
        return KeyPress(_BY_NUMBER[int(number)], mods)
    if final in _BY_FINAL and number in (None, "1") and (number is None) == (not mods):
        return KeyPress(_BY_FINAL[final], mods)
    raise ValueError(f"unknown key sequence CSI {number or ''}{final}")


def _mods(param: str | None) -> Mod:
    if not param:
        return Mod.NONE
    value = int(param) - 1
    if not 0 < value < 16:
        raise ValueError(f"bad modifier parameter {param!r}")
    return Mod(value)


def _decode_char(char: str, modes: KeyModes) -> KeyPress:
    if char in _PLAIN[modes.newline, modes.backspace_sends_bs]:
        return _PLAIN[modes.newline, modes.backspace_sends_bs][char]
    if ord(char) < 0x20:
        # Caret notation names the canonical key: ^@ is Ctrl+"@", ^A is Ctrl+"a".
        return KeyPress(chr(ord(char) | 0x40).lower(), Mod.CTRL)
    return KeyPress(char)


def _plain_keys(newline: bool, backspace_sends_bs: bool) -> dict[str, KeyPress]:
    """The reverse of the keys that send one plain code, derived by encoding them."""
    modes = KeyModes(newline=newline, backspace_sends_bs=backspace_sends_bs)
    presses = [KeyPress(Key.ENTER), KeyPress(Key.TAB), KeyPress(Key.ESCAPE)]
    presses += [KeyPress(Key.BACKSPACE), KeyPress(Key.BACKSPACE, Mod.CTRL)]
    return _invert({press: _encode(press.key, press.mods, modes) for press in presses})


_PLAIN = {(nl, bs): _plain_keys(nl, bs) for nl in (False, True) for bs in (False, True)}
