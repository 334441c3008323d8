"""Round 2, tags and search: one tag rule everywhere (the dialog, search, the sidebar and
`gloss list`), and search that ranks the word itself above words sharing only its stem."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table
from textual.widgets import Static

from tests.tui.conftest import opened, settle
from tests.tui.test_library import article_list, choose_in_sidebar
from tui.app import GlossApp
from tui.screens.help import HelpScreen
from tui.screens.modals import TagEditor
from tui.screens.search import SearchScreen

SIZE = (120, 40)
MUSEUM = "Porto’s Riverside Tile Museum Reopens After Four-Year Restoration"
ECB = "European Central Bank Holds Rates as Eurozone Inflation Cools"  # tagged world/europe
FLOOD = "Volunteers rescue 40 residents"  # (its title starts so) "…launched inflatable boats…"


@pytest.fixture(autouse=True)
def no_debounce(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SearchScreen, "DEBOUNCE", 0)


async def test_a_tag_typed_in_the_dialog_is_found_by_search_sidebar_and_cli(
    lib_path: Path, gloss
) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = article_list(app)
        titles = [listing.summary_at(i).title for i in range(listing.count)]  # type: ignore[union-attr]
        listing.cursor = titles.index(MUSEUM)
        await pilot.press("t")
        assert isinstance(app.screen, TagEditor)
        await pilot.press(*"World / Asia, Big Museums", "enter")
        await settle(pilot)
        with opened(lib_path) as lib:
            museum = next(a for a in lib.list_articles() if a.title == MUSEUM)
            assert museum.tags == ("big-museums", "world/asia")

        # search: tag:world is world and every tag below it; tag:=world only world itself
        await pilot.press("slash")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        screen.query_input.value = "tag:world"
        await settle(pilot)
        assert sorted(h.title for h in screen.hits.hits) == [ECB, MUSEUM]
        screen.query_input.value = "tag:big-museums"
        await settle(pilot)
        assert [h.title for h in screen.hits.hits] == [MUSEUM]
        screen.query_input.value = "tag:=world"
        await settle(pilot)
        assert screen.hits.hits == ()
        await pilot.press("escape")
        await settle(pilot)

        # the sidebar: world holds asia and europe, and lists both articles
        choose_in_sidebar(app, "world")
        node = app.screen.query_one("Sidebar").cursor_node  # type: ignore[attr-defined]
        assert sorted(str(c.label).split("  ")[0] for c in node.children) == ["asia", "europe"]
        await pilot.press("enter")
        await settle(pilot)
        listing = article_list(app)
        assert sorted(listing.summary_at(i).title for i in range(listing.count)) == [ECB, MUSEUM]  # type: ignore[union-attr]

    # the command line
    code, out, err = gloss("list", "--tag", "world", "--json", db=lib_path)
    assert (code, err) == (0, "")
    assert sorted(a["title"] for a in json.loads(out)) == [ECB, MUSEUM]
    code, out, err = gloss("list", "--tag", "=world", "--json", db=lib_path)
    assert (code, json.loads(out)) == (0, [])
    code, out, err = gloss("search", "tag:World / Asia", "--json", db=lib_path)
    assert code == 2  # a tag with spaces in a query needs quotes…
    code, out, err = gloss("search", 'tag:"World / Asia"', "--json", db=lib_path)
    assert (code, [h["title"] for h in json.loads(out)]) == (0, [MUSEUM])  # …and then normalises


async def test_the_dialog_removes_with_a_minus_and_keeps_slashes(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = article_list(app).current
        assert first is not None
        await pilot.press("t", *"Big Museums, news / local", "enter")
        await settle(pilot)
        await pilot.press("t", *"-big museums", "enter")
        await settle(pilot)
        with opened(lib_path) as lib:
            assert lib.summary(first.id).tags == ("news/local",)


async def test_help_states_the_tag_rule(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=200, file=io.StringIO())
        for static in app.screen.query(Static):  # (all of it, scrolled or not)
            content = static.content
            console.print(content if isinstance(content, Table) else str(content))
        text = console.file.getvalue()  # type: ignore[attr-defined]
        assert "t adds world/asia, big-museums" in text
        assert "world only (tag:=world, --tag)" in text


async def test_search_ranks_the_word_first_and_equals_is_exact(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        assert "=inflation" in str(screen.query_one("#search-help", Static).visual)
        screen.query_input.value = "inflation"  # "inflation" in the ECB article, "inflatable"
        await settle(pilot)  # in the flood rescue: the same stem, inflat
        titles = [h.title for h in screen.hits.hits]
        assert titles[0] == ECB and len(titles) == 2 and titles[1].startswith(FLOOD)
        screen.query_input.value = "=inflation"
        await settle(pilot)
        assert [h.title for h in screen.hits.hits] == [ECB]
        screen.query_input.value = "=inflatable"
        await settle(pilot)
        hits = screen.hits.hits
        assert len(hits) == 1 and hits[0].title.startswith(FLOOD)
        assert [hits[0].snippet[s:e] for s, e in hits[0].marks] == ["inflatable"]
