"""A model named in GLOSS_MODEL that cannot be loaded is said, in one line, with the one used."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Library
from store.ingest import entities
from tests.conftest import SAMPLE

NOT_FOUND = "could not be loaded (not an installed package or a model folder)"


@pytest.fixture
def model_env(monkeypatch: pytest.MonkeyPatch, analyzer) -> Iterator[pytest.MonkeyPatch]:
    """Set GLOSS_MODEL in a test; the session's loaded model comes back afterwards."""
    saved = entities._cached
    entities.reset()
    yield monkeypatch
    entities._cached = saved


def test_unloadable_model_falls_back_with_a_notice(model_env, analyzer) -> None:
    model_env.setenv("GLOSS_MODEL", "/nonexistent")
    found, notice = entities.analyzer()
    assert found is not None and found.name == analyzer.name
    assert notice == f"GLOSS_MODEL=/nonexistent {NOT_FOUND}; using {analyzer.name} instead"


def test_unloadable_model_and_no_other(model_env) -> None:
    found, notice = entities.load(["/nonexistent", "no_such_model_xyz"], asked="/nonexistent")
    assert found is None
    assert notice == (
        f"GLOSS_MODEL=/nonexistent {NOT_FOUND}; no other spaCy model could be loaded "
        "(tried no_such_model_xyz): entity analysis is off"
    )
    found, notice = entities.load(["/tmp"], asked="/tmp")
    assert found is None
    assert notice == (
        "GLOSS_MODEL=/tmp could not be loaded (OSError: [E053] Could not read meta.json from "
        "/tmp); no other spaCy model could be loaded: entity analysis is off"
    )


def test_notices_for_the_usual_cases(model_env, analyzer) -> None:
    model_env.setenv("GLOSS_MODEL", analyzer.nlp.meta["lang"] + "_" + analyzer.nlp.meta["name"])
    assert entities.analyzer()[1] is None  # the model asked for is the one loaded: no notice
    entities.reset()
    model_env.setenv("GLOSS_MODEL", "none")
    assert entities.analyzer() == (None, "entity analysis is off (GLOSS_MODEL=none)")
    assert entities.load(["no_such_model_xyz"]) == (
        None,
        "no spaCy model could be loaded (tried no_such_model_xyz)",
    )


def test_import_report_carries_the_notice(model_env, analyzer, tmp_path: Path) -> None:
    model_env.setenv("GLOSS_MODEL", "/nonexistent")
    with Library.open(tmp_path / "library.db") as lib:
        report = lib.import_paths([SAMPLE])
    assert report.count("imported") == 1
    assert report.warnings == [
        f"GLOSS_MODEL=/nonexistent {NOT_FOUND}; using {analyzer.name} instead"
    ]


def test_reanalyze_with_a_fallback_model_warns_and_succeeds(model_env, analyzer, gloss) -> None:
    """`gloss reanalyze` analyses with the model used instead, says so on stderr, exits 0;
    only with no model at all does it fail."""
    model_env.setenv("GLOSS_MODEL", "none")
    entities.reset()
    assert gloss("import", str(SAMPLE))[0] == 0
    model_env.setenv("GLOSS_MODEL", "/nonexistent")
    entities.reset()
    code, out, err = gloss("reanalyze")
    assert code == 0
    assert out == "1 article analysed\n"
    assert (
        err
        == f"gloss: warning: GLOSS_MODEL=/nonexistent {NOT_FOUND}; using {analyzer.name} instead\n"
    )
    model_env.setenv("GLOSS_MODEL", "none")
    entities.reset()
    code, out, err = gloss("reanalyze", "--all")
    assert (code, out) == (1, "")
    assert err == "gloss: entity analysis is off (GLOSS_MODEL=none)\n"
