"""Pasted text as the bytes a program on the PTY reads, with bracketed paste (mode 2004).

What it does: ``encode_paste`` wraps text in ``ESC [ 200 ~`` … ``ESC [ 201 ~`` when the
program set bracketed paste, after removing any such marker from inside the text, so a
pasted "end of paste" cannot make the rest of the paste run as typed commands (paste
injection). Without bracketed paste, line ends become CR, as xterm sends them (a pasted
line runs as if Enter were pressed, which is why the GUI warns: ``paste_is_multiline``).

What it does not do: no clipboard access, no confirmation dialog, no filtering of other
control characters (the GUI may offer that as a setting).
"""

from __future__ import annotations

BRACKETED_PASTE = 2004

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
# The markers as a program may also read them: with the 8-bit CSI (C1 0x9b).
_MARKERS = (PASTE_START, PASTE_END, "\x9b200~", "\x9b201~")


def encode_paste(text: str, private_modes: frozenset[int]) -> bytes:
    """The bytes to write for pasting ``text`` under DEC private ``private_modes``."""
    if BRACKETED_PASTE in private_modes:
        return (PASTE_START + strip_paste_markers(text) + PASTE_END).encode("utf-8", "replace")
    return text.replace("\r\n", "\r").replace("\n", "\r").encode("utf-8", "replace")


def strip_paste_markers(text: str) -> str:
    """``text`` without bracketed-paste markers, including ones that removing others forms.

    "\\x1b[20\\x1b[201~1~" holds a marker that only appears once the inner one is gone,
    so removal repeats until nothing changes.
    """
    while True:
        stripped = text
        for marker in _MARKERS:
            stripped = stripped.replace(marker, "")
        if stripped == text:
            return text
        text = stripped


def paste_is_multiline(text: str) -> bool:
    """Whether pasting ``text`` sends a line end (runs a command without bracketed paste)."""
    return "\n" in text or "\r" in text
