"""The one tag rule: how names normalise, and which tags a name matches (store.core.tags),
the same for search (`tag:`), the list filter (sidebar, `gloss list --tag`) and export."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Library
from store.core.errors import InvalidInput, QueryError
from store.core.models import Filter
from store.core.sanitize import normalise_tag
from store.core.tags import tag_match


@pytest.mark.parametrize(
    "raw, tag",
    [("World / Asia", "world/asia"), ("Big Museums", "big-museums"), ("world/asia", "world/asia"),
     ("  Big   Museums ", "big-museums"), ("WORLD//Asia/", "world/asia")],
)  # fmt: skip
def test_names_normalise_one_way(raw: str, tag: str) -> None:
    assert normalise_tag(raw) == tag


@pytest.mark.parametrize(
    "spec, sql, args",
    [("world", "(tag = ? OR tag LIKE ? ESCAPE '\\')", ["world", "world/%"]),
     ("World / Asia", "(tag = ? OR tag LIKE ? ESCAPE '\\')", ["world/asia", "world/asia/%"]),
     ("world/*", "(tag = ? OR tag LIKE ? ESCAPE '\\')", ["world", "world/%"]),
     ("=world", "tag = ?", ["world"]),
     ("world*", "tag LIKE ? ESCAPE '\\'", ["world%"]),
     ("snake_case", "(tag = ? OR tag LIKE ? ESCAPE '\\')", ["snake_case", "snake\\_case/%"])],
)  # fmt: skip
def test_match_sql(spec: str, sql: str, args: list[object]) -> None:
    assert tag_match(spec) == (sql, args)


def test_a_bad_name_is_refused() -> None:
    with pytest.raises(InvalidInput):
        tag_match("=[bold]")


@pytest.fixture
def tagged(fresh_lib: Library, tmp_path: Path) -> Library:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("asia", "europe", "plain", "cup"):
        (folder / f"{name}.txt").write_text(f"{name.title()} Report\n\nHarbour news from {name}.")
    report = fresh_lib.import_paths([folder])
    ids = {Path(r.path).stem: r.article_id for r in report.results}
    fresh_lib.tag(ids["asia"], add=["World / Asia"])
    fresh_lib.tag(ids["europe"], add=["world/europe"])
    fresh_lib.tag(ids["plain"], add=["World"])
    fresh_lib.tag(ids["cup"], add=["worldcup"])
    return fresh_lib


def _listed(lib: Library, tag: str) -> list[str]:
    return sorted(a.title for a in lib.list_articles(Filter(tag=tag)))


def _found(lib: Library, query: str) -> list[str]:
    return sorted(h.title for h in lib.search(query) if h.kind == "article")


@pytest.mark.parametrize(
    "spec, titles",
    [("world", ["Asia Report", "Europe Report", "Plain Report"]),
     ("=world", ["Plain Report"]),
     ("world/asia", ["Asia Report"]),
     ("world*", ["Asia Report", "Cup Report", "Europe Report", "Plain Report"]),
     ("worldcup", ["Cup Report"])],
)  # fmt: skip
def test_list_and_search_match_alike(tagged: Library, spec: str, titles: list[str]) -> None:
    assert _listed(tagged, spec) == titles
    assert _found(tagged, f"tag:{spec}") == titles
    assert _found(tagged, f"harbour tag:{spec}") == titles  # beside a text term too


def test_a_bad_tag_in_a_query_is_a_query_error(tagged: Library) -> None:
    with pytest.raises(QueryError, match="tag:=;"):
        tagged.search("tag:=;")
