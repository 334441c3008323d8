"""The library list's order (S: date added, date published, title, notes; kept in the
library, so it stays across reloads and restarts) and the next unread article (N).

A mixin of `LibraryScreen`; handlers are named `on_<message>` because `@on` handlers of a
class that is not a widget are not collected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from store import Library
from store.core.models import Filter
from store.find.reading import SORTS
from tui.messages import Notice

if TYPE_CHECKING:
    from tui.widgets.article_list import ArticleList


def sort_label(sort: str) -> str:
    """What the header says of the list's order: "by title"."""
    return "by " + SORTS.get(sort, SORTS[""])[3]


class Ordering:
    """S sorts the list (the next order in SORTS); N puts the cursor on the next unread."""

    if TYPE_CHECKING:  # provided by LibraryScreen
        lib: Library | None
        view_filters: Filter

        @property
        def articles(self) -> ArticleList: ...

        def _show_stats(self) -> None: ...

        def _locate(self, lib: Library, article_id: str, filters: Filter) -> None: ...

        def post_message(self, message: object) -> bool: ...

        def notify(self, message: str, **kwargs: object) -> None: ...

        Located: type[Message]

    sort = ""
    """The list's order (a name of store.find.reading.SORTS)."""

    class Sorted(Message):
        """The order is kept (and its index made): show the list in it."""

        def __init__(self, sort: str) -> None:
            super().__init__()
            self.sort = sort

    def action_sort(self) -> None:
        if self.lib is None:
            return
        names = list(SORTS)
        self._sort(self.lib, names[(names.index(self.sort) + 1) % len(names)])

    @work(thread=True, exclusive=True, group="sort", exit_on_error=False)
    def _sort(self, lib: Library, sort: str) -> None:
        lib.sort_list(sort)  # (the first time: makes the order's index, which reads every row)
        self.post_message(self.Sorted(sort))

    def on_ordering_sorted(self, event: Sorted) -> None:
        event.stop()
        if self.lib is None:
            return
        current = self.articles.current
        self.sort = event.sort
        self._show_stats()
        self.notify(f"Sorted {sort_label(self.sort)}.", markup=False)
        filters = self.view_filters._replace(sort=self.sort)
        self.articles.set_filters(self.lib, filters)
        if current is not None:  # the cursor stays on the article it was on
            self._locate(self.lib, current.id, filters)

    def action_next_unread(self) -> None:
        current = self.articles.current
        if self.lib is not None and current is not None:
            self._next_unread(self.lib, current.id, self.articles.filters)

    @work(thread=True, exclusive=True, group="locate", exit_on_error=False)
    def _next_unread(self, lib: Library, article_id: str, filters: Filter) -> None:
        found = lib.neighbour(article_id, 1, filters._replace(unread=True))
        index = lib.position(found, filters) if found is not None else None
        if index is None:
            self.post_message(Notice("No unread article below this one."))
        else:
            self.post_message(self.Located(index))  # type: ignore[call-arg]
