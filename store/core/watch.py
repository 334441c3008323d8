"""Noticing changes made elsewhere: another process (the CLI, a sync, a second gloss) that
committed to the library file since last asked.

SQLite's `PRAGMA data_version` changes on a connection when any other connection commits;
it reads no table, so asking twice a second costs nothing. The watch has a connection of
its own (only ever asked from one thread at a time, under a lock). Commits made through
this process's handle also change it; the handle counts them, so that a change seen with
no outside commit behind it can be told apart (`Watch.poll`).
"""

from __future__ import annotations

import sqlite3
import threading

from store.core import db
from store.core.handle import Handle


class Watch:
    """Asks whether the library file changed since the last `poll`."""

    def __init__(self, handle: Handle) -> None:
        self._handle = handle
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._version = -1
        self._own = -1
        self._closed = False

    def poll(self) -> bool:
        """True when the file changed since the last poll and this process made no commit
        in that time (its own writes are shown by the code that made them). The first poll
        takes the starting point and says False. (An outside commit in the same interval as
        one of ours is taken for ours: the refresh that follows ours sees it too, unless it
        lands after that refresh read; the next change shows it.)"""
        with self._lock:
            if self._closed:
                return False
            if self._conn is None:
                self._conn = db.connect(self._handle.path, self._handle.readonly)
            own = self._handle.commits  # (read first: a commit of ours after it counts next time)
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            first = self._version < 0
            changed = version != self._version and own == self._own
            self._version, self._own = version, own
            return changed and not first

    def close(self) -> None:
        """Close the watch's connection; it says False from then on."""
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None
