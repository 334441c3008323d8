"""The baseline of the keys bench's reader key: a bare Textual app showing one article (a
title line and its paragraphs in a scrolling container) whose `]` shows the next one, the
articles made in memory beforehand, run through the same terminal as `gloss`
(bench/keys_bench.py). What it costs Textual alone to paint a new screen of text."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

ARTICLES = 500
WORDS = "the strongest objections during the planning process came from the fishing".split()


def article(i: int) -> tuple[str, str]:
    """Article `i`: a title, and a dozen paragraphs of text that differ from the others'."""
    words = WORDS[i % len(WORDS) :] + WORDS[: i % len(WORDS)]
    paragraphs = [f"Dispatch {i}." + (" " + " ".join(words)) * 6 for _ in range(12)]
    return f"article {i}: " + " ".join(words[:6]), "\n\n".join(paragraphs)


class BareReader(App[None]):
    TITLE = "bare reader"
    BINDINGS = [Binding("right_square_bracket", "next", "Next")]

    def __init__(self) -> None:
        super().__init__()
        self.articles = [article(i) for i in range(ARTICLES)]
        self.at = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.articles[0][0], id="title", markup=False)
        with VerticalScroll():
            yield Static(self.articles[0][1], id="body", markup=False)

    def action_next(self) -> None:
        self.at = (self.at + 1) % ARTICLES
        title, body = self.articles[self.at]
        self.query_one("#title", Static).update(title)
        self.query_one("#body", Static).update(body)


if __name__ == "__main__":
    BareReader().run()
