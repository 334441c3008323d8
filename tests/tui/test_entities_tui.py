"""Entity intelligence in the TUI (#15): groups in the reader, the entity page and the
library's entity list, and corrections made in the reader."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from tests.tui.conftest import screen_text, settle
from tests.tui.test_reader import PUTIN, SIZE, open_article, view_of
from tui.app import GlossApp
from tui.groups import GroupRow
from tui.widgets.article_view import ArticleView, entity_style
from tui.widgets.entities_panel import EntitiesPanel

PERSON_BG = "#aa9cfc"


def panel_rows(panel: EntitiesPanel) -> list[GroupRow]:
    return [n.data for n in panel.root.children if n.data is not None]


async def open_panel(pilot: Pilot) -> EntitiesPanel:
    await pilot.press("E")
    await settle(pilot)
    panel = pilot.app.screen.query_one(EntitiesPanel)
    assert pilot.app.focused is panel
    return panel


def styles_at(view: ArticleView, start: int, end: int) -> list[object]:
    """The styles the view gives the span [start, end) (on any row)."""
    return [st for spans in view._spans.values() for s, e, st in spans
            if (s, e) == (start, end)]  # fmt: skip


async def test_the_panel_lists_one_row_per_group(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, PUTIN)
        panel = await open_panel(pilot)
        rows = [(g.canonical, g.label, g.count, g.aliases) for g in panel_rows(panel)]
        assert rows[:4] == [
            ("Xi Jinping", "PERSON", 12, ("Xi", "Xi Jinping’s")),
            ("China", "GPE", 7, ()),
            ("Russia", "GPE", 7, ()),
            ("Russian", "NORP", 5, ()),
        ]
        assert [r for r in rows if r[0] in ("Vladimir Putin", "Andrei Denisov")] == [
            ("Vladimir Putin", "PERSON", 5, ("Putin",)),
            ("Andrei Denisov", "PERSON", 2, ("Denisov",)),
        ]
        assert sum(1 for r in rows if r[0] == "Xi Jinping") == 1
        assert "Xi Jinping   PERSON   12  (Xi, Xi Jinping’s)" in screen_text(pilot)


async def test_mentions_take_their_groups_colour_and_the_legend_counts_groups(
    lib_path: Path,
) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, PUTIN)
        text = screen.article.text  # type: ignore[union-attr]
        at = text.index("Uzbekistan", 1000)  # the model calls this one ORG
        org = [e for e in screen.article.entities if e.start == at]  # type: ignore[union-attr]
        assert [(e.label, e.canonical) for e in org] == [("ORG", "Uzbekistan")]
        view = view_of(pilot)
        assert styles_at(view, at, at + 10) == [entity_style("GPE")]  # its group's colour
        assert screen._labels() == [
            ("DATE", 14), ("GPE", 10), ("ORG", 10), ("CARDINAL", 5),
            ("PERSON", 5), ("NORP", 4), ("LOC", 2), ("ORDINAL", 2),
        ]  # fmt: skip
        assert "1\xa0\xa0DATE\xa014" in screen_text(pilot)
        await pilot.press("2")  # GPE off: every mention of a GPE group, this one too
        assert view.hidden_labels == {"GPE"}
        assert styles_at(view, at, at + 10) == []
        assert "GPE\xa010\xa0off" in screen_text(pilot)
        await pilot.press("2")
        assert styles_at(view, at, at + 10) == [entity_style("GPE")]
