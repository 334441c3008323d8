"""Fact files ("packs"): what a device writes into a hub, once, and never changes.

A pack is MAGIC, the segments, then a trailer (an end mark, the file's length and its
number of segments, so a file cut short is known at once); each segment is a zstd frame
(with its checksum), or when the writer's cores are all compressing, the bytes as they are,
of a small SQLite database holding only facts, in the fact tables' own
columns (no FTS, no state, no secondary index) plus `refs`, the public id of every article a
fact in it names. A first sync's pack holds a segment of the feeds, then one per 5,000
articles with every fact about them (written while the previous one is compressed, and read
one at a time: bounded temp space), then one of the rest; a later one, one.
Article keys in a pack are its writer's own; a reader maps them to its own through `refs`.
The format was chosen by measurement (bench/pack_format_bench.py): SQLite keeps the merge in
SQL (every check of store.sync.checks applies to a pack as to a whole peer library) and zstd
makes it small.

Format versions (each segment's user_version; a reader requires that version's exact DDL):
1 holds the facts of schema 5 before entity corrections; 2 adds `entity_corrections`. A
writer settles each segment to the oldest version that holds it (one without a correction
is written as 1), so a gloss that knows only version 1 reads every pack that carries no
correction, and skips one that does with "written by a newer gloss (fact file format 2)"
(a gloss upgraded since reads it again: store.sync.log).

The file's name is `<device>-<seq>-<digest>.glosspack`: the digest (the first 16 hex of the
SHA-256 of the bytes) lets a reader skip, without reading it, a pack it has merged. A reader
never trusts a name: a file is read by its bytes (magic, frame checksum, SQLite check, exact
schema) whatever it is called, and identified by the digest of what it read.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import sqlite3
import struct
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from store.core.errors import LibraryError

MAGIC = b"glosspk1"
SUFFIX = ".glosspack"
PACK_APPLICATION_ID = 0x676C7066  # "glpf": a pack is not a library
PACK_VERSION = 2  # 2: entity_corrections; a segment without any is written as 1 (below)
LEVEL = 1  # zstd level: 2.2x on prose at ~300 MB/s a core (bench/pack_format_bench.py)
WORKERS = max(1, (os.cpu_count() or 2) - 1)  # compressors; one core fills the segments
MAX_PACK_BYTES = 16 << 30  # a pack read from a hub (a first sync of 1M articles: ~1 GB)
MAX_SEGMENTS = 100_000
MAX_SEGMENT_BYTES = 4 << 30  # one segment, unpacked (a first sync's hold ~10,000 articles)
SEGMENT_ARTICLES = 5_000  # articles (with their analyses) per segment of a full pack
_LENGTH = struct.Struct(">Q")  # before each segment: its length, then its kind
ZSTD, STORED = b"z", b"s"  # a segment's kind: a zstd frame, or the database as it is
_TRAILER = struct.Struct(">8sQI")  # last: END, the file's length, its number of segments
END = b"glossend"
DIGEST_CHARS = 16
NAME = re.compile(r"^([0-9a-f]{16})-(\d{1,12})-([0-9a-f]{16})\.glosspack$")
_CHUNK = 1 << 20

# The pack's tables: the fact tables of schema 5 (their columns, in order), the models
# dictionary, refs and meta. A reader requires exactly the DDL of the segment's version
# (sqlite_master compared): version 1, or version 2 with entity_corrections besides.
DDL_1 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE refs (key INTEGER PRIMARY KEY, id TEXT NOT NULL)",
    "CREATE TABLE articles (key INTEGER PRIMARY KEY, id TEXT NOT NULL, title TEXT NOT"
    " NULL, byline TEXT, source TEXT, published TEXT, imported_at TEXT NOT NULL, structure"
    " TEXT NOT NULL, text TEXT NOT NULL)",
    "CREATE TABLE models (key INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
    "CREATE TABLE analyses (article INTEGER NOT NULL, model INTEGER NOT NULL, analysed_at TEXT"
    " NOT NULL, entities BLOB NOT NULL, sentences BLOB NOT NULL, PRIMARY KEY (article, model))"
    " WITHOUT ROWID",
    "CREATE TABLE note_revisions (rev_id TEXT NOT NULL UNIQUE, note_id TEXT NOT NULL, parents"
    " TEXT NOT NULL, article INTEGER NOT NULL, pos_start INTEGER, pos_end INTEGER, exact TEXT,"
    " prefix TEXT, suffix TEXT, body TEXT NOT NULL, deleted INTEGER NOT NULL, hlc TEXT NOT"
    " NULL, device TEXT NOT NULL)",
    "CREATE TABLE events (event_id TEXT PRIMARY KEY, article INTEGER NOT NULL, field TEXT NOT"
    " NULL, value INTEGER NOT NULL, hlc TEXT NOT NULL, device TEXT NOT NULL)",
    "CREATE TABLE article_versions (old INTEGER NOT NULL, new INTEGER NOT NULL, hlc TEXT NOT"
    " NULL, device TEXT NOT NULL, PRIMARY KEY (old, new)) WITHOUT ROWID",
    "CREATE TABLE feeds (feed_id TEXT PRIMARY KEY, url TEXT NOT NULL, title TEXT NOT NULL,"
    " hlc TEXT NOT NULL, device TEXT NOT NULL)",
    "CREATE TABLE feed_events (event_id TEXT PRIMARY KEY, feed_id TEXT NOT NULL, field TEXT"
    " NOT NULL, value TEXT NOT NULL, hlc TEXT NOT NULL, device TEXT NOT NULL)",
    "CREATE TABLE feed_entries (feed_id TEXT NOT NULL, guid TEXT NOT NULL, article INTEGER NOT"
    " NULL, link TEXT, published TEXT, hlc TEXT NOT NULL, device TEXT NOT NULL, PRIMARY KEY"
    " (feed_id, guid, article)) WITHOUT ROWID",
)
CORRECTIONS = "entity_corrections"
DDL = DDL_1 + (
    "CREATE TABLE entity_corrections (correction_id TEXT PRIMARY KEY, article INTEGER NOT"
    " NULL, pos_start INTEGER NOT NULL, pos_end INTEGER NOT NULL, exact TEXT NOT NULL, kind"
    " TEXT NOT NULL, value TEXT, hlc TEXT NOT NULL, device TEXT NOT NULL)",
)
DDLS = {1: DDL_1, 2: DDL}
TABLES = tuple(s.split()[2] for s in DDL)


@functools.cache
def _layout(version: int = PACK_VERSION) -> frozenset[tuple]:
    """What sqlite_master of a pack of this version holds, exactly: its tables and their
    automatic indexes."""
    conn = sqlite3.connect(":memory:")
    try:
        for statement in DDLS[version]:
            conn.execute(statement)
        return frozenset(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    finally:
        conn.close()


def pack_name(device: str, seq: int, digest: str) -> str:
    return f"{device}-{seq:06d}-{digest[:DIGEST_CHARS]}{SUFFIX}"


def parse_name(name: str) -> tuple[str, int, str] | None:
    """(device, seq, digest) of a pack's own name; None for any other name."""
    m = NAME.match(name)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else None


# -- writing ------------------------------------------------------------------------------


@functools.cache
def empty() -> bytes:
    """The bytes of an empty pack database (made once: a segment starts from them)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        made = Path(tmp) / "empty.db"
        create(made).close()
        return made.read_bytes()


def create(path: Path) -> sqlite3.Connection:
    """An empty pack database at `path` (a private temp file), ready to be filled."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(
        "PRAGMA page_size = 16384; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
    )
    conn.execute("BEGIN")
    for statement in DDL:
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {PACK_APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {PACK_VERSION}")
    conn.execute("COMMIT")
    return conn


def settle(conn: sqlite3.Connection, schema: str = "main") -> int:
    """Write a filled pack database (open in `conn` as `schema`, no transaction open) as the
    oldest version that holds it: one without entity corrections is a version-1 database,
    which a gloss that knows only version 1 still reads. Its version."""
    if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {schema}.{CORRECTIONS})").fetchone()[0]:
        return PACK_VERSION
    conn.execute(f"DROP TABLE {schema}.{CORRECTIONS}")
    conn.execute(f"PRAGMA {schema}.user_version = 1")
    return 1


def write(out: BinaryIO, segments: Iterable[bytes]) -> str:
    """Write a pack to `out` from its segment databases, in order; the hex SHA-256 of the
    bytes written. Segments are databases' bytes (a few MB each). While the caller fills
    the next one, WORKERS threads compress those yielded and a writer thread writes (and
    hashes) them in order. A segment yielded while every compressor is busy is stored as it
    is: a first sync costs about what filling the segments costs, and is compressed as far
    as the spare cores keep up (a later sync's one small segment always is)."""
    import queue
    import threading
    from concurrent.futures import Future, ThreadPoolExecutor

    import zstandard

    digest = hashlib.sha256()
    state = {"bytes": 0, "count": 0}

    def emit(data: bytes) -> None:
        out.write(data)
        digest.update(data)
        state["bytes"] += len(data)

    busy = [0]
    lock = threading.Lock()

    def squeeze(data: bytes) -> tuple[bytes, bytes]:
        try:  # (a compressor each: they are not shared by threads)
            frame = zstandard.ZstdCompressor(level=LEVEL, write_checksum=True).compress(data)
            return _LENGTH.pack(len(frame)) + ZSTD, frame
        finally:
            with lock:
                busy[0] -= 1

    def stored(data: bytes) -> Future:
        done: Future = Future()
        done.set_result((_LENGTH.pack(len(data)) + STORED, data))  # (not joined: 20 MB copied)
        return done

    frames: queue.Queue = queue.Queue(maxsize=WORKERS)  # (bounded: few segments in memory)
    failed: list[BaseException] = []

    def writer() -> None:
        while (job := frames.get()) is not None:
            try:
                if not failed:
                    for piece in job.result():  # (its head, then its bytes)
                        emit(piece)
                    state["count"] += 1
            except BaseException as exc:  # handed to the caller's thread
                failed.append(exc)

    emit(MAGIC)
    thread = threading.Thread(target=writer, name="pack-writer", daemon=True)
    thread.start()
    try:
        with ThreadPoolExecutor(max_workers=max(1, WORKERS)) as pool:
            for data in segments:
                if failed:
                    break
                with lock:
                    free = busy[0] < WORKERS
                    busy[0] += free
                frames.put(pool.submit(squeeze, data) if free else stored(data))
    finally:
        frames.put(None)
        thread.join()
    if failed:
        raise failed[0]
    emit(_TRAILER.pack(END, state["bytes"] + _TRAILER.size, state["count"]))
    out.flush()
    return digest.hexdigest()


def digest_of(f: BinaryIO, start: int = 0, end: int | None = None) -> str:
    """The hex SHA-256 of a seekable file's bytes from `start` to `end` (or its end)."""
    digest = hashlib.sha256()
    f.seek(start)
    left = None if end is None else end - start
    while left is None or left > 0:
        chunk = f.read(_CHUNK if left is None else min(_CHUNK, left))
        if not chunk:
            break
        digest.update(chunk)
        if left is not None:
            left -= len(chunk)
    return digest.hexdigest()


# -- reading ------------------------------------------------------------------------------


def is_pack(head: bytes) -> bool:
    return head.startswith(MAGIC)


def segments(src: BinaryIO, size: int, temp: Callable[[], Path]) -> Iterator[Path]:
    """The segment databases of the pack in `src` (a seekable file of `size` bytes), each
    decompressed into a private temp file from `temp()`, checked, yielded, then removed.
    LibraryError says why a file is not a complete, well-formed pack: a partial file is
    refused before any segment is read."""
    src.seek(0)
    if src.read(len(MAGIC)) != MAGIC:
        raise LibraryError("not a gloss fact file")
    if size < len(MAGIC) + _TRAILER.size:
        raise LibraryError("incomplete (cut short)")
    src.seek(size - _TRAILER.size)
    end, total, count = _TRAILER.unpack(src.read(_TRAILER.size))
    if end != END or total != size:
        raise LibraryError("incomplete (it does not end as a finished fact file does)")
    src.seek(len(MAGIC))
    if size > MAX_PACK_BYTES:
        raise LibraryError(f"larger than {MAX_PACK_BYTES >> 30} GiB, the limit")
    if count > MAX_SEGMENTS:
        raise LibraryError(f"damaged ({count:,} segments)")
    for _ in range(count):
        raw = src.read(_LENGTH.size)
        if len(raw) < _LENGTH.size:
            raise LibraryError("incomplete (cut short)")
        (length,) = _LENGTH.unpack(raw)
        kind = src.read(1)
        if length > total or kind not in (ZSTD, STORED):
            raise LibraryError("damaged (a segment that is not one)")
        if kind == STORED and length > MAX_SEGMENT_BYTES:
            raise LibraryError(f"a segment larger than {MAX_SEGMENT_BYTES >> 30} GiB")
        path = temp()
        try:
            with path.open("wb") as out:
                if kind == ZSTD:
                    _decompress(src, length, out)
                else:
                    _copy(src, length, out)
            check(path)
            yield path
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
    if src.tell() != size - _TRAILER.size:
        raise LibraryError("damaged (bytes after its last segment)")


def _copy(src: BinaryIO, length: int, out: BinaryIO) -> None:
    left = length
    try:
        while left > 0:
            chunk = src.read(min(_CHUNK, left))
            if not chunk:
                raise LibraryError("incomplete (cut short)")
            out.write(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise LibraryError(f"cannot be unpacked here: {exc.strerror or exc}") from None


def _decompress(src: BinaryIO, length: int, out: BinaryIO) -> None:
    import zstandard

    dobj = zstandard.ZstdDecompressor().decompressobj()
    left, written = length, 0
    try:
        while left > 0:
            chunk = src.read(min(_CHUNK, left))
            if not chunk:
                raise LibraryError("incomplete (cut short)")
            left -= len(chunk)
            data = dobj.decompress(chunk)
            written += len(data)
            if written > MAX_SEGMENT_BYTES:
                raise LibraryError(f"a segment unpacks to more than {MAX_SEGMENT_BYTES >> 30} GiB")
            out.write(data)
    except zstandard.ZstdError as exc:
        raise LibraryError(f"damaged ({exc})") from None
    except OSError as exc:
        raise LibraryError(f"cannot be unpacked here: {exc.strerror or exc}") from None
    if not dobj.eof or dobj.unused_data:
        raise LibraryError("damaged (a segment is not one whole frame)")


def check(path: Path) -> int:
    """LibraryError unless `path` is a sound SQLite pack laid out exactly as the version its
    header names; that version."""
    with path.open("rb") as f:
        header = f.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise LibraryError("damaged (its content is not a pack database)")
    if int.from_bytes(header[68:72], "big") != PACK_APPLICATION_ID:
        raise LibraryError("damaged (its content is not a pack database)")
    version = int.from_bytes(header[60:64], "big")
    if version > PACK_VERSION:
        raise LibraryError(
            f"written by a newer gloss (fact file format {version}); upgrade gloss to read it"
        )
    if version not in DDLS:
        raise LibraryError(f"damaged (fact file format {version} does not exist)")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise LibraryError("damaged (quick_check failed)")
        rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as exc:
        raise LibraryError(f"damaged ({exc})") from None
    finally:
        conn.close()
    if len(rows) != len(_layout(version)) or set(rows) != _layout(version):
        raise LibraryError("not laid out as a gloss fact file (its tables are not ours)")
    return version
