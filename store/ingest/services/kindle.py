"""Kindle's `My Clippings.txt`: entries separated by a line of ten "=", each a title line
("Title (Author)"), a line saying what the clipping is, where and when ("- Your Highlight
on page 12 | Location 123-125 | Added on Monday, 1 January 2024 12:00:00", in the
device's language), a blank line and the text.

Bookmarks are skipped. A note is its own entry: it is paired with the highlight of the
same book that ends (or starts) at its location, else it is a note on the book. Kindle
appends a new entry when a highlight is extended: of two overlapping highlights where one
holds the other, the longer is kept. One book (title and author) is one Saved with its
highlights, whatever the order of the file; books wait for the end of the file, bounded
by `_HELD_CHARS` of text and `_HELD_CLIPS` entries (past either, the books held so far are
given out, and a book seen again later comes out a second time).

The clipping line is read as devices in English (US and UK dates), German, French,
Spanish, Italian, Portuguese, Dutch, Japanese and Chinese write it; its dates are local
times with no zone, taken as UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from store.core.errors import ImportFailed
from store.ingest.services import record
from store.ingest.services.record import Entry, Highlight, Malformed, Saved

NAME = "kindle"
LABEL = "Kindle"

MAX_ENTRY_BYTES = record.MAX_ENTRY_BYTES
_HELD_CHARS = 32 << 20
_HELD_CLIPS = 200_000
_SEPARATOR = "=========="
_CHUNK = 1 << 20  # bytes read at a time from one line
_RECENT = 64  # highlights at a place compared with a new one there (for duplicates)


def sniff(path: Path, head: bytes) -> bool:
    """True when `head` starts like My Clippings.txt: a title line, then a clipping line
    ("- Your Highlight …" or its translation), and a "==========" line."""
    try:
        lines = [_strip(s) for s in head.decode("utf-8", "ignore").splitlines()]
        lines = [s for s in lines if s]
        return (
            len(lines) >= 2
            and _SEPARATOR in lines
            and lines[1].startswith("-")
            and _kind(lines[1]) is not None
        )
    except Exception:  # noqa: BLE001 (sniffing never raises)
        return False


def read(path: Path) -> Iterator[Entry]:
    """One book per title and author, with its highlights and notes, and one Malformed per
    entry that cannot be read; ImportFailed when the file is not Kindle clippings."""
    return record.bounded(_read(path))


def _read(path: Path) -> Iterator[Entry]:
    with record.open_export(path) as f:
        head = f.read(65536).decode("utf-8", "ignore")
        lines = [_strip(s) for s in head.splitlines()]
        if _SEPARATOR not in lines or not any(s.startswith("-") and _kind(s) for s in lines):
            raise ImportFailed(
                "not Kindle clippings (no '- Your Highlight …' line and '==========' line)"
            )
        f.seek(0)
        books = _Books()
        for got in _entries(f):
            if isinstance(got, Malformed):
                yield got
                continue
            clip = _clipping(*got)
            if isinstance(clip, Malformed):
                yield clip
            elif clip is not None:
                yield from books.add(*clip)
        yield from books.flush()


def _strip(line: str) -> str:
    return line.replace("\ufeff", "").strip()


def _entries(f: BinaryIO) -> Iterator[tuple[int, list[str]] | Malformed]:
    """Each entry's first line number and lines (BOMs and line ends gone), lines read in
    bounded chunks; an entry over MAX_ENTRY_BYTES, or one the file ends inside, is a
    Malformed."""
    lineno = start = size = 0
    lines: list[str] = []
    over = False
    part = bytearray()
    while True:
        raw = f.readline(_CHUNK)
        if raw:
            size += len(raw)
            if not over and size > MAX_ENTRY_BYTES:
                over, lines = True, lines[:1]  # only its place is kept
                del part[32:]
            part += raw[: 32 - len(part)] if over else raw  # enough to see a separator
            if not raw.endswith(b"\n"):
                continue  # the rest of a long line, or the end of the file, comes next
        elif not part:
            break
        lineno += 1
        text = _strip(bytes(part).decode("utf-8", "replace"))
        part.clear()
        if text == _SEPARATOR:
            if over:
                yield Malformed(f"line {start}", f"larger than {MAX_ENTRY_BYTES:,} bytes")
            elif lines:
                yield start, lines
            lines, size, over = [], 0, False
        elif not lines:
            if text:
                start, lines = lineno, [text]
        elif not over:
            lines.append(text)
        if not raw:
            break
    if lines:
        yield Malformed(f"line {start}", "the file ends inside this entry (no ==========)")


# The clipping line's words for each kind, as Kindles in each language write them (the
# fixture README lists the lines these come from). Bookmarks first: a bookmark line holds
# none of the others' words; highlights before notes.
_KINDS = (
    (
        "bookmark",
        r"bookmark|lesezeichen|\bsignet\b|marcador|segnalibro|bladwijzer|ブックマーク|书签",
    ),
    (
        "highlight",
        r"highlight|markierung|surlignement|subrayado|resaltado|evidenziazione|destaque"
        r"|markering|ハイライト|标注",
    ),
    ("note", r"\bnote\b|\bnotiz\b|\bnota\b|\bnotitie\b|メモ|笔记"),
)
_KIND = [(kind, re.compile(words, re.I)) for kind, words in _KINDS]
_NUM = r"(\d{1,9})(?!\d)"
_LOC = re.compile(
    r"(?:\blocations?\b|\bloc\.|\bposition\b|\bposici[oó]n\b|\bubicaci[oó]n\b|emplacement"
    r"|\bposizione\b|\bposi[cç][aã]o\b|\blocatie\b|位置\s*(?:no\.)?\s*#?)\s*"
    + _NUM
    + r"(?:\s*(?:-|–|t/m)\s*"
    + _NUM
    + ")?",
    re.I,
)
_PAGE = re.compile(
    r"(?:\bpage\b|\bseite\b|\bp[aá]gina\b)\s*([0-9]{1,9}|[ivxlcdm]{1,12})\b"
    r"|(\d{1,9})\s*ページ|第\s*(\d{1,9})\s*页",
    re.I,
)
_MONTHS = {
    name: n
    for names in (
        "january february march april may june july august september october november december",
        "januar februar märz april mai juni juli august september oktober november dezember",
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
        "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
        "dicembre",
        "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
        "januari februari maart april mei juni juli augustus september oktober november december",
    )
    for n, name in enumerate(names.split(), 1)
} | {"setiembre": 9, "jänner": 1}
_TIME = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?::(\d{2}))?")
_CJK_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_PM = re.compile(r"\s*(?:pm\b|p\.\s?m\.)", re.I)  # after the time; 下午 and 午後 before it
_AM = re.compile(r"\s*(?:am\b|a\.\s?m\.)", re.I)  # ("am" alone is German: "Hinzugefügt am")
_LIMIT = ("You have reached the clipping limit", "クリップの上限に達しました")


@dataclass(slots=True, frozen=True)
class _Meta:
    """Where a clipping is (Kindle locations, or a page when there are none) and when."""

    start: int | None = None
    end: int | None = None
    page: str | None = None
    created: str | None = None


def _kind(info: str) -> str | None:
    """A clipping line's kind (its words before the date): highlight, note or bookmark;
    None when it is none of them."""
    words = info.rsplit("|", 1)[0] if "|" in info else info
    return next((kind for kind, pattern in _KIND if pattern.search(words)), None)


def _meta(info: str) -> _Meta:
    """The place and date a clipping line gives (each None when it does not say)."""
    place, _, when = info.rpartition("|") if "|" in info else (info, "", "")
    start = end = page = None
    if m := _LOC.search(place):
        start = int(m[1])
        end = int(m[2]) if m[2] else start
        if end < start:  # old Kindles shorten the end: "Loc. 1234-36" is 1234 to 1236
            digits = str(start)[: max(0, len(str(start)) - len(m[2]))] + m[2]
            end = max(start, int(digits))
    elif m := _PAGE.search(place):
        page = (m[1] or m[2] or m[3]).lower()
    return _Meta(start, end, page, _date(when))


def _date(text: str) -> str | None:
    """A clipping line's date ("Monday, 1 January 2024 12:00:00", "Friday, January 1,
    2021 12:00:00 PM", "2025年4月2日水曜日 21:05:10", and the other languages'), or None."""
    t = _TIME.search(text)
    hour, minute, second = (int(t[1]), int(t[2]), int(t[3] or 0)) if t else (0, 0, 0)
    rest = text[: t.start()] + " " + text[t.end() :] if t else text
    if m := _CJK_DATE.search(rest):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        names = re.findall(r"[^\W\d_]+", rest.lower())
        month = next((_MONTHS[w] for w in names if w in _MONTHS), 0)
        nums = re.findall(r"(?<!\d)\d{1,4}(?!\d)", rest)
        years = [int(n) for n in nums if len(n) == 4]
        days = [int(n) for n in nums if len(n) <= 2]
        if not month or not days or not (years or len(days) >= 2):
            return None
        # An old Kindle's "3 December 12" is 2012.
        day, year = days[0], years[0] if years else 2000 + days[1]
    if t:
        after, before = text[t.end() :], text[max(0, t.start() - 3) : t.start()]
        if (_PM.match(after) or "下午" in before or "午後" in before) and hour < 12:
            hour += 12
        elif (_AM.match(after) or "上午" in before or "午前" in before) and hour == 12:
            hour = 0
    return record.iso(f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}")


def _no_text(text: str) -> bool:
    """True for the text Kindle writes instead of a highlight past a book's export limit."""
    return any(s in text for s in _LIMIT)


@dataclass(slots=True)
class _Clip:
    """A highlight or a note of a book, with where it is (Kindle locations or a page)."""

    note: bool
    text: str
    where: _Meta
    order: int = 0


def _clipping(lineno: int, lines: list[str]) -> tuple[tuple, str, _Clip] | Malformed | None:
    """An entry's book (title, author), place in the file and clipping; None for a
    bookmark; Malformed when it cannot be read."""
    where = f"line {lineno}"
    title, author = _title_author(lines[0])
    if title is None:
        return Malformed(where, "no title")
    info = record.line(lines[1], 500) if len(lines) > 1 else None
    if info is None or not info.startswith("-"):
        return Malformed(where, "no clipping line ('- Your Highlight …') after the title")
    kind = _kind(info)
    if kind is None:
        what = info.rsplit("|", 1)[0].strip()[:80]
        return Malformed(where, f"not a highlight, note or bookmark: {what}")
    if kind == "bookmark":
        return None
    text = record.body("\n".join(lines[2:]))
    if text is None:
        return Malformed(where, f"a {kind} without text")
    if _no_text(text):
        return Malformed(where, "no text: Kindle's clipping limit for this book was reached")
    return (title, author), where, _Clip(kind == "note", text, _meta(info))


def _title_author(line: str) -> tuple[str | None, str | None]:
    """A title line's title and author: the author is the last parenthesised group at the
    end (titles hold parentheses too: "A Book (with Brackets) (Doe, Jane)")."""
    text = record.line(line.replace("\ufeff", ""))
    if text is None or not text.endswith(")"):
        return text, None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            title, author = text[:i].strip(), text[i + 1 : -1].strip()
            return (title, author or None) if title else (text, None)
    return text, None  # unbalanced: all title


@dataclass(slots=True)
class _Book:
    where: str
    title: str
    author: str | None
    clips: list[_Clip] = field(default_factory=list)


class _Books:
    """The books read so far, in the order first seen; given out at the end, when one is
    full, or when they hold too much."""

    def __init__(self) -> None:
        self.held: dict[tuple, _Book] = {}
        self.chars = self.clips = self.order = 0

    def add(self, key: tuple, where: str, clip: _Clip) -> Iterator[Saved]:
        book = self.held.get(key)
        if book is None:
            book = self.held[key] = _Book(where, key[0], key[1])
        clip.order = self.order
        self.order += 1
        book.clips.append(clip)
        self.chars += len(clip.text)
        self.clips += 1
        if len(book.clips) >= record.MAX_HIGHLIGHTS:
            yield _saved(self.held.pop(key))
        if self.chars > _HELD_CHARS or self.clips > _HELD_CLIPS:
            yield from self.flush()

    def flush(self) -> Iterator[Saved]:
        held, self.held, self.chars, self.clips = self.held, {}, 0, 0
        for book in held.values():
            yield _saved(book)


def _saved(book: _Book) -> Saved:
    """A book's Saved: its highlights less the duplicates, each with the notes at its
    place, and the notes with no highlight as notes on the book, in the file's order."""
    kept = _dedupe([c for c in book.clips if not c.note])
    ends: dict[object, list[_Clip]] = {}
    starts: dict[object, list[_Clip]] = {}
    for c in kept:  # a page stands for the place when there are no locations
        ends.setdefault(c.where.end if c.where.start is not None else c.where.page, []).append(c)
        starts.setdefault(c.where.start, []).append(c)
    entries = list(kept)
    notes: dict[int, list[str]] = {}  # the notes on each entry
    alone: dict[tuple, _Clip] = {}  # notes with no highlight, by place
    for n in (c for c in book.clips if c.note):
        target = _target(n, ends, starts)
        if target is None:
            place = (n.where.start, n.where.end, n.where.page)
            target = alone.get(place) if place != (None, None, None) else None
            if target is None:
                target = alone[place] = n
                entries.append(n)
        _add_note(notes.setdefault(id(target), []), n.text)
    highlights = [
        Highlight(
            quote=None if c.note else c.text,
            note="\n\n".join(notes[id(c)]) if id(c) in notes else None,
            created=c.where.created,
        )
        for c in sorted(entries, key=lambda c: c.order)
    ]
    dates = [h.created for h in highlights if h.created]
    return Saved(
        book.where,
        title=book.title,
        author=book.author,
        saved=min(dates) if dates else None,
        highlights=highlights,
    )


def _dedupe(clips: list[_Clip]) -> list[_Clip]:
    """The highlights less those another one holds at an overlapping place (an extended
    highlight replaces the shorter one; a repeated one is kept once)."""
    kept: dict[int, _Clip] = {}
    active: list[_Clip] = []  # kept highlights that reach the current start
    located = [c for c in clips if c.where.start is not None]
    for c in sorted(located, key=lambda c: (c.where.start, c.where.end, c.order)):
        active = [k for k in active if k.where.end >= c.where.start][-_RECENT:]
        _place(c, active, kept)
    pages: dict[str | None, list[_Clip]] = {}
    for c in clips:
        if c.where.start is None:
            recent = pages.setdefault(c.where.page, [])
            _place(c, recent, kept)
            del recent[:-_RECENT]
    return sorted(kept.values(), key=lambda c: c.order)


def _place(c: _Clip, near: list[_Clip], kept: dict[int, _Clip]) -> None:
    if any(c.text in k.text for k in near):
        return
    for k in [k for k in near if k.text in c.text]:
        near.remove(k)
        del kept[id(k)]
    near.append(c)
    kept[id(c)] = c


def _target(n: _Clip, ends: dict, starts: dict) -> _Clip | None:
    """The highlight a note belongs to: one ending at the note's location (where Kindle
    puts it), else one starting there; on a page without locations, the page's only
    highlight. Of several, the last one before the note."""
    if n.where.start is not None:
        found = ends.get(n.where.end) or starts.get(n.where.start) or []
    elif n.where.page is not None and len(ends.get(n.where.page, [])) == 1:
        found = ends[n.where.page]
    else:
        return None
    before = [c for c in found if c.order < n.order]
    return max(before or found, key=lambda c: c.order, default=None)


def _add_note(notes: list[str], text: str) -> None:
    """One more note on a highlight: a repeated one is kept once, an edited one (holding
    an earlier one) replaces it, another is added."""
    if any(text in n for n in notes):
        return
    notes[:] = [n for n in notes if n not in text]
    notes.append(text)
