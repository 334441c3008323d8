"""The library screen: counts, the sidebar of views and tags, the article list, and the
progress line of imports and syncs; `/` opens the search."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from store import Library
from tui.messages import LibraryChanged
from tui.screens.modals import TagEditor
from tui.screens.reader import ReaderScreen
from tui.screens.search import SearchScreen
from tui.widgets.article_list import ArticleList
from tui.widgets.failures import ReportsFailures
from tui.widgets.jobs import JobBar, plural
from tui.widgets.sidebar import Sidebar


class StatsBar(Static):
    """gloss · counts · what the list shows."""

    DEFAULT_CSS = "StatsBar { height: 1; background: $panel; padding: 0 1; }"

    def show(self, stats: dict[str, int], view: str) -> None:
        counts = " · ".join(
            [plural(stats.get("articles", 0), "article"), f"{stats.get('unread', 0):,} unread",
             plural(stats.get("notes", 0), "note"), plural(stats.get("highlights", 0), "highlight")]
        )  # fmt: skip
        parts: list[Content | str | tuple[str, str]] = [
            ("gloss", "bold $text-accent"),
            "  ",
            counts,
        ]
        parts += ["   ", ("showing ", "dim"), (view, "bold")]
        self.update(Content.assemble(*parts))


class LibraryScreen(ReportsFailures, Screen[None]):
    """What `gloss` opens: the list of articles, filtered by the sidebar."""

    HELP_TITLE = "Library"
    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("t", "tags", "Tags"),
        Binding("s", "star", "Star"),
        Binding("r", "toggle_read", "Read/unread"),
        Binding("q", "app.quit", "Quit"),
    ]

    @dataclass
    class Opened(Message):
        lib: Library

    @dataclass
    class Side(Message):
        stats: dict[str, int]
        tags: list[tuple[str, int]]

    @dataclass
    class Located(Message):
        index: int

    def __init__(self, db_path: Path, import_paths: list[Path] | None = None) -> None:
        super().__init__()
        self.db_path = db_path
        self.pending_imports = list(import_paths or [])
        self.lib: Library | None = None
        self.view_name = "All"
        self.view_filters: dict[str, Any] = {}
        self.last_query = ""
        """The query of the last search this session, offered again by `/`."""
        self.stats: dict[str, int] = {}
        self.tag_names: list[str] = []
        self._lock = threading.Lock()

    def compose(self) -> ComposeResult:
        yield StatsBar(id="stats")
        with Horizontal(id="library-main"):
            yield Sidebar(id="sidebar")
            with Vertical(id="list-pane"):
                yield ArticleList(id="articles")
        yield JobBar(id="progress")
        yield Footer()

    @property
    def articles(self) -> ArticleList:
        return self.query_one(ArticleList)

    @property
    def jobs(self) -> JobBar:
        return self.query_one(JobBar)

    @property
    def filters(self) -> dict[str, Any]:
        """What the sidebar view shows."""
        return dict(self.view_filters)

    def on_mount(self) -> None:
        self.articles.focus()
        self._open(self.db_path)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def _open(self, path: Path) -> None:
        lib = Library.open(path)
        self.post_message(self.Opened(lib))

    @on(Opened)
    def _opened(self, event: Opened) -> None:
        self.lib = event.lib
        self.refresh_all(keep=False)
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
        stats = lib.stats()
        stats["annotated"] = lib.count(annotated=True)
        self.post_message(self.Side(stats, lib.tags()))

    @on(Side)
    def _side(self, event: Side) -> None:
        self.stats, self.tag_names = event.stats, [t for t, _ in event.tags]
        self.query_one(Sidebar).show(event.stats, event.tags)
        self._show_stats()

    def _show_stats(self) -> None:
        self.query_one(StatsBar).show(self.stats, self.view_name)

    @on(LibraryChanged)
    def _changed(self, event: LibraryChanged) -> None:
        event.stop()
        self.refresh_all()
        for screen in self.app.screen_stack:  # an import or sync may have changed what they show
            if isinstance(screen, ReaderScreen | SearchScreen):
                screen.reload()

    @on(Sidebar.Chosen)
    def _chosen(self, event: Sidebar.Chosen) -> None:
        self.view_name, self.view_filters = event.name, event.filters
        self._show_stats()
        if self.lib is not None:
            self.articles.set_filters(self.lib, self.filters)
        self.articles.focus()

    # -- search -------------------------------------------------------------------------------

    def action_search(self) -> None:
        if self.lib is None:
            return

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

    def _edit_current(self, change: Callable[[Library, str], object]) -> None:
        summary = self.articles.current
        if self.lib is None or summary is None:
            return
        self._write(self.lib, lambda lib: change(lib, summary.id))

    def action_star(self) -> None:
        self._edit_current(lambda lib, aid: lib.set_starred(aid, not lib.summary(aid).starred))

    def action_toggle_read(self) -> None:
        self._edit_current(lambda lib, aid: lib.set_read(aid, not lib.summary(aid).read))

    def action_tags(self) -> None:
        summary = self.articles.current
        if summary is None:
            return

        def chosen(result: tuple[list[str], list[str]] | None) -> None:
            if result:
                add, remove = result
                self._edit_current(lambda lib, aid: lib.tag(aid, add=add, remove=remove))

        self.app.push_screen(TagEditor(summary.title, summary.tags, self.tag_names), chosen)

    # -- the reader -----------------------------------------------------------------------------

    @on(ArticleList.Open)
    def _open_article(self, event: ArticleList.Open) -> None:
        if self.lib is not None:
            reader = ReaderScreen(self.lib, event.summary.id, self.filters)
            self.app.push_screen(reader, self._reader_closed)

    def _reader_closed(self, article_id: str | None) -> None:
        self.refresh_all()
        if article_id and self.lib is not None:
            self._locate(self.lib, article_id, self.filters)

    @work(thread=True, exclusive=True, group="locate", exit_on_error=False)
    def _locate(self, lib: Library, article_id: str, filters: dict[str, Any]) -> None:
        index = lib.position(article_id, **filters)
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

    def start_reanalyse(self) -> None:
        """Find entities for articles that have none (loads spaCy, in a worker)."""
        if self.lib is not None:
            self.jobs.start_reanalyse(self.lib)

    def start_sync(self, target: Path) -> None:
        """Sync with a folder or a library file in a worker, showing progress."""
        if self.lib is None:
            self.notify("No library is open.", severity="warning")
            return
        self.jobs.start_sync(self.lib, target)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "open" and event.state == WorkerState.ERROR:
            self.query_one(StatsBar).update(Content.styled("gloss  no library open", "bold"))
