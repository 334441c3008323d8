"""Hostile query sizes: deep nesting, many terms, broad prefixes end in one QueryError."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Library
from store.core.errors import QueryError
from store.find.query import parse

DOCS = {
    "harbour.txt": "Harbour Cranes Return\n\nThe cranes at the harbour in Lisbon were repaired.",
    "quiet.txt": "Quiet Week\n\nNothing happened in the village this week at all.",
}


@pytest.fixture
def corpus(fresh_lib: Library, tmp_path: Path, no_model) -> Library:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text)
    assert fresh_lib.import_paths([folder]).count("imported") == 2
    return fresh_lib


def titles(lib: Library, q: str) -> list[str]:
    return sorted(h.title for h in lib.search(q))


@pytest.mark.parametrize(
    "q, message",
    [
        ("(" * 333 + "a" + ")" * 333, "query nested too deeply at position 11 (the limit is 10"),
        ("-" * 990 + "a", "query nested too deeply at position 11 (the limit is 10"),
        ("-(" * 200 + "a" + ")" * 200, "query nested too deeply at position 11 (the limit is 10"),
    ],
    ids=["parentheses", "minus-signs", "both"],
)
def test_deep_nesting_is_a_query_error(corpus: Library, q: str, message: str) -> None:
    for call in (parse, corpus.search):
        with pytest.raises(QueryError) as err:
            call(q)
        assert str(err.value).startswith(message)


def test_nesting_up_to_the_limit_runs(corpus: Library) -> None:
    assert titles(corpus, "(" * 10 + "village" + ")" * 10) == ["Quiet Week"]
    assert titles(corpus, "-(" * 5 + "village" + ")" * 5) == ["Harbour Cranes Return"]
    assert titles(corpus, "-" * 10 + "village") == ["Quiet Week"]


@pytest.mark.parametrize(
    "q, message",
    [
        (
            "t* " * 300,
            "prefix 't*' at position 1 is too short: give at least 2 characters before '*'",
        ),
        ("x.t*", "prefix 'x.t*' at position 1 is too short"),
        (
            " ".join(f"w{i}*" for i in range(5)),
            "too many prefix terms (5; the limit is 4)",
        ),
        (
            " ".join(f"w{i}" for i in range(33)),
            "too many search terms (33; the limit is 32); quote a passage to search it as a phrase",
        ),
        (
            " OR ".join(f"tag:t{i}" for i in range(40)),
            "too many search terms (40; the limit is 32)",
        ),
    ],
    ids=["t*-300-times", "short-last-token", "prefixes", "words", "operators"],
)
def test_costly_queries_are_refused(corpus: Library, q: str, message: str) -> None:
    with pytest.raises(QueryError) as err:
        corpus.search(q)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_queries_within_the_limits_run(corpus: Library) -> None:
    assert titles(corpus, "ha* OR vi* OR cr* OR we*") == ["Harbour Cranes Return", "Quiet Week"]
    assert titles(corpus, "cr* ha*") == ["Harbour Cranes Return"]
    assert titles(corpus, " OR ".join(["village"] * 32)) == ["Quiet Week"]
    assert titles(corpus, '"' + "the cranes at the harbour in lisbon " * 20 + '"') == []
    hit = corpus.search("vill*")[0]
    assert [hit.snippet[s:e] for s, e in hit.marks] == ["village"]


def test_cli_deep_query_is_one_line(gloss, tmp_path: Path, no_model) -> None:
    code, out, err = gloss("search", "(" * 333 + "a" + ")" * 333)
    assert (code, out) == (2, "")
    assert err.startswith("gloss: bad query: query nested too deeply at position 11")
    assert err.count("\n") == 1
    code, out, err = gloss("search", *["t*"] * 300)
    assert (code, out) == (2, "")
    assert err.startswith("gloss: bad query: prefix 't*' at position 1 is too short")


def test_a_search_past_its_time_is_stopped(corpus: Library, monkeypatch) -> None:
    from store.find import search

    monkeypatch.setattr(search, "MAX_SECONDS", -1.0)  # already past: the first check stops it
    monkeypatch.setattr(search, "CHECK_EVERY", 1)
    with pytest.raises(QueryError) as err:
        corpus.search("village OR cranes")
    assert str(err.value) == "the search took longer than -1 s and was stopped; narrow it down"
    monkeypatch.undo()
    assert titles(corpus, "village") == ["Quiet Week"]  # the handler is gone afterwards
