"""What a tab needs from wherever its session runs.

A ``SessionHandle`` is one session seen from the GUI: frames come in through the
``frame`` signal, keys and pastes go out through ``write``. Two backends provide handles:
the local backend (``app.gui.local_backend``: a ``terminal.Session`` inside the GUI
process, driven by ``QSocketNotifier``s; the fallback) and the remote backend (the worker,
over ``ipc``). The view and the window only ever see this interface, so switching backends
changes no view code.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from terminal.frames import Frame, Line


class SessionHandle(QObject):
    """One session as the GUI sees it. Subclasses implement the methods below."""

    # A frame to apply to the tab's ScreenReplica (``terminal.frames.Frame``).
    frame = Signal(object)
    # The program exited; carries its exit status (int) or None when unknown.
    exited = Signal(object)
    # Emulator events: bell; OSC 52 clipboard request (selection "c"/"p", text);
    # OSC 8/OSC 7 are carried in frames and styles.
    bell = Signal()
    clipboard = Signal(str, str)
    # The backend's state changed (e.g. reconnecting / read-only / not persistent);
    # carries a short human sentence, "" when all is well.
    notice = Signal(str)
    # History asked for with ``fetch_history`` arrived later (a remote backend answers
    # asynchronously): a view showing that part of the scrollback repaints.
    history_arrived = Signal()

    @property
    def session_id(self) -> str:
        raise NotImplementedError

    @property
    def persistent(self) -> bool:
        """True when the session outlives this GUI process (worker-hosted)."""
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        """Send input (already encoded by ``terminal.keys``) to the program."""
        raise NotImplementedError

    def resize(self, columns: int, rows: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """End the program on purpose (SIGHUP, then SIGKILL after a grace period)."""
        raise NotImplementedError

    def foreground_process(self) -> str:
        """Name of the program in the foreground of the PTY ("" when unknown)."""
        raise NotImplementedError

    def cwd(self) -> str:
        """Working directory of the foreground program ("" when unknown)."""
        raise NotImplementedError

    def is_busy(self) -> bool:
        """True when a program other than the session's shell is in the foreground."""
        raise NotImplementedError

    def fetch_history(self, first: int, count: int) -> list[tuple[int, Line]]:
        """Older history lines by absolute number, for scrolling past the replica's tail."""
        raise NotImplementedError

    def search_history(
        self, text: str, case_sensitive: bool, reply: Callable[[list[tuple[int, str]]], None]
    ) -> None:
        """Lines of this session's history containing ``text`` beyond what a replica holds,
        as ``[(line number, text)]`` to ``reply`` (maybe later). A backend with no store
        has nothing more: the default answers at once with nothing."""
        reply([])

    def request_full_frame(self) -> None:
        """Ask for a complete frame (after attaching or when the replica is in doubt)."""
        raise NotImplementedError


__all__ = ["Frame", "SessionHandle"]
