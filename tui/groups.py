"""An article's entity groups as the reader shows them: one row per group (its canonical
name, its label, its mentions and the other ways the text writes it).

Pure data from the `Entity` tuples the store gives with the article (each carries its
group's index and canonical name): no Textual, no database, no spaCy. A group's label is
the one most of its mentions written as the canonical name have (as the store's grouping
chooses it), else the one most of all its mentions have; so "Xi", which the model once
called ORG, shows in the colour of the PERSON group it belongs to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from store.core.entity_groups import NAME_LABELS, group_label
from store.core.models import Entity


class GroupRow(NamedTuple):
    """One entity of an article: its group index, canonical name and label, its mentions
    in text order, and the other spellings of its mentions (in order of first use)."""

    group: int
    canonical: str
    label: str
    mentions: tuple[Entity, ...]
    aliases: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.mentions)


def _key(e: Entity) -> int | tuple[int, int]:
    """The group of a mention; an ungrouped one (-1) is a group of its own."""
    return e.group if e.group >= 0 else (e.start, e.end)


def _label(canonical: str, mentions: Sequence[Entity]) -> str:
    return group_label(canonical, ((e.text, e.label) for e in mentions))


def article_groups(entities: Iterable[Entity]) -> list[GroupRow]:
    """The groups of an article's mentions, in order of first mention."""
    members: dict[int | tuple[int, int], list[Entity]] = {}
    for e in entities:
        members.setdefault(_key(e), []).append(e)
    rows = []
    for ments in members.values():
        first = ments[0]
        canonical = first.canonical or first.text
        seen = {" ".join(canonical.split())}
        aliases = []
        for e in ments:
            shown = " ".join(e.text.split())
            if shown not in seen:
                seen.add(shown)
                aliases.append(shown)
        group = first.group if first.group >= 0 else -1
        rows.append(GroupRow(group, canonical, _label(canonical, ments), tuple(ments),
                             tuple(aliases)))  # fmt: skip
    return rows


def label_of_mentions(groups: Iterable[GroupRow]) -> dict[tuple[int, int], str]:
    """Each mention's (start, end) -> its group's label: the colour it is shown in."""
    return {(e.start, e.end): g.label for g in groups for e in g.mentions}


def group_label_counts(groups: Iterable[GroupRow]) -> list[tuple[str, int]]:
    """Labels with their number of groups, most first (the legend order)."""
    counts = Counter(g.label for g in groups)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def ranked_groups(groups: Iterable[GroupRow]) -> list[GroupRow]:
    """Names first (PERSON, ORG, GPE, ...), then numbers, dates and the other values; the
    most mentioned first within each."""
    return sorted(groups, key=lambda g: (g.label not in NAME_LABELS, -g.count, g.label,
                                         g.canonical))  # fmt: skip


def group_at(groups: Iterable[GroupRow], start: int, end: int) -> list[GroupRow]:
    """The groups with a mention inside [start, end), in order of that first mention."""
    found = []
    for g in groups:
        inside = [e.start for e in g.mentions if e.start < end and e.end > start]
        if inside:
            found.append((inside[0], g))
    return [g for _, g in sorted(found, key=lambda x: x[0])]
