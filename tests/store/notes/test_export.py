"""Annotations out and back: Markdown, gloss JSON, W3C Web Annotation, CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from store import Library
from store.core.errors import ImportFailed
from store.notes import export as ex

ARTICLE = """---
title: Harbour Cranes Return
author: Ana Ruiz
date: 2026-03-01
url: https://news.example.com/cranes
tags: [local, world/europe]
---

The cranes at the harbour in Lisbon were repaired after a long winter of delays.

## What changes

Dock workers said the new cranes would double the number of ships unloaded each day.
"""


@pytest.fixture
def annotated(fresh_lib: Library, tmp_path: Path, no_model) -> tuple[Library, str]:
    src = tmp_path / "cranes.md"
    src.write_text(ARTICLE)
    aid = fresh_lib.import_paths([src]).results[0].article_id
    assert aid
    fresh_lib.add_note(aid, "Which winter?", *fresh_lib.find_quote(aid, "a long winter of delays"))
    fresh_lib.highlight(aid, *fresh_lib.find_quote(aid, "double the number of ships"))
    fresh_lib.add_note(aid, "Follow up in June.\nAsk the port authority.")
    fresh_lib.set_read(aid)
    fresh_lib.set_starred(aid)
    return fresh_lib, aid


EXPECTED_MD = """---
title: Harbour Cranes Return
byline: Ana Ruiz
date: '2026-03-01'
source: https://news.example.com/cranes
tags:
- local
- world/europe
gloss_id: {aid}
---

# Harbour Cranes Return

## Highlights and notes

> a long winter of delays

Which winter?

> double the number of ships

## Notes on the article

Follow up in June.{br}
Ask the port authority.
"""


def test_markdown_export(annotated) -> None:
    lib, aid = annotated
    assert ex.to_markdown(lib.get_article(aid)) == EXPECTED_MD.format(aid=aid, br="  ")
    assert ex.slug(lib.get_article(aid)) == f"harbour-cranes-return-{aid[:8]}"


def state(lib: Library, aid: str) -> tuple:
    s = lib.summary(aid)
    notes = sorted((n.id, n.body, n.anchor, n.is_highlight) for n in lib.notes(aid))
    return notes, s.tags, s.read, s.starred


def fresh_copy(tmp_path: Path, name: str) -> tuple[Library, str]:
    src = tmp_path / f"{name}.md"
    src.write_text(ARTICLE)
    lib = Library.open(tmp_path / f"{name}.db")
    return lib, lib.import_paths([src]).results[0].article_id  # type: ignore[return-value]


def test_json_round_trip_is_lossless_and_idempotent(annotated, tmp_path: Path) -> None:
    lib, aid = annotated
    path = tmp_path / "notes.json"
    path.write_text(json.dumps(lib.export.json([aid])))
    other, same = fresh_copy(tmp_path, "other")
    assert same == aid
    report = other.import_annotations(path)
    assert (report.attached, report.present, report.rejected) == (3, 0, [])
    assert state(other, aid) == state(lib, aid)
    revs = "SELECT rev_id, parents, body, hlc, device FROM note_revisions ORDER BY rev_id"
    assert other.conn.execute(revs).fetchall() == lib.conn.execute(revs).fetchall()
    again = other.import_annotations(path)
    assert (again.attached, again.present) == (0, 3)
    assert state(other, aid) == state(lib, aid)


def test_w3c_shapes_and_round_trip(annotated, tmp_path: Path) -> None:
    lib, aid = annotated
    doc = lib.export.w3c([aid])
    assert doc["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert doc["type"] == "AnnotationCollection" and doc["total"] == 3
    items = doc["first"]["items"]
    assert doc["first"]["type"] == "AnnotationPage"
    motivations = sorted(i["motivation"] for i in items)
    assert motivations == ["commenting", "commenting", "highlighting"]
    for item in items:
        assert item["type"] == "Annotation" and item["id"].startswith("urn:gloss:note:")
        assert item["created"].endswith("Z")
        tags = [b["value"] for b in item["body"] if b["purpose"] == "tagging"]
        assert tags == ["local", "world/europe"]
        for b in item["body"]:
            assert b["type"] == "TextualBody" and isinstance(b["value"], str)
        target = item["target"]
        if isinstance(target, str):  # a note on the whole article
            assert target == "https://news.example.com/cranes"
            continue
        assert target["source"] == "https://news.example.com/cranes"
        quote, pos = target["selector"]
        assert quote["type"] == "TextQuoteSelector" and set(quote) == {
            "type", "exact", "prefix", "suffix"
        }  # fmt: skip
        assert pos["type"] == "TextPositionSelector"
        assert isinstance(pos["start"], int) and pos["start"] < pos["end"]
        assert lib.get_article(aid).text[pos["start"] : pos["end"]] == quote["exact"]
    path = tmp_path / "w3c.jsonld"
    path.write_text(json.dumps(doc))
    other, _ = fresh_copy(tmp_path, "other")
    report = other.import_annotations(path)
    assert (report.attached, report.rejected) == (3, [])
    mine = sorted((n.id, n.body, n.anchor) for n in lib.notes(aid))
    assert sorted((n.id, n.body, n.anchor) for n in other.notes(aid)) == mine
    assert other.import_annotations(path).attached == 0


def test_foreign_w3c_annotation_anchors_by_quote(annotated, tmp_path: Path) -> None:
    lib, aid = annotated
    path = tmp_path / "hypothesis.json"
    path.write_text(json.dumps([{
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": "https://hypothes.is/a/abc123", "type": "Annotation",
        "body": {"type": "TextualBody", "value": "nice detail", "purpose": "commenting"},
        "target": {"source": "https://news.example.com/cranes", "selector": [
            {"type": "TextQuoteSelector", "exact": "Dock workers said", "prefix": "", "suffix": ""}
        ]},
    }]))  # fmt: skip
    report = lib.import_annotations(path)
    assert report.attached == 1
    [n] = [n for n in lib.notes(aid) if n.body == "nice detail"]
    assert n.anchor is not None and n.anchor.exact == "Dock workers said"
    assert lib.import_annotations(path).present == 1


def test_json_onto_a_changed_version_reanchors(annotated, tmp_path: Path) -> None:
    lib, aid = annotated
    path = tmp_path / "notes.json"
    path.write_text(json.dumps(lib.export.json([aid])))
    src = tmp_path / "changed.md"
    src.write_text(ARTICLE.replace("The cranes at", "After a strike, the cranes at"))
    other = Library.open(tmp_path / "changed.db")
    new = other.import_paths([src]).results[0].article_id
    assert new != aid
    report = other.import_annotations(path)
    assert (report.attached, report.orphaned, report.missing) == (3, 0, [])
    quotes = sorted(n.anchor.exact for n in other.notes(new) if n.anchor)
    assert quotes == ["a long winter of delays", "double the number of ships"]
    assert other.import_annotations(path).attached == 0


def test_csv(annotated) -> None:
    lib, aid = annotated
    lib.add_note(aid, '=HYPERLINK("http://evil.test")')
    rows = list(csv.DictReader(io.StringIO(lib.export.csv([aid]))))
    assert [r["kind"] for r in rows] == ["note", "note", "note", "highlight"]
    assert rows[0]["tags"] == "local world/europe"
    assert {r["body"] for r in rows} >= {'\'=HYPERLINK("http://evil.test")', "Which winter?"}


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary file"),
        (b"", "empty file"),
        (b"{not json", "not JSON (line 1, column 2)"),
        (b'{"a": 1}', "neither gloss annotations nor W3C"),
        (b'{"format": "gloss-annotations", "version": 9}', "version 9 unknown"),
        (b'{"format": "gloss-annotations", "version": 1, "articles": 3}', "must be a list"),
        ("caf\xe9".encode("latin-1"), "not valid UTF-8"),
    ],
)
def test_bad_annotation_files(annotated, tmp_path: Path, content: bytes, message: str) -> None:
    lib, aid = annotated
    before = state(lib, aid)
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ImportFailed, match=re.escape(message)):
        lib.import_annotations(path)
    assert state(lib, aid) == before


def test_hostile_annotations_are_rejected(annotated, tmp_path: Path) -> None:
    lib, aid = annotated
    before = state(lib, aid)
    doc = lib.export.json([aid])
    rev = doc["articles"][0]["facts"]["note_revisions"][0]
    rev["rev_id"] = "X" * 26
    rev["body"] = "evil \x1b]52;c;ZXZpbA==\x07"
    doc["articles"][0]["facts"]["note_revisions"] = [rev, {"rev_id": 5}]
    doc["articles"][0]["facts"]["events"] = [{"event_id": "E", "field": "tag:[x]", "value": 1,
                                              "hlc": "h", "device": "d"}]  # fmt: skip
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(doc))
    report = lib.import_annotations(path)
    assert report.attached == 0 and len(report.rejected) == 3
    assert state(lib, aid) == before


def test_cli_export_and_import(gloss, tmp_path: Path, no_model) -> None:
    src = tmp_path / "cranes.md"
    src.write_text(ARTICLE)
    gloss("import", str(src))
    aid = json.loads(gloss("list", "--json")[1])[0]["id"]
    gloss("note", aid, "Which winter?", "--quote", "a long winter")
    code, out, _ = gloss("export", "--format", "json", "-q", "winter")
    assert code == 0 and json.loads(out)["articles"][0]["id"] == aid
    folder = tmp_path / "vault"
    code, out, _ = gloss("export", "-o", str(folder))
    assert code == 0 and (folder / f"harbour-cranes-return-{aid[:8]}.md").exists()
    assert gloss("export", "-q", '"unclosed')[0] == 2
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    code, _, err = gloss("import-annotations", str(bad))
    assert code == 1 and err.startswith("gloss: error: neither gloss annotations")
