"""Sync v2 with a folder hub: a log of immutable fact files. Costs follow the change; files
are written once and never changed; anything else in the hub (a sync tool's conflict copy,
a copy under another name, another device's content under ours, a partial file) is only
ever read; facts travel between hubs without coming back."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from store import Library
from store.core import hlc
from store.core.errors import LibraryError
from store.sync import log, pack
from tests.store.sync.test_sync import fork, snapshot


@pytest.fixture
def trio(sample_library: Path, tmp_path: Path):
    libs = [fork(sample_library, tmp_path / f"{n}.db") for n in "abc"]
    yield libs
    for lib in libs:
        lib.close()


def hub(tmp_path: Path, name: str = "Sync") -> Path:
    path = tmp_path / name
    path.mkdir(exist_ok=True)
    return path


def files(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every file of the hub with its size, mtime and inode: what a sync tool would see."""
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_ino)
        for p in sorted(folder.iterdir())
    }


def packs(folder: Path, device: str | None = None) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(pack.SUFFIX)
                  and (device is None or p.name.startswith(device)))  # fmt: skip


def bodies(lib: Library) -> set[str]:
    return {n.body for n in lib.notes()}


def test_a_new_note_is_one_new_small_file_and_nothing_else_changes(trio, tmp_path: Path):
    a, b, _ = trio
    folder = hub(tmp_path)
    a.sync(folder)
    b.sync(folder)
    before = files(folder)
    note = a.add_note(a.resolve("6055"), "one new note")
    report = a.sync(folder)
    after = files(folder)
    new = set(after) - set(before)
    assert len(new) == 1 and all(after[n] == before[n] for n in before)  # nothing rewritten
    [name] = new
    assert report.published == str(folder / name) and report.sent == 1
    assert after[name][0] == report.written_bytes < 64 * 1024
    got = b.sync(folder)
    assert [Path(p.path).name for p in got.peers] == [name]  # only the new file is read
    assert got.peers[0].received == 1 and b.note(note.id).body == "one new note"
    assert got.published is None and files(folder) == after  # b had nothing new


def test_a_sync_with_nothing_new_reads_and_writes_nothing(trio, tmp_path: Path):
    a, b, _ = trio
    folder = hub(tmp_path)
    for lib in (a, b, a, b):
        lib.sync(folder)
    before = files(folder)
    for lib in (a, b):
        report = lib.sync(folder)
        assert report.peers == [] and report.published is None and report.written_bytes == 0
    assert files(folder) == before


def test_syncthing_conflict_under_our_name_loses_no_note(trio, tmp_path: Path):
    """Syncthing's rule: the later change wins, the loser becomes `.sync-conflict-…`. When
    the winner under a device's own file name holds another device's content, that device
    reads it (and the loser), and every note ends up everywhere."""
    a, b, c = trio
    folder = hub(tmp_path)
    a.sync(folder)
    [ours] = packs(folder, a.device_id)
    c.add_note(c.resolve("6055"), "only in the winning copy")
    c_folder = hub(tmp_path, "c-side")
    c.sync(c_folder)
    [theirs] = packs(c_folder, c.device_id)
    loser = folder / f"{ours.stem}.sync-conflict-20261202-101010-ABCDEFG{ours.suffix}"
    os.rename(ours, loser)  # what Syncthing does on a's machine...
    shutil.copy(theirs, ours)  # ...with c's content as the winner under a's name
    report = a.sync(folder)
    assert "only in the winning copy" in bodies(a)
    assert loser.exists() and ours.exists()  # nothing removed, nothing overwritten
    assert ours.read_bytes() == theirs.read_bytes()
    assert not any(p.skipped for p in report.peers)
    b.sync(folder)
    assert "only in the winning copy" in bodies(b)
    assert snapshot(a)[0] == snapshot(b)[0]


def test_conflict_copies_duplicates_and_renamed_files_are_read_once(trio, tmp_path: Path):
    a, b, _ = trio
    folder = hub(tmp_path)
    b.add_note(b.resolve("6055"), "b's note")
    [written] = [Path(b.sync(folder).published or "")]
    shutil.copy(written, folder / "renamed by hand.bin")
    shutil.copy(written, folder / f"{written.stem} (conflicted copy){written.suffix}")
    report = a.sync(folder)
    by_name = {Path(p.path).name: p for p in report.peers}
    merged = [p for p in report.peers if not p.unchanged]
    assert len(merged) == 1 and merged[0].received > 0  # one merge, the copies known by digest
    assert by_name["renamed by hand.bin"].unchanged or by_name[written.name].unchanged
    assert "b's note" in bodies(a)
    assert a.sync(folder).peers == []  # none read again


def test_partial_and_temp_files_are_never_read_as_facts(trio, tmp_path: Path):
    a, b, _ = trio
    folder = hub(tmp_path)
    b.add_note(b.resolve("6055"), "arrives complete")
    staging = hub(tmp_path, "staging")
    full = Path(b.sync(staging).published or "")
    data = full.read_bytes()
    partial = folder / full.name
    partial.write_bytes(data[: len(data) // 2])  # a sync tool still copying it
    (folder / f"~syncthing~{full.name}.tmp").write_bytes(data[:100])
    (folder / f".syncthing.{full.name}.tmp").write_bytes(data[:100])
    report = a.sync(folder)
    [seen] = report.peers
    assert seen.skipped and "incomplete" in seen.skipped and "arrives complete" not in bodies(a)
    partial.write_bytes(data)  # the copy completes
    report = a.sync(folder)
    assert [p.skipped for p in report.peers] == [None] and "arrives complete" in bodies(a)


def test_facts_are_relayed_between_hubs_and_never_sent_back(trio, tmp_path: Path):
    """a syncs with a USB stick, c with a Syncthing folder, b (a laptop) with both."""
    a, b, c = trio
    usb, folder = hub(tmp_path, "usb"), hub(tmp_path, "folder")
    for lib, h in ((a, usb), (b, usb), (b, folder), (c, folder)):
        lib.sync(h)
    a.add_note(a.resolve("6055"), "from a, over the stick")
    c.add_note(c.resolve("6055"), "from c, over the folder")
    a.sync(usb)
    c.sync(folder)
    before_usb = files(usb)
    got = b.sync(usb)
    assert got.published is None and files(usb) == before_usb  # a's note not sent back
    relay = b.sync(folder)
    assert relay.sent == 1  # a's note, on to the folder
    back = b.sync(usb)
    assert back.sent == 1  # c's note, on to the stick (and nothing of a's)
    c.sync(folder)
    a.sync(usb)
    for lib in (a, b, c):
        assert {"from a, over the stick", "from c, over the folder"} <= bodies(lib)
    assert b.sync(usb).published is None and b.sync(folder).published is None


def test_a_gloss_1_library_file_in_the_hub_is_merged_once(trio, tmp_path: Path):
    a, b, _ = trio
    folder = hub(tmp_path)
    b.add_note(b.resolve("6055"), "written by gloss 1")
    old = folder / f"{b.device_id}.gloss"
    b.sync(old)  # a whole library file, as gloss 1 kept in a hub
    first = a.sync(folder)
    assert [(Path(p.path).name, p.skipped) for p in first.peers] == [(old.name, None)]
    assert "written by gloss 1" in bodies(a)
    assert a.sync(folder).peers == []  # unchanged: not read again
    b.add_note(b.resolve("6055"), "gloss 1 again")
    b.sync(old)  # the machine not upgraded yet rewrites it
    assert [Path(p.path).name for p in a.sync(folder).peers] == [old.name]
    assert "gloss 1 again" in bodies(a)
    assert old.exists()  # never removed: it was not written by a


def test_own_files_are_rolled_into_one_and_only_ours_removed(trio, tmp_path, monkeypatch):
    a, b, _ = trio
    monkeypatch.setattr(log, "COMPACT_AT", 4)
    monkeypatch.setattr(log, "COMPACT_GRACE_S", 0)
    folder = hub(tmp_path)
    b.sync(folder)
    theirs = files(folder)
    aid = a.resolve("6055")
    for n in range(4):
        a.add_note(aid, f"note {n}")
        a.sync(folder)
    mine = packs(folder, a.device_id)
    assert len(mine) == 2  # the largest kept, the three others rolled into one
    assert all(files(folder)[n] == theirs[n] for n in theirs)  # b's untouched
    fresh = fork(tmp_path / "b.db", tmp_path / "fresh.db")
    fresh.sync(folder)
    assert {f"note {n}" for n in range(4)} <= bodies(fresh)
    b.sync(folder)
    assert {f"note {n}" for n in range(4)} <= bodies(b)
    fresh.close()


def test_files_a_sync_tool_may_still_be_copying_are_not_rolled(trio, tmp_path, monkeypatch):
    """Removed while the other machine's Syncthing was pulling it, a file just written made
    its pull fail ("no such file", seen in the Syncthing race): own files younger than
    COMPACT_GRACE_S wait for a later compaction."""
    a, _, _ = trio
    monkeypatch.setattr(log, "COMPACT_AT", 4)
    folder = hub(tmp_path)
    aid = a.resolve("6055")
    for n in range(4):
        a.add_note(aid, f"note {n}")
        a.sync(folder)
    assert len(packs(folder, a.device_id)) == 4  # all young: none rolled
    hour_ago = time.time() - 3600
    for path in packs(folder, a.device_id):
        os.utime(path, (hour_ago, hour_ago))
    a.add_note(aid, "note 4")
    report = a.sync(folder)
    assert report.compacted == 3  # the four old ones but the largest; the new one waits
    assert len(packs(folder, a.device_id)) == 3  # the largest, the roll, the newest


def test_a_hub_that_lost_our_files_gets_everything_again(trio, tmp_path: Path):
    a, b, _ = trio
    folder = hub(tmp_path)
    a.add_note(a.resolve("6055"), "kept safe")
    a.sync(folder)
    for p in packs(folder, a.device_id):
        p.unlink()  # the hub was wiped, or restored from an old backup
    report = a.sync(folder)
    assert report.published and any("published there again" in m for m in report.messages)
    b.sync(folder)
    assert "kept safe" in bodies(b)


def test_a_failed_write_leaves_no_file_and_a_retry_completes(trio, tmp_path, monkeypatch):
    a, b, _ = trio
    folder = hub(tmp_path)
    a.add_note(a.resolve("6055"), "after the disk had room again")
    real = pack.write

    def disk_full(out, segments):
        out.write(b"x" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pack, "write", disk_full)
    with pytest.raises(LibraryError, match="No space left on device"):
        a.sync(folder)
    assert list(folder.iterdir()) == []  # nothing half-written, no temp file
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    monkeypatch.setattr(pack, "write", real)
    a.sync(folder)
    b.sync(folder)
    assert "after the disk had room again" in bodies(b)


def test_a_killed_sync_leaves_nothing_that_the_next_one_does_not_clean(trio, tmp_path: Path):
    a, b, _ = trio
    folder = hub(tmp_path)
    a.add_note(a.resolve("6055"), "survives a kill")
    path = a.path
    a.close()
    code = (
        "import sys, time\n"
        "from store import Library\n"
        "from store.sync import pack\n"
        "def slow(out, segments):\n"
        "    next(iter(segments))\n"  # one segment filled
        "    out.write(b'partial')\n"
        "    out.flush()\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(60)\n"
        "pack.write = slow\n"
        f"Library.open({str(path)!r}).sync({str(folder)!r})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "writing\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # what the kill left: the pack being written, under a name sync tools ignore
    assert [p.name.startswith("~syncthing~") for p in folder.iterdir()] == [True]
    assert not packs(folder)  # nothing under a final name
    with Library.open(path) as again:
        again.sync(folder)
        assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
        assert [p.name for p in folder.iterdir() if p.name.startswith("~")] == []
    b.sync(folder)
    assert "survives a kill" in bodies(b)


def test_the_cli_reports_what_it_read_and_wrote(gloss, trio, tmp_path: Path):
    a, b, _ = trio
    folder = hub(tmp_path)
    b.add_note(b.resolve("6055"), "from b")
    b.sync(folder)
    a_path = a.path
    a.close()
    code, out, err = gloss("sync", str(folder), "--json", db=a_path)
    assert code == 0, err
    import json

    report = json.loads(out)
    assert report["hub"] == str(folder.resolve())
    assert [p["received"] > 0 for p in report["peers"]] == [True]
    assert report["published"] and report["written_bytes"] > 0 and report["sent"] > 0
    code, out, err = gloss("sync", str(folder), db=a_path)
    assert (code, out.strip()) == (0, "wrote    nothing: the hub holds everything this library has")


def test_a_copy_of_a_library_never_removes_the_originals_files(trio, tmp_path, monkeypatch):
    a, _, _ = trio
    folder = hub(tmp_path)
    a.sync(folder)
    a.add_note(a.resolve("6055"), "first")
    a.sync(folder)
    originals = packs(folder, a.device_id)  # a's first and a small one
    a.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = fork(a.path, tmp_path / "copy.db")  # a new device, with a's record of the hub
    assert copy.conn.execute("SELECT count(*) FROM sync_files").fetchone()[0] == 2
    monkeypatch.setattr(log, "COMPACT_AT", 2)
    monkeypatch.setattr(log, "COMPACT_GRACE_S", 0)
    for n in range(3):
        copy.add_note(copy.resolve("6055"), f"from the copy {n}")
        copy.sync(folder)
    assert all(p.exists() for p in originals)  # rolled up are the copy's files only
    assert len(packs(folder, copy.device_id)) < 3
    a.sync(folder)
    assert {f"from the copy {n}" for n in range(3)} <= bodies(a)
    copy.close()


# -- a crafted fact file: the same checks as for a whole peer library ------------------------


def crafted(good: Path, dest: Path, work: Path, *sql: str) -> Path:
    """A copy of the pack `good` with `sql` run on each of its segments, written as a
    complete, well-formed pack at `dest` (another device's file, say)."""
    work.mkdir(exist_ok=True)
    segs = []
    with good.open("rb") as f:
        size = f.seek(0, os.SEEK_END)
        for n, seg in enumerate(pack.segments(f, size, lambda: work / f"x{len(segs)}.db")):
            kept = work / f"seg{n}.db"
            shutil.copy(seg, kept)
            segs.append(kept)
    for seg in segs:
        conn = sqlite3.connect(seg, isolation_level=None)
        for statement in sql:
            conn.execute(statement)
        conn.close()
    with dest.open("w+b") as out:
        pack.write(out, [seg.read_bytes() for seg in segs])
    return dest


def test_a_crafted_fact_file_is_checked_fact_by_fact(trio, tmp_path: Path):
    a, b, _ = trio
    folder = hub(tmp_path)
    b.add_note(b.resolve("6055"), "the good note")
    stage = hub(tmp_path, "stage")
    b.sync(stage)
    b.add_note(b.resolve("339b"), "a second note")
    good = Path(b.sync(stage).published or "")
    far = f"{hlc.now_ms() + 10 * hlc.MAX_DRIFT_MS:013d}.00000.0123456789abcdef"
    crafted(
        good, folder / "crafted.glosspack", tmp_path / "work",
        "INSERT INTO events SELECT 'E-FUTURE', article, 'starred', 1, '" + far + "',"
        " '0123456789abcdef' FROM note_revisions",
        "INSERT INTO articles (key, id, title, imported_at, structure, text) VALUES (999999,"
        " 'aaaa0000000000000000000000000001', 'A forged id', '2026-01-01', '{}', 'text')",
        "INSERT INTO refs VALUES (999999, 'aaaa0000000000000000000000000001')",
    )  # fmt: skip
    report = a.sync(folder)
    [peer] = report.peers
    assert peer.skipped is None and peer.waiting == 1 and peer.refused >= 1
    assert any("hash of their text" in r for r in peer.refusals), peer.refusals
    assert "a second note" in bodies(a)  # the good facts of the same file
    assert not a.summary(a.resolve("339b")).starred  # the future event waits, not wins
    again = a.sync(folder)  # a file with waiting facts is read again (until they are due)
    assert [p.waiting for p in again.peers] == [1]
    assert a.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"


@pytest.mark.parametrize(
    "sql, reason",
    [
        (("DROP TABLE events", "CREATE VIEW events AS WITH RECURSIVE r(x) AS (SELECT 1 UNION"
          " ALL SELECT x + 1 FROM r) SELECT x AS event_id, x AS article, 'read' AS field,"
          " 1 AS value, 'h' AS hlc, 'd' AS device FROM r"), "its tables are not ours"),
        (("CREATE TABLE extra (x)",), "its tables are not ours"),
        (("PRAGMA application_id = 0",), "not a pack database"),
    ],
)  # fmt: skip
def test_a_fact_file_laid_out_otherwise_is_refused_at_once(trio, tmp_path, sql, reason):
    a, b, _ = trio
    folder = hub(tmp_path)
    stage = hub(tmp_path, "stage")
    good = Path(b.sync(stage).published or "")
    crafted(good, folder / "odd.glosspack", tmp_path / "work", *sql)
    [peer] = a.sync(folder).peers
    assert peer.skipped and reason in peer.skipped


@pytest.mark.parametrize("compressors", [0, 1, 4])
def test_segments_stored_or_compressed_read_the_same(trio, tmp_path, monkeypatch, compressors):
    """A segment is compressed when a compressor is free, else stored as it is: both read."""
    a, b, _ = trio
    monkeypatch.setattr(pack, "SEGMENT_ARTICLES", 2)  # three segments of articles, one more
    monkeypatch.setattr(pack, "WORKERS", compressors)
    folder = hub(tmp_path)
    a.add_note(a.resolve("6055"), "in its article's segment")
    a.sync(folder)
    b_fresh = Library.open(tmp_path / "fresh.db")
    b_fresh.sync(folder)
    assert b_fresh.stats()["articles"] == a.stats()["articles"]
    assert "in its article's segment" in bodies(b_fresh)
    b_fresh.close()


def test_a_full_pack_holds_each_articles_facts_with_it_and_a_file_is_counted_whole(
    trio, tmp_path, monkeypatch
):
    """A first sync's pack puts an article's notes and events in the segment that holds the
    article (filled and compressed with it); what a reader keeps waiting or refuses is
    counted over every segment of the file, not the last one's only."""
    a, _, _ = trio
    monkeypatch.setattr(pack, "SEGMENT_ARTICLES", 2)
    folder = hub(tmp_path)
    first, last = (r[0] for r in a.conn.execute(
        "SELECT id FROM articles WHERE key IN ((SELECT min(key) FROM articles),"
        " (SELECT max(key) FROM articles)) ORDER BY key"))  # fmt: skip
    a.tag(first, add=["early"])
    a.tag(last, add=["late"])
    notes = [a.add_note(aid, f"ahead, on the {which}") for aid, which in
             ((first, "first"), (last, "last"))]  # fmt: skip
    future = hlc.Stamp(hlc.now_ms() + 10 * hlc.MAX_DRIFT_MS, 0, a.device_id)
    with a.write() as conn:
        conn.executemany("UPDATE note_revisions SET hlc = ? WHERE note_id = ?",
                         [(str(future), n.id) for n in notes])  # fmt: skip
    published = Path(a.sync(folder).published or "")
    seen = 0
    with published.open("rb") as src:
        for path in pack.segments(src, published.stat().st_size, lambda: tmp_path / "seg.db"):
            seg = sqlite3.connect(path)
            held = {r[0] for r in seg.execute("SELECT key FROM articles")}
            for table in ("note_revisions", "events"):
                named = {r[0] for r in seg.execute(f"SELECT article FROM {table}")}
                assert named <= held, (table, named - held)
                seen += len(named)
            seg.close()
    assert seen >= 4  # the two notes and the two tags, each beside its article
    fresh = Library.open(tmp_path / "fresh.db")
    [peer] = fresh.sync(folder).peers
    assert (peer.waiting, peer.refused) == (2, 0), peer.refusals
    assert {"early"} <= set(fresh.summary(first).tags) and "late" in fresh.summary(last).tags
    fresh.close()


def test_conflict_copies_of_our_own_files_are_rolled_up_and_removed(trio, tmp_path, monkeypatch):
    a, b, _ = trio
    folder = hub(tmp_path)
    b.sync(folder)
    a.sync(folder)
    a.add_note(a.resolve("6055"), "in a file that got a conflict copy")
    small = Path(a.sync(folder).published or "")
    copy = folder / f"{small.stem}.sync-conflict-20261202-101010-ABCDEFG{small.suffix}"
    shutil.copy(small, copy)
    theirs = {n: v for n, v in files(folder).items() if n.startswith(b.device_id)}
    monkeypatch.setattr(log, "COMPACT_AT", 3)
    monkeypatch.setattr(log, "COMPACT_GRACE_S", 0)
    a.add_note(a.resolve("6055"), "one more")
    report = a.sync(folder)
    assert report.compacted >= 2 and not copy.exists() and not small.exists()
    assert {n: v for n, v in files(folder).items() if n.startswith(b.device_id)} == theirs
    fresh = Library.open(tmp_path / "fresh.db")
    fresh.sync(folder)
    assert {"in a file that got a conflict copy", "one more"} <= bodies(fresh)
    fresh.close()


def test_a_sync_with_nothing_new_writes_nothing_to_the_library(trio, tmp_path: Path):
    a, b, _ = trio
    folder = hub(tmp_path)
    for lib in (a, b, a):
        lib.sync(folder)
    a.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = Path(f"{a.path}-wal")

    def written() -> tuple:
        return a.path.stat().st_mtime_ns, wal.stat().st_size if wal.exists() else 0

    before = written()
    a.sync(folder)
    assert written() == before
