"""Search latency on a 100,000-article / 50,000-note library next to the raw FTS5 query.

For each typical query, `Library.search` (parse, compile, joins, snippets, merge) is timed
next to the bare FTS5 MATCH it wraps on the same index(es), ranked and limited the same way.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bench.generate import generate
from store import Library

DATA = Path(__file__).resolve().parent / "data"
LIMIT = 50
RUNS = 15

ALL = ("articles_fts", "article_tagtext_fts", "notes_fts")


def raw(match: str, tables: tuple[str, ...] = ALL) -> list[tuple[str, str]]:
    return [(t, match) for t in tables]


# (query, the raw FTS5 statements it wraps: (table, MATCH expression)): a free-text query
# searches article title and text, tag names, and note bodies and quotes.
QUERIES = [
    ("summit", raw('"summit"')),
    ("putin xi", raw('"putin" AND "xi"')),
    ('"wind farm"', raw('"wind farm"')),
    ("infla*", raw('"infla" *')),
    ("bank tag:economy", raw('"bank"')),
    ("contradiction in:notes", raw('"contradiction"', ("notes_fts",))),
    ("flood is:unread", raw('"flood"')),
]


def library(n_articles: int = 100_000, n_notes: int = 50_000) -> Path:
    path = DATA / f"lib{n_articles // 1000}k.db"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        print(f"generating {path} (once) ...", flush=True)
        generate(path, n_articles, n_notes)
    return path


def timed(fn, runs: int = RUNS) -> tuple[float, float]:
    fn()  # warm the page cache
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def run() -> dict:
    path = library()
    lib = Library.open(path)
    conn = lib.conn
    print(f"{lib.count():,} articles, {lib.stats()['notes']:,} notes")
    print(
        f"{'query':28} {'hits':>5} {'gloss ms':>9} {'p95':>7} {'raw ms':>8} {'p95':>7} {'ratio':>6}"
    )
    rows = {}
    for q, raws in QUERIES:
        hits = lib.search(q, LIMIT)

        def raw(raws: list = raws) -> None:
            for table, match in raws:
                conn.execute(
                    f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY bm25({table})"
                    " LIMIT ?",
                    (match, LIMIT),
                ).fetchall()

        med, p95 = timed(lambda q=q: lib.search(q, LIMIT))
        rmed, rp95 = timed(raw)
        ratio = med / rmed if rmed else float("inf")
        rows[q] = {"hits": len(hits), "median_ms": med, "p95_ms": p95, "raw_median_ms": rmed,
                   "raw_p95_ms": rp95, "ratio": ratio}  # fmt: skip
        print(f"{q:28} {len(hits):5} {med:9.1f} {p95:7.1f} {rmed:8.1f} {rp95:7.1f} {ratio:5.2f}x")
    lib.close()
    return {"library": str(path), "queries": rows, "budget_ratio": 2.0}
