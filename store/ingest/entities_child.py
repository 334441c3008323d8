"""The child process of store.ingest.entities_apart: `python -m store.ingest.entities_child`.
It loads the model, says its name (or why there is none), then analyses each batch it is
sent, one result per text, until its input closes. A module of its own, so that
`entities` (which starts it) and this (which uses `entities`) import no cycle."""

from __future__ import annotations

import os
import signal

from store.ingest.entities_apart import NICENESS, Pipe


def _serve() -> None:
    """The child: load the model, say its name (or why there is none), then analyse each
    batch asked for, one result per text, until its input closes or None comes."""
    read, write = os.dup(0), os.dup(1)  # the pipes; fds 0-2 then go nowhere
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _lower_priority()
    conn = Pipe(read, write)
    import gc

    from store.ingest import entities

    found, notice = entities.analyzer()
    gc.freeze()  # the model's objects stay out of the collector's passes
    conn.send((found.name if found is not None else None, notice))
    if found is None:
        return
    while True:
        try:
            asked = conn.recv()
        except (EOFError, OSError):
            return
        if asked is None:
            return
        texts, batch_size = asked
        try:
            for analysis in found.analyse(texts, batch_size):
                conn.send(("ok", analysis))
        except (EOFError, OSError):
            return
        except Exception as exc:  # (reported to the parent, which raises it there)
            conn.send(("failed", entities._why(exc)))  # (one clean line, as a load failure)


def _lower_priority() -> None:
    """Run only when the app's threads do not want the CPU: Linux's idle scheduling class
    where there is one (a key's thread then takes the core at once), else a higher nice."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        os.nice(NICENESS)


if __name__ == "__main__":
    _serve()
