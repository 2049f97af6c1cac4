"""OSC and other strings: titles, working directory, hyperlinks, clipboard, semantic marks;
DCS/APC/PM/SOS consumed and never drawn; every string bounded."""

from __future__ import annotations

import base64

from terminal import Emulator
from terminal.events import NullListener


class Recorder(NullListener):
    """Records events as (name, args) in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple[object, ...]]] = []

    def title_changed(self, title: str) -> None:
        self.events.append(("title", (title,)))

    def icon_title_changed(self, title: str) -> None:
        self.events.append(("icon", (title,)))

    def cwd_changed(self, cwd: str) -> None:
        self.events.append(("cwd", (cwd,)))

    def bell(self) -> None:
        self.events.append(("bell", ()))

    def clipboard_set(self, selection: str, data: bytes) -> None:
        self.events.append(("clipboard_set", (selection, data)))

    def clipboard_query(self, selection: str) -> None:
        self.events.append(("clipboard_query", (selection,)))

    def mark(self, kind: str, line_number: int, params: str) -> None:
        self.events.append(("mark", (kind, line_number, params)))


def emu(columns: int = 10, lines: int = 3) -> tuple[Emulator, Recorder]:
    recorder = Recorder()
    return Emulator(columns, lines, listener=recorder), recorder


def test_osc_0_1_2_titles_with_bel_and_st() -> None:
    e, rec = emu()
    e.feed(b"\x1b]0;both\x07")
    assert (e.title, e.icon_title) == ("both", "both")
    e.feed(b"\x1b]1;icon\x1b\\\x1b]2;title\x1b\\")
    assert (e.title, e.icon_title) == ("title", "icon")
    assert ("title", ("title",)) in rec.events and ("icon", ("icon",)) in rec.events


def test_titles_are_bounded() -> None:
    e, _ = emu()
    e.feed(b"\x1b]2;" + b"t" * 100_000 + b"\x07after")
    assert len(e.title) == 4096 and e.display[0].startswith("after")


def test_osc_split_across_feeds() -> None:
    e, _ = emu()
    for piece in (b"\x1b]", b"2;hel", b"lo\x1b", b"\\x"):
        e.feed(piece)
    assert e.title == "hello" and e.display[0].startswith("x")


def test_osc_133_is_not_an_icon_title() -> None:
    """pyte 0.8.2 takes OSC 133;A as icon title '3;A'."""
    e, rec = emu()
    e.feed(b"\x1b]133;A\x07$ ")
    assert e.icon_title == ""
    assert e.rows[0].to_line().mark == "A"
    assert ("mark", ("A", 0, "")) in rec.events


def test_osc_133_marks_travel_in_frames_and_history() -> None:
    e, _ = emu(10, 2)
    e.feed(b"\x1b]133;A\x07$ ls\r\n\x1b]133;C\x07out\r\nmore\r\n")
    assert e.history_lines(0, 1)[0][1].mark == "A"
    assert e.history_lines(1, 1)[0][1].mark == "C"


def test_osc_7_working_directory() -> None:
    e, rec = emu()
    e.feed(b"\x1b]7;file://host/home/me/my%20dir\x1b\\")
    assert e.cwd == "/home/me/my dir" and ("cwd", ("/home/me/my dir",)) in rec.events
    assert e.take_frame().cwd == "/home/me/my dir"


def test_osc_8_hyperlink_is_kept_with_the_text() -> None:
    e, _ = emu()
    e.feed(b"a\x1b]8;id=1;https://example.com\x1b\\link\x1b]8;;\x1b\\b")
    runs = e.rows[0].to_line().runs
    assert [(text, e.styles[sid].link) for text, sid in runs] == [
        ("a", ""),
        ("link", "https://example.com"),
        ("b", ""),
    ]


def test_osc_8_uri_longer_than_the_bound_is_dropped() -> None:
    e, _ = emu()
    e.feed(b"\x1b]8;;http://" + b"x" * 5000 + b"\x07t")
    assert e.styles[e.rows[0].styles[0]].link == ""


def test_osc_52_clipboard_is_an_event() -> None:
    e, rec = emu()
    payload = base64.b64encode(b"copied text").decode()
    e.feed(f"\x1b]52;c;{payload}\x07\x1b]52;p;?\x07\x1b]52;c;!!notbase64\x07".encode())
    assert rec.events == [("clipboard_set", ("c", b"copied text")), ("clipboard_query", ("p",))]


def test_osc_52_large_payload_within_the_bound() -> None:
    e, rec = emu()
    data = b"x" * 600_000
    e.feed(b"\x1b]52;c;" + base64.b64encode(data) + b"\x07")
    assert rec.events == [("clipboard_set", ("c", data))]


def test_strings_past_one_mib_are_dropped_and_parsing_goes_on() -> None:
    e, rec = emu()
    e.feed(b"\x1b]52;c;" + b"A" * (1 << 20) + b"AAAA\x07ok")
    assert rec.events == [] and e.display[0].startswith("ok")


def test_dcs_apc_pm_sos_are_consumed_not_drawn() -> None:
    """pyte 0.8.2 prints these payloads as text."""
    e, _ = emu()
    e.feed(b"\x1bPq#0;2;0;0;0~~\x1b\\a\x1b_Gf=100;AAAA\x1b\\b\x1b^pm\x1b\\c\x1bXsos\x1b\\d")
    assert e.display[0] == "abcd      "


def test_can_aborts_a_string() -> None:
    e, _ = emu()
    e.feed(b"\x1b]2;nope\x18x")
    assert e.title == "" and e.display[0].startswith("x")


def test_multi_digit_and_unknown_osc_codes_are_ignored_cleanly() -> None:
    e, _ = emu()
    e.feed(b"\x1b]777;notify;a;b\x07\x1b]99999999;x\x07\x1b];\x07\x1b]abc\x07ok")
    assert e.display[0].startswith("ok") and e.title == ""


def test_bell_is_an_event() -> None:
    e, rec = emu()
    e.feed(b"\x07")
    assert rec.events == [("bell", ())]


def test_a_listener_that_raises_does_not_lose_output() -> None:
    class Broken(NullListener):
        def title_changed(self, title: str) -> None:
            raise RuntimeError("boom")

    e = Emulator(10, 2, listener=Broken())
    e.feed(b"\x1b]2;x\x07after")
    assert e.display[0].startswith("after")
