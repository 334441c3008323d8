"""Omnivore's export ZIP: `metadata_<from>_to_<to>.json` arrays (one object per saved item),
`content/<slug>.html` (the readable text Omnivore kept: the article) and
`highlights/<slug>.md` (the item's highlights and notes as Omnivore wrote them in Markdown:
`> quote`, then `#label` tags and the note, items joined by a blank line).

States: "Archived"/"ARCHIVED" is read; "Active"/"SUCCEEDED"/"CONTENT_NOT_FETCHED" is unread
unless `readingProgress` reached 100; "DELETED" is not imported (reported as
`Malformed(where, "deleted in Omnivore; not imported")`, so the report shows it); any other
state ("Unknown", "FAILED", "PROCESSING") says nothing. An item without a content file
(or with a PDF) is a saved link.
"""

from __future__ import annotations

import json
import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from store.core.errors import ImportFailed
from store.core.sanitize import clean, clean_markup
from store.ingest.services import record
from store.ingest.services.record import Entry, Highlight, Malformed, Saved

NAME = "omnivore"
LABEL = "Omnivore"

MAX_CONTENT_BYTES = record.MAX_ENTRY_BYTES  # one content/*.html or highlights/*.md member
MAX_METADATA_BYTES = 4 << 20  # one metadata_*.json (Omnivore writes 20 items to one)
MAX_METADATA_VALUES = 200_000  # lists and objects in one (parsed, each costs memory)

_METADATA = re.compile(r"(?:^|/)metadata_(\d+)_to_(\d+)\.json$")
_READ_STATES = {"archived"}
_UNREAD_STATES = {"active", "succeeded", "content_not_fetched"}
_DELETED_STATES = {"deleted"}

_Bad = record.BadField
_text = record.text_field
_date = record.date_field
_kind = record.kind


def sniff(path: Path, head: bytes) -> bool:
    """True when the file is a ZIP holding an Omnivore `metadata_N_to_M.json`."""
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            return any(_METADATA.search(name) for name in zf.namelist())
    except Exception:  # noqa: BLE001 (sniffing never raises, whatever the file)
        return False


def read(path: Path) -> Iterator[Entry]:
    """The export's items in metadata order, as Saved (or Malformed) entries; ImportFailed
    when the file is not a ZIP or holds no Omnivore metadata file."""
    zf = record.open_zip(path)
    infos = {info.filename: info for info in zf.infolist() if not info.is_dir()}
    metadata = sorted(
        (m for m in (_METADATA.search(name) for name in infos) if m),
        key=lambda m: (posixpath.dirname(m.string), int(m.group(1)), m.string),
    )
    if not metadata:
        zf.close()
        raise ImportFailed("not an Omnivore export (no metadata_*.json in the archive)")
    return record.bounded(_entries(zf, infos, [m.string for m in metadata]))


def _entries(
    zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], files: list[str]
) -> Iterator[Entry]:
    with zf:
        for name in files:
            items = _metadata_items(zf, infos[name])
            if isinstance(items, Malformed):
                yield items
                continue
            root = posixpath.dirname(name)
            for i, item in enumerate(items):
                yield from _entry(zf, infos, root, f"{name}[{i}]", item)


def _metadata_items(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> list[object] | Malformed:
    try:
        data = record.zip_member(zf, info, MAX_METADATA_BYTES)
    except ImportFailed as exc:
        return Malformed(info.filename, str(exc))
    if data.count(b"[") + data.count(b"{") > MAX_METADATA_VALUES:
        return Malformed(info.filename, f"more than {MAX_METADATA_VALUES:,} lists and objects")
    try:
        items = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return Malformed(info.filename, "not valid UTF-8")
    except RecursionError:
        return Malformed(info.filename, f"nested deeper than {record.MAX_DEPTH} levels")
    except ValueError as exc:
        return Malformed(info.filename, f"not valid JSON ({str(exc).splitlines()[0]})")
    if not isinstance(items, list):
        return Malformed(info.filename, "not a JSON array of items")
    return items


def _entry(
    zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], root: str, where: str, item: object
) -> Iterator[Entry]:
    if not isinstance(item, dict):
        yield Malformed(where, f"not an object ({_kind(item)})")
        return
    if _depth(item) > record.MAX_DEPTH:
        yield Malformed(where, f"nested deeper than {record.MAX_DEPTH} levels")
        return
    try:
        saved = _saved(where, item)
        state = _text(item, "state")
        slug = _text(item, "slug")
        if state and state.strip().lower() in _DELETED_STATES:
            yield Malformed(where, "deleted in Omnivore; not imported")
            return
        if slug:
            saved.html = _content(zf, infos.get(posixpath.join(root, "content", f"{slug}.html")))
            notes = _content(zf, infos.get(posixpath.join(root, "highlights", f"{slug}.md")))
            saved.highlights = parse_highlights(notes) if notes else []
    except _Bad as exc:
        yield Malformed(where, str(exc))
        return
    if saved.url is None and saved.html is None:
        yield Malformed(where, "no URL and no content")
        return
    if saved.html is not None:
        saved.html = clean_markup(saved.html).strip() or None
    extra = saved.highlights[record.MAX_HIGHLIGHTS :]
    del saved.highlights[record.MAX_HIGHLIGHTS :]
    yield saved
    if extra:
        yield Malformed(where, f"more than {record.MAX_HIGHLIGHTS:,} highlights; the rest not read")


def _saved(where: str, item: dict) -> Saved:
    """The item's metadata (no content yet); _Bad when a field has the wrong type."""
    state = _text(item, "state")
    progress = item.get("readingProgress")
    if isinstance(progress, bool) or not isinstance(progress, int | float | None):
        raise _Bad(f"readingProgress: expected a number, got {_kind(progress)}")
    key = state.strip().lower() if state else None
    read: bool | None = None
    if key in _READ_STATES or (progress is not None and progress >= 100):
        read = True
    elif key in _UNREAD_STATES:
        read = False
    return Saved(
        where=where,
        url=record.line(_text(item, "url")),
        title=record.line(_text(item, "title")),
        author=record.line(_text(item, "author")),
        saved=_date(item, "savedAt"),
        published=_date(item, "publishedAt"),
        tags=_labels(item.get("labels")),
        read=read,
    )


def _labels(value: object) -> list[str]:
    """Labels as strings (the ZIP export) or {name} objects (the API's shape)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Bad(f"labels: expected a list, got {_kind(value)}")
    tags: list[str] = []
    for label in value:
        name = label.get("name") if isinstance(label, dict) else label
        if not isinstance(name, str):
            raise _Bad(f"labels: expected names, got {_kind(name)}")
        if (tag := record.line(name)) and tag not in tags:
            tags.append(tag)
    return tags


def _content(zf: zipfile.ZipFile, info: zipfile.ZipInfo | None) -> str | None:
    """A content or highlights member's text, None when there is none; _Bad when it is
    over the bounds or not UTF-8."""
    if info is None:
        return None
    try:
        data = record.zip_member(zf, info, MAX_CONTENT_BYTES)
    except ImportFailed as exc:
        raise _Bad(str(exc)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Bad(f"{info.filename}: not valid UTF-8 (at byte {exc.start})") from None
    return text if text.strip() else None


_LABELS = re.compile(r"#[^\s#][^#]*(?:\s#[^\s#][^#]*)*")
_LABEL_SPLIT = re.compile(r"\s+(?=#[^\s#])")


def parse_highlights(markdown: str) -> list[Highlight]:
    """Omnivore's highlights Markdown as Highlights. Omnivore writes a highlight as
    `> quote ` (blank lines inside the quote become `> `), then `#label #label` and the
    note, each after one blank line; a note on the whole item as its text and a blank
    line; and joins the items with a blank line. So a block one blank line after a
    highlight is its labels or its note, unless two or more blank lines (or the end of
    the file after a blank line) follow it: then it is a note on the whole item."""
    highlights: list[Highlight] = []
    current: Highlight | None = None
    labels_allowed = False
    for before, after, block in _blocks(clean(markdown)):
        if block[0].startswith(">"):
            quote = "\n".join(re.sub(r"^> ?", "", ln) for ln in block)
            current = Highlight(quote=record.body(quote))
            highlights.append(current)
            labels_allowed = True
            continue
        text = record.body("\n".join(block))
        if text is None:
            continue
        if current is not None and before == 1 and labels_allowed and _is_labels(block):
            labels = _LABEL_SPLIT.split(block[0].strip())
            current.tags = [t for t in (record.line(x.lstrip("#")) for x in labels) if t]
        elif current is not None and before == 1 and after < 2:
            current.note = f"{current.note}\n\n{text}" if current.note else text
        else:
            current = Highlight(quote=None, note=text)
            highlights.append(current)
        labels_allowed = False
    return [h for h in highlights if h.quote or h.note]


def _is_labels(block: list[str]) -> bool:
    """A one-line block of `#label` words (Omnivore writes a highlight's labels so)."""
    line = block[0].strip()
    return len(block) == 1 and len(line) <= 2000 and bool(_LABELS.fullmatch(line))


def _blocks(text: str) -> list[tuple[int, int, list[str]]]:
    """The text's blocks of non-blank lines, each with the number of blank lines before
    and after it (before the first block: many)."""
    blocks: list[tuple[int, list[str]]] = []
    gap, block = 99, []
    for ln in text.split("\n"):
        if ln.strip():
            block.append(ln.rstrip())
            continue
        if block:
            blocks.append((gap, block))
            gap, block = 0, []
        gap += 1
    if block:
        blocks.append((gap, block))
        gap = 0
    if not blocks:
        return []
    afters = [b for b, _ in blocks[1:]] + [gap]
    return [(b, a, blk) for (b, blk), a in zip(blocks, afters, strict=True)]


def _depth(value: object) -> int:
    """How deeply a parsed JSON value nests (iteratively: no recursion on hostile input)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest
