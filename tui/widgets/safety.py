"""The last line of defence between stored text and the terminal.

The store sanitises text once, at import (`store.core.sanitize`), and gloss never parses stored
text as markup. But a library file is input too (an old one, a damaged one, somebody else's),
and text also reaches the screen from elsewhere: file names in import and sync messages,
error messages. Neither Rich nor Textual drops escape characters from text they are given, so
an ESC in any of it would be written to the terminal as is.

`TerminalSafe` is a Textual line filter applied to every line of every widget just before it
is written: it removes control characters (C0, DEL, C1: none belongs in a rendered line) and
the bidi embedding, override and isolate characters. All of them are zero
cells wide to Rich, so removing them changes no layout.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Characters that must never reach the terminal from a rendered line."""
_REMOVE = dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F),
                         *range(0x2066, 0x206A)])  # fmt: skip


def terminal_safe(text: str) -> str:
    """`text` without the characters in UNSAFE."""
    return text.translate(_REMOVE) if UNSAFE.search(text) else text


class TerminalSafe(LineFilter):
    """Removes UNSAFE characters from the text of every rendered line, after applying the
    filters Textual would have applied (`textual_filters`, called for each line, so a filter
    switched on or off later is honoured). Textual makes a new Strip for every line a filter
    touches, so doing all in one filter costs no more than Textual's own colour filter alone.
    """

    def __init__(self, textual_filters: Callable[[], Sequence[LineFilter]] = tuple) -> None:
        super().__init__()
        self.textual_filters = textual_filters

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        for line_filter in self.textual_filters():
            segments = line_filter.apply(segments, background)
        if not UNSAFE.search("".join([s.text for s in segments])):
            return segments  # the usual case: one search over the line
        return [
            segment if segment.control else Segment(terminal_safe(segment.text), segment.style)
            for segment in segments
        ]
