"""The pieces under the widgets: wrapping, tag input, the tag tree, legend order, queries."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.color import Color

from store.core.errors import InvalidInput, LibraryError
from store.core.models import Entity, Filter
from tests.tui.conftest import insert_articles, opened
from tui.screens.modals import TagSuggester, parse_tags
from tui.widgets.article_header import label_counts
from tui.widgets.failures import URGENT_INTERVAL, describe, urgent
from tui.widgets.layout import (
    Row,
    _wrap_cells,
    _wrap_narrow,
    layout,
    row_at,
    spans_by_row,
    wrap_line,
)
from tui.widgets.safety import TerminalSafe, terminal_safe
from tui.widgets.sidebar import tag_tree


def test_wrap_line_breaks_at_words_and_keeps_every_character() -> None:
    line = "The quick brown fox jumps over the lazy dog"
    rows = wrap_line(line, 10)
    assert [line[s:e] for s, e in rows] == ["The quick ", "brown fox ", "jumps over ",
                                            "the lazy ", "dog"]  # fmt: skip
    assert "".join(line[s:e] for s, e in rows) == line


def test_wrap_line_folds_words_longer_than_the_row() -> None:
    line = "a " + "x" * 25 + " end"
    assert [line[s:e] for s, e in wrap_line(line, 10)] == ["a ", "x" * 10, "x" * 10,
                                                          "xxxxx end"]  # fmt: skip


def test_wrap_line_counts_cells_not_characters() -> None:
    line = "漢字漢字 漢字"  # each character takes two cells
    assert [line[s:e] for s, e in wrap_line(line, 8)] == ["漢字漢字 ", "漢字"]


def test_layout_marks_headings_and_blank_lines() -> None:
    text = "First para.\n\nHeading\n\nSecond para here."
    rows = layout(text, 12, [(13, 20)])
    assert rows == [Row(0, 11), Row(12, 12), Row(13, 20, True), Row(21, 21), Row(22, 34),
                    Row(34, 39)]  # fmt: skip
    assert row_at([r.start for r in rows], 35) == 5
    assert layout("", 10) == [Row(0, 0)]


def test_spans_are_bucketed_by_the_rows_they_touch() -> None:
    rows = layout("aaaa bbbb cccc", 5)
    starts = [r.start for r in rows]
    buckets = spans_by_row(rows, starts, [(2, 7, "x"), (10, 14, "y"), (3, 3, "empty")])
    assert buckets == {0: [(2, 7, "x")], 1: [(2, 7, "x")], 2: [(10, 14, "y")]}


def test_parse_tags() -> None:
    # commas separate names; spaces inside one become '-' and '/' nests (normalise_tag)
    assert parse_tags("World / Asia, Big Museums, -draft,  +politics,") == (
        ["world/asia", "big-museums", "politics"],
        ["draft"],
    )
    assert parse_tags("+politics -economy Big News") == (["politics"], ["economy-big-news"])
    assert parse_tags("new -york, a - b") == (["new", "a-b"], ["york"])
    assert parse_tags("  ") == ([], [])
    with pytest.raises(InvalidInput):
        parse_tags("+[bold]")


def test_tag_suggester_completes_the_last_word() -> None:
    suggester = TagSuggester(["economy", "world/asia", "world/europe"])
    assert asyncio.run(suggester.get_suggestion("+eco")) == "+economy"
    assert asyncio.run(suggester.get_suggestion("economy, -world/e")) == "economy, -world/europe"
    assert asyncio.run(suggester.get_suggestion("World / e")) == "World / europe"
    assert asyncio.run(suggester.get_suggestion("economy ")) is None
    assert asyncio.run(suggester.get_suggestion("economy")) is None


def test_tag_tree_nests_and_keeps_counts() -> None:
    tree = tag_tree([("economy", 2), ("world/asia", 1), ("world/asia/china", 1), ("world/eu", 3)])
    assert tree == {
        "economy": (2, {}),
        "world": (None, {"asia": (1, {"china": (1, {})}), "eu": (3, {})}),
    }


def test_legend_order_is_most_mentioned_first() -> None:
    ents = [Entity(0, 1, "ORG", "a"), Entity(2, 3, "GPE", "b"), Entity(4, 5, "GPE", "c"),
            Entity(6, 7, "DATE", "d")]  # fmt: skip
    assert label_counts(ents) == [("GPE", 2), ("DATE", 1), ("ORG", 1)]


def test_describe_errors_in_one_line() -> None:
    assert describe(LibraryError("library x is busy")) == "library x is busy"
    assert describe(ValueError("bad\nthing\x1b[2J")) == "unexpected error (ValueError): bad thing"


def test_neighbour_and_position_follow_list_order(tmp_path: Path) -> None:
    with opened(tmp_path / "lib.db") as lib:
        insert_articles(lib, 5)
        order = [a.id for a in lib.list_articles()]
        assert lib.neighbour(order[0], 1) == order[1]
        assert lib.neighbour(order[1], -1) == order[0]
        assert lib.neighbour(order[4], 1) is None
        assert lib.neighbour("0" * 32 + "x", 1) is None
        lib.set_read(order[1])
        lib.set_read(order[2])
        # the current article is read, so outside the unread view: the next is still found
        assert lib.neighbour(order[1], 1, Filter(unread=True)) == order[3]
        assert lib.position(order[3], Filter(unread=True)) == 1
        assert lib.position(order[2], Filter(unread=True)) is None
        assert lib.position(order[4]) == 4


def test_the_app_never_imports_spacy() -> None:
    code = (
        "import sys; import tui.app; from tui.screens import library, reader; "
        "assert 'spacy' not in sys.modules, 'spacy imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fast_wrap_matches_measuring_every_word() -> None:
    """Lines of one-cell characters wrap by offsets; the result is the word-by-word one."""
    rng = random.Random(7)
    pieces = ["a", "bb", " ", "  ", "\u00a0", "xyzxyzxyzxyz", "“", "—", "é"]
    for _ in range(5_000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        width = rng.randint(1, 15)
        spaces = [c for c in set(line) if c.isspace()]
        assert _wrap_narrow(line, width, spaces) == _wrap_cells(line, width), (line, width)
        assert wrap_line(line, width) == _wrap_cells(line, width)


def test_layout_of_mixed_text_keeps_every_character() -> None:
    text = "Wide 漢字 and zero\u200bwidth.\n\nNarrow words only, " + "word " * 40
    rows = layout(text, 20)
    assert all(cell_len(text[r.start : r.end].rstrip()) <= 20 for r in rows)
    covered = "".join(text[r.start : r.end] for r in rows if r.end > r.start)
    assert covered == text.replace("\n", "")


def test_urgent_shortens_the_switch_interval_and_restores_it() -> None:
    before = sys.getswitchinterval()
    with urgent():
        assert sys.getswitchinterval() == URGENT_INTERVAL
        with urgent():  # nested (two workers at once): restored only by the last to leave
            pass
        assert sys.getswitchinterval() == URGENT_INTERVAL
    assert sys.getswitchinterval() == before
    with pytest.raises(RuntimeError), urgent():
        raise RuntimeError("a failing worker restores it too")
    assert sys.getswitchinterval() == before


def test_terminal_safe_filter_removes_only_unsafe_characters() -> None:
    hostile = "a\x1b]52;c;ZXZpbA==\x07b\x1b[2Jc\x9b31md\u202ee\u2066f\tg"
    assert terminal_safe(hostile) == "a]52;c;ZXZpbA==b[2Jc31mdefg"
    assert terminal_safe("plain “text” 漢字 \u200b") == "plain “text” 漢字 \u200b"
    style = Style(bold=True)
    line = [Segment("ok ", style), Segment("x\x1by", style), Segment("", None, [])]
    filtered = TerminalSafe().apply(line, Color(0, 0, 0))
    assert [s.text for s in filtered] == ["ok ", "xy", ""]
    assert filtered[1].style == style
    clean = [Segment("nothing to do")]
    assert TerminalSafe().apply(clean, Color(0, 0, 0)) is clean
