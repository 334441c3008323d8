"""Search latency on a 100,000-article / 50,000-note library (or any: --db) next to the raw
SQL it wraps.

For each typical query, `Library.search` (parse, compile, joins, snippets, merge: what
`gloss search` and the app's search screen call; timed in-process, where a process start
would hide the query) is timed next to the raw FTS5 statements of the same query: a MATCH on
each index it searches, with the same filters (a tag, a state) joined in, ranked by bm25 and
limited the same way, without gloss's parsing, snippets, titles or its check for superseded
versions. Samples of the two alternate.

A filter is written as `+rowid IN (...)`: a bare `rowid IN (...)` lets SQLite feed the
filter's rows into FTS5 one MATCH at a time (5 s and 32 s on this library for the two
filtered queries), which would make a baseline no one would write.

    python -m bench search            # or: python -m bench.search_bench --runs 5 [--db LIB]
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.generate import generate
from bench.results import spread
from store import Library

DATA = Path(__file__).resolve().parent / "data"
LIMIT = 50
RUNS = 15

TAGGED = "SELECT article FROM article_tags WHERE tag = ?"
UNREAD = "SELECT article FROM article_state WHERE read = 0"


def raw(match: str, filt: tuple[str, list] | None = None, tables: str = "at n") -> list:
    """The raw statements of a query: (sql, args) for articles_fts ("a"), the tag-name index
    ("t") and notes_fts ("n"), each with the filter's article rowids when there is one."""
    f, fargs = filt if filt else ("", [])
    out = []
    if "a" in tables:
        where = f" AND +rowid IN ({f})" if f else ""
        out.append((f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?{where}"
                    " ORDER BY bm25(articles_fts) LIMIT ?", [match, *fargs, LIMIT]))  # fmt: skip
    if "t" in tables:
        if f:  # (the tag index's rowid is the article's key)
            out.append((
                "SELECT rowid FROM article_tagtext_fts WHERE article_tagtext_fts MATCH ?"
                f" AND +rowid IN ({f}) ORDER BY bm25(article_tagtext_fts) LIMIT ?",
                [match, *fargs, LIMIT],
            ))  # fmt: skip
        else:
            out.append(("SELECT rowid FROM article_tagtext_fts WHERE article_tagtext_fts MATCH ?"
                        " ORDER BY bm25(article_tagtext_fts) LIMIT ?", [match, LIMIT]))  # fmt: skip
    if "n" in tables:
        if f:
            out.append((
                "SELECT notes_fts.rowid FROM notes_fts JOIN notes n ON n.rev = notes_fts.rowid"
                f" WHERE notes_fts MATCH ? AND +n.article IN ({f}) ORDER BY bm25(notes_fts)"
                " LIMIT ?",
                [match, *fargs, LIMIT],
            ))  # fmt: skip
        else:
            out.append(("SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?"
                        " ORDER BY bm25(notes_fts) LIMIT ?", [match, LIMIT]))  # fmt: skip
    return out


def windowed(statements: list) -> list:
    """The same statements ranking only the newest WINDOW matches of the big indexes, as
    gloss does (store.find.search.WINDOW): the raw form of what gloss runs."""
    from store.find.search import WINDOW

    out = []
    for sql, args in statements:
        if "article_tagtext_fts" in sql:  # one row per tagged article: ranked whole
            out.append((sql, args))
            continue
        head, rank = sql.split(" ORDER BY ", 1)
        col, rest = head[len("SELECT ") :].split(" FROM ", 1)
        out.append((
            f"SELECT rid FROM (SELECT {col} AS rid, {rank.split(' LIMIT')[0]} AS s FROM {rest}"
            f" ORDER BY {col} DESC LIMIT ?) ORDER BY s LIMIT ?",
            [*args[:-1], WINDOW, args[-1]],
        ))  # fmt: skip
    return out


# (query, the raw statements of the same query): a free-text query searches article title
# and text, tag names, and note bodies and quotes; in:notes only the notes.
QUERIES = [
    ("summit", raw('"summit"')),
    ("putin xi", raw('"putin" AND "xi"')),
    ('"wind farm"', raw('"wind farm"')),
    ("infla*", raw('"infla" *')),
    ("bank tag:economy", raw('"bank"', (TAGGED, ["economy"]))),
    ("contradiction in:notes", raw('"contradiction"', tables="n")),
    ("flood is:unread", raw('"flood"', (UNREAD, []))),
]


def library(n_articles: int = 100_000, n_notes: int = 50_000) -> Path:
    path = DATA / f"lib{n_articles // 1000}k.db"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        print(f"generating {path} (once) ...", flush=True)
        generate(path, n_articles, n_notes)
    return path


def _ms(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def run(runs: int = RUNS, path: Path | None = None) -> dict:
    path = path or library()
    lib = Library.open(path)
    conn = lib.conn
    print(f"{lib.count():,} articles, {lib.stats()['notes']:,} notes; median of {runs}, ms")
    print(f"{'query':26} {'hits':>4} {'raw':>4} {'gloss':>7} {'IQR':>11} {'raw':>7} {'IQR':>11}"
          f" {'ratio':>6}")  # fmt: skip
    rows = {}
    for q, every in QUERIES:
        statements = windowed(every)

        def bare(statements: list = statements) -> int:
            return sum(len(conn.execute(sql, args).fetchall()) for sql, args in statements)

        def ranked_all(statements: list = every) -> int:  # no window: for the record
            return sum(len(conn.execute(sql, args).fetchall()) for sql, args in statements)

        hits, raw_hits = len(lib.search(q, LIMIT)), bare()  # and the page cache is warm
        gloss_ms, raw_ms = [], []
        for i in range(runs):  # alternating, each first in turn
            for side in ("gloss", "raw") if i % 2 == 0 else ("raw", "gloss"):
                if side == "gloss":
                    gloss_ms.append(_ms(lambda q=q: lib.search(q, LIMIT)))
                else:
                    raw_ms.append(_ms(bare))
        g, r = spread(gloss_ms), spread(raw_ms)
        a = spread([_ms(ranked_all) for _ in range(3)])
        ratio = g["median"] / r["median"] if r["median"] else float("inf")
        rows[q] = {"hits": hits, "raw_rows": raw_hits, "gloss_ms": g, "raw_ms": r,
                   "ratio": ratio, "raw_sql": [sql for sql, _ in statements],
                   "raw_all_matches_ms": a}  # fmt: skip
        print(f"{q:26} {hits:4} {raw_hits:4} {g['median']:7.1f} {g['q1']:5.1f}–{g['q3']:<5.1f}"
              f" {r['median']:7.1f} {r['q1']:5.1f}–{r['q3']:<5.1f} {ratio:5.2f}x"
              f"   (raw ranking every match: {a['median']:.0f} ms)")  # fmt: skip
    lib.close()
    return {"library": str(path), "runs": runs, "queries": rows, "budget_ratio": 2.0,
            "budget_median_ms": 100}  # fmt: skip


def main() -> None:
    import argparse

    from bench.results import save

    ap = argparse.ArgumentParser(description="Search latency next to the raw SQL it wraps.")
    ap.add_argument("--runs", type=int, default=RUNS, help=f"samples of each (default {RUNS})")
    ap.add_argument("--db", type=Path, help="an existing library instead of the generated one")
    args = ap.parse_args()
    result = run(args.runs, args.db)
    print(f"wrote {save({'search': result})}")


if __name__ == "__main__":
    main()
