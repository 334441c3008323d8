"""Sync v2 on the 100,000-article library with 50,000 notes, through the real `gloss`
command (each figure is a `gloss ... sync HUB` process, spawn to exit), next to what it
wraps, in the same run, repeated, with medians and spread:

- first sync (an empty folder hub) next to one `VACUUM INTO` of the same library,
  interleaved; the hub's bytes next to the library file's;
- one new note, then sync: seconds and bytes written; the other machine's sync (merge) of
  it; next to `gloss list --limit 1` on the same library (the command's own start-up);
- ten peers with one new note each: one sync of the library that reads their ten files;
- with --syncthing: the bytes two real Syncthing instances move for one new note, with this
  design and with today's before it (gloss 1's whole-library file; needs a checkout of it:
  `git worktree add /work/v1 8ae5e27 && make -C /work/v1 .venv/.installed-run`).

The generated library's texts are shuffled paragraphs of five articles, which zstd
compresses ~70x: `--words` (the default) runs on a copy whose texts are random English
words of the same lengths (made once, ids and full-text index rebuilt), which compress
like prose (2.2x). Costs: a first sync grows with the library (every fact, once); a later
one with what changed (the journal after the hub's mark); a merge with the files new to it.

    python -m bench.sync_bench [--runs 5] [--generated] [--syncthing]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import show, spread

DATA = Path(__file__).resolve().parent / "data"
GLOSS = str(Path(sys.executable).with_name("gloss"))
N, NOTES = 100_000, 50_000
ENV = {**os.environ, "GLOSS_MODEL": "none"}


def base_library(words: bool) -> Path:
    """The 100,000-article library (generated once), or its random-words copy."""
    plain = DATA / "lib100k.db"
    if not plain.exists():
        from bench.generate import generate

        DATA.mkdir(exist_ok=True)
        print("generating the 100,000-article library (once) ...", flush=True)
        generate(plain, N, NOTES, seed=1)
    if not words:
        return _current(plain)
    path = DATA / "lib100k-words.db"
    if not path.exists():
        print("making its random-words copy (once) ...", flush=True)
        _words_copy(plain, path)
    return _current(path)


def _current(path: Path) -> Path:
    """The library at the current schema: one made by an older gloss is upgraded once, in
    place and compacted (a sync of a copy would otherwise time the upgrade)."""
    from store.core.db import SCHEMA_VERSION
    from store.library import Library

    if _schema(path) < SCHEMA_VERSION:
        print(f"upgrading {path.name} to schema {SCHEMA_VERSION} (once) ...", flush=True)
        Library.open(path).close()
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    return path


def _words_copy(src: Path, dst: Path) -> None:
    """Texts replaced by random words of the same length; ids recomputed (an id is the
    hash of its text: a peer's checks require it), the full-text index rebuilt."""
    from bench.pack_format_bench import random_words_copy
    from store.ingest.importer import legacy_id

    tmp = dst.with_suffix(".tmp")
    random_words_copy(src, tmp)
    conn = sqlite3.connect(tmp, isolation_level=None)
    conn.execute("BEGIN")
    rows = conn.execute("SELECT key, text FROM articles").fetchall()
    conn.executemany("UPDATE articles SET id = ? WHERE key = ?",
                     [(legacy_id(t), k) for k, t in rows])  # fmt: skip
    conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
    conn.execute("COMMIT")
    conn.execute(  # the trigger random_words_copy dropped
        "CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN"
        " INSERT INTO articles_fts (articles_fts, rowid, title, text)"
        " VALUES ('delete', old.key, old.title, old.text);"
        " INSERT INTO articles_fts (rowid, title, text) VALUES (new.key, new.title, new.text);"
        " END"
    )
    conn.execute("VACUUM")
    conn.close()
    tmp.rename(dst)


def copy_library(src: Path, dst: Path) -> Path:
    shutil.copy(src, dst)
    for suffix in ("-wal", "-shm"):
        Path(str(dst) + suffix).unlink(missing_ok=True)
    return dst


def gloss(db: Path, *args: str) -> tuple[float, dict | str]:
    """Seconds from spawn to exit of `gloss --db DB ARGS`, and its JSON (or text) output."""
    t = time.perf_counter()
    done = subprocess.run([GLOSS, "--db", str(db), *args], capture_output=True, text=True,
                          env=ENV)  # fmt: skip
    took = time.perf_counter() - t
    if done.returncode not in (0, 1):
        raise SystemExit(f"gloss {' '.join(args)} failed: {done.stderr}")
    out = done.stdout
    return took, json.loads(out) if "--json" in args else out


def vacuum_into(db: Path, dest: Path) -> float:
    conn = sqlite3.connect(db)
    try:
        t = time.perf_counter()
        conn.execute("VACUUM INTO ?", (str(dest),))
        took = time.perf_counter() - t
    finally:
        conn.close()
    # As durable as a pack: SQLite syncs the copy itself within the timed VACUUM INTO
    # (fdatasync, seen with strace -c: 6 calls a copy), so this fsync finds nothing to write
    with open(dest, "rb+") as f:
        os.fsync(f.fileno())
    dest.unlink()
    return took


def hub_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def first_sync(base: Path, work: Path, runs: int) -> dict:
    syncs, vacuums, ratios, sizes = [], [], [], []
    lib = work / "a.db"
    for n in range(runs):
        copy_library(base, lib)
        folder = work / "hub"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        order = ("vacuum", "sync") if n % 2 == 0 else ("sync", "vacuum")
        for what in order:  # interleaved: each first in turn
            if what == "vacuum":
                v = vacuum_into(lib, work / "vacuum.db")
            else:
                s, report = gloss(lib, "sync", str(folder), "--json")
                assert isinstance(report, dict) and report["published"], report
        syncs.append(s)
        vacuums.append(v)
        ratios.append(s / v)
        sizes.append(hub_bytes(folder) / lib.stat().st_size)
    return {"sync_s": spread(syncs), "vacuum_s": spread(vacuums), "ratio": spread(ratios),
            "hub_over_library": spread(sizes), "library_bytes": lib.stat().st_size,
            "hub_bytes": hub_bytes(work / "hub")}  # fmt: skip


def one_note(work: Path, runs: int) -> dict:
    """a (after its first sync) and b (a copy of it: another device) share the hub."""
    a, folder = work / "a.db", work / "hub"
    conn = sqlite3.connect(a)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    article = conn.execute("SELECT id FROM articles ORDER BY key DESC LIMIT 1").fetchone()[0]
    conn.close()
    b = copy_library(a, work / "b.db")
    gloss(b, "sync", str(folder), "--json")  # b becomes a device of its own
    writes, written, merges, bare = [], [], [], []
    for n in range(runs):
        gloss(a, "note", article, f"note {n} of the benchmark")
        s, report = gloss(a, "sync", str(folder), "--json")
        assert isinstance(report, dict) and report["sent"] == 1, report
        writes.append(s)
        written.append(report["written_bytes"])
        m, got = gloss(b, "sync", str(folder), "--json")
        assert isinstance(got, dict) and [p["received"] for p in got["peers"]] == [1], got
        merges.append(m)
        bare.append(gloss(a, "list", "--limit", "1")[0])
    return {"sync_s": spread(writes), "written_bytes": spread(written),
            "merge_s": spread(merges), "gloss_list_s": spread(bare)}  # fmt: skip


def ten_peers(work: Path, runs: int) -> dict:
    """Ten more devices (copies of a after its first sync: each becomes a device of its
    own at its first sync, and knows the hub as a did); each round, one new note on each,
    then a's sync reads their ten new files."""
    a, folder = work / "a.db", work / "hub"
    conn = sqlite3.connect(a)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    article = conn.execute("SELECT id FROM articles ORDER BY key LIMIT 1").fetchone()[0]
    conn.close()
    peers = [copy_library(a, work / f"peer{i}.db") for i in range(10)]
    for path in peers:
        gloss(path, "sync", str(folder), "--json")
    gloss(a, "sync", str(folder), "--json")
    syncs = []
    for n in range(runs):
        for i, path in enumerate(peers):
            gloss(path, "note", article, f"peer {i}, round {n}")
            gloss(path, "sync", str(folder), "--json")
        s, report = gloss(a, "sync", str(folder), "--json")
        assert isinstance(report, dict), report
        assert sorted(p["received"] for p in report["peers"]) == [1] * 10, report["peers"]
        syncs.append(s)
    for path in peers:
        path.unlink()
    return {"sync_s": spread(syncs)}


V1_SCHEMA = 5  # the newest schema gloss 1 (8ae5e27) opens


def _schema(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def syncthing_bytes(base: Path, work: Path, v1: Path) -> dict:
    """Bytes two Syncthing instances move for one new note: this design, then gloss 1's."""
    from tests.store.sync.syncthing_pair import SyncthingPair

    out: dict = {}
    for design, binary in (("v2", GLOSS), ("v1", str(v1 / ".venv" / "bin" / "gloss"))):
        root = work / f"st-{design}"
        if design == "v1" and _schema(base) > V1_SCHEMA:
            out["v1"] = None  # (gloss 1 refuses a library of a newer schema: not comparable)
            print(f"gloss 1 cannot open a schema-{_schema(base)} library: v1 not measured")
            continue
        with SyncthingPair(root) as pair:
            a = copy_library(base, root / "a.db")
            b = copy_library(base, root / "b.db")

            def run(db: Path, *args: str, binary: str = binary) -> None:
                subprocess.run([binary, "--db", str(db), *args], check=True,
                               capture_output=True, env=ENV)  # fmt: skip

            run(a, "sync", str(pair.folder("a")))
            pair.wait_in_sync(timeout=600)
            run(b, "sync", str(pair.folder("b")))
            pair.wait_in_sync(timeout=600)
            conn = sqlite3.connect(a)
            article = conn.execute("SELECT id FROM articles LIMIT 1").fetchone()[0]
            conn.close()
            before = pair.bytes_moved()
            run(a, "note", article, "one new note")
            run(a, "sync", str(pair.folder("a")))
            pair.wait_in_sync(timeout=600)
            out[design] = pair.bytes_moved() - before
    return out


def run(runs: int = 5, words: bool = True, syncthing: bool = False) -> dict:
    base = base_library(words)
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        work = Path(tmp)
        print(f"library: {base.name}, {base.stat().st_size:,} bytes; {runs} runs", flush=True)
        first = first_sync(base, work, runs)
        print(f"first sync      {show(first['sync_s'], 1, ' s')}")
        print(f"VACUUM INTO     {show(first['vacuum_s'], 1, ' s')}")
        print(f"  ratio         {show(first['ratio'], 1, 'x')}   (budget 1.2x)")
        print(f"  hub/library   {show(first['hub_over_library'], 1, 'x')}   (budget 0.6x)")
        note = one_note(work, runs)
        print(f"one note: sync  {show(note['sync_s'], 1000, ' ms')}   (budget 300 ms)")
        print(f"  bytes written {show(note['written_bytes'], 1, ' B')}   (budget 65,536 B)")
        print(f"  other's merge {show(note['merge_s'], 1000, ' ms')}   (budget 300 ms)")
        print(f"  gloss list    {show(note['gloss_list_s'], 1000, ' ms')}   (start-up alone)")
        ten = ten_peers(work, runs)
        print(f"ten peers, one note each: sync {show(ten['sync_s'], 1000, ' ms')} (budget 1 s)")
        result = {"library": base.name, "first": first, "one_note": note, "ten_peers": ten}
        if syncthing:
            v1 = Path("/work/v1")
            moved = syncthing_bytes(base, work, v1)
            v1_bytes = f"{moved['v1']:,}" if moved["v1"] is not None else "not measured"
            print(f"Syncthing bytes for one note: v2 {moved['v2']:,}, v1 {v1_bytes}")
            result["syncthing_bytes"] = moved
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--generated", action="store_true", help="the generated texts as they are")
    p.add_argument("--syncthing", action="store_true")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    result = run(args.runs, words=not args.generated, syncthing=args.syncthing)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
