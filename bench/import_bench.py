"""Import throughput through the real command, `gloss --db NEW import FOLDER -j 1`, next to
the raw `nlp.pipe` it wraps (bench/raw_pipe.py: the same model, components, batch size and
texts, in a process of its own), interleaved, each first in turn, in the same run.

Both are whole processes (start, imports, model load, the work), as a user runs them; the
library is made first, empty, as most imports go into a library that exists. The
raw process says how long its model load and its pipe took: the ratio held to the budget is
of the work alone, raw's pipe against gloss's process less raw's fixed part (start, imports,
model load), pair by pair; the ratio of the whole processes is shown too.

    python -m bench import                               # the full run
    python -m bench.import_bench --articles 100 --repeats 3   # a quick one
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import texts, write_files
from bench.results import ROOT, save, show, spread
from store import Library
from store.ingest.parse import parse_file

GLOSS = ROOT / ".venv" / "bin" / "gloss"
ARTICLES = 400
REPEATS = 3


def _timed(argv: list[str | Path]) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run a command: its result, wall seconds and CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return r, seconds, cpu


def _gloss(folder: Path, db: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of importing folder into the new library db."""
    with Library.open(db):  # made first: the common case is an import into a library
        pass
    r, seconds, cpu = _timed([GLOSS, "--db", db, "import", folder, "-j", str(jobs), "--json"])
    if r.returncode:
        raise SystemExit(f"gloss import failed ({r.returncode}): {r.stderr.strip()}")
    imported, expected = json.loads(r.stdout)["imported"], len(list(folder.iterdir()))
    if imported != expected:
        raise SystemExit(f"gloss imported {imported} of {expected}")
    return seconds, cpu


def _raw(texts_file: Path) -> tuple[float, float, float, float]:
    """(process seconds, CPU seconds, model load seconds, pipe seconds)."""
    r, seconds, cpu = _timed([sys.executable, ROOT / "bench" / "raw_pipe.py", texts_file])
    if r.returncode:
        raise SystemExit(f"raw pipe failed ({r.returncode}): {r.stderr.strip()[-500:]}")
    load, pipe = map(float, r.stdout.split())
    return seconds, cpu, load, pipe


def run(articles: int = ARTICLES, repeats: int = REPEATS, jobs: int = 1) -> dict:
    items = texts(articles)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = write_files(work / "in", items)
        bodies = [parse_file(p).text for p in files]  # exactly the texts gloss analyses
        words = sum(len(b.split()) for b in bodies)
        texts_file = work / "texts.json"
        texts_file.write_text(json.dumps(bodies), encoding="utf-8")
        _raw(texts_file)  # once, unmeasured: the page cache, the model's files
        raw, loads, pipes, gloss, raw_cpu, gloss_cpu = [], [], [], [], [], []
        for i in range(repeats):
            for side in ("raw", "gloss") if i % 2 == 0 else ("gloss", "raw"):
                if side == "raw":
                    seconds, cpu, load, pipe = _raw(texts_file)
                    raw.append(seconds)
                    raw_cpu.append(cpu)
                    loads.append(load)
                    pipes.append(pipe)
                else:
                    seconds, cpu = _gloss(work / "in", work / f"lib{i}.db", jobs)
                    gloss.append(seconds)
                    gloss_cpu.append(cpu)
    r, g = spread(raw), spread(gloss)
    whole = r["median"] / g["median"]  # gloss's throughput over raw's, whole processes
    # the work alone: the raw process's fixed part (start, imports, model load) taken from
    # both sides of each pair, gloss's being the same or more
    work = [p / (gs - (rs - p)) for rs, p, gs in zip(raw, pipes, gloss, strict=True)]
    w = spread(work)
    print(f"{articles} articles, {words:,} words; {repeats} interleaved pairs (s: median, IQR,"
          " range)")  # fmt: skip
    print(f"  raw nlp.pipe process   {show(r)}   (model load {spread(loads)['median']:.2f} s,"
          f" pipe {spread(pipes)['median']:.2f} s)")  # fmt: skip
    print(f"  gloss import -j {jobs}      {show(g)}")
    print(f"  throughput vs raw, the work alone (less the raw process's start and model load):"
          f" {w['median']:.2f}x, IQR {w['q1']:.2f}–{w['q3']:.2f}x, range {w['min']:.2f}–"
          f"{w['max']:.2f}x (budget 0.9x)")  # fmt: skip
    cpu = spread(raw_cpu)["median"] / spread(gloss_cpu)["median"]
    print(f"  throughput vs raw, whole processes: {whole:.2f}x of medians; in CPU time (less"
          f" affected by a busy machine) {cpu:.2f}x")  # fmt: skip
    return {
        "how": "whole processes: gloss --db NEW import FOLDER -j 1, and bench/raw_pipe.py",
        "articles": articles, "words": words, "repeats": repeats, "jobs": jobs,
        "raw_s": r, "gloss_s": g, "raw_model_load_s": spread(loads), "raw_pipe_s": spread(pipes),
        "ratio": w["median"], "work_ratios": w, "whole_process_ratio": whole,
        "whole_process_cpu_ratio": cpu, "raw_cpu_s": spread(raw_cpu),
        "gloss_cpu_s": spread(gloss_cpu), "budget": 0.9,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description="Import throughput next to raw nlp.pipe.")
    ap.add_argument("--articles", type=int, default=ARTICLES)
    ap.add_argument("--repeats", type=int, default=REPEATS, help="interleaved pairs")
    ap.add_argument("--jobs", type=int, default=1, help="gloss import -j (raw is one process)")
    args = ap.parse_args()
    result = run(args.articles, args.repeats, args.jobs)
    print(f"wrote {save({'import': result})}")


if __name__ == "__main__":
    main()
