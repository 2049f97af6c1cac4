"""Suite-wide settings: Qt offscreen, state under a temporary EMBERTERM_HOME, Qt warnings fail.

Tests mirror the source tree (tests/terminal, tests/ipc, tests/app, tests/gui) plus
tests/integration for whole-system tests with real processes. A test that uses ``qtbot``
or ``qapp`` is marked ``gui`` automatically.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The shell tabs start by default: plain sh, so a person's shell startup files (a slow
# ~/.bashrc, pyenv's rehash lock left behind by a shell killed mid-start) cannot decide
# whether a test passes. Tests that need bash ask for it by name.
os.environ["SHELL"] = "/bin/sh"
# Workers the tests start (directly or through a GUI) leave soon after their last client.
os.environ.setdefault("EMBERTERM_WORKER_QUIET_EXIT", "3")
if "EMBERTERM_HOME" not in os.environ:  # scripts/test sets it; a bare `pytest` gets its own
    os.environ["EMBERTERM_HOME"] = tempfile.mkdtemp(prefix="emberterm-test-")


@pytest.fixture
def emberterm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh EMBERTERM_HOME for one test (short path, so sockets stay under 108 bytes)."""
    home = Path(tempfile.mkdtemp(prefix="et-"))
    monkeypatch.setenv("EMBERTERM_HOME", str(home))
    return home


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "qtbot" in fixtures or "qapp" in fixtures:
            item.add_marker(pytest.mark.gui)
