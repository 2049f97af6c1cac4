"""The Qt key table: every row reaches terminal.keys and comes out as xterm's bytes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.gui.keymap import QT_KEYPAD, QT_KEYS, modifiers, translate
from terminal.keys import Key, KeyModes, Mod, encode

K = Qt.Key
M = Qt.KeyboardModifier


@pytest.mark.parametrize("qt_key", list(QT_KEYS))
def test_every_mapped_key_encodes(qt_key: Qt.Key) -> None:
    result = translate(qt_key, M.NoModifier, "")
    assert result is not None
    assert encode(*result)


@pytest.mark.parametrize(
    ("key", "mods", "text", "expected"),
    [
        (K.Key_A, M.NoModifier, "a", b"a"),
        (K.Key_A, M.ShiftModifier, "A", b"A"),
        (K.Key_C, M.ControlModifier, "\x03", b"\x03"),
        (K.Key_C, M.ControlModifier | M.ShiftModifier, "\x03", b"\x03"),
        (K.Key_BracketLeft, M.ControlModifier, "\x1b", b"\x1b"),
        (K.Key_Space, M.ControlModifier, "\x00", b"\x00"),
        (K.Key_B, M.AltModifier, "b", b"\x1bb"),
        (K.Key_Return, M.NoModifier, "\r", b"\r"),
        (K.Key_Backspace, M.NoModifier, "\x08", b"\x7f"),
        (K.Key_Backtab, M.ShiftModifier, "", b"\x1b[Z"),
        (K.Key_Up, M.NoModifier, "", b"\x1b[A"),
        (K.Key_Up, M.ControlModifier, "", b"\x1b[1;5A"),
        (K.Key_F5, M.NoModifier, "", b"\x1b[15~"),
        (K.Key_Delete, M.NoModifier, "", b"\x1b[3~"),
        (K.Key_5, M.KeypadModifier, "5", b"5"),
        (0x00E9, M.NoModifier, "é", "é".encode()),  # a non-ASCII character key
    ],
)
def test_keys_to_bytes(key: int, mods: M, text: str, expected: bytes) -> None:
    result = translate(key, mods, text)
    assert result is not None
    assert encode(*result) == expected


def test_cursor_keys_follow_decckm() -> None:
    result = translate(K.Key_Up, M.NoModifier, "")
    assert result is not None
    assert encode(*result, KeyModes(cursor_application=True)) == b"\x1bOA"


def test_application_keypad() -> None:
    for qt_key, key in QT_KEYPAD.items():
        assert translate(qt_key, M.KeypadModifier, "") == (key, Mod.NONE)
    result = translate(K.Key_5, M.KeypadModifier, "5")
    assert result == (Key.KP_5, Mod.NONE)
    assert encode(*result, KeyModes(keypad_application=True)) == b"\x1bOu"


def test_bare_modifiers_and_unknown_keys_send_nothing() -> None:
    for key in (K.Key_Shift, K.Key_Control, K.Key_Alt, K.Key_Meta, K.Key_CapsLock):
        assert translate(key, M.NoModifier, "") is None
    assert translate(K.Key_VolumeUp, M.NoModifier, "") is None


def test_modifiers() -> None:
    assert modifiers(M.ShiftModifier | M.ControlModifier) == Mod.SHIFT | Mod.CTRL
    assert modifiers(M.AltModifier | M.MetaModifier) == Mod.ALT | Mod.META
    assert modifiers(M.KeypadModifier) == Mod.NONE
