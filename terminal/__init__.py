"""The terminal domain: PTYs, the emulator, frames, key and mouse encoding, sessions.

What it does: spawns programs on pseudo-terminals (``terminal.pty``), turns their output
into a screen (``terminal.emulator`` on top of pyte), describes that screen as frames a
painter or a socket can carry (``terminal.frames``), encodes keys and mouse events the way
xterm does (``terminal.keys``, ``terminal.mouse``) and ties a PTY to an emulator
(``terminal.session``).

What it does not do: no GUI, no sockets, no Qt, no persistence. It never imports
``PySide6``, ``ipc`` or ``app`` (an import-linter contract checks this), so everything here
can be tested by feeding bytes and reading the screen.
"""

from __future__ import annotations

__all__ = ["Emulator", "__version__"]

# The one place the version is written: pyproject.toml reads it from here (setuptools'
# dynamic version), app re-exports it, and programs see it as $TERM_PROGRAM_VERSION.
# (Asking importlib.metadata instead cost every process ~20 ms and ~3 MB at import.)
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # Imported lazily so that ``import terminal.keys`` does not pay for the emulator.
    if name == "Emulator":
        from terminal.emulator import Emulator

        return Emulator
    raise AttributeError(name)
