"""Markdown articles: optional YAML front matter, `#` headings as sections, plain text body."""

from __future__ import annotations

import re
from datetime import date, datetime

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from store.errors import ImportFailed
from store.parse.common import Parsed, TextBuilder, clean_meta
from store.sanitize import clean

_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_md = MarkdownIt("commonmark")


def split_front_matter(raw: str) -> tuple[dict, str]:
    """Return (front matter mapping, body). Malformed front matter is a clear error."""
    m = _FRONT.match(raw)
    if not m:
        return {}, raw
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        raise ImportFailed(f"malformed front matter{where}") from None
    if not isinstance(meta, dict):
        raise ImportFailed("front matter is not a mapping of key: value")
    return meta, raw[m.end() :]


def _inline_text(token: Token) -> str:
    out: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n" if child.type == "hardbreak" else " ")
        elif child.type == "image":
            out.append(child.content)
    return "".join(out)


def _date(value: object) -> str | None:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return clean_meta(value)


def _tags(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [t for t in re.split(r"[,\s]+", value) if t]
    if isinstance(value, list):
        return [str(t) for t in value if t is not None and str(t).strip()]
    raise ImportFailed("front matter 'tags' must be a list or a comma-separated string")


def parse_body(builder: TextBuilder, body: str, take_title: bool = True) -> str | None:
    """Lay a Markdown body into builder; with take_title, a leading `#` line is the title."""
    tokens = _md.parse(body)
    first_h1: str | None = None
    prefix = ""
    for i, tok in enumerate(tokens):
        if tok.type == "bullet_list_open":
            prefix = "• "
        elif tok.type == "bullet_list_close":
            prefix = ""
        elif tok.type == "inline":
            opener = tokens[i - 1]
            text = _inline_text(tok)
            if opener.type == "heading_open":
                level = int(opener.tag[1])
                if take_title and level == 1 and first_h1 is None and not builder.paragraphs:
                    first_h1 = text
                    continue
                builder.heading(text, level)
            else:
                builder.paragraph(prefix + text)
        elif tok.type in ("fence", "code_block"):
            builder.paragraph(tok.content)
    return first_h1


def parse_markdown(raw: str) -> Parsed:
    """Parse an already-decoded Markdown article."""
    meta, body = split_front_matter(clean(raw))  # controls go before YAML sees them
    builder = TextBuilder()
    title = clean_meta(meta.get("title"))
    h1 = parse_body(builder, body, take_title=title is None)
    title = title or h1
    if title is None and builder.sections:
        title = builder.sections[0].title
    return builder.build(
        title or "",
        byline=clean_meta(meta.get("author") or meta.get("byline")),
        published=_date(meta.get("date") or meta.get("published")),
        url=clean_meta(meta.get("url") or meta.get("source")),
        tags=_tags(meta.get("tags")),
    )
