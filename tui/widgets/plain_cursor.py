"""The highlighted option of a list in one colour: the cursor's.

An option's own colours (a warning-coloured heading, a match marked in the warning colour,
dim hints) are chosen to read on the list's background; on the cursor's background they fell
to 1.0-2.0:1 in most themes (a green heading on a blue cursor). On the highlighted option every
glyph takes the cursor's text colour (tui.contrast makes it read there) and keeps its bold,
italic and underline, which still tell the parts apart.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widgets import OptionList

HIGHLIGHTED = "option-list--option-highlighted"


class PlainCursor(OptionList):
    """An OptionList whose highlighted option is drawn in the cursor's colour only, on the
    cursor's background (tui.contrast: both read in every theme, focused or not)."""

    DEFAULT_CSS = """
    PlainCursor {
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

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        index, line = self.highlighted, self.scroll_offset.y + y
        lines = self._lines  # (option index, line in it) per line, as OptionList renders
        if index is None or not 0 <= line < len(lines) or lines[line][0] != index:
            return strip
        cursor = self.get_visual_style("option-list--option", HIGHLIGHTED).rich_style
        plain = Style(color=cursor.color, dim=False)
        return Strip(
            [  # (the divider drawn under an option is not on the cursor's background)
                Segment(text, style + plain, control)
                if style is not None and style.bgcolor == cursor.bgcolor
                else Segment(text, style, control)
                for text, style, control in strip
            ],
            strip.cell_length,
        )
