"""Markdown articles: optional YAML front matter, `#` headings as sections, plain text body."""

from __future__ import annotations

import re
from datetime import date, datetime

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from store.errors import ImportFailed
from store.parse.common import Parsed, TextBuilder, clean_meta
from store.sanitize import clean, clean_line

_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_md = MarkdownIt("commonmark")
MAX_FRONT_BYTES = 64 * 1024
MAX_FRONT_DEPTH = 20


class _Resolver(yaml.resolver.BaseResolver):
    """Every plain scalar is text, except an empty one or `null`/`~`: no YAML 1.1 typing
    (`no` as False, 2026-02-30 as a date that raises, 5,000 digits as an int that raises)."""


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


class _Constructor(yaml.constructor.SafeConstructor):
    """Text, lists, mappings and null; any other tag (`!!binary`, `!!python/...`) is refused."""

    yaml_constructors: dict = {}


for _tag in ("str", "seq", "map", "null"):
    _Constructor.add_constructor(
        f"tag:yaml.org,2002:{_tag}", yaml.constructor.SafeConstructor.yaml_constructors[
            f"tag:yaml.org,2002:{_tag}"
        ],
    )  # fmt: skip
_Constructor.add_constructor(None, yaml.constructor.SafeConstructor.construct_undefined)


class _FrontLoader(
    yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer,
    _Constructor, _Resolver,
):  # fmt: skip
    """PyYAML's pure-Python safe loader, refusing aliases and bounding nesting as it composes.

    Aliases are how a few hundred bytes become gigabytes (each `*a` repeats a whole subtree);
    the composer recurses once per level, so depth is checked before Python's stack runs out.
    Both are checked while composing, so a hostile document is refused after a few events."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            raise ImportFailed("front matter uses YAML aliases (*name), which gloss does not read")
        if self._depth >= MAX_FRONT_DEPTH:
            raise ImportFailed("front matter is nested too deeply")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def split_front_matter(raw: str) -> tuple[dict, str]:
    """Return (front matter mapping, body). Malformed or hostile front matter is a clear error."""
    m = _FRONT.match(raw)
    if not m:
        return {}, raw
    size = len(m.group(1).encode("utf-8"))
    if size > MAX_FRONT_BYTES:
        raise ImportFailed(
            f"front matter is too large ({size:,} bytes; the limit is {MAX_FRONT_BYTES:,})"
        )
    loader = _FrontLoader(m.group(1))
    try:
        meta = loader.get_single_data() or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        raise ImportFailed(f"malformed front matter{where}") from None
    finally:
        loader.dispose()
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


def _kind(value: object) -> str:
    return {list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


def _text(meta: dict, warnings: list[str], *names: str) -> str | None:
    """The first of the named fields that is text; a field of another shape is a warning."""
    for name in names:
        value = meta.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            if text := clean_meta(value):
                return text
            continue
        warnings.append(f"front matter {name!r} is not text ({_kind(value)}); imported without it")
    return None


def _iso_date(text: str) -> str | None:
    for kind in (date, datetime):
        try:
            return kind.fromisoformat(text).isoformat()
        except ValueError:
            continue
    return None


def _date(meta: dict, warnings: list[str]) -> str | None:
    """An ISO 8601 date or date-time (as YAML writes them); anything else is a warning."""
    for name in ("date", "published"):
        value = meta.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            text = clean_line(value)
            if not text:
                continue
            if found := _iso_date(text):
                return found
            shown = repr(text[:40])
        else:
            shown = _kind(value)
        warnings.append(f"front matter {name!r} is not a valid date ({shown}); imported without it")
    return None


def _tags(meta: dict, warnings: list[str]) -> list[str]:
    value = meta.get("tags")
    if value is None:
        return []
    if isinstance(value, str):
        return [t for t in re.split(r"[,\s]+", value) if t]
    if isinstance(value, list):
        bad = [t for t in value if t is not None and not isinstance(t, str)]
        if not bad:
            return [t for t in value if t is not None and t.strip()]
        shown = f"a list holding {_kind(bad[0])}"
    else:
        shown = _kind(value)
    warnings.append(
        f"front matter 'tags' is not a list or a comma-separated string ({shown});"
        " imported without it"
    )
    return []


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
    """Parse an already-decoded Markdown article; a bad front matter field is a warning."""
    meta, body = split_front_matter(clean(raw))  # controls go before YAML sees them
    warnings: list[str] = []
    builder = TextBuilder()
    title = _text(meta, warnings, "title")
    byline = _text(meta, warnings, "author", "byline")
    published = _date(meta, warnings)
    url = _text(meta, warnings, "url", "source")
    tags = _tags(meta, warnings)
    h1 = parse_body(builder, body, take_title=title is None)
    title = title or h1
    if title is None and builder.sections:
        title = builder.sections[0].title
    return builder.build(
        title or "", byline=byline, published=published, url=url, tags=tags, warnings=warnings
    )
