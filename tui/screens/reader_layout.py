"""The reader at any size: note bodies under their paragraphs (I), the side panel on and off
(b), the side panels over the text on narrow terminals, a two-row header on short ones.

A mixin of `ReaderScreen`, split out to keep the screen short. The narrow and short looks are
screen classes set by Textual's breakpoints and styled in reader.tcss.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events

from tui.widgets.article_header import ArticleHeader, Legend

if TYPE_CHECKING:
    from textual.widget import Widget

    from tui.widgets.article_view import ArticleView
    from tui.widgets.entities_panel import EntitiesPanel
    from tui.widgets.notes_panel import NotesPanel

NARROW = 100
"""Below this many columns a side panel is drawn over the text instead of beside it (beside
it, at 80 columns, it left 32 columns of text)."""
SHORT = 24
"""Below this many rows the header is two rows (the title; the date, tags and state), and the
legend one line with no blank row under it (at 60x20 it wrapped to three)."""


class Fitting:
    """Inline note bodies (I), the side panel on and off (b), narrow and short terminals."""

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [
        (0, "-narrow"),
        (NARROW, "-wide"),
    ]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-short"), (SHORT, "-tall")]

    if TYPE_CHECKING:  # provided by ReaderScreen (and `query_one`, `notify` by its Screen)

        @property
        def view(self) -> ArticleView: ...
        @property
        def notes_panel(self) -> NotesPanel: ...
        @property
        def entities_panel(self) -> EntitiesPanel: ...

        def action_toggle_panel(self, name: str) -> None: ...

    _last_panel = "notes"
    """The side panel `b` shows again: the one it hid last."""

    def action_toggle_inline(self) -> None:
        """Show note bodies under their paragraphs, or stop."""
        on = not self.view.inline_notes
        self.view.set_inline(on)
        self.notify(  # type: ignore[attr-defined]
            "Notes shown under their paragraphs." if on else "Notes shown in the margin only."
        )

    def action_toggle_side(self) -> None:
        """Hide the side panel shown (notes or entities), or show the one hidden last."""
        panels: dict[str, Widget] = {"notes": self.notes_panel, "entities": self.entities_panel}
        for name, panel in panels.items():
            if panel.display:
                panel.display = False
                self._last_panel = name
                self.view.focus()
                return
        self.action_toggle_panel(self._last_panel)

    def on_resize(self, event: events.Resize) -> None:
        compact = event.size.height < SHORT
        header = self.query_one(ArticleHeader)  # type: ignore[attr-defined]
        if header.compact != compact:
            header.compact = compact
            header.refresh_shown()
        self.query_one(Legend).set_one_line(compact)  # type: ignore[attr-defined]
