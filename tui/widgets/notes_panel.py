"""The notes panel: an article's notes and highlights in document order."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from store.models import Note

QUOTE_CHARS = 160


def quote_of(note: Note) -> str:
    """The note's passage on one line, shortened for the panel."""
    if note.anchor is None:
        return ""
    text = " ".join(note.anchor.exact.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def note_prompt(note: Note) -> Content:
    """How one note reads in the panel: kind, quote, body (and every version if in conflict)."""
    if note.anchor is None:
        head = Content.styled("✎ On the whole article", "bold $text-success")
    elif note.is_highlight:
        head = Content.assemble(("▌ ", "$warning"), ("“" + quote_of(note) + "”", "italic"))
    else:
        head = Content.assemble(("✎ ", "$success"), ("“" + quote_of(note) + "”", "italic"))
    parts: list[Content | str | tuple[str, str]] = [head]
    if note.conflict:
        parts += ["\n", ("⚠ conflict: edited on two devices; i or c resolves", "bold $text-error")]
        for i, body in enumerate(note.versions, 1):
            parts += ["\n", (f"{i}) ", "bold"), body]
    elif note.body:
        parts += ["\n", note.body]
    return Content.assemble(*parts)


class NotesPanel(OptionList):
    """Lists notes; enter jumps to the passage, i edits (or resolves a conflict), d deletes."""

    HELP_TITLE = "Notes panel"

    BORDER_TITLE = "Notes"
    DEFAULT_CSS = """
    NotesPanel {
        width: 44;
        height: 1fr;
        border: tall $border-blurred;
        &:focus { border: tall $border; }
    }
    """
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("i", "edit", "Edit"),
        Binding("d,delete", "delete", "Delete"),
    ]

    @dataclass
    class Jump(Message):
        """Scroll the article to this note's passage."""

        note: Note

    @dataclass
    class Edit(Message):
        note: Note

    @dataclass
    class Delete(Message):
        note: Note

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.notes: tuple[Note, ...] = ()

    def show(self, notes: tuple[Note, ...]) -> None:
        """Replace the list, keeping the highlighted note when it is still there."""
        current = self.current
        self.notes = notes
        self.clear_options()
        if not notes:
            self.add_option(
                Option(
                    Content("No notes yet. h highlights, a annotates a passage, A the article."),
                    disabled=True,
                )
            )
            return
        self.add_options([Option(note_prompt(n), id=n.id) for n in notes])
        ids = [n.id for n in notes]
        if current is not None and current.id in ids:
            self.highlighted = ids.index(current.id)
        else:
            self.highlighted = 0

    @property
    def current(self) -> Note | None:
        """The highlighted note."""
        index = self.highlighted
        if index is None or not self.notes or index >= len(self.notes):
            return None
        return self.notes[index]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if (note := self.current) is not None:
            self.post_message(self.Jump(note))

    def action_edit(self) -> None:
        if (note := self.current) is not None:
            self.post_message(self.Edit(note))

    def action_delete(self) -> None:
        if (note := self.current) is not None:
            self.post_message(self.Delete(note))
