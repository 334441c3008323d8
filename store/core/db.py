"""The library file: connection settings, identity checks and named migrations.

Facts (synced, append-only): articles, analyses (packed entities and sentences),
note_revisions, events, article_versions, feeds, entity_corrections. State (derived,
rebuildable, never synced): notes, article_state, article_tags, the entity index
(entity_names, entity_articles, entity_aliases, entity_groups).

A new library is created at schema 7 directly (store.core.schema). An older one is brought to
schema 4 in place by the kept migrations 0001-0004 (store.core.legacy), then to schema 5 by
`store.core.compact`, which builds a new file beside it and swaps it in, then to schema 6 in
place by `store.core.regroup` (the entity index by groups), then to schema 7 in place by
`store.core.exact_words` (full-text indexes without stemming); `store.core.upgrade` runs
them before the library is opened for use.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from store.core.errors import LibraryError

Progress = Callable[[str, int, int], None]
"""A migration's progress: (phase, done, total); total 0 when a phase has no count."""

APPLICATION_ID = 0x676C6F73  # "glos"
BUSY_TIMEOUT_MS = 5000

FACT_TABLES = (
    "articles", "analyses", "note_revisions", "events", "article_versions", "entity_corrections",
)  # fmt: skip
STATE_TABLES = (
    "notes", "article_state", "article_tags", "entity_names", "entity_articles",
    "entity_aliases", "entity_groups",
)  # fmt: skip


# Named migrations, applied in order and recorded in the `migrations` table.
# user_version is the number of migrations a library has: a larger one means a newer gloss.
# 0001-0004 (store.core.legacy.MIGRATIONS_V4) run in place on a library older than schema 4
# (and build schema-4 fixtures in tests); 0005 is the file swap in store.core.compact;
# 0006 the entity index by groups, in place (store.core.regroup); 0007 the unstemmed
# full-text indexes, in place (store.core.exact_words).
MIGRATION_NAMES = [
    "0001_initial", "0002_search", "0003_versions", "0004_feeds", "0005_compact",
    "0006_entity_groups", "0007_exact_words",
]  # fmt: skip
SCHEMA_VERSION = len(MIGRATION_NAMES)  # 7
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
read-only copy without them opens too, a little slower. (An index on `articles` is not
one of them: made on a first open it would read every article while the app starts; the
ones #15 and #17 added are in the schema and made by migration 0006, which reads every
article anyway.)"""


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
    return 0 < int.from_bytes(header[60:64], "big") < SCHEMA_VERSION


def needs_upgrade(path: Path) -> bool:
    """True when the file at `path` is a gloss library older than this gloss's schema,
    which `upgrade` must bring up (run it before the library is opened for use)."""
    if not path.is_file() or path.stat().st_size == 0:
        return False
    conn = connect(path, readonly=True)
    try:
        app_id, version = check_identity(conn, path)
    finally:
        conn.close()
    return 0 < version < SCHEMA_VERSION


def now_iso() -> str:
    """Now, in UTC, to the second (as migrations record it)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextlib.contextmanager
def migration_step(conn: sqlite3.Connection, name: str, old: int, new: int):
    """One in-place migration of the library on `conn` (autocommit) from schema `old` to
    `new`, in one IMMEDIATE transaction: yields True to do its work, then records `name`
    and the new version and commits (rolled back on any failure); yields False, having
    done nothing, when the library is not at `old` (another process upgraded it while we
    waited for the lock)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] != old:
            conn.execute("ROLLBACK")
            yield False
            return
        yield True
        conn.execute(
            "INSERT OR REPLACE INTO migrations (name, applied_at) VALUES (?, ?)",
            (name, now_iso()),
        )
        conn.execute(f"PRAGMA user_version = {new}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Create a new library at schema 7, in one transaction; a no-op for a current one.
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
                [("device_id", os.urandom(8).hex()), ("created_at", now_iso())],
            )
            conn.executemany(
                "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                [(name, now_iso()) for name in MIGRATION_NAMES],
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
