"""tui.reports: one formatter per report, on reports the real store made; the CLI and the
job bar say the same thing about the same report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from store import Library
from store.ingest import feeds
from store.notes.export import write_folder
from tests.tui.conftest import settle
from tests.tui.test_feeds import site  # noqa: F401  (the fixture: feeds served locally)
from tui.app import GlossApp
from tui.reports import (
    Lines,
    annotation_lines,
    import_lines,
    opml_lines,
    refresh_lines,
    sync_lines,
    written_lines,
)

ROOT = Path(__file__).resolve().parents[2]
STORY = "A New Story\n\nIt happened on Monday.\n"
STORY_ID = "476ca0e8"  # the id of STORY's text
NO_MODEL = (
    "entity analysis is off (GLOSS_MODEL=none); importing without entities"
    " (run `gloss reanalyze` later)"
)


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    """A folder of one article, one empty file (named with markup) and one of another type."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "one.txt").write_text(STORY, encoding="utf-8")
    (folder / "[b]empty[-b].txt").write_text("", encoding="utf-8")
    (folder / "notes.pdf").write_bytes(b"%PDF")
    return folder


def test_import(fresh_lib: Library, drop: Path, no_model: None) -> None:
    failed = f"{drop}/[b]empty[-b].txt: empty file"
    assert import_lines(fresh_lib.import_paths([drop])) == Lines(
        "Import",
        "1 imported, 0 already present, 1 failed, 1 other files skipped",
        (
            f"failed             {failed}",
            f"imported           {drop}/one.txt  {STORY_ID}  A New Story",
        ),
        warnings=(NO_MODEL,),
        errors=(failed,),  # the name's markup is text: the TUI shows it with markup off
        exit_code=1,
    )
    again = import_lines(fresh_lib.import_paths([drop / "one.txt"]))
    assert again.printed() == [
        f"already in library {drop}/one.txt  {STORY_ID}  A New Story",
        "0 imported, 1 already present, 0 failed",
    ]
    assert (again.exit_code, again.errors) == (0, ())


def test_import_counts_only_five_failures_one_by_one(fresh_lib: Library, tmp_path: Path) -> None:
    for n in range(7):
        (tmp_path / f"empty{n}.txt").write_text("", encoding="utf-8")
    lines = import_lines(fresh_lib.import_paths(sorted(tmp_path.glob("empty*.txt"))))
    assert lines.errors == (
        *(f"{tmp_path}/empty{n}.txt: empty file" for n in range(5)),
        "…and 2 more files failed",
    )
    assert len(lines.details) == 7 and lines.summary == "0 imported, 0 already present, 7 failed"


def test_sync(tmp_path: Path, no_model: None) -> None:
    (tmp_path / "one.txt").write_text(STORY, encoding="utf-8")
    folder = tmp_path / "Sync"
    folder.mkdir()
    with Library.open(tmp_path / "laptop.db") as laptop, Library.open(tmp_path / "l.db") as lib:
        laptop.import_paths([tmp_path / "one.txt"])
        laptop.add_note(laptop.resolve(STORY_ID), "Written on the [b]laptop[/b].")
        report = laptop.sync(folder)
        theirs = Path(report.published or "").name
        assert theirs.startswith(f"{laptop.device_id}-000001-") and theirs.endswith(".glosspack")
        size = f"{report.written_bytes:,} bytes"
        first = sync_lines(report, folder)
        assert first == Lines(
            "Sync",
            f"Synced with {folder}: wrote {theirs} (2 facts, {size}).",
            (f"wrote    {theirs} (2 facts, {size})",),
            summary_at="none",
        )
        merged = sync_lines(lib.sync(folder), folder)
        assert merged.printed() == [
            f"merged   {theirs}: 2 facts received",
            "wrote    nothing: the hub holds everything this library has",
        ]
        assert merged.summary == (
            f"Synced with {folder}: merged {theirs}: 2 facts received;"
            " wrote nothing: the hub holds everything this library has."
        )
        broken_peer = folder / "x-broken.gloss"  # named to sort after the device's hex name
        broken_peer.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
        skipped = sync_lines(lib.sync(folder), folder)
        again = sync_lines(lib.sync(folder), folder)  # not read again, named again
    broken = "x-broken.gloss: damaged or truncated (file is not a database)"
    assert skipped.printed() == [
        f"skipped  {broken}",
        "wrote    nothing: the hub holds everything this library has",
    ]
    assert skipped.summary == (
        f"Synced with {folder}: skipped {broken};"
        " wrote nothing: the hub holds everything this library has."
    )
    assert (skipped.exit_code, skipped.severity) == (1, "warning")
    assert again.printed()[0] == f"skipped  {broken} (unchanged since)"
    assert again.exit_code == 1


def test_refresh(fresh_lib: Library, site: str, no_model: None) -> None:  # noqa: F811
    assert refresh_lines(fresh_lib.feeds.refresh()) == Lines(
        "Feeds", "no feeds to refresh: add one with `gloss feed add URL`"
    )
    gazette, _ = feeds.add_feed(fresh_lib.handle, f"{site}/rss.xml", title="Harbour Gazette")
    gone, _ = feeds.add_feed(fresh_lib.handle, f"{site}/gone.xml", title="Gone [b]Away[/b]")
    failed = f"{gone.id[:8]}  Gone [b]Away[/b]: failed: HTTP 404 File not found"
    assert refresh_lines(fresh_lib.feeds.refresh()) == Lines(
        "Feeds",
        "3 new articles, 0 already present, 1 feeds failed",
        (failed, f"{gazette.id[:8]}  Harbour Gazette: 3 new, 0 already present"),  # by title
        warnings=(NO_MODEL,),
        errors=(failed,),
        exit_code=1,
        severity="warning",
    )


def test_opml(fresh_lib: Library, tmp_path: Path) -> None:
    opml = (ROOT / "tests/fixtures/feeds/subscriptions.opml").read_text(encoding="utf-8")
    path = tmp_path / "subscriptions.opml"
    path.write_text(opml.replace("{{BASE}}", "https://feeds.example"), encoding="utf-8")
    gopher = (
        "gopher://example.org/feed: only http and https URLs can be fetched, not gopher: URLs"
        " ('gopher://example.org/feed')"
    )
    assert opml_lines(fresh_lib.feeds.import_opml(path)) == Lines(
        "Feeds",
        "3 subscribed, 0 already subscribed, 1 skipped",
        (
            "subscribed   72536388  City Desk Briefs  https://feeds.example/summaries.xml",
            "subscribed   2da2b5ed  Harbour Gazette  https://feeds.example/rss.xml",
            "subscribed   4a4fb15a  Mountain Weather Desk  https://feeds.example/atom.xml",
            f"skipped      {gopher}",
        ),
        errors=(gopher,),
        exit_code=1,
    )
    again = opml_lines(fresh_lib.feeds.import_opml(path))
    assert again.summary == "0 subscribed, 3 already subscribed, 1 skipped"


def test_annotations(fresh_lib: Library, tmp_path: Path, no_model: None) -> None:
    (tmp_path / "one.txt").write_text(STORY, encoding="utf-8")
    fresh_lib.import_paths([tmp_path / "one.txt"])
    aid = fresh_lib.resolve(STORY_ID)
    fresh_lib.add_note(aid, "first thought")
    path = tmp_path / "notes.json"
    path.write_text(json.dumps(fresh_lib.export.json([aid])), encoding="utf-8")
    assert annotation_lines(fresh_lib.import_annotations(path)).printed() == [
        "0 attached, 1 already present, 0 orphaned (quote not found), 0 for articles not in"
        " the library, 0 rejected"
    ]
    path.write_text(
        '[{"type": "Annotation", "id": "urn:x:1", "bodyValue": "nice", "target": {"source":'
        ' "https://news.example.com/x", "selector": [{"type": "TextPositionSelector",'
        ' "start": 0, "end": 3}]}}]',
        encoding="utf-8",
    )
    why = "annotation: a TextPositionSelector without a TextQuoteSelector cannot be anchored"
    assert annotation_lines(fresh_lib.import_annotations(path)) == Lines(
        "Annotations",
        "0 attached, 0 already present, 0 orphaned (quote not found), 0 for articles not in"
        " the library, 1 rejected",
        (f"  rejected: {why}",),
        errors=(why,),
        exit_code=1,
        summary_at="start",
    )


def test_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.md").symlink_to(tmp_path / "elsewhere.md")
    why = f"{out}/b.md is a symbolic link; gloss never writes through one (remove it first)"
    lines = written_lines(write_folder(out, [("a", "# A\n"), ("b", "# B\n")]), out)
    assert lines.printed() == [f"wrote 1 files to {out}", f"  not written: {why}"]
    assert (lines.errors, lines.exit_code) == ((why,), 1)


async def test_the_cli_and_the_app_give_the_same_summary(
    gloss, tmp_path: Path, drop: Path, no_model: None
) -> None:
    code, out, err = gloss("import", str(drop), db=tmp_path / "cli.db")
    assert (code, err) == (1, f"gloss: warning: {NO_MODEL}\n")
    summary = out.splitlines()[-1]
    assert summary == "1 imported, 0 already present, 1 failed, 1 other files skipped"
    app = GlossApp(tmp_path / "app.db", [drop])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, rounds=10)
        shown = [(n.title, n.message, n.severity, n.markup) for n in app._notifications]
    assert ("Import", summary, "information", False) in shown, shown
    assert ("", NO_MODEL, "warning", False) in shown, shown
    assert ("", f"{drop}/[b]empty[-b].txt: empty file", "error", False) in shown, shown


async def test_the_cli_and_the_app_give_the_same_refresh_summary(
    gloss,
    tmp_path: Path,
    site: str,  # noqa: F811
    no_model: None,
) -> None:
    for name in ("cli.db", "app.db"):
        with Library.open(tmp_path / name) as lib:
            feeds.add_feed(lib.handle, f"{site}/rss.xml", title="Harbour Gazette")
    code, out, _ = gloss("refresh", db=tmp_path / "cli.db")
    assert (code, out.splitlines()[-1]) == (0, "3 new articles, 0 already present, 0 feeds failed")
    app = GlossApp(tmp_path / "app.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot, rounds=10)
        shown = [(n.title, n.message, n.markup) for n in app._notifications if n.title == "Feeds"]
    assert shown == [("Feeds", out.splitlines()[-1], False)]


def test_the_formatter_loads_no_textual_rich_or_click() -> None:
    script = (
        "import sys, tui.reports\n"
        "print([n for n in ('textual', 'rich', 'click') if n in sys.modules])\n"
    )
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert (r.returncode, r.stdout, r.stderr) == (0, "[]\n", "")
