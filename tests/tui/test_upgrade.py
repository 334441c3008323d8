"""`gloss` on a library from before the compact schema upgrades it first, with a progress bar
on stderr, and then does what it was asked."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.store.core import schema4
from tui.opening import upgrade_progress


def test_a_command_upgrades_an_old_library_with_a_progress_bar(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    schema4.build(path)
    done = subprocess.run(
        [sys.executable, "-c", "from tui.cli import main; main()", "--db", str(path),
         "list", "--json"],
        cwd=ROOT, capture_output=True, timeout=120,  # bytes: text mode would hide a \r
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr
    assert sorted(a["id"] for a in json.loads(done.stdout)) == sorted(
        a[0] for a in schema4.ARTICLES
    )
    assert "\r" not in stderr  # (not a terminal: a line a phase, as in a log)
    lines = stderr.splitlines()
    assert lines[0] == "gloss: upgrading the library: articles"
    assert "gloss: upgrading the library: entity groups" in lines
    assert lines[-1] == "gloss: library upgraded"
    assert len(lines) == len(set(lines))
    assert schema4.version_of(path) == 7


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_upgrade_is_one_bar_rewritten_in_place() -> None:
    out = Terminal()
    show = upgrade_progress(out)
    for phase, done, total in (("articles", 0, 10), ("articles", 10, 10),
                               ("entity groups", 1, 2), ("done", 0, 0)):  # fmt: skip
        show(phase, done, total)
    frames = out.getvalue().split("\r")[1:]
    assert frames[0] == f"gloss: upgrading the library [{'-' * 24}] articles 0/10".ljust(79)
    assert frames[2].startswith("gloss: upgrading the library [")
    assert "] entity groups 1/2" in frames[2]
    assert frames[-1] == "gloss: library upgraded".ljust(79) + "\n"
