"""Lines back into text with SGR escapes (``emberterm cli get-text --escapes``)."""

from __future__ import annotations

from collections.abc import Mapping

from terminal.frames import DEFAULT_COLOR, DEFAULT_STYLE, Attr, Line, Style, is_rgb, rgb_components

_ATTR_CODES = (
    (Attr.BOLD, "1"), (Attr.DIM, "2"), (Attr.ITALIC, "3"), (Attr.BLINK, "5"),
    (Attr.RAPID_BLINK, "6"), (Attr.INVERSE, "7"), (Attr.CONCEAL, "8"), (Attr.STRIKE, "9"),
    (Attr.OVERLINE, "53"),
)


def _color(base: int, color: int) -> list[str]:
    """SGR parameters for a colour: base 30 (foreground), 40 (background) or 58 (underline)."""
    if color == DEFAULT_COLOR:
        return []
    if is_rgb(color):
        r, g, b = rgb_components(color)
        return [f"{base + 8};2;{r};{g};{b}"]
    if base != 58 and color < 8:
        return [str(base + color)]
    if base != 58 and color < 16:
        return [str(base + 60 + color - 8)]
    return [f"{base + 8};5;{color}"]


def sgr(style: Style) -> str:
    """The SGR sequence that sets ``style`` from a reset."""
    params = ["0"]
    params += [code for flag, code in _ATTR_CODES if style.attrs & flag]
    if style.underline:
        params.append("4" if style.underline == 1 else f"4:{style.underline}")
    params += _color(30, style.fg) + _color(40, style.bg) + _color(58, style.underline_color)
    return f"\x1b[{';'.join(params)}m"


def line_to_ansi(line: Line, styles: Mapping[int, Style]) -> str:
    out: list[str] = []
    current = DEFAULT_STYLE
    for text, sid in line.runs:
        style = styles.get(sid, DEFAULT_STYLE)
        if style != current:
            out.append(sgr(style))
            current = style
        out.append(text)
    if current != DEFAULT_STYLE:
        out.append("\x1b[0m")
    return "".join(out)
