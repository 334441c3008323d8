"""Importing big exports of other services through the real command, `gloss --db NEW
import-from SERVICE FILE`, time and peak memory, next to what each wraps, interleaved and
repeated in the same run:

- Pocket, 20,000 saved links (a CSV): next to the raw floor, Python's csv module reading the
  same file and one INSERT per row into a bare SQLite table (in a process of its own);
- Wallabag, 20,000 articles with HTML content and a highlight each (a JSON export): next to
  `gloss import FOLDER` of the same pages as .html files (the page import it goes through).

Both run with GLOSS_MODEL=none: the entity analysis costs what the import benchmark
measures (against raw `nlp.pipe`), and would hide the importer's own cost. Peak memory is
the process's maximum resident set (getrusage of a wrapper's child); it is measured at
5,000 and at 20,000 entries too, to show that memory is bounded by a chunk, not the file.

    python -m bench export                          # the full run
    python -m bench.export_bench --entries 2000 --repeats 1   # a quick one
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import texts
from bench.results import ROOT, save, show, spread

GLOSS = ROOT / ".venv" / "bin" / "gloss"
ENTRIES = 20_000
REPEATS = 3

# A process that runs its arguments and prints its child's wall seconds and peak RSS (KiB).
_WRAP = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "s = time.perf_counter() - t\n"
    "if r.returncode not in (0,):\n"
    "    sys.exit(f'failed ({r.returncode}): ' + r.stderr.decode()[-400:])\n"
    "print(s, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)

_RAW_POCKET = (
    "import csv, sqlite3, sys\n"
    "db = sqlite3.connect(sys.argv[2])\n"
    "db.execute('CREATE TABLE links (url, title, added INTEGER, tags, status)')\n"
    "with open(sys.argv[1], newline='', encoding='utf-8') as f, db:\n"
    "    rows = csv.DictReader(f)\n"
    "    for r in rows:\n"
    "        db.execute('INSERT INTO links VALUES (?, ?, ?, ?, ?)', (r['url'], r['title'],"
    " int(r['time_added']), r['tags'], r['status']))\n"
)


def _measured(argv: list[str | Path]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one command, run under the wrapper."""
    env = {**os.environ, "GLOSS_MODEL": "none"}
    r = subprocess.run([sys.executable, "-c", _WRAP, *map(str, argv)], capture_output=True,
                       text=True, env=env, cwd=ROOT)  # fmt: skip
    if r.returncode:
        raise SystemExit(f"{argv[:4]}: {r.stderr.strip()[-400:]}")
    seconds, rss = r.stdout.split()
    return float(seconds), int(rss) / 1024


def pocket_csv(path: Path, n: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["title", "url", "time_added", "tags", "status"])
        for i in range(n):
            url = f"https://news{i % 97}.example/{i}/story?utm_source=x"
            tags, status = "later|news" if i % 3 else "", "archive" if i % 4 == 0 else "unread"
            w.writerow([f"Saved story {i}", url, 1_600_000_000 + i * 60, tags, status])


def wallabag_pages(n: int) -> list[tuple[str, str, str]]:
    """(title, url, html) of n distinct pages."""
    out = []
    for i, (title, body) in enumerate(texts(n, paras=6)):
        paras = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
        html = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        out.append((title, f"https://mag.example/{i}", html + paras + "</article></body></html>"))
    return out


def wallabag_json(path: Path, pages: list[tuple[str, str, str]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("[")
        for i, (title, url, html) in enumerate(pages):
            quote = html.split("<p>", 2)[1].split(" ")[:6]
            entry = {"id": i, "title": title, "url": url, "content": html, "is_archived": i % 2,
                     "is_starred": int(i % 5 == 0), "tags": [{"label": "mag"}],
                     "created_at": "2024-01-02T03:04:05+0100",
                     "annotations": [{"text": "note", "quote": " ".join(quote), "ranges": [],
                                      "created_at": "2024-01-03T00:00:00+0100"}]}  # fmt: skip
            f.write(("," if i else "") + json.dumps(entry))
        f.write("]")


def _new_db(tmp: Path, name: str) -> Path:
    db = tmp / f"{name}-{time.monotonic_ns()}.db"
    from store import Library

    with Library.open(db):  # made first, empty: the common case
        pass
    return db


def run(entries: int = ENTRIES, repeats: int = REPEATS) -> dict:
    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as tmp_name:
        tmp = Path(tmp_name)
        csv_path, small_csv = tmp / "pocket.csv", tmp / "pocket-small.csv"
        pocket_csv(csv_path, entries)
        pocket_csv(small_csv, entries // 4)
        pages = wallabag_pages(entries)
        wb, small_wb = tmp / "wallabag.json", tmp / "wallabag-small.json"
        wallabag_json(wb, pages)
        wallabag_json(small_wb, pages[: entries // 4])
        folder = tmp / "pages"
        folder.mkdir()
        for i, (_, _, html) in enumerate(pages):
            (folder / f"{i:05d}.html").write_text(html, encoding="utf-8")
        samples: dict[str, list[float]] = {k: [] for k in (
            "pocket_s", "pocket_mib", "raw_csv_s", "wallabag_s", "wallabag_mib", "folder_s",
            "folder_mib", "pocket_small_mib", "wallabag_small_mib")}  # fmt: skip
        for i in range(repeats):
            jobs = [
                ("pocket", [GLOSS, "--db", _new_db(tmp, "p"), "import-from", "pocket", csv_path]),
                ("raw_csv", [sys.executable, "-c", _RAW_POCKET, csv_path, tmp / f"raw{i}.db"]),
                (
                    "wallabag",
                    [GLOSS, "--db", _new_db(tmp, "w"), "import-from", "wallabag", wb, "-j", "1"],
                ),  # fmt: skip
                ("folder", [GLOSS, "--db", _new_db(tmp, "f"), "import", folder, "-j", "1"]),
            ]
            if i % 2:
                jobs.reverse()  # each first in turn
            for name, argv in jobs:
                seconds, mib = _measured(argv)
                samples[f"{name}_s"].append(seconds)
                if f"{name}_mib" in samples:
                    samples[f"{name}_mib"].append(mib)
                print(f"  {name}: {seconds:.2f} s, {mib:.0f} MiB", flush=True)
        for name, path in (("pocket", small_csv), ("wallabag", small_wb)):
            _, mib = _measured([GLOSS, "--db", _new_db(tmp, "s"), "import-from", name, path])
            samples[f"{name}_small_mib"].append(mib)
    out = {"entries": entries, "repeats": repeats, **{k: spread(v) for k, v in samples.items()}}
    out["pocket_over_raw"] = out["pocket_s"]["median"] / out["raw_csv_s"]["median"]
    out["wallabag_over_folder"] = out["wallabag_s"]["median"] / out["folder_s"]["median"]
    raw = show(out["raw_csv_s"], unit=" s")
    print(f"pocket {entries:,} links: {show(out['pocket_s'], unit=' s')},"
          f" {show(out['pocket_mib'], unit=' MiB')} (raw csv+sqlite: {raw})")  # fmt: skip
    print(f"wallabag {entries:,} articles: {show(out['wallabag_s'], unit=' s')},"
          f" {show(out['wallabag_mib'], unit=' MiB')} (gloss import of the pages:"
          f" {show(out['folder_s'], unit=' s')},"
          f" {show(out['folder_mib'], unit=' MiB')})")  # fmt: skip
    small = (out["pocket_small_mib"]["median"], out["wallabag_small_mib"]["median"])
    print(f"peak memory at {entries // 4:,} entries: pocket {small[0]:.0f} MiB,"
          f" wallabag {small[1]:.0f} MiB")  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--entries", type=int, default=ENTRIES)
    ap.add_argument("--repeats", type=int, default=REPEATS)
    args = ap.parse_args()
    print(f"wrote {save({'export': run(args.entries, args.repeats)})}")


if __name__ == "__main__":
    main()
