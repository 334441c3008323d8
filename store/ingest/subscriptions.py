"""`lib.feeds`: the typed sub-object over one library's feeds (subscriptions, their
articles, refresh, saved pages, OPML), apart from store.ingest.feeds so that feeds, refresh
and opml import one another in one direction only."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from store.core.errors import GlossError
from store.core.sanitize import normalise_tag
from store.ingest.feeds import (
    Feed,
    Subscribed,
    apply_subscription,
    feed_articles,
    feed_id,
    feeds_of,
    get_feed,
    list_feeds,
    resolve_feed,
    tag_feed,
    unsubscribe,
)
from store.ingest.fetch import Limits, check_url

if TYPE_CHECKING:
    from pathlib import Path

    from store.core.handle import Handle
    from store.core.models import ArticleSummary, ImportReport
    from store.ingest.opml import OpmlReport
    from store.ingest.refresh import RefreshReport


class Feeds:
    """The feeds of one library (`lib.feeds`): subscriptions, their articles, refresh,
    saving pages, and OPML."""

    def __init__(self, h: Handle) -> None:
        self._h = h

    def list(self, include_unsubscribed: bool = False) -> list[Feed]:
        return list_feeds(self._h, include_unsubscribed)

    def get(self, fid: str) -> Feed:
        return get_feed(self._h, fid)

    def resolve(self, ref: str) -> str:
        """A feed's id from a unique id prefix or its exact URL."""
        return resolve_feed(self._h, ref)

    def articles(self, fid: str, limit: int | None = None) -> list[ArticleSummary]:
        return feed_articles(self._h, fid, limit)

    def of(self, article_id: str) -> list[Feed]:
        """The feeds an article came from."""
        return feeds_of(self._h, article_id)

    def unsubscribe(self, fid: str) -> Feed:
        return unsubscribe(self._h, fid)

    def tag(self, fid: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> Feed:
        return tag_feed(self._h, fid, add, remove)

    def subscribe(
        self, url: str, tags: Iterable[str] = (), limits: Limits | None = None
    ) -> Subscribed:
        """Fetch url once to check it is a feed (or a page announcing one) and subscribe.
        FetchFailed or ImportFailed (one line each) when it is neither."""
        from store.ingest.refresh import probe

        h = self._h
        names = [normalise_tag(t) for t in tags]
        url = check_url(url)
        try:
            feed_url, title, page = probe(url, limits or Limits())
        except GlossError as exc:  # FetchFailed or ImportFailed: say what was being done
            raise type(exc)(f"cannot subscribe to {url}: {exc}") from None
        fid = feed_id(feed_url)
        with h.write() as conn:
            new = apply_subscription(h, conn, fid, feed_url, title, names)
        return Subscribed(get_feed(h, fid), new, page)

    def refresh(
        self,
        feed_ids: Sequence[str] | None = None,
        progress: Callable[[int, int, str], None] | None = None,
        limits: Limits | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> RefreshReport:
        """Fetch subscribed feeds (or these) and import their new entries (store.ingest.
        refresh). Safe from a worker thread; `progress(done, total, label)` reports each
        feed fetched, then each batch of articles stored."""
        from store.ingest.refresh import refresh as run

        return run(self._h, feed_ids, progress, limits or Limits(), cancelled)

    def import_urls(
        self,
        urls: Sequence[str],
        progress: Callable[[int, int], None] | None = None,
        limits: Limits | None = None,
    ) -> ImportReport:
        """Save web pages as articles (main text by trafilatura), like `import_paths`."""
        from store.ingest.refresh import import_urls as run

        return run(self._h, urls, progress, limits or Limits())

    def import_opml(self, path: Path) -> OpmlReport:
        """Subscribe to every feed of an OPML file (no fetching); a per-outline report."""
        from store.ingest.opml import import_opml

        return import_opml(self._h, path)

    def export_opml(self) -> str:
        """The subscriptions as an OPML document."""
        from store.ingest.opml import export_opml

        return export_opml(self._h)
