"""SessionHost: real shells, two clients, the store recording what scrolls off."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.worker.host import Client, SessionHost
from app.worker.store import Store
from terminal.frames import Frame, ScreenReplica


class Window:
    """A client as the host sees it: a key and a frame sink, with a replica behind it."""

    def __init__(self, host: SessionHost, accept: bool = True) -> None:
        self.replicas: dict[str, ScreenReplica] = {}
        self.frames: list[Frame] = []
        self.accept = accept
        host.add_client(Client(self, self.receive))

    def receive(self, sid: str, frame: Frame) -> bool:
        if not self.accept:
            return False
        self.frames.append(frame)
        self.replicas.setdefault(sid, ScreenReplica(frame.columns, frame.rows)).apply(frame)
        return True

    def text(self, sid: str) -> str:
        return "\n".join(self.replicas[sid].display()) if sid in self.replicas else ""


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "store.sqlite3").start()
    yield s
    s.close()


@pytest.fixture
def host(qtbot, store: Store):
    h = SessionHost(store, history=500)
    yield h
    h.shutdown()


def test_two_windows_attached_to_one_session_both_show_its_output(qtbot, host: SessionHost) -> None:
    hosted = host.create(["sh"], columns=40, rows=6)
    a, b = Window(host), Window(host)
    host.attach(a, hosted.id, 40, 6)
    host.attach(b, hosted.id, 40, 6)
    host.write(a, hosted.id, b"echo both-see-$((6*7))\n")
    qtbot.waitUntil(lambda: all("both-see-42" in w.text(hosted.id) for w in (a, b)))
    assert a.replicas[hosted.id].display() == b.replicas[hosted.id].display()


def test_size_follows_the_window_used_last(qtbot, host: SessionHost) -> None:
    hosted = host.create(["sh"], columns=40, rows=6)
    a, b = Window(host), Window(host)
    host.attach(a, hosted.id, 40, 6)
    host.attach(b, hosted.id, 50, 8)
    host.resize(b, hosted.id, 50, 8)
    host.write(b, hosted.id, b"stty size\n")
    qtbot.waitUntil(lambda: "8 50" in b.text(hosted.id))
    host.write(a, hosted.id, b"stty size\n")  # typing in a: its size wins again
    qtbot.waitUntil(lambda: "6 40" in a.text(hosted.id))


def test_history_goes_to_the_store_and_exit_is_recorded(qtbot, host, store) -> None:
    hosted = host.create(["sh", "-c", "seq 1 200; echo stored-marker; exit 3"], columns=40, rows=6)
    exits: list[object] = []
    host.session_exited.connect(lambda sid, status: exits.append(status))
    qtbot.waitUntil(lambda: exits == [3])
    store.flush()
    lines = [ln.text.rstrip() for _, ln in store.fetch_lines(hosted.id, 0, 1000)]
    assert lines[:3] == ["1", "2", "3"]
    assert "195" in lines
    assert [h.text for h in store.search("stored-marker")] == ["stored-marker"]  # on screen
    record = store.get_session(hosted.id)
    assert record is not None and record.exit_status == 3 and record.ended is not None


def test_a_client_that_drops_frames_gets_a_full_one_next(qtbot, host: SessionHost) -> None:
    hosted = host.create(["sh"], columns=40, rows=6)
    w = Window(host, accept=False)
    host.attach(w, hosted.id, 40, 6)
    host.write(w, hosted.id, b"echo while-away\n")
    qtbot.wait(300)
    w.accept = True
    host.resend(w)
    assert w.frames and w.frames[-1].full
    qtbot.waitUntil(lambda: "while-away" in w.text(hosted.id))


def test_history_fetch_reaches_past_the_emulator_into_the_store(qtbot, host, store) -> None:
    # 2,000 lines at once into a 500-line history: every line still reaches the store
    # (the emulator's history sink), and the first ones are read back from there.
    hosted = host.create(["sh", "-c", "seq 1 2000; sleep 30"], columns=20, rows=5)
    qtbot.waitUntil(lambda: hosted.state.history_total >= 1996, timeout=20_000)
    store.flush()
    first_lines = host.history_lines(hosted.id, 0, 3)
    assert [(n, ln.text.rstrip()) for n, ln in first_lines] == [(0, "1"), (1, "2"), (2, "3")]
    stored = [ln.text for _, ln in store.fetch_lines(hosted.id, 0, 5000)]
    assert stored[:1996] == [str(i) for i in range(1, 1997)]
    total = hosted.state.history_total
    last = [ln.text for _, ln in host.history_lines(hosted.id, total - 2, 2)]
    assert last == ["1995", "1996"]


def test_the_heap_is_trimmed_once_output_goes_quiet_after_a_burst(qtbot, store) -> None:
    trims: list[float] = []
    host = SessionHost(store, history=500, trim=lambda: trims.append(1.0))
    try:
        hosted = host.create(["sh"], columns=40, rows=6)
        window = Window(host)
        host.attach(window, hosted.id, 40, 6)
        qtbot.waitUntil(lambda: window.text(hosted.id).strip() != "")
        qtbot.wait(300)
        host.save_screens()  # the prompt was output: a burst began
        host.save_screens()  # a second with nothing since: trim
        assert trims == [1.0]
        host.save_screens()  # still quiet: nothing new to give back
        assert trims == [1.0]
        host.write(window, hosted.id, b"echo burst-$((2*3))\n")
        qtbot.waitUntil(lambda: "burst-6" in window.text(hosted.id))
        qtbot.wait(300)  # and the prompt after it
        host.save_screens()
        assert trims == [1.0]  # output in the last second: not quiet yet
        host.save_screens()
        assert trims == [1.0, 1.0]
    finally:
        host.shutdown()
