"""Search: every operator alone and combined, ranking, note hits, hostile queries."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import Library
from store.core.errors import QueryError
from store.find.query import parse

DOCS = {
    "harbour.txt": "Harbour Cranes Return\n\nThe cranes at the harbour in Lisbon were repaired.",
    "budget.txt": "City Budget Passes\n\nThe council in Lisbon passed a budget for cranes, roads.",
    "cranes.txt": "Cranes Cranes Cranes\n\nBirds called cranes nest by the river every spring.",
    "quiet.txt": "Quiet Week\n\nNothing happened in the village this week at all.",
}


@pytest.fixture
def corpus(fresh_lib: Library, tmp_path: Path, analyzer) -> dict[str, str]:
    """Four small articles in a library of their own, so expected results are literal."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text)
    report = fresh_lib.import_paths([folder])
    ids = {Path(r.path).stem: r.article_id for r in report.results}
    assert None not in ids.values()
    return ids  # type: ignore[return-value]


def titles(lib: Library, q: str) -> list[str]:
    return [h.title for h in lib.search(q) if h.kind == "article"]


def test_ranking_title_above_body(fresh_lib: Library, corpus) -> None:
    assert titles(fresh_lib, "cranes") == [
        "Cranes Cranes Cranes",
        "Harbour Cranes Return",
        "City Budget Passes",
    ]


def test_free_words_are_anded(fresh_lib: Library, corpus) -> None:
    assert titles(fresh_lib, "cranes lisbon") == ["Harbour Cranes Return", "City Budget Passes"]
    assert titles(fresh_lib, "cranes village") == []


def test_phrase_prefix_or_not(fresh_lib: Library, corpus) -> None:
    assert titles(fresh_lib, '"passed a budget"') == ["City Budget Passes"]
    assert titles(fresh_lib, '"budget roads"') == []
    assert titles(fresh_lib, "villa*") == ["Quiet Week"]
    assert sorted(titles(fresh_lib, "village OR river")) == ["Cranes Cranes Cranes", "Quiet Week"]
    assert titles(fresh_lib, "cranes -lisbon") == ["Cranes Cranes Cranes"]
    assert titles(fresh_lib, "(village OR birds) spring") == ["Cranes Cranes Cranes"]


def test_snippet_marks_the_match(fresh_lib: Library, corpus) -> None:
    hit = fresh_lib.search('"passed a budget"')[0]
    marked = [hit.snippet[s:e] for s, e in hit.marks]
    assert marked == ["passed a budget"]


def test_tags(fresh_lib: Library, corpus) -> None:
    fresh_lib.tag(corpus["harbour"], add=["world/europe/portugal"])
    fresh_lib.tag(corpus["budget"], add=["world", "draft"])
    # world is world and every tag under it; =world is world only (store.core.tags)
    assert sorted(titles(fresh_lib, "tag:world")) == ["City Budget Passes", "Harbour Cranes Return"]
    assert titles(fresh_lib, "tag:=world") == ["City Budget Passes"]
    assert sorted(titles(fresh_lib, "tag:world/* cranes")) == [
        "City Budget Passes", "Harbour Cranes Return"
    ]  # fmt: skip
    assert titles(fresh_lib, "cranes tag:world/* -tag:draft") == ["Harbour Cranes Return"]
    assert titles(fresh_lib, "portugal") == ["Harbour Cranes Return"]  # tag names are searchable
    assert titles(fresh_lib, "tag:world/eu*") == ["Harbour Cranes Return"]


def test_entities(lib: Library, sample_id: str) -> None:
    assert [h.article_id for h in lib.search('entity:"Xi Jinping"')] == [sample_id]
    assert [h.article_id for h in lib.search('entity:"xi jinping" putin')] == [sample_id]
    assert [h.article_id for h in lib.search('-entity:"xi jinping" putin')] == []


def test_labels(fresh_lib: Library, corpus) -> None:
    assert titles(fresh_lib, "label:PERSON cranes") == []
    assert titles(fresh_lib, "label:gpe cranes") == ["Harbour Cranes Return", "City Budget Passes"]


def test_state_operators(fresh_lib: Library, corpus) -> None:
    fresh_lib.set_read(corpus["harbour"])
    fresh_lib.set_starred(corpus["budget"])
    assert titles(fresh_lib, "cranes is:read") == ["Harbour Cranes Return"]
    assert titles(fresh_lib, "cranes is:unread") == ["Cranes Cranes Cranes", "City Budget Passes"]
    assert titles(fresh_lib, "is:starred") == ["City Budget Passes"]


def test_note_hits_by_body_and_by_quote(fresh_lib: Library, corpus) -> None:
    aid = corpus["quiet"]
    n = fresh_lib.add_note(
        aid, "Remember the heron colony", *fresh_lib.find_quote(aid, "the village")
    )
    by_body = fresh_lib.search("heron")
    assert [(h.kind, h.note_id, h.position) for h in by_body] == [
        ("note", n.id, n.anchor.start)  # type: ignore[union-attr]
    ]
    assert by_body[0].snippet == "Remember the heron colony"
    assert [h.snippet[s:e] for h in by_body for s, e in h.marks] == ["heron"]
    by_quote = fresh_lib.search("village in:notes")
    assert [h.note_id for h in by_quote] == [n.id]
    assert [h.kind for h in fresh_lib.search("village")] == ["note", "article"]
    assert [h.kind for h in fresh_lib.search("village in:articles")] == ["article"]
    assert titles(fresh_lib, "has:note") == ["Quiet Week"]
    fresh_lib.highlight(corpus["budget"], 0, 4)
    assert titles(fresh_lib, "has:highlight") == ["City Budget Passes"]
    assert [h.note_id for h in fresh_lib.search("in:notes has:note")] == [n.id]


def test_notes_are_searchable_after_edit_and_gone_after_delete(fresh_lib: Library, corpus) -> None:
    n = fresh_lib.add_note(corpus["quiet"], "first idea")
    fresh_lib.edit_note(n.id, "second thought")
    assert fresh_lib.search("first") == [] or all(
        h.kind == "article" for h in fresh_lib.search("first")
    )
    assert [h.note_id for h in fresh_lib.search("second in:notes")] == [n.id]
    fresh_lib.delete_note(n.id)
    assert fresh_lib.search("second in:notes") == []


def test_has_conflict(fresh_lib: Library, corpus) -> None:
    assert fresh_lib.search("has:conflict") == []


@pytest.mark.parametrize(
    "q, message",
    [
        ('"; DROP TABLE articles; --', "unclosed quote at position 1"),
        ("tag:", "tag: at position 1 needs a value"),
        ("OR", "OR at position 1 needs a term on each side"),
        ("AND OR", "OR at position 5 needs a term on each side"),
        ("*", "nothing searchable in '*'"),
        ('""', "nothing searchable in the phrase"),
        ("(putin", "unclosed '(' at position 1"),
        ("putin)", "unmatched ')' at position 6"),
        ("color:red", "unknown operator 'color:'"),
        (
            "is:later",
            "is:later is not known (use is:unread, is:read, is:starred, is:unstarred, is:link)",
        ),
        ("label:per-son", "is not an entity label"),
        ("tag:[bold]", "tag:[bold]: invalid tag"),
        ("x" * 10_000, "query too long (10,000 characters; the limit is 1,000)"),
        ("\x1b[2J\x07", "empty query"),
        ("   ", "empty query"),
    ],
)
def test_hostile_queries(lib: Library, q: str, message: str) -> None:
    with pytest.raises(QueryError) as err:
        lib.search(q)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_fts_operators_are_literal(fresh_lib: Library, corpus) -> None:
    assert fresh_lib.search("NEAR AND NOT") == []
    assert titles(fresh_lib, "at all") == ["Quiet Week"]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=60))
def test_any_string_parses_or_raises_query_error(lib: Library, text: str) -> None:
    try:
        parse(text)
    except QueryError:
        return
    lib.search(text)  # a parsed query always runs: no SQL or FTS syntax error


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.sampled_from(
            ["putin", "OR", "-", "(", ")", '"', "tag:", "tag:x/*", "is:read", "in:notes", "*",
             "entity:", "label:ORG", "xi*", ":", "has:note", "\x00", "\u202e", "[b]"]
        ),
        max_size=8,
    )
)  # fmt: skip
def test_operator_soup_parses_or_raises_query_error(lib: Library, parts: list[str]) -> None:
    text = " ".join(parts)
    try:
        lib.search(text)
    except QueryError:
        pass
