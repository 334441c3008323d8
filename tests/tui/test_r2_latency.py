"""Progress posts of long jobs are throttled, and the GIL is handed between threads more
often while a worker reads what the user waits for (bench/keys_bench.py measures keys)."""

from __future__ import annotations

import sys

from tui.widgets.failures import switching_every
from tui.widgets.jobs import Throttle

OTHER = 0.002
"""A second interval asked for at once (another block's)."""


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_throttle_posts_first_last_and_one_per_interval() -> None:
    clock, posted = Clock(), []
    progress = Throttle(lambda d, t: posted.append((d, t)), interval=0.25, clock=clock)
    progress(0, 100)  # the total: always
    for done in range(1, 33):  # a batch of the model, all at once
        progress(done, 100)
    assert posted == [(0, 100)]
    clock.now += 0.3
    progress(33, 100)
    progress(34, 100)
    assert posted == [(0, 100), (33, 100)]
    progress(100, 100)  # the end: always, however soon
    assert posted == [(0, 100), (33, 100), (100, 100)]


def test_throttle_first_report_goes_even_midway() -> None:
    posted = []
    progress = Throttle(lambda d, t: posted.append((d, t)), clock=Clock())
    progress(5, 10)
    assert posted == [(5, 10)]


def test_the_interval_comes_back_after_the_last_block_that_asked() -> None:
    before = sys.getswitchinterval()
    with switching_every(OTHER):
        assert sys.getswitchinterval() <= OTHER
        with switching_every(OTHER):  # a second block at once
            assert sys.getswitchinterval() <= OTHER
        assert sys.getswitchinterval() <= OTHER  # the first still runs
    assert sys.getswitchinterval() == before


def test_an_urgent_read_and_another_block_overlapping_in_any_order_restore_the_interval() -> None:
    """Both ask through one mechanism (`failures.switching_every`): when each kept its own
    count, an urgent read ending inside a job put back the interval it had found (the job's),
    and the job's end then left the process at the urgent one."""
    from tui.widgets.failures import URGENT_INTERVAL, urgent

    before = sys.getswitchinterval()
    job, read = switching_every(OTHER), urgent()
    job.__enter__()
    read.__enter__()
    assert sys.getswitchinterval() == URGENT_INTERVAL
    job.__exit__(None, None, None)
    assert sys.getswitchinterval() == URGENT_INTERVAL  # the read still runs
    read.__exit__(None, None, None)
    assert sys.getswitchinterval() == before
    read, job = urgent(), switching_every(OTHER)
    read.__enter__()
    job.__enter__()
    read.__exit__(None, None, None)
    assert sys.getswitchinterval() == OTHER  # the other still runs
    job.__exit__(None, None, None)
    assert sys.getswitchinterval() == before
