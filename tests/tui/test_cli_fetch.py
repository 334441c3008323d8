"""`gloss import` of a Pocket export, then `gloss fetch`: saved links become articles
through the page import, served by a local HTTP server the test starts; a page that
cannot be fetched is that link's failure, and the link stays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.store.ingest.test_feeds import serve

PAGE = (
    b"<html><head><title>Tide tables</title></head><body><article><h1>Tide tables</h1>"
    b"<p>The almanac printed the tides for every harbour on the coast, a year ahead.</p>"
    b"<p>Fishermen trusted it more than the radio.</p></article></body></html>"
)


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_fetch_saved_links(gloss, tmp_path: Path, no_model, no_proxy) -> None:
    with serve() as server:
        server.routes["/tides"] = (PAGE, "text/html; charset=utf-8")
        export = tmp_path / "part_000000.csv"
        export.write_text(
            "title,url,time_added,tags,status\n"
            f"Tide tables,{server.url('/tides')}?utm_source=pocket,1700000000,sea|later,unread\n"
            f"Gone,{server.url('/gone')},1700000100,,archive\n",
            encoding="utf-8",
        )
        code, out, _ = gloss("import", str(export))
        assert (code, out.splitlines()[-1]) == (
            0, "Pocket: 2 saved links, 0 already in library, 0 failed; 2 tags added"
            " (`gloss fetch` brings the saved links' pages)",
        )  # fmt: skip
        links = json.loads(gloss("search", "is:link", "--json")[1])
        assert sorted(h["title"] for h in links) == ["Gone", "Tide tables"]
        code, out, err = gloss("fetch", "--json")
    report = json.loads(out)
    assert code == 1 and (report["fetched"], report["failed"]) == (1, 1)
    [failed] = [r for r in report["links"] if r["status"] == "failed"]
    assert failed["path"] == server.url("/gone") and "404" in failed["reason"]
    listed = {a["title"]: a for a in json.loads(gloss("list", "--json")[1])}
    assert set(listed) == {"Gone", "Tide tables"}
    assert listed["Tide tables"]["tags"] == ["later", "sea"]
    tides = json.loads(gloss("show", listed["Tide tables"]["id"], "--json")[1])
    assert tides["text"].startswith("The almanac printed the tides")
    remaining = json.loads(gloss("search", "is:link", "--json")[1])
    assert [h["title"] for h in remaining] == ["Gone"]
    code, out, _ = gloss("fetch", "nosuchid")
    assert code == 1
