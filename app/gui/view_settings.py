"""What a terminal view can be told: font, colours, cursor, selection, paste, bell.

``ViewSettings`` is plain data with defaults. The app shell maps its configuration
(``app.config``) onto it and hands it to ``TerminalView``; the view never reads the config
file itself. ``colors`` overrides the scheme named by ``scheme`` when given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.gui.colors import Scheme

CURSOR_SHAPES = ("block", "underline", "bar")
BELL_MODES = ("visual", "none")

# Characters that count as part of a word besides letters and digits (double-click), as
# in xterm's charClass defaults extended with what paths and URLs are made of.
DEFAULT_WORD_CHARS = "-_.~/?&=%+#:@,$"


@dataclass
class ViewSettings:
    font_family: str = "monospace"
    font_size: float = 11.0  # points
    scheme: str = "emberterm-dark"
    colors: Scheme | None = None  # a loaded scheme that wins over ``scheme``
    bold_is_bright: bool = True  # bold text in colours 0-7 uses 8-15, as xterm does
    cursor_shape: str = "block"  # what DECSCUSR 0 means: block, underline or bar
    cursor_blink: bool = True  # what DECSCUSR 0 means for blinking
    cursor_blink_ms: int = 530
    word_chars: str = DEFAULT_WORD_CHARS
    copy_on_select: bool = False  # also put a selection on the clipboard, not only primary
    paste_warning: bool = True  # ask before a multi-line paste without bracketed paste
    bell: str = "visual"  # visual flash, or none
    bell_urgent: bool = True  # ask the window manager for attention on a bell
    backspace_sends_ctrl_h: bool = False
    scrollback_lines: int = 10000  # lines the view's replica keeps (older are fetched)
    wheel_lines: int = 3  # lines per wheel notch
    padding: int = 2  # pixels around the grid
    resize_overlay_ms: int = 1000
    allow_clipboard_write: bool = True  # OSC 52 from programs may set the clipboard
    font_size_min: float = 5.0
    font_size_max: float = 72.0
