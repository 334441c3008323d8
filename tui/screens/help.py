"""The help screen: every key binding of the screen it was opened from."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

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
    return getattr(node, "HELP_TITLE", None) or type(node).__name__


# Horizontal scrolling is bound by Textual's scrollable widgets but never needed in gloss.
_HIDDEN_ACTIONS = {"scroll_left", "scroll_right", "page_left", "page_right"}
# Textual's own words for its ctrl+c, said as it behaves: with no text selected it copies
# nothing and only says how to quit.
_DESCRIPTIONS = {"screen.copy_text": "Copy mouse-selected text (none: how to quit)"}


def collect_bindings(screen: Screen) -> list[Section]:
    """Bindings of the screen, its focused widget, every other gloss widget on it, and the
    app, in that order; keys bound to the same action are shown together."""
    nodes: list[DOMNode] = [screen]
    if screen.focused is not None:
        nodes.append(screen.focused)
    nodes += [n for n in screen.query("*") if type(n).__module__.startswith("tui.")]
    nodes.append(screen.app)
    sections: list[Section] = []
    for node in dict.fromkeys(nodes):
        grouped: dict[tuple[str, str], list[str]] = {}
        bound = node._bindings.copy()
        bound.apply_keymap(screen.app._keymap)  # the keys as the config rebinds them
        for bindings in bound.key_to_bindings.values():
            for binding in bindings:
                if binding.description and binding.action not in _HIDDEN_ACTIONS:
                    display = screen.app.get_key_display(binding)
                    description = _DESCRIPTIONS.get(binding.action, binding.description)
                    grouped.setdefault((binding.action, description), []).append(display)
        rows = [(" / ".join(dict.fromkeys(keys)), desc) for (_, desc), keys in grouped.items()]
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
        parts: list[Content | str | tuple[str, str]] = [("Keys", "bold $gloss-accent-text"), "\n"]
        for title, rows in [*self.sections, TAG_RULE]:
            parts += ["\n", (title, "bold $gloss-primary-text"), "\n"]
            width = max(len(k) for k, _ in rows)
            for keys, description in rows:
                parts += [("  " + keys.ljust(width) + "  ", "bold"), description, "\n"]
        with VerticalScroll(classes="dialog help"):
            yield Static(Content.assemble(*parts))

    def action_close(self) -> None:
        self.dismiss(None)
