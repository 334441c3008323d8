"""What the first screen shows (the list's count and first rows, the header's and sidebar's
counts), read from the library in one go.

`gloss` starts this reading in a thread of its own before Textual is imported, so that
opening the library and counting overlap the app's own start-up instead of following it.
Nothing here imports Textual, and the store only when the thread runs.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

if TYPE_CHECKING:
    from store import Library
    from store.core.models import ArticleSummary, Filter

FIRST_ROWS = 100
"""Rows read with the library at start-up: a screenful, the rest of the page comes later."""

SWITCH_INTERVAL = 0.0005
"""The GIL switch interval while the thread reads (see tui.widgets.failures.urgent: each row
waits for the interpreter, which the importing main thread holds up to 5 ms by default)."""

BUNDLED_ARTICLES = Path(__file__).resolve().parent.parent / "articles"
"""The articles a new library starts with (imported at its first start)."""


class Counts(NamedTuple):
    """The header's and the sidebar's: counts by view, tags, feeds (id, title, unread)."""

    stats: dict[str, int]
    tags: list[tuple[str, int]]
    feeds: list[tuple[str, str, int]]


class FirstScreen(NamedTuple):
    lib: Library
    filters: Filter
    count: int
    rows: list[ArticleSummary]
    counts: Counts


BAR = 24  # characters of the upgrade's progress bar


def upgrade_progress(stream: TextIO | None = None) -> Callable[[str, int, int], None]:
    """A `progress(phase, done, total)` for the library upgrade on stderr: on a terminal one
    line, rewritten in place, ended when the upgrade is done; elsewhere (a log, a pipe) a
    line as each phase begins, with no carriage returns."""
    from store.core.compact import PHASES

    out = stream or sys.stderr
    order = list(PHASES)
    whole = sum(PHASES.values())
    try:
        live = out.isatty()
    except (AttributeError, ValueError):  # (a closed or odd stream: plain lines)
        live = False
    begun: list[str] = []

    def show(phase: str, done: int, total: int) -> None:
        if not live:
            if phase == "done":
                out.write("gloss: library upgraded\n")
            elif phase not in begun:
                begun.append(phase)
                out.write(f"gloss: upgrading the library: {phase}\n")
        elif phase == "done":
            out.write("\r" + "gloss: library upgraded".ljust(79) + "\n")
        else:
            before = sum(PHASES[p] for p in order[: order.index(phase)]) if phase in PHASES else 0
            share = PHASES.get(phase, 0) * (done / total if total else 0)
            filled = round(BAR * (before + share) / whole)
            count = f" {done:,}/{total:,}" if total else ""
            bar = "#" * filled + "-" * (BAR - filled)
            out.write("\r" + f"gloss: upgrading the library [{bar}] {phase}{count}".ljust(79))
        out.flush()

    return show


def upgrade_first(path: Path) -> None:
    """Upgrade an older library before anything else opens it, showing progress on stderr
    (the header is read first: a current library costs one 100-byte read)."""
    from store.core.db import may_need_upgrade

    if not may_need_upgrade(path):
        return
    from store import Library

    Library.open(path, progress=upgrade_progress()).close()


def read_counts(lib: Library) -> Counts:
    from store.core.models import Filter

    stats = lib.stats()
    stats["annotated"] = lib.count(Filter(annotated=True))
    stats["links"] = lib.count(Filter(links=True))  # (a partial index: as many as there are)
    feeds: list[tuple[str, str, int]] = []
    # store.ingest.feeds costs more to import (its dataclasses) than all the counts of a 100,000-
    # article library to read: imported only for a library that has feeds
    if lib.has_feeds():
        feeds = [(f.id, f.title, f.unread) for f in lib.feeds.list()]
    return Counts(stats, lib.tags(), feeds)


def read_first_screen(path: Path, filters: Filter, bundled: bool = False) -> FirstScreen:
    """Open the library at `path` and read what the first screen shows with `filters`;
    `bundled`: a new library, marked at once as owing the bundled articles' import (so a quit
    before it ends is resumed at the next start)."""
    from store import Library

    lib = Library.open(path)
    try:
        if bundled:
            lib.mark_bundled_import()
        if not filters.sort:  # the order chosen last (S)
            filters = filters._replace(sort=lib.list_sort())
        count = lib.count(filters)
        rows = lib.list_articles(filters, limit=FIRST_ROWS) if count else []
        return FirstScreen(lib, filters, count, rows, read_counts(lib))
    except BaseException:
        lib.close()
        raise


def prefetch(path: Path, bundled: bool = False) -> Future[FirstScreen]:
    """Start reading the first screen (all articles) of the library at `path` in a thread;
    the future holds it, or the error that opening or reading raised."""
    future: Future[FirstScreen] = Future()

    def run() -> None:
        future.set_running_or_notify_cancel()
        # the only thread but the main one at this point: nothing else sets the interval
        normal = sys.getswitchinterval()
        sys.setswitchinterval(min(normal, SWITCH_INTERVAL))
        try:
            from store.core.models import Filter

            future.set_result(read_first_screen(path, Filter(), bundled))
        except BaseException as exc:  # handed to the app, which reports it
            future.set_exception(exc)
        finally:
            sys.setswitchinterval(normal)

    threading.Thread(target=run, name="gloss-open", daemon=True).start()
    return future
