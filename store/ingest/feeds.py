"""Feed subscriptions: the API the CLI and the UI call.

Facts (synced): `feeds` (feed_id = hash of the normalised URL, url, title when first added),
`feed_events` (latest-wins per (feed, field) by (hlc, event_id): `subscribed` "1"/"0",
`title`, and `tag:<name>` "1"/"0") and `feed_entries` (which entry of which feed became which
article). Local state (never synced): `feed_state`, the validators and outcome of the last
fetch. A feed's current title, tags and subscription are computed from its events when
listed: there are few feeds, so no derived table is needed.

Nothing heavy loads at import: fetching, parsing and importing load on first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from store.core.errors import GlossError, NotFound
from store.core.ids import new_id
from store.core.sanitize import clean_line, normalise_tag
from store.find import reading
from store.ingest.fetch import check_url, url_id

if TYPE_CHECKING:
    import sqlite3

    from store.core.handle import Handle
    from store.core.models import ArticleSummary

MAX_TITLE = 500


@dataclass(frozen=True)
class Feed:
    """A feed as the reader sees it now."""

    id: str
    url: str
    title: str
    tags: tuple[str, ...]
    subscribed: bool
    articles: int = 0
    unread: int = 0
    last_fetch: str | None = None  # ISO time of the last refresh on this machine
    last_status: str | None = None  # "ok" | "not-modified" | "failed"
    last_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        return data


def feed_id(url: str) -> str:
    """The id a feed URL has on every machine (InvalidInput for a non-http(s) URL)."""
    return url_id(url)


# -- reading ------------------------------------------------------------------------------


def _current(conn: sqlite3.Connection, ids: Sequence[str] | None = None) -> dict[str, dict]:
    """Latest value of every field of every feed's events (or of these feeds)."""
    sql = "SELECT feed_id, field, value FROM feed_events"
    args: list[str] = []
    if ids is not None:
        sql += f" WHERE feed_id IN ({','.join('?' * len(ids))})"
        args = list(ids)
    latest: dict[str, dict[str, str]] = {}
    for fid, field, value in conn.execute(sql + " ORDER BY hlc, event_id", args):
        latest.setdefault(fid, {})[field] = value
    return latest


def list_feeds(h: Handle, include_unsubscribed: bool = False) -> list[Feed]:
    """Feeds sorted by title (subscribed ones only, unless asked), with article counts."""
    conn = h.conn
    latest = _current(conn)
    counts = {
        fid: (n, unread)
        for fid, n, unread in conn.execute(
            "SELECT fe.feed_id, count(DISTINCT fe.article),"
            " count(DISTINCT fe.article) FILTER (WHERE s.read = 0)"
            " FROM feed_entries fe JOIN article_state s ON s.article = fe.article"
            " WHERE s.superseded_by IS NULL GROUP BY fe.feed_id"
        )
    }
    local = {
        r[0]: r[1:]
        for r in conn.execute("SELECT feed_id, last_fetch, last_status, last_error FROM feed_state")
    }
    feeds = []
    for fid, url, title in conn.execute("SELECT feed_id, url, title FROM feeds"):
        fields = latest.get(fid, {})
        subscribed = fields.get("subscribed") == "1"
        if not subscribed and not include_unsubscribed:
            continue
        tags = tuple(sorted(f[4:] for f, v in fields.items() if f.startswith("tag:") and v == "1"))
        feeds.append(
            Feed(fid, url, fields.get("title") or title, tags, subscribed,
                 *counts.get(fid, (0, 0)), *local.get(fid, (None, None, None)))
        )  # fmt: skip
    return sorted(feeds, key=lambda f: (f.title.casefold(), f.url))


def get_feed(h: Handle, fid: str) -> Feed:
    for feed in list_feeds(h, include_unsubscribed=True):
        if feed.id == fid:
            return feed
    raise NotFound(f"no feed with id {fid!r}")


def resolve_feed(h: Handle, ref: str) -> str:
    """The full feed id for a unique id prefix, or for a feed's URL."""
    text = ref.strip()
    if "://" in text:
        fid = feed_id(text)
        if h.conn.execute("SELECT 1 FROM feeds WHERE feed_id = ?", (fid,)).fetchone():
            return fid
        raise NotFound(f"no feed with URL {text!r}")
    return h.resolve(text.lower(), "feeds", "feed_id", "feed", "[0-9a-f]")


def feed_articles(h: Handle, fid: str, limit: int | None = None) -> list[ArticleSummary]:
    """The current articles a feed brought, newest import first."""
    ids = [
        r[0]
        for r in h.conn.execute(
            "SELECT DISTINCT a.id FROM feed_entries fe"
            " JOIN article_state s ON s.article = fe.article JOIN articles a ON a.key = fe.article"
            " WHERE fe.feed_id = ? AND s.superseded_by IS NULL",
            (fid,),
        )
    ]
    rows = reading.list_articles(h, ids=ids)
    return rows[:limit] if limit is not None else rows


def feeds_of(h: Handle, article_id: str) -> list[Feed]:
    """The feeds an article came from (usually one; none for a file or page import)."""
    ids = {
        r[0]
        for r in h.conn.execute(
            "SELECT feed_id FROM feed_entries"
            " WHERE article = (SELECT key FROM articles WHERE id = ?)",
            (article_id,),
        )
    }
    return [f for f in list_feeds(h, include_unsubscribed=True) if f.id in ids]


# -- writing ------------------------------------------------------------------------------


def _event(h: Handle, conn: sqlite3.Connection, fid: str, field: str, value: str) -> None:
    conn.execute(
        "INSERT INTO feed_events (event_id, feed_id, field, value, hlc, device)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (new_id(), fid, field, value, h.stamp(conn), h.device_id),
    )


def clean_title(title: str | None, fallback: str) -> str:
    return clean_line(title or "")[:MAX_TITLE] or fallback


def add_feed(
    h: Handle, url: str, title: str | None = None, tags: Iterable[str] = ()
) -> tuple[Feed, bool]:
    """Subscribe to url without fetching it (OPML import; `subscribe` validates first),
    adding tags. Returns (the feed, True if it was not subscribed before)."""
    url = check_url(url)
    fid = feed_id(url)
    names = [normalise_tag(t) for t in tags]
    with h.write() as conn:
        new = apply_subscription(h, conn, fid, url, title, names)
    return get_feed(h, fid), new


def add_feeds(
    h: Handle, items: Sequence[tuple[str, str | None, Iterable[str]]]
) -> list[tuple[Feed | None, bool, str | None]]:
    """add_feed for many (url, title, tags) in one transaction (an OPML import): for each,
    (the feed, True if newly subscribed, None) or (None, False, why it was refused)."""
    checked: list[tuple[str, str, str | None, list[str]] | str] = []
    for url, title, tags in items:
        try:
            url = check_url(url)
            checked.append((feed_id(url), url, title, [normalise_tag(t) for t in tags]))
        except GlossError as exc:
            checked.append(str(exc))
    news: list[bool] = []
    with h.write() as conn:
        for item in checked:
            news.append(not isinstance(item, str) and apply_subscription(h, conn, *item))
    by_id = {f.id: f for f in list_feeds(h, include_unsubscribed=True)}
    return [
        (None, False, item) if isinstance(item, str) else (by_id[item[0]], new, None)
        for item, new in zip(checked, news, strict=True)
    ]


def apply_subscription(
    h: Handle,
    conn: sqlite3.Connection,
    fid: str,
    url: str,
    title: str | None,
    tags: list[str],
) -> bool:
    """Record a subscription with its title and tags; True if newly subscribed."""
    fields = _current(conn, [fid]).get(fid, {})
    first = clean_title(title, url)
    conn.execute(
        "INSERT OR IGNORE INTO feeds (feed_id, url, title, hlc, device) VALUES (?, ?, ?, ?, ?)",
        (fid, url, first, h.stamp(conn), h.device_id),
    )
    new = fields.get("subscribed") != "1"
    if new:
        _event(h, conn, fid, "subscribed", "1")
    if title and fields.get("title") != clean_title(title, url):
        _event(h, conn, fid, "title", clean_title(title, url))
    for tag in tags:
        if fields.get(f"tag:{tag}") != "1":
            _event(h, conn, fid, f"tag:{tag}", "1")
    return new


def unsubscribe(h: Handle, fid: str) -> Feed:
    """Stop refreshing a feed; the articles it brought stay in the library."""
    feed = get_feed(h, fid)
    if feed.subscribed:
        with h.write() as conn:
            _event(h, conn, fid, "subscribed", "0")
    return get_feed(h, fid)


def tag_feed(h: Handle, fid: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> Feed:
    """Add and remove a feed's tags (folders in OPML and the sidebar)."""
    feed = get_feed(h, fid)
    adds = [normalise_tag(t) for t in add]
    removes = [normalise_tag(t) for t in remove]
    with h.write() as conn:
        for tag in adds:
            if tag not in feed.tags:
                _event(h, conn, fid, f"tag:{tag}", "1")
        for tag in removes:
            if tag in feed.tags:
                _event(h, conn, fid, f"tag:{tag}", "0")
    return get_feed(h, fid)


def set_title(h: Handle, conn: sqlite3.Connection, fid: str, title: str) -> None:
    """Record a feed's new title (inside a write), unless it already has it."""
    fields = _current(conn, [fid]).get(fid, {})
    current = (
        fields.get("title")
        or conn.execute("SELECT title FROM feeds WHERE feed_id = ?", (fid,)).fetchone()[0]
    )
    if title and title != current:
        _event(h, conn, fid, "title", title)


# -- the network: subscribe, refresh, pages, OPML -----------------------------------------


@dataclass(frozen=True)
class Subscribed:
    feed: Feed
    new: bool  # False: it was already subscribed (tags may have been added)
    discovered_from: str | None = None  # the page the feed URL was found on

    def to_json(self) -> dict[str, Any]:
        return {**self.feed.to_json(), "new": self.new, "discovered_from": self.discovered_from}


def converge_entries(conn: sqlite3.Connection, keys: Iterable[tuple[str, str]]) -> int:
    """After a merge: an entry that became different articles on two machines (its page
    changed between their fetches) keeps one current article everywhere. The entry's
    articles, ordered by (hlc, device, id), are linked as versions, each older one
    superseded by the next, with the stamp of the newer entry fact, so every machine
    writes the same facts whatever the order of syncs. Returns how many links were made."""
    from store.notes import versions

    linked = 0
    for fid, guid in sorted(keys):
        rows = conn.execute(  # ordered by the public id: the same order on every machine
            "SELECT fe.article, a.id, fe.hlc, fe.device FROM feed_entries fe"
            " JOIN articles a ON a.key = fe.article WHERE fe.feed_id = ? AND fe.guid = ?"
            " ORDER BY fe.hlc, fe.device, a.id",
            (fid, guid),
        ).fetchall()
        for (old, old_hex, _, _), (new, new_hex, stamp, device) in zip(
            rows, rows[1:], strict=False
        ):
            done = conn.execute(
                "SELECT 1 FROM article_versions WHERE old = ? AND new = ?", (old, new)
            ).fetchone()
            if not done:
                versions.supersede(conn, old_hex, new_hex, stamp, device)
                linked += 1
    return linked
