"""Shared fixtures: real library files in tmp_path, the real spaCy model loaded once."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Library
from store.ingest import entities

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "articles"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE = ARTICLES / "000_246f3351ffaac2ed.txt"


@pytest.fixture(autouse=True)
def own_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test has its own (absent) config file and state file, never the user's."""
    monkeypatch.setenv("GLOSS_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("GLOSS_STATE", str(tmp_path / "state" / "state.json"))
    return tmp_path / "config" / "config.toml"


@pytest.fixture(scope="session")
def analyzer() -> entities.Analyzer:
    """The real model, loaded once per test session."""
    found, why = entities.analyzer()
    assert found is not None, why
    return found


@pytest.fixture
def fresh_lib(tmp_path: Path) -> Iterator[Library]:
    lib = Library.open(tmp_path / "library.db")
    yield lib
    lib.close()


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory: pytest.TempPathFactory, analyzer: entities.Analyzer) -> Path:
    """A library with articles/ imported once, checkpointed so the file can be copied."""
    path = tmp_path_factory.mktemp("template") / "library.db"
    with Library.open(path) as lib:
        report = lib.import_paths([ARTICLES])
        assert report.count("imported") == len(list(ARTICLES.iterdir()))
        lib.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def lib(sample_library: Path, tmp_path: Path) -> Iterator[Library]:
    """A private copy of the sample library."""
    path = tmp_path / "library.db"
    shutil.copy(sample_library, path)
    with Library.open(path) as opened:
        yield opened


@pytest.fixture
def sample_id(lib: Library) -> str:
    return lib.resolve("6055eddc")


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run with analysis switched off (GLOSS_MODEL=none), keeping the loaded model for later."""
    saved = entities._cached
    monkeypatch.setenv("GLOSS_MODEL", "none")
    entities.reset()
    yield
    entities._cached = saved


@pytest.fixture
def gloss(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path: Path):
    """Run the `gloss` CLI in-process: gloss("list", "--json") -> (exit code, stdout, stderr)."""
    from tui.cli import main

    def run(*args: str, db: Path | None = None) -> tuple[int, str, str]:
        monkeypatch.setenv("GLOSS_DB", str(db or tmp_path / "library.db"))
        monkeypatch.setattr(sys, "argv", ["gloss", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
