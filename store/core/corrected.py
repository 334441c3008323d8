"""A reader's corrections applied to a model's entity mentions: the article's effective
mentions and what steers their grouping. Pure functions (no database, no spaCy), shared by
the entity index (store.core.entity_index), the corrections API (store.notes.corrections)
and the training-data export.

A correction names a span (start, end, exact) of one article's text; one whose exact text
is not at its span any more (a new version changed it) is kept but does not apply. For
each span the latest correction (by hlc, then correction id) of each class decides:
status {label, remove, reset}, grouping {alias, split, reset} and name {name}.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

KINDS = ("label", "remove", "alias", "split", "name", "reset")
_CLASSES = {
    "label": ("status",),
    "remove": ("status",),
    "alias": ("grouping",),
    "split": ("grouping",),
    "name": ("name",),
    "reset": ("status", "grouping"),
}

Mention = tuple[int, int, str]  # (start, end, label)


class Fix(NamedTuple):
    """One stored correction as the semantics need it."""

    correction_id: str
    start: int
    end: int
    exact: str
    kind: str
    value: str | None
    hlc: str


class Effective(NamedTuple):
    """An article's mentions after its corrections, and the `entity_groups.group` steering
    they imply (indexes into `mentions`)."""

    mentions: list[Mention]
    join: dict[int, str]
    alone: set[int]
    named: dict[int, str]
    changed: bool  # the mentions differ from the model's


def applies(text: str, start: int, end: int, exact: str) -> bool:
    """True when the correction's span still holds its text in `text`."""
    return 0 <= start < end <= len(text) and text[start:end] == exact


def decisions(text: str, fixes: Iterable[Fix]) -> dict[tuple[int, int], dict[str, Fix]]:
    """{span: {class: the deciding correction}} of the corrections that apply."""
    out: dict[tuple[int, int], dict[str, Fix]] = {}
    for fix in sorted(fixes, key=lambda f: (f.hlc, f.correction_id)):
        if fix.kind not in _CLASSES or not applies(text, fix.start, fix.end, fix.exact):
            continue
        for cls in _CLASSES[fix.kind]:
            out.setdefault((fix.start, fix.end), {})[cls] = fix
    return out


def effective(text: str, model: Sequence[Mention], fixes: Iterable[Fix]) -> Effective:
    """The model's mentions (sorted by start, end) with the corrections applied."""
    decided = decisions(text, fixes)
    if not decided:
        return Effective(list(model), {}, set(), {}, False)
    removed = {span for span, d in decided.items() if _kind(d, "status") == "remove"}
    # Marked spans, latest first: one overlapping a later mark does not apply (a doc's
    # entities may not overlap), and a model mention overlapping a mark gives way to it.
    marks = sorted(
        ((d["status"], span) for span, d in decided.items() if _kind(d, "status") == "label"),
        key=lambda m: (m[0].hlc, m[0].correction_id),
        reverse=True,
    )
    kept: dict[tuple[int, int], str] = {}
    for fix, span in marks:
        if not any(_overlap(span, other) for other in kept):
            kept[span] = fix.value or ""
    out = [
        (s, e, label)
        for s, e, label in model
        if (s, e) not in removed and not any(_overlap((s, e), k) for k in kept if k != (s, e))
    ]
    out = [(s, e, kept.get((s, e), label)) for s, e, label in out]
    present = {(s, e) for s, e, _ in out}
    out += [(s, e, label) for (s, e), label in kept.items() if (s, e) not in present]
    out.sort()
    index = {(s, e): i for i, (s, e, _) in enumerate(out)}
    join: dict[int, str] = {}
    alone: set[int] = set()
    named: dict[int, str] = {}
    for span, d in decided.items():
        i = index.get(span)
        if i is None:
            continue
        grouping = _kind(d, "grouping")
        if grouping == "alias" and d["grouping"].value:
            join[i] = d["grouping"].value
        elif grouping == "split":
            alone.add(i)
        if "name" in d and d["name"].value:  # an empty name: the automatic one again
            named[i] = d["name"].value
    return Effective(out, join, alone, named, out != list(model))


def _kind(decided: dict[str, Fix], cls: str) -> str | None:
    fix = decided.get(cls)
    return fix.kind if fix is not None else None


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]
