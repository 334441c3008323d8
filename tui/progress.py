"""A Rich progress bar for long CLI jobs, shown only on a terminal and only when it helps."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

SHOW_ABOVE = 5  # a handful of files finish before a bar would be read


@contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """Yield a `progress(done, total)` callback drawing on stderr when it is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    task = None

    def update(done: int, total: int) -> None:
        """`total` < 0: a stream of unknown length (an export): a count, no end."""
        nonlocal task
        if 0 <= total <= SHOW_ABOVE:
            return
        if task is None:
            bar.start()
            task = bar.add_task(label, total=total if total >= 0 else None)
        bar.update(task, completed=done)

    try:
        yield update
    finally:
        bar.stop()
