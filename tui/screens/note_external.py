"""ctrl+e in the note editor: the note's text in the user's editor, for long notes.

A mixin of `NoteEditor`. The app hands the terminal to the editor (App.suspend) on a temp
file holding the current text; what the editor leaves there comes back into the dialog, not
saved until ctrl+s. An editor that is missing or fails leaves the text as it was, with a
one-line notice.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.widgets import TextArea

from tui.external import ProgramFailed, run_editor, suspended

if TYPE_CHECKING:
    from textual.app import App


class ExternalEditing:
    """ctrl+e: edit the note in $EDITOR (the config's `editor`, else $VISUAL, $EDITOR, vi)."""

    if TYPE_CHECKING:  # provided by the dialog (a ModalScreen)
        app: App
        saving: bool

        def query_one(self, selector: type[TextArea]) -> TextArea: ...
        def notify(self, message: str, *, severity: str = ..., markup: bool = ...) -> None: ...

    def action_external_edit(self) -> None:
        if not self.saving:
            self._edit_externally(self.query_one(TextArea).text)

    @work(thread=True, exclusive=True, group="external-editor", exit_on_error=False)
    def _edit_externally(self, text: str) -> None:
        fd, name = tempfile.mkstemp(prefix="gloss-note-", suffix=".md", text=True)
        path = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            failed = self.app.call_from_thread(self._run_editor, path)
            if failed:
                self.app.call_from_thread(self._kept, failed)
                return
            edited = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.app.call_from_thread(self._kept, f"the note could not be edited there ({exc})")
            return
        finally:
            path.unlink(missing_ok=True)
        if edited.endswith("\n") and not text.endswith("\n"):
            edited = edited[:-1]  # the newline editors add at the end of a file
        self.app.call_from_thread(self._put_back, edited)

    def _run_editor(self, path: Path) -> str:
        """Run the editor with the terminal handed over: what went wrong, or ""."""
        try:
            with suspended(self.app):
                run_editor(path)
        except ProgramFailed as exc:
            return str(exc)
        except Exception as exc:  # SuspendNotSupported (Textual web) and the like
            return f"the editor could not be run here ({type(exc).__name__})"
        return ""

    def _kept(self, why: str) -> None:
        self.notify(
            f"{why[:1].upper()}{why[1:]}; the text is kept.", severity="warning", markup=False
        )

    def _put_back(self, edited: str) -> None:
        area = self.query_one(TextArea)
        if edited != area.text:
            area.replace(edited, area.document.start, area.document.end)
        area.focus()
