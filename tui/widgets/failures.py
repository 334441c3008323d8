"""Worker failures as notifications: a failed worker never crashes the app or goes unseen."""

from __future__ import annotations

import sqlite3

from textual.worker import Worker, WorkerState

from store.errors import GlossError
from store.sanitize import clean_line


def describe(error: BaseException | None) -> str:
    """One line for the user about what went wrong in a worker."""
    if isinstance(error, GlossError):
        return clean_line(str(error))
    if isinstance(error, sqlite3.Error):
        return clean_line(f"library error: {error}")
    if isinstance(error, OSError):
        return clean_line(f"{error.strerror or error}: {error.filename or ''}")
    return clean_line(f"unexpected error ({type(error).__name__}): {error}")


class ReportsFailures:
    """Mixin for a widget or screen that runs workers: each failure becomes an error
    notification. (Worker.StateChanged does not bubble, so each owner reports its own.)"""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            event.worker.node.app.notify(
                describe(event.worker.error), severity="error", markup=False, timeout=8
            )
