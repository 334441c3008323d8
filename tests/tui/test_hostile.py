"""Articles meant to break the reader: markup in text, escapes, 300 KB, no paragraphs, no text."""

from __future__ import annotations

from pathlib import Path

from tests.tui.conftest import EMPTY_ID, MARKUP_TITLE, opened, screen_text, settle
from tests.tui.test_reader import open_article, view_of
from tui.app import GlossApp
from tui.screens.reader import ReaderScreen
from tui.widgets.article_list import ArticleList

SIZE = (120, 40)
LITERALS = [
    "[bold]bold markup[/bold]",
    "[/foo]",
    "[link=http://x]a link[/link]",
    "[red on white]colour[/]",
    "[b]markup[/b]",
    "[link=http://y]x[/link]",
]


def find(path: Path, title: str) -> str:
    with opened(path) as lib:
        [found] = [a.id for a in lib.list_articles() if a.title == title]
        return found


async def test_markup_in_titles_text_and_notes_shows_literally(hostile_path: Path) -> None:
    aid = find(hostile_path, MARKUP_TITLE)
    with opened(hostile_path) as lib:
        lib.add_note(aid, "note with [b]markup[/b] and [link=http://y]x[/link]")
    app = GlossApp(hostile_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert MARKUP_TITLE in screen_text(pilot)  # in the list
        await open_article(pilot, hostile_path, aid)
        await pilot.press("n")
        text = screen_text(pilot)
        assert MARKUP_TITLE in text  # in the header
        for literal in LITERALS:
            assert literal in text, literal
        assert "was here" in text and "\x1b" not in text
        assert "http://evil" not in text  # the OSC hyperlink was removed whole at import


async def test_a_300_kb_article_opens_and_scrolls(hostile_path: Path) -> None:
    aid = find(hostile_path, "A Very Long Article")
    app = GlossApp(hostile_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, hostile_path, aid)
        assert len(screen.article.text) > 300_000  # type: ignore[union-attr]
        view = view_of(pilot)
        assert len(view.rows) > 3_000
        await pilot.press("G")
        await pilot.pause()
        assert view.cursor == len(view.sentences) - 1
        assert view.scroll_offset.y > 3_000
        assert "Paragraph 329." in screen_text(pilot)
        await pilot.press("v", "k", "k", "h")
        await settle(pilot)
    with opened(hostile_path) as lib:
        [note] = lib.notes(aid)
        assert note.anchor is not None and note.anchor.exact.endswith("Paragraph 329.")


async def test_an_article_without_paragraphs_opens(hostile_path: Path) -> None:
    aid = find(hostile_path, "Headings But No Paragraphs")
    app = GlossApp(hostile_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, hostile_path, aid)
        text = screen_text(pilot)
        assert "Headings But No Paragraphs" in text and "Only a heading" in text
        assert "No entities in this article." in text
        assert [r.heading for r in view_of(pilot).rows] == [True]


async def test_an_article_with_no_text_at_all_opens(hostile_path: Path) -> None:
    app = GlossApp(hostile_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.screen.query_one(ArticleList)
        listing.cursor = listing.count - 1  # the oldest: "Title Only"
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReaderScreen) and screen.article_id == EMPTY_ID
        assert "This article has no text." in screen_text(pilot)
        await pilot.press("j", "k", "v", "h", "a", "G", "pagedown", "e", "1", "n", "E")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert any("no passage" in n.message for n in app._notifications)
    with opened(hostile_path) as lib:
        assert lib.notes(EMPTY_ID) == []
        assert lib.summary(EMPTY_ID).read
