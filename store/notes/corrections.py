"""A reader's corrections of an article's entities: relabel, remove, mark a passage as an
entity, alias a mention into a group, split it out, name a group, reset. Each is one
stamped fact (entity_corrections) naming a span of the text, written with the rebuild of
the article's entity index in the same transaction; what they mean is
store.core.corrected's. They survive re-analysis by any model (they name text, not model
output), and move to a new version of the article as a note's anchor does (`carry_over`).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any, NamedTuple

from store.core import codec, corrected, entity_index
from store.core.errors import InvalidInput, NotFound
from store.core.handle import Handle
from store.core.ids import derived_id, new_id
from store.core.models import Anchor, Entity
from store.core.sanitize import clean

MAX_NAME_CHARS = 200
MAX_LABEL_CHARS = 32
_LABEL = re.compile(r"[A-Z][A-Z0-9_]*")
_NEEDS_ENTITY = ("remove", "alias", "split", "name")


class Correction(NamedTuple):
    """One correction as listed: its span, what it says, and whether its span still holds
    its text (a new version of the article may have changed it)."""

    id: str
    article_id: str
    start: int
    end: int
    exact: str
    kind: str
    value: str | None
    hlc: str
    device: str
    applied: bool

    def to_json(self) -> dict[str, Any]:
        return self._asdict()


def label_of(value: str | None) -> str:
    """A valid label: a built-in one, or an upper-case word of at most 32 characters."""
    label = (value or "").strip().upper()
    if label in codec.BUILTIN_LABELS:
        return label
    if not _LABEL.fullmatch(label) or len(label) > MAX_LABEL_CHARS:
        raise InvalidInput(
            f"label {value!r} is not a label: use one of {', '.join(codec.BUILTIN_LABELS)}"
            " or an upper-case word of at most 32 characters"
        )
    return label


def name_of(value: str | None, empty: bool = False) -> str:
    """A valid group name: cleaned, whitespace collapsed, 1-200 characters (or empty,
    when `empty`: a group's automatic name)."""
    name = " ".join(clean(value or "").split())
    if not name and not empty:
        raise InvalidInput("the name is empty")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"name too long ({len(name)} characters; the limit is 200)")
    return name


def _article(h: Handle, article_id: str) -> tuple[int, str]:
    row = h.conn.execute("SELECT key, text FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        raise NotFound(f"no article with id {article_id!r}")
    return row[0], row[1]


def effective_entities(conn: sqlite3.Connection, key: int, text: str) -> tuple[Entity, ...]:
    """An article's entities as the reader sees them (its index entry)."""
    current = entity_index.current_analysis(conn, key)
    if current is None:
        return ()
    row = conn.execute("SELECT groups FROM entity_groups WHERE article = ?", (key,)).fetchone()
    return entity_index.read_entities(text, current[1], row[0] if row else None)


def correct(
    h: Handle, article_id: str, start: int, end: int, kind: str, value: str | None = None
) -> Correction:
    """Record one correction of text[start:end] and apply it at once. kind: label (the
    span is an entity with label `value`: a relabel, or a mark of a passage), remove,
    alias (into the group named `value`), split, name (the group's name is `value`; empty:
    the automatic name), reset. InvalidInput, one line, when it cannot be."""
    if kind not in corrected.KINDS:
        raise InvalidInput(f"unknown correction {kind!r} (one of {', '.join(corrected.KINDS)})")
    key, text = _article(h, article_id)
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
        raise InvalidInput(f"passage {start}..{end} is outside the article")
    exact = text[start:end]
    if kind == "label":
        value = label_of(value)
    elif kind in ("alias", "name"):
        value = name_of(value, empty=kind == "name")
    else:
        value = None
    if kind in _NEEDS_ENTITY and not any(
        (e.start, e.end) == (start, end) for e in effective_entities(h.conn, key, text)
    ):
        raise InvalidInput(
            f"no entity at {start}..{end} ({exact[:40]!r}); mark it first with a label"
        )
    with h.write() as conn:
        stamp = h.stamp(conn)
        cid = new_id()
        conn.execute(
            "INSERT INTO entity_corrections (correction_id, article, pos_start, pos_end, exact,"
            " kind, value, hlc, device) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cid, key, start, end, exact, kind, value, stamp, h.device_id),
        )
        entity_index.rebuild_entities(conn, [key])
    return Correction(cid, article_id, start, end, exact, kind, value, stamp, h.device_id, True)


def corrections(h: Handle, article_id: str | None = None) -> list[Correction]:
    """One article's corrections, or those of every current article (not superseded by a
    newer version: its corrections moved there), latest first, each saying whether it
    applies to the article's text."""
    sql = (
        "SELECT c.correction_id, a.id, c.pos_start, c.pos_end, c.exact, c.kind, c.value, c.hlc,"
        " c.device, substr(a.text, c.pos_start + 1, c.pos_end - c.pos_start) = c.exact"
        " AND c.pos_start >= 0 AND c.pos_end <= length(a.text)"
        " FROM entity_corrections c JOIN articles a ON a.key = c.article"
    )
    if article_id is not None:
        sql += " WHERE c.article = ?"
        args: list[object] = [_article(h, article_id)[0]]
    else:
        sql += (
            " WHERE c.article NOT IN (SELECT article FROM article_state"
            " WHERE superseded_by IS NOT NULL)"
        )
        args = []
    sql += " ORDER BY c.hlc DESC, c.correction_id DESC"
    return [Correction(*row[:9], bool(row[9])) for row in h.conn.execute(sql, args)]


def carry_over(conn: sqlite3.Connection, old: tuple[str, int], new: tuple[str, int]) -> int:
    """Copy the corrections of an article's old version (public id, key) to its new one,
    each span re-anchored in the new text as a note is (store.notes.anchoring); one whose
    passage is gone keeps its old span and quote, listed as not applied. The copies keep
    their stamps and have ids derived from their inputs, so two machines that import the
    same new version write the same facts. Returns how many were copied."""
    from store.notes.anchoring import reanchor

    rows = conn.execute(
        "SELECT correction_id, pos_start, pos_end, exact, kind, value, hlc, device"
        " FROM entity_corrections WHERE article = ?",
        (old[1],),
    ).fetchall()
    if not rows:
        return 0
    old_text = conn.execute("SELECT text FROM articles WHERE key = ?", (old[1],)).fetchone()[0]
    new_text = conn.execute("SELECT text FROM articles WHERE key = ?", (new[1],)).fetchone()[0]
    for cid, s, e, exact, kind, value, hlc, device in rows:
        place = None
        if corrected.applies(old_text, s, e, exact):
            place = reanchor(Anchor.from_range(old_text, s, e), new_text)
        if place is not None and new_text[place[0] : place[1]] == exact:
            s, e = place  # (a fuzzy place with other text would not apply: keep the old)
        conn.execute(
            "INSERT OR IGNORE INTO entity_corrections (correction_id, article, pos_start,"
            " pos_end, exact, kind, value, hlc, device) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (derived_id("entity-fix", cid, new[0]), new[1], s, e, exact, kind, value, hlc,
             device),
        )  # fmt: skip
    entity_index.rebuild_entities(conn, [new[1]])
    return len(rows)


def training_data(h: Handle) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """(text, effective entity spans) of every current article with a correction that
    applies: what a model trained on the reader's own reading should find."""
    keys = [
        r[0]
        for r in h.conn.execute(
            "SELECT DISTINCT c.article FROM entity_corrections c JOIN articles a"
            " ON a.key = c.article JOIN article_state s ON s.article = c.article"
            " WHERE s.superseded_by IS NULL ORDER BY a.id"
        )
    ]
    out = []
    for key in keys:
        text = h.conn.execute("SELECT text FROM articles WHERE key = ?", (key,)).fetchone()[0]
        current = entity_index.current_analysis(h.conn, key)
        fixes = entity_index.fixes(h.conn, key)
        if current is None or not corrected.decisions(text, fixes):
            continue
        eff = corrected.effective(text, codec.unpack_entities(current[1]), fixes)
        out.append((text, eff.mentions))
    return out


def export_training(h: Handle, base: str) -> dict[str, int]:
    """Write every corrected article as spaCy training data: `base`.spacy (a DocBin, each
    doc's entities its effective ones) and `base`.jsonl ({"text", "spans": [{"start",
    "end", "label"}]}, the exact character spans). A span off the tokens is widened to
    them (char_span's "expand"); one that then overlaps another is left out of the DocBin
    and counted. spaCy is imported here only. Returns docs, spans and skipped counts."""
    import json

    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    docs = DocBin()
    counts = {"docs": 0, "spans": 0, "skipped": 0}
    with open(f"{base}.jsonl", "w", encoding="utf-8") as jsonl:
        for text, mentions in training_data(h):
            doc = nlp.make_doc(text)
            ents, taken = [], set()
            for s, e, label in mentions:
                span = doc.char_span(s, e, label=label)
                if span is None:
                    span = doc.char_span(s, e, label=label, alignment_mode="expand")
                tokens = set(range(span.start, span.end)) if span is not None else set()
                if span is None or not tokens or tokens & taken:
                    counts["skipped"] += 1
                    continue
                taken |= tokens
                ents.append(span)
            doc.ents = ents
            docs.add(doc)
            spans = [{"start": s, "end": e, "label": label} for s, e, label in mentions]
            jsonl.write(json.dumps({"text": text, "spans": spans}, ensure_ascii=False) + "\n")
            counts["docs"] += 1
            counts["spans"] += len(ents)
    docs.to_disk(f"{base}.spacy")
    return counts
