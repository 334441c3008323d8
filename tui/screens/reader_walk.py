"""The reader's ] and [: every press counts, in order, however fast they come.

A mixin of `ReaderScreen`, split out to keep the screen short. Presses are queued; one
walker thread at a time takes them (each step from where the one before landed, through the
library's `neighbour` under the reader's filters), and the article opens where the last
lands, so no article in between is fetched or marked read. Presses made while it opens walk
on from there. The handler is named `on_walked` because `@on` handlers of a class that is
not itself a widget are not collected.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual import work

from tui.messages import Notice, OpenArticle, Walked

if TYPE_CHECKING:
    from store import Library
    from store.core.models import Filter


class Walking:
    """] and [ (action `step`)."""

    if TYPE_CHECKING:  # provided by ReaderScreen (and post_message by its Screen)
        lib: Library
        article_id: str
        filters: Filter

        def post_message(self, message: object) -> bool: ...

        def _next_id(
            self, lib: Library, article_id: str, step: int, filters: Filter
        ) -> str | None: ...

    def init_walking(self) -> None:
        self._steps: list[int] = []  # presses of ] and [ not walked yet
        self._steps_lock = threading.Lock()
        self._walking = False

    def action_step(self, step: int) -> None:
        """Queue one press; start the walker unless it is walking."""
        with self._steps_lock:
            self._steps.append(step)
            if self._walking:
                return
            self._walking = True
        self._walk(self.lib, self.article_id, self.filters)

    @work(thread=True, group="reader-step", exit_on_error=False)
    def _walk(self, lib: Library, article_id: str, filters: Filter) -> None:
        here = article_id
        try:
            while True:
                with self._steps_lock:
                    if not self._steps:
                        break
                    step = self._steps.pop(0)
                found = self._next_id(lib, here, step, filters)  # (reader_nav: the list walked)
                if found is None:
                    last = "No next article." if step > 0 else "No previous article."
                    self.post_message(Notice(last))
                else:
                    here = found
        finally:  # (also after a failure: the next press walks again)
            self.post_message(Walked(here))

    def on_walked(self, event: Walked) -> None:
        event.stop()
        if event.article_id != self.article_id:
            self.post_message(OpenArticle(event.article_id))
            self.article_id = event.article_id  # (the next walk starts from here)
        with self._steps_lock:
            more = bool(self._steps)
            self._walking = more
        if more:
            self._walk(self.lib, self.article_id, self.filters)
