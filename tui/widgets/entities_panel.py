"""The entities panel: an article's entities by label; each opens to the other articles
in the library that mention it, and choosing one of those opens it."""

from __future__ import annotations

from itertools import groupby

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import UnknownNodeID

from store import Library
from store.core.models import ArticleSummary, EntityCount
from tui.messages import OpenArticle
from tui.render import DEFAULT_COLOUR, ENTITY_COLOURS
from tui.widgets.failures import ReportsFailures
from tui.widgets.keys import VIM_CURSOR

NodeData = EntityCount | str | None  # an entity, an article id, or a label heading


class EntitiesPanel(ReportsFailures, Tree[NodeData]):
    """Entities of one article; enter on an entity lists other articles mentioning it."""

    HELP_TITLE = "Entities panel"
    BORDER_TITLE = "Entities"
    BINDINGS = [
        *VIM_CURSOR,
    ]

    class Loaded(Message):
        def __init__(self, article_id: str, entities: list[EntityCount]) -> None:
            super().__init__()
            self.article_id = article_id
            self.entities = entities

    class Mentions(Message):
        def __init__(self, node_id: int, articles: list[ArticleSummary]) -> None:
            super().__init__()
            self.node_id = node_id
            self.articles = articles

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Entities", id=id)
        self.show_root = False
        self.article_id: str | None = None
        self._lib: Library | None = None

    def load(self, lib: Library, article_id: str) -> None:
        """Fetch the entities of `article_id` (in a worker) and list them."""
        self._lib, self.article_id = lib, article_id
        self._fetch(lib, article_id)

    @work(thread=True, exclusive=True, group="entities", exit_on_error=False)
    def _fetch(self, lib: Library, article_id: str) -> None:
        self.post_message(self.Loaded(article_id, lib.entities(article_id)))

    @work(thread=True, exclusive=True, group="mentions", exit_on_error=False)
    def _fetch_mentions(
        self, lib: Library, node_id: int, entity: EntityCount, exclude: str
    ) -> None:
        found = lib.articles_mentioning(entity.text, entity.label, exclude=exclude)
        self.post_message(self.Mentions(node_id, found))

    @on(Loaded)
    def _show(self, event: Loaded) -> None:
        if event.article_id != self.article_id:
            return
        self.clear()
        if not event.entities:
            self.root.add_leaf(Text("No entities in this article.", style="italic"))
            return
        totals: dict[str, int] = {}
        for e in event.entities:
            totals[e.label] = totals.get(e.label, 0) + e.count
        ordered = sorted(
            event.entities, key=lambda e: (-totals[e.label], e.label, -e.count, e.text)
        )
        for label, group in groupby(ordered, key=lambda e: e.label):
            colour = ENTITY_COLOURS.get(label, DEFAULT_COLOUR)
            heading = Text.assemble((f" {label} ", f"#000000 on {colour}"), f" {totals[label]}")
            node = self.root.add(heading, expand=True)
            for entity in group:
                node.add(Text.assemble(entity.text, (f"  ×{entity.count}", "dim")), entity)
        self.move_cursor_to_line(0)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[NodeData]) -> None:
        event.stop()
        data = event.node.data
        if isinstance(data, EntityCount) and not event.node.children:
            if self._lib is not None and self.article_id is not None:
                self._fetch_mentions(self._lib, event.node.id, data, self.article_id)
        elif isinstance(data, str):
            self.post_message(OpenArticle(data))

    @on(Mentions)
    def _show_mentions(self, event: Mentions) -> None:
        try:
            node = self.get_node_by_id(event.node_id)  # type: ignore[arg-type]
        except UnknownNodeID:  # the list was rebuilt meanwhile
            return
        node.remove_children()
        if not event.articles:
            node.add_leaf(Text("no other article mentions it", style="italic dim"))
        for summary in event.articles:
            node.add_leaf(Text.assemble(("→ ", "bold"), summary.title), summary.id)
        node.expand()
