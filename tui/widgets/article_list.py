"""The article list: one row per article, rendered lazily (Line API) from pages of rows
fetched in workers, so a library of 100,000 articles costs a count and a page or two."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from store import Library
from store.core.models import ArticleSummary, Filter
from tui.config import date_width, settings, show_date
from tui.opening import FIRST_ROWS as FIRST_ROWS  # (read with the library at start-up)
from tui.widgets.failures import ReportsFailures

PAGE = 200
PAGES_KEPT = 32


def _date(s: ArticleSummary) -> str:
    """The published date, else the import date, as the reader's header shows it (defined
    here so that start-up does not import the reader's widgets)."""
    return show_date(s.published or s.imported_at)


def _fit(text: str, width: int) -> str:
    """`text` in exactly `width` cells: padded, or cut with an ellipsis (as Text.truncate)."""
    cells = cell_len(text)
    if cells <= width:
        return text + " " * (width - cells)
    return set_cell_size(text, width - 1) + "…"


class ArticleList(ReportsFailures, ScrollView, can_focus=True):
    """Articles matching the current filters; enter opens the one under the cursor."""

    HELP_TITLE = "Article list"
    COMPONENT_CLASSES = {
        "article-list--cursor",
        "article-list--unread",
        "article-list--muted",
        "article-list--tags",
        "article-list--star",
    }
    DEFAULT_CSS = """
    ArticleList {
        color: $gloss-body-text;
        background: $surface;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        & > .article-list--cursor {
            color: $gloss-cursor-blurred-text;
            background: $gloss-cursor-blurred-background;
        }
        &:focus > .article-list--cursor {
            color: $gloss-cursor-text;
            background: $gloss-cursor-background;
        }
        & > .article-list--unread { text-style: bold; }
        & > .article-list--muted { color: $gloss-muted-text; }
        & > .article-list--tags { color: $gloss-accent-text; }
        & > .article-list--star { color: $gloss-warning-text; }
    }
    """
    BINDINGS = [
        Binding("j,down", "move(1)", "Down", show=False, id="library.down"),
        Binding("k,up", "move(-1)", "Up", show=False, id="library.up"),
        Binding("pagedown", "move_page(1)", "Page down", show=False, id="library.page_down"),
        Binding("pageup", "move_page(-1)", "Page up", show=False, id="library.page_up"),
        Binding("g,home", "edge(-1)", "First", show=False, id="library.first"),
        Binding("G,end", "edge(1)", "Last", show=False, id="library.last"),
        Binding("enter", "open", "Open", id="library.open"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)
    """Index of the article under the cursor."""

    class Open(Message):
        """Open this article."""

        def __init__(self, summary: ArticleSummary) -> None:
            super().__init__()
            self.summary = summary

    class Counted(Message):
        def __init__(self, generation: int, count: int, at: int | None = None) -> None:
            super().__init__()
            self.generation = generation
            self.count = count
            self.at = at
            """Where the article kept under the cursor is now (`refresh_keeping`)."""

    class PageLoaded(Message):
        def __init__(self, generation: int, page: int, rows: list[ArticleSummary]) -> None:
            super().__init__()
            self.generation = generation
            self.page = page
            self.rows = rows

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lib: Library | None = None
        self.filters = Filter()
        self.count = 0
        self.loaded = False
        """True once the first count for the current filters has arrived."""
        self._generation = 0
        self._pages: LRUCache[int, tuple[int, list[ArticleSummary]]] = LRUCache(PAGES_KEPT)
        self._pending: set[tuple[int, int]] = set()
        self._partial: set[int] = set()
        """Pages holding only their first rows (the start-up screenful)."""
        self._strips: LRUCache[tuple[int, bool, int, bool], Strip] = LRUCache(256)
        """Rendered rows by (index, under the cursor, width, focused); cleared with the data."""
        self._styles: dict[str, Style] = {}
        self.columns = settings().list_columns
        """The columns shown, in order (config: list_columns)."""
        self._date_w = date_width()
        self._kept: tuple[str, int] | None = None
        """The article to keep under the cursor through a refresh, and its row on screen."""

    # -- data -----------------------------------------------------------------------------------

    def set_filters(self, lib: Library, filters: Filter, keep: bool = False) -> None:
        """Show the articles matching `filters`; `keep` keeps the rows shown until fresh ones
        arrive (a refresh of the same list) instead of blanking them."""
        self.lib = lib
        if not keep or filters != self.filters:
            self._pages.clear()
            self._partial.clear()
            self.loaded = False
            self.cursor = 0
            self.scroll_to(0, 0, animate=False)
        self.filters = filters
        self._generation += 1
        self._pending.clear()
        self._strips.clear()
        kept = self._kept[0] if self._kept and keep else None
        self._count(lib, self._generation, self.filters, kept)

    def refresh_keeping(self, lib: Library) -> None:
        """Fetch the list again (the library changed elsewhere: rows may have come or gone
        above the cursor), keeping the article under the cursor there and on the same row of
        the screen."""
        current = self.current
        top = round(self.scroll_offset.y)
        self._kept = (current.id, self.cursor - top) if current is not None else None
        self.set_filters(lib, self.filters, keep=True)

    def show_first(
        self, lib: Library, filters: Filter, count: int, rows: list[ArticleSummary]
    ) -> None:
        """Show a list whose count and first rows were fetched already (at start-up, by the
        worker that opened the library), without a worker of its own."""
        self.lib, self.filters = lib, filters
        self._generation += 1
        self._pending.clear()
        self._pages.clear()
        self._pages[0] = (self._generation, rows)
        self._partial = {0} if len(rows) < min(PAGE, count) else set()
        self.count, self.loaded = count, True
        self.virtual_size = Size(self.size.width, count)
        self.cursor = min(self.cursor, max(0, count - 1))
        self.refresh_rows()

    @work(thread=True, exclusive=True, group="list-count", exit_on_error=False)
    def _count(
        self, lib: Library, generation: int, filters: Filter, kept: str | None = None
    ) -> None:
        at = lib.position(kept, filters) if kept is not None else None
        self.post_message(self.Counted(generation, lib.count(filters), at))

    @work(thread=True, group="list-page", exit_on_error=False)
    def _load_page(self, lib: Library, generation: int, page: int, filters: Filter) -> None:
        rows = lib.list_articles(filters, limit=PAGE, offset=page * PAGE)
        self.post_message(self.PageLoaded(generation, page, rows))

    @on(Counted)
    def _counted(self, event: Counted) -> None:
        event.stop()
        if event.generation != self._generation:
            return
        self.count, self.loaded = event.count, True
        self.virtual_size = Size(self.size.width, event.count)
        kept, self._kept = self._kept, None
        if event.at is not None and kept is not None:
            self.scroll_to(y=max(0, event.at - kept[1]), animate=False, immediate=True)
            self.cursor = event.at
        self.cursor = min(self.cursor, max(0, event.count - 1))
        self.refresh_rows()

    @on(PageLoaded)
    def _page_loaded(self, event: PageLoaded) -> None:
        event.stop()
        self._pending.discard((event.generation, event.page))
        if event.generation == self._generation:
            self._partial.discard(event.page)
            self._pages.discard(event.page)  # Textual's LRUCache.set keeps an existing value
            self._pages[event.page] = (event.generation, event.rows)
            self.refresh_rows()

    def summary_at(self, index: int) -> ArticleSummary | None:
        """The article at `index` if its page is loaded (a page load is started if not)."""
        page, at = divmod(index, PAGE)
        cached = self._pages.get(page)
        if cached is None or cached[0] != self._generation:
            self._request(page)
        elif page in self._partial and at >= len(cached[1]):
            self._request(page)  # past the rows fetched at start-up: fetch the whole page
        if cached is None or at >= len(cached[1]):
            return None
        return cached[1][at]

    @property
    def current(self) -> ArticleSummary | None:
        """The article under the cursor, when known."""
        return self.summary_at(self.cursor) if self.count else None

    def _request(self, page: int) -> None:
        key = (self._generation, page)
        if self.lib is None or not self.loaded or key in self._pending:
            return
        self._pending.add(key)
        self._load_page(self.lib, self._generation, page, self.filters)

    # -- rendering ------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.size.width
        base = self._style("")
        if index >= self.count:
            if index == 0 and self.loaded:
                text = Text("  No articles here.", style=base + self._style("muted"))
                return Strip(list(text.render(self.app.console))).crop_extend(0, width, base)
            return Strip.blank(width, base)
        on_cursor = index == self.cursor
        key = (index, on_cursor, width, self.has_focus)
        if (strip := self._strips.get(key)) is not None:
            return strip
        style = base + self._style("cursor") if on_cursor else base
        summary = self.summary_at(index)
        if summary is None:  # its page is on its way: not cached
            return Strip(list(Text("  …", style=style).render(self.app.console))).crop_extend(
                0, width, style
            )
        strip = Strip(self._row(summary, width, style, on_cursor))
        strip = strip.adjust_cell_length(width, style)
        self._strips[key] = strip
        return strip

    def refresh_rows(self) -> None:
        """Forget rendered rows (their data or look changed) and repaint."""
        self._strips.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._styles.clear()

    def _style(self, name: str) -> Style:
        """The list's own style ("") or a component's, computed once per change of styles."""
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = (
                self.get_component_rich_style(f"article-list--{name}", partial=True)
                if name
                else self.rich_style
            )
        return style

    def _part(self, style: Style, name: str, on_cursor: bool) -> Style:
        """A column's style on a row; on the cursor's row in the cursor's colour, undimmed:
        the one that reads on its background."""
        part = style + self._style(name)
        return part + Style(color=style.color, dim=False) if on_cursor else part

    def _row(
        self, s: ArticleSummary, width: int, style: Style, on_cursor: bool = False
    ) -> list[Segment]:
        """● ★ title  byline  date  tags  ✎n (or the config's columns, in its order) — stored
        strings are plain text, never markup. Built as segments (a Rich Text rendered through
        the console cost three times more)."""
        muted = self._part(style, "muted", on_cursor)
        wide = (18, 18) if width >= 100 else (14, 12) if width >= 80 else (0, 0)
        widths = {"unread": 2, "star": 2, "byline": wide[0], "date": self._date_w + 2}
        widths |= {"tags": wide[1], "notes": 5}
        title_w = max(10, width - sum(widths.get(c, 0) for c in self.columns if c != "title"))
        tags_style = self._part(style, "tags", on_cursor)
        row: list[Segment] = []
        for column in self.columns:
            if column == "unread":
                row.append(Segment("● " if not s.read else "  ", tags_style))
            elif column == "star":
                star = self._part(style, "star", on_cursor)
                row.append(Segment("★ " if s.starred else "  ", star))
            elif column == "title":
                unread = style + self._style("unread") if not s.read else style
                row.append(Segment(_fit(s.title, title_w), unread))
            elif column == "byline" and widths["byline"]:
                row.append(Segment(_fit(" " + (s.byline or ""), widths["byline"]), muted))
            elif column == "date":
                row.append(Segment(" " + _fit(_date(s), self._date_w) + " ", muted))
            elif column == "tags" and widths["tags"]:
                row.append(Segment(_fit(" ".join(s.tags), widths["tags"]), tags_style))
            elif column == "notes":
                notes = s.notes + s.highlights
                row.append(Segment(f" ✎{notes:<3}" if notes else "     ", muted))
        return row

    # -- moving ---------------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        height = max(1, self.scrollable_content_region.height)
        top = round(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)

    def _move_to(self, index: int) -> None:
        if self.count:
            self.cursor = max(0, min(self.count - 1, index))

    def action_move(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_move_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_edge(self, direction: int) -> None:
        self._move_to(0 if direction < 0 else self.count - 1)

    def action_open(self) -> None:
        if (summary := self.current) is not None:
            self.post_message(self.Open(summary))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None:
            index = self.scroll_offset.y + offset.y
            if index < self.count:
                if index == self.cursor and event.chain >= 2:
                    self.action_open()
                self._move_to(index)
