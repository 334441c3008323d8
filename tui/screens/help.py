"""The help screen: every key binding of the screen it was opened from."""

from __future__ import annotations

import re

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from tui.screens import DIALOGS_CSS

Section = tuple[str, list[tuple[str, str]]]

# The one tag rule (store.core.tags), the same in the dialog, the sidebar, search and the CLI.
TAG_RULE: Section = (
    "Tags",
    [
        ("World / Asia, Big Museums", "t adds world/asia, big-museums"),
        ("-draft", "t: a leading - removes the tag"),
        ("world", "world and world/… (sidebar, tag:)"),
        ("=world", "world only (tag:=world, --tag)"),
    ],
)


def _title(node: DOMNode) -> str:
    title = getattr(node, "HELP_TITLE", None)
    if title:
        return title
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", type(node).__name__).split()
    return " ".join([words[0], *(w.lower() for w in words[1:])])  # FindInput: "Find input"


# Textual's own bindings a gloss widget inherits (a Tree's, a Screen's, the App's) that a
# reader uses, in gloss's words; the rest (a tree's shift+arrows, an input's editing keys,
# horizontal scrolling) are Textual's mechanics, not gloss's keys, and are not listed.
_TEXTUAL = {
    "cursor_up": "Up",
    "cursor_down": "Down",
    "scroll_up": "Up",
    "scroll_down": "Down",
    "first": "First",
    "last": "Last",
    "scroll_home": "First",
    "scroll_end": "Last",
    "page_up": "Page up",
    "page_down": "Page down",
    "select": "Select",
    "select_cursor": "Select",
    "toggle_node": "Expand or collapse",
    "focus_next": "Next pane",
    "focus_previous": "Previous pane",
    "command_palette": "Command palette",
    "quit": "Quit",
    # its ctrl+c, said as it behaves: with no text selected it copies nothing and only says
    # how to quit
    "copy_text": "Copy mouse-selected text (none: how to quit)",
}


def _own(node: DOMNode) -> tuple[set[str], dict[str, str]]:
    """The ids and (key, action) pairs of the bindings gloss's own classes of `node` declare
    (not those inherited from Textual's), and each of their actions' words."""
    marks: set[str] = set()
    words: dict[str, str] = {}
    for cls in reversed(type(node).__mro__):
        if cls.__module__.startswith("tui."):
            for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", [])):
                marks.add(f"{binding.key} {binding.action}")
                if binding.id:
                    marks.add(binding.id)
                if binding.description:
                    words[binding.action] = binding.description
    return marks, words


def collect_bindings(screen: Screen) -> list[Section]:
    """Bindings of the screen, its focused widget, every other gloss widget on it, and the
    app, in that order; keys bound to the same action are shown together. A text box's own
    editing keys are not listed (a focused find box shows only gloss's keys on it)."""
    nodes: list[DOMNode] = [screen]
    if screen.focused is not None:
        nodes.append(screen.focused)
    nodes += [n for n in screen.query("*") if type(n).__module__.startswith("tui.")]
    nodes.append(screen.app)
    sections: list[Section] = []
    for node in dict.fromkeys(nodes):
        marks, words = _own(node)
        typing = isinstance(node, Input)  # (its editing keys are the box's, not gloss's)
        grouped: dict[str, list[str]] = {}
        bound = node._bindings.copy()
        bound.apply_keymap(screen.app._keymap)  # the keys as the config rebinds them
        for bindings in bound.key_to_bindings.values():
            for binding in bindings:
                if not binding.description:
                    continue
                if binding.id in marks or f"{binding.key} {binding.action}" in marks:
                    description = binding.description
                elif binding.action in words:  # a Textual key for a gloss action: its words
                    description = words[binding.action]
                elif typing:
                    continue
                else:
                    description = _TEXTUAL.get(binding.action.rpartition(".")[2], "")
                    if not description:
                        continue
                display = screen.app.get_key_display(binding)
                grouped.setdefault(description, []).append(display)
        rows = [(" / ".join(dict.fromkeys(keys)), desc) for desc, keys in grouped.items()]
        if rows:
            sections.append((_title(node), rows))
    return sections


class HelpScreen(ModalScreen[None]):
    """Lists key bindings; esc, q, ? or F1 closes it."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close help", id="help.close")]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        """A heading per section, then its keys in one column and what they do in the next
        (a long description wraps within its column, under its own first line)."""
        with VerticalScroll(classes="dialog help"):
            yield Static(Content.styled("Keys", "bold $gloss-accent-text"))
            for title, rows in [*self.sections, TAG_RULE]:
                yield Static(Content.styled(title, "bold $gloss-primary-text"), classes="heading")
                grid = Table.grid(padding=(0, 2, 0, 0), pad_edge=False)
                grid.add_column(no_wrap=True, style="bold")
                grid.add_column(overflow="fold")
                for keys, description in rows:
                    grid.add_row(Text(keys), Text(description))
                yield Static(grid, classes="keys")

    def action_close(self) -> None:
        self.dismiss(None)
