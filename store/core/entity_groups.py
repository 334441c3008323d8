"""Grouping an article's entity mentions into one entity per real-world thing ("Xi" and
"Xi Jinping", "SCO" and "Shanghai Cooperation Organization"), and the normal form that
makes one entity of a name across the library. Pure functions over an article's text and
its (start, end, label) mentions: no spaCy, no database; run at import and re-analysis
(store.core.entity_index), never at read time.

This first version groups mentions whose normalised text and label are equal (what the
entity index always did); the alias rules replace it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple


class Group(NamedTuple):
    """One entity of an article: its canonical name and label, and its mentions (indexes
    into the mention list given to `group`, in text order)."""

    canonical: str
    label: str
    members: tuple[int, ...]


_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")


def normal_key(name: str) -> str:
    """The library-wide identity of a name: case-folded, whitespace collapsed, without a
    leading "the" or a trailing possessive."""
    text = " ".join(name.split())
    text = _POSSESSIVE.sub("", _THE.sub("", text))
    return text.casefold()


def group(
    text: str,
    mentions: Sequence[tuple[int, int, str]],
    join: Mapping[int, str] | None = None,
    alone: Collection[int] = (),
    named: Mapping[int, str] | None = None,
) -> list[Group]:
    """The article's entities, in order of first mention. `mentions` are (start, end,
    label) sorted by start. Corrections steer it: `join[i]` puts mention i in the group
    whose canonical name is that (a group of its own under that name when there is none);
    `alone` mentions form groups of their own that nothing else joins; `named[i]` is the
    canonical name the user chose for mention i's group."""
    join, named = join or {}, named or {}
    groups: dict[tuple[str, str], list[int]] = {}
    for i, (start, end, label) in enumerate(mentions):
        if i in join:
            key = (normal_key(join[i]), label)
        elif i in alone:
            key = (f"\x00{i}", label)
        else:
            key = (normal_key(text[start:end]), label)
        groups.setdefault(key, []).append(i)
    out = []
    for (_, label), members in groups.items():
        names = [text[mentions[i][0] : mentions[i][1]] for i in members]
        chosen = next((named[i] for i in members if i in named), None)
        fixed = next((join[i] for i in members if i in join), None)
        canonical = chosen or fixed or max(names, key=lambda n: (len(n), n))
        out.append(Group(canonical, label, tuple(members)))
    return out
