"""Hypothesis (hypothes.is) annotations, as the web app's "Export annotations" JSON writes
them (`{"export_date", "export_userid", "client_version", "annotations": [...]}`), as the
API's search results hold them (`{"total", "rows": [...]}`), or as a bare list of them.

Each annotation has `uri`, `text` (the note, Markdown), `tags`, `created`, `updated`,
`document.title` (a string, or the API's list of strings) and `target[].selector`, where a
TextQuoteSelector gives the quote (`exact`, `prefix`, `suffix`) and a TextPositionSelector
its offset (`start`). The annotations of one page (one `uri`) become one saved link with
its highlights; an annotation with no selector is a note on the page (quote None), and so
is a reply (`references`): it is the user's text, kept, but it answers another annotation
rather than a passage. The file is streamed (ijson's events, not a parsed tree): each
annotation is bounded in depth, values and bytes; pages wait until the end of the file,
bounded by `_HELD_CHARS` of their text (past it, the pages held so far are given out, and
a page seen again later comes out a second time with the same URL).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from store.core.errors import ImportFailed
from store.core.sanitize import clean
from store.ingest.services import record
from store.ingest.services.record import Entry, Highlight, Malformed, Saved

NAME = "hypothesis"
LABEL = "Hypothesis"

MAX_ENTRY_BYTES = record.MAX_ENTRY_BYTES  # the strings and keys of one annotation
MAX_DEPTH = record.MAX_DEPTH
MAX_VALUES = 100_000  # JSON values in one annotation (a real one holds about fifty)
_HELD_CHARS = 32 << 20  # text of the pages waiting for the end of the file
_LISTS = ("annotations", "rows")  # the export's key, the API search response's key
_CONTEXT_CHARS = 1000  # a prefix or suffix longer than this is cut (Hypothesis keeps 32)
_URL_CHARS = 2000


def sniff(path: Path, head: bytes) -> bool:
    """True when `head` looks like Hypothesis annotations: JSON holding a `uri` and a
    `target`, with a Hypothesis account id or a TextQuoteSelector."""
    try:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        return (
            start in (b"{", b"[")
            and b'"uri"' in head
            and b'"target"' in head
            and (b'"acct:' in head or b'"TextQuoteSelector"' in head)
        )
    except Exception:  # noqa: BLE001 (sniffing never raises)
        return False


def read(path: Path) -> Iterator[Entry]:
    """One saved link per annotated page, with its highlights and page notes, and one
    Malformed per annotation that cannot be read; ImportFailed when the file is not
    Hypothesis JSON."""
    return record.bounded(_read(path))


def _read(path: Path) -> Iterator[Entry]:
    with record.open_export(path) as f:
        if f.read(3) != b"\xef\xbb\xbf":
            f.seek(0)
        pages = _Pages()
        seen = False
        try:
            for where, obj in _items(f):
                seen = True
                if isinstance(obj, Malformed):
                    yield obj
                    continue
                got = _annotation(where, obj)
                if isinstance(got, Malformed):
                    yield got
                else:
                    yield from pages.add(where, *got)
        except (ijson.JSONError, UnicodeDecodeError) as exc:  # (yajl: a lone "\\udc00")
            if not seen:
                raise ImportFailed(f"not valid JSON ({_json_error(exc)})") from None
            yield from pages.flush()
            yield Malformed("(rest of file)", f"the JSON breaks off here ({_json_error(exc)})")
            return
        yield from pages.flush()


def _json_error(exc: Exception) -> str:
    """The first line of an ijson error (it goes on to quote the file)."""
    if isinstance(exc, UnicodeDecodeError):
        return "a string that is not valid UTF-8"
    msg = exc.args[0] if exc.args else ""
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    return (record.line(str(msg).split("\n")[0], 120) or "damaged").rstrip(".")


def _items(f: BinaryIO) -> Iterator[tuple[str, Any]]:
    """Each annotation of the file (its place, and the value or a Malformed), from ijson's
    events; the first one must look like an annotation, or the file is not the format."""
    events = ijson.basic_parse(f, use_float=True)
    event, _ = next(events, ("end", None))
    if event == "start_array":
        lists: Iterator[str] = iter([""])
    elif event == "start_map":
        lists = _top_keys(events)
    else:
        raise ImportFailed("not Hypothesis annotations (not a JSON list or object)")
    first = True
    for name in lists:
        n = 0
        while True:
            event, value = next(events)
            if event == "end_array":
                break
            where = f"{name}[{n}]"
            got = _build(event, value, events)
            if isinstance(got, str):  # over a bound: says nothing of the format
                yield where, Malformed(where, got)
            else:
                if first and not (isinstance(got, dict) and ("uri" in got or "target" in got)):
                    raise ImportFailed("not Hypothesis annotations (the first has no uri)")
                first = False
                yield where, got
            n += 1


def _top_keys(events: Iterator[tuple[str, Any]]) -> Iterator[str]:
    """The top-level keys holding an annotation list (events positioned inside the list
    when each is given); every other top-level value is skipped unread."""
    found = False
    for event, value in events:
        if event == "end_map":
            break
        if event != "map_key":
            continue
        if value in _LISTS:
            event, _ = next(events)
            if event != "start_array":
                raise ImportFailed(f"not Hypothesis annotations ({value} is not a list)")
            found = True
            yield value
        else:
            _skip(next(events)[0], events)
    if not found:
        raise ImportFailed("not Hypothesis annotations (no annotations or rows list)")


def _skip(event: str, events: Iterator[tuple[str, Any]]) -> None:
    depth = 1 if event in ("start_map", "start_array") else 0
    while depth:
        event, _ = next(events)
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1


def _build(event: str, value: Any, events: Iterator[tuple[str, Any]]) -> Any:
    """One JSON value from its first event on, without recursion; past a bound the rest of
    it is read and dropped, and the reason (a str) is returned instead."""
    if event not in ("start_map", "start_array"):
        return value
    root: Any = {} if event == "start_map" else []
    stack: list[Any] = [root]
    key: list[str | None] = [None]
    size = values = 0
    problem = ""
    while stack:
        event, value = next(events)
        if problem:
            if event in ("start_map", "start_array"):
                stack.append(None)
            elif event in ("end_map", "end_array"):
                stack.pop()
            continue
        if event == "map_key":
            key[-1] = value
            size += len(value)
            continue
        if event in ("end_map", "end_array"):
            stack.pop()
            key.pop()
            continue
        values += 1
        if event in ("start_map", "start_array"):
            item: Any = {} if event == "start_map" else []
        else:
            item = value
            size += len(value) if isinstance(value, str) else 8
        parent = stack[-1]
        if isinstance(parent, dict):
            parent[key[-1]] = item
        else:
            parent.append(item)
        if event in ("start_map", "start_array"):
            stack.append(item)
            key.append(None)
        if len(stack) > MAX_DEPTH:
            problem = f"nested deeper than {MAX_DEPTH} levels"
        elif size > MAX_ENTRY_BYTES:
            problem = f"larger than {MAX_ENTRY_BYTES:,} bytes"
        elif values > MAX_VALUES:
            problem = f"more than {MAX_VALUES:,} values"
        if problem:
            stack = [None] * len(stack)
    return problem or root


def _annotation(where: str, obj: Any) -> tuple[str, str | None, Highlight | None] | Malformed:
    """An annotation's page (uri), the page's title and its highlight (None when it holds
    nothing: no quote, no note, no tags), or why it cannot be read."""
    if not isinstance(obj, dict):
        return Malformed(where, "not an annotation (not a JSON object)")
    uri = obj.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        return Malformed(where, "no uri")
    if len(uri) > _URL_CHARS:
        return Malformed(where, f"uri longer than {_URL_CHARS:,} characters")
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        return Malformed(where, "text is not a string")
    url = record.line(uri, _URL_CHARS)
    if url is None:
        return Malformed(where, "no uri")
    quote = _quote(obj.get("target"))
    if isinstance(quote, str):
        return Malformed(where, quote)
    tags = obj.get("tags")
    tags = [t for t in (record.line(t) for t in tags) if t] if isinstance(tags, list) else []
    note = record.body(text)
    highlight = None
    if quote or note or tags:
        exact, prefix, suffix, position = quote or (None, None, None, None)
        created = record.iso(obj.get("created")) or record.iso(obj.get("updated"))
        highlight = Highlight(
            quote=exact,
            note=note,
            created=created,
            position=position,
            prefix=prefix,
            suffix=suffix,
            tags=tags,
        )
    return url, _title(obj.get("document")), highlight


_Quote = tuple[str | None, str | None, str | None, int | None]


def _quote(targets: Any) -> _Quote | str | None:
    """The quote, prefix, suffix and position of an annotation's targets (None for a page
    note), or what is wrong with them."""
    if targets is None:
        return None
    if not isinstance(targets, list):
        return "target is not a list"
    exact = prefix = suffix = None
    position = None
    for target in targets:
        if not isinstance(target, dict):
            return "a target is not an object"
        selectors = target.get("selector")
        if selectors is None:
            continue
        if not isinstance(selectors, list):
            return "selector is not a list"
        for sel in selectors:
            if not isinstance(sel, dict):
                continue
            if sel.get("type") == "TextQuoteSelector" and exact is None:
                if not isinstance(sel.get("exact"), str):
                    return "TextQuoteSelector has no exact text"
                exact = record.body(sel["exact"])
                prefix, suffix = _context(sel.get("prefix")), _context(sel.get("suffix"))
            elif sel.get("type") == "TextPositionSelector" and position is None:
                start = sel.get("start")
                if isinstance(start, int) and not isinstance(start, bool) and start >= 0:
                    position = start
    if exact is None:
        return None  # a position alone anchors nothing: the quote decides
    return exact, prefix, suffix, position


def _context(value: Any) -> str | None:
    # Not `record.body`: the spaces at the quote's edge are part of the context.
    if not isinstance(value, str):
        return None
    return clean(value)[:_CONTEXT_CHARS] or None


def _title(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    title = document.get("title")
    if isinstance(title, list):  # the API gives a list of titles
        title = next((t for t in title if isinstance(t, str) and t.strip()), None)
    return record.line(title)


class _Pages:
    """The pages read so far, in the order first seen, each a Saved collecting its
    highlights; given out at the end, or when they hold too much."""

    def __init__(self) -> None:
        self.held: dict[str, Saved] = {}
        self.chars = 0

    def add(self, where: str, uri: str, title: str | None, hl: Highlight | None) -> Iterator[Saved]:
        page = self.held.get(uri)
        if page is None:
            web = uri.lower().startswith(("http://", "https://"))
            # A local PDF or an EPUB is a urn: a book-like entry, its highlights all there is.
            page = Saved(where, url=uri if web else None)
            self.held[uri] = page
        page.title = page.title or title
        if hl is not None:
            page.highlights.append(hl)
            if hl.created and (page.saved is None or hl.created < page.saved):
                page.saved = hl.created
            self.chars += sum(len(s or "") for s in (hl.quote, hl.note, hl.prefix, hl.suffix))
        if len(page.highlights) >= record.MAX_HIGHLIGHTS:
            yield _titled(uri, self.held.pop(uri))
        if self.chars > _HELD_CHARS:
            yield from self.flush()

    def flush(self) -> Iterator[Saved]:
        held, self.held, self.chars = self.held, {}, 0
        for uri, page in held.items():
            yield _titled(uri, page)


def _titled(uri: str, page: Saved) -> Saved:
    if page.url is None and page.title is None:
        page.title = uri  # a book-like entry is known by its title
    return page
