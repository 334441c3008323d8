"""The session's undo stack: each edit made since the app started, with how to undo it.

An undo is a new fact written through the same store API an edit uses (an event, a note
revision), so it syncs like any edit; no history is ever deleted. The edits here are
`Change`s (`(lib, article_id) -> object`, run in a screen's write worker) that do the edit
and push the step undoing it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from store import Library
from store.core.models import Filter, Note
from tui.words import plural

Change = Callable[[Library, str], object]


@dataclass(frozen=True)
class Step:
    """One edit that can be undone."""

    what: str
    """What the edit was, as "Undid: …" says it: 'star on “Title”'."""
    revert: Callable[[Library], object]
    """Writes the new fact undoing the edit (in a worker)."""
    article_id: str | None = None
    """The article it changed, if one (a reader showing it fetches it again)."""


class UndoStack:
    """The steps of this session, the latest last; safe to use from worker threads."""

    LIMIT = 1000

    def __init__(self) -> None:
        self._steps: list[Step] = []
        self._lock = threading.Lock()

    def push(self, step: Step) -> None:
        with self._lock:
            self._steps.append(step)
            del self._steps[: -self.LIMIT]

    def pop(self) -> Step | None:
        with self._lock:
            return self._steps.pop() if self._steps else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._steps)


def stack_of(app: Any) -> UndoStack:
    """The app's undo stack (made on first use, for an app other than GlossApp)."""
    stack = getattr(app, "undo_stack", None)
    if not isinstance(stack, UndoStack):
        stack = UndoStack()
        app.undo_stack = stack
    return stack


def _on(what: str, title: str) -> str:
    return f"{what} on “{title}”"


# -- edits that can be undone ------------------------------------------------------------------


def star(stack: UndoStack) -> Change:
    """Star the article, or take its star away."""

    def change(lib: Library, aid: str) -> None:
        was = lib.summary(aid)
        lib.set_starred(aid, not was.starred)
        what = "unstar" if was.starred else "star"
        stack.push(Step(_on(what, was.title), lambda lib: lib.set_starred(aid, was.starred), aid))

    return change


def toggle_read(stack: UndoStack) -> Change:
    """Mark the article read, or unread."""

    def change(lib: Library, aid: str) -> None:
        was = lib.summary(aid)
        lib.set_read(aid, not was.read)
        what = "marking unread" if was.read else "marking read"
        stack.push(Step(_on(what, was.title), lambda lib: lib.set_read(aid, was.read), aid))

    return change


def tag(stack: UndoStack, add: Sequence[str], remove: Sequence[str]) -> Change:
    """Add and remove tags; the undo reverses what changed (a tag it already had stays)."""

    def change(lib: Library, aid: str) -> None:
        was = lib.summary(aid)
        now = lib.tag(aid, add=list(add), remove=list(remove))
        added = sorted(set(now) - set(was.tags))
        removed = sorted(set(was.tags) - set(now))
        if not added and not removed:
            return
        words = " ".join([*(f"+{t}" for t in added), *(f"-{t}" for t in removed)])
        stack.push(
            Step(
                _on(f"tags {words}", was.title),
                lambda lib: lib.tag(aid, add=removed, remove=added),
                aid,
            )
        )

    return change


def add_note(
    stack: UndoStack, body: str, start: int | None = None, end: int | None = None
) -> Change:
    """A note (on a passage, or the whole article), or a highlight when body is empty."""

    def change(lib: Library, aid: str) -> Note:
        note = lib.add_note(aid, body, start, end)
        what = "highlight" if note.is_highlight else "note"
        title = lib.summary(aid).title
        stack.push(Step(_on(f"new {what}", title), lambda lib: lib.delete_note(note.id), aid))
        return note

    return change


def edit_note(stack: UndoStack, note: Note, body: str) -> Change:
    """A note's new text; the undo is a revision with the text it had."""

    def change(lib: Library, aid: str) -> Note:
        edited = lib.edit_note(note.id, body)
        title = lib.summary(note.article_id).title
        stack.push(
            Step(
                _on("editing the note", title),
                lambda lib: lib.edit_note(note.id, note.body),
                note.article_id,
            )
        )
        return edited

    return change


def delete_note(stack: UndoStack, note: Note) -> Change:
    """Delete a note or highlight; the undo brings it back (a new revision)."""

    def change(lib: Library, aid: str) -> None:
        lib.delete_note(note.id)
        what = "highlight" if note.is_highlight else "note"
        title = lib.summary(note.article_id).title
        stack.push(
            Step(
                _on(f"deleting the {what}", title),
                lambda lib: lib.restore_note(note.id),
                note.article_id,
            )
        )

    return change


def mark_read(stack: UndoStack, lib: Library, filters: Filter, view: str) -> int:
    """Mark every article of a view read, in one store call; one step undoes it all.
    The number of articles that changed (none: no step)."""
    ids = lib.set_read_many(filters)
    if ids:
        stack.push(
            Step(
                f"marking {plural(len(ids), 'article')} read in “{view}”",
                lambda lib: lib.set_read_many(ids=ids, read=False),
            )
        )
    return len(ids)
