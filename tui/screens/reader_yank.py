"""Yank: copy the reader's passage or the notes panel's note to the clipboard (OSC 52).

A mixin of `ReaderScreen`. `y` copies the `v` selection, or the passage under the cursor,
or (in the notes panel) the note under its cursor; `Y` adds a citation, the article's
title and link. ctrl+c copies the `v` selection as `y` does; with none it leaves the key to
Textual (text selected with the mouse, else the hint saying how to quit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.actions import SkipAction

from store.core.models import Article, Note
from tui.words import plural

if TYPE_CHECKING:
    from textual.app import App

    from tui.widgets.article_view import ArticleView
    from tui.widgets.notes_panel import NotesPanel

COPY_HELP = "Copy the v (or mouse) selection (none: how to quit)"
"""What ctrl+c does in the reader, as the help says it."""


def cite(quote: str, article: Article) -> str:
    """A quote with its source: “quote” — Title, https://…"""
    source = article.summary.source or ""
    link = f", {source}" if source.startswith(("http://", "https://")) else ""
    return f"“{quote}” — {article.summary.title}{link}"


def _passage(text: str) -> str:
    """A passage as one paragraph: the lines a sentence spans joined, ends trimmed."""
    return " ".join(text.split())


class Yanking:
    """Yank (y), yank with citation (Y), copy (ctrl+c)."""

    if TYPE_CHECKING:  # provided by ReaderScreen (and `app`, `notify` by its Screen)
        article: Article | None

        @property
        def app(self) -> App[object]: ...

        @property
        def view(self) -> ArticleView: ...

        @property
        def notes_panel(self) -> NotesPanel: ...

        def notify(self, message: str, **kwargs: object) -> None: ...
        def get_selected_text(self) -> str | None: ...

    def action_yank(self, citation: bool = False) -> None:
        if self.article is None:
            return
        panel = self.notes_panel
        if panel.display and panel.has_focus:
            if (note := panel.current) is None:
                self.notify("No note here to copy.")
                return
            self._copy(self._note_text(note, citation))
            return
        found = self.view.selection_range()
        if found is None:
            self.notify("This article has no passage to copy.", severity="warning")
            return
        quote = _passage(self.article.text[found[0] : found[1]])
        self._copy(cite(quote, self.article) if citation else quote)
        self.view.clear_selection()

    def _note_text(self, note: Note, citation: bool) -> str:
        """A note's body (a highlight: its passage); with citation, its passage cited first."""
        anchor = note.anchor or note.orphan
        quote = _passage(anchor.exact) if anchor is not None else ""
        if not citation or self.article is None:
            return note.body or quote
        source = cite(quote, self.article) if quote else cite(note.body, self.article)
        return f"{source}\n\n{note.body}" if quote and note.body else source

    def _copy(self, text: str) -> None:
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {plural(len(text), 'character')}.")

    def action_copy(self) -> None:
        """ctrl+c: the `v` selection as y copies it; else Textual's own ctrl+c."""
        if self.article is not None and self.view.anchor is not None:
            self.action_yank()
            return
        selected = self.get_selected_text()
        if selected:
            self._copy(selected)
            return
        raise SkipAction()  # the app's ctrl+c: how to quit
