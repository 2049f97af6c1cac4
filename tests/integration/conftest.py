"""Whole-system fixtures: a real worker process under a private EMBERTERM_HOME."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from worker_proc import WorkerProcess


@pytest.fixture
def home() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="et-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def worker(home: Path) -> Iterator[WorkerProcess]:
    w = WorkerProcess(home).start()
    yield w
    w.stop()
