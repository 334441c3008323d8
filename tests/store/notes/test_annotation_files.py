"""Crafted annotation files through `gloss import-annotations`: each is a one-line error or
a per-entry reason, never an internal error, and leaves the library as it was. Anchoring
runs before the write lock is taken."""

from __future__ import annotations

import copy
import json
import os
import sqlite3
from pathlib import Path

import pytest

from store import Library
from store.core import hlc

ARTICLE = """---
title: Harbour Cranes Return
url: https://news.example.com/cranes
---

The cranes at the harbour in Lisbon were repaired after a long winter of delays.

Dock workers said the new cranes would double the number of ships unloaded each day.
"""
TABLES = ("note_revisions", "events", "notes", "article_state", "article_tags", "meta")


def snapshot(db: Path) -> dict[str, list]:
    conn = sqlite3.connect(db)
    try:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}
    finally:
        conn.close()


@pytest.fixture
def exported(gloss, tmp_path: Path, no_model) -> tuple[Path, dict]:
    """A library with one annotated article, and its gloss JSON export."""
    src = tmp_path / "cranes.md"
    src.write_text(ARTICLE)
    assert gloss("import", str(src))[0] == 0
    aid = json.loads(gloss("list", "--json")[1])[0]["id"]
    assert gloss("note", aid, "Which winter?", "--quote", "a long winter of delays")[0] == 0
    assert gloss("tag", aid, "local")[0] == 0
    code, out, _ = gloss("export", "--format", "json")
    assert code == 0
    return tmp_path / "library.db", json.loads(out)


def crafted(doc: dict, change) -> dict:
    doc = copy.deepcopy(doc)
    change(doc["articles"][0])
    return doc


def _rev(art: dict) -> dict:
    return art["facts"]["note_revisions"][0]


FUTURE = "9999999999999.00000.peer"
CASES = {
    "infinite offset": (
        lambda a: _rev(a).update(pos_start=float("inf"), rev_id="R" * 26),
        "revision RRRRRRRRRRRRRRRRRRRRRRRRRR: pos_start must be a whole number",
    ),
    "NaN offset": (
        lambda a: _rev(a).update(pos_end=float("nan"), rev_id="R" * 26),
        "pos_end must be a whole number, not a number JSON does not allow",
    ),
    "facts not an object": (lambda a: a.update(facts="x"), "facts must be an object"),
    "note_revisions not a list": (
        lambda a: a["facts"].update(note_revisions=5),
        "note_revisions must be a list",
    ),
    "events not a list": (lambda a: a["facts"].update(events={"a": 1}), "events must be a list"),
    "event from the far future": (
        lambda a: a["facts"].update(
            events=[
                {"event_id": "E1", "field": "starred", "value": 1, "hlc": FUTURE, "device": "peer"}
            ]
        ),  # fmt: skip
        "event E1: hlc 9999999999999 is more than a day ahead of this machine's clock",
    ),
    "revision from the far future": (
        lambda a: _rev(a).update(hlc=FUTURE, rev_id="F" * 26),
        f"revision {'F' * 26}: hlc 9999999999999 is more than a day ahead",
    ),
    "event with a stamp that is not one": (
        lambda a: a["facts"].update(
            events=[
                {
                    "event_id": "E2",
                    "field": "read",
                    "value": 1,
                    "hlc": "99999999999999999999",
                    "device": "d",
                }
            ]
        ),  # fmt: skip
        "event E2: hlc '99999999999999999999' is not a clock stamp",
    ),
    "revision that is its own parent": (
        lambda a: _rev(a).update(rev_id="S" * 26, parents=["S" * 26]),
        "parents must be other revisions",
    ),
    "an event value that is a string": (
        lambda a: a["facts"].update(
            events=[
                {
                    "event_id": "E3",
                    "field": "read",
                    "value": "1",
                    "hlc": "1700000000000.00000.d",
                    "device": "d",
                }
            ]
        ),  # fmt: skip
        "event E3: value must be a whole number, not '1'",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_crafted_entries_are_rejected_with_a_reason(gloss, exported, tmp_path: Path, case) -> None:
    db, doc = exported
    change, reason = CASES[case]
    path = tmp_path / "crafted.json"
    path.write_text(json.dumps(crafted(doc, change)))  # Infinity and NaN as JSON writes them
    before = snapshot(db)
    code, out, err = gloss("import-annotations", str(path))
    assert code == 1 and err == ""
    assert reason in out, out
    assert snapshot(db) == before


W3C_INFINITY = (
    '[{"type": "Annotation", "id": "https://example.com/a/1",'
    ' "body": {"type": "TextualBody", "value": "nice"},'
    ' "target": {"source": "https://news.example.com/cranes", "selector": ['
    ' {"type": "TextQuoteSelector", "exact": "Dock workers said"},'
    ' {"type": "TextPositionSelector", "start": Infinity, "end": -Infinity}]}}]'
)


def test_a_w3c_annotation_with_infinite_offsets_is_rejected(gloss, exported, tmp_path) -> None:
    db, _ = exported
    path = tmp_path / "w3c.json"
    path.write_text(W3C_INFINITY)
    before = snapshot(db)
    code, out, err = gloss("import-annotations", str(path))
    assert (code, err) == (1, "")
    assert "rejected: annotation: start must be a whole number, not a number JSON" in out
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested more than 64 levels deep"),
        ('{"a": ' * 100_000 + "1" + "}" * 100_000, "nested more than 64 levels deep"),
        ('{"format": "gloss-annotations", "version": 1, "articles": {"x": 1}}', "must be a list"),
        ('{"type": "AnnotationPage", "items": 7}', "neither gloss annotations nor W3C"),
        ('{"format": "gloss-annotations", "version": ' + "9" * 5000 + "}", "version a number"),
        (
            '{"format": "gloss-annotations", "version": 1, "articles": [{"id": "\\ud800"}]}',
            "holds an unpaired surrogate",
        ),
        ('{"type": "Annotation", "bodyValue": "my \\udfff note"}', "unpaired surrogate"),
    ],
    ids=[
        "deep lists",
        "deep objects",
        "articles an object",
        "items a number",
        "long number",
        "surrogate id",
        "surrogate body",
    ],  # fmt: skip
)
def test_whole_file_refusals_are_one_line(gloss, exported, tmp_path, content, message) -> None:
    db, _ = exported
    path = tmp_path / "bad.json"
    path.write_text(content)
    before = snapshot(db)
    code, out, err = gloss("import-annotations", str(path))
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1 and message in err, err
    assert snapshot(db) == before


def test_strings_with_brackets_do_not_count_as_depth(gloss, exported, tmp_path) -> None:
    db, doc = exported
    doc["articles"][0]["title"] = "[" * 500 + '"\\"{' * 100
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(doc))
    code, out, err = gloss("import-annotations", str(path))
    assert (code, err) == (0, "")
    assert out.startswith("0 attached, 1 already present")


def test_only_regular_files_are_read(gloss, exported, tmp_path: Path) -> None:
    db, _ = exported
    fifo = tmp_path / "notes.json"
    os.mkfifo(fifo)  # reading it would wait for a writer forever
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")  # endless
    before = snapshot(db)
    for path in (fifo, zero):
        code, out, err = gloss("import-annotations", str(path))
        assert code == 1 and err == f"gloss: error: {path} is not a regular file\n"
    assert snapshot(db) == before


def test_anchoring_runs_before_the_write_lock(exported, tmp_path, monkeypatch) -> None:
    """Another writer is not kept waiting while quotes are re-anchored (before: anchoring
    ran inside the import's transaction, and a writer failed "busy" after 5 s)."""
    from store.notes import exchange as annotations_io

    db, _ = exported
    path = tmp_path / "hypothesis.json"
    path.write_text(json.dumps([{
        "id": "https://hypothes.is/a/abc123", "type": "Annotation",
        "body": {"type": "TextualBody", "value": "nice detail", "purpose": "commenting"},
        "target": {"source": "https://news.example.com/cranes", "selector": [
            {"type": "TextQuoteSelector", "exact": "Dock workers told", "prefix": "",
             "suffix": ""}]},
    }]))  # fmt: skip
    writes: list[str] = []
    real = annotations_io.reanchor

    def reanchor_and_write(anchor, text):
        other = sqlite3.connect(db, timeout=0)
        try:
            other.execute("INSERT INTO meta (key, value) VALUES ('probe', 'x')")
            other.commit()
            writes.append("written")
        except sqlite3.OperationalError as exc:
            writes.append(str(exc))
        finally:
            other.close()
        return real(anchor, text)

    monkeypatch.setattr(annotations_io, "reanchor", reanchor_and_write)
    with Library.open(db) as lib:
        report = lib.import_annotations(path)
        assert writes == ["written"]
        assert (report.attached, report.orphaned, report.rejected) == (1, 0, [])
        [n] = [n for n in lib.notes() if n.body == "nice detail"]
        assert n.anchor is not None and n.anchor.exact == "Dock workers said"


def test_a_stamp_within_a_day_ahead_is_kept(gloss, exported, tmp_path: Path) -> None:
    db, doc = exported
    soon = f"{hlc.now_ms() + 3_600_000:013d}.00000.peer"  # an hour ahead: a skewed clock
    event = {"event_id": "E9", "field": "starred", "value": 1, "hlc": soon, "device": "peer"}
    path = tmp_path / "soon.json"
    path.write_text(json.dumps(crafted(doc, lambda a: a["facts"].update(events=[event]))))
    code, out, _ = gloss("import-annotations", str(path))
    assert code == 0, out
    [listed] = json.loads(gloss("list", "--json")[1])
    assert (listed["id"], listed["starred"]) == (doc["articles"][0]["id"], True)


def test_a_library_changed_while_planning_is_planned_again(exported, tmp_path, monkeypatch):
    """An article imported while the file was being planned (no lock held yet): the plan is
    made again under the lock, and the report counts each entry once."""
    from store.notes import exchange as annotations_io

    db, _ = exported
    path = tmp_path / "hypothesis.json"
    path.write_text(json.dumps([{
        "id": "https://hypothes.is/a/xyz", "type": "Annotation",
        "body": {"type": "TextualBody", "value": "again", "purpose": "commenting"},
        "target": {"source": "https://news.example.com/cranes", "selector": [
            {"type": "TextQuoteSelector", "exact": "the new cranes"}]},
    }, {"type": "Annotation", "target": "https://elsewhere.example.com/x"}]))  # fmt: skip
    other = tmp_path / "other.txt"
    other.write_text("Another Article\n\nIt arrived while the notes were being planned.\n")
    real, calls = annotations_io._plan, []

    def plan_then_import(conn, data, report):
        calls.append(conn.in_transaction)
        steps = real(conn, data, report)
        if len(calls) == 1:
            with Library.open(db) as second:
                second.import_paths([other])
        return steps

    monkeypatch.setattr(annotations_io, "_plan", plan_then_import)
    with Library.open(db) as lib:
        report = lib.import_annotations(path)
        assert calls == [False, True]
        assert (report.attached, report.present, report.missing) == (
            1, 0, ["https://elsewhere.example.com/x"]
        )  # fmt: skip
        assert [n.body for n in lib.notes() if n.body == "again"] == ["again"]
