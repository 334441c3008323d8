"""The entity index by groups: corrections applied to a model's mentions (literal cases),
the entity_groups blob, and the upgrade of a real schema-5 library (0006_entity_groups)."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Library
from store.core import corrected, db, entity_groups, entity_index
from store.core.corrected import Fix
from tests.store.core import schema5

TEXT = "Ada Lovelace met Babbage in London. Lovelace wrote."
MODEL = [(0, 12, "PERSON"), (17, 24, "PERSON"), (28, 34, "GPE"), (36, 44, "ORG")]


def fix(cid: str, s: int, e: int, kind: str, value: str | None = None, hlc: str = "1") -> Fix:
    return Fix(cid, s, e, TEXT[s:e], kind, value, hlc)


def test_no_corrections_leave_the_model_alone() -> None:
    assert corrected.effective(TEXT, MODEL, []) == (MODEL, {}, set(), {}, False)


def test_the_latest_of_each_class_decides_per_span() -> None:
    fixes = [
        fix("a", 36, 44, "label", "PERSON", "1"),
        fix("b", 17, 24, "remove", None, "2"),
        fix("c", 17, 24, "reset", None, "3"),  # later: Babbage is back
        fix("d", 28, 34, "remove", None, "5"),
        fix("e", 28, 34, "label", "LOC", "4"),  # earlier than the remove: London goes
        fix("f", 36, 44, "alias", "Ada Lovelace", "2"),
        fix("g", 17, 24, "split", None, "1"),
        fix("h", 17, 24, "reset", None, "3"),  # resets the grouping too
        fix("i", 0, 12, "name", "Ada", "1"),
    ]
    eff = corrected.effective(TEXT, MODEL, fixes)
    assert eff.mentions == [(0, 12, "PERSON"), (17, 24, "PERSON"), (36, 44, "PERSON")]
    assert (eff.join, eff.alone, eff.named, eff.changed) == (
        {2: "Ada Lovelace"}, set(), {0: "Ada"}, True,
    )  # fmt: skip


def test_marks_add_mentions_and_replace_overlapping_ones() -> None:
    fixes = [
        fix("a", 28, 35, "label", "GPE", "1"),  # "London." overlaps the model's London
        fix("b", 4, 16, "label", "MISC", "2"),  # "Lovelace met" overlaps Ada Lovelace
        fix("c", 9, 20, "label", "MISC", "1"),  # overlaps the later mark b: not applied
    ]
    eff = corrected.effective(TEXT, MODEL, fixes)
    assert eff.mentions == [
        (4, 16, "MISC"), (17, 24, "PERSON"), (28, 35, "GPE"), (36, 44, "ORG"),
    ]  # fmt: skip


def test_a_correction_whose_text_changed_does_not_apply() -> None:
    stale = Fix("a", 17, 24, "Babbagx", "remove", None, "1")
    outside = Fix("b", 40, 99, "x", "remove", None, "1")
    assert corrected.effective(TEXT, MODEL, [stale, outside]).mentions == MODEL
    assert not corrected.applies(TEXT, 17, 24, "Babbagx")


def test_the_groups_blob_round_trips() -> None:
    mentions = [(0, 12, "PERSON"), (28, 34, "GPE"), (36, 44, "PERSON")]
    groups = entity_groups.group(TEXT, mentions, join={2: "Ada Lovelace"})
    assert groups == [
        entity_groups.Group("Ada Lovelace", "PERSON", (0, 2)),
        entity_groups.Group("London", "GPE", (1,)),
    ]
    blob = entity_index.pack_groups(mentions, groups, True, TEXT)
    assert entity_index.unpack_groups(blob, TEXT) == (
        mentions, [0, 1, 0], ["Ada Lovelace", "London"],
    )  # fmt: skip
    plain = entity_index.pack_groups(mentions, groups, False, TEXT)
    assert entity_index.unpack_groups(plain, TEXT, mentions) == (
        None, [0, 1, 0], ["Ada Lovelace", "London"],
    )  # fmt: skip
    # both names are the text of one of their mentions: no name is spelled out in the blob
    assert b"Ada" not in plain and b"London" not in plain
    named = entity_groups.group(TEXT, mentions, named={1: "the City"})
    blob2 = entity_index.pack_groups(mentions, named, False, TEXT)
    assert entity_index.unpack_groups(blob2, TEXT, mentions)[2] == ["Ada Lovelace", "the City"]
    with pytest.raises(ValueError):
        entity_index.unpack_groups(blob[:-3], TEXT)
    with pytest.raises(ValueError):  # a name pointing past the mentions
        entity_index.unpack_groups(plain, TEXT, mentions[:1])
    # a damaged or mismatched blob reads as ungrouped, never as an error
    ents = entity_index.read_entities(TEXT, b"\x01\x00\x01\x00\x0c\x00", b"\x01\x00\x09")
    assert [tuple(e) for e in ents] == [(0, 12, "PERSON", "Ada Lovelace", "Ada Lovelace", 0)]


def test_a_schema_5_library_opens_with_its_entities_grouped(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    schema5.build(path)
    conn = db.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (5,)
    assert conn.execute(
        "SELECT text, mentions FROM entity_names WHERE label = 'ORG' ORDER BY text"
    ).fetchall() == [("Kremlin", 1), ("The Kremlin", 1)]  # two entities, as it was
    conn.close()
    calls: list[tuple[str, int, int]] = []
    with Library.open(path, progress=lambda *a: calls.append(a)) as lib:
        assert calls == [("entity groups", 0, 4), ("entity groups", 4, 4), ("done", 1, 1)]
        assert lib.conn.execute("PRAGMA user_version").fetchone() == (7,)
        assert db.check(lib.conn, full=True) == ["ok"]
        assert lib.conn.execute(
            "SELECT name_key, text, label, articles, mentions FROM entity_names ORDER BY name_key"
        ).fetchall() == [
            ("ada lovelace", "Ada Lovelace", "PERSON", 2, 2),
            ("babbage", "Babbage", "PERSON", 1, 1),
            ("charles babbage", "Charles Babbage", "PERSON", 1, 1),
            ("kremlin", "Kremlin", "ORG", 1, 2),  # one entity: "the" is not its name
            ("london", "London", "GPE", 2, 2),
            ("persia", "Persia", "GPE", 1, 1),
            ("samarkand", "Samarkand", "GPE", 1, 1),
            ("silk road", "Silk Road", "LOC", 1, 1),
        ]
        assert lib.conn.execute("SELECT count(*) FROM entity_groups").fetchone() == (4,)
        assert [tuple(e) for e in lib.get_article(schema5.D).entities] == [
            (0, 11, "ORG", "The Kremlin", "Kremlin", 0),
            (25, 32, "ORG", "Kremlin", "Kremlin", 0),
        ]
        assert [h.article_id for h in lib.search("entity:kremlin")] == [schema5.D]
        names = [r[0] for r in lib.conn.execute("SELECT name FROM migrations ORDER BY name")]
        assert names == db.MIGRATION_NAMES
        # the new tables work: a correction on the upgraded library
        lib.correct_entity(schema5.D, 25, 32, "name", "Kremlin Palace")
        assert lib.entities(schema5.D) == [("Kremlin Palace", "ORG", 2, 1)]
    with Library.open(path, progress=lambda *a: calls.append(a)) as lib:  # once only
        assert len(calls) == 3


def test_a_full_rebuild_equals_the_incremental_index(lib: Library) -> None:
    """regroup_all (the upgrade's bulk path) writes what rebuild_entities does."""
    from store.core import regroup

    aid = lib.resolve("6055eddc")
    lib.correct_entity(aid, 122, 132, "alias", "Samarkand")

    def dump() -> dict:
        return {
            "names": sorted(lib.conn.execute(
                "SELECT name_key, text, label, articles, mentions FROM entity_names")),
            "postings": sorted(lib.conn.execute(
                "SELECT n.name_key, n.label, e.article, e.mentions FROM entity_articles e"
                " JOIN entity_names n ON n.key = e.entity")),
            "aliases": sorted(lib.conn.execute(
                "SELECT a.name_key, n.name_key, a.articles FROM entity_aliases a"
                " JOIN entity_names n ON n.key = a.entity")),
            "groups": sorted(lib.conn.execute("SELECT article, groups FROM entity_groups")),
            "labels": sorted(lib.conn.execute("SELECT article, labels FROM article_state")),
        }  # fmt: skip

    before = dump()
    assert ("uzbekistan", "samarkand", 1) in before["aliases"]
    with lib.write() as w:
        regroup.regroup_all(w)
    assert dump() == before
