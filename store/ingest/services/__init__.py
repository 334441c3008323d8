"""Other services' exports (Omnivore, Pocket, Wallabag, Readwise, Hypothesis, Kindle,
Instapaper): a reader module per service turns its export into `record.Saved` entries;
`apply` writes them into the library. Readers are imported only when an export is read."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from store.core.errors import ImportFailed

SERVICES = ("omnivore", "pocket", "wallabag", "readwise", "hypothesis", "kindle", "instapaper")
HEAD_BYTES = 64 * 1024


def reader(name: str) -> ModuleType:
    """The reader module of a service, by its name (ImportFailed for an unknown one)."""
    key = name.strip().lower()
    if key not in SERVICES:
        raise ImportFailed(f"unknown service {name!r}; one of: {', '.join(SERVICES)}")
    return importlib.import_module(f"store.ingest.services.{key}")


def available() -> list[str]:
    """The services whose reader is installed (each is a module of this package)."""
    out = []
    for name in SERVICES:
        try:
            reader(name)
        except ImportError:
            continue
        out.append(name)
    return out


def detect(path: Path) -> ModuleType | None:
    """The reader whose export this file is (by its first 64 KiB), or None. A FIFO, a
    device or an unreadable file is none of them (the usual import says why)."""
    import os
    import stat

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError:
        return None
    for name in available():
        module = reader(name)
        try:
            if module.sniff(path, head):
                return module
        except Exception:  # a sniffer must not raise; if one does, it is not that format
            continue
    return None
