"""Migration time of a schema-4 library to schema 5 through the real command: the library is
copied to a scratch folder (the original is only read), and `gloss --db COPY list --limit 1`
(which migrates on open, then lists one article) is timed from spawn to exit, with the
command's peak memory (ru_maxrss of the child) and the migrated file's size. Repeated
(a fresh copy each time); the copy is not timed.

    python -m bench.migrate_bench [--db bench/data/lib100k-schema4.db] [--runs 3] [--keep PATH]

The schema-4 library is made by the generator from before the compact schema (commit
4b79e7e), which writes schema 4:

    git worktree add /tmp/gloss-v4 4b79e7e
    (cd /tmp/gloss-v4 && PYTHONPATH=. python -m bench.generate \
        $PWD/bench/data/lib100k-schema4.db --articles 100000 --notes 50000)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import ROOT, save, show, spread

GLOSS = Path(sys.executable).with_name("gloss")
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
"""The installed `gloss` command, running this worktree's code."""
RUNS = 3
DEFAULT = ROOT / "bench" / "data" / "lib100k-schema4.db"


def _copy(src: Path, dst: Path) -> None:
    for side in ("", "-wal"):
        if Path(f"{src}{side}").exists():
            shutil.copyfile(f"{src}{side}", f"{dst}{side}")


def _version(path: Path) -> int:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def once(src: Path, folder: Path) -> dict:
    lib = folder / "lib.db"
    for p in folder.iterdir():
        p.unlink()
    _copy(src, lib)
    before = _version(lib)
    argv = [str(GLOSS), "--db", str(lib), "list", "--limit", "1", "--json"]
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        child = subprocess.Popen(argv, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)  # (its own rusage: ru_maxrss is its peak)
        seconds = time.perf_counter() - t
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if child.returncode:
        raise SystemExit(f"{' '.join(argv)} failed ({child.returncode}):\n{stderr[-2000:]}")
    return {"seconds": seconds, "schema": (before, _version(lib)), "bytes": lib.stat().st_size,
            "peak_rss_mb": usage.ru_maxrss / 1024, "progress_on_stderr": bool(stderr.strip()),
            "leftovers": sorted(p.name for p in folder.iterdir() if not p.name.startswith("lib.db"))
            + sorted(p.name for p in folder.iterdir() if p.name.startswith("lib.db.")),
            }  # fmt: skip


def run(src: Path = DEFAULT, runs: int = RUNS, keep: Path | None = None) -> dict:
    results = []
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        folder = Path(tmp)
        for i in range(runs):
            r = once(src, folder)
            results.append(r)
            print(f"  run {i + 1}: {r['seconds']:.1f} s, schema {r['schema'][0]} -> "
                  f"{r['schema'][1]}, {r['bytes']:,} B, peak RSS {r['peak_rss_mb']:.0f} MB"
                  f"{', left ' + ' '.join(r['leftovers']) if r['leftovers'] else ''}",
                  flush=True)  # fmt: skip
        if keep:
            shutil.copyfile(folder / "lib.db", keep)
    s = spread([r["seconds"] for r in results])
    print(f"migration of {src} through `gloss --db COPY list` ({runs} runs, s): {show(s)}")
    return {"library": str(src), "runs": runs, "seconds": s,
            "bytes": [r["bytes"] for r in results], "schema": results[-1]["schema"],
            "peak_rss_mb": spread([r["peak_rss_mb"] for r in results]),
            "progress_on_stderr": results[-1]["progress_on_stderr"]}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=DEFAULT, help="a schema-4 library (only read)")
    ap.add_argument("--runs", type=int, default=RUNS)
    ap.add_argument("--keep", type=Path, help="copy the last migrated library here")
    args = ap.parse_args()
    if not args.db.is_file():
        raise SystemExit(
            f"no schema-4 library at {args.db}: see `{__doc__.splitlines()[6].strip()}`"
            " and the commands under it in bench/migrate_bench.py"
        )
    print(f"wrote {save({'migrate': run(args.db, args.runs, args.keep)})}")


if __name__ == "__main__":
    main()
