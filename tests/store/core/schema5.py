"""A real schema-5 library as gloss made it before #15: the schema-4 fixture compacted, then
its entity tables put back to schema 5's (no entity_corrections, entity_groups or
entity_aliases; entity_names without name_key, UNIQUE (text, label), one entity per
spelling as the old index posted it), plus an article naming "The Kremlin" and "Kremlin".
The DDL below is schema 5's, copied from store/core/schema.py before #15."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from store.core import codec, compact
from tests.store.core import schema4

D = "d" * 32
TEXT_D = "The Kremlin said little. Kremlin aides said more."
ENTS_D = [(0, 11, "ORG"), (25, 32, "ORG")]

OLD_ENTITY_DDL = [
    """CREATE TABLE entity_names (
    key INTEGER PRIMARY KEY,
    text TEXT NOT NULL COLLATE NOCASE, label TEXT NOT NULL,
    articles INTEGER NOT NULL DEFAULT 0, mentions INTEGER NOT NULL DEFAULT 0,  -- totals
    UNIQUE (text, label)
)""",
    "CREATE INDEX entity_names_label ON entity_names (label)",
    """CREATE TABLE entity_articles (
    entity INTEGER NOT NULL, article INTEGER NOT NULL, mentions INTEGER NOT NULL,
    PRIMARY KEY (entity, article)
) WITHOUT ROWID""",
]


def build(path: Path) -> None:
    """Write the schema-5 library at `path`."""
    schema4.build(path)
    compact.migrate(path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        q = conn.execute
        q("BEGIN")
        for table in ("entity_corrections", "entity_groups", "entity_aliases", "entity_names",
                      "entity_articles"):  # fmt: skip
            q(f"DROP TABLE {table}")
        for statement in OLD_ENTITY_DDL:
            q(statement)
        structure = json.dumps({"sections": [], "paragraphs": [[0, len(TEXT_D)]]})
        key = q(
            "INSERT INTO articles (id, title, source, imported_at, structure, text)"
            " VALUES (?, 'Kremlin', '/src/kremlin.txt', '2024-01-01T00:00:04.000+00:00', ?, ?)"
            " RETURNING key",
            (D, structure, TEXT_D),
        ).fetchone()[0]
        q(
            "INSERT INTO analyses VALUES (?, 1, '2024-01-01T00:00:04.000+00:00', ?, ?)",
            (key, codec.pack_entities(ENTS_D), codec.pack_sentences([(0, 24), (25, 49)])),
        )
        q("INSERT INTO article_state (article) VALUES (?)", (key,))
        _old_index(conn)
        q("DELETE FROM migrations WHERE name = '0006_entity_groups'")
        q("PRAGMA user_version = 5")
        q("COMMIT")
    finally:
        conn.close()


def _old_index(conn: sqlite3.Connection) -> None:
    """The schema-5 index: per article, one posting per (spelling, label), the least
    spelling of its NOCASE class shown."""
    totals: dict[tuple[str, str], list] = {}
    postings = []
    for key, text, blob in conn.execute(
        "SELECT a.key, a.text, n.entities FROM articles a JOIN analyses n ON n.article = a.key"
    ).fetchall():
        mine: dict[tuple[str, str], int] = {}
        for s, e, label in codec.unpack_entities(blob):
            mine[(text[s:e].lower(), label)] = mine.get((text[s:e].lower(), label), 0) + 1
            entry = totals.setdefault((text[s:e].lower(), label), [text[s:e], 0, 0])
            entry[0] = min(entry[0], text[s:e])
        for k, n in mine.items():
            totals[k][1] += 1
            totals[k][2] += n
            postings.append((k, key, n))
    ids = {}
    for k, (name, articles, mentions) in totals.items():
        ids[k] = conn.execute(
            "INSERT INTO entity_names (text, label, articles, mentions) VALUES (?, ?, ?, ?)"
            " RETURNING key",
            (name, k[1], articles, mentions),
        ).fetchone()[0]
    conn.executemany(
        "INSERT INTO entity_articles VALUES (?, ?, ?)", [(ids[k], a, n) for k, a, n in postings]
    )
