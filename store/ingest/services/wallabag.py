"""Wallabag's JSON export: one array of entries (`title, url, content` as HTML,
`is_archived, is_starred` as 0/1 or true/false, `tags` as labels, `created_at,
published_at` such as "2016-09-08T11:55:58+0200", `published_by` a list of authors, and
`annotations` in the AnnotatorJS form `text` (the note), `quote`, `ranges`, `created_at`).

The file is streamed with ijson: memory holds one entry, never the file. An entry larger
than MAX_ENTRY_BYTES or nested deeper than MAX_DEPTH is skipped (its Malformed says why)
and the next is read; one so large that the file cannot be read past it safely
(MAX_STREAM_BYTES) ends the read with a Malformed saying so. An entry with `deleted_at`
set (Wallabag's trash) is not imported: `Malformed(where, "deleted in Wallabag; ...")`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import ijson

from store.core.errors import ImportFailed
from store.core.sanitize import clean_markup
from store.ingest.services import record
from store.ingest.services.record import Entry, Highlight, Malformed, Saved

NAME = "wallabag"
LABEL = "Wallabag"

MAX_ENTRY_BYTES = record.MAX_ENTRY_BYTES  # one entry: its keys and strings' characters,
#  8 for each other value and 16 for each list or object (what it costs in memory, roughly)
MAX_STREAM_BYTES = 4 * record.MAX_ENTRY_BYTES  # bytes read for one entry before giving up
MAX_DEPTH = record.MAX_DEPTH

_BOM = b"\xef\xbb\xbf"
_KEYS = ("is_archived", "is_starred", "annotations", "content", "created_at", "published_by")
_SNIFF = re.compile(rb'^\s*\[\s*\{.*"(?:is_archived|is_starred)"\s*:', re.DOTALL)

_Bad = record.BadField
_text = record.text_field
_date = record.date_field
_kind = record.kind


class _TooLarge(Exception):
    """One entry ran past MAX_STREAM_BYTES: the rest of the file is not read."""


class _Source:
    """The export as ijson reads it: a leading BOM dropped, and the bytes read since the
    current entry began bounded (the parser holds a whole string token in memory)."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.count = 0
        self.mark: int | None = None  # where the current entry began (None: between entries)

    def read(self, n: int = -1) -> bytes:
        if self.mark is not None and self.count - self.mark > MAX_STREAM_BYTES:
            raise _TooLarge
        if n == 0:  # ijson probes with read(0) whether the stream gives bytes
            return b""
        data = self.f.read(n if n > 0 else 1 << 16)
        if self.count == 0 and data.startswith(_BOM):
            data = data[len(_BOM) :]
            self.count += len(_BOM)
        self.count += len(data)
        return data


def sniff(path: Path, head: bytes) -> bool:
    """True when the file starts as a JSON array of objects with Wallabag's state keys."""
    try:
        return bool(_SNIFF.match(head.removeprefix(_BOM)))
    except Exception:  # noqa: BLE001 (sniffing never raises)
        return False


def read(path: Path) -> Iterator[Entry]:
    """The export's entries, streamed; ImportFailed when the file is not JSON, not an array,
    or its first entry is not a Wallabag entry (checked before this returns)."""
    f = record.open_export(path)
    source = _Source(f)
    # basic_parse, not parse: parse builds each event's path, so deep nesting costs
    # time quadratic in its depth
    events = ijson.basic_parse(source, use_float=True)
    try:
        start = next(events, None)
        first = _next(events, source) if start and start[0] == "start_array" else False
    except (ijson.JSONError, UnicodeDecodeError, StopIteration) as exc:
        f.close()
        raise ImportFailed(f"not a Wallabag export (not valid JSON: {_reason(exc)})") from None
    except _TooLarge:
        f.close()
        return iter([_too_large(1)])
    if first is False:
        f.close()
        raise ImportFailed("not a Wallabag export (expected a JSON array of entries)")
    if first is not None and first[1] is None and not _looks_like_wallabag(first[0]):
        f.close()
        raise ImportFailed("not a Wallabag export (its first entry has no Wallabag fields)")
    return record.bounded(_entries(f, source, events, first))


def _next(events: Iterator[tuple], source: _Source) -> tuple[object, str | None] | None:
    """The next entry (value, None) or (None, reason); None at the end of the array."""
    event, value = next(events)
    if event == "end_array":
        return None
    source.mark = source.count
    built = _build(events, event, value)
    source.mark = None
    return built


def _entries(
    f: BinaryIO, source: _Source, events: Iterator[tuple], first: tuple | None
) -> Iterator[Entry]:
    with f:
        n, built = 1, first
        try:
            while built is not None:
                entry, error = built
                yield Malformed(f"entry {n}", error) if error else _entry(f"entry {n}", entry)
                n += 1
                built = _next(events, source)
        except _TooLarge:
            yield _too_large(n)
        except (ijson.JSONError, UnicodeDecodeError, StopIteration) as exc:
            reason = _reason(exc)
            if "premature EOF" in reason or isinstance(exc, StopIteration):
                reason = "the file ends in the middle of this entry (truncated?)"
            yield Malformed(f"entry {n}", f"{reason}; the rest of the file was not read")


def _too_large(n: int) -> Malformed:
    reason = f"larger than {MAX_STREAM_BYTES:,} bytes; the rest of the file was not read"
    return Malformed(f"entry {n}", reason)


def _build(events: Iterator[tuple], event: str, value: object) -> tuple[object, str | None]:
    """One JSON value from its first event, read to its end: (value, None), or (None,
    reason) when it is larger than MAX_ENTRY_BYTES or nested deeper than MAX_DEPTH (its
    events are still read, to reach the next entry; nothing more is kept)."""
    if event not in ("start_map", "start_array"):
        return value, None
    root: object = {} if event == "start_map" else []
    stack: list = [root]
    depth, size, key, error = 1, 0, None, None
    for event, value in events:
        if event in ("start_map", "start_array"):
            depth += 1
            size += 16  # an empty container still costs memory: count it
            if error is None and depth > MAX_DEPTH:
                error = f"nested deeper than {MAX_DEPTH} levels"
                root = stack = None  # type: ignore[assignment]
            elif error is None and size > MAX_ENTRY_BYTES:
                error = f"larger than {MAX_ENTRY_BYTES:,} bytes"
                root = stack = None  # type: ignore[assignment]
            if error is None:
                child: object = {} if event == "start_map" else []
                _add(stack[-1], key, child)
                stack.append(child)
            continue
        if event in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                return (None, error) if error else (root, None)
            if error is None:
                stack.pop()
            continue
        if error is not None:
            continue
        size += len(value) if isinstance(value, str) else 8
        if size > MAX_ENTRY_BYTES:
            error = f"larger than {MAX_ENTRY_BYTES:,} bytes"
            root = stack = None  # type: ignore[assignment]  (let the entry go now)
        elif event == "map_key":
            key = value
        else:
            _add(stack[-1], key, value)
    raise ijson.IncompleteJSONError("premature EOF")


def _add(container: object, key: object, value: object) -> None:
    if isinstance(container, dict):
        container[key] = value
    else:
        container.append(value)  # type: ignore[union-attr]


def _looks_like_wallabag(entry: object) -> bool:
    return isinstance(entry, dict) and any(k in entry for k in _KEYS)


def _entry(where: str, entry: object) -> Entry:
    if not isinstance(entry, dict):
        return Malformed(where, f"not an object ({_kind(entry)})")
    try:
        if entry.get("deleted_at") is not None:
            return Malformed(where, "deleted in Wallabag; not imported")
        given = record.line(_text(entry, "given_url"))  # what the user saved, before redirects
        url = record.line(_text(entry, "url")) or given
        content = _text(entry, "content")
        html = (clean_markup(content).strip() or None) if content else None
        if url is None and html is None:
            return Malformed(where, "no URL and no content")
        return Saved(
            where=where,
            url=url,
            title=record.line(_text(entry, "title")),
            author=_authors(entry.get("published_by")),
            saved=_date(entry, "created_at"),
            published=_date(entry, "published_at"),
            tags=_tags(entry.get("tags")),
            read=_flag(entry, "is_archived"),
            starred=_flag(entry, "is_starred"),
            html=html,
            highlights=_annotations(entry.get("annotations")),
        )
    except _Bad as exc:
        return Malformed(where, str(exc))


def _annotations(value: object) -> list[Highlight]:
    """AnnotatorJS annotations: `quote` the highlighted text, `text` the note. Their
    `ranges` are XPaths into Wallabag's HTML, not offsets into the saved text: not kept
    (the quote anchors the highlight)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Bad(f"annotations: expected a list, got {_kind(value)}")
    if len(value) > record.MAX_HIGHLIGHTS:
        raise _Bad(f"more than {record.MAX_HIGHLIGHTS:,} annotations")
    highlights = []
    for i, note in enumerate(value):
        if not isinstance(note, dict):
            raise _Bad(f"annotations[{i}]: expected an object, got {_kind(note)}")
        try:
            quote = record.body(_text(note, "quote"))
            text = record.body(_text(note, "text"))
            created = _date(note, "created_at")
        except _Bad as exc:
            raise _Bad(f"annotations[{i}].{exc}") from None
        if quote or text:
            highlights.append(Highlight(quote=quote, note=text, created=created))
    return highlights


def _tags(value: object) -> list[str]:
    """Tags as the export writes them (labels) or as the API does ({label} objects)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Bad(f"tags: expected a list, got {_kind(value)}")
    tags: list[str] = []
    for tag in value:
        label = tag.get("label") if isinstance(tag, dict) else tag
        if not isinstance(label, str):
            raise _Bad(f"tags: expected labels, got {_kind(label)}")
        if (name := record.line(label)) and name not in tags:
            tags.append(name)
    return tags


def _authors(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return record.line(value)
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise _Bad(f"published_by: expected a list of names, got {_kind(value)}")
    return record.line(", ".join(a.strip() for a in value if a.strip()))


def _flag(entry: dict, key: str) -> bool | None:
    """0/1 (what Wallabag writes) or true/false (older exports)."""
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    raise _Bad(f"{key}: expected 0 or 1, got {_kind(value)}")


def _reason(exc: Exception) -> str:
    """ijson's message, first line only (yajl adds lines quoting the input)."""
    text = str(exc)
    if text.startswith(("b'", 'b"')):
        text = text[2:].replace("\\n", "\n")
    return (text.strip().splitlines() or ["invalid JSON"])[0].strip().rstrip(".")
