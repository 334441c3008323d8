"""Word-wrap article text into rows that keep their character offsets (no Textual here).

The reader renders rows lazily; each row knows which slice of the article text it shows, so
entities, highlights, notes and the cursor are styled by character range and the cursor can
be scrolled into view by finding the row that holds an offset.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from rich.cells import cell_len, get_character_cell_size

_TOKEN = re.compile(r"\S+\s*|\s+")
_NON_SPACE = re.compile(r"\S")


class Row(NamedTuple):
    """One screen row of the article: text[start:end]; `heading` rows are section titles.
    (A named tuple: a long read has thousands of rows, made quickly.)"""

    start: int
    end: int
    heading: bool = False


def _narrow(chars: Iterable[str]) -> bool:
    """True when each of these characters takes exactly one cell."""
    return all(get_character_cell_size(c) == 1 for c in chars)


def wrap_line(line: str, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of one line into (start, end) offsets; long words are folded.
    Trailing spaces stay on the row they follow, so every character belongs to a row."""
    width = max(1, width)
    chars = set(line)
    if _narrow(chars):
        return _wrap_narrow(line, width, [c for c in chars if c.isspace()])
    return _wrap_cells(line, width)


def _wrap_narrow(line: str, width: int, spaces: Sequence[str]) -> list[tuple[int, int]]:
    """`wrap_line` for a line whose characters are all one cell wide (most prose), `spaces`
    holding every whitespace character in it. Offsets are columns, so each row is found by
    looking `width` characters past its start instead of measuring every word."""
    end = len(line)
    rows: list[tuple[int, int]] = []
    start = 0
    while end - start > width:
        limit = start + width  # a word ending at or before here fits on the row
        if line[limit].isspace():  # the next word starts after this run of spaces
            found = _NON_SPACE.search(line, limit)
            if found is None:  # only spaces follow: they stay on this row
                break
            cut = found.start()
        else:  # break before the word running past the limit
            cut = max([line.rfind(c, start, limit) for c in spaces], default=-1) + 1
            if cut <= start:  # that word starts the row and is wider than it: fold it
                cut = limit
        rows.append((start, cut))
        start = cut
    rows.append((start, end))
    return rows


def _wrap_cells(line: str, width: int) -> list[tuple[int, int]]:
    """`wrap_line` measuring cells word by word (wide and zero-width characters)."""
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
    width = max(1, width)
    spans = sorted(headings)
    starts = [s for s, _ in spans]
    chars = set(text)
    chars.discard("\n")
    narrow = _narrow(chars)  # checked once for the whole text, not line by line
    spaces = [c for c in chars if c.isspace()]
    rows: list[Row] = []
    offset = 0
    for line in text.split("\n"):
        end = offset + len(line)
        if not line:
            rows.append(Row(offset, offset))
            offset = end + 1
            continue
        i = bisect_right(starts, end) - 1
        heading = i >= 0 and spans[i][1] > offset
        if len(line) <= width and narrow:
            rows.append(Row(offset, end, heading))
        else:
            pieces = _wrap_narrow(line, width, spaces) if narrow else _wrap_cells(line, width)
            rows.extend(Row(offset + s, offset + e, heading) for s, e in pieces)
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
        first = max(0, bisect_right(row_starts, start) - 1)
        last = max(first, bisect_right(row_starts, end - 1, first) - 1)
        if first == last:  # most spans (entities) sit on one row
            if (bucket := buckets.get(first)) is None:
                buckets[first] = [span]
            else:
                bucket.append(span)
            continue
        for y in range(first, last + 1):
            buckets.setdefault(y, []).append(span)
    return buckets


INLINE_INDENT = "│ "
"""What starts each row of a note body shown under its paragraph."""


def with_inline(
    rows: Sequence[Row], text: str, bodies: Iterable[tuple[int, int, str]], width: int
) -> tuple[list[Row], dict[int, str]]:
    """`rows` with each (start, end, body) shown under the paragraph holding its end: the
    body's own rows, wrapped at `width` less the indent, are put after the paragraph's last
    row, as empty rows at the paragraph's end (so offsets still find the text's rows), and
    returned by index with the text each shows."""
    under: dict[int, list[str]] = {}
    for start, end, body in sorted(bodies):
        line_end = text.find("\n", max(start, end - 1))
        under.setdefault(len(text) if line_end < 0 else line_end, []).append(body)
    if not under:
        return list(rows), {}
    starts = [r.start for r in rows]
    out: list[Row] = []
    shown: dict[int, str] = {}
    done = 0
    room = max(1, width - len(INLINE_INDENT))
    for line_end in sorted(under):
        cut = bisect_right(starts, line_end)
        out.extend(rows[done:cut])
        done = cut
        for body in under[line_end]:
            for line in body.replace("\t", " ").split("\n"):
                for s, e in wrap_line(line, room) if line else [(0, 0)]:
                    shown[len(out)] = INLINE_INDENT + line[s:e].rstrip()
                    out.append(Row(line_end, line_end))
    out.extend(rows[done:])
    return out, shown
