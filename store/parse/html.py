"""HTML pages: main text and metadata extracted by trafilatura, not by hand-written stripping."""

from __future__ import annotations

import trafilatura

from store.errors import ImportFailed
from store.parse.common import Parsed, TextBuilder, clean_meta
from store.parse.markdown import parse_body
from store.sanitize import clean_markup

MIN_WORDS = 40


def parse_html(raw: str, url: str | None = None) -> Parsed:
    """Parse an already-decoded HTML page; `url` is where it came from, when known."""
    raw = clean_markup(raw)
    try:
        # Markdown output keeps headings as `#` lines, so sections survive extraction.
        body = trafilatura.extract(
            raw,
            url=url,
            output_format="markdown",
            include_comments=False,
            include_tables=True,
            include_formatting=True,
            include_links=False,
            with_metadata=False,
        )
        meta = trafilatura.extract_metadata(raw, default_url=url)
    except Exception as exc:  # lxml and trafilatura raise many kinds on broken pages
        raise ImportFailed(f"could not parse HTML ({type(exc).__name__})") from None
    # A page of navigation and a cookie banner still yields a sentence or two: not an article.
    if not body or len(body.split()) < MIN_WORDS:
        raise ImportFailed("no article text found in the page")
    builder = TextBuilder()
    h1 = parse_body(builder, body, take_title=True)
    title = clean_meta(meta.title if meta else None) or h1
    return builder.build(
        title or "",
        byline=clean_meta(meta.author if meta else None),
        published=clean_meta(meta.date if meta else None),
        url=clean_meta(meta.url if meta else None) or url,
        tags=[],
    )
