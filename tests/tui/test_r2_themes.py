"""Round 2, themes: every theme Textual ships keeps the cursor, the selection, highlights and
notes readable: WCAG AA contrast (4.5:1) between the text and its background, measured on the
segments the widgets actually render in that theme (not on a copy of their CSS). And a quit
during an import does not wait for it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.color import Color as RichColor
from rich.segment import Segment
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from textual.app import App
from textual.filter import dim_color
from textual.pilot import Pilot
from textual.widget import Widget

from tests.tui.conftest import opened, settle
from tests.tui.test_reader import ECB, open_article
from tui.app import GlossApp
from tui.stoppable import run_stoppable
from tui.widgets.article_list import ArticleList
from tui.widgets.article_view import ArticleView
from tui.widgets.notes_panel import NotesPanel
from tui.widgets.sidebar import Sidebar

THEMES = sorted(App().available_themes)
AA = 4.5
NOTE_QUOTE = "Figures published by Eurostat earlier in the month"
HIGHLIGHT_FROM, HIGHLIGHT_TO = "The decision, announced", "Futures pricing"


def luminance(color: RichColor, foreground: bool) -> float:
    """WCAG relative luminance (an ANSI colour as Rich's default terminal shows it)."""
    r, g, b = color.get_truecolor(DEFAULT_TERMINAL_THEME, foreground=foreground)

    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(segment: Segment) -> float:
    """WCAG contrast of a segment's text on its background; dim text as Textual draws it
    where the terminal cannot (blended halfway to the background, textual.filter)."""
    style = segment.style
    assert style is not None and style.color is not None and style.bgcolor is not None
    fg_color = dim_color(style.bgcolor, style.color) if style.dim else style.color
    fg, bg = luminance(fg_color, True), luminance(style.bgcolor, False)
    if style.reverse:
        fg, bg = bg, fg
    hi, lo = max(fg, bg), min(fg, bg)
    return (hi + 0.05) / (lo + 0.05)


def glyph_runs(widget: Widget, rows: range) -> list[Segment]:
    """The segments with visible glyphs on `rows` of `widget`, as it renders them."""
    return [segment for y in rows for segment in widget.render_line(y) if segment.text.strip()]


def assert_readable(widget: Widget, rows: range, *parts: str) -> None:
    """Every glyph on `rows` reads at AA, and the component `parts` are among them (by their
    background), so that what is measured is what the test means."""
    runs = glyph_runs(widget, rows)
    poor = [(round(contrast(s), 2), s.text, str(s.style)) for s in runs if contrast(s) < AA]
    assert poor == []
    backgrounds = {s.style.bgcolor for s in runs if s.style}
    for part in parts:
        assert widget.get_component_rich_style(part).bgcolor in backgrounds, part


@pytest.mark.parametrize("theme", THEMES)
async def test_every_theme_keeps_cursor_selection_highlights_and_notes_readable(
    theme: str, lib_path: Path
) -> None:
    with opened(lib_path) as lib:
        text = lib.get_article(ECB).text
        lib.highlight(ECB, text.index(HIGHLIGHT_FROM), text.index(HIGHLIGHT_TO))
        at = text.index(NOTE_QUOTE)
        lib.add_note(ECB, "Check the March [b]figure[/b].", at, at + len(NOTE_QUOTE))
    app = GlossApp(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        app.theme = theme
        await settle(pilot)
        articles = app.screen.query_one(ArticleList)
        articles.focus()
        await pilot.pause()
        cursor_row = range(articles.cursor, articles.cursor + 1)
        assert_readable(articles, cursor_row, "article-list--cursor")
        app.screen.query_one(Sidebar).focus()  # the list's cursor when it has no focus
        await pilot.pause()
        assert not articles.has_focus
        assert_readable(articles, cursor_row, "article-list--cursor")
        sidebar = app.screen.query_one(Sidebar)  # its own cursor (the counts on it too)
        at = sidebar.cursor_line - round(sidebar.scroll_offset.y)
        assert_readable(sidebar, range(at, at + 1), "tree--cursor")

        articles.focus()
        await pilot.pause()
        assert not sidebar.has_focus
        assert_readable(sidebar, range(at, at + 1), "tree--cursor")
        await open_article(pilot, lib_path, ECB)
        view = app.screen.query_one(ArticleView)
        await pilot.press("j", "j")
        await pilot.pause()
        everything = range(view.size.height)
        parts = ("article-view--cursor", "article-view--highlight", "article-view--note")
        assert_readable(view, everything, *parts)
        await pilot.press("v", "j")
        await pilot.pause()
        assert view.anchor is not None
        assert_readable(view, everything, "article-view--selection")

        await pilot.press("n")
        await settle(pilot)
        panel = app.screen.query_one(NotesPanel)
        assert panel.has_focus and panel.option_count == 2
        assert_readable(panel, range(panel.size.height), "option-list--option-highlighted")


async def test_a_job_whose_worker_is_cancelled_is_told_to_stop_and_the_worker_ends_at_once(
    lib_path: Path,
) -> None:
    """Quitting during an import: Textual cancels the worker, which returns at once (nothing
    for Python to join at exit) while the job, in its daemon thread, sees stop() at its next
    check between articles."""
    started, gate = threading.Event(), threading.Event()
    seen: list[bool] = []

    def job(stop: Callable[[], bool]) -> str:
        seen.append(stop())
        started.set()
        gate.wait()  # the job is mid-article when the worker is cancelled
        seen.append(stop())
        return "finished"

    app = GlossApp(lib_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        lib = app.library_screen.lib
        assert lib is not None
        returned, results = threading.Event(), []

        def body() -> None:
            results.append(run_stoppable(lib, job))
            returned.set()

        worker = app.run_worker(body, thread=True)
        assert await asyncio.to_thread(started.wait, 10)  # (the app's loop runs meanwhile)
        worker.cancel()
        assert await asyncio.to_thread(returned.wait, 10)
        assert results == [None] and seen == [False]  # returned while the job still runs
        gate.set()
        (thread,) = [t for t in threading.enumerate() if t.name == "gloss-job"]
        assert thread.daemon
        await asyncio.to_thread(thread.join, 10)
        assert seen == [False, True]


# -- snapshots in a light theme (the dark ones are in test_snapshots.py) ------------------------

LIGHT = "textual-light"
SIZE = (120, 40)


def test_library_screen_in_a_light_theme(snap_compare, lib_path: Path) -> None:
    with opened(lib_path) as lib:
        ids = [a.id for a in lib.list_articles()]
        lib.set_starred(ids[1])
        lib.set_read(ids[2])
        lib.add_note(ids[1], "Worth a second read.")

    async def ready(pilot: Pilot) -> None:
        pilot.app.theme = LIGHT
        await settle(pilot)

    assert snap_compare(GlossApp(lib_path), run_before=ready, terminal_size=SIZE)


def test_reader_with_entities_a_highlight_a_note_and_a_selection_in_a_light_theme(
    snap_compare, lib_path: Path
) -> None:
    with opened(lib_path) as lib:
        text = lib.get_article(ECB).text
        lib.highlight(ECB, text.index(HIGHLIGHT_FROM), text.index(HIGHLIGHT_TO))
        at = text.index(NOTE_QUOTE)
        lib.add_note(ECB, "Check the March [bold]figure[/bold].", at, at + len(NOTE_QUOTE))

    async def reading(pilot: Pilot) -> None:
        pilot.app.theme = LIGHT
        await open_article(pilot, lib_path, ECB)
        await pilot.press("j", "j", "v", "j", "n")
        await settle(pilot)

    assert snap_compare(GlossApp(lib_path), run_before=reading, terminal_size=SIZE)
