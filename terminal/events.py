"""What the emulator tells its host besides the screen: one small listener object.

Replies to the program (device attributes, cursor reports...) do not go through here;
they are bytes for the PTY and go through the emulator's single ``on_reply`` callback.
"""

from __future__ import annotations

from typing import Protocol


class EmulatorListener(Protocol):
    """Events a host may act on. Subclass ``NullListener`` to handle only some."""

    def title_changed(self, title: str) -> None: ...

    def icon_title_changed(self, title: str) -> None: ...

    def cwd_changed(self, cwd: str) -> None: ...

    def bell(self) -> None: ...

    def clipboard_set(self, selection: str, data: bytes) -> None:
        """OSC 52 with a payload: the program wants ``data`` on the clipboard. The GUI
        decides whether to allow it."""

    def clipboard_query(self, selection: str) -> None:
        """OSC 52 ``?``: the program asks for the clipboard. The GUI decides; an answer
        goes to the PTY as ``ESC ] 52 ; selection ; base64 ST``."""

    def mark(self, kind: str, line_number: int, params: str) -> None:
        """OSC 133 semantic prompt mark ``kind`` (A-D) on absolute line ``line_number``."""


class NullListener:
    """A listener that ignores everything (the default)."""

    def title_changed(self, title: str) -> None:
        pass

    def icon_title_changed(self, title: str) -> None:
        pass

    def cwd_changed(self, cwd: str) -> None:
        pass

    def bell(self) -> None:
        pass

    def clipboard_set(self, selection: str, data: bytes) -> None:
        pass

    def clipboard_query(self, selection: str) -> None:
        pass

    def mark(self, kind: str, line_number: int, params: str) -> None:
        pass
