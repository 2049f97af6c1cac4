"""Live reload of the config file: created, edited in place, replaced by rename, removed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer

from app.config import Config, LoadResult, load_config
from app.gui.config_watch import ConfigWatcher

TIMEOUT = 5000


def test_reloads_through_create_edit_replace_and_remove(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    watcher = ConfigWatcher(path, load_config(path))
    assert watcher.findChild(QTimer, "config_reload") is not None
    seen: list[LoadResult] = []
    watcher.changed.connect(seen.append)

    path.write_text("[font]\nsize = 12\n")  # created where there was none
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].config["font.size"] == 12.0, timeout=TIMEOUT)

    path.write_text("[font]\nsize = 'x'\n")  # edited in place, now wrong
    qtbot.waitUntil(lambda: seen[-1].config["font.size"] == 11.0, timeout=TIMEOUT)
    assert "'font.size' must be a number" in seen[-1].warnings[0]

    new = tmp_path / "config.toml.swp"
    new.write_text("[font]\nsize = 14\n")
    os.replace(new, path)  # replaced by rename, as vim and most editors save
    qtbot.waitUntil(lambda: seen[-1].config["font.size"] == 14.0, timeout=TIMEOUT)

    path.write_text("[font]\nsize = 15\n")  # the replacement is watched too
    qtbot.waitUntil(lambda: seen[-1].config["font.size"] == 15.0, timeout=TIMEOUT)

    path.unlink()  # removed: back to the defaults
    qtbot.waitUntil(lambda: seen[-1].config == Config(), timeout=TIMEOUT)


def test_an_unchanged_result_is_not_announced(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[font]\nsize = 12\n")
    watcher = ConfigWatcher(path, load_config(path))
    seen: list[LoadResult] = []
    watcher.changed.connect(seen.append)
    path.write_text("# a comment only changes nothing\n[font]\nsize = 12\n")
    watcher.reload()
    qtbot.wait(300)
    assert seen == []
