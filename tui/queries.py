"""Read-only queries the reader needs that `store.Library` does not offer yet.

Each takes a `Library` and uses `lib.conn` with parameterised SQL. They belong in `store`;
they live here until the lead moves them (see the report of issue #3).
"""

from __future__ import annotations

from collections.abc import Mapping

from store import Library
from store.library import _filters

# The list order of `Library.list_articles`: newest import first, then newest row.
_KEY_SQL = "SELECT imported_at, rowid FROM articles WHERE id = ?"


def neighbour(
    lib: Library, article_id: str, step: int, filters: Mapping[str, object]
) -> str | None:
    """The id of the next (step > 0) or previous article after `article_id` in list order,
    among the articles matching `filters`. Keyset-based, so it works even when the current
    article no longer matches (e.g. it was just marked read under an "unread" filter)."""
    key = lib.conn.execute(_KEY_SQL, (article_id,)).fetchone()
    if key is None:
        return None
    where, args = _filters(**filters)  # type: ignore[arg-type]
    if step > 0:
        cond, order = "(a.imported_at, a.rowid) < (?, ?)", "DESC"
    else:
        cond, order = "(a.imported_at, a.rowid) > (?, ?)", "ASC"
    where = f"{where} AND {cond}" if where else f" WHERE {cond}"
    sql = (
        "SELECT a.id FROM articles a JOIN article_state s ON s.article_id = a.id"
        f"{where} ORDER BY a.imported_at {order}, a.rowid {order} LIMIT 1"
    )
    row = lib.conn.execute(sql, [*args, key[0], key[1]]).fetchone()
    return row[0] if row else None


def position(lib: Library, article_id: str, filters: Mapping[str, object]) -> int | None:
    """The index of `article_id` in the filtered list, or None when it is not in it."""
    key = lib.conn.execute(_KEY_SQL, (article_id,)).fetchone()
    if key is None:
        return None
    where, args = _filters(**filters, ids=[article_id])  # type: ignore[arg-type]
    base = "SELECT count(*) FROM articles a JOIN article_state s ON s.article_id = a.id"
    if not lib.conn.execute(base + where, args).fetchone()[0]:
        return None
    where, args = _filters(**filters)  # type: ignore[arg-type]
    cond = "(a.imported_at, a.rowid) > (?, ?)"
    where = f"{where} AND {cond}" if where else f" WHERE {cond}"
    return lib.conn.execute(base + where, [*args, key[0], key[1]]).fetchone()[0]
