"""Upgrading an older library to schema 5: the kept migrations 0001-0004 in place
(store.core.legacy), then the compact migration's file swap (store.core.compact). Apart
from store.core.db so that db imports neither (they import it)."""

from __future__ import annotations

from pathlib import Path

from store.core import compact, legacy
from store.core.db import Progress, connect, needs_upgrade


def run(path: Path, progress: Progress | None = None) -> None:
    """Bring an older library at `path` to schema 5: 0001-0004 in place up to schema 4,
    then the compact migration (a new file, swapped in). `progress(phase, done, total)`
    is called as it goes. A no-op for a new or current library."""
    if not needs_upgrade(path):
        return
    conn = connect(path)
    try:
        legacy.migrate_v4(conn, path)
    finally:
        conn.close()

    compact.migrate(path, progress)
