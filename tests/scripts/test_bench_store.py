"""The store flood benchmark runs end to end and reports every number, each one sane.

Behaviour, not speed: the numbers are whatever this machine gives; what is checked is
that each field is there, has the right type and agrees with the others (every line that
entered history was stored, search found the middle line before and after indexing, the
index caught up, and so on).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import bench_store
import pytest

from terminal._lines import entry_text

NUMBERS = {
    "bytes", "lines", "chunks_fed", "emulator_seconds", "emulator_mbps", "store_mbps",
    "cost_pct", "read_cost_pct", "emulator_read_seconds", "target_cost_pct",
    "history_total_emulator", "store_seconds",
    "feed_seconds", "flush_seconds", "store_calls_seconds", "queued_at_feed_end",
    "history_total", "lines_recorded", "lines_lost", "appends", "screens_saved", "batches",
    "chunks", "stored_lines", "content_bytes", "db_bytes", "db_main_bytes", "db_wal_bytes",
    "db_shm_bytes",
    "write_lines_per_s", "write_chunks_per_s", "unindexed_chunks_before_index",
    "unindexed_chunks_after_index", "index_seconds", "index_mb_per_s", "search_line_number",
    "search_before_index_ms", "search_after_index_ms", "search_two_chars_ms",
    "search_two_chars_hits",
}
FLAGS = {
    "meets_target", "screen_saved_ok", "stored_contiguous", "stored_text_ok",
    "search_found_before_index", "search_found_after_index",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "store.json"
    assert bench_store.main(["--quick", "--runs", "1", "--json", str(out)]) == 0
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def test_the_run_is_described(report: dict[str, Any]) -> None:
    assert report["benchmark"] == "store"
    assert report["quick"] is True and report["runs"] == 1
    assert report["chunk_bytes"] == 64 * 1024
    assert report["history"] == 10_000
    assert (report["columns"], report["rows"]) == (80, 24)
    assert report["target_cost_pct"] == 10.0
    assert 0 < report["batch_seconds"] < 1
    assert report["sqlite"].count(".") >= 2
    assert report["errors"] == []
    assert report["code"]
    assert set(report["corpora"]) == {"plain", "sgr"}
    assert report["meets_target"] == all(c["meets_target"] for c in report["corpora"].values())


@pytest.mark.parametrize("kind", ["plain", "sgr"])
def test_every_field_is_present_and_sane(report: dict[str, Any], kind: str) -> None:
    c = report["corpora"][kind]
    missing = (NUMBERS | FLAGS | {"cost_pct_runs", "history_api", "search_needle"}) - set(c)
    assert not missing
    for key in NUMBERS:
        assert isinstance(c[key], int | float) and not isinstance(c[key], bool), key
        assert (math.isfinite(c[key]) and c[key] >= 0) or key.endswith("cost_pct"), key
    for key in FLAGS:
        assert isinstance(c[key], bool), key

    # the corpus and the throughput figures agree with each other
    assert c["bytes"] >= 64 * 1024 and c["chunks_fed"] == math.ceil(c["bytes"] / (64 * 1024))
    assert c["emulator_mbps"] == pytest.approx(c["bytes"] / 1e6 / c["emulator_seconds"])
    assert c["store_mbps"] == pytest.approx(c["bytes"] / 1e6 / c["store_seconds"])
    assert c["cost_pct"] < 100 and len(c["cost_pct_runs"]) == 1
    assert c["read_cost_pct"] < 100
    assert c["meets_target"] == (c["cost_pct"] <= c["target_cost_pct"])
    assert c["feed_seconds"] + c["flush_seconds"] == pytest.approx(c["store_seconds"])
    assert c["store_calls_seconds"] <= c["feed_seconds"]

    # every line that entered history was read from the emulator and stored, in order
    assert c["history_api"] in {"history_lines", "history_tail"}
    assert c["history_total"] == c["history_total_emulator"] == c["lines"] - (24 - 1)
    assert c["lines_lost"] == 0
    assert c["lines_recorded"] == c["stored_lines"] == c["history_total"]
    assert c["stored_contiguous"] and c["stored_text_ok"]
    assert 1 <= c["appends"] <= c["chunks_fed"]
    assert c["screens_saved"] >= 1 and c["screen_saved_ok"]
    assert c["batches"] >= 1 and 1 <= c["chunks"] <= c["appends"]
    assert c["write_lines_per_s"] == pytest.approx(c["lines_recorded"] / c["store_seconds"])

    # the index trails the writes, then catches up
    assert c["unindexed_chunks_before_index"] == c["chunks"]
    assert c["unindexed_chunks_after_index"] == 0
    assert c["index_seconds"] > 0

    # the text is on disk, and the index costs space beside it
    assert c["content_bytes"] >= c["bytes"] // 2
    assert c["db_bytes"] == c["db_main_bytes"] + c["db_wal_bytes"] + c["db_shm_bytes"]
    assert c["db_bytes"] > c["content_bytes"]

    # the middle line is found by its token, before and after indexing
    assert c["search_line_number"] == c["lines"] // 2
    assert c["search_needle"] == bench_store.token(c["search_line_number"])
    assert c["search_found_before_index"] and c["search_found_after_index"]
    assert c["search_before_index_ms"] > 0 and c["search_after_index_ms"] > 0
    assert c["search_two_chars_hits"] == 200  # a two-character query is scanned; capped


def test_the_worker_flood_runs_the_worker_path_with_and_without_the_store(
    report: dict[str, Any],
) -> None:
    w = report["worker_flood"]
    assert w["all_finished"] and w["bytes"] >= 1_000_000
    assert w["stored_lines"] >= w["bytes"] // 201  # lines of at most 200 characters
    assert len(w["store_runs_s"]) == len(w["no_store_runs_s"]) == 1
    assert w["meets_target"] == (w["cost_pct"] <= w["target_cost_pct"])


def test_the_table_and_the_defaults(report: dict[str, Any]) -> None:
    rows = bench_store.table(report)
    assert rows[0][0] == "corpus" and [r[0] for r in rows[1:]] == ["plain", "sgr"]
    assert all(len(r) == len(rows[0]) for r in rows)
    args = bench_store.build_parser().parse_args([])
    assert args.runs == 3 and not args.quick
    assert args.json == bench_store.ROOT / "bench-results" / "store.json"


def test_the_corpora_are_deterministic() -> None:
    a, n = bench_store.make_corpus("sgr", 10_000)
    b, m = bench_store.make_corpus("sgr", 10_000)
    assert a == b and n == m and a.count(b"\r\n") == n
    plain, count = bench_store.make_corpus("plain", 5_000)
    lines = plain.decode().split("\r\n")[:-1]
    assert len(lines) == count and all(len(line) <= 80 for line in lines)
    assert all(bench_store.token(i) in line for i, line in enumerate(lines))


def test_a_failure_is_reported_and_the_exit_status_is_still_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("no emulator today")

    monkeypatch.setattr(bench_store, "bench_corpus", boom)
    out = tmp_path / "r.json"
    assert bench_store.main(["--quick", "--runs", "1", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["meets_target"] is False and data["corpora"] == {}
    assert any("no emulator today" in e for e in data["errors"])


def _fed(history: int, lines: int) -> bench_store.HistoryReader:
    emu = bench_store.Emulator(80, 24, history=history)
    reader = bench_store.HistoryReader(emu)
    emu.feed("".join(bench_store.plain_line(i) + "\r\n" for i in range(lines)).encode())
    return reader


def test_lines_that_left_history_before_they_were_read_are_counted_as_lost() -> None:
    reader = _fed(history=100, lines=600)
    first, lines = reader.take()
    total = reader.emu.history_total
    assert total == 600 - 23
    assert (first, len(lines)) == (total - 100, 100)
    assert reader.lost == total - 100
    assert bench_store.token(first) in entry_text(lines[0])  # compact entries, as the worker
    assert reader.take() == (total, [])  # nothing new: nothing read, nothing lost


def test_without_history_lines_the_frame_tail_is_used_and_its_bound_counted() -> None:
    reader = _fed(history=10_000, lines=1500)
    reader.has_history_lines = reader.has_history_entries = False
    first, lines = reader.take()
    total = reader.emu.history_total
    assert len(lines) == bench_store.HISTORY_TAIL_LIMIT  # what a frame carries at most
    assert first == total - len(lines) and reader.lost == first
    assert bench_store.token(total - 1) in lines[-1].text
    number, screen = reader.screen()
    assert number == total and len(screen) == 24
    assert bench_store.token(total) in screen[0].text
