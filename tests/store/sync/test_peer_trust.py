"""Every fact a peer gives is untrusted input, through the real `gloss sync`: only real tables
are read, a merge is bounded in time, stamps too far ahead wait, an article's id is the hash
of its text, sizes are an import's, offsets lie inside the text, a revision never closes a
cycle, a peer is read only as a bounded regular file with gloss's header, and a peer with
our own device id is not merged. After each, the good facts (of the same peer and of the
others) are merged, our file is published and the library works."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from store import Library
from store.core import codec, hlc
from store.ingest.importer import article_id, legacy_id
from store.notes.annotations import MAX_NOTE_CHARS
from tests.store.sync.test_sync_hostile import (
    DEVICE,
    STAMP,
    assert_intact,
    crafted_schema4_peer,
    key,
    note_bodies,
    published,
    sync_json,
)

FUTURE = "9999999999999.00000.0123456789abcdef"
OTHER_DEVICE = "fedcba9876543210"


def assert_works(gloss, ours: Path, report: dict | None = None) -> None:
    """The library still checks, lists, shows, searches and exports; ours was published."""
    if report is not None:
        assert report["published"] and Path(report["published"]).exists()
    code, out, err = gloss("list", "--json", db=ours)
    assert code == 0, err
    first = json.loads(out)[0]["id"]
    for args in (("check",), ("show", first), ("show", "--json", first),
                 ("search", "--json", "the"), ("export", "--format", "json"),
                 ("notes", "--json")):  # fmt: skip
        code, _, err = gloss(*args, db=ours)
        assert code == 0, (args, err)
        assert "Traceback" not in err
    assert_intact(ours)


def folder_with(b: Library, tmp_path: Path, craft: Callable[[sqlite3.Connection], object],
                name: str = "crafted.gloss") -> tuple[Path, Path]:  # fmt: skip
    """A sync folder holding b's own whole library file (as gloss 1 kept one in a hub) and a
    crafted copy of it (as another device). (The same checks read sync v2's fact files.)"""
    folder = tmp_path / "Sync"
    folder.mkdir(exist_ok=True)
    b.sync(folder / f"{b.device_id}.gloss")
    bad = folder / name
    conn = published(b, bad)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'device_id'", (OTHER_DEVICE,))
    craft(conn)
    conn.close()
    return folder, bad


def by_name(report: dict) -> dict[str, dict]:
    return {Path(p["path"]).name: p for p in report["peers"]}


def merged_once_undone(gloss, monkeypatch, peer: Path, ours: Path) -> None:
    """With the failure undone, the same peer merges and the library works."""
    monkeypatch.undo()
    report = sync_json(gloss, peer, ours)
    assert note_bodies(ours) == {"a good note from the peer"}
    assert_works(gloss, ours, report)


def one_peer(gloss, b: Library, tmp_path: Path, ours: Path, craft, code: int = 0) -> dict:
    """b's file crafted, synced as the only peer: its result, checked for a working library."""
    peer = tmp_path / "peer.gloss"
    conn = published(b, peer)
    craft(conn)
    conn.close()
    report = sync_json(gloss, peer, ours, code=code)
    assert_works(gloss, ours, report)
    return report["peers"][0]


# -- 1: only real tables are read; a merge is bounded in time ---------------------------------

RECURSIVE = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT {cols} FROM n"
NOT_TABLES = {
    "events view": ("events", "VIEW", "event_id, article, field, value, hlc, device",
                    "events is a view, not a table"),
    "revisions view": ("note_revisions", "VIEW",
                       "rev_id, note_id, parents, article, pos_start, pos_end, exact, prefix,"
                       " suffix, body, deleted, hlc, device",
                       "note_revisions is a view, not a table"),
    "meta view": ("meta", "VIEW", "key, value", "meta is a view, not a table"),
    "events virtual": ("events", "VIRTUAL", "event_id, article, field, value, hlc, device",
                       "events is a virtual table"),
    "events generated": ("events", "GENERATED", "", "events has generated or hidden columns"),
}  # fmt: skip


def _not_a_table(table: str, kind: str, cols: str) -> Callable[[sqlite3.Connection], None]:
    def craft(conn: sqlite3.Connection) -> None:
        conn.execute(f"DROP TABLE {table}")
        if kind == "VIEW":
            select = RECURSIVE.format(cols=", ".join(f"i AS {c.strip()}" for c in cols.split(",")))
            conn.execute(f"CREATE VIEW {table} AS {select}")
        elif kind == "VIRTUAL":
            conn.execute(f"CREATE VIRTUAL TABLE {table} USING fts5({cols})")
        else:
            conn.execute(
                f"CREATE TABLE {table} (event_id TEXT, article INTEGER, field TEXT, value INTEGER,"
                " hlc TEXT, device TEXT, big BLOB GENERATED ALWAYS AS (zeroblob(100000000)))"
            )

    return craft


@pytest.mark.parametrize("case", sorted(NOT_TABLES))
def test_only_real_tables_are_read(gloss, libs, tmp_path: Path, case: str) -> None:
    ours, b, _ = libs
    table, kind, cols, reason = NOT_TABLES[case]
    folder, bad = folder_with(b, tmp_path, _not_a_table(table, kind, cols))
    report = sync_json(gloss, folder, ours, code=1)
    peers = by_name(report)
    assert peers[bad.name]["skipped"] == f"not merged: {reason}"
    assert peers[f"{b.device_id}.gloss"]["skipped"] is None
    assert note_bodies(ours) == {"a good note from the peer"}
    assert_works(gloss, ours, report)


def test_a_merge_that_takes_too_long_is_skipped(gloss, libs, tmp_path: Path, monkeypatch) -> None:
    import store.sync.merge as merge

    ours, b, _ = libs
    monkeypatch.setattr(merge, "MERGE_SECONDS", 0.0)  # every peer is past its deadline
    monkeypatch.setattr(merge, "MERGE_BYTES_PER_SECOND", float("inf"))
    monkeypatch.setattr(merge, "PROGRESS_OPS", 1)  # (a small peer's statements are short)
    peer = tmp_path / "peer.gloss"
    published(b, peer).close()
    (result,) = sync_json(gloss, peer, ours, code=1)["peers"]
    assert result["skipped"].startswith("took too long (more than 0 s)")
    assert result["received"] == 0
    assert note_bodies(ours) == set()  # rolled back
    merged_once_undone(gloss, monkeypatch, peer, ours)


# -- 2: stamps parse, and those too far ahead of our clock wait ---------------------------------


def test_future_events_wait_and_ours_still_win(gloss, libs, tmp_path: Path) -> None:
    ours, b, _ = libs
    with Library.open(ours) as lib:
        aid = lib.resolve("339b")

    def craft(conn: sqlite3.Connection) -> None:
        k = key(conn, "339b")
        conn.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
            [("01EVFUTURE1", k, "starred", 0, FUTURE, DEVICE),
             ("01EVFUTURE2", k, "read", 1, FUTURE, DEVICE),
             ("01EVFUTURE3", k, "tag:x", 1, FUTURE, DEVICE),
             ("01EVNOTSTAMP", k, "tag:y", 1, "not a stamp", DEVICE),
             ("01EVNODEVICE", k, "tag:y", 1, "1767225600000.00000.", DEVICE)],
        )  # fmt: skip

    result = one_peer(gloss, b, tmp_path, ours, craft)
    assert result["waiting"] == 3
    assert sorted(result["refusals"]) == [
        "2 events whose stamp is not a clock stamp",
        "3 events stamped more than a day ahead of this machine's clock (merged when due)",
    ]
    assert result["refused"] == 2
    assert "a good note from the peer" in note_bodies(ours)
    for args in (("star", aid), ("unread", aid), ("tag", aid, "-x")):
        assert gloss(*args, db=ours)[0] == 0
    with Library.open(ours) as lib:
        got = lib.summary(aid)
        assert (got.starred, got.read, got.tags) == (True, False, ())
        clock = hlc.Stamp.parse(lib.meta("hlc") or "")
        assert clock.wall < hlc.now_ms() + hlc.MAX_DRIFT_MS  # the future was not adopted


def test_future_revisions_and_version_links_wait(gloss, libs, tmp_path: Path) -> None:
    ours, b, note = libs

    def craft(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO note_revisions VALUES ('01REVFUTURE000000000000000',"
            " '01NOTEFUTURE00000000000000', '[]', ?, NULL, NULL, NULL, NULL, NULL,"
            " 'from the future', 0, ?, ?)",
            (key(conn, "339b"), FUTURE, DEVICE),
        )
        conn.execute("INSERT INTO article_versions VALUES (?, ?, ?, ?)",
                     (key(conn, "339b"), key(conn, "6055"), FUTURE, DEVICE))  # fmt: skip

    result = one_peer(gloss, b, tmp_path, ours, craft)
    assert result["waiting"] == 2 and result["refused"] == 0
    assert note_bodies(ours) == {"a good note from the peer"}
    with Library.open(ours) as lib:
        assert len({a.id for a in lib.list_articles()}) == len(lib.list_articles())
        assert lib.resolve("339b")  # not superseded by a link from the future


# -- 3: an article's id is the hash of its text ---------------------------------------------


def _article(conn: sqlite3.Connection, aid: str, title: str, text: str, k: int = 100000) -> None:
    structure = json.dumps({"sections": [], "paragraphs": [[0, len(text)]]})
    conn.execute(
        "INSERT INTO articles (key, id, title, byline, source, published, imported_at,"
        " structure, text) VALUES (?, ?, ?, NULL, NULL, NULL, '2026-01-01', ?, ?)",
        (k, aid, title, structure, text),
    )


def test_an_article_whose_id_is_not_its_hash_is_refused(gloss, libs, tmp_path: Path) -> None:
    ours, b, _ = libs
    real = "The real text of an article that arrived by sync."
    forged = "A forged text under the real article's id."

    def craft(conn: sqlite3.Connection) -> None:
        _article(conn, article_id("Real", real), "Real", forged, 100000)
        _article(conn, legacy_id("Old style"), "Legacy", "Old style", 100001)
        _article(conn, article_id("Titled", "New style"), "Titled", "New style", 100002)
        conn.execute(
            "INSERT INTO events VALUES ('01EVFORGED', 100000, 'starred', 1, ?, ?)",
            (STAMP, DEVICE),
        )

    result = one_peer(gloss, b, tmp_path, ours, craft)
    assert sorted(result["refusals"]) == [
        "1 articles whose id is not the hash of their text",
        "1 events about an article not merged",
    ]
    with Library.open(ours) as lib:
        ids = {a.id for a in lib.list_articles()}
    assert article_id("Real", real) not in ids
    assert {legacy_id("Old style"), article_id("Titled", "New style")} <= ids


# -- 4: sizes and shapes are what an import writes ------------------------------------------

BIG = "word " * 10_000_000  # 50 million characters

ARTICLE_CASES = {
    "50M characters": ("Huge", BIG.strip(), None, "articles larger than an import admits"),
    "long title": ("T" * 501, "Text.", None, "articles larger than an import admits"),
    "structure not json": ("T", "Text.", "not json", "articles with a malformed structure"),
    "structure a list": ("T", "Text.", "[]", "articles with a malformed structure"),
    "paragraph outside": ("T", "Text.", '{"sections": [], "paragraphs": [[0, 99]]}',
                          "articles with a malformed structure"),
    "paragraph backwards": ("T", "Text.", '{"sections": [], "paragraphs": [[4, 2]]}',
                            "articles with a malformed structure"),
    "section stray key": ("T", "Text.", '{"sections": [{"title": "a", "start": 0, "end": 1,'
                          ' "level": 2, "x": 1}], "paragraphs": []}',
                          "articles with a malformed structure"),
    "structure deep": ("T", "Text.", "[" * 100_000 + "]" * 100_000,
                       "articles with a malformed structure"),
    "structure huge": ("T", "Text.", '{"sections": [], "paragraphs": []}' + " " * 2_000_000,
                       "articles larger than an import admits"),
    "structure nested": ("T", "Text.", '{"sections": [], "paragraphs": [[[[0]]]]}',
                         "articles with a malformed structure"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(ARTICLE_CASES))
def test_articles_beyond_an_imports_limits_are_refused(gloss, libs, tmp_path: Path, case: str):
    ours, b, _ = libs
    title, text, structure, reason = ARTICLE_CASES[case]
    aid = article_id(title, text)

    def craft(conn: sqlite3.Connection) -> None:
        _article(conn, aid, title, text)
        if structure is not None:
            conn.execute("UPDATE articles SET structure = ? WHERE key = 100000", (structure,))
        _article(conn, legacy_id("A good one"), "Good", "A good one", 100001)

    result = one_peer(gloss, b, tmp_path, ours, craft)
    assert result["refusals"] == [f"1 {reason}"]
    with Library.open(ours) as lib:
        ids = {a.id for a in lib.list_articles()}
    assert aid not in ids and legacy_id("A good one") in ids
    assert "a good note from the peer" in note_bodies(ours)


REVISION_CASES = {
    "long body": ("body", "x" * (MAX_NOTE_CHARS + 1)),
    "long prefix": ("prefix", "p" * 1001),
    "long suffix": ("suffix", "s" * 1001),
    "long rev id": ("rev_id", "R" * 65),
    "long device": ("device", "d" * 65),
}


@pytest.mark.parametrize("case", sorted(REVISION_CASES))
def test_note_revisions_beyond_an_imports_limits_are_refused(gloss, libs, tmp_path, case):
    ours, b, note = libs
    column, value = REVISION_CASES[case]
    b.add_note(b.resolve("339b"), "another note")

    def craft(conn: sqlite3.Connection) -> None:
        conn.execute(f'UPDATE note_revisions SET "{column}" = ? WHERE article = ?',
                     (value, key(conn, "339b")))  # fmt: skip

    result = one_peer(gloss, b, tmp_path, ours, craft)
    assert result["refusals"] == ["1 note revisions larger than an import admits"]
    assert note_bodies(ours) == {"a good note from the peer"}


def test_tags_must_be_normalised(gloss, libs, tmp_path: Path) -> None:
    ours, b, _ = libs

    def craft(conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO events VALUES (?, ?, ?, 1, ?, ?)",
            [("01EVTAG1", key(conn, "339b"), "tag:Upper", STAMP, DEVICE),
             ("01EVTAG2", key(conn, "339b"), "tag:a//b", STAMP, DEVICE),
             ("01EVTAG3", key(conn, "339b"), "tag:fine", STAMP, DEVICE)],
        )  # fmt: skip

    result = one_peer(gloss, b, tmp_path, ours, craft)
    assert result["refusals"] == ["2 events with unsafe or malformed values"]
    with Library.open(ours) as lib:
        assert lib.summary(lib.resolve("339b")).tags == ("fine",)


# -- 5: offsets lie inside the text ---------------------------------------------------------


@pytest.mark.parametrize(
    "start, end",
    [(-5, 3), (3, 2), (0, 10_000_000), (5, 5), (None, 3), (3, None)],
    ids=["negative", "backwards", "past the end", "empty", "no start", "no end"],
)
def test_a_passage_outside_the_text_is_refused(gloss, libs, tmp_path: Path, start, end) -> None:
    ours, b, _ = libs

    def craft(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO note_revisions VALUES ('01REVPASSAGE00000000000000',"
            " '01NOTEPASSAGE0000000000000', '[]', ?, ?, ?, 'quote', NULL, NULL, 'n', 0, ?, ?)",
            (key(conn, "339b"), start, end, STAMP, DEVICE),
        )

    result = one_peer(gloss, b, tmp_path, ours, craft)
    assert result["refusals"] == ["1 note revisions with a passage outside the article text"]
    assert note_bodies(ours) == {"a good note from the peer"}


@pytest.mark.parametrize(
    "entities, sentences",
    [([(3, 3, "PERSON")], [(0, 7)]), ([(0, 2, "PERSON")], [(4, 4)]),
     ([(0, 99_999_999, "PERSON")], [(0, 7)])],
    ids=["empty entity", "empty sentence", "entity past the end"],
)  # fmt: skip
def test_analysis_spans_must_be_inside_the_text(gloss, libs, tmp_path: Path, entities, sentences):
    ours, b, _ = libs
    text = "Ada met Charles."

    def craft(conn: sqlite3.Connection) -> None:
        _article(conn, legacy_id(text), "Ada", text)
        conn.execute(
            "INSERT INTO analyses VALUES (100000, 1, '2026-01-01', ?, ?)",
            (codec.pack_entities(entities), codec.pack_sentences(sentences)),
        )

    result = one_peer(gloss, b, tmp_path, ours, craft)
    assert result["refusals"] == ["1 analyses with spans outside the article text"]
    with Library.open(ours) as lib:
        assert lib.get_article(legacy_id(text)).text == text  # the article itself merged


def test_an_analysis_blob_too_large_is_refused_unread(gloss, libs, tmp_path: Path) -> None:
    ours, b, _ = libs
    text = "Ada met Charles."
    many = codec.pack_entities([(0, 1, "PERSON")] * 5_000_000)  # every one inside the text

    def craft(conn: sqlite3.Connection) -> None:
        _article(conn, legacy_id(text), "Ada", text)
        conn.execute("INSERT INTO analyses VALUES (100000, 1, '2026-01-01', ?, ?)",
                     (many, codec.pack_sentences([(0, 16)])))  # fmt: skip

    result = one_peer(gloss, b, tmp_path, ours, craft)
    assert result["refusals"] == ["1 analyses larger than an import admits"]
    with Library.open(ours) as lib:
        assert lib.get_article(legacy_id(text)).entities == ()


def test_schema4_offsets_out_of_range_are_refused(gloss, libs, tmp_path: Path) -> None:
    ours, _, _ = libs
    peer, new, conn = crafted_schema4_peer(ours, tmp_path)
    conn.execute("UPDATE entities SET start = -50 WHERE text = 'London'")
    conn.close()
    report = sync_json(gloss, peer, ours)
    (result,) = report["peers"]
    assert sorted(result["refusals"]) == [
        "1 analyses with malformed entity or sentence rows",
        "1 analyses with spans outside the article text",
    ]
    with Library.open(ours) as lib:
        assert lib.get_article(new).model != "en_core_web_sm"
    assert_works(gloss, ours, report)


# -- 6: a revision never closes a cycle --------------------------------------------------------


def test_a_revision_cycle_does_not_make_a_note_vanish(gloss, libs, tmp_path: Path) -> None:
    ours, b, note = libs

    def craft(conn: sqlite3.Connection) -> None:
        head, article = conn.execute(
            "SELECT rev_id, article FROM note_revisions WHERE note_id = ?", (note,)
        ).fetchone()
        conn.executemany(
            "INSERT INTO note_revisions VALUES (?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, ?, 0,"
            " ?, ?)",
            [("01REVCYCLE1000000000000000", note, json.dumps([head, "01REVCYCLE2000000000000000"]),
              article, "edited in a cycle", "1767225600000.00001.x", DEVICE),
             ("01REVCYCLE2000000000000000", note, json.dumps(["01REVCYCLE1000000000000000"]),
              article, "closes the cycle", "1767225600000.00002.x", DEVICE),
             ("01REVSELF00000000000000000", note, json.dumps(["01REVSELF00000000000000000"]),
              article, "its own parent", "1767225600000.00003.x", DEVICE)],
        )  # fmt: skip

    result = one_peer(gloss, b, tmp_path, ours, craft)
    assert sorted(result["refusals"]) == [
        "1 note revisions that would close a cycle",
        "1 note revisions with unsafe or malformed values",
    ]
    assert note_bodies(ours) == {"edited in a cycle"}
    code, out, err = gloss("search", "--json", "cycle", db=ours)
    assert code == 0 and "edited in a cycle" in out, err
    assert gloss("edit-note", note, "edited again", db=ours)[0] == 0
    assert note_bodies(ours) == {"edited again"}


# -- 7: a NULL rev_id ----------------------------------------------------------------------------


def test_a_null_rev_id_is_refused(gloss, libs, tmp_path: Path) -> None:
    ours, b, _ = libs

    def craft(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA writable_schema = ON")  # a peer declares its own tables
        conn.execute(
            "UPDATE sqlite_master SET sql = replace(sql, 'rev_id TEXT NOT NULL', 'rev_id TEXT')"
            " WHERE name = 'note_revisions'"
        )
        conn.execute("PRAGMA writable_schema = RESET")
        conn.execute(
            "INSERT INTO note_revisions VALUES (NULL, '01NOTENULLREV0000000000000', '[]', ?,"
            " NULL, NULL, NULL, NULL, NULL, 'no id', 0, ?, ?)",
            (key(conn, "339b"), STAMP, DEVICE),
        )

    result = one_peer(gloss, b, tmp_path, ours, craft)
    assert result["refusals"] == ["1 note revisions with unsafe or malformed values"]
    assert note_bodies(ours) == {"a good note from the peer"}


# -- 8: a peer is read as a bounded regular file, its header checked before copying -----------


def temps(ours: Path) -> list[str]:
    return sorted(p.name for p in ours.parent.glob("peer-*")) + sorted(
        p.name for p in ours.parent.glob(f".{ours.name}.tmp-*")
    )


def test_sync_with_a_device_is_one_line(gloss, libs) -> None:
    ours, _, _ = libs
    code, out, err = gloss("sync", "/dev/zero", db=ours)
    assert code != 0 and code != 70
    assert "not a regular file" in out + err and "Traceback" not in out + err
    assert temps(ours) == []


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_special_files_in_a_folder_are_not_read(gloss, libs, tmp_path: Path, kind: str) -> None:
    ours, b, _ = libs
    folder = tmp_path / "Sync"
    folder.mkdir()
    b.sync(folder / f"{b.device_id}.gloss")
    special = folder / "x.gloss"
    if kind == "fifo":
        os.mkfifo(special)
    else:
        special.symlink_to("/dev/zero")
    code, out, err = gloss("sync", str(folder), "--json", db=ours)
    assert code in (0, 1) and "Traceback" not in err, err
    report = json.loads(out)
    peers = by_name(report)
    # (the folder's listing leaves out what is not a regular file; if it lists one, it says why)
    assert peers.get("x.gloss", {"skipped": "not a regular file"})["skipped"] == (
        "not a regular file"
    )
    assert peers[f"{b.device_id}.gloss"]["skipped"] is None
    assert note_bodies(ours) == {"a good note from the peer"}
    assert temps(ours) == []
    assert_works(gloss, ours, report)


def test_a_sparse_file_of_zeros_is_rejected_without_copying(
    gloss, libs, tmp_path: Path, monkeypatch
) -> None:
    import store.sync.merge as merge

    ours, _, _ = libs
    peer = tmp_path / "zeros.gloss"
    with peer.open("wb") as f:
        f.truncate(2 << 30)
    copies = []
    monkeypatch.setattr(merge.shutil, "copyfile", lambda *a, **k: copies.append(a))
    (result,) = sync_json(gloss, peer, ours, code=1)["peers"]
    assert result["skipped"] == "not an SQLite file"
    assert copies == [] and temps(ours) == []


def test_a_header_not_gloss_is_rejected_without_copying(
    gloss, libs, tmp_path: Path, monkeypatch
) -> None:
    import store.sync.merge as merge

    ours, b, _ = libs
    peer = tmp_path / "peer.gloss"
    conn = published(b, peer)
    conn.execute("PRAGMA application_id = 1234")
    conn.close()
    copies = []
    monkeypatch.setattr(merge.shutil, "copyfile", lambda *a, **k: copies.append(a))
    (result,) = sync_json(gloss, peer, ours, code=1)["peers"]
    assert result["skipped"] == "an SQLite file, but not a gloss library"
    assert copies == [] and temps(ours) == []


def test_a_peer_larger_than_the_bound_is_skipped(gloss, libs, tmp_path, monkeypatch) -> None:
    import store.sync.merge as merge

    ours, b, _ = libs
    monkeypatch.setattr(merge, "MAX_PEER_BYTES", 4096)
    folder, bad = folder_with(b, tmp_path, lambda conn: None)
    report = sync_json(gloss, folder, ours, code=1)
    for peer in report["peers"]:
        assert peer["skipped"].startswith("larger than 4,096 bytes")
    assert temps(ours) == []
    assert_works(gloss, ours, report)


def test_a_peer_is_not_copied_without_room_for_it(gloss, libs, tmp_path, monkeypatch) -> None:
    import store.sync.merge as merge

    ours, b, _ = libs
    peer = tmp_path / "peer.gloss"
    published(b, peer).close()
    real = shutil.disk_usage
    monkeypatch.setattr(merge.shutil, "disk_usage", lambda p: real(p)._replace(free=1000))
    (result,) = sync_json(gloss, peer, ours, code=1)["peers"]
    assert result["skipped"].startswith("not enough free space to copy it (")
    assert temps(ours) == []


def test_a_failed_copy_leaves_no_temp_file(gloss, libs, tmp_path: Path, monkeypatch) -> None:
    import store.sync.merge as merge

    ours, b, _ = libs
    peer = tmp_path / "peer.gloss"
    published(b, peer).close()

    def disk_full(src, dst, *args, **kwargs):
        with open(src, "rb") as f, open(dst, "wb") as out:
            out.write(f.read(os.path.getsize(src) // 2))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(merge.shutil, "copyfile", disk_full)
    (result,) = sync_json(gloss, peer, ours, code=1)["peers"]
    assert result["skipped"] == "cannot copy it: No space left on device"
    assert temps(ours) == []
    merged_once_undone(gloss, monkeypatch, peer, ours)


# -- 9: a peer with our own device id ---------------------------------------------------------


def test_a_peer_with_our_device_id_is_not_merged(gloss, libs, tmp_path: Path) -> None:
    ours, b, _ = libs
    with Library.open(ours) as lib:
        own = lib.device_id

    def craft(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'device_id'", (own,))
        conn.execute(
            "INSERT INTO note_revisions VALUES ('01REVCOPY00000000000000000',"
            " '01NOTECOPY0000000000000000', '[]', ?, NULL, NULL, NULL, NULL, NULL,"
            " 'from the copy', 0, ?, ?)",
            (key(conn, "339b"), STAMP, DEVICE),
        )

    folder, bad = folder_with(b, tmp_path, craft)
    report = sync_json(gloss, folder, ours, code=1)
    peers = by_name(report)
    assert peers[bad.name]["skipped"] == (
        f"has this library's own device id ({own}): a copy of this library, not merged"
    )
    assert peers[f"{b.device_id}.gloss"]["skipped"] is None
    assert note_bodies(ours) == {"a good note from the peer"}
    assert_works(gloss, ours, report)


def test_our_own_library_file_still_syncs_two_ways(gloss, libs, tmp_path: Path) -> None:
    """A library file we created (`gloss sync FILE`) carries our device id; another machine
    syncing with it keeps that id. It is still merged: we published to it."""
    ours, b, _ = libs
    usb = tmp_path / "usb.gloss"
    sync_json(gloss, usb, ours)
    b.sync(usb)  # another machine writes its facts into our file
    report = sync_json(gloss, usb, ours)
    assert report["peers"][0]["skipped"] is None
    assert "a good note from the peer" in note_bodies(ours)


def test_the_title_limit_is_the_imports() -> None:
    from store.ingest.parse.common import MAX_TITLE_CHARS
    from store.sync import checks

    assert checks.MAX_TITLE_CHARS == MAX_TITLE_CHARS
