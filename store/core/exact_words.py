"""Migration 0007_exact_words: full-text indexes of the same articles and notes without
stemming (articles_words_fts, notes_words_fts), so search can tell the word itself from
words that only share its stem ("inflation" and "inflatable" both stem to "inflat").

In place and in one transaction: a schema-6 library gets the two tables and their
triggers, and each is built from the text already there (FTS5's 'rebuild': one pass over
the articles, as the compact migration's own index build). A library the compact migration
has just made already has them, built: then only the version moves.
"""

from __future__ import annotations

import re
import sqlite3

from store.core import schema
from store.core.db import Progress, migration_step

OLD_VERSION = 6
NEW_VERSION = 7
NAME = "0007_exact_words"
PHASE = "exact-word index"
TABLES = ("articles_words_fts", "notes_words_fts")
_NAMED = re.compile(r"CREATE (?:VIRTUAL TABLE|TRIGGER) (\w+)", re.IGNORECASE)


def _ddl() -> list[tuple[str, str]]:
    """(name, statement) of the schema's statements making the tables and their triggers."""
    out = []
    for statement in schema.statements():
        m = _NAMED.match(statement)
        if m and (m.group(1) in TABLES or "_words_" in m.group(1)):
            out.append((m.group(1), statement))
    return out


def migrate(conn: sqlite3.Connection, progress: Progress | None = None) -> None:
    """Bring the schema-6 library on `conn` (autocommit) to schema 7; a no-op otherwise."""
    report = progress or (lambda phase, done, total: None)
    with migration_step(conn, NAME, OLD_VERSION, NEW_VERSION) as due:
        if not due:
            return
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        missing = [t for t in TABLES if t not in present]
        if missing:
            report(PHASE, 0, len(missing))
        for name, statement in _ddl():
            if name not in present:
                conn.execute(statement)
                if name in missing:  # one pass over the text already there
                    conn.execute(f"INSERT INTO {name} ({name}) VALUES ('rebuild')")
                    report(PHASE, missing.index(name) + 1, len(missing))
