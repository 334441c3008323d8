"""`gloss` on a library from before the compact schema upgrades it first, with a progress bar
on stderr, and then does what it was asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.store.core import schema4


def test_a_command_upgrades_an_old_library_with_a_progress_bar(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    schema4.build(path)
    done = subprocess.run(
        [sys.executable, "-c", "from tui.cli import main; main()", "--db", str(path),
         "list", "--json"],
        cwd=ROOT, capture_output=True, timeout=120,  # bytes: text mode would turn \r into \n
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr
    assert sorted(a["id"] for a in json.loads(done.stdout)) == sorted(
        a[0] for a in schema4.ARTICLES
    )
    frames = stderr.split("\r")
    assert frames[-1] == "gloss: library upgraded".ljust(79) + "\n"
    bars = [f for f in frames if f.startswith("gloss: upgrading the library [")]
    assert bars[0].startswith("gloss: upgrading the library [" + "-" * 24 + "] articles")
    assert bars[-1].startswith("gloss: upgrading the library [" + "#" * 24 + "] entity groups")
    assert schema4.version_of(path) == 7
