"""Resolving a note edited on two devices while offline: its versions side by side.

Keep one version (1-9, or its button) or write a merged text (m, then ctrl+s). Either way the
resolver commits it through the reader's `save` (`Library.edit_note`, whose revision supersedes
every head) and closes only once it is in the library, as the note editor does. Versions are
stored text from any device: they are shown as plain `Content`, never as markup.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Label, Static, TextArea

from store.core.models import Note
from tui.screens import DIALOGS_CSS
from tui.screens.modals import QUOTE_CHARS, SaveNote, SavingDialog


def merged_draft(versions: tuple[str, ...]) -> str:
    """The text a merge starts from: every version, in order, a blank line between them."""
    return "\n\n".join(v for v in versions if v.strip())


class ConflictResolver(SavingDialog):
    """Keep a version or save a merged text; the resolver closes once `save` has committed it
    (a refused write keeps the text and says why). esc and ctrl+q ask before dropping an
    edited merge text. Dismissed with the body saved, or None."""

    CSS_PATH = DIALOGS_CSS

    HELP_TITLE = "Note in conflict"
    BINDINGS = [
        *(
            Binding(str(i), f"keep({i})", f"Keep version {i}", show=False, id=f"conflict.keep_{i}")
            for i in range(1, 10)
        ),
        Binding("m", "merge", "Write merged text", id="conflict.merge"),
        Binding("ctrl+s", "save", "Save merged text", priority=True, id="conflict.save"),
        Binding("escape", "cancel", "Back / cancel", priority=True, id="conflict.cancel"),
    ]

    def __init__(self, note: Note, *, save: SaveNote) -> None:
        super().__init__(save)
        self.note = note
        self.versions = note.versions
        self.draft = merged_draft(self.versions)
        self.merging = False
        """True while the merged text is being written."""

    def compose(self) -> ComposeResult:
        count = len(self.versions)
        with Vertical(classes="dialog conflict"):
            yield Label(
                Content.styled(f"⚠ This note was edited on {count} devices at once", "bold")
            )
            anchor = self.note.anchor or self.note.orphan  # an orphan keeps its old quote
            if anchor is not None:
                text = " ".join(anchor.exact.split())
                if len(text) > QUOTE_CHARS:
                    text = text[: QUOTE_CHARS - 1] + "…"
                yield Static(Content.styled("“" + text + "”", "italic"), classes="quote")
            versions = Grid(id="versions")
            versions.styles.grid_size_columns = count  # one column per version, side by side
            with versions:
                for i, body in enumerate(self.versions, 1):
                    column = VerticalScroll(classes="version")
                    column.border_title = f"Version {i}"
                    with column:
                        shown = Content(body) if body else Content.styled("(empty)", "dim italic")
                        yield Static(shown, classes="body")
                for i in range(1, count + 1):
                    yield Button(f"Keep version {i}", id=f"keep-{i}", variant="primary")
            with Vertical(id="merge"):
                yield Label(Content.styled("Merged text", "bold"))
                yield TextArea(self.draft, id="merged", soft_wrap=True)
            with Horizontal(classes="buttons"):
                yield Button("Write merged text", id="write")
                yield Button("Save merged text", id="save", variant="success")
                yield Button("Cancel", id="cancel")
            error = Static("", id="conflict-error", classes="error")
            error.display = False
            yield error
            yield Label(self._hint(), id="hint")

    def _hint(self) -> Content:
        if self.saving:
            return Content.styled("saving…", "dim")
        if self.merging:
            return Content.styled("ctrl+s save the merged text · esc back to the versions", "dim")
        keys = "1" if len(self.versions) == 1 else f"1-{min(9, len(self.versions))}"
        return Content.styled(f"{keys} keep a version · m write a merged text · esc cancel", "dim")

    def on_mount(self) -> None:
        self._set_merging(False)

    def _set_merging(self, on: bool) -> None:
        self.merging = on
        self.query_one("#merge").display = on
        self.query_one("#write").display = not on
        self.query_one("#save").display = on
        self.query_one("#hint", Label).update(self._hint())
        if on:
            area = self.query_one(TextArea)
            area.focus()
            area.move_cursor(area.document.end)
        else:
            self.query_one("#keep-1", Button).focus()
        self.refresh_bindings()

    @property
    def edited(self) -> bool:
        return self.query_one(TextArea).text != self.draft

    def _set_saving(self, on: bool, error: str = "") -> None:
        self.saving = on
        self.query_one(TextArea).read_only = on
        for button in self.query(Button):
            button.disabled = on
        shown = self.query_one("#conflict-error", Static)
        shown.update(Content(error))
        shown.display = bool(error)
        self.query_one("#hint", Label).update(self._hint())
        if not on:  # disabled buttons lost the focus
            focus = self.query_one(TextArea) if self.merging else self.query_one("#keep-1")
            focus.focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.saving:
            return action not in ("keep", "merge", "save", "cancel")
        if action == "keep":
            return not self.merging and int(parameters[0]) <= len(self.versions)  # type: ignore[call-overload]
        if action == "merge":
            return not self.merging
        if action == "save":
            return self.merging
        return True

    def action_keep(self, index: int) -> None:
        self._resolve(self.versions[index - 1])

    def action_merge(self) -> None:
        self._set_merging(True)

    def action_save(self) -> None:
        self._resolve(self.query_one(TextArea).text)  # the library refuses an empty article note

    def _resolve(self, body: str) -> None:
        self._set_saving(True)
        self._save(body)

    def action_cancel(self) -> None:
        if self.merging:
            self._set_merging(False)
        else:
            self._close()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button.id or ""
        if button.startswith("keep-"):
            self.action_keep(int(button.removeprefix("keep-")))
        elif button == "write":
            self.action_merge()
        elif button == "save":
            self.action_save()
        elif button == "cancel":
            self._close()
