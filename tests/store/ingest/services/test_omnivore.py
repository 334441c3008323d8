"""The Omnivore export reader against a hand-written export (zipped here from the unpacked
fixture) and hostile archives."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from store.core.errors import ImportFailed
from store.ingest.services import omnivore, record
from store.ingest.services.record import Highlight, Malformed, Saved

FIXTURE = Path(__file__).parents[3] / "fixtures" / "services" / "omnivore" / "export"
PAGE = '<DIV class="page" id="readability-page-1"><div>'

HARBOUR = Saved(
    where="metadata_0_to_4.json[0]",
    url="https://news.example.org/2024/09/the-quiet-harbour",
    title="The quiet harbour: three weeks without a ship",
    author="Maren Holt",
    saved="2024-09-14T08:12:40+00:00",
    published="2024-09-13T05:00:00+00:00",
    tags=["Long read", "shipping"],
    read=True,
    html=PAGE + "\n<p>The harbour had been quiet for three weeks. Nobody on the quay could "
    "remember a longer silence.</p>\n<p>First paragraph of the quote.</p>\n<p>Second "
    "paragraph of the quote.</p>\n<p>By Friday the cranes were moving again.</p>\n</div></DIV>",
    highlights=[
        Highlight(
            quote="The harbour had been quiet for three weeks.",
            note="Compare with the 2019 strike.",
            tags=["harbour", "long read"],
        ),
        Highlight(quote="Nobody on the quay could remember a longer silence."),
        Highlight(
            quote="First paragraph of the quote.\n\nSecond paragraph of the quote.",
            note="A note\nwith two lines.",
        ),
        Highlight(quote=None, note="My overall note on this piece."),
    ],
)
STRIKE = Saved(
    where="metadata_0_to_4.json[1]",
    url="https://wire.example.com/port-strike-ends",
    title="Port strike ends after overnight talks",
    saved="2024-09-20T17:45:02+00:00",
    read=True,
    html=PAGE + "<p>Dock workers voted to return to work after overnight talks with the port "
    "authority.</p></div></DIV>",
)
RATES = Saved(
    where="metadata_0_to_4.json[2]",
    url="https://blog.example.net/container-rates",
    title="Container rates, explained",
    author="Ana Ruiz",
    saved="2024-10-01T12:00:00+00:00",
    published="2024-09-30T00:00:00+00:00",
    tags=["later"],
    read=False,
)
REPORT = Saved(
    where="metadata_0_to_4.json[3]",
    url="https://port.example.org/reports/annual-2023.pdf",
    title="Annual port report 2023 (PDF)",
    author="Harbour Authority",
    saved="2024-10-02T07:30:00+00:00",
    tags=["reports"],
)
FISH = Saved(
    where="metadata_4_to_7.json[0]",
    url="https://news.example.org/2024/09/fish-prices",
    title="Fish prices climb as boats stay in port",
    author="Jonas Berg",
    saved="2024-09-16T10:00:00+00:00",
    published="2024-09-16T06:30:00+00:00",
    tags=["Economy", "fishing"],
    read=False,
    html=PAGE + "<p>Fish prices rose by a third as boats stayed in port for the third "
    "week.</p></div></DIV>",
    highlights=[
        Highlight(quote=None, note="Worth comparing with the ferry piece."),
        Highlight(quote="Fish prices rose by a third"),
        Highlight(quote="boats stayed in port", tags=["fishing"]),
    ],
)
FERRY = Saved(
    where="metadata_4_to_7.json[1]",
    url="https://news.example.org/2024/08/the-last-ferry",
    title="The last ferry",
    author="Maren Holt",
    saved="2024-08-02T19:20:00+00:00",
    published="2024-08-01T00:00:00+00:00",
    tags=["Long read"],
    read=True,
    html=PAGE + "<p>The last ferry left at nine, half empty, into a flat grey sea.</p></div></DIV>",
    highlights=[Highlight(quote="The last ferry left at nine")],
)
DELETED = Malformed("metadata_4_to_7.json[2]", "deleted in Omnivore; not imported")
ALL = [HARBOUR, STRIKE, RATES, REPORT, FISH, FERRY, DELETED]

ITEM = {
    "id": "1",
    "slug": "an-item",
    "title": "An item",
    "author": "A. Writer",
    "url": "https://example.org/an-item",
    "state": "Active",
    "readingProgress": 0,
    "labels": ["x"],
    "savedAt": "2024-01-02T03:04:05.000Z",
    "publishedAt": None,
}
ITEM_SAVED = Saved(
    where="metadata_0_to_1.json[0]",
    url="https://example.org/an-item",
    title="An item",
    author="A. Writer",
    saved="2024-01-02T03:04:05+00:00",
    tags=["x"],
    read=False,
)


def fixture_members() -> dict[str, bytes]:
    return {
        p.relative_to(FIXTURE).as_posix(): p.read_bytes()
        for p in sorted(FIXTURE.rglob("*"))
        if p.is_file()
    }


def make_zip(path: Path, members: dict[str, bytes | str], stored: tuple[str, ...] = ()) -> Path:
    """A ZIP of the members, deflated (those named in `stored` kept as they are)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            zf.writestr(name, data, compress_type=method)
    return path


def items_zip(tmp_path: Path, items: object) -> Path:
    return make_zip(tmp_path / "export.zip", {"metadata_0_to_1.json": json.dumps(items)})


def read_all(path: Path) -> list:
    return list(omnivore.read(path))


def test_the_export_reads_as_its_items_in_order(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "omnivore.zip", fixture_members())
    assert read_all(path) == ALL


def test_sniff_knows_the_export_and_nothing_else(tmp_path: Path) -> None:
    export = make_zip(tmp_path / "omnivore.zip", fixture_members())
    other_zip = make_zip(tmp_path / "other.zip", {"notes.txt": "hello"})
    text = tmp_path / "a.txt"
    text.write_text("metadata_0_to_20.json")
    for path, expected in [(export, True), (other_zip, False), (text, False)]:
        assert omnivore.sniff(path, path.read_bytes()[:65536]) is expected
    assert omnivore.sniff(tmp_path / "missing.zip", b"PK\x03\x04") is False
    assert omnivore.sniff(tmp_path, b"PK\x03\x04 not really") is False


def test_an_export_zipped_inside_a_folder_reads_the_same(tmp_path: Path) -> None:
    members = {f"Omnivore export/{k}": v for k, v in fixture_members().items()}
    entries = read_all(make_zip(tmp_path / "omnivore.zip", members))
    assert [e.where for e in entries] == [f"Omnivore export/{e.where}" for e in ALL]
    assert entries[0].highlights == HARBOUR.highlights


def test_metadata_files_are_read_in_numeric_order(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "o.zip",
        {
            "metadata_100_to_101.json": json.dumps([dict(ITEM, title="third")]),
            "metadata_20_to_21.json": json.dumps([dict(ITEM, title="second")]),
            "metadata_0_to_1.json": json.dumps([dict(ITEM, title="first")]),
        },
    )
    assert [e.title for e in read_all(path)] == ["first", "second", "third"]


@pytest.mark.parametrize(
    ("state", "progress", "read"),
    [
        ("Active", 99.9, False),
        ("Active", 100, True),
        ("SUCCEEDED", None, False),
        ("CONTENT_NOT_FETCHED", 0, False),
        ("archived", 0, True),
        ("Unknown", 50, None),
        ("FAILED", 100, True),
        (None, None, None),
    ],
)
def test_states_and_progress(tmp_path: Path, state, progress, read) -> None:
    path = items_zip(tmp_path, [dict(ITEM, state=state, readingProgress=progress)])
    assert [e.read for e in read_all(path)] == [read]


def test_a_malformed_item_is_listed_and_the_others_read(tmp_path: Path) -> None:
    items = [ITEM, 42, {"title": "no url, no content", "slug": "nothing"}, ["a"], ITEM]
    assert read_all(items_zip(tmp_path, items)) == [
        ITEM_SAVED,
        Malformed("metadata_0_to_1.json[1]", "not an object (a number)"),
        Malformed("metadata_0_to_1.json[2]", "no URL and no content"),
        Malformed("metadata_0_to_1.json[3]", "not an object (a list)"),
        replace(ITEM_SAVED, where="metadata_0_to_1.json[4]"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("title", 7, "title: expected text, got a number"),
        ("author", ["a"], "author: expected text, got a list"),
        ("url", {"href": "x"}, "url: expected text, got an object"),
        ("slug", True, "slug: expected text, got true/false"),
        ("state", 1, "state: expected text, got a number"),
        ("readingProgress", "100", "readingProgress: expected a number, got text"),
        ("readingProgress", True, "readingProgress: expected a number, got true/false"),
        ("labels", "x,y", "labels: expected a list, got text"),
        ("labels", [1], "labels: expected names, got a number"),
        ("labels", [{"name": None}], "labels: expected names, got null"),
        ("labels", [{"colour": "red"}], "labels: expected names, got null"),
        ("savedAt", [2024], "savedAt: expected a date, got a list"),
        ("publishedAt", False, "publishedAt: expected a date, got true/false"),
    ],
)
def test_a_field_of_the_wrong_type_makes_its_item_malformed(
    tmp_path: Path, field: str, value: object, reason: str
) -> None:
    path = items_zip(tmp_path, [dict(ITEM, **{field: value}), ITEM])
    assert read_all(path) == [
        Malformed("metadata_0_to_1.json[0]", reason),
        replace(ITEM_SAVED, where="metadata_0_to_1.json[1]"),
    ]


def test_dates_that_are_not_dates_are_dropped_and_unix_times_read(tmp_path: Path) -> None:
    item = dict(ITEM, savedAt="yesterday", publishedAt=1_700_000_000_000)
    (entry,) = read_all(items_zip(tmp_path, [item]))
    assert (entry.saved, entry.published) == (None, "2023-11-14T22:13:20+00:00")


def test_text_is_cleaned_of_terminal_escapes(tmp_path: Path) -> None:
    item = dict(ITEM, title="\x1b]0;pwned\x07Harbour\x1b[2J news", labels=["ok\x00", "  "])
    md = "> quote\x1b[31m red \n\nnote\x07"
    (entry,) = read_all(items_zip(tmp_path, [item]))
    assert (entry.title, entry.tags) == ("Harbour news", ["ok"])
    path = make_zip(
        tmp_path / "b.zip",
        {"metadata_0_to_1.json": json.dumps([item]), "highlights/an-item.md": md},
    )
    assert read_all(path)[0].highlights == [Highlight(quote="quote red", note="note")]


def test_content_without_a_url_is_an_article(tmp_path: Path) -> None:
    item = dict(ITEM, url=None)
    path = make_zip(
        tmp_path / "o.zip",
        {"metadata_0_to_1.json": json.dumps([item]), "content/an-item.html": "<p>Body</p>\n"},
    )
    assert read_all(path) == [replace(ITEM_SAVED, url=None, html="<p>Body</p>")]


def test_a_bom_and_crlf_read_the_same(tmp_path: Path) -> None:
    members = fixture_members()
    crlf = {
        name: b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
        for name, data in members.items()
        if name.endswith((".json", ".md"))
    }
    entries = read_all(make_zip(tmp_path / "o.zip", {**members, **crlf}))
    assert entries == ALL


def test_not_a_zip_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_text("id,title\n1,hello\n")
    with pytest.raises(ImportFailed) as exc:
        omnivore.read(path)
    assert str(exc.value).startswith("not a ZIP archive (")
    assert "\n" not in str(exc.value)


def test_a_zip_without_metadata_is_not_the_format(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "o.zip", {"content/a.html": "<p>x</p>"})
    with pytest.raises(ImportFailed, match=r"^not an Omnivore export \(no metadata_\*\.json"):
        omnivore.read(path)


def test_a_truncated_zip_is_not_read(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "o.zip", fixture_members())
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ImportFailed, match="^not a ZIP archive"):
        omnivore.read(path)


def test_a_truncated_or_wrong_metadata_file_is_listed(tmp_path: Path) -> None:
    members = fixture_members()
    members["metadata_0_to_4.json"] = members["metadata_0_to_4.json"][:500]
    members["metadata_9_to_10.json"] = b'{"items": []}'
    members["metadata_10_to_11.json"] = b"\xff\xfe[]"
    entries = read_all(make_zip(tmp_path / "o.zip", members))
    assert entries[0] == Malformed(
        "metadata_0_to_4.json",
        "not valid JSON (Unterminated string starting at: line 11 column 18 (char 408))",
    )
    assert entries[1:] == [
        FISH,
        FERRY,
        DELETED,
        Malformed("metadata_9_to_10.json", "not a JSON array of items"),
        Malformed("metadata_10_to_11.json", "not valid UTF-8"),
    ]


def test_deep_nesting_is_refused_per_item_and_per_file(tmp_path: Path) -> None:
    deep = dict(ITEM, labels=[{"name": "x", "more": json.loads("[" * 80 + "]" * 80)}])
    members = {
        "metadata_0_to_2.json": json.dumps([deep, ITEM]),
        "metadata_2_to_3.json": "[" * 100_000 + "]" * 100_000,
    }
    path = make_zip(tmp_path / "o.zip", members, stored=("metadata_2_to_3.json",))
    assert read_all(path) == [
        Malformed("metadata_0_to_2.json[0]", "nested deeper than 64 levels"),
        replace(ITEM_SAVED, where="metadata_0_to_2.json[1]"),
        Malformed("metadata_2_to_3.json", "nested deeper than 64 levels"),
    ]


def test_an_oversized_member_is_listed_and_the_others_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(omnivore, "MAX_CONTENT_BYTES", 1000)
    other = dict(ITEM, slug="other")
    path = make_zip(
        tmp_path / "o.zip",
        {
            "metadata_0_to_2.json": json.dumps([ITEM, other]),
            "content/an-item.html": "<p>" + "harbour " * 200 + "</p>",
            "content/other.html": "<p>short</p>",
        },
    )
    assert read_all(path) == [
        Malformed("metadata_0_to_2.json[0]", "content/an-item.html: too large (1,607 bytes)"),
        replace(ITEM_SAVED, where="metadata_0_to_2.json[1]", html="<p>short</p>"),
    ]


def test_an_oversized_metadata_file_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(omnivore, "MAX_METADATA_BYTES", 100)
    path = make_zip(
        tmp_path / "o.zip",
        {"metadata_0_to_9.json": json.dumps([ITEM] * 9), "metadata_9_to_10.json": "[]"},
    )
    assert read_all(path) == [
        Malformed("metadata_0_to_9.json", "metadata_0_to_9.json: too large (2,079 bytes)")
    ]


def test_a_zip_bomb_member_is_not_unpacked(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "o.zip",
        {
            "metadata_0_to_1.json": json.dumps([ITEM]),
            "highlights/an-item.md": b"\0" * (1 << 20),
        },
    )
    assert read_all(path) == [
        Malformed(
            "metadata_0_to_1.json[0]",
            "highlights/an-item.md: compressed more than 200x (not read)",
        )
    ]


def test_content_that_is_not_utf8_is_listed(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "o.zip",
        {"metadata_0_to_1.json": json.dumps([ITEM]), "content/an-item.html": b"<p>\xe9t\xe9</p>"},
    )
    assert read_all(path) == [
        Malformed("metadata_0_to_1.json[0]", "content/an-item.html: not valid UTF-8 (at byte 3)")
    ]


def test_highlights_past_the_bound_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record, "MAX_HIGHLIGHTS", 2)
    md = "\n\n".join(f"> quote {i} " for i in range(3))
    path = make_zip(
        tmp_path / "o.zip",
        {"metadata_0_to_1.json": json.dumps([ITEM]), "highlights/an-item.md": md},
    )
    assert read_all(path) == [
        replace(ITEM_SAVED, highlights=[Highlight(quote="quote 0"), Highlight(quote="quote 1")]),
        Malformed("metadata_0_to_1.json[0]", "more than 2 highlights; the rest not read"),
    ]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        # A note on the whole item at the end of Omnivore's file (`${note}\n\n`).
        ("> q \n\nwhole item\n\n", [Highlight("q"), Highlight(quote=None, note="whole item")]),
        # The highlight's own note, the file ending as an editor saves it.
        ("> q \n\nits note\n", [Highlight(quote="q", note="its note")]),
        # A note on the whole item between two highlights (three blank lines after it).
        (
            "> a \n\nnote\n\n\n\n> b ",
            [Highlight(quote="a"), Highlight(quote=None, note="note"), Highlight(quote="b")],
        ),
        # A two-paragraph note on a highlight.
        ("> a \n\none\n\ntwo\n\n> b ", [Highlight(quote="a", note="one\n\ntwo"), Highlight("b")]),
        # A quote with a line break inside it and a label with a hyphen.
        ("> line one\nline two \n\n#to-read", [Highlight("line one\nline two", tags=["to-read"])]),
        # A Markdown heading is a note, not a label.
        ("> a \n\n# Heading", [Highlight(quote="a", note="# Heading")]),
        ("", []),
        ("\n\n> \n\n", []),
    ],
)
def test_highlight_markdown_shapes(markdown: str, expected: list[Highlight]) -> None:
    assert omnivore.parse_highlights(markdown) == expected


def test_a_metadata_file_of_countless_values_is_not_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(omnivore, "MAX_METADATA_VALUES", 10)
    path = make_zip(
        tmp_path / "o.zip",
        {
            "metadata_0_to_1.json": json.dumps([dict(ITEM, labels=[[]] * 10)]),
            "metadata_1_to_2.json": json.dumps([ITEM]),
        },
    )
    assert read_all(path) == [
        Malformed("metadata_0_to_1.json", "more than 10 lists and objects"),
        replace(ITEM_SAVED, where="metadata_1_to_2.json[0]"),
    ]
