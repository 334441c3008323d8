"""Derived state: rebuilt from the facts for the articles a write or a merge touched.

Current notes are the live heads of each note's revision graph; read, starred and tag
membership are the latest event per (article, field), ordered by (hlc, event_id) so every
machine picks the same winner.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable


def rebuild(conn: sqlite3.Connection, article_ids: Iterable[str]) -> None:
    """Recompute notes, article_state and article_tags for these articles (inside a txn),
    and for every article sharing a note with them (a note moves with a new version)."""
    for article_id in _with_note_neighbours(conn, list(dict.fromkeys(article_ids))):
        row = conn.execute("SELECT rowid FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            continue  # facts about an article this library does not hold
        _rebuild_notes(conn, article_id, row[0])
        _rebuild_events(conn, article_id, row[0])


def _with_note_neighbours(conn: sqlite3.Connection, ids: list[str]) -> list[str]:
    out = dict.fromkeys(ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for (other,) in conn.execute(
            "SELECT DISTINCT r.article_id FROM note_revisions r WHERE r.note_id IN"
            f" (SELECT note_id FROM note_revisions WHERE article_id IN ({marks}))",
            chunk,
        ):
            out.setdefault(other)
    return list(out)


def _rebuild_notes(conn: sqlite3.Connection, article_id: str, article: int) -> None:
    conn.execute("DELETE FROM notes WHERE article_id = ?", (article_id,))
    rows = conn.execute(
        "SELECT rev_id, note_id, parents, pos_start, pos_end, exact, prefix, suffix, body,"
        " deleted, hlc, article_id FROM note_revisions WHERE note_id IN"
        " (SELECT note_id FROM note_revisions WHERE article_id = ?) ORDER BY hlc, rev_id",
        (article_id,),
    ).fetchall()
    by_note: dict[str, list[tuple]] = {}
    for row in rows:
        by_note.setdefault(row[1], []).append(row)
    for note_id, revs in by_note.items():
        superseded = {p for r in revs for p in json.loads(r[2])}
        live = [r for r in revs if r[0] not in superseded and not r[9]]
        if not live:
            continue  # every head is a tombstone: the note is deleted
        # A note lives on the newest version of its article among its heads' articles.
        current = [r for r in live if not _is_superseded(conn, r[11])] or live
        head = max(current, key=lambda r: (r[10], r[0]))
        if head[11] != article_id:
            continue  # it belongs to another article (a newer version)
        heads = [{"rev": r[0], "body": r[8], "hlc": r[10]} for r in live]
        # Its row may still sit on an older version not rebuilt yet (a merge brought the move).
        conn.execute("DELETE FROM notes WHERE note_id = ?", (note_id,))
        conn.execute(
            "INSERT INTO notes (note_id, article_id, rev_id, heads, pos_start, pos_end, exact,"
            " prefix, suffix, body, created, updated, conflict, article)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                note_id, article_id, head[0], json.dumps(heads), head[3], head[4], head[5],
                head[6], head[7], head[8], revs[0][10], head[10], int(len(live) > 1), article,
            ),
        )  # fmt: skip


def _is_superseded(conn: sqlite3.Connection, article_id: str) -> bool:
    row = conn.execute("SELECT 1 FROM article_versions WHERE old_id = ? LIMIT 1", (article_id,))
    return row.fetchone() is not None


def latest_events(conn: sqlite3.Connection, article_id: str) -> dict[str, int]:
    """The winning value of every field of an article's events."""
    latest: dict[str, int] = {}
    for field, value in conn.execute(
        "SELECT field, value FROM events WHERE article_id = ? ORDER BY hlc, event_id",
        (article_id,),
    ):
        latest[field] = value
    return latest


def _rebuild_events(conn: sqlite3.Connection, article_id: str, article: int) -> None:
    latest = latest_events(conn, article_id)
    counts = conn.execute(
        "SELECT count(*) FILTER (WHERE body != ''), count(*) FILTER (WHERE body = '')"
        " FROM notes WHERE article_id = ?",
        (article_id,),
    ).fetchone()
    newer = conn.execute(
        "SELECT new_id FROM article_versions WHERE old_id = ? ORDER BY hlc DESC, new_id DESC"
        " LIMIT 1",
        (article_id,),
    ).fetchone()
    conn.execute(
        "INSERT OR REPLACE INTO article_state"
        " (article_id, read, starred, notes, highlights, article, superseded_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (article_id, latest.get("read", 0), latest.get("starred", 0), *counts, article,
         newer[0] if newer else None),
    )  # fmt: skip
    tags = sorted(f[4:] for f, v in latest.items() if f.startswith("tag:") and v)
    conn.execute("DELETE FROM article_tags WHERE article_id = ?", (article_id,))
    conn.executemany(
        "INSERT INTO article_tags (article_id, tag, article) VALUES (?, ?, ?)",
        [(article_id, t, article) for t in tags],
    )
    # DELETE then INSERT (not REPLACE) so the FTS triggers see both halves.
    conn.execute("DELETE FROM article_tagtext WHERE article_id = ?", (article_id,))
    if tags:
        conn.execute(
            "INSERT INTO article_tagtext (article_id, tags) VALUES (?, ?)",
            (article_id, " ".join(tags)),
        )


def rebuild_entities(conn: sqlite3.Connection, article_ids: Iterable[str]) -> None:
    """Recompute the entity index of these articles from their latest analysis, in bulk."""
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        return
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS reindex (id TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM temp.reindex")
    conn.executemany("INSERT OR IGNORE INTO temp.reindex VALUES (?)", [(i,) for i in ids])
    conn.execute(
        "DELETE FROM entity_index WHERE article IN"
        " (SELECT a.rowid FROM articles a JOIN temp.reindex r ON r.id = a.id)"
    )
    conn.execute(
        "WITH current AS (SELECT r.id, a.rowid AS article, (SELECT model FROM analyses"
        "  WHERE article_id = r.id ORDER BY analysed_at DESC, model LIMIT 1) AS model"
        "  FROM temp.reindex r JOIN articles a ON a.id = r.id)"
        " INSERT INTO entity_index (text, label, article, mentions)"
        " SELECT min(e.text), e.label, c.article, count(*) FROM current c"
        " JOIN entities e ON e.article_id = c.id AND e.model = c.model"
        " GROUP BY c.article, e.text COLLATE NOCASE, e.label"
    )
    conn.execute("DELETE FROM temp.reindex")
