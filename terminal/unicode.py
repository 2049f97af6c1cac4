"""Cell widths of text, one definition for the emulator, the replica and the painter.

Widths follow ``wcwidth``: East Asian wide and emoji presentation characters take two
cells, combining marks, zero-width joiners and variation selectors take none (they attach
to the character before them). Plain ASCII is the common case and is answered without a
table lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

# wcwidth is imported at the first character that needs it (~20 ms of imports): a GUI
# whose first screen is ASCII paints it without waiting for the tables.
_wcwidth: Callable[[str], int] | None = None


@lru_cache(maxsize=65536)
def char_width(ch: str) -> int:
    """Cells taken by one character: 0, 1 or 2 (control characters count as 0)."""
    global _wcwidth
    if _wcwidth is None:
        from wcwidth import wcwidth

        _wcwidth = wcwidth
    w = _wcwidth(ch)
    return 0 if w < 0 else w


def text_width(text: str) -> int:
    """Cells taken by ``text`` laid out left to right (wide characters appear once)."""
    if text.isascii():
        return len(text)
    return sum(char_width(ch) for ch in text)
