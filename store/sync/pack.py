"""Fact files ("packs"): what a device writes into a hub, once, and never changes.

A pack is MAGIC, then one zstd frame (with its content size and checksum) of a small SQLite
file holding only facts, in the fact tables' own columns (no FTS, no state, no secondary
index) plus `refs`, the public id of every article a fact in it names. Article keys in a pack
are its writer's own; a reader maps them to its own through `refs`. The format was chosen by
measurement (bench/pack_format_bench.py): SQLite keeps the merge in SQL (every check of
store.sync.checks applies to a pack as to a whole peer library) and zstd makes it small.

The file's name is `<device>-<seq>-<digest>.glosspack`: the digest (the first 16 hex of the
SHA-256 of the bytes) lets a reader skip, without reading it, a pack it has merged. A reader
never trusts a name: a file is read by its bytes (magic, frame checksum, SQLite check, exact
schema) whatever it is called, and identified by the digest of what it read.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from store.core.errors import LibraryError

MAGIC = b"glosspk1"
SUFFIX = ".glosspack"
PACK_APPLICATION_ID = 0x676C7066  # "glpf": a pack is not a library
PACK_VERSION = 1
LEVEL = 3  # zstd level: see bench/pack_format_bench.py
MAX_PACK_BYTES = 8 << 30  # a pack read from a hub: the bytes of a first sync of ~4M articles
MAX_UNPACKED_BYTES = 32 << 30
DIGEST_CHARS = 16
NAME = re.compile(r"^([0-9a-f]{16})-(\d{1,12})-([0-9a-f]{16})\.glosspack$")
_CHUNK = 1 << 20

# The pack's tables: the fact tables of schema 5 (their columns, in order), the models
# dictionary, refs and meta. A reader requires exactly this DDL (sqlite_master compared).
DDL = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE refs (key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)",
    "CREATE TABLE articles (key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT"
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
TABLES = tuple(s.split()[2] for s in DDL)


@functools.cache
def _layout() -> frozenset[tuple]:
    """What sqlite_master of a pack holds, exactly: its tables and their automatic indexes."""
    conn = sqlite3.connect(":memory:")
    try:
        for statement in DDL:
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


def create(path: Path) -> sqlite3.Connection:
    """An empty pack database at `path` (a private temp file), ready to be filled."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(
        "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
    )
    conn.execute("BEGIN")
    for statement in DDL:
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {PACK_APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {PACK_VERSION}")
    conn.execute("COMMIT")
    return conn


def compress(db_path: Path, out: BinaryIO) -> str:
    """Write MAGIC + the zstd frame of the pack database to `out`; the hex SHA-256 of all
    bytes written."""
    import zstandard

    digest = hashlib.sha256(MAGIC)
    out.write(MAGIC)
    size = db_path.stat().st_size
    cctx = zstandard.ZstdCompressor(level=LEVEL, write_checksum=True, threads=-1)
    with db_path.open("rb") as src:
        hashing = _Hashing(out, digest)
        cctx.copy_stream(src, hashing, size=size, read_size=_CHUNK, write_size=_CHUNK)
    return digest.hexdigest()


class _Hashing:
    """A writable stream that hashes what passes through it."""

    def __init__(self, out: BinaryIO, digest) -> None:
        self.out, self.digest = out, digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.out.write(data)


# -- reading ------------------------------------------------------------------------------


def is_pack(head: bytes) -> bool:
    return head.startswith(MAGIC)


@contextlib.contextmanager
def opened(src: BinaryIO, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """Decompress a pack read from `src` into the private temp file `tmp_path`, check it,
    and yield (its path, the digest of the pack's bytes). LibraryError says why a file is
    not a complete, well-formed pack. The temp file is removed on every exit."""
    try:
        with tmp_path.open("wb") as out:
            digest = _decompress(src, out)
        check(tmp_path)
        yield tmp_path, digest
    finally:
        with contextlib.suppress(OSError):
            tmp_path.unlink()


def _decompress(src: BinaryIO, out: BinaryIO) -> str:
    import zstandard

    digest = hashlib.sha256()
    head = src.read(len(MAGIC))
    digest.update(head)
    if head != MAGIC:
        raise LibraryError("not a gloss fact file")
    dctx = zstandard.ZstdDecompressor()
    dobj = dctx.decompressobj()
    read = written = 0
    try:
        while True:
            chunk = src.read(_CHUNK)
            if not chunk:
                break
            read += len(chunk)
            if read > MAX_PACK_BYTES:
                raise LibraryError(f"larger than {MAX_PACK_BYTES >> 30} GiB, the limit")
            digest.update(chunk)
            data = dobj.decompress(chunk)
            written += len(data)
            if written > MAX_UNPACKED_BYTES:
                raise LibraryError(f"unpacks to more than {MAX_UNPACKED_BYTES >> 30} GiB")
            out.write(data)
            if dobj.eof and (dobj.unused_data or src.read(1)):
                raise LibraryError("damaged (bytes after the end of its frame)")
    except zstandard.ZstdError as exc:
        raise LibraryError(f"damaged ({exc})") from None
    except OSError as exc:
        raise LibraryError(f"cannot be unpacked here: {exc.strerror or exc}") from None
    if not dobj.eof:
        raise LibraryError("incomplete (cut short: still being written, or damaged)")
    return digest.hexdigest()


def check(path: Path) -> None:
    """LibraryError unless `path` is a sound SQLite pack of our exact schema."""
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
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise LibraryError("damaged (quick_check failed)")
        rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as exc:
        raise LibraryError(f"damaged ({exc})") from None
    finally:
        conn.close()
    if len(rows) != len(_layout()) or set(rows) != _layout():
        raise LibraryError("not laid out as a gloss fact file (its tables are not ours)")


def meta(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        return {
            str(k): str(v)
            for k, v in conn.execute("SELECT key, value FROM meta LIMIT 100")
            if isinstance(k, str) and isinstance(v, str)
        }
    finally:
        conn.close()
