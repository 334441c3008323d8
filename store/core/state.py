"""Derived state: kept current from the facts, note by note and field by field.

Current notes are the live heads of each note's revision graph; read, starred and tag
membership are the latest event per (article, field), ordered by (hlc, event_id) so every
machine picks the same winner.

A local write updates only what it changed: `note_revised` the one note (its row, its FTS
row through the triggers, its article's counts), `fields_changed` the fields it set. A
merge or an import, which can touch anything, calls `rebuild` for the articles it touched;
that rebuild writes only the rows that differ from what it computes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

NOTE_ROW = (
    "note_id, article_id, rev_id, heads, pos_start, pos_end, exact, prefix, suffix, body,"
    " created, updated, conflict, article"
)
_REV_COLUMNS = (
    "rev_id, note_id, parents, pos_start, pos_end, exact, prefix, suffix, body, deleted, hlc,"
    " article_id"
)


def rebuild(conn: sqlite3.Connection, article_ids: Iterable[str]) -> None:
    """Recompute notes, article_state and article_tags for these articles (inside a txn),
    and for every article sharing a note with them (a note moves with a new version)."""
    superseded: dict[str, bool] = {}
    for article_id in _with_note_neighbours(conn, list(dict.fromkeys(article_ids))):
        row = conn.execute("SELECT rowid FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            continue  # facts about an article this library does not hold
        _rebuild_notes(conn, article_id, row[0], superseded)
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


def _note_row(
    conn: sqlite3.Connection, note_id: str, revs: list[tuple], superseded: dict[str, bool]
) -> tuple | None:
    """The notes row of one note from all its revisions (ordered by hlc, rev_id); None when
    it is deleted (every head a tombstone) or its article is not in this library."""
    replaced = {p for r in revs for p in json.loads(r[2])}
    live = [r for r in revs if r[0] not in replaced and not r[9]]
    if not live:
        return None
    # A note lives on the newest version of its article among its heads' articles.
    current = [r for r in live if not _is_superseded(conn, r[11], superseded)] or live
    head = max(current, key=lambda r: (r[10], r[0]))
    article = conn.execute("SELECT rowid FROM articles WHERE id = ?", (head[11],)).fetchone()
    if article is None:
        return None
    heads = [{"rev": r[0], "body": r[8], "hlc": r[10]} for r in live]
    return (
        note_id, head[11], head[0], json.dumps(heads), head[3], head[4], head[5], head[6],
        head[7], head[8], revs[0][10], head[10], int(len(live) > 1), article[0],
    )  # fmt: skip


def _is_superseded(conn: sqlite3.Connection, article_id: str, cache: dict[str, bool]) -> bool:
    if article_id not in cache:
        row = conn.execute(
            "SELECT 1 FROM article_versions WHERE old_id = ? LIMIT 1", (article_id,)
        ).fetchone()
        cache[article_id] = row is not None
    return cache[article_id]


def _rebuild_notes(
    conn: sqlite3.Connection, article_id: str, article: int, superseded: dict[str, bool]
) -> None:
    rows = conn.execute(
        f"SELECT {_REV_COLUMNS} FROM note_revisions WHERE note_id IN"
        " (SELECT note_id FROM note_revisions WHERE article_id = ?) ORDER BY hlc, rev_id",
        (article_id,),
    ).fetchall()
    by_note: dict[str, list[tuple]] = {}
    for row in rows:
        by_note.setdefault(row[1], []).append(row)
    want = {}
    for note_id, revs in by_note.items():
        row = _note_row(conn, note_id, revs, superseded)
        if row is not None and row[1] == article_id:  # (else: it is on another version)
            want[note_id] = row
    have = {
        r[0]: r
        for r in conn.execute(f"SELECT {NOTE_ROW} FROM notes WHERE article_id = ?", (article_id,))
    }
    # Only rows that change are written: each write also updates the notes' FTS index.
    conn.executemany(
        "DELETE FROM notes WHERE note_id = ?", [(n,) for n in have.keys() - want.keys()]
    )
    for note_id, row in want.items():
        if have.get(note_id) != row:
            _put_note(conn, note_id, row)


def _put_note(conn: sqlite3.Connection, note_id: str, row: tuple | None) -> None:
    # DELETE then INSERT (not REPLACE) so the FTS triggers see both halves; the row may
    # sit on an older version of the article (a merge brought the move).
    conn.execute("DELETE FROM notes WHERE note_id = ?", (note_id,))
    if row is not None:
        conn.execute(f"INSERT INTO notes ({NOTE_ROW}) VALUES ({', '.join('?' * 14)})", row)


def note_revised(conn: sqlite3.Connection, note_id: str, rev_id: str) -> None:
    """Bring one note's row up to date after revision `rev_id` was written (inside the
    write's transaction). A revision that supersedes every current head (any local edit)
    is the only head: no other revision need be read."""
    old = conn.execute(f"SELECT {NOTE_ROW} FROM notes WHERE note_id = ?", (note_id,)).fetchone()
    rev = conn.execute(
        f"SELECT {_REV_COLUMNS} FROM note_revisions WHERE rev_id = ?", (rev_id,)
    ).fetchone()
    parents = sorted(json.loads(rev[2]))
    heads = sorted(h["rev"] for h in json.loads(old[3])) if old else []
    if (old is not None and parents == heads) or (old is None and not parents and _only(conn, rev)):
        new = _sole_head(conn, rev, old)
    else:  # anything else (a branch, a revision of a deleted note): from all its revisions
        revs = conn.execute(
            f"SELECT {_REV_COLUMNS} FROM note_revisions WHERE note_id = ? ORDER BY hlc, rev_id",
            (note_id,),
        ).fetchall()
        new = _note_row(conn, note_id, revs, {})
    if new == old:
        return
    _put_note(conn, note_id, new)
    for row, sign in ((old, -1), (new, 1)):
        if row is not None:
            kind = "notes" if row[9] else "highlights"
            conn.execute(
                f"UPDATE article_state SET {kind} = {kind} + ? WHERE article_id = ?",
                (sign, row[1]),
            )


def _only(conn: sqlite3.Connection, rev: tuple) -> bool:
    """True when `rev` is its note's only revision (a new note)."""
    other = conn.execute(
        "SELECT 1 FROM note_revisions WHERE note_id = ? AND rev_id != ? LIMIT 1", (rev[1], rev[0])
    )
    return other.fetchone() is None


def _sole_head(conn: sqlite3.Connection, rev: tuple, old: tuple | None) -> tuple | None:
    if rev[9]:
        return None  # a tombstone over every head: the note is deleted
    article = conn.execute("SELECT rowid FROM articles WHERE id = ?", (rev[11],)).fetchone()
    if article is None:
        return None
    created = min(old[10], rev[10]) if old else rev[10]
    heads = json.dumps([{"rev": rev[0], "body": rev[8], "hlc": rev[10]}])
    return (rev[1], rev[11], rev[0], heads, rev[3], rev[4], rev[5], rev[6], rev[7], rev[8],
            created, rev[10], 0, article[0])  # fmt: skip


# -- scalar state: read, starred, tags ------------------------------------------------------


def latest_events(conn: sqlite3.Connection, article_id: str) -> dict[str, int]:
    """The winning value of every field of an article's events."""
    latest: dict[str, int] = {}
    for field, value in conn.execute(
        "SELECT field, value FROM events WHERE article_id = ? ORDER BY hlc, event_id",
        (article_id,),
    ):
        latest[field] = value
    return latest


def field_value(conn: sqlite3.Connection, article_id: str, field: str) -> int:
    """The winning value of one field (0 when it has no event): one index look-up."""
    row = conn.execute(
        "SELECT value FROM events WHERE article_id = ?1 AND field = ?2 AND hlc ="
        " (SELECT max(hlc) FROM events WHERE article_id = ?1 AND field = ?2)"
        " ORDER BY event_id DESC LIMIT 1",
        (article_id, field),
    ).fetchone()
    return row[0] if row else 0


def fields_changed(conn: sqlite3.Connection, article_id: str, fields: Iterable[str]) -> None:
    """Bring article_state and the tags up to date for these fields of one article."""
    tags_changed = False
    for field in fields:
        value = field_value(conn, article_id, field)
        if field in ("read", "starred"):
            conn.execute(
                f"UPDATE article_state SET {field} = ? WHERE article_id = ?", (value, article_id)
            )
        elif field.startswith("tag:"):
            tags_changed = True
            if value:
                conn.execute(
                    "INSERT OR IGNORE INTO article_tags (article_id, tag, article)"
                    " SELECT ?, ?, rowid FROM articles WHERE id = ?",
                    (article_id, field[4:], article_id),
                )
            else:
                conn.execute(
                    "DELETE FROM article_tags WHERE article_id = ? AND tag = ?",
                    (article_id, field[4:]),
                )
    if tags_changed:
        tags = [r[0] for r in conn.execute(
            "SELECT tag FROM article_tags WHERE article_id = ? ORDER BY tag", (article_id,)
        )]  # fmt: skip
        _put_tagtext(conn, article_id, tags)


def _put_tagtext(conn: sqlite3.Connection, article_id: str, tags: list[str]) -> None:
    # DELETE then INSERT (not REPLACE) so the FTS triggers see both halves.
    conn.execute("DELETE FROM article_tagtext WHERE article_id = ?", (article_id,))
    if tags:
        conn.execute(
            "INSERT INTO article_tagtext (article_id, tags) VALUES (?, ?)",
            (article_id, " ".join(tags)),
        )


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
    have = [r[0] for r in conn.execute(
        "SELECT tag FROM article_tags WHERE article_id = ? ORDER BY tag", (article_id,)
    )]  # fmt: skip
    if have == tags:
        return
    conn.execute("DELETE FROM article_tags WHERE article_id = ?", (article_id,))
    conn.executemany(
        "INSERT INTO article_tags (article_id, tag, article) VALUES (?, ?, ?)",
        [(article_id, t, article) for t in tags],
    )
    _put_tagtext(conn, article_id, tags)


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
