"""Changes made elsewhere: another process (the CLI, a sync, a second gloss) wrote to the
library while the app runs. A worker asks the library's `Watch` twice a second (one
`PRAGMA data_version`, no table read); on a change, what is visible is fetched again: the
library's counts, sidebar and list (the cursor staying on its article), and the screen on
top (an open reader, the search). A screen not visible is fetched again when shown.

A mixin of `LibraryScreen`; its handler is named `on_<message>` because `@on` handlers of a
class that is not a widget are not collected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from textual import work
from textual.screen import ModalScreen, Screen

from store import Library
from tui.messages import OutsideChange

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer
    from textual.worker import Worker

    from store.core.watch import Watch
    from tui.widgets.article_list import ArticleList

POLL_INTERVAL = 0.5
"""Seconds between two looks at the library file (a change shows within about this)."""


@runtime_checkable
class Reloads(Protocol):
    """A screen showing library data that can fetch it again."""

    def reload(self) -> None: ...


def visible_screens(app: App[Any]) -> list[Screen[Any]]:
    """The screens that can be seen: the top one, and those under it down to the first
    that is not a dialog (a dialog shows the screen under it)."""
    shown: list[Screen[Any]] = []
    for screen in reversed(app.screen_stack):
        shown.append(screen)
        if not isinstance(screen, ModalScreen):
            break
    return shown


class WatchesOutside:
    """Polls the library for other processes' changes and refreshes what is visible."""

    if TYPE_CHECKING:  # provided by LibraryScreen (and `app`, `set_interval` by its Screen)
        lib: Library | None
        app: App[Any]

        @property
        def articles(self) -> ArticleList: ...

        def _load_side(self, lib: Library) -> None: ...

        def set_interval(self, interval: float, callback: Any) -> Timer: ...

    _watch: Watch | None = None
    _stale = False
    """Changed elsewhere while covered by another screen: fetched again when shown."""
    outside_changes = 0
    """Outside changes handled so far (tests wait for it to move)."""

    def watch_library(self, lib: Library) -> None:
        """Start looking for other processes' changes to `lib`."""
        if self._watch is None:
            self._watch = lib.watch()
            self.check_outside()  # the starting point
            self.set_interval(POLL_INTERVAL, self.check_outside)

    def check_outside(self) -> Worker[None] | None:
        """Look now (the timer calls this); the worker posts `OutsideChange` on a change."""
        return self._poll(self._watch) if self._watch is not None else None

    @work(thread=True, exclusive=True, group="live", exit_on_error=False)
    def _poll(self, watch: Watch) -> None:
        if watch.poll():
            self.post_message(OutsideChange())  # type: ignore[attr-defined]

    def on_outside_change(self, event: OutsideChange) -> None:
        event.stop()
        self.outside_changes += 1
        shown = visible_screens(self.app)
        if self in shown:
            self.refresh_outside()
        else:
            self._stale = True
        for screen in shown:
            if screen is not self and isinstance(screen, Reloads):
                screen.reload()

    def refresh_outside(self) -> None:
        """Fetch the counts, the sidebar and the list again, the cursor on its article."""
        self._stale = False
        if self.lib is not None:
            self.articles.refresh_keeping(self.lib)
            self._load_side(self.lib)

    def on_screen_resume(self) -> None:
        if self._stale:
            self.refresh_outside()

    def on_unmount(self) -> None:
        if self._watch is not None:
            self._watch.close()
