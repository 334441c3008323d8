"""Word-wrap article text into rows that keep their character offsets (no Textual here).

The reader renders rows lazily; each row knows which slice of the article text it shows, so
entities, highlights, notes and the cursor are styled by character range and the cursor can
be scrolled into view by finding the row that holds an offset.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len

_TOKEN = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Row:
    """One screen row of the article: text[start:end]; `heading` rows are section titles."""

    start: int
    end: int
    heading: bool = False


def wrap_line(line: str, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of one line into (start, end) offsets; long words are folded.
    Trailing spaces stay on the row they follow, so every character belongs to a row."""
    width = max(1, width)
    if cell_len(line) <= width:
        return [(0, len(line))]
    rows: list[tuple[int, int]] = []
    start, col = 0, 0
    for m in _TOKEN.finditer(line):
        word_start = m.start()
        word_end = word_start + len(m.group().rstrip())
        cells = cell_len(line[word_start:word_end])
        if col and col + cells > width:
            rows.append((start, word_start))
            start, col = word_start, 0
        while cells > width:  # a word wider than the row: fold it
            cut, used = word_start, 0
            while cut < word_end:
                w = cell_len(line[cut])
                if used + w > width and used:
                    break
                used += w
                cut += 1
            rows.append((start, cut))
            start = word_start = cut
            cells = cell_len(line[word_start:word_end])
        col += cell_len(line[word_start : m.end()])
    rows.append((start, len(line)))
    return rows


def layout(text: str, width: int, headings: Iterable[tuple[int, int]] = ()) -> list[Row]:
    """All rows of `text` wrapped at `width`; lines overlapping a heading range are headings."""
    spans = sorted(headings)
    starts = [s for s, _ in spans]
    rows: list[Row] = []
    offset = 0
    for line in text.split("\n"):
        end = offset + len(line)
        i = bisect_right(starts, end) - 1
        heading = bool(line) and i >= 0 and spans[i][1] > offset
        if not line:
            rows.append(Row(offset, offset))
        else:
            rows.extend(Row(offset + s, offset + e, heading) for s, e in wrap_line(line, width))
        offset = end + 1
    return rows


def row_at(row_starts: Sequence[int], offset: int) -> int:
    """The index of the row holding character `offset` (rows sorted by start)."""
    return max(0, bisect_right(row_starts, offset) - 1)


def spans_by_row(
    rows: Sequence[Row], row_starts: Sequence[int], spans: Iterable[tuple[int, int, object]]
) -> dict[int, list[tuple[int, int, object]]]:
    """Bucket (start, end, style) spans by the rows they touch, keeping their order."""
    buckets: dict[int, list[tuple[int, int, object]]] = {}
    for span in spans:
        start, end, _ = span
        if end <= start:
            continue
        first = row_at(row_starts, start)
        last = row_at(row_starts, end - 1)
        for y in range(first, last + 1):
            buckets.setdefault(y, []).append(span)
    return buckets
