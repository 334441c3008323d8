"""The entities panel: an article's entities, one row per group (its canonical name, label,
mentions and the other ways the text writes it); enter on one opens its entity page."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import Tree

from tui.groups import GroupRow, ranked_groups
from tui.render import entity_style
from tui.widgets.keys import VIM_CURSOR

ALIASES_SHOWN = 4
"""Other spellings shown on a row (then "…")."""


def group_line(g: GroupRow) -> Text:
    """One row: `Xi Jinping  PERSON  12  (Xi, Xi's)`, the name and aliases as plain text."""
    line = Text.assemble(g.canonical, "  ", (f" {g.label} ", entity_style(g.label)))
    line.append(f"  {g.count}", style="bold")
    if g.aliases:
        shown = ", ".join(g.aliases[:ALIASES_SHOWN])
        more = ", …" if len(g.aliases) > ALIASES_SHOWN else ""
        line.append(f"  ({shown}{more})", style="dim")
    return line


class EntitiesPanel(Tree[GroupRow | None]):
    """The groups of one article; enter on one asks for its entity page (OpenEntity)."""

    HELP_TITLE = "Entities panel"
    BORDER_TITLE = "Entities"
    BINDINGS = [
        *VIM_CURSOR,
    ]

    class OpenEntity(Message):
        """Open the entity page of this group (its canonical name and label)."""

        def __init__(self, name: str, label: str) -> None:
            super().__init__()
            self.name = name
            self.label = label

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Entities", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.article_id: str | None = None

    def show(self, article_id: str, groups: Sequence[GroupRow]) -> None:
        """List the groups of `article_id` (label by label, the most mentioned first)."""
        self.article_id = article_id
        self.clear()
        if not groups:
            self.root.add_leaf(Text("No entities in this article.", style="italic"))
            return
        for g in ranked_groups(groups):
            self.root.add_leaf(group_line(g), g)
        self.move_cursor_to_line(0)

    def show_loading(self) -> None:
        """Show that another article's groups are coming (none of the one being left)."""
        self.article_id = None
        self.clear()
        self.root.add_leaf(Text("Loading…", style="italic"))

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[GroupRow | None]) -> None:
        event.stop()
        if (g := event.node.data) is not None:
            self.post_message(self.OpenEntity(g.canonical, g.label))
