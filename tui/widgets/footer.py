"""The key bar: the keys of the focused widget and its screen, on one line at the bottom.

It looks like Textual's Footer but is one widget drawing one line of text. Footer mounts a
widget per key and re-mounts and restyles them all after every change of focus or bindings:
that cost more than anything else gloss did when starting or opening an article. Here a
change of keys repaints one line, and only when the keys shown differ. Keys stay clickable.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True)
class KeyItem:
    """One key as shown: what to press, how it is written, what it does."""

    key: str
    display: str
    description: str
    enabled: bool = True


class KeyBar(Widget):
    """The shown bindings of the screen and its focused widget, the palette key on the right."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--separator",
        "key-bar--hover",
    }
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $gloss-key-description-text;
        background: $footer-background;
        & > .key-bar--key {
            color: $gloss-key-text;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $gloss-key-description-text;
            background: $footer-description-background;
        }
        & > .key-bar--separator { color: $gloss-key-separator; }
        & > .key-bar--hover { background: $block-hover-background; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: tuple[KeyItem, ...] = ()
        """The keys shown on the left, in binding order."""
        self.palette: KeyItem | None = None
        """The command palette's key, shown on the right."""
        self._regions: list[tuple[int, int, KeyItem]] = []
        self._hover: KeyItem | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        items, palette = self._collect(screen)
        if (items, palette) != (self.items, self.palette):
            self.items, self.palette = items, palette
            self.refresh()

    def _collect(self, screen: Screen) -> tuple[tuple[KeyItem, ...], KeyItem | None]:
        """The keys to show, as Textual's Footer picks them: one per action, in order."""
        app = self.app
        bindings = screen.active_bindings
        seen: set[str] = set()
        items: list[KeyItem] = []
        for key, (_, binding, enabled, _tooltip) in bindings.items():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                items.append(KeyItem(key, app.get_key_display(binding), binding.description,
                                     enabled))  # fmt: skip
        palette = None
        if app.ENABLE_COMMAND_PALETTE and (found := bindings.get(app.COMMAND_PALETTE_BINDING)):
            _, binding, enabled, _tooltip = found
            palette = KeyItem(binding.key, app.get_key_display(binding), binding.description,
                              enabled)  # fmt: skip
        return tuple(items), palette

    # -- drawing --------------------------------------------------------------------------------

    def _style(self, name: str, item: KeyItem) -> Style:
        style = self.get_component_rich_style(f"key-bar--{name}")
        if item == self._hover:
            style += self.get_component_rich_style("key-bar--hover", partial=True)
        return style + Style(dim=True) if not item.enabled else style

    def render(self) -> Text:
        width = self.size.width
        right = Text(no_wrap=True, end="")
        if self.palette is not None:
            right.append("▏", self.get_component_rich_style("key-bar--separator"))
            right.append(self.palette.display, self._style("key", self.palette))
            right.append(f" {self.palette.description}", self._style("description", self.palette))
            right.append(" ")
        room = max(0, width - right.cell_len)
        left = Text(no_wrap=True, end="")
        regions: list[tuple[int, int, KeyItem]] = []
        for i, item in enumerate(self.items):
            entry = Text.assemble(
                (f" {item.display} ", self._style("key", item)),
                (f"{item.description} ", self._style("description", item)),
            )
            last = i == len(self.items) - 1
            if left.cell_len + entry.cell_len > (room if last else room - 1):
                left.append("…")  # whole keys only: the rest are in ? (help)
                break
            start = left.cell_len
            left.append_text(entry)
            regions.append((start, left.cell_len, item))
        if left.cell_len > room:
            left.truncate(room)
        left.pad_right(room - left.cell_len)
        self._regions = [(start, min(end, room), item) for start, end, item in regions
                         if start < room]  # fmt: skip
        if self.palette is not None:
            self._regions.append((room, width, self.palette))
        return left + right

    # -- the mouse ------------------------------------------------------------------------------

    def _item_at(self, x: int) -> KeyItem | None:
        return next((item for start, end, item in self._regions if start <= x < end), None)

    def on_click(self, event: events.Click) -> None:
        item = self._item_at(event.x)
        if item is None:
            return
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        item = self._item_at(event.x)
        if item != self._hover:
            self._hover = item
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()
