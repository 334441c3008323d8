"""The legacy migrations 0001-0004, kept to bring a library older than schema 4 up to
schema 4 in place (and to build schema-4 libraries in tests): the sqlite-utils steps that
created the initial tables, search, article versions and feeds, as MIGRATIONS_V4, and
`migrate_v4`, which applies those a library lacks in one transaction. From schema 4,
`store.core.compact` takes a library to schema 5 (`store.core.upgrade.run` runs both)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from store.core.db import APPLICATION_ID, check_identity, now_iso

if TYPE_CHECKING:  # sqlite-utils (and the numpy it imports) load only to migrate
    import sqlite_utils


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


# Applied in order and recorded in the `migrations` table; their names are the first four
# of store.core.db.MIGRATION_NAMES (0005 is the file swap in store.core.compact).
MIGRATIONS_V4: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("0001_initial", _initial),
    ("0002_search", _search),
    ("0003_versions", _versions),
    ("0004_feeds", _feeds),
]


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
                db["migrations"].insert({"name": name, "applied_at": now_iso()}, replace=True)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS_V4)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
