"""Opening an article: keypress to the first frame showing it, for the sample (5 KB, 10
notes) and a 300 KB long-read, next to a keypress pushing a plain screen, in one process.

Headless, Textual builds each frame but skips encoding it, so the script encodes it as a
terminal run would and notes when it was ready. (Start-up is timed through the real command
in a terminal: bench/startup_bench.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.results import ROOT

# Notes each frame Textual hands to the terminal, encoded as a terminal run would encode it.
RECORD = """
import sys, time
from textual.app import App
FRAMES = []
_display = App._display
def display(self, screen, renderable):
    # Headless, Textual builds each frame but does not encode it for the terminal: encode it
    # here, as a terminal run would, and note when it was ready, with the screen it shows and
    # the article on that screen (the reader's) at that moment
    _display(self, screen, renderable)
    if renderable is not None and hasattr(renderable, "render_segments"):
        data = renderable.render_segments(self.console)
        FRAMES.append((time.perf_counter(), data, screen, getattr(screen, "article", None)))
App._display = display
"""

OPEN = (
    RECORD
    + """
import json
from pathlib import Path
from store import Library
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from tui.app import GlossApp
from tui.screens.reader import ReaderScreen
from tui.widgets.article_list import ArticleList
from tui.widgets.layout import layout

class Plain(Screen):
    BINDINGS = [("escape", "app.pop_screen", "Back")]
    def compose(self):
        yield Header()
        yield Static("x" * 4000)
        yield Footer()

async def shown(pilot, since, test):
    \"\"\"Milliseconds from `since` to the first frame encoded after it that passes `test`.\"\"\"
    while True:
        for t, _, screen, article in FRAMES:
            if t > since and test(screen, article):
                return (t - since) * 1000
        await pilot.pause(0.001)

async def main():
    app = GlossApp(Path(sys.argv[1]))
    app.bind("ctrl+b", "push_plain")
    app.action_push_plain = lambda: app.push_screen(Plain())
    out = {}
    async with app.run_test(size=(120, 40)) as pilot:
        lst = app.screen.query_one(ArticleList)
        while not (lst.loaded and lst.summary_at(0) is not None):
            await pilot.pause(0.001)
        for index in range(lst.count):
            summary = lst.summary_at(index)
            times = []
            for _ in range(5):
                lst.cursor = index
                await pilot.pause(0.05)
                t = time.perf_counter()
                await pilot.press("enter")
                times.append(await shown(pilot, t, lambda screen, article:
                    isinstance(screen, ReaderScreen) and article is not None
                    and article.id == summary.id))
                await pilot.press("escape")
                await pilot.pause(0.05)
            lib = Library.open(Path(sys.argv[1]))
            t = time.perf_counter()
            article = lib.get_article(summary.id)
            load = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            layout(article.text, 100, [(x.start, x.end) for x in article.sections])
            lay = (time.perf_counter() - t) * 1000
            out[summary.title] = {"total_ms": sorted(times)[2], "first_ms": times[0],
                                  "load_ms": load, "layout_ms": lay}
        bare = []
        for _ in range(5):  # the same keypress pushing a plain screen: Textual's own cost
            await pilot.pause(0.05)
            t = time.perf_counter()
            await pilot.press("ctrl+b")
            bare.append(await shown(pilot, t, lambda screen, article: isinstance(screen, Plain)))
            await pilot.press("escape")
        out["bare screen push"] = {"total_ms": sorted(bare)[2], "first_ms": bare[0]}
    print(json.dumps(out))

import asyncio; asyncio.run(main())
"""
)


def open_times() -> dict[str, float]:
    """Open the sample article and a 300 KB long-read in a small library."""
    from store import Library
    from tests.conftest import SAMPLE

    with tempfile.TemporaryDirectory() as tmp:
        long_read = Path(tmp) / "long.txt"
        paras = SAMPLE.read_text().split("\n\n")[1:-4]
        body = "\n\n".join(paras * (300_000 // sum(len(p) for p in paras) + 1))
        long_read.write_text("A Very Long Read\n\n" + body[:300_000])
        path = Path(tmp) / "lib.db"
        with Library.open(path) as lib:
            lib.import_paths([SAMPLE, long_read])
            for n, a in enumerate(lib.list_articles()):
                for i in range(10):  # 10 notes each, as in the budget
                    s = lib.get_article(a.id).sentences[i * 3]
                    lib.add_note(a.id, f"note {n}.{i}", s.start, s.end)
        out = subprocess.run([sys.executable, "-c", OPEN, str(path)], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
        return json.loads(out)


def run() -> dict:
    subprocess.run([sys.executable, "-m", "compileall", "-q", "store", "tui"], cwd=ROOT,
                   check=True, capture_output=True)  # fmt: skip
    opened = open_times()
    print("opening an article, keypress to the first frame showing it (median of 5;")
    print("  budgets 50 ms for the sample, 300 ms for the long-read)")
    for title, t in opened.items():
        parts = "".join(f", {k[:-3]} {v:.1f} ms" for k, v in t.items() if k != "total_ms")
        print(f"  {title[:40]:40} {t['total_ms']:6.1f} ms{parts}")
    return {"open_ms": opened, "open_budget_ms": {"sample": 50, "long_read": 300}}
