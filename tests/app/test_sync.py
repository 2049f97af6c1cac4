"""Per-client frame sync: every client's replica converges on the emulator's screen."""

from __future__ import annotations

import random

from app.worker.sync import ClientCursor, ScreenState
from terminal.emulator import Emulator
from terminal.frames import ScreenReplica


def make(columns: int = 20, rows: int = 5, history: int = 100) -> tuple[Emulator, ScreenState]:
    emu = Emulator(columns, rows, history=history)
    state = ScreenState(columns, rows)
    state.absorb(emu.take_frame())
    return emu, state


def history_reader(emu: Emulator):
    return lambda first, count: [line for _, line in emu.history_lines(first, count)]


def step(emu: Emulator, state: ScreenState, data: bytes) -> None:
    emu.feed(data)
    state.absorb(emu.take_frame())


def sync(state: ScreenState, emu: Emulator, client: ClientCursor, replica: ScreenReplica) -> bool:
    frame = state.frame_for(client, emu.styles, history_reader(emu))
    if frame is None:
        return False
    replica.apply(frame)
    return True


def test_first_frame_is_full_and_replica_matches() -> None:
    emu, state = make()
    step(emu, state, b"hello\r\n\x1b[31mred\x1b[0m")
    client, replica = ClientCursor(), ScreenReplica(20, 5)
    frame = state.frame_for(client, emu.styles, history_reader(emu))
    assert frame is not None and frame.full and len(frame.lines) == 5
    replica.apply(frame)
    assert replica.display() == emu.display
    assert replica.styles[frame.lines[1].runs[0][1]].fg == 1


def test_nothing_new_means_no_frame() -> None:
    emu, state = make()
    client, replica = ClientCursor(), ScreenReplica(20, 5)
    assert sync(state, emu, client, replica)
    assert state.frame_for(client, emu.styles, history_reader(emu)) is None


def test_only_changed_rows_are_sent() -> None:
    emu, state = make()
    client, replica = ClientCursor(), ScreenReplica(20, 5)
    sync(state, emu, client, replica)
    step(emu, state, b"\x1b[3;1Hthird")
    frame = state.frame_for(client, emu.styles, history_reader(emu))
    assert frame is not None and not frame.full
    assert set(frame.lines) == {2}


def test_a_client_that_fell_behind_gets_the_latest_state_in_one_frame() -> None:
    emu, state = make(history=1000)
    fast, fast_replica = ClientCursor(), ScreenReplica(20, 5, max_history=1000)
    slow, slow_replica = ClientCursor(), ScreenReplica(20, 5, max_history=1000)
    sync(state, emu, fast, fast_replica)
    sync(state, emu, slow, slow_replica)
    rng = random.Random(7)
    for i in range(50):
        step(emu, state, f"\x1b[{rng.randint(1, 5)};1Hline {i}\r\n".encode())
        sync(state, emu, fast, fast_replica)
    assert sync(state, emu, slow, slow_replica)  # one frame catches up
    assert state.frame_for(slow, emu.styles, history_reader(emu)) is None
    for replica in (fast_replica, slow_replica):
        assert replica.display() == emu.display
        assert replica.history_total == state.history_total
        assert [ln.text.rstrip() for ln in replica.history] == [
            s.rstrip() for s in emu.scrollback
        ]


def test_history_tail_is_bounded_and_the_replica_still_numbers_lines_right() -> None:
    emu, state = make(history=5000)
    client, replica = ClientCursor(), ScreenReplica(20, 5, max_history=5000)
    sync(state, emu, client, replica)
    step(emu, state, b"".join(b"n%d\r\n" % i for i in range(3000)))
    frame = state.frame_for(client, emu.styles, history_reader(emu), tail_limit=100)
    assert frame is not None
    # 3000 lines went by, more than a tail may carry: a gap is certain, so the tail is one
    # screenful (the rest is fetched on demand), not the whole bound.
    assert len(frame.history_tail) == 5
    replica.apply(frame)
    assert replica.first_held_number == frame.history_total - 5
    assert replica.line(frame.history_total - 1).text.rstrip() == emu.scrollback[-1].rstrip()  # type: ignore[union-attr]
    # Within the bound, everything that went by comes along, and joins what is held.
    step(emu, state, b"".join(b"m%d\r\n" % i for i in range(80)))
    frame = state.frame_for(client, emu.styles, history_reader(emu), tail_limit=100)
    assert frame is not None and len(frame.history_tail) == 80
    replica.apply(frame)
    assert replica.first_held_number == frame.history_total - 85
    assert [ln.text.rstrip() for ln in replica.history] == [
        s.rstrip() for s in emu.scrollback[-85:]
    ]


def test_resize_sends_a_full_frame() -> None:
    emu, state = make()
    client, replica = ClientCursor(), ScreenReplica(20, 5)
    sync(state, emu, client, replica)
    emu.resize(30, 8)
    state.absorb(emu.take_frame())
    frame = state.frame_for(client, emu.styles, history_reader(emu))
    assert frame is not None and frame.full and (frame.columns, frame.rows) == (30, 8)
    replica.apply(frame)
    assert replica.display() == emu.display


def test_force_full_after_dropped_frames() -> None:
    emu, state = make()
    client, replica = ClientCursor(), ScreenReplica(20, 5)
    sync(state, emu, client, replica)
    step(emu, state, b"x")
    state.frame_for(client, emu.styles, history_reader(emu))  # sent but dropped on the floor
    client.force_full()
    frame = state.frame_for(client, emu.styles, history_reader(emu))
    assert frame is not None and frame.full
    replica.apply(frame)
    assert replica.display() == emu.display
