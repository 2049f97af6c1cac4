"""The two processes: ``app.gui`` (windows, tabs, views) and ``app.worker`` (sessions,
frame scheduling, the SQLite store), plus ``app.cli`` (remote control) and the state
paths and entry point they share."""

from terminal import __version__

__all__ = ["__version__"]
