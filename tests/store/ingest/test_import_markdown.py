"""Markdown import: front matter, headings, inline syntax reduced to plain text."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Library
from store.core.errors import ImportFailed
from store.ingest.parse.markdown import parse_markdown


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
    ],
)
def test_bad_markdown(raw: str, reason: str) -> None:
    with pytest.raises(ImportFailed, match=reason):
        parse_markdown(raw)


def test_markdown_without_a_title_takes_its_first_line() -> None:
    p = parse_markdown("Just text, no heading and no title.\n\nMore.")
    assert p.title == "Just text, no heading and no title."
    assert p.text == "Just text, no heading and no title.\n\nMore."
    assert p.warnings == ["no title found; the first line of the text is the title"]


def test_shipped_markdown_with_hash_sections(fresh_lib: Library, tmp_path: Path) -> None:
    from tests.conftest import ARTICLES

    p = parse_markdown((ARTICLES / "004_museum_reopens.md").read_text())
    assert p.title.startswith("Porto’s Riverside Tile Museum")
    assert [s.title for s in p.sections] == ["The Collection", "The Restoration", "What Comes Next"]


# -- hostile front matter: a bad field is a warning, a hostile structure fails the file alone --


@pytest.mark.parametrize(
    "front, field, warning",
    [
        ("date: 2026-02-30", "published",
         "front matter 'date' is not a valid date ('2026-02-30'); imported without it"),
        ("date: next tuesday", "published",
         "front matter 'date' is not a valid date ('next tuesday'); imported without it"),
        ("date: [2026, 1]", "published",
         "front matter 'date' is not a valid date (a list); imported without it"),
        ("author: {name: Ana}", "byline",
         "front matter 'author' is not text (a mapping); imported without it"),
        ("url: [a, b]", "url", "front matter 'url' is not text (a list); imported without it"),
        ("tags: {a: 1}", "tags",
         "front matter 'tags' is not a list or a comma-separated string (a mapping);"
         " imported without it"),
        ("tags: [a, [b]]", "tags",
         "front matter 'tags' is not a list or a comma-separated string (a list holding a"
         " list); imported without it"),
    ],
)  # fmt: skip
def test_invalid_front_matter_value_is_a_warning(front: str, field: str, warning: str) -> None:
    p = parse_markdown(f"---\ntitle: Kept\n{front}\n---\nBody text.\n")
    assert (p.title, p.text, p.warnings) == ("Kept", "Body text.", [warning])
    assert getattr(p, field) in (None, [])


def test_title_that_is_a_list_falls_back_to_the_heading() -> None:
    p = parse_markdown("---\ntitle: [a, b]\n---\n# The Heading\n\nBody text.\n")
    assert (p.title, p.warnings) == (
        "The Heading", ["front matter 'title' is not text (a list); imported without it"]
    )  # fmt: skip


def test_scalars_are_read_as_written() -> None:
    """No YAML typing surprises: numbers, booleans and long digit runs stay the text they were."""
    digits = "9" * 5000  # int() of this raises ValueError in Python 3.11
    p = parse_markdown(f"---\ntitle: {digits}\nauthor: no\ntags: [1.0, yes]\n---\nBody.\n")
    assert (p.title, p.byline, p.tags) == (digits[:499] + "…", "no", ["1.0", "yes"])
    assert p.warnings == ["title cut to 500 characters (it had 5,000)"]
    p = parse_markdown("---\ntitle: T\ndate: 2026-04-16 10:30:00Z\n---\nBody.\n")
    assert p.published == "2026-04-16T10:30:00+00:00"


@pytest.mark.parametrize(
    "front, reason",
    [
        ("title: " + "[" * 10_000, "front matter is nested too deeply"),
        ("title: " + "{a: " * 10_000, "front matter is nested too deeply"),
        ("title: " + "[" * 100_000,
         "front matter is too large (100,007 bytes; the limit is 65,536)"),
        ("a: &a [x, x, x]\nb: &b [*a, *a, *a]\ntitle: [*b, *b, *b]",
         "front matter uses YAML aliases (*name), which gloss does not read"),
        ("title: !!binary aGVsbG8=", "malformed front matter at line 2"),
        ("? [a, b]\n: c", "malformed front matter at line 2"),
    ],
    ids=["deep-list", "deep-map", "too-large", "alias-bomb", "binary-tag", "list-key"],
)  # fmt: skip
def test_hostile_front_matter_fails_the_file(front: str, reason: str) -> None:
    with pytest.raises(ImportFailed) as err:
        parse_markdown(f"---\n{front}\n---\nBody text.\n")
    assert str(err.value) == reason


def test_a_lone_surrogate_in_front_matter_is_removed() -> None:
    """YAML's "\\ud800" escape makes a lone surrogate, which no UTF-8 text (nor SQLite) holds."""
    from store.ingest.parse.markdown import parse_markdown

    p = parse_markdown('---\ntitle: "Bad \\ud800 title"\n---\n\nSome body \\udfff text.\n')
    assert p.title == "Bad title"
    assert p.text == "Some body \\udfff text."  # Markdown text is not unescaped: stays literal
