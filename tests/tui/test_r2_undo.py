"""#16: undo (u) of the session's edits, yank (y, Y) to the clipboard, mark all read (M),
and ctrl+c in the reader. Each undo is checked in the library file afterwards."""

from __future__ import annotations

from pathlib import Path

from textual.screen import Screen

from tests.tui.conftest import opened, screen_text, settle
from tests.tui.test_library import article_list, choose_in_sidebar
from tests.tui.test_reader import ECB, ids_in_order, notes_of, open_article, view_of
from tui.app import GlossApp
from tui.screens.help import collect_bindings
from tui.screens.modals import ConfirmScreen
from tui.screens.reader import ReaderScreen
from tui.screens.reader_yank import COPY_HELP
from tui.widgets.notes_panel import NotesPanel

SIZE = (120, 40)


def notifications(app: GlossApp) -> list[str]:
    return [n.message for n in app._notifications]


def title_of(path: Path, article_id: str) -> str:
    with opened(path) as lib:
        return lib.summary(article_id).title


def help_rows(screen: Screen) -> dict[str, str]:
    """{key: description} as the help screen lists them (each key on its own)."""
    rows: dict[str, str] = {}
    for _, section in collect_bindings(screen):
        for keys, description in section:
            for key in keys.split(" / "):
                rows.setdefault(key, description)
    return rows


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


# -- undo in the library ---------------------------------------------------------------------


async def test_u_with_nothing_to_undo_says_so(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "u")
        assert any(m.startswith("Nothing to undo") for m in notifications(app))


async def test_undo_a_star_and_a_read_from_the_list(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = article_list(app).current
        assert first is not None
        await press(pilot, "s", "r")
        with opened(lib_path) as lib:
            assert (lib.summary(first.id).starred, lib.summary(first.id).read) == (True, True)
        await press(pilot, "u")  # the latest first: the read
        with opened(lib_path) as lib:
            assert (lib.summary(first.id).starred, lib.summary(first.id).read) == (True, False)
        await press(pilot, "u")
        with opened(lib_path) as lib:
            assert (lib.summary(first.id).starred, lib.summary(first.id).read) == (False, False)
        assert notifications(app)[-2:] == [
            f"Undid: marking read on “{first.title}”",
            f"Undid: star on “{first.title}”",
        ]
        await press(pilot, "u")
        assert notifications(app)[-1].startswith("Nothing to undo")


async def test_keys_pressed_at_once_are_undone_in_order(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = article_list(app).current
        assert first is not None
        await press(pilot, "s", "r", "u", "u", "s", "u")  # no pause between the keys
        with opened(lib_path) as lib:
            assert (lib.summary(first.id).starred, lib.summary(first.id).read) == (False, False)
        assert [m for m in notifications(app) if m.startswith("Undid")] == [
            f"Undid: marking read on “{first.title}”",
            f"Undid: star on “{first.title}”",
            f"Undid: star on “{first.title}”",
        ]


async def test_undo_brings_a_row_back_to_the_unread_view(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        choose_in_sidebar(app, "Unread")
        await press(pilot, "enter")
        listing = article_list(app)
        assert listing.count == 5
        gone = listing.current
        assert gone is not None
        await press(pilot, "r")  # marked read: it leaves the Unread view
        assert listing.count == 4
        assert gone.id not in [listing.summary_at(i).id for i in range(4)]  # type: ignore[union-attr]
        await press(pilot, "u")
        assert listing.count == 5
        assert gone.id in [listing.summary_at(i).id for i in range(5)]  # type: ignore[union-attr]
        with opened(lib_path) as lib:
            assert not lib.summary(gone.id).read
            events = lib.conn.execute(
                "SELECT value FROM events WHERE field = 'read' AND article ="
                " (SELECT key FROM articles WHERE id = ?) ORDER BY hlc",
                (gone.id,),
            ).fetchall()
        assert [v for (v,) in events] == [1, 0]  # the undo is a new fact, none deleted


async def test_undo_a_tag_change_reverses_only_what_changed(lib_path: Path) -> None:
    with opened(lib_path) as lib:
        first = lib.list_articles()[0]
        lib.tag(first.id, add=["kept"])
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "t", *"+kept +later -kept2", "enter")  # kept: had it already
        await press(pilot, "t", *"-kept", "enter")
        with opened(lib_path) as lib:
            assert "kept" not in lib.summary(first.id).tags
        await press(pilot, "u")
        with opened(lib_path) as lib:
            assert {"kept", "later"} <= set(lib.summary(first.id).tags)
        await press(pilot, "u")
        with opened(lib_path) as lib:
            assert "later" not in lib.summary(first.id).tags
            assert "kept" in lib.summary(first.id).tags  # it had it before the session
        assert notifications(app)[-1] == f"Undid: tags +later on “{first.title}”"


# -- mark all read --------------------------------------------------------------------------


async def test_mark_all_read_asks_marks_the_view_and_undoes_as_one_step(lib_path: Path) -> None:
    ids = ids_in_order(lib_path)
    with opened(lib_path) as lib:
        lib.set_starred(ids[0])
        lib.set_starred(ids[3])
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        choose_in_sidebar(app, "Starred")
        await press(pilot, "enter")
        await press(pilot, "M")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Mark all 2 articles in “Starred” read?" in screen_text(pilot)
        await press(pilot, "n")  # declined: nothing changes
        with opened(lib_path) as lib:
            assert lib.stats()["unread"] == 5
        await press(pilot, "M", "y")
        with opened(lib_path) as lib:
            assert [a.id for a in lib.list_articles() if a.read] == [ids[0], ids[3]]
        assert "Marked 2 articles read in “Starred”." in notifications(app)
        choose_in_sidebar(app, "All")
        await press(pilot, "enter", "M", "y")
        with opened(lib_path) as lib:
            assert lib.stats()["unread"] == 0
        await press(pilot, "u")  # the three marked last, in one step
        with opened(lib_path) as lib:
            assert sorted(a.id for a in lib.list_articles() if not a.read) == sorted(
                [ids[1], ids[2], ids[4]]
            )
        assert notifications(app)[-1] == "Undid: marking 3 articles read in “All”"
        await press(pilot, "u")
        with opened(lib_path) as lib:
            assert lib.stats()["unread"] == 5


# -- undo in the reader -----------------------------------------------------------------------


async def test_undo_a_deleted_note_in_the_reader(lib_path: Path) -> None:
    with opened(lib_path) as lib:
        text = lib.get_article(ECB).text
        start = text.index("Figures published by Eurostat")
        note = lib.add_note(ECB, "first thought", start, start + 29)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await press(pilot, "n", "d", "y")
        assert notes_of(lib_path, ECB) == []
        await press(pilot, "u")
        [back] = notes_of(lib_path, ECB)
        assert (back.id, back.body, back.anchor) == (note.id, "first thought", note.anchor)
        assert "first thought" in screen_text(pilot)  # the panel shows it again
        assert notifications(app)[-1] == f"Undid: deleting the note on “{title_of(lib_path, ECB)}”"
    with opened(lib_path) as lib:
        revisions = lib.conn.execute(
            "SELECT deleted FROM note_revisions WHERE note_id = ? ORDER BY hlc", (note.id,)
        ).fetchall()
    assert [d for (d,) in revisions] == [0, 1, 0]


async def test_undo_a_note_edit_in_the_reader(lib_path: Path) -> None:
    with opened(lib_path) as lib:
        note = lib.add_note(ECB, "first thought")
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await press(pilot, "n", "i", *", revised", "ctrl+s")
        assert [n.body for n in notes_of(lib_path, ECB)] == ["first thought, revised"]
        await press(pilot, "u")
        assert [n.body for n in notes_of(lib_path, ECB)] == ["first thought"]
        assert "first thought, revised" not in screen_text(pilot)
    with opened(lib_path) as lib:
        bodies = lib.conn.execute(
            "SELECT body FROM note_revisions WHERE note_id = ? ORDER BY hlc", (note.id,)
        ).fetchall()
    assert [b for (b,) in bodies] == ["first thought", "first thought, revised", "first thought"]


async def test_undo_highlights_and_a_new_note_in_the_reader(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await press(pilot, "j", "h")  # highlight
        [mark] = notes_of(lib_path, ECB)
        await press(pilot, "h")  # the same passage: removed
        assert notes_of(lib_path, ECB) == []
        await press(pilot, "u")  # the removal undone
        assert [n.id for n in notes_of(lib_path, ECB)] == [mark.id]
        await press(pilot, "u")  # the highlight undone
        assert notes_of(lib_path, ECB) == []
        await press(pilot, "A", *"Overall: cautious.", "ctrl+s")
        assert [n.body for n in notes_of(lib_path, ECB)] == ["Overall: cautious."]
        await press(pilot, "u")
        assert notes_of(lib_path, ECB) == []
        assert notifications(app)[-1].startswith("Undid: new note on “")


async def test_undo_star_read_and_tags_in_the_reader(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        await press(pilot, "s", "t", *"+later", "enter")
        with opened(lib_path) as lib:
            assert lib.summary(ECB).starred and "later" in lib.summary(ECB).tags
        await press(pilot, "u")
        assert screen.article is not None and "later" not in screen.article.summary.tags
        await press(pilot, "u")
        with opened(lib_path) as lib:
            assert not lib.summary(ECB).starred and "later" not in lib.summary(ECB).tags
        await press(pilot, "r")  # (opening it marked it read)
        with opened(lib_path) as lib:
            assert not lib.summary(ECB).read
        await press(pilot, "u")
        with opened(lib_path) as lib:
            assert lib.summary(ECB).read


# -- yank and ctrl+c --------------------------------------------------------------------------


async def test_y_copies_the_passage_and_Y_cites_it(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        article = screen.article
        assert article is not None
        s = article.sentences
        await press(pilot, "j", "y")  # the passage under the cursor
        one = " ".join(article.text[s[1].start : s[1].end].split())
        assert app.clipboard == one
        assert notifications(app)[-1] == f"Copied {len(one):,} characters."
        await press(pilot, "v", "j", "y")  # the v selection
        two = " ".join(article.text[s[1].start : s[2].end].split())
        assert app.clipboard == two and view_of(pilot).anchor is None
        await press(pilot, "Y")
        title, source = article.summary.title, article.summary.source
        assert source is not None and source.startswith("http")
        quote = " ".join(article.text[s[2].start : s[2].end].split())
        assert app.clipboard == f"“{quote}” — {title}, {source}"


async def test_y_in_the_notes_panel_copies_the_note(lib_path: Path) -> None:
    with opened(lib_path) as lib:
        text = lib.get_article(ECB).text
        start = text.index("Figures published by Eurostat")
        lib.add_note(ECB, "Check [bold]this[/bold]", start, start + 29)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        await press(pilot, "n")
        assert app.focused is screen.query_one(NotesPanel)
        await press(pilot, "y")
        assert app.clipboard == "Check [bold]this[/bold]"
        await press(pilot, "Y")
        assert app.clipboard.startswith("“Figures published by Eurostat” — ")
        assert app.clipboard.endswith("\n\nCheck [bold]this[/bold]")


async def test_ctrl_c_copies_the_selection_else_says_how_to_quit(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        await press(pilot, "ctrl+c")  # no selection: Textual's hint
        assert app.clipboard == ""
        assert any("to quit" in m for m in notifications(app)), notifications(app)
        assert isinstance(app.screen, ReaderScreen)
        await press(pilot, "v", "j", "ctrl+c")
        s = screen.article.sentences  # type: ignore[union-attr]
        text = screen.article.text  # type: ignore[union-attr]
        assert app.clipboard == " ".join(text[s[0].start : s[1].end].split())
        rows = help_rows(screen)
        assert rows["^c"] == COPY_HELP
        assert "Copy selected text" not in rows.values()


async def test_the_library_help_says_what_ctrl_c_does(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        rows = help_rows(app.screen)
        assert rows["^c"] == "Copy mouse-selected text (none: how to quit)"
        assert (rows["u"], rows["M"]) == ("Undo", "Mark all read")
        await press(pilot, "ctrl+c")
        assert any("to quit" in m for m in notifications(app)), notifications(app)
