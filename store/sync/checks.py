"""The checks a peer's facts pass before they are merged: the tables merged and their
columns (FACTS), the SQL that type-checks every column of a peer row and checks its values
(CHECKS, with the SQL functions it calls: clean text, an event's field, a revision's parents,
a feed's id), and the check that a peer holds every table and column we read of its schema
version."""

from __future__ import annotations

import json
import sqlite3

from store.core.errors import GlossError, LibraryError
from store.core.sanitize import normalise_tag
from store.notes.exchange_formats import MAX_ID_CHARS, MAX_PARENTS
from store.sync.analyses import is_clean

# Each fact table: its columns (as in our schema) and the key that decides what "already
# have it" means. A column naming an article holds our integer key; a peer's keys are its
# own, so such a column is read through the peer's public article id (ARTICLE_REFS).
FACTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "articles": (
        ("id", "title", "byline", "source", "published", "imported_at", "structure", "text"),
        ("id",),
    ),
    "note_revisions": (
        (
            "rev_id",
            "note_id",
            "parents",
            "article",
            "pos_start",
            "pos_end",
            "exact",
            "prefix",
            "suffix",
            "body",
            "deleted",
            "hlc",
            "device",
        ),
        ("rev_id",),
    ),  # fmt: skip
    "events": (("event_id", "article", "field", "value", "hlc", "device"), ("event_id",)),
    "article_versions": (("old", "new", "hlc", "device"), ("old", "new")),
    "feeds": (("feed_id", "url", "title", "hlc", "device"), ("feed_id",)),
    "feed_events": (("event_id", "feed_id", "field", "value", "hlc", "device"), ("event_id",)),
    "feed_entries": (
        ("feed_id", "guid", "article", "link", "published", "hlc", "device"),
        ("feed_id", "guid", "article"),
    ),
}
# Our article columns and what a schema-4 (or older) peer calls them: it keyed articles by
# their hex id. A schema-5 peer uses our names, holding its own integer keys.
ARTICLE_REFS = {"article": "article_id", "old": "old_id", "new": "new_id"}
# The type of every column a peer gives (its article columns are looked up, not copied): a
# peer declares its own tables, so a BLOB or a number can sit where our text must be.
_INTEGER = {("note_revisions", "pos_start"), ("note_revisions", "pos_end"),
            ("note_revisions", "deleted"), ("events", "value")}  # fmt: skip
_NULLABLE = {"byline", "source", "published", "pos_start", "pos_end", "exact", "prefix",
             "suffix", "link"}  # fmt: skip


def _typed(table: str) -> str:
    """SQL: every column of a peer row (alias p) has our column's type."""
    out = []
    for col in FACTS[table][0]:
        if col in ARTICLE_REFS:
            continue
        kinds = ["integer" if (table, col) in _INTEGER else "text"]
        kinds += ["null"] if col in _NULLABLE else []
        kind = f"= '{kinds[0]}'" if len(kinds) == 1 else f"IN ('{kinds[0]}', 'null')"
        out.append(f'typeof(p."{col}") {kind}')
    return " AND ".join(out)


# Text a peer sends that will reach a terminal must already be what our import would store.
_VALUES = {
    "articles": "gloss_clean(title) AND gloss_clean(byline) AND gloss_clean(text)"
    " AND gloss_clean(source) AND gloss_clean(published)",
    "note_revisions": "gloss_clean(body) AND gloss_clean(exact) AND gloss_clean(prefix)"
    " AND gloss_clean(suffix) AND gloss_clean(device) AND gloss_parents(parents, rev_id)",
    "events": "gloss_field(field) AND value IN (0, 1)",
    # A feed's id is the hash of its (http/https) URL; events and entries need their feed.
    "feeds": "p.feed_id = gloss_feed_id(url) AND gloss_clean(url) AND gloss_clean(title)"
    " AND length(title) <= 500 AND instr(title, char(10)) = 0",
    "feed_events": "p.feed_id IN (SELECT feed_id FROM main.feeds) AND ("
    " (field = 'subscribed' AND value IN ('0', '1'))"
    " OR (field = 'title' AND gloss_clean(value) AND length(value) <= 500"
    "     AND instr(value, char(10)) = 0)"
    " OR (field LIKE 'tag:%' AND gloss_field(field) AND value IN ('0', '1')))",
    "feed_entries": "p.feed_id IN (SELECT feed_id FROM main.feeds) AND gloss_clean(guid)"
    " AND gloss_clean(link) AND gloss_clean(published)",
}
# (types first: SQLite evaluates AND left to right, so the value checks see the right types)
CHECKS = {t: f"{_typed(t)} AND ({_VALUES[t]})" if t in _VALUES else _typed(t) for t in FACTS}


def is_parents(parents: object, rev_id: object) -> int:
    """A revision's parents: a JSON array of other revisions' ids, as an import admits."""
    if not isinstance(parents, str) or len(parents) > MAX_PARENTS * (MAX_ID_CHARS + 8):
        return 0
    try:
        ids = json.loads(parents)
    except (ValueError, RecursionError):
        return 0
    return int(
        isinstance(ids, list)
        and len(ids) <= MAX_PARENTS
        and rev_id not in ids
        and all(isinstance(i, str) and 0 < len(i) <= MAX_ID_CHARS and is_clean(i) for i in ids)
    )


def is_field(value: object) -> int:
    """1 if `value` names an event field: read, starred, or a normalised tag:..."""
    if value in ("read", "starred"):
        return 1
    if isinstance(value, str) and value.startswith("tag:"):
        try:
            return int(normalise_tag(value[4:]) == value[4:])
        except GlossError:
            return 0
    return 0


def feed_id(value: object) -> str | None:
    """The feed id of an (http/https) URL; None for anything else."""
    from store.ingest.fetch import url_id

    try:
        return url_id(value) if isinstance(value, str) and len(value) <= 4000 else None
    except GlossError:
        return None


def _layout(version: int) -> dict[str, tuple[str, ...]]:
    """The tables (and their columns) read from a peer of this schema version."""
    old = version < 5
    tables = {
        t: tuple(ARTICLE_REFS.get(c, c) if old else c for c in cols)
        for t, (cols, _) in FACTS.items()
        if version >= 4 or t not in ("feeds", "feed_events", "feed_entries")
    }
    if version < 3:
        del tables["article_versions"]
    tables["meta"] = ("key", "value")
    if old:
        tables["analyses"] = ("article_id", "model", "analysed_at")
        tables["entities"] = ("article_id", "model", "start", "end", "label")
        tables["sentences"] = ("article_id", "model", "start", "end")
    else:
        tables["articles"] += ("key",)
        tables["analyses"] = ("article", "model", "analysed_at", "entities", "sentences")
        tables["models"] = ("key", "name")
    return tables


def check_layout(w: sqlite3.Connection, version: int, present: set[str]) -> None:
    """LibraryError naming the first table or column the peer lacks of those we read."""
    for table, cols in _layout(version).items():
        if table not in present:
            raise LibraryError(f"not a complete gloss library (no table {table})")
        have = {r[1] for r in w.execute("SELECT * FROM pragma_table_info(?, 'peer')", (table,))}
        for col in cols:
            if col not in have:
                raise LibraryError(f"not a complete gloss library (no column {table}.{col})")
