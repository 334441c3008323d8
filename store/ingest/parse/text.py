"""Plain-text articles in the shape news sites' "copy as text" gives (see articles/000_*.txt).

First non-empty line: the title. Blank lines separate paragraphs. A short line without final
punctuation between paragraphs is a section heading. An "About the author" block gives the
byline. Comment-widget boilerplate is dropped.
"""

from __future__ import annotations

import re

from store.ingest.parse.common import Parsed, TextBuilder

BOILERPLATE = re.compile(
    r"^(add (a )?comment|click here to (post|add|leave) a comment|leave a (comment|reply)"
    r"|post a comment|\d+ comments?|share this( article)?|comments?)$",
    re.IGNORECASE,
)
ABOUT_AUTHOR = re.compile(r"^about the authors?:?$", re.IGNORECASE)
BY_LINE = re.compile(r"^by\s+(.{2,80})$", re.IGNORECASE)
_FINAL_PUNCT = tuple(".!?:;,\"'”’)…")


def _is_heading(block: str) -> bool:
    return (
        "\n" not in block
        and len(block) <= 80
        and len(block.split()) <= 10
        and not block.endswith(_FINAL_PUNCT)
        and block[:1].isupper()
    )


def parse_text(raw: str) -> Parsed:
    """Parse an already-decoded plain-text article."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", raw.replace("\r\n", "\n"))]
    blocks = [b for b in blocks if b]
    if not blocks:
        return TextBuilder().build("")
    first, _, rest = blocks[0].partition("\n")
    title = first
    blocks = ([rest.strip()] if rest.strip() else []) + blocks[1:]

    byline: str | None = None
    body: list[str] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        lines = [ln for ln in block.split("\n") if not BOILERPLATE.match(ln.strip())]
        block = "\n".join(lines).strip()
        if not block:
            i += 1
            continue
        if ABOUT_AUTHOR.match(block.split("\n")[0].strip()):
            rest_lines = block.split("\n")[1:]
            if rest_lines:
                byline = rest_lines[0].strip()
            elif i + 1 < len(blocks) and _is_heading(blocks[i + 1]):
                byline = blocks[i + 1]
                i += 1
            i += 1
            continue
        m = BY_LINE.match(block)
        if m and byline is None and not body:
            byline = m.group(1)
            i += 1
            continue
        body.append(block)
        i += 1

    builder = TextBuilder()
    for n, block in enumerate(body):
        # A heading needs body text after it; a lone short last line is a paragraph.
        if _is_heading(block) and n + 1 < len(body):
            builder.heading(block)
        else:
            builder.paragraph(block)
    return builder.build(title, byline=byline)
