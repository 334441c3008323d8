"""The narrow handle every module below the `Library` facade works through: one library
file's per-thread connection, its write transaction, its meta values and its clock.

Each thread gets its own connection (the TUI's workers share one handle). Writes run in
`BEGIN IMMEDIATE` transactions, so two processes on one library queue instead of failing.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from store.core import db
from store.core.errors import AmbiguousId, LibraryError, NotFound

if TYPE_CHECKING:  # the clock is imported with the first write: a faster start
    from store.core.hlc import Stamp


class Handle:
    """A library file's connection, transactions, meta values and clock; thread-safe."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        self._local = threading.local()
        self.commits = 0
        """Write transactions committed through this handle (store.core.watch tells
        them from other processes' by it)."""

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

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the write lock up front."""
        if self.readonly:
            raise LibraryError(f"library {self.path} is read-only; changes cannot be saved")
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LibraryError(describe(exc, self.path)) from None
        try:
            yield conn
            self.commits += 1  # (a watch polling between the two counts it on its next poll)
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise LibraryError(describe(exc, self.path)) from None
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def device_id(self) -> str:
        return self.meta("device_id") or ""

    def stamp(self, conn: sqlite3.Connection) -> str:
        """The next clock stamp, persisted in the same transaction as the write using it."""
        from store.core import hlc

        stamp = hlc.tick(self.clock(), self.device_id)
        self.set_meta(conn, "hlc", str(stamp))
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

    def resolve(self, prefix: str, table: str, col: str, what: str, chars: str) -> str:
        """The full id in `table.col` for a unique prefix (like git); NotFound or
        AmbiguousId. `table` and `col` come from code, never from input."""
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


def describe(exc: sqlite3.OperationalError, path: Path) -> str:
    msg = str(exc)
    if "locked" in msg or "busy" in msg:
        return f"library {path} is busy (another gloss is writing); try again"
    if "readonly" in msg:
        return f"library {path} is read-only; changes cannot be saved"
    return f"library {path}: {msg}"
