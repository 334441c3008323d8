"""A text query ranks the newest WINDOW matches of each index, so its cost does not grow with
the library; export, which asks for every match, still gets them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Library
from store.find import search


@pytest.fixture
def five(fresh_lib: Library, tmp_path: Path, no_model) -> list[str]:
    """Five articles mentioning "lighthouse", imported oldest first; the oldest has it in
    its title (bm25 ranks it first), the others once in their text."""
    ids = []
    for i in range(5):
        src = tmp_path / f"a{i}.md"
        title = "Lighthouse keepers" if i == 0 else f"Harbour report {i}"
        src.write_text(f"# {title}\n\nThe old lighthouse stood by the harbour wall, report {i}.\n")
        (aid,) = [r.article_id for r in fresh_lib.import_paths([src]).results]
        ids.append(aid)
    return ids


def test_a_narrow_query_ranks_every_match(fresh_lib: Library, five: list[str]) -> None:
    hits = fresh_lib.search("lighthouse", limit=2)
    assert hits[0].article_id == five[0]  # the title match, oldest of all


def test_a_broad_query_ranks_the_newest_window(
    fresh_lib: Library, five: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "WINDOW", 3)
    hits = fresh_lib.search("lighthouse", limit=2)
    assert len(hits) == 2 and {h.article_id for h in hits} <= set(five[2:])
    # a limit past the window (export asks for every match) ranks them all again
    assert {h.article_id for h in fresh_lib.search("lighthouse", limit=10)} == set(five)
    assert set(fresh_lib.export.select("lighthouse")) == set(five)


def test_notes_are_windowed_the_same_way(
    fresh_lib: Library, five: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = [fresh_lib.add_note(aid, "compare the beacon records") for aid in five]
    monkeypatch.setattr(search, "WINDOW", 2)
    hits = [h for h in fresh_lib.search("beacon in:notes", limit=1) if h.kind == "note"]
    assert [h.note_id for h in hits] in ([notes[3].id], [notes[4].id])


def test_or_queries_are_windowed_too(
    fresh_lib: Library, five: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert fresh_lib.search("lighthouse OR zeppelin", limit=2)[0].article_id == five[0]
    monkeypatch.setattr(search, "WINDOW", 3)
    hits = fresh_lib.search("lighthouse OR zeppelin", limit=2)
    assert len(hits) == 2 and {h.article_id for h in hits} <= set(five[2:])
    # the window gathers the other terms' matches too: a negated word within it still counts
    hits = fresh_lib.search("(lighthouse OR zeppelin) -report", limit=2)
    assert hits == []
    assert {h.article_id for h in fresh_lib.search("lighthouse OR zeppelin", limit=10)} == set(five)
