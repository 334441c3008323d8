"""A schema-4 library migrates to schema 7 on open (5 by the compact file swap, then 6
in place: the entity index by groups, then 7: the unstemmed full-text indexes): same list,
articles, notes, entities and search results; a migration killed at any point leaves the
old library or the new one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from store import Library
from store.core import compact, db, entity_index, state
from tests.store.core import schema4

A, B, C = (a[0] for a in schema4.ARTICLES)


def _facts(lib: Library) -> dict:
    """Everything a user sees of the fixture library, as plain values."""
    article = lib.get_article(A)
    return {
        "list": [
            (s.id, s.read, s.starred, s.notes, s.highlights, s.tags) for s in lib.list_articles()
        ],  # fmt: skip
        "unread": [s.id for s in lib.list_articles(db_filter(unread=True))],
        "notes": [
            (
                n.id,
                n.article_id,
                n.body,
                n.anchor,
                n.created,
                n.updated,
                n.revision,
                n.conflict,
                n.versions,
            )
            for n in lib.notes()
        ],  # fmt: skip
        "entities": [tuple(e) for e in article.entities],
        "sentences": [tuple(s) for s in article.sentences],
        "model": article.model,
        "top": [tuple(e) for e in lib.entities(limit=3)],
        "mentioning": [s.id for s in lib.articles_mentioning("London")],
        "search": [(h.kind, h.article_id, h.note_id) for h in lib.search("engine")],
        "label": [h.article_id for h in lib.search("label:LOC")],
        "tag": [h.article_id for h in lib.search("computing")],
        "stats": lib.stats(),
    }


def db_filter(**kw: bool):
    from store.core.models import Filter

    return Filter(**kw)


EXPECTED = {
    "list": [
        (C, False, False, 0, 0, ()),
        (B, False, True, 1, 1, ("history",)),
        (A, True, False, 1, 0, ("history/computing",)),
    ],
    "unread": [C, B],
    "notes": [
        (
            "n1",
            A,
            "wrote the first program",
            (0, 12, "Ada Lovelace", "", ""),
            "0001",
            "0003",
            "r3",
            True,
            ("first programmer", "wrote the first program"),
        ),
        ("n3", B, "about the whole article", None, "0005", "0005", "r5", False, ()),
        ("n2", B, "", (4, 10, "engine", "", ""), "0004", "0004", "r4", False, ()),
    ],  # fmt: skip
    "entities": [
        (0, 12, "PERSON", "Ada Lovelace", "Ada Lovelace", 0),
        (17, 32, "PERSON", "Charles Babbage", "Charles Babbage", 1),
        (36, 42, "GPE", "London", "London", 2),
    ],  # fmt: skip
    "sentences": [(0, 43), (44, 72)],
    "model": schema4.MODEL,
    "top": [("London", "GPE", 2, 2), ("Ada Lovelace", "PERSON", 2, 2), ("Persia", "GPE", 1, 1)],
    "mentioning": [B, A],
    "search": [("note", B, "n2"), ("article", B, None), ("article", A, None)],
    "label": [C],
    "tag": [A],
    "stats": {"articles": 3, "unread": 2, "starred": 1, "notes": 2, "highlights": 1},
}


@pytest.fixture
def old(tmp_path: Path) -> Path:
    path = tmp_path / "library.db"
    schema4.build(path)
    assert schema4.version_of(path) == 4
    return path


@pytest.mark.parametrize("version", [1, 4])
def test_an_old_library_migrates_with_the_same_results(tmp_path: Path, version: int) -> None:
    path = tmp_path / "library.db"
    schema4.build(path, version)
    calls: list[tuple[str, int, int]] = []
    with Library.open(path, progress=lambda *a: calls.append(a)) as lib:
        assert lib.conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION == 7
        assert lib.conn.execute("PRAGMA page_size").fetchone()[0] == 16384
        assert db.check(lib.conn, full=True) == ["ok"]
        assert _facts(lib) == EXPECTED
        names = [r[0] for r in lib.conn.execute("SELECT name FROM migrations ORDER BY name")]
        assert names == db.MIGRATION_NAMES
    assert ("analyses", 3, 3) in calls and calls[-1] == ("done", 1, 1)
    assert not compact.scratch_path(path).exists()


def test_migrated_state_equals_a_rebuild(old: Path) -> None:
    """What the migration copied is what the new code derives from the facts."""
    with Library.open(old) as lib:
        conn = lib.conn
        tables = ("notes", "article_state", "article_tags", "entity_names", "entity_articles")

        def dump() -> dict:
            return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}

        before = dump()
        keys = [r[0] for r in conn.execute("SELECT key FROM articles")]
        with lib.write() as w:
            state.rebuild(w, keys)
            entity_index.rebuild_entities(w, keys)
        after = dump()
        # entity keys are re-assigned by the rebuild: compare by name
        for t in ("entity_names", "entity_articles"):
            before.pop(t), after.pop(t)
        assert after == before
        assert _facts(lib) == EXPECTED


def test_migration_refuses_while_another_connection_is_open(old: Path) -> None:
    other = db.connect(old)
    other.execute("SELECT count(*) FROM articles").fetchone()
    try:
        with pytest.raises(Exception, match="open in another gloss"):
            Library.open(old)
        assert schema4.version_of(old) == 4 and not compact.scratch_path(old).exists()
    finally:
        other.close()
    with Library.open(old) as lib:
        assert _facts(lib) == EXPECTED


_CHILD = """
import sys, time
from pathlib import Path
from store import Library

def progress(phase, done, total):
    print(phase, flush=True)
    time.sleep(0.3)  # the parent's kill lands here, inside this phase

Library.open(Path(sys.argv[1]), progress=progress).close()
print("finished", flush=True)
"""


@pytest.mark.parametrize("kill_after", [1, 2, 4, 6, 8, 9, 10, 11])
def test_a_killed_migration_leaves_old_or_new(old: Path, kill_after: int) -> None:
    root = Path(__file__).resolve().parents[3]
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(old)], cwd=root, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert child.stdout is not None
    for _ in range(kill_after):
        line = child.stdout.readline()
        assert line, "the migration ended before the kill"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    # lines 1-8 are the compact build's (the swap follows the eighth, "statistics"), 9-10
    # the in-place regroup's transaction, 11 is "done" (after 0007, which has nothing to build:
    # the compact build made its tables)
    assert schema4.version_of(old) == (4 if kill_after <= 8 else 5 if kill_after <= 10 else 7)
    with Library.open(old) as lib:  # (a rerun, when it was left at 4)
        assert _facts(lib) == EXPECTED
        assert db.check(lib.conn, full=True) == ["ok"]
    assert not compact.scratch_path(old).exists()
