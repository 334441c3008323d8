"""A small schema-4 library (today's format before the compact schema), built with the kept
0001-0004 migrations and old-style rows, for the migration and old-peer tests."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from store.core import db, legacy

MODEL = "en_core_web_sm-3.8.0"
TEXT_A = "Ada Lovelace met Charles Babbage in London. They wrote about the engine."
TEXT_B = "The engine of Babbage ran in London. Ada Lovelace described it."
TEXT_C = "Samarkand sits on the Silk Road. Traders came from Persia."
ARTICLES = [  # id, title, text, imported_at
    ("a" * 32, "Notes on the engine", TEXT_A, "2024-01-01T00:00:01.000+00:00"),
    ("b" * 32, "The analytical engine", TEXT_B, "2024-01-01T00:00:02.000+00:00"),
    ("c" * 32, "Samarkand", TEXT_C, "2024-01-01T00:00:03.000+00:00"),
]


def _spans(text: str) -> tuple[list[tuple[int, int, str, str]], list[tuple[int, int]]]:
    ents = []
    for name, label in (("Ada Lovelace", "PERSON"), ("Charles Babbage", "PERSON"),
                        ("Babbage", "PERSON"), ("London", "GPE"), ("Samarkand", "GPE"),
                        ("Silk Road", "LOC"), ("Persia", "GPE")):  # fmt: skip
        start = text.find(name)
        if start >= 0 and not any(s <= start < e for s, e, _, _ in ents):
            ents.append((start, start + len(name), label, name))
    cut = text.index(". ") + 1
    return sorted(ents), [(0, cut), (cut + 1, len(text))]


def build(path: Path, version: int = 4) -> None:
    """Write the library: three analysed articles, notes (one in conflict, one highlight),
    read/starred/tag events; schema `version` (1-4)."""
    conn = db.connect(path)
    import sqlite_utils

    sdb = sqlite_utils.Database(conn)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    sdb["migrations"].create({"name": str, "applied_at": str}, pk="name")
    legacy.MIGRATIONS_V4[0][1](sdb)
    sdb["migrations"].insert({"name": "0001_initial", "applied_at": "2024-01-01"})
    q = conn.execute
    for aid, title, text, at in ARTICLES:
        structure = json.dumps({"sections": [], "paragraphs": [[0, len(text)]]})
        q("INSERT INTO articles (id, title, byline, source, published, imported_at, text,"
          " structure) VALUES (?, ?, NULL, ?, NULL, ?, ?, ?)",
          (aid, title, f"/src/{title}.txt", at, text, structure))  # fmt: skip
        ents, sents = _spans(text)
        q("INSERT INTO analyses VALUES (?, ?, ?)", (aid, MODEL, at))
        conn.executemany(
            'INSERT INTO entities (article_id, model, start, "end", label, text)'
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(aid, MODEL, s, e, lab, t) for s, e, lab, t in ents],
        )
        conn.executemany(
            'INSERT INTO sentences (article_id, model, start, "end") VALUES (?, ?, ?, ?)',
            [(aid, MODEL, s, e) for s, e in sents],
        )
    key = {aid: k for k, aid in enumerate((a[0] for a in ARTICLES), start=1)}
    a, b, _ = (x[0] for x in ARTICLES)
    revs = [  # rev_id, note_id, parents, article, ps, pe, exact, body, deleted, hlc
        ("r1", "n1", [], a, 0, 12, "Ada Lovelace", "a remarkable mind", 0, "0001"),
        ("r2", "n1", ["r1"], a, 0, 12, "Ada Lovelace", "first programmer", 0, "0002"),
        ("r3", "n1", ["r1"], a, 0, 12, "Ada Lovelace", "wrote the first program", 0, "0003"),
        ("r4", "n2", [], b, 4, 10, "engine", "", 0, "0004"),
        ("r5", "n3", [], b, None, None, None, "about the whole article", 0, "0005"),
        ("r6", "n4", [], a, None, None, None, "deleted later", 0, "0006"),
        ("r7", "n4", ["r6"], a, None, None, None, "", 1, "0007"),
    ]
    for rid, nid, parents, aid, ps, pe, exact, body, deleted, hlc in revs:
        q("INSERT INTO note_revisions (rev_id, note_id, parents, article_id, pos_start, pos_end,"
          " exact, prefix, suffix, body, deleted, hlc, device) VALUES"
          " (?, ?, ?, ?, ?, ?, ?, '', '', ?, ?, ?, 'dev')",
          (rid, nid, json.dumps(parents), aid, ps, pe, exact, body, deleted, hlc))  # fmt: skip
    notes = [  # note_id, article, rev, heads, ps, pe, exact, body, created, updated, conflict
        ("n1", a, "r3", [("r2", "first programmer", "0002"),
                         ("r3", "wrote the first program", "0003")],
         0, 12, "Ada Lovelace", "wrote the first program", "0001", "0003", 1),
        ("n2", b, "r4", [("r4", "", "0004")], 4, 10, "engine", "", "0004", "0004", 0),
        ("n3", b, "r5", [("r5", "about the whole article", "0005")], None, None, None,
         "about the whole article", "0005", "0005", 0),
    ]  # fmt: skip
    for nid, aid, rid, heads, ps, pe, exact, body, created, updated, conflict in notes:
        q("INSERT INTO notes VALUES (?, ?, ?, ?, ?, ?, ?, '', '', ?, ?, ?, ?, ?)",
          (nid, aid, rid, json.dumps([{"rev": r, "body": t, "hlc": h} for r, t, h in heads]),
           ps, pe, exact, body, created, updated, conflict, key[aid]))  # fmt: skip
    events = [
        ("e1", a, "read", 1, "0010"),
        ("e2", b, "starred", 1, "0011"),
        ("e3", a, "tag:history/computing", 1, "0012"),
        ("e4", b, "tag:history", 1, "0013"),
    ]
    for eid, aid, field, value, hlc in events:
        q("INSERT INTO events VALUES (?, ?, ?, ?, ?, 'dev')", (eid, aid, field, value, hlc))
    for aid, _, _, _ in ARTICLES:
        counts = {a: (1, 0), b: (1, 1)}.get(aid, (0, 0))
        q("INSERT INTO article_state VALUES (?, ?, ?, ?, ?, ?)",
          (aid, int(aid == a), int(aid == b), *counts, key[aid]))  # fmt: skip
    q("INSERT INTO article_tags VALUES (?, 'history/computing', ?)", (a, key[a]))
    q("INSERT INTO article_tags VALUES (?, 'history', ?)", (b, key[b]))
    q(f"PRAGMA application_id = {db.APPLICATION_ID}")
    q("PRAGMA user_version = 1")
    q("COMMIT")
    if version > 1:
        steps = legacy.MIGRATIONS_V4
        legacy.MIGRATIONS_V4 = steps[:version]
        try:
            legacy.migrate_v4(conn, path)
        finally:
            legacy.MIGRATIONS_V4 = steps
    conn.close()


def version_of(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
