"""The library sidebar: views (All, Unread, Starred, Annotated, Saved links), the tag tree,
and feeds."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from store.core.models import Filter
from tui.widgets.cut import CutLabels

VIEWS: list[tuple[str, str, Filter]] = [
    ("All", "articles", Filter()),
    ("Unread", "unread", Filter(unread=True)),
    ("Starred", "starred", Filter(starred=True)),
    ("Annotated", "annotated", Filter(annotated=True)),
    ("Saved links", "links", Filter(links=True)),  # shown when there are some
]


def tag_tree(tags: list[tuple[str, int]]) -> dict[str, Any]:
    """Nest `world/asia` under `world`: {name: (count or None, children)}."""
    root: dict[str, Any] = {}
    for tag, count in tags:
        level = root
        parts = tag.split("/")
        for i, part in enumerate(parts):
            known, children = level.get(part, (None, {}))
            level[part] = (count if i == len(parts) - 1 else known, children)
            level = children
    return root


class Sidebar(CutLabels, Tree[Filter]):
    """Choosing a node filters the article list to it."""

    HELP_TITLE = "Sidebar"
    DEFAULT_CSS = """
    Sidebar {
        width: 26;
        height: 1fr;
        background: $panel;
        color: $gloss-panel-text;
        padding: 0 1;
        & > .tree--cursor {
            color: $gloss-cursor-blurred-text;
            background: $gloss-cursor-blurred-background;
        }
        &:focus > .tree--cursor {
            color: $gloss-cursor-text;
            background: $gloss-cursor-background;
        }
    }
    """
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="lists.down"),
        Binding("k", "cursor_up", "Up", show=False, id="lists.up"),
    ]

    class Chosen(Message):
        """Show the articles matching `filters`; `name` describes them."""

        def __init__(self, name: str, filters: Filter) -> None:
            super().__init__()
            self.name = name
            self.filters = filters

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("Library"), id=id)  # (a str label would load Rich's emoji table)
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = False  # enter filters; space folds
        self.chosen = Filter()
        self.feed_titles: dict[str, str] = {}

    def show(
        self,
        counts: dict[str, int],
        tags: list[tuple[str, int]],
        feeds: list[tuple[str, str, int]] = (),  # type: ignore[assignment]
    ) -> None:
        """Rebuild the nodes from fresh counts, keeping the cursor where it was; `feeds` are
        (id, title, unread count)."""
        line = self.cursor_line
        self.clear()
        for name, key, filters in VIEWS:
            if filters.links and not counts.get(key):
                continue
            self.root.add_leaf(self._label(name, counts.get(key)), filters)
        heading = self.root.add(Text("Tags", style="bold"), None, expand=True, allow_expand=False)
        if not tags:
            heading.add_leaf(Text("no tags (t adds one)", style="dim italic"), None)  # (fits in 26)
        self._add_tags(heading, tag_tree(tags), "")
        if feeds:
            section = self.root.add(Text("Feeds", style="bold"), None, expand=True,
                                    allow_expand=False)  # fmt: skip
            for fid, title, unread in feeds:
                label = Text(title[:40])
                if unread:
                    label.append(f"  {unread}", style="bold")
                section.add_leaf(label, Filter(feed=fid))
        self.feed_titles = {fid: title for fid, title, _ in feeds}
        self.move_cursor_to_line(max(0, line))

    def _add_tags(self, parent: TreeNode[Filter], level: dict[str, Any], prefix: str) -> None:
        for part in sorted(level):
            count, children = level[part]
            name = prefix + part
            label = self._label(part, count)
            if children:
                node = parent.add(label, Filter(tag=name), expand=True)
                self._add_tags(node, children, name + "/")
            else:
                parent.add_leaf(label, Filter(tag=name))

    @staticmethod
    def _label(name: str, count: int | None) -> Text:
        label = Text(name)
        if count is not None:
            label.append(f"  {count:,}")
        return label

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[Filter]) -> None:
        event.stop()
        data = event.node.data
        if data is None:  # the "Tags" heading or a placeholder
            return
        self.chosen = data
        views = {f: name for name, _, f in VIEWS}
        name = data.tag or self.feed_titles.get(data.feed or "") or views.get(data, "All")
        self.post_message(self.Chosen(name, data))
