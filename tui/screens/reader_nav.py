"""Moving around in the reader: the list `]` and `[` walk (the library's, or the search
results a reader was opened from), the next unread article (N), the way back (esc returns
to the article an entity jump left, at the same place), find in the article (/, then > and
<), the search's words marked, and how far into the article the cursor is.

A mixin of `ReaderScreen`, as `reader_notes.Annotating` is; handlers are named
`on_<message>` because `@on` handlers of a class that is not a widget are not collected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, Static

from store import Library
from store.core.models import Article, Filter
from tui.messages import Notice, OpenArticle
from tui.widgets.article_header import ArticleHeader
from tui.widgets.article_view import ArticleView

MOST_FOUND = 10_000
"""Matches marked at most (a one-letter find in a long article)."""


@dataclass(frozen=True)
class Walk:
    """A reader opened from a list other than the library's: the articles `]`, `[` and N
    walk (search results, in their order) and the words to mark in each (what matched)."""

    ids: tuple[str, ...]
    terms: tuple[str, ...] = ()


class Place(NamedTuple):
    """Where the reader was: an article, the cursor's passage and the scroll."""

    article_id: str
    offset: int
    scroll_y: float


def word_ranges(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Where the words `terms` stand in `text` (whole words, ignoring case), in order."""
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return []
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
    return [m.span() for _, m in zip(range(MOST_FOUND), pattern.finditer(text), strict=False)]


def find_ranges(text: str, needle: str) -> list[tuple[int, int]]:
    """Where `needle` occurs in `text`, ignoring case (not overlapping), in order."""
    if not needle:
        return []
    pattern = re.compile(re.escape(needle), re.IGNORECASE)
    return [m.span() for _, m in zip(range(MOST_FOUND), pattern.finditer(text), strict=False)]


class FindInput(Input):
    """The find box: enter goes back to the text and to the first match as it is handled
    (no Submitted message to wait for). Keys arriving in the same read as enter (a paste,
    tmux send-keys) are already queued to the box and still land in it."""

    async def action_submit(self) -> None:
        screen = self.screen
        if isinstance(screen, Navigating):
            screen.find_submitted()


class FindBar(Horizontal):
    """The find box under the article, with the number of matches."""

    # (its look is in reader.tcss: the app's Input rule would win over a DEFAULT_CSS)

    def compose(self) -> ComposeResult:
        yield FindInput(placeholder="find in the article", id="find", select_on_focus=False)
        yield Static(id="find-count")


class Navigating:
    """]/[ over the reader's list, N, the back stack, find, and the reading progress."""

    if TYPE_CHECKING:  # provided by ReaderScreen (and `app`, `notify`, `query_one` by Screen)
        lib: Library
        article: Article | None
        article_id: str
        filters: Filter
        _start_at: int | None

        @property
        def view(self) -> ArticleView: ...

        def _load(self, lib: Library, article_id: str, shown: Article | None = None) -> None: ...

        def post_message(self, message: object) -> bool: ...

    _results: Walk | None = None
    _history: list[Place]
    _scroll_to: float | None = None
    """A scroll position to restore once the article arriving is shown (going back)."""
    _mark_at: int | None = None
    """A text offset whose entity mention to mark once the article arriving is shown."""
    _found: list[tuple[int, int]]
    _found_index = -1
    _found_for: str | None = None
    """The article `_found` was found in."""
    _termed: str | None = None
    """The article the search's words were last marked in (once: esc clears them)."""

    def _start_nav(self, walk: Walk | None) -> None:
        """A new opening of the reader: its list, an empty way back, nothing found."""
        self._results, self._history = walk, []
        self._scroll_to = self._mark_at = self._termed = None
        self._close_find()

    @property
    def results(self) -> Walk | None:
        return self._results

    @property
    def history(self) -> list[Place]:
        """Where esc goes back to, the latest last."""
        return self._history

    # -- the list walked ------------------------------------------------------------------------

    def _next_id(self, lib: Library, article_id: str, step: int, filters: Filter) -> str | None:
        """The article `step` after `article_id` in the reader's list (in a worker)."""
        walk = self._results
        if walk is None:
            return lib.neighbour(article_id, step, filters)
        if article_id not in walk.ids:
            return None
        index = walk.ids.index(article_id) + step
        return walk.ids[index] if 0 <= index < len(walk.ids) else None

    def action_next_unread(self) -> None:
        self._next_unread(self.lib, self.article_id, self.filters)

    @work(thread=True, exclusive=True, group="reader-unread", exit_on_error=False)
    def _next_unread(self, lib: Library, article_id: str, filters: Filter) -> None:
        walk = self._results
        found: str | None = None
        if walk is None:
            found = lib.neighbour(article_id, 1, filters._replace(unread=True))
        elif article_id in walk.ids:
            after = walk.ids[walk.ids.index(article_id) + 1 :]
            unread = {s.id for s in lib.list_articles(Filter(unread=True), ids=after)}
            found = next((i for i in after if i in unread), None)
        if found is None:
            self.post_message(Notice("No unread article after this one."))
        else:
            self.post_message(OpenArticle(found))

    # -- the way back ---------------------------------------------------------------------------

    def _remember(self) -> None:
        """Keep the place shown, for esc to come back to (before jumping elsewhere)."""
        view = self.view
        if self.article is not None and view.sentences:
            offset = view.sentences[view.cursor].start
            self._history.append(Place(self.article.id, offset, view.scroll_offset.y))

    def _go_back(self) -> bool:
        """Undo the last jump (esc): close the find first; False when there is nothing to
        go back to within the reader."""
        if self._close_find():
            return True
        if not self._history:
            return False
        place = self._history.pop()
        self.view.focus()
        if self.article is not None and self.article.id == place.article_id:
            self.view.go_to(place.offset)
            self.view.scroll_to(y=place.scroll_y, animate=False)
            return True
        self.article_id, self._start_at = place.article_id, place.offset
        self._scroll_to = place.scroll_y
        self._load(self.lib, place.article_id)
        return True

    def _jump(self, article_id: str, at: int) -> None:
        """Show `article_id` with the cursor on text offset `at` and the mention there
        marked (an entity page's choice); esc comes back here."""
        self._remember()
        self._close_find()
        self.view.focus()
        self._mark_at = at
        if self.article is not None and self.article.id == article_id:
            self.view.go_to(at)
            self._arrived()
            return
        self.article_id, self._start_at = article_id, at
        self._load(self.lib, article_id)

    def _arrived(self) -> None:
        """The article is shown (and the cursor placed): restore the scroll of a way back,
        mark the mention jumped to, or the search's words."""
        view, article = self.view, self.article
        if article is None:
            return
        if self._scroll_to is not None:
            view.scroll_to(y=self._scroll_to, animate=False)
            self._scroll_to = None
        if self._mark_at is not None:
            at, self._mark_at = self._mark_at, None
            mention = next((e for e in article.entities if e.start <= at < e.end), None)
            view.set_found([(mention.start, mention.end)] if mention else [])
        elif self.find_bar.display and self._found_for != article.id:
            self._find(self.query_one("#find", Input).value)  # type: ignore[attr-defined]
        elif self._results is not None and self._results.terms and self._termed != article.id:
            self._termed = article.id
            view.set_found(word_ranges(view.text, self._results.terms))
        self.query_one(ArticleHeader).show_progress(view.progress)  # type: ignore[attr-defined]

    # -- find in the article --------------------------------------------------------------------

    @property
    def find_bar(self) -> FindBar:
        return self.query_one(FindBar)  # type: ignore[attr-defined]

    def action_find(self) -> None:
        self.find_bar.display = True
        self.query_one("#find", Input).focus()  # type: ignore[attr-defined]

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "find":
            return
        event.stop()
        self._find(event.value)

    def _find(self, needle: str) -> None:
        self._found = find_ranges(self.view.text, needle)
        self._found_index, self._found_for = -1, self.view.article_id
        self.view.set_found(self._found)
        self._count_found()

    def find_submitted(self) -> None:
        """Enter in the find box: back to the text, the cursor on the first match after it."""
        self.set_focus(self.view)  # type: ignore[attr-defined]  # (now: Screen.set_focus)
        if self._found:
            self._found_index = -1
            self.action_find_next(1)

    def action_find_next(self, step: int) -> None:
        """Put the cursor on the next (or previous) match after the cursor's passage."""
        found = getattr(self, "_found", [])
        if not found:
            self.notify("Nothing found: / finds in the article.", severity="warning")  # type: ignore[attr-defined]
            return
        view = self.view
        if self._found_index < 0:  # the first after (or before) the cursor's passage
            here = view.sentences[view.cursor].start if view.sentences else 0
            after = [i for i, (s, _) in enumerate(found) if s >= here]
            index = (after[0] if after else 0) if step > 0 else ((after[0] if after else 0) - 1)
        else:
            index = self._found_index + step
        self._found_index = index % len(found)
        view.go_to(found[self._found_index][0])
        self._count_found()

    def _count_found(self) -> None:
        needle = self.query_one("#find", Input).value  # type: ignore[attr-defined]
        found = getattr(self, "_found", [])
        if not needle:
            text = ""
        elif not found:
            text = "no match"
        elif self._found_index < 0:
            text = f"{len(found):,} match{'' if len(found) == 1 else 'es'}"
        else:
            text = f"{self._found_index + 1:,} of {len(found):,}"
        self.query_one("#find-count", Static).update(Content(text))  # type: ignore[attr-defined]

    def _close_find(self) -> bool:
        """Hide the find box and clear every mark (the search's words too); False when no
        find was open (the marks of a jump or a search do not hold esc back)."""
        bar = self.find_bar
        was = bool(bar.display or getattr(self, "_found", None))
        if bar.display:
            bar.display = False
            self.query_one("#find", Input).value = ""  # type: ignore[attr-defined]
            self.view.focus()
        self._found, self._found_index = [], -1
        if self.view.found:
            self.view.set_found([])
        return was

    # -- progress -------------------------------------------------------------------------------

    def on_article_view_moved(self, event: ArticleView.Moved) -> None:
        event.stop()
        self.query_one(ArticleHeader).show_progress(self.view.progress)  # type: ignore[attr-defined]
