"""Readwise's CSV export read into one book per title and author with its highlights,
against the fixture in tests/fixtures/services/readwise/, the grouping bounds, and hostile
files."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.core.errors import ImportFailed
from store.ingest.services import instapaper, pocket, readwise
from store.ingest.services.record import Highlight, Malformed, Saved

FIXTURES = Path(__file__).parents[3] / "fixtures" / "services" / "readwise"
HEADER = (
    "Highlight,Book Title,Book Author,Amazon Book ID,Note,Color,Tags,"
    "Location Type,Location,Highlighted at,Document tags\n"
)


def write(tmp_path: Path, text: str, newline: str = "\n") -> Path:
    path = tmp_path / "readwise-data.csv"
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def read(path: Path) -> list:
    return list(readwise.read(path))


def row(quote: str, book: str, at: str = "", note: str = "", author: str = "A. Writer") -> str:
    return f"{quote},{book},{author},,{note},,,location,1,{at},\n"


def test_export_grouped_by_book_with_a_scattered_row():
    path = FIXTURES / "readwise-data.csv"
    assert readwise.sniff(path, path.read_bytes())
    assert read(path) == [
        Saved(
            "line 2",
            title="The Cartographer's Year",
            author="Mara Ellison",
            tags=["maps", "nonfiction"],
            highlights=[
                Highlight(
                    "The map is not the territory, but a good map tells you where the "
                    "territory will surprise you.",
                    created="2024-02-03T21:14:05+00:00",
                ),
                Highlight(
                    "She kept two notebooks: one for what she saw,\n"
                    "and one for what she had expected to see.",
                    note="Compare with field notes chapter",
                    created="2024-02-04T07:02:41+00:00",
                    tags=["method", "favorite"],
                ),
                Highlight(
                    None,  # a note with no highlight: on the whole book
                    note="Whole book reads like a long letter to her teacher.",
                    created="2024-02-10T18:30:00+00:00",
                ),
                Highlight(
                    "Every border is a sentence someone wrote and everyone else has to read.",
                    created="2024-02-11T22:48:19+00:00",
                ),
            ],
        ),
        Saved(
            "line 6",
            title="Notes from the Delta",
            author="Tomás Ribeiro",
            highlights=[
                Highlight(
                    'Rivers do not "flow" so much as fall, very slowly.',
                    created="2023-11-02T08:15:00+00:00",
                    tags=["geography"],
                ),
                Highlight(
                    "A library is a garden that grows in the dark.",
                    note='why "dark"?',
                    created="2023-11-02T09:00:00+00:00",
                ),
            ],
        ),
        Saved(
            "line 8",
            title="Untitled Essay Collection",
            author=None,
            tags=["essays"],
            highlights=[Highlight("The first draft of anything is a letter to yourself.")],
        ),
    ]


def test_scattered_book_past_the_books_held_is_given_out_in_parts(tmp_path, monkeypatch):
    monkeypatch.setattr(readwise, "MAX_BOOKS_HELD", 1)
    text = HEADER + row("one", "Book A") + row("two", "Book B") + row("three", "Book A")
    assert read(write(tmp_path, text)) == [
        Saved("line 2", title="Book A", author="A. Writer", highlights=[Highlight("one")]),
        Saved("line 3", title="Book B", author="A. Writer", highlights=[Highlight("two")]),
        Saved("line 4", title="Book A", author="A. Writer", highlights=[Highlight("three")]),
    ]
    monkeypatch.setattr(readwise, "MAX_BOOKS_HELD", 2)
    assert read(write(tmp_path, text)) == [
        Saved(
            "line 2",
            title="Book A",
            author="A. Writer",
            highlights=[Highlight("one"), Highlight("three")],
        ),
        Saved("line 3", title="Book B", author="A. Writer", highlights=[Highlight("two")]),
    ]


def test_the_least_recently_seen_book_is_the_one_given_out(tmp_path, monkeypatch):
    monkeypatch.setattr(readwise, "MAX_BOOKS_HELD", 2)
    rows = [row("one", "A"), row("two", "B"), row("three", "A"), row("four", "C"), row("five", "A")]
    assert read(write(tmp_path, HEADER + "".join(rows))) == [
        Saved("line 3", title="B", author="A. Writer", highlights=[Highlight("two")]),
        Saved(
            "line 2",
            title="A",
            author="A. Writer",
            highlights=[Highlight("one"), Highlight("three"), Highlight("five")],
        ),
        Saved("line 5", title="C", author="A. Writer", highlights=[Highlight("four")]),
    ]


def test_same_title_by_another_author_is_another_book(tmp_path):
    text = HEADER + row("one", "Poems", author="Ann") + row("two", "Poems", author="Bo")
    assert read(write(tmp_path, text)) == [
        Saved("line 2", title="Poems", author="Ann", highlights=[Highlight("one")]),
        Saved("line 3", title="Poems", author="Bo", highlights=[Highlight("two")]),
    ]


def test_held_text_and_highlights_per_book_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(readwise, "MAX_HIGHLIGHTS", 2)
    text = HEADER + row("one", "A") + row("two", "A") + row("three", "A")
    assert read(write(tmp_path, text)) == [
        Saved(
            "line 2", title="A", author="A. Writer", highlights=[Highlight("one"), Highlight("two")]
        ),
        Saved("line 4", title="A", author="A. Writer", highlights=[Highlight("three")]),
    ]
    monkeypatch.setattr(readwise, "MAX_HIGHLIGHTS", 10_000)
    monkeypatch.setattr(readwise, "MAX_HELD_CHARS", 5)
    text = HEADER + row("abcdef", "A") + row("xy", "B") + row("z", "C")
    assert read(write(tmp_path, text)) == [
        Saved("line 2", title="A", author="A. Writer", highlights=[Highlight("abcdef")]),
        Saved("line 3", title="B", author="A. Writer", highlights=[Highlight("xy")]),
        Saved("line 4", title="C", author="A. Writer", highlights=[Highlight("z")]),
    ]


def test_older_header_in_another_order_with_bom_and_crlf(tmp_path):
    text = (
        "\ufeffBook Title,Highlight,Book Author,Highlighted at,Note\n"
        'Old Book,"First\nsecond line",Someone,2019-05-01 10:00:00+00:00,\n'
        "Old Book,Again,Someone,,a note\n"
    )
    path = write(tmp_path, text, newline="\r\n")
    assert readwise.sniff(path, path.read_bytes())
    assert read(path) == [
        Saved(
            "line 2",
            title="Old Book",
            author="Someone",
            highlights=[
                Highlight("First\nsecond line", created="2019-05-01T10:00:00+00:00"),
                Highlight("Again", note="a note"),
            ],
        )
    ]


def test_wrong_values_are_listed_and_the_rest_read(tmp_path):
    text = HEADER + (
        row("kept", "Good")
        + row("no title", "")
        + row("", "Good", note="")
        + row("bad date", "Good", at="the other day")
        + "too,few,columns\n"
        + row('"\x1b[31mred\x1b[0m"', "Good", note="\x07bell")
        + 'x,Good,A. Writer,,,,"a,,b, a",location,1,,"t\x1b]8;;http://x\x07y, z"\n'
    )
    assert read(write(tmp_path, text)) == [
        Malformed("line 3", "no Book Title"),
        Malformed("line 4", "no Highlight and no Note"),
        Malformed("line 5", "Highlighted at is not a date (the other day)"),
        Malformed("line 6", "3 columns; the header has 11"),
        Saved(
            "line 2",
            title="Good",
            author="A. Writer",
            tags=["ty", "z"],
            highlights=[
                Highlight("kept"),
                Highlight("red", note="bell"),
                Highlight("x", tags=["a", "b"]),
            ],
        ),
    ]


def test_row_longer_than_the_bound_and_a_truncated_file(tmp_path, monkeypatch):
    monkeypatch.setattr(pocket, "MAX_ROW_CHARS", 300)
    text = HEADER + row('"' + "long " * 100 + '"', "Book") + row("short", "Book") + '"cut off,Bo'
    assert read(write(tmp_path, text)) == [
        Malformed("line 2", "row longer than 300 characters; not read"),
        Malformed("line 4", "1 columns; the header has 11"),
        Saved("line 3", title="Book", author="A. Writer", highlights=[Highlight("short")]),
    ]


def test_not_the_format_is_one_line(tmp_path):
    template = "Highlight,Title,Author,URL,Note,Location,Date\nx,y,z,,,,\n"  # Readwise's import CSV
    clippings = "Title (Author)\n- Your Highlight on page 1 | Added on Monday\n\nText\n==========\n"
    for text in (template, clippings, ""):
        path = write(tmp_path, text)
        assert not readwise.sniff(path, path.read_bytes())
        with pytest.raises(ImportFailed, match=r"^not Readwise's CSV export \(no '") as exc:
            read(path)
        assert "\n" not in str(exc.value)
    path = FIXTURES / "readwise-data.csv"
    assert not pocket.sniff(path, path.read_bytes())
    assert not instapaper.sniff(path, path.read_bytes())
