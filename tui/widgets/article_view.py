"""The article body: wrapped rows rendered lazily (Line API) with a passage cursor.

The text is data: each row is a `rich.text.Text` built from a plain slice and styled by
character range (entities, highlights, notes, the cursor, the selection), never parsed as
markup. Layout depends only on the text and the width; styles are recomputed when notes,
entity settings or the cursor change.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from store.core.models import Article, Entity, Note, Sentence
from tui.config import DEFAULT_WIDTH, settings
from tui.render import DEFAULT_COLOUR, ENTITY_COLOURS
from tui.widgets.layout import Row, layout, row_at, spans_by_row, with_inline

GUTTER = 3  # cursor bar, note mark, space
MEASURE = DEFAULT_WIDTH  # the widest a line of prose gets (config: reading_width)
CONFLICT = "⚠"  # the margin mark of a note edited on two devices
NOTE = "✎"  # the margin mark of a note
HIGHLIGHT = "▪"  # the margin mark of a highlight (a note's mark shows over it)
_BLACK = Style(color="#000000")


@lru_cache(maxsize=64)
def entity_style(label: str) -> Style:
    """displaCy's colour for `label` as a background, with black text on it (one Style per
    label, shared: a long read has thousands of entities)."""
    return _BLACK + Style(bgcolor=ENTITY_COLOURS.get(label, DEFAULT_COLOUR))


class ArticleView(ScrollView, can_focus=True):
    """Shows one article and moves a cursor over its sentences."""

    HELP_TITLE = "Article text"

    COMPONENT_CLASSES = {
        "article-view--heading",
        "article-view--cursor",
        "article-view--bar",
        "article-view--selection",
        "article-view--highlight",
        "article-view--note",
        "article-view--mark",
        "article-view--highlight-mark",
        "article-view--inline",
        "article-view--conflict",
        "article-view--empty",
        "article-view--found",
    }
    DEFAULT_CSS = """
    ArticleView {
        color: $gloss-body-text;
        background: $surface;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        & > .article-view--heading { color: $gloss-accent-text; text-style: bold; }
        & > .article-view--cursor {
            color: $gloss-passage-text;
            background: $gloss-passage-background;
        }
        & > .article-view--bar { color: $gloss-accent-text; }
        & > .article-view--selection {
            color: $gloss-cursor-text;
            background: $gloss-cursor-background;
        }
        & > .article-view--highlight {
            color: $gloss-highlight-text;
            background: $gloss-highlight-background;
        }
        & > .article-view--note {
            color: $gloss-note-text;
            background: $gloss-note-background;
        }
        & > .article-view--mark { color: $gloss-success-text; text-style: bold; }
        & > .article-view--highlight-mark { color: $gloss-warning-text; text-style: bold; }
        & > .article-view--inline { color: $gloss-muted-text; text-style: italic; }
        & > .article-view--conflict { color: $gloss-error-text; text-style: bold; }
        & > .article-view--empty { color: $gloss-muted-text; text-style: italic; }
        & > .article-view--found { text-style: reverse bold; }
    }
    """
    BINDINGS = [
        Binding("j,down", "move(1)", "Next passage", show=False, id="reader.down"),
        Binding("k,up", "move(-1)", "Previous passage", show=False, id="reader.up"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="reader.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="reader.page_up"),
        Binding("g,home", "edge(-1)", "First passage", show=False, id="reader.first"),
        Binding("G,end", "edge(1)", "Last passage", show=False, id="reader.last"),
        Binding("v", "select", "Select", id="reader.select"),
        Binding(
            "escape", "clear_selection", "Clear selection", show=False, id="reader.clear_selection"
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.article_id: str | None = None
        self.text = ""
        self.sentences: tuple[Sentence, ...] = ()
        self._sentence_starts: list[int] = []
        self._headings: list[tuple[int, int]] = []
        self._entities: tuple[Entity, ...] = ()
        self._group_labels: dict[tuple[int, int], str] = {}
        """Each mention's (start, end) -> its group's label, the colour it is shown in."""
        self._notes: tuple[Note, ...] = ()
        self.found: tuple[tuple[int, int], ...] = ()
        """Ranges of the text marked as found (find in the article, search terms)."""
        self.cursor = 0
        """Index of the sentence under the cursor."""
        self.anchor: int | None = None
        """Sentence index where a selection started (`v`), or None."""
        self.entities_on = True
        self.hidden_labels: frozenset[str] = frozenset()
        self.inline_notes = False
        """Whether note bodies are shown under their paragraphs (`set_inline`)."""
        self._rows: list[Row] = []
        self._inline: dict[int, str] = {}
        """Rows showing a note body (see `with_inline`) -> the text they show."""
        self._row_starts: list[int] = []
        self._width = 0
        self.measure = settings().reading_width
        """The widest a line of prose gets, for comfortable reading."""
        self._spans: dict[int, list[tuple[int, int, object]]] = {}
        self._marks: dict[int, str] = {}
        self._strips: LRUCache[int, Strip] = LRUCache(1024)
        self._layouts: LRUCache[tuple[str | None, int], list[Row]] = LRUCache(4)
        """Rows by (article id, width): an article opened again is not wrapped again."""

    # -- what to show --------------------------------------------------------------------

    def show(self, article: Article, labels: dict[tuple[int, int], str] | None = None) -> None:
        """Show `article`, each mention in the colour of `labels[(start, end)]` (its group's
        label; else its own); re-showing the same article keeps the cursor and scroll."""
        same = article.id == self.article_id  # ids are hashes of the text
        self.article_id = article.id
        # a tab is one cell here (Rich counts it as none, a terminal jumps to a tab stop);
        # the text keeps its length, so offsets into it still hold
        self.text = article.text.replace("\t", " ")
        self.sentences = article.sentences
        self._sentence_starts = [s.start for s in article.sentences]
        self._headings = [(s.start, s.end) for s in article.sections]
        self._entities = article.entities
        self._group_labels = labels or {}
        self._notes = article.notes
        if not same:
            self.cursor, self.anchor, self._width = 0, None, 0
            self.found = ()
            self.scroll_to(0, 0, animate=False)
        self.cursor = min(self.cursor, max(0, len(self.sentences) - 1))
        self._relayout(force=self.inline_notes)  # the notes shown under paragraphs may differ

    def clear(self) -> None:
        """Show no article (the next one is being fetched)."""
        self.article_id, self.text = None, ""
        self.sentences, self._sentence_starts, self._headings = (), [], []
        self._entities, self._notes, self._group_labels = (), (), {}
        self.cursor, self.anchor, self._width, self.found = 0, None, 0, ()
        self._rows, self._row_starts, self._spans, self._marks = [], [], {}, {}
        self._inline = {}
        self.virtual_size = Size(0, 0)
        self.scroll_to(0, 0, animate=False)
        self._invalidate()

    def set_entities(self, on: bool, hidden: frozenset[str]) -> None:
        """Show or hide entity colours, and which labels are switched off."""
        self.entities_on, self.hidden_labels = on, hidden
        self._restyle()

    def set_inline(self, on: bool) -> None:
        """Show note bodies under their paragraphs, or not."""
        self.inline_notes = on
        self._relayout(force=True)

    @property
    def inline_rows(self) -> dict[int, str]:
        """Rows showing a note body, by index, with the text each shows."""
        return self._inline

    def set_found(self, ranges: Sequence[tuple[int, int]]) -> None:
        """Mark these ranges of the text as found (none: clear the marks)."""
        self.found = tuple(ranges)
        self._restyle()

    @property
    def progress(self) -> int:
        """How far into the text the cursor's passage ends, in percent (100 when the whole
        text is in view: there is nothing more to read)."""
        if not self.sentences or not self.text:
            return 0
        if self._rows and len(self._rows) <= self.scrollable_content_region.height:
            return 100
        return min(100, round(100 * self.sentences[self.cursor].end / len(self.text)))

    class Moved(Message):
        """The cursor moved to another passage (or another article is shown)."""

    @property
    def rows(self) -> Sequence[Row]:
        return self._rows

    def selection_range(self) -> tuple[int, int] | None:
        """(start, end) of the selected sentences, or of the cursor's sentence."""
        if not self.sentences:
            return None
        lo, hi = self.cursor, self.cursor if self.anchor is None else self.anchor
        lo, hi = min(lo, hi), max(lo, hi)
        return self.sentences[lo].start, self.sentences[hi].end

    def clear_selection(self) -> None:
        self.anchor = None
        self._invalidate()

    def go_to(self, offset: int) -> None:
        """Put the cursor on the sentence holding character `offset` and scroll to it."""
        if self.sentences:
            self.cursor = max(0, bisect_right(self._sentence_starts, offset) - 1)
            self._cursor_moved()

    # -- layout and styles ----------------------------------------------------------------

    def _measure(self) -> int:
        width = self.scrollable_content_region.width or self.size.width or 80
        return max(10, min(self.measure, width - GUTTER - 1))

    def _relayout(self, force: bool = False) -> None:
        width = self._measure()
        if width != self._width or force:
            self._width = width
            rows = self._layouts.get((self.article_id, width))
            if rows is None:  # ids are hashes of the text: the same id wraps the same way
                rows = layout(self.text, width, self._headings)
                self._layouts[(self.article_id, width)] = rows
            self._rows, self._inline = rows, {}
            if self.inline_notes:
                bodies = [(n.anchor.start, n.anchor.end, n.body.strip("\n")) for n in self._notes
                          if n.anchor is not None and n.body.strip()]  # fmt: skip
                self._rows, self._inline = with_inline(rows, self.text, bodies, width)
            self._row_starts = [r.start for r in self._rows]
            self.virtual_size = Size(width + GUTTER, max(1, len(self._rows)))
        self._restyle()
        self._scroll_to_cursor()

    def _restyle(self) -> None:
        spans: list[tuple[int, int, object]] = []
        marks: dict[int, str] = {}
        anchored = [n for n in self._notes if n.anchor is not None]
        for note in anchored:
            # a component name, resolved when rendering so a theme change applies at once
            kind = "article-view--highlight" if note.is_highlight else "article-view--note"
            spans.append((note.anchor.start, note.anchor.end, kind))  # type: ignore[union-attr]
            if self._rows:
                row = row_at(self._row_starts, note.anchor.start)  # type: ignore[union-attr]
                if note.is_highlight:
                    marks.setdefault(row, HIGHLIGHT)
                else:
                    marks[row] = CONFLICT if note.conflict or marks.get(row) == CONFLICT else NOTE
        if self.entities_on:
            labels, hidden = self._group_labels, self.hidden_labels
            for e in self._entities:
                label = labels.get((e.start, e.end), e.label)
                if label not in hidden:
                    spans.append((e.start, e.end, entity_style(label)))
        spans += [(n.anchor.start, n.anchor.end, Style(underline=True)) for n in anchored]  # type: ignore[union-attr]
        spans += [(start, end, "article-view--found") for start, end in self.found]
        self._spans = spans_by_row(self._rows, self._row_starts, spans)
        self._marks = marks
        self._invalidate()

    def _invalidate(self) -> None:
        self._strips.clear()
        self.refresh()
        self.post_message(self.Moved())

    def on_resize(self, event: events.Resize) -> None:
        if self.article_id is None:
            return
        if self._measure() != self._width:
            self._relayout()
        else:  # only the height changed (or the scrollbar came): keep rows and styles
            self._scroll_to_cursor()
            self.post_message(self.Moved())  # (the text may fit now, or no longer: progress)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._invalidate()

    # -- rendering ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.size.width
        base = self.rich_style
        if index == 0 and self.article_id is not None and not self.text.strip():
            empty = self.get_component_rich_style("article-view--empty", partial=True)
            line = Segment(" " * GUTTER + "This article has no text.", base + empty)
            return Strip([line]).crop_extend(0, width, base)
        if index >= len(self._rows):
            return Strip.blank(width, base)
        strip = self._strips.get(index)
        if strip is None:
            strip = self._render_row(index, base)
            self._strips[index] = strip
        return strip.crop_extend(0, width, base)

    def _render_row(self, index: int, base: Style) -> Strip:
        if (body := self._inline.get(index)) is not None:
            inline = base + self.get_component_rich_style("article-view--inline", partial=True)
            return Strip([Segment(" " * GUTTER + body, inline)])  # (a Text's own style is
            # not applied by Text.render: a segment carries it)
        row = self._rows[index]
        style = base
        if row.heading:
            style += self.get_component_rich_style("article-view--heading", partial=True)
        text = Text(self.text[row.start : row.end], style=style, no_wrap=True, end="")

        def clip(start: int, end: int) -> tuple[int, int] | None:
            s, e = max(start, row.start), min(end, row.end)
            return (s - row.start, e - row.start) if s < e else None

        cursor = self.selection_range()
        part = clip(*cursor) if cursor else None
        on_cursor = part is not None
        if part:
            text.stylize(self.get_component_rich_style("article-view--cursor", partial=True), *part)
        for start, end, span_style in self._spans.get(index, ()):
            if piece := clip(start, end):
                if isinstance(span_style, str):
                    span_style = self.get_component_rich_style(span_style, partial=True)
                text.stylize(span_style, *piece)  # type: ignore[arg-type]
        selected = self.anchor is not None and on_cursor
        if selected and part:
            text.stylize(
                self.get_component_rich_style("article-view--selection", partial=True), *part
            )
        bar = ("┃" if selected else "▌") if on_cursor else " "
        mark = self._marks.get(index, " ")
        mark_style = {
            CONFLICT: "article-view--conflict",
            HIGHLIGHT: "article-view--highlight-mark",
        }.get(mark, "article-view--mark")
        gutter = Text.assemble(
            (bar, base + self.get_component_rich_style("article-view--bar", partial=True)),
            (mark, base + self.get_component_rich_style(mark_style, partial=True)),
            (" ", base),
        )
        return Strip(list((gutter + text).render(self.app.console)))

    # -- moving -------------------------------------------------------------------------------

    def _cursor_moved(self) -> None:
        self._invalidate()
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        if not self.sentences or not self._rows:
            return
        sentence = self.sentences[self.cursor]
        first = row_at(self._row_starts, sentence.start)
        last = row_at(self._row_starts, max(sentence.start, sentence.end - 1))
        while last + 1 in self._inline:  # the notes under its paragraph come into view too
            last += 1
        top = round(self.scroll_offset.y)
        height = max(1, self.scrollable_content_region.height)
        if first < top:
            self.scroll_to(y=first, animate=False)
        elif last >= top + height:
            self.scroll_to(y=min(first, last - height + 1), animate=False)

    def action_move(self, delta: int) -> None:
        if self.sentences:
            self.cursor = max(0, min(len(self.sentences) - 1, self.cursor + delta))
            self._cursor_moved()

    def action_edge(self, direction: int) -> None:
        if self.sentences:
            self.cursor = 0 if direction < 0 else len(self.sentences) - 1
            self._cursor_moved()

    def action_page(self, direction: int) -> None:
        """Scroll a page and put the cursor on the first passage starting in view."""
        if not self.sentences or not self._rows:
            return
        height = max(1, self.scrollable_content_region.height)
        top = round(self.scroll_offset.y)
        new_top = max(0, min(len(self._rows) - height, top + direction * height))
        if new_top == top:  # already at the end: go to the first or last passage
            self.action_edge(direction)
            return
        self.scroll_to(y=new_top, animate=False)
        index = bisect_left(self._sentence_starts, self._rows[new_top].start)
        self.cursor = min(index, len(self.sentences) - 1)
        self._invalidate()

    def action_select(self) -> None:
        self.anchor = self.cursor if self.anchor is None else None
        self._invalidate()

    def action_clear_selection(self) -> None:
        if self.anchor is None:
            raise SkipAction()
        self.clear_selection()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or not self._rows:
            return
        index = self.scroll_offset.y + offset.y
        if 0 <= index < len(self._rows):
            row = self._rows[index]
            self.go_to(min(row.end, row.start + max(0, offset.x - GUTTER)))
