"""Migration 0006_entity_groups: a schema-5 library's entity index (one entity per surface
spelling) becomes the index by groups (one entity per normalised canonical name and label,
with aliases), in place and in one transaction: a kill leaves the schema-5 library as it
was. The tables #15 added (entity_corrections, a fact; entity_groups, derived) are made
where missing; the derived entity index is dropped and rebuilt from the analyses in
batches, with progress. Also `regroup_all`, the same rebuild of any library's index.
"""

from __future__ import annotations

import re
import sqlite3

from store.core import entity_index, schema
from store.core.db import Progress, migration_step

OLD_VERSION = 5
NEW_VERSION = 6
NAME = "0006_entity_groups"
BATCH = 2000
PHASE = "entity groups"

_ADDED = ("entity_corrections", "entity_groups")  # new in #15, kept when present
_REBUILT = ("entity_names", "entity_articles", "entity_aliases")  # derived: made again
_INDEXES = re.compile(r"^CREATE INDEX (articles_links|articles_dates) ")
_TARGET = re.compile(r"CREATE (?:TABLE|INDEX \w+ ON) (\w+)", re.IGNORECASE)


def _ddl(tables: tuple[str, ...]) -> list[str]:
    """The schema's statements creating these tables and their indexes."""
    out = []
    for statement in schema.statements():
        m = _TARGET.match(statement)
        if m and m.group(1) in tables:
            out.append(statement)
    return out


def migrate(conn: sqlite3.Connection, progress: Progress | None = None) -> None:
    """Bring the schema-5 library on `conn` (autocommit) to schema 6; a no-op at 6."""
    with migration_step(conn, NAME, OLD_VERSION, NEW_VERSION) as due:
        if not due:
            return
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        for statement in _ddl(_ADDED):
            name = _TARGET.match(statement).group(1)  # type: ignore[union-attr]
            if name not in present or statement.upper().startswith("CREATE INDEX"):
                conn.execute(statement.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
        for statement in schema.statements():  # the indexes on articles #15 and #17 read
            if _INDEXES.search(statement):
                conn.execute(statement.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
        for table in _REBUILT:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _ddl(_REBUILT):
            conn.execute(statement)
        regroup_all(conn, progress)


def regroup_all(conn: sqlite3.Connection, progress: Progress | None = None) -> None:
    """Rebuild the whole entity index (inside the caller's transaction): empty it, then
    compute every analysed article's groups, BATCH articles at a time, names and totals
    kept in memory and written once."""
    report = progress or (lambda phase, done, total: None)
    for table in ("entity_names", "entity_articles", "entity_aliases", "entity_groups"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("UPDATE article_state SET labels = 0 WHERE labels != 0")
    total = conn.execute("SELECT count(DISTINCT article) FROM analyses").fetchone()[0]
    names: dict[tuple[str, str], list] = {}  # (name key, label): [key, text, articles, mentions]
    aliases: dict[tuple[str, int], int] = {}
    done, last = 0, -1
    report(PHASE, 0, total)
    while True:
        keys = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT article FROM analyses WHERE article > ? ORDER BY article LIMIT ?",
                (last, BATCH),
            )
        ]
        if not keys:
            break
        _batch(conn, keys, names, aliases)
        done += len(keys)
        last = keys[-1]
        report(PHASE, done, total)
    conn.executemany(
        "INSERT INTO entity_names (key, name_key, text, label, articles, mentions)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(k, nk, text, label, a, m) for (nk, label), (k, text, a, m) in names.items()],
    )
    conn.executemany(
        "INSERT INTO entity_aliases (name_key, entity, articles) VALUES (?, ?, ?)",
        [(nk, ent, n) for (nk, ent), n in aliases.items()],
    )


def _batch(
    conn: sqlite3.Connection,
    keys: list[int],
    names: dict[tuple[str, str], list],
    aliases: dict[tuple[str, int], int],
) -> None:
    postings, groups, labels = [], [], []
    for key in keys:
        text = conn.execute("SELECT text FROM articles WHERE key = ?", (key,)).fetchone()
        current = entity_index.current_analysis(conn, key)
        if text is None or current is None:
            continue
        computed = entity_index.Computed(text[0], current[1], entity_index.fixes(conn, key))
        posted = []
        for ident, (canonical, mentions, alias_keys) in computed.entities.items():
            entry = names.get(ident)
            if entry is None:
                entry = names[ident] = [len(names) + 1, canonical, 0, 0]
            entry[1] = min(entry[1], canonical)
            entry[2] += 1
            entry[3] += mentions
            postings.append((entry[0], key, mentions))
            for alias in alias_keys:
                aliases[(alias, entry[0])] = aliases.get((alias, entry[0]), 0) + 1
            posted.append((entry[0], alias_keys))
        groups.append((key, computed.blob, entity_index.pack_posted(posted)))
        labels.append((computed.labels, key))
    conn.executemany(
        "INSERT INTO entity_articles (entity, article, mentions) VALUES (?, ?, ?)", postings
    )
    conn.executemany("INSERT INTO entity_groups (article, groups, posted) VALUES (?, ?, ?)", groups)
    conn.executemany("UPDATE article_state SET labels = ? WHERE article = ?", labels)
