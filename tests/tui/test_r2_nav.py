"""#16's navigation: the back stack (esc after an entity jump), ] and [ over search results,
the next unread article (N), find in the article (/ then > and <), the search's words
marked, the list's order (S) and the reading progress in the reader's header."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from store import Library
from tests.tui.conftest import no_model, opened, screen_text, settle
from tests.tui.test_reader import ECB, SIZE, ids_in_order, open_article, view_of
from tui.app import GlossApp
from tui.screens.library import LibraryScreen, StatsBar
from tui.screens.reader import ReaderScreen
from tui.screens.reader_nav import find_ranges, word_ranges
from tui.screens.search import SearchScreen
from tui.widgets.article_header import ArticleHeader
from tui.widgets.article_list import ArticleList


def notifications(app: GlossApp) -> list[str]:
    return [n.message for n in app._notifications]


def found_words(pilot: Pilot) -> list[str]:
    view = view_of(pilot)
    return [view.text[s:e] for s, e in view.found]


def cursor_text(pilot: Pilot) -> str:
    view = view_of(pilot)
    sentence = view.sentences[view.cursor]
    return view.text[sentence.start : sentence.end]


# -- find in the article ---------------------------------------------------------------------


def test_find_and_word_ranges_ignore_case() -> None:
    text = "Rates rose. The rates [b]rate[/b] irate."
    assert find_ranges(text, "rate") == [(0, 4), (16, 20), (25, 29), (35, 39)]
    assert find_ranges(text, "[b]") == [(22, 25)]
    assert find_ranges(text, "") == []
    assert [text[s:e] for s, e in word_ranges(text, ["rates", "rate"])] == [
        "Rates",
        "rates",
        "rate",
    ]


async def test_find_marks_matches_and_steps_through_them(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"inflation")
        await pilot.pause()
        words = found_words(pilot)
        assert len(words) >= 2 and {w.lower() for w in words} == {"inflation"}
        count = str(screen.query_one("#find-count", Static).visual)
        assert count == f"{len(words)} matches"
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is view_of(pilot)
        first = view_of(pilot).cursor
        assert "inflation" in cursor_text(pilot).lower()
        assert str(screen.query_one("#find-count", Static).visual) == f"1 of {len(words)}"
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert screen.query_one("#find", Input).value == "inflation"  # > went to the text
        assert "inflation" in cursor_text(pilot).lower()
        assert view_of(pilot).cursor >= first
        assert str(screen.query_one("#find-count", Static).visual) == f"2 of {len(words)}"
        await pilot.press("less_than_sign")
        await pilot.pause()
        assert view_of(pilot).cursor == first
        await pilot.press("escape")  # clears the find, stays in the reader
        await pilot.pause()
        assert app.screen is screen and view_of(pilot).found == ()
        assert not screen.find_bar.display
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LibraryScreen)


# -- the back stack and an entity jump --------------------------------------------------------


async def test_esc_after_an_entity_jump_returns_to_the_place_left(lib_path: Path) -> None:
    """An article chosen on an entity page opens with its mention marked; esc goes back to
    the article left, at the same passage and scroll, and esc again to the library."""
    from tui.screens.entity_page import EntityPageScreen
    from tui.widgets.entities_panel import EntitiesPanel

    with opened(lib_path) as lib:
        first, second = (a.id for a in lib.articles_mentioning("Saturday", "DATE"))
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, first)
        await pilot.press(*"jjjjjjjj", "space")
        await pilot.pause()
        cursor, scroll = view_of(pilot).cursor, view_of(pilot).scroll_offset.y
        assert cursor > 8 and scroll > 0
        await pilot.press("E")
        await settle(pilot)
        panel = screen.query_one(EntitiesPanel)
        [node] = [n for n in panel.root.children
                  if n.data is not None and n.data.canonical == "Saturday"]  # fmt: skip
        panel.move_cursor(node)
        await pilot.press("enter")
        await settle(pilot)
        page = app.screen
        assert isinstance(page, EntityPageScreen)
        [index] = [i for i, item in enumerate(page.items) if item.summary.id == second]
        mention = page.items[index].start
        page.listing.highlighted = page.listing.get_option_index(f"a{index}")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and screen.article.id == second  # type: ignore[union-attr]
        view = view_of(pilot)
        sentence = view.sentences[view.cursor]
        assert sentence.start <= mention < sentence.end  # on the mention, not the top
        assert found_words(pilot) == ["Saturday"]  # the mention is marked
        assert [p.article_id for p in screen.history] == [first]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.article.id == first  # type: ignore[union-attr]
        assert view_of(pilot).cursor == cursor
        assert view_of(pilot).scroll_offset.y == scroll
        assert screen.history == []
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LibraryScreen)


# -- search results ---------------------------------------------------------------------------


async def test_a_reader_from_search_walks_the_results_and_marks_the_words(
    lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SearchScreen, "DEBOUNCE", 0)
    order = ids_in_order(lib_path)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        search = app.screen
        assert isinstance(search, SearchScreen)
        search.query_input.value = "water"
        await settle(pilot)
        results = list(dict.fromkeys(h.article_id for h in search.hits.hits))
        assert [order.index(i) for i in results] == [0, 4, 2]  # not the library's order
        await pilot.press("enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.article.id == results[0]  # type: ignore[union-attr]
        words = found_words(pilot)
        assert words and {w.lower() for w in words} == {"water"}
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert reader.article.id == results[1]  # type: ignore[union-attr]
        assert {w.lower() for w in found_words(pilot)} == {"water"}
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert reader.article.id == results[2]  # type: ignore[union-attr]
        assert "No next article." in notifications(app)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert reader.article.id == results[1]  # type: ignore[union-attr]
        await pilot.press("slash", "escape")  # a find and its esc clear the marks
        await pilot.pause()
        assert view_of(pilot).found == () and app.screen is reader
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is search
        assert search.hits.current.article_id == results[1]  # type: ignore[union-attr]
        await pilot.press("escape", "right_square_bracket")  # from the library: its own list
        await settle(pilot)
        await open_article(pilot, lib_path, order[0])
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert app.screen.article.id == order[1]  # type: ignore[attr-defined]
        assert view_of(pilot).found == ()


# -- next unread ------------------------------------------------------------------------------


async def test_N_goes_to_the_next_unread_article(lib_path: Path) -> None:
    order = ids_in_order(lib_path)
    with opened(lib_path) as lib:
        lib.set_read(order[1])
        lib.set_read(order[2])
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.screen.query_one(ArticleList)
        await pilot.press("N")
        await settle(pilot)
        assert listing.cursor == 3
        await pilot.press("N")
        await settle(pilot)
        assert listing.cursor == 4
        await pilot.press("N")
        await settle(pilot)
        assert listing.cursor == 4
        assert "No unread article below this one." in notifications(app)
        reader = await open_article(pilot, lib_path, order[0])
        await pilot.press("N")
        await settle(pilot)
        assert reader.article.id == order[3]  # type: ignore[union-attr]
        await pilot.press("N")
        await settle(pilot)
        assert reader.article.id == order[4]  # type: ignore[union-attr]
        await pilot.press("N")
        await settle(pilot)
        assert reader.article.id == order[4]  # type: ignore[union-attr]
        assert "No unread article after this one." in notifications(app)


# -- sorting ----------------------------------------------------------------------------------


def stats_line(app: GlossApp) -> str:
    return str(app.library_screen.query_one(StatsBar).visual)


def listed(app: GlossApp) -> list[str]:
    listing = app.library_screen.query_one(ArticleList)
    return [listing.summary_at(i).id for i in range(listing.count)]  # type: ignore[union-attr]


async def test_S_sorts_the_list_and_the_order_stays(lib_path: Path) -> None:
    from store.core.models import Filter

    with opened(lib_path) as lib:
        by = {s: [a.id for a in lib.list_articles(Filter(sort=s))] for s in ("published", "title")}
        lib.add_note(ECB, "a note")
    assert by["published"] != ids_in_order(lib_path) != by["title"]
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "by " not in stats_line(app)
        listing = app.screen.query_one(ArticleList)
        listing.cursor = ids_in_order(lib_path).index(ECB)
        await pilot.press("S")
        await settle(pilot)
        assert "by date published" in stats_line(app)
        assert listed(app) == by["published"]
        assert listing.current.id == ECB  # type: ignore[union-attr]  # the cursor stays on it
        await pilot.press("S")
        await settle(pilot)
        assert "by title" in stats_line(app) and listed(app) == by["title"]
        listing.cursor = 0
        await pilot.press("enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.article.id == by["title"][0]  # type: ignore[union-attr]
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert reader.article.id == by["title"][1]  # type: ignore[union-attr]
        await pilot.press("escape")
        await settle(pilot)
        assert listed(app) == by["title"]  # after the reload that closing the reader makes
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:  # and after a restart
        await settle(pilot)
        assert "by title" in stats_line(app) and listed(app) == by["title"]
        await pilot.press("S")
        await settle(pilot)
        assert "by notes" in stats_line(app) and listed(app)[0] == ECB
        await pilot.press("S")
        await settle(pilot)
        assert "by " not in stats_line(app) and listed(app) == ids_in_order(lib_path)


# -- reading progress -------------------------------------------------------------------------


def header_text(pilot: Pilot) -> str:
    return str(pilot.app.screen.query_one(ArticleHeader).visual)


async def test_the_header_shows_how_far_into_the_article(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        view = view_of(pilot)
        start = view.progress
        assert 0 < start < 20 and header_text(pilot).endswith(f"·  {start}%")
        await pilot.press("space")
        await pilot.pause()
        middle = view.progress
        assert start < middle < 100 and header_text(pilot).endswith(f"·  {middle}%")
        await pilot.press("G")
        await pilot.pause()
        assert header_text(pilot).endswith("·  100%")
        assert "100%" in screen_text(pilot)


async def test_an_article_that_fits_in_view_is_read_to_its_end(tmp_path: Path) -> None:
    """Three short paragraphs on a tall screen: nothing more to read, so 100% at once (it
    said 62%, where the first sentence ends); on a screen too short for it, the cursor's."""
    path = tmp_path / "short.db"
    Library.open(path).close()
    (tmp_path / "short.txt").write_text(
        "A short one\n\nThe first sentence of three is the longest of them all, by far.\n\n"
        "A second.\n\nA third.\n"
    )
    with opened(path) as lib, no_model():
        lib.import_paths([tmp_path / "short.txt"])
        (article,) = lib.list_articles()
    app = GlossApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, path, article.id)
        assert view_of(pilot).progress == 100 and header_text(pilot).endswith("·  100%")
        await pilot.resize_terminal(SIZE[0], 8)  # (too short for the text now)
        await settle(pilot)
        assert view_of(pilot).progress < 100
        assert header_text(pilot).endswith(f"·  {view_of(pilot).progress}%")
