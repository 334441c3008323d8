"""A peer's analyses, checked against our copy of each text before they are stored: a
schema-5 peer's packed blobs must be exactly what the codec writes; a schema-4 (or older)
peer's entity and sentence rows are type-checked and packed here."""

from __future__ import annotations

import sqlite3
import unicodedata

from store.core import codec
from store.core.sanitize import has_unsafe

MALFORMED = "analyses with malformed entity or sentence rows"
# A packed analysis of the longest text an import admits (MAX_TEXT_CHARS) with an entity
# every few characters stays far below this; a larger blob is never read into Python.
MAX_BLOB_BYTES = 4 * 1024 * 1024
_TOO_LARGE = "too large"  # what the SQL below reads in place of a larger blob
_BAD_ROWS = object()  # an old peer's rows that are not (whole number, whole number, text)


def is_clean(value: object) -> int:
    """1 unless `value` is text our import would not store (unsafe or not NFC). A value of
    another type passes: callers check types (typeof in SQL) where a column needs text."""
    if not isinstance(value, str):
        return 1
    return int(not has_unsafe(value) and unicodedata.is_normalized("NFC", value))


_BATCH = 1000  # peer analyses read (and, for an old peer, packed) at a time


def analysis_problem(length: int, entities: object, sentences: object) -> str | None:
    """Why a packed analysis cannot be stored for a text of `length` characters (None: it
    can): both blobs must decode (known format), be exactly what the codec writes for what
    they decode to (no stray or missing bytes), keep every span inside the text and not
    empty, and name
    only clean labels."""
    if entities is _BAD_ROWS:
        return MALFORMED
    if _TOO_LARGE in (entities, sentences):
        return "analyses larger than an import admits"
    if not isinstance(entities, bytes) or not isinstance(sentences, bytes):
        return "analyses that are not packed spans"
    try:
        ents = codec.unpack_entities(entities)
        sents = codec.unpack_sentences(sentences)
        canonical = (codec.pack_entities(ents), codec.pack_sentences(sents))
    except (ValueError, IndexError, UnicodeDecodeError):
        return "analyses whose packed spans cannot be read"
    if canonical != (entities, sentences):
        return "analyses with stray bytes in their packed spans"
    spans = [(s, e) for s, e, _ in ents] + sents
    if not all(0 <= s < e <= length for s, e in spans):  # (spaCy's spans are never empty)
        return "analyses with spans outside the article text"
    if not all(is_clean(label) and label for label in {lb for _, _, lb in ents}):
        return "analyses with unsafe labels"
    return None


def merge_analyses(
    w: sqlite3.Connection, version: int, refusals: dict[str, int], pack: bool = False
) -> tuple[int, set[int], int]:
    """Copy the peer's analyses we lack, each checked against our copy of its text:
    (received, keys of the articles analysed anew, sent). A schema-5 peer's blobs are taken
    as they are once checked; an older peer's entity and sentence rows are packed here.
    Bounded memory: the peer is read in batches of analyses."""
    models = dict(w.execute("SELECT name, key FROM main.models"))
    analysed: set[int] = set()
    received = 0
    rows = _peer_analyses(w, version, "refs" if pack else "articles")
    for batch in rows:
        for key, model, at, length, entities, sentences in batch:
            if key is None:
                why = "analyses about an article not merged"
            elif not (isinstance(model, str) and model and is_clean(model)):
                why = "analyses with an unsafe model name"
            elif not (isinstance(at, str) and is_clean(at)):
                why = "analyses with a malformed time"
            else:
                why = analysis_problem(length, entities, sentences)
            if why is not None:
                refusals[why] = refusals.get(why, 0) + 1
                continue
            if model not in models:
                models[model] = w.execute(
                    "INSERT INTO main.models (name) VALUES (?) RETURNING key", (model,)
                ).fetchone()[0]
            w.execute(
                "INSERT OR IGNORE INTO main.analyses (article, model, analysed_at, entities,"
                " sentences) VALUES (?, ?, ?, ?, ?)",
                (key, models[model], at, entities, sentences),
            )
            analysed.add(key)
            received += 1
    if pack:  # a pack holds only what its writer sent: nothing to count against it
        return received, analysed, 0
    if version >= 5:
        theirs = (
            "p.article = (SELECT px.key FROM main.articles a JOIN peer.articles px"
            " ON px.id = a.id WHERE a.key = m.article) AND p.model = (SELECT pm.key FROM"
            " main.models mm JOIN peer.models pm ON pm.name = mm.name WHERE mm.key = m.model)"
        )
    else:
        theirs = (
            "p.article_id = (SELECT id FROM main.articles WHERE key = m.article)"
            " AND p.model = (SELECT name FROM main.models WHERE key = m.model)"
        )
    sent = w.execute(
        f"SELECT count(*) FROM main.analyses m WHERE NOT EXISTS"
        f" (SELECT 1 FROM peer.analyses p WHERE {theirs})"
    ).fetchone()[0]
    return received, analysed, sent


_OURS = (
    "NOT EXISTS (SELECT 1 FROM main.analyses m JOIN main.models mm ON mm.key = m.model"
    " WHERE m.article = a.key AND mm.name = {model})"
)


def _bounded(column: str) -> str:
    """SQL: a peer's blob, or _TOO_LARGE in its place when it is larger than MAX_BLOB_BYTES."""
    return f"CASE WHEN length({column}) <= {MAX_BLOB_BYTES} THEN {column} ELSE '{_TOO_LARGE}' END"


def _peer_analyses(w: sqlite3.Connection, version: int, refs: str = "articles"):
    """Batches of (our key or None, model name, analysed_at, our text's length, entities
    blob, sentences blob) of the peer analyses we lack, in the peer's key order."""
    if version >= 5:
        sql = (
            "SELECT pa.article, pa.model, a.key, pm.name, pa.analysed_at, length(a.text),"
            f" {_bounded('pa.entities')}, {_bounded('pa.sentences')} FROM peer.analyses pa"
            f" LEFT JOIN peer.{refs} px ON px.key = pa.article"
            " LEFT JOIN main.articles a ON a.id = px.id"
            " LEFT JOIN peer.models pm ON pm.key = pa.model"
            f" WHERE {{after}} {_OURS.format(model='pm.name')}"
            " ORDER BY pa.article, pa.model LIMIT ?"
        )
    else:
        sql = (
            "SELECT pa.article_id, pa.model, a.key, pa.model, pa.analysed_at, length(a.text)"
            " FROM peer.analyses pa LEFT JOIN main.articles a ON a.id = pa.article_id"
            f" WHERE {{after}} {_OURS.format(model='pa.model')}"
            " ORDER BY pa.article_id, pa.model LIMIT ?"
        )
    after = ""
    last: tuple = ()
    order = "pa.article, pa.model" if version >= 5 else "pa.article_id, pa.model"
    while True:
        rows = w.execute(sql.format(after=after), (*last, _BATCH)).fetchall()
        if not rows:
            return
        if version >= 5:
            yield [r[2:] for r in rows]
        else:
            yield _packed(w, rows)
        last = rows[-1][:2]
        after = f"({order}) > (?, ?) AND"
        if len(rows) < _BATCH:
            return


def _packed(w: sqlite3.Connection, rows: list[tuple]) -> list[tuple]:
    """An old peer's analyses with their entity and sentence rows packed as ours are."""
    w.execute("DROP TABLE IF EXISTS temp.merge_scope")
    w.execute("CREATE TEMP TABLE merge_scope (article_id, model, PRIMARY KEY (article_id, model))")
    w.executemany(
        "INSERT OR IGNORE INTO temp.merge_scope VALUES (?, ?)",
        [r[:2] for r in rows if r[2] is not None],
    )
    ents: dict[tuple, list] = {}
    for aid, model, s, e, label in w.execute(
        'SELECT p.article_id, p.model, p.start, p."end", p.label FROM temp.merge_scope t'
        " JOIN peer.entities p ON p.article_id = t.article_id AND p.model = t.model"
    ):
        ents.setdefault((aid, model), []).append((s, e, label))
    sents: dict[tuple, list] = {}
    for aid, model, s, e in w.execute(
        'SELECT p.article_id, p.model, p.start, p."end" FROM temp.merge_scope t'
        " JOIN peer.sentences p ON p.article_id = t.article_id AND p.model = t.model"
    ):
        sents.setdefault((aid, model), []).append((s, e))
    w.execute("DROP TABLE temp.merge_scope")
    out = []
    for aid, model, key, name, at, length in rows:
        spans = ents.get((aid, model), [])
        marks = sents.get((aid, model), [])
        entities: object = _BAD_ROWS
        sentences: object = None
        if key is not None and _whole(spans, marks):
            try:
                entities = codec.pack_entities(spans)
                sentences = codec.pack_sentences(marks)
            except (ValueError, OverflowError, UnicodeEncodeError):  # negative, huge, surrogates
                entities = _BAD_ROWS
        out.append((key, name, at, length, entities, sentences))
    return out


def _whole(ents: list[tuple], sents: list[tuple]) -> bool:
    """Entity rows are (int, int, str) and sentence rows (int, int): exactly, as SQLite
    gives them (a REAL, TEXT or BLOB start is malformed, not something to convert)."""
    return all(type(s) is int and type(e) is int and type(lb) is str for s, e, lb in ents) and all(
        type(s) is int and type(e) is int for s, e in sents
    )
