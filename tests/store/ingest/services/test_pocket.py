"""Pocket's exports read into entries: the CSV (alone or several in a ZIP) and the older
ril_export.html, against the fixtures in tests/fixtures/services/pocket/, and hostile files."""

from __future__ import annotations

import csv
import struct
import zipfile
from pathlib import Path

import pytest

from store.core.errors import ImportFailed
from store.ingest.services import pocket, record
from store.ingest.services.record import Malformed, Saved

FIXTURES = Path(__file__).parents[3] / "fixtures" / "services" / "pocket"
HEADER = "title,url,time_added,tags,status\n"

PART0 = [
    Saved(
        "line 2",
        url="https://www.example-news.com/2024/03/slow-reading",
        title="The Case for Slow Reading, Revisited",
        saved="2024-03-01T12:00:00+00:00",
        tags=["reading", "essays"],
        read=False,
    ),
    Saved(
        "line 3",
        url="https://blog.example.org/posts/untitled",
        title=None,  # Pocket wrote the URL as the title
        saved="2024-03-02T12:00:00+00:00",
        read=True,
    ),
    Saved(
        "line 4",
        url="https://www.example-news.com/2024/03/strike",
        title='She said "enough": the strike that changed a town',
        saved="2024-03-03T12:00:00+00:00",
        tags=["labour", "history", "long read"],
        read=True,
    ),
    Saved(
        "line 5",
        url="https://sqlite.example.dev/wal.html",
        title="Notes on SQLite WAL mode",
        saved="2024-04-01T19:33:20+00:00",
        read=False,
    ),
]
PART1 = [
    Saved(
        "part_000001.csv line 2",
        url="https://www.example.fr/politique/lyon-2024",
        title="Élections municipales : ce qui change à Lyon",
        saved="2024-04-05T19:34:38+00:00",
        tags=["politique", "france"],
        read=False,
    ),
    Saved(
        "part_000001.csv line 3",
        url="http://birds.example.net/guide?page=2&lang=en",
        title="A field guide to city birds",
        saved="2020-09-13T12:26:40+00:00",
        tags=["nature"],
        read=True,
    ),
]


def write(tmp_path: Path, text: str, name: str = "export.csv", newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def read(path: Path) -> list[record.Entry]:
    return list(pocket.read(path))


def sniff(path: Path) -> bool:
    return pocket.sniff(path, path.read_bytes()[:65536])


def zip_of(tmp_path: Path, members: dict[str, bytes], name: str = "pocket.zip") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


def fixture_zip(tmp_path: Path) -> Path:
    folder = FIXTURES / "pocket-zip"
    return zip_of(tmp_path, {p.name: p.read_bytes() for p in sorted(folder.iterdir())})


def with_where(entries: list[Saved], prefix: str) -> list[Saved]:
    out = []
    for e in entries:
        copy = Saved(**{f: getattr(e, f) for f in Saved.__slots__})
        copy.where = prefix + e.where
        out.append(copy)
    return out


# --- the formats ----------------------------------------------------------------------


def test_csv_export():
    path = FIXTURES / "pocket-zip" / "part_000000.csv"
    assert sniff(path)
    assert read(path) == PART0


def test_zip_of_csv_files_is_read_member_by_member_in_name_order(tmp_path):
    path = fixture_zip(tmp_path)
    assert sniff(path)
    assert read(path) == with_where(PART0, "part_000000.csv ") + PART1


def test_zip_skips_folders_mac_metadata_and_other_files(tmp_path):
    data = (FIXTURES / "pocket-zip" / "part_000001.csv").read_bytes()
    path = zip_of(
        tmp_path,
        {
            "__MACOSX/._part_000001.csv": b"\x00\x05\x16\x07junk",
            "pocket/.hidden.csv": b"junk",
            "pocket/annotations.json": b"[]",
            "part_000001.csv": data,
        },
    )
    assert sniff(path)
    assert read(path) == PART1


def test_ril_export_html():
    path = FIXTURES / "ril_export.html"
    assert sniff(path)
    assert read(path) == [
        Saved(
            "line 11",
            url="https://www.example-news.com/2019/06/tide-tables?utm_source=x&ref=home",
            title="Reading the tide tables & other lost arts",
            saved="2019-07-01T10:00:00+00:00",
            tags=["science", "sea"],
            read=False,
        ),
        Saved(
            "line 12",
            url="https://longform.example.com/p/rivers",
            title=None,
            saved="2019-07-02T10:00:00+00:00",
            read=False,
        ),
        Saved(
            "line 18",
            url="https://www.example.org/essays/attention",
            title="The attention economy, ten years on",
            saved="2017-06-01T10:00:00+00:00",
            tags=["essays"],
            read=True,
        ),
        Saved(
            "line 19",
            url="http://old.example.net/2012/03/bread.html",
            title="Bread, slowly",
            saved="2012-03-08T09:46:40+00:00",
            tags=["recipes", "baking"],
            read=True,
        ),
    ]


def test_bom_crlf_quoted_newline_and_header_in_another_order(tmp_path):
    text = (
        "\ufeffstatus,tags,url,title,time_added\n"
        'archive,a|b,https://e.example/1,"Two\nlines",1709294400\n'
        "unread,,https://e.example/2,,\n"
    )
    path = write(tmp_path, text, newline="\r\n")
    assert sniff(path)
    assert read(path) == [
        Saved(
            "line 2",
            url="https://e.example/1",
            title="Two lines",
            saved="2024-03-01T12:00:00+00:00",
            tags=["a", "b"],
            read=True,
        ),
        Saved("line 4", url="https://e.example/2", read=False),
    ]


def test_missing_optional_columns(tmp_path):
    path = write(tmp_path, "url,time_added\nhttps://e.example/1,1709294400\n")
    assert read(path) == [
        Saved("line 2", url="https://e.example/1", saved="2024-03-01T12:00:00+00:00")
    ]


# --- not the format -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "x.csv",
            "URL,Title,Selection,Folder,Timestamp\n",
            "not Pocket's CSV export (no 'time_added'",
        ),
        ("x.csv", "", "not Pocket's CSV export (no 'time_added', 'url'"),
        (
            "page.html",
            "<html><head><title>Pocket</title></head><body><h1>Unread</h1>",
            "an HTML page",
        ),
    ],
)
def test_not_the_format_is_one_line(tmp_path, name, content, reason):
    path = write(tmp_path, content, name)
    assert not sniff(path)
    with pytest.raises(ImportFailed) as exc:
        read(path)
    assert str(exc.value).startswith(reason)
    assert "\n" not in str(exc.value)


def test_ordinary_web_page_about_pocket_is_not_ril_export(tmp_path):
    page = (
        "<!DOCTYPE html><html><head><title>Pocket Export: how to</title></head><body>"
        '<h1>How to export</h1><a href="https://getpocket.com/export">Export</a></body></html>'
    )
    assert not sniff(write(tmp_path, page, "page.html"))
    assert sniff(write(tmp_path, (FIXTURES / "ril_export.html").read_text(), "other-name.htm"))


def test_other_zip_and_binary_files_are_not_pocket(tmp_path):
    omnivore = zip_of(tmp_path, {"metadata_0_to_19.json": b"[]"}, "omnivore.zip")
    assert not sniff(omnivore)
    with pytest.raises(ImportFailed, match="no CSV file in the archive"):
        read(omnivore)
    other = zip_of(tmp_path, {"a.csv": b"name,value\nx,1\n"}, "other.zip")
    assert not sniff(other)
    with pytest.raises(ImportFailed, match="^not Pocket's CSV export"):
        read(other)
    damaged = write(tmp_path, "PK\x03\x04 not really a zip", "bad.zip")
    assert not sniff(damaged)
    with pytest.raises(ImportFailed, match="^not a ZIP archive"):
        read(damaged)
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\x01title,url,time_added\x00")
    assert not sniff(binary)


def test_a_folder_is_not_read(tmp_path):
    with pytest.raises(ImportFailed, match="not a regular file"):
        read(tmp_path)


# --- malformed entries among good ones -----------------------------------------------


def test_wrong_values_in_each_field_are_listed_and_the_rest_read(tmp_path):
    text = HEADER + (
        "Good,https://e.example/ok,1709294400,x,unread\n"
        "No address,,1709294400,,unread\n"
        "Script,javascript:alert(1),1709294400,,unread\n"
        "Bad date,https://e.example/d,yesterday,,unread\n"
        "Year 3000,https://e.example/y,32503680000,,unread\n"
        "Bad status,https://e.example/s,1709294400,,deleted\n"
        "Too few,https://e.example/f,1709294400\n"
        "\x1b[31mRed\x1b[0m title,https://e.example/t,1709294400,||a|| |\x1b]0;x\x07b,ARCHIVE\n"
        "Extra empty,https://e.example/e,1709294400,,unread,,\n"
        "Extra full,https://e.example/g,1709294400,,unread,surprise\n"
    )
    assert read(write(tmp_path, text)) == [
        Saved(
            "line 2",
            url="https://e.example/ok",
            title="Good",
            saved="2024-03-01T12:00:00+00:00",
            tags=["x"],
            read=False,
        ),
        Malformed("line 3", "no URL"),
        Malformed("line 4", "not a web address (javascript:alert(1))"),
        Malformed("line 5", "time_added is not a date (yesterday)"),
        Malformed("line 6", "time_added is not a date (32503680000)"),
        Malformed("line 7", "status is not unread or archive (deleted)"),
        Malformed("line 8", "3 columns; the header has 5"),
        Saved(
            "line 9",
            url="https://e.example/t",
            title="Red title",
            saved="2024-03-01T12:00:00+00:00",
            tags=["a", "b"],
            read=True,
        ),
        Saved(
            "line 10",
            url="https://e.example/e",
            title="Extra empty",
            saved="2024-03-01T12:00:00+00:00",
            read=False,
        ),
        Malformed("line 11", "6 columns; the header has 5"),
    ]


def test_truncated_file_ends_in_a_malformed_row(tmp_path):
    text = HEADER + 'Fine,https://e.example/1,1709294400,,unread\n"Cut off,https://e.example/2,17'
    assert read(write(tmp_path, text)) == [
        Saved(
            "line 2",
            url="https://e.example/1",
            title="Fine",
            saved="2024-03-01T12:00:00+00:00",
            read=False,
        ),
        Malformed("line 3", "1 columns; the header has 5"),
    ]


def test_row_longer_than_the_bound_is_malformed_and_the_next_read(tmp_path, monkeypatch):
    monkeypatch.setattr(pocket, "MAX_ROW_CHARS", 200)
    long_line = "T" * 500 + ",https://e.example/1,1709294400,,unread\n"
    many_lines = '"' + "line\n" * 60 + '",https://e.example/2,1709294400,,unread\n'
    text = HEADER + long_line + "Next,https://e.example/3,1709294400,,unread\n" + many_lines
    entries = read(write(tmp_path, text))
    assert entries[:2] == [
        Malformed("line 2", "row longer than 200 characters; not read"),
        Saved(
            "line 3",
            url="https://e.example/3",
            title="Next",
            saved="2024-03-01T12:00:00+00:00",
            read=False,
        ),
    ]
    assert entries[2] == Malformed("line 4", "row longer than 200 characters; not read")


def test_field_over_the_csv_field_limit_is_malformed(tmp_path):
    old = csv.field_size_limit(100)
    try:
        text = (
            HEADER
            + '"'
            + "x" * 150
            + '",https://e.example/1,1,,unread\nOk,https://e.example/2,,,\n'
        )
        entries = read(write(tmp_path, text))
    finally:
        csv.field_size_limit(old)
    assert entries == [
        Malformed("line 2", "not readable as CSV (field larger than field limit (100))"),
        Saved("line 3", url="https://e.example/2", title="Ok"),
    ]


def test_invalid_utf8_is_replaced_not_fatal(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(HEADER.encode() + b"Caf\xe9,https://e.example/1,1709294400,,unread\n")
    assert read(path) == [
        Saved(
            "line 2",
            url="https://e.example/1",
            title="Caf\ufffd",
            saved="2024-03-01T12:00:00+00:00",
            read=False,
        )
    ]


def test_entries_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(record, "MAX_ENTRIES", 2)
    entries = read(FIXTURES / "pocket-zip" / "part_000000.csv")
    assert entries == PART0[:2] + [Malformed("(rest of file)", "more than 2 entries; not read")]


# --- hostile archives and pages -------------------------------------------------------


def test_zip_bomb_member_is_listed_and_the_others_read(tmp_path):
    bomb = HEADER.encode() + b"0" * 300_000
    good = (FIXTURES / "pocket-zip" / "part_000001.csv").read_bytes()
    path = zip_of(tmp_path, {"part_000000.csv": bomb, "part_000001.csv": good})
    assert (
        read(path)
        == [Malformed("part_000000.csv", "part_000000.csv: compressed more than 200x (not read)")]
        + PART1
    )


def test_oversized_member_is_listed(tmp_path):
    good = (FIXTURES / "pocket-zip" / "part_000001.csv").read_bytes()
    path = zip_of(tmp_path, {"part_000001.csv": good, "part_000002.csv": HEADER.encode()})
    # A crafted directory: the second member says it unpacks to 20 MB.
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 20_000_000)
    path.write_bytes(bytes(data))
    assert read(path) == PART1 + [
        Malformed("part_000002.csv", "part_000002.csv: too large (20,000,000 bytes)")
    ]


def test_hostile_links_in_ril_export(tmp_path):
    page = (
        "<html><head><title>Pocket Export</title></head><body><h1>Unread</h1><ul>\n"
        '<li><a href="javascript:alert(1)" time_added="1">x</a></li>\n'
        '<li><a time_added="1561975200">no address</a></li>\n'
        '<li><a href="https://e.example/1" time_added="soon">bad date</a></li>\n'
        '<li><a href="https://e.example/2">no date, no tags &lt;b&gt;</a></li>\n'
        '<li><a href="https://e.example/3" time_added="1561975200" tags=",, a ,">left open\n'
        '<li><a href="https://e.example/4" time_added="1561975200">after it</a></li>\n'
        "</ul></body></html>"
    )
    assert read(write(tmp_path, page, "ril_export.html")) == [
        Malformed("line 2", "not a web address (javascript:alert(1))"),
        Malformed("line 3", "no URL"),
        Malformed("line 4", "time_added is not a date (soon)"),
        Saved("line 5", url="https://e.example/2", title="no date, no tags <b>", read=False),
        Saved(
            "line 6",
            url="https://e.example/3",
            title="left open",
            saved="2019-07-01T10:00:00+00:00",
            tags=["a"],
            read=False,
        ),
        Saved(
            "line 7",
            url="https://e.example/4",
            title="after it",
            saved="2019-07-01T10:00:00+00:00",
            read=False,
        ),
    ]


def test_a_tag_that_never_ends_stops_the_page(tmp_path, monkeypatch):
    monkeypatch.setattr(pocket, "MAX_ROW_CHARS", 1000)
    monkeypatch.setattr(pocket, "_CHUNK", 256)
    page = (
        "<html><head><title>Pocket Export</title></head><body><h1>Read Archive</h1><ul>\n"
        '<li><a href="https://e.example/1" time_added="1561975200">first</a></li>\n'
        '<li><a href="https://e.example/2" title="' + "x" * 5000
    )
    entries = read(write(tmp_path, page, "ril_export.html"))
    assert entries[0] == Saved(
        "line 2",
        url="https://e.example/1",
        title="first",
        saved="2019-07-01T10:00:00+00:00",
        read=True,
    )
    assert entries[1:] == [Malformed("line 3", "a tag that does not end; rest not read")]
