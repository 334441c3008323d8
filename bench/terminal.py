"""Run a command in a pseudo-terminal, as a user's terminal would, and time it to a screen.

A thread reads the command's output as it arrives and stamps each chunk; the chunks are fed
into a pyte screen (a VT100 emulator) in turn, and the run's time is the stamp of the chunk
after which `complete(lines)` first holds for the emulated screen: the emulator's own cost
is not counted, and never holds the command up.
"""

from __future__ import annotations

import os
import queue
import select
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import ptyprocess
import pyte

COLUMNS, ROWS = 120, 40
QUIT = b"\x11"  # ctrl+q


@dataclass
class Run:
    seconds: float
    """From just before the spawn to the read of the output that completed the screen."""
    lines: list[str]
    """The screen at that moment."""
    cpu_seconds: float
    """CPU time the command's main thread had used by then (from the scheduler, in ns): its
    critical path less its waits, far less affected than `seconds` by a shared machine."""
    peak_rss_mb: float
    """The command's peak resident memory until then (VmHWM; 0 if unknown)."""
    quit_cleanly: bool
    """Whether the command exited by itself (status 0) after ctrl+q."""


class Incomplete(RuntimeError):
    """The screen never became complete (the command failed, hung or drew something else)."""


def run(
    argv: Sequence[str | Path],
    complete: Callable[[list[str]], bool],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Run:
    """Spawn `argv` in a COLUMNS x ROWS terminal, wait for a complete screen, then quit it
    (ctrl+q, then terminate if it has not exited within a few seconds)."""
    screen = pyte.Screen(COLUMNS, ROWS)
    stream = pyte.ByteStream(screen)
    environment = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor", **(env or {})}
    for name in ("COLUMNS", "LINES"):  # the terminal's size, from the pty, as in a terminal
        environment.pop(name, None)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)  # the reader thread stamps a chunk as soon as it arrives
    start = time.perf_counter()
    child = ptyprocess.PtyProcess.spawn(
        [str(a) for a in argv], cwd=cwd, env=environment, dimensions=(ROWS, COLUMNS)
    )
    chunks: queue.Queue[tuple[bytes, float] | None] = queue.Queue()
    stop = threading.Event()
    reader = threading.Thread(target=_drain, args=(child, chunks, stop), daemon=True)
    reader.start()
    try:
        deadline = start + timeout
        done = None
        while done is None:
            burst = _burst(chunks, deadline)
            for data, at, cpu, rss in burst:
                if data is None:
                    status = "timeout" if child.isalive() else f"exit status {child.exitstatus}"
                    shown = "\n".join(line.rstrip() for line in screen.display)
                    raise Incomplete(f"{' '.join(map(str, argv))}: no complete screen "
                                     f"({status}):\n{shown}")  # fmt: skip
                stream.feed(data)
                if complete(screen.display):
                    done = Run(at - start, list(screen.display), cpu, rss, False)
                    break
        done.quit_cleanly = _quit(child)
        return done
    finally:
        stop.set()
        if child.isalive():
            child.terminate(force=True)
        reader.join(timeout=5)
        child.close()
        sys.setswitchinterval(interval)


Chunk = tuple[bytes | None, float, float, float]
"""Output (None at its end), when it was read, and the command's CPU seconds and peak RSS."""


def _drain(child: ptyprocess.PtyProcess, chunks: queue.Queue[Chunk], stop: threading.Event) -> None:
    """Read the terminal as fast as the command writes it (pyte is slower: parsing in this
    loop would hold the command up on a full terminal), stamping each chunk."""
    while not stop.is_set():
        ready, _, _ = select.select([child.fd], [], [], 0.05)
        if not ready:
            continue
        try:
            data = os.read(child.fd, 1 << 16)
        except OSError:  # EIO: the command closed the terminal
            data = b""
        if not data:
            break
        at = time.perf_counter()
        chunks.put((data, at, _cpu_seconds(child.pid), _peak_rss_mb(child.pid)))
    chunks.put((None, time.perf_counter(), 0.0, 0.0))


QUIET = 0.005
"""Seconds without output that end a burst (a frame is written in one)."""


def _burst(chunks: queue.Queue[Chunk], deadline: float) -> list[Chunk]:
    """The chunks of the next burst of output: parsed only once the command pauses, so that
    parsing does not compete with the command while it writes a frame."""
    try:
        burst = [chunks.get(timeout=max(0.0, deadline - time.perf_counter()))]
    except queue.Empty:
        return [(None, deadline, 0.0, 0.0)]
    while burst[-1][0] is not None and sum(len(c[0] or b"") for c in burst) < 1 << 20:
        try:
            burst.append(chunks.get(timeout=QUIET))
        except queue.Empty:
            break
    return burst


def _cpu_seconds(pid: int) -> float:
    try:  # the main thread's time on a CPU, in ns (schedstat: run, wait, slices)
        return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _quit(child: ptyprocess.PtyProcess, wait: float = 5.0) -> bool:
    """Press ctrl+q and wait (the reader keeps draining the terminal) until it exits;
    whether it exited by itself with status 0."""
    child.write(QUIT)
    deadline = time.perf_counter() + wait
    while child.isalive() and time.perf_counter() < deadline:
        time.sleep(0.01)
    if child.isalive():
        child.terminate(force=True)
        return False
    child.wait()
    return child.exitstatus == 0


class Session:
    """A command kept running in a COLUMNS x ROWS pseudo-terminal, driven key by key:
    `press` writes bytes, `wait` parses the output as it comes until the screen satisfies a
    test and returns when that output was read (the same stamped reads as `run`)."""

    def __init__(
        self,
        argv: Sequence[str | Path],
        *,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.argv = [str(a) for a in argv]
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self._stream = pyte.ByteStream(self.screen)
        environment = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor",
                       **(env or {})}  # fmt: skip
        for name in ("COLUMNS", "LINES"):
            environment.pop(name, None)
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0002)
        self.child = ptyprocess.PtyProcess.spawn(
            self.argv, cwd=cwd, env=environment, dimensions=(ROWS, COLUMNS)
        )
        self._chunks: queue.Queue[Chunk] = queue.Queue()
        self._pending: list[Chunk] = []
        self._stop = threading.Event()
        self._reader = threading.Thread(
            target=_drain, args=(self.child, self._chunks, self._stop), daemon=True
        )
        self._reader.start()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def press(self, keys: bytes | str) -> float:
        """Write `keys` to the terminal; when (perf_counter) they were written."""
        self.child.write(keys.encode() if isinstance(keys, str) else keys)
        return time.perf_counter()

    def wait(self, done: Callable[[pyte.Screen], bool], timeout: float = 30.0) -> float:
        """Feed output to the screen until `done(screen)` holds; the read time of the output
        that made it hold (or at once if it already does). Raises Incomplete on timeout or
        exit."""
        if done(self.screen):
            return time.perf_counter()
        deadline = time.perf_counter() + timeout
        while True:
            if not self._pending:
                self._pending = _burst(self._chunks, deadline)
            while self._pending:  # (the rest of a burst is kept for the next wait)
                data, at, _cpu, _rss = self._pending.pop(0)
                if data is None:
                    status = "timeout" if self.child.isalive() else "exited"
                    shown = "\n".join(line.rstrip() for line in self.screen.display)
                    raise Incomplete(f"{' '.join(self.argv)}: {status}:\n{shown}")
                self._stream.feed(data)
                if done(self.screen):
                    return at

    def settle(self, quiet: float = 0.3) -> None:
        """Parse whatever the command writes until it has been silent for `quiet` seconds."""
        for data, *_ in self._pending:
            if data is not None:
                self._stream.feed(data)
        self._pending = []
        while True:
            try:
                data, *_ = self._chunks.get(timeout=quiet)
            except queue.Empty:
                return
            if data is None:
                return
            self._stream.feed(data)

    def close(self) -> bool:
        """Quit (ctrl+q; terminate if it lingers); whether it exited cleanly."""
        try:
            return _quit(self.child) if self.child.isalive() else False
        finally:
            self._stop.set()
            if self.child.isalive():
                self.child.terminate(force=True)
            self._reader.join(timeout=5)
            self.child.close()
            sys.setswitchinterval(self._interval)
