"""The reader's header (title, byline, date, source, tags) and the entity legend.

Both are built with `Content.assemble` from plain strings, so stored text never becomes markup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from textual.content import Content
from textual.widgets import Static

from store.core.models import ArticleSummary, Entity
from tui.config import show_date
from tui.contrast import MUTED
from tui.render import DEFAULT_COLOUR, ENTITY_COLOURS


def article_date(summary: ArticleSummary) -> str:
    """The published date, else the import date (in the config's date_format)."""
    return show_date(summary.published or summary.imported_at)


class ArticleHeader(Static):
    """Title, byline, date, source, tags and state of the open article; when `compact`, two
    lines: the title, and the date, tags and state (each cut with an ellipsis, reader.tcss)."""

    DEFAULT_CSS = """
    ArticleHeader {
        height: auto;
        padding: 0 1 0 4;
        color: $gloss-panel-text;
        background: $panel;
    }
    """

    compact = False
    _summary: ArticleSummary | None = None
    progress: int | None = None
    """How far the reader is into the text, in percent (None: not known yet)."""

    def clear(self) -> None:
        """Show nothing (an article is being fetched)."""
        self._summary, self.progress = None, None
        self.update(Content("\n" if self.compact else "\n\n"))

    def refresh_shown(self) -> None:
        """Show the article again (`compact` changed)."""
        if self._summary is not None:
            self.show(self._summary)
        else:
            self.clear()

    def show_progress(self, percent: int) -> None:
        """Show how far into the article the cursor is (after the state)."""
        if percent != self.progress:
            self.progress = percent
            if self._summary is not None:
                self.show(self._summary)

    def show(self, summary: ArticleSummary) -> None:
        self._summary = summary
        title = Content.styled(summary.title, "bold $gloss-panel-text")
        if summary.starred:
            title = Content.assemble(("★ ", "$gloss-warning-text"), title)
        meta = " · ".join(x for x in (summary.byline, article_date(summary), summary.source) if x)
        state = "unread" if not summary.read else "read"
        tags = "  ".join(f"#{t}" for t in summary.tags) or "no tags"
        progress = ("" if self.progress is None else f"  ·  {self.progress}%", MUTED)
        if self.compact:
            line = [
                (article_date(summary), MUTED),
                "  ",
                (tags, "$gloss-accent-text"),
            ]
            self.update(Content.assemble(title, "\n", *line, ("  ·  " + state, MUTED), progress))
            return
        self.update(
            Content.assemble(
                title,
                "\n",
                (meta, MUTED),
                "\n",
                (tags, "$gloss-accent-text"),
                ("  ·  " + state, MUTED),
                progress,
            )
        )


def label_counts(entities: Iterable[Entity]) -> list[tuple[str, int]]:
    """Entity labels with their mention counts, most mentioned first (the legend order)."""
    counts = Counter(e.label for e in entities)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


KEYED = 9  # labels 1-9 have a key each; the rest share 0 (tui/screens/reader.py)


def label_key(index: int) -> str:
    """The key that switches the legend's label at `index`: 1-9, then 0 for all the rest."""
    return str(index + 1) if index < KEYED else "0"


class Legend(Static):
    """Entity labels with counts; keys 1-9 switch them in this order, 0 the rest together.

    The entries are laid out in lines here, each entry whole on one line: Textual wraps a
    line at any space, a no-break space too, which split an entry from its key."""

    DEFAULT_CSS = """
    Legend {
        height: auto;
        padding: 0 1 0 4;
        background: $panel;
        color: $gloss-muted-text;
    }
    """

    _shown: tuple[list[tuple[str, int]], bool, frozenset[str]] | None = None
    one_line = False
    """On a short terminal: the entries that fit on one line, then "+N more" (their keys
    still work; the entities panel, e, lists them all)."""

    def set_one_line(self, on: bool) -> None:
        if on != self.one_line:
            self.one_line = on
            if self._shown is not None:
                self.show(*self._shown)

    def clear(self) -> None:
        self._shown = None
        self.update(Content(""))

    def show(self, counts: list[tuple[str, int]], on: bool, hidden: frozenset[str]) -> None:
        self._shown = (counts, on, hidden)
        if not counts:
            self.update(Content("No entities in this article."))
            return
        if not on:
            self.update(Content("Entities hidden: press e to show them."))
            return
        width = max(1, self.content_region.width or self.app.size.width - 5)
        lines: list[list[Content]] = [[Content("Entities")]]
        used = len("Entities")
        for i, (label, count) in enumerate(counts):
            entry = self._entry(label_key(i), label, count, label in hidden)
            if used + 2 + entry.cell_length > width and used > 0:
                lines.append([])
                used = 0
            else:
                lines[-1].append(Content("  "))
                used += 2
            lines[-1].append(entry)
            used += entry.cell_length
        if self.one_line and len(lines) > 1:
            lines = [self._one_line(counts, hidden, width)]
        self.update(Content("\n").join(Content.assemble(*line) for line in lines))

    def _one_line(
        self, counts: list[tuple[str, int]], hidden: frozenset[str], width: int
    ) -> list[Content]:
        """ "Entities", the entries that fit, and "+N more" for the rest, on one line."""
        line, used = [Content("Entities")], len("Entities")
        for i, (label, count) in enumerate(counts):
            entry = self._entry(label_key(i), label, count, label in hidden)
            rest = len(counts) - i - 1  # (after this one: "  +N more" must fit beside it)
            if used + 2 + entry.cell_length + (len(f"  +{rest} more") if rest else 0) > width:
                line.append(Content(f"  +{rest + 1} more"))
                break
            line += [Content("  "), entry]
            used += 2 + entry.cell_length
        return line

    @staticmethod
    def _entry(key: str, label: str, count: int, off: bool) -> Content:
        if off:
            return Content.assemble(
                (key, "bold"), " ", (f"{label} {count} off", "strike $gloss-muted-text")
            )
        colour = ENTITY_COLOURS.get(label, DEFAULT_COLOUR)
        return Content.assemble((key, "bold"), " ", (f" {label} {count} ", f"#000000 on {colour}"))

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)
