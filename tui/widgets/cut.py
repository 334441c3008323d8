"""Tree labels that end in "…" where the tree is too narrow for them.

Textual's Tree cuts a long label at its edge (or scrolls sideways): "no tags yet (t adds
one)" read "no tags yet (t adds on". A cut label ends in an ellipsis instead.

Dim parts of a label (counts, aliases, hints) are drawn in `$gloss-muted-text` (tui.contrast),
a dimmer colour that still reads, not with Rich's dim, which halves the contrast; on the
cursor's row in the cursor's colour.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Span, Text
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


def undimmed(label: Text, undim: Style) -> None:
    """Give each dim part of `label` (its own style, its spans) the style `undim` instead."""

    def plain(style: str | Style) -> str | Style:
        parsed = Style.parse(style) if isinstance(style, str) else style
        return parsed + undim if parsed.dim else style

    label.style = plain(label.style)
    label.spans = [Span(s.start, s.end, plain(s.style)) for s in label.spans]


class CutLabels(Tree[Any]):
    """A Tree whose labels wider than it end in "…" (it never scrolls sideways)."""

    COMPONENT_CLASSES = {"cut-labels--muted"}
    DEFAULT_CSS = """
    CutLabels {
        overflow-x: hidden;
        & > .cut-labels--muted { color: $gloss-muted-text; }
        /* lines: 3:1 (tui.contrast.GUIDES); as specific as Tree's own rules */
        & > .tree--guides, & > .tree--guides-hover, & > .tree--guides-selected,
        &:focus > .tree--guides, &:focus > .tree--guides-hover,
        &:focus > .tree--guides-selected, &:light > .tree--guides,
        &:light > .tree--guides-hover, &:light > .tree--guides-selected,
        &:ansi > .tree--guides {
            color: $gloss-guide;
        }
    }
    """

    def render_label(self, node: TreeNode[Any], base_style: Style, style: Style) -> Text:
        label = super().render_label(node, base_style, style)
        undim = Style(dim=False)
        if node is not self.cursor_node:
            try:
                undim = self.get_component_rich_style("cut-labels--muted", partial=True) + undim
            except KeyError:  # not styled yet (Tree measures its labels when built)
                pass
        undimmed(label, undim)
        room = self.scrollable_content_region.width
        room -= guide_width(node, self.guide_depth, self.show_root)
        if room > 0 and label.cell_len > room:
            label.truncate(room, overflow="ellipsis")
        return label

    def on_resize(self) -> None:
        self._invalidate()  # labels are cut to the width: cut them again
