"""The emulator benchmark runs end to end and reports every corpus and field.

Behaviour, not speed: tiny corpora, one run; the numbers themselves are not judged here.
"""

from __future__ import annotations

import json
from pathlib import Path

import bench_emulator

THROUGHPUT_FIELDS = {
    "corpus",
    "columns",
    "rows",
    "chunk",
    "bytes",
    "pyte_bytes",
    "emberterm_mbps",
    "pyte_mbps",
    "ratio",
    "target_mbps",
    "pass",
}


def test_quick_run_writes_every_corpus_and_field(tmp_path: Path, capsys) -> None:
    out = tmp_path / "emulator.json"
    code = bench_emulator.main(["--quick", "--runs", "1", "--size-kb", "8", "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "PASS" in printed or "FAIL" in printed
    assert "pyte is fed the first" in printed  # the smaller pyte slice is said out loud

    results = json.loads(out.read_text())
    assert results["meta"]["runs"] == 1 and results["meta"]["quick"] is True
    rows = results["throughput"]
    seen = {(r["corpus"], r["columns"], r["rows"], r["chunk"]) for r in rows}
    corpora = set(bench_emulator.CORPORA)
    if not any(bench_emulator.GOLDEN.glob("*.bin")):
        corpora.discard("golden")
    for corpus in corpora:
        for columns, lines in bench_emulator.SIZES:
            for chunk in bench_emulator.CHUNKS:
                assert (corpus, columns, lines, chunk) in seen, (corpus, columns, lines, chunk)
    for r in rows:
        assert r.keys() >= THROUGHPUT_FIELDS
        assert r["emberterm_mbps"] > 0 and r["pyte_mbps"] is not None and r["pyte_mbps"] > 0
        assert r["pyte_bytes"] <= r["bytes"]
    targeted = {r["corpus"] for r in rows if r["target_mbps"] is not None}
    assert targeted == {c for c, t in bench_emulator.THROUGHPUT_TARGETS.items() if t}

    assert {s["corpus"] for s in results["size_scaling"]} == corpora
    memory = results["memory"]
    for key in ("history_10k", "history_100k"):
        assert {"lines", "held", "bytes", "target_bytes", "pass"} <= memory[key].keys()
        assert memory[key]["held"] == memory[key]["lines"]
    assert "bytes" in memory["history_10k"]["pyte_history_screen"]
    assert {"lines_fed", "growth_bytes", "pass"} <= memory["flat"].keys()
    frames = results["frames"]
    assert {"median_ms", "target_ms", "pass"} <= frames["full_200x60"].keys()
    assert frames["scroll_10k"]["final_screen_ok"] is True
    assert frames["scroll_10k"]["history_total"] == frames["scroll_10k"]["lines"] - 23
    assert all({"what", "value", "target", "verdict"} <= row.keys() for row in results["table"])


def test_corpora_are_deterministic() -> None:
    for name in bench_emulator.CORPORA:
        assert bench_emulator.make_corpus(name, 4096, 1) == bench_emulator.make_corpus(
            name, 4096, 1
        )
    assert bench_emulator.make_corpus("sgr", 4096, 1) != bench_emulator.make_corpus("sgr", 4096, 2)
