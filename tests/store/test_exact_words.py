"""Search ranks the query's words themselves above words sharing only their stem, and
`=word` matches the word itself (the unstemmed indexes of migration 0007_exact_words)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from store import Library
from store.core import db, exact_words

DOCS = {
    "boats": "Harbour Festival\n\nVolunteers launched three inflatable boats at dawn.",
    "prices": "Prices Report\n\nInflation rose again in March, the bureau said.",
    "both": "Mixed Bag\n\nInflationary pressure and inflatable toys were both discussed.",
}


@pytest.fixture
def ids(fresh_lib: Library, tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / f"{name}.txt").write_text(text)
    report = fresh_lib.import_paths([folder])
    return {Path(r.path).stem: r.article_id for r in report.results}  # type: ignore[misc]


def titles(lib: Library, q: str) -> list[str]:
    return [h.title for h in lib.search(q) if h.kind == "article"]


def test_the_word_itself_ranks_above_a_shared_stem(fresh_lib: Library, ids) -> None:
    # all three stem to "inflat"; only "Prices Report" holds the word inflation itself
    assert titles(fresh_lib, "inflation")[0] == "Prices Report"
    assert sorted(titles(fresh_lib, "inflation")) == [
        "Harbour Festival",
        "Mixed Bag",
        "Prices Report",
    ]
    assert titles(fresh_lib, "inflatable")[:2] == ["Harbour Festival", "Mixed Bag"]
    assert titles(fresh_lib, "inflatable")[2] == "Prices Report"


def test_equals_is_the_word_itself(fresh_lib: Library, ids) -> None:
    assert titles(fresh_lib, "=inflation") == ["Prices Report"]
    assert sorted(titles(fresh_lib, "=inflatable")) == ["Harbour Festival", "Mixed Bag"]
    assert titles(fresh_lib, '="inflatable boats"') == ["Harbour Festival"]
    assert sorted(titles(fresh_lib, "=inflat*")) == [
        "Harbour Festival",
        "Mixed Bag",
        "Prices Report",
    ]
    assert titles(fresh_lib, "=inflate") == []  # stems as inflat, but no text has the word
    assert titles(fresh_lib, "inflate") != []


def test_exact_and_stemmed_terms_combine(fresh_lib: Library, ids) -> None:
    assert titles(fresh_lib, "=inflatable toys") == ["Mixed Bag"]
    assert titles(fresh_lib, "=inflatable -toys") == ["Harbour Festival"]
    assert sorted(titles(fresh_lib, "=inflation OR =toys")) == ["Mixed Bag", "Prices Report"]
    # in an OR, a match with any of the words themselves (toys) ranks above a stem-only one
    assert titles(fresh_lib, "inflation OR toys")[2:] == ["Harbour Festival"]


def test_a_negated_word_stays_stemmed(fresh_lib: Library, ids) -> None:
    # -inflation excludes every article with the stem inflat, in the exact pass as well
    assert titles(fresh_lib, "inflatable -inflation") == []
    assert sorted(titles(fresh_lib, "inflatable -=inflation")) == ["Harbour Festival", "Mixed Bag"]


def test_a_page_of_exact_matches_is_the_answer(fresh_lib: Library, ids) -> None:
    assert titles_limited(fresh_lib, "inflation", 1) == ["Prices Report"]
    assert sorted(titles_limited(fresh_lib, "inflatable", 2)) == ["Harbour Festival", "Mixed Bag"]


def titles_limited(lib: Library, q: str, limit: int) -> list[str]:
    return [h.title for h in lib.search(q, limit=limit) if h.kind == "article"]


def test_the_snippet_marks_the_word_itself(fresh_lib: Library, ids) -> None:
    hit = fresh_lib.search("=inflatable toys")[0]
    assert [hit.snippet[s:e] for s, e in hit.marks] == ["inflatable", "toys"]


def test_notes_match_the_same_way(fresh_lib: Library, ids) -> None:
    fresh_lib.add_note(ids["prices"], "Inflatable argument, not convincing.")
    fresh_lib.add_note(ids["boats"], "Inflation of the numbers here.")
    notes = [h.snippet for h in fresh_lib.search("=inflation in:notes")]
    assert notes == ["Inflation of the numbers here."]
    ranked = [h.snippet for h in fresh_lib.search("inflation in:notes")]
    assert ranked == ["Inflation of the numbers here.", "Inflatable argument, not convincing."]


def test_a_schema_6_library_gets_the_exact_indexes(tmp_path: Path, analyzer) -> None:
    path = tmp_path / "old.db"
    with Library.open(path) as lib:
        (tmp_path / "a.txt").write_text(DOCS["boats"])
        lib.import_paths([tmp_path / "a.txt"])
        lib.add_note(lib.list_articles()[0].id, "inflatable, really")
    conn = sqlite3.connect(path, isolation_level=None)  # as schema 6 had it: no twins
    for name in ("articles_words_ai", "articles_words_ad", "articles_words_au",
                 "notes_words_ai", "notes_words_ad"):  # fmt: skip
        conn.execute(f"DROP TRIGGER {name}")
    for table in exact_words.TABLES:
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DELETE FROM migrations WHERE name = ?", (exact_words.NAME,))
    conn.execute("PRAGMA user_version = 6")
    conn.close()
    phases: list[str] = []
    with Library.open(path, progress=lambda phase, d, t: phases.append(phase)) as lib:
        assert lib.conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION == 7
        assert exact_words.PHASE in phases
        assert titles(lib, "=inflatable") == ["Harbour Festival"]
        assert [h.kind for h in lib.search("=inflatable in:notes")] == ["note"]
        (tmp_path / "b.txt").write_text(DOCS["prices"])
        lib.import_paths([tmp_path / "b.txt"])  # the triggers keep it up to date
        assert titles(lib, "=inflation") == ["Prices Report"]
        assert lib.conn.execute(
            "SELECT 1 FROM migrations WHERE name = ?", (exact_words.NAME,)
        ).fetchone() == (1,)
