"""Worker helpers: failures as notifications (a failed worker never crashes the app or goes
unseen), and `urgent()` and `wait_briefly()` for the work the user is waiting on."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from textual.worker import Worker, WorkerState

from store.core.errors import GlossError
from store.core.sanitize import clean_line


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


_switch_lock = threading.Lock()
_switch_asked: list[float] = []
"""The GIL switch intervals asked for by the blocks running now (`switching_every`)."""
_normal_interval = sys.getswitchinterval()
URGENT_INTERVAL = 0.0005
"""The GIL switch interval (seconds) while urgent work runs; Python's default is 0.005."""


@contextmanager
def switching_every(seconds: float) -> Iterator[None]:
    """Within: the process hands the GIL between threads at least every `seconds`. Blocks
    may overlap in any order (an urgent read during an import): the shortest interval asked
    for holds while any runs, and the process's own comes back when the last ends."""
    global _normal_interval
    with _switch_lock:
        if not _switch_asked:
            _normal_interval = sys.getswitchinterval()
        _switch_asked.append(seconds)
        sys.setswitchinterval(min(*_switch_asked, _normal_interval))
    try:
        yield
    finally:
        with _switch_lock:
            _switch_asked.remove(seconds)
            sys.setswitchinterval(min(_switch_asked, default=_normal_interval))


@contextmanager
def urgent() -> Iterator[None]:
    """Run a block of a thread worker that the user is waiting on (opening the library or an
    article) with the GIL handed between threads more often.

    SQLite releases the GIL while it steps and the worker takes it back for every row. While
    the UI thread is busy it keeps the GIL up to the switch interval each time, so a worker
    reading a few hundred rows took ten times longer in the app than alone. A shorter
    interval while such a block runs lets it take the GIL back promptly."""
    with switching_every(URGENT_INTERVAL):
        yield


async def wait_briefly(task: asyncio.Future[object], seconds: float) -> bool:
    """Wait up to `seconds` for `task` (never cancelling it); whether it is done. A screen's
    first frame waits so for data read in a thread, which then shows in that frame instead
    of the next one (Textual paints at most every 1/60 s)."""
    with suppress(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.shield(task), seconds)
    return task.done()
