"""Annotations out: Markdown (for a notes vault), gloss JSON (lossless), W3C Web Annotation
JSON-LD (for other tools) and CSV (for spreadsheets), and writing them to files safely."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from store.core.errors import InvalidInput
from store.core.hlc import Stamp
from store.core.models import Article, Filter, Note
from store.find import reading, search
from store.notes.exchange_formats import CORRECTION_FIELDS

if TYPE_CHECKING:
    from store.core.handle import Handle

Check = Callable[[], "str | None"]

FORMAT = "gloss-annotations"
VERSION = 1
W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
# A note revision as exported (its article is the entry it sits in).
REVISION_FIELDS = ("rev_id", "note_id", "parents", "pos_start", "pos_end", "exact", "prefix",
                   "suffix", "body", "deleted", "hlc", "device")  # fmt: skip


ALL = Filter()


def select(h: Handle, query: str | None = None, within: Filter = ALL) -> list[str]:
    """Ids of the articles to export: matching the query (search language, ranked) among
    those the filter takes; the filter's articles in list order without a query."""
    if query:
        hits = search.search(h.conn, query, limit=1_000_000)
        ids = list(dict.fromkeys(hit.article_id for hit in hits))
        if within:
            taken = {a.id for a in reading.list_articles(h, within)}
            ids = [i for i in ids if i in taken]
        return ids
    return [a.id for a in reading.list_articles(h, within)]


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


def _corrections(h: Handle, aid: str) -> list[dict[str, Any]]:
    """The article's entity corrections, oldest first, as gloss JSON facts (none in a
    library made before them and not upgraded yet)."""
    if not h.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entity_corrections'"
    ).fetchone():
        return []
    return [
        dict(zip(CORRECTION_FIELDS, r, strict=True))
        for r in h.conn.execute(
            f"SELECT {', '.join(CORRECTION_FIELDS)} FROM entity_corrections WHERE article ="
            " (SELECT key FROM articles WHERE id = ?) ORDER BY hlc, correction_id",
            (aid,),
        )
    ]


def to_json(h: Handle, ids: list[str]) -> dict[str, Any]:
    """Everything about the articles' annotations: current notes for scripts, and the facts
    (every note revision, state event and entity correction) so a re-import loses nothing."""
    out = []
    for aid in ids:
        a = reading.get_article(h, aid)
        s = a.summary
        revisions = [
            dict(zip(REVISION_FIELDS, r, strict=True))
            for r in h.conn.execute(
                f"SELECT {', '.join(REVISION_FIELDS)} FROM note_revisions"
                " WHERE article = (SELECT key FROM articles WHERE id = ?) ORDER BY hlc, rev_id",
                (aid,),
            )
        ]
        for r in revisions:
            r["parents"] = json.loads(r["parents"])
        events = [
            dict(zip(("event_id", "field", "value", "hlc", "device"), r, strict=True))
            for r in h.conn.execute(
                "SELECT event_id, field, value, hlc, device FROM events"
                " WHERE article = (SELECT key FROM articles WHERE id = ?) ORDER BY hlc, event_id",
                (aid,),
            )
        ]
        out.append({
            "id": s.id, "title": s.title, "byline": s.byline, "published": s.published,
            "source": s.source, "tags": list(s.tags), "read": s.read, "starred": s.starred,
            "notes": [n.to_json() for n in a.notes],
            "facts": {"note_revisions": revisions, "events": events,
                      "entity_corrections": _corrections(h, aid)},
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


def to_w3c(h: Handle, ids: list[str]) -> dict[str, Any]:
    """An AnnotationCollection with one annotation per note or highlight."""
    items = []
    for aid in ids:
        a = reading.get_article(h, aid)
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
    """A file name for the article: `<title-slug>-<id>`, or `article-<id>` for a title with
    nothing but punctuation (a name starting with '-' reads as an option to every tool)."""
    return slug_for(article.title, article.id)


def slug_for(title: str, article_id: str) -> str:
    """`slug` of a title and an id (a vault file's front matter gives both)."""
    words = re.sub(r"[^\w\s-]", "", title.lower()).split()
    return ("-".join(words)[:60].strip("-") or "article") + f"-{article_id[:8]}"


_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


def _hard_breaks(lines: list[str]) -> list[str]:
    """Markdown joins the lines of a paragraph into one; two trailing spaces (the hard line
    break of Markdown and CommonMark, the one Obsidian documents) keep each break. Not
    inside fenced code, where the spaces would be text, nor after a line ending in a
    backslash (already a hard break)."""
    out: list[str] = []
    fence = ""
    for i, line in enumerate(lines):
        opened = _FENCE.match(line)
        if opened and (not fence or opened.group(1).startswith(fence)):
            fence = "" if fence else opened.group(1)
        elif not fence and line.strip() and i + 1 < len(lines) and lines[i + 1].strip():
            if not line.endswith("\\"):
                line = line.rstrip() + "  "
        out.append(line)
    return out


def _quote(text: str) -> str:
    """The passage as a block quote, its line and paragraph breaks kept (spaces and tabs
    within a line are one space, as the reader shows them)."""
    lines = [" ".join(line.split()) for line in text.strip().split("\n")]
    return "\n".join("> " + line if line else ">" for line in _hard_breaks(lines))


def _body(text: str) -> str:
    """A note as the user wrote it (it is Markdown to them), its line breaks kept."""
    return "\n".join(_hard_breaks(text.split("\n")))


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
                parts.append(_body(n.body))
    if whole:
        parts.append("## Notes on the article")
        parts += [_body(n.body) for n in whole]
    if orphans:
        parts.append("## Orphaned (the passage is no longer in the article)")
        for n in orphans:
            parts.append(_quote(n.orphan.exact))  # type: ignore[union-attr]
            if n.body:
                parts.append(_body(n.body))
    return "\n\n".join(parts) + "\n"


# -- CSV ------------------------------------------------------------------------------------

CSV_COLUMNS = ("article_id", "title", "source", "note_id", "kind", "quote", "body", "created",
               "updated", "conflict", "tags")  # fmt: skip


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """Keep spreadsheets from running a cell as a formula: a text starting with = + - @ (or a
    tab or carriage return, which some strip before looking) gets a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def to_csv(h: Handle, ids: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for aid in ids:
        a = reading.get_article(h, aid)
        for n in a.notes:
            anchor = n.anchor or n.orphan
            # every cell is guarded: any of them can come from an imported file or a peer
            writer.writerow([_cell(v) for v in (
                a.id, a.title, a.summary.source or "", n.id,
                "highlight" if n.is_highlight else "note", anchor.exact if anchor else "",
                n.body, iso(n.created), iso(n.updated), int(n.conflict),
                " ".join(a.summary.tags),
            )])  # fmt: skip
    return out.getvalue()


# -- files ----------------------------------------------------------------------------------


@dataclass
class Written:
    """A folder export: the files written, and one line per file refused."""

    files: list[Path] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _refusal(path: Path) -> str | None:
    if path.is_symlink():
        return f"{path} is a symbolic link; gloss never writes through one (remove it first)"
    if path.exists() and not path.is_file():
        return f"{path} exists and is not a regular file"
    return None


def write_file(path: Path, text: str | bytes, last_check: Check | None = None) -> None:
    """Write text (UTF-8) or bytes to path, never through a symlink; InvalidInput naming the
    path. `last_check()` runs when the new file is complete, just before it takes the name:
    a reason it returns stops the write (the vault checks nobody changed the file meanwhile).

    The text goes to a new temp file beside path (O_EXCL | O_NOFOLLOW), renamed onto path. A
    rename replaces a symlink itself rather than its target, so even a link planted between
    the check and the rename sends nothing outside the folder; a reader never sees half a file.
    """
    why = _refusal(path)
    if why is not None:
        raise InvalidInput(why)
    data = text.encode("utf-8") if isinstance(text, str) else text
    tmp = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
    created = False
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(tmp, flags, 0o666)
        created = True
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        why = last_check() if last_check is not None else None
        if why is not None:
            tmp.unlink(missing_ok=True)
            raise InvalidInput(why)
        os.replace(tmp, path)
    except OSError as exc:
        if created:
            tmp.unlink(missing_ok=True)
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None


def make_folder(folder: Path) -> None:
    """Create the export folder (and its parents); InvalidInput when it is something else."""
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(
            f"cannot export to {folder}: it exists and is not a folder "
            "(name a folder, or a file ending in .md for a single file)"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"cannot create the folder {folder}: {exc.strerror or exc}") from None


def write_folder(folder: Path, docs: Iterable[tuple[str, str]]) -> Written:
    """Write (name, text) pairs as folder/name.md, creating folder; a file that is a symlink
    (or not a regular file) is refused with a reason and the others are written."""
    make_folder(folder)
    done = Written()
    for name, text in docs:
        path = folder / f"{name}.md"
        why = _refusal(path)
        if why is not None:
            done.refused.append(why)
            continue
        write_file(path, text)
        done.files.append(path)
    return done
