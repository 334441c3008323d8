"""The baseline of the keys bench: a bare Textual app with a 2,000-row OptionList whose
cursor `j` and `k` move, run through the same terminal as `gloss` (bench/keys_bench.py)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Header, OptionList

ROWS = 2_000


class Rows(OptionList):
    BINDINGS = [Binding("j", "cursor_down"), Binding("k", "cursor_up")]


class BareList(App[None]):
    TITLE = "bare list"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Rows(*(f"row {i} " + "word " * 12 for i in range(ROWS)))


if __name__ == "__main__":
    BareList().run()
