"""`M` in the library: mark every article of the current view read, after asking.

A mixin of `LibraryScreen`. The view can hold thousands of articles: they are marked in one
store call (one transaction, `Library.set_read_many`), and `u` undoes them as one step.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual import work

from store import Library
from store.core.models import Filter
from tui.messages import LibraryChanged, Notice
from tui.undo import UndoStack, mark_read
from tui.words import plural

if TYPE_CHECKING:
    from textual.app import App
    from textual.message import Message

    from tui.widgets.article_list import ArticleList


class MarksAllRead:
    """Mark all read (M) in the view the sidebar chose."""

    if TYPE_CHECKING:  # provided by LibraryScreen
        lib: Library | None
        view_name: str
        view_filters: Filter
        _lock: threading.Lock

        @property
        def app(self) -> App[object]: ...

        @property
        def articles(self) -> ArticleList: ...

        @property
        def undo_stack(self) -> UndoStack: ...

        def post_message(self, message: Message) -> bool: ...
        def notify(self, message: str, **kwargs: object) -> None: ...

    def action_mark_all_read(self) -> None:
        if self.lib is None:
            return
        count = self.articles.count
        if not count:
            self.notify("No article in this view to mark read.")
            return
        lib, view, filters, stack = self.lib, self.view_name, self.view_filters, self.undo_stack

        def answered(yes: bool | None) -> None:
            if yes:
                self._mark_all_read(lib, stack, filters, view)

        from tui.screens.modals import ConfirmScreen

        question = f"Mark all {plural(count, 'article')} in “{view}” read? (u undoes it)"
        self.app.push_screen(ConfirmScreen(question, yes="Mark read"), answered)

    @work(thread=True, group="library-write", exit_on_error=False)
    def _mark_all_read(self, lib: Library, stack: UndoStack, filters: Filter, view: str) -> None:
        with self._lock:
            done = mark_read(stack, lib, filters, view)
        self.post_message(LibraryChanged())
        if done:
            self.post_message(Notice(f"Marked {plural(done, 'article')} read in “{view}”."))
        else:
            self.post_message(Notice(f"Every article in “{view}” is read already."))
