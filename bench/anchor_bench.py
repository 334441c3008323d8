"""Re-anchoring a long, edited quote in a long article (store.notes.anchoring.reanchor).

A 2,000-character quote edited in several places, in a 300 KB article made from the shipped
samples: near its old place, moved far from it (the article reordered), and gone (an orphan,
the worst case: every window is searched). Each is timed over repeated runs, next to one
`fuzz.partial_ratio_alignment` of the quote over the whole article (the alignment it wraps).
Run: `.venv/bin/python -m bench.anchor_bench`.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from rapidfuzz import fuzz

from bench.corpus import paragraphs
from store.core.models import Anchor
from store.notes.anchoring import reanchor

ARTICLE_CHARS, QUOTE_CHARS, REPEATS = 300_000, 2_000, 21
BUDGET_MS = 50.0


def article(seed: int = 11) -> str:
    rng = random.Random(seed)
    pool, parts, size = paragraphs(), [], 0
    while size < ARTICLE_CHARS:
        parts.append(rng.choice(pool))
        size += len(parts[-1]) + 2
    return "\n\n".join(parts)


def edit(text: str, start: int, end: int, rng: random.Random, edits: int = 6) -> str:
    """text with `edits` words inside [start, end) replaced, dropped or added."""
    chars = list(text)
    for at in sorted(rng.sample(range(start + 20, end - 20), edits), reverse=True):
        chars[at : at + rng.randrange(3, 12)] = rng.choice(["revised", "", " and more", "X"])
    return "".join(chars)


def timed(fn: Callable[[], object]) -> dict[str, float]:
    runs = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    q = statistics.quantiles(runs, n=4)
    return {"median_ms": statistics.median(runs), "min_ms": min(runs), "max_ms": max(runs),
            "iqr_ms": q[2] - q[0]}  # fmt: skip


def run() -> dict:
    rng = random.Random(5)
    text = article()
    start = text.index(" ", len(text) // 2) + 1  # a highlight starts and ends on words
    end = text.index(" ", start + QUOTE_CHARS)
    anchor = Anchor.from_range(text, start, end)
    near = edit(text, start, end, rng)
    cut = len(text) // 4  # the quote's part of the article moved a quarter of the way back
    moved_text = near[:cut] + near[start - 1000 : end + 1000]
    moved_text += near[cut : start - 1000] + near[end + 1000 :]
    gone = text[:start] + text[end:]
    cases = {"near its old place": near, "moved far": moved_text, "gone (orphan)": gone}
    results: dict[str, dict] = {}
    for name, new in cases.items():
        found = reanchor(anchor, new)
        score = fuzz.ratio(anchor.exact, new[found[0] : found[1]]) if found else None
        results[name] = {**timed(lambda new=new: reanchor(anchor, new)), "found": found,
                         "quote_similarity": score}  # fmt: skip
    base = timed(lambda: fuzz.partial_ratio_alignment(anchor.exact, near))
    results["partial_ratio_alignment over the article (baseline)"] = base
    print(f"quote {QUOTE_CHARS:,} chars, article {len(text):,} chars, {REPEATS} runs each")
    for name, r in results.items():
        extra = ""
        if r.get("found"):
            extra = f"  found {r['found']}, similarity {r['quote_similarity']:.1f}"
        elif "found" in r:
            extra = "  not found (orphaned)"
        print(f"{name:54} median {r['median_ms']:7.1f} ms  (min {r['min_ms']:.1f}, max"
              f" {r['max_ms']:.1f}, IQR {r['iqr_ms']:.1f}){extra}")  # fmt: skip
    ok = results["near its old place"]["median_ms"] < BUDGET_MS
    print(f"budget {BUDGET_MS:.0f} ms near its old place: {'met' if ok else 'NOT met'}")
    return {"cases": results, "budget_ms": BUDGET_MS, "article_chars": len(text)}


if __name__ == "__main__":
    run()
