"""Refreshing feeds and saving web pages: fetch in parallel, import through store.ingest.importer.

Feeds are fetched by a bounded pool of threads (conditional GET; a feed that fails is
reported and never stops the others). An entry whose own text is short has its page
fetched by the feed's own small pool and its main text extracted by trafilatura; when that
fails the entry's own text is kept and the report says why. Each feed has a time budget
for all of it (Limits.feed_budget): past it, the remaining entries keep their own text, and
a site that timed out once is not asked for its other pages. New entries become articles
through the normal import path (`importer.store_new`: sanitised, content-hash ids,
entities in batches), each written in one transaction with its `feed_entries` fact. Only
the calling thread touches the library; the pools only fetch and parse.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from store.core import state
from store.core.errors import GlossError, ImportFailed, InvalidInput, LibraryError, NotFound
from store.core.models import FileResult, ImportReport
from store.ingest import feeds as subs
from store.ingest.fetch import PAGE_ACCEPT, Limits, TimedOut, check_url, client, decode_page, fetch
from store.ingest.importer import (
    Pending,
    enqueue,
    exists,
    known_id,
    store_new,
    title_key,
    write_tags,
)  # fmt: skip

if TYPE_CHECKING:
    import httpx

    from store.core.handle import Handle
    from store.ingest.parse.common import Parsed
    from store.ingest.parse.feed import Entry

# An entry with at least this many words of its own is the whole article; a shorter one
# is a summary, and its page is fetched for the full text.
FULL_TEXT_WORDS = 150
HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class FeedResult:
    """What one refresh did for one feed."""

    feed_id: str
    url: str
    title: str
    status: str = "ok"  # "ok" | "not-modified" | "failed" | "cancelled"
    new: int = 0  # articles added
    present: int = 0  # entries already in the library (from this feed or elsewhere)
    full_text: int = 0  # new articles whose page was fetched and extracted
    kept_summary: int = 0  # new articles kept with the entry's own (short) text
    skipped: int = 0  # entries that could not become an article (nothing stored)
    untitled: int = 0  # new articles whose entry had no title (titled from its text)
    unlinked: int = 0  # new articles whose entry had no link (its text is all there is)
    error: str | None = None  # why the feed failed
    messages: list[str] = field(default_factory=list)  # per-entry notes, warnings
    articles: list[str] = field(default_factory=list)  # ids of the new articles

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RefreshReport:
    feeds: list[FeedResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.feeds)

    @property
    def failed(self) -> int:
        return sum(1 for f in self.feeds if f.status == "failed")

    def to_json(self) -> dict[str, Any]:
        return {
            "new": self.total("new"),
            "present": self.total("present"),
            "full_text": self.total("full_text"),
            "kept_summary": self.total("kept_summary"),
            "skipped": self.total("skipped"),
            "untitled": self.total("untitled"),
            "unlinked": self.total("unlinked"),
            "not_modified": sum(1 for f in self.feeds if f.status == "not-modified"),
            "failed": self.failed,
            "warnings": self.warnings,
            "feeds": [f.to_json() for f in self.feeds],
        }


@dataclass
class _Item:
    """One new entry, fetched and parsed in a worker: its article, or why there is none."""

    entry: Entry
    parsed: Parsed | None = None
    how: str = "content"  # "content" | "full_text" | "kept_summary"
    note: str | None = None  # for the report: why kept with its own text, or why skipped
    stored: bool = False  # it became a new article (a "kept" note is shown only then)


@dataclass
class _Outcome:
    result: FeedResult
    items: list[_Item] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None


# -- probing a URL for `feed add` -------------------------------------------------------------


def probe(url: str, limits: Limits) -> tuple[str, str, str | None]:
    """(feed URL, feed title, page it was discovered on or None) for a feed or a page
    announcing one; FetchFailed / ImportFailed say why not."""
    from store.ingest.parse.feed import discover, parse_feed

    with client(limits) as http:
        got = fetch(http, url, limits)
        body = got.body or b""
        try:
            return url, parse_feed(body, got.url, got.content_type).title, None
        except ImportFailed as exc:
            if "HTML page" not in str(exc):
                raise
            found = discover(decode_page(body, got.content_type), got.url)
            if not found:
                raise ImportFailed(
                    "not a feed: the URL gives an HTML page that names no feed"
                ) from None
            feed_url = check_url(found[0])
            got = fetch(http, feed_url, limits)
            return feed_url, parse_feed(got.body or b"", got.url, got.content_type).title, url


# -- refresh ----------------------------------------------------------------------------------


def refresh(
    h: Handle,
    feed_ids: Sequence[str] | None,
    progress: Callable[[int, int, str], None] | None,
    limits: Limits,
    cancelled: Callable[[], bool] | None = None,
) -> RefreshReport:
    if h.readonly:
        raise LibraryError(f"library {h.path} is read-only; feeds cannot be refreshed")
    report = RefreshReport()
    if feed_ids is None:
        feeds = subs.list_feeds(h)
    else:  # named feeds are refreshed even when unsubscribed
        known_feeds = {f.id: f for f in subs.list_feeds(h, include_unsubscribed=True)}
        missing = [f for f in feed_ids if f not in known_feeds]
        if missing:
            raise NotFound(f"no feed with id {missing[0]!r}")
        feeds = [known_feeds[f] for f in dict.fromkeys(feed_ids)]
    if not feeds:
        return report
    conn = h.conn
    known = {
        (fid, guid) for fid, guid in conn.execute("SELECT DISTINCT feed_id, guid FROM feed_entries")
    }
    validators = {
        r[0]: (r[1], r[2])
        for r in conn.execute("SELECT feed_id, etag, last_modified FROM feed_state")
    }
    outcomes: dict[str, _Outcome] = {}
    with (
        client(limits) as http,
        ThreadPoolExecutor(limits.parallel, thread_name_prefix="gloss-feed") as feed_pool,
    ):
        futures: dict[Future[_Outcome], subs.Feed] = {}
        for feed in feeds:
            etag, modified = validators.get(feed.id, (None, None))
            futures[feed_pool.submit(_refresh_one, http, feed, etag, modified, known, limits)] = (
                feed
            )
        for done, future in enumerate(as_completed(futures), start=1):
            feed = futures[future]
            outcomes[feed.id] = future.result()
            if progress:
                progress(done, len(feeds), outcomes[feed.id].result.title)
            if cancelled is not None and cancelled():
                for f in futures:
                    f.cancel()
                break
    for feed in feeds:
        if feed.id not in outcomes:
            outcomes[feed.id] = _Outcome(
                FeedResult(feed.id, feed.url, feed.title, "cancelled", error="cancelled")
            )
    _store(h, [outcomes[f.id] for f in feeds], report, progress)
    report.feeds = [outcomes[f.id].result for f in feeds]
    return report


def _refresh_one(
    http: httpx.Client,
    feed: subs.Feed,
    etag: str | None,
    modified: str | None,
    known: set[tuple[str, str]],
    limits: Limits,
) -> _Outcome:
    """Fetch and parse one feed and the pages of its new short entries (a worker thread),
    within the feed's time budget, which starts now (not while the feed waited its turn)."""
    out = _Outcome(FeedResult(feed.id, feed.url, feed.title))
    deadline = time.monotonic() + limits.feed_budget
    try:
        _fetch_feed(http, feed, etag, modified, known, limits, deadline, out)
    except GlossError as exc:
        out.result.status, out.result.error = "failed", str(exc)
    except Exception as exc:  # a bug or a library surprise: this feed fails, not the run
        out.result.status = "failed"
        out.result.error = f"internal error ({type(exc).__name__}: {exc})"[:300]
    return out


def _fetch_feed(
    http: httpx.Client,
    feed: subs.Feed,
    etag: str | None,
    modified: str | None,
    known: set[tuple[str, str]],
    limits: Limits,
    deadline: float,
    out: _Outcome,
) -> None:
    from store.ingest.parse.feed import parse_feed

    got = fetch(http, feed.url, limits, etag=etag, last_modified=modified, deadline=deadline)
    out.etag, out.last_modified = got.etag or etag, got.last_modified or modified
    if got.not_modified:
        out.result.status = "not-modified"
        return
    doc = parse_feed(got.body or b"", got.url, got.content_type)
    out.title = subs.clean_title(doc.title, feed.url)
    out.result.title = out.title
    if doc.warning:
        out.result.messages.append(doc.warning)
    fresh: dict[str, Entry] = {}
    for entry in doc.entries:
        if (feed.id, entry.guid) in known:
            out.result.present += 1
        else:
            fresh.setdefault(entry.guid, entry)
    silent: set[str] = set()  # sites that timed out: their other pages are not asked for
    # A pool per feed: a site that never answers holds this feed's threads, not the others'.
    with ThreadPoolExecutor(limits.parallel, thread_name_prefix="gloss-page") as pages:
        jobs = [
            pages.submit(_item, http, entry, limits, deadline, silent) for entry in fresh.values()
        ]
        out.items = [job.result() for job in jobs]


def _item(
    http: httpx.Client, entry: Entry, limits: Limits, deadline: float, silent: set[str]
) -> _Item:
    """An entry's article: its own text when long enough (or when it has no link), else
    its page's main text, fetched unless the feed's time is up or the site went silent."""
    from store.ingest.parse.feed import entry_article

    item = _Item(entry)
    if entry.words >= FULL_TEXT_WORDS or not entry.link:
        item.parsed = _own_text(item)
        return item
    site = urlsplit(entry.link).netloc
    out_of_time = f"the feed's time limit ({limits.feed_budget:g} s) ran out"
    if time.monotonic() >= deadline:
        why = out_of_time
    elif site in silent:
        why = "its site did not answer an earlier page"
    else:
        try:
            item.parsed = entry_article(entry, fetch_page(http, entry.link, limits, deadline))
            item.how = "full_text"
            if len(item.parsed.text.split()) >= entry.words:
                return item
            why = "the page has less text than the entry"
        except TimedOut as exc:
            silent.add(site)
            why = out_of_time if exc.by_deadline or time.monotonic() >= deadline else str(exc)
        except GlossError as exc:
            why = str(exc)
    item.how = "kept_summary"
    item.parsed = _own_text(item, why)
    if item.parsed is not None:
        item.note = f"kept the entry's own text for {entry.label()}: {why}"
    return item


def _own_text(item: _Item, page_failed: str | None = None) -> Parsed | None:
    """The entry's own text as an article, or None with the reason in item.note."""
    from store.ingest.parse.feed import entry_article

    entry = item.entry
    try:
        return entry_article(entry)
    except ImportFailed as exc:
        why = str(exc)
        if not (entry.title or entry.link or entry.words):
            why = "it has no title, link or text"
        elif page_failed:
            why = f"{page_failed}; its own text: {why}"
        item.note = f"skipped {entry.label()}: {why}"
        return None


def fetch_page(
    http: httpx.Client, url: str, limits: Limits, deadline: float | None = None
) -> Parsed:
    """A web page's main text and metadata (trafilatura); FetchFailed / ImportFailed."""
    from store.ingest.parse.html import parse_html

    got = fetch(http, check_url(url), limits, accept=PAGE_ACCEPT, deadline=deadline)
    kind = got.content_type.split(";")[0].strip().lower()
    if kind and kind not in HTML_TYPES:
        raise ImportFailed(f"not an HTML page ({kind[:80]})")
    return parse_html(decode_page(got.body or b"", got.content_type), url=got.url)


def _store(
    h: Handle,
    outcomes: list[_Outcome],
    report: RefreshReport,
    progress: Callable[[int, int, str], None] | None,
) -> None:
    """Import every new entry in one pass (one analysis stream), then record fetch state."""
    pending: list[Pending] = []
    owners: list[tuple[_Outcome, _Item]] = []
    linked: list[tuple[_Outcome, _Item, str]] = []  # entries whose article is already here
    seen: dict[str, str] = {}  # id -> title key, as importer.enqueue keeps it
    tags = _feed_tags(h, [out.result.feed_id for out in outcomes])
    for out in outcomes:
        for item in out.items:
            if item.parsed is None:
                out.result.skipped += 1
                continue
            item.parsed.tags += tags.get(out.result.feed_id, [])  # a feed's tags: its articles'
            aid = known_id(h, item.parsed.title, item.parsed.text, seen)
            if aid in seen or exists(h, aid):
                out.result.present += 1
                linked.append((out, item, aid))
                continue
            seen[aid] = title_key(item.parsed.title)
            source = item.entry.link or f"{out.result.url}#{item.entry.guid}"
            result = FileResult(source, "failed", aid, item.parsed.title)
            pending.append((result, item.parsed, source))
            owners.append((out, item))

    def on_insert(conn, n: int, aid: str) -> None:
        out, item = owners[n]
        _entry_fact(h, conn, out.result.feed_id, item.entry, aid)
        item.stored = True
        out.result.new += 1
        out.result.untitled += not item.entry.title
        out.result.unlinked += not item.entry.link
        out.result.articles.append(aid)
        if item.how == "full_text":
            out.result.full_text += 1
        elif item.how == "kept_summary":
            out.result.kept_summary += 1

    imported = ImportReport()
    step = (lambda d, t: progress(d, t, "storing articles")) if progress and pending else None
    store_new(h, pending, imported, step, 0, on_insert)
    report.warnings += imported.warnings
    for out in outcomes:  # in entry order; "kept" only for what was stored
        notes = [i.note for i in out.items if i.note and (i.stored or i.parsed is None)]
        out.result.messages += notes
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with h.write() as conn:
        tagged: list[int] = []
        for out, item, aid in linked:
            _entry_fact(h, conn, out.result.feed_id, item.entry, aid)
            tagged += _tag_with(h, conn, aid, tags.get(out.result.feed_id, []))
        state.rebuild(conn, tagged)
        for out in outcomes:
            r = out.result
            if r.status == "cancelled":
                continue
            if out.title:
                subs.set_title(h, conn, r.feed_id, out.title)
            conn.execute(
                "INSERT OR REPLACE INTO feed_state (feed_id, etag, last_modified, last_fetch,"
                " last_status, last_error) VALUES (?, ?, ?, ?, ?, ?)",
                (r.feed_id, out.etag, out.last_modified, now, r.status, r.error),
            )


def _feed_tags(h: Handle, feed_ids: list[str]) -> dict[str, list[str]]:
    """Each feed's tags (`gloss feed add URL --tag T`, OPML folders): its articles get them."""
    return {f.id: list(f.tags) for f in subs.list_feeds(h, include_unsubscribed=True)
            if f.id in set(feed_ids) and f.tags}  # fmt: skip


def _tag_with(h: Handle, conn, aid: str, tags: list[str]) -> list[int]:
    """Tag an article already in the library with its feed's tags it lacks: [its key] when
    a tag was added."""
    key = conn.execute("SELECT key FROM articles WHERE id = ?", (aid,)).fetchone()[0]
    have = {r[0] for r in conn.execute("SELECT tag FROM article_tags WHERE article = ?", (key,))}
    new = [t for t in tags if t not in have]
    write_tags(h, conn, key, new)
    return [key] if new else []


def _entry_fact(h: Handle, conn, fid: str, entry: Entry, aid: str) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO feed_entries (feed_id, guid, article, link, published, hlc,"
        " device) SELECT ?, ?, key, ?, ?, ?, ? FROM articles WHERE id = ?",
        (fid, entry.guid, entry.link, entry.published, h.stamp(conn), h.device_id, aid),
    )


# -- saving web pages -------------------------------------------------------------------------


def import_urls(
    h: Handle,
    urls: Sequence[str],
    progress: Callable[[int, int], None] | None,
    limits: Limits,
) -> ImportReport:
    """Fetch pages in parallel, extract each one's article, import the new ones."""
    report = ImportReport()
    checked: list[tuple[FileResult, str | None]] = []
    for url in urls:
        result = FileResult(url.strip(), "failed")
        report.results.append(result)
        try:
            checked.append((result, check_url(url)))
        except InvalidInput as exc:
            result.reason = str(exc)
    pending: list[Pending] = []
    seen: dict[str, str] = {}
    with client(limits) as http, ThreadPoolExecutor(limits.parallel) as pool:
        jobs = [(r, pool.submit(fetch_page, http, u, limits)) for r, u in checked]
        for result, job in jobs:
            try:
                parsed = job.result()
            except GlossError as exc:
                result.reason = str(exc)
                continue
            parsed.url = check_url(result.path)
            enqueue(h, result, parsed, parsed.url, seen, pending)
    store_new(h, pending, report, progress, 0)
    return report
