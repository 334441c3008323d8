"""A note edited on two devices while offline: marked in the reader, resolved side by side."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, TextArea

from tests.tui.conftest import make_conflict, opened, screen_text, settle
from tests.tui.test_reader import ECB, open_article, view_of
from tui.app import GlossApp
from tui.screens.conflict import ConflictResolver, merged_draft
from tui.screens.reader import ReaderScreen
from tui.widgets.layout import row_at
from tui.widgets.notes_panel import NotesPanel

SIZE = (120, 40)
QUOTE = "Although the vote was described as unanimous"


@pytest.fixture
def conflict(lib_path: Path, tui_template: Path, tmp_path: Path) -> tuple[str, tuple[str, ...]]:
    return make_conflict(lib_path, tui_template, tmp_path / "Sync", ECB, QUOTE)


def resolved(path: Path, note_id: str) -> tuple[str, bool]:
    with opened(path) as lib:
        note = lib.note(note_id)
        return note.body, note.conflict


async def test_a_conflict_is_marked_in_the_margin_and_the_panel(lib_path: Path, conflict) -> None:
    note_id, versions = conflict
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        view = view_of(pilot)
        [note] = screen.article.notes  # type: ignore[union-attr]
        assert note.conflict and note.versions == versions
        assert view._marks[row_at(view._row_starts, note.anchor.start)] == "⚠"  # type: ignore[union-attr]
        assert "Resolve conflict" in screen_text(pilot)  # in the footer while there is one
        await pilot.press("n")
        text = screen_text(pilot)
        assert "⚠ conflict" in text
        assert "1) Written here: the vote was not" in text
        assert "[bold]check[/bold] the minutes." in text  # a version is text, not markup


async def test_choosing_version_2_resolves_the_conflict(lib_path: Path, conflict) -> None:
    note_id, versions = conflict
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("c")  # the note is further down: the cursor goes there
        resolver = app.screen
        assert isinstance(resolver, ConflictResolver)
        view = app.screen_stack[-2].query_one("ArticleView")
        sentence = view.sentences[view.cursor]  # type: ignore[attr-defined]
        assert QUOTE in view.text[sentence.start : sentence.end]  # type: ignore[attr-defined]
        text = screen_text(pilot)
        assert "Version 1" in text and "Version 2" in text
        assert versions[0] in text and "Written on the laptop: [bold]check[/bold]" in text
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReaderScreen)
        assert "⚠" not in view_of(pilot)._marks.values()
        assert "Resolve conflict" not in screen_text(pilot)
        assert any(n.message == "Conflict resolved." for n in app._notifications)
    assert resolved(lib_path, note_id) == (versions[1], False)


async def test_keep_buttons_choose_too(lib_path: Path, conflict) -> None:
    note_id, versions = conflict
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("n", "i")  # i on the note in the panel
        assert isinstance(app.screen, ConflictResolver)
        await pilot.click("#keep-1")
        await settle(pilot)
    assert resolved(lib_path, note_id) == (versions[0], False)


async def test_writing_a_merged_text_resolves_the_conflict(lib_path: Path, conflict) -> None:
    note_id, versions = conflict
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("n")
        assert isinstance(app.focused, NotesPanel)
        await pilot.press("enter")  # enter on a conflicted note opens it too
        resolver = app.screen
        assert isinstance(resolver, ConflictResolver)
        await pilot.press("m")
        area = resolver.query_one(TextArea)
        assert app.focused is area and area.text == merged_draft(versions)
        assert "\n\n".join(versions) == area.text
        await pilot.press("escape")  # back to the versions, the draft kept
        assert not resolver.merging and isinstance(app.screen, ConflictResolver)
        await pilot.press("m", *" Both: 12 of 25")  # digits are text while merging
        assert isinstance(app.screen, ConflictResolver)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert "⚠ conflict" not in screen_text(pilot)
    assert resolved(lib_path, note_id) == ("\n\n".join(versions) + " Both: 12 of 25", False)


async def test_cancel_leaves_the_conflict(lib_path: Path, conflict) -> None:
    note_id, versions = conflict
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("c", "escape")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        await pilot.press("c")
        await pilot.click("#cancel")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.query_one(NotesPanel).display is False
    with opened(lib_path) as lib:
        assert lib.note(note_id).conflict and lib.note(note_id).versions == versions


async def test_c_without_a_conflict_does_nothing(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        assert "Resolve conflict" not in screen_text(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert not app.screen.query(Button)
