"""HTML import through trafilatura, on pages carrying real-world clutter."""

from __future__ import annotations

import pytest

from store.errors import ImportFailed
from store.parse import parse_file
from tests.conftest import ARTICLES, FIXTURES


def test_clutter_page() -> None:
    p = parse_file(FIXTURES / "html" / "clutter_page.html")
    assert p.title == "Tram line extension approved after decade of debate"
    assert p.byline == "Tomasz Wrobel"
    assert p.published == "2026-03-14"
    assert p.url == "https://news.example.com/2026/03/14/tram-line"
    assert "TRACKING SCRIPT TEXT" not in p.text
    assert "This comment should not appear" not in p.text
    assert "cookies" not in p.text.lower()
    assert len(p.sections) == 2
    assert len(p.text.split()) > 300


def test_shipped_html_article() -> None:
    p = parse_file(ARTICLES / "003_river_flood_rescue.html")
    assert p.title.startswith("Volunteers rescue 40 residents")
    assert p.byline == "Jane Holloway"
    assert p.published == "2026-02-09"
    assert [s.title for s in p.sections] == ["A night on the water", "Questions over the barriers"]
    assert not p.text.startswith("Volunteers rescue")  # the <h1> is the title, not body


def test_page_without_article_text_is_refused() -> None:
    with pytest.raises(ImportFailed, match="no article text"):
        parse_file(FIXTURES / "html" / "empty_page.html")


def test_markup_in_html_arrives_as_plain_text(tmp_path) -> None:
    body = " ".join(["Plain words in a long enough paragraph for extraction."] * 12)
    page = tmp_path / "p.html"
    page.write_text(
        "<html><head><title>[bold red]Loud[/bold red]</title></head><body><article>"
        f"<h1>[bold red]Loud[/bold red]</h1><p>{body} [link=http://evil.test]x[/link]</p>"
        "<p>&#27;]52;c;Zm9v&#7; escape as entity</p></article></body></html>"
    )
    p = parse_file(page)
    assert p.title == "[bold red]Loud[/bold red]"
    assert "[link=http://evil.test]x[/link]" in p.text
    assert "\x1b" not in p.text and "\x07" not in p.text
