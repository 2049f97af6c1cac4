"""The GUI process: windows, tabs, the terminal view, settings, the worker supervisor and
the in-process fallback backend. It never parses terminal output: it paints frames held by
a ``terminal.frames.ScreenReplica``."""
