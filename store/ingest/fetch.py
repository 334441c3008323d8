"""HTTP for feeds and web pages: httpx with bounds on everything a server controls.

Only http and https; redirects followed by hand (at most `max_redirects`, loops named as
such, every hop checked); a per-request timeout, capped by the caller's deadline (a feed's
whole refresh has one, so a host that never answers costs it that much at most); bodies streamed
and cut off past `max_bytes` (after gzip decoding, so a small bomb cannot grow past it);
conditional GET with ETag / Last-Modified. Every failure is a `FetchFailed` with a one-line
reason. Nothing here touches the library, so it runs in any worker thread.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

from store.core.errors import FetchFailed, InvalidInput
from store.core.sanitize import has_unsafe

if TYPE_CHECKING:
    import httpx

USER_AGENT = "gloss/0.1 (terminal news reader)"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Limits:
    """How far gloss goes for one response. Tests shrink these; users rarely need to."""

    timeout: float = 15.0  # seconds, per request (connect, each read) and overall
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    parallel: int = 4  # feeds fetched at once, and pages of each feed fetched at once
    feed_time: float | None = None  # seconds for one feed's refresh, pages included

    @property
    def feed_budget(self) -> float:
        """Seconds one feed's refresh may take in all: its fetch and its pages' fetches
        (four request timeouts unless set: 60 s by default)."""
        return self.feed_time if self.feed_time is not None else 4 * self.timeout


class TimedOut(FetchFailed):
    """A request that got no answer in time; `by_deadline` when the caller's deadline,
    not the request's own timeout, cut it short."""

    def __init__(self, message: str, by_deadline: bool = False) -> None:
        super().__init__(message)
        self.by_deadline = by_deadline


@dataclass(frozen=True)
class Fetched:
    """One response: the final URL after redirects, and the body (None when not modified)."""

    url: str
    status: int
    body: bytes | None
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def check_url(url: str) -> str:
    """The URL normalised (scheme and host lower-case, default port and fragment dropped);
    InvalidInput for anything but an absolute http(s) URL."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidInput(f"not a valid URL: {text[:200]!r}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        what = f"{scheme}: URLs" if scheme else "a URL without http:// or https://"
        raise InvalidInput(f"only http and https URLs can be fetched, not {what} ({text[:200]!r})")
    host = (parts.hostname or "").lower()
    if not host or has_unsafe(text) or any(c.isspace() for c in text):
        raise InvalidInput(f"not a valid URL: {text[:200]!r}")
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[scheme]
    netloc = host if port is None or port == default else f"{host}:{port}"
    if parts.username:
        raise InvalidInput("URLs with a user name or password are not supported")
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def is_url(text: str) -> bool:
    """True when text looks like a URL (scheme://...) rather than a file path."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text.strip()) is not None


def url_id(url: str) -> str:
    """Content hash of the normalised URL: one feed, one id, on every machine."""
    return hashlib.sha256(check_url(url).encode("utf-8")).hexdigest()[:32]


def client(limits: Limits) -> httpx.Client:
    """An httpx client for one batch of fetches (share it across worker threads)."""
    import httpx

    return httpx.Client(
        timeout=httpx.Timeout(limits.timeout),
        follow_redirects=False,  # followed by hand, to bound and check every hop
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        # a page pool per feed, for `parallel` feeds at once, and the feeds' own fetches
        limits=httpx.Limits(max_connections=max(4, limits.parallel * (limits.parallel + 1))),
    )


def fetch(
    http: httpx.Client,
    url: str,
    limits: Limits,
    accept: str = FEED_ACCEPT,
    etag: str | None = None,
    last_modified: str | None = None,
    deadline: float | None = None,
) -> Fetched:
    """GET url with bounded redirects, timeout and size; FetchFailed says why not.
    `deadline` (a time.monotonic() value) cuts the request's timeout shorter."""
    import httpx

    end = time.monotonic() + limits.timeout
    cut = deadline is not None and deadline < end
    if cut:
        end = deadline  # type: ignore[assignment]
    seen = {url}
    current = url
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        for _ in range(limits.max_redirects + 1):
            left = end - time.monotonic()
            if left <= 0:
                raise httpx.TimeoutException("no time left")
            with http.stream("GET", current, headers=headers, timeout=left) as response:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    current = _next_hop(current, response.headers["location"], seen)
                    continue
                return _read(response, current, limits, end)
        raise FetchFailed(f"too many redirects (more than {limits.max_redirects})")
    except httpx.TimeoutException:
        raise _timed_out(limits, cut) from None
    except httpx.ConnectError as exc:
        raise FetchFailed(f"cannot connect ({_reason(exc)})") from None
    except httpx.HTTPError as exc:
        raise FetchFailed(f"network error ({_reason(exc)})") from None


def _timed_out(limits: Limits, cut: bool) -> TimedOut:
    if cut:
        return TimedOut("timed out: the time limit ran out", by_deadline=True)
    return TimedOut(f"timed out after {limits.timeout:g} s")


def _next_hop(current: str, location: str, seen: set[str]) -> str:
    target = urljoin(current, location.strip())
    try:
        target = check_url(target)
    except InvalidInput:
        raise FetchFailed(f"redirected to a URL gloss will not follow ({target[:200]!r})") from None
    if target in seen:
        raise FetchFailed("redirect loop")
    seen.add(target)
    return target


def _read(response: httpx.Response, url: str, limits: Limits, end: float) -> Fetched:
    import httpx

    status = response.status_code
    meta = {
        "content_type": response.headers.get("content-type", ""),
        "etag": response.headers.get("etag"),
        "last_modified": response.headers.get("last-modified"),
    }
    if status == 304:
        return Fetched(url, status, None, **meta)
    if status >= 400 or status < 200 or status in _REDIRECTS:
        phrase = response.reason_phrase or ""
        raise FetchFailed(f"HTTP {status} {phrase}".strip())
    cap = limits.max_bytes
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap and "content-encoding" not in response.headers:
        raise FetchFailed(f"too large ({int(declared):,} bytes; the limit is {cap:,} bytes)")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > cap:
            raise FetchFailed(f"too large (more than {cap:,} bytes; the limit is {cap:,} bytes)")
        if time.monotonic() > end:  # a server that drips bytes: each read is in time
            raise httpx.TimeoutException("too slow")
        chunks.append(chunk)
    return Fetched(url, status, b"".join(chunks), **meta)


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def decode_page(body: bytes, content_type: str = "") -> str:
    """Decode an HTML page: the header's charset, else a <meta> charset, else UTF-8, else
    Windows-1252 (what browsers assume). Binary bodies are refused."""
    if b"\x00" in body[:8192]:
        raise FetchFailed("not a text page (binary content)")
    names: list[str] = []
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type, re.I)
    if m:
        names.append(m.group(1))
    m2 = _META_CHARSET.search(body[:4096])
    if m2:
        names.append(m2.group(1).decode("ascii", "ignore"))
    for name in [*names, "utf-8"]:
        try:
            return body.decode(name).removeprefix("\ufeff")
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")
