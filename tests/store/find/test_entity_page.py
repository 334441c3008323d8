"""The entity page and the library-wide list, on four small dated articles
(tests/fixtures/entity_page) analysed by the real model."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Library
from store.core.errors import NotFound
from store.find import entity_page as ep
from tests.conftest import FIXTURES

ARTS = FIXTURES / "entity_page"
TITLES = ["Energy ministers gather", "A visit to Paris", "Talks in Berlin"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, analyzer) -> Path:
    path = tmp_path_factory.mktemp("entity-page") / "library.db"
    with Library.open(path) as lib:
        assert lib.import_paths([ARTS]).count("imported") == 4
        lib.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def elib(template: Path, tmp_path: Path) -> Iterator[Library]:
    path = tmp_path / "library.db"
    shutil.copy(template, path)
    with Library.open(path) as opened:
        yield opened


def ids(lib: Library) -> dict[str, str]:
    return {a.title: a.id for a in lib.list_articles()}


def test_page_totals_timeline_and_articles_newest_first(elib: Library) -> None:
    page = elib.entity_page("Angela Merkel")
    assert (page.name, page.label, page.key) == ("Angela Merkel", "PERSON", "angela merkel")
    assert (page.articles, page.mentions) == (3, 4)
    assert page.spellings == ("Angela Merkel",)
    assert page.other_labels == ()
    assert page.timeline == (("2024-01", 1), ("2024-03", 2))
    assert [i.summary.title for i in page.items] == TITLES
    assert [i.mentions for i in page.items] == [1, 1, 2]
    assert [i.sentence for i in page.items] == [
        "Angela Merkel sent a message of support to the ministers.",
        "Angela Merkel visited Paris for a summit with Emmanuel Macron and Pedro Sánchez.",
        "Angela Merkel met Emmanuel Macron in Berlin on Monday to discuss energy prices.",
    ]
    for item in page.items:  # the mention, where the page says it is
        at = item.start - item.sentence_start
        assert item.sentence[at : at + item.end - item.start] == "Angela Merkel"
        text = elib.get_article(item.summary.id).text
        assert text[item.start : item.end] == "Angela Merkel"


def test_comentions_count_articles_over_the_newest(elib: Library) -> None:
    page = elib.entity_page("Angela Merkel")
    assert page.comention_articles == 3
    assert [(c.text, c.label, c.articles, c.count) for c in page.comentions] == [
        ("Germany", "GPE", 2, 2), ("Emmanuel Macron", "PERSON", 2, 2),
        ("Pedro Sánchez", "PERSON", 2, 2), ("Berlin", "GPE", 1, 1), ("France", "GPE", 1, 1),
        ("Madrid", "GPE", 1, 1), ("Paris", "GPE", 1, 1), ("Spain", "GPE", 1, 1),
    ]  # fmt: skip
    # (no DATE "Monday", no CARDINAL "two": only names)
    newest = ep.entity_page(elib.handle, "Angela Merkel", comention_articles=1)
    assert newest.comention_articles == 1
    assert [(c.text, c.articles) for c in newest.comentions] == [
        ("Germany", 1), ("Madrid", 1), ("Spain", 1), ("Pedro Sánchez", 1),
    ]  # fmt: skip


def test_names_match_by_normal_key_and_label(elib: Library) -> None:
    for spelling in ("angela merkel", "ANGELA  MERKEL's", "the Angela Merkel", "Angela Merkel’s"):
        assert elib.entity_page(spelling).name == "Angela Merkel", spelling
    assert elib.entity_page("angela merkel", label="person").label == "PERSON"
    with pytest.raises(NotFound, match="no entity 'Angela Merkel' with label ORG"):
        elib.entity_page("Angela Merkel", label="ORG")
    with pytest.raises(NotFound):
        elib.entity_page("Merkel")  # (one entity per name; aliases come from the groups)
    with pytest.raises(NotFound):
        elib.entity_page("'; DROP TABLE entity_names; --")
    with pytest.raises(NotFound):
        elib.entity_page("   ")


def test_pages_of_articles(elib: Library) -> None:
    second = elib.entity_page("Angela Merkel", limit=1, offset=1)
    assert [i.summary.title for i in second.items] == ["A visit to Paris"]
    assert (second.offset, second.articles, second.timeline) == (
        1,
        3,
        (("2024-01", 1), ("2024-03", 2)),
    )
    assert elib.entity_page("Angela Merkel", offset=3).items == ()


def test_an_undated_article_is_dated_by_its_import(elib: Library) -> None:
    page = elib.entity_page("Emmanuel Macron")
    imported = next(a for a in elib.list_articles() if a.title == "Rail plans delayed")
    assert imported.published is None
    assert page.timeline == (("2024-01", 1), ("2024-03", 1), (imported.imported_at[:7], 1))
    assert page.items[0].summary.title == "Rail plans delayed"


def test_notes_on_passages_that_mention_it(elib: Library) -> None:
    aid = ids(elib)
    berlin = elib.get_article(aid["Talks in Berlin"]).text
    said = berlin.index("Angela Merkel said")
    on_mention = elib.highlight(aid["Talks in Berlin"], said, said + len("Angela Merkel"))
    elsewhere = berlin.index("The two leaders")
    elib.add_note(aid["Talks in Berlin"], "not about her", elsewhere, elsewhere + 20)
    gather = elib.get_article(aid["Energy ministers gather"]).text
    support = gather.index("a message of support")
    in_sentence = elib.add_note(aid["Energy ministers gather"], "her sentence", support,
                                support + len("a message of support"))  # fmt: skip
    elib.add_note(aid["Energy ministers gather"], "whole article")
    rail = elib.get_article(aid["Rail plans delayed"]).text
    elib.highlight(aid["Rail plans delayed"], 0, len(rail))
    page = elib.entity_page("Angela Merkel")
    assert [(n.note.id, n.title) for n in page.notes] == [
        (in_sentence.id, "Energy ministers gather"), (on_mention.id, "Talks in Berlin"),
    ]  # fmt: skip
    assert (page.note_articles, page.notes_complete) == (2, True)
    one = ep.entity_page(elib.handle, "Angela Merkel", notes=1)
    assert [n.note.id for n in one.notes] == [in_sentence.id]
    assert one.notes_complete is False
    assert ep.entity_page(elib.handle, "Angela Merkel", note_articles=1).notes_complete is False


def test_a_damaged_analysis_still_lists_its_article(elib: Library) -> None:
    with elib.write() as conn:
        conn.execute(
            "UPDATE analyses SET entities = x'01ffffffffffffffffffff', sentences = x'00'"
            " WHERE article = (SELECT key FROM articles WHERE title = 'A visit to Paris')"
        )
    page = elib.entity_page("Angela Merkel")
    item = page.items[1]
    assert (item.summary.title, item.start, item.end, item.sentence) == (
        "A visit to Paris",
        -1,
        -1,
        "",
    )
    assert page.articles == 3


def test_a_superseded_article_is_not_on_the_page(elib: Library) -> None:
    with elib.write() as conn:
        conn.execute(
            "UPDATE article_state SET superseded_by = 1"
            " WHERE article = (SELECT key FROM articles WHERE title = 'Talks in Berlin')"
        )
    page = elib.entity_page("Angela Merkel")
    assert [i.summary.title for i in page.items] == TITLES[:2]
    assert (page.articles, page.timeline) == (2, (("2024-03", 2),))


def test_suggestions_for_an_unknown_name(elib: Library) -> None:
    assert elib.entity_suggestions("Angela Merkl") == ["Angela Merkel"]
    assert elib.entity_suggestions("Pedro Sanchez") == ["Pedro Sánchez"]
    assert elib.entity_suggestions("zzzz") == []
    assert elib.entity_suggestions("Angela Merkl", label="GPE") == []


def test_library_list_ranks_names_by_articles(elib: Library) -> None:
    assert [(e.text, e.label, e.count, e.articles) for e in elib.entities(limit=5)] == [
        ("Angela Merkel", "PERSON", 4, 3), ("Emmanuel Macron", "PERSON", 3, 3),
        ("France", "GPE", 2, 2), ("Germany", "GPE", 2, 2), ("Pedro Sánchez", "PERSON", 2, 2),
    ]  # fmt: skip
    labels = {e.label for e in elib.entities()}
    assert labels == {"PERSON", "GPE"}
    every = {(e.text, e.label) for e in elib.entities(all_labels=True)}
    assert {("two", "CARDINAL"), ("Monday", "DATE"), ("the spring", "DATE")} <= every
    assert [e.text for e in elib.entities(label="date")] == ["Monday", "the spring"]


def test_page_json_shape(elib: Library) -> None:
    data = elib.entity_page("Emmanuel Macron", limit=1).to_json()
    assert set(data) == {
        "name", "label", "key", "articles", "mentions", "spellings", "other_labels",
        "timeline", "comentions", "comention_articles", "offset", "items", "notes",
        "note_articles", "notes_complete",
    }  # fmt: skip
    assert data["timeline"][0] == {"month": "2024-01", "articles": 1}
    assert set(data["items"][0]) == {"article", "mentions", "start", "end", "sentence",
                                     "sentence_start"}  # fmt: skip
    assert data["items"][0]["article"]["title"] == "Rail plans delayed"
