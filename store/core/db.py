"""The library file: connection settings, identity checks and named migrations.

Facts (synced, append-only): articles, analyses (packed entities and sentences),
note_revisions, events, article_versions, feeds. State (derived, rebuildable, never synced):
notes, article_state, article_tags, the entity index (entity_names, entity_articles).

A new library is created at schema 5 directly (store.core.schema). An older one is brought to
schema 4 in place by the kept migrations 0001-0004, then to schema 5 by `store.core.compact`,
which builds a new file beside it and swaps it in (`upgrade`, run before the library is
opened for use).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from store.core.errors import LibraryError

if TYPE_CHECKING:  # sqlite-utils (and the numpy it imports) load only to migrate
    import sqlite_utils


Progress = Callable[[str, int, int], None]
"""A migration's progress: (phase, done, total); total 0 when a phase has no count."""

APPLICATION_ID = 0x676C6F73  # "glos"
BUSY_TIMEOUT_MS = 5000

FACT_TABLES = ("articles", "analyses", "note_revisions", "events", "article_versions")
STATE_TABLES = ("notes", "article_state", "article_tags", "entity_names", "entity_articles")


def _initial(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["articles"].create(
        {
            "id": str,
            "title": str,
            "byline": str,
            "source": str,
            "published": str,
            "imported_at": str,
            "text": str,
            "structure": str,
        },
        pk="id",
        not_null={"title", "imported_at", "text", "structure"},
    )
    db["articles"].create_index(["imported_at"])
    db["analyses"].create(
        {"article_id": str, "model": str, "analysed_at": str}, pk=("article_id", "model")
    )
    # Many small rows each: WITHOUT ROWID keeps one b-tree instead of a table plus its key.
    db.executescript(
        """
        CREATE TABLE entities (
            article_id TEXT NOT NULL, model TEXT NOT NULL, start INTEGER NOT NULL,
            "end" INTEGER NOT NULL, label TEXT NOT NULL, text TEXT NOT NULL,
            PRIMARY KEY (article_id, model, start, "end", label)
        ) WITHOUT ROWID;
        CREATE TABLE sentences (
            article_id TEXT NOT NULL, model TEXT NOT NULL, start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            PRIMARY KEY (article_id, model, start)
        ) WITHOUT ROWID;
        """
    )
    db["note_revisions"].create(
        {
            "rev_id": str,
            "note_id": str,
            "parents": str,
            "article_id": str,
            "pos_start": int,
            "pos_end": int,
            "exact": str,
            "prefix": str,
            "suffix": str,
            "body": str,
            "deleted": int,
            "hlc": str,
            "device": str,
        },
        pk="rev_id",
        not_null={"note_id", "parents", "article_id", "body", "deleted", "hlc", "device"},
    )
    db["note_revisions"].create_index(["note_id"])
    db["note_revisions"].create_index(["article_id"])
    db["events"].create(
        {
            "event_id": str,
            "article_id": str,
            "field": str,
            "value": int,
            "hlc": str,
            "device": str,
        },
        pk="event_id",
        not_null={"article_id", "field", "value", "hlc", "device"},
    )
    db["events"].create_index(["article_id", "field", "hlc"])
    # Derived state.
    db["notes"].create(
        {
            "note_id": str,
            "article_id": str,
            "rev_id": str,
            "heads": str,
            "pos_start": int,
            "pos_end": int,
            "exact": str,
            "prefix": str,
            "suffix": str,
            "body": str,
            "created": str,
            "updated": str,
            "conflict": int,
            "article": int,
        },
        pk="note_id",
    )
    db["notes"].create_index(["article_id", "pos_start"])
    db["notes"].create_index(["article"])
    # State rows also carry `article`, the article's local rowid (= its FTS rowid), so search
    # filters are small index look-ups instead of joins through the wide articles table.
    db["article_state"].create(
        {
            "article_id": str,
            "read": int,
            "starred": int,
            "notes": int,
            "highlights": int,
            "article": int,
        },
        pk="article_id",
        defaults={"read": 0, "starred": 0, "notes": 0, "highlights": 0},
    )
    db["article_state"].create_index(["read"])
    db["article_state"].create_index(["article"], unique=True)
    db["article_tags"].create(
        {"article_id": str, "tag": str, "article": int}, pk=("article_id", "tag")
    )
    db["article_tags"].create_index(["tag"])
    db["meta"].insert_all(
        [
            {"key": "device_id", "value": os.urandom(8).hex()},
            {"key": "created_at", "value": datetime.now(UTC).isoformat(timespec="seconds")},
        ]
    )


def _search(db: sqlite_utils.Database) -> None:
    """FTS5 over article title and text, note bodies and quotes, and tag names."""
    tokenize = "porter unicode61 remove_diacritics 2"
    db["articles"].enable_fts(["title", "text"], tokenize=tokenize, create_triggers=True)
    db["notes"].enable_fts(["body", "exact"], tokenize=tokenize, create_triggers=True)
    # One row per tagged article: its tag names, space-separated, kept by state.rebuild.
    db["article_tagtext"].create({"article_id": str, "tags": str}, pk="article_id")
    db["article_tagtext"].enable_fts(["tags"], tokenize=tokenize, create_triggers=True)
    for row in db.query(
        "SELECT article_id, group_concat(tag, ' ') AS tags FROM article_tags GROUP BY article_id"
    ):
        db["article_tagtext"].insert(row)
    db["articles_fts"].optimize()
    # The entity index: one row per (entity, article) for the article's current analysis,
    # so entity: and label: look-ups and "other articles mentioning X" need no scan. It is
    # local state, so it can key articles by their local rowid (small) rather than their id.
    db.executescript(
        """
        CREATE TABLE entity_index (
            text TEXT NOT NULL COLLATE NOCASE, label TEXT NOT NULL, article INTEGER NOT NULL,
            mentions INTEGER NOT NULL,
            PRIMARY KEY (text, label, article)
        ) WITHOUT ROWID;
        CREATE INDEX entity_index_label ON entity_index (label);
        CREATE INDEX entity_index_article ON entity_index (article);
        """
    )
    db.execute(
        "WITH current AS (SELECT a.id, a.rowid AS article, (SELECT model FROM analyses"
        "  WHERE article_id = a.id ORDER BY analysed_at DESC, model LIMIT 1) AS model"
        "  FROM articles a)"
        " INSERT INTO entity_index (text, label, article, mentions)"
        " SELECT min(e.text), e.label, c.article, count(*) FROM current c"
        " JOIN entities e ON e.article_id = c.id AND e.model = c.model"
        " GROUP BY c.article, e.text COLLATE NOCASE, e.label"
    )


def _versions(db: sqlite_utils.Database) -> None:
    """A re-imported source with changed text is a new version of the article: the fact
    links the versions; the old one is hidden and its notes move to the new one."""
    db.executescript(
        """
        CREATE TABLE article_versions (
            old_id TEXT NOT NULL, new_id TEXT NOT NULL, hlc TEXT NOT NULL, device TEXT NOT NULL,
            PRIMARY KEY (old_id, new_id)
        ) WITHOUT ROWID;
        CREATE INDEX article_versions_new ON article_versions (new_id);
        ALTER TABLE article_state ADD COLUMN superseded_by TEXT;
        CREATE INDEX article_state_superseded ON article_state (article)
            WHERE superseded_by IS NOT NULL;
        CREATE INDEX articles_source ON articles (source);
        """
    )


def _feeds(db: sqlite_utils.Database) -> None:
    """Feed subscriptions as facts (feeds, their latest-wins events, the entries each feed
    brought and the article each became) and local, never-synced fetch state."""
    db.executescript(
        """
        CREATE TABLE feeds (
            feed_id TEXT PRIMARY KEY, url TEXT NOT NULL, title TEXT NOT NULL,
            hlc TEXT NOT NULL, device TEXT NOT NULL
        );
        CREATE TABLE feed_events (
            event_id TEXT PRIMARY KEY, feed_id TEXT NOT NULL, field TEXT NOT NULL,
            value TEXT NOT NULL, hlc TEXT NOT NULL, device TEXT NOT NULL
        );
        CREATE INDEX feed_events_feed ON feed_events (feed_id, field, hlc);
        CREATE TABLE feed_entries (
            feed_id TEXT NOT NULL, guid TEXT NOT NULL, article_id TEXT NOT NULL, link TEXT,
            published TEXT, hlc TEXT NOT NULL, device TEXT NOT NULL,
            PRIMARY KEY (feed_id, guid, article_id)
        ) WITHOUT ROWID;
        CREATE INDEX feed_entries_article ON feed_entries (article_id);
        CREATE TABLE feed_state (
            feed_id TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, last_fetch TEXT,
            last_status TEXT, last_error TEXT
        );
        """
    )


# Named migrations, applied in order and recorded in the `migrations` table.
# user_version is the number of migrations a library has: a larger one means a newer gloss.
# 0001-0004 run in place on a library older than schema 4 (and build schema-4 fixtures in
# tests); 0005 is the file swap in store.core.compact.
MIGRATIONS_V4: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("0001_initial", _initial),
    ("0002_search", _search),
    ("0003_versions", _versions),
    ("0004_feeds", _feeds),
]
MIGRATION_NAMES = [name for name, _ in MIGRATIONS_V4] + ["0005_compact"]
SCHEMA_VERSION = len(MIGRATION_NAMES)  # 5
COMPACT_VERSION = 5


SPEED_INDEXES = {
    # what the header counts, so counting a big library (at every start) reads a narrow
    # index instead of every state row
    "article_state_counts": "CREATE INDEX IF NOT EXISTS article_state_counts ON article_state"
    " (read, starred, notes, highlights) WHERE superseded_by IS NULL",
}
"""Indexes that only make reads faster. They are made where missing whenever a library is
opened for writing, outside the numbered migrations: adding one does not change the schema
version, so an older gloss (or a sync peer running one) still opens the library, and a
read-only copy without them opens too, a little slower."""


def ensure_speed_indexes(conn: sqlite3.Connection) -> None:
    """Make the SPEED_INDEXES a writable library lacks (a busy library: on a later open)."""
    names = list(SPEED_INDEXES)
    present = conn.execute(  # one row: this runs on every open, while the UI is starting
        "SELECT group_concat(name, char(31)) FROM sqlite_master"
        f" WHERE type = 'index' AND name IN ({', '.join('?' * len(names))})",
        names,
    ).fetchone()[0]
    for name, sql in SPEED_INDEXES.items():
        if name not in (present or "").split("\x1f"):
            with contextlib.suppress(sqlite3.OperationalError):
                conn.execute(sql)


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode with gloss's pragmas; transactions are explicit."""
    try:
        if readonly:
            # In a folder we cannot write, SQLite cannot make the WAL index either: read the
            # file as immutable (nothing can be writing it there).
            immutable = "&immutable=1" if not os.access(path.parent, os.W_OK) else ""
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro{immutable}",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
        else:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # A bigger page cache than SQLite's 2 MB default, memory-mapped reads, and temp
        # tables (merge, re-index) in memory: searches and merges touch many pages. (One
        # script: a thread opening the library while the UI thread works waits for the
        # interpreter once per statement.)
        conn.executescript(
            f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = OFF;"
            " PRAGMA cache_size = -65536; PRAGMA mmap_size = 268435456;"
            " PRAGMA temp_store = MEMORY;"
        )
    except sqlite3.Error as exc:
        raise LibraryError(f"cannot open library {path}: {exc}") from None
    return conn


def check_identity(conn: sqlite3.Connection, path: Path) -> tuple[int, int]:
    """(application_id, user_version); LibraryError if the file is not a usable gloss library."""
    try:
        app_id, version, tables = conn.execute(
            "SELECT (SELECT application_id FROM pragma_application_id),"
            " (SELECT user_version FROM pragma_user_version),"
            " (SELECT count(*) FROM sqlite_master)"
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise LibraryError(
            f"{path} is not a readable SQLite database ({exc}); "
            "if it is your library, restore it from a backup or a sync peer"
        ) from None
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables):
        raise LibraryError(f"{path} is an SQLite database but not a gloss library")
    if version > SCHEMA_VERSION:
        raise LibraryError(
            f"{path} was written by a newer gloss (schema {version}, this gloss knows "
            f"{SCHEMA_VERSION}); upgrade gloss to open it"
        )
    return app_id, version


def may_need_upgrade(path: Path) -> bool:
    """A cheap first look (the file's header, no SQLite): False when the library at `path`
    surely needs no upgrade; True when `needs_upgrade` should be asked. (The header can lag
    behind a WAL not yet checkpointed: `Library.open` always asks `needs_upgrade` itself.)"""
    try:
        with path.open("rb") as f:
            header = f.read(100)
    except OSError:
        return False
    if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
        return False
    return 0 < int.from_bytes(header[60:64], "big") < COMPACT_VERSION


def needs_upgrade(path: Path) -> bool:
    """True when the file at `path` is a gloss library older than schema 5, which
    `upgrade` must bring up (a file swap: run it before the library is opened for use)."""
    if not path.is_file() or path.stat().st_size == 0:
        return False
    conn = connect(path, readonly=True)
    try:
        app_id, version = check_identity(conn, path)
    finally:
        conn.close()
    return 0 < version < COMPACT_VERSION


def upgrade(path: Path, progress: Progress | None = None) -> None:
    """Bring an older library at `path` to schema 5: 0001-0004 in place up to schema 4,
    then the compact migration (a new file, swapped in). `progress(phase, done, total)`
    is called as it goes. A no-op for a new or current library."""
    if not needs_upgrade(path):
        return
    conn = connect(path)
    try:
        migrate_v4(conn, path)
    finally:
        conn.close()
    from store.core import compact

    compact.migrate(path, progress)


def migrate_v4(conn: sqlite3.Connection, path: Path) -> None:
    """Bring a new or older library up to schema 4 with 0001-0004, in one transaction (for
    an old library, and to build schema-4 libraries in tests)."""
    app_id, version = check_identity(conn, path)
    if version >= len(MIGRATIONS_V4) and app_id == APPLICATION_ID:
        return
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while we waited for the write lock.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < len(MIGRATIONS_V4):
            if "migrations" not in db.table_names():
                db["migrations"].create({"name": str, "applied_at": str}, pk="name")
            for name, step in MIGRATIONS_V4[version:]:
                step(db)
                db["migrations"].insert({"name": name, "applied_at": _now()}, replace=True)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS_V4)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Create a new library at schema 5, in one transaction; a no-op for a current one.
    An older library must have been upgraded first (`upgrade`): LibraryError if not."""
    app_id, version = check_identity(conn, path)
    if version == SCHEMA_VERSION and app_id == APPLICATION_ID:
        return
    if version:
        raise LibraryError(
            f"{path} is at schema {version} and must be upgraded first (open it with gloss)"
        )
    from store.core import schema, state

    # The page size only takes before the first table (and before WAL makes it fixed).
    conn.execute(f"PRAGMA page_size = {schema.PAGE_SIZE}")
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have created it while we waited for the write lock.
        if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            for statement in schema.statements():
                conn.execute(statement)
            state.recount(conn)  # the kept counts' rows, all zero
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("device_id", os.urandom(8).hex()), ("created_at", _now())],
            )
            conn.executemany(
                "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                [(name, _now()) for name in MIGRATION_NAMES],
            )
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def check(conn: sqlite3.Connection, full: bool = False) -> list[str]:
    """SQLite's quick_check (or the complete, slower integrity_check): ["ok"] or problems."""
    pragma = "integrity_check" if full else "quick_check"
    return [r[0] for r in conn.execute(f"PRAGMA {pragma}")]
