"""Annotations out: Markdown (for a notes vault), gloss JSON (lossless), W3C Web Annotation
JSON-LD (for other tools) and CSV (for spreadsheets)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import yaml

from store.hlc import Stamp
from store.models import Article, Note

if TYPE_CHECKING:
    from store.library import Library

FORMAT = "gloss-annotations"
VERSION = 1
W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
# A note revision as exported (its article is the entry it sits in).
REVISION_FIELDS = ("rev_id", "note_id", "parents", "pos_start", "pos_end", "exact", "prefix",
                   "suffix", "body", "deleted", "hlc", "device")  # fmt: skip


def select(lib: Library, query: str | None = None, tag: str | None = None) -> list[str]:
    """Ids of the articles to export: matching the query (search language) and/or tag, in
    list order; every current article when neither is given."""
    if query:
        hits = lib.search(query, limit=1_000_000)
        ids = list(dict.fromkeys(h.article_id for h in hits))
        if tag:
            tagged = {a.id for a in lib.list_articles(tag=tag)}
            ids = [i for i in ids if i in tagged]
        return ids
    return [a.id for a in lib.list_articles(tag=tag)]


def iso(stamp: str) -> str:
    """A clock stamp as an ISO 8601 UTC time."""
    try:
        wall = Stamp.parse(stamp).wall
    except ValueError:
        return stamp
    return (
        datetime.fromtimestamp(wall / 1000, UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z")
    )


# -- gloss JSON -----------------------------------------------------------------------------


def to_json(lib: Library, ids: list[str]) -> dict[str, Any]:
    """Everything about the articles' annotations: current notes for scripts, and the facts
    (every note revision and state event) so a re-import loses nothing."""
    out = []
    for aid in ids:
        a = lib.get_article(aid)
        s = a.summary
        revisions = [
            dict(zip(REVISION_FIELDS, r, strict=True))
            for r in lib.conn.execute(
                f"SELECT {', '.join(REVISION_FIELDS)} FROM note_revisions WHERE article_id = ?"
                " ORDER BY hlc, rev_id",
                (aid,),
            )
        ]
        for r in revisions:
            r["parents"] = json.loads(r["parents"])
        events = [
            dict(zip(("event_id", "field", "value", "hlc", "device"), r, strict=True))
            for r in lib.conn.execute(
                "SELECT event_id, field, value, hlc, device FROM events WHERE article_id = ?"
                " ORDER BY hlc, event_id",
                (aid,),
            )
        ]
        out.append({
            "id": s.id, "title": s.title, "byline": s.byline, "published": s.published,
            "source": s.source, "tags": list(s.tags), "read": s.read, "starred": s.starred,
            "notes": [n.to_json() for n in a.notes],
            "facts": {"note_revisions": revisions, "events": events},
        })  # fmt: skip
    return {"format": FORMAT, "version": VERSION, "articles": out}


# -- W3C Web Annotation ---------------------------------------------------------------------


def target_source(article_id: str, source: str | None) -> str:
    """The IRI an annotation targets: the article's URL, else gloss's content-hash id."""
    if source and re.match(r"https?://", source):
        return source
    return f"urn:gloss:article:{article_id}"


def annotation(note: Note, source: str, tags: tuple[str, ...]) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    if note.body:
        body.append({"type": "TextualBody", "value": note.body, "format": "text/plain",
                     "purpose": "commenting"})  # fmt: skip
    body += [{"type": "TextualBody", "value": t, "purpose": "tagging"} for t in tags]
    anchor = note.anchor or note.orphan
    target: Any = source
    if anchor is not None:
        selectors: list[dict[str, Any]] = [
            {"type": "TextQuoteSelector", "exact": anchor.exact, "prefix": anchor.prefix,
             "suffix": anchor.suffix},
        ]  # fmt: skip
        if note.anchor is not None:
            selectors.append(
                {"type": "TextPositionSelector", "start": anchor.start, "end": anchor.end}
            )
        target = {"source": source, "selector": selectors}
    data: dict[str, Any] = {
        "id": f"urn:gloss:note:{note.id}",
        "type": "Annotation",
        "motivation": "highlighting" if note.is_highlight else "commenting",
        "created": iso(note.created),
        "modified": iso(note.updated),
    }
    if body:
        data["body"] = body
    data["target"] = target
    return data


def to_w3c(lib: Library, ids: list[str]) -> dict[str, Any]:
    """An AnnotationCollection with one annotation per note or highlight."""
    items = []
    for aid in ids:
        a = lib.get_article(aid)
        src = target_source(a.id, a.summary.source)
        items += [annotation(n, src, a.summary.tags) for n in a.notes]
    return {
        "@context": W3C_CONTEXT,
        "id": "urn:gloss:export",
        "type": "AnnotationCollection",
        "label": "gloss annotations",
        "total": len(items),
        "first": {"type": "AnnotationPage", "startIndex": 0, "items": items},
    }


# -- Markdown ------------------------------------------------------------------------------


def slug(article: Article) -> str:
    words = re.sub(r"[^\w\s-]", "", article.title.lower()).split()
    return "-".join(words)[:60].strip("-") + f"-{article.id[:8]}"


def _quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in " ".join(text.split()).split("\n"))


def to_markdown(article: Article) -> str:
    """One article: front matter, then highlights and notes in document order."""
    s = article.summary
    meta = {"title": s.title, "byline": s.byline, "date": s.published, "source": s.source,
            "tags": list(s.tags), "gloss_id": s.id}  # fmt: skip
    front = yaml.safe_dump(
        {k: v for k, v in meta.items() if v not in (None, [])},
        allow_unicode=True, sort_keys=False, width=1000,
    )  # fmt: skip
    parts = [f"---\n{front}---", f"# {s.title}"]
    passage = [n for n in article.notes if n.anchor is not None]
    whole = [n for n in article.notes if n.anchor is None and n.orphan is None]
    orphans = [n for n in article.notes if n.orphan is not None]
    if passage:
        parts.append("## Highlights and notes")
        for n in passage:
            parts.append(_quote(n.anchor.exact))  # type: ignore[union-attr]
            if n.body:
                parts.append(n.body)
    if whole:
        parts.append("## Notes on the article")
        parts += [n.body for n in whole]
    if orphans:
        parts.append("## Orphaned (the passage is no longer in the article)")
        for n in orphans:
            parts.append(_quote(n.orphan.exact))  # type: ignore[union-attr]
            if n.body:
                parts.append(n.body)
    return "\n\n".join(parts) + "\n"


# -- CSV ------------------------------------------------------------------------------------

CSV_COLUMNS = ("article_id", "title", "source", "note_id", "kind", "quote", "body", "created",
               "updated", "conflict", "tags")  # fmt: skip


def _cell(text: str) -> str:
    """Keep spreadsheets from running a note as a formula (=, +, -, @ at the start)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def to_csv(lib: Library, ids: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for aid in ids:
        a = lib.get_article(aid)
        for n in a.notes:
            anchor = n.anchor or n.orphan
            writer.writerow([
                a.id, _cell(a.title), a.summary.source or "", n.id,
                "highlight" if n.is_highlight else "note", _cell(anchor.exact if anchor else ""),
                _cell(n.body), iso(n.created), iso(n.updated), int(n.conflict),
                " ".join(a.summary.tags),
            ])  # fmt: skip
    return out.getvalue()
