"""Correcting the reader's entities (f): on an entity of the passage under the cursor (or
selected with v), change its label, remove it, merge it into another entity, split a
mention out of its group, rename it, or reset it; or mark words of the passage as an
entity. Each goes through `Library.correct_entity` in the reader's write worker, which
fetches the article again, so every view shows it at once; a notification says what
changed, and a refused one (a label that is not one) is a one-line notification.

A correction names one span. A group's label is the one most of its mentions have, so a
relabel (or a removal, or a merge) of one mention of a four-mention group would change
nothing visible: those apply to every mention of the group (one correction each). A split
and a mark are of one span; a rename needs one (any mention of the group).

A mixin of `ReaderScreen`, as `reader_notes.Annotating` is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.content import Content

from store import Library
from store.core.codec import BUILTIN_LABELS
from store.core.models import Article, Entity
from tui.groups import GroupRow

if TYPE_CHECKING:
    from tui.screens.reader_notes import Change
    from tui.widgets.article_view import ArticleView

LABEL_HINT = "One of " + ", ".join(BUILTIN_LABELS) + " (→ or tab completes)."
MARK = "Mark words of this passage as an entity…"

# (kind, menu entry); the value each asks for is asked in _ask
ACTIONS = (
    ("label", "Change its label…"),
    ("remove", "Not an entity: remove it"),
    ("alias", "Merge it into another entity…"),
    ("split", "Split this mention out of its group"),
    ("name", "Rename it…"),
    ("reset", "Back to the model's output"),
)


def _mentions(n: int) -> str:
    return f"{n} mention{'s' if n != 1 else ''}"


class EntityFixes:
    """f: the corrections menu on the passage's entities."""

    if TYPE_CHECKING:  # provided by ReaderScreen (and `app`, `notify` by its Screen)
        lib: Library
        article: Article | None
        groups: list[GroupRow]

        @property
        def view(self) -> ArticleView: ...

        def _groups_here(self) -> list[GroupRow]: ...
        def _edit(self, change: Change, done: str = "") -> None: ...

    def _push(self, screen: object, then: Callable[[object], None]) -> None:
        self.app.push_screen(screen, then)  # type: ignore[attr-defined]

    def action_fix_entity(self) -> None:
        """Choose the entity (or marking words), then what to do with it."""
        if self.article is None or self.view.selection_range() is None:
            return
        if self.lib.readonly:
            self.notify("The library is read-only.", severity="warning")  # type: ignore[attr-defined]
            return
        here = self._groups_here()
        if not here:
            self._mark()
            return
        from tui.screens.entity_dialogs import ChoiceScreen, group_prompt

        prompts = [group_prompt(g) for g in here] + [Content.styled(MARK, "italic")]

        def chosen(index: object) -> None:
            if isinstance(index, int):
                self._mark() if index == len(here) else self._actions(here[index])

        self._push(ChoiceScreen("Correct which entity?", prompts), chosen)

    def _here(self, g: GroupRow) -> Entity:
        """The group's first mention in the passage (the one a split takes out)."""
        start, end = self.view.selection_range() or (0, 0)
        return next((e for e in g.mentions if e.start < end and e.end > start), g.mentions[0])

    def _actions(self, g: GroupRow) -> None:
        from tui.screens.entity_dialogs import ChoiceScreen

        actions = [(k, text) for k, text in ACTIONS if k != "split" or g.count > 1]

        def chosen(index: object) -> None:
            if isinstance(index, int):
                self._ask(g, actions[index][0])

        heading = f"{g.canonical} ({g.label}, {_mentions(g.count)})"
        self._push(ChoiceScreen(heading, [Content(t) for _, t in actions]), chosen)

    def _ask(self, g: GroupRow, kind: str) -> None:
        """Ask for the value `kind` needs (if any), then apply it."""
        from tui.screens.entity_dialogs import ValuePrompt

        if kind == "label":
            prompt = ValuePrompt(f"New label for {g.canonical}", LABEL_HINT, "",
                                 [lab.lower() for lab in BUILTIN_LABELS])  # fmt: skip
            self._push(prompt, lambda v: v and self._apply(g, "label", str(v)))
        elif kind == "name":
            prompt = ValuePrompt(f"Rename {g.canonical}", "Empty: the automatic name.",
                                 g.canonical)  # fmt: skip
            self._push(prompt, lambda v: v is not None and self._apply(g, "name", str(v)))
        elif kind == "alias":
            self._merge(g)
        else:
            self._apply(g, kind, None)

    def _merge(self, g: GroupRow) -> None:
        """Choose the entity to merge into from the article's others, or type a name."""
        from tui.screens.entity_dialogs import ChoiceScreen, ValuePrompt, group_prompt

        others = [o for o in self.groups if o is not g and o.canonical != g.canonical]
        typed = Content.styled("Type a name…", "italic")

        def chosen(index: object) -> None:
            if not isinstance(index, int):
                return
            if index < len(others):
                self._apply(g, "alias", others[index].canonical)
                return
            prompt = ValuePrompt(f"Merge {g.canonical} into", "The name of an entity.")
            self._push(prompt, lambda v: v and self._apply(g, "alias", str(v)))

        prompts = [group_prompt(o) for o in others] + [typed]
        self._push(ChoiceScreen(f"Merge {g.canonical} into", prompts), chosen)

    def _apply(self, g: GroupRow, kind: str, value: str | None) -> None:
        """Write the corrections in the reader's write worker; say what changed."""
        one = self._here(g) if kind == "split" else g.mentions[0]
        if kind in ("split", "name"):
            spans = [(one.start, one.end)]
        else:
            spans = [(e.start, e.end) for e in g.mentions]
        n = _mentions(len(spans))
        done = {
            "label": f"{g.canonical}: {n} relabelled {(value or '').upper()}.",
            "remove": f"{g.canonical}: {n} removed.",
            "alias": f"{g.canonical}: {n} merged into {value}.",
            "split": f"{one.text}: split out of {g.canonical}.",
            "name": f"{g.canonical} renamed {value}."
            if value
            else f"{g.canonical}: named automatically.",
            "reset": f"{g.canonical}: {n} back to the model's output.",
        }[kind]

        def change(lib: Library, aid: str) -> None:
            for start, end in spans:
                lib.correct_entity(aid, start, end, kind, value)

        self._edit(change, done)

    def _mark(self) -> None:
        """Ask for words of the passage, then their label, and mark them."""
        from tui.screens.entity_dialogs import ValuePrompt

        found = self.view.selection_range()
        if self.article is None or found is None:
            return
        start, end = found
        passage = self.article.text[start:end]

        def words(value: object) -> None:
            if not value:
                return
            at = passage.find(str(value))
            if at < 0:
                self.notify(f"“{value}” is not in this passage.", severity="warning",  # type: ignore[attr-defined]
                            markup=False)  # fmt: skip
                return
            span = (start + at, start + at + len(str(value)))
            prompt = ValuePrompt(f"Label for “{value}”", LABEL_HINT, "",
                                 [lab.lower() for lab in BUILTIN_LABELS])  # fmt: skip
            self._push(prompt, lambda label: label and self._mark_span(span, str(label)))

        hint = "The words exactly as the passage writes them (the first place they appear)."
        self._push(ValuePrompt("Mark as an entity", hint), words)

    def _mark_span(self, span: tuple[int, int], label: str) -> None:
        start, end = span
        exact = self.article.text[start:end] if self.article else ""
        self._edit(lambda lib, aid: lib.correct_entity(aid, start, end, "label", label),
                   f"“{exact}” marked {label.upper()}.")  # fmt: skip
