"""Orphaned notes (issue #7): an article re-imported with changed text keeps every note; a note
whose passage is gone is listed in the panel's "Orphaned" section with its old quote, never
shown in the text, and can still be edited and deleted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static, TextArea

from store import Library
from tests.tui.conftest import opened, pin_import_dates, screen_text, settle
from tests.tui.test_reader import open_article, view_of
from tui.app import GlossApp
from tui.screens.modals import ConfirmScreen, NoteEditor
from tui.screens.reader import ReaderScreen
from tui.widgets.notes_panel import NotesPanel

SIZE = (120, 40)
TITLE = "Bridge Closure Debated"
KEPT = "Residents asked for a ferry service while a new bridge is built."
GONE = "The council voted to close the old bridge in March after engineers found cracks."
GONE_TOO = "Traffic on the ring road is expected to rise by a third during the works."
FIRST = [
    "The council met on Tuesday to discuss the future of the river crossing.",
    GONE,
    KEPT,
    GONE_TOO,
]
SECOND = [
    "The council met on Tuesday to discuss the future of the river crossing.",
    KEPT,
    "A public meeting about timetables is planned for the spring.",
]
BODY = "Check the [bold]minutes[/bold] of that vote."


@dataclass
class Orphans:
    db: Path
    article_id: str
    kept: str
    """The id of the note whose passage survived."""
    orphan: str
    """The id of the orphaned note."""
    highlight: str
    """The id of the orphaned highlight."""


def write(path: Path, paragraphs: list[str]) -> None:
    path.write_text(TITLE + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def make_orphans(tmp_path: Path) -> Orphans:
    """Import an article, annotate three passages, re-import it without two of them."""
    src = tmp_path / "bridge.txt"
    write(src, FIRST)
    db = tmp_path / "orphans.db"
    with Library.open(db) as lib:
        [first] = lib.import_paths([src]).results
        old = first.article_id
        assert old is not None
        kept = lib.add_note(old, "Who pays for the ferry?", *lib.find_quote(old, KEPT))
        orphan = lib.add_note(old, BODY, *lib.find_quote(old, GONE))
        highlight = lib.highlight(old, *lib.find_quote(old, GONE_TOO))
        write(src, SECOND)
        [second] = lib.import_paths([src]).results
        new = second.article_id
        assert second.status == "imported" and new is not None and new != old
        with lib.write() as conn:  # a stable source for the snapshot (the tmp path varies)
            conn.execute("UPDATE articles SET source = 'bridge.txt'")
        pin_import_dates(lib)
        moved = {n.id: n for n in lib.notes(new)}
        assert moved[kept.id].anchor is not None
        for note_id, quote in ((orphan.id, GONE), (highlight.id, GONE_TOO)):
            note = moved[note_id]
            assert note.anchor is None and note.orphan is not None
            assert note.orphan.exact == quote
        lib.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Orphans(db, new, kept.id, orphan.id, highlight.id)


def panel_of(pilot: Pilot) -> NotesPanel:
    return pilot.app.screen.query_one(NotesPanel)


async def to_note(pilot: Pilot, note_id: str) -> None:
    """Move the panel's highlight to a note with the keys, as a reader would."""
    panel = panel_of(pilot)
    for _ in range(panel.option_count):
        if panel.current is not None and panel.current.id == note_id:
            return
        await pilot.press("j")
    raise AssertionError(f"note {note_id} is not in the panel")


async def test_orphans_are_listed_apart_and_never_inline(tmp_path: Path, no_model) -> None:
    made = make_orphans(tmp_path)
    app = GlossApp(made.db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, made.db, made.article_id)
        assert GONE not in screen.article.text  # type: ignore[union-attr]
        # the text shows the surviving note only: one styled passage, no orphan anywhere
        spans = {(s, e) for row in view_of(pilot)._spans.values() for s, e, _ in row}
        kept_start = screen.article.text.index(KEPT)  # type: ignore[union-attr]
        assert spans == {(kept_start, kept_start + len(KEPT))}
        await pilot.press("n")
        panel = panel_of(pilot)
        assert app.focused is panel
        assert [n.id for n in panel.notes] == [made.kept, made.orphan, made.highlight]
        text = screen_text(pilot)
        assert "Orphaned" in text and "Their passages are not in this version" in text
        assert text.index("Who pays for the ferry?") < text.index("Orphaned")
        assert "⌀ “The council voted to close the old" in text
        assert "⌀ “Traffic on the ring road" in text
        assert "orphaned highlight" in text
        assert "[bold]minutes[/bold]" in text  # the body is data, shown literally
        # enter on an orphan: nowhere to jump, said so; the cursor stays where it was
        cursor = view_of(pilot).cursor
        await to_note(pilot, made.orphan)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert view_of(pilot).cursor == cursor
        assert any("no longer in the article" in n.message for n in app._notifications)


async def test_an_orphan_is_edited_and_deleted_from_the_panel(tmp_path: Path, no_model) -> None:
    made = make_orphans(tmp_path)
    app = GlossApp(made.db)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, made.db, made.article_id)
        await pilot.press("n")
        await to_note(pilot, made.orphan)
        await pilot.press("i")
        editor = app.screen
        assert isinstance(editor, NoteEditor)
        assert "orphaned" in editor.heading
        quote = str(editor.query_one(".quote", Static).content)
        assert "The council voted to close the old bridge" in quote  # the old quote, as data
        assert editor.query_one(TextArea).text == BODY
        await pilot.press(*" Still relevant.", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert "Still relevant." in screen_text(pilot)
        await to_note(pilot, made.highlight)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert [n.id for n in panel_of(pilot).notes] == [made.kept, made.orphan]
    with opened(made.db) as lib:
        note = lib.note(made.orphan)
        assert note.body == BODY + " Still relevant."
        assert note.anchor is None and note.orphan is not None
        assert note.orphan.exact == GONE  # the store keeps the quote through edits
        assert made.highlight not in {n.id for n in lib.notes(made.article_id)}
        assert lib.note(made.kept).anchor is not None


def test_notes_panel_with_orphans(snap_compare, tmp_path: Path, no_model) -> None:
    made = make_orphans(tmp_path)

    async def reading(pilot: Pilot) -> None:
        await open_article(pilot, made.db, made.article_id)
        await pilot.press("n")
        await to_note(pilot, made.orphan)
        await settle(pilot)

    assert snap_compare(GlossApp(made.db), run_before=reading, terminal_size=SIZE)
