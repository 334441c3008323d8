"""A compact column chart of counts by month, in Unicode blocks (eighths of a cell), for the
entity page: one column per month, a few rows tall, the months under it. Pure strings: the
screen colours them with theme variables."""

from __future__ import annotations

from collections.abc import Sequence

from tui.entity_view import months

_BLOCKS = " ▁▂▃▄▅▆▇█"


def columns(counts: Sequence[int], height: int = 4) -> list[str]:
    """Rows (top first) of a column per count, scaled to the largest; a count above zero
    shows at least a sliver, zero shows nothing."""
    most = max(counts, default=0)
    if most <= 0:
        return [" " * len(counts) for _ in range(height)]
    levels = [max(1, round(n * height * 8 / most)) if n > 0 else 0 for n in counts]
    rows = []
    for r in range(height):
        floor = (height - 1 - r) * 8
        rows.append("".join(_BLOCKS[max(0, min(8, level - floor))] for level in levels))
    return rows


class MonthChart:
    """The chart of a timeline ((YYYY-MM, articles) pairs, ascending) as plain lines: the
    last `width` months (a gap is a month with none), the most in a month on the left, the
    first and last month under the columns; `before` counts articles older than those."""

    def __init__(
        self, timeline: Sequence[tuple[str, int]], width: int = 60, height: int = 4
    ) -> None:
        every = months(tuple(timeline))
        shown = every[-width:]
        self.before = sum(n for _, n in every[: len(every) - len(shown)])
        self.months = [m for m, _ in shown]
        self.counts = [n for _, n in shown]
        self.most = max(self.counts, default=0)
        self.rows = columns(self.counts, height)

    def axis(self) -> str:
        """The first and last month, under the first and last column."""
        if not self.months:
            return ""
        first, last = self.months[0], self.months[-1]
        if first == last:
            return first
        gap = len(self.months) - len(first) - len(last)
        return first + " " * max(1, gap) + last if gap >= 1 else f"{first} – {last}"
