"""HiDPI: at fractional and double scale factors cell backgrounds end on device pixels.

The scale factor is fixed when Qt starts, so each case runs in a child process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import json, sys
    sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests/gui"]
    from fakes import FakeHandle, frame
    from PySide6.QtWidgets import QApplication
    from terminal.frames import Line, Style
    app = QApplication([])
    from app.gui.view import TerminalView
    handle = FakeHandle()
    view = TerminalView(handle)
    view.resize(400, 200)
    view.show()
    columns, rows = view.grid_size()
    red_run = Line(((" ", 0), ("  ", 1), (" ", 0)))  # blanks: no glyph edges nearby
    handle.send(frame([red_run] + [""] * (rows - 1), columns=columns, styles={1: Style(bg=1)}))
    image = view.grab().toImage()
    dpr = view.devicePixelRatioF()
    m = view.painter.metrics
    origin = view.grid_origin()
    y = int((origin.y() + m.height / 2) * dpr)
    red = view.palette_.indexed(1)
    xs = [x for x in range(image.width()) if image.pixelColor(x, y) == red]
    # Any pixel that is neither red nor background nor cursor would be a blended edge.
    known = {red.name(), view.palette_.background.name(), view.palette_.cursor.name()}
    row = {image.pixelColor(x, y).name() for x in range(xs[0] - 2, xs[-1] + 3)}
    print(json.dumps({
        "dpr": dpr,
        "first": xs[0], "last": xs[-1],
        "expected_first": (origin.x() + m.width) * dpr,
        "expected_width": 2 * m.width * dpr,
        "blended": sorted(row - known),
    }))
    """
)


@pytest.mark.parametrize("scale", ["1", "1.25", "1.5", "2"])
def test_cell_edges_are_crisp_at_any_scale(scale: str) -> None:
    env = dict(os.environ, QT_SCALE_FACTOR=scale, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", CHILD, str(ROOT)], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["dpr"] == float(scale)
    assert report["first"] == pytest.approx(report["expected_first"], abs=1e-6)
    assert report["last"] - report["first"] + 1 == pytest.approx(report["expected_width"])
    assert report["blended"] == []
