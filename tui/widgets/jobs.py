"""Long library jobs: import, re-analysis and sync, each in its worker, with one progress line.

Every job ends in a summary notification and a `LibraryChanged`, so the screen fetches its
counts and lists again. File names and reasons in summaries come from disk or from peers:
they are shown as plain text (notifications with markup off), never as markup.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
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
from tui.widgets.failures import ReportsFailures, describe

if TYPE_CHECKING:
    from textual.widgets import ProgressBar

    from store.sync.folder import SyncReport

JOB_GROUPS = ("import", "reanalyse", "sync", "refresh")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def sync_summary(target: str, report: SyncReport) -> str:
    """One line: what each peer file gave and got, what was published, conflicts."""
    parts: list[str] = []
    for peer in report.peers:
        name = Path(peer.path).name
        if peer.skipped:
            parts.append(f"{name} skipped ({peer.skipped})")
        elif peer.unchanged:
            parts.append(f"{name} unchanged since the last sync")
        else:
            refused = f", {peer.refused} unsafe refused" if peer.refused else ""
            parts.append(f"{name}: {peer.received} received, {peer.sent} sent{refused}")
    in_folder = report.published and Path(report.published).parent == Path(target)
    if not report.peers and in_folder:
        parts.append("no other library there yet")
    if report.published:
        name = Path(report.published).name
        parts.append(f"{name} already up to date" if report.up_to_date else f"published {name}")
    if report.conflicts:
        parts.append(f"{plural(report.conflicts, 'note')} in conflict (search has:conflict)")
    return f"Synced with {target}: " + "; ".join(parts) + "."


class JobBar(ReportsFailures, Horizontal):
    """What the running job is doing, and how far it got; hidden when nothing runs."""

    DEFAULT_CSS = """
    JobBar {
        display: none;  /* shown while a job runs */
        height: 1;
        & > #job-label { width: auto; max-width: 60%; margin-right: 2; color: $text-muted; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="job-label", markup=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._label = ""
        self._bar: ProgressBar | None = None

    def _show(self, label: str, done: int, total: int) -> None:
        self.display = True
        self._label = label
        self.query_one("#job-label", Static).update(Content(label))
        if self._bar is None:  # mounted with the first job: most sessions run none
            from textual.widgets import ProgressBar  # imported when first used: a faster start

            self._bar = ProgressBar(show_eta=False)
            self.mount(self._bar)
        self._bar.update(total=total or None, progress=done)

    # -- import and re-analysis -----------------------------------------------------------------

    def start_import(self, lib: Library, paths: list[Path]) -> None:
        """Import files and folders, showing progress."""
        self._show("Importing", 0, 0)
        self.post_message(Notice("Importing " + ", ".join(str(p) for p in paths) + "…"))
        self._import(lib, paths)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def _import(self, lib: Library, paths: list[Path]) -> None:
        report = lib.import_paths(paths, lambda d, t: self.post_message(ImportProgress(d, t)))
        self.post_message(ImportFinished(report))

    def start_reanalyse(self, lib: Library) -> None:
        """Find entities for articles that have none (loads spaCy)."""
        self._show("Analysing", 0, 0)
        self.post_message(Notice("Re-analysing entities…"))
        self._reanalyse(lib)

    @work(thread=True, exclusive=True, group="reanalyse", exit_on_error=False)
    def _reanalyse(self, lib: Library) -> None:
        count, notice = lib.reanalyze(progress=lambda d, t: self.post_message(ImportProgress(d, t)))
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
        self.post_message(LibraryChanged())

    # -- sync -----------------------------------------------------------------------------------

    def start_sync(self, lib: Library, target: Path) -> None:
        """Sync with a folder (publish ours, merge every peer) or one library file."""
        if any(w.group == "sync" and w.is_running for w in self.workers if w.node is self):
            self.notify("A sync is already running.", severity="warning")
            return
        self._show("Syncing", 0, 0)
        self._sync(lib, target)

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def _sync(self, lib: Library, target: Path) -> None:
        def progress(done: int, total: int, name: str) -> None:
            self.post_message(SyncProgress(done, total, name))

        try:
            report = lib.sync(target, progress)
        except (GlossError, OSError, sqlite3.Error) as exc:
            self.post_message(Notice(f"Sync with {target} failed: {describe(exc)}", "error"))
            return
        self.post_message(SyncFinished(str(target), report))

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
        report = event.report
        for message in report.messages:
            self.notify(message, title="Sync", markup=False)
        skipped = any(p.skipped for p in report.peers)
        self.notify(
            sync_summary(event.target, report),
            title="Sync",
            severity="warning" if skipped or report.conflicts else "information",
            markup=False,
            timeout=10,
        )
        self.post_message(LibraryChanged())

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
        from store.ingest import feeds

        def progress(done: int, total: int, name: str) -> None:
            self.post_message(SyncProgress(done, total, f"feed:{name}"))

        try:
            report = feeds.refresh(lib, progress=progress)
        except (GlossError, OSError, sqlite3.Error) as exc:
            self.post_message(Notice(f"Refreshing the feeds failed: {describe(exc)}", "error"))
            return
        self.post_message(RefreshFinished(report))

    @on(RefreshFinished)
    def _refreshed(self, event: RefreshFinished) -> None:
        event.stop()
        report = event.report
        if not report.feeds:
            self.notify("No feeds yet: `gloss feed add URL` subscribes.", title="Feeds")
        else:
            parts = [plural(report.total("new"), "new article")]
            if report.failed:
                parts.append(f"{report.failed} of {len(report.feeds)} feeds failed")
            self.notify(", ".join(parts) + ".", title="Feeds", markup=False,
                        severity="warning" if report.failed else "information")  # fmt: skip
            for f in report.feeds:
                if f.status == "failed":
                    self.notify(f"{f.title or f.url}: {f.error}", title="Feed failed",
                                severity="error", markup=False)  # fmt: skip
        self.post_message(LibraryChanged())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        finished = event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
        if event.worker.group in JOB_GROUPS and finished:
            others = [w for w in self.workers if w.node is self and w is not event.worker]
            if not any(w.is_running and w.group in JOB_GROUPS for w in others):
                self.display = False
