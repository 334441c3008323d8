"""Upgrading an older library to schema 7: the kept migrations 0001-0004 in place
(store.core.legacy), the compact migration's file swap to schema 5 (store.core.compact),
then the entity index by groups in place (store.core.regroup), then the unstemmed
full-text indexes in place (store.core.exact_words). Apart from store.core.db so
that db imports none of them (they import it)."""

from __future__ import annotations

from pathlib import Path

from store.core import compact, exact_words, legacy, regroup
from store.core.db import COMPACT_VERSION, Progress, check_identity, connect, needs_upgrade


def run(path: Path, progress: Progress | None = None) -> None:
    """Bring an older library at `path` to schema 7: 0001-0004 in place up to schema 4,
    the compact migration (a new file, swapped in), then 0006 and 0007 in place. `progress(phase,
    done, total)` is called as it goes. A no-op for a new or current library."""
    if not needs_upgrade(path):
        return
    report = progress or (lambda phase, done, total: None)
    conn = connect(path)
    try:
        _, version = check_identity(conn, path)
        if version < COMPACT_VERSION:
            legacy.migrate_v4(conn, path)
    finally:
        conn.close()
    if version < COMPACT_VERSION:  # its "done" is said once, at the very end
        compact.migrate(path, lambda phase, d, t: phase == "done" or report(phase, d, t))
    conn = connect(path)
    try:
        regroup.migrate(conn, report)
        exact_words.migrate(conn, report)
    finally:
        conn.close()
    report("done", 1, 1)
