"""`gloss sync TARGET`: a hub (a folder any file-sync tool keeps, or a remote store) is a
log of immutable fact files (store.sync.log); a single library file (a USB stick) is synced
two ways, whole.

Merge is a set union of facts (INSERT OR IGNORE from a private, checked, read-only copy of
the peer) in one local transaction, then a rebuild of derived state for touched articles.
Union is commutative, associative and idempotent, so every machine converges. A library
file is published by `VACUUM INTO` a temp file beside it, fsync, then `os.replace`: a crash
at any point leaves both sides valid.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from store.core.errors import GlossError, LibraryError
from store.sync.hub import fsync_dir
from store.sync.merge import COUNTED
from store.sync.peer import file_sig, merge_peer, remember
from store.sync.report import Progress, SyncReport

if TYPE_CHECKING:
    from store.core.handle import Handle


def _home(h: Handle) -> str:
    """Where this library lives: host and path. A copy elsewhere is another device."""
    return f"{socket.gethostname()}:{h.path.resolve()}"


def record_home(h: Handle) -> None:
    with contextlib.suppress(GlossError), h.write() as conn:
        h.set_meta(conn, "device_home", _home(h))


def check_device(h: Handle, report: SyncReport) -> None:
    """Give a library copied from another machine (or place) a device id of its own."""
    home = _home(h)
    recorded = h.meta("device_home")
    if recorded == home:
        return
    with h.write() as conn:
        if recorded is not None:
            old = h.device_id
            new = secrets.token_hex(8)
            conn.execute("UPDATE meta SET value = ? WHERE key = 'device_id'", (new,))
            # the original's fact files in its hubs are its own, never this copy's: the copy
            # will not roll them up or remove them (what it knows the hubs hold still holds)
            if conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_own'"
            ).fetchone():
                conn.execute("DELETE FROM sync_own")
                conn.execute("UPDATE sync_files SET own = 0")
            report.messages.append(
                f"this library is a copy of device {old} (made on {recorded.split(':')[0]}"
                f" or moved); it now syncs as device {new}"
            )
        h.set_meta(conn, "device_home", home)


# -- publishing ---------------------------------------------------------------------------


def publish(h: Handle, target: Path, keep_identity_of: Path | None = None) -> None:
    """Write the whole library to `target` atomically: VACUUM INTO a temp file beside it,
    fsync, os.replace. With keep_identity_of, the written file keeps that library's device
    id and home (a library file that is another machine's own library stays its own)."""
    folder = target.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    os.unlink(tmp)  # VACUUM INTO needs a path that does not exist
    tmp_path = Path(tmp)
    try:
        h.conn.execute("VACUUM INTO ?", (str(tmp_path),))
        if keep_identity_of is not None:
            _restore_identity(tmp_path, keep_identity_of)
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, target)
        fsync_dir(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def _restore_identity(path: Path, original: Path) -> None:
    src = sqlite3.connect(f"{original.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        keep = dict(
            src.execute("SELECT key, value FROM meta WHERE key IN ('device_id', 'device_home')")
        )
    finally:
        src.close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("BEGIN")
        conn.execute("DELETE FROM meta WHERE key IN ('device_id', 'device_home')")
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", keep.items())
        conn.execute("COMMIT")
    finally:
        conn.close()


# -- the whole sync -----------------------------------------------------------------------


def _facts_sig(h: Handle) -> str:
    """Changes whenever a fact is added (facts are append-only, so counts only grow)."""
    have = {r[0] for r in h.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    counts = [
        h.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED if t in have
    ]
    return ",".join(map(str, counts))


def publish_if_changed(h: Handle, target: Path, keep_identity_of: Path | None = None) -> bool:
    """Publish unless the target already holds exactly what we have; True if written."""
    key = f"published:{target.resolve()}"
    facts = _facts_sig(h)
    if h.meta(key) == f"{facts}|{file_sig(target)}":
        return False
    try:
        publish(h, target, keep_identity_of)
    except (OSError, sqlite3.Error) as exc:
        raise LibraryError(f"cannot write {target}: {exc}") from None
    remember(h, key, f"{facts}|{file_sig(target)}")
    remember(h, f"peer:{target.resolve()}", file_sig(target))  # our own bytes
    return True


def sync(h: Handle, target: Path | str, progress: Progress | None = None) -> SyncReport:
    """Sync with a hub (a folder, or a remote store's URL: publish what it lacks, merge what
    is new there) or with one library file (two-way)."""
    from store.sync import hub as hubs

    report = SyncReport()
    check_device(h, report)
    text = str(target)
    if hubs.is_remote(text):
        from store.sync.log import sync_hub

        sync_hub(h, hubs.open_remote(text), report, progress)
        return _finish(h, report)
    if "://" in text:
        raise LibraryError(
            f"{hubs.strip_credentials(text)}: not a hub gloss can reach (it takes a folder,"
            " a library file, webdav://, webdav+http://, dav://, davs:// or s3:// URLs)"
        )
    path = Path(target)
    if path.is_dir():
        from store.sync.log import sync_hub

        sync_hub(h, hubs.FolderHub(path), report, progress)
        if progress:
            progress(1, 1, "done")
        return _finish(h, report)
    if path.exists() and not path.is_file():
        raise LibraryError(f"{path} is not a regular file (nor a folder): not a hub or a library")
    workdir = h.path.parent
    if path.exists():
        result = merge_peer(h, path, workdir)
        report.peers.append(result)
        if result.skipped:
            return _finish(h, report)
    elif not path.parent.is_dir():
        raise LibraryError(f"no folder {path.parent} to write {path.name} into")
    keep = path if path.exists() else None
    report.up_to_date = not publish_if_changed(h, path, keep_identity_of=keep)
    report.published = str(path)
    if progress:
        progress(1, 1, "done")
    return _finish(h, report)


def _finish(h: Handle, report: SyncReport) -> SyncReport:
    report.conflicts = h.conn.execute("SELECT count(*) FROM notes WHERE conflict = 1").fetchone()[0]
    return report
