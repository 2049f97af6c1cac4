"""Live reload of the config file with ``QFileSystemWatcher``.

Editors rarely rewrite a file in place: vim and most IDEs write a new file and rename it
over the old one, which the watcher reports as the file being removed, after which Qt no
longer watches that path. So the watcher also watches the file's directory (which sees the
new file appear, and a file created where there was none) and re-adds the file's path after
every change. Changes arrive in bursts (truncate, write, rename), so they are gathered by a
short single-shot timer (``config_reload``) before the file is read once.

Only a change that gives a different ``Config`` or different warnings is announced.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from app.config import LoadResult, load_config

log = logging.getLogger(__name__)

# Long enough to gather an editor's truncate + write + rename, short enough to feel live.
RELOAD_DELAY_MS = 100


class ConfigWatcher(QObject):
    """Watches one config file; ``changed`` carries the new ``LoadResult``."""

    changed = Signal(object)

    def __init__(self, path: Path, current: LoadResult, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path).absolute()
        self.current = current
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_change)
        self._watcher.directoryChanged.connect(self._on_change)
        self._timer = QTimer(self)
        self._timer.setObjectName("config_reload")
        self._timer.setSingleShot(True)
        self._timer.setInterval(RELOAD_DELAY_MS)
        self._timer.timeout.connect(self.reload)
        self._watch()

    def _watch(self) -> None:
        directory = self.path.parent
        if directory.is_dir() and str(directory) not in self._watcher.directories():
            self._watcher.addPath(str(directory))
        if self.path.exists() and str(self.path) not in self._watcher.files():
            self._watcher.addPath(str(self.path))

    def _on_change(self, _path: str) -> None:
        self._timer.start()

    def reload(self) -> None:
        """Read the file now; announce the result if it differs from the last one."""
        self._watch()  # the file may have been replaced (rename over) or created
        result = load_config(self.path)
        if result.config == self.current.config and result.warnings == self.current.warnings:
            return
        log.info("config %s reloaded (%d warnings)", self.path, len(result.warnings))
        for warning in result.warnings:
            log.warning("%s", warning)
        self.current = result
        self.changed.emit(result)
