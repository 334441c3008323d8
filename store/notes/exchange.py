"""Annotations in: gloss JSON and W3C Web Annotation JSON-LD.

Annotations attach to articles already in the library, by content-hash id, then by source
(URL or path). On the same article (same text), gloss JSON facts are inserted as they are:
lossless, and importing twice adds nothing. On another version of the article (other text),
each note is anchored by its quote (store.notes.anchoring) and written with ids derived from the
original, so importing twice still adds nothing; a quote that cannot be found is kept as an
orphan.

A file is untrusted: it is read bounded in bytes and nesting depth, every entry is checked
for shape, types, sizes and stamps (none far ahead of our clock), and a bad entry is
rejected with its reason while the others import. The work is planned first, anchors
included, with no lock held; the plan is then written in one short transaction.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.core import hlc, state
from store.core.errors import GlossError, ImportFailed
from store.core.files import read_bounded
from store.core.models import Anchor
from store.core.sanitize import MAX_TEXT_CHARS, clean, decode, normalise_tag
from store.notes.anchoring import reanchor
from store.notes.annotations import MAX_NOTE_CHARS
from store.notes.versions import derived_id

if TYPE_CHECKING:
    import sqlite3

    from store.core.handle import Handle

MAX_DEPTH = 64  # gloss JSON nests 5 deep, W3C about 6
MAX_ID_CHARS = 64
MAX_PARENTS = 256
MAX_CONTEXT_CHARS = 1000  # a quote's prefix or suffix (gloss writes 32)


@dataclass
class AnnotationReport:
    attached: int = 0  # notes (or revisions) written
    present: int = 0  # already in the library
    orphaned: int = 0  # written, but their quote is not in the article
    missing: list[str] = field(default_factory=list)  # articles not in the library
    rejected: list[str] = field(default_factory=list)  # malformed annotations, with why

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# -- reading the file -----------------------------------------------------------------------


class _NotANumber:
    """What NaN, Infinity and over-long integers parse to: no check accepts it."""

    def __repr__(self) -> str:
        return "a number JSON does not allow"


_NAN = _NotANumber()
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _read(path: Path) -> bytes:
    """The file's bytes: a regular file only (never a FIFO or a device), at most the limit,
    read as every imported file is (store.core.files.read_bounded)."""
    try:
        return read_bounded(path)
    except ImportFailed as exc:
        if str(exc).startswith("not a regular file"):
            raise ImportFailed(f"{path} is not a regular file") from None
        raise ImportFailed(f"cannot read {path}: {exc}") from None


def _depth(text: str) -> int:
    """How deep the brackets nest, outside strings (a few passes in C, no recursion)."""
    skeleton = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, skeleton)), default=0)


def load(path: Path) -> Any:
    text = decode(_read(path), path.name)
    if _depth(text) > MAX_DEPTH:
        raise ImportFailed(f"nested more than {MAX_DEPTH} levels deep")
    try:
        data = json.loads(
            text,
            parse_constant=lambda _: _NAN,
            parse_int=lambda s: int(s) if len(s) <= 20 else _NAN,
        )
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"not JSON (line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
        raise ImportFailed(f"not JSON ({type(exc).__name__})") from None
    # JSON may write a lone surrogate (\ud800), which no UTF-8 text can hold and SQLite
    # refuses to store: a file holding one is refused whole, before any entry is read.
    if _SURROGATE.search(text) and _holds_surrogate(data):
        raise ImportFailed("holds an unpaired surrogate (\\ud800-\\udfff), not text")
    return data


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _holds_surrogate(data: Any) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= c <= "\udfff" for c in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def import_file(h: Handle, path: Path) -> AnnotationReport:
    """Import a gloss JSON or W3C annotation file; ImportFailed if it is neither."""
    data = load(path)
    if isinstance(data, dict) and data.get("format") == "gloss-annotations":
        if data.get("version") != 1:
            raise ImportFailed(f"gloss annotations version {_short(data.get('version'))} unknown")
        if not isinstance(data.get("articles"), list):
            raise ImportFailed("'articles' must be a list")
    elif not (items := _w3c_items(data)) or not all(isinstance(i, dict) for i in items):
        raise ImportFailed("neither gloss annotations nor W3C Web Annotations")
    seen = _generation(h.conn)
    report = AnnotationReport()
    steps = _plan(h.conn, data, report)  # anchoring takes time: not under the write lock
    with h.write() as conn:
        if _generation(conn) != seen:  # articles came or moved meanwhile: plan again
            report = AnnotationReport()
            steps = _plan(conn, data, report)
        state.rebuild(conn, state.keys_of(conn, _apply(h, conn, steps, report)).values())
    return report


def _generation(conn: sqlite3.Connection) -> tuple[int, int]:
    """What a plan depends on (which articles exist, which are superseded), cheaply."""
    return conn.execute(
        "SELECT (SELECT coalesce(max(key), 0) FROM articles),"
        " (SELECT count(*) FROM article_versions)"
    ).fetchone()


# -- checks ---------------------------------------------------------------------------------


def _short(value: object) -> str:
    return repr(value)[:40]


def _str(value: object, what: str, allow_empty: bool = True, limit: int = MAX_TEXT_CHARS) -> str:
    if not isinstance(value, str) or (not allow_empty and not value):
        raise GlossError(f"{what} must be a string")
    if len(value) > limit:
        raise GlossError(f"{what} is too long ({len(value):,} characters; the limit is {limit:,})")
    if clean(value) != value:
        raise GlossError(f"{what} holds control characters")
    return value


def _id(value: object, what: str) -> str:
    return _str(value, what, allow_empty=False, limit=MAX_ID_CHARS)


def _int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise GlossError(f"{what} must be a whole number, not {_short(value)}")
    return value


def _list(value: object, what: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise GlossError(f"{what} must be a list")
    return value


def _stamp(value: object, what: str) -> str:
    stamp = _str(value, what, allow_empty=False, limit=MAX_ID_CHARS + 20)
    try:
        ahead = hlc.too_far_ahead(stamp)
    except ValueError:
        raise GlossError(f"{what} {_short(stamp)} is not a clock stamp") from None
    if ahead:
        raise GlossError(f"{what} {stamp[:13]} is more than a day ahead of this machine's clock")
    return stamp


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

# ("facts", aid, revisions, events) | ("note", aid, note_id, body, anchor, place)
# | ("tag", aid, field), where a note's anchor is already the one it gets here.
Step = tuple


def _plan(conn: sqlite3.Connection, data: Any, report: AnnotationReport) -> list[Step]:
    if isinstance(data, dict) and data.get("format") == "gloss-annotations":
        return _plan_gloss(conn, data["articles"], report)
    return _plan_w3c(conn, _w3c_items(data), report)


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
    for r in _list(facts.get("note_revisions"), "note_revisions"):
        try:
            revisions.append(_revision(r, text))
        except GlossError as exc:
            rid = r.get("rev_id") if isinstance(r, dict) else None
            report.rejected.append(f"revision {_str_or(rid)[:26] or '?'}: {exc}")
    for e in _list(facts.get("events"), "events"):
        try:
            events.append(_event(e, aid))
        except GlossError as exc:
            eid = e.get("event_id") if isinstance(e, dict) else None
            report.rejected.append(f"event {_str_or(eid)[:26] or '?'}: {exc}")
    return ("facts", aid, revisions, events)


def _event(e: object, aid: str) -> tuple:
    if not isinstance(e, dict):
        raise GlossError("not an object")
    field_name = _str(e.get("field"), "field", False, limit=200)
    if field_name.startswith("tag:"):
        normalise_tag(field_name[4:])
    elif field_name not in ("read", "starred"):
        raise GlossError(f"unknown field {field_name[:40]!r}")
    value = e.get("value")
    value = _int(value, "value") if not isinstance(value, bool) else int(value)
    return (_id(e.get("event_id"), "event_id"), aid, field_name, 1 if value else 0,
            _stamp(e.get("hlc"), "hlc"), _id(e.get("device"), "device"))  # fmt: skip


def _revision(r: object, text: str) -> tuple:
    if not isinstance(r, dict):
        raise GlossError("not an object")
    rev_id = _id(r.get("rev_id"), "rev_id")
    parents = [_id(p, "a parent") for p in _list(r.get("parents"), "parents")]
    if len(parents) > MAX_PARENTS or rev_id in parents:
        raise GlossError("parents must be other revisions")
    ps, pe = r.get("pos_start"), r.get("pos_end")
    exact = None if r.get("exact") is None else _str(r.get("exact"), "exact")
    if ps is not None or pe is not None:
        ps, pe = _int(ps, "pos_start"), _int(pe, "pos_end")
        if not 0 <= ps < pe <= len(text):
            raise GlossError("passage outside the article")
        if text[ps:pe] != exact:
            raise GlossError("quote does not match the article text")
    deleted = r.get("deleted")
    if deleted is not None and not isinstance(deleted, (bool, int)):
        raise GlossError("deleted must be true or false")
    opt = [
        None if r.get(k) is None else _str(r.get(k), k, limit=MAX_CONTEXT_CHARS)
        for k in ("prefix", "suffix")
    ]
    return (
        rev_id, _id(r.get("note_id"), "note_id"), json.dumps(sorted(parents)), ps, pe, exact,
        *opt, _str(r.get("body"), "body", limit=MAX_NOTE_CHARS), 1 if deleted else 0,
        _stamp(r.get("hlc"), "hlc"), _id(r.get("device"), "device"),
    )  # fmt: skip


def _anchor(a: object) -> Anchor:
    if not isinstance(a, dict):
        raise GlossError("anchor must be an object")
    start, end = a.get("start", -1), a.get("end", -1)
    return Anchor(
        _int(start, "start"), _int(end, "end"), _str(a.get("exact"), "exact", False),
        _str(a.get("prefix") or "", "prefix", limit=MAX_CONTEXT_CHARS),
        _str(a.get("suffix") or "", "suffix", limit=MAX_CONTEXT_CHARS),
    )  # fmt: skip


def _plan_elsewhere(
    conn: sqlite3.Connection, aid: str, art: dict, report: AnnotationReport
) -> list[Step]:
    """Notes of another version of the article: anchor each by its quote."""
    text, steps = _text(conn, aid), []
    for n in _list(art.get("notes"), "notes"):
        try:
            if not isinstance(n, dict):
                raise GlossError("not an object")
            note_id = _id(n.get("id"), "id")
            body = _str(n.get("body") or "", "body", limit=MAX_NOTE_CHARS)
            a = n.get("anchor")
            if a is None and n.get("orphaned_quote"):
                a = {"exact": n["orphaned_quote"]}
            anchor = None if a is None else _anchor(a)
        except GlossError as exc:
            report.rejected.append(f"note: {exc}")
            continue
        steps += _plan_note(conn, aid, text, derived_id("note", note_id, aid), body, anchor, report)
    for tag in _list(art.get("tags"), "tags"):
        try:
            steps.append(("tag", aid, f"tag:{normalise_tag(_str(tag, 'tag', limit=200))}"))
        except GlossError as exc:
            report.rejected.append(f"tag {_short(tag)}: {exc}")
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
) -> set[str]:
    """Write the planned steps; the ids of the articles they touched."""
    touched: set[str] = set()
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
        elif kind == "note":
            _write_note(h, conn, keys[aid], *step[2:], report)
        else:
            _tag(h, conn, keys[aid], aid, step[2])
    return touched


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


# -- W3C Web Annotation ---------------------------------------------------------------------


def _w3c_items(data: Any) -> list:
    if isinstance(data, dict):
        kind = data.get("type")
        if kind == "Annotation":
            return [data]
        if kind == "AnnotationCollection":
            first = data.get("first")
            data = first.get("items") if isinstance(first, dict) else None
        elif kind == "AnnotationPage":
            data = data.get("items")
    return data if isinstance(data, list) else []


def _plan_w3c(conn: sqlite3.Connection, items: list, report: AnnotationReport) -> list[Step]:
    steps: list[Step] = []
    texts: dict[str, str] = {}
    for item in items:
        try:
            if item.get("type") != "Annotation":
                raise GlossError("not an Annotation")
            # an annotation without an id is known by its content (as before: ids converge)
            ident = item.get("id")
            ident = _str(ident, "id") if ident else json.dumps(item, sort_keys=True, default=repr)
            target = item.get("target")
            source = target.get("source") if isinstance(target, dict) else target
            source = _str(source, "target source", False, limit=4096)
            anchor = _w3c_anchor(target)
            bodies = item.get("body") or []
            bodies = [b for b in (bodies if isinstance(bodies, list) else [bodies])
                      if isinstance(b, dict)]  # fmt: skip
            comment = "\n\n".join(
                _str(b.get("value", ""), "body", limit=MAX_NOTE_CHARS)
                for b in bodies
                if b.get("purpose", "commenting") != "tagging"
            )
            if len(comment) > MAX_NOTE_CHARS:
                raise GlossError("body is too long")
            tags = [f"tag:{normalise_tag(_str(b.get('value', ''), 'tag', limit=200))}"
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


def _w3c_anchor(target: Any) -> Anchor | None:
    if not isinstance(target, dict):
        return None
    selectors = target.get("selector") or []
    kinds = {s.get("type"): s for s in reversed(selectors if isinstance(selectors, list)
             else [selectors]) if isinstance(s, dict)}  # fmt: skip
    quote, pos = kinds.get("TextQuoteSelector"), kinds.get("TextPositionSelector")
    if quote is None and pos is not None:
        raise GlossError("a TextPositionSelector without a TextQuoteSelector cannot be anchored")
    if quote is None:
        return None
    return _anchor({
        "start": pos.get("start") if pos else -1, "end": pos.get("end") if pos else -1,
        "exact": quote.get("exact"), "prefix": quote.get("prefix"), "suffix": quote.get("suffix"),
    })  # fmt: skip
