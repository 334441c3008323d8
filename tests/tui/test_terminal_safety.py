"""Terminal safety end to end (issue #8): articles, notes, tags and file names written to attack
the terminal are imported, then every screen is driven with Pilot and what Textual would write
to the terminal is checked: only its own colour and cursor sequences, no escape sequence, bell,
C1 control or bidi override from the data; markup shown as text; the app still responds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.app import App

from store import Library
from store.core.errors import InvalidInput
from tests.tui.conftest import screen_text, settle
from tests.tui.test_reader import open_article, view_of
from tui.app import GlossApp
from tui.screens.help import HelpScreen
from tui.screens.reader import ReaderScreen
from tui.screens.search import SearchScreen
from tui.widgets.article_list import ArticleList
from tui.widgets.entities_panel import EntitiesPanel
from tui.widgets.hit_list import HitList
from tui.widgets.notes_panel import NotesPanel

SIZE = (120, 40)
OSC52 = "\x1b]52;c;ZXZpbA==\x07"  # write "evil" to the clipboard
OSC8 = "\x1b]8;;http://evil.test\x1b\\link\x1b]8;;\x1b\\"  # a hyperlink
CLEAR = "\x1b[2J"
C1 = "\x9b31m"  # 8-bit CSI: red
BIDI = "\u202e"  # right-to-left override
ZERO_WIDTH = "\u200b"
MARKUP = ["[/]", "[link=http://evil.test]x[/link]", "[bold red]"]
LONG_LINE = "x" * 5_000  # no space to break at
ATTACKS = f"clip{OSC52}board {OSC8} clear{CLEAR}ed c1{C1}red bidi{BIDI}dibi zero{ZERO_WIDTH}width"
TXT_TITLE = "Hostile plain [bold red]text[/] " + CLEAR
TXT = f"""{TXT_TITLE}

Acme Corporation said on Monday that {ATTACKS} would not stop the merger with Globex in Paris.

Markup stays text: {" ".join(MARKUP)} and [bold]bold[/bold] too.

{LONG_LINE}

The last paragraph is plain, so the reader can move past the long line.
"""
MD = f"""---
title: "Hostile markdown {OSC8}"
author: "Mallory {BIDI}rekcah"
---

# Heading with {CLEAR}escapes

Paragraph with {OSC52} a clipboard write and {C1} an 8-bit CSI and {" ".join(MARKUP)}.
"""
HTML = f"""<!doctype html><html><head><title>Hostile HTML [bold red]page[/]</title></head>
<body><article><h1>Hostile HTML [bold red]page[/]</h1>
<p>The council of Springfield met on Tuesday {OSC52} to discuss {OSC8} the budget {CLEAR}.</p>
<p>Members voted {C1} seven to two {BIDI} in favour {" ".join(MARKUP)} of the plan.</p>
<p>A third paragraph makes this look like an article worth extracting for readers.</p>
</article></body></html>
"""
NOTE = f"Note: {ATTACKS} {' '.join(MARKUP)}"

# What Textual itself writes: SGR colour sequences and cursor moves. Nothing else may start
# with ESC; no other control, C1 or bidi override character may appear at all.
TEXTUAL_SEQUENCES = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\d+;\d+H")
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_output(app: App[object]) -> str:
    """What Textual would write to a terminal to draw the whole top screen now (in a real
    terminal `App._display` writes exactly this; headless, nothing is written)."""
    update = app.screen._compositor.render_update(full=True)
    return update.render_segments(app.console)  # type: ignore[union-attr]


def assert_terminal_safe(app: App[object]) -> None:
    output = terminal_output(app)
    rest = TEXTUAL_SEQUENCES.sub("", output)
    found = FORBIDDEN.search(rest)
    assert found is None, f"{found.group()!r} near {rest[max(0, found.start() - 40) :][:80]!r}"
    assert "\x1b]" not in output  # no OSC at all: no hyperlink, clipboard or title
    svg = app.export_screenshot()
    assert FORBIDDEN.search(svg.replace("\n", "")) is None


def write_corpus(folder: Path) -> None:
    folder.mkdir()
    (folder / "hostile.txt").write_text(TXT, encoding="utf-8")
    (folder / "hostile.md").write_text(MD, encoding="utf-8")
    (folder / "hostile.html").write_text(HTML, encoding="utf-8")


@pytest.fixture
def hostile_library(tmp_path: Path) -> tuple[Path, str]:
    """The corpus imported with the model, annotated with hostile notes; (library, txt id)."""
    write_corpus(tmp_path / "corpus")
    path = tmp_path / "hostile.db"
    with Library.open(path) as lib:
        report = lib.import_paths([tmp_path / "corpus"])
        assert report.count("imported") == 3, report.to_json()
        [aid] = [a.id for a in lib.list_articles() if a.title.startswith("Hostile plain")]
        start, end = lib.find_quote(aid, "Markup stays text:")
        lib.add_note(aid, NOTE, start, end)
        lib.add_note(aid, f"On the whole article: {CLEAR}{OSC52}[bold red]loud[/]")
        lib.tag(aid, add=["safe/tag"])
        for bad in ("[bold red]", "[link=http://evil.test]x[/link]", "[/]"):
            with pytest.raises(InvalidInput):
                lib.tag(aid, add=[bad])
        lib.tag(aid, add=[f"esc{CLEAR}aped"])  # the escape is removed whole at the edge
        assert lib.summary(aid).tags == ("escaped", "safe/tag")
        stored = lib.get_article(aid)
        assert FORBIDDEN.search(stored.text + stored.title) is None
        assert all(FORBIDDEN.search(n.body) is None for n in stored.notes)
    return path, aid


async def test_hostile_corpus_never_reaches_the_terminal(
    hostile_library: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SearchScreen, "DEBOUNCE", 0)
    path, aid = hostile_library
    app = GlossApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # the library list and the sidebar's tags
        text = screen_text(pilot)
        assert "Hostile plain [bold red]text[/]" in text
        assert "Hostile HTML [bold red]page[/]" in text
        assert "safe" in text and "escaped" in text
        assert_terminal_safe(app)

        # the reader, then its notes and entities panels
        await open_article(pilot, path, aid)
        text = screen_text(pilot)
        assert "Markup stays text: [/] [link=http://evil.test]x[/link] [bold red]" in text
        assert "clipboard" in text and "zero" in text
        assert_terminal_safe(app)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.focused, NotesPanel)
        text = screen_text(pilot)
        assert "[bold red]loud[/]" in text
        assert_terminal_safe(app)
        await pilot.press("E")
        await settle(pilot)
        panel = app.screen.query_one(EntitiesPanel)
        assert app.focused is panel and panel.root.children  # the model found entities
        assert_terminal_safe(app)

        # the 5,000-character line is folded into rows, and moving past it still works
        view = view_of(pilot)
        start = view.text.index(LONG_LINE)
        rows = [r for r in view.rows if start <= r.start < start + len(LONG_LINE)]
        assert len(rows) >= len(LONG_LINE) // 88 and all(r.end - r.start <= 88 for r in rows)
        await pilot.press("escape", "G")  # close the panel, go to the last passage
        await pilot.pause()
        assert "The last paragraph is plain" in screen_text(pilot)
        await pilot.press("k")
        assert view.cursor == len(view.sentences) - 2
        assert_terminal_safe(app)
        await pilot.press("escape")
        await settle(pilot)

        # search results: titles and snippets
        await pilot.press("slash", *"hostile")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        assert app.screen.query_one(HitList).option_count >= 3
        assert "[bold red]" in screen_text(pilot)
        assert_terminal_safe(app)
        await pilot.press("escape")
        await settle(pilot)

        # help, and the app still answers keys
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert_terminal_safe(app)
        await pilot.press("escape", "j")
        await pilot.pause()
        assert app.screen.query_one(ArticleList).cursor == 1


async def test_a_library_written_around_the_sanitiser_is_still_safe(
    hostile_library: tuple[Path, str],
) -> None:
    """A library file is input too: text that never went through import (a damaged file,
    somebody else's) is made safe on its way to the terminal."""
    path, aid = hostile_library
    raw = f"Raw {OSC52}{OSC8}{CLEAR}{C1}{BIDI}\x07 title [bold red]x[/]"
    with Library.open(path) as lib, lib.write() as conn:
        conn.execute("UPDATE articles SET title = ?, text = ? WHERE id = ?",
                     (raw, raw + "\n\n" + TXT, aid))  # fmt: skip
    app = GlossApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Raw" in screen_text(pilot)
        assert_terminal_safe(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen) and app.screen.article is not None
        assert "[bold red]x[/]" in screen_text(pilot)
        assert_terminal_safe(app)


async def test_hostile_file_names_in_messages_are_safe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """File names come from disk: an import failure names the file in a notification."""
    monkeypatch.chdir(tmp_path)  # a short relative path, so the message wraps predictably
    folder = Path("drop")
    folder.mkdir()
    (folder / f"evil{OSC52}[bold red]name.txt").write_text("", encoding="utf-8")  # empty: fails
    app = GlossApp(tmp_path / "lib.db", [folder])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(OSC52 + "[bold red]name.txt" in m for m in messages), messages
        text = screen_text(pilot)
        # shown as text, the escape and the bell gone: nothing left for a terminal to act on
        assert "evil]52;c;ZXZpbA==[bold" in text and "name.txt: empty file" in text
        assert_terminal_safe(app)
