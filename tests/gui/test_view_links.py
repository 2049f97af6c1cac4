"""Links: URL patterns, OSC 8 spans over runs, and which schemes may be opened."""

from __future__ import annotations

import pytest

from app.gui.links import LinkSpan, find_urls, link_at, safe_to_open
from terminal.frames import Line, Style


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("see https://example.com/a?b=1.", ["https://example.com/a?b=1"]),
        ("(https://en.wikipedia.org/wiki/Foo_(bar))", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
        ("go to www.example.org, then", ["http://www.example.org"]),
        ("mail mailto:a@b.example!", ["mailto:a@b.example"]),
        ("'file:///tmp/x.txt'", ["file:///tmp/x.txt"]),
        ("no links here: example.com", []),
        ("<https://a.example/>", ["https://a.example/"]),
    ],
)
def test_url_patterns(text: str, urls: list[str]) -> None:
    assert [url for _, _, url in find_urls(text)] == urls


def test_osc8_link_spans_adjacent_runs_and_wins_over_patterns() -> None:
    styles = {0: Style(), 1: Style(link="https://osc8.example/"),
              2: Style(fg=1, link="https://osc8.example/")}
    line = Line((("ab ", 0), ("http://x", 1), (".y", 2), (" z", 0)))
    assert link_at(line, 5, styles) == LinkSpan("https://osc8.example/", 3, 13)
    assert link_at(line, 1, styles) is None
    assert link_at(line, 14, styles) is None


def test_url_columns_count_wide_characters() -> None:
    line = Line((("漢字 https://a.example/ ok", 0),))
    assert link_at(line, 6, {0: Style()}) == LinkSpan("https://a.example/", 5, 23)
    assert link_at(line, 23, {0: Style()}) is None


@pytest.mark.parametrize(
    ("url", "safe"),
    [("https://a.example/", True), ("http://a", True), ("mailto:x@y", True),
     ("file:///etc/hosts", True), ("javascript:alert(1)", False), ("data:text/html,x", False),
     ("vbscript:x", False), ("smb://host/share", False)],
)
def test_only_safe_schemes_open(url: str, safe: bool) -> None:
    assert safe_to_open(url) is safe
