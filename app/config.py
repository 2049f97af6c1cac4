"""Emberterm's configuration: one schema in code, a TOML loader that never refuses to start.

Every key the program reads is a ``Setting`` in ``SCHEMA`` (key, type, default, doc,
validator). Three things are derived from that one list: the defaults (``Config()``), the
reference ``docs/CONFIG.md`` (``scripts/gen_config_doc.py``) and the commented default file
``resources/config.toml`` (``default_toml()``); tests fail when either file is stale.

``load_config(path)`` reads the file and returns a ``Config`` plus the warnings for a person
to read. A file that is not valid TOML, a value of the wrong type or out of range and an
unknown key each give a warning naming the key (and the line, where it can be found); the
offending value falls back to its default and everything else still applies. A missing file
is not an error: the defaults apply.

What it does not do: no Qt (the GUI's live reload is ``app.gui.config_watch``; the worker
shares this module), no writing of the user's file.
"""

from __future__ import annotations

import builtins
import re
import textwrap
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A validator returns None when the value is fine, else a short reason ("must be ...").
Validator = Callable[[Any], str | None]


@dataclass(frozen=True)
class Setting:
    """One configuration key: dotted ``key`` (``"font.size"``), Python ``type``, default."""

    key: str
    type: builtins.type
    default: Any
    doc: str
    validator: Validator | None = None
    # For list settings: the type of the items.
    item_type: builtins.type | None = None

    @property
    def type_name(self) -> str:
        if self.type is list:
            return f"list of {_TYPE_NAMES[self.item_type or str]}s"
        return _TYPE_NAMES[self.type]


_TYPE_NAMES: dict[type, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "list",
}


# -- validators ------------------------------------------------------------------------
def between(low: float, high: float) -> Validator:
    def check(value: Any) -> str | None:
        return None if low <= value <= high else f"must be between {low:g} and {high:g}"

    return check


def one_of(*choices: str) -> Validator:
    def check(value: Any) -> str | None:
        if value in choices:
            return None
        return "must be one of " + ", ".join(f'"{c}"' for c in choices)

    return check


def _not_empty(value: Any) -> str | None:
    return None if value.strip() else "must not be empty"


_SHORTCUT_PART = re.compile(r"^[A-Za-z0-9_]+$|^.$")


def shortcut(value: Any) -> str | None:
    """A Qt key sequence in portable text, e.g. ``"Ctrl+Shift+T"``; ``""`` disables it.

    Only the shape is checked here (Qt is not imported); the GUI checks the key names.
    """
    if value == "":
        return None
    for chord in value.split(","):
        chord = chord.strip()
        # "Ctrl++" means Ctrl and the plus key.
        parts = [*chord[:-2].split("+"), "+"] if chord.endswith("++") else chord.split("+")
        if not chord or not all(part and _SHORTCUT_PART.match(part) for part in parts):
            return f'is not a shortcut like "Ctrl+Shift+T" (got "{value}")'
    return None


# -- the schema --------------------------------------------------------------------------
# Actions that have a key binding, with their default shortcut. The GUI binds each one.
KEY_ACTIONS: dict[str, tuple[str, str]] = {
    "new_tab": ("Ctrl+Shift+T", "open a tab in the current tab's working directory"),
    "close_tab": ("Ctrl+Shift+W", "close the current tab (asks first if a program is busy)"),
    "next_tab": ("Ctrl+PgDown", "switch to the tab on the right"),
    "previous_tab": ("Ctrl+PgUp", "switch to the tab on the left"),
    "next_tab_alt": ("Ctrl+Tab", "a second binding for next_tab"),
    "previous_tab_alt": ("Ctrl+Shift+Tab", "a second binding for previous_tab"),
    "move_tab_right": ("Ctrl+Shift+PgDown", "move the current tab one place right"),
    "move_tab_left": ("Ctrl+Shift+PgUp", "move the current tab one place left"),
    "new_window": ("Ctrl+Shift+N", "open a new window"),
    "new_private_tab": ("Ctrl+Shift+P",
                        "open a private tab: nothing it shows is kept in the history store"),
    "global_search": ("Ctrl+Shift+H", "search the history of every session, live and ended"),
    "copy": ("Ctrl+Shift+C", "copy the selection to the clipboard"),
    "paste": ("Ctrl+Shift+V", "paste the clipboard"),
    "find": ("Ctrl+Shift+F", "search the scrollback"),
    "zoom_in": ("Ctrl+=", "make the font larger"),
    "zoom_out": ("Ctrl+-", "make the font smaller"),
    "zoom_reset": ("Ctrl+0", "back to the configured font size"),
}

DEFAULT_WORD_CHARS = "-_.~/?&=%+#:@,$"

# Top-level keys first: in TOML they must come before the first table header.
SCHEMA: tuple[Setting, ...] = (
    Setting("scheme", str, "emberterm-dark",
            "Colour scheme: the name of a file in resources/schemes (without .toml).",
            _not_empty),
    Setting("font.family", str, "monospace", "Font family; any fixed-pitch font installed.",
            _not_empty),
    Setting("font.size", float, 11.0, "Font size in points (5 to 72).", between(5, 72)),
    Setting("scrollback.lines", int, 10000,
            "Lines of history kept per tab (0 keeps none).", between(0, 10_000_000)),
    Setting("shell.program", str, "",
            "Program a new tab runs; empty means $SHELL, else the login shell, else /bin/sh."),
    Setting("shell.args", list, [], "Arguments given to shell.program.", item_type=str),
    Setting("window.columns", int, 80, "Columns of a new window (--geometry overrides).",
            between(2, 1000)),
    Setting("window.rows", int, 24, "Rows of a new window (--geometry overrides).",
            between(2, 1000)),
    Setting("cursor.shape", str, "block",
            "Cursor shape when the program does not choose: block, underline or bar.",
            one_of("block", "underline", "bar")),
    Setting("cursor.blink", bool, True, "Whether the cursor blinks."),
    Setting("bell.visual", bool, True, "Flash the view when a program rings the bell."),
    Setting("bell.urgent", bool, True,
            "Mark the window urgent (taskbar/dock alert) on a bell while it is not active."),
    Setting("selection.copy_on_select", bool, False,
            "Copy a selection to the clipboard as soon as it is made."),
    Setting("selection.word_chars", str, DEFAULT_WORD_CHARS,
            "Characters that count as part of a word for double-click selection, besides "
            "letters and digits."),
    Setting("paste.warning", bool, True,
            "Ask before pasting text that contains a newline or control characters."),
    Setting("keyboard.backspace_sends_ctrl_h", bool, False,
            "Backspace sends ^H (0x08) instead of DEL (0x7f)."),
    Setting("worker.persistent", bool, True,
            "Run sessions in the worker process so they survive the GUI (a later release; "
            "reserved: read but not yet used)."),
    Setting("worker.relay", bool, True,
            "Read each terminal through two small `cat` processes (Linux), so that the "
            "worker parses a flood while they read it: about twice the `cat` throughput "
            "for ~0.3 MB per `cat` (docs/decisions/0016-pty-relay.md). false: the worker "
            "reads its terminals itself."),
    *(
        Setting(f"keys.{action}", str, default, f"Shortcut: {doc}; \"\" disables it.",
                shortcut)
        for action, (default, doc) in KEY_ACTIONS.items()
    ),
)

SCHEMA_BY_KEY: dict[str, Setting] = {s.key: s for s in SCHEMA}


# -- values ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Config(Mapping[str, Any]):
    """Every schema key with its value: ``config["font.size"]``. Immutable."""

    data: Mapping[str, Any] = field(default_factory=lambda: {s.key: s.default for s in SCHEMA})

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __hash__(self) -> int:  # Mapping disables hashing; values may hold lists
        return id(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and dict(self.data) == dict(other.data)

    def shortcut(self, action: str) -> str:
        return str(self.data[f"keys.{action}"])


@dataclass(frozen=True)
class LoadResult:
    config: Config
    warnings: list[str]
    path: Path | None = None


def load_config(path: Path | str | None) -> LoadResult:
    """Read ``path`` (TOML); never raises for bad content. ``None`` or missing: defaults."""
    if path is None:
        return LoadResult(Config(), [])
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadResult(Config(), [], path)
    except (OSError, UnicodeDecodeError) as exc:
        return LoadResult(Config(), [f"{path}: cannot read the file ({exc}); using defaults"],
                          path)
    config, warnings = parse_config(text, source=str(path))
    return LoadResult(config, warnings, path)


def parse_config(text: str, *, source: str = "config") -> tuple[Config, list[str]]:
    """Parse TOML ``text`` against the schema: the config and the warnings, in file order."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The message carries "(at line L, column C)"; keep it whole.
        return Config(), [f"{source}: not valid TOML, using all defaults: {exc}"]
    values = {s.key: s.default for s in SCHEMA}
    found: list[tuple[int, str]] = []
    for key, value in _flatten(data):
        line = find_key_line(text, key)
        where = f"{source}:{line}" if line else source
        setting = SCHEMA_BY_KEY.get(key)
        if setting is None:
            hint = _close_match(key)
            found.append((line, f"{where}: unknown key '{key}' ignored{hint}"))
            continue
        coerced, problem = _check(setting, value)
        if problem is not None:
            found.append(
                (line, f"{where}: '{key}' {problem}; using the default {_toml(setting.default)}")
            )
            continue
        values[key] = coerced
    found.sort(key=lambda item: item[0])
    return Config(values), [message for _, message in found]


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in data.items():
        key = f"{prefix}{name}"
        # A table whose key is a setting (none are tables today) would be its value.
        if isinstance(value, dict) and key not in SCHEMA_BY_KEY:
            yield from _flatten(value, key + ".")
        else:
            yield key, value


def _check(setting: Setting, value: Any) -> tuple[Any, str | None]:
    kind = setting.type
    given = value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is list:
        item = setting.item_type or str
        if not isinstance(value, list) or not all(isinstance(v, item) for v in value):
            return None, f"must be {_article(setting.type_name)}, not {_describe(value)}"
    elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return None, f"must be {_article(setting.type_name)}, not {_describe(value)}"
    if setting.validator is not None:
        problem = setting.validator(value)
        if problem is not None:
            return None, f"{problem} (got {_toml(given)})" if "got" not in problem else problem
    return value, None


def _article(name: str) -> str:
    return ("an " if name[0] in "aeiou" else "a ") + name


def _describe(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "a list", dict: "a table"}
    return f"{names.get(type(value), type(value).__name__)} ({_toml(value)})"


def _close_match(key: str) -> str:
    import difflib

    match = difflib.get_close_matches(key, SCHEMA_BY_KEY, n=1)
    return f" (did you mean '{match[0]}'?)" if match else ""


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ASSIGN = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
                     r"""(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def find_key_line(text: str, key: str) -> int:
    """The 1-based line where dotted ``key`` is assigned, 0 when not found.

    tomllib reports positions only for syntax errors, so for a value of the wrong type the
    line is found by scanning: table headers set the prefix, ``a.b = `` lines the rest.
    """
    table = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        if header and not raw.lstrip().startswith("[["):
            table = _normalise(header.group(1))
            continue
        assign = _ASSIGN.match(raw)
        if assign:
            name = _normalise(assign.group(1))
            full = f"{table}.{name}" if table else name
            if full == key:
                return number
    return 0


def _normalise(dotted: str) -> str:
    parts = [p.strip().strip("\"'") for p in dotted.split(".")]
    return ".".join(parts)


# -- the default file --------------------------------------------------------------------
def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def toml_value(value: Any) -> str:
    """``value`` as TOML source text."""
    return _toml(value)


def default_toml() -> str:
    """The commented default config file (``resources/config.toml``), from the schema.

    Every key is present but commented out, so the file documents the defaults and an
    edit is a matter of removing one ``#``.
    """
    out = [
        "# Emberterm configuration (TOML). Every key is shown with its default value,",
        "# commented out: remove the '#' in front of a key to change it. A wrong value",
        "# is reported in the window and falls back to the default; changes apply live.",
        "# Reference: docs/CONFIG.md (generated from app/config.py).",
    ]
    table = None
    for setting in SCHEMA:
        section, _, name = setting.key.rpartition(".")
        if section != table:
            out.append("")
            out.append(f"[{section}]" if section else "# top-level keys")
            table = section
        out.extend(textwrap.wrap(setting.doc, 88, initial_indent="# ",
                                 subsequent_indent="# "))
        out.append(f"# {name} = {_toml(setting.default)}")
    return "\n".join(out) + "\n"
