"""Starting gloss: the first frame is a complete screen, `gloss` alone loads no command tree
and opens the library in the app's worker, and a library that cannot be opened still ends
the real command with one line and a non-zero exit."""

from __future__ import annotations

import os
import re
import select
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pyte
import pytest

from tests.tui.conftest import ROOT, opened
from tests.tui.test_library import SIZE, record_frames
from tui import cli
from tui.app import GlossApp
from tui.screens import library as library_screen
from tui.screens.library import LibraryScreen

GLOSS = Path(sys.executable).with_name("gloss")
CSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")


async def test_the_first_frame_is_the_complete_screen(lib_path: Path, monkeypatch) -> None:
    """Header counts, sidebar and list rows arrive together: the counts were read by the
    worker that opened the library, not after the list was painted."""
    frames = record_frames(monkeypatch)
    monkeypatch.setattr(library_screen, "FIRST_ROWS_WAIT", 10.0)  # the mechanism, not speed
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first = next(text for screen, text in frames if isinstance(screen, LibraryScreen))
    lines = first.splitlines()
    assert lines[0].startswith(" gloss  5 articles · 5 unread · 0 notes · 0 highlights")
    assert lines[0].rstrip().endswith("showing All")
    assert [line[:26].rstrip() for line in lines[1:6]] == [
        " All  5", " Unread  5", " Starred  0", " Annotated  0", " Tags"
    ]  # fmt: skip
    with opened(lib_path) as lib:
        titles = [a.title[:30] for a in lib.list_articles()]
    assert all(title in lines[1 + i] for i, title in enumerate(titles))


def test_gloss_alone_loads_no_command_tree_and_does_not_wait_for_the_library(
    tmp_path: Path,
) -> None:
    """`gloss --db LIB` starts the app without importing click or the store's write side,
    and the library is opened and read beside the app's start, not before it: here the
    open waits until the app runs (the old synchronous open waited in vain, 10 s)."""
    path = tmp_path / "new.db"
    script = (
        "import sys, threading\n"
        "from store import Library\n"
        "from tui.app import GlossApp\n"
        "app_runs = threading.Event()\n"
        "real_open = Library.open.__func__\n"
        "def open_when_the_app_runs(cls, *args, **kwargs):\n"
        "    print('the app ran first:', app_runs.wait(10))\n"
        "    return real_open(cls, *args, **kwargs)\n"
        "Library.open = classmethod(open_when_the_app_runs)\n"
        "def run(self):\n"
        "    names = ('click', 'store.ingest.importer', 'store.ingest.parse',\n"
        "             'store.sync.folder', 'store.notes.export')\n"
        "    print('loaded:', [n for n in names if n in sys.modules])\n"
        "    app_runs.set()\n"
        "    print('articles:', self.library_screen.prefetched.result(timeout=20).count)\n"
        "GlossApp.run = run\n"
        f"sys.argv = ['gloss', '--db', {str(path)!r}]\n"
        "from tui.cli import main\n"
        "main()\n"
    )
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == "loaded: []\nthe app ran first: True\narticles: 0\n"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "env.db"),
        (["--db", "x.db"], "x.db"),
        (["--db=y.db"], "y.db"),
        (["list"], None),
        (["--db", "x.db", "list"], None),
        (["--version"], None),
        (["--db"], None),
        (["--db", "--help"], None),
        (["--db="], None),
    ],
)
def test_which_arguments_start_the_app_at_once(argv, expected, monkeypatch) -> None:
    monkeypatch.setenv("GLOSS_DB", "env.db")
    assert cli.app_only(argv) == (Path(expected) if expected else None)


def plain(data: bytes) -> str:
    return CSI.sub("", data.decode(errors="replace"))


def run_in_terminal(*args: str, db: Path, until: str | None = None) -> tuple[int, str, str]:
    """Run the real `gloss` in a pseudo-terminal: its exit status, what it wrote (escape
    sequences removed), and what it wrote once the app had left the screen. With `until`,
    press ctrl+q once that text has been written."""
    master, slave = os.openpty()
    os.set_blocking(master, False)
    import fcntl
    import struct
    import termios

    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    # (not COLUMNS and LINES, which pytest-xdist's workers have: Textual would take them over
    # the terminal's own size, 80x24 where the test sets 120x40)
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env |= {"TERM": "xterm-256color", "GLOSS_DB": str(db)}
    proc = subprocess.Popen([GLOSS, *args], stdin=slave, stdout=slave, stderr=slave, env=env,
                            cwd=ROOT, start_new_session=True)  # fmt: skip
    os.close(slave)
    out = b""
    # the screen as a terminal shows it (Textual writes only what changed, so a row's text
    # need not come in one piece): `until` is looked for there
    screen = pyte.Screen(SIZE[0], SIZE[1])
    stream = pyte.ByteStream(screen)
    deadline = time.monotonic() + 60  # a bound for a hung process, not a timing assertion
    try:
        while time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    data = os.read(master, 1 << 16)
                except OSError:
                    data = b""
                if not data and proc.poll() is not None:
                    break
                out += data
                stream.feed(data)
            elif proc.poll() is not None:
                break
            if until is not None and until in "\n".join(screen.display):
                os.write(master, b"\x11")
                until = None
        after = out.rpartition(b"\x1b[?1049l")[2]  # the app leaves the alternate screen
        return proc.wait(timeout=10), plain(out), plain(after)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def test_the_command_with_a_damaged_library_prints_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00" * 4096)
    code, out, after = run_in_terminal("--db", str(junk), db=tmp_path / "unused.db")
    assert code == 1 and "Traceback" not in out
    assert after == (
        f"gloss: error: {junk} is not a readable SQLite database (not a gloss library); nothing"
        " was changed. If it is your library, restore it from a backup or a sync peer\r\n"
    )
    assert junk.read_bytes() == b"\x00" * 4096


def test_the_command_with_another_sqlite_file_prints_one_line(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    before = other.read_bytes()
    code, _, after = run_in_terminal(db=other)  # through $GLOSS_DB
    assert code == 1 and after.startswith("gloss: error: ") and "not a gloss library" in after
    assert after.endswith("\r\n") and after.count("\n") == 1
    assert other.read_bytes() == before


def test_the_command_shows_the_library_and_quits_on_ctrl_q(lib_path: Path) -> None:
    # (ctrl+q once the rows are up: on a busy machine the header's counts come a frame first)
    title = "European Central Bank Holds Rates"
    code, out, after = run_in_terminal("--db", str(lib_path), db=lib_path, until=title)
    assert (code, after) == (0, "")
    assert "5 articles" in out and title in out


async def test_the_collector_held_back_for_start_up_runs_again_once_the_app_is_up(
    lib_path: Path,
) -> None:
    """`gloss` starts with the cyclic garbage collector off (start-up frees little and it
    ran a hundred times before the first frame); the app turns it on when that frame is up."""
    import gc

    gc.disable()
    try:
        app = GlossApp(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert gc.isenabled()
    finally:
        gc.enable()
