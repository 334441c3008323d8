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
    """CPU time the command had used by then (user + system, all its threads; in clock
    ticks of 10 ms): less affected than `seconds` by other work on a shared machine."""
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
        while True:
            try:
                item = chunks.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                item = None
            if item is None:
                status = "timeout" if child.isalive() else f"exit status {child.exitstatus}"
                shown = "\n".join(line.rstrip() for line in screen.display)
                raise Incomplete(f"{' '.join(map(str, argv))}: no complete screen ({status}):\n"
                                 + shown)  # fmt: skip
            data, at = item
            stream.feed(data)
            if complete(screen.display):
                break
        lines = list(screen.display)
        cpu, rss = _cpu_seconds(child.pid), _peak_rss_mb(child.pid)
        return Run(at - start, lines, cpu, rss, _quit(child))
    finally:
        stop.set()
        if child.isalive():
            child.terminate(force=True)
        reader.join(timeout=5)
        child.close()
        sys.setswitchinterval(interval)


def _drain(child: ptyprocess.PtyProcess, chunks: queue.Queue, stop: threading.Event) -> None:
    """Read the terminal as fast as the command writes it (pyte is slower: parsing in this
    loop would hold the command up on a full terminal), stamping each chunk; None at the end."""
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
        chunks.put((data, time.perf_counter()))
    chunks.put(None)


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


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
