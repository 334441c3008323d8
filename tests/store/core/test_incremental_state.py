"""Derived state kept incrementally equals the state rebuilt from the facts, and a write
costs the same however many notes, revisions or events the article already has."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from store import Library
from store.core import state
from store.core.hlc import Stamp

TEXT = " ".join(f"Sentence {i} tells of the harbour and its cranes." for i in range(300))
DERIVED = ("notes", "article_state", "article_tags", "article_tagtext")


@pytest.fixture
def article(fresh_lib: Library, tmp_path: Path, no_model) -> str:
    src = tmp_path / "harbour.txt"
    src.write_text(f"The Harbour\n\n{TEXT}\n", encoding="utf-8")
    aid = fresh_lib.import_paths([src]).results[0].article_id
    assert aid is not None
    return aid


def derived(lib: Library) -> dict[str, list]:
    """Every row of the derived tables, and the FTS indexes checked against their content."""
    conn = lib.conn
    for fts in ("notes_fts", "article_tagtext_fts"):
        conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')")
    return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in DERIVED}


def rebuilt(lib: Library) -> dict[str, list]:
    """The derived tables as a full rebuild from the facts makes them."""
    with lib.write() as conn:
        conn.execute("DELETE FROM notes")
        conn.execute("DELETE FROM article_tags")  # (its triggers empty the tag FTS rows)
        state.rebuild(conn, [r[0] for r in conn.execute("SELECT key FROM articles")])
    return derived(lib)


def branch(lib: Library, note_id: str, body: str) -> None:
    """Another machine's edit made beside the note's current head (a sibling of it: so two
    heads, a conflict), brought in as a sync brings facts."""
    with lib.write() as conn:
        head = lib.note(note_id).revision
        row = conn.execute(
            "SELECT parents, article, pos_start, pos_end, exact, prefix, suffix"
            " FROM note_revisions WHERE rev_id = ?",
            (head,),
        ).fetchone()
        conn.execute(
            "INSERT INTO note_revisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'peer')",
            (f"PEER{body[:22]:0<22}", note_id, *row, body,
             f"{Stamp.parse(lib.stamp(conn)).wall:013d}.00000.peer"),
        )  # fmt: skip
        state.rebuild(conn, [row[1]])


def test_incremental_state_equals_a_full_rebuild(fresh_lib: Library, article: str) -> None:
    lib, aid = fresh_lib, article
    at = TEXT.index("Sentence 7 ")
    passage = lib.add_note(aid, "why seven?", at, at + 40)
    lit = lib.highlight(aid, at + 100, at + 140)
    whole = lib.add_note(aid, "follow up")
    lib.edit_note(passage.id, "why seven, again?")
    lib.edit_note(lit.id, "now a note")  # a highlight becomes a note
    lib.tag(aid, add=["local/harbour", "cranes"])
    lib.tag(aid, remove=["cranes"])
    lib.set_read(aid)
    lib.set_starred(aid)
    lib.set_starred(aid, False)
    # a conflict from another machine, then resolved here by an edit over both heads
    branch(lib, passage.id, "their version")
    assert lib.note(passage.id).conflict
    lib.edit_note(passage.id, "merged version")
    # a conflict left open, and a note deleted while in conflict
    gone = lib.add_note(aid, "to be deleted", at + 200, at + 230)
    branch(lib, gone.id, "their edit")
    lib.delete_note(gone.id)
    open_conflict = lib.add_note(aid, "ours", at + 300, at + 330)
    branch(lib, open_conflict.id, "theirs")
    lib.delete_note(whole.id)
    lib.edit_note(lit.id, "")  # back to a highlight
    lib.tag(aid, add=["cranes"])

    kept = derived(lib)
    assert kept == rebuilt(lib)
    summary = lib.summary(aid)
    assert (summary.notes, summary.highlights, summary.read, summary.starred) == (2, 1, True, False)
    assert summary.tags == ("cranes", "local/harbour")
    assert [(n.body, n.conflict) for n in lib.notes(aid)] == [
        ("merged version", False), ("", False), ("theirs", True)
    ]  # fmt: skip
    assert [h.note_id for h in lib.search("merged")] == [passage.id]
    assert lib.search("seven") == []  # its old bodies are no longer in the index


def test_a_revision_that_branches_updates_from_the_note_alone(
    fresh_lib: Library, article: str
) -> None:
    """A revision that does not supersede every head (a sync's, an import's) takes the
    note's full history: the result is still what a full rebuild makes."""
    lib, aid = fresh_lib, article
    note = lib.add_note(aid, "first", 0, 20)
    first = note.revision
    lib.edit_note(note.id, "second")
    with lib.write() as conn:
        conn.execute(
            "INSERT INTO note_revisions VALUES ('PEERBRANCH000000000000000A', ?, ?, ?, 0, 20, ?,"
            " '', ?, 'their second', 0, ?, 'peer')",
            (
                note.id,
                json.dumps([first]),
                state.key_of(conn, aid),
                TEXT[:20],
                TEXT[20:52],
                lib.stamp(conn),
            ),
        )
        state.note_revised(conn, note.id, "PEERBRANCH000000000000000A")
    assert lib.note(note.id).conflict
    assert sorted(lib.note(note.id).versions) == ["second", "their second"]
    assert derived(lib) == rebuilt(lib)


# -- the cost of a write does not grow with the article --------------------------------------


def vm_steps(lib: Library, write: Callable[[], object]) -> int:
    """SQLite virtual-machine instructions a write runs (to the nearest 100): its work,
    counted the same on every machine."""
    count = 0

    def tick() -> int:
        nonlocal count
        count += 1
        return 0

    lib.conn.set_progress_handler(tick, 100)
    try:
        write()
    finally:
        lib.conn.set_progress_handler(None, 0)
    return count * 100


def import_notes(lib: Library, aid: str, tmp_path: Path, first: int, n: int) -> None:
    """n more highlights on the article, imported as facts (as from another machine)."""
    revisions = [
        {"rev_id": f"IMPORTED{i:018d}", "note_id": f"NOTE{i:022d}", "parents": [],
         "pos_start": i % 5000, "pos_end": i % 5000 + 10, "exact": TEXT[i % 5000 : i % 5000 + 10],
         "prefix": None, "suffix": None, "body": f"imported note {i}", "deleted": False,
         "hlc": f"1700000000000.{i % 100000:05d}.peer", "device": "peer"}
        for i in range(first, first + n)
    ]  # fmt: skip
    doc = {"format": "gloss-annotations", "version": 1,
           "articles": [{"id": aid, "facts": {"note_revisions": revisions}}]}  # fmt: skip
    path = tmp_path / f"notes-{first}.json"
    path.write_text(json.dumps(doc))
    assert lib.import_annotations(path).attached == n


def test_adding_a_note_costs_the_same_on_a_busier_article(
    fresh_lib: Library, article: str, tmp_path: Path
) -> None:
    """Before: each write rebuilt the article's every note (24 s at 51,000 notes)."""
    lib, aid = fresh_lib, article
    import_notes(lib, aid, tmp_path, 0, 300)
    few = vm_steps(lib, lambda: lib.add_note(aid, "one more", 10, 30))
    import_notes(lib, aid, tmp_path, 300, 1200)
    many = vm_steps(lib, lambda: lib.add_note(aid, "and another", 10, 30))
    assert lib.summary(aid).notes == 1502
    assert many <= few + 300, (few, many)


def test_editing_costs_the_same_after_a_long_history(fresh_lib: Library, article: str) -> None:
    """Before: each edit read every revision of the article's notes (6.8 s at 200,000)."""
    lib, aid = fresh_lib, article
    note = lib.add_note(aid, "v0", 0, 20)
    for i in range(50):
        lib.edit_note(note.id, f"v{i + 1}")
    few = vm_steps(lib, lambda: lib.edit_note(note.id, "short history"))
    for i in range(400):
        lib.edit_note(note.id, f"w{i}")
    many = vm_steps(lib, lambda: lib.edit_note(note.id, "long history"))
    assert lib.note(note.id).body == "long history"
    assert many <= few + 300, (few, many)


def test_setting_a_field_costs_the_same_after_many_events(fresh_lib: Library, article: str) -> None:
    lib, aid = fresh_lib, article
    for i in range(20):
        lib.set_read(aid, i % 2 == 0)
    few = vm_steps(lib, lambda: lib.set_starred(aid, True))
    for i in range(400):
        lib.tag(aid, add=[f"t{i % 7}"], remove=[f"t{(i + 3) % 7}"])
        lib.set_read(aid, i % 2 == 0)
    many = vm_steps(lib, lambda: lib.set_starred(aid, False))
    assert lib.summary(aid).starred is False
    assert many <= few + 300, (few, many)
