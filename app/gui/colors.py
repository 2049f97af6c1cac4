"""Colours: the xterm 256-colour table as data, scheme files, and resolving a cell colour.

A **scheme** (``resources/schemes/<name>.toml``) names the default foreground and
background, the cursor, the selection background and the 16 ANSI colours ``color0`` ..
``color15`` as ``"#rrggbb"``. Colours 16-255 are xterm's: a 6×6×6 cube on the levels in
``CUBE_LEVELS`` and a 24-step grey ramp, derived below from those two tables.

``Palette`` turns a ``terminal.frames`` colour (``DEFAULT_COLOR``, 0-255 or truecolor)
into a ``QColor``; it caches, because the painter asks for every run it paints.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QColor

from terminal.frames import DEFAULT_COLOR, is_rgb, rgb_components

SCHEMES_DIR = Path(__file__).resolve().parents[2] / "resources" / "schemes"
DEFAULT_SCHEME = "emberterm-dark"

# xterm's own defaults for the 16 ANSI colours (XTerm-col.ad), used when a scheme leaves
# one out.
XTERM_16: tuple[str, ...] = (
    "#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
    "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff",
)  # fmt: skip
# xterm's 256colres.h: the cube's channel levels and the grey ramp's first value and step.
CUBE_LEVELS: tuple[int, ...] = (0x00, 0x5F, 0x87, 0xAF, 0xD7, 0xFF)
GREY_START, GREY_STEP, GREY_COUNT = 0x08, 10, 24


def _cube_and_greys() -> tuple[tuple[int, int, int], ...]:
    cube = [(r, g, b) for r in CUBE_LEVELS for g in CUBE_LEVELS for b in CUBE_LEVELS]
    greys = [(v, v, v) for v in (GREY_START + GREY_STEP * i for i in range(GREY_COUNT))]
    return tuple(cube + greys)


# Colours 16..255 as (r, g, b).
XTERM_240: tuple[tuple[int, int, int], ...] = _cube_and_greys()

_REQUIRED = ("foreground", "background")


class SchemeError(ValueError):
    """A scheme file that cannot be used (missing, not TOML, a bad colour)."""


@dataclass(frozen=True)
class Scheme:
    name: str
    foreground: str
    background: str
    cursor: str
    selection_background: str
    ansi: tuple[str, ...]  # color0 .. color15
    cursor_text: str = ""  # text under a block cursor; "" = the background
    selection_foreground: str = ""  # "" = keep the text's own colour


def _check_colour(key: str, value: object) -> str:
    if not isinstance(value, str) or not QColor.isValidColorName(value):
        raise SchemeError(f"{key}: {value!r} is not a colour")
    return value


def scheme_from_dict(name: str, data: dict[str, object]) -> Scheme:
    for key in _REQUIRED:
        if key not in data:
            raise SchemeError(f"scheme {name!r} has no {key}")
    fg = _check_colour("foreground", data["foreground"])
    bg = _check_colour("background", data["background"])
    ansi = tuple(
        _check_colour(f"color{i}", data.get(f"color{i}", XTERM_16[i])) for i in range(16)
    )
    return Scheme(
        name=str(data.get("name", name)),
        foreground=fg,
        background=bg,
        cursor=_check_colour("cursor", data.get("cursor", fg)),
        selection_background=_check_colour(
            "selection_background", data.get("selection_background", ansi[8])
        ),
        ansi=ansi,
        cursor_text=_check_colour("cursor_text", data["cursor_text"])
        if "cursor_text" in data
        else "",
        selection_foreground=_check_colour("selection_foreground", data["selection_foreground"])
        if "selection_foreground" in data
        else "",
    )


def available_schemes(dirs: tuple[Path, ...] = (SCHEMES_DIR,)) -> list[str]:
    names = {p.stem for d in dirs if d.is_dir() for p in d.glob("*.toml")}
    return sorted(names)


def load_scheme(name: str, dirs: tuple[Path, ...] = (SCHEMES_DIR,)) -> Scheme:
    """The scheme called ``name`` from the first of ``dirs`` that has it."""
    for directory in dirs:
        path = directory / f"{name}.toml"
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise SchemeError(f"{path}: {exc}") from exc
            return scheme_from_dict(name, data)
    raise SchemeError(f"no colour scheme called {name!r}")


def load_scheme_or_default(name: str, dirs: tuple[Path, ...] = (SCHEMES_DIR,)) -> Scheme:
    """Like ``load_scheme``, but a broken or unknown scheme falls back to the default."""
    try:
        return load_scheme(name, dirs)
    except SchemeError:
        if name != DEFAULT_SCHEME:
            try:
                return load_scheme(DEFAULT_SCHEME, (*dirs, SCHEMES_DIR))
            except SchemeError:
                pass
        return BUILTIN_SCHEME


# Used only when even the shipped default scheme file cannot be read.
BUILTIN_SCHEME = Scheme(
    name="builtin",
    foreground="#e5e5e5",
    background="#000000",
    cursor="#e5e5e5",
    selection_background="#4d4d4d",
    ansi=XTERM_16,
)


class Palette:
    """A scheme's colours as ``QColor``s, indexed by ``terminal.frames`` colour values."""

    def __init__(self, scheme: Scheme) -> None:
        self.scheme = scheme
        self.foreground = QColor(scheme.foreground)
        self.background = QColor(scheme.background)
        self.cursor = QColor(scheme.cursor)
        self.cursor_text = QColor(scheme.cursor_text or scheme.background)
        self.selection_background = QColor(scheme.selection_background)
        self.selection_foreground = (
            QColor(scheme.selection_foreground) if scheme.selection_foreground else None
        )
        self._indexed = [QColor(c) for c in scheme.ansi] + [QColor(*c) for c in XTERM_240]
        self._rgb: dict[int, QColor] = {}

    def indexed(self, index: int) -> QColor:
        return self._indexed[index & 0xFF]

    def color(self, value: int, default: QColor) -> QColor:
        """The ``QColor`` for a frame colour value; ``default`` for ``DEFAULT_COLOR``."""
        if value == DEFAULT_COLOR or value < 0:
            return default
        if value < 256:
            return self._indexed[value]
        if is_rgb(value):
            found = self._rgb.get(value)
            if found is None:
                if len(self._rgb) > 4096:  # a program cycling through millions of colours
                    self._rgb.clear()
                found = self._rgb[value] = QColor(*rgb_components(value))
            return found
        return default
