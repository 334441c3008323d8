"""The library's entities, ranked as `gloss entities`: names (PERSON, ORG, GPE, ...) by the
number of articles mentioning them; numbers, dates and the other values only with the
toggle (a). Enter opens an entity's page; an article chosen there opens in the reader."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from store import Library
from store.core.models import EntityCount, Filter
from tui.contrast import MUTED
from tui.render import entity_style
from tui.screens import ENTITIES_CSS
from tui.widgets.failures import ReportsFailures
from tui.widgets.footer import KeyBar
from tui.widgets.keys import VIM_CURSOR
from tui.widgets.plain_cursor import PlainCursor
from tui.words import plural

LIMIT = 500
"""Entities listed (the most mentioned)."""


class EntityRanking(PlainCursor):
    """The ranked entities; j/k move as the arrows do."""

    HELP_TITLE = "Entities"
    BINDINGS = [*VIM_CURSOR]


def entity_prompt(c: EntityCount) -> Content:
    """`   12  PERSON  Xi Jinping  (30 mentions)`, the name as plain text."""
    return Content.assemble(
        (f"{c.articles:>6,}  ", "bold"), (f" {c.label} ", entity_style(c.label)), "  ",
        c.text, (f"  ({plural(c.count, 'mention')})", MUTED),
    )  # fmt: skip


class EntitiesScreen(ReportsFailures, Screen[None]):
    """Every entity of the library, the most widespread first."""

    CSS_PATH = ENTITIES_CSS
    HELP_TITLE = "Entities"
    BINDINGS = [
        Binding("escape,q", "back", "Back", id="entities.back"),
        Binding("a", "toggle_values", "Numbers and dates", id="entities.toggle_values"),
    ]

    class Loaded(Message):
        def __init__(self, all_labels: bool, entities: list[EntityCount]) -> None:
            super().__init__()
            self.all_labels = all_labels
            self.entities = entities

    def __init__(self, lib: Library) -> None:
        super().__init__()
        self.lib = lib
        self.all_labels = False
        """Whether numbers, dates and the other values are listed too."""
        self.entities: list[EntityCount] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="entities-top"):
            yield Static(Content.styled("Entities in the library", "bold"), id="entities-head")
        yield EntityRanking(id="entities-list")
        yield KeyBar()

    @property
    def listing(self) -> EntityRanking:
        return self.query_one(EntityRanking)

    def on_mount(self) -> None:
        self.listing.focus()
        self._fetch(self.lib, self.all_labels)

    @work(thread=True, exclusive=True, group="entities-list", exit_on_error=False)
    def _fetch(self, lib: Library, all_labels: bool) -> None:
        self.post_message(self.Loaded(all_labels, lib.entities(None, None, LIMIT, all_labels)))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        if event.all_labels != self.all_labels:
            return  # toggled again meanwhile
        self.entities = event.entities
        what = "names and values" if self.all_labels else "names"
        more = "a: names only" if self.all_labels else "a: numbers and dates too"
        self.query_one("#entities-head", Static).update(Content.assemble(
            ("Entities in the library", "bold"), "  ",
            (f"{len(self.entities):,} {what}, by the number of articles mentioning them"
             f" · {more}", MUTED),
        ))  # fmt: skip
        listing = self.listing
        listing.set_options(
            [Option(entity_prompt(c), id=str(i)) for i, c in enumerate(self.entities)]
            or [Option(Content.styled("No entities in the library.", "italic"), disabled=True)]
        )
        if self.entities:
            listing.highlighted = 0

    def action_toggle_values(self) -> None:
        self.all_labels = not self.all_labels
        self._fetch(self.lib, self.all_labels)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is None:
            return
        c = self.entities[int(event.option.id)]
        from tui.screens.entity_page import EntityPageScreen

        self.app.push_screen(EntityPageScreen(self.lib, c.text, c.label), self._chosen)

    async def _chosen(self, target: tuple[str, int] | None) -> None:
        """An entity page chose an article: read it there (esc comes back here)."""
        if target is None:
            return
        from tui.screens.reader import open_reader

        article_id, at = target
        await open_reader(self.app, self.lib, article_id, Filter(), self._read, at)

    def _read(self, article_id: str | None) -> None:
        self.listing.focus()

    def action_back(self) -> None:
        self.dismiss(None)
