"""Progress posts of long jobs are throttled, and the GIL is shared more finely while the
language model runs in a worker (bench/keys_bench.py measures the keys meanwhile)."""

from __future__ import annotations

import sys

from tui.widgets.jobs import SWITCH_INTERVAL, Throttle, sharing_the_gil


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


def test_sharing_the_gil_restores_the_interval_after_the_last_job() -> None:
    before = sys.getswitchinterval()
    with sharing_the_gil():
        assert sys.getswitchinterval() <= SWITCH_INTERVAL
        with sharing_the_gil():  # a second job at once (an import during a re-analysis)
            assert sys.getswitchinterval() <= SWITCH_INTERVAL
        assert sys.getswitchinterval() <= SWITCH_INTERVAL  # the first still runs
    assert sys.getswitchinterval() == before


def test_an_urgent_read_and_a_job_overlapping_in_any_order_restore_the_interval() -> None:
    """Both ask through one mechanism (`failures.switching_every`): when each kept its own
    count, an urgent read ending inside a job put back the interval it had found (the job's),
    and the job's end then left the process at the urgent one."""
    from tui.widgets.failures import URGENT_INTERVAL, urgent

    before = sys.getswitchinterval()
    job, read = sharing_the_gil(), urgent()
    job.__enter__()
    read.__enter__()
    assert sys.getswitchinterval() == URGENT_INTERVAL
    job.__exit__(None, None, None)
    assert sys.getswitchinterval() == URGENT_INTERVAL  # the read still runs
    read.__exit__(None, None, None)
    assert sys.getswitchinterval() == before
    read, job = urgent(), sharing_the_gil()
    read.__enter__()
    job.__enter__()
    read.__exit__(None, None, None)
    assert sys.getswitchinterval() == SWITCH_INTERVAL  # the job still runs
    job.__exit__(None, None, None)
    assert sys.getswitchinterval() == before
