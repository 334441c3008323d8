"""The `Library`: one gloss library file and the typed API over it.

Each thread gets its own connection (the TUI's workers share one Library object). Writes run
in `BEGIN IMMEDIATE` transactions, so two processes on one library queue instead of failing.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from store.core import db
from store.core.errors import AmbiguousId, LibraryError, NotFound
from store.core.models import ImportReport
from store.core.paths import default_db_path
from store.find.reading import Reading
from store.notes.annotations import Annotations

if TYPE_CHECKING:  # search and the clock are imported when first used: a faster start
    from store.core.hlc import Stamp
    from store.find.search import Hit


class Library(Reading, Annotations):
    """A gloss library file. Open with `Library.open(path)`; safe to share across threads."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        self._local = threading.local()

    @classmethod
    def open(
        cls, path: Path | str | None = None, create: bool = True, readonly: bool = False
    ) -> Library:
        """Open (and create or migrate) the library at path, or the default one. A library
        whose file or folder cannot be written opens read-only (`lib.readonly`)."""
        path = Path(path) if path is not None else default_db_path()
        _check_header(path)
        if path.is_file() and (
            readonly or not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)
        ):
            return cls._open_readonly(path)
        if not path.exists():
            if not create:
                raise LibraryError(f"no library at {path}")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LibraryError(f"cannot create {path.parent}: {exc.strerror}") from None
        elif path.is_dir():
            raise LibraryError(f"{path} is a folder, not a library file")
        lib = cls(path)
        conn = lib.conn
        try:
            db.migrate(conn, path)
            db.ensure_speed_indexes(conn)
        except sqlite3.DatabaseError as exc:
            lib.close()
            raise LibraryError(f"cannot use library {path}: {exc}") from None
        except BaseException:
            lib.close()
            raise
        if lib.meta("device_home") is None:
            from store.sync.folder import record_home

            record_home(lib)
        return lib

    @classmethod
    def _open_readonly(cls, path: Path) -> Library:
        lib = cls(path, readonly=True)
        try:
            _, version = db.check_identity(lib.conn, path)
        except BaseException:
            lib.close()
            raise
        if version != db.SCHEMA_VERSION:
            lib.close()
            raise LibraryError(
                f"{path} is read-only and was made by an older gloss; it cannot be upgraded"
                " here: copy it somewhere writable"
            )
        return lib

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = db.connect(self.path, self.readonly)
        return conn

    def close(self) -> None:
        """Close this thread's connection now. Another thread's connection closes as soon as
        that thread is done with it: the connections are dropped, never closed from here, as
        closing a connection while another thread steps a query on it crashes the process."""
        conn = getattr(self._local, "conn", None)
        self._local = threading.local()  # the only reference to the other threads' connections
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions and the clock ---------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the write lock up front."""
        if self.readonly:
            raise LibraryError(f"library {self.path} is read-only; changes cannot be saved")
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LibraryError(_describe(exc, self.path)) from None
        try:
            yield conn
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise LibraryError(_describe(exc, self.path)) from None
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def device_id(self) -> str:
        return self.meta("device_id") or ""

    def stamp(self, conn: sqlite3.Connection) -> str:
        """The next clock stamp, persisted in the same transaction as the write using it."""
        from store.core import hlc  # imported with the first write: a faster start

        stamp = hlc.tick(self.clock(), self.device_id)
        self._set_meta(conn, "hlc", str(stamp))
        return str(stamp)

    def clock(self) -> Stamp | None:
        """The last stamp this library issued (None before its first write); LibraryError
        when the stored one cannot be read."""
        from store.core.hlc import Stamp

        last = self.meta("hlc")
        try:
            return Stamp.parse(last) if last else None
        except ValueError:
            raise LibraryError(
                f"library {self.path} holds an unreadable clock stamp ({last[:40]!r});"
                " restore it from a backup or a sync peer"
            ) from None

    # -- ids ----------------------------------------------------------------------------------

    def resolve(self, prefix: str) -> str:
        """The full article id for a unique prefix (like git); NotFound or AmbiguousId."""
        return self._resolve(prefix.strip().lower(), "articles", "id", "article", "[0-9a-f]")

    def resolve_note(self, prefix: str) -> str:
        """The full note id for a unique prefix."""
        return self._resolve(prefix.strip().upper(), "notes", "note_id", "note", "[0-9A-Z]")

    def _resolve(self, prefix: str, table: str, col: str, what: str, chars: str) -> str:
        if not re.fullmatch(f"{chars}{{1,64}}", prefix):
            raise NotFound(f"no {what} with id {prefix!r}")
        rows = self.conn.execute(
            f"SELECT {col} FROM {table} WHERE {col} >= ? AND {col} < ? ORDER BY {col} LIMIT 2",
            (prefix, prefix + "\uffff"),
        ).fetchall()
        if not rows:
            raise NotFound(f"no {what} with id {prefix!r}")
        if len(rows) > 1:
            raise AmbiguousId(f"{what} id {prefix!r} is ambiguous; give more characters")
        return rows[0][0]

    # -- sync, search and import (the reading methods are in store/reading.py) ---------

    def sync(self, target: Path | str, progress: Callable[[int, int, str], None] | None = None):
        """Sync with a folder or a library file; see store.sync.folder. Returns a SyncReport."""
        from store.sync.folder import sync

        return sync(self, Path(target), progress)

    def search(self, query: str, limit: int = 50) -> list[Hit]:
        """Search articles, notes, quotes, tags and entities (the language: store.find.query)."""
        from store.find import search

        return search.search(self.conn, query, limit)

    # -- import ------------------------------------------------------------------------------

    def import_paths(
        self,
        paths: Iterable[Path | str],
        progress: Callable[[int, int], None] | None = None,
        jobs: int = 0,
    ) -> ImportReport:
        """Import files and folders (recursively); jobs=0 picks processes by size."""
        from store.ingest.importer import import_paths

        return import_paths(self, [Path(p) for p in paths], progress, jobs)

    def reanalyze(
        self, all_articles: bool = False, progress: Callable[[int, int], None] | None = None
    ) -> tuple[int, str | None]:
        """Compute entities for articles that lack them: (count, the model's notice if any;
        with no model at all, the count is 0 and the notice says why)."""
        from store.ingest.importer import reanalyze

        return reanalyze(self, all_articles, progress)

    def can_analyse(self) -> bool:
        """True when a spaCy model loads (it is loaded, once, to find out)."""
        from store.ingest import entities

        return entities.analyzer()[0] is not None


def _check_header(path: Path) -> None:
    """Refuse a non-empty file that is not SQLite before SQLite can write to it."""
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return
        with open(path, "rb") as f:
            header = f.read(16)
    except OSError as exc:
        raise LibraryError(f"cannot read {path}: {exc.strerror or exc}") from None
    if header != b"SQLite format 3\x00":
        raise LibraryError(
            f"{path} is not a readable SQLite database (not a gloss library); nothing was"
            " changed. If it is your library, restore it from a backup or a sync peer"
        )


def _describe(exc: sqlite3.OperationalError, path: Path) -> str:
    msg = str(exc)
    if "locked" in msg or "busy" in msg:
        return f"library {path} is busy (another gloss is writing); try again"
    if "readonly" in msg:
        return f"library {path} is read-only; changes cannot be saved"
    return f"library {path}: {msg}"
