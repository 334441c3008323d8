"""Re-anchoring: find where a note's passage sits in a changed text.

In order: the old position if the quote is still there; the exact quote nearest the old
position; else a fuzzy match of the quote (rapidfuzz alignment, edit distance bounded by a
quarter of the quote's length), scored by quote similarity, context (prefix and suffix) and
closeness to the old position. None when nothing is close enough: the note is orphaned.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from store.models import Anchor

MIN_QUOTE_SCORE = 75.0  # similarity in percent: about a quarter of the quote may differ
WEIGHTS = (0.6, 0.25, 0.15)  # quote, context, closeness


def reanchor(anchor: Anchor, text: str) -> tuple[int, int] | None:
    """Where anchor's quote is in text, as (start, end); None if it cannot be found."""
    exact = anchor.exact
    if not exact:
        return None
    if text[anchor.start : anchor.end] == exact:
        return anchor.start, anchor.end
    found = _exact_nearest(exact, text, anchor.start)
    if found is not None:
        return found, found + len(exact)
    return _fuzzy(anchor, text)


def _exact_nearest(exact: str, text: str, near: int) -> int | None:
    best: int | None = None
    at = text.find(exact)
    while at >= 0:
        if best is None or abs(at - near) < abs(best - near):
            best = at
        at = text.find(exact, at + 1)
    return best


def _windows(anchor: Anchor, text: str) -> list[tuple[int, int]]:
    """Regions to search: growing windows around the old position, then the whole text."""
    n = len(anchor.exact)
    out = []
    for radius in (2 * n, 8 * n, 32 * n):
        lo, hi = max(0, anchor.start - radius), min(len(text), anchor.end + radius)
        if (lo, hi) not in out:
            out.append((lo, hi))
    if (0, len(text)) not in out:
        out.append((0, len(text)))
    return out


def _score(anchor: Anchor, text: str, start: int, end: int) -> tuple[float, float]:
    """(total score, quote similarity) of text[start:end] as the new place of anchor."""
    quote = fuzz.ratio(anchor.exact, text[start:end])
    ctx = []
    if anchor.prefix:
        ctx.append(fuzz.ratio(anchor.prefix, text[max(0, start - len(anchor.prefix)) : start]))
    if anchor.suffix:
        ctx.append(fuzz.ratio(anchor.suffix, text[end : end + len(anchor.suffix)]))
    context = sum(ctx) / len(ctx) if ctx else quote
    closeness = 100.0 * (1 - min(1.0, abs(start - anchor.start) / max(1, len(text))))
    wq, wc, wd = WEIGHTS
    return wq * quote + wc * context + wd * closeness, quote


def _fuzzy(anchor: Anchor, text: str) -> tuple[int, int] | None:
    best: tuple[float, int, int] | None = None
    for lo, hi in _windows(anchor, text):
        found = fuzz.partial_ratio_alignment(anchor.exact, text[lo:hi])
        if found is None or found.score < MIN_QUOTE_SCORE:
            continue
        start, end = lo + found.dest_start, lo + found.dest_end
        start, end = _refine(anchor, text, start, end)
        total, quote = _score(anchor, text, start, end)
        if quote >= MIN_QUOTE_SCORE and (best is None or total > best[0]):
            best = (total, start, end)
    return (best[1], best[2]) if best else None


def _refine(anchor: Anchor, text: str, start: int, end: int) -> tuple[int, int]:
    """Let the ends move a little (a reworded quote changes length) to the best ratio,
    then snap them to word boundaries."""
    n = len(anchor.exact)
    slack = max(2, n // 8)
    best = (fuzz.ratio(anchor.exact, text[start:end]), start, end)
    for s in range(max(0, start - slack), min(len(text), start + slack) + 1):
        for e in range(max(s + 1, end - slack), min(len(text), end + slack) + 1):
            r = fuzz.ratio(anchor.exact, text[s:e])
            if r > best[0]:
                best = (r, s, e)
    _, start, end = best
    while start > 0 and text[start - 1].isalnum() and anchor.exact[:1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and anchor.exact[-1:].isalnum():
        end += 1
    return start, end
