"""Long texts are analysed in bounded chunks cut at paragraph breaks, offsets shifted back."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.ingest import entities
from store.ingest.entities import Analysis, chunks
from store.ingest.parse import parse_file
from tests.conftest import SAMPLE


def long_text(size: int) -> str:
    """The sample's paragraphs repeated, each with a distinct marker, to about `size` chars."""
    paras = parse_file(SAMPLE).text.split("\n\n")
    out, length = [], 0
    while length < size:
        out.append(f"Part {len(out)}. {paras[len(out) % len(paras)]}")
        length += len(out[-1]) + 2
    return "\n\n".join(out)


def unchunked(analyzer: entities.Analyzer, text: str, offset: int = 0) -> Analysis:
    doc = analyzer.nlp(text)
    return Analysis(
        [
            e._replace(start=e.start + offset, end=e.end + offset)
            for e in map(entities._entity, doc.ents)
        ],
        [s._replace(start=s.start + offset, end=s.end + offset) for s in entities._sentences(doc)],
    )


@pytest.mark.parametrize(
    "text, limit, spans",
    [
        ("aaaa\n\nbbbb\n\ncccc", 8, [(0, 6), (6, 12), (12, 16)]),
        ("aa\n\nbb\n\ncccccccccc", 8, [(0, 8), (8, 16), (16, 18)]),
        ("One two. Three four. Five six.", 12, [(0, 9), (9, 21), (21, 30)]),
        ("aaaa bbbb cccc", 10, [(0, 10), (10, 14)]),
        ("x" * 25, 10, [(0, 10), (10, 20), (20, 25)]),
        ("short", 10, [(0, 5)]),
        ("", 10, [(0, 0)]),
    ],
    ids=["paragraphs", "long-paragraph", "sentences", "spaces", "no-spaces", "short", "empty"],
)
def test_chunk_boundaries(text: str, limit: int, spans: list[tuple[int, int]]) -> None:
    assert chunks(text, limit) == spans


@given(st.text(alphabet="ab .\n", max_size=300), st.integers(min_value=1, max_value=40))
def test_chunks_cover_the_text_in_order(text: str, limit: int) -> None:
    spans = chunks(text, limit)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in pairwise(spans))
    assert all(0 < end - start <= limit for start, end in spans if text)


def test_long_article_offsets_point_at_the_entity_text(analyzer, monkeypatch) -> None:
    text = long_text(200_000)
    assert len(text) > 200_000
    # No doc longer than a chunk reaches spaCy: before chunking this raised E088.
    monkeypatch.setattr(analyzer.nlp, "max_length", 50_000)
    [result] = analyzer.analyse([text])
    assert len(result.entities) > 2_000
    assert all(text[e.start : e.end] == e.text for e in result.entities)
    assert [e.start for e in result.entities] == sorted(e.start for e in result.entities)
    assert result.entities[-1].end > len(text) - 2_000  # found up to the end
    assert all(text[s.start : s.end].strip() == text[s.start : s.end] for s in result.sentences)
    assert all(a.end <= b.start for a, b in pairwise(result.sentences))
    assert result.sentences[-1].end == len(text.rstrip())


def test_chunked_analysis_is_the_chunks_analysed_alone(analyzer) -> None:
    text = long_text(30_000)
    spans = chunks(text, entities.chunk_limit(32))
    assert len(spans) == 4
    expected = [unchunked(analyzer, text[s:e], s) for s, e in spans]
    [result] = analyzer.analyse([text])
    assert result == Analysis(
        [x for a in expected for x in a.entities], [x for a in expected for x in a.sentences]
    )


def test_a_text_shorter_than_a_chunk_is_analysed_as_before(analyzer) -> None:
    text = parse_file(SAMPLE).text
    assert len(text) < entities.chunk_limit(32)
    assert list(analyzer.analyse([text])) == [unchunked(analyzer, text)]


def test_stream_keeps_order_and_batches(analyzer) -> None:
    short = parse_file(SAMPLE).text
    texts = [short, long_text(20_000), "", "Angela Merkel met Emmanuel Macron in Paris."]
    expected = [next(analyzer.analyse([t])) for t in texts]
    assert list(analyzer.analyse(iter(texts), batch_size=2)) == expected
    assert list(analyzer.analyse(texts, n_process=2)) == expected
    assert [e.text for e in expected[3].entities] == ["Angela Merkel", "Emmanuel Macron", "Paris"]


def test_token_dense_text_is_cut_by_tokens_too() -> None:
    """spaCy's memory grows with tokens: a text of punctuation (a token a character) is cut
    into chunks of at most limit / CHARS_PER_TOKEN tokens, not of `limit` characters."""
    text = "[" * 30_000 + "x" + "]" * 30_000
    spans = entities.chunks(text, 8_000)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in pairwise(spans))
    assert max(end - start for start, end in spans) == 8_000 // entities.CHARS_PER_TOKEN
    prose = " ".join(["The council met on Tuesday to vote on the budget."] * 150)  # 7,650 chars
    assert entities.chunks(prose, 8_000) == [(0, len(prose))]
