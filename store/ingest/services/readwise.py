"""Readwise's CSV export (`Highlight, Book Title, Book Author, Amazon Book ID, Note, Color,
Tags, Location Type, Location, Highlighted at, Document tags`). A row is one highlight; the
reader groups them into one `Saved` per book (its title and author), with no URL and no
text: a book, whose highlights are all there is of it.

Grouping streams with bounded memory. Readwise writes a book's highlights together, so a
book is usually complete when the next one starts; rows of a book scattered through the
file are still gathered, while at most MAX_BOOKS_HELD books (and MAX_HELD_CHARS of their
text) are held. Past those bounds, or at MAX_HIGHLIGHTS highlights, the least recently
seen book is given out as it stands, and its later rows make a second `Saved` with the same
title and author, which the writer adds to the first (a book has no other identity).

Taken as: `Tags` the highlight's own tags, `Document tags` the book's; `Highlighted at` the
highlight's date. `Location` is a page or Kindle location, not a character offset into a
text, so it is not kept (nor `Color` or `Amazon Book ID`: nothing in the library holds them).
A row with a note and no highlight is a note on the whole book.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from store.ingest.services import record
from store.ingest.services.pocket import MAX_TAGS, csv_header, csv_rows, saved_date, split_tags
from store.ingest.services.record import MAX_HIGHLIGHTS, Entry, Highlight, Malformed, Saved

NAME = "readwise"
LABEL = "Readwise"

MAX_BOOKS_HELD = 256
MAX_HELD_CHARS = 16 << 20  # highlight and note text of the books held
_COLUMNS = {"highlight", "book title"}
_SNIFF = _COLUMNS | {"book author"}  # Readwise's import template says "Title", not this


@dataclass(slots=True)
class _Book:
    saved: Saved
    first_line: int
    chars: int = 0
    tags: dict[str, None] = field(default_factory=dict)  # the book's, in order, once each


def sniff(path: Path, head: bytes) -> bool:
    """True when the first line is Readwise's CSV export header. Never raises."""
    return _SNIFF <= csv_header(head)


def read(path: Path) -> Iterator[Entry]:
    """One book per title and author of a Readwise CSV export, with its highlights."""
    return record.bounded(_read(path))


def _read(path: Path) -> Iterator[Entry]:
    books: OrderedDict[tuple[str, str | None], _Book] = OrderedDict()  # least recent first
    held = 0
    with record.open_export(path) as f:
        for row in csv_rows(f, _COLUMNS, LABEL):
            if isinstance(row, Malformed):
                yield row
                continue
            entry = _row(*row)
            if isinstance(entry, Malformed):
                yield entry
                continue
            key, highlight, doc_tags = entry
            book = books.get(key)
            if book is None:
                where = row[0]
                book = _Book(Saved(where, title=key[0], author=key[1]), _line(where))
                books[key] = book
            books.move_to_end(key)
            size = len(highlight.quote or "") + len(highlight.note or "")
            book.saved.highlights.append(highlight)
            book.chars += size
            held += size
            for tag in doc_tags[: MAX_TAGS - len(book.tags)]:
                book.tags.setdefault(tag)
            if len(book.saved.highlights) >= MAX_HIGHLIGHTS:
                held -= book.chars
                yield _done(books.pop(key))
            while books and (len(books) > MAX_BOOKS_HELD or held > MAX_HELD_CHARS):
                _, oldest = books.popitem(last=False)
                held -= oldest.chars
                yield _done(oldest)
    for book in sorted(books.values(), key=lambda b: b.first_line):
        yield _done(book)


def _row(
    where: str, row: dict[str, str]
) -> tuple[tuple[str, str | None], Highlight, list[str]] | Malformed:
    title = record.line(row["book title"])
    if title is None:
        return Malformed(where, "no Book Title")
    quote = record.body(row["highlight"])
    note = record.body(row.get("note"))
    if quote is None and note is None:
        return Malformed(where, "no Highlight and no Note")
    created = saved_date(where, "Highlighted at", row.get("highlighted at"))
    if isinstance(created, Malformed):
        return created
    highlight = Highlight(
        quote, note=note, created=created, tags=split_tags(row.get("tags") or "", ",")
    )
    doc_tags = split_tags(row.get("document tags") or "", ",")
    return (title, record.line(row.get("book author"))), highlight, doc_tags


def _done(book: _Book) -> Saved:
    book.saved.tags = list(book.tags)
    return book.saved


def _line(where: str) -> int:
    return int(where.rsplit(" ", 1)[-1])
