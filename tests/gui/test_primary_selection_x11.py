"""Selecting sets the X11 primary selection and middle-click pastes it (real X server).

The test process itself runs Qt offscreen, where there is no primary selection, so the
check runs in a child Python process on the xcb platform against an Xvfb started here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.x11, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import json, sys
    sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests/gui"]
    from fakes import FakeHandle, frame
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QClipboard, QGuiApplication
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from app.gui.view import TerminalView

    app = QApplication([])
    handle = FakeHandle()
    view = TerminalView(handle)
    view.resize(400, 200)
    view.show()
    QTest.qWaitForWindowExposed(view)
    columns, rows = view.grid_size()
    handle.send(frame(["primary selection text"] + [""] * (rows - 1), columns=columns))
    m = view.painter.metrics
    area = view.contentsRect()

    def edge(col):
        return QPointF(area.left() + col * m.width + 1, area.top() + m.height / 2).toPoint()

    QTest.mousePress(view, Qt.MouseButton.LeftButton, pos=edge(8))
    QTest.mouseMove(view, edge(17))
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, pos=edge(17))
    clipboard = QGuiApplication.clipboard()
    QTest.qWait(100)
    selected = clipboard.text(QClipboard.Mode.Selection)
    QTest.mouseClick(view, Qt.MouseButton.MiddleButton, pos=edge(2))
    print(json.dumps({
        "supports": clipboard.supportsSelection(),
        "selection": selected,
        "clipboard_untouched": clipboard.text(QClipboard.Mode.Clipboard) != selected,
        "pasted": handle.sent.decode(),
    }))
    """
)


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    # -displayfd: Xvfb picks a free display and writes its number when it is ready.
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        deadline = time.monotonic() + 10
        number = b""
        while not number.endswith(b"\n") and time.monotonic() < deadline:
            chunk = os.read(read_fd, 16)
            if not chunk:
                break
            number += chunk
        if not number.strip():
            pytest.skip("Xvfb did not start")
        yield f":{number.decode().strip()}"
    finally:
        os.close(read_fd)
        proc.terminate()
        proc.wait(timeout=10)


def test_selecting_sets_primary_and_middle_click_pastes_it(xvfb_display: str) -> None:
    env = dict(os.environ, DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb")
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if "Could not load the Qt platform plugin" in result.stderr:
        pytest.skip("the xcb platform plugin cannot load here (libxcb-cursor0 missing?)")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["supports"] is True
    assert report["selection"] == "selection"
    assert report["clipboard_untouched"] is True  # copy_on_select is off by default
    assert report["pasted"] == "selection"
