"""New fact ids."""

from __future__ import annotations

import hashlib

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    """A new ULID string (python-ulid is imported on first write, not at start-up)."""
    from ulid import ULID

    return str(ULID())


def derived_id(*parts: str) -> str:
    """A ULID-shaped id that is a hash of its inputs (the same on every machine)."""
    n = int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:16], "big")
    return "".join(_CROCKFORD[(n >> (5 * i)) & 31] for i in reversed(range(26)))
