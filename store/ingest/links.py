"""Saved links: articles known only by their URL (a Pocket or Instapaper entry, a page a
Hypothesis user annotated), listed and searchable until `gloss fetch` brings their text.

A saved link is an ordinary article whose text is its URL and whose source is the same URL
(`text = source`, the partial index `articles_links`): it syncs, tags, stars and holds
notes like any article, its id is the usual content hash, and the page fetched later is a
new version of it (same source), so its notes move over and anchor in the text that
arrived; a quote the page does not hold stays an orphan, never lost.

URLs are canonical (`canonical_url`) so one article saved by two services, or already in
the library, is found as one.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from store.core.models import FileResult

if TYPE_CHECKING:
    from store.core.handle import Handle

LINK_SQL = "text = source"  # a saved link (the partial index articles_links covers it)
MAX_URL_CHARS = 4000

# Query parameters that say where a click came from, never which page it is.
_TRACKING = re.compile(
    r"^(utm_\w*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|yclid|_hsenc"
    r"|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|vero_id|ref_src|ref_url|__s|s_cid|cmpid"
    r"|ncid|sr_share|at_medium|at_campaign)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str | None:
    """The canonical form of an http(s) URL, None for anything else: scheme and host in
    lower case, no default port, no user info, no fragment, no tracking parameters
    (`utm_*`, `fbclid`, …), no trailing slash on the path (the root stays `/`). The other
    query parameters keep their order: they can name the page."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or len(url) > MAX_URL_CHARS or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if ":" in host:  # an IPv6 literal keeps its brackets
        netloc = f"[{host}]" + netloc[len(host) :]
    path = parts.path.rstrip("/") or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING.match(k)]  # fmt: skip
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def url_candidates(url: str) -> list[str]:
    """The sources an article saved from `url` may carry in the library: the canonical
    form first, the URL as given, the canonical form with a trailing slash and over the
    other scheme. (Sources are looked up in their index, so a lookup costs what the
    import holds, not what the library holds.)"""
    canon = canonical_url(url)
    if canon is None:
        return [url]
    out = [canon, url.strip()]
    if not canon.endswith("/") and "?" not in canon:
        out.append(canon + "/")
    other = "http://" + canon[8:] if canon.startswith("https://") else "https://" + canon[7:]
    out.append(other)
    return list(dict.fromkeys(out))


def find_current(conn: sqlite3.Connection, url: str) -> tuple[int, str, str, bool] | None:
    """The current article saved from this URL: (key, id, source, is a saved link), or
    None. A saved link is preferred last: an article with its text wins."""
    cands = url_candidates(url)
    rows = conn.execute(
        "SELECT a.key, a.id, a.source, a.text = a.source FROM articles a"
        " JOIN article_state s ON s.article = a.key"
        f" WHERE a.source IN ({','.join('?' * len(cands))}) AND s.superseded_by IS NULL"
        " ORDER BY (a.text = a.source), a.imported_at DESC",
        cands,
    ).fetchall()
    return (rows[0][0], rows[0][1], rows[0][2], bool(rows[0][3])) if rows else None


def insert_link(
    conn: sqlite3.Connection, aid: str, url: str, title: str, byline: str | None,
    published: str | None, imported_at: str,
) -> int:  # fmt: skip
    """Write a saved link (its text and source are its URL); its local key. The caller
    rebuilds its state (`state.rebuild`) before the transaction ends."""
    structure = {"sections": [], "paragraphs": [[0, len(url)]]}
    conn.execute(
        "INSERT OR IGNORE INTO articles (id, title, byline, source, published, imported_at,"
        " structure, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (aid, title, byline, url, published, imported_at, json.dumps(structure), url),
    )
    return conn.execute("SELECT key FROM articles WHERE id = ?", (aid,)).fetchone()[0]


def pending(h: Handle, prefixes: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(id, URL) of the current saved links, oldest first; only those whose id starts with
    one of `prefixes` when given."""
    rows = h.conn.execute(
        "SELECT a.id, a.source FROM articles a JOIN article_state s ON s.article = a.key"
        f" WHERE a.key IN (SELECT key FROM articles WHERE {LINK_SQL})"  # (articles_links)
        " AND s.superseded_by IS NULL ORDER BY a.imported_at, a.key"
    ).fetchall()
    if prefixes:
        rows = [r for r in rows if any(r[0].startswith(p) for p in prefixes)]
    return [(r[0], r[1]) for r in rows]


@dataclass
class FetchReport:
    """`gloss fetch`: a result per saved link fetched (its page imported, or why not)."""

    results: list[FileResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    moved: int = 0  # notes carried from links to their pages
    orphaned: int = 0  # of which the page does not hold the quote (kept as orphans)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def to_json(self) -> dict[str, Any]:
        return {
            "fetched": self.count("imported"),
            "failed": self.count("failed"),
            "notes_moved": self.moved,
            "notes_orphaned": self.orphaned,
            "warnings": self.warnings,
            "links": [r.to_json() for r in self.results],
        }


def fetch_links(
    h: Handle,
    links: Sequence[tuple[str, str]],
    progress: Callable[[int, int], None] | None = None,
    limits: Any = None,
) -> FetchReport:
    """Fetch saved links' pages through the page import: each page is a new version of
    its link (notes move and anchor; read, starred and tags carry over). A page whose text
    is already in the library (saved another way) takes the link's notes too."""
    from store.ingest.fetch import Limits
    from store.ingest.refresh import import_urls
    from store.notes import versions

    report = FetchReport()
    got = import_urls(h, [url for _, url in links], progress, limits or Limits())
    report.warnings += got.warnings
    for (link_id, url), result in zip(links, got.results, strict=True):
        result.path = url
        report.results.append(result)
        if result.status == "failed" or result.article_id in (None, link_id):
            continue
        with h.write() as conn:
            row = conn.execute(
                "SELECT s.superseded_by FROM articles a JOIN article_state s"
                " ON s.article = a.key WHERE a.id = ?",
                (link_id,),
            ).fetchone()
            if row is None or row[0] is not None:  # superseded by the import: moved
                moved = _moved(conn, link_id)
            else:  # the page was here already: it takes the link's notes and state
                moved = versions.supersede(
                    conn, link_id, result.article_id, h.stamp(conn), h.device_id
                )
            result.status = "imported"
        report.moved += moved["moved"]
        report.orphaned += moved["orphaned"]
        result.reason = (
            f"{moved['moved']} notes moved, {moved['orphaned']} orphaned"
            if moved["moved"]
            else None
        )
    return report


def _moved(conn: sqlite3.Connection, link_id: str) -> dict[str, int]:
    """What the import's supersede moved off a link: its notes, and how many of them now
    sit on the page without a place (orphans)."""
    rows = conn.execute(
        "SELECT r.pos_start IS NULL AND r.exact IS NOT NULL FROM notes n"
        " JOIN note_revisions r ON r.rowid = n.rev"
        " WHERE n.article = (SELECT superseded_by FROM article_state WHERE article ="
        " (SELECT key FROM articles WHERE id = ?))"
        " AND n.note_id IN (SELECT note_id FROM note_revisions WHERE article ="
        " (SELECT key FROM articles WHERE id = ?))",
        (link_id, link_id),
    ).fetchall()
    return {"moved": len(rows), "orphaned": sum(1 for r in rows if r[0])}
