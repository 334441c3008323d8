"""A hybrid logical clock: stamps that order edits across machines even when wall clocks drift.

A stamp is the string ``WWWWWWWWWWWWW.CCCCC.DEVICE`` (wall milliseconds, counter, device id),
fixed-width so that string order is causal order. The counter never passes MAX_COUNTER: one
more stamp in that millisecond carries into the next one, so the width (and the order) holds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

# A peer stamp further ahead of our wall clock than this is not adopted as our clock.
MAX_DRIFT_MS = 24 * 60 * 60 * 1000
MAX_COUNTER = 99_999  # five digits


@dataclass(frozen=True, order=True)
class Stamp:
    """One point of the hybrid logical clock."""

    wall: int
    counter: int
    device: str

    def __str__(self) -> str:
        return f"{self.wall:013d}.{self.counter:05d}.{self.device}"

    @classmethod
    def parse(cls, text: str) -> Stamp:
        """Read a stamp written by __str__; ValueError if it is not one."""
        wall, counter, device = (text.split(".", 2) + ["", ""])[:3]
        if not (_digits(wall, 13) and _digits(counter, 5) and device):
            raise ValueError(f"not a clock stamp: {text[:60]!r}")
        return cls(int(wall), int(counter), device)


def _digits(part: str, width: int) -> bool:
    return len(part) == width and part.isascii() and part.isdigit()


def _carry(wall: int, counter: int, device: str) -> Stamp:
    """The stamp (wall, counter), moved into the next millisecond if the counter is full."""
    if counter > MAX_COUNTER:
        wall, counter = wall + 1, 0
    return Stamp(wall, counter, device)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def tick(last: Stamp | None, device: str, wall_now: int | None = None) -> Stamp:
    """The next local stamp: later than `last` even if the wall clock went backwards."""
    wall_now = now_ms() if wall_now is None else wall_now
    if last is None or wall_now > last.wall:
        return Stamp(wall_now, 0, device)
    return _carry(last.wall, last.counter + 1, device)


def observe(last: Stamp | None, remote: Stamp, device: str, wall_now: int | None = None) -> Stamp:
    """Advance past a stamp seen from a peer, unless it is implausibly far in the future."""
    wall_now = now_ms() if wall_now is None else wall_now
    if remote.wall > wall_now + MAX_DRIFT_MS:
        return tick(last, device, wall_now)
    wall = max(wall_now, remote.wall, last.wall if last else 0)
    counter = 0
    if last and wall == last.wall:
        counter = last.counter + 1
    if wall == remote.wall:
        counter = max(counter, remote.counter + 1)
    return _carry(wall, counter, device)


def too_far_ahead(stamp: str, wall_now: int | None = None) -> bool:
    """True when a stamp (as stored) is further ahead of our wall clock than MAX_DRIFT_MS."""
    wall_now = now_ms() if wall_now is None else wall_now
    return Stamp.parse(stamp).wall > wall_now + MAX_DRIFT_MS
