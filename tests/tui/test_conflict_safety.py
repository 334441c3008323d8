"""A conflict's resolution is never lost (issue 12): the resolver closes only once the chosen
or merged text is in the library file, stays with its text when the write fails, and asks
before esc or ctrl+q drops an edited merge text."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, Label, Static, TextArea

from store import Library
from store.sync.folder import SyncReport, check_device
from tests.tui.conftest import fork, make_conflict, opened, settle
from tests.tui.test_reader import ECB, open_article
from tui.app import GlossApp
from tui.screens.conflict import ConflictResolver, merged_draft
from tui.screens.modals import ConfirmScreen
from tui.screens.reader import ReaderScreen

SIZE = (120, 40)
QUOTE = "Although the vote was described as unanimous"
REFUSE = (
    "CREATE TRIGGER refuse_notes BEFORE INSERT ON note_revisions"
    " BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
)
VERSIONS_HINT = "1-2 keep a version · m write a merged text · esc cancel"
MERGING_HINT = "ctrl+s save the merged text · esc back to the versions"


@pytest.fixture
def conflict(lib_path: Path, tui_template: Path, tmp_path: Path) -> tuple[str, tuple[str, ...]]:
    return make_conflict(lib_path, tui_template, tmp_path / "Sync", ECB, QUOTE)


def on_disk(path: Path, note_id: str) -> tuple[str, bool]:
    """(body, still in conflict) as a second, independent library on the file sees them."""
    with opened(path) as lib:
        note = lib.note(note_id)
        return note.body, note.conflict


async def open_resolver(pilot: Pilot, path: Path) -> ConflictResolver:
    await open_article(pilot, path, ECB)
    await pilot.press("c")
    resolver = pilot.app.screen
    assert isinstance(resolver, ConflictResolver)
    return resolver


def resolver_of(pilot: Pilot) -> ConflictResolver:
    screen = pilot.app.screen
    assert isinstance(screen, ConflictResolver)
    return screen


def status_of(resolver: ConflictResolver) -> tuple[str, str]:
    """(the hint line, the error line or "" when it is hidden)."""
    hint = str(resolver.query_one("#hint", Label).content)
    error = resolver.query_one("#conflict-error", Static)
    return hint, str(error.content) if error.display else ""


def watch_leaving(pilot: Pilot, path: Path, note_id: str) -> list[tuple[str, bool]]:
    """What the file holds at each moment the reader comes back on top."""
    seen: list[tuple[str, bool]] = []

    def changed(screen: Screen) -> None:  # called as the screen changes, before anything else
        if isinstance(screen, ReaderScreen):
            seen.append(on_disk(path, note_id))

    pilot.app.screen_change_signal.subscribe(pilot.app, changed, immediate=True)
    return seen


async def test_a_merged_text_is_in_the_library_when_the_resolver_closes(
    lib_path: Path, conflict
) -> None:
    """The resolver used to close first and write after: a kill then lost the merged text."""
    note_id, versions = conflict
    merged = merged_draft(versions) + " Both [b]12[/b] of 25"  # markup in a note is data
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_resolver(pilot, lib_path)
        seen = watch_leaving(pilot, lib_path, note_id)
        await pilot.press("m", *" Both [b]12[/b] of 25")
        assert resolver_of(pilot).query_one(TextArea).text == merged
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert seen == [(merged, False)]
        assert any(n.message == "Conflict resolved." for n in app._notifications)
    assert on_disk(lib_path, note_id) == (merged, False)


async def test_a_kept_version_is_in_the_library_when_the_resolver_closes(
    lib_path: Path, conflict
) -> None:
    note_id, versions = conflict
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_resolver(pilot, lib_path)
        seen = watch_leaving(pilot, lib_path, note_id)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert seen == [(versions[1], False)]
    assert on_disk(lib_path, note_id) == (versions[1], False)


async def test_while_saving_the_resolver_says_so_and_takes_no_other_choice(
    lib_path: Path, conflict
) -> None:
    note_id, versions = conflict
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_article(pilot, lib_path, ECB)
        await pilot.press("c", "m", *" Held back")
        resolver = resolver_of(pilot)
        with reader._lock:  # the reader is busy writing: the save waits for it
            await pilot.press("ctrl+s")
            assert status_of(resolver) == ("saving…", "")
            assert resolver.query_one(TextArea).read_only
            assert all(button.disabled for button in resolver.query(Button))
            await pilot.press("escape", "x", "1")  # neither goes back, types nor keeps
            assert resolver_of(pilot) is resolver and resolver.merging
            assert resolver.query_one(TextArea).text == merged_draft(versions) + " Held back"
            assert on_disk(lib_path, note_id) == (versions[1], True)
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
    assert on_disk(lib_path, note_id) == (merged_draft(versions) + " Held back", False)


async def test_a_failed_write_keeps_the_resolver_and_its_text(lib_path: Path, conflict) -> None:
    """A write the library refuses (here a trigger, as a full disk would) keeps the resolver
    with the merged text and a one-line reason; once writes work again, ctrl+s saves it."""
    note_id, versions = conflict
    merged = merged_draft(versions) + " Keep me"
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_resolver(pilot, lib_path)
        with sqlite3.connect(lib_path) as other:
            other.execute(REFUSE)
        await pilot.press("m", *" Keep me", "ctrl+s")
        await settle(pilot)
        resolver = resolver_of(pilot)
        assert resolver.merging
        area = resolver.query_one(TextArea)
        assert area.text == merged and not area.read_only and app.focused is area
        assert not any(button.disabled for button in resolver.query(Button))
        assert status_of(resolver) == (MERGING_HINT, "Not saved: library error: the disk is full")
        assert on_disk(lib_path, note_id) == (versions[1], True)
        with sqlite3.connect(lib_path) as other:
            other.execute("DROP TRIGGER refuse_notes")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
    assert on_disk(lib_path, note_id) == (merged, False)


async def test_a_failed_keep_stays_on_the_versions(lib_path: Path, conflict) -> None:
    note_id, versions = conflict
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_resolver(pilot, lib_path)
        with sqlite3.connect(lib_path) as other:
            other.execute(REFUSE)
        await pilot.press("1")
        await settle(pilot)
        resolver = resolver_of(pilot)
        assert not resolver.merging
        assert status_of(resolver) == (VERSIONS_HINT, "Not saved: library error: the disk is full")
        assert on_disk(lib_path, note_id) == (versions[1], True)
        with sqlite3.connect(lib_path) as other:
            other.execute("DROP TRIGGER refuse_notes")
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
    assert on_disk(lib_path, note_id) == (versions[0], False)


async def test_quitting_with_an_edited_merge_text_asks_first(lib_path: Path, conflict) -> None:
    note_id, versions = conflict
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_resolver(pilot, lib_path)
        await pilot.press("m", *" Half a thought", "ctrl+q")
        assert app.return_code is None  # still running
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Quit and discard what you typed?"
        await pilot.press("n")
        assert app.return_code is None
        assert resolver_of(pilot).query_one(TextArea).text == (
            merged_draft(versions) + " Half a thought"
        )
        await pilot.press("escape", "ctrl+q")  # back on the versions, the text is still there
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert app.return_code == 0  # quit
    assert on_disk(lib_path, note_id) == (versions[1], True)


@pytest.mark.parametrize("keys", [(), ("m",)], ids=["versions", "untouched draft"])
async def test_quitting_with_nothing_typed_does_not_ask(
    lib_path: Path, conflict, keys: tuple[str, ...]
) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_resolver(pilot, lib_path)
        await pilot.press(*keys, "ctrl+q")
        await pilot.pause()
        assert app.return_code == 0


async def test_quitting_while_saving_waits_for_the_resolution(lib_path: Path, conflict) -> None:
    note_id, versions = conflict
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_article(pilot, lib_path, ECB)
        await pilot.press("c", "m", *" Last words")
        with reader._lock:
            await pilot.press("ctrl+s", "ctrl+q")
            assert app.return_code is None
            assert isinstance(app.screen, ConflictResolver)  # no question: nothing is lost
        await settle(pilot)
        assert app.return_code == 0
    assert on_disk(lib_path, note_id) == (merged_draft(versions) + " Last words", False)


async def test_cancelling_an_edited_merge_text_asks_first(lib_path: Path, conflict) -> None:
    note_id, versions = conflict
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_resolver(pilot, lib_path)
        await pilot.press("m", *" Draft", "escape")  # back to the versions: nothing lost yet
        assert not resolver_of(pilot).merging
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Discard what you typed?"
        await pilot.press("n")
        assert resolver_of(pilot).query_one(TextArea).text == merged_draft(versions) + " Draft"
        await pilot.press("m")
        await pilot.click("#cancel")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
    assert on_disk(lib_path, note_id) == (versions[1], True)


def article_note_conflict(path: Path, template: Path, folder: Path) -> str:
    """A note on the whole article edited on two devices while offline; its id."""
    folder.mkdir()
    here = Library.open(path)
    check_device(here.handle, SyncReport())
    laptop = fork(template, folder.parent / "laptop.db")
    try:
        note = here.add_note(ECB, "first thought")
        here.sync(folder)
        laptop.sync(folder)
        here.edit_note(note.id, "Written here.")
        laptop.edit_note(note.id, "Written on the laptop.")
        laptop.sync(folder)
        here.sync(folder)
        assert here.note(note.id).conflict
        return note.id
    finally:
        here.close()
        laptop.close()


async def test_an_empty_merge_of_an_article_note_is_refused_in_one_line(
    lib_path: Path, tui_template: Path, tmp_path: Path
) -> None:
    note_id = article_note_conflict(lib_path, tui_template, tmp_path / "Sync")
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        resolver = await open_resolver(pilot, lib_path)
        await pilot.press("m")
        resolver.query_one(TextArea).text = "  \n"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert resolver_of(pilot) is resolver
        assert resolver.query_one(TextArea).text == "  \n"
        assert status_of(resolver) == (
            MERGING_HINT,
            "Not saved: a note on the whole article needs some text",
        )
    assert on_disk(lib_path, note_id) == ("Written on the laptop.", True)
