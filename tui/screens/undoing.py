"""`u`: undo the session's latest edit, in the library and the reader alike.

A mixin of `LibraryScreen` and `ReaderScreen`; the undo runs in a worker under the
screen's write lock, then the screen shows what changed (`_undone`, in that worker).
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import suppress
from typing import TYPE_CHECKING

from textual import work
from textual.worker import Worker, WorkerError, WorkerState

from store import Library
from store.core.errors import GlossError
from tui.messages import Notice
from tui.undo import Step, UndoStack, stack_of

if TYPE_CHECKING:
    from textual.app import App
    from textual.message import Message


WRITES = {"library-write", "reader-write", "undo"}
"""The worker groups of edits an undo waits for."""


class Undoes:
    """Undo (u) for a screen with a `lib` and a write `_lock`."""

    if TYPE_CHECKING:  # provided by the screen
        lib: Library | None
        _lock: threading.Lock

        @property
        def app(self) -> App[object]: ...

        def post_message(self, message: Message) -> bool: ...
        def notify(self, message: str, **kwargs: object) -> None: ...

    @property
    def undo_stack(self) -> UndoStack:
        """The app's undo stack."""
        return stack_of(self.app)

    def action_undo(self) -> None:
        stack = self.undo_stack
        if self.lib is None or not len(stack) and not self._writing():
            self.notify("Nothing to undo since gloss started.")
            return
        self._undo(self.lib, stack, self._writing())

    def _writing(self) -> list[Worker[object]]:
        """The edits (and undos) started and not finished: an undo waits for them, so that
        keys pressed in quick succession are undone in the order they were pressed."""
        return [w for w in self.app.workers if w.group in WRITES and not w.is_finished]

    @work(group="undo", exit_on_error=False)
    async def _undo(self, lib: Library, stack: UndoStack, before: list[Worker[object]]) -> None:
        for worker in before:
            while worker.state == WorkerState.PENDING:  # (queued, not started yet)
                await asyncio.sleep(0.005)
            with suppress(WorkerError):  # (a failed edit is reported by its own worker)
                await worker.wait()
        await asyncio.to_thread(self._revert, lib, stack)

    def _revert(self, lib: Library, stack: UndoStack) -> None:
        with self._lock:
            step = stack.pop()
            if step is None:
                self.post_message(Notice("Nothing to undo since gloss started."))
                return
            try:
                step.revert(lib)
            except GlossError as exc:  # (e.g. the article went away meanwhile)
                self.post_message(Notice(f"Could not undo {step.what}: {exc}", "warning"))
                return
            self._undone(lib, step)
        self.post_message(Notice(f"Undid: {step.what}"))

    def _undone(self, lib: Library, step: Step) -> None:
        """Show what the undo changed (in the undo's worker, under the lock)."""
