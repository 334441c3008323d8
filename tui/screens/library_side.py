"""The library's sidebar on and off (b), and hidden at first on narrow terminals.

A mixin of `LibraryScreen`, split out to keep the screen short. Below NARROW columns the
sidebar starts hidden (it took 26 of 60 columns, leaving 13 for titles); `b` shows or hides
it at any width. The looks are screen classes styled in gloss.tcss.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from tui.widgets.article_list import ArticleList
    from tui.widgets.sidebar import Sidebar

NARROW = 70
"""Below this many columns the sidebar is hidden until `b` shows it."""


class SideToggle:
    """`b`: hide or show the sidebar."""

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [
        (0, "-narrow"),
        (NARROW, "-wide"),
    ]

    if TYPE_CHECKING:  # provided by LibraryScreen (and the class methods by its Screen)

        @property
        def sidebar(self) -> Sidebar: ...
        @property
        def articles(self) -> ArticleList: ...

        def set_class(self, add: bool, *names: str) -> object: ...

    def action_toggle_sidebar(self) -> None:
        shown = not self.sidebar.display
        self.set_class(shown, "-side-on")
        self.set_class(not shown, "-side-off")
        if not shown and self.sidebar.has_focus:
            self.articles.focus()
