"""The library file: identity, schema version, pragmas, bad files, clocks and two writers."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from store import Library
from store.core import db, hlc
from store.core.errors import LibraryError
from tests.conftest import ROOT


def test_new_library_pragmas(fresh_lib: Library) -> None:
    c = fresh_lib.conn
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
    assert c.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    assert c.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS
    assert c.execute("PRAGMA page_size").fetchone()[0] == 16384
    assert [r[0] for r in c.execute("SELECT name FROM migrations")] == [
        "0001_initial",
        "0002_search",
        "0003_versions",
        "0004_feeds",
        "0005_compact",
        "0006_entity_groups",
        "0007_exact_words",
    ]
    assert len(fresh_lib.device_id) == 16


def test_reopen_keeps_device_id(tmp_path: Path) -> None:
    with Library.open(tmp_path / "a.db") as lib:
        device = lib.device_id
    with Library.open(tmp_path / "a.db") as lib:
        assert lib.device_id == device


def test_default_path_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from store.core.paths import default_db_path

    monkeypatch.setenv("GLOSS_DB", str(tmp_path / "env.db"))
    assert default_db_path() == tmp_path / "env.db"
    monkeypatch.delenv("GLOSS_DB")
    assert default_db_path().name == "library.db" and "gloss" in str(default_db_path())


def test_other_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(LibraryError, match="not a gloss library"):
        Library.open(path)
    assert sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]


def test_random_bytes_are_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    junk = bytes(range(256)) * 64
    path.write_bytes(junk)
    with pytest.raises(LibraryError, match="not a readable SQLite database"):
        Library.open(path)
    assert path.read_bytes() == junk


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Library.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(LibraryError, match="newer gloss .* upgrade gloss"):
        Library.open(path)


def test_folder_as_library_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="is a folder"):
        Library.open(tmp_path)


def test_clock_survives_wall_clock_going_back() -> None:
    a = hlc.tick(None, "dev", wall_now=1_000)
    b = hlc.tick(a, "dev", wall_now=500)  # clock jumped backwards
    c = hlc.tick(b, "dev", wall_now=2_000)
    assert str(a) < str(b) < str(c)
    assert hlc.Stamp.parse(str(b)) == b


def test_clock_ignores_far_future_peer() -> None:
    local = hlc.tick(None, "me", wall_now=10_000)
    future = hlc.Stamp(10_000 + hlc.MAX_DRIFT_MS + 1, 0, "peer")
    assert hlc.observe(local, future, "me", wall_now=10_000).wall == 10_000
    near = hlc.Stamp(20_000, 3, "peer")
    seen = hlc.observe(local, near, "me", wall_now=10_000)
    assert seen > near and str(seen) > str(near)


def test_stamps_strictly_increase_in_library(fresh_lib: Library) -> None:
    stamps = []
    for _ in range(50):
        with fresh_lib.write() as conn:
            stamps.append(fresh_lib.stamp(conn))
    assert stamps == sorted(stamps) and len(set(stamps)) == 50


WRITER = """
import sys
from store import Library
lib = Library.open(sys.argv[1])
aid = sys.argv[2]
for i in range(int(sys.argv[3])):
    lib.add_note(aid, f"{sys.argv[4]} {i}")
"""


def test_two_processes_writing_lose_nothing(lib: Library, sample_id: str) -> None:
    path = str(lib.path)
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, path, sample_id, "40", name], cwd=ROOT)
        for name in ("left", "right")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    bodies = {n.body for n in lib.notes(sample_id)}
    assert bodies == {f"{side} {i}" for side in ("left", "right") for i in range(40)}
    stamps = [r[0] for r in lib.conn.execute("SELECT hlc FROM note_revisions")]
    assert len(set(stamps)) == 80


def test_older_schema_is_migrated(tmp_path: Path) -> None:
    """A library of the first schema gains the search indexes (0002-0004, in place), then
    the compact schema, filled from its data (see tests/store/core/test_migration.py)."""
    from tests.store.core import schema4

    path = tmp_path / "old.db"
    schema4.build(path, version=1)
    with Library.open(path) as again:
        assert again.conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
        assert [h.article_id for h in again.search("samarkand")] == ["c" * 32]
        assert [
            h.article_id for h in again.search("engine tag:history/*") if h.kind == "article"
        ] == ["b" * 32, "a" * 32]
        assert [h.article_id for h in again.search('entity:"ada lovelace"')] == ["b" * 32, "a" * 32]


def test_speed_indexes_do_not_change_the_schema(lib: Library) -> None:
    """A speed index is made on a writable open where missing, without a new schema version
    (an older gloss or peer still opens the library); a read-only copy without it opens."""
    path = lib.path
    stats = lib.stats()
    lib.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP INDEX article_state_counts")
    conn.close()
    with Library.open(path, readonly=True) as ro:
        assert ro.stats() == stats and ro.count() == stats["articles"]
    with Library.open(path) as again:
        names = {r[0] for r in again.conn.execute("SELECT name FROM sqlite_master")}
        assert "article_state_counts" in names
        assert again.conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION == 7
        plan = again.conn.execute(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM article_state WHERE superseded_by IS NULL"
        ).fetchall()
        assert "article_state_counts" in str(plan)


def test_listing_no_ids_lists_nothing(lib: Library, sample_id: str) -> None:
    assert lib.count() == 5
    assert lib.list_articles(ids=[]) == []
    assert [a.id for a in lib.list_articles(ids=[sample_id])] == [sample_id]
