"""Painting: cell metrics on device pixels, colours, wide characters, decorations, speed."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from app.gui.colors import (
    XTERM_240,
    Palette,
    SchemeError,
    available_schemes,
    load_scheme,
    load_scheme_or_default,
    scheme_from_dict,
)
from app.gui.painter import LIGATURE_FEATURES, RowPainter
from terminal.frames import Attr, Line, Style, Underline, rgb

REQUIRED_SCHEMES = {"emberterm-dark", "emberterm-light", "solarized-dark", "solarized-light",
                    "gruvbox-dark", "dracula"}


@pytest.fixture
def palette(qapp: Any) -> Palette:
    return Palette(load_scheme("emberterm-dark"))


def make_painter(palette: Palette, dpr: float = 1.0) -> RowPainter:
    return RowPainter("monospace", 11, palette, dpr, bold_is_bright=True)


def render(painter: RowPainter, line: Line, styles: dict[int, Style], columns: int = 12,
           dpr: float = 1.0, **kwargs: Any) -> QImage:
    m = painter.metrics
    image = QImage(int(columns * m.width * dpr), int(m.height * dpr), QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(dpr)
    image.fill(painter.palette.background)
    p = QPainter(image)
    painter.paint_row(p, 0, 0, line, styles, **kwargs)
    p.end()
    return image


def cell_pixel(image: QImage, painter: RowPainter, col: int, y_fraction: float = 0.5) -> QColor:
    m = painter.metrics
    dpr = image.devicePixelRatio()
    return image.pixelColor(QPointF((col + 0.5) * m.width * dpr,
                                    y_fraction * m.height * dpr).toPoint())


def test_the_xterm_table_as_data(qapp: Any) -> None:
    palette = Palette(load_scheme("emberterm-dark"))
    assert len(XTERM_240) == 240
    assert palette.indexed(16) == QColor("#000000")
    assert palette.indexed(196) == QColor("#ff0000")
    assert palette.indexed(231) == QColor("#ffffff")
    assert palette.indexed(232) == QColor("#080808")
    assert palette.indexed(255) == QColor("#eeeeee")
    assert palette.color(rgb(1, 2, 3), palette.foreground) == QColor(1, 2, 3)
    assert palette.color(-1, palette.foreground) == palette.foreground


def test_the_shipped_schemes_load() -> None:
    assert set(available_schemes()) >= REQUIRED_SCHEMES
    for name in REQUIRED_SCHEMES:
        scheme = load_scheme(name)
        assert len(scheme.ansi) == 16
        assert QColor(scheme.selection_background).isValid()


def test_a_broken_scheme_is_refused_and_falls_back(tmp_path: Any) -> None:
    with pytest.raises(SchemeError):
        scheme_from_dict("x", {"foreground": "#fff"})
    with pytest.raises(SchemeError):
        scheme_from_dict("x", {"foreground": "#fff", "background": "nope"})
    (tmp_path / "bad.toml").write_text("foreground = [")
    assert load_scheme_or_default("bad", (tmp_path,)).name == "Emberterm Dark"
    assert load_scheme_or_default("missing", (tmp_path,)).name == "Emberterm Dark"


@pytest.mark.parametrize("dpr", [1.0, 1.25, 2.0])
def test_cells_fall_on_whole_device_pixels(palette: Palette, dpr: float) -> None:
    m = make_painter(palette, dpr).metrics
    for value in (m.width, m.height, m.ascent):
        assert abs(value * dpr - round(value * dpr)) < 1e-6


@pytest.mark.skipif(not hasattr(QFont, "Tag"), reason="Qt before 6.7 has no QFont.Tag")
def test_ligatures_are_off_in_every_grid_font(palette: Palette) -> None:
    # A ligature would draw "->" as one glyph across two cells.
    for font in make_painter(palette).fonts:
        for feature in LIGATURE_FEATURES:
            tag = QFont.Tag(feature)
            assert font.isFeatureSet(tag) and font.featureValue(tag) == 0, feature


def test_backgrounds_in_16_256_and_truecolor_and_inverse(palette: Palette) -> None:
    painter = make_painter(palette)
    styles = {
        0: Style(),
        1: Style(bg=1),
        2: Style(bg=202),
        3: Style(bg=rgb(10, 200, 30)),
        4: Style(fg=4, attrs=Attr.INVERSE),
    }
    line = Line((("a", 0), ("bb", 1), ("c", 2), ("d", 3), ("e", 4)))
    image = render(painter, line, styles)
    assert cell_pixel(image, painter, 0, 0.05) == palette.background
    assert cell_pixel(image, painter, 1, 0.05) == palette.indexed(1)
    assert cell_pixel(image, painter, 2, 0.05) == palette.indexed(1)
    assert cell_pixel(image, painter, 3, 0.05) == palette.indexed(202)
    assert cell_pixel(image, painter, 4, 0.05) == QColor(10, 200, 30)
    assert cell_pixel(image, painter, 5, 0.05) == palette.indexed(4)  # inverse: fg as bg


def test_runs_after_wide_characters_stay_on_the_grid(palette: Palette) -> None:
    painter = make_painter(palette)
    styles = {0: Style(), 1: Style(bg=2), 2: Style(bg=3)}
    line = Line((("漢字", 1), ("e\u0301x", 2)))  # 4 cells, then 2 cells (one combining mark)
    image = render(painter, line, styles)
    # Looked at near the bottom of each cell, below glyphs and their accents.
    for col in range(4):
        assert cell_pixel(image, painter, col, 0.97) == palette.indexed(2)
    for col in (4, 5):
        assert cell_pixel(image, painter, col, 0.97) == palette.indexed(3)
    assert cell_pixel(image, painter, 6, 0.97) == palette.background


def test_text_is_drawn_in_its_cell(palette: Palette) -> None:
    painter = make_painter(palette)
    image = render(painter, Line((("  █", 0),)), {0: Style(fg=rgb(255, 0, 0))})
    # A full block fills its cell; the blank cells before it stay background.
    assert cell_pixel(image, painter, 2) == QColor(255, 0, 0)
    assert cell_pixel(image, painter, 1) == palette.background


@pytest.mark.parametrize("kind", [Underline.SINGLE, Underline.DOUBLE, Underline.CURLY,
                                  Underline.DOTTED, Underline.DASHED])
def test_underline_styles_draw_in_the_underline_colour(palette: Palette, kind: int) -> None:
    painter = make_painter(palette)
    colour = rgb(0, 255, 0)
    image = render(painter, Line((("    ", 1),)), {1: Style(underline=kind,
                                                             underline_color=colour)})
    found = {image.pixelColor(x, y).name() for x in range(image.width())
             for y in range(image.height())}
    assert any(QColor(name).green() > 120 and QColor(name).red() < 100 for name in found)


def test_strike_and_overline_and_conceal(palette: Palette) -> None:
    painter = make_painter(palette)
    fg = rgb(255, 255, 0)
    image = render(painter, Line((("  ", 1),)), {1: Style(fg=fg, attrs=Attr.OVERLINE)})
    assert image.pixelColor(2, 0) == QColor(255, 255, 0)
    hidden = render(painter, Line((("███", 1),)), {1: Style(fg=fg, attrs=Attr.CONCEAL)})
    assert cell_pixel(hidden, painter, 1) == palette.background


def test_overlays_and_link_underline(palette: Palette) -> None:
    painter = make_painter(palette)
    image = render(painter, Line((("hello", 0),)), {0: Style()},
                   overlays=[(1, 3, QColor(0, 0, 255))], link_span=(0, 5))
    assert cell_pixel(image, painter, 1, 0.05) == QColor(0, 0, 255)
    assert cell_pixel(image, painter, 3, 0.05) == palette.background


def test_bold_is_bright_and_dim_mixes_towards_the_background(palette: Palette) -> None:
    painter = make_painter(palette)
    assert painter.look(Style(fg=1, attrs=Attr.BOLD)).fg == palette.indexed(9)
    dim = painter.look(Style(fg=rgb(200, 200, 200), attrs=Attr.DIM)).fg
    assert dim != QColor(200, 200, 200)
