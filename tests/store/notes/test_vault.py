"""A vault kept true: re-export updates gloss's files in place, keeps the user's section
below the marker, renames and removes only files gloss wrote, and leaves a hostile vault's
other files as they are."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from store import Library
from store.notes import export as ex
from store.notes.vault import MARKER, export_vault

CRANES = """---
title: Harbour Cranes Return
author: Ana Ruiz
date: 2026-03-01
url: https://news.example.com/cranes
tags: [local, world/europe]
---

The cranes at the harbour in Lisbon were repaired after a long winter of delays.

## What changes

Dock workers said the new cranes would double the number of ships unloaded each day.
"""

FRONT = """---
title: Harbour Cranes Return
byline: Ana Ruiz
date: '2026-03-01'
source: https://news.example.com/cranes
tags:
- local
- world/europe
gloss_id: {aid}
---

# Harbour Cranes Return
"""

NOTES = """
## Highlights and notes

> a long winter of delays

Which winter?

> double the number of ships
"""

TAIL = "\n<!-- gloss: your notes below this line are kept -->\n"
MINE = "## My thoughts\n\nCompare with Rotterdam.\n"


@pytest.fixture
def cranes(fresh_lib: Library, tmp_path: Path, no_model) -> tuple[Library, str]:
    src = tmp_path / "cranes.md"
    src.write_text(CRANES)
    aid = fresh_lib.import_paths([src]).results[0].article_id
    assert aid
    fresh_lib.add_note(aid, "Which winter?", *fresh_lib.find_quote(aid, "a long winter of delays"))
    fresh_lib.highlight(aid, *fresh_lib.find_quote(aid, "double the number of ships"))
    return fresh_lib, aid


def name_of(aid: str) -> str:
    return f"harbour-cranes-return-{aid[:8]}.md"


def counts(report) -> tuple[int, ...]:
    return tuple(report.counts().values())


def test_fresh_vault_file(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    report = lib.export.vault(vault, [aid])
    path = vault / name_of(aid)
    assert report.written == [path] and counts(report) == (1, 0, 0, 0, 0, 0, 0)
    assert path.read_text() == FRONT.format(aid=aid) + NOTES + TAIL
    assert MARKER in TAIL


def test_unchanged_file_is_not_rewritten(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    lib.export.vault(vault, [aid])
    path = vault / name_of(aid)
    with path.open("a") as f:
        f.write(MINE)
    os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    report = lib.export.vault(vault, [aid])
    assert report.unchanged == [path] and counts(report) == (0, 0, 1, 0, 0, 0, 0)
    assert path.stat().st_mtime_ns == 1_000_000_000_000_000_000
    assert path.read_text() == FRONT.format(aid=aid) + NOTES + TAIL + MINE


def test_changed_note_and_deleted_highlight_update_in_place(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    lib.export.vault(vault, [aid])
    path = vault / name_of(aid)
    with path.open("a") as f:
        f.write(MINE)
    note, highlight = sorted(lib.notes(aid), key=lambda n: n.anchor.start)  # type: ignore[union-attr]
    lib.edit_note(note.id, "Which winter? The one of 2025.")
    lib.delete_note(highlight.id)
    report = lib.export.vault(vault, [aid])
    assert report.updated == [path] and counts(report) == (0, 1, 0, 0, 0, 0, 0)
    edited = (
        "\n## Highlights and notes\n\n> a long winter of delays\n\nWhich winter? The one of 2025.\n"
    )
    assert path.read_text() == FRONT.format(aid=aid) + edited + TAIL + MINE
    assert sorted(os.listdir(vault)) == [name_of(aid)]  # no temp file left


def test_article_without_annotations_loses_its_file(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    lib.export.vault(vault, [aid])
    for n in lib.notes(aid):
        lib.delete_note(n.id)
    ids = lib.export.select(within=ex.Filter(annotated=True))
    assert ids == []
    report = lib.export.vault(vault, ids)
    assert report.removed == [vault / name_of(aid)] and counts(report) == (0, 0, 0, 0, 1, 0, 0)
    assert os.listdir(vault) == []


@pytest.mark.parametrize(
    "mine, kept", [(MINE, True), ("\n  \n\t\n", False), ("", False)], ids=["text", "blank", "none"]
)
def test_file_left_the_selection(cranes, tmp_path: Path, mine: str, kept: bool) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    lib.export.vault(vault, [aid])
    path = vault / name_of(aid)
    with path.open("a") as f:
        f.write(mine)
    report = lib.export.vault(vault, [])
    if kept:
        assert report.kept == [f"{path}: kept: has your text"] and report.removed == []
        assert path.read_text() == FRONT.format(aid=aid) + NOTES + TAIL + MINE
    else:
        assert report.removed == [path] and report.kept == []
        assert not path.exists()


def test_new_version_with_a_new_title_renames_the_file(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    lib.export.vault(vault, [aid])
    old = vault / name_of(aid)
    with old.open("a") as f:
        f.write(MINE)
    src = tmp_path / "cranes.md"
    src.write_text(CRANES.replace("Harbour Cranes Return", "Cranes Back at the Harbour"))
    new_id = lib.import_paths([src]).results[0].article_id
    assert new_id and new_id != aid
    report = lib.export.vault(vault, [new_id])
    new = vault / f"cranes-back-at-the-harbour-{new_id[:8]}.md"
    assert report.renamed == [(old, new)] and counts(report) == (0, 0, 0, 1, 0, 0, 0)
    assert os.listdir(vault) == [new.name]
    front = FRONT.format(aid=new_id).replace("Harbour Cranes Return", "Cranes Back at the Harbour")
    assert new.read_text() == front + NOTES + TAIL + MINE


def test_a_file_named_for_an_older_title_is_renamed(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    vault.mkdir()
    old = vault / f"harbour-cranes-{aid[:8]}.md"
    text = FRONT.format(aid=aid).replace("title: Harbour Cranes Return", "title: Harbour Cranes")
    old.write_text(text + TAIL + MINE)
    report = lib.export.vault(vault, [aid])
    assert report.renamed == [(old, vault / name_of(aid))]
    assert (vault / name_of(aid)).read_text() == FRONT.format(aid=aid) + NOTES + TAIL + MINE
    assert not old.exists()


def test_the_users_section_is_kept_byte_for_byte(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    lib.export.vault(vault, [aid])
    path = vault / name_of(aid)
    mine = (
        b"CRLF line\r\n\xff not UTF-8\n---\ntitle: not front matter\n---\n"
        + MARKER.encode() + b"\n# a second marker is the user's text\ntrailing   \n\n\nno newline"
    )  # fmt: skip
    path.write_bytes(path.read_bytes() + mine)
    lib.add_note(aid, "A new note.")
    assert lib.export.vault(vault, [aid]).updated == [path]
    assert (
        path.read_bytes()
        == (
            FRONT.format(aid=aid) + NOTES + "\n## Notes on the article\n\nA new note.\n" + TAIL
        ).encode()
        + mine
    )


def test_an_older_export_without_the_marker_gets_it(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    vault.mkdir()
    path = vault / name_of(aid)
    path.write_text(ex.to_markdown(lib.get_article(aid)))
    report = lib.export.vault(vault, [aid])
    assert report.updated == [path]
    assert path.read_text() == FRONT.format(aid=aid) + NOTES + TAIL


def test_an_older_export_of_an_unselected_article_goes(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    vault.mkdir()
    path = vault / name_of(aid)
    path.write_text(ex.to_markdown(lib.get_article(aid)))
    assert lib.export.vault(vault, []).removed == [path]


def test_multi_line_notes_and_quotes_keep_their_breaks(fresh_lib: Library, tmp_path: Path,
                                                       no_model) -> None:  # fmt: skip
    src = tmp_path / "poem.md"
    src.write_text(
        "---\ntitle: Poem\nurl: https://example.com/poem\n---\n\n"
        "First line of it.\n\nSecond   paragraph here.\n"
    )
    lib = fresh_lib
    aid = lib.import_paths([src]).results[0].article_id
    assert aid
    start, _ = lib.find_quote(aid, "line of it.")
    _, end = lib.find_quote(aid, "Second   paragraph")
    lib.add_note(aid, "One\ntwo\n\nThree\n```\ncode\nkept\n```\nend", start, end)
    lib.add_note(aid, f"Before\n{MARKER}\nafter")
    vault = tmp_path / "vault"
    lib.export.vault(vault, [aid])
    path = vault / f"poem-{aid[:8]}.md"
    assert path.read_text() == (
        f"---\ntitle: Poem\nsource: https://example.com/poem\ngloss_id: {aid}\n---\n\n"
        "# Poem\n\n## Highlights and notes\n\n"
        "> line of it.\n>\n> Second paragraph\n\n"
        "One  \ntwo\n\nThree  \n```\ncode\nkept\n```\nend\n\n"
        f"## Notes on the article\n\nBefore  \n\\{MARKER}  \nafter\n" + TAIL
    )
    with path.open("a") as f:
        f.write(MINE)
    assert lib.export.vault(vault, [aid]).unchanged == [path]  # the escaped line is not it
    assert path.read_text().endswith(TAIL + MINE)


# -- a hostile vault ------------------------------------------------------------------------

FORGED = "0123abcd" + "0" * 24


def front(title: str, gloss_id: str) -> str:
    return f"---\ntitle: {title}\ngloss_id: {gloss_id}\n---\n\n# {title}\n"


def snapshot(folder: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for p in sorted(folder.iterdir()):
        if p.is_symlink():
            out[p.name] = "-> " + os.readlink(p)
        elif p.is_file():
            out[p.name] = p.read_bytes()
        else:
            out[p.name] = "dir" if p.is_dir() else "other"
    return out


def test_files_gloss_did_not_write_are_never_touched(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / f"forged-{FORGED[:8]}.md").write_text(front("Forged", FORGED) + TAIL)
    (vault / "my-thoughts.md").write_text(front("My thoughts", aid) + TAIL)
    copy = front("Harbour Cranes Return", aid) + TAIL
    (vault / f"harbour-cranes-return-{aid[:8]} 1.md").write_text(copy)  # Obsidian's copy
    (vault / f"harbour-cranes-return-{aid[:8]}.sync-conflict-20260301-101010-ABC.md").write_text(
        copy
    )
    (vault / f"copy-{aid[:8]}.md").write_text(copy)  # gloss's shape, not the name it gives
    (vault / "notes.txt").write_text("mine")
    (vault / "sub").mkdir()
    (vault / "sub" / name_of(aid)).write_text(copy)  # gloss only looks at the vault itself
    before = snapshot(vault)
    assert counts(lib.export.vault(vault, [aid])) == (1, 0, 0, 0, 0, 0, 0)
    assert (vault / name_of(aid)).read_text() == FRONT.format(aid=aid) + NOTES + TAIL
    assert counts(lib.export.vault(vault, [])) == (0, 0, 0, 0, 1, 0, 0)
    assert snapshot(vault) == before
    assert (vault / "sub" / name_of(aid)).read_text() == copy


@pytest.mark.parametrize(
    "content",
    [
        "# My own note under gloss's name\n",
        "---\ntitle: Something else\ngloss_id: {aid}\n---\n",  # the name is not for this title
        "---\ntitle: [unclosed\ngloss_id: {aid}\n---\n",
        "---\n" + "title: " + "[" * 5000 + "\n---\n",
        "---\n- title\n- {aid}\n---\n",
        "---\ntitle: Harbour Cranes Return\ngloss_id: {aid}\n",  # front matter never closes
        "---\ntitle: Harbour Cranes Return\ngloss_id: {aid}x\n---\n",
        "---\ntitle: Harbour Cranes Return\ngloss_id: 12\n---\n",
        "---\r\ntitle: Harbour Cranes Return\r\ngloss_id: {aid}\r\n---\r\n",
    ],
    ids=["no-front-matter", "other-title", "broken-yaml", "deep", "list", "unclosed", "bad-id",
         "int-id", "crlf"],
)  # fmt: skip
def test_a_foreign_file_under_gloss_s_name_is_refused(cranes, tmp_path: Path, content) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    vault.mkdir()
    path = vault / name_of(aid)
    path.write_text(content.format(aid=aid) + TAIL)
    before = snapshot(vault)
    report = lib.export.vault(vault, [aid])
    assert report.refused == [
        f"{path} exists and is not a file gloss wrote (no gloss front matter); left as it is"
    ]
    assert counts(report) == (0, 0, 0, 0, 0, 0, 1)
    assert snapshot(vault) == before
    assert lib.export.vault(vault, []).removed == [] and snapshot(vault) == before


def test_symlinks_are_never_followed_or_removed(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    outside = tmp_path / "outside.md"
    outside.write_text(front("Harbour Cranes Return", aid) + TAIL)
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / name_of(aid)).symlink_to(outside)
    (vault / f"forged-{FORGED[:8]}.md").symlink_to(tmp_path / "nowhere")
    before = snapshot(vault)
    report = lib.export.vault(vault, [aid])
    assert report.refused == [
        f"{vault / name_of(aid)} is a symbolic link; gloss never writes through one "
        "(remove it first)"
    ]
    assert lib.export.vault(vault, []).counts()["removed"] == 0
    assert snapshot(vault) == before
    assert outside.read_text() == front("Harbour Cranes Return", aid) + TAIL


def test_a_folder_or_fifo_under_gloss_s_name_is_refused(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / name_of(aid)).mkdir()
    os.mkfifo(vault / f"forged-{FORGED[:8]}.md")  # a plain open of it would wait forever
    report = lib.export.vault(vault, [aid])
    assert report.refused == [f"{vault / name_of(aid)} exists and is not a regular file"]
    assert (vault / name_of(aid)).is_dir() and os.listdir(vault / name_of(aid)) == []
    assert sorted(os.listdir(vault)) == [f"forged-{FORGED[:8]}.md", name_of(aid)]


def test_a_file_too_large_to_read_is_left_as_it_is(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    lib.export.vault(vault, [aid])
    path = vault / name_of(aid)
    with path.open("a") as f:
        f.write("x" * 3000)
    before = snapshot(vault)
    report = export_vault(lib.handle, vault, [aid], file_bytes=2000)
    assert report.refused == [f"{path}: larger than 2,000 bytes; left as it is"]
    report = export_vault(lib.handle, vault, [], file_bytes=2000)
    assert report.kept == [f"{path}: kept: larger than 2,000 bytes"]
    assert snapshot(vault) == before


def test_a_huge_sparse_file_is_not_read(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    vault.mkdir()
    path = vault / name_of(aid)
    with path.open("wb") as f:
        f.write((front("Harbour Cranes Return", aid) + TAIL).encode())
        f.truncate(64 * 1024 * 1024)  # a hole: nothing is written to disk
    report = lib.export.vault(vault, [aid])
    assert report.refused == [f"{path}: larger than 4,194,304 bytes; left as it is"]
    assert path.stat().st_size == 64 * 1024 * 1024


def test_front_matter_must_end_within_the_head(cranes, tmp_path: Path) -> None:
    lib, aid = cranes
    vault = tmp_path / "vault"
    lib.export.vault(vault, [aid])
    path = vault / name_of(aid)
    before = path.read_bytes()
    report = export_vault(lib.handle, vault, [], head_bytes=100)
    assert counts(report) == (0, 0, 0, 0, 0, 0, 0) and path.read_bytes() == before


# -- through the command --------------------------------------------------------------------

TRAM = "---\ntitle: Night Trams\nurl: https://news.example.com/trams\n---\n\nTrams run all night.\n"


def test_cli_round_trip(gloss, tmp_path: Path, no_model) -> None:
    """Import, annotate, export the vault, write in it, edit a note, export again."""
    (tmp_path / "cranes.md").write_text(CRANES)
    (tmp_path / "trams.md").write_text(TRAM)
    assert gloss("import", str(tmp_path / "cranes.md"), str(tmp_path / "trams.md"))[0] == 0
    [aid] = [a["id"] for a in json.loads(gloss("list", "--json")[1]) if a["title"][0] == "H"]
    code, out, _ = gloss("note", aid, "Which winter?", "--quote", "a long winter of delays",
                         "--json")  # fmt: skip
    note_id = json.loads(out)["id"]
    gloss("highlight", aid, "--quote", "double the number of ships")
    vault = tmp_path / "vault"
    code, out, err = gloss("export", "-o", str(vault))
    assert (code, out) == (0, f"{vault}: {SUMMARY.format(1, 0, 0, 0, 0, 0, 0)}\n")
    path = vault / name_of(aid)
    assert os.listdir(vault) == [path.name]  # the article without notes has no file
    with path.open("a") as f:
        f.write(MINE)
    assert gloss("edit-note", note_id, "Which winter?\nThe one of 2025.")[0] == 0
    code, out, _ = gloss("export", "-o", str(vault))
    assert (code, out) == (0, f"{vault}: {SUMMARY.format(0, 1, 0, 0, 0, 0, 0)}\n")
    assert (
        path.read_text()
        == FRONT.format(aid=aid)
        + (
            "\n## Highlights and notes\n\n> a long winter of delays\n\n"
            "Which winter?  \nThe one of 2025.\n\n> double the number of ships\n"
        )
        + TAIL
        + MINE
    )
    code, out, _ = gloss("export", "-o", str(vault))
    assert out == f"{vault}: {SUMMARY.format(0, 0, 1, 0, 0, 0, 0)}\n"


SUMMARY = "{} written, {} updated, {} unchanged, {} renamed, {} removed, {} kept, {} refused"


def test_cli_all_and_the_report(gloss, tmp_path: Path, no_model) -> None:
    (tmp_path / "cranes.md").write_text(CRANES)
    (tmp_path / "trams.md").write_text(TRAM)
    gloss("import", str(tmp_path / "cranes.md"), str(tmp_path / "trams.md"))
    ids = {a["title"]: a["id"] for a in json.loads(gloss("list", "--json")[1])}
    aid, tram = ids["Harbour Cranes Return"], ids["Night Trams"]
    gloss("note", aid, "Which winter?", "--quote", "a long winter of delays")
    vault = tmp_path / "vault"
    code, out, _ = gloss("export", "--all", "-o", str(vault))
    assert (code, out) == (0, f"{vault}: {SUMMARY.format(2, 0, 0, 0, 0, 0, 0)}\n")
    trams = vault / f"night-trams-{tram[:8]}.md"
    assert trams.read_text() == (
        f"---\ntitle: Night Trams\nsource: https://news.example.com/trams\ngloss_id: {tram}\n"
        "---\n\n# Night Trams\n" + TAIL
    )
    cranes = vault / name_of(aid)
    with cranes.open("a") as f:
        f.write(MINE)
    (vault / "planted.md").write_text("mine")
    code, out, _ = gloss("export", "-o", str(vault), "--tag", "nothing")
    assert (code, out) == (0, (
        f"{vault}: {SUMMARY.format(0, 0, 0, 0, 1, 1, 0)}\n"
        f"  removed: {trams}\n"
        f"  {cranes}: kept: has your text\n"
    ))  # fmt: skip
    cranes.unlink()
    cranes.mkdir()
    code, out, _ = gloss("export", "-o", str(vault))
    assert (code, out) == (1, (
        f"{vault}: {SUMMARY.format(0, 0, 0, 0, 0, 0, 1)}\n"
        f"  not written: {cranes} exists and is not a regular file\n"
    ))  # fmt: skip
    assert (vault / "planted.md").read_text() == "mine"


def test_cli_single_file_export_keeps_every_article(gloss, tmp_path: Path, no_model) -> None:
    (tmp_path / "cranes.md").write_text(CRANES)
    (tmp_path / "trams.md").write_text(TRAM)
    gloss("import", str(tmp_path / "cranes.md"), str(tmp_path / "trams.md"))
    [aid] = [a["id"] for a in json.loads(gloss("list", "--json")[1]) if a["title"][0] == "H"]
    gloss("note", aid, "Which winter?", "--quote", "a long winter of delays")
    out = gloss("export")[1]
    assert "# Night Trams\n" in out and "# Harbour Cranes Return\n" in out and MARKER not in out
    out = gloss("export", "--only-annotated")[1]
    assert "# Night Trams\n" not in out and "# Harbour Cranes Return\n" in out
    assert gloss("export", "-o", str(tmp_path / "notes.md"))[0] == 0
    assert "# Night Trams\n" in (tmp_path / "notes.md").read_text()
