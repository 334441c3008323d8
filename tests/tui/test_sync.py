"""Sync from the command palette, with real library files on two "devices"."""

from __future__ import annotations

import re
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.conftest import fork, opened, screen_text, settle
from tests.tui.test_reader import ECB, open_article, view_of
from tui.app import GlossApp
from tui.screens.library import LibraryScreen
from tui.screens.modals import PathPrompt
from tui.widgets.jobs import JobBar

SIZE = (120, 40)
QUOTE = "Finance ministers from France and Italy"


def note_from_another_device(template: Path, tmp_path: Path, folder: Path) -> str:
    """A second device writes a note and publishes to `folder`; returns the note id."""
    folder.mkdir(exist_ok=True)
    other = fork(template, tmp_path / "laptop.db")
    try:
        start, end = other.find_quote(ECB, QUOTE)
        note = other.add_note(ECB, "Written on the [b]laptop[/b].", start, end)
        report = other.sync(folder)
        assert report.published and not report.peers
        return note.id
    finally:
        other.close()


async def palette_sync(pilot: Pilot, path: Path | None) -> str:
    """ctrl+p, choose the sync command, then type `path` (None: accept what is offered);
    returns the path the prompt offered."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*"Sync with a folder")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    prompt = pilot.app.screen
    assert isinstance(prompt, PathPrompt)
    offered = prompt.query_one(Input).value
    if path is not None:
        await pilot.press(*str(path))
    await pilot.press("enter")
    await settle(pilot, rounds=10)
    return offered


def messages(pilot: Pilot) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in pilot.app._notifications]


async def test_palette_sync_brings_a_note_from_another_device(
    lib_path: Path, tui_template: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "Sync"
    note_id = note_from_another_device(tui_template, tmp_path, folder)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "0 notes" in screen_text(pilot)
        assert await palette_sync(pilot, folder) == ""
        assert isinstance(app.screen, LibraryScreen)
        assert not app.screen.query_one(JobBar).display  # the progress line is gone
        summaries = [m for m, _ in messages(pilot) if m.startswith("Synced with")]
        assert len(summaries) == 1, messages(pilot)
        assert f"Synced with {folder}: " in summaries[0]
        assert "received" in summaries[0] and "; wrote " in summaries[0]
        assert any("it now syncs as device" in m for m, _ in messages(pilot))  # a copy
        text = screen_text(pilot)
        assert "1 note" in text and "✎1" in text  # the header and the article's row
        await open_article(pilot, lib_path, ECB)
        await pilot.press("n")
        assert "Written on the [b]laptop[/b]." in screen_text(pilot)
        assert len(list(folder.glob("*.glosspack"))) == 2  # the laptop's file and ours
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert await palette_sync(pilot, None) == str(folder)  # the last path is offered
        again = [m for m, _ in messages(pilot) if m.startswith("Synced with")][-1]
        # nothing read again; written: the one fact since (opening the article read it)
        assert re.search(r"Sync: wrote \S+\.glosspack \(1 fact, [\d,]+ bytes\)\.$", again), again
    with opened(lib_path) as lib:
        note = lib.note(note_id)
        assert (note.article_id, note.body) == (ECB, "Written on the [b]laptop[/b].")


async def test_sync_while_reading_updates_the_reader(
    lib_path: Path, tui_template: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "Sync"
    note_from_another_device(tui_template, tmp_path, folder)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        assert screen.article is not None and screen.article.notes == ()
        await palette_sync(pilot, folder)
        assert app.screen is screen
        assert [n.body for n in screen.article.notes] == ["Written on the [b]laptop[/b]."]
        assert "✎" in view_of(pilot)._marks.values()


async def test_a_sync_that_fails_is_an_error_notification(lib_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "no such folder" / "library.gloss"
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await palette_sync(pilot, target)
        errors = [m for m, s in messages(pilot) if s == "error"]
        assert len(errors) == 1, messages(pilot)
        assert errors[0].startswith(f"Sync with {target} failed: no folder")
        assert isinstance(app.screen, LibraryScreen)
        assert not app.screen.query_one(JobBar).display
    assert not target.parent.exists()


async def test_sync_with_a_damaged_peer_warns_and_changes_nothing(
    lib_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "Sync"
    folder.mkdir()
    (folder / "broken.gloss").write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await palette_sync(pilot, folder)
        [(summary, severity)] = [m for m in messages(pilot) if m[0].startswith("Synced")]
        assert severity == "warning"
        assert "skipped broken.gloss: " in summary, summary
    with opened(lib_path) as lib:
        assert lib.stats()["notes"] == 0
