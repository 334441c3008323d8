"""RSS and Atom documents (through feedparser) and their entries as articles.

feedparser reads the bytes as served (never a URL: it would fetch it itself) and decides
their encoding; gloss cleans the strings it returns. An entry's HTML (its content, else
its summary) becomes plain text through trafilatura and the same sanitising as every
import. Full pages for short entries are fetched elsewhere (store.ingest.refresh).
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin

from store.core.errors import ImportFailed
from store.core.sanitize import MAX_TEXT_CHARS, clean_line, clean_markup
from store.ingest.parse.common import Parsed, TextBuilder, clean_meta

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
UNTITLED = "(untitled)"
# Charsets that name no byte order: the document's BOM or its first bytes tell it.
_NO_BYTE_ORDER = {"utf-16", "utf16", "utf_16", "u16", "ucs-2", "csunicode", "unicode",
                  "iso-10646-ucs-2", "utf-32", "utf32", "utf_32", "u32", "ucs-4", "csucs4",
                  "iso-10646-ucs-4"}  # fmt: skip
# What an XML parser (and lxml) refuses: C0 controls but tab, LF and CR, and references to
# them. Only text holding one is cleaned before parsing; C1 characters are legal XML, and in
# a feed whose declared encoding is wrong they are pieces of mojibake ("â\x80\x9d"), which
# read as 8-bit escapes would take markup with them. Every field is cleaned after parsing.
_REFUSED = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
    r"|&#[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F])(?![0-9a-fA-F])"
    r"|&#0*(?:[0-8]|1[124-9]|2[0-9]|3[01])(?![0-9])"
)


@dataclass
class Entry:
    """One feed entry as published: its HTML is untrusted and not yet cleaned."""

    guid: str  # the entry's id, else its link, else a hash (see _numbered)
    link: str | None
    title: str
    author: str | None
    published: str | None
    html: str  # content when the feed has it, else the summary (control references gone)
    words: int  # words of text in `html`
    feed: str = ""  # the feed's title, for an entry without one of its own
    hashed: bool = False  # the guid is a hash of the entry (it has no id and no link)

    def label(self) -> str:
        """How the report names the entry: its link, its title, else its date."""
        if self.link or self.title:
            return repr(self.link or self.title)
        return f"an entry of {self.published[:10]}" if self.published else "an entry"


@dataclass
class FeedDoc:
    """A parsed feed: its title, its site link and its entries, newest first as published."""

    title: str
    link: str | None
    entries: list[Entry] = field(default_factory=list)
    warning: str | None = None  # feedparser recovered from broken XML


def parse_feed(body: bytes, url: str, content_type: str = "") -> FeedDoc:
    """Parse feed bytes; ImportFailed (one line) only when feedparser reads nothing of a
    feed from them (no title and no entries)."""
    import feedparser

    text, notice = _decoded(body, content_type)
    data = _cleaned(text).encode("utf-8") if text is not None else body
    kind = "application/xml; charset=utf-8" if text is not None else _xml_type(content_type)
    headers = {"content-location": url, "content-type": kind}
    try:
        doc = feedparser.parse(data, response_headers=headers, sanitize_html=True)
    except Exception as exc:  # feedparser is lenient, but its parsers can still raise
        raise ImportFailed(f"malformed feed ({type(exc).__name__})") from None
    feed = doc.get("feed") or {}
    title = _plain(feed.get("title", ""), feed.get("title_detail", {}).get("type"))
    entries = [_entry(raw, title) for raw in doc.get("entries") or []]
    _numbered(entries)
    broken = bool(doc.get("bozo"))
    if not doc.get("version") and not entries:
        if _looks_html(body, content_type):
            raise ImportFailed("not a feed: the URL gives an HTML page")
        reason = _bozo(doc) if broken else ""
        raise ImportFailed(f"not a feed ({reason})" if reason else "not a feed")
    if broken and not entries and not title:
        raise ImportFailed(f"malformed feed ({_bozo(doc) or 'unreadable XML'})")
    warning = f"recovered from malformed XML ({_bozo(doc)})" if broken else notice
    return FeedDoc(title or url, clean_meta(feed.get("link")), entries, warning)


def _decoded(body: bytes, content_type: str) -> tuple[str | None, str | None]:
    """The document as text, in the encoding feedparser chooses (the server's charset, the
    byte-order mark, the XML declaration, then its guesses), and a notice when that is not
    the declared one. None when nothing decodes it: feedparser then has the bytes.

    Decoding first lets control characters go from the text before the XML parser sees
    them (it refuses them, and feedparser's lenient parser reads C1 controls as cp1252,
    leaving "›2J" of an escape sequence); cleaning undecoded bytes broke UTF-16."""
    from feedparser.encodings import convert_to_utf8

    found: dict = {}
    try:
        utf8 = convert_to_utf8({"content-type": _xml_type(content_type)}, body, found)
    except Exception:  # its decoders can raise on strange declarations
        return None, None
    if not found.get("encoding"):
        return None, None
    notice = None
    if found.get("bozo"):  # the declared encoding failed; feedparser found another
        notice = f"character encoding: {clean_line(str(found.get('bozo_exception')))[:200]}"
    return utf8.decode("utf-8", "replace"), notice


def _cleaned(markup: str) -> str:
    return clean_markup(markup) if _REFUSED.search(markup) else markup


def _xml_type(content_type: str) -> str:
    """The Content-Type to give feedparser: the server's charset, as an XML type.

    feedparser follows RFC 3023, where text/xml (and any text/*) without a charset is
    US-ASCII, whatever the document declares: a UTF-16 feed served as text/xml, as most
    are, cannot be read. RFC 7303, which replaced it, reads every XML type alike: the
    charset, else the byte-order mark, else the XML declaration.
    """
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type, re.I)
    charset = m.group(1) if m else ""
    if charset.lower() in _NO_BYTE_ORDER:
        charset = ""
    return "application/xml" + (f"; charset={charset}" if charset else "")


def _bozo(doc: object) -> str:
    exc = doc.get("bozo_exception")  # type: ignore[attr-defined]
    if exc is None:
        return ""
    text = getattr(exc, "getMessage", lambda: str(exc))()
    return clean_line(str(text))[:200]


def _looks_html(body: bytes, content_type: str) -> bool:
    head = body[:1024].lstrip().lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html"))


def _entry(raw: dict, feed_title: str) -> Entry:
    link = raw.get("link") or None
    title_type = raw.get("title_detail", {}).get("type")
    title = _plain(raw.get("title", ""), title_type)
    content = raw.get("content") or []
    html = max((c.get("value", "") for c in content), key=len, default="")
    summary = raw.get("summary", "") or ""
    if len(summary) > len(html):  # many feeds put the whole article in <description>
        html = summary
    html = _cleaned(html)  # a control character (or a reference to one) makes lxml drop
    # the whole tree
    published = _date(raw.get("published_parsed") or raw.get("updated_parsed"))
    guid = clean_line(raw.get("id") or "") or clean_line(link or "")
    hashed = not guid
    if hashed:  # the hash gloss has always used, so entries stored before keep their guid
        digest = hashlib.sha256(f"{title}\x1f{published}\x1f{html}".encode()).hexdigest()
        guid = f"sha256:{digest[:32]}"
    return Entry(
        guid=guid[:2000],
        link=clean_meta(link),
        title=title,
        author=_author(raw.get("author")),
        published=published,
        html=html,
        words=len(_plain(html, "text/html").split()),
        feed=feed_title,
        hashed=hashed,
    )


def _numbered(entries: list[Entry]) -> None:
    """Entries without an id or a link that are alike in title, date and text are still
    separate entries (one notice posted twice): the second gets ":2" after the hash, the
    third ":3". Counting by occurrence keeps each guid on the next refresh, and a new copy
    of a notice is one new entry, wherever the feed puts it."""
    seen: dict[str, int] = {}
    for entry in entries:
        if entry.hashed:
            seen[entry.guid] = n = seen.get(entry.guid, 0) + 1
            if n > 1:
                entry.guid = f"{entry.guid}:{n}"


_EMAIL_NAME = re.compile(r"^\s*[^\s@()]+@[^\s()]+\s*\((.+)\)\s*$")


def _author(value: object) -> str | None:
    """The author's name: RSS writes "email (Name)"; Atom and Dublin Core a plain name."""
    text = clean_meta(value)
    m = _EMAIL_NAME.match(text or "")
    return clean_meta(m.group(1)) if m else text


def _date(value: object) -> str | None:
    try:
        stamp = calendar.timegm(value)  # type: ignore[arg-type]  # feedparser gives UTC
        return datetime.fromtimestamp(stamp, UTC).isoformat()
    except (TypeError, ValueError, OverflowError):
        return None


class _TextOnly(HTMLParser):
    """Text of an HTML fragment (for titles): tags dropped, references decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "template"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def _plain(value: str, kind: str | None) -> str:
    """One line of plain text from a feed field that may be HTML."""
    if kind in ("text/html", "application/xhtml+xml") and ("<" in value or "&" in value):
        parser = _TextOnly()
        parser.feed(value)
        parser.close()
        value = " ".join(parser.parts)
    return clean_line(value)


def entry_article(entry: Entry, page: Parsed | None = None) -> Parsed:
    """The article for an entry: the extracted page when given, else the entry's own text.
    The feed's title, author and date win over the page's; the link is the source. An
    entry with no title, whose text has no heading either, is titled from its text, its
    feed and its date ("Pontoon C is closed until Friday. — Harbour Notices, 2026-03-12"):
    the feed and date keep apart notices of the same text on other days or other feeds."""
    parsed = page if page is not None else html_fragment(entry.html, entry.title)
    parsed.title = entry.title or parsed.title
    if parsed.title == UNTITLED:
        parsed.title = made_title(parsed.text, entry.feed, entry.published)
    parsed.byline = entry.author or parsed.byline
    parsed.published = entry.published or parsed.published
    parsed.url = entry.link or parsed.url
    return parsed


_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")


def made_title(text: str, feed: str, published: str | None) -> str:
    """A title for untitled text: its first sentence (at most 80 characters, else cut at
    a word), then the feed and the date."""
    first = clean_line(text.split("\n", 1)[0])
    end = _SENTENCE_END.search(first)
    if end and end.end() <= 100:
        first = first[: end.end()]
    elif len(first) > 80:
        first = first[:80].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    where = ", ".join(p for p in (clean_line(feed), (published or "")[:10]) if p)
    return f"{first} — {where}" if where else first


def html_fragment(html: str, title: str) -> Parsed:
    """Plain, sanitised text of an HTML fragment (an entry's content), laid out as an HTML
    page is (store.ingest.parse.html). Titled UNTITLED when neither `title` nor a heading
    gives one."""
    from store.ingest.parse.html import lay_out_fragment

    title = clean_line(title)
    if len(html) > MAX_TEXT_CHARS * 4:
        raise ImportFailed("entry text too long")
    from store.ingest.parse.html import MAX_TAGS

    if html.count("<") > MAX_TAGS:  # as for a page: trafilatura's time grows faster than that
        raise ImportFailed(f"entry too complex (over {MAX_TAGS:,} tags)")
    builder = TextBuilder()
    if html.strip():
        builder, headline = lay_out_fragment(html, title)
        title = title or headline or ""
    if not builder.paragraphs and title:
        builder.paragraph(title)  # a title-only entry (a link post): the title is its text
    return builder.build(title or UNTITLED)


class _Alternates(HTMLParser):
    """<link rel="alternate" type="application/rss+xml" href="..."> in an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag != "link":
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        rel = a.get("rel", "").lower().split()
        if "alternate" in rel and a.get("type", "").lower() in FEED_TYPES and a.get("href"):
            self.found.append(a["href"].strip())


def discover(html: str, base: str) -> list[str]:
    """Feed URLs a page announces (feed auto-discovery), absolute, in page order."""
    parser = _Alternates()
    try:
        parser.feed(html[:500_000])
        parser.close()
    except Exception:
        return []
    return [urljoin(base, href) for href in parser.found]
