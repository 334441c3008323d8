"""Export safety: no cell a spreadsheet runs, no write through a symlink, readable names,
and every failure to write is one line naming the path."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from store import Library
from store.core.errors import InvalidInput
from store.notes import export as ex

HOSTILE = """---
title: "!!! ???"
url: '=HYPERLINK("http://evil.test","click")'
tags: ["+cmd -1+1", local]
---

The cranes at the harbour in Lisbon were repaired after a long winter of delays.
"""
NOT_THROUGH = "is a symbolic link; gloss never writes through one (remove it first)"


@pytest.fixture
def hostile(fresh_lib: Library, tmp_path: Path, no_model) -> tuple[Library, str]:
    src = tmp_path / "hostile.md"
    src.write_text(HOSTILE)
    aid = fresh_lib.import_paths([src]).results[0].article_id
    assert aid
    fresh_lib.add_note(aid, "@channel look", *fresh_lib.find_quote(aid, "a long winter"))
    fresh_lib.add_note(aid, "-1+1")
    return fresh_lib, aid


def test_every_csv_cell_is_guarded(hostile) -> None:
    lib, aid = hostile
    rows = list(csv.DictReader(io.StringIO(lib.export.csv([aid]))))
    assert [(r["source"], r["tags"]) for r in rows] == [
        ('\'=HYPERLINK("http://evil.test","click")', "'+cmd-1+1 local")
    ] * 2
    assert sorted(r["body"] for r in rows) == ["'-1+1", "'@channel look"]
    assert [r["title"] for r in rows] == ["!!! ???"] * 2  # nothing to guard: left as it is


@pytest.mark.parametrize(
    "value, shown",
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("a=1", "a=1"), ("", ""), (0, 0)],
)  # fmt: skip
def test_cell_guard(value: object, shown: object) -> None:
    assert ex._cell(value) == shown


def test_punctuation_title_gets_a_readable_file_name(hostile) -> None:
    lib, aid = hostile
    assert ex.slug(lib.get_article(aid)) == f"article-{aid[:8]}"


def test_folder_export_never_writes_through_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "planted.md").symlink_to(outside)
    done = ex.write_folder(vault, [("planted", "evil\n"), ("other", "fine\n")])
    assert outside.read_text() == "precious"
    assert (vault / "planted.md").is_symlink()
    assert done.refused == [f"{vault / 'planted.md'} {NOT_THROUGH}"]
    assert done.files == [vault / "other.md"]
    assert (vault / "other.md").read_text() == "fine\n"
    assert sorted(p.name for p in vault.iterdir()) == ["other.md", "planted.md"]  # no temp


def test_folder_export_replaces_its_own_files(tmp_path: Path) -> None:
    vault = tmp_path / "new" / "vault"
    assert ex.write_folder(vault, [("a", "one\n")]).files == [vault / "a.md"]
    assert ex.write_folder(vault, [("a", "two\n")]).refused == []
    assert (vault / "a.md").read_text() == "two\n"


def test_single_file_export_never_writes_through_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    link = tmp_path / "notes.json"
    link.symlink_to(outside)
    with pytest.raises(InvalidInput) as err:
        ex.write_file(link, "{}")
    assert str(err.value) == f"{link} {NOT_THROUGH}"
    assert outside.read_text() == "precious"


def test_folder_export_onto_a_file_is_one_line(tmp_path: Path) -> None:
    existing = tmp_path / "notes"
    existing.write_text("keep")
    with pytest.raises(InvalidInput) as err:
        ex.write_folder(existing, [("a", "x")])
    assert str(err.value) == (
        f"cannot export to {existing}: it exists and is not a folder "
        "(name a folder, or a file ending in .md for a single file)"
    )
    assert existing.read_text() == "keep"
    under = existing / "vault"
    with pytest.raises(InvalidInput) as err:
        ex.write_folder(under, [("a", "x")])
    assert str(err.value) == f"cannot create the folder {under}: Not a directory"


def test_write_errors_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "notes.csv"
    with pytest.raises(InvalidInput) as err:
        ex.write_file(missing, "x")
    assert str(err.value) == f"cannot write {missing}: No such file or directory"
    folder = tmp_path / "folder.md"
    folder.mkdir()
    with pytest.raises(InvalidInput) as err:
        ex.write_file(folder, "x")
    assert str(err.value) == f"{folder} exists and is not a regular file"
    assert list(tmp_path.iterdir()) == [folder] and list(folder.iterdir()) == []


# Through the command: the export command writes with write_file / write_folder.


def test_cli_export_onto_an_existing_file_is_one_line(gloss, tmp_path: Path, hostile) -> None:
    existing = tmp_path / "notes"
    existing.write_text("keep")
    code, out, err = gloss("export", "--format", "markdown", "-o", str(existing))
    assert (code, out, existing.read_text()) == (1, "", "keep")
    assert err == (
        f"gloss: error: cannot export to {existing}: it exists and is not a folder "
        "(name a folder, or a file ending in .md for a single file)\n"
    )


def test_cli_vault_export_skips_a_planted_symlink(gloss, tmp_path: Path, no_model) -> None:
    src = tmp_path / "a.md"
    src.write_text(HOSTILE)
    gloss("import", str(src))
    [name] = [p.stem for p in _export_names(gloss, tmp_path / "probe")]
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / f"{name}.md").symlink_to(outside)
    code, out, err = gloss("export", "--all", "-o", str(vault))
    assert outside.read_text() == "precious"
    assert code == 1 and f"{vault / name}.md {NOT_THROUGH}" in out + err


def _export_names(gloss, folder: Path) -> list[Path]:
    assert gloss("export", "--all", "-o", str(folder))[0] == 0
    return sorted(folder.iterdir())
