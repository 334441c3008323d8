"""Annotations in: gloss JSON and W3C Web Annotation JSON-LD.

Annotations attach to articles already in the library, by content-hash id, then by source
(URL or path). On the same article (same text), gloss JSON facts are inserted as they are:
lossless, and importing twice adds nothing. On another version of the article (other text),
each note is anchored by its quote (store.notes.anchoring) and written with ids derived from the
original, so importing twice still adds nothing; a quote that cannot be found is kept as an
orphan.

A file is untrusted: it is read bounded in bytes and nesting depth, every entry is checked
for shape, types, sizes and stamps (none far ahead of our clock; the reading and checks are
store.notes.exchange_formats), and a bad entry is rejected with its reason while the others
import. The work is planned first, anchors included, with no lock held; the plan is then
written in one short transaction.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.core import entity_index, state
from store.core.errors import GlossError, ImportFailed
from store.core.models import Anchor
from store.core.sanitize import normalise_tag
from store.notes.anchoring import reanchor
from store.notes.annotations import MAX_NOTE_CHARS
from store.notes.exchange_formats import (
    anchor_from,
    correction_row,
    event_row,
    id_field,
    list_field,
    load,
    revision_row,
    short,
    str_field,
    w3c_anchor,
    w3c_items,
)
from store.notes.versions import derived_id

if TYPE_CHECKING:
    import sqlite3

    from store.core.handle import Handle


@dataclass
class AnnotationReport:
    attached: int = 0  # notes (or revisions, or entity corrections) written
    present: int = 0  # already in the library
    orphaned: int = 0  # written, but their quote is not in the article
    missing: list[str] = field(default_factory=list)  # articles not in the library
    rejected: list[str] = field(default_factory=list)  # malformed annotations, with why

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def import_file(h: Handle, path: Path) -> AnnotationReport:
    """Import a gloss JSON or W3C annotation file; ImportFailed if it is neither."""
    data = load(path)
    if isinstance(data, dict) and data.get("format") == "gloss-annotations":
        if data.get("version") != 1:
            raise ImportFailed(f"gloss annotations version {short(data.get('version'))} unknown")
        if not isinstance(data.get("articles"), list):
            raise ImportFailed("'articles' must be a list")
    elif not (items := w3c_items(data)) or not all(isinstance(i, dict) for i in items):
        raise ImportFailed("neither gloss annotations nor W3C Web Annotations")
    seen = _generation(h.conn)
    report = AnnotationReport()
    steps = _plan(h.conn, data, report)  # anchoring takes time: not under the write lock
    with h.write() as conn:
        if _generation(conn) != seen:  # articles came or moved meanwhile: plan again
            report = AnnotationReport()
            steps = _plan(conn, data, report)
        touched, corrected = _apply(h, conn, steps, report)
        state.rebuild(conn, state.keys_of(conn, touched).values())
        if corrected:  # (a correction changes its article's entities)
            entity_index.rebuild_entities(conn, corrected)
    return report


def _generation(conn: sqlite3.Connection) -> tuple[int, int]:
    """What a plan depends on (which articles exist, which are superseded), cheaply."""
    return conn.execute(
        "SELECT (SELECT coalesce(max(key), 0) FROM articles),"
        " (SELECT count(*) FROM article_versions)"
    ).fetchone()


# -- finding the article --------------------------------------------------------------------


def _find(conn: sqlite3.Connection, article_id: object, source: object) -> str | None:
    if isinstance(article_id, str):
        row = conn.execute(
            "SELECT (SELECT id FROM articles WHERE key = s.superseded_by) FROM articles a"
            " JOIN article_state s ON s.article = a.key WHERE a.id = ?",
            (article_id,),
        ).fetchone()
        if row:  # follow a newer version if there is one
            return row[0] or article_id
    if isinstance(source, str) and source:
        row = conn.execute(
            "SELECT a.id FROM articles a JOIN article_state s ON s.article = a.key"
            " WHERE a.source = ? AND s.superseded_by IS NULL ORDER BY a.imported_at DESC",
            (source,),
        ).fetchone()
        if row:
            return row[0]
    return None


def _text(conn: sqlite3.Connection, article_id: str) -> str:
    return conn.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()[0]


def _has_note(conn: sqlite3.Connection, note_id: str) -> bool:
    row = conn.execute("SELECT 1 FROM note_revisions WHERE note_id = ? LIMIT 1", (note_id,))
    return row.fetchone() is not None


# -- planning (reads only) ------------------------------------------------------------------

# ("facts", aid, revisions, events, corrections) | ("note", aid, note_id, body, anchor, place)
# | ("tag", aid, field), where a note's anchor is already the one it gets here (and a
# correction's span, on another version of its article).
Step = tuple


def _plan(conn: sqlite3.Connection, data: Any, report: AnnotationReport) -> list[Step]:
    if isinstance(data, dict) and data.get("format") == "gloss-annotations":
        return _plan_gloss(conn, data["articles"], report)
    return _plan_w3c(conn, w3c_items(data), report)


def _plan_gloss(conn: sqlite3.Connection, articles: list, report: AnnotationReport) -> list:
    steps: list[Step] = []
    for art in articles:
        if not isinstance(art, dict):
            report.rejected.append("an article entry is not an object")
            continue
        local = _find(conn, art.get("id"), art.get("source"))
        if local is None:
            report.missing.append(_str_or(art.get("title")) or _str_or(art.get("id")) or "?")
            continue
        try:
            if local == art.get("id"):
                facts = art.get("facts") or {}
                if not isinstance(facts, dict):
                    raise GlossError("facts must be an object")
                steps.append(_plan_facts(conn, local, facts, report))
            else:
                steps += _plan_elsewhere(conn, local, art, report)
        except GlossError as exc:
            report.rejected.append(f"article {_str_or(art.get('id'))[:32]}: {exc}")
    return steps


def _str_or(value: object) -> str:
    return value[:80] if isinstance(value, str) else ""


def _plan_facts(conn: sqlite3.Connection, aid: str, facts: dict, report: AnnotationReport) -> Step:
    text = _text(conn, aid)
    revisions, events = [], []
    for r in list_field(facts.get("note_revisions"), "note_revisions"):
        try:
            revisions.append(revision_row(r, text))
        except GlossError as exc:
            rid = r.get("rev_id") if isinstance(r, dict) else None
            report.rejected.append(f"revision {_str_or(rid)[:26] or '?'}: {exc}")
    for e in list_field(facts.get("events"), "events"):
        try:
            events.append(event_row(e, aid))
        except GlossError as exc:
            eid = e.get("event_id") if isinstance(e, dict) else None
            report.rejected.append(f"event {_str_or(eid)[:26] or '?'}: {exc}")
    return ("facts", aid, revisions, events, _plan_corrections(facts, aid, text, report))


def _plan_corrections(
    facts: dict, aid: str, text: str, report: AnnotationReport, elsewhere: bool = False
) -> list:
    """The entity corrections of gloss JSON facts as rows, each checked against `text`. For
    another version of the article (`aid` is not the entry's), each is found by its quote
    (the same text, nearest its offsets) and keeps its kind, value and stamp under an id
    derived from its own; one whose quote is not in this version is rejected."""
    rows = []
    for c in list_field(facts.get("entity_corrections"), "entity_corrections"):
        cid = c.get("correction_id") if isinstance(c, dict) else None
        try:
            if not elsewhere:
                rows.append(correction_row(c, text))
                continue
            exact = c.get("exact") if isinstance(c, dict) else None
            start, end = (c.get("pos_start"), c.get("pos_end")) if isinstance(c, dict) else (0, 0)
            if not (isinstance(exact, str) and type(start) is int and type(end) is int):
                raise GlossError("a correction needs its span and quote")
            place = reanchor(Anchor(start, end, exact, "", ""), text)
            if place is None or text[place[0] : place[1]] != exact:
                raise GlossError("its quote is not in this version of the article")
            moved = {**c, "pos_start": place[0], "pos_end": place[1]}
            row = correction_row(moved, text)
            rows.append((derived_id("correction", row[0], aid), *row[1:]))
        except GlossError as exc:
            report.rejected.append(f"correction {_str_or(cid)[:26] or '?'}: {exc}")
    return rows


def _plan_elsewhere(
    conn: sqlite3.Connection, aid: str, art: dict, report: AnnotationReport
) -> list[Step]:
    """Notes of another version of the article: anchor each by its quote."""
    text, steps = _text(conn, aid), []
    for n in list_field(art.get("notes"), "notes"):
        try:
            if not isinstance(n, dict):
                raise GlossError("not an object")
            note_id = id_field(n.get("id"), "id")
            body = str_field(n.get("body") or "", "body", limit=MAX_NOTE_CHARS)
            a = n.get("anchor")
            if a is None and n.get("orphaned_quote"):
                a = {"exact": n["orphaned_quote"]}
            anchor = None if a is None else anchor_from(a)
        except GlossError as exc:
            report.rejected.append(f"note: {exc}")
            continue
        steps += _plan_note(conn, aid, text, derived_id("note", note_id, aid), body, anchor, report)
    for tag in list_field(art.get("tags"), "tags"):
        try:
            steps.append(("tag", aid, f"tag:{normalise_tag(str_field(tag, 'tag', limit=200))}"))
        except GlossError as exc:
            report.rejected.append(f"tag {short(tag)}: {exc}")
    facts = art.get("facts") or {}
    if not isinstance(facts, dict):
        report.rejected.append("corrections: facts must be an object")
    elif moved := _plan_corrections(facts, aid, text, report, elsewhere=True):
        steps.append(("facts", aid, [], [], moved))
    return steps


def _plan_note(
    conn: sqlite3.Connection, aid: str, text: str, note_id: str, body: str,
    anchor: Anchor | None, report: AnnotationReport,
) -> list[Step]:  # fmt: skip
    if anchor is None and not body:
        report.rejected.append("a note on the whole article needs some text")
        return []
    place = None
    if anchor is not None and not _has_note(conn, note_id):  # (present: written as nothing)
        place = reanchor(anchor, text)
        anchor = Anchor.from_range(text, *place) if place else anchor
    return [("note", aid, note_id, body, anchor, place)]


# -- writing the plan -----------------------------------------------------------------------


def _apply(
    h: Handle, conn: sqlite3.Connection, steps: list[Step], report: AnnotationReport
) -> tuple[set[str], set[int]]:
    """Write the planned steps: the ids of the articles they touched, and the keys of those
    given a new entity correction."""
    touched: set[str] = set()
    corrected: set[int] = set()
    keys = state.keys_of(conn, {step[1] for step in steps})  # every one is here: planned so
    for step in steps:
        kind, aid = step[0], step[1]
        touched.add(aid)
        if kind == "facts":
            for row in step[2]:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO note_revisions (rev_id, note_id, parents, article,"
                    " pos_start, pos_end, exact, prefix, suffix, body, deleted, hlc, device)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (row[0], row[1], row[2], keys[aid], *row[3:]),
                )
                report.attached += cur.rowcount
                report.present += 1 - cur.rowcount
            conn.executemany(
                "INSERT OR IGNORE INTO events (event_id, article, field, value, hlc, device)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(e[0], keys[aid], *e[2:]) for e in step[3]],
            )
            if step[4] and not _holds_corrections(conn):
                report.rejected.append(
                    f"{len(step[4])} entity corrections: this library has no table for them"
                    " yet (open it with this gloss to upgrade it)"
                )
                continue
            for row in step[4]:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO entity_corrections (correction_id, article,"
                    " pos_start, pos_end, exact, kind, value, hlc, device)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (row[0], keys[aid], *row[1:]),
                )
                report.attached += cur.rowcount
                report.present += 1 - cur.rowcount
                if cur.rowcount:
                    corrected.add(keys[aid])
        elif kind == "note":
            _write_note(h, conn, keys[aid], *step[2:], report)
        else:
            _tag(h, conn, keys[aid], aid, step[2])
    return touched, corrected


def _holds_corrections(conn: sqlite3.Connection) -> bool:
    return bool(conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entity_corrections'"
    ).fetchone())  # fmt: skip


def _write_note(
    h: Handle, conn: sqlite3.Connection, key: int, note_id: str, body: str,
    anchor: Anchor | None, place: tuple[int, int] | None, report: AnnotationReport,
) -> None:  # fmt: skip
    if _has_note(conn, note_id):
        report.present += 1
        return
    report.orphaned += anchor is not None and place is None
    a = anchor
    conn.execute(
        "INSERT INTO note_revisions (rev_id, note_id, parents, article, pos_start, pos_end,"
        " exact, prefix, suffix, body, deleted, hlc, device)"
        " VALUES (?, ?, '[]', ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        (derived_id("rev", note_id), note_id, key, *(place or (None, None)),
         a.exact if a else None, a.prefix if a else None, a.suffix if a else None, body,
         h.stamp(conn), h.device_id),
    )  # fmt: skip
    report.attached += 1


def _tag(h: Handle, conn: sqlite3.Connection, key: int, aid: str, field_name: str) -> None:
    if state.field_value(conn, key, field_name):
        return
    conn.execute(
        "INSERT OR IGNORE INTO events (event_id, article, field, value, hlc, device)"
        " VALUES (?, ?, ?, 1, ?, ?)",
        (derived_id("tag", aid, field_name), key, field_name, h.stamp(conn), h.device_id),
    )


def _plan_w3c(conn: sqlite3.Connection, items: list, report: AnnotationReport) -> list[Step]:
    steps: list[Step] = []
    texts: dict[str, str] = {}
    for item in items:
        try:
            if item.get("type") != "Annotation":
                raise GlossError("not an Annotation")
            # an annotation without an id is known by its content (as before: ids converge)
            ident = item.get("id")
            ident = (
                str_field(ident, "id") if ident else json.dumps(item, sort_keys=True, default=repr)
            )
            target = item.get("target")
            source = target.get("source") if isinstance(target, dict) else target
            source = str_field(source, "target source", False, limit=4096)
            anchor = w3c_anchor(target)
            bodies = item.get("body") or []
            bodies = [b for b in (bodies if isinstance(bodies, list) else [bodies])
                      if isinstance(b, dict)]  # fmt: skip
            comment = "\n\n".join(
                str_field(b.get("value", ""), "body", limit=MAX_NOTE_CHARS)
                for b in bodies
                if b.get("purpose", "commenting") != "tagging"
            )
            if len(comment) > MAX_NOTE_CHARS:
                raise GlossError("body is too long")
            tags = [f"tag:{normalise_tag(str_field(b.get('value', ''), 'tag', limit=200))}"
                    for b in bodies if b.get("purpose") == "tagging"]  # fmt: skip
        except GlossError as exc:
            report.rejected.append(f"annotation: {exc}")
            continue
        m = re.fullmatch(r"urn:gloss:article:([0-9a-f]{32})", source)
        aid = _find(conn, m.group(1) if m else None, None if m else source)
        if aid is None:
            report.missing.append(source[:200])
            continue
        note = re.fullmatch(r"urn:gloss:note:([0-9A-Z]{26})", ident)  # our own export
        note_id = note.group(1) if note else derived_id("note", derived_id("w3c", ident), aid)
        if aid not in texts:
            texts[aid] = _text(conn, aid)
        steps += _plan_note(conn, aid, texts[aid], note_id, comment, anchor, report)
        steps += [("tag", aid, t) for t in tags]
    return steps
