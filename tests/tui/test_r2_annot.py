"""#16: seeing annotations while reading (margin marks, note bodies inline, a notice), narrow
and short terminals (panels over the text, a two-row header, the sidebar on and off), and
text cut with an ellipsis."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Library
from tests.tui.conftest import no_model, opened, screen_text, settle
from tests.tui.test_reader import ECB, open_article
from tui.app import GlossApp
from tui.screens.modals import TagEditor
from tui.widgets.article_header import ArticleHeader
from tui.widgets.article_view import HIGHLIGHT, NOTE, ArticleView
from tui.widgets.cut import guide_width
from tui.widgets.entities_panel import EntitiesPanel
from tui.widgets.layout import INLINE_INDENT, row_at
from tui.widgets.notes_panel import NotesPanel
from tui.widgets.sidebar import Sidebar

SIZES = [(60, 20), (80, 24), (120, 40)]
WIDTHS = [60, 70, 80, 90, 100, 110, 120]
BODY = "Check the [bold]March[/bold] figure.\nSecond line of the note."
QUOTE = "Figures published by Eurostat earlier in the month"


def notifications(app: GlossApp) -> list[str]:
    return [n.message for n in app._notifications]


def add_note(path: Path, body: str = BODY) -> tuple[int, int]:
    with opened(path) as lib:
        at = lib.get_article(ECB).text.index(QUOTE)
        lib.add_note(ECB, body, at, at + len(QUOTE))
    return at, at + len(QUOTE)


def lines_of(pilot, widget) -> list[str]:
    """The screen's text where `widget` is drawn, one string per row."""
    region = widget.region
    rows = screen_text(pilot).split("\n")[region.y : region.bottom]
    return [row[region.x : region.right] for row in rows]


# -- seeing annotations ----------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_a_highlight_gets_a_margin_mark_and_says_so(lib_path: Path, size) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=size) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        await pilot.press("h")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert "Highlight added." in notifications(app)
        view = screen.view
        (note,) = screen.article.notes
        assert note.is_highlight
        row = row_at([r.start for r in view.rows], note.anchor.start)
        assert view._marks[row] == HIGHLIGHT
        assert lines_of(pilot, view)[row - round(view.scroll_offset.y)][1] == HIGHLIGHT
        await pilot.press("h")  # the same passage again: removed, and its mark with it
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert "Highlight removed." in notifications(app)
        assert HIGHLIGHT not in view._marks.values()


async def test_a_notes_mark_shows_over_a_highlights_on_the_same_row(lib_path: Path) -> None:
    start, end = add_note(lib_path)
    with opened(lib_path) as lib:
        lib.highlight(ECB, start, end)
    app = GlossApp(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        row = row_at([r.start for r in screen.view.rows], start)
        assert screen.view._marks[row] == NOTE


@pytest.mark.parametrize("size", SIZES)
async def test_I_shows_note_bodies_under_their_paragraph_as_text(lib_path: Path, size) -> None:
    start, _ = add_note(lib_path)
    app = GlossApp(lib_path)
    async with app.run_test(size=size) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        view: ArticleView = screen.view
        before = len(view.rows)
        assert view.inline_rows == {}
        await pilot.press("I")
        await settle(pilot)
        shown = view.inline_rows
        assert shown, "no note body shown"
        bodies = [s.removeprefix(INLINE_INDENT) for s in shown.values()]
        assert bodies == ["Check the [bold]March[/bold] figure.", "Second line of the note."]
        assert len(view.rows) == before + len(shown)
        # under the paragraph holding the passage: after its last row, before the next one
        paragraph_end = view.text.index("\n", start)
        first = min(shown)
        assert view.rows[first - 1].end == paragraph_end
        assert view.rows[max(shown) + 1].start > paragraph_end
        # on screen, as written (not as markup), once scrolled to
        view.go_to(start)
        await pilot.pause()
        view.scroll_to(y=first, animate=False)
        await pilot.pause()
        on_screen = "\n".join(lines_of(pilot, view))
        assert "[bold]March" in on_screen
        top = round(view.scroll_offset.y)
        muted = view.get_component_rich_style("article-view--inline", partial=True).color
        assert muted is not None and muted != view.rich_style.color
        for row in shown:  # italic, muted (secondary text that reads), on the text's background
            (segment,) = [x for x in view.render_line(row - top) if "│" in x.text]
            assert segment.style.italic and segment.style.color == muted
            assert segment.style.bgcolor == view.rich_style.bgcolor
        # the cursor still walks the text's sentences, and lands on text rows
        view.go_to(start)
        assert view.rows[row_at([r.start for r in view.rows], start)] not in (
            view.rows[i] for i in shown
        )
        await pilot.press("I")
        await settle(pilot)
        assert view.inline_rows == {} and len(view.rows) == before
        assert "Notes shown under their paragraphs." in notifications(app)


async def test_inline_bodies_follow_a_new_note(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        await pilot.press("I")
        assert screen.view.inline_rows == {}
        add_note(lib_path, "Written elsewhere.")
        screen.reload()
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert [s.removeprefix(INLINE_INDENT) for s in screen.view.inline_rows.values()] == [
            "Written elsewhere."
        ]


# -- narrow and short terminals --------------------------------------------------------------


@pytest.mark.parametrize("panel,key", [(NotesPanel, "n"), (EntitiesPanel, "E")])
@pytest.mark.parametrize("size", SIZES)
async def test_below_100_columns_a_side_panel_lies_over_the_text(
    lib_path: Path, size, panel, key
) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=size) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        text_width = screen.view.size.width
        await pilot.press(key)
        await settle(pilot)
        shown = screen.query_one(panel)
        assert shown.display and shown.region.width > 0
        assert shown.region.right == size[0]  # at the right edge
        if size[0] < 100:
            assert screen.view.size.width == text_width  # the text keeps its width
            assert shown.region.x < screen.view.region.right  # drawn over it
        else:
            assert screen.view.region.right <= shown.region.x  # beside it
            assert screen.view.size.width >= 60


@pytest.mark.parametrize("size", SIZES)
async def test_b_hides_and_shows_the_readers_side_panel(lib_path: Path, size) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=size) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        await pilot.press("b")  # none shown: the notes panel
        assert screen.notes_panel.display and not screen.entities_panel.display
        await pilot.press("b")
        assert not screen.notes_panel.display and screen.view.has_focus
        await pilot.press("E", "b")
        assert not screen.entities_panel.display
        await pilot.press("b")  # the one hidden last
        assert screen.entities_panel.display and not screen.notes_panel.display


@pytest.mark.parametrize("size", SIZES)
async def test_the_header_takes_two_rows_on_a_short_terminal(lib_path: Path, size) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=size) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        header = screen.query_one(ArticleHeader)
        lines = lines_of(pilot, header)
        title = screen.article.summary.title
        if size[1] < 24:
            assert header.outer_size.height == 2
            assert lines[0].strip().endswith("…") and title.startswith(lines[0].strip()[:-1])
            assert "#economy" in lines[1] and "2026-04-16" in lines[1]
        else:
            assert header.outer_size.height >= 4
            assert any(title in line for line in lines)


async def test_the_header_follows_the_terminals_height(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        header = screen.query_one(ArticleHeader)
        assert header.outer_size.height >= 4
        await pilot.resize_terminal(80, 20)
        await settle(pilot)
        assert header.outer_size.height == 2
        await pilot.resize_terminal(80, 30)
        await settle(pilot)
        assert header.outer_size.height >= 4


@pytest.mark.parametrize("size", SIZES)
async def test_b_hides_and_shows_the_sidebar(lib_path: Path, size) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        sidebar = app.screen.query_one(Sidebar)
        from tui.widgets.article_list import ArticleList

        articles = app.screen.query_one(ArticleList)
        narrow = size[0] < 70
        assert sidebar.display is not narrow  # hidden at first below 70 columns
        with_side = articles.size.width if not narrow else None
        await pilot.press("b")
        await settle(pilot)
        assert sidebar.display is narrow
        if not narrow:
            assert articles.size.width == with_side + sidebar.outer_size.width
        assert articles.region.right == size[0]
        await pilot.press("b")
        await settle(pilot)
        assert sidebar.display is not narrow


async def test_the_title_column_fills_the_list(lib_path: Path) -> None:
    """At 60 columns, without the sidebar, titles get the width less the fixed columns."""
    app = GlossApp(lib_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        with opened(lib_path) as lib:
            titles = [a.title for a in lib.list_articles()]
        rows = screen_text(pilot).split("\n")[1 : 1 + len(titles)]
        for title, row in zip(titles, rows, strict=True):
            assert len(row.rstrip()) >= 50, row
            shown = row[4:44].rstrip()
            assert title.startswith(shown.removesuffix("…")), (title, row)


# -- text cut with an ellipsis ---------------------------------------------------------------


def cut_ok(line: str, full: str) -> bool:
    """`line` shows `full` whole, or a start of it ending in "…"."""
    line = line.strip()
    return full in line or (line.endswith("…") and full.startswith(line[:-1].strip()))


@pytest.mark.parametrize("width", WIDTHS)
async def test_the_empty_sidebars_hint_fits_and_long_tags_end_in_an_ellipsis(
    tmp_path: Path, width: int
) -> None:
    path = tmp_path / "empty.db"
    Library.open(path).close()
    app = GlossApp(path)
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        sidebar = app.screen.query_one(Sidebar)
        if not sidebar.display:
            await pilot.press("b")
            await settle(pilot)
        (line,) = [x for x in lines_of(pilot, sidebar) if "no tags" in x]
        assert "no tags (t adds one)" in line, line  # whole, at every width
    long_tag = "a-tag-name-longer-than-the-sidebar"
    (tmp_path / "one.txt").write_text("One\n\nSome text about nothing much.\n")
    with opened(path) as lib, no_model():
        lib.import_paths([tmp_path / "one.txt"])
        (article,) = lib.list_articles()
        lib.tag(article.id, add=[long_tag])
    app = GlossApp(path)
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        sidebar = app.screen.query_one(Sidebar)
        if not sidebar.display:
            await pilot.press("b")
            await settle(pilot)
        (line,) = [x for x in lines_of(pilot, sidebar) if "a-tag" in x]
        shown = line.strip(" └├")
        assert shown.endswith("…") and long_tag.startswith(shown[:-1]), line


@pytest.mark.parametrize("width", WIDTHS)
async def test_the_tag_dialogs_title_ends_in_an_ellipsis(lib_path: Path, width: int) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=(width, 30)) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        title = screen.article.summary.title
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TagEditor)
        (line,) = [x for x in screen_text(pilot).split("\n") if "Tags of" in x]
        heading = line.split("Tags of", 1)[1].split("█")[0]
        assert cut_ok(heading, "“" + title + "”"), line


@pytest.mark.parametrize("width", WIDTHS)
async def test_the_entities_panel_ends_cut_rows_with_an_ellipsis(
    lib_path: Path, width: int
) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=(width, 40)) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        await pilot.press("E")
        await settle(pilot)
        panel = screen.entities_panel
        check_cut_rows(panel)
        panel.styles.width = 30  # narrower than several rows
        await settle(pilot)
        assert check_cut_rows(panel) > 0


def check_cut_rows(panel: EntitiesPanel) -> int:
    """Assert each row of `panel` shows whole or cut with "…"; the number cut."""
    room = panel.scrollable_content_region.width
    cut = 0
    for node in panel.root.children:
        full = node.label.plain
        shown = panel.render_label(node, panel.rich_style, panel.rich_style).plain
        space = room - guide_width(node, panel.guide_depth, panel.show_root)
        assert len(shown) <= space
        if len(full) > space:
            cut += 1
            assert shown.endswith("…") and full.startswith(shown[:-1]), (full, shown)
        else:
            assert shown == full
    assert panel.virtual_size.width <= room  # nothing scrolled out of sight sideways
    return cut


@pytest.mark.parametrize("width", WIDTHS)
async def test_the_library_header_ends_in_an_ellipsis_when_cut(lib_path: Path, width) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        line = screen_text(pilot).split("\n")[0].rstrip()
        assert line.endswith("showing All") or line.endswith("…"), line


# -- snapshots at 80x24 ----------------------------------------------------------------------

SMALL = (80, 24)


def annotate(path: Path) -> None:
    """A highlight and a note (with markup in its body) on the ECB article."""
    with opened(path) as lib:
        text = lib.get_article(ECB).text
        start = text.index("The decision, announced")
        lib.highlight(ECB, start, text.index("Futures pricing"))
    add_note(path)


def test_library_at_80x24(snap_compare, lib_path: Path) -> None:
    with opened(lib_path) as lib:
        ids = [a.id for a in lib.list_articles()]
        lib.set_starred(ids[1])
        lib.set_read(ids[2])
        lib.add_note(ids[1], "Worth a second read.")

    async def ready(pilot) -> None:
        await settle(pilot)

    assert snap_compare(GlossApp(lib_path), run_before=ready, terminal_size=SMALL)


def test_library_at_60x20_without_the_sidebar(snap_compare, lib_path: Path) -> None:
    async def ready(pilot) -> None:
        await settle(pilot)

    assert snap_compare(GlossApp(lib_path), run_before=ready, terminal_size=(60, 20))


def test_reader_at_80x24_with_notes_inline(snap_compare, lib_path: Path) -> None:
    annotate(lib_path)

    async def reading(pilot) -> None:
        screen = await open_article(pilot, lib_path, ECB)
        await pilot.press("I")
        text = screen.view.text
        screen.view.go_to(text.index("\n", text.index(QUOTE)) + 2)  # the next paragraph
        await settle(pilot)
        pilot.app.clear_notifications()  # (a toast would cover the text being checked)
        await settle(pilot)

    assert snap_compare(GlossApp(lib_path), run_before=reading, terminal_size=SMALL)


def test_reader_at_80x24_with_the_notes_panel_over_the_text(snap_compare, lib_path: Path) -> None:
    annotate(lib_path)

    async def reading(pilot) -> None:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("j", "j", "j", "n")
        await settle(pilot)

    assert snap_compare(GlossApp(lib_path), run_before=reading, terminal_size=SMALL)


def test_reader_at_60x20(snap_compare, lib_path: Path) -> None:
    annotate(lib_path)

    async def reading(pilot) -> None:
        await open_article(pilot, lib_path, ECB)
        await settle(pilot)

    assert snap_compare(GlossApp(lib_path), run_before=reading, terminal_size=(60, 20))


@pytest.mark.parametrize("width", WIDTHS)
async def test_the_key_bar_shows_whole_keys_then_an_ellipsis(lib_path: Path, width) -> None:
    from tui.widgets.footer import KeyBar

    app = GlossApp(lib_path)
    async with app.run_test(size=(width, 30)) as pilot:
        await open_article(pilot, lib_path, ECB)
        bar = app.screen.query_one(KeyBar)
        left = lines_of(pilot, bar)[0].split("▏")[0].rstrip()
        entries = [f" {i.display} {i.description} " for i in bar.items]
        whole = 0
        while whole < len(entries) and left.startswith("".join(entries[: whole + 1]).rstrip()):
            whole += 1
        assert left.startswith("".join(entries[:whole]).rstrip())
        if whole < len(entries):
            assert left.endswith("…") and left[:-1].rstrip() == "".join(entries[:whole]).rstrip()
        if width <= 80:
            assert whole < len(entries)  # (the reader has more keys than 80 columns hold)


async def test_moving_to_a_paragraphs_last_sentence_brings_its_notes_into_view(
    lib_path: Path,
) -> None:
    start, _ = add_note(lib_path)
    app = GlossApp(lib_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        await pilot.press("I")
        view = screen.view
        paragraph_end = view.text.index("\n", start)
        view.go_to(paragraph_end - 1)  # the paragraph's last sentence
        await pilot.pause()
        top = round(view.scroll_offset.y)
        height = view.scrollable_content_region.height
        assert all(top <= row < top + height for row in view.inline_rows)
