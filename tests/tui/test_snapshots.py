"""Snapshots of the main screens (update with `pytest tests/tui --snapshot-update`).

Import dates are pinned by the fixtures and nothing time- or id-dependent is on screen.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import make_conflict, opened, settle
from tests.tui.test_reader import ECB, open_article
from tui.app import GlossApp
from tui.screens.search import SearchScreen

SIZE = (120, 40)
CONFLICT_QUOTE = "Although the vote was described as unanimous"


def test_library_screen(snap_compare, lib_path: Path) -> None:
    with opened(lib_path) as lib:
        ids = [a.id for a in lib.list_articles()]
        lib.set_starred(ids[1])
        lib.set_read(ids[2])
        lib.add_note(ids[1], "Worth a second read.")

    async def ready(pilot: Pilot) -> None:
        await settle(pilot)

    assert snap_compare(GlossApp(lib_path), run_before=ready, terminal_size=SIZE)


def test_reader_with_entities_a_highlight_and_a_note(snap_compare, lib_path: Path) -> None:
    with opened(lib_path) as lib:
        text = lib.get_article(ECB).text
        start = text.index("The decision, announced")
        lib.highlight(ECB, start, text.index("Futures pricing"))
        quote = "Figures published by Eurostat earlier in the month"
        at = text.index(quote)
        lib.add_note(ECB, "Check the March [bold]figure[/bold].", at, at + len(quote))

    async def reading(pilot: Pilot) -> None:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("j", "j", "j", "n")
        await settle(pilot)

    assert snap_compare(GlossApp(lib_path), run_before=reading, terminal_size=SIZE)


def test_help_screen(snap_compare, lib_path: Path) -> None:
    async def helped(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(GlossApp(lib_path), run_before=helped, terminal_size=SIZE)


def test_conflict_resolver(
    snap_compare, lib_path: Path, tui_template: Path, tmp_path: Path
) -> None:
    make_conflict(lib_path, tui_template, tmp_path / "Sync", ECB, CONFLICT_QUOTE)

    async def resolving(pilot: Pilot) -> None:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("c")
        await settle(pilot)

    assert snap_compare(GlossApp(lib_path), run_before=resolving, terminal_size=SIZE)


def test_search_screen(snap_compare, lib_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SearchScreen, "DEBOUNCE", 0)
    with opened(lib_path) as lib:
        start, end = lib.find_quote(ECB, CONFLICT_QUOTE)
        lib.add_note(ECB, "Rates [bold]and[/bold] the split vote.", start, end)

    async def searching(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("slash", *"rates")
        await settle(pilot)

    assert snap_compare(GlossApp(lib_path), run_before=searching, terminal_size=SIZE)


def test_search_help(snap_compare, lib_path: Path) -> None:
    async def searching(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)

    assert snap_compare(GlossApp(lib_path), run_before=searching, terminal_size=SIZE)
