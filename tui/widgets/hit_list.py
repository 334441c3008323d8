"""Search results: one option per hit, its kind, its title, and the snippet with the matched
words marked. Titles and snippets are stored text: built as `Content` and styled by range."""

from __future__ import annotations

from collections.abc import Sequence

from textual.binding import Binding
from textual.content import Content
from textual.css.styles import RulesMap
from textual.geometry import Spacing
from textual.message import Message
from textual.strip import Strip
from textual.style import Style
from textual.visual import Padding, RenderOptions, Visual
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from store.find.search import Hit
from tui.contrast import MUTED
from tui.widgets.plain_cursor import PlainCursor

NOTE_MARK = "✎"
ARTICLE_MARK = "≡"
MATCH_STYLE = "bold underline $gloss-warning-text"  # (underlined: on the cursor, one colour)


def snippet_content(hit: Hit) -> Content:
    """The snippet with each matched range (`hit.marks`) styled."""
    snippet = Content(hit.snippet)
    for start, end in hit.marks:
        snippet = snippet.stylize(MATCH_STYLE, start, end)
    return snippet


def hit_title(hit: Hit) -> Content:
    """`✎ note on <title>` or `≡ <title>`."""
    if hit.kind == "note":
        head = Content.assemble((NOTE_MARK + " ", "bold $gloss-success-text"), ("note on ", MUTED))
    else:
        head = Content.styled(ARTICLE_MARK + " ", "bold $gloss-accent-text")
    return head + Content.styled(hit.title, "bold")


class HitPrompt(Visual):
    """How one hit reads: its title line, then the snippet wrapped with a hanging indent."""

    def __init__(self, hit: Hit) -> None:
        self.title = hit_title(hit)
        self.snippet = snippet_content(hit)
        self._parts: list[Visual] = [self.title]
        if self.snippet:
            self._parts.append(Padding(self.snippet, Spacing(0, 0, 0, 2)))

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        strips: list[Strip] = []
        for part in self._parts:
            strips += part.render_strips(width, None, style, options)
        return strips if height is None else strips[:height]

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return max(p.get_optimal_width(rules, container_width) for p in self._parts)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return sum(p.get_height(rules, width) for p in self._parts)


class HitList(PlainCursor):
    """The hits of the current query; enter (or a click) opens one in the reader."""

    HELP_TITLE = "Search results"
    DEFAULT_CSS = """
    HitList {
        height: 1fr;
        border: none;
        padding: 0 1;
        background: $surface;
        color: $gloss-body-text;
        & > .option-list--separator { color: $gloss-guide; }
        & > .option-list--option-highlighted {
            color: $gloss-cursor-blurred-text;
            background: $gloss-cursor-blurred-background;
        }
        &:focus > .option-list--option-highlighted {
            color: $gloss-cursor-text;
            background: $gloss-cursor-background;
        }
    }
    """
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="lists.down"),
        Binding("k", "cursor_up", "Up", show=False, id="lists.up"),
        Binding("enter", "select", "Open", id="search.open"),
    ]

    class Open(Message):
        """Open this hit in the reader."""

        def __init__(self, hit: Hit) -> None:
            super().__init__()
            self.hit = hit

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.hits: tuple[Hit, ...] = ()

    def show(self, hits: Sequence[Hit], keep: bool = False) -> None:
        """Replace the hits; the first one is highlighted, or with `keep` (the same query run
        again) the one that was."""
        before = self.highlighted if keep else None
        self.hits = tuple(hits)
        self.clear_options()
        options: list[Option | None] = []
        for hit in self.hits:
            options += [Option(HitPrompt(hit)), None]  # None: a divider line between hits
        self.add_options(options[:-1])
        self.highlighted = min(before or 0, len(self.hits) - 1) if self.hits else None

    @property
    def current(self) -> Hit | None:
        """The highlighted hit."""
        index = self.highlighted
        return self.hits[index] if index is not None and index < len(self.hits) else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if (hit := self.current) is not None:
            self.post_message(self.Open(hit))
