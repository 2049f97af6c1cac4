"""The history sink: every line that enters history is told, however fast the flood."""

from __future__ import annotations

from terminal._lines import entry_line, entry_text
from terminal.emulator import Emulator


def collect(emu: Emulator) -> list[tuple[int, str]]:
    seen: list[tuple[int, str]] = []

    def sink(first: int, entries: list[str]) -> None:
        seen.extend((first + i, entry_text(e)) for i, e in enumerate(entries))

    emu.set_history_sink(sink)
    return seen


def test_a_flood_larger_than_the_history_reaches_the_sink_line_by_line() -> None:
    emu = Emulator(20, 5, history=10)
    seen = collect(emu)
    emu.feed(b"".join(b"line %d\r\n" % i for i in range(1000)))  # one feed, the fast path
    assert [n for n, _ in seen] == list(range(emu.history_total))
    assert [t for _, t in seen[:3]] == ["line 0", "line 1", "line 2"]
    assert seen[-1] == (emu.history_total - 1, f"line {emu.history_total - 1}")
    assert len(emu.scrollback) == 10  # the history itself stays bounded


def test_slow_path_scrolls_and_styled_lines_reach_the_sink() -> None:
    emu = Emulator(10, 3, history=2)
    seen: list[tuple[int, object]] = []
    emu.set_history_sink(lambda first, entries: seen.extend(
        (first + i, entry_line(e)) for i, e in enumerate(entries)))
    for i in range(6):
        emu.feed(b"\x1b[31mred%d\x1b[0m\r\n" % i)  # one scroll at a time, styled
    assert [n for n, _ in seen] == list(range(emu.history_total))
    assert seen[0][1].text == "red0" and seen[0][1].runs[0][1] != 0  # type: ignore[attr-defined]


def test_without_a_sink_the_flood_skips_what_history_cannot_keep() -> None:
    emu = Emulator(20, 5, history=10)
    emu.feed(b"".join(b"line %d\r\n" % i for i in range(1000)))
    assert emu.history_total == 1000 - 4 and len(emu.scrollback) == 10
