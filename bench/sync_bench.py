"""Sync of two 10,000-article libraries (50,000 notes each, 10% divergent: 500 articles only
on each side, with their notes) next to one `VACUUM INTO` of a library, in the same run; and
a re-sync with nothing new. One sample each: a first sync cannot be repeated on the same
pair, and making a new pair costs minutes.

The pair is made from one base library of 10,500 articles: each drops the other's 500. After
the first sync the receiving library must hold exactly the base's articles and notes."""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from pathlib import Path

from bench.generate import generate
from store import Library
from store.core import entity_index, state
from store.sync.folder import SyncReport, check_device

DATA = Path(__file__).resolve().parent / "data"
N, NOTES = 10_000, 50_000
ONLY = N // 20
"""Articles only on each side: 5% each, 10% of each library divergent."""


def _drop(path: Path, ids: list[str]) -> None:
    """Remove articles and every fact about them: this library never had them."""
    with Library.open(path) as lib, lib.write() as conn:
        keys = [(k,) for k in state.keys_of(conn, ids).values()]
        entity_index.forget_entities(conn, [k for (k,) in keys])
        # notes before their revisions: the notes index reads a note's text through them
        for table in ("notes", "note_revisions", "analyses", "events", "article_tags",
                      "article_state", "feed_entries"):  # fmt: skip
            conn.executemany(f"DELETE FROM {table} WHERE article = ?", keys)
        conn.executemany("DELETE FROM articles WHERE key = ?", keys)
    with Library.open(path) as lib:
        lib.conn.execute("VACUUM")


def run() -> dict:
    full = DATA / f"sync-base-{N + ONLY}.db"
    if not full.exists():
        DATA.mkdir(exist_ok=True)
        print("generating the base library (once) ...", flush=True)
        generate(full, N + ONLY, NOTES + NOTES * ONLY // N, seed=3)
    with Library.open(full) as lib:
        ids = [a.id for a in lib.list_articles()]
        base = lib.stats()
    assert base["articles"] == N + ONLY, base
    rng = random.Random(5)
    rng.shuffle(ids)
    only_a, only_b = ids[:ONLY], ids[ONLY : 2 * ONLY]
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        work = Path(tmp)
        a_path, b_path, folder = work / "a.db", work / "b.db", work / "Sync"
        folder.mkdir()
        shutil.copy(full, a_path)
        shutil.copy(full, b_path)
        _drop(a_path, only_b)
        _drop(b_path, only_a)
        a, b = Library.open(a_path), Library.open(b_path)
        for lib in (a, b):
            check_device(lib.handle, SyncReport())
        b.sync(folder)  # b publishes first, as its own machine would have
        before = a.stats()
        assert before["articles"] == b.count() == N, (before, b.count())
        print(f"a: {before['articles']:,} articles and {before['notes']:,} notes, b: "
              f"{b.count():,} articles; {len(only_a) + len(only_b):,} differ")  # fmt: skip

        t = time.perf_counter()
        a.conn.execute("VACUUM INTO ?", (str(work / "vacuum.db"),))
        vacuum = time.perf_counter() - t

        t = time.perf_counter()
        report = a.sync(folder)
        first = time.perf_counter() - t
        received = report.peers[0].received

        t = time.perf_counter()
        again = a.sync(folder)
        resync = time.perf_counter() - t
        after = a.stats()
        assert (after["articles"], after["notes"]) == (base["articles"], base["notes"]), after
        assert again.peers[0].received == 0
        a.close()
        b.close()
    rows = {"VACUUM INTO (the thing it wraps)": vacuum, "sync, first (merge + publish)": first,
            "sync again, nothing new": resync}  # fmt: skip
    for name, secs in rows.items():
        print(f"{name:36} {secs:7.2f} s  {secs / vacuum:5.2f}x")
    print(f"facts received on first sync: {received:,}")
    return {"seconds": rows, "ratio_first": first / vacuum, "ratio_resync": resync / vacuum,
            "received": received, "budget_ratio": 3.0}  # fmt: skip
