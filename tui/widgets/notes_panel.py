"""The notes panel: an article's notes and highlights in document order, then the orphans.

An orphan is a note whose passage is not in this version of the article (it was re-imported
with changed text): it keeps its old quote (`note.orphan`) but has no place in the text, so it
is listed in a section of its own and never shown inline.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from store.core.models import Note
from tui.contrast import MUTED
from tui.widgets.keys import VIM_CURSOR
from tui.widgets.plain_cursor import PlainCursor

QUOTE_CHARS = 160
ORPHAN_MARK = "⌀"
ORPHANED = "Orphaned"
"""The title of the section listing orphans."""


def quote_of(note: Note) -> str:
    """The note's passage (or an orphan's old one) on one line, shortened for the panel."""
    anchor = note.anchor or note.orphan
    if anchor is None:
        return ""
    text = " ".join(anchor.exact.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def is_orphan(note: Note) -> bool:
    """True for a note whose passage is gone from this version of the article."""
    return note.anchor is None and note.orphan is not None


def note_prompt(note: Note) -> Content:
    """How one note reads in the panel: kind, quote, body (and every version if in conflict)."""
    quote = ("“" + quote_of(note) + "”", "italic")
    if is_orphan(note):
        head = Content.assemble((ORPHAN_MARK + " ", "bold $gloss-warning-text"), quote)
    elif note.anchor is None:
        head = Content.styled("✎ On the whole article", "bold $gloss-success-text")
    elif note.is_highlight:
        head = Content.assemble(("▌ ", "bold"), quote)
    else:
        head = Content.assemble(("✎ ", "bold"), quote)
    parts: list[Content | str | tuple[str, str]] = [head]
    if note.conflict:
        parts += [
            "\n",
            ("⚠ conflict: edited on two devices; i or c resolves", "bold $gloss-error-text"),
        ]
        for i, body in enumerate(note.versions, 1):
            parts += ["\n", (f"{i}) ", "bold"), body]
    elif note.body:
        parts += ["\n", note.body]
    elif is_orphan(note):
        parts += ["\n", ("orphaned highlight", MUTED)]
    return Content.assemble(*parts)


def orphan_heading() -> Content:
    return Content.assemble(
        (ORPHANED, "bold $gloss-warning-text"),
        "\n",
        ("Their passages are not in this version of the article.", MUTED),
    )


class NotesPanel(PlainCursor):
    """Lists notes; enter jumps to the passage, i edits (or resolves a conflict), d deletes."""

    HELP_TITLE = "Notes panel"

    BORDER_TITLE = "Notes"
    # the highlighted note in colours that read in every theme (tui.contrast); its marks
    # (▌ highlight, ✎ note) take the text's colour, which reads on both rows; the coloured
    # headings (orphaned, conflict, the whole article) the cursor's colour on its row
    DEFAULT_CSS = """
    NotesPanel {
        color: $gloss-body-text;
        & > .option-list--separator { color: $gloss-guide; }
        /* "No notes yet…" and the orphans' heading: text, not a disabled control */
        & > .option-list--option-disabled { color: $gloss-muted-text; text-style: none; }
        & > .option-list--option-highlighted {
            color: $gloss-cursor-blurred-text;
            background: $gloss-cursor-blurred-background;
        }
        &:focus > .option-list--option-highlighted {
            color: $gloss-cursor-text;
            background: $gloss-cursor-background;
        }
    }
    """
    BINDINGS = [
        *VIM_CURSOR,
        Binding("i", "edit", "Edit", id="reader.edit_note"),
        Binding("d,delete", "delete", "Delete", id="reader.delete_note"),
    ]

    class Jump(Message):
        """Scroll the article to this note's passage."""

        def __init__(self, note: Note) -> None:
            super().__init__()
            self.note = note

    class Edit(Message):
        def __init__(self, note: Note) -> None:
            super().__init__()
            self.note = note

    class Delete(Message):
        def __init__(self, note: Note) -> None:
            super().__init__()
            self.note = note

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.notes: tuple[Note, ...] = ()
        """The notes listed, in the panel's order (orphans last)."""
        self._by_id: dict[str, Note] = {}
        self._filled = False

    def show(self, notes: tuple[Note, ...]) -> None:
        """Replace the list, keeping the highlighted note when it is still there."""
        placed = tuple(n for n in notes if not is_orphan(n))
        orphans = tuple(n for n in notes if is_orphan(n))
        ordered = placed + orphans
        if self._filled and ordered == self.notes:
            return
        current = self.current
        self.notes, self._filled = ordered, True
        self._by_id = {n.id: n for n in ordered}
        self.clear_options()
        if not notes:
            self.add_option(
                Option(
                    Content("No notes yet. h highlights, a annotates a passage, A the article."),
                    disabled=True,
                )
            )
            return
        options: list[Option | None] = [Option(note_prompt(n), id=n.id) for n in placed]
        if orphans:
            if placed:
                options.append(None)  # a divider before the section
            options.append(Option(orphan_heading(), disabled=True))
            options += [Option(note_prompt(n), id=n.id) for n in orphans]
        self.add_options(options)
        if current is not None and current.id in self._by_id:
            self.highlighted = self.get_option_index(current.id)
        else:
            self.highlighted = self.get_option_index(ordered[0].id)

    @property
    def current(self) -> Note | None:
        """The highlighted note."""
        index = self.highlighted
        if index is None or index >= self.option_count:
            return None
        option_id = self.get_option_at_index(index).id
        return self._by_id.get(option_id) if option_id is not None else None

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
