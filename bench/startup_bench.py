"""Start-up through the real command, as a user starts gloss: `gloss --db LIB` in a
pseudo-terminal (120x40), from the spawn to the first complete screen, next to a bare
Textual app (bench/bare_app.py) run the same way, interleaved, in the same run.

A complete first screen of gloss shows, all at once:
- the header: "gloss  N articles · U unread" with the library's counts, and the view;
- the sidebar: the four views with their counts, the "Tags" heading and the first tag;
- the list: the titles of the first rows (as many as fit, up to FIRST_ROWS_CHECKED);
- the key bar.
The bare app's is its header (title) and its text. Python files are byte-compiled first, as
an installed gloss is.

    python -m bench startup                                   # the full run (100,000)
    python -m bench.startup_bench --pairs 5 --articles 10000  # a quick one
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bench import terminal
from bench.bare_app import TEXT
from bench.results import ROOT, save, show, spread
from bench.search_bench import library
from store import Library
from store.core.models import Filter

GLOSS = Path(sys.executable).with_name("gloss")
ENV = {"PYTHONPATH": str(ROOT)}
"""The installed `gloss` command (beside this Python), running this checkout's code (an
editable install may point at another worktree)."""
PAIRS = 15
ARTICLES = 100_000
FIRST_ROWS_CHECKED = 10
SIDEBAR = 26
"""Columns of the sidebar (tui/gloss.tcss #side): the list starts after it."""


def gloss_complete(path: Path) -> Callable[[list[str]], bool]:
    """The test of a complete first screen for the library at `path` (read here, first)."""
    with Library.open(path) as lib:
        stats = lib.stats()
        annotated = lib.count(Filter(annotated=True))
        tags = lib.tags()
        rows = lib.list_articles(limit=FIRST_ROWS_CHECKED)
    header = [f"gloss  {stats['articles']:,} articles", f"{stats['unread']:,} unread", "All"]
    side = [
        f"All  {stats['articles']:,}",
        f"Unread  {stats['unread']:,}",
        f"Starred  {stats['starred']:,}",
        f"Annotated  {annotated:,}",
        "Tags",
        f"{tags[0][0].split('/')[0]}" if tags else "no tags yet",
    ]
    # a title is cut to its column: its first 20 characters are on its row
    titles = [r.title[:20] for r in rows[: terminal.ROWS - 3]]

    def complete(lines: list[str]) -> bool:
        if not all(part in lines[0] for part in header) or "Quit" not in lines[-1]:
            return False
        sidebar = "\n".join(line[:SIDEBAR] for line in lines[1:-2])
        if not all(part in sidebar for part in side):
            return False
        return all(t in lines[1 + i][SIDEBAR:] for i, t in enumerate(titles))

    return complete


def bare_complete(lines: list[str]) -> bool:
    return "bare" in lines[0] and any(TEXT in line for line in lines[1:])


def run(pairs: int = PAIRS, articles: int = ARTICLES, path: Path | None = None) -> dict:
    path = path or library(articles, articles // 2)
    # byte-compiled as an installed gloss is (only what the two commands import: the others'
    # benchmarks in bench/ are not theirs to fail)
    compile_ = [sys.executable, "-m", "compileall", "-q", "store", "tui", "bench/bare_app.py"]
    subprocess.run(compile_, cwd=ROOT, check=True, capture_output=True)
    commands: dict[str, tuple[list[str | Path], Callable[[list[str]], bool]]] = {
        "bare": ([sys.executable, ROOT / "bench" / "bare_app.py"], bare_complete),
        "gloss": ([GLOSS, "--db", path], gloss_complete(path)),
    }
    for argv, complete in commands.values():  # once each, unmeasured: the page cache
        terminal.run(argv, complete, cwd=ROOT, env=ENV)
    times: dict[str, list[float]] = {"bare": [], "gloss": []}
    cpu: dict[str, list[float]] = {"bare": [], "gloss": []}
    rss: dict[str, list[float]] = {"bare": [], "gloss": []}
    unclean = 0
    for i in range(pairs):  # interleaved, each first in turn: drift in load hits both alike
        order = ["bare", "gloss"] if i % 2 == 0 else ["gloss", "bare"]
        for name in order:
            argv, complete = commands[name]
            r = terminal.run(argv, complete, cwd=ROOT, env=ENV)
            times[name].append(r.seconds)
            cpu[name].append(r.cpu_seconds)
            rss[name].append(r.peak_rss_mb)
            unclean += not r.quit_cleanly
    with Library.open(path) as lib:
        count = lib.count()
    wall = _compare(times)
    cpu_time = _compare(cpu)
    print("start-up through the real command in a 120x40 terminal to a complete first screen,")
    print(f"  {count:,} articles, {pairs} interleaved pairs (ms: median, IQR, range)")
    for label, name in (("bare Textual app", "bare"), ("gloss --db LIB  ", "gloss")):
        print(f"  {label} {show(wall[name], 1000)}   peak RSS {max(rss[name]):.0f} MB")
    print(f"  ratio of medians {wall['ratio']:.2f}x (budget 1.3x); per pair "
          f"{wall['pair_ratios']['median']:.2f}x, IQR {wall['pair_ratios']['q1']:.2f}–"
          f"{wall['pair_ratios']['q3']:.2f}x")  # fmt: skip
    print(f"  main thread CPU by then: bare {cpu_time['bare']['median'] * 1000:.0f} ms, gloss "
          f"{cpu_time['gloss']['median'] * 1000:.0f} ms, {cpu_time['ratio']:.2f}x")  # fmt: skip
    if unclean:
        print(f"  {unclean} runs did not quit cleanly on ctrl+q")
    return {
        "how": "gloss --db LIB in a pty (ptyprocess, pyte 120x40), spawn to complete screen",
        "articles": count, "pairs": pairs, "seconds": wall, "ratio": wall["ratio"],
        "budget_ratio": 1.3, "cpu_seconds": cpu_time, "unclean_quits": unclean,
        "peak_rss_mb": {name: max(v) for name, v in rss.items()},
    }  # fmt: skip


def _compare(samples: dict[str, list[float]]) -> dict:
    """Both sides' spreads, the ratio of their medians, and the spread of per-pair ratios."""
    pairs = [g / b for g, b in zip(samples["gloss"], samples["bare"], strict=True) if b]
    bare, gloss = spread(samples["bare"]), spread(samples["gloss"])
    return {"bare": bare, "gloss": gloss, "ratio": gloss["median"] / bare["median"],
            "pair_ratios": spread(pairs)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description="Start-up through `gloss --db LIB` in a terminal.")
    ap.add_argument("--pairs", type=int, default=PAIRS, help=f"interleaved runs (default {PAIRS})")
    ap.add_argument("--articles", type=int, default=ARTICLES, help="library size (generated once)")
    ap.add_argument("--db", type=Path, help="an existing library instead of a generated one")
    args = ap.parse_args()
    result = run(args.pairs, args.articles, args.db)
    print(f"wrote {save({'startup': result})}")


if __name__ == "__main__":
    main()
