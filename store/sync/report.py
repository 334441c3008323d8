"""What a sync did: the report `gloss sync` prints (and gives as JSON)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from store.sync.merge import PeerResult


@dataclass
class SyncReport:
    peers: list[PeerResult] = field(default_factory=list)
    published: str | None = None  # the file written (a hub: our new fact file, if any)
    up_to_date: bool = False  # nothing was written: the target held everything already
    conflicts: int = 0
    messages: list[str] = field(default_factory=list)
    hub: str | None = None  # a hub's location (no credentials)
    written_bytes: int = 0  # bytes written into the hub
    sent: int = 0  # facts written into the hub
    compacted: int = 0  # this device's files rolled into one (and removed)

    def to_json(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "up_to_date": self.up_to_date,
            "conflicts": self.conflicts,
            "messages": self.messages,
            "hub": self.hub,
            "written_bytes": self.written_bytes,
            "sent": self.sent,
            "compacted": self.compacted,
            "peers": [p.to_json() for p in self.peers],
        }


Progress = Callable[[int, int, str], None]
