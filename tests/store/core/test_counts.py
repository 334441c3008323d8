"""The kept counts (header, sidebar views, tags) equal a count from scratch after every kind of
write: edits, a new version of an article, a merge from a peer, deletes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from store import Library
from store.core import state
from store.core.models import Filter
from tests.store.sync.test_sync import fork


def kept(conn: sqlite3.Connection) -> tuple[dict, dict]:
    return (
        dict(conn.execute("SELECT name, n FROM counts")),
        dict(conn.execute("SELECT tag, n FROM tag_counts WHERE n > 0")),
    )


def from_scratch(conn: sqlite3.Connection) -> tuple[dict, dict]:
    conn.execute("SAVEPOINT recount")
    try:
        state.recount(conn)
        return kept(conn)
    finally:
        conn.execute("ROLLBACK TO recount")
        conn.execute("RELEASE recount")


def check(lib: Library) -> None:
    assert kept(lib.conn) == from_scratch(lib.conn)
    counts, tags = kept(lib.conn)
    # and the public reads give the same numbers as the filters they stand for
    rows = lib.list_articles()
    assert counts["articles"] == lib.count() == len(rows)
    assert counts["unread"] == lib.count(Filter(unread=True)) == sum(not a.read for a in rows)
    assert counts["starred"] == sum(a.starred for a in rows)
    assert counts["annotated"] == sum(bool(a.notes or a.highlights) for a in rows)
    assert counts["notes"] == sum(a.notes for a in rows)
    assert dict(lib.tags()) == tags
    for tag, n in tags.items():
        assert n == sum(tag in a.tags for a in rows)


def test_a_new_library_counts_nothing(fresh_lib: Library) -> None:
    assert kept(fresh_lib.conn) == (
        {n: 0 for n in ("articles", "unread", "starred", "notes", "highlights", "annotated")},
        {},
    )
    assert fresh_lib.stats()["articles"] == 0 and fresh_lib.tags() == []


def test_counts_follow_edits(lib: Library, sample_id: str) -> None:
    check(lib)
    before = kept(lib.conn)[0]
    lib.set_read(sample_id)
    lib.set_starred(sample_id)
    lib.tag(sample_id, add=["world/asia", "summit"])
    note = lib.add_note(sample_id, "who said this?", 10, 40)
    lib.highlight(sample_id, 50, 60)
    check(lib)
    after = kept(lib.conn)[0]
    assert after["unread"] == before["unread"] - 1
    assert after["starred"] == before["starred"] + 1
    assert after["notes"] == before["notes"] + 1
    assert after["highlights"] == before["highlights"] + 1
    lib.delete_note(note.id)
    lib.tag(sample_id, remove=["summit"])
    lib.set_read(sample_id, False)
    check(lib)
    assert "summit" not in dict(lib.tags())


def test_counts_follow_a_new_version_and_a_merge(fresh_lib: Library, tmp_path: Path) -> None:
    src = tmp_path / "story.md"
    src.write_text("# Harbour cranes return\n\nThe cranes came back in spring.\n")
    (aid,) = [r.article_id for r in fresh_lib.import_paths([src]).results]
    fresh_lib.tag(aid, add=["port"])
    fresh_lib.add_note(aid, "check the date")
    check(fresh_lib)
    src.write_text("# Harbour cranes return\n\nThe cranes came back in early spring.\n")
    fresh_lib.import_paths([src])  # a new version: the old one is superseded
    check(fresh_lib)
    assert kept(fresh_lib.conn)[0]["articles"] == 1 and dict(fresh_lib.tags()) == {"port": 1}
    snapshot = tmp_path / "snapshot.db"
    fresh_lib.conn.execute("VACUUM INTO ?", (str(snapshot),))
    other = fork(snapshot, tmp_path / "other.db")
    (new_id,) = [a.id for a in other.list_articles()]
    other.tag(new_id, add=["cranes"])
    other.set_starred(new_id)
    peer = tmp_path / "peer.db"
    other.conn.execute("VACUUM INTO ?", (str(peer),))
    other.close()
    fresh_lib.sync(peer)
    check(fresh_lib)
    assert dict(fresh_lib.tags()) == {"cranes": 1, "port": 1}
    assert fresh_lib.stats()["starred"] == 1
