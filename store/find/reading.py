"""Reading the library: the article list and its filters, articles, notes, counts, tags and
entities, each a function of a library handle.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from store.core import codec, entity_index
from store.core.entity_groups import normal_key
from store.core.errors import NotFound
from store.core.handle import Handle
from store.core.models import (
    Anchor,
    Article,
    ArticleSummary,
    Entity,
    EntityCount,
    Filter,
    Note,
    Section,
    Sentence,
)
from store.core.tags import tag_match

_SUMMARY_SQL = (
    "SELECT a.id, a.title, a.byline, a.source, a.published, a.imported_at,"
    " s.read, s.starred, s.notes, s.highlights,"
    " (SELECT group_concat(tag, char(31)) FROM"
    "   (SELECT tag FROM article_tags t WHERE t.article = a.key ORDER BY tag))"
    " FROM articles a JOIN article_state s ON s.article = a.key"
)


def _summary(row: Sequence) -> ArticleSummary:
    return ArticleSummary(
        row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), bool(row[7]),
        row[8], row[9], tuple(row[10].split("\x1f")) if row[10] else (),
    )  # fmt: skip


def _note(h: Handle, row: Sequence) -> Note:
    (note_id, article_id, rev_id, heads, ps, pe, exact, prefix, suffix, body, created,
     updated, conflict) = row  # fmt: skip
    anchor = Anchor(ps, pe, exact, prefix or "", suffix or "") if ps is not None else None
    orphan = Anchor(-1, -1, exact, prefix or "", suffix or "") if ps is None and exact else None
    versions = _bodies(h, json.loads(heads)) if conflict and heads else ()
    return Note(note_id, article_id, body, anchor, created, updated, rev_id, bool(conflict),
                versions, orphan)  # fmt: skip


def _bodies(h: Handle, rev_ids: list[str]) -> tuple[str, ...]:
    """The bodies of these revisions, in this order (the live heads of a conflict)."""
    marks = ",".join("?" * len(rev_ids))
    body = dict(
        h.conn.execute(
            f"SELECT rev_id, body FROM note_revisions WHERE rev_id IN ({marks})", rev_ids
        ).fetchall()
    )
    return tuple(body.get(r, "") for r in rev_ids)


ALL = Filter()

SORTS: dict[str, tuple[str, str, str, str]] = {
    # name: (the order's column, the row key breaking ties, the direction, what it is said)
    "": ("a.imported_at", "a.key", "DESC", "date added"),
    "published": ("coalesce(a.published, '')", "a.key", "DESC", "date published"),
    "title": ("a.title COLLATE NOCASE", "a.key", "ASC", "title"),
    "notes": ("s.notes", "s.article", "DESC", "notes"),  # (s.article = a.key: its index's)
}
"""The orders of the list, each broken by the article's row key in the same direction (a
total order, so stepping and positions are keyset-based). Without a date an article sorts
after every dated one."""

SORT_INDEXES = {
    "published": "CREATE INDEX IF NOT EXISTS articles_published"
    " ON articles (coalesce(published, ''), key)",
    "title": "CREATE INDEX IF NOT EXISTS articles_title ON articles (title COLLATE NOCASE, key)",
    "notes": "CREATE INDEX IF NOT EXISTS article_state_notes ON article_state (notes, article)",
}
"""The index each order reads (date added has articles_imported_at). Made the first time a
library is sorted so (`ensure_sort_index`), not by a migration: building one reads every
article, which only a user who sorts should wait for, and the schema version stays."""


_ALONG_ARTICLES = {"published", "title"}
"""Orders by a column of `articles`: stepping and counting walk their index (a CROSS JOIN
keeps `articles` the outer loop), where SQLite would rather scan every state row and look up
each one's wide article row for its value (half a second in 100,000 articles)."""


def _order(f: Filter) -> tuple[str, str]:
    """The order's (sort value, row key) as SQL, and its direction."""
    column, key, direction, _ = SORTS.get(f.sort, SORTS[""])
    return f"{column}, {key}", direction


def _order_by(f: Filter, reverse: bool = False) -> str:
    column, key, direction, _ = SORTS.get(f.sort, SORTS[""])
    if reverse:
        direction = "ASC" if direction == "DESC" else "DESC"
    return f" ORDER BY {column} {direction}, {key} {direction}"


def ensure_sort_index(h: Handle, sort: str) -> None:
    """Make the index `sort` reads if the library lacks it (not in a read-only one)."""
    sql = SORT_INDEXES.get(sort)
    if sql is not None and not h.readonly:
        with h.write() as conn:
            conn.execute(sql)


def _key(h: Handle, article_id: str, f: Filter) -> Sequence | None:
    """The article's place in `f`'s order: (its sort value, its row key)."""
    column, _ = _order(f)
    return h.conn.execute(
        f"SELECT {column} FROM articles a JOIN article_state s ON s.article = a.key WHERE a.id = ?",
        (article_id,),
    ).fetchone()


# A current note: its state row (n), its head revision (r) and its article's public id (a).
NOTE_COLUMNS = (
    "n.note_id, a.id, r.rev_id, n.heads, r.pos_start, r.pos_end, r.exact, r.prefix,"
    " r.suffix, r.body, n.created, r.hlc, n.conflict"
)
_NOTES_FROM = (
    " FROM notes n JOIN note_revisions r ON r.rowid = n.rev JOIN articles a ON a.key = n.article"
)

# The filters whose counts the library keeps (store.core.schema: counts and its triggers).
_KEPT_COUNTS = {
    Filter(): "articles",
    Filter(unread=True): "unread",
    Filter(starred=True): "starred",
    Filter(annotated=True): "annotated",
}


def count(h: Handle, f: Filter = ALL) -> int:
    """How many articles match the filter."""
    kept = _KEPT_COUNTS.get(f._replace(sort=""))
    if kept is not None:  # a count the library keeps: one row, whatever its size
        return h.conn.execute("SELECT n FROM counts WHERE name = ?", (kept,)).fetchone()[0]
    where, args = _filters(f)
    # article_state is narrow: count there unless a filter needs the articles table
    sql = "SELECT count(*) FROM article_state s"
    if f.title:  # it needs `a`
        sql += " JOIN articles a ON a.key = s.article"
    return h.conn.execute(sql + where, args).fetchone()[0]


def list_articles(
    h: Handle,
    f: Filter = ALL,
    ids: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ArticleSummary]:
    """Articles matching the filter (and among `ids`, when given), in its order (newest
    import first unless `f.sort` says otherwise); `limit`/`offset` page through them."""
    where, args = _filters(f, ids)
    sql = _SUMMARY_SQL + where + _order_by(f)
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args += [limit, offset]
    return [_summary(r) for r in h.conn.execute(sql, args)]


def neighbour(h: Handle, article_id: str, step: int, f: Filter = ALL) -> str | None:
    """The next (step > 0) or previous article after `article_id` in list order among
    those matching `f`; keyset-based, so it works even when the current article no
    longer matches (it was just marked read under an "unread" filter)."""
    key = _key(h, article_id, f)
    if key is None:
        return None
    where, args = _filters(f)
    column, direction = _order(f)
    down = (step > 0) == (direction == "DESC")  # to smaller values (the next, in DESC)
    cond = f"({column}) {'<' if down else '>'} (?, ?)"
    where = f"{where} AND {cond}" if where else f" WHERE {cond}"
    join = "CROSS JOIN" if f.sort in _ALONG_ARTICLES else "JOIN"
    row = h.conn.execute(
        f"SELECT a.id FROM articles a {join} article_state s ON s.article = a.key"
        f"{where}{_order_by(f, reverse=step < 0)} LIMIT 1",
        [*args, *key],
    ).fetchone()
    return row[0] if row else None


def position(h: Handle, article_id: str, f: Filter = ALL) -> int | None:
    """The index of `article_id` in the filtered list, or None when it is not in it."""
    key = _key(h, article_id, f)
    if key is None:
        return None
    base = "SELECT count(*) FROM articles a JOIN article_state s ON s.article = a.key"
    where, args = _filters(f, [article_id])
    if not h.conn.execute(base + where, args).fetchone()[0]:
        return None
    where, args = _filters(f)
    column, direction = _order(f)
    cond = f"({column}) {'>' if direction == 'DESC' else '<'} (?, ?)"
    where = f"{where} AND {cond}" if where else f" WHERE {cond}"
    if f.sort in _ALONG_ARTICLES:
        base = "SELECT count(*) FROM articles a CROSS JOIN article_state s ON s.article = a.key"
    return h.conn.execute(base + where, [*args, *key]).fetchone()[0]


def article_text(h: Handle, article_id: str) -> str:
    """One article's text; NotFound when there is no such article."""
    row = h.conn.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        raise NotFound(f"no article with id {article_id!r}")
    return row[0]


def summary(h: Handle, article_id: str) -> ArticleSummary:
    rows = list_articles(h, ids=[article_id])
    if not rows:
        raise NotFound(f"no article with id {article_id!r}")
    return rows[0]


def get_article(h: Handle, article_id: str) -> Article:
    """One article with its entities, sentences and notes."""
    head = summary(h, article_id)
    key, text, structure = h.conn.execute(
        "SELECT key, text, structure FROM articles WHERE id = ?", (article_id,)
    ).fetchone()
    struct = json.loads(structure)
    current = entity_index.current_analysis(h.conn, key)
    model = current[0] if current else None
    entities: tuple[Entity, ...] = ()
    sentences: tuple[Sentence, ...] = ()
    if current is not None:
        entities = entity_index.read_entities(text, current[1], _groups_blob(h, key))
        sentences = tuple(Sentence(s, e) for s, e in codec.unpack_sentences(current[2]))
    paragraphs = tuple(tuple(p) for p in struct.get("paragraphs", []))
    sections = tuple(Section(**s) for s in struct.get("sections", []))
    if not sentences:  # not analysed: each paragraph and heading is one passage
        spans = sorted([*paragraphs, *((s.start, s.end) for s in sections)])
        sentences = tuple(Sentence(s, e) for s, e in spans)
    return Article(head, text, sections, paragraphs, entities, sentences,  # type: ignore[arg-type]
                   tuple(notes(h, article_id)), model)  # fmt: skip


def _groups_blob(h: Handle, key: int) -> bytes | None:
    """An article's entity_groups blob (one primary-key lookup)."""
    row = h.conn.execute("SELECT groups FROM entity_groups WHERE article = ?", (key,)).fetchone()
    return row[0] if row else None


def notes(h: Handle, article_id: str | None = None, conflicts: bool = False) -> list[Note]:
    """Current notes and highlights, in document order (article-level notes first)."""
    sql = f"SELECT {NOTE_COLUMNS}{_NOTES_FROM}"
    clauses, args = [], []
    if article_id is not None:
        clauses.append("n.article = (SELECT key FROM articles WHERE id = ?)")
        args.append(article_id)
    if conflicts:
        clauses.append("n.conflict = 1")
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY a.id, r.pos_start IS NOT NULL, r.pos_start, n.created"
    return [_note(h, r) for r in h.conn.execute(sql, args)]


def note(h: Handle, note_id: str) -> Note:
    row = h.conn.execute(
        f"SELECT {NOTE_COLUMNS}{_NOTES_FROM} WHERE n.note_id = ?", (note_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no note with id {note_id!r}")
    return _note(h, row)


def stats(h: Handle) -> dict[str, int]:
    """Counts for the header: articles, unread, starred, notes, highlights."""
    kept = dict(h.conn.execute("SELECT name, n FROM counts"))  # kept by triggers: six rows
    return {name: kept[name] for name in ("articles", "unread", "starred", "notes", "highlights")}


def has_feeds(h: Handle) -> bool:
    """True when the library has ever subscribed to a feed (one indexed row read)."""
    return bool(h.conn.execute("SELECT EXISTS (SELECT 1 FROM feeds)").fetchone()[0])


def tags(h: Handle) -> list[tuple[str, int]]:
    """Every tag in use with its article count, sorted by name."""
    # kept by triggers, so the sidebar costs one row per tag, not one per tagged article
    return list(h.conn.execute("SELECT tag, n FROM tag_counts WHERE n > 0 ORDER BY tag"))


def entities(
    h: Handle, article_id: str | None = None, label: str | None = None, limit: int | None = None
) -> list[EntityCount]:
    """Entities with mention counts, for one article (decoded from its analysis) or the
    whole library (entity_names' totals)."""
    if article_id is not None:
        return _article_entities(h, article_id, label.upper() if label else None, limit)
    sql = "SELECT text, label, mentions, articles FROM entity_names WHERE articles > 0"
    args: list[object] = []
    if label:
        sql += " AND label = ?"
        args.append(label.upper())
    sql += " ORDER BY mentions DESC, label, text"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return [EntityCount(*r) for r in h.conn.execute(sql, args)]


def _article_entities(
    h: Handle, article_id: str, label: str | None, limit: int | None
) -> list[EntityCount]:
    """One article's entities, a count per entity (its groups, merged by normalised
    canonical name and label as the library index posts them)."""
    row = h.conn.execute("SELECT key, text FROM articles WHERE id = ?", (article_id,)).fetchone()
    current = entity_index.current_analysis(h.conn, row[0]) if row else None
    if current is None:
        return []
    counts: dict[tuple[str, str], list] = {}
    for ent in entity_index.read_entities(row[1], current[1], _groups_blob(h, row[0])):
        if label and ent.label != label:
            continue
        entry = counts.setdefault((normal_key(ent.canonical), ent.label), [ent.canonical, 0])
        entry[0] = min(entry[0], ent.canonical)
        entry[1] += 1
    out = sorted(
        (EntityCount(name, lab, n, 1) for (_, lab), (name, n) in counts.items()),
        key=lambda c: (-c.count, c.label, c.text),
    )
    return out[:limit] if limit is not None else out


def articles_mentioning(
    h: Handle, text: str, label: str | None = None, exclude: str | None = None, limit: int = 200
) -> list[ArticleSummary]:
    """Articles mentioning the entity named `text` or going by it (optionally with this
    label), as `entity:` finds them."""
    sub, args = entity_index.matching(text, label)
    sql = (
        "SELECT DISTINCT a.id FROM entity_articles e JOIN articles a ON a.key = e.article"
        f" WHERE e.entity IN ({sub})"
    )
    ids = [r[0] for r in h.conn.execute(sql, args) if r[0] != exclude][:limit]
    return list_articles(h, ids=ids)


def unanalysed(h: Handle, model: str | None = None) -> list[str]:
    """Ids of articles with no analysis (by `model`, when given)."""
    if model is None:
        sql = "SELECT id FROM articles WHERE key NOT IN (SELECT article FROM analyses)"
        return [r[0] for r in h.conn.execute(sql)]
    sql = (
        "SELECT id FROM articles WHERE key NOT IN (SELECT a.article FROM analyses a"
        " JOIN models m ON m.key = a.model WHERE m.name = ?)"
    )
    return [r[0] for r in h.conn.execute(sql, (model,))]


def _filters(f: Filter, ids: Sequence[str] | None = None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    if f.feed:
        clauses.append("s.article IN (SELECT article FROM feed_entries WHERE feed_id = ?)")
        args.append(f.feed)
    if f.tag:  # the one matching rule: world is world and world/... (store.core.tags)
        cond, more = tag_match(f.tag)
        clauses.append(f"s.article IN (SELECT article FROM article_tags WHERE {cond})")
        args += more
    if f.unread:
        clauses.append("s.read = 0")
    if f.starred:
        clauses.append("s.starred = 1")
    if f.annotated:
        clauses.append("(s.notes > 0 OR s.highlights > 0)")
    if f.links:  # (the partial index articles_links: as many rows as there are links)
        clauses.append("s.article IN (SELECT key FROM articles WHERE text = source)")
    if f.title:
        clauses.append("instr(lower(a.title), lower(?)) > 0")
        args.append(f.title)
    if ids is not None:
        clauses.append(f"a.id IN ({','.join('?' * len(ids))})")
        args += list(ids)
    else:  # an article replaced by a newer version of it is not listed
        clauses.append("s.superseded_by IS NULL")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def filter_sql(f: Filter) -> tuple[str, list[object]]:
    """The WHERE clause of a filter over `articles a JOIN article_state s` (never empty:
    it leaves out superseded articles) and its arguments, for a write choosing the same
    articles the list shows."""
    return _filters(f)
