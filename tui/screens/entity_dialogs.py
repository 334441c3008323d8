"""The reader's entity dialogs: choose one of a passage's entities, and the corrections
menu (change the label, remove, mark text as an entity, merge into another entity, split
out, rename, reset), keyboard only.

Entity names and passages are data: every prompt is `Content` built from plain strings.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.contrast import MUTED
from tui.groups import GroupRow
from tui.render import entity_style
from tui.screens import DIALOGS_CSS
from tui.widgets.keys import VIM_CURSOR
from tui.widgets.plain_cursor import PlainCursor


class Choices(PlainCursor):
    BINDINGS = [*VIM_CURSOR]


def group_prompt(g: GroupRow) -> Content:
    """`Xi Jinping  PERSON  12 mentions (Xi, Xi's)`."""
    parts: list[Content | str | tuple[str, str]] = [
        g.canonical, "  ", (f" {g.label} ", entity_style(g.label)),
        (f"  {g.count} mention{'s' if g.count != 1 else ''}", MUTED),
    ]  # fmt: skip
    if g.aliases:
        parts.append((f"  ({', '.join(g.aliases[:4])})", MUTED))
    return Content.assemble(*parts)


class ChoiceScreen(ModalScreen["int | None"]):
    """Choose one of `prompts` (enter); esc chooses none. Dismissed with its index."""

    CSS_PATH = DIALOGS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(self, heading: str, prompts: Sequence[Content]) -> None:
        super().__init__()
        self.heading = heading
        self.prompts = list(prompts)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content.styled(self.heading, "bold"))
            yield Choices(*(Option(p, id=str(i)) for i, p in enumerate(self.prompts)),
                          id="choices")  # fmt: skip
            yield Static(Content.styled("enter choose · esc cancel", MUTED))

    def on_mount(self) -> None:
        choices = self.query_one(Choices)
        choices.focus()
        choices.highlighted = 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ValuePrompt(ModalScreen["str | None"]):
    """Ask for one value (a label, a name, a passage's words); enter gives it, esc none.
    With `suggestions`, the last word typed is completed from them (→ or tab)."""

    CSS_PATH = DIALOGS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="value_prompt.cancel")]

    def __init__(
        self, heading: str, hint: str = "", value: str = "", suggestions: Sequence[str] = ()
    ) -> None:
        super().__init__()
        self.heading = heading
        self.hint = hint
        self.value = value
        self.suggestions = tuple(suggestions)

    def compose(self) -> ComposeResult:
        from tui.screens.modals import TagInput, TagSuggester

        with Vertical(classes="dialog"):
            yield Label(Content.styled(self.heading, "bold"))
            if self.hint:
                yield Static(Content(self.hint), classes="muted")
            suggester = TagSuggester(self.suggestions) if self.suggestions else None
            yield TagInput(self.value, suggester=suggester, id="value")

    def on_mount(self) -> None:
        self.query_one("#value").focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
