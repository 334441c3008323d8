"""Key bindings several widgets share."""

from __future__ import annotations

from textual.binding import Binding

# j/k move a Tree's or OptionList's cursor, as the arrows do.
VIM_CURSOR = [
    Binding("j", "cursor_down", "Down", show=False, id="lists.down"),
    Binding("k", "cursor_up", "Up", show=False, id="lists.up"),
]
