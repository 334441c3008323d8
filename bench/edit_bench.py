"""The cost of one edit on a heavily annotated article.

One 30 KB article holding 50,000 notes (facts as a sync or an import brings them) and one
note with a 200,000-revision history. Timed over repeated runs: adding a note, editing the
long-history note, toggling read, adding a tag, and reading the article back (`gloss show`'s
store part), next to the raw INSERT of one revision in one transaction (the fact write every
edit wraps). Run: `.venv/bin/python -m bench.edit_bench`.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from store import Library
from store.core import state

NOTES, REVISIONS, REPEATS = 50_000, 200_000, 21
BUDGET_MS = 20.0
TEXT = " ".join(f"Paragraph {i} reports what the council decided on item {i}." for i in range(500))


def _revision(rev: str, note: str, parents: list[str], article: int | None, i: int) -> tuple:
    at = (i * 37) % (len(TEXT) - 40)
    stamp = f"{1_700_000_000_000 + i // 100_000:013d}.{i % 100_000:05d}.peer"
    body = f"note {i}" if i % 3 else ""  # every third a highlight
    return (rev, note, json.dumps(parents), article, at, at + 30, TEXT[at : at + 30], "", "", body,
            0, stamp, "peer")  # fmt: skip


def build(path: Path) -> tuple[Library, str, str]:
    os.environ["GLOSS_MODEL"] = "none"  # the bench is about notes, not entities
    src = path.with_suffix(".txt")
    src.write_text(f"Council Decisions\n\n{TEXT}\n", encoding="utf-8")
    lib = Library.open(path)
    aid = lib.import_paths([src]).results[0].article_id
    assert aid is not None
    key = state.key_of(lib.conn, aid)  # revisions name their article by its local key
    rows = [_revision(f"N{i:025d}", f"NOTE{i:022d}", [], key, i) for i in range(NOTES)]
    long_note = "LONG" + "0" * 22
    parent: list[str] = []
    for i in range(REVISIONS):
        rev = f"L{i:025d}"
        rows.append(_revision(rev, long_note, parent, key, i))
        parent = [rev]
    t = time.perf_counter()
    with lib.write() as conn:
        conn.executemany(
            "INSERT INTO note_revisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        state.rebuild(conn, [key])  # what a merge or an import of these facts runs once
    print(f"built: {NOTES:,} notes and a {REVISIONS:,}-revision note; full rebuild and insert"
          f" {time.perf_counter() - t:.1f} s")  # fmt: skip
    return lib, aid, long_note


def timed(fn: Callable[[int], object]) -> dict[str, float]:
    runs = []
    for i in range(REPEATS):
        t = time.perf_counter()
        fn(i)
        runs.append((time.perf_counter() - t) * 1000)
    q = statistics.quantiles(runs, n=4)
    return {"median_ms": statistics.median(runs), "min_ms": min(runs), "max_ms": max(runs),
            "iqr_ms": q[2] - q[0]}  # fmt: skip


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        lib, aid, long_note = build(Path(tmp) / "library.db")
        key = state.key_of(lib.conn, aid)

        def raw(i: int) -> None:
            with lib.write() as conn:
                conn.execute(
                    "INSERT INTO note_revisions VALUES (?, ?, '[]', ?, 0, 9, ?, '', '', 'raw', 0,"
                    " ?, 'bench')",
                    (f"RAW{i:023d}", f"RAWNOTE{i:019d}", key, TEXT[:9], lib.stamp(conn)),
                )

        results = {
            "raw INSERT of one revision (baseline)": timed(raw),
            "add a note (50,000 on the article)": timed(
                lambda i: lib.add_note(aid, f"bench note {i}", 100, 140)
            ),
            "edit the 200,000-revision note": timed(
                lambda i: lib.edit_note(long_note, f"edit {i}")
            ),
            "toggle read": timed(lambda i: lib.set_read(aid, i % 2 == 0)),
            "add a tag": timed(lambda i: lib.tag(aid, add=[f"bench/t{i}"])),
            "read the article back (get_article)": timed(lambda i: lib.get_article(aid)),
        }
        summary = lib.summary(aid)
        lib.close()
    base = results["raw INSERT of one revision (baseline)"]["median_ms"]
    print(f"article: {summary.notes:,} notes, {summary.highlights:,} highlights; {REPEATS} runs")
    for name, r in results.items():
        med, lo, hi, iqr = r["median_ms"], r["min_ms"], r["max_ms"], r["iqr_ms"]
        print(f"{name:40} median {med:7.2f} ms  (min {lo:.2f}, max {hi:.2f}, IQR {iqr:.2f})"
              f"  {med / base:6.1f}x")  # fmt: skip
    edits = [k for k in results if k.startswith(("add", "edit", "toggle"))]
    ok = all(results[k]["median_ms"] < BUDGET_MS for k in edits)
    print(f"budget {BUDGET_MS:.0f} ms per edit: {'met' if ok else 'NOT met'}")
    return {"cases": results, "budget_ms": BUDGET_MS, "notes": NOTES, "revisions": REVISIONS}


if __name__ == "__main__":
    run()
