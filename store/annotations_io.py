"""Annotations in: gloss JSON and W3C Web Annotation JSON-LD.

Annotations attach to articles already in the library, by content-hash id, then by source
(URL or path). On the same article (same text), gloss JSON facts are inserted as they are:
lossless, and importing twice adds nothing. On another version of the article (other text),
each note is anchored by its quote (store.anchoring) and written with ids derived from the
original, so importing twice still adds nothing; a quote that cannot be found is kept as an
orphan. Everything is written in one transaction per file.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store import state
from store.anchoring import reanchor
from store.errors import GlossError, ImportFailed
from store.models import Anchor
from store.sanitize import MAX_FILE_BYTES, clean, decode, normalise_tag
from store.versions import derived_id

if TYPE_CHECKING:
    import sqlite3

    from store.library import Library


@dataclass
class AnnotationReport:
    attached: int = 0  # notes (or revisions) written
    present: int = 0  # already in the library
    orphaned: int = 0  # written, but their quote is not in the article
    missing: list[str] = field(default_factory=list)  # articles not in the library
    rejected: list[str] = field(default_factory=list)  # malformed annotations, with why

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load(path: Path) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportFailed(f"too large ({size:,} bytes; the limit is {MAX_FILE_BYTES:,})")
        data = json.loads(decode(path.read_bytes(), path.name))
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"not JSON (line {exc.lineno}, column {exc.colno})") from None
    return data


def import_file(lib: Library, path: Path) -> AnnotationReport:
    """Import a gloss JSON or W3C annotation file; ImportFailed if it is neither."""
    data = load(path)
    report = AnnotationReport()
    with lib.write() as conn:
        if isinstance(data, dict) and data.get("format") == "gloss-annotations":
            if data.get("version") != 1:
                raise ImportFailed(f"gloss annotations version {data.get('version')!r} unknown")
            touched = _gloss(lib, conn, data, report)
        elif _is_w3c(data):
            touched = _w3c(lib, conn, _w3c_items(data), report)
        else:
            raise ImportFailed("neither gloss annotations nor W3C Web Annotations")
        state.rebuild(conn, touched)
    return report


# -- finding the article --------------------------------------------------------------------


def _find(conn: sqlite3.Connection, article_id: object, source: object) -> str | None:
    if isinstance(article_id, str):
        row = conn.execute(
            "SELECT a.id FROM articles a JOIN article_state s ON s.article_id = a.id"
            " WHERE a.id = ?",
            (article_id,),
        ).fetchone()
        if row:  # follow a newer version if there is one
            newer = conn.execute(
                "SELECT superseded_by FROM article_state WHERE article_id = ?", (row[0],)
            ).fetchone()[0]
            return newer or row[0]
    if isinstance(source, str) and source:
        row = conn.execute(
            "SELECT a.id FROM articles a JOIN article_state s ON s.article_id = a.id"
            " WHERE a.source = ? AND s.superseded_by IS NULL ORDER BY a.imported_at DESC",
            (source,),
        ).fetchone()
        if row:
            return row[0]
    return None


def _text(conn: sqlite3.Connection, article_id: str) -> str:
    return conn.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()[0]


def _str(value: object, what: str, allow_empty: bool = True) -> str:
    if not isinstance(value, str) or (not allow_empty and not value):
        raise GlossError(f"{what} must be a string")
    if clean(value) != value:
        raise GlossError(f"{what} holds control characters")
    return value


# -- gloss JSON -----------------------------------------------------------------------------


def _gloss(lib: Library, conn: sqlite3.Connection, data: dict, report: AnnotationReport) -> set:
    touched: set[str] = set()
    articles = data.get("articles")
    if not isinstance(articles, list):
        raise ImportFailed("'articles' must be a list")
    for art in articles:
        if not isinstance(art, dict):
            report.rejected.append("an article entry is not an object")
            continue
        local = _find(conn, art.get("id"), art.get("source"))
        if local is None:
            report.missing.append(str(art.get("title") or art.get("id")))
            continue
        touched.add(local)
        facts = art.get("facts") or {}
        if local == art.get("id"):
            _insert_facts(conn, local, facts, report)
        else:
            _attach_elsewhere(lib, conn, local, art, report)
    return touched


def _insert_facts(
    conn: sqlite3.Connection, aid: str, facts: dict, report: AnnotationReport
) -> None:
    text = _text(conn, aid)
    for r in facts.get("note_revisions") or []:
        try:
            row = _revision(r, text)
        except (GlossError, KeyError, TypeError, ValueError) as exc:
            report.rejected.append(
                f"revision {str(r.get('rev_id'))[:26] if isinstance(r, dict) else '?'}: {exc}"
            )
            continue
        cur = conn.execute(
            "INSERT OR IGNORE INTO note_revisions (rev_id, note_id, parents, article_id,"
            " pos_start, pos_end, exact, prefix, suffix, body, deleted, hlc, device)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row[0], row[1], row[2], aid, *row[3:]),
        )
        if cur.rowcount:
            report.attached += 1
        else:
            report.present += 1
    for e in facts.get("events") or []:
        try:
            field_name = _str(e["field"], "field")
            if field_name.startswith("tag:"):
                normalise_tag(field_name[4:])
            elif field_name not in ("read", "starred"):
                raise GlossError(f"unknown field {field_name!r}")
            values = (
                _str(e["event_id"], "event_id", False),
                aid,
                field_name,
                int(e["value"]) and 1,
                _str(e["hlc"], "hlc", False),
                _str(e["device"], "device", False),
            )
        except (GlossError, KeyError, TypeError, ValueError) as exc:
            report.rejected.append(f"event: {exc}")
            continue
        conn.execute("INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?)", values)


def _revision(r: dict, text: str) -> tuple:
    if not isinstance(r, dict):
        raise GlossError("not an object")
    parents = r["parents"]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise GlossError("parents must be a list of ids")
    ps, pe = r.get("pos_start"), r.get("pos_end")
    if ps is not None and not (
        isinstance(ps, int) and isinstance(pe, int) and 0 <= ps < pe <= len(text)
    ):
        raise GlossError("passage outside the article")
    exact = r.get("exact")
    if ps is not None and text[ps:pe] != exact:
        raise GlossError("quote does not match the article text")
    opt = [None if r.get(k) is None else _str(r.get(k), k) for k in ("exact", "prefix", "suffix")]
    return (
        _str(r["rev_id"], "rev_id", False),
        _str(r["note_id"], "note_id", False),
        json.dumps(sorted(parents)),
        ps,
        pe,
        *opt,
        _str(r["body"], "body"),
        1 if r.get("deleted") else 0,
        _str(r["hlc"], "hlc", False),
        _str(r["device"], "device", False),
    )


def _attach_elsewhere(
    lib: Library, conn: sqlite3.Connection, aid: str, art: dict, report: AnnotationReport
) -> None:
    """Notes of another version of the article: anchor each by its quote."""
    text = _text(conn, aid)
    for n in art.get("notes") or []:
        try:
            note_id = _str(n["id"], "id", False)
            body = _str(n.get("body") or "", "body")
            a = n.get("anchor") or (
                {"exact": n["orphaned_quote"]} if n.get("orphaned_quote") else None
            )
            anchor = None
            if a is not None:
                anchor = Anchor(
                    int(a.get("start", -1)),
                    int(a.get("end", -1)),
                    _str(a["exact"], "exact"),
                    _str(a.get("prefix") or "", "prefix"),
                    _str(a.get("suffix") or "", "suffix"),
                )
        except (GlossError, KeyError, TypeError, ValueError, AttributeError) as exc:
            report.rejected.append(f"note: {exc}")
            continue
        _write_note(lib, conn, aid, text, derived_id("note", note_id, aid), body, anchor, report)
    for tag in art.get("tags") or []:
        try:
            _tag(lib, conn, aid, str(tag))
        except GlossError as exc:
            report.rejected.append(f"tag {tag!r}: {exc}")


def _write_note(
    lib: Library,
    conn: sqlite3.Connection,
    aid: str,
    text: str,
    note_id: str,
    body: str,
    anchor: Anchor | None,
    report: AnnotationReport,
) -> None:
    if conn.execute("SELECT 1 FROM note_revisions WHERE note_id = ?", (note_id,)).fetchone():
        report.present += 1
        return
    place = reanchor(anchor, text) if anchor is not None else None
    new = Anchor.from_range(text, *place) if place else anchor
    if anchor is not None and place is None:
        report.orphaned += 1
    if anchor is None and not body:
        report.rejected.append("a note on the whole article needs some text")
        return
    conn.execute(
        "INSERT INTO note_revisions (rev_id, note_id, parents, article_id, pos_start, pos_end,"
        " exact, prefix, suffix, body, deleted, hlc, device)"
        " VALUES (?, ?, '[]', ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        (
            derived_id("rev", note_id),
            note_id,
            aid,
            place[0] if place else None,
            place[1] if place else None,
            new.exact if new else None,
            new.prefix if new else None,
            new.suffix if new else None,
            body,
            lib.stamp(conn),
            lib.device_id,
        ),
    )
    report.attached += 1


def _tag(lib: Library, conn: sqlite3.Connection, aid: str, raw: str) -> None:
    field_name = f"tag:{normalise_tag(raw)}"
    if state.latest_events(conn, aid).get(field_name):
        return
    conn.execute(
        "INSERT OR IGNORE INTO events VALUES (?, ?, ?, 1, ?, ?)",
        (derived_id("tag", aid, field_name), aid, field_name, lib.stamp(conn), lib.device_id),
    )


# -- W3C Web Annotation ---------------------------------------------------------------------


def _is_w3c(data: Any) -> bool:
    items = _w3c_items(data)
    return bool(items) and all(isinstance(i, dict) for i in items)


def _w3c_items(data: Any) -> list:
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        return []
    kind = data.get("type")
    if kind == "Annotation":
        return [data]
    if kind == "AnnotationCollection":
        first = data.get("first")
        return first.get("items", []) if isinstance(first, dict) else []
    if kind == "AnnotationPage":
        return data.get("items", [])
    return []


def _w3c(lib: Library, conn: sqlite3.Connection, items: list, report: AnnotationReport) -> set:
    touched: set[str] = set()
    for item in items:
        try:
            if item.get("type") != "Annotation":
                raise GlossError("not an Annotation")
            ident = _str(item.get("id") or json.dumps(item, sort_keys=True), "id")
            target = item.get("target")
            source = target if isinstance(target, str) else (target or {}).get("source")
            source = _str(source, "target source", False)
            anchor = _w3c_anchor(target)
            bodies = item.get("body") or []
            bodies = bodies if isinstance(bodies, list) else [bodies]
            comment = "\n\n".join(
                _str(b.get("value", ""), "body")
                for b in bodies
                if isinstance(b, dict) and b.get("purpose", "commenting") != "tagging"
            )
            tags = [
                _str(b.get("value", ""), "tag")
                for b in bodies
                if isinstance(b, dict) and b.get("purpose") == "tagging"
            ]
        except (GlossError, AttributeError, TypeError, ValueError) as exc:
            report.rejected.append(f"annotation: {exc}")
            continue
        m = re.fullmatch(r"urn:gloss:article:([0-9a-f]{32})", source)
        aid = _find(conn, m.group(1) if m else None, None if m else source)
        if aid is None:
            report.missing.append(source)
            continue
        touched.add(aid)
        note = re.fullmatch(r"urn:gloss:note:([0-9A-Z]{26})", ident)
        note_id = note.group(1) if note else derived_id("w3c", ident)
        if (
            note
            and conn.execute(
                "SELECT 1 FROM note_revisions WHERE note_id = ?", (note_id,)
            ).fetchone()
        ):
            report.present += 1  # our own export coming back: already here
        else:
            _write_note(
                lib,
                conn,
                aid,
                _text(conn, aid),
                note_id if note else derived_id("note", note_id, aid),
                comment,
                anchor,
                report,
            )
        for t in tags:
            try:
                _tag(lib, conn, aid, t)
            except GlossError as exc:
                report.rejected.append(f"tag {t!r}: {exc}")
    return touched


def _w3c_anchor(target: Any) -> Anchor | None:
    if not isinstance(target, dict):
        return None
    selectors = target.get("selector") or []
    selectors = selectors if isinstance(selectors, list) else [selectors]
    quote = next(
        (s for s in selectors if isinstance(s, dict) and s.get("type") == "TextQuoteSelector"), None
    )
    pos = next(
        (s for s in selectors if isinstance(s, dict) and s.get("type") == "TextPositionSelector"),
        None,
    )
    if quote is None:
        if pos is not None:
            raise GlossError(
                "a TextPositionSelector without a TextQuoteSelector cannot be anchored"
            )
        return None
    start = int(pos["start"]) if pos else -1
    end = int(pos["end"]) if pos else -1
    return Anchor(
        start,
        end,
        _str(quote["exact"], "exact", False),
        _str(quote.get("prefix", ""), "prefix"),
        _str(quote.get("suffix", ""), "suffix"),
    )
