"""Key encoding against xterm's documented sequences.

The expected bytes here are written out from xterm's ctlseqs ("PC-Style Function Keys",
"VT220-Style Function Keys") and xterm's terminfo entry, not computed from the tables in
``terminal.keys``, so a wrong table row fails a test.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.keys import (
    DEFAULT_MODES,
    Key,
    KeyModes,
    KeyPress,
    Mod,
    decode,
    encode,
    parse_keys,
)

NORMAL = KeyModes()
APP_CURSOR = KeyModes(cursor_application=True)
APP_KEYPAD = KeyModes(keypad_application=True)
LNM = KeyModes(newline=True)
BS_MODE = KeyModes(backspace_sends_bs=True)

# ctlseqs: key, normal (DECCKM reset), application (DECCKM set).
CURSOR_KEYS = [
    (Key.UP, b"\x1b[A", b"\x1bOA"),
    (Key.DOWN, b"\x1b[B", b"\x1bOB"),
    (Key.RIGHT, b"\x1b[C", b"\x1bOC"),
    (Key.LEFT, b"\x1b[D", b"\x1bOD"),
    (Key.HOME, b"\x1b[H", b"\x1bOH"),
    (Key.END, b"\x1b[F", b"\x1bOF"),
    (Key.BEGIN, b"\x1b[E", b"\x1bOE"),
]

# ctlseqs: keys DECCKM does not change. F13-F20 are xterm-256color's kf13..kf20.
FIXED_KEYS = [
    (Key.INSERT, b"\x1b[2~"),
    (Key.DELETE, b"\x1b[3~"),
    (Key.PAGE_UP, b"\x1b[5~"),
    (Key.PAGE_DOWN, b"\x1b[6~"),
    (Key.F1, b"\x1bOP"),
    (Key.F2, b"\x1bOQ"),
    (Key.F3, b"\x1bOR"),
    (Key.F4, b"\x1bOS"),
    (Key.F5, b"\x1b[15~"),
    (Key.F6, b"\x1b[17~"),
    (Key.F7, b"\x1b[18~"),
    (Key.F8, b"\x1b[19~"),
    (Key.F9, b"\x1b[20~"),
    (Key.F10, b"\x1b[21~"),
    (Key.F11, b"\x1b[23~"),
    (Key.F12, b"\x1b[24~"),
    (Key.F13, b"\x1b[1;2P"),
    (Key.F14, b"\x1b[1;2Q"),
    (Key.F15, b"\x1b[1;2R"),
    (Key.F16, b"\x1b[1;2S"),
    (Key.F17, b"\x1b[15;2~"),
    (Key.F18, b"\x1b[17;2~"),
    (Key.F19, b"\x1b[18;2~"),
    (Key.F20, b"\x1b[19;2~"),
]

# ctlseqs' modifier code table, by the names it gives.
MODIFIER_CODES = [
    (2, Mod.SHIFT),
    (3, Mod.ALT),
    (4, Mod.SHIFT | Mod.ALT),
    (5, Mod.CTRL),
    (6, Mod.SHIFT | Mod.CTRL),
    (7, Mod.ALT | Mod.CTRL),
    (8, Mod.SHIFT | Mod.ALT | Mod.CTRL),
    (9, Mod.META),
    (10, Mod.META | Mod.SHIFT),
    (11, Mod.META | Mod.ALT),
    (12, Mod.META | Mod.ALT | Mod.SHIFT),
    (13, Mod.META | Mod.CTRL),
    (14, Mod.META | Mod.CTRL | Mod.SHIFT),
    (15, Mod.META | Mod.CTRL | Mod.ALT),
    (16, Mod.META | Mod.CTRL | Mod.ALT | Mod.SHIFT),
]

# Modified forms as "CSI number ; code final", per key (ctlseqs: "shift-F5 would be
# sent as CSI 1 5 ; 2 ~"; SS3 turns into CSI when a modifier is sent).
MODIFIED_FORMS = [
    (Key.UP, "1", "A"),
    (Key.DOWN, "1", "B"),
    (Key.RIGHT, "1", "C"),
    (Key.LEFT, "1", "D"),
    (Key.HOME, "1", "H"),
    (Key.END, "1", "F"),
    (Key.BEGIN, "1", "E"),
    (Key.F1, "1", "P"),
    (Key.F2, "1", "Q"),
    (Key.F3, "1", "R"),
    (Key.F4, "1", "S"),
    (Key.INSERT, "2", "~"),
    (Key.DELETE, "3", "~"),
    (Key.PAGE_UP, "5", "~"),
    (Key.PAGE_DOWN, "6", "~"),
    (Key.F5, "15", "~"),
    (Key.F6, "17", "~"),
    (Key.F7, "18", "~"),
    (Key.F8, "19", "~"),
    (Key.F9, "20", "~"),
    (Key.F10, "21", "~"),
    (Key.F11, "23", "~"),
    (Key.F12, "24", "~"),
]

# ctlseqs "VT220-Style Function Keys": the keypad, numeric and application.
KEYPAD = [
    (Key.KP_SPACE, b" ", b"\x1bO "),
    (Key.KP_TAB, b"\t", b"\x1bOI"),
    (Key.KP_ENTER, b"\r", b"\x1bOM"),
    (Key.KP_MULTIPLY, b"*", b"\x1bOj"),
    (Key.KP_ADD, b"+", b"\x1bOk"),
    (Key.KP_SEPARATOR, b",", b"\x1bOl"),
    (Key.KP_SUBTRACT, b"-", b"\x1bOm"),
    (Key.KP_DECIMAL, b".", b"\x1bOn"),
    (Key.KP_DIVIDE, b"/", b"\x1bOo"),
    (Key.KP_0, b"0", b"\x1bOp"),
    (Key.KP_1, b"1", b"\x1bOq"),
    (Key.KP_2, b"2", b"\x1bOr"),
    (Key.KP_3, b"3", b"\x1bOs"),
    (Key.KP_4, b"4", b"\x1bOt"),
    (Key.KP_5, b"5", b"\x1bOu"),
    (Key.KP_6, b"6", b"\x1bOv"),
    (Key.KP_7, b"7", b"\x1bOw"),
    (Key.KP_8, b"8", b"\x1bOx"),
    (Key.KP_9, b"9", b"\x1bOy"),
    (Key.KP_EQUAL, b"=", b"\x1bOX"),
]

# Ctrl on characters, as X's XLookupString gives them to xterm.
CONTROL_CHARACTERS = [
    *[(chr(c), bytes([c - 0x60])) for c in range(ord("a"), ord("z") + 1)],
    *[(chr(c), bytes([c - 0x40])) for c in range(ord("A"), ord("Z") + 1)],
    ("@", b"\x00"),
    (" ", b"\x00"),
    ("`", b"\x00"),
    ("[", b"\x1b"),
    ("\\", b"\x1c"),
    ("]", b"\x1d"),
    ("^", b"\x1e"),
    ("_", b"\x1f"),
    ("{", b"\x1b"),
    ("|", b"\x1c"),
    ("}", b"\x1d"),
    ("~", b"\x1e"),
    ("2", b"\x00"),
    ("3", b"\x1b"),
    ("4", b"\x1c"),
    ("5", b"\x1d"),
    ("6", b"\x1e"),
    ("7", b"\x1f"),
    ("8", b"\x7f"),
    ("/", b"\x1f"),
    ("1", b"1"),  # no control form: sent unchanged
    ("9", b"9"),
    ("é", "é".encode()),
]


@pytest.mark.parametrize(("key", "normal", "application"), CURSOR_KEYS)
def test_cursor_keys_follow_decckm(key: Key, normal: bytes, application: bytes) -> None:
    assert encode(key, Mod.NONE, NORMAL) == normal
    assert encode(key, Mod.NONE, APP_CURSOR) == application


@pytest.mark.parametrize(("key", "expected"), FIXED_KEYS)
def test_function_and_editing_keys_ignore_decckm(key: Key, expected: bytes) -> None:
    assert encode(key, Mod.NONE, NORMAL) == expected
    assert encode(key, Mod.NONE, APP_CURSOR) == expected


@pytest.mark.parametrize(("code", "mods"), MODIFIER_CODES)
@pytest.mark.parametrize(("key", "number", "final"), MODIFIED_FORMS)
def test_modifiers_as_parameters(key: Key, number: str, final: str, code: int, mods: Mod) -> None:
    expected = f"\x1b[{number};{code}{final}".encode()
    assert encode(key, mods, NORMAL) == expected
    assert encode(key, mods, APP_CURSOR) == expected  # a modifier always means CSI


def test_shifted_f13_to_f20_take_more_modifiers() -> None:
    assert encode(Key.F13, Mod.CTRL) == b"\x1b[1;6P"
    assert encode(Key.F20, Mod.ALT) == b"\x1b[19;4~"
    assert encode(Key.F13, Mod.SHIFT) == b"\x1b[1;2P"


@pytest.mark.parametrize(("key", "numeric", "application"), KEYPAD)
def test_keypad_follows_deckpam(key: Key, numeric: bytes, application: bytes) -> None:
    assert encode(key, Mod.NONE, NORMAL) == numeric
    assert encode(key, Mod.NONE, APP_KEYPAD) == application
    # DECCKM alone does not touch the keypad.
    assert encode(key, Mod.NONE, APP_CURSOR) == numeric


def test_application_keypad_modifiers_go_into_ss3() -> None:
    assert encode(Key.KP_MULTIPLY, Mod.SHIFT, APP_KEYPAD) == b"\x1bO2j"
    assert encode(Key.KP_ENTER, Mod.CTRL, APP_KEYPAD) == b"\x1bO5M"
    assert encode(Key.KP_0, Mod.ALT | Mod.CTRL, APP_KEYPAD) == b"\x1bO7p"


def test_numeric_keypad_is_text() -> None:
    assert encode(Key.KP_ADD, Mod.ALT) == b"\x1b+"
    assert encode(Key.KP_ENTER, Mod.NONE, LNM) == b"\r\n"
    assert encode(Key.KP_TAB, Mod.SHIFT) == b"\x1b[Z"


def test_enter_sends_cr_and_crlf_under_lnm() -> None:
    assert encode(Key.ENTER) == b"\r"
    assert encode(Key.ENTER, Mod.NONE, LNM) == b"\r\n"
    assert encode(Key.ENTER, Mod.ALT, LNM) == b"\x1b\r\n"
    assert encode(Key.ENTER, Mod.CTRL | Mod.SHIFT) == b"\r"


def test_backspace_del_or_bs() -> None:
    assert encode(Key.BACKSPACE) == b"\x7f"
    assert encode(Key.BACKSPACE, Mod.NONE, BS_MODE) == b"\x08"
    # xterm: Ctrl toggles the backarrow key between the two.
    assert encode(Key.BACKSPACE, Mod.CTRL) == b"\x08"
    assert encode(Key.BACKSPACE, Mod.CTRL, BS_MODE) == b"\x7f"
    assert encode(Key.BACKSPACE, Mod.ALT) == b"\x1b\x7f"


def test_tab_backtab_escape() -> None:
    assert encode(Key.TAB) == b"\t"
    assert encode(Key.TAB, Mod.SHIFT) == b"\x1b[Z"
    assert encode(Key.TAB, Mod.SHIFT | Mod.ALT) == b"\x1b\x1b[Z"
    assert encode(Key.TAB, Mod.ALT) == b"\x1b\t"
    assert encode(Key.ESCAPE) == b"\x1b"
    assert encode(Key.ESCAPE, Mod.ALT) == b"\x1b\x1b"


@pytest.mark.parametrize(("char", "expected"), CONTROL_CHARACTERS)
def test_ctrl_on_characters(char: str, expected: bytes) -> None:
    assert encode(char, Mod.CTRL) == expected
    assert encode(char, Mod.CTRL | Mod.SHIFT) == expected
    assert encode(char, Mod.CTRL | Mod.ALT) == b"\x1b" + expected


def test_alt_and_meta_prefix_escape_to_text_only() -> None:
    assert encode("a", Mod.ALT) == b"\x1ba"
    assert encode("a", Mod.META) == b"\x1ba"
    assert encode("é", Mod.ALT) == b"\x1b\xc3\xa9"
    assert encode(Key.UP, Mod.ALT) == b"\x1b[1;3A"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a", b"a"),
        ("A", b"A"),
        ("é", b"\xc3\xa9"),
        ("€", b"\xe2\x82\xac"),
        ("😀", b"\xf0\x9f\x98\x80"),
        ("日本語", "日本語".encode()),
    ],
)
def test_text_as_utf8(text: str, expected: bytes) -> None:
    assert encode(text) == expected
    assert encode(text, Mod.SHIFT) == expected


def test_multi_character_text_is_sent_as_is() -> None:
    assert encode("ab", Mod.CTRL | Mod.ALT) == b"ab"


def test_lone_surrogate_does_not_raise() -> None:
    assert encode("\ud800") == b"?"


def test_key_modes_from_frame_mode_sets() -> None:
    assert KeyModes.from_modes(frozenset(), frozenset()) == DEFAULT_MODES
    modes = KeyModes.from_modes(frozenset({1, 66, 7, 25}), frozenset({20, 4}))
    assert modes == KeyModes(
        cursor_application=True, keypad_application=True, newline=True, backspace_sends_bs=False
    )
    assert KeyModes.from_modes(frozenset({67}), frozenset()).backspace_sends_bs
    assert KeyModes.from_modes(frozenset(), frozenset(), backspace_sends_bs=True).backspace_sends_bs
    # LNM is an ANSI mode: private mode 20 does not set it.
    assert not KeyModes.from_modes(frozenset({20}), frozenset()).newline


def test_terminfo_keys_match_xterm_256color() -> None:
    """A second independent source: the installed terminfo, in keypad-transmit mode."""
    curses = pytest.importorskip("curses")
    try:
        curses.setupterm("xterm-256color", 1)
    except curses.error:
        pytest.skip("no xterm-256color terminfo entry")
    smkx = KeyModes(cursor_application=True, keypad_application=True)
    names = {
        "kcuu1": (Key.UP, Mod.NONE),
        "kcud1": (Key.DOWN, Mod.NONE),
        "kcuf1": (Key.RIGHT, Mod.NONE),
        "kcub1": (Key.LEFT, Mod.NONE),
        "khome": (Key.HOME, Mod.NONE),
        "kend": (Key.END, Mod.NONE),
        "kbeg": (Key.BEGIN, Mod.NONE),
        "kich1": (Key.INSERT, Mod.NONE),
        "kdch1": (Key.DELETE, Mod.NONE),
        "kpp": (Key.PAGE_UP, Mod.NONE),
        "knp": (Key.PAGE_DOWN, Mod.NONE),
        "kbs": (Key.BACKSPACE, Mod.NONE),
        "kcbt": (Key.TAB, Mod.SHIFT),
        "kent": (Key.KP_ENTER, Mod.NONE),
        "ka1": (Key.KP_7, Mod.NONE),
        "ka3": (Key.KP_9, Mod.NONE),
        "kb2": (Key.KP_5, Mod.NONE),
        "kc1": (Key.KP_1, Mod.NONE),
        "kc3": (Key.KP_3, Mod.NONE),
        "kDC": (Key.DELETE, Mod.SHIFT),
        "kEND": (Key.END, Mod.SHIFT),
        "kHOM": (Key.HOME, Mod.SHIFT),
        "kIC": (Key.INSERT, Mod.SHIFT),
        "kLFT": (Key.LEFT, Mod.SHIFT),
        "kRIT": (Key.RIGHT, Mod.SHIFT),
        "kNXT": (Key.PAGE_DOWN, Mod.SHIFT),
        "kPRV": (Key.PAGE_UP, Mod.SHIFT),
        "kri": (Key.UP, Mod.SHIFT),
        "kind": (Key.DOWN, Mod.SHIFT),
    }
    # kf1..kf60: F1-F12 plain, then with Shift, Ctrl, Ctrl+Shift, Alt (xterm+pcfkeys).
    blocks = [Mod.NONE, Mod.SHIFT, Mod.CTRL, Mod.CTRL | Mod.SHIFT, Mod.ALT]
    for index in range(60):
        names[f"kf{index + 1}"] = (Key(f"f{index % 12 + 1}"), blocks[index // 12])
    checked = 0
    for name, (key, mods) in names.items():
        value = curses.tigetstr(name)
        if value is None:
            continue
        assert encode(key, mods, smkx) == value, name
        checked += 1
    assert checked > 50


# -- decoding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "modes", "expected"),
    [
        (b"\x1b[A", NORMAL, (Key.UP, Mod.NONE)),
        (b"\x1bOA", APP_CURSOR, (Key.UP, Mod.NONE)),
        (b"\x1b[1;5D", NORMAL, (Key.LEFT, Mod.CTRL)),
        (b"\x1b[15;2~", NORMAL, (Key.F5, Mod.SHIFT)),
        (b"\x1b[1;2P", NORMAL, (Key.F1, Mod.SHIFT)),  # also what F13 sends
        (b"\x1bOj", APP_KEYPAD, (Key.KP_MULTIPLY, Mod.NONE)),
        (b"\x1bO2j", APP_KEYPAD, (Key.KP_MULTIPLY, Mod.SHIFT)),
        (b"\x1b[Z", NORMAL, (Key.TAB, Mod.SHIFT)),
        (b"\x1b\x1b[Z", NORMAL, (Key.TAB, Mod.SHIFT | Mod.ALT)),
        (b"\x1b\x1b[A", NORMAL, (Key.UP, Mod.ALT)),  # rxvt's Alt+Up, accepted
        (b"\r", NORMAL, (Key.ENTER, Mod.NONE)),
        (b"\r\n", LNM, (Key.ENTER, Mod.NONE)),
        (b"\r", LNM, ("m", Mod.CTRL)),
        (b"\x7f", NORMAL, (Key.BACKSPACE, Mod.NONE)),
        (b"\x08", NORMAL, (Key.BACKSPACE, Mod.CTRL)),
        (b"\x08", BS_MODE, (Key.BACKSPACE, Mod.NONE)),
        (b"\x1b", NORMAL, (Key.ESCAPE, Mod.NONE)),
        (b"\x1b\x1b", NORMAL, (Key.ESCAPE, Mod.ALT)),
        (b"\x00", NORMAL, ("@", Mod.CTRL)),
        (b"\x01", NORMAL, ("a", Mod.CTRL)),
        (b"\x1f", NORMAL, ("_", Mod.CTRL)),
        (b"\x1b\x01", NORMAL, ("a", Mod.CTRL | Mod.ALT)),
        (b"\x1b[", NORMAL, ("[", Mod.ALT)),
        (b"\x1bO", NORMAL, ("O", Mod.ALT)),
        (b"\xc3\xa9", NORMAL, ("é", Mod.NONE)),
    ],
)
def test_decode(data: bytes, modes: KeyModes, expected: tuple[Key | str, Mod]) -> None:
    assert decode(data, modes) == expected


def test_parse_keys_splits_a_stream() -> None:
    data = b"ls\r\x1b[A\x1b[15;5~\x1bx\xe2\x82\xac\x1bOP"
    assert parse_keys(data) == [
        KeyPress("l"),
        KeyPress("s"),
        KeyPress(Key.ENTER),
        KeyPress(Key.UP),
        KeyPress(Key.F5, Mod.CTRL),
        KeyPress("x", Mod.ALT),
        KeyPress("€"),
        KeyPress(Key.F1),
    ]
    assert parse_keys(b"a\r\nb") == [
        KeyPress("a"),
        KeyPress(Key.ENTER),
        KeyPress("j", Mod.CTRL),
        KeyPress("b"),
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"ab",
        b"\xff",
        b"\x1b[1;5Z",
        b"\x1b[99~",
        b"\x1b[1;17A",
        b"\x1b[1;1A",
        b"\x1b[2A",
        b"\x1bOZ",
        b"\x1bO5P",
    ],
)
def test_decode_rejects_what_no_single_key_sends(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode(data)


# -- round trips: the derived reverse maps against the encoder ------------------------------

_SHIFTED = {Key(f"f{n}") for n in range(13, 21)}
_KEYPAD = {key for key, _, _ in KEYPAD}
mods_st = st.builds(Mod, st.integers(0, 15))
modes_st = st.builds(KeyModes, st.booleans(), st.booleans(), st.booleans(), st.booleans())
printable = st.characters(min_codepoint=0x20, codec="utf-8").filter(lambda c: c != "\x7f")


@given(st.sampled_from([k for k in Key if k not in _SHIFTED | _KEYPAD]), mods_st, modes_st)
def test_function_keys_decode_to_key_and_mods(key: Key, mods: Mod, modes: KeyModes) -> None:
    if key in {Key.ENTER, Key.TAB, Key.BACKSPACE, Key.ESCAPE}:
        # These carry only Alt (and Shift on Tab, Ctrl on Backspace), as in xterm.
        kept = Mod.ALT if mods & (Mod.ALT | Mod.META) else Mod.NONE
        kept |= mods & {Key.TAB: Mod.SHIFT, Key.BACKSPACE: Mod.CTRL}.get(key, Mod.NONE)
        assert decode(encode(key, mods, modes), modes) == (key, kept)
    else:
        assert decode(encode(key, mods, modes), modes) == (key, mods)


@given(st.sampled_from(sorted(_KEYPAD, key=lambda k: k.value)), mods_st, modes_st)
def test_application_keypad_decodes_to_key_and_mods(key: Key, mods: Mod, modes: KeyModes) -> None:
    app = KeyModes(modes.cursor_application, True, modes.newline, modes.backspace_sends_bs)
    assert decode(encode(key, mods, app), app) == (key, mods)


@given(printable, st.sampled_from([Mod.NONE, Mod.ALT]), modes_st)
def test_text_decodes_to_itself(char: str, mods: Mod, modes: KeyModes) -> None:
    assert decode(encode(char, mods, modes), modes) == (char, mods)


@given(st.one_of(st.sampled_from(list(Key)), printable), mods_st, modes_st)
def test_decoding_then_encoding_gives_the_same_bytes(
    key: Key | str, mods: Mod, modes: KeyModes
) -> None:
    """Where an encoding loses information (Ctrl+Shift+A, F13), decode picks a key
    that sends the very same bytes."""
    data = encode(key, mods, modes)
    decoded = decode(data, modes)
    assert encode(decoded.key, decoded.mods, modes) == data
