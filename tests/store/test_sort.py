"""The list's orders (store.find.reading.SORTS): listing, stepping and positions agree, each
read through an index, and the chosen order is kept in the library."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Library
from store.core.errors import InvalidInput
from store.core.models import Filter

# (file, title, date published or None); imported in this order, so "date added" is reversed
ARTICLES = [
    ("a.md", "banana split", "2021-05-01"),
    ("b.md", "Apple pie", None),
    ("c.md", "cherry tart", "2023-01-09"),
    ("d.md", "Date loaf", "2019-11-30"),
]


@pytest.fixture
def sorted_lib(fresh_lib: Library, tmp_path: Path, no_model: None) -> Library:
    for name, title, published in ARTICLES:
        folder = tmp_path / name[0]
        folder.mkdir()
        date = f"date: {published}\n" if published else ""
        (folder / name).write_text(f"---\ntitle: {title}\n{date}---\n\nThe {title} text.\n")
        assert fresh_lib.import_paths([folder], jobs=1).count("imported") == 1
    return fresh_lib


def titles(lib: Library, f: Filter) -> list[str]:
    return [s.title for s in lib.list_articles(f)]


def walk(lib: Library, f: Filter, step: int) -> list[str]:
    """The titles met stepping from the list's first (step 1) or last (step -1) article."""
    rows = lib.list_articles(f)
    current = (rows[0] if step > 0 else rows[-1]).id
    met = [lib.summary(current).title]
    while (current := lib.neighbour(current, step, f)) is not None:
        met.append(lib.summary(current).title)
    return met


ORDERS = {
    "": ["Date loaf", "cherry tart", "Apple pie", "banana split"],
    "published": ["cherry tart", "banana split", "Date loaf", "Apple pie"],
    "title": ["Apple pie", "banana split", "cherry tart", "Date loaf"],
}


@pytest.mark.parametrize("sort", list(ORDERS))
def test_list_steps_and_positions_follow_the_order(sorted_lib: Library, sort: str) -> None:
    f = Filter(sort=sort)
    assert titles(sorted_lib, f) == ORDERS[sort]
    assert walk(sorted_lib, f, 1) == ORDERS[sort]
    assert walk(sorted_lib, f, -1) == ORDERS[sort][::-1]
    positions = [sorted_lib.position(s.id, f) for s in sorted_lib.list_articles(f)]
    assert positions == [0, 1, 2, 3]
    assert sorted_lib.count(f) == 4
    page = sorted_lib.list_articles(f, limit=2, offset=2)
    assert [s.title for s in page] == ORDERS[sort][2:]


def test_by_notes_most_first_and_with_a_filter(sorted_lib: Library) -> None:
    ids = {s.title: s.id for s in sorted_lib.list_articles()}
    sorted_lib.add_note(ids["Apple pie"], "one")
    sorted_lib.add_note(ids["Apple pie"], "two")
    sorted_lib.add_note(ids["cherry tart"], "three")
    sorted_lib.set_read(ids["Date loaf"])
    f = Filter(sort="notes")
    assert titles(sorted_lib, f) == ["Apple pie", "cherry tart", "Date loaf", "banana split"]
    unread = Filter(unread=True, sort="notes")
    assert titles(sorted_lib, unread) == ["Apple pie", "cherry tart", "banana split"]
    assert sorted_lib.count(unread) == 3
    assert sorted_lib.neighbour(ids["cherry tart"], 1, unread) == ids["banana split"]
    # the article just read (no longer taken by the filter) still has neighbours
    assert sorted_lib.neighbour(ids["Date loaf"], -1, unread) == ids["cherry tart"]


def test_the_order_is_kept_and_read_through_its_index(sorted_lib: Library) -> None:
    assert sorted_lib.list_sort() == ""
    sorted_lib.sort_list("published")
    sorted_lib.sort_list("title")
    assert sorted_lib.list_sort() == "title"
    with Library.open(sorted_lib.path) as again:
        assert again.list_sort() == "title"
    with pytest.raises(InvalidInput):
        sorted_lib.sort_list("colour")
    plan = sorted_lib.conn.execute(
        "EXPLAIN QUERY PLAN SELECT a.id FROM articles a JOIN article_state s"
        " ON s.article = a.key ORDER BY a.title COLLATE NOCASE, a.key LIMIT 50"
    ).fetchall()
    assert any("articles_title" in row[-1] for row in plan), plan
    assert not any("TEMP B-TREE" in row[-1] for row in plan), plan


@pytest.mark.parametrize(("sort", "index"), [("published", "articles_published"),
                                             ("title", "articles_title")])  # fmt: skip
def test_stepping_and_positions_walk_the_orders_index(
    sorted_lib: Library, sort: str, index: str
) -> None:
    """The queries neighbour and position run read the order's index, not every row."""
    sorted_lib.sort_list(sort)
    f = Filter(sort=sort)
    some = sorted_lib.list_articles(f)[1].id
    ran: list[str] = []
    sorted_lib.conn.set_trace_callback(ran.append)
    try:
        sorted_lib.neighbour(some, 1, f)
        sorted_lib.neighbour(some, -1, f)
        sorted_lib.position(some, f)
    finally:
        sorted_lib.conn.set_trace_callback(None)
    walks = [sql for sql in ran if "(?, ?)" in sql or ") < (" in sql or ") > (" in sql]
    assert len(walks) == 3, ran
    for sql in walks:
        # (the trace has the values bound: plan the statement with them as written)
        plan = [row[-1] for row in sorted_lib.conn.execute("EXPLAIN QUERY PLAN " + sql)]
        # along the articles (never every state row, each looking up its wide article row),
        # through the order's index or a narrow covering one (SQLite's pick in a small file)
        assert plan[0].startswith(("SCAN a", "SEARCH a")), (sql, plan)
        assert index in plan[0] or "COVERING INDEX" in plan[0], (sql, plan)
