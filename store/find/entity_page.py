"""One entity across the library: its page (the articles mentioning it, newest first, with
the sentence of its first mention; a timeline by month; the entities mentioned with it; the
reader's notes on passages that mention it) and the library-wide list of entities.

An entity is a normalised name (store.core.entity_groups.normal_key) and a label. Its
postings come from the entity index (entity_names, entity_articles): one narrow query gives
each of its articles with its date; only the articles shown are decoded (and a bounded
number more for co-mentions and notes), so a page costs the same for 50 articles or 50,000.
"""

from __future__ import annotations

import bisect
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from store.core import codec, entity_index
from store.core.entity_groups import group_label, normal_key
from store.core.errors import NotFound
from store.core.handle import Handle
from store.core.models import ArticleSummary, EntityCount, Note
from store.find import reading

NAME_LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT",
               "WORK_OF_ART", "LAW")  # fmt: skip
"""The labels of names: what the library-wide list and co-mentions show by default (numbers,
ordinals, dates, times, money, quantities and percentages only when asked for)."""

COMENTION_ARTICLES = 100
"""Co-mentions are counted over the entity's newest this-many articles: decoding every one
of 10,000 would take a second (measured by bench/entity_page_bench.py)."""
NOTE_ARTICLES = 100
"""Notes are looked for in the entity's newest this-many annotated articles."""
SENTENCE_CHARS = 300
_NAMES = frozenset(NAME_LABELS)

# An article's date: its publication date when it has an ISO one, else its import time.
_DATE = (
    "CASE WHEN a.published GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]*' THEN a.published"
    " ELSE a.imported_at END"
)
_MONTH = re.compile(r"\d{4}-\d{2}")
_SPACE = re.compile(r"\s")
_OWNS = re.compile(r"(?:'s|’s|'|’)$")  # a possessive is not the name to show ("Xi's")


class EntityArticle(NamedTuple):
    """One article on an entity's page: how often it mentions the entity, where first
    (start, end in the article's text; -1 when its analysis no longer has it), and the
    sentence of that mention (which starts at `sentence_start` in the text)."""

    summary: ArticleSummary
    mentions: int
    start: int
    end: int
    sentence: str
    sentence_start: int

    def to_json(self) -> dict[str, Any]:
        return {"article": self.summary.to_json(), "mentions": self.mentions,
                "start": self.start, "end": self.end, "sentence": self.sentence,
                "sentence_start": self.sentence_start}  # fmt: skip


class EntityNote(NamedTuple):
    """A note or highlight on a passage that mentions the entity, with its article's title."""

    note: Note
    title: str

    def to_json(self) -> dict[str, Any]:
        return {**self.note.to_json(), "title": self.title}


class EntityPage(NamedTuple):
    """Everything the entity page shows. `articles` and `mentions` are totals over the
    library; `items` is one page of its articles (from `offset`); co-mentions are counted
    over `comention_articles` of its newest articles and notes over `note_articles` of its
    newest annotated ones (`notes_complete` when that was all of them)."""

    name: str
    label: str
    key: str
    articles: int
    mentions: int
    spellings: tuple[str, ...]
    other_labels: tuple[tuple[str, int], ...]
    timeline: tuple[tuple[str, int], ...]
    comentions: tuple[EntityCount, ...]
    comention_articles: int
    items: tuple[EntityArticle, ...]
    offset: int
    notes: tuple[EntityNote, ...]
    note_articles: int
    notes_complete: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "label": self.label, "key": self.key,
            "articles": self.articles, "mentions": self.mentions,
            "spellings": list(self.spellings),
            "other_labels": [{"label": lab, "articles": n} for lab, n in self.other_labels],
            "timeline": [{"month": m, "articles": n} for m, n in self.timeline],
            "comentions": [c.to_json() for c in self.comentions],
            "comention_articles": self.comention_articles,
            "offset": self.offset,
            "items": [i.to_json() for i in self.items],
            "notes": [n.to_json() for n in self.notes],
            "note_articles": self.note_articles, "notes_complete": self.notes_complete,
        }  # fmt: skip


class _Row(NamedTuple):  # one entity_names row
    key: int
    text: str
    label: str
    articles: int
    mentions: int
    name_key: str


def matching(h: Handle, name: str) -> list[_Row]:
    """The entity_names rows (any label) named `name` (its normal key) or going by it as an
    alias in some article ("Xi" finds "Xi Jinping"): two indexed lookups."""
    if not normal_key(name):
        return []
    sub, args = entity_index.matching(name)
    sql = (
        "SELECT key, text, label, articles, mentions, name_key FROM entity_names"
        f" WHERE articles > 0 AND key IN ({sub})"
    )
    return [_Row(*r) for r in h.conn.execute(sql, args)]


def suggest(h: Handle, name: str, label: str | None = None, limit: int = 5) -> list[str]:
    """Names in the library close to `name` (for "did you mean"), most mentioned first."""
    from rapidfuzz import fuzz, process

    sql = "SELECT text, articles FROM entity_names WHERE articles > 0"
    args: list[object] = []
    if label:
        sql += " AND label = ?"
        args.append(label.upper())
    else:
        sql += f" AND label IN ({','.join('?' * len(NAME_LABELS))})"
        args += NAME_LABELS
    names: dict[str, int] = {}
    for text, n in h.conn.execute(sql, args):
        names[text] = names.get(text, 0) + n
    found = process.extract(name.casefold(), {t: t.casefold() for t in names},
                            scorer=fuzz.WRatio, score_cutoff=80, limit=limit * 4)  # fmt: skip
    best = sorted(found, key=lambda f: (-f[1], -names[f[2]], f[2]))
    return list(dict.fromkeys(f[2] for f in best))[:limit]


def entity_page(
    h: Handle,
    name: str,
    label: str | None = None,
    limit: int = 50,
    offset: int = 0,
    comention_articles: int = COMENTION_ARTICLES,
    note_articles: int = NOTE_ARTICLES,
    comentions: int = 10,
    notes: int = 20,
) -> EntityPage:
    """The page of the entity named `name` (any spelling with its normal key) with this
    label, or with the label it has in most articles; NotFound when there is none."""
    rows = matching(h, name)
    by_label: Counter[str] = Counter()
    for r in rows:
        by_label[r.label] += r.articles
    if label:
        label = label.upper()
    elif by_label:
        label = min(by_label, key=lambda lab: (-by_label[lab], lab))
    rows = [r for r in rows if r.label == label]
    if not rows:
        raise NotFound(f"no entity {name!r}" + (f" with label {label}" if label else ""))
    shown = max(rows, key=lambda r: (not _OWNS.search(r.text), r.articles, r.mentions, r.text))
    keys = [r.key for r in rows]
    dated = _dated(h.conn, keys)
    months: Counter[str] = Counter(d[:7] for d, _, _ in dated)
    spellings = {r.name_key for r in rows}  # (the entity's groups: their names' keys)
    page = dated[offset : offset + limit]
    co_keys = [k for _, k, _ in dated[:comention_articles]]
    note_keys, every = _annotated(h.conn, dated, note_articles)
    decoded = _decode(h.conn, {k for _, k, _ in page} | set(co_keys) | set(note_keys))
    items = _items(h, page, decoded, spellings, label)
    found, looked = _notes(h, note_keys, decoded, spellings, label, notes)
    return EntityPage(
        shown.text, label, normal_key(shown.text), len(dated), sum(d[2] for d in dated),
        tuple(sorted({r.text for r in rows})),
        tuple(sorted(((lab, n) for lab, n in by_label.items() if lab != label),
                     key=lambda x: (-x[1], x[0]))),
        tuple(sorted((m, n) for m, n in months.items() if _MONTH.fullmatch(m))),
        tuple(_comentions(co_keys, decoded, spellings, label, comentions)), len(co_keys),
        tuple(items), offset, tuple(found), len(note_keys), every and looked,
    )  # fmt: skip


def _dated(conn: sqlite3.Connection, keys: Sequence[int]) -> list[tuple[str, int, int]]:
    """Each current article posting these entities: (date, key, mentions), newest first.
    One pass over the postings, reading each article's dates from the narrow articles_dates
    index when the library has it (store.core.db.SPEED_INDEXES); sorted here, as one list
    gives both the page and the timeline."""
    marks = ",".join("?" * len(keys))
    # SQLite's planner prefers the table's rowid to the covering index (3x slower here)
    narrow = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'articles_dates'"
    ).fetchone()
    articles = "articles a INDEXED BY articles_dates" if narrow else "articles a"
    rows = conn.execute(
        f"SELECT {_DATE}, e.article, e.mentions FROM entity_articles e"
        f" JOIN {articles} ON a.key = e.article WHERE e.entity IN ({marks})",
        list(keys),
    ).fetchall()
    # (a few rows, from a partial index: cheaper apart than as a NOT IN per posting)
    old = {k for (k,) in conn.execute(
        "SELECT article FROM article_state WHERE superseded_by IS NOT NULL")}  # fmt: skip
    if old:
        rows = [r for r in rows if r[1] not in old]
    if len(keys) > 1:  # two spellings in one article ("the Kremlin", "Kremlin"): one article
        merged: dict[int, list] = {}
        for date, key, n in rows:
            if key in merged:
                merged[key][2] += n
            else:
                merged[key] = [date, key, n]
        rows = [tuple(r) for r in merged.values()]
    rows.sort(reverse=True)
    return rows


def _annotated(
    conn: sqlite3.Connection, dated: Sequence[tuple[str, int, int]], limit: int
) -> tuple[list[int], bool]:
    """The newest `limit` of these articles that have notes, and whether that is all."""
    out: list[int] = []
    for i in range(0, len(dated), 500):
        chunk = [k for _, k, _ in dated[i : i + 500]]
        marks = ",".join("?" * len(chunk))
        have = {k for (k,) in conn.execute(
            f"SELECT DISTINCT article FROM notes WHERE article IN ({marks})", chunk)}  # fmt: skip
        for k in chunk:
            if k in have:
                if len(out) == limit:
                    return out, False
                out.append(k)
    return out, True


class _Decoded(NamedTuple):
    id: str
    text: str
    mentions: list[tuple[int, int, str, str, str]]  # (start, end, its group's label, name
    #  key and name)
    sentences: list[tuple[int, int]]


def _decode(conn: sqlite3.Connection, keys: Iterable[int]) -> dict[int, _Decoded]:
    """These articles' text and effective mentions (their latest analysis with the reader's
    corrections, as the index keeps them in entity_groups), each with the normal key and
    label of its group; a damaged blob: no mentions."""
    keys = list(keys)
    out: dict[int, _Decoded] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        rows = conn.execute(
            "SELECT a.key, a.id, a.text, n.entities, n.sentences, g.groups FROM articles a"
            " JOIN analyses n ON n.article = a.key JOIN models m ON m.key = n.model"
            " LEFT JOIN entity_groups g ON g.article = a.key"
            f" WHERE a.key IN ({','.join('?' * len(chunk))})"
            " ORDER BY a.key, n.analysed_at, m.name DESC",  # the last row is the latest
            chunk,
        )
        for key, aid, text, ents, sents, groups in rows:
            try:
                mentions = _grouped(text, codec.unpack_entities(ents), groups)
                out[key] = _Decoded(aid, text, mentions, codec.unpack_sentences(sents))
            except ValueError:
                out[key] = _Decoded(aid, text, [], [])
    return out


def _grouped(
    text: str, model: list[tuple[int, int, str]], groups: bytes | None
) -> list[tuple[int, int, str, str, str]]:
    """(start, end, group label, group name key, group name) of each effective mention,
    from the analysis and the entity_groups blob (as entity_index.read_entities reads
    them: a blob that does not fit leaves each mention a group of its own). A group's label
    is the one most of its mentions have (as the index posts it; ties: the first)."""
    try:
        mentions, of, names = (
            entity_index.unpack_groups(groups, text, model) if groups else (None, [], [])
        )
    except ValueError:
        mentions, of, names = None, [], []
    spans = mentions if mentions is not None else model
    if len(of) != len(spans):
        of, names = list(range(len(spans))), [text[s:e] for s, e, _ in spans]
    members: dict[int, list[tuple[str, str]]] = {}
    for (s, e, lab), g in zip(spans, of, strict=True):
        members.setdefault(g, []).append((text[s:e], lab))
    top = {g: group_label(names[g], ms) for g, ms in members.items()}
    keys = [normal_key(n) for n in names]
    return [(s, e, top[g], keys[g], names[g]) for (s, e, _), g in zip(spans, of, strict=True)]


def _own(d: _Decoded, spellings: set[str], label: str) -> list[tuple[int, int]]:
    """The spans of the entity's mentions in one article: the mentions of its groups (by
    their names' keys) with its label."""
    return [(s, e) for s, e, lab, k, _ in d.mentions if lab == label and k in spellings]


def _sentence_of(d: _Decoded, start: int, end: int) -> tuple[int, int]:
    """The sentence holding text[start:end] (the span itself when none does)."""
    i = bisect.bisect_right(d.sentences, (start, len(d.text) + 1)) - 1
    if i >= 0 and d.sentences[i][0] <= start and d.sentences[i][1] >= end:
        return d.sentences[i]
    return start, end


def _items(
    h: Handle,
    page: Sequence[tuple[str, int, int]],
    decoded: dict[int, _Decoded],
    spellings: set[str],
    label: str,
) -> list[EntityArticle]:
    ids = [decoded[k].id for _, k, _ in page if k in decoded]
    summaries = {s.id: s for s in reading.list_articles(h, ids=ids)} if ids else {}
    out = []
    for _, key, n in page:
        d = decoded.get(key)
        if d is None or d.id not in summaries:
            continue
        own = _own(d, spellings, label)
        start, end = own[0] if own else (-1, -1)
        s0, s1 = _sentence_of(d, start, end) if own else (0, 0)
        if s1 - s0 > SENTENCE_CHARS:  # a window around the mention, not a whole paragraph
            s0 = max(s0, min(start - SENTENCE_CHARS // 3, s1 - SENTENCE_CHARS))
            s1 = min(s1, s0 + SENTENCE_CHARS)
        out.append(EntityArticle(summaries[d.id], n, start, end,
                                 _SPACE.sub(" ", d.text[s0:s1]), s0))  # fmt: skip
    return out


def _comentions(
    keys: Sequence[int], decoded: dict[int, _Decoded], spellings: set[str], label: str,
    limit: int,
) -> list[EntityCount]:  # fmt: skip
    """The names most often in the same articles, (articles, mentions) over `keys`; one
    entry per normal key and label, under its most frequent spelling."""
    articles: dict[tuple[str, str], int] = {}
    mentions: dict[tuple[str, str], int] = {}
    spelled: dict[tuple[str, str, str], int] = {}
    for key in keys:
        d = decoded.get(key)
        if d is None:
            continue
        here: set[tuple[str, str]] = set()
        for _, _, lab, nk, name in d.mentions:
            if lab not in _NAMES:
                continue
            k = (nk, lab)
            mentions[k] = mentions.get(k, 0) + 1
            spelled[(nk, lab, name)] = spelled.get((nk, lab, name), 0) + 1
            here.add(k)
        for k in here:
            articles[k] = articles.get(k, 0) + 1
    mine = {(k, label) for k in spellings}
    top = sorted((k for k in articles if k not in mine),
                 key=lambda k: (-articles[k], -mentions[k], k[1], k[0]))[:limit]  # fmt: skip
    best: dict[tuple[str, str], tuple[int, int, str]] = {}
    for (nk, lab, name), n in spelled.items():  # shown: its groups' most frequent name
        rank = (n, len(name), name)
        if (nk, lab) not in best or best[(nk, lab)] < rank:
            best[(nk, lab)] = rank
    return [EntityCount(best[k][2], k[1], mentions[k], articles[k]) for k in top]


def _notes(
    h: Handle, keys: Sequence[int], decoded: dict[int, _Decoded], spellings: set[str],
    label: str, limit: int,
) -> tuple[list[EntityNote], bool]:  # fmt: skip
    """Notes and highlights whose passage overlaps a mention of the entity or its sentence,
    from the newest articles first; and whether every one of `keys` was looked at."""
    out: list[EntityNote] = []
    for key in keys:
        d = decoded.get(key)
        if d is None:
            continue
        spans = [_sentence_of(d, s, e) for s, e in _own(d, spellings, label)]
        if not spans:
            continue
        title = None
        for note in reading.notes(h, d.id):
            a = note.anchor
            if a is None or not any(_overlaps(a.start, a.end, s, e) for s, e in spans):
                continue
            if title is None:
                title = h.conn.execute(
                    "SELECT title FROM articles WHERE id = ?", (d.id,)
                ).fetchone()[0]
            if len(out) >= limit:
                return out, False
            out.append(EntityNote(note, title))
    return out, True


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    """Whether [a0, a1) and [b0, b1) share a character (an empty anchor: lies inside)."""
    if a0 == a1:
        return b0 <= a0 < b1
    return a0 < b1 and a1 > b0


def ranked(
    h: Handle, label: str | None = None, all_labels: bool = False, limit: int | None = None
) -> list[EntityCount]:
    """The library's entities by the number of articles mentioning them: names only (see
    NAME_LABELS) unless `all_labels`; one label when `label` is given (any label). Spellings
    with one normal key ("the Kremlin", "Kremlin") are one entry (their counts added)."""
    sql = "SELECT text, label, mentions, articles FROM entity_names WHERE articles > 0"
    args: list[object] = []
    if label:
        sql += " AND label = ?"
        args.append(label.upper())
    elif not all_labels:
        sql += f" AND label IN ({','.join('?' * len(NAME_LABELS))})"
        args += NAME_LABELS
    sql += " ORDER BY articles DESC, mentions DESC, label, text"
    if limit is not None:  # room for spellings merged into one entry
        sql += " LIMIT ?"
        args.append(limit * 2 + 10)
    merged: dict[tuple[str, str], list] = {}
    for text, lab, mentions, articles in h.conn.execute(sql, args):
        m = merged.setdefault((normal_key(text), lab), [text, lab, 0, 0])
        if _OWNS.search(m[0]) and not _OWNS.search(text):
            m[0] = text
        m[2] += mentions
        m[3] += articles
    out = [EntityCount(*m) for m in merged.values()]
    out.sort(key=lambda c: (-c.articles, -c.count, c.label, c.text))
    return out[:limit] if limit is not None else out
