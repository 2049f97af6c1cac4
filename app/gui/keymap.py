"""The one table from Qt keys and modifiers to ``terminal.keys`` names.

``translate(key, modifiers, text)`` turns what a ``QKeyEvent`` carries into the
``(key, mods)`` pair ``terminal.keys.encode`` takes: a ``Key`` for keys that are not text,
or the character the key produced. It returns ``None`` for keys that send nothing (a bare
modifier, Caps Lock, media keys), so the view can ignore them.

What it does not do: no bytes (that is ``terminal.keys``) and no shortcuts (copy, paste,
zoom, find and scrolling are the view's, checked before this table).
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt

from terminal.keys import Key, Mod

K = Qt.Key

QT_KEYS: Mapping[Qt.Key, Key] = {
    K.Key_Return: Key.ENTER,
    K.Key_Enter: Key.ENTER,  # on the keypad; becomes KP_ENTER below when Qt says so
    K.Key_Tab: Key.TAB,
    K.Key_Backtab: Key.TAB,  # Qt's name for Shift+Tab; Shift stays in the modifiers
    K.Key_Backspace: Key.BACKSPACE,
    K.Key_Escape: Key.ESCAPE,
    K.Key_Up: Key.UP,
    K.Key_Down: Key.DOWN,
    K.Key_Right: Key.RIGHT,
    K.Key_Left: Key.LEFT,
    K.Key_Clear: Key.BEGIN,  # keypad 5 without Num Lock
    K.Key_Home: Key.HOME,
    K.Key_End: Key.END,
    K.Key_Insert: Key.INSERT,
    K.Key_Delete: Key.DELETE,
    K.Key_PageUp: Key.PAGE_UP,
    K.Key_PageDown: Key.PAGE_DOWN,
    **{getattr(K, f"Key_F{n}"): Key(f"f{n}") for n in range(1, 21)},
}

# Keys on the keypad (KeypadModifier set) that have an application-keypad meaning.
QT_KEYPAD: Mapping[Qt.Key, Key] = {
    **{getattr(K, f"Key_{d}"): Key(f"kp_{d}") for d in range(10)},
    K.Key_Asterisk: Key.KP_MULTIPLY,
    K.Key_Plus: Key.KP_ADD,
    K.Key_Comma: Key.KP_SEPARATOR,
    K.Key_Minus: Key.KP_SUBTRACT,
    K.Key_Period: Key.KP_DECIMAL,
    K.Key_Slash: Key.KP_DIVIDE,
    K.Key_Equal: Key.KP_EQUAL,
    K.Key_Enter: Key.KP_ENTER,
}

QT_MODIFIERS: Mapping[Qt.KeyboardModifier, Mod] = {
    Qt.KeyboardModifier.ShiftModifier: Mod.SHIFT,
    Qt.KeyboardModifier.AltModifier: Mod.ALT,
    Qt.KeyboardModifier.ControlModifier: Mod.CTRL,
    Qt.KeyboardModifier.MetaModifier: Mod.META,
}

# Keys that only modify others: pressed alone they send nothing.
MODIFIER_KEYS = frozenset(
    {
        K.Key_Shift,
        K.Key_Control,
        K.Key_Alt,
        K.Key_AltGr,
        K.Key_Meta,
        K.Key_Super_L,
        K.Key_Super_R,
        K.Key_Hyper_L,
        K.Key_Hyper_R,
        K.Key_CapsLock,
        K.Key_NumLock,
        K.Key_ScrollLock,
    }
)


def modifiers(qt_mods: Qt.KeyboardModifier) -> Mod:
    mods = Mod.NONE
    for qt_mod, mod in QT_MODIFIERS.items():
        if qt_mods & qt_mod:
            mods |= mod
    return mods


def translate(
    key: int, qt_mods: Qt.KeyboardModifier, text: str
) -> tuple[Key | str, Mod] | None:
    """``(key, mods)`` for ``terminal.keys.encode``, or ``None`` when the key sends nothing."""
    mods = modifiers(qt_mods)
    try:
        qt_key = Qt.Key(key)
    except ValueError:
        qt_key = None
    if qt_key is not None:
        if qt_key in MODIFIER_KEYS:
            return None
        if qt_mods & Qt.KeyboardModifier.KeypadModifier and qt_key in QT_KEYPAD:
            return QT_KEYPAD[qt_key], mods
        if qt_key in QT_KEYS:
            return QT_KEYS[qt_key], mods
    char = _character(key, mods, text)
    if char is None:
        return None
    # The text is already shifted ("A", not Shift+"a"); terminal.keys ignores Shift on it.
    return char, mods


def _character(key: int, mods: Mod, text: str) -> str | None:
    # With Ctrl (or Alt) held Qt's text is a control character or layout-dependent, so
    # the character is taken from the key code when it is printable ASCII: Ctrl+C is
    # ("c", CTRL), Alt+Shift+A is ("A", ALT).
    if mods & (Mod.CTRL | Mod.ALT | Mod.META) and 0x20 <= key < 0x7F:
        char = chr(key)
        if char.isalpha():
            return char.upper() if mods & Mod.SHIFT and not mods & Mod.CTRL else char.lower()
        if text and text.isprintable():
            return text
        return char
    if text and (text.isprintable() or text == " "):
        return text
    if text and len(text) == 1 and ord(text) < 0x20:
        # A control character with no printable key code (a layout quirk): send as is.
        return text
    return None
