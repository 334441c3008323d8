"""The baseline of the start-up bench: a bare Textual app (a header and a line of text), run
through the same terminal as `gloss` and timed to the same kind of complete screen."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Header, Static

TEXT = "hello from a bare Textual app"


class Bare(App[None]):
    TITLE = "bare"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(TEXT)


if __name__ == "__main__":
    Bare().run()
