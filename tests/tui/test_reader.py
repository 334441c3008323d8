"""The reader: every flow driven with keys, checked against the library file afterwards."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from store import Library
from tests.tui.conftest import opened, screen_text, settle
from tests.tui.test_library import choose_in_sidebar, record_frames
from tui.app import GlossApp
from tui.screens import reader as reader_screen
from tui.screens.library import LibraryScreen
from tui.screens.modals import ConfirmScreen, NoteEditor, TagEditor
from tui.screens.reader import ReaderScreen
from tui.widgets.article_list import ArticleList
from tui.widgets.article_view import ArticleView
from tui.widgets.entities_panel import EntitiesPanel
from tui.widgets.notes_panel import NotesPanel

SIZE = (120, 40)
ECB = "e11fcf365aca9ed2af11d0fd558b7af9"  # European Central Bank Holds Rates (has a URL)
PUTIN = "6055eddc2a39266b2e8e6b209d45e3e7"  # Putin Meets Xi Jinping
ORG_BG = "#7aecec"


def ids_in_order(path: Path) -> list[str]:
    with opened(path) as lib:
        return [a.id for a in lib.list_articles()]


async def open_article(pilot: Pilot, path: Path, article_id: str) -> ReaderScreen:
    """From the library screen, move to `article_id` and press enter."""
    await settle(pilot)
    index = ids_in_order(path).index(article_id)
    pilot.app.screen.query_one(ArticleList).cursor = index
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReaderScreen)
    assert screen.article is not None and screen.article.id == article_id
    return screen


async def test_the_readers_first_frame_shows_the_article(lib_path: Path, monkeypatch) -> None:
    """The article is fetched before the reader is shown, for its first frame: a reader
    painted empty showed the article only a frame (1/60 s) later. Reused readers too."""
    frames = record_frames(monkeypatch)
    monkeypatch.setattr(reader_screen, "ARTICLE_WAIT", 10.0)  # the mechanism, not the speed
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        for article_id, words in ((PUTIN, "Xi Jinping"), (ECB, "European Central Bank")):
            frames.clear()
            await open_article(pilot, lib_path, article_id)
            first = next(text for screen, text in frames if isinstance(screen, ReaderScreen))
            assert words in first
            await pilot.press("escape")
            await settle(pilot)


async def test_an_open_queued_while_one_is_opening_pushes_no_second_reader(
    lib_path: Path,
) -> None:
    """A quick second click (or Enter) while the article is being fetched must not stack a
    second reader on the first."""
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.screen.query_one(ArticleList)
        summary = listing.summary_at(0)
        assert summary is not None
        listing.post_message(ArticleList.Open(summary))
        listing.post_message(ArticleList.Open(summary))
        await settle(pilot)
        assert [type(s).__name__ for s in app.screen_stack][1:] == ["ReaderScreen"]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LibraryScreen)


def view_of(pilot: Pilot) -> ArticleView:
    return pilot.app.screen.query_one(ArticleView)


def backgrounds(view: ArticleView) -> set[str]:
    """Background colours used on the visible rows of the article."""
    found = set()
    for y in range(view.size.height):
        for segment in view.render_line(y):
            if segment.style and segment.style.bgcolor:
                found.add(segment.style.bgcolor.get_truecolor().hex)
    return found


def notes_of(path: Path, article_id: str) -> list:
    with opened(path) as lib:
        return lib.notes(article_id)


async def test_opening_marks_read_and_shows_everything(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        text = screen_text(pilot)
        assert "European Central Bank Holds Rates as Eurozone Inflation Cools" in text
        assert "Henrik Saldana · 2026-04-16 · https://example.org/economy" in text
        assert "#economy  #world/europe" in text
        assert "Why the bank waited" in text  # a section heading
        assert "1  DATE 22" in text  # the legend: groups by label, the most first
        assert ORG_BG in backgrounds(view_of(pilot))
        heading_rows = [r for r in view_of(pilot).rows if r.heading]
        assert [screen.article.text[r.start : r.end] for r in heading_rows][:1] == [  # type: ignore[union-attr]
            "Why the bank waited"
        ]
    with opened(lib_path) as lib:
        assert lib.summary(ECB).read


async def test_cursor_moves_by_sentence_and_scrolls(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        view = view_of(pilot)
        assert view.cursor == 0
        await pilot.press("j", "j", "down")
        assert view.cursor == 3
        await pilot.press("k")
        assert view.cursor == 2
        await pilot.press("G")
        await pilot.pause()
        assert view.cursor == len(screen.article.sentences) - 1  # type: ignore[union-attr]
        assert view.scroll_offset.y > 0
        await pilot.press("g")
        await pilot.pause()
        assert (view.cursor, view.scroll_offset.y) == (0, 0)
        await pilot.press("pagedown")
        await pilot.pause()
        assert view.cursor > 3 and view.scroll_offset.y > 0


async def test_highlight_a_selection_then_remove_it(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        sentences = screen.article.sentences  # type: ignore[union-attr]
        await pilot.press("j", "v", "j", "h")
        await settle(pilot)
        [note] = notes_of(lib_path, ECB)
        assert note.is_highlight
        assert (note.anchor.start, note.anchor.end) == (sentences[1].start, sentences[2].end)
        assert view_of(pilot).anchor is None  # the selection ended
        await pilot.press("k", "v", "j", "h")  # the same passage again: unhighlight
        await settle(pilot)
        assert notes_of(lib_path, ECB) == []


async def test_annotate_a_passage(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        sentence = screen.article.sentences[2]  # type: ignore[union-attr]
        await pilot.press("j", "j", "a")
        assert isinstance(app.screen, NoteEditor)
        await pilot.press(*"Why [bold]now[/bold]?", "enter", *"Second line")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        [note] = notes_of(lib_path, ECB)
        assert note.body == "Why [bold]now[/bold]?\nSecond line"
        assert (note.anchor.start, note.anchor.end) == (sentence.start, sentence.end)
        assert "✎" in screen_text(pilot)  # the margin mark
        await pilot.press("n")
        assert "Why [bold]now[/bold]?" in screen_text(pilot)
    with opened(lib_path) as lib:
        assert lib.summary(ECB).notes == 1


async def test_cancelling_a_note_asks_before_discarding(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("a", *"draft", "escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, NoteEditor)
        assert app.screen.query_one(TextArea).text == "draft"
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        await pilot.press("a", "escape")  # nothing typed: closes at once
        assert isinstance(app.screen, ReaderScreen)
    assert notes_of(lib_path, ECB) == []


async def test_note_on_the_whole_article(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("A", *"Overall: cautious.", "ctrl+s")
        await settle(pilot)
    [note] = notes_of(lib_path, ECB)
    assert (note.body, note.anchor) == ("Overall: cautious.", None)


async def test_edit_and_delete_a_note_from_the_panel(lib_path: Path) -> None:
    with opened(lib_path) as lib:
        text = lib.get_article(ECB).text
        start = text.index("Figures published by Eurostat")
        note = lib.add_note(ECB, "first thought", start, start + 29)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("n")
        panel = app.screen.query_one(NotesPanel)
        assert app.focused is panel
        await pilot.press("enter")  # jump to the passage
        view = view_of(pilot)
        assert view.sentences[view.cursor].start <= start < view.sentences[view.cursor].end
        await pilot.press("i")
        assert isinstance(app.screen, NoteEditor)
        assert app.screen.query_one(TextArea).text == "first thought"
        await pilot.press(*", revised", "ctrl+s")
        await settle(pilot)
        assert [n.body for n in notes_of(lib_path, ECB)] == ["first thought, revised"]
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert notes_of(lib_path, ECB) == []
        assert "No notes yet" in screen_text(pilot)
    with opened(lib_path) as lib:
        assert [r[0] for r in lib.conn.execute(
            "SELECT count(*) FROM note_revisions WHERE note_id = ?", (note.id,)
        )] == [3]  # fmt: skip


async def test_tags_star_and_read_state(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("t")
        assert isinstance(app.screen, TagEditor)
        await pilot.press(*"+politics -economy", "enter")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        with opened(lib_path) as lib:
            summary = lib.summary(ECB)
            assert summary.tags == ("politics", "world/europe")
            assert (summary.starred, summary.read) == (True, False)
        assert "#politics  #world/europe  ·  unread" in screen_text(pilot)
        assert "★" in screen_text(pilot)
        await pilot.press("r", "s")
        await settle(pilot)
    with opened(lib_path) as lib:
        summary = lib.summary(ECB)
        assert (summary.starred, summary.read) == (False, True)


async def test_next_and_previous_follow_the_list_order(lib_path: Path) -> None:
    order = ids_in_order(lib_path)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, order[1])
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.article.id == order[2]  # type: ignore[union-attr]
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert screen.article.id == order[0]  # type: ignore[union-attr]
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert screen.article.id == order[0]  # type: ignore[union-attr]
        assert any("No previous article" in n.message for n in app._notifications)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LibraryScreen)
        listing = app.screen.query_one(ArticleList)
        assert listing.cursor == 0
        assert listing.current.read  # type: ignore[union-attr]
    with opened(lib_path) as lib:
        assert [lib.summary(i).read for i in order[:3]] == [True, True, True]


async def test_next_works_in_the_unread_view(lib_path: Path) -> None:
    """The article just opened is read, so no longer in the view; ] still finds the next."""
    order = ids_in_order(lib_path)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        choose_in_sidebar(app, "Unread")
        await pilot.press("enter")
        screen = await open_article(pilot, lib_path, order[0])
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.article.id == order[1]  # type: ignore[union-attr]
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.article.id == order[2]  # type: ignore[union-attr]


async def test_entity_highlighting_toggles_and_labels(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        view = view_of(pilot)
        assert ORG_BG in backgrounds(view)
        await pilot.press("e")
        assert not view.entities_on
        assert ORG_BG not in backgrounds(view)
        assert "Entities hidden" in screen_text(pilot)
        await pilot.press("e")
        assert ORG_BG in backgrounds(view)
        labels = [label for label, _ in screen._labels()]
        org = labels.index("ORG") + 1
        await pilot.press(str(org))
        assert view.hidden_labels == {"ORG"}
        assert ORG_BG not in backgrounds(view)
        assert "ORG 7 off" in screen_text(pilot)
        assert "#bfe1d9" in backgrounds(view)  # DATE still shown
        await pilot.press(str(org))
        assert ORG_BG in backgrounds(view)


async def test_entities_panel_leads_to_other_articles(lib_path: Path) -> None:
    """Enter on an entity opens its page; an article chosen there opens at its mention."""
    from tui.screens.entity_page import EntityPageScreen

    with opened(lib_path) as lib:
        others = [a.id for a in lib.articles_mentioning("Saturday", "DATE")]
    first, second = others
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, first)
        await pilot.press("E")
        await settle(pilot)
        panel = app.screen.query_one(EntitiesPanel)
        assert app.focused is panel
        [node] = [n for n in panel.root.children
                  if n.data is not None and n.data.canonical == "Saturday"]  # fmt: skip
        panel.move_cursor(node)
        await pilot.press("enter")
        await settle(pilot)
        page = app.screen
        assert isinstance(page, EntityPageScreen)
        [index] = [i for i, item in enumerate(page.items) if item.summary.id == second]
        page.listing.highlighted = page.listing.get_option_index(f"a{index}")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.article.id == second  # type: ignore[union-attr]
        assert panel.article_id == second
    with opened(lib_path) as lib:
        assert lib.summary(second).read


async def test_o_opens_the_source_url(lib_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened_urls: list[str] = []
    monkeypatch.setenv("DISPLAY", ":99")  # (a graphical browser is used only with a display)
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened_urls.append(url) or True)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("o")
        await settle(pilot)
        assert opened_urls == ["https://example.org/economy/2026/04/16/ecb-holds-rates"]
        await pilot.press("q")
        await settle(pilot)
        await open_article(pilot, lib_path, PUTIN)  # a local file: no web address
        await pilot.press("o")
        await settle(pilot)
        assert len(opened_urls) == 1
        assert any("no web address" in n.message for n in app._notifications)


async def test_a_failed_write_is_a_notification(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)

        def broken(lib: Library, aid: str) -> None:
            lib.add_note(aid, "", None, None)  # InvalidInput: an empty article note

        screen._edit(broken)
        await settle(pilot)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors == ["a note on the whole article needs some text"]
        assert isinstance(app.screen, ReaderScreen)


async def test_the_reader_is_reused_and_starts_afresh(lib_path: Path) -> None:
    """One reader serves every article: opening another shows it from the top, panels closed,
    with nothing of the article before it."""
    with opened(lib_path) as lib:
        text = lib.get_article(ECB).text
        start = text.index("Figures published by Eurostat")
        lib.add_note(ECB, "ECB note", start, start + 29)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        first = await open_article(pilot, lib_path, ECB)
        await pilot.press("j", "j", "v", "n")
        assert "ECB note" in screen_text(pilot)
        await pilot.press("escape", "q")  # close the panel, then the reader
        await settle(pilot)
        assert isinstance(app.screen, LibraryScreen)
        second = await open_article(pilot, lib_path, PUTIN)
        assert second is first
        view = view_of(pilot)
        assert (view.cursor, view.anchor, view.scroll_offset.y) == (0, None, 0)
        assert app.focused is view
        assert not second.notes_panel.display and not second.entities_panel.display
        text = screen_text(pilot)
        assert "Putin Meets Xi Jinping" in text and "ECB note" not in text
        assert "European Central Bank" not in text
        await pilot.press("n")
        assert "No notes yet" in screen_text(pilot)
