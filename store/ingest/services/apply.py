"""Write another service's export into the library: each `record.Saved` becomes an article
(its saved content, through the usual parsers and the entity analysis), a saved link (only
a URL: `store.ingest.links`) or a book (no URL and no text, as Kindle and Readwise keep
them: its highlights, one paragraph each, are its text), with its tags, read and starred
state, and highlights anchored to the text (a quote the text does not hold is kept as an
orphan; on a saved link every quote waits, and anchors when `gloss fetch` brings the page).

One article is one article however it arrives: an entry whose canonical URL is already in
the library (from another service, a feed or an earlier import) adds only the tags and
highlights it lacks, and the report says so; the same file imported twice adds nothing.
Entries are read as a stream and written CHUNK at a time (each chunk's new articles are
analysed in one stream and stored in batches), so memory is bounded by a chunk, not by the
export.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from store.core import state
from store.core.errors import GlossError, ImportFailed
from store.core.ids import new_id
from store.core.models import Anchor, FileResult, ImportReport
from store.core.sanitize import clean, clean_line, normalise_tag
from store.ingest import links
from store.ingest.importer import Pending, known_id, store_new, title_key, write_tags
from store.ingest.parse.common import MAX_TITLE_CHARS, Parsed, TextBuilder
from store.ingest.services.record import Highlight, Malformed, Saved
from store.notes.anchoring import reanchor

if TYPE_CHECKING:
    import sqlite3

    from store.core.handle import Handle

CHUNK = 500  # entries held at once
FUZZY_SECONDS = 2.0  # of fuzzy anchoring for one entry's highlights
MAX_QUOTE_CHARS = 20_000
MAX_NOTE_CHARS = 100_000  # (store.notes.annotations' limit)
Progress = Callable[[int, int], None]


@dataclass
class ServiceReport:
    """One export imported: a result per entry (status imported | linked | book | merged |
    present | failed), and what its highlights became."""

    service: str
    file: str
    results: list[FileResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    highlights: int = 0  # highlights and notes added
    anchored: int = 0  # of which placed in the text
    waiting: int = 0  # on saved links: they anchor when the page is fetched
    orphaned: int = 0  # their quote is not in the text: kept, without a place
    tags: int = 0  # tags added

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def to_json(self) -> dict[str, Any]:
        names = ("imported", "linked", "book", "merged", "present", "failed")
        return {
            "service": self.service,
            "file": self.file,
            **{name: self.count(name) for name in names},
            "highlights": self.highlights,
            "anchored": self.anchored,
            "waiting": self.waiting,
            "orphaned": self.orphaned,
            "tags": self.tags,
            "warnings": self.warnings,
            "entries": [r.to_json() for r in self.results],
        }


@dataclass
class _Plan:
    """One entry on its way in."""

    entry: Saved
    result: FileResult
    url: str | None  # canonical
    kind: str = "link"  # what it is when new: "article", "link" or "book"
    parsed: Parsed | None = None  # an article's or a book's text, when it is to be stored
    key: int | None = None  # the existing article it goes into (-1: into another entry)


def import_export(
    h: Handle, reader: ModuleType, path: Path, progress: Progress | None = None, jobs: int = 0
) -> ServiceReport:
    """Import one export file read by `reader` (a module of store.ingest.services).
    ImportFailed when the file is not that service's export."""
    report = ServiceReport(reader.LABEL, str(path))
    entries: Iterator = reader.read(path)
    done = 0
    try:
        while chunk := list(islice(entries, CHUNK)):
            _chunk(h, chunk, report, jobs)
            done += len(chunk)
            if progress:
                progress(done, -1)  # a stream: the total is not known
    finally:
        close = getattr(entries, "close", None)
        if close:
            close()
    return report


def _chunk(h: Handle, chunk: list, report: ServiceReport, jobs: int) -> None:
    plans: list[_Plan] = []
    for entry in chunk:
        if isinstance(entry, Malformed):
            report.results.append(FileResult(entry.where, "failed", reason=entry.reason))
            continue
        result = FileResult(entry.where, "failed", title=entry.title)
        report.results.append(result)
        try:
            plan = _plan(h, entry, result, report)
        except GlossError as exc:
            result.reason = str(exc)
            continue
        except Exception as exc:  # a defect not known yet: this entry fails, not the import
            result.reason = f"unexpected error ({type(exc).__name__}: {clean_line(str(exc))[:200]})"
            continue
        if plan is not None:
            plans.append(plan)
    _merge_same(h, plans)
    _write(h, plans, report, jobs)


def _plan(h: Handle, e: Saved, result: FileResult, report: ServiceReport) -> _Plan:
    """What an entry becomes: its canonical URL, its parsed text, the article it joins."""
    url = links.canonical_url(e.url) if e.url else None
    if e.url and url is None and not (e.html or e.text):
        raise ImportFailed(f"not an http(s) URL ({e.url[:200]!r}), and no saved text")
    if e.url and url is None:
        report.warnings.append(f"{e.where}: not an http(s) URL, kept without it: {e.url[:200]!r}")
    plan = _Plan(e, result, url)
    if e.html or e.text:
        try:
            plan.parsed, plan.kind = _parse(e, url), "article"
        except ImportFailed as exc:
            if url is None:
                raise
            report.warnings.append(
                f"{e.where}: its saved text is not usable ({exc}); kept as a link"
            )
    elif url is None:  # a book: its highlights are its text
        plan.parsed, plan.kind = _book(h, e), "book"
        book = _current_book(h.conn, _book_source(e))
        if book is not None and _holds_all(h, book[0], e):
            plan.key, plan.parsed, result.article_id = book[0], None, book[1]
        return plan
    found = links.find_current(h.conn, url) if url else None
    if found is not None:
        key, aid, source, is_link = found
        if is_link and plan.parsed is not None:  # the text arrives: a new version of the link
            plan.parsed.url = source
        else:
            plan.key, plan.parsed, result.article_id = key, None, aid
    return plan


def _parse(e: Saved, url: str | None) -> Parsed:
    if e.html:  # a service's saved content is the article already (its own readability
        # pass): laid out as a page's main text is, not extracted again (which drops text)
        from store.ingest.parse.feed import html_fragment

        parsed = html_fragment(e.html, e.title or "")
    else:
        b = TextBuilder()
        for para in re.split(r"\n\s*\n", clean(e.text or "")):
            b.paragraph(para)
        parsed = b.build(e.title or "")
    return _dress(parsed, e, url)


def _dress(parsed: Parsed, e: Saved, url: str | None) -> Parsed:
    """The service's own metadata over what the parser found."""
    title = clean_line(e.title or "")
    if title:
        parsed.title = title[: MAX_TITLE_CHARS - 1] + "…" if len(title) > MAX_TITLE_CHARS else title
    parsed.byline = clean_line(e.author or "")[:500] or parsed.byline
    parsed.published = e.published or parsed.published
    parsed.url = url or parsed.url
    dates = [hl.created for hl in e.highlights if hl.created]
    parsed.saved = e.saved or (min(dates) if dates else None)  # (a book: its first highlight)
    parsed.tags = _raw_tags(e)
    return parsed


def _book_source(e: Saved) -> str:
    """A book's source: its title and author (what identifies it across exports)."""
    author = title_key(e.author or "")
    return f"book:{title_key(e.title or '')}" + (f" ({author})" if author else "")


def _current_book(conn: sqlite3.Connection, source: str) -> tuple[int, str, str] | None:
    row = conn.execute(
        "SELECT a.key, a.id, a.text FROM articles a JOIN article_state s ON s.article = a.key"
        " WHERE a.source = ? AND s.superseded_by IS NULL ORDER BY a.imported_at DESC LIMIT 1",
        (source,),
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def _quotes(e: Saved) -> list[str]:
    seen: dict[str, None] = {}
    for hl in e.highlights:
        q = _norm(hl.quote)
        if q and q not in seen:
            seen[q] = None
    return list(seen)


def _holds_all(h: Handle, key: int, e: Saved) -> bool:
    text = h.conn.execute("SELECT text FROM articles WHERE key = ?", (key,)).fetchone()[0]
    return all(q in text for q in _quotes(e))


def _book(h: Handle, e: Saved) -> Parsed:
    """A book's text: the text it has in the library (if it is there) and every quote of
    this entry it lacks, one paragraph each (a new version of the book when it grew)."""
    if not (e.title or "").strip():
        raise ImportFailed("no title, URL or text")
    old = _current_book(h.conn, _book_source(e))
    b = TextBuilder()
    if old is not None:
        for para in old[2].split("\n\n"):
            b.paragraph(para)
    for q in _quotes(e):
        if old is None or q not in old[2]:
            b.paragraph(q)
    if not b.text:
        raise ImportFailed("a book with no highlights (nothing to import)")
    parsed = _dress(b.build(e.title or ""), e, None)
    parsed.url = _book_source(e)
    return parsed


def _merge_same(h: Handle, plans: list[_Plan]) -> None:
    """Entries of one chunk that are one article (the same URL twice, one book in pieces):
    the first takes the others' tags, state and highlights; the others say so."""
    first: dict[str, _Plan] = {}
    for p in plans:
        if p.key is not None:
            continue
        ident = p.url or (p.parsed.url if p.kind == "book" and p.parsed else None)
        if ident is None:
            continue
        lead = first.setdefault(ident, p)
        if lead is p:
            continue
        lead.entry.tags += p.entry.tags
        lead.entry.highlights += p.entry.highlights
        lead.entry.read = lead.entry.read or p.entry.read
        lead.entry.starred = lead.entry.starred or p.entry.starred
        if lead.kind == "book":
            lead.parsed = _book(h, lead.entry)  # every quote of both
        elif lead.parsed is None and p.parsed is not None:  # a link meets its text
            lead.parsed, lead.kind = p.parsed, p.kind
        if lead.parsed is not None:
            lead.parsed.tags = _raw_tags(lead.entry)
        p.result.status, p.result.reason = "merged", f"the same as {lead.entry.where}"
        p.result.article_id = None
        p.parsed, p.key = None, -1  # nothing left to write


def _raw_tags(e: Saved) -> list[str]:
    return [*e.tags, *(t for hl in e.highlights for t in hl.tags)]


def _tag_or_none(raw: str) -> str | None:
    try:
        return normalise_tag(raw)
    except GlossError:
        return None


def _write(h: Handle, plans: list[_Plan], report: ServiceReport, jobs: int) -> None:
    new = [p for p in plans if p.key is None and p.parsed is not None]
    into = [p for p in plans if p.key is not None and p.key >= 0]
    fresh_links = [p for p in plans if p.key is None and p.parsed is None]
    pending: list[Pending] = []
    owners: list[_Plan] = []
    seen: dict[str, str] = {}
    for p in new:
        assert p.parsed is not None
        source = p.parsed.url or f"{report.service.lower()}:{title_key(p.parsed.title)}"
        aid = known_id(h, p.parsed.title, p.parsed.text, seen)
        p.result.article_id = aid
        key = state.key_of(h.conn, aid)
        if aid in seen or key is not None:  # the same text is here (or queued) already
            if key is not None:
                p.key = key
                into.append(p)
            continue
        seen[aid] = title_key(p.parsed.title)
        pending.append((p.result, p.parsed, source))
        owners.append(p)

    def on_insert(conn: sqlite3.Connection, n: int, aid: str) -> None:
        p = owners[n]
        key = state.key_of(conn, aid)
        assert key is not None
        _state(h, conn, key, p.entry)
        _highlights(h, conn, key, p.entry.highlights, report)
        p.result.status = "book" if p.kind == "book" else "imported"
        report.tags += len({t for t in map(_tag_or_none, _raw_tags(p.entry)) if t})

    if pending:
        imported = ImportReport()
        store_new(h, pending, imported, None, jobs, on_insert)
        report.warnings += [w for w in imported.warnings if w not in report.warnings]
    if not into and not fresh_links:
        return
    with h.write() as conn:
        touched: list[int] = []
        for p in fresh_links:
            e = p.entry
            assert p.url is not None
            title = clean_line(e.title or "")[:MAX_TITLE_CHARS] or p.url[:MAX_TITLE_CHARS]
            aid = known_id(h, title, p.url)
            key = state.key_of(conn, aid) or links.insert_link(
                conn, aid, p.url, title, clean_line(e.author or "")[:500] or None,
                e.published, e.saved or _now(),
            )  # fmt: skip
            p.result.status, p.result.article_id = "linked", aid
            _state(h, conn, key, e)
            write_tags(h, conn, key, _new_tags(conn, key, e, report))
            _highlights(h, conn, key, e.highlights, report, link=True)
            touched.append(key)
        for p in into:
            _state(h, conn, p.key, p.entry)  # type: ignore[arg-type]
            added = _new_tags(conn, p.key, p.entry, report)  # type: ignore[arg-type]
            write_tags(h, conn, p.key, added)  # type: ignore[arg-type]
            got = _highlights(h, conn, p.key, p.entry.highlights, report)  # type: ignore[arg-type]
            if p.result.status != "merged":
                p.result.status = "merged" if added or got else "present"
            what = [_n(len(added), "tag")] * bool(added) + [_n(got, "highlight")] * bool(got)
            if p.result.reason is None:
                p.result.reason = "already in the library" + (
                    f": added {', '.join(what)}" if what else ""
                )
            touched.append(p.key)  # type: ignore[arg-type]
        state.rebuild(conn, touched)


def _n(count: int, what: str) -> str:
    return f"{count} {what}{'' if count == 1 else 's'}"


def _event(h: Handle, conn: sqlite3.Connection, key: int, name: str, value: int) -> None:
    conn.execute(
        "INSERT INTO events (event_id, article, field, value, hlc, device)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (new_id(), key, name, value, h.stamp(conn), h.device_id),
    )


def _state(h: Handle, conn: sqlite3.Connection, key: int, e: Saved) -> None:
    """Read and starred, when the service says so and the library does not yet (an export
    never makes an article unread or unstarred: the library's own state is newer)."""
    for name, value in (("read", e.read), ("starred", e.starred)):
        if value and state.field_value(conn, key, name) != 1:
            _event(h, conn, key, name, 1)


def _new_tags(
    conn: sqlite3.Connection, key: int, e: Saved, report: ServiceReport | None
) -> list[str]:
    """The entry's tags (normalised) the article lacks; a tag that cannot be one is a
    warning (when `report` is given: the report counts the new ones)."""
    have = {r[0] for r in conn.execute("SELECT tag FROM article_tags WHERE article = ?", (key,))}
    out: list[str] = []
    for raw in _raw_tags(e):
        try:
            name = normalise_tag(raw)
        except GlossError as exc:
            if report is not None:
                report.warnings.append(f"{e.where}: {exc}")
            continue
        if name not in have and name not in out:
            out.append(name)
    if report is not None:
        report.tags += len(out)
    return out


def _norm(text: str | None) -> str:
    return " ".join(clean(text or "").split())[:MAX_QUOTE_CHARS]


def _place(text: str, hl: Highlight, quote: str, fuzzy: bool) -> tuple[int, int] | None:
    """Where a quote sits in the text: at its position hint, exactly, ignoring case and
    spacing, then (`fuzzy`) as the anchoring of moved notes finds it, with its context."""
    if fuzzy and hl.position is not None and 0 <= hl.position < len(text):
        got = reanchor(
            Anchor(hl.position, hl.position + len(quote), quote, hl.prefix or "", hl.suffix or ""),
            text,
        )
        if got is not None:
            return got
    at = text.find(quote)
    if at >= 0:
        return at, at + len(quote)
    words = quote.split()
    if len(words) <= 200:
        m = re.search(r"\s+".join(re.escape(w) for w in words), text, re.IGNORECASE)
        if m is not None:
            return m.start(), m.end()
    if not fuzzy:
        return None
    return reanchor(Anchor(-1, -1, quote, hl.prefix or "", hl.suffix or ""), text)


def _highlights(
    h: Handle, conn: sqlite3.Connection, key: int, highlights: Iterable[Highlight],
    report: ServiceReport, link: bool = False,
) -> int:  # fmt: skip
    """Add the highlights the article lacks (same quote and note): placed in its text, or
    kept as orphans (on a saved link: waiting for the page). The count added."""
    have = {
        (_norm(r[0]), (r[1] or "").strip())
        for r in conn.execute(
            "SELECT r.exact, r.body FROM notes n JOIN note_revisions r ON r.rowid = n.rev"
            " WHERE n.article = ?",
            (key,),
        )
    }
    text = conn.execute("SELECT text FROM articles WHERE key = ?", (key,)).fetchone()[0]
    is_link = (
        link
        or conn.execute("SELECT text = source FROM articles WHERE key = ?", (key,)).fetchone()[0]
    )
    added = 0
    # Fuzzy anchoring takes milliseconds a quote in a long text: an entry's quotes get
    # FUZZY_SECONDS of it in all (10,000 quotes of a crafted export would take minutes),
    # then only exact matches place a quote (the others are kept as orphans).
    deadline = time.monotonic() + FUZZY_SECONDS
    for hl in highlights:
        quote = _norm(hl.quote)
        body = clean(hl.note or "").strip()[:MAX_NOTE_CHARS]
        if not quote and not body:
            continue
        if (quote, body) in have:
            continue
        have.add((quote, body))
        place = None
        if quote and not is_link:
            place = _place(text, hl, quote, fuzzy=time.monotonic() < deadline)
        anchor = Anchor.from_range(text, *place) if place else None
        conn.execute(
            "INSERT INTO note_revisions (rev_id, note_id, parents, article, pos_start,"
            " pos_end, exact, prefix, suffix, body, deleted, hlc, device)"
            " VALUES (?, ?, '[]', ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            (
                new_id(), new_id(), key, place[0] if place else None, place[1] if place else None,
                (anchor.exact if anchor else quote) or None,
                anchor.prefix if anchor else (hl.prefix or None) if quote else None,
                anchor.suffix if anchor else (hl.suffix or None) if quote else None,
                body, _stamp(h, conn, hl.created), h.device_id,
            ),
        )  # fmt: skip
        added += 1
        report.highlights += 1
        if quote:
            if place:
                report.anchored += 1
            elif is_link:
                report.waiting += 1
            else:
                report.orphaned += 1
    return added


def _stamp(h: Handle, conn: sqlite3.Connection, created: str | None) -> str:
    """A highlight's first revision is stamped when the service says it was made (so its
    note keeps its date), or now; never ahead of now. A stamp orders one note's revisions
    only, and later edits are stamped by the clock, after it."""
    now = h.stamp(conn)
    if created:
        from datetime import datetime

        from store.core.hlc import Stamp

        try:
            wall = int(datetime.fromisoformat(created).timestamp() * 1000)
        except (ValueError, OverflowError, OSError):
            return now
        current = Stamp.parse(now)
        if 0 < wall < current.wall:
            return str(Stamp(wall, 0, current.device))
    return now


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds")
