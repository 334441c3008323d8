"""The language model in a process of its own, for a program whose own threads must stay quick
(the app): spaCy's pipeline is Python and Cython that holds the interpreter's lock for most of
its work, so in a worker thread every key the app handles meanwhile waits its turn for that
lock. Here the model runs in a child process (`python -m store.ingest.entities_child`, talking
through its standard input and output: not a fork, as the app has threads, nor
multiprocessing's spawn, which imports the parent's main module again), and this process only
sends texts and receives what was found in them: the same `Analysis` values, in the same
order, as `Analyzer.analyse`.

One child serves the whole process, started on first use and kept (the model loads once);
one stream at a time uses it (a lock), with two batches in flight so that the child never
waits for this side. A stream left before its end (an import stopped) ends the child, so no
stale results are ever read; the next use starts another. The child ends with this process:
it leaves when its input closes, and is ended at exit.

The child writes nothing to the terminal (its error stream goes to /dev/null: the app draws
on that terminal; a stray print goes there too, not into the pipe) and ignores ctrl+c (the
app handles it). It runs in Linux's idle scheduling class: when both cores are busy, the
app's threads (and the terminal drawing them) run first: in 4 interleaved runs of 40 `]`
presses each in the reader during a re-analysis (as the keys bench presses them), p95 48-53
ms so, 63-75 ms at nice 10. It analyses one piece at a time (`n_process` is not passed on):
the other core is the app's.
"""

from __future__ import annotations

import atexit
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from store.core.errors import GlossError

AHEAD = 2
"""Batches sent to the child beyond the one whose results are being read: it always has the
next one at hand."""
NICENESS = 10
"""How much lower the child's priority is where Linux's idle scheduling class is not to be
had (`_lower_priority`)."""
LOAD_TIMEOUT = 300.0
"""Seconds the child may take to load the model and say so (a first load from a cold disk
takes a few)."""


class AnalysisFailed(GlossError):
    """The model's process failed or ended while analysing."""


class Pipe:
    """A connection over two one-way pipes: length-prefixed pickles (multiprocessing's)."""

    def __init__(self, read: int, write: int) -> None:
        self._in = Connection(read, writable=False)
        self._out = Connection(write, readable=False)

    def send(self, value: object) -> None:
        self._out.send(value)

    def recv(self) -> Any:
        return self._in.recv()

    def poll(self, timeout: float) -> bool:
        return self._in.poll(timeout)

    def close(self) -> None:
        for c in (self._out, self._in):
            try:
                c.close()
            except OSError:
                pass


class ChildAnalyzer:
    """`Analyzer`'s `name` and `analyse`, with the model in a child process."""

    def __init__(self, process: subprocess.Popen[bytes], conn: Pipe, name: str) -> None:
        self.name = name
        self._process, self._conn = process, conn
        self._lock = threading.Lock()
        self.alive = True

    def analyse(
        self, texts: Iterable[str], batch_size: int = 32, n_process: int = 1
    ) -> Iterator[Any]:
        """Analyse texts in the child, yielding one Analysis per text, in order.

        A feeder thread sends the batches, at most AHEAD beyond the one being read, while
        this one reads the results: a batch and its results are each larger than a pipe
        holds, so one thread doing both would wait for the child as the child waits for it."""
        with self._lock:
            if not self.alive:
                raise AnalysisFailed("the language model's process has ended")
            sent: queue.Queue[int | None] = queue.Queue()  # each batch's size once it is sent
            room = threading.Semaphore(AHEAD)
            failed: list[BaseException] = []
            feeder = threading.Thread(
                target=self._feed, args=(iter(texts), batch_size, sent, room, failed),
                name="gloss-model-feed", daemon=True,
            )  # fmt: skip
            feeder.start()
            finished = False
            try:
                while (size := sent.get()) is not None:
                    for _ in range(size):
                        yield self._receive()
                    room.release()
                if failed:
                    raise failed[0]
                finished = True
            finally:
                if not finished:  # left early (stopped) or failed: its results are stale
                    self.close()
                    room.release()  # (the feeder, if waiting for room, sees the end)
                feeder.join(5)

    def _feed(self, source: Iterator[str], batch_size: int, sent: queue.Queue[int | None],
              room: threading.Semaphore, failed: list[BaseException]) -> None:  # fmt: skip
        try:
            while batch := list(islice(source, batch_size)):
                room.acquire()
                if not self.alive:
                    return
                self._conn.send((batch, batch_size))
                sent.put(len(batch))
        except (OSError, ValueError) as exc:  # (its pipe closed)
            if self.alive:
                failed.append(AnalysisFailed(f"the language model's process has ended ({exc})"))
        except BaseException as exc:  # (the texts' own iterator failed: raised by the reader)
            failed.append(exc)
        finally:
            sent.put(None)

    def _receive(self) -> Any:
        try:
            kind, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            code = self._process.poll()
            raise AnalysisFailed(
                "the language model's process ended"
                + (f" (exit code {code})" if code is not None else "")
            ) from exc
        if kind != "ok":
            raise AnalysisFailed(f"the language model failed: {value}")
        return value

    def close(self) -> None:
        """End the child now (its work in flight is dropped)."""
        self.alive = False
        self._conn.close()
        _end(self._process)


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start() -> tuple[ChildAnalyzer | None, str | None]:
    """Start a child and load the model in it: (analyzer or None, notice or None), as
    `entities.analyzer()` says in this process."""
    root = str(Path(__file__).resolve().parents[2])  # (store/ importable in the child too)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}  # fmt: skip
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "store.ingest.entities_child"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, start_new_session=True,
        )  # fmt: skip
    except OSError as exc:
        return None, f"the language model's process could not start ({exc}): entity analysis is off"
    assert process.stdin is not None and process.stdout is not None
    conn = Pipe(os.dup(process.stdout.fileno()), os.dup(process.stdin.fileno()))
    process.stdin.close()
    process.stdout.close()
    atexit.register(_end, process)
    try:
        if not conn.poll(LOAD_TIMEOUT):
            raise TimeoutError
        name, notice = conn.recv()
    except (EOFError, OSError, TimeoutError):
        conn.close()
        _end(process)
        return None, (
            "the language model's process did not start"
            + (f" (exit code {process.returncode})" if process.returncode else "")
            + ": entity analysis is off"
        )
    if name is None:
        conn.close()
        _end(process)
        return None, notice
    return ChildAnalyzer(process, conn, name), notice
