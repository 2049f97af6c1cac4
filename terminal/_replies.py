"""Answerbacks as data: device attributes, mode reports, the colour palette.

Everything a program can ask the terminal and the exact bytes xterm answers with live
here, so the emulator only decides *when* to answer.
"""

from __future__ import annotations

import re

from terminal.frames import rgb_components

CSI = "\x1b["
DCS = "\x1bP"
ST = "\x1b\\"
VERSION = "Emberterm(0.1.0)"

# DA1: a VT220-class terminal with ANSI colour (22) and rectangular editing (28).
PRIMARY_DA = CSI + "?62;22;28c"
# DA2: terminal type 1 (VT220), firmware version 10, no ROM cartridge.
SECONDARY_DA = CSI + ">1;10;0c"
# DA3: the unit id, a DCS string.
TERTIARY_DA = DCS + "!|00000000" + ST
XTVERSION = DCS + ">|" + VERSION + ST

# DECRQM answers: 0 not recognized, 1 set, 2 reset, 3 permanently set, 4 permanently reset.
KNOWN_PRIVATE = frozenset(
    {1, 3, 5, 6, 7, 9, 12, 25, 47, 66, 69, 1000, 1002, 1003, 1004, 1005, 1006, 1015}
    | {1007, 1047, 1048, 1049, 2004, 2026}
)
KNOWN_ANSI = frozenset({2, 4, 12, 20})


def mode_report(mode: int, is_set: bool, private: bool) -> str:
    known = KNOWN_PRIVATE if private else KNOWN_ANSI
    state = 0 if mode not in known else (1 if is_set else 2)
    if private and mode == 1048:
        state = 2  # save/restore cursor has no state of its own
    return CSI + ("?" if private else "") + f"{mode};{state}$y"


def _default_palette() -> list[int]:
    """xterm's 256 colours as 0xRRGGBB."""
    base = [
        0x000000, 0xCD0000, 0x00CD00, 0xCDCD00, 0x0000EE, 0xCD00CD, 0x00CDCD, 0xE5E5E5,
        0x7F7F7F, 0xFF0000, 0x00FF00, 0xFFFF00, 0x5C5CFF, 0xFF00FF, 0x00FFFF, 0xFFFFFF,
    ]  # fmt: skip
    steps = [0, 95, 135, 175, 215, 255]
    cube = [(steps[r] << 16) | (steps[g] << 8) | steps[b]
            for r in range(6) for g in range(6) for b in range(6)]  # fmt: skip
    grey = [((8 + 10 * i) * 0x010101) for i in range(24)]
    return base + cube + grey


DEFAULT_PALETTE: tuple[int, ...] = tuple(_default_palette())
DEFAULT_FOREGROUND = 0xE5E5E5
DEFAULT_BACKGROUND = 0x000000
DEFAULT_CURSOR = 0xE5E5E5

_RGB_SPEC = re.compile(r"rgb:([0-9a-fA-F]{1,4})/([0-9a-fA-F]{1,4})/([0-9a-fA-F]{1,4})\Z")
_HASH_SPEC = re.compile(r"#((?:[0-9a-fA-F]{3}){1,4})\Z")


def parse_color(spec: str) -> int | None:
    """An X11 colour spec (``rgb:r/g/b`` or ``#rgb``...) as 0xRRGGBB, None if unknown."""
    m = _RGB_SPEC.match(spec)
    if m:
        comps: list[int] = [int(c, 16) * 255 // (16 ** len(c) - 1) for c in m.groups()]
        return (comps[0] << 16) | (comps[1] << 8) | comps[2]
    m = _HASH_SPEC.match(spec)
    if m:
        digits = m.group(1)
        n = len(digits) // 3
        comps = [int(digits[i * n : i * n + n], 16) * 255 // (16**n - 1) for i in range(3)]
        return (comps[0] << 16) | (comps[1] << 8) | comps[2]
    return None


def color_spec(color: int) -> str:
    """``0xRRGGBB`` in xterm's reply form ``rgb:rrrr/gggg/bbbb``."""
    r, g, b = rgb_components(color)
    return f"rgb:{r:02x}{r:02x}/{g:02x}{g:02x}/{b:02x}{b:02x}"
