"""The one bounded read of a regular file, used for every file gloss reads from outside."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from store.core.errors import ImportFailed
from store.core.sanitize import MAX_FILE_BYTES

_NOT_REGULAR = (
    (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"),
)  # fmt: skip


def _check_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        what = next((name for test, name in _NOT_REGULAR if test(mode)), "not a file")
        raise ImportFailed(f"not a regular file ({what})")


def read_bounded(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, at most `limit` of them; anything else is an ImportFailed.

    A FIFO would block the open and the read for ever, and a device reports size 0 while
    giving endless data, so: stat before opening (a device is never even opened), open
    without blocking, check the open file again (it may have been swapped), and read no
    more than limit + 1 bytes whatever the size said."""
    try:
        _check_regular(os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ImportFailed(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        _check_regular(st.st_mode)
        if st.st_size > limit:
            raise ImportFailed(f"too large ({st.st_size:,} bytes; the limit is {limit:,} bytes)")
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            chunk = os.read(fd, min(limit + 1 - got, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    except OSError as exc:
        raise ImportFailed(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if got > limit:
        raise ImportFailed(f"too large (over {limit:,} bytes; the limit is {limit:,} bytes)")
    return b"".join(chunks)
