"""Long library jobs: import, re-analysis and sync, each in its worker, with one progress line.

Every job ends in a summary notification and a `LibraryChanged`, so the screen fetches its
counts and lists again. File names and reasons in summaries come from disk or from peers:
they are shown as plain text (notifications with markup off), never as markup.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from store import Library
from store.core.errors import GlossError
from tui.messages import (
    ImportFinished,
    ImportProgress,
    LibraryChanged,
    Notice,
    RefreshFinished,
    SyncFinished,
    SyncProgress,
)
from tui.opening import BUNDLED_ARTICLES
from tui.stoppable import run_stoppable
from tui.widgets.failures import ReportsFailures, describe
from tui.words import plural

if TYPE_CHECKING:
    from textual.widgets import ProgressBar

    from tui.reports import Lines

JOB_GROUPS = ("import", "import-files", "reanalyse", "sync", "refresh")
PROGRESS_INTERVAL = 0.25
"""Seconds between two progress posts of a job (its first and last always go)."""


class Throttle:
    """`post(done, total)` at most every `interval` seconds: the model reports each article,
    up to hundreds at once, and each post would be a repaint of the progress line on the
    UI thread (a job's first and last reports always go)."""

    def __init__(
        self,
        post: Callable[[int, int], None],
        interval: float = PROGRESS_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._post, self._interval, self._clock = post, interval, clock
        self._last: float | None = None

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if self._last is not None and 0 < done < total and now - self._last < self._interval:
            return
        self._last = now
        self._post(done, total)


class JobBar(ReportsFailures, Horizontal):
    """What the running job is doing, and how far it got; hidden when nothing runs."""

    DEFAULT_CSS = """
    JobBar {
        display: none;  /* shown while a job runs */
        height: 1;
        & > #job-label { width: auto; max-width: 60%; margin-right: 2; color: $gloss-muted-text; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="job-label", markup=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._label = ""
        self._text = ""
        self._bar: ProgressBar | None = None

    @property
    def text(self) -> str:
        """What the line says now: the job and how far it got."""
        return self._text

    def _show(self, label: str, done: int, total: int, waiting: str = "") -> None:
        """`label` with `done`/`total` (a total of 0: not known yet, "…", after what it
        is `waiting` for)."""
        self.display = True
        self._label = label
        if total > 0:
            self._text = f"{label} {done:,}/{total:,}"
        else:
            self._text = f"{label} ({waiting})…" if waiting else f"{label}…"
        self.query_one("#job-label", Static).update(Content(self._text))
        if self._bar is None:  # mounted with the first job: most sessions run none
            from textual.widgets import ProgressBar  # imported when first used: a faster start

            self._bar = ProgressBar(show_eta=False)
            self.mount(self._bar)
        self._bar.update(total=total if total > 0 else None, progress=done)

    # -- import and re-analysis -----------------------------------------------------------------

    def start_import(self, lib: Library, paths: list[Path]) -> None:
        """Import files and folders, showing progress."""
        self._show("Importing", 0, 0)
        self.post_message(Notice("Importing " + ", ".join(str(p) for p in paths) + "…"))
        self._import(lib, paths)

    # not exclusive, and a group of its own: a cancelled import stops between articles
    # (run_stoppable), so only the app's exit may cancel one; a second import runs beside it
    @work(thread=True, group="import-files", exit_on_error=False)
    def _import(self, lib: Library, paths: list[Path]) -> None:
        progress = Throttle(lambda done, total: self.post_message(ImportProgress(done, total)))

        service = lib.detect_export(paths[0]) if len(paths) == 1 else None
        try:  # one export file of another service (Pocket, Omnivore, …), or articles
            # (the language model runs in a process of its own: tui.launch)
            if service:
                report = lib.import_export(service, paths[0], progress)
            # articles: stopped between two when the app quits, so that quitting is quick;
            # the bundled ones (a first start) are resumed at the next start
            elif paths == [BUNDLED_ARTICLES]:
                report = run_stoppable(
                    lib, lambda stop: lib.import_bundled(paths[0], progress, stop)
                )
            else:
                report = run_stoppable(
                    lib, lambda stop: lib.import_paths(paths, progress, stop=stop)
                )
            if report is None:  # the app is quitting
                return
        except GlossError as exc:  # (an export that turns out not to be one)
            self.post_message(Notice(str(exc), "error"))
            self.post_message(LibraryChanged())
            return
        self.post_message(ImportFinished(report))  # type: ignore[arg-type]

    def start_fetch(self, lib: Library) -> None:
        """Fetch every saved link's page (it becomes the article, with the link's notes)."""
        links = lib.saved_links()
        if not links:
            self.notify("No saved links to fetch.")
            return
        self._show("Fetching", 0, len(links))
        self.post_message(Notice(f"Fetching {plural(len(links), 'saved link')}…"))
        self._fetch(lib, links)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def _fetch(self, lib: Library, links: list[tuple[str, str]]) -> None:
        report = lib.fetch_links(
            links, Throttle(lambda d, t: self.post_message(ImportProgress(d, t)))
        )
        from tui.reports import fetch_lines

        self.post_message(self.Told(fetch_lines(report)))

    def start_reanalyse(self, lib: Library, all_articles: bool = False) -> None:
        """Find entities for articles that have none, or (`all_articles`) for every article
        again (loads spaCy)."""
        if any(w.group == "reanalyse" and w.is_running for w in self.workers if w.node is self):
            self.notify("A re-analysis is already running.", severity="warning")
            return
        self._show("Re-analysing", 0, 0, waiting="loading the language model")
        self._reanalyse(lib, all_articles)

    @work(thread=True, exclusive=True, group="reanalyse", exit_on_error=False)
    def _reanalyse(self, lib: Library, all_articles: bool) -> None:
        progress = Throttle(lambda d, t: self.post_message(ImportProgress(d, t)))
        try:  # stopped between two articles when the app quits, so that quitting is quick
            result = run_stoppable(lib, lambda stop: lib.reanalyze(all_articles, progress, stop))
            if result is None:  # the app is quitting
                return
            count, notice = result
        except GlossError as exc:  # (the model's process failed: what was done is kept)
            self.post_message(Notice(f"The re-analysis stopped: {exc}", "error"))
            self.post_message(LibraryChanged())
            return
        if notice:
            self.post_message(Notice(notice, "warning"))
        if not notice or lib.can_analyse():
            self.post_message(Notice(f"Re-analysed {plural(count, 'article')}."))
        self.post_message(LibraryChanged())

    @on(ImportProgress)
    def _progress(self, event: ImportProgress) -> None:
        event.stop()
        self._show(self._label, event.done, event.total)

    @on(ImportFinished)
    def _imported(self, event: ImportFinished) -> None:
        event.stop()
        from tui.reports import import_lines, service_lines

        report = event.report
        self._tell(service_lines(report) if hasattr(report, "service") else import_lines(report))  # type: ignore[arg-type]

    class Told(Message):
        """A job's report, from its worker thread."""

        def __init__(self, lines: Lines) -> None:
            super().__init__()
            self.lines = lines

    @on(Told)
    def _told(self, event: Told) -> None:
        event.stop()
        self._tell(event.lines)

    def _tell(self, lines: Lines, timeout: float | None = None) -> None:
        """A finished job's report: its notices, its summary, then warnings and failures.
        All of it may hold file names, titles or peers' text: shown with markup off."""
        for notice in lines.notices:
            self.notify(notice, title=lines.title, markup=False)
        self.notify(lines.summary, title=lines.title, severity=lines.severity, markup=False,
                    timeout=timeout)  # fmt: skip
        for warning in lines.warnings:
            self.notify(warning, severity="warning", markup=False)
        for error in lines.errors:
            self.notify(error, severity="error", markup=False)
        self.post_message(LibraryChanged())

    # -- sync -----------------------------------------------------------------------------------

    def start_sync(self, lib: Library, target: Path | str) -> None:
        """Sync with a folder (publish ours, merge every peer) or one library file."""
        if any(w.group == "sync" and w.is_running for w in self.workers if w.node is self):
            self.notify("A sync is already running.", severity="warning")
            return
        self._show("Syncing", 0, 0)
        self._sync(lib, target)

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def _sync(self, lib: Library, target: Path | str) -> None:
        def progress(done: int, total: int, name: str) -> None:
            self.post_message(SyncProgress(done, total, name))

        shown = str(target)
        if "://" in shown:  # a URL is shown without the credentials it may carry
            from store.sync.hub import strip_credentials

            shown = strip_credentials(shown)
        try:
            report = lib.sync(target, progress)
        except (GlossError, OSError, sqlite3.Error) as exc:
            self.post_message(Notice(f"Sync with {shown} failed: {describe(exc)}", "error"))
            return
        self.post_message(SyncFinished(shown, report))

    @on(SyncProgress)
    def _sync_progress(self, event: SyncProgress) -> None:
        event.stop()
        if event.name.startswith("feed:"):
            self._show(f"Refreshing {event.name[5:]}", event.done, event.total)
            return
        label = "Syncing" if event.name == "done" else f"Syncing {event.name}"
        self._show(label, event.done, event.total)

    @on(SyncFinished)
    def _synced(self, event: SyncFinished) -> None:
        event.stop()
        from tui.reports import sync_lines

        self._tell(sync_lines(event.report, event.target), timeout=10)

    # -- feeds --------------------------------------------------------------------------------

    def start_refresh(self, lib: Library) -> None:
        """Fetch every subscribed feed, several at a time, in a worker."""
        if any(w.group == "refresh" and w.is_running for w in self.workers if w.node is self):
            self.notify("The feeds are already being refreshed.", severity="warning")
            return
        self._show("Refreshing feeds", 0, 0)
        self._refresh(lib)

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def _refresh(self, lib: Library) -> None:

        def progress(done: int, total: int, name: str) -> None:
            self.post_message(SyncProgress(done, total, f"feed:{name}"))

        try:
            report = lib.feeds.refresh(progress=progress)
        except (GlossError, OSError, sqlite3.Error) as exc:
            self.post_message(Notice(f"Refreshing the feeds failed: {describe(exc)}", "error"))
            return
        self.post_message(RefreshFinished(report))

    @on(RefreshFinished)
    def _refreshed(self, event: RefreshFinished) -> None:
        event.stop()
        from tui.reports import refresh_lines

        self._tell(refresh_lines(event.report))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        finished = event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
        if event.worker.group in JOB_GROUPS and finished:
            others = [w for w in self.workers if w.node is self and w is not event.worker]
            if not any(w.is_running and w.group in JOB_GROUPS for w in others):
                self.display = False
