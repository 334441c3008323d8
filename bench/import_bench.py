"""Import throughput next to the raw `nlp.pipe` it wraps, on the same texts, in one run."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.corpus import texts, write_files
from store import Library, entities
from store.parse import parse_file

N = 400


def run() -> dict:
    analyzer, why = entities.analyzer()
    if analyzer is None:
        raise SystemExit(f"bench needs a model: {why}")
    items = texts(N)
    with tempfile.TemporaryDirectory() as tmp:
        files = write_files(Path(tmp) / "in", items)
        bodies = [parse_file(p).text for p in files]  # exactly the texts gloss analyses
        words = sum(len(b.split()) for b in bodies)
        list(analyzer.analyse(bodies[:20]))  # warm up

        t = time.perf_counter()
        for _ in analyzer.nlp.pipe(bodies, batch_size=32):
            pass
        raw = time.perf_counter() - t

        import spacy

        full = spacy.load(analyzer.nlp.meta["lang"] + "_" + analyzer.nlp.meta["name"])
        t = time.perf_counter()
        for _ in full.pipe(bodies, batch_size=32):
            pass
        raw_full = time.perf_counter() - t

        timings = {}
        for jobs in sorted({1, os.cpu_count() or 1}):
            lib = Library.open(Path(tmp) / f"lib{jobs}.db")
            t = time.perf_counter()
            report = lib.import_paths(files, jobs=jobs)
            timings[jobs] = time.perf_counter() - t
            assert report.count("imported") == N, report.to_json()["failed"]
            lib.close()

    rows = {
        "raw nlp.pipe (ner+senter, as gloss loads it)": raw,
        "raw nlp.pipe (full default pipeline)": raw_full,
        **{f"gloss import, {j} process(es)": s for j, s in timings.items()},
    }
    print(f"{N} articles, {words:,} words")
    print(f"{'':48} {'s':>7} {'art/s':>8} {'words/s':>9} {'vs raw':>7}")
    for name, secs in rows.items():
        print(f"{name:48} {secs:7.2f} {N / secs:8.1f} {words / secs:9,.0f} {raw / secs:7.2f}x")
    return {
        "articles": N,
        "words": words,
        "seconds": rows,
        "ratio_import_vs_raw": raw / timings[1],
        "budget": 0.85,
    }
