"""scripts/screenshot.py makes a real picture of the app: a PNG with text in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import screenshot

ROOT = Path(__file__).resolve().parents[2]


def test_arguments() -> None:
    args = screenshot.parse_args(["--output", "x.png", "--geometry", "90x20", "--", "ls", "-l"])
    assert args.command == ["ls", "-l"]
    assert args.geometry == (90, 20)
    assert screenshot._unescape(r"ls\n\e") == b"ls\r\x1b"


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert screenshot.main(["--output", "x.png"]) == 2
    assert "give the command" in capsys.readouterr().err


@pytest.mark.slow
def test_screenshot_has_text_pixels(tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshot.py"), "--output", str(out),
         "--geometry", "60x10", "--settle", "0.5", "--",
         "sh", "-c", "printf '\\033[1;31mRED\\033[0m plain text line\\n'; echo second line"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 1000

    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert not image.isNull()
    assert image.width() > 300 and image.height() > 100
    background = image.pixelColor(image.width() // 2, image.height() // 2 + 40)
    counts = {"different": 0, "red": 0}
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            color = image.pixelColor(x, y)
            if color != background:
                counts["different"] += 1
            if color.red() > 150 and color.green() < 100 and color.blue() < 100:
                counts["red"] += 1
    assert counts["different"] > 200  # glyphs, not a blank window
    assert counts["red"] > 10  # the SGR colour reached the picture
