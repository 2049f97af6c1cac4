#!/usr/bin/env python3
"""Record golden emulator test data: real programs' PTY bytes plus the screens they draw.

Each *scenario* runs ``bash --norc`` on a pseudo-terminal (``ptyprocess``) at a fixed size,
with a fixed clean environment and a temporary HOME holding files this script creates, and
types into it step by step: send keys, wait for the output to settle, mark a checkpoint (a
byte offset into the recording). Programs that ask the terminal something (DA, CPR, DECRQM,
XTVERSION, OSC 10/11 colour queries...) get the answer xterm would give, from the small
reply table below, so they behave as they would in a real terminal. The checkpoints also
include the exact offsets where a program enters and leaves the alternate screen.

The expected screens come from a reference terminal fed the same bytes: for each recording
a detached tmux session of exactly the recorded size runs a feeder that puts its tty in raw
mode (so newlines are not translated a second time) and writes the recording up to each
checkpoint; ``tmux capture-pane`` gives the text, ``display -p`` the cursor and whether the
alternate screen is on. Where tmux departs from xterm's documented behaviour, ``OVERRIDES``
below replaces tmux's answer and the JSON keeps the reason.

Output, per recording, in ``tests/golden/``: ``NAME.bin`` (the raw bytes) and ``NAME.json``
(sizes, checkpoints with offsets and expected screens, overrides, the queries answered).

Usage: ``scripts/record_golden.py [--only SCENARIO ...] [--out DIR] [--sizes 80x24,120x40]``.
Needs bash, vim, less, man, top, htop, git, ls and tmux (tested with tmux 3.3a) on the PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyte
from ptyprocess import PtyProcess

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "tests" / "golden"
SIZES = ((80, 24), (120, 40))
FORMAT_VERSION = 1


# ---------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """Send ``keys``, wait at least ``wait`` seconds, then until ``quiet`` s pass silently."""

    keys: bytes
    label: str | None = None  # a checkpoint is marked after the step when set
    wait: float = 0.0
    quiet: float = 0.4
    timeout: float = 15.0


def typed(command: str, label: str | None = None, **kw: float) -> Step:
    return Step(command.encode() + b"\r", label, **kw)


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    description: str
    full_screen: bool = False  # enters and leaves the alternate screen


# (checkpoint, command): $C and $L are the terminal's columns and lines.
EDGE_COMMANDS = (
    ("wide_at_edge", r"printf '%0*d\u65e5\u672c\n%0*d\u65e5|\n' $((C-2)) 0 $((C-1)) 0"),
    ("combining", r"printf 'e\u0301 a\u0308\u0301 \u65e5\u0301 x\u200dy\n'"),
    ("ich_dch_ech", r"printf 'abcdefgh\e[5D\e[2@XY\e[3P|\e[2X\n'"),
    ("rep_tabs", r"printf 'x\e[4b\ty\e[2I z\e[Z!\n'"),
    ("insert_mode", r"printf 'abcdef\e[3D\e[4hXYZ\e[4l\n'"),
    ("autowrap_off", r"printf '\e[?7l%0*d\e[?7h\n' $((C+20)) 0"),
    ("erase_in_line", r"printf 'left-middle-right\e[7D\e[1K\e[3C\e[K\n'"),
    ("save_restore", r"printf '\e7\e[3;30Hsaved-here\e8restored\n'"),
    ("region", r"printf '\e[3;8r\e[8;1Hone\ntwo\nthree\e[r\e[%d;1H\n' $L"),
    ("origin_mode", r"printf '\e[4;12r\e[?6h\e[1;5Horigin\e[?6l\e[r\e[%d;1H\n' $L"),
    ("reverse_index", r"printf '\e[1;1H\eM\eMtop\e[%d;1H\n' $L"),
    ("scroll_up_down", r"printf '\e[3S\e[1T\e[%d;1H\n' $L"),
    ("line_drawing", r"printf '\e(0lqqk\e(B \e)0\x0exqx\x0f ok\n'"),
    ("title", r"printf '\e]2;golden title\a\e]1;icon\a\n'"),
    ("decaln", r"printf '\e#8\e[12;30H decaln \e[%d;1H\n' $L"),
    ("erase_below", r"printf '\e[10;1H\e[J\e[%d;1H\n' $L"),
)


def _scenarios() -> dict[str, Scenario]:
    esc = "\\e"
    shell = Scenario(
        "shell",
        (
            typed(
                f"echo -e '{esc}[1;31mred{esc}[0m {esc}[38;5;208morange{esc}[0m "
                f"{esc}[38;2;10;200;120mtruecolor{esc}[0m {esc}[4munder{esc}[24m "
                f"{esc}[7minverse{esc}[27m'",
                "colours",
            ),
            typed(
                "printf 'wide: \\u65e5\\u672c\\u8a9e\\u30c6\\u30ad\\u30b9\\u30c8 -- "
                "cafe\\u0301 na\\u00efve\\n'",
                "unicode",
            ),
            typed("echo $(seq 1 60)", "wrapped"),
            typed("printf '%s\\n' {1..40}", "scrolled"),
            typed("printf 'tab\\there\\tand\\there\\n'; printf 'over\\rOVER\\n'", "controls"),
            typed("exit", "exit"),
        ),
        "bash --norc with a coloured PS1: colours, CJK and combining marks, a wrapped "
        "line, output that scrolls into history, tabs and carriage returns",
    )
    ls = Scenario(
        "ls",
        (
            typed("ls --color=always", "ls"),
            typed("ls -l --color=always --time-style=long-iso", "ls_long"),
            typed("ls -F --color=always sub", "ls_sub"),
            typed("exit", "exit"),
        ),
        "ls --color on a fixed directory (directories, executables, symlinks, archives)",
    )
    git_log = Scenario(
        "git_log",
        (
            typed(
                "git --no-pager log --graph --color=always --decorate --oneline --all", "oneline"
            ),
            typed("git --no-pager log --graph --color=always --decorate -4", "full"),
            typed("exit", "exit"),
        ),
        "git log --graph --color on a small repository with fixed authors and dates",
    )
    vim = Scenario(
        "vim",
        (
            typed("vim notes.py", "open", quiet=0.8),
            Step(b"\x06", "page_down"),  # Ctrl-F
            Step(b":split\r", "split"),
            Step(b"\x17j", "other_window"),  # Ctrl-W j
            Step(b"G", "end"),
            Step(b":qa!\r", "quit", quiet=0.6),
            typed("exit", "exit"),
        ),
        "vim with syntax colours and line numbers: open, page down, :split, G, quit",
        full_screen=True,
    )
    less = Scenario(
        "less",
        (
            typed("less story.txt", "open"),
            Step(b" ", "page_down"),
            Step(b"/needle\r", "search"),
            Step(b"n", "next_match"),
            Step(b"q", "quit"),
            typed("exit", "exit"),
        ),
        "less: open, page down, search with highlighting, next match, quit",
        full_screen=True,
    )
    man = Scenario(
        "man",
        (
            typed("man ls", "open", quiet=1.0, timeout=30.0),
            Step(b" ", "page_down"),
            Step(b"q", "quit"),
            typed("exit", "exit"),
        ),
        "man ls through less: bold and underlined text, page down, quit",
        full_screen=True,
    )
    top = Scenario(
        "top",
        (
            typed("top -d 1", "open", quiet=0.3),
            Step(b"", "refresh", wait=1.2, quiet=0.3),
            Step(b"z", "colour", quiet=0.3),
            Step(b"", "refresh2", wait=1.2, quiet=0.3),
            Step(b"q", "quit"),
            typed("exit", "exit"),
        ),
        "top -d 1: two refreshes, colour mode toggled with z, quit (top stays on the "
        "primary screen)",
    )
    edges = Scenario(
        "edges",
        (
            typed("C=$(tput cols) L=$(tput lines)"),
            *(typed(command, label) for label, command in EDGE_COMMANDS),
            typed("exit", "exit"),
        ),
        "printf of the sequences real programs lean on, one checkpoint each: a wide "
        "character at the last column, combining marks, ICH/DCH/ECH, REP and tabs, IRM, "
        "DECAWM off, EL, DECSC/DECRC, DECSTBM, DECOM, RI at the top, SU/SD, DEC line "
        "drawing, OSC titles, DECALN, ED",
    )
    htop = Scenario(
        "htop",
        (
            # Only the shell's own process is listed: other command lines on this machine
            # are neither deterministic nor ours to record.
            typed("htop -d 10 -p $$", "open", quiet=0.3),
            Step(b"", "refresh", wait=1.2, quiet=0.3),
            Step(b"\x1bOQ", "setup", quiet=0.5),  # F2: the setup screen
            Step(b"\x1b[21~", "setup_closed", quiet=0.5),  # F10 leaves it
            Step(b"q", "quit"),
            typed("exit", "exit"),
        ),
        "htop -d 10 for the shell's process: meters and bars in colour, a refresh, the F2 "
        "setup screen and back, quit",
        full_screen=True,
    )
    curses_ = Scenario(
        "curses",
        (
            typed("python3 boxes.py", "open", quiet=0.6),
            Step(b"n", "next"),
            Step(b"n", "next2"),
            Step(b"q", "quit"),
            typed("exit", "exit"),
        ),
        "a Python curses program: box, 8 and 256 colours, a sub-window, updates, quit",
        full_screen=True,
    )
    scenarios = (shell, edges, ls, git_log, vim, less, man, top, htop, curses_)
    return {s.name: s for s in scenarios}


# ---------------------------------------------------------------------------------------
# The fixed world the programs see
# ---------------------------------------------------------------------------------------
PS1 = r"\[\e[1;32m\]ember@golden\[\e[0m\]:\[\e[1;34m\]\w\[\e[0m\]\$ "

CURSES_PROGRAM = """\
import curses


def main(stdscr):
    curses.start_color()
    curses.use_default_colors()
    curses.curs_set(0)
    height, width = stdscr.getmaxyx()
    for i in range(1, 8):
        curses.init_pair(i, i, -1)
    stdscr.box()
    stdscr.addstr(0, 2, " Emberterm golden ", curses.A_BOLD)
    for i in range(1, 8):
        stdscr.addstr(1 + i, 3, f"colour {i}", curses.color_pair(i))
        stdscr.addstr(1 + i, 14, "bold", curses.color_pair(i) | curses.A_BOLD)
    stdscr.addstr(10, 3, "reverse", curses.A_REVERSE)
    stdscr.addstr(10, 12, "underline", curses.A_UNDERLINE)
    if curses.COLORS >= 256 and curses.COLOR_PAIRS > 64:
        for n in range(min(48, width - 6)):
            curses.init_pair(16 + n, -1, 16 + n * 4)
            stdscr.addstr(12, 3 + n, " ", curses.color_pair(16 + n))
    win = curses.newwin(7, 32, 3, width - 36)
    win.box()
    win.addstr(0, 2, " status ")
    stdscr.addstr(height - 2, 2, "n: next   q: quit")
    stdscr.noutrefresh()
    count = 0
    while True:
        win.addstr(2, 2, f"updates: {count:3d}")
        win.addstr(3, 2, "[" + "#" * (count * 4) + "." * (24 - count * 4) + "]")
        win.noutrefresh()
        curses.doupdate()
        key = stdscr.getch()
        if key == ord("q"):
            break
        if key == ord("n"):
            count = min(count + 1, 6)


curses.wrapper(main)
"""

VIMRC = """\
set nocompatible
syntax on
set number
set ruler
set laststatus=2
set noswapfile
set viminfo=
set nobackup
set belloff=all
"""

WORDS = [
    "ember",
    "terminal",
    "screen",
    "cursor",
    "scroll",
    "region",
    "glyph",
    "palette",
    "history",
    "frame",
    "replica",
    "session",
    "worker",
    "socket",
    "packet",
    "breaker",
    "timeout",
    "replay",
    "golden",
    "byte",
    "stream",
    "parser",
]


def _story() -> str:
    lines = []
    for i in range(1, 301):
        words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(3 + i % 9)]
        if i in (37, 90, 150):
            words.insert(1, "needle")
        lines.append(f"{i:4d} " + " ".join(words))
    return "\n".join(lines) + "\n"


def _notes_py() -> str:
    out = ['"""Notes for the golden vim recording."""', "", "import math", ""]
    for i in range(1, 41):
        out += [
            f"def step_{i:02d}(x: int) -> int:",
            f'    """Step {i}: {WORDS[i % len(WORDS)]} {WORDS[(i * 3) % len(WORDS)]}."""',
            f"    return x * {i} + int(math.sqrt({i * i}))  # {WORDS[(i * 5) % len(WORDS)]}",
            "",
        ]
    return "\n".join(out) + "\n"


def _git(repo: Path, env: dict[str, str], *args: str, when: str | None = None) -> None:
    e = dict(env)
    if when:
        e["GIT_AUTHOR_DATE"] = e["GIT_COMMITTER_DATE"] = when
    subprocess.run(["git", *args], cwd=repo, env=e, check=True, capture_output=True)


def _make_repo(repo: Path, env: dict[str, str]) -> None:
    repo.mkdir()
    genv = dict(
        env,
        GIT_AUTHOR_NAME="Ada Ember",
        GIT_AUTHOR_EMAIL="ada@example.org",
        GIT_COMMITTER_NAME="Ada Ember",
        GIT_COMMITTER_EMAIL="ada@example.org",
    )
    _git(repo, genv, "init", "-q", "-b", "main")
    day = 0

    def commit(msg: str, fname: str) -> None:
        nonlocal day
        day += 1
        (repo / fname).write_text(f"{msg}\n")
        _git(repo, genv, "add", fname)
        _git(
            repo,
            genv,
            "commit",
            "-q",
            "-m",
            msg,
            "-m",
            f"Body of: {msg}.",
            when=f"2026-01-{day:02d}T12:00:00+0000",
        )

    commit("Initial skeleton", "README")
    commit("Add the emulator", "emulator.txt")
    _git(repo, genv, "checkout", "-q", "-b", "feature/frames")
    commit("Frames carry dirty lines", "frames.txt")
    commit("Replica applies frames", "replica.txt")
    _git(repo, genv, "checkout", "-q", "main")
    commit("Scrollback stays compact", "scrollback.txt")
    day += 1
    _git(
        repo,
        genv,
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'feature/frames'",
        "feature/frames",
        when=f"2026-01-{day:02d}T12:00:00+0000",
    )
    commit("Release 0.1", "VERSION")
    _git(repo, genv, "tag", "v0.1")
    _git(repo, genv, "checkout", "-q", "-b", "wip")
    commit("Work in progress", "wip.txt")
    _git(repo, genv, "checkout", "-q", "main")


def make_world(home: Path) -> tuple[dict[str, str], Path]:
    """Create HOME with every file the scenarios look at; return (env, working dir)."""
    env = {
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "SHELL": "/bin/bash",
        "USER": "ember",
        "LOGNAME": "ember",
        "PS1": PS1,
        "PAGER": "less",
        "MANPAGER": "less",
        "LESSHISTFILE": "-",
        "GIT_CONFIG_NOSYSTEM": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    work = home / "work"
    work.mkdir()
    (home / ".vimrc").write_text(VIMRC)
    (work / "notes.py").write_text(_notes_py())
    (work / "story.txt").write_text(_story())
    (work / "boxes.py").write_text(CURSES_PROGRAM)
    sub = work / "sub"
    sub.mkdir()
    for name in ("archive.tar.gz", "photo.png", "song.ogg", "plain.txt", "Makefile"):
        (sub / name).write_text(name + "\n")
    (sub / "run.sh").write_text("#!/bin/sh\necho run\n")
    (sub / "run.sh").chmod(0o755)
    (sub / "nested").mkdir()
    (sub / "link-to-plain").symlink_to("plain.txt")
    (sub / "broken-link").symlink_to("does-not-exist")
    os.mkfifo(sub / "pipe")
    _make_repo(work / "repo", env)
    stamp = time.mktime(time.strptime("2026-02-03 04:05", "%Y-%m-%d %H:%M"))
    for path in sorted(work.rglob("*"), reverse=True):
        if ".git" not in path.parts:
            os.utime(path, (stamp, stamp), follow_symlinks=False)
    return env, work


# ---------------------------------------------------------------------------------------
# Answering queries the way xterm does
# ---------------------------------------------------------------------------------------
# DEC private modes xterm knows, with their power-on state (for DECRQM).
XTERM_PRIVATE_MODES = {
    1: False,
    3: False,
    4: False,
    5: False,
    6: False,
    7: True,
    8: True,
    9: False,
    12: False,
    25: True,
    40: False,
    45: False,
    47: False,
    66: False,
    67: False,
    69: False,
    95: False,
    1000: False,
    1001: False,
    1002: False,
    1003: False,
    1004: False,
    1005: False,
    1006: False,
    1007: False,
    1015: False,
    1016: False,
    1034: False,
    1036: True,
    1042: False,
    1047: False,
    1048: False,
    1049: False,
    2004: False,
    2026: False,
}
XTERM_ANSI_MODES = {2: False, 4: False, 12: True, 20: False}

QUERY = re.compile(
    rb"\x1b\[(?P<da>[>=]?)0?c"  # DA1 / DA2 / DA3
    rb"|\x1b\[(?P<dsr>\??[56])n"  # DSR status, CPR, DECXCPR
    rb"|\x1b\[(?P<rqm>\??)(?P<mode>\d+)\$p"  # DECRQM
    rb"|\x1b\[>0?q"  # XTVERSION
    rb"|\x1b\](?P<osc>1[0-2]|4;\d+);\?(?P<st>\x07|\x1b\\)"  # colour queries
    rb"|\x1b\[(?P<winop>1[4689])t"  # XTWINOPS reports
    rb"|\x1bP\+q(?P<tcap>[0-9A-Fa-f;]*)\x1b\\"  # XTGETTCAP
    rb"|\x1bP\$q(?P<rqss>[^\x1b]*)\x1b\\"  # DECRQSS
    rb"|\x1b\[(?P<set>\??)(?P<modes>[\d;]*)(?P<hl>[hl])"  # mode changes, tracked
)


# XTGETTCAP: xterm answers key and colour capabilities by termcap or terminfo name from
# its own tables; the values are xterm-256color's, read from terminfo.
_TERMCAP_TO_TERMINFO = {
    **{f"k{n}": f"kf{n}" for n in range(1, 10)},
    "k;": "kf10",
    "F1": "kf11",
    "F2": "kf12",
    "kb": "kbs",
    "kd": "kcud1",
    "ku": "kcuu1",
    "kl": "kcub1",
    "kr": "kcuf1",
    "kh": "khome",
    "@7": "kend",
    "kI": "kich1",
    "kD": "kdch1",
    "kN": "knp",
    "kP": "kpp",
    "kB": "kcbt",
    "K1": "ka1",
    "K3": "ka3",
    "K4": "kc1",
    "K5": "kc3",
    "#2": "kHOM",
    "#4": "kLFT",
    "%i": "kRIT",
    "*7": "kEND",
    "%1": "khlp",
    "&8": "kund",
}


def _xtgettcap(hex_name: bytes) -> bytes:
    import curses

    try:
        name = bytes.fromhex(hex_name.decode()).decode()
    except ValueError:
        return b"\x1bP0+r" + hex_name + b"\x1b\\"
    curses.setupterm("xterm-256color", sys.stdout.fileno() if sys.stdout.isatty() else -1)
    value: bytes | None = None
    if name in ("Co", "colors"):
        value = str(curses.tigetnum("colors")).encode()
    elif name in ("TN", "name"):
        value = b"xterm-256color"
    else:
        value = curses.tigetstr(_TERMCAP_TO_TERMINFO.get(name, name))
    if not value:
        return b"\x1bP0+r" + hex_name + b"\x1b\\"  # xterm's answer for a name it lacks
    return b"\x1bP1+r" + hex_name + b"=" + value.hex().encode() + b"\x1b\\"


class _CursorScreen(pyte.Screen):  # type: ignore[misc]
    # pyte 0.8.2 passes private=True to SGR for "CSI ? 4 m" (XTQMODKEYS, sent by vim)
    # and then fails; the query changes nothing on screen.
    def select_graphic_rendition(self, *attrs: int, private: bool = False) -> None:
        if not private:
            super().select_graphic_rendition(*attrs)


class Responder:
    """Finds queries in a program's output and produces xterm's replies.

    A pyte screen follows the output so that cursor position reports are right; pyte is a
    second, independent emulator here, used only for the cursor.
    """

    def __init__(self, columns: int, rows: int) -> None:
        self.columns, self.rows = columns, rows
        self.screen = _CursorScreen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.buf = bytearray()
        self.fed = 0  # bytes of buf given to pyte
        self.scanned = 0  # no query starts before this offset
        self.private = dict(XTERM_PRIVATE_MODES)
        self.ansi = dict(XTERM_ANSI_MODES)
        self.answered: list[str] = []

    def _feed_to(self, end: int) -> None:
        if end > self.fed:
            try:
                self.stream.feed(bytes(self.buf[self.fed : end]))
            except Exception:  # pyte chokes on a few sequences; the cursor is what matters
                self.stream = pyte.ByteStream(self.screen)
            self.fed = end

    def receive(self, data: bytes) -> bytes:
        self.buf += data
        replies = bytearray()
        for m in QUERY.finditer(self.buf, self.scanned):
            self._feed_to(m.end())
            reply = self._reply(m)
            if reply:
                replies += reply
                self.answered.append(m.group().decode("latin-1").replace("\x1b", "ESC"))
            self.scanned = m.end()
        # A query split across reads is found on the next call; keep a short tail.
        self.scanned = max(self.scanned, len(self.buf) - 64)
        self._feed_to(len(self.buf))
        return bytes(replies)

    def _reply(self, m: re.Match[bytes]) -> bytes:
        g = m.groupdict()
        text = m.group()
        if g["modes"] is not None and g["hl"]:
            table = self.private if g["set"] else self.ansi
            for p in g["modes"].split(b";"):
                if p:
                    table[int(p)] = g["hl"] == b"h"
            return b""
        if g["da"] is not None and text.endswith(b"c"):
            return {
                b"": b"\x1b[?64;1;2;6;9;15;16;17;18;21;22;28c",
                b">": b"\x1b[>41;379;0c",
                b"=": b"\x1bP!|00000000\x1b\\",
            }[g["da"]]
        if g["dsr"]:
            if g["dsr"] == b"5":
                return b"\x1b[0n"
            row, col = self.screen.cursor.y + 1, self.screen.cursor.x + 1
            prefix = b"?" if g["dsr"].startswith(b"?") else b""
            return b"\x1b[" + prefix + f"{row};{col}R".encode()
        if g["mode"]:
            mode = int(g["mode"])
            table = self.private if g["rqm"] else self.ansi
            value = 0 if mode not in table else (1 if table[mode] else 2)
            return b"\x1b[" + g["rqm"] + f"{mode};{value}$y".encode()
        if text.endswith(b"q") and text.startswith(b"\x1b[>"):
            return b"\x1bP>|XTerm(379)\x1b\\"
        if g["osc"]:
            which = g["osc"].decode()
            value = {
                "10": "rgb:0000/0000/0000",
                "11": "rgb:ffff/ffff/ffff",
                "12": "rgb:0000/0000/0000",
            }.get(which, "rgb:8080/8080/8080")
            return f"\x1b]{which};{value}".encode() + g["st"]
        if g["winop"]:
            op = int(g["winop"])
            return {
                14: f"\x1b[4;{self.rows * 16};{self.columns * 8}t",
                16: "\x1b[6;16;8t",
                18: f"\x1b[8;{self.rows};{self.columns}t",
                19: f"\x1b[9;{self.rows};{self.columns}t",
            }[op].encode()
        if g["tcap"] is not None:
            return b"".join(_xtgettcap(name) for name in g["tcap"].split(b";") if name)
        if g["rqss"] is not None:
            known = {
                b"m": b"0m",
                b"r": f"1;{self.rows}r".encode(),
                b" q": b"2 q",
                b'"q': b'0"q',
                b'"p': b'64;1"p',
            }
            setting = g["rqss"]
            if setting in known:
                return b"\x1bP1$r" + known[setting] + b"\x1b\\"
            return b"\x1bP0$r\x1b\\"
        return b""


# ---------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------
@dataclass
class Recording:
    name: str
    scenario: str
    columns: int
    rows: int
    data: bytearray = field(default_factory=bytearray)
    checkpoints: list[dict[str, object]] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)


def _pump(proc: PtyProcess, responder: Responder, rec: Recording, step: Step) -> None:
    start = time.monotonic()
    last = start
    while True:
        now = time.monotonic()
        if now - start > step.timeout:
            print(f"  ! {rec.name}: step {step.label} timed out, going on", file=sys.stderr)
            return
        if now - start >= step.wait and now - last >= step.quiet:
            return
        ready, _, _ = select.select([proc.fd], [], [], 0.05)
        if not ready:
            continue
        try:
            chunk = os.read(proc.fd, 65536)
        except OSError:  # EIO: the child is gone
            return
        if not chunk:
            return
        last = time.monotonic()
        rec.data += chunk
        reply = responder.receive(chunk)
        if reply:
            os.write(proc.fd, reply)


def record(
    scenario: Scenario, columns: int, rows: int, env: dict[str, str], cwd: Path
) -> Recording:
    rec = Recording(f"{scenario.name}-{columns}x{rows}", scenario.name, columns, rows)
    responder = Responder(columns, rows)
    proc = PtyProcess.spawn(
        ["bash", "--norc", "--noprofile"], env=env, cwd=str(cwd), dimensions=(rows, columns)
    )
    try:
        _pump(proc, responder, rec, Step(b"", "prompt", wait=0.3, quiet=0.5))
        rec.checkpoints.append({"label": "prompt", "offset": len(rec.data)})
        for step in scenario.steps:
            # Keys one byte-group at a time would be slower to replay; programs read them
            # fine in one write, as they do from a fast typist or a paste.
            if step.keys:
                os.write(proc.fd, step.keys)
            _pump(proc, responder, rec, step)
            if step.label:
                rec.checkpoints.append({"label": step.label, "offset": len(rec.data)})
    finally:
        proc.terminate(force=True)
    rec.answered = responder.answered
    rec.checkpoints += alternate_screen_checkpoints(bytes(rec.data))
    rec.checkpoints.sort(key=lambda c: int(c["offset"]))  # type: ignore[call-overload]
    return rec


ALT_SWITCH = re.compile(rb"\x1b\[\?(?:1049|1047|47)([hl])")


def alternate_screen_checkpoints(data: bytes) -> list[dict[str, object]]:
    """Checkpoints just before each switch to the alternate screen and just after the
    switch back, paired: the primary screen must be the same at both."""
    out: list[dict[str, object]] = []
    n = 0
    entered: int | None = None
    for m in ALT_SWITCH.finditer(data):
        if m.group(1) == b"h" and entered is None:
            entered = m.start()
        elif m.group(1) == b"l" and entered is not None:
            n += 1
            out.append({"label": f"before_alt{n}", "offset": entered, "pair": f"alt{n}"})
            out.append({"label": f"after_alt{n}", "offset": m.end(), "pair": f"alt{n}"})
            entered = None
    return out


# ---------------------------------------------------------------------------------------
# Expected screens from tmux
# ---------------------------------------------------------------------------------------
FEEDER = r"""
import os, sys, termios, tty
data = open(sys.argv[1], "rb").read()
tty.setraw(0)  # stdin and stdout are the pane's tty: no newline translation, no echo
pos = 0
with open(sys.argv[2]) as ctl, open(sys.argv[3], "w") as ack:
    for line in ctl:
        end = int(line)
        view = memoryview(data)[pos:end]
        while view:
            view = view[os.write(1, view):]
        pos = end
        termios.tcdrain(1)
        ack.write("ok\n")
        ack.flush()
"""

TMUX_CONF = """\
set -g status off
set -g default-terminal xterm-256color
set -g history-limit 100000
set -g escape-time 0
set -g scroll-on-clear off
set -g remain-on-exit on
"""


class Tmux:
    def __init__(self, workdir: Path) -> None:
        self.socket = f"emberterm-golden-{os.getpid()}"
        self.conf = workdir / "tmux.conf"
        self.conf.write_text(TMUX_CONF)

    def __call__(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, "-f", str(self.conf), *args],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout

    def kill_server(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        # tmux 3.3a leaves the socket file behind after kill-server.
        tmpdir = os.environ.get("TMUX_TMPDIR", "/tmp")
        Path(tmpdir, f"tmux-{os.getuid()}", self.socket).unlink(missing_ok=True)


def expected_screens(rec: Recording, tmux: Tmux, workdir: Path) -> None:
    """Fill each checkpoint of ``rec`` with tmux's screen, cursor and alternate flag."""
    binfile = workdir / f"{rec.name}.bin"
    binfile.write_bytes(bytes(rec.data))
    feeder = workdir / "feeder.py"
    feeder.write_text(FEEDER)
    ctl, ack = workdir / f"{rec.name}.ctl", workdir / f"{rec.name}.ack"
    for fifo in (ctl, ack):
        if fifo.exists():
            fifo.unlink()
        os.mkfifo(fifo)
    target = rec.name.replace(".", "_")
    tmux(
        "new-session",
        "-d",
        "-s",
        target,
        "-x",
        str(rec.columns),
        "-y",
        str(rec.rows),
        "--",
        sys.executable,
        str(feeder),
        str(binfile),
        str(ctl),
        str(ack),
    )
    tmux("resize-window", "-t", target, "-x", str(rec.columns), "-y", str(rec.rows))
    # tmux titles a new pane with the host name; xterm's title is empty until set.
    tmux("select-pane", "-t", target, "-T", "")
    with open(ctl, "w") as ctl_w, open(ack) as ack_r:
        for cp in rec.checkpoints:
            ctl_w.write(f"{cp['offset']}\n")
            ctl_w.flush()
            ack_r.readline()
            cp.update(_settled_capture(tmux, target))
        last = rec.checkpoints[-1]
        size = int(last["history_size"])  # type: ignore[call-overload]
        lines: list[str] = []
        if size:  # with no history, "-E -1" would still give the top screen row
            first = min(size, 200)
            out = tmux("capture-pane", "-p", "-t", target, "-S", f"-{first}", "-E", "-1")
            lines = out.split("\n")[:-1]
        last["history_tail"] = [line.rstrip() for line in lines]
    tmux("kill-session", "-t", target)


def _settled_capture(tmux: Tmux, target: str) -> dict[str, object]:
    previous = None
    for _ in range(40):
        time.sleep(0.05)
        screen = tmux("capture-pane", "-p", "-e", "-t", target).split("\n")[:-1]
        info = tmux(
            "display",
            "-p",
            "-t",
            target,
            "#{cursor_x} #{cursor_y} #{alternate_on} #{pane_width} #{pane_height} "
            "#{history_size} #{pane_title}",
        )
        now = (screen, info)
        if now == previous:
            break
        previous = now
    fields = info.rstrip("\n").split(" ", 6)
    x, y, alt, w, h, history = (int(v) for v in fields[:6])
    return {
        "screen": [_plain(line) for line in screen],
        "styled": screen,
        "cursor": [x, y],
        "alternate": bool(alt),
        "size": [w, h],
        "history_size": history,
        "title": fields[6],
    }


SGR = re.compile(r"\x1b\[[0-9;:]*m")


def _plain(styled: str) -> str:
    """What ``capture-pane -p`` without ``-e`` gives: no SGR, no charset shifts."""
    return SGR.sub("", styled).replace("\x0e", "").replace("\x0f", "").rstrip()


# DEC Special Graphics, 0x5f-0x7e, as xterm draws them (VT100 User Guide table 3-9).
DEC_GRAPHICS = dict(
    zip("_`abcdefghijklmnopqrstuvwxyz{|}~", " ◆▒␉␌␍␊°±␤␋┘┐┌└┼⎺⎻─⎼⎽├┤┴┬│≤≥π≠£·", strict=True)
)


def _dec_graphics(styled: list[str]) -> list[str]:
    """The lines with cells tmux marks as line-drawing (between SO and SI) translated.

    tmux emits SO/SI only when the state changes, so it carries from line to line."""
    lines, graphics = [], False
    for line in styled:
        out = []
        for ch in SGR.sub("", line):
            if ch == "\x0e":
                graphics = True
            elif ch == "\x0f":
                graphics = False
            else:
                out.append(DEC_GRAPHICS.get(ch, ch) if graphics else ch)
        lines.append("".join(out).rstrip())
    return lines


# ---------------------------------------------------------------------------------------
# Where tmux and xterm disagree, xterm's documented behaviour wins.
# ---------------------------------------------------------------------------------------
# (scenario, predicate on checkpoint, fix-up, reason).  Filled as differences are found.
Override = tuple[
    str, Callable[[dict[str, object]], bool], Callable[[Recording, dict[str, object]], None], str
]


def _pending_wrap_cursor(rec: Recording, cp: dict[str, object]) -> None:
    x, y = cp["cursor"]  # type: ignore[misc]
    if x >= rec.columns:
        cp["cursor"] = [rec.columns - 1, y]


def _line_drawing(rec: Recording, cp: dict[str, object]) -> None:
    cp["screen"] = _dec_graphics(cp["styled"])  # type: ignore[arg-type]


# tmux 3.3a ignores CHT (CSI Ps I), so for the "rep_tabs" command it draws "y" and then
# overwrites it; xterm moves forward two tab stops (ctlseqs: "Cursor Forward Tabulation Ps
# tab stops"): "y" stays at column 8, " z" lands at 24-25 and CBT brings "!" back to 24.
_CHT_TMUX = "xxxxx   ! z"
_CHT_XTERM = "xxxxx   y" + " " * 15 + "!z"


def _screen_and_history(cp: dict[str, object]) -> list[str]:
    return [*cp["screen"], *cp.get("history_tail", [])]  # type: ignore[misc]


def _replace_lines(cp: dict[str, object], fix: Callable[[str], str]) -> None:
    for key in ("screen", "history_tail"):
        if key in cp:
            lines: list[str] = cp[key]  # type: ignore[assignment]
            cp[key] = [fix(line) for line in lines]


def _cht(rec: Recording, cp: dict[str, object]) -> None:
    _replace_lines(cp, lambda line: _CHT_XTERM if line == _CHT_TMUX else line)


# The "combining" command ends its line with "x", ZWJ, "y".
_ZWJ_TMUX = "\u65e5\u0301 xy"
_ZWJ_XTERM = "\u65e5\u0301 x\u200dy"


def _zwj(rec: Recording, cp: dict[str, object]) -> None:
    _replace_lines(cp, lambda line: line.replace(_ZWJ_TMUX, _ZWJ_XTERM))


OVERRIDES: list[Override] = [
    (
        "*",
        lambda cp: any("\x0e" in line for line in cp["styled"]),  # type: ignore[attr-defined]
        _line_drawing,
        "tmux stores a DEC Special Graphics cell (ESC ( 0, SO) as the ASCII byte received "
        "and capture-pane -p prints that byte ('q', 'x', 'l'); xterm draws the line-drawing "
        "character the VT100 charset assigns to it ('─', '│', '┌'), which is what the "
        "screen holds; the cells come from capture-pane -e, which brackets them in SO/SI",
    ),
    (
        "*",
        lambda cp: cp["cursor"][0] >= cp["size"][0],  # type: ignore[index]
        _pending_wrap_cursor,
        "tmux reports cursor_x == width while a wrap is pending; xterm keeps the cursor "
        "in the last column (the next printable character wraps), which is what "
        "Emulator.cursor reports",
    ),
    (
        "edges",
        lambda cp: _CHT_TMUX in _screen_and_history(cp),
        _cht,
        "tmux 3.3a does not implement CHT (CSI Ps I); xterm moves the cursor forward Ps tab "
        "stops, so the row of the rep_tabs command reads 'xxxxx   y' and '!z' at column 24",
    ),
    (
        "edges",
        lambda cp: any(_ZWJ_TMUX in line for line in _screen_and_history(cp)),
        _zwj,
        "tmux 3.3a drops U+200D ZERO WIDTH JOINER after 'x'; xterm keeps a zero-width "
        "character (wcwidth 0) as a combining character of the cell before it, and so does "
        "the frame model (zero-width characters ride on the character before them)",
    ),
]


def _region_history(rec: Recording) -> list[str]:
    """Drop the lines tmux put into history while the "region" command scrolled a region
    whose top margin is row 3; return the labels of the checkpoints changed."""
    labels = [str(cp["label"]) for cp in rec.checkpoints]
    if "region" not in labels:
        return []
    at = labels.index("region")
    # "one\ntwo\nthree" makes two linefeeds at the region's bottom margin; the Enter
    # that ran the command did not scroll (the prompt was above the last row), so these
    # are the first two lines tmux added in this step; the final linefeed at the bottom of
    # the screen then scrolls one line into history, rightly.
    pushed = 2
    cursor_row = rec.checkpoints[at - 1]["cursor"][1]  # type: ignore[index]
    assert cursor_row < rec.rows - 1, "the Enter would have scrolled: fix the offsets"
    first = int(rec.checkpoints[at - 1]["history_size"])  # type: ignore[call-overload]
    assert int(rec.checkpoints[at]["history_size"]) >= first + pushed  # type: ignore[call-overload]
    for cp in rec.checkpoints[at:]:
        size = int(cp["history_size"])  # type: ignore[call-overload]
        if "history_tail" in cp:
            tail: list[str] = cp["history_tail"]  # type: ignore[assignment]
            start = size - len(tail)  # history index of tail[0]
            assert start <= first, "the tail must reach back to the region's lines"
            cp["history_tail"] = tail[: first - start] + tail[first - start + pushed :]
        cp["history_size"] = size - pushed
    return labels[at:]


# (scenario, fix of the whole recording returning the labels it changed, reason)
RECORDING_OVERRIDES: list[tuple[str, Callable[[Recording], list[str]], str]] = [
    (
        "edges",
        _region_history,
        "tmux 3.3a moves the top line of any scrolling region into history "
        "(grid_scroll_history_region); xterm saves lines only when the region's top margin "
        "is the screen's first line, so the region command adds nothing to history",
    ),
]


def _changed(before: dict[str, object], cp: dict[str, object]) -> dict[str, object]:
    """What tmux said where an override changed it: whole values, or rows by index."""
    out: dict[str, object] = {}
    for key, old in before.items():
        new = cp[key]
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
            out[key] = {str(i): a for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b}
        else:
            out[key] = old
    return out


def apply_overrides(rec: Recording) -> list[dict[str, object]]:
    applied: list[dict[str, object]] = []
    for scenario, fix_all, reason in RECORDING_OVERRIDES:
        if scenario in ("*", rec.scenario):
            before = [cp.get("history_size") for cp in rec.checkpoints]
            labels = fix_all(rec)
            if labels:
                applied.append({"labels": labels, "reason": reason, "tmux_history_sizes": before})
    for cp in rec.checkpoints:
        for scenario, applies, fix, reason in OVERRIDES:
            if scenario in ("*", rec.scenario) and applies(cp):
                keys = [k for k in ("screen", "cursor", "history_tail") if k in cp]
                before = {k: cp[k] for k in keys}
                fix(rec, cp)
                if before != {k: cp[k] for k in keys}:
                    tmux_said = _changed(before, cp)
                    applied.append({"label": cp["label"], "reason": reason, "tmux": tmux_said})
        cp["styles"] = style_runs(cp["styled"], cp["screen"])  # type: ignore[arg-type]
        del cp["styled"]  # the compact runs above say the same in a fraction of the size
    return applied


# ---------------------------------------------------------------------------------------
# Styles: tmux's SGR output (capture-pane -e) as compact per-row runs
# ---------------------------------------------------------------------------------------
# A style is written "fg/bg/flags": a colour is "d" (default), a palette index, or
# "#rrggbb"; flags are letters: b bold, f faint, i italic, u underline (any kind),
# k blink, r reverse, h hidden, s strike, o overline. Runs cover the characters of the
# row's text (trailing blanks cut, as in "screen"); a row in the default style is "".
_SGR_FLAGS = {
    1: "b",
    2: "f",
    3: "i",
    4: "u",
    5: "k",
    6: "k",
    7: "r",
    8: "h",
    9: "s",
    21: "u",
    53: "o",
}
_SGR_CLEAR = {22: "bf", 23: "i", 24: "u", 25: "k", 27: "r", 28: "h", 29: "s", 55: "o"}
DEFAULT_STYLE_KEY = "d/d/"


class SgrState:
    """The style an SGR stream has set so far (enough of ECMA-48 for tmux's output)."""

    def __init__(self) -> None:
        self.fg = "d"
        self.bg = "d"
        self.flags: set[str] = set()

    def key(self) -> str:
        return f"{self.fg}/{self.bg}/{''.join(sorted(self.flags))}"

    def apply(self, params: str) -> None:
        groups = [g.split(":") for g in (params or "0").split(";")]
        i = 0
        while i < len(groups):
            head = groups[i]
            n = int(head[0] or 0)
            if n in (38, 48, 58):
                colour, i = _extended_colour(groups, i)
                if n == 38:
                    self.fg = colour
                elif n == 48:
                    self.bg = colour
            elif n == 0:
                self.fg, self.bg, self.flags = "d", "d", set()
            elif n == 4 and len(head) > 1:
                (self.flags.add if head[1] not in ("", "0") else self.flags.discard)("u")
            elif n in _SGR_FLAGS:
                self.flags.add(_SGR_FLAGS[n])
            elif n in _SGR_CLEAR:
                self.flags -= set(_SGR_CLEAR[n])
            elif 30 <= n <= 37:
                self.fg = str(n - 30)
            elif 40 <= n <= 47:
                self.bg = str(n - 40)
            elif 90 <= n <= 97:
                self.fg = str(n - 90 + 8)
            elif 100 <= n <= 107:
                self.bg = str(n - 100 + 8)
            elif n == 39:
                self.fg = "d"
            elif n == 49:
                self.bg = "d"
            i += 1


def _extended_colour(groups: list[list[str]], i: int) -> tuple[str, int]:
    """Parse 38/48/58 in either form (``38;5;n``, ``38;2;r;g;b`` or the colon forms)."""
    head = groups[i]
    if len(head) > 1:  # colon form: 38:5:n, 38:2::r:g:b or 38:2:r:g:b
        sub = head[1:]
        if sub[0] == "5":
            return sub[1], i
        rgb = sub[-3:]
        return "#" + "".join(f"{int(v or 0):02x}" for v in rgb), i
    kind = groups[i + 1][0] if i + 1 < len(groups) else ""
    if kind == "5" and i + 2 < len(groups):
        return groups[i + 2][0], i + 2
    if kind == "2" and i + 4 < len(groups):
        rgb = [groups[i + k][0] for k in (2, 3, 4)]
        return "#" + "".join(f"{int(v or 0):02x}" for v in rgb), i + 4
    return "d", i + 1


_ESCAPE = re.compile(r"\x1b\[([0-9;:]*)m|[\x0e\x0f]")


def style_runs(styled: list[str], screen: list[str]) -> list[str]:
    """Per row, runs ``"count:style"`` over the characters of the row's text, joined by
    spaces; "" for a row in the default style."""
    state = SgrState()  # tmux carries the SGR state from one line to the next
    rows = []
    for line, text in zip(styled, screen, strict=True):
        keys: list[str] = []
        pos = 0
        for m in _ESCAPE.finditer(line):
            keys += [state.key()] * (m.start() - pos)
            if m.group(1) is not None:
                state.apply(m.group(1))
            pos = m.end()
        keys += [state.key()] * (len(line) - pos)
        # An override may lengthen a row beyond what tmux drew: the rest is unstyled.
        keys = (keys + [DEFAULT_STYLE_KEY] * len(text))[: len(text)]
        runs: list[list[object]] = []
        for key in keys:
            if runs and runs[-1][1] == key:
                runs[-1][0] += 1  # type: ignore[operator]
            else:
                runs.append([1, key])
        if all(key == DEFAULT_STYLE_KEY for _, key in runs):
            runs = []
        rows.append(" ".join(f"{count}:{key}" for count, key in runs))
    return rows


# ---------------------------------------------------------------------------------------
def write(
    rec: Recording, out: Path, scenario: Scenario, overrides: list[object], tmux_version: str
) -> None:
    (out / f"{rec.name}.bin").write_bytes(bytes(rec.data))
    meta = {
        "format": FORMAT_VERSION,
        "name": rec.name,
        "scenario": rec.scenario,
        "description": scenario.description,
        "full_screen": scenario.full_screen,
        "columns": rec.columns,
        "rows": rec.rows,
        "bytes": len(rec.data),
        "term": "xterm-256color",
        "reference": tmux_version,
        "queries_answered": sorted(set(rec.answered)),
        "overrides": overrides,
        "checkpoints": rec.checkpoints,
    }
    (out / f"{rec.name}.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="scenario names (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--sizes", default=",".join(f"{c}x{r}" for c, r in SIZES))
    args = parser.parse_args(argv)
    scenarios = _scenarios()
    names = args.only or list(scenarios)
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    for tool in ("bash", "tmux", "vim", "less", "man", "top", "htop", "git"):
        if not shutil.which(tool):
            print(f"missing {tool}", file=sys.stderr)
            return 1
    tmux_version = subprocess.run(["tmux", "-V"], capture_output=True, text=True).stdout.strip()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        tmpdir = Path(tmp)
        tmux = Tmux(tmpdir)
        try:
            for name in names:
                for columns, rows in sizes:
                    home = tmpdir / f"home-{name}-{columns}x{rows}"
                    home.mkdir()
                    env, work = make_world(home)
                    rec = record(scenarios[name], columns, rows, env, work)
                    expected_screens(rec, tmux, tmpdir)
                    overrides = apply_overrides(rec)
                    write(rec, args.out, scenarios[name], list(overrides), tmux_version)
                    print(
                        f"{rec.name}: {len(rec.data)} bytes, "
                        f"{len(rec.checkpoints)} checkpoints, "
                        f"{len(overrides)} overrides, {len(rec.answered)} queries answered"
                    )
        finally:
            tmux.kill_server()
    return 0


if __name__ == "__main__":
    sys.exit(main())
