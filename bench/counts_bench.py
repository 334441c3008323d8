"""The sidebar's counts: `tui.opening.read_counts` (the header's and sidebar's figures: the
views' counts, the tags with theirs, the feeds), timed on an open library: the first call
after opening and the median of later ones.

    python -m bench.counts_bench --db LIB [--runs 15]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.results import save, show, spread
from bench.search_bench import library
from store import Library
from tui.opening import read_counts

RUNS = 15


def run(runs: int = RUNS, path: Path | None = None) -> dict:
    path = path or library()
    with Library.open(path) as lib:
        t = time.perf_counter()
        counts = read_counts(lib)
        first = time.perf_counter() - t
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            read_counts(lib)
            samples.append(time.perf_counter() - t)
    s = spread(samples)
    print(f"read_counts on {counts.stats['articles']:,} articles, {len(counts.tags)} tags:"
          f" first {first * 1000:.1f} ms; then (ms, {runs} runs) {show(s, 1000)}")  # fmt: skip
    return {"library": str(path), "articles": counts.stats["articles"], "first_seconds": first,
            "seconds": s}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=RUNS)
    ap.add_argument("--db", type=Path, help="an existing library instead of the generated one")
    args = ap.parse_args()
    print(f"wrote {save({'counts': run(args.runs, args.db)})}")


if __name__ == "__main__":
    main()
