"""OPML: subscriptions in and out, the format every feed reader exchanges.

A feed's first tag is its folder (nested by '/'); every tag is also listed in the outline's
`category` attribute, so import → export → import keeps feeds with several tags intact.
Folders and categories from other readers become tags, made acceptable where needed.
Bounded: the file's size, the number of feeds, and folder depth (deeper folders are
flattened into their ancestor at MAX_FOLDERS levels: the feeds are kept, the user told).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.core.errors import GlossError, ImportFailed
from store.core.sanitize import MAX_FILE_BYTES, clean_line, normalise_tag

if TYPE_CHECKING:
    from store.core.handle import Handle
    from store.ingest.feeds import Feed

# No reader nests folders this deep; a deeper path is a broken or hostile file, and its
# feeds are still worth subscribing to.
MAX_FOLDERS = 8
MAX_FEEDS = 10_000


@dataclass(frozen=True)
class Outline:
    url: str
    title: str | None
    tags: tuple[str, ...]


@dataclass
class OpmlReport:
    added: list[Feed] = field(default_factory=list)
    present: list[Feed] = field(default_factory=list)  # already subscribed (tags are added)
    skipped: list[str] = field(default_factory=list)  # one line each: what and why

    def to_json(self) -> dict[str, Any]:
        return {
            "added": [f.to_json() for f in self.added],
            "present": [f.to_json() for f in self.present],
            "skipped": self.skipped,
        }


def read_opml(data: bytes) -> tuple[list[Outline], list[str]]:
    """The feed outlines of an OPML document, and warnings; ImportFailed if unreadable."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFailed(f"too large (more than {MAX_FILE_BYTES:,} bytes, the limit)")
    if b"<!ENTITY" in data:
        raise ImportFailed("OPML with entity declarations is not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ImportFailed(f"not valid OPML ({exc})") from None
    if root.tag.lower() != "opml":
        raise ImportFailed(f"not OPML (the document is <{clean_line(root.tag)[:40]}>)")
    body = next((c for c in root if c.tag.lower() == "body"), None)
    found: list[Outline] = []
    warnings: list[str] = []
    if body is not None:
        _walk(body, found, warnings)
    if len(found) > MAX_FEEDS:
        raise ImportFailed(f"too many feeds ({len(found):,}; the limit is {MAX_FEEDS:,})")
    return found, warnings


def _walk(body: ET.Element, found: list[Outline], warnings: list[str]) -> None:
    """Every feed outline under body, depth first, without recursion (a file can nest
    outlines thousands deep); an outline with a feed URL is a feed, its children ignored."""
    stack: list[tuple[ET.Element, tuple[str, ...]]] = [(body, ())]
    flattened = False
    while stack:
        node, folder = stack.pop()
        children = []
        for child in node:
            if not isinstance(child.tag, str) or child.tag.lower() != "outline":
                continue
            attrs = {k.lower(): v for k, v in child.attrib.items()}
            name = clean_line(attrs.get("title") or attrs.get("text") or "")
            url = (attrs.get("xmlurl") or "").strip()
            if not url:
                inner = (*folder, name) if name else folder
                if len(inner) > MAX_FOLDERS:
                    inner, flattened = folder, True
                children.append((child, inner))
                continue
            tags = {_as_tag("/".join(folder), warnings)} if folder else set()
            for cat in (attrs.get("category") or "").split(","):
                if cat.strip():
                    tags.add(_as_tag(cat, warnings))
            found.append(Outline(url, name or None, tuple(sorted(t for t in tags if t))))
        stack.extend(reversed(children))  # document order
    if flattened:
        warnings.append(
            f"folders nested deeper than {MAX_FOLDERS} levels: their feeds are tagged with"
            f" the first {MAX_FOLDERS}"
        )


def _as_tag(name: str, warnings: list[str]) -> str:
    """A folder or category name as a gloss tag ("Tech & Science" → "tech-science")."""
    text = re.sub(r"[^\w.+/ -]+", "-", clean_line(name).strip("/ "))
    try:
        return normalise_tag(text)
    except GlossError:
        warnings.append(f"folder {clean_line(name)[:80]!r} cannot be a tag; ignored")
        return ""


def import_opml(h: Handle, path: Path) -> OpmlReport:
    """Subscribe to every feed of an OPML file (without fetching; refresh fetches)."""
    from store.core.files import read_bounded
    from store.ingest.feeds import add_feeds

    try:  # a regular file only, bounded (MAX_FILE_BYTES), as every imported file is read
        data = read_bounded(path)
    except ImportFailed as exc:
        raise ImportFailed(f"cannot read {path}: {exc}") from None
    outlines, warnings = read_opml(data)
    report = OpmlReport(skipped=warnings)
    done = add_feeds(h, [(o.url, o.title, o.tags) for o in outlines])
    for o, (feed, new, error) in zip(outlines, done, strict=True):
        if feed is None:
            report.skipped.append(f"{clean_line(o.url)[:200]}: {error}")
        else:
            (report.added if new else report.present).append(feed)
    return report


def export_opml(h: Handle) -> str:
    """Every subscribed feed as OPML 2.0, in folders by first tag."""
    from store.ingest.feeds import list_feeds

    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "gloss subscriptions"
    ET.SubElement(head, "dateCreated").text = formatdate(usegmt=True)
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}

    def folder(path: str) -> ET.Element:
        if not path:
            return body
        if path not in folders:
            parent, _, name = path.rpartition("/")
            folders[path] = ET.SubElement(folder(parent), "outline", text=name, title=name)
        return folders[path]

    for feed in list_feeds(h):
        attrs = {"type": "rss", "text": feed.title, "title": feed.title, "xmlUrl": feed.url}
        if feed.tags:
            attrs["category"] = ",".join(f"/{t}" for t in feed.tags)
        ET.SubElement(folder(feed.tags[0] if feed.tags else ""), "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
