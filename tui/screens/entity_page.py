"""The entity page: one entity across the library (its totals, a column chart of its
articles by month, the entities mentioned with it, its articles newest first with the
sentence of the first mention, and the notes on passages mentioning it).

Loaded in a worker (`Library.entity_page`), a page of articles at a time: more come with m,
or on moving past the last one. Enter on a co-mentioned entity opens its page over this
one; enter on an article or a note dismisses the page (and the pages under it) with
(article id, offset): the screen that opened it shows the article there. Every name,
title, sentence and note is data, shown as `Content` styled by range.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from store import Library
from store.core.errors import NotFound
from store.find.entity_page import EntityArticle, EntityNote, EntityPage
from tui.charts import MonthChart
from tui.config import show_date
from tui.contrast import MUTED
from tui.render import entity_style
from tui.screens import ENTITIES_CSS
from tui.widgets.failures import ReportsFailures
from tui.widgets.footer import KeyBar
from tui.widgets.keys import VIM_CURSOR
from tui.widgets.plain_cursor import PlainCursor
from tui.words import plural

PAGE = 50
"""Articles fetched at a time."""
SENTENCE_CHARS = 160

Target = tuple[str, int]
"""An article to open and the text offset to put the cursor on."""


class EntityList(PlainCursor):
    """The page's co-mentions, articles and notes; j/k move as the arrows do."""

    HELP_TITLE = "Entity page"
    BINDINGS = [*VIM_CURSOR]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def article_prompt(item: EntityArticle, label: str) -> Content:
    """Date, title and mentions; under them the sentence of the first mention, the mention
    in the entity's colour."""
    s = item.summary
    date = show_date(s.published or s.imported_at)
    parts: list[Content | str | tuple[str, str]] = [(date + "  ", MUTED), (s.title, "bold")]
    if item.mentions > 1:
        parts.append((f"  {item.mentions} mentions", MUTED))
    head = Content.assemble(*parts)
    sentence = item.sentence
    if not sentence:
        return head
    lo, hi = item.start - item.sentence_start, item.end - item.sentence_start
    if item.start < 0 or not 0 <= lo < hi <= len(sentence):
        return Content.assemble(head, "\n    ", _one_line(sentence)[:SENTENCE_CHARS])
    before, mention, after = _one_line(sentence[:lo]), sentence[lo:hi], _one_line(sentence[hi:])
    room = max(20, SENTENCE_CHARS - len(mention))
    if len(before) > room // 2:
        before = "…" + before[-(room // 2) :]
    if len(after) > room - len(before):
        after = after[: max(0, room - len(before))] + "…"
    gap = " " if sentence[lo - 1 : lo].isspace() and before else ""
    tail = " " if sentence[hi : hi + 1].isspace() and after else ""
    return Content.assemble(
        head, "\n    ", before + gap, (_one_line(mention), entity_style(label)), tail + after
    )


def note_prompt(found: EntityNote) -> Content:
    n = found.note
    kind = "highlight" if n.is_highlight else "note"
    parts: list[Content | str | tuple[str, str]] = [(kind, "bold"), " on ",
                                                     (found.title, "italic")]  # fmt: skip
    if n.anchor is not None:
        parts += ["\n    ", ("“" + _one_line(n.anchor.exact)[:SENTENCE_CHARS] + "”", "italic")]
    if n.body:
        parts += ["\n    ", _one_line(n.body)[:SENTENCE_CHARS]]
    return Content.assemble(*parts)


def heading(text: str) -> Option:
    return Option(Content.styled(text, "bold $text-primary"), disabled=True)


class EntityPageScreen(ReportsFailures, Screen["Target | None"]):
    """One entity's page; dismissed with the article to open (and where), or None."""

    CSS_PATH = ENTITIES_CSS
    HELP_TITLE = "Entity page"
    BINDINGS = [
        Binding("escape,q", "back", "Back", id="entity_page.back"),
        Binding("m", "more", "More articles", id="entity_page.more"),
    ]

    class Loaded(Message):
        def __init__(self, page: EntityPage) -> None:
            super().__init__()
            self.page = page

    class Missing(Message):
        def __init__(self, why: str, suggestions: list[str]) -> None:
            super().__init__()
            self.why = why
            self.suggestions = suggestions

    def __init__(self, lib: Library, name: str, label: str | None = None) -> None:
        super().__init__()
        self.lib = lib
        self.entity_name = name
        self.entity_label = label
        self.page: EntityPage | None = None
        """The first page fetched (its totals, chart, co-mentions and notes)."""
        self.items: list[EntityArticle] = []
        """The articles fetched so far, newest first."""
        self._loading = False

    def compose(self) -> ComposeResult:
        with Vertical(id="entity-top"):
            yield Static(Content.styled(self.entity_name, "bold"), id="entity-head")
            yield Static(Content.styled("Loading…", f"{MUTED} italic"), id="entity-chart")
        yield EntityList(id="entity-items")
        yield KeyBar()

    @property
    def listing(self) -> EntityList:
        return self.query_one(EntityList)

    def on_mount(self) -> None:
        self.listing.focus()
        self._loading = True
        self._fetch(self.lib, self.entity_name, self.entity_label, 0)

    @work(thread=True, exclusive=True, group="entity-page", exit_on_error=False)
    def _fetch(self, lib: Library, name: str, label: str | None, offset: int) -> None:
        try:
            page = lib.entity_page(name, label, PAGE, offset)
        except NotFound as exc:
            if label is not None and offset == 0:  # (a group relabelled since it was listed)
                try:
                    page = lib.entity_page(name, None, PAGE, offset)
                except NotFound:
                    pass
                else:
                    self.post_message(self.Loaded(page))
                    return
            self.post_message(self.Missing(str(exc), lib.entity_suggestions(name)))
            return
        self.post_message(self.Loaded(page))

    @on(Missing)
    def _missing(self, event: Missing) -> None:
        self._loading = False
        also = ("  Did you mean: " + ", ".join(event.suggestions)) if event.suggestions else ""
        self.query_one("#entity-chart", Static).update(Content(event.why + "." + also))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self._loading = False
        page = event.page
        if self.page is None or page.offset == 0:
            self.page, self.items = page, list(page.items)
            self.entity_label = page.label
            self._show_top(page)
        elif page.offset == len(self.items):
            self.items += page.items
        self._fill()

    def _show_top(self, page: EntityPage) -> None:
        totals = f"{plural(page.articles, 'article')} · {plural(page.mentions, 'mention')}"
        head: list[Content | str | tuple[str, str]] = [
            (page.name, "bold"), "  ", (f" {page.label} ", entity_style(page.label)),
            "\n", (totals, MUTED),
        ]  # fmt: skip
        others = [s for s in page.spellings if s != page.name]
        if others:
            head += ["\n", ("also written: " + ", ".join(others), MUTED)]
        for label, n in page.other_labels:
            head += ["\n", (f"also as {label} in {plural(n, 'article')}", MUTED)]
        self.query_one("#entity-head", Static).update(Content.assemble(*head))
        chart = MonthChart(page.timeline, width=max(12, self.size.width - 16))
        lines: list[Content | str | tuple[str, str]] = []
        left = len(f"{chart.most:,}")
        for i, row in enumerate(chart.rows):
            mark = f"{chart.most:,}" if i == 0 else ""
            # (the bars are a graphic: $gloss-bar reads at 3:1 on the panel, tui.contrast)
            lines += [(mark.rjust(left) + " ▕", MUTED), (row, "$gloss-bar"), "\n"]
        lines.append((" " * (left + 2) + chart.axis(), MUTED))
        if chart.before:
            lines.append((f"   ({chart.before:,} before)", MUTED))
        self.query_one("#entity-chart", Static).update(Content.assemble(*lines))

    def _fill(self) -> None:
        """(Re)build the list, keeping the highlighted row."""
        page, listing = self.page, self.listing
        if page is None:
            return
        at = listing.highlighted
        options: list[Option] = []
        if page.comentions:
            newest = plural(page.comention_articles, "article")
            options.append(heading(f"Mentioned with (in its newest {newest})"))
            for i, c in enumerate(page.comentions):
                options.append(Option(Content.assemble(
                    (f"{c.articles:>5}  ", MUTED), (f" {c.label} ", entity_style(c.label)),
                    "  ", c.text), id=f"c{i}"))  # fmt: skip
        options.append(heading(f"Articles ({len(self.items):,} of {page.articles:,},"
                               " newest first)"))  # fmt: skip
        options += [Option(article_prompt(item, page.label), id=f"a{i}")
                    for i, item in enumerate(self.items)]  # fmt: skip
        if len(self.items) < page.articles:
            more = page.articles - len(self.items)
            options.append(Option(Content.styled(f"… {more:,} more (m)", f"{MUTED} italic"),
                                  id="more"))  # fmt: skip
        if page.notes:
            where = "" if page.notes_complete else f", in its newest {page.note_articles:,}"
            options.append(heading(f"Your notes on passages mentioning it ({len(page.notes)}"
                                   f"{where})"))  # fmt: skip
            options += [Option(note_prompt(n), id=f"n{i}") for i, n in enumerate(page.notes)]
        listing.set_options(options)
        if at is not None and at < listing.option_count:
            listing.highlighted = at
        elif listing.option_count:
            listing.action_first()

    # -- moving and opening ---------------------------------------------------------------------

    def action_more(self) -> None:
        page = self.page
        if page is None or self._loading or len(self.items) >= page.articles:
            return
        self._loading = True
        self._fetch(self.lib, page.name, page.label, len(self.items))

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id == "more":  # scrolled to the end: fetch the next page
            self.action_more()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        oid, page = event.option.id or "", self.page
        if page is None:
            return
        if oid == "more":
            self.action_more()
        elif oid.startswith("c"):
            c = page.comentions[int(oid[1:])]
            self.app.push_screen(EntityPageScreen(self.lib, c.text, c.label), self._opened)
        elif oid.startswith("a"):
            item = self.items[int(oid[1:])]
            self.dismiss((item.summary.id, max(0, item.start)))
        elif oid.startswith("n"):
            note = page.notes[int(oid[1:])].note
            self.dismiss((note.article_id, note.anchor.start if note.anchor else 0))

    def _opened(self, target: Target | None) -> None:
        """A page opened from this one chose an article: this one closes with it too."""
        if target is not None:
            self.dismiss(target)

    def action_back(self) -> None:
        self.dismiss(None)
