"""The entity index: an article's entity groups (its latest analysis with its corrections
applied, grouped by store.core.entity_groups) stored in entity_groups, posted as one
entity per (normalised canonical name, label): entity_names (its canonical spelling, its
totals over all articles), entity_articles (article, mentions) and entity_aliases (the
other names it goes by), plus article_state.labels, a bit per built-in label the article
mentions. `rebuild_entities` replaces an article's postings; `forget_entities` removes
them, reading only the article's entity_groups row (what it posted), so it may run before
or after the analysis or corrections change.

entity_groups.groups (format 2): byte 0 the format; byte 1 flags (bit 0: the effective
mentions differ from the analysis', and follow as a varint length and a codec entities
blob); varint n mentions; n varints, each mention's group; varint g groups; g varints, each
group's name: m + 1 when it is the text of mention m (most are), else 0; then the names
that are not, in group order, joined by U+001F (which sanitised text never holds) as varint
length + UTF-8. (Format 1, still read, joined every name: three times the analysis' size.)
entity_groups.posted: varint count, then per entity its entity_names key, varint a, and a
alias keys (varint length + UTF-8).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Sequence

from store.core import codec, corrected, entity_groups
from store.core.codec import _read, _varints
from store.core.corrected import Fix, Mention
from store.core.models import Entity

_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
FORMAT = 2
_CHANGED = 1


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


def fixes(conn: sqlite3.Connection, key: int) -> list[Fix]:
    """An article's corrections (one indexed range read)."""
    return [
        Fix(*row)
        for row in conn.execute(
            "SELECT correction_id, pos_start, pos_end, exact, kind, value, hlc"
            " FROM entity_corrections WHERE article = ?",
            (key,),
        )
    ]


# -- the entity_groups blobs ----------------------------------------------------------------


def _strings(out: bytearray, values: Iterable[str]) -> None:
    for value in values:
        raw = value.encode()
        _varints(out, [len(raw)])
        out += raw


def _string(buf: bytes, pos: int) -> tuple[str, int]:
    (n,), pos = _read(buf, pos, 1)
    if n > len(buf) - pos:
        raise ValueError("truncated name")
    return buf[pos : pos + n].decode(), pos + n


def pack_groups(
    mentions: Sequence[Mention], groups: Sequence[entity_groups.Group], changed: bool,
    text: str,
) -> bytes:  # fmt: skip
    """The groups blob of an article (see the module docstring)."""
    out = bytearray([FORMAT, _CHANGED if changed else 0])
    if changed:
        ents = codec.pack_entities(mentions)
        _varints(out, [len(ents)])
        out += ents
    of = [0] * len(mentions)
    for g, grp in enumerate(groups):
        for i in grp.members:
            of[i] = g
    named, spelled = [], []
    for grp in groups:
        at = next((i for i in grp.members
                   if text[mentions[i][0] : mentions[i][1]] == grp.canonical), None)  # fmt: skip
        named.append(0 if at is None else at + 1)
        if at is None:
            spelled.append(grp.canonical)
    _varints(out, [len(mentions), *of, len(groups), *named])
    _strings(out, ["\x1f".join(spelled)])
    return bytes(out)


def unpack_groups(
    buf: bytes, text: str, model: Sequence[Mention] = ()
) -> tuple[list[Mention] | None, list[int], list[str]]:
    """(the effective mentions when they differ from the analysis', else None; each
    mention's group; the groups' canonical names). A format-2 name is the text of one of the
    effective mentions: the blob's own, else `model` (the analysis' mentions). ValueError
    for a damaged blob."""
    if len(buf) < 2 or buf[0] not in (1, FORMAT):
        raise ValueError("unknown groups format")
    version, mentions, pos = buf[0], None, 2
    if buf[1] & _CHANGED:
        (n, ), pos = _read(buf, pos, 1)  # fmt: skip
        mentions = codec.unpack_entities(buf[pos : pos + n])
        pos += n
    (n,), pos = _read(buf, pos, 1)
    of, pos = _read(buf, pos, n)
    (g,), pos = _read(buf, pos, 1)
    named, pos = _read(buf, pos, g) if version == FORMAT else ([0] * g, pos)
    joined, pos = _string(buf, pos)
    if any(x >= g for x in of):
        raise ValueError("group out of range")
    spans = mentions if mentions is not None else model
    spelled = iter(joined.split("\x1f") if g else [])
    names = []
    for m in named:
        if m:
            if m > len(spans):
                raise ValueError("a name outside the mentions")
            s, e, _ = spans[m - 1]
            names.append(text[s:e])
        else:
            name = next(spelled, None)
            if name is None:
                raise ValueError("a group without a name")
            names.append(name)
    return mentions, of, names


def pack_posted(posted: Sequence[tuple[int, Collection[str]]]) -> bytes:
    out = bytearray()
    _varints(out, [len(posted)])
    for key, aliases in posted:
        _varints(out, [key, len(aliases)])
        _strings(out, sorted(aliases))
    return bytes(out)


def _unpack_posted(buf: bytes) -> list[tuple[int, list[str]]]:
    (n,), pos = _read(buf, 0, 1)
    out = []
    for _ in range(n):
        (key, a), pos = _read(buf, pos, 2)
        aliases = []
        for _ in range(a):
            name, pos = _string(buf, pos)
            aliases.append(name)
        out.append((key, aliases))
    return out


# -- reading ----------------------------------------------------------------------------------


def read_entities(text: str, analysis: bytes | None, groups: bytes | None) -> tuple[Entity, ...]:
    """An article's effective entities with their groups, from its analysis blob and its
    entity_groups blob (no grouping, no corrections read). Without a usable groups blob
    each mention is a group of its own, named as the text spells it."""
    model = codec.unpack_entities(analysis) if analysis is not None else []
    try:
        mentions, of, names = (
            unpack_groups(groups, text, model) if groups is not None else (None, [], [])
        )
    except ValueError:
        mentions, of, names = None, [], []
    if mentions is not None:
        model = mentions
    if len(of) != len(model):  # (no row yet, or one from other mentions: ungrouped)
        return tuple(
            Entity(s, e, label, text[s:e], text[s:e], i) for i, (s, e, label) in enumerate(model)
        )
    return tuple(
        Entity(s, e, label, text[s:e], names[g], g)
        for (s, e, label), g in zip(model, of, strict=True)
    )


# -- computing and posting ---------------------------------------------------------------------


class Computed:
    """One article's index entry: its effective mentions, groups and what to post."""

    def __init__(self, text: str, analysis: bytes, fixes_: Iterable[Fix]) -> None:
        eff = corrected.effective(text, codec.unpack_entities(analysis), fixes_)
        self.mentions = eff.mentions
        self.groups = entity_groups.group(text, eff.mentions, eff.join, eff.alone, eff.named)
        self.blob = pack_groups(eff.mentions, self.groups, eff.changed, text)
        self.labels = 0
        # {(name key, label): [canonical, mentions, alias keys]}; groups with one key merge
        self.entities: dict[tuple[str, str], list] = {}
        for grp in self.groups:
            self.labels |= label_bit(grp.label)
            key = (entity_groups.normal_key(grp.canonical), grp.label)
            entry = self.entities.setdefault(key, [grp.canonical, 0, set()])
            entry[0] = min(entry[0], grp.canonical)
            entry[1] += len(grp.members)
            for i in grp.members:
                s, e, _ = eff.mentions[i]
                entry[2].add(entity_groups.normal_key(text[s:e]))
        for (name_key, _), entry in self.entities.items():
            entry[2].discard(name_key)
            entry[2].discard("")


def forget_entities(conn: sqlite3.Connection, keys: Iterable[int]) -> None:
    """Remove these articles' postings from the entity index (and their share of the
    totals), as their entity_groups rows recorded them."""
    for key in dict.fromkeys(keys):
        row = conn.execute(
            "DELETE FROM entity_groups WHERE article = ? RETURNING posted", (key,)
        ).fetchone()
        if row is None:
            continue
        for ent, aliases in _unpack_posted(row[0]):
            _unpost(conn, key, ent, aliases)
        conn.execute("UPDATE article_state SET labels = 0 WHERE article = ?", (key,))


def _unpost(conn: sqlite3.Connection, key: int, ent: int, aliases: list[str]) -> None:
    gone = conn.execute(
        "DELETE FROM entity_articles WHERE entity = ? AND article = ? RETURNING mentions",
        (ent, key),
    ).fetchone()
    if gone is None:
        return
    conn.execute(
        "UPDATE entity_names SET articles = articles - 1, mentions = mentions - ? WHERE key = ?",
        (gone[0], ent),
    )
    conn.execute("DELETE FROM entity_names WHERE key = ? AND articles <= 0", (ent,))
    for alias in aliases:
        left = conn.execute(
            "UPDATE entity_aliases SET articles = articles - 1 WHERE name_key = ? AND entity = ?"
            " RETURNING articles",
            (alias, ent),
        ).fetchone()
        if left is not None and left[0] <= 0:
            conn.execute(
                "DELETE FROM entity_aliases WHERE name_key = ? AND entity = ?", (alias, ent)
            )


def post(conn: sqlite3.Connection, key: int, computed: Computed) -> None:
    """Post one article's computed entry (its old postings must be gone)."""
    posted = []
    for (name_key, label), (canonical, mentions, aliases) in computed.entities.items():
        ent = conn.execute(
            "SELECT key, text FROM entity_names WHERE name_key = ? AND label = ?",
            (name_key, label),
        ).fetchone()
        if ent is None:
            ent = conn.execute(
                "INSERT INTO entity_names (name_key, text, label) VALUES (?, ?, ?)"
                " RETURNING key, text",
                (name_key, canonical, label),
            ).fetchone()
        elif canonical < ent[1]:  # the name shown is the least spelling of its key
            conn.execute("UPDATE entity_names SET text = ? WHERE key = ?", (canonical, ent[0]))
        conn.execute(
            "INSERT INTO entity_articles (entity, article, mentions) VALUES (?, ?, ?)",
            (ent[0], key, mentions),
        )
        conn.execute(
            "UPDATE entity_names SET articles = articles + 1, mentions = mentions + ?"
            " WHERE key = ?",
            (mentions, ent[0]),
        )
        conn.executemany(
            "INSERT INTO entity_aliases (name_key, entity, articles) VALUES (?, ?, 1)"
            " ON CONFLICT (name_key, entity) DO UPDATE SET articles = articles + 1",
            [(alias, ent[0]) for alias in aliases],
        )
        posted.append((ent[0], aliases))
    conn.execute(
        "INSERT INTO entity_groups (article, groups, posted) VALUES (?, ?, ?)",
        (key, computed.blob, pack_posted(posted)),
    )
    conn.execute(
        "INSERT INTO article_state (article, labels) VALUES (?, ?)"
        " ON CONFLICT (article) DO UPDATE SET labels = excluded.labels",
        (key, computed.labels),
    )


def rebuild_entities(
    conn: sqlite3.Connection, keys: Iterable[int], fresh: Collection[int] = ()
) -> None:
    """Recompute the entity index of these articles from their latest analysis and their
    corrections: their old postings are removed (as their entity_groups rows say), new
    ones posted. `fresh`: keys of articles new in this transaction, which have no postings
    to forget."""
    keys = list(dict.fromkeys(keys))
    forget_entities(conn, [k for k in keys if k not in fresh])
    for key in keys:
        row = conn.execute("SELECT text FROM articles WHERE key = ?", (key,)).fetchone()
        current = current_analysis(conn, key)
        if row is None or current is None:
            continue
        post(conn, key, Computed(row[0], current[1], fixes(conn, key)))


def matching(name: str, label: str | None = None) -> tuple[str, list[object]]:
    """A subquery of the keys of the entities named `name` (its normal form) or going by
    it as an alias, with this label when given: two indexed lookups, whatever the size of
    the library."""
    key = entity_groups.normal_key(name)
    if label is None:
        return (
            "SELECT key FROM entity_names WHERE name_key = ?"
            " UNION SELECT entity FROM entity_aliases WHERE name_key = ?",
            [key, key],
        )
    return (
        "SELECT key FROM entity_names WHERE name_key = ? AND label = ?"
        " UNION SELECT a.entity FROM entity_aliases a JOIN entity_names n ON n.key = a.entity"
        " WHERE a.name_key = ? AND n.label = ?",
        [key, label, key, label],
    )
