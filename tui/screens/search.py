"""The search screen: a query box, results as you type, the query language when it is empty.

Each change restarts a short timer; when it fires, one exclusive worker runs the query, and
its results are applied only if the box still holds the query it ran (stale ones are dropped).
A malformed query is a one-line error under the box, never a notification.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from store import Library
from store.core.errors import GlossError
from store.core.models import Filter
from store.core.sanitize import clean_line
from store.find.search import Hit
from tui.contrast import MUTED
from tui.screens import SEARCH_CSS
from tui.screens.reader_nav import Walk
from tui.widgets.failures import ReportsFailures
from tui.widgets.footer import KeyBar
from tui.widgets.hit_list import HitList

LIMIT = 100

LANGUAGE = [
    ("climate policy", "articles and notes with both words"),
    ('"interest rates"', "an exact phrase"),
    ("inflation", "inflations too; the word itself first"),
    ("=inflation", "this word only, not its stem"),
    ("infla*", "words starting with infla"),
    ("rates OR prices  -draft", "either word; without a word"),
    ("tag:economy  -tag:draft", "with a tag; without one"),
    ("tag:world  tag:=world", "world and world/… below; world only"),
    ('entity:"Xi Jinping"', "articles mentioning this entity"),
    ("label:PERSON", "articles with an entity of this kind"),
    ("is:unread  is:read  is:starred", "reading state"),
    ("has:note  has:highlight  has:conflict", "your annotations"),
    ("in:notes  in:articles", "only your notes, or only article text"),
]


def language_help() -> Content:
    """The query language, one example per line."""
    width = max(len(example) for example, _ in LANGUAGE)
    parts: list[Content | str | tuple[str, str]] = [
        ("Search titles, article text, your notes and tags.", "bold"),
        "\n\n",
    ]
    for example, meaning in LANGUAGE:
        parts += [("  " + example.ljust(width) + "  ", "bold $gloss-accent-text"), (meaning, MUTED)]
        parts += ["\n"]
    parts += ["\n", ("Terms combine: ", MUTED), ("putin tag:world is:unread", "bold"), "\n"]
    parts += [("enter opens a result · ↓ moves to the results · esc goes back", MUTED)]
    return Content.assemble(*parts)


def count_line(hits: list[Hit]) -> Content:
    """`12 results: 3 in your notes` or `No matches.`"""
    if not hits:
        return Content.styled("No matches.", MUTED)
    notes = sum(1 for h in hits if h.kind == "note")
    text = f"{len(hits)} result{'' if len(hits) == 1 else 's'}"
    if len(hits) == LIMIT:
        text = f"the first {LIMIT} results"
    if notes:
        text += f": {notes} in your notes"
    return Content.styled(text, MUTED)


def results_walk(hits: Sequence[Hit]) -> Walk:
    """The results as the list a reader opened from them walks (each article once, in the
    results' order), with the words that matched, to mark in each."""
    ids = tuple(dict.fromkeys(hit.article_id for hit in hits))
    terms = {hit.snippet[s:e].strip() for hit in hits for s, e in hit.marks}
    return Walk(ids, tuple(sorted(t for t in terms if t)))


class SearchScreen(ReportsFailures, Screen[str]):
    """Dismissed with the query in the box, so `/` can offer it again."""

    CSS_PATH = SEARCH_CSS

    HELP_TITLE = "Search"
    DEBOUNCE = 0.25
    """Seconds of quiet typing before the query runs (0 runs it at once; tests use that)."""
    BINDINGS = [
        Binding("escape", "close", "Back", id="search.back"),
        Binding("down", "results", "Results", show=False, id="search.results"),
        Binding("slash", "edit_query", "Edit query", key_display="/", id="search.edit_query"),
    ]

    class Found(Message):
        """A worker ran `query`: its hits, or the error that says why it is not a query."""

        def __init__(self, query: str, hits: list[Hit], error: str | None = None) -> None:
            super().__init__()
            self.query = query
            self.hits = hits
            self.error = error

    def __init__(self, lib: Library, filters: Filter, query: str = "") -> None:
        super().__init__()
        self.lib = lib
        self.filters = filters
        """The library view, for ] and [ in a reader opened from here."""
        self.initial = query
        self.shown_query: str | None = None
        """The query whose hits are listed."""
        self._timer: Timer | None = None
        self._open_first = False

    def compose(self) -> ComposeResult:
        yield Input(
            self.initial,
            placeholder='search: words, "a phrase", prefix*, tag:, is:, has:, in:notes…',
            id="query",
        )
        yield Static(id="search-status")
        yield HitList(id="hits")
        yield Static(language_help(), id="search-help")
        yield KeyBar()

    @property
    def query_input(self) -> Input:
        return self.query_one("#query", Input)

    @property
    def hits(self) -> HitList:
        return self.query_one(HitList)

    def on_mount(self) -> None:
        self.query_input.focus()
        self._changed_to(self.initial)

    # -- running queries ------------------------------------------------------------------------

    @on(Input.Changed, "#query")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed_to(event.value)

    def _changed_to(self, value: str) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        empty = not value.strip()
        self.hits.display = not empty
        self.query_one("#search-help").display = empty
        if empty:
            self.shown_query = None
            self.hits.show([])
            self._status(Content(""))
        elif self.DEBOUNCE <= 0:
            self._run()
        else:
            self._timer = self.set_timer(self.DEBOUNCE, self._run)

    def _run(self) -> None:
        self._timer = None
        query = self.query_input.value
        if query.strip():
            self._search(self.lib, query)

    def reload(self) -> None:
        """Run the query again (the library changed: a note was written, a sync ended)."""
        self._changed_to(self.query_input.value)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, lib: Library, query: str) -> None:
        try:
            hits = lib.search(query, limit=LIMIT)
        except GlossError as exc:  # QueryError: a malformed query, said in one line
            self.post_message(self.Found(query, [], clean_line(str(exc))))
            return
        self.post_message(self.Found(query, hits))

    @on(Found)
    def _found(self, event: Found) -> None:
        event.stop()
        if event.query != self.query_input.value:
            return  # typed on since this query ran: a newer one is coming
        if event.error is not None:
            # keep the last good hits on screen while a query is being typed
            self._status(Content.styled(event.error, "$gloss-error-text"))
            self._open_first = False
            return
        again = event.query == self.shown_query
        self.shown_query = event.query
        self.hits.show(event.hits, keep=again)
        self._status(count_line(event.hits))
        if self._open_first and event.hits:
            self.hits.post_message(HitList.Open(event.hits[0]))
        self._open_first = False

    def _status(self, content: Content) -> None:
        self.query_one("#search-status", Static).update(content)

    # -- keys -----------------------------------------------------------------------------------

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            return
        if self.shown_query == event.value:
            if (hit := self.hits.current) is not None:
                self.hits.post_message(HitList.Open(hit))
            return
        self._open_first = True  # enter before the timer fired: search now, open the best
        if self._timer is not None:
            self._timer.stop()
        self._run()

    def action_results(self) -> None:
        if self.query_input.has_focus and self.hits.display and self.hits.option_count:
            self.hits.focus()

    def action_edit_query(self) -> None:
        self.query_input.focus()

    def action_close(self) -> None:
        self.dismiss(self.query_input.value)

    # -- opening a hit --------------------------------------------------------------------------

    @on(HitList.Open)
    async def _open(self, event: HitList.Open) -> None:
        event.stop()
        if self.app.screen is not self:  # queued while the last hit was opening
            return
        from tui.screens.reader import open_reader

        hit = event.hit
        at = hit.position if hit.kind == "note" else None
        walk = results_walk(self.hits.hits)
        await open_reader(
            self.app, self.lib, hit.article_id, self.filters, self._reader_closed, at, walk
        )

    def _reader_closed(self, article_id: str | None) -> None:
        """Back from the reader: the cursor on the result read last (] walks them)."""
        hit = self.hits.current
        if article_id and (hit is None or hit.article_id != article_id):
            ids = [h.article_id for h in self.hits.hits]
            if article_id in ids:
                self.hits.highlighted = ids.index(article_id)
        self.reload()  # reading marks read, notes may have been written
        self.hits.focus()
