"""Small dialogs: confirm, write a note, edit tags, ask for a path.

Every piece of stored text shown here (quotes, titles, tags) goes in as plain `Content`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, Static, TextArea
from textual.worker import Worker, WorkerState

from store.core.errors import InvalidInput
from store.core.sanitize import normalise_tag
from tui.screens import DIALOGS_CSS
from tui.screens.note_external import ExternalEditing
from tui.widgets.failures import describe

QUOTE_CHARS = 400


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; y confirms, n or esc declines, enter presses the focused button
    (No, at first)."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.question), classes="question")
            with Horizontal(classes="buttons"):
                yield Button(self.yes, variant="error", id="yes")
                yield Button("No", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


SaveNote = Callable[[str], bool]
"""Commits a note's text, in the dialog's worker thread; False when there was nothing to save.
Raises to refuse it: the dialog then shows why and keeps the text."""


class SavingDialog(ModalScreen[str | None]):
    """A dialog that closes only once the text it saves is in the library: `_save(text)` runs
    `save` in a worker, and the dialog is dismissed with the text saved (None: nothing to save)
    or, refused, shows why through `_set_saving` and keeps the text. ctrl+q waits for a save
    and asks before dropping typed text (`edited`)."""

    def __init__(self, save: SaveNote) -> None:
        super().__init__()
        self.save = save
        self.saving = False
        """True from the save until it is committed or refused."""
        self._quit_after_save = False
        self._asking_to_quit = False

    @property
    def edited(self) -> bool:
        """Whether closing now would drop text the user typed."""
        raise NotImplementedError

    def _set_saving(self, on: bool, error: str = "") -> None:
        """Show a save under way (on), or that it ended, with `error` if it was refused."""
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="note-save", exit_on_error=False)
    def _save(self, body: str) -> str | None:
        return body if self.save(body) else None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "note-save":
            return
        if event.state == WorkerState.SUCCESS:
            self.dismiss(event.worker.result)
            if self._quit_after_save:
                self.app.exit()
        elif event.state == WorkerState.ERROR:
            self._quit_after_save = False  # quitting now would lose the text: stay
            self._set_saving(False, "Not saved: " + describe(event.worker.error))

    def _close(self) -> None:
        """Close without saving, asking first when typed text would be dropped."""
        if not self.edited:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Discard what you typed?", yes="Discard"), answered)

    def confirm_quit(self) -> bool:
        """Called when the app is asked to quit: True when this dialog takes the quit over
        (it quits once its save is committed, or if the user agrees to drop the typed text),
        False when nothing would be lost and the app may quit now."""
        if self.saving:
            self._quit_after_save = True
            return True
        if not self.edited:
            return False
        if not self._asking_to_quit:
            self._asking_to_quit = True

            def answered(yes: bool | None) -> None:
                self._asking_to_quit = False
                if yes:
                    self.app.exit()

            question = ConfirmScreen("Quit and discard what you typed?", yes="Quit")
            self.app.push_screen(question, answered)
        return True


class NoteEditor(ExternalEditing, SavingDialog):
    """Write or edit a note: ctrl+s saves, and the editor closes only once the note is in the
    library (a failed save keeps the text and says why); esc cancels and ctrl+q quits, each
    asking before dropping typed text. Dismissed with the text saved, or None."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="note_editor.save"),
        Binding("escape", "cancel", "Cancel", priority=True, id="note_editor.cancel"),
        Binding(
            "ctrl+e", "external_edit", "Edit in $EDITOR", priority=True, id="note_editor.editor"
        ),
    ]

    HINT = "ctrl+s save · ctrl+e $EDITOR · esc cancel"

    def __init__(
        self, heading: str, quote: str | None = None, body: str = "", *, save: SaveNote
    ) -> None:
        super().__init__(save)
        self.heading = heading
        self.quote = quote
        self.initial = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Content.styled(self.heading, "bold"))
            if self.quote:
                text = " ".join(self.quote.split())
                if len(text) > QUOTE_CHARS:
                    text = text[: QUOTE_CHARS - 1] + "…"
                yield Static(Content.styled("“" + text + "”", "italic"), classes="quote")
            yield TextArea(self.initial, id="body", soft_wrap=True)
            error = Static("", id="note-error", classes="error")
            error.display = False
            yield error
            yield Label(Content.styled(self.HINT, "dim"), id="note-hint")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    @property
    def body(self) -> str:
        return self.query_one(TextArea).text

    @property
    def edited(self) -> bool:
        return self.body != self.initial

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (self.saving and action in ("save", "cancel", "external_edit"))

    def action_save(self) -> None:
        self._set_saving(True)
        self._save(self.body)

    def _set_saving(self, on: bool, error: str = "") -> None:
        self.saving = on
        area = self.query_one(TextArea)
        area.read_only = on
        self.query_one("#note-hint", Label).update(
            Content.styled("saving…" if on else self.HINT, "dim")
        )
        shown = self.query_one("#note-error", Static)
        shown.update(Content(error))
        shown.display = bool(error)
        if not on:
            area.focus()
        self.refresh_bindings()

    def action_cancel(self) -> None:
        self._close()


def parse_tags(value: str) -> tuple[list[str], list[str]]:
    """Comma-separated names → (add, remove), each normalised by the one rule
    (store.core.sanitize.normalise_tag): `World / Asia, Big Museums, -draft` adds world/asia
    and big-museums and removes draft. A leading `-` removes, `+` (or none) adds; spaces
    inside a name become '-', '/' nests. A `+` or `-` after a space starts a name too, so
    `+politics -economy` is two. InvalidInput on a bad name."""
    add: list[str] = []
    remove: list[str] = []
    for item in re.split(r",|\s+(?=[+-][^\s+-])", value):
        item = item.strip()
        if not item or item in "+-":
            continue
        target, name = (remove, item[1:]) if item[0] == "-" else (add, item.removeprefix("+"))
        target.append(normalise_tag(name))
    return add, remove


class TagSuggester(Suggester):
    """Completes the last comma-separated name of the input with a known tag."""

    def __init__(self, tags: Iterable[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self.tags = sorted(set(tags))

    async def get_suggestion(self, value: str) -> str | None:
        typed = re.split(r",|\s+(?=[+-])", value)[-1].lstrip(" +-")
        # as normalise_tag will read it ("big mu" is big-mu…), without refusing a partial name
        word = re.sub(r"\s*/\s*", "/", typed.lower()).replace(" ", "-")
        if not word:
            return None
        for tag in self.tags:
            if tag.startswith(word) and tag != word:
                return value + tag[len(word) :]
        return None


class TagInput(Input):
    """An Input where tab accepts the suggested completion."""

    BINDINGS = [Binding("tab", "cursor_right", "Complete", show=False, id="tags.complete")]


class TagEditor(ModalScreen[tuple[list[str], list[str]] | None]):
    """Edit an article's tags: comma-separated names add, `-name` removes; → or tab completes."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="tags.cancel")]

    def __init__(self, title: str, current: Iterable[str], known: Iterable[str]) -> None:
        super().__init__()
        self.article_title = title
        self.current = tuple(current)
        self.known = tuple(known)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                Content.assemble(
                    ("Tags of ", "bold"), ("“" + self.article_title + "”", "bold italic")
                ),
                classes="heading",
            )
            yield Static(Content("now: " + (", ".join(self.current) or "no tags")), classes="muted")
            yield TagInput(
                placeholder="world/asia, big museums, -draft (tab completes)",
                suggester=TagSuggester(self.known),
                id="tags",
            )
            yield Static("", id="tag-error", classes="error")

    def on_mount(self) -> None:
        self.query_one(TagInput).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        try:
            add, remove = parse_tags(event.value)
        except InvalidInput as exc:
            self.query_one("#tag-error", Static).update(Content(str(exc)))
            return
        self.dismiss((add, remove) if add or remove else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PathPrompt(ModalScreen["Path | str | None"]):
    """Ask for a file or folder (to import from, or to sync with); with `urls`, a hub's URL
    (`s3://…`, `webdav://…`) is given back as it was typed."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(
        self,
        heading: str = "Import a folder or file (.txt, .md, .html)",
        value: str = "",
        placeholder: str = "~/news",
        hint: str = "",
        urls: bool = False,
    ) -> None:
        super().__init__()
        self.urls = urls
        self.heading = heading
        self.value = value
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content.styled(self.heading, "bold"))
            if self.hint:
                yield Static(Content(self.hint), classes="muted")
            yield Input(self.value, placeholder=self.placeholder, id="path")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if self.urls and "://" in value:
            self.dismiss(value)
            return
        self.dismiss(Path(value).expanduser() if value else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
