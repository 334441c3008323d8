"""Feeds and web pages, against a local HTTP server started here (no internet).

The server serves tests/fixtures/feeds/ with `{{BASE}}` replaced by its own address, sends
ETag and Last-Modified and answers conditional requests with 304, gzips when asked, and has
routes for the failures a real feed can have (404, redirect loop, too many redirects, a slow
answer, an over-size body, a gzip bomb). `python -m tests.store.ingest.test_feeds` prints the time
of a 20 feeds x 50 entries refresh.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from store import Library
from store.core.errors import ImportFailed, InvalidInput
from store.core.sanitize import has_unsafe
from store.ingest import feeds
from store.ingest.fetch import Limits, check_url
from tests.conftest import FIXTURES

FEEDS = FIXTURES / "feeds"
LAST_MODIFIED = "Mon, 09 Mar 2026 12:00:00 GMT"
FAST = Limits(timeout=3.0, max_bytes=256 * 1024, max_redirects=5, parallel=4)
TYPES = {".xml": "application/xml", ".html": "text/html; charset=utf-8",
         ".opml": "text/x-opml"}  # fmt: skip


# -- the server -----------------------------------------------------------------------------------


@dataclass
class FeedServer:
    base: str = ""
    routes: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # dynamic content
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    slow_seconds: float = 1.5

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    @property
    def feeds(self) -> FeedServer:
        return self.server.feeds  # type: ignore[attr-defined]

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        self.feeds.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
        if path in ("/loop", "/loop-b"):
            return self.redirect("/loop-b" if path == "/loop" else "/loop")
        if m := re.fullmatch(r"/hop/(\d+)", path):
            return self.redirect(f"/hop/{int(m.group(1)) + 1}")
        if path == "/moved/rss.xml":
            return self.redirect("/rss.xml", 301)
        if path == "/slow.xml":
            time.sleep(self.feeds.slow_seconds)
            return self.send(b"<rss/>", "application/xml")
        if path == "/huge.xml":
            return self.send(big_feed(400 * 1024), "application/xml", compress=False)
        if path == "/bomb.xml":  # 1 MiB of XML in a few kB of gzip
            body = gzip.compress(big_feed(1024 * 1024))
            return self.send(body, "application/xml", compress=False, encoding="gzip")
        if path in self.feeds.routes:
            return self.send(*self.feeds.routes[path])
        file = (FEEDS / path.lstrip("/")).resolve()
        if not file.is_file() or FEEDS not in file.parents:
            return self.send(b"<h1>Not Found</h1>", "text/html", status=404)
        body = file.read_bytes().replace(b"{{BASE}}", self.feeds.base.encode())
        return self.send(body, TYPES.get(file.suffix, "application/octet-stream"))

    def redirect(self, to: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send(self, body: bytes, ctype: str, status: int = 200, compress: bool = True,
             encoding: str | None = None) -> None:  # fmt: skip
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if status == 200 and (
            self.headers.get("If-None-Match") == etag
            or self.headers.get("If-Modified-Since") == LAST_MODIFIED
            and self.headers.get("If-None-Match") is None
        ):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if compress and "gzip" in self.headers.get("Accept-Encoding", ""):
            body, encoding = gzip.compress(body), "gzip"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", LAST_MODIFIED)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()
        self.wfile.write(body)


def big_feed(size: int) -> bytes:
    item = b"<item><title>Padding</title><description>" + b"x" * 1000 + b"</description></item>"
    head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>'
    return head + item * (size // len(item) + 1) + b"</channel></rss>"


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (timeout, size cap) resets the connection: expected


@contextmanager
def serve() -> Iterator[FeedServer]:
    state = FeedServer()
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.feeds = state  # type: ignore[attr-defined]
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def _server() -> Iterator[FeedServer]:
    with serve() as state:
        yield state


@pytest.fixture
def server(_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> FeedServer:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    _server.routes.clear()
    _server.requests.clear()
    return _server


def add(lib: Library, server: FeedServer, path: str, *tags: str) -> str:
    feed, _ = feeds.add_feed(lib.handle, server.url(path), tags=tags)
    return feed.id


def by_url(report, server: FeedServer, path: str):
    (result,) = [r for r in report.feeds if r.url == server.url(path)]
    return result


# -- feeds that work ------------------------------------------------------------------------------


def test_rss_with_full_content(fresh_lib: Library, server: FeedServer, no_model: None) -> None:
    fid = add(fresh_lib, server, "/rss.xml")
    report = fresh_lib.feeds.refresh(limits=FAST)
    (r,) = report.feeds
    assert (r.status, r.new, r.present, r.full_text, r.kept_summary, r.error) == (
        "ok", 3, 0, 0, 0, None,
    )  # fmt: skip
    assert r.title == "Harbour Gazette"
    assert [p for p, _ in server.requests] == ["/rss.xml"]  # full content: no page fetched
    articles = {a.title: a for a in fresh_lib.feeds.articles(fid)}
    ferry = articles["Council approves new ferry timetable after months of complaints"]
    assert ferry.byline == "Marta Lindqvist"
    assert ferry.published == "2026-03-09T07:15:00+00:00"
    assert ferry.source == server.url("/news/ferry-timetable")
    full = fresh_lib.get_article(ferry.id)
    assert full.text.startswith("The town council voted on Thursday evening")
    assert [s.title for s in full.sections] == ["Costs and funding"]
    assert "not have to choose between a job and getting home" in full.text
    (feed,) = fresh_lib.feeds.list()
    assert (feed.title, feed.articles, feed.unread, feed.last_status) == (
        "Harbour Gazette", 3, 3, "ok",
    )  # fmt: skip
    fresh_lib.set_read(ferry.id, True)
    assert fresh_lib.feeds.list()[0].unread == 2
    assert [f.id for f in fresh_lib.feeds.of(ferry.id)] == [fid]


def test_atom_feed(fresh_lib: Library, server: FeedServer, no_model: None) -> None:
    fid = add(fresh_lib, server, "/atom.xml")
    (r,) = fresh_lib.feeds.refresh(limits=FAST).feeds
    assert (r.status, r.new, r.title) == ("ok", 2, "Mountain Weather Desk")
    rows = sorted(fresh_lib.feeds.articles(fid), key=lambda a: a.title)
    assert [(a.title, a.byline, a.published, a.source) for a in rows] == [
        ("Avalanche warning raised to level four in the northern valleys", "Kari Nordmann",
         "2026-03-10T05:30:00+00:00", server.url("/weather/avalanche-level-four")),
        ("Record sunshine hours recorded at coastal station", "Kari Nordmann",
         "2026-03-09T18:00:00+00:00", server.url("/weather/sunshine-record")),
    ]  # fmt: skip
    text = fresh_lib.get_article(rows[1].id).text
    assert text.startswith("The coastal weather station at Vardø recorded 212 hours")


def test_summaries_get_full_text_from_their_pages(
    fresh_lib: Library, server: FeedServer, no_model: None
) -> None:
    fid = add(fresh_lib, server, "/summaries.xml")
    (r,) = fresh_lib.feeds.refresh(limits=FAST).feeds
    assert (r.status, r.new, r.full_text, r.kept_summary) == ("ok", 3, 2, 1)
    assert len(r.messages) == 1
    assert "removed-story.html" in r.messages[0] and "HTTP 404" in r.messages[0]
    rows = {a.title: a for a in fresh_lib.feeds.articles(fid)}
    depot = fresh_lib.get_article(rows["Tram depot plan wins planning approval"].id)
    assert depot.summary.byline == "Lena Fischer"  # the feed's author
    assert depot.summary.source == server.url("/articles/tram-depot.html")
    assert "noise wall along the northern edge" in depot.text
    assert [s.title for s in depot.sections] == ["Neighbours' concerns", "What happens next"]
    for junk in ("TRACKING SCRIPT TEXT", "This comment should not appear", "Accept all",
                 "Most read", "Read more"):  # fmt: skip
        assert junk not in depot.text
    clinic = fresh_lib.get_article(rows["Hospital opens night clinic for minor injuries"].id)
    assert clinic.summary.byline == "Amir Haddad"  # the page's, as the feed has none
    assert "Dr Camilla Strand" in clinic.text and "Sign up" not in clinic.text
    bridge = fresh_lib.get_article(rows["Bridge repairs delayed again"].id)
    assert bridge.text == (
        "Repairs to the old bridge will not start before June, the roads agency said, because"
        " the steel ordered for the deck failed its quality tests."
    )


def test_second_refresh_is_not_modified_and_new_entries_arrive(
    fresh_lib: Library, server: FeedServer, no_model: None
) -> None:
    add(fresh_lib, server, "/rss.xml")
    add(fresh_lib, server, "/atom.xml")
    first = fresh_lib.feeds.refresh(limits=FAST)
    assert first.total("new") == 5
    server.requests.clear()
    second = fresh_lib.feeds.refresh(limits=FAST)
    assert [(r.status, r.new) for r in second.feeds] == [("not-modified", 0)] * 2
    assert all(h.get("if-none-match") for _, h in server.requests)
    assert all(h.get("if-modified-since") == LAST_MODIFIED for _, h in server.requests)
    # the feed changes: one new entry, the others known by their guid (no page fetches)
    body = (FEEDS / "rss.xml").read_text().replace("{{BASE}}", server.base)
    body = body.replace("harbour-gazette-1003", "harbour-gazette-1004").replace(
        "The public library on Kirkegata", "The old public library on Kirkegata"
    )
    server.routes["/rss.xml"] = (body.encode(), "application/rss+xml")
    third = fresh_lib.feeds.refresh(limits=FAST)
    rss = by_url(third, server, "/rss.xml")
    assert (rss.status, rss.new, rss.present) == ("ok", 1, 2)
    assert by_url(third, server, "/atom.xml").status == "not-modified"


def test_progress_and_cancel(fresh_lib: Library, server: FeedServer, no_model: None) -> None:
    for path in ("/rss.xml", "/atom.xml", "/summaries.xml"):
        add(fresh_lib, server, path)
    calls: list[tuple[int, int, str]] = []
    report = fresh_lib.feeds.refresh(progress=lambda *a: calls.append(a), limits=FAST)
    assert sorted(calls[:3]) == [
        (1, 3, calls[0][2]), (2, 3, calls[1][2]), (3, 3, calls[2][2]),
    ]  # fmt: skip
    assert {c[2] for c in calls[:3]} == {"Harbour Gazette", "Mountain Weather Desk",
                                         "City Desk Briefs"}  # fmt: skip
    assert calls[3:] == [(0, 8, "storing articles"), (8, 8, "storing articles")]
    assert report.total("new") == 8
    # cancelled after the first feed: the feeds not fetched are left for the next refresh
    with Library.open(fresh_lib.path.with_name("other.db")) as other:
        for path in ("/rss.xml", "/atom.xml", "/summaries.xml"):
            add(other, server, path)
        one = Limits(timeout=3.0, parallel=1)
        report = other.feeds.refresh(limits=one, cancelled=lambda: True)
        statuses = sorted(r.status for r in report.feeds)
        assert statuses[0] == "cancelled" and "ok" in statuses
        done = {r.feed_id for r in report.feeds if r.status == "ok"}
        assert {f.id for f in other.feeds.list() if f.last_status} == done
        again = other.feeds.refresh(limits=FAST)
        assert {r.feed_id for r in again.feeds if r.status == "ok"} == {
            f.id for f in other.feeds.list()
        } - done


def test_gzip_and_a_followed_redirect(fresh_lib: Library, server: FeedServer, no_model) -> None:
    add(fresh_lib, server, "/moved/rss.xml")
    (r,) = fresh_lib.feeds.refresh(limits=FAST).feeds
    assert (r.status, r.new) == ("ok", 3)
    assert server.hits("/rss.xml")[0]["accept-encoding"].startswith("gzip")


# -- feeds that fail ------------------------------------------------------------------------------


FAILURES = [
    ("/malformed.xml", r"^malformed feed \(not well-formed \(invalid token\)\)$"),
    ("/homepage.html", r"^not a feed: the URL gives an HTML page$"),
    ("/missing.xml", r"^HTTP 404 Not Found$"),
    ("/loop", r"^redirect loop$"),
    ("/hop/1", r"^too many redirects \(more than 5\)$"),
    ("/slow.xml", r"^timed out after 0\.5 s$"),
    ("/huge.xml", r"^too large \(410,\d{3} bytes; the limit is 262,144 bytes\)$"),
    ("/bomb.xml", r"^too large \(more than 262,144 bytes; the limit is 262,144 bytes\)$"),
]


@pytest.mark.parametrize(("path", "reason"), FAILURES, ids=[p for p, _ in FAILURES])
def test_a_failing_feed_is_reported_and_the_others_deliver(
    fresh_lib: Library, server: FeedServer, no_model: None, path: str, reason: str
) -> None:
    limits = Limits(timeout=0.5 if path == "/slow.xml" else 3.0, max_bytes=256 * 1024)
    add(fresh_lib, server, "/rss.xml")
    add(fresh_lib, server, path)
    add(fresh_lib, server, "/atom.xml")
    report = fresh_lib.feeds.refresh(limits=limits)
    bad = by_url(report, server, path)
    assert bad.status == "failed" and re.match(reason, bad.error or ""), bad.error
    assert (bad.new, bad.articles) == (0, [])
    assert by_url(report, server, "/rss.xml").new == 3
    assert by_url(report, server, "/atom.xml").new == 2
    assert report.failed == 1 and report.to_json()["failed"] == 1
    (feed,) = [f for f in fresh_lib.feeds.list() if f.url == server.url(path)]
    assert (feed.last_status, feed.last_error) == ("failed", bad.error)


def test_only_http_and_https(fresh_lib: Library, gloss, no_model: None) -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/feed.xml", "javascript:alert(1)",
                "example.org/feed.xml", "http://"):  # fmt: skip
        with pytest.raises(InvalidInput):
            feeds.add_feed(fresh_lib.handle, url)
    code, out, err = gloss("feed", "add", "file:///etc/passwd", db=fresh_lib.path)
    assert code == 1 and out == ""
    assert err == (
        "gloss: error: only http and https URLs can be fetched, not file: URLs"
        " ('file:///etc/passwd')\n"
    )
    code, out, err = gloss("import", "ftp://example.org/a.html", "--json", db=fresh_lib.path)
    assert code == 1
    (result,) = json.loads(out)["files"]
    assert result["status"] == "failed" and "not ftp: URLs" in result["reason"]
    assert check_url("HTTP://Example.ORG:80/a?b=1#frag") == "http://example.org/a?b=1"


def test_feed_add_reports_failures_in_one_line(fresh_lib: Library, server: FeedServer, gloss):
    for path, reason in [("/missing.xml", "HTTP 404 Not Found"), ("/loop", "redirect loop"),
                         ("/homepage.html", "an HTML page that names no feed")]:  # fmt: skip
        code, out, err = gloss("feed", "add", server.url(path), db=fresh_lib.path)
        assert code == 1 and out == "" and err.count("\n") == 1
        assert err.startswith("gloss: error: ") and reason in err
    assert fresh_lib.feeds.list() == []


def test_feed_add_discovers_the_feed_a_page_names(fresh_lib: Library, server: FeedServer) -> None:
    done = fresh_lib.feeds.subscribe(server.url("/site.html"), ["local"], FAST)
    assert (done.new, done.discovered_from) == (True, server.url("/site.html"))
    assert (done.feed.url, done.feed.title, done.feed.tags) == (
        server.url("/rss.xml"), "Harbour Gazette", ("local",),
    )  # fmt: skip
    again = fresh_lib.feeds.subscribe(server.url("/rss.xml"), limits=FAST)
    assert again.new is False and again.feed.id == done.feed.id


# -- subscriptions --------------------------------------------------------------------------------


def test_unsubscribe_keeps_articles_and_stops_refreshing(
    fresh_lib: Library, server: FeedServer, no_model: None
) -> None:
    fid = add(fresh_lib, server, "/rss.xml", "news")
    fresh_lib.feeds.refresh(limits=FAST)
    feed = fresh_lib.feeds.unsubscribe(fid)
    assert (feed.subscribed, feed.articles) == (False, 3)
    assert fresh_lib.feeds.list() == []
    assert len(fresh_lib.list_articles()) == 3
    assert fresh_lib.feeds.refresh(limits=FAST).feeds == []
    feed, changed = feeds.add_feed(fresh_lib.handle, server.url("/rss.xml"))
    assert changed and feed.subscribed and feed.tags == ("news",)


def test_feed_tags(fresh_lib: Library, server: FeedServer) -> None:
    fid = add(fresh_lib, server, "/rss.xml", "News/Local")
    assert fresh_lib.feeds.get(fid).tags == ("news/local",)
    feed = fresh_lib.feeds.tag(fid, add=["world"], remove=["news/local"])
    assert feed.tags == ("world",)
    with pytest.raises(InvalidInput):
        fresh_lib.feeds.tag(fid, add=["bad;tag"])


def test_opml_round_trip(
    fresh_lib: Library, server: FeedServer, tmp_path: Path, no_model: None
) -> None:
    src = tmp_path / "in.opml"
    src.write_text((FEEDS / "subscriptions.opml").read_text().replace("{{BASE}}", server.base))
    report = fresh_lib.feeds.import_opml(src)
    assert report.skipped == [
        "gopher://example.org/feed: only http and https URLs can be fetched, not gopher:"
        " URLs ('gopher://example.org/feed')"
    ]

    def subs(lib: Library) -> list[tuple]:
        return [(f.id, f.url, f.title, f.tags) for f in lib.feeds.list()]

    assert subs(fresh_lib) == [
        (feeds.feed_id(server.url("/summaries.xml")), server.url("/summaries.xml"),
         "City Desk Briefs", ()),
        (feeds.feed_id(server.url("/rss.xml")), server.url("/rss.xml"), "Harbour Gazette",
         ("news",)),
        (feeds.feed_id(server.url("/atom.xml")), server.url("/atom.xml"),
         "Mountain Weather Desk", ("news/tech-science", "science/climate", "weather")),
    ]  # fmt: skip
    exported = tmp_path / "out.opml"
    exported.write_text(fresh_lib.feeds.export_opml())
    with Library.open(tmp_path / "other.db") as other:
        again = other.feeds.import_opml(exported)
        assert (len(again.added), again.skipped) == (3, [])
        assert subs(other) == subs(fresh_lib)
    assert fresh_lib.feeds.import_opml(exported).added == []  # idempotent
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline")
    with pytest.raises(ImportFailed, match="not valid OPML"):
        fresh_lib.feeds.import_opml(bad)


# -- hostile content ------------------------------------------------------------------------------

HOSTILE = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
    "<title>Evil \x1b]52;c;ZXZpbA==\x07 feed \x1b[2J [bold]x[/bold]</title>"
    "<item><title>Title \x1b]52;c;ZXZpbA==\x07 with \x1b[2J escapes \u009b31m [bold]x[/bold]"
    " &lt;script&gt;alert(1)&lt;/script&gt;</title>"
    "<link>{base}/evil</link><guid>evil-1</guid>"
    "<author>x@y (Eve \x1b[31mRed\x1b[0m [link=http://evil.test]z[/link])</author>"
    "<description><![CDATA[<p>Para \x1b]52;c;ZXZpbA==\x07 one [bold]not markup[/bold]"
    " <script>document.write('SCRIPT RAN')</script>\x1b[2J\u009b2J " + "word " * 160 + "</p>"
    "<p>[/] [link=http://evil.test]click[/link] \u202eevil</p>]]></description></item>"
    "</channel></rss>"
)


def test_hostile_entries_arrive_inert(
    fresh_lib: Library, server: FeedServer, gloss, no_model: None
) -> None:
    server.routes["/evil.xml"] = (HOSTILE.format(base=server.base).encode(), "application/xml")
    add(fresh_lib, server, "/evil.xml")
    code, out, err = gloss("refresh", db=fresh_lib.path)
    assert code == 0, err
    (a,) = fresh_lib.list_articles()
    article = fresh_lib.get_article(a.id)
    fields = [a.title, a.byline or "", a.source or "", article.text]
    fields += [f.title for f in fresh_lib.feeds.list()]
    fields += [r[0] for r in fresh_lib.conn.execute("SELECT guid || link FROM feed_entries")]
    for value in fields:
        assert not has_unsafe(value), repr(value)
    assert "[bold]x[/bold]" in a.title and "<script>alert(1)</script>" in a.title
    assert "[bold]not markup[/bold]" in article.text
    assert "[link=http://evil.test]click[/link]" in article.text
    assert "SCRIPT RAN" not in article.text and "2J" not in article.text
    assert fresh_lib.feeds.list()[0].title == "Evil feed [bold]x[/bold]"
    for args in (("feed", "list"), ("feed", "list", "--json"), ("list",), ("show", a.id[:8]),
                 ("refresh", "--json")):  # fmt: skip
        code, out, err = gloss(*args, db=fresh_lib.path)
        assert code == 0, err
        assert not has_unsafe(out.replace("\n", "")) and not has_unsafe(err), args


# -- sync -----------------------------------------------------------------------------------------


def test_subscriptions_and_articles_sync(
    fresh_lib: Library, server: FeedServer, tmp_path: Path, no_model: None
) -> None:
    folder = tmp_path / "Sync"
    folder.mkdir()
    fid = add(fresh_lib, server, "/rss.xml", "news")
    add(fresh_lib, server, "/summaries.xml")
    fresh_lib.feeds.refresh(limits=FAST)
    gone = add(fresh_lib, server, "/atom.xml")
    fresh_lib.feeds.unsubscribe(gone)
    fresh_lib.sync(folder)
    with Library.open(tmp_path / "second.db") as second:
        report = second.sync(folder)
        assert report.peers[0].refused == 0
        mine = [(f.id, f.url, f.title, f.tags, f.articles) for f in fresh_lib.feeds.list()]
        assert [(f.id, f.url, f.title, f.tags, f.articles) for f in second.feeds.list()] == (mine)
        assert len(mine) == 2 and mine[0][4] == 3
        ids = sorted(a.id for a in fresh_lib.feeds.articles(fid))
        assert sorted(a.id for a in second.feeds.articles(fid)) == ids
        assert second.get_article(ids[0]).text == fresh_lib.get_article(ids[0]).text
        # the second machine has no fetch state: it fetches, and knows every entry already
        again = second.feeds.refresh(limits=FAST)
        assert [(r.status, r.new) for r in again.feeds] == [("ok", 0), ("ok", 0)]
        assert again.total("present") == 6


def test_one_entry_fetched_as_two_texts_converges(
    fresh_lib: Library, server: FeedServer, tmp_path: Path, no_model: None
) -> None:
    """Two machines fetch the same entry after its page changed: after syncing, both show
    the same single current article for it, the older text superseded by the newer."""
    folder = tmp_path / "Sync"
    folder.mkdir()

    def publish(text: str) -> None:
        body = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Live</title>'
            f"<item><title>Story</title><guid>story-1</guid><link>{server.base}/story</link>"
            f"<description>{text} {'word ' * 160}</description></item></channel></rss>"
        )
        server.routes["/live.xml"] = (body.encode(), "application/xml")

    publish("First text.")
    fid = add(fresh_lib, server, "/live.xml")
    fresh_lib.feeds.refresh(limits=FAST)
    a_note = fresh_lib.add_note(fresh_lib.feeds.articles(fid)[0].id, "kept")
    with Library.open(tmp_path / "second.db") as second:
        add(second, server, "/live.xml")
        publish("Corrected text.")
        second.feeds.refresh(limits=FAST)
        for lib in (fresh_lib, second, fresh_lib):
            lib.sync(folder)
        ours = [a.id for a in fresh_lib.feeds.articles(fid)]
        theirs = [a.id for a in second.feeds.articles(fid)]
        assert len(ours) == 1 and ours == theirs
        assert fresh_lib.get_article(ours[0]).text.startswith("Corrected text.")
        assert [n.body for n in second.notes(ours[0])] == ["kept"]
        assert [n.id for n in fresh_lib.notes(ours[0])] == [a_note.id]


@pytest.mark.parametrize("run", range(3))  # the rebuild order of touched articles varies
def test_a_new_version_with_a_moved_note_syncs(tmp_path: Path, no_model: None, run: int) -> None:
    """(Belongs with test_sync.py.) A new version made on one machine, with a note moved to
    it, merges on another: article_versions rows and the moved note's row both arrive."""
    folder = tmp_path / "Sync"
    folder.mkdir()
    page = tmp_path / "story.md"
    page.write_text("# Story\n\nThe first text of the story, with a passage.\n")
    with Library.open(tmp_path / "a.db") as a, Library.open(tmp_path / "b.db") as b:
        (old,) = [r.article_id for r in a.import_paths([page]).results]
        note = a.add_note(old, "on the passage", *a.find_quote(old, "a passage"))
        a.sync(folder)
        b.sync(folder)
        page.write_text("# Story\n\nThe corrected text of the story, with a passage.\n")
        (new,) = [r.article_id for r in b.import_paths([page]).results]
        b.sync(folder)
        a.sync(folder)
        for lib in (a, b):
            assert [x.id for x in lib.list_articles()] == [new]
            (moved,) = lib.notes()
            assert (moved.id, moved.article_id, moved.anchor.exact) == (note.id, new, "a passage")


def test_peer_feed_facts_with_unsafe_text_are_refused(
    fresh_lib: Library, server: FeedServer, tmp_path: Path
) -> None:
    fid = add(fresh_lib, server, "/rss.xml")
    fresh_lib.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    peer = tmp_path / "peer.gloss"
    shutil.copy(fresh_lib.path, peer)
    conn = sqlite3.connect(peer)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("UPDATE meta SET value = 'peerdevice000000' WHERE key = 'device_id'")
    conn.execute(
        "INSERT INTO feed_events VALUES ('01EVIL', ?, 'title', 'Evil \x1b[2J', '9', 'peer')",
        (fid,),
    )
    bad_url = "http://127.0.0.1/\x1b]52;c;ZXZpbA==\x07"
    conn.execute(
        "INSERT INTO feeds VALUES (?, ?, 'x', '9', 'peer')",
        (hashlib.sha256(bad_url.encode()).hexdigest()[:32], bad_url),
    )
    wrong_id = ("1" if fid[0] == "0" else "0") + fid[1:]  # not the hash of its URL
    conn.execute("INSERT INTO feeds VALUES (?, 'http://a.test/', 'x', '9', 'peer')", (wrong_id,))
    conn.commit()
    conn.close()
    with Library.open(tmp_path / "other.db") as other:
        report = other.sync(peer)
        assert report.peers[0].refused == 3
        (feed,) = other.feeds.list()
        assert feed.title == str(server.url("/rss.xml"))  # added without fetching: url


# -- web pages ------------------------------------------------------------------------------------


def test_import_url_saves_a_page(fresh_lib: Library, server: FeedServer, gloss, no_model) -> None:
    url = server.url("/articles/night-clinic.html")
    code, out, err = gloss("import", url, server.url("/nowhere.html"), "--json",
                           db=fresh_lib.path)  # fmt: skip
    assert code == 1
    saved, missing = json.loads(out)["files"]
    assert (saved["status"], saved["title"]) == (
        "imported", "Hospital opens night clinic for minor injuries",
    )  # fmt: skip
    assert (missing["status"], missing["reason"]) == ("failed", "HTTP 404 Not Found")
    (a,) = fresh_lib.list_articles()
    assert (a.source, a.byline, a.published) == (url, "Amir Haddad", "2026-03-10")
    assert "Dr Camilla Strand" in fresh_lib.get_article(a.id).text
    code, out, err = gloss("import", url, db=fresh_lib.path)
    assert code == 0 and out.startswith("already in library")
    code, out, err = gloss("import", server.url("/rss.xml"), db=fresh_lib.path)
    assert code == 1 and "not an HTML page (application/xml)" in out


def test_refreshed_articles_get_entities(tmp_path: Path, server: FeedServer, analyzer) -> None:
    with Library.open(tmp_path / "model.db") as lib:
        fid = add(lib, server, "/rss.xml")
        report = lib.feeds.refresh(limits=FAST)
        assert report.warnings == [] and report.feeds[0].new == 3
        for summary in lib.feeds.articles(fid):
            article = lib.get_article(summary.id)
            assert article.model and article.entities
        names = {e.text for e in lib.entities(label="PERSON")}
        assert {"Ingrid Halvorsen", "Sofie Nakamura"} <= names


# -- the command line -----------------------------------------------------------------------------


def test_cli_feed_commands(fresh_lib: Library, server: FeedServer, gloss, tmp_path, no_model):
    db = fresh_lib.path
    code, out, err = gloss("feed", "add", server.url("/rss.xml"), "--tag", "news", db=db)
    assert code == 0, err
    fid = feeds.feed_id(server.url("/rss.xml"))
    assert out == (
        f"subscribed to {fid[:8]}  Harbour Gazette  [news]\nrun `gloss refresh` to fetch its"
        " articles\n"
    )
    gloss("feed", "add", server.url("/missing.xml"), db=db)  # refused: nothing added
    feeds.add_feed(fresh_lib.handle, server.url("/missing.xml"))
    code, out, err = gloss("refresh", "--json", db=db)
    assert code == 1
    data = json.loads(out)
    assert {k: data[k] for k in ("new", "present", "full_text", "kept_summary", "not_modified",
                                 "failed")} == {  # fmt: skip
        "new": 3, "present": 0, "full_text": 0, "kept_summary": 0, "not_modified": 0,
        "failed": 1,
    }  # fmt: skip
    ok = next(f for f in data["feeds"] if f["status"] == "ok")
    assert sorted(ok) == sorted(["feed_id", "url", "title", "status", "new", "present",
                                 "full_text", "kept_summary", "skipped", "untitled", "unlinked",
                                 "error", "messages", "articles"])  # fmt: skip
    code, out, err = gloss("feed", "list", "--json", db=db)
    listed = {f["url"]: f for f in json.loads(out)}
    assert listed[server.url("/rss.xml")] | {"last_fetch": None} == {
        "id": fid, "url": server.url("/rss.xml"), "title": "Harbour Gazette", "tags": ["news"],
        "subscribed": True, "articles": 3, "unread": 3, "last_fetch": None,
        "last_status": "ok", "last_error": None,
    }  # fmt: skip
    code, out, err = gloss("refresh", fid[:6], db=db)
    assert code == 0 and out.splitlines() == [
        f"{fid[:8]}  Harbour Gazette: not modified",
        "0 new articles, 0 already present, 0 feeds failed",
    ]
    code, out, err = gloss("feed", "articles", fid[:8], db=db)
    assert len(out.splitlines()) == 3
    code, out, err = gloss("feed", "export", "-o", str(tmp_path / "x.opml"), db=db)
    assert code == 0 and "Harbour Gazette" in (tmp_path / "x.opml").read_text()
    code, out, err = gloss("feed", "remove", server.url("/rss.xml"), db=db)
    assert out == f"unsubscribed from {fid[:8]}  Harbour Gazette; its 3 articles are kept\n"
    code, out, err = gloss("feed", "remove", "ffffffff", db=db)
    assert (code, err) == (1, "gloss: error: no feed with id 'ffffffff'\n")


# -- timing (not a test): python -m tests.store.ingest.test_feeds ---------------------------


def _timing(feed_count: int = 20, entries: int = 50, pages: bool = False, model: bool = False):
    """Print how long refreshing feed_count feeds of `entries` entries takes: with full
    content in the feed, or (pages) with summaries whose pages are fetched and extracted."""
    import os
    import tempfile

    if not model:
        os.environ["GLOSS_MODEL"] = "none"
    para = "<p>" + " ".join(f"Sentence {{n}} of paragraph {p} says something." for p in range(8))
    with serve() as state, tempfile.TemporaryDirectory() as tmp:
        for f in range(feed_count):
            items = ""
            for n in range(entries):
                text = (para * 6).format(n=f"{f}.{n}")
                link = f"/s/{f}/{n}.html"
                if pages:
                    page = f"<html><head><title>Story {f}.{n}</title></head><body><nav>Home"
                    page += f"</nav><article><h1>Story {f}.{n}</h1>{text}</article></body></html>"
                    state.routes[link] = (page.encode(), "text/html; charset=utf-8")
                    text = f"Summary of story {f}.{n}."
                items += (
                    f"<item><title>Feed {f} story {n}</title><guid>f{f}-{n}</guid>"
                    f"<link>{state.base}{link}</link><description><![CDATA[{text}]]></description>"
                    "</item>"
                )
            body = f'<rss version="2.0"><channel><title>Feed {f}</title>{items}</channel></rss>'
            state.routes[f"/feed{f}.xml"] = (body.encode(), "application/rss+xml")
        with Library.open(Path(tmp) / "timing.db") as lib:
            for f in range(feed_count):
                feeds.add_feed(lib.handle, state.url(f"/feed{f}.xml"))
            kind = ("summaries + pages" if pages else "full content") + (
                ", with the model" if model else ", no model"
            )
            for label in ("first refresh", "second refresh"):
                start = time.perf_counter()
                report = lib.feeds.refresh()
                took = time.perf_counter() - start
                same = sum(r.status == "not-modified" for r in report.feeds)
                print(f"{label} ({kind}): {feed_count} feeds x {entries} entries: {took:.2f} s,"
                      f" {report.total('new')} new, {report.total('full_text')} full text,"
                      f" {same} not modified")  # fmt: skip


if __name__ == "__main__":
    import sys

    _timing(pages="--pages" in sys.argv, model="--model" in sys.argv)


def test_a_feeds_tags_go_on_its_articles(fresh_lib: Library, server: FeedServer, gloss,
                                         no_model: None) -> None:  # fmt: skip
    """#16: `gloss feed add URL --tag local` tagged nothing. The feed's tags go on every
    article it brings (new, or already in the library from elsewhere), and find them."""
    code, _, _ = gloss("feed", "add", server.url("/rss.xml"), "--tag", "local",
                       db=fresh_lib.path)  # fmt: skip
    assert code == 0
    code, out, _ = gloss("refresh", "--json", db=fresh_lib.path)
    assert code == 0
    listed = json.loads(gloss("list", "--tag", "local", "--json", db=fresh_lib.path)[1])
    assert len(listed) == 3 and all(a["tags"] == ["local"] for a in listed)
    hits = json.loads(gloss("search", "tag:local", "--json", db=fresh_lib.path)[1])
    assert len({h["article_id"] for h in hits}) == 3
    # a second feed, tagged otherwise, bringing the same articles: they get its tag too
    fid = add(fresh_lib, server, "/moved/rss.xml", "harbour")
    fresh_lib.feeds.refresh([fid], limits=FAST)
    tags = {a.title: a.tags for a in fresh_lib.list_articles()}
    assert set(tags.values()) == {("harbour", "local")}
