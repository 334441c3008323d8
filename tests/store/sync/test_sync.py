"""Sync with real library files: nothing a machine wrote is ever lost, bad peers change nothing."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from store import Library
from store.core import db, hlc
from store.sync.folder import SyncReport, check_device


def fork(template: Path, dest: Path) -> Library:
    """A copy of a library that has become a device of its own (as on a second machine)."""
    shutil.copy(template, dest)
    lib = Library.open(dest)
    check_device(lib.handle, SyncReport())
    return lib


def snapshot(lib: Library) -> tuple:
    notes = sorted(
        (n.id, n.body, n.anchor, n.conflict, tuple(sorted(n.versions))) for n in lib.notes()
    )
    arts = sorted((a.id, a.read, a.starred, a.tags, a.notes, a.highlights)
                  for a in lib.list_articles())  # fmt: skip
    return notes, arts


@pytest.fixture
def pair(sample_library: Path, tmp_path: Path):
    a = fork(sample_library, tmp_path / "a.db")
    b = fork(sample_library, tmp_path / "b.db")
    assert a.device_id != b.device_id
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "Sync"
    path.mkdir()
    return path


def quote(lib: Library, aid: str, text: str) -> tuple[int, int]:
    return lib.find_quote(aid, text)


@pytest.mark.parametrize("first", ["a", "b"])
def test_offline_edits_converge_in_either_order(pair, folder: Path, first: str) -> None:
    a, b = pair
    aid = a.resolve("6055")
    shared = a.add_note(aid, "shared thought", *quote(a, aid, "Samarkand"))
    a.sync(folder)
    b.sync(folder)
    assert b.note(shared.id).body == "shared thought"
    # offline: different notes, and the same note edited on both sides
    only_a = a.add_note(aid, "from a")
    only_b = b.highlight(aid, *quote(b, aid, "Mao Zedong"))
    a.edit_note(shared.id, "a's version")
    b.edit_note(shared.id, "b's version")
    x, y = (a, b) if first == "a" else (b, a)
    x.sync(folder)
    y.sync(folder)
    x.sync(folder)
    assert snapshot(a) == snapshot(b)
    assert {n.id for n in a.notes()} == {shared.id, only_a.id, only_b.id}
    [conflict] = a.notes(conflicts=True)
    assert conflict.id == shared.id
    assert sorted(conflict.versions) == ["a's version", "b's version"]
    assert a.search("has:conflict")[0].article_id == aid
    # resolving writes a revision whose parents are both heads; it syncs like any edit
    b.edit_note(shared.id, "merged version")
    b.sync(folder)
    a.sync(folder)
    assert a.note(shared.id).body == "merged version" and not a.note(shared.id).conflict
    assert snapshot(a) == snapshot(b)


def test_edit_concurrent_with_delete_keeps_the_edit(pair, folder: Path) -> None:
    a, b = pair
    aid = a.resolve("6055")
    n = a.add_note(aid, "original")
    a.sync(folder)
    b.sync(folder)
    a.delete_note(n.id)
    b.edit_note(n.id, "edited while a deleted it")
    a.sync(folder)
    b.sync(folder)
    a.sync(folder)
    assert a.note(n.id).body == b.note(n.id).body == "edited while a deleted it"
    assert snapshot(a) == snapshot(b)


def test_tags_and_reading_state(pair, folder: Path) -> None:
    a, b = pair
    aid = a.resolve("6055")
    other = a.resolve("339b")
    a.tag(aid, add=["politics", "world/asia"])
    a.sync(folder)
    b.sync(folder)
    b.tag(aid, remove=["politics"])  # removed on one side ...
    a.tag(aid, add=["summit"])  # ... added on the other
    a.set_read(aid)
    b.set_starred(other)
    b.sync(folder)
    a.sync(folder)
    b.sync(folder)
    assert a.summary(aid).tags == b.summary(aid).tags == ("summit", "world/asia")
    assert a.summary(aid).read and b.summary(aid).read
    assert a.summary(other).starred and b.summary(other).starred
    assert snapshot(a) == snapshot(b)


def test_sync_twice_changes_nothing(pair, folder: Path) -> None:
    a, b = pair
    a.add_note(a.resolve("6055"), "n")
    a.sync(folder)
    b.sync(folder)
    before, files = snapshot(b), sorted(folder.iterdir())
    report = b.sync(folder)
    assert report.peers == [] and report.published is None  # nothing read, nothing written
    assert snapshot(b) == before and sorted(folder.iterdir()) == files


def test_single_file_two_way(pair, tmp_path: Path) -> None:
    a, b = pair
    aid = a.resolve("6055")
    a.add_note(aid, "note from a")
    b.add_note(aid, "note from b")
    b_device, b_path = b.device_id, b.path
    b.close()
    report = a.sync(b_path)
    assert report.peers[0].received > 0 and report.published == str(b_path)
    with Library.open(b_path) as b2:
        assert b2.device_id == b_device  # the file is still b's own library
        assert {n.body for n in b2.notes(aid)} == {"note from a", "note from b"}
        assert snapshot(b2) == snapshot(a)
        assert b2.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"


def test_single_file_created_when_missing(pair, tmp_path: Path) -> None:
    a, _ = pair
    target = tmp_path / "usb" / "library.gloss"
    target.parent.mkdir()
    a.sync(target)
    with Library.open(target) as copy:
        assert snapshot(copy) == snapshot(a)


def test_conflict_copies_are_merged(pair, folder: Path) -> None:
    a, b = pair
    aid = a.resolve("6055")
    b.add_note(aid, "in a conflicted copy")
    published = Path(b.sync(folder).published or "")
    published.rename(folder / f"{published.stem} (conflicted copy 2026-11-29){published.suffix}")
    a.sync(folder)
    assert "in a conflicted copy" in {n.body for n in a.notes(aid)}


def test_copied_library_gets_a_new_device_id(sample_library: Path, tmp_path: Path) -> None:
    lib = fork(sample_library, tmp_path / "one.db")
    device = lib.device_id
    lib.close()
    shutil.copy(tmp_path / "one.db", tmp_path / "two.db")
    with Library.open(tmp_path / "two.db") as copy:
        report = copy.sync(tmp_path / "Sync")
        assert copy.device_id != device
        assert report.messages and f"copy of device {device}" in report.messages[0]
    with Library.open(tmp_path / "one.db") as original:
        assert original.sync(tmp_path / "Sync").messages == []
        assert original.device_id == device


# -- bad peers -------------------------------------------------------------------------------


def bad_peer(kind: str, folder: Path, good: Path) -> Path:
    path = folder / f"{kind}.gloss"
    if kind == "truncated":
        path.write_bytes(good.read_bytes()[:20_000])
    elif kind == "random":
        path.write_bytes(bytes(range(256)) * 300)
    elif kind == "other-sqlite":
        c = sqlite3.connect(path)
        c.execute("CREATE TABLE notes (body TEXT)")
        c.execute("INSERT INTO notes VALUES ('not ours')")
        c.commit()
        c.close()
    elif kind == "stale-wal":
        shutil.copy(good, path)
        Path(str(path) + "-wal").write_bytes(b"")
    elif kind == "newer-schema":
        shutil.copy(good, path)
        c = sqlite3.connect(path)
        c.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
        c.commit()
        c.close()
    elif kind == "empty":
        path.write_bytes(b"")
    return path


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("truncated", "damaged"),
        ("random", "not an SQLite file"),
        ("other-sqlite", "not a gloss library"),
        ("stale-wal", "in use (has a wal file)"),
        (
            "newer-schema",
            f"newer gloss (schema {db.SCHEMA_VERSION + 1}, this gloss knows {db.SCHEMA_VERSION});"
            " upgrade gloss",
        ),
        ("empty", "not an SQLite file"),
    ],
)
def test_bad_peers_change_nothing(pair, folder: Path, tmp_path: Path, kind, reason) -> None:
    a, b = pair
    b.add_note(b.resolve("6055"), "b's note")
    good = tmp_path / "good.gloss"
    b.sync(good)
    a.sync(folder)
    before = snapshot(a)
    path = bad_peer(kind, folder, good)
    report = a.sync(folder)
    [peer] = [p for p in report.peers if p.path == str(path)]
    assert reason in (peer.skipped or "")
    assert "\n" not in peer.skipped
    assert snapshot(a) == before
    assert a.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"


def test_peer_replaced_while_read(pair, folder: Path, monkeypatch) -> None:
    import store.sync.merge as sync_mod

    a, b = pair
    b.add_note(b.resolve("6055"), "b's note")
    b.sync(folder / f"{b.device_id}.gloss")  # a whole library, as gloss 1 wrote into a hub
    before = snapshot(a)
    real = sync_mod.shutil.copyfile

    def copy_then_replace(src, dst, *args, **kwargs):
        real(src, dst, *args, **kwargs)
        peer = folder / f"{b.device_id}.gloss"
        peer.write_bytes(peer.read_bytes())  # the sync tool swaps the file mid-read

    monkeypatch.setattr(sync_mod.shutil, "copyfile", copy_then_replace)
    report = a.sync(folder)
    assert "changed while being read" in report.peers[0].skipped
    assert snapshot(a) == before
    monkeypatch.undo()
    assert a.sync(folder).peers[0].skipped is None
    assert "b's note" in {n.body for n in a.notes()}


def test_hostile_peer_text_is_refused(pair, folder: Path) -> None:
    a, b = pair
    aid = b.resolve("6055")
    n = b.add_note(aid, "fine")
    peer = folder / f"{b.device_id}.gloss"  # a whole library, as gloss 1 wrote into a hub
    b.sync(peer)
    c = sqlite3.connect(peer)
    c.execute("UPDATE note_revisions SET body = 'evil \x1b]52;c;ZXZpbA==\x07' WHERE note_id = ?",
              (n.id,))  # fmt: skip
    c.execute("INSERT INTO events (event_id, article, field, value, hlc, device)"
              " SELECT 'E1', key, 'tag:[bold]', 1, ?, 'x' FROM articles WHERE id = ?",
              ("0000000000001.00000.x", aid))  # fmt: skip
    c.commit()
    c.close()
    report = a.sync(folder)
    assert report.peers[0].refused == 2
    assert a.notes() == [] and a.summary(aid).tags == ()


def test_far_future_peer_stamp_is_not_adopted_nor_merged(pair, folder: Path) -> None:
    a, b = pair
    n = b.add_note(b.resolve("6055"), "from the future")
    future = hlc.Stamp(hlc.now_ms() + 10 * hlc.MAX_DRIFT_MS, 0, b.device_id)
    with b.write() as conn:
        conn.execute("UPDATE note_revisions SET hlc = ? WHERE note_id = ?", (str(future), n.id))
    b.sync(folder)
    [peer] = a.sync(folder).peers
    assert (peer.waiting, peer.refused) == (1, 0)  # it waits until it is due
    assert n.id not in {x.id for x in a.notes()}
    assert hlc.Stamp.parse(a.meta("hlc") or "0" * 13 + ".00000.x").wall < future.wall
