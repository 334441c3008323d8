"""RSS and Atom documents (through feedparser) and their entries as articles.

feedparser reads the bytes (never a URL: it would fetch it itself); an entry's HTML (its
content, else its summary) becomes plain text through trafilatura and the same sanitising
as every import. Full pages for short entries are fetched elsewhere (store.refresh).
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin

from store.errors import ImportFailed
from store.parse.common import Parsed, TextBuilder, clean_meta
from store.parse.markdown import parse_body
from store.sanitize import MAX_TEXT_CHARS, clean_line, clean_markup, has_unsafe

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")


@dataclass
class Entry:
    """One feed entry as published: its HTML is untrusted and not yet cleaned."""

    guid: str  # the entry's id, else its link, else a hash of its title and date
    link: str | None
    title: str
    author: str | None
    published: str | None
    html: str  # content when the feed has it, else the summary
    words: int  # words of text in `html`


@dataclass
class FeedDoc:
    """A parsed feed: its title, its site link and its entries, newest first as published."""

    title: str
    link: str | None
    entries: list[Entry] = field(default_factory=list)
    warning: str | None = None  # feedparser recovered from broken XML


def parse_feed(body: bytes, url: str, content_type: str = "") -> FeedDoc:
    """Parse feed bytes; ImportFailed (one line) when they are not a usable feed."""
    import feedparser

    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    body = _precleaned(body)
    try:
        doc = feedparser.parse(body, response_headers=headers, sanitize_html=True)
    except Exception as exc:  # feedparser is lenient, but its parsers can still raise
        raise ImportFailed(f"malformed feed ({type(exc).__name__})") from None
    entries = [e for e in (_entry(raw) for raw in doc.entries) if e is not None]
    if not doc.version and not entries:
        if _looks_html(body, content_type):
            raise ImportFailed("not a feed: the URL gives an HTML page")
        reason = _bozo(doc)
        raise ImportFailed(f"not a feed ({reason})" if reason else "not a feed")
    if doc.bozo and not entries:
        raise ImportFailed(f"malformed feed ({_bozo(doc) or 'unreadable XML'})")
    feed = doc.feed
    title = _plain(feed.get("title", ""), feed.get("title_detail", {}).get("type")) or url
    warning = f"recovered from malformed XML ({_bozo(doc)})" if doc.bozo else None
    return FeedDoc(title, clean_meta(feed.get("link")), entries, warning)


def _precleaned(body: bytes) -> bytes:
    """A UTF-8 feed with escape sequences or control characters (which XML forbids, so the
    strict parser would give up) is cleaned before parsing: sequences go whole, as in every
    import, instead of leaving "[2J" behind. Other encodings are cleaned after parsing."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    if not has_unsafe(text) and "&#" not in text:
        return body
    return clean_markup(text).encode("utf-8")


def _bozo(doc: object) -> str:
    exc = doc.get("bozo_exception")  # type: ignore[attr-defined]
    if exc is None:
        return ""
    text = getattr(exc, "getMessage", lambda: str(exc))()
    return clean_line(str(text))[:200]


def _looks_html(body: bytes, content_type: str) -> bool:
    head = body[:1024].lstrip().lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html"))


def _entry(raw: dict) -> Entry | None:
    link = raw.get("link") or None
    title_type = raw.get("title_detail", {}).get("type")
    title = _plain(raw.get("title", ""), title_type)
    content = raw.get("content") or []
    html = max((c.get("value", "") for c in content), key=len, default="")
    summary = raw.get("summary", "") or ""
    if len(summary) > len(html):  # many feeds put the whole article in <description>
        html = summary
    published = _date(raw.get("published_parsed") or raw.get("updated_parsed"))
    guid = clean_line(raw.get("id") or "") or clean_line(link or "")
    if not guid:
        if not title and not html:
            return None
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
    )


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
    The feed's title, author and date win over the page's; the link is the source."""
    parsed = page if page is not None else html_fragment(entry.html, entry.title)
    parsed.title = entry.title or parsed.title
    parsed.byline = entry.author or parsed.byline
    parsed.published = entry.published or parsed.published
    parsed.url = entry.link or parsed.url
    return parsed


def html_fragment(html: str, title: str) -> Parsed:
    """Plain, sanitised text of an HTML fragment (an entry's content), keeping headings."""
    import trafilatura

    title = clean_line(title)
    if len(html) > MAX_TEXT_CHARS * 4:
        raise ImportFailed("entry text too long")
    builder = TextBuilder()
    if html.strip():
        page = f"<html><body><article>{html}</article></body></html>"
        try:
            body = trafilatura.extract(
                page, output_format="markdown", include_formatting=True, include_tables=True,
                include_links=False, include_comments=False, favor_recall=True,
            )  # fmt: skip
        except Exception:  # lxml and trafilatura raise many kinds on broken markup
            body = None
        if body:
            h1 = parse_body(builder, body, take_title=not title)
            title = title or h1 or ""
        else:
            for para in re.split(r"\n\s*\n|\n", trafilatura.html2txt(page) or ""):
                builder.paragraph(para)
    if not builder.paragraphs and title:
        builder.paragraph(title)  # a title-only entry (a link post): the title is its text
    return builder.build(title or "(untitled)")


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
