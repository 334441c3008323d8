"""Saved links in the TUI: the sidebar's Saved links view, and a link opened in the reader
(said to be one, not marked read); exports imported from the palette."""

from __future__ import annotations

import types
from pathlib import Path

from store.core.models import Filter
from store.ingest.services.apply import import_export
from store.ingest.services.record import Highlight, Saved
from tests.tui.conftest import opened, settle
from tests.tui.test_library import SIZE, article_list, choose_in_sidebar
from tests.tui.test_reader import open_article
from tui.app import GlossApp
from tui.widgets.sidebar import Sidebar


def save_links(path: Path, *entries: Saved) -> list[str]:
    module = types.ModuleType("reader")
    module.LABEL = "Test"  # type: ignore[attr-defined]
    module.read = lambda _path: iter(entries)  # type: ignore[attr-defined]
    with opened(path) as lib:
        report = import_export(lib.handle, module, Path("export"))
        return [r.article_id for r in report.results]  # type: ignore[misc]


def sidebar_labels(app: GlossApp) -> list[str]:
    sidebar = app.screen.query_one(Sidebar)
    return [str(sidebar.get_node_at_line(i).label) for i in range(sidebar.last_line + 1)]  # type: ignore[union-attr]


async def test_saved_links_view_and_a_link_in_the_reader(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not any(label.startswith("Saved links") for label in sidebar_labels(app))
    (link,) = save_links(
        lib_path,
        Saved("row 1", url="https://later.example/read-me", title="Read me [bold]later[/]",
              highlights=[Highlight("a quote from the page")]),
    )  # fmt: skip
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Saved links  1" in sidebar_labels(app)
        choose_in_sidebar(app, "Saved links")
        await pilot.press("enter")
        await settle(pilot)
        listing = article_list(app)
        assert [listing.summary_at(i).id for i in range(listing.count)] == [link]  # type: ignore[union-attr]
        choose_in_sidebar(app, "All")
        await pilot.press("enter")
        await settle(pilot)
        screen = await open_article(pilot, lib_path, link)
        assert screen.article is not None and screen.article.text == "https://later.example/read-me"
        messages = [n.message for n in app._notifications]
        assert any(
            m.startswith("A saved link: only its address is here.")
            and f"gloss fetch {link[:8]}" in m
            and m.endswith("; 1 highlight waits for it.")
            for m in messages
        ), messages
    with opened(lib_path) as lib:
        assert not lib.get_article(link).summary.read  # opening a link does not read it
        assert [a.id for a in lib.list_articles(Filter(links=True))] == [link]


async def test_palette_import_of_an_export(lib_path: Path, tmp_path: Path) -> None:
    from tests.tui.conftest import no_model
    from tui.screens.library import LibraryScreen
    from tui.screens.modals import PathPrompt

    export = tmp_path / "ril_export.html"
    export.write_text(
        "<!DOCTYPE html><html><head><title>Pocket Export</title></head><body>"
        '<h1>Unread</h1><ul><li><a href="https://tides.example/almanac" time_added='
        '"1700000000" tags="sea">The almanac</a></li></ul>'
        "<h1>Read Archive</h1><ul></ul></body></html>",
        encoding="utf-8",
    )
    app = GlossApp(lib_path)
    with no_model():
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"Import a folder")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, PathPrompt)
            await pilot.press(*str(export), "enter")
            await settle(pilot, rounds=10)
            assert isinstance(app.screen, LibraryScreen)
            messages = [n.message for n in app._notifications]
            assert any(
                m.startswith("Pocket: 1 saved link, 0 already in library") for m in messages
            ), messages
            assert "Saved links  1" in sidebar_labels(app)
            assert article_list(app).count == 6
