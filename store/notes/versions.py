"""New versions of an article: a re-imported source whose text changed.

The new text is a new article (ids are content hashes); a fact links the versions, the old
one is hidden, and every note moves to the new version by a revision whose anchor is
re-anchored (store.notes.anchoring) or, when the passage is gone, orphaned: kept with its quote,
never deleted. Tags, read and starred carry over. Everything written here is derived from
its inputs alone (ids and stamps included), so two machines that import the same new
version write the same facts and sync converges.
"""

from __future__ import annotations

import json
import sqlite3

from store.core import state
from store.core.ids import derived_id
from store.core.models import Anchor
from store.notes.anchoring import reanchor

__all__ = ["derived_id", "previous_version", "plan_places", "supersede"]


def previous_version(conn: sqlite3.Connection, source: str, new_id: str) -> str | None:
    """The current article from the same source, if there is one with other text."""
    row = conn.execute(
        "SELECT a.id FROM articles a JOIN article_state s ON s.article = a.key"
        " WHERE a.source = ? AND a.id != ? AND s.superseded_by IS NULL"
        " ORDER BY a.imported_at DESC LIMIT 1",
        (source, new_id),
    ).fetchone()
    return row[0] if row else None


def _key(conn: sqlite3.Connection, article_id: str) -> int:
    return conn.execute("SELECT key FROM articles WHERE id = ?", (article_id,)).fetchone()[0]


def _heads(conn: sqlite3.Connection, key: int) -> list[tuple[str, str]]:
    """(note_id, rev_id) of every live head of the current notes on an article: a note's
    head revision, or each of its heads when it is in conflict."""
    out = []
    for note_id, heads, rev_id in conn.execute(
        "SELECT n.note_id, n.heads, r.rev_id FROM notes n"
        " JOIN note_revisions r ON r.rowid = n.rev WHERE n.article = ?",
        (key,),
    ).fetchall():
        out += [(note_id, h) for h in (json.loads(heads) if heads else [rev_id])]
    return out


Places = dict[str, "tuple[int, int] | None"]  # rev_id -> its place in the new text


def plan_places(conn: sqlite3.Connection, old_id: str, new_text: str) -> Places:
    """Where each current head of old_id's notes sits in new_text (None: orphaned). It only
    reads, and anchoring a long quote takes time: call it before taking the write lock and
    hand the result to `supersede`. A place depends only on the revision and the new text,
    so it stays right whatever is written in between."""
    places: Places = {}
    for _, rev_id in _heads(conn, _key(conn, old_id)):
        row = conn.execute(
            "SELECT pos_start, pos_end, exact, prefix, suffix FROM note_revisions WHERE rev_id = ?",
            (rev_id,),
        ).fetchone()
        if row is not None and row[2] is not None:
            places[rev_id] = reanchor(_anchor(*row), new_text)
    return places


def _anchor(ps: int | None, pe: int | None, exact: str, prefix: str | None,
            suffix: str | None) -> Anchor:  # fmt: skip
    return Anchor(ps if ps is not None else -1, pe if pe is not None else -1, exact,
                  prefix or "", suffix or "")  # fmt: skip


def supersede(
    conn: sqlite3.Connection, old_id: str, new_id: str, stamp: str, device: str,
    places: Places | None = None,
) -> dict[str, int]:  # fmt: skip
    """Link old → new and move notes and state; counts of moved, re-anchored, orphaned.
    `places` (from plan_places on new_id's text) spares re-anchoring under the write lock."""
    old, new = _key(conn, old_id), _key(conn, new_id)
    text = conn.execute("SELECT text FROM articles WHERE key = ?", (new,)).fetchone()[0]
    conn.execute(
        "INSERT OR IGNORE INTO article_versions (old, new, hlc, device) VALUES (?, ?, ?, ?)",
        (old, new, stamp, device),
    )
    counts = {"moved": 0, "reanchored": 0, "orphaned": 0}
    for note_id, rev_id in _heads(conn, old):  # each head moves: a conflict stays a conflict
        _move(conn, note_id, rev_id, (new_id, new), text, counts, places or {})
    for field, value in state.latest_events(conn, old).items():
        event = conn.execute(
            "SELECT hlc, device FROM events WHERE article = ? AND field = ?"
            " ORDER BY hlc DESC, event_id DESC LIMIT 1",
            (old, field),
        ).fetchone()
        conn.execute(
            "INSERT OR IGNORE INTO events (event_id, article, field, value, hlc, device)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (derived_id("event", old_id, new_id, field), new, field, value, *event),
        )
    state.rebuild(conn, [old, new])
    from store.notes.corrections import carry_over  # (it imports this module)

    carry_over(conn, (old_id, old), (new_id, new))  # entity corrections move as notes do
    return counts


def _move(
    conn: sqlite3.Connection, note_id: str, rev: str, new: tuple[str, int], text: str,
    counts: dict, places: Places,
) -> None:  # fmt: skip
    """A revision moving one head to the new version (new: its public id and its key)."""
    ps, pe, exact, prefix, suffix, body, hlc, device = conn.execute(
        "SELECT pos_start, pos_end, exact, prefix, suffix, body, hlc, device"
        " FROM note_revisions WHERE rev_id = ?",
        (rev,),
    ).fetchone()
    place: tuple[int, int] | None = None
    new_anchor: Anchor | None = None
    if exact is not None:
        old = _anchor(ps, pe, exact, prefix, suffix)
        place = places[rev] if rev in places else reanchor(old, text)
        new_anchor = Anchor.from_range(text, *place) if place else old
        counts["reanchored" if place else "orphaned"] += 1
    counts["moved"] += 1
    a = new_anchor
    conn.execute(
        "INSERT OR IGNORE INTO note_revisions (rev_id, note_id, parents, article, pos_start,"
        " pos_end, exact, prefix, suffix, body, deleted, hlc, device)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        (
            derived_id("move", rev, new[0]), note_id, json.dumps([rev]), new[1],
            place[0] if place else None, place[1] if place else None,
            a.exact if a else None, a.prefix if a else None, a.suffix if a else None,
            body, hlc, device,
        ),
    )  # fmt: skip
