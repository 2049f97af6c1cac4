"""Frames: damage read then reset, full frames on switch and resize, history tail, style
table increments, and a ScreenReplica fed only frames equal to the emulator."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from terminal import Emulator
from terminal.frames import HISTORY_TAIL_LIMIT, Frame, ScreenReplica


def feed(e: Emulator, text: str) -> Emulator:
    e.feed(text.encode())
    return e


def replica_of(e: Emulator, frames: list[Frame]) -> ScreenReplica:
    replica = ScreenReplica(e.columns, e.lines)
    for frame in frames:
        replica.apply(Frame.from_wire(frame.to_wire()))
    return replica


def test_first_frame_is_full_then_only_damage() -> None:
    e = Emulator(5, 3)
    assert e.take_frame().full
    feed(e, "\x1b[2;1Hx")
    frame = e.take_frame()
    assert not frame.full and set(frame.lines) == {1}
    assert e.take_frame().lines == {}  # damage was reset by the previous take


def test_screen_switch_and_resize_make_full_frames() -> None:
    e = Emulator(5, 3)
    e.take_frame()
    feed(e, "\x1b[?1049h")
    frame = e.take_frame()
    assert frame.full and frame.alternate
    e.resize(6, 2)
    frame = e.take_frame()
    assert frame.full and (frame.columns, frame.rows) == (6, 2)


def test_frame_carries_cursor_modes_title_and_new_styles_once() -> None:
    e = Emulator(10, 2)
    e.take_frame()
    feed(e, "\x1b]2;hi\x07\x1b[?2004h\x1b[4h\x1b[31mab")
    frame = e.take_frame()
    assert frame.title == "hi" and 2004 in frame.private_modes and 4 in frame.ansi_modes
    assert frame.cursor.x == 2 and not frame.cursor.wrap_pending
    assert [s.fg for s in frame.styles.values()] == [1]
    assert e.take_frame().styles == {}


def test_wrap_pending_in_the_frame_cursor() -> None:
    e = feed(Emulator(3, 2), "abc")
    cursor = e.take_frame().cursor
    assert (cursor.x, cursor.wrap_pending) == (2, True)


def test_history_tail_is_bounded_and_frame_holds_the_final_screen() -> None:
    e = Emulator(20, 4)
    e.take_frame()
    feed(e, "".join(f"n{i}\r\n" for i in range(10_000)) + "last")
    frame = e.take_frame()  # its cost is scripts/bench_emulator.py's business, not a test's
    assert frame.history_total == 9_997 and frame.history_size == 9_997
    assert len(frame.history_tail) == HISTORY_TAIL_LIMIT
    assert frame.history_tail[-1].text == "n9996"
    assert [frame.lines[r].text for r in range(4)] == ["n9997", "n9998", "n9999", "last"]


def test_a_host_that_reads_history_itself_can_take_frames_without_a_tail() -> None:
    e = Emulator(20, 4)
    e.take_frame()
    feed(e, "".join(f"n{i}\r\n" for i in range(50)))
    frame = e.take_frame(tail_limit=0)
    assert frame.history_tail == () and frame.history_total == 47
    feed(e, "x\r\ny\r\n")
    assert [ln.text for ln in e.take_frame(tail_limit=10).history_tail] == ["n47", "n48"]


def test_full_redraw_frame_at_200x60_holds_every_row() -> None:
    e = Emulator(200, 60)
    e.take_frame()
    screen = "".join(f"\x1b[{r + 1};1H\x1b[3{r % 8}m" + "x" * 200 for r in range(60))
    for _ in range(2):
        feed(e, screen)
        frame = e.take_frame()
        assert sorted(frame.lines) == list(range(60))
        assert all(frame.lines[r].text == "x" * 200 for r in range(60))


def test_replica_follows_history_tail() -> None:
    e = Emulator(10, 3)
    frames = [e.take_frame()]
    feed(e, "".join(f"l{i}\r\n" for i in range(7)))
    frames.append(e.take_frame())
    replica = replica_of(e, frames)
    assert [line.text for line in replica.history] == e.scrollback
    assert replica.history_total == e.history_total


PIECES = [
    "abc", "hello world ", "日本", "e\u0301", "\r\n", "\r\n\r\n", "\n", "\r", "\x08", "\t",
    "\x1b[31m", "\x1b[44m", "\x1b[0m", "\x1b[1;4m", "\x1b[2J", "\x1b[K", "\x1b[3;2H",
    "\x1b[2;3r", "\x1b[r", "\x1b[L", "\x1b[M", "\x1b[2@", "\x1b[P", "\x1b[S", "\x1b[T",
    "\x1bM", "\x1b[?1049h", "\x1b[?1049l", "\x1b[?7l", "\x1b[?7h", "\x1b[4h", "\x1b[4l",
    "\x1b]133;A\x07", "\x1b]8;;u\x07", "\x1b]8;;\x07", "\x1b(0q\x1b(B", "\x1b[?69h\x1b[2;4s",
    "\x1b[?69l", "\x1b[3J", "\x1b[5b",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(PIECES), max_size=12), min_size=1, max_size=8),
    st.integers(2, 9),
    st.integers(1, 6),
)
def test_replica_equals_emulator_after_arbitrary_feeds(
    batches: list[list[str]], columns: int, lines: int
) -> None:
    e = Emulator(columns, lines, history=20)
    frames = []
    for batch in batches:
        feed(e, "".join(batch))
        frames.append(e.take_frame())
    replica = replica_of(e, frames)
    assert replica.display() == e.display
    assert replica.lines == [row.to_line() for row in e.rows]
    assert (replica.cursor.x, replica.cursor.y) == e.cursor
    assert replica.alternate == e.alternate
    styles = {sid: e.styles[sid] for sid in range(len(e.styles))}
    assert replica.styles == styles
