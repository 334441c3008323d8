"""Re-anchoring: find where a note's passage sits in a changed text.

In order: the old position if the quote is still there; the exact quote nearest the old
position; else a fuzzy match of the quote (rapidfuzz alignment, edit distance bounded by a
quarter of the quote's length), scored by quote similarity, context (prefix and suffix) and
closeness to the old position. None when nothing is close enough: the note is orphaned.

Every step is at most linear in the text times the quote (rapidfuzz's bit-parallel
alignments), so a long quote in a long article takes milliseconds; it reads no database,
so callers compute anchors before they take the write lock.
"""

from __future__ import annotations

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from store.core.models import Anchor

MIN_QUOTE_SCORE = 75.0  # similarity in percent: about a quarter of the quote may differ
WEIGHTS = (0.6, 0.25, 0.15)  # quote, context, closeness
# A match this close in quote and context ends the search: a wider window could only win
# by closeness lost, and each wider window costs more of the text.
CONFIDENT = 90.0
# Quotes up to SHORT characters refine their ends by trying every pair (a few thousand
# ratios of short strings); longer ones refine each end over its first and last EDGE
# characters, the middle placed by one alignment.
SHORT = 128
EDGE = 64
# Quotes longer than this are placed by exact pieces of them (rapidfuzz's partial ratio
# costs the text times the quote squared beyond 64 characters); shorter ones by rapidfuzz.
SEEDED_ABOVE = 64
SEED = 12  # characters in a piece; pieces overlap by half, at most MAX_PIECES of them
MAX_PIECES = 64
MAX_HITS = 32  # a piece found more often than this in the window is not used
CANDIDATES = 3  # places tried per window


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


def _score(anchor: Anchor, text: str, start: int, end: int) -> tuple[float, float, float]:
    """(total score, quote similarity, context similarity) of text[start:end] as the new
    place of anchor."""
    quote = fuzz.ratio(anchor.exact, text[start:end])
    ctx = []
    if anchor.prefix:
        ctx.append(fuzz.ratio(anchor.prefix, text[max(0, start - len(anchor.prefix)) : start]))
    if anchor.suffix:
        ctx.append(fuzz.ratio(anchor.suffix, text[end : end + len(anchor.suffix)]))
    context = sum(ctx) / len(ctx) if ctx else quote
    closeness = 100.0 * (1 - min(1.0, abs(start - anchor.start) / max(1, len(text))))
    wq, wc, wd = WEIGHTS
    return wq * quote + wc * context + wd * closeness, quote, context


def _fuzzy(anchor: Anchor, text: str) -> tuple[int, int] | None:
    best: tuple[float, int, int, float] | None = None  # (total, start, end, worst part)
    seen: set[tuple[int, int]] = set()
    for lo, hi in _windows(anchor, text):
        for start, end in _places(anchor.exact, text, lo, hi):
            if (start, end) in seen:
                continue  # a wider window found the same place: nothing new to score
            seen.add((start, end))
            start, end = _refine(anchor, text, start, end)
            total, quote, context = _score(anchor, text, start, end)
            if quote >= MIN_QUOTE_SCORE and (best is None or total > best[0]):
                best = (total, start, end, min(quote, context))
        if best is not None and best[3] >= CONFIDENT:
            break
    return (best[1], best[2]) if best else None


def _places(exact: str, text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Rough places of the quote in text[lo:hi], best first, for _refine to finish."""
    if len(exact) <= SEEDED_ABOVE:
        found = fuzz.partial_ratio_alignment(exact, text[lo:hi], score_cutoff=MIN_QUOTE_SCORE)
        return [] if found is None else [(lo + found.dest_start, lo + found.dest_end)]
    return _seeded(exact, text, lo, hi)


def _seeded(exact: str, text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Places of a long quote by its pieces found verbatim: each piece found votes for
    where the quote would start (where it was found less its offset in the quote); the
    densest bands of votes (as wide as the edits a match allows) are the places."""
    n = len(exact)
    votes: list[tuple[int, int]] = []  # (where the quote would start, piece offset)
    count = min(MAX_PIECES, (n - SEED) // (SEED // 2) + 1)
    for q in sorted({(n - SEED) * i // (count - 1) for i in range(count)}):
        piece, hits = exact[q : q + SEED], []
        at = text.find(piece, lo, hi)
        while at >= 0 and len(hits) <= MAX_HITS:
            hits.append(at)
            at = text.find(piece, at + 1, hi)
        if len(hits) <= MAX_HITS:  # a piece found everywhere tells nothing
            votes += [(at - q, q) for at in hits]
    votes.sort()
    band = n // 4
    places = []
    while votes and len(places) < CANDIDATES:
        i, j, top = 0, 0, (0, 0, 0)  # (votes, first, past the last) of the densest band
        for i in range(len(votes)):
            while j < len(votes) and votes[j][0] <= votes[i][0] + band:
                j += 1
            if j - i > top[0]:
                top = (j - i, i, j)
        cluster = votes[top[1] : top[2]]
        del votes[top[1] : top[2]]
        first, last = min(cluster, key=lambda v: v[1]), max(cluster, key=lambda v: v[1])
        start, end = max(0, first[0]), min(len(text), last[0] + n)
        if start < end:
            places.append((start, end))
    return places


def _refine(anchor: Anchor, text: str, start: int, end: int) -> tuple[int, int]:
    """Let the ends move a little (a reworded quote changes length) to the best ratio,
    then snap them to word boundaries."""
    exact = anchor.exact
    if len(exact) <= SHORT:
        start, end = _ends_by_pairs(exact, text, start, end)
    else:
        s, e = _ends_by_edges(exact, text, start, end)
        # An LCS alignment of a long quote with scattered edits can slide an end hundreds of
        # characters (a wider span ranks as well): refined ends that change the place's
        # length by more than that much are not trusted, the place found stands.
        if abs((e - s) - (end - start)) <= max(EDGE, len(exact) // 100):
            start, end = s, e
    while start > 0 and text[start - 1].isalnum() and exact[:1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and exact[-1:].isalnum():
        end += 1
    return start, end


def _ends_by_pairs(exact: str, text: str, start: int, end: int) -> tuple[int, int]:
    """The (start, end) near these with the best ratio to the quote, trying every pair."""
    slack = max(2, len(exact) // 8)
    best = (fuzz.ratio(exact, text[start:end]), start, end)
    for s in range(max(0, start - slack), min(len(text), start + slack) + 1):
        for e in range(max(s + 1, end - slack), min(len(text), end + slack) + 1):
            r = fuzz.ratio(exact, text[s:e])
            if r > best[0]:
                best = (r, s, e)
    return best[1], best[2]


def _ends_by_edges(exact: str, text: str, start: int, end: int) -> tuple[int, int]:
    """The same for a long quote, in O(len(quote) * len(span)): one alignment of the quote
    with the span (its ends widened by an eighth of its length) fixes where the quote's
    EDGE-th character from each end falls; each end then moves over ±EDGE/2 characters,
    and the pair with the lowest edit distance per character (the best ratio) wins."""
    n = len(exact)
    slack = max(2, n // 8)
    lo, hi = max(0, start - slack), min(len(text), end + slack)
    ops = Indel.opcodes(exact, text[lo:hi])
    m1, m2 = lo + _dest(ops, EDGE), lo + _dest(ops, n - EDGE)
    if m2 < m1:
        return start, end
    head, tail, reach = exact[:EDGE], exact[n - EDGE :], EDGE // 2
    starts = [
        (Indel.distance(head, text[s:m1]), s)
        for s in range(max(0, m1 - EDGE - reach), max(0, m1 - EDGE + reach) + 1)
    ]
    ends = [
        (Indel.distance(tail, text[m2:e]), e)
        for e in range(min(len(text), m2 + EDGE - reach), min(len(text), m2 + EDGE + reach) + 1)
    ]
    middle = Indel.distance(exact[EDGE : n - EDGE], text[m1:m2])
    if not starts or not ends:
        return start, end
    # The pair with the least distance per character, d / (n + e - s): Dinkelbach's
    # method, as the sum splits into a part of s and a part of e for a fixed ratio a / b.
    # Integers throughout, so ties fall the same way on every machine (smallest s, then e).
    (ds, s), (de, e) = min(starts), min(ends)
    a, b, best = ds + middle + de, n + e - s, (s, e)
    while True:
        _, s, ds = min((d * b + a * s, s, d) for d, s in starts)
        _, e, de = min((d * b - a * e, e, d) for d, e in ends)
        d, length = ds + middle + de, n + e - s
        if d * b >= a * length:
            return best
        a, b, best = d, length, (s, e)


def _dest(ops: object, i: int) -> int:
    """Where the quote's i-th character falls in the aligned text (Indel opcodes)."""
    for op in ops:  # type: ignore[attr-defined]
        if op.src_start <= i < op.src_end:
            return op.dest_start + (i - op.src_start if op.tag == "equal" else 0)
    return ops.dest_len  # type: ignore[attr-defined]
