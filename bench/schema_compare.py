"""Before and after the compact schema, in one run: the same reads through each tree's own
`Library` on its own library file (schema 4 on the old code, schema 5 on this code).

Each round runs one subprocess per side, alternating which goes first; a subprocess opens
its library read-only, warms each operation once, then times it REPEAT times (median).
The figure per operation is the median over rounds, with the range.

    python -m bench.schema_compare --before-tree /work/before --before-db OLD.db \\
        --after-db NEW.db [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
REPEAT = 5

# Ids and names that the generated libraries share (the same generator and seed).
PROBE = r"""
import json, statistics, sys, time
from store import Library
try:
    from store.core.models import Filter
    unread = lambda lib: lib.count(Filter(unread=True))
    tagged = lambda lib: lib.list_articles(Filter(tag="economy"), limit=50)
except ImportError:
    unread = lambda lib: lib.count(unread=True)
    tagged = lambda lib: lib.list_articles(tag="economy", limit=50)
lib = Library.open(sys.argv[1], readonly=True)
first = lib.list_articles(limit=1)[0].id
top = lib.entities(label="PERSON", limit=1)[0].text
ops = {
    "list: first page": lambda: lib.list_articles(limit=50),
    "list: economy tag, first page": lambda: tagged(lib),
    "count: unread": lambda: unread(lib),
    "header and sidebar: stats + tags": lambda: (lib.stats(), lib.tags()),
    "open: newest article": lambda: lib.get_article(first),
    "entities: top 20 PERSON": lambda: lib.entities(label="PERSON", limit=20),
    "entities: articles mentioning the top PERSON": lambda: lib.articles_mentioning(top, "PERSON"),
    "search: summit": lambda: lib.search("summit"),
    "search: \"wind farm\"": lambda: lib.search('"wind farm"'),
    "search: bank tag:economy": lambda: lib.search("bank tag:economy"),
    "search: flood is:unread": lambda: lib.search("flood is:unread"),
    "search: label:PERSON summit": lambda: lib.search("summit label:PERSON"),
}
out = {}
for name, fn in ops.items():
    fn()
    times = []
    for _ in range(int(sys.argv[2])):
        t = time.perf_counter(); fn(); times.append((time.perf_counter() - t) * 1000)
    out[name] = statistics.median(times)
print(json.dumps(out))
"""


def probe(tree: Path, db: Path, repeat: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(db), str(repeat)],
        cwd=tree, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before-tree", type=Path, required=True)
    ap.add_argument("--before-db", type=Path, required=True)
    ap.add_argument("--after-tree", type=Path, default=HERE)
    ap.add_argument("--after-db", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    sides = {
        "before": (args.before_tree, args.before_db),
        "after": (args.after_tree, args.after_db),
    }
    got: dict[str, list[dict]] = {"before": [], "after": []}
    for i in range(args.rounds):
        for side in ("before", "after") if i % 2 == 0 else ("after", "before"):
            got[side].append(probe(*sides[side], REPEAT))
    print(f"medians of {args.rounds} rounds x {REPEAT} runs, ms (range over rounds)")
    print(f"{'operation':46} {'before':>16} {'after':>16} {'after/before':>12}")
    for op in got["before"][0]:
        b = [r[op] for r in got["before"]]
        a = [r[op] for r in got["after"]]
        mb, ma = statistics.median(b), statistics.median(a)
        print(f"{op:46} {mb:7.2f} ({min(b):.1f}-{max(b):.1f}) {ma:7.2f} ({min(a):.1f}-{max(a):.1f})"
              f" {ma / mb:11.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
