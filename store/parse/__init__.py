"""Read article files of every supported kind into `Parsed` values."""

from __future__ import annotations

from pathlib import Path

from store.errors import ImportFailed
from store.parse.common import Parsed
from store.parse.html import parse_html
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
        return parse_html(raw)
    raise ImportFailed(f"unsupported file type {kind!r}")


def parse_file(path: Path) -> Parsed:
    """Read and parse one file; every failure is an ImportFailed with a one-line reason."""
    kind = kind_of(path)
    if kind is None:
        raise ImportFailed(f"unsupported file type {path.suffix or '(no suffix)'!r}")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportFailed(f"too large ({size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes)")
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"cannot read: {exc.strerror or exc}") from None
    return parse_bytes(data, kind, path.name)


__all__ = ["Parsed", "parse_file", "parse_bytes", "kind_of", "SUFFIXES"]
