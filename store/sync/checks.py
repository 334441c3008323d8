"""The checks a peer's facts pass before they are merged: the tables merged and their
columns (FACTS), the SQL that type-checks every column of a peer row and checks its values
(CHECKS, with the SQL functions it calls: clean text, an event's field, a revision's parents,
a feed's id), and the check that a peer holds every table and column we read of its schema
version."""

from __future__ import annotations

import json
import sqlite3

from store.core import hlc
from store.core.errors import GlossError, LibraryError
from store.core.sanitize import MAX_TEXT_CHARS, normalise_tag
from store.notes.annotations import MAX_NOTE_CHARS
from store.notes.exchange_formats import (
    MAX_CONTEXT_CHARS,
    MAX_CORRECTION_VALUE,
    MAX_ID_CHARS,
    MAX_PARENTS,
    correction_problem,
)
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
    "entity_corrections": (
        (
            "correction_id",
            "article",
            "pos_start",
            "pos_end",
            "exact",
            "kind",
            "value",
            "hlc",
            "device",
        ),
        ("correction_id",),
    ),  # fmt: skip
}
# Fact tables a peer of schema 5 may lack (a library made before them): read when present.
OPTIONAL = {"entity_corrections"}
# Our article columns and what a schema-4 (or older) peer calls them: it keyed articles by
# their hex id. A schema-5 peer uses our names, holding its own integer keys.
ARTICLE_REFS = {"article": "article_id", "old": "old_id", "new": "new_id"}
# The type of every column a peer gives (its article columns are looked up, not copied): a
# peer declares its own tables, so a BLOB or a number can sit where our text must be.
_INTEGER = {("note_revisions", "pos_start"), ("note_revisions", "pos_end"),
            ("note_revisions", "deleted"), ("events", "value"),
            ("entity_corrections", "pos_start"), ("entity_corrections", "pos_end")}  # fmt: skip
_NULLABLE = {"byline", "source", "published", "pos_start", "pos_end", "exact", "prefix",
             "suffix", "link"}  # fmt: skip
# (a correction always names a span; only its value may be missing: remove, split, reset)
_NULLS = {"entity_corrections": {"value"}}


def _nullable(table: str, col: str) -> bool:
    return col in _NULLS[table] if table in _NULLS else col in _NULLABLE


def _typed(table: str) -> str:
    """SQL: every column of a peer row (alias p) has our column's type."""
    out = []
    for col in FACTS[table][0]:
        if col in ARTICLE_REFS:
            continue
        kinds = ["integer" if (table, col) in _INTEGER else "text"]
        kinds += ["null"] if _nullable(table, col) else []
        kind = f"= '{kinds[0]}'" if len(kinds) == 1 else f"IN ('{kinds[0]}', 'null')"
        out.append(f'typeof(p."{col}") {kind}')
    return " AND ".join(out)


# The sizes an import admits (or what gloss writes, where nothing is imported): a peer's fact
# is never larger. Text columns not listed are ids, devices and stamps: at most MAX_ID_CHARS
# (a stamp: its 20 characters of wall and counter more).
MAX_STAMP_CHARS = MAX_ID_CHARS + 20
# store.ingest.parse.common.MAX_TITLE_CHARS (a test holds them equal): importing it from
# here would load every parser at each sync
MAX_TITLE_CHARS = 500
MAX_STRUCTURE_CHARS = 2 * MAX_TEXT_CHARS  # paragraph and section offsets of one text
# What the import does not cut (a byline, a path or URL, a feed's guid or link): far past
# any real one, so no peer fact of a real library is refused, yet bounded.
_LINE, _URL = 4096, 8192
_SIZES = {
    "title": MAX_TITLE_CHARS, "byline": _LINE, "source": _URL, "published": 200,
    "imported_at": 200, "structure": MAX_STRUCTURE_CHARS, "text": MAX_TEXT_CHARS,
    "body": MAX_NOTE_CHARS, "exact": MAX_TEXT_CHARS, "prefix": MAX_CONTEXT_CHARS,
    "suffix": MAX_CONTEXT_CHARS, "field": 200, "url": _URL, "guid": _URL, "link": _URL,
    "hlc": MAX_STAMP_CHARS, "parents": MAX_PARENTS * (MAX_ID_CHARS + 8),
}  # fmt: skip
_SIZED = {  # a feed event's value: 0, 1 or a title; a correction's: a label or a name
    "feed_events": {"value": 500}, "entity_corrections": {"value": MAX_CORRECTION_VALUE},
}  # fmt: skip


def _sizes(table: str) -> str:
    """SQL: no text column of a peer row is longer than an import would write."""
    cols = [c for c in FACTS[table][0] if c not in ARTICLE_REFS and (table, c) not in _INTEGER]
    limits = {c: _SIZED.get(table, {}).get(c, _SIZES.get(c, MAX_ID_CHARS)) for c in cols}
    return " AND ".join(f'coalesce(length(p."{c}"), 0) <= {n}' for c, n in limits.items())


# A stamp as hlc.Stamp.parse reads it: 13 digits, a dot, 5 digits, a dot, a device.
STAMP_GLOB = "[0-9]" * 13 + "." + "[0-9]" * 5 + ".?*"
_STAMPED = {t for t, (cols, _) in FACTS.items() if "hlc" in cols}


def due(wall_now: int | None = None) -> str:
    """SQL: a peer row's stamp (alias p, a valid stamp) is at most hlc.MAX_DRIFT_MS ahead of
    our wall clock. Stamps are fixed-width, so string order is the order of their walls."""
    wall_now = hlc.now_ms() if wall_now is None else wall_now
    return f"p.hlc < '{wall_now + hlc.MAX_DRIFT_MS + 1:013d}'"


# Text a peer sends that will reach a terminal must already be what our import would store.
_VALUES = {
    "articles": "gloss_clean(title) AND gloss_clean(byline) AND gloss_clean(text)"
    " AND gloss_clean(source) AND gloss_clean(published) AND gloss_clean(imported_at)",
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
    # (its span is checked against our copy of the text once its article is known: merge)
    "entity_corrections": "length(p.correction_id) > 0 AND gloss_clean(p.correction_id)"
    " AND gloss_clean(exact) AND gloss_clean(p.device) AND length(p.device) > 0"
    " AND gloss_correction(kind, value)",
}
MALFORMED = "with unsafe or malformed values"
TOO_LARGE = "larger than an import admits"


def _parts(table: str) -> list[tuple[str, str]]:
    """The checks of a table's rows, each SQL with what a row failing it is: in the order
    they run (types first: SQLite evaluates AND left to right, so the later checks see the
    right types; sizes before the Python functions, which never see a huge value)."""
    parts = [(_typed(table), MALFORMED), (_sizes(table), TOO_LARGE)]
    if table in _VALUES:
        parts.append((_VALUES[table], MALFORMED))
    if table in _STAMPED:
        parts.append((f"p.hlc GLOB '{STAMP_GLOB}' AND gloss_clean(p.hlc)",
                      "whose stamp is not a clock stamp"))  # fmt: skip
    if table == "articles":
        parts.append(("gloss_structure(structure, length(text))", "with a malformed structure"))
        parts.append(("gloss_article_id(p.id, title, text)",
                      "whose id is not the hash of their text"))  # fmt: skip
    return parts


# (coalesce: a check that is NULL for a row refuses it, and says why)
CHECKS = {t: " AND ".join(f"coalesce(({sql}), 0)" for sql, _ in _parts(t)) for t in FACTS}


def why_refused(table: str, noun: str) -> str:
    """SQL: why a peer row (alias p) of `table` is refused ("<noun> <reason>"), NULL if not."""
    whens = " ".join(
        f"WHEN NOT coalesce(({sql}), 0) THEN '{noun} {why}'" for sql, why in _parts(table)
    )
    return f"CASE {whens} END"


def is_correction(kind: object, value: object) -> int:
    """1 if (kind, value) is a correction as gloss writes one (exchange_formats)."""
    return int(correction_problem(kind, value) is None)


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


def is_article_id(aid: object, title: object, text: object) -> int:
    """1 if `aid` is an article's id: the hash of its text, or of its title and text."""
    from store.ingest.importer import article_id, legacy_id  # (only for articles we lack)

    if not (isinstance(aid, str) and isinstance(title, str) and isinstance(text, str)):
        return 0
    return int(aid == legacy_id(text) or aid == article_id(title, text))


def is_structure(value: object, length: object) -> int:
    """1 if `value` is an article's structure as the import writes it, for a text of
    `length` characters: a JSON object of sections (title, start, end, level) and
    paragraphs ([start, end]), every offset inside the text."""
    if not isinstance(value, str) or not isinstance(length, int):
        return 0
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        return 0
    if not isinstance(data, dict) or not set(data) <= {"sections", "paragraphs"}:
        return 0
    paragraphs, sections = data.get("paragraphs", []), data.get("sections", [])
    if not (isinstance(paragraphs, list) and isinstance(sections, list)):
        return 0

    def span(s: object, e: object) -> bool:
        return type(s) is int and type(e) is int and 0 <= s <= e <= length

    return int(
        all(isinstance(p, list) and len(p) == 2 and span(*p) for p in paragraphs)
        and all(
            isinstance(x, dict) and set(x) == {"title", "start", "end", "level"}
            and isinstance(x["title"], str) and len(x["title"]) <= MAX_TITLE_CHARS
            and is_clean(x["title"]) and span(x["start"], x["end"])
            and type(x["level"]) is int and 1 <= x["level"] <= 6
            for x in sections
        )
    )  # fmt: skip


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
        if (version >= 4 or t not in ("feeds", "feed_events", "feed_entries"))
        and (version >= 5 or t not in OPTIONAL)
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
    """LibraryError naming the first table or column the peer lacks of those we read, or a
    table that is not a plain one: a view (reading a recursive one never ends), a virtual
    table, or a table with generated or hidden columns (computed as they are read)."""
    kinds = {name: (kind, sql or "") for name, kind, sql in w.execute(
        "SELECT name, type, sql FROM peer.sqlite_master"
    )}  # fmt: skip
    for table, cols in _layout(version).items():
        kind, sql = kinds.get(table, ("", ""))
        if table in OPTIONAL and not kind:
            continue
        if table not in present and kind:
            raise LibraryError(f"not merged: {table} is a {kind}, not a table")
        if table not in present:
            raise LibraryError(f"not a complete gloss library (no table {table})")
        if sql.lstrip().upper().startswith("CREATE VIRTUAL"):
            raise LibraryError(f"not merged: {table} is a virtual table")
        info = w.execute("SELECT name, hidden FROM pragma_table_xinfo(?, 'peer')", (table,))
        have = {}
        for name, hidden in info:
            if hidden:
                raise LibraryError(f"not merged: {table} has generated or hidden columns")
            have[name] = hidden
        for col in cols:
            if col not in have:
                raise LibraryError(f"not a complete gloss library (no column {table}.{col})")
