"""HTML pages: main text and metadata extracted by trafilatura, laid out from its XML tree.

trafilatura is imported here and only here, when a page is parsed: importing `store` (or
parsing a .txt file) never pays for it. The tree of its XML output (`<head rend="h2">`, `<p>`,
`<list>`, `<table>`, `<quote>`, `<code>`, with `<ref>`, `<lb/>` inline) is walked into plain
text with structure: headings are sections, list items start with a bullet (ordered ones with
their number), a table row is its cells' text joined by TABLE_SEP, one line per row, and
inline formatting contributes only its text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from store.core.errors import ImportFailed
from store.core.sanitize import clean_markup
from store.ingest.parse.common import Parsed, TextBuilder, clean_meta

if TYPE_CHECKING:
    from lxml import etree

SHORT_WORDS = 40  # fewer words than this is imported, with a warning
TABLE_SEP = " · "  # between a table row's cells: plain text, no Markdown pipes
_MAX_DEPTH = 40  # blocks nested deeper are laid out as one paragraph (bounded recursion)
_BLOCKS = frozenset(
    {"p", "head", "list", "item", "table", "row", "cell", "quote", "code", "div", "main"}
)
_BULLETS = ("• ", "◦ ", "▪ ")
_QUOTE_BLOCKS = frozenset({"body", "main", "div", "quote", "comments"})
_LEVEL = re.compile(r"h([1-6])")
_SPACE = re.compile(r"[ \t\n\r\f\v]+")  # HTML's collapsible white space (not U+00A0)
# Inline elements whose tail trafilatura keeps as written; after another (an inline <q>),
# it trims the tail in list items, so a space goes back in before a word.
_KEEPS_TAIL = frozenset({"hi", "ref", "del", "code"})


MAX_TAGS = 100_000


def parse_html(raw: str, url: str | None = None, name: str | None = None) -> Parsed:
    """Parse an already-decoded HTML page; `url` is where it came from, `name` its file name.

    Every page with text is imported; only a page without any is refused (ImportFailed), and
    a page of more than MAX_TAGS tags: trafilatura's time grows faster than their number
    (30,000 `<p>` took 5 s, 200,000 took 108 s), and no real article page comes near."""
    tags = raw.count("<")
    if tags > MAX_TAGS:
        raise ImportFailed(f"page too complex ({tags:,} tags; the limit is {MAX_TAGS:,})")
    doc = _extract(clean_markup(raw), url)
    if doc is None or doc.body is None:
        raise ImportFailed("no article text found in the page")
    meta_title = clean_meta(doc.title)
    layout = _Layout(meta_title)
    layout.block(doc.body, 0)
    builder = layout.builder
    if not builder.paragraphs and not builder.sections:
        if layout.headline is None:
            raise ImportFailed("no article text found in the page")
        builder.paragraph(layout.headline)  # a page that is only a headline: that is its text
    warnings: list[str] = []
    title = meta_title or layout.first_heading
    if not title:
        title = builder.first_line()
        warnings.append("no title in the page; the first line of the text is the title")
    if not title:  # a first line of bullets alone
        title = clean_meta(url) or clean_meta(name) or ""
    words = len(builder.text.split())
    if words < SHORT_WORDS:
        warnings.append(f"short page: only {words} words of text")
    return builder.build(
        title,
        byline=clean_meta(doc.author),
        published=clean_meta(doc.date),
        url=clean_meta(doc.url) or url,
        tags=[],
        warnings=warnings,
    )


def lay_out_fragment(html: str, title: str | None) -> tuple[TextBuilder, str | None]:
    """Lay out an HTML fragment (a feed entry's content) as parse_html lays out a page: the
    builder, and the fragment's leading <h1> when it is the title (or there is none). When
    trafilatura finds no main text in it, its plain-text dump of the fragment is the text."""
    page = f"<html><body><article>{clean_markup(html)}</article></body></html>"
    layout = _Layout(title or None)
    try:
        doc = _extract(page, None, recall=True, metadata=False)  # (only its body is used)
    except ImportFailed:
        doc = None
    if doc is not None and doc.body is not None:
        layout.block(doc.body, 0)
    if not layout.builder.paragraphs and not layout.builder.sections:
        import trafilatura

        try:
            text = trafilatura.html2txt(page) or ""
        except Exception:  # lxml raises many kinds on broken markup
            text = ""
        for para in re.split(r"\n\s*\n|\n", text):
            layout.builder.paragraph(para)
    return layout.builder, layout.headline


def _extract(raw: str, url: str | None, recall: bool = False, metadata: bool = True) -> Any:
    """trafilatura's Document: metadata, and `body`, the tree its XML output is made of.

    The tree itself, not the XML text: serialising deletes empty elements and glues their
    neighbours' text together ("float32x2_t<span/>Available" becomes one word)."""
    import trafilatura  # late: a second or more of imports, needed only for HTML

    try:
        return trafilatura.bare_extraction(
            raw,
            url=url,
            output_format="xml",
            with_metadata=metadata,  # (off: htmldate's search costs a third of the time)
            include_comments=False,
            include_tables=True,
            # On: <hi> elements are walked as inline text. Off, a page too short for the
            # main-text pass falls back to a baseline that breaks a paragraph at each inline
            # element ("The\ncouncil\nvoted").
            include_formatting=True,
            include_links=False,
            favor_recall=recall,
        )
    except Exception as exc:  # lxml and trafilatura raise many kinds on broken pages
        raise ImportFailed(f"could not parse HTML ({type(exc).__name__})") from None


def _inline(el: etree._Element, out: list[str]) -> None:
    """Append the text inside el (not its tail): `<lb/>` is a newline, a nested block is set
    off by newlines. Iterative: any depth is fine."""
    from lxml import etree  # loaded with trafilatura, which parses with it

    walk = etree.iterwalk(el, events=("start", "end"))
    for event, node in walk:
        tag = node.tag if isinstance(node.tag, str) else ""  # comments, processing instr.
        if event == "start":
            if tag == "lb":
                out.append("\n")
                continue
            if node is not el and _is_block(node):
                out.append("\n")
            if node.text and tag:
                out.append(node.text)
        elif node is not el:
            if _is_block(node):
                out.append("\n")
            _tail(node, out)


def _tail(el: etree._Element, out: list[str]) -> None:
    """Append el's tail, after a space where trafilatura has lost the one that was there: an
    inline <q> in a list item, or an empty element between two words."""
    tail = el.tail
    if tail:
        if tail[0].isalnum() and el.tag not in _KEEPS_TAIL:
            if el.tag == "quote" or not "".join(el.itertext()).strip():
                out.append(" ")
        out.append(tail)


def _is_block(el: etree._Element) -> bool:
    """A block of its own, or text inside one? trafilatura writes <code> for inline code and
    <pre> alike, and <quote> for an inline <q> and a <blockquote> alike."""
    tag = el.tag
    if tag == "code":
        return "\n" in "".join(el.itertext())
    if tag == "quote":
        parent = el.getparent()
        return (parent is not None and parent.tag in _QUOTE_BLOCKS) or el.find("p") is not None
    return tag in _BLOCKS


def _lines(parts: list[str]) -> str:
    """Inline text as HTML shows it: white space collapsed, lines trimmed, blank lines gone."""
    lines = (_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _same(a: str, b: str) -> bool:
    """True when heading a is title b, or b is a plus the site's name ("A | Site")."""
    a, b = " ".join(a.casefold().split()), " ".join(b.casefold().split())
    return a == b or b.startswith(a + " ") or b.endswith(" " + a)


class _Layout:
    """Walks trafilatura's <main> into a TextBuilder."""

    def __init__(self, meta_title: str | None) -> None:
        self.builder = TextBuilder()
        self.meta_title = meta_title
        self.first_heading: str | None = None
        self.headline: str | None = None  # the leading <h1>, when it is the title
        self.lists = 0  # how deep in lists we are, for the bullet

    def block(self, el: etree._Element, depth: int, prefix: str = "") -> None:
        tag = el.tag
        if depth >= _MAX_DEPTH:
            self.paragraph(prefix, self._flat(el))
        elif tag == "head":
            self.heading(el)
        elif tag == "list":
            self.list(el, depth)
        elif tag == "table" and el.find("row") is not None:
            self.table(el)
        elif tag == "code":
            parts: list[str] = []
            _inline(el, parts)
            self.builder.paragraph(prefix + "".join(parts).strip("\n"))
        else:  # p, quote, div, item, and any container of text and blocks
            self.container(el, depth, prefix)

    def container(self, el: etree._Element, depth: int, prefix: str = "") -> None:
        """Text and inline elements make paragraphs; block children are laid out in turn."""
        run: list[str] = [el.text or ""]
        for child in el:
            if _is_block(child):
                prefix = self.paragraph(prefix, run)
                self.block(child, depth + 1)
                run = [child.tail or ""]
            else:
                _inline(child, run)
                _tail(child, run)
        self.paragraph(prefix, run)

    def paragraph(self, prefix: str, parts: list[str]) -> str:
        """Add the run as a paragraph; the prefix (a list bullet) is used up if it was."""
        text = _lines(parts)
        if not text:
            return prefix
        self.builder.paragraph(prefix + text)
        return ""

    def heading(self, el: etree._Element) -> None:
        text = _lines(self._flat(el)).replace("\n", " ")
        if not text:
            return
        m = _LEVEL.fullmatch(el.get("rend") or "")
        level = int(m[1]) if m else 2
        first = self.first_heading is None
        self.first_heading = self.first_heading or text
        # The page's headline is its title, not a section of its body.
        b = self.builder
        if first and level == 1 and not b.paragraphs and not b.sections:
            if self.meta_title is None or _same(text, self.meta_title):
                self.headline = text
                return
        b.heading(text, level)

    def list(self, el: etree._Element, depth: int) -> None:
        ordered = el.get("rend") == "ol"
        bullet = _BULLETS[min(self.lists, len(_BULLETS) - 1)]
        self.lists += 1
        n = 0
        for item in el:
            if item.tag == "item" and not (item.get("rend") or "").startswith(("dt", "dd")):
                n += 1
                self.block(item, depth + 1, f"{n}. " if ordered else bullet)
            else:  # a description list's terms and definitions, or stray content
                self.block(item, depth + 1)
            if item.tail and item.tail.strip():
                self.paragraph("", [item.tail])
        self.lists -= 1

    def table(self, el: etree._Element) -> None:
        rows = []
        for row in el.iter("row"):
            if next(row.iterancestors("table")) is not el:
                continue  # a table inside a cell is that cell's text
            cells = [_lines(self._flat(c)).replace("\n", " ") for c in row.findall("cell")]
            line = TABLE_SEP.join(c for c in cells if c) or _lines(self._flat(row))
            if line:
                rows.append(line.replace("\n", " "))
        self.builder.paragraph("\n".join(rows))

    @staticmethod
    def _flat(el: etree._Element) -> list[str]:
        parts: list[str] = []
        _inline(el, parts)
        return parts
