"""app.qtload: PySide6's per-import feature check answered from the file's bytes."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = textwrap.dedent(
    """
    import sys, linecache
    sys.path.insert(0, {root!r})
    {setup}
    import PySide6.QtCore  # noqa: F401
    import app.worker.store, app.gui.colors, terminal.emulator  # noqa: F401
    feature = sys.modules["shibokensupport.feature"]
    print(len(linecache.cache))
    print(sorted(feature.pyside_feature_dict.items()))
    """
)


def run(setup: str) -> list[str]:
    code = PROBE.format(root=str(ROOT), setup=setup)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True, env={"QT_QPA_PLATFORM": "offscreen",
                                                      "PATH": "/usr/bin:/bin"})
    return out.stdout.split("\n")


def test_modules_imported_after_qt_are_no_longer_read_into_linecache() -> None:
    # Fresh interpreters: the hook only matters for what is imported after shiboken.
    before = run("")
    after = run("from app.qtload import load_qt; assert load_qt()")
    assert int(before[0]) > 20  # PySide6's own scan read every module's source
    assert int(after[0]) < 5
    # The answers are the same: a module naming PySide6 uses it (0), others are ignored (-1).
    answers = ast.literal_eval(after[1])
    assert answers == ast.literal_eval(before[1])
    assert dict(answers)["PySide6"] == 0 and dict(answers)["enum"] == -1


def test_calling_it_twice_is_harmless() -> None:
    from app.qtload import load_qt

    assert load_qt() and load_qt()
