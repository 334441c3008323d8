"""Key latency through the real command while a re-analysis runs: `gloss --db LIB` in a
120x40 pseudo-terminal (bench/terminal.py), from writing a key to the read of the output
that shows what it does. Two keys:

- `j` (or `k`) in the list: the frame showing the list's cursor on the next (previous) row
  (the one row of the list whose background differs from the others');
- `]` in the reader: the frame showing the next article, its title and its first lines.

Each in two conditions: idle (nothing running), and re-analysing (once "Re-analyse all",
from the command palette, shows "Re-analysing N/M" with N > 0: spaCy at work in a worker
thread). Baselines, the same keys through the same terminal: a bare Textual app with a
2,000-row OptionList (bench/bare_list.py) for `j`/`k`, and a bare app replacing a screen of
text with the next from memory (bench/bare_reader.py) for `]`.

gloss also runs with two of its measures undone (bench/gloss_variant.py), in the same
rounds: the language model in a worker thread of the app instead of a process of its own
(store.ingest.entities_apart), and the heap made at start-up not frozen out of the cyclic
collector's passes (GlossApp.on_ready). The re-analysis' throughput (articles/s) is read from
its progress line, from the first count after it started to the one shown once the reader's
keys are done (about 30 s).

Keys are PACE seconds apart (`]`: READER_PACE); sessions run in a different order in each
round; the load average is recorded with each round (the machine may be shared).

    python -m bench keys                                # 3 rounds of 60 + 30 presses
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
STEPS = 30
READER_PACE = 0.3
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


def progress_at(s: terminal.Session, timeout: float = 120) -> tuple[int, int, float]:
    """The re-analysis' count once the progress line shows one above 0: (done, total, the
    read time of the frame that showed it)."""
    at = s.wait(lambda screen: (p := progress(screen)) is not None and p[0] > 0, timeout)
    done, total = progress(s.screen) or (0, 0)
    return done, total, at


def steps(s: terminal.Session, n: int, title: int, body: range) -> tuple[list, int]:
    """`n` presses of `]` in a reader: the seconds from each write to the frame whose title
    row and body rows both differ from those before it, and how many showed nothing
    within 2 s."""
    view = lambda screen: (screen.display[title], [screen.display[y] for y in body])  # noqa: E731
    out, missed = [], 0
    for _ in range(n):
        s.settle(0.05)  # (what the last one drew after its frame: part of "before")
        old_title, old_body = view(s.screen)

        def moved(screen: pyte.Screen, t: str = old_title, b: list = old_body) -> bool:
            new_title, new_body = view(screen)
            return new_title != t and new_body != b and new_title.strip() != ""

        begin = s.press("]")
        try:
            out.append(s.wait(moved, 2.0) - begin)
        except terminal.Incomplete:
            missed += 1
        time.sleep(max(0.0, begin + READER_PACE - time.perf_counter()))
    return out, missed


VARIANTS = {"": [], "model in process": ["--model-in-process"], "not frozen": ["--no-freeze"]}
"""gloss as it is, and with one measure undone (bench/gloss_variant.py)."""


def gloss_round(path: Path, n: int, steps_n: int, variant: str = "") -> dict:
    """One gloss session: n list presses and steps_n reader presses idle, then the same
    while "Re-analyse all" runs, and the re-analysis' articles/s meanwhile."""
    complete = gloss_complete(path)
    column, top, bottom = SIDEBAR + 10, 1, terminal.ROWS - 4
    argv: list = [GLOSS, "--db", path]
    if variant:
        argv = [sys.executable, ROOT / "bench" / "gloss_variant.py", *VARIANTS[variant], "--",
                "--db", path]  # fmt: skip
    reader = lambda: steps(s, steps_n, 1, range(10, terminal.ROWS - 2))  # noqa: E731
    with terminal.Session(argv, cwd=ROOT, env=ENV) as s:
        s.wait(lambda screen: complete(screen.display), 60)
        s.settle(0.5)
        idle, m1 = presses(s, n, column, top, bottom)
        s.press(ENTER)  # the reader, on the list's article
        s.wait(lambda screen: "Next" in screen.display[-1], 10)
        reader_idle, m2 = reader()
        s.press("q")
        s.wait(lambda screen: complete_list(screen, column, top, bottom), 10)
        s.press(PALETTE)
        s.wait(lambda screen: "Search for commands" in "\n".join(screen.display), 10)
        s.press("Re-analyse all")
        s.wait(lambda screen: "Re-analyse all" in "\n".join(screen.display[:12]), 10)
        s.settle(0.3)
        s.press(ENTER)
        first = progress_at(s)
        busy, m3 = presses(s, n, column, top, bottom)
        s.press(ENTER)
        s.wait(lambda screen: "Next" in screen.display[-1], 10)
        reader_busy, m4 = reader()
        s.press("q")
        last = progress_at(s, 10)
    rate = (last[0] - first[0]) / (last[2] - first[2])
    return {"idle": idle, "busy": busy, "reader idle": reader_idle, "reader busy": reader_busy,
            "missed": m1 + m2 + m3 + m4, "progress": [first[:2], last[:2]],
            "articles_per_s": rate}  # fmt: skip


def complete_list(screen: pyte.Screen, column: int, top: int, bottom: int) -> bool:
    """The library's list is back, with its cursor."""
    return "Quit" in screen.display[-1] and cursor_row(screen, column, top, bottom) is not None


def bare_round(n: int) -> tuple[list, int]:
    argv = [sys.executable, ROOT / "bench" / "bare_list.py"]
    with terminal.Session(argv, cwd=ROOT) as s:
        s.wait(lambda screen: "row 3 " in "\n".join(screen.display), 30)
        s.settle(0.5)
        return presses(s, n, 20, 2, terminal.ROWS - 1)


def bare_reader_round(n: int) -> tuple[list, int]:
    argv = [sys.executable, ROOT / "bench" / "bare_reader.py"]
    with terminal.Session(argv, cwd=ROOT) as s:
        s.wait(lambda screen: "Dispatch 0." in "\n".join(screen.display), 30)
        s.settle(0.5)
        return steps(s, n, 1, range(3, terminal.ROWS - 2))


def _stats(seconds: list[float]) -> dict:
    ms = [x * 1000 for x in seconds]
    out = spread(ms)
    out["p95"] = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return out


CONDITIONS = {"idle": "idle", "re-analysing": "busy", "reader idle": "reader idle",
              "reader re-analysing": "reader busy"}  # fmt: skip
"""The figures of a gloss session, by their name in the results."""


def run(rounds: int = ROUNDS, n: int = PRESSES, path: Path | None = None,
        steps_n: int = STEPS) -> dict:  # fmt: skip
    samples: dict[str, list[float]] = {"bare": [], "bare reader": []}
    for variant in VARIANTS:
        for name in CONDITIONS:
            samples[f"{name}, {variant}" if variant else name] = []
    rates: dict[str, list[float]] = {v or "as it is": [] for v in VARIANTS}
    per_round, missed = [], 0
    sessions = ["bare", "bare reader", *VARIANTS]
    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "lib.db"
        shutil.copy(path or library(ARTICLES, ARTICLES // 10), lib)
        for i in range(rounds):
            load = os.getloadavg()[0]
            order = sessions[i % len(sessions) :] + sessions[: i % len(sessions)]
            medians: dict[str, float] = {}
            for name in order:
                if name == "bare":
                    got, m = bare_round(n)
                    got_by = {"bare": got}
                elif name == "bare reader":
                    got, m = bare_reader_round(steps_n)
                    got_by = {"bare reader": got}
                else:
                    # the same library in every session, a file of its own (a session quit
                    # during the re-analysis leaves its WAL beside it)
                    fresh = Path(tmp) / f"lib-{i}-{len(rates[name or 'as it is'])}-{name}.db"
                    shutil.copy(lib, fresh)
                    g = gloss_round(fresh, n, steps_n, name)
                    m = g["missed"]
                    got_by = {(f"{c}, {name}" if name else c): g[k] for c, k in CONDITIONS.items()}
                    rates[name or "as it is"].append(round(g["articles_per_s"], 2))
                missed += m
                for k, v in got_by.items():
                    samples[k] += v
                    medians[k] = round(statistics.median(v) * 1000, 1)
            per_round.append({"load_1min": round(load, 2), "order": order, "ms_median": medians,
                              "articles_per_s": {k: v[-1] for k, v in rates.items()}})  # fmt: skip
            print(f"  round {i + 1}: load {load:.2f}; medians (ms) "
                  + ", ".join(f"{k} {v}" for k, v in medians.items())
                  + "; articles/s " + ", ".join(f"{k} {v[-1]}" for k, v in rates.items()),
                  flush=True)  # fmt: skip
    stats = {k: _stats(v) for k, v in samples.items() if v}
    print("key to its frame, through the real command in a 120x40 pty, "
          f"{ARTICLES:,} articles, {rounds} rounds x {n} list presses (j/k) + {steps_n} "
          "reader presses (]) (ms: median, IQR, range; p95)")  # fmt: skip
    for k, st in stats.items():
        print(f"  {k:38} {show(st)}  p95 {st['p95']:.1f}  max {st['max']:.1f}")
    print("re-analysis while the keys are pressed, articles/s: "
          + "; ".join(f"{k} {statistics.median(v):.2f} ({', '.join(map(str, v))})"
                      for k, v in rates.items()))  # fmt: skip
    if missed:
        print(f"  {missed} presses showed nothing within 2 s")
    return {"how": "gloss --db LIB in a pty (ptyprocess, pyte 120x40): j/k written to the "
            "frame showing the list's cursor moved, ] in the reader to the frame showing the "
            "next article; idle and during 'Re-analyse all'; gloss as it is, with the model in "
            "a worker thread, and with the start-up heap not frozen (bench/gloss_variant.py); "
            "baselines: a "
            "bare OptionList (j/k), a bare app swapping a screen of text (])",
            "articles": ARTICLES, "rounds": rounds, "presses": n, "reader_presses": steps_n,
            "pace_s": PACE, "reader_pace_s": READER_PACE, "ms": stats,
            "articles_per_s": {k: {"median": statistics.median(v), "runs": v}
                               for k, v in rates.items()},
            "missed": missed, "per_round": per_round, "budget_ms": BUDGET_MS}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description="Key latency, idle and while re-analysing.")
    ap.add_argument("--rounds", type=int, default=ROUNDS)
    ap.add_argument("--presses", type=int, default=PRESSES)
    ap.add_argument("--steps", type=int, default=STEPS, help="reader presses of ]")
    ap.add_argument("--db", type=Path, help="an existing library instead of the generated one")
    args = ap.parse_args()
    result = run(args.rounds, args.presses, args.db, args.steps)
    print(f"wrote {save({'keys': result})}")


if __name__ == "__main__":
    main()
