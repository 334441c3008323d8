"""Pocket's exports: the CSV export (`title,url,time_added,tags,status`, one file or several
`part_NNNNNN.csv` in a ZIP) and the older `ril_export.html` (an "Unread" and a "Read Archive"
list of `<a href time_added tags>`). Every entry is a saved link (Pocket exports no text).

The CSV reading shared with the other CSV exports (Instapaper, Readwise) lives here too:
`csv_rows` streams a CSV by its header names, each row bounded, and `csv_header` is the cheap
header check their `sniff` uses.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from store.core.errors import ImportFailed
from store.ingest.services import record
from store.ingest.services.record import Entry, Malformed, Saved

NAME = "pocket"
LABEL = "Pocket"

MAX_ROW_CHARS = 1 << 20  # one CSV row, all its physical lines (quoted fields span lines)
MAX_URL_CHARS = 8192
MAX_TAGS = 1000  # tags of one entry
_CHUNK = 1 << 16

_CSV_COLUMNS = {"url", "time_added"}  # Instapaper's CSV has a URL but no time_added
_ZIP_MAGIC = b"PK\x03\x04"
_RIL_TITLE = re.compile(r"<title>\s*Pocket\s+Export\s*</title>", re.I)
_RIL_HEADING = re.compile(r"<h1>\s*(Unread|Read\s+Archive)\s*</h1>", re.I)
_STATUS = {"unread": False, "archive": True, "": None}


# --- CSV, shared by the CSV exports ---------------------------------------------------


class _Oversized(Exception):
    """A row longer than MAX_ROW_CHARS (raised out of csv.reader by the line source)."""


class _Lines:
    """The physical lines of a text stream for csv.reader: each read bounded, numbered, and
    the characters of the row being read counted, so one row cannot take unbounded memory
    whatever `csv.field_size_limit` has been set to."""

    def __init__(self, text: io.TextIOBase) -> None:
        self.text = text
        self.line = 0  # lines read so far
        self.row_chars = 0  # characters of the current row

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        piece = self.text.readline(MAX_ROW_CHARS + 1)
        if not piece:
            raise StopIteration
        self.line += 1
        self.row_chars += len(piece)
        if self.row_chars > MAX_ROW_CHARS:
            # Skip the rest of an over-long physical line in bounded reads, then drop the row.
            while piece and not piece.endswith(("\n", "\r")):
                piece = self.text.readline(_CHUNK)
            raise _Oversized
        return piece


def csv_rows(
    f: BinaryIO, required: set[str], what: str, prefix: str = ""
) -> Iterator[tuple[str, dict[str, str]] | Malformed]:
    """The rows of a CSV stream as (where, {lower-case header name: value}) or a Malformed
    row ("line 12": too few columns, not CSV, too long). A BOM, CRLF and quoted line breaks
    are read; columns are found by name in any order; optional columns may be missing.
    ImportFailed (naming `what`) when the header lacks a `required` column."""
    text = io.TextIOWrapper(f, encoding="utf-8-sig", errors="replace", newline="")
    lines = _Lines(text)
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
    except (_Oversized, csv.Error):
        header = None
    except OSError as exc:
        raise ImportFailed(f"cannot read: {exc.strerror or exc}") from None
    names = [name.strip().lower() for name in header or []]
    missing = sorted(required - set(names))
    if missing:
        cols = ", ".join(f"'{m}'" for m in missing)
        raise ImportFailed(f"not {what}'s CSV export (no {cols} column in the first line)")
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)
    while True:
        where = f"{prefix}line {lines.line + 1}"
        lines.row_chars = 0
        try:
            row = next(reader)
        except StopIteration:
            return
        except _Oversized:
            yield Malformed(where, f"row longer than {MAX_ROW_CHARS:,} characters; not read")
            continue
        except csv.Error as exc:
            yield Malformed(where, f"not readable as CSV ({exc})")
            continue
        except OSError as exc:
            raise ImportFailed(f"cannot read: {exc.strerror or exc}") from None
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if len(row) < len(names):
            yield Malformed(where, f"{len(row)} columns; the header has {len(names)}")
        elif len(row) > len(names) and any(c.strip() for c in row[len(names) :]):
            yield Malformed(where, f"{len(row)} columns; the header has {len(names)}")
        else:
            yield where, {name: row[i] for name, i in index.items()}


def csv_header(head: bytes) -> set[str]:
    """The lower-case column names of the first line of `head` (the start of a file), or an
    empty set when it does not look like a CSV header. Never raises."""
    try:
        if b"\x00" in head:
            return set()
        end = head.find(b"\n")
        if end < 0 and len(head) >= 65536:
            return set()  # no line break in the first 64 KiB: not a header
        first = head[: end if end >= 0 else len(head)].decode("utf-8-sig", errors="replace")
        cells = next(csv.reader([first]), [])
        return {cell.strip().lower() for cell in cells}
    except Exception:  # noqa: BLE001 (sniff never raises)
        return set()


def web_url(value: object) -> str | None:
    """An http(s) address as clean text, or None when `value` is not one."""
    if not isinstance(value, str) or len(value.strip()) > MAX_URL_CHARS:
        return None
    url = record.line(value, MAX_URL_CHARS)
    if not url or " " in url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def split_tags(value: str, sep: str) -> list[str]:
    """The tags of a `sep`-separated field (see `clean_tags`)."""
    return clean_tags(value.split(sep, MAX_TAGS))


def clean_tags(names: list[str]) -> list[str]:
    """Tag names cleaned, empty ones and repeats dropped, the first MAX_TAGS kept."""
    tags = [t for name in names[:MAX_TAGS] if (t := record.line(name, 200))]
    return list(dict.fromkeys(tags))


def bad_url(where: str, value: str | None) -> Malformed:
    """The Malformed of an entry whose address is missing or not a web address."""
    if not value or not value.strip():
        return Malformed(where, "no URL")
    shown = record.line(value, 60) or "?"
    return Malformed(where, f"not a web address ({shown})")


def saved_date(where: str, name: str, value: str | None) -> str | None | Malformed:
    """A date field read by `record.iso`: None when empty (or 0, Pocket's "unknown"), a
    Malformed naming the field when it is there but is not a date."""
    if value is None or value.strip() in ("", "0"):
        return None
    when = record.iso(value.strip())
    if when is None:
        return Malformed(where, f"{name} is not a date ({record.line(value, 40)})")
    return when


# --- Pocket ---------------------------------------------------------------------------


def sniff(path: Path, head: bytes) -> bool:
    """True for a Pocket CSV export, a ZIP of them, or ril_export.html. Never raises."""
    try:
        if head.startswith(_ZIP_MAGIC):
            return _sniff_zip(path)
        text = head.decode("utf-8-sig", errors="replace")
        if text.lstrip().startswith("<"):
            return _is_ril(text)
        return _CSV_COLUMNS <= csv_header(head)
    except Exception:  # noqa: BLE001 (sniff never raises)
        return False


def read(path: Path) -> Iterator[Entry]:
    """The saved links of a Pocket export (.csv, .zip of CSVs, or ril_export.html)."""
    return record.bounded(_read(path))


def _read(path: Path) -> Iterator[Entry]:
    with record.open_export(path) as f:
        head = f.read(_CHUNK)
        if head.startswith(_ZIP_MAGIC):
            zipped = True
        else:
            zipped = False
            f.seek(0)
            text = head.decode("utf-8-sig", errors="replace")
            if text.lstrip().startswith("<"):
                if not _is_ril(text):
                    raise ImportFailed("an HTML page, not Pocket's ril_export.html")
                yield from _read_html(f)
            else:
                for row in csv_rows(f, _CSV_COLUMNS, LABEL):
                    yield row if isinstance(row, Malformed) else _csv_entry(*row)
    if zipped:
        yield from _read_zip(path)


def _csv_entry(where: str, row: dict[str, str]) -> Entry:
    url = web_url(row["url"])
    if url is None:
        return bad_url(where, row["url"])
    saved = saved_date(where, "time_added", row["time_added"])
    if isinstance(saved, Malformed):
        return saved
    status = (row.get("status") or "").strip().lower()
    if status not in _STATUS:
        return Malformed(where, f"status is not unread or archive ({record.line(status, 40)})")
    title = record.line(row.get("title"))
    return Saved(
        where,
        url=url,
        title=None if title == url else title,  # Pocket writes the URL when it has no title
        saved=saved,
        tags=split_tags(row.get("tags") or "", "|"),
        read=_STATUS[status],
    )


# --- the ZIP of CSV files -------------------------------------------------------------


def _csv_members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The archive's CSV files in name order (part_000000.csv, part_000001.csv, ...),
    leaving out folders and the `__MACOSX/` and dot files archivers add."""
    members = []
    for info in zf.infolist():
        base = info.filename.rsplit("/", 1)[-1]
        if info.is_dir() or info.filename.startswith("__MACOSX/") or base.startswith("."):
            continue
        if base.lower().endswith(".csv"):
            members.append(info)
    return sorted(members, key=lambda i: i.filename)


def _sniff_zip(path: Path) -> bool:
    with zipfile.ZipFile(path) as zf:
        members = _csv_members(zf)
        if not members or members[0].flag_bits & 0x1:
            return False
        with zf.open(members[0]) as f:
            return _CSV_COLUMNS <= csv_header(f.read(_CHUNK))


def _read_zip(path: Path) -> Iterator[Entry]:
    with record.open_zip(path) as zf:
        members = _csv_members(zf)
        if not members:
            raise ImportFailed("no CSV file in the archive (not a Pocket export)")
        for n, info in enumerate(members):
            name = record.line(info.filename, 200) or "?"
            try:
                data = record.zip_member(zf, info)
                rows = csv_rows(io.BytesIO(data), _CSV_COLUMNS, LABEL, f"{name} ")
                for row in rows:
                    yield row if isinstance(row, Malformed) else _csv_entry(*row)
            except ImportFailed as exc:
                if n == 0 and "'s CSV export" in str(exc):
                    raise  # the first file is not Pocket's: the archive is not an export
                yield Malformed(name, str(exc))


# --- ril_export.html ------------------------------------------------------------------


def _is_ril(text: str) -> bool:
    """ril_export.html: titled "Pocket Export", with an Unread or Read Archive heading (an
    ordinary page about Pocket has neither the title nor the headings of the export)."""
    return bool(_RIL_TITLE.search(text) and _RIL_HEADING.search(text))


class _RilParser(HTMLParser):
    """Collects the links of ril_export.html as entries, with the list each one is in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.entries: list[Entry] = []
        self.read: bool | None = None  # None before the first list heading
        self.heading: list[str] | None = None
        self.link: tuple[str, dict[str, str | None]] | None = None
        self.text: list[str] = []
        self.text_len = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h1":
            self.heading = []
        elif tag == "a":
            self._end_link()  # an <a> left open ends where the next one starts
            self.link = (f"line {self.getpos()[0]}", dict(attrs))
            self.text, self.text_len = [], 0

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1" and self.heading is not None:
            name = " ".join("".join(self.heading).split()).lower()
            self.read = {"unread": False, "read archive": True}.get(name, self.read)
            self.heading = None
        elif tag == "a":
            self._end_link()

    def handle_data(self, data: str) -> None:
        if self.heading is not None and len(self.heading) < 100:
            self.heading.append(data)
        if self.link is not None and self.text_len < 4000:
            self.text.append(data)
            self.text_len += len(data)

    def close(self) -> None:
        super().close()
        self._end_link()

    def _end_link(self) -> None:
        if self.link is None:
            return
        where, attrs = self.link
        self.link = None
        href = attrs.get("href") or ""
        url = web_url(href)
        if url is None:
            self.entries.append(bad_url(where, href))
            return
        saved = saved_date(where, "time_added", attrs.get("time_added"))
        if isinstance(saved, Malformed):
            self.entries.append(saved)
            return
        title = record.line("".join(self.text))
        self.entries.append(
            Saved(
                where,
                url=url,
                title=None if title == url else title,
                saved=saved,
                tags=split_tags(attrs.get("tags") or "", ","),
                read=self.read,
            )
        )


def _read_html(f: BinaryIO) -> Iterator[Entry]:
    text = io.TextIOWrapper(f, encoding="utf-8-sig", errors="replace")
    parser = _RilParser()
    try:
        while chunk := text.read(_CHUNK):
            parser.feed(chunk)
            if len(parser.rawdata) > MAX_ROW_CHARS:  # a tag that never ends
                parser.entries.append(
                    Malformed(
                        f"line {parser.getpos()[0]}", "a tag that does not end; rest not read"
                    )
                )
                break
            yield from parser.entries
            parser.entries.clear()
        else:
            parser.close()
    except OSError as exc:
        raise ImportFailed(f"cannot read: {exc.strerror or exc}") from None
    yield from parser.entries
