"""The language model in a child process (the app's way, store.ingest.entities_apart): the
same findings as in this process, in order, however large the batches; a stream left early,
or a child that dies, ends that child and the next use starts another; a stop between two
articles keeps what was written. The real model, in a real child process."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Library
from store.ingest import entities
from store.ingest.entities_apart import AnalysisFailed, ChildAnalyzer
from tests.conftest import ARTICLES

TEXTS = [p.read_text(encoding="utf-8") for p in sorted(ARTICLES.iterdir())[:6]]


@pytest.fixture
def apart(analyzer: entities.Analyzer) -> Iterator[ChildAnalyzer]:
    """The model in a child for one test; this process's own model afterwards."""
    entities.analyse_apart()
    child, notice = entities.analyzer()
    assert isinstance(child, ChildAnalyzer), notice
    yield child
    entities.analyse_apart(False)
    assert entities.analyzer()[0] is analyzer  # (not loaded again)


def test_the_child_finds_what_this_process_finds(
    apart: ChildAnalyzer, analyzer: entities.Analyzer
) -> None:
    assert apart.name == analyzer.name
    assert apart._process.pid != os.getpid()
    # it runs only when the app's threads do not want the CPU
    assert os.sched_getscheduler(apart._process.pid) == os.SCHED_IDLE
    assert list(apart.analyse(TEXTS, batch_size=4)) == list(analyzer.analyse(TEXTS, batch_size=4))


def test_batches_larger_than_a_pipe_holds_both_ways(
    apart: ChildAnalyzer, analyzer: entities.Analyzer
) -> None:
    """Each batch sent is over 64 KB (what a pipe holds) and so are its results: a side
    that only sent, or only read, would wait for the other for ever (the first version did)."""
    texts = [t * 6 for t in TEXTS[:3]] * 2  # two batches of three texts of up to 27,000 characters
    assert min(len("".join(texts[i : i + 3]).encode()) for i in (0, 3)) > 64 * 1024
    found = list(apart.analyse(texts, batch_size=3))
    assert len(found) == len(texts) and found[:3] == found[3:]
    assert found[:3] == list(analyzer.analyse(texts[:3], batch_size=3))


def test_a_stream_left_early_ends_the_child_and_the_next_use_starts_another(
    apart: ChildAnalyzer,
) -> None:
    stream = apart.analyse(TEXTS * 20, batch_size=4)
    next(stream)
    stream.close()  # (an import stopped: the results in flight are stale)
    assert not apart.alive and apart._process.poll() is not None
    again, _ = entities.analyzer()
    assert isinstance(again, ChildAnalyzer) and again is not apart and again.alive
    assert len(list(again.analyse(TEXTS[:2]))) == 2


def test_a_child_that_dies_is_a_one_line_error_then_replaced(apart: ChildAnalyzer) -> None:
    stream = apart.analyse(TEXTS * 20, batch_size=4)
    next(stream)
    apart._process.kill()
    with pytest.raises(AnalysisFailed) as failed:
        list(stream)
    assert str(failed.value).startswith("the language model's process ended")
    assert "\n" not in str(failed.value)
    again, _ = entities.analyzer()
    assert isinstance(again, ChildAnalyzer) and again.alive


def test_no_model_in_the_child_is_said_as_in_this_process(
    apart: ChildAnalyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    entities.analyse_apart(False)  # (the child with the model ends)
    monkeypatch.setenv("GLOSS_MODEL", "none")
    entities.analyse_apart()
    assert entities.analyzer() == (None, "entity analysis is off (GLOSS_MODEL=none)")


def test_a_stopped_re_analysis_keeps_the_batches_written(
    apart: ChildAnalyzer, sample_library: Path, tmp_path: Path
) -> None:
    path = tmp_path / "library.db"
    shutil.copy(sample_library, path)
    with Library.open(path) as lib:
        seen: list[int] = []

        def progress(done: int, total: int) -> None:
            seen.append(done)

        count, notice = lib.reanalyze(True, progress, stop=lambda: len(seen) > 3)
        assert notice is None and count == 0  # stopped inside the first batch of 64
        assert not apart.alive  # (its work in flight dropped with it)
        count, _ = lib.reanalyze(True)
        assert count == lib.count()
