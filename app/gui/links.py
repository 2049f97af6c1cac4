"""Links in the text: OSC 8 hyperlinks (``Style.link``) and URLs found by pattern.

``link_at(line, column, styles)`` answers "what would Ctrl+click here open?" with the
URL and the cells it covers, so the view can underline them on hover. An OSC 8 link wins
over a URL pattern. ``safe_to_open`` keeps schemes a program could abuse (``javascript:``,
``data:``, custom handlers) away from the desktop's URL opener.

The opener itself is a seam: ``TerminalView(open_url=...)``; ``open_with_desktop`` is the
default, and tests pass a recorder instead of launching a browser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from app.gui.selection import index_columns
from terminal.frames import Line, Style
from terminal.unicode import text_width

SAFE_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "mailto", "file", "sftp", "ssh"})

# A URL as people paste them: scheme://… or www.…, without trailing punctuation that
# usually ends a sentence, and with balanced parentheses kept (Wikipedia links).
URL_PATTERN = re.compile(
    r"(?:(?:https?|ftps?|sftp|ssh|file)://|mailto:|www\.)"
    r"(?:[^\s<>\"'`()\[\]{}]|\([^\s<>\"'`()]*\))+"
    r"(?<![.,;:!?'\"])",
    re.IGNORECASE,
)


class LinkSpan(NamedTuple):
    url: str
    start: int  # first cell
    end: int  # cell after the last


def find_urls(text: str) -> list[tuple[int, int, str]]:
    """``(start_index, end_index, url)`` for each URL in ``text``."""
    found = []
    for match in URL_PATTERN.finditer(text):
        url = match.group(0)
        if url.lower().startswith("www."):
            url = "http://" + url
        found.append((match.start(), match.end(), url))
    return found


def link_at(line: Line, column: int, styles: Mapping[int, Style]) -> LinkSpan | None:
    """The link covering cell ``column`` of ``line``, if any."""
    osc8 = _osc8_at(line, column, styles)
    if osc8 is not None:
        return osc8
    text = line.text
    cols = index_columns(text)
    for start, end, url in find_urls(text):
        if cols[start] <= column < cols[end]:
            return LinkSpan(url, cols[start], cols[end])
    return None


def _osc8_at(line: Line, column: int, styles: Mapping[int, Style]) -> LinkSpan | None:
    col = 0
    spans: list[tuple[int, int, str]] = []  # adjacent runs with the same link merge
    for text, sid in line.runs:
        width = text_width(text)
        style = styles.get(sid)
        link = style.link if style is not None else ""
        if link and spans and spans[-1][1] == col and spans[-1][2] == link:
            spans[-1] = (spans[-1][0], col + width, link)
        elif link:
            spans.append((col, col + width, link))
        col += width
    for start, end, link in spans:
        if start <= column < end:
            return LinkSpan(link, start, end)
    return None


def safe_to_open(url: str) -> bool:
    scheme = QUrl(url).scheme().lower()
    return scheme in SAFE_SCHEMES


def open_with_desktop(url: str) -> None:
    """The default opener: the desktop's handler for the URL (a browser, a mail client)."""
    QDesktopServices.openUrl(QUrl(url))
