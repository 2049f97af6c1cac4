"""SGR (select graphic rendition): parameter text in, a new ``Style`` out.

Both parameter forms are understood: ``;``-separated (``38;5;196``, ``38;2;r;g;b``) and
ITU T.416 ``:`` sub-parameters (``38:5:196``, ``38:2::r:g:b``, ``38:2:r:g:b``, ``4:3``).
Unknown codes are skipped without side effects; a colour with missing or out-of-range
components is ignored as a whole (xterm does the same).

The emulator caches the result per (current style id, parameter text), so the parsing here
runs once per distinct sequence, not once per sequence received.
"""

from __future__ import annotations

import re

from terminal.frames import DEFAULT_COLOR, Attr, Style, Underline, rgb

_RGB_FLAG = 1 << 24

# Plain ints: IntFlag arithmetic costs a Python call per operation.
_SET_FLAGS = {
    1: Attr.BOLD,
    2: Attr.DIM,
    3: Attr.ITALIC,
    5: Attr.BLINK,
    6: Attr.RAPID_BLINK,
    7: Attr.INVERSE,
    8: Attr.CONCEAL,
    9: Attr.STRIKE,
    53: Attr.OVERLINE,
}
_SET = {code: int(flag) for code, flag in _SET_FLAGS.items()}
_CLEAR_FLAGS = {
    22: Attr.BOLD | Attr.DIM,
    23: Attr.ITALIC,
    25: Attr.BLINK | Attr.RAPID_BLINK,
    27: Attr.INVERSE,
    28: Attr.CONCEAL,
    29: Attr.STRIKE,
    55: Attr.OVERLINE,
}
_CLEAR = {code: int(flag) for code, flag in _CLEAR_FLAGS.items()}
_NEW = tuple.__new__
# The forms programs send most: one colour, in the ';' form.
_ONE_COLOR = re.compile(r"([345])8;(?:5;(\d{1,3})|2;(\d{1,3});(\d{1,3});(\d{1,3}))\Z")


def _int(text: str) -> int:
    """A parameter as an int: empty is 0, anything odd is -1 (never valid)."""
    if not text:
        return 0
    if len(text) > 9 or not text.isdigit():
        return -1
    return int(text)


def _color(kind: int, comps: list[int]) -> int | None:
    """The colour of ``38/48/58`` sub-parameters ``[kind, ...]``, or None if malformed."""
    if kind == 5 and comps:
        return comps[0] if 0 <= comps[0] <= 255 else None
    if kind == 2 and len(comps) >= 3:
        r, g, b = comps[-3:] if len(comps) >= 4 else comps[:3]
        if all(0 <= c <= 255 for c in (r, g, b)):
            return rgb(r, g, b)
    return None


KEEP = -2  # in a delta: the field is left as it was
# SGR 0 resets every attribute but DECSCA protection, which SGR does not own.
_ALL_SGR = sum(_SET.values()) | sum(_CLEAR.values())

# What an SGR sequence does, whatever the style it starts from: new colours and underline
# (KEEP for unchanged) and the attribute bits it sets and clears.
Delta = tuple[int, int, int, int, int, int]  # fg, bg, set, clear, underline, ul_color


def apply_sgr(style: Style, params: str) -> Style:
    """The style after ``CSI params m`` starting from ``style`` (the hyperlink is kept)."""
    return apply_delta(style, sgr_delta(params))


def apply_delta(style: Style, delta: Delta) -> Style:
    fg, bg, on, off, underline, ul_color = delta
    old_fg, old_bg, attrs, old_ul, old_ul_color, link = style
    return _NEW(  # type: ignore[no-any-return]
        Style,
        (
            old_fg if fg == KEEP else fg,
            old_bg if bg == KEEP else bg,
            (attrs & ~off) | on,
            old_ul if underline == KEEP else underline,
            old_ul_color if ul_color == KEEP else ul_color,
            link,
        ),
    )


def sgr_delta(params: str) -> Delta:
    """What ``CSI params m`` does, as a ``Delta``."""
    fg = bg = underline = ul_color = KEEP
    on = off = 0
    m = _ONE_COLOR.match(params)
    if m is not None:
        which, index, r, g, b = m.groups()
        if index is not None:
            color = int(index)
            if color > 255:
                return (fg, bg, on, off, underline, ul_color)
        else:
            r_, g_, b_ = int(r), int(g), int(b)  # type: ignore[arg-type]
            if r_ > 255 or g_ > 255 or b_ > 255:
                return (fg, bg, on, off, underline, ul_color)
            color = _RGB_FLAG | r_ << 16 | g_ << 8 | b_
        if which == "3":
            fg = color
        elif which == "4":
            bg = color
        else:
            ul_color = color
        return (fg, bg, on, off, underline, ul_color)
    groups = params.split(";") if params else ["0"]
    i = 0
    count = len(groups)
    while i < count:
        group = groups[i]
        i += 1
        if ":" in group:
            subs = [_int(s) for s in group.split(":")]
            code = subs[0]
            if code in (38, 48, 58) and len(subs) >= 2:
                # 38:2:<colourspace>:r:g:b has 6 fields, 38:2:r:g:b has 5.
                comps = subs[2:]
                if subs[1] == 2 and len(comps) >= 4:
                    comps = comps[1:4]
                sub_color = _color(subs[1], comps)
                if sub_color is not None:
                    if code == 38:
                        fg = sub_color
                    elif code == 48:
                        bg = sub_color
                    else:
                        ul_color = sub_color
            elif code == 4:
                style_n = subs[1] if len(subs) > 1 else 1
                if 0 <= style_n <= 5:
                    underline = style_n
            continue
        code = _int(group)
        if code == 0:
            fg, bg, underline, ul_color = DEFAULT_COLOR, DEFAULT_COLOR, 0, DEFAULT_COLOR
            on, off = 0, _ALL_SGR
        elif 30 <= code <= 37:
            fg = code - 30
        elif 40 <= code <= 47:
            bg = code - 40
        elif 90 <= code <= 97:
            fg = code - 90 + 8
        elif 100 <= code <= 107:
            bg = code - 100 + 8
        elif code in _SET:
            on |= _SET[code]
            off &= ~_SET[code]
        elif code in _CLEAR:
            on &= ~_CLEAR[code]
            off |= _CLEAR[code]
        elif code == 4:
            underline = Underline.SINGLE
        elif code == 21:
            underline = Underline.DOUBLE
        elif code == 24:
            underline = Underline.NONE
        elif code == 39:
            fg = DEFAULT_COLOR
        elif code == 49:
            bg = DEFAULT_COLOR
        elif code == 59:
            ul_color = DEFAULT_COLOR
        elif code in (38, 48, 58):
            # The ';' form: 38;5;n or 38;2;r;g;b. The components are consumed even when
            # they turn out invalid, so that they are never read as codes of their own.
            kind = _int(groups[i]) if i < count else -1
            if kind == 5:
                comps = [_int(g) for g in groups[i + 1 : i + 2]]
                i += 2
            elif kind == 2:
                comps = [_int(g) for g in groups[i + 1 : i + 4]]
                i += 4
            else:
                i = count  # xterm stops at an unknown colour kind
                continue
            semi_color = _color(kind, comps)
            if semi_color is not None:
                if code == 38:
                    fg = semi_color
                elif code == 48:
                    bg = semi_color
                else:
                    ul_color = semi_color
    return (fg, bg, on, off, underline, ul_color)


def sgr_report(style: Style) -> str:
    """The SGR parameters that recreate ``style`` (for DECRQSS ``m``)."""
    parts = ["0"]
    for code, flag in _SET.items():
        if style.attrs & flag:
            parts.append(str(code))
    if style.underline == Underline.SINGLE:
        parts.append("4")
    elif style.underline:
        parts.append(f"4:{style.underline}")
    for base, color in ((30, style.fg), (40, style.bg)):
        if color == DEFAULT_COLOR:
            continue
        if color < 8:
            parts.append(str(base + color))
        elif color < 16:
            parts.append(str(base + 60 + color - 8))
        elif color < 256:
            parts.append(f"{base + 8}:5:{color}")
        else:
            parts.append(f"{base + 8}:2::{(color >> 16) & 255}:{(color >> 8) & 255}:{color & 255}")
    return ";".join(parts)
