"""The library screen: counts, the list, the sidebar, filters, quick edits, help, imports."""

from __future__ import annotations

import threading
from pathlib import Path

from textual.app import App
from textual.screen import Screen
from textual.widgets import Input

from store import Library
from tests.tui.conftest import ARTICLES, no_model, opened, screen_text, settle
from tui.app import GlossApp
from tui.screens import library as library_screen
from tui.screens.help import HelpScreen
from tui.screens.library import LibraryScreen
from tui.screens.modals import PathPrompt, TagEditor
from tui.screens.search import SearchScreen
from tui.widgets.article_list import FIRST_ROWS, ArticleList
from tui.widgets.footer import KeyBar
from tui.widgets.sidebar import Sidebar

SIZE = (120, 40)


def article_list(app: GlossApp) -> ArticleList:
    return app.screen.query_one(ArticleList)


def choose_in_sidebar(app: GlossApp, label: str) -> None:
    """Move the sidebar cursor to the node whose label starts with `label`."""
    sidebar = app.screen.query_one(Sidebar)
    sidebar.focus()
    for line in range(sidebar.last_line + 1):
        node = sidebar.get_node_at_line(line)
        if node is not None and str(node.label).split("  ")[0] == label:
            sidebar.move_cursor(node)
            return
    raise AssertionError(f"no sidebar node {label!r}")


async def test_lists_articles_with_counts(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LibraryScreen)
        listing = article_list(app)
        assert listing.count == 5
        with opened(lib_path) as lib:
            expected = [a.title for a in lib.list_articles()]
        assert [listing.summary_at(i).title for i in range(5)] == expected  # type: ignore[union-attr]
        text = screen_text(pilot)
        assert "5 articles · 5 unread · 0 notes" in text
        assert "European Central Bank Holds Rates" in text
        assert "Henrik Saldana"[:12] in text
        assert "2026-04-16" in text  # published date
        assert "economy" in text  # tags in the row and the sidebar
        assert "world" in text and "europe" in text


def record_frames(monkeypatch) -> list[tuple[object, str]]:
    """(screen, its text) for every frame the app hands to the terminal, headless too."""
    frames: list[tuple[object, str]] = []
    display = App._display

    def recording(app: App, screen: Screen, renderable: object) -> None:
        display(app, screen, renderable)
        if renderable is not None:
            frames.append((screen, "\n".join(s.text for s in screen._compositor.render_strips())))

    monkeypatch.setattr(App, "_display", recording)
    return frames


async def test_the_first_frame_shows_the_list(lib_path: Path, monkeypatch) -> None:
    """The list's first rows are read while the screen is built: no empty list is painted
    first (the next frame can come 1/60 s later)."""
    frames = record_frames(monkeypatch)
    # the mechanism under test, not the machine's speed: a slow runner still waits for them
    monkeypatch.setattr(library_screen, "FIRST_ROWS_WAIT", 10.0)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = next(text for screen, text in frames if isinstance(screen, LibraryScreen))
        with opened(lib_path) as lib:
            title = lib.list_articles()[0].title
        assert title[:30] in first


async def test_a_slow_library_fills_the_list_in_when_ready(lib_path: Path, monkeypatch) -> None:
    """A library slower to open than the first frame waits for (a network drive, a busy
    disk): the screen is painted without the rows, which follow when they arrive."""
    frames = record_frames(monkeypatch)
    real_open = Library.open
    disk = threading.Event()

    def slow_open(*args, **kwargs) -> Library:
        disk.wait(10)  # in the worker thread, until the test lets the "disk" answer
        return real_open(*args, **kwargs)

    monkeypatch.setattr(Library, "open", slow_open)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert frames and not article_list(app).loaded  # painted, without waiting for it
        disk.set()
        await settle(pilot)
        assert article_list(app).count == 5
        assert "European Central Bank Holds Rates" in screen_text(pilot)


async def test_star_and_read_toggle_from_the_list(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = article_list(app).current
        assert first is not None
        await pilot.press("s", "r")
        await settle(pilot)
        with opened(lib_path) as lib:
            assert lib.summary(first.id).starred
            assert lib.summary(first.id).read
        await pilot.press("s", "r")
        await settle(pilot)
        with opened(lib_path) as lib:
            state = lib.summary(first.id)
            assert (state.starred, state.read) == (False, False)


async def test_sidebar_views_filter_the_list(lib_path: Path) -> None:
    with opened(lib_path) as lib:
        ids = [a.id for a in lib.list_articles()]
        lib.set_starred(ids[1])
        lib.set_read(ids[2])
        lib.highlight(ids[3], 0, 10)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = article_list(app)
        for label, expected in [("Starred", [ids[1]]), ("Annotated", [ids[3]])]:
            choose_in_sidebar(app, label)
            await pilot.press("enter")
            await settle(pilot)
            assert [listing.summary_at(i).id for i in range(listing.count)] == expected  # type: ignore[union-attr]
        choose_in_sidebar(app, "Unread")
        await pilot.press("enter")
        await settle(pilot)
        assert listing.count == 4
        assert "showing Unread" in screen_text(pilot)
        choose_in_sidebar(app, "All")
        await pilot.press("enter")
        await settle(pilot)
        assert listing.count == 5


async def test_nested_tag_tree_filters_by_parent(lib_path: Path) -> None:
    with opened(lib_path) as lib:
        ids = [a.id for a in lib.list_articles()]
        lib.tag(ids[0], add=["world/asia"])
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        choose_in_sidebar(app, "world")
        sidebar = app.screen.query_one(Sidebar)
        node = sidebar.cursor_node
        assert node is not None
        assert sorted(str(c.label).split("  ")[0] for c in node.children) == ["asia", "europe"]
        await pilot.press("enter")
        await settle(pilot)
        assert article_list(app).count == 2
        choose_in_sidebar(app, "asia")
        await pilot.press("enter")
        await settle(pilot)
        assert article_list(app).count == 1
        assert article_list(app).current.id == ids[0]  # type: ignore[union-attr]


async def test_tags_modal_completes_adds_and_removes(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = article_list(app).current
        assert first is not None
        await pilot.press("t")
        assert isinstance(app.screen, TagEditor)
        await pilot.press(*"+eco")
        await pilot.pause()
        await pilot.press("tab")
        assert app.screen.query_one(Input).value == "+economy"
        await pilot.press(*", politics, World/Asia", "enter")
        await settle(pilot)
        with opened(lib_path) as lib:
            assert lib.summary(first.id).tags == ("economy", "politics", "world/asia")
        await pilot.press("t", *"-politics", "enter")
        await settle(pilot)
        with opened(lib_path) as lib:
            assert lib.summary(first.id).tags == ("economy", "world/asia")
        assert "politics" not in screen_text(pilot)


async def test_bad_tag_is_refused_in_the_dialog(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t", *"bad!tag", "enter")
        await pilot.pause()
        assert isinstance(app.screen, TagEditor)
        assert "invalid tag" in screen_text(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, LibraryScreen)


async def test_help_lists_every_binding(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(pilot)
        for words in ["Search", "Tags", "Star", "Read/unread", "Quit", "Open", "Help", "Down"]:
            assert words in text, words
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        palette = dict(help_screen.sections)["Command palette"]
        assert ("ctrl+p", "Sync with a folder or library file…") in palette
        await pilot.press("escape")
        assert isinstance(app.screen, LibraryScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, LibraryScreen)


async def test_help_lists_glosss_keys_in_its_words_and_wraps_under_them(lib_path: Path) -> None:
    """Seen in tmux: with the find box focused, help listed the box's editing keys under
    "FindInput", the sidebar's tree keys in Textual's words ("Cursor to parent", "Expand or
    collapse all"), and a long description wrapped to the dialog's left edge."""
    from tests.tui.test_reader import ECB, open_article

    app = GlossApp(lib_path)
    async with app.run_test(size=(60, 40)) as pilot:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("slash")  # the find box has the focus (? would be typed in it)
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        titles = [title for title, _ in app.screen.sections]
        assert "FindInput" not in titles and "Find input" not in titles, titles
        words = {d for _, rows in app.screen.sections for _, d in rows}
        for internal in ("Cursor to parent", "Expand or collapse all", "Cursor Up",
                         "Move cursor left", "Delete all to the right", "Focus Next"):  # fmt: skip
            assert internal not in words, internal
        for ours in ("Up", "Down", "Next pane", "Find", "Next match", "Expand or collapse"):
            assert ours in words, ours
        lines = screen_text(pilot).splitlines()
        (first,) = [i for i, x in enumerate(lines) if "super+c" in x]
        column = lines[first].index("Copy")
        assert lines[first + 1][column:].lstrip().startswith("selection"), lines[first + 1]
        inside = lines[first + 1][lines[first + 1].index("█") + 1 : column]  # (the dialog)
        assert inside.strip() == "", lines[first + 1]


async def test_first_run_imports_with_progress_and_summary(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    app = GlossApp(path, [ARTICLES])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, rounds=10)
        assert article_list(app).count == 5
        messages = [n.message for n in app._notifications]
        assert "5 imported, 0 already present, 0 failed" in messages, messages
    with opened(path) as lib:
        assert lib.stats()["articles"] == 5


async def test_palette_import_without_model_warns(lib_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "one.txt").write_text("A New Story\n\nIt happened on Monday.\n", encoding="utf-8")
    (folder / "bad.txt").write_bytes(b"\xff\xfe not utf-8")
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
            await pilot.press(*str(folder), "enter")
            await settle(pilot, rounds=10)
            assert isinstance(app.screen, LibraryScreen)
            assert article_list(app).count == 6
            notes = [(n.message, n.severity) for n in app._notifications]
            assert ("1 imported, 0 already present, 1 failed", "information") in notes, notes
            assert any("GLOSS_MODEL=none" in m and s == "warning" for m, s in notes), notes
            assert any("bad.txt" in m and s == "error" for m, s in notes), notes


async def test_a_file_that_is_not_a_library_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    app = GlossApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors and "library" in errors[0], errors
        assert isinstance(app.screen, LibraryScreen)
        assert "no library open" in screen_text(pilot)
        await pilot.press("j", "enter", "s")  # nothing to act on; must not crash
        await settle(pilot)


async def test_list_of_20000_articles_is_virtual(big_path: Path) -> None:
    app = GlossApp(big_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = article_list(app)
        assert listing.count == 20_000
        assert listing.virtual_size.height == 20_000
        assert len(app.screen.query("*")) < 60  # no widget per row
        await pilot.press("G")
        await settle(pilot)
        assert listing.cursor == 19_999
        last = listing.summary_at(19_999)
        assert last is not None and last.title == "Generated article 00000"
        assert "Generated article 00000" in screen_text(pilot)
        assert len(listing._pages) <= 32  # only pages that were shown are cached
        await pilot.press("g", "j", "j")
        assert listing.cursor == 2
        assert listing.scroll_offset.y == 0


async def test_palette_reanalyse_without_model_warns(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    with no_model():
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"Re-analyse")
            await pilot.pause()
            await pilot.press("enter")
            await settle(pilot)
            notes = [(n.message, n.severity) for n in app._notifications]
            assert ("entity analysis is off (GLOSS_MODEL=none)", "warning") in notes, notes
            assert not app.screen.query_one("#progress").display


async def test_help_lists_the_new_keys_of_search_and_reader(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "question_mark")  # typed into the query box: not help
        assert app.screen.query_one("#query", Input).value == "?"
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        search = dict(app.screen.sections)["Search"]
        assert ("esc", "Back") in search and ("/", "Edit query") in search
        assert ("↓", "Results") in search
        await pilot.press("escape", "escape")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        reader = dict(app.screen.sections)["Reader"]
        assert ("c", "Resolve conflict") in reader


async def test_rows_past_the_first_screenful_are_fetched_when_reached(big_path: Path) -> None:
    """Start-up fetches a screenful of rows with the library; the rest of that page comes
    when the list reaches it."""
    app = GlossApp(big_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = article_list(app)
        assert 0 in listing._partial and len(listing._pages[0][1]) == FIRST_ROWS
        listing.cursor = FIRST_ROWS + 20
        await settle(pilot)
        assert 0 not in listing._partial
        summary = listing.summary_at(FIRST_ROWS + 20)
        assert summary is not None and summary.title == "Generated article 19879"
        assert f"Generated article {19_999 - FIRST_ROWS - 20}" in screen_text(pilot)


async def test_keys_in_the_key_bar_follow_focus_and_can_be_clicked(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        assert [i.description for i in bar.items][:2] == ["Open", "Search"]
        assert bar.palette is not None and bar.palette.display == "^p"
        app.screen.query_one(Sidebar).focus()
        await pilot.pause()
        assert "Open" not in [i.description for i in bar.items]
        [(start, _, _)] = [r for r in bar._regions if r[2].description == "Search"]
        await pilot.click(KeyBar, offset=(start + 1, 0))
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
