"""Tree labels that end in "…" where the tree is too narrow for them.

Textual's Tree cuts a long label at its edge (or scrolls sideways): "no tags yet (t adds
one)" read "no tags yet (t adds on". A cut label ends in an ellipsis instead.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode


def guide_width(node: TreeNode[Any], guide_depth: int, show_root: bool) -> int:
    """Cells of guides before `node`'s label (as Textual's Tree draws them)."""
    depth = 0
    parent = node.parent
    while parent is not None:
        depth += 1
        parent = parent.parent
    return max(0, depth - (0 if show_root else 1)) * guide_depth


class CutLabels(Tree[Any]):
    """A Tree whose labels wider than it end in "…" (it never scrolls sideways)."""

    DEFAULT_CSS = """
    CutLabels {
        overflow-x: hidden;
    }
    """

    def render_label(self, node: TreeNode[Any], base_style: Style, style: Style) -> Text:
        label = super().render_label(node, base_style, style)
        room = self.scrollable_content_region.width
        room -= guide_width(node, self.guide_depth, self.show_root)
        if room > 0 and label.cell_len > room:
            label.truncate(room, overflow="ellipsis")
        return label

    def on_resize(self) -> None:
        self._invalidate()  # labels are cut to the width: cut them again
