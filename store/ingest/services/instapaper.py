"""Instapaper's CSV export (`URL,Title,Selection,Folder,Timestamp`, newer exports add
`Tags` as a JSON list). Every row is a saved link (the export holds no text).

What the columns mean, as this reader takes them:
- Folder: "Unread" is unread, "Archive" read, "Starred" starred (its read state is not
  said); any other folder is one the user made and becomes a tag, read state not said.
- Selection: Instapaper's bookmark *description* (the `selection` of its add API "shows up as
  the description under an item": text selected on the page when saving, or what the saving
  app wrote, such as a tweet). It is not a highlight (Instapaper's highlights are not in this
  export), so it is kept as a note on the whole entry rather than a quote to anchor.
- Timestamp: when it was saved, in Unix seconds.
- `instapaper-private://` addresses (emails and newsletters sent to Instapaper) have no
  content in the export and nothing to fetch: they are listed as malformed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from store.ingest.services import record
from store.ingest.services.pocket import (
    bad_url,
    clean_tags,
    csv_header,
    csv_rows,
    saved_date,
    split_tags,
    web_url,
)
from store.ingest.services.record import Entry, Highlight, Malformed, Saved

NAME = "instapaper"
LABEL = "Instapaper"

MAX_TAGS_CHARS = 1 << 16  # the Tags cell (a JSON list)
_COLUMNS = {"url", "selection", "folder"}  # Raindrop's CSV also has url and folder
_FOLDERS = {"unread": (False, None), "archive": (True, None), "starred": (None, True)}


def sniff(path: Path, head: bytes) -> bool:
    """True when the first line is Instapaper's CSV header. Never raises."""
    return _COLUMNS <= csv_header(head)


def read(path: Path) -> Iterator[Entry]:
    """The saved links of an Instapaper CSV export."""
    return record.bounded(_read(path))


def _read(path: Path) -> Iterator[Entry]:
    with record.open_export(path) as f:
        for row in csv_rows(f, _COLUMNS, LABEL):
            yield row if isinstance(row, Malformed) else _entry(*row)


def _entry(where: str, row: dict[str, str]) -> Entry:
    raw_url = row["url"]
    url = web_url(raw_url)
    if url is None:
        if raw_url.strip().lower().startswith("instapaper-private:"):
            return Malformed(where, "private content (emailed to Instapaper): not in the export")
        return bad_url(where, raw_url)
    saved = saved_date(where, "Timestamp", row.get("timestamp"))
    if isinstance(saved, Malformed):
        return saved
    tags = _tags(row.get("tags") or "")
    if tags is None:
        return Malformed(where, "Tags is not a list of names")
    folder = record.line(row["folder"], 200)
    read, starred = _FOLDERS.get((folder or "").lower(), (None, None))
    if folder and folder.lower() not in _FOLDERS:
        tags = list(dict.fromkeys([folder, *tags]))
    title = record.line(row.get("title"))
    description = record.body(row["selection"])
    return Saved(
        where,
        url=url,
        title=None if title == url else title,
        saved=saved,
        tags=tags,
        read=read,
        starred=starred,
        highlights=[Highlight(None, note=description)] if description else [],
    )


def _tags(cell: str) -> list[str] | None:
    """The Tags cell: a JSON list of names (`["a","b"]`), or names separated by commas in a
    hand-made file; None when it is a list of something else or not readable."""
    cell = cell.strip()
    if not cell:
        return []
    if not cell.startswith("["):
        return split_tags(cell, ",")
    if len(cell) > MAX_TAGS_CHARS:
        return None
    try:
        names = json.loads(cell)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested past the stack
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    return clean_tags(names)
