"""The Wallabag JSON export reader against a hand-written export and hostile files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from store.core.errors import ImportFailed
from store.ingest.services import wallabag
from store.ingest.services.record import Highlight, Malformed, Saved

FIXTURE = Path(__file__).parents[3] / "fixtures" / "services" / "wallabag" / "wallabag-export.json"

HARBOUR = Saved(
    where="entry 1",
    url="https://news.example.org/2024/09/the-quiet-harbour",
    title="The quiet harbour: three weeks without a ship",
    author="Maren Holt, Jonas Berg",
    saved="2024-09-14T08:12:40+00:00",
    published="2024-09-13T05:00:00+00:00",
    tags=["shipping", "long read"],
    read=True,
    starred=True,
    html="<p>The harbour had been quiet for three weeks. Nobody on the quay could remember a "
    "longer silence.</p>\n<p>By Friday the cranes were moving again.</p>",
    highlights=[
        Highlight(
            quote="The harbour had been quiet for three weeks.",
            note="Compare with the 2019 strike.",
            created="2024-09-15T20:40:00+00:00",
        ),
        Highlight(
            quote="Nobody on the quay could remember a longer silence.",
            created="2024-09-15T20:45:00+00:00",
        ),
        Highlight(quote="the cranes were moving again"),
    ],
)
STRIKE = Saved(
    where="entry 2",
    url="https://wire.example.com/port-strike-ends",
    title="Port strike ends after overnight talks",
    saved="2024-09-20T17:45:02+00:00",
    read=False,
    starred=False,
    html="<p>Dock workers voted to return to work after overnight talks with the port "
    "authority.</p>",
)
RATES = Saved(
    where="entry 3",
    url="https://blog.example.net/container-rates",
    title="Container rates, explained",
    saved="2016-09-08T09:55:58+00:00",
    tags=["later"],
    read=True,
    starred=False,
)
DELETED = Malformed("entry 4", "deleted in Wallabag; not imported")

ENTRY = {
    "title": "An entry",
    "url": "https://example.org/an-entry",
    "content": "<p>Body</p>",
    "created_at": "2024-01-02T03:04:05+0000",
    "is_archived": 0,
    "is_starred": 1,
    "tags": ["a"],
}
ENTRY_SAVED = Saved(
    where="entry 1",
    url="https://example.org/an-entry",
    title="An entry",
    saved="2024-01-02T03:04:05+00:00",
    tags=["a"],
    read=False,
    starred=True,
    html="<p>Body</p>",
)


def write(tmp_path: Path, data: bytes | str | list) -> Path:
    path = tmp_path / "wallabag.json"
    if isinstance(data, list):
        data = json.dumps(data)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def read_all(path: Path) -> list:
    return list(wallabag.read(path))


def test_the_export_reads_as_its_entries() -> None:
    assert read_all(FIXTURE) == [HARBOUR, STRIKE, RATES, DELETED]


def test_sniff_knows_the_export_and_nothing_else(tmp_path: Path) -> None:
    head = FIXTURE.read_bytes()[:65536]
    assert wallabag.sniff(FIXTURE, head) is True
    assert wallabag.sniff(FIXTURE, b"\xef\xbb\xbf" + head) is True
    omnivore = b'[{"id": "1", "slug": "a", "url": "https://x", "state": "Archived"}]'
    for other in [omnivore, b"[]", b'{"is_archived": 1}', b"title,url\n", b"", b"\xff\xfe["]:
        assert wallabag.sniff(FIXTURE, other) is False


def test_an_empty_export_has_no_entries(tmp_path: Path) -> None:
    assert read_all(write(tmp_path, " [ ]\n")) == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            "hello",
            "not a Wallabag export (not valid JSON: lexical error: invalid char in json text)",
        ),
        ("", "not a Wallabag export (not valid JSON: parse error: premature EOF)"),
        ('{"entries": []}', "not a Wallabag export (expected a JSON array of entries)"),
        ("42", "not a Wallabag export (expected a JSON array of entries)"),
        (
            '[{"id": "1", "slug": "a", "url": "https://x", "state": "Archived"}]',
            "not a Wallabag export (its first entry has no Wallabag fields)",
        ),
        ("[1, 2]", "not a Wallabag export (its first entry has no Wallabag fields)"),
        (
            '[{"url": "https://x", "is_archived": 1',
            "not a Wallabag export (not valid JSON: parse error: premature EOF)",
        ),
    ],
)
def test_not_the_format_is_one_line(tmp_path: Path, data: str, reason: str) -> None:
    with pytest.raises(ImportFailed) as exc:
        wallabag.read(write(tmp_path, data))
    assert str(exc.value) == reason


def test_a_directory_is_not_read(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="^not a regular file$"):
        wallabag.read(tmp_path)


def test_a_malformed_entry_is_listed_and_the_others_read(tmp_path: Path) -> None:
    entries = [ENTRY, 5, {"is_archived": 0, "content": "  "}, "x", [ENTRY], ENTRY]
    assert read_all(write(tmp_path, entries)) == [
        ENTRY_SAVED,
        Malformed("entry 2", "not an object (a number)"),
        Malformed("entry 3", "no URL and no content"),
        Malformed("entry 4", "not an object (text)"),
        Malformed("entry 5", "not an object (a list)"),
        replace(ENTRY_SAVED, where="entry 6"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("title", 3, "title: expected text, got a number"),
        ("url", ["https://x"], "url: expected text, got a list"),
        ("given_url", 1, "given_url: expected text, got a number"),
        ("content", {"html": "x"}, "content: expected text, got an object"),
        ("created_at", [1], "created_at: expected a date, got a list"),
        ("published_at", True, "published_at: expected a date, got true/false"),
        ("is_archived", 2, "is_archived: expected 0 or 1, got a number"),
        ("is_archived", "1", "is_archived: expected 0 or 1, got text"),
        ("is_starred", {}, "is_starred: expected 0 or 1, got an object"),
        ("tags", "a,b", "tags: expected a list, got text"),
        ("tags", ["a", 2], "tags: expected labels, got a number"),
        ("tags", [{"slug": "a"}], "tags: expected labels, got null"),
        ("published_by", 5, "published_by: expected a list of names, got a number"),
        ("published_by", ["a", None], "published_by: expected a list of names, got a list"),
        ("annotations", {"quote": "q"}, "annotations: expected a list, got an object"),
        ("annotations", ["q"], "annotations[0]: expected an object, got text"),
        ("annotations", [{"quote": 5}], "annotations[0].quote: expected text, got a number"),
        ("annotations", [{"text": ["n"]}], "annotations[0].text: expected text, got a list"),
        (
            "annotations",
            [{"quote": "q", "created_at": {}}],
            "annotations[0].created_at: expected a date, got an object",
        ),
    ],
)
def test_a_field_of_the_wrong_type_makes_its_entry_malformed(
    tmp_path: Path, field: str, value: object, reason: str
) -> None:
    path = write(tmp_path, [ENTRY, dict(ENTRY, **{field: value}), ENTRY])
    assert read_all(path) == [
        ENTRY_SAVED,
        Malformed("entry 2", reason),
        replace(ENTRY_SAVED, where="entry 3"),
    ]


def test_lenient_values(tmp_path: Path) -> None:
    entry = dict(
        ENTRY,
        url=None,
        given_url="https://example.org/given",
        created_at="last tuesday",
        published_at=1_700_000_000,
        published_by="One Author",
        is_archived=True,
        is_starred=0.0,
        tags=["a", {"id": 1, "label": "b", "slug": "b"}, "a", " "],
        annotations=[{"quote": "", "text": ""}, {"text": "a note on the page"}],
    )
    assert read_all(write(tmp_path, [entry])) == [
        Saved(
            where="entry 1",
            url="https://example.org/given",
            title="An entry",
            author="One Author",
            published="2023-11-14T22:13:20+00:00",
            tags=["a", "b"],
            read=True,
            starred=False,
            html="<p>Body</p>",
            highlights=[Highlight(quote=None, note="a note on the page")],
        )
    ]


def test_text_is_cleaned_of_terminal_escapes(tmp_path: Path) -> None:
    entry = dict(
        ENTRY,
        title="\x1b]52;c;cHduZWQ=\x07Harbour\x1b[2J news",
        content="<p>Body\x1b[31m &#27;red</p>",
        annotations=[{"quote": "Body\x07", "text": "see\u202e this"}],
    )
    (saved,) = read_all(write(tmp_path, [entry]))
    assert (saved.title, saved.html) == ("Harbour news", "<p>Body red</p>")
    assert saved.highlights == [Highlight(quote="Body", note="see this")]


def test_a_bom_and_crlf_read_the_same(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + FIXTURE.read_bytes().replace(b"\n", b"\r\n")
    assert read_all(write(tmp_path, data)) == [HARBOUR, STRIKE, RATES, DELETED]
    crlf = dict(ENTRY, content="<p>one</p>\r\n<p>two</p>\r", annotations=[{"text": "a\r\nb"}])
    (saved,) = read_all(write(tmp_path, [crlf]))
    assert (saved.html, saved.highlights) == (
        "<p>one</p>\n<p>two</p>",
        [Highlight(quote=None, note="a\nb")],
    )


def test_a_truncated_file_keeps_the_entries_before_the_cut(tmp_path: Path) -> None:
    data = FIXTURE.read_bytes()
    cut = data.index(b'"title": "Port strike') + 10
    assert read_all(write(tmp_path, data[:cut])) == [
        HARBOUR,
        Malformed(
            "entry 2",
            "the file ends in the middle of this entry (truncated?); the rest of the file "
            "was not read",
        ),
    ]
    cut = data.index(b"]", data.rindex(b"}")) - 1
    assert read_all(write(tmp_path, data[:cut])) == [
        HARBOUR,
        STRIKE,
        RATES,
        DELETED,
        Malformed(
            "entry 5",
            "the file ends in the middle of this entry (truncated?); the rest of the file "
            "was not read",
        ),
    ]


def test_broken_json_mid_file_stops_there(tmp_path: Path) -> None:
    good = json.dumps(ENTRY).encode()
    data = b"[" + good + b', {"url": "https://x" oops}, ' + good + b"]"
    assert read_all(write(tmp_path, data)) == [
        ENTRY_SAVED,
        Malformed(
            "entry 2", "lexical error: invalid char in json text; the rest of the file was not read"
        ),
    ]
    data = b"[" + good + b', {"url": "https://x/\xff"}]'
    assert read_all(write(tmp_path, data)) == [
        ENTRY_SAVED,
        Malformed(
            "entry 2",
            "lexical error: invalid bytes in UTF8 string; the rest of the file was not read",
        ),
    ]


def test_deep_nesting_is_refused_per_entry(tmp_path: Path) -> None:
    deep = '{"url": "https://x", "extra": ' + "[" * 100 + "]" * 100 + "}"
    deeper = '{"url": "https://y", "extra": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "}"
    good = json.dumps(ENTRY)
    path = write(tmp_path, f"[{good}, {deep}, {deeper}, {good}]")
    assert read_all(path) == [
        ENTRY_SAVED,
        Malformed("entry 2", "nested deeper than 64 levels"),
        Malformed("entry 3", "nested deeper than 64 levels"),
        replace(ENTRY_SAVED, where="entry 4"),
    ]


def test_an_oversized_entry_is_listed_and_the_next_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wallabag, "MAX_ENTRY_BYTES", 500)
    big = dict(ENTRY, content="<p>" + "harbour " * 100 + "</p>")
    path = write(tmp_path, [ENTRY, big, ENTRY])
    assert read_all(path) == [
        ENTRY_SAVED,
        Malformed("entry 2", "larger than 500 bytes"),
        replace(ENTRY_SAVED, where="entry 3"),
    ]


def test_an_entry_too_large_to_read_past_ends_the_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wallabag, "MAX_STREAM_BYTES", 1000)
    huge = dict(ENTRY, content="x" * 300_000)
    reason = "larger than 1,000 bytes; the rest of the file was not read"
    assert read_all(write(tmp_path, [ENTRY, huge, ENTRY])) == [
        ENTRY_SAVED,
        Malformed("entry 2", reason),
    ]
    assert read_all(write(tmp_path, [huge, ENTRY])) == [Malformed("entry 1", reason)]


def test_empty_lists_count_towards_the_entry_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wallabag, "MAX_ENTRY_BYTES", 500)
    many = dict(ENTRY, extra=[[]] * 40)
    assert read_all(write(tmp_path, [ENTRY, many])) == [
        ENTRY_SAVED,
        Malformed("entry 2", "larger than 500 bytes"),
    ]
