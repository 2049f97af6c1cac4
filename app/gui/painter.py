"""Painting one terminal row: runs of same-style text, not cells.

HOT PATH: ``RowPainter.paint_row`` runs for every damaged row of every frame (up to 60
frames a second under a flood, times the rows that changed). Keep it allocation-light:
styles resolve once into a cached ``Look``; an ASCII run is one ``drawText``; only
wide, zero-width or fallback-font characters are placed one by one. Change it only with
a benchmark number before and after (``tests/gui/test_painter.py::test_paint_speed``
prints one).

Grid alignment: the cell width is the font's advance of "M" rounded up to whole device
pixels, and each font gets letter spacing that makes every glyph advance exactly one
cell, so ``drawText`` of a run lands each character on its cell and cell rectangles fall
on device pixels at any ``devicePixelRatio`` (no blurry seams between backgrounds).
Characters the font lacks are drawn by Qt's font fallback, one at a time at their cell,
because a fallback font's advance is not the grid's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen

from app.gui.colors import Palette
from terminal.frames import Attr, Line, Style, Underline
from terminal.unicode import char_width

# (first cell, cell after the last, colour) painted over run backgrounds, under text.
Overlay = tuple[int, int, QColor]


@dataclass(frozen=True, slots=True)
class CellMetrics:
    width: float  # of one cell, whole device pixels
    height: float
    ascent: float  # baseline below the cell's top, whole device pixels
    line_width: float  # underline / strike thickness
    underline_pos: float  # below the baseline
    strike_pos: float  # above the baseline


def _snap(value: float, dpr: float, up: bool = False) -> float:
    scaled = value * dpr
    return (math.ceil(scaled - 1e-6) if up else round(scaled)) / dpr


def cell_metrics(font: QFont, dpr: float) -> CellMetrics:
    fm = QFontMetricsF(font)
    width = _snap(max(fm.horizontalAdvance("M"), 1.0), dpr, up=True)
    height = _snap(max(fm.height(), 1.0), dpr, up=True)
    line_width = max(_snap(fm.lineWidth(), dpr), 1.0 / dpr)
    return CellMetrics(
        width=width,
        height=height,
        ascent=_snap(fm.ascent() + (height - fm.height()) / 2, dpr),
        line_width=line_width,
        underline_pos=max(_snap(fm.underlinePos(), dpr), line_width),
        strike_pos=_snap(fm.strikeOutPos(), dpr),
    )


LIGATURE_FEATURES = ("liga", "calt", "dlig")  # OpenType features turned off in the grid


def grid_font(family: str, size: float, *, bold: bool = False, italic: bool = False) -> QFont:
    font = QFont(family)
    font.setStyleHint(QFont.StyleHint.Monospace, QFont.StyleStrategy.PreferDefault)
    font.setFixedPitch(True)
    font.setPointSizeF(size)
    font.setKerning(False)
    font.setBold(bold)
    font.setItalic(italic)
    # Ligatures would merge cells ("->" into one glyph in some fonts).
    set_feature = getattr(font, "setFeature", None)
    if set_feature is not None:
        # Qt 6.7+ takes a QFont.Tag: PySide6 6.11 refuses a str with ValueError, and
        # that first refusal alone cost ~25 ms of start-up (its error formatting loads
        # the signature machinery). Qt 6.6 has no Tag and takes the str.
        make_tag = getattr(QFont, "Tag", str)
        for tag in LIGATURE_FEATURES:
            try:
                set_feature(make_tag(tag), 0)
            except (TypeError, ValueError):  # a Qt that cannot set features
                break
    return font


@dataclass(slots=True)
class Look:
    """A style resolved against the palette: what paint_row needs, computed once."""

    fg: QColor
    bg: QColor | None  # None: the default background, nothing to fill
    font: int  # index into RowPainter.fonts: bold 1, italic 2
    underline: int
    underline_color: QColor
    strike: bool
    overline: bool
    conceal: bool


class RowPainter:
    """Paints rows of a ``ScreenReplica`` with one font family and size and one palette."""

    def __init__(
        self, family: str, size: float, palette: Palette, dpr: float, *, bold_is_bright: bool
    ) -> None:
        self.palette = palette
        self.dpr = dpr
        self.bold_is_bright = bold_is_bright
        self.fonts = [
            grid_font(family, size, bold=bool(i & 1), italic=bool(i & 2)) for i in range(4)
        ]
        self.metrics = cell_metrics(self.fonts[0], dpr)
        self._fits: list[dict[str, bool]] = [{}, {}, {}, {}]
        self._fm = []
        for font in self.fonts:
            fm = QFontMetricsF(font)
            # Every glyph of a run advances exactly one cell (see the module docstring).
            font.setLetterSpacing(
                QFont.SpacingType.AbsoluteSpacing,
                self.metrics.width - fm.horizontalAdvance("M"),
            )
            self._fm.append(QFontMetricsF(font))
        self._looks: dict[Style, Look] = {}

    # -- styles -----------------------------------------------------------------------
    def look(self, style: Style) -> Look:
        found = self._looks.get(style)
        if found is None:
            found = self._looks[style] = self._resolve(style)
        return found

    def _resolve(self, style: Style) -> Look:
        pal = self.palette
        attrs = style.attrs
        fg_value = style.fg
        if self.bold_is_bright and attrs & Attr.BOLD and 0 <= fg_value < 8:
            fg_value += 8
        fg = pal.color(fg_value, pal.foreground)
        bg: QColor | None = None if style.bg < 0 else pal.color(style.bg, pal.background)
        if attrs & Attr.INVERSE:
            fg, bg = (bg or pal.background), fg
        if attrs & Attr.DIM:
            fg = _mix(fg, bg or pal.background, 0.5)
        font = (1 if attrs & Attr.BOLD else 0) | (2 if attrs & Attr.ITALIC else 0)
        return Look(
            fg=fg,
            bg=bg,
            font=font,
            underline=style.underline,
            underline_color=pal.color(style.underline_color, fg),
            strike=bool(attrs & Attr.STRIKE),
            overline=bool(attrs & Attr.OVERLINE),
            conceal=bool(attrs & Attr.CONCEAL),
        )

    def _fits_grid(self, ch: str, font: int) -> bool:
        """Whether ``ch`` comes from the grid font itself with a one-cell advance."""
        cache = self._fits[font]
        found = cache.get(ch)
        if found is None:
            fm = self._fm[font]
            found = cache[ch] = fm.inFont(ch) and abs(
                fm.horizontalAdvance(ch) - self.metrics.width
            ) < 0.5 / self.dpr
        return found

    # -- painting ---------------------------------------------------------------------
    def paint_row(
        self,
        p: QPainter,
        x0: float,
        y: float,
        line: Line,
        styles: Mapping[int, Style],
        overlays: Sequence[Overlay] = (),
        link_span: tuple[int, int] | None = None,
    ) -> None:
        """Paint ``line`` with its top-left cell at ``(x0, y)`` over the default background
        (already filled by the caller)."""
        m = self.metrics
        cw, ch = m.width, m.height
        placed: list[tuple[int, str, Look]] = []
        col = 0
        for text, sid in line.runs:
            look = self.look(styles.get(sid) or Style())
            width = len(text) if text.isascii() else sum(char_width(c) for c in text)
            if look.bg is not None:
                p.fillRect(QRectF(x0 + col * cw, y, width * cw, ch), look.bg)
            placed.append((col, text, look))
            col += width
        for start, end, colour in overlays:
            p.fillRect(QRectF(x0 + start * cw, y, (end - start) * cw, ch), colour)
        baseline = y + m.ascent
        current_font = -1
        for col, text, look in placed:
            if look.conceal or not text.strip():
                if look.underline or look.strike or look.overline:
                    self._decorate(p, x0 + col * cw, y, _cells(text), look)
                continue
            if look.font != current_font:
                p.setFont(self.fonts[look.font])
                current_font = look.font
            p.setPen(look.fg)
            if text.isascii():
                p.drawText(QPointF(x0 + col * cw, baseline), text)
            else:
                self._draw_mixed(p, x0, baseline, col, text, look.font)
            if look.underline or look.strike or look.overline:
                self._decorate(p, x0 + col * cw, y, _cells(text), look)
        if link_span is not None:
            start, end = link_span
            fg = placed[0][2].fg if placed else self.palette.foreground
            for col, text, look in placed:
                if col <= start < col + max(_cells(text), 1):
                    fg = look.fg
            p.fillRect(
                QRectF(x0 + start * cw, baseline + m.underline_pos, (end - start) * cw,
                       m.line_width),
                fg,
            )

    def _draw_mixed(
        self, p: QPainter, x0: float, baseline: float, col: int, text: str, font: int
    ) -> None:
        """Draw text with wide, zero-width or fallback characters, keeping the grid: runs
        of characters the grid font draws one cell wide go out together, the others one
        cluster (a character and the zero-width ones after it) at a time at their cell."""
        cw = self.metrics.width
        batch: list[str] = []
        batch_col = col
        cluster = ""
        cluster_col = col
        for c in text:
            w = char_width(c)
            if w == 0:  # rides on what came before
                if cluster:
                    cluster += c
                elif batch:
                    # A mark on a batched character: that character leaves the batch.
                    cluster, cluster_col = batch.pop() + c, col - 1
                    self._flush(p, x0, baseline, batch_col, batch)
                    batch, batch_col = [], col
                else:
                    cluster, cluster_col = c, col
                continue
            if cluster:
                p.drawText(QPointF(x0 + cluster_col * cw, baseline), cluster)
                cluster = ""
            if w == 1 and self._fits_grid(c, font):
                if not batch:
                    batch_col = col
                batch.append(c)
            else:
                self._flush(p, x0, baseline, batch_col, batch)
                batch = []
                cluster, cluster_col = c, col
            col += max(w, 1)
        self._flush(p, x0, baseline, batch_col, batch)
        if cluster:
            p.drawText(QPointF(x0 + cluster_col * cw, baseline), cluster)

    def _flush(self, p: QPainter, x0: float, baseline: float, col: int, batch: list[str]) -> None:
        if batch:
            p.drawText(QPointF(x0 + col * self.metrics.width, baseline), "".join(batch))

    def _decorate(self, p: QPainter, x: float, y: float, cells: int, look: Look) -> None:
        m = self.metrics
        width = cells * m.width
        lw = m.line_width
        baseline = y + m.ascent
        if look.underline:
            uy = baseline + m.underline_pos
            colour = look.underline_color
            kind = look.underline
            if kind == Underline.DOUBLE:
                p.fillRect(QRectF(x, uy - lw, width, lw), colour)
                p.fillRect(QRectF(x, uy + lw, width, lw), colour)
            elif kind == Underline.CURLY:
                self._curly(p, x, uy, width, colour)
            elif kind in (Underline.DOTTED, Underline.DASHED):
                pen = QPen(colour, lw)
                pen.setStyle(Qt.PenStyle.DotLine if kind == Underline.DOTTED
                             else Qt.PenStyle.DashLine)
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                p.setPen(pen)
                p.drawLine(QPointF(x, uy + lw / 2), QPointF(x + width, uy + lw / 2))
                p.setPen(look.fg)
            else:
                p.fillRect(QRectF(x, uy, width, lw), colour)
        if look.strike:
            p.fillRect(QRectF(x, baseline - m.strike_pos, width, lw), look.fg)
        if look.overline:
            p.fillRect(QRectF(x, y, width, lw), look.fg)

    def _curly(self, p: QPainter, x: float, uy: float, width: float, colour: QColor) -> None:
        m = self.metrics
        amplitude = max(m.line_width * 1.5, 1.0)
        path = QPainterPath(QPointF(x, uy))
        step = m.width / 2
        sx, up = x, True
        while sx < x + width - 0.01:
            path.quadTo(QPointF(sx + step / 2, uy + (-amplitude if up else amplitude)),
                        QPointF(sx + step, uy))
            sx += step
            up = not up
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(colour, m.line_width))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        p.restore()

    def paint_cursor(
        self,
        p: QPainter,
        x: float,
        y: float,
        cells: int,
        shape: str,
        focused: bool,
        cluster: str,
        look: Look | None,
    ) -> None:
        """The cursor at cell ``(x, y)``: a block with the text redrawn in the cursor
        text colour, an underline or a bar; an outline when the view has no focus."""
        m = self.metrics
        pal = self.palette
        width = cells * m.width
        lw = max(m.line_width, 1.0)
        if not focused:
            p.save()
            pen = QPen(pal.cursor, lw)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(x + lw / 2, y + lw / 2, width - lw, m.height - lw))
            p.restore()
            return
        if shape == "underline":
            thick = max(_snap(m.height / 10, self.dpr), 2.0 / self.dpr)
            p.fillRect(QRectF(x, y + m.height - thick, width, thick), pal.cursor)
        elif shape == "bar":
            thick = max(_snap(m.width / 6, self.dpr), 2.0 / self.dpr)
            p.fillRect(QRectF(x, y, thick, m.height), pal.cursor)
        else:
            p.fillRect(QRectF(x, y, width, m.height), pal.cursor)
            if cluster.strip():
                p.setFont(self.fonts[look.font if look else 0])
                p.setPen(pal.cursor_text)
                p.drawText(QPointF(x, y + m.ascent), cluster)


    def paint_preedit(self, p: QPainter, x: float, y: float, text: str) -> None:
        """Input-method text being composed, underlined at the cursor, with a bar after."""
        m = self.metrics
        cells = _cells(text)
        p.fillRect(QRectF(x, y, cells * m.width, m.height), self.palette.background)
        self.paint_row(p, x, y, Line(((text, 0),)), {0: _PREEDIT_STYLE})
        thick = max(_snap(m.width / 6, self.dpr), 2.0 / self.dpr)
        p.fillRect(QRectF(x + cells * m.width, y, thick, m.height), self.palette.cursor)

    def paint_notice(self, p: QPainter, centre: QPointF, text: str) -> None:
        """A short notice in a box centred on ``centre`` (the "120×40" after a resize)."""
        p.setFont(self.fonts[1])
        bounds = p.fontMetrics().boundingRect(text)
        box = QRectF(0, 0, bounds.width() + 24, bounds.height() + 12)
        box.moveCenter(centre)
        back = QColor(self.palette.foreground)
        back.setAlpha(200)
        p.fillRect(box, back)
        p.setPen(self.palette.background)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


_PREEDIT_STYLE = Style(underline=Underline.SINGLE)


def _cells(text: str) -> int:
    return len(text) if text.isascii() else sum(char_width(c) for c in text)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        round(a.red() * (1 - t) + b.red() * t),
        round(a.green() * (1 - t) + b.green() * t),
        round(a.blue() * (1 - t) + b.blue() * t),
    )
