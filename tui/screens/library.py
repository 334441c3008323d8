"""The library screen: counts, the sidebar of views and tags, the article list, imports."""

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
from textual.widgets import Footer, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState

from store import Library
from tui import queries
from tui.messages import ImportFinished, ImportProgress, LibraryChanged, Notice
from tui.screens.modals import TagEditor
from tui.screens.reader import ReaderScreen
from tui.widgets.article_list import ArticleList
from tui.widgets.failures import ReportsFailures
from tui.widgets.sidebar import Sidebar


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class StatsBar(Static):
    """gloss · counts · what the list shows."""

    DEFAULT_CSS = "StatsBar { height: 1; background: $panel; padding: 0 1; }"

    def show(self, stats: dict[str, int], view: str, title: str) -> None:
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
        if title:
            parts += [("  titles with ", "dim"), ("“" + title + "”", "italic")]
        self.update(Content.assemble(*parts))


class LibraryScreen(ReportsFailures, Screen[None]):
    """What `gloss` opens: the list of articles, filtered by the sidebar and `/`."""

    HELP_TITLE = "Library"
    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("t", "tags", "Tags"),
        Binding("s", "star", "Star"),
        Binding("r", "toggle_read", "Read/unread"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
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
        self.title_filter = ""
        self.stats: dict[str, int] = {}
        self.tag_names: list[str] = []
        self._lock = threading.Lock()

    def compose(self) -> ComposeResult:
        yield StatsBar(id="stats")
        with Horizontal(id="library-main"):
            yield Sidebar(id="sidebar")
            with Vertical(id="list-pane"):
                yield Input(placeholder="filter titles (enter to keep, esc to clear)", id="filter")
                yield ArticleList(id="articles")
        yield ProgressBar(id="progress", show_eta=False)
        yield Footer()

    @property
    def articles(self) -> ArticleList:
        return self.query_one(ArticleList)

    @property
    def filters(self) -> dict[str, Any]:
        """The sidebar view combined with the title filter."""
        return {**self.view_filters, **({"title": self.title_filter} if self.title_filter else {})}

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one(ProgressBar).display = False
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
        self.query_one(StatsBar).show(self.stats, self.view_name, self.title_filter)

    @on(LibraryChanged)
    def _changed(self, event: LibraryChanged) -> None:
        event.stop()
        self.refresh_all()

    @on(Sidebar.Chosen)
    def _chosen(self, event: Sidebar.Chosen) -> None:
        self.view_name, self.view_filters = event.name, event.filters
        self._show_stats()
        if self.lib is not None:
            self.articles.set_filters(self.lib, self.filters)
        self.articles.focus()

    # -- the title filter -----------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.title_filter = event.value.strip()
        self._show_stats()
        if self.lib is not None:
            self.articles.set_filters(self.lib, self.filters)

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            event.input.display = False
        self.articles.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.articles.focus()

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
        index = queries.position(lib, article_id, filters)
        if index is not None:
            self.post_message(self.Located(index))

    @on(Located)
    def _located(self, event: Located) -> None:
        self.articles.cursor = event.index

    # -- import and analysis --------------------------------------------------------------------

    def start_import(self, paths: list[Path]) -> None:
        """Import files and folders in a worker, showing progress."""
        if self.lib is None:
            self.pending_imports += paths
            return
        self._show_progress(0, 0)
        self.post_message(Notice("Importing " + ", ".join(str(p) for p in paths) + "…"))
        self._import(self.lib, paths)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def _import(self, lib: Library, paths: list[Path]) -> None:
        report = lib.import_paths(paths, lambda d, t: self.post_message(ImportProgress(d, t)))
        self.post_message(ImportFinished(report))

    def start_reanalyse(self) -> None:
        """Find entities for articles that have none (loads spaCy, in a worker)."""
        if self.lib is not None:
            self._show_progress(0, 0)
            self.post_message(Notice("Re-analysing entities…"))
            self._reanalyse(self.lib)

    @work(thread=True, exclusive=True, group="reanalyse", exit_on_error=False)
    def _reanalyse(self, lib: Library) -> None:
        count, warning = lib.reanalyze(
            progress=lambda d, t: self.post_message(ImportProgress(d, t))
        )
        if warning:
            self.post_message(Notice(warning, "warning"))
        else:
            self.post_message(Notice(f"Re-analysed {plural(count, 'article')}."))
        self.post_message(LibraryChanged())

    def _show_progress(self, done: int, total: int) -> None:
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=total or None, progress=done)

    @on(ImportProgress)
    def _progress(self, event: ImportProgress) -> None:
        event.stop()
        self._show_progress(event.done, event.total)

    @on(ImportFinished)
    def _imported(self, event: ImportFinished) -> None:
        event.stop()
        report = event.report
        summary = f"Imported {plural(report.count('imported'), 'article')}"
        summary += f"; {report.count('present')} already there, {report.count('failed')} failed."
        self.notify(summary, title="Import", markup=False)
        for warning in report.warnings:
            self.notify(warning, severity="warning", markup=False)
        failed = [r for r in report.results if r.status == "failed"]
        for result in failed[:5]:
            self.notify(f"{result.path}: {result.reason}", severity="error", markup=False)
        if len(failed) > 5:
            self.notify(f"…and {len(failed) - 5} more files failed", severity="error")
        self.refresh_all()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        group, state = event.worker.group, event.state
        if group == "open" and state == WorkerState.ERROR:
            self.query_one(StatsBar).update(Content.styled("gloss  no library open", "bold"))
        finished = state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
        if group in ("import", "reanalyse") and finished:
            self.query_one(ProgressBar).display = False
