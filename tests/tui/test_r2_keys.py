"""Keys during background jobs: while the language model runs in a worker, the objects alive
once it is loaded are left out of the cyclic collector's passes (`settle_heap`), until the
last such job ends (bench/keys_bench.py measures the keys meanwhile)."""

from __future__ import annotations

import gc
import sqlite3
from pathlib import Path

from textual.message import Message

from tests.tui.conftest import insert_articles, opened, settle
from tui.app import GlossApp
from tui.messages import ImportProgress
from tui.widgets.jobs import Throttle, settle_heap, sharing_the_gil

SIZE = (80, 24)


def test_the_heap_is_settled_only_inside_a_job_and_until_the_last_ends() -> None:
    gc.unfreeze()
    settle_heap()  # no job runs: nothing
    assert gc.get_freeze_count() == 0
    with sharing_the_gil():
        with sharing_the_gil():  # a second job at once (an import during a re-analysis)
            settle_heap()
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() > 0  # the first still runs
    assert gc.get_freeze_count() == 0  # everything is the collector's again


def test_the_first_report_of_an_item_done_settles_once() -> None:
    calls, posted = [], []
    progress = Throttle(lambda d, t: posted.append((d, t)), first_done=lambda: calls.append(1))
    progress(0, 10)  # the total, before the model has done anything
    assert calls == []
    progress(1, 10)
    progress(2, 10)
    progress(10, 10)
    assert calls == [1]
    assert posted[0] == (0, 10) and posted[-1] == (10, 10)


def test_an_import_settles_the_heap_at_its_first_article() -> None:
    gc.unfreeze()
    with sharing_the_gil():
        progress = Throttle(lambda d, t: None, first_done=settle_heap)
        progress(0, 3)
        assert gc.get_freeze_count() == 0
        progress(1, 3)
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


async def test_a_re_analysis_runs_with_the_heap_settled_and_gives_it_back(lib_path: Path) -> None:
    """The re-analysis is held at its first write (another connection holds the write lock)
    until the test has looked: it cannot have ended, and unsettled the heap, before."""
    with opened(lib_path) as lib:
        insert_articles(lib, 60)  # two batches of the model's work
        before = {s.id: lib.get_article(s.id).entities for s in lib.list_articles(limit=5)}
    gc.unfreeze()
    blocker = sqlite3.connect(lib_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    frozen_while_running: list[int] = []
    app = GlossApp(lib_path)

    def hook(message: Message) -> None:
        if isinstance(message, ImportProgress) and 0 < message.done < message.total:
            if not frozen_while_running:
                frozen_while_running.append(gc.get_freeze_count())
                blocker.execute("ROLLBACK")  # the job may write, and end, from now on

    try:
        async with app.run_test(size=SIZE, message_hook=hook) as pilot:
            await settle(pilot)
            assert gc.get_freeze_count() == 0  # no job: the heap is the collector's
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"Re-analyse all", "enter")
            await settle(pilot, rounds=12)
            assert frozen_while_running and frozen_while_running[0] > 0
            assert any(n.message.startswith("Re-analysed ") for n in app._notifications)
            assert not app.library_screen.jobs.display
            assert gc.get_freeze_count() == 0  # given back when the job ended
    finally:
        blocker.close()
    with opened(lib_path) as lib:  # the same model finds the same
        assert {a: lib.get_article(a).entities for a in before} == before
