"""Crafted peer files (a peer is untrusted input) through the real `gloss sync`: a fact of the
wrong type, malformed note parents, an event value that is not 0 or 1, a version cycle, a
missing table, a peer whose merge fails for a reason not foreseen. Each is refused (a fact,
with its reason) or skipped (a peer, with one line), the good facts of the same peer or of
the other peers still merge, and the library's kept counts still equal a recount."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from store import Library
from store.core import state
from store.ingest.fetch import url_id
from tests.store.sync.test_sync import fork
from tests.store.sync.test_sync_schemas import schema4_peer

STAMP = "1767225600000.00000.0123456789abcdef"
DEVICE = "0123456789abcdef"
BAD = "articles with unsafe or malformed values"


def assert_intact(path: Path) -> None:
    """The kept counts equal a recount, and the file is sound."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"

        def counts() -> tuple:
            return (
                sorted(conn.execute("SELECT * FROM counts")),
                sorted(conn.execute("SELECT * FROM tag_counts WHERE n != 0")),
            )

        kept = counts()
        conn.execute("SAVEPOINT recount")
        state.recount(conn)
        again = counts()
        conn.execute("ROLLBACK TO recount")
        conn.execute("RELEASE recount")
        assert kept == again
    finally:
        conn.close()


def crafted_schema4_peer(ours: Path, tmp_path: Path):
    """A schema-4 peer sharing our sample article, open for crafting: (its path, what
    schema4_peer gives, a connection to it)."""
    with Library.open(ours) as lib:
        shared = lib.resolve("6055")
    peer = tmp_path / "old.gloss"
    new = schema4_peer(peer, ours, shared)
    return peer, new, sqlite3.connect(peer, isolation_level=None)


def published(b: Library, path: Path) -> sqlite3.Connection:
    """b published to `path` (a schema-5 library file), open for crafting."""
    b.sync(path)
    return sqlite3.connect(path, isolation_level=None)


def key(conn: sqlite3.Connection, prefix: str) -> int:
    """The peer's key of the article whose id starts with `prefix`."""
    return conn.execute("SELECT key FROM articles WHERE id LIKE ?", (prefix + "%",)).fetchone()[0]


def sync_json(gloss, peer: Path, ours: Path, code: int = 0) -> dict:
    """`gloss sync PEER --json`: its report. (It exits 1 when it skipped a peer.)"""
    got, out, err = gloss("sync", str(peer), "--json", db=ours)
    assert got == code, err
    assert "Traceback" not in err
    return json.loads(out)


def note_bodies(ours: Path) -> set[str]:
    with Library.open(ours) as lib:
        return {n.body for n in lib.notes()}


# -- 1: every column a peer gives has the type of our column ----------------------------------


NEW_ID = "aaaa0000000000000000000000000001"


def _new_article(
    conn: sqlite3.Connection, text: object, title: object = "T", st: object = None
) -> None:
    """A new article, analysed (rebuilding its entities is what used to fail)."""
    if st is None:
        st = conn.execute("SELECT structure FROM articles LIMIT 1").fetchone()[0]
    conn.execute(
        "INSERT INTO articles (key, id, title, byline, source, published, imported_at,"
        " structure, text) VALUES (100000, ?, ?, NULL, NULL, NULL, '2026-01-01', ?, ?)",
        (NEW_ID, title, st, text),
    )
    from store.core import codec

    conn.execute(
        "INSERT INTO analyses VALUES (100000, 1, '2030-01-01', ?, ?)",
        (codec.pack_entities([(0, 2, "PERSON")]), codec.pack_sentences([(0, 7)])),
    )


CASES = {
    "article text blob": (lambda c: _new_article(c, b"\x1b[31mhello world"), BAD),
    "article structure blob": (lambda c: _new_article(c, "hello world", "T", b"{}"), BAD),
    "article title blob": (lambda c: _new_article(c, "hello world", b"T"), BAD),
    "note body blob": (
        lambda c: c.execute(
            "UPDATE note_revisions SET body = CAST(body AS BLOB) WHERE article = ?",
            (key(c, "339b"),),
        ),
        "note revisions with unsafe or malformed values",
    ),
    "note position text": (
        lambda c: c.execute(
            "UPDATE note_revisions SET pos_start = 'one', pos_end = 2.5 WHERE article = ?",
            (key(c, "339b"),),
        ),
        "note revisions with unsafe or malformed values",
    ),
    "event hlc blob": (
        lambda c: c.execute(
            "INSERT INTO events VALUES ('01EVHLCBLOB', ?, 'read', 1, ?, ?)",
            (key(c, "339b"), STAMP.encode(), DEVICE),
        ),
        "events with unsafe or malformed values",
    ),
    "feed title blob": (
        lambda c: c.execute(
            "INSERT INTO feeds VALUES (?, 'https://x.example/feed', ?, ?, ?)",
            (url_id("https://x.example/feed"), b"Feed", STAMP, DEVICE),
        ),
        "feeds with unsafe or malformed values",
    ),
    "version device blob": (
        lambda c: c.execute(
            "INSERT INTO article_versions VALUES (?, ?, ?, ?)",
            (key(c, "339b"), key(c, "6055"), STAMP, DEVICE.encode()),
        ),
        "version links with unsafe or malformed values",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_fact_of_the_wrong_type_is_refused(gloss, libs, tmp_path: Path, case: str) -> None:
    ours, b, _ = libs
    craft, reason = CASES[case]
    peer = tmp_path / "peer.gloss"
    conn = published(b, peer)
    if case.startswith("note"):  # the bad one a second note, beside the good one
        b.add_note(b.resolve("339b"), "another note")
        conn.close()
        conn = published(b, peer)
    craft(conn)
    conn.close()
    (result,) = sync_json(gloss, peer, ours)["peers"]
    assert result["skipped"] is None
    analysis = ["1 analyses about an article not merged"] if case.startswith("article") else []
    assert result["refusals"] == [f"1 {reason}", *analysis]
    assert "a good note from the peer" in note_bodies(ours)
    with Library.open(ours) as lib:
        assert NEW_ID not in {a.id for a in lib.list_articles()}
    assert_intact(ours)


def test_schema4_peer_rows_of_the_wrong_type_are_refused(gloss, libs, tmp_path: Path) -> None:
    ours, _, _ = libs
    peer, new, conn = crafted_schema4_peer(ours, tmp_path)
    conn.execute("UPDATE entities SET label = CAST(label AS BLOB) WHERE text = 'London'")
    conn.execute(
        "INSERT INTO articles (id, title, imported_at, text, structure)"
        " VALUES (?, 'Blob text', '2026-01-01', ?, '{}')",
        (NEW_ID, b"\x1b[31mhello world"),
    )
    conn.close()
    (result,) = sync_json(gloss, peer, ours)["peers"]
    assert result["skipped"] is None
    assert sorted(result["refusals"]) == [
        "1 analyses with malformed entity or sentence rows",
        "1 analyses with spans outside the article text",
        f"1 {BAD}",
    ]
    with Library.open(ours) as lib:
        assert lib.summary(new).tags == ("from-old",)  # the good facts of the peer merged
        assert lib.get_article(new).model != "en_core_web_sm"
        assert NEW_ID not in {a.id for a in lib.list_articles()}
    assert "written before schema 5" in note_bodies(ours)
    assert_intact(ours)


# -- 2: a revision's parents are a JSON array of revision ids --------------------------------


@pytest.mark.parametrize(
    "parents",
    ["not json", "5", '{"a": 1}', '"01ARZ3NDEKTSV4RRFFQ69G5FAV"', "[5]", '[""]', "[null]",
     json.dumps(["01ARZ3NDEKTSV4RRFFQ69G5FAV"] * 300), json.dumps(["x" * 65])],
    ids=["not json", "number", "object", "string", "[number]", "[empty]", "[null]",
         "300 parents", "long id"],
)  # fmt: skip
def test_malformed_parents_are_refused(gloss, libs, tmp_path: Path, parents: str) -> None:
    ours, b, _ = libs
    peer = tmp_path / "peer.gloss"
    conn = published(b, peer)
    conn.execute(
        "INSERT INTO note_revisions VALUES ('01REVBADPARENTS00000000000',"
        " '01NOTEBADPARENTS0000000000', ?, ?, NULL, NULL, NULL, NULL, NULL, 'hi', 0, ?, ?)",
        (parents, key(conn, "339b"), STAMP, DEVICE),
    )
    conn.close()
    (result,) = sync_json(gloss, peer, ours)["peers"]
    assert result["skipped"] is None
    assert result["refusals"] == ["1 note revisions with unsafe or malformed values"]
    assert note_bodies(ours) == {"a good note from the peer"}
    assert_intact(ours)


# -- 3: an event's value is 0 or 1 ------------------------------------------------------------


# (a peer's INTEGER column stores '1' and 1.0 as 1: those are integers by then)
@pytest.mark.parametrize("value", ["abc", "1x", 2, -1, 0.5, b"\x01"])
def test_event_values_other_than_0_or_1_are_refused(gloss, libs, tmp_path: Path, value) -> None:
    ours, b, _ = libs
    b.set_starred(b.resolve("6055"))  # a good event
    peer = tmp_path / "peer.gloss"
    conn = published(b, peer)
    conn.executemany(
        "INSERT INTO events VALUES (?, ?, ?, ?, '1896172920515.00001.aaaaaaaaaaaaaaaa', ?)",
        [("01EVBAD1", key(conn, "339b"), "starred", value, DEVICE),
         ("01EVBAD2", key(conn, "339b"), "tag:odd", value, DEVICE)],
    )  # fmt: skip
    conn.close()
    (result,) = sync_json(gloss, peer, ours)["peers"]
    assert result["refusals"] == ["2 events with unsafe or malformed values"]
    with Library.open(ours) as lib:
        assert lib.summary(lib.resolve("6055")).starred is True
        odd = lib.summary(lib.resolve("339b"))
        assert (odd.starred, odd.tags) == (False, ())
    assert_intact(ours)


# -- 4: version links never make a cycle -------------------------------------------------------


def test_version_cycles_are_refused(gloss, libs, tmp_path: Path) -> None:
    ours, b, _ = libs
    peer = tmp_path / "peer.gloss"
    conn = published(b, peer)
    third = next(a.id for a in b.list_articles() if a.id[:4] not in ("6055", "339b"))
    k1, k2, k3 = key(conn, "6055"), key(conn, "339b"), key(conn, third)
    ids = {k: conn.execute("SELECT id FROM articles WHERE key = ?", (k,)).fetchone()[0]
           for k in (k1, k2, k3)}  # fmt: skip
    conn.executemany(
        "INSERT INTO article_versions VALUES (?, ?, ?, ?)",
        [(k1, k2, "1796172920515.00001.aaaaaaaaaaaaaaaa", DEVICE),  # merges (the oldest)
         (k2, k1, "1796172920515.00002.aaaaaaaaaaaaaaaa", DEVICE),  # would close 1 -> 2 -> 1
         (k3, k3, "1796172920515.00003.aaaaaaaaaaaaaaaa", DEVICE)],
    )  # fmt: skip
    conn.close()
    (result,) = sync_json(gloss, peer, ours)["peers"]
    assert sorted(result["refusals"]) == [
        "1 version links from an article to itself",
        "1 version links that would close a cycle",
    ]
    # A later peer closing a cycle with the link we now hold: 2 -> 3 merges, 3 -> 1 cannot.
    later = tmp_path / "later.gloss"
    shutil.copy(peer, later)
    conn = sqlite3.connect(later, isolation_level=None)
    conn.execute("DELETE FROM article_versions")
    conn.execute("UPDATE meta SET value = 'fedcba9876543210' WHERE key = 'device_id'")
    conn.executemany(
        "INSERT INTO article_versions VALUES (?, ?, ?, ?)",
        [(k2, k3, "1796172920515.00004.aaaaaaaaaaaaaaaa", DEVICE),
         (k3, k1, "1796172920515.00005.aaaaaaaaaaaaaaaa", DEVICE)],
    )  # fmt: skip
    conn.close()
    (result,) = sync_json(gloss, later, ours)["peers"]
    assert result["refusals"] == ["1 version links that would close a cycle"]
    with Library.open(ours) as lib:
        shown = {a.id for a in lib.list_articles()}
        assert ids[k3] in shown and ids[k1] not in shown and ids[k2] not in shown
        assert "a good note from the peer" in {n.body for n in lib.notes()}
    assert_intact(ours)


# -- 5: a peer whose merge fails for any reason is skipped, and the rest goes on --------------


def test_an_unforeseen_failure_skips_only_that_peer(
    gloss, libs, sample_library: Path, tmp_path: Path, monkeypatch
) -> None:
    import store.sync.merge as merge

    ours, b, _ = libs
    folder = tmp_path / "Sync"
    folder.mkdir()
    c = fork(sample_library, tmp_path / "c.db")
    c.add_note(c.resolve("339b"), "from c")
    b.add_note(b.resolve("339b"), "from b, rolled back")
    c.sync(folder)  # (first: c holds nothing of b's)
    b.sync(folder)
    failing = b.device_id
    c.close()
    real = merge._observe

    def fails_for_b(h, w, present):
        real(h, w, present)
        device = w.execute("SELECT value FROM peer.meta WHERE key = 'device_id'").fetchone()[0]
        if device == failing:  # after b's facts went in: they must be rolled back
            raise TypeError("a bug not found yet\nsecond line")

    monkeypatch.setattr(merge, "_observe", fails_for_b)
    report = sync_json(gloss, folder, ours, code=1)
    by_path = {p["device"]: p for p in report["peers"]}  # (b's and c's fact files)
    assert by_path[failing]["skipped"] == (
        "could not be merged: TypeError: a bug not found yet second line"
    )
    assert by_path[failing]["received"] == 0
    assert by_path[c.device_id]["skipped"] is None
    assert report["published"] and Path(report["published"]).exists()
    assert note_bodies(ours) == {"from c"}  # nothing of b's
    code, out, err = gloss("sync", str(folder), db=ours)  # the plain report names it
    assert code == 1 and "Traceback" not in out + err
    assert "could not be merged: TypeError: a bug not found yet" in out + err
    assert_intact(ours)


# -- 6: a peer missing a table or column is named, not our library ----------------------------


@pytest.mark.parametrize(
    "craft, reason",
    [
        ("DROP TABLE models", "not a complete gloss library (no table models)"),
        ("DROP TABLE feed_entries", "not a complete gloss library (no table feed_entries)"),
        ("ALTER TABLE feeds DROP COLUMN title",
         "not a complete gloss library (no column feeds.title)"),
    ],
)  # fmt: skip
def test_an_incomplete_peer_is_named(gloss, libs, tmp_path: Path, craft: str, reason: str):
    ours, b, _ = libs
    folder = tmp_path / "Sync"
    folder.mkdir()
    b.sync(folder)
    bad = folder / "incomplete.gloss"
    conn = published(b, bad)
    conn.execute("UPDATE meta SET value = 'fedcba9876543210' WHERE key = 'device_id'")
    conn.execute(craft)
    conn.close()
    report = sync_json(gloss, folder, ours, code=1)
    by_path = {Path(p["path"]).name: p for p in report["peers"]}
    assert by_path["incomplete.gloss"]["skipped"] == reason
    assert str(ours) not in by_path["incomplete.gloss"]["skipped"]
    [good] = [p for p in report["peers"] if p["device"] == b.device_id]
    assert good["skipped"] is None
    assert note_bodies(ours) == {"a good note from the peer"}
    assert_intact(ours)
