"""The entity index: per article, the postings of its latest analysis (entity_articles:
entity, article, mentions), the totals of each entity over all articles (entity_names: its
least spelling, articles, mentions) and article_state.labels, a bit per built-in label the
article mentions. Names are matched as SQLite's NOCASE does (`fold`). An article's postings
are replaced from its current analysis by `rebuild_entities`; before an analysis is deleted
or overwritten, `forget_entities` removes what it posted."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable

from store.core import codec

_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(text: str) -> str:
    """SQLite's NOCASE: ASCII letters only."""
    return text.translate(_ASCII_FOLD)


def label_bit(label: str) -> int:
    """The article_state.labels bit of a built-in label (0 for any other label)."""
    code = codec.BUILTIN_LABELS.index(label) if label in codec.BUILTIN_LABELS else -1
    return 1 << code if code >= 0 else 0


def current_analysis(conn: sqlite3.Connection, key: int) -> tuple[str, bytes, bytes] | None:
    """(model name, entities blob, sentences blob) of an article's latest analysis."""
    return conn.execute(
        "SELECT m.name, a.entities, a.sentences FROM analyses a JOIN models m ON m.key = a.model"
        " WHERE a.article = ? ORDER BY a.analysed_at DESC, m.name LIMIT 1",
        (key,),
    ).fetchone()


def _postings(text: str, blob: bytes) -> dict[tuple[str, str], list]:
    """{(folded text, label): [min text, mentions]} of one analysis."""
    out: dict[tuple[str, str], list] = {}
    for start, end, label in codec.unpack_entities(blob):
        name = text[start:end]
        entry = out.get((fold(name), label))
        if entry is None:
            out[(fold(name), label)] = [name, 1]
        else:
            entry[0] = min(entry[0], name)
            entry[1] += 1
    return out


def forget_entities(conn: sqlite3.Connection, keys: Iterable[int]) -> None:
    """Remove these articles' postings from the entity index (and their share of the
    totals). Call it before deleting or replacing an analysis blob: the postings are found
    by decoding the article's analyses (there is no article → entity b-tree)."""
    for key in dict.fromkeys(keys):
        row = conn.execute("SELECT text FROM articles WHERE key = ?", (key,)).fetchone()
        if row is None:
            continue
        names: dict[tuple[str, str], str] = {}
        for (blob,) in conn.execute("SELECT entities FROM analyses WHERE article = ?", (key,)):
            for k, (name, _) in _postings(row[0], blob).items():
                names.setdefault(k, name)
        for (_, label), name in names.items():
            _unpost(conn, key, name, label)
        conn.execute("UPDATE article_state SET labels = 0 WHERE article = ?", (key,))


def _unpost(conn: sqlite3.Connection, key: int, name: str, label: str) -> None:
    ent = conn.execute(
        "SELECT key FROM entity_names WHERE text = ? AND label = ?", (name, label)
    ).fetchone()
    if ent is None:
        return
    gone = conn.execute(
        "DELETE FROM entity_articles WHERE entity = ? AND article = ? RETURNING mentions",
        (ent[0], key),
    ).fetchone()
    if gone is None:
        return
    conn.execute(
        "UPDATE entity_names SET articles = articles - 1, mentions = mentions - ? WHERE key = ?",
        (gone[0], ent[0]),
    )
    conn.execute("DELETE FROM entity_names WHERE key = ? AND articles <= 0", (ent[0],))


def rebuild_entities(
    conn: sqlite3.Connection, keys: Iterable[int], fresh: Collection[int] = ()
) -> None:
    """Recompute the entity index (entity_names totals, entity_articles postings,
    article_state.labels) of these articles from their latest analysis. Postings of any
    analysis still stored are replaced; one deleted or overwritten since must have been
    removed first with `forget_entities`. `fresh`: keys of articles new in this
    transaction, which have no postings to forget (half of a merge's work otherwise)."""
    keys = list(dict.fromkeys(keys))
    forget_entities(conn, [k for k in keys if k not in fresh])
    for key in keys:
        row = conn.execute("SELECT text FROM articles WHERE key = ?", (key,)).fetchone()
        current = current_analysis(conn, key)
        if row is None or current is None:
            continue
        labels = 0
        for (_, label), (name, mentions) in _postings(row[0], current[1]).items():
            labels |= label_bit(label)
            ent = conn.execute(
                "SELECT key, text FROM entity_names WHERE text = ? AND label = ?", (name, label)
            ).fetchone()
            if ent is None:
                ent = conn.execute(
                    "INSERT INTO entity_names (text, label) VALUES (?, ?) RETURNING key, text",
                    (name, label),
                ).fetchone()
            elif name < ent[1]:  # the name shown is the least spelling (min, as before)
                conn.execute("UPDATE entity_names SET text = ? WHERE key = ?", (name, ent[0]))
            conn.execute(
                "INSERT INTO entity_articles (entity, article, mentions) VALUES (?, ?, ?)",
                (ent[0], key, mentions),
            )
            conn.execute(
                "UPDATE entity_names SET articles = articles + 1, mentions = mentions + ?"
                " WHERE key = ?",
                (mentions, ent[0]),
            )
        conn.execute(
            "INSERT INTO article_state (article, labels) VALUES (?, ?)"
            " ON CONFLICT (article) DO UPDATE SET labels = excluded.labels",
            (key, labels),
        )
