"""The installed PySide6 keeps Python's reference counts straight across signal emits.

PySide6 6.12.0 took a reference from the bool that ``SignalInstance.emit()`` returns (and
from ``None`` on every void method), so every call moved them towards deallocation and a
worker or GUI aborted with heap corruption after a few hundred frames. pyproject.toml
excludes that release; this test fails on it.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    bare = Signal()
    carrying = Signal(object)


def test_emit_leaves_reference_counts_unchanged() -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.carrying.connect(received.append)
    payload = object()
    before = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None),
              sys.getrefcount(payload))
    for _ in range(200):
        emitter.bare.emit()
        emitter.carrying.emit(payload)
        emitter.setObjectName("x")  # a void method: PySide6 6.12 dropped a None reference
    received.clear()
    after = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None),
             sys.getrefcount(payload))
    assert after == before
