"""Notes, highlights, tags, read and starred: round trips through the facts and derived state."""

from __future__ import annotations

import json

import pytest

from store import Library
from store.core.errors import InvalidInput, NotFound
from store.core.models import Anchor, Filter


def test_passage_note_round_trip(lib: Library, sample_id: str) -> None:
    start, end = lib.find_quote(sample_id, "will meet next week in Uzbekistan")
    note = lib.add_note(sample_id, "Where exactly?", start, end)
    assert note.anchor == Anchor(
        start,
        end,
        "will meet next week in Uzbekistan",
        "nd Chinese President Xi Jinping ",
        ". This summit might be seen as a",
    )
    assert len(note.anchor.prefix) == len(note.anchor.suffix) == 32
    assert lib.get_article(sample_id).notes == (note,)
    assert lib.summary(sample_id).notes == 1


def test_edit_and_delete_are_new_revisions(lib: Library, sample_id: str) -> None:
    note = lib.add_note(sample_id, "first thought")
    edited = lib.edit_note(note.id, "second thought")
    assert (edited.id, edited.body, edited.created) == (note.id, "second thought", note.created)
    assert edited.updated > note.updated
    lib.delete_note(note.id)
    assert lib.notes(sample_id) == []
    revs = lib.conn.execute(
        "SELECT body, deleted, parents FROM note_revisions WHERE note_id = ? ORDER BY hlc",
        (note.id,),
    ).fetchall()
    assert [(b, d) for b, d, _ in revs] == [
        ("first thought", 0), ("second thought", 0), ("second thought", 1)
    ]  # fmt: skip
    assert json.loads(revs[0][2]) == []
    assert len(json.loads(revs[2][2])) == 1
    assert lib.summary(sample_id).notes == 0
    with pytest.raises(NotFound):
        lib.note(note.id)


def test_highlight_counts_apart_from_notes(lib: Library, sample_id: str) -> None:
    h = lib.highlight(sample_id, 0, 20)
    assert h.is_highlight and h.body == ""
    s = lib.summary(sample_id)
    assert (s.notes, s.highlights) == (0, 1)
    assert lib.list_articles(Filter(annotated=True)) == [s]


def test_notes_in_document_order(lib: Library, sample_id: str) -> None:
    later = lib.add_note(sample_id, "later", *lib.find_quote(sample_id, "Samarkand"))
    whole = lib.add_note(sample_id, "about the whole piece")
    early = lib.add_note(sample_id, "early", *lib.find_quote(sample_id, "Russian official"))
    assert [n.id for n in lib.notes(sample_id)] == [whole.id, early.id, later.id]


def test_quote_matching_is_forgiving_about_case_and_spaces(lib: Library, sample_id: str) -> None:
    exact = lib.find_quote(sample_id, "Shanghai Cooperation Organization")
    assert lib.find_quote(sample_id, "  shanghai   cooperation\norganization ") == exact
    with pytest.raises(InvalidInput, match="not in the article"):
        lib.find_quote(sample_id, "Vladivostok")


@pytest.mark.parametrize("start, end", [(-1, 5), (5, 5), (0, 10**7), (None, 4)])
def test_bad_ranges(lib: Library, sample_id: str, start, end) -> None:
    with pytest.raises(InvalidInput):
        lib.add_note(sample_id, "x", start, end)


def test_empty_article_note_refused(lib: Library, sample_id: str) -> None:
    with pytest.raises(InvalidInput):
        lib.add_note(sample_id, "  \x1b[2J ")


def test_note_text_is_sanitised(lib: Library, sample_id: str) -> None:
    n = lib.add_note(sample_id, "look \x1b]52;c;ZXZpbA==\x07here [bold]x[/bold]")
    assert n.body == "look here [bold]x[/bold]"


def test_tags_nested_and_filtered(lib: Library, sample_id: str) -> None:
    assert lib.tag(sample_id, add=["World/Asia", "politics"]) == ("politics", "world/asia")
    other = next(a.id for a in lib.list_articles() if a.id != sample_id)
    lib.tag(other, add=["world"])
    assert [a.id for a in lib.list_articles(Filter(tag="world/asia"))] == [sample_id]
    europe = {a.id for a in lib.list_articles() if "world/europe" in a.tags}
    assert {a.id for a in lib.list_articles(Filter(tag="world"))} == {sample_id, other} | europe
    assert lib.tag(sample_id, remove=["politics"]) == ("world/asia",)
    assert ("politics", 1) not in lib.tags()
    assert ("world/asia", 1) in lib.tags()


def test_tag_event_only_when_state_changes(lib: Library, sample_id: str) -> None:
    def events() -> int:
        return lib.conn.execute("SELECT count(*) FROM events").fetchone()[0]

    base = events()
    lib.tag(sample_id, add=["a"])
    lib.tag(sample_id, add=["a"])
    lib.set_read(sample_id, False)  # already unread
    assert events() == base + 1


def test_read_and_starred(lib: Library, sample_id: str) -> None:
    unread = lib.stats()["unread"]
    lib.set_read(sample_id)
    lib.set_starred(sample_id)
    s = lib.summary(sample_id)
    assert (s.read, s.starred) == (True, True)
    assert lib.stats()["unread"] == unread - 1
    assert sample_id not in {a.id for a in lib.list_articles(Filter(unread=True))}
    assert [a.id for a in lib.list_articles(Filter(starred=True))] == [sample_id]
    lib.set_read(sample_id, False)
    assert lib.summary(sample_id).read is False


def test_state_is_rebuildable_from_facts(lib: Library, sample_id: str) -> None:
    from store.core import state

    lib.tag(sample_id, add=["x"])
    lib.set_starred(sample_id)
    lib.add_note(sample_id, "kept", *lib.find_quote(sample_id, "Samarkand"))
    before = (lib.get_article(sample_id), lib.stats(), lib.tags())
    with lib.write() as conn:
        for table in ("notes", "article_state", "article_tags"):
            conn.execute(f"DELETE FROM {table}")
        state.rebuild(conn, [k for (k,) in conn.execute("SELECT key FROM articles")])
    assert (lib.get_article(sample_id), lib.stats(), lib.tags()) == before


def test_state_survives_reopen(lib: Library, sample_id: str) -> None:
    lib.tag(sample_id, add=["kept"])
    note = lib.add_note(sample_id, "persisted")
    path = lib.path
    lib.close()
    with Library.open(path) as again:
        assert again.summary(sample_id).tags == ("kept",)
        assert again.note(note.id).body == "persisted"


def test_id_prefixes(lib: Library, sample_id: str) -> None:
    assert lib.resolve(sample_id[:6].upper()) == sample_id
    with pytest.raises(NotFound):
        lib.resolve("zz")
    with pytest.raises(NotFound):
        lib.resolve("'; DROP TABLE articles; --")
    note = lib.add_note(sample_id, "n")
    assert lib.resolve_note(note.id[:20].lower()) == note.id


def test_entities_and_mentions(lib: Library, sample_id: str) -> None:
    counts = {(e.text, e.label): e.count for e in lib.entities(sample_id)}
    assert counts[("Xi Jinping", "PERSON")] >= 5  # "Xi" and "Xi Jinping": one group
    people = lib.entities(sample_id, label="person")
    assert people and all(e.label == "PERSON" for e in people)
    wide = lib.entities(limit=3)
    assert len(wide) == 3
    mentioning = lib.articles_mentioning("Samarkand", "GPE")
    assert [a.id for a in mentioning] == [sample_id]
    assert lib.articles_mentioning("Samarkand", "GPE", exclude=sample_id) == []


def test_feed_filter_lists_a_feeds_articles(lib: Library, sample_id: str) -> None:
    with lib.write() as conn:
        conn.execute(
            "INSERT INTO feed_entries (feed_id, guid, article, link, published, hlc, device)"
            " SELECT 'f1', 'g1', key, 'http://x', NULL, 'h', 'd' FROM articles WHERE id = ?",
            (sample_id,),
        )
    assert [a.id for a in lib.list_articles(Filter(feed="f1"))] == [sample_id]
    assert lib.count(Filter(feed="f1")) == 1 and lib.count(Filter(feed="f1", unread=True)) == 1
    assert lib.list_articles(Filter(feed="nope")) == []
