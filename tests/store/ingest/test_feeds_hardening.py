"""Feeds that feedparser reads and gloss used to refuse or garble, hosts that never answer,
and OPML that used to crash: against the local server of test_feeds (127.0.0.1, no internet)
and a socket that accepts connections and never answers.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Library
from store.ingest import feeds
from store.ingest.fetch import Limits
from tests.store.ingest import test_feeds as served
from tests.store.ingest.test_feeds import FAST, FEEDS, FeedServer, add

_server, server = served._server, served.server  # the local HTTP server's fixtures

# -- encodings and character references ----------------------------------------------------------

COURIER_TITLES = [
    "Bridge ‘will reopen in May’, engineers say",
    "Mayor’s “open doors” week draws 4,000 visitors — and a queue",
]
LEDGER_TITLES = [
    "Council’s “quiet streets” trial extended to the harbour front",
    "Lifeboat crew’s night rescue — “the worst sea in ten years”",
]


def articles(lib: Library, fid: str) -> dict[str, str]:
    """title -> text of a feed's articles."""
    return {a.title: lib.get_article(a.id).text for a in lib.feeds.articles(fid)}


def test_numeric_character_references_in_a_utf8_feed(
    fresh_lib: Library, server: FeedServer, no_model: None
) -> None:
    fid = add(fresh_lib, server, "/charrefs.xml")
    (r,) = fresh_lib.feeds.refresh(limits=FAST).feeds
    assert (r.status, r.new, r.messages) == ("ok", 2, [])
    assert r.title == "The “Riverside” Courier — News & Views"
    assert fresh_lib.feeds.get(fid).title == "The “Riverside” Courier — News & Views"
    texts = articles(fresh_lib, fid)
    assert sorted(texts) == COURIER_TITLES
    doors = texts[COURIER_TITLES[1]]
    assert doors.startswith(
        "More than 4,000 people visited the town hall during the mayor’s “open doors” week,"
        " the council said on Tuesday — twice as many as last year."
    )
    assert "closed to the public since 2019. “We did not expect so many people,”" in doors
    assert "Children were given a stamp card & a map of the building" in doors
    bridge = texts[COURIER_TITLES[0]]
    assert bridge.startswith(
        "The footbridge over the river will reopen in May, engineers said — a month later"
        " than planned, because the replacement cables arrived late. “The deck is finished,”"
        " the site manager said. Cyclists & walkers will keep using the ferry until then."
    )
    assert "The engineers’ report, published on Tuesday, says the bridge’s original" in bridge
    for text in [*texts, *texts.values()]:  # no debris of a half-removed reference
        for debris in ("220;", "221;", "217;", "014;", "212;", "8;", "60;", "&#"):
            assert debris not in text, (debris, text[:80])


ENCODED = ["utf16le.xml", "utf16be.xml", "utf32le.xml"]
SERVED_AS = ["application/xml", "text/xml", "application/rss+xml; charset=UTF-16"]


@pytest.mark.parametrize("served_as", SERVED_AS)
@pytest.mark.parametrize("name", ENCODED)
def test_utf16_and_utf32_feeds_without_a_byte_order_mark(
    fresh_lib: Library, server: FeedServer, no_model: None, name: str, served_as: str
) -> None:
    """The prolog declares UTF-16 or UTF-32 and there is no BOM: read as the same feed as its
    UTF-8 original, whatever the server says (text/xml without a charset, the generic
    "UTF-16" charset, which names no byte order)."""
    body = (FEEDS / name).read_bytes()
    assert body[:2] not in (b"\xff\xfe", b"\xfe\xff")
    server.routes["/" + name] = (body, served_as)
    fid = add(fresh_lib, server, "/" + name)
    (r,) = fresh_lib.feeds.refresh(limits=FAST).feeds
    assert (r.status, r.error, r.new, r.messages) == ("ok", None, 2, [])
    assert r.title == "Northshore Ledger — “Local news, read slowly”"
    texts = articles(fresh_lib, fid)
    assert sorted(texts) == LEDGER_TITLES
    assert texts[LEDGER_TITLES[1]].startswith(
        "Volunteers from the Northshore lifeboat station rescued two fishermen from a disabled"
        " trawler on Sunday night, in what the coxswain called “the worst sea in ten years.”"
    )
    rows = fresh_lib.feeds.articles(fid)
    assert sorted(a.source for a in rows) == [
        server.url("/ledger/lifeboat-rescue"), server.url("/ledger/quiet-streets"),
    ]  # fmt: skip
    with Library.open(fresh_lib.path.with_name("utf8.db")) as utf8:  # the UTF-8 original
        other = add(utf8, server, "/encoded.xml")
        utf8.feeds.refresh(limits=FAST)
        assert articles(utf8, other) == texts


@pytest.mark.parametrize(
    ("declared", "served_as"),
    [("ISO-8859-1", "application/rss+xml"), ("UTF-8", "text/xml; charset=ISO-8859-1")],
)
def test_utf8_feed_labelled_latin1(
    fresh_lib: Library, server: FeedServer, no_model: None, declared: str, served_as: str
) -> None:
    """UTF-8 bytes that say ISO-8859-1 (in the prolog, or in an old server's default
    header): read as Latin-1 they hold C1 characters ("”" is "â\x80\x9d"), which are not
    escape sequences and must not take markup with them."""
    body = (FEEDS / "encoded.xml").read_text(encoding="utf-8")
    body = body.replace('encoding="UTF-8"', f'encoding="{declared}"')
    server.routes["/latin.xml"] = (body.encode("utf-8"), served_as)
    fid = add(fresh_lib, server, "/latin.xml")
    (r,) = fresh_lib.feeds.refresh(limits=FAST).feeds
    assert (r.status, r.error, r.new) == ("ok", None, 2)
    assert r.title == "Northshore Ledger — “Local news, read slowly”"
    texts = articles(fresh_lib, fid)
    assert sorted(texts) == LEDGER_TITLES
    assert texts[LEDGER_TITLES[0]].endswith("some had stopped coming altogether…")


def test_undeclared_html_entities_and_no_entries_yet(
    fresh_lib: Library, server: FeedServer, no_model: None
) -> None:
    """XML knows five entities; feeds use HTML's. feedparser recovers and reads the title:
    a new blog with no posts yet is a feed, not a malformed one."""
    fid = add(fresh_lib, server, "/entities.xml")
    (r,) = fresh_lib.feeds.refresh(limits=FAST).feeds
    assert (r.status, r.error, r.new) == ("ok", None, 0)
    assert r.messages == ["recovered from malformed XML (undefined entity)"]
    assert r.title == "Café Society — Notes from the Harbour"
    assert fresh_lib.feeds.get(fid).last_status == "ok"
    done = fresh_lib.feeds.subscribe(server.url("/entities.xml"), limits=FAST)
    assert done.feed.title == "Café Society — Notes from the Harbour"
    # its first post arrives, with entities in it too
    body = (FEEDS / "entities.xml").read_text().replace("{{BASE}}", server.base)
    post = (
        "<item><title>Opening day at Caf&eacute; Mar&iacute;a</title><guid>cafe-1</guid>"
        "<description>The new caf&eacute; on the quay opened on Saturday&nbsp;&mdash; with a"
        " queue before eight&hellip; " + "and coffee " * 80 + "</description></item>"
    )
    server.routes["/entities.xml"] = (body.replace("</channel>", post + "</channel>").encode(),
                                      "application/rss+xml")  # fmt: skip
    (r,) = fresh_lib.feeds.refresh(limits=FAST).feeds
    assert (r.status, r.new) == ("ok", 1)
    (text,) = articles(fresh_lib, fid).values()
    assert list(articles(fresh_lib, fid)) == ["Opening day at Café María"]
    assert text.startswith("The new café on the quay opened on Saturday\xa0— with a queue before"
                           " eight… and coffee")  # fmt: skip


def test_broken_xml_with_nothing_in_it_is_still_refused(
    fresh_lib: Library, server: FeedServer, no_model: None
) -> None:
    add(fresh_lib, server, "/malformed.xml")
    server.routes["/empty.xml"] = (b"", "application/xml")
    add(fresh_lib, server, "/empty.xml")
    report = fresh_lib.feeds.refresh(limits=FAST)
    assert sorted((r.status, r.error) for r in report.feeds) == [
        ("failed", "malformed feed (not well-formed (invalid token))"),
        ("failed", "not a feed (no element found)"),
    ]


# -- entries without an id, a link or a title ----------------------------------------------------

NOTICES = "Harbourmaster Notices"


def entry_rows(lib: Library) -> list[tuple[str, str]]:
    return lib.conn.execute(
        "SELECT fe.guid, a.title FROM feed_entries fe JOIN articles a ON a.key = fe.article"
        " ORDER BY fe.hlc"
    ).fetchall()


def test_entries_without_id_link_or_title_are_kept_and_counted(
    fresh_lib: Library, server: FeedServer, no_model: None
) -> None:
    fid = add(fresh_lib, server, "/untitled.xml")
    (r,) = fresh_lib.feeds.refresh(limits=FAST).feeds
    # 8 entries: 6 articles; a repeat of an identical notice (same text, no title, no date)
    # is its own entry, linked to the same article; one entry has nothing to keep
    assert (r.status, r.new, r.present, r.skipped) == ("ok", 6, 1, 1)
    assert (r.untitled, r.unlinked, r.full_text, r.kept_summary) == (4, 6, 0, 0)
    assert r.messages == ["skipped an entry of 2026-03-08: it has no title, link or text"]
    assert sorted(articles(fresh_lib, fid)) == [
        "Gale warning for the outer harbour tonight. — Harbourmaster Notices, 2026-03-09",
        "Gale warning for the outer harbour tonight. — Harbourmaster Notices, 2026-03-11",
        "Office hours",
        "Office hours (weekends)",
        "Pontoon C is closed for repairs until Friday. — Harbourmaster Notices, 2026-03-12",
        "The slipway gate code changes on the first of every month. — Harbourmaster Notices",
    ]
    guids = [g for g, _ in entry_rows(fresh_lib)]
    assert len(guids) == len(set(guids)) == 7
    totals = fresh_lib.feeds.refresh(limits=FAST).to_json()  # 304: nothing to do
    assert (totals["not_modified"], totals["new"]) == (1, 0)
    # the feed changes (a new notice on top): the same entries keep their guids
    body = (FEEDS / "untitled.xml").read_text().replace("{{BASE}}", server.base)
    notice = "<item><description>Harbour office closed on Monday.</description></item>"
    body = body.replace("<item>", notice + "<item>", 1)
    server.routes["/untitled.xml"] = (body.encode(), "application/rss+xml")
    (r,) = fresh_lib.feeds.refresh(limits=FAST).feeds
    assert (r.new, r.present, r.skipped, r.untitled) == (1, 7, 1, 1)
    assert set(guids) < {g for g, _ in entry_rows(fresh_lib)}
    totals = fresh_lib.feeds.refresh(limits=FAST).to_json()
    assert [totals[k] for k in ("new", "skipped", "untitled", "unlinked")] == [0, 0, 0, 0]


def test_the_report_never_says_kept_for_an_entry_not_stored(
    fresh_lib: Library, server: FeedServer, no_model: None
) -> None:
    """A short entry whose page is missing and whose own text cannot be an article is
    skipped (not "kept"); an entry whose article another feed brought is present."""
    items = (
        "<item><title>Ferry strike called off</title><guid>a</guid>"
        "<link>{base}/gone-1.html</link><description>Talks succeeded.</description></item>"
        "<item><guid>b</guid><link>{base}/gone-2.html</link><description><![CDATA[<img"
        ' src="x.png">]]></description></item>'
    )
    for path in ("/one.xml", "/two.xml"):
        body = f'<rss version="2.0"><channel><title>{path}</title>{items}</channel></rss>'
        server.routes[path] = (body.format(base=server.base).encode(), "application/rss+xml")
        add(fresh_lib, server, path)
    one, two = fresh_lib.feeds.refresh(limits=FAST).feeds
    assert (one.new, one.kept_summary, one.present, one.skipped) == (1, 1, 0, 1)
    assert one.messages == [
        f"kept the entry's own text for '{server.base}/gone-1.html': HTTP 404 Not Found",
        f"skipped '{server.base}/gone-2.html': HTTP 404 Not Found; its own text: no article"
        " text found",
    ]
    assert (two.new, two.kept_summary, two.present, two.skipped) == (0, 0, 1, 1)
    assert not any("kept" in m for m in two.messages)


# -- hosts that never answer ---------------------------------------------------------------------


@pytest.fixture
def silent_host() -> Iterator[str]:
    """http://127.0.0.1:PORT of a socket that accepts every connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
        for conn in held:
            conn.close()


def summaries_on(server: FeedServer, host: str, count: int) -> str:
    items = "".join(
        f"<item><title>Story {n}</title><guid>s{n}</guid><link>{host}/story/{n}</link>"
        f"<description>Summary of story {n}.</description></item>"
        for n in range(count)
    )
    body = f'<rss version="2.0"><channel><title>Slow links</title>{items}</channel></rss>'
    server.routes["/slow-links.xml"] = (body.encode(), "application/rss+xml")
    return "/slow-links.xml"


def finishes(run, seconds: float = 60.0):
    """run() in a thread; its result, asserting it ended (a guard, not a timing)."""
    box: list = []
    worker = threading.Thread(target=lambda: box.append(run()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the refresh did not end"
    return box[0]


def test_a_feed_refresh_ends_at_its_time_limit(
    fresh_lib: Library, server: FeedServer, silent_host: str, no_model: None
) -> None:
    """Pages on a host that never answers, a request timeout longer than the feed's time
    limit: the refresh ends at the limit and every entry is kept with its own text."""
    add(fresh_lib, server, summaries_on(server, silent_host, 20))
    limits = Limits(timeout=300.0, feed_time=2.0, parallel=4)
    report = finishes(lambda: fresh_lib.feeds.refresh(limits=limits))
    (r,) = report.feeds
    assert (r.status, r.new, r.kept_summary, r.full_text, r.skipped) == ("ok", 20, 20, 0, 0)
    assert sorted(r.messages) == sorted(
        f"kept the entry's own text for '{silent_host}/story/{n}': the feed's time limit"
        " (2 s) ran out"
        for n in range(20)
    )
    titles = sorted(a.title for a in fresh_lib.list_articles())
    assert titles == sorted(f"Story {n}" for n in range(20))


def test_a_host_that_timed_out_is_not_asked_again(
    fresh_lib: Library, server: FeedServer, silent_host: str, no_model: None
) -> None:
    add(fresh_lib, server, summaries_on(server, silent_host, 20))
    feeds.add_feed(fresh_lib.handle, f"{silent_host}/feed.xml")  # the feed itself never answers
    limits = Limits(timeout=1.0, feed_time=300.0, parallel=2)
    report = finishes(lambda: fresh_lib.feeds.refresh(limits=limits))
    silent = by_url_of(report, f"{silent_host}/feed.xml")
    assert (silent.status, silent.error) == ("failed", "timed out after 1 s")
    slow = by_url_of(report, server.url("/slow-links.xml"))
    assert (slow.status, slow.new, slow.kept_summary) == ("ok", 20, 20)
    why = sorted(m.split(": ", 1)[1] for m in slow.messages)
    assert why == ["its site did not answer an earlier page"] * 18 + ["timed out after 1 s"] * 2


def by_url_of(report, url: str):
    (result,) = [r for r in report.feeds if r.url == url]
    return result


# -- OPML ----------------------------------------------------------------------------------------


def nested_opml(depth: int) -> str:
    head = "".join(f'<outline text="level {n}">' for n in range(depth))
    tail = "</outline>" * depth
    deep = '<outline type="rss" text="Deep" xmlUrl="http://deep.test/feed.xml"/>'
    top = '<outline type="rss" text="Top" xmlUrl="http://top.test/feed.xml"/>'
    return f'<?xml version="1.0"?><opml version="2.0"><body>{top}{head}{deep}{tail}</body></opml>'


def test_opml_nested_5000_deep_is_imported_flat(gloss, tmp_path: Path) -> None:
    """Folders nested deeper than a reader would ever write are flattened: the feeds are
    subscribed, tagged with the first levels of their folder path, and the user told."""
    path = tmp_path / "deep.opml"
    path.write_text(nested_opml(5000))
    code, out, err = gloss("feed", "import", str(path), "--json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert sorted((f["title"], f["tags"]) for f in report["added"]) == [
        ("Deep", ["level-0/level-1/level-2/level-3/level-4/level-5/level-6/level-7"]),
        ("Top", []),
    ]
    assert report["skipped"] == [
        "folders nested deeper than 8 levels: their feeds are tagged with the first 8"
    ]
    code, out, err = gloss("feed", "import", str(path))
    assert code == 1 and err == ""
    assert out.splitlines()[-1] == "0 subscribed, 2 already subscribed, 1 skipped"


def test_opml_with_too_many_feeds_is_one_line(gloss, tmp_path: Path) -> None:
    outlines = "".join(
        f'<outline type="rss" text="F{n}" xmlUrl="http://f{n}.test/feed.xml"/>'
        for n in range(10_001)
    )
    path = tmp_path / "many.opml"
    path.write_text(f'<opml version="2.0"><body>{outlines}</body></opml>')
    code, out, err = gloss("feed", "import", str(path))
    assert (code, out) == (1, "")
    assert err == "gloss: error: too many feeds (10,001; the limit is 10,000)\n"
    path.write_text("<opml><body><outline" + ' a="1"' * 5)
    code, out, err = gloss("feed", "import", str(path))
    assert code == 1 and err.count("\n") == 1 and err.startswith("gloss: error: not valid OPML")


def test_entry_html_is_laid_out_without_markup_debris() -> None:
    """An entry's HTML goes through the page layout: no Markdown or HTML syntax is stored."""
    from store.ingest.parse.feed import html_fragment

    html = (
        "<h2>Results</h2><p>Turnout rose<sup>1</sup> to <b>61%</b>, the <em>highest</em>"
        " since 1998.</p><table><tr><th>Party</th><th>Seats</th></tr>"
        "<tr><td>Greens</td><td>12</td></tr></table><ul><li>first</li><li>second</li></ul>"
    )
    parsed = html_fragment(html, "Election night")
    assert parsed.title == "Election night"
    for debris in ("<", ">", "**", "|", "##", "_highest_", "*highest*"):
        assert debris not in parsed.text
    assert "Turnout rose1 to 61%, the highest since 1998." in parsed.text
    assert "Greens · 12" in parsed.text
    assert "• first" in parsed.text
    assert [s.title for s in parsed.sections] == ["Results"]


def test_refresh_line_counts_skipped_entries_apart_from_the_new_ones() -> None:
    """A skipped entry was printed inside the new articles' parentheses, as if it were one."""
    from store.ingest.refresh import FeedResult
    from tui.cli_feeds import refresh_lines

    r = FeedResult("f" * 32, "http://127.0.0.1/feed", "Local News", new=2, present=3,
                    kept_summary=1, skipped=1, untitled=1, unlinked=1)  # fmt: skip
    r.messages = ["skipped an entry of 2026-03-08: it has no title, link or text"]
    assert refresh_lines(r) == [
        "ffffffff  Local News: 2 new (1 with the feed's own text, 1 untitled, 1 without a link),"
        " 3 already present, 1 skipped",
        "          skipped an entry of 2026-03-08: it has no title, link or text",
    ]


def test_an_entry_of_too_many_tags_is_refused_like_a_page() -> None:
    from store.core.errors import ImportFailed
    from store.ingest.parse.feed import html_fragment

    with pytest.raises(ImportFailed, match=r"^entry too complex \(over 100,000 tags\)$"):
        html_fragment("<p>x</p>" * 50_001, "A title")
