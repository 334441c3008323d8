"""Self-check of bench/generate.py (not a timed bench): the derived state it writes in bulk
equals what the store's own rebuild computes from the same facts.

A library of 2,000 articles is generated; its derived tables (article_state, article_tags,
notes, entity_names, entity_articles) are read; then they are emptied and recomputed by
store.core.state.rebuild and store.core.entity_index.rebuild_entities and read again: the
two must be equal, row for row. The full-text indexes must pass FTS5's integrity-check
against their content (the tables and views they index), and the file SQLite's
integrity_check.

    python -m bench.generate_check [--articles 2000] [--keep PATH]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from pathlib import Path

from bench.generate import generate

# Each derived table as rows that do not depend on local keys the two ways may assign
# differently (an entity's key is the order it was first met).
DERIVED = {
    "article_state": "SELECT article, read, starred, notes, highlights, superseded_by, labels"
    " FROM article_state ORDER BY article",
    "article_tags": "SELECT article, tag FROM article_tags ORDER BY article, tag",
    "notes": "SELECT rev, note_id, article, created, conflict, heads FROM notes ORDER BY rev",
    "entity_names": "SELECT text, label, articles, mentions FROM entity_names ORDER BY text, label",
    "entity_articles": "SELECT n.text, n.label, e.article, e.mentions FROM entity_articles e"
    " JOIN entity_names n ON n.key = e.entity ORDER BY n.text, n.label, e.article",
    # kept by triggers through the rebuild's deletes and inserts
    "counts": "SELECT name, n FROM counts ORDER BY name",
    "tag_counts": "SELECT tag, n FROM tag_counts WHERE n > 0 ORDER BY tag",
}
FTS = (
    "articles_fts", "notes_fts", "article_tagtext_fts", "articles_words_fts", "notes_words_fts",
)  # fmt: skip


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    return {name: conn.execute(sql).fetchall() for name, sql in DERIVED.items()}


def rebuild(conn: sqlite3.Connection) -> None:
    """Empty the derived tables and recompute them with the store's own code."""
    from store.core import entity_index, state

    keys = [k for (k,) in conn.execute("SELECT key FROM articles ORDER BY key")]
    conn.execute("BEGIN IMMEDIATE")
    for table in ("notes", "article_tags", "article_state", "entity_articles", "entity_names"):
        conn.execute(f"DELETE FROM {table}")  # (the triggers empty the FTS rows with them)
    state.rebuild(conn, keys)
    entity_index.rebuild_entities(conn, keys)
    conn.execute("COMMIT")


def problems(path: Path) -> list[str]:
    """What differs between the generated derived state and the store's rebuild of it."""
    out = []
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for table in FTS:
            try:
                conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")
            except sqlite3.DatabaseError as exc:
                out.append(f"{table}: {exc}")
        check = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if check != ["ok"]:
            out.append(f"integrity_check: {check[:5]}")
        generated = snapshot(conn)
        rebuild(conn)
        rebuilt = snapshot(conn)
        for table in DERIVED:
            a, b = generated[table], rebuilt[table]
            if a != b:
                only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
                out.append(f"{table}: {len(a)} rows generated, {len(b)} rebuilt;"
                           f" generated only {only_a[:3]}, rebuilt only {only_b[:3]}")  # fmt: skip
            elif not a and table != "article_tags":
                out.append(f"{table}: empty (nothing was compared)")
        for table in FTS:  # still consistent after the store's writes through the triggers
            try:
                conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")
            except sqlite3.DatabaseError as exc:
                out.append(f"{table} after the rebuild: {exc}")
    finally:
        conn.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--keep", type=Path, help="generate here (and keep it) instead of a temp dir")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "check.db"
        generate(path, args.articles, args.articles // 2, progress=lambda _: None)
        with sqlite3.connect(path) as conn:
            counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in DERIVED}
        found = problems(path)
    print(f"{args.articles:,} articles; derived rows: "
          + ", ".join(f"{t} {n:,}" for t, n in counts.items()))  # fmt: skip
    if found:
        raise SystemExit("generated state differs from the store's rebuild:\n  "
                         + "\n  ".join(found))  # fmt: skip
    print("ok: generated derived state = store.core.state rebuild; FTS and file integrity ok")


if __name__ == "__main__":
    main()
