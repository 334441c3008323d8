"""Key latency through the real command while a re-analysis runs: `gloss --db LIB` in a
120x40 pseudo-terminal (bench/terminal.py), from writing one `j` (or `k`) to the read of the
output that shows the list's cursor on the next (previous) row, in three conditions:

- idle: gloss with nothing running;
- re-analysing: the same session once "Re-analyse all" (command palette: ctrl+p, its name,
  enter) shows "Re-analysing N/M" with N > 0, i.e. spaCy at work in the worker thread;
- bare: a bare Textual app with a 2,000-row OptionList (bench/bare_list.py), same keys.

The cursor's row is the one row of the list whose background differs from the others'.
Keys alternate `j` and `k` (the cursor stays on the screen: no scrolling), PACE seconds
apart; the rounds interleave the bare app before and after gloss. The load average is
recorded with each round (the machine may be shared).

    python -m bench keys                                # 3 rounds of 60 presses
    python -m bench.keys_bench --rounds 5 --presses 80  # more
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyte

from bench import terminal
from bench.results import ROOT, save, show, spread
from bench.search_bench import library
from bench.startup_bench import ENV, GLOSS, SIDEBAR, gloss_complete

ROUNDS = 3
PRESSES = 60
PACE = 0.15
ARTICLES = 2_000
BUDGET_MS = 50
PALETTE = b"\x10"  # ctrl+p
ENTER = b"\r"
PROGRESS = re.compile(r"Re-analysing ([\d,]+)/([\d,]+)")


def cursor_row(screen: pyte.Screen, column: int, top: int, bottom: int) -> int | None:
    """The one row in top..bottom whose background at `column` is not the others'."""
    bgs = {y: screen.buffer[y][column].bg for y in range(top, bottom)}
    common, _ = Counter(bgs.values()).most_common(1)[0]
    odd = [y for y, bg in bgs.items() if bg != common]
    return odd[0] if len(odd) == 1 else None


def progress(screen: pyte.Screen) -> tuple[int, int] | None:
    """The re-analysis' "done/total" on the screen, if it shows."""
    found = PROGRESS.search("\n".join(screen.display))
    if not found:
        return None
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


def presses(s: terminal.Session, n: int, column: int, top: int, bottom: int) -> tuple[list, int]:
    """`n` presses alternating j and k: the seconds from each write to its frame, and how
    many showed nothing within 2 s."""
    where = lambda screen: cursor_row(screen, column, top, bottom)  # noqa: E731
    start = s.wait(lambda screen: where(screen) is not None, 10) and where(s.screen)
    assert start is not None
    row, out, missed = start, [], 0
    for _ in range(n):
        key, target = ("j", start + 1) if row == start else ("k", start)
        begin = s.press(key)
        try:
            out.append(s.wait(lambda screen, t=target: where(screen) == t, 2.0) - begin)
        except terminal.Incomplete:
            missed += 1
        row = where(s.screen)
        if row not in (start, start + 1):  # (resynchronise: back to the first row)
            start = row if row is not None and row < bottom - 1 else start
        time.sleep(max(0.0, begin + PACE - time.perf_counter()))
    return out, missed


def gloss_round(path: Path, n: int) -> dict:
    """One gloss session: n idle presses, then n while "Re-analyse all" runs."""
    complete = gloss_complete(path)
    column, top, bottom = SIDEBAR + 10, 1, terminal.ROWS - 4
    with terminal.Session([GLOSS, "--db", path], cwd=ROOT, env=ENV) as s:
        s.wait(lambda screen: complete(screen.display), 60)
        s.settle(0.5)
        idle, idle_missed = presses(s, n, column, top, bottom)
        s.press(PALETTE)
        s.wait(lambda screen: "Search for commands" in "\n".join(screen.display), 10)
        s.press("Re-analyse all")
        s.wait(lambda screen: "Re-analyse all" in "\n".join(screen.display[:12]), 10)
        s.settle(0.3)
        s.press(ENTER)
        s.wait(lambda screen: (p := progress(screen)) is not None and p[0] > 0, 120)
        first = progress(s.screen)
        busy, busy_missed = presses(s, n, column, top, bottom)
        last = progress(s.screen)
    return {"idle": idle, "busy": busy, "missed": idle_missed + busy_missed,
            "progress": [first, last]}  # fmt: skip


def bare_round(n: int) -> tuple[list, int]:
    argv = [sys.executable, ROOT / "bench" / "bare_list.py"]
    with terminal.Session(argv, cwd=ROOT) as s:
        s.wait(lambda screen: "row 3 " in "\n".join(screen.display), 30)
        s.settle(0.5)
        return presses(s, n, 20, 2, terminal.ROWS - 1)


def _stats(seconds: list[float]) -> dict:
    ms = [x * 1000 for x in seconds]
    out = spread(ms)
    out["p95"] = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return out


def run(rounds: int = ROUNDS, n: int = PRESSES, path: Path | None = None) -> dict:
    samples: dict[str, list[float]] = {"idle": [], "re-analysing": [], "bare": []}
    per_round, missed = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "lib.db"
        shutil.copy(path or library(ARTICLES, ARTICLES // 10), lib)
        for i in range(rounds):
            load = os.getloadavg()[0]
            runs: dict = {}
            order = ["bare", "gloss"] if i % 2 == 0 else ["gloss", "bare"]
            for name in order:
                if name == "bare":
                    runs["bare"], m = bare_round(n)
                else:
                    g = gloss_round(lib, n)
                    runs["idle"], runs["re-analysing"], m = g["idle"], g["busy"], g["missed"]
                    runs["progress"] = g["progress"]
                missed += m
            for k in samples:
                samples[k] += runs[k]
            per_round.append({"load_1min": round(load, 2), "order": order,
                              "progress": runs["progress"],
                              **{k: round(statistics.median(runs[k]) * 1000, 1)
                                 for k in samples}})  # fmt: skip
            print(f"  round {i + 1}: load {load:.2f}; medians (ms) "
                  + ", ".join(f"{k} {per_round[-1][k]}" for k in samples)
                  + f"; re-analysis {runs['progress']}", flush=True)  # fmt: skip
    stats = {k: _stats(v) for k, v in samples.items()}
    print("key (j/k, list cursor) to its frame, through the real command in a 120x40 pty,")
    print(f"  {ARTICLES:,} articles, {rounds} rounds x {n} presses (ms: median, IQR, range; p95)")
    for k, st in stats.items():
        print(f"  {k:13} {show(st)}  p95 {st['p95']:.1f}")
    if missed:
        print(f"  {missed} presses showed nothing within 2 s")
    return {"how": "gloss --db LIB in a pty (ptyprocess, pyte 120x40): j/k written to the "
            "frame showing the cursor moved; idle, during 'Re-analyse all', bare OptionList",
            "articles": ARTICLES, "rounds": rounds, "presses": n, "pace_s": PACE,
            "ms": stats, "missed": missed, "per_round": per_round,
            "budget_ms": BUDGET_MS}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description="Key latency, idle and while re-analysing.")
    ap.add_argument("--rounds", type=int, default=ROUNDS)
    ap.add_argument("--presses", type=int, default=PRESSES)
    ap.add_argument("--db", type=Path, help="an existing library instead of the generated one")
    args = ap.parse_args()
    result = run(args.rounds, args.presses, args.db)
    print(f"wrote {save({'keys': result})}")


if __name__ == "__main__":
    main()
