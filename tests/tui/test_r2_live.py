"""Round 2, live: changes made elsewhere show while the app runs; every ] and [ counts; the
entities panel never shows the article left; background jobs show their progress."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual import events
from textual.message import Message

from store import Library
from tests.tui.conftest import insert_articles, opened, screen_text, settle
from tests.tui.test_reader import ECB, ids_in_order, open_article
from tui.app import GlossApp
from tui.messages import ArticleLoaded, OutsideChange
from tui.screens.library import LibraryScreen, StatsBar
from tui.screens.reader import ReaderScreen
from tui.widgets.article_list import ArticleList
from tui.widgets.notes_panel import NotesPanel
from tui.widgets.sidebar import Sidebar

SIZE = (80, 24)


def add_newer(lib: Library, count: int, start: int) -> None:
    """`count` articles imported after every other (they list first), as an import would."""
    insert_articles(lib, count, start)
    with lib.write() as conn:
        conn.execute(
            "UPDATE articles SET imported_at = '2027-01-01T00:00:00.000+00:00' WHERE title"
            " LIKE 'Generated article %' AND CAST(substr(title, 19) AS INTEGER) >= ?",
            (start,),
        )


def sidebar_text(app: GlossApp) -> str:
    sidebar = app.library_screen.query_one(Sidebar)
    return "\n".join(
        str(node.label) for line in range(sidebar.last_line + 1)
        if (node := sidebar.get_node_at_line(line)) is not None
    )  # fmt: skip


async def look(pilot, app: GlossApp) -> None:
    """Poll the library file now (as the timer does), then let the refresh finish."""
    worker = app.library_screen.check_outside()
    assert worker is not None
    await worker.wait()
    await settle(pilot)


async def test_another_processes_import_and_tag_show_with_the_cursor_kept(
    lib_path: Path,
) -> None:
    with opened(lib_path) as lib:
        insert_articles(lib, 100)  # older than the samples: listed after them
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.screen.query_one(ArticleList)
        listing.cursor = 3
        await pilot.pause()
        article = listing.current
        assert article is not None
        row = listing.cursor - round(listing.scroll_offset.y)
        with opened(lib_path) as other:  # as `gloss import` and `gloss tag` would
            add_newer(other, 40, 1000)
            other.tag(article.id, add=["elsewhere"])
        await look(pilot, app)
        assert app.library_screen.outside_changes == 1
        assert listing.current is not None and listing.current.id == article.id
        assert listing.cursor == 43
        assert listing.cursor - round(listing.scroll_offset.y) == row  # same row on screen
        assert "145 articles" in str(app.screen.query_one(StatsBar).render())
        assert "elsewhere" in sidebar_text(app)
        assert "elsewhere" in listing.current.tags


async def test_the_apps_own_writes_are_not_taken_for_outside_changes(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s", "r")  # star, read: written by the app's workers
        await settle(pilot)
        await look(pilot, app)
        assert app.library_screen.outside_changes == 0
        with opened(lib_path) as other:
            other.set_starred(ECB, True)
        await look(pilot, app)
        assert app.library_screen.outside_changes == 1


async def test_an_open_reader_shows_a_note_and_tag_added_elsewhere(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        await pilot.press("j", "j", "j", "n")  # the cursor on the fourth sentence; the notes
        await settle(pilot)
        cursor = screen.view.cursor
        assert cursor == 3
        assert screen.query_one(NotesPanel).notes == ()
        with opened(lib_path) as other:  # as `gloss note` and `gloss tag` would
            other.add_note(ECB, "written [bold]in the CLI[/bold]")
            other.tag(ECB, add=["from-cli"])
        await look(pilot, app)
        assert [n.body for n in screen.query_one(NotesPanel).notes] == [
            "written [bold]in the CLI[/bold]"
        ]
        assert screen.article is not None and "from-cli" in screen.article.summary.tags
        assert "#from-cli" in screen_text(pilot)
        assert screen.view.cursor == cursor
        # the library under the reader is fetched again when it is shown
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, LibraryScreen)
        assert "from-cli" in sidebar_text(app)


async def test_the_timer_notices_a_change_without_being_asked(lib_path: Path) -> None:
    seen = asyncio.Event()

    def hook(message: Message) -> None:
        if isinstance(message, OutsideChange):
            seen.set()

    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await settle(pilot)
        with opened(lib_path) as other:
            other.tag(ECB, add=["timely"])
        await asyncio.wait_for(seen.wait(), 30)  # (a guard against hanging, not a timing)
        await settle(pilot)
        assert "timely" in sidebar_text(app)


# -- ] and [: every press counts ------------------------------------------------------------


def press_at_once(app: GlossApp, key: str, times: int) -> None:
    """Queue `times` presses of `key` before the app handles any (a key held down, or typed
    faster than a step's worker answers)."""
    for _ in range(times):
        event = events.Key(key, None)
        event.set_sender(app)
        app._driver.send_message(event)  # type: ignore[union-attr]


async def test_five_quick_presses_move_five_articles(lib_path: Path) -> None:
    with opened(lib_path) as lib:
        insert_articles(lib, 20)  # listed after the five samples
    order = ids_in_order(lib_path)
    app = GlossApp(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_article(pilot, lib_path, order[2])
        press_at_once(app, "right_square_bracket", 5)
        await settle(pilot)
        assert screen.article is not None and screen.article.id == order[7]
        assert screen.view.article_id == order[7]
        press_at_once(app, "right_square_bracket", 3)
        press_at_once(app, "left_square_bracket", 5)
        await settle(pilot)
        assert screen.article.id == order[5]
        # the articles pressed past are not opened, so not marked read
    with opened(lib_path) as lib:
        assert [lib.summary(i).read for i in order[3:9]] == [False, False, True, False, True,
                                                             False]  # fmt: skip


async def test_presses_past_the_end_stop_at_the_last_article(lib_path: Path) -> None:
    order = ids_in_order(lib_path)
    app = GlossApp(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_article(pilot, lib_path, order[1])
        press_at_once(app, "right_square_bracket", 10)
        await settle(pilot)
        assert screen.article is not None and screen.article.id == order[-1]
        assert any("No next article" in n.message for n in app._notifications)


# -- the entities panel while moving ---------------------------------------------------------


def panel_lines(screen: ReaderScreen) -> list[str]:
    panel = screen.entities_panel
    return [str(node.label) for node in panel.root.children]


async def test_the_entities_panel_never_shows_the_article_being_left(lib_path: Path) -> None:
    order = ids_in_order(lib_path)
    app = GlossApp(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_article(pilot, lib_path, order[0])
        await pilot.press("E")  # the entity list
        await settle(pilot)
        before = panel_lines(screen)
        assert before and before != ["No entities in this article."]
        left = screen.article
        assert left is not None
        with screen._lock:  # the next article cannot be fetched yet
            await pilot.press("right_square_bracket")
            for worker in [w for w in screen.workers if w.group == "reader-step"]:
                await worker.wait()
            await pilot.pause()
            assert panel_lines(screen) == ["Loading…"]
            screen.post_message(ArticleLoaded(left))  # late news of the article left
            await pilot.pause()
            assert panel_lines(screen) == ["Loading…"]
        await settle(pilot)
        assert screen.article is not None and screen.article.id == order[1]
        after = panel_lines(screen)
        assert after and after != ["Loading…"] and after != before
        assert screen.entities_panel.article_id == order[1]


async def test_a_step_that_goes_nowhere_shows_the_panel_again(lib_path: Path) -> None:
    order = ids_in_order(lib_path)
    app = GlossApp(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_article(pilot, lib_path, order[0])
        await pilot.press("E")
        await settle(pilot)
        before = panel_lines(screen)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert screen.article is not None and screen.article.id == order[0]
        assert panel_lines(screen) == before


# -- background jobs show their progress -----------------------------------------------------


async def test_re_analyse_all_from_the_palette_shows_counts_until_done(lib_path: Path) -> None:
    with opened(lib_path) as lib:
        insert_articles(lib, 100)  # two batches of the model's work
        before = lib.get_article(ECB).entities
    shown: list[str] = []
    app = GlossApp(lib_path)

    def hook(message: Message) -> None:  # what the progress line says at every message
        if app.is_running and app.library_screen.is_mounted:
            jobs = app.library_screen.jobs
            shown.append(jobs.text if jobs.display else "")

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Re-analyse all", "enter")
        await settle(pilot, rounds=12)
        seen = [s for s in dict.fromkeys(shown) if s]
        assert seen[0] == "Re-analysing (loading the language model)…"  # at once
        assert "Re-analysing 0/105" in seen
        assert seen[-1] == "Re-analysing 105/105"
        assert not app.library_screen.jobs.display  # gone once done
        assert any(n.message == "Re-analysed 105 articles." for n in app._notifications)
    with opened(lib_path) as lib:
        assert lib.get_article(ECB).entities == before  # the same model finds the same


async def test_an_import_shows_its_counts(lib_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "new"
    folder.mkdir()
    for i in range(3):
        (folder / f"a{i}.txt").write_text(f"Article {i}\n\nText of article {i} in Paris.\n")
    shown: list[str] = []
    app = GlossApp(lib_path)

    def hook(message: Message) -> None:
        if app.is_running and app.library_screen.is_mounted:
            jobs = app.library_screen.jobs
            shown.append(jobs.text if jobs.display else "")

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await settle(pilot)
        app.library_screen.start_import([folder])
        await settle(pilot, rounds=12)
        seen = [s for s in dict.fromkeys(shown) if s]
        assert seen[0] == "Importing…"
        assert seen[-1] == "Importing 3/3"
        assert "8 articles" in str(app.screen.query_one(StatsBar).render())
