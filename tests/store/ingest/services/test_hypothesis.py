"""The Hypothesis reader: the web app's export, the API's search results and a bare list,
read into one saved link per page with literal highlights; hostile files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from store.core.errors import ImportFailed
from store.ingest.services import hypothesis, record
from store.ingest.services.record import Highlight, Malformed, Saved

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "services" / "hypothesis"

HARBOUR = Saved(
    where="annotations[0]",
    url="https://news.example.org/2024/11/harbour-reopens",
    title="Harbour reopens after storm damage",
    saved="2024-11-20T08:14:03+00:00",
    highlights=[
        Highlight(
            quote="The harbour will reopen to container traffic on 3 December, two weeks "
            "later than planned.",
            note="Check the date against the port authority's notice.",
            created="2024-11-20T08:14:03+00:00",
            position=1384,
            prefix="dredging of the outer channel. ",
            suffix=" Officials blamed the storm in",
            tags=["shipping", "Follow-up"],
        ),
        Highlight(
            quote=None,
            note="Page note: the **second half** repeats last week's story.",
            created="2024-11-20T10:05:00+00:00",
            tags=["shipping"],
        ),
        # A reply: kept as a note on the page.
        Highlight(
            quote=None,
            note="Agreed, and the photo caption is wrong too.",
            created="2024-11-20T11:30:27+00:00",
        ),
    ],
)
CORAL = Saved(
    where="annotations[1]",
    url="https://science.example.com/articles/coral-spawning",
    title="Corals spawn early in warm year",
    saved="2024-11-20T09:40:51+00:00",
    highlights=[
        Highlight(
            quote="spawning was observed on\nthree consecutive nights",
            created="2024-11-20T09:40:51+00:00",
            position=598,
            prefix="In the northern lagoon, mass ",
            suffix=", a week after the full moon.",
        )
    ],
)
PDF = Saved(
    where="annotations[4]",
    url=None,
    title="reef-survey-methods.pdf",
    saved="2024-11-21T07:58:44+00:00",
    highlights=[
        Highlight(
            quote="Sampling sites are listed in Table 2.",
            note="Table 2 is the one to cite.",
            created="2024-11-21T07:58:44+00:00",
            position=10380,
            prefix="were collected between 2019 and 2022. ",
            suffix=" Water temperature was logged",
            tags=["methods"],
        )
    ],
)


def ann(uri: str = "https://a.example/p", **fields: Any) -> dict[str, Any]:
    """A minimal annotation with a quote, its fields overridden."""
    base: dict[str, Any] = {
        "uri": uri,
        "text": "",
        "tags": [],
        "created": "2024-01-02T03:04:05+00:00",
        "target": [{"source": uri, "selector": [{"type": "TextQuoteSelector", "exact": "q"}]}],
        "document": {"title": ["T"]},
    }
    base.update(fields)
    return base


def write(tmp_path: Path, data: Any, name: str = "h.json") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return path


def one_quote(created: str = "2024-01-02T03:04:05+00:00", **fields: Any) -> Highlight:
    return Highlight(quote="q", created=created, **fields)


def test_the_web_apps_export_groups_annotations_by_page() -> None:
    assert list(hypothesis.read(FIXTURES / "export.json")) == [HARBOUR, CORAL, PDF]


def test_the_apis_search_results_with_a_list_of_titles() -> None:
    assert list(hypothesis.read(FIXTURES / "api_search.json")) == [
        Saved(
            where="rows[0]",
            url="https://blog.example.net/posts/tidy-data",
            title="Tidy data, briefly",
            saved="2023-05-01T19:07:33+00:00",
            highlights=[
                Highlight(
                    quote="each variable is a column, each observation is a row",
                    note="Good definition; compare with the paper.",
                    created="2023-05-02T14:22:10+00:00",
                    position=212,
                    prefix="A dataset is tidy when ",
                    suffix=", and each type of observational",
                    tags=["data"],
                ),
                Highlight(
                    quote="Messy data is usually messy in the same few ways.",
                    created="2023-05-01T19:07:33+00:00",
                ),
            ],
        )
    ]


def test_a_bare_list_with_a_string_title() -> None:
    assert list(hypothesis.read(FIXTURES / "bare_list.json")) == [
        Saved(
            where="[0]",
            url="http://old.example.org/essay.html",
            title="An old essay",
            saved="2022-01-15T06:45:00+00:00",
            highlights=[
                Highlight(
                    quote="Writing is thinking on paper.",
                    note="Still true.",
                    created="2022-01-15T06:45:00+00:00",
                    suffix=" Everything else is",
                    tags=["essays"],
                )
            ],
        )
    ]


def test_sniff_knows_the_three_shapes_and_nothing_else(tmp_path: Path) -> None:
    for name in ("export.json", "api_search.json", "bare_list.json"):
        path = FIXTURES / name
        assert hypothesis.sniff(path, path.read_bytes()[:65536]) is True
    wallabag = b'[{"title": "x", "url": "https://e.x/", "annotations": [{"quote": "q"}]}]'
    for head in (wallabag, b"Title (Author)\n- Your Highlight", b"\xff\xfe\x00", b""):
        assert hypothesis.sniff(tmp_path / "x", head) is False


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            b"url,title\nhttps://e.x/,x\n",
            "not valid JSON (lexical error: invalid char in json text)",
        ),
        (b"", "not valid JSON (parse error: premature EOF)"),
        (b'"a string"', "not Hypothesis annotations (not a JSON list or object)"),
        (b'{"entries": []}', "not Hypothesis annotations (no annotations or rows list)"),
        (b'{"annotations": {}}', "not Hypothesis annotations (annotations is not a list)"),
        (
            b'[{"title": "x", "url": "https://e.x/"}]',
            "not Hypothesis annotations (the first has no uri)",
        ),
    ],
)
def test_a_file_that_is_not_the_format_is_one_line(
    tmp_path: Path, data: bytes, reason: str
) -> None:
    with pytest.raises(ImportFailed) as err:
        list(hypothesis.read(write(tmp_path, data)))
    assert str(err.value) == reason


def test_an_empty_export_has_no_entries(tmp_path: Path) -> None:
    data = {"export_date": "2024-01-01T00:00:00Z", "export_userid": "acct:a@hypothes.is"}
    assert list(hypothesis.read(write(tmp_path, {**data, "annotations": []}))) == []


def test_a_malformed_annotation_is_listed_and_the_others_are_read(tmp_path: Path) -> None:
    data = {"annotations": [ann(), 42, {"text": "no page"}, ann("https://b.example/")]}
    assert list(hypothesis.read(write(tmp_path, data))) == [
        Malformed("annotations[1]", "not an annotation (not a JSON object)"),
        Malformed("annotations[2]", "no uri"),
        Saved("annotations[0]", url="https://a.example/p", title="T",
              saved="2024-01-02T03:04:05+00:00", highlights=[one_quote()]),
        Saved("annotations[3]", url="https://b.example/", title="T",
              saved="2024-01-02T03:04:05+00:00", highlights=[one_quote()]),
    ]  # fmt: skip


def test_wrong_types_in_the_fields_that_carry_meaning_are_malformed(tmp_path: Path) -> None:
    quote = {"type": "TextQuoteSelector", "exact": 5}
    bad = [
        ann(uri=5),
        ann(uri="\x1b\x07"),
        ann(uri="https://e.x/" + "a" * 2000),
        ann(text=["x"]),
        ann(target={"selector": []}),
        ann(target=["x"]),
        ann(target=[{"selector": "TextQuoteSelector"}]),
        ann(target=[{"selector": [quote]}]),
    ]
    assert list(hypothesis.read(write(tmp_path, [ann(), *bad]))) == [
        Malformed("[1]", "no uri"),
        Malformed("[2]", "no uri"),
        Malformed("[3]", "uri longer than 2,000 characters"),
        Malformed("[4]", "text is not a string"),
        Malformed("[5]", "target is not a list"),
        Malformed("[6]", "a target is not an object"),
        Malformed("[7]", "selector is not a list"),
        Malformed("[8]", "TextQuoteSelector has no exact text"),
        Saved("[0]", url="https://a.example/p", title="T", saved="2024-01-02T03:04:05+00:00",
              highlights=[one_quote()]),
    ]  # fmt: skip


def test_wrong_types_in_the_other_fields_are_dropped(tmp_path: Path) -> None:
    sel = [
        5,
        {"type": "TextQuoteSelector", "exact": "q", "prefix": 1, "suffix": ["s"]},
        {"type": "TextPositionSelector", "start": True, "end": 3},
    ]
    data = [
        ann(tags="news", created=True, updated=None, document="T", target=[{"selector": sel}]),
        ann(tags=[1, None, " a  b "], created="yesterday", document={"title": [3, "", "U"]}),
        ann(created=None, updated="2020-02-02T02:02:02Z", document={"title": 7}),
        ann(target=[{"selector": [{"type": "TextPositionSelector", "start": -4}]}], text="n"),
        ann(target=[{"selector": [{"type": "TextPositionSelector", "start": "9"}]}]),
    ]
    assert list(hypothesis.read(write(tmp_path, data))) == [
        Saved(
            "[0]",
            url="https://a.example/p",
            title="U",
            saved="2020-02-02T02:02:02+00:00",
            highlights=[
                Highlight(quote="q"),
                Highlight(quote="q", tags=["a b"]),
                Highlight(quote="q", created="2020-02-02T02:02:02+00:00"),
                # A position with no quote anchors nothing: the note is on the page.
                Highlight(quote=None, note="n", created="2024-01-02T03:04:05+00:00"),
            ],
        )
    ]


def test_an_oversized_annotation_is_malformed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hypothesis, "MAX_ENTRY_BYTES", 300)
    data = [ann(text="x" * 400), ann(uri="https://b.example/")]
    assert list(hypothesis.read(write(tmp_path, data))) == [
        Malformed("[0]", "larger than 300 bytes"),
        Saved("[1]", url="https://b.example/", title="T", saved="2024-01-02T03:04:05+00:00",
              highlights=[one_quote()]),
    ]  # fmt: skip


def test_an_annotation_of_too_many_values_is_malformed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hypothesis, "MAX_VALUES", 50)
    data = {"rows": [ann(tags=list(range(60))), ann(uri="https://b.example/")]}
    assert [e.where for e in hypothesis.read(write(tmp_path, data))] == ["rows[0]", "rows[1]"]
    assert next(iter(hypothesis.read(write(tmp_path, data)))) == Malformed(
        "rows[0]", "more than 50 values"
    )


def test_deep_nesting_is_malformed_and_read_without_recursion(tmp_path: Path) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    good = json.dumps(ann()).encode()
    data = b'{"annotations": [' + good + b', {"uri": "https://x.example/", "extra": ' + deep
    data += b"}, " + good + b"]}"
    assert list(hypothesis.read(write(tmp_path, data))) == [
        Malformed("annotations[1]", "nested deeper than 64 levels"),
        Saved("annotations[0]", url="https://a.example/p", title="T",
              saved="2024-01-02T03:04:05+00:00", highlights=[one_quote(), one_quote()]),
    ]  # fmt: skip


def test_nesting_in_skipped_top_level_values_is_read_past(tmp_path: Path) -> None:
    deep = b"[" * 10_000 + b"]" * 10_000
    data = b'{"meta": ' + deep + b', "annotations": [' + json.dumps(ann()).encode() + b"]}"
    assert [e.where for e in hypothesis.read(write(tmp_path, data))] == ["annotations[0]"]


def test_a_bom_and_crlf_line_ends(tmp_path: Path) -> None:
    text = json.dumps([ann(text="line one\r\nline two\rthree \x1b[2Jend")], indent=2)
    data = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    assert hypothesis.sniff(tmp_path / "h.json", data) is True
    assert list(hypothesis.read(write(tmp_path, data))) == [
        Saved("[0]", url="https://a.example/p", title="T", saved="2024-01-02T03:04:05+00:00",
              highlights=[one_quote(note="line one\nline two\nthree end")]),
    ]  # fmt: skip


def test_a_truncated_file_gives_what_was_read_and_says_where_it_broke(tmp_path: Path) -> None:
    data = (FIXTURES / "export.json").read_bytes()
    cut = data[: data.index(b'"Qm9vYW1hcmtzLTAwMDQ"')]  # inside the fourth annotation
    harbour = Saved(**{f: getattr(HARBOUR, f) for f in Saved.__slots__})
    harbour.highlights = HARBOUR.highlights[:2]
    assert list(hypothesis.read(write(tmp_path, cut))) == [
        harbour,
        CORAL,
        Malformed("(rest of file)", "the JSON breaks off here (parse error: premature EOF)"),
    ]


def test_invalid_utf8_inside_a_string_stops_the_file_there(tmp_path: Path) -> None:
    good = json.dumps(ann()).encode()
    data = b"[" + good + b', {"uri": "https://e.x/\xff"}]'
    assert list(hypothesis.read(write(tmp_path, data))) == [
        Saved("[0]", url="https://a.example/p", title="T", saved="2024-01-02T03:04:05+00:00",
              highlights=[one_quote()]),
        Malformed("(rest of file)",
                  "the JSON breaks off here (lexical error: invalid bytes in UTF8 string)"),
    ]  # fmt: skip


def test_a_lone_surrogate_escape_stops_the_file_there(tmp_path: Path) -> None:
    good = json.dumps(ann()).encode()
    data = b"[" + good + b', {"uri": "https://e.x/\\udc00"}]'
    assert list(hypothesis.read(write(tmp_path, data)))[1] == Malformed(
        "(rest of file)",
        "the JSON breaks off here (a string that is not valid UTF-8)",
    )


def test_pages_held_past_the_bound_are_given_out_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hypothesis, "_HELD_CHARS", 3)
    data = [ann(text="abcd"), ann(text="ef")]
    assert list(hypothesis.read(write(tmp_path, data))) == [
        Saved("[0]", url="https://a.example/p", title="T", saved="2024-01-02T03:04:05+00:00",
              highlights=[one_quote(note="abcd")]),
        Saved("[1]", url="https://a.example/p", title="T", saved="2024-01-02T03:04:05+00:00",
              highlights=[one_quote(note="ef")]),
    ]  # fmt: skip


def test_a_page_with_too_many_highlights_comes_out_in_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record, "MAX_HIGHLIGHTS", 2)
    got = list(hypothesis.read(write(tmp_path, [ann(), ann(), ann()])))
    assert [(e.where, len(e.highlights)) for e in got if isinstance(e, Saved)] == [
        ("[0]", 2),
        ("[2]", 1),
    ]


def test_an_empty_annotation_keeps_its_page_and_a_urn_without_title_is_named_by_it(
    tmp_path: Path,
) -> None:
    data = [
        ann(target=[{"source": "https://a.example/p"}], document={}),
        ann(uri="urn:x-pdf:abc", document=None),
    ]
    assert list(hypothesis.read(write(tmp_path, data))) == [
        Saved("[0]", url="https://a.example/p"),
        Saved("[1]", url=None, title="urn:x-pdf:abc", saved="2024-01-02T03:04:05+00:00",
              highlights=[one_quote()]),
    ]  # fmt: skip


def test_a_fifo_is_refused(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(ImportFailed, match="not a regular file"):
        list(hypothesis.read(fifo))
