"""Read article files of every supported kind into `Parsed` values.

The HTML parser (trafilatura, lxml) is imported only when a page is parsed: a .txt or .md
import never loads it, so a broken or missing HTML stack cannot stop them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from store.errors import ImportFailed
from store.parse.common import Parsed
from store.parse.markdown import parse_markdown
from store.parse.text import parse_text
from store.sanitize import MAX_FILE_BYTES, decode

SUFFIXES = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}


def kind_of(path: Path) -> str | None:
    """The importer for a path by its suffix, or None for other files."""
    return SUFFIXES.get(path.suffix.lower())


def parse_bytes(data: bytes, kind: str, name: str = "file") -> Parsed:
    """Decode and parse one article's bytes; ImportFailed says why it cannot be read."""
    raw = decode(data, name)
    if kind == "text":
        return parse_text(raw)
    if kind == "markdown":
        return parse_markdown(raw)
    if kind == "html":
        from store.parse.html import parse_html

        return parse_html(raw, name=name)
    raise ImportFailed(f"unsupported file type {kind!r}")


def parse_file(path: Path) -> Parsed:
    """Read and parse one file; every failure is an ImportFailed with a one-line reason."""
    kind = kind_of(path)
    if kind is None:
        raise ImportFailed(f"unsupported file type {path.suffix or '(no suffix)'!r}")
    return parse_bytes(read_bounded(path), kind, path.name)


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"),
)  # fmt: skip


def _check_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        what = next((name for test, name in _NOT_REGULAR if test(mode)), "not a file")
        raise ImportFailed(f"not a regular file ({what})")


def read_bounded(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, at most `limit` of them; anything else is an ImportFailed.

    A FIFO would block the open and the read for ever, and a device reports size 0 while
    giving endless data, so: stat before opening (a device is never even opened), open
    without blocking, check the open file again (it may have been swapped), and read no
    more than limit + 1 bytes whatever the size said."""
    try:
        _check_regular(os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ImportFailed(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        _check_regular(st.st_mode)
        if st.st_size > limit:
            raise ImportFailed(f"too large ({st.st_size:,} bytes; the limit is {limit:,} bytes)")
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            chunk = os.read(fd, min(limit + 1 - got, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    except OSError as exc:
        raise ImportFailed(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if got > limit:
        raise ImportFailed(f"too large (over {limit:,} bytes; the limit is {limit:,} bytes)")
    return b"".join(chunks)


__all__ = ["Parsed", "parse_file", "parse_bytes", "read_bounded", "kind_of", "SUFFIXES"]
