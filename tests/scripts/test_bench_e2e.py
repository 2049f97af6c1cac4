"""The end-to-end benchmark runs through the whole stack and reports every metric.

Behaviour, not speed: the smallest settings, in a subprocess with a deadline; the numbers
themselves are not judged here, only that each is there and is a number.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import bench_e2e

SCRIPT = Path(bench_e2e.__file__).resolve()


def number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def test_smallest_run_reports_every_metric_with_numbers(tmp_path: Path) -> None:
    out = tmp_path / "e2e.json"
    env = {k: v for k, v in os.environ.items() if k != "EMBERTERM_HOME"}
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--quick",
            "--size-mb",
            "1",
            "--stall-mb",
            "1",
            "--mem-mb",
            "1",
            "--keys",
            "8",
            "--runs",
            "1",
            "--json",
            str(out),
        ],
        cwd=SCRIPT.parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=85,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "PASS" in proc.stdout or "FAIL" in proc.stdout
    results = json.loads(out.read_text())
    errors = {k: v["error"] for k, v in results.items() if isinstance(v, dict) and "error" in v}
    assert not errors, f"{errors}\n{proc.stderr[-3000:]}"

    for key in ("emulator_alone", "pty_floor", "cat_devnull", "stack"):
        assert number(results[key]["mbps"]) and results[key]["mbps"] > 0, key
    ceiling = results["pty_ceiling"]
    assert number(ceiling["mbps"]) and number(ceiling["ratio"]) and ceiling["ratio"] > 0
    assert ceiling["pty_bytes"] >= ceiling["bytes"]  # the whole file came through the relay
    assert number(results["stack"]["machine_busy_s"])
    assert number(results["stack"]["worker_threads_cpu_s"]["main"])
    assert number(results["stack"]["worker_main_waited_for_cpu_s"])
    throughput = results["throughput"]
    assert number(throughput["ratio"]) and isinstance(throughput["pass"], bool)
    for key in ("latency_idle", "latency_flood"):
        lat = results[key]
        assert lat["measured"] > 0, key
        assert all(number(lat[f]) for f in ("p50_ms", "p99_ms", "max_ms")), key
        assert isinstance(lat["pass"], bool)
    stall = results["stall"]
    assert number(stall["max_gap_ms"]) and number(stall["p99_gap_ms"]) and stall["ticks"] > 1
    memory = results["memory"]
    for who in ("gui", "worker"):
        assert all(
            number(memory[who][f]) and memory[who][f] > 0 for f in ("pss_mb", "rss_mb", "uss_mb")
        ), who
    assert number(memory["pss_total_mb"]) and isinstance(memory["pass"], bool)
    for case in ("worker_running", "no_worker"):
        start = results["startup"][case]
        assert number(start["median_s"]) and start["median_s"] > 0, case
        assert len(start["runs_s"]) == 1
    assert {"loadavg_start", "loadavg_end"} <= results["meta"].keys()
    whats = [row["what"] for row in results["table"]]
    assert len(whats) == 11 and all(
        row["verdict"] in ("PASS", "FAIL", "-") for row in results["table"]
    )
    # The worker it started is gone with its private home.
    assert not Path(results["meta"]["home"]).exists()


def test_corpus_is_deterministic_whole_lines(tmp_path: Path) -> None:
    a = bench_e2e.make_corpus_file(tmp_path / "a.txt", 300_000, 7)
    b = bench_e2e.make_corpus_file(tmp_path / "b.txt", 300_000, 7)
    assert a.read_bytes() == b.read_bytes()
    data = a.read_bytes()
    assert data.endswith(b"\n") and data.isascii() and 290_000 < len(data) <= 300_000
    assert bench_e2e.corpus_block(4096, 1) != bench_e2e.corpus_block(4096, 2)


def test_percentile() -> None:
    assert bench_e2e.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert bench_e2e.percentile([1.0, 2.0], 0.99) == 1.99
    assert math.isnan(bench_e2e.percentile([], 0.5))
