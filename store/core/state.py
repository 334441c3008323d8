"""Derived state: kept current from the facts, note by note and field by field.

Every function here keys an article by its local integer `key` (articles.key); the public
32-hex id is looked up once, by the caller, with `key_of`.

Current notes are the live heads of each note's revision graph; a notes row names its head
revision by rowid (`rev`) and keeps only what the revisions alone cannot say (created,
conflict, the live heads on conflict): body, quote and anchor are read from note_revisions.
Read, starred and tag membership are the latest event per (article, field), ordered by
(hlc, event_id) so every machine picks the same winner.

A local write updates only what it changed: `note_revised` the one note (its row, its FTS
row through the triggers, its article's counts), `fields_changed` the fields it set. A
merge or an import, which can touch anything, calls `rebuild` for the articles it touched;
that rebuild writes only the rows that differ from what it computes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

# A notes row as stored: (rev, note_id, article, created, conflict, heads)
NOTE_ROW = "rev, note_id, article, created, conflict, heads"
# A revision as read here; indexes used below: 0 rowid, 1 rev_id, 2 note_id, 3 parents,
# 4 body, 5 deleted, 6 hlc, 7 article
_REV_COLUMNS = "rowid, rev_id, note_id, parents, body, deleted, hlc, article"


def key_of(conn: sqlite3.Connection, article_id: str) -> int | None:
    """The local integer key of the article with this public id, or None."""
    row = conn.execute("SELECT key FROM articles WHERE id = ?", (article_id,)).fetchone()
    return row[0] if row else None


def keys_of(conn: sqlite3.Connection, article_ids: Iterable[str]) -> dict[str, int]:
    """{public id: key} for those of these ids this library holds (in chunks of 500)."""
    ids = list(dict.fromkeys(article_ids))
    out: dict[str, int] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        out.update(
            conn.execute(
                f"SELECT id, key FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
        )
    return out


def rebuild(conn: sqlite3.Connection, keys: Iterable[int]) -> None:
    """Recompute notes, article_state and article_tags for these articles (by key, inside a
    txn), and for every article sharing a note with them (a note moves with a new version).
    Keys of articles this library does not hold are ignored."""
    superseded: dict[int, bool] = {}
    for key in _with_note_neighbours(conn, list(dict.fromkeys(keys))):
        if conn.execute("SELECT 1 FROM articles WHERE key = ?", (key,)).fetchone() is None:
            continue  # facts about an article this library does not hold
        _rebuild_notes(conn, key, superseded)
        _rebuild_events(conn, key)


def _with_note_neighbours(conn: sqlite3.Connection, keys: list[int]) -> list[int]:
    out = dict.fromkeys(keys)
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for (other,) in conn.execute(
            "SELECT DISTINCT r.article FROM note_revisions r WHERE r.note_id IN"
            f" (SELECT note_id FROM note_revisions WHERE article IN ({marks}))",
            chunk,
        ):
            out.setdefault(other)
    return list(out)


def _note_row(
    conn: sqlite3.Connection, note_id: str, revs: list[tuple], superseded: dict[int, bool]
) -> tuple | None:
    """The notes row of one note from all its revisions (ordered by hlc, rev_id); None when
    it is deleted (every head a tombstone) or its article is not in this library."""
    replaced = {p for r in revs for p in json.loads(r[3])}
    live = [r for r in revs if r[1] not in replaced and not r[5]]
    if not live:
        return None
    # A note lives on the newest version of its article among its heads' articles.
    current = [r for r in live if not _is_superseded(conn, r[7], superseded)] or live
    head = max(current, key=lambda r: (r[6], r[1]))
    if conn.execute("SELECT 1 FROM articles WHERE key = ?", (head[7],)).fetchone() is None:
        return None
    conflict = len(live) > 1
    # compact JSON, as SQLite's json_group_array writes it (the migration's rows)
    heads = json.dumps([r[1] for r in live], separators=(",", ":")) if conflict else None
    return (head[0], note_id, head[7], revs[0][6], int(conflict), heads)


def _is_superseded(conn: sqlite3.Connection, key: int, cache: dict[int, bool]) -> bool:
    if key not in cache:
        row = conn.execute(
            "SELECT 1 FROM article_versions WHERE old = ? LIMIT 1", (key,)
        ).fetchone()
        cache[key] = row is not None
    return cache[key]


def _rebuild_notes(conn: sqlite3.Connection, key: int, superseded: dict[int, bool]) -> None:
    rows = conn.execute(
        f"SELECT {_REV_COLUMNS} FROM note_revisions WHERE note_id IN"
        " (SELECT note_id FROM note_revisions WHERE article = ?) ORDER BY hlc, rev_id",
        (key,),
    ).fetchall()
    by_note: dict[str, list[tuple]] = {}
    for row in rows:
        by_note.setdefault(row[2], []).append(row)
    want = {}
    for note_id, revs in by_note.items():
        row = _note_row(conn, note_id, revs, superseded)
        if row is not None and row[2] == key:  # (else: it is on another version)
            want[note_id] = row
    have = {
        r[1]: tuple(r)
        for r in conn.execute(f"SELECT {NOTE_ROW} FROM notes WHERE article = ?", (key,))
    }
    # Only rows that change are written: each write also updates the notes' FTS index.
    conn.executemany(
        "DELETE FROM notes WHERE note_id = ?", [(n,) for n in have.keys() - want.keys()]
    )
    for note_id, row in want.items():
        if have.get(note_id) != row:
            _put_note(conn, note_id, row)


def _put_note(conn: sqlite3.Connection, note_id: str, row: tuple | None) -> None:
    # DELETE then INSERT (never UPDATE or REPLACE) so the FTS triggers see both halves; the
    # row may sit on an older version of the article (a merge brought the move).
    conn.execute("DELETE FROM notes WHERE note_id = ?", (note_id,))
    if row is not None:
        conn.execute(f"INSERT INTO notes ({NOTE_ROW}) VALUES (?, ?, ?, ?, ?, ?)", row)


def _kind(conn: sqlite3.Connection, rev: int) -> str:
    body = conn.execute("SELECT body FROM note_revisions WHERE rowid = ?", (rev,)).fetchone()
    return "notes" if body and body[0] else "highlights"


def note_revised(conn: sqlite3.Connection, note_id: str, rev_id: str) -> None:
    """Bring one note's row up to date after revision `rev_id` (its public id) was written
    (inside the write's transaction). A revision that supersedes every current head (any
    local edit) is the only head: no other revision need be read."""
    old = conn.execute(f"SELECT {NOTE_ROW} FROM notes WHERE note_id = ?", (note_id,)).fetchone()
    old = tuple(old) if old else None
    rev = conn.execute(
        f"SELECT {_REV_COLUMNS} FROM note_revisions WHERE rev_id = ?", (rev_id,)
    ).fetchone()
    parents = sorted(json.loads(rev[3]))
    heads = _heads(conn, old) if old else []
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
    counts = [(row, _kind(conn, row[0]), sign) for row, sign in ((old, -1), (new, 1)) if row]
    _put_note(conn, note_id, new)
    for row, kind, sign in counts:
        conn.execute(
            f"UPDATE article_state SET {kind} = {kind} + ? WHERE article = ?", (sign, row[2])
        )


def _heads(conn: sqlite3.Connection, row: tuple) -> list[str]:
    """The rev_ids of a notes row's live heads, sorted."""
    if row[5]:
        return sorted(json.loads(row[5]))
    head = conn.execute("SELECT rev_id FROM note_revisions WHERE rowid = ?", (row[0],))
    return [head.fetchone()[0]]


def _only(conn: sqlite3.Connection, rev: tuple) -> bool:
    """True when `rev` is its note's only revision (a new note)."""
    other = conn.execute(
        "SELECT 1 FROM note_revisions WHERE note_id = ? AND rev_id != ? LIMIT 1", (rev[2], rev[1])
    )
    return other.fetchone() is None


def _sole_head(conn: sqlite3.Connection, rev: tuple, old: tuple | None) -> tuple | None:
    if rev[5]:
        return None  # a tombstone over every head: the note is deleted
    if conn.execute("SELECT 1 FROM articles WHERE key = ?", (rev[7],)).fetchone() is None:
        return None
    created = min(old[3], rev[6]) if old else rev[6]
    return (rev[0], rev[2], rev[7], created, 0, None)


# -- scalar state: read, starred, tags ------------------------------------------------------


def latest_events(conn: sqlite3.Connection, key: int) -> dict[str, int]:
    """The winning value of every field of an article's events (by article key)."""
    latest: dict[str, int] = {}
    for field, value in conn.execute(
        "SELECT field, value FROM events WHERE article = ? ORDER BY hlc, event_id", (key,)
    ):
        latest[field] = value
    return latest


def field_value(conn: sqlite3.Connection, key: int, field: str) -> int:
    """The winning value of one field of an article (by key; 0 when it has no event): one
    index look-up."""
    row = conn.execute(
        "SELECT value FROM events WHERE article = ?1 AND field = ?2 AND hlc ="
        " (SELECT max(hlc) FROM events WHERE article = ?1 AND field = ?2)"
        " ORDER BY event_id DESC LIMIT 1",
        (key, field),
    ).fetchone()
    return row[0] if row else 0


def fields_changed(conn: sqlite3.Connection, key: int, fields: Iterable[str]) -> None:
    """Bring article_state and the tags up to date for these fields of one article (by key).
    The tag FTS row follows through article_tags' triggers."""
    for field in fields:
        value = field_value(conn, key, field)
        if field in ("read", "starred"):
            conn.execute(f"UPDATE article_state SET {field} = ? WHERE article = ?", (value, key))
        elif field.startswith("tag:"):
            if value:
                conn.execute(
                    "INSERT OR IGNORE INTO article_tags (article, tag) VALUES (?, ?)",
                    (key, field[4:]),
                )
            else:
                conn.execute(
                    "DELETE FROM article_tags WHERE article = ? AND tag = ?", (key, field[4:])
                )


def _rebuild_events(conn: sqlite3.Connection, key: int) -> None:
    latest = latest_events(conn, key)
    counts = conn.execute(
        "SELECT count(*) FILTER (WHERE r.body != ''), count(*) FILTER (WHERE r.body = '')"
        " FROM notes n JOIN note_revisions r ON r.rowid = n.rev WHERE n.article = ?",
        (key,),
    ).fetchone()
    newer = conn.execute(
        "SELECT new FROM article_versions v JOIN articles a ON a.key = v.new WHERE v.old = ?"
        " ORDER BY v.hlc DESC, a.id DESC LIMIT 1",
        (key,),
    ).fetchone()
    # An upsert, not REPLACE: `labels` belongs to entity_index.rebuild_entities.
    conn.execute(
        "INSERT INTO article_state (article, read, starred, notes, highlights, superseded_by)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (article) DO UPDATE SET read = excluded.read,"
        " starred = excluded.starred, notes = excluded.notes,"
        " highlights = excluded.highlights, superseded_by = excluded.superseded_by",
        (key, latest.get("read", 0), latest.get("starred", 0), *counts,
         newer[0] if newer else None),
    )  # fmt: skip
    tags = {f[4:] for f, v in latest.items() if f.startswith("tag:") and v}
    have = {r[0] for r in conn.execute("SELECT tag FROM article_tags WHERE article = ?", (key,))}
    # Row by row (never REPLACE): the triggers keep the tag FTS row.
    conn.executemany(
        "DELETE FROM article_tags WHERE article = ? AND tag = ?", [(key, t) for t in have - tags]
    )
    conn.executemany(
        "INSERT INTO article_tags (article, tag) VALUES (?, ?)",
        [(key, t) for t in sorted(tags - have)],
    )


COUNT_NAMES = ("articles", "unread", "starred", "notes", "highlights", "annotated")


def recount(conn: sqlite3.Connection) -> None:
    """Compute `counts` and `tag_counts` from the state tables, whole (inside a txn). The
    triggers keep them after that; this is for a library built in bulk (the migration, a
    generated bench library) and for checking them."""
    row = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE read = 0), count(*) FILTER (WHERE starred != 0),"
        " coalesce(sum(notes), 0), coalesce(sum(highlights), 0),"
        " count(*) FILTER (WHERE notes > 0 OR highlights > 0)"
        " FROM article_state WHERE superseded_by IS NULL"
    ).fetchone()
    conn.execute("DELETE FROM counts")
    conn.executemany(
        "INSERT INTO counts (name, n) VALUES (?, ?)", zip(COUNT_NAMES, row, strict=True)
    )
    conn.execute("DELETE FROM tag_counts")
    conn.execute(
        "INSERT INTO tag_counts (tag, n) SELECT tag, count(*) FROM article_tags WHERE article"
        " NOT IN (SELECT article FROM article_state WHERE superseded_by IS NOT NULL)"
        " GROUP BY tag"
    )
