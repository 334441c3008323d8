"""Writing other services' entries into a real library: articles, saved links and books,
their state and tags, highlights anchored (or kept as orphans, or waiting on a link), one
article per canonical URL, and nothing added by importing the same entries twice. The
entries are given through a reader module made here (the service readers have their own
tests); the library is real."""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.core.models import Filter
from store.ingest.links import canonical_url
from store.ingest.services.apply import import_export
from store.ingest.services.record import Highlight, Malformed, Saved
from store.library import Library
from tests.store.ingest.test_feeds import serve

TEXT = (
    "<html><head><title>ignored</title></head><body><article><h1>The harbour</h1>"
    "<p>The harbour master counted forty boats at dawn, more than in any spring before.</p>"
    "<p>Fishermen said the herring had come back to the bay after a decade away.</p>"
    "</article></body></html>"
)


def reader(*entries: Saved | Malformed, label: str = "Test") -> types.ModuleType:
    module = types.ModuleType("reader")
    module.LABEL = label  # type: ignore[attr-defined]

    def read(path: Path) -> Iterator:
        yield from entries

    module.read = read  # type: ignore[attr-defined]
    return module


def run(lib: Library, *entries: Saved | Malformed, label: str = "Test"):
    return import_export(lib.handle, reader(*entries, label=label), Path("export"))


def notes_of(lib: Library, aid: str) -> list[tuple[str | None, str, bool]]:
    """(quote, body, placed) of an article's notes, in order of creation."""
    out = []
    for n in sorted(lib.notes(aid), key=lambda n: n.created):
        quote = n.anchor.exact if n.anchor else n.orphan.exact if n.orphan else None
        out.append((quote, n.body, n.anchor is not None))
    return out


@pytest.mark.parametrize(
    ("url", "canon"),
    [
        ("HTTPS://Example.COM:443/a/b/?utm_source=x&id=3#top", "https://example.com/a/b?id=3"),
        ("http://example.com", "http://example.com/"),
        ("https://example.com/?fbclid=1", "https://example.com/"),
        ("https://user:pw@example.com/x", "https://example.com/x"),
        ("https://example.com:8080/x/", "https://example.com:8080/x"),
        ("javascript:alert(1)", None),
        ("ftp://example.com/x", None),
        ("https://exa mple.com/", None),
        ("https://[::1]:99/x", "https://[::1]:99/x"),
        ("", None),
    ],
)
def test_canonical_urls(url: str, canon: str | None) -> None:
    assert canonical_url(url) == canon


def test_an_article_with_state_tags_and_highlights(fresh_lib: Library, no_model) -> None:
    report = run(
        fresh_lib,
        Saved(
            "entry 1", url="https://news.example/harbour?utm_medium=email", title="Boats return",
            author="Ada Byline", saved="2024-03-01T08:00:00+00:00", published="2024-02-28",
            tags=["Coast", "fish / herring"], read=True, starred=True, html=TEXT,
            highlights=[
                Highlight("forty boats at dawn", "a record?"),
                Highlight("the  HERRING had come back"),
                Highlight("a sentence the page never had", "kept anyway"),
                Highlight(None, "A note on the whole piece"),
            ],
        ),
    )  # fmt: skip
    assert [(r.status, r.path) for r in report.results] == [("imported", "entry 1")]
    assert (report.highlights, report.anchored, report.orphaned, report.waiting) == (4, 2, 1, 0)
    aid = report.results[0].article_id
    a = fresh_lib.get_article(aid)
    s = a.summary
    assert (s.title, s.byline, s.source, s.published) == (
        "Boats return", "Ada Byline", "https://news.example/harbour", "2024-02-28"
    )  # fmt: skip
    assert s.imported_at == "2024-03-01T08:00:00+00:00"
    assert (s.read, s.starred, s.tags) == (True, True, ("coast", "fish/herring"))
    assert notes_of(fresh_lib, aid) == [
        ("forty boats at dawn", "a record?", True),
        ("the herring had come back", "", True),
        ("a sentence the page never had", "kept anyway", False),
        (None, "A note on the whole piece", False),
    ]
    # the same entries again: nothing new
    again = run(fresh_lib, Saved("entry 1", url="https://NEWS.example/harbour/", html=TEXT,
                                 tags=["coast"], highlights=[Highlight("forty boats at dawn",
                                                                       "a record?")]))  # fmt: skip
    assert [(r.status, r.article_id) for r in again.results] == [("present", aid)]
    assert again.highlights == 0 and again.tags == 0
    assert len(fresh_lib.notes(aid)) == 4


def test_saved_links_wait_for_their_page_and_fetch_anchors_them(fresh_lib: Library, no_model,
                                                                monkeypatch) -> None:  # fmt: skip
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    with serve() as server:
        url = server.url("/harbour.html")
        server.routes["/harbour.html"] = (TEXT.encode(), "text/html; charset=utf-8")
        report = run(
            fresh_lib,
            Saved("row 2", url=url + "?utm_campaign=z", title="Harbour (saved)", tags=["later"],
                  saved="2023-01-02T03:04:05+00:00",
                  highlights=[Highlight("Fishermen said the herring", "check"),
                              Highlight("not on the page")]),
        )  # fmt: skip
        assert [r.status for r in report.results] == ["linked"]
        assert (report.highlights, report.waiting) == (2, 2)
        link = report.results[0].article_id
        assert [a.id for a in fresh_lib.list_articles(Filter(links=True))] == [link]
        assert [h.article_id for h in fresh_lib.search("is:link")] == [link]
        assert [h.article_id for h in fresh_lib.search("harbour")] == [link]  # by its URL
        assert fresh_lib.get_article(link).summary.tags == ("later",)

        fetched = fresh_lib.fetch_links(fresh_lib.saved_links())
    assert [r.status for r in fetched.results] == ["imported"]
    assert (fetched.moved, fetched.orphaned) == (2, 1)
    page = fetched.results[0].article_id
    assert page != link and fresh_lib.saved_links() == []
    assert fresh_lib.list_articles(Filter(links=True)) == []
    assert fresh_lib.get_article(page).summary.tags == ("later",)
    assert notes_of(fresh_lib, page) == [
        ("Fishermen said the herring", "check", True),
        ("not on the page", "", False),
    ]


def test_one_article_from_two_services_and_the_library(fresh_lib: Library, no_model) -> None:
    entry = Saved("a", url="https://x.example/story", html=TEXT, tags=["one"],
                  highlights=[Highlight("forty boats")])  # fmt: skip
    first = run(fresh_lib, entry, label="Omnivore")
    aid = first.results[0].article_id
    second = run(
        fresh_lib,
        Saved("b", url="http://x.example/story/?utm_source=rss", title="Story", tags=["two"],
              read=True, highlights=[Highlight("forty boats"), Highlight("herring", "!")]),
        Saved("c", url="https://x.example/story#frag", tags=["three"]),
        label="Pocket",
    )  # fmt: skip
    assert [(r.status, r.article_id) for r in second.results] == [("merged", aid)] * 2
    assert second.results[0].reason == "already in the library: added 1 tag, 1 highlight"
    a = fresh_lib.get_article(aid)
    assert a.summary.tags == ("one", "three", "two") and a.summary.read
    assert notes_of(fresh_lib, aid) == [("forty boats", "", True), ("herring", "!", True)]
    assert fresh_lib.count() == 1


def test_same_url_twice_in_one_export(fresh_lib: Library, no_model) -> None:
    report = run(
        fresh_lib,
        Saved("1", url="https://y.example/p", title="P", tags=["a"]),
        Saved("2", url="https://y.example/p/", html=TEXT, tags=["b"], starred=True),
    )
    assert [r.status for r in report.results] == ["imported", "merged"]
    a = fresh_lib.get_article(report.results[0].article_id)
    assert a.summary.tags == ("a", "b") and a.summary.starred and "forty boats" in a.text
    assert fresh_lib.count() == 1


def test_books_grow_as_new_version(fresh_lib: Library, no_model) -> None:
    hl = [Highlight("It was the best of times.", created="2020-01-01T00:00:00+00:00"),
          Highlight("It was the worst of times.", "contrast")]  # fmt: skip
    report = run(fresh_lib, Saved("book 1", title="A Tale of Two Cities", author="Dickens",
                                  highlights=hl))  # fmt: skip
    assert [r.status for r in report.results] == ["book"]
    book = report.results[0].article_id
    a = fresh_lib.get_article(book)
    assert a.text == "It was the best of times.\n\nIt was the worst of times."
    assert a.summary.source == "book:a tale of two cities (dickens)"
    assert notes_of(fresh_lib, book) == [
        ("It was the best of times.", "", True), ("It was the worst of times.", "contrast", True)
    ]  # fmt: skip
    assert [r.status for r in run(fresh_lib, Saved("x", title="A Tale of Two Cities",
                                                   author="Dickens", highlights=hl)).results] == [
        "present"
    ]  # fmt: skip
    grown = run(fresh_lib, Saved("book 1", title="A Tale of Two Cities", author="Dickens",
                                 highlights=[*hl, Highlight("Recalled to life.")]))  # fmt: skip
    assert [r.status for r in grown.results] == ["book"]
    new = grown.results[0].article_id
    assert new != book and fresh_lib.count() == 1
    assert notes_of(fresh_lib, new) == [
        ("It was the best of times.", "", True), ("It was the worst of times.", "contrast", True),
        ("Recalled to life.", "", True),
    ]  # fmt: skip


def test_bad_entries_are_listed_and_the_rest_import(fresh_lib: Library, no_model) -> None:
    report = run(
        fresh_lib,
        Malformed("line 3", "no URL"),
        Saved("line 4", title="No title, url, or text"),
        Saved("line 5", url="javascript:alert(1)", title="bad scheme"),
        Saved("line 6", url="https://ok.example/", tags=["not a tag!"]),
        Saved("line 7", html="<html><body></body></html>"),
    )
    assert [(r.path, r.status, r.reason) for r in report.results] == [
        ("line 3", "failed", "no URL"),
        ("line 4", "failed", "a book with no highlights (nothing to import)"),
        ("line 5", "failed", "not an http(s) URL ('javascript:alert(1)'), and no saved text"),
        ("line 6", "linked", None),
        ("line 7", "failed", "no article text found"),
    ]
    assert any("invalid tag 'not a tag!'" in w for w in report.warnings)
    assert fresh_lib.check() == ["ok"]


def test_fuzzy_anchoring_has_a_budget_per_entry(fresh_lib: Library, no_model, monkeypatch) -> None:
    """Past an entry's FUZZY_SECONDS only exact quotes are placed (the rest are kept as
    orphans): thousands of crafted quotes cannot hold an import for minutes."""
    from store.ingest.services import apply

    entry = Saved("e", url="https://z.example/1", html=TEXT, highlights=[
        Highlight("forty boats at dawn"), Highlight("Fishermen said the hering had come bak"),
    ])  # fmt: skip
    placed = run(fresh_lib, entry).anchored
    assert placed == 2  # the misspelt one by the fuzzy anchoring
    monkeypatch.setattr(apply, "FUZZY_SECONDS", 0.0)
    entry = Saved("e", url="https://z.example/2", html=TEXT.replace("boats", "ships"),
                  highlights=[Highlight("forty ships at dawn"),
                              Highlight("Fishermen said the hering had come bak")])  # fmt: skip
    report = run(fresh_lib, entry)
    assert (report.anchored, report.orphaned) == (1, 1)
