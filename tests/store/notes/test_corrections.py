"""Entity corrections on the sample library, analysed by the real model: each kind applied
at once everywhere (the article, its entity counts, the library index, search), kept over
re-analysis and carried to a new version, validated, listed, and exported as training data
that spaCy loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store import Library
from store.core.errors import InvalidInput

FLOOD = "f45707fa"  # "Volunteers rescue 40 residents as Severn floods Shrewsbury ..."
FRANKWELL = (243, 252)  # the model says ORG; it is a district of Shrewsbury
ALSO = [(2673, 2682), (2921, 2930), (3300, 3309)]  # its other mentions (ORG too)
SAMPLE = "6055eddc"  # "Putin Meets Xi Jinping"


def spans(lib: Library, aid: str, lo: int, hi: int) -> list[tuple]:
    return [
        (e.start, e.end, e.label, e.text, e.canonical)
        for e in lib.get_article(aid).entities
        if lo <= e.start < hi
    ]


def names(lib: Library, text: str) -> list[tuple]:
    return lib.conn.execute(
        "SELECT name_key, text, label, articles, mentions FROM entity_names WHERE text = ?"
        " ORDER BY label",
        (text,),
    ).fetchall()


def hits(lib: Library, query: str) -> list[str]:
    return sorted({h.article_id[:8] for h in lib.search(query)})


def test_relabel_applies_everywhere_at_once(lib: Library) -> None:
    aid = lib.resolve(FLOOD)
    assert spans(lib, aid, 243, 265) == [
        (243, 252, "ORG", "Frankwell", "Frankwell"),
        (257, 264, "ORG", "Coleham", "Coleham"),
    ]
    fix = lib.correct_entity(aid, *FRANKWELL, "label", "loc")
    assert (fix.kind, fix.value, fix.exact, fix.applied) == ("label", "LOC", "Frankwell", True)
    assert spans(lib, aid, 243, 253) == [(243, 252, "LOC", "Frankwell", "Frankwell")]
    # a correction is of one span: the other three mentions are still the model's, and
    # the four are one group (one name), labelled as most of its mentions are
    assert names(lib, "Frankwell") == [("frankwell", "Frankwell", "ORG", 1, 4)]
    for span in ALSO:
        lib.correct_entity(aid, *span, "label", "LOC")
    assert names(lib, "Frankwell") == [("frankwell", "Frankwell", "LOC", 1, 4)]
    assert ("Frankwell", "LOC", 4) in [(e.text, e.label, e.count) for e in lib.entities(aid)]
    assert hits(lib, "label:LOC entity:frankwell") == ["f45707fa"]
    assert hits(lib, "entity:frankwell") == ["f45707fa"]


def test_remove_reset_and_mark(lib: Library) -> None:
    aid = lib.resolve(FLOOD)
    for span in [FRANKWELL, *ALSO]:
        lib.correct_entity(aid, *span, "remove")
    assert spans(lib, aid, 243, 253) == []
    assert names(lib, "Frankwell") == []
    assert hits(lib, "entity:Frankwell") == []
    lib.correct_entity(aid, *FRANKWELL, "reset")
    assert spans(lib, aid, 243, 253) == [(243, 252, "ORG", "Frankwell", "Frankwell")]
    assert names(lib, "Frankwell") == [("frankwell", "Frankwell", "ORG", 1, 1)]
    # a passage the model did not find, marked with a label of the reader's own
    text = lib.get_article(aid).text
    start = text.index("streets in the")
    lib.correct_entity(aid, start, start + 7, "label", "PLACE_KIND")
    assert spans(lib, aid, start, start + 7) == [
        (start, start + 7, "PLACE_KIND", "streets", "streets")
    ]
    assert names(lib, "streets") == [("streets", "streets", "PLACE_KIND", 1, 1)]


def test_alias_split_and_name_steer_the_groups(lib: Library) -> None:
    aid = lib.resolve(SAMPLE)
    # "Uzbekistan" (GPE, 122) into the group "Samarkand": one entity, found by either name
    lib.correct_entity(aid, 122, 132, "alias", "Samarkand")
    assert spans(lib, aid, 122, 123) == [(122, 132, "GPE", "Uzbekistan", "Samarkand")]
    counts = {(e.text, e.label): e.count for e in lib.entities(aid)}
    assert counts[("Samarkand", "GPE")] == 2
    assert ("Uzbekistan", "GPE") not in counts
    assert lib.conn.execute(
        "SELECT a.name_key, n.text FROM entity_aliases a JOIN entity_names n ON n.key = a.entity"
        " WHERE a.name_key = 'uzbekistan'"
    ).fetchall() == [("uzbekistan", "Samarkand")]
    assert hits(lib, "entity:Uzbekistan") == ["6055eddc"]
    assert [a.id[:8] for a in lib.articles_mentioning("uzbekistan", "GPE")] == ["6055eddc"]
    # one "Xi" (589) out of its group; then the group of the others named by the reader
    lib.correct_entity(aid, 589, 591, "split")
    xi = [e for e in lib.get_article(aid).entities if e.text == "Xi"]
    assert len({e.group for e in xi}) == 2
    lib.correct_entity(aid, 1127, 1129, "name", "Xi the leader")
    canon = {e.start: e.canonical for e in lib.get_article(aid).entities if e.text == "Xi"}
    assert (canon[589], canon[1127], canon[4084]) == ("Xi", "Xi the leader", "Xi the leader")
    # (the group is every "Xi" and "Xi Jinping" but the one split out)
    assert names(lib, "Xi the leader") == [("xi the leader", "Xi the leader", "PERSON", 1, 11)]
    lib.correct_entity(aid, 1127, 1129, "name", "")  # the automatic name again
    assert names(lib, "Xi the leader") == []


def test_a_stale_index_is_cleaned_up_by_its_own_record(lib: Library) -> None:
    """Forgetting reads the posted record: the analysis may already be gone."""
    aid = lib.resolve(SAMPLE)
    lib.correct_entity(aid, 122, 132, "alias", "Samarkand")
    key = lib.conn.execute("SELECT key FROM articles WHERE id = ?", (aid,)).fetchone()[0]
    from store.core import entity_index

    with lib.write() as w:
        w.execute("DELETE FROM analyses WHERE article = ?", (key,))
        entity_index.rebuild_entities(w, [key])
    assert lib.conn.execute(
        "SELECT count(*) FROM entity_articles WHERE article = ?", (key,)
    ).fetchone() == (0,)
    assert lib.conn.execute(
        "SELECT count(*) FROM entity_aliases WHERE name_key = 'uzbekistan'"
    ).fetchone() == (0,)
    assert names(lib, "Samarkand") == []


def test_invalid_corrections_are_one_line_errors(lib: Library) -> None:
    aid = lib.resolve(FLOOD)
    with pytest.raises(InvalidInput, match=r"^passage 5000\.\.99999 is outside the article$"):
        lib.correct_entity(aid, 5000, 99999, "remove")
    with pytest.raises(InvalidInput, match="is not a label"):
        lib.correct_entity(aid, *FRANKWELL, "label", "loc!")
    with pytest.raises(InvalidInput, match="is not a label"):
        lib.correct_entity(aid, *FRANKWELL, "label", "A" * 33)
    with pytest.raises(InvalidInput, match=r"name too long \(201 characters"):
        lib.correct_entity(aid, *FRANKWELL, "alias", "x" * 201)
    with pytest.raises(InvalidInput, match=r"^no entity at 0\.\.5 \('Volun'\)"):
        lib.correct_entity(aid, 0, 5, "split")
    with pytest.raises(InvalidInput, match="unknown correction 'merge'"):
        lib.correct_entity(aid, *FRANKWELL, "merge")
    assert lib.corrections() == []


def test_corrections_are_listed_latest_first(lib: Library) -> None:
    aid = lib.resolve(FLOOD)
    first = lib.correct_entity(aid, *FRANKWELL, "label", "LOC")
    second = lib.correct_entity(aid, 257, 264, "label", "LOC")
    listed = lib.corrections()
    assert [c.id for c in listed] == [second.id, first.id]
    assert [(c.article_id[:8], c.start, c.end, c.exact, c.kind, c.value, c.applied)
            for c in listed] == [
        ("f45707fa", 257, 264, "Coleham", "label", "LOC", True),
        ("f45707fa", 243, 252, "Frankwell", "label", "LOC", True),
    ]  # fmt: skip
    assert lib.corrections(lib.resolve(SAMPLE)) == []
    assert json.loads(json.dumps(listed[0].to_json()))["device"] == lib.device_id


def test_corrections_hold_over_reanalysis_by_the_real_model(lib: Library) -> None:
    flood, sample = lib.resolve(FLOOD), lib.resolve(SAMPLE)
    lib.correct_entity(flood, *FRANKWELL, "label", "LOC")
    lib.correct_entity(flood, 257, 264, "remove")
    lib.correct_entity(sample, 122, 132, "alias", "Samarkand")
    lib.correct_entity(sample, 589, 591, "split")
    before = lib.get_article(sample).entities
    count, _ = lib.reanalyze(all_articles=True)
    assert count == 5
    assert spans(lib, flood, 243, 265) == [(243, 252, "LOC", "Frankwell", "Frankwell")]
    assert lib.get_article(sample).entities == before
    assert spans(lib, sample, 122, 123) == [(122, 132, "GPE", "Uzbekistan", "Samarkand")]
    assert names(lib, "Frankwell") == [("frankwell", "Frankwell", "ORG", 1, 4)]
    assert names(lib, "Coleham") == [("coleham", "Coleham", "GPE", 1, 1)]  # (1969: not fixed)


def test_a_new_version_takes_the_corrections_along(tmp_path: Path, analyzer) -> None:
    src = tmp_path / "shrewsbury.txt"
    first = (
        "Floods in Shrewsbury\n\nWater rose in Frankwell overnight, and Coleham was cut off."
        "\n\nThe Severn peaked at dawn.\n"
    )
    src.write_text(first)
    with Library.open(tmp_path / "lib.db") as lib:
        lib.import_paths([src])
        (old,) = [a.id for a in lib.list_articles()]
        found = {e.text: (e.start, e.end, e.label) for e in lib.get_article(old).entities}
        frank, cole = found["Frankwell"], found["Coleham"]
        lib.correct_entity(old, frank[0], frank[1], "label", "LOC")
        lib.correct_entity(old, cole[0], cole[1], "label", "LOC")
        # the new version moves Frankwell further on and drops Coleham
        src.write_text(first.replace("Water rose", "Late at night the water rose").replace(
            ", and Coleham was cut off", ""))  # fmt: skip
        lib.import_paths([src])
        (new,) = [a.id for a in lib.list_articles()]
        assert new != old
        text = lib.get_article(new).text
        at = text.index("Frankwell")
        listed = [(c.article_id, c.start, c.exact, c.applied) for c in lib.corrections()]
        assert sorted(listed) == sorted([
            (new, at, "Frankwell", True), (new, cole[0], "Coleham", False),
        ])  # fmt: skip
        assert [(e.text, e.label) for e in lib.get_article(new).entities
                if e.text == "Frankwell"] == [("Frankwell", "LOC")]  # fmt: skip
        assert len(lib.corrections(old)) == 2  # the old version keeps its own


def test_export_training_writes_a_docbin_spacy_loads(lib: Library, tmp_path: Path) -> None:
    import spacy
    from spacy.tokens import DocBin

    aid = lib.resolve(FLOOD)
    lib.correct_entity(aid, *FRANKWELL, "label", "LOC")
    text = lib.get_article(aid).text
    mid = text.index("streets in the") + 2  # "reets": inside a token, widened to it
    lib.correct_entity(aid, mid, mid + 5, "label", "PLACE_KIND")
    counts = lib.export_training(tmp_path / "train")
    assert counts == {"docs": 1, "spans": counts["spans"], "skipped": 0}
    docs = list(DocBin().from_disk(tmp_path / "train.spacy").get_docs(spacy.blank("en").vocab))
    assert len(docs) == 1 and docs[0].text == text
    ents = {(e.start_char, e.end_char): (e.label_, e.text) for e in docs[0].ents}
    assert ents[FRANKWELL] == ("LOC", "Frankwell")
    assert ents[(mid - 2, mid + 5)] == ("PLACE_KIND", "streets")
    assert len(docs[0].ents) == counts["spans"] == len(lib.get_article(aid).entities)
    (line,) = (tmp_path / "train.jsonl").read_text().splitlines()
    data = json.loads(line)
    assert data["text"] == text
    assert {"start": 243, "end": 252, "label": "LOC"} in data["spans"]
    assert {"start": mid, "end": mid + 5, "label": "PLACE_KIND"} in data["spans"]
