"""Small dialogs: confirm, write a note, edit tags, ask for a path.

Every piece of stored text shown here (quotes, titles, tags) goes in as plain `Content`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, Static, TextArea

from store.errors import InvalidInput
from store.sanitize import normalise_tag
from tui.screens import DIALOGS_CSS

QUOTE_CHARS = 400


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; y confirms, n or esc declines, enter presses the focused button
    (No, at first)."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
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


class NoteEditor(ModalScreen[str | None]):
    """Write or edit a note: ctrl+s saves; esc cancels, asking before dropping typed text."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel", priority=True),
    ]

    def __init__(self, heading: str, quote: str | None = None, body: str = "") -> None:
        super().__init__()
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
            yield Label(Content.styled("ctrl+s save · esc cancel", "dim"))

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    @property
    def body(self) -> str:
        return self.query_one(TextArea).text

    def action_save(self) -> None:
        self.dismiss(self.body)

    def action_cancel(self) -> None:
        if self.body == self.initial:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Discard what you typed?", yes="Discard"), answered)


def parse_tags(value: str) -> tuple[list[str], list[str]]:
    """`+name -name name` → (add, remove), each normalised; InvalidInput on a bad name."""
    add: list[str] = []
    remove: list[str] = []
    for token in re.split(r"[\s,]+", value.strip()):
        if not token or token in "+-":
            continue
        target, name = (remove, token[1:]) if token[0] == "-" else (add, token.lstrip("+"))
        target.append(normalise_tag(name))
    return add, remove


class TagSuggester(Suggester):
    """Completes the last word of the input with a known tag."""

    def __init__(self, tags: Iterable[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self.tags = sorted(set(tags))

    async def get_suggestion(self, value: str) -> str | None:
        word = re.split(r"[\s,]+", value)[-1].lstrip("+-")
        if not word:
            return None
        for tag in self.tags:
            if tag.startswith(word) and tag != word:
                return value + tag[len(word) :]
        return None


class TagInput(Input):
    """An Input where tab accepts the suggested completion."""

    BINDINGS = [Binding("tab", "cursor_right", "Complete", show=False)]


class TagEditor(ModalScreen[tuple[list[str], list[str]] | None]):
    """Edit an article's tags: `+name` or `name` adds, `-name` removes; → or tab completes."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

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
                )
            )
            yield Static(Content("now: " + (" ".join(self.current) or "no tags")), classes="muted")
            yield TagInput(
                placeholder="+tag -tag, or names to add (tab completes)",
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


class PathPrompt(ModalScreen[Path | None]):
    """Ask for a file or folder (to import from, or to sync with)."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        heading: str = "Import a folder or file (.txt, .md, .html)",
        value: str = "",
        placeholder: str = "~/news",
        hint: str = "",
    ) -> None:
        super().__init__()
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
        self.dismiss(Path(value).expanduser() if value else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
