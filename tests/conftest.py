"""Suite-wide settings: Qt offscreen, state under a temporary EMBERTERM_HOME, Qt warnings fail.

Tests mirror the source tree (tests/terminal, tests/ipc, tests/app, tests/gui) plus
tests/integration for whole-system tests with real processes. A test that uses ``qtbot``
or ``qapp`` is marked ``gui`` automatically.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
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
    os.environ["EMBERTERM_HOME"] = _OWN_HOME = tempfile.mkdtemp(prefix="emberterm-test-")
else:
    _OWN_HOME = ""


def pytest_unconfigure(config: pytest.Config) -> None:
    if _OWN_HOME:
        shutil.rmtree(_OWN_HOME, ignore_errors=True)


@pytest.fixture
def emberterm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh EMBERTERM_HOME for one test (short path, so sockets stay under 108 bytes)."""
    home = Path(tempfile.mkdtemp(prefix="et-"))
    monkeypatch.setenv("EMBERTERM_HOME", str(home))
    yield home
    shutil.rmtree(home, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "qtbot" in fixtures or "qapp" in fixtures:
            item.add_marker(pytest.mark.gui)
