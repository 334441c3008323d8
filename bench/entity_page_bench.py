"""The entity page of an entity mentioned in about 10,000 of 100,000 articles, next to the
raw SQL it wraps; and the library-wide entity list.

`Library.entity_page` (its first page of 50 articles with their first-mention sentences,
the timeline, co-mentions and notes: what `gloss entity` and the TUI page call; timed
in-process) is timed next to the very statements it ran, recorded once through SQLite's
trace callback with their values bound and replayed with every row fetched: the same reads,
without the decoding, grouping and sorting done in Python. Samples of the two alternate.
Then the page is timed once more without the articles_dates speed index (a read-only copy
lacks it), and the index's size is measured (dbstat).

The entity: the name (NAME_LABELS) whose article count is nearest 10,000. bench.generate
builds articles from the sample articles' paragraphs, so its names come in about 12,500 of
100,000 articles: the bench takes the nearest, a little above 10,000, and says which.

    python -m bench.entity_page_bench --db /tmp/lib100k.db   # made by: python -m
        bench.generate /tmp/lib100k.db --articles 100000 --notes 50000
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bench.results import show, spread
from store import Library
from store.find.entity_page import NAME_LABELS

RUNS = 15
TARGET = 10_000
LIMIT = 50


def _ms(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def pick(conn: sqlite3.Connection) -> tuple[str, str, int]:
    """(name, label, articles) of the name nearest TARGET articles."""
    marks = ",".join("?" * len(NAME_LABELS))
    return conn.execute(
        f"SELECT text, label, articles FROM entity_names WHERE label IN ({marks})"
        " ORDER BY abs(articles - ?), text LIMIT 1",
        [*NAME_LABELS, TARGET],
    ).fetchone()


def recorded(conn: sqlite3.Connection, fn) -> list[str]:
    """The statements `fn` runs on `conn`, with their values bound."""
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        fn()
    finally:
        conn.set_trace_callback(None)
    return seen


def alternate(runs: int, a, b) -> tuple[list[float], list[float]]:
    """Timings of a and b, alternating which goes first."""
    xs, ys = [], []
    for i in range(runs):
        for side in ("a", "b") if i % 2 == 0 else ("b", "a"):
            (xs if side == "a" else ys).append(_ms(a if side == "a" else b))
    return xs, ys


def index_bytes(conn: sqlite3.Connection, name: str) -> int | None:
    try:
        return conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = ?", (name,)).fetchone()[0]
    except sqlite3.OperationalError:  # an SQLite built without dbstat
        return None


def run(runs: int = RUNS, path: Path | None = None) -> dict:
    if path is None:
        from bench.search_bench import library

        path = library()
    lib = Library.open(path)  # (writable: it makes the speed indexes a library lacks)
    conn = lib.conn
    name, label, n = pick(conn)
    print(f"{lib.count():,} articles, {lib.stats()['notes']:,} notes; entity {name!r} {label}"
          f" in {n:,} articles; {runs} runs, ms")  # fmt: skip

    def page() -> object:
        return lib.entity_page(name, label, LIMIT)

    first = page()  # (and the page cache is warm)
    statements = recorded(conn, page)

    def raw() -> int:
        return sum(len(conn.execute(sql).fetchall()) for sql in statements)

    page_ms, raw_ms = alternate(runs, page, raw)
    p, r = spread(page_ms), spread(raw_ms)
    ratio = p["median"] / r["median"]
    print(f"entity page  {show(p)}")
    print(f"raw SQL      {show(r)}   ({len(statements)} statements)   ratio {ratio:.2f}x")

    def listing() -> object:
        return lib.entities(limit=LIMIT)

    list_sql = recorded(conn, listing)
    list_ms, list_raw_ms = alternate(
        runs, listing, lambda: sum(len(conn.execute(sql).fetchall()) for sql in list_sql)
    )
    lp, lr = spread(list_ms), spread(list_raw_ms)
    print(f"entity list  {show(lp)}")
    print(f"raw SQL      {show(lr)}")

    size = index_bytes(conn, "articles_dates")
    conn.execute("DROP INDEX IF EXISTS articles_dates")
    try:
        bare = spread([_ms(page) for _ in range(max(3, runs // 3))])
    finally:
        from store.core import schema

        conn.execute(next(q for q in schema.statements() if "INDEX articles_dates " in q))
    print(f"without articles_dates {show(bare)}   (the index: {size or 0:,} bytes,"
          f" {(size or 0) / max(1, lib.count()):.0f} bytes an article)")  # fmt: skip
    lib.close()
    return {
        "library": str(path), "runs": runs, "entity": name, "label": label, "articles": n,
        "items": len(first.items), "comentions": len(first.comentions),
        "comention_articles": first.comention_articles, "notes": len(first.notes),
        "note_articles": first.note_articles,
        "page_ms": p, "raw_ms": r, "ratio": ratio, "raw_sql": statements,
        "list_ms": lp, "list_raw_ms": lr, "without_dates_index_ms": bare,
        "dates_index_bytes": size, "budget_median_ms": 100,
    }  # fmt: skip


def main() -> None:
    import argparse

    from bench.results import save

    ap = argparse.ArgumentParser(description="The entity page next to the raw SQL it wraps.")
    ap.add_argument("--runs", type=int, default=RUNS, help=f"samples of each (default {RUNS})")
    ap.add_argument("--db", type=Path, help="an existing library instead of the generated one")
    args = ap.parse_args()
    result = run(args.runs, args.db)
    print(f"wrote {save({'entity_page': result})}")


if __name__ == "__main__":
    main()
