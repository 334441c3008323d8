"""Keys during reading and background jobs: what start-up made is left out of the cyclic
collector's passes once the first frame is up, and stays so after a job; an opaque screen on
top is not repainted for changes to the library under it; the `gloss` command runs the
language model in a process of its own (bench/keys_bench.py measures the keys meanwhile)."""

from __future__ import annotations

import gc
import os
import sqlite3
from pathlib import Path

from textual.message import Message

from store.ingest import entities
from tests.tui.conftest import insert_articles, opened, settle
from tests.tui.test_reader import ids_in_order, open_article
from tui.app import GlossApp
from tui.messages import ImportProgress

SIZE = (80, 24)


async def test_the_start_up_heap_is_left_out_of_the_collectors_passes(lib_path: Path) -> None:
    gc.unfreeze()
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert gc.get_freeze_count() > 0  # (a full pass walked all of it: 50 ms a time)


async def test_an_opaque_screen_is_not_repainted_for_the_library_under_it(
    lib_path: Path,
) -> None:
    """Textual counts the screen under the top one as showing through whatever the top one
    is: each change to the covered library repainted the whole reader."""
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        reader = await open_article(pilot, lib_path, ids_in_order(lib_path)[0])
        assert app.screen is reader and app._background_screens == []
        await pilot.press("question_mark")  # a dialog shows the reader under it
        await settle(pilot)
        assert app._background_screens == [reader]


async def test_a_re_analysis_with_the_model_apart_keeps_the_heap_frozen(lib_path: Path) -> None:
    """As `gloss` runs it: the model in a child process. The re-analysis is held at its
    first write (another connection holds the write lock) until the test has looked: it
    cannot have ended before. The same model finds the same; the heap frozen at start-up
    stays frozen after the job (a job used to give it back to the collector)."""
    with opened(lib_path) as lib:
        insert_articles(lib, 60)  # two batches of the model's work
        before = {s.id: lib.get_article(s.id).entities for s in lib.list_articles(limit=5)}
    gc.unfreeze()
    blocker = sqlite3.connect(lib_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    children: list[int] = []
    app = GlossApp(lib_path)

    def hook(message: Message) -> None:
        if isinstance(message, ImportProgress) and 0 < message.done < message.total:
            if not children:
                child = entities.analyzer()[0]
                children.append(child._process.pid)  # type: ignore[union-attr]
                blocker.execute("ROLLBACK")  # the job may write, and end, from now on

    entities.analyse_apart()
    try:
        async with app.run_test(size=SIZE, message_hook=hook) as pilot:
            await settle(pilot)
            frozen = gc.get_freeze_count()
            assert frozen > 0
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"Re-analyse all", "enter")
            await settle(pilot, rounds=12)
            while app.library_screen.jobs.display:  # (the child loads the model first)
                await pilot.pause(0.2)
            assert children and children[0] != os.getpid()
            assert any(n.message.startswith("Re-analysed ") for n in app._notifications)
            assert gc.get_freeze_count() > frozen // 2  # not given back (unfrozen: 0) after it
    finally:
        blocker.close()
        entities.analyse_apart(False)
    with opened(lib_path) as lib:  # the same model finds the same
        assert {a: lib.get_article(a).entities for a in before} == before
