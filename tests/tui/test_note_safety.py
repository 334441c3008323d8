"""Notes are never lost in the reader (issue 12): the note editor closes only once the note is
in the library file, stays with its text when the save fails, and asks before ctrl+q quits
with typed text in it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Label, Static, TextArea

from store.notes.annotations import MAX_NOTE_CHARS
from tests.tui.conftest import opened, settle
from tests.tui.test_reader import open_article
from tui.app import GlossApp
from tui.screens.modals import ConfirmScreen, NoteEditor
from tui.screens.reader import ReaderScreen

SIZE = (120, 40)
BANK = "European Central Bank Holds Rates"
REFUSE = (
    "CREATE TRIGGER refuse_notes BEFORE INSERT ON note_revisions"
    " BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
)


def bank_article(path: Path) -> str:
    """The id of the sample article the notes go on (by title: ids follow the import)."""
    with opened(path) as lib:
        [found] = [a.id for a in lib.list_articles() if a.title.startswith(BANK)]
        return found


def bodies_on_disk(path: Path, article_id: str | None = None) -> list[str]:
    """The notes on the article as a second, independent connection sees them."""
    article_id = article_id or bank_article(path)
    with opened(path) as lib:
        return sorted(n.body for n in lib.notes(article_id))


async def open_bank_article(pilot: Pilot, path: Path) -> ReaderScreen:
    return await open_article(pilot, path, bank_article(path))


def editor_of(pilot: Pilot) -> NoteEditor:
    screen = pilot.app.screen
    assert isinstance(screen, NoteEditor)
    return screen


def status_of(editor: NoteEditor) -> tuple[str, str]:
    """(the hint line, the error line or "" when it is hidden)."""
    hint = str(editor.query_one("#note-hint", Label).content)
    error = editor.query_one("#note-error", Static)
    return hint, str(error.content) if error.display else ""


async def test_the_editor_closes_only_once_the_note_is_in_the_library(lib_path: Path) -> None:
    """At the moment the editor leaves the screen, a second connection already reads the note
    (the editor used to close 30-110 ms before the row was committed)."""
    seen: list[list[str]] = []
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_bank_article(pilot, lib_path)
        article_id = reader.article_id

        def changed(screen: Screen) -> None:  # called as the screen changes, before anything else
            if isinstance(screen, ReaderScreen):
                seen.append(bodies_on_disk(lib_path, article_id))

        app.screen_change_signal.subscribe(app, changed, immediate=True)
        written: list[str] = []
        for i in range(10):
            body = f"{i} [b]{'x' * i}[/b]"  # markup in a note is data
            await pilot.press("A", *body)
            assert editor_of(pilot).query_one(TextArea).text == body
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, ReaderScreen)
            written.append(body)
            assert seen[-1] == sorted(written), i
        assert len(seen) == 10
    assert bodies_on_disk(lib_path) == sorted(written)


async def test_while_saving_the_editor_says_so_and_keeps_the_text(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_bank_article(pilot, lib_path)
        await pilot.press("A", *"Held back")
        with reader._lock:  # the reader is busy writing: the save waits for it
            await pilot.press("ctrl+s")
            editor = editor_of(pilot)
            assert status_of(editor) == ("saving…", "")
            assert editor.query_one(TextArea).read_only
            await pilot.press("escape", "x")  # neither cancels nor types while saving
            assert editor_of(pilot) is editor
            assert editor.query_one(TextArea).text == "Held back"
            assert bodies_on_disk(lib_path) == []
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert bodies_on_disk(lib_path) == ["Held back"]


async def test_a_note_over_the_size_limit_keeps_the_editor_and_its_text(lib_path: Path) -> None:
    body = "x" * (MAX_NOTE_CHARS + 1)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_bank_article(pilot, lib_path)
        await pilot.press("A")
        editor = editor_of(pilot)
        editor.query_one(TextArea).text = body
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert editor_of(pilot) is editor
        assert editor.query_one(TextArea).text == body
        assert not editor.query_one(TextArea).read_only
        assert status_of(editor) == (
            NoteEditor.HINT,
            "Not saved: note too long (100,001 characters; the limit is 100,000)",
        )
        await pilot.press("end", "backspace", "ctrl+s")  # one character less: it fits
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
    assert bodies_on_disk(lib_path) == ["x" * MAX_NOTE_CHARS]


async def test_a_failed_write_keeps_the_editor_and_saves_on_retry(lib_path: Path) -> None:
    """A write the library refuses (here a trigger, as a full disk would) keeps the editor;
    once the library takes writes again, ctrl+s saves the same text once."""
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_bank_article(pilot, lib_path)
        with sqlite3.connect(lib_path) as other:
            other.execute(REFUSE)
        await pilot.press("A", *"Keep me", "ctrl+s")
        await settle(pilot)
        editor = editor_of(pilot)
        assert editor.query_one(TextArea).text == "Keep me"
        assert status_of(editor)[1] == "Not saved: library error: the disk is full"
        assert bodies_on_disk(lib_path) == []
        with sqlite3.connect(lib_path) as other:
            other.execute("DROP TRIGGER refuse_notes")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
    assert bodies_on_disk(lib_path) == ["Keep me"]


async def test_quitting_with_typed_text_asks_first(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_bank_article(pilot, lib_path)
        await pilot.press("a", *"Half a thought", "ctrl+q")
        assert app.return_code is None  # still running
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Quit and discard what you typed?"
        await pilot.press("n")
        assert app.return_code is None
        assert editor_of(pilot).query_one(TextArea).text == "Half a thought"
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert app.return_code == 0  # quit
    assert bodies_on_disk(lib_path) == []


async def test_quitting_from_an_empty_editor_does_not_ask(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_bank_article(pilot, lib_path)
        await pilot.press("A")
        editor_of(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.return_code == 0


async def test_quitting_while_a_note_is_saved_waits_for_it(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_bank_article(pilot, lib_path)
        await pilot.press("A", *"Last words")
        with reader._lock:
            await pilot.press("ctrl+s", "ctrl+q")
            assert app.return_code is None
            assert isinstance(app.screen, NoteEditor)  # no question: nothing will be lost
        await settle(pilot)
        assert app.return_code == 0
    assert bodies_on_disk(lib_path) == ["Last words"]
