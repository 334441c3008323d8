"""Re-analysis reports its total before the first batch and counts article by article (a
batch of 64 takes many seconds: the bar would otherwise sit still)."""

from __future__ import annotations

from store import Library


def test_progress_is_reported_per_article_with_the_total_first(lib: Library) -> None:
    calls: list[tuple[int, int]] = []
    count, notice = lib.reanalyze(True, progress=lambda done, total: calls.append((done, total)))
    assert (count, notice) == (5, None)
    assert calls == [(0, 5), (1, 5), (2, 5), (3, 5), (4, 5), (5, 5), (5, 5)]


def test_an_import_counts_article_by_article_too(fresh_lib: Library, tmp_path) -> None:
    folder = tmp_path / "new"
    folder.mkdir()
    for i in range(3):
        (folder / f"a{i}.txt").write_text(f"Article {i}\n\nA text about Paris, number {i}.\n")
    calls: list[tuple[int, int]] = []
    report = fresh_lib.import_paths([folder], lambda done, total: calls.append((done, total)))
    assert report.count("imported") == 3
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3), (3, 3)]
