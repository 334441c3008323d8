"""Fixtures for the TUI tests: real library files, the real model loaded once per session.

The sample articles are imported once into a template library (with spaCy), whose file is
copied for each test. Import dates are pinned so list order and snapshots are stable.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerFailed

from store import Library
from store.ingest import entities
from store.ingest.importer import legacy_id
from store.sync.folder import SyncReport, check_device

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "articles"
MARKUP_TITLE = "Markup [bold]in[/bold] a title"
MARKUP_BODY = (
    "This line has [bold]bold markup[/bold] and a closing [/foo] tag.\n\n"
    "Here is [link=http://x]a link[/link] and [red on white]colour[/] markup.\n\n"
    "An escape sequence \x1b[31mwas here\x1b[0m and a hyperlink \x1b]8;;http://evil\x07too.\n"
)
EMPTY_ID = "e" * 32


def _checkpoint(lib: Library) -> None:
    lib.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def pin_import_dates(lib: Library) -> None:
    """Give every article a fixed import time, so order and snapshots are stable: in the order
    of their texts' hashes (the order of the ids before ids hashed the title too)."""
    rows = lib.conn.execute("SELECT id, text FROM articles").fetchall()
    ids = [aid for aid, _ in sorted(rows, key=lambda r: legacy_id(r[1]))]
    with lib.write() as conn:
        for i, aid in enumerate(ids):
            stamp = f"2026-01-{i + 1:02d}T09:00:00.000+00:00"
            conn.execute("UPDATE articles SET imported_at = ? WHERE id = ?", (stamp, aid))


@contextmanager
def no_model() -> Iterator[None]:
    """Import without spaCy (GLOSS_MODEL=none), keeping a loaded model for later tests."""
    saved = entities._cached
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GLOSS_MODEL", "none")
        entities.reset()
        try:
            yield
        finally:
            entities._cached = saved


@pytest.fixture(scope="session")
def tui_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample articles imported with the real model, once per session."""
    path = tmp_path_factory.mktemp("tui-template") / "lib.db"
    with Library.open(path) as lib:
        report = lib.import_paths([ARTICLES])
        assert report.count("imported") == 5, report.to_json()
        assert not report.warnings, report.warnings
        pin_import_dates(lib)
        _checkpoint(lib)
    return path


@pytest.fixture
def lib_path(tui_template: Path, tmp_path: Path) -> Path:
    """A private copy of the sample library."""
    path = tmp_path / "lib.db"
    shutil.copy(tui_template, path)
    return path


@contextmanager
def opened(path: Path) -> Iterator[Library]:
    """The library at `path`, opened afresh (to check what the app saved)."""
    lib = Library.open(path)
    try:
        yield lib
    finally:
        lib.close()


def insert_articles(lib: Library, count: int, start: int = 0) -> None:
    """Test-only: insert `count` bare articles with plain SQL (no parsing, no model)."""
    structure = json.dumps({"sections": [], "paragraphs": [[0, 20]]})
    rows = [
        (f"{i:032x}", f"Generated article {i:05d}", "Test Byline", None, None,
         "2025-01-01T00:00:00.000+00:00", "Generated body text.", structure)
        for i in range(start, start + count)
    ]  # fmt: skip
    with lib.write() as conn:
        conn.executemany(
            "INSERT INTO articles (id, title, byline, source, published, imported_at, text,"
            " structure) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO article_state (article) SELECT key FROM articles WHERE id = ?",
            [(r[0],) for r in rows],
        )


@pytest.fixture(scope="session")
def big_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tui-big") / "lib.db"
    with Library.open(path) as lib:
        insert_articles(lib, 20_000)
        _checkpoint(lib)
    return path


@pytest.fixture
def big_path(big_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "big.db"
    shutil.copy(big_template, path)
    return path


def write_hostile_files(folder: Path) -> None:
    """Articles meant to break a renderer: markup, escapes, 300 KB, no paragraphs."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "markup.txt").write_text(MARKUP_TITLE + "\n\n" + MARKUP_BODY, encoding="utf-8")
    paragraph = "This sentence repeats to make a long article. " * 20
    body = "\n\n".join(f"{paragraph}Paragraph {i}." for i in range(330))
    (folder / "huge.txt").write_text("A Very Long Article\n\n" + body + "\n", encoding="utf-8")
    (folder / "heading_only.md").write_text(
        "---\ntitle: Headings But No Paragraphs\n---\n\n## Only a heading\n", encoding="utf-8"
    )


@pytest.fixture(scope="session")
def hostile_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hostile articles imported without a model, plus a title-only article (empty text)."""
    base = tmp_path_factory.mktemp("tui-hostile")
    write_hostile_files(base / "files")
    path = base / "lib.db"
    with no_model(), Library.open(path) as lib:
        report = lib.import_paths([base / "files"])
        assert report.count("imported") == 3, report.to_json()
        structure = json.dumps({"sections": [], "paragraphs": []})
        with lib.write() as conn:
            conn.execute(
                "INSERT INTO articles (id, title, byline, source, published, imported_at,"
                " text, structure) VALUES (?, 'Title Only', NULL, NULL, NULL, ?, '', ?)",
                (EMPTY_ID, "2024-01-01T00:00:00.000+00:00", structure),
            )
            conn.execute(
                "INSERT INTO article_state (article) SELECT key FROM articles WHERE id = ?",
                (EMPTY_ID,),
            )
        _checkpoint(lib)
    return path


@pytest.fixture
def hostile_path(hostile_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "hostile.db"
    shutil.copy(hostile_template, path)
    return path


async def settle(pilot: Pilot, rounds: int = 6) -> None:
    """Let workers finish and their messages be handled (and the workers those start)."""
    for _ in range(rounds):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerFailed:
            pass  # the app reports it as a notification; tests check that
        await pilot.pause()


def screen_text(pilot: Pilot) -> str:
    """Everything on the screen (the top one, modals included) as plain text."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def fork(template: Path, dest: Path) -> Library:
    """A copy of a library that is a device of its own (as on a second machine)."""
    shutil.copy(template, dest)
    lib = Library.open(dest)
    check_device(lib.handle, SyncReport())
    return lib


def make_conflict(
    lib_path: Path, template: Path, folder: Path, article_id: str, quote: str
) -> tuple[str, tuple[str, ...]]:
    """Edit one note on two devices while offline, then sync them through `folder`: the
    library at `lib_path` ends with the note in conflict. Returns (note id, versions)."""
    folder.mkdir(exist_ok=True)
    here = Library.open(lib_path)
    check_device(here.handle, SyncReport())
    laptop = fork(template, folder.parent / "laptop.db")
    try:
        start, end = here.find_quote(article_id, quote)
        note = here.add_note(article_id, "first thought", start, end)
        here.sync(folder)
        laptop.sync(folder)
        here.edit_note(note.id, "Written here: the vote was not unanimous.")
        laptop.edit_note(note.id, "Written on the laptop: [bold]check[/bold] the minutes.")
        laptop.sync(folder)
        here.sync(folder)
        merged = here.note(note.id)
        assert merged.conflict and len(merged.versions) == 2, merged
        _checkpoint(here)
        return note.id, merged.versions
    finally:
        here.close()
        laptop.close()
