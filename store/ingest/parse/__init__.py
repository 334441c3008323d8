"""Read article files of every supported kind into `Parsed` values.

The HTML parser (trafilatura, lxml) is imported only when a page is parsed: a .txt or .md
import never loads it, so a broken or missing HTML stack cannot stop them.
"""

from __future__ import annotations

from pathlib import Path

from store.core.errors import ImportFailed
from store.core.files import read_bounded
from store.core.sanitize import decode
from store.ingest.parse.common import Parsed
from store.ingest.parse.markdown import parse_markdown
from store.ingest.parse.text import parse_text

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
        from store.ingest.parse.html import parse_html

        return parse_html(raw, name=name)
    raise ImportFailed(f"unsupported file type {kind!r}")


def parse_file(path: Path) -> Parsed:
    """Read and parse one file; every failure is an ImportFailed with a one-line reason."""
    kind = kind_of(path)
    if kind is None:
        raise ImportFailed(f"unsupported file type {path.suffix or '(no suffix)'!r}")
    return parse_bytes(read_bounded(path), kind, path.name)


__all__ = ["Parsed", "parse_file", "parse_bytes", "kind_of", "SUFFIXES"]
