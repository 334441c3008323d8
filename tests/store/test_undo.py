"""The store's side of undo: a deleted note brought back and many articles marked read at
once, each a new fact (a revision, events) that syncs like any edit."""

from __future__ import annotations

import shutil
from pathlib import Path

from store import Library
from store.core.models import Filter
from store.sync.folder import SyncReport, check_device


def test_a_deleted_note_comes_back_as_a_new_revision(lib: Library, sample_id: str) -> None:
    start, end = lib.find_quote(sample_id, "will meet next week in Uzbekistan")
    note = lib.add_note(sample_id, "Where exactly?", start, end)
    lib.delete_note(note.id)
    assert lib.notes(sample_id) == []
    back = lib.restore_note(note.id)
    assert (back.id, back.body, back.anchor, back.created) == (
        note.id, "Where exactly?", note.anchor, note.created
    )  # fmt: skip
    assert lib.notes(sample_id) == [back]
    assert lib.summary(sample_id).notes == 1
    assert lib.stats()["notes"] == 1
    revs = lib.conn.execute(
        "SELECT deleted FROM note_revisions WHERE note_id = ? ORDER BY hlc", (note.id,)
    ).fetchall()
    assert [d for (d,) in revs] == [0, 1, 0]  # the history stays: nothing was removed


def test_a_highlight_comes_back_and_a_live_note_is_left_alone(lib: Library, sample_id: str) -> None:
    mark = lib.highlight(sample_id, 0, 12)
    lib.delete_note(mark.id)
    assert lib.restore_note(mark.id).anchor == mark.anchor
    assert lib.summary(sample_id).highlights == 1
    before = lib.conn.execute("SELECT count(*) FROM note_revisions").fetchone()[0]
    assert lib.restore_note(mark.id).revision == lib.note(mark.id).revision
    assert lib.conn.execute("SELECT count(*) FROM note_revisions").fetchone()[0] == before


def test_marking_a_view_read_is_one_call_and_undone_by_ids(lib: Library) -> None:
    ids = [a.id for a in lib.list_articles()]
    lib.set_read(ids[0])
    lib.tag(ids[1], add=["later"])
    lib.tag(ids[2], add=["later/long"])
    changed = lib.set_read_many(Filter(tag="later"))
    assert changed == [a for a in ids if a in (ids[1], ids[2])]
    assert lib.set_read_many(Filter(tag="later")) == []  # no event changing nothing
    everything = lib.set_read_many(Filter())
    assert sorted(everything) == sorted(set(ids) - {ids[0], ids[1], ids[2]})
    assert lib.stats()["unread"] == 0
    assert lib.set_read_many(ids=changed, read=False) == changed
    assert [a.id for a in lib.list_articles(Filter(unread=True))] == changed
    assert lib.stats()["unread"] == 2
    events = lib.conn.execute(
        "SELECT count(*) FROM events WHERE field = 'read' AND article IN"
        " (SELECT key FROM articles WHERE id = ?)",
        (ids[1],),
    ).fetchone()[0]
    assert events == 2  # read, then unread again: facts added, none removed


def test_an_undo_syncs_like_any_edit(sample_library: Path, tmp_path: Path) -> None:
    a, b = (fork(sample_library, tmp_path / name) for name in ("a.db", "b.db"))
    hub = tmp_path / "Sync"
    hub.mkdir()
    try:
        ids = [s.id for s in a.list_articles()]
        note = a.add_note(ids[0], "kept after all")
        a.sync(hub)
        b.sync(hub)
        assert [n.body for n in b.notes(ids[0])] == ["kept after all"]
        a.delete_note(note.id)
        a.set_read_many(Filter())
        a.sync(hub)
        b.sync(hub)
        assert b.notes(ids[0]) == [] and b.stats()["unread"] == 0
        a.restore_note(note.id)  # undo, undo: new facts
        a.set_read_many(ids=ids, read=False)
        a.sync(hub)
        b.sync(hub)
        assert [n.body for n in b.notes(ids[0])] == ["kept after all"]
        assert b.stats()["unread"] == len(ids)
    finally:
        a.close()
        b.close()


def fork(template: Path, dest: Path) -> Library:
    """A copy of a library that is a device of its own (as on a second machine)."""
    shutil.copy(template, dest)
    lib = Library.open(dest)
    check_device(lib.handle, SyncReport())
    return lib
