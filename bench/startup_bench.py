"""Start-up to the first painted article list on a 100,000-article library, next to a bare
Textual app, each in a fresh process (imports included), headless, in the same run; and
opening an article (keypress to the first frame showing it) for the sample (5 KB, 10 notes)
and for a 300 KB long-read, next to a keypress pushing a plain screen.

"Painted" is the first frame Textual hands to the terminal, encoded, that shows the content:
headless, Textual builds each frame but skips encoding it, so the scripts encode it as a
terminal run would. Python files are byte-compiled first, as an installed gloss is.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.search_bench import library

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15

# Both scripts time, from the start of the process's imports, the first frame encoded for the
# terminal that shows the content ("hello", the title of the first article).
RECORD = """
import resource, sys, time
t0 = time.perf_counter()
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

def painted(marker):
    return next((t - t0 for t, data, _, _ in FRAMES if marker in data), None)
"""

BARE = (
    RECORD
    + """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("hello")

async def main():
    app = Bare()
    async with app.run_test(size=(120, 40)) as pilot:
        while painted("hello") is None:
            await pilot.pause(0.001)
    print(painted("hello"), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)

import asyncio; asyncio.run(main())
"""
)

GLOSS = (
    RECORD
    + """
from pathlib import Path
from tui.app import GlossApp
from tui.widgets.article_list import ArticleList

async def main():
    app = GlossApp(Path(sys.argv[1]))
    async with app.run_test(size=(120, 40)) as pilot:
        lst = app.screen.query_one(ArticleList)
        while not (lst.loaded and lst.summary_at(0) is not None):
            await pilot.pause(0.001)
        marker = lst.summary_at(0).title[:24]
        while painted(marker) is None:
            await pilot.pause(0.001)
        assert lst.count >= 100_000, lst.count
        assert "spacy" not in sys.modules
    print(painted(marker), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)

import asyncio; asyncio.run(main())
"""
)

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


def _run(script: str, *args: str) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout.split()  # fmt: skip
    return float(out[0]), int(out[1])


def _open_times() -> dict[str, float]:
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
    path = library()
    subprocess.run([sys.executable, "-m", "compileall", "-q", "store", "tui"], cwd=ROOT,
                   check=True, capture_output=True)  # fmt: skip
    bare, gloss = [], []
    for _ in range(RUNS):  # interleaved, so drift in machine load hits both alike
        bare.append(_run(BARE))
        gloss.append(_run(GLOSS, str(path)))
    b = statistics.median(t for t, _ in bare)
    g = statistics.median(t for t, _ in gloss)
    bm = max(m for _, m in bare) / 1024
    gm = max(m for _, m in gloss) / 1024
    print(f"start-up to first painted list, 100,000 articles (median of {RUNS}, fresh processes)")
    print(f"  bare Textual app   {b * 1000:7.0f} ms   peak RSS {bm:6.0f} MB")
    print(f"  gloss              {g * 1000:7.0f} ms   peak RSS {gm:6.0f} MB   {g / b:.2f}x")
    opened = _open_times()
    print("opening an article, keypress to the first frame showing it (median of 5;")
    print("  budgets 50 ms for the sample, 300 ms for the long-read)")
    for title, t in opened.items():
        parts = "".join(f", {k[:-3]} {v:.1f} ms" for k, v in t.items() if k != "total_ms")
        print(f"  {title[:40]:40} {t['total_ms']:6.1f} ms{parts}")
    return {
        "bare_ms": b * 1000, "gloss_ms": g * 1000, "ratio": g / b, "budget_ratio": 1.3,
        "bare_peak_mb": bm, "gloss_peak_mb": gm, "open_ms": opened,
        "open_budget_ms": {"sample": 50, "long_read": 300},
    }  # fmt: skip
