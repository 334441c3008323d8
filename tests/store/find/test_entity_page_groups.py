"""The entity page by groups: an entity's mentions are its groups' members (so "Putin"
alone counts for Vladimir Putin, and "Xi" finds Xi Jinping's page), co-mentions are other
groups (never the entity's own short forms), and the reader's corrections are read as the
index keeps them (a relabelled mention is on its new label's page, with its sentence)."""

from __future__ import annotations

from store.library import Library
from tests.store.notes.test_corrections import ALSO, FLOOD, FRANKWELL


def test_a_page_holds_every_mention_of_the_group(lib: Library, sample_id: str) -> None:
    text = lib.get_article(sample_id).text
    at = text.index("Putin is coping with the political")
    note = lib.add_note(sample_id, "only his surname here", at, at + len("Putin is coping"))
    page = lib.entity_page("Vladimir Putin", "PERSON")
    assert (page.name, page.label, page.articles) == ("Vladimir Putin", "PERSON", 1)
    ours = [e for e in lib.get_article(sample_id).entities if e.canonical == "Vladimir Putin"]
    assert page.mentions == len(ours) and {e.text for e in ours} >= {"Putin", "Vladimir Putin"}
    assert [n.note.id for n in page.notes] == [note.id]
    names = [c.text for c in page.comentions]
    assert "Xi Jinping" in names and not {"Putin", "Vladimir Putin"} & set(names)
    assert "Xi" not in names  # a short form of Xi Jinping is not an entity of its own here
    by_alias = lib.entity_page("Xi", "PERSON")
    assert (by_alias.name, by_alias.articles) == ("Xi Jinping", 1)


def test_a_corrected_mention_is_on_its_new_page(lib: Library) -> None:
    aid = lib.resolve(FLOOD)
    for span in [FRANKWELL, *ALSO]:
        lib.correct_entity(aid, *span, "label", "LOC")
    page = lib.entity_page("Frankwell", "LOC")
    (item,) = page.items
    assert (item.start, item.end) == FRANKWELL and "Frankwell" in item.sentence
    assert page.mentions == 4
