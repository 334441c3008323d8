"""The reader: one article with entities, a passage cursor, highlights, notes and tags.

One reader is kept per app and filled with each article opened (`open_reader`): composing
and styling a screen for every article cost more than showing the article.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget

from store import Library
from store.core.models import Article, Filter
from tui.external import browse_with_config
from tui.groups import GroupRow, article_groups, group_label_counts, label_of_mentions
from tui.messages import ArticleLoaded, Notice, OpenArticle
from tui.screens import READER_CSS
from tui.screens.reader_entities import EntityPages
from tui.screens.reader_fixes import EntityFixes
from tui.screens.reader_layout import Fitting
from tui.screens.reader_nav import FindBar, Navigating, Walk
from tui.screens.reader_notes import Annotating, Change
from tui.screens.reader_walk import Walking
from tui.screens.reader_yank import COPY_HELP, Yanking
from tui.screens.undoing import Undoes
from tui.undo import Step, star, tag, toggle_read
from tui.widgets.article_header import KEYED, ArticleHeader, Legend
from tui.widgets.article_view import ArticleView
from tui.widgets.entities_panel import EntitiesPanel
from tui.widgets.failures import ReportsFailures, urgent, wait_briefly
from tui.widgets.footer import KeyBar
from tui.widgets.notes_panel import NotesPanel

READER = "reader"
"""The name the reused reader is installed under."""


def _as_read(article: Article) -> Article:
    return article._replace(summary=article.summary._replace(read=True))


ARTICLE_WAIT = 0.05
"""Seconds opening an article waits for it before showing the reader without it."""


def _is_link(article: Article) -> bool:
    """A saved link (store.ingest.links): its text is its address, its page not fetched."""
    return article.text == article.summary.source


def _fetch(lib: Library, article_id: str, lock: threading.Lock) -> Article:
    with lock, urgent():  # the reader's lock: an edit it is still saving is read with it
        return lib.get_article(article_id)


async def open_reader(
    app: App[Any],
    lib: Library,
    article_id: str,
    filters: Filter,
    closed: Callable[[str | None], None],
    at: int | None = None,
    walk: Walk | None = None,
) -> None:
    """Push the reader showing `article_id`; `closed` gets the id of the article shown last;
    `walk` is the list ] and [ walk when not the library's `filters` (search results).

    The article is fetched (in a thread) before the reader is shown, for up to ARTICLE_WAIT,
    so that the reader's first frame shows it: Textual paints at most every 1/60 s, and a
    reader painted empty first showed the article a frame later. One slower to fetch is shown
    when it arrives. The app's one reader is reused unless it is already open (then a new one
    is pushed)."""
    installed = app.get_screen(READER) if app.is_screen_installed(READER) else None
    reader = installed if isinstance(installed, ReaderScreen) and installed.lib is lib else None
    lock = reader._lock if reader is not None else threading.Lock()
    fetch = asyncio.ensure_future(asyncio.to_thread(_fetch, lib, article_id, lock))
    fetch.add_done_callback(lambda f: f.cancelled() or f.exception())  # the reader reports it
    done = await wait_briefly(fetch, ARTICLE_WAIT)
    article = fetch.result() if done and fetch.exception() is None else None
    if reader is not None and reader not in app.screen_stack:
        reader.open(article_id, filters, at, article, walk)
        app.push_screen(reader, closed)
        return
    new = ReaderScreen(lib, article_id, filters, at, article, walk)
    if installed is None:
        app.install_screen(new, READER)
    app.push_screen(new, closed)


class ReaderScreen(
    Annotating,
    Yanking,
    Undoes,
    EntityPages,
    EntityFixes,
    Walking,
    Navigating,
    Fitting,
    ReportsFailures,
    Screen[str],
):
    """Reads one article; dismissed with the id of the article shown last."""

    CSS_PATH = READER_CSS

    HELP_TITLE = "Reader"
    BINDINGS = [
        Binding("escape,q", "back", "Back", id="reader.back"),
        Binding("h", "highlight", "Highlight", id="reader.highlight"),
        Binding("a", "note", "Note", id="reader.note"),
        Binding("A", "article_note", "Note on article", show=False, id="reader.article_note"),
        Binding("n", "toggle_panel('notes')", "Notes", id="reader.notes"),
        Binding("e", "toggle_entities", "Entities", id="reader.entities"),
        Binding(
            "E", "toggle_panel('entities')", "Entity list", show=False, id="reader.entity_list"
        ),
        Binding("p", "entity_page", "Entity", id="reader.entity_page"),
        Binding("f", "fix_entity", "Fix", id="reader.fix_entity"),
        Binding("t", "tags", "Tags", id="reader.tags"),
        Binding("c", "resolve", "Resolve conflict", id="reader.resolve"),
        # c when "resolve" is off says why; one id, so that a rebound c moves both
        Binding("c", "no_conflict", show=False, id="reader.resolve"),
        Binding("s", "star", "Star", show=False, id="reader.star"),
        Binding("r", "toggle_read", "Read/unread", show=False, id="reader.toggle_read"),
        Binding("right_square_bracket", "step(1)", "Next", key_display="]", id="reader.next"),
        Binding(
            "left_square_bracket",
            "step(-1)",
            "Previous",
            key_display="[",
            show=False,
            id="reader.previous",
        ),
        Binding("o", "open_source", "Open source", show=False, id="reader.open_source"),
        Binding("u", "undo", "Undo", show=False, id="reader.undo"),
        Binding("y", "yank", "Yank", show=False, id="reader.yank"),
        Binding("Y", "yank(True)", "Yank with citation", show=False, id="reader.yank_cite"),
        Binding("ctrl+c,super+c", "copy", COPY_HELP, show=False, id="reader.copy"),
        Binding("I", "toggle_inline", "Notes inline on/off", show=False, id="reader.toggle_inline"),
        Binding("b", "toggle_side", "Side panel on/off", show=False, id="reader.toggle_side"),
        Binding("N", "next_unread", "Next unread", show=False, id="reader.next_unread"),
        Binding("slash", "find", "Find", key_display="/", id="reader.find"),
        Binding(
            "greater_than_sign",
            "find_next(1)",
            "Next match",
            key_display=">",
            show=False,
            id="reader.find_next",
        ),  # fmt: skip
        Binding(
            "less_than_sign",
            "find_next(-1)",
            "Previous match",
            key_display="<",
            show=False,
            id="reader.find_previous",
        ),  # fmt: skip
        *(
            Binding(
                str(i),
                f"toggle_label({i - 1})",
                f"Entity label {i} on/off",
                show=False,
                id=f"reader.label_{i}",
            )
            for i in range(1, 10)
        ),
        Binding(
            "0",
            "toggle_label(9)",
            "Entity labels past the ninth on/off",
            show=False,
            id="reader.label_10",
        ),
    ]

    def __init__(
        self,
        lib: Library,
        article_id: str,
        filters: Filter,
        at: int | None = None,
        article: Article | None = None,
        walk: Walk | None = None,
    ) -> None:
        """`article` is `article_id` fetched already (else the reader fetches it); `walk`
        the list ] and [ walk instead of the library's."""
        super().__init__()
        self.lib = lib
        self.article_id = article_id
        """The article shown, or being fetched."""
        self.filters = filters
        self._start_at = at
        """A text offset to put the cursor on once the first article is shown (a search hit)."""
        self.article: Article | None = None
        self.groups: list[GroupRow] = []
        """The entity groups of the article shown (tui.groups)."""
        self.known_tags: tuple[str, ...] = ()
        self.entities_on = True
        self.hidden_labels: frozenset[str] = frozenset()
        self._lock = threading.Lock()
        self.init_walking()
        self._fetched = article
        self._results, self._history, self._found = walk, [], []

    def open(
        self,
        article_id: str,
        filters: Filter,
        at: int | None = None,
        article: Article | None = None,
        walk: Walk | None = None,
    ) -> None:
        """Show another article in this (mounted, not shown) reader, as a new reader would;
        `article` is `article_id` fetched already."""
        self._start_nav(walk)
        self.article_id, self.filters, self._start_at = article_id, filters, at
        self.article, self.groups = None, []
        self.entities_on, self.hidden_labels = True, frozenset()
        self.notes_panel.display = False
        self.entities_panel.display = False
        self.query_one(ArticleHeader).clear()
        self.query_one(Legend).clear()
        self.view.clear()
        self.set_focus(self.view)
        self._show_fetched(article)

    def compose(self) -> ComposeResult:
        yield ArticleHeader(id="header")
        yield Legend(id="legend")
        with Horizontal(id="reader-main"):
            yield ArticleView(id="text")
            yield NotesPanel(id="notes")
            yield EntitiesPanel(id="entities")
        yield FindBar(id="find-bar")
        yield KeyBar()

    @property
    def view(self) -> ArticleView:
        return self.query_one(ArticleView)

    @property
    def notes_panel(self) -> NotesPanel:
        return self.query_one(NotesPanel)

    @property
    def entities_panel(self) -> EntitiesPanel:
        return self.query_one(EntitiesPanel)

    def on_mount(self) -> None:
        self.view.focus()  # the panels start hidden (reader.tcss)
        self._show_fetched(self._fetched)
        self._fetched = None

    def _show_fetched(self, article: Article | None) -> None:
        """Show an article fetched already at once (the first frame then has it), then mark
        it read and fetch the tags; or fetch it first."""
        if article is not None and article.id == self.article_id:
            self._loaded(ArticleLoaded(_as_read(article) if self._marks(article) else article))
        else:
            article = None
        self._load(self.lib, self.article_id, article)

    def _marks(self, article: Article) -> bool:
        """Whether opening `article` marks it read."""
        return not article.summary.read and not self.lib.readonly and not _is_link(article)

    # -- fetching and writing -----------------------------------------------------------------

    class TagsKnown(Message):
        """Every tag in the library, offered when tagging."""

        def __init__(self, tags: tuple[str, ...]) -> None:
            super().__init__()
            self.tags = tags

    @work(thread=True, exclusive=True, group="reader-load", exit_on_error=False)
    def _load(self, lib: Library, article_id: str, shown: Article | None = None) -> None:
        """Open an article: fetch it and show it (unless `shown` already), then mark it read
        and fetch the tags."""
        with self._lock:
            article = shown
            if article is None:
                with urgent():
                    article = lib.get_article(article_id)
            mark = self._marks(article)
            if shown is None:  # shown as read at once; the write follows
                self.post_message(ArticleLoaded(_as_read(article) if mark else article))
            if mark:
                lib.set_read(article_id, True)
            known = tuple(t for t, _ in lib.tags())
        self.post_message(self.TagsKnown(known))

    def commit(self, article_id: str, change: Change) -> None:
        """Save one edit now, in the calling thread (the note editor's worker, which closes
        the editor only once this returns), under the reader's lock."""
        with self._lock:
            change(self.lib, article_id)

    @work(thread=True, group="reader-write", exit_on_error=False)
    def _write(self, lib: Library, article_id: str, change: Change | None, done: str = "") -> None:
        """Save one edit (None: one saved already), then fetch the article again so every
        view shows it."""
        with self._lock:
            if change is not None:
                change(lib, article_id)
            article = lib.get_article(article_id)
            known = tuple(t for t, _ in lib.tags())
        self.post_message(ArticleLoaded(article, known))
        if done:
            self.post_message(Notice(done))

    def _edit(self, change: Change, done: str = "") -> None:
        if self.article is not None:
            self._write(self.lib, self.article.id, change, done)

    def _committed(self, article_id: str, done: str = "") -> None:
        """Show an edit `commit` saved: fetch the article again, then say `done`."""
        self._write(self.lib, article_id, None, done)

    @on(ArticleLoaded)
    def _loaded(self, event: ArticleLoaded) -> None:
        event.stop()
        article = event.article
        if article.id != self.article_id:
            return  # the reader moved on to another article meanwhile
        if article == self.article and self._start_at is None:  # (a change elsewhere)
            self.known_tags = event.known_tags or self.known_tags
            return
        self.article = article
        self.groups = article_groups(article.entities)
        if event.known_tags is not None:
            self.known_tags = event.known_tags
        self.query_one(ArticleHeader).show(article.summary)
        if _is_link(article) and event.known_tags is None:  # (said once per opening)
            waiting = sum(1 for n in article.notes if n.orphan is not None)
            self.notify(
                "A saved link: only its address is here. The palette's 'Fetch saved links'"
                f" (or `gloss fetch {article.id[:8]}`) brings its page"
                + (
                    f"; {waiting} {'highlight waits' if waiting == 1 else 'highlights wait'}"
                    " for it."
                    if waiting
                    else "."
                ),  # fmt: skip
                markup=False,
            )
        self._show_entities()
        self.view.show(article, label_of_mentions(self.groups))
        if self._start_at is not None:
            self.view.go_to(self._start_at)
            self._start_at = None
        self._arrived()
        if self.notes_panel.display:  # else filled when it is opened
            self.notes_panel.show(article.notes)
        self.refresh_bindings()
        if self.entities_panel.display:  # else filled when it is opened
            self.entities_panel.show(article.id, self.groups)

    @on(TagsKnown)
    def _tags_known(self, event: TagsKnown) -> None:
        event.stop()
        self.known_tags = event.tags

    @on(OpenArticle)
    def _open(self, event: OpenArticle) -> None:
        event.stop()
        self.article_id = event.article_id
        self._start_at = None
        if self.entities_panel.display:  # (not the last article's entities meanwhile)
            self.entities_panel.loading_for(event.article_id)
        self._load(self.lib, event.article_id)

    def reload(self) -> None:
        """Fetch the article again (a sync or an import may have brought notes or tags)."""
        self._refetch(self.lib, self.article_id)

    def _undone(self, lib: Library, step: Step) -> None:
        """(the undo's worker, under the lock) Show the article as the undo left it."""
        article = lib.get_article(self.article_id)
        self.post_message(ArticleLoaded(article, tuple(t for t, _ in lib.tags())))

    @work(thread=True, exclusive=True, group="reader-load", exit_on_error=False)
    def _refetch(self, lib: Library, article_id: str) -> None:
        with self._lock:
            article = lib.get_article(article_id)
            known = tuple(t for t, _ in lib.tags())
        self.post_message(ArticleLoaded(article, known))

    # -- entities -------------------------------------------------------------------------------

    def _labels(self) -> list[tuple[str, int]]:
        """The labels of the article's groups with their number of groups (legend order)."""
        return group_label_counts(self.groups)

    def _show_entities(self) -> None:
        self.query_one(Legend).show(self._labels(), self.entities_on, self.hidden_labels)
        self.view.entities_on, self.view.hidden_labels = self.entities_on, self.hidden_labels

    def action_toggle_entities(self) -> None:
        self.entities_on = not self.entities_on
        self._show_entities()
        self.view.set_entities(self.entities_on, self.hidden_labels)

    def action_toggle_label(self, index: int) -> None:
        """Switch the legend's label at `index` (keys 1-9) on or off; index 9 (key 0) switches
        every label past the ninth together: off if any of them is on, else all on."""
        labels = [label for label, _ in self._labels()]
        if index >= len(labels):
            return
        self.entities_on = True
        if index < KEYED:
            self.hidden_labels = self.hidden_labels ^ {labels[index]}
        else:
            rest = set(labels[KEYED:])
            on = rest - self.hidden_labels
            self.hidden_labels = (self.hidden_labels | rest) if on else (self.hidden_labels - rest)
        self._show_entities()
        self.view.set_entities(self.entities_on, self.hidden_labels)

    # -- panels ---------------------------------------------------------------------------------

    def action_toggle_panel(self, name: str) -> None:
        panel: Widget = self.notes_panel if name == "notes" else self.entities_panel
        other: Widget = self.entities_panel if name == "notes" else self.notes_panel
        if panel.display and panel.has_focus:
            panel.display = False
            self.view.focus()
            return
        other.display = False
        panel.display = True
        panel.focus()
        if panel is self.notes_panel and self.article is not None:
            self.notes_panel.show(self.article.notes)
        if panel is self.entities_panel and self.article is not None:
            self.entities_panel.show(self.article.id, self.groups)

    # -- tags, star, read ---------------------------------------------------------------------

    def action_tags(self) -> None:
        if self.article is None:
            return
        summary = self.article.summary

        def chosen(result: tuple[list[str], list[str]] | None) -> None:
            if result:
                add, remove = result
                self._edit(tag(self.undo_stack, add, remove))

        from tui.screens.modals import TagEditor

        self.app.push_screen(TagEditor(summary.title, summary.tags, self.known_tags), chosen)

    def action_star(self) -> None:
        self._edit(star(self.undo_stack))

    def action_toggle_read(self) -> None:
        self._edit(toggle_read(self.undo_stack))

    # -- moving between articles ----------------------------------------------------------------

    def action_open_source(self) -> None:
        source = self.article.summary.source if self.article else None
        if not source or not source.startswith(("http://", "https://")):
            self.notify("This article has no web address.", severity="warning")
            return
        self._browse(source)

    @work(thread=True, group="browser", exit_on_error=False)
    def _browse(self, url: str) -> None:
        """Open the address in a graphical browser; where there is none (no display: a
        text browser would fight the app for the terminal) or it fails, show the address
        and copy it to the clipboard (OSC 52), so it can be pasted elsewhere. The config's
        `browser` command, if set, is used instead."""
        if browse_with_config(self.app, url):
            return
        if can_browse():
            import webbrowser

            try:
                if webbrowser.open(url):
                    return
            except Exception:  # (any browser's failure: the address is shown instead)
                pass
        self.app.call_from_thread(self._show_address, url)

    def _show_address(self, url: str) -> None:
        self.app.copy_to_clipboard(url)
        self.notify(f"No browser to open it here; the address is copied: {url}", markup=False)

    def action_back(self) -> None:
        """Close a focused panel first; otherwise go back to the library."""
        for panel in (self.notes_panel, self.entities_panel):
            if panel.display and panel.has_focus:
                panel.display = False
                self.view.focus()
                return
        if not self._go_back():
            self.dismiss(self.article_id)


def can_browse() -> bool:
    """Whether a graphical browser can open here: on Linux and the BSDs only with a display
    (Python's webbrowser would otherwise pick a text browser, which needs the terminal)."""
    import os
    import sys

    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
