"""scripts/bench_paint.py: a report of rows painted per second, for the painter's hot path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bench_paint


def test_it_paints_every_kind_of_row_and_reports_a_rate(
    qapp: Any, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "paint.json"
    assert bench_paint.main(["--rows", "20", "--runs", "2", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report["rows_per_s"]) == {"plain", "runs", "unicode"}
    assert all(rate > 0 for rate in report["rows_per_s"].values())
    printed = capsys.readouterr().out
    assert all(f"paint_row {kind}" in printed for kind in ("plain", "runs", "unicode"))


def test_the_rows_it_paints_are_what_it_says() -> None:
    rows = bench_paint.rows()
    assert len(rows["runs"][0].runs) == 16  # type: ignore[attr-defined]
    assert rows["plain"][0].cells() == 120  # type: ignore[attr-defined]
    assert any(ord(ch) > 0x2FF for ch in rows["unicode"][0].text)  # type: ignore[attr-defined]
