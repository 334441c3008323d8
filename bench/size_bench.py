"""Bytes per article of a library, per table and per b-tree (SQLite's dbstat), and of the
whole file, so a schema's size can be compared with another's (issue #13: schema 4
bench/data/lib100k-schema4.db before, a schema-5 library after).

A table's figure includes its indexes and, for a full-text table, its shadow tables. The
file is opened read-only and immutable: nothing is written, not even a -shm beside it.

    python -m bench.size_bench LIB [LIB ...] [--json]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

FTS_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")


def sizes(path: Path) -> dict:
    """{articles, file_bytes, page_size, freelist_pages, tables: {table: bytes},
    btrees: {name: (table, bytes)}} of the library at path."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        freelist = conn.execute("PRAGMA freelist_count").fetchone()[0]
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master"))
        virtual = {n for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
        )}  # fmt: skip
        btrees: dict[str, tuple[str, int]] = {}
        # (not dbstat's aggregate mode: its pgsize sum wraps at 2**31 on a 4 GB table)
        for name, size in conn.execute(
            "SELECT name, sum(pgsize) AS size FROM dbstat GROUP BY name ORDER BY size DESC"
        ):
            table = owner.get(name, name)
            for v in virtual:
                if any(name == v + s for s in FTS_SHADOWS):
                    table = v
            btrees[name] = (table, size)
    finally:
        conn.close()
    tables: dict[str, int] = {}
    for table, size in btrees.values():
        tables[table] = tables.get(table, 0) + size
    return {
        "path": str(path), "articles": articles, "file_bytes": path.stat().st_size,
        "page_size": page_size, "freelist_pages": freelist,
        "tables": dict(sorted(tables.items(), key=lambda kv: -kv[1])), "btrees": btrees,
    }  # fmt: skip


def show(s: dict) -> None:
    n = max(1, s["articles"])
    print(f"== {s['path']}: {s['articles']:,} articles, page size {s['page_size']},"
          f" free pages {s['freelist_pages']:,}")  # fmt: skip
    print(f"   file {s['file_bytes']:,} B = {s['file_bytes'] / n:,.0f} B/article")
    print(f"   {'table (with its indexes, FTS shadows)':44} {'B/article':>10}")
    for table, size in s["tables"].items():
        if size / n >= 1:
            print(f"   {table:44} {size / n:10,.0f}")
    print(f"   {'b-tree':44} {'B/article':>10}")
    for name, (_, size) in s["btrees"].items():
        if size / n >= 1:
            print(f"   {name:44} {size / n:10,.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", type=Path, nargs="+")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    results = [sizes(p) for p in args.paths]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for s in results:
            show(s)


if __name__ == "__main__":
    main()
