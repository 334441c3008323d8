"""The reader's header (title, byline, date, source, tags) and the entity legend.

Both are built with `Content.assemble` from plain strings, so stored text never becomes markup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from textual.content import Content
from textual.widgets import Static

from store.core.models import ArticleSummary, Entity
from tui.render import DEFAULT_COLOUR, ENTITY_COLOURS

NBSP = "\u00a0"  # keeps a legend entry on one line when the legend wraps


def article_date(summary: ArticleSummary) -> str:
    """The published date, else the import date (YYYY-MM-DD)."""
    return (summary.published or summary.imported_at or "")[:10]


class ArticleHeader(Static):
    """Title, byline, date, source, tags and state of the open article."""

    DEFAULT_CSS = """
    ArticleHeader {
        height: auto;
        padding: 0 1 0 4;
        background: $panel;
    }
    """

    def clear(self) -> None:
        """Show nothing (an article is being fetched)."""
        self.update(Content("\n\n"))

    def show(self, summary: ArticleSummary) -> None:
        title = Content.styled(summary.title, "bold $text")
        if summary.starred:
            title = Content.assemble(("★ ", "$warning"), title)
        meta = " · ".join(x for x in (summary.byline, article_date(summary), summary.source) if x)
        state = "unread" if not summary.read else "read"
        tags = "  ".join(f"#{t}" for t in summary.tags) or "no tags"
        self.update(
            Content.assemble(
                title,
                "\n",
                (meta, "dim"),
                "\n",
                (tags, "$text-accent"),
                ("  ·  " + state, "dim"),
            )
        )


def label_counts(entities: Iterable[Entity]) -> list[tuple[str, int]]:
    """Entity labels with their mention counts, most mentioned first (the legend order)."""
    counts = Counter(e.label for e in entities)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


class Legend(Static):
    """Entity labels with counts; number keys 1-9 switch them in this order."""

    DEFAULT_CSS = """
    Legend {
        height: auto;
        padding: 0 1 0 4;
        background: $panel;
        color: $text-muted;
    }
    """

    def clear(self) -> None:
        self.update(Content(""))

    def show(self, counts: list[tuple[str, int]], on: bool, hidden: frozenset[str]) -> None:
        if not counts:
            self.update(Content("No entities in this article."))
            return
        if not on:
            self.update(Content("Entities hidden: press e to show them."))
            return
        parts: list[Content | str | tuple[str, str]] = ["Entities  "]
        for i, (label, count) in enumerate(counts):
            key = (str(i + 1) if i < 9 else " ") + NBSP
            if label in hidden:
                chip = (f"{label}{NBSP}{count}{NBSP}off", "strike dim")
            else:
                colour = ENTITY_COLOURS.get(label, DEFAULT_COLOUR)
                chip = (f"{NBSP}{label}{NBSP}{count}{NBSP}", f"#000000 on {colour}")
            parts += [(key, "bold"), chip, "  "]
        self.update(Content.assemble(*parts))
