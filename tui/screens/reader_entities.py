"""The reader's entities: the entity page of a group (from the entities panel, or of the
mention under the cursor: p), and opening the article an entity page chose, at its mention.

A mixin of `ReaderScreen`, as `reader_notes.Annotating` is; handlers are named
`on_<message>` because `@on` handlers of a class that is not a widget are not collected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from store import Library
from store.core.models import Article
from tui.groups import GroupRow, group_at
from tui.widgets.entities_panel import EntitiesPanel

if TYPE_CHECKING:
    from tui.widgets.article_view import ArticleView


class EntityPages:
    """p: the entity page of the mention under the cursor; the panel's OpenEntity."""

    if TYPE_CHECKING:  # provided by ReaderScreen (and `app`, `notify` by its Screen)
        lib: Library
        article: Article | None
        article_id: str
        groups: list[GroupRow]
        _start_at: int | None

        @property
        def view(self) -> ArticleView: ...

        @property
        def entities_panel(self) -> EntitiesPanel: ...

        def _jump(self, article_id: str, at: int) -> None: ...

    def _groups_here(self) -> list[GroupRow]:
        """The groups with a mention in the selected passage (or the cursor's sentence)."""
        found = self.view.selection_range()
        return group_at(self.groups, *found) if found else []

    def _pick_group(self, heading: str, then: Callable[[GroupRow], None]) -> None:
        """Call `then` with the passage's group: the only one, or the one chosen."""
        here = self._groups_here()
        if not here:
            self.notify("No entity in this passage.", severity="warning")  # type: ignore[attr-defined]
            return
        if len(here) == 1:
            then(here[0])
            return
        from tui.screens.entity_dialogs import ChoiceScreen, group_prompt

        def chosen(index: int | None) -> None:
            if index is not None:
                then(here[index])

        screen = ChoiceScreen(heading, [group_prompt(g) for g in here])
        self.app.push_screen(screen, chosen)  # type: ignore[attr-defined]

    def action_entity_page(self) -> None:
        self._pick_group("Entity page of", lambda g: self.open_entity(g.canonical, g.label))

    def on_entities_panel_open_entity(self, event: EntitiesPanel.OpenEntity) -> None:
        event.stop()
        self.open_entity(event.name, event.label)

    def open_entity(self, name: str, label: str | None) -> None:
        """Push the entity page of `name` (with `label`)."""
        from tui.screens.entity_page import EntityPageScreen

        self.app.push_screen(EntityPageScreen(self.lib, name, label), self._entity_chosen)  # type: ignore[attr-defined]

    def _entity_chosen(self, target: tuple[str, int] | None) -> None:
        """The entity page chose an article: show it here, the cursor on the mention."""
        if target is None:
            return
        article_id, at = target
        self._jump(article_id, at)  # (reader_nav: esc comes back)
