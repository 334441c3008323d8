"""Grouping an article's entity mentions into one entity per real-world thing ("Xi" and
"Xi Jinping", "SCO" and "Shanghai Cooperation Organization"), and the normal form that
makes one entity of a name across the library. Pure functions over an article's text and
its (start, end, label) mentions: no spaCy, no database; run at import and re-analysis
(store.core.entity_index), never at read time.

The rules, each conservative (a wrong merge hides a person; a missed one is one more row):
- Names (the NAME_LABELS) are first grouped by their form: the text without a trailing
  possessive, a leading "the" or a leading title ("President Putin", "Mr. Denisov"), so
  "Xi's" is "Xi". Equal forms are one thing whatever label spaCy gave each: the small
  model calls "Xi" ORG once and "Sunak" ORG after "Rishi Sunak". Numbers, dates and the
  other value labels group by equal text and label, as before.
- A short form (one or more capitalised words that begin or end a longer PERSON name, or
  a name led by a personal title: "Xi", "Denisov", "Alan") joins that person when exactly
  one such name in the article fits, and, for one word, no other multi-word name of the
  article holds that word. "Baker" after "Tom Baker" and "Anna Baker" stays alone, as does
  "Stevenson" beside "Alan" and "Robert Stevenson". Order does not matter (a headline's
  "Putin" precedes "Vladimir Putin"). The short form's own label does not matter either.
- A PERSON name that begins with one person's name and ends with another's ("Putin Meets
  Xi Jinping", a headline) is two names run together: nobody's full name.
- An acronym ("SCO", "U.S.") joins the one multi-word name that introduced it in
  parentheses ("Shanghai Cooperation Organization (SCO)"), else the one non-PERSON name
  whose initials it spells; with two candidates it stays alone.
Each group's canonical name is its longest form ("Vladimir Putin", not "Putin's"), its
label the most frequent label of the mentions written that way. Cost is linear in the
mentions: dictionaries keyed by form, words and initials, never a scan over pairs.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import NamedTuple


class Group(NamedTuple):
    """One entity of an article: its canonical name and label, and its mentions (indexes
    into the mention list given to `group`, in text order)."""

    canonical: str
    label: str
    members: tuple[int, ...]


# The labels that name a thing; the others (CARDINAL, DATE, MONEY, ...) are values.
NAME_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
)

_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")

# Titles taken off a PERSON mention; only the honorifics below are taken off a name with
# another label, because "General Motors" and "King's College" are not people.
_HONORIFICS = frozenset(
    "mr mr. mrs mrs. ms ms. mx mx. dr dr. councillor councilor cllr cllr. senator sen. "
    "rep. congressman congresswoman ambassador".split()
)
_TITLES = _HONORIFICS | frozenset(
    "miss prof prof. professor sir dame lord lady president premier chancellor minister "
    "secretary governor gov. mayor judge justice king queen prince princess pope general "
    "gen. colonel col. captain capt. lieutenant lt. sergeant sgt. inspector detective "
    "father rev. reverend bishop archbishop rabbi imam sheikh chairman chairwoman "
    "spokesman spokeswoman president-elect".split()
)
# Words that may stand before a title in one ("Prime Minister", "Vice President").
_TITLE_LEADS = frozenset("prime vice deputy acting foreign interior defence defense".split())
_SUFFIXES = frozenset("jr jr. sr sr. ii iii iv".split())
_ACRONYM = re.compile(r"^(?:[A-Z]\.){2,}$|^[A-Z][A-Z&]{1,7}$")
# "Shanghai Cooperation Organization (SCO" is how the small model spans an introduction.
_OWN_PAREN = re.compile(r"\s*\(\s*([A-Z][A-Za-z&.]{1,9})\s*\)?$")
_NEXT_PAREN = re.compile(r"\s*\(\s*([A-Z][A-Za-z&.]{1,9})\s*\)")
_STOP = frozenset("of the and for in on at to de du des la le del di da a an &".split())
_MAX_WORDS = 6  # a longer "name" is a mis-span, never a person's full name


@functools.lru_cache(maxsize=1 << 16)  # (names repeat from article to article)
def normal_key(name: str) -> str:
    """The library-wide identity of a name: case-folded, whitespace collapsed, without a
    leading "the" or a trailing possessive."""
    text = " ".join(name.split())
    text = _POSSESSIVE.sub("", _THE.sub("", text))
    return text.casefold()


def group_label(canonical: str, mentions: Iterable[tuple[str, str]]) -> str:
    """A group's label from its mentions' (text, label): the one most of the mentions
    written as its canonical name have (as `group` chooses it), else the one most of all
    have; ties: the first. For readers of a stored group, which keeps no label."""
    key = normal_key(canonical)
    pairs = list(mentions)
    written = [lab for text, lab in pairs if normal_key(text) == key]
    counts = Counter(written or [lab for _, lab in pairs])
    return max(counts, key=lambda lab: counts[lab])


class _Form(NamedTuple):
    name: str  # as written, without possessive, "the" or title
    personal: bool  # a title said this is a person
    acronym: str | None  # introduced in the mention's own parentheses


@functools.lru_cache(maxsize=1 << 16)
def _form(raw: str, label: str) -> _Form:
    text, acronym = " ".join(raw.split()), None
    own = _OWN_PAREN.search(text)
    if own and own.start() > 0 and _introduces(text[: own.start()], own.group(1)):
        acronym, text = own.group(1), text[: own.start()]
    text = _POSSESSIVE.sub("", _THE.sub("", text)).strip()
    words = text.split()
    titles = _TITLES if label == "PERSON" else _HONORIFICS
    cut = 0
    for i, word in enumerate(words[:-1]):
        low = word.casefold()
        if low in titles:
            cut = i + 1
        elif low not in _TITLE_LEADS:
            break
    if cut and words[cut][:1].isupper():
        return _Form(" ".join(words[cut:]), True, acronym)
    return _Form(text, False, acronym)


def _name_words(name: str) -> list[str]:
    words = name.split()
    while len(words) > 1 and words[-1].casefold().rstrip(",") in _SUFFIXES:
        words.pop()
    return words


def _initials(name: str) -> set[str]:
    """Acronyms a multi-word name may go by: initials of every word or of the words that
    are not "of", "the", ..., each with hyphenated words as one or as several."""
    words = [w for w in re.split(r"\s+", name) if w[:1].isalpha()]
    out = set()
    for keep in (words, [w for w in words if w.casefold() not in _STOP]):
        out.add("".join(w[0] for w in keep).upper())
        out.add("".join(p[0] for w in keep for p in w.split("-") if p).upper())
    return {a for a in out if len(a) >= 2}


def _letters(acronym: str) -> str:
    return acronym.replace(".", "").replace("&", "").upper()


def _introduces(name: str, acronym: str) -> bool:
    """Whether an acronym in parentheses after a name can stand for it: it starts with the
    name's first letter and its letters are, in order, among the name's capitals
    ("Alasdair Munro (SNP)" is a party, not an acronym of him)."""
    letters = _letters(acronym)
    capitals = iter(c for c in name if c.isupper())
    return bool(letters) and letters[0] == name[:1].upper() and all(c in capitals for c in letters)


class _Sets:
    """Union-find over base groups."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, short: int, full: int) -> None:
        self.parent[self.find(short)] = self.find(full)


def _base(
    text: str, mentions: Sequence[tuple[int, int, str]], auto: list[int]
) -> tuple[list[list[int]], list[_Form]]:
    """Mentions grouped by equal form (names) or equal text and label (values)."""
    forms = [_Form("", False, None)] * len(mentions)
    keys: dict[tuple[str, str], int] = {}
    groups: list[list[int]] = []
    for i in auto:
        start, end, label = mentions[i]
        if label in NAME_LABELS:
            forms[i] = _form(text[start:end], label)
            key = (normal_key(forms[i].name) or f"\x00{i}", "")  # a blank span is nothing
        else:
            forms[i] = _Form(" ".join(text[start:end].split()), False, None)
            key = (normal_key(forms[i].name), label)
        if key not in keys:
            keys[key] = len(groups)
            groups.append([])
        groups[keys[key]].append(i)
    return groups, forms


def _aliases(
    text: str, mentions: Sequence[tuple[int, int, str]], groups: list[list[int]], forms: list[_Form]
) -> _Sets:
    """Join short forms to their person and acronyms to their expansion."""
    sets = _Sets(len(groups))
    names: dict[int, list[str]] = {}  # base group -> its name's words, for name groups only
    person: set[int] = set()
    for g, members in enumerate(groups):
        if mentions[members[0]][2] not in NAME_LABELS:  # a value: no aliases
            continue
        names[g] = _name_words(forms[members[0]].name)
        if any(mentions[i][2] == "PERSON" or forms[i].personal for i in members):
            person.add(g)
    compound = _compounds(names, person)
    affix: dict[tuple[str, ...], set[int]] = {}
    words: dict[str, set[int]] = {}
    initials: dict[str, set[int]] = {}
    defined: dict[str, set[int]] = {}
    for g, ws in names.items():
        if not 1 < len(ws) <= _MAX_WORDS or g in compound:  # its words are the others'
            continue
        low = tuple(w.casefold() for w in ws)
        for w in set(low):
            words.setdefault(w, set()).add(g)
        if g in person:
            for k in range(1, len(low)):
                affix.setdefault(low[:k], set()).add(g)
                affix.setdefault(low[k:], set()).add(g)
        else:
            for a in _initials(" ".join(ws)):
                initials.setdefault(a, set()).add(g)
        name = " ".join(ws)
        for i in groups[g]:
            after = _NEXT_PAREN.match(text, mentions[i][1])
            for acronym in (forms[i].acronym, after.group(1) if after else None):
                if acronym and _introduces(name, acronym):
                    defined.setdefault(_letters(acronym), set()).add(g)
    # Longer short forms first, so "Almeida Reis" has joined "Rui Almeida Reis" before
    # "Reis" asks which people it may be.
    for g in sorted(names, key=lambda g: (-len(names[g]), groups[g][0])):
        ws = names[g]
        if not ws:  # an empty or blank span
            continue
        if len(ws) < _MAX_WORDS and all(w[:1].isupper() for w in ws):
            low = tuple(w.casefold() for w in ws)
            found = {sets.find(c) for c in affix.get(low, ())} - {sets.find(g)}
            if len(found) == 1 and (len(ws) > 1 or _only(words.get(low[0], ()), found, g, sets)):
                sets.join(g, found.pop())
                continue
        if len(ws) == 1 and _ACRONYM.match(ws[0]):
            letters = _letters(ws[0])
            found = {sets.find(c) for c in defined.get(letters) or initials.get(letters, ())}
            if len(found - {sets.find(g)}) == 1:
                sets.join(g, (found - {sets.find(g)}).pop())
    return sets


def _only(holders: Collection[int], found: set[int], g: int, sets: _Sets) -> bool:
    """Whether the names holding a word are, but for g itself, the one person found."""
    return {sets.find(c) for c in holders} - {sets.find(g)} == found


def _compounds(names: Mapping[int, list[str]], person: Collection[int]) -> set[int]:
    """Person names that are two people's run together ("Putin Meets Xi Jinping", a
    headline the model spans as one PERSON): they begin with a part and end with another
    that each name some other person of the article (as their whole multi-word name, or
    as its start or end). Neither a full name to join nor a holder of words."""
    whole: dict[tuple[str, ...], set[int]] = {}
    for g in person:
        low = tuple(w.casefold() for w in names[g])
        if 1 < len(low) <= _MAX_WORDS:
            whole.setdefault(low, set()).add(g)
            for k in range(1, len(low)):
                whole.setdefault(low[:k], set()).add(g)
                whole.setdefault(low[k:], set()).add(g)
    out = set()
    for g in person:
        low = tuple(w.casefold() for w in names[g])
        if not 3 <= len(low) <= _MAX_WORDS:
            continue
        heads = [k for k in range(1, len(low)) if whole.get(low[:k], set()) - {g}]
        tails = [k for k in range(1, len(low)) if whole.get(low[-k:], set()) - {g}]
        if heads and tails and heads[0] + tails[0] <= len(low):
            out.add(g)
    return out


def _canonical(members: Sequence[int], forms: list[_Form], labels: list[str]) -> tuple[str, str]:
    """The longest form (the most frequent, then the first, among equally long ones) and
    the most frequent label of the mentions written that way."""
    counts = Counter(forms[i].name for i in members)
    first: dict[str, int] = {}
    for k, i in enumerate(members):
        first.setdefault(forms[i].name, k)
    name = max(counts, key=lambda n: (len(n), counts[n], -first[n]))
    written = Counter(labels[i] for i in members if forms[i].name == name)
    label = max(written, key=lambda lab: written[lab])
    return name, label


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
    alone = set(alone) - set(join)
    labels = [label for _, _, label in mentions]
    auto = [i for i in range(len(mentions)) if i not in join and i not in alone]
    groups, forms = _base(text, mentions, auto)
    sets = _aliases(text, mentions, groups, forms)
    merged: dict[int, list[int]] = {}
    for g, members in enumerate(groups):
        merged.setdefault(sets.find(g), []).extend(members)
    built: list[list] = []  # [members, canonical, label]
    for members in merged.values():
        built.append([sorted(members), *_canonical(sorted(members), forms, labels)])
    for i in sorted(alone):
        start, end, label = mentions[i]
        built.append([[i], _form(text[start:end], label).name, label])
    _rename(built, named)  # the user's names first: a join may ask for one
    for i in sorted(join):
        key, label = normal_key(join[i]), labels[i]
        same = [b for b in built if normal_key(b[1]) == key and b[0][0] not in alone]
        target = next((b for b in same if b[2] == label), same[0] if same else None)
        if target is None:
            built.append([[i], join[i], label])
        else:
            target[0] = sorted([*target[0], i])
    _rename(built, named)
    built.sort(key=lambda b: b[0][0])
    return [Group(name, label, tuple(members)) for members, name, label in built]


def _rename(built: list[list], named: Mapping[int, str]) -> None:
    """Give a group the name the user chose for one of its mentions (the first, if two)."""
    for b in built:
        chosen = next((named[i] for i in b[0] if i in named), None)
        if chosen is not None:
            b[1] = chosen
