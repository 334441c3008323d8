"""Counted nouns, singular for one: "1 article", "2,310 articles" (TUI and CLI alike)."""

from __future__ import annotations


def plural(n: int, word: str) -> str:
    """`n` (with thousands separators) and `word`, with an s unless n is 1."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"
