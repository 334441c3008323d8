"""Migration 0005_compact: a schema-4 library becomes a schema-5 one, in a new file.

The old file's content is never changed. The new one is built beside it (LIBRARY.migrating,
no journal: it is scratch until complete), made durable (fsync), then moved over the old one
with one os.replace; a kill at any moment leaves the old library (plus a scratch file the
next run deletes) or the complete new one, never half of either. Writers are held off by a
write lock on the old library for the whole build, and the migration refuses to start while
another process has the library open (it could not see the swap). Memory is bounded:
analyses go in batches of BATCH articles, everything else is INSERT ... SELECT run by
SQLite, with a small page cache and temporary b-trees on disk.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from store.core import codec, exact_words, schema, state
from store.core.db import APPLICATION_ID, COMPACT_VERSION, Progress, check_identity
from store.core.errors import LibraryError

OLD_VERSION = 4
BATCH = 2000
CACHE_KIB = 16384
"""The build's page cache (16 MiB; the lab's 128 MiB made the 191 MB peak)."""

# The phases `progress` names, in order, with their share of the work (seconds measured on
# the 100,000-article bench library: packing analyses and the full-text index dominate), so
# a progress bar can advance evenly across them.
PHASES = {
    "articles": 1, "analyses": 23, "notes and events": 1, "state": 1, "indexes": 1,
    "full-text index": 12, "statistics": 1, "entity groups": 10,
}  # fmt: skip
"""("entity groups" is migration 0006's, store.core.regroup, which runs next and builds the
entity index: this one leaves it empty.)"""


def scratch_path(path: Path) -> Path:
    return Path(f"{path}.migrating")


def migrate(path: Path, progress: Progress | None = None) -> None:
    """Migrate the schema-4 library at `path` to schema 5 (see the module docstring)."""
    report = progress or (lambda phase, done, total: None)
    new_path = scratch_path(path)
    lock = sqlite3.connect(path, isolation_level=None)
    try:
        _, version = check_identity(lock, path)
        if version == COMPACT_VERSION:
            return  # another process migrated it while we waited
        if version != OLD_VERSION:
            raise LibraryError(f"{path}: schema {version}, expected {OLD_VERSION}")
        lock.execute("PRAGMA busy_timeout = 5000")
        # Leaving WAL needs every other connection closed: it both checkpoints the old file
        # and proves that no other process holds it (which would write to the replaced file).
        try:
            mode = lock.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except sqlite3.OperationalError:
            mode = "busy"
        if mode != "delete":
            raise LibraryError(
                f"{path} is open in another gloss; close it so the library can be upgraded"
            )
        lock.execute("BEGIN IMMEDIATE")  # no writer until the switch (readers still read)
        try:
            build(path, new_path, report)
            Path(f"{path}-shm").unlink(missing_ok=True)  # (a stale index of the old file)
            os.replace(new_path, path)  # the one atomic step, the write lock still held
        except BaseException:
            new_path.unlink(missing_ok=True)
            raise
        finally:
            lock.execute("ROLLBACK")
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        report("done", 1, 1)
    finally:
        lock.close()


def build(old_path: Path, new_path: Path, progress: Progress) -> None:
    """Write the schema-5 library at new_path from the schema-4 one at old_path."""
    for p in (new_path, Path(f"{new_path}-journal"), Path(f"{new_path}-wal")):
        p.unlink(missing_ok=True)
    c = sqlite3.connect(new_path, isolation_level=None)
    try:
        _build(c, old_path, progress)
    finally:
        c.close()
    fd = os.open(new_path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _build(c: sqlite3.Connection, old_path: Path, progress: Progress) -> None:
    c.execute(f"PRAGMA page_size = {schema.PAGE_SIZE}")
    c.execute("PRAGMA journal_mode = OFF")
    c.execute("PRAGMA synchronous = OFF")
    c.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    c.execute("PRAGMA temp_store = FILE")  # index sorts spill to disk, not to memory
    c.execute("ATTACH ? AS o", (f"{old_path.resolve().as_uri()}?mode=ro",))
    # Tables first, secondary indexes after the bulk load (sorted builds, no page splits),
    # triggers last (the FTS tables are rebuilt in one go instead).
    statements = schema.statements()
    deferred = [s for s in statements if s.upper().startswith("CREATE INDEX")]
    triggers = [s for s in statements if s.upper().startswith("CREATE TRIGGER")]
    q = c.execute
    q("BEGIN")
    for s in statements:
        if s not in deferred and s not in triggers:
            q(s)
    total = q("SELECT count(*) FROM o.articles").fetchone()[0]
    progress("articles", 0, total)
    # key = the old rowid, which is also the old FTS rowid and the old entity_index key.
    q(
        "INSERT INTO articles (key, id, title, byline, source, published, imported_at,"
        " structure, text) SELECT rowid, id, title, byline, source, published, imported_at,"
        " structure, text FROM o.articles ORDER BY rowid"
    )
    q("INSERT INTO models (name) SELECT DISTINCT model FROM o.analyses ORDER BY model")
    _analyses(c, total, progress)
    progress("notes and events", 0, 0)
    _facts(c)
    progress("state", 0, 0)
    _state(c)
    progress("indexes", 0, 0)
    for s in deferred:
        q(s)
    progress("full-text index", 0, 0)
    q("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
    q("INSERT INTO notes_fts (notes_fts) VALUES ('rebuild')")
    q("INSERT INTO article_tagtext_fts (article_tagtext_fts) VALUES ('rebuild')")
    for table in exact_words.TABLES:  # (the schema made them; 0007 finds them built)
        q(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")
    for s in triggers:
        q(s)
    state.recount(c)
    q(
        "INSERT OR REPLACE INTO migrations VALUES ('0005_compact', ?)",
        (datetime.now(UTC).isoformat(timespec="seconds"),),
    )
    q(f"PRAGMA application_id = {APPLICATION_ID}")
    q(f"PRAGMA user_version = {COMPACT_VERSION}")
    q("COMMIT")
    q("DETACH o")
    progress("statistics", 0, 0)
    q("ANALYZE")  # the unread list's plan needs it (lab: 0.003 of the old time with it)
    q("PRAGMA journal_mode = WAL")


def _analyses(c: sqlite3.Connection, total: int, progress: Progress) -> None:
    """Pack each article's entity and sentence rows into its analyses row, BATCH articles
    at a time (each batch is three range scans of the old tables)."""
    models = dict(c.execute("SELECT name, key FROM models"))
    done, last = 0, ""
    progress("analyses", 0, total)
    while True:
        ids = c.execute(
            "SELECT id, rowid FROM o.articles WHERE id > ? ORDER BY id LIMIT ?", (last, BATCH)
        ).fetchall()
        if not ids:
            break
        lo, hi = ids[0][0], ids[-1][0]
        key = dict(ids)
        ents: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
        for aid, model, s, e, label in c.execute(
            'SELECT article_id, model, start, "end", label FROM o.entities'
            " WHERE article_id BETWEEN ? AND ?",
            (lo, hi),
        ):
            ents.setdefault((aid, model), []).append((s, e, label))
        sents: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for aid, model, s, e in c.execute(
            'SELECT article_id, model, start, "end" FROM o.sentences'
            " WHERE article_id BETWEEN ? AND ?",
            (lo, hi),
        ):
            sents.setdefault((aid, model), []).append((s, e))
        rows = [
            (key[aid], models[model], at, codec.pack_entities(ents.get((aid, model), ())),
             codec.pack_sentences(sents.get((aid, model), ())))
            for aid, model, at in c.execute(
                "SELECT article_id, model, analysed_at FROM o.analyses"
                " WHERE article_id BETWEEN ? AND ?",
                (lo, hi),
            )
            if aid in key
        ]  # fmt: skip
        c.executemany("INSERT INTO analyses VALUES (?, ?, ?, ?, ?)", rows)
        done += len(ids)
        last = hi
        progress("analyses", done, total)


def _facts(c: sqlite3.Connection) -> None:
    q = c.execute
    join = " JOIN o.articles a ON a.id = "
    q(
        "INSERT INTO note_revisions (rowid, rev_id, note_id, parents, article, pos_start,"
        " pos_end, exact, prefix, suffix, body, deleted, hlc, device) SELECT r.rowid, r.rev_id,"
        " r.note_id, r.parents, a.rowid, r.pos_start, r.pos_end, r.exact, r.prefix, r.suffix,"
        " r.body, r.deleted, r.hlc, r.device FROM o.note_revisions r"
        + join + "r.article_id ORDER BY r.rowid"
    )  # fmt: skip
    q(
        "INSERT INTO events (event_id, article, field, value, hlc, device) SELECT e.event_id,"
        " a.rowid, e.field, e.value, e.hlc, e.device FROM o.events e"
        + join + "e.article_id ORDER BY e.rowid"
    )  # fmt: skip
    q(
        "INSERT INTO article_versions SELECT a.rowid, b.rowid, v.hlc, v.device"
        " FROM o.article_versions v JOIN o.articles a ON a.id = v.old_id"
        " JOIN o.articles b ON b.id = v.new_id"
    )
    for t in ("feeds", "feed_events", "feed_state", "meta", "migrations"):
        q(f"INSERT INTO {t} SELECT * FROM o.{t}")
    q(
        "INSERT INTO feed_entries SELECT f.feed_id, f.guid, a.rowid, f.link, f.published, f.hlc,"
        " f.device FROM o.feed_entries f" + join + "f.article_id"
    )
    for table in ("note_revisions", "events", "article_versions", "feed_entries"):
        n_old = q(f"SELECT count(*) FROM o.{table}").fetchone()[0]
        n_new = q(f"SELECT count(*) FROM {table}").fetchone()[0]
        if n_old != n_new:  # a fact about an article we do not hold: refuse, lose nothing
            raise LibraryError(
                f"cannot upgrade: {n_old - n_new} {table} rows name an article the library"
                " does not hold; nothing was changed"
            )


def _state(c: sqlite3.Connection) -> None:
    q = c.execute
    q(
        "INSERT INTO article_state (article, read, starred, notes, highlights, superseded_by)"
        " SELECT s.article, s.read, s.starred, s.notes, s.highlights, b.rowid"
        " FROM o.article_state s LEFT JOIN o.articles b ON b.id = s.superseded_by"
        " ORDER BY s.article"
    )
    q("INSERT INTO article_tags SELECT article, tag FROM o.article_tags ORDER BY article, tag")
    q(
        "INSERT INTO notes (rev, note_id, article, created, conflict, heads)"
        " SELECT r.rowid, n.note_id, n.article, n.created, n.conflict,"
        " CASE WHEN n.conflict THEN (SELECT json_group_array(json_extract(h.value, '$.rev'))"
        "   FROM json_each(n.heads) h) END"
        " FROM o.notes n JOIN o.note_revisions r ON r.rev_id = n.rev_id ORDER BY r.rowid"
    )
