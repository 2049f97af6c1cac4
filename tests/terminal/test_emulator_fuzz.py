"""Property tests: whatever bytes a program writes, the emulator survives them.

Inputs are built from pieces biased toward what breaks parsers: CSI sequences with random
parameters, private markers, intermediates and finals; OSC/DCS/APC/PM/SOS strings with
every terminator and none; UTF-8 with wide, combining and joined characters and invalid
bytes; C0 and C1 controls; huge numbers. The properties:

* ``feed`` never raises, and the history never exceeds its limit;
* after garbage, CAN (which aborts any sequence or string, per the VT500 parser xterm
  follows) and a few resets bring the parser back: a marker written next is on screen;
* a ``ScreenReplica`` fed only the frames shows what the emulator shows;
* memory stays flat when far more than the history limit scrolls through.

Example counts come from a hypothesis profile, ``fuzz`` (200 examples) by default;
``EMBERTERM_FUZZ_PROFILE=fuzz-thorough`` runs 5,000.
"""

from __future__ import annotations

import gc
import os
import tracemalloc
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terminal.frames import ScreenReplica

settings.register_profile(
    "fuzz",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz-thorough",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile(os.environ.get("EMBERTERM_FUZZ_PROFILE", "fuzz"))

HISTORY = 50
MARKER = "@@OK@@"

# -- the pieces ------------------------------------------------------------------------
numbers = st.one_of(
    st.integers(0, 20),
    st.integers(0, 1100),
    st.sampled_from([65535, 65536, 2**31 - 1, 2**31, 2**32, 2**63, 10**30]),
)


@st.composite
def csi(draw: Any) -> bytes:
    private = draw(st.sampled_from([b"", b"", b"?", b">", b"<", b"=", b"?>"]))
    params = draw(
        st.lists(st.one_of(numbers.map(lambda n: str(n).encode()), st.just(b"")), max_size=18)
    )
    seps = [draw(st.sampled_from([b";", b";", b":"])) for _ in params]
    body = b"".join(p + s for p, s in zip(params, seps, strict=True))[:-1] if params else b""
    inter = draw(st.sampled_from([b"", b"", b"", b" ", b"$", b"!", b'"', b"'", b"*", b"#"]))
    final = draw(
        st.one_of(
            st.sampled_from(list(b"@ABCDEFGHIJKLMPSTXZ`abcdefghilmnpqrstuvx")).map(
                lambda b: bytes([b])
            ),
            st.integers(0x40, 0x7E).map(lambda b: bytes([b])),
            st.just(b""),  # unterminated
            st.integers(0x00, 0x1F).map(lambda b: bytes([b])),  # a control inside the sequence
        )
    )
    intro = draw(st.sampled_from([b"\x1b[", b"\x1b[", b"\x9b"]))
    return intro + private + body + inter + final


@st.composite
def string_sequence(draw: Any) -> bytes:
    intro = draw(
        st.sampled_from([b"\x1b]", b"\x1bP", b"\x1b_", b"\x1b^", b"\x1bX", b"\x9d", b"\x90"])
    )
    head = draw(
        st.sampled_from(
            [
                b"0;",
                b"2;",
                b"4;1;?",
                b"8;;http://x/",
                b"10;?",
                b"52;c;",
                b"133;A",
                b"7;file:///tmp",
                b"$q",
                b"+q544e",
                b"1$r",
                b"",
            ]
        )
    )
    body = draw(st.binary(max_size=40))
    end = draw(st.sampled_from([b"\x07", b"\x1b\\", b"\x9c", b"", b"\x18", b"\x1a", b"\x1b"]))
    return intro + head + body + end


unicode_text = st.lists(
    st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.sampled_from(list("日本語テキスト한국어中文ｗｉｄｅ")),
        st.sampled_from(["\u0301", "\u0308", "\u20dd", "\u200d", "\ufe0f", "\ufe0e"]),
        st.sampled_from(["👍", "👨\u200d👩\u200d👧", "🇫🇷", "🏳\ufe0f\u200d🌈", "e\u0301"]),
        st.characters(codec="utf-8"),
    ),
    max_size=30,
).map(lambda chars: "".join(chars).encode("utf-8", "surrogatepass"))

pieces = st.one_of(
    csi(),
    csi(),
    string_sequence(),
    unicode_text,
    st.binary(max_size=12),  # invalid UTF-8, C1 bytes, anything
    st.integers(0x00, 0x1F).map(lambda b: bytes([b])),
    st.sampled_from(
        [
            b"\x1b",
            b"\x1bc",
            b"\x1b7",
            b"\x1b8",
            b"\x1bD",
            b"\x1bE",
            b"\x1bM",
            b"\x1b#8",
            b"\x1b#3",
            b"\x1b(0",
            b"\x1b)0",
            b"\x1b*0",
            b"\x1bn",
            b"\x1bN",
            b"\x0e",
            b"\x1b%G",
            b"\x1b%@",
            b"\x1b=",
            b"\x1b>",
            b"\x1bH",
            b"\x1b[?1049h",
            b"\x1b[?1049l",
            b"\x1b[?47h",
            b"\x1b[?6h",
            b"\x1b[?69h",
            b"\x1b[?7l",
            b"\x1b[4h",
            b"\x1b[3;5r",
            b"\x1b[2;8s",
            b"\x1b[?2l",
            b"\x1b[?3h",
            b"\x1b[?1h",
            b"\r\n",
            b"\n\n\n\n\n\n\n\n",
        ]
    ),
    st.integers(0x21, 0x7E).map(lambda b: bytes([0x1B, b])),
)

garbage = st.lists(pieces, max_size=40).map(b"".join)
# Feeds and resizes, for the replica property.
operations = st.lists(
    st.one_of(
        garbage.map(lambda b: ("feed", b)),
        st.tuples(st.integers(1, 40), st.integers(1, 15)).map(lambda s: ("resize", s)),
    ),
    max_size=12,
)

# CAN aborts whatever sequence or string is in progress (xterm, VT500 parser); then put
# back what garbage may have changed that would hide or bend plain ASCII: VT52 mode,
# character sets and shifts, insert mode, origin mode, left/right margins, autowrap.
RECOVER = b"\x18\x1b<\x1b(B\x1b)B\x1b*B\x1b+B\x0f\x1b%G\x1b[4l\x1b[?6l\x1b[?69l\x1b[?7h\x1b[r\r\n"


def make(columns: int = 20, lines: int = 6) -> Any:
    from terminal import Emulator

    return Emulator(columns, lines, history=HISTORY)


# -- properties ------------------------------------------------------------------------
@FUZZ
@given(data=garbage, cut=st.integers(1, 7))
def test_feed_never_raises_and_history_stays_bounded(data: bytes, cut: int) -> None:
    emu = make()
    for start in range(0, len(data), cut):  # odd chunk sizes split sequences anywhere
        emu.feed(data[start : start + cut])
        assert len(emu.scrollback) <= HISTORY
    display = emu.display
    assert len(display) == 6
    x, y = emu.cursor
    assert 0 <= y < 6 and 0 <= x < 20, f"cursor {emu.cursor} off screen"
    emu.take_frame()


@FUZZ
@given(data=garbage)
def test_text_after_garbage_is_drawn(data: bytes) -> None:
    emu = make()
    emu.feed(data)
    emu.feed(RECOVER + MARKER.encode())
    text = "\n".join(emu.display)
    assert MARKER in text, f"marker lost after {data!r}:\n{text}"


@FUZZ
@given(ops=operations)
def test_replica_fed_frames_equals_emulator(ops: list[tuple[str, Any]]) -> None:
    emu = make()
    replica = ScreenReplica(20, 6)
    for op, arg in ops:
        if op == "feed":
            emu.feed(arg)
        else:
            emu.resize(*arg)
        replica.apply(emu.take_frame())
        shown = [line.rstrip() for line in replica.display()]
        assert shown == [line.rstrip() for line in emu.display], (
            f"replica {shown} != emulator {emu.display}"
        )
        assert (replica.cursor.x, replica.cursor.y) == tuple(emu.cursor)


def test_memory_stays_flat_past_the_history_limit() -> None:
    """Once history is full, feeding ten times more allocates (almost) nothing more."""
    emu = make(80, 24)
    line = "".join(f"\x1b[38;5;{i % 256}m{'word'}{i % 10} " for i in range(12)) + "\x1b[0m\r\n"
    chunk = (line * 200).encode()
    for _ in range(3):  # fill the history and warm caches
        emu.feed(chunk)
    assert len(emu.scrollback) == HISTORY
    gc.collect()
    tracemalloc.start()
    try:
        emu.feed(chunk)
        gc.collect()
        baseline = tracemalloc.get_traced_memory()[0]
        for _ in range(30):  # 6,000 lines through a 50-line history
            emu.feed(chunk)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert len(emu.scrollback) == HISTORY
    assert grown < 256 * 1024, f"memory grew by {grown} bytes with a full history"


def test_huge_parameters_do_not_hang_or_allocate() -> None:
    emu = make()
    for final in b"@ABCDEFGHIJKLMPSTXZ`abdefr":
        emu.feed(b"\x1b[" + b"9" * 40 + bytes([final]) + b"x")
        emu.feed(b"\x1b[" + b";".join([b"4294967296"] * 50) + bytes([final]))
    emu.feed(b"\x1b[999999999b")  # REP with a huge count
    assert len(emu.display) == 6
