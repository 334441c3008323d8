"""#16's small items: `o` where no browser can open, `c` with no conflict, and counts of
one said in the singular."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.ingest.services.record import Saved
from tests.tui.conftest import opened, screen_text, settle
from tests.tui.test_reader import ECB, ids_in_order, open_article
from tests.tui.test_saved_links import save_links
from tui.app import GlossApp
from tui.entity_view import entity_page_text
from tui.screens.reader_layout import SHORT
from tui.widgets.article_header import ArticleHeader, Legend
from tui.words import plural

SIZE = (120, 40)
URL = "https://news.example/a-story?x=1"


def notifications(app: GlossApp) -> list[str]:
    return [n.message for n in app._notifications]


async def press_o(lib_path: Path) -> tuple[str, list[str]]:
    """Open a saved link (its source is a web address), press o: the clipboard and the
    notifications then."""
    (link,) = save_links(lib_path, Saved("row 1", url=URL, title="A story"))
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, link)
        await pilot.press("o")
        await app.workers.wait_for_complete()
        await settle(pilot)
        return app.clipboard, notifications(app)


def browser(monkeypatch, result: bool) -> list[str]:
    """webbrowser.open replaced by one that records the address and returns `result`."""
    opened_urls: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened_urls.append(url) or result)
    return opened_urls


async def test_o_without_a_display_shows_the_address_and_copies_it(
    lib_path: Path, monkeypatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    opened_urls = browser(monkeypatch, True)
    clipboard, messages = await press_o(lib_path)
    assert clipboard == URL
    assert any(URL in m and "copied" in m for m in messages), messages
    assert opened_urls == []  # no text browser was started over the app


async def test_o_when_the_browser_fails_shows_the_address(lib_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DISPLAY", ":99")
    opened_urls = browser(monkeypatch, False)  # (none found)
    clipboard, _ = await press_o(lib_path)
    assert opened_urls == [URL] and clipboard == URL


async def test_o_with_a_browser_opens_it(lib_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DISPLAY", ":99")
    opened_urls = browser(monkeypatch, True)
    clipboard, _ = await press_o(lib_path)
    assert opened_urls == [URL] and clipboard != URL


async def test_c_without_a_conflict_says_so(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("c")
        await settle(pilot)
        assert "No note in this article is in conflict." in notifications(app)


def test_plural() -> None:
    assert plural(1, "article") == "1 article"
    assert plural(0, "note") == "0 notes"
    assert plural(2310, "article") == "2,310 articles"


def test_an_entity_in_one_article_is_said_in_the_singular(lib_path: Path) -> None:
    with opened(lib_path) as lib:
        counts = lib.entities(None, None, 200, False)
        once = next(e for e in counts if e.articles == 1)
        page = lib.entity_page(once.text, once.label)
    text = entity_page_text(page).plain
    assert "1 article ·" in text and "1 articles" not in text


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 40)])
async def test_the_legend_wraps_between_entries_and_every_label_has_a_key(
    lib_path: Path, size: tuple[int, int]
) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=size) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        labels = screen._labels()
        assert len(labels) > 9  # (the sample article: some labels past the ninth)
        lines = screen_text(pilot).split("\n")
        legend = screen.query_one(Legend)
        if size[1] < SHORT:  # one line, "+N more" (it took three rows at 60x20)
            assert legend.outer_size.height == 1  # (no rule under it: its colour sets it off)
            assert screen.query_one(ArticleHeader).outer_size.height == 2
            (line,) = [x for x in lines if x.lstrip().startswith("Entities")]
            shown = [i for i, (label, n) in enumerate(labels) if f" {label} {n} " in line]
            assert shown == list(range(len(shown))) and 0 < len(shown) < len(labels), line
            assert line.rstrip().endswith(f"+{len(labels) - len(shown)} more"), line
            labels = labels[: len(shown)]
        for i, (label, n) in enumerate(labels):
            key = str(i + 1) if i < 9 else "0"
            entry = f"{key}  {label} {n} "
            assert any(entry in line for line in lines), (entry, lines[:8])


async def test_0_switches_the_labels_past_the_ninth(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        rest = {label for label, _ in screen._labels()[9:]}
        await pilot.press("0")
        await settle(pilot)
        assert screen.hidden_labels == rest
        text = screen_text(pilot)
        assert all(f"0 {label} " in text and "off" in text for label in rest)
        await pilot.press("0")
        await settle(pilot)
        assert screen.hidden_labels == frozenset()


async def test_quick_presses_of_the_brackets_each_count_in_order(lib_path: Path) -> None:
    """] pressed over and over without waiting moves one article per press (the presses
    queued while a step was looked up were dropped: 5 presses moved 2 articles); the
    articles passed over are not opened, so not marked read."""
    order = ids_in_order(lib_path)
    forward = len(order) - 1
    assert forward >= 4, order
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, order[0])
        for _ in range(forward):
            screen.action_step(1)  # (as fast as keys come: no pause between them)
        await settle(pilot)
        assert screen.article is not None and screen.article.id == order[forward]
        await pilot.press("left_square_bracket", "left_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert screen.article.id == order[forward - 1]
        for _ in range(3):
            screen.action_step(1)  # past the last: one step, then "No next article."
        await settle(pilot)
        assert screen.article.id == order[forward]
        assert "No next article." in notifications(app)
    with opened(lib_path) as lib:
        read = {a.id: a.read for a in lib.list_articles()}
    passed = order[1 : forward - 2]  # (passed over by the first walk, and never opened)
    assert passed and [read[i] for i in passed] == [False] * len(passed)


async def test_the_entities_panel_never_shows_the_last_articles_entities(
    lib_path: Path,
) -> None:
    """While the next article is fetched, the entities panel says so instead of listing the
    article before's entities under it (for 250-300 ms)."""
    order = ids_in_order(lib_path)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, order[0])
        await pilot.press("E")
        await settle(pilot)
        panel = screen.entities_panel
        before = [str(n.label) for n in panel.root.children]
        assert before and panel.article_id == order[0]
        with screen._lock:  # (the fetch of the next article waits for it)
            await pilot.press("right_square_bracket")
            for _ in range(20):
                await pilot.pause()
                if panel.article_id == order[1]:
                    break
            assert [str(n.label) for n in panel.root.children] == ["Loading…"]
        await settle(pilot)
        assert panel.article_id == order[1] and screen.article.id == order[1]
        assert [str(n.label) for n in panel.root.children] != ["Loading…"]
