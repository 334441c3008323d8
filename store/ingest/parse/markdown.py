"""Markdown articles: optional YAML front matter, `#` headings as sections, plain text body.

markdown-it-py costs up to 45 µs per character on hostile shapes (`![` or `[a](` repeated,
`>` or `#` lines), so a 10 MB file took minutes; real articles cost about 0.2 µs (0.7 with a
link every few words). Each body gets a budget of CPU time, read by a rule at the head of the
block and inline rulers; once it is spent, those rules take the rest as written (plain
paragraphs, with a warning). The few costs no rule sees are bounded apart: the body goes to
markdown-it in pieces of PIECE_LINES lines, long `*`/`_` runs are text, and thematic breaks
are pre-checked. Figures: bench/markdown_shapes.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date, datetime

import yaml
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock, hr
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from store.core.errors import ImportFailed
from store.core.sanitize import MAX_TEXT_CHARS, clean, clean_line
from store.ingest.parse.common import Parsed, TextBuilder, clean_meta

_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
MAX_FRONT_BYTES = 64 * 1024
MAX_FRONT_DEPTH = 20
# Thread CPU time (not wall time: load and other threads do not spend it) from the start of a
# body's parse: the block pass stops at the first, the inline pass at the second, so text
# before a hostile block still has its inline markup read. A real article at the text limit
# takes about 0.3 s, one with a link on every sixth word about 1.5 s (bench/markdown_shapes).
BLOCK_SECONDS, TOTAL_SECONDS = 1.5, 3.0
_CHECK_EVERY = 64  # rule calls between clock reads (a read costs 1.5 µs, a call about 0.3)
# markdown-it's set-up costs about 1 µs per line before any rule can check the budget, so the
# body is parsed in pieces of this many lines (a real article has well under 50,000).
PIECE_LINES = 100_000
_LINES = re.compile(rf"(?:[^\n]*\n){{{PIECE_LINES}}}")
MAX_RUN = 64  # a longer run of `*` or `_` is text: markdown-it makes a token of each character
_RUNS = {c: re.compile(rf"{re.escape(c)}{{{MAX_RUN + 1},}}") for c in "*_"}
_HR_CHARS = re.compile(r"[-*_ \t]*")
_PLAIN = "gloss_plain"  # the token type of text taken as written once the budget is spent
_BLANK = re.compile(r"\n[ \t]*\n")
_PARAGRAPH = re.compile(r"^[ \t]*\S.*(?:\n[ \t]*\S.*)*", re.MULTILINE)


class _Budget:
    """CPU time up to a deadline, read every _CHECK_EVERY calls; once spent, it stays spent."""

    __slots__ = ("calls", "deadline", "spent")

    def __init__(self, deadline: float) -> None:
        self.deadline, self.calls, self.spent = deadline, 0, False

    def over(self) -> bool:
        if not self.spent:
            self.calls += 1
            if self.calls % _CHECK_EVERY == 0:
                self.spent = time.thread_time() > self.deadline
        return self.spent

    def over_now(self) -> bool:
        self.spent = self.spent or time.thread_time() > self.deadline
        return self.spent


def _block_budget(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Once the block pass is over budget, lines [start, end) are one token of text as written.

    It is also a terminator of paragraphs, lists and quotes, so a long one stops here."""
    budget = state.env.get("gloss_blocks")
    if budget is None or not budget.over():
        return False
    if silent:
        return True
    token = state.push(_PLAIN, "", 0)
    token.content = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[end - 1]]
    token.map = [start, end]
    state.line = end
    return True


def _inline_budget(state: StateInline, silent: bool) -> bool:
    """Once the inline pass is over budget, the rest of this inline text is kept as written;
    before, a run of more than MAX_RUN `*` or `_` is text."""
    budget = state.env.get("gloss_inline")
    if budget is None:
        return False
    run = _RUNS.get(state.src[state.pos])
    m = run.match(state.src, state.pos, state.posMax) if run else None
    if m is None and not budget.over():
        return False
    end = m.end() if m else state.posMax
    if not silent:
        state.append_pending(state.src[state.pos : end])
        reading = state.env.get("gloss_reading")
        if m is None and reading is not None and reading.map:  # to say where the cut is
            state.env.setdefault("gloss_inline_cut", reading.map[0])
    state.pos = end
    return True


def _hr(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """markdown-it's thematic break, once a C-speed check finds only marks and blanks: its own
    reads the line in Python at each level, 10 times over a 10 MB `- - - … a` (20 s)."""
    pos, line_end = state.bMarks[start] + state.tShift[start], state.eMarks[start]
    if _HR_CHARS.match(state.src, pos, line_end).end() < line_end:  # type: ignore[union-attr]
        return False
    return hr(state, start, end, silent)


def _inline_pass(state: StateCore) -> None:
    """markdown-it's core inline rule, saying which block's text is being read."""
    for token in state.tokens:
        if token.type == "inline":
            state.env["gloss_reading"] = token
            if token.children is None:
                token.children = []
            state.md.inline.parse(token.content, state.md, state.env, token.children)


_md = MarkdownIt("commonmark")
_md.core.ruler.at("inline", _inline_pass)
_BREAKS = ["paragraph", "reference", "blockquote", "list"]  # what markdown-it lets hr end
_md.block.ruler.at("hr", _hr, {"alt": _BREAKS})
_md.block.ruler.before("table", "gloss_budget", _block_budget, {"alt": _BREAKS})
_md.inline.ruler.before("text", "gloss_budget", _inline_budget)


def _pieces(body: str) -> Iterator[tuple[int, int, str]]:
    """(first line, offset, text) of pieces of about PIECE_LINES lines, cut after a blank line
    if there is one in the next PIECE_LINES lines. A body up to PIECE_LINES is one piece."""
    pos, line = 0, 0
    while pos < len(body):
        m = _LINES.match(body, pos)
        if m is None:
            yield line, pos, body[pos:]
            return
        further = _LINES.match(body, m.end())
        blank = _BLANK.search(body, m.end() - 1, further.end() if further else len(body))
        end = blank.end() if blank else m.end()
        yield line, pos, body[pos:end]
        line += body.count("\n", pos, end)
        pos = end


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


def parse_body(
    builder: TextBuilder, body: str, take_title: bool = True, *, warnings: list[str] | None = None
) -> str | None:
    """Lay a Markdown body into builder; with take_title, a leading `#` line is the title.

    Past the time budget the rest is laid out as written, said in `warnings`; past
    MAX_TEXT_CHARS of text, ImportFailed (the article could not be imported whole anyway)."""
    now = time.thread_time()
    blocks, inline = _Budget(now + BLOCK_SECONDS), _Budget(now + TOTAL_SECONDS)
    env: dict = {"gloss_blocks": blocks, "gloss_inline": inline}
    layout = _Layout(builder, take_title)
    for first, offset, piece in _pieces(body):
        if blocks.over_now():
            layout.cut(first)
            _plain(builder, body[offset:])
            break
        layout.tokens(_md.parse(piece, env), first)
        if (line := env.pop("gloss_inline_cut", None)) is not None:
            layout.cut(first + line)
    if warnings is not None and (blocks.spent or inline.spent):
        where = f"from line {layout.cut_line + 1:,} on " if layout.cut_line is not None else ""
        warnings.append(
            f"Markdown too slow to parse within {TOTAL_SECONDS:g} s: the text {where}is kept"
            " as written"
        )
    return layout.first_h1


class _Layout:
    """Lays markdown-it's tokens into a builder, piece after piece."""

    def __init__(self, builder: TextBuilder, take_title: bool) -> None:
        self.builder, self.take_title = builder, take_title
        self.first_h1: str | None = None
        self.cut_line: int | None = None  # the first line kept as written
        self.prefix = ""

    def cut(self, line: int) -> None:
        self.cut_line = line if self.cut_line is None else min(line, self.cut_line)

    def tokens(self, tokens: list[Token], first: int) -> None:
        builder = self.builder
        for i, tok in enumerate(tokens):
            if tok.type == "bullet_list_open":
                self.prefix = "• "
            elif tok.type == "bullet_list_close":
                self.prefix = ""
            elif tok.type == "inline":
                opener = tokens[i - 1]
                text = _inline_text(tok)
                if opener.type == "heading_open":
                    level = int(opener.tag[1])
                    first_one = self.first_h1 is None and not builder.paragraphs
                    if self.take_title and level == 1 and first_one:
                        self.first_h1 = text
                        continue
                    builder.heading(text, level)
                else:
                    builder.paragraph(self.prefix + text)
            elif tok.type in ("fence", "code_block"):
                builder.paragraph(tok.content)
            elif tok.type == _PLAIN:
                self.cut(first + tok.map[0] if tok.map else first)
                _plain(builder, tok.content)
            _check_length(builder)


def _plain(builder: TextBuilder, text: str) -> None:
    """Text as written, one paragraph per run of lines that are not blank."""
    for m in _PARAGRAPH.finditer(text):
        builder.paragraph(m.group())
        _check_length(builder)


def _check_length(builder: TextBuilder) -> None:
    """Stop laying out a text that is already longer than an article may be."""
    end = builder.paragraphs[-1][1] if builder.paragraphs else 0
    if max(end, builder.sections[-1].end if builder.sections else 0) > MAX_TEXT_CHARS:
        raise ImportFailed(f"article text too long (over {MAX_TEXT_CHARS:,} characters, the limit)")


def parse_markdown(raw: str) -> Parsed:
    """Parse an already-decoded Markdown article; a bad front matter field is a warning."""
    raw = clean(raw)  # controls go before YAML sees them
    meta, body = split_front_matter(raw)
    # The front matter's lines become blank lines (which Markdown skips), so a line number
    # in a warning is the file's.
    body = "\n" * raw.count("\n", 0, len(raw) - len(body)) + body
    warnings: list[str] = []
    builder = TextBuilder()
    title = _text(meta, warnings, "title")
    byline = _text(meta, warnings, "author", "byline")
    published = _date(meta, warnings)
    url = _text(meta, warnings, "url", "source")
    tags = _tags(meta, warnings)
    h1 = parse_body(builder, body, take_title=title is None, warnings=warnings)
    title = title or h1
    if title is None and builder.sections:
        title = builder.sections[0].title
    return builder.build(
        title or "", byline=byline, published=published, url=url, tags=tags, warnings=warnings
    )
