"""The library screen: counts, the sidebar of views and tags, the article list, and the
progress line of imports and syncs; `/` opens the search."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerError, WorkerState

from store import Library
from store.core.models import Filter
from tui.contrast import MUTED
from tui.messages import LibraryChanged
from tui.opening import Counts, FirstScreen, read_counts, read_first_screen
from tui.screens.library_live import Reloads, WatchesOutside
from tui.screens.library_nav import Ordering, sort_label
from tui.screens.library_read import MarksAllRead
from tui.screens.library_side import SideToggle
from tui.screens.undoing import Undoes
from tui.undo import Step, star, tag, toggle_read
from tui.widgets.article_list import ArticleList
from tui.widgets.failures import ReportsFailures, urgent, wait_briefly
from tui.widgets.footer import KeyBar
from tui.widgets.jobs import JobBar
from tui.widgets.sidebar import Sidebar
from tui.words import plural


class StatsBar(Static):
    """gloss · counts · what the list shows."""

    DEFAULT_CSS = """
    StatsBar {
        height: 1;
        color: $gloss-panel-text;
        background: $panel;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def show(self, stats: dict[str, int], view: str, order: str = "") -> None:
        counts = " · ".join(
            [plural(stats.get("articles", 0), "article"), f"{stats.get('unread', 0):,} unread",
             plural(stats.get("notes", 0), "note"), plural(stats.get("highlights", 0), "highlight")]
        )  # fmt: skip
        parts: list[Content | str | tuple[str, str]] = [
            ("gloss", "bold $gloss-accent-text"),
            "  ",
            counts,
        ]
        parts += ["   ", ("showing ", MUTED), (view, "bold")]
        if order:
            parts += [("  " + order, MUTED)]
        self.update(Content.assemble(*parts), layout=False)  # one line, always


FIRST_ROWS_WAIT = 0.05
"""Seconds the first frame waits for the library's counts and first rows (a few ms)."""


class LibraryScreen(
    WatchesOutside, MarksAllRead, Undoes, SideToggle, Ordering, ReportsFailures, Screen[None]
):
    """What `gloss` opens: the list of articles, filtered by the sidebar."""

    HELP_TITLE = "Library"
    AUTO_FOCUS = "#articles"
    """Focused as the screen is built: focusing it later (or Textual focusing the sidebar,
    the first focusable widget, first) restyles each widget that changes, before the first
    frame."""
    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/", id="library.search"),
        Binding("t", "tags", "Tags", id="library.tags"),
        Binding("s", "star", "Star", id="library.star"),
        Binding("r", "toggle_read", "Read/unread", id="library.toggle_read"),
        Binding("R", "refresh_feeds", "Refresh feeds", id="library.refresh_feeds"),
        Binding("u", "undo", "Undo", show=False, id="library.undo"),
        Binding("M", "mark_all_read", "Mark all read", show=False, id="library.mark_all_read"),
        Binding("b", "toggle_sidebar", "Sidebar on/off", show=False, id="library.toggle_sidebar"),
        Binding("S", "sort", "Sort", id="library.sort"),
        Binding("N", "next_unread", "Next unread", show=False, id="library.next_unread"),
        Binding("q", "app.quit", "Quit", id="library.quit"),
    ]

    class Side(Message):
        """Fresh counts, tags and feeds for the header and the sidebar."""

        def __init__(self, counts: Counts) -> None:
            super().__init__()
            self.counts = counts

    class Opened(Message):
        """The library is open, with what the first screen shows: the list's count and first
        rows, and the counts, tags and feeds of the header and the sidebar."""

        def __init__(self, first: FirstScreen) -> None:
            super().__init__()
            self.first = first

    class OpenFailed(Message):
        """The library could not be opened: nothing can be shown (the app may quit)."""

        def __init__(self, error: BaseException | None) -> None:
            super().__init__()
            self.error = error

    class Located(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(
        self,
        db_path: Path,
        import_paths: list[Path] | None = None,
        prefetched: Future[FirstScreen] | None = None,
    ) -> None:
        super().__init__()
        self.db_path = db_path
        self.prefetched = prefetched
        """The first screen, being read already (by `gloss`, before the app started)."""
        self.pending_imports = list(import_paths or [])
        self.lib: Library | None = None
        self.view_name = "All"
        self.view_filters = Filter()
        self.last_query = ""
        """The query of the last search this session, offered again by `/`."""
        self.stats: dict[str, int] = {}
        self.tag_names: list[str] = []
        self._lock = threading.Lock()
        self._opening: asyncio.Task[LibraryScreen.Opened | None] | None = None

    def compose(self) -> ComposeResult:
        yield StatsBar(id="stats")
        with Horizontal(id="library-main"):
            yield Sidebar(id="sidebar")  # filled in when the counts arrive
            yield ArticleList(id="articles")
        yield JobBar(id="progress")
        yield KeyBar()

    @property
    def articles(self) -> ArticleList:
        return self.query_one(ArticleList)

    @property
    def sidebar(self) -> Sidebar:
        return self.query_one(Sidebar)

    @property
    def jobs(self) -> JobBar:
        return self.query_one(JobBar)

    @property
    def filters(self) -> Filter:
        """What the sidebar view shows, in the list's order."""
        return self.view_filters._replace(sort=self.sort)

    def open_library(self) -> asyncio.Task[Opened | None]:
        """Start opening the library in a worker, once (the app calls this as it loads,
        before this screen is composed); the task ends with the worker's result."""
        if self._opening is None:
            worker = self._open(self.db_path, self.filters)

            async def result() -> LibraryScreen.Opened | None:
                try:
                    return await worker.wait()
                except WorkerError:
                    return None  # the worker's failure is reported (ReportsFailures)

            self._opening = asyncio.create_task(result())
        return self._opening

    async def on_mount(self) -> None:
        # The first frame (painted once this returns) waits for the counts and the list's
        # first rows, up to FIRST_ROWS_WAIT, so it shows a complete screen rather than an
        # empty one filled in a moment later. They were read while the screen was built; a
        # slow or busy library file fills the screen in when it is ready.
        opening = self.open_library()
        if await wait_briefly(opening, FIRST_ROWS_WAIT):
            if (opened := opening.result()) is not None:
                self._opened(opened)
        else:
            opening.add_done_callback(self._opened_late)

    def _opened_late(self, task: asyncio.Task[Opened | None]) -> None:
        """The library opened after the first frame: show it now (through the queue)."""
        if not task.cancelled() and (opened := task.result()) is not None:
            self.post_message(opened)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def _open(self, path: Path, filters: Filter) -> Opened:
        """Open the library and read what the first screen shows (or wait for the reading
        started before the app), in one worker: its failure is the app's to report."""
        if self.prefetched is not None and not filters:
            return self.Opened(self.prefetched.result())
        with urgent():
            return self.Opened(read_first_screen(path, filters))

    @on(Opened)
    def _opened(self, event: Opened) -> None:
        first = event.first
        self.lib, self.sort = first.lib, first.filters.sort
        # (no other view can have been chosen: the sidebar is empty until this)
        self.articles.show_first(first.lib, first.filters, first.count, first.rows)
        self._side_loaded(self.Side(first.counts))
        self.watch_library(first.lib)
        if self.pending_imports:
            self.start_import(self.pending_imports)
            self.pending_imports = []

    # -- loading --------------------------------------------------------------------------------

    def refresh_all(self, keep: bool = True) -> None:
        """Fetch counts, tags and the list again (after any write)."""
        if self.lib is None:
            return
        self.articles.set_filters(self.lib, self.filters, keep=keep)
        self._load_side(self.lib)

    @work(thread=True, exclusive=True, group="side", exit_on_error=False)
    def _load_side(self, lib: Library) -> None:
        self.post_message(self.Side(read_counts(lib)))

    @on(Side)
    def _side_loaded(self, event: Side) -> None:
        counts = event.counts
        self.stats, self.tag_names = counts.stats, [t for t, _ in counts.tags]
        self.sidebar.show(counts.stats, counts.tags, counts.feeds)
        self._show_stats()

    def _show_stats(self) -> None:
        # (the default order, newest import first, goes unsaid)
        order = sort_label(self.sort) if self.sort else ""
        self.query_one(StatsBar).show(self.stats, self.view_name, order)

    @on(LibraryChanged)
    def _changed(self, event: LibraryChanged) -> None:
        event.stop()
        self.refresh_all()
        for screen in self.app.screen_stack:  # an import or sync may have changed what they show
            if screen is not self and isinstance(screen, Reloads):
                screen.reload()

    def on_sidebar_chosen(self, event: Sidebar.Chosen) -> None:
        self.view_name, self.view_filters = event.name, event.filters
        self._show_stats()
        if self.lib is not None:
            self.articles.set_filters(self.lib, self.filters)
        self.articles.focus()

    # -- search -------------------------------------------------------------------------------

    def action_search(self) -> None:
        if self.lib is None:
            return
        from tui.screens.search import SearchScreen  # imported when first used: a faster start

        def closed(query: str | None) -> None:
            self.last_query = query or ""
            self.refresh_all()

        self.app.push_screen(SearchScreen(self.lib, self.filters, self.last_query), closed)

    # -- edits ----------------------------------------------------------------------------------

    @work(thread=True, group="library-write", exit_on_error=False)
    def _write(self, lib: Library, change: Callable[[Library], object]) -> None:
        with self._lock:
            change(lib)
        self.post_message(LibraryChanged())

    def _undone(self, lib: Library, step: Step) -> None:
        self.post_message(LibraryChanged())

    def _edit_current(self, change: Callable[[Library, str], object]) -> None:
        summary = self.articles.current
        if self.lib is None or summary is None:
            return
        self._write(self.lib, lambda lib: change(lib, summary.id))

    def action_star(self) -> None:
        self._edit_current(star(self.undo_stack))

    def action_toggle_read(self) -> None:
        self._edit_current(toggle_read(self.undo_stack))

    def action_tags(self) -> None:
        summary = self.articles.current
        if summary is None:
            return

        def chosen(result: tuple[list[str], list[str]] | None) -> None:
            if result:
                add, remove = result
                self._edit_current(tag(self.undo_stack, add, remove))

        from tui.screens.modals import TagEditor

        self.app.push_screen(TagEditor(summary.title, summary.tags, self.tag_names), chosen)

    # -- the reader -----------------------------------------------------------------------------

    @on(ArticleList.Open)
    async def _open_article(self, event: ArticleList.Open) -> None:
        # (an Open queued while the last one was opening, by a quick second click, finds
        # the reader on top: it is dropped)
        if self.lib is not None and self.app.screen is self:
            from tui.screens.reader import open_reader

            await open_reader(
                self.app, self.lib, event.summary.id, self.filters, self._reader_closed
            )

    def _reader_closed(self, article_id: str | None) -> None:
        self.refresh_all()
        if article_id and self.lib is not None:
            self._locate(self.lib, article_id, self.filters)

    @work(thread=True, exclusive=True, group="locate", exit_on_error=False)
    def _locate(self, lib: Library, article_id: str, filters: Filter) -> None:
        index = lib.position(article_id, filters)
        if index is not None:
            self.post_message(self.Located(index))

    @on(Located)
    def _located(self, event: Located) -> None:
        self.articles.cursor = event.index

    # -- import, analysis and sync -------------------------------------------------------------

    def start_import(self, paths: list[Path]) -> None:
        """Import files and folders in a worker, showing progress."""
        if self.lib is None:
            self.pending_imports += paths
            return
        self.jobs.start_import(self.lib, paths)

    def start_fetch(self) -> None:
        """Fetch the saved links' pages (in a worker, with progress)."""
        if self.lib is not None:
            self.jobs.start_fetch(self.lib)

    def start_reanalyse(self, all_articles: bool = False) -> None:
        """Find entities for articles that have none, or for all of them again (loads
        spaCy, in a worker, with progress)."""
        if self.lib is not None:
            self.jobs.start_reanalyse(self.lib, all_articles)

    def action_refresh_feeds(self) -> None:
        """Fetch new articles from every subscribed feed (in a worker, with progress)."""
        if self.lib is not None:
            self.jobs.start_refresh(self.lib)

    def start_sync(self, target: Path | str) -> None:
        """Sync with a folder or a library file in a worker, showing progress."""
        if self.lib is None:
            self.notify("No library is open.", severity="warning")
            return
        self.jobs.start_sync(self.lib, target)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "open" and event.state == WorkerState.ERROR and self.lib is None:
            self.query_one(StatsBar).update(Content.styled("gloss  no library open", "bold"))
            self.post_message(self.OpenFailed(event.worker.error))
