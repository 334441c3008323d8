"""Long writes that a quit must not wait for: run in a daemon thread, told to stop between
articles when their worker is cancelled (Textual cancels every worker when the app exits).

A thread worker runs in the event loop's executor, whose threads Python joins at exit: an
import loading spaCy kept the process alive for 5 s after `q`. Here the worker only waits; the
work itself runs in a daemon thread that checks `stop()` between articles. Each article's
write is a transaction, so a stop between them, or the process ending during one (SQLite
rolls it back), leaves the library consistent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from textual.worker import get_current_worker

from store import Library

T = TypeVar("T")
POLL = 0.05  # seconds between looks at the worker (a wait on an Event, not a sleep)


def run_stoppable(lib: Library, job: Callable[[Callable[[], bool]], T]) -> T | None:
    """`job(stop)` in a daemon thread, from a thread worker: its result, or None at once when
    the worker is cancelled (the job is told to stop, and ends with the process if not)."""
    worker = get_current_worker()
    stop = threading.Event()
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = job(stop.is_set)
        except BaseException as exc:  # re-raised in the worker, which reports it
            outcome["error"] = exc
        finally:
            lib.close()  # this thread's connection

    thread = threading.Thread(target=run, name="gloss-job", daemon=True)
    thread.start()
    while thread.is_alive():
        if worker.cancelled_event.wait(POLL):
            stop.set()
            return None
    if (error := outcome.get("error")) is not None:
        raise error  # type: ignore[misc]
    return outcome.get("result")  # type: ignore[return-value]
