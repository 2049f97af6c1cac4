"""Golden recordings: real programs' bytes in, the screen a reference terminal drew out.

The recordings in ``tests/golden`` are made by ``scripts/record_golden.py`` (see decision
0004): bash, ls, git log, vim, less, man, top, htop and a curses program on a PTY at 80x24 and
120x40, with the screens tmux drew from the same bytes at each checkpoint, corrected where
tmux departs from xterm (the JSON's ``overrides`` say where and why).

For every checkpoint the emulator's text, cursor and alternate-screen flag must match. Two
checks need no reference at all: the primary screen after a full-screen program quits is
the one it had before the program started, and a ``ScreenReplica`` fed only frames shows
exactly what the emulator shows.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from terminal.frames import DEFAULT_COLOR, Attr, ScreenReplica, Style, is_rgb, rgb_components

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
CHUNK = 4096  # feed in pieces, as a PTY reader would


def _recordings() -> list[str]:
    return sorted(p.stem for p in GOLDEN.glob("*.json"))


@cache
def load(name: str) -> tuple[dict[str, Any], bytes]:
    meta = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    return meta, (GOLDEN / f"{name}.bin").read_bytes()


def _checkpoint_ids() -> list[Any]:
    return [
        pytest.param(name, cp["label"], id=f"{name}@{cp['label']}")
        for name in _recordings()
        for cp in load(name)[0]["checkpoints"]
    ]


def _pairs() -> list[Any]:
    out = []
    for name in _recordings():
        pairs = {cp["pair"] for cp in load(name)[0]["checkpoints"] if "pair" in cp}
        out += [pytest.param(name, pair, id=f"{name}@{pair}") for pair in sorted(pairs)]
    return out


def emulator_at(meta: dict[str, Any], data: bytes, offset: int) -> Any:
    from terminal import Emulator

    emu = Emulator(meta["columns"], meta["rows"])
    for start in range(0, offset, CHUNK):
        emu.feed(data[start : min(start + CHUNK, offset)])
    return emu


def screen_diff(expected: list[str], actual: list[str]) -> str:
    """The rows that differ, expected above actual, with row numbers (trailing blanks cut)."""
    lines = []
    for row in range(max(len(expected), len(actual))):
        exp = expected[row].rstrip() if row < len(expected) else "<missing row>"
        act = actual[row].rstrip() if row < len(actual) else "<missing row>"
        if exp != act:
            lines.append(f"row {row:2d} expected: {exp!r}")
            lines.append(f"row {row:2d}   actual: {act!r}")
    return "\n".join(lines)


def _why(meta: dict[str, Any], label: str) -> str:
    reasons = [
        o["reason"] for o in meta.get("overrides", []) if label in o.get("labels", [o.get("label")])
    ]
    if not reasons:
        return ""
    return "\n(expected value overrides tmux's: " + "; ".join(reasons) + ")"


def _checkpoint(meta: dict[str, Any], label: str) -> dict[str, Any]:
    return next(cp for cp in meta["checkpoints"] if cp["label"] == label)


pytestmark = pytest.mark.skipif(not _recordings(), reason="no golden recordings")


@pytest.mark.parametrize(("name", "label"), _checkpoint_ids())
def test_screen_matches_reference(name: str, label: str) -> None:
    meta, data = load(name)
    cp = _checkpoint(meta, label)
    emu = emulator_at(meta, data, cp["offset"])
    where = f"{name} at {label} (byte {cp['offset']})"
    diff = screen_diff(cp["screen"], list(emu.display))
    assert not diff, f"{where}: screen differs\n{diff}{_why(meta, label)}"
    assert tuple(emu.cursor) == tuple(cp["cursor"]), (
        f"{where}: cursor {tuple(emu.cursor)} != expected {tuple(cp['cursor'])}{_why(meta, label)}"
    )
    frame = emu.take_frame()
    assert frame.alternate == cp["alternate"], f"{where}: alternate screen flag differs"
    assert emu.title == cp.get("title", emu.title), f"{where}: title differs"
    if not cp["alternate"] and "history_size" in cp:  # tmux counts the shown screen's
        assert len(emu.scrollback) == cp["history_size"], (
            f"{where}: {len(emu.scrollback)} history lines, expected {cp['history_size']}"
            f"{_why(meta, label)}"
        )


# Style keys as the recorder writes them: "fg/bg/flags" (see record_golden.style_runs).
_FLAG_LETTERS = (
    (Attr.BOLD, "b"),
    (Attr.DIM, "f"),
    (Attr.ITALIC, "i"),
    (Attr.BLINK, "k"),
    (Attr.RAPID_BLINK, "k"),
    (Attr.INVERSE, "r"),
    (Attr.CONCEAL, "h"),
    (Attr.STRIKE, "s"),
    (Attr.OVERLINE, "o"),
)


def _colour_key(colour: int) -> str:
    if colour == DEFAULT_COLOR:
        return "d"
    if is_rgb(colour):
        return "#{:02x}{:02x}{:02x}".format(*rgb_components(colour))
    return str(colour)


def style_key(style: Style) -> str:
    flags = {letter for flag, letter in _FLAG_LETTERS if style.attrs & flag}
    if style.underline:
        flags.add("u")
    return f"{_colour_key(style.fg)}/{_colour_key(style.bg)}/{''.join(sorted(flags))}"


def expected_style_keys(runs: str) -> list[str]:
    keys: list[str] = []
    for run in runs.split():
        count, key = run.split(":", 1)
        keys += [key] * int(count)
    return keys


def style_diff(expected: list[str], replica: ScreenReplica, screen: list[str]) -> str:
    """The first differing character of each row whose styles differ."""
    out = []
    for row, line in enumerate(replica.lines):
        actual = [style_key(replica.styles[sid]) for text, sid in line.runs for _ in text]
        actual = actual[: len(screen[row].rstrip())]
        want = expected_style_keys(expected[row]) or ["d/d/"] * len(actual)
        if want != actual:
            col = next(
                (i for i, (a, b) in enumerate(zip(want, actual, strict=False)) if a != b),
                min(len(want), len(actual)),
            )
            text = screen[row]
            out.append(
                f"row {row:2d} char {col} {text[col : col + 12]!r}: expected "
                f"{want[col] if col < len(want) else '<none>'}, actual "
                f"{actual[col] if col < len(actual) else '<none>'}"
            )
    return "\n".join(out)


@pytest.mark.parametrize(("name", "label"), _checkpoint_ids())
def test_styles_match_reference(name: str, label: str) -> None:
    """Colours and attributes of every character tmux drew (trailing blanks excepted)."""
    meta, data = load(name)
    cp = _checkpoint(meta, label)
    if "styles" not in cp:
        pytest.skip("recorded without styles")
    emu = emulator_at(meta, data, cp["offset"])
    replica = ScreenReplica(meta["columns"], meta["rows"])
    replica.apply(emu.take_frame())
    diff = style_diff(cp["styles"], replica, cp["screen"])
    assert not diff, f"{name} at {label}: styles differ\n{diff}{_why(meta, label)}"


@pytest.mark.parametrize("name", _recordings())
def test_history_matches_reference(name: str) -> None:
    """Lines that scrolled off the primary screen reach history, in order."""
    meta, data = load(name)
    last = meta["checkpoints"][-1]
    emu = emulator_at(meta, data, last["offset"])
    tail = last["history_tail"]
    assert len(emu.scrollback) == last["history_size"], f"{name}: history line count"
    if tail:
        actual = [line.rstrip() for line in list(emu.scrollback)[-len(tail) :]]
        diff = screen_diff(tail, actual)
        assert not diff, f"{name}: the newest {len(tail)} history lines differ\n{diff}"


@pytest.mark.parametrize(("name", "pair"), _pairs())
def test_primary_screen_survives_full_screen_program(name: str, pair: str) -> None:
    """xterm's mode 1049 saves the cursor and the primary screen comes back untouched."""
    meta, data = load(name)
    before, after = (cp for cp in meta["checkpoints"] if cp.get("pair") == pair)
    emu = emulator_at(meta, data, before["offset"])
    screen_before, cursor_before = list(emu.display), tuple(emu.cursor)
    emu.feed(data[before["offset"] : after["offset"]])
    diff = screen_diff(screen_before, list(emu.display))
    assert not diff, f"{name}: primary screen changed across {pair}\n{diff}"
    assert tuple(emu.cursor) == cursor_before, f"{name}: cursor not restored after {pair}"


@pytest.mark.parametrize("name", _recordings())
def test_replica_fed_frames_matches_emulator(name: str) -> None:
    """Frames carry everything: a replica that sees only frames shows the same screen."""
    from terminal import Emulator

    meta, data = load(name)
    emu = Emulator(meta["columns"], meta["rows"])
    replica = ScreenReplica(meta["columns"], meta["rows"])
    offsets = sorted({cp["offset"] for cp in meta["checkpoints"]})
    # Uneven pieces, cut at checkpoints too, so frames cover small and large changes.
    cuts = sorted(set(offsets) | set(range(0, len(data), 1531)) | {len(data)})
    start = 0
    for end in cuts:
        if end <= start:
            continue
        emu.feed(data[start:end])
        start = end
        replica.apply(emu.take_frame())
        diff = screen_diff([line.rstrip() for line in emu.display], replica.display())
        assert not diff, f"{name}: replica differs from emulator after byte {end}\n{diff}"
        assert (replica.cursor.x, replica.cursor.y) == tuple(emu.cursor), (
            f"{name}: replica cursor differs after byte {end}"
        )


@pytest.mark.parametrize("name", _recordings())
def test_recording_is_well_formed(name: str) -> None:
    """The data the other tests trust: sizes, ordered offsets, full-size screens."""
    meta, data = load(name)
    assert meta["bytes"] == len(data)
    offsets = [cp["offset"] for cp in meta["checkpoints"]]
    assert offsets == sorted(offsets) and offsets[0] >= 0 and offsets[-1] <= len(data)
    for cp in meta["checkpoints"]:
        assert cp["size"] == [meta["columns"], meta["rows"]], cp["label"]
        assert len(cp["screen"]) == meta["rows"], cp["label"]
        x, y = cp["cursor"]
        assert 0 <= x < meta["columns"] and 0 <= y < meta["rows"], cp["label"]
    # A full-screen program that never left the alternate screen would make the
    # primary-screen check above vacuous.
    pairs = {cp["pair"] for cp in meta["checkpoints"] if "pair" in cp}
    assert bool(pairs) == meta["full_screen"], f"{name}: alternate screen visits {pairs}"


@pytest.mark.parametrize("name", _recordings())
def test_any_split_of_the_bytes_draws_the_same(name: str) -> None:
    """A PTY read can end anywhere: inside a sequence, a UTF-8 character or a string.

    One byte at a time and odd-sized pieces must end on the screen, cursor and styles of
    one whole feed.
    """
    from terminal import Emulator

    meta, data = load(name)

    def fed(piece: int) -> tuple[list[str], tuple[int, int], list[list[str]]]:
        emu = Emulator(meta["columns"], meta["rows"])
        for start in range(0, len(data), piece):
            emu.feed(data[start : start + piece])
        replica = ScreenReplica(meta["columns"], meta["rows"])
        replica.apply(emu.take_frame())
        styles = [
            [style_key(replica.styles[sid]) for text, sid in line.runs for _ in text]
            for line in replica.lines
        ]
        return list(emu.display), tuple(emu.cursor), styles

    whole = fed(len(data))
    for piece in (1, 7, 333):
        split = fed(piece)
        diff = screen_diff(whole[0], split[0])
        assert not diff, f"{name}: {piece}-byte pieces draw a different screen\n{diff}"
        assert split[1] == whole[1], f"{name}: {piece}-byte pieces move the cursor elsewhere"
        assert split[2] == whole[2], f"{name}: {piece}-byte pieces change styles"
