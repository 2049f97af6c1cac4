"""Structured logs: JSON lines, correlation ids from context, rotation, finding a ref."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ipc import logs

log = logging.getLogger("emberterm.test")


@pytest.fixture
def log_dir(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger()
    level = root.level
    yield tmp_path / "logs"
    logs.unconfigure()
    root.setLevel(level)


def entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_lines_are_json_with_the_context_cid(log_dir: Path) -> None:
    logs.configure("worker", log_dir, logging.DEBUG)
    log.info("outside")
    with logs.correlation("abc123def456") as cid:
        assert cid == logs.current_correlation_id() == "abc123def456"
        log.warning("inside %s", "formatted", extra={"session": "s1", "rows": 24})
    assert logs.current_correlation_id() == ""
    first, second = entries(log_dir / "worker.log")
    assert first["cid"] == ""
    assert second["cid"] == "abc123def456"
    assert second["msg"] == "inside formatted"
    assert (second["level"], second["process"], second["logger"]) == (
        "WARNING", "worker", "emberterm.test")
    assert second["pid"] == os.getpid()
    assert (second["session"], second["rows"]) == ("s1", 24)
    assert second["ts"].endswith("Z") and "T" in second["ts"]


def test_new_correlation_ids_are_short_hex() -> None:
    ids = {logs.new_correlation_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 12 and int(i, 16) >= 0 for i in ids)
    with logs.correlation() as fresh:
        assert len(fresh) == 12


def test_explicit_cid_wins_and_nesting_restores(log_dir: Path) -> None:
    logs.configure("gui", log_dir)
    with logs.correlation("outer"):
        with logs.correlation("inner"):
            log.info("a")
        log.info("b", extra={"cid": "given"})
        log.info("c")
    assert [e["cid"] for e in entries(log_dir / "gui.log")] == ["inner", "given", "outer"]


def test_exceptions_and_odd_extras(log_dir: Path) -> None:
    logs.configure("cli", log_dir)
    try:
        raise KeyError("boom")
    except KeyError:
        log.exception("failed", extra={"path": Path("/x"), "blob": b"\x00"})
    (entry,) = entries(log_dir / "cli.log")
    assert "KeyError: 'boom'" in entry["exc"]
    assert entry["path"] == repr(Path("/x"))


def test_threads_start_without_a_cid_tasks_inherit(log_dir: Path) -> None:
    seen: dict[str, str] = {}

    def in_thread() -> None:
        seen["thread"] = logs.current_correlation_id()

    async def in_task() -> None:
        seen["task"] = logs.current_correlation_id()

    async def main() -> None:
        with logs.correlation("c1"):
            await asyncio.create_task(in_task())

    with logs.correlation("c0"):
        thread = threading.Thread(target=in_thread)
        thread.start()
        thread.join()
    asyncio.run(main())
    assert seen == {"thread": "", "task": "c1"}


def test_rotation_and_find_across_files(log_dir: Path) -> None:
    logs.configure("worker", log_dir, max_bytes=2000, backups=3)
    for i in range(60):
        with logs.correlation("feedfacecafe" if i % 10 == 0 else f"other{i}"):
            log.info("line %d", i)
    files = sorted(p.name for p in log_dir.iterdir())
    assert "worker.log.1" in files and "worker.log" in files
    assert len(files) <= 4
    for path in log_dir.iterdir():
        assert path.stat().st_size <= 2000
    found = logs.find(log_dir, "feedfacecafe")
    numbers = [int(e["msg"].split()[1]) for e in found]
    assert numbers == sorted(numbers) and numbers[-1] == 50
    assert all(e["cid"] == "feedfacecafe" for e in found)
    assert logs.find(log_dir, "feedfa") == found  # a quoted prefix is enough
    assert logs.find(log_dir, "") == []


def test_find_merges_processes_and_skips_junk(log_dir: Path) -> None:
    log_dir.mkdir(parents=True)
    (log_dir / "gui.log").write_text(
        '{"ts": "2026-01-01T00:00:02.000Z", "cid": "abc", "msg": "gui"}\nnot json abc\n'
    )
    (log_dir / "worker.log").write_text(
        '{"ts": "2026-01-01T00:00:01.000Z", "cid": "abc", "msg": "worker"}\n'
        '{"ts": "2026-01-01T00:00:03.000Z", "cid": "xyz", "msg": "abc in text only"}\n'
    )
    assert [e["msg"] for e in logs.find(log_dir, "abc")] == ["worker", "gui"]


def test_configure_twice_does_not_duplicate(log_dir: Path) -> None:
    logs.configure("gui", log_dir)
    logs.configure("gui", log_dir)
    log.info("once")
    assert len(entries(log_dir / "gui.log")) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_log_files_are_private(log_dir: Path) -> None:
    logs.configure("worker", log_dir)
    log.info("x")
    assert (log_dir / "worker.log").stat().st_mode & 0o077 == 0
