"""Frame time while scrolling the 100,000-article list (or another library's: --db) and
paging a 300 KB long-read: a key's action plus rendering every visible line (one frame's
work), next to a bare Textual Line-API ScrollView doing the same, in the same run. (Timing
whole key presses through Pilot measures Pilot: about 85 ms a press whatever the app does.)

    python -m bench frames          # or: python -m bench.frames_bench [--db LIB]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.results import ROOT
from bench.search_bench import library

SCRIPT = """
import asyncio, json, statistics, sys, time
from pathlib import Path
from textual.app import App
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from rich.segment import Segment
from tui.app import GlossApp
from tui.screens.reader import ReaderScreen
from tui.widgets.article_list import ArticleList

def stats(samples):
    samples = sorted(samples)
    return {"median_ms": statistics.median(samples), "p95_ms": samples[int(len(samples) * .95) - 1]}

def frames(widget, step, n):
    # the key's action, then every visible line of the widget rendered: one frame's work
    out = []
    for _ in range(n):
        t = time.perf_counter()
        step()
        widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
        out.append((time.perf_counter() - t) * 1000)
    return stats(out)

class Lines(ScrollView, can_focus=True):
    def __init__(self):
        super().__init__()
        self.virtual_size = Size(118, 100_000)
    def render_line(self, y):
        i = self.scroll_offset.y + y
        return Strip([Segment(f"row {i} " + "word " * 20)]).crop(0, self.size.width)

class Bare(App):
    def compose(self):
        yield Lines()

async def main():
    result = {}
    bare = Bare()
    async with bare.run_test(size=(120, 40)) as pilot:
        w = bare.query_one(Lines)
        await pilot.pause()
        def down(n):
            return lambda: w.scroll_to(y=w.scroll_offset.y + n, animate=False, immediate=True)
        result["bare ScrollView, 1 line"] = frames(w, down(1), 200)
        result["bare ScrollView, 1 page"] = frames(w, down(38), 60)
    app = GlossApp(Path(sys.argv[1]))
    async with app.run_test(size=(120, 40)) as pilot:
        lst = app.screen.query_one(ArticleList)
        while not (lst.loaded and lst.summary_at(0) is not None):
            await pilot.pause(0.001)
        n = app.library_screen.lib.count()
        result[f"list j ({n:,} articles)"] = frames(lst, lambda: lst.action_move(1), 200)
        result["list pagedown"] = frames(lst, lambda: lst.action_move_page(1), 60)
    app = GlossApp(Path(sys.argv[2]))
    async with app.run_test(size=(120, 40)) as pilot:
        lst = app.screen.query_one(ArticleList)
        while not (lst.loaded and lst.summary_at(0) is not None):
            await pilot.pause(0.001)
        await pilot.press("enter")
        while not (isinstance(app.screen, ReaderScreen) and app.screen.article):
            await pilot.pause(0.001)
        await pilot.pause()
        view = app.screen.view
        result["reader j (300 KB)"] = frames(view, lambda: view.action_move(1), 100)
        result["reader page (300 KB)"] = frames(view, lambda: view.action_page(1), 60)
    print(json.dumps(result))

asyncio.run(main())
"""


def run(path: Path | None = None) -> dict:
    from store import Library
    from tests.conftest import SAMPLE

    big = path or library()
    with tempfile.TemporaryDirectory() as tmp:
        paras = SAMPLE.read_text().split("\n\n")[1:-4]
        body = "\n\n".join(paras * (300_000 // sum(len(p) for p in paras) + 1))
        long_read = Path(tmp) / "long.txt"
        long_read.write_text("A Very Long Read\n\n" + body[:300_000])
        small = Path(tmp) / "lib.db"
        with Library.open(small) as lib:
            lib.import_paths([long_read])
        out = subprocess.run([sys.executable, "-c", SCRIPT, str(big), str(small)], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    result = json.loads(out)
    print("one frame: action + render of the visible lines (median / p95 ms; budget 16 ms)")
    for name, r in result.items():
        print(f"  {name:30} {r['median_ms']:6.1f} {r['p95_ms']:6.1f}")
    return {"frames": result, "budget_ms": 16}


def main() -> None:
    import argparse

    from bench.results import save

    ap = argparse.ArgumentParser(description="Frame time of list and reader keys.")
    ap.add_argument("--db", type=Path, help="an existing library instead of the generated one")
    result = run(ap.parse_args().db)
    print(f"wrote {save({'frames': result})}")


if __name__ == "__main__":
    main()
