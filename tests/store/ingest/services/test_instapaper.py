"""Instapaper's CSV export read into saved links, against the fixtures in
tests/fixtures/services/instapaper/ (the current export with Tags, and an older one
without), and hostile files."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.core.errors import ImportFailed
from store.ingest.services import instapaper, pocket, readwise
from store.ingest.services.record import Highlight, Malformed, Saved

FIXTURES = Path(__file__).parents[3] / "fixtures" / "services" / "instapaper"
HEADER = "URL,Title,Selection,Folder,Timestamp\n"


def write(tmp_path: Path, text: str, newline: str = "\n") -> Path:
    path = tmp_path / "instapaper-export.csv"
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def read(path: Path) -> list:
    return list(instapaper.read(path))


def sniff(path: Path) -> bool:
    return instapaper.sniff(path, path.read_bytes()[:65536])


def test_current_export_with_tags_crlf_and_a_quoted_line_break():
    path = FIXTURES / "instapaper-export.csv"
    assert sniff(path)
    assert read(path) == [
        Saved(
            "line 2",
            url="https://www.example-news.com/2025/01/housing",
            title="Why rents rose, in four charts",
            saved="2025-01-15T10:00:00+00:00",
            tags=["housing", "economy"],
            read=False,
        ),
        Saved(
            "line 3",
            url="https://essays.example.org/on-walking",
            title="On Walking",
            saved="2025-01-14T10:00:00+00:00",
            read=True,
            highlights=[
                Highlight(None, note="Walking is the exact balance between spirit and humility.")
            ],
        ),
        Saved(
            "line 4",
            url="https://www.example.com/recipes/soda-bread",
            title="Soda bread in 30 minutes",
            saved="2025-01-13T10:00:00+00:00",
            tags=["Recipes", "baking"],  # a folder of the user's own is a tag
        ),
        Saved(
            "line 5",
            url="https://science.example.net/2024/12/comet",
            title="A comet, twice",
            saved="2025-01-12T10:00:00+00:00",
            starred=True,
            highlights=[Highlight(None, note='From a thread by @astro_jane:\n"look up tonight"')],
        ),
        Malformed("line 7", "private content (emailed to Instapaper): not in the export"),
    ]


def test_older_export_without_tags():
    path = FIXTURES / "instapaper-export-2016.csv"
    assert sniff(path)
    assert read(path) == [
        Saved(
            "line 2",
            url="http://www.example.com/2016/05/maps.html",
            title="The lost art of reading maps",
            saved="2016-05-01T10:00:00+00:00",
            read=False,
        ),
        Saved(
            "line 3",
            url="https://blog.example.org/2016/04/tea",
            title=None,  # the URL as its title: none
            saved="2016-04-23T10:00:00+00:00",
            read=True,
        ),
    ]


def test_bom_header_in_another_order_and_missing_optional_columns(tmp_path):
    text = (
        "\ufeffFolder,Selection,URL\nARCHIVE,,https://e.example/1\nstarred,,https://e.example/2\n"
    )
    path = write(tmp_path, text, newline="\r\n")
    assert sniff(path)
    assert read(path) == [
        Saved("line 2", url="https://e.example/1", read=True),
        Saved("line 3", url="https://e.example/2", starred=True),
    ]


def test_other_csv_exports_are_not_instapaper(tmp_path):
    raindrop = "id,title,note,excerpt,url,folder,tags,created,cover,highlights,favorite\n"
    for header in (raindrop, "title,url,time_added,tags,status\n", "url\n", ""):
        path = write(tmp_path, header + "1,2,3\n")
        assert not sniff(path)
        with pytest.raises(ImportFailed, match=r"^not Instapaper's CSV export \(no '") as exc:
            read(path)
        assert "\n" not in str(exc.value)
    path = FIXTURES / "instapaper-export.csv"
    assert not pocket.sniff(path, path.read_bytes())
    assert not readwise.sniff(path, path.read_bytes())


def test_wrong_values_in_each_field_are_listed_and_the_rest_read(tmp_path):
    deep = "[" * 30_000 + "]" * 30_000  # nested past the JSON parser's recursion limit
    text = "URL,Title,Selection,Folder,Timestamp,Tags\n" + (
        "https://e.example/ok,Ok,,Unread,1600000000,\n"
        ",No address,,Unread,1600000000,\n"
        "ftp://e.example/f,Not web,,Unread,1600000000,\n"
        "https://e.example/d,Bad date,,Unread,last week,\n"
        'https://e.example/t,Numbers,,Unread,1600000000,"[1, 2]"\n'
        'https://e.example/j,Broken JSON,,Unread,1600000000,"[""a"""\n'
        f"https://e.example/n,Deep,,Unread,1600000000,{deep}\n"
        'https://e.example/c,Comma tags,,Unread,1600000000,"one, two,,one"\n'
        'https://e.example/s,\x1b[2JTitle,"  ",Reading list,1600000000,\n'
        "https://e.example/few,Too few\n"
    )
    assert read(write(tmp_path, text)) == [
        Saved(
            "line 2",
            url="https://e.example/ok",
            title="Ok",
            saved="2020-09-13T12:26:40+00:00",
            read=False,
        ),
        Malformed("line 3", "no URL"),
        Malformed("line 4", "not a web address (ftp://e.example/f)"),
        Malformed("line 5", "Timestamp is not a date (last week)"),
        Malformed("line 6", "Tags is not a list of names"),
        Malformed("line 7", "Tags is not a list of names"),
        Malformed("line 8", "Tags is not a list of names"),
        Saved(
            "line 9",
            url="https://e.example/c",
            title="Comma tags",
            saved="2020-09-13T12:26:40+00:00",
            tags=["one", "two"],
            read=False,
        ),
        Saved(
            "line 10",
            url="https://e.example/s",
            title="Title",
            saved="2020-09-13T12:26:40+00:00",
            tags=["Reading list"],
        ),
        Malformed("line 11", "2 columns; the header has 6"),
    ]


def test_tags_cell_over_its_bound_is_malformed(tmp_path, monkeypatch):
    monkeypatch.setattr(instapaper, "MAX_TAGS_CHARS", 100)
    names = ",".join(f'""tag{n}""' for n in range(30))
    text = f'URL,Selection,Folder,Tags\nhttps://e.example/1,,Unread,"[{names}]"\n'
    assert read(write(tmp_path, text)) == [Malformed("line 2", "Tags is not a list of names")]
    monkeypatch.setattr(instapaper, "MAX_TAGS_CHARS", 1000)
    assert read(write(tmp_path, text)) == [
        Saved("line 2", url="https://e.example/1", tags=[f"tag{n}" for n in range(30)], read=False)
    ]


def test_truncated_file_and_long_selection(tmp_path, monkeypatch):
    monkeypatch.setattr(pocket, "MAX_ROW_CHARS", 300)
    text = HEADER + (
        'https://e.example/1,Long,"' + "words " * 100 + '",Unread,1600000000\n'
        "https://e.example/2,Short,,Archive,1600000000\n"
        'https://e.example/3,"Cut'
    )
    assert read(write(tmp_path, text)) == [
        Malformed("line 2", "row longer than 300 characters; not read"),
        Saved(
            "line 3",
            url="https://e.example/2",
            title="Short",
            saved="2020-09-13T12:26:40+00:00",
            read=True,
        ),
        Malformed("line 4", "2 columns; the header has 5"),
    ]
