"""What every read-later service's export is read into: one `Saved` per entry (an article,
a saved link or a book, with its highlights) or one `Malformed` per entry that cannot be
read (its place in the file and why). The service readers (one module each, pure: they
parse a file and write nothing) yield these; `store.ingest.services.apply` writes them.

Readers are given untrusted files: every read is bounded (`MAX_ENTRIES`, the byte bounds
of `store.core.files`, `zip_member` for ZIP archives), and a value of the wrong type or
shape is that entry's `Malformed`, never an exception out of the reader. A file that is
not the format at all raises `ImportFailed` with a one-line reason.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from store.core.errors import ImportFailed
from store.core.sanitize import MAX_FILE_BYTES, clean, clean_line

MAX_EXPORT_BYTES = 2 << 30  # one export file (read as a stream: memory stays bounded)
MAX_ENTRY_BYTES = MAX_FILE_BYTES  # one entry's saved content (the import limit of a file)
MAX_DEPTH = 64  # JSON nesting inside one entry
MAX_ENTRIES = 200_000  # entries in one export (a big Pocket export holds ~20,000)
MAX_HIGHLIGHTS = 10_000  # highlights of one entry
MAX_ZIP_MEMBERS = 100_000
MAX_ZIP_BYTES = 2 << 30  # all members of an archive, uncompressed
MAX_RATIO = 200  # a member's uncompressed size over its compressed size (zip bombs)


@dataclass(slots=True)
class Highlight:
    """A highlighted passage with its note, or (quote None) a note on the whole entry."""

    quote: str | None  # the highlighted text as the service kept it
    note: str | None = None  # the user's note on it ('' and None: none)
    created: str | None = None  # ISO 8601, UTC (`iso`)
    position: int | None = None  # a character offset into the saved text, when the format
    #  gives one (Hypothesis' TextPositionSelector): a hint; the quote decides
    prefix: str | None = None  # text just before / after the quote, when the format keeps
    suffix: str | None = None  #  it (Hypothesis' TextQuoteSelector)
    tags: list[str] = field(default_factory=list)  # the highlight's own tags (Readwise,
    #  Hypothesis): they go on the article


@dataclass(slots=True)
class Saved:
    """One entry of an export. With `html` or `text` it is an article; with only a URL, a
    saved link (fetched later); with neither, a book (Kindle, Readwise): its highlights
    are all there is of it."""

    where: str  # where in the file, for the report: "line 12", "metadata_0_to_19.json[3]"
    url: str | None = None
    title: str | None = None
    author: str | None = None
    saved: str | None = None  # when the user saved it: ISO 8601, UTC (`iso`)
    published: str | None = None  # ISO 8601 (`iso`)
    tags: list[str] = field(default_factory=list)  # as the service spells them
    read: bool | None = None  # read or archived (None: the service does not say)
    starred: bool | None = None
    html: str | None = None  # the saved content as HTML (Omnivore, Wallabag)
    text: str | None = None  # the saved content as plain text
    highlights: list[Highlight] = field(default_factory=list)


@dataclass(slots=True)
class Malformed:
    """An entry that cannot be read: where it is and why (one line)."""

    where: str
    reason: str


Entry = Saved | Malformed

_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")


def iso(value: object) -> str | None:
    """A date of an export as ISO 8601 in UTC ("2024-05-01T12:30:00+00:00"), or None when
    there is none or it cannot be read. Takes Unix seconds (int, float or digits; values
    over 10^11 are taken as milliseconds) and ISO 8601 strings (a "Z", an offset or none:
    naive times are taken as UTC). Years outside 1970..2100 are None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and _NUMERIC.match(value)):
            seconds = float(value)
            if abs(seconds) > 1e11:
                seconds /= 1000
            when = datetime.fromtimestamp(seconds, UTC)
        elif isinstance(value, str):
            text = value.strip()
            if not text or len(text) > 64:
                return None
            when = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
            when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    if not 1970 <= when.year <= 2100:
        return None
    return when.isoformat(timespec="seconds")


def line(value: object, limit: int = 2000) -> str | None:
    """A one-line field (title, author, URL, tag) as clean text, or None when it is not a
    non-empty string; longer than `limit` characters is cut."""
    if not isinstance(value, str):
        return None
    text = clean_line(value)[:limit].strip()
    return text or None


def body(value: object) -> str | None:
    """A multi-line field (a note, a quote, saved text) as clean text with its line breaks,
    or None when it is not a non-empty string."""
    if not isinstance(value, str):
        return None
    text = clean(value).strip()
    return text or None


def open_export(path: Path) -> BinaryIO:
    """An export file opened for a bounded streaming read: a regular file (never a FIFO or
    a device) of at most MAX_EXPORT_BYTES; ImportFailed otherwise."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise ImportFailed("not a regular file")
        if st.st_size > MAX_EXPORT_BYTES:
            raise ImportFailed(f"too large ({st.st_size:,} bytes; the limit is 2 GiB)")
        return open(path, "rb")  # noqa: SIM115 (the caller closes it)
    except OSError as exc:
        raise ImportFailed(f"cannot read: {exc.strerror or exc}") from None


def open_zip(path: str | object) -> zipfile.ZipFile:
    """A ZIP archive to read, its directory checked against the bounds; ImportFailed when
    it is not one or is over them."""
    if isinstance(path, str | Path):
        open_export(Path(path)).close()  # a regular file of bounded size: never a FIFO, a device
    try:
        zf = zipfile.ZipFile(path)  # type: ignore[arg-type]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFailed(f"not a ZIP archive ({exc})") from None
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        zf.close()
        raise ImportFailed(f"too many files in the archive ({len(infos):,})")
    if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
        zf.close()
        raise ImportFailed("the archive unpacks to more than 2 GiB")
    return zf


def zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int = MAX_FILE_BYTES) -> bytes:
    """One member's bytes, read in bounded chunks (the directory's sizes are not trusted);
    ImportFailed when it is too large, too compressed (a zip bomb), encrypted or damaged."""
    if info.flag_bits & 0x1:
        raise ImportFailed(f"{info.filename}: encrypted")
    if info.file_size > limit:
        raise ImportFailed(f"{info.filename}: too large ({info.file_size:,} bytes)")
    if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
        raise ImportFailed(f"{info.filename}: compressed more than {MAX_RATIO}x (not read)")
    out = bytearray()
    try:
        with zf.open(info) as f:
            while chunk := f.read(1 << 20):
                out += chunk
                if len(out) > limit:
                    raise ImportFailed(f"{info.filename}: larger than {limit:,} bytes")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ImportFailed(f"{info.filename}: cannot be read ({exc})") from None
    return bytes(out)


def bounded(entries: Iterator[Entry]) -> Iterator[Entry]:
    """The entries, at most MAX_ENTRIES of them (then one Malformed says the rest were not
    read)."""
    for n, entry in enumerate(entries):
        if n >= MAX_ENTRIES:
            yield Malformed("(rest of file)", f"more than {MAX_ENTRIES:,} entries; not read")
            return
        yield entry


# -- fields of a JSON entry (Omnivore, Wallabag) -------------------------------------------


class BadField(Exception):
    """A field of the wrong type: its entry is Malformed with this reason."""


def kind(value: object) -> str:
    """How a JSON value is named in a reason ("expected text, got a number")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def text_field(entry: dict, key: str) -> str | None:
    """A text field as it is (None when absent); BadField for a value of another type."""
    value = entry.get(key)
    if value is None or isinstance(value, str):
        return value
    raise BadField(f"{key}: expected text, got {kind(value)}")


def date_field(entry: dict, key: str) -> str | None:
    """A date field as ISO UTC (`iso`); text that is not a date is None (the entry still
    imports), a value of another type is BadField."""
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadField(f"{key}: expected a date, got {kind(value)}")
    return iso(value)
