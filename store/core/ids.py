"""New fact ids."""

from __future__ import annotations


def new_id() -> str:
    """A new ULID string (python-ulid is imported on first write, not at start-up)."""
    from ulid import ULID

    return str(ULID())
