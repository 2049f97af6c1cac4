#!/usr/bin/env python3
"""Benchmark the painter: rows painted per second, offscreen. A report, not a gate.

``app.gui.painter.RowPainter.paint_row`` is a hot path (every damaged row of every
frame); change it with a number from here before and after. Three rows of 120 cells are
painted into a ``QImage`` ``--rows`` times each: plain text in one style, 16 style runs
(colours), and a row of wide and combining characters. Prints rows/s per kind (median of
``--runs``) and writes them as JSON (``--json``, default ``bench-results/paint.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def rows() -> dict[str, tuple[object, dict[int, object]]]:
    from terminal.frames import Line, Style

    styles = {i: Style(fg=i % 16, bg=(i * 7) % 256) for i in range(1, 17)}
    plain = ("the quick brown fox jumps over the lazy dog " * 3)[:120]
    wide = ("日本語 e\u0301a\u0308 " * 12)[:80]
    return {
        "plain": (Line(((plain, 0),)), styles),
        "runs": (Line(tuple((f"word{i:02d} ", 1 + i % 16) for i in range(16))), styles),
        "unicode": (Line(((wide, 0),)), styles),
    }


def measure(count: int, runs: int) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QApplication

    from app.gui.colors import Palette, load_scheme
    from app.gui.painter import RowPainter

    app = QApplication.instance() or QApplication(["bench-paint"])
    painter = RowPainter("monospace", 11, Palette(load_scheme("emberterm-dark")), 1.0,
                         bold_is_bright=True)
    m = painter.metrics
    image = QImage(int(120 * m.width), int(m.height), QImage.Format.Format_RGB32)
    out: dict[str, float] = {}
    for kind, (line, styles) in rows().items():
        rates = []
        for _ in range(runs):
            p = QPainter(image)
            start = time.perf_counter()
            for _ in range(count):
                painter.paint_row(p, 0, 0, line, styles)  # type: ignore[arg-type]
            rates.append(count / (time.perf_counter() - start))
            p.end()
        out[kind] = statistics.median(rates)
    del app
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows painted per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "paint.json")
    args = parser.parse_args(argv)
    results = measure(max(1, args.rows), max(1, args.runs))
    for kind, rate in results.items():
        print(f"paint_row {kind:8} {rate:10,.0f} rows/s")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"rows_per_s": results, "rows": args.rows,
                                     "runs": args.runs}, indent=1) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
