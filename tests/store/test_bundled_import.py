"""The bundled articles' import (a new library's first start): stopped between articles it
leaves a consistent library, and the next start finishes it."""

from __future__ import annotations

from pathlib import Path

from store import Library
from store.ingest import entities
from store.library import bundled_import_pending

BUNDLED_ARTICLES = Path(__file__).resolve().parents[2] / "articles"


def test_a_stopped_bundled_import_is_consistent_and_the_next_one_completes_it(
    fresh_lib: Library, analyzer: entities.Analyzer
) -> None:
    assert sorted(p.name for p in BUNDLED_ARTICLES.iterdir())[:1] == ["000_246f3351ffaac2ed.txt"]
    asked = 0

    def stop_after_two() -> bool:  # asked before each article: the third ask says stop
        nonlocal asked
        asked += 1
        return asked > 2

    first = fresh_lib.import_bundled(BUNDLED_ARTICLES, stop=stop_after_two)
    assert first.stopped
    assert (first.count("imported"), first.count("stopped")) == (2, 3)
    assert len(fresh_lib.list_articles()) == 2
    assert fresh_lib.bundled_import_pending()
    assert bundled_import_pending(fresh_lib.path)
    assert fresh_lib.check() == ["ok"]  # the two are whole: text, entities, state
    assert all(fresh_lib.get_article(a.id).entities for a in fresh_lib.list_articles())

    second = fresh_lib.import_bundled(BUNDLED_ARTICLES)
    assert not second.stopped
    assert (second.count("imported"), second.count("present")) == (3, 2)
    assert len(fresh_lib.list_articles()) == 5
    assert not fresh_lib.bundled_import_pending()
    assert not bundled_import_pending(fresh_lib.path)
    assert fresh_lib.check() == ["ok"]
    assert all(fresh_lib.get_article(a.id).entities for a in fresh_lib.list_articles())

    third = fresh_lib.import_bundled(BUNDLED_ARTICLES)  # (a start never asks again: done)
    assert (third.count("imported"), third.count("present")) == (0, 5)


def test_a_library_that_never_began_the_bundled_import_is_not_pending(
    fresh_lib: Library, tmp_path: Path
) -> None:
    assert not fresh_lib.bundled_import_pending()
    assert not bundled_import_pending(fresh_lib.path)
    assert not bundled_import_pending(tmp_path / "missing.db")
