"""Search: a parsed query compiled to parameterised SQL over the FTS5 indexes and state.

Article hits match title and text (or tag names); note hits match note bodies and quotes.
Filters (tag:, entity:, label:, is:, has:) apply to the article of either kind of hit.
Scores are FTS5 bm25 (lower is better) with title and note hits weighted above body text.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from store.errors import QueryError
from store.query import And, Field, Node, Not, Or, Query, Text, parse
from store.sanitize import normalise_tag

START, END = "\x02", "\x03"  # snippet markers; stored text never holds control characters
SNIPPET_TOKENS = 24
ARTICLE_RANK = "bm25(articles_fts, 10.0, 1.0)"
TAG_RANK = "bm25(article_tagtext_fts) * 5.0"
NOTE_RANK = "bm25(notes_fts, 8.0, 4.0)"


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
    text = raw or ""
    plain: list[str] = []
    marks: list[tuple[int, int]] = []
    pos = 0
    open_at: int | None = None
    for ch in text:
        if ch == START:
            open_at = pos
        elif ch == END:
            if open_at is not None:
                marks.append((open_at, pos))
            open_at = None
        else:
            plain.append(ch)
            pos += 1
    return " ".join("".join(plain).split("\n")), tuple(marks)


def _tag_clause(value: str) -> tuple[str, list[object]]:
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    sql = "a.id IN (SELECT article_id FROM article_tags WHERE {})"
    if value.endswith("/*"):
        base = normalise_tag(value[:-2])
        return sql.format("tag = ? OR tag LIKE ? ESCAPE '\\'"), [base, esc(base) + "/%"]
    if value.endswith("*"):
        base = normalise_tag(value.rstrip("*")) if value.rstrip("*") else ""
        return sql.format("tag LIKE ? ESCAPE '\\'"), [esc(base) + "%"]
    return sql.format("tag = ?"), [normalise_tag(value)]


_STATE = {
    ("is", "unread"): "s.read = 0",
    ("is", "read"): "s.read = 1",
    ("is", "starred"): "s.starred = 1",
    ("is", "unstarred"): "s.starred = 0",
    ("has", "note"): "s.notes > 0",
    ("has", "highlight"): "s.highlights > 0",
    ("has", "conflict"): "a.id IN (SELECT article_id FROM notes WHERE conflict = 1)",
}


def _field(node: Field) -> tuple[str, list[object]]:
    if node.name == "tag":
        try:
            return _tag_clause(node.value)
        except Exception as exc:  # InvalidInput from normalise_tag
            raise QueryError(f"tag:{node.value}: {exc}") from None
    if node.name == "entity":
        return (
            "a.rowid IN (SELECT article FROM entity_index WHERE text = ?)",
            [node.value],
        )
    if node.name == "label":
        return "a.rowid IN (SELECT article FROM entity_index WHERE label = ?)", [node.value]
    return _STATE[(node.name, node.value)], []


def _text_clause(node: Text, target: str) -> tuple[str, list[object]]:
    if target == "note":
        return "n.rowid IN (SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?)", [node.fts()]
    return (
        "(a.rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"
        " OR a.id IN (SELECT t.article_id FROM article_tagtext t WHERE t.rowid IN"
        " (SELECT rowid FROM article_tagtext_fts WHERE article_tagtext_fts MATCH ?)))",
        [node.fts(), node.fts()],
    )


def _pred(node: Node, target: str) -> tuple[str, list[object]]:
    if isinstance(node, Text):
        return _text_clause(node, target)
    if isinstance(node, Field):
        return _field(node)
    if isinstance(node, Not):
        sql, args = _pred(node.node, target)
        return f"NOT ({sql})", args
    parts = [_pred(n, target) for n in node.nodes]
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(p for p, _ in parts) + ")", [a for _, args in parts for a in args]


def _positive_texts(node: Node) -> list[Text]:
    if isinstance(node, Text):
        return [node]
    if isinstance(node, And | Or):
        return [t for n in node.nodes for t in _positive_texts(n)]
    return []


def _split_fast(root: Node) -> tuple[list[Text], list[Node]]:
    """Direct positive text terms of a top-level AND (one FTS MATCH), and the rest."""
    nodes = list(root.nodes) if isinstance(root, And) else [root]
    texts = [n for n in nodes if isinstance(n, Text)]
    return texts, [n for n in nodes if not isinstance(n, Text)]


def _where(nodes: list[Node], target: str) -> tuple[str, list[object]]:
    if not nodes:
        return "", []
    sql, args = _pred(And(tuple(nodes)) if len(nodes) > 1 else nodes[0], target)
    return " AND " + sql, args


_ARTICLE = "a.id, a.title, NULL, {snippet}, {score}, NULL, {tier}"
# Tier 0 ranks above tier 1: the reader's own words (notes, tag names) and title matches
# come before matches in body text; bm25 orders each tier. Scores of separate FTS indexes
# are not comparable (a small notes index has tiny IDF), hence tiers rather than weights.
TITLE_TIER = f"(instr(highlight(articles_fts, 0, '{START}', '{END}'), '{START}') = 0)"
_FROM_STATE = " JOIN article_state s ON s.article_id = a.id"


def _article_hits(conn: sqlite3.Connection, root: Node | None, limit: int) -> list[tuple]:
    if root is None:
        return []
    texts, rest = _split_fast(root)
    plain = "substr(a.text, 1, 200)"
    if texts:
        match = " AND ".join(t.fts() for t in texts)
        where, args = _where(rest, "article")
        snippet = f"snippet(articles_fts, -1, '{START}', '{END}', '…', {SNIPPET_TOKENS})"
        sql = (
            f"SELECT {_ARTICLE.format(snippet=snippet, score=ARTICLE_RANK, tier=TITLE_TIER)}"
            " FROM articles_fts"
            f" JOIN articles a ON a.rowid = articles_fts.rowid{_FROM_STATE}"
            f" WHERE articles_fts MATCH ?{where} ORDER BY {ARTICLE_RANK} LIMIT ?"
        )
        rows = conn.execute(sql, [match, *args, limit]).fetchall()
        tag_sql = (
            f"SELECT {_ARTICLE.format(snippet=plain, score=TAG_RANK, tier=0)}"
            " FROM article_tagtext_fts"
            " JOIN article_tagtext t ON t.rowid = article_tagtext_fts.rowid"
            f" JOIN articles a ON a.id = t.article_id{_FROM_STATE}"
            f" WHERE article_tagtext_fts MATCH ?{where} ORDER BY {TAG_RANK} LIMIT ?"
        )
        rows += conn.execute(tag_sql, [match, *args, limit]).fetchall()
        return rows
    where, args = _where([root], "article")
    ranked = _positive_texts(root)
    if not ranked:  # filters only: newest first
        sql = (
            f"SELECT {_ARTICLE.format(snippet=plain, score='0.0', tier=1)}"
            f" FROM articles a{_FROM_STATE}"
            f" WHERE 1{where} ORDER BY a.imported_at DESC, a.rowid DESC LIMIT ?"
        )
        return conn.execute(sql, [*args, limit]).fetchall()
    snippet = f"coalesce(r.snip, {plain})"
    sql = (
        f"SELECT {_ARTICLE.format(snippet=snippet, score='coalesce(r.score, 0.0)', tier=1)}"
        f" FROM articles a{_FROM_STATE} LEFT JOIN (SELECT rowid AS rid, {ARTICLE_RANK} AS score,"
        f" snippet(articles_fts, -1, '{START}', '{END}', '…', {SNIPPET_TOKENS}) AS snip"
        " FROM articles_fts WHERE articles_fts MATCH ?) r ON r.rid = a.rowid"
        f" WHERE 1{where} ORDER BY coalesce(r.score, 0.0), a.imported_at DESC LIMIT ?"
    )
    match = " OR ".join(t.fts() for t in ranked)
    return conn.execute(sql, [match, *args, limit]).fetchall()


_NOTE = "a.id, a.title, n.note_id, {snippet}, {score}, n.pos_start, 0"
_NOTE_FROM = f" JOIN articles a ON a.id = n.article_id{_FROM_STATE}"


def _note_hits(
    conn: sqlite3.Connection, root: Node | None, scope: str | None, limit: int
) -> list[tuple]:
    plain = "substr(coalesce(nullif(n.body, ''), n.exact), 1, 200)"
    snippet = f"snippet(notes_fts, -1, '{START}', '{END}', '…', {SNIPPET_TOKENS})"
    texts, rest = _split_fast(root) if root is not None else ([], [])
    if texts:
        where, args = _where(rest, "note")
        sql = (
            f"SELECT {_NOTE.format(snippet=snippet, score=NOTE_RANK)} FROM notes_fts"
            f" JOIN notes n ON n.rowid = notes_fts.rowid{_NOTE_FROM}"
            f" WHERE notes_fts MATCH ?{where} ORDER BY {NOTE_RANK} LIMIT ?"
        )
        return conn.execute(sql, [" AND ".join(t.fts() for t in texts), *args, limit]).fetchall()
    ranked = _positive_texts(root) if root is not None else []
    if not ranked and scope != "notes":
        return []  # a filter-only query lists articles, not every note in them
    where, args = _where([root] if root is not None else [], "note")
    if not ranked:
        sql = (
            f"SELECT {_NOTE.format(snippet=plain, score='0.0')} FROM notes n{_NOTE_FROM}"
            f" WHERE 1{where} ORDER BY n.updated DESC LIMIT ?"
        )
        return conn.execute(sql, [*args, limit]).fetchall()
    columns = _NOTE.format(snippet=f"coalesce(r.snip, {plain})", score="coalesce(r.score, 0.0)")
    sql = (
        f"SELECT {columns}"
        f" FROM notes n{_NOTE_FROM} LEFT JOIN (SELECT rowid AS rid, {NOTE_RANK} AS score,"
        f" {snippet} AS snip FROM notes_fts WHERE notes_fts MATCH ?) r ON r.rid = n.rowid"
        f" WHERE 1{where} ORDER BY coalesce(r.score, 0.0), n.updated DESC LIMIT ?"
    )
    return conn.execute(sql, [" OR ".join(t.fts() for t in ranked), *args, limit]).fetchall()


def run(conn: sqlite3.Connection, query: Query, limit: int = 50) -> list[Hit]:
    """Execute a parsed query; hits of both kinds merged by score, best first."""
    rows: list[tuple] = []
    if query.scope != "notes":
        rows += [("article", *r) for r in _article_hits(conn, query.root, limit)]
    if query.scope != "articles":
        rows += [("note", *r) for r in _note_hits(conn, query.root, query.scope, limit)]
    best: dict[tuple[str, str | None], tuple] = {}
    for row in rows:  # an article found by text and by tag name appears once, best score
        key = (row[1], row[3]) if row[0] == "article" else ("note", row[3])
        if key not in best or (row[7], row[5]) < (best[key][7], best[key][5]):
            best[key] = row
    ordered = sorted(best.values(), key=lambda r: (r[7], r[5]))[:limit]
    hits = []
    for kind, aid, title, note_id, snip, score, pos, _tier in ordered:
        text, marks = _split(snip)
        hits.append(Hit(kind, aid, title, note_id, text, marks, float(score), pos))
    return hits


def search(conn: sqlite3.Connection, text: str, limit: int = 50) -> list[Hit]:
    """Parse and run a query string; QueryError for a malformed one."""
    if limit < 1:
        raise QueryError("limit must be at least 1")
    query = parse(text)
    try:
        return run(conn, query, limit)
    except sqlite3.OperationalError as exc:  # should not happen: every term is quoted
        raise QueryError(f"the query could not be run ({exc})") from None
