"""Markdown import: front matter, headings, inline syntax reduced to plain text."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Library
from store.errors import ImportFailed
from store.parse.markdown import parse_markdown


def test_shipped_markdown_article(lib: Library) -> None:
    [a] = [x for x in lib.list_articles() if x.title.startswith("European Central Bank")]
    assert a.byline == "Henrik Saldana"
    assert a.published == "2026-04-16"
    assert a.source == "https://example.org/economy/2026/04/16/ecb-holds-rates"
    assert a.tags == ("economy", "world/europe")
    full = lib.get_article(a.id)
    assert [s.title for s in full.sections] == [
        "Why the bank waited",
        "What it means for households",
        "Divisions on the council",
    ]
    assert "##" not in full.text and "](" not in full.text and "*" not in full.text


def test_front_matter_and_inline_syntax() -> None:
    p = parse_markdown(
        "---\ntitle: A Title\nauthor: Ana Ruiz\ndate: 2026-01-02\nurl: https://x.test/a\n"
        "tags: politics, world/asia\n---\n\nSome *emphasis* and a [link](https://x.test).\n\n"
        "# Section One\n\n- one\n- two\n\n```\ncode here\n```\n"
    )
    assert (p.title, p.byline, p.published, p.url) == (
        "A Title", "Ana Ruiz", "2026-01-02", "https://x.test/a"
    )  # fmt: skip
    assert p.tags == ["politics", "world/asia"]
    assert p.text == ("Some emphasis and a link.\n\nSection One\n\n• one\n\n• two\n\ncode here")
    assert [(s.title, s.level) for s in p.sections] == [("Section One", 1)]


def test_title_from_first_heading_without_front_matter() -> None:
    p = parse_markdown("# The Title\n\nBody text here.\n\n## Part\n\nMore.")
    assert p.title == "The Title"
    assert [s.title for s in p.sections] == ["Part"]
    assert not p.text.startswith("The Title")


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("---\ntitle: [unclosed\n---\nBody", "malformed front matter"),
        ("---\n- a list\n---\nBody", "front matter is not a mapping"),
        ("---\ntitle: T\n---\n", "no article text"),
        ("Just text, no heading and no title.", "no title"),
    ],
)
def test_bad_markdown(raw: str, reason: str) -> None:
    with pytest.raises(ImportFailed, match=reason):
        parse_markdown(raw)


def test_shipped_markdown_with_hash_sections(fresh_lib: Library, tmp_path: Path) -> None:
    from tests.conftest import ARTICLES

    p = parse_markdown((ARTICLES / "004_museum_reopens.md").read_text())
    assert p.title.startswith("Porto’s Riverside Tile Museum")
    assert [s.title for s in p.sections] == ["The Collection", "The Restoration", "What Comes Next"]
