"""Notes, highlights, tags, read and starred: every edit is a new fact with a clock stamp."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence

from store.core import state
from store.core.errors import InvalidInput, NotFound
from store.core.handle import Handle
from store.core.ids import new_id
from store.core.models import Anchor, Filter, Note
from store.core.sanitize import clean, normalise_tag
from store.find import reading

MAX_NOTE_CHARS = 100_000


def _body(text: str) -> str:
    body = clean(text).strip()
    if len(body) > MAX_NOTE_CHARS:
        raise InvalidInput(f"note too long ({len(body):,} characters; the limit is 100,000)")
    return body


# -- notes and highlights -----------------------------------------------------------------


def find_quote(h: Handle, article_id: str, quote: str) -> tuple[int, int]:
    """Where a passage sits in the article: exact match first, then ignoring case and
    whitespace differences. InvalidInput if it is not there."""
    text = reading.article_text(h, article_id)
    quote = " ".join(clean(quote).split())
    if not quote:
        raise InvalidInput("the quote is empty")
    at = text.find(quote)
    if at >= 0:
        return at, at + len(quote)
    pattern = r"\s+".join(re.escape(w) for w in quote.split())
    m = re.search(pattern, text, re.IGNORECASE)
    if m is None:
        raise InvalidInput("the quote is not in the article")
    return m.start(), m.end()


def add_note(
    h: Handle, article_id: str, body: str, start: int | None = None, end: int | None = None
) -> Note:
    """A note on text[start:end], or on the whole article when no range is given.
    An anchored note with an empty body is a highlight."""
    body = _body(body)
    text = reading.article_text(h, article_id)
    anchor = None
    if start is not None or end is not None:
        if start is None or end is None or not 0 <= start < end <= len(text):
            raise InvalidInput(f"passage {start}..{end} is outside the article")
        anchor = Anchor.from_range(text, start, end)
    elif not body:
        raise InvalidInput("a note on the whole article needs some text")
    note_id = new_id()
    _revise(h, article_id, note_id, [], anchor, body, deleted=False)
    return reading.note(h, note_id)


def highlight(h: Handle, article_id: str, start: int, end: int) -> Note:
    """Highlight text[start:end] (a note without a body)."""
    return add_note(h, article_id, "", start, end)


def edit_note(h: Handle, note_id: str, body: str) -> Note:
    """A new revision superseding every current head (this also resolves a conflict)."""
    current = reading.note(h, note_id)
    body = _body(body)
    if not body and current.anchor is None and current.orphan is None:
        raise InvalidInput("a note on the whole article needs some text")
    _revise(h, current.article_id, note_id, _heads(h, note_id),
                 current.anchor or current.orphan, body, deleted=False)  # fmt: skip
    return reading.note(h, note_id)


def delete_note(h: Handle, note_id: str) -> None:
    """A tombstone revision; the note's history stays in the facts."""
    current = reading.note(h, note_id)
    _revise(h, current.article_id, note_id, _heads(h, note_id),
                 current.anchor or current.orphan, current.body, deleted=True)  # fmt: skip


def restore_note(h: Handle, note_id: str) -> Note:
    """Bring a deleted note back (an undo): a new revision over its tombstones with the body
    and passage it had, so it syncs like any edit. A note not deleted is returned as it is."""
    try:
        return reading.note(h, note_id)
    except NotFound:
        pass
    revs = h.conn.execute(
        "SELECT r.rev_id, r.parents, a.id, r.pos_start, r.pos_end, r.exact, r.prefix,"
        " r.suffix, r.body FROM note_revisions r JOIN articles a ON a.key = r.article"
        " WHERE r.note_id = ? ORDER BY r.hlc, r.rev_id",
        (note_id,),
    ).fetchall()
    replaced = {p for r in revs for p in json.loads(r[1])}
    heads = [r for r in revs if r[0] not in replaced]
    if not heads:
        raise NotFound(f"no note with id {note_id!r}")
    _, _, article_id, start, end, exact, prefix, suffix, body = heads[-1]
    anchor = None
    if exact is not None:  # (an orphan's passage has no place: start -1)
        placed = start is not None and end is not None
        anchor = Anchor(start if placed else -1, end if placed else -1, exact,
                        prefix or "", suffix or "")  # fmt: skip
    _revise(h, article_id, note_id, [r[0] for r in heads], anchor, body, deleted=False)
    return reading.note(h, note_id)


def _heads(h: Handle, note_id: str) -> list[str]:
    """The rev_ids of a note's live heads: its head, or each head of a conflict."""
    row = h.conn.execute(
        "SELECT n.heads, r.rev_id FROM notes n JOIN note_revisions r ON r.rowid = n.rev"
        " WHERE n.note_id = ?",
        (note_id,),
    ).fetchone()
    if row is None:
        return []
    return json.loads(row[0]) if row[0] else [row[1]]


def _revise(
    h: Handle,
    article_id: str,
    note_id: str,
    parents: list[str],
    anchor: Anchor | None,
    body: str,
    deleted: bool,
) -> None:
    rev_id = new_id()
    with h.write() as conn:
        key = _key(conn, article_id)
        a = anchor
        placed = a is not None and a.start >= 0  # an orphan keeps its quote, not a place
        conn.execute(
            "INSERT INTO note_revisions (rev_id, note_id, parents, article, pos_start,"
            " pos_end, exact, prefix, suffix, body, deleted, hlc, device)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rev_id, note_id, json.dumps(sorted(parents)), key,
                a.start if placed else None, a.end if placed else None,  # type: ignore[union-attr]
                a.exact if a else None,
                a.prefix if a else None, a.suffix if a else None, body, int(deleted),
                h.stamp(conn), h.device_id,
            ),
        )  # fmt: skip
        state.note_revised(conn, note_id, rev_id)  # this note only, not the article


# -- scalar state: read, starred, tags -----------------------------------------------------


def _key(conn: sqlite3.Connection, article_id: str) -> int:
    key = state.key_of(conn, article_id)
    if key is None:
        raise NotFound(f"no article with id {article_id!r}")
    return key


def _set(h: Handle, article_id: str, changes: dict[str, int]) -> None:
    _key(h.conn, article_id)
    with h.write() as conn:
        key = _key(conn, article_id)
        changed = []
        for field, value in changes.items():
            if state.field_value(conn, key, field) == value:
                continue  # no event for a change that changes nothing
            conn.execute(
                "INSERT INTO events (event_id, article, field, value, hlc, device)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (new_id(), key, field, value, h.stamp(conn), h.device_id),
            )
            changed.append(field)
        state.fields_changed(conn, key, changed)  # these fields only


def set_read(h: Handle, article_id: str, read: bool = True) -> None:
    _set(h, article_id, {"read": int(read)})


def set_read_many(
    h: Handle, f: Filter | None = None, ids: Sequence[str] | None = None, read: bool = True
) -> list[str]:
    """Mark every article the filter takes (or these ids) read, or unread, in one
    transaction: one event for each article whose state changes. The ids of those."""
    value = int(read)
    with h.write() as conn:
        if ids is None:
            where, args = reading.filter_sql(f or Filter())
            rows = conn.execute(
                "SELECT a.id, a.key FROM articles a JOIN article_state s ON s.article = a.key"
                f"{where} AND s.read != ? ORDER BY a.imported_at DESC, a.key DESC",
                [*args, value],
            ).fetchall()
        else:
            keys = state.keys_of(conn, ids)
            rows = [(i, keys[i]) for i in dict.fromkeys(ids) if i in keys
                    and state.field_value(conn, keys[i], "read") != value]  # fmt: skip
        for _, key in rows:
            conn.execute(
                "INSERT INTO events (event_id, article, field, value, hlc, device)"
                " VALUES (?, ?, 'read', ?, ?, ?)",
                (new_id(), key, value, h.stamp(conn), h.device_id),
            )
            state.fields_changed(conn, key, ["read"])
    return [article_id for article_id, _ in rows]


def set_starred(h: Handle, article_id: str, starred: bool = True) -> None:
    _set(h, article_id, {"starred": int(starred)})


def tag(
    h: Handle,
    article_id: str,
    add: list[str] | tuple[str, ...] = (),
    remove: list[str] | tuple[str, ...] = (),
) -> tuple[str, ...]:
    """Add and remove tags (normalised; nested with '/'); returns the article's tags."""
    changes = {f"tag:{normalise_tag(t)}": 0 for t in remove}
    changes.update({f"tag:{normalise_tag(t)}": 1 for t in add})
    _set(h, article_id, changes)
    rows = h.conn.execute(
        "SELECT tag FROM article_tags WHERE article = (SELECT key FROM articles WHERE id = ?)"
        " ORDER BY tag",
        (article_id,),
    )
    return tuple(r[0] for r in rows)
