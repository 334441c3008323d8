"""Round 2, themes: everything the library, search and reader screens draw stays readable in
every theme Textual ships, measured on the screen as composed (what the terminal is sent: dim
text already blended towards its background by Textual's colour filter, as in a real terminal).

Bounds: text, marks and secondary text (dates, counts, hints, aliases) 4.5:1 (WCAG AA for body
text: "dim" text is still text someone reads); lines that are graphics, not text (tree guides,
the key bar's separators, the dividers between search results) 3:1, WCAG's bound for non-text
contrast (1.4.11). Not measured: borders (not their titles) and scrollbars (decoration; the
reader says where it is in words, "· 42%"), and a dialog's backdrop (faded on purpose).

All themes are measured in one app run per screen state (switching `app.theme`), every
failure collected and reported at once. And a quit during an import does not wait for it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.segment import Segment
from rich.terminal_theme import TerminalTheme
from textual.app import App
from textual.filter import DIM_FACTOR
from textual.pilot import Pilot
from textual.screen import Screen
from textual.scrollbar import ScrollBar
from textual.widgets import Input

from store import Library
from tests.tui.conftest import make_conflict, opened, pin_import_dates, screen_text, settle
from tests.tui.test_reader import ECB, open_article
from tui import config
from tui.app import GlossApp
from tui.screens.entities import EntityRanking
from tui.screens.entity_dialogs import ChoiceScreen
from tui.screens.entity_page import EntityList
from tui.screens.modals import ConfirmScreen, PathPrompt
from tui.stoppable import run_stoppable
from tui.widgets.article_list import ArticleList
from tui.widgets.article_view import ArticleView
from tui.widgets.hit_list import HitList
from tui.widgets.jobs import JobBar
from tui.widgets.notes_panel import NotesPanel

THEMES = sorted(App().available_themes)
AA = 4.5
LINES_BOUND = 3.0
LINES = set("─│├└┌┐┘┬┴┼╶╴╺╸━┃▏▕█")  # (█: the entity page's bar chart, a graphic)
"""Glyphs that are lines (guides, separators, the progress bar): LINES_BOUND."""
NOTE_QUOTE = "Figures published by Eurostat earlier in the month"
HIGHLIGHT_FROM, HIGHLIGHT_TO = "The decision, announced", "Futures pricing"
CONFLICT_QUOTE = "Although the vote was described as unanimous"


def luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG relative luminance."""

    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(segment: Segment, terminal: TerminalTheme) -> float:
    """WCAG contrast of a composed segment's text on its background (reverse or not: the
    ratio is the same either way). An ANSI colour as Textual renders it in this light or dark
    theme (`App.ansi_theme`); dim text (left to the terminal in an ANSI theme) as Textual
    draws it, halfway to the background (textual.filter)."""
    style = segment.style
    assert style is not None and style.color is not None and style.bgcolor is not None
    fg = style.color.get_truecolor(terminal, foreground=True)
    bg = style.bgcolor.get_truecolor(terminal, foreground=False)
    if style.dim:
        fg = tuple(b + (f - b) * DIM_FACTOR for f, b in zip(fg, bg, strict=True))
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True)
class Poor:
    state: str
    theme: str
    where: str
    text: str
    colours: str
    ratio: float
    bound: float

    def __str__(self) -> str:
        return (f"{self.theme:<20} {self.state:<16} {self.where:<22} {self.ratio:>5.2f} < "
                f"{self.bound} {self.colours:<30} {self.text!r}")  # fmt: skip


def measure(app: App, state: str) -> tuple[list[Poor], list[Segment]]:
    """Every glyph on the screen as composed; the poor ones, with the widget drawing them."""
    screen = app.screen
    poor: list[Poor] = []
    seen: list[Segment] = []
    for y, strip in enumerate(screen._compositor.render_strips()):
        x = 0
        for segment in strip:
            at, x = x, x + segment.cell_length
            glyphs = segment.text.strip()
            if not glyphs or segment.control:
                continue
            seen.append(segment)
            bound = LINES_BOUND if set(glyphs) <= LINES else AA
            if (ratio := contrast(segment, app.ansi_theme)) >= bound:
                continue
            widget, _ = screen.get_widget_at(at, y)
            if isinstance(widget, (ScrollBar, Screen)):
                continue  # a scrollbar; a dialog's faded backdrop
            if not widget.content_region.contains(at, y) and not any(map(str.isalnum, glyphs)):
                continue  # a border (its title is text, and measured)
            style = segment.style
            assert style is not None and style.color and style.bgcolor
            where = type(widget).__name__ + (f"#{widget.id}" if widget.id else "")
            colours = f"{style.color.name} on {style.bgcolor.name}"
            poor.append(Poor(state, app.theme, where, glyphs[:30], colours, round(ratio, 2), bound))
    return poor, seen


class Sweep:
    """Each screen state measured in every theme; the failures gathered, one per place."""

    def __init__(self, app: App, pilot: Pilot) -> None:
        self.app, self.pilot = app, pilot
        self.poor: dict[tuple[str, str, str, str], Poor] = {}
        self.seen: dict[str, list[Segment]] = {}

    async def __call__(self, state: str) -> list[Segment]:
        """Measure the screen as it is in each theme; the segments seen (in all themes)."""
        start = self.app.theme
        seen: list[Segment] = []
        screens: set[frozenset[tuple[object, object]]] = set()
        for theme in THEMES:
            self.app.theme = theme
            # (the theme's CSS is applied at the next turn of the loop, which also paints
            # a frame: applied here at once, every theme costs a few ms, not 100)
            self.app.refresh_css(animate=False)
            poor, segments = measure(self.app, state)
            seen += segments
            screens.add(frozenset((s.style.color, s.style.bgcolor) for s in segments if s.style))
            for p in poor:
                self.poor.setdefault((p.state, p.theme, p.where, p.colours), p)
        # each theme was measured in its own colours (the two ANSI ones may look alike)
        assert len(screens) >= len(THEMES) - 1, state
        self.app.theme = start
        await self.pilot.pause()
        return seen

    def report(self) -> str:
        lines = sorted(map(str, self.poor.values()))
        return f"{len(lines)} poor contrasts:\n" + "\n".join(lines)


def add_orphans(lib: Library, folder: Path) -> str:
    """An article re-imported without two annotated passages: an orphaned note and an
    orphaned highlight (and a note that survived). Returns the article's id."""
    paragraphs = ["The council met on Tuesday to discuss the river crossing.",
                  "The council voted to close the old bridge in March.",
                  "Residents asked for a ferry service while a new bridge is built.",
                  "Traffic on the ring road is expected to rise by a third."]  # fmt: skip
    src = folder / "bridge.txt"
    src.write_text("Bridge Closure Debated\n\n" + "\n\n".join(paragraphs) + "\n", "utf-8")
    [first] = lib.import_paths([src]).results
    old = first.article_id
    assert old is not None
    lib.add_note(old, "Who pays for the ferry?", *lib.find_quote(old, paragraphs[2]))
    lib.add_note(old, "Check the minutes.", *lib.find_quote(old, paragraphs[1]))
    lib.highlight(old, *lib.find_quote(old, paragraphs[3]))
    src.write_text("Bridge Closure Debated\n\n" + "\n\n".join(paragraphs[::2]) + "\n", "utf-8")
    [second] = lib.import_paths([src]).results
    assert second.article_id is not None and second.article_id != old
    pin_import_dates(lib)
    return second.article_id


async def test_every_theme_keeps_the_library_search_and_reader_readable(
    lib_path: Path, tui_template: Path, tmp_path: Path
) -> None:
    """The cursor, the selection, highlights, notes, found words, the notes panel's headings
    (orphaned, conflict, the whole article), hover rows, tree guides, dim text, the header,
    the legend, the key bar, the progress line, toasts, the find bar, the entities panel and
    help, in every theme."""
    make_conflict(lib_path, tui_template, tmp_path / "Sync", ECB, CONFLICT_QUOTE)
    with opened(lib_path) as lib:
        text = lib.get_article(ECB).text
        lib.highlight(ECB, text.index(HIGHLIGHT_FROM), text.index(HIGHLIGHT_TO))
        at = text.index(NOTE_QUOTE)
        lib.add_note(ECB, "Check the March [b]figure[/b].", at, at + len(NOTE_QUOTE))
        lib.add_note(ECB, "A note on the whole article.")
        lib.set_read(lib.list_articles()[-1].id)  # a read row (dim) in the list
        bridge = add_orphans(lib, tmp_path)
    app = GlossApp(lib_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        sweep = Sweep(app, pilot)
        await settle(pilot)
        articles = app.screen.query_one(ArticleList)
        articles.focus()
        await pilot.hover("Sidebar", offset=(4, 3))  # a row under the mouse
        app.screen.query_one(JobBar)._show("Importing", 3, 8)  # the progress line, mid-job
        for severity in ("information", "warning", "error"):
            app.notify(f"A {severity} toast.", severity=severity, timeout=600)  # type: ignore[arg-type]
        await settle(pilot)
        shown = screen_text(pilot)
        assert "Importing 3/8" in shown and "A warning toast." in shown
        library = await sweep("library")
        app.clear_notifications()
        app.screen.query_one(JobBar).display = False
        assert "├" in screen_text(pilot) and any(s.text.strip() == "├" for s in library)

        await pilot.press("tab")  # the sidebar focused: the list's cursor blurred
        await pilot.hover("ArticleList", offset=(10, articles.cursor + 2))
        await pilot.pause()
        assert not articles.has_focus
        await sweep("sidebar")

        await pilot.press("slash")
        await settle(pilot)
        app.screen.query_one(Input).value = "inflation"
        hits = app.screen.query_one(HitList)
        for _ in range(200):  # (the search runs when the typing pauses: a timer)
            if hits.option_count:
                break
            await settle(pilot, 1)
        await pilot.press("down")  # to the results
        await pilot.hover("HitList", offset=(10, 5))
        await settle(pilot)
        assert hits.has_focus and hits.option_count >= 2, (app.focused, hits.option_count)
        found = await sweep("search results")
        assert any(s.style and s.style.underline and s.text == "inflation" for s in found)

        await pilot.press("enter")  # the first hit: the ECB article, its words marked
        await settle(pilot)
        view = app.screen.query_one(ArticleView)
        assert view.article_id == ECB and view.found
        await pilot.press("j", "j", "v", "j", "I", "n")
        await settle(pilot)
        panel = app.screen.query_one(NotesPanel)
        assert panel.has_focus and view.anchor is not None and view.inline_notes
        await pilot.hover("NotesPanel", offset=(6, 12))
        await pilot.pause()
        shown = screen_text(pilot)
        assert "On the whole article" in shown and "conflict: edited on two devices" in shown
        reader = await sweep("reader")
        assert any(s.style and s.style.reverse for s in reader)  # the found words

        assert panel.current is not None and panel.current.anchor is None  # the whole article
        for _ in range(panel.option_count):  # the conflict's heading on the panel's cursor
            if panel.current is not None and panel.current.conflict:
                break
            await pilot.press("j")
        assert panel.current is not None and panel.current.conflict
        await pilot.pause()
        await sweep("notes: conflict")

        await pilot.press("escape", "e", "slash", *"rate", "enter")
        await settle(pilot)
        assert app.screen.find_bar.display and view.found
        await sweep("find, entities")

        await pilot.press("question_mark")
        await settle(pilot)
        await sweep("help")
        await pilot.press("escape", "escape")  # help, then the find box
        await settle(pilot)
        view.focus()
        await pilot.press("g", "f")  # the first passage's entities: which one to correct
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen) and "Correct which" in screen_text(pilot)
        assert "mention" in screen_text(pilot)  # (a group's line: name, label, mentions)
        await sweep("entity chooser")
        await pilot.press("escape", "escape")
        await settle(pilot)

        app.action_entities()  # the library's entities (the palette's "Entities")
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        ranking = app.screen.query_one(EntityRanking)
        assert ranking.option_count > 3
        await pilot.press("j", "j")
        await pilot.hover("EntityRanking", offset=(10, 5))
        await pilot.pause()
        await sweep("entities")
        await pilot.press("enter")  # an entity's page: its co-mentions, articles, notes
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        items = app.screen.query_one(EntityList)
        items.focus()
        await pilot.press("j")
        await pilot.pause()
        assert items.option_count > 1 and "Mentioned with" in screen_text(pilot)
        await sweep("entity page")
        await pilot.press("escape", "escape")
        await settle(pilot)

        app.push_screen(PathPrompt())  # an empty input's placeholder ("~/news")
        await settle(pilot)
        assert "~/news" in screen_text(pilot)
        app.set_focus(None)  # the placeholder whole (the input's cursor, on its first
        await pilot.pause()  # character when focused, is measured where text is typed)
        await sweep("import dialog")
        await pilot.press("escape")
        app.push_screen(ConfirmScreen("Delete this note?", "Delete"))  # a destructive button
        await settle(pilot)
        await sweep("confirm dialog")
        await pilot.press("escape")
        await settle(pilot)

    app = GlossApp(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        sweep.app, sweep.pilot = app, pilot
        await open_article(pilot, lib_path, bridge)
        await pilot.press("n", "j", "j")
        await settle(pilot)
        shown = screen_text(pilot)
        assert "Orphaned" in shown and "orphaned highlight" in shown
        await sweep("orphans")
    assert not sweep.poor, sweep.report()


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


def test_themes_remembered_by_several_workers_at_once_are_all_written() -> None:
    """Each theme picked starts a worker that writes the state file; workers running at once
    (themes picked in quick succession) shared its temporary file, and one failed."""
    errors: list[OSError] = []

    def pick() -> None:
        try:
            for theme in THEMES:
                config.remember_theme(theme)
        except OSError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=pick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert config.remembered_theme() == THEMES[-1]
