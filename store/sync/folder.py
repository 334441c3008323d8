"""Sync through any file-sync tool: publish our facts to a file, merge every peer's facts.

Merge is a set union of facts (INSERT OR IGNORE from a private, checked, read-only copy of
the peer) in one local transaction, then a rebuild of derived state for touched articles.
Union is commutative, associative and idempotent, so every machine converges. Publishing is
`VACUUM INTO` a temp file beside the target, fsync, then `os.replace`: a crash at any point
leaves both sides valid.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.core.errors import GlossError, LibraryError
from store.core.sanitize import clean_line
from store.sync.merge import (
    COUNTED,
    PeerResult,
    merge_file,
    private_copy,
    skip_reason,
)

if TYPE_CHECKING:
    from store.core.handle import Handle

SUFFIX = ".gloss"
CONFLICT_COPY = re.compile(r"conflicted copy|\.sync-conflict-|\(conflict", re.IGNORECASE)


@dataclass
class SyncReport:
    peers: list[PeerResult] = field(default_factory=list)
    published: str | None = None
    up_to_date: bool = False  # the published file already held everything: not rewritten
    conflicts: int = 0
    messages: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "up_to_date": self.up_to_date,
            "conflicts": self.conflicts,
            "messages": self.messages,
            "peers": [p.to_json() for p in self.peers],
        }


Progress = Callable[[int, int, str], None]


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
        _fsync_dir(folder)
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


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- the whole sync -----------------------------------------------------------------------


def peers_in(folder: Path, own: str) -> list[Path]:
    """Every other library file in a sync folder, conflict copies included."""
    found = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name == own:
            continue
        if path.name.endswith(SUFFIX) or (CONFLICT_COPY.search(path.name) and SUFFIX in path.name):
            found.append(path)
    return found


def _file_sig(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _facts_sig(h: Handle) -> str:
    """Changes whenever a fact is added (facts are append-only, so counts only grow)."""
    counts = [h.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED]
    return ",".join(map(str, counts))


def _remember(h: Handle, key: str, value: str | None) -> None:
    if value is not None:
        with h.write() as conn:
            h.set_meta(conn, key, value)


def publish_if_changed(h: Handle, target: Path, keep_identity_of: Path | None = None) -> bool:
    """Publish unless the target already holds exactly what we have; True if written."""
    key = f"published:{target.resolve()}"
    facts = _facts_sig(h)
    if h.meta(key) == f"{facts}|{_file_sig(target)}":
        return False
    try:
        publish(h, target, keep_identity_of)
    except (OSError, sqlite3.Error) as exc:
        raise LibraryError(f"cannot write {target}: {exc}") from None
    _remember(h, key, f"{facts}|{_file_sig(target)}")
    _remember(h, f"peer:{target.resolve()}", _file_sig(target))  # our own bytes
    return True


def sync(h: Handle, target: Path, progress: Progress | None = None) -> SyncReport:
    """Sync with a folder (publish ours, merge theirs) or with one library file (two-way)."""
    report = SyncReport()
    check_device(h, report)
    workdir = h.path.parent
    if target.is_dir():
        own = f"{h.device_id}{SUFFIX}"
        peers = peers_in(target, own)
        for n, path in enumerate(peers):
            if progress:
                progress(n, len(peers) + 1, path.name)
            report.peers.append(merge_peer(h, path, workdir))
        if progress:
            progress(len(peers), len(peers) + 1, own)
        _clean_stale_temps(target, own)
        report.up_to_date = not publish_if_changed(h, target / own)
        report.published = str(target / own)
    else:
        if target.exists():
            result = merge_peer(h, target, workdir)
            report.peers.append(result)
            if result.skipped:
                return _finish(h, report)
        elif not target.parent.is_dir():
            raise LibraryError(f"no folder {target.parent} to write {target.name} into")
        keep = target if target.exists() else None
        report.up_to_date = not publish_if_changed(h, target, keep_identity_of=keep)
        report.published = str(target)
    if progress:
        progress(1, 1, "done")
    return _finish(h, report)


def _finish(h: Handle, report: SyncReport) -> SyncReport:
    report.conflicts = h.conn.execute("SELECT count(*) FROM notes WHERE conflict = 1").fetchone()[0]
    return report


def merge_peer(h: Handle, path: Path, workdir: Path) -> PeerResult:
    """Merge one peer file (safely read) into the library; never raises for a bad peer."""
    result = PeerResult(str(path))
    reason = skip_reason(path)
    if reason:
        result.skipped = reason
        return result
    key = f"peer:{path.resolve()}"
    sig = _file_sig(path)
    if sig is not None and h.meta(key) == sig:
        result.unchanged = True  # merged as it is now at an earlier sync
        return result
    try:
        with private_copy(path, workdir) as copy:
            merge_file(h, copy, result)
    except LibraryError as exc:
        return _skipped(result, str(exc))
    except Exception as exc:  # a bug a peer found: skip it (rolled back), never stop the sync
        return _skipped(result, f"could not be merged: {type(exc).__name__}: {exc}")
    _remember(h, key, sig)
    return result


def _skipped(result: PeerResult, reason: str) -> PeerResult:
    """The peer was not merged (its transaction rolled back): nothing received from it."""
    result.skipped = clean_line(" ".join(reason.split()))
    result.received = result.sent = result.refused = result.conflicts = 0
    result.refusals = []
    return result


def _clean_stale_temps(folder: Path, own: str) -> None:
    for path in folder.glob(f".{own}.*.tmp"):
        with contextlib.suppress(OSError):
            path.unlink()
