"""The reader: one article with entities, a passage cursor, highlights, notes and tags."""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Callable, Mapping
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from store import Library
from store.models import Article, Note
from tui.messages import ArticleLoaded, Notice, OpenArticle
from tui.screens.conflict import ConflictResolver
from tui.screens.modals import ConfirmScreen, NoteEditor, TagEditor
from tui.widgets.article_header import ArticleHeader, Legend, label_counts
from tui.widgets.article_view import ArticleView
from tui.widgets.entities_panel import EntitiesPanel
from tui.widgets.failures import ReportsFailures
from tui.widgets.notes_panel import NotesPanel

Change = Callable[[Library, str], object]


class ReaderScreen(ReportsFailures, Screen[str]):
    """Reads one article; dismissed with the id of the article shown last."""

    HELP_TITLE = "Reader"
    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("h", "highlight", "Highlight"),
        Binding("a", "note", "Note"),
        Binding("A", "article_note", "Note on article", show=False),
        Binding("n", "toggle_panel('notes')", "Notes"),
        Binding("e", "toggle_entities", "Entities"),
        Binding("E", "toggle_panel('entities')", "Entity list", show=False),
        Binding("t", "tags", "Tags"),
        Binding("c", "resolve", "Resolve conflict"),
        Binding("s", "star", "Star", show=False),
        Binding("r", "toggle_read", "Read/unread", show=False),
        Binding("right_square_bracket", "step(1)", "Next", key_display="]"),
        Binding("left_square_bracket", "step(-1)", "Previous", key_display="[", show=False),
        Binding("o", "open_source", "Open source", show=False),
        *(
            Binding(str(i), f"toggle_label({i - 1})", f"Entity label {i} on/off", show=False)
            for i in range(1, 10)
        ),
    ]

    def __init__(
        self, lib: Library, article_id: str, filters: Mapping[str, Any], at: int | None = None
    ) -> None:
        super().__init__()
        self.lib = lib
        self.article_id = article_id
        """The article shown, or being fetched."""
        self.filters = dict(filters)
        self._start_at = at
        """A text offset to put the cursor on once the first article is shown (a search hit)."""
        self.article: Article | None = None
        self.known_tags: tuple[str, ...] = ()
        self.entities_on = True
        self.hidden_labels: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def compose(self) -> ComposeResult:
        yield ArticleHeader(id="header")
        yield Legend(id="legend")
        with Horizontal(id="reader-main"):
            yield ArticleView(id="text")
            yield NotesPanel(id="notes")
            yield EntitiesPanel(id="entities")
        yield Footer()

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
        self.notes_panel.display = False
        self.entities_panel.display = False
        self.view.focus()
        self._load(self.lib, self.article_id)

    # -- fetching and writing -----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="reader-load", exit_on_error=False)
    def _load(self, lib: Library, article_id: str) -> None:
        """Open an article: mark it read, then fetch everything the reader shows."""
        with self._lock:
            lib.set_read(article_id, True)
            article = lib.get_article(article_id)
            known = tuple(t for t, _ in lib.tags())
        self.post_message(ArticleLoaded(article, known))

    @work(thread=True, group="reader-write", exit_on_error=False)
    def _write(self, lib: Library, article_id: str, change: Change, done: str = "") -> None:
        """Save one edit, then fetch the article again so every view shows it."""
        with self._lock:
            change(lib, article_id)
            article = lib.get_article(article_id)
            known = tuple(t for t, _ in lib.tags())
        self.post_message(ArticleLoaded(article, known))
        if done:
            self.post_message(Notice(done))

    def _edit(self, change: Change, done: str = "") -> None:
        if self.article is not None:
            self._write(self.lib, self.article.id, change, done)

    @on(ArticleLoaded)
    def _loaded(self, event: ArticleLoaded) -> None:
        event.stop()
        article = event.article
        if article.id != self.article_id:
            return  # the reader moved on to another article meanwhile
        self.article, self.known_tags = article, event.known_tags
        self.query_one(ArticleHeader).show(article.summary)
        self._show_entities()
        self.view.show(article)
        if self._start_at is not None:
            self.view.go_to(self._start_at)
            self._start_at = None
        self.notes_panel.show(article.notes)
        self.refresh_bindings()
        panel = self.entities_panel
        if panel.display and panel.article_id != article.id:
            panel.load(self.lib, article.id)

    @on(OpenArticle)
    def _open(self, event: OpenArticle) -> None:
        event.stop()
        self.article_id = event.article_id
        self._start_at = None
        self._load(self.lib, event.article_id)

    def reload(self) -> None:
        """Fetch the article again (a sync or an import may have brought notes or tags)."""
        self._refetch(self.lib, self.article_id)

    @work(thread=True, exclusive=True, group="reader-load", exit_on_error=False)
    def _refetch(self, lib: Library, article_id: str) -> None:
        with self._lock:
            article = lib.get_article(article_id)
            known = tuple(t for t, _ in lib.tags())
        self.post_message(ArticleLoaded(article, known))

    # -- entities -------------------------------------------------------------------------------

    def _labels(self) -> list[tuple[str, int]]:
        return label_counts(self.article.entities) if self.article else []

    def _show_entities(self) -> None:
        self.query_one(Legend).show(self._labels(), self.entities_on, self.hidden_labels)
        self.view.entities_on, self.view.hidden_labels = self.entities_on, self.hidden_labels

    def action_toggle_entities(self) -> None:
        self.entities_on = not self.entities_on
        self._show_entities()
        self.view.set_entities(self.entities_on, self.hidden_labels)

    def action_toggle_label(self, index: int) -> None:
        labels = [label for label, _ in self._labels()]
        if index >= len(labels):
            return
        self.entities_on = True
        self.hidden_labels = self.hidden_labels ^ {labels[index]}
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
        if panel is self.entities_panel and self.article is not None:
            if self.entities_panel.article_id != self.article.id:
                self.entities_panel.load(self.lib, self.article.id)

    # -- passages: highlights and notes ---------------------------------------------------------

    def _passage(self) -> tuple[int, int] | None:
        found = self.view.selection_range()
        if found is None:
            self.notify("This article has no passage to choose.", severity="warning")
        return found

    def action_highlight(self) -> None:
        if self.article is None or (found := self._passage()) is None:
            return
        start, end = found
        same = [n for n in self.article.notes if n.is_highlight and n.anchor
                and (n.anchor.start, n.anchor.end) == found]  # fmt: skip
        if same:
            self._edit(lambda lib, aid: lib.delete_note(same[0].id), "Highlight removed.")
        else:
            self._edit(lambda lib, aid: lib.highlight(aid, start, end))
        self.view.clear_selection()

    def action_note(self) -> None:
        if self.article is None or (found := self._passage()) is None:
            return
        start, end = found
        quote = self.article.text[start:end]

        def written(body: str | None) -> None:
            if body is not None and body.strip():
                self._edit(lambda lib, aid: lib.add_note(aid, body, start, end), "Note saved.")
                self.view.clear_selection()

        self.app.push_screen(NoteEditor("Note on this passage", quote), written)

    def action_article_note(self) -> None:
        def written(body: str | None) -> None:
            if body is not None and body.strip():
                self._edit(lambda lib, aid: lib.add_note(aid, body), "Note saved.")

        self.app.push_screen(NoteEditor("Note on the whole article"), written)

    @on(NotesPanel.Jump)
    def _jump(self, event: NotesPanel.Jump) -> None:
        anchor = event.note.anchor
        self.view.go_to(anchor.start if anchor else 0)
        if event.note.conflict:
            self._resolve(event.note)

    @on(NotesPanel.Edit)
    def _edit_note(self, event: NotesPanel.Edit) -> None:
        note = event.note
        if note.conflict:
            self._resolve(note)
            return

        def written(body: str | None) -> None:
            if body is not None and body != note.body:
                self._edit(lambda lib, aid: lib.edit_note(note.id, body), "Note saved.")

        quote = note.anchor.exact if note.anchor else None
        self.app.push_screen(NoteEditor("Edit note", quote, note.body), written)

    # -- conflicts ------------------------------------------------------------------------------

    def _conflicts(self) -> list[Note]:
        return [n for n in self.article.notes if n.conflict] if self.article else []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":
            return bool(self._conflicts())  # in the footer only when there is one to resolve
        return True

    def action_resolve(self) -> None:
        """Resolve the conflicted note under the cursor, else the first one in the article."""
        conflicts = self._conflicts()
        found = self.view.selection_range()
        here = [n for n in conflicts if found and n.anchor
                and n.anchor.start < found[1] and found[0] < n.anchor.end]  # fmt: skip
        if not conflicts:
            self.notify("No note in this article is in conflict.")
            return
        note = (here or conflicts)[0]
        if not here and note.anchor is not None:
            self.view.go_to(note.anchor.start)
        self._resolve(note)

    def _resolve(self, note: Note) -> None:
        def chosen(body: str | None) -> None:
            if body is not None:
                self._edit(lambda lib, aid: lib.edit_note(note.id, body), "Conflict resolved.")

        self.app.push_screen(ConflictResolver(note), chosen)

    @on(NotesPanel.Delete)
    def _delete_note(self, event: NotesPanel.Delete) -> None:
        note: Note = event.note
        kind = "highlight" if note.is_highlight else "note"

        def answered(yes: bool | None) -> None:
            if yes:
                self._edit(lambda lib, aid: lib.delete_note(note.id), f"Deleted the {kind}.")

        self.app.push_screen(ConfirmScreen(f"Delete this {kind}?", yes="Delete"), answered)

    # -- tags, star, read ---------------------------------------------------------------------

    def action_tags(self) -> None:
        if self.article is None:
            return
        summary = self.article.summary

        def chosen(result: tuple[list[str], list[str]] | None) -> None:
            if result:
                add, remove = result
                self._edit(lambda lib, aid: lib.tag(aid, add=add, remove=remove))

        self.app.push_screen(TagEditor(summary.title, summary.tags, self.known_tags), chosen)

    def action_star(self) -> None:
        self._edit(lambda lib, aid: lib.set_starred(aid, not lib.summary(aid).starred))

    def action_toggle_read(self) -> None:
        self._edit(lambda lib, aid: lib.set_read(aid, not lib.summary(aid).read))

    # -- moving between articles ----------------------------------------------------------------

    def action_step(self, step: int) -> None:
        self._step(self.lib, self.article_id, step, self.filters)

    @work(thread=True, exclusive=True, group="reader-step", exit_on_error=False)
    def _step(self, lib: Library, article_id: str, step: int, filters: dict[str, Any]) -> None:
        found = lib.neighbour(article_id, step, **filters)
        if found is None:
            self.post_message(Notice("No next article." if step > 0 else "No previous article."))
        else:
            self.post_message(OpenArticle(found))

    def action_open_source(self) -> None:
        source = self.article.summary.source if self.article else None
        if not source or not source.startswith(("http://", "https://")):
            self.notify("This article has no web address.", severity="warning")
            return
        self._browse(source)

    @work(thread=True, group="browser", exit_on_error=False)
    def _browse(self, url: str) -> None:
        webbrowser.open(url)

    def action_back(self) -> None:
        """Close a focused panel first; otherwise go back to the library."""
        for panel in (self.notes_panel, self.entities_panel):
            if panel.display and panel.has_focus:
                panel.display = False
                self.view.focus()
                return
        self.dismiss(self.article_id)
