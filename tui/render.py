"""Article text as Rich `Text`: entities coloured by label, styled by character range.

Text from the library is data: it is never parsed as markup; styles are applied by offsets,
the way displaCy walks entity spans.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from store.core.models import Article, Entity
from store.core.sanitize import clean

if TYPE_CHECKING:
    from store.find.search import Hit

# displaCy's palette; black text on these light backgrounds reads on dark and light themes.
ENTITY_COLOURS: dict[str, str] = {
    "ORG": "#7aecec",
    "GPE": "#feca74",
    "PERSON": "#aa9cfc",
    "NORP": "#c887fb",
    "LOC": "#ff9561",
    "DATE": "#bfe1d9",
    "TIME": "#bfe1d9",
    "CARDINAL": "#e4e7d2",
    "ORDINAL": "#e4e7d2",
    "QUANTITY": "#e4e7d2",
    "PERCENT": "#e4e7d2",
    "MONEY": "#e4e7d2",
    "EVENT": "#ffeb80",
    "PRODUCT": "#bfeeb7",
    "FAC": "#9cc9cc",
    "LAW": "#ff8197",
    "LANGUAGE": "#ff8197",
    "WORK_OF_ART": "#f0d0ff",
}
DEFAULT_COLOUR = "#dddddd"


def entity_style(label: str) -> str:
    return f"#000000 on {ENTITY_COLOURS.get(label, DEFAULT_COLOUR)}"


def stylize_entities(text: Text, entities: Iterable[Entity], offset: int = 0) -> None:
    """Colour each entity's range of `text` (whose first character is at `offset`)."""
    for e in entities:
        text.stylize(entity_style(e.label), e.start - offset, e.end - offset)


def article_text(article: Article) -> Text:
    """The article body with headings in bold and entities coloured."""
    body = Text(article.text)
    for s in article.sections:
        body.stylize("bold underline", s.start, s.end)
    stylize_entities(body, article.entities)
    return body


def print_article(article: Article, console: Console | None = None) -> None:
    """`gloss show`: header, coloured text, a legend, and the notes. On a terminal the text is
    styled and wrapped to its width; to a file or a pipe it is plain lines, unwrapped."""
    console = console or Console(highlight=False, markup=False, emoji=False)
    out = article_page(article)
    if console.is_terminal:
        console.print(out)
    else:  # Rich's rendering costs about 0.1 ms a line: 9 s for an article with 50,000 notes
        lines = clean(out.plain).split("\n")
        console.file.write("\n".join(line.rstrip() for line in lines) + "\n")


def article_page(article: Article) -> Text:
    """What `gloss show` prints, as one Text."""
    s = article.summary
    out = Text()
    out.append(s.title + "\n", style="bold")
    meta = " · ".join(x for x in (s.byline, s.published, s.source) if x)
    if meta:
        out.append(meta + "\n", style="dim")
    if s.tags:
        out.append("tags: " + ", ".join(s.tags) + "\n", style="dim")
    out.append(f"id {s.id}\n\n", style="dim")
    out.append_text(article_text(article))
    out.append("\n")
    if article.entities:
        counts: dict[str, int] = {}
        for e in article.entities:
            counts[e.label] = counts.get(e.label, 0) + 1
        out.append("\nentities:")
        for label, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            out.append(" ")
            out.append(f" {label} {n} ", style=entity_style(label))
        out.append("\n")
    for n in article.notes:
        out.append("\n")
        out.append(("highlight " if n.is_highlight else "note ") + n.id, style="bold")
        if n.conflict:
            out.append("  CONFLICT", style="bold red")
        if n.orphan:
            out.append("  ORPHANED (the passage is no longer in the article)", style="yellow")
        out.append("\n")
        if n.anchor or n.orphan:
            quote = (n.anchor or n.orphan).exact  # type: ignore[union-attr]
            out.append("> " + " ".join(quote.split()) + "\n", style="italic")
        for body in n.versions if n.conflict else ((n.body,) if n.body else ()):
            out.append(body + "\n")
    out.rstrip()
    return out


def print_hits(hits: Sequence[Hit], console: Console | None = None) -> None:
    """`gloss search`: one block per hit, the matched words of the snippet highlighted. On a
    terminal styled and wrapped to its width; to a file or a pipe plain lines, unwrapped."""
    console = console or Console(highlight=False, markup=False, emoji=False)
    out = Text()
    for hit in hits:
        out.append(f"{hit.article_id[:8]} ", style="dim")
        if hit.kind == "note":
            out.append(f"note {hit.note_id} on ", style="cyan")
        out.append(hit.title + "\n", style="bold")
        snippet = Text("  " + hit.snippet)
        for start, end in hit.marks:
            snippet.stylize("bold reverse", start + 2, end + 2)
        out.append_text(snippet)
        out.append("\n")
    if not hits:
        out.append("no matches\n", style="dim")
    if console.is_terminal:
        out.rstrip()
        console.print(out)
    else:
        lines = clean(out.plain).split("\n")
        console.file.write("\n".join(line.rstrip() for line in lines))
