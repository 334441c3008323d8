"""A whole peer library file (gloss 1's `<device>.gloss` in a hub, or the library file of
`gloss sync FILE`): read safely (a checked private copy) and merged, once per version of it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from store.core.errors import LibraryError
from store.core.sanitize import clean_line
from store.sync.merge import Hooks, PeerResult, merge_file, private_copy, skip_reason

if TYPE_CHECKING:
    from store.core.handle import Handle


def file_sig(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def remember(h: Handle, key: str, value: str | None) -> None:
    if value is not None:
        with h.write() as conn:
            h.set_meta(conn, key, value)


def merge_peer(h: Handle, path: Path, workdir: Path, hooks: Hooks | None = None) -> PeerResult:
    """Merge one peer library file (safely read) into the library; never raises for a bad
    peer."""
    result = PeerResult(str(path))
    reason = skip_reason(path)
    if reason:
        result.skipped = reason
        return result
    key = f"peer:{path.resolve()}"
    sig = file_sig(path)
    if sig is not None and h.meta(key) == sig:
        result.unchanged = True  # merged as it is now at an earlier sync
        return result
    try:
        with private_copy(path, workdir) as copy:
            merge_file(h, copy, result, hooks=hooks)
    except LibraryError as exc:
        return _skipped(result, str(exc))
    except Exception as exc:  # a bug a peer found: skip it (rolled back), never stop the sync
        return _skipped(result, f"could not be merged: {type(exc).__name__}: {exc}")
    if not result.waiting:  # facts stamped ahead wait: the file is read again next time
        remember(h, key, sig)
    return result


def _skipped(result: PeerResult, reason: str) -> PeerResult:
    """The peer was not merged (its transaction rolled back): nothing received from it."""
    result.skipped = clean_line(" ".join(reason.split()))
    result.received = result.sent = result.refused = result.conflicts = 0
    result.refusals = []
    return result
