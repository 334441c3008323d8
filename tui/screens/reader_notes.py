"""The reader's annotating: highlights and notes on passages and on the whole article, the
notes panel's jump, edit and delete, and notes in conflict.

A mixin of `ReaderScreen`, split out to keep the screen short; it works on the screen's
article, text view and edits. Handlers are named `on_<message>` because `@on` handlers of a
class that is not itself a widget are not collected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from store import Library
from store.core.models import Article, Note
from tui.undo import UndoStack, add_note, delete_note, edit_note
from tui.widgets.notes_panel import NotesPanel

if TYPE_CHECKING:
    from tui.widgets.article_view import ArticleView

Change = Callable[[Library, str], object]


class Annotating:
    """Highlight (h), note (a, A), the notes panel's messages, conflicts (c)."""

    if TYPE_CHECKING:  # provided by ReaderScreen (and `app`, `notify` by its Screen)
        article: Article | None

        @property
        def view(self) -> ArticleView: ...

        def _edit(self, change: Change, done: str = "") -> None: ...
        def commit(self, article_id: str, change: Change) -> None: ...
        def _committed(self, article_id: str, done: str = "") -> None: ...

        @property
        def undo_stack(self) -> UndoStack: ...

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
            self._edit(delete_note(self.undo_stack, same[0]), "Highlight removed.")
        else:
            self._edit(add_note(self.undo_stack, "", start, end), "Highlight added.")
        self.view.clear_selection()

    def action_note(self) -> None:
        if self.article is None or (found := self._passage()) is None:
            return
        start, end = found
        stack = self.undo_stack

        def change(body: str) -> Change | None:
            if not body.strip():
                return None
            return add_note(stack, body, start, end)

        quote = self.article.text[start:end]
        self._write_note("Note on this passage", quote, "", change, self.view.clear_selection)

    def action_article_note(self) -> None:
        stack = self.undo_stack

        def change(body: str) -> Change | None:
            return add_note(stack, body) if body.strip() else None

        self._write_note("Note on the whole article", None, "", change)

    def _write_note(
        self,
        heading: str,
        quote: str | None,
        body: str,
        change: Callable[[str], Change | None],
        then: Callable[[], None] | None = None,
    ) -> None:
        """Open the note editor. Its ctrl+s commits `change(text)` (None: nothing to save) in
        the editor's worker, and the editor closes only once the note is in the library: a
        note shown as saved survives the app being killed at once."""
        if self.article is None:
            return
        article_id = self.article.id

        def save(text: str) -> bool:  # in the editor's worker thread
            edit = change(text)
            if edit is not None:
                self.commit(article_id, edit)
            return edit is not None

        def closed(saved: str | None) -> None:
            if saved is not None:
                self._committed(article_id, "Note saved.")
                if then is not None:
                    then()

        from tui.screens.modals import NoteEditor  # dialogs are imported when first used

        self.app.push_screen(NoteEditor(heading, quote, body, save=save), closed)

    def on_notes_panel_jump(self, event: NotesPanel.Jump) -> None:
        note = event.note
        if note.anchor is not None:
            self.view.go_to(note.anchor.start)
        elif note.orphan is not None:  # its passage is gone: there is nowhere to go
            self.notify("This passage is no longer in the article.")
        else:  # a note on the whole article
            self.view.go_to(0)
        if note.conflict:
            self._resolve(note)

    def on_notes_panel_edit(self, event: NotesPanel.Edit) -> None:
        note = event.note
        if note.conflict:
            self._resolve(note)
            return

        stack = self.undo_stack

        def change(body: str) -> Change | None:
            return edit_note(stack, note, body) if body != note.body else None

        anchor = note.anchor or note.orphan
        heading = "Edit note" if note.orphan is None else "Edit orphaned note (passage gone)"
        self._write_note(heading, anchor.exact if anchor else None, note.body, change)

    # -- conflicts ------------------------------------------------------------------------------

    def _conflicts(self) -> list[Note]:
        return [n for n in self.article.notes if n.conflict] if self.article else []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":
            return bool(self._conflicts())  # in the footer only when there is one to resolve
        return True

    def action_no_conflict(self) -> None:
        """`c` with no conflict to resolve (the resolve binding is off then): say so."""
        self.notify("No note in this article is in conflict.")

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
        """Open the resolver. The version kept or the text merged is committed in the
        resolver's worker, and the resolver closes only once it is in the library."""
        article_id = note.article_id

        def save(body: str) -> bool:  # in the resolver's worker thread
            self.commit(article_id, lambda lib, aid: lib.edit_note(note.id, body))
            return True

        def closed(body: str | None) -> None:
            if body is not None:
                self._committed(article_id, "Conflict resolved.")

        from tui.screens.conflict import ConflictResolver

        self.app.push_screen(ConflictResolver(note, save=save), closed)

    def on_notes_panel_delete(self, event: NotesPanel.Delete) -> None:
        note: Note = event.note
        kind = "highlight" if note.is_highlight else "note"
        stack = self.undo_stack

        def answered(yes: bool | None) -> None:
            if yes:
                self._edit(delete_note(stack, note), f"Deleted the {kind}. (u undoes it)")

        from tui.screens.modals import ConfirmScreen

        self.app.push_screen(ConfirmScreen(f"Delete this {kind}?", yes="Delete"), answered)
