"""Mouse and focus reports: the bytes xterm sends a program that asked for them.

What it does: ``encode_mouse`` turns one mouse event (0-based cells) into the report the
program's DEC private modes ask for, or ``b""`` when those modes do not report that
event, so the GUI can use it locally (selection, scrollback). ``encode_focus`` does the
same for focus changes (mode 1004).

Tracking modes (ctlseqs "Mouse Tracking"), at most one in force; when a frame carries
several, the one that reports most wins (1003 > 1002 > 1000 > 9), since xterm keeps only
the last one set and a frame cannot say which that was:

* 9 (X10): button presses of buttons 1-3 without modifiers; nothing else.
* 1000 (normal): presses and releases, wheel (no release), modifiers.
* 1002 (button-event): also motion while a button is held.
* 1003 (any-event): also motion with no button held.

Encodings, likewise one (1006 > 1015 > 1005 > default):

* default ``CSI M Cb Cx Cy``, each a byte of value + 32, coordinates 1-based.
* 1005 (UTF-8): the same values, each as a UTF-8 character (coordinates up to 2015).
* 1006 (SGR): ``CSI < b ; x ; y M`` (press, motion) or ``m`` (release); ``b`` has no
  +32, and a release keeps its button number.
* 1015 (urxvt): ``CSI Cb ; x ; y M`` in decimal; ``Cb`` keeps xterm's +32 (xterm's
  ``EmitButtonCode`` subtracts 32 for SGR only).

``Cb`` = button code (``MouseButton``'s value; 3 for a release outside SGR and for motion
with no button) + 4 shift + 8 alt/meta + 16 ctrl + 32 for motion.

Coordinates the encoding cannot carry (past 223 in default, past 2015 in UTF-8) are
clamped to the last one it can, as xterm clamps them. xterm then sends a NUL byte for the
first cell past the limit ("a past-end marker", its source calls it "arguably a bug");
we send the last encodable cell instead: a NUL in the input stream is read as Ctrl+@ by
programs that do not expect it, and clamping, unlike dropping the event, never loses a
release, which would leave the program thinking a button is still held.

What it does not do: no state. xterm reports motion only when the pointer enters a new
cell and knows which button is held; the GUI does both and passes them in. Shift as a
"bypass the program, select locally" modifier is the GUI's choice, made before calling.
No highlight tracking (1001), DEC locator, pixel coordinates (1016) or alternate scroll
(1007).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum

from terminal.keys import Mod

X10_MOUSE = 9
NORMAL_MOUSE = 1000
BUTTON_EVENT_MOUSE = 1002
ANY_EVENT_MOUSE = 1003
FOCUS_EVENTS = 1004
UTF8_MOUSE = 1005
SGR_MOUSE = 1006
URXVT_MOUSE = 1015

# Most reporting first: the first one set is the one in force.
TRACKING_MODES = (ANY_EVENT_MOUSE, BUTTON_EVENT_MOUSE, NORMAL_MOUSE, X10_MOUSE)
ENCODING_MODES = (SGR_MOUSE, URXVT_MOUSE, UTF8_MOUSE)

FOCUS_IN = b"\x1b[I"
FOCUS_OUT = b"\x1b[O"


class MouseButton(IntEnum):
    """Buttons, valued as xterm's button code in ``Cb`` (before modifiers and motion)."""

    LEFT = 0
    MIDDLE = 1
    RIGHT = 2
    NONE = 3  # motion with no button held
    WHEEL_UP = 64  # X button 4
    WHEEL_DOWN = 65  # X button 5
    WHEEL_LEFT = 66  # X button 6
    WHEEL_RIGHT = 67  # X button 7
    BUTTON_8 = 128  # usually "back"
    BUTTON_9 = 129  # usually "forward"
    BUTTON_10 = 130
    BUTTON_11 = 131


WHEEL_BUTTONS = frozenset(
    {MouseButton.WHEEL_UP, MouseButton.WHEEL_DOWN, MouseButton.WHEEL_LEFT, MouseButton.WHEEL_RIGHT}
)
X10_BUTTONS = frozenset({MouseButton.LEFT, MouseButton.MIDDLE, MouseButton.RIGHT})
RELEASE_CODE = 3  # what a release sends as its button outside SGR

# Cb bits for modifiers. Alt and Meta share xterm's "meta" bit.
MODIFIER_BITS = {Mod.SHIFT: 4, Mod.ALT: 8, Mod.META: 8, Mod.CTRL: 16}
MOTION_BIT = 32

# The largest 1-based coordinate each byte-oriented encoding carries.
DEFAULT_LIMIT = 255 - 32
UTF8_LIMIT = 2047 - 32


class MouseAction(Enum):
    PRESS = "press"  # a wheel step is a press of a wheel button
    RELEASE = "release"
    MOTION = "motion"


@dataclass(frozen=True, slots=True)
class MouseEvent:
    action: MouseAction
    button: MouseButton  # for MOTION, the button held (NONE when none is)
    x: int  # 0-based column
    y: int  # 0-based row
    mods: Mod = Mod.NONE


def tracking_mode(modes: frozenset[int]) -> int | None:
    """The mouse tracking mode in force, or ``None`` when the mouse is the GUI's."""
    return next((mode for mode in TRACKING_MODES if mode in modes), None)


def reports_motion(modes: frozenset[int]) -> bool:
    """Whether motion without a button held can be reported (the GUI must track it)."""
    return tracking_mode(modes) == ANY_EVENT_MOUSE


def encode_mouse(event: MouseEvent, modes: frozenset[int]) -> bytes:
    """The report for ``event`` under DEC private ``modes``; ``b""`` when none is due."""
    tracking = tracking_mode(modes)
    if tracking is None or not _reported(event, tracking):
        return b""
    encoding = next((mode for mode in ENCODING_MODES if mode in modes), None)
    release = event.action is MouseAction.RELEASE
    code = int(event.button)
    if tracking == X10_MOUSE:
        cb = code
    else:
        if release and encoding != SGR_MOUSE:
            code = RELEASE_CODE
        cb = code + _modifier_bits(event.mods)
        if event.action is MouseAction.MOTION:
            cb += MOTION_BIT
    x, y = max(event.x, 0) + 1, max(event.y, 0) + 1
    if encoding == SGR_MOUSE:
        return f"\x1b[<{cb};{x};{y}{'m' if release else 'M'}".encode("ascii")
    if encoding == URXVT_MOUSE:
        return f"\x1b[{cb + 32};{x};{y}M".encode("ascii")
    if encoding == UTF8_MOUSE:
        x, y = min(x, UTF8_LIMIT), min(y, UTF8_LIMIT)
        return ("\x1b[M" + chr(cb + 32) + chr(x + 32) + chr(y + 32)).encode("utf-8")
    x, y = min(x, DEFAULT_LIMIT), min(y, DEFAULT_LIMIT)
    return b"\x1b[M" + bytes((cb + 32, x + 32, y + 32))


def _reported(event: MouseEvent, tracking: int) -> bool:
    if tracking == X10_MOUSE:
        # xterm leaves modified X10 clicks to its own translations (selection).
        return event.action is MouseAction.PRESS and event.button in X10_BUTTONS and not event.mods
    if event.action is MouseAction.RELEASE:
        return event.button not in WHEEL_BUTTONS and event.button is not MouseButton.NONE
    if event.action is MouseAction.MOTION:
        if event.button in WHEEL_BUTTONS:
            return False
        if tracking == ANY_EVENT_MOUSE:
            return True
        return tracking == BUTTON_EVENT_MOUSE and event.button is not MouseButton.NONE
    return event.button is not MouseButton.NONE


def _modifier_bits(mods: Mod) -> int:
    bits = 0
    for mod, bit in MODIFIER_BITS.items():
        if mods & mod:
            bits |= bit
    return bits


def encode_focus(focused: bool, modes: frozenset[int]) -> bytes:
    """``CSI I`` / ``CSI O`` when the program asked for focus reports (1004), else ``b""``."""
    if FOCUS_EVENTS not in modes:
        return b""
    return FOCUS_IN if focused else FOCUS_OUT
