"""Moving between articles with ] and [: every press counts, in order.

Each press adds to the steps wanted since the article the presses started from, and one
worker walks that many steps from it (a press while it walks starts a walk of all of them,
the older one's result dropped): five quick presses open the fifth article, once, and
nothing in between. The entities panel says "Loading…" from the first press, so it never
shows the entities of the article being left.

A mixin of `ReaderScreen`, as `reader_notes.Annotating` is; handlers are named
`on_<message>` because `@on` handlers of a class that is not a widget are not collected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from store import Library
from store.core.models import Article, Filter
from tui.messages import Notice
from tui.widgets.entities_panel import EntitiesPanel

if TYPE_CHECKING:
    from tui.groups import GroupRow


class Stepped(Message):
    """The walk of a burst of ] and [ presses ended at `found`, `moved` steps from `origin`
    (fewer than `wanted` at the end of the list)."""

    def __init__(self, burst: int, origin: str, found: str, moved: int, wanted: int) -> None:
        super().__init__()
        self.burst = burst
        self.origin = origin
        self.found = found
        self.moved = moved
        self.wanted = wanted


class Stepping:
    """] and [: the next and previous article in the list the reader was opened from."""

    if TYPE_CHECKING:  # provided by ReaderScreen (and `post_message` by its Screen)
        lib: Library
        article: Article | None
        article_id: str
        filters: Filter
        groups: list[GroupRow]
        _start_at: int | None

        @property
        def entities_panel(self) -> EntitiesPanel: ...

        def _load(self, lib: Library, article_id: str, shown: Article | None = None) -> None: ...

        def reload(self) -> None: ...

        def post_message(self, message: Message) -> bool: ...

    _origin = ""
    """The article the presses of this burst started from."""
    _wanted = 0
    """Steps pressed since `_origin` (] +1, [ -1)."""
    _burst = 0
    """Counts presses: only the walk of the latest one is followed."""
    stepping = False
    """A walk is under way: what arrives for the article being left is not shown."""

    def action_step(self, step: int) -> None:
        if not self.stepping or self._origin != self.article_id:
            self._origin, self._wanted = self.article_id, 0
        self._wanted += step
        self._burst += 1
        self.stepping = True
        if self.entities_panel.display:
            self.entities_panel.show_loading()
        self._walk(self.lib, self._origin, self._wanted, self.filters, self._burst)

    @work(thread=True, exclusive=True, group="reader-step", exit_on_error=False)
    def _walk(self, lib: Library, origin: str, wanted: int, filters: Filter, burst: int) -> None:
        worker = get_current_worker()
        found, moved, step = origin, 0, (1 if wanted > 0 else -1)
        while moved != wanted and not worker.is_cancelled:
            following = lib.neighbour(found, step, filters)
            if following is None:
                break
            found, moved = following, moved + step
        if not worker.is_cancelled:
            self.post_message(Stepped(burst, origin, found, moved, wanted))

    def on_stepped(self, event: Stepped) -> None:
        event.stop()
        if event.burst != self._burst:
            return  # a later press walks further
        self.stepping, self._wanted = False, 0
        if event.origin != self.article_id:
            return  # another article was opened meanwhile (an entity page's choice)
        if event.moved != event.wanted:
            ahead = event.wanted > 0
            self.post_message(Notice("No next article." if ahead else "No previous article."))
        if event.found != self.article_id:
            self.article_id, self._start_at = event.found, None
            self._load(self.lib, event.found)
        else:  # stayed (at the end of the list): what arrived meanwhile was dropped
            if self.entities_panel.display and self.article is not None:
                self.entities_panel.show(self.article.id, self.groups)
            self.reload()

    def leaving(self) -> bool:
        """Whether the reader is moving away from the article it shows (its news is stale)."""
        return self.stepping and self._origin == self.article_id
