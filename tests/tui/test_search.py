"""The search screen: results as you type, opening hits, errors inline, text as data."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from store.find.search import Hit
from tests.tui.conftest import MARKUP_TITLE, opened, screen_text, settle
from tests.tui.test_reader import ECB, view_of
from tui.app import GlossApp
from tui.screens.library import LibraryScreen
from tui.screens.reader import ReaderScreen
from tui.screens.search import SearchScreen
from tui.widgets.hit_list import HitList, HitPrompt

SIZE = (120, 40)
QUOTE = "said Annika Lindqvist, an economist at the Stockholm research institute Nordkap Analys"


@pytest.fixture(autouse=True)
def no_debounce(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each query as soon as it is typed, so tests await the worker instead of a timer."""
    monkeypatch.setattr(SearchScreen, "DEBOUNCE", 0)


def add_note(path: Path, body: str, quote: str = QUOTE) -> str:
    with opened(path) as lib:
        start, end = lib.find_quote(ECB, quote)
        return lib.add_note(ECB, body, start, end).id


async def open_search(pilot: Pilot) -> SearchScreen:
    await settle(pilot)
    await pilot.press("slash")
    screen = pilot.app.screen
    assert isinstance(screen, SearchScreen)
    assert isinstance(pilot.app.focused, Input)
    return screen


async def search_for(pilot: Pilot, query: str) -> HitList:
    screen = pilot.app.screen
    assert isinstance(screen, SearchScreen)
    screen.query_input.value = query
    await settle(pilot)
    return screen.hits


def status(pilot: Pilot) -> str:
    return str(pilot.app.screen.query_one("#search-status", Static).visual)


async def test_typing_a_query_shows_hits(lib_path: Path) -> None:
    add_note(lib_path, "Zebrafish theory of the doves.")
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_search(pilot)
        assert "is:unread" in screen_text(pilot)  # the query language, while the box is empty
        await pilot.press(*"inflation")
        await settle(pilot)
        hits = screen.hits
        with opened(lib_path) as lib:
            expected = lib.search("inflation", limit=100)
        assert [h.article_id for h in hits.hits] == [h.article_id for h in expected]
        assert hits.hits and hits.hits[0].kind == "article"
        text = screen_text(pilot)
        assert "European Central Bank Holds Rates" in text
        assert "is:unread" not in text
        assert f"{len(expected)} result" in status(pilot)
        await pilot.press(*" OR zebrafish")
        await settle(pilot)
        assert hits.hits[0].kind == "note"  # the reader's own words first
        assert "✎ note on European Central Bank" in screen_text(pilot)
        assert "1 in your notes" in status(pilot)
        await pilot.press("ctrl+u")  # empty again: the help comes back
        await settle(pilot)
        assert "is:unread" in screen_text(pilot) and not hits.display


def test_matched_words_are_marked_by_range() -> None:
    hit = Hit("article", "a" * 32, "[b]Title[/b]", None, "the [i]rate[/i] fell", ((4, 15),), 0.0)
    prompt = HitPrompt(hit)
    assert prompt.title.plain == "≡ [b]Title[/b]"
    snippet = prompt.snippet
    assert snippet.plain == "the [i]rate[/i] fell"
    assert [snippet.plain[s.start : s.end] for s in snippet.spans] == ["[i]rate[/i]"]


async def test_a_note_hit_opens_the_reader_at_its_passage(lib_path: Path) -> None:
    note_id = add_note(lib_path, "Zebrafish theory of the doves.")
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_search(pilot)
        await pilot.press(*"zebrafish")
        await settle(pilot)
        [hit] = screen.hits.hits
        assert (hit.kind, hit.note_id) == ("note", note_id)
        await pilot.press("enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.article_id == ECB
        view = view_of(pilot)
        sentence = view.sentences[view.cursor]
        assert "Annika Lindqvist" in view.text[sentence.start : sentence.end]
        assert view.scroll_offset.y > 0  # the passage is far down the article
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and app.focused is screen.hits
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LibraryScreen)
        await pilot.press("slash")  # the last query is offered again, its results with it
        await settle(pilot)
        again = app.screen
        assert isinstance(again, SearchScreen) and again.query_input.value == "zebrafish"
        assert [h.note_id for h in again.hits.hits] == [note_id]
    with opened(lib_path) as lib:
        assert lib.summary(ECB).read


async def test_down_then_enter_opens_an_article_hit(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_search(pilot)
        await pilot.press(*"wind")
        await settle(pilot)
        await pilot.press("down")
        assert app.focused is screen.hits
        target = screen.hits.current
        assert target is not None and "Wind Farm" in target.title
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.article_id == target.article_id
        assert view_of(pilot).cursor == 0


async def test_enter_before_the_timer_fires_searches_at_once(
    lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SearchScreen, "DEBOUNCE", 60)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_search(pilot)
        await pilot.press(*"harbour")
        await settle(pilot)
        assert screen._timer is not None and screen.hits.hits == ()  # waiting for quiet
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert "Wind Farm" in app.screen.article.title  # type: ignore[union-attr]


async def test_stale_results_are_dropped(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_search(pilot)
        hits = await search_for(pilot, "inflation")
        shown = hits.hits
        with opened(lib_path) as lib:
            old = lib.search("wind", limit=100)
        screen.post_message(SearchScreen.Found("wind", old))  # a slower, older query
        await settle(pilot)
        assert hits.hits == shown and screen.shown_query == "inflation"


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ('"; DROP TABLE', "unclosed quote at position 1"),
        ("tag:", "tag: at position 1 needs a value"),
        ("x" * 2000, "query too long (2,000 characters; the limit is 1,000)"),
        ("is:nonsense", "is:nonsense is not known"),
    ],
)
async def test_a_malformed_query_is_an_inline_error(lib_path: Path, query: str, error: str) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_search(pilot)
        hits = await search_for(pilot, "inflation")
        before = hits.hits
        await search_for(pilot, query)
        assert isinstance(app.screen, SearchScreen)
        assert error in status(pilot)
        assert error in screen_text(pilot)
        assert hits.hits == before  # the last good results stay
        assert not app._notifications
        await search_for(pilot, "inflation")
        assert "result" in status(pilot)
    with opened(lib_path) as lib:
        assert lib.stats()["articles"] == 5
        assert lib.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"


async def test_markup_in_snippets_and_titles_shows_literally(
    lib_path: Path, hostile_path: Path
) -> None:
    add_note(lib_path, "see [bold]zebra[/bold] and [link=http://x]y[/link] and [/foo]")
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_search(pilot)
        await search_for(pilot, "zebra")
        text = screen_text(pilot)
        assert "[bold]zebra[/bold]" in text and "[link=http://x]y[/link]" in text
        assert "[/foo]" in text
    app = GlossApp(hostile_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_search(pilot)
        hits = await search_for(pilot, "markup")
        assert hits.hits
        text = screen_text(pilot)
        assert MARKUP_TITLE in text
        assert "[bold]bold markup[/bold]" in text  # in the snippet
