"""Search: a parsed query compiled to parameterised SQL over the FTS5 indexes and state.

Article hits match title and text (or tag names); note hits match note bodies and quotes.
Filters (tag:, entity:, label:, is:, has:) apply to the article of either kind of hit. Each
kind runs in two phases: the ranked FTS5 query with filters on small state tables keyed by
the article's rowid (no join through the wide articles table), then titles and snippets for
the page of results only.

Ranking: bm25 with title weighted 10x body text for articles, note body and quote for notes,
over the newest WINDOW matches of each index (the cost of a search grows with the page it
returns and that window, not with the library).
Scores of separate FTS indexes are not comparable (a small notes index has tiny IDF), so the
reader's own words (note hits, tag-name hits) rank first, then article hits, each by bm25.

Words are stemmed (porter) for recall, but a match holding the query's words themselves
ranks above one sharing only their stem: "inflation" finds "inflation rose" before
"inflatable boats". Each index has a twin without stemming (articles_words_fts,
notes_words_fts): `=word` matches there only. A plain query is ranked first as if all
its (positive) words were exact; only when that finds fewer than a page of results is the
stemmed query ranked too, after them. A common word so costs one ranking, as before; a rare
one two small ones.

Cost is bounded before anything runs: at most MAX_TERMS terms (each may be several FTS5
look-ups) and MAX_PREFIXES prefixes (each expands to every indexed word it starts); a
search still running after MAX_SECONDS is interrupted.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from store.core.entity_index import label_bit, matching
from store.core.errors import QueryError
from store.core.tags import tag_match
from store.find.query import And, Field, Node, Not, Or, Query, Text, parse

START, END = "\x02", "\x03"  # snippet markers; stored text never holds control characters
SNIPPET = f"'{START}', '{END}', '…', 24"
# Each index has a twin without stemming (schema 7): `=word` matches there, and it tells
# which stemmed matches hold the query's words themselves.
ARTICLES, ARTICLE_WORDS = "articles_fts", "articles_words_fts"
NOTES, NOTE_WORDS = "notes_fts", "notes_words_fts"
WEIGHTS = {
    ARTICLES: "10.0, 1.0",
    ARTICLE_WORDS: "10.0, 1.0",
    NOTES: "8.0, 4.0",
    NOTE_WORDS: "8.0, 4.0",
}
# Tiers, lowest first: the reader's own words (notes with the words themselves, tag-name
# hits), notes matching by stem only, articles with the words themselves, articles
# matching by stem only ("inflation" finds "inflatable boats" last).
OWN, OWN_STEM, EXACT, STEM = 0, 1, 2, 3


def rank(table: str) -> str:
    """bm25 of an index with its column weights (title 10x body; note body 2x quote)."""
    return f"bm25({table}, {WEIGHTS[table]})"


# Words, phrases and operators in one query; a pasted sentence can be quoted as one phrase.
MAX_TERMS = 32
# On 10,000 articles one broad prefix costs up to ~100 ms of FTS5 work; 300 of them took 23 s.
MAX_PREFIXES = 4
MAX_SECONDS = 10.0
CHECK_EVERY = 1000  # SQLite VM steps between two looks at the clock
# Ranking reads the newest WINDOW matches of a text query (per index), not all of them: bm25
# costs a look at every match it ranks, and a common word matches a third of a million-
# article library (raw FTS5 ranking all of "summit": 314 ms; its newest 10,000: 39 ms, in
# bench/results-1m.json). A query matching more than that ranks its newest 10,000 matches;
# a narrower query ranks all of them.
WINDOW = 10_000


def window(limit: int) -> int:
    """How many of the newest matches are ranked for `limit` results (export asks for all)."""
    return max(WINDOW, limit)


@dataclass(frozen=True)
class Hit:
    """One search result: an article, or a note (with the article it is on)."""

    kind: str  # "article" | "note"
    article_id: str
    title: str
    note_id: str | None
    snippet: str
    marks: tuple[tuple[int, int], ...]  # ranges of `snippet` that matched
    score: float
    position: int | None = None  # where a note's passage starts in the article text

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["marks"] = [list(m) for m in self.marks]
        return data


def _split(raw: str | None) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A snippet with START/END markers as plain one-line text plus match ranges."""
    plain: list[str] = []
    marks: list[tuple[int, int]] = []
    open_at: int | None = None
    for ch in raw or "":
        if ch == START:
            open_at = len(plain)
        elif ch == END:
            if open_at is not None:
                marks.append((open_at, len(plain)))
            open_at = None
        else:
            plain.append(" " if ch in "\n\t" else ch)
    return "".join(plain), tuple(marks)


# -- compiling the tree: R is an SQL expression for the article's rowid ---------------------


def _tag(value: str, r: str) -> tuple[str, list[object]]:
    cond, args = tag_match(value)  # the one rule (store.core.tags): world is world and world/...
    return f"{r} IN (SELECT article FROM article_tags WHERE {cond})", args


_STATE = {
    ("is", "unread"): "read = 0",
    ("is", "read"): "read = 1",
    ("is", "starred"): "starred = 1",
    ("is", "unstarred"): "starred = 0",
    ("has", "note"): "notes > 0",
    ("has", "highlight"): "highlights > 0",
}


def _field(node: Field, r: str) -> tuple[str, list[object]]:
    if node.name == "tag":
        try:
            return _tag(node.value, r)
        except Exception as exc:  # InvalidInput from normalise_tag
            raise QueryError(f"tag:{node.value}: {exc}") from None
    if node.name == "entity":  # its canonical name or any alias (entity_index.matching)
        sub, args = matching(node.value)
        return f"{r} IN (SELECT article FROM entity_articles WHERE entity IN ({sub}))", args
    if node.name == "label":
        if bit := label_bit(node.value):  # a built-in label: article_state.labels
            return (
                f"EXISTS (SELECT 1 FROM article_state s WHERE s.article = {r}"
                " AND s.labels & ? != 0)",
                [bit],
            )
        return (
            f"{r} IN (SELECT e.article FROM entity_names n JOIN entity_articles e"
            " ON e.entity = n.key WHERE n.label = ?)",
            [node.value],
        )
    if (node.name, node.value) == ("is", "link"):  # (the partial index articles_links)
        return f"{r} IN (SELECT key FROM articles WHERE text = source)", []
    if (node.name, node.value) == ("has", "conflict"):
        return f"{r} IN (SELECT article FROM notes WHERE conflict = 1)", []
    cond = _STATE[(node.name, node.value)]
    return f"EXISTS (SELECT 1 FROM article_state s WHERE s.article = {r} AND s.{cond})", []


def _text(node: Text, r: str, note: str | None, floor: int | None) -> tuple[str, list[object]]:
    # `floor`: the ranking window's oldest rowid (the caller keeps R at or above it), so the
    # matches are gathered from the window only, not from the whole index
    newer, more = (" AND rowid >= ?", [floor]) if floor is not None else ("", [])
    if note is not None:  # a note's own words
        table = NOTE_WORDS if node.exact else NOTES
        return (
            f"{note} IN (SELECT rowid FROM {table} WHERE {table} MATCH ?{newer})",
            [node.fts(), *more],
        )
    if node.exact:  # the words themselves, in titles and text (tag names: use tag:)
        return (
            f"{r} IN (SELECT rowid FROM {ARTICLE_WORDS} WHERE {ARTICLE_WORDS} MATCH ?{newer})",
            [node.fts(), *more],
        )
    return (
        f"({r} IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?{newer})"
        f" OR {r} IN (SELECT rowid FROM article_tagtext_fts"
        f" WHERE article_tagtext_fts MATCH ?{newer}))",
        [node.fts(), *more, node.fts(), *more],
    )


def _pred(
    node: Node, r: str, note: str | None, floor: int | None = None
) -> tuple[str, list[object]]:
    if isinstance(node, Text):
        return _text(node, r, note, floor)
    if isinstance(node, Field):
        return _field(node, r)
    if isinstance(node, Not):
        sql, args = _pred(node.node, r, note, floor)
        return f"NOT ({sql})", args
    parts = [_pred(n, r, note, floor) for n in node.nodes]
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(p for p, _ in parts) + ")", [a for _, args in parts for a in args]


def _where(
    nodes: list[Node], r: str, note: str | None = None, floor: int | None = None
) -> tuple[str, list[object]]:
    """Filters for an article rowid R; articles replaced by a newer version never match."""
    current = f" AND {r} NOT IN (SELECT article FROM article_state WHERE superseded_by IS NOT NULL)"
    if note is not None:
        current = ""  # notes live on the current version already
    if not nodes:
        return current, []
    sql, args = _pred(And(tuple(nodes)) if len(nodes) > 1 else nodes[0], r, note, floor)
    return " AND " + sql + current, args


def _positive_texts(node: Node | None) -> list[Text]:
    if isinstance(node, Text):
        return [node]
    if isinstance(node, And | Or):
        return [t for n in node.nodes for t in _positive_texts(n)]
    return []


def _split_fast(root: Node | None) -> tuple[list[Text], list[Node]]:
    """Direct positive text terms of a top-level AND (one FTS MATCH), and the rest. The
    terms of one MATCH share an index: the stemmed terms, or when all are exact the exact
    ones; exact terms beside stemmed ones are filters (on the index without stemming)."""
    if root is None:
        return [], []
    nodes = list(root.nodes) if isinstance(root, And) else [root]
    texts = [n for n in nodes if isinstance(n, Text)]
    stemmed = [t for t in texts if not t.exact]
    fast = stemmed or texts
    return fast, [n for n in nodes if not (isinstance(n, Text) and n in fast)]


def _matching(texts: list[Text], joiner: str) -> tuple[str, str]:
    """The MATCH string of these terms, and the articles index it runs on: the one without
    stemming when every term is exact."""
    exact = bool(texts) and all(t.exact for t in texts)
    return joiner.join(t.fts() for t in texts), ARTICLE_WORDS if exact else ARTICLES


def _exact(node: Node) -> Node:
    """The query with every positive text term exact (negated ones as they were): its
    matches are those of the stemmed query that hold the words themselves."""
    if isinstance(node, Text):
        return replace(node, exact=True)
    if isinstance(node, And):
        return And(tuple(_exact(n) for n in node.nodes))
    if isinstance(node, Or):
        return Or(tuple(_exact(n) for n in node.nodes))
    return node


def _exact_first(
    rank_fn: Callable[[Node | None, int], list[tuple]],
    root: Node | None,
    limit: int,
    tiers: tuple[int, int],
) -> list[tuple]:
    """Rows of `rank_fn(root, tier)`, the query's words themselves first: the exact query
    ranked at tiers[0]; only when it has fewer than `limit` matches (so all of them) the
    stemmed one too, at tiers[1] (its rows already found exact are dropped by `run`). A
    common word so costs one ranking, as before, on the index without stemming."""
    if not any(not t.exact for t in _positive_texts(root)):
        return rank_fn(root, tiers[0])
    rows = rank_fn(_exact(root), tiers[0])  # type: ignore[arg-type]
    return rows if len(rows) >= limit else rows + rank_fn(root, tiers[1])


def _terms(node: Node | None) -> list[Text | Field]:
    if node is None:
        return []
    if isinstance(node, Text | Field):
        return [node]
    if isinstance(node, Not):
        return _terms(node.node)
    return [t for n in node.nodes for t in _terms(n)]


def check(query: Query) -> None:
    """QueryError if the query is bigger than the limits (before any of it runs)."""
    terms = _terms(query.root)
    if len(terms) > MAX_TERMS:
        raise QueryError(
            f"too many search terms ({len(terms)}; the limit is {MAX_TERMS}); "
            "quote a passage to search it as a phrase"
        )
    prefixes = sum(1 for t in terms if isinstance(t, Text) and t.prefix)
    if prefixes > MAX_PREFIXES:
        raise QueryError(f"too many prefix terms ({prefixes}; the limit is {MAX_PREFIXES})")


# -- phase one: ranked ids ------------------------------------------------------------------
# Each returns [(rowid, score, tier)] where rowid is an article's (articles) or a note's.


def _tag_hits(conn: sqlite3.Connection, root: Node | None, limit: int) -> list[tuple]:
    """Articles whose tag names match the stemmed terms of a top-level AND (tag: is the
    exact way to a tag): the reader's own words, ranked first."""
    texts, rest = _split_fast(root)
    if not texts or texts[0].exact:
        return []
    where, args = _where(rest, "+article_tagtext_fts.rowid")
    return conn.execute(
        f"SELECT rowid, bm25(article_tagtext_fts), {OWN} FROM article_tagtext_fts"
        f" WHERE article_tagtext_fts MATCH ?{where} ORDER BY 2 LIMIT ?",
        [" AND ".join(t.fts() for t in texts), *args, limit],
    ).fetchall()


def _ranked_articles(
    conn: sqlite3.Connection, root: Node | None, limit: int, tier: int = EXACT
) -> list[tuple]:
    if root is None:
        return []
    texts, rest = _split_fast(root)
    if texts:
        match, table = _matching(texts, " AND ")
        # unary + keeps SQLite from feeding the filter's rowids into the FTS5 cursor one by
        # one (a MATCH per tagged article); filters are checked on the matches instead
        where, args = _where(rest, f"+{table}.rowid")
        return conn.execute(
            f"SELECT rowid, score, {tier} FROM (SELECT rowid, {rank(table)} AS score"
            f" FROM {table} WHERE {table} MATCH ?{where} ORDER BY rowid DESC LIMIT ?)"
            " ORDER BY score LIMIT ?",
            [match, *args, window(limit), limit],
        ).fetchall()
    ranked = _positive_texts(root)
    if not ranked:  # filters only: newest first
        where, args = _where([root], "a.rowid")
        return conn.execute(
            f"SELECT a.rowid, 0.0, {tier} FROM articles a WHERE 1{where}"
            " ORDER BY a.imported_at DESC, a.rowid DESC LIMIT ?",
            [*args, limit],
        ).fetchall()
    match, table = _matching(ranked, " OR ")
    floor = _floor(conn, table, match, limit)
    where, args = _where([root], "a.rowid", floor=floor)
    newer, where, args = _in_window(floor, "a.rowid", where, args)
    return conn.execute(
        f"SELECT a.rowid, coalesce(r.score, 0.0), {tier} FROM articles a LEFT JOIN"
        f" (SELECT rowid AS rid, {rank(table)} AS score FROM {table}"
        f" WHERE {table} MATCH ?{newer[0]}) r ON r.rid = a.rowid"
        f" WHERE 1{where} ORDER BY 2, a.imported_at DESC LIMIT ?",
        [match, *newer[1], *args, limit],
    ).fetchall()


def _in_window(
    floor: int | None, col: str, where: str, args: list[object]
) -> tuple[tuple[str, list[object]], str, list[object]]:
    """Keep a ranking to the window from `floor` up: (the clause and argument for the
    scoring FTS query, the filters with `col >= floor` added, their arguments)."""
    if floor is None:  # fewer matches than the window: all are ranked
        return ("", []), where, args
    return (" AND rowid >= ?", [floor]), f"{where} AND {col} >= ?", [*args, floor]


def _floor(conn: sqlite3.Connection, table: str, match: str, limit: int) -> int | None:
    """The oldest rowid of the ranking window: the window(limit)-th newest match, or None
    when fewer match (all are ranked). A walk down the index in rowid order, no ranking."""
    row = conn.execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        [match, window(limit) - 1],
    ).fetchone()
    return row[0] if row else None


def _ranked_notes(
    conn: sqlite3.Connection, root: Node | None, scope: str | None, limit: int, tier: int = OWN
) -> list[tuple]:
    texts, rest = _split_fast(root)
    if texts:
        match, table = _matching(texts, " AND ")
        table = NOTES if table == ARTICLES else NOTE_WORDS
        where, args = _where(rest, "n.article", "n.rowid")
        join = f" JOIN notes n ON n.rowid = {table}.rowid" if rest else ""
        return conn.execute(
            f"SELECT rowid, score, {tier} FROM (SELECT {table}.rowid AS rowid,"
            f" {rank(table)} AS score FROM {table}{join} WHERE {table} MATCH ?{where}"
            f" ORDER BY {table}.rowid DESC LIMIT ?) ORDER BY score LIMIT ?",
            [match, *args, window(limit), limit],
        ).fetchall()
    ranked = _positive_texts(root)
    if not ranked and scope != "notes":
        return []  # a filter-only query lists articles, not every note in them
    if not ranked:
        where, args = _where([root] if root is not None else [], "n.article", "n.rowid")
        return conn.execute(
            f"SELECT n.rowid, 0.0, {tier} FROM notes n JOIN note_revisions h ON h.rowid = n.rev"
            f" WHERE 1{where} ORDER BY h.hlc DESC LIMIT ?",
            [*args, limit],
        ).fetchall()
    match, table = _matching(ranked, " OR ")
    table = NOTES if table == ARTICLES else NOTE_WORDS
    floor = _floor(conn, table, match, limit)
    where, args = _where([root] if root is not None else [], "n.article", "n.rowid", floor)
    newer, where, args = _in_window(floor, "n.rowid", where, args)
    return conn.execute(
        f"SELECT n.rowid, coalesce(r.score, 0.0), {tier} FROM notes n LEFT JOIN"
        f" (SELECT rowid AS rid, {rank(table)} AS score FROM {table} WHERE {table} MATCH ?"
        f"{newer[0]}) r ON r.rid = n.rowid JOIN note_revisions h ON h.rowid = n.rev"
        f" WHERE 1{where} ORDER BY 2, h.hlc DESC LIMIT ?",
        [match, *newer[1], *args, limit],
    ).fetchall()


# -- phase two: titles and snippets for one page --------------------------------------------


def _snippets(conn: sqlite3.Connection, table: str, match: str | None, rowids: list[int]) -> dict:
    if not match or not rowids:
        return {}
    marks = ",".join("?" * len(rowids))
    # FTS5 runs the MATCH once per rowid it is handed, and re-expands a prefix each time (50
    # hits of "re*": 1.6 s); with a prefix, one pass over the matches filtered by rowid (+)
    # costs one expansion (30 ms). Without one, a look-up per rowid is cheaper on big libraries.
    rowid = "+rowid" if '" *' in match else "rowid"
    return dict(
        conn.execute(
            f"SELECT rowid, snippet({table}, -1, {SNIPPET}) FROM {table}"
            f" WHERE {table} MATCH ? AND {rowid} IN ({marks})",
            [match, *rowids],
        ).fetchall()
    )


def _article_hits(
    conn: sqlite3.Connection, rows: list[tuple], match: str | None, table: str
) -> list[Hit]:
    rowids = [r[0] for r in rows]
    snips = _snippets(conn, table, match, rowids)
    marks = ",".join("?" * len(rowids))
    info = {
        r[0]: r[1:]
        for r in conn.execute(
            f"SELECT rowid, id, title, substr(text, 1, 200) FROM articles WHERE rowid IN ({marks})",
            rowids,
        )
    }
    hits = []
    for rowid, score, _tier in rows:
        aid, title, lead = info[rowid]
        text, spans = _split(snips.get(rowid) or lead)
        hits.append(Hit("article", aid, title, None, text, spans, float(score)))
    return hits


def _note_hits(
    conn: sqlite3.Connection, rows: list[tuple], match: str | None, table: str
) -> list[Hit]:
    rowids = [r[0] for r in rows]
    snips = _snippets(conn, table, match, rowids)
    marks = ",".join("?" * len(rowids))
    info = {
        r[0]: r[1:]
        for r in conn.execute(
            "SELECT n.rowid, a.id, a.title, n.note_id, r.pos_start,"
            " substr(coalesce(nullif(r.body, ''), r.exact), 1, 200)"
            " FROM notes n JOIN note_revisions r ON r.rowid = n.rev"
            f" JOIN articles a ON a.key = n.article WHERE n.rowid IN ({marks})",
            rowids,
        )
    }
    hits = []
    for rowid, score, _tier in rows:
        aid, title, note_id, pos, lead = info[rowid]
        text, spans = _split(snips.get(rowid) or lead)
        hits.append(Hit("note", aid, title, note_id, text, spans, float(score), pos))
    return hits


def run(conn: sqlite3.Connection, query: Query, limit: int = 50) -> list[Hit]:
    """Execute a parsed query; hits of both kinds, the reader's own words first."""
    check(query)
    fast, rest = _split_fast(query.root)
    fast += [n for n in rest if isinstance(n, Text)]  # snippets mark exact terms beside stemmed
    match, table = (
        _matching(fast, " AND ") if fast else _matching(_positive_texts(query.root), " OR ")
    )
    note_table = NOTES if table == ARTICLES else NOTE_WORDS
    articles: dict[int, tuple] = {}
    if query.scope != "notes":
        rows = _tag_hits(conn, query.root, limit) + _exact_first(
            lambda root, tier: _ranked_articles(conn, root, limit, tier),
            query.root, limit, (EXACT, STEM),
        )  # fmt: skip
        for row in rows:
            if row[0] not in articles or row[2] < articles[row[0]][2]:
                articles[row[0]] = row  # found twice (by tag name, exactly): keep it once
    notes: list[tuple] = []
    if query.scope != "articles":
        found: dict[int, tuple] = {}
        for row in _exact_first(
            lambda root, tier: _ranked_notes(conn, root, query.scope, limit, tier),
            query.root, limit, (OWN, OWN_STEM),
        ):  # fmt: skip
            found.setdefault(row[0], row)  # exact rows come first
        notes = list(found.values())
    ordered = sorted(
        [("note", r) for r in notes] + [("article", r) for r in articles.values()],
        key=lambda kr: (kr[1][2], kr[1][1]),
    )[:limit]
    by_kind = {
        "note": _note_hits(conn, [r for k, r in ordered if k == "note"], match or None, note_table),
        "article": _article_hits(
            conn, [r for k, r in ordered if k == "article"], match or None, table
        ),
    }
    position = {"note": 0, "article": 0}
    hits = []
    for kind, _ in ordered:
        hits.append(by_kind[kind][position[kind]])
        position[kind] += 1
    return hits


def search(conn: sqlite3.Connection, text: str, limit: int = 50) -> list[Hit]:
    """Parse and run a query string; QueryError for a malformed one."""
    if limit < 1:
        raise QueryError("limit must be at least 1")
    query = parse(text)
    deadline = time.monotonic() + MAX_SECONDS
    conn.set_progress_handler(lambda: time.monotonic() > deadline, CHECK_EVERY)
    try:
        return run(conn, query, limit)
    except sqlite3.OperationalError as exc:  # should not happen: every term is quoted
        if time.monotonic() > deadline:
            raise QueryError(
                f"the search took longer than {MAX_SECONDS:g} s and was stopped; narrow it down"
            ) from None
        raise QueryError(f"the query could not be run ({exc})") from None
    finally:
        conn.set_progress_handler(None, 0)
